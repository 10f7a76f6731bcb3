//! Tamper tests: a server (or a man in the middle) sends something the SCRAM client must
//! refuse; each refusal is its own error variant.
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

/// Runs SCRAM-SHA-256 (no TLS, so no -PLUS and no XEP-0515) with `edit` applied to the
/// n-th payload towards the client, and returns the client's error.
fn refusal(
    setup_edit: impl FnOnce(&mut Setup<'_>),
    nth: usize,
    edit: impl Fn(&str) -> String,
) -> ClientError {
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    setup.config.mechanisms = vec![Mechanism::scram(HashAlgorithm::Sha256, false)];
    setup.server_tls = None;
    setup.client_tls = None;
    setup_edit(&mut setup);
    let ex = setup.run_with(&mut |_| {}, &mut |dir, n, data| {
        if dir == Dir::ToClient && n == nth {
            *data = edit(std::str::from_utf8(data).unwrap()).into_bytes();
        }
    });
    assert!(!ex.client_done);
    match ex.client_error {
        Some(e) => e,
        None => panic!("client accepted: {ex:?}"),
    }
}

fn server_first(edit: impl Fn(&str) -> String) -> ClientError {
    refusal(|_| {}, 0, edit)
}

fn server_final(edit: impl Fn(&str) -> String) -> ClientError {
    refusal(|_| {}, 1, edit)
}

#[test]
fn untampered_exchange_succeeds() {
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    setup.server_tls = None;
    setup.client_tls = None;
    assert!(setup.run().succeeded());
}

#[test]
fn server_nonce_not_extending_client_nonce() {
    let e = server_first(|s| s.replacen("r=", "r=X", 1));
    assert_eq!(e, ClientError::NonceMismatch);
    // The server adding nothing is refused too.
    let e = server_first(|s| {
        let nonce_end = s.find(",s=").unwrap();
        // The client nonce is 32 base64 characters.
        format!("{}{}", &s[..2 + 32], &s[nonce_end..])
    });
    assert_eq!(e, ClientError::NonceMismatch);
}

#[test]
fn iteration_count_too_low() {
    let e = server_first(|s| s.replace(",i=4096", ",i=4095"));
    assert_eq!(
        e,
        ClientError::IterationsTooLow {
            iterations: 4095,
            minimum: 4096
        }
    );
}

#[test]
fn iteration_count_too_high() {
    let e = server_first(|s| s.replace(",i=4096", ",i=600001"));
    assert_eq!(
        e,
        ClientError::IterationsTooHigh {
            iterations: 600_001,
            maximum: DEFAULT_MAX_ITERATIONS
        }
    );
    let e = server_first(|s| s.replace(",i=4096", ",i=18446744073709551616"));
    assert!(matches!(
        e,
        ClientError::IterationsTooHigh {
            iterations: u32::MAX,
            ..
        }
    ));
    // A configured cap.
    let e = refusal(|s| s.policy.max_iterations = 4000, 0, |s| s.to_owned());
    assert!(matches!(
        e,
        ClientError::IterationsTooHigh {
            iterations: 4096,
            maximum: 4000
        }
    ));
}

#[test]
fn wrong_server_signature() {
    let e = server_final(|s| {
        let mut bytes = s.as_bytes().to_vec();
        bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    });
    assert_eq!(e, ClientError::ServerSignatureMismatch);
}

#[test]
fn missing_server_signature() {
    let e = server_final(|_| "x=unknown".into());
    assert_eq!(e, ClientError::MissingServerSignature);
}

#[test]
fn success_without_signature() {
    let e = server_final(|_| String::new());
    assert_eq!(e, ClientError::SuccessWithoutSignature);
}

#[test]
fn server_error_attribute() {
    let e = server_final(|_| "e=invalid-proof".into());
    assert_eq!(e, ClientError::ServerError("invalid-proof".into()));
}

#[test]
fn malformed_messages() {
    for (nth, edit) in [
        (0, "garbage"),
        (0, "r=abc"),
        (0, ""),
        (1, "v=not base64!"),
        (1, "v"),
    ] {
        let e = refusal(|_| {}, nth, |_| edit.to_owned());
        assert!(
            matches!(e, ClientError::Malformed { .. }),
            "{edit:?}: {e:?}"
        );
    }
    let e = server_first(|s| s.replace(",s=", ",s=!!"));
    assert!(matches!(
        e,
        ClientError::Malformed {
            stage: Stage::ServerFirst,
            ..
        }
    ));
}

#[test]
fn mandatory_extension() {
    let e = server_first(|s| format!("m=x,{s}"));
    assert_eq!(
        e,
        ClientError::MandatoryExtension {
            stage: Stage::ServerFirst
        }
    );
    let e = server_final(|s| format!("m=x,{s}"));
    assert_eq!(
        e,
        ClientError::MandatoryExtension {
            stage: Stage::Success
        }
    );
}

#[test]
fn forged_downgrade_hash() {
    let e = server_first(|s| {
        let h = s.find(",h=").unwrap();
        format!("{},h=AAAA", &s[..h])
    });
    assert!(matches!(e, ClientError::DowngradeDetected { ref expected, .. } if expected == "AAAA"));
}

#[test]
fn missing_downgrade_hash_when_required() {
    let e = refusal(
        |s| s.policy.require_downgrade_protection = true,
        0,
        |s| s[..s.find(",h=").unwrap()].to_owned(),
    );
    assert_eq!(e, ClientError::DowngradeProtectionMissing);
    // Not required by the client, not sent by the server: accepted (XEP-0474 leaves a
    // missing `h` unspecified).
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    setup.config.downgrade_protection = false;
    assert!(setup.run().succeeded());
}

#[test]
fn tls_version_attribute_without_tls() {
    let e = server_first(|s| format!("{s},t=0304"));
    assert_eq!(
        e,
        ClientError::TlsVersionMismatch {
            server: "0304".into(),
            ours: None
        }
    );
}

#[test]
fn non_utf8_server_first() {
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
    setup.server_tls = None;
    setup.client_tls = None;
    let ex = setup.run_with(&mut |_| {}, &mut |dir, n, data| {
        if dir == Dir::ToClient && n == 0 {
            data.push(0xFF);
        }
    });
    assert!(matches!(
        ex.client_error,
        Some(ClientError::Malformed {
            stage: Stage::ServerFirst,
            reason: "not UTF-8"
        })
    ));
}

fn scram_client() -> ClientMechanism {
    let offer = ServerOffer::new(["SCRAM-SHA-1"]);
    let creds = Credentials::password("user", "pencil");
    let selection = select(
        &offer,
        None,
        &creds,
        &ClientPolicy::default(),
        ChannelBindingMemory::Unknown,
    )
    .unwrap();
    ClientMechanism::new(&selection, &creds, &mut common::TestRng(1)).unwrap()
}

#[test]
fn errors_are_sticky_and_misuse_is_reported() {
    let mut client = scram_client();
    assert_eq!(
        client.step(b"r=x,s=QQ==,i=4096"),
        Err(ClientError::OutOfOrder { call: "step" })
    );
    assert_eq!(
        client.finish(b""),
        Err(ClientError::OutOfOrder { call: "finish" })
    );
    client.initial_response().unwrap();
    assert_eq!(
        client.initial_response(),
        Err(ClientError::OutOfOrder {
            call: "initial_response"
        })
    );
    // A success before the client-final: not verified.
    let mut early = scram_client();
    early.initial_response().unwrap();
    assert_eq!(early.finish(b""), Err(ClientError::SuccessWithoutSignature));
    // A peer error ends the machine.
    assert_eq!(
        client.step(b"r=x,s=QQ==,i=4096"),
        Err(ClientError::NonceMismatch)
    );
    assert_eq!(
        client.step(b"r=x,s=QQ==,i=4096"),
        Err(ClientError::OutOfOrder { call: "step" })
    );
}

#[test]
fn plain_refuses_challenges_and_success_data() {
    let offer = ServerOffer::new(["PLAIN"]);
    let tls = TlsInfo::new(TlsVersion::Tls13);
    let creds = Credentials::password("user", "pencil");
    let mut policy = ClientPolicy::default();
    policy.allow_plain = true;
    let selection = select(
        &offer,
        Some(&tls),
        &creds,
        &policy,
        ChannelBindingMemory::Unknown,
    )
    .unwrap();
    let mut client = ClientMechanism::new(&selection, &creds, &mut common::TestRng(1)).unwrap();
    assert_eq!(client.initial_response().unwrap(), b"\0user\0pencil");
    assert!(matches!(
        client.step(b"x"),
        Err(ClientError::Malformed {
            stage: Stage::Challenge,
            ..
        })
    ));
    let mut client = ClientMechanism::new(&selection, &creds, &mut common::TestRng(1)).unwrap();
    client.initial_response().unwrap();
    assert!(matches!(
        client.finish(b"x"),
        Err(ClientError::Malformed {
            stage: Stage::Success,
            ..
        })
    ));
}

#[test]
fn credentials_are_prepared_or_refused() {
    let offer = ServerOffer::new(["SCRAM-SHA-1", "EXTERNAL"]);
    let selection = select(
        &offer,
        None,
        &Credentials::password("u", "p"),
        &ClientPolicy::default(),
        ChannelBindingMemory::Unknown,
    )
    .unwrap();
    let mut rng = common::TestRng(1);
    for bad in [
        Credentials::password("", "p"),
        Credentials::password("u", "\u{7}"),
        Credentials::password("u\u{AD}", ""),
    ] {
        assert!(matches!(
            ClientMechanism::new(&selection, &bad, &mut rng),
            Err(ClientError::Credentials(_))
        ));
    }
    assert!(matches!(
        ClientMechanism::new(
            &selection,
            &Credentials::External { authzid: None },
            &mut rng
        ),
        Err(ClientError::CredentialsMismatch { .. })
    ));
    // SASLprep maps before sending: U+00AD disappears, U+2168 becomes "IX".
    let mut client = ClientMechanism::new(
        &selection,
        &Credentials::password("us\u{AD}er", "\u{2168}"),
        &mut rng,
    )
    .unwrap();
    assert!(
        client
            .initial_response()
            .unwrap()
            .starts_with(b"n,,n=user,r=")
    );
}

/// RFC 4616 §2 leaves preparation to the PLAIN server: the client sends what was typed
/// (`I\u{AD}X`, not the SASLprep result `IX`), refusing only what the message cannot carry.
#[test]
fn plain_sends_credentials_as_typed() {
    let offer = ServerOffer::new(["PLAIN"]);
    let tls = TlsInfo::new(TlsVersion::Tls13);
    let mut policy = ClientPolicy::default();
    policy.allow_plain = true;
    let creds = Credentials::password("us\u{AD}er", "I\u{AD}X");
    let selection = select(
        &offer,
        Some(&tls),
        &creds,
        &policy,
        ChannelBindingMemory::Unknown,
    )
    .unwrap();
    let mut client = ClientMechanism::new(&selection, &creds, &mut common::TestRng(1)).unwrap();
    assert_eq!(
        client.initial_response().unwrap(),
        "\0us\u{AD}er\0I\u{AD}X".as_bytes()
    );
    // Our own server prepares both and finds the account of `user` with password `IX`.
    let accounts = Accounts::new(&[("user", "IX")]);
    let mut setup = Setup::new(&accounts, creds);
    setup.config.mechanisms = vec![Mechanism::Plain];
    setup.policy.allow_plain = true;
    let ex = setup.run();
    assert!(ex.succeeded(), "{ex:?}");
    assert_eq!(ex.identity.unwrap().authcid.as_deref(), Some("user"));
    // NUL is the separator and cannot be sent; an empty field is not `1*SAFE`.
    for (bad, expected) in [
        (
            Credentials::password("user", "a\0b"),
            PrepError::Nul { field: "password" },
        ),
        (
            Credentials::password("", "pencil"),
            PrepError::Empty { field: "username" },
        ),
    ] {
        assert_eq!(
            ClientMechanism::new(&selection, &bad, &mut common::TestRng(1)).unwrap_err(),
            ClientError::Credentials(expected)
        );
    }
}

/// Both ends of the policy range are accepted: `min_iterations` and `max_iterations` are
/// inclusive bounds.
#[test]
fn iteration_count_boundaries_are_inclusive() {
    for (min, max) in [(4096, 10_000), (1, 4096)] {
        let accounts = accounts();
        let mut setup = Setup::new(&accounts, Credentials::password("user", "pencil"));
        setup.policy.min_iterations = min;
        setup.policy.max_iterations = max;
        let ex = setup.run();
        assert!(ex.succeeded(), "min {min} max {max}: {ex:?}");
    }
    let e = refusal(|s| s.policy.min_iterations = 4097, 0, |s| s.to_owned());
    assert_eq!(
        e,
        ClientError::IterationsTooLow {
            iterations: 4096,
            minimum: 4097
        }
    );
}

/// RFC 4505 §3: the trace is at most 255 characters (not bytes).
#[test]
fn anonymous_trace_is_at_most_255_characters() {
    let offer = ServerOffer::new(["ANONYMOUS"]);
    let anonymous = |trace: String| Credentials::Anonymous { trace: Some(trace) };
    let selection = select(
        &offer,
        None,
        &anonymous(String::new()),
        &ClientPolicy::default(),
        ChannelBindingMemory::Unknown,
    )
    .unwrap();
    let longest = "é".repeat(255);
    let mut client = ClientMechanism::new(
        &selection,
        &anonymous(longest.clone()),
        &mut common::TestRng(1),
    )
    .unwrap();
    assert_eq!(client.initial_response().unwrap(), longest.as_bytes());
    assert_eq!(
        ClientMechanism::new(
            &selection,
            &anonymous("é".repeat(256)),
            &mut common::TestRng(1)
        )
        .unwrap_err(),
        ClientError::Credentials(PrepError::TooLong {
            field: "trace",
            max: 255
        })
    );
}
