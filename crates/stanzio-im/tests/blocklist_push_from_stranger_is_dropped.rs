//! The blocklist counterpart of CVE-2015-8688: an IQ set with `<block/>`
//! or `<unblock/>` (XEP-0191 §3.3, §3.4) from anyone could rewrite the
//! client's idea of who is blocked (an empty `<unblock/>` clears it all).
//! XEP-0191 names no sender rule; the roster's (RFC 6121 §2.1.6) applies:
//! no `from`, or the user's bare JID. ejabberd's privacy-list push
//! (XEP-0016) gets the same check. The genuine pushes are the ones
//! ejabberd 23.01 sent in the recorded session
//! (tests/data/ejabberd-alice-s2c.xml in this repository), and the same
//! without `from` as Prosody addresses its pushes.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::ImEvent;
use stanzio_im::client::DropReason;
use stanzio_jid::Jid;
use stanzio_stanza::{Condition, IqPayload, Stanza};
use support::{client, events, jid, stanza, transmitted};

const EJABBERD_BLOCK: &str = "<iq to='alice@localhost/smoke' from='alice@localhost' type='set' \
    id='push13612658347685347522'><block xmlns='urn:xmpp:blocking'><item jid='carol@localhost'/></block></iq>";

const EJABBERD_UNBLOCK: &str = "<iq to='alice@localhost/smoke' from='alice@localhost' type='set' \
    id='push12903123836579720819'><unblock xmlns='urn:xmpp:blocking'><item jid='carol@localhost'/></unblock></iq>";

const EJABBERD_PRIVACY: &str = "<iq to='alice@localhost/smoke' from='alice@localhost' type='set' \
    id='push14774111276421410954'><query xmlns='jabber:iq:privacy'><list name='Blocked contacts'/></query></iq>";

/// `xml` with `from` replaced (`None`: removed).
fn from(xml: &str, sender: Option<&str>) -> Stanza {
    let mut s = stanza(xml);
    let Stanza::Iq(iq) = &mut s else { panic!() };
    iq.from = sender.map(jid);
    s
}

/// The answer to the one push: `Ok` for a result, the condition of an
/// error.
fn answer(sent: &[Stanza]) -> Result<(), Condition> {
    let [Stanza::Iq(iq)] = sent else {
        panic!("{sent:?}")
    };
    match &iq.payload {
        IqPayload::Result(None) => Ok(()),
        IqPayload::Error { error, .. } => Err(error.condition.clone()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pushes_from_the_account_are_applied() {
    let carol: Jid = jid("carol@localhost");
    for sender in [Some("alice@localhost"), None] {
        let mut alice = client("alice@localhost/smoke");
        alice.handle_stanza(from(EJABBERD_BLOCK, sender));
        assert_eq!(answer(&transmitted(&mut alice)), Ok(()));
        assert!(alice.is_blocked(&carol));
        assert!(alice.is_blocked(&jid("carol@localhost/phone")));
        alice.handle_stanza(from(EJABBERD_UNBLOCK, sender));
        assert_eq!(answer(&transmitted(&mut alice)), Ok(()));
        assert!(!alice.is_blocked(&carol));
        let reported = events(&mut alice);
        assert!(
            matches!(
                reported.as_slice(),
                [ImEvent::Blocked { jids: b }, ImEvent::Unblocked { jids: u }]
                    if b == std::slice::from_ref(&carol) && u == std::slice::from_ref(&carol)
            ),
            "{reported:?}"
        );
    }
}

#[test]
fn pushes_from_anyone_else_are_dropped_and_reported() {
    let carol: Jid = jid("carol@localhost");
    for spoofer in [
        "carol@localhost",
        "mallory@evil.example",
        "localhost",
        "alice@localhost/other",
    ] {
        let mut alice = client("alice@localhost/smoke");
        alice.handle_stanza(from(EJABBERD_BLOCK, None));
        transmitted(&mut alice);
        events(&mut alice);
        // Carol would love to be unblocked, and everyone else cleared too.
        alice.handle_stanza(from(EJABBERD_UNBLOCK, Some(spoofer)));
        let all = EJABBERD_UNBLOCK.replace("<item jid='carol@localhost'/>", "");
        alice.handle_stanza(from(&all, Some(spoofer)));
        // And Mallory would block the user's friends.
        let block_bob = EJABBERD_BLOCK.replace("carol@localhost", "bob@localhost");
        alice.handle_stanza(from(&block_bob, Some(spoofer)));
        assert!(alice.is_blocked(&carol), "{spoofer}");
        assert!(!alice.is_blocked(&jid("bob@localhost")), "{spoofer}");
        for sent in transmitted(&mut alice).chunks(1) {
            assert_eq!(
                answer(sent),
                Err(Condition::ServiceUnavailable),
                "{spoofer}"
            );
        }
        let reported = events(&mut alice);
        assert_eq!(reported.len(), 3, "{spoofer}: {reported:?}");
        assert!(
            reported.iter().all(|e| matches!(
                e,
                ImEvent::Dropped {
                    reason: DropReason::SpoofedBlocklistPush,
                    ..
                }
            )),
            "{spoofer}: {reported:?}"
        );
    }
}

/// ejabberd pushes its privacy list whenever the blocklist changes; the
/// resource must answer with a result (XEP-0016 §2.6), which slixmpp's
/// `feature-not-implemented` in the recorded session does not.
#[test]
fn the_privacy_list_push_is_answered_with_a_result_only_from_the_account() {
    let mut alice = client("alice@localhost/smoke");
    alice.handle_stanza(stanza(EJABBERD_PRIVACY));
    assert_eq!(answer(&transmitted(&mut alice)), Ok(()));
    assert!(matches!(
        events(&mut alice).as_slice(),
        [ImEvent::PrivacyListChanged { name }] if name == "Blocked contacts"
    ));
    alice.handle_stanza(from(EJABBERD_PRIVACY, Some("mallory@evil.example")));
    assert_eq!(
        answer(&transmitted(&mut alice)),
        Err(Condition::ServiceUnavailable)
    );
    assert!(matches!(
        events(&mut alice).as_slice(),
        [ImEvent::Dropped {
            reason: DropReason::SpoofedPrivacyListPush,
            ..
        }]
    ));
}
