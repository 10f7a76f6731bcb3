//! Heap retained by one parsed chat message, and the allocations made to
//! get it, counted by `stats_alloc`: a stanzio `Message`, a minidom tree,
//! and an xmpp-parsers `Message` of the same XML.
//!
//! Two messages: a short one (a 100-byte body, a thread and the three
//! payloads clients attach) and a typical 533-byte one with four payloads
//! and UUID ids, the shape of an independent corpus's median chat message.
//!
//! stanzio is measured the way a connection reads: one reader for the
//! whole stream, each element handed back with `StreamReader::recycle`
//! once typed, and the first messages read before counting (steady state).
//! Its rows count the typing alone and reading plus typing. The other
//! sides start from the bytes; whatever a parse freed along the way (the
//! minidom tree xmpp-parsers consumes) is in the allocation count but not
//! in the heap kept. Criterion then times the parses under the counting
//! allocator, which costs every side the same per allocation; the
//! throughput comparison lives in `benches/stanza.rs`, whose allocator is
//! the plain system one.

use std::alloc::System;
use std::hint::black_box;

use criterion::Criterion;
use stanzio_stanza::{Message, StreamContext};
use stanzio_xml::{ContentNamespace, Element, Limits, StreamEvent, StreamReader};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The goals for a typed chat message.
const GOAL_BYTES: isize = 1024;
const GOAL_ALLOCATIONS: usize = 8;

const HEADER: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en'>";

fn short_message() -> String {
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

fn typical_message() -> String {
    let xml = "<message xmlns='jabber:client' from='romeo@montague.example/orchard' \
        to='juliet@capulet.example/balcony' type='chat' id='5f3a9c2e-8b1d-4e7a-9f06-2c4d8e1b7a35'>\
        <body>See, how she leans her cheek upon her hand! O, that I were a glove upon that hand, that</body>\
        <thread>0e7c41d2-6a9b-4f38-b5e1-93d0c2a8f764</thread>\
        <active xmlns='http://jabber.org/protocol/chatstates'/>\
        <request xmlns='urn:xmpp:receipts'/>\
        <origin-id xmlns='urn:xmpp:sid:0' id='5f3a9c2e-8b1d-4e7a-9f06-2c4d8e1b7a35'/>\
        <markable xmlns='urn:xmpp:chat-markers:0'/></message>";
    assert_eq!(xml.len(), 533);
    xml.to_owned()
}

/// A stream of `xml` repeated: a reader in steady state, as a
/// connection's is after its first stanzas.
struct Connection {
    reader: StreamReader,
    ctx: StreamContext,
    stream: Vec<u8>,
    at: usize,
}

impl Connection {
    fn new(xml: &str) -> Self {
        let mut reader = StreamReader::new(Limits::default());
        let mut header = HEADER;
        let Some(StreamEvent::Header(h)) = reader.read(&mut header).expect("valid") else {
            unreachable!("a header")
        };
        let mut connection = Connection {
            reader,
            ctx: StreamContext::from_header(&h, ContentNamespace::Client),
            stream: xml.as_bytes().repeat(2),
            at: 0,
        };
        for _ in 0..3 {
            let element = connection.element();
            connection.reader.recycle(element);
        }
        connection
    }

    /// The next element read.
    fn element(&mut self) -> Element {
        let len = self.stream.len() / 2;
        let mut input = &self.stream[self.at..self.at + len];
        self.at = (self.at + len) % self.stream.len();
        loop {
            if let Some(StreamEvent::Element(e)) = self.reader.read(&mut input).expect("valid") {
                return e;
            }
        }
    }

    /// Reads and types the next message, and hands the element back.
    fn message(&mut self) -> Message {
        let element = self.element();
        let message = Message::from_element(&element, &self.ctx).expect("valid");
        self.reader.recycle(element);
        message
    }
}

fn minidom_tree(xml: &[u8]) -> minidom::Element {
    minidom::Element::from_reader(xml).expect("valid message")
}

fn xmpp_parsers_message(xml: &[u8]) -> xmpp_parsers::message::Message {
    xmpp_parsers::message::Message::try_from(minidom_tree(xml)).expect("valid message")
}

/// Net heap bytes still held when `parse` returns (its result is kept
/// alive until after the count), and the allocations made on the way. A
/// first, uncounted run lets one-time initialisations (lazy tables in the
/// libraries) happen outside the count.
fn retained<T>(mut parse: impl FnMut() -> T) -> (isize, usize) {
    drop(black_box(parse()));
    let region = Region::new(GLOBAL);
    let value = parse();
    let stats = region.change();
    drop(black_box(value));
    // stats_alloc books a reallocation's growth under `bytes_allocated` and
    // its shrinking under `bytes_deallocated` already.
    let net = stats.bytes_allocated as isize - stats.bytes_deallocated as isize;
    (net, stats.allocations + stats.reallocations)
}

/// The rows for one message.
fn measure(xml: &str) -> Vec<(&'static str, (isize, usize))> {
    let bytes = xml.as_bytes();
    let mut connection = Connection::new(xml);
    let typing = {
        let element = connection.element();
        let ctx = connection.ctx.clone();
        let counted = retained(|| Message::from_element(&element, &ctx).expect("valid"));
        connection.reader.recycle(element);
        counted
    };
    vec![
        ("stanzio typing", typing),
        (
            "stanzio reading + typing",
            retained(|| connection.message()),
        ),
        ("minidom Element", retained(|| minidom_tree(bytes))),
        (
            "xmpp-parsers Message",
            retained(|| xmpp_parsers_message(bytes)),
        ),
    ]
}

fn main() {
    let messages = [("short", short_message()), ("typical", typical_message())];
    let tables: Vec<_> = messages
        .iter()
        .map(|(name, xml)| (*name, xml.len(), measure(xml)))
        .collect();

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("stanza_memory_parse");
    let xml = &messages[1].1;
    let bytes = xml.as_bytes();
    let mut connection = Connection::new(xml);
    group.bench_function("stanzio", |b| b.iter(|| black_box(connection.message())));
    group.bench_function("minidom", |b| b.iter(|| minidom_tree(black_box(bytes))));
    group.bench_function("xmpp-parsers", |b| {
        b.iter(|| xmpp_parsers_message(black_box(bytes)))
    });
    group.finish();
    c.final_summary();

    for (name, len, rows) in &tables {
        println!("\n{name} chat message, {len} bytes: heap kept and allocations made");
        println!("{:<28}{:>12}{:>14}", "", "heap bytes", "allocations");
        for (row, (net, allocations)) in rows {
            println!("{row:<28}{net:>12}{allocations:>14}");
        }
        let (bytes, allocations) = rows[0].1;
        let verdict = |met: bool| if met { "met" } else { "MISSED" };
        println!(
            "goal: typing keeps under {GOAL_BYTES} bytes: {}; makes at most \
             {GOAL_ALLOCATIONS} allocations: {}",
            verdict(bytes < GOAL_BYTES),
            verdict(allocations <= GOAL_ALLOCATIONS)
        );
    }
}
