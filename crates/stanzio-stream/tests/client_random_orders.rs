//! Random interleavings of what the application does (send), what the
//! server does (deliver a stanza, ask for an ack) and time passing: in any
//! order, every stanza arrives once and in order on each side, every sent
//! stanza is acknowledged exactly once, and acks count right.
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

use common::{Harness, Shape, Split, cheap_client_config};
use proptest::prelude::*;
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::ClientEvent;

#[derive(Debug, Clone)]
enum Op {
    Send,
    Deliver,
    AckRequest,
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Send),
        3 => Just(Op::Deliver),
        1 => Just(Op::AckRequest),
        2 => (0u64..20_000).prop_map(Op::Advance),
    ]
}

fn id_of(xml: &str) -> Option<&str> {
    xml.split(" id='").nth(1)?.split('\'').next()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_interleaving_delivers_everything_once_in_order(
        ops in proptest::collection::vec(op(), 1..60),
        pieces in proptest::collection::vec(1usize..50, 1..8),
    ) {
        let mut harness = Harness::online(cheap_client_config(1), Shape::prosody().with_iterations(1));
        harness.split = Split::Pieces(pieces);
        let (mut sent, mut delivered) = (0usize, 0usize);
        for op in &ops {
            match op {
                Op::Send => {
                    let message = Message::chat("bob@localhost".parse().unwrap(), "x")
                        .with_id(format!("c{sent}"));
                    harness.client.send(message).unwrap();
                    sent += 1;
                    harness.drive();
                }
                Op::Deliver => {
                    harness.inject(&format!(
                        "<message from='bob@localhost/x' type='chat' id='s{delivered}'><body>y</body></message>"
                    ));
                    delivered += 1;
                }
                Op::AckRequest => harness.inject("<r xmlns='urn:xmpp:sm:3'/>"),
                Op::Advance(ms) => harness.advance(Duration::from_millis(*ms)),
            }
        }
        // Let the ack timer run, and ask once more.
        harness.advance(Duration::from_secs(10));
        harness.inject("<r xmlns='urn:xmpp:sm:3'/>");
        prop_assert!(!harness.disconnected(), "{:#?}", harness.events);

        let to_server: Vec<&str> = harness
            .server
            .received
            .iter()
            .filter(|xml| xml.starts_with("<message"))
            .filter_map(|xml| id_of(xml))
            .collect();
        let expected_sent: Vec<String> = (0..sent).map(|n| format!("c{n}")).collect();
        prop_assert_eq!(&to_server, &expected_sent);

        let to_client: Vec<&str> = harness.stanzas().iter().filter_map(|s| s.id()).collect();
        let expected_delivered: Vec<String> = (0..delivered).map(|n| format!("s{n}")).collect();
        prop_assert_eq!(&to_client, &expected_delivered);

        let acked: Vec<&str> = harness
            .events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Acked(Stanza::Message(m)) => m.id.as_deref(),
                _ => None,
            })
            .collect();
        prop_assert_eq!(&acked, &expected_sent);
        prop_assert_eq!(harness.client.stream_management(), Some((true, 0)));

        // The client's h never goes back and ends at what it received
        // (the server's liveness pings are none: it sends none).
        prop_assert!(harness.server.acks.windows(2).all(|w| w[0] <= w[1]));
        prop_assert_eq!(harness.server.acks.last().copied(), Some(delivered as u32));
    }
}
