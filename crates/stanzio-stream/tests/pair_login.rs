//! Client and server machines back to back: every SCRAM mechanism with and
//! without channel binding, each binding type, with and without XEP-0474.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers fail loudly

use stanzio_sasl::{
    ChannelBindingType, ClientPolicy, HashAlgorithm, Mechanism, TlsInfo, TlsVersion,
};
use stanzio_stream::testing::{Accounts, Pair, TestRng};
use stanzio_stream::{ClientConfig, ClientEvent, ServerConfig, ServerEvent};

fn client(seed: u64) -> ClientConfig {
    ClientConfig::new(
        "juliet@capulet.lit/balcony".parse().unwrap(),
        "r0m30",
        TestRng(seed),
    )
}

fn server(mechanisms: Vec<Mechanism>, downgrade_protection: bool) -> ServerConfig {
    let mut sasl = stanzio_sasl::ServerConfig::new(b"pair secret".to_vec());
    sasl.mechanisms = mechanisms;
    sasl.downgrade_protection = downgrade_protection;
    ServerConfig::new(["capulet.lit"], b"pair secret".to_vec()).with_sasl(sasl)
}

fn authenticated_with(pair: &Pair) -> Option<(Mechanism, Option<ChannelBindingType>)> {
    pair.client_events.iter().find_map(|e| match e {
        ClientEvent::Authenticated {
            mechanism,
            channel_binding,
        } => Some((*mechanism, *channel_binding)),
        _ => None,
    })
}

#[test]
fn every_scram_hash_with_and_without_binding_logs_in() {
    for hash in HashAlgorithm::STRONGEST_FIRST {
        for plus in [true, false] {
            for protection in [true, false] {
                let mechanisms = vec![Mechanism::scram(hash, plus)];
                let mut pair = Pair::new(
                    client(1),
                    server(mechanisms, protection),
                    Accounts::new(&[("juliet", "r0m30")]),
                );
                pair.drive();
                assert!(
                    pair.is_online(),
                    "{hash:?} plus={plus} h={protection}: {:#?}",
                    pair.client_events
                );
                let (mechanism, binding) = authenticated_with(&pair).unwrap();
                assert_eq!(mechanism, Mechanism::scram(hash, plus));
                assert_eq!(binding.is_some(), plus);
                assert_eq!(
                    pair.client.jid().unwrap().as_str(),
                    "juliet@capulet.lit/balcony"
                );
                assert!(
                    pair.server_events
                        .iter()
                        .any(|e| matches!(e, ServerEvent::Online { resumed: false, .. }))
                );
            }
        }
    }
}

#[test]
fn each_binding_type_the_session_offers_is_used() {
    for (tls, expected) in [
        (
            TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [1; 32]),
            ChannelBindingType::TlsExporter,
        ),
        (
            TlsInfo::new(TlsVersion::Tls12)
                .with_binding(ChannelBindingType::TlsServerEndPoint, [2; 32]),
            ChannelBindingType::TlsServerEndPoint,
        ),
        (
            TlsInfo::new(TlsVersion::Tls12).with_binding(ChannelBindingType::TlsUnique, [3; 12]),
            ChannelBindingType::TlsUnique,
        ),
    ] {
        let mut pair = Pair::new(
            client(2),
            server(
                vec![
                    Mechanism::scram(HashAlgorithm::Sha256, true),
                    Mechanism::scram(HashAlgorithm::Sha256, false),
                ],
                true,
            ),
            Accounts::new(&[("juliet", "r0m30")]),
        );
        pair.tls = tls;
        pair.drive();
        assert!(pair.is_online(), "{expected:?}: {:#?}", pair.client_events);
        assert_eq!(authenticated_with(&pair).unwrap().1, Some(expected));
    }
}

#[test]
fn a_wrong_password_fails_and_nothing_is_bound() {
    let mut pair = Pair::new(
        ClientConfig::new("juliet@capulet.lit".parse().unwrap(), "wrong", TestRng(3)),
        server(vec![Mechanism::scram(HashAlgorithm::Sha256, false)], true),
        Accounts::new(&[("juliet", "r0m30")]),
    );
    pair.drive();
    assert!(!pair.client.is_online());
    assert!(
        matches!(
            pair.client.error(),
            Some(stanzio_stream::ConnectionError::AuthenticationFailed(_))
        ),
        "{:?}",
        pair.client.error()
    );
    assert!(
        !pair
            .server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::BindRequested { .. }))
    );
    let _ = ClientPolicy::default();
}
