//! Certificate checks: a certificate for another name, or from a CA the
//! client does not trust, ends the connection at the TLS handshake, with
//! STARTTLS and with direct TLS, before anything else is sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // tests fail loudly

mod common;

use common::*;
use rustls::CertificateError;
use stanzio_tokio::Endpoint;
use stanzio_tokio::testing::{TestPki, TestServer};

fn certificate_error(error: &stanzio_tokio::Error) -> Option<CertificateError> {
    match error.tls() {
        Some(rustls::Error::InvalidCertificate(error)) => Some(error.clone()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_name_is_refused() {
    let pki = TestPki::new(&["other.example"]);
    let server = TestServer::builder(DOMAIN, pki.acceptor())
        .user("juliet", "r0m30")
        .start()
        .await;
    for endpoint in [
        Endpoint::starttls("127.0.0.1", server.starttls.port()),
        Endpoint::direct_tls("127.0.0.1", server.direct_tls.port()),
    ] {
        let error = connect(
            "juliet@localhost",
            "r0m30",
            endpoint.clone(),
            pki.connector(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, stanzio_tokio::Error::Tls(_)),
            "{endpoint}: {error}"
        );
        assert!(
            matches!(
                certificate_error(&error),
                Some(
                    CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. }
                )
            ),
            "{endpoint}: {error:?}"
        );
        assert_eq!(
            std::io::Error::from(error).kind(),
            std::io::ErrorKind::InvalidData
        );
    }
    assert!(
        server
            .log()
            .iter()
            .all(|e| !matches!(e, stanzio_tokio::testing::ServerLog::Authenticated { .. }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_an_unknown_ca_is_refused() {
    let served = TestPki::new(&[DOMAIN]);
    let trusted = TestPki::new(&[DOMAIN]);
    let server = TestServer::builder(DOMAIN, served.acceptor())
        .user("juliet", "r0m30")
        .start()
        .await;
    let error = connect(
        "juliet@localhost",
        "r0m30",
        starttls(&server),
        trusted.connector(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        certificate_error(&error),
        Some(CertificateError::UnknownIssuer),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_roots_do_not_trust_a_private_ca() {
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let webpki_only = stanzio_tokio::ClientTlsSettings::new().build().unwrap();
    let error = connect("juliet@localhost", "r0m30", starttls(&server), webpki_only)
        .await
        .unwrap_err();
    assert_eq!(
        certificate_error(&error),
        Some(CertificateError::UnknownIssuer),
        "{error:?}"
    );
}
