//! A client that stops reading cannot make the server's memory grow: past
//! the output limit the stream ends with `policy-violation` and the caller
//! gets back what was not delivered.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail loudly

use stanzio_jid::Jid;
use stanzio_stanza::Message;
use stanzio_stream::testing::{Accounts, Pair, TestRng};
use stanzio_stream::{ClientConfig, PeerError, ServerCallError, ServerConfig, ServerEvent};

#[test]
fn the_output_queue_has_a_limit() {
    for sm in [true, false] {
        let client = ClientConfig::new(
            "juliet@capulet.lit/balcony".parse().unwrap(),
            "r0m30",
            TestRng(1),
        );
        let mut server =
            ServerConfig::new(["capulet.lit"], b"s".to_vec()).with_max_pending_output(8 * 1024);
        if !sm {
            server = server.with_stream_management(None);
        }
        let mut pair = Pair::new(client, server, Accounts::new(&[("juliet", "r0m30")]));
        pair.drive();
        assert!(pair.is_online());
        pair.client_reads = false;
        let to: Jid = "juliet@capulet.lit/balcony".parse().unwrap();
        let mut sent = 0;
        let mut refused = None;
        for i in 0..10_000 {
            // The adapter keeps nothing: whatever the server writes stays
            // in its outbox, as with a socket whose buffer is full.
            match pair
                .server
                .send(Message::chat(to.clone(), format!("message number {i}")))
            {
                Ok(()) => sent += 1,
                Err(error) => {
                    refused = Some(error);
                    break;
                }
            }
        }
        assert_eq!(refused, Some(ServerCallError::Closed), "sm={sm}");
        assert!(sent < 1000, "the limit bounds what is accepted: {sent}");
        assert_eq!(pair.server.error(), Some(&PeerError::OutputOverflow));
        let handed_back = std::iter::from_fn(|| pair.server.poll_event()).find_map(|e| match e {
            ServerEvent::Disconnected {
                resumption,
                undelivered,
                ..
            } => Some(resumption.map_or(0, |r| r.unacked.len()) + undelivered.len()),
            _ => None,
        });
        let handed_back = handed_back.expect("a Disconnected event");
        if sm {
            assert_eq!(handed_back, sent, "with SM every stanza is accounted for");
        } else {
            assert!(handed_back >= 1, "at least the one that overflowed");
        }
    }
}
