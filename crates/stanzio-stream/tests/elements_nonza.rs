//! `Nonza::from_element`, the one call a connection makes on each
//! top-level element: negotiation and stream-management elements are
//! read, everything else is left for the stanza layer.
// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod elements_support;

use elements_support::{elements, elements_after, written};
use stanzio_stanza::StreamCondition;
use stanzio_stream::elements::features::StreamFeatures;
use stanzio_stream::elements::sasl::SaslElement;
use stanzio_stream::elements::sm::SmElement;
use stanzio_stream::elements::tls::TlsElement;
use stanzio_stream::elements::{ElementError, Nonza};

#[test]
fn stanzas_and_stream_errors_are_left_alone() {
    let found = elements(
        "<message to='juliet@example.com'><body>hi</body></message>\
         <presence/><iq id='1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>\
         <stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>\
         <x xmlns='urn:example:unknown'/>",
    );
    for element in &found {
        assert_eq!(Nonza::from_element(element.root()), None, "{element:?}");
    }
}

#[test]
fn each_family_is_recognised() {
    let found = elements(
        "<stream:features/>\
         <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\
         <abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>\
         <r xmlns='urn:xmpp:sm:3'/>",
    );
    let read: Vec<_> = found
        .iter()
        .map(|e| Nonza::from_element(e.root()))
        .collect();
    assert_eq!(
        read,
        [
            Some(Ok(Nonza::Features(StreamFeatures::default()))),
            Some(Ok(Nonza::Tls(TlsElement::Proceed))),
            Some(Ok(Nonza::Sasl(SaslElement::Abort))),
            Some(Ok(Nonza::Sm(SmElement::Request))),
        ]
    );
}

#[test]
fn unknown_names_in_negotiation_namespaces_are_errors() {
    // They cannot be stanzas, so they are not passed on as possible ones.
    for xml in [
        "<required xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        "<mechanism xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>PLAIN</mechanism>",
        "<enable-please xmlns='urn:xmpp:sm:3'/>",
    ] {
        let result = Nonza::from_element(elements(xml)[0].root());
        let Some(Err(error)) = result else {
            panic!("{xml}: {result:?}");
        };
        assert!(matches!(error, ElementError::Unexpected { .. }), "{xml}");
        assert_eq!(
            error.stream_condition(),
            StreamCondition::UnsupportedStanzaType
        );
    }
    // Only `features` is a nonza in the stream namespace; the stream layer
    // answers other names (stream errors included).
    assert_eq!(
        Nonza::from_element(elements("<stream:bogus/>")[0].root()),
        None
    );
}

#[test]
fn malformed_nonzas_are_errors() {
    let found = elements(
        "<a xmlns='urn:xmpp:sm:3'/>\
         <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>!!</auth>",
    );
    assert_eq!(
        Nonza::from_element(found[0].root()),
        Some(Err(ElementError::MissingAttribute {
            element: "a",
            attribute: "h",
        }))
    );
    assert_eq!(
        Nonza::from_element(found[1].root()),
        Some(Err(ElementError::InvalidBase64 { element: "auth" }))
    );
}

#[test]
fn nonzas_on_a_server_to_server_stream() {
    // The negotiation namespaces do not depend on the content namespace.
    let header = "<stream:stream xmlns='jabber:server' \
        xmlns:stream='http://etherx.jabber.org/streams' to='example.net' version='1.0'>";
    let found = elements_after(
        header,
        "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><a xmlns='urn:xmpp:sm:3' h='2'/>",
    );
    assert_eq!(
        Nonza::from_element(found[0].root()),
        Some(Ok(Nonza::Tls(TlsElement::StartTls)))
    );
    assert_eq!(
        Nonza::from_element(found[1].root()),
        Some(Ok(Nonza::Sm(SmElement::Ack { h: 2 })))
    );
}

#[test]
fn write_to_writes_the_variant() {
    let nonzas = [
        Nonza::from(StreamFeatures::default()),
        Nonza::from(TlsElement::StartTls),
        Nonza::from(SaslElement::Success(None)),
        Nonza::from(SmElement::Ack { h: 1 }),
    ];
    let wire: String = nonzas.iter().map(|n| written(|w| n.write_to(w))).collect();
    assert_eq!(
        wire,
        "<stream:features/><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\
         <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><a xmlns='urn:xmpp:sm:3' h='1'/>"
    );
    let read: Vec<_> = elements(&wire)
        .iter()
        .map(|e| Nonza::from_element(e.root()).unwrap().unwrap())
        .collect();
    assert_eq!(read, nonzas);
}
