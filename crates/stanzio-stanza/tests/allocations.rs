//! What typing a stanza costs the allocator, counted (this test binary runs
//! under a counting global allocator, so it holds this one test only).
//!
//! The stanza is a typical 533-byte chat message with four payloads (chat
//! state, receipt request, origin-id, marker), read the way a connection
//! reads: one reader for the whole stream, each element handed back with
//! `StreamReader::recycle` once typed. In that steady state, typing one
//! such message costs at most eight allocations: one arena (three buffers)
//! for all four payloads, the two JIDs, and the texts too long to be kept
//! inline (the body, a UUID id and thread). What the reader costs is the
//! XML layer's to count (`crates/stanzio-xml/tests/memory.rs`). The
//! message keeps under 1 KiB of heap.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;

use stanzio_stanza::{Message, StreamContext};
use stanzio_xml::{ContentNamespace, Element, Limits, StreamEvent, StreamReader};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CHAT_MESSAGE: &str = "<message from='romeo@montague.example/orchard' \
    to='juliet@capulet.example/balcony' type='chat' id='5f3a9c2e-8b1d-4e7a-9f06-2c4d8e1b7a35'>\
    <body>See, how she leans her cheek upon her hand! O, that I were a glove upon that hand, that</body>\
    <thread>0e7c41d2-6a9b-4f38-b5e1-93d0c2a8f764</thread>\
    <active xmlns='http://jabber.org/protocol/chatstates'/>\
    <request xmlns='urn:xmpp:receipts'/>\
    <origin-id xmlns='urn:xmpp:sid:0' id='5f3a9c2e-8b1d-4e7a-9f06-2c4d8e1b7a35'/>\
    <markable xmlns='urn:xmpp:chat-markers:0'/></message>";

/// The next element off `input`.
fn next_element(reader: &mut StreamReader, input: &mut &[u8]) -> Element {
    loop {
        if let Some(StreamEvent::Element(element)) = reader.read(input).unwrap() {
            return element;
        }
    }
}

#[test]
fn typing_a_chat_message_costs_at_most_eight_allocations_and_keeps_under_1_kib() {
    // The message as it arrives, with the namespace the stream declares.
    assert_eq!(CHAT_MESSAGE.len() + " xmlns='jabber:client'".len(), 533);
    let mut stream = b"<stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en'>"
        .to_vec();
    for _ in 0..4 {
        stream.extend_from_slice(CHAT_MESSAGE.as_bytes());
    }
    let mut input = stream.as_slice();
    let mut reader = StreamReader::new(Limits::default());
    let Some(StreamEvent::Header(header)) = reader.read(&mut input).unwrap() else {
        panic!("the header comes first")
    };
    let ctx = StreamContext::from_header(&header, ContentNamespace::Client);
    // The first messages size the reader's buffers and run whatever
    // one-time initialisation the libraries do.
    for _ in 0..3 {
        let element = next_element(&mut reader, &mut input);
        Message::from_element(&element, &ctx).unwrap();
        reader.recycle(element);
    }
    let element = next_element(&mut reader, &mut input);

    let region = Region::new(GLOBAL);
    let message = Message::from_element(&element, &ctx).unwrap();
    let stats = region.change();

    assert_eq!(message.payloads.len(), 4);
    assert_eq!(message.lang.as_deref(), Some("en"));
    let calls = stats.allocations + stats.reallocations;
    assert!(calls <= 8, "{calls} allocations: {stats:?}");
    // Nothing was allocated only to be freed again.
    assert_eq!(stats.deallocations, 0, "{stats:?}");
    // What the message keeps is under 1 KiB: the payload copy holds the
    // four payloads, not the body, thread and attributes again.
    let kept = stats.bytes_allocated - stats.bytes_deallocated;
    assert!(kept < 1024, "{kept} bytes kept: {stats:?}");
    println!("a 533-byte chat message: {calls} allocations, {kept} bytes kept");
    drop(message);
    reader.recycle(element);
}
