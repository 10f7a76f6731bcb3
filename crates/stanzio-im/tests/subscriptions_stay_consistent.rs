//! Random sequences of subscription stanzas and roster removals between
//! two accounts, through real `ImClient`s and the `ImServer`: after every
//! step both accounts' states are what the RFC 6121 Appendix A tables
//! (typed in from the RFC, run on a small model here) say, the two sides
//! agree with each other, and each client's roster cache matches what the
//! server keeps.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use proptest::prelude::*;
use stanzio_im::AccountStore;
use stanzio_im::subscription::{PreApproval, SubscriptionKind, SubscriptionState};
use stanzio_jid::{BareJid, FullJid};
use support::Hub;
use support::appendix_a::{INBOUND, OUTBOUND, lookup};

#[derive(Debug, Clone, Copy)]
enum Op {
    Send(SubscriptionKind),
    Remove,
}

/// One account's view of the other, as the model keeps it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Side {
    state: SubscriptionState,
    approved: bool,
    /// Whether the roster shows it: RFC 6121 A.1 creates no item for a
    /// request alone ("None" and "None + Pending In"), §3.4 one for a
    /// pre-approval.
    listed: bool,
}

impl Side {
    fn settle(&mut self) {
        let shows = !matches!(
            self.state,
            SubscriptionState::None | SubscriptionState::NonePendingIn
        );
        self.listed |= shows || self.approved;
    }
}

/// The two accounts, run by the tables alone.
#[derive(Debug, Default)]
struct Model {
    sides: [Side; 2],
}

impl Model {
    /// Account `x` sends `kind` to the other (A.2), which receives it if
    /// routed (A.3).
    fn send(&mut self, x: usize, kind: SubscriptionKind) {
        let (route, next, _, pre) = lookup(&OUTBOUND, self.sides[x].state, kind);
        self.sides[x].state = next;
        match pre {
            Some(PreApproval::Set) => self.sides[x].approved = true,
            Some(PreApproval::Cancel) => self.sides[x].approved = false,
            None => {}
        }
        self.sides[x].settle();
        if route {
            self.receive(1 - x, kind);
        }
    }

    /// Account `y` receives `kind` from the other (A.3).
    fn receive(&mut self, y: usize, kind: SubscriptionKind) {
        let (deliver, next, auto_reply, _) = lookup(&INBOUND, self.sides[y].state, kind);
        if kind == SubscriptionKind::Subscribe && deliver && self.sides[y].approved {
            // §3.4, A.3.1 note 1: a pre-approved request is approved by
            // the server.
            let (_, approved, _, _) = lookup(&OUTBOUND, next, SubscriptionKind::Subscribed);
            self.sides[y].state = approved;
            self.sides[y].approved = false;
            self.sides[y].settle();
            return self.receive(1 - y, SubscriptionKind::Subscribed);
        }
        self.sides[y].state = next;
        self.sides[y].settle();
        if let Some(reply) = auto_reply {
            self.receive(1 - y, reply);
        }
    }

    /// Account `x` removes the other from its roster (§2.5.2): the item
    /// goes, then what it held is cancelled both ways. An item the roster
    /// does not show cannot be removed (§2.5.3).
    fn remove(&mut self, x: usize) {
        if !self.sides[x].listed {
            return;
        }
        let old = self.sides[x].state;
        self.sides[x] = Side::default();
        if old.subscription().has_to() || old.pending_out() {
            self.receive(1 - x, SubscriptionKind::Unsubscribe);
        }
        if old.subscription().has_from() || old.pending_in() {
            self.receive(1 - x, SubscriptionKind::Unsubscribed);
        }
    }
}

fn op() -> impl Strategy<Value = (usize, Op)> {
    (
        0..2usize,
        prop_oneof![
            Just(Op::Send(SubscriptionKind::Subscribe)),
            Just(Op::Send(SubscriptionKind::Unsubscribe)),
            Just(Op::Send(SubscriptionKind::Subscribed)),
            Just(Op::Send(SubscriptionKind::Unsubscribed)),
            Just(Op::Remove),
        ],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn both_rosters_follow_the_tables(ops in proptest::collection::vec(op(), 1..24)) {
        let mut hub = Hub::new("verona.lit", &["juliet", "romeo"]);
        let users: [FullJid; 2] = [hub.log_in("juliet@verona.lit/balcony"), hub.log_in("romeo@verona.lit/orchard")];
        let accounts: [BareJid; 2] = [users[0].to_bare(), users[1].to_bare()];
        let mut model = Model::default();
        for (step, (x, op)) in ops.into_iter().enumerate() {
            let other = accounts[1 - x].clone();
            let now = hub.now;
            let client = hub.client(&users[x]);
            match op {
                Op::Send(SubscriptionKind::Subscribe) => client.subscribe(other),
                Op::Send(SubscriptionKind::Unsubscribe) => client.unsubscribe(other),
                Op::Send(SubscriptionKind::Subscribed) => client.approve(other),
                Op::Send(SubscriptionKind::Unsubscribed) => client.deny(other),
                Op::Remove => {
                    client.remove_roster_item(now, other).unwrap();
                }
            }
            hub.run();
            match op {
                Op::Send(kind) => model.send(x, kind),
                Op::Remove => model.remove(x),
            }
            for a in 0..2 {
                let entry = hub.store.roster_entry(&accounts[a], &accounts[1 - a]).unwrap();
                let kept = entry.as_ref().map_or(Side::default(), |e| Side {
                    state: e.state,
                    approved: e.approved,
                    listed: e.in_roster,
                });
                prop_assert_eq!(
                    kept,
                    model.sides[a],
                    "step {} ({:?} by {}): account {}", step, op, x, a
                );
                // The cache of each client is what the server shows.
                let shown = entry.filter(|e| e.in_roster).map(|e| e.to_item());
                let cached = hub.clients[&users[a]].roster().get(&accounts[1 - a]).cloned();
                prop_assert_eq!(cached, shown, "step {}: client {} cache", step, a);
            }
            // The two sides agree: one's "to" is the other's "from", one's
            // pending request the other's pending-in.
            let [j, r] = model.sides;
            prop_assert_eq!(j.state.subscription().has_to(), r.state.subscription().has_from());
            prop_assert_eq!(r.state.subscription().has_to(), j.state.subscription().has_from());
            prop_assert_eq!(j.state.pending_out(), r.state.pending_in());
            prop_assert_eq!(r.state.pending_out(), j.state.pending_in());
        }
    }
}
