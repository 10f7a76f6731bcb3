//! What the server's tests share: a stanzio-server started in-process on
//! loopback (ephemeral ports, the certificate generated at start, a
//! database in a temporary directory), clients that log in to it, a raw
//! client for the hostile tests, and the process's peak RSS.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail loudly

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use stanzio_im::{ImClient, ImClientConfig, ImEvent};
use stanzio_jid::{BareJid, FullJid, Jid};
use stanzio_sasl::RecordParameters;
use stanzio_server::{Config, RunningServer, SqliteStorage, Storage};
use stanzio_stream::{ClientConfig, ClientConnection, ClientEvent, ConnectionError, TlsMode};
use stanzio_tokio::testing::CutProxy;
use stanzio_tokio::{
    Client, ClientTlsSettings, ConnectOptions, Connector, Endpoint, Event, OsRng, Reconnect, Target,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

pub const DOMAIN: &str = "localhost";
/// How long any one step may take.
pub const STEP: Duration = Duration::from_secs(10);

/// The tests, like the server application, own the clock.
#[allow(clippy::disallowed_methods)]
pub fn now() -> std::time::Instant {
    std::time::Instant::now()
}

pub fn jid(s: &str) -> Jid {
    s.parse().unwrap()
}

pub fn bare(s: &str) -> BareJid {
    s.parse().unwrap()
}

/// The configuration file of a test server, section by section (TOML
/// allows each table once).
#[derive(Debug, Clone)]
pub struct Setup {
    listen: String,
    auth: String,
    limits: String,
    tail: String,
}

impl Default for Setup {
    /// STARTTLS on an ephemeral loopback port; PBKDF2 at its RFC 7677
    /// minimum so that the tests stay fast.
    fn default() -> Self {
        Setup {
            listen: "c2s = \"127.0.0.1:0\"\n".to_owned(),
            auth: "iterations = 4096\n".to_owned(),
            limits: String::new(),
            tail: String::new(),
        }
    }
}

impl Setup {
    /// A line in `[listen]`.
    pub fn listen(mut self, line: &str) -> Self {
        self.listen.push_str(line);
        self.listen.push('\n');
        self
    }

    /// A line in `[auth]`.
    pub fn auth(mut self, line: &str) -> Self {
        self.auth.push_str(line);
        self.auth.push('\n');
        self
    }

    /// A line in `[limits]`.
    pub fn limits(mut self, line: &str) -> Self {
        self.limits.push_str(line);
        self.limits.push('\n');
        self
    }

    /// Text after the tables (`[[components]]`).
    pub fn tail(mut self, text: &str) -> Self {
        self.tail.push_str(text);
        self
    }

    /// The file's text with the database at `storage`.
    pub fn text(&self, storage: &std::path::Path) -> String {
        format!(
            "domains = [\"{DOMAIN}\"]\nstorage = {storage:?}\n[listen]\n{}[auth]\n{}[limits]\n{}{}",
            self.listen, self.auth, self.limits, self.tail
        )
    }
}

/// A running server and what clients need to reach it.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub server: RunningServer,
    /// Trusts the CA generated at start.
    pub tls: Connector,
}

impl Harness {
    /// Starts a server from `setup` with these accounts (name, password).
    pub async fn start(setup: &Setup, accounts: &[(&str, &str)]) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::parse(&setup.text(&dir.path().join("server.sqlite"))).unwrap();
        let storage = open_storage(&config);
        for (name, password) in accounts {
            storage
                .create_account(&bare(&format!("{name}@{DOMAIN}")), password)
                .unwrap();
        }
        Self::run(dir, config, storage).await
    }

    async fn run(dir: tempfile::TempDir, config: Config, storage: SqliteStorage) -> Harness {
        let storage: Arc<dyn Storage> = Arc::new(storage);
        let server = stanzio_server::start(config.clone(), storage)
            .await
            .unwrap();
        let ca = server.generated.as_ref().expect("a generated certificate");
        let tls = ClientTlsSettings::without_default_roots()
            .add_ca_pem(ca.ca_pem.as_bytes())
            .and_then(ClientTlsSettings::build)
            .unwrap();
        Harness {
            dir,
            config,
            server,
            tls,
        }
    }

    /// Shuts the server down and starts it again on the same database
    /// (and a new certificate).
    pub async fn restart(self) -> Harness {
        let Harness {
            dir,
            config,
            server,
            ..
        } = self;
        server.shutdown(Duration::from_secs(5)).await;
        let storage = open_storage(&config);
        Self::run(dir, config, storage).await
    }

    pub fn c2s(&self) -> SocketAddr {
        self.server.c2s.expect("a c2s listener")
    }

    pub fn direct_tls(&self) -> SocketAddr {
        self.server.direct_tls.expect("a direct TLS listener")
    }

    pub fn database(&self) -> PathBuf {
        self.config.storage.clone()
    }

    /// Options for a STARTTLS connection to the c2s listener.
    pub fn starttls(&self) -> ConnectOptions {
        let target = Target::domain(DOMAIN)
            .with_endpoint(Endpoint::starttls("127.0.0.1", self.c2s().port()));
        ConnectOptions::new(target, self.tls.clone())
    }

    /// The blocking client's target for the c2s listener.
    pub fn blocking_target(&self) -> Target {
        Target::domain(DOMAIN).with_endpoint(Endpoint::starttls("127.0.0.1", self.c2s().port()))
    }

    /// Logs `who` (`name/resource`) in over STARTTLS with the IM logic on
    /// top.
    pub async fn peer(&self, who: &str, password: &str) -> Peer {
        Peer::connect(who, password, self.starttls()).await
    }

    /// After a hostile client: the server still serves. Two accounts log
    /// in and chat; returns when the message arrived.
    pub async fn still_serves(&self, (a, a_password): (&str, &str), (b, b_password): (&str, &str)) {
        let mut sender = self.peer(&format!("{a}/check"), a_password).await;
        let mut receiver = self.peer(&format!("{b}/check"), b_password).await;
        sender.im.send_message(stanzio_stanza::Message::chat(
            receiver.client.jid().clone(),
            "still there?",
        ));
        sender.flush();
        receiver
            .until("the message after the attack", |e| {
                body_is(e, "still there?")
            })
            .await;
        sender.client.close().await;
        receiver.client.close().await;
    }

    pub async fn shutdown(self) {
        self.server.shutdown(Duration::from_secs(5)).await;
    }
}

pub fn open_storage(config: &Config) -> SqliteStorage {
    let mut parameters = RecordParameters::default();
    parameters.iterations = config.auth.iterations;
    SqliteStorage::open(&config.storage, parameters).unwrap()
}

/// A client of `who`: `name` (the server picks the resource) or
/// `name/resource`, on [`DOMAIN`].
pub fn client_config(who: &str, password: &str) -> ClientConfig {
    let address = match who.split_once('/') {
        Some((name, resource)) => format!("{name}@{DOMAIN}/{resource}"),
        None => format!("{who}@{DOMAIN}"),
    };
    ClientConfig::new(jid(&address), password, OsRng::new())
}

/// Whether a login was refused with `not-authorized` (RFC 6120 §6.5.10),
/// after a `-PLUS` attempt or not (a client cannot tell a wrong password
/// from a binding the server did not accept).
pub fn not_authorized(error: &ConnectionError) -> bool {
    match error {
        ConnectionError::AuthenticationFailed(failure)
        | ConnectionError::ChannelBindingFailed { failure, .. } => {
            failure.effective_condition() == stanzio_sasl::SaslCondition::NotAuthorized
        }
        _ => false,
    }
}

/// The same for an adapter's error.
pub fn login_refused(error: &stanzio_tokio::Error) -> bool {
    matches!(error, stanzio_tokio::Error::Connection(error) if not_authorized(error))
}

pub fn body_is(event: &ImEvent, body: &str) -> bool {
    matches!(event, ImEvent::Message(m) if m.body() == Some(body))
}

/// One client: the connection (stanzio-tokio) and the IM logic
/// (stanzio-im) on top of it, with the events not yet looked at.
pub struct Peer {
    pub client: Client,
    pub im: ImClient,
    pub events: VecDeque<ImEvent>,
    pub stream: VecDeque<ClientEvent>,
}

impl Peer {
    /// Logs in as `who` (`name` or `name/resource`, on [`DOMAIN`]).
    pub async fn connect(who: &str, password: &str, options: ConnectOptions) -> Peer {
        let client = Client::connect(client_config(who, password), options)
            .await
            .unwrap_or_else(|e| panic!("{who}: login failed: {e}"));
        let mut peer = Self::over(client);
        // The client is online when the bind result arrives; the server
        // routes to it once its session task handled `Online`, just
        // after. A round trip through that task waits for it.
        peer.request("a ping", |im| im.ping(now(), None).unwrap())
            .await;
        peer
    }

    /// Logs in through `proxy` and reconnects, resuming the session, when
    /// the proxy cuts the connection (XEP-0198 §5).
    pub async fn resumable(who: &str, password: &str, harness: &Harness, proxy: &CutProxy) -> Peer {
        let target = Target::domain(DOMAIN)
            .with_endpoint(Endpoint::starttls("127.0.0.1", proxy.address.port()));
        let (who_owned, password_owned) = (who.to_owned(), password.to_owned());
        let reconnect = Reconnect::new(move || client_config(&who_owned, &password_owned))
            .with_delays(Duration::from_millis(50), Duration::from_millis(200));
        let options = ConnectOptions::new(target, harness.tls.clone()).with_reconnect(reconnect);
        Self::connect(who, password, options).await
    }

    /// Logs in through `proxy`, without reconnecting.
    pub async fn through(who: &str, password: &str, harness: &Harness, proxy: &CutProxy) -> Peer {
        let target = Target::domain(DOMAIN)
            .with_endpoint(Endpoint::starttls("127.0.0.1", proxy.address.port()));
        Self::connect(
            who,
            password,
            ConnectOptions::new(target, harness.tls.clone()),
        )
        .await
    }

    /// The IM logic over a connected client.
    pub fn over(client: Client) -> Peer {
        let full = FullJid::try_from(client.jid().clone()).unwrap();
        Peer {
            im: ImClient::new(ImClientConfig::new(full), OsRng::new()),
            client,
            events: VecDeque::new(),
            stream: VecDeque::new(),
        }
    }

    pub fn bare(&self) -> BareJid {
        self.client.jid().to_bare()
    }

    pub fn full(&self) -> Jid {
        self.client.jid().clone()
    }

    /// Hands what the IM logic wants sent to the connection.
    pub fn flush(&mut self) {
        while let Some(stanza) = self.im.poll_transmit() {
            self.client.send(stanza).unwrap();
        }
    }

    /// Reads until an IM event matches.
    pub async fn until(&mut self, what: &str, wanted: impl Fn(&ImEvent) -> bool) -> ImEvent {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            if let Some(at) = self.events.iter().position(&wanted) {
                return self.events.remove(at).unwrap();
            }
            self.read(deadline, what).await;
        }
    }

    /// Reads until a stream event matches.
    pub async fn until_stream(
        &mut self,
        what: &str,
        wanted: impl Fn(&ClientEvent) -> bool,
    ) -> ClientEvent {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            if let Some(at) = self.stream.iter().position(&wanted) {
                return self.stream.remove(at).unwrap();
            }
            self.read(deadline, what).await;
        }
    }

    /// Sends an IM request and waits for its completion.
    pub async fn request(
        &mut self,
        what: &str,
        make: impl FnOnce(&mut ImClient) -> stanzio_im::client::RequestId,
    ) -> ImEvent {
        let request = make(&mut self.im);
        self.flush();
        self.until(what, |e| match e {
            ImEvent::RequestCompleted { request: r }
            | ImEvent::RosterReceived { request: r, .. }
            | ImEvent::RosterUnchanged { request: r }
            | ImEvent::BlocklistReceived { request: r }
            | ImEvent::IqResult { request: r, .. } => *r == request,
            ImEvent::RequestFailed {
                request: r,
                failure,
            } => {
                assert_ne!(*r, request, "{what} failed: {failure:?}");
                false
            }
            _ => false,
        })
        .await
    }

    /// Reads for `time` and fails if an IM event matches meanwhile.
    pub async fn nothing_for(
        &mut self,
        time: Duration,
        what: &str,
        unwanted: impl Fn(&ImEvent) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + time;
        loop {
            if let Some(event) = self.events.iter().find(|e| unwanted(e)) {
                panic!("{}: unexpected {what}: {event:?}", self.client.jid());
            }
            let Ok(event) = tokio::time::timeout_at(deadline, self.client.next_event()).await
            else {
                return;
            };
            self.take(event.expect("the connection is up"));
        }
    }

    async fn read(&mut self, deadline: tokio::time::Instant, what: &str) {
        let event = tokio::time::timeout_at(deadline, self.client.next_event())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{}: timed out waiting for {what}; seen {:?} {:?}",
                    self.client.jid(),
                    self.events,
                    self.stream
                )
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}: the connection ended waiting for {what}",
                    self.client.jid()
                )
            });
        self.take(event);
    }

    fn take(&mut self, event: Event) {
        match event {
            Event::Stream(ClientEvent::Stanza(stanza)) => {
                self.im.handle_stanza(stanza);
                self.flush();
                while let Some(event) = self.im.poll_event() {
                    self.events.push_back(event);
                }
            }
            Event::Stream(event) => self.stream.push_back(event),
            _ => {}
        }
    }
}

/// A field of `/proc/self/status` in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
}

/// The process's peak resident set (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

/// Resets the peak to the current resident set (`5` into
/// `/proc/self/clear_refs`, Linux 4.0+) and returns it, in KiB; where the
/// kernel refuses, the peak so far.
pub fn reset_peak_rss_kib() -> u64 {
    if std::fs::write("/proc/self/clear_refs", "5").is_ok() {
        status_kib("VmRSS:")
    } else {
        peak_rss_kib()
    }
}

/// How a raw login ended.
#[derive(Debug)]
pub enum RawLogin {
    /// Online as this full JID; the TLS stream is the caller's now, to
    /// misuse.
    Online(Box<TlsStream>, Jid),
    /// The login was refused.
    Failed(ConnectionError),
    /// The server dropped the connection before TLS was up.
    Refused(std::io::Error),
}

pub type TlsStream = tokio_rustls::client::TlsStream<TcpStream>;

/// A socket from `source` (any loopback address) to `to`, with a small
/// receive buffer when asked (so that a client that does not read fills
/// up at once instead of after the kernel's megabytes).
pub async fn raw_socket(
    source: IpAddr,
    to: SocketAddr,
    receive_buffer: Option<u32>,
) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    if let Some(size) = receive_buffer {
        socket.set_recv_buffer_size(size)?;
    }
    socket.connect(to).await
}

/// Logs in over direct TLS with the stream machine driven by hand (stream
/// management on), so that the caller can then write whatever bytes it
/// likes.
pub async fn raw_login(
    address: SocketAddr,
    source: IpAddr,
    receive_buffer: Option<u32>,
    tls: &Connector,
    who: &str,
    password: &str,
) -> RawLogin {
    let socket = match raw_socket(source, address, receive_buffer).await {
        Ok(socket) => socket,
        Err(error) => return RawLogin::Refused(error),
    };
    let connector = tokio_rustls::TlsConnector::from(tls.config(true));
    let name = Connector::server_name(DOMAIN).unwrap();
    let mut stream = match tokio::time::timeout(STEP, connector.connect(name, socket)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => return RawLogin::Refused(error),
        Err(_) => panic!("the TLS handshake hangs"),
    };
    let info = tls.session_info(stream.get_ref().1);
    let config = client_config(who, password).with_tls(TlsMode::DirectTls);
    let mut machine = ClientConnection::new(config, now()).unwrap();
    machine.tls_established(now(), info).unwrap();
    let mut out = Vec::new();
    let mut input = Vec::new();
    let mut scratch = vec![0; 16 * 1024];
    let mut online = None;
    loop {
        while machine.poll_transmit(&mut out).is_some() {
            stream.write_all(&out).await.unwrap();
        }
        stream.flush().await.unwrap();
        while let Some(event) = machine.poll_event() {
            match event {
                ClientEvent::Online { jid, .. } => online = Some(jid),
                // Stream management settled (XEP-0198 §3): the session is
                // resumable if the connection drops from now on.
                ClientEvent::StreamManagementEnabled { .. }
                | ClientEvent::StreamManagementFailed => {
                    if let Some(jid) = online.take() {
                        return RawLogin::Online(Box::new(stream), jid);
                    }
                }
                ClientEvent::Disconnected(Some(error)) => return RawLogin::Failed(error),
                ClientEvent::Disconnected(None) => panic!("closed during the login"),
                _ => {}
            }
        }
        let n = tokio::time::timeout(STEP, stream.read(&mut scratch))
            .await
            .expect("the server answers the login")
            .unwrap_or(0);
        if n == 0 {
            machine.handle_transport_closed(now());
            continue;
        }
        input.extend_from_slice(&scratch[..n]);
        let consumed = machine.handle_input(now(), &input).unwrap_or(input.len());
        input.drain(..consumed);
    }
}

/// Reads what the server still sends until it closes the connection (or
/// `limit` passed); returns it and whether the connection was closed.
pub async fn read_to_end<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    limit: Duration,
) -> (Vec<u8>, bool) {
    let mut received = Vec::new();
    let mut scratch = vec![0; 64 * 1024];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut scratch)).await {
            Err(_) => return (received, false),
            Ok(Ok(0) | Err(_)) => return (received, true),
            Ok(Ok(n)) => received.extend_from_slice(&scratch[..n]),
        }
    }
}
