//! What the reader reports for a well-formed stream.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{OPEN, read_all};
use stanzio_xml::{
    ContentNamespace, Limits, NS_STREAM, NS_XML, StreamEvent, StreamHeader, StreamReader,
};

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

#[test]
fn prefix_free_stream_header_is_accepted() {
    // RFC 6120 §4.8.2: instead of a content namespace, the stream namespace
    // is the default and each top-level element declares its own.
    let input = "<stream xmlns='http://etherx.jabber.org/streams' to='example.com' version='1.0'>\
        <features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></features>\
        <message xmlns='jabber:client'><body>hi</body></message></stream>";
    let (events, error) = read_all(input.as_bytes());
    assert_eq!(error, None);
    let [
        StreamEvent::Header(header),
        StreamEvent::Element(features),
        StreamEvent::Element(message),
        StreamEvent::End,
    ] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(header.ns, None);
    assert_eq!(header.to.as_deref(), Some("example.com"));
    assert!(features.is("features", NS_STREAM));
    assert!(message.is("message", "jabber:client"));
}

#[test]
fn header_without_a_content_namespace_has_none() {
    let input = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>\
        <message xmlns='jabber:server'/>";
    let (events, error) = read_all(input.as_bytes());
    assert_eq!(error, None);
    let [StreamEvent::Header(header), StreamEvent::Element(message)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(header.ns, None);
    assert!(message.is("message", "jabber:server"));
}

/// The first event, or the error, reading `declaration` and then `OPEN`.
fn after_declaration(declaration: &str) -> Result<StreamEvent, stanzio_xml::ReadError> {
    let input = format!("{declaration}{OPEN}");
    match read_all(input.as_bytes()) {
        (_, Some(error)) => Err(error),
        (events, None) => Ok(events.into_iter().next().unwrap()),
    }
}

#[test]
fn xml_declaration_with_standalone_but_no_encoding_is_accepted() {
    // XML 1.0 §2.8 makes `encoding` optional before `standalone`; rxml 0.14
    // does not, and the reader works around it.
    for declaration in [
        "<?xml version='1.0' standalone='yes'?>",
        "<?xml version=\"1.0\" standalone=\"yes\" ?>\n",
        "<?xml  version = '1.0'\tstandalone='yes'?>",
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>",
        "<?xml version='1.0' encoding='utf-8'?>",
        "<?xml version='1.0'?>",
    ] {
        let event = after_declaration(declaration);
        assert!(
            matches!(event, Ok(StreamEvent::Header(_))),
            "{declaration}: {event:?}"
        );
    }
}

#[test]
fn malformed_or_second_xml_declarations_are_refused() {
    use stanzio_xml::XmlCondition::{NotWellFormed, RestrictedXml, UnsupportedEncoding};
    for (declaration, condition) in [
        ("<?xml version='1.1'?>", RestrictedXml),
        ("<?xml standalone='yes'?>", NotWellFormed),
        (
            "<?xml version='1.0' standalone='yes' encoding='utf-8'?>",
            NotWellFormed,
        ),
        (
            "<?xml version='1.0' encoding='latin1' standalone='yes'?>",
            UnsupportedEncoding,
        ),
        ("<?xml version='1.0'?><?xml version='1.0'?>", NotWellFormed),
        (
            "<?xml version='1.0' standalone='yes'?><?xml version='1.0'?>",
            NotWellFormed,
        ),
        ("<?xml-model href='x'?>", NotWellFormed),
        ("<?xml?>", NotWellFormed),
    ] {
        let error = after_declaration(declaration).unwrap_err();
        assert_eq!(error.condition(), condition, "{declaration}: {error:?}");
    }
}

/// Text after a child's end tag is the parent's, not the child's: a
/// pretty-printed `<body>hi</body>\n</message>` has the body "hi".
#[test]
fn text_after_a_closed_child_belongs_to_the_parent() {
    let mut reader = StreamReader::new(Limits::default());
    let mut input: &[u8] = b"<stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams'>\
        <message><body>hi</body>\n  <b><c>t</c>u</b>v</message>";
    let mut element = None;
    while let Some(event) = reader.read(&mut input).unwrap() {
        if let StreamEvent::Element(e) = event {
            element = Some(e);
        }
    }
    let element = element.unwrap();
    let root = element.root();
    assert_eq!(
        root.get_child("body", "jabber:client").unwrap().text(),
        "hi"
    );
    let b = root.get_child("b", "jabber:client").unwrap();
    assert_eq!(b.get_child("c", "jabber:client").unwrap().text(), "t");
    assert_eq!(b.text(), "u");
    assert_eq!(root.text(), "\n  v");
}
