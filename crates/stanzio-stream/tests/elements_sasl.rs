//! SASL (RFC 6120 §6.4) and STARTTLS (§5.4) elements: the RFC examples,
//! the exchange recorded with Prosody (tests/data/prosody-alice-*.xml),
//! base64 edge cases and the answers to malformed elements.
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
use stanzio_sasl::SaslCondition;
use stanzio_stanza::StreamCondition;
use stanzio_stream::elements::sasl::{FailureCondition, SaslElement, SaslFailure};
use stanzio_stream::elements::tls::TlsElement;
use stanzio_stream::elements::{ElementError, Nonza};

fn sasl(xml: &str) -> Result<SaslElement, ElementError> {
    SaslElement::from_element(element(xml).root())
}

fn assert_round_trip(value: &SaslElement) {
    let wire = written(|w| value.write_to(w));
    assert_eq!(sasl(&wire).as_ref(), Ok(value), "{wire}");
}

#[test]
fn recorded_prosody_scram_exchange() {
    // tests/data/prosody-alice-c2s.xml and -s2c.xml: the client's elements
    // use double quotes, the server's single ones.
    let auth = sasl(
        "<auth xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\" mechanism=\"SCRAM-SHA-1\">\
         eSwsbj1hbGljZSxyPTkxNjUzOTg0OTI3Mjc2MTM=</auth>",
    );
    assert_eq!(
        auth,
        Ok(SaslElement::Auth {
            mechanism: "SCRAM-SHA-1".into(),
            initial_response: Some(b"y,,n=alice,r=9165398492727613".to_vec()),
        })
    );
    let challenge = sasl(
        "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>cj05MTY1Mzk4NDkyNzI3NjEzODg5OGM4Yj\
         gtMzBiYi00Njg2LTgwOTMtYjJlMjc4M2ViYjAyLHM9WkRCa1pEaGpOek10WVRabFlpMDBNV1F3TFdJeE0yRXRN\
         MlprWVdSaU5UQTFNV1ptLGk9MTAwMDA=</challenge>",
    );
    assert_eq!(
        challenge,
        Ok(SaslElement::Challenge(
            b"r=91653984927276138898c8b8-30bb-4686-8093-b2e2783ebb02,\
              s=ZDBkZDhjNzMtYTZlYi00MWQwLWIxM2EtM2ZkYWRiNTA1MWZm,i=10000"
                .to_vec()
        ))
    );
    let response = sasl(
        "<response xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\">Yz1lU3dzLHI9OTE2NTM5ODQ5MjcyNzYxMzg\
         4OThjOGI4LTMwYmItNDY4Ni04MDkzLWIyZTI3ODNlYmIwMixwPVpOYzFkNHpuUTZJSTJjcTB2bTB0emkvODhkc\
         z0=</response>",
    );
    assert_eq!(
        response,
        Ok(SaslElement::Response(
            b"c=eSws,r=91653984927276138898c8b8-30bb-4686-8093-b2e2783ebb02,\
              p=ZNc1d4znQ6II2cq0vm0tzi/88ds="
                .to_vec()
        ))
    );
    let success = sasl(
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dj1DTTlRWWp0TXV0ZjZBWWxINWhqSTgzUk8vc1k9\
         </success>",
    );
    assert_eq!(
        success,
        Ok(SaslElement::Success(Some(
            b"v=CM9QYjtMutf6AYlH5hjI83RO/sY=".to_vec()
        )))
    );
    for element in [auth, challenge, response, success] {
        assert_round_trip(&element.unwrap());
    }
}

#[test]
fn written_as_a_client_writes_them() {
    let auth = SaslElement::Auth {
        mechanism: "SCRAM-SHA-1".into(),
        initial_response: Some(b"y,,n=alice,r=9165398492727613".to_vec()),
    };
    assert_eq!(
        written(|w| auth.write_to(w)),
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>\
         eSwsbj1hbGljZSxyPTkxNjUzOTg0OTI3Mjc2MTM=</auth>"
    );
    assert_eq!(
        written(|w| SaslElement::Abort.write_to(w)),
        "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
    );
}

#[test]
fn empty_initial_response_is_an_equals_sign() {
    // RFC 6120 §6.4.2: "=" is a zero-length initial response, an empty
    // element none at all (EXTERNAL tells them apart, RFC 6120 §9.3 step 6).
    let external = |initial_response| SaslElement::Auth {
        mechanism: "EXTERNAL".into(),
        initial_response,
    };
    assert_eq!(
        sasl("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>"),
        Ok(external(Some(Vec::new())))
    );
    assert_eq!(
        sasl("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'/>"),
        Ok(external(None))
    );
    assert_eq!(
        written(|w| external(Some(Vec::new())).write_to(w)),
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>"
    );
    assert_eq!(
        written(|w| external(None).write_to(w)),
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'/>"
    );
}

#[test]
fn success_tells_no_data_from_empty_data() {
    // RFC 6120 §6.4.6: zero-length additional data is "=".
    assert_eq!(
        sasl("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
        Ok(SaslElement::Success(None))
    );
    assert_eq!(
        sasl("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</success>"),
        Ok(SaslElement::Success(Some(Vec::new())))
    );
    assert_round_trip(&SaslElement::Success(None));
    assert_round_trip(&SaslElement::Success(Some(Vec::new())));
}

#[test]
fn empty_responses_are_empty_elements() {
    // Answering SCRAM's final challenge with nothing (RFC 6120 §6.3.10):
    // written without "=", which RFC 6120 defines only for <auth/> and
    // <success/>; "=" is read as empty all the same.
    assert_eq!(
        written(|w| SaslElement::Response(Vec::new()).write_to(w)),
        "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
    );
    for xml in [
        "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
        "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</response>",
    ] {
        assert_eq!(sasl(xml), Ok(SaslElement::Response(Vec::new())), "{xml}");
    }
    assert_eq!(
        sasl("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</challenge>"),
        Ok(SaslElement::Challenge(Vec::new()))
    );
}

#[test]
fn white_space_around_base64_is_dropped() {
    assert_eq!(
        sasl("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\n  eSws\n</response>"),
        Ok(SaslElement::Response(b"y,,".to_vec()))
    );
}

#[test]
fn bad_base64_from_the_client_is_incorrect_encoding() {
    for text in ["eSw", "eSws=", "eS ws", "eSw$", "eSx=", "===="] {
        let xml = format!("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{text}</response>");
        let error = sasl(&xml).unwrap_err();
        assert_eq!(
            error,
            ElementError::InvalidBase64 {
                element: "response"
            },
            "{text:?}"
        );
        // RFC 6120 §6.4.5, §6.5.5: a failure, and the stream stays open.
        assert_eq!(error.sasl_failure(), Some(SaslCondition::IncorrectEncoding));
    }
    let error = sasl("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%</auth>")
        .unwrap_err();
    assert_eq!(error.sasl_failure(), Some(SaslCondition::IncorrectEncoding));
    // From the server, only a stream error is possible.
    let error =
        sasl("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>%</challenge>").unwrap_err();
    assert_eq!(error.sasl_failure(), None);
    assert_eq!(error.stream_condition(), StreamCondition::BadFormat);
}

#[test]
fn auth_without_mechanism_is_invalid_mechanism() {
    let error = sasl("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>AGp1bGlldAByMG0zMA==</auth>")
        .unwrap_err();
    assert_eq!(
        error,
        ElementError::MissingAttribute {
            element: "auth",
            attribute: "mechanism",
        }
    );
    // RFC 6120 §6.5.7: "did not specify a mechanism".
    assert_eq!(error.sasl_failure(), Some(SaslCondition::InvalidMechanism));
}

#[test]
fn rfc_6120_failure_examples() {
    // §6.4.5.
    assert_eq!(
        sasl("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"),
        Ok(SaslElement::Failure(SaslFailure::new(
            SaslCondition::NotAuthorized
        )))
    );
    // §6.5.2, with a text.
    let disabled = sasl(
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><account-disabled/>\
         <text xml:lang='en'>Call 212-555-1212 for help.</text></failure>",
    );
    let expected = SaslFailure::new(SaslCondition::AccountDisabled)
        .with_text(Some("en"), "Call 212-555-1212 for help.");
    assert_eq!(disabled, Ok(SaslElement::Failure(expected.clone())));
    assert_round_trip(&SaslElement::Failure(expected));
}

#[test]
fn pretty_printed_failure_text_is_exact() {
    // RFC 6120 §6.5.2, laid out as in the RFC.
    let disabled = sasl(
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>
           <account-disabled/>
           <text xml:lang='en'>Call 212-555-1212 for help.</text>
         </failure>",
    );
    let Ok(SaslElement::Failure(failure)) = disabled else {
        panic!("a failure");
    };
    assert_eq!(failure.text.as_deref(), Some("Call 212-555-1212 for help."));
}

#[test]
fn unknown_and_missing_conditions_mean_not_authorized() {
    // RFC 6120 §6.5: an unknown condition is treated as not-authorized.
    let Ok(SaslElement::Failure(failure)) =
        sasl("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><bad-protocol/></failure>")
    else {
        panic!("a failure");
    };
    assert_eq!(
        failure.condition,
        Some(FailureCondition::Other("bad-protocol".into()))
    );
    assert_eq!(failure.effective_condition(), SaslCondition::NotAuthorized);
    assert_round_trip(&SaslElement::Failure(failure));
    // RFC 3920 §6.2 let a server leave the condition out.
    let Ok(SaslElement::Failure(failure)) =
        sasl("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
    else {
        panic!("a failure");
    };
    assert_eq!(failure.condition, None);
    assert_eq!(failure.effective_condition(), SaslCondition::NotAuthorized);
    assert_round_trip(&SaslElement::Failure(failure));
}

#[test]
fn failure_children_in_other_namespaces_are_ignored() {
    let failure = sasl(
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
         <x xmlns='urn:example:app'/><temporary-auth-failure/>\
         <text>first</text><text xml:lang='de'>zweite</text></failure>",
    );
    assert_eq!(
        failure,
        Ok(SaslElement::Failure(
            SaslFailure::new(SaslCondition::TemporaryAuthFailure).with_text(None, "first")
        ))
    );
}

#[test]
fn mechanisms_is_a_feature_not_an_exchange_element() {
    let error = sasl("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>").unwrap_err();
    assert!(
        matches!(error, ElementError::Unexpected { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.stream_condition(),
        StreamCondition::UnsupportedStanzaType
    );
}

#[test]
fn starttls_exchange() {
    // RFC 6120 §5.4.2 and the recorded sessions (Prosody's client sent
    // `<starttls xmlns="…" />`).
    let found = elements(
        "<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\" />\
         <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\
         <failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\
         <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>",
    );
    let read: Vec<_> = found
        .iter()
        .map(|e| TlsElement::from_element(e.root()))
        .collect();
    assert_eq!(
        read,
        [
            Ok(TlsElement::StartTls),
            Ok(TlsElement::Proceed),
            Ok(TlsElement::Failure),
            Ok(TlsElement::StartTls),
        ]
    );
    for tls in [
        TlsElement::StartTls,
        TlsElement::Proceed,
        TlsElement::Failure,
    ] {
        let wire = written(|w| tls.write_to(w));
        assert_eq!(
            wire,
            format!(
                "<{} xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
                tls.as_str()
            )
        );
        assert_eq!(TlsElement::from_element(element(&wire).root()), Ok(tls));
    }
    // The SASL <failure/> is not the TLS one.
    let sasl_failure = element("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    assert!(TlsElement::from_element(sasl_failure.root()).is_err());
    assert!(matches!(
        Nonza::from_element(sasl_failure.root()),
        Some(Ok(Nonza::Sasl(SaslElement::Failure(_))))
    ));
}
