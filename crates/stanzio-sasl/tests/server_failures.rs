//! The server's refusals and their RFC 6120 §6.5 conditions; unknown users look like
//! wrong passwords.
// Test code: panicking on an unexpected value is the point (clippy.toml only exempts
// #[test] functions, not the helpers they share).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{Accounts, Dir, Setup, TestRng};
use stanzio_sasl::*;

fn accounts() -> Accounts {
    Accounts::new(&[("user", "pencil")])
}

fn tls13() -> TlsInfo {
    TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [5; 32])
}

fn server(mechanism: &str, tls: Option<&TlsInfo>) -> ServerMechanism {
    let config = ServerConfig::new(*b"s");
    ServerMechanism::new(&config, &config.offer(tls), tls, mechanism, &mut TestRng(3)).unwrap()
}

fn failure(step: ServerStep) -> Failure {
    match step {
        ServerStep::Failure(f) => f,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// What a prober sees of an unknown user: the same failure, and a server-first with the
/// same iteration count and salt length as a real account's, for records made with other
/// parameters than the defaults.
#[test]
fn unknown_user_and_wrong_password_are_indistinguishable() {
    let mut records = RecordParameters::default();
    records.iterations = 10_000;
    records.salt_len = 24;
    let mut accounts = accounts();
    accounts.records = records;
    let run = |user: &str, pass: &str| {
        let mut setup = Setup::new(&accounts, Credentials::password(user, pass));
        setup.config.records = records;
        setup.run()
    };
    let wrong = run("user", "wrong");
    let unknown = run("nobody", "pencil");
    let (a, b) = (
        wrong.server_failure.clone().unwrap(),
        unknown.server_failure.clone().unwrap(),
    );
    assert_eq!(a, b);
    assert_eq!(
        a,
        Failure::new(SaslCondition::NotAuthorized, "invalid-proof")
    );
    let attribute = |ex: &common::Exchange, name: &str| {
        let s = String::from_utf8(ex.transcript[1].1.clone()).unwrap();
        s.split(',')
            .find_map(|a| a.strip_prefix(name))
            .unwrap()
            .to_owned()
    };
    let salt_len = |ex: &common::Exchange| BASE64.decode(attribute(ex, "s=")).unwrap().len();
    assert_eq!(attribute(&wrong, "i="), "10000");
    assert_eq!(attribute(&unknown, "i="), "10000");
    assert_eq!(salt_len(&wrong), 24);
    assert_eq!(salt_len(&unknown), 24);
    // The fake salt is stable per name, as a real one is.
    assert_eq!(
        attribute(&unknown, "s="),
        attribute(&run("nobody", "other"), "s=")
    );
    assert_ne!(
        attribute(&unknown, "s="),
        attribute(&run("nobody2", "pencil"), "s=")
    );
}

#[test]
fn mechanism_not_offered() {
    let config = ServerConfig::new(*b"s");
    let e = ServerMechanism::new(
        &config,
        &config.offer(None),
        None,
        "DIGEST-MD5",
        &mut TestRng(1),
    )
    .unwrap_err();
    assert_eq!(e.condition, SaslCondition::InvalidMechanism);
    // -PLUS without binding data is not offered.
    let e = ServerMechanism::new(
        &config,
        &config.offer(None),
        None,
        "SCRAM-SHA-256-PLUS",
        &mut TestRng(1),
    )
    .unwrap_err();
    assert_eq!(e.condition, SaslCondition::InvalidMechanism);
    // PLAIN without TLS: encryption-required.
    let e = ServerMechanism::new(&config, &config.offer(None), None, "PLAIN", &mut TestRng(1))
        .unwrap_err();
    assert_eq!(e.condition, SaslCondition::EncryptionRequired);
    // EXTERNAL is not configured by default.
    let e = ServerMechanism::new(
        &config,
        &config.offer(Some(&tls13())),
        Some(&tls13()),
        "EXTERNAL",
        &mut TestRng(1),
    )
    .unwrap_err();
    assert_eq!(e.condition, SaslCondition::InvalidMechanism);
}

#[test]
fn gs2_flag_must_fit_the_mechanism() {
    let tls = tls13();
    let cases = [
        (
            "SCRAM-SHA-1-PLUS",
            "n,,n=user,r=abc",
            SaslCondition::MalformedRequest,
        ),
        (
            "SCRAM-SHA-1-PLUS",
            "y,,n=user,r=abc",
            SaslCondition::MalformedRequest,
        ),
        (
            "SCRAM-SHA-1",
            "p=tls-exporter,,n=user,r=abc",
            SaslCondition::MalformedRequest,
        ),
        (
            "SCRAM-SHA-1",
            "y,,n=user,r=abc",
            SaslCondition::NotAuthorized,
        ),
        (
            "SCRAM-SHA-1-PLUS",
            "p=tls-unique,,n=user,r=abc",
            SaslCondition::NotAuthorized,
        ),
        (
            "SCRAM-SHA-1-PLUS",
            "p=tls-bogus,,n=user,r=abc",
            SaslCondition::NotAuthorized,
        ),
    ];
    for (mechanism, first, condition) in cases {
        let mut s = server(mechanism, Some(&tls));
        let f = failure(s.handle_response(first.as_bytes()).unwrap());
        assert_eq!(f.condition, condition, "{mechanism} {first}: {f}");
    }
    // `y` is fine when no -PLUS was offered (no binding data on this connection).
    let mut s = server("SCRAM-SHA-1", Some(&TlsInfo::new(TlsVersion::Tls13)));
    assert!(matches!(
        s.handle_response(b"y,,n=user,r=abc").unwrap(),
        ServerStep::CredentialsNeeded { .. }
    ));
}

#[test]
fn malformed_client_messages() {
    let cases: [&[u8]; 7] = [
        b"",
        b"n,,",
        b"n,,m=ext,n=user,r=abc",
        b"n,,n=us=3er,r=abc",
        b"n,,n=user,r=a,b",
        b"\xff,,n=user,r=abc",
        b"n,,n=\x07,r=abc",
    ];
    for first in cases {
        let mut s = server("SCRAM-SHA-256", None);
        let f = failure(s.handle_response(first).unwrap());
        assert_eq!(
            f.condition,
            SaslCondition::MalformedRequest,
            "{first:?}: {f}"
        );
        assert!(
            s.handle_response(first).is_err(),
            "failure must end the machine"
        );
    }
    let mut s = server("SCRAM-SHA-256", None);
    let f = failure(s.handle_response(b"n,a=bad=00,n=user,r=abc").unwrap());
    assert_eq!(f.condition, SaslCondition::InvalidAuthzid);
    let mut s = server("PLAIN", Some(&tls13()));
    for bad in [&b"user\0pencil"[..], b"\0user\0pencil\0", b"\0\0pencil"] {
        let mut s2 = server("PLAIN", Some(&tls13()));
        let f = failure(s2.handle_response(bad).unwrap());
        assert_eq!(f.condition, SaslCondition::MalformedRequest, "{bad:?}");
    }
    assert!(matches!(
        s.handle_response(b"\0user\0pencil").unwrap(),
        ServerStep::CredentialsNeeded { .. }
    ));
}

#[test]
fn tampered_client_final() {
    let accounts = accounts();
    let setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    type Edit = fn(&str) -> String;
    let cases: [(&str, Edit, &str); 4] = [
        (
            "nonce",
            |s| s.replacen(",r=", ",r=X", 1),
            "other-error: nonce mismatch",
        ),
        (
            "binding",
            |s| {
                let end = s.find(',').unwrap();
                format!("c=biws{}", &s[end..])
            },
            "channel-bindings-dont-match",
        ),
        (
            "proof",
            |s| {
                let p = s.rfind(",p=").unwrap();
                format!("{},p=AAAA", &s[..p])
            },
            "invalid-proof",
        ),
        (
            "extension",
            |s| s.replacen(",p=", ",x=1,p=", 1),
            "invalid-proof",
        ),
    ];
    for (what, edit, text) in cases {
        let ex = setup.run_with(&mut |_| {}, &mut |dir, n, data| {
            if dir == Dir::ToServer && n == 1 {
                *data = edit(std::str::from_utf8(data).unwrap()).into_bytes();
            }
        });
        let f = ex
            .server_failure
            .unwrap_or_else(|| panic!("{what} accepted"));
        assert_eq!(
            f,
            Failure::new(SaslCondition::NotAuthorized, text),
            "{what}"
        );
    }
}

#[test]
fn abort_and_misuse() {
    let mut s = server("SCRAM-SHA-1", None);
    assert_eq!(
        s.provide_credentials(None),
        Err(ServerError::OutOfOrder {
            call: "provide_credentials"
        })
    );
    s.handle_response(b"n,,n=user,r=abc").unwrap();
    assert!(s.handle_response(b"n,,n=user,r=abc").is_err());
    // A record of another hash is a caller error and changes nothing.
    let sha256 = StoredCredentials::derive(HashAlgorithm::Sha256, "pencil", b"salt", 4096).unwrap();
    assert_eq!(
        s.provide_credentials(Some(sha256)),
        Err(ServerError::WrongHash {
            needed: HashAlgorithm::Sha1,
            provided: HashAlgorithm::Sha256
        })
    );
    let sha1 = StoredCredentials::derive(HashAlgorithm::Sha1, "pencil", b"salt", 4096).unwrap();
    assert!(matches!(
        s.provide_credentials(Some(sha1)).unwrap(),
        ServerStep::Challenge(_)
    ));
    let f = s.abort(SaslCondition::Aborted, "client sent <abort/>");
    assert_eq!(f.condition.as_str(), "aborted");
    assert!(s.handle_response(b"c=biws,r=abc,p=AAAA").is_err());
}

#[test]
fn offer_follows_the_connection() {
    let config = ServerConfig::new(*b"s");
    let plain = config.offer(None);
    assert!(!plain.offers(Mechanism::Plain));
    assert!(!plain.offers_plus());
    assert_eq!(plain.channel_binding_types, None);
    let tls = config.offer(Some(&TlsInfo::new(TlsVersion::Tls13)));
    assert!(tls.offers(Mechanism::Plain));
    assert!(!tls.offers_plus());
    let bound = config.offer(Some(
        &TlsInfo::new(TlsVersion::Tls13)
            .with_binding(ChannelBindingType::TlsExporter, [1; 32])
            .with_binding(ChannelBindingType::TlsUnique, [1; 12]),
    ));
    assert!(bound.offers_plus());
    // tls-unique is not advertised on TLS 1.3.
    assert_eq!(
        bound.channel_binding_types,
        Some(vec!["tls-exporter".to_owned()])
    );
}

#[test]
fn tls_unique_is_refused_on_tls13_even_if_the_adapter_supplied_it() {
    // RFC 9266 §3: tls-unique is undefined on TLS 1.3; `TlsInfo::binding` ignores it there
    // and `offer` does not advertise it, so the server must not accept `p=tls-unique` either.
    let tls = TlsInfo::new(TlsVersion::Tls13)
        .with_binding(ChannelBindingType::TlsExporter, [1; 32])
        .with_binding(ChannelBindingType::TlsUnique, [2; 12]);
    let mut s = server("SCRAM-SHA-256-PLUS", Some(&tls));
    let f = failure(s.handle_response(b"p=tls-unique,,n=user,r=abc").unwrap());
    assert_eq!(
        f,
        Failure::new(
            SaslCondition::NotAuthorized,
            "unsupported-channel-binding-type"
        )
    );
    // The same adapter data on TLS 1.2 is accepted.
    let mut tls12 = tls;
    tls12.version = TlsVersion::Tls12;
    let mut s = server("SCRAM-SHA-256-PLUS", Some(&tls12));
    assert!(matches!(
        s.handle_response(b"p=tls-unique,,n=user,r=abc").unwrap(),
        ServerStep::CredentialsNeeded { .. }
    ));
}

#[test]
fn zero_iterations_cannot_make_a_record() {
    // RFC 5802 §7: `i` is a posit-number; a record with 0 would put `i=0`
    // in server-first, which every client must refuse.
    assert_eq!(
        StoredCredentials::derive(HashAlgorithm::Sha256, "pencil", b"salt", 0).unwrap_err(),
        PrepError::ZeroIterations
    );
}

#[test]
fn tls_version_is_announced_only_with_downgrade_protection() {
    // XEP-0515 §5 builds on XEP-0474: no `h`, no `t`.
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    setup.config.downgrade_protection = false;
    let exchange = setup.run();
    assert!(exchange.succeeded());
    let server_first = &exchange.transcript[1].1;
    let server_first = String::from_utf8_lossy(server_first);
    assert!(!server_first.contains(",t="), "{server_first}");
    assert!(!server_first.contains(",h="), "{server_first}");
}

#[test]
fn empty_binding_data_is_no_binding() {
    // An adapter that hands over empty data must not produce a -PLUS
    // exchange that binds nothing.
    let tls = TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, []);
    assert!(tls.binding(ChannelBindingType::TlsExporter).is_none());
    let offer = ServerConfig::new(*b"k").offer(Some(&tls));
    assert!(!offer.offers_plus(), "{offer:?}");
}

/// RFC 4505 §3: the server refuses a trace of more than 255 characters (not bytes).
#[test]
fn anonymous_trace_is_at_most_255_characters() {
    let mut config = ServerConfig::new(*b"s");
    config.mechanisms = vec![Mechanism::Anonymous];
    let offer = config.offer(None);
    let run = |trace: String| {
        let mut server =
            ServerMechanism::new(&config, &offer, None, "ANONYMOUS", &mut TestRng(1)).unwrap();
        server.handle_response(trace.as_bytes()).unwrap()
    };
    assert!(matches!(
        run("é".repeat(255)),
        ServerStep::Success {
            identity: Identity {
                authcid: None,
                authzid: None,
                ..
            },
            additional_data: None,
        }
    ));
    assert_eq!(
        failure(run("é".repeat(256))).condition,
        SaslCondition::MalformedRequest
    );
}

/// RFC 4616 §2 `[authzid]`: an empty authzid field is no authzid, in the lookup request
/// and in the identity that succeeds.
#[test]
fn plain_without_authzid_reports_none() {
    let mut s = server("PLAIN", Some(&tls13()));
    assert_eq!(
        s.handle_response(b"\0user\0pencil").unwrap(),
        ServerStep::CredentialsNeeded {
            username: "user".to_owned(),
            authzid: None,
            mechanism: Mechanism::Plain,
        }
    );
    let record = accounts().record("user", Mechanism::Plain);
    let ServerStep::Success { identity, .. } = s.provide_credentials(record).unwrap() else {
        panic!("the right password was refused")
    };
    assert_eq!(identity.authzid, None);
    let mut s = server("PLAIN", Some(&tls13()));
    assert!(matches!(
        s.handle_response(b"admin\0user\0pencil").unwrap(),
        ServerStep::CredentialsNeeded { authzid: Some(a), .. } if a == "admin"
    ));
}
