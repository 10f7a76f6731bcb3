//! The running server: listeners, one task per connection driving a
//! `ServerConnection` through stanzio-tokio's accept helpers, the account
//! lookups they ask for, and the protections a public server needs (a cap
//! on connections, failed-login throttling per address, idle timeouts).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use stanzio_jid::{BareJid, FullJid};
use stanzio_sasl::{HashAlgorithm, Mechanism, RecordParameters, StoredCredentials};
use stanzio_stanza::{Condition, StreamCondition, StreamError};
use stanzio_stream::{ResumptionState, ServerConfig, ServerEvent};
use stanzio_tokio::{Acceptor, Accounts, ServerSession, SessionHandle};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::hub::Hub;
use crate::storage::Storage;
use crate::store::ImStore;
use crate::tls::{GeneratedCertificate, TlsError};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// TLS setup.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A listener could not bind.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Storage.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

/// The application owns the clock (the machines below take time as an
/// argument).
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// How long a dropped session stays resumable (XEP-0198 `max`).
const RESUMPTION_WINDOW: Duration = Duration::from_secs(300);

/// A started server. Dropping it does not stop it: call
/// [`shutdown`](Self::shutdown).
pub struct RunningServer {
    /// Where each listener listens (the real ports when the configuration
    /// asked for port 0).
    pub c2s: Option<SocketAddr>,
    /// Direct TLS.
    pub direct_tls: Option<SocketAddr>,
    /// WebSocket.
    pub websocket: Option<SocketAddr>,
    /// Components.
    pub components: Option<SocketAddr>,
    /// The CA of the certificate generated at start, if the configuration
    /// named none: what clients must trust.
    pub generated: Option<GeneratedCertificate>,
    hub: Hub,
    tasks: Vec<JoinHandle<()>>,
    active: Arc<AtomicUsize>,
}

impl RunningServer {
    /// Ends every session with `system-shutdown` (RFC 6120 §4.9.3.17),
    /// waits up to `grace` for them to close, and stops listening.
    pub async fn shutdown(self, grace: Duration) {
        for task in &self.tasks {
            task.abort();
        }
        for session in self.hub.live_sessions() {
            session.close_with_error(StreamError::new(StreamCondition::SystemShutdown));
        }
        let deadline = tokio::time::Instant::now() + grace;
        while self.active.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Connections open now.
    pub fn active_connections(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }
}

/// Failed logins per address in the current minute.
#[derive(Default)]
struct Throttle {
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Throttle {
    fn allows(&self, ip: IpAddr, limit: u32, now: Instant) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures.retain(|_, (since, _)| now.duration_since(*since) < Duration::from_secs(60));
        failures.get(&ip).is_none_or(|(_, count)| *count < limit)
    }

    fn failed(&self, ip: IpAddr, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = failures.entry(ip).or_insert((now, 0));
        entry.1 = entry.1.saturating_add(1);
    }

    fn succeeded(&self, ip: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, count)) = failures.get_mut(&ip) {
            *count = count.saturating_sub(1);
        }
    }
}

/// The account lookups of the sessions.
struct ServerAccounts {
    storage: Arc<dyn Storage>,
    hub: Hub,
    resources: AtomicU64,
    throttle: Throttle,
    failures_per_minute: u32,
}

/// One connection's account lookups: every credentials lookup is a login
/// attempt, counted against the peer's address as a failure until the
/// session authenticates ([`Throttle::succeeded`]). Counting at the
/// lookup, not when the connection ends, throttles a client that guesses
/// once per connection, or on many connections at once; an address over
/// its limit gets no record at all, so even a right guess fails.
struct ConnectionAccounts {
    accounts: Arc<ServerAccounts>,
    peer: IpAddr,
    /// Login attempts on this connection.
    attempts: AtomicU32,
    /// This connection's handle and id, set as soon as the stream
    /// exists: a resumed session's route moves here the moment its state
    /// is taken, so nothing sent to it meanwhile goes astray.
    session: OnceLock<(SessionHandle, u64)>,
    /// The state taken for resumption until the machine reports the
    /// session online: if the connection dies first, it is kept again.
    taken: Mutex<Option<ResumptionState>>,
}

impl Accounts for ConnectionAccounts {
    async fn credentials(
        &self,
        username: &str,
        domain: &str,
        mechanism: Mechanism,
    ) -> Option<StoredCredentials> {
        if self.accounts.throttled(self.peer) {
            tracing::warn!(peer = %self.peer, "too many failed logins from this address");
            return None;
        }
        self.accounts.throttle.failed(self.peer, now());
        self.attempts.fetch_add(1, Ordering::SeqCst);
        self.accounts.credentials(username, domain, mechanism).await
    }

    async fn bind(&self, account: &BareJid, requested: Option<&str>) -> Result<FullJid, Condition> {
        self.accounts.bind(account, requested).await
    }

    async fn resume(&self, account: &BareJid, previd: &str) -> Option<ResumptionState> {
        let (handle, id) = self.session.get()?;
        let state =
            self.accounts
                .hub
                .take_resumption(account, previd, handle.clone(), *id, now())?;
        *self.taken.lock().unwrap_or_else(PoisonError::into_inner) = Some(state.clone());
        Some(state)
    }
}

impl ServerAccounts {
    /// Whether `ip` used up its failed logins of the minute.
    fn throttled(&self, ip: IpAddr) -> bool {
        !self.throttle.allows(ip, self.failures_per_minute, now())
    }

    async fn credentials(
        &self,
        username: &str,
        domain: &str,
        mechanism: Mechanism,
    ) -> Option<StoredCredentials> {
        let account = BareJid::from_parts(Some(username), domain).ok()?;
        let hash = match mechanism {
            Mechanism::Scram { hash, .. } => hash,
            // PLAIN is checked against the SHA-256 record.
            _ => HashAlgorithm::Sha256,
        };
        match self.storage.credentials(&account, hash) {
            Ok(record) => record,
            Err(error) => {
                tracing::error!(%account, %error, "credentials lookup failed");
                None
            }
        }
    }

    async fn bind(&self, account: &BareJid, requested: Option<&str>) -> Result<FullJid, Condition> {
        let resource = match requested.filter(|r| !r.is_empty()) {
            Some(resource) => resource.to_owned(),
            None => format!("stanzio-{}", self.resources.fetch_add(1, Ordering::Relaxed)),
        };
        let jid = FullJid::from_parts(account.node(), account.domain(), &resource)
            .map_err(|_| Condition::BadRequest)?;
        // RFC 6120 §7.7.2.2: the new session wins; the old one ends with
        // `conflict`.
        if let Some(old) = self.hub.live_session(&jid) {
            old.close_with_error(StreamError::new(StreamCondition::Conflict));
        }
        Ok(jid)
    }
}

struct Shared {
    config: Config,
    stream_config: ServerConfig,
    acceptor: Acceptor,
    accounts: Arc<ServerAccounts>,
    hub: Hub,
    active: Arc<AtomicUsize>,
    sessions: AtomicU64,
}

/// The stream machines' configuration from the file's.
fn stream_config(config: &Config, secret: Vec<u8>) -> ServerConfig {
    let mut sasl = stanzio_sasl::ServerConfig::new(secret.clone());
    sasl.mechanisms = config.auth.scram_mechanisms();
    if config.auth.allow_plain {
        sasl.mechanisms.push(Mechanism::Plain);
    }
    let mut records = RecordParameters::default();
    records.iterations = config.auth.iterations;
    sasl.records = records;
    let limits =
        stanzio_xml::Limits::default().with_max_element_bytes(config.limits.max_stanza_bytes);
    let idle = Duration::from_secs(config.limits.idle_seconds);
    let mut stream = ServerConfig::new(config.domains.iter().cloned(), secret)
        .with_sasl(sasl)
        .with_plain(config.auth.allow_plain)
        .with_limits(limits)
        .with_idle_timeout(idle, Duration::from_secs(60))
        .with_negotiation_timeout(Duration::from_secs(config.limits.negotiation_seconds));
    for component in &config.components {
        if let Ok(domain) = BareJid::new(&component.domain) {
            stream = stream.with_component(&domain, component.secret.clone());
        }
    }
    stream
}

/// Starts the server on `storage`.
///
/// # Errors
///
/// A [`StartError`].
pub async fn start(config: Config, storage: Arc<dyn Storage>) -> Result<RunningServer, StartError> {
    let (acceptor, generated) = crate::tls::acceptor(&config)?;
    if generated.is_some() {
        tracing::warn!(
            "no certificate configured: using a CA and certificate generated at start; \
             clients must be told to trust its CA"
        );
    }
    let secret = storage.server_secret()?;
    let hub = Hub::new(
        &config.domains,
        ImStore::new(storage.clone(), config.limits.offline_messages),
        RESUMPTION_WINDOW,
    );
    let active = Arc::new(AtomicUsize::new(0));
    let shared = Arc::new(Shared {
        stream_config: stream_config(&config, secret),
        accounts: Arc::new(ServerAccounts {
            storage,
            hub: hub.clone(),
            resources: AtomicU64::new(1),
            throttle: Throttle::default(),
            failures_per_minute: config.limits.login_failures_per_minute,
        }),
        config,
        acceptor,
        hub: hub.clone(),
        active: active.clone(),
        sessions: AtomicU64::new(1),
    });
    let mut tasks = Vec::new();
    let mut bound = HashMap::new();
    let listeners = [
        (Listener::C2s, shared.config.listen.c2s),
        (Listener::DirectTls, shared.config.listen.direct_tls),
        (Listener::WebSocket, shared.config.listen.websocket),
        (Listener::Components, shared.config.listen.components),
    ];
    for (kind, address) in listeners {
        let Some(address) = address else {
            continue;
        };
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| StartError::Listen { address, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartError::Listen { address, source })?;
        tracing::info!(%local, ?kind, "listening");
        bound.insert(kind, local);
        tasks.push(tokio::spawn(accept_loop(listener, kind, shared.clone())));
    }
    let expiry_hub = hub.clone();
    tasks.push(tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            expiry_hub.expire(now());
        }
    }));
    Ok(RunningServer {
        c2s: bound.get(&Listener::C2s).copied(),
        direct_tls: bound.get(&Listener::DirectTls).copied(),
        websocket: bound.get(&Listener::WebSocket).copied(),
        components: bound.get(&Listener::Components).copied(),
        generated,
        hub,
        tasks,
        active,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Listener {
    C2s,
    DirectTls,
    WebSocket,
    Components,
}

async fn accept_loop(listener: TcpListener, kind: Listener, shared: Arc<Shared>) {
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors and the like: wait, don't spin.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let limits = &shared.config.limits;
        if shared.active.load(Ordering::SeqCst) >= limits.max_connections {
            tracing::warn!(%peer, "connection limit reached; refused");
            continue;
        }
        if shared.accounts.throttled(peer.ip()) {
            tracing::warn!(%peer, "too many failed logins from this address; refused");
            continue;
        }
        shared.active.fetch_add(1, Ordering::SeqCst);
        let shared = shared.clone();
        tokio::spawn(async move {
            serve(socket, peer, kind, &shared).await;
            shared.active.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

async fn serve(socket: TcpStream, peer: SocketAddr, kind: Listener, shared: &Shared) {
    let config = shared.stream_config.clone();
    let accounts = Arc::new(ConnectionAccounts {
        accounts: shared.accounts.clone(),
        peer: peer.ip(),
        attempts: AtomicU32::new(0),
        session: OnceLock::new(),
        taken: Mutex::new(None),
    });
    // The accept helpers run the TLS and WebSocket handshakes before the
    // machine's negotiation timeout starts: bound them by it too, so that
    // a slowloris cannot hold a connection there.
    let negotiation = Duration::from_secs(shared.config.limits.negotiation_seconds);
    let session = match kind {
        Listener::C2s => {
            Ok(stanzio_tokio::accept_c2s(socket, config, &shared.acceptor, accounts.clone()).await)
        }
        Listener::DirectTls => {
            let accept = stanzio_tokio::accept_direct_tls(
                socket,
                config,
                &shared.acceptor,
                accounts.clone(),
            );
            within(negotiation, accept).await
        }
        Listener::WebSocket => {
            let accept = stanzio_tokio::accept_websocket(
                socket,
                config,
                Some(&shared.acceptor),
                accounts.clone(),
            );
            within(negotiation, accept).await
        }
        Listener::Components => {
            serve_component(
                stanzio_tokio::accept_component(socket, config).await,
                shared,
            )
            .await;
            return;
        }
    };
    match session {
        Ok(session) => serve_client(session, peer, &accounts, shared).await,
        Err(error) => tracing::debug!(%peer, %error, "connection failed before the stream"),
    }
}

/// A handshake, or `TimedOut` once `limit` passed.
async fn within(
    limit: Duration,
    handshake: impl Future<Output = Result<ServerSession, stanzio_tokio::Error>>,
) -> Result<ServerSession, stanzio_tokio::Error> {
    tokio::time::timeout(limit, handshake)
        .await
        .unwrap_or_else(|_| {
            Err(stanzio_tokio::Error::Io(
                std::io::ErrorKind::TimedOut.into(),
            ))
        })
}

async fn serve_client(
    mut session: ServerSession,
    peer: SocketAddr,
    accounts: &ConnectionAccounts,
    shared: &Shared,
) {
    let handle = session.handle();
    let id = shared.sessions.fetch_add(1, Ordering::Relaxed);
    // The session asks to resume only after authentication, round trips
    // after this is set.
    let _ = accounts.session.set((handle.clone(), id));
    let mut bound: Option<FullJid> = None;
    while let Some(event) = session.next_event().await {
        match event {
            ServerEvent::Authenticated { account, mechanism } => {
                // The last attempt was this success, not a failure.
                if accounts.attempts.load(Ordering::SeqCst) > 0 {
                    shared.accounts.throttle.succeeded(peer.ip());
                }
                tracing::info!(%peer, %account, %mechanism, "authenticated");
            }
            ServerEvent::Online { jid, resumed } => {
                accounts
                    .taken
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                if let Ok(full) = FullJid::try_from(jid) {
                    tracing::info!(%peer, jid = %full, resumed, "online");
                    shared.hub.online(full.clone(), handle.clone(), id, resumed);
                    bound = Some(full);
                }
            }
            ServerEvent::Stanza(stanza) => {
                if let Some(jid) = &bound {
                    tracing::trace!(%jid, ?stanza, "stanza");
                    shared.hub.client_stanza(jid, stanza);
                }
            }
            ServerEvent::Disconnected {
                error,
                resumption,
                undelivered,
            } => {
                match &error {
                    Some(error) => tracing::info!(%peer, %error, "disconnected"),
                    None => tracing::info!(%peer, "closed"),
                }
                // Taken for resumption but never online (the connection
                // died while the state was on its way): kept again.
                let taken = accounts
                    .taken
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                if let Some(jid) = &bound {
                    shared
                        .hub
                        .disconnected(jid, id, resumption, undelivered, now());
                } else if let Some(state) = taken {
                    let jid = state.jid.clone();
                    shared
                        .hub
                        .disconnected(&jid, id, Some(state), undelivered, now());
                }
            }
            _ => {}
        }
    }
}

async fn serve_component(mut session: ServerSession, shared: &Shared) {
    let handle = session.handle();
    let mut domain: Option<String> = None;
    while let Some(event) = session.next_event().await {
        match event {
            ServerEvent::Online { jid, .. } => {
                tracing::info!(component = %jid, "component online");
                shared.hub.component_online(jid.to_string(), handle.clone());
                domain = Some(jid.to_string());
            }
            ServerEvent::Stanza(stanza) => shared.hub.component_stanza(stanza),
            ServerEvent::Disconnected { .. } => {
                if let Some(domain) = &domain {
                    shared.hub.component_gone(domain);
                }
            }
            _ => {}
        }
    }
}
