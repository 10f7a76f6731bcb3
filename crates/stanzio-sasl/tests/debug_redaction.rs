//! `Debug` output of the step machines never shows a password, the PLAIN message, the
//! server secret or channel-binding data, as `Credentials`, `ServerConfig`,
//! `StoredCredentials` and `ChannelBinding` already promise for themselves: machines end
//! up in logs and panic messages.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::TestRng;
use stanzio_sasl::*;

const PASSWORD: &str = "hunter2-password";
const SECRET: &[u8] = b"server-secret-xyz";
const BINDING: [u8; 4] = [0xAB, 0xCD, 0xEF, 0x42];

/// The value as text, and as `Debug` prints it inside a `Vec<u8>`.
fn forms(bytes: &[u8]) -> [String; 2] {
    let list = format!("{bytes:?}");
    [
        String::from_utf8_lossy(bytes).into_owned(),
        list.trim_matches(['[', ']']).to_owned(),
    ]
}

fn assert_hidden(debug: &str, secret: &[u8]) {
    for form in forms(secret) {
        assert!(!debug.contains(&form), "{form:?} shown in {debug}");
    }
}

fn tls() -> TlsInfo {
    TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, BINDING)
}

#[test]
fn client_machines_hide_the_password_and_binding_data() {
    let creds = Credentials::password("user", PASSWORD);
    let mut policy = ClientPolicy::default();
    policy.allow_plain = true;
    // What the state shows instead: enough to tell where the exchange is.
    for (offer, shown) in [
        (["SCRAM-SHA-256-PLUS"], "client_first_bare: \"n=user,r="),
        (["PLAIN"], "SingleInitial { len: 22"),
    ] {
        let selection = select(
            &ServerOffer::new(offer),
            Some(&tls()),
            &creds,
            &policy,
            ChannelBindingMemory::Unknown,
        )
        .unwrap();
        let client = ClientMechanism::new(&selection, &creds, &mut TestRng(1)).unwrap();
        let debug = format!("{client:?}");
        assert!(debug.contains(shown), "{debug}");
        assert_hidden(&debug, PASSWORD.as_bytes());
        assert_hidden(&debug, &BINDING);
    }
}

#[test]
fn server_machines_hide_the_secret_and_the_plain_password() {
    let config = ServerConfig::new(SECRET);
    let debug = format!("{config:?}");
    assert!(debug.contains("records: RecordParameters"), "{debug}");
    assert_hidden(&debug, SECRET);
    let server = ServerMechanism::new(
        &config,
        &config.offer(Some(&tls())),
        Some(&tls()),
        "SCRAM-SHA-256",
        &mut TestRng(1),
    )
    .unwrap();
    let debug = format!("{server:?}");
    assert!(debug.contains("state: Initial"), "{debug}");
    assert_hidden(&debug, SECRET);
    assert_hidden(&debug, &BINDING);

    let offer = config.offer(Some(&tls()));
    let mut plain =
        ServerMechanism::new(&config, &offer, Some(&tls()), "PLAIN", &mut TestRng(1)).unwrap();
    let step = plain
        .handle_response(format!("\0user\0{PASSWORD}").as_bytes())
        .unwrap();
    assert!(matches!(step, ServerStep::CredentialsNeeded { .. }));
    let debug = format!("{plain:?}");
    assert!(
        debug.contains("PlainCredentials { authcid: \"user\""),
        "{debug}"
    );
    assert_hidden(&debug, PASSWORD.as_bytes());
}

/// The redaction hides the secret, not the rest: the username and authzid still show.
#[test]
fn credentials_show_who_but_not_the_password() {
    let creds = Credentials::password("juliet", PASSWORD).with_authzid("romeo@montague.lit");
    let debug = format!("{creds:?}");
    assert!(debug.contains("juliet"), "{debug}");
    assert!(debug.contains("romeo@montague.lit"), "{debug}");
    assert_hidden(&debug, PASSWORD.as_bytes());
    let trace = format!(
        "{:?}",
        Credentials::Anonymous {
            trace: Some("sirhc".into())
        }
    );
    assert!(trace.contains("sirhc"), "{trace}");
}
