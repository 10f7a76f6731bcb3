//! Every `ConfigError`: a configuration that cannot work is refused when
//! the connection is built, naming the setting.

// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{TestRng, client_config, epoch};
use stanzio_stream::{
    ClientConfig, ClientConnection, ConfigError, KeepalivePolicy, ResumptionState, SmPolicy,
    TlsMode, Transport,
};

fn refused(config: ClientConfig) -> ConfigError {
    ClientConnection::new(config, epoch()).unwrap_err()
}

fn sm(change: impl FnOnce(&mut SmPolicy)) -> ClientConfig {
    let mut policy = SmPolicy::default();
    change(&mut policy);
    client_config(1).with_stream_management(Some(policy))
}

fn keepalive(change: impl FnOnce(&mut KeepalivePolicy)) -> ClientConfig {
    let mut policy = KeepalivePolicy::default();
    change(&mut policy);
    client_config(1).with_keepalive(policy)
}

fn component() -> ClientConfig {
    ClientConfig::component("bot.localhost".parse().unwrap(), "secret", TestRng(1))
}

#[test]
fn the_default_configurations_are_valid() {
    assert!(ClientConnection::new(client_config(1), epoch()).is_ok());
    assert!(ClientConnection::new(component(), epoch()).is_ok());
    assert!(
        ClientConnection::new(
            client_config(1).with_transport(Transport::WebSocket),
            epoch()
        )
        .is_ok()
    );
    assert!(ClientConnection::new(client_config(1).with_stream_management(None), epoch()).is_ok());
}

#[test]
fn a_password_login_needs_a_localpart() {
    let config = ClientConfig::new("localhost".parse().unwrap(), "pw", TestRng(1));
    assert_eq!(refused(config), ConfigError::NoLocalpart);
}

#[test]
fn zero_limits_are_refused_by_name() {
    let cases = [
        (sm(|p| p.ack_every = 0), "SmPolicy::ack_every"),
        (sm(|p| p.max_unacked = 0), "SmPolicy::max_unacked"),
        (
            client_config(1).with_max_pending_events(0),
            "max_pending_events",
        ),
        (
            client_config(1).with_max_pending_output(0),
            "max_pending_output",
        ),
        (
            keepalive(|p| p.ping_timeout = Duration::ZERO),
            "KeepalivePolicy::ping_timeout",
        ),
        // Zero intervals would have the timer fire at every call.
        (
            keepalive(|p| p.whitespace_interval = Some(Duration::ZERO)),
            "KeepalivePolicy::whitespace_interval",
        ),
        (
            keepalive(|p| p.ping_interval = Some(Duration::ZERO)),
            "KeepalivePolicy::ping_interval",
        ),
    ];
    for (config, name) in cases {
        assert_eq!(refused(config), ConfigError::Zero(name));
    }
}

#[test]
fn resumption_state_of_another_account_is_refused() {
    let state = ResumptionState {
        id: "x".into(),
        location: None,
        jid: "bob@localhost/phone".parse().unwrap(),
        handled: 0,
        sent: 0,
        acked: 0,
        unacked: Vec::new(),
    };
    assert_eq!(
        refused(client_config(1).with_resumption(state.clone())),
        ConfigError::ResumptionForOtherAccount("bob@localhost".into())
    );
    let mine = ResumptionState {
        jid: "alice@localhost/other".parse().unwrap(),
        ..state
    };
    assert!(ClientConnection::new(client_config(1).with_resumption(mine), epoch()).is_ok());
}

#[test]
fn a_component_name_has_no_localpart() {
    let config = ClientConfig::component("bot@localhost".parse().unwrap(), "secret", TestRng(1));
    assert_eq!(refused(config), ConfigError::ComponentWithLocalpart);
}

#[test]
fn a_component_speaks_tcp_only() {
    assert_eq!(
        refused(component().with_transport(Transport::WebSocket)),
        ConfigError::ComponentOverWebSocket
    );
}

#[test]
fn a_component_cannot_require_starttls() {
    // XEP-0114 has no STARTTLS: Required would silently run in the clear.
    assert_eq!(
        refused(component().with_tls(TlsMode::Required)),
        ConfigError::ComponentStartTls
    );
    assert!(ClientConnection::new(component().with_tls(TlsMode::DirectTls), epoch()).is_ok());
}
