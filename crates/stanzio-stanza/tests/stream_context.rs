//! A stanza means something only on its stream (RFC 6120 §4.8.2, §4.7.4,
//! §8.1.2.1): parsing refuses stanzas of another content namespace,
//! applies the stream's `xml:lang`, and replies go to the sender the
//! server verified, never to a `from` the client wrote.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{context, element};
use stanzio_stanza::{
    Condition, Iq, IqPayload, Malformed, Stanza, StanzaError, StanzaParseError, StreamCondition,
    StreamContext, StreamError,
};
use stanzio_xml::{ContentNamespace, Element};

/// `xml`, a stanza in namespace `written_in`, read on a stream whose
/// content namespace is `stream`.
fn parse_on(
    stream: ContentNamespace,
    written_in: &str,
    xml: &str,
) -> Result<Stanza, StanzaParseError> {
    let wrapped = format!("<wrapper xmlns='{written_in}'>{xml}</wrapper>");
    let outer = element(stream, &wrapped);
    let stanza = outer.root().children().next().unwrap().to_owned();
    Stanza::from_element(stanza.root(), &context(stream, None))
}

#[test]
fn a_stanza_of_another_content_namespace_is_an_invalid_namespace() {
    for (stream, foreign) in [
        (ContentNamespace::Client, "jabber:server"),
        (ContentNamespace::Client, "jabber:component:accept"),
        (ContentNamespace::Server, "jabber:client"),
        (ContentNamespace::ComponentAccept, "jabber:client"),
    ] {
        for xml in [
            "<message from='a@example.net/x' to='b@example.com'><body>hi</body></message>",
            "<presence/>",
            "<iq id='1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
        ] {
            let error = parse_on(stream, foreign, xml).expect_err(xml);
            assert!(
                matches!(
                    error,
                    StanzaParseError::WrongNamespace { found, expected, .. }
                        if found.as_str() == foreign && expected == stream
                ),
                "{xml} in {foreign}: {error}"
            );
            assert_eq!(
                error.stream_error().map(|e| e.condition),
                Some(StreamCondition::InvalidNamespace)
            );
            assert_eq!(error.error_reply(), None);
        }
        // The stream's own namespace is fine.
        assert!(parse_on(stream, stream.as_str(), "<presence/>").is_ok());
    }
}

#[test]
fn a_stanza_without_lang_has_the_streams() {
    let ctx = context(ContentNamespace::Client, Some("de"));
    let e = element(
        ContentNamespace::Client,
        "<message><body>Hallo</body></message>",
    );
    let Stanza::Message(m) = Stanza::from_element(e.root(), &ctx).unwrap() else {
        panic!("a message")
    };
    assert_eq!(m.lang.as_deref(), Some("de"));
    let e = element(ContentNamespace::Client, "<presence xml:lang='fr'/>");
    let Stanza::Presence(p) = Stanza::from_element(e.root(), &ctx).unwrap() else {
        panic!("a presence")
    };
    assert_eq!(p.lang.as_deref(), Some("fr"));
    let e = element(
        ContentNamespace::Client,
        "<iq id='1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    let Stanza::Iq(iq) = Stanza::from_element(e.root(), &ctx).unwrap() else {
        panic!("an iq")
    };
    assert_eq!(iq.lang.as_deref(), Some("de"));
}

/// A text without `xml:lang` in a stream error has the stream's language,
/// as in a stanza: in an English stream, it collides with an English one.
#[test]
fn a_stream_error_without_lang_has_the_streams() {
    let xml = "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
               <text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Replaced</text>\
               <text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>Replaced</text>\
               </stream:error>";
    let stream = format!(
        "{}{xml}",
        common::header(ContentNamespace::Client, Some("en"))
    );
    let (_, elements) = common::read_elements(stream.as_bytes());
    let english = context(ContentNamespace::Client, Some("en"));
    assert_eq!(
        StreamError::from_element(elements[0].root(), &english),
        Err(Malformed::DuplicateLang {
            element: "stream error text",
            lang: Some("en".into())
        })
    );
    let german = context(ContentNamespace::Client, Some("de"));
    let error = StreamError::from_element(elements[0].root(), &german).unwrap();
    assert_eq!(error.lang.as_deref(), Some("de"));
}

/// On a server's client stream, a client can write any `from`; a bounce
/// addressed to it would go to whoever the client named.
#[test]
fn replies_go_to_the_verified_sender_not_the_claimed_from() {
    let bound = "juliet@example.com/balcony";
    let ctx = StreamContext::new(ContentNamespace::Client).with_sender(bound.parse().unwrap());
    let victim = "victim@example.net/home";
    let error = || StanzaError::new(Condition::ServiceUnavailable);

    // A stanza that does not parse.
    let e = element(
        ContentNamespace::Client,
        &format!("<message from='{victim}' id='m1'><thread>a</thread><thread>b</thread></message>"),
    );
    let failed = Stanza::from_element(e.root(), &ctx).unwrap_err();
    let reply = failed.error_reply().unwrap();
    assert_eq!(reply.to_jid().unwrap().as_str(), bound);

    // Stanzas that do, of each kind.
    for xml in [
        format!("<message from='{victim}' to='romeo@example.net' id='m2'/>"),
        format!("<presence from='{victim}' to='romeo@example.net' id='p1'/>"),
        format!(
            "<iq from='{victim}' to='romeo@example.net' id='q1' type='get'>\
             <ping xmlns='urn:xmpp:ping'/></iq>"
        ),
    ] {
        let e = element(ContentNamespace::Client, &xml);
        let stanza = Stanza::from_element(e.root(), &ctx).unwrap();
        let reply = stanza.error_reply(error(), &ctx).unwrap();
        assert_eq!(reply.to_jid().unwrap().as_str(), bound, "{xml}");
        assert_eq!(reply.from_jid().unwrap().as_str(), "romeo@example.net");
        if let Stanza::Iq(iq) = &stanza {
            let result = iq.result_reply(None, &ctx).unwrap();
            assert_eq!(result.to.unwrap().as_str(), bound);
        }
    }
}

/// Without a verified sender (a client's own stream, where the server
/// stamped `from`), the reply goes back to `from`.
#[test]
fn without_a_verified_sender_replies_go_back_to_from() {
    let ctx = common::client();
    let ping = Element::builder("ping", "urn:xmpp:ping").build().unwrap();
    let request = Iq::get("q1", ping)
        .with_from("capulet.lit".parse().unwrap())
        .with_to("juliet@capulet.lit/balcony".parse().unwrap());
    let result = request.result_reply(None, &ctx).unwrap();
    assert_eq!(result.to.unwrap().as_str(), "capulet.lit");
    assert_eq!(result.from.unwrap().as_str(), "juliet@capulet.lit/balcony");
    let refusal = request
        .error_reply(StanzaError::new(Condition::FeatureNotImplemented), &ctx)
        .unwrap();
    assert_eq!(refusal.to.unwrap().as_str(), "capulet.lit");
    assert!(matches!(refusal.payload, IqPayload::Error { .. }));
}
