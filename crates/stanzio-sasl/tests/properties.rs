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
        accounts.iterations = 64;
        let mut setup = Setup::new(&accounts, creds);
        setup.config.mechanisms = vec![mechanism];
        setup.policy.min_iterations = 64;
        setup.policy.allow_plain = true;
        let ex = setup.run();
        if let Some(ClientError::Credentials(e)) = &ex.client_error {
            // Only the username can fail here (the password passed above): the client
            // refuses before sending anything.
            prop_assert!(matches!(e, PrepError::Empty { field: "username" } | PrepError::Saslprep { field: "username", .. }), "{:?}", e);
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
        let tls = TlsInfo::new(TlsVersion::Tls12).with_binding(ChannelBindingType::TlsUnique, [1; 12]);
        let mut rng = TestRng(9);
        let mut server = ServerMechanism::new(&config, Some(&tls), mechanism, &mut rng).unwrap();
        let mut step = server.handle_response(&first).unwrap();
        if let ServerStep::CredentialsNeeded { mechanism, .. } = step {
            let hash = match mechanism { Mechanism::Scram { hash, .. } => hash, _ => HashAlgorithm::Sha256 };
            let record = known.then(|| StoredCredentials::derive(hash, "pw", b"salt", 1).unwrap());
            step = server.provide_credentials(record).unwrap();
        }
        if matches!(step, ServerStep::Challenge(_)) {
            let last_step = server.handle_response(&last).unwrap();
            let finished = matches!(last_step, ServerStep::Failure(_) | ServerStep::Success { .. });
            prop_assert!(finished);
        }
    }

    /// Structured near-valid client-first messages reach deeper than random bytes.
    #[test]
    fn server_parses_structured_client_first(
        flag in prop_oneof![Just("n"), Just("y"), Just("p=tls-unique"), Just("p=x"), Just("q")],
        authzid in proptest::option::of("[a-z=,2CD3]{0,6}"),
        user in "[a-z=,2CD3]{0,6}",
        nonce in "[!-~]{0,6}",
        ext in "[a-z=,]{0,6}",
    ) {
        let msg = format!(
            "{flag},{}n={user},r={nonce}{ext}",
            authzid.map(|a| format!("a={a},")).unwrap_or_else(|| ",".into()),
        );
        let config = ServerConfig::new(*b"secret");
        let tls = TlsInfo::new(TlsVersion::Tls12).with_binding(ChannelBindingType::TlsUnique, [1; 12]);
        for mechanism in ["SCRAM-SHA-1", "SCRAM-SHA-1-PLUS"] {
            let mut server = ServerMechanism::new(&config, Some(&tls), mechanism, &mut TestRng(1)).unwrap();
            let step = server.handle_response(msg.as_bytes()).unwrap();
            let answered = matches!(step, ServerStep::CredentialsNeeded { .. } | ServerStep::Failure(_));
            prop_assert!(answered);
        }
    }
}
