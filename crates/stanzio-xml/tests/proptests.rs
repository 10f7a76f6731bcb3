//! Property tests: write-then-read gives the same elements; any split of a
//! stream gives the same events; arbitrary bytes never panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{OPEN, read_chunked};
use proptest::prelude::*;
use stanzio_xml::{
    ContentNamespace, Element, FrameReader, Limits, NS_XML, StreamEvent, StreamWriter,
};

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9._-]{0,8}"
}

fn text() -> impl Strategy<Value = String> {
    // Any XML-legal text, including markup characters, CR and non-ASCII.
    proptest::string::string_regex(
        "[\\t\\n\\r -~\u{a0}-\u{d7ff}\u{e000}-\u{fffd}\u{10000}-\u{10ffff}]{0,20}",
    )
    .unwrap()
}

fn namespace() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("jabber:client".to_owned()),
        Just("urn:xmpp:test".to_owned()),
        Just("urn:a&b'c".to_owned()),
        Just(String::new()),
    ]
}

fn element() -> impl Strategy<Value = Element> {
    let leaf = (
        name(),
        namespace(),
        proptest::collection::vec((name(), text(), any::<bool>()), 0..4),
        text(),
    )
        .prop_map(|(name, ns, attrs, text)| {
            let mut b = Element::builder(&name, &ns);
            for (attr, value, in_ns) in attrs {
                b = if in_ns {
                    b.attr_ns("urn:attr", &attr, &value)
                } else {
                    b.attr(&attr, &value)
                };
            }
            b.attr_ns(NS_XML, "lang", "en").text(&text).build().unwrap()
        });
    leaf.prop_recursive(4, 24, 4, |inner| {
        (
            name(),
            namespace(),
            proptest::collection::vec(prop_oneof![inner.prop_map(Ok), text().prop_map(Err)], 0..5),
        )
            .prop_map(|(name, ns, children)| {
                let mut b = Element::builder(&name, &ns);
                for child in children {
                    b = match child {
                        Ok(e) => b.child(e),
                        Err(t) => b.text(&t),
                    };
                }
                b.build().unwrap()
            })
    })
}

fn stream_of(elements: &[Element]) -> Vec<u8> {
    let writer = StreamWriter::new(ContentNamespace::Client);
    let mut out = OPEN.as_bytes().to_vec();
    for e in elements {
        writer.write(&mut out, e.root()).unwrap();
        out.extend_from_slice(b" ");
    }
    out.extend_from_slice(b"</stream:stream>");
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn write_then_read_gives_the_same_elements(elements in proptest::collection::vec(element(), 1..5)) {
        let bytes = stream_of(&elements);
        let (events, error) = read_chunked(Limits::default(), &bytes, bytes.len());
        prop_assert!(error.is_none(), "{:?} in {}", error, String::from_utf8_lossy(&bytes));
        let read: Vec<&Element> = events.iter().filter_map(|e| match e {
            StreamEvent::Element(e) => Some(e),
            _ => None,
        }).collect();
        prop_assert_eq!(read.len(), elements.len());
        for (got, want) in read.iter().zip(&elements) {
            prop_assert_eq!(*got, want);
        }
        prop_assert_eq!(events.last(), Some(&StreamEvent::End));
    }

    #[test]
    fn copies_are_equal_and_exactly_sized(elements in proptest::collection::vec(element(), 1..4)) {
        // Through the reader, whose arenas share namespace strings.
        let bytes = stream_of(&elements);
        let (events, _) = read_chunked(Limits::default(), &bytes, bytes.len());
        for event in &events {
            let StreamEvent::Element(read) = event else { continue };
            let mut pending = vec![read.root()];
            while let Some(element) = pending.pop() {
                let copy = element.to_owned();
                prop_assert_eq!(copy.root(), element);
                prop_assert_eq!(copy.heap_bytes(), copy.used_bytes());
                pending.extend(element.children());
            }
            let keep = |child: stanzio_xml::ElementRef<'_>| child.ns() == "urn:xmpp:test";
            let root = read.root();
            match root.to_owned_with_children(keep) {
                None => prop_assert!(!root.children().any(keep)),
                Some(copy) => {
                    prop_assert_eq!(copy.heap_bytes(), copy.used_bytes());
                    prop_assert_eq!((copy.name(), copy.ns()), (root.name(), root.ns()));
                    prop_assert_eq!(copy.root().attrs().count(), 0);
                    prop_assert!(copy.root().nodes().all(|n| matches!(n, stanzio_xml::Node::Element(_))));
                    prop_assert!(copy.root().children().eq(root.children().filter(|c| keep(*c))));
                }
            }
        }
    }

    #[test]
    fn any_split_gives_the_same_events(
        elements in proptest::collection::vec(element(), 1..4),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let bytes = stream_of(&elements);
        let (whole, error) = read_chunked(Limits::default(), &bytes, bytes.len());
        prop_assert!(error.is_none());
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len())).collect();
        points.sort_unstable();
        let mut reader = stanzio_xml::StreamReader::new(Limits::default());
        let mut events = Vec::new();
        let mut from = 0;
        for to in points.into_iter().chain([bytes.len()]) {
            let mut piece = &bytes[from..to];
            while let Some(event) = reader.read(&mut piece).unwrap() {
                events.push(event);
            }
            prop_assert!(piece.is_empty());
            from = to;
        }
        prop_assert_eq!(events, whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512), chunk in 1usize..64) {
        let mut input = OPEN.as_bytes().to_vec();
        input.extend_from_slice(&tail);
        let limits = Limits::default().with_max_element_bytes(256);
        let (_, _) = read_chunked(limits, &input, chunk);
    }

    #[test]
    fn arbitrary_markup_never_panics(tail in "[<>/a-c:='\" &;#x0-9!?\\[\\]-]{0,200}") {
        let mut input = OPEN.as_bytes().to_vec();
        input.extend_from_slice(tail.as_bytes());
        let (whole, error_whole) = read_chunked(Limits::default(), &input, input.len());
        let (bytewise, error_bytewise) = read_chunked(Limits::default(), &input, 1);
        prop_assert_eq!(whole, bytewise);
        prop_assert_eq!(error_whole, error_bytewise);
    }

    #[test]
    fn prologs_read_alike_in_any_split(
        prolog in "(<\\?xml[ \t]{1,2}version=('1.0'|\"1.0\")( encoding='(utf-8|UTF-8|latin1)')?( standalone=('yes'|'no'|\"yes\"))?[ \n]{0,2}\\?>)?[ \n]{0,2}",
        junk in "[<?xml vesion='1.0yd\" \t\n>]{0,12}",
        chunk in 1usize..8,
    ) {
        for prefix in [prolog.clone(), format!("{prolog}{junk}"), junk] {
            let input = format!("{prefix}{OPEN}<a/>");
            let (whole, error_whole) = read_chunked(Limits::default(), input.as_bytes(), input.len());
            let (split, error_split) = read_chunked(Limits::default(), input.as_bytes(), chunk);
            prop_assert_eq!(whole, split);
            prop_assert_eq!(error_whole, error_split);
        }
    }

    #[test]
    fn one_frame_reader_reads_each_message_as_a_fresh_one(
        elements in proptest::collection::vec(element(), 1..5),
        junk in proptest::collection::vec("[<>/a-c:='\" &;#x0-9!?\\[\\]-]{0,60}", 0..3),
    ) {
        let writer = StreamWriter::websocket(ContentNamespace::Client);
        let mut messages: Vec<Vec<u8>> = elements.iter().map(|e| {
            let mut out = Vec::new();
            writer.write(&mut out, e.root()).unwrap();
            out
        }).collect();
        messages.extend(junk.into_iter().map(String::into_bytes));
        let mut shared = FrameReader::new(Limits::default(), ContentNamespace::Client);
        for message in &messages {
            let fresh = FrameReader::new(Limits::default(), ContentNamespace::Client)
                .read_message(message);
            prop_assert_eq!(shared.read_message(message), fresh.clone());
            if fresh.is_err() {
                break;
            }
        }
    }
}
