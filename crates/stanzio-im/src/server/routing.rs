//! Where a message to a local account goes (RFC 6121 §8.5), and what a
//! blocked stanza gets (XEP-0191 §3.3): pure decisions.

use stanzio_jid::{FullJid, Jid};
use stanzio_stanza::{Condition, MessageType, StanzaError, StanzaKind};
use stanzio_xml::Element;

use crate::NS_BLOCKING_ERRORS;

/// One of the account's sessions, as routing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRoute {
    /// The bound full JID.
    pub jid: FullJid,
    /// Whether it sent available presence (an "available resource");
    /// otherwise it is only "connected" (RFC 6121 §1.3).
    pub available: bool,
    /// Its presence priority (RFC 6121 §4.7.2.3).
    pub priority: i8,
}

/// What to do with a message to a local account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageRoute {
    /// Deliver to these sessions.
    Deliver(Vec<FullJid>),
    /// No session takes it: keep it offline (XEP-0160), or answer
    /// `service-unavailable` where there is no offline storage.
    StoreOffline,
    /// Answer with this error.
    Reject(Condition),
    /// Drop it without an answer.
    Ignore,
}

/// Where a message of `type_` to `to` (an address of the local account
/// whose sessions are `sessions`) goes, by RFC 6121 §8.5.
///
/// - To a full JID with a session, available or only connected: that
///   session (§8.5.3.1).
/// - To a full JID without one (§8.5.3.2.1): `normal` and `chat` are
///   treated as sent to the bare JID, `groupchat` gets
///   `service-unavailable`, `headline` and `error` are dropped.
/// - To the bare JID (§8.5.2.1.1): `normal` and `chat` go to the
///   available sessions of the highest non-negative priority, `headline`
///   to every available session of non-negative priority, `groupchat` gets
///   `service-unavailable`, `error` is dropped. A negative priority never
///   receives a message sent to the bare JID (§4.7.2.3).
/// - With no such session (§8.5.2.2.1): `normal` and `chat` are stored
///   offline, `headline` and `error` dropped.
///
/// ```
/// use stanzio_im::server::{route_message, MessageRoute, SessionRoute};
/// use stanzio_stanza::MessageType;
///
/// let phone = SessionRoute { jid: "juliet@capulet.lit/phone".parse()?, available: true, priority: 1 };
/// let desk = SessionRoute { jid: "juliet@capulet.lit/desk".parse()?, available: true, priority: 5 };
/// let to = "juliet@capulet.lit".parse()?;
/// assert_eq!(
///     route_message(MessageType::Chat, &to, &[phone, desk.clone()]),
///     MessageRoute::Deliver(vec![desk.jid]),
/// );
/// assert_eq!(route_message(MessageType::Chat, &to, &[]), MessageRoute::StoreOffline);
/// # Ok::<(), stanzio_jid::JidError>(())
/// ```
pub fn route_message(type_: MessageType, to: &Jid, sessions: &[SessionRoute]) -> MessageRoute {
    if let Some(resource) = to.resource() {
        if let Some(session) = sessions.iter().find(|s| s.jid.resource() == resource) {
            return MessageRoute::Deliver(vec![session.jid.clone()]);
        }
        match type_ {
            MessageType::Normal | MessageType::Chat => {}
            MessageType::Groupchat => return MessageRoute::Reject(Condition::ServiceUnavailable),
            MessageType::Headline | MessageType::Error => return MessageRoute::Ignore,
        }
    }
    let eligible: Vec<&SessionRoute> = sessions
        .iter()
        .filter(|s| s.available && s.priority >= 0)
        .collect();
    match type_ {
        MessageType::Groupchat => MessageRoute::Reject(Condition::ServiceUnavailable),
        MessageType::Error => MessageRoute::Ignore,
        MessageType::Headline if eligible.is_empty() => MessageRoute::Ignore,
        MessageType::Headline => {
            MessageRoute::Deliver(eligible.iter().map(|s| s.jid.clone()).collect())
        }
        MessageType::Normal | MessageType::Chat => {
            let Some(top) = eligible.iter().map(|s| s.priority).max() else {
                return MessageRoute::StoreOffline;
            };
            MessageRoute::Deliver(
                eligible
                    .iter()
                    .filter(|s| s.priority == top)
                    .map(|s| s.jid.clone())
                    .collect(),
            )
        }
    }
}

/// What a stanza from a JID the recipient blocks gets (XEP-0191 §3.3):
/// presence nothing; a message, or an IQ request, `service-unavailable`;
/// an IQ response nothing. `None`: drop silently.
pub fn blocked_inbound_error(kind: StanzaKind, is_response_or_error: bool) -> Option<StanzaError> {
    match kind {
        StanzaKind::Presence => None,
        _ if is_response_or_error => None,
        StanzaKind::Message | StanzaKind::Iq => {
            Some(StanzaError::new(Condition::ServiceUnavailable))
        }
    }
}

/// The error for a stanza the user sends to a JID the user blocks
/// (XEP-0191 §3.3): `not-acceptable` with `<blocked/>`.
pub fn blocked_outbound_error() -> StanzaError {
    let blocked = crate::payload::element_without_content("blocked", NS_BLOCKING_ERRORS);
    StanzaError::new(Condition::NotAcceptable).with_app(blocked)
}

/// Whether `element` is the XEP-0191 `<blocked/>` application condition.
pub fn is_blocked_condition(element: &Element) -> bool {
    element.is("blocked", NS_BLOCKING_ERRORS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(resource: &str, available: bool, priority: i8) -> SessionRoute {
        SessionRoute {
            jid: format!("juliet@capulet.lit/{resource}").parse().unwrap(),
            available,
            priority,
        }
    }

    fn deliver(resources: &[&str]) -> MessageRoute {
        MessageRoute::Deliver(
            resources
                .iter()
                .map(|r| format!("juliet@capulet.lit/{r}").parse().unwrap())
                .collect(),
        )
    }

    /// RFC 6121 §8.5, one row per rule.
    #[test]
    fn the_rfc_6121_8_5_rules() {
        use MessageType::{Chat, Error, Groupchat, Headline, Normal};
        let bare: Jid = "juliet@capulet.lit".parse().unwrap();
        let full: Jid = "juliet@capulet.lit/balcony".parse().unwrap();
        let gone: Jid = "juliet@capulet.lit/gone".parse().unwrap();
        let two = [session("balcony", true, 1), session("chamber", true, 5)];
        let tie = [session("balcony", true, 5), session("chamber", true, 5)];
        let negative = [session("balcony", true, -1)];
        let connected = [session("balcony", false, 0)];
        let mixed = [session("balcony", true, 0), session("chamber", true, -3)];
        let rows: [(&str, MessageType, &Jid, &[SessionRoute], MessageRoute); 21] = [
            // §8.5.3.1: the full JID's session, available or connected.
            ("full, online", Chat, &full, &two, deliver(&["balcony"])),
            (
                "full, connected only",
                Normal,
                &full,
                &connected,
                deliver(&["balcony"]),
            ),
            (
                "full, negative priority",
                Headline,
                &full,
                &negative,
                deliver(&["balcony"]),
            ),
            (
                "groupchat to a full JID online",
                Groupchat,
                &full,
                &two,
                deliver(&["balcony"]),
            ),
            // §8.5.3.2.1: no such session.
            (
                "full gone, chat as bare",
                Chat,
                &gone,
                &two,
                deliver(&["chamber"]),
            ),
            (
                "full gone, normal as bare",
                Normal,
                &gone,
                &tie,
                deliver(&["balcony", "chamber"]),
            ),
            (
                "full gone, chat, none",
                Chat,
                &gone,
                &[],
                MessageRoute::StoreOffline,
            ),
            (
                "full gone, groupchat",
                Groupchat,
                &gone,
                &two,
                MessageRoute::Reject(Condition::ServiceUnavailable),
            ),
            (
                "full gone, headline",
                Headline,
                &gone,
                &two,
                MessageRoute::Ignore,
            ),
            ("full gone, error", Error, &gone, &two, MessageRoute::Ignore),
            // §8.5.2.1.1: bare JID, available sessions.
            (
                "bare, highest priority",
                Chat,
                &bare,
                &two,
                deliver(&["chamber"]),
            ),
            (
                "bare, tie",
                Normal,
                &bare,
                &tie,
                deliver(&["balcony", "chamber"]),
            ),
            (
                "bare, headline to all",
                Headline,
                &bare,
                &two,
                deliver(&["balcony", "chamber"]),
            ),
            (
                "bare, groupchat",
                Groupchat,
                &bare,
                &two,
                MessageRoute::Reject(Condition::ServiceUnavailable),
            ),
            ("bare, error", Error, &bare, &two, MessageRoute::Ignore),
            (
                "bare, negative excluded",
                Chat,
                &bare,
                &mixed,
                deliver(&["balcony"]),
            ),
            (
                "bare, headline negative excluded",
                Headline,
                &bare,
                &mixed,
                deliver(&["balcony"]),
            ),
            // §8.5.2.2.1: no available session of non-negative priority.
            (
                "bare, only negative",
                Chat,
                &bare,
                &negative,
                MessageRoute::StoreOffline,
            ),
            (
                "bare, only connected",
                Normal,
                &bare,
                &connected,
                MessageRoute::StoreOffline,
            ),
            (
                "bare, none, headline",
                Headline,
                &bare,
                &[],
                MessageRoute::Ignore,
            ),
            ("bare, none, error", Error, &bare, &[], MessageRoute::Ignore),
        ];
        for (why, type_, to, sessions, expected) in rows {
            assert_eq!(route_message(type_, to, sessions), expected, "{why}");
        }
    }

    #[test]
    fn blocked_stanzas_get_what_xep_0191_says() {
        assert_eq!(blocked_inbound_error(StanzaKind::Presence, false), None);
        assert_eq!(blocked_inbound_error(StanzaKind::Iq, true), None);
        assert_eq!(blocked_inbound_error(StanzaKind::Message, true), None);
        for kind in [StanzaKind::Message, StanzaKind::Iq] {
            assert_eq!(
                blocked_inbound_error(kind, false).map(|e| e.condition),
                Some(Condition::ServiceUnavailable)
            );
        }
        let out = blocked_outbound_error();
        assert_eq!(out.condition, Condition::NotAcceptable);
        assert!(out.app.as_ref().is_some_and(is_blocked_condition));
        let other = crate::payload::element_without_content("blocked", "urn:example:other");
        assert!(!is_blocked_condition(&other));
    }
}
