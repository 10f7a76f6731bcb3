//! Over the stream pairs: Juliet blocks Romeo (XEP-0191). His messages
//! are refused, her presence stops reaching him and his stops reaching
//! her; her own messages to him are refused with `<blocked/>`. Unblocking
//! brings presence and messages back.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::ImEvent;
use stanzio_im::server::is_blocked_condition;
use stanzio_jid::{BareJid, Jid};
use stanzio_stanza::{Condition, Message, Presence, Show};
use support::{PairRouter, friends, jid};

const JULIET: usize = 0;
const ROMEO: usize = 1;

fn messages(events: &[ImEvent]) -> Vec<&Message> {
    events
        .iter()
        .filter_map(|e| match e {
            ImEvent::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn failures(events: &[ImEvent]) -> Vec<(String, Condition, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            ImEvent::MessageFailed { id, error, .. } => Some((
                id.clone(),
                error.condition.clone(),
                error.app.as_ref().is_some_and(is_blocked_condition),
            )),
            _ => None,
        })
        .collect()
}

/// Friends, and Juliet has blocked Romeo.
fn blocked() -> PairRouter {
    let mut router = friends();
    let now = router.now(JULIET);
    router.client(JULIET).fetch_blocklist(now).unwrap();
    router.drive();
    router
        .client(JULIET)
        .block(now, vec![jid("romeo@verona.lit")])
        .unwrap();
    router.drive();
    router.take_events(JULIET);
    router.take_events(ROMEO);
    router
}

#[test]
fn blocking_is_pushed_and_presence_stops_both_ways() {
    let mut router = blocked();
    let romeo: BareJid = jid("romeo@verona.lit");
    assert!(router.client(JULIET).is_blocked(&Jid::from(romeo.clone())));
    // Romeo saw Juliet go (§3.3: unavailable to whoever could see her),
    // and Juliet no longer counts Romeo's last presence.
    assert!(
        !router
            .client(ROMEO)
            .presence()
            .is_available(&jid("juliet@verona.lit"))
    );
    assert!(!router.client(JULIET).presence().is_available(&romeo));
    // Nothing of his presence reaches her now, and nothing of hers him.
    router
        .client(ROMEO)
        .send_presence(Presence::available().with_show(Show::Chat));
    router
        .client(JULIET)
        .send_presence(Presence::available().with_show(Show::Dnd));
    router.drive();
    assert!(!router.client(JULIET).presence().is_available(&romeo));
    assert!(
        !router
            .client(ROMEO)
            .presence()
            .is_available(&jid("juliet@verona.lit"))
    );
    let juliet_saw: Vec<_> = router
        .take_events(JULIET)
        .into_iter()
        .filter(|e| matches!(e, ImEvent::Presence(p) if p.from.as_ref().is_some_and(|f| f.to_bare() == romeo)))
        .collect();
    assert!(juliet_saw.is_empty(), "{juliet_saw:?}");
}

#[test]
fn messages_are_refused_both_ways() {
    let mut router = blocked();
    let from_romeo = router
        .client(ROMEO)
        .send_message(Message::chat(jid("juliet@verona.lit"), "But soft!"));
    let from_juliet = router
        .client(JULIET)
        .send_message(Message::chat(jid("romeo@verona.lit"), "Go away."));
    router.drive();
    let juliet = router.take_events(JULIET);
    let romeo = router.take_events(ROMEO);
    assert!(messages(&juliet).is_empty(), "{juliet:?}");
    assert!(messages(&romeo).is_empty(), "{romeo:?}");
    // XEP-0191 §3.3: inbound refused with service-unavailable (nothing
    // tells Romeo he is blocked), outbound with not-acceptable + <blocked/>.
    assert_eq!(
        failures(&romeo),
        [(from_romeo, Condition::ServiceUnavailable, false)]
    );
    assert_eq!(
        failures(&juliet),
        [(from_juliet, Condition::NotAcceptable, true)]
    );
}

#[test]
fn unblocking_brings_presence_and_messages_back() {
    let mut router = blocked();
    let now = router.now(JULIET);
    router
        .client(JULIET)
        .unblock(now, vec![jid("romeo@verona.lit")])
        .unwrap();
    router.drive();
    assert!(router.client(JULIET).blocklist().is_empty());
    assert!(
        router
            .client(ROMEO)
            .presence()
            .is_available(&jid("juliet@verona.lit"))
    );
    assert!(
        router
            .client(JULIET)
            .presence()
            .is_available(&jid("romeo@verona.lit"))
    );
    router.take_events(JULIET);
    router
        .client(ROMEO)
        .send_message(Message::chat(jid("juliet@verona.lit"), "It is my lady!"));
    router.drive();
    let juliet = router.take_events(JULIET);
    let received = messages(&juliet);
    assert_eq!(received.len(), 1, "{juliet:?}");
    assert_eq!(received[0].body(), Some("It is my lady!"));
}

#[test]
fn unblock_all_clears_the_list() {
    let mut router = blocked();
    let now = router.now(JULIET);
    router
        .client(JULIET)
        .block(now, vec![jid("tybalt@verona.lit")])
        .unwrap();
    router.drive();
    assert_eq!(router.client(JULIET).blocklist().len(), 2);
    router.client(JULIET).unblock_all(now).unwrap();
    router.drive();
    assert!(router.client(JULIET).blocklist().is_empty());
    let events = router.take_events(JULIET);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ImEvent::Unblocked { jids } if jids.is_empty()))
    );
}
