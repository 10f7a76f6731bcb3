//! An in-memory client/server [`Pair`] with virtual time, a TLS stand-in
//! and a tamper hook, for tests of anything built on the two machines
//! (feature `testing`).
//!
//! Modelled on quinn-proto's test pair: [`Pair::step`] moves bytes both ways
//! and answers the server's questions from an in-memory account table;
//! [`Pair::drive`] steps until nothing moves; [`Pair::advance`] moves
//! virtual time to each deadline in turn. The tamper hook sees every chunk
//! in flight and may rewrite, drop or extend it.
// A test harness fails loudly, and its virtual time starts from one real
// instant (nothing reads the clock after that).
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand_core::{CryptoRng, RngCore};
use stanzio_jid::FullJid;
use stanzio_sasl::{
    ChannelBindingType, HashAlgorithm, Mechanism, RecordParameters, StoredCredentials, TlsInfo,
    TlsVersion,
};

use crate::{
    ClientConfig, ClientConnection, ClientEvent, ResumptionState, ServerConfig, ServerConnection,
    ServerEvent,
};

/// A deterministic generator (SplitMix64), so that runs repeat byte for
/// byte. It claims `CryptoRng` only because the machines ask for one: it
/// is NOT one, and exists for tests.
#[derive(Debug, Clone)]
pub struct TestRng(pub u64);

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(bytes.get(..chunk.len()).unwrap_or_default());
        }
    }
}

impl CryptoRng for TestRng {}

/// Which way a chunk travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to server.
    ToServer,
    /// Server to client.
    ToClient,
}

/// The hook that sees every chunk in flight.
pub type Tamper = Box<dyn FnMut(Direction, &mut Vec<u8>)>;

/// Passwords of the accounts the pair's server knows, with their stored
/// records computed once per hash.
#[derive(Default)]
pub struct Accounts {
    passwords: HashMap<String, String>,
    records: HashMap<(String, HashAlgorithm), StoredCredentials>,
    /// Iteration count of the stored records.
    pub iterations: u32,
}

impl Accounts {
    /// Accounts from `(username, password)` pairs, 4096 iterations.
    pub fn new(users: &[(&str, &str)]) -> Self {
        Accounts {
            passwords: users
                .iter()
                .map(|(user, password)| ((*user).to_owned(), (*password).to_owned()))
                .collect(),
            records: HashMap::new(),
            iterations: 4096,
        }
    }

    /// The stored record of `user` for `mechanism` (PLAIN uses SHA-256).
    pub fn record(&mut self, user: &str, mechanism: Mechanism) -> Option<StoredCredentials> {
        let password = self.passwords.get(user)?;
        let hash = match mechanism {
            Mechanism::Scram { hash, .. } => hash,
            _ => HashAlgorithm::Sha256,
        };
        let key = (user.to_owned(), hash);
        if let Some(record) = self.records.get(&key) {
            return Some(record.clone());
        }
        let mut rng = TestRng(user.len() as u64);
        let mut parameters = RecordParameters::default();
        parameters.iterations = self.iterations;
        let record = StoredCredentials::generate(hash, password, &parameters, &mut rng)
            .expect("a valid test password");
        self.records.insert(key, record.clone());
        Some(record)
    }
}

/// The TLS session both ends of the stand-in agree on: TLS 1.3 with
/// tls-exporter and tls-server-end-point data.
pub fn tls13() -> TlsInfo {
    TlsInfo::new(TlsVersion::Tls13)
        .with_binding(ChannelBindingType::TlsExporter, [0x42; 32])
        .with_binding(ChannelBindingType::TlsServerEndPoint, [0x24; 32])
}

/// WebSocket messages in flight.
#[derive(Default)]
struct WebSocketFrames {
    to_server: std::collections::VecDeque<Vec<u8>>,
    to_client: std::collections::VecDeque<Vec<u8>>,
}

/// A client and a server machine back to back.
pub struct Pair {
    /// The client.
    pub client: ClientConnection,
    /// The server.
    pub server: ServerConnection,
    /// Virtual time.
    pub now: Instant,
    /// The TLS session the stand-in reports to both sides (set
    /// `server_tls` apart to model a man in the middle).
    pub tls: TlsInfo,
    /// What the server's side of the stand-in reports, if different.
    pub server_tls: Option<TlsInfo>,
    /// The server application's accounts.
    pub accounts: Accounts,
    /// Resumption states the server application keeps, by id.
    pub kept: HashMap<String, ResumptionState>,
    /// Whether `AuthorizationRequested` is granted. Default `false`.
    pub grant_authzid: bool,
    /// Whether the client reads what the server sends (a client that
    /// stops reading lets the server's queue grow).
    pub client_reads: bool,
    /// Everything the client reported.
    pub client_events: Vec<ClientEvent>,
    /// Everything the server reported.
    pub server_events: Vec<ServerEvent>,
    /// The hook on every chunk.
    pub tamper: Option<Tamper>,
    /// Input piece lengths, taken in turn for every `handle_input` of
    /// either side (empty: everything at once). Any split must give the
    /// same result.
    pub split: Vec<usize>,
    piece: usize,
    to_server: Vec<u8>,
    to_client: Vec<u8>,
    /// RFC 7395 framing: whole messages, one `handle_input` each.
    websocket: Option<WebSocketFrames>,
    resources: u32,
}

impl Pair {
    /// A pair on a fresh connection; the client's header is already on its
    /// way.
    pub fn new(client: ClientConfig, server: ServerConfig, accounts: Accounts) -> Self {
        let now = Instant::now();
        let client = ClientConnection::new(client, now).expect("a valid client configuration");
        let server = ServerConnection::new(server, TestRng(0x005e_17e7), now);
        Pair {
            client,
            server,
            now,
            tls: tls13(),
            server_tls: None,
            accounts,
            kept: HashMap::new(),
            grant_authzid: false,
            client_reads: true,
            client_events: Vec::new(),
            server_events: Vec::new(),
            tamper: None,
            split: Vec::new(),
            piece: 0,
            to_server: Vec::new(),
            to_client: Vec::new(),
            websocket: None,
            resources: 0,
        }
    }

    /// A pair over WebSocket (RFC 7395): `wss://` gives TLS before the
    /// first byte, and every `poll_transmit` is one message, delivered
    /// whole to one `handle_input`.
    pub fn websocket(client: ClientConfig, server: ServerConfig, accounts: Accounts) -> Self {
        let client = client
            .with_transport(crate::Transport::WebSocket)
            .with_tls(crate::TlsMode::DirectTls);
        let server = server
            .with_transport(crate::Transport::WebSocket)
            .with_tls(crate::ServerTls::DirectTls);
        let mut pair = Pair::new(client, server, accounts);
        let tls = pair.tls.clone();
        pair.client
            .tls_established(pair.now, tls.clone())
            .expect("direct TLS is expected");
        pair.server
            .tls_established(pair.now, tls)
            .expect("direct TLS is expected");
        pair.websocket = Some(WebSocketFrames::default());
        pair
    }

    /// A component (XEP-0114) and the server's component acceptor.
    pub fn component(client: ClientConfig, server: ServerConfig) -> Self {
        let mut pair = Pair::new(client, server.clone(), Accounts::default());
        pair.server = ServerConnection::component(server, TestRng(0xc0), pair.now);
        pair
    }

    /// A new connection for both sides (after a drop), keeping the
    /// server application's state (accounts, kept resumption states).
    pub fn reconnect(&mut self, client: ClientConfig, server: ServerConfig) {
        self.client = ClientConnection::new(client, self.now).expect("a valid configuration");
        self.server = ServerConnection::new(server, TestRng(self.now_seed()), self.now);
        self.to_server.clear();
        self.to_client.clear();
    }

    fn now_seed(&self) -> u64 {
        0x005e_17e7 ^ u64::from(self.resources) ^ (self.client_events.len() as u64) << 32
    }

    /// Cuts the transport: both sides learn it closed, bytes in flight are
    /// lost.
    pub fn drop_connection(&mut self) {
        self.to_server.clear();
        self.to_client.clear();
        self.client.handle_transport_closed(self.now);
        self.server.handle_transport_closed(self.now);
        self.collect_events();
    }

    /// Moves bytes once each way and answers what was asked; `true` if
    /// anything happened.
    pub fn step(&mut self) -> bool {
        if self.websocket.is_some() {
            return self.step_frames();
        }
        let mut moved = false;
        let mut buf = Vec::new();
        while self.client.poll_transmit(&mut buf).is_some() {
            moved = true;
            if let Some(tamper) = &mut self.tamper {
                tamper(Direction::ToServer, &mut buf);
            }
            self.to_server.extend_from_slice(&buf);
        }
        if !self.to_server.is_empty() && !self.server.is_closed() {
            let n = self.next_piece(self.to_server.len());
            match self.server.handle_input(self.now, &self.to_server[..n]) {
                Ok(consumed) => {
                    moved |= consumed > 0;
                    self.to_server.drain(..consumed);
                }
                Err(_) => self.to_server.clear(),
            }
        }
        while self.server.poll_transmit(&mut buf).is_some() {
            moved = true;
            if let Some(tamper) = &mut self.tamper {
                tamper(Direction::ToClient, &mut buf);
            }
            self.to_client.extend_from_slice(&buf);
        }
        if self.client_reads && !self.to_client.is_empty() && !self.client.is_closed() {
            let n = self.next_piece(self.to_client.len());
            match self.client.handle_input(self.now, &self.to_client[..n]) {
                Ok(consumed) => {
                    moved |= consumed > 0;
                    self.to_client.drain(..consumed);
                }
                Err(_) => self.to_client.clear(),
            }
        }
        moved | self.collect_events()
    }

    /// [`step`](Self::step) with message boundaries kept (RFC 7395 §3.3.3).
    fn step_frames(&mut self) -> bool {
        let Some(mut frames) = self.websocket.take() else {
            return false;
        };
        let mut moved = false;
        let mut buf = Vec::new();
        while self.client.poll_transmit(&mut buf).is_some() {
            moved = true;
            if let Some(tamper) = &mut self.tamper {
                tamper(Direction::ToServer, &mut buf);
            }
            frames.to_server.push_back(std::mem::take(&mut buf));
        }
        while !self.server.is_closed() {
            let Some(message) = frames.to_server.front() else {
                break;
            };
            match self.server.handle_input(self.now, message) {
                Ok(0) => break,
                _ => {
                    moved = true;
                    frames.to_server.pop_front();
                }
            }
        }
        while self.server.poll_transmit(&mut buf).is_some() {
            moved = true;
            if let Some(tamper) = &mut self.tamper {
                tamper(Direction::ToClient, &mut buf);
            }
            frames.to_client.push_back(std::mem::take(&mut buf));
        }
        while self.client_reads && !self.client.is_closed() {
            let Some(message) = frames.to_client.front() else {
                break;
            };
            match self.client.handle_input(self.now, message) {
                Ok(0) => break,
                _ => {
                    moved = true;
                    frames.to_client.pop_front();
                }
            }
        }
        self.websocket = Some(frames);
        moved | self.collect_events()
    }

    fn next_piece(&mut self, available: usize) -> usize {
        let Some(&piece) = self.split.get(self.piece % self.split.len().max(1)) else {
            return available;
        };
        self.piece += 1;
        piece.clamp(1, available)
    }

    /// Answers the server's questions and the TLS upgrades; keeps the rest.
    fn collect_events(&mut self) -> bool {
        let mut any = false;
        while let Some(event) = self.server.poll_event() {
            any = true;
            match &event {
                ServerEvent::StartTls => {
                    let tls = self.server_tls.clone().unwrap_or_else(|| self.tls.clone());
                    self.server
                        .tls_established(self.now, tls)
                        .expect("the server expected TLS");
                }
                ServerEvent::CredentialsNeeded {
                    username,
                    mechanism,
                    ..
                } => {
                    let record = self.accounts.record(username, *mechanism);
                    self.server
                        .provide_credentials(record)
                        .expect("credentials were asked for");
                }
                ServerEvent::AuthorizationRequested { .. } => {
                    self.server
                        .authorize(self.grant_authzid)
                        .expect("authorization was asked for");
                }
                ServerEvent::BindRequested { account, requested } => {
                    self.resources += 1;
                    let resource = requested
                        .clone()
                        .unwrap_or_else(|| format!("gen{}", self.resources));
                    let jid = FullJid::from_parts(account.node(), account.domain(), &resource)
                        .expect("a valid resource");
                    self.server.bind(Ok(jid)).expect("bind was asked for");
                }
                ServerEvent::ResumeRequested { previd, .. } => {
                    let state = self.kept.remove(previd);
                    self.server.resume(state).expect("resumption was asked for");
                }
                ServerEvent::Disconnected {
                    resumption: Some(state),
                    ..
                } => {
                    self.kept.insert(state.id.clone(), state.clone());
                }
                _ => {}
            }
            self.server_events.push(event);
        }
        while let Some(event) = self.client.poll_event() {
            any = true;
            // A client that failed right after <proceed/> (plaintext was
            // injected) no longer expects TLS; an adapter would see the
            // same refusal.
            if matches!(event, ClientEvent::StartTls) && !self.client.is_closed() {
                self.client
                    .tls_established(self.now, self.tls.clone())
                    .expect("the client expected TLS");
            }
            self.client_events.push(event);
        }
        any
    }

    /// Steps until nothing moves.
    pub fn drive(&mut self) {
        for _ in 0..100_000 {
            if !self.step() {
                return;
            }
        }
        panic!("the pair did not settle");
    }

    /// Moves virtual time forward by `by`, firing every deadline of either
    /// side on the way, and drives after each.
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        loop {
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(deadline) if deadline <= end => {
                    self.now = self.now.max(deadline);
                    self.client.handle_timeout(self.now);
                    self.server.handle_timeout(self.now);
                    self.drive();
                }
                _ => break,
            }
        }
        self.now = end;
        self.drive();
    }

    /// Whether both sides are online.
    pub fn is_online(&self) -> bool {
        self.client.is_online() && self.server.is_online()
    }
}
