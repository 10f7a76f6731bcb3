//! Heap held by one idle established `ClientConnection` (TLS done, bound,
//! stream management enabled, nothing in flight), counted by
//! `stats_alloc`, with a breakdown of what holds it. The figure is what
//! dropping the connection gives back, so it counts capacity held, not
//! only bytes in use.
//!
//! The client logs in through the in-memory `Pair` (the real server
//! machine, a TLS stand-in) and is measured fresh, without stream
//! management, after 1,000 and 10,000 chat messages passed each way, and
//! after bursts (many stanzas in one read, several sent before an ack),
//! which grow the event and stream-management queues.
//! The breakdown measures the parts a connection keeps on their own, built
//! through the public API the same way the connection builds them.

use std::alloc::System;

use stanzio_jid::Jid;
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::elements::features::StreamFeatures;
use stanzio_stream::testing::{Accounts, Pair, TestRng};
use stanzio_stream::{ClientConfig, ClientConnection, ClientEvent, ServerConfig, SmPolicy};
use stanzio_xml::{Limits, StreamEvent, StreamReader};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const GOAL: usize = 16 * 1024;

/// Features of an authenticated stream as Prosody 0.12 sends them
/// (tests/data/prosody-alice-s2c.xml): what a client keeps of the last
/// `<stream:features/>`.
const PROSODY_FEATURES: &str = "<stream:features><csi xmlns='urn:xmpp:csi:0'/><sub xmlns='urn:xmpp:features:pre-approval'/><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session><ver xmlns='urn:xmpp:features:rosterver'/><sm xmlns='urn:xmpp:sm:2'><optional/></sm><sm xmlns='urn:xmpp:sm:3'><optional/></sm><c ver='w5Go7NdJafPqgp1LfJSHHnPXQQw=' hash='sha-1' node='http://prosody.im' xmlns='http://jabber.org/protocol/caps'/></stream:features>";

const HEADER: &str = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' version='1.0' xml:lang='en' id='fb386b7f-0553-45d5-9c3f-ea0687d16f51'>";

fn server_config() -> ServerConfig {
    let mut sasl = stanzio_sasl::ServerConfig::new(b"bench".to_vec());
    sasl.mechanisms = vec![stanzio_sasl::Mechanism::scram(
        stanzio_sasl::HashAlgorithm::Sha1,
        true,
    )];
    ServerConfig::new(["capulet.lit"], b"bench".to_vec()).with_sasl(sasl)
}

fn client_config(seed: u64) -> ClientConfig {
    ClientConfig::new(
        "juliet@capulet.lit/phone".parse().expect("a JID"),
        "pencil",
        TestRng(seed),
    )
}

fn established(accounts: &mut Accounts, config: ClientConfig) -> Pair {
    let mut pair = Pair::new(config, server_config(), std::mem::take(accounts));
    pair.drive();
    assert!(pair.is_online() && pair.client.is_online());
    pair.client.request_ack();
    pair.drive();
    *accounts = std::mem::take(&mut pair.accounts);
    pair.client_events = Vec::new();
    pair.server_events = Vec::new();
    pair
}

/// What dropping `value` gives back.
fn held<T>(value: T) -> usize {
    let region = Region::new(GLOBAL);
    drop(value);
    let change = region.change();
    change
        .bytes_deallocated
        .saturating_sub(change.bytes_allocated)
}

/// Takes the client machine out of the pair and measures it.
fn held_by_client(mut pair: Pair) -> usize {
    let fresh = ClientConnection::new(client_config(0), pair.now).expect("valid");
    let client = std::mem::replace(&mut pair.client, fresh);
    held(client)
}

/// A connection through which `count` messages passed each way (bodies of
/// 0 to 300 bytes), acknowledged, then measured idle.
fn after_messages(accounts: &mut Accounts, seed: u64, count: usize) -> usize {
    let mut pair = established(accounts, client_config(seed));
    let juliet: Jid = "juliet@capulet.lit/phone".parse().expect("a JID");
    let romeo: Jid = "romeo@montague.lit".parse().expect("a JID");
    for i in 0..count {
        let body = format!("message {i}: {}", "x".repeat(i % 300));
        pair.server
            .send(Message::chat(juliet.clone(), body))
            .expect("online");
        pair.client
            .send(Message::chat(romeo.clone(), "reply"))
            .expect("online");
        pair.drive();
        pair.client_events.clear();
        pair.server_events.clear();
    }
    pair.client.request_ack();
    pair.drive();
    assert_eq!(pair.client.stream_management(), Some((true, 0)));
    pair.client_events = Vec::new();
    held_by_client(pair)
}

/// A connection that read `incoming` messages in one `handle_input` and
/// sent `outgoing` before the server acknowledged them, then idles.
fn after_burst(accounts: &mut Accounts, incoming: usize, outgoing: usize) -> usize {
    let mut pair = established(accounts, client_config(4));
    let romeo: Jid = "romeo@montague.lit".parse().expect("a JID");
    let burst: String = (0..incoming)
        .map(|i| format!("<message from='romeo@montague.lit/orchard' to='juliet@capulet.lit/phone' type='chat' id='b{i}'><body>burst {i}</body></message>"))
        .collect();
    let consumed = pair
        .client
        .handle_input(pair.now, burst.as_bytes())
        .expect("valid");
    assert_eq!(consumed, burst.len());
    assert_eq!(
        std::iter::from_fn(|| pair.client.poll_event()).count(),
        incoming
    );
    for i in 0..outgoing {
        pair.client
            .send(Message::chat(romeo.clone(), format!("reply {i}")))
            .expect("online");
    }
    assert_eq!(pair.client.stream_management(), Some((true, outgoing)));
    // The server's ack of all of them (what it counted is its business).
    pair.client
        .handle_input(
            pair.now,
            format!("<a xmlns='urn:xmpp:sm:3' h='{outgoing}'/>").as_bytes(),
        )
        .expect("valid");
    assert_eq!(
        std::iter::from_fn(|| pair.client.poll_event()).count(),
        outgoing
    );
    let mut buf = Vec::new();
    while pair.client.poll_transmit(&mut buf).is_some() {}
    assert_eq!(pair.client.stream_management(), Some((true, 0)));
    held_by_client(pair)
}

/// The reader a connection keeps: after a header and Prosody's features,
/// the element handed back for reuse, as the client does.
fn reader_after_features() -> usize {
    let mut reader = StreamReader::new(Limits::default());
    let stream = format!("{HEADER}{PROSODY_FEATURES}");
    let mut input = stream.as_bytes();
    while let Some(event) = reader.read(&mut input).expect("valid") {
        if let StreamEvent::Element(element) = event {
            reader.recycle(element);
        }
    }
    held(reader)
}

/// The same reader once 1,000 chat messages of up to 300 bytes of body
/// went through it: its buffers grow to the largest element.
fn reader_after_traffic() -> usize {
    let mut reader = StreamReader::new(Limits::default());
    let mut stream = format!("{HEADER}{PROSODY_FEATURES}");
    for i in 0..1_000 {
        stream.push_str(&format!(
            "<message from='romeo@montague.lit/orchard' to='juliet@capulet.lit/phone' type='chat' id='{i}'><body>message {i}: {}</body></message>",
            "x".repeat(i % 300)
        ));
    }
    let mut input = stream.as_bytes();
    while let Some(event) = reader.read(&mut input).expect("valid") {
        if let StreamEvent::Element(element) = event {
            reader.recycle(element);
        }
    }
    held(reader)
}

fn prosody_features() -> usize {
    let mut reader = StreamReader::new(Limits::default());
    let stream = format!("{HEADER}{PROSODY_FEATURES}");
    let mut input = stream.as_bytes();
    let mut features = None;
    while let Some(event) = reader.read(&mut input).expect("valid") {
        if let StreamEvent::Element(element) = event {
            features = Some(StreamFeatures::from_element(element.root()).expect("features"));
        }
    }
    held(features.expect("features"))
}

fn main() {
    let mut accounts = Accounts::new(&[("juliet", "pencil")]);
    let now = established(&mut accounts, client_config(1)).now;

    let idle = held_by_client(established(&mut accounts, client_config(1)));
    let without_sm = held_by_client(established(
        &mut accounts,
        client_config(1).with_stream_management(None),
    ));
    let after_1k = after_messages(&mut accounts, 2, 1_000);
    let after_10k = after_messages(&mut accounts, 3, 10_000);

    let burst = after_burst(&mut accounts, 30, 15);
    let small_burst = after_burst(&mut accounts, 8, 4);
    let config = held(client_config(1));
    let fresh = {
        let mut client = ClientConnection::new(client_config(1), now).expect("valid");
        let mut buf = Vec::new();
        while client.poll_transmit(&mut buf).is_some() {}
        held(client)
    };
    let reader = reader_after_features();
    let reader_busy = reader_after_traffic();
    let features = prosody_features();
    let sm_policy = std::mem::size_of::<SmPolicy>();

    println!("client_memory: heap held by one idle established ClientConnection");
    println!("  fresh login (SM enabled):    {idle:>6} B");
    println!("  fresh login without SM:      {without_sm:>6} B");
    println!("  after 1,000 messages:        {after_1k:>6} B");
    println!("  after 10,000 messages:       {after_10k:>6} B");
    println!("  after a burst of 8 in, 4 out:   {small_burst:>5} B");
    println!("  after a burst of 30 in, 15 out: {burst:>5} B");
    let met = [idle, without_sm, after_1k, after_10k, small_burst, burst]
        .iter()
        .all(|&bytes| bytes <= GOAL);
    println!(
        "  goal:                        {GOAL:>6} B  {}",
        if met { "met" } else { "NOT MET" }
    );
    println!(
        "  plus the ClientConnection value itself, wherever it is kept: {} B",
        std::mem::size_of::<ClientConnection>()
    );
    println!("what holds it (parts measured alone):");
    println!("  ClientConfig (JIDs, password, boxed rng):      {config:>6} B");
    println!("  a new connection, header sent:                 {fresh:>6} B");
    println!("  StreamReader after Prosody's features:         {reader:>6} B");
    println!("  the same after 1,000 messages (<= 300 B body): {reader_busy:>6} B");
    println!("  Prosody's authenticated features, kept:        {features:>6} B");
    println!(
        "  stream management on (counters, empty queue):  {:>6} B",
        idle.saturating_sub(without_sm)
    );
    println!(
        "  drained, the event queue keeps room for 4 events of {} B and the SM queue for 4 stanzas of {} B (SmPolicy inline: {sm_policy} B)",
        std::mem::size_of::<ClientEvent>(),
        std::mem::size_of::<Stanza>()
    );
    assert!(met, "over the {GOAL} B goal");
}
