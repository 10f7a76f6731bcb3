//! Any split of the bytes, on either side, gives the same events and the
//! same bytes: a whole session (login, SM, messages both ways, close)
//! replayed under random splits.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail loudly

use std::cell::RefCell;
use std::rc::Rc;

use proptest::prelude::*;
use stanzio_jid::Jid;
use stanzio_stanza::Message;
use stanzio_stream::testing::{Accounts, Direction, Pair, TestRng};
use stanzio_stream::{ClientConfig, ServerConfig};

/// The events of both sides and the bytes each direction carried.
type Session = (Vec<String>, Vec<String>, Vec<u8>, Vec<u8>);

fn session(split: Vec<usize>) -> Session {
    let client = ClientConfig::new(
        "juliet@capulet.lit/balcony".parse().unwrap(),
        "r0m30",
        TestRng(1),
    );
    let server = ServerConfig::new(["capulet.lit"], b"s".to_vec());
    let mut pair = Pair::new(client, server, Accounts::new(&[("juliet", "r0m30")]));
    pair.split = split;
    let wire = Rc::new(RefCell::new((Vec::new(), Vec::new())));
    let seen = wire.clone();
    pair.tamper = Some(Box::new(move |direction, buf| {
        let mut seen = seen.borrow_mut();
        match direction {
            Direction::ToServer => seen.0.extend_from_slice(buf),
            Direction::ToClient => seen.1.extend_from_slice(buf),
        }
    }));
    pair.drive();
    for i in 0..3 {
        pair.client
            .send(Message::chat(
                "romeo@montague.lit".parse::<Jid>().unwrap(),
                format!("to romeo {i}"),
            ))
            .unwrap();
        pair.server
            .send(Message::chat(
                "juliet@capulet.lit/balcony".parse::<Jid>().unwrap(),
                format!("to juliet {i}"),
            ))
            .unwrap();
    }
    pair.drive();
    pair.client.close();
    pair.drive();
    let client_events = pair
        .client_events
        .iter()
        .map(|e| format!("{e:?}"))
        .collect();
    let server_events = pair
        .server_events
        .iter()
        .map(|e| format!("{e:?}"))
        .collect();
    let (to_server, to_client) = wire.borrow().clone();
    (client_events, server_events, to_server, to_client)
}

#[test]
fn one_byte_at_a_time_equals_all_at_once() {
    let whole = session(Vec::new());
    assert!(whole.0.iter().any(|e| e.starts_with("Online")));
    let bytewise = session(vec![1]);
    assert!(whole.1.iter().any(|e| e.starts_with("Disconnected")));
    assert_eq!(bytewise, whole);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_splits_give_the_same_session(split in proptest::collection::vec(1usize..200, 1..8)) {
        let whole = session(Vec::new());
        let other = session(split);
        prop_assert_eq!(other, whole);
    }
}
