//! The blocking client over real loopback TCP and TLS, against a server
//! built from stanzio-tokio's accept helpers (running on its own runtime):
//! every SCRAM hash with and without `-PLUS` on TLS 1.2 and 1.3, direct
//! TLS, messages both ways, resumption after a cut, a certificate for
//! another name, a stripped STARTTLS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::time::Duration;

use rustls::version::{TLS12, TLS13};
use stanzio_blocking::{Client, Endpoint, Error, OsRng, Target};
use stanzio_sasl::{ChannelBindingType, HashAlgorithm, Mechanism, TlsVersion};
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::{ClientConfig, ClientEvent, ConnectionError, ServerConfig};
use stanzio_tokio::testing::{
    CutProxy, ServerLog, TamperProxy, TestPki, TestServer, strip_starttls,
};

const DOMAIN: &str = "localhost";

/// A runtime for the server side, kept for the whole test.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn config_with(mechanisms: Vec<Mechanism>) -> ServerConfig {
    let mut sasl = stanzio_sasl::ServerConfig::new(b"test secret".to_vec());
    sasl.mechanisms = mechanisms;
    ServerConfig::new([DOMAIN], b"test secret".to_vec()).with_sasl(sasl)
}

fn start(runtime: &tokio::runtime::Runtime, pki: &TestPki, config: ServerConfig) -> TestServer {
    let acceptor = pki.acceptor();
    runtime.block_on(
        TestServer::builder(DOMAIN, acceptor)
            .user("juliet", "r0m30")
            .user("romeo", "jul13t")
            .config(config)
            .start(),
    )
}

fn starttls(port: u16) -> Target {
    Target::domain(DOMAIN).with_endpoint(Endpoint::starttls("127.0.0.1", port))
}

fn config(account: &str, password: &str) -> ClientConfig {
    ClientConfig::new(account.parse().unwrap(), password, OsRng::new())
}

/// The next event within 10 s.
fn next(client: &mut Client) -> ClientEvent {
    client
        .next_event(Some(Duration::from_secs(10)))
        .unwrap()
        .expect("an event within 10 s")
}

fn next_body(client: &mut Client) -> String {
    loop {
        if let ClientEvent::Stanza(Stanza::Message(message)) = next(client)
            && let Some(body) = message.body()
        {
            return body.to_owned();
        }
    }
}

/// Events up to `StreamManagementEnabled`.
fn sm_enabled(client: &mut Client) -> Vec<ClientEvent> {
    let mut before = Vec::new();
    loop {
        match next(client) {
            ClientEvent::StreamManagementEnabled { .. } => return before,
            event => before.push(event),
        }
    }
}

#[test]
fn every_scram_hash_with_and_without_plus_on_tls_12_and_13() {
    let runtime = runtime();
    let pki = TestPki::new(&[DOMAIN]);
    for hash in HashAlgorithm::STRONGEST_FIRST {
        for plus in [true, false] {
            let server = start(
                &runtime,
                &pki,
                config_with(vec![Mechanism::scram(hash, plus)]),
            );
            for (version, versions) in [(TlsVersion::Tls12, &TLS12), (TlsVersion::Tls13, &TLS13)] {
                let what = format!("{hash:?} plus={plus} {version:?}");
                let mut client = Client::connect(
                    config("juliet@localhost/desk", "r0m30"),
                    &starttls(server.starttls.port()),
                    &pki.connector_with(&[versions]),
                )
                .unwrap_or_else(|e| panic!("{what}: {e}"));
                let before = sm_enabled(&mut client);
                let authenticated = before.iter().find_map(|e| match e {
                    ClientEvent::Authenticated {
                        mechanism,
                        channel_binding,
                    } => Some((*mechanism, *channel_binding)),
                    _ => None,
                });
                assert_eq!(
                    authenticated,
                    Some((
                        Mechanism::scram(hash, plus),
                        plus.then_some(ChannelBindingType::TlsExporter)
                    )),
                    "{what}"
                );
                assert_eq!(
                    client.connection().tls().map(|t| t.version),
                    Some(version),
                    "{what}"
                );
                assert_eq!(
                    client.connection().jid().map(|j| j.as_str().to_owned()),
                    Some("juliet@localhost/desk".to_owned())
                );
                client.close().unwrap();
            }
        }
    }
}

#[test]
fn direct_tls_and_messages_both_ways() {
    let runtime = runtime();
    let pki = TestPki::new(&[DOMAIN]);
    let server = start(&runtime, &pki, TestServer::default_config(DOMAIN));
    let direct = Target::domain(DOMAIN)
        .with_endpoint(Endpoint::direct_tls("127.0.0.1", server.direct_tls.port()));
    let mut juliet = Client::connect(
        config("juliet@localhost/balcony", "r0m30"),
        &direct,
        &pki.connector(),
    )
    .unwrap();
    let mut romeo = Client::connect(
        config("romeo@localhost/orchard", "jul13t"),
        &starttls(server.starttls.port()),
        &pki.connector(),
    )
    .unwrap();
    sm_enabled(&mut juliet);
    sm_enabled(&mut romeo);
    for i in 0..10 {
        juliet
            .send(Message::chat(
                "romeo@localhost/orchard".parse().unwrap(),
                format!("j{i}"),
            ))
            .unwrap();
        romeo
            .send(Message::chat(
                "juliet@localhost/balcony".parse().unwrap(),
                format!("r{i}"),
            ))
            .unwrap();
    }
    for i in 0..10 {
        assert_eq!(next_body(&mut romeo), format!("j{i}"));
        assert_eq!(next_body(&mut juliet), format!("r{i}"));
    }
    juliet.close().unwrap();
    romeo.close().unwrap();
}

#[test]
#[allow(clippy::disallowed_methods)] // the adapter's timeout, on the real clock
fn next_event_returns_at_its_timeout() {
    let runtime = runtime();
    let pki = TestPki::new(&[DOMAIN]);
    let server = start(&runtime, &pki, TestServer::default_config(DOMAIN));
    let mut juliet = Client::connect(
        config("juliet@localhost", "r0m30"),
        &starttls(server.starttls.port()),
        &pki.connector(),
    )
    .unwrap();
    sm_enabled(&mut juliet);
    let started = std::time::Instant::now();
    assert!(
        juliet
            .next_event(Some(Duration::from_millis(200)))
            .unwrap()
            .is_none()
    );
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    juliet.close().unwrap();
}

#[test]
fn a_cut_connection_resumes_with_nothing_lost() {
    let runtime = runtime();
    let pki = TestPki::new(&[DOMAIN]);
    let server = start(&runtime, &pki, TestServer::default_config(DOMAIN));
    let proxy = runtime.block_on(CutProxy::start(server.starttls));
    let through_proxy = starttls(proxy.address.port());
    let mut juliet = Client::connect(
        config("juliet@localhost/balcony", "r0m30"),
        &through_proxy,
        &pki.connector(),
    )
    .unwrap();
    let mut romeo = Client::connect(
        config("romeo@localhost/orchard", "jul13t"),
        &starttls(server.starttls.port()),
        &pki.connector(),
    )
    .unwrap();
    sm_enabled(&mut juliet);
    sm_enabled(&mut romeo);
    for i in 0..10 {
        juliet
            .send(Message::chat(
                "romeo@localhost/orchard".parse().unwrap(),
                format!("j{i}"),
            ))
            .unwrap();
        romeo
            .send(Message::chat(
                "juliet@localhost/balcony".parse().unwrap(),
                format!("r{i}"),
            ))
            .unwrap();
    }
    proxy.cut();
    for i in 10..20 {
        romeo
            .send(Message::chat(
                "juliet@localhost/balcony".parse().unwrap(),
                format!("r{i}"),
            ))
            .unwrap();
    }
    // Juliet reads what arrived before the cut, then learns of it.
    let mut to_juliet = Vec::new();
    loop {
        match next(&mut juliet) {
            ClientEvent::Stanza(Stanza::Message(m)) => {
                to_juliet.push(m.body().unwrap().to_owned());
            }
            ClientEvent::Disconnected(error) => {
                assert_eq!(error, Some(ConnectionError::UnexpectedEof));
                break;
            }
            _ => {}
        }
    }
    // Messages juliet sends while away wait in the resumption state.
    let state = juliet.take_resumption().expect("a resumable session");
    let mut resumed = Client::connect(
        config("juliet@localhost/balcony", "r0m30").with_resumption(state),
        &through_proxy,
        &pki.connector(),
    )
    .unwrap();
    while to_juliet.len() < 20 {
        to_juliet.push(next_body(&mut resumed));
    }
    assert_eq!(
        to_juliet,
        (0..20).map(|i| format!("r{i}")).collect::<Vec<_>>()
    );
    let to_romeo: Vec<String> = (0..10).map(|_| next_body(&mut romeo)).collect();
    assert_eq!(
        to_romeo,
        (0..10).map(|i| format!("j{i}")).collect::<Vec<_>>()
    );
    // No duplicate: the next message is the next one.
    romeo
        .send(Message::chat(
            "juliet@localhost/balcony".parse().unwrap(),
            "end",
        ))
        .unwrap();
    assert_eq!(next_body(&mut resumed), "end");
    assert!(server.log().contains(&ServerLog::Online {
        jid: "juliet@localhost/balcony".into(),
        resumed: true
    }));
    resumed.close().unwrap();
    romeo.close().unwrap();
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let runtime = runtime();
    let pki = TestPki::new(&["other.example"]);
    let server = start(&runtime, &pki, TestServer::default_config(DOMAIN));
    for target in [
        starttls(server.starttls.port()),
        Target::domain(DOMAIN)
            .with_endpoint(Endpoint::direct_tls("127.0.0.1", server.direct_tls.port())),
    ] {
        let error = Client::connect(
            config("juliet@localhost", "r0m30"),
            &target,
            &pki.connector(),
        )
        .unwrap_err();
        assert!(matches!(error, Error::Tls(_)), "{error:?}");
        assert!(
            matches!(
                error.tls(),
                Some(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForName
                        | rustls::CertificateError::NotValidForNameContext { .. }
                ))
            ),
            "{error:?}"
        );
    }
}

#[test]
fn a_stripped_starttls_is_refused_before_credentials_leave() {
    let runtime = runtime();
    let pki = TestPki::new(&[DOMAIN]);
    let server = start(&runtime, &pki, TestServer::default_config(DOMAIN));
    let proxy = runtime.block_on(TamperProxy::start(
        server.starttls,
        Box::new(strip_starttls),
    ));
    let error = Client::connect(
        config("juliet@localhost", "r0m30"),
        &starttls(proxy.address.port()),
        &pki.connector(),
    )
    .unwrap_err();
    assert!(
        matches!(error, Error::Connection(ConnectionError::TlsNotOffered)),
        "{error:?}"
    );
    let sent = String::from_utf8(proxy.client_sent()).unwrap();
    assert!(sent.contains("<stream:stream"));
    assert!(
        !sent.contains("<auth") && !sent.contains("juliet"),
        "{sent}"
    );
}

#[test]
fn a_silent_server_times_out() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let runtime = runtime();
    let pki = TestPki::new(&[DOMAIN]);
    let server = start(&runtime, &pki, TestServer::default_config(DOMAIN));
    let silent = Arc::new(AtomicBool::new(false));
    let muted = silent.clone();
    let proxy = runtime.block_on(TamperProxy::start(
        server.starttls,
        Box::new(move |bytes: &[u8]| {
            if muted.load(Ordering::SeqCst) {
                Vec::new()
            } else {
                bytes.to_vec()
            }
        }),
    ));
    let mut keepalive = stanzio_stream::KeepalivePolicy::default();
    keepalive.ping_interval = Some(Duration::from_millis(150));
    keepalive.ping_timeout = Duration::from_millis(150);
    let mut juliet = Client::connect(
        config("juliet@localhost", "r0m30").with_keepalive(keepalive),
        &starttls(proxy.address.port()),
        &pki.connector(),
    )
    .unwrap();
    sm_enabled(&mut juliet);
    silent.store(true, Ordering::SeqCst);
    // The read timeouts follow the machine's deadlines: the check goes
    // out, its answer never comes, the machine gives up.
    loop {
        if let ClientEvent::Disconnected(error) = next(&mut juliet) {
            assert!(
                matches!(error, Some(ConnectionError::Timeout(_))),
                "{error:?}"
            );
            break;
        }
    }
}
