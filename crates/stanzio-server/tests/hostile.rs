//! Hostile clients over loopback, one per test: an endless stanza, deep
//! nesting, a client that never reads, a slowloris, a login brute force.
//! After each the server is still up and two other clients log in and
//! chat, and the process's peak RSS (server and clients: they share it)
//! stays bounded. The tests take turns so that each one's peak is its
//! own; each prints its figures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use common::*;
use stanzio_im::ImEvent;
use stanzio_jid::Jid;
use stanzio_stanza::{Message, Presence, PresenceType};
use tokio::io::AsyncWriteExt;

const ALICE: (&str, &str) = ("alice", "alice's secret");
const BOB: (&str, &str) = ("bob", "bob's secret");
const MALLORY: (&str, &str) = ("mallory", "mallory's secret");

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// How much the peak RSS may grow during one attack. The server's own
/// bounds are far smaller (an element limit of 64 KiB, an output queue of
/// 1 MiB); this leaves room for the clients, TLS and the allocator.
const PEAK_GROWTH_BOUND_KIB: u64 = 64 * 1024;

/// One attack at a time, so that the peak each one reports is its own.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A server with room for the attacks: direct TLS for the raw clients,
/// a 64 KiB stanza limit, a short negotiation timeout.
async fn server() -> Harness {
    let setup = Setup::default()
        .listen("direct_tls = \"127.0.0.1:0\"")
        .listen("websocket = \"127.0.0.1:0\"")
        .limits("max_stanza_bytes = 65536")
        .limits("negotiation_seconds = 2")
        .limits("login_failures_per_minute = 5")
        .auth("mechanisms = [\"SCRAM-SHA-256\"]");
    Harness::start(&setup, &[ALICE, BOB, MALLORY]).await
}

/// Runs `attack` against a fresh server, checks the server still serves,
/// and reports the peak RSS before and after.
async fn survives(name: &str, attack: impl AsyncFnOnce(&Harness)) {
    let _turn = TURN.lock().await;
    let harness = server().await;
    let before = reset_peak_rss_kib();
    attack(&harness).await;
    harness.still_serves(ALICE, BOB).await;
    let after = peak_rss_kib();
    println!(
        "{name}: RSS {before} KiB before, peak (VmHWM) {after} KiB during and after (+{} KiB)",
        after - before
    );
    assert!(
        after - before < PEAK_GROWTH_BOUND_KIB,
        "{name}: the peak RSS grew by {} KiB",
        after - before
    );
    harness.shutdown().await;
}

/// Mallory logs in over direct TLS and hands over the socket and her
/// full JID.
async fn mallory(harness: &Harness, receive_buffer: Option<u32>) -> (TlsStream, Jid) {
    match raw_login(
        harness.direct_tls(),
        LOCALHOST,
        receive_buffer,
        &harness.tls,
        "mallory/raw",
        MALLORY.1,
    )
    .await
    {
        RawLogin::Online(stream, jid) => (*stream, jid),
        other => panic!("mallory cannot log in: {other:?}"),
    }
}

/// Writes `head`, then `unit` over and over while reading what the server
/// says, until the server closes the stream. Returns what it said and how
/// many bytes were written.
async fn flood(stream: TlsStream, head: &[u8], unit: &[u8]) -> (String, usize) {
    /// Stop here if the server never reacts.
    const CAP: usize = 64 * 1024 * 1024;
    let (mut reader, mut writer) = tokio::io::split(stream);
    let head = head.to_vec();
    let unit = unit.repeat((4096 / unit.len()).max(1));
    let writing = tokio::spawn(async move {
        let mut written = 0;
        if writer.write_all(&head).await.is_err() {
            return written;
        }
        written += head.len();
        while written < CAP {
            if writer.write_all(&unit).await.is_err() {
                break;
            }
            written += unit.len();
        }
        written
    });
    let (said, closed) = read_to_end(&mut reader, STEP).await;
    assert!(closed, "the server did not end the stream");
    let written = tokio::time::timeout(STEP, writing)
        .await
        .expect("the writer stops")
        .unwrap();
    assert!(written < CAP, "the server let {written} bytes in");
    (String::from_utf8_lossy(&said).into_owned(), written)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_stanza_ends_with_policy_violation_at_the_element_limit() {
    survives("endless stanza", async |harness: &Harness| {
        let (stream, _) = mallory(harness, None).await;
        let (said, written) = flood(
            stream,
            b"<message to='alice@localhost' type='chat'><body>",
            b"all work and no play ",
        )
        .await;
        println!("endless stanza: {written} bytes written before the server closed");
        // RFC 6120 §4.9.3.12.
        assert!(said.contains("<policy-violation"), "{said}");
        assert!(said.ends_with("</stream:stream>"), "{said}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_ends_with_policy_violation() {
    survives("deep nesting", async |harness: &Harness| {
        let (stream, _) = mallory(harness, None).await;
        let (said, written) = flood(
            stream,
            b"<message to='alice@localhost' type='chat'>",
            b"<x xmlns='urn:example:deep'>",
        )
        .await;
        println!("deep nesting: {written} bytes written before the server closed");
        assert!(said.contains("<policy-violation"), "{said}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_ended_by_its_queue_limit() {
    survives("never reads", async |harness: &Harness| {
        // A small receive buffer: the kernel holds little for Mallory.
        let (mut stream, mallory) = mallory(harness, Some(4096)).await;
        let mut bob = harness.peer("bob/flood", BOB.1).await;
        let body = "z".repeat(4 * 1024);
        let mut sent = 0;
        let deadline = tokio::time::Instant::now() + STEP;
        // Bob writes to Mallory until her connection is gone: the limit of
        // her queue ended it (stanzio-stream's server ends a stream whose
        // unacknowledged stanzas or unwritten bytes overflow with
        // policy-violation).
        while harness.server.active_connections() > 1 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "still connected after {sent} messages"
            );
            send_many(&mut bob, &mallory, 50, |_| body.clone()).await;
            sent += 50;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        println!("never reads: ended after {sent} messages of 4 KiB");
        let (_, closed) = read_to_end(&mut stream, STEP).await;
        assert!(closed);
        bob.client.close().await;
    })
    .await;
}

/// Sends `count` chat messages to `to`, as fast as the client takes them,
/// throwing away what comes back meanwhile (acknowledgements: a client
/// whose events are not taken stops reading).
async fn send_many(sender: &mut Peer, to: &Jid, count: usize, body: impl Fn(usize) -> String) {
    let deadline = tokio::time::Instant::now() + STEP;
    let mut sent = 0;
    while sent < count {
        assert!(tokio::time::Instant::now() < deadline, "sent only {sent}");
        if sender
            .client
            .send(Message::chat(to.clone(), body(sent)))
            .is_ok()
        {
            sent += 1;
        }
        while let Ok(Some(_)) =
            tokio::time::timeout(Duration::ZERO, sender.client.next_event()).await
        {}
    }
}

/// Sends `head` and then one byte of `trickle` every 200 ms, reading what
/// the server says; returns it and how long the server let it go on.
async fn slowloris<S>(stream: S, head: &[u8], trickle: u8) -> (String, Duration)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let started = tokio::time::Instant::now();
    let (mut reader, mut writer) = tokio::io::split(stream);
    let head = head.to_vec();
    let writing = tokio::spawn(async move {
        if writer.write_all(&head).await.is_err() {
            return;
        }
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(&[trickle]).await.is_err() || writer.flush().await.is_err() {
                return;
            }
        }
    });
    let (said, closed) = read_to_end(&mut reader, 3 * STEP).await;
    writing.abort();
    assert!(closed, "the slowloris is still connected");
    (
        String::from_utf8_lossy(&said).into_owned(),
        started.elapsed(),
    )
}

/// `negotiation_seconds` in [`server`].
const NEGOTIATION_TIMEOUT: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_is_ended_by_the_negotiation_timeout() {
    survives("slowloris", async |harness: &Harness| {
        // STARTTLS listener: a stream header that never ends.
        let in_header = async {
            let socket = raw_socket(LOCALHOST, harness.c2s(), None).await.unwrap();
            slowloris(
                socket,
                b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
                  xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0' id='",
                b'a',
            )
            .await
        };
        // After the header, whitespace instead of STARTTLS.
        let after_header = async {
            let socket = raw_socket(LOCALHOST, harness.c2s(), None).await.unwrap();
            slowloris(
                socket,
                b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
                  xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>",
                b' ',
            )
            .await
        };
        // Direct TLS: a ClientHello record that never completes.
        let tls_handshake = async {
            let socket = raw_socket(LOCALHOST, harness.direct_tls(), None)
                .await
                .unwrap();
            slowloris(socket, &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01], 0).await
        };
        // WebSocket: TLS, then an HTTP upgrade request that never ends.
        let websocket_upgrade = async {
            let address = harness.server.websocket.unwrap();
            let socket = raw_socket(LOCALHOST, address, None).await.unwrap();
            let connector = tokio_rustls::TlsConnector::from(harness.tls.websocket_config());
            let name = stanzio_tokio::Connector::server_name(DOMAIN).unwrap();
            let stream = connector.connect(name, socket).await.unwrap();
            slowloris(
                stream,
                b"GET /xmpp-websocket HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
                b'a',
            )
            .await
        };
        let ends = tokio::join!(in_header, after_header, tls_handshake, websocket_upgrade);
        let ends = [
            ("in the stream header", ends.0, true),
            ("after the stream header", ends.1, true),
            ("in the direct TLS handshake", ends.2, false),
            ("in the WebSocket upgrade", ends.3, false),
        ];
        for (case, (said, took), stream_error) in ends {
            println!("slowloris {case}: ended after {took:?}");
            // Let go on until the configured 2 s (counted from the
            // server's accept), then cut.
            assert!(
                (NEGOTIATION_TIMEOUT - Duration::from_millis(500)
                    ..NEGOTIATION_TIMEOUT + Duration::from_secs(3))
                    .contains(&took),
                "{case}: {took:?}"
            );
            // Where there is a stream: RFC 6120 §4.9.3.4.
            if stream_error {
                assert!(said.contains("<connection-timeout"), "{case}: {said}");
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_brute_force_is_throttled_per_address() {
    survives("brute force", async |harness: &Harness| {
        // Mallory guesses from 127.0.0.2, one guess per connection; the
        // checks after the attack come from 127.0.0.1.
        let attacker = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        let mut failures = 0;
        let refusal = loop {
            let guess = format!("guess {failures}");
            match raw_login(
                harness.direct_tls(),
                attacker,
                None,
                &harness.tls,
                "alice",
                &guess,
            )
            .await
            {
                RawLogin::Failed(error) if not_authorized(&error) => failures += 1,
                RawLogin::Refused(error) => break error,
                other => panic!("unexpected: {other:?}"),
            }
            assert!(
                failures <= 5,
                "{failures} failed logins and still not throttled"
            );
        };
        println!("brute force: refused after {failures} failures ({refusal})");
        // `login_failures_per_minute = 5`.
        assert_eq!(failures, 5);
        // Even the right password: the address waits.
        assert!(matches!(
            raw_login(
                harness.direct_tls(),
                attacker,
                None,
                &harness.tls,
                "alice",
                ALICE.1
            )
            .await,
            RawLogin::Refused(_)
        ));
        // Other addresses are not affected: a right password from
        // 127.0.0.1 works (and still_serves chats from there).
        assert!(matches!(
            raw_login(
                harness.direct_tls(),
                LOCALHOST,
                None,
                &harness.tls,
                "alice",
                ALICE.1
            )
            .await,
            RawLogin::Online(..)
        ));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_session_does_not_collect_stanzas_without_bound() {
    survives("dropped session flooded", async |harness: &Harness| {
        // Mallory's session is available and resumable...
        let (mut stream, mallory) = mallory(harness, None).await;
        stream.write_all(b"<presence/>").await.unwrap();
        stream.flush().await.unwrap();
        let mut watcher = harness.peer("mallory/watcher", MALLORY.1).await;
        watcher.im.send_presence(Presence::available());
        watcher.flush();
        watcher
            .until(
                "the raw session's presence",
                |e| matches!(e, ImEvent::Presence(p) if p.from.as_ref() == Some(&mallory)),
            )
            .await;
        // ... and its connection drops: the server keeps it for
        // resumption (XEP-0198 §5) and collects what comes for it.
        drop(stream);
        // Bob sends more than a resumed session could take.
        let mut bob = harness.peer("bob/flood", BOB.1).await;
        let count = stanzio_server::hub::MAX_DETACHED_STANZAS + 100;
        send_many(&mut bob, &mallory, count, |n| format!("message {n}")).await;
        // The kept session ended early: its unavailable presence went out
        // (RFC 6121 §4.5.2) instead of the stanzas piling up for the
        // whole resumption window.
        watcher
            .until("the raw session going unavailable", |e| {
                matches!(e, ImEvent::Presence(p)
                    if p.from.as_ref() == Some(&mallory) && p.type_ == PresenceType::Unavailable)
            })
            .await;
        println!("dropped session flooded: ended after {count} stanzas were sent to it");
        watcher.client.close().await;
        bob.client.close().await;
    })
    .await;
}
