//! RFC 7395 framing: one complete element per WebSocket message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use stanzio_xml::{
    ContentNamespace, FrameEvent, FrameReader, Limit, Limits, ReadError, StreamHeader,
    StreamWriter, XmlCondition,
};

fn reader() -> FrameReader {
    FrameReader::new(Limits::default(), ContentNamespace::Client)
}

#[test]
fn open_and_close_are_the_stream_header_and_end() {
    let mut r = reader();
    let open = r
        .read_message(
            b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0' xml:lang='en'/>",
        )
        .unwrap();
    assert_eq!(
        open,
        FrameEvent::Open(StreamHeader {
            to: Some("example.com".into()),
            from: None,
            id: None,
            version: Some("1.0".into()),
            lang: Some("en".into()),
            ns: Some(ContentNamespace::Client),
        })
    );
    let close = r
        .read_message(
            b"<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='wss://other.example/ws'/>",
        )
        .unwrap();
    assert_eq!(
        close,
        FrameEvent::Close {
            see_other_uri: Some("wss://other.example/ws".into())
        }
    );
}

#[test]
fn stanzas_and_stream_features_declare_their_namespaces() {
    let mut r = reader();
    let FrameEvent::Element(f) = r
        .read_message(
            b"<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
              <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>\
              </mechanisms></stream:features>",
        )
        .unwrap()
    else {
        panic!()
    };
    assert!(f.is("features", stanzio_xml::NS_STREAM));
    let FrameEvent::Element(m) = r
        .read_message(b"<message xmlns='jabber:client' to='a@b'/>")
        .unwrap()
    else {
        panic!()
    };
    assert!(m.is("message", "jabber:client"));
}

#[test]
fn undeclared_stanza_is_read_in_the_content_namespace() {
    let FrameEvent::Element(m) = reader().read_message(b"<iq type='get' id='1'/>").unwrap() else {
        panic!()
    };
    assert!(m.is("iq", "jabber:client"));
}

#[test]
fn whitespace_message_is_tolerated() {
    assert_eq!(reader().read_message(b" \n"), Ok(FrameEvent::Whitespace));
}

#[test]
fn two_elements_in_one_message_are_not_well_formed() {
    let error = reader()
        .read_message(b"<a xmlns='jabber:client'/><b/>")
        .unwrap_err();
    assert_eq!(error.condition(), XmlCondition::NotWellFormed);
}

#[test]
fn truncated_message_is_not_well_formed() {
    let error = reader()
        .read_message(b"<message xmlns='jabber:client'><body>")
        .unwrap_err();
    assert_eq!(error.condition(), XmlCondition::NotWellFormed);
}

#[test]
fn oversized_message_is_policy_violation() {
    let mut r = FrameReader::new(
        Limits::default().with_max_element_bytes(100),
        ContentNamespace::Client,
    );
    let big = format!(
        "<message xmlns='jabber:client'><body>{}</body></message>",
        "x".repeat(100)
    );
    let error = r.read_message(big.as_bytes()).unwrap_err();
    assert_eq!(
        error,
        ReadError::LimitExceeded {
            limit: Limit::ElementBytes,
            max: 100
        }
    );
    // A message of exactly the limit is fine.
    let fits = format!(
        "<message xmlns='jabber:client'><body>{}</body></message>",
        "x".repeat(46)
    );
    assert_eq!(fits.len(), 100);
    let fresh = FrameReader::new(
        Limits::default().with_max_element_bytes(100),
        ContentNamespace::Client,
    )
    .read_message(fits.as_bytes());
    assert!(matches!(fresh, Ok(FrameEvent::Element(_))), "{fresh:?}");
    // Sticky: the next, valid message gets the same error.
    assert_eq!(r.read_message(b"<a/>"), Err(error));
}

#[test]
fn unknown_framing_element_is_invalid_namespace() {
    let error = reader()
        .read_message(b"<opne xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>")
        .unwrap_err();
    assert_eq!(error.condition(), XmlCondition::InvalidNamespace);
}

#[test]
fn restricted_xml_in_a_message() {
    let error = reader().read_message(b"<!DOCTYPE a><a/>").unwrap_err();
    assert_eq!(error.condition(), XmlCondition::RestrictedXml);
}

#[test]
fn writer_output_reads_back() {
    let ws = StreamWriter::websocket(ContentNamespace::Client);
    let header = StreamHeader {
        to: Some("example.com".into()),
        from: Some("juliet@example.com".into()),
        id: Some("s1".into()),
        version: Some("1.0".into()),
        lang: None,
        ns: Some(ContentNamespace::Client),
    };
    let mut out = Vec::new();
    ws.header(&mut out, &header).unwrap();
    assert_eq!(reader().read_message(&out), Ok(FrameEvent::Open(header)));
    out.clear();
    ws.close(&mut out);
    assert_eq!(
        reader().read_message(&out),
        Ok(FrameEvent::Close {
            see_other_uri: None
        })
    );
    out.clear();
    let features = stanzio_xml::Element::builder("features", stanzio_xml::NS_STREAM)
        .child(
            stanzio_xml::Element::builder("bind", "urn:ietf:params:xml:ns:xmpp-bind")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    ws.write(&mut out, features.root()).unwrap();
    assert_eq!(
        reader().read_message(&out),
        Ok(FrameEvent::Element(features))
    );
}

#[test]
fn messages_with_an_xml_declaration_are_read() {
    // RFC 7395 §3.3.3: NOT RECOMMENDED, but each message is a document.
    let mut r = reader();
    for message in [
        &b"<?xml version='1.0'?><message xmlns='jabber:client' id='1'/>"[..],
        b"<?xml version='1.0' standalone='yes'?>\n<message xmlns='jabber:client' id='2'/>",
        b"<message xmlns='jabber:client' id='3'/>",
    ] {
        let Ok(FrameEvent::Element(m)) = r.read_message(message) else {
            panic!("{message:?}")
        };
        assert!(m.is("message", "jabber:client"));
    }
}

#[test]
fn one_parser_reads_every_message_of_a_connection() {
    let mut r = reader();
    for i in 0..50 {
        let message = format!(
            "\n<iq xmlns='jabber:client' type='get' id='{i}'><q xmlns='urn:q'>a &amp; b</q></iq> "
        );
        let Ok(FrameEvent::Element(iq)) = r.read_message(message.as_bytes()) else {
            panic!("{message}")
        };
        assert_eq!(iq.attr("id"), Some(i.to_string().as_str()));
        assert_eq!(iq.root().children().next().unwrap().text(), "a & b");
    }
}

#[test]
fn anything_but_one_element_is_not_well_formed() {
    for message in [
        &b"hello"[..],
        b"<a xmlns='jabber:client'/>trailing",
        b"<a xmlns='jabber:client'/><!-- c -->",
        b"</messages>",
        b"<?xml version='1.0'?>",
        b"<?xml version='1.0'",
    ] {
        let error = reader().read_message(message).unwrap_err();
        assert_eq!(
            error.condition(),
            XmlCondition::NotWellFormed,
            "{message:?}: {error:?}"
        );
    }
}
