//! The stanza examples of RFC 6120 §8 and RFC 6121 §4–5, read, checked
//! field by field, written and read again.
// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{assert_round_trip, element};
use stanzio_stanza::{
    Condition, ErrorType, IqPayload, MessageType, NS_STANZAS, PresenceType, Show, Stanza,
    StreamCondition, StreamError,
};
use stanzio_xml::{ContentNamespace, NS_STREAM};

fn round_trip(xml: &str) -> Stanza {
    assert_round_trip(
        &element(ContentNamespace::Client, xml),
        ContentNamespace::Client,
        None,
    )
}

#[test]
fn rfc6121_5_2_3_bodies_in_two_languages() {
    let Stanza::Message(m) = round_trip(
        "<message from='juliet@example.com/balcony' id='z94nb37h' to='romeo@example.net' \
         type='chat' xml:lang='en'><body>Wherefore art thou, Romeo?</body>\
         <body xml:lang='de'>Wo bist du, Romeo?</body></message>",
    ) else {
        panic!("a message")
    };
    assert_eq!(m.type_, MessageType::Chat);
    assert_eq!(m.id.as_deref(), Some("z94nb37h"));
    assert_eq!(m.from.unwrap().as_str(), "juliet@example.com/balcony");
    assert_eq!(m.lang.as_deref(), Some("en"));
    assert_eq!(m.bodies.get(None), Some("Wherefore art thou, Romeo?"));
    assert_eq!(m.bodies.get(Some("de")), Some("Wo bist du, Romeo?"));
}

#[test]
fn rfc6121_5_2_4_subjects_and_5_2_5_thread_with_parent() {
    let Stanza::Message(m) = round_trip(
        "<message from='juliet@example.com/balcony' id='c8xg3nf8' to='romeo@example.net' \
         type='chat' xml:lang='en'><subject>I implore you!</subject>\
         <subject xml:lang='cs'>Úpěnlivě prosim!</subject>\
         <body>Wherefore art thou, Romeo?</body>\
         <thread parent='e0ffe42b28561960c6b12b944a092794b9683a38'>\
         0e3141cd80894871a68e6fe6b1ec56fa</thread></message>",
    ) else {
        panic!("a message")
    };
    assert_eq!(m.subject(), Some("I implore you!"));
    assert_eq!(m.subjects.get(Some("cs")), Some("Úpěnlivě prosim!"));
    let thread = m.thread.unwrap();
    assert_eq!(thread.id, "0e3141cd80894871a68e6fe6b1ec56fa");
    assert_eq!(
        thread.parent.as_deref(),
        Some("e0ffe42b28561960c6b12b944a092794b9683a38")
    );
}

#[test]
fn rfc6121_5_2_2_message_types() {
    for (type_, expected) in [
        ("chat", MessageType::Chat),
        ("groupchat", MessageType::Groupchat),
        ("headline", MessageType::Headline),
        ("normal", MessageType::Normal),
    ] {
        let xml =
            format!("<message to='romeo@example.net' type='{type_}'><body>x</body></message>");
        let Ok(Stanza::Message(m)) = common::parse(&xml) else {
            panic!("{xml}")
        };
        assert_eq!(m.type_, expected);
    }
    // §5.2.2: an unknown type is treated as normal, and normal needs no
    // attribute when written.
    let Ok(Stanza::Message(m)) = common::parse("<message type='chatty'><body>x</body></message>")
    else {
        panic!("unknown type is normal")
    };
    assert_eq!(m.type_, MessageType::Normal);
    assert_eq!(
        common::write(&Stanza::Message(m), ContentNamespace::Client),
        b"<message><body>x</body></message>"
    );
}

#[test]
fn rfc6121_4_7_2_show_status_priority() {
    let Stanza::Presence(p) = round_trip(
        "<presence from='romeo@example.net/orchard' xml:lang='en'><show>dnd</show>\
         <status>Wooing Juliet</status><status xml:lang='cs'>Dvořím se Julii</status>\
         <priority>1</priority></presence>",
    ) else {
        panic!("a presence")
    };
    assert_eq!(p.type_, PresenceType::Available);
    assert_eq!(p.show, Some(Show::Dnd));
    assert_eq!(p.status(), Some("Wooing Juliet"));
    assert_eq!(p.statuses.get(Some("cs")), Some("Dvořím se Julii"));
    assert_eq!(p.priority, 1);
}

#[test]
fn rfc6121_presence_types() {
    for (xml, expected) in [
        // §4.2.1 initial presence
        ("<presence/>", PresenceType::Available),
        // §3.1.1 subscription request
        (
            "<presence id='xk3h1v69' to='juliet@example.com' type='subscribe'/>",
            PresenceType::Subscribe,
        ),
        // §3.1.5 approval
        (
            "<presence id='h4v1c4kj' to='romeo@example.net' type='subscribed'/>",
            PresenceType::Subscribed,
        ),
        // §3.2.1 cancellation, §3.3.1 unsubscribing
        (
            "<presence id='ij5b1v7g' to='romeo@example.net' type='unsubscribed'/>",
            PresenceType::Unsubscribed,
        ),
        (
            "<presence id='ul4bs71n' to='juliet@example.com' type='unsubscribe'/>",
            PresenceType::Unsubscribe,
        ),
        // §4.3.1 probe
        (
            "<presence from='juliet@example.com' id='ign291v5' to='romeo@example.net' type='probe'/>",
            PresenceType::Probe,
        ),
        // §4.5.1 unavailable with status
        (
            "<presence type='unavailable'><status>gone home</status></presence>",
            PresenceType::Unavailable,
        ),
    ] {
        let Stanza::Presence(p) = round_trip(xml) else {
            panic!("{xml}")
        };
        assert_eq!(p.type_, expected, "{xml}");
    }
}

#[test]
fn rfc6120_8_2_3_iq_get_and_result() {
    let Stanza::Iq(get) = round_trip(
        "<iq from='juliet@example.com/balcony' id='b4vs9km4' to='romeo@example.net' type='get'>\
         <query xmlns='jabber:iq:roster'/></iq>",
    ) else {
        panic!("an iq")
    };
    let IqPayload::Get(query) = &get.payload else {
        panic!("a get")
    };
    assert!(query.is("query", "jabber:iq:roster"));

    let Stanza::Iq(result) = round_trip(
        "<iq from='romeo@example.net' id='b4vs9km4' to='juliet@example.com/balcony' type='result'>\
         <query xmlns='jabber:iq:roster'><item jid='nurse@example.com'/></query></iq>",
    ) else {
        panic!("an iq")
    };
    assert_eq!(result.id, get.id);
    let IqPayload::Result(Some(query)) = &result.payload else {
        panic!("a result with a payload")
    };
    assert_eq!(
        query.root().children().next().unwrap().attr("jid"),
        Some("nurse@example.com")
    );

    // §8.2.3: an empty result is fine.
    let Stanza::Iq(empty) = round_trip("<iq id='b4vs9km4' type='result'/>") else {
        panic!("an iq")
    };
    assert_eq!(empty.payload, IqPayload::Result(None));
}

#[test]
fn rfc6120_8_3_2_error_with_text_and_original_payload() {
    let Stanza::Iq(iq) = round_trip(
        "<iq from='im.example.com' id='rg1' to='juliet@im.example.com/balcony' type='error'>\
         <query xmlns='jabber:iq:roster'/>\
         <error type='cancel' by='im.example.com'>\
         <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
         <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>Roster down</text>\
         </error></iq>",
    ) else {
        panic!("an iq")
    };
    let IqPayload::Error { error, request } = iq.payload else {
        panic!("an error")
    };
    assert_eq!(error.type_, ErrorType::Cancel);
    assert_eq!(error.condition, Condition::ServiceUnavailable);
    assert_eq!(error.by.unwrap().as_str(), "im.example.com");
    assert_eq!(error.texts.get(Some("en")), Some("Roster down"));
    assert!(request.unwrap().is("query", "jabber:iq:roster"));
}

#[test]
fn rfc6120_8_3_3_conditions_with_data_and_application_specific() {
    let Stanza::Message(m) = round_trip(
        "<message from='romeo@example.net' id='msg1' type='error'><error type='cancel'>\
         <gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:romeo@afterlife.example.net</gone>\
         </error></message>",
    ) else {
        panic!("a message")
    };
    assert_eq!(
        m.error.unwrap().condition,
        Condition::Gone(Some("xmpp:romeo@afterlife.example.net".into()))
    );

    let Stanza::Presence(p) = round_trip(
        "<presence type='error'><error type='modify'>\
         <redirect xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:rr@example.net</redirect>\
         </error></presence>",
    ) else {
        panic!("a presence")
    };
    assert_eq!(
        p.error.unwrap().condition,
        Condition::Redirect(Some("xmpp:rr@example.net".into()))
    );

    // §8.3.4: an application-specific condition beside the defined one.
    let Stanza::Iq(iq) = round_trip(
        "<iq id='ps1' type='error'><error type='modify'>\
         <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
         <too-many-subscriptions xmlns='http://jabber.org/protocol/pubsub#errors'/>\
         </error></iq>",
    ) else {
        panic!("an iq")
    };
    let IqPayload::Error { error, .. } = iq.payload else {
        panic!("an error")
    };
    assert_eq!(error.condition, Condition::BadRequest);
    assert!(error.app.unwrap().is(
        "too-many-subscriptions",
        "http://jabber.org/protocol/pubsub#errors"
    ));

    // A condition a server invents is kept by name.
    let Stanza::Message(m) = round_trip(
        "<message type='error'><error type='auth'>\
         <payment-required xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    ) else {
        panic!("a message")
    };
    assert_eq!(
        m.error.unwrap().condition,
        Condition::Other("payment-required".into())
    );
}

#[test]
fn unknown_payloads_survive_unchanged() {
    let Stanza::Message(m) = round_trip(
        "<message to='romeo@example.net' type='chat'><body>hi</body>\
         <active xmlns='http://jabber.org/protocol/chatstates'/>\
         <x xmlns='urn:example' xmlns:e='urn:example:attr' e:flag='1' a='&lt;&amp;'>\
         text <b>bold</b> tail<body>not the message body</body></x>\
         <error xmlns='urn:example:error'/></message>",
    ) else {
        panic!("a message")
    };
    assert_eq!(m.payloads.len(), 3);
    let x = m.payload("x", "urn:example").unwrap();
    assert_eq!(x.attr_ns("urn:example:attr", "flag"), Some("1"));
    assert_eq!(x.attr("a"), Some("<&"));
    // One call to a minidom tree for xmpp-parsers, and back without loss.
    let tree = x.to_minidom();
    assert_eq!(tree.attr("a"), Some("<&"));
    assert_eq!(stanzio_xml::Element::from(&tree).root(), x);
}

#[test]
fn server_and_component_namespaces() {
    for ns in [ContentNamespace::Server, ContentNamespace::ComponentAccept] {
        let e = element(
            ns,
            "<message from='romeo@example.net/orchard' to='juliet@example.com' type='chat'>\
             <body>Neither, fair saint</body><thread>t1</thread></message>",
        );
        let Stanza::Message(m) = assert_round_trip(&e, ns, None) else {
            panic!("a message")
        };
        assert_eq!(m.body(), Some("Neither, fair saint"));
        assert_eq!(m.thread.unwrap().id, "t1");
    }
}

#[test]
fn rfc6120_4_9_stream_errors() {
    let stream = format!(
        "{}<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>\
         [2001:41D0:1:A49b::1]:9222</see-other-host></stream:error>\
         <stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
         <text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>Some special \
         application diagnostic information!</text><escape-your-data xmlns='http://example.org/ns'/>\
         </stream:error>",
        common::header(ContentNamespace::Client, None)
    );
    let (_, elements) = common::read_elements(stream.as_bytes());
    let errors: Vec<StreamError> = elements
        .iter()
        .map(|e| StreamError::from_element(e.root(), &common::client()).unwrap())
        .collect();
    assert_eq!(
        errors[0].condition,
        StreamCondition::SeeOtherHost("[2001:41D0:1:A49b::1]:9222".into())
    );
    assert_eq!(errors[1].condition, StreamCondition::NotWellFormed);
    assert!(
        errors[1]
            .texts
            .get(Some("en"))
            .unwrap()
            .starts_with("Some special")
    );
    assert!(
        errors[1]
            .app
            .as_ref()
            .unwrap()
            .is("escape-your-data", "http://example.org/ns")
    );

    for (error, element) in errors.iter().zip(&elements) {
        let mut out = Vec::new();
        let mut w = stanzio_xml::StreamWriter::new(ContentNamespace::Client).element(&mut out);
        error.write_to(&mut w);
        w.finish().unwrap();
        assert!(out.starts_with(b"<stream:error>"));
        let mut again = common::header(ContentNamespace::Client, None).into_bytes();
        again.extend_from_slice(&out);
        let (_, read) = common::read_elements(&again);
        assert!(read[0].is("error", NS_STREAM));
        assert_eq!(&read[0], element);
        assert_eq!(
            &StreamError::from_element(read[0].root(), &common::client()).unwrap(),
            error
        );
    }
}

#[test]
fn error_stanza_writes_conditions_in_the_stanzas_namespace() {
    let m = stanzio_stanza::Message::chat("romeo@example.net".parse().unwrap(), "hi")
        .with_id("a1")
        .with_from("juliet@example.com/balcony".parse().unwrap());
    let reply = m
        .error_reply(
            stanzio_stanza::StanzaError::new(Condition::RecipientUnavailable),
            &common::client(),
        )
        .unwrap();
    let out = common::write(&Stanza::Message(reply), ContentNamespace::Client);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(
            "<message from='romeo@example.net' to='juliet@example.com/balcony' id='a1' \
             type='error'><error type='wait'><recipient-unavailable xmlns='{NS_STANZAS}'/>\
             </error></message>"
        )
    );
}

/// RFC 6120 §4.7.4: `xml:lang` on `<error/>` is the language of every
/// `<text/>` inside without one of its own. Written back without it, the
/// text below would take the message's `en` and collide with the other.
#[test]
fn rfc6120_8_3_2_error_lang_is_kept() {
    let Stanza::Message(m) = round_trip(&format!(
        "<message type='error' xml:lang='en'><error type='cancel' xml:lang='de'>\
         <item-not-found xmlns='{NS_STANZAS}'/><text xmlns='{NS_STANZAS}'>Nicht gefunden</text>\
         <text xmlns='{NS_STANZAS}' xml:lang='en'>Not found</text></error></message>"
    )) else {
        panic!("a message")
    };
    assert_eq!(m.error.unwrap().lang.as_deref(), Some("de"));
}

/// The same for `<stream:error/>` (RFC 6120 §4.9.2, §4.7.4).
#[test]
fn rfc6120_4_9_2_stream_error_lang_is_kept() {
    let stream = format!(
        "{}<stream:error xml:lang='de'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
         <text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Ersetzt</text></stream:error>",
        common::header(ContentNamespace::Client, Some("en"))
    );
    let (_, elements) = common::read_elements(stream.as_bytes());
    let ctx = common::context(ContentNamespace::Client, Some("en"));
    let error = StreamError::from_element(elements[0].root(), &ctx).unwrap();
    assert_eq!(error.lang.as_deref(), Some("de"));
    let mut out = Vec::new();
    let mut w = stanzio_xml::StreamWriter::new(ContentNamespace::Client).element(&mut out);
    error.write_to(&mut w);
    w.finish().unwrap();
    let mut again = common::header(ContentNamespace::Client, Some("en")).into_bytes();
    again.extend_from_slice(&out);
    let (_, read) = common::read_elements(&again);
    assert_eq!(&read[0], &elements[0]);
}

/// Servers route addresses with characters Unicode assigned after 6.3,
/// the version of the registered PRECIS tables (an emoji in a MUC
/// nickname): received `from`, `to` and `by` are read with
/// `Jid::from_received`, so such a stanza types instead of failing.
#[test]
fn received_addresses_may_hold_characters_newer_than_unicode_6_3() {
    // U+1F97A FACE WITH PLEADING EYES is from Unicode 11.
    let occupant = "room@muc.example/\u{1f97a}";
    let Stanza::Presence(p) = round_trip(&format!(
        "<presence from='{occupant}' to='juliet@example.com/balcony'/>"
    )) else {
        panic!("a presence")
    };
    assert_eq!(p.from.unwrap().resource(), Some("\u{1f97a}"));

    let Stanza::Message(m) = round_trip(&format!(
        "<message type='error' to='{occupant}'><error type='cancel' by='{occupant}'>\
         <item-not-found xmlns='{NS_STANZAS}'/></error></message>"
    )) else {
        panic!("a message")
    };
    assert_eq!(m.to.unwrap().as_str(), occupant);
    assert_eq!(m.error.unwrap().by.unwrap().as_str(), occupant);

    // A stanza that fails for another reason is still answered there.
    let error = common::parse(&format!(
        "<message from='{occupant}'><thread>a</thread><thread>b</thread></message>"
    ))
    .unwrap_err();
    assert_eq!(
        error.error_reply().unwrap().to_jid().unwrap().as_str(),
        occupant
    );
}
