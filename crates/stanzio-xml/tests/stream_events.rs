//! What the reader reports for a well-formed stream.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{OPEN, read_all};
use stanzio_xml::{ContentNamespace, NS_STREAM, NS_XML, StreamEvent, StreamHeader};

#[test]
fn header_fields_are_reported() {
    let input = "<?xml version='1.0'?>\n<stream:stream xmlns='jabber:server' \
        xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' \
        from='a.example' to='b.example' id='++TR84Sm6A3hnt3Q065SnAbbk3Y=' version='1.0' xml:lang='en'>";
    let (events, error) = read_all(input.as_bytes());
    assert!(error.is_none());
    assert_eq!(
        events,
        vec![StreamEvent::Header(StreamHeader {
            to: Some("b.example".into()),
            from: Some("a.example".into()),
            id: Some("++TR84Sm6A3hnt3Q065SnAbbk3Y=".into()),
            version: Some("1.0".into()),
            lang: Some("en".into()),
            ns: Some(ContentNamespace::Server),
        })]
    );
}

#[test]
fn component_header_without_version() {
    let input = "<stream:stream xmlns='jabber:component:accept' \
        xmlns:stream='http://etherx.jabber.org/streams' to='comp.example.org'>";
    let (events, _) = read_all(input.as_bytes());
    let StreamEvent::Header(header) = &events[0] else {
        panic!()
    };
    assert_eq!(header.ns, Some(ContentNamespace::ComponentAccept));
    assert_eq!(header.version, None);
}

#[test]
fn prefixes_declared_on_the_header_apply_to_stanzas() {
    let input = "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' \
        xmlns:db='jabber:server:dialback'><db:result to='b' from='a'>key</db:result>\
        <stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>\
        </stream:features>";
    let (events, error) = read_all(input.as_bytes());
    assert!(error.is_none(), "{error:?}");
    let StreamEvent::Element(db) = &events[1] else {
        panic!()
    };
    assert!(db.is("result", "jabber:server:dialback"));
    assert_eq!(db.root().text(), "key");
    let StreamEvent::Element(features) = &events[2] else {
        panic!()
    };
    assert!(features.is("features", NS_STREAM));
    let starttls = features
        .root()
        .get_child("starttls", "urn:ietf:params:xml:ns:xmpp-tls")
        .unwrap();
    assert!(
        starttls
            .get_child("required", "urn:ietf:params:xml:ns:xmpp-tls")
            .is_some()
    );
}

#[test]
fn namespaces_resolve_per_element() {
    let input = format!(
        "{OPEN}<message xml:lang='de' xmlns:x='urn:x'><body>Hallo</body>\
         <x:data x:k='v' k='w'><inner/></x:data><y xmlns='urn:y'><z/></y>\
         <undeclare xmlns=''/></message>"
    );
    let (events, error) = read_all(input.as_bytes());
    assert!(error.is_none(), "{error:?}");
    let StreamEvent::Element(m) = &events[1] else {
        panic!()
    };
    let m = m.root();
    assert!(m.is("message", "jabber:client"));
    assert_eq!(m.attr_ns(NS_XML, "lang"), Some("de"));
    assert_eq!(
        m.get_child("body", "jabber:client").unwrap().text(),
        "Hallo"
    );
    let data = m.get_child("data", "urn:x").unwrap();
    assert_eq!(data.attr_ns("urn:x", "k"), Some("v"));
    assert_eq!(data.attr("k"), Some("w"));
    // A prefixed element does not change the default namespace.
    assert!(data.get_child("inner", "jabber:client").is_some());
    assert!(
        m.get_child("y", "urn:y")
            .unwrap()
            .get_child("z", "urn:y")
            .is_some()
    );
    assert!(m.get_child("undeclare", "").is_some());
}

#[test]
fn entities_and_character_references_are_resolved() {
    let input =
        format!("{OPEN}<message id='a&amp;b&#x27;'><body>&lt;3 &#233;&#x1F600;</body></message>");
    let (events, _) = read_all(input.as_bytes());
    let StreamEvent::Element(m) = &events[1] else {
        panic!()
    };
    assert_eq!(m.attr("id"), Some("a&b'"));
    assert_eq!(
        m.root().get_child("body", "jabber:client").unwrap().text(),
        "<3 é😀"
    );
}

#[test]
fn whitespace_keepalive_is_reported_once_per_run() {
    let input = format!("{OPEN} \n\t <r xmlns='urn:xmpp:sm:3'/>\n\n <a/>");
    let (events, error) = read_all(input.as_bytes());
    assert!(error.is_none());
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            StreamEvent::Header(_) => "header",
            StreamEvent::Element(_) => "element",
            StreamEvent::Whitespace => "space",
            StreamEvent::End => "end",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["header", "space", "element", "space", "element"]);
}

#[test]
fn keepalive_is_reported_before_anything_follows() {
    let mut reader = stanzio_xml::StreamReader::new(stanzio_xml::Limits::default());
    let mut open = OPEN.as_bytes();
    assert!(matches!(
        reader.read(&mut open),
        Ok(Some(StreamEvent::Header(_)))
    ));
    let mut space: &[u8] = b" ";
    assert_eq!(reader.read(&mut space), Ok(Some(StreamEvent::Whitespace)));
    assert_eq!(reader.read(&mut space), Ok(None));
}

#[test]
fn self_closing_stream_header_ends_the_stream() {
    let input =
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'/>";
    let (events, error) = read_all(input.as_bytes());
    assert!(error.is_none());
    assert!(matches!(
        events[..],
        [StreamEvent::Header(_), StreamEvent::End]
    ));
}

#[test]
fn stream_end_is_reported() {
    let input = format!("{OPEN}<a/></stream:stream>");
    let (events, error) = read_all(input.as_bytes());
    assert!(error.is_none());
    assert_eq!(events.last(), Some(&StreamEvent::End));
    assert_eq!(events.len(), 3);
}

#[test]
fn cdata_text_is_read() {
    let input = format!("{OPEN}<message><body><![CDATA[<not a tag>]]></body></message>");
    let (events, error) = read_all(input.as_bytes());
    assert!(error.is_none(), "{error:?}");
    let StreamEvent::Element(m) = &events[1] else {
        panic!()
    };
    assert_eq!(
        m.root().get_child("body", "jabber:client").unwrap().text(),
        "<not a tag>"
    );
}

#[test]
fn recycled_elements_do_not_change_what_is_read() {
    // A big element, then small ones: each reuses the previous buffers,
    // which must come back empty.
    let input = format!(
        "{OPEN}<message id='big'><body>{}</body><x xmlns='urn:x' a='1'/></message>\
         <iq id='1' type='get'/><presence/><message xml:lang='en'><body>b</body></message>",
        "long text ".repeat(200)
    );
    let (expected, error) = read_all(input.as_bytes());
    assert!(error.is_none());
    let mut reader = stanzio_xml::StreamReader::new(stanzio_xml::Limits::default());
    let mut bytes = input.as_bytes();
    let mut events = Vec::new();
    while let Some(event) = reader.read(&mut bytes).unwrap() {
        if let StreamEvent::Element(element) = &event {
            events.push(event.clone());
            reader.recycle(element.clone());
        } else {
            events.push(event);
        }
    }
    assert_eq!(events, expected);
}
