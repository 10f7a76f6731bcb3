//! Property tests: client and server agree for arbitrary credentials; the server never
//! panics on arbitrary client messages.
// Test code: panicking on an unexpected value is the point (clippy.toml only exempts
// #[test] functions, not the helpers they share).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Accounts, Setup, TestRng};
use proptest::prelude::*;
use stanzio_sasl::*;

/// Strings with ASCII, the SCRAM specials `,` and `=`, Latin-1 and other scripts, the
/// SASLprep-mapped U+00AD and U+00A0, and an astral character.
fn name() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            proptest::char::range('a', 'z'),
            Just(','),
            Just('='),
            Just(' '),
            Just('é'),
            Just('ß'),
            Just('Σ'),
            Just('中'),
            Just('\u{AD}'),
            Just('\u{A0}'),
            Just('😀'),
            Just('\u{2168}'),
        ],
        1..12,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn mechanism() -> impl Strategy<Value = Mechanism> {
    prop_oneof![
        Just(Mechanism::Plain),
        Just(Mechanism::scram(HashAlgorithm::Sha1, false)),
        Just(Mechanism::scram(HashAlgorithm::Sha256, true)),
        Just(Mechanism::scram(HashAlgorithm::Sha512, false)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn client_and_server_agree(
        user in name(),
        pass in name(),
        authzid in proptest::option::of(name()),
        mechanism in mechanism(),
    ) {
        let mut creds = Credentials::password(user.clone(), pass.clone());
        if let Some(a) = &authzid {
            creds = creds.with_authzid(a.clone());
        }
        // Strings SASLprep refuses are refused by both sides alike; skip them here.
        let record = StoredCredentials::derive(HashAlgorithm::Sha1, &pass, b"0123456789abcdef", 1);
        prop_assume!(record.is_ok());
        // The server looks up the SASLprep-ed name; this store answers for any name.
        let mut accounts = Accounts::new(&[]);
        accounts.any_user = Some(pass.clone());
        accounts.records.iterations = 64;
        let mut setup = Setup::new(&accounts, creds.clone());
        setup.config.mechanisms = vec![mechanism];
        setup.policy.min_iterations = 64;
        setup.policy.allow_plain = true;
        let ex = setup.run();
        // Whether SASLprep accepts the username, as the SCRAM client finds out (PLAIN sends
        // it as typed and leaves that to the server, RFC 4616 §2).
        let scram = select(&ServerOffer::new(["SCRAM-SHA-1"]), None, &creds, &ClientPolicy::default(), ChannelBindingMemory::Unknown).unwrap();
        let username_refused = match ClientMechanism::new(&scram, &creds, &mut TestRng(1)) {
            Ok(_) => false,
            Err(ClientError::Credentials(PrepError::Empty { field: "username" } | PrepError::Saslprep { field: "username", .. })) => true,
            Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
        };
        if username_refused && mechanism == Mechanism::Plain {
            // The server prepares it and refuses.
            let failure = ex.server_failure.unwrap();
            prop_assert_eq!(failure.condition, SaslCondition::MalformedRequest);
        } else if username_refused {
            // The SCRAM client refuses before sending anything.
            prop_assert!(matches!(ex.client_error, Some(ClientError::Credentials(_))), "{:?}", ex);
            prop_assert!(ex.transcript.is_empty());
        } else {
            prop_assert!(ex.succeeded(), "{:?}", ex);
            let identity = ex.identity.unwrap();
            // Names without SASLprep mappings arrive unchanged (`,` and `=` included).
            if !user.contains(['\u{AD}', '\u{A0}', '\u{2168}']) {
                prop_assert_eq!(identity.authcid.as_deref(), Some(user.as_str()));
            }
            prop_assert_eq!(identity.authzid, authzid);
        }
    }

    /// Arbitrary bytes as the client's messages: no panic, and beyond that, what a server
    /// must guarantee on garbage: it never authenticates a password mechanism, and once it
    /// has answered with success or failure it takes no further input.
    #[test]
    fn server_never_panics_on_client_messages(
        first in proptest::collection::vec(any::<u8>(), 0..80),
        last in proptest::collection::vec(any::<u8>(), 0..120),
        mechanism in prop_oneof![
            Just("SCRAM-SHA-256"), Just("SCRAM-SHA-1-PLUS"), Just("PLAIN"),
            Just("EXTERNAL"), Just("ANONYMOUS"),
        ],
        known in any::<bool>(),
    ) {
        let mut config = ServerConfig::new(*b"secret");
        config.mechanisms = Mechanism::ALL.to_vec();
        let tls = TlsInfo::new(TlsVersion::Tls12)
            .with_binding(ChannelBindingType::TlsUnique, [1; 12])
            .with_client_certificate(ClientCertificate::verified([0x30; 8]));
        let mut rng = TestRng(9);
        let offer = config.offer(Some(&tls));
        let mut server = ServerMechanism::new(&config, &offer, Some(&tls), mechanism, &mut rng).unwrap();
        let mut step = server.handle_response(&first).unwrap();
        if let ServerStep::CredentialsNeeded { mechanism, .. } = step {
            let hash = match mechanism { Mechanism::Scram { hash, .. } => hash, _ => HashAlgorithm::Sha256 };
            let record = known.then(|| StoredCredentials::derive(hash, "pw", b"salt", 1).unwrap());
            step = server.provide_credentials(record).unwrap();
        }
        if let ServerStep::CertificateIdentityNeeded { .. } = step {
            step = server.accept_certificate_identity("owner").unwrap();
        }
        if let ServerStep::Challenge(_) = step {
            step = server.handle_response(&last).unwrap();
        }
        let password_mechanism = matches!(mechanism, "SCRAM-SHA-256" | "SCRAM-SHA-1-PLUS" | "PLAIN");
        prop_assert!(
            !(password_mechanism && matches!(step, ServerStep::Success { .. })),
            "random bytes authenticated: {:?}", step
        );
        prop_assert!(
            server.handle_response(&last).is_err(),
            "the machine took input after {:?}", step
        );
    }

    /// Client-first-messages built from parts that are each valid or broken in one known
    /// way: the server asks for credentials exactly when every part is valid, reports the
    /// unescaped username and authzid, and fails a message with one broken part with that
    /// part's condition.
    #[test]
    fn server_parses_structured_client_first(
        flag in 0..5_usize,
        authzid in 0..4_usize,
        user in 0..5_usize,
        nonce in 0..3_usize,
        ext in 0..3_usize,
        plus in any::<bool>(),
    ) {
        use SaslCondition::{InvalidAuthzid, MalformedRequest, NotAuthorized};
        // (text, accepted with SCRAM-SHA-1, accepted with SCRAM-SHA-1-PLUS, condition when
        // refused). This server offers -PLUS (TLS 1.2 with tls-unique), so `y` on plain
        // SCRAM is a downgrade (RFC 5802 §6).
        let flags = [
            ("n", true, false, MalformedRequest),
            ("y", false, false, if plus { MalformedRequest } else { NotAuthorized }),
            ("p=tls-unique", false, true, MalformedRequest),
            ("p=tls-exporter", false, false, if plus { NotAuthorized } else { MalformedRequest }),
            ("q", false, false, MalformedRequest),
        ];
        // (GS2 authzid part, the authzid reported, or the condition).
        let authzids = [
            ("", Ok(None)),
            ("a=jul=2Ciet", Ok(Some("jul,iet"))),
            ("a=x=41", Err(InvalidAuthzid)),
            ("b=x", Err(MalformedRequest)),
        ];
        let users = [
            ("juliet", Ok("juliet")),
            ("us=3Der", Ok("us=er")),
            ("u=x", Err(MalformedRequest)),
            ("", Err(MalformedRequest)),
            ("\u{7}", Err(MalformedRequest)),
        ];
        let nonces = [("fyko+d2lbbFgONRv9qkxdawL", true), ("", false), ("a b", false)];
        let exts = [("", true), (",x=1", true), (",1=x", false)];

        let (flag_text, ok_plain, ok_plus, flag_condition) = flags[flag];
        let flag_ok = if plus { ok_plus } else { ok_plain };
        let (authzid_text, authzid_want) = authzids[authzid];
        let (user_text, user_want) = users[user];
        let (nonce_text, nonce_ok) = nonces[nonce];
        let (ext_text, ext_ok) = exts[ext];
        let msg = format!("{flag_text},{authzid_text},n={user_text},r={nonce_text}{ext_text}");

        let config = ServerConfig::new(*b"secret");
        let tls = TlsInfo::new(TlsVersion::Tls12).with_binding(ChannelBindingType::TlsUnique, [1; 12]);
        let offer = config.offer(Some(&tls));
        let mechanism = if plus { "SCRAM-SHA-1-PLUS" } else { "SCRAM-SHA-1" };
        let mut server = ServerMechanism::new(&config, &offer, Some(&tls), mechanism, &mut TestRng(1)).unwrap();
        let step = server.handle_response(msg.as_bytes()).unwrap();

        let broken: Vec<SaslCondition> = [
            (!flag_ok).then_some(flag_condition),
            authzid_want.err(),
            user_want.err(),
            (!nonce_ok).then_some(MalformedRequest),
            (!ext_ok).then_some(MalformedRequest),
        ]
        .into_iter()
        .flatten()
        .collect();
        match (&step, broken.as_slice()) {
            (ServerStep::CredentialsNeeded { username, authzid, .. }, []) => {
                prop_assert_eq!(Ok(username.as_str()), user_want);
                prop_assert_eq!(Ok(authzid.as_deref()), authzid_want);
            }
            (ServerStep::Failure(failure), [only]) => {
                prop_assert_eq!(failure.condition, *only, "{:?}: {}", msg, failure);
            }
            (ServerStep::Failure(_), [_, _, ..]) => {}
            (other, broken) => prop_assert!(false, "{:?} gave {:?}, broken parts {:?}", msg, other, broken),
        }
    }
}
