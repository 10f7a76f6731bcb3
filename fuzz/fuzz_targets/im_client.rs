//! Arbitrary bytes after a stream header: every stanza the reader yields
//! goes into an `ImClient` (as if the server sent it) and into an
//! `ImServer` (as if a bound client sent it). Neither panics, and what
//! they queue stays bounded by what came in.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use stanzio_im::{ImClient, ImClientConfig, ImServer, ImServerConfig, MemoryStore};
use stanzio_stanza::{Stanza, StreamContext};
use stanzio_stream::testing::TestRng;
use stanzio_xml::{ContentNamespace, Limits, StreamEvent, StreamReader};

const OPEN: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en'>";

fuzz_target!(|data: &[u8]| {
    let juliet = "juliet@capulet.lit/balcony".parse().expect("a JID");
    let romeo = "romeo@capulet.lit/orchard".parse().expect("a JID");
    let mut client = ImClient::new(ImClientConfig::new(juliet), TestRng(1));
    #[allow(clippy::disallowed_methods)] // a fuzz target's virtual time starts somewhere
    let now = Instant::now();
    // Requests in flight, so that responses have something to match.
    let _ = client.fetch_roster(now);
    let _ = client.fetch_blocklist(now);
    let _ = client.ping(now, Some("capulet.lit".parse().expect("a JID")));
    let mut store = MemoryStore::new();
    store.add_account("juliet@capulet.lit".parse().expect("a JID"));
    store.add_account("romeo@capulet.lit".parse().expect("a JID"));
    let mut server = ImServer::new(ImServerConfig::new(["capulet.lit"]));
    server.session_started("juliet@capulet.lit/balcony".parse().expect("a JID"));
    server.session_started(romeo);
    let sender = "romeo@capulet.lit/orchard".parse().expect("a JID");

    let mut stream = OPEN.to_vec();
    stream.extend_from_slice(data);
    let mut reader = StreamReader::new(Limits::default().with_max_element_bytes(8192));
    let ctx = StreamContext::new(ContentNamespace::Client).with_lang("en");
    let mut input = stream.as_slice();
    let mut stanzas = 0usize;
    while let Ok(Some(event)) = reader.read(&mut input) {
        let StreamEvent::Element(element) = event else {
            continue;
        };
        let Ok(stanza) = Stanza::from_element(element.root(), &ctx) else {
            continue;
        };
        stanzas += 1;
        client.handle_stanza(stanza.clone());
        server.handle_stanza(&mut store, &sender, stanza);
    }
    client.handle_timeout(now + std::time::Duration::from_secs(3600));
    let sent = std::iter::from_fn(|| client.poll_transmit()).count();
    let events = std::iter::from_fn(|| client.poll_event()).count();
    // The three requests, at most one answer per stanza; one event per
    // stanza and per request.
    assert!(sent <= 3 + stanzas);
    assert!(events <= 3 + stanzas);
    while server.poll_output().is_some() {}
    server.session_ended(&mut store, &sender);
});
