//! A man in the middle edits the advertised mechanisms or the GS2 header: RFC 5802 §6,
//! XEP-0440 and XEP-0474/0515 must each catch their part.
// Test code: panicking on an unexpected value is the point (clippy.toml only exempts
// #[test] functions, not the helpers they share).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Accounts, Dir, Setup};
use stanzio_sasl::*;

fn accounts() -> Accounts {
    Accounts::new(&[("user", "pencil")])
}

fn strip_plus(offer: &mut ServerOffer) {
    offer.mechanisms.retain(|m| !m.ends_with("-PLUS"));
}

fn strip_plus_and_types(offer: &mut ServerOffer) {
    strip_plus(offer);
    offer.channel_binding_types = None;
}

#[test]
fn stripping_plus_but_not_xep0440_aborts_selection() {
    let accounts = accounts();
    let setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    let ex = setup.run_with(&mut strip_plus, &mut |_, _, _| {});
    assert_eq!(
        ex.selection.unwrap_err(),
        SelectionError::ChannelBindingTypesWithoutPlus
    );
}

#[test]
fn stripping_plus_makes_a_binding_client_send_y_which_the_server_rejects() {
    let accounts = accounts();
    let setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    let ex = setup.run_with(&mut strip_plus_and_types, &mut |_, _, _| {});
    assert_eq!(
        ex.selection.unwrap().gs2_flag(),
        Gs2Flag::ServerOfferedNoPlus
    );
    let failure = ex.server_failure.unwrap();
    assert_eq!(failure.condition, SaslCondition::NotAuthorized);
    assert_eq!(failure.text, "server-does-support-channel-binding");
}

#[test]
fn rewriting_y_to_n_breaks_the_channel_binding_check() {
    let accounts = accounts();
    let setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    let ex = setup.run_with(&mut strip_plus_and_types, &mut |dir, n, data| {
        if dir == Dir::ToServer && n == 0 {
            data[0] = b'n';
        }
    });
    // The server accepts `n`, but `c=` holds the client's real header `y,,`. Since the
    // server also hashed its real list into `h`, the client notices first.
    assert!(
        matches!(ex.client_error, Some(ClientError::DowngradeDetected { .. })),
        "{ex:?}"
    );
    // Without XEP-0474 the server's c= check catches it.
    let mut setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    setup.config.downgrade_protection = false;
    let ex = setup.run_with(&mut strip_plus_and_types, &mut |dir, n, data| {
        if dir == Dir::ToServer && n == 0 {
            data[0] = b'n';
        }
    });
    assert_eq!(
        ex.server_failure.unwrap().text,
        "channel-bindings-dont-match"
    );
}

/// A client that cannot bind (its adapter gave no binding data) sends `n` either way, so
/// only XEP-0474 can tell it that -PLUS was removed.
#[test]
fn stripping_plus_is_caught_by_xep0474_only() {
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    setup.client_tls = Some(TlsInfo::new(TlsVersion::Tls13));
    let ex = setup.run_with(&mut strip_plus_and_types, &mut |_, _, _| {});
    assert_eq!(
        ex.selection.as_ref().unwrap().gs2_flag(),
        Gs2Flag::NoBinding
    );
    assert!(
        matches!(ex.client_error, Some(ClientError::DowngradeDetected { .. })),
        "{ex:?}"
    );
    // With XEP-0474 off the same attack goes unnoticed: this is the gap it closes.
    setup.config.downgrade_protection = false;
    let ex = setup.run_with(&mut strip_plus_and_types, &mut |_, _, _| {});
    assert!(ex.succeeded(), "{ex:?}");
}

#[test]
fn removing_stronger_hashes_is_detected() {
    let accounts = accounts();
    let setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    let ex = setup.run_with(
        &mut |offer| offer.mechanisms.retain(|m| m.starts_with("SCRAM-SHA-1")),
        &mut |_, _, _| {},
    );
    assert_eq!(
        ex.selection.unwrap().mechanism(),
        Mechanism::scram(HashAlgorithm::Sha1, true)
    );
    assert!(matches!(
        ex.client_error,
        Some(ClientError::DowngradeDetected { .. })
    ));
}

#[test]
fn no_shared_binding_type_continues_only_with_a_good_h() {
    // The server has only tls-server-end-point, the client only tls-exporter: XEP-0474 §7
    // lets the client go on with `n` if `h` matches.
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    setup.server_tls = Some(
        TlsInfo::new(TlsVersion::Tls13)
            .with_binding(ChannelBindingType::TlsServerEndPoint, [1; 32]),
    );
    setup.client_tls = Some(
        TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [2; 32]),
    );
    let ex = setup.run();
    assert!(
        ex.selection
            .as_ref()
            .unwrap()
            .requires_downgrade_protection()
    );
    assert!(ex.succeeded(), "{ex:?}");
    // The same server without XEP-0474: the client refuses.
    setup.config.downgrade_protection = false;
    let ex = setup.run();
    assert_eq!(
        ex.client_error,
        Some(ClientError::DowngradeProtectionMissing)
    );
}

#[test]
fn xep0515_different_tls_versions_on_each_leg() {
    // The MITM speaks TLS 1.2 to the server and 1.3 to the client; both legs have
    // tls-server-end-point (same certificate), so the binding itself would pass.
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    setup.server_tls = Some(
        TlsInfo::new(TlsVersion::Tls12)
            .with_binding(ChannelBindingType::TlsServerEndPoint, [3; 32]),
    );
    setup.client_tls = Some(
        TlsInfo::new(TlsVersion::Tls13)
            .with_binding(ChannelBindingType::TlsServerEndPoint, [3; 32]),
    );
    let ex = setup.run();
    assert_eq!(
        ex.client_error,
        Some(ClientError::TlsVersionMismatch {
            server: "0303".into(),
            ours: Some(TlsVersion::Tls13)
        })
    );
    // Without the t attribute the downgrade passes unnoticed.
    setup.config.announce_tls_version = false;
    assert!(setup.run().succeeded());
}

/// XEP-0474 §6.1 hashes what was advertised. A stream layer that advertises more than
/// `ServerConfig::offer` (a mechanism the application runs itself) hands that offer to the
/// server machine, and the client, which hashes what it received, agrees.
#[test]
fn downgrade_hash_covers_the_advertised_offer() {
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    setup.advertised_extra = vec!["X-APP-TOKEN".to_owned()];
    let ex = setup.run();
    assert!(ex.succeeded(), "{ex:?}");
    let server_first = String::from_utf8(ex.transcript[1].1.clone()).unwrap();
    let offer = setup.advertised();
    assert!(offer.mechanisms.iter().any(|m| m == "X-APP-TOKEN"));
    let h = downgrade_protection_hash(HashAlgorithm::Sha512, &offer);
    assert!(server_first.contains(&format!(",h={h}")), "{server_first}");
}
