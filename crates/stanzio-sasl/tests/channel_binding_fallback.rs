//! Giving up channel binding after a failed `-PLUS` attempt: allowed only where the failure
//! cannot be a man in the middle, and remembered so that the usual login is one attempt.
//!
//! The man in the middle here holds a certificate the client trusts and terminates TLS on
//! both legs, so each leg has its own tls-exporter value: the client's `-PLUS` proof fails
//! at the server. ejabberd 23 produces the same failure honestly: it offers `-PLUS` without
//! XEP-0440 on TLS 1.3 and checks tls-unique, which is undefined there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Accounts, Setup};
use stanzio_sasl::*;

fn accounts() -> Accounts {
    Accounts::new(&[("juliet", "r0m30")])
}

/// TLS 1.3 with tls-exporter `data` on one leg.
fn leg(data: u8) -> Option<TlsInfo> {
    Some(TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [data; 32]))
}

/// A server that announces nothing about its binding (no XEP-0440, no XEP-0474), like
/// ejabberd 23, with the client and server legs as given.
fn unannounced<'a>(accounts: &'a Accounts, client: u8, server: u8) -> Setup<'a> {
    let mut setup = Setup::new(accounts, Credentials::password("juliet", "r0m30"));
    setup.config.advertise_channel_binding_types = false;
    setup.config.downgrade_protection = false;
    setup.client_tls = leg(client);
    setup.server_tls = leg(server);
    setup
}

#[test]
fn unannounced_rejection_falls_back_once_then_logs_in_with_one_attempt() {
    let accounts = accounts();
    let mut setup = unannounced(&accounts, 0x11, 0x99);
    let ex = setup.run();
    let selection = ex.selection.unwrap();
    assert_eq!(
        selection.gs2_flag(),
        Gs2Flag::Bind(ChannelBindingType::TlsExporter)
    );
    let failure = ex.server_failure.unwrap();
    assert_eq!(failure.condition, SaslCondition::NotAuthorized);
    assert_eq!(failure.text, "channel-bindings-dont-match");

    // Nothing named tls-exporter and nothing is pinned: the retry is allowed and reported.
    let fallback = selection.without_channel_binding().unwrap();
    assert_eq!(
        fallback.fallback_from(),
        Some(ChannelBindingType::TlsExporter)
    );
    let ex = setup.run_selection(&fallback);
    assert!(ex.succeeded(), "{ex:?}");
    assert!(ex.transcript[0].1.starts_with(b"n,,"));
    let learned = ex.memory.unwrap();
    assert_eq!(
        learned,
        ChannelBindingMemory::Rejected(ChannelBindingType::TlsExporter)
    );

    // The next login, told what was learned, does not try -PLUS: one attempt.
    setup.memory = learned;
    let ex = setup.run();
    assert!(ex.succeeded(), "{ex:?}");
    assert_eq!(
        ex.selection.unwrap().fallback_from(),
        Some(ChannelBindingType::TlsExporter)
    );
    assert!(ex.transcript[0].1.starts_with(b"n,,"));
    assert_eq!(ex.memory, Some(learned));
}

#[test]
fn man_in_the_middle_cannot_force_a_fallback_from_an_advertised_type() {
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, Credentials::password("juliet", "r0m30"));
    setup.client_tls = leg(0x11);
    setup.server_tls = leg(0x99);
    let ex = setup.run();
    let selection = ex.selection.unwrap();
    assert_eq!(
        selection.gs2_flag(),
        Gs2Flag::Bind(ChannelBindingType::TlsExporter)
    );
    assert_eq!(
        ex.server_failure.unwrap().text,
        "channel-bindings-dont-match"
    );
    // The server's XEP-0440 list named tls-exporter: the login ends here.
    assert_eq!(
        selection.without_channel_binding().unwrap_err(),
        SelectionError::ChannelBindingAdvertised {
            kind: ChannelBindingType::TlsExporter
        }
    );
}

#[test]
fn man_in_the_middle_cannot_force_a_fallback_on_a_pinned_account() {
    let accounts = accounts();
    // First login without the attacker: binding works, and the account is pinned.
    let honest = unannounced(&accounts, 0x11, 0x11);
    let ex = honest.run();
    assert!(ex.succeeded(), "{ex:?}");
    let pinned = ex.memory.unwrap();
    assert_eq!(
        pinned,
        ChannelBindingMemory::Bound(ChannelBindingType::TlsExporter)
    );

    // Later, through the attacker: -PLUS fails, and the pin forbids the retry.
    let mut attacked = unannounced(&accounts, 0x11, 0x99);
    attacked.memory = pinned;
    let ex = attacked.run();
    assert!(ex.server_failure.is_some(), "{ex:?}");
    assert_eq!(
        ex.selection.unwrap().without_channel_binding().unwrap_err(),
        SelectionError::ChannelBindingPinned {
            kind: ChannelBindingType::TlsExporter
        }
    );
}
