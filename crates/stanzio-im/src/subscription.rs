//! The server's presence subscription state machine of RFC 6121
//! Appendix A: what one account's server does with a subscription stanza
//! the account sends (outbound, A.2) or receives (inbound, A.3), as a pure
//! function of the account's state toward the contact.
//!
//! ```
//! use stanzio_im::subscription::{transition, Direction, SubscriptionKind, SubscriptionState};
//!
//! // Juliet asks Romeo; her server routes it and notes the pending request.
//! let t = transition(SubscriptionState::None, Direction::Outbound, SubscriptionKind::Subscribe);
//! assert!(t.deliver);
//! assert_eq!(t.new_state, SubscriptionState::NonePendingOut);
//! assert!(t.push_roster); // ask='subscribe' appears in her roster
//!
//! // Romeo's server receives it: delivered, Romeo now has a request pending in.
//! let t = transition(SubscriptionState::None, Direction::Inbound, SubscriptionKind::Subscribe);
//! assert!(t.deliver);
//! assert_eq!(t.new_state, SubscriptionState::NonePendingIn);
//! assert!(!t.push_roster); // a pending-in request shows in no roster item
//! ```

use stanzio_stanza::PresenceType;

use crate::payload::Subscription;

/// The state of one account's subscription with one contact (RFC 6121
/// A.1), from the account's point of view. "None" also stands for "not in
/// the roster".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SubscriptionState {
    /// Neither is subscribed, nothing pending.
    #[default]
    None,
    /// None, and the user asked the contact (`ask='subscribe'`).
    NonePendingOut,
    /// None, and the contact asked the user.
    NonePendingIn,
    /// None, and both asked.
    NonePendingOutIn,
    /// The user is subscribed to the contact's presence.
    To,
    /// To, and the contact asked the user.
    ToPendingIn,
    /// The contact is subscribed to the user's presence.
    From,
    /// From, and the user asked the contact.
    FromPendingOut,
    /// Both are subscribed.
    Both,
}

impl SubscriptionState {
    /// Every state, in the order of the RFC 6121 Appendix A tables.
    pub const ALL: [SubscriptionState; 9] = [
        SubscriptionState::None,
        SubscriptionState::NonePendingOut,
        SubscriptionState::NonePendingIn,
        SubscriptionState::NonePendingOutIn,
        SubscriptionState::To,
        SubscriptionState::ToPendingIn,
        SubscriptionState::From,
        SubscriptionState::FromPendingOut,
        SubscriptionState::Both,
    ];

    /// The `subscription` attribute a roster item in this state carries.
    pub fn subscription(self) -> Subscription {
        match self {
            SubscriptionState::None
            | SubscriptionState::NonePendingOut
            | SubscriptionState::NonePendingIn
            | SubscriptionState::NonePendingOutIn => Subscription::None,
            SubscriptionState::To | SubscriptionState::ToPendingIn => Subscription::To,
            SubscriptionState::From | SubscriptionState::FromPendingOut => Subscription::From,
            SubscriptionState::Both => Subscription::Both,
        }
    }

    /// Whether the user's request is pending (`ask='subscribe'`, RFC 6121
    /// §2.1.2.2).
    pub fn pending_out(self) -> bool {
        matches!(
            self,
            SubscriptionState::NonePendingOut
                | SubscriptionState::NonePendingOutIn
                | SubscriptionState::FromPendingOut
        )
    }

    /// Whether the contact's request awaits the user's answer.
    pub fn pending_in(self) -> bool {
        matches!(
            self,
            SubscriptionState::NonePendingIn
                | SubscriptionState::NonePendingOutIn
                | SubscriptionState::ToPendingIn
        )
    }

    /// The state with this subscription and pending flags, if A.1 has
    /// one (a pending-in request with `from`, a pending-out one with `to`,
    /// or anything pending with `both`, is none). `remove` is none.
    pub fn from_parts(
        subscription: Subscription,
        pending_out: bool,
        pending_in: bool,
    ) -> Option<Self> {
        SubscriptionState::ALL.into_iter().find(|state| {
            subscription != Subscription::Remove
                && state.subscription() == subscription
                && state.pending_out() == pending_out
                && state.pending_in() == pending_in
        })
    }
}

/// Which way the stanza goes, seen from the account whose state it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The account sent it (RFC 6121 A.2): the server decides whether to
    /// route it to the contact.
    Outbound,
    /// The contact sent it to the account (A.3): the server decides
    /// whether to deliver it to the account's resources.
    Inbound,
}

/// The four subscription stanzas (presence types, RFC 6121 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionKind {
    /// `subscribe`: a request.
    Subscribe,
    /// `unsubscribe`: the sender ends its subscription.
    Unsubscribe,
    /// `subscribed`: an approval.
    Subscribed,
    /// `unsubscribed`: a denial or a cancellation.
    Unsubscribed,
}

impl SubscriptionKind {
    /// Every kind, in the order of the RFC 6121 Appendix A tables.
    pub const ALL: [SubscriptionKind; 4] = [
        SubscriptionKind::Subscribe,
        SubscriptionKind::Unsubscribe,
        SubscriptionKind::Subscribed,
        SubscriptionKind::Unsubscribed,
    ];

    /// The presence type.
    pub fn presence_type(self) -> PresenceType {
        match self {
            SubscriptionKind::Subscribe => PresenceType::Subscribe,
            SubscriptionKind::Unsubscribe => PresenceType::Unsubscribe,
            SubscriptionKind::Subscribed => PresenceType::Subscribed,
            SubscriptionKind::Unsubscribed => PresenceType::Unsubscribed,
        }
    }

    /// The kind of a presence type, if it is one of the four.
    pub fn from_presence_type(type_: PresenceType) -> Option<Self> {
        Some(match type_ {
            PresenceType::Subscribe => SubscriptionKind::Subscribe,
            PresenceType::Unsubscribe => SubscriptionKind::Unsubscribe,
            PresenceType::Subscribed => SubscriptionKind::Subscribed,
            PresenceType::Unsubscribed => SubscriptionKind::Unsubscribed,
            _ => return None,
        })
    }

    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionKind::Subscribe => "subscribe",
            SubscriptionKind::Unsubscribe => "unsubscribe",
            SubscriptionKind::Subscribed => "subscribed",
            SubscriptionKind::Unsubscribed => "unsubscribed",
        }
    }
}

/// What an outbound `subscribed` or `unsubscribed` that is not routed
/// does to the pre-approval flag (RFC 6121 §3.4, A.2.3, A.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PreApproval {
    /// `subscribed` with no request pending: note the pre-approval
    /// (`approved='true'`), if the server supports it.
    Set,
    /// `unsubscribed` with no request pending: cancel a pre-approval.
    Cancel,
}

/// What the server does with one subscription stanza.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Transition {
    /// The account's state afterwards.
    pub new_state: SubscriptionState,
    /// Outbound: route the stanza to the contact (stamped with the
    /// account's bare JID). Inbound: deliver it to the account's available
    /// resources (or keep a request until one is available).
    pub deliver: bool,
    /// The stanza the server sends back to the contact on the account's
    /// behalf (A.3 footnotes: `subscribed` to a request already granted,
    /// `unsubscribed` after an unsubscribe).
    pub auto_reply: Option<SubscriptionKind>,
    /// Whether the roster item's `subscription` or `ask` changed, so that
    /// a roster push goes to the account's interested resources (RFC 6121
    /// §2.1.6). A pending-in request shows in no roster item.
    pub push_roster: bool,
    /// An outbound stanza that is not routed but changes the pre-approval
    /// flag. (Whether the flag actually changed, and so needs a push, is
    /// for the caller who holds it.)
    pub pre_approval: Option<PreApproval>,
}

/// The transition RFC 6121 Appendix A gives for `kind` going `direction`
/// while the account is in `state`. "SHOULD NOT" and "MUST NOT" are both
/// taken as "don't" (not routed, not delivered, no change).
pub fn transition(
    state: SubscriptionState,
    direction: Direction,
    kind: SubscriptionKind,
) -> Transition {
    use SubscriptionKind::{Subscribe, Subscribed, Unsubscribe, Unsubscribed};
    use SubscriptionState::{
        Both, From, FromPendingOut, None, NonePendingIn, NonePendingOut, NonePendingOutIn, To,
        ToPendingIn,
    };

    // `Some(new)`: delivered (or routed) with new state `new`; `None`: not,
    // and the state stays.
    let (moved, auto_reply, pre_approval) = match direction {
        // A.2: outbound.
        Direction::Outbound => match kind {
            // A.2.1: route every request; note the pending one.
            Subscribe => (
                Some(match state {
                    None => NonePendingOut,
                    NonePendingIn => NonePendingOutIn,
                    From => FromPendingOut,
                    same => same,
                }),
                Option::None,
                Option::None,
            ),
            // A.2.2: route, and end any subscription to or request of the
            // contact.
            Unsubscribe => (
                Some(match state {
                    NonePendingOut | To => None,
                    NonePendingOutIn | ToPendingIn => NonePendingIn,
                    FromPendingOut | Both => From,
                    same => same,
                }),
                Option::None,
                Option::None,
            ),
            // A.2.3: an approval is routed only if a request is pending;
            // otherwise it is a pre-approval (§3.4), never routed.
            Subscribed => match state {
                NonePendingIn => (Some(From), Option::None, Option::None),
                NonePendingOutIn => (Some(FromPendingOut), Option::None, Option::None),
                ToPendingIn => (Some(Both), Option::None, Option::None),
                None | NonePendingOut | To => (Option::None, Option::None, Some(PreApproval::Set)),
                From | FromPendingOut | Both => (Option::None, Option::None, Option::None),
            },
            // A.2.4: a denial or cancellation is routed if there is a
            // request or subscription from the contact to end.
            Unsubscribed => match state {
                NonePendingIn | From => (Some(None), Option::None, Option::None),
                NonePendingOutIn | FromPendingOut => {
                    (Some(NonePendingOut), Option::None, Option::None)
                }
                ToPendingIn | Both => (Some(To), Option::None, Option::None),
                None | NonePendingOut | To => {
                    (Option::None, Option::None, Some(PreApproval::Cancel))
                }
            },
        },
        // A.3: inbound.
        Direction::Inbound => match kind {
            // A.3.1: deliver a new request; answer one already granted.
            Subscribe => match state {
                None => (Some(NonePendingIn), Option::None, Option::None),
                NonePendingOut => (Some(NonePendingOutIn), Option::None, Option::None),
                To => (Some(ToPendingIn), Option::None, Option::None),
                NonePendingIn | NonePendingOutIn | ToPendingIn => {
                    (Option::None, Option::None, Option::None)
                }
                From | FromPendingOut | Both => (Option::None, Some(Subscribed), Option::None),
            },
            // A.3.2: the contact ends its subscription or withdraws its
            // request; confirmed with `unsubscribed`.
            Unsubscribe => match state {
                NonePendingIn | From => (Some(None), Some(Unsubscribed), Option::None),
                NonePendingOutIn | FromPendingOut => {
                    (Some(NonePendingOut), Some(Unsubscribed), Option::None)
                }
                ToPendingIn | Both => (Some(To), Some(Unsubscribed), Option::None),
                None | NonePendingOut | To => (Option::None, Option::None, Option::None),
            },
            // A.3.3: an approval counts only if the user asked.
            Subscribed => match state {
                NonePendingOut => (Some(To), Option::None, Option::None),
                NonePendingOutIn => (Some(ToPendingIn), Option::None, Option::None),
                FromPendingOut => (Some(Both), Option::None, Option::None),
                _ => (Option::None, Option::None, Option::None),
            },
            // A.3.4: a denial of the user's request or the end of the
            // user's subscription.
            Unsubscribed => match state {
                NonePendingOut | To => (Some(None), Option::None, Option::None),
                NonePendingOutIn | ToPendingIn => (Some(NonePendingIn), Option::None, Option::None),
                FromPendingOut | Both => (Some(From), Option::None, Option::None),
                None | NonePendingIn | From => (Option::None, Option::None, Option::None),
            },
        },
    };
    let new_state = moved.unwrap_or(state);
    let shown = |s: SubscriptionState| (s.subscription(), s.pending_out());
    Transition {
        new_state,
        deliver: moved.is_some(),
        auto_reply,
        push_roster: shown(new_state) != shown(state),
        pre_approval,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_rebuilt_from_their_parts() {
        for state in SubscriptionState::ALL {
            assert_eq!(
                SubscriptionState::from_parts(
                    state.subscription(),
                    state.pending_out(),
                    state.pending_in()
                ),
                Some(state)
            );
        }
        assert_eq!(
            SubscriptionState::from_parts(Subscription::Both, true, false),
            None
        );
        assert_eq!(
            SubscriptionState::from_parts(Subscription::From, false, true),
            None
        );
        assert_eq!(
            SubscriptionState::from_parts(Subscription::Remove, false, false),
            None
        );
    }

    #[test]
    fn kinds_map_to_presence_types_and_back() {
        for kind in SubscriptionKind::ALL {
            assert_eq!(
                SubscriptionKind::from_presence_type(kind.presence_type()),
                Some(kind)
            );
            assert_eq!(kind.presence_type().as_str(), Some(kind.as_str()));
        }
        assert_eq!(
            SubscriptionKind::from_presence_type(PresenceType::Probe),
            None
        );
    }
}
