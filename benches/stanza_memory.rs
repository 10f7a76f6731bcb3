//! Heap retained by one parsed chat message (a 100-byte body, a thread and
//! the three payloads clients attach), counted by `stats_alloc`: a stanzio
//! `Message`, a minidom tree, and an xmpp-parsers `Message` of the same XML.
//!
//! Each side starts from the bytes and ends with its parsed value; whatever
//! the parse freed along the way (reader buffers, the minidom tree that
//! xmpp-parsers consumes) does not count. Criterion then times the same
//! three parses, under the counting allocator, which costs every side the
//! same per allocation; the throughput comparison lives in
//! `benches/stanza.rs`, whose allocator is the plain system one.

use std::alloc::System;
use std::hint::black_box;

use criterion::Criterion;
use stanzio_stanza::{Message, StreamContext};
use stanzio_xml::{ContentNamespace, Limits, StreamEvent, StreamReader};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The goal for a typed chat message.
const GOAL_BYTES: isize = 1024;

fn message_xml() -> String {
    // 100 bytes of body, as in a typical short chat line.
    let body = "Good night, good night! Parting is such sweet sorrow, that I shall say good night till it be mor";
    let body = format!("{body}row.");
    assert_eq!(body.len(), 100);
    format!(
        "<message xmlns='jabber:client' from='romeo@montague.example/orchard' \
         to='juliet@capulet.example/balcony' type='chat' id='m1'>\
         <body>{body}</body><thread>t17</thread>\
         <active xmlns='http://jabber.org/protocol/chatstates'/>\
         <request xmlns='urn:xmpp:receipts'/>\
         <origin-id xmlns='urn:xmpp:sid:0' id='o1-8923641'/></message>"
    )
}

fn stanzio_message(xml: &[u8]) -> Message {
    let mut reader = StreamReader::new(Limits::default());
    let mut header: &[u8] = b"<stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams'>";
    while reader.read(&mut header).expect("valid header").is_some() {}
    let mut input = xml;
    loop {
        if let Some(StreamEvent::Element(element)) = reader.read(&mut input).expect("valid") {
            let ctx = StreamContext::new(ContentNamespace::Client);
            return Message::from_element(element.root(), &ctx).expect("valid message");
        }
    }
}

fn minidom_tree(xml: &[u8]) -> minidom::Element {
    minidom::Element::from_reader(xml).expect("valid message")
}

fn xmpp_parsers_message(xml: &[u8]) -> xmpp_parsers::message::Message {
    xmpp_parsers::message::Message::try_from(minidom_tree(xml)).expect("valid message")
}

/// Net heap bytes still held when `parse` returns (its result is kept
/// alive until after the count). A first, uncounted run lets one-time
/// initialisations (lazy tables in the libraries) happen outside the count.
fn retained<T>(parse: impl Fn() -> T) -> (isize, usize) {
    drop(black_box(parse()));
    let region = Region::new(GLOBAL);
    let value = parse();
    let stats = region.change();
    drop(black_box(value));
    // stats_alloc books a reallocation's growth under `bytes_allocated` and
    // its shrinking under `bytes_deallocated` already.
    let net = stats.bytes_allocated as isize - stats.bytes_deallocated as isize;
    (net, stats.allocations)
}

fn main() {
    let xml = message_xml();
    let bytes = xml.as_bytes();
    let rows = [
        ("stanzio Message", retained(|| stanzio_message(bytes))),
        ("minidom Element", retained(|| minidom_tree(bytes))),
        (
            "xmpp-parsers Message",
            retained(|| xmpp_parsers_message(bytes)),
        ),
    ];

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("stanza_memory_parse");
    group.bench_function("stanzio", |b| b.iter(|| stanzio_message(black_box(bytes))));
    group.bench_function("minidom", |b| b.iter(|| minidom_tree(black_box(bytes))));
    group.bench_function("xmpp-parsers", |b| {
        b.iter(|| xmpp_parsers_message(black_box(bytes)))
    });
    group.finish();
    c.final_summary();

    println!(
        "\nheap retained by one {}-byte chat message (100-byte body)",
        xml.len()
    );
    println!("{:<24}{:>14}{:>14}", "", "heap bytes", "allocations");
    for (name, (net, allocations)) in rows {
        println!("{name:<24}{net:>14}{allocations:>14}");
    }
    let (stanzio, _) = rows[0].1;
    let verdict = if stanzio < GOAL_BYTES {
        "met"
    } else {
        "MISSED"
    };
    println!("goal: stanzio under {GOAL_BYTES} bytes: {verdict}");
}
