//! Round trips for every element family: writing a value onto a stream and
//! reading the element back gives the same value (TCP and, for features,
//! RFC 7395 framing).
// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod elements_support;

use elements_support::{element, elements_after, websocket_element, written, written_in};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use stanzio_jid::FullJid;
use stanzio_sasl::SaslCondition;
use stanzio_stanza::Condition;
use stanzio_stream::elements::Nonza;
use stanzio_stream::elements::bind::{BindRequest, BindResult};
use stanzio_stream::elements::features::{
    SessionFeature, StartTlsFeature, StreamFeatures, StreamLimits,
};
use stanzio_stream::elements::handshake::Handshake;
use stanzio_stream::elements::sasl::{FailureCondition, SaslElement, SaslFailure};
use stanzio_stream::elements::sm::{HandledCountTooHigh, SmElement};
use stanzio_stream::elements::tls::TlsElement;
use stanzio_xml::{ContentNamespace, Element};

/// Text XML can carry: printable characters, no controls.
fn text() -> impl Strategy<Value = String> {
    "\\PC{0,24}"
}

/// An XML name (NCName) of lowercase letters, digits and hyphens.
fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,12}"
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..48)
}

/// A feature this crate does not model: its own namespace, maybe an
/// attribute, maybe text.
fn unknown_feature() -> impl Strategy<Value = Element> {
    (name(), option::of((name(), text())), option::of(text())).prop_map(|(n, attr, body)| {
        let mut builder = Element::builder(&n, &format!("urn:example:{n}"));
        if let Some((key, value)) = attr {
            builder = builder.attr(&key, &value);
        }
        if let Some(body) = body {
            builder = builder.text(&body);
        }
        builder.build().unwrap()
    })
}

fn features() -> impl Strategy<Value = StreamFeatures> {
    let sasl = (
        option::of(vec("[A-Z0-9_-]{1,20}", 0..6)),
        option::of(vec("[a-z-]{1,20}", 0..4)),
    );
    let later = (
        any::<bool>(),
        option::of(any::<bool>()),
        any::<bool>(),
        option::of((option::of(any::<u32>()), option::of(any::<u32>()))),
        any::<bool>(),
    );
    (
        option::of(any::<bool>()),
        sasl,
        later,
        vec(unknown_feature(), 0..3),
    )
        .prop_map(
            |(
                starttls,
                (mechanisms, channel_binding_types),
                (bind, session, sm, limits, ver),
                other,
            )| {
                StreamFeatures {
                    starttls: starttls.map(|required| StartTlsFeature { required }),
                    mechanisms,
                    channel_binding_types,
                    bind,
                    session: session.map(|optional| SessionFeature { optional }),
                    sm,
                    limits: limits.map(|(max_bytes, idle_seconds)| StreamLimits {
                        max_bytes,
                        idle_seconds,
                    }),
                    ver,
                    other,
                }
            },
        )
}

fn failure_condition() -> impl Strategy<Value = FailureCondition> {
    prop_oneof![
        proptest::sample::select(SaslCondition::ALL.to_vec()).prop_map(FailureCondition::Known),
        // Not a defined name, and not `text`: "x-" keeps it apart.
        name().prop_map(|n| FailureCondition::Other(format!("x-{n}"))),
    ]
}

fn sasl() -> impl Strategy<Value = SaslElement> {
    let failure = (
        option::of(failure_condition()),
        option::of((text(), option::of("[a-z]{2}(-[A-Z]{2})?"))),
    )
        .prop_map(|(condition, text)| {
            let (text, text_lang) = match text {
                Some((text, lang)) => (Some(text), lang),
                None => (None, None),
            };
            SaslElement::Failure(SaslFailure {
                condition,
                text,
                text_lang,
            })
        });
    prop_oneof![
        ("[A-Z0-9_-]{1,20}", option::of(bytes())).prop_map(|(mechanism, initial_response)| {
            SaslElement::Auth {
                mechanism,
                initial_response,
            }
        }),
        bytes().prop_map(SaslElement::Challenge),
        bytes().prop_map(SaslElement::Response),
        option::of(bytes()).prop_map(SaslElement::Success),
        failure,
        Just(SaslElement::Abort),
    ]
}

fn stanza_condition() -> impl Strategy<Value = Condition> {
    prop_oneof![
        Just(Condition::BadRequest),
        Just(Condition::FeatureNotImplemented),
        Just(Condition::ItemNotFound),
        Just(Condition::UnexpectedRequest),
        Just(Condition::ServiceUnavailable),
        // The data of gone/redirect is text; an empty one reads as none.
        option::of("\\PC{1,16}").prop_map(Condition::Gone),
        option::of("\\PC{1,16}").prop_map(Condition::Redirect),
        name().prop_map(|n| Condition::Other(format!("x-{n}"))),
    ]
}

fn sm() -> impl Strategy<Value = SmElement> {
    let max = option::of(1..=u32::MAX);
    prop_oneof![
        (any::<bool>(), max.clone()).prop_map(|(resume, max)| SmElement::Enable { resume, max }),
        (option::of(text()), any::<bool>(), max, option::of(text())).prop_map(
            |(id, resume, max, location)| SmElement::Enabled {
                id,
                resume,
                max,
                location,
            }
        ),
        (text(), any::<u32>()).prop_map(|(previd, h)| SmElement::Resume { previd, h }),
        (text(), any::<u32>()).prop_map(|(previd, h)| SmElement::Resumed { previd, h }),
        (option::of(any::<u32>()), option::of(stanza_condition()))
            .prop_map(|(h, condition)| SmElement::Failed { h, condition }),
        Just(SmElement::Request),
        any::<u32>().prop_map(|h| SmElement::Ack { h }),
    ]
}

fn tls() -> impl Strategy<Value = TlsElement> {
    proptest::sample::select(vec![
        TlsElement::StartTls,
        TlsElement::Proceed,
        TlsElement::Failure,
    ])
}

fn handshake() -> impl Strategy<Value = Handshake> {
    option::of("[0-9a-f]{1,40}").prop_map(Handshake)
}

fn full_jid() -> impl Strategy<Value = FullJid> {
    ("[a-z0-9]{1,8}", "[a-z]{1,8}\\.example", "\\PC{1,16}")
        .prop_filter_map("a valid full JID", |(node, domain, resource)| {
            FullJid::from_parts(Some(&node), &domain, &resource).ok()
        })
}

fn nonza() -> impl Strategy<Value = Nonza> {
    prop_oneof![
        features().prop_map(Nonza::Features),
        tls().prop_map(Nonza::Tls),
        sasl().prop_map(Nonza::Sasl),
        sm().prop_map(Nonza::Sm),
    ]
}

proptest! {
    #[test]
    fn features_round_trip(value in features()) {
        let wire = written(|w| value.write_to(w));
        prop_assert_eq!(StreamFeatures::from_element(element(&wire).root()), Ok(value.clone()));
    }

    #[test]
    fn features_round_trip_over_websocket(value in features()) {
        let message = elements_support::written_websocket(|w| value.write_to(w));
        let read = StreamFeatures::from_element(websocket_element(&message).root());
        prop_assert_eq!(read, Ok(value));
    }

    #[test]
    fn tls_round_trip(value in tls()) {
        let wire = written(|w| value.write_to(w));
        prop_assert_eq!(TlsElement::from_element(element(&wire).root()), Ok(value));
    }

    #[test]
    fn sasl_round_trip(value in sasl()) {
        let wire = written(|w| value.write_to(w));
        prop_assert_eq!(SaslElement::from_element(element(&wire).root()), Ok(value));
    }

    #[test]
    fn sm_round_trip(value in sm()) {
        let wire = written(|w| value.write_to(w));
        prop_assert_eq!(SmElement::from_element(element(&wire).root()), Ok(value));
    }

    #[test]
    fn handled_count_too_high_round_trip(h in any::<u32>(), send_count in any::<u32>()) {
        let value = HandledCountTooHigh { h, send_count };
        let wire = written(|w| value.write_to(w));
        prop_assert_eq!(HandledCountTooHigh::from_element(element(&wire).root()), Ok(value));
        prop_assert_eq!(HandledCountTooHigh::from_element(value.to_element().root()), Ok(value));
    }

    #[test]
    fn bind_request_round_trip(resource in option::of(text())) {
        let value = BindRequest { resource };
        let wire = written(|w| value.write_to(w));
        prop_assert_eq!(BindRequest::from_element(element(&wire).root()), Ok(value.clone()));
        prop_assert_eq!(BindRequest::from_element(value.to_element().root()), Ok(value));
    }

    #[test]
    fn bind_result_round_trip(jid in full_jid()) {
        let value = BindResult { jid };
        let wire = written(|w| value.write_to(w));
        prop_assert_eq!(BindResult::from_element(element(&wire).root()), Ok(value.clone()));
        prop_assert_eq!(BindResult::from_element(value.to_element().root()), Ok(value));
    }

    #[test]
    fn handshake_round_trip(value in handshake()) {
        let header = "<stream:stream xmlns='jabber:component:accept' \
            xmlns:stream='http://etherx.jabber.org/streams' id='3BF96D32'>";
        let wire = written_in(ContentNamespace::ComponentAccept, |w| value.write_to(w));
        let found = elements_after(header, &wire);
        prop_assert_eq!(Handshake::from_element(found[0].root()), Ok(value));
    }

    #[test]
    fn nonza_round_trip(value in nonza()) {
        let wire = written(|w| value.write_to(w));
        prop_assert_eq!(Nonza::from_element(element(&wire).root()), Some(Ok(value)));
    }
}
