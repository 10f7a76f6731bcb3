//! A server that stops answering: the liveness check (an XEP-0199 ping, or
//! `<r/>` with stream management) goes out after `ping_interval` of
//! silence, and the connection ends with `Timeout` when no answer comes
//! within `ping_timeout`; a server that answers keeps the connection.

// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{Harness, Shape, client_config};
use stanzio_stream::{ConnectionError, KeepalivePolicy};

const INTERVAL: Duration = Duration::from_secs(300);
const TIMEOUT: Duration = Duration::from_secs(60);
const SECOND: Duration = Duration::from_secs(1);

fn pings(harness: &Harness) -> usize {
    harness
        .server
        .received
        .iter()
        .filter(|s| s.contains("urn:xmpp:ping"))
        .count()
}

#[test]
fn an_unanswered_ping_times_out() {
    assert_eq!(KeepalivePolicy::default().ping_interval, Some(INTERVAL));
    assert_eq!(KeepalivePolicy::default().ping_timeout, TIMEOUT);
    let mut harness = Harness::online(
        client_config(1).with_stream_management(None),
        Shape::prosody(),
    );
    harness.server.answers_pings = false;
    harness.advance(INTERVAL - SECOND);
    assert_eq!(pings(&harness), 0);
    harness.advance(SECOND);
    assert_eq!(pings(&harness), 1, "{:?}", harness.server.received);
    let ping = &harness.server.received[0];
    assert!(
        ping.contains("type='get'") && ping.contains("to='localhost'"),
        "{ping}"
    );
    harness.advance(TIMEOUT - SECOND);
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    harness.advance(SECOND);
    assert_eq!(
        harness.disconnect_error(),
        Some(&ConnectionError::Timeout("the liveness check"))
    );
    assert!(harness.client.is_closed());
    assert_eq!(harness.client.poll_timeout(), None);
}

#[test]
fn an_answered_ping_keeps_the_connection_and_is_not_reported() {
    let mut harness = Harness::online(
        client_config(1).with_stream_management(None),
        Shape::prosody(),
    );
    harness.advance(INTERVAL * 4);
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    assert_eq!(pings(&harness), 4);
    // The answers were the client's own business.
    assert!(harness.stanzas().is_empty(), "{:#?}", harness.events);
}

#[test]
fn an_unanswered_ack_request_times_out_with_stream_management() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.server.answers_ack_requests = false;
    let requests = harness.server.ack_requests;
    harness.advance(INTERVAL);
    // With stream management the check is an <r/>, not a ping.
    assert_eq!(harness.server.ack_requests, requests + 1);
    assert_eq!(pings(&harness), 0);
    harness.advance(TIMEOUT - SECOND);
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    harness.advance(SECOND);
    assert_eq!(
        harness.disconnect_error(),
        Some(&ConnectionError::Timeout("the liveness check"))
    );
}

#[test]
fn an_answered_ack_request_keeps_the_connection() {
    let mut harness = Harness::online(client_config(1), Shape::prosody());
    harness.advance(INTERVAL * 3);
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    assert_eq!(harness.server.ack_requests, 3);
}

#[test]
fn a_server_that_never_confirms_stream_management_is_checked_with_pings() {
    // `<enable/>` went out but `<enabled/>` never came: an `<r/>` is not
    // allowed yet (XEP-0198 §4), so the check must be a ping.
    let mut harness = Harness::new(client_config(1), Shape::prosody());
    harness.server.enabled = Some(String::new());
    harness.drive();
    assert!(harness.is_online(), "{:#?}", harness.events);
    assert_eq!(harness.client.stream_management(), Some((false, 0)));
    harness.advance(INTERVAL * 3);
    assert!(!harness.disconnected(), "{:#?}", harness.events);
    assert_eq!(pings(&harness), 3);
    assert_eq!(harness.server.ack_requests, 0);
}
