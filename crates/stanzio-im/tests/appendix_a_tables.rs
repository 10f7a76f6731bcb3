//! Every row of RFC 6121 Appendix A.2 (outbound) and A.3 (inbound), as
//! typed in from the RFC in `support/appendix_a.rs`, checked against
//! `subscription::transition`.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::payload::Subscription;
use stanzio_im::subscription::{Direction, SubscriptionState, transition};
use support::appendix_a::{INBOUND, KINDS, OUTBOUND, cell, state};

fn check(direction: Direction, table: &[(&str, [&str; 4]); 9]) {
    for (name, cells) in table {
        let from = state(name);
        for (kind, text) in KINDS.iter().zip(cells) {
            let (deliver, new_state, auto_reply, pre_approval) = cell(from, text);
            let t = transition(from, direction, *kind);
            let row = format!("{direction:?} {kind:?} in {name}");
            assert_eq!(t.deliver, deliver, "{row}: deliver");
            assert_eq!(t.new_state, new_state, "{row}: new state");
            assert_eq!(t.auto_reply, auto_reply, "{row}: auto-reply");
            assert_eq!(t.pre_approval, pre_approval, "{row}: pre-approval");
        }
    }
}

#[test]
fn every_outbound_row_of_a_2() {
    check(Direction::Outbound, &OUTBOUND);
}

#[test]
fn every_inbound_row_of_a_3() {
    check(Direction::Inbound, &INBOUND);
}

/// A roster push follows a change of what a roster item shows:
/// `subscription` and `ask` (RFC 6121 §2.1.2); "N+PI" shows as "none"
/// (A.1: no item is created for a request alone).
#[test]
fn a_roster_push_follows_every_change_a_roster_item_shows() {
    // (state, subscription attribute, ask='subscribe'), from RFC 6121 A.1.
    let shown = [
        ("N", Subscription::None, false),
        ("N+PO", Subscription::None, true),
        ("N+PI", Subscription::None, false),
        ("N+POI", Subscription::None, true),
        ("T", Subscription::To, false),
        ("T+PI", Subscription::To, false),
        ("F", Subscription::From, false),
        ("F+PO", Subscription::From, true),
        ("B", Subscription::Both, false),
    ];
    let shows = |s: SubscriptionState| {
        shown
            .iter()
            .find(|(name, _, _)| state(name) == s)
            .map(|(_, sub, ask)| (*sub, *ask))
            .unwrap()
    };
    for (name, sub, ask) in shown {
        assert_eq!(state(name).subscription(), sub, "{name}");
        assert_eq!(state(name).pending_out(), ask, "{name}");
    }
    for direction in [Direction::Outbound, Direction::Inbound] {
        for (name, _, _) in shown {
            for kind in KINDS {
                let from = state(name);
                let t = transition(from, direction, kind);
                assert_eq!(
                    t.push_roster,
                    shows(from) != shows(t.new_state),
                    "{direction:?} {kind:?} in {name}"
                );
            }
        }
    }
}
