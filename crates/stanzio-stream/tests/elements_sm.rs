//! Stream management elements: every example of XEP-0198, the value rules
//! (xs:unsignedInt `h`, xs:boolean `resume`, SM-ID length) and the
//! `<handled-count-too-high/>` stream error.
// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod elements_support;

use elements_support::{element, elements, written};
use stanzio_stanza::{Condition, StreamCondition, StreamContext, StreamError};
use stanzio_stream::elements::sm::{HandledCountTooHigh, MAX_SM_ID_BYTES, SmElement};
use stanzio_stream::elements::{ElementError, Nonza};
use stanzio_xml::ContentNamespace;

fn sm(xml: &str) -> Result<SmElement, ElementError> {
    SmElement::from_element(element(xml).root())
}

fn assert_round_trip(value: &SmElement) {
    let wire = written(|w| value.write_to(w));
    assert_eq!(sm(&wire).as_ref(), Ok(value), "{wire}");
}

#[test]
fn xep_0198_examples() {
    let examples = [
        // §3
        (
            "<enable xmlns='urn:xmpp:sm:3'/>",
            SmElement::Enable {
                resume: false,
                max: None,
            },
        ),
        (
            "<enabled xmlns='urn:xmpp:sm:3'/>",
            SmElement::Enabled {
                id: None,
                resume: false,
                max: None,
                location: None,
            },
        ),
        (
            "<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/>",
            SmElement::Enabled {
                id: Some("some-long-sm-id".into()),
                resume: true,
                max: None,
                location: None,
            },
        ),
        (
            "<failed xmlns='urn:xmpp:sm:3'>\
             <unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>",
            SmElement::Failed {
                h: None,
                condition: Some(Condition::UnexpectedRequest),
            },
        ),
        // §4
        ("<r xmlns='urn:xmpp:sm:3'/>", SmElement::Request),
        ("<a xmlns='urn:xmpp:sm:3' h='0'/>", SmElement::Ack { h: 0 }),
        // §5
        (
            "<enable xmlns='urn:xmpp:sm:3' resume='true'/>",
            SmElement::Enable {
                resume: true,
                max: None,
            },
        ),
        (
            "<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id'/>",
            SmElement::Enabled {
                id: Some("some-long-sm-id".into()),
                resume: false,
                max: None,
                location: None,
            },
        ),
        (
            "<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' \
             location='[2001:41D0:1:A49b::1]:9222' resume='true'/>",
            SmElement::Enabled {
                id: Some("some-long-sm-id".into()),
                resume: true,
                max: None,
                location: Some("[2001:41D0:1:A49b::1]:9222".into()),
            },
        ),
        // The §5 examples write 'some-sequence-number'; a number stands in.
        (
            "<resume xmlns='urn:xmpp:sm:3' h='3' previd='some-long-sm-id'/>",
            SmElement::Resume {
                previd: "some-long-sm-id".into(),
                h: 3,
            },
        ),
        (
            "<resumed xmlns='urn:xmpp:sm:3' h='5' previd='some-long-sm-id'/>",
            SmElement::Resumed {
                previd: "some-long-sm-id".into(),
                h: 5,
            },
        ),
        (
            "<failed xmlns='urn:xmpp:sm:3' h='5'>\
             <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>",
            SmElement::Failed {
                h: Some(5),
                condition: Some(Condition::ItemNotFound),
            },
        ),
    ];
    for (xml, expected) in examples {
        assert_eq!(sm(xml), Ok(expected.clone()), "{xml}");
        assert_round_trip(&expected);
        // The dispatcher sees the same.
        assert_eq!(
            Nonza::from_element(element(xml).root()),
            Some(Ok(Nonza::Sm(expected))),
            "{xml}"
        );
    }
}

#[test]
fn written_forms() {
    let cases = [
        (
            SmElement::Enable {
                resume: true,
                max: Some(300),
            },
            "<enable xmlns='urn:xmpp:sm:3' resume='true' max='300'/>",
        ),
        (
            SmElement::Enable {
                resume: false,
                max: None,
            },
            "<enable xmlns='urn:xmpp:sm:3'/>",
        ),
        (
            SmElement::Ack { h: 42 },
            "<a xmlns='urn:xmpp:sm:3' h='42'/>",
        ),
        (SmElement::Request, "<r xmlns='urn:xmpp:sm:3'/>"),
        (
            SmElement::Resume {
                previd: "id".into(),
                h: 7,
            },
            "<resume xmlns='urn:xmpp:sm:3' h='7' previd='id'/>",
        ),
        (
            SmElement::Failed {
                h: None,
                condition: Some(Condition::FeatureNotImplemented),
            },
            "<failed xmlns='urn:xmpp:sm:3'><feature-not-implemented \
             xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>",
        ),
    ];
    for (value, xml) in cases {
        assert_eq!(written(|w| value.write_to(w)), xml);
    }
}

#[test]
fn resume_accepts_both_boolean_spellings() {
    // XEP-0198 §3 and §5: "true" or "1" (and "false" or "0").
    for (value, resume) in [("true", true), ("1", true), ("false", false), ("0", false)] {
        let xml = format!("<enable xmlns='urn:xmpp:sm:3' resume='{value}'/>");
        assert_eq!(sm(&xml), Ok(SmElement::Enable { resume, max: None }));
        let xml = format!("<enabled xmlns='urn:xmpp:sm:3' id='x' resume='{value}'/>");
        assert!(
            matches!(sm(&xml), Ok(SmElement::Enabled { resume: r, .. }) if r == resume),
            "{xml}"
        );
    }
    assert_eq!(
        sm("<enable xmlns='urn:xmpp:sm:3' resume='yes'/>"),
        Err(ElementError::InvalidAttribute {
            element: "enable",
            attribute: "resume",
            value: "yes".into(),
        })
    );
}

#[test]
fn h_is_an_unsigned_int() {
    assert_eq!(
        sm("<a xmlns='urn:xmpp:sm:3' h='4294967295'/>"),
        Ok(SmElement::Ack { h: u32::MAX })
    );
    for bad in ["-1", "4294967296", "ten", "", "0x1", "1.0"] {
        let xml = format!("<a xmlns='urn:xmpp:sm:3' h='{bad}'/>");
        let error = sm(&xml).unwrap_err();
        assert_eq!(
            error,
            ElementError::InvalidAttribute {
                element: "a",
                attribute: "h",
                value: bad.into(),
            }
        );
        assert_eq!(error.stream_condition(), StreamCondition::BadFormat);
        let xml = format!("<resume xmlns='urn:xmpp:sm:3' previd='p' h='{bad}'/>");
        assert!(sm(&xml).is_err(), "{xml}");
        let xml = format!("<failed xmlns='urn:xmpp:sm:3' h='{bad}'/>");
        assert!(sm(&xml).is_err(), "{xml}");
    }
}

#[test]
fn required_attributes() {
    let missing = |element, attribute| Err(ElementError::MissingAttribute { element, attribute });
    assert_eq!(sm("<a xmlns='urn:xmpp:sm:3'/>"), missing("a", "h"));
    assert_eq!(
        sm("<resume xmlns='urn:xmpp:sm:3' h='1'/>"),
        missing("resume", "previd")
    );
    assert_eq!(
        sm("<resumed xmlns='urn:xmpp:sm:3' previd='x'/>"),
        missing("resumed", "h")
    );
}

#[test]
fn sm_ids_longer_than_4000_bytes_are_refused() {
    // XEP-0198 §5: an SM-ID SHOULD NOT be longer than 4000 bytes.
    let longest = "é".repeat(MAX_SM_ID_BYTES / 2);
    let xml = format!("<enabled xmlns='urn:xmpp:sm:3' id='{longest}' resume='1'/>");
    assert!(sm(&xml).is_ok());
    let too_long = format!("{longest}x");
    let xml = format!("<enabled xmlns='urn:xmpp:sm:3' id='{too_long}' resume='1'/>");
    let Err(ElementError::InvalidAttribute {
        element: "enabled",
        attribute: "id",
        value,
    }) = sm(&xml)
    else {
        panic!("an invalid id");
    };
    // The error quotes only the beginning.
    assert_eq!(value.len(), 256);
    for name in ["resume", "resumed"] {
        let xml = format!("<{name} xmlns='urn:xmpp:sm:3' h='0' previd='{too_long}'/>");
        assert!(
            matches!(
                sm(&xml),
                Err(ElementError::InvalidAttribute {
                    attribute: "previd",
                    ..
                })
            ),
            "{name}"
        );
    }
}

#[test]
fn max_is_a_positive_integer() {
    assert_eq!(
        sm("<enable xmlns='urn:xmpp:sm:3' resume='true' max='0300'/>"),
        Ok(SmElement::Enable {
            resume: true,
            max: Some(300),
        })
    );
    // xs:positiveInteger has no upper bound: valid, and read as the most.
    assert_eq!(
        sm("<enable xmlns='urn:xmpp:sm:3' max='99999999999999'/>"),
        Ok(SmElement::Enable {
            resume: false,
            max: Some(u32::MAX),
        })
    );
    for bad in ["0", "-300", "5min"] {
        let xml = format!("<enabled xmlns='urn:xmpp:sm:3' max='{bad}'/>");
        assert!(sm(&xml).is_err(), "{bad}");
    }
}

#[test]
fn enabled_resume_without_id_is_read() {
    // §5 requires an id with resume; the value says what the server sent,
    // and the caller treats the session as not resumable.
    assert_eq!(
        sm("<enabled xmlns='urn:xmpp:sm:3' resume='true'/>"),
        Ok(SmElement::Enabled {
            id: None,
            resume: true,
            max: None,
            location: None,
        })
    );
}

#[test]
fn failed_conditions() {
    assert_eq!(
        sm("<failed xmlns='urn:xmpp:sm:3'/>"),
        Ok(SmElement::Failed {
            h: None,
            condition: None
        })
    );
    // A condition outside RFC 6120 is kept by name; unknown namespaces and
    // texts are skipped.
    let failed = sm("<failed xmlns='urn:xmpp:sm:3'><x xmlns='urn:example'/>\
         <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>expired</text>\
         <payment-required xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
    assert_eq!(
        failed,
        Ok(SmElement::Failed {
            h: None,
            condition: Some(Condition::Other("payment-required".into())),
        })
    );
    assert_round_trip(&failed.unwrap());
    let gone = SmElement::Failed {
        h: Some(1),
        condition: Some(Condition::Gone(Some("xmpp:example.net".into()))),
    };
    assert_round_trip(&gone);
}

#[test]
fn unknown_and_feature_elements_in_the_sm_namespace() {
    // <sm/> is the feature, not a top-level element; XEP-0198 1.x had <t/>.
    for xml in ["<sm xmlns='urn:xmpp:sm:3'/>", "<t xmlns='urn:xmpp:sm:3'/>"] {
        let error = sm(xml).unwrap_err();
        assert!(matches!(error, ElementError::Unexpected { .. }), "{xml}");
        assert_eq!(
            Nonza::from_element(element(xml).root()),
            Some(Err(error)),
            "{xml}"
        );
    }
    // Version 2 is not this namespace, so not a nonza of this crate.
    assert_eq!(
        Nonza::from_element(element("<r xmlns='urn:xmpp:sm:2'/>").root()),
        None
    );
}

#[test]
fn handled_count_too_high_stream_error() {
    // XEP-0198 §6 example.
    let found = elements(
        "<stream:error>
           <undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>
           <handled-count-too-high xmlns='urn:xmpp:sm:3' h='10' send-count='8'/>
           <text xml:lang='en' xmlns='urn:ietf:params:xml:ns:xmpp-streams'>
             You acknowledged 10 stanzas, but I only sent you 8 so far.
           </text>
         </stream:error>",
    );
    let context = StreamContext::new(ContentNamespace::Client);
    let error = StreamError::from_element(found[0].root(), &context).unwrap();
    assert_eq!(error.condition, StreamCondition::UndefinedCondition);
    let app = error.app.as_ref().unwrap();
    let expected = HandledCountTooHigh {
        h: 10,
        send_count: 8,
    };
    assert_eq!(HandledCountTooHigh::from_element(app.root()), Ok(expected));
    assert_eq!(
        written(|w| expected.write_to(w)),
        "<handled-count-too-high xmlns='urn:xmpp:sm:3' h='10' send-count='8'/>"
    );
    // As the application condition of a stream error the machine sends.
    let sent =
        StreamError::new(StreamCondition::UndefinedCondition).with_app(expected.to_element());
    let wire = written(|w| sent.write_to(w));
    let read = StreamError::from_element(element(&wire).root(), &context).unwrap();
    let app = read.app.unwrap();
    assert_eq!(HandledCountTooHigh::from_element(app.root()), Ok(expected));
    let partial = element("<handled-count-too-high xmlns='urn:xmpp:sm:3' h='10'/>");
    assert_eq!(
        HandledCountTooHigh::from_element(partial.root()),
        Err(ElementError::MissingAttribute {
            element: "handled-count-too-high",
            attribute: "send-count",
        })
    );
}
