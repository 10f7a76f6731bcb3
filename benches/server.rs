//! The server machine under load, one core, every hop parsing, typing and
//! serializing, side by side with the xmpp-rs stack on the same messages.
//!
//! * `chat_relay`: a chat message from client A through its
//!   `ServerConnection`, a trivial router, client B's `ServerConnection`,
//!   to client B: two serializations and two typed parses per message, and
//!   every machine's bookkeeping (stamping, stream management counting).
//!   The xmpp-rs row takes the same message through the same four steps
//!   with its own types: xmpp-parsers `Message` → minidom `Element` →
//!   `write_to` → minidom parse → `Message::try_from`, twice.
//! * `login`: an in-memory login (header, features, STARTTLS stand-in,
//!   SCRAM-SHA-256 at 4096 iterations, bind, SM enable), with the server's
//!   stored keys looked up (as a server does) and, apart, the one PBKDF2
//!   run the client must do, so the protocol overhead is the difference.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use stanzio_jid::Jid;
use stanzio_sasl::{HashAlgorithm, Mechanism, RecordParameters, StoredCredentials};
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::testing::{Accounts, Pair, TestRng};
use stanzio_stream::{ClientConfig, ClientEvent, ServerConfig, ServerEvent};

const BODY: &str =
    "See, how she leans her cheek upon her hand! O, that I were a glove upon that hand";
const BATCH: u64 = 100;

fn online(user: &str, seed: u64) -> Pair {
    let client = ClientConfig::new(
        format!("{user}@capulet.lit/phone").parse().expect("a JID"),
        "pencil",
        TestRng(seed),
    );
    let server = ServerConfig::new(["capulet.lit"], b"bench".to_vec());
    let mut pair = Pair::new(client, server, Accounts::new(&[(user, "pencil")]));
    pair.drive();
    assert!(pair.is_online());
    pair.client_events.clear();
    pair.server_events.clear();
    pair
}

/// One message A → server A → router → server B → B.
fn relay(a: &mut Pair, b: &mut Pair, to: &Jid) {
    a.client
        .send(Message::chat(to.clone(), BODY))
        .expect("online");
    a.drive();
    for event in a.server_events.drain(..) {
        if let ServerEvent::Stanza(stanza) = event {
            b.server.send(stanza).expect("online");
        }
    }
    b.drive();
    let delivered = b
        .client_events
        .drain(..)
        .filter(|e| matches!(e, ClientEvent::Stanza(Stanza::Message(_))))
        .count();
    assert_eq!(delivered, 1);
    // Acks flow as in a real session; their events are not the bench's.
    a.client_events.clear();
    b.server_events.clear();
}

fn xmpp_rs_hop(message: &xmpp_parsers::message::Message) -> xmpp_parsers::message::Message {
    let element = minidom::Element::from(message.clone());
    let mut bytes = Vec::new();
    element.write_to(&mut bytes).expect("writable");
    let parsed: minidom::Element = std::str::from_utf8(&bytes)
        .expect("UTF-8")
        .parse()
        .expect("valid XML");
    xmpp_parsers::message::Message::try_from(parsed).expect("a message")
}

fn xmpp_rs_relay(message: &xmpp_parsers::message::Message, from: &jid::Jid) {
    let mut at_server = xmpp_rs_hop(message);
    at_server.from = Some(from.clone());
    black_box(xmpp_rs_hop(&at_server));
}

fn chat_relay(c: &mut Criterion) {
    let mut a = online("romeo", 1);
    let mut b = online("juliet", 2);
    let to: Jid = "juliet@capulet.lit/phone".parse().expect("a JID");
    let mut group = c.benchmark_group("chat_relay");
    group.throughput(Throughput::Elements(BATCH));
    group.bench_function("stanzio", |bench| {
        bench.iter(|| {
            for _ in 0..BATCH {
                relay(&mut a, &mut b, &to);
            }
        })
    });
    let xmpp_to: jid::Jid = "juliet@capulet.lit/phone".parse().expect("a JID");
    let xmpp_from: jid::Jid = "romeo@capulet.lit/phone".parse().expect("a JID");
    let message = xmpp_parsers::message::Message::chat(Some(xmpp_to))
        .with_body(xmpp_parsers::message::Lang::default(), BODY.to_owned());
    group.bench_function("xmpp-rs", |bench| {
        bench.iter(|| {
            for _ in 0..BATCH {
                xmpp_rs_relay(&message, &xmpp_from);
            }
        })
    });
    group.finish();
}

fn login(c: &mut Criterion) {
    let mut group = c.benchmark_group("login");
    group.sample_size(20);
    let mut sasl = stanzio_sasl::ServerConfig::new(b"bench".to_vec());
    sasl.mechanisms = vec![
        Mechanism::scram(HashAlgorithm::Sha256, true),
        Mechanism::scram(HashAlgorithm::Sha256, false),
    ];
    let server = ServerConfig::new(["capulet.lit"], b"bench".to_vec()).with_sasl(sasl);
    let mut accounts = Accounts::new(&[("juliet", "pencil")]);
    let mut seed = 0;
    group.bench_function("scram-sha-256-plus, stored keys", |bench| {
        bench.iter(|| {
            seed += 1;
            let client = ClientConfig::new(
                "juliet@capulet.lit/phone".parse().expect("a JID"),
                "pencil",
                TestRng(seed),
            );
            let mut pair = Pair::new(client, server.clone(), std::mem::take(&mut accounts));
            pair.drive();
            assert!(pair.is_online());
            accounts = std::mem::take(&mut pair.accounts);
        })
    });
    let mut rng = TestRng(7);
    let parameters = RecordParameters::default();
    group.bench_function("one PBKDF2-SHA-256 at 4096 (the client's share)", |bench| {
        bench.iter(|| {
            black_box(
                StoredCredentials::generate(HashAlgorithm::Sha256, "pencil", &parameters, &mut rng)
                    .expect("a valid password"),
            )
        })
    });
    group.finish();
}

/// CPU time this thread has used (utime + stime of /proc/thread-self/stat,
/// in clock ticks of 10 ms): the figure for "one core" when other
/// processes share the machine and wall time would count their turns.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Messages relayed per second of this thread's CPU time, both stacks.
fn relay_per_cpu_second() {
    const MESSAGES: u64 = 100_000;
    let mut a = online("romeo", 11);
    let mut b = online("juliet", 12);
    let to: Jid = "juliet@capulet.lit/phone".parse().expect("a JID");
    let (Some(start), _) = (thread_cpu_seconds(), ()) else {
        return;
    };
    for _ in 0..MESSAGES {
        relay(&mut a, &mut b, &to);
    }
    let stanzio = thread_cpu_seconds().unwrap_or(start) - start;
    let xmpp_to: jid::Jid = "juliet@capulet.lit/phone".parse().expect("a JID");
    let xmpp_from: jid::Jid = "romeo@capulet.lit/phone".parse().expect("a JID");
    let message = xmpp_parsers::message::Message::chat(Some(xmpp_to))
        .with_body(xmpp_parsers::message::Lang::default(), BODY.to_owned());
    let start = thread_cpu_seconds().unwrap_or_default();
    for _ in 0..MESSAGES {
        xmpp_rs_relay(&message, &xmpp_from);
    }
    let xmpp_rs = thread_cpu_seconds().unwrap_or(start) - start;
    let rate = |seconds: f64| MESSAGES as f64 / seconds.max(0.01);
    println!("chat_relay per CPU second ({MESSAGES} messages, this thread's CPU time):");
    println!("  stanzio  {:>9.0} messages/s", rate(stanzio));
    println!("  xmpp-rs  {:>9.0} messages/s", rate(xmpp_rs));
    println!(
        "  ratio    {:>9.2}x (goal: stanzio >= 100000/s)",
        rate(stanzio) / rate(xmpp_rs)
    );
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    chat_relay(&mut criterion);
    login(&mut criterion);
    criterion.final_summary();
    relay_per_cpu_second();
}
