//! [`ClientConfig`]: everything a client connection is built from, checked
//! once when the connection is built.

use std::time::Duration;

use rand_core::CryptoRng;
use stanzio_jid::{BareJid, Jid};
use stanzio_sasl::{ChannelBindingMemory, ClientPolicy, Credentials};
use stanzio_xml::Limits;
use zeroize::Zeroizing;

use crate::sm::ResumptionState;
use crate::transport::{StreamSettings, Transport};

/// How TLS protects the stream (RFC 7590).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TlsMode {
    /// STARTTLS is negotiated before anything else (RFC 6120 §5); a server
    /// that does not offer it ends the connection before any credential
    /// leaves. The default for clients (components cannot use it:
    /// XEP-0114 has no STARTTLS).
    #[default]
    Required,
    /// The adapter speaks TLS from the first byte (XEP-0368 direct TLS, or
    /// `wss://` for WebSocket) and reports the session with
    /// [`ClientConnection::tls_established`](super::ClientConnection::tls_established)
    /// before the first `handle_input`.
    DirectTls,
    /// No TLS at all. Credentials other than SCRAM's proofs cross the wire
    /// readable, and nothing authenticates the server: for tests against a
    /// local server only.
    DangerousPlaintext,
}

/// Stream management (XEP-0198) as the client wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmPolicy {
    /// Ask for resumption (`<enable resume='true'/>`).
    pub resume: bool,
    /// Preferred resumption window in seconds (`max`), if any.
    pub max: Option<u32>,
    /// Request an acknowledgement after this many unacknowledged stanzas.
    pub ack_every: u32,
    /// Request an acknowledgement once a stanza has waited this long.
    pub ack_after: Duration,
    /// Sent-but-unacknowledged stanzas kept for resending; `send` refuses
    /// more with [`SendError::QueueFull`](super::SendError::QueueFull).
    pub max_unacked: usize,
}

impl Default for SmPolicy {
    /// Resumption on, an ack request every 5 stanzas or after 5 s, 500
    /// stanzas kept.
    fn default() -> Self {
        SmPolicy {
            resume: true,
            max: None,
            ack_every: 5,
            ack_after: Duration::from_secs(5),
            max_unacked: 500,
        }
    }
}

/// Liveness checks (RFC 6120 §4.6, XEP-0199, XEP-0198).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeepalivePolicy {
    /// Send a single space when nothing was sent for this long (TCP only,
    /// RFC 6120 §4.6.1; never on a WebSocket, RFC 7395 §3.8). `None` turns
    /// it off.
    pub whitespace_interval: Option<Duration>,
    /// Check the server is alive when nothing arrived for this long: an
    /// `<r/>` when stream management is on, an XEP-0199 ping otherwise.
    /// `None` turns it off.
    pub ping_interval: Option<Duration>,
    /// How long the answer to that check may take before the connection
    /// ends with [`ConnectionError::Timeout`](super::ConnectionError::Timeout).
    pub ping_timeout: Duration,
}

impl Default for KeepalivePolicy {
    /// White space after 90 s of quiet, a check after 300 s, 60 s to answer.
    fn default() -> Self {
        KeepalivePolicy {
            whitespace_interval: Some(Duration::from_secs(90)),
            ping_interval: Some(Duration::from_secs(300)),
            ping_timeout: Duration::from_secs(60),
        }
    }
}

/// Who this connection speaks as.
#[derive(Clone)]
pub(crate) enum Role {
    /// A client (`jabber:client`): SASL, bind.
    Client {
        account: BareJid,
        resource: Option<String>,
        credentials: Credentials,
    },
    /// An external component (XEP-0114, `jabber:component:accept`).
    Component {
        domain: BareJid,
        secret: Zeroizing<String>,
    },
}

/// The complete configuration of a [`ClientConnection`](super::ClientConnection).
///
/// Built with [`ClientConfig::new`] (password login) or
/// [`ClientConfig::component`], adjusted with the `with_*` methods, and
/// checked by [`ClientConnection::new`](super::ClientConnection::new).
pub struct ClientConfig {
    pub(crate) role: Role,
    pub(crate) tls: TlsMode,
    pub(crate) sasl: ClientPolicy,
    pub(crate) channel_binding: ChannelBindingMemory,
    pub(crate) sm: Option<SmPolicy>,
    pub(crate) keepalive: KeepalivePolicy,
    pub(crate) stream: StreamSettings,
    pub(crate) lang: Option<String>,
    pub(crate) resumption: Option<ResumptionState>,
    pub(crate) rng: Box<dyn CryptoRng + Send>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let role = match &self.role {
            Role::Client {
                account, resource, ..
            } => format!("client {account} resource {resource:?}"),
            Role::Component { domain, .. } => format!("component {domain}"),
        };
        f.debug_struct("ClientConfig")
            .field("role", &role)
            .field("tls", &self.tls)
            .field("transport", &self.stream.transport)
            .field("sasl", &self.sasl)
            .field("channel_binding", &self.channel_binding)
            .field("sm", &self.sm)
            .field("keepalive", &self.keepalive)
            .field("limits", &self.stream.limits)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// A client logging in as `jid` with a password (SCRAM, or PLAIN if the
    /// SASL policy allows it). A full JID asks for its resource at bind; a
    /// bare one lets the server choose.
    pub fn new(
        jid: Jid,
        password: impl Into<String>,
        rng: impl CryptoRng + Send + 'static,
    ) -> Self {
        let username = jid.node().map(|node| node.to_string()).unwrap_or_default();
        let credentials = Credentials::password(username, password);
        Self::with_role(
            Role::Client {
                account: jid.to_bare(),
                resource: jid.resource().map(|r| r.to_string()),
                credentials,
            },
            rng,
        )
    }

    /// An external component (XEP-0114) serving `domain` (a JID of only a
    /// domainpart), authenticated by the shared `secret`.
    ///
    /// XEP-0114 has no STARTTLS, and components usually reach their server
    /// on a private link: the default TLS mode here is
    /// [`TlsMode::DangerousPlaintext`] (the handshake sends a digest, never
    /// the secret, but stanzas cross in the clear). Over an untrusted
    /// network, wrap the connection in TLS and choose
    /// [`TlsMode::DirectTls`].
    pub fn component(
        domain: BareJid,
        secret: impl Into<String>,
        rng: impl CryptoRng + Send + 'static,
    ) -> Self {
        let mut config = Self::with_role(
            Role::Component {
                domain,
                secret: Zeroizing::new(secret.into()),
            },
            rng,
        );
        config.tls = TlsMode::DangerousPlaintext;
        config
    }

    fn with_role(role: Role, rng: impl CryptoRng + Send + 'static) -> Self {
        ClientConfig {
            role,
            tls: TlsMode::Required,
            sasl: ClientPolicy::default(),
            channel_binding: ChannelBindingMemory::Unknown,
            sm: Some(SmPolicy::default()),
            keepalive: KeepalivePolicy::default(),
            stream: StreamSettings::new(Duration::from_secs(30)),
            lang: None,
            resumption: None,
            rng: Box::new(rng),
        }
    }

    /// Other credentials than the password (EXTERNAL with a client
    /// certificate, ANONYMOUS). Ignored for components.
    #[must_use]
    pub fn with_credentials(mut self, new: Credentials) -> Self {
        if let Role::Client { credentials, .. } = &mut self.role {
            *credentials = new;
        }
        self
    }

    /// How TLS protects the stream. Default [`TlsMode::Required`].
    #[must_use]
    pub fn with_tls(mut self, tls: TlsMode) -> Self {
        self.tls = tls;
        self
    }

    /// TCP (default) or WebSocket framing.
    #[must_use]
    pub fn with_transport(mut self, transport: Transport) -> Self {
        self.stream.transport = transport;
        self
    }

    /// SASL mechanism and channel-binding rules.
    #[must_use]
    pub fn with_sasl_policy(mut self, policy: ClientPolicy) -> Self {
        self.sasl = policy;
        self
    }

    /// What an earlier login to this server learned about its channel
    /// binding ([`ClientConnection::channel_binding_memory`](super::ClientConnection::channel_binding_memory)
    /// after `Authenticated`, stored by the application per server and
    /// account). [`ChannelBindingMemory::Bound`] pins the account: a failed
    /// `-PLUS` attempt is never retried without channel binding (XEP-0474 §7
    /// style pinning), since that failure is what a man in the middle with
    /// a trusted certificate causes. [`ChannelBindingMemory::Rejected`]
    /// skips a `-PLUS` the server is known to refuse. Default `Unknown`.
    #[must_use]
    pub fn with_channel_binding_memory(mut self, memory: ChannelBindingMemory) -> Self {
        self.channel_binding = memory;
        self
    }

    /// Stream management, or `None` to never enable it.
    #[must_use]
    pub fn with_stream_management(mut self, sm: Option<SmPolicy>) -> Self {
        self.sm = sm;
        self
    }

    /// Keepalive and liveness checks.
    #[must_use]
    pub fn with_keepalive(mut self, keepalive: KeepalivePolicy) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// Limits on what the server may send.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.stream.limits = limits;
        self
    }

    /// The stream's default language (`xml:lang` of the header).
    #[must_use]
    pub fn with_lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    /// How long stream negotiation (header to bound session) may take.
    /// Default 30 s.
    #[must_use]
    pub fn with_negotiation_timeout(mut self, timeout: Duration) -> Self {
        self.stream.negotiation_timeout = timeout;
        self
    }

    /// How long to wait for the server's `</stream:stream>` after sending
    /// ours. Default 10 s.
    #[must_use]
    pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.stream.close_timeout = timeout;
        self
    }

    /// Events `handle_input` queues before it stops consuming input (the
    /// rest stays with the caller until the events are drained). Default 256.
    #[must_use]
    pub fn with_max_pending_events(mut self, events: usize) -> Self {
        self.stream.max_pending_events = events;
        self
    }

    /// Bytes waiting for `poll_transmit` beyond which `send` refuses more.
    /// Default 1 MiB.
    #[must_use]
    pub fn with_max_pending_output(mut self, bytes: usize) -> Self {
        self.stream.max_pending_output = bytes;
        self
    }

    /// Resume this earlier session (XEP-0198 §5) instead of binding a new
    /// one; see [`ClientConnection::take_resumption`](super::ClientConnection::take_resumption).
    #[must_use]
    pub fn with_resumption(mut self, state: ResumptionState) -> Self {
        self.resumption = Some(state);
        self
    }
}

/// A configuration that cannot work, found when the connection is built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Password and EXTERNAL logins need an account with a localpart.
    #[error("the JID has no localpart to log in with")]
    NoLocalpart,
    /// A limit or policy value is zero where that cannot work.
    #[error("{0} must not be zero")]
    Zero(&'static str),
    /// The resumption state belongs to another account.
    #[error("the resumption state is for {0}, not this account")]
    ResumptionForOtherAccount(String),
    /// A component's name is a domain, without localpart.
    #[error("a component name is a domain, without localpart")]
    ComponentWithLocalpart,
    /// A component cannot use a WebSocket.
    #[error("components speak XEP-0114 over TCP only")]
    ComponentOverWebSocket,
    /// XEP-0114 has no STARTTLS: a component stream is protected only by
    /// TLS around the whole connection ([`TlsMode::DirectTls`]), or runs
    /// in the clear ([`TlsMode::DangerousPlaintext`], the component
    /// default); [`TlsMode::Required`] would promise what cannot happen.
    #[error("XEP-0114 has no STARTTLS: use DirectTls or DangerousPlaintext")]
    ComponentStartTls,
}

impl ClientConfig {
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        match &self.role {
            Role::Client {
                account,
                credentials,
                ..
            } => {
                let needs_localpart = matches!(credentials, Credentials::Password { .. });
                if needs_localpart && account.node().is_none() {
                    return Err(ConfigError::NoLocalpart);
                }
                if let Some(state) = &self.resumption
                    && state.jid.to_bare() != *account
                {
                    return Err(ConfigError::ResumptionForOtherAccount(
                        state.jid.to_bare().to_string(),
                    ));
                }
            }
            Role::Component { domain, .. } => {
                if domain.node().is_some() {
                    return Err(ConfigError::ComponentWithLocalpart);
                }
                if self.stream.transport == Transport::WebSocket {
                    return Err(ConfigError::ComponentOverWebSocket);
                }
                if self.tls == TlsMode::Required {
                    return Err(ConfigError::ComponentStartTls);
                }
            }
        }
        if let Some(sm) = &self.sm {
            if sm.ack_every == 0 {
                return Err(ConfigError::Zero("SmPolicy::ack_every"));
            }
            if sm.max_unacked == 0 {
                return Err(ConfigError::Zero("SmPolicy::max_unacked"));
            }
        }
        if self.stream.max_pending_events == 0 {
            return Err(ConfigError::Zero("max_pending_events"));
        }
        if self.stream.max_pending_output == 0 {
            return Err(ConfigError::Zero("max_pending_output"));
        }
        if self.keepalive.ping_timeout.is_zero() {
            return Err(ConfigError::Zero("KeepalivePolicy::ping_timeout"));
        }
        // A zero interval would be due again at once after every run:
        // a keepalive or a ping on each call, never a quiet moment.
        if self.keepalive.whitespace_interval == Some(Duration::ZERO) {
            return Err(ConfigError::Zero("KeepalivePolicy::whitespace_interval"));
        }
        if self.keepalive.ping_interval == Some(Duration::ZERO) {
            return Err(ConfigError::Zero("KeepalivePolicy::ping_interval"));
        }
        Ok(())
    }
}
