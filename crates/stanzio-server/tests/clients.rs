//! stanzio's own clients against the server over loopback TLS: every
//! SCRAM hash with and without `-PLUS` (stanzio-tokio and
//! stanzio-blocking), WebSocket, direct TLS, an external component; the
//! IM rules (roster, subscriptions, presence, messages, blocking, carbons,
//! offline delivery); and a restart on the same database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::time::Duration;

use common::*;
use stanzio_im::ImEvent;
use stanzio_im::payload::{CarbonDirection, RosterItem, Subscription};
use stanzio_sasl::{ChannelBindingType, HashAlgorithm, Mechanism};
use stanzio_stanza::{Condition, Message, Presence, PresenceType, Stanza};
use stanzio_stream::{ClientConfig, ClientEvent};
use stanzio_tokio::testing::CutProxy;
use stanzio_tokio::{Client, ConnectOptions, Endpoint, Event, OsRng, Target};

const ALICE: (&str, &str) = ("alice", "alice's secret");
const BOB: (&str, &str) = ("bob", "bob's secret");
const CAROL: (&str, &str) = ("carol", "carol's secret");

/// A server offering only `mechanism`: a stanzio-tokio client and a
/// stanzio-blocking client log in with it (channel binding exactly when
/// `-PLUS`), and the blocking one's message reaches the tokio one.
async fn login_with(hash: HashAlgorithm, plus: bool) {
    let mechanism = Mechanism::scram(hash, plus);
    let setup = Setup::default().auth(&format!("mechanisms = [\"{}\"]", mechanism.as_str()));
    let harness = Harness::start(&setup, &[ALICE, BOB]).await;

    let mut alice = harness.peer("alice/tokio", ALICE.1).await;
    let ClientEvent::Authenticated {
        mechanism: used,
        channel_binding,
    } = alice
        .until_stream("authentication", |e| {
            matches!(e, ClientEvent::Authenticated { .. })
        })
        .await
    else {
        unreachable!()
    };
    assert_eq!(used, mechanism);
    // TLS 1.3 on both sides: RFC 9266 tls-exporter.
    assert_eq!(
        channel_binding,
        plus.then_some(ChannelBindingType::TlsExporter)
    );

    let target = harness.blocking_target();
    let tls = harness.tls.clone();
    let to = alice.full();
    let blocking = tokio::task::spawn_blocking(move || {
        let mut bob =
            stanzio_blocking::Client::connect(client_config("bob/blocking", BOB.1), &target, &tls)
                .unwrap();
        let mut authenticated = None;
        while let Some(event) = bob.next_event(Some(STEP)).unwrap() {
            match event {
                ClientEvent::Authenticated {
                    mechanism,
                    channel_binding,
                } => authenticated = Some((mechanism, channel_binding)),
                ClientEvent::Online { .. } => break,
                _ => {}
            }
        }
        bob.send(Message::chat(to, "from the blocking client"))
            .unwrap();
        bob.close().unwrap();
        authenticated
    });
    let (used, channel_binding) = blocking.await.unwrap().expect("authenticated");
    assert_eq!(used, mechanism);
    assert_eq!(
        channel_binding,
        plus.then_some(ChannelBindingType::TlsExporter)
    );
    alice
        .until("the blocking client's message", |e| {
            body_is(e, "from the blocking client")
        })
        .await;
    alice.client.close().await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_sha_1() {
    login_with(HashAlgorithm::Sha1, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_sha_1_plus() {
    login_with(HashAlgorithm::Sha1, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_sha_256() {
    login_with(HashAlgorithm::Sha256, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_sha_256_plus() {
    login_with(HashAlgorithm::Sha256, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_sha_512() {
    login_with(HashAlgorithm::Sha512, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_sha_512_plus() {
    login_with(HashAlgorithm::Sha512, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused() {
    let harness = Harness::start(&Setup::default(), &[ALICE]).await;
    let error = Client::connect(client_config("alice", "guess"), harness.starttls())
        .await
        .unwrap_err();
    assert!(login_refused(&error), "{error:?}");
    harness.shutdown().await;
}

/// The client's `Authenticated` mechanism.
async fn mechanism_of(peer: &mut Peer) -> Mechanism {
    match peer
        .until_stream("authentication", |e| {
            matches!(e, ClientEvent::Authenticated { .. })
        })
        .await
    {
        ClientEvent::Authenticated { mechanism, .. } => mechanism,
        _ => unreachable!(),
    }
}

/// Two clients on two listeners chat both ways.
async fn chat(a: &mut Peer, b: &mut Peer) {
    a.im.send_message(Message::chat(b.full(), "ping from a"));
    a.flush();
    b.until("a's message", |e| body_is(e, "ping from a")).await;
    b.im.send_message(Message::chat(a.full(), "pong from b"));
    b.flush();
    a.until("b's answer", |e| body_is(e, "pong from b")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_clients_log_in_with_plus_and_chat() {
    let setup = Setup::default().listen("websocket = \"127.0.0.1:0\"");
    let harness = Harness::start(&setup, &[ALICE, BOB]).await;
    let port = harness
        .server
        .websocket
        .expect("a WebSocket listener")
        .port();
    // RFC 7395 §3.3: wss://, the certificate checked against the domain.
    let options = ConnectOptions::new(Target::domain(DOMAIN), harness.tls.clone())
        .with_websocket(format!("wss://{DOMAIN}:{port}/xmpp-websocket"));
    let mut alice = Peer::connect("alice/web", ALICE.1, options).await;
    let mechanism = mechanism_of(&mut alice).await;
    assert!(mechanism.as_str().ends_with("-PLUS"), "{mechanism}");
    let mut bob = harness.peer("bob/tcp", BOB.1).await;
    chat(&mut alice, &mut bob).await;
    alice.client.close().await;
    bob.client.close().await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_tls_clients_log_in_with_plus_and_chat() {
    let setup = Setup::default().listen("direct_tls = \"127.0.0.1:0\"");
    let harness = Harness::start(&setup, &[ALICE, BOB]).await;
    // XEP-0368: TLS from the first byte.
    let target = Target::domain(DOMAIN).with_endpoint(Endpoint::direct_tls(
        "127.0.0.1",
        harness.direct_tls().port(),
    ));
    let options = ConnectOptions::new(target.clone(), harness.tls.clone());
    let mut alice = Peer::connect("alice/direct", ALICE.1, options).await;
    let mechanism = mechanism_of(&mut alice).await;
    assert!(mechanism.as_str().ends_with("-PLUS"), "{mechanism}");
    let mut bob = harness.peer("bob/tcp", BOB.1).await;
    chat(&mut alice, &mut bob).await;

    // The blocking client over direct TLS too.
    let tls = harness.tls.clone();
    let to = bob.full();
    tokio::task::spawn_blocking(move || {
        let mut carol = stanzio_blocking::Client::connect(
            client_config("alice/blocking", ALICE.1),
            &target,
            &tls,
        )
        .unwrap();
        assert!(carol.connection().tls().is_some());
        carol
            .send(Message::chat(to, "direct TLS, blocking"))
            .unwrap();
        carol.close().unwrap();
    })
    .await
    .unwrap();
    bob.until("the blocking client's message", |e| {
        body_is(e, "direct TLS, blocking")
    })
    .await;
    alice.client.close().await;
    bob.client.close().await;
    harness.shutdown().await;
}

const COMPONENT: &str = "echo.localhost";
const COMPONENT_SECRET: &str = "a component secret of some length";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_receives_and_answers_a_message_to_its_domain() {
    let setup = Setup::default()
        .listen("components = \"127.0.0.1:0\"")
        .tail(&format!(
            "[[components]]\ndomain = \"{COMPONENT}\"\nsecret = \"{COMPONENT_SECRET}\"\n"
        ));
    let harness = Harness::start(&setup, &[ALICE]).await;
    let port = harness
        .server
        .components
        .expect("a component listener")
        .port();
    // XEP-0114 on a trusted link: no TLS.
    let target = Target::domain(COMPONENT).with_endpoint(Endpoint::starttls("127.0.0.1", port));
    let mut echo = Client::connect(
        ClientConfig::component(bare(COMPONENT), COMPONENT_SECRET, OsRng::new()),
        ConnectOptions::new(target, harness.tls.clone()),
    )
    .await
    .unwrap();
    assert_eq!(echo.jid().as_str(), COMPONENT);

    let mut alice = harness.peer("alice/desk", ALICE.1).await;
    alice
        .im
        .send_message(Message::chat(jid("bot@echo.localhost"), "hello, bot"));
    alice.flush();
    let deadline = tokio::time::Instant::now() + STEP;
    let message = loop {
        let event = tokio::time::timeout_at(deadline, echo.next_event())
            .await
            .expect("the component gets the message")
            .expect("the component is connected");
        if let Event::Stream(ClientEvent::Stanza(Stanza::Message(message))) = event {
            break message;
        }
    };
    assert_eq!(message.body(), Some("hello, bot"));
    assert_eq!(message.to, Some(jid("bot@echo.localhost")));
    // RFC 6120 §8.1.2.1: the server stamped the sender's full JID.
    let sender = message.from.clone().unwrap();
    assert_eq!(sender, alice.full());
    echo.send(Message::chat(sender, "echo: hello, bot").with_from(jid("bot@echo.localhost")))
        .unwrap();
    let answer = alice
        .until("the component's answer", |e| body_is(e, "echo: hello, bot"))
        .await;
    let ImEvent::Message(answer) = answer else {
        unreachable!()
    };
    assert_eq!(answer.from, Some(jid("bot@echo.localhost")));

    // A component may not speak for another domain (XEP-0114 §3,
    // RFC 6120 §4.9.3.9 `invalid-from`).
    echo.send(Message::chat(alice.full(), "spoofed").with_from(jid("mallory@localhost")))
        .unwrap();
    alice
        .nothing_for(Duration::from_millis(500), "the spoofed message", |e| {
            body_is(e, "spoofed")
        })
        .await;
    alice.client.close().await;
    harness.shutdown().await;
}

/// Alice and Bob fetch their rosters (so that pushes reach them, RFC 6121
/// §2.1.6), subscribe to each other (§3) and are available.
async fn befriend(alice: &mut Peer, bob: &mut Peer) {
    for peer in [&mut *alice, &mut *bob] {
        peer.request("the roster", |im| im.fetch_roster(now()).unwrap())
            .await;
    }
    alice
        .im
        .send_presence(Presence::available().with_status(None, "alice here"));
    alice.flush();
    bob.im
        .send_presence(Presence::available().with_status(None, "bob here"));
    bob.flush();
    alice.im.subscribe(bob.bare());
    alice.flush();
    bob.until("alice's request", |e| {
        matches!(e, ImEvent::SubscriptionRequest { .. })
    })
    .await;
    bob.im.approve(alice.bare());
    bob.im.subscribe(alice.bare());
    bob.flush();
    alice
        .until("bob's approval", |e| {
            matches!(e, ImEvent::SubscriptionApproved { .. })
        })
        .await;
    alice
        .until("bob's request", |e| {
            matches!(e, ImEvent::SubscriptionRequest { .. })
        })
        .await;
    alice.im.approve(bob.bare());
    alice.flush();
    bob.until("alice's approval", |e| {
        matches!(e, ImEvent::SubscriptionApproved { .. })
    })
    .await;
    // Each sees the other's presence (RFC 6121 §4.2, §3.1.5).
    alice
        .until(
            "bob's presence",
            |e| matches!(e, ImEvent::Presence(p) if p.status() == Some("bob here")),
        )
        .await;
    bob.until(
        "alice's presence",
        |e| matches!(e, ImEvent::Presence(p) if p.status() == Some("alice here")),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rosters_subscriptions_and_presence() {
    let harness = Harness::start(&Setup::default(), &[ALICE, BOB]).await;
    let mut alice = harness.peer("alice/desk", ALICE.1).await;
    let mut bob = harness.peer("bob/desk", BOB.1).await;

    // A roster set is pushed to the account's interested sessions
    // (RFC 6121 §2.3).
    alice
        .request("the roster", |im| im.fetch_roster(now()).unwrap())
        .await;
    let mut item = RosterItem::new(bob.bare());
    item.name = Some("Bob".to_owned());
    item.groups = vec!["Friends".to_owned()];
    alice
        .request("the roster set", |im| {
            im.set_roster_item(now(), item).unwrap()
        })
        .await;
    assert_eq!(
        alice.im.roster().get(&bob.bare()).unwrap().name.as_deref(),
        Some("Bob")
    );

    befriend(&mut alice, &mut bob).await;
    let (alice_bare, bob_bare) = (alice.bare(), bob.bare());
    for (peer, contact) in [(&mut alice, bob_bare), (&mut bob, alice_bare)] {
        // The pushes of RFC 6121 §3.1.5 and §3.1.6.
        while !peer
            .im
            .roster()
            .get(&contact)
            .is_some_and(|item| item.subscription == Subscription::Both && !item.ask)
        {
            peer.until("the roster push", |e| {
                matches!(e, ImEvent::RosterPush { .. })
            })
            .await;
        }
    }
    assert!(alice.im.presence().is_available(&bob.bare()));
    assert!(bob.im.presence().is_available(&alice.bare()));

    // A new session of Alice's gets the stored roster (RFC 6121 §2.2) and,
    // at its initial presence, Bob's presence (§4.2.2).
    let mut phone = harness.peer("alice/phone", ALICE.1).await;
    phone
        .request("the roster", |im| im.fetch_roster(now()).unwrap())
        .await;
    let stored = phone.im.roster().get(&bob.bare()).unwrap();
    assert_eq!(stored.name.as_deref(), Some("Bob"));
    assert_eq!(stored.groups, vec!["Friends".to_owned()]);
    assert_eq!(stored.subscription, Subscription::Both);
    phone.im.send_presence(Presence::available());
    phone.flush();
    phone
        .until(
            "bob's presence, probed",
            |e| matches!(e, ImEvent::Presence(p) if p.status() == Some("bob here")),
        )
        .await;
    // Bob sees the new resource come online.
    bob.until(
        "alice's phone",
        |e| matches!(e, ImEvent::Presence(p) if p.from.as_ref() == Some(&phone.full())),
    )
    .await;

    // A presence change is broadcast; going offline too (RFC 6121 §4.4,
    // §4.5).
    bob.im
        .send_presence(Presence::available().with_status(None, "lunch"));
    bob.flush();
    for peer in [&mut alice, &mut phone] {
        peer.until(
            "bob's new status",
            |e| matches!(e, ImEvent::Presence(p) if p.status() == Some("lunch")),
        )
        .await;
    }
    bob.client.close().await;
    alice
        .until(
            "bob's unavailable presence",
            |e| matches!(e, ImEvent::Presence(p) if p.type_ == PresenceType::Unavailable),
        )
        .await;
    assert!(!alice.im.presence().is_available(&bare("bob@localhost")));

    // Removing the contact cancels both subscriptions (RFC 6121 §2.5.2)
    // and is pushed to every session.
    alice
        .request("the removal", |im| {
            im.remove_roster_item(now(), bare("bob@localhost")).unwrap()
        })
        .await;
    let bob_bare = bare("bob@localhost");
    for peer in [&mut alice, &mut phone] {
        while peer.im.roster().get(&bob_bare).is_some() {
            peer.until("the removal push", |e| {
                matches!(e, ImEvent::RosterPush { .. })
            })
            .await;
        }
    }
    alice.client.close().await;
    phone.client.close().await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_blocking_and_offline_delivery() {
    let harness = Harness::start(&Setup::default(), &[ALICE, BOB]).await;
    let mut alice = harness.peer("alice/desk", ALICE.1).await;
    let mut bob = harness.peer("bob/desk", BOB.1).await;
    befriend(&mut alice, &mut bob).await;

    // To the bare JID: the available resource gets it (RFC 6121 §8.5.2.1.1).
    alice
        .im
        .send_message(Message::chat(bob.bare().into(), "to your bare JID"));
    alice.flush();
    let ImEvent::Message(message) = bob
        .until("the message", |e| body_is(e, "to your bare JID"))
        .await
    else {
        unreachable!()
    };
    assert_eq!(message.from, Some(alice.full()));

    // XEP-0191: Bob blocks Alice. Her messages bounce with
    // service-unavailable (§3.3) and never reach him; his to her are
    // refused with not-acceptable (§3.5); her presence stops.
    bob.request("the block", |im| {
        im.block(now(), vec![alice.bare().into()]).unwrap()
    })
    .await;
    alice
        .until(
            "bob's presence as unavailable",
            |e| matches!(e, ImEvent::Presence(p) if p.type_ == PresenceType::Unavailable),
        )
        .await;
    alice
        .im
        .send_message(Message::chat(bob.full(), "blocked message"));
    alice.flush();
    let ImEvent::MessageFailed { error, .. } = alice
        .until("the bounce", |e| matches!(e, ImEvent::MessageFailed { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(error.condition, Condition::ServiceUnavailable);
    bob.im
        .send_message(Message::chat(alice.full(), "to the blocked"));
    bob.flush();
    let ImEvent::MessageFailed { error, .. } = bob
        .until("the refusal", |e| {
            matches!(e, ImEvent::MessageFailed { .. })
        })
        .await
    else {
        unreachable!()
    };
    assert_eq!(error.condition, Condition::NotAcceptable);
    bob.nothing_for(Duration::from_millis(300), "the blocked message", |e| {
        body_is(e, "blocked message")
    })
    .await;
    alice
        .nothing_for(
            Duration::from_millis(100),
            "the message to the blocked",
            |e| body_is(e, "to the blocked"),
        )
        .await;

    // Unblocked: messages flow again.
    bob.request("the unblock", |im| {
        im.unblock(now(), vec![alice.bare().into()]).unwrap()
    })
    .await;
    alice
        .im
        .send_message(Message::chat(bob.full(), "unblocked"));
    alice.flush();
    bob.until("the message after unblocking", |e| body_is(e, "unblocked"))
        .await;

    // Offline: kept, and delivered in order at the next initial presence
    // (RFC 6121 §8.5.2.1.1, XEP-0160).
    bob.client.close().await;
    alice
        .until(
            "bob going offline",
            |e| matches!(e, ImEvent::Presence(p) if p.type_ == PresenceType::Unavailable),
        )
        .await;
    for body in ["offline one", "offline two"] {
        alice
            .im
            .send_message(Message::chat(bare("bob@localhost").into(), body));
    }
    alice.flush();
    // Headlines are not stored (RFC 6121 §8.5.2.1.1 leaves it to the
    // server; this one drops them).
    let mut headline = Message::chat(bare("bob@localhost").into(), "headline");
    headline.type_ = stanzio_stanza::MessageType::Headline;
    alice.im.send_message(headline);
    alice.flush();
    let mut bob = harness.peer("bob/back", BOB.1).await;
    bob.nothing_for(
        Duration::from_millis(300),
        "an offline message before presence",
        |e| matches!(e, ImEvent::Message(_)),
    )
    .await;
    bob.im.send_presence(Presence::available());
    bob.flush();
    let mut bodies = Vec::new();
    while bodies.len() < 2 {
        let ImEvent::Message(message) = bob
            .until("the offline messages", |e| matches!(e, ImEvent::Message(_)))
            .await
        else {
            unreachable!()
        };
        // Stamped with when the server took it (XEP-0160 §5, XEP-0203).
        let delay = message.payloads.find("delay", "urn:xmpp:delay");
        assert_eq!(delay.and_then(|d| d.attr("from")), Some(DOMAIN));
        bodies.push(message.body().unwrap_or_default().to_owned());
    }
    assert_eq!(bodies, ["offline one", "offline two"]);
    bob.nothing_for(Duration::from_millis(300), "the headline", |e| {
        body_is(e, "headline")
    })
    .await;
    alice.client.close().await;
    bob.client.close().await;
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carbons_copy_messages_to_the_other_resource() {
    let harness = Harness::start(&Setup::default(), &[ALICE, BOB]).await;
    let mut phone = harness.peer("alice/phone", ALICE.1).await;
    let mut laptop = harness.peer("alice/laptop", ALICE.1).await;
    let mut bob = harness.peer("bob/desk", BOB.1).await;
    befriend(&mut phone, &mut bob).await;
    laptop.im.send_presence(Presence::available());
    laptop.flush();
    for resource in [&mut phone, &mut laptop] {
        resource
            .request("enabling carbons", |im| {
                im.set_carbons(now(), true).unwrap()
            })
            .await;
        assert!(resource.im.carbons_enabled());
    }

    // XEP-0280 §6: a message to the phone is copied to the laptop...
    bob.im
        .send_message(Message::chat(phone.full(), "to your phone"));
    bob.flush();
    phone
        .until("the message", |e| body_is(e, "to your phone"))
        .await;
    let ImEvent::Carbon { direction, message } = laptop
        .until("the received carbon", |e| {
            matches!(e, ImEvent::Carbon { .. })
        })
        .await
    else {
        unreachable!()
    };
    assert_eq!(direction, CarbonDirection::Received);
    assert_eq!(message.body(), Some("to your phone"));
    assert_eq!(message.from, Some(bob.full()));

    // ... and one the phone sends too (§7).
    phone
        .im
        .send_message(Message::chat(bob.full(), "from my phone"));
    phone.flush();
    bob.until("the phone's message", |e| body_is(e, "from my phone"))
        .await;
    let ImEvent::Carbon { direction, message } = laptop
        .until("the sent carbon", |e| matches!(e, ImEvent::Carbon { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(direction, CarbonDirection::Sent);
    assert_eq!(message.body(), Some("from my phone"));
    assert_eq!(message.to, Some(bob.full()));

    // Disabled on the laptop: no more copies there.
    laptop
        .request("disabling carbons", |im| {
            im.set_carbons(now(), false).unwrap()
        })
        .await;
    bob.im
        .send_message(Message::chat(phone.full(), "not copied"));
    bob.flush();
    phone
        .until("the message", |e| body_is(e, "not copied"))
        .await;
    laptop
        .nothing_for(
            Duration::from_millis(300),
            "a carbon after disabling",
            |e| matches!(e, ImEvent::Carbon { .. }),
        )
        .await;
    for peer in [phone, laptop, bob] {
        peer.client.close().await;
    }
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_accounts_rosters_blocklists_and_offline_messages() {
    let harness = Harness::start(&Setup::default(), &[ALICE, BOB, CAROL]).await;
    let mut alice = harness.peer("alice/desk", ALICE.1).await;
    let mut bob = harness.peer("bob/desk", BOB.1).await;
    let mut carol = harness.peer("carol/desk", CAROL.1).await;
    befriend(&mut alice, &mut bob).await;
    let mut item = RosterItem::new(bob.bare());
    item.name = Some("Bobby".to_owned());
    alice
        .request("naming bob", |im| im.set_roster_item(now(), item).unwrap())
        .await;
    bob.request("blocking carol", |im| {
        im.block(now(), vec![carol.bare().into()]).unwrap()
    })
    .await;
    bob.client.close().await;
    alice
        .until(
            "bob going offline",
            |e| matches!(e, ImEvent::Presence(p) if p.type_ == PresenceType::Unavailable),
        )
        .await;
    alice.im.send_message(Message::chat(
        bare("bob@localhost").into(),
        "kept across the restart",
    ));
    alice.flush();
    // Carol's message is refused by the blocklist, not stored.
    carol
        .im
        .send_message(Message::chat(bare("bob@localhost").into(), "from carol"));
    carol.flush();
    carol
        .until("the bounce", |e| matches!(e, ImEvent::MessageFailed { .. }))
        .await;
    // An acknowledged round trip: the message to Bob is stored by now.
    alice
        .request("a ping", |im| im.ping(now(), None).unwrap())
        .await;
    alice.client.close().await;
    carol.client.close().await;

    let harness = harness.restart().await;

    // Accounts: the right password works, a wrong one does not.
    let error = Client::connect(client_config("alice", "guess"), harness.starttls())
        .await
        .unwrap_err();
    assert!(login_refused(&error), "{error:?}");
    let mut alice = harness.peer("alice/again", ALICE.1).await;
    alice
        .request("the roster", |im| im.fetch_roster(now()).unwrap())
        .await;
    let item = alice.im.roster().get(&bare("bob@localhost")).unwrap();
    assert_eq!(item.name.as_deref(), Some("Bobby"));
    assert_eq!(item.subscription, Subscription::Both);

    let mut bob = harness.peer("bob/again", BOB.1).await;
    bob.request("the blocklist", |im| im.fetch_blocklist(now()).unwrap())
        .await;
    assert!(bob.im.is_blocked(&jid("carol@localhost")));
    bob.im.send_presence(Presence::available());
    bob.flush();
    bob.until("the offline message", |e| {
        body_is(e, "kept across the restart")
    })
    .await;
    bob.nothing_for(Duration::from_millis(300), "carol's refused message", |e| {
        body_is(e, "from carol")
    })
    .await;
    // The blocklist is still enforced.
    let mut carol = harness.peer("carol/again", CAROL.1).await;
    carol
        .im
        .send_message(Message::chat(bob.full(), "still blocked?"));
    carol.flush();
    carol
        .until("the bounce", |e| matches!(e, ImEvent::MessageFailed { .. }))
        .await;
    for peer in [alice, bob, carol] {
        peer.client.close().await;
    }
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_session_keeps_its_presence_carbons_and_roster_interest() {
    let harness = Harness::start(&Setup::default(), &[ALICE, BOB]).await;
    let proxy = CutProxy::start(harness.c2s()).await;
    let mut desk = Peer::resumable("alice/desk", ALICE.1, &harness, &proxy).await;
    let mut laptop = harness.peer("alice/laptop", ALICE.1).await;
    let mut bob = harness.peer("bob/desk", BOB.1).await;
    befriend(&mut desk, &mut bob).await;
    desk.request("enabling carbons", |im| {
        im.set_carbons(now(), true).unwrap()
    })
    .await;
    laptop.im.send_presence(Presence::available());
    laptop.flush();
    desk.until(
        "the laptop's presence",
        |e| matches!(e, ImEvent::Presence(p) if p.from.as_ref() == Some(&laptop.full())),
    )
    .await;

    proxy.cut();
    desk.until_stream("the resumed session", |e| {
        matches!(e, ClientEvent::Online { resumed: true, .. })
    })
    .await;
    // One round trip on the new connection: the server has the resumed
    // session by now.
    desk.request("a ping", |im| im.ping(now(), None).unwrap())
        .await;

    // XEP-0198 §5: the session goes on as it was. Still available: a
    // contact's presence change reaches it (RFC 6121 §4.4.2)...
    bob.im
        .send_presence(Presence::available().with_status(None, "after the cut"));
    bob.flush();
    desk.until(
        "bob's new status",
        |e| matches!(e, ImEvent::Presence(p) if p.status() == Some("after the cut")),
    )
    .await;
    // ... carbons still on: a message to the laptop is copied to it
    // (XEP-0280 §6)...
    bob.im
        .send_message(Message::chat(laptop.full(), "to the laptop"));
    bob.flush();
    desk.until(
        "the carbon",
        |e| matches!(e, ImEvent::Carbon { message, .. } if message.body() == Some("to the laptop")),
    )
    .await;
    // ... and still interested in the roster: a change is pushed to it
    // too (RFC 6121 §2.1.6).
    let mut item = RosterItem::new(bob.bare());
    item.name = Some("Bob after the cut".to_owned());
    laptop
        .request("the roster", |im| im.fetch_roster(now()).unwrap())
        .await;
    laptop
        .request("renaming bob", |im| {
            im.set_roster_item(now(), item).unwrap()
        })
        .await;
    let bob_bare = bob.bare();
    while desk
        .im
        .roster()
        .get(&bob_bare)
        .and_then(|i| i.name.as_deref())
        != Some("Bob after the cut")
    {
        desk.until("the roster push", |e| {
            matches!(e, ImEvent::RosterPush { .. })
        })
        .await;
    }
    for peer in [desk, laptop, bob] {
        peer.client.close().await;
    }
    harness.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_session_on_a_resource_kept_for_resumption_gets_its_stanzas() {
    let harness = Harness::start(&Setup::default(), &[ALICE, BOB]).await;
    let proxy = CutProxy::start(harness.c2s()).await;
    let mut alice = Peer::through("alice/desk", ALICE.1, &harness, &proxy).await;
    let mut bob = harness.peer("bob/desk", BOB.1).await;
    let alice_full = alice.full();
    alice.im.send_presence(Presence::available());
    alice.flush();
    bob.im
        .send_message(Message::chat(alice_full.clone(), "before the cut"));
    bob.flush();
    alice
        .until("the message before the cut", |e| {
            body_is(e, "before the cut")
        })
        .await;

    // The connection drops; the server keeps the session for resumption
    // and collects what comes for it.
    proxy.cut();
    alice
        .until_stream("the end of the connection", |e| {
            matches!(e, ClientEvent::Disconnected(_))
        })
        .await;
    bob.im
        .send_message(Message::chat(alice_full.clone(), "while you were away"));
    bob.flush();
    bob.request("a ping", |im| im.ping(now(), None).unwrap())
        .await;

    // The client starts a new session on the same resource instead of
    // resuming: the kept session ends, and what it collected waits
    // offline for the new one (RFC 6121 §8.5.2.1.1), nothing lost.
    let mut alice = harness.peer("alice/desk", ALICE.1).await;
    assert_eq!(alice.full(), alice_full);
    alice.im.send_presence(Presence::available());
    alice.flush();
    alice
        .until("the message kept for the session", |e| {
            body_is(e, "while you were away")
        })
        .await;
    alice.client.close().await;
    bob.client.close().await;
    harness.shutdown().await;
}
