//! The receiving side of a stream: [`ServerConnection`], for client
//! streams (c2s) and external components (XEP-0114).

mod auth;
mod config;
mod event;
mod session;

use std::collections::VecDeque;
use std::time::Instant;

use rand_core::CryptoRng;
use stanzio_jid::{BareJid, Jid};
use stanzio_sasl::{ServerOffer, TlsInfo};
use stanzio_stanza::{
    Iq, IqPayload, Stanza, StanzaError, StreamCondition, StreamContext, StreamError,
};
use stanzio_xml::{ContentNamespace, ElementRef, StreamHeader};

pub use config::{ServerConfig, ServerSmPolicy, ServerTls};
pub use event::{PeerError, ServerCallError, ServerEvent};

use crate::elements::features::{SessionFeature, StartTlsFeature, StreamFeatures, StreamLimits};
use crate::elements::handshake::{Handshake, handshake_matches};
use crate::elements::{ElementError, Nonza};
use crate::sm::{ResumptionState, SmCounters};
use crate::stanza::Refusal;
use crate::transport::{Decoder, Incoming, InputMachine, InputStage, Outbox, Transport};
use config::Rng;

/// The server end of one XMPP stream, as a sans-IO machine: a client
/// stream (`jabber:client`, RFC 6120) or an external component
/// (`jabber:component:accept`, XEP-0114), over TCP or WebSocket (RFC 7395).
///
/// Account data stays with the caller: the machine asks through events
/// ([`ServerEvent::CredentialsNeeded`], [`ServerEvent::BindRequested`],
/// [`ServerEvent::ResumeRequested`], [`ServerEvent::AuthorizationRequested`])
/// and waits, consuming no more input, until the matching answer comes, so a
/// database lookup can be asynchronous.
///
/// # Methods
///
/// - **Construction**: [`new`](Self::new) (c2s),
///   [`component`](Self::component) (XEP-0114 acceptor).
/// - **Getters**: [`jid`](Self::jid), [`account`](Self::account),
///   [`is_online`](Self::is_online), [`is_closed`](Self::is_closed),
///   [`error`](Self::error).
/// - **`handle_*`**: [`handle_input`](Self::handle_input),
///   [`handle_timeout`](Self::handle_timeout),
///   [`handle_transport_closed`](Self::handle_transport_closed),
///   [`tls_established`](Self::tls_established).
/// - **Answers** (to the events that ask):
///   [`provide_credentials`](Self::provide_credentials),
///   [`authorize`](Self::authorize), [`bind`](Self::bind),
///   [`resume`](Self::resume).
/// - **Mutators**: [`send`](Self::send), [`close`](Self::close).
/// - **`poll_*`**: [`poll_transmit`](Self::poll_transmit),
///   [`poll_event`](Self::poll_event), [`poll_timeout`](Self::poll_timeout).
///
/// # Polling order
///
/// As for [`ClientConnection`](crate::ClientConnection): after every call
/// that changes anything, drain `poll_transmit`, then `poll_event`, then
/// ask `poll_timeout`. When [`ServerEvent::StartTls`] comes, write out what
/// `poll_transmit` held before starting TLS.
pub struct ServerConnection {
    config: ServerConfig,
    rng: Rng,
    role: Role,
    decoder: Decoder,
    outbox: Outbox,
    phase: Phase,
    events: VecDeque<ServerEvent>,
    error: Option<PeerError>,
    tls: Option<TlsInfo>,
    /// The domain the client asked for in `to`.
    domain: Option<String>,
    stream_id: String,
    /// The authenticated account.
    account: Option<BareJid>,
    context: StreamContext,
    /// What `<mechanisms/>` advertised on this stream: the SASL exchange
    /// and its XEP-0474 hash use exactly this.
    offer: Option<ServerOffer>,
    auth_failures: u32,
    sm: Option<Managed>,
    /// Stanzas given to `send` before the session was online.
    queued: VecDeque<Stanza>,
    timers: Timers,
    peer_closed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Client,
    Component,
}

struct Managed {
    counters: SmCounters,
    id: Option<String>,
    since_request: u32,
}

enum Phase {
    /// With direct TLS: waiting for the adapter's session.
    AwaitDirectTls,
    /// Waiting for the client's header.
    AwaitHeader,
    /// Features sent; waiting for the next negotiation request.
    Negotiating,
    /// `<proceed/>` sent; the adapter runs TLS.
    TlsHandshake,
    /// A SASL exchange runs.
    Authenticating(Box<auth::Exchange>),
    /// Waiting for the bind request or `<resume/>`.
    AwaitBind,
    /// [`ServerEvent::BindRequested`] is out.
    BindPending {
        iq: Box<Iq>,
    },
    /// [`ServerEvent::ResumeRequested`] is out.
    ResumePending {
        previd: String,
        h: u32,
    },
    /// Component: waiting for `<handshake/>`.
    AwaitHandshake,
    Online,
    Closing,
    Closed,
}

impl Phase {
    fn name(&self) -> &'static str {
        match self {
            Phase::AwaitDirectTls => "direct TLS",
            Phase::AwaitHeader => "stream opening",
            Phase::Negotiating => "negotiation",
            Phase::TlsHandshake => "STARTTLS",
            Phase::Authenticating(_) => "SASL",
            Phase::AwaitBind | Phase::BindPending { .. } => "resource binding",
            Phase::ResumePending { .. } => "stream resumption",
            Phase::AwaitHandshake => "component handshake",
            Phase::Online => "the session",
            Phase::Closing => "closing",
            Phase::Closed => "after close",
        }
    }

    /// Whether the machine waits for the caller's answer and reads nothing.
    fn waits_for_caller(&self) -> bool {
        match self {
            Phase::Authenticating(exchange) => exchange.waits_for_caller(),
            Phase::BindPending { .. } | Phase::ResumePending { .. } => true,
            _ => false,
        }
    }
}

struct Timers {
    now: Instant,
    negotiation_deadline: Option<Instant>,
    close_deadline: Option<Instant>,
    last_received: Instant,
    last_sent: Instant,
    check_deadline: Option<Instant>,
    /// Set while more stanzas than `max_unacked` wait for the client's
    /// acknowledgement: if they still do then, the client is not keeping
    /// up.
    ack_deadline: Option<Instant>,
    ping_id: Option<String>,
}

impl std::fmt::Debug for ServerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConnection")
            .field("phase", &self.phase.name())
            .field("account", &self.account)
            .field("jid", &self.context.sender)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// Failed SASL attempts allowed on one stream before it ends (RFC 6120
/// §6.4.5 asks for a configurable number, at least 2). Five, because
/// clients that ignore XEP-0440 try every `-PLUS` hash with a binding type
/// the server cannot check (slixmpp tries tls-unique on TLS 1.2 with
/// SCRAM-SHA-512, -256 and -1 before SCRAM without binding).
const MAX_AUTH_FAILURES: u32 = 5;

impl ServerConnection {
    /// A client stream (`jabber:client`). `rng` gives stream ids, SCRAM
    /// nonces and stream-management ids.
    pub fn new(config: ServerConfig, rng: impl CryptoRng + Send + 'static, now: Instant) -> Self {
        Self::with_role(config, Role::Client, Box::new(rng), now)
    }

    /// An external component stream (XEP-0114, `jabber:component:accept`),
    /// for the components of [`ServerConfig::with_component`].
    pub fn component(
        config: ServerConfig,
        rng: impl CryptoRng + Send + 'static,
        now: Instant,
    ) -> Self {
        Self::with_role(config, Role::Component, Box::new(rng), now)
    }

    fn with_role(config: ServerConfig, role: Role, rng: Rng, now: Instant) -> Self {
        let content = match role {
            Role::Client => ContentNamespace::Client,
            Role::Component => ContentNamespace::ComponentAccept,
        };
        let phase = if config.tls == ServerTls::DirectTls {
            Phase::AwaitDirectTls
        } else {
            Phase::AwaitHeader
        };
        ServerConnection {
            decoder: Decoder::new(config.stream.transport, config.stream.limits, content),
            outbox: Outbox::new(config.stream.transport, content),
            rng,
            role,
            phase,
            events: VecDeque::new(),
            error: None,
            tls: None,
            domain: None,
            stream_id: String::new(),
            account: None,
            context: StreamContext::new(content),
            offer: None,
            auth_failures: 0,
            sm: None,
            queued: VecDeque::new(),
            timers: Timers {
                now,
                negotiation_deadline: Some(now + config.stream.negotiation_timeout),
                close_deadline: None,
                last_received: now,
                last_sent: now,
                check_deadline: None,
                ack_deadline: None,
                ping_id: None,
            },
            peer_closed: false,
            config,
        }
    }

    // ----- getters -----

    /// The client's bound full JID (or the component's domain) once online.
    pub fn jid(&self) -> Option<Jid> {
        match self.role {
            Role::Client => self.context.sender.clone().map(Jid::from),
            Role::Component => self
                .domain
                .as_deref()
                .filter(|_| matches!(self.phase, Phase::Online | Phase::Closing))
                .and_then(|domain| Jid::new(domain).ok()),
        }
    }

    /// The authenticated account.
    pub fn account(&self) -> Option<&BareJid> {
        self.account.as_ref()
    }

    /// Whether stanzas flow.
    pub fn is_online(&self) -> bool {
        matches!(self.phase, Phase::Online)
    }

    /// Whether the connection is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// What ended the connection, if it failed.
    pub fn error(&self) -> Option<&PeerError> {
        self.error.as_ref()
    }

    // ----- handle_* -----

    /// Feeds bytes from the client. Returns how many were consumed: input
    /// stops while an answer is awaited or the event queue is full; feed
    /// the rest again after answering or draining.
    ///
    /// # Errors
    ///
    /// The [`PeerError`] that ended the connection, now or earlier.
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<usize, PeerError> {
        crate::transport::handle_input(self, now, input)
    }

    /// Runs what was due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        self.timers.now = now;
        let due = |deadline: Option<Instant>| deadline.is_some_and(|d| d <= now);
        if due(self.timers.close_deadline) {
            self.fail(PeerError::Timeout("the closing handshake"), None);
            return;
        }
        if due(self.timers.ack_deadline) {
            self.overflow();
            return;
        }
        if due(self.timers.negotiation_deadline) || due(self.timers.check_deadline) {
            let stage = if due(self.timers.check_deadline) {
                "the liveness check"
            } else {
                self.phase.name()
            };
            let error = StreamError::new(StreamCondition::ConnectionTimeout);
            self.fail(PeerError::Timeout(stage), Some(error));
            return;
        }
        if !self.is_online() {
            return;
        }
        if self.timers.check_deadline.is_none()
            && now >= self.timers.last_received + self.config.idle_timeout
        {
            self.check_liveness(now);
        }
        if let Some(interval) = self.config.whitespace_interval
            && self.config.stream.transport == Transport::Tcp
            && now >= self.timers.last_sent + interval
        {
            self.outbox.whitespace();
            self.timers.last_sent = now;
        }
    }

    /// The transport closed.
    pub fn handle_transport_closed(&mut self, now: Instant) {
        self.timers.now = now;
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        if self.peer_closed {
            self.finish(None);
        } else {
            self.fail(PeerError::UnexpectedEof, None);
        }
    }

    /// The adapter finished the TLS handshake (after
    /// [`ServerEvent::StartTls`], or before any input with direct TLS).
    ///
    /// # Errors
    ///
    /// [`ServerCallError::NotAsked`] when no handshake was expected.
    pub fn tls_established(&mut self, now: Instant, tls: TlsInfo) -> Result<(), ServerCallError> {
        self.timers.now = now;
        match self.phase {
            Phase::TlsHandshake => {
                self.decoder.restart();
                self.tls = Some(tls);
                self.phase = Phase::AwaitHeader;
                Ok(())
            }
            Phase::AwaitDirectTls => {
                self.tls = Some(tls);
                self.phase = Phase::AwaitHeader;
                Ok(())
            }
            _ => Err(ServerCallError::NotAsked),
        }
    }

    // ----- mutators -----

    /// Sends a stanza to the client. Before the session is online it waits;
    /// with stream management it is kept until acknowledged. A client that
    /// does not read ends with `policy-violation` once its queue is over
    /// the limit (1 MiB unwritten, [`ServerConfig::with_max_pending_output`]),
    /// and so does one that leaves more than 1000 stanzas unacknowledged
    /// for longer than the ping timeout after being asked, or more than
    /// 2000 at any time; every undelivered stanza comes back in
    /// [`ServerEvent::Disconnected`].
    ///
    /// # Errors
    ///
    /// [`ServerCallError::Closed`] (the stanza is not taken),
    /// [`ServerCallError::Unserializable`].
    pub fn send(&mut self, stanza: impl Into<Stanza>) -> Result<(), ServerCallError> {
        let stanza = stanza.into();
        match self.phase {
            Phase::Closing | Phase::Closed => Err(ServerCallError::Closed),
            Phase::Online => self.write_stanza(stanza),
            _ => {
                self.queued.push_back(stanza);
                if self.queued.len() > self.config.max_unacked {
                    self.overflow();
                }
                Ok(())
            }
        }
    }

    /// Closes the stream (RFC 6120 §4.4), with an ack of what was received.
    pub fn close(&mut self) {
        match self.phase {
            Phase::Closing | Phase::Closed => {}
            _ => {
                self.send_ack();
                self.outbox.close();
                self.timers.close_deadline =
                    Some(self.timers.now + self.config.stream.close_timeout);
                if self.peer_closed {
                    self.finish(None);
                } else {
                    self.phase = Phase::Closing;
                }
            }
        }
    }

    /// Closes the stream with a stream error (for example `system-shutdown`
    /// or `conflict` when another session replaces this one).
    pub fn close_with_error(&mut self, error: StreamError) {
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        let _ = self.outbox.element(|w| error.write_to(w));
        self.close();
    }

    // ----- poll_* -----

    /// The next bytes to send, into `buf` (cleared first).
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> Option<usize> {
        self.outbox.poll(buf)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        crate::transport::pop_event(&mut self.events)
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.phase, Phase::Closed) {
            return None;
        }
        let timers = &self.timers;
        let online = self.is_online();
        let idle = (online && timers.check_deadline.is_none())
            .then(|| timers.last_received + self.config.idle_timeout);
        let whitespace = self
            .config
            .whitespace_interval
            .filter(|_| online && self.config.stream.transport == Transport::Tcp)
            .map(|interval| timers.last_sent + interval);
        [
            timers.negotiation_deadline,
            timers.close_deadline,
            timers.check_deadline,
            timers.ack_deadline,
            idle,
            whitespace,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- internals -----

    fn on_incoming(&mut self, unit: Incoming) {
        match unit {
            Incoming::Header(header) => self.on_header(header),
            Incoming::Element(element) => {
                self.on_element(element.root());
                self.decoder.recycle(element);
            }
            Incoming::Whitespace => {}
            Incoming::End { .. } => {
                self.peer_closed = true;
                if matches!(self.phase, Phase::Closing) {
                    self.finish(None);
                } else {
                    // RFC 6120 §4.4: answer the close with ours.
                    self.send_ack();
                    self.outbox.close();
                    self.finish(None);
                }
            }
        }
    }

    /// RFC 6120 §4.7 and §4.9.1.2: the answer header goes out first, even
    /// when the client's header is refused, then the error.
    fn on_header(&mut self, header: StreamHeader) {
        if !matches!(self.phase, Phase::AwaitHeader) {
            let error = StreamError::new(StreamCondition::NotWellFormed);
            self.fail(PeerError::BadHeader("a second stream header"), Some(error));
            return;
        }
        let served = header.to.as_deref().and_then(|to| self.served_domain(to));
        let mut id = [0u8; 12];
        self.rng.fill_bytes(&mut id);
        self.stream_id = id.iter().map(|b| format!("{b:02x}")).collect();
        if let Some(lang) = &header.lang {
            self.context.lang = Some(lang.clone());
        }
        let reply = StreamHeader {
            to: None,
            from: served
                .clone()
                .or_else(|| self.config.domains.first().cloned()),
            id: Some(self.stream_id.clone()),
            version: (self.role == Role::Client).then(|| "1.0".to_owned()),
            lang: Some(header.lang.clone().unwrap_or_else(|| "en".to_owned())),
            ns: Some(self.context.ns),
        };
        if self.outbox.header(&reply).is_err() {
            let error = StreamError::new(StreamCondition::BadFormat);
            self.fail(PeerError::BadHeader("xml:lang"), Some(error));
            return;
        }
        self.timers.last_sent = self.timers.now;
        if header.ns.is_some_and(|ns| ns != self.context.ns) {
            let error = StreamError::new(StreamCondition::InvalidNamespace);
            self.fail(PeerError::BadHeader("content namespace"), Some(error));
            return;
        }
        let Some(domain) = served else {
            let error = StreamError::new(StreamCondition::HostUnknown);
            self.fail(PeerError::BadHeader("to"), Some(error));
            return;
        };
        if self.role == Role::Client {
            // RFC 6120 §4.7.5: major version 1; no version is pre-1.0.
            let version_ok = header
                .version
                .as_deref()
                .is_some_and(|v| v.split('.').next() == Some("1"));
            if !version_ok {
                let error = StreamError::new(StreamCondition::UnsupportedVersion);
                self.fail(PeerError::BadHeader("version"), Some(error));
                return;
            }
        }
        self.domain = Some(domain);
        match self.role {
            Role::Client => self.send_features(),
            Role::Component => self.phase = Phase::AwaitHandshake,
        }
    }

    /// The served domain (or component) `to` names, as served.
    fn served_domain(&self, to: &str) -> Option<String> {
        let jid = Jid::new(to).ok()?;
        if jid.node().is_some() || jid.resource().is_some() {
            return None;
        }
        let domain = jid.domain();
        let served = match self.role {
            Role::Client => self.config.domains.iter().any(|d| d == domain),
            Role::Component => self.config.components.contains_key(domain),
        };
        served.then(|| domain.to_owned())
    }

    /// The features of this stage (RFC 6120 §4.3.2).
    fn send_features(&mut self) {
        let mut features = StreamFeatures::default();
        let tls_required = self.config.tls != ServerTls::DangerousPlaintext;
        if self.tls.is_none() && tls_required {
            // §5.3.1: with TLS mandatory, nothing else before it.
            features.starttls = Some(StartTlsFeature { required: true });
        } else if self.account.is_none() {
            let offer = self.sasl_offer();
            features.mechanisms = Some(offer.mechanisms.clone());
            features.channel_binding_types = offer.channel_binding_types.clone();
            self.offer = Some(offer);
        } else {
            features.bind = true;
            features.session = Some(SessionFeature { optional: true });
            features.sm = self.config.sm.is_some();
        }
        if self.config.advertise_limits {
            features.limits = Some(StreamLimits {
                max_bytes: u32::try_from(self.config.stream.limits.max_element_bytes).ok(),
                idle_seconds: u32::try_from(self.config.idle_timeout.as_secs()).ok(),
            });
        }
        self.write_nonza(|w| features.write_to(w));
        self.phase = if self.account.is_some() {
            Phase::AwaitBind
        } else {
            Phase::Negotiating
        };
    }

    /// What this stream offers: the SASL configuration's mechanisms for
    /// this TLS state, PLAIN only over TLS and only if allowed.
    fn sasl_offer(&self) -> ServerOffer {
        let mut offer = self.config.sasl.offer(self.tls.as_ref());
        if !self.config.allow_plain || self.tls.is_none() {
            offer.mechanisms.retain(|m| m != "PLAIN");
        }
        offer
    }

    fn on_element(&mut self, root: ElementRef<'_>) {
        if root.is("error", crate::ns::NS_STREAM) {
            let error = StreamError::from_element(root, &self.context)
                .unwrap_or_else(|_| StreamError::new(StreamCondition::UndefinedCondition));
            self.outbox.close();
            self.fail(PeerError::StreamError(Box::new(error)), None);
            return;
        }
        match Nonza::from_element(root) {
            Some(Ok(nonza)) => self.on_nonza(root, nonza),
            Some(Err(error)) => self.on_malformed(error),
            None if crate::stanza::is_stanza_name(root) => self.on_stanza(root),
            None => self.unexpected(root),
        }
    }

    fn on_nonza(&mut self, root: ElementRef<'_>, nonza: Nonza) {
        match (nonza, &self.phase) {
            (Nonza::Tls(element), Phase::Negotiating) => self.on_starttls(root, element),
            (Nonza::Sasl(element), Phase::Negotiating | Phase::Authenticating(_)) => {
                self.on_sasl(element);
            }
            (Nonza::Handshake(Handshake(digest)), Phase::AwaitHandshake) => {
                self.on_handshake(digest.as_deref().unwrap_or_default());
            }
            (Nonza::Sm(element), Phase::AwaitBind | Phase::Online | Phase::Closing) => {
                self.on_sm(root, element);
            }
            _ => self.unexpected(root),
        }
    }

    fn on_malformed(&mut self, error: ElementError) {
        let stream_error = StreamError::new(error.stream_condition());
        self.fail(PeerError::Malformed(error), Some(stream_error));
    }

    fn unexpected(&mut self, root: ElementRef<'_>) {
        let error = StreamError::new(StreamCondition::UnsupportedStanzaType);
        self.fail(
            PeerError::Unexpected {
                name: root.name().to_owned(),
                ns: root.ns().to_owned(),
                stage: self.phase.name(),
            },
            Some(error),
        );
    }

    fn on_starttls(&mut self, root: ElementRef<'_>, element: crate::elements::tls::TlsElement) {
        use crate::elements::tls::TlsElement;
        let offered = self.tls.is_none()
            && self.config.tls == ServerTls::Required
            && self.config.stream.transport == Transport::Tcp;
        if element != TlsElement::StartTls || !offered {
            self.unexpected(root);
            return;
        }
        self.write_nonza(|w| TlsElement::Proceed.write_to(w));
        self.phase = Phase::TlsHandshake;
        self.events.push_back(ServerEvent::StartTls);
    }

    /// XEP-0114 §3: the digest of the stream id and the shared secret.
    fn on_handshake(&mut self, digest: &str) {
        let secret = self
            .domain
            .as_deref()
            .and_then(|domain| self.config.components.get(domain));
        let good = secret.is_some_and(|secret| handshake_matches(digest, &self.stream_id, secret));
        if !good {
            let error = StreamError::new(StreamCondition::NotAuthorized);
            self.fail(PeerError::HandshakeRefused, Some(error));
            return;
        }
        self.write_nonza(|w| Handshake(None).write_to(w));
        let Some(jid) = self.domain.as_deref().and_then(|d| Jid::new(d).ok()) else {
            return;
        };
        self.go_online(jid, false);
    }

    fn on_stanza(&mut self, root: ElementRef<'_>) {
        match self.phase {
            Phase::Online | Phase::Closing => {}
            Phase::AwaitBind if self.role == Role::Client => {
                self.on_bind_stage_iq(root);
                return;
            }
            _ => {
                // RFC 6120 §6.4.1 (and XEP-0114 §3 for components): nothing
                // is routed before authentication.
                let error = StreamError::new(StreamCondition::NotAuthorized);
                self.fail(PeerError::NotAuthenticated, Some(error));
                return;
            }
        }
        if let Some(managed) = &mut self.sm {
            managed.counters.received();
        }
        match crate::stanza::parse(root, &self.context) {
            Ok(stanza) => self.on_online_stanza(stanza),
            Err(Refusal::Stream(error)) => self.fail(
                PeerError::Unexpected {
                    name: root.name().to_owned(),
                    ns: root.ns().to_owned(),
                    stage: self.phase.name(),
                },
                Some(*error),
            ),
            Err(Refusal::Invalid(error)) => {
                if let Some(reply) = error.error_reply() {
                    let _ = self.write_stanza(self.addressed_to_client(reply));
                }
                self.events.push_back(ServerEvent::InvalidStanza(error));
            }
        }
    }

    /// Error replies built from a malformed stanza go to the client this
    /// stream verified, never to an address the stanza claimed.
    fn addressed_to_client(&self, reply: Stanza) -> Stanza {
        let to = self.jid();
        match reply {
            Stanza::Message(mut m) => {
                m.to = to;
                m.from = None;
                Stanza::Message(m)
            }
            Stanza::Presence(mut p) => {
                p.to = to;
                p.from = None;
                Stanza::Presence(p)
            }
            Stanza::Iq(mut iq) => {
                iq.to = to;
                iq.from = None;
                Stanza::Iq(iq)
            }
        }
    }

    fn on_online_stanza(&mut self, mut stanza: Stanza) {
        match self.role {
            Role::Client => {
                // RFC 6120 §8.1.2.1: the server stamps the full JID; a
                // client claiming anyone else gets `invalid-from`.
                let Some(full) = self.context.sender.clone() else {
                    return;
                };
                if let Some(from) = stanza.from_jid()
                    && from != &Jid::from(full.clone())
                    && from != &Jid::from(full.to_bare())
                {
                    let claimed = from.to_string();
                    let error = StreamError::new(StreamCondition::InvalidFrom);
                    self.fail(PeerError::InvalidFrom(claimed), Some(error));
                    return;
                }
                set_from(&mut stanza, Jid::from(full));
            }
            Role::Component => {
                // XEP-0114 §3: `from` inside the component's domain, and
                // a `to`.
                let domain = self.domain.as_deref().unwrap_or_default();
                let from_ok = stanza
                    .from_jid()
                    .is_some_and(|from| from.domain() == domain);
                if !from_ok {
                    let claimed = stanza
                        .from_jid()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    let error = StreamError::new(StreamCondition::InvalidFrom);
                    self.fail(PeerError::InvalidFrom(claimed), Some(error));
                    return;
                }
                if stanza.to_jid().is_none() {
                    let error = StreamError::new(StreamCondition::ImproperAddressing);
                    self.fail(
                        PeerError::Unexpected {
                            name: stanza.kind().as_str().to_owned(),
                            ns: self.context.ns.as_str().to_owned(),
                            stage: "the session (no `to`)",
                        },
                        Some(error),
                    );
                    return;
                }
            }
        }
        if let Stanza::Iq(iq) = &stanza {
            if self.timers.ping_id.as_deref() == Some(iq.id.as_str())
                && matches!(iq.payload, IqPayload::Result(_) | IqPayload::Error { .. })
            {
                self.timers.ping_id = None;
                return;
            }
            if self.is_for_server(iq) && session::is_session_request(iq) {
                // RFC 3921 §3 session: nothing to establish any more.
                if let Some(reply) = iq.result_reply(None, &self.context) {
                    let _ = self.write_stanza(Stanza::Iq(reply));
                }
                return;
            }
            if self.is_for_server(iq)
                && let IqPayload::Get(payload) = &iq.payload
                && crate::elements::ping::is_ping(payload.root())
            {
                // XEP-0199 §4.1: the server answers pings addressed to it.
                if let Some(pong) = iq.result_reply(None, &self.context) {
                    let _ = self.write_stanza(Stanza::Iq(pong));
                }
                return;
            }
        }
        self.events.push_back(ServerEvent::Stanza(stanza));
    }

    /// An IQ without `to`, or to the served domain, is for the server
    /// itself (RFC 6120 §10.3.3).
    fn is_for_server(&self, iq: &Iq) -> bool {
        iq.to
            .as_ref()
            .is_none_or(|to| Some(to.as_str()) == self.domain.as_deref())
    }

    /// Writes a stanza for the client, tracking it for stream management.
    fn write_stanza(&mut self, stanza: Stanza) -> Result<(), ServerCallError> {
        if self.outbox.len() >= self.config.stream.max_pending_output {
            // The client does not read: keep the stanza for the caller.
            self.queued.push_back(stanza);
            self.overflow();
            return Ok(());
        }
        self.outbox.element(|w| stanza.write_to(w))?;
        self.timers.last_sent = self.timers.now;
        let ack_every = self.config.sm.as_ref().map_or(u32::MAX, |sm| sm.ack_every);
        let mut request = false;
        if let Some(managed) = &mut self.sm {
            managed.counters.sent(stanza);
            managed.since_request += 1;
            if managed.since_request >= ack_every {
                managed.since_request = 0;
                request = true;
            }
            // A burst (bounces of what the client sent to a session that
            // ended, a resumed session's backlog) may pass the limit
            // before the client could acknowledge anything: it gets one
            // request and `ping_timeout` to catch up. Twice the limit ends
            // the stream at once.
            let unacked = managed.counters.unacked.len();
            if unacked > 2 * self.config.max_unacked {
                self.overflow();
                return Ok(());
            }
            if unacked > self.config.max_unacked && self.timers.ack_deadline.is_none() {
                self.timers.ack_deadline = Some(self.timers.now + self.config.ping_timeout);
                managed.since_request = 0;
                request = true;
            }
        }
        if request {
            self.write_nonza(|w| crate::elements::sm::SmElement::Request.write_to(w));
        }
        Ok(())
    }

    /// The client does not read: end with `policy-violation`.
    fn overflow(&mut self) {
        let error = StreamError::new(StreamCondition::PolicyViolation)
            .with_text(None, "the stream is not being read or acknowledged");
        self.fail(PeerError::OutputOverflow, Some(error));
    }

    fn write_nonza(&mut self, write: impl FnOnce(&mut stanzio_xml::XmlWriter<'_>)) {
        if self.outbox.element(write).is_ok() {
            self.timers.last_sent = self.timers.now;
        }
    }

    fn go_online(&mut self, jid: Jid, resumed: bool) {
        self.phase = Phase::Online;
        self.timers.negotiation_deadline = None;
        self.events.push_back(ServerEvent::Online { jid, resumed });
        while let Some(stanza) = self.queued.pop_front() {
            let _ = self.write_stanza(stanza);
            if self.is_closed() {
                break;
            }
        }
    }

    /// Checks a silent client: `<r/>` with stream management, a ping
    /// otherwise (XEP-0199 §4.2).
    fn check_liveness(&mut self, now: Instant) {
        self.timers.check_deadline = Some(now + self.config.ping_timeout);
        if self
            .sm
            .as_ref()
            .is_some_and(|m| m.id.is_some() || m.counters.outbound > 0)
        {
            self.write_nonza(|w| crate::elements::sm::SmElement::Request.write_to(w));
            return;
        }
        let mut id = [0u8; 8];
        self.rng.fill_bytes(&mut id);
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let mut ping = Iq::get(id.clone(), crate::elements::ping::ping_payload());
        ping.to = self.jid();
        ping.from = self.domain.as_deref().and_then(|d| Jid::new(d).ok());
        self.write_nonza(|w| ping.write_to(w));
        self.timers.ping_id = Some(id);
    }

    fn send_ack(&mut self) {
        let Some(managed) = &self.sm else {
            return;
        };
        let ack = crate::elements::sm::SmElement::Ack {
            h: managed.counters.inbound,
        };
        self.write_nonza(|w| ack.write_to(w));
    }

    /// Ends the connection with a peer error; `stream_error` first.
    fn fail(&mut self, error: PeerError, stream_error: Option<StreamError>) {
        if self.error.is_some() || matches!(self.phase, Phase::Closed) {
            return;
        }
        if let Some(stream_error) = stream_error {
            let _ = self.outbox.element(|w| stream_error.write_to(w));
            self.outbox.close();
        }
        self.error = Some(error.clone());
        self.finish(Some(error));
    }

    fn finish(&mut self, error: Option<PeerError>) {
        self.phase = Phase::Closed;
        let mut undelivered = Vec::new();
        let mut resumption = None;
        if let Some(managed) = self.sm.take() {
            let resumable = error.is_some() && managed.id.is_some();
            match (resumable, self.context.sender.clone()) {
                (true, Some(jid)) => {
                    let counters = managed.counters;
                    resumption = Some(ResumptionState {
                        id: managed.id.unwrap_or_default(),
                        location: self.config.sm.as_ref().and_then(|sm| sm.location.clone()),
                        jid,
                        handled: counters.inbound,
                        sent: counters.outbound,
                        acked: counters.acked,
                        unacked: counters
                            .unacked
                            .into_iter()
                            .chain(self.queued.drain(..))
                            .collect(),
                    });
                }
                _ => undelivered.extend(managed.counters.unacked),
            }
        }
        undelivered.extend(self.queued.drain(..));
        self.events.push_back(ServerEvent::Disconnected {
            error,
            resumption,
            undelivered,
        });
    }

    fn stanza_error_reply(&mut self, iq: &Iq, error: StanzaError) {
        if let Some(reply) = iq.error_reply(error, &self.context) {
            self.write_nonza(|w| reply.write_to(w));
        }
    }
}

impl InputMachine for ServerConnection {
    type Error = PeerError;

    fn error(&self) -> Option<&PeerError> {
        self.error.as_ref()
    }

    fn input_stage(&self) -> InputStage {
        match self.phase {
            Phase::Closed => InputStage::Closed,
            Phase::TlsHandshake => InputStage::TlsHandshake,
            Phase::AwaitDirectTls => InputStage::AwaitDirectTls,
            _ => InputStage::Reading,
        }
    }

    fn may_read(&self) -> bool {
        self.events.len() < self.config.stream.max_pending_events && !self.phase.waits_for_caller()
    }

    fn decoder(&mut self) -> &mut Decoder {
        &mut self.decoder
    }

    fn received(&mut self, now: Instant) {
        self.timers.now = now;
        self.timers.last_received = now;
        self.timers.check_deadline = None;
    }

    fn on_incoming(&mut self, _now: Instant, unit: Incoming) {
        ServerConnection::on_incoming(self, unit);
    }

    fn fail(&mut self, error: PeerError, stream_error: Option<StreamError>) {
        ServerConnection::fail(self, error, stream_error);
    }

    fn plaintext_after_proceed(bytes: usize) -> PeerError {
        PeerError::PlaintextAfterProceed(bytes)
    }

    fn withdraw_start_tls(&mut self) {
        self.events
            .retain(|event| !matches!(event, ServerEvent::StartTls));
    }

    fn input_before_tls() -> PeerError {
        PeerError::BadHeader("input before the TLS session")
    }
}

/// Sets `from` on any stanza.
fn set_from(stanza: &mut Stanza, from: Jid) {
    match stanza {
        Stanza::Message(m) => m.from = Some(from),
        Stanza::Presence(p) => p.from = Some(from),
        Stanza::Iq(iq) => iq.from = Some(from),
    }
}
