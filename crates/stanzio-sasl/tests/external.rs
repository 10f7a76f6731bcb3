//! EXTERNAL (RFC 4422 Appendix A): offered only with a client certificate the TLS adapter
//! verified, and never a success until the caller has accepted whom the certificate
//! stands for.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::TestRng;
use stanzio_sasl::*;

const CERT: &[u8] = b"0\x82 juliet's certificate (DER)";

fn config() -> ServerConfig {
    let mut config = ServerConfig::new(*b"secret");
    config.mechanisms.push(Mechanism::External);
    config
}

fn tls(certificate: Option<ClientCertificate>) -> TlsInfo {
    let tls = TlsInfo::new(TlsVersion::Tls13);
    match certificate {
        Some(c) => tls.with_client_certificate(c),
        None => tls,
    }
}

#[test]
fn external_is_offered_only_with_a_verified_client_certificate() {
    let config = config();
    for (certificate, offered) in [
        (None, false),
        (Some(ClientCertificate::unverified(CERT)), false),
        (Some(ClientCertificate::verified(CERT)), true),
    ] {
        let tls = tls(certificate.clone());
        let offer = config.offer(Some(&tls));
        assert_eq!(
            offer.offers(Mechanism::External),
            offered,
            "{certificate:?}"
        );
        // An offer that lists EXTERNAL anyway (built by hand) does not get it started.
        let mut forged = offer.clone();
        forged.mechanisms.push("EXTERNAL".to_owned());
        let started =
            ServerMechanism::new(&config, &forged, Some(&tls), "EXTERNAL", &mut TestRng(1));
        assert_eq!(started.is_ok(), offered, "{certificate:?}");
        if let Err(failure) = started {
            assert_eq!(failure.condition, SaslCondition::InvalidMechanism);
        }
    }
    assert!(!config.offer(None).offers(Mechanism::External));
}

fn external_server() -> ServerMechanism {
    let config = config();
    let tls = tls(Some(ClientCertificate::verified(CERT)));
    let offer = config.offer(Some(&tls));
    ServerMechanism::new(&config, &offer, Some(&tls), "EXTERNAL", &mut TestRng(1)).unwrap()
}

#[test]
fn external_needs_the_callers_acceptance_of_the_certificate() {
    let mut server = external_server();
    let step = server.handle_response(b"juliet@capulet.lit").unwrap();
    assert_eq!(
        step,
        ServerStep::CertificateIdentityNeeded {
            certificate: ClientCertificate::verified(CERT),
            authzid: Some("juliet@capulet.lit".to_owned()),
        }
    );
    // Nothing else moves it on.
    assert!(server.handle_response(b"").is_err());
    assert!(server.provide_credentials(None).is_err());
    assert_eq!(
        server.accept_certificate_identity("juliet").unwrap(),
        ServerStep::Success {
            identity: Identity {
                mechanism: Mechanism::External,
                authcid: Some("juliet".to_owned()),
                authzid: Some("juliet@capulet.lit".to_owned()),
            },
            additional_data: None,
        }
    );
    assert_eq!(
        server.accept_certificate_identity("juliet"),
        Err(ServerError::OutOfOrder {
            call: "accept_certificate_identity"
        })
    );
}

#[test]
fn external_refused_by_the_caller_is_a_failure() {
    let mut server = external_server();
    let step = server.handle_response(b"").unwrap();
    assert!(matches!(
        step,
        ServerStep::CertificateIdentityNeeded { authzid: None, .. }
    ));
    let failure = server.abort(SaslCondition::NotAuthorized, "unknown certificate");
    assert_eq!(failure.condition, SaslCondition::NotAuthorized);
    assert!(server.accept_certificate_identity("juliet").is_err());
}

#[test]
fn accepting_a_certificate_is_refused_for_other_mechanisms() {
    let config = config();
    let tls = tls(Some(ClientCertificate::verified(CERT)));
    let offer = config.offer(Some(&tls));
    let mut server =
        ServerMechanism::new(&config, &offer, Some(&tls), "PLAIN", &mut TestRng(1)).unwrap();
    assert!(server.accept_certificate_identity("juliet").is_err());
    assert!(matches!(
        server.handle_response(b"\0juliet\0pw").unwrap(),
        ServerStep::CredentialsNeeded { .. }
    ));
    assert!(server.accept_certificate_identity("juliet").is_err());
}
