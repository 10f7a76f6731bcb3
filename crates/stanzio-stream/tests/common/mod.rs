//! A scripted server shaped like the recorded Prosody 0.12 and ejabberd
//! 23.01 sessions (`tests/data/` of the repository), driving a real
//! `ClientConnection` with virtual time and deterministic randomness, with
//! a tamper hook on every chunk in both directions. It speaks TCP framing
//! (RFC 6120 §4) or, with [`Harness::websocket`], RFC 7395 messages.
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

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use stanzio_sasl::{
    ChannelBindingType, HashAlgorithm, Mechanism, ServerConfig, ServerMechanism, ServerOffer,
    ServerStep, StoredCredentials, TlsInfo, TlsVersion,
};
use stanzio_stream::elements::features::StreamFeatures;
use stanzio_stream::{ClientConfig, ClientConnection, ClientEvent, ConnectionError, Transport};
use stanzio_xml::{
    ContentNamespace, Element, FrameEvent, FrameReader, Limits, ReadError, StreamEvent,
    StreamReader, StreamWriter,
};

pub const PASSWORD: &str = "s3cr3t pässword";

/// The crate's deterministic generator, so runs repeat byte for byte.
pub use stanzio_stream::testing::TestRng;

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

    /// The same shape with another iteration count (the client's policy
    /// must accept it: see [`cheap_client_config`]), for tests that log
    /// in many times.
    pub fn with_iterations(mut self, iterations: u32) -> Shape {
        self.iterations = iterations;
        self
    }
}

/// Which way a chunk travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    ToServer,
    ToClient,
}

/// How server bytes are cut before the client sees them (TCP only: on a
/// WebSocket every message is delivered whole, RFC 7395 §3.3.3).
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

enum ServerReader {
    Tcp(StreamReader),
    WebSocket(FrameReader),
}

/// Stored SCRAM records per (hash, iterations), computed once per test
/// binary: PBKDF2 in a debug build is what makes a login slow.
fn record(hash: HashAlgorithm, iterations: u32) -> StoredCredentials {
    static RECORDS: OnceLock<Mutex<HashMap<(HashAlgorithm, u32), StoredCredentials>>> =
        OnceLock::new();
    let records = RECORDS.get_or_init(Default::default);
    let mut records = records
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    records
        .entry((hash, iterations))
        .or_insert_with(|| {
            StoredCredentials::derive(hash, PASSWORD, b"scripted salt 16", iterations)
                .expect("a valid password")
        })
        .clone()
}

/// The server side of the script.
pub struct ScriptedServer {
    pub shape: Shape,
    reader: ServerReader,
    websocket: bool,
    stage: Stage,
    sasl: ServerConfig,
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
    /// How many `<r/>` the client sent.
    pub ack_requests: u32,
    /// Answer `<r/>` (off: a server that never answers).
    pub answers_ack_requests: bool,
    /// Answer XEP-0199 pings.
    pub answers_pings: bool,
    /// Answer the client's stream close with ours.
    pub answers_close: bool,
    /// Stream errors the client sent, as XML.
    pub stream_errors: Vec<String>,
    /// XML errors in what the client sent (the server stops reading).
    pub xml_errors: Vec<ReadError>,
    /// `<auth/>` elements the client sent, by mechanism.
    pub auths: Vec<String>,
    /// The client closed its stream.
    pub closed: bool,
    /// The server closed its stream.
    pub sent_close: bool,
}

impl ScriptedServer {
    pub fn new(shape: Shape) -> Self {
        let mut sasl = ServerConfig::new(b"scripted server secret".to_vec());
        sasl.mechanisms = shape.mechanisms.clone();
        sasl.downgrade_protection = shape.downgrade_protection;
        sasl.announce_tls_version = false;
        // The recorded servers do not advertise XEP-0440.
        sasl.advertise_channel_binding_types = false;
        ScriptedServer {
            shape,
            reader: ServerReader::Tcp(StreamReader::new(Limits::default())),
            websocket: false,
            stage: Stage::Plain,
            sasl,
            mechanism: None,
            tls: None,
            rng: TestRng(0x5e12),
            streams: 0,
            bound_jid: "alice@localhost/smoke".into(),
            enabled: Some(
                "<enabled xmlns='urn:xmpp:sm:3' id='c20tMQ==' resume='true' max='300'/>".into(),
            ),
            resume_answer: None,
            received: Vec::new(),
            handled: 0,
            acks: Vec::new(),
            ack_requests: 0,
            answers_ack_requests: true,
            answers_pings: true,
            answers_close: true,
            stream_errors: Vec::new(),
            xml_errors: Vec::new(),
            auths: Vec::new(),
            closed: false,
            sent_close: false,
        }
    }

    /// A server behind RFC 7395 WebSocket framing, TLS done by `wss://`.
    pub fn websocket(shape: Shape) -> Self {
        let mut server = ScriptedServer::new(shape);
        server.reader = ServerReader::WebSocket(FrameReader::new(
            Limits::default(),
            ContentNamespace::Client,
        ));
        server.websocket = true;
        server.stage = Stage::Tls;
        server.tls = Some(tls13());
        server
    }

    /// Reads client bytes (one message on a WebSocket) and returns the
    /// answer, one top-level unit per entry.
    pub fn feed(&mut self, mut input: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        if self.closed || !self.xml_errors.is_empty() {
            return out;
        }
        loop {
            let event = match &mut self.reader {
                ServerReader::Tcp(reader) => match reader.read(&mut input) {
                    Ok(Some(StreamEvent::Header(_))) => Ok(Some(Unit::Header)),
                    Ok(Some(StreamEvent::Element(element))) => Ok(Some(Unit::Element(element))),
                    Ok(Some(StreamEvent::End)) => Ok(Some(Unit::End)),
                    Ok(Some(_)) => continue,
                    Ok(None) => Ok(None),
                    Err(error) => Err(error),
                },
                ServerReader::WebSocket(reader) => {
                    if input.is_empty() {
                        Ok(None)
                    } else {
                        let message = std::mem::take(&mut input);
                        match reader.read_message(message) {
                            Ok(FrameEvent::Open(_)) => Ok(Some(Unit::Header)),
                            Ok(FrameEvent::Element(element)) => Ok(Some(Unit::Element(element))),
                            Ok(FrameEvent::Close { .. }) => Ok(Some(Unit::End)),
                            Ok(_) => continue,
                            Err(error) => Err(error),
                        }
                    }
                }
            };
            match event {
                Ok(Some(Unit::Header)) => self.header(&mut out),
                Ok(Some(Unit::Element(element))) => self.element(&element, &mut out),
                Ok(Some(Unit::End)) => {
                    self.closed = true;
                    if self.answers_close && !self.sent_close {
                        out.push(self.close_bytes());
                    }
                    break;
                }
                Ok(None) => break,
                Err(error) => {
                    self.xml_errors.push(error);
                    break;
                }
            }
        }
        out
    }

    /// The server's stream close, which it sends only once.
    pub fn close_bytes(&mut self) -> Vec<u8> {
        self.sent_close = true;
        if self.websocket {
            b"<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>".to_vec()
        } else {
            b"</stream:stream>".to_vec()
        }
    }

    /// A stanza as this server frames it: on a WebSocket every message
    /// declares its namespace (RFC 7395 §3.3.3).
    pub fn frame_stanza(&self, xml: &str) -> Vec<u8> {
        if !self.websocket {
            return xml.as_bytes().to_vec();
        }
        let name_end = xml.find([' ', '>', '/']).expect("a start tag");
        let head_end = xml.find('>').expect("a start tag");
        if xml[..head_end].contains("xmlns=") {
            return xml.as_bytes().to_vec();
        }
        format!(
            "{} xmlns='jabber:client'{}",
            &xml[..name_end],
            &xml[name_end..]
        )
        .into_bytes()
    }

    fn header(&mut self, out: &mut Vec<Vec<u8>>) {
        self.streams += 1;
        let features = match self.stage {
            Stage::Plain => &self.shape.features_plain,
            Stage::Tls => &self.shape.features_tls,
            Stage::Authenticated => &self.shape.features_authenticated,
        };
        if self.websocket {
            out.push(format!("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='localhost' id='stream-{}' version='1.0' xml:lang='en'/>", self.streams).into_bytes());
            out.push(format!("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>{features}</stream:features>").into_bytes());
        } else {
            out.push(
                format!(
                    "{} id='stream-{}'><stream:features>{}</stream:features>",
                    self.shape.header_prefix, self.streams, features
                )
                .into_bytes(),
            );
        }
    }

    fn restart(&mut self) {
        if let ServerReader::Tcp(reader) = &mut self.reader {
            reader.restart();
        }
    }

    /// The SASL offer this server advertised, read back from its features.
    fn advertised_offer(&self) -> ServerOffer {
        let xml = format!(
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><stream:features>{}</stream:features>",
            self.shape.features_tls
        );
        let mut reader = StreamReader::new(Limits::default());
        let mut input = xml.as_bytes();
        let _header = reader.read(&mut input).expect("our header");
        let Ok(Some(StreamEvent::Element(element))) = reader.read(&mut input) else {
            panic!("our features");
        };
        StreamFeatures::from_element(element.root())
            .expect("our features")
            .sasl_offer()
            .expect("mechanisms")
    }

    fn element(&mut self, element: &Element, out: &mut Vec<Vec<u8>>) {
        let root = element.root();
        let text = root.text().into_owned();
        match (root.name(), self.stage) {
            ("error", _) if root.ns() == "http://etherx.jabber.org/streams" => {
                let mut xml = Vec::new();
                StreamWriter::new(ContentNamespace::Client)
                    .write(&mut xml, root)
                    .expect("writable");
                self.stream_errors
                    .push(String::from_utf8(xml).expect("UTF-8"));
            }
            ("starttls", Stage::Plain) => {
                out.push(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>".to_vec());
                self.restart();
                self.stage = Stage::Tls;
            }
            ("auth", Stage::Tls) => {
                let requested = root.attr("mechanism").unwrap_or_default().to_owned();
                self.auths.push(requested.clone());
                if self.shape.refuses_plus && requested.ends_with("-PLUS") {
                    out.push(b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>".to_vec());
                    return;
                }
                let offer = self.advertised_offer();
                let mut mechanism = ServerMechanism::new(
                    &self.sasl,
                    &offer,
                    self.tls.as_ref(),
                    &requested,
                    &mut self.rng,
                )
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
                            .provide_credentials(Some(record(hash, self.shape.iterations)))
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
                match mechanism.handle_response(&data) {
                    Ok(step) => self.sasl_step(step, out),
                    // A client proof that does not verify (tampered data).
                    Err(_) => out.push(b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>".to_vec()),
                }
            }
            ("abort", Stage::Tls) => {
                out.push(
                    b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>"
                        .to_vec(),
                );
            }
            ("iq", Stage::Authenticated)
                if root
                    .get_child("bind", "urn:ietf:params:xml:ns:xmpp-bind")
                    .is_some() =>
            {
                let id = root.attr("id").unwrap_or_default();
                let answer = format!("<iq type='result' id='{id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>{}</jid></bind></iq>", self.bound_jid);
                out.push(self.frame_stanza(&answer));
            }
            ("enable", Stage::Authenticated) => match &self.enabled {
                Some(answer) => out.push(answer.as_bytes().to_vec()),
                None => out.push(b"<failed xmlns='urn:xmpp:sm:3'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>".to_vec()),
            },
            ("resume", Stage::Authenticated) => {
                let answer = self
                    .resume_answer
                    .clone()
                    .unwrap_or_else(|| "<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>".into())
                    .replace("{h}", &self.handled.to_string());
                out.push(answer.into_bytes());
            }
            ("r", Stage::Authenticated) => {
                self.ack_requests += 1;
                if self.answers_ack_requests {
                    out.push(
                        format!("<a xmlns='urn:xmpp:sm:3' h='{}'/>", self.handled).into_bytes(),
                    );
                }
            }
            ("a", Stage::Authenticated) => {
                self.acks.push(
                    root.attr("h")
                        .and_then(|h| h.parse().ok())
                        .unwrap_or(u32::MAX),
                );
            }
            ("iq" | "message" | "presence", Stage::Authenticated) => {
                self.handled = self.handled.wrapping_add(1);
                let mut xml = Vec::new();
                StreamWriter::new(ContentNamespace::Client)
                    .write(&mut xml, root)
                    .expect("writable");
                self.received.push(String::from_utf8(xml).expect("UTF-8"));
                if root.name() == "iq"
                    && root.get_child("ping", "urn:xmpp:ping").is_some()
                    && self.answers_pings
                {
                    let id = root.attr("id").unwrap_or_default();
                    let pong = format!("<iq type='result' from='localhost' id='{id}'/>");
                    out.push(self.frame_stanza(&pong));
                }
            }
            (name, stage) => panic!("the scripted server did not expect <{name}/> in {stage:?}"),
        }
    }

    fn sasl_step(&mut self, step: ServerStep, out: &mut Vec<Vec<u8>>) {
        match step {
            ServerStep::Challenge(data) => out.push(
                format!(
                    "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</challenge>",
                    BASE64.encode(data)
                )
                .into_bytes(),
            ),
            ServerStep::Success {
                additional_data, ..
            } => {
                let data = additional_data
                    .map(|d| BASE64.encode(d))
                    .unwrap_or_default();
                out.push(
                    format!("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{data}</success>")
                        .into_bytes(),
                );
                self.restart();
                self.stage = Stage::Authenticated;
            }
            ServerStep::Failure(failure) => out.push(
                format!(
                    "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><{}/></failure>",
                    failure.condition.as_str()
                )
                .into_bytes(),
            ),
            other => panic!("unexpected SASL step {other:?}"),
        }
    }
}

enum Unit {
    Header,
    Element(Element),
    End,
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
    /// On a WebSocket: every message the client wrote, in order.
    pub client_messages: Vec<Vec<u8>>,
    pub split: Split,
    pub tamper: Option<Tamper>,
    /// Report the TLS session as soon as the client asks for STARTTLS
    /// (off: the test plays the adapter itself).
    pub auto_tls: bool,
    /// Server bytes (TCP) or messages (WebSocket) the client has not taken
    /// yet.
    pending_to_client: VecDeque<Vec<u8>>,
    websocket: bool,
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

/// A client configuration whose SASL policy accepts a cheap iteration
/// count (pair it with [`Shape::with_iterations`]): for tests that log in
/// many times and are not about SCRAM.
pub fn cheap_client_config(rng_seed: u64) -> ClientConfig {
    let mut policy = stanzio_sasl::ClientPolicy::default();
    policy.min_iterations = 1;
    client_config(rng_seed).with_sasl_policy(policy)
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
            client_messages: Vec::new(),
            split: Split::Whole,
            tamper: None,
            auto_tls: true,
            pending_to_client: VecDeque::new(),
            websocket: false,
            piece: 0,
        }
    }

    /// A WebSocket client (RFC 7395) and server; the `wss://` session is
    /// reported before anything else.
    pub fn websocket(config: ClientConfig, shape: Shape) -> Self {
        let mut harness = Harness::new(config.with_transport(Transport::WebSocket), shape);
        harness.server = ScriptedServer::websocket(harness.server.shape.clone());
        harness.websocket = true;
        harness
            .client
            .tls_established(harness.now, tls13())
            .expect("a wss:// client waits for its TLS session");
        harness
    }

    /// A client logged in, bound and (if the shape offers it) stream
    /// managed; the events so far are dropped.
    pub fn online(config: ClientConfig, shape: Shape) -> Self {
        let mut harness = Harness::new(config, shape);
        harness.drive();
        assert!(harness.is_online(), "{:#?}", harness.events);
        harness.events.clear();
        harness
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
        for _ in 0..100_000 {
            let mut moved = false;
            let mut buf = Vec::new();
            while self.client.poll_transmit(&mut buf).is_some() {
                moved = true;
                if let Some(tamper) = &mut self.tamper {
                    tamper(Dir::ToServer, &mut buf);
                }
                self.client_wrote.extend_from_slice(&buf);
                if self.websocket {
                    self.client_messages.push(buf.clone());
                }
                let answer = self.server.feed(&buf);
                for unit in answer {
                    self.queue_to_client(unit);
                }
            }
            while let Some(event) = self.client.poll_event() {
                moved = true;
                if matches!(event, ClientEvent::StartTls) && self.auto_tls {
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
                self.deliver_one();
            }
            if !moved {
                return;
            }
        }
        panic!("the pair did not settle");
    }

    /// Hands the client its next chunk (TCP, cut by `split`) or message
    /// (WebSocket), draining events whenever it stops consuming.
    fn deliver_one(&mut self) {
        let chunk = if self.websocket {
            self.pending_to_client.pop_front().unwrap_or_default()
        } else {
            let n = self.next_piece();
            let mut chunk = Vec::new();
            while chunk.len() < n {
                let Some(front) = self.pending_to_client.front_mut() else {
                    break;
                };
                let take = (n - chunk.len()).min(front.len());
                chunk.extend(front.drain(..take));
                if front.is_empty() {
                    self.pending_to_client.pop_front();
                }
            }
            chunk
        };
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

    /// Queues server bytes for the client (through the tamper hook): on a
    /// WebSocket, one message.
    pub fn queue_to_client(&mut self, mut bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        if let Some(tamper) = &mut self.tamper {
            tamper(Dir::ToClient, &mut bytes);
        }
        self.pending_to_client.push_back(bytes);
    }

    /// The server sends `xml` (as one message on a WebSocket; a stanza
    /// gets its namespace there), then the pair settles.
    pub fn inject(&mut self, xml: &str) {
        if xml.contains("</stream:stream>") || xml.starts_with("<close ") {
            self.server.sent_close = true;
        }
        let bytes = self.server.frame_stanza(xml);
        self.queue_to_client(bytes);
        self.drive();
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
            // A deadline still due after handle_timeout would have an
            // adapter spin.
            if let Some(next) = self.client.poll_timeout() {
                assert!(next > self.now, "handle_timeout left a deadline due");
            }
        }
        self.now = end;
        self.client.handle_timeout(self.now);
        self.drive();
    }

    /// What the client wrote since `mark` (a length of `client_wrote`).
    pub fn wrote_since(&self, mark: usize) -> String {
        String::from_utf8_lossy(&self.client_wrote[mark..]).into_owned()
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

    /// The error of the `Disconnected` event; `None` while connected or
    /// after a clean close.
    pub fn disconnect_error(&self) -> Option<&ConnectionError> {
        self.events.iter().find_map(|e| match e {
            ClientEvent::Disconnected(error) => error.as_ref(),
            _ => None,
        })
    }

    /// Whether a `Disconnected` event came.
    pub fn disconnected(&self) -> bool {
        self.events.iter().any(ClientEvent::is_disconnect)
    }

    /// The stanzas reported as `ClientEvent::Stanza`, in order.
    pub fn stanzas(&self) -> Vec<&stanzio_stanza::Stanza> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Stanza(stanza) => Some(stanza),
                _ => None,
            })
            .collect()
    }
}
