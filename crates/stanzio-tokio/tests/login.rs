//! Logins over real loopback TCP and TLS against a server built from the
//! accept helpers: every SCRAM hash with and without `-PLUS`, on TLS 1.2
//! and 1.3, STARTTLS and direct TLS.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // tests fail loudly

mod common;

use common::*;
use rustls::version::{TLS12, TLS13};
use stanzio_sasl::{ChannelBindingType, HashAlgorithm, Mechanism, TlsVersion};
use stanzio_stream::ClientEvent;
use stanzio_tokio::testing::{ServerLog, TestPki};
use stanzio_tokio::{Endpoint, Event};

/// The mechanism and binding the client reported.
async fn authenticated(
    client: &mut stanzio_tokio::Client,
) -> (Mechanism, Option<ChannelBindingType>) {
    let (event, _) = until(client, |e| {
        matches!(e, Event::Stream(ClientEvent::Authenticated { .. }))
    })
    .await;
    match event {
        Event::Stream(ClientEvent::Authenticated {
            mechanism,
            channel_binding,
        }) => (mechanism, channel_binding),
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scram_hash_with_and_without_plus_on_tls_12_and_13() {
    let pki = pki();
    for hash in HashAlgorithm::STRONGEST_FIRST {
        for plus in [true, false] {
            let server = server(&pki, config_with(vec![Mechanism::scram(hash, plus)])).await;
            for (version, versions) in [(TlsVersion::Tls12, &TLS12), (TlsVersion::Tls13, &TLS13)] {
                let what = format!("{hash:?} plus={plus} {version:?}");
                let mut client = connect(
                    "juliet@localhost/balcony",
                    "r0m30",
                    starttls(&server),
                    pki.connector_with(&[versions]),
                )
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(client.jid().as_str(), "juliet@localhost/balcony", "{what}");
                let (mechanism, binding) = authenticated(&mut client).await;
                assert_eq!(mechanism, Mechanism::scram(hash, plus), "{what}");
                // -PLUS binds with tls-exporter on both versions (TLS 1.2
                // with the extended master secret, which both sides require).
                let expected = plus.then_some(ChannelBindingType::TlsExporter);
                assert_eq!(binding, expected, "{what}");
                let negotiated = client.with_connection(|c| c.tls().map(|t| t.version));
                assert_eq!(negotiated, Some(version), "{what}");
                client.close().await;
            }
            let logins: Vec<_> = server
                .log()
                .into_iter()
                .filter_map(|entry| match entry {
                    ServerLog::Authenticated { mechanism, .. } => Some(mechanism),
                    _ => None,
                })
                .collect();
            assert_eq!(logins, vec![Mechanism::scram(hash, plus); 2]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_server_end_point_binds_with_the_certificate_hash() {
    // P-256 certificates hash with SHA-256, P-384 ones with SHA-384 (RFC
    // 5929 §4.1); a wrong hash on either side fails the -PLUS login.
    for algorithm in [
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
    ] {
        let pki = TestPki::with_algorithm(&[DOMAIN], algorithm);
        let acceptor = pki
            .server_settings()
            .with_channel_bindings(&[ChannelBindingType::TlsServerEndPoint])
            .build()
            .unwrap();
        let config = config_with(vec![Mechanism::scram(HashAlgorithm::Sha256, true)]);
        let server = stanzio_tokio::testing::TestServer::builder(DOMAIN, acceptor)
            .user("juliet", "r0m30")
            .config(config)
            .start()
            .await;
        for versions in [&TLS12, &TLS13] {
            let mut client = connect(
                "juliet@localhost",
                "r0m30",
                starttls(&server),
                pki.connector_with(&[versions]),
            )
            .await
            .unwrap();
            let (mechanism, binding) = authenticated(&mut client).await;
            assert_eq!(mechanism, Mechanism::scram(HashAlgorithm::Sha256, true));
            assert_eq!(binding, Some(ChannelBindingType::TlsServerEndPoint));
            client.close().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_tls_logs_in_with_plus() {
    let pki = pki();
    let server = server(
        &pki,
        config_with(vec![Mechanism::scram(HashAlgorithm::Sha512, true)]),
    )
    .await;
    let endpoint = Endpoint::direct_tls("127.0.0.1", server.direct_tls.port());
    let mut client = connect("romeo@localhost", "jul13t", endpoint, pki.connector())
        .await
        .unwrap();
    let (mechanism, binding) = authenticated(&mut client).await;
    assert_eq!(mechanism, Mechanism::scram(HashAlgorithm::Sha512, true));
    assert_eq!(binding, Some(ChannelBindingType::TlsExporter));
    assert!(client.jid().as_str().starts_with("romeo@localhost/"));
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused_as_permission_denied() {
    // Without -PLUS: with it, the client cannot tell a wrong password from
    // a failed channel binding and reports the latter.
    let pki = pki();
    let server = server(
        &pki,
        config_with(vec![Mechanism::scram(HashAlgorithm::Sha256, false)]),
    )
    .await;
    let error = connect(
        "juliet@localhost",
        "wrong",
        starttls(&server),
        pki.connector(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            stanzio_tokio::Error::Connection(
                stanzio_stream::ConnectionError::AuthenticationFailed(_)
            )
        ),
        "{error}"
    );
    assert_eq!(
        std::io::Error::from(error).kind(),
        std::io::ErrorKind::PermissionDenied
    );
    assert!(server.online().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_required_ems_tls_12_binds_with_the_server_end_point() {
    // A rustls configuration of the caller's that does not require the
    // extended master secret: on TLS 1.2 the adapter cannot know it was
    // negotiated, so tls-exporter is not offered (RFC 9266 §2) and -PLUS
    // binds with tls-server-end-point; TLS 1.3 still uses tls-exporter.
    let pki = pki();
    let server = server(
        &pki,
        config_with(vec![Mechanism::scram(HashAlgorithm::Sha256, true)]),
    )
    .await;
    for (versions, expected) in [
        (&TLS12, ChannelBindingType::TlsServerEndPoint),
        (&TLS13, ChannelBindingType::TlsExporter),
    ] {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[versions])
            .unwrap()
            .with_root_certificates(pki.roots())
            .with_no_client_auth();
        assert!(!config.require_ems);
        let connector = stanzio_tokio::Connector::from_rustls(std::sync::Arc::new(config));
        let mut client = connect("juliet@localhost", "r0m30", starttls(&server), connector)
            .await
            .unwrap();
        let (_, binding) = authenticated(&mut client).await;
        assert_eq!(binding, Some(expected), "{versions:?}");
        client.close().await;
    }
}
