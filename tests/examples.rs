//! Every client example run against an in-process server (stanzio-tokio's
//! `TestServer`, built from the accept helpers) over loopback TLS, with
//! its key output asserted. The examples are compiled into this test as
//! modules and called as functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

#[allow(dead_code)]
#[path = "../examples/send_message.rs"]
mod send_message;

#[allow(dead_code)]
#[path = "../examples/echo_bot.rs"]
mod echo_bot;

#[allow(dead_code)]
#[path = "../examples/custom_loop.rs"]
mod custom_loop;

#[allow(dead_code)]
#[path = "../examples/component.rs"]
mod component;

use std::time::Duration;

use stanzio_jid::{BareJid, Jid};
use stanzio_stanza::{Iq, IqPayload, Message, Presence, PresenceType, Stanza};
use stanzio_stream::{ClientConfig, ClientEvent};
use stanzio_tokio::testing::{TestPki, TestServer};
use stanzio_tokio::{Client, ConnectOptions, Endpoint, Event, OsRng, Target};

const DOMAIN: &str = "localhost";

fn jid(s: &str) -> Jid {
    s.parse().unwrap()
}

async fn server(pki: &TestPki) -> TestServer {
    let echo: BareJid = "echo.localhost".parse().unwrap();
    TestServer::builder(DOMAIN, pki.acceptor())
        .user("juliet", "r0m30")
        .user("romeo", "jul13t")
        .user("bot", "b0t")
        .config(TestServer::default_config(DOMAIN).with_component(&echo, "s3cr3t"))
        .start()
        .await
}

fn starttls(server: &TestServer) -> Target {
    Target::domain(DOMAIN).with_endpoint(Endpoint::starttls("127.0.0.1", server.starttls.port()))
}

/// A tokio client, online with stream management on.
async fn user(server: &TestServer, pki: &TestPki, account: &str, password: &str) -> Client {
    let config = ClientConfig::new(jid(account), password, OsRng::new());
    let mut client = Client::connect(
        config,
        ConnectOptions::new(starttls(server), pki.connector()),
    )
    .await
    .unwrap();
    // Nothing is routed to a stream before it is managed (see
    // crates/stanzio-tokio/tests/messages.rs).
    until(&mut client, |e| {
        matches!(
            e,
            Event::Stream(ClientEvent::StreamManagementEnabled { .. })
        )
    })
    .await;
    client
}

async fn until(client: &mut Client, mut wanted: impl FnMut(&Event) -> bool) -> Event {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), client.next_event())
            .await
            .expect("an event within 10 s")
            .expect("the client runs");
        if wanted(&event) {
            return event;
        }
    }
}

async fn next_stanza(client: &mut Client) -> Stanza {
    match until(client, |e| {
        matches!(e, Event::Stream(ClientEvent::Stanza(_)))
    })
    .await
    {
        Event::Stream(ClientEvent::Stanza(stanza)) => stanza,
        _ => unreachable!(),
    }
}

async fn next_body(client: &mut Client) -> String {
    loop {
        if let Stanza::Message(message) = next_stanza(client).await
            && let Some(body) = message.body()
        {
            return body.to_owned();
        }
    }
}

/// Waits until `jid` is online on the server.
async fn online(server: &TestServer, jid: &str) {
    for _ in 0..200 {
        if server.online().iter().any(|j| j == jid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{jid} never came online: {:?}", server.online());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_message_delivers_one_message_and_closes() {
    let pki = TestPki::new(&[DOMAIN]);
    let server = server(&pki).await;
    let mut romeo = user(&server, &pki, "romeo@localhost/orchard", "jul13t").await;
    let (target, tls) = (starttls(&server), pki.connector());
    let bound = tokio::task::spawn_blocking(move || {
        send_message::send_message(
            jid("juliet@localhost"),
            "r0m30",
            jid("romeo@localhost/orchard"),
            "Art thou not Romeo?",
            &target,
            &tls,
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert!(bound.as_str().starts_with("juliet@localhost/"), "{bound}");
    assert_eq!(next_body(&mut romeo).await, "Art thou not Romeo?");
    romeo.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_bot_accepts_subscriptions_echoes_and_answers_pings() {
    let pki = TestPki::new(&[DOMAIN]);
    let server = server(&pki).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let bot = tokio::spawn(echo_bot::echo_bot(
        jid("bot@localhost/echo"),
        "b0t".to_owned(),
        starttls(&server),
        pki.connector(),
        async move {
            let _ = stopped.await;
        },
    ));
    online(&server, "bot@localhost/echo").await;
    let mut juliet = user(&server, &pki, "juliet@localhost/balcony", "r0m30").await;

    // A subscription request is approved.
    juliet
        .send(Presence::new(PresenceType::Subscribe).with_to(jid("bot@localhost")))
        .unwrap();
    let answer = until(&mut juliet, |e| {
        matches!(e, Event::Stream(ClientEvent::Stanza(Stanza::Presence(_))))
    })
    .await;
    let Event::Stream(ClientEvent::Stanza(Stanza::Presence(presence))) = answer else {
        unreachable!()
    };
    assert_eq!(presence.type_, PresenceType::Subscribed);
    assert_eq!(
        presence.from.map(|j| j.to_bare().to_string()).as_deref(),
        Some("bot@localhost")
    );

    // A chat message comes back.
    juliet
        .send(Message::chat(jid("bot@localhost/echo"), "hello bot"))
        .unwrap();
    assert_eq!(next_body(&mut juliet).await, "hello bot");

    // A ping is answered (by the machine, XEP-0199).
    let ping = stanzio_xml::Element::builder("ping", "urn:xmpp:ping")
        .build()
        .unwrap();
    juliet
        .send(Iq::get("ping-1", ping).with_to(jid("bot@localhost/echo")))
        .unwrap();
    let Stanza::Iq(pong) = next_stanza(&mut juliet).await else {
        panic!("not an IQ");
    };
    assert_eq!(pong.id, "ping-1");
    assert!(matches!(pong.payload, IqPayload::Result(_)), "{pong:?}");

    stop.send(()).unwrap();
    let log = bot.await.unwrap().unwrap();
    assert_eq!(log[0], "online as bot@localhost/echo");
    assert!(
        log.contains(&"accepted the subscription of juliet@localhost".to_owned()),
        "{log:?}"
    );
    assert!(
        log.contains(&"echoed 9 bytes to juliet@localhost/balcony".to_owned()),
        "{log:?}"
    );
    juliet.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_loop_logs_in_and_gets_its_own_message_back() {
    let pki = TestPki::new(&[DOMAIN]);
    let server = server(&pki).await;
    let (port, tls) = (server.starttls.port(), pki.connector());
    let log = tokio::task::spawn_blocking(move || {
        custom_loop::custom_loop(
            jid("juliet@localhost/loop"),
            "r0m30",
            "127.0.0.1",
            port,
            &tls,
            "round trip",
        )
        .map_err(|e| e.to_string())
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        log.iter().any(|l| l.starts_with("TLS Some(TLSv1_3)")),
        "{log:?}"
    );
    assert!(
        log.contains(&"online as juliet@localhost/loop".to_owned()),
        "{log:?}"
    );
    assert!(log.contains(&"received: round trip".to_owned()), "{log:?}");
    assert_eq!(
        log.last().map(String::as_str),
        Some("disconnected: None"),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn component_answers_messages_to_its_domain() {
    let pki = TestPki::new(&[DOMAIN]);
    let server = server(&pki).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let component = tokio::spawn(component::component(
        "echo.localhost".parse().unwrap(),
        "s3cr3t",
        Endpoint::starttls("127.0.0.1", server.component.port()),
        async move {
            let _ = stopped.await;
        },
    ));
    online(&server, "echo.localhost").await;
    let mut juliet = user(&server, &pki, "juliet@localhost/balcony", "r0m30").await;
    juliet
        .send(Message::chat(jid("anyone@echo.localhost"), "hi"))
        .unwrap();
    assert_eq!(
        next_body(&mut juliet).await,
        "anyone@echo.localhost heard: hi"
    );
    stop.send(()).unwrap();
    assert_eq!(component.await.unwrap().unwrap(), 1);
    juliet.close().await;
}
