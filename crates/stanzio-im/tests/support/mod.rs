//! Test harnesses: clients and an IM server wired together.
//!
//! - [`Hub`]: `ImClient`s and one `ImServer` exchanging typed stanzas in
//!   memory, for many quick scenarios and property tests.
//! - [`PairRouter`]: each client on its own `stanzio_stream` client/server
//!   pair (real XML streams, SASL, bind), the servers' stanzas routed
//!   through one `ImServer`: the scenarios over the wire.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a harness fails loudly; each test file uses part of it

pub mod appendix_a;

use std::collections::BTreeMap;
use std::time::Instant;

use stanzio_im::server::ServerOutput;
use stanzio_im::{ImClient, ImClientConfig, ImEvent, ImServer, ImServerConfig, MemoryStore};
use stanzio_jid::{BareJid, FullJid};
use stanzio_stanza::{Stanza, StreamContext};
use stanzio_stream::testing::{Accounts, Pair, TestRng};
use stanzio_stream::{ClientConfig, ClientEvent, ServerConfig, ServerEvent};
use stanzio_xml::{ContentNamespace, Limits, StreamEvent, StreamReader};

pub fn jid<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

/// The stanzas in `xml`, read as a client reads its stream from the
/// server (the recorded servers' streams say `xml:lang='en'`).
pub fn stanzas(xml: &str) -> Vec<Stanza> {
    const OPEN: &str = "<stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en'>";
    let mut reader = StreamReader::new(Limits::default());
    let all = format!("{OPEN}{xml}");
    let mut input = all.as_bytes();
    let mut header = None;
    let mut out = Vec::new();
    while let Some(event) = reader.read(&mut input).unwrap() {
        match event {
            StreamEvent::Header(h) => header = Some(h),
            StreamEvent::Element(element) => {
                let ctx =
                    StreamContext::from_header(header.as_ref().unwrap(), ContentNamespace::Client);
                out.push(Stanza::from_element(element.root(), &ctx).unwrap());
            }
            _ => {}
        }
    }
    out
}

/// The one stanza in `xml`.
pub fn stanza(xml: &str) -> Stanza {
    let mut all = stanzas(xml);
    assert_eq!(all.len(), 1, "{xml}");
    all.remove(0)
}

/// Every stanza `client` wants to send, taken.
pub fn transmitted(client: &mut ImClient) -> Vec<Stanza> {
    std::iter::from_fn(|| client.poll_transmit()).collect()
}

/// Every event of `client`, taken.
pub fn events(client: &mut ImClient) -> Vec<ImEvent> {
    std::iter::from_fn(|| client.poll_event()).collect()
}

/// A client bound to `full`, with the test generator.
pub fn client(full: &str) -> ImClient {
    ImClient::new(ImClientConfig::new(jid(full)), TestRng(7))
}

/// One instant for a whole test: virtual time starts here.
#[allow(clippy::disallowed_methods)] // the starting point of virtual time
pub fn start() -> Instant {
    Instant::now()
}

/// Clients and a server exchanging stanzas in memory.
pub struct Hub {
    pub server: ImServer,
    pub store: MemoryStore,
    pub clients: BTreeMap<FullJid, ImClient>,
    pub events: BTreeMap<FullJid, Vec<ImEvent>>,
    /// Every stanza the server delivered, in order.
    pub delivered: Vec<(FullJid, Stanza)>,
    pub now: Instant,
    seed: u64,
}

impl Hub {
    /// A server for `domain` with `accounts` (localparts).
    pub fn new(domain: &str, accounts: &[&str]) -> Self {
        Hub::with_config(ImServerConfig::new([domain]), domain, accounts)
    }

    /// The same with the server configured by `config`.
    pub fn with_config(config: ImServerConfig, domain: &str, accounts: &[&str]) -> Self {
        let mut store = MemoryStore::new();
        for account in accounts {
            store.add_account(jid(&format!("{account}@{domain}")));
        }
        Hub {
            server: ImServer::new(config),
            store,
            clients: BTreeMap::new(),
            events: BTreeMap::new(),
            delivered: Vec::new(),
            now: start(),
            seed: 1,
        }
    }

    /// Binds a session and makes its client.
    pub fn connect(&mut self, full: &str) -> FullJid {
        let full: FullJid = jid(full);
        self.server.session_started(full.clone());
        self.seed += 1;
        let config = ImClientConfig::new(full.clone())
            .with_roster_versioning(true)
            .with_pre_approval(true);
        self.clients
            .insert(full.clone(), ImClient::new(config, TestRng(self.seed)));
        self.events.insert(full.clone(), Vec::new());
        full
    }

    /// Ends a session.
    pub fn disconnect(&mut self, full: &FullJid) {
        self.clients.remove(full);
        self.server.session_ended(&mut self.store, full);
        self.run();
    }

    pub fn client(&mut self, full: &FullJid) -> &mut ImClient {
        self.clients.get_mut(full).unwrap()
    }

    /// Moves stanzas until nothing moves.
    pub fn run(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            let jids: Vec<FullJid> = self.clients.keys().cloned().collect();
            for full in &jids {
                let client = self.clients.get_mut(full).unwrap();
                let mut sent = Vec::new();
                while let Some(stanza) = client.poll_transmit() {
                    sent.push(stanza);
                }
                while let Some(event) = client.poll_event() {
                    self.events.get_mut(full).unwrap().push(event);
                }
                for stanza in sent {
                    moved = true;
                    self.server.handle_stanza(&mut self.store, full, stanza);
                }
            }
            while let Some(output) = self.server.poll_output() {
                moved = true;
                match output {
                    ServerOutput::Deliver { to, stanza } => {
                        self.delivered.push((to.clone(), stanza.clone()));
                        if let Some(client) = self.clients.get_mut(&to) {
                            client.handle_stanza(stanza);
                        }
                    }
                    other => panic!("unexpected server output {other:?}"),
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the hub did not settle");
    }

    /// The events of `full` so far, taken.
    pub fn take_events(&mut self, full: &FullJid) -> Vec<ImEvent> {
        std::mem::take(self.events.get_mut(full).unwrap())
    }

    /// The stanzas delivered to `full` so far, taken.
    pub fn take_delivered(&mut self, full: &FullJid) -> Vec<Stanza> {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.delivered)
            .into_iter()
            .partition(|(to, _)| to == full);
        self.delivered = rest;
        mine.into_iter().map(|(_, s)| s).collect()
    }

    /// Logs `full` in as a usual client does: roster, blocklist, initial
    /// presence.
    pub fn log_in(&mut self, full: &str) -> FullJid {
        let full = self.connect(full);
        let now = self.now;
        let client = self.client(&full);
        client.fetch_roster(now).unwrap();
        client.fetch_blocklist(now).unwrap();
        client.send_presence(stanzio_stanza::Presence::available());
        self.run();
        full
    }
}

/// A client on a real stream pair, with its IM client.
pub struct Side {
    pub pair: Pair,
    pub client: ImClient,
    pub jid: FullJid,
    pub events: Vec<ImEvent>,
    /// Cleared when the connection is dropped.
    pub alive: bool,
}

/// Clients on stream pairs, their servers' stanzas routed through one
/// `ImServer`.
pub struct PairRouter {
    pub server: ImServer,
    pub store: MemoryStore,
    pub sides: Vec<Side>,
    domain: String,
    users: Vec<(String, String)>,
}

impl PairRouter {
    /// A server for `domain` where each `(user, password)` has an account.
    pub fn new(domain: &str, users: &[(&str, &str)]) -> Self {
        let mut store = MemoryStore::new();
        for (user, _) in users {
            store.add_account(jid(&format!("{user}@{domain}")));
        }
        PairRouter {
            server: ImServer::new(ImServerConfig::new([domain])),
            store,
            sides: Vec::new(),
            domain: domain.to_owned(),
            users: users
                .iter()
                .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
                .collect(),
        }
    }

    /// Connects `user/resource` over a new pair; returns its index.
    pub fn connect(&mut self, user: &str, resource: &str) -> usize {
        let (_, password) = self.users.iter().find(|(u, _)| u == user).unwrap();
        let seed = 100 + self.sides.len() as u64;
        let client = ClientConfig::new(
            jid(&format!("{user}@{}/{resource}", self.domain)),
            password.clone(),
            TestRng(seed),
        );
        let server = ServerConfig::new([self.domain.as_str()], b"router secret".to_vec());
        let users: Vec<(&str, &str)> = self
            .users
            .iter()
            .map(|(u, p)| (u.as_str(), p.as_str()))
            .collect();
        let mut pair = Pair::new(client, server, Accounts::new(&users));
        pair.drive();
        assert!(pair.is_online(), "{:#?}", pair.client_events);
        let bound: FullJid = pair
            .server
            .jid()
            .expect("bound")
            .try_into()
            .expect("a full JID");
        pair.client_events.clear();
        pair.server_events.clear();
        self.server.session_started(bound.clone());
        let config = ImClientConfig::new(bound.clone())
            .with_roster_versioning(true)
            .with_pre_approval(true);
        self.sides.push(Side {
            pair,
            client: ImClient::new(config, TestRng(seed + 1000)),
            jid: bound,
            events: Vec::new(),
            alive: true,
        });
        self.sides.len() - 1
    }

    pub fn client(&mut self, side: usize) -> &mut ImClient {
        &mut self.sides[side].client
    }

    pub fn now(&self, side: usize) -> Instant {
        self.sides[side].pair.now
    }

    /// Moves everything until nothing moves: bytes on each pair, stanzas
    /// through the IM server, stanzas in and out of each IM client.
    pub fn drive(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            for index in 0..self.sides.len() {
                let side = &mut self.sides[index];
                if !side.alive {
                    continue;
                }
                side.pair.drive();
                let from = side.jid.clone();
                for event in std::mem::take(&mut side.pair.server_events) {
                    match event {
                        ServerEvent::Stanza(stanza) => {
                            moved = true;
                            self.server.handle_stanza(&mut self.store, &from, stanza);
                        }
                        ServerEvent::Disconnected { .. } => {
                            moved = true;
                            self.server.session_ended(&mut self.store, &from);
                        }
                        _ => {}
                    }
                }
                let side = &mut self.sides[index];
                for event in std::mem::take(&mut side.pair.client_events) {
                    if let ClientEvent::Stanza(stanza) = event {
                        moved = true;
                        side.client.handle_stanza(stanza);
                    }
                }
                while let Some(stanza) = side.client.poll_transmit() {
                    moved = true;
                    side.pair.client.send(stanza).unwrap();
                }
                while let Some(event) = side.client.poll_event() {
                    side.events.push(event);
                }
            }
            while let Some(output) = self.server.poll_output() {
                moved = true;
                match output {
                    ServerOutput::Deliver { to, stanza } => {
                        if let Some(side) = self.sides.iter_mut().find(|s| s.alive && s.jid == to) {
                            side.pair.server.send(stanza).unwrap();
                        }
                    }
                    other => panic!("unexpected server output {other:?}"),
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the router did not settle");
    }

    /// Cuts `side`'s connection; the server learns it and the side is
    /// gone for good.
    pub fn disconnect(&mut self, side: usize) {
        self.sides[side].pair.drop_connection();
        let from = self.sides[side].jid.clone();
        for event in std::mem::take(&mut self.sides[side].pair.server_events) {
            if let ServerEvent::Disconnected { .. } = event {
                self.server.session_ended(&mut self.store, &from);
            }
        }
        self.sides[side].alive = false;
        self.drive();
    }

    /// The events of `side` so far, taken.
    pub fn take_events(&mut self, side: usize) -> Vec<ImEvent> {
        std::mem::take(&mut self.sides[side].events)
    }

    /// The account of `side`.
    pub fn account(&self, side: usize) -> BareJid {
        self.sides[side].jid.to_bare()
    }
}

/// Logs both in (roster, initial presence) and makes them mutual
/// subscribers: Juliet asks, Romeo approves and asks back, Juliet
/// approves.
pub fn friends() -> PairRouter {
    let mut router = PairRouter::new("verona.lit", &[("juliet", "r0m30"), ("romeo", "ju1137")]);
    let juliet = router.connect("juliet", "balcony");
    let romeo = router.connect("romeo", "orchard");
    for side in [juliet, romeo] {
        let now = router.now(side);
        router.client(side).fetch_roster(now).unwrap();
        router
            .client(side)
            .send_presence(stanzio_stanza::Presence::available());
    }
    router.drive();
    router.client(juliet).subscribe(jid("romeo@verona.lit"));
    router.drive();
    let requests: Vec<_> = router
        .take_events(romeo)
        .into_iter()
        .filter_map(|e| match e {
            ImEvent::SubscriptionRequest { from, .. } => Some(from),
            _ => None,
        })
        .collect();
    assert_eq!(requests, [jid::<BareJid>("juliet@verona.lit")]);
    router.client(romeo).approve(jid("juliet@verona.lit"));
    router.client(romeo).subscribe(jid("juliet@verona.lit"));
    router.drive();
    router.client(juliet).approve(jid("romeo@verona.lit"));
    router.drive();
    router
}
