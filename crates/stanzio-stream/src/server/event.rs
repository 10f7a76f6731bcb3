//! What a [`ServerConnection`](super::ServerConnection) reports and asks,
//! and what can go wrong.

use stanzio_jid::{BareJid, Jid};
use stanzio_sasl::Mechanism;
use stanzio_stanza::{Stanza, StanzaParseError, StreamError};
use stanzio_xml::ReadError;

use crate::elements::ElementError;
use crate::sm::{HandledCountTooHigh, ResumptionState};

/// Something the server application must know, answer or act on.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerEvent {
    /// `<proceed/>` is queued: write out `poll_transmit`, run the TLS
    /// handshake as the server, then call
    /// [`tls_established`](super::ServerConnection::tls_established).
    StartTls,
    /// Look up the stored SCRAM/PLAIN record of `username` on the served
    /// `domain` (asynchronously if need be) and answer with
    /// [`provide_credentials`](super::ServerConnection::provide_credentials);
    /// `None` for an unknown user (a fake record then hides that).
    CredentialsNeeded {
        /// The SASLprep-ed username.
        username: String,
        /// The domain the client connected to.
        domain: String,
        /// The mechanism (its hash says which record).
        mechanism: Mechanism,
    },
    /// SASL EXTERNAL (XEP-0178): which account does this verified client
    /// certificate stand for, and may it act as `authzid`? Answer with
    /// [`accept_certificate`](super::ServerConnection::accept_certificate).
    CertificateIdentityNeeded {
        /// The certificate the adapter verified.
        certificate: stanzio_sasl::ClientCertificate,
        /// The requested authorization identity.
        authzid: Option<String>,
        /// The domain the client connected to.
        domain: String,
    },
    /// The client authenticated as `account` and asks to act as `authzid`
    /// (RFC 6120 §6.3.8): answer with
    /// [`authorize`](super::ServerConnection::authorize). Refusing is the
    /// safe answer; never let one user act as another by default.
    AuthorizationRequested {
        /// Who authenticated.
        account: BareJid,
        /// Who they want to act as.
        authzid: String,
    },
    /// Authentication succeeded.
    Authenticated {
        /// The account.
        account: BareJid,
        /// The mechanism used (a `-PLUS` one proved the TLS channel).
        mechanism: Mechanism,
    },
    /// The client asks for a resource (RFC 6120 §7): answer with
    /// [`bind`](super::ServerConnection::bind).
    BindRequested {
        /// The authenticated account.
        account: BareJid,
        /// The resourcepart the client would like, if any.
        requested: Option<String>,
    },
    /// The client asks to resume a session (XEP-0198 §5): answer with
    /// [`resume`](super::ServerConnection::resume) and the state kept
    /// for `previd`, or `None`.
    ResumeRequested {
        /// The authenticated account (the state must be this account's).
        account: BareJid,
        /// The id from `<enabled/>`.
        previd: String,
        /// How many of the server's stanzas the client handled.
        h: u32,
    },
    /// The session is ready: stanzas flow. `jid` is the bound full JID (or
    /// the component's domain).
    Online {
        /// The client's address.
        jid: Jid,
        /// Whether an earlier session was resumed.
        resumed: bool,
    },
    /// A stanza from the client, with `from` checked and stamped (RFC 6120
    /// §8.1.2.1), ready to route.
    Stanza(Stanza),
    /// A stanza that is not valid; the error reply RFC 6120 names was sent
    /// to the client already.
    InvalidStanza(StanzaParseError),
    /// The client acknowledged this stanza (XEP-0198).
    Acked(Stanza),
    /// The connection ended.
    Disconnected {
        /// `None` for a clean close.
        error: Option<PeerError>,
        /// With resumable stream management and an unclean end: the state
        /// to keep for [`resume`](super::ServerConnection::resume) until the
        /// resumption window closes.
        resumption: Option<ResumptionState>,
        /// Otherwise: stanzas sent to the client and not acknowledged (or
        /// never written), to deliver elsewhere or store offline.
        undelivered: Vec<Stanza>,
    },
}

/// What the client did wrong (or a timeout), ending the connection.
/// Sticky.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// The client's XML broke a rule or limit; the stream error was sent.
    #[error("bad XML from the client: {0}")]
    Xml(#[from] ReadError),
    /// The client sent a stream error.
    #[error("the client sent a stream error: {}", .0.condition.as_str())]
    StreamError(Box<StreamError>),
    /// The header was wrong; the named stream error was sent.
    #[error("bad stream header: {0}")]
    BadHeader(&'static str),
    /// An element the protocol does not allow at this point; the stream
    /// error was sent.
    #[error("unexpected <{name}/> ({ns}) during {stage}")]
    Unexpected {
        /// Its name.
        name: String,
        /// Its namespace.
        ns: String,
        /// What the connection was doing.
        stage: &'static str,
    },
    /// A stanza before authentication (`not-authorized`, RFC 6120 §6.4.1).
    #[error("a stanza arrived before authentication")]
    NotAuthenticated,
    /// Bytes in the clear after `<proceed/>` (RFC 6120 §5.4.3.3).
    #[error("{0} bytes arrived in the clear after <proceed/>")]
    PlaintextAfterProceed(usize),
    /// Too many failed authentication attempts on this stream.
    #[error("too many failed authentication attempts")]
    TooManyAuthFailures,
    /// A stanza claimed a `from` the client may not use (`invalid-from`,
    /// RFC 6120 §4.9.3.9).
    #[error("the client claimed to be {0}")]
    InvalidFrom(String),
    /// The component handshake did not match (XEP-0114 §3).
    #[error("the component handshake did not match")]
    HandshakeRefused,
    /// The client does not read: its output queue overflowed
    /// (`policy-violation`).
    #[error("the client does not read its stream")]
    OutputOverflow,
    /// The client acknowledged stanzas never sent (XEP-0198 §6).
    #[error("the client acknowledged {} stanzas but {} were sent", .0.h, .0.send_count)]
    HandledCountTooHigh(HandledCountTooHigh),
    /// A negotiation element was malformed.
    #[error("malformed negotiation element: {0}")]
    Malformed(#[from] ElementError),
    /// The client did not answer in time (`connection-timeout`).
    #[error("timed out during {0}")]
    Timeout(&'static str),
    /// The transport closed before the stream ended.
    #[error("the connection closed before the stream ended")]
    UnexpectedEof,
}

/// A caller mistake: nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerCallError {
    /// The connection is closing or closed.
    #[error("the connection is closed")]
    Closed,
    /// The machine did not ask for this answer (or asked for another).
    #[error("this answer was not asked for")]
    NotAsked,
    /// The bound JID or resumption state is not the authenticated
    /// account's.
    #[error("{0} is not the authenticated account")]
    WrongAccount(String),
    /// The stanza cannot be serialized.
    #[error("the stanza cannot be serialized: {0}")]
    Unserializable(#[from] stanzio_xml::BuildError),
}
