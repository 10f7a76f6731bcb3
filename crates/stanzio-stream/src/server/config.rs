//! [`ServerConfig`]: how a server answers one client or component stream.

use std::collections::HashMap;
use std::time::Duration;

use rand_core::CryptoRng;
use stanzio_jid::BareJid;
use stanzio_xml::Limits;
use zeroize::Zeroizing;

use crate::transport::{StreamSettings, Transport};

/// How TLS protects client streams (RFC 7590).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ServerTls {
    /// STARTTLS is offered as required; nothing else is offered before it
    /// (RFC 6120 §5.3.1). The default.
    #[default]
    Required,
    /// The adapter accepted a direct TLS connection (XEP-0368, or `wss://`)
    /// and reports the session before the first input.
    DirectTls,
    /// No TLS: SCRAM only, nothing that sends a password. Tests only.
    DangerousPlaintext,
}

/// Stream management as the server offers it (XEP-0198).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerSmPolicy {
    /// Offer resumption.
    pub resume: bool,
    /// The resumption window announced in `<enabled max=''/>`, seconds.
    pub max: u32,
    /// Where clients should reconnect to resume (`location`), if elsewhere.
    pub location: Option<String>,
    /// Request an acknowledgement after this many unacknowledged stanzas.
    pub ack_every: u32,
}

impl Default for ServerSmPolicy {
    /// Resumption for 300 s, an ack request every 5 stanzas.
    fn default() -> Self {
        ServerSmPolicy {
            resume: true,
            max: 300,
            location: None,
            ack_every: 5,
        }
    }
}

/// The configuration of a [`ServerConnection`](super::ServerConnection):
/// what is served, which mechanisms, which limits. One value can be cloned
/// for every connection (the random source is per connection, given to
/// [`ServerConnection::new`](super::ServerConnection::new)).
#[derive(Clone)]
pub struct ServerConfig {
    pub(crate) domains: Vec<String>,
    pub(crate) tls: ServerTls,
    pub(crate) sasl: stanzio_sasl::ServerConfig,
    pub(crate) allow_plain: bool,
    pub(crate) sm: Option<ServerSmPolicy>,
    pub(crate) advertise_limits: bool,
    pub(crate) idle_timeout: Duration,
    pub(crate) ping_timeout: Duration,
    pub(crate) whitespace_interval: Option<Duration>,
    pub(crate) stream: StreamSettings,
    pub(crate) max_unacked: usize,
    pub(crate) components: HashMap<String, Zeroizing<String>>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("domains", &self.domains)
            .field("tls", &self.tls)
            .field("transport", &self.stream.transport)
            .field("allow_plain", &self.allow_plain)
            .field("sm", &self.sm)
            .field("limits", &self.stream.limits)
            .field("components", &self.components.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// Serves `domains` with SCRAM (all hashes, `-PLUS` where the TLS
    /// session gives binding data), STARTTLS required, stream management
    /// with resumption. `sasl_secret` keys the fake SCRAM records of unknown
    /// users (see [`stanzio_sasl::ServerConfig::new`]).
    pub fn new<I, S>(domains: I, sasl_secret: impl Into<Vec<u8>>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ServerConfig {
            domains: domains.into_iter().map(Into::into).collect(),
            tls: ServerTls::Required,
            sasl: stanzio_sasl::ServerConfig::new(sasl_secret),
            allow_plain: false,
            sm: Some(ServerSmPolicy::default()),
            advertise_limits: true,
            idle_timeout: Duration::from_secs(300),
            ping_timeout: Duration::from_secs(60),
            whitespace_interval: Some(Duration::from_secs(90)),
            stream: StreamSettings::new(Duration::from_secs(60)),
            max_unacked: 1000,
            components: HashMap::new(),
        }
    }

    /// TLS mode. Default [`ServerTls::Required`].
    #[must_use]
    pub fn with_tls(mut self, tls: ServerTls) -> Self {
        self.tls = tls;
        self
    }

    /// TCP (default) or WebSocket framing (RFC 7395).
    #[must_use]
    pub fn with_transport(mut self, transport: Transport) -> Self {
        self.stream.transport = transport;
        self
    }

    /// The SASL mechanisms and downgrade-protection settings.
    #[must_use]
    pub fn with_sasl(mut self, sasl: stanzio_sasl::ServerConfig) -> Self {
        self.sasl = sasl;
        self
    }

    /// Offer PLAIN (over TLS only, never in plaintext). Default off.
    #[must_use]
    pub fn with_plain(mut self, allow: bool) -> Self {
        self.allow_plain = allow;
        self
    }

    /// Stream management, or `None` to not offer it.
    #[must_use]
    pub fn with_stream_management(mut self, sm: Option<ServerSmPolicy>) -> Self {
        self.sm = sm;
        self
    }

    /// Limits on what clients may send; also advertised (XEP-0478).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.stream.limits = limits;
        self
    }

    /// How long a client may stay silent before it is checked (XEP-0199
    /// ping, or `<r/>`), and how long it then has to answer before the
    /// stream ends with `connection-timeout`.
    #[must_use]
    pub fn with_idle_timeout(mut self, idle: Duration, answer: Duration) -> Self {
        self.idle_timeout = idle;
        self.ping_timeout = answer;
        self
    }

    /// Bytes waiting for `poll_transmit` beyond which the client is
    /// considered not to read: the stream ends with `policy-violation` and
    /// the undelivered stanzas go back to the caller. Default 1 MiB.
    #[must_use]
    pub fn with_max_pending_output(mut self, bytes: usize) -> Self {
        self.stream.max_pending_output = bytes;
        self
    }

    /// Events `handle_input` queues before it stops consuming. Default 256.
    #[must_use]
    pub fn with_max_pending_events(mut self, events: usize) -> Self {
        self.stream.max_pending_events = events;
        self
    }

    /// An external component (XEP-0114) allowed to connect as `domain`.
    #[must_use]
    pub fn with_component(mut self, domain: &BareJid, secret: impl Into<String>) -> Self {
        self.components
            .insert(domain.to_string(), Zeroizing::new(secret.into()));
        self
    }

    /// How long negotiation may take. Default 60 s.
    #[must_use]
    pub fn with_negotiation_timeout(mut self, timeout: Duration) -> Self {
        self.stream.negotiation_timeout = timeout;
        self
    }
}

/// A per-connection random source (stream ids, SCRAM nonces, SM ids).
pub(crate) type Rng = Box<dyn CryptoRng + Send>;
