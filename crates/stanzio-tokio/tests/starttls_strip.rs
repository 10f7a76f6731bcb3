//! A man in the middle strips `<starttls/>` from the server's features:
//! the client ends the connection before any credential leaves (RFC 6120
//! §5.3.1, RFC 7590), and reports it as such.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // tests fail loudly

mod common;

use common::*;
use stanzio_stream::ConnectionError;
use stanzio_tokio::Endpoint;
use stanzio_tokio::testing::{TamperProxy, TestServer, strip_starttls};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripped_starttls_is_refused_before_credentials_leave() {
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let proxy = TamperProxy::start(server.starttls, Box::new(strip_starttls)).await;
    let error = connect(
        "juliet@localhost",
        "r0m30",
        Endpoint::starttls("127.0.0.1", proxy.address.port()),
        pki.connector(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            stanzio_tokio::Error::Connection(ConnectionError::TlsNotOffered)
        ),
        "{error:?}"
    );
    let sent = String::from_utf8(proxy.client_sent()).unwrap();
    assert!(sent.contains("<stream:stream"), "{sent}");
    assert!(!sent.contains("<auth"), "{sent}");
    assert!(!sent.contains("juliet"), "the account name leaked: {sent}");
    assert!(!sent.contains("r0m30"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_untampered_path_logs_in() {
    // The same proxy without tampering: the refusal above is the
    // stripping's doing, not the proxy's.
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let proxy = TamperProxy::start(server.starttls, Box::new(|b: &[u8]| b.to_vec())).await;
    let client = connect(
        "juliet@localhost",
        "r0m30",
        Endpoint::starttls("127.0.0.1", proxy.address.port()),
        pki.connector(),
    )
    .await
    .unwrap();
    client.close().await;
}
