//! The client connection machine after a valid opening, on arbitrary server
//! bytes. A fixed server script (shaped like the recorded Prosody session,
//! with ANONYMOUS so no PBKDF2 runs) brings the client online over STARTTLS
//! (or over a WebSocket), bound and stream-managed; then the input is fed
//! in chunks, with events and output drained after every call, as an
//! adapter does.
//!
//! Byte 0 is the chunk length (0 means 1), byte 1 holds flags: bit 0
//! WebSocket (each chunk one message), bit 1 no stream management, bit 2
//! the application sends a stanza after each chunk, bit 3 virtual time
//! moves 7 s after each chunk. The rest is what the server sends.
//!
//! Checked: no panic; `handle_input` consumes at most what it is given and
//! always makes progress once events are drained; an error is sticky; after
//! `Disconnected` no deadline remains; output and events never pile up
//! (both are drained each step, and one step's output is bounded).
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use stanzio_sasl::rand_core::{CryptoRng, RngCore, impls};
use stanzio_sasl::{Credentials, TlsInfo, TlsVersion};
use stanzio_stanza::Message;
use stanzio_stream::{ClientConfig, ClientConnection, ClientEvent, SmPolicy, Transport};

/// A counter, not randomness: the fuzzer wants the same run for the same
/// input.
struct Counter(u64);
impl RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        for byte in buf {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1);
            *byte = (self.0 >> 56) as u8;
        }
    }
}
impl CryptoRng for Counter {}

const STREAM: &str = "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' from='localhost' version='1.0' xml:lang='en' id='fuzz'>";
const OPEN: &str = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='localhost' id='fuzz' version='1.0' xml:lang='en'/>";
const STARTTLS: &str = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";
const MECHANISMS: &str = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>ANONYMOUS</mechanism></mechanisms></stream:features>";
const BOUND: &str = "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session><sm xmlns='urn:xmpp:sm:3'><optional/></sm><limits xmlns='urn:xmpp:stream-limits:0'><max-bytes>10000</max-bytes></limits></stream:features>";
const WS_FEATURES: &str = " xmlns:stream='http://etherx.jabber.org/streams'";

/// Bytes one step may leave for `poll_transmit`: a stanza the application
/// sends, acks, and replies to what one chunk held (at most one per 16
/// input bytes, each far below this).
const MAX_OUTPUT_PER_STEP: usize = 64 * 1024;

struct Run {
    client: ClientConnection,
    now: Instant,
    websocket: bool,
}

impl Run {
    fn transmit(&mut self) -> String {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while self.client.poll_transmit(&mut buf).is_some() {
            out.extend_from_slice(&buf);
        }
        String::from_utf8(out).expect("the client writes UTF-8")
    }

    fn events(&mut self) -> Vec<ClientEvent> {
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }

    /// The server sends `units` (each one message on a WebSocket).
    fn server(&mut self, units: &[&str]) {
        if self.websocket {
            for unit in units {
                let unit = match unit.strip_prefix("<stream:features") {
                    Some(rest) => format!("<stream:features{WS_FEATURES}{rest}"),
                    None => (*unit).to_owned(),
                };
                self.client.handle_input(self.now, unit.as_bytes()).expect("opening");
            }
        } else {
            self.client.handle_input(self.now, units.concat().as_bytes()).expect("opening");
        }
    }

    /// The fixed opening: TLS, ANONYMOUS, bind, stream management.
    fn open(&mut self, sm: bool) {
        let header = if self.websocket { OPEN } else { STREAM };
        assert!(self.transmit().contains("localhost"));
        if !self.websocket {
            self.server(&[header, STARTTLS]);
            assert!(self.transmit().contains("<starttls"));
            self.server(&["<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"]);
            assert!(matches!(self.events()[..], [ClientEvent::StartTls]));
            self.client.tls_established(self.now, TlsInfo::new(TlsVersion::Tls13)).expect("expected");
            self.transmit();
        }
        self.server(&[header, MECHANISMS]);
        assert!(self.transmit().contains("ANONYMOUS"));
        self.server(&["<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"]);
        self.transmit();
        self.server(&[header, BOUND]);
        let bind = self.transmit();
        let id = bind
            .split(" id='")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a bind request");
        let ns = if self.websocket { " xmlns='jabber:client'" } else { "" };
        let result = format!("<iq{ns} type='result' id='{id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>anon42@localhost/fuzz</jid></bind></iq>");
        self.server(&[&result]);
        if sm {
            assert!(self.transmit().contains("<enable"));
            self.server(&["<enabled xmlns='urn:xmpp:sm:3' id='fuzz-sm' resume='true'/>"]);
        }
        self.transmit();
        assert!(self.client.is_online(), "{:?}", self.events());
        self.events();
    }
}

fuzz_target!(|data: &[u8]| {
    let [chunk, flags, rest @ ..] = data else {
        return;
    };
    let chunk = usize::from(*chunk).max(1);
    let websocket = flags & 1 != 0;
    let sm = flags & 2 == 0;
    let sends = flags & 4 != 0;
    let ticks = flags & 8 != 0;

    let now = Instant::now();
    let mut policy = SmPolicy::default();
    policy.max_unacked = 64;
    let mut config = ClientConfig::new("localhost".parse().expect("a JID"), "", Counter(1))
        .with_credentials(Credentials::Anonymous { trace: None })
        .with_stream_management(sm.then_some(policy))
        .with_max_pending_events(32);
    if websocket {
        config = config.with_transport(Transport::WebSocket);
    }
    let client = ClientConnection::new(config, now).expect("a valid configuration");
    let mut run = Run { client, now, websocket };
    if websocket {
        run.client.tls_established(now, TlsInfo::new(TlsVersion::Tls13)).expect("wss://");
    }
    run.open(sm);

    let mut error = None;
    let mut sent = 0u32;
    for piece in rest.chunks(chunk) {
        let mut offset = 0;
        while offset < piece.len() {
            match run.client.handle_input(run.now, &piece[offset..]) {
                Ok(consumed) => {
                    assert!(consumed <= piece.len() - offset);
                    // Progress: events are drained before every call, so
                    // something is always consumed.
                    assert!(consumed > 0, "no progress");
                    run.events();
                    offset += consumed;
                    if run.websocket {
                        // A message is taken whole or not at all.
                        assert!(consumed == 0 || offset == piece.len());
                    }
                }
                Err(e) => {
                    if let Some(first) = &error {
                        assert_eq!(&e, first, "errors are sticky");
                    }
                    error = Some(e);
                    break;
                }
            }
        }
        if sends && run.client.is_online() {
            let message = Message::chat("bob@localhost".parse().expect("a JID"), "x")
                .with_id(sent.to_string());
            // Refusals (full queue, closed) are caller errors, fine here.
            let _ = run.client.send(message);
            sent += 1;
        }
        if ticks {
            run.now += Duration::from_secs(7);
            run.client.handle_timeout(run.now);
        }
        let out = run.transmit();
        assert!(out.len() <= MAX_OUTPUT_PER_STEP, "{} bytes in one step", out.len());
        let events = run.events();
        if events.iter().any(ClientEvent::is_disconnect) || run.client.is_closed() {
            assert_eq!(run.client.poll_timeout(), None);
        }
        if let Some(stored) = &error {
            assert_eq!(run.client.error(), Some(stored));
        }
        if let Some((_, unacked)) = run.client.stream_management() {
            assert!(unacked <= 64);
        }
    }
});
