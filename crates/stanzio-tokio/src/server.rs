//! Server accept helpers: each feeds one accepted socket to a
//! [`ServerConnection`] in a tokio task, answering the machine's questions
//! from the application's [`Accounts`], and hands the application a
//! [`ServerSession`] for the rest (routing, storage).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use stanzio_blocking::{Acceptor, OsRng};
use stanzio_jid::{BareJid, FullJid, Jid};
use stanzio_sasl::{ClientCertificate, Mechanism, StoredCredentials};
use stanzio_stanza::{Condition, Stanza, StreamError};
use stanzio_stream::{
    ResumptionState, ServerCallError, ServerConfig, ServerConnection, ServerEvent, ServerTls,
};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use crate::Error;
use crate::client::sleep_until;
use crate::link::{Link, Pump, now};

/// The account lookups a server session needs, answered by the server
/// application (a database, a file, a map). Each may take its time: the
/// session waits for the answer and reads nothing meanwhile.
///
/// Implement the methods as `async fn`.
pub trait Accounts: Send + Sync + 'static {
    /// The stored SCRAM (or PLAIN) record of `username` on `domain` for
    /// `mechanism`'s hash; `None` for an unknown user (the machine then
    /// answers as for a wrong password, without telling the difference).
    fn credentials(
        &self,
        username: &str,
        domain: &str,
        mechanism: Mechanism,
    ) -> impl Future<Output = Option<StoredCredentials>> + Send;

    /// The full JID to bind for `account` (RFC 6120 §7), given the
    /// resource it asked for; or the condition that refuses it
    /// (`conflict`, `not-allowed`, `resource-constraint`).
    fn bind(
        &self,
        account: &BareJid,
        requested: Option<&str>,
    ) -> impl Future<Output = Result<FullJid, Condition>> + Send;

    /// The session kept for `previd` (XEP-0198 §5), from an earlier
    /// [`ServerEvent::Disconnected`]'s `resumption`; `None` when it
    /// expired or never existed. Default: no resumption.
    fn resume(
        &self,
        account: &BareJid,
        previd: &str,
    ) -> impl Future<Output = Option<ResumptionState>> + Send {
        let _ = (account, previd);
        async { None }
    }

    /// Whether `account` may act as `authzid` (RFC 6120 §6.3.8). Default:
    /// never.
    fn authorize(&self, account: &BareJid, authzid: &str) -> impl Future<Output = bool> + Send {
        let _ = (account, authzid);
        async { false }
    }

    /// SASL EXTERNAL (XEP-0178): the localpart of the account this verified
    /// client certificate stands for, or `None` to refuse. Default: refuse.
    fn certificate(
        &self,
        certificate: &ClientCertificate,
        authzid: Option<&str>,
        domain: &str,
    ) -> impl Future<Output = Option<String>> + Send {
        let _ = (certificate, authzid, domain);
        async { None }
    }
}

/// Components (XEP-0114) ask nothing: their secret is in the
/// [`ServerConfig`].
struct NoAccounts;

impl Accounts for NoAccounts {
    async fn credentials(&self, _: &str, _: &str, _: Mechanism) -> Option<StoredCredentials> {
        None
    }
    async fn bind(&self, _: &BareJid, _: Option<&str>) -> Result<FullJid, Condition> {
        Err(Condition::NotAllowed)
    }
}

/// Events waiting for [`ServerSession::next_event`] before the session
/// stops reading its socket.
const EVENT_CAPACITY: usize = 256;

/// Accepts a client stream with STARTTLS (RFC 6120 §5), or without TLS if
/// `config` says [`ServerTls::DangerousPlaintext`].
pub async fn accept_c2s<A: Accounts>(
    socket: TcpStream,
    config: ServerConfig,
    tls: &Acceptor,
    accounts: Arc<A>,
) -> ServerSession {
    let peer = socket.peer_addr().ok();
    let _ = socket.set_nodelay(true);
    let machine = ServerConnection::new(config, OsRng::new(), now());
    spawn(
        machine,
        Link::Plain(socket),
        Some(tls.clone()),
        accounts,
        peer,
    )
}

/// Accepts a client stream with TLS from the first byte (XEP-0368).
///
/// # Errors
///
/// [`Error::Tls`] when the handshake fails.
pub async fn accept_direct_tls<A: Accounts>(
    socket: TcpStream,
    config: ServerConfig,
    tls: &Acceptor,
    accounts: Arc<A>,
) -> Result<ServerSession, Error> {
    let peer = socket.peer_addr().ok();
    let _ = socket.set_nodelay(true);
    let (stream, info) = crate::handshake::accept(tls, socket)
        .await
        .map_err(Error::Tls)?;
    let mut machine =
        ServerConnection::new(config.with_tls(ServerTls::DirectTls), OsRng::new(), now());
    if let Err(error) = machine.tls_established(now(), info) {
        tracing::debug!(%error, "the machine did not expect TLS");
    }
    Ok(spawn(
        machine,
        Link::Tls(Box::new(stream.into())),
        None,
        accounts,
        peer,
    ))
}

/// Accepts an external component (XEP-0114, `jabber:component:accept`),
/// one of `config`'s [`ServerConfig::with_component`] domains. The stream
/// is not encrypted: XEP-0114 connections belong on a trusted network.
pub async fn accept_component(socket: TcpStream, config: ServerConfig) -> ServerSession {
    let peer = socket.peer_addr().ok();
    let _ = socket.set_nodelay(true);
    let machine = ServerConnection::component(config, OsRng::new(), now());
    spawn(
        machine,
        Link::Plain(socket),
        None,
        Arc::new(NoAccounts),
        peer,
    )
}

pub(crate) fn spawn<A: Accounts>(
    machine: ServerConnection,
    link: Link,
    tls: Option<Acceptor>,
    accounts: Arc<A>,
    peer: Option<SocketAddr>,
) -> ServerSession {
    let shared = Arc::new(Shared {
        machine: Mutex::new(machine),
        wake: Notify::new(),
        peer,
    });
    let (events_tx, events) = mpsc::channel(EVENT_CAPACITY);
    let runner = Runner {
        shared: shared.clone(),
        pump: Pump::new(link),
        events: events_tx,
        pending: VecDeque::new(),
        tls,
        accounts,
        app_gone: false,
    };
    let task = tokio::spawn(runner.run());
    ServerSession {
        handle: SessionHandle { shared },
        events,
        task,
    }
}

#[derive(Debug)]
struct Shared {
    machine: Mutex<ServerConnection>,
    wake: Notify,
    peer: Option<SocketAddr>,
}

fn lock(shared: &Shared) -> MutexGuard<'_, ServerConnection> {
    // Holders only call the machine, whose errors are values: the state
    // stays consistent even after a panic elsewhere.
    shared
        .machine
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A cheap, cloneable handle on a session, for the router: send to it,
/// close it.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    shared: Arc<Shared>,
}

impl SessionHandle {
    /// Sends a stanza to the client; the task writes it at once.
    ///
    /// # Errors
    ///
    /// [`ServerCallError::Closed`] when the session is over (the stanza
    /// was not taken: store or bounce it).
    pub fn send(&self, stanza: impl Into<Stanza>) -> Result<(), ServerCallError> {
        let stanza = stanza.into();
        tracing::trace!(?stanza, "send");
        lock(&self.shared).send(stanza)?;
        self.shared.wake.notify_one();
        Ok(())
    }

    /// Closes the stream (RFC 6120 §4.4).
    pub fn close(&self) {
        lock(&self.shared).close();
        self.shared.wake.notify_one();
    }

    /// Closes the stream with a stream error (`system-shutdown`, `conflict`).
    pub fn close_with_error(&self, error: StreamError) {
        lock(&self.shared).close_with_error(error);
        self.shared.wake.notify_one();
    }

    /// The client's bound JID (or the component's domain) once online.
    pub fn jid(&self) -> Option<Jid> {
        lock(&self.shared).jid()
    }

    /// The peer's address.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.shared.peer
    }

    /// Calls `f` with the machine, for its getters.
    pub fn with_connection<T>(&self, f: impl FnOnce(&ServerConnection) -> T) -> T {
        f(&lock(&self.shared))
    }
}

/// One accepted stream: its events and a [`SessionHandle`].
///
/// The questions the machine asks (credentials, bind, resumption,
/// authorization, certificates) are answered by the [`Accounts`] given to
/// the accept helper; the rest comes out of
/// [`next_event`](Self::next_event): `Authenticated`, `Online`, `Stanza`
/// (with `from` stamped, ready to route), `Acked`, `InvalidStanza`, and
/// finally `Disconnected` with the resumption state or the undelivered
/// stanzas.
#[derive(Debug)]
pub struct ServerSession {
    handle: SessionHandle,
    events: mpsc::Receiver<ServerEvent>,
    task: JoinHandle<()>,
}

impl ServerSession {
    /// A handle for sending and closing from elsewhere.
    pub fn handle(&self) -> SessionHandle {
        self.handle.clone()
    }

    /// The next event; `None` once the stream is over and every event was
    /// taken.
    pub async fn next_event(&mut self) -> Option<ServerEvent> {
        self.events.recv().await
    }

    /// Waits until the task ended (after `Disconnected` was taken).
    pub async fn finished(self) {
        drop(self.events);
        let _ = self.task.await;
    }
}

impl std::ops::Deref for ServerSession {
    type Target = SessionHandle;

    fn deref(&self) -> &SessionHandle {
        &self.handle
    }
}

/// The task behind a [`ServerSession`].
struct Runner<A> {
    shared: Arc<Shared>,
    pump: Pump,
    events: mpsc::Sender<ServerEvent>,
    pending: VecDeque<ServerEvent>,
    /// For STARTTLS.
    tls: Option<Acceptor>,
    accounts: Arc<A>,
    app_gone: bool,
}

impl<A: Accounts> Runner<A> {
    async fn run(mut self) {
        loop {
            let mut start_tls = false;
            let mut questions = Vec::new();
            let (deadline, closed, progress) = {
                let mut machine = lock(&self.shared);
                let progress = self.pending.len() < EVENT_CAPACITY && self.pump.feed(&mut *machine);
                self.pump.collect_output(&mut *machine);
                while let Some(event) = machine.poll_event() {
                    match event {
                        ServerEvent::StartTls => start_tls = true,
                        ServerEvent::CredentialsNeeded { .. }
                        | ServerEvent::CertificateIdentityNeeded { .. }
                        | ServerEvent::AuthorizationRequested { .. }
                        | ServerEvent::BindRequested { .. }
                        | ServerEvent::ResumeRequested { .. } => questions.push(event),
                        event => {
                            tracing::trace!(?event);
                            self.pending.push_back(event);
                        }
                    }
                }
                (machine.poll_timeout(), machine.is_closed(), progress)
            };
            let stuck = {
                let shared = self.shared.clone();
                let write = self.pump.write_output();
                tokio::pin!(write);
                loop {
                    tokio::select! {
                        r = &mut write => break r.is_err(),
                        () = tokio::time::sleep(std::time::Duration::from_millis(200)) => {
                            if lock(&shared).is_closed() { break true; }
                        }
                    }
                }
            };
            if stuck {
                lock(&self.shared).handle_transport_closed(now());
                continue;
            }
            if start_tls {
                self.start_tls().await;
                continue;
            }
            if !questions.is_empty() {
                for question in questions {
                    self.answer(question).await;
                }
                continue;
            }
            if progress {
                continue;
            }
            if closed {
                // The application learns of the end (and gets the
                // resumption state) before the goodbye to a peer that may
                // not read: stanzas routed here meanwhile are refused.
                self.hand_over_pending().await;
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(1),
                    self.pump.link.shutdown(),
                )
                .await;
                break;
            }
            let can_read = self.pump.is_up()
                && self.pump.input.is_empty()
                && self.pending.len() < EVENT_CAPACITY;
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
                        lock(&self.shared).handle_transport_closed(now());
                    }
                }
                () = self.shared.wake.notified() => {}
                () = sleep_until(deadline) => lock(&self.shared).handle_timeout(now()),
            }
            if gone {
                self.app_gone();
            }
        }
        self.hand_over_pending().await;
    }

    /// Hands every pending event to the application, waiting for room.
    async fn hand_over_pending(&mut self) {
        while let Some(event) = self.pending.pop_front() {
            if self.app_gone || self.events.send(event).await.is_err() {
                break;
            }
        }
    }

    /// Nobody takes the events any more: end the stream.
    fn app_gone(&mut self) {
        tracing::debug!("the session handle is gone; closing");
        self.app_gone = true;
        self.pending.clear();
        lock(&self.shared).close();
    }

    /// RFC 6120 §5.4.3.3, server side.
    async fn start_tls(&mut self) {
        if !self.pump.input.is_empty() {
            // Plaintext after <proceed/>: the machine refuses it.
            let mut machine = lock(&self.shared);
            self.pump.feed(&mut *machine);
            return;
        }
        let (Some(tls), Some(socket)) = (self.tls.clone(), self.pump.take_plain()) else {
            lock(&self.shared).handle_transport_closed(now());
            return;
        };
        match crate::handshake::accept(&tls, socket).await {
            Ok((stream, info)) => {
                self.pump.link = Link::Tls(Box::new(stream.into()));
                if let Err(error) = lock(&self.shared).tls_established(now(), info) {
                    tracing::debug!(%error, "TLS was not expected");
                }
            }
            Err(error) => {
                tracing::debug!(%error, "TLS handshake failed");
                self.pump.fail(error);
                lock(&self.shared).handle_transport_closed(now());
            }
        }
    }

    /// Asks the application and gives the machine its answer.
    async fn answer(&mut self, question: ServerEvent) {
        let accounts = self.accounts.clone();
        let result = match question {
            ServerEvent::CredentialsNeeded {
                username,
                domain,
                mechanism,
            } => {
                tracing::debug!(%username, %domain, %mechanism, "credentials");
                let record = accounts.credentials(&username, &domain, mechanism).await;
                lock(&self.shared).provide_credentials(record)
            }
            ServerEvent::CertificateIdentityNeeded {
                certificate,
                authzid,
                domain,
            } => {
                let localpart = accounts
                    .certificate(&certificate, authzid.as_deref(), &domain)
                    .await;
                lock(&self.shared).accept_certificate(localpart.as_deref())
            }
            ServerEvent::AuthorizationRequested { account, authzid } => {
                let allowed = accounts.authorize(&account, &authzid).await;
                lock(&self.shared).authorize(allowed)
            }
            ServerEvent::BindRequested { account, requested } => {
                let answer = accounts.bind(&account, requested.as_deref()).await;
                lock(&self.shared).bind(answer)
            }
            ServerEvent::ResumeRequested {
                account, previd, ..
            } => {
                let state = accounts.resume(&account, &previd).await;
                lock(&self.shared).resume(state)
            }
            _ => Ok(()),
        };
        if let Err(error) = result {
            // An answer the machine refused (for example a bound JID of
            // another account): end the stream rather than hang.
            tracing::warn!(%error, "the application's answer was refused");
            lock(&self.shared).close_with_error(StreamError::new(
                stanzio_stanza::StreamCondition::InternalServerError,
            ));
        }
    }
}
