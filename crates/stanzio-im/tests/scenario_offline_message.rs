//! Over the stream pairs: a chat message to Romeo while he is offline is
//! stored (XEP-0160) and delivered at his next initial presence.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::ImEvent;
use stanzio_stanza::{Message, Presence};
use support::{friends, jid};

const JULIET: usize = 0;
const ROMEO: usize = 1;

#[test]
fn a_message_to_an_offline_contact_is_kept_and_delivered() {
    let mut router = friends();
    router.disconnect(ROMEO);
    assert!(
        !router
            .client(JULIET)
            .presence()
            .is_available(&jid("romeo@verona.lit"))
    );
    router.take_events(JULIET);

    router.client(JULIET).send_message(Message::chat(
        jid("romeo@verona.lit"),
        "Parting is such sweet sorrow",
    ));
    router.drive();
    let romeo_account = router.account(ROMEO);
    assert_eq!(router.store.offline_count(&romeo_account), 1);
    // Stored is not failed.
    assert!(
        !router
            .take_events(JULIET)
            .iter()
            .any(|e| matches!(e, ImEvent::MessageFailed { .. }))
    );

    let back = router.connect("romeo", "orchard");
    router.drive();
    // Nothing before the initial presence (XEP-0160 §4).
    assert!(
        !router
            .take_events(back)
            .iter()
            .any(|e| matches!(e, ImEvent::Message(_)))
    );
    assert_eq!(router.store.offline_count(&romeo_account), 1);
    let now = router.now(back);
    router.client(back).fetch_roster(now).unwrap();
    router.client(back).send_presence(Presence::available());
    router.drive();
    let events = router.take_events(back);
    let delivered: Vec<&Message> = events
        .iter()
        .filter_map(|e| match e {
            ImEvent::Message(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(delivered.len(), 1, "{events:?}");
    assert_eq!(delivered[0].body(), Some("Parting is such sweet sorrow"));
    assert_eq!(
        delivered[0].from.as_ref().unwrap().as_str(),
        "juliet@verona.lit/balcony"
    );
    assert_eq!(router.store.offline_count(&romeo_account), 0);
    // And he sees Juliet again, through the probe of his initial presence.
    assert!(
        router
            .client(back)
            .presence()
            .is_available(&jid("juliet@verona.lit"))
    );
}
