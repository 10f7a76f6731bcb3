//! `<stream:features/>`: RFC and XEP examples, and what Prosody and
//! ejabberd really send (from the sessions recorded in tests/data/).
// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod elements_support;

use elements_support::{element, elements_after, websocket_element, written, written_websocket};
use stanzio_sasl::ServerOffer;
use stanzio_stream::elements::features::{
    FeatureKind, SessionFeature, StartTlsFeature, StreamFeatures, StreamLimits,
};
use stanzio_stream::elements::{ElementError, Nonza};
use stanzio_xml::Element;

fn features(xml: &str) -> StreamFeatures {
    StreamFeatures::from_element(element(xml).root()).expect("valid features")
}

/// Writes `features`, reads the result back, and checks it is the same.
fn assert_round_trip(features: &StreamFeatures) {
    let wire = written(|w| features.write_to(w));
    let again = StreamFeatures::from_element(element(&wire).root());
    assert_eq!(again.as_ref(), Ok(features), "{wire}");
}

// tests/data/prosody-alice-s2c.xml, the three features elements in turn.
const PROSODY_TLS: &str = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>\
    <required/></starttls></stream:features>";
const PROSODY_SASL: &str = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
    <mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>";
const PROSODY_BOUND: &str = "<stream:features><csi xmlns='urn:xmpp:csi:0'/>\
    <sub xmlns='urn:xmpp:features:pre-approval'/>\
    <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind>\
    <session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>\
    <ver xmlns='urn:xmpp:features:rosterver'/><sm xmlns='urn:xmpp:sm:2'><optional/></sm>\
    <sm xmlns='urn:xmpp:sm:3'><optional/></sm>\
    <c ver='w5Go7NdJafPqgp1LfJSHHnPXQQw=' hash='sha-1' node='http://prosody.im' \
    xmlns='http://jabber.org/protocol/caps'/></stream:features>";

// tests/data/ejabberd-alice-s2c.xml, after SASL and after the restart.
const EJABBERD_SASL: &str = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
    <mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-512-PLUS</mechanism>\
    <mechanism>SCRAM-SHA-512</mechanism><mechanism>SCRAM-SHA-256-PLUS</mechanism>\
    <mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1-PLUS</mechanism>\
    <mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>";
const EJABBERD_BOUND: &str = "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
    <session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>\
    <c ver='QUJiILKaeLHy7/TRIgHE/KbXJJI=' node='http://www.process-one.net/en/ejabberd/' \
    hash='sha-1' xmlns='http://jabber.org/protocol/caps'/><sm xmlns='urn:xmpp:sm:2'/>\
    <sm xmlns='urn:xmpp:sm:3'/><ver xmlns='urn:xmpp:features:rosterver'/>\
    <csi xmlns='urn:xmpp:csi:0'/></stream:features>";

#[test]
fn prosody_requires_starttls() {
    let f = features(PROSODY_TLS);
    assert_eq!(
        f,
        StreamFeatures {
            starttls: Some(StartTlsFeature { required: true }),
            ..StreamFeatures::default()
        }
    );
    assert!(f.is_required(FeatureKind::StartTls));
    assert!(!f.negotiation_complete());
    assert_eq!(f.sasl_offer(), None);
    assert_round_trip(&f);
}

#[test]
fn prosody_and_ejabberd_sasl_offers_keep_the_order() {
    let prosody = features(PROSODY_SASL);
    assert_eq!(
        prosody.sasl_offer(),
        Some(ServerOffer::new(["PLAIN", "SCRAM-SHA-1"]))
    );
    assert!(prosody.is_required(FeatureKind::Sasl));
    assert!(!prosody.negotiation_complete());
    let ejabberd = features(EJABBERD_SASL);
    let offer = ejabberd.sasl_offer().unwrap();
    assert_eq!(offer.mechanisms.len(), 7);
    assert_eq!(offer.mechanisms[1], "SCRAM-SHA-512-PLUS");
    assert!(offer.offers_plus());
    // No XEP-0440 list: None, which XEP-0474 §6.1 tells from an empty one.
    assert_eq!(offer.channel_binding_types, None);
    assert_round_trip(&prosody);
    assert_round_trip(&ejabberd);
}

#[test]
fn prosody_bound_features() {
    let f = features(PROSODY_BOUND);
    assert!(f.bind);
    assert_eq!(f.session, Some(SessionFeature { optional: true }));
    assert!(f.sm);
    assert!(f.ver);
    assert_eq!(f.starttls, None);
    assert_eq!(f.mechanisms, None);
    // csi, pre-approval, sm:2 and caps are kept, in order.
    let others: Vec<_> = f.other.iter().map(|e| (e.name(), e.ns())).collect();
    assert_eq!(
        others,
        [
            ("csi", "urn:xmpp:csi:0"),
            ("sub", "urn:xmpp:features:pre-approval"),
            ("sm", "urn:xmpp:sm:2"),
            ("c", "http://jabber.org/protocol/caps"),
        ]
    );
    assert_eq!(f.other[3].attr("node"), Some("http://prosody.im"));
    assert_eq!(
        f.offered().collect::<Vec<_>>(),
        [
            FeatureKind::Bind,
            FeatureKind::Session,
            FeatureKind::StreamManagement
        ]
    );
    // Bind is mandatory-to-negotiate (RFC 6120 §7.3.1); the optional
    // session and stream management are not.
    assert!(f.is_required(FeatureKind::Bind));
    assert!(!f.is_required(FeatureKind::Session));
    assert!(!f.is_required(FeatureKind::StreamManagement));
    assert!(!f.negotiation_complete());
    assert_round_trip(&f);
}

#[test]
fn ejabberd_bound_features() {
    let f = features(EJABBERD_BOUND);
    assert!(f.bind && f.sm && f.ver);
    assert_eq!(f.session, Some(SessionFeature { optional: true }));
    let others: Vec<_> = f.other.iter().map(|e| e.name()).collect();
    assert_eq!(others, ["c", "sm", "csi"]);
    assert_eq!(f.other[1].ns(), "urn:xmpp:sm:2");
    assert_round_trip(&f);
}

#[test]
fn after_binding_only_voluntary_features_remain() {
    // RFC 6120 §4.3.2: only voluntary-to-negotiate features (or none)
    // mean the client may send stanzas.
    let mut f = features(PROSODY_BOUND);
    f.bind = false;
    assert!(f.negotiation_complete());
    assert!(features("<stream:features/>").negotiation_complete());
    assert_eq!(features("<stream:features/>"), StreamFeatures::default());
    // RFC 3921 §3: a session without <optional/> must be requested.
    let legacy = features(
        "<stream:features><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>\
         </stream:features>",
    );
    assert_eq!(legacy.session, Some(SessionFeature { optional: false }));
    assert!(!legacy.negotiation_complete());
}

#[test]
fn xep_0440_example_and_its_pre_0_4_form() {
    // XEP-0440 §2, first example.
    let current = features(
        "<stream:features>
          <sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>
            <channel-binding type='tls-server-end-point'/>
            <channel-binding type='tls-exporter'/>
          </sasl-channel-binding>
          <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>
            <mechanism>EXTERNAL</mechanism>
            <mechanism>SCRAM-SHA-1-PLUS</mechanism>
            <mechanism>PLAIN</mechanism>
          </mechanisms>
        </stream:features>",
    );
    let expected = ServerOffer::new(["EXTERNAL", "SCRAM-SHA-1-PLUS", "PLAIN"])
        .with_channel_binding_types(["tls-server-end-point", "tls-exporter"]);
    assert_eq!(current.sasl_offer(), Some(expected.clone()));
    assert!(current.other.is_empty());
    assert_round_trip(&current);

    // Before 0.4 the list was a child of <mechanisms/>.
    let legacy = features(
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
         <mechanism>EXTERNAL</mechanism><mechanism>SCRAM-SHA-1-PLUS</mechanism>\
         <mechanism>PLAIN</mechanism>\
         <sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>\
         <channel-binding type='tls-server-end-point'/><channel-binding type='tls-exporter'/>\
         </sasl-channel-binding></mechanisms></stream:features>",
    );
    assert_eq!(legacy.sasl_offer(), Some(expected));
    assert_eq!(legacy, current);
    // It is written in today's place.
    let wire = written(|w| legacy.write_to(w));
    assert!(
        wire.contains("</mechanisms><sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>"),
        "{wire}"
    );
}

#[test]
fn the_top_level_channel_binding_list_wins_over_a_nested_one() {
    let f = features(
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
         <mechanism>SCRAM-SHA-256-PLUS</mechanism>\
         <sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-unique'/>\
         </sasl-channel-binding></mechanisms>\
         <sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/>\
         </sasl-channel-binding></stream:features>",
    );
    assert_eq!(
        f.channel_binding_types,
        Some(vec!["tls-exporter".to_owned()])
    );
}

#[test]
fn an_empty_channel_binding_list_differs_from_none() {
    let f = features(
        "<stream:features><sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'/></stream:features>",
    );
    assert_eq!(f.channel_binding_types, Some(Vec::new()));
    assert_round_trip(&f);
}

#[test]
fn a_channel_binding_without_type_is_refused() {
    // XEP-0440 §2: each MUST have a type; XEP-0474 hashes the list, so
    // dropping one would change what the client checks.
    for xml in [
        "<stream:features><sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>\
         <channel-binding type='tls-exporter'/><channel-binding/>\
         </sasl-channel-binding></stream:features>",
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
         <mechanism>PLAIN</mechanism><sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>\
         <channel-binding/></sasl-channel-binding></mechanisms></stream:features>",
    ] {
        assert_eq!(
            StreamFeatures::from_element(element(xml).root()),
            Err(ElementError::MissingAttribute {
                element: "channel-binding",
                attribute: "type",
            }),
            "{xml}"
        );
    }
}

#[test]
fn mechanism_names_are_trimmed_and_unknown_ones_kept() {
    let f = features(
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>
           <mechanism>
             SCRAM-SHA-256
           </mechanism>
           <mechanism>X-OAUTH2</mechanism>
           <hostname xmlns='urn:xmpp:domain-based-name:1'>auth.example.com</hostname>
         </mechanisms></stream:features>",
    );
    assert_eq!(
        f.mechanisms,
        Some(vec!["SCRAM-SHA-256".to_owned(), "X-OAUTH2".to_owned()])
    );
}

#[test]
fn xep_0478_limits() {
    // XEP-0478 §3.1 example.
    let f = features(
        "<stream:features>
          <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>
            <mechanism>SCRAM-SHA-1</mechanism>
            <mechanism>PLAIN</mechanism>
          </mechanisms>
          <limits xmlns='urn:xmpp:stream-limits:0'>
            <max-bytes>10000</max-bytes>
            <idle-seconds>1800</idle-seconds>
          </limits>
        </stream:features>",
    );
    assert_eq!(
        f.limits,
        Some(StreamLimits {
            max_bytes: Some(10000),
            idle_seconds: Some(1800),
        })
    );
    assert_round_trip(&f);
}

#[test]
fn unreadable_limits_are_read_as_unknown() {
    let f = features(
        "<stream:features><limits xmlns='urn:xmpp:stream-limits:0'>\
         <max-bytes>-1</max-bytes><idle-seconds>lots</idle-seconds></limits>\
         </stream:features>",
    );
    assert_eq!(f.limits, Some(StreamLimits::default()));
    let f = features(
        "<stream:features><limits xmlns='urn:xmpp:stream-limits:0'>\
         <max-bytes>4294967296</max-bytes><idle-seconds> 60 </idle-seconds></limits>\
         </stream:features>",
    );
    assert_eq!(
        f.limits,
        Some(StreamLimits {
            max_bytes: None,
            idle_seconds: Some(60),
        })
    );
}

#[test]
fn a_second_copy_of_a_feature_is_kept_in_other() {
    let f = features(
        "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
         <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><x/></bind>\
         <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\
         <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>\
         </stream:features>",
    );
    assert!(f.bind);
    assert_eq!(f.starttls, Some(StartTlsFeature { required: false }));
    assert_eq!(f.other.len(), 2);
    assert_round_trip(&f);
}

#[test]
fn the_first_copy_of_every_feature_is_the_one_read() {
    // Each known feature twice, the second copy different: the first is
    // typed, the second kept as it came.
    let f = features(
        "<stream:features>\
         <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>A</mechanism></mechanisms>\
         <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>B</mechanism></mechanisms>\
         <sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='a'/>\
         </sasl-channel-binding>\
         <sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='b'/>\
         </sasl-channel-binding>\
         <session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>\
         <session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>\
         <sm xmlns='urn:xmpp:sm:3'/><sm xmlns='urn:xmpp:sm:3'><optional/></sm>\
         <limits xmlns='urn:xmpp:stream-limits:0'><max-bytes>1</max-bytes></limits>\
         <limits xmlns='urn:xmpp:stream-limits:0'><max-bytes>2</max-bytes></limits>\
         <ver xmlns='urn:xmpp:features:rosterver'/><ver xmlns='urn:xmpp:features:rosterver'><x/></ver>\
         </stream:features>",
    );
    assert_eq!(f.mechanisms, Some(vec!["A".to_owned()]));
    assert_eq!(f.channel_binding_types, Some(vec!["a".to_owned()]));
    assert_eq!(f.session, Some(SessionFeature { optional: false }));
    assert!(f.sm && f.ver);
    assert_eq!(f.limits.unwrap().max_bytes, Some(1));
    let kept: Vec<_> = f.other.iter().map(|e| e.name()).collect();
    assert_eq!(
        kept,
        [
            "mechanisms",
            "sasl-channel-binding",
            "session",
            "sm",
            "limits",
            "ver"
        ]
    );
    assert_round_trip(&f);
}

#[test]
fn an_unknown_required_feature_keeps_negotiation_open() {
    let f = features(
        "<stream:features><compression xmlns='http://jabber.org/features/compress'>\
         <method>zlib</method></compression></stream:features>",
    );
    assert!(f.negotiation_complete());
    let f = features(
        "<stream:features><x xmlns='urn:example:mandatory'><required/></x></stream:features>",
    );
    assert!(!f.negotiation_complete());
}

#[test]
fn written_with_the_stream_prefix() {
    let f = StreamFeatures {
        starttls: Some(StartTlsFeature { required: true }),
        ..StreamFeatures::default()
    };
    assert_eq!(
        written(|w| f.write_to(w)),
        "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>\
         </starttls></stream:features>"
    );
    assert_eq!(
        written(|w| StreamFeatures::default().write_to(w)),
        "<stream:features/>"
    );
}

#[test]
fn websocket_features_declare_the_stream_prefix() {
    // RFC 7395 §3.3.3: each message is a document of its own, so
    // <stream:features/> declares xmlns:stream itself.
    let f = features(PROSODY_BOUND);
    let message = written_websocket(|w| f.write_to(w));
    assert!(
        message.starts_with(
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind \
             xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
        ),
        "{message}"
    );
    let read = StreamFeatures::from_element(websocket_element(&message).root());
    assert_eq!(read, Ok(f));
}

#[test]
fn features_in_a_server_to_server_stream() {
    // RFC 6120 §9.2.1: the same elements, on a jabber:server stream.
    let header = "<stream:stream xmlns='jabber:server' \
        xmlns:stream='http://etherx.jabber.org/streams' from='im.example.com' \
        id='g4qSvGvBxJ+xeAd7QKezOQJFFlw=' to='example.net' version='1.0'>";
    let found = elements_after(header, PROSODY_TLS);
    let Some(Ok(Nonza::Features(f))) = Nonza::from_element(found[0].root()) else {
        panic!("features expected");
    };
    assert_eq!(f.starttls, Some(StartTlsFeature { required: true }));
}

#[test]
fn not_features() {
    let e = Element::builder("features", "jabber:client")
        .build()
        .unwrap();
    assert_eq!(
        StreamFeatures::from_element(e.root()),
        Err(ElementError::Unexpected {
            name: "features".into(),
            ns: "jabber:client".into(),
        })
    );
}
