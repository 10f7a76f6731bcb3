//! Resource binding (RFC 6120 §7), the legacy session (RFC 3921 §3),
//! ping (XEP-0199) and the component handshake (XEP-0114 §3).
// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod elements_support;

use elements_support::{element, elements_after, written, written_in};
use stanzio_jid::{FullJid, JidError};
use stanzio_stanza::{Iq, IqPayload, StreamContext};
use stanzio_stream::elements::bind::{BindRequest, BindResult, Session};
use stanzio_stream::elements::handshake::{Handshake, handshake_digest, handshake_matches};
use stanzio_stream::elements::ping::{is_ping, ping_payload};
use stanzio_stream::elements::{ElementError, Nonza};
use stanzio_xml::{BuildError, ContentNamespace, Element, StreamWriter};

/// The payload of the IQ in `xml`, read as a client stream reads it.
fn iq_payload(xml: &str) -> Element {
    let context = StreamContext::new(ContentNamespace::Client);
    let iq = Iq::from_element(element(xml).root(), &context).unwrap();
    match iq.payload {
        IqPayload::Get(payload) | IqPayload::Set(payload) => payload,
        IqPayload::Result(Some(payload)) => payload,
        other => panic!("no payload in {xml}: {other:?}"),
    }
}

/// Writes `iq` as a client does and reads its payload back.
fn sent_payload(iq: &Iq) -> Element {
    let wire = written(|w| iq.write_to(w));
    iq_payload(&wire)
}

#[test]
fn rfc_6120_bind_examples() {
    // §7.6.1: the server generates the resourcepart.
    let request = iq_payload(
        "<iq id='tn281v37' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
    );
    assert_eq!(
        BindRequest::from_element(request.root()),
        Ok(BindRequest { resource: None })
    );
    let result = iq_payload(
        "<iq id='tn281v37' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
         <jid>juliet@im.example.com/4db06f06-1ea4-11dc-aca3-000bcd821bfb</jid></bind></iq>",
    );
    let bound = BindResult::from_element(result.root()).unwrap();
    assert_eq!(bound.jid.resource(), "4db06f06-1ea4-11dc-aca3-000bcd821bfb");
    // §7.7.1: the client submits one.
    let request = iq_payload(
        "<iq id='wy2xa82b4' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
         <resource>balcony</resource></bind></iq>",
    );
    assert_eq!(
        BindRequest::from_element(request.root()),
        Ok(BindRequest {
            resource: Some("balcony".into())
        })
    );
}

#[test]
fn recorded_prosody_bind() {
    // tests/data/prosody-alice-c2s.xml and -s2c.xml.
    let request = iq_payload(
        "<iq id=\"61797f4f8c69456a80d99d1a9198ce5d\" type=\"set\">\
         <bind xmlns=\"urn:ietf:params:xml:ns:xmpp-bind\"><resource>smoke</resource></bind></iq>",
    );
    assert_eq!(
        BindRequest::from_element(request.root()),
        Ok(BindRequest {
            resource: Some("smoke".into())
        })
    );
    let result = iq_payload(
        "<iq type='result' id='61797f4f8c69456a80d99d1a9198ce5d'>\
         <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/smoke</jid></bind></iq>",
    );
    assert_eq!(
        BindResult::from_element(result.root()),
        Ok(BindResult {
            jid: "alice@localhost/smoke".parse().unwrap()
        })
    );
}

#[test]
fn bind_payloads_travel_in_iqs() {
    for request in [
        BindRequest { resource: None },
        BindRequest {
            resource: Some("balcony".into()),
        },
        BindRequest {
            resource: Some("with spaces & <markup>".into()),
        },
    ] {
        let iq = Iq::set("bind_1", request.to_element());
        assert_eq!(
            BindRequest::from_element(sent_payload(&iq).root()),
            Ok(request.clone())
        );
        let wire = written(|w| request.write_to(w));
        assert_eq!(
            BindRequest::from_element(element(&wire).root()),
            Ok(request)
        );
    }
    let result = BindResult {
        jid: FullJid::new("Juliet@Example.com/balcony").unwrap(),
    };
    let context = StreamContext::new(ContentNamespace::Client);
    let reply = Iq::set("x", BindRequest { resource: None }.to_element())
        .result_reply(Some(result.to_element()), &context)
        .unwrap();
    assert_eq!(
        BindResult::from_element(sent_payload(&reply).root()),
        Ok(result.clone())
    );
    assert_eq!(
        written(|w| result.write_to(w)),
        "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>juliet@example.com/balcony</jid></bind>"
    );
}

#[test]
fn a_resource_xml_cannot_carry_never_reaches_the_wire() {
    let request = BindRequest {
        resource: Some("nul\0".into()),
    };
    let iq = Iq::set("bind_1", request.to_element());
    let mut out = Vec::new();
    let mut w = StreamWriter::new(ContentNamespace::Client).element(&mut out);
    iq.write_to(&mut w);
    assert!(matches!(w.finish(), Err(BuildError::InvalidName(_))));
    assert!(out.is_empty());
}

#[test]
fn bind_results_must_hold_a_full_jid() {
    let result = |jid: &str| {
        let xml = format!("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>{jid}</jid></bind>");
        BindResult::from_element(element(&xml).root())
    };
    assert_eq!(
        result("juliet@example.com"),
        Err(ElementError::InvalidJid {
            element: "jid",
            value: "juliet@example.com".into(),
            source: JidError::MissingResource,
        })
    );
    assert!(matches!(
        result("juliet@@example.com/x"),
        Err(ElementError::InvalidJid { .. })
    ));
    assert_eq!(
        BindResult::from_element(
            element("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>").root()
        ),
        Err(ElementError::MissingChild {
            element: "bind",
            child: "jid",
        })
    );
    let session = element("<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>");
    assert!(matches!(
        BindResult::from_element(session.root()),
        Err(ElementError::Unexpected { .. })
    ));
}

#[test]
fn legacy_session() {
    // RFC 3921 §3, as sent after binding.
    let payload = iq_payload(
        "<iq to='example.com' type='set' id='sess_1'>\
         <session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
    );
    assert_eq!(Session::from_element(payload.root()), Ok(Session));
    let iq = Iq::set("sess_1", Session.to_element());
    assert_eq!(Session::from_element(sent_payload(&iq).root()), Ok(Session));
    assert_eq!(
        written(|w| Session.write_to(w)),
        "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"
    );
}

#[test]
fn ping() {
    // XEP-0199 §4.1 example.
    let payload = iq_payload(
        "<iq from='capulet.lit' to='juliet@capulet.lit/balcony' id='s2c1' type='get'>\
         <ping xmlns='urn:xmpp:ping'/></iq>",
    );
    assert!(is_ping(payload.root()));
    let iq = Iq::get("c2s1", ping_payload());
    assert!(is_ping(sent_payload(&iq).root()));
    assert_eq!(
        written(|w| iq.write_to(w)),
        "<iq id='c2s1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"
    );
    let not_ping = element("<pong xmlns='urn:xmpp:ping'/>");
    assert!(!is_ping(not_ping.root()));
}

const COMPONENT_HEADER: &str = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' \
    xmlns='jabber:component:accept' from='plays.shakespeare.lit' id='3BF96D32'>";

#[test]
fn xep_0114_handshake() {
    // §3: the component's handshake and the server's empty answer.
    let found = elements_after(
        COMPONENT_HEADER,
        "<handshake>aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e</handshake><handshake/>",
    );
    let read: Vec<_> = found
        .iter()
        .map(|e| Nonza::from_element(e.root()))
        .collect();
    assert_eq!(
        read,
        [
            Some(Ok(Nonza::Handshake(Handshake(Some(
                "aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e".into()
            ))))),
            Some(Ok(Nonza::Handshake(Handshake(None)))),
        ]
    );
    // Written in the stream's own namespace, so without xmlns.
    let digest = Handshake(Some(handshake_digest("3BF96D32", "s3cr3t")));
    let wire = written_in(ContentNamespace::ComponentAccept, |w| digest.write_to(w));
    assert_eq!(
        wire,
        "<handshake>ba33290100f616a33656a931798d6c9011cfa840</handshake>"
    );
    let again = elements_after(COMPONENT_HEADER, &wire);
    assert_eq!(Handshake::from_element(again[0].root()), Ok(digest));
    let connect = written_in(ContentNamespace::ComponentConnect, |w| {
        Handshake(None).write_to(w)
    });
    assert_eq!(connect, "<handshake/>");
    // On another stream it declares its namespace.
    assert_eq!(
        written(|w| Handshake(None).write_to(w)),
        "<handshake xmlns='jabber:component:accept'/>"
    );
}

#[test]
fn handshake_check() {
    let found = elements_after(
        COMPONENT_HEADER,
        "<handshake>ba33290100f616a33656a931798d6c9011cfa840</handshake>\
         <handshake>BA33290100F616A33656A931798D6C9011CFA840</handshake>\
         <handshake> ba33290100f616a33656a931798d6c9011cfa840</handshake>",
    );
    let verdicts: Vec<_> = found
        .iter()
        .map(|e| match Handshake::from_element(e.root()) {
            Ok(Handshake(Some(digest))) => handshake_matches(&digest, "3BF96D32", "s3cr3t"),
            other => panic!("{other:?}"),
        })
        .collect();
    // XEP-0114 §3: the digest is lowercase hex, exactly.
    assert_eq!(verdicts, [true, false, false]);
}

#[test]
fn handshake_outside_component_namespaces_is_not_one() {
    let client = element("<handshake xmlns='jabber:client'/>");
    assert_eq!(Nonza::from_element(client.root()), None);
    assert!(matches!(
        Handshake::from_element(client.root()),
        Err(ElementError::Unexpected { .. })
    ));
    // A stanza on a component stream is no handshake.
    let found = elements_after(
        COMPONENT_HEADER,
        "<message to='a@b' from='c@plays.shakespeare.lit'/>",
    );
    assert_eq!(Nonza::from_element(found[0].root()), None);
}
