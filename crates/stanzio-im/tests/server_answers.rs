//! What the IM server answers by itself (RFC 6121 §2.3.3, §2.5.3, §8.5;
//! XEP-0191 §3.3; XEP-0030; XEP-0199), that a waiting subscription request
//! is delivered again at the next login (§3.1.3), and that a failing store
//! gets `internal-server-error` rather than a silent loss.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly

mod support;

use std::convert::Infallible;

use stanzio_im::payload::{Blocklist, DiscoInfo};
use stanzio_im::server::{RosterEntry, ServerOutput};
use stanzio_im::{AccountStore, ImServer, ImServerConfig, MemoryStore};
use stanzio_jid::{BareJid, FullJid};
use stanzio_stanza::{Condition, IqPayload, Message, PresenceType, Stanza};
use support::{Hub, jid, stanza};

/// The one stanza the server sent `to`, after `sender` sent `xml`.
fn ask(hub: &mut Hub, sender: &FullJid, xml: &str) -> Vec<Stanza> {
    hub.delivered.clear();
    hub.server
        .handle_stanza(&mut hub.store, sender, stanza(xml));
    let mut out = Vec::new();
    while let Some(output) = hub.server.poll_output() {
        match output {
            ServerOutput::Deliver { to, stanza } if to == *sender => out.push(stanza),
            ServerOutput::Deliver { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    out
}

fn error_of(out: &[Stanza]) -> Option<Condition> {
    out.iter().find_map(|s| match s {
        Stanza::Iq(iq) => match &iq.payload {
            IqPayload::Error { error, .. } => Some(error.condition.clone()),
            _ => None,
        },
        Stanza::Message(m) => m.error.as_ref().map(|e| e.condition.clone()),
        Stanza::Presence(p) => p.error.as_ref().map(|e| e.condition.clone()),
    })
}

fn disco(out: &[Stanza]) -> (Option<String>, DiscoInfo) {
    let [Stanza::Iq(iq)] = out else {
        panic!("{out:?}")
    };
    let IqPayload::Result(Some(payload)) = &iq.payload else {
        panic!("{iq:?}")
    };
    (
        iq.from.as_ref().map(|f| f.to_string()),
        DiscoInfo::from_element(payload.root()).unwrap(),
    )
}

fn hub() -> (Hub, FullJid) {
    let mut hub = Hub::new("verona.lit", &["juliet", "romeo"]);
    let juliet = hub.log_in("juliet@verona.lit/balcony");
    (hub, juliet)
}

#[test]
fn the_server_and_accounts_answer_disco_info_and_ping() {
    let (mut hub, juliet) = hub();
    let query = "<query xmlns='http://jabber.org/protocol/disco#info'/>";
    let (from, server) = disco(&ask(
        &mut hub,
        &juliet,
        &format!("<iq type='get' id='1' to='verona.lit'>{query}</iq>"),
    ));
    assert_eq!(from.as_deref(), Some("verona.lit"));
    assert_eq!(server.identities[0].category, "server");
    for feature in [
        "urn:xmpp:blocking",
        "urn:xmpp:carbons:2",
        "jabber:iq:roster",
        "msgoffline",
        "urn:xmpp:ping",
    ] {
        assert!(server.has_feature(feature), "{feature}");
    }
    let (from, own) = disco(&ask(
        &mut hub,
        &juliet,
        &format!("<iq type='get' id='2'>{query}</iq>"),
    ));
    assert_eq!(from.as_deref(), Some("juliet@verona.lit"));
    assert_eq!(own.identities[0].category, "account");
    // Another account answers through its server (RFC 6121 §8.5.2.1.3).
    let (from, other) = disco(&ask(
        &mut hub,
        &juliet,
        &format!("<iq type='get' id='3' to='romeo@verona.lit'>{query}</iq>"),
    ));
    assert_eq!(from.as_deref(), Some("romeo@verona.lit"));
    assert_eq!(other.identities[0].type_, "registered");
    let pong = ask(
        &mut hub,
        &juliet,
        "<iq type='get' id='4' to='verona.lit'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    assert!(
        matches!(pong.as_slice(), [Stanza::Iq(iq)] if matches!(iq.payload, IqPayload::Result(None)))
    );
}

#[test]
fn bad_requests_get_the_errors_the_specifications_name() {
    let (mut hub, juliet) = hub();
    let long = "x".repeat(2000);
    for (xml, condition) in [
        // RFC 6121 §2.3.3: one item per set; sizes are limited.
        ("<iq type='set' id='1'><query xmlns='jabber:iq:roster'><item jid='a@verona.lit'/><item jid='b@verona.lit'/></query></iq>".to_owned(), Condition::BadRequest),
        (format!("<iq type='set' id='2'><query xmlns='jabber:iq:roster'><item jid='a@verona.lit' name='{long}'/></query></iq>"), Condition::NotAcceptable),
        ("<iq type='set' id='3'><query xmlns='jabber:iq:roster'><item jid='a@verona.lit'><group>g</group><group>g</group></item></query></iq>".to_owned(), Condition::BadRequest),
        // §2.5.3: removing what is not there.
        ("<iq type='set' id='4'><query xmlns='jabber:iq:roster'><item jid='nobody@verona.lit' subscription='remove'/></query></iq>".to_owned(), Condition::ItemNotFound),
        // XEP-0191 §3.3: nothing to block; §5: never oneself.
        ("<iq type='set' id='5'><block xmlns='urn:xmpp:blocking'/></iq>".to_owned(), Condition::BadRequest),
        ("<iq type='set' id='6'><block xmlns='urn:xmpp:blocking'><item jid='juliet@verona.lit/other'/></block></iq>".to_owned(), Condition::BadRequest),
        ("<iq type='get' id='7'><block xmlns='urn:xmpp:blocking'/></iq>".to_owned(), Condition::BadRequest),
        // Something the account does not do.
        ("<iq type='get' id='8'><query xmlns='jabber:iq:private'/></iq>".to_owned(), Condition::ServiceUnavailable),
        // RFC 6121 §8.5.3.2.3, §8.5.2.2.3: nobody there.
        ("<iq type='get' id='9' to='romeo@verona.lit/gone'><ping xmlns='urn:xmpp:ping'/></iq>".to_owned(), Condition::ServiceUnavailable),
        ("<iq type='get' id='10' to='nobody@verona.lit/x'><ping xmlns='urn:xmpp:ping'/></iq>".to_owned(), Condition::ServiceUnavailable),
        // §8.5.2.2.1, §8.5.2.1.1.
        ("<message type='chat' id='11' to='nobody@verona.lit'><body>hi</body></message>".to_owned(), Condition::ServiceUnavailable),
        ("<message type='groupchat' id='12' to='romeo@verona.lit'><body>hi</body></message>".to_owned(), Condition::ServiceUnavailable),
    ] {
        let out = ask(&mut hub, &juliet, &xml);
        assert_eq!(error_of(&out), Some(condition), "{xml}");
    }
    // A headline to nobody online, and an error to anyone, are dropped.
    for xml in [
        "<message type='headline' to='romeo@verona.lit'><body>news</body></message>",
        "<message type='error' to='romeo@verona.lit/x'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    ] {
        assert!(ask(&mut hub, &juliet, xml).is_empty(), "{xml}");
    }
    assert_eq!(hub.store.offline_count(&jid("romeo@verona.lit")), 0);
}

#[test]
fn a_waiting_request_is_delivered_again_at_login() {
    let mut hub = Hub::new("verona.lit", &["juliet", "romeo"]);
    let romeo = hub.log_in("romeo@verona.lit/orchard");
    hub.client(&romeo).subscribe(jid("juliet@verona.lit"));
    hub.run();
    // Juliet is offline: the request waits in her "None + Pending In".
    let juliet = hub.log_in("juliet@verona.lit/balcony");
    let requests: Vec<_> = hub
        .take_events(&juliet)
        .into_iter()
        .filter(|e| matches!(e, stanzio_im::ImEvent::SubscriptionRequest { from, .. } if from.as_str() == "romeo@verona.lit"))
        .collect();
    assert_eq!(requests.len(), 1);
    // Not in her roster (RFC 6121 A.1), but waiting.
    assert!(hub.client(&juliet).roster().is_empty());
    hub.disconnect(&juliet);
    let again = hub.log_in("juliet@verona.lit/chamber");
    assert!(
        hub.take_events(&again)
            .iter()
            .any(|e| matches!(e, stanzio_im::ImEvent::SubscriptionRequest { .. }))
    );
}

/// A store that fails on demand.
struct FailingStore {
    inner: MemoryStore,
    fail: bool,
}

impl FailingStore {
    fn check(&self) -> Result<(), &'static str> {
        if self.fail {
            Err("disk on fire")
        } else {
            Ok(())
        }
    }
}

fn ok<T>(r: Result<T, Infallible>) -> T {
    match r {
        Ok(t) => t,
        Err(never) => match never {},
    }
}

impl AccountStore for FailingStore {
    type Error = &'static str;
    fn account_exists(&self, a: &BareJid) -> Result<bool, Self::Error> {
        self.check()?;
        Ok(ok(self.inner.account_exists(a)))
    }
    fn roster(&self, a: &BareJid) -> Result<(u64, Vec<RosterEntry>), Self::Error> {
        self.check()?;
        Ok(ok(self.inner.roster(a)))
    }
    fn roster_entry(&self, a: &BareJid, c: &BareJid) -> Result<Option<RosterEntry>, Self::Error> {
        self.check()?;
        Ok(ok(self.inner.roster_entry(a, c)))
    }
    fn put_roster_entry(&mut self, a: &BareJid, e: RosterEntry) -> Result<u64, Self::Error> {
        self.check()?;
        Ok(ok(self.inner.put_roster_entry(a, e)))
    }
    fn remove_roster_entry(&mut self, a: &BareJid, c: &BareJid) -> Result<u64, Self::Error> {
        self.check()?;
        Ok(ok(self.inner.remove_roster_entry(a, c)))
    }
    fn blocklist(&self, a: &BareJid) -> Result<Blocklist, Self::Error> {
        self.check()?;
        Ok(ok(self.inner.blocklist(a)))
    }
    fn set_blocklist(&mut self, a: &BareJid, l: Blocklist) -> Result<(), Self::Error> {
        self.check()?;
        ok(self.inner.set_blocklist(a, l));
        Ok(())
    }
    fn store_offline(&mut self, a: &BareJid, m: Message) -> Result<bool, Self::Error> {
        self.check()?;
        Ok(ok(self.inner.store_offline(a, m)))
    }
    fn take_offline(&mut self, a: &BareJid) -> Result<Vec<Message>, Self::Error> {
        self.check()?;
        Ok(ok(self.inner.take_offline(a)))
    }
}

#[test]
fn a_failing_store_is_reported_and_the_request_answered() {
    let mut store = FailingStore {
        inner: MemoryStore::new(),
        fail: true,
    };
    store.inner.add_account(jid("juliet@verona.lit"));
    let mut server = ImServer::new(ImServerConfig::new(["verona.lit"]));
    let juliet: FullJid = jid("juliet@verona.lit/balcony");
    server.session_started(juliet.clone());
    server.handle_stanza(
        &mut store,
        &juliet,
        stanza("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>"),
    );
    let out: Vec<_> = std::iter::from_fn(|| server.poll_output()).collect();
    assert!(
        matches!(
            out.as_slice(),
            [
                ServerOutput::InternalError { account, error },
                ServerOutput::Deliver { to, stanza: Stanza::Iq(iq) },
            ] if account.as_str() == "juliet@verona.lit" && error == "disk on fire" && *to == juliet
                && iq.id.as_str() == "r1"
                && matches!(&iq.payload, IqPayload::Error { error, .. } if error.condition == Condition::InternalServerError)
        ),
        "{out:?}"
    );
    // Presence is no request: reported, not answered.
    server.handle_stanza(&mut store, &juliet, stanza("<presence/>"));
    let out: Vec<_> = std::iter::from_fn(|| server.poll_output()).collect();
    assert!(
        matches!(out.as_slice(), [ServerOutput::InternalError { .. }]),
        "{out:?}"
    );
    // ... and the session stays as it was: not available.
    assert_eq!(server.presence(&juliet), None);
    store.fail = false;
    server.handle_stanza(
        &mut store,
        &juliet,
        stanza("<presence type='unavailable'/>"),
    );
    let out: Vec<_> = std::iter::from_fn(|| server.poll_output()).collect();
    assert!(out.iter().all(|o| matches!(o, ServerOutput::Deliver { stanza: Stanza::Presence(p), .. } if p.type_ == PresenceType::Unavailable)));
}
