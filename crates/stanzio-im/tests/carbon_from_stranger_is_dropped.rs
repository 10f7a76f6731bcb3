//! CVE-2017-5589 class: a `<received/>` or `<sent/>` carbon (XEP-0280)
//! makes the client show the forwarded message as if the user's account
//! had received or sent it. XEP-0280 §11 unwraps one only from the user's
//! bare JID; from anyone else (a full JID too, even the user's own) it is
//! dropped: neither a carbon nor a message.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use stanzio_im::ImEvent;
use stanzio_im::client::DropReason;
use stanzio_im::payload::CarbonDirection;
use support::{client, events, stanza};

/// XEP-0280 §6 shapes: a carbon of a chat message from `sender` to Juliet's
/// other resource, wrapped by `wrapper`.
fn carbon(direction: &str, wrapper: &str) -> String {
    format!(
        "<message from='{wrapper}' to='juliet@capulet.example/balcony' type='chat'>\
         <{direction} xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
         <message xmlns='jabber:client' from='romeo@montague.example/home' \
         to='juliet@capulet.example/chamber' type='chat'>\
         <body>Neither, fair saint, if either thee dislike.</body>\
         <thread>0e3141cd80894871a68e6fe6b1ec56fa</thread></message></forwarded></{direction}></message>"
    )
}

#[test]
fn a_carbon_from_the_own_bare_jid_is_unwrapped() {
    for (element, direction) in [
        ("received", CarbonDirection::Received),
        ("sent", CarbonDirection::Sent),
    ] {
        let mut juliet = client("juliet@capulet.example/balcony");
        juliet.handle_stanza(stanza(&carbon(element, "juliet@capulet.example")));
        let reported = events(&mut juliet);
        let [
            ImEvent::Carbon {
                direction: d,
                message,
            },
        ] = reported.as_slice()
        else {
            panic!("{reported:?}");
        };
        assert_eq!(*d, direction);
        assert_eq!(
            message.from.as_ref().unwrap().as_str(),
            "romeo@montague.example/home"
        );
        assert_eq!(
            message.body(),
            Some("Neither, fair saint, if either thee dislike.")
        );
    }
}

#[test]
fn a_carbon_from_anyone_else_is_dropped_and_reported() {
    for element in ["received", "sent"] {
        for wrapper in [
            "mallory@evil.example",
            "romeo@montague.example",
            "romeo@montague.example/home",
            "capulet.example",
            // A full JID is refused too, even the user's own.
            "juliet@capulet.example/chamber",
            "juliet@capulet.example/balcony",
        ] {
            let mut juliet = client("juliet@capulet.example/balcony");
            juliet.handle_stanza(stanza(&carbon(element, wrapper)));
            let reported = events(&mut juliet);
            assert!(
                matches!(
                    reported.as_slice(),
                    [ImEvent::Dropped {
                        reason: DropReason::SpoofedCarbon,
                        ..
                    }]
                ),
                "{element} from {wrapper}: {reported:?}"
            );
        }
    }
}

#[test]
fn a_carbon_without_from_is_dropped() {
    // No `from` stands for the account (RFC 6120 §8.1.2.1), but XEP-0280
    // §11 asks for the bare JID itself.
    let xml = carbon("received", "x").replace(" from='x'", "");
    let mut juliet = client("juliet@capulet.example/balcony");
    juliet.handle_stanza(stanza(&xml));
    assert!(matches!(
        events(&mut juliet).as_slice(),
        [ImEvent::Dropped {
            reason: DropReason::SpoofedCarbon,
            ..
        }]
    ));
}
