//! The adapter keeps the machine's timers: a server that goes silent is
//! found out by the client's liveness check (XEP-0198 `<r/>` or XEP-0199
//! ping) within the configured time, and an answering one keeps the
//! session up across many checks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // tests fail loudly

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use stanzio_stream::{ClientEvent, ConnectionError, KeepalivePolicy};
use stanzio_tokio::testing::{TamperProxy, TestServer};
use stanzio_tokio::{Client, ConnectOptions, Endpoint, Event};

fn keepalive() -> KeepalivePolicy {
    let mut policy = KeepalivePolicy::default();
    policy.ping_interval = Some(Duration::from_millis(150));
    policy.ping_timeout = Duration::from_millis(150);
    policy
}

/// A proxy that stops passing the server's bytes once `silent` is set.
async fn muting_proxy(server: &TestServer, silent: Arc<AtomicBool>) -> TamperProxy {
    TamperProxy::start(
        server.starttls,
        Box::new(move |bytes: &[u8]| {
            if silent.load(Ordering::SeqCst) {
                Vec::new()
            } else {
                bytes.to_vec()
            }
        }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_times_out() {
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let silent = Arc::new(AtomicBool::new(false));
    let proxy = muting_proxy(&server, silent.clone()).await;
    let options = ConnectOptions::new(
        target(Endpoint::starttls("127.0.0.1", proxy.address.port())),
        pki.connector(),
    );
    let config = client_config("juliet@localhost", "r0m30").with_keepalive(keepalive());
    let mut juliet = Client::connect(config, options).await.unwrap();
    sm_enabled(&mut juliet).await;
    silent.store(true, Ordering::SeqCst);
    let started = tokio::time::Instant::now();
    let (event, _) = until(&mut juliet, |e| {
        matches!(e, Event::Stream(ClientEvent::Disconnected(_)))
    })
    .await;
    assert!(
        matches!(
            event,
            Event::Stream(ClientEvent::Disconnected(Some(ConnectionError::Timeout(_))))
        ),
        "{event:?}"
    );
    // Silence noticed after the interval, the check unanswered after the
    // timeout: well under the 10 s the helper waits.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answering_server_keeps_the_session_across_checks() {
    let pki = pki();
    let server = server(&pki, TestServer::default_config(DOMAIN)).await;
    let options = ConnectOptions::new(target(starttls(&server)), pki.connector());
    let config = client_config("juliet@localhost", "r0m30").with_keepalive(keepalive());
    let mut juliet = Client::connect(config, options).await.unwrap();
    sm_enabled(&mut juliet).await;
    // About six check intervals.
    let quiet = tokio::time::timeout(Duration::from_secs(1), juliet.next_event()).await;
    assert!(
        quiet.is_err(),
        "nothing happens on a live session: {quiet:?}"
    );
    assert!(juliet.with_connection(|c| c.is_online()));
    juliet.close().await;
    assert!(
        !server.log().iter().any(|e| matches!(
            e,
            stanzio_tokio::testing::ServerLog::Disconnected { failed: true, .. }
        )),
        "{:?}",
        server.log()
    );
}
