//! A man in the middle between the real client and server machines.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail loudly

use stanzio_sasl::{ChannelBindingType, TlsInfo, TlsVersion};
use stanzio_stanza::{StreamCondition, StreamError};
use stanzio_stream::testing::{Accounts, Direction, Pair, TestRng};
use stanzio_stream::{ClientConfig, ClientEvent, ConnectionError, ServerConfig, ServerEvent};

fn client() -> ClientConfig {
    ClientConfig::new(
        "juliet@capulet.lit/balcony".parse().unwrap(),
        "r0m30",
        TestRng(1),
    )
}

fn server() -> ServerConfig {
    ServerConfig::new(["capulet.lit"], b"s".to_vec())
}

fn accounts() -> Accounts {
    Accounts::new(&[("juliet", "r0m30")])
}

fn replace(buf: &mut Vec<u8>, from: &str, to: &str) {
    let text = String::from_utf8_lossy(buf).replace(from, to);
    *buf = text.into_bytes();
}

#[test]
fn stripped_starttls_stops_the_client_before_any_credential() {
    let mut pair = Pair::new(client(), server(), accounts());
    let mut to_server = Vec::new();
    pair.tamper = Some(Box::new(move |direction, buf| {
        if direction == Direction::ToClient {
            replace(
                buf,
                "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>",
                "",
            );
        } else {
            to_server.extend_from_slice(buf);
            assert!(
                !String::from_utf8_lossy(&to_server).contains("<auth"),
                "credentials left"
            );
        }
    }));
    pair.drive();
    assert_eq!(pair.client.error(), Some(&ConnectionError::TlsNotOffered));
}

#[test]
fn plaintext_injected_after_proceed_is_an_attack() {
    let mut pair = Pair::new(client(), server(), accounts());
    pair.tamper = Some(Box::new(|direction, buf| {
        if direction == Direction::ToClient {
            replace(
                buf,
                "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
                "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><stream:features/>",
            );
        }
    }));
    pair.drive();
    assert!(
        matches!(
            pair.client.error(),
            Some(ConnectionError::PlaintextAfterProceed(_))
        ),
        "{:?}",
        pair.client.error()
    );
}

#[test]
fn a_removed_mechanism_is_caught_by_downgrade_protection() {
    // XEP-0474: the server's `h` hashes what it advertised; the client
    // hashes what it received.
    let mut pair = Pair::new(client(), server(), accounts());
    pair.tamper = Some(Box::new(|direction, buf| {
        if direction == Direction::ToClient {
            replace(buf, "<mechanism>SCRAM-SHA-1</mechanism>", "");
        }
    }));
    pair.drive();
    assert!(!pair.client.is_online());
    assert!(
        matches!(
            pair.client.error(),
            Some(ConnectionError::Sasl(
                stanzio_sasl::ClientError::DowngradeDetected { .. }
            ))
        ),
        "{:?}",
        pair.client.error()
    );
}

#[test]
fn stripped_plus_mechanisms_are_caught_by_the_server() {
    // The client could bind and says so (`y`): the server offered -PLUS,
    // so someone removed it (RFC 5802 §6).
    let mut pair = Pair::new(client(), server(), accounts());
    pair.tamper = Some(Box::new(|direction, buf| {
        if direction == Direction::ToClient {
            for name in [
                "SCRAM-SHA-512-PLUS",
                "SCRAM-SHA-256-PLUS",
                "SCRAM-SHA-1-PLUS",
            ] {
                replace(buf, &format!("<mechanism>{name}</mechanism>"), "");
            }
            let text = String::from_utf8_lossy(buf).into_owned();
            if let (Some(start), Some(end)) = (
                text.find("<sasl-channel-binding"),
                text.find("</sasl-channel-binding>"),
            ) {
                let mut cut = text[..start].to_owned();
                cut.push_str(&text[end + "</sasl-channel-binding>".len()..]);
                *buf = cut.into_bytes();
            }
        }
    }));
    pair.drive();
    assert!(!pair.client.is_online());
    assert!(
        !pair
            .server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Authenticated { .. }))
    );
}

#[test]
fn a_mitm_with_another_tls_session_cannot_force_the_fallback() {
    // The server sees different channel-binding data: -PLUS fails, and as
    // the server's XEP-0440 list named tls-exporter, no fallback is allowed.
    let mut pair = Pair::new(client(), server(), accounts());
    pair.server_tls = Some(
        TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [0x66; 32]),
    );
    pair.drive();
    assert!(!pair.client.is_online(), "{:#?}", pair.client_events);
    assert!(
        !pair
            .client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::ChannelBindingFallback { .. }))
    );
    assert!(
        !pair
            .server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Authenticated { .. }))
    );
}

#[test]
fn see_other_host_is_reported_with_host_and_port() {
    let mut pair = Pair::new(client(), server(), accounts());
    pair.drive();
    pair.server
        .close_with_error(StreamError::new(StreamCondition::SeeOtherHost(
            "[2001:db8::1]:5222".into(),
        )));
    pair.drive();
    assert_eq!(
        pair.client.error(),
        Some(&ConnectionError::SeeOtherHost {
            host: "2001:db8::1".into(),
            port: Some(5222)
        })
    );
}

#[test]
fn a_forged_ack_count_is_handled_count_too_high_on_the_server() {
    let mut pair = Pair::new(client(), server(), accounts());
    pair.drive();
    pair.tamper = Some(Box::new(|direction, buf| {
        if direction == Direction::ToServer {
            replace(
                buf,
                "<r xmlns='urn:xmpp:sm:3'/>",
                "<a xmlns='urn:xmpp:sm:3' h='99'/>",
            );
        }
    }));
    pair.client
        .send(stanzio_stanza::Message::chat(
            "romeo@montague.lit".parse().unwrap(),
            "x",
        ))
        .unwrap();
    pair.client.request_ack();
    pair.drive();
    assert!(
        matches!(
            pair.server.error(),
            Some(stanzio_stream::PeerError::HandledCountTooHigh(_))
        ),
        "{:?}",
        pair.server.error()
    );
}
