//! Live interop: the stanzio clients (stanzio-blocking and stanzio-tokio,
//! with stanzio-im on top) against Prosody 0.12 and ejabberd 23.01.
//!
//! Every test is ignored by default: it needs the servers that
//! `tests/interop/servers.sh` runs. `tests/interop/run.sh` starts them, runs
//! `cargo test --test interop -- --ignored` with `STANZIO_INTEROP=1`, the CA
//! in `STANZIO_INTEROP_CA` and the ports in `STANZIO_INTEROP_PROSODY_PORT`
//! and `STANZIO_INTEROP_EJABBERD_PORT`, and stops them. Run without
//! `STANZIO_INTEROP`, or with a server down, a test fails: it is never
//! skipped silently.
//!
//! Each test runs once per server (`<test>::prosody`, `<test>::ejabberd`);
//! the tests of one server take turns, since they share its accounts. A
//! failure names the server, the step and the last lines exchanged.

mod interop_support;

use std::collections::HashSet;

use interop_support::proxy::CutProxy;
use interop_support::sasl::{RawStream, SaslOutcome, without_plus};
use interop_support::session::{Account, Adapter, Happening, Session};
use interop_support::{Peer, TlsVersions, Trace, run_tag};
use stanzio_blocking::Error;
use stanzio_im::ImEvent;
use stanzio_im::client::{RequestFailure, RosterChange};
use stanzio_im::payload::{CarbonDirection, RosterItem, Subscription};
use stanzio_jid::{BareJid, Jid};
use stanzio_sasl::{
    ChannelBindingMemory, ChannelBindingType, ClientPolicy, Credentials, Gs2Flag, Mechanism,
    SelectionError, ServerOffer, select,
};
use stanzio_stanza::{Condition, Message, Presence, PresenceType, Stanza};
use stanzio_stream::{ClientEvent, ConnectionError, SmPolicy};

/// Runs `$test` once per server, as `$test::prosody` and `$test::ejabberd`.
macro_rules! on_both_servers {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[test]
            #[ignore = "needs live servers: tests/interop/run.sh"]
            fn prosody() {
                super::$test(&super::Peer::prosody());
            }

            #[test]
            #[ignore = "needs live servers: tests/interop/run.sh"]
            fn ejabberd() {
                super::$test(&super::Peer::ejabberd());
            }
        }
    )*};
}

on_both_servers!(
    starttls_verifies_the_certificate,
    every_offered_mechanism,
    login_through_the_adapters,
    im_session,
    stream_resumption,
);

/// STARTTLS through both adapters and both TLS versions with the
/// certificate verified against the instance's CA; without that CA the
/// handshake fails on the certificate.
fn starttls_verifies_the_certificate(peer: &Peer) {
    let _turn = peer.exclusive();
    let trace = Trace::new(peer);
    let _report = trace.guard();
    for adapter in Adapter::BOTH {
        for tls in TlsVersions::BOTH {
            trace.step(format!("{} STARTTLS over {tls}", adapter.as_str()));
            let session = Session::options(peer, adapter, "alice@localhost/tls", &trace)
                .tls(tls)
                .connect()
                .unwrap_or_else(|error| trace.fail(format!("no session: {error}")));
            let version = session.with_connection(|c| c.tls().map(|info| info.version));
            trace.check_eq("negotiated TLS version", version, Some(tls.sasl()));
            session.close();
        }
        trace.step(format!("{} STARTTLS trusting no CA", adapter.as_str()));
        let refused = Session::options(peer, adapter, "alice@localhost/tls", &trace)
            .trust_nothing()
            .connect();
        match refused {
            Err(error) => trace.check_eq(
                "the handshake's failure",
                error.tls().cloned(),
                Some(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer,
                )),
            ),
            Ok(session) => trace.fail(format!(
                "{}: online although no CA is trusted",
                session.name
            )),
        }
    }
}

/// Every mechanism each server offers, over TLS 1.2 and 1.3, driven with
/// `stanzio_sasl` directly (the connection machine only ever picks the
/// strongest): PLAIN and each SCRAM hash log in; every `-PLUS` attempt with
/// a binding type rustls can produce (tls-exporter, tls-server-end-point)
/// is rejected, since both servers bind only tls-unique, and the login
/// then goes on without channel binding on the same stream, except for an
/// account pinned to channel binding, which refuses.
fn every_offered_mechanism(peer: &Peer) {
    let _turn = peer.exclusive();
    let trace = Trace::new(peer);
    let _report = trace.guard();
    let credentials = Credentials::password("alice", interop_support::PASSWORD);
    for tls in TlsVersions::BOTH {
        trace.step(format!("the offer over {tls}"));
        let probe = RawStream::open(peer, tls, &trace, "alice/sasl");
        let offered = probe.mechanisms();
        let offered_names: Vec<&str> = offered.iter().map(String::as_str).collect();
        trace.check_eq(
            "mechanisms offered",
            offered_names.as_slice(),
            peer.offer(tls),
        );
        trace.check_eq(
            "XEP-0440 channel-binding types advertised",
            probe.features.channel_binding_types.clone(),
            None,
        );
        let session_tls = probe.tls.clone();
        trace.check(
            session_tls
                .binding(ChannelBindingType::TlsExporter)
                .is_some()
                && session_tls
                    .binding(ChannelBindingType::TlsServerEndPoint)
                    .is_some(),
            || "the adapter gives no tls-exporter or tls-server-end-point data".to_owned(),
        );
        probe.close();
        for name in &offered {
            let mechanism: Mechanism = name.parse().expect("a mechanism stanzio implements");
            // The offer narrowed to this mechanism and its other variant, so
            // that `select` picks it, with the flag it would send to the
            // whole offer.
            let family: Vec<&str> = offered
                .iter()
                .map(String::as_str)
                .filter(|m| without_plus(m.parse().expect("known")) == without_plus(mechanism))
                .collect();
            let offer = ServerOffer::new(family.iter().copied());
            match mechanism {
                Mechanism::Plain => {
                    trace.step(format!("PLAIN over {tls}"));
                    let mut policy = ClientPolicy::default();
                    policy.allow_plain = true;
                    let selection = select(
                        &offer,
                        Some(&session_tls),
                        &credentials,
                        &policy,
                        ChannelBindingMemory::Unknown,
                    )
                    .unwrap_or_else(|error| trace.fail(format!("PLAIN: {error}")));
                    login_succeeds(peer, tls, &trace, &selection);
                }
                Mechanism::Scram { plus: false, .. } => {
                    trace.step(format!("{name} over {tls}"));
                    let plus_offered = family.len() > 1;
                    // What a client that learned the server rejects its
                    // binding type does (ChannelBindingMemory::Rejected); on
                    // TLS 1.2 it has no tls-unique and skips -PLUS anyway.
                    let memory = if plus_offered && tls == TlsVersions::Tls13 {
                        ChannelBindingMemory::Rejected(ChannelBindingType::TlsExporter)
                    } else {
                        ChannelBindingMemory::Unknown
                    };
                    let selection = select(
                        &offer,
                        Some(&session_tls),
                        &credentials,
                        &ClientPolicy::default(),
                        memory,
                    )
                    .unwrap_or_else(|error| trace.fail(format!("{name}: {error}")));
                    trace.check_eq("mechanism selected", selection.mechanism(), mechanism);
                    // RFC 5802 §6: `y` tells a server that offers no -PLUS that
                    // this client could have bound; `n` where -PLUS is offered.
                    let flag = if plus_offered {
                        Gs2Flag::NoBinding
                    } else {
                        Gs2Flag::ServerOfferedNoPlus
                    };
                    trace.check_eq("GS2 flag", selection.gs2_flag(), flag);
                    login_succeeds(peer, tls, &trace, &selection);
                }
                Mechanism::Scram { plus: true, .. } => {
                    for kind in [
                        ChannelBindingType::TlsExporter,
                        ChannelBindingType::TlsServerEndPoint,
                    ] {
                        trace.step(format!("{name} with {} over {tls}", kind.as_str()));
                        plus_rejected_then_fallback(peer, tls, &trace, &offer, kind);
                    }
                }
                _ => trace.fail(format!("{name} is offered but not expected")),
            }
        }
    }
}

/// A fresh stream on which `selection` logs in, with the server's proof.
fn login_succeeds(
    peer: &Peer,
    tls: TlsVersions,
    trace: &Trace,
    selection: &stanzio_sasl::Selection,
) {
    let mut stream = RawStream::open(peer, tls, trace, "alice/sasl");
    match stream.authenticate("alice", selection) {
        SaslOutcome::Success(_) => stream.close(),
        SaslOutcome::Failure(failure) => {
            trace.fail(format!("{} refused: {failure:?}", selection.mechanism()))
        }
    }
}

/// A `-PLUS` attempt with `kind`, which the server must reject; then the
/// fallback on the same stream: refused for a pinned account, and for
/// one that is not, SCRAM without `-PLUS` and flag `n`.
fn plus_rejected_then_fallback(
    peer: &Peer,
    tls: TlsVersions,
    trace: &Trace,
    offer: &ServerOffer,
    kind: ChannelBindingType,
) {
    let credentials = Credentials::password("alice", interop_support::PASSWORD);
    let policy = ClientPolicy::default();
    let mut stream = RawStream::open(peer, tls, trace, "alice/sasl");
    // The type mandatory for the TLS version is what a client tries when it
    // knows nothing (RFC 9266 §3 on TLS 1.3); any other one, or tls-exporter
    // on TLS 1.2 where tls-unique is the default, only an account pinned to
    // it tries.
    let real_attempt = kind == ChannelBindingType::TlsExporter && tls == TlsVersions::Tls13;
    let memory = if real_attempt {
        ChannelBindingMemory::Unknown
    } else {
        ChannelBindingMemory::Bound(kind)
    };
    let selection = select(offer, Some(&stream.tls), &credentials, &policy, memory)
        .unwrap_or_else(|error| trace.fail(format!("select: {error}")));
    trace.check_eq(
        "the -PLUS attempt",
        (selection.mechanism(), selection.gs2_flag()),
        (
            offer
                .mechanisms
                .iter()
                .find_map(|m| {
                    m.parse::<Mechanism>()
                        .ok()
                        .filter(|m| matches!(m, Mechanism::Scram { plus: true, .. }))
                })
                .expect("a -PLUS mechanism"),
            Gs2Flag::Bind(kind),
        ),
    );
    match stream.authenticate("alice", &selection) {
        SaslOutcome::Failure(failure) => trace.check_eq(
            "the server's answer to channel binding it does not implement",
            failure.condition.as_ref().map(|c| c.as_str().to_owned()),
            Some(peer.plus_rejection.to_owned()),
        ),
        SaslOutcome::Success(_) => trace.fail(format!(
            "{} with {} succeeded: the server binds with it now; update the expectations",
            selection.mechanism(),
            kind.as_str()
        )),
    }
    let fallback = if real_attempt {
        selection
            .without_channel_binding()
            .unwrap_or_else(|error| trace.fail(format!("no fallback: {error}")))
    } else {
        // XEP-0474 §7 style pinning: a pinned account never gives up
        // channel binding (the failure is what a man in the middle causes).
        trace.check_eq(
            "the pinned account's fallback",
            selection.without_channel_binding().err(),
            Some(SelectionError::ChannelBindingPinned { kind }),
        );
        // An account that is not pinned: on TLS 1.2 the client has no
        // tls-unique and does not try -PLUS; on TLS 1.3 it remembers the
        // rejection.
        let memory = match tls {
            TlsVersions::Tls12 => ChannelBindingMemory::Unknown,
            TlsVersions::Tls13 => ChannelBindingMemory::Rejected(ChannelBindingType::TlsExporter),
        };
        select(offer, Some(&stream.tls), &credentials, &policy, memory)
            .unwrap_or_else(|error| trace.fail(format!("select: {error}")))
    };
    trace.check_eq(
        "the fallback",
        (fallback.mechanism(), fallback.gs2_flag()),
        (without_plus(selection.mechanism()), Gs2Flag::NoBinding),
    );
    match stream.authenticate("alice", &fallback) {
        SaslOutcome::Success(memory) => {
            if real_attempt {
                trace.check_eq(
                    "what the client remembers",
                    memory,
                    Some(ChannelBindingMemory::Rejected(kind)),
                );
            }
            stream.close();
        }
        SaslOutcome::Failure(failure) => {
            trace.fail(format!("the fallback was refused: {failure:?}"))
        }
    }
}

/// The login as applications get it, through both adapters over TLS 1.2
/// and 1.3: the mechanism the machine picks, the channel-binding fallback
/// it reports (ejabberd offers -PLUS on TLS 1.3 and rejects tls-exporter),
/// the memory that makes the next login a single attempt, and the refusal
/// of an account pinned to channel binding.
fn login_through_the_adapters(peer: &Peer) {
    let _turn = peer.exclusive();
    let trace = Trace::new(peer);
    let _report = trace.guard();
    for adapter in Adapter::BOTH {
        for tls in TlsVersions::BOTH {
            let plus_offered = peer.offer(tls).iter().any(|m| m.ends_with("-PLUS"));
            // Without XEP-0440 the client tries only the type mandatory for
            // the version: tls-exporter on TLS 1.3; tls-unique, which rustls
            // lacks, on 1.2.
            let tries_plus = plus_offered && tls == TlsVersions::Tls13;
            trace.step(format!("{} login over {tls}", adapter.as_str()));
            let mut session = Session::options(peer, adapter, "alice@localhost/login", &trace)
                .tls(tls)
                .connect()
                .unwrap_or_else(|error| trace.fail(format!("no session: {error}")));
            let events = session.negotiation();
            let expected_fallback = tries_plus.then(|| {
                (
                    ChannelBindingType::TlsExporter,
                    peer.chosen_mechanism.to_owned(),
                    false,
                )
            });
            trace.check_eq(
                "channel-binding fallback",
                fallback(&events),
                expected_fallback,
            );
            trace.check_eq(
                "authenticated with",
                authenticated(&events),
                Some((peer.chosen_mechanism.to_owned(), None)),
            );
            trace.check_eq(
                "bound",
                online(&events),
                Some(("alice@localhost/login".to_owned(), false)),
            );
            let memory = session.with_connection(|c| c.channel_binding_memory());
            let expected_memory = if tries_plus {
                ChannelBindingMemory::Rejected(ChannelBindingType::TlsExporter)
            } else {
                ChannelBindingMemory::Unknown
            };
            trace.check_eq("channel-binding memory", memory, Some(expected_memory));
            session.close();

            if tries_plus {
                trace.step(format!(
                    "{} login over {tls} remembering the rejection",
                    adapter.as_str()
                ));
                let mut session = Session::options(peer, adapter, "alice@localhost/login", &trace)
                    .tls(tls)
                    .memory(expected_memory)
                    .connect()
                    .unwrap_or_else(|error| trace.fail(format!("no session: {error}")));
                let events = session.negotiation();
                trace.check_eq(
                    "channel-binding fallback",
                    fallback(&events),
                    Some((
                        ChannelBindingType::TlsExporter,
                        peer.chosen_mechanism.to_owned(),
                        true,
                    )),
                );
                trace.check_eq(
                    "authenticated with",
                    authenticated(&events),
                    Some((peer.chosen_mechanism.to_owned(), None)),
                );
                session.close();
            }

            if plus_offered {
                trace.step(format!(
                    "{} login over {tls} pinned to tls-exporter",
                    adapter.as_str()
                ));
                let pinned = Session::options(peer, adapter, "alice@localhost/login", &trace)
                    .tls(tls)
                    .memory(ChannelBindingMemory::Bound(ChannelBindingType::TlsExporter))
                    .connect();
                match pinned {
                    Err(Error::Connection(ConnectionError::ChannelBindingFailed {
                        failure,
                        reason,
                    })) => {
                        trace.check_eq(
                            "the server's answer",
                            failure.condition.as_ref().map(|c| c.as_str().to_owned()),
                            Some(peer.plus_rejection.to_owned()),
                        );
                        trace.check_eq(
                            "why the fallback is refused",
                            reason,
                            SelectionError::ChannelBindingPinned {
                                kind: ChannelBindingType::TlsExporter,
                            },
                        );
                    }
                    Err(error) => trace.fail(format!("the pinned login failed otherwise: {error}")),
                    Ok(session) => trace.fail(format!(
                        "{}: a pinned account logged in without channel binding",
                        session.name
                    )),
                }
            }
        }
    }
}

fn fallback(events: &[ClientEvent]) -> Option<(ChannelBindingType, String, bool)> {
    events.iter().find_map(|event| match event {
        ClientEvent::ChannelBindingFallback {
            rejected,
            retry,
            remembered,
        } => Some((*rejected, retry.as_str().to_owned(), *remembered)),
        _ => None,
    })
}

fn authenticated(events: &[ClientEvent]) -> Option<(String, Option<ChannelBindingType>)> {
    events.iter().find_map(|event| match event {
        ClientEvent::Authenticated {
            mechanism,
            channel_binding,
        } => Some((mechanism.as_str().to_owned(), *channel_binding)),
        _ => None,
    })
}

fn online(events: &[ClientEvent]) -> Option<(String, bool)> {
    events.iter().find_map(|event| match event {
        ClientEvent::Online { jid, resumed } => Some((jid.to_string(), *resumed)),
        _ => None,
    })
}

/// A whole IM session between alice (tokio adapter), her second resource
/// and bob and carol (blocking adapter): bind, the roster with the
/// server's pushes, a subscription both ways, presence, chat, carbons,
/// blocking, pings, and a clean close seen by the contact.
fn im_session(peer: &Peer) {
    let _turn = peer.exclusive();
    let trace = Trace::new(peer);
    let _report = trace.guard();
    let tag = run_tag();

    trace.step("bind");
    let mut alice = Account::connect(peer, Adapter::Tokio, "alice@localhost/interop", &trace);
    let mut bob = Account::connect(peer, Adapter::Blocking, "bob@localhost/interop", &trace);
    trace.check_eq(
        "alice's bound JID",
        alice.full().to_string(),
        "alice@localhost/interop".to_owned(),
    );
    trace.check_eq(
        "bob's bound JID",
        bob.full().to_string(),
        "bob@localhost/interop".to_owned(),
    );
    let (alice_bare, bob_bare) = (alice.bare(), bob.bare());
    let carol_bare: BareJid = "carol@localhost".parse().expect("a JID");

    trace.step("roster get, and what earlier runs left removed");
    for (account, contact) in [(&mut alice, &bob_bare), (&mut bob, &alice_bare)] {
        account.request("roster get", |im, now| im.fetch_roster(now));
        if account.im.roster().get(contact).is_some() {
            let contact = contact.clone();
            account.request("roster remove", |im, now| {
                im.remove_roster_item(now, contact)
            });
        }
    }
    alice.request("blocklist get", |im, now| im.fetch_blocklist(now));
    if !alice.im.blocklist().is_empty() {
        alice.request("unblock all", |im, now| im.unblock_all(now));
    }
    for account in [&mut alice, &mut bob] {
        account.settle();
        account.take_events();
    }

    trace.step("roster add");
    let item = RosterItem::new(bob_bare.clone())
        .with_name("Bob")
        .with_group("Friends");
    alice.request("roster add", |im, now| im.set_roster_item(now, item));
    let (added, version) = alice.wait("roster push adding bob", |event| match event {
        ImEvent::RosterPush {
            change: RosterChange::Added(item),
            version,
        } if item.jid == bob_bare => Some((item.clone(), version.clone())),
        _ => None,
    });
    trace.check_eq("pushed name", added.name.as_deref(), Some("Bob"));
    trace.check_eq(
        "pushed groups",
        added.groups.clone(),
        vec!["Friends".to_owned()],
    );
    trace.check_eq(
        "pushed subscription",
        added.subscription,
        Subscription::None,
    );
    check_push_shape(peer, &trace, &alice, version.as_deref());

    trace.step("roster update");
    let item = RosterItem::new(bob_bare.clone())
        .with_name("Bobby")
        .with_group("Friends")
        .with_group("Work");
    alice.request("roster update", |im, now| im.set_roster_item(now, item));
    let (previous, updated, new_version) =
        alice.wait("roster push updating bob", |event| match event {
            ImEvent::RosterPush {
                change: RosterChange::Updated { previous, item },
                version,
            } if item.jid == bob_bare => Some((previous.clone(), item.clone(), version.clone())),
            _ => None,
        });
    trace.check_eq("previous name", previous.name.as_deref(), Some("Bob"));
    trace.check_eq("updated name", updated.name.as_deref(), Some("Bobby"));
    let mut groups = updated.groups.clone();
    groups.sort();
    trace.check_eq(
        "updated groups",
        groups,
        vec!["Friends".to_owned(), "Work".to_owned()],
    );
    trace.check(new_version != version, || {
        format!("the roster version did not change: {new_version:?}")
    });
    check_push_shape(peer, &trace, &alice, new_version.as_deref());

    trace.step("roster remove");
    let contact = bob_bare.clone();
    alice.request("roster remove", |im, now| {
        im.remove_roster_item(now, contact)
    });
    alice.wait("roster push removing bob", |event| match event {
        ImEvent::RosterPush {
            change: RosterChange::Removed(item),
            ..
        } => (item.jid == bob_bare).then_some(()),
        _ => None,
    });
    trace.check(alice.im.roster().get(&bob_bare).is_none(), || {
        "bob is still in alice's roster".to_owned()
    });

    trace.step("initial presence");
    alice.send_presence(Presence::available());
    bob.send_presence(Presence::available());

    trace.step("subscription: alice asks bob");
    subscribe(&trace, &mut alice, &mut bob);
    trace.step("subscription: bob asks alice");
    subscribe(&trace, &mut bob, &mut alice);
    for (account, contact) in [(&alice, &bob_bare), (&bob, &alice_bare)] {
        let subscription = account
            .im
            .roster()
            .get(contact)
            .map(|item| item.subscription);
        trace.check_eq(
            &format!("{}'s subscription to {contact}", account.name()),
            subscription,
            Some(Subscription::Both),
        );
    }

    trace.step("presence seen on both sides");
    let (alice_full, bob_full) = (Jid::from(alice.full()), Jid::from(bob.full()));
    for (account, full) in [(&mut alice, &bob_full), (&mut bob, &alice_full)] {
        account.wait(
            &format!("available presence of {full}"),
            |event| match event {
                ImEvent::Presence(presence)
                    if presence.from.as_ref() == Some(full)
                        && presence.type_ == PresenceType::Available =>
                {
                    Some(())
                }
                _ => None,
            },
        );
        let bare = full.to_bare();
        trace.check(account.im.presence().is_available(&bare), || {
            format!("{bare} is not available for {}", account.name())
        });
    }

    trace.step("chat both ways");
    let hello = format!("hello bob {tag}");
    alice.send_message(Message::chat(Jid::from(bob_bare.clone()), hello.clone()));
    let received = bob.wait_message(&hello);
    trace.check_eq("sender", received.from, Some(Jid::from(alice.full())));
    let reply = format!("hello alice {tag}");
    bob.send_message(Message::chat(Jid::from(alice.full()), reply.clone()));
    let received = alice.wait_message(&reply);
    trace.check_eq("sender", received.from, Some(Jid::from(bob.full())));

    trace.step("carbons");
    let mut alice2 = Account::connect(peer, Adapter::Blocking, "alice@localhost/interop-2", &trace);
    alice2.send_presence(Presence::available());
    alice2.request("carbons enable", |im, now| im.set_carbons(now, true));
    trace.check(alice2.im.carbons_enabled(), || {
        "carbons are not on after the server's result".to_owned()
    });
    let incoming = format!("to alice's other resource {tag}");
    bob.send_message(Message::chat(Jid::from(alice.full()), incoming.clone()));
    alice.wait_message(&incoming);
    let copy = wait_carbon(&mut alice2, CarbonDirection::Received, &incoming);
    trace.check_eq(
        "received carbon's sender",
        copy.from,
        Some(Jid::from(bob.full())),
    );
    let outgoing = format!("from alice's other resource {tag}");
    alice.send_message(Message::chat(Jid::from(bob.full()), outgoing.clone()));
    bob.wait_message(&outgoing);
    let copy = wait_carbon(&mut alice2, CarbonDirection::Sent, &outgoing);
    trace.check_eq(
        "sent carbon's recipient",
        copy.to,
        Some(Jid::from(bob.full())),
    );

    trace.step("blocking");
    let mut carol = Account::connect(peer, Adapter::Blocking, "carol@localhost/interop", &trace);
    let carol_jid = Jid::from(carol_bare.clone());
    let blocked = carol_jid.clone();
    alice.request("block carol", |im, now| im.block(now, vec![blocked]));
    alice.wait("blocklist push", |event| match event {
        ImEvent::Blocked { jids } => jids.contains(&carol_jid).then_some(()),
        _ => None,
    });
    if peer.privacy_list_push {
        wait_privacy_push(&mut alice);
    }
    trace.check(alice.im.is_blocked(&carol_jid), || {
        "carol is not in alice's blocklist".to_owned()
    });
    // XEP-0191 §3.3: a message to a blocked contact is refused.
    let refused = alice.send_message(Message::chat(carol_jid.clone(), format!("to carol {tag}")));
    let condition = alice.wait("the refusal of a message to carol", |event| match event {
        ImEvent::MessageFailed { id, error, .. } if *id == refused => Some(error.condition.clone()),
        _ => None,
    });
    trace.check_eq("refusal condition", condition, Condition::NotAcceptable);
    let while_blocked = format!("while blocked {tag}");
    carol.send_message(Message::chat(
        Jid::from(alice.full()),
        while_blocked.clone(),
    ));
    carol.settle();

    trace.step("unblocking");
    let unblocked = carol_jid.clone();
    alice.request("unblock carol", |im, now| im.unblock(now, vec![unblocked]));
    alice.wait("unblock push", |event| match event {
        ImEvent::Unblocked { jids } => jids.contains(&carol_jid).then_some(()),
        _ => None,
    });
    if peer.privacy_list_push {
        wait_privacy_push(&mut alice);
    }
    let after = format!("after unblocking {tag}");
    carol.send_message(Message::chat(Jid::from(alice.full()), after.clone()));
    alice.wait_message(&after);
    let bodies = alice.take_message_bodies();
    trace.check(!bodies.contains(&while_blocked), || {
        format!("alice received {while_blocked:?} from carol while she blocked her")
    });
    if !peer.privacy_list_push {
        let pushes: Vec<ImEvent> = alice
            .take_events()
            .into_iter()
            .filter(|event| matches!(event, ImEvent::PrivacyListChanged { .. }))
            .collect();
        trace.check(pushes.is_empty(), || {
            format!("privacy-list pushes from a server that has none: {pushes:?}")
        });
    }

    trace.step("ping");
    alice.settle();
    let alice_full = Jid::from(alice.full());
    let request = bob.command("ping alice", |im, now| im.ping(now, Some(alice_full)));
    // alice's IM logic answers (XEP-0199 §4), through the tokio adapter.
    let pong = bob.wait_serving("alice's pong", &mut alice, |event| match event {
        ImEvent::RequestCompleted { request: r } if *r == request => Some(Ok(())),
        ImEvent::RequestFailed {
            request: r,
            failure,
        } if *r == request => Some(Err(failure.clone())),
        _ => None,
    });
    trace.check_eq(
        "alice's answer to the ping",
        pong,
        Ok::<(), RequestFailure>(()),
    );

    trace.step("clean close");
    carol.close();
    let gone = Jid::from(alice2.full());
    alice2.close();
    wait_unavailable(&mut bob, &gone);
    let gone = Jid::from(alice.full());
    alice.close();
    wait_unavailable(&mut bob, &gone);
    bob.close();
}

/// The last roster push over the wire had the server's shape: without
/// addresses (Prosody), or from the account's bare JID to the resource
/// (ejabberd); and its kind of version.
fn check_push_shape(peer: &Peer, trace: &Trace, account: &Account, version: Option<&str>) {
    let Some(shape) = account.roster_pushes.last() else {
        trace.fail("no roster push on the wire");
    };
    let (from, to) = (Jid::from(account.bare()), Jid::from(account.full()));
    let addressed = peer.roster_push_addressed;
    trace.check_eq(
        "roster push `from`",
        shape.from.clone(),
        addressed.then_some(from),
    );
    trace.check_eq(
        "roster push `to`",
        shape.to.clone(),
        addressed.then_some(to),
    );
    trace.check_eq("roster push `ver`", shape.ver.as_deref(), version);
    let Some(version) = version else {
        trace.fail("the server offers roster versioning but the push has no version");
    };
    let counter = version.chars().all(|c| c.is_ascii_digit());
    let sha1_hex = version.len() == 40 && version.chars().all(|c| c.is_ascii_hexdigit());
    trace.check(
        if peer.roster_version_is_counter {
            counter
        } else {
            sha1_hex
        },
        || format!("roster version {version:?} is not of {}'s kind", peer.name),
    );
}

/// `asker` subscribes to `contact`'s presence and `contact` approves
/// (RFC 6121 §3.1): the request, the approval, both roster pushes, and the
/// contact's presence that follows.
fn subscribe(trace: &Trace, asker: &mut Account, contact: &mut Account) {
    let (asker_bare, contact_bare) = (asker.bare(), contact.bare());
    let target = contact_bare.clone();
    asker.act(|im| im.subscribe(target));
    asker.wait(
        "roster push with the pending request",
        |event| match event {
            ImEvent::RosterPush { change, .. } => {
                let item = match change {
                    RosterChange::Added(item) | RosterChange::Updated { item, .. } => item,
                    RosterChange::Removed(_) => return None,
                };
                (item.jid == contact_bare && item.ask).then_some(())
            }
            _ => None,
        },
    );
    contact.wait("the subscription request", |event| match event {
        ImEvent::SubscriptionRequest { from, .. } => (*from == asker_bare).then_some(()),
        _ => None,
    });
    let approved = asker_bare.clone();
    contact.act(|im| im.approve(approved));
    contact.wait("roster push after approving", |event| match event {
        ImEvent::RosterPush {
            change: RosterChange::Added(item) | RosterChange::Updated { item, .. },
            ..
        } => (item.jid == asker_bare && item.subscription.has_from()).then_some(()),
        _ => None,
    });
    asker.wait("the approval", |event| match event {
        ImEvent::SubscriptionApproved { from } => (*from == contact_bare).then_some(()),
        _ => None,
    });
    asker.wait("roster push after the approval", |event| match event {
        ImEvent::RosterPush {
            change: RosterChange::Updated { item, .. },
            ..
        } => (item.jid == contact_bare && item.subscription.has_to() && !item.ask).then_some(()),
        _ => None,
    });
    trace.check(
        asker.im.subscription_requests().is_empty()
            && contact.im.subscription_requests().is_empty(),
        || "a subscription request is left unanswered".to_owned(),
    );
}

fn wait_carbon(account: &mut Account, direction: CarbonDirection, body: &str) -> Message {
    account.wait(
        &format!("{} carbon of {body:?}", direction.as_str()),
        |event| match event {
            ImEvent::Carbon {
                direction: d,
                message,
            } if *d == direction && message.body() == Some(body) => Some(message.clone()),
            _ => None,
        },
    )
}

/// ejabberd's XEP-0016 push of the list behind XEP-0191.
fn wait_privacy_push(account: &mut Account) {
    account.wait("privacy-list push", |event| match event {
        ImEvent::PrivacyListChanged { name } => (name == "Blocked contacts").then_some(()),
        _ => None,
    });
}

fn wait_unavailable(account: &mut Account, gone: &Jid) {
    account.wait(
        &format!("unavailable presence of {gone}"),
        |event| match event {
            ImEvent::Presence(presence)
                if presence.from.as_ref() == Some(gone)
                    && presence.type_ == PresenceType::Unavailable =>
            {
                Some(())
            }
            _ => None,
        },
    );
}

/// Stream management through both adapters: enabled with resumption, a
/// stanza acknowledged, the TCP connection cut under a stanza in flight,
/// messages sent to the absent session, the session resumed (by hand with
/// the blocking adapter, by the reconnection policy with the tokio one),
/// and every message delivered exactly once both ways.
fn stream_resumption(peer: &Peer) {
    let _turn = peer.exclusive();
    let trace = Trace::new(peer);
    let _report = trace.guard();
    let tag = run_tag();
    let mut bob = Account::connect(peer, Adapter::Blocking, "bob@localhost/sm", &trace);
    let bob_full = Jid::from(bob.full());
    for adapter in Adapter::BOTH {
        let name = adapter.as_str();
        trace.step(format!("{name}: enable"));
        let proxy = CutProxy::start(([127, 0, 0, 1], peer.port).into())
            .unwrap_or_else(|error| trace.fail(format!("no proxy: {error}")));
        let mut sm = SmPolicy::default();
        // An ack request after every stanza: each one is acknowledged.
        sm.ack_every = 1;
        let jid = format!("alice@localhost/sm-{name}");
        let mut options = Session::options(peer, adapter, &jid, &trace)
            .sm(Some(sm.clone()))
            .via(proxy.port());
        if adapter == Adapter::Tokio {
            options = options.reconnect();
        }
        let session = options
            .connect()
            .unwrap_or_else(|error| trace.fail(format!("no session: {error}")));
        let mut alice = Account::new(session, &trace);
        let alice_full = Jid::from(alice.full());
        let resumed = alice.wait_stream("the session online", |happening| match happening {
            Happening::Stream(ClientEvent::Online { resumed, .. }) => Some(*resumed),
            _ => None,
        });
        trace.check(!resumed, || {
            "the first session claims to be resumed".to_owned()
        });
        alice.wait_stream("stream management enabled", |happening| match happening {
            Happening::Stream(ClientEvent::StreamManagementEnabled { resumable, .. }) => {
                Some(()).filter(|()| *resumable)
            }
            _ => None,
        });

        trace.step(format!("{name}: acknowledgement"));
        let first = format!("{name} first {tag}");
        alice.send_message(Message::chat(bob_full.clone(), first.clone()));
        wait_acked(&mut alice, &first);
        bob.wait_message(&first);
        let before = format!("{name} before the cut {tag}");
        bob.send_message(Message::chat(alice_full.clone(), before.clone()));
        alice.wait_message(&before);

        trace.step(format!("{name}: cut under a stanza in flight"));
        let in_flight = format!("{name} in flight {tag}");
        alice.send_message(Message::chat(bob_full.clone(), in_flight.clone()));
        let cut = proxy.cut();
        trace.check_eq("connections cut", cut, 1);
        match adapter {
            Adapter::Blocking => alice.wait_stream("the loss", |happening| match happening {
                Happening::Stream(ClientEvent::Disconnected(Some(_))) => Some(()),
                _ => None,
            }),
            Adapter::Tokio => alice.wait_stream("the reconnection", |happening| match happening {
                Happening::Reconnecting { attempt: 1, .. } => Some(()),
                _ => None,
            }),
        }
        let mut to_alice = Vec::new();
        for n in 1..=3 {
            let body = format!("{name} while away {n} {tag}");
            bob.send_message(Message::chat(alice_full.clone(), body.clone()));
            to_alice.push(body);
        }
        bob.settle();
        let mut to_bob = vec![in_flight];
        if adapter == Adapter::Tokio {
            // Kept by the adapter until the session is back.
            let body = format!("{name} sent while away {tag}");
            alice.send_message(Message::chat(bob_full.clone(), body.clone()));
            to_bob.push(body);
        }

        trace.step(format!("{name}: resume"));
        if adapter == Adapter::Blocking {
            let state = alice
                .session
                .take_resumption()
                .unwrap_or_else(|| trace.fail("no resumption state after the loss"));
            let session = Session::options(peer, adapter, &jid, &trace)
                .sm(Some(sm.clone()))
                .via(proxy.port())
                .resume(state)
                .connect()
                .unwrap_or_else(|error| trace.fail(format!("resumption: {error}")));
            alice.replace_session(session);
        }
        let resumed = alice.wait_stream("the session back online", |happening| match happening {
            Happening::Stream(ClientEvent::Online { resumed, .. }) => Some(*resumed),
            _ => None,
        });
        trace.check(resumed, || {
            "a new session was bound instead of resuming".to_owned()
        });
        trace.check_eq(
            "bound JID after resumption",
            Jid::from(alice.full()),
            alice_full.clone(),
        );

        trace.step(format!("{name}: nothing lost, nothing twice"));
        for body in &to_alice {
            alice.wait_message(body);
        }
        alice.settle();
        let again = alice.take_message_bodies();
        let expected_once: HashSet<&String> = to_alice.iter().chain([&before]).collect();
        trace.check(
            !again.iter().any(|body| expected_once.contains(body)),
            || format!("alice received again: {again:?}"),
        );
        let last = format!("{name} after resumption {tag}");
        alice.send_message(Message::chat(bob_full.clone(), last.clone()));
        to_bob.push(last);
        for body in &to_bob {
            bob.wait_message(body);
        }
        bob.settle();
        let again = bob.take_message_bodies();
        trace.check(
            !again
                .iter()
                .any(|body| to_bob.contains(body) || *body == first),
            || format!("bob received again: {again:?}"),
        );
        let unacked = alice.session.with_connection(|c| c.stream_management());
        trace.check(unacked.is_some_and(|(resumable, _)| resumable), || {
            format!("stream management after resumption: {unacked:?}")
        });
        if adapter == Adapter::Tokio {
            alice.close();
            continue;
        }

        // What the hibernated session never acknowledged is not lost when a
        // new session takes its resource over. ejabberd hands it to the new
        // session right around <enable/>: stanzas that arrive before
        // <enabled/> were sent before the server started counting (XEP-0198
        // §4), so the client must not count them either, or its next ack
        // claims more than the server sent.
        trace.step(format!(
            "{name}: a new session on the resource of a hibernated one"
        ));
        trace.check_eq("connections cut", proxy.cut(), 1);
        alice.wait_stream("the loss", |happening| match happening {
            Happening::Stream(ClientEvent::Disconnected(Some(_))) => Some(()),
            _ => None,
        });
        let mut kept = Vec::new();
        for n in 1..=2 {
            let body = format!("{name} for the hibernated session {n} {tag}");
            bob.send_message(Message::chat(alice_full.clone(), body.clone()));
            kept.push(body);
        }
        bob.settle();
        let session = Session::options(peer, adapter, &jid, &trace)
            .sm(Some(sm))
            .via(proxy.port())
            .connect()
            .unwrap_or_else(|error| trace.fail(format!("no new session: {error}")));
        let mut alice = Account::new(session, &trace);
        alice.wait_stream("stream management enabled", |happening| match happening {
            Happening::Stream(ClientEvent::StreamManagementEnabled { .. }) => Some(()),
            _ => None,
        });
        // ejabberd delivers them to the new session at once; Prosody keeps
        // them offline until initial presence (RFC 6121 §4.2.2).
        alice.send_presence(Presence::available());
        for body in &kept {
            alice.wait_message(body);
        }
        alice.settle();
        let again = alice.take_message_bodies();
        trace.check(!again.iter().any(|body| kept.contains(body)), || {
            format!("alice received again: {again:?}")
        });
        let after = format!("{name} on the new session {tag}");
        alice.send_message(Message::chat(bob_full.clone(), after.clone()));
        wait_acked(&mut alice, &after);
        bob.wait_message(&after);
        alice.close();
        drop(proxy);
    }
    bob.close();
}

fn wait_acked(account: &mut Account, body: &str) {
    account.wait_stream(&format!("ack of {body:?}"), |happening| match happening {
        Happening::Stream(ClientEvent::Acked(Stanza::Message(message))) => {
            (message.body() == Some(body)).then_some(())
        }
        _ => None,
    });
}
