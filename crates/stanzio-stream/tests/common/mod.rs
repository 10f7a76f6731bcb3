//! A scripted server shaped like the recorded Prosody 0.12 and ejabberd
//! 23.01 sessions (`tests/data/` of the repository), driving a real
//! `ClientConnection` with virtual time and deterministic randomness, with
//! a tamper hook on every chunk in both directions.
// Each scenario file uses a different part; a failed expectation is a
// panic (clippy.toml allows these inside #[test] functions; the harness is
// test code too).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand_core::{CryptoRng, RngCore};
use stanzio_sasl::{
    ChannelBindingType, HashAlgorithm, Mechanism, ServerConfig, ServerMechanism, ServerStep,
    StoredCredentials, TlsInfo, TlsVersion,
};
use stanzio_stream::{ClientConfig, ClientConnection, ClientEvent};
use stanzio_xml::{Element, Limits, StreamEvent, StreamReader};

pub const PASSWORD: &str = "s3cr3t pässword";

/// Deterministic generator (SplitMix64) so runs repeat byte for byte. It
/// claims `CryptoRng` only because the API asks for one.
#[derive(Clone)]
pub struct TestRng(pub u64);

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
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
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

impl CryptoRng for TestRng {}

/// The features lists and header shapes of one real server.
#[derive(Clone, Debug)]
pub struct Shape {
    pub name: &'static str,
    /// Everything of the header but `id`, as that server writes it.
    pub header_prefix: &'static str,
    pub features_plain: String,
    pub features_tls: String,
    pub features_authenticated: String,
    pub mechanisms: Vec<Mechanism>,
    /// The server refuses every `-PLUS` attempt with `not-authorized`
    /// (it binds only tls-unique, which a rustls client cannot produce).
    pub refuses_plus: bool,
    pub iterations: u32,
    /// XEP-0474 `h` in server-first.
    pub downgrade_protection: bool,
}

impl Shape {
    /// Prosody 0.12 as recorded: PLAIN and SCRAM-SHA-1, i=10000, bind
    /// required, session optional, SM 2 and 3.
    pub fn prosody() -> Shape {
        Shape {
            name: "prosody",
            header_prefix: "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' from='localhost' version='1.0' xml:lang='en'",
            features_plain: "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>".into(),
            features_tls: "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms>".into(),
            features_authenticated: "<csi xmlns='urn:xmpp:csi:0'/><sub xmlns='urn:xmpp:features:pre-approval'/><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session><ver xmlns='urn:xmpp:features:rosterver'/><sm xmlns='urn:xmpp:sm:2'><optional/></sm><sm xmlns='urn:xmpp:sm:3'><optional/></sm><c ver='w5Go7NdJafPqgp1LfJSHHnPXQQw=' hash='sha-1' node='http://prosody.im' xmlns='http://jabber.org/protocol/caps'/>".into(),
            mechanisms: vec![Mechanism::Plain, Mechanism::scram(HashAlgorithm::Sha1, false)],
            refuses_plus: false,
            iterations: 10_000,
            downgrade_protection: false,
        }
    }

    /// ejabberd 23.01 as recorded: PLAIN and every SCRAM with `-PLUS`, no
    /// XEP-0440, i=4096, session optional, SM 2 and 3; `-PLUS` refused.
    pub fn ejabberd() -> Shape {
        Shape {
            name: "ejabberd",
            header_prefix: "<?xml version='1.0'?><stream:stream version='1.0' xml:lang='en' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' xmlns='jabber:client'",
            features_plain: "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>".into(),
            features_tls: "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-512-PLUS</mechanism><mechanism>SCRAM-SHA-512</mechanism><mechanism>SCRAM-SHA-256-PLUS</mechanism><mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms>".into(),
            features_authenticated: "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session><c ver='QUJiILKaeLHy7/TRIgHE/KbXJJI=' node='http://www.process-one.net/en/ejabberd/' hash='sha-1' xmlns='http://jabber.org/protocol/caps'/><sm xmlns='urn:xmpp:sm:2'/><sm xmlns='urn:xmpp:sm:3'/><ver xmlns='urn:xmpp:features:rosterver'/><csi xmlns='urn:xmpp:csi:0'/>".into(),
            mechanisms: vec![
                Mechanism::Plain,
                Mechanism::scram(HashAlgorithm::Sha512, true),
                Mechanism::scram(HashAlgorithm::Sha512, false),
                Mechanism::scram(HashAlgorithm::Sha256, true),
                Mechanism::scram(HashAlgorithm::Sha256, false),
                Mechanism::scram(HashAlgorithm::Sha1, true),
                Mechanism::scram(HashAlgorithm::Sha1, false),
            ],
            refuses_plus: true,
            iterations: 4096,
            downgrade_protection: false,
        }
    }
}

/// Which way a chunk travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    ToServer,
    ToClient,
}

/// How server bytes are cut before the client sees them.
#[derive(Debug, Clone)]
pub enum Split {
    Whole,
    Bytewise,
    /// Chunk lengths taken in turn (never zero).
    Pieces(Vec<usize>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Plain,
    Tls,
    Authenticated,
}

/// The server side of the script.
pub struct ScriptedServer {
    pub shape: Shape,
    reader: StreamReader,
    stage: Stage,
    sasl: ServerConfig,
    record: std::collections::HashMap<HashAlgorithm, StoredCredentials>,
    mechanism: Option<ServerMechanism>,
    pub tls: Option<TlsInfo>,
    rng: TestRng,
    streams: u32,
    /// What the server binds (tamper tests put nonsense here).
    pub bound_jid: String,
    /// `<enabled/>` answer to `<enable/>`; `None` answers `<failed/>`.
    pub enabled: Option<String>,
    /// Answer to `<resume/>` (with `{h}` replaced by the stanza count).
    pub resume_answer: Option<String>,
    /// Stanzas the client sent, as XML.
    pub received: Vec<String>,
    /// Stanzas counted for stream management.
    pub handled: u32,
    /// Acks the client sent (its `h` values).
    pub acks: Vec<u32>,
    /// Answer `<r/>` (off: a server that never answers).
    pub answers_ack_requests: bool,
    /// Answer XEP-0199 pings.
    pub answers_pings: bool,
    pub closed: bool,
}

impl ScriptedServer {
    pub fn new(shape: Shape) -> Self {
        let mut rng = TestRng(0x5e12);
        let mut sasl = ServerConfig::new(b"scripted server secret".to_vec());
        sasl.mechanisms = shape.mechanisms.clone();
        sasl.downgrade_protection = shape.downgrade_protection;
        sasl.announce_tls_version = false;
        let record = HashAlgorithm::STRONGEST_FIRST
            .into_iter()
            .map(|hash| {
                let record =
                    StoredCredentials::generate(hash, PASSWORD, shape.iterations, &mut rng)
                        .expect("a valid password");
                (hash, record)
            })
            .collect();
        ScriptedServer {
            shape,
            reader: StreamReader::new(Limits::default()),
            stage: Stage::Plain,
            sasl,
            record,
            mechanism: None,
            tls: None,
            rng,
            streams: 0,
            bound_jid: "alice@localhost/smoke".into(),
            enabled: Some(
                "<enabled xmlns='urn:xmpp:sm:3' id='c20tMQ==' resume='true' max='300'/>".into(),
            ),
            resume_answer: None,
            received: Vec::new(),
            handled: 0,
            acks: Vec::new(),
            answers_ack_requests: true,
            answers_pings: true,
            closed: false,
        }
    }

    /// Reads client bytes and returns the answer.
    pub fn feed(&mut self, mut input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            match self.reader.read(&mut input) {
                Ok(Some(StreamEvent::Header(_))) => self.header(&mut out),
                Ok(Some(StreamEvent::Element(element))) => self.element(&element, &mut out),
                Ok(Some(StreamEvent::End)) => {
                    self.closed = true;
                    out.extend_from_slice(b"</stream:stream>");
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(error) => panic!("the client sent bad XML: {error}"),
            }
        }
        out
    }

    fn header(&mut self, out: &mut Vec<u8>) {
        self.streams += 1;
        let features = match self.stage {
            Stage::Plain => &self.shape.features_plain,
            Stage::Tls => &self.shape.features_tls,
            Stage::Authenticated => &self.shape.features_authenticated,
        };
        out.extend_from_slice(
            format!(
                "{} id='stream-{}'><stream:features>{}</stream:features>",
                self.shape.header_prefix, self.streams, features
            )
            .as_bytes(),
        );
    }

    fn element(&mut self, element: &Element, out: &mut Vec<u8>) {
        let root = element.root();
        let text = root.text().into_owned();
        match (root.name(), self.stage) {
            ("starttls", Stage::Plain) => {
                out.extend_from_slice(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
                self.reader.restart();
                self.stage = Stage::Tls;
            }
            ("auth", Stage::Tls) => {
                let requested = root.attr("mechanism").unwrap_or_default().to_owned();
                if self.shape.refuses_plus && requested.ends_with("-PLUS") {
                    out.extend_from_slice(b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
                    return;
                }
                let mut mechanism =
                    ServerMechanism::new(&self.sasl, self.tls.as_ref(), &requested, &mut self.rng)
                        .expect("the client picks an offered mechanism");
                let initial = decode(&text);
                let step = mechanism.handle_response(&initial).expect("client-first");
                let step = match step {
                    ServerStep::CredentialsNeeded { .. } => {
                        let hash = match mechanism.mechanism() {
                            Mechanism::Scram { hash, .. } => hash,
                            _ => HashAlgorithm::Sha256,
                        };
                        mechanism
                            .provide_credentials(self.record.get(&hash).cloned())
                            .expect("credentials")
                    }
                    other => other,
                };
                self.mechanism = Some(mechanism);
                self.sasl_step(step, out);
            }
            ("response", Stage::Tls) => {
                let data = decode(&text);
                let mechanism = self.mechanism.as_mut().expect("an exchange");
                let step = mechanism.handle_response(&data).expect("client-final");
                self.sasl_step(step, out);
            }
            ("abort", Stage::Tls) => {
                out.extend_from_slice(
                    b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>",
                );
            }
            ("iq", Stage::Authenticated) if root.get_child("bind", "urn:ietf:params:xml:ns:xmpp-bind").is_some() => {
                let id = root.attr("id").unwrap_or_default();
                out.extend_from_slice(format!("<iq type='result' id='{id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>{}</jid></bind></iq>", self.bound_jid).as_bytes());
            }
            ("enable", Stage::Authenticated) => match &self.enabled {
                Some(answer) => out.extend_from_slice(answer.as_bytes()),
                None => out.extend_from_slice(b"<failed xmlns='urn:xmpp:sm:3'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"),
            },
            ("resume", Stage::Authenticated) => {
                let answer = self
                    .resume_answer
                    .clone()
                    .unwrap_or_else(|| "<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>".into())
                    .replace("{h}", &self.handled.to_string());
                out.extend_from_slice(answer.as_bytes());
            }
            ("r", Stage::Authenticated) => {
                if self.answers_ack_requests {
                    out.extend_from_slice(format!("<a xmlns='urn:xmpp:sm:3' h='{}'/>", self.handled).as_bytes());
                }
            }
            ("a", Stage::Authenticated) => {
                self.acks.push(root.attr("h").and_then(|h| h.parse().ok()).unwrap_or(u32::MAX));
            }
            ("iq" | "message" | "presence", Stage::Authenticated) => {
                self.handled = self.handled.wrapping_add(1);
                let mut xml = Vec::new();
                stanzio_xml::StreamWriter::new(stanzio_xml::ContentNamespace::Client)
                    .write(&mut xml, root)
                    .expect("writable");
                self.received.push(String::from_utf8(xml).expect("UTF-8"));
                if root.name() == "iq"
                    && root.get_child("ping", "urn:xmpp:ping").is_some()
                    && self.answers_pings
                {
                    let id = root.attr("id").unwrap_or_default();
                    out.extend_from_slice(format!("<iq type='result' from='localhost' id='{id}'/>").as_bytes());
                }
            }
            (name, stage) => panic!("the scripted server did not expect <{name}/> in {stage:?}"),
        }
    }

    fn sasl_step(&mut self, step: ServerStep, out: &mut Vec<u8>) {
        match step {
            ServerStep::Challenge(data) => out.extend_from_slice(
                format!(
                    "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</challenge>",
                    BASE64.encode(data)
                )
                .as_bytes(),
            ),
            ServerStep::Success {
                additional_data, ..
            } => {
                let data = additional_data
                    .map(|d| BASE64.encode(d))
                    .unwrap_or_default();
                out.extend_from_slice(
                    format!("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{data}</success>")
                        .as_bytes(),
                );
                self.reader.restart();
                self.stage = Stage::Authenticated;
            }
            ServerStep::Failure(failure) => out.extend_from_slice(
                format!(
                    "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><{}/></failure>",
                    failure.condition.as_str()
                )
                .as_bytes(),
            ),
            other => panic!("unexpected SASL step {other:?}"),
        }
    }
}

fn decode(text: &str) -> Vec<u8> {
    if text == "=" {
        return Vec::new();
    }
    BASE64.decode(text.trim()).expect("base64 from the client")
}

/// The TLS session both ends of the in-memory "TLS" agree on.
pub fn tls13() -> TlsInfo {
    TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [7u8; 32])
}

/// A tamper hook: sees (and may change) every chunk.
pub type Tamper = Box<dyn FnMut(Dir, &mut Vec<u8>)>;

/// A client and the scripted server, back to back.
pub struct Harness {
    pub client: ClientConnection,
    pub server: ScriptedServer,
    pub now: Instant,
    pub events: Vec<ClientEvent>,
    /// Everything the client wrote, in order.
    pub client_wrote: Vec<u8>,
    pub split: Split,
    pub tamper: Option<Tamper>,
    /// Bytes the server wants to send that the client has not taken yet.
    pending_to_client: Vec<u8>,
    piece: usize,
}

/// The origin of virtual time. `Instant` has no constructor but the
/// clock, so the harness reads it once; only offsets from it matter.
#[allow(clippy::disallowed_methods)]
pub fn epoch() -> Instant {
    Instant::now()
}

pub fn client_config(rng_seed: u64) -> ClientConfig {
    ClientConfig::new(
        "alice@localhost/smoke".parse().expect("a JID"),
        PASSWORD,
        TestRng(rng_seed),
    )
}

impl Harness {
    pub fn new(config: ClientConfig, shape: Shape) -> Self {
        let now = epoch();
        let client = ClientConnection::new(config, now).expect("a valid configuration");
        Harness {
            client,
            server: ScriptedServer::new(shape),
            now,
            events: Vec::new(),
            client_wrote: Vec::new(),
            split: Split::Whole,
            tamper: None,
            pending_to_client: Vec::new(),
            piece: 0,
        }
    }

    fn next_piece(&mut self) -> usize {
        match &self.split {
            Split::Whole => usize::MAX,
            Split::Bytewise => 1,
            Split::Pieces(pieces) => {
                let n = pieces[self.piece % pieces.len()].max(1);
                self.piece += 1;
                n
            }
        }
    }

    /// Moves bytes both ways until nothing moves.
    pub fn drive(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            let mut buf = Vec::new();
            while self.client.poll_transmit(&mut buf).is_some() {
                moved = true;
                if let Some(tamper) = &mut self.tamper {
                    tamper(Dir::ToServer, &mut buf);
                }
                self.client_wrote.extend_from_slice(&buf);
                if !self.server.closed {
                    let answer = self.server.feed(&buf);
                    self.queue_to_client(answer);
                }
            }
            while let Some(event) = self.client.poll_event() {
                moved = true;
                if matches!(event, ClientEvent::StartTls) {
                    let tls = tls13();
                    self.server.tls = Some(tls.clone());
                    self.client
                        .tls_established(self.now, tls)
                        .expect("TLS was expected");
                }
                self.events.push(event);
            }
            if !self.pending_to_client.is_empty() && !self.client.is_closed() {
                moved = true;
                let n = self.next_piece().min(self.pending_to_client.len());
                let chunk: Vec<u8> = self.pending_to_client.drain(..n).collect();
                let mut offset = 0;
                while offset < chunk.len() {
                    match self.client.handle_input(self.now, &chunk[offset..]) {
                        Ok(consumed) => offset += consumed,
                        Err(_) => break,
                    }
                    if offset < chunk.len() {
                        // Backpressure: drain events before feeding more.
                        while let Some(event) = self.client.poll_event() {
                            self.events.push(event);
                        }
                    }
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the pair did not settle");
    }

    /// Queues server bytes for the client (through the tamper hook).
    pub fn queue_to_client(&mut self, mut bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        if let Some(tamper) = &mut self.tamper {
            tamper(Dir::ToClient, &mut bytes);
        }
        self.pending_to_client.extend_from_slice(&bytes);
    }

    /// Advances virtual time to `now + by`, running the client's timers on
    /// the way, and drives.
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while let Some(deadline) = self.client.poll_timeout() {
            if deadline > end {
                break;
            }
            self.now = self.now.max(deadline);
            self.client.handle_timeout(self.now);
            self.drive();
        }
        self.now = end;
        self.client.handle_timeout(self.now);
        self.drive();
    }

    /// The events as debug strings (stable for comparisons across splits).
    pub fn event_log(&self) -> Vec<String> {
        self.events.iter().map(|e| format!("{e:?}")).collect()
    }

    pub fn is_online(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, ClientEvent::Online { .. }))
    }

    pub fn disconnect_error(&self) -> Option<&stanzio_stream::ConnectionError> {
        self.events.iter().find_map(|e| match e {
            ClientEvent::Disconnected(error) => error.as_ref(),
            _ => None,
        })
    }
}
