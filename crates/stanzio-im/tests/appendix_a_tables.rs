//! Every row of RFC 6121 Appendix A.2 (outbound) and A.3 (inbound), typed
//! in from the RFC's tables, checked against `subscription::transition`.
//!
//! Cells: requirement, then the new state ("=" for no change). M = MUST
//! (routed or delivered), SN = SHOULD NOT, MN = MUST NOT (neither).
//! Footnotes as the RFC gives them: A.2 "pre-approve" (§3.4) and "cancel"
//! (a pre-approval may be cancelled); A.3 "+subscribed" and
//! "+unsubscribed" for the auto-replies.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

use stanzio_im::payload::Subscription;
use stanzio_im::subscription::{
    Direction, PreApproval, SubscriptionKind, SubscriptionState, transition,
};

/// RFC 6121 A.1's abbreviations.
fn state(name: &str) -> SubscriptionState {
    match name {
        "N" => SubscriptionState::None,
        "N+PO" => SubscriptionState::NonePendingOut,
        "N+PI" => SubscriptionState::NonePendingIn,
        "N+POI" => SubscriptionState::NonePendingOutIn,
        "T" => SubscriptionState::To,
        "T+PI" => SubscriptionState::ToPendingIn,
        "F" => SubscriptionState::From,
        "F+PO" => SubscriptionState::FromPendingOut,
        "B" => SubscriptionState::Both,
        _ => panic!("no state {name}"),
    }
}

/// Columns: subscribe, unsubscribe, subscribed, unsubscribed.
const KINDS: [SubscriptionKind; 4] = [
    SubscriptionKind::Subscribe,
    SubscriptionKind::Unsubscribe,
    SubscriptionKind::Subscribed,
    SubscriptionKind::Unsubscribed,
];

/// A.2: outbound, "route?".
const OUTBOUND: [(&str, [&str; 4]); 9] = [
    ("N", ["M N+PO", "M =", "MN = pre-approve", "SN = cancel"]),
    ("N+PO", ["M =", "M N", "MN = pre-approve", "SN = cancel"]),
    ("N+PI", ["M N+POI", "M =", "M F", "M N"]),
    ("N+POI", ["M =", "M N+PI", "M F+PO", "M N+PO"]),
    ("T", ["M =", "M N", "MN = pre-approve", "SN = cancel"]),
    ("T+PI", ["M =", "M N+PI", "M B", "M T"]),
    ("F", ["M F+PO", "M =", "MN =", "M N"]),
    ("F+PO", ["M =", "M F", "MN =", "M N+PO"]),
    ("B", ["M =", "M F", "MN =", "M T"]),
];

/// A.3: inbound, "deliver?".
const INBOUND: [(&str, [&str; 4]); 9] = [
    ("N", ["M N+PI", "SN =", "SN =", "SN ="]),
    ("N+PO", ["M N+POI", "SN =", "M T", "M N"]),
    ("N+PI", ["SN =", "M N +unsubscribed", "SN =", "SN ="]),
    (
        "N+POI",
        ["SN =", "M N+PO +unsubscribed", "M T+PI", "M N+PI"],
    ),
    ("T", ["M T+PI", "SN =", "SN =", "M N"]),
    ("T+PI", ["SN =", "M T +unsubscribed", "SN =", "M N+PI"]),
    (
        "F",
        ["SN = +subscribed", "M N +unsubscribed", "SN =", "SN ="],
    ),
    (
        "F+PO",
        ["SN = +subscribed", "M N+PO +unsubscribed", "M B", "M F"],
    ),
    (
        "B",
        ["SN = +subscribed", "M T +unsubscribed", "SN =", "M F"],
    ),
];

/// Reads one cell into (delivered, new state, auto-reply, pre-approval).
fn cell(
    from: SubscriptionState,
    text: &str,
) -> (
    bool,
    SubscriptionState,
    Option<SubscriptionKind>,
    Option<PreApproval>,
) {
    let words: Vec<&str> = text.split(' ').collect();
    let delivered = match words[0] {
        "M" => true,
        "SN" | "MN" => false,
        other => panic!("no requirement {other}"),
    };
    let new_state = match words[1] {
        "=" => from,
        name => state(name),
    };
    let mut auto_reply = None;
    let mut pre_approval = None;
    for note in &words[2..] {
        match *note {
            "+subscribed" => auto_reply = Some(SubscriptionKind::Subscribed),
            "+unsubscribed" => auto_reply = Some(SubscriptionKind::Unsubscribed),
            "pre-approve" => pre_approval = Some(PreApproval::Set),
            "cancel" => pre_approval = Some(PreApproval::Cancel),
            other => panic!("no footnote {other}"),
        }
    }
    (delivered, new_state, auto_reply, pre_approval)
}

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
