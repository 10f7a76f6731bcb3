//! Heap a reader holds and allocates, counted by a counting global
//! allocator (`stats_alloc`). This file runs without the test harness (see
//! `Cargo.toml`), so nothing else allocates while a count runs; each check
//! is a function called from `main`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;

use stanzio_xml::{
    ContentNamespace, Element, FrameEvent, FrameReader, Limits, StreamEvent, StreamReader,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const OPEN: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' xml:lang='en'>";

/// What an idle reader may hold after a header and a stanza, whatever the
/// stanza was.
const IDLE_GOAL: isize = 2048;

/// A chat message as clients send it: a body, a thread and three payloads,
/// with references in the text.
fn chat_message() -> Vec<u8> {
    b"<message from='romeo@montague.example/orchard' to='juliet@capulet.example/balcony' \
      type='chat' id='m1'><body>Good night, good night! Parting is such sweet sorrow, \
      that I shall say &apos;good night&apos; till it be morrow &amp; more.</body>\
      <thread>t17</thread><active xmlns='http://jabber.org/protocol/chatstates'/>\
      <request xmlns='urn:xmpp:receipts'/><origin-id xmlns='urn:xmpp:sid:0' id='o1-8923641'/>\
      </message>"
        .to_vec()
}

/// A 200 KB stanza: long text and many children.
fn large_message() -> Vec<u8> {
    let mut xml = b"<message id='big'><body>".to_vec();
    for _ in 0..1000 {
        xml.extend_from_slice(&[b'w'; 99]);
        xml.extend_from_slice(b"&amp;");
    }
    xml.extend_from_slice(b"</body>");
    for i in 0..2000 {
        xml.extend_from_slice(format!("<item n='{i}' xmlns='urn:x'/>").as_bytes());
    }
    xml.extend_from_slice(b"</message>");
    xml
}

/// Net heap bytes allocated since `region` began.
fn held(region: &Region<'_, System>) -> isize {
    let stats = region.change();
    stats.bytes_allocated as isize - stats.bytes_deallocated as isize
}

/// Reads all of `input`; the elements, each recycled once `keep` has seen
/// it if `recycle`.
fn read_elements(reader: &mut StreamReader, mut input: &[u8], recycle: bool) -> usize {
    let mut elements = 0;
    while let Some(event) = reader.read(&mut input).unwrap() {
        if let StreamEvent::Element(element) = event {
            elements += 1;
            if recycle {
                reader.recycle(element);
            }
        }
    }
    assert!(input.is_empty());
    elements
}

/// Reads `input` (which must hold one element) as one WebSocket message.
fn read_frame(reader: &mut FrameReader, message: &[u8]) -> Element {
    match reader.read_message(message).unwrap() {
        FrameEvent::Element(element) => element,
        other => panic!("{other:?}"),
    }
}

/// [`chat_message`] as a WebSocket message, declaring its namespace.
fn chat_frame() -> Vec<u8> {
    let chat = chat_message();
    [&b"<message xmlns='jabber:client'"[..], &chat[8..]].concat()
}

/// Before any input and after a stream header, a reader holds next to
/// nothing: rxml's token buffer is not sized from the element limit.
fn a_reader_holds_next_to_nothing_after_the_header() {
    let limits = Limits::default().with_max_element_bytes(16 << 20);
    let region = Region::new(GLOBAL);
    let mut reader = StreamReader::new(limits);
    assert_eq!(held(&region), 0, "a new reader allocates nothing");
    read_elements(&mut reader, OPEN, false);
    let after_header = held(&region);
    assert!(after_header <= 256, "{after_header} bytes after the header");
    drop(reader);
}

/// After a header and a stanza, and again after a 200 KB stanza, an idle
/// reader holds at most [`IDLE_GOAL`], recycling or not.
fn an_idle_reader_holds_at_most_2_kib() {
    let (chat, big) = (chat_message(), large_message());
    for recycle in [false, true] {
        let region = Region::new(GLOBAL);
        let mut reader = StreamReader::new(Limits::default());
        read_elements(&mut reader, OPEN, recycle);
        for (what, stanza) in [("chat", &chat), ("200 KB", &big), ("chat", &chat)] {
            read_elements(&mut reader, stanza, recycle);
            let held = held(&region);
            assert!(
                held <= IDLE_GOAL,
                "{held} bytes held after a {what} stanza (recycle: {recycle})"
            );
        }
        drop(reader);
    }
}

/// The same for a WebSocket reader, which keeps one parser for the
/// connection.
fn an_idle_frame_reader_holds_at_most_2_kib() {
    let (chat, big) = (
        chat_frame(),
        [
            &b"<message xmlns='jabber:client'"[..],
            &large_message()[8..],
        ]
        .concat(),
    );
    let region = Region::new(GLOBAL);
    let mut reader = FrameReader::new(Limits::default(), ContentNamespace::Client);
    for (what, message) in [("chat", &chat), ("200 KB", &big), ("chat", &chat)] {
        drop(read_frame(&mut reader, message));
        let held = held(&region);
        assert!(
            held <= IDLE_GOAL,
            "{held} bytes held after a {what} message"
        );
    }
    drop(reader);
}

/// A frame reader parses each message with the parser it already has:
/// per message it allocates little more than the element and the strings
/// rxml hands over, never a parser sized from the limits.
fn a_frame_reader_keeps_its_parser() {
    let message =
        b"<message xmlns='jabber:client' to='a@b.example' id='1'><body>hi</body></message>";
    let mut reader = FrameReader::new(Limits::default(), ContentNamespace::Client);
    read_frame(&mut reader, message);
    let region = Region::new(GLOBAL);
    for _ in 0..100 {
        read_frame(&mut reader, message);
    }
    let stats = region.change();
    // Per message: the strings rxml hands over, its token buffer (given
    // back after each message), the element's arena. A parser built per
    // message added 7 allocations and a token buffer sized from the
    // element limit (263 KB).
    assert!(stats.allocations <= 16 * 100, "{stats:?}");
    assert!(stats.bytes_allocated <= 16 * 1024 * 100, "{stats:?}");
}

/// After a large stanza, the next small element is handed out without the
/// large one's room.
fn a_large_stanza_leaves_no_room_to_the_next() {
    let mut reader = StreamReader::new(Limits::default());
    read_elements(&mut reader, OPEN, false);
    let input = [large_message(), chat_message()].concat();
    let mut input = &input[..];
    let mut elements = Vec::new();
    while let Some(event) = reader.read(&mut input).unwrap() {
        if let StreamEvent::Element(element) = event {
            elements.push(element);
        }
    }
    let [big, chat] = &elements[..] else {
        panic!("{elements:?}")
    };
    assert!(big.heap_bytes() > 200_000);
    assert!(chat.heap_bytes() < 4096, "{} bytes", chat.heap_bytes());
}

/// Handing elements back spares the next ones their arena allocations.
fn recycled_elements_spare_the_arena_allocations() {
    let chats = chat_message().repeat(100);
    let mut allocations = [0; 2];
    for (recycle, count) in [false, true].into_iter().zip(&mut allocations) {
        let mut reader = StreamReader::new(Limits::default());
        read_elements(&mut reader, OPEN, recycle);
        let region = Region::new(GLOBAL);
        assert_eq!(read_elements(&mut reader, &chats, recycle), 100);
        *count = region.change().allocations;
    }
    let [plain, recycled] = allocations;
    assert!(
        recycled + 200 <= plain,
        "{recycled} allocations recycling, {plain} without"
    );
}

/// Heap held by a reader left inside an element built to be as costly as
/// `limits` allow, in several shapes; what the `Limits` docs promise bounds
/// each.
fn a_reader_inside_a_hostile_element_holds_within_the_documented_bound() {
    let limits = Limits::default()
        .with_max_element_bytes(64 * 1024)
        .with_max_buffered_bytes(128 * 1024)
        .with_max_token_bytes(8 * 1024)
        .with_max_depth(256)
        .with_max_attributes(1024)
        .with_max_namespace_declarations(64);
    let bound = (2 * limits.max_buffered_bytes
        + 4 * limits.max_element_bytes
        + 2 * limits.max_token_bytes
        + 256 * (limits.max_depth + limits.max_attributes + limits.max_namespace_declarations))
        as isize;
    let long = |c: char, n: usize| c.to_string().repeat(n);
    let uri = format!("urn:{}", long('u', 8000));
    let header = format!(
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'{}>",
        (0..6)
            .map(|i| format!(" xmlns:p{i}='{uri}{i}'"))
            .collect::<String>()
    );
    let shapes = [
        ("tiny children", format!("<m>{}", "<a/>".repeat(3_900))),
        (
            "text and references",
            format!("<m><b>{}", "x&amp;".repeat(10_000)),
        ),
        (
            "attributes",
            format!(
                "<m{}",
                (0..1000)
                    .map(|i| format!(" a{i}='{}'", long('v', 50)))
                    .collect::<String>()
            ),
        ),
        (
            "deep long names",
            (0..255)
                .map(|_| format!("<{}>", long('n', 240)))
                .collect::<String>(),
        ),
        (
            "stream prefixes",
            format!(
                "<m>{}",
                (0..2000)
                    .map(|i| format!("<p{}:x/>", i % 6))
                    .collect::<String>()
            ),
        ),
    ];
    for (shape, body) in shapes {
        let region = Region::new(GLOBAL);
        let mut reader = StreamReader::new(limits);
        let input = [header.as_bytes(), body.as_bytes()].concat();
        let mut input = &input[..];
        while let Some(event) = reader.read(&mut input).unwrap() {
            drop(event);
        }
        let held = held(&region);
        assert!(held <= bound, "{shape}: {held} bytes, bound {bound}");
        drop(reader);
    }
}

fn main() {
    a_reader_inside_a_hostile_element_holds_within_the_documented_bound();
    a_reader_holds_next_to_nothing_after_the_header();
    an_idle_reader_holds_at_most_2_kib();
    an_idle_frame_reader_holds_at_most_2_kib();
    a_frame_reader_keeps_its_parser();
    a_large_stanza_leaves_no_room_to_the_next();
    recycled_elements_spare_the_arena_allocations();
}
