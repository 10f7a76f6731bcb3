//! The hub between a connection's end and its `disconnected`: a stanza
//! routed to a session whose connection has just closed (the machine
//! refuses it) must not be lost, whether the session is then kept for
//! resumption (XEP-0198 §5) or ends (RFC 6121 §8.5.2.1.1: offline).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::sync::Arc;
use std::time::Duration;

use stanzio_jid::{BareJid, FullJid};
use stanzio_sasl::RecordParameters;
use stanzio_server::hub::Hub;
use stanzio_server::store::ImStore;
use stanzio_server::{SqliteStorage, Storage};
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::{ResumptionState, ServerEvent};
use stanzio_tokio::SessionHandle;
use stanzio_tokio::testing::TestServer;
use tokio::net::{TcpListener, TcpStream};

#[allow(clippy::disallowed_methods)] // tests own the clock
fn now() -> std::time::Instant {
    std::time::Instant::now()
}

/// A handle whose connection is over: its peer hung up before a byte, and
/// the machine now refuses every stanza.
async fn closed_handle() -> SessionHandle {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (socket, _) = listener.accept().await.unwrap();
    let mut session = stanzio_tokio::accept_component(
        socket,
        TestServer::default_config("localhost")
            .with_component(&"echo.localhost".parse().unwrap(), "secret"),
    )
    .await;
    drop(client);
    while let Some(event) = session.next_event().await {
        if matches!(event, ServerEvent::Disconnected { .. }) {
            break;
        }
    }
    let handle = session.handle();
    assert!(handle.send(Message::chat(alice().into(), "probe")).is_err());
    handle
}

fn alice() -> FullJid {
    "alice@localhost/phone".parse().unwrap()
}

fn bob() -> FullJid {
    "bob@localhost/desk".parse().unwrap()
}

/// A hub over a fresh database with alice and bob, alice's session on a
/// connection that has just closed, and a message from bob on its way to
/// her.
async fn message_to_a_closing_session() -> (Hub, Arc<SqliteStorage>) {
    let storage = Arc::new(SqliteStorage::in_memory(RecordParameters::default()).unwrap());
    for account in [alice(), bob()] {
        storage.create_account(&account.to_bare(), "x").unwrap();
    }
    let hub = Hub::new(
        &["localhost".to_owned()],
        ImStore::new(storage.clone(), 10),
        Duration::from_secs(60),
    );
    hub.online(alice(), closed_handle().await, 1, false);
    hub.online(bob(), closed_handle().await, 2, false);
    hub.client_stanza(
        &bob(),
        Stanza::Message(Message::chat(alice().into(), "Did you get this?").with_from(bob().into())),
    );
    (hub, storage)
}

fn bodies(stanzas: &[Stanza]) -> Vec<String> {
    stanzas
        .iter()
        .filter_map(|stanza| match stanza {
            Stanza::Message(message) => message.body().map(str::to_owned),
            _ => None,
        })
        .collect()
}

fn kept(id: &str, unacked: Vec<Stanza>) -> ResumptionState {
    ResumptionState {
        id: id.to_owned(),
        location: None,
        jid: alice(),
        handled: 0,
        sent: 0,
        acked: 0,
        unacked,
    }
}

#[tokio::test]
async fn a_stanza_refused_while_closing_joins_the_resumption_state() {
    let (hub, storage) = message_to_a_closing_session().await;
    hub.disconnected(&alice(), 1, Some(kept("r1", Vec::new())), Vec::new(), now());
    let account: BareJid = alice().to_bare();
    let resumed = hub
        .take_resumption(&account, "r1", closed_handle().await, 3, now())
        .unwrap();
    assert_eq!(bodies(&resumed.unacked), ["Did you get this?"]);
    assert!(storage.take_offline(&account).unwrap().is_empty());
}

/// Between taking the state and the new connection's `Online`, the session
/// is routed to the new connection, not left without a route (where a
/// message would go offline, out of the resumed session's reach).
#[tokio::test]
async fn a_stanza_sent_while_a_session_resumes_goes_to_the_resuming_connection() {
    let (hub, storage) = message_to_a_closing_session().await;
    let account: BareJid = alice().to_bare();
    let first = Message::chat(alice().into(), "first").with_from(bob().into());
    hub.disconnected(
        &alice(),
        1,
        Some(kept("r1", vec![Stanza::Message(first)])),
        Vec::new(),
        now(),
    );
    let state = hub
        .take_resumption(&account, "r1", closed_handle().await, 3, now())
        .unwrap();
    assert!(
        hub.take_resumption(&account, "r1", closed_handle().await, 4, now())
            .is_none(),
        "taken once"
    );
    hub.client_stanza(
        &bob(),
        Stanza::Message(Message::chat(alice().into(), "meanwhile").with_from(bob().into())),
    );
    // The resuming connection dies too: everything is kept again, in order.
    hub.disconnected(
        &alice(),
        3,
        Some(kept("r2", state.unacked)),
        Vec::new(),
        now(),
    );
    let resumed = hub
        .take_resumption(&account, "r2", closed_handle().await, 5, now())
        .unwrap();
    assert_eq!(
        bodies(&resumed.unacked),
        ["first", "Did you get this?", "meanwhile"]
    );
    assert!(storage.take_offline(&account).unwrap().is_empty());
}

#[tokio::test]
async fn a_stanza_refused_while_closing_waits_offline_when_the_session_ends() {
    let (hub, storage) = message_to_a_closing_session().await;
    hub.disconnected(&alice(), 1, None, Vec::new(), now());
    let offline = storage.take_offline(&alice().to_bare()).unwrap();
    assert_eq!(offline.len(), 1);
    assert!(offline[0].contains("Did you get this?"), "{offline:?}");
}

/// More than a resumed session could take: the oldest are kept for it, the
/// newest wait offline, none is dropped.
#[tokio::test]
async fn what_a_resumed_session_could_not_take_waits_offline() {
    let (hub, storage) = message_to_a_closing_session().await;
    let limit = stanzio_server::hub::MAX_DETACHED_STANZAS;
    let unacked = (0..limit)
        .map(|n| {
            Stanza::Message(Message::chat(alice().into(), format!("{n}")).with_from(bob().into()))
        })
        .collect();
    hub.disconnected(&alice(), 1, Some(kept("r1", unacked)), Vec::new(), now());
    let account: BareJid = alice().to_bare();
    let resumed = hub
        .take_resumption(&account, "r1", closed_handle().await, 3, now())
        .unwrap();
    assert_eq!(resumed.unacked.len(), limit);
    assert_eq!(bodies(&resumed.unacked[..1]), ["0"]);
    let offline = storage.take_offline(&account).unwrap();
    assert_eq!(offline.len(), 1);
    assert!(offline[0].contains("Did you get this?"), "{offline:?}");
}
