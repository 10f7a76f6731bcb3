//! The server's limit on unacknowledged stanzas (XEP-0198) catches a
//! client that does not keep up, not a burst it could not have answered
//! yet: past the limit the client gets one `<r/>` and the ping timeout to
//! acknowledge; twice the limit ends the stream at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail loudly

use std::time::Duration;

use stanzio_jid::Jid;
use stanzio_stanza::Message;
use stanzio_stream::testing::{Accounts, Pair, TestRng};
use stanzio_stream::{ClientConfig, PeerError, ServerConfig};

/// The limit (stanzio-stream's server keeps at most 1000 unacknowledged).
const LIMIT: usize = 1000;
const ANSWER: Duration = Duration::from_secs(30);

/// An online pair with stream management, whose server's output limit is
/// out of the way.
fn pair() -> Pair {
    let client = ClientConfig::new(
        "juliet@capulet.lit/balcony".parse().unwrap(),
        "r0m30",
        TestRng(1),
    );
    let server = ServerConfig::new(["capulet.lit"], b"s".to_vec())
        .with_max_pending_output(64 * 1024 * 1024)
        .with_idle_timeout(Duration::from_secs(300), ANSWER);
    let mut pair = Pair::new(client, server, Accounts::new(&[("juliet", "r0m30")]));
    pair.drive();
    assert!(pair.is_online());
    pair
}

fn burst(pair: &mut Pair, count: usize) {
    let to: Jid = "juliet@capulet.lit/balcony".parse().unwrap();
    for i in 0..count {
        pair.server
            .send(Message::chat(to.clone(), format!("bounce {i}")))
            .unwrap();
    }
}

#[test]
fn a_burst_past_the_limit_is_acknowledged_and_the_stream_goes_on() {
    let mut pair = pair();
    burst(&mut pair, LIMIT + 200);
    assert_eq!(pair.server.error(), None);
    pair.drive();
    pair.advance(ANSWER * 2);
    assert_eq!(pair.server.error(), None, "the client acknowledged in time");
    assert!(pair.is_online());
}

#[test]
fn a_client_that_does_not_acknowledge_a_burst_is_ended_after_the_ping_timeout() {
    let mut pair = pair();
    pair.client_reads = false;
    burst(&mut pair, LIMIT + 1);
    assert_eq!(pair.server.error(), None);
    pair.advance(ANSWER - Duration::from_secs(1));
    assert_eq!(pair.server.error(), None);
    pair.advance(Duration::from_secs(2));
    assert_eq!(pair.server.error(), Some(&PeerError::OutputOverflow));
}

#[test]
fn twice_the_limit_ends_the_stream_at_once() {
    let mut pair = pair();
    pair.client_reads = false;
    burst(&mut pair, 2 * LIMIT);
    assert_eq!(pair.server.error(), None);
    let to: Jid = "juliet@capulet.lit/balcony".parse().unwrap();
    pair.server.send(Message::chat(to, "one more")).unwrap();
    assert_eq!(pair.server.error(), Some(&PeerError::OutputOverflow));
}
