//! Every limit is exact, takes effect when set, and is clamped to its
//! documented maximum, so no setting lets a peer exhaust the stack or the
//! heap.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{OPEN, read_with};
use stanzio_xml::{
    ContentNamespace, Element, Limit, Limits, ReadError, StreamEvent, StreamReader, StreamWriter,
};

/// The error reading `OPEN` and `body` with `limits` ends with, if any.
fn error_with(limits: Limits, body: &str) -> Option<ReadError> {
    read_with(limits, format!("{OPEN}{body}").as_bytes()).1
}

fn exceeded(limit: Limit, max: usize) -> Option<ReadError> {
    Some(ReadError::LimitExceeded { limit, max })
}

/// `Limits` with every field `usize::MAX`, set directly rather than through
/// the clamping setters.
fn unbounded() -> Limits {
    let mut limits = Limits::default();
    limits.max_element_bytes = usize::MAX;
    limits.max_token_bytes = usize::MAX;
    limits.max_depth = usize::MAX;
    limits.max_attributes = usize::MAX;
    limits.max_namespace_declarations = usize::MAX;
    limits.max_buffered_bytes = usize::MAX;
    limits
}

fn nested(depth: usize) -> String {
    format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth))
}

#[test]
fn limits_of_usize_max_are_clamped_by_the_reader() {
    let reader = StreamReader::new(unbounded());
    let clamped = reader.limits();
    assert_eq!(clamped.max_element_bytes, Limits::MAX_BYTES);
    assert_eq!(clamped.max_token_bytes, Limits::MAX_TOKEN_BYTES);
    assert_eq!(clamped.max_depth, Limits::MAX_DEPTH);
    assert_eq!(clamped.max_attributes, Limits::MAX_ATTRIBUTES);
    assert_eq!(
        clamped.max_namespace_declarations,
        Limits::MAX_NAMESPACE_DECLARATIONS
    );
    assert_eq!(clamped.max_buffered_bytes, Limits::MAX_BYTES);
    // Such a reader reads a stream (no capacity overflow, no wrapping)...
    let (events, error) = read_with(
        unbounded(),
        format!("{OPEN}<message a='1'><body>hi &amp; bye</body></message>").as_bytes(),
    );
    assert_eq!(error, None);
    assert_eq!(events.len(), 2);
}

#[test]
fn a_20000_deep_element_stops_at_the_maximum_depth() {
    // Unclamped, this depth overflowed the stack in the recursive walks
    // (copies, comparison, writing) of the element it would have made.
    let deep = "<a>".repeat(20_000);
    for limits in [unbounded(), Limits::default().with_max_depth(usize::MAX)] {
        assert_eq!(
            error_with(limits, &deep),
            exceeded(Limit::Depth, Limits::MAX_DEPTH)
        );
    }
}

#[test]
fn an_element_at_the_maximum_depth_can_be_walked() {
    let limits = Limits::default().with_max_depth(usize::MAX);
    let input = format!("{OPEN}{}", nested(Limits::MAX_DEPTH));
    let (events, error) = read_with(limits, input.as_bytes());
    assert_eq!(error, None);
    let StreamEvent::Element(element) = &events[1] else {
        panic!("{events:?}")
    };
    let copy = element.root().to_owned();
    assert_eq!(&copy, element);
    let tree = element.to_minidom();
    assert_eq!(&Element::from(&tree), element);
    let mut out = Vec::new();
    StreamWriter::new(ContentNamespace::Client)
        .write(&mut out, element.root())
        .unwrap();
    let innermost = Limits::MAX_DEPTH - 1;
    let expected = format!(
        "{}<a/>{}",
        "<a>".repeat(innermost),
        "</a>".repeat(innermost)
    );
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    assert!(format!("{element:?}").starts_with("<a xmlns='jabber:client'><a><a>"));
}

#[test]
fn depth_limit_set_by_the_setter_is_enforced() {
    let limits = Limits::default().with_max_depth(3);
    assert_eq!(error_with(limits, &nested(3)), None);
    assert_eq!(error_with(limits, &nested(4)), exceeded(Limit::Depth, 3));
}

#[test]
fn attribute_limit_set_by_the_setter_is_enforced() {
    let limits = Limits::default().with_max_attributes(2);
    assert_eq!(error_with(limits, "<a x='1' y='2'/>"), None);
    assert_eq!(
        error_with(limits, "<a x='1' y='2' z='3'/>"),
        exceeded(Limit::Attributes, 2)
    );
}

#[test]
fn declaration_limit_set_by_the_setter_is_enforced() {
    // The header declares two.
    let limits = Limits::default().with_max_namespace_declarations(2);
    assert_eq!(
        error_with(limits, "<a xmlns:p='urn:p' xmlns='urn:d'/>"),
        None
    );
    assert_eq!(
        error_with(limits, "<a xmlns:p='urn:p' xmlns:q='urn:q' xmlns='urn:d'/>"),
        exceeded(Limit::NamespaceDeclarations, 2)
    );
}

fn attributes(count: usize) -> String {
    (0..count).map(|i| format!(" a{i}='x'")).collect()
}

fn declarations(count: usize) -> String {
    (0..count)
        .map(|i| format!(" xmlns:p{i}='urn:{i}'"))
        .collect()
}

#[test]
fn attribute_limits_are_exact_on_elements() {
    let limits = Limits::default();
    let full = format!("<message{}{}/>", attributes(64), declarations(16));
    assert_eq!(error_with(limits, &full), None);
    // The limit fires at the 65th attribute, before the head even ends.
    let open_head = format!("<message{}", attributes(65));
    assert_eq!(
        error_with(limits, &open_head),
        exceeded(Limit::Attributes, 64)
    );
    let open_head = format!("<message{}{}", attributes(64), declarations(17));
    assert_eq!(
        error_with(limits, &open_head),
        exceeded(Limit::NamespaceDeclarations, 16)
    );
}

#[test]
fn attribute_limits_are_exact_on_the_stream_header() {
    // The header's two declarations count against the 16.
    let header = |attrs: usize, decls: usize| {
        format!(
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'{}{}>",
            attributes(attrs),
            declarations(decls)
        )
    };
    let read = |input: String| read_with(Limits::default(), input.as_bytes()).1;
    assert_eq!(read(header(64, 14)), None);
    assert_eq!(read(header(65, 0)), exceeded(Limit::Attributes, 64));
    assert_eq!(
        read(header(0, 15)),
        exceeded(Limit::NamespaceDeclarations, 16)
    );
}

#[test]
fn prefix_declarations_in_scope_are_capped() {
    // Each element declares one prefix, within the per-element limit; in
    // scope together they would make every prefix lookup scan them all.
    let chain = |levels: usize| {
        let opens: String = (0..levels)
            .map(|i| format!("<e xmlns:p{i}='urn:{i}'>"))
            .collect();
        format!("{opens}<p0:leaf/>{}", "</e>".repeat(levels))
    };
    let limits = Limits::default();
    assert_eq!(error_with(limits, &chain(16)), None);
    assert_eq!(
        error_with(limits, &chain(17)),
        exceeded(Limit::NamespaceDeclarations, 16)
    );
    // Siblings' declarations go out of scope with them.
    let siblings: String = (0..40)
        .map(|i| format!("<e xmlns:p{i}='urn:{i}'><p{i}:x/></e>"))
        .collect();
    assert_eq!(error_with(limits, &format!("<m>{siblings}</m>")), None);
    // Default declarations are not prefixes: one on every level is fine.
    let defaults: String = (0..32).map(|i| format!("<e xmlns='urn:{i}'>")).collect();
    let input = format!("{defaults}{}", "</e>".repeat(32));
    assert_eq!(error_with(limits, &input), None);
}

#[test]
fn token_limit_is_exact() {
    let limits = Limits::default().with_max_token_bytes(100);
    let value = |len| format!("<message id='{}'/>", "v".repeat(len));
    assert_eq!(error_with(limits, &value(100)), None);
    // rxml words this error, which the reader maps to the limit.
    assert_eq!(
        error_with(limits, &value(101)),
        exceeded(Limit::TokenBytes, 100)
    );
    // References count once expanded.
    let expanded = format!("<message id='{}'/>", "&amp;".repeat(100));
    assert_eq!(error_with(limits, &expanded), None);
    let name = format!("<{}/>", "n".repeat(101));
    assert_eq!(error_with(limits, &name), exceeded(Limit::TokenBytes, 100));
}

#[test]
fn text_longer_than_the_token_limit_is_read_whole() {
    let limits = Limits::default().with_max_token_bytes(100);
    let text = "abcdé&amp;".repeat(100);
    let input = format!("{OPEN}<message><body>{text}</body></message>");
    let (events, error) = read_with(limits, input.as_bytes());
    assert_eq!(error, None);
    let StreamEvent::Element(message) = &events[1] else {
        panic!("{events:?}")
    };
    let body = message.root().children().next().unwrap();
    assert_eq!(body.text(), text.replace("&amp;", "&"));
}

#[test]
fn header_byte_limit_is_exact() {
    // The XML declaration and the header count together.
    let input = format!("<?xml version='1.0'?>{OPEN}");
    let at = |bytes| {
        read_with(
            Limits::default().with_max_element_bytes(bytes),
            input.as_bytes(),
        )
    };
    let (events, error) = at(input.len());
    assert_eq!(error, None);
    assert!(matches!(events[..], [StreamEvent::Header(_)]));
    let (_, error) = at(input.len() - 1);
    assert_eq!(error, exceeded(Limit::ElementBytes, input.len() - 1));
    // A limit that ends inside the declaration, or right after it.
    let (_, error) = at(10);
    assert_eq!(error, exceeded(Limit::ElementBytes, 10));
    let declaration = "<?xml version='1.0'?>";
    let limits = Limits::default().with_max_element_bytes(declaration.len());
    assert_eq!(read_with(limits, declaration.as_bytes()), (vec![], None));
}
