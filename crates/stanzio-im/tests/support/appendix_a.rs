//! RFC 6121 Appendix A.2 (outbound) and A.3 (inbound), typed in from the
//! RFC's tables: the reference the table test and the property test
//! check the crate against.
//!
//! Cells: requirement, then the new state ("=" for no change). M = MUST
//! (routed or delivered), SN = SHOULD NOT, MN = MUST NOT (neither).
//! Footnotes as the RFC gives them: A.2 "pre-approve" (§3.4) and "cancel"
//! (a pre-approval may be cancelled); A.3 "+subscribed" and
//! "+unsubscribed" for the auto-replies.

use stanzio_im::subscription::{PreApproval, SubscriptionKind, SubscriptionState};

/// RFC 6121 A.1's abbreviations.
pub fn state(name: &str) -> SubscriptionState {
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
pub const KINDS: [SubscriptionKind; 4] = [
    SubscriptionKind::Subscribe,
    SubscriptionKind::Unsubscribe,
    SubscriptionKind::Subscribed,
    SubscriptionKind::Unsubscribed,
];

/// A.2: outbound, "route?".
pub const OUTBOUND: [(&str, [&str; 4]); 9] = [
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
pub const INBOUND: [(&str, [&str; 4]); 9] = [
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
pub fn cell(
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

/// The cell of `table` for `kind` in state `from`.
pub fn lookup(
    table: &[(&str, [&str; 4]); 9],
    from: SubscriptionState,
    kind: SubscriptionKind,
) -> (
    bool,
    SubscriptionState,
    Option<SubscriptionKind>,
    Option<PreApproval>,
) {
    let column = KINDS.iter().position(|k| *k == kind).unwrap();
    let (_, cells) = table.iter().find(|(name, _)| state(name) == from).unwrap();
    cell(from, cells[column])
}
