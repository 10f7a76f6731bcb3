//! DNS SRV lookup (RFC 6120 §3.2, XEP-0368) against a name server on
//! loopback: both services mixed by priority, the fallback to the domain
//! on 5222, "no service" refused, and a client that finds the test server
//! through its records.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // tests fail loudly

mod common;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use common::*;
use stanzio_tokio::hickory_resolver::config::{NameServerConfig, ResolverConfig};
use stanzio_tokio::hickory_resolver::net::runtime::TokioRuntimeProvider;
use stanzio_tokio::hickory_resolver::proto::op::{Message, OpCode, ResponseCode};
use stanzio_tokio::hickory_resolver::proto::rr::rdata::SRV;
use stanzio_tokio::hickory_resolver::proto::rr::{Name, RData, Record};
use stanzio_tokio::hickory_resolver::{Resolver, TokioResolver};
use stanzio_tokio::testing::TestServer;
use stanzio_tokio::{Client, ConnectOptions, Endpoint, Target, resolve_with};
use tokio::net::UdpSocket;

/// (priority, weight, port, target) per queried name.
type Zone = HashMap<&'static str, Vec<(u16, u16, u16, &'static str)>>;

/// A name server answering SRV queries from `zone`, NXDOMAIN otherwise.
async fn name_server(zone: Zone) -> TokioResolver {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = socket.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
            let query = Message::from_vec(&buf[..n]).unwrap();
            let mut answer = Message::response(query.metadata.id, OpCode::Query);
            answer.metadata.recursion_desired = query.metadata.recursion_desired;
            for question in &query.queries {
                answer.add_query(question.clone());
                let name = question.name().to_ascii();
                match zone.get(name.as_str()) {
                    Some(records) => {
                        for &(priority, weight, port, target) in records {
                            let srv =
                                SRV::new(priority, weight, port, Name::from_ascii(target).unwrap());
                            answer.add_answer(Record::from_rdata(
                                question.name().clone(),
                                60,
                                RData::SRV(srv),
                            ));
                        }
                    }
                    None => answer.metadata.response_code = ResponseCode::NXDomain,
                }
            }
            let _ = socket.send_to(&answer.to_vec().unwrap(), peer).await;
        }
    });
    let mut server = NameServerConfig::udp(IpAddr::V4(Ipv4Addr::LOCALHOST));
    for connection in &mut server.connections {
        connection.port = port;
    }
    Resolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![server]),
        TokioRuntimeProvider::default(),
    )
    .build()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_services_are_mixed_by_priority() {
    let resolver = name_server(Zone::from([
        (
            "_xmpp-client._tcp.example.test.",
            vec![
                (20, 0, 5222, "starttls.example.test."),
                (30, 0, 5222, "last.example.test."),
            ],
        ),
        (
            "_xmpps-client._tcp.example.test.",
            vec![(10, 0, 5223, "tls.example.test.")],
        ),
    ]))
    .await;
    let endpoints = resolve_with(&resolver, "example.test").await.unwrap();
    assert_eq!(
        endpoints,
        vec![
            Endpoint::direct_tls("tls.example.test", 5223),
            Endpoint::starttls("starttls.example.test", 5222),
            Endpoint::starttls("last.example.test", 5222),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_records_the_domain_is_used_on_5222() {
    let resolver = name_server(Zone::new()).await;
    let endpoints = resolve_with(&resolver, "example.test").await.unwrap();
    assert_eq!(endpoints, vec![Endpoint::starttls("example.test", 5222)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dot_target_means_no_service() {
    let resolver = name_server(Zone::from([(
        "_xmpp-client._tcp.example.test.",
        vec![(0, 0, 0, ".")],
    )]))
    .await;
    let error = resolve_with(&resolver, "example.test").await.unwrap_err();
    assert!(
        matches!(error, stanzio_tokio::Error::ServiceUnavailable(_)),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_finds_the_server_through_srv() {
    // "localhost" is never looked up in the DNS (RFC 6761 §6.3): a domain
    // of its own.
    let pki = stanzio_tokio::testing::TestPki::new(&["xmpp.test"]);
    let server = TestServer::builder("xmpp.test", pki.acceptor())
        .user("juliet", "r0m30")
        .config(TestServer::default_config("xmpp.test"))
        .start()
        .await;
    // The preferred target refuses connections; the next one is the
    // server's direct TLS listener.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let zone = Zone::from([
        (
            "_xmpp-client._tcp.xmpp.test.",
            vec![(5, 0, dead_port, "127.0.0.1.")],
        ),
        (
            "_xmpps-client._tcp.xmpp.test.",
            vec![(10, 0, server.direct_tls.port(), "127.0.0.1.")],
        ),
    ]);
    let resolver = name_server(zone).await;
    let options =
        ConnectOptions::new(Target::domain("xmpp.test"), pki.connector()).with_resolver(resolver);
    let client = Client::connect(client_config("juliet@xmpp.test", "r0m30"), options)
        .await
        .unwrap();
    assert!(client.jid().as_str().starts_with("juliet@xmpp.test/"));
    assert!(client.with_connection(|c| c.tls().is_some()));
    client.close().await;
}
