//! The client side of a stream: [`ClientConnection`].

mod auth;
mod bind;
mod config;
mod event;
mod liveness;
mod stream_management;
mod tls;

use std::collections::VecDeque;
use std::time::Instant;

use stanzio_jid::Jid;
use stanzio_sasl::{ChannelBindingMemory, TlsInfo};
use stanzio_stanza::{Iq, IqPayload, Stanza, StreamCondition, StreamContext, StreamError};
use stanzio_xml::{ContentNamespace, Element, StreamHeader};

pub use config::{ClientConfig, ConfigError, KeepalivePolicy, SmPolicy, TlsMode};
pub use event::{ClientEvent, ConnectionError, SendError};

use crate::elements::features::StreamFeatures;
use crate::elements::handshake::{Handshake, handshake_digest};
use crate::elements::{ElementError, Nonza};
use crate::sm::ResumptionState;
use crate::stanza::Refusal;
use crate::transport::{Decoder, Incoming, InputMachine, InputStage, Outbox, Transport};
use config::Role;

/// The client end of one XMPP stream (RFC 6120), as a sans-IO machine: the
/// whole life of one connection from the first header to
/// `</stream:stream>`, for a client (`jabber:client`), an external
/// component (XEP-0114) or a WebSocket client (RFC 7395).
///
/// It never touches a socket, a clock or the OS random source: bytes, the
/// current time and randomness (in the [`ClientConfig`]) come in; bytes to
/// send, events and the next deadline come out.
///
/// # Methods
///
/// - **Construction**: [`new`](Self::new) checks the configuration and
///   queues the stream header.
/// - **Getters**: [`jid`](Self::jid), [`is_online`](Self::is_online),
///   [`is_closed`](Self::is_closed), [`error`](Self::error),
///   [`stream_management`](Self::stream_management), [`tls`](Self::tls),
///   [`channel_binding_memory`](Self::channel_binding_memory).
/// - **`handle_*`** (the outside world happened):
///   [`handle_input`](Self::handle_input) (bytes arrived),
///   [`handle_timeout`](Self::handle_timeout) (a deadline passed),
///   [`handle_transport_closed`](Self::handle_transport_closed),
///   [`tls_established`](Self::tls_established) (the adapter finished the
///   TLS handshake).
/// - **Mutators** (the application wants something):
///   [`send`](Self::send), [`send_element`](Self::send_element),
///   [`request_ack`](Self::request_ack), [`close`](Self::close),
///   [`take_resumption`](Self::take_resumption).
/// - **`poll_*`** (what the machine wants done):
///   [`poll_transmit`](Self::poll_transmit) (bytes to write),
///   [`poll_event`](Self::poll_event) (what happened),
///   [`poll_timeout`](Self::poll_timeout) (when to call `handle_timeout`).
///
/// # Polling order
///
/// After every `handle_*` call and every mutator, drain
/// [`poll_transmit`](Self::poll_transmit) until `None` and write what it
/// gives, then drain [`poll_event`](Self::poll_event) until `None`, then
/// ask [`poll_timeout`](Self::poll_timeout) for the next deadline. When
/// [`ClientEvent::StartTls`] comes, write out everything `poll_transmit`
/// held *before* starting TLS.
///
/// # Input
///
/// [`handle_input`](Self::handle_input) accepts any split of the bytes (one
/// at a time gives the same result as all at once) and returns how many it
/// consumed: it stops once [`ClientConfig::with_max_pending_events`] events
/// wait, so a flood of tiny stanzas cannot queue unbounded work; feed the
/// rest again after draining the events. On a WebSocket, each call is one
/// whole message.
///
/// # Errors
///
/// *Peer errors* ([`ConnectionError`]: the server broke the protocol, a
/// timeout passed) end the connection: the stream error RFC 6120 names is
/// queued for the server, [`ClientEvent::Disconnected`] is reported, and
/// the error is sticky. *Caller errors* ([`SendError`]) change nothing.
///
/// However the connection ends, no stanza given to [`send`](Self::send)
/// is dropped silently: a resumable session keeps the unacknowledged ones
/// for [`take_resumption`](Self::take_resumption), and everything else
/// that may not have arrived comes back in [`ClientEvent::Undelivered`].
pub struct ClientConnection {
    config: ClientConfig,
    decoder: Decoder,
    outbox: Outbox,
    phase: Phase,
    events: VecDeque<ClientEvent>,
    error: Option<ConnectionError>,
    /// The TLS session, once the adapter reported it.
    tls: Option<TlsInfo>,
    authenticated: bool,
    /// What the successful SASL exchange taught about channel binding.
    channel_binding_memory: Option<ChannelBindingMemory>,
    /// The server's header: the stream id (for the component handshake)
    /// and its language.
    stream_id: Option<String>,
    context: StreamContext,
    /// The last `<stream:features/>`.
    features: StreamFeatures,
    jid: Option<Jid>,
    sm: stream_management::SmLink,
    /// Stanzas sent before the session was ready, written once it is.
    queued: VecDeque<Stanza>,
    timers: liveness::Timers,
    /// Whether the server's `</stream:stream>` arrived.
    peer_closed: bool,
    /// Whether our `</stream:stream>` is out: nothing may follow it
    /// (RFC 6120 §4.4).
    close_sent: bool,
}

/// Where the connection is in its life.
enum Phase {
    /// Waiting for the adapter's direct TLS session before the header.
    AwaitDirectTls,
    /// Our header is out; the server's has not arrived.
    AwaitHeader,
    /// The server's header arrived; its features have not.
    AwaitFeatures,
    /// `<starttls/>` is out.
    StartTlsRequested,
    /// `<proceed/>` arrived; the adapter runs the TLS handshake.
    TlsHandshake,
    /// A SASL exchange runs.
    Authenticating(Box<auth::Exchange>),
    /// The component `<handshake/>` is out.
    Handshaking,
    /// `<resume/>` is out.
    Resuming(Box<ResumptionState>),
    /// The bind request is out.
    Binding { id: String },
    /// The legacy session request is out.
    StartingSession { id: String },
    /// Stanzas flow.
    Online,
    /// Our `</stream:stream>` is out; waiting for the server's.
    Closing,
    /// Nothing more happens.
    Closed,
}

impl Phase {
    fn name(&self) -> &'static str {
        match self {
            Phase::AwaitDirectTls => "direct TLS",
            Phase::AwaitHeader => "stream opening",
            Phase::AwaitFeatures => "stream features",
            Phase::StartTlsRequested | Phase::TlsHandshake => "STARTTLS",
            Phase::Authenticating(_) => "SASL",
            Phase::Handshaking => "component handshake",
            Phase::Resuming(_) => "stream resumption",
            Phase::Binding { .. } => "resource binding",
            Phase::StartingSession { .. } => "session establishment",
            Phase::Online => "the session",
            Phase::Closing => "closing",
            Phase::Closed => "after close",
        }
    }
}

impl std::fmt::Debug for ClientConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConnection")
            .field("phase", &self.phase.name())
            .field("jid", &self.jid)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl ClientConnection {
    /// Checks `config` and starts the stream: the header is queued for
    /// [`poll_transmit`](Self::poll_transmit) (with [`TlsMode::DirectTls`],
    /// once [`tls_established`](Self::tls_established) reported the
    /// session).
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the setting that cannot work.
    pub fn new(mut config: ClientConfig, now: Instant) -> Result<Self, ConfigError> {
        config.check()?;
        if config.stream.transport == Transport::WebSocket && config.tls == TlsMode::Required {
            // RFC 7395 §3.9: TLS comes from `wss://`, never STARTTLS.
            config.tls = TlsMode::DirectTls;
        }
        let content = match config.role {
            Role::Client { .. } => ContentNamespace::Client,
            Role::Component { .. } => ContentNamespace::ComponentAccept,
        };
        let timers = liveness::Timers::new(now, config.stream.negotiation_timeout);
        let mut connection = ClientConnection {
            decoder: Decoder::new(config.stream.transport, config.stream.limits, content),
            outbox: Outbox::new(config.stream.transport, content),
            phase: Phase::AwaitHeader,
            events: VecDeque::new(),
            error: None,
            tls: None,
            authenticated: false,
            channel_binding_memory: None,
            stream_id: None,
            context: match &config.lang {
                Some(lang) => StreamContext::new(content).with_lang(lang.clone()),
                None => StreamContext::new(content),
            },
            features: StreamFeatures::default(),
            jid: None,
            sm: stream_management::SmLink::Off,
            queued: VecDeque::new(),
            timers,
            peer_closed: false,
            close_sent: false,
            config,
        };
        if connection.config.tls == TlsMode::DirectTls {
            connection.phase = Phase::AwaitDirectTls;
        } else {
            connection.open_stream();
        }
        Ok(connection)
    }

    // ----- getters -----

    /// The address of this session: the bound full JID (or the component's
    /// domain) once online.
    pub fn jid(&self) -> Option<&Jid> {
        self.jid.as_ref()
    }

    /// Whether stanzas flow.
    pub fn is_online(&self) -> bool {
        matches!(self.phase, Phase::Online)
    }

    /// Whether the connection is over (cleanly or not).
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// What ended the connection, if it failed.
    pub fn error(&self) -> Option<&ConnectionError> {
        self.error.as_ref()
    }

    /// The TLS session the adapter reported.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// What this login taught about the server's channel binding, once
    /// SASL succeeded (`None` before, and for components): store it per
    /// server and account and give it to the next connection with
    /// [`ClientConfig::with_channel_binding_memory`]. After a login with
    /// channel binding it pins the account (XEP-0474 §7 style).
    pub fn channel_binding_memory(&self) -> Option<ChannelBindingMemory> {
        self.channel_binding_memory
    }

    /// Stream management: `None` when off, else `(resumable, unacked)`: whether
    /// the session can be resumed and how many sent stanzas wait for an ack.
    pub fn stream_management(&self) -> Option<(bool, usize)> {
        self.sm.status()
    }

    // ----- handle_* -----

    /// Feeds bytes from the transport (after TLS decryption). Returns how
    /// many were consumed; call again with the rest after draining events.
    ///
    /// # Errors
    ///
    /// The [`ConnectionError`] that ended the connection, now or earlier.
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<usize, ConnectionError> {
        crate::transport::handle_input(self, now, input)
    }

    /// Runs what was due at `now`: keepalives, pings, ack requests, and
    /// the timeouts that end a connection.
    pub fn handle_timeout(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        self.timers.now = now;
        self.run_timers(now);
    }

    /// The transport closed (the socket read end-of-file or failed).
    pub fn handle_transport_closed(&mut self, now: Instant) {
        self.timers.now = now;
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        let clean = self.peer_closed || self.decoder.eof().is_ok() && self.jid.is_none();
        if clean && matches!(self.phase, Phase::Closing) {
            self.finish(None);
        } else {
            self.fail(ConnectionError::UnexpectedEof, None);
        }
    }

    /// The adapter finished the TLS handshake, after [`ClientEvent::StartTls`]
    /// or, with [`TlsMode::DirectTls`], before any input. `tls` carries the
    /// version and the channel-binding data the session offers.
    ///
    /// # Errors
    ///
    /// [`SendError::UnexpectedTls`] when no handshake was expected.
    pub fn tls_established(&mut self, now: Instant, tls: TlsInfo) -> Result<(), SendError> {
        self.timers.now = now;
        match self.phase {
            Phase::TlsHandshake => {
                self.tls = Some(tls);
                // RFC 6120 §5.4.3.3: a new stream over the protected channel.
                self.decoder.restart();
                self.open_stream();
                Ok(())
            }
            Phase::AwaitDirectTls => {
                self.tls = Some(tls);
                self.open_stream();
                Ok(())
            }
            _ => Err(SendError::UnexpectedTls),
        }
    }

    // ----- mutators -----

    /// Sends a stanza. Before the session is online it waits in a queue
    /// and goes out once it is; with stream management it is kept until
    /// the server acknowledges it ([`ClientEvent::Acked`]).
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`], [`SendError::QueueFull`],
    /// [`SendError::TooLarge`] (XEP-0478), [`SendError::Unserializable`].
    pub fn send(&mut self, stanza: impl Into<Stanza>) -> Result<(), SendError> {
        let stanza = stanza.into();
        match self.phase {
            Phase::Closing | Phase::Closed => Err(SendError::Closed),
            Phase::Online => self.write_stanza(stanza),
            _ => {
                if self.queued.len() >= self.queue_capacity() {
                    return Err(SendError::QueueFull);
                }
                self.queued.push_back(stanza);
                Ok(())
            }
        }
    }

    /// Sends an element the application owns that is not a stanza (a
    /// nonza of an extension). It is not counted by stream management.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send); [`SendError::Closed`] also before the
    /// session is online.
    pub fn send_element(&mut self, element: &Element) -> Result<(), SendError> {
        if !matches!(self.phase, Phase::Online) {
            return Err(SendError::Closed);
        }
        self.check_output_room()?;
        let written = self.outbox.element(|w| w.element(element.root()))?;
        self.check_size(written)?;
        self.timers.sent();
        Ok(())
    }

    /// Asks the server to acknowledge what it received (`<r/>`, XEP-0198
    /// §4). Nothing happens without stream management.
    pub fn request_ack(&mut self) {
        if matches!(self.phase, Phase::Online) {
            self.send_ack_request();
        }
    }

    /// Starts the closing handshake (RFC 6120 §4.4): an ack of what was
    /// received (XEP-0198 §4 recommends it), `</stream:stream>`, then a
    /// wait for the server's close, at most the close timeout.
    pub fn close(&mut self) {
        match self.phase {
            Phase::Closing | Phase::Closed => {}
            // No stream is open: before the direct TLS session, or after
            // <proceed/>, where the plaintext stream is over and the one
            // over TLS not begun (RFC 6120 §5.4.3.3).
            Phase::AwaitDirectTls | Phase::TlsHandshake => self.finish(None),
            _ => {
                if matches!(self.phase, Phase::Online) {
                    self.send_ack();
                }
                self.write_close();
                self.timers.closing(self.config.stream.close_timeout);
                if self.peer_closed {
                    self.finish(None);
                } else if let Phase::Resuming(state) =
                    std::mem::replace(&mut self.phase, Phase::Closing)
                {
                    // Closing gives up the resumption: its stanzas go back
                    // to the application when the close completes.
                    self.config.resumption = Some(*state);
                }
            }
        }
    }

    /// Takes what is needed to resume this session on a new connection
    /// (XEP-0198 §5), once this one failed; give it to the next connection
    /// with [`ClientConfig::with_resumption`]. A connection that was given
    /// a state and failed before the server answered `<resume/>` gives the
    /// same state back, so that the next attempt can try again. `None`
    /// after a clean close, without resumable stream management (then
    /// [`ClientEvent::Undelivered`] handed the unacknowledged stanzas
    /// back), or while the connection lives.
    pub fn take_resumption(&mut self) -> Option<ResumptionState> {
        if !matches!(self.phase, Phase::Closed) || self.error.is_none() {
            return None;
        }
        if let Some(state) = self.config.resumption.take() {
            return Some(state);
        }
        let jid = self.jid.clone()?.try_into_full().ok()?;
        self.sm.take_resumption(jid)
    }

    // ----- poll_* -----

    /// Writes the next bytes to send into `buf` (cleared first) and returns
    /// their length; `None` when nothing waits. On a WebSocket each call
    /// gives one message.
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> Option<usize> {
        self.outbox.poll(buf)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        crate::transport::pop_event(&mut self.events)
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.phase, Phase::Closed) {
            return None;
        }
        self.next_deadline()
    }

    // ----- internals shared by the steps -----

    fn queue_capacity(&self) -> usize {
        self.config.sm.as_ref().map_or(500, |sm| sm.max_unacked)
    }

    /// Writes our stream header (RFC 6120 §4.7.1).
    fn open_stream(&mut self) {
        let header = match &self.config.role {
            Role::Client { account, .. } => StreamHeader {
                to: Some(account.domain().to_owned()),
                // §4.7.1: `from` only once TLS protects it, so that the
                // account name does not cross the network in the clear,
                // and only for an account with a localpart (an anonymous
                // login has no name yet; the bare domain is the server).
                from: self
                    .tls
                    .as_ref()
                    .filter(|_| account.node().is_some())
                    .map(|_| account.to_string()),
                id: None,
                version: Some("1.0".to_owned()),
                lang: self.config.lang.clone(),
                ns: Some(ContentNamespace::Client),
            },
            // XEP-0114 §3: `to` is the component's name; no version.
            Role::Component { domain, .. } => StreamHeader {
                to: Some(domain.to_string()),
                from: None,
                id: None,
                version: None,
                lang: self.config.lang.clone(),
                ns: Some(ContentNamespace::ComponentAccept),
            },
        };
        if self.outbox.header(&header).is_err() {
            // The header's values are JIDs and a language tag the caller
            // gave; a character XML cannot carry is only possible in the
            // language.
            self.fail(
                ConnectionError::BadHeader("our xml:lang cannot be written"),
                None,
            );
            return;
        }
        self.timers.sent();
        self.phase = Phase::AwaitHeader;
    }

    fn on_incoming(&mut self, now: Instant, unit: Incoming) {
        match unit {
            Incoming::Header(header) => self.on_header(header),
            Incoming::Element(element) => {
                self.on_element(now, &element);
                self.decoder.recycle(element);
            }
            Incoming::Whitespace => {}
            Incoming::End { see_other_uri } => {
                self.peer_closed = true;
                if let Some(uri) = see_other_uri {
                    self.fail(ConnectionError::SeeOtherUri(uri), None);
                } else if matches!(self.phase, Phase::Closing) {
                    self.finish(None);
                } else if matches!(self.phase, Phase::Online) {
                    // The server ends the session; answer its close (§4.4).
                    self.send_ack();
                    self.write_close();
                    self.finish(None);
                } else {
                    self.write_close();
                    self.fail(
                        ConnectionError::Unexpected {
                            name: "stream close".to_owned(),
                            ns: crate::ns::NS_STREAM.to_owned(),
                            stage: self.phase.name(),
                        },
                        None,
                    );
                }
            }
        }
    }

    /// Checks the server's header (RFC 6120 §4.7, XEP-0114 §3).
    fn on_header(&mut self, header: StreamHeader) {
        if !matches!(self.phase, Phase::AwaitHeader) {
            let error = StreamError::new(StreamCondition::NotWellFormed);
            self.fail(
                ConnectionError::BadHeader("a second stream header"),
                Some(error),
            );
            return;
        }
        let is_component = matches!(self.config.role, Role::Component { .. });
        if header.ns.is_some_and(|ns| ns != self.context.ns) {
            let error = StreamError::new(StreamCondition::InvalidNamespace);
            self.fail(ConnectionError::BadHeader("content namespace"), Some(error));
            return;
        }
        // RFC 6120 §4.7.5: major version 1; a component stream has none.
        let version_ok = match header.version.as_deref() {
            Some(version) => version.split('.').next() == Some("1"),
            None => is_component,
        };
        if !version_ok {
            let error = StreamError::new(StreamCondition::UnsupportedVersion);
            self.fail(ConnectionError::BadHeader("version"), Some(error));
            return;
        }
        // RFC 6120 §4.7.1: the server answers from the domain we asked for.
        let expected = match &self.config.role {
            Role::Client { account, .. } => account.domain().to_owned(),
            Role::Component { domain, .. } => domain.to_string(),
        };
        if let Some(from) = &header.from {
            let same = Jid::new(from).is_ok_and(|jid| jid.as_str() == expected);
            if !same {
                let error = StreamError::new(StreamCondition::InvalidFrom);
                self.fail(ConnectionError::BadHeader("from"), Some(error));
                return;
            }
        }
        if let Some(lang) = header.lang {
            self.context.lang = Some(lang);
        }
        self.stream_id = header.id;
        if is_component {
            self.send_handshake();
        } else {
            self.phase = Phase::AwaitFeatures;
        }
    }

    fn on_element(&mut self, now: Instant, element: &Element) {
        let root = element.root();
        if root.is("error", crate::ns::NS_STREAM) {
            self.on_stream_error(root);
            return;
        }
        match Nonza::from_element(root) {
            Some(Ok(nonza)) => self.on_nonza(now, root, nonza),
            Some(Err(error)) => self.on_malformed(error),
            None if crate::stanza::is_stanza_name(root) => self.on_stanza(now, root),
            None => self.unexpected(root),
        }
    }

    fn on_stream_error(&mut self, root: stanzio_xml::ElementRef<'_>) {
        let error = match StreamError::from_element(root, &self.context) {
            Ok(error) => error,
            Err(_) => StreamError::new(StreamCondition::UndefinedCondition),
        };
        let connection_error = match (&error.condition, &self.phase) {
            (StreamCondition::SeeOtherHost(target), _) => {
                let (host, port) = split_host_port(target);
                ConnectionError::SeeOtherHost { host, port }
            }
            (StreamCondition::NotAuthorized, Phase::Handshaking) => {
                ConnectionError::HandshakeRefused
            }
            _ => ConnectionError::StreamError(Box::new(error)),
        };
        // RFC 6120 §4.9.1.1: a stream error is followed by the close; ours
        // answers it.
        self.write_close();
        self.fail(connection_error, None);
    }

    fn on_nonza(&mut self, now: Instant, root: stanzio_xml::ElementRef<'_>, nonza: Nonza) {
        match (nonza, &self.phase) {
            (Nonza::Features(features), Phase::AwaitFeatures) => self.on_features(features),
            (Nonza::Tls(element), Phase::StartTlsRequested) => self.on_tls(element),
            (Nonza::Sasl(element), Phase::Authenticating(_)) => self.on_sasl(element),
            (Nonza::Handshake(Handshake(_)), Phase::Handshaking) => self.component_online(),
            (Nonza::Sm(element), Phase::Resuming(_)) => self.on_resume_answer(element),
            (Nonza::Sm(element), Phase::Online | Phase::Closing) => {
                self.on_sm(now, element);
            }
            _ => self.unexpected(root),
        }
    }

    fn on_malformed(&mut self, error: ElementError) {
        if let (ElementError::InvalidBase64 { .. }, Phase::Authenticating(_)) =
            (&error, &self.phase)
        {
            // RFC 6120 §6.4.5: the receiving side of bad base64 aborts.
            self.send_sasl_abort();
        }
        let stream_error = StreamError::new(error.stream_condition());
        self.fail(ConnectionError::Malformed(error), Some(stream_error));
    }

    fn unexpected(&mut self, root: stanzio_xml::ElementRef<'_>) {
        let error = StreamError::new(StreamCondition::UnsupportedStanzaType);
        self.fail(
            ConnectionError::Unexpected {
                name: root.name().to_owned(),
                ns: root.ns().to_owned(),
                stage: self.phase.name(),
            },
            Some(error),
        );
    }

    /// `<stream:features/>` arrived: take the next negotiation step
    /// (RFC 6120 §4.3.2; the order is TLS, SASL, then bind or resume).
    fn on_features(&mut self, features: StreamFeatures) {
        self.features = features;
        if self.tls.is_none() && self.config.tls != TlsMode::DangerousPlaintext {
            self.start_tls();
        } else if !self.authenticated {
            self.start_auth();
        } else {
            self.after_auth_features();
        }
    }

    fn on_stanza(&mut self, now: Instant, root: stanzio_xml::ElementRef<'_>) {
        match self.phase {
            Phase::Online | Phase::Closing => {}
            Phase::Binding { .. } | Phase::StartingSession { .. } => {
                self.on_negotiation_iq(root);
                return;
            }
            _ => {
                self.unexpected(root);
                return;
            }
        }
        self.sm.count_received();
        match crate::stanza::parse(root, &self.context) {
            Ok(stanza) => self.on_online_stanza(now, stanza),
            Err(Refusal::Stream(error)) => {
                self.fail(
                    ConnectionError::Unexpected {
                        name: root.name().to_owned(),
                        ns: root.ns().to_owned(),
                        stage: self.phase.name(),
                    },
                    Some(*error),
                );
            }
            Err(Refusal::Invalid(error)) => {
                if let Some(reply) = error.error_reply() {
                    // A reply to a malformed stanza is best effort: if it
                    // cannot be written, the diagnostic event still says why.
                    let _ = self.write_stanza(reply);
                }
                self.events.push_back(ClientEvent::InvalidStanza(error));
            }
        }
    }

    fn on_online_stanza(&mut self, now: Instant, stanza: Stanza) {
        if let Stanza::Iq(iq) = &stanza {
            if self.timers.is_ping_answer(iq) {
                self.timers.ping_answered();
                return;
            }
            if let IqPayload::Get(payload) = &iq.payload
                && crate::elements::ping::is_ping(payload.root())
            {
                // XEP-0199 §4: answer the server's ping.
                if let Some(pong) = iq.result_reply(None, &self.context) {
                    let _ = self.write_stanza(Stanza::Iq(pong));
                }
                return;
            }
        }
        let _ = now;
        self.events.push_back(ClientEvent::Stanza(stanza));
    }

    /// Serializes a stanza onto the wire, counting it for stream management.
    fn write_stanza(&mut self, stanza: Stanza) -> Result<(), SendError> {
        if self.close_sent {
            return Err(SendError::Closed);
        }
        self.check_output_room()?;
        if self.sm.is_full(self.config.sm.as_ref()) {
            return Err(SendError::QueueFull);
        }
        let written = self.outbox.element(|w| stanza.write_to(w))?;
        self.check_size(written)?;
        self.timers.sent();
        if self.sm.track(stanza, self.config.sm.as_ref()) {
            self.send_ack_request();
        }
        self.timers
            .unacked(self.sm.has_unacked(), self.config.sm.as_ref());
        Ok(())
    }

    fn check_output_room(&self) -> Result<(), SendError> {
        if self.outbox.len() >= self.config.stream.max_pending_output {
            Err(SendError::QueueFull)
        } else {
            Ok(())
        }
    }

    /// Refuses (and takes back) an element larger than the server's
    /// XEP-0478 `max-bytes`.
    fn check_size(&mut self, written: usize) -> Result<(), SendError> {
        let limit = self
            .features
            .limits
            .as_ref()
            .and_then(|limits| limits.max_bytes);
        match limit {
            Some(limit) if written > limit as usize => {
                self.outbox.take_back(written);
                Err(SendError::TooLarge {
                    size: written,
                    limit: limit as usize,
                })
            }
            _ => Ok(()),
        }
    }

    /// Writes one nonza; these are the library's own and always valid.
    /// Nothing is written after our close.
    fn write_nonza(&mut self, write: impl FnOnce(&mut stanzio_xml::XmlWriter<'_>)) {
        if !self.close_sent && self.outbox.element(write).is_ok() {
            self.timers.sent();
        }
    }

    fn send_handshake(&mut self) {
        let Role::Component { secret, .. } = &self.config.role else {
            return;
        };
        let Some(id) = self.stream_id.as_deref() else {
            // XEP-0114 §3: the digest needs the stream id.
            self.fail(ConnectionError::BadHeader("no stream id"), None);
            return;
        };
        let handshake = Handshake(Some(handshake_digest(id, secret)));
        self.write_nonza(|w| handshake.write_to(w));
        self.phase = Phase::Handshaking;
    }

    fn component_online(&mut self) {
        let Role::Component { domain, .. } = &self.config.role else {
            return;
        };
        let jid = Jid::from(domain.clone());
        self.go_online(jid, false);
    }

    /// The session is ready: report it and send what waited.
    fn go_online(&mut self, jid: Jid, resumed: bool) {
        self.jid = Some(jid.clone());
        self.phase = Phase::Online;
        self.timers.online();
        self.events.push_back(ClientEvent::Online { jid, resumed });
        while let Some(stanza) = self.queued.pop_front() {
            if let Err(error) = self.write_stanza(stanza) {
                // Queued before the limits were known (XEP-0478): report the
                // refusal instead of dropping the stanza silently.
                self.events.push_back(ClientEvent::Refused { error });
            }
        }
    }

    /// Ends the connection with a peer error; `stream_error` is sent first
    /// when the protocol asks for one.
    fn fail(&mut self, error: ConnectionError, stream_error: Option<StreamError>) {
        if self.error.is_some() || matches!(self.phase, Phase::Closed) {
            return;
        }
        if let Some(stream_error) = stream_error {
            let lang = self.config.lang.clone();
            let stream_error = StreamError {
                lang: stream_error.lang.or(lang),
                ..stream_error
            };
            self.write_nonza(|w| stream_error.write_to(w));
            self.write_close();
        }
        self.error = Some(error.clone());
        self.finish(Some(error));
    }

    /// The connection is over. Nothing the application sent is dropped
    /// silently: what a failed connection can resume stays for
    /// [`take_resumption`](Self::take_resumption) (an attempt that never
    /// got its `<resumed/>` keeps the state it was given); everything else
    /// that may not have reached the server goes back in
    /// [`ClientEvent::Undelivered`].
    fn finish(&mut self, error: Option<ConnectionError>) {
        if let Phase::Resuming(state) = std::mem::replace(&mut self.phase, Phase::Closed) {
            self.config.resumption = Some(*state);
        }
        let mut undelivered: Vec<Stanza> = self.queued.drain(..).collect();
        if error.is_none() {
            // A clean end: nothing will be resumed.
            if let Some(state) = self.config.resumption.take() {
                undelivered.extend(state.unacked);
            }
            undelivered.extend(self.sm.take_unacked());
        } else if !self.sm.is_resumable() {
            undelivered.extend(self.sm.take_unacked());
        }
        if !undelivered.is_empty() {
            self.events.push_back(ClientEvent::Undelivered {
                stanzas: undelivered,
            });
        }
        self.events.push_back(ClientEvent::Disconnected(error));
    }

    /// Writes our `</stream:stream>` (or RFC 7395 `<close/>`), once.
    fn write_close(&mut self) {
        if !self.close_sent {
            self.close_sent = true;
            self.outbox.close();
        }
    }

    fn new_id(&mut self) -> String {
        let mut bytes = [0u8; 8];
        self.config.rng.fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// An IQ request from this client to the server (or `to`).
    fn send_iq(&mut self, iq: Iq) {
        self.write_nonza(|w| iq.write_to(w));
    }
}

impl InputMachine for ClientConnection {
    type Error = ConnectionError;

    fn error(&self) -> Option<&ConnectionError> {
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
        self.events.len() < self.config.stream.max_pending_events
    }

    fn decoder(&mut self) -> &mut Decoder {
        &mut self.decoder
    }

    fn received(&mut self, now: Instant) {
        self.timers.received(now);
    }

    fn on_incoming(&mut self, now: Instant, unit: Incoming) {
        ClientConnection::on_incoming(self, now, unit);
    }

    fn fail(&mut self, error: ConnectionError, stream_error: Option<StreamError>) {
        ClientConnection::fail(self, error, stream_error);
    }

    fn plaintext_after_proceed(bytes: usize) -> ConnectionError {
        ConnectionError::PlaintextAfterProceed(bytes)
    }

    fn input_before_tls() -> ConnectionError {
        ConnectionError::TlsNotEstablished
    }

    fn withdraw_start_tls(&mut self) {
        self.events
            .retain(|event| !matches!(event, ClientEvent::StartTls));
    }
}

/// Splits a `host:port` value (RFC 6120 §4.9.3.19 `see-other-host`,
/// XEP-0198 §5 `location`): a host name, an IPv4 address or a bracketed
/// IPv6 literal, then an optional port. An unbracketed IPv6 literal is a
/// host without port.
pub fn split_host_port(value: &str) -> (String, Option<u16>) {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('[')
        && let Some((host, after)) = rest.split_once(']')
    {
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return (host.to_owned(), port);
    }
    match value.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host.to_owned(), port.parse().ok()),
        _ => (value.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::split_host_port;

    #[test]
    fn host_port_values_split() {
        assert_eq!(split_host_port("example.net"), ("example.net".into(), None));
        assert_eq!(
            split_host_port("example.net:5223"),
            ("example.net".into(), Some(5223))
        );
        assert_eq!(
            split_host_port(" example.net:5223 "),
            ("example.net".into(), Some(5223))
        );
        assert_eq!(
            split_host_port("[2001:db8::1]:9999"),
            ("2001:db8::1".into(), Some(9999))
        );
        assert_eq!(split_host_port("2001:db8::1"), ("2001:db8::1".into(), None));
        assert_eq!(
            split_host_port("192.0.2.1:80"),
            ("192.0.2.1".into(), Some(80))
        );
    }
}
