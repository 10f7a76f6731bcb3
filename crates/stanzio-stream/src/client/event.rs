//! What a [`ClientConnection`](super::ClientConnection) reports, and what
//! can go wrong.

use stanzio_jid::{FullJid, Jid};
use stanzio_sasl::{ChannelBindingType, ClientError, Mechanism, SelectionError};
use stanzio_stanza::{Stanza, StanzaError, StanzaParseError, StreamError};
use stanzio_xml::ReadError;

use crate::elements::ElementError;
use crate::elements::sasl::SaslFailure;
use crate::sm::HandledCountTooHigh;

/// Something the application should know or act on.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server accepted STARTTLS (`<proceed/>`): write out what
    /// `poll_transmit` holds, start TLS on the socket, then call
    /// [`tls_established`](super::ClientConnection::tls_established). Until
    /// then any input is an attack (RFC 6120 §5.4.3.3).
    StartTls,
    /// The login goes on without channel binding although the server
    /// offers `-PLUS`: a `-PLUS` attempt of this connection failed, or an
    /// earlier login found the server rejects this type
    /// ([`ChannelBindingMemory::Rejected`](stanzio_sasl::ChannelBindingMemory::Rejected)).
    /// Allowed only where no man in the middle can hide behind it (the
    /// server's XEP-0440 list did not name the type and the account is not
    /// pinned). Worth a log line.
    ChannelBindingFallback {
        /// The channel-binding type the server rejected.
        rejected: ChannelBindingType,
        /// The mechanism used instead.
        retry: Mechanism,
        /// `true` when the rejection was remembered and `-PLUS` not tried;
        /// `false` when it was tried and failed just now.
        remembered: bool,
    },
    /// SASL succeeded and the server's signature (for SCRAM) verified.
    Authenticated {
        /// The mechanism that succeeded.
        mechanism: Mechanism,
        /// The channel binding used, if any. What to remember for the next
        /// login (and so pin the account to channel binding, XEP-0474 §7
        /// style) is [`ClientConnection::channel_binding_memory`](super::ClientConnection::channel_binding_memory).
        channel_binding: Option<ChannelBindingType>,
    },
    /// The session is ready: stanzas flow. `jid` is the bound address.
    Online {
        /// The full JID bound to this stream (for a component, its domain).
        jid: Jid,
        /// Whether an earlier session was resumed (XEP-0198 §5): then the
        /// roster and presence need not be sent again.
        resumed: bool,
    },
    /// Stream management is on (XEP-0198 `<enabled/>`).
    StreamManagementEnabled {
        /// Whether the session can be resumed.
        resumable: bool,
        /// Where to reconnect for resumption, if the server said.
        location: Option<String>,
    },
    /// The server could not enable stream management; the session works
    /// without it.
    StreamManagementFailed,
    /// Resumption failed: the old session is gone. These stanzas may never
    /// have been delivered; nothing else is lost silently. A new session is
    /// being bound.
    ResumptionFailed {
        /// Stanzas sent on the old session that the server never
        /// acknowledged, oldest first.
        unacked: Vec<Stanza>,
    },
    /// Stanzas given to [`send`](super::ClientConnection::send) that may
    /// not have reached the server, handed back as the connection ends,
    /// just before `Disconnected`, oldest first: those still waiting for
    /// the session to come online (never written), and, with stream
    /// management, those the server never acknowledged, unless the session
    /// failed and can be resumed: then
    /// [`take_resumption`](super::ClientConnection::take_resumption) holds
    /// them. Without stream management, what was written cannot be known
    /// to be lost or not, and is not repeated here.
    Undelivered {
        /// The stanzas, oldest first.
        stanzas: Vec<Stanza>,
    },
    /// The server acknowledged this stanza (XEP-0198 §4).
    Acked(Stanza),
    /// A stanza arrived.
    Stanza(Stanza),
    /// A stanza given to [`send`](super::ClientConnection::send) before the
    /// session was online could not go out once it was (for example it is
    /// larger than the server's XEP-0478 limit); it was not sent.
    Refused {
        /// Why.
        error: SendError,
    },
    /// A stanza arrived that is not valid. For an IQ request the error
    /// reply RFC 6120 §8.3 names was sent already; this is a diagnostic.
    InvalidStanza(StanzaParseError),
    /// The connection ended. `None` for a clean close by either side.
    Disconnected(Option<ConnectionError>),
}

/// What ended a connection: the peer did something wrong, a timeout
/// passed, or the stream was refused. Sticky: once it happened, the
/// connection stays failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The server's XML broke a rule or a limit; the stream error named by
    /// [`ReadError::condition`] was sent.
    #[error("bad XML from the server: {0}")]
    Xml(#[from] ReadError),
    /// The server sent a stream error.
    #[error("the server sent a stream error: {}", .0.condition.as_str())]
    StreamError(Box<StreamError>),
    /// The server wants the client to connect elsewhere (RFC 6120
    /// §4.9.3.19): the adapter may reconnect there.
    #[error("the server redirects to {host}")]
    SeeOtherHost {
        /// Host name or IP literal.
        host: String,
        /// Port, if given.
        port: Option<u16>,
    },
    /// The RFC 7395 `<close/>` redirected to another URI (§3.6.1).
    #[error("the server redirects to {0}")]
    SeeOtherUri(String),
    /// TLS is required but the server did not offer STARTTLS (RFC 6120
    /// §5.3.1): nothing else was sent.
    #[error("the server does not offer STARTTLS and TLS is required")]
    TlsNotOffered,
    /// With [`TlsMode::DirectTls`](super::TlsMode::DirectTls), input came
    /// before the adapter reported the TLS session.
    #[error("input arrived before the direct TLS session was reported")]
    TlsNotEstablished,
    /// The server answered `<starttls/>` with `<failure/>` (RFC 6120 §5.4.2.2).
    #[error("the server refused STARTTLS")]
    TlsRefused,
    /// Bytes arrived after `<proceed/>` before the TLS handshake, in the
    /// clear: injected by whoever sits on the path (RFC 6120 §5.4.3.3).
    #[error("{0} bytes arrived in the clear after <proceed/>")]
    PlaintextAfterProceed(usize),
    /// No mechanism the policy allows is offered.
    #[error("no acceptable SASL mechanism: {0}")]
    NoMechanism(#[from] SelectionError),
    /// The server's SASL data failed a check (wrong signature, nonce,
    /// downgrade detected, ...).
    #[error("SASL: {0}")]
    Sasl(#[from] ClientError),
    /// A `-PLUS` attempt failed (`failure`) and going on without channel
    /// binding is refused (`reason`): the server's XEP-0440 list named the
    /// type, the account is pinned, or the policy forbids the fallback.
    /// Unless the server is broken, someone between the two ends holds a
    /// certificate this client trusts.
    #[error("channel binding failed and no fallback is allowed: {reason}")]
    ChannelBindingFailed {
        /// The server's answer to the `-PLUS` attempt.
        failure: Box<SaslFailure>,
        /// Why the fallback is refused.
        reason: SelectionError,
    },
    /// The server refused the login (`<failure/>`, RFC 6120 §6.5).
    #[error("authentication failed: {}", .0.effective_condition().as_str())]
    AuthenticationFailed(Box<SaslFailure>),
    /// The component handshake was refused (XEP-0114 §3).
    #[error("the component handshake was refused")]
    HandshakeRefused,
    /// Resource binding failed (RFC 6120 §7.6.2).
    #[error("resource binding failed: {}", .0.condition.as_str())]
    BindFailed(Box<StanzaError>),
    /// The server bound a resource of another account than the one that
    /// authenticated (RFC 6120 §7.6.1); the stream error
    /// `undefined-condition` was sent.
    #[error("the server bound {0}, which is not this account")]
    BoundToOtherAccount(FullJid),
    /// The server acknowledged stanzas never sent (XEP-0198 §6); the
    /// stream error `undefined-condition` with `handled-count-too-high` was
    /// sent.
    #[error("the server acknowledged {} stanzas but {} were sent", .0.h, .0.send_count)]
    HandledCountTooHigh(HandledCountTooHigh),
    /// An element the protocol does not allow at this point.
    #[error("unexpected <{name}/> ({ns}) during {stage}")]
    Unexpected {
        /// The element's name.
        name: String,
        /// Its namespace.
        ns: String,
        /// What the connection was doing.
        stage: &'static str,
    },
    /// A negotiation element was malformed.
    #[error("malformed negotiation element: {0}")]
    Malformed(#[from] ElementError),
    /// The server's stream header was wrong (namespace, version, `from`).
    #[error("bad stream header: {0}")]
    BadHeader(&'static str),
    /// The server did not answer in time.
    #[error("timed out during {0}")]
    Timeout(&'static str),
    /// The transport closed before the stream ended.
    #[error("the connection closed before the stream ended")]
    UnexpectedEof,
}

/// A caller mistake: the call did nothing, and the connection is as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is closing or closed.
    #[error("the connection is closed")]
    Closed,
    /// Too many stanzas wait for acknowledgement or transmission: drain
    /// `poll_transmit` and wait for acks.
    #[error("the outgoing queue is full")]
    QueueFull,
    /// The stanza is larger than the server accepts (XEP-0478 `max-bytes`).
    #[error("the stanza has {size} bytes; the server accepts at most {limit}")]
    TooLarge {
        /// Its serialized size.
        size: usize,
        /// The server's limit.
        limit: usize,
    },
    /// The stanza cannot be written (a character XML cannot carry, or an
    /// attribute written twice).
    #[error("the stanza cannot be serialized: {0}")]
    Unserializable(#[from] stanzio_xml::BuildError),
    /// `tls_established` came when no TLS handshake was expected.
    #[error("no TLS handshake was expected")]
    UnexpectedTls,
}

impl ClientEvent {
    /// Whether this event ends the connection.
    pub fn is_disconnect(&self) -> bool {
        matches!(self, ClientEvent::Disconnected(_))
    }
}
