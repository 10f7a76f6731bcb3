//! Properties: any stanza survives write → read → parse unchanged; no input
//! makes the parser panic; whatever parses writes back to the same stanza.
// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use proptest::prelude::*;
use stanzio_jid::Jid;
use stanzio_stanza::{
    CompactString, Condition, ErrorType, ExtensionAttribute, Iq, IqPayload, LangMap, Message,
    MessageType, Presence, PresenceType, Show, Stanza, StanzaError, Thread,
};
use stanzio_xml::{ContentNamespace, Element, Limits, StreamEvent, StreamReader};

fn jid() -> BoxedStrategy<Jid> {
    (
        proptest::option::of("[a-z][a-z0-9.]{0,7}"),
        "[a-z]{1,8}\\.example",
        proptest::option::of("[A-Za-z0-9][A-Za-z0-9 ]{0,6}[A-Za-z0-9]"),
    )
        .prop_map(|(node, domain, resource)| {
            Jid::from_parts(node.as_deref(), &domain, resource.as_deref()).expect("valid parts")
        })
        .boxed()
}

/// Text XML can carry: no controls, no noncharacters (`\PC`), plus the
/// characters that need escaping.
fn text() -> BoxedStrategy<String> {
    "(\\PC|[<>&'\"\t\n\r])*"
        .prop_map(|s| s.chars().take(40).collect())
        .boxed()
}

/// Texts under distinct languages. The stanza's own language is drawn
/// from another set, so no two texts share an effective language.
fn lang_map() -> BoxedStrategy<LangMap> {
    proptest::collection::btree_map(
        proptest::option::of(prop_oneof![Just("en"), Just("de"), Just("cs")]),
        text(),
        0..3,
    )
    .prop_map(|map| map.into_iter().collect())
    .boxed()
}

fn stanza_lang() -> BoxedStrategy<Option<CompactString>> {
    proptest::option::of(prop_oneof![Just("it".into()), Just("ja".into())]).boxed()
}

/// An id: sometimes short enough to be kept inline, sometimes not.
fn id() -> BoxedStrategy<CompactString> {
    "[a-zA-Z0-9-]{1,40}".prop_map(CompactString::from).boxed()
}

/// A payload: names, namespaces (never a content namespace), attributes,
/// text and nested children.
fn payload() -> BoxedStrategy<Element> {
    let leaf = (
        "[a-z][a-z-]{0,6}",
        prop_oneof![
            Just("urn:a"),
            Just("urn:b:c"),
            Just("http://jabber.org/protocol/chatstates")
        ],
        proptest::collection::vec(("[a-z]{1,4}", text()), 0..3),
        proptest::option::of(text()),
    )
        .prop_map(|(name, ns, attrs, body)| {
            let mut b = Element::builder(&name, ns);
            for (k, v) in &attrs {
                b = b.attr(k, v);
            }
            if let Some(body) = body {
                b = b.text(&body);
            }
            b.build().expect("valid names")
        });
    leaf.prop_recursive(3, 12, 3, |inner| {
        (
            "[a-z]{1,6}",
            prop_oneof![Just("urn:a"), Just("urn:nested"), Just("")],
            proptest::collection::vec(inner, 0..3),
            proptest::option::of(("[a-z]{1,4}", text())),
        )
            .prop_map(|(name, ns, children, attr)| {
                let mut b = Element::builder(&name, ns);
                if let Some((k, v)) = attr {
                    b = b.attr_ns("urn:attr", &k, &v);
                }
                for child in children {
                    b = b.child(child).text("~");
                }
                b.build().expect("valid names")
            })
    })
    .boxed()
}

fn payloads() -> BoxedStrategy<Vec<Element>> {
    proptest::collection::vec(payload(), 0..3).boxed()
}

fn condition() -> BoxedStrategy<Condition> {
    prop_oneof![
        Just(Condition::BadRequest),
        Just(Condition::ItemNotFound),
        Just(Condition::ServiceUnavailable),
        Just(Condition::UnexpectedRequest),
        proptest::option::of("xmpp:[a-z]{1,8}@example\\.net").prop_map(Condition::Gone),
        proptest::option::of("xmpp:[a-z]{1,8}").prop_map(Condition::Redirect),
        "x-[a-z]{1,6}".prop_map(Condition::Other),
    ]
    .boxed()
}

fn stanza_error() -> BoxedStrategy<StanzaError> {
    (
        prop_oneof![
            Just(ErrorType::Auth),
            Just(ErrorType::Cancel),
            Just(ErrorType::Continue),
            Just(ErrorType::Modify),
            Just(ErrorType::Wait),
        ],
        condition(),
        lang_map(),
        proptest::option::of(payload()),
        proptest::option::of(jid()),
        stanza_lang(),
    )
        .prop_map(|(type_, condition, texts, app, by, lang)| StanzaError {
            type_,
            condition,
            texts,
            app,
            by,
            lang: lang.map(Into::into),
        })
        .boxed()
}

/// Attributes beyond RFC 6120 §8.1's five, unique by (namespace, name).
fn extension_attributes() -> BoxedStrategy<Vec<ExtensionAttribute>> {
    proptest::collection::btree_map(
        (
            prop_oneof![Just(String::new()), Just("urn:example:ext".to_owned())],
            "x-[a-z]{1,6}",
        ),
        "[ -~]{0,12}",
        0..3,
    )
    .prop_map(|map| {
        map.into_iter()
            .map(|((ns, name), value)| ExtensionAttribute { ns, name, value })
            .collect()
    })
    .boxed()
}

fn message() -> BoxedStrategy<Message> {
    (
        (proptest::option::of(jid()), proptest::option::of(jid())),
        proptest::option::of(id()),
        stanza_lang(),
        prop_oneof![
            Just(MessageType::Chat),
            Just(MessageType::Error),
            Just(MessageType::Groupchat),
            Just(MessageType::Headline),
            Just(MessageType::Normal),
        ],
        (lang_map(), lang_map()),
        proptest::option::of((id(), proptest::option::of(id()))),
        (stanza_error(), payloads(), extension_attributes()),
    )
        .prop_map(
            |(
                (from, to),
                id,
                lang,
                type_,
                (bodies, subjects),
                thread,
                (error, payloads, extension_attributes),
            )| Message {
                from,
                to,
                id,
                lang,
                type_,
                bodies,
                subjects,
                thread: thread.map(|(id, parent)| Thread { id, parent }),
                error: (type_ == MessageType::Error).then_some(error),
                payloads: payloads.into(),
                extension_attributes,
            },
        )
        .boxed()
}

fn presence() -> BoxedStrategy<Presence> {
    (
        (proptest::option::of(jid()), proptest::option::of(jid())),
        proptest::option::of(id()),
        stanza_lang(),
        prop_oneof![
            Just(PresenceType::Available),
            Just(PresenceType::Error),
            Just(PresenceType::Probe),
            Just(PresenceType::Subscribe),
            Just(PresenceType::Subscribed),
            Just(PresenceType::Unavailable),
            Just(PresenceType::Unsubscribe),
            Just(PresenceType::Unsubscribed),
        ],
        proptest::option::of(prop_oneof![
            Just(Show::Away),
            Just(Show::Chat),
            Just(Show::Dnd),
            Just(Show::Xa)
        ]),
        lang_map(),
        any::<i8>(),
        (stanza_error(), payloads(), extension_attributes()),
    )
        .prop_map(
            |(
                (from, to),
                id,
                lang,
                type_,
                show,
                statuses,
                priority,
                (error, payloads, extension_attributes),
            )| Presence {
                from,
                to,
                id,
                lang,
                type_,
                show,
                statuses,
                priority,
                error: (type_ == PresenceType::Error).then_some(error),
                payloads: payloads.into(),
                extension_attributes,
            },
        )
        .boxed()
}

fn iq() -> BoxedStrategy<Iq> {
    let payload_kind = prop_oneof![
        payload().prop_map(IqPayload::Get),
        payload().prop_map(IqPayload::Set),
        proptest::option::of(payload()).prop_map(IqPayload::Result),
        (stanza_error(), proptest::option::of(payload()))
            .prop_map(|(error, request)| IqPayload::Error { error, request }),
    ];
    (
        (proptest::option::of(jid()), proptest::option::of(jid())),
        id(),
        stanza_lang(),
        payload_kind,
        extension_attributes(),
    )
        .prop_map(|((from, to), id, lang, payload, extension_attributes)| Iq {
            from,
            to,
            id,
            lang,
            payload,
            extension_attributes,
        })
        .boxed()
}

fn stanza() -> BoxedStrategy<Stanza> {
    prop_oneof![
        message().prop_map(Stanza::Message),
        presence().prop_map(Stanza::Presence),
        iq().prop_map(Stanza::Iq),
    ]
    .boxed()
}

fn content_namespace() -> BoxedStrategy<ContentNamespace> {
    prop_oneof![
        Just(ContentNamespace::Client),
        Just(ContentNamespace::Server),
        Just(ContentNamespace::ComponentAccept),
    ]
    .boxed()
}

/// Writes `stanza` into a `ns` stream and reads it back.
fn reread(stanza: &Stanza, ns: ContentNamespace) -> Stanza {
    let mut stream = common::header(ns, None).into_bytes();
    stream.extend_from_slice(&common::write(stanza, ns));
    let (_, elements) = common::read_elements(&stream);
    assert_eq!(elements.len(), 1);
    Stanza::from_element(elements[0].root(), &common::context(ns, None))
        .expect("a written stanza parses")
}

/// Parses every element of `stream` (reader errors end it); whatever
/// parses must survive a round trip, and every error reply must be a
/// stanza that can be written and read back.
fn parse_all(stream: &[u8]) {
    let mut reader = StreamReader::new(Limits::default());
    let mut input = stream;
    let ctx = common::context(ContentNamespace::Client, Some("en"));
    while let Ok(Some(event)) = reader.read(&mut input) {
        let StreamEvent::Element(element) = event else {
            continue;
        };
        match Stanza::from_element(element.root(), &ctx) {
            Ok(stanza) => {
                let mut again = common::header(ContentNamespace::Client, Some("en")).into_bytes();
                again.extend_from_slice(&common::write(&stanza, ContentNamespace::Client));
                let (_, elements) = common::read_elements(&again);
                let reparsed = Stanza::from_element(elements[0].root(), &ctx);
                assert_eq!(reparsed.as_ref(), Ok(&stanza));
            }
            Err(error) => {
                let _ = error.to_string();
                if let Some(reply) = error.error_reply() {
                    assert_eq!(reread(&reply, ContentNamespace::Client), reply);
                }
            }
        }
    }
}

/// Pieces of stanzas, well-formed and not, for the grammar-driven input.
const ATTRS: &[&str] = &[
    "from='juliet@example.com/balcony'",
    "to='romeo@example.net'",
    "from='@bad'",
    "to='a@b@c'",
    "to='[::1'",
    "id='x1'",
    "type='get'",
    "type='set'",
    "type='result'",
    "type='error'",
    "type='chat'",
    "type='unavailable'",
    "type='bogus'",
    "xml:lang='en'",
];

const CHILDREN: &[&str] = &[
    "<body>hi</body>",
    "<body xml:lang='en'>hello</body>",
    "<body><b/></body>",
    "<subject>s</subject>",
    "<thread parent='p'>t</thread>",
    "<show>dnd</show>",
    "<show>busy</show>",
    "<status>st</status>",
    "<priority>5</priority>",
    "<priority>300</priority>",
    "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
    "<error type='wait' by='x@@y'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>t</text></error>",
    "<error type='modify'/>",
    "<error><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:a@b</gone></error>",
    "<ping xmlns='urn:xmpp:ping'/>",
    "<query xmlns='jabber:iq:roster'><item jid='a@b'/></query>",
    "<x xmlns='urn:x' a='1'>text<y/></x>",
    " ",
];

fn grammar_stanza() -> BoxedStrategy<String> {
    (
        prop_oneof![Just("message"), Just("presence"), Just("iq"), Just("foo")],
        proptest::sample::subsequence(ATTRS, 0..5),
        proptest::collection::vec(proptest::sample::select(CHILDREN), 0..5),
    )
        .prop_map(|(name, attrs, children)| {
            // Keep one attribute of each name so the XML stays well-formed.
            let mut seen = Vec::new();
            let attrs: Vec<&str> = attrs
                .into_iter()
                .filter(|a| {
                    let key = a.split('=').next().unwrap_or_default();
                    !seen.contains(&key) && {
                        seen.push(key);
                        true
                    }
                })
                .collect();
            format!("<{name} {}>{}</{name}>", attrs.join(" "), children.concat())
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_stanza_survives_write_and_read(stanza in stanza(), ns in content_namespace()) {
        prop_assert_eq!(reread(&stanza, ns), stanza);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut stream = common::header(ContentNamespace::Client, None).into_bytes();
        stream.extend_from_slice(&bytes);
        parse_all(&stream);
    }

    #[test]
    fn grammar_stanzas_parse_or_fail_cleanly(stanzas in proptest::collection::vec(grammar_stanza(), 1..6)) {
        let mut stream = common::header(ContentNamespace::Client, Some("en")).into_bytes();
        stream.extend_from_slice(stanzas.concat().as_bytes());
        parse_all(&stream);
    }
}
