//! [`Client`]: a [`ClientConnection`] driven by a tokio task that owns the
//! socket, with an async handle, and reconnection with stream resumption.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand_core::RngCore;
use stanzio_blocking::srv::{Endpoint, split_host_port};
use stanzio_blocking::{Connector, OsRng, Target, event_name};
use stanzio_jid::Jid;
use stanzio_stanza::{Stanza, StreamCondition};
use stanzio_stream::{
    ClientConfig, ClientConnection, ClientEvent, ConnectionError, ResumptionState, TlsMode,
};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::Error;
use crate::link::{Link, Pump, now};

/// What a [`Client`] reports.
#[derive(Debug)]
#[non_exhaustive]
// Nearly every event is `Stream`: boxing it would add an allocation per
// event to save space on the rare `Reconnecting`.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// What the connection machine reported. With a [`Reconnect`] policy,
    /// a [`ClientEvent::Disconnected`] that is followed by a new attempt is
    /// reported as [`Event::Reconnecting`] instead; the last one (the
    /// client gave up, or closed) comes through.
    Stream(ClientEvent),
    /// The connection was lost; a new one is tried after `delay`, resuming
    /// the session when the server kept it (XEP-0198 §5). Stanzas sent
    /// meanwhile wait and go out on the new connection.
    Reconnecting {
        /// 1 for the first attempt after a loss.
        attempt: u32,
        /// The jittered back-off before it.
        delay: Duration,
        /// Why the previous connection ended.
        reason: Error,
    },
}

/// Reconnection after a lost connection: jittered exponential back-off,
/// resumption of the session when stream management allows it, and the
/// redirections of `see-other-host` (RFC 6120 §4.9.3.19) and of the
/// XEP-0198 `location`.
pub struct Reconnect {
    new_config: Box<dyn FnMut() -> ClientConfig + Send>,
    first_delay: Duration,
    max_delay: Duration,
    max_attempts: u32,
}

impl std::fmt::Debug for Reconnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconnect")
            .field("first_delay", &self.first_delay)
            .field("max_delay", &self.max_delay)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl Reconnect {
    /// Reconnects with configurations from `new_config` (a machine's
    /// configuration holds its random source and is used up by it); the
    /// adapter adds the resumption state. Back-off 1 s doubling up to 60 s,
    /// at most 10 attempts in a row.
    pub fn new(new_config: impl FnMut() -> ClientConfig + Send + 'static) -> Self {
        Reconnect {
            new_config: Box::new(new_config),
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_attempts: 10,
        }
    }

    /// The back-off: `first` before the first attempt, doubling up to `max`;
    /// each delay is drawn between half and all of it, so that clients cut
    /// off together do not come back together.
    #[must_use]
    pub fn with_delays(mut self, first: Duration, max: Duration) -> Self {
        self.first_delay = first;
        self.max_delay = max.max(first);
        self
    }

    /// Gives up after this many failed attempts in a row.
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The jittered delay before attempt `attempt` (1-based).
    fn delay(&self, attempt: u32, rng: &mut impl RngCore) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let full = self
            .first_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        // Uniform in [full/2, full].
        let half = full / 2;
        let spread = u64::try_from(half.as_micros()).unwrap_or(u64::MAX);
        let extra = if spread == 0 {
            0
        } else {
            rng.next_u64() % (spread + 1)
        };
        half + Duration::from_micros(extra)
    }
}

/// How and where a [`Client`] connects.
#[derive(Debug)]
pub struct ConnectOptions {
    target: Target,
    tls: Connector,
    reconnect: Option<Reconnect>,
    event_capacity: usize,
    #[cfg(feature = "websocket")]
    websocket: Option<String>,
    #[cfg(feature = "dns")]
    resolver: Option<hickory_resolver::TokioResolver>,
}

impl ConnectOptions {
    /// Connects to `target` (DNS SRV for its domain with the `dns` feature,
    /// else the domain on 5222, or its explicit endpoint) with `tls`.
    pub fn new(target: Target, tls: Connector) -> Self {
        ConnectOptions {
            target,
            tls,
            reconnect: None,
            event_capacity: 256,
            #[cfg(feature = "websocket")]
            websocket: None,
            #[cfg(feature = "dns")]
            resolver: None,
        }
    }

    /// Looks the domain's SRV records up with this resolver instead of the
    /// system's.
    #[cfg(feature = "dns")]
    #[must_use]
    pub fn with_resolver(mut self, resolver: hickory_resolver::TokioResolver) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// Reconnects after a lost connection.
    #[must_use]
    pub fn with_reconnect(mut self, reconnect: Reconnect) -> Self {
        self.reconnect = Some(reconnect);
        self
    }

    /// How many events wait for [`Client::next_event`] before the client
    /// stops reading the socket (backpressure). Default 256.
    #[must_use]
    pub fn with_event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity.max(1);
        self
    }

    /// Speaks XMPP over WebSocket (RFC 7395) at `url` (`wss://` with TLS,
    /// `ws://` without) instead of TCP; the certificate is still checked
    /// against the target's domain.
    #[cfg(feature = "websocket")]
    #[must_use]
    pub fn with_websocket(mut self, url: impl Into<String>) -> Self {
        self.websocket = Some(url.into());
        self
    }
}

/// A connected XMPP client: a tokio task owns the socket and the
/// [`ClientConnection`], writes what it sends, answers its timers and
/// upgrades to TLS on its `StartTls` event; this handle sends stanzas and
/// takes events.
///
/// ```no_run
/// use stanzio_tokio::{Client, ClientTlsSettings, ConnectOptions, Event, OsRng, Target};
/// use stanzio_stream::{ClientConfig, ClientEvent};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let jid: stanzio_jid::Jid = "juliet@example.com".parse()?;
/// let config = ClientConfig::new(jid.clone(), "secret", OsRng::new());
/// let options = ConnectOptions::new(Target::domain(jid.domain()), ClientTlsSettings::new().build()?);
/// let mut client = Client::connect(config, options).await?;
/// while let Some(event) = client.next_event().await {
///     if let Event::Stream(ClientEvent::Stanza(stanza)) = event {
///         println!("{:?}", stanza.from_jid());
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Client {
    shared: Arc<Shared>,
    events: mpsc::Receiver<Event>,
    task: JoinHandle<()>,
    jid: Jid,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Wakes the task after the handle changed the machine.
    wake: Notify,
}

#[derive(Debug)]
struct State {
    machine: ClientConnection,
    /// Stanzas sent while no connection is up, or handed to a connection
    /// that has not come online: kept until one does.
    waiting: VecDeque<Stanza>,
    /// Between two connections.
    reconnecting: bool,
    /// The application closed the client: no reconnection.
    closing: bool,
}

/// Stanzas kept while reconnecting, as many as a machine keeps unacked.
const MAX_WAITING: usize = 500;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // The state stays consistent even if a holder panicked: every holder
    // only calls the machine, whose errors are values.
    shared.state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Client {
    /// Connects, negotiates and returns once the session is online; the
    /// negotiation's events (`Authenticated`, `Online`, ...) wait in
    /// [`next_event`](Self::next_event).
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] when no endpoint can be reached, [`Error::Tls`]
    /// when the handshake fails (a certificate not valid for the domain),
    /// [`Error::Connection`] when the machine ended the stream before the
    /// session was online (no STARTTLS offered, login refused).
    pub async fn connect(config: ClientConfig, options: ConnectOptions) -> Result<Client, Error> {
        let (pump, machine, endpoint) = open(config, &options.route(), None).await?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                machine,
                waiting: VecDeque::new(),
                reconnecting: false,
                closing: false,
            }),
            wake: Notify::new(),
        });
        let (events_tx, events) = mpsc::channel(options.event_capacity);
        let (ready_tx, ready) = oneshot::channel();
        let runner = Runner {
            shared: shared.clone(),
            pump,
            events: events_tx,
            pending: VecDeque::new(),
            capacity: options.event_capacity,
            ready: Some(ready_tx),
            endpoint,
            redirect: None,
            resumption: None,
            ever_online: false,
            attempt: 0,
            lost: None,
            failure: None,
            app_gone: false,
            rng: OsRng::new(),
            options,
        };
        let task = tokio::spawn(runner.run());
        match ready.await {
            Ok(Ok(jid)) => Ok(Client {
                shared,
                events,
                task,
                jid,
            }),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(Error::ClosedBeforeOnline),
        }
    }

    /// The address the session was bound to when [`connect`](Self::connect)
    /// returned. A reconnection that could not resume binds a new session,
    /// possibly with another resource: its `Online` event says which, and
    /// [`with_connection`](Self::with_connection) reads the current one.
    pub fn jid(&self) -> &Jid {
        &self.jid
    }

    /// Sends a stanza: it is written by the task at once, or, while a
    /// reconnection runs, on the next connection. Never waits.
    ///
    /// # Errors
    ///
    /// [`Error::Send`] when the machine refuses it (closed, queue full, too
    /// large); nothing changed then.
    pub fn send(&self, stanza: impl Into<Stanza>) -> Result<(), Error> {
        let stanza = stanza.into();
        tracing::trace!(?stanza, "send");
        {
            let mut state = lock(&self.shared);
            if state.reconnecting {
                if state.closing || state.waiting.len() >= MAX_WAITING {
                    return Err(Error::Send(stanzio_stream::SendError::QueueFull));
                }
                state.waiting.push_back(stanza);
            } else {
                state.machine.send(stanza)?;
            }
        }
        self.shared.wake.notify_one();
        Ok(())
    }

    /// The next event; `None` once the connection is over and every event
    /// was taken.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Calls `f` with the machine, for its getters (`is_online`, `tls`,
    /// `stream_management`, ...).
    pub fn with_connection<T>(&self, f: impl FnOnce(&ClientConnection) -> T) -> T {
        f(&lock(&self.shared).machine)
    }

    /// Closes the stream (RFC 6120 §4.4) and waits until the server closed
    /// its side too (at most the machine's close timeout) and the socket is
    /// shut down. Events not yet taken are dropped.
    pub async fn close(mut self) {
        {
            let mut state = lock(&self.shared);
            state.closing = true;
            state.machine.close();
        }
        self.shared.wake.notify_one();
        self.events.close();
        while self.events.recv().await.is_some() {}
        let _ = (&mut self.task).await;
    }
}

/// Where and how the connections of one client go.
#[derive(Debug, Clone)]
struct Route {
    target: Target,
    tls: Connector,
    #[cfg(feature = "websocket")]
    websocket: Option<String>,
    #[cfg(feature = "dns")]
    resolver: Option<hickory_resolver::TokioResolver>,
}

impl ConnectOptions {
    fn route(&self) -> Route {
        Route {
            target: self.target.clone(),
            tls: self.tls.clone(),
            #[cfg(feature = "websocket")]
            websocket: self.websocket.clone(),
            #[cfg(feature = "dns")]
            resolver: self.resolver.clone(),
        }
    }
}

/// Opens a transport to the first reachable endpoint and builds the
/// machine on it.
async fn open(
    config: ClientConfig,
    options: &Route,
    redirect: Option<Endpoint>,
) -> Result<(Pump, ClientConnection, Endpoint), Error> {
    #[cfg(feature = "websocket")]
    if let Some(url) = &options.websocket {
        return crate::websocket::open_client(config, url, &options.target.domain, &options.tls)
            .await;
    }
    let domain = options.target.domain.as_str();
    let endpoints = match redirect.or_else(|| options.target.endpoint.clone()) {
        Some(endpoint) => vec![endpoint],
        #[cfg(feature = "dns")]
        None => match &options.resolver {
            Some(resolver) => crate::dns::resolve_with(resolver, domain).await?,
            None => crate::dns::resolve(domain).await?,
        },
        #[cfg(not(feature = "dns"))]
        None => vec![Endpoint::fallback(domain)],
    };
    let mut last = None;
    for endpoint in endpoints {
        tracing::debug!(%endpoint, domain, "connecting");
        let socket = match TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await {
            Ok(socket) => socket,
            Err(source) => {
                tracing::debug!(%endpoint, error = %source, "unreachable");
                last = Some(Error::Connect {
                    endpoint: endpoint.to_string(),
                    source,
                });
                continue;
            }
        };
        socket.set_nodelay(true)?;
        if endpoint.direct_tls {
            let (stream, info) = crate::handshake::connect(&options.tls, domain, socket, true)
                .await
                .map_err(Error::Tls)?;
            let mut machine = ClientConnection::new(config.with_tls(TlsMode::DirectTls), now())?;
            machine.tls_established(now(), info)?;
            let link = Link::Tls(Box::new(stream.into()));
            return Ok((Pump::new(link), machine, endpoint));
        }
        let machine = ClientConnection::new(config, now())?;
        return Ok((Pump::new(Link::Plain(socket)), machine, endpoint));
    }
    Err(last.unwrap_or(Error::ClosedBeforeOnline))
}

/// The task behind a [`Client`].
struct Runner {
    shared: Arc<Shared>,
    pump: Pump,
    events: mpsc::Sender<Event>,
    /// Events taken from the machine, not yet delivered.
    pending: VecDeque<Event>,
    capacity: usize,
    /// `connect` waits on this until the first session is online.
    ready: Option<oneshot::Sender<Result<Jid, Error>>>,
    options: ConnectOptions,
    /// The endpoint of the current connection.
    endpoint: Endpoint,
    /// Where the next connection goes instead of the target's endpoints.
    redirect: Option<Endpoint>,
    /// The session to resume on the next connection.
    resumption: Option<ResumptionState>,
    ever_online: bool,
    /// Failed attempts since the last online session.
    attempt: u32,
    /// Why the current connection ended, when a reconnection follows.
    lost: Option<Option<ConnectionError>>,
    /// A failure the machine only saw as the end of the transport (a TLS
    /// handshake, a failed reconnection).
    failure: Option<Error>,
    app_gone: bool,
    rng: OsRng,
}

impl Runner {
    async fn run(mut self) {
        loop {
            self.drive().await;
            if self.lost.is_none() || !self.reconnect().await {
                break;
            }
        }
        // Deliver what is left, while someone listens.
        while let Some(event) = self.pending.pop_front() {
            if self.app_gone || self.events.send(event).await.is_err() {
                break;
            }
        }
    }

    /// Runs the current connection until its machine is closed.
    async fn drive(&mut self) {
        loop {
            let mut start_tls = false;
            let shared = self.shared.clone();
            let (deadline, closed, progress) = {
                let mut guard = lock(&shared);
                let state = &mut *guard;
                let progress =
                    self.pending.len() < self.capacity && self.pump.feed(&mut state.machine);
                self.pump.collect_output(&mut state.machine);
                while let Some(event) = state.machine.poll_event() {
                    if matches!(event, ClientEvent::StartTls) {
                        start_tls = true;
                    } else {
                        self.on_event(event, state);
                    }
                }
                (
                    state.machine.poll_timeout(),
                    state.machine.is_closed(),
                    progress,
                )
            };
            if self.pump.write_output().await.is_err() {
                lock(&self.shared).machine.handle_transport_closed(now());
                continue;
            }
            if start_tls {
                self.start_tls().await;
                continue;
            }
            if progress {
                continue;
            }
            if closed {
                self.pump.link.shutdown().await;
                return;
            }
            let can_read = self.pump.is_up()
                && self.pump.input.is_empty()
                && self.pending.len() < self.capacity;
            let deliver = !self.pending.is_empty() && !self.app_gone;
            let mut gone = false;
            tokio::select! {
                permit = self.events.reserve(), if deliver => match permit {
                    Ok(permit) => {
                        if let Some(event) = self.pending.pop_front() {
                            permit.send(event);
                        }
                    }
                    Err(_) => gone = true,
                },
                () = self.events.closed(), if !deliver && !self.app_gone => gone = true,
                alive = self.pump.read(), if can_read => {
                    if !alive {
                        lock(&self.shared).machine.handle_transport_closed(now());
                    }
                }
                () = self.shared.wake.notified() => {}
                () = sleep_until(deadline) => lock(&self.shared).machine.handle_timeout(now()),
            }
            if gone {
                self.app_gone();
            }
        }
    }

    /// The handle was dropped without `close`: close the stream.
    fn app_gone(&mut self) {
        tracing::debug!("the client handle is gone; closing");
        self.app_gone = true;
        self.pending.clear();
        let mut state = lock(&self.shared);
        state.closing = true;
        state.machine.close();
    }

    /// RFC 6120 §5.4.3.3: the handshake on the same socket after
    /// `<proceed/>`, then `tls_established`.
    async fn start_tls(&mut self) {
        if !self.pump.input.is_empty() {
            // Plaintext after <proceed/>: the machine refuses it.
            let mut state = lock(&self.shared);
            self.pump.feed(&mut state.machine);
            return;
        }
        let Some(socket) = self.pump.take_plain() else {
            lock(&self.shared).machine.handle_transport_closed(now());
            return;
        };
        let domain = self.options.target.domain.clone();
        match crate::handshake::connect(&self.options.tls, &domain, socket, false).await {
            Ok((stream, info)) => {
                self.pump.link = Link::Tls(Box::new(stream.into()));
                let mut state = lock(&self.shared);
                if let Err(error) = state.machine.tls_established(now(), info) {
                    tracing::debug!(%error, "TLS was not expected");
                }
            }
            Err(error) => {
                tracing::debug!(%error, "TLS handshake failed");
                self.failure = Some(Error::Tls(error));
                lock(&self.shared).machine.handle_transport_closed(now());
            }
        }
    }

    /// Looks at an event on its way to the application.
    fn on_event(&mut self, event: ClientEvent, state: &mut State) {
        tracing::debug!(event = event_name(&event), "event");
        tracing::trace!(?event);
        match &event {
            ClientEvent::Online { jid, resumed } => {
                tracing::info!(%jid, resumed, "online");
                self.ever_online = true;
                self.attempt = 0;
                self.redirect = None;
                self.resumption = None;
                if state.reconnecting {
                    // What the application sent between connections goes
                    // out now, after what resumption resent.
                    state.reconnecting = false;
                    while let Some(stanza) = state.waiting.pop_front() {
                        if let Err(error) = state.machine.send(stanza) {
                            self.pending
                                .push_back(Event::Stream(ClientEvent::Refused { error }));
                        }
                    }
                }
                if let Some(ready) = self.ready.take() {
                    let _ = ready.send(Ok(jid.clone()));
                }
            }
            ClientEvent::Disconnected(error) => {
                if self.should_reconnect(error.as_ref(), state) {
                    if let Some(taken) = state.machine.take_resumption() {
                        self.resumption = Some(taken);
                    }
                    if let Some(ConnectionError::SeeOtherHost { host, port }) = error {
                        self.redirect = Some(Endpoint {
                            host: host.clone(),
                            port: port.unwrap_or(self.endpoint.port),
                            direct_tls: self.endpoint.direct_tls,
                        });
                    }
                    state.reconnecting = true;
                    self.lost = Some(error.clone());
                    return;
                }
                state.reconnecting = false;
                if let Some(ready) = self.ready.take() {
                    let _ = ready.send(Err(self.connection_error(error.clone())));
                }
            }
            _ => {}
        }
        self.pending.push_back(Event::Stream(event));
    }

    /// Why a connection ended: the transport's failure (a TLS handshake,
    /// a socket error, a failed reconnection) if there was one, else the
    /// machine's error.
    fn connection_error(&mut self, error: Option<ConnectionError>) -> Error {
        if let Some(failure) = self.failure.take() {
            self.pump.error = None;
            return failure;
        }
        match (self.pump.error.take(), error) {
            (Some(io), _) => Error::Io(io),
            (None, Some(error)) => Error::Connection(error),
            (None, None) => Error::ClosedBeforeOnline,
        }
    }

    /// Whether the loss of this connection is followed by another attempt.
    fn should_reconnect(&self, error: Option<&ConnectionError>, state: &State) -> bool {
        let Some(reconnect) = &self.options.reconnect else {
            return false;
        };
        if state.closing || self.app_gone || self.attempt >= reconnect.max_attempts {
            return false;
        }
        let redirected = matches!(error, Some(ConnectionError::SeeOtherHost { .. }));
        (self.ever_online || redirected) && is_transient(error)
    }

    /// Waits the back-off and opens a new connection; `false` when it gave
    /// up (the last loss is then reported as `Disconnected`).
    async fn reconnect(&mut self) -> bool {
        let Some(lost) = self.lost.take() else {
            return false;
        };
        let reason = self.connection_error(lost.clone());
        self.attempt += 1;
        let Some(reconnect) = &mut self.options.reconnect else {
            return false;
        };
        let delay = if self.redirect.is_some() && self.attempt == 1 {
            Duration::ZERO
        } else {
            reconnect.delay(self.attempt, &mut self.rng)
        };
        tracing::info!(attempt = self.attempt, ?delay, %reason, "reconnecting");
        if !self.app_gone {
            let _ = self
                .events
                .send(Event::Reconnecting {
                    attempt: self.attempt,
                    delay,
                    reason,
                })
                .await;
        }
        // The back-off, cut short only by `close` (a `send` meanwhile
        // wakes the task too, and just waits on).
        let deadline = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                () = self.shared.wake.notified() => {
                    if lock(&self.shared).closing {
                        lock(&self.shared).reconnecting = false;
                        self.pending
                            .push_back(Event::Stream(ClientEvent::Disconnected(lost)));
                        return false;
                    }
                }
            }
        }
        let Some(reconnect) = &mut self.options.reconnect else {
            return false;
        };
        let mut config = (reconnect.new_config)();
        let mut redirect = self.redirect.clone();
        if let Some(state) = &self.resumption {
            config = config.with_resumption(state.clone());
            if redirect.is_none()
                && let Some(location) = &state.location
            {
                // XEP-0198 §5: resume where the server asked.
                let (host, port) = split_host_port(location);
                redirect = Some(Endpoint {
                    host,
                    port: port.unwrap_or(self.endpoint.port),
                    direct_tls: self.endpoint.direct_tls,
                });
            }
        }
        let route = self.options.route();
        match open(config, &route, redirect).await {
            Ok((pump, machine, endpoint)) => {
                // Stanzas sent meanwhile keep waiting until this connection
                // is online: if it fails before, they are not lost with it.
                lock(&self.shared).machine = machine;
                self.pump = pump;
                self.endpoint = endpoint;
                true
            }
            Err(error) => {
                tracing::debug!(%error, "reconnection failed");
                let mut state = lock(&self.shared);
                if self.attempt
                    >= self
                        .options
                        .reconnect
                        .as_ref()
                        .map_or(0, |r| r.max_attempts)
                    || state.closing
                    || self.app_gone
                {
                    state.reconnecting = false;
                    match self.ready.take() {
                        // `connect` still waits (a redirection failed):
                        // it reports this failure.
                        Some(ready) => {
                            let _ = ready.send(Err(error));
                        }
                        None => self
                            .pending
                            .push_back(Event::Stream(ClientEvent::Disconnected(lost))),
                    }
                    return false;
                }
                // Try again: this failure is the next attempt's reason.
                self.failure = Some(error);
                self.lost = Some(lost);
                true
            }
        }
    }
}

/// Losses worth another attempt: the transport, a timeout, a redirection,
/// a server going down. Not a refused login or a protocol violation, which
/// would fail the same way again.
fn is_transient(error: Option<&ConnectionError>) -> bool {
    match error {
        None => true,
        Some(
            ConnectionError::UnexpectedEof
            | ConnectionError::Timeout(_)
            | ConnectionError::SeeOtherHost { .. },
        ) => true,
        Some(ConnectionError::StreamError(error)) => matches!(
            error.condition,
            StreamCondition::SystemShutdown
                | StreamCondition::Reset
                | StreamCondition::ConnectionTimeout
                | StreamCondition::InternalServerError
                | StreamCondition::RemoteConnectionFailed
                | StreamCondition::HostGone
        ),
        Some(_) => false,
    }
}

/// Sleeps until `deadline`, or forever without one.
pub(crate) async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconnect() -> Reconnect {
        Reconnect::new(|| unreachable!())
            .with_delays(Duration::from_millis(100), Duration::from_secs(1))
    }

    #[test]
    fn back_off_doubles_up_to_the_maximum_with_jitter() {
        let policy = reconnect();
        let mut rng = OsRng::new();
        for (attempt, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (30, 1000),
        ] {
            for _ in 0..50 {
                let delay = policy.delay(attempt, &mut rng);
                let full = Duration::from_millis(full);
                assert!(delay >= full / 2 && delay <= full, "{attempt}: {delay:?}");
            }
        }
    }

    #[test]
    fn back_off_is_jittered() {
        let policy = reconnect();
        let mut rng = OsRng::new();
        let delays: std::collections::HashSet<_> =
            (0..20).map(|_| policy.delay(3, &mut rng)).collect();
        assert!(delays.len() > 10, "{delays:?}");
    }

    #[test]
    fn only_transient_losses_reconnect() {
        use stanzio_stanza::StreamError;
        assert!(is_transient(None));
        assert!(is_transient(Some(&ConnectionError::UnexpectedEof)));
        assert!(is_transient(Some(&ConnectionError::Timeout("the session"))));
        assert!(is_transient(Some(&ConnectionError::StreamError(Box::new(
            StreamError::new(StreamCondition::SystemShutdown)
        )))));
        assert!(!is_transient(Some(&ConnectionError::StreamError(
            Box::new(StreamError::new(StreamCondition::Conflict))
        ))));
        assert!(!is_transient(Some(&ConnectionError::HandshakeRefused)));
        assert!(!is_transient(Some(&ConnectionError::TlsNotOffered)));
    }
}
