//! RFC 6120 §8.4: a stanza's extended content, attributes as well as child
//! elements, survives reading and writing unchanged, so a server built on
//! these types routes it as it came.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{assert_round_trip, element};
use stanzio_stanza::{ExtensionAttribute, Stanza};
use stanzio_xml::ContentNamespace;

#[test]
fn extension_attributes_are_kept_on_every_stanza_kind() {
    for xml in [
        "<message xmlns:e='urn:example:ext' e:hint='high' to='juliet@example.com' type='chat'>\
         <body>hi</body><custom xmlns='urn:example:payload' a='1'/></message>",
        "<presence xmlns:e='urn:example:ext' e:hint='high'><show>away</show></presence>",
        "<iq xmlns:e='urn:example:ext' e:hint='high' type='get' id='q1'>\
         <query xmlns='jabber:iq:version'/></iq>",
    ] {
        let parsed = element(ContentNamespace::Client, xml);
        let stanza = assert_round_trip(&parsed, ContentNamespace::Client, None);
        let kept = match &stanza {
            Stanza::Message(m) => &m.extension_attributes,
            Stanza::Presence(p) => &p.extension_attributes,
            Stanza::Iq(iq) => &iq.extension_attributes,
        };
        assert_eq!(
            kept,
            &[ExtensionAttribute {
                ns: "urn:example:ext".into(),
                name: "hint".into(),
                value: "high".into(),
            }],
            "{xml}"
        );
    }
}

#[test]
fn error_replies_do_not_copy_extension_attributes() {
    let parsed = element(
        ContentNamespace::Client,
        "<message xmlns:e='urn:example:ext' e:hint='x' from='romeo@example.net/o' id='m1'/>",
    );
    let ctx = common::client();
    let stanza = Stanza::from_element(parsed.root(), &ctx).unwrap();
    let error = stanzio_stanza::StanzaError::new(stanzio_stanza::Condition::ServiceUnavailable);
    let Some(Stanza::Message(reply)) = stanza.error_reply(error, &ctx) else {
        panic!()
    };
    assert!(reply.extension_attributes.is_empty());
    assert_eq!(reply.id.as_deref(), Some("m1"));
}

#[test]
fn an_extension_attribute_shadowing_a_stanza_attribute_is_not_written() {
    // Built by hand (a parsed stanza never has one): writing it would put
    // `to` twice on the element, which no peer could parse.
    let shadow = |ns: &str, name: &str| ExtensionAttribute {
        ns: ns.into(),
        name: name.into(),
        value: "x".into(),
    };
    for extensions in [
        vec![shadow("", "to")],
        vec![shadow("urn:x", "k"), shadow("urn:x", "k")],
    ] {
        let mut message =
            stanzio_stanza::Message::chat("juliet@example.com".parse().unwrap(), "hi");
        message.extension_attributes = extensions;
        let mut out = Vec::new();
        let mut w = stanzio_xml::StreamWriter::new(ContentNamespace::Client).element(&mut out);
        Stanza::Message(message).write_to(&mut w);
        assert!(matches!(
            w.finish(),
            Err(stanzio_xml::BuildError::DuplicateAttribute(_))
        ));
        assert!(out.is_empty());
    }
    // A `to` in another namespace is no clash.
    let mut message = stanzio_stanza::Message::chat("juliet@example.com".parse().unwrap(), "hi");
    message.extension_attributes = vec![shadow("urn:x", "to")];
    let mut out = Vec::new();
    let mut w = stanzio_xml::StreamWriter::new(ContentNamespace::Client).element(&mut out);
    Stanza::Message(message).write_to(&mut w);
    assert_eq!(w.finish(), Ok(()));
}
