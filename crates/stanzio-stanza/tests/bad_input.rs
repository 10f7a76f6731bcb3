//! Malformed stanzas are typed errors that say what and where, and carry
//! what the stream layer needs to answer them.
// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::parse;
use stanzio_stanza::{
    Condition, IqPayload, Malformed, MessageType, PresenceType, Stanza, StanzaParseError,
    StreamCondition,
};
use stanzio_xml::ContentNamespace;

/// The parse error of `xml`, which must be an invalid stanza.
fn invalid(xml: &str) -> (StanzaParseError, Malformed) {
    let error = parse(xml).expect_err(xml);
    let StanzaParseError::Invalid(invalid) = &error else {
        panic!("{xml}: {error}")
    };
    let reason = invalid.reason.clone();
    (error, reason)
}

#[test]
fn bad_jid_in_from_is_jid_malformed_and_answered_to_the_stream() {
    let (error, reason) = invalid(
        "<message from='juliet@@example.com' to='romeo@example.net' id='m1'><body>x</body></message>",
    );
    assert!(
        matches!(
            reason,
            Malformed::Jid {
                attribute: "from",
                ..
            }
        ),
        "{reason}"
    );
    assert_eq!(error.condition(), Some(Condition::JidMalformed));
    assert!(error.to_string().contains("juliet@@example.com"), "{error}");
    let Some(Stanza::Message(reply)) = error.error_reply() else {
        panic!("a message error")
    };
    assert_eq!(reply.type_, MessageType::Error);
    assert_eq!(reply.id.as_deref(), Some("m1"));
    // The sender's address did not parse; the reply goes back on the stream.
    assert_eq!(reply.to, None);
    assert_eq!(reply.from.unwrap().as_str(), "romeo@example.net");
    assert_eq!(reply.error.unwrap().condition, Condition::JidMalformed);
}

#[test]
fn bad_jid_in_to_and_in_error_by() {
    let (_, reason) = invalid("<presence to='a@b@c'/>");
    assert!(matches!(
        reason,
        Malformed::Jid {
            attribute: "to",
            ..
        }
    ));
    let (error, reason) = invalid(
        "<iq id='1' type='error'><error type='cancel' by='@x'>\
         <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    );
    assert!(matches!(
        reason,
        Malformed::Jid {
            attribute: "by",
            ..
        }
    ));
    // RFC 6120 §8.3.1: an error is never answered with an error.
    assert_eq!(error.error_reply(), None);
}

#[test]
fn two_bodies_with_the_same_language() {
    let (error, reason) = invalid(
        "<message id='m2' from='juliet@example.com/balcony'><body xml:lang='en'>a</body>\
         <body xml:lang='en'>b</body></message>",
    );
    assert_eq!(
        reason,
        Malformed::DuplicateLang {
            element: "body",
            lang: Some("en".into())
        }
    );
    assert_eq!(error.condition(), Some(Condition::BadRequest));
    let Some(Stanza::Message(reply)) = error.error_reply() else {
        panic!("a message error")
    };
    assert_eq!(reply.to.unwrap().as_str(), "juliet@example.com/balcony");
    let text = reply
        .error
        .unwrap()
        .texts
        .get(Some("en"))
        .unwrap()
        .to_owned();
    assert!(text.contains("body"), "{text}");
}

#[test]
fn a_body_without_lang_has_the_stanzas_or_the_streams() {
    // RFC 6120 §4.7.4 / RFC 6121 §5.2.3: the unlabelled body is in the
    // stanza's language, so these two are both English.
    let (_, reason) =
        invalid("<message xml:lang='en'><body>a</body><body xml:lang='en'>b</body></message>");
    assert!(matches!(reason, Malformed::DuplicateLang { .. }));

    let xml = "<message><body>a</body><body xml:lang='en'>b</body></message>";
    let e = common::element(ContentNamespace::Client, xml);
    let in_stream =
        |lang| Stanza::from_element(e.root(), &common::context(ContentNamespace::Client, lang));
    assert!(in_stream(None).is_ok());
    assert!(in_stream(Some("de")).is_ok());
    assert!(matches!(
        in_stream(Some("en")),
        Err(StanzaParseError::Invalid(i)) if matches!(i.reason, Malformed::DuplicateLang { .. })
    ));

    let (_, reason) = invalid("<presence><status>a</status><status>b</status></presence>");
    assert_eq!(
        reason,
        Malformed::DuplicateLang {
            element: "status",
            lang: None
        }
    );
}

#[test]
fn iq_get_and_set_need_exactly_one_payload() {
    let (error, reason) = invalid("<iq id='q1' type='get' from='juliet@example.com/balcony'/>");
    assert_eq!(
        reason,
        Malformed::IqPayloadCount {
            type_: "get",
            expected: "exactly one",
            found: 0
        }
    );
    let Some(Stanza::Iq(reply)) = error.error_reply() else {
        panic!("an iq error")
    };
    assert_eq!(reply.id, "q1");
    let IqPayload::Error { error, .. } = reply.payload else {
        panic!("an error")
    };
    assert_eq!(error.condition, Condition::BadRequest);

    let (_, reason) =
        invalid("<iq id='q2' type='set'><a xmlns='urn:a'/><b xmlns='urn:b'/><c/></iq>");
    assert_eq!(
        reason,
        Malformed::IqPayloadCount {
            type_: "set",
            expected: "exactly one",
            found: 3
        }
    );
}

#[test]
fn iq_responses_are_not_answered() {
    let (error, reason) =
        invalid("<iq id='r1' type='result'><a xmlns='urn:a'/><b xmlns='urn:b'/></iq>");
    assert!(matches!(
        reason,
        Malformed::IqPayloadCount {
            type_: "result",
            found: 2,
            ..
        }
    ));
    // RFC 6120 §8.2.3: a response is not answered.
    assert_eq!(error.error_reply(), None);
    for xml in ["<iq type='result'/>", "<iq type='error'/>"] {
        let (error, _) = invalid(xml);
        assert_eq!(error.error_reply(), None, "{xml}");
    }

    let (_, reason) = invalid("<iq id='e1' type='error'/>");
    assert_eq!(reason, Malformed::Missing { element: "error" });
}

/// RFC 6120 §8.2.3: a get or set is always answered, and the answer to one
/// without `id` carries an empty one; left unanswered, the sender would
/// wait for ever.
#[test]
fn an_iq_request_without_id_is_answered_with_an_empty_id() {
    let (error, reason) = invalid(
        "<iq type='get' from='juliet@example.com/balcony'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    assert_eq!(
        reason,
        Malformed::MissingAttribute {
            element: "iq",
            attribute: "id"
        }
    );
    let Some(Stanza::Iq(reply)) = error.error_reply() else {
        panic!("a request is answered")
    };
    assert_eq!(reply.id, "");
    assert_eq!(
        reply.to.as_ref().unwrap().as_str(),
        "juliet@example.com/balcony"
    );
    let IqPayload::Error { error, .. } = &reply.payload else {
        panic!("an error")
    };
    assert_eq!(error.condition, Condition::BadRequest);
    let written =
        String::from_utf8(common::write(&Stanza::Iq(reply), ContentNamespace::Client)).unwrap();
    assert!(
        written.starts_with("<iq to='juliet@example.com/balcony' id='' type='error'>"),
        "{written}"
    );
}

#[test]
fn unknown_iq_type_is_answered_with_bad_request() {
    let (error, reason) = invalid("<iq id='t1' type='fetch'><a xmlns='urn:a'/></iq>");
    assert_eq!(
        reason,
        Malformed::UnknownType {
            element: "iq",
            value: "fetch".into()
        }
    );
    let StanzaParseError::Invalid(stanza) = &error else {
        panic!("an invalid stanza")
    };
    assert_eq!(stanza.type_.as_deref(), Some("fetch"));
    assert_eq!(stanza.id.as_deref(), Some("t1"));
    assert!(matches!(error.error_reply(), Some(Stanza::Iq(_))));

    let (_, reason) = invalid("<iq id='t2'><a xmlns='urn:a'/></iq>");
    assert_eq!(
        reason,
        Malformed::MissingAttribute {
            element: "iq",
            attribute: "type"
        }
    );
}

#[test]
fn priority_show_and_presence_type() {
    for bad in ["128", "-129", "high", ""] {
        let (_, reason) = invalid(&format!("<presence><priority>{bad}</priority></presence>"));
        assert_eq!(
            reason,
            Malformed::InvalidValue {
                element: "priority",
                value: bad.into()
            }
        );
    }
    for (text, value) in [(" 5 ", 5), ("-128", -128), ("127", 127), ("+3", 3)] {
        let Ok(Stanza::Presence(p)) =
            parse(&format!("<presence><priority>{text}</priority></presence>"))
        else {
            panic!("{text} is a valid priority")
        };
        assert_eq!(p.priority, value);
    }
    let (_, reason) = invalid("<presence><priority>1</priority><priority>2</priority></presence>");
    assert_eq!(
        reason,
        Malformed::Duplicate {
            element: "priority"
        }
    );
    let (_, reason) = invalid("<presence><show>busy</show></presence>");
    assert!(matches!(
        reason,
        Malformed::InvalidValue {
            element: "show",
            ..
        }
    ));
    let (_, reason) = invalid("<presence><show>away</show><show>xa</show></presence>");
    assert_eq!(reason, Malformed::Duplicate { element: "show" });
    let (error, reason) = invalid("<presence id='p1' type='available'/>");
    assert!(matches!(
        reason,
        Malformed::UnknownType {
            element: "presence",
            ..
        }
    ));
    let Some(Stanza::Presence(reply)) = error.error_reply() else {
        panic!("a presence error")
    };
    assert_eq!(reply.type_, PresenceType::Error);
}

#[test]
fn error_stanzas_without_a_valid_error_are_never_answered() {
    for xml in [
        "<message type='error' id='e'/>",
        "<presence type='error'><error type='cancel'/></presence>",
        "<message type='error'><error><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
        "<message type='error'><error type='fatal'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
        "<message type='error'><error type='cancel'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
         <conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
        "<message type='error'><error type='cancel'/><error type='cancel'/></message>",
    ] {
        let (error, _) = invalid(xml);
        assert_eq!(error.error_reply(), None, "{xml}");
    }
}

#[test]
fn text_elements_hold_no_child_elements_and_thread_is_single() {
    let (_, reason) = invalid("<message><body>a <b>bold</b></body></message>");
    assert_eq!(reason, Malformed::ChildElements { element: "body" });
    let (_, reason) = invalid("<message><thread>a</thread><thread>b</thread></message>");
    assert_eq!(reason, Malformed::Duplicate { element: "thread" });
}

#[test]
fn unknown_top_level_element_is_unsupported_stanza_type() {
    for xml in [
        "<foo/>",
        "<message xmlns='urn:not-a-content-namespace'/>",
        "<r xmlns='urn:xmpp:sm:3'/>",
    ] {
        let error = parse(xml).expect_err(xml);
        assert!(
            matches!(error, StanzaParseError::NotAStanza { .. }),
            "{xml}"
        );
        assert_eq!(
            error.stream_error().map(|e| e.condition),
            Some(StreamCondition::UnsupportedStanzaType)
        );
        assert_eq!(error.error_reply(), None);
        assert_eq!(error.condition(), None);
    }
}

#[test]
fn a_message_error_child_outside_an_error_message_is_a_payload() {
    let Ok(Stanza::Message(m)) = parse(
        "<message type='chat'><error type='cancel'>\
         <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    ) else {
        panic!("a chat message")
    };
    assert_eq!(m.error, None);
    assert_eq!(m.payloads.len(), 1);
}

/// An xs:byte collapses XML white space only (XML 1.0 §2.3 S: space, tab,
/// CR, LF); a no-break or ideographic space around the number is not one.
#[test]
fn priority_white_space_is_xml_white_space_only() {
    for bad in ["\u{a0}5", "5\u{3000}", "\u{2028}1"] {
        let (_, reason) = invalid(&format!("<presence><priority>{bad}</priority></presence>"));
        assert_eq!(
            reason,
            Malformed::InvalidValue {
                element: "priority",
                value: bad.into()
            }
        );
    }
    let Ok(Stanza::Presence(p)) = parse("<presence><priority>\t\r\n 7 \n</priority></presence>")
    else {
        panic!("XML white space around a priority is allowed")
    };
    assert_eq!(p.priority, 7);
}

/// `<show/>` is an `xs:token` (RFC 6121 Appendix A), whose XML white space
/// collapses: ` away ` is `away`. Other white space is content.
#[test]
fn show_is_a_token_whose_xml_white_space_collapses() {
    for text in [" away ", "\taway\r\n", "away"] {
        let Ok(Stanza::Presence(p)) = parse(&format!("<presence><show>{text}</show></presence>"))
        else {
            panic!("{text:?} is a valid show")
        };
        assert_eq!(p.show, Some(stanzio_stanza::Show::Away), "{text:?}");
    }
    for bad in ["\u{a0}away", "a way", ""] {
        let (_, reason) = invalid(&format!("<presence><show>{bad}</show></presence>"));
        assert_eq!(
            reason,
            Malformed::InvalidValue {
                element: "show",
                value: bad.into()
            }
        );
    }
}

/// `<show/>` and `<priority/>` hold a single value (RFC 6121 §4.7.2.1,
/// §4.7.2.3); a child element inside would be read past and lost.
#[test]
fn show_and_priority_hold_no_child_elements() {
    let (_, reason) = invalid("<presence><show>away<x xmlns='urn:example'/></show></presence>");
    assert_eq!(reason, Malformed::ChildElements { element: "show" });
    let (_, reason) =
        invalid("<presence><priority><x xmlns='urn:example'/>5</priority></presence>");
    assert_eq!(
        reason,
        Malformed::ChildElements {
            element: "priority"
        }
    );
}

#[test]
fn thousands_of_bodies_are_refused_at_the_cap() {
    // Each body is checked against all earlier ones; without a cap, a
    // 256 KiB message of distinct-language bodies costs quadratic time.
    let bodies: String = (0..=stanzio_stanza::MAX_LANGS)
        .map(|i| format!("<body xml:lang='l{i}'>x</body>"))
        .collect();
    let error = common::parse(&format!("<message id='m'>{bodies}</message>")).unwrap_err();
    assert_eq!(
        error.condition(),
        Some(stanzio_stanza::Condition::PolicyViolation)
    );
    let at_cap: String = (0..stanzio_stanza::MAX_LANGS)
        .map(|i| format!("<body xml:lang='l{i}'>x</body>"))
        .collect();
    let Ok(stanzio_stanza::Stanza::Message(m)) =
        common::parse(&format!("<message id='m'>{at_cap}</message>"))
    else {
        panic!("{} bodies are fine", stanzio_stanza::MAX_LANGS)
    };
    assert_eq!(m.bodies.len(), stanzio_stanza::MAX_LANGS);
}

#[test]
fn the_reply_does_not_echo_a_huge_value_back() {
    let show = "ä".repeat(50_000);
    let error = common::parse(&format!(
        "<presence from='romeo@example.net/o' id='p1'><show>{show}</show></presence>"
    ))
    .unwrap_err();
    let Some(stanzio_stanza::Stanza::Presence(reply)) = error.error_reply() else {
        panic!("a presence is answered with a presence error")
    };
    let text = reply
        .error
        .unwrap()
        .texts
        .get(Some("en"))
        .unwrap()
        .to_owned();
    assert!(text.len() <= 256 + '…'.len_utf8(), "{} bytes", text.len());
    assert!(text.ends_with('…'));
}

#[test]
fn languages_differing_only_in_case_are_the_same_language() {
    // RFC 6121 §5.2.3 forbids two bodies of one language; BCP 47 §2.1.1
    // makes `en` and `EN` one language.
    let error = common::parse(
        "<message id='m'><body xml:lang='en'>a</body><body xml:lang='EN'>b</body></message>",
    )
    .unwrap_err();
    assert_eq!(
        error.condition(),
        Some(stanzio_stanza::Condition::BadRequest)
    );
    assert!(
        common::parse(
            "<message id='m'><body xml:lang='en'>a</body><body xml:lang='en-GB'>b</body></message>"
        )
        .is_ok()
    );
}

/// The reader's description of a refused stream quotes what the peer sent;
/// the stream error built from it carries at most 256 bytes of it, as
/// error replies do.
#[test]
fn a_stream_error_does_not_echo_a_huge_namespace_back() {
    // Under the reader's 8 KiB token limit, so that the reader refuses the
    // namespace itself and quotes it.
    let namespace = format!("urn:{}", "ü".repeat(3_000));
    let header = format!(
        "<stream:stream xmlns='{namespace}' xmlns:stream='http://etherx.jabber.org/streams'>"
    );
    let mut reader = stanzio_xml::StreamReader::new(stanzio_xml::Limits::default());
    let mut input = header.as_bytes();
    let read_error = reader.read(&mut input).unwrap_err();
    assert!(
        read_error.to_string().len() > 6_000,
        "the reader quotes it all: {read_error:?}"
    );
    let error = stanzio_stanza::StreamError::from(&read_error);
    assert_eq!(error.condition, StreamCondition::InvalidNamespace);
    let text = error.texts.get(None).unwrap();
    assert!(text.len() <= 256 + '…'.len_utf8(), "{} bytes", text.len());
    assert!(text.ends_with('…'));
}
