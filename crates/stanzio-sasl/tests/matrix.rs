//! Client against server for every mechanism × hash × binding type, with and without
//! authzid.
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

const USER: &str = "juliet";
const PASS: &str = "r0m30 & ☃";

fn accounts() -> Accounts {
    Accounts::new(&[(USER, PASS)])
}

fn password_credentials(authzid: Option<&str>) -> Credentials {
    let c = Credentials::password(USER, PASS);
    match authzid {
        Some(a) => c.with_authzid(a),
        None => c,
    }
}

/// Runs one SCRAM mechanism with one binding type (or none) and checks both sides.
fn scram_case(hash: HashAlgorithm, binding: Option<ChannelBindingType>, authzid: Option<&str>) {
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, password_credentials(authzid));
    let plus = binding.is_some();
    setup.config.mechanisms = vec![Mechanism::scram(hash, plus)];
    let version = if binding == Some(ChannelBindingType::TlsUnique) {
        TlsVersion::Tls12
    } else {
        TlsVersion::Tls13
    };
    // Both sides have exactly this binding (or none); the XEP-0440 list says so.
    let tls = binding.iter().fold(TlsInfo::new(version), |t, &k| {
        t.with_binding(k, format!("binding data {}", k.as_str()))
    });
    setup.server_tls = Some(tls.clone());
    setup.client_tls = Some(tls);
    let ex = setup.run();
    let selection = ex.selection.as_ref().unwrap();
    assert_eq!(selection.mechanism(), Mechanism::scram(hash, plus));
    let expected_flag = binding.map_or(Gs2Flag::NoBinding, Gs2Flag::Bind);
    assert_eq!(selection.gs2_flag(), expected_flag);
    assert!(ex.succeeded(), "{hash:?} {binding:?} {authzid:?}: {ex:?}");
    let identity = ex.identity.unwrap();
    assert_eq!(identity.authcid.as_deref(), Some(USER));
    assert_eq!(identity.authzid.as_deref(), authzid);
    // The client-first carries the binding flag and the escaped authzid.
    let first = String::from_utf8(ex.transcript[0].1.clone()).unwrap();
    let flag = match binding {
        Some(k) => format!("p={}", k.as_str()),
        None => "n".into(),
    };
    let escaped = authzid.map(|a| a.replace('=', "=3D").replace(',', "=2C"));
    assert!(first.starts_with(&format!(
        "{flag},{}",
        escaped.map(|a| format!("a={a}")).unwrap_or_default()
    )));
    // The server-first carries XEP-0474 h and XEP-0515 t.
    let server_first = String::from_utf8(ex.transcript[1].1.clone()).unwrap();
    assert_eq!(ex.transcript[1].0, Dir::ToClient);
    assert!(server_first.contains(",h="), "{server_first}");
    assert!(
        server_first.contains(&format!(",t={}", version.as_str())),
        "{server_first}"
    );
}

#[test]
fn scram_every_hash_and_binding_type() {
    for hash in HashAlgorithm::STRONGEST_FIRST {
        for binding in [
            None,
            Some(ChannelBindingType::TlsExporter),
            Some(ChannelBindingType::TlsServerEndPoint),
            Some(ChannelBindingType::TlsUnique),
        ] {
            for authzid in [None, Some("juliet@capulet.lit/ba=l,cony")] {
                scram_case(hash, binding, authzid);
            }
        }
    }
}

#[test]
fn scram_without_tls() {
    let accounts = accounts();
    let mut setup = Setup::new(&accounts, password_credentials(None));
    setup.server_tls = None;
    setup.client_tls = None;
    let ex = setup.run();
    assert!(ex.succeeded(), "{ex:?}");
    assert_eq!(
        ex.selection.unwrap().mechanism(),
        Mechanism::scram(HashAlgorithm::Sha512, false)
    );
    let server_first = String::from_utf8(ex.transcript[1].1.clone()).unwrap();
    assert!(!server_first.contains(",t="));
}

#[test]
fn plain_with_and_without_authzid() {
    for authzid in [None, Some("romeo@montague.lit")] {
        let accounts = accounts();
        let mut setup = Setup::new(&accounts, password_credentials(authzid));
        setup.config.mechanisms = vec![Mechanism::Plain];
        setup.policy.allow_plain = true;
        let ex = setup.run();
        assert!(ex.succeeded(), "{ex:?}");
        let identity = ex.identity.unwrap();
        assert_eq!(identity.mechanism, Mechanism::Plain);
        assert_eq!(identity.authcid.as_deref(), Some(USER));
        assert_eq!(identity.authzid.as_deref(), authzid);
    }
}

#[test]
fn plain_wrong_password_and_unknown_user_look_alike() {
    let accounts = accounts();
    let mut failures = Vec::new();
    for creds in [
        Credentials::password(USER, "wrong"),
        Credentials::password("nobody", PASS),
    ] {
        let mut setup = Setup::new(&accounts, creds);
        setup.config.mechanisms = vec![Mechanism::Plain];
        setup.policy.allow_plain = true;
        failures.push(setup.run().server_failure.unwrap());
    }
    assert_eq!(failures[0], failures[1]);
    assert_eq!(failures[0].condition, SaslCondition::NotAuthorized);
}

#[test]
fn external_and_anonymous() {
    let accounts = accounts();
    for (creds, authzid) in [
        (Credentials::External { authzid: None }, None),
        (
            Credentials::External {
                authzid: Some("capulet.lit".into()),
            },
            Some("capulet.lit"),
        ),
        (Credentials::Anonymous { trace: None }, None),
        (
            Credentials::Anonymous {
                trace: Some("sirhc@example.org".into()),
            },
            None,
        ),
    ] {
        let anonymous = matches!(creds, Credentials::Anonymous { .. });
        let mut setup = Setup::new(&accounts, creds);
        setup.config.mechanisms = vec![Mechanism::External, Mechanism::Anonymous];
        setup.server_tls = setup.server_tls.map(|tls| {
            tls.with_client_certificate(ClientCertificate::verified(*b"juliet's certificate"))
        });
        setup.certificate_owner = Some(USER.to_owned());
        let ex = setup.run();
        assert!(ex.succeeded(), "{ex:?}");
        let identity = ex.identity.unwrap();
        // EXTERNAL authenticates whom the caller found the certificate to stand for.
        let authcid = (!anonymous).then_some(USER);
        assert_eq!(identity.authcid.as_deref(), authcid);
        assert_eq!(identity.authzid.as_deref(), authzid);
    }
}

#[test]
fn server_final_as_challenge_is_accepted() {
    // RFC 6120 §6.3.10: a server may send the server-final as a challenge and succeed
    // without data. Reroute the success data through the client's `step`.
    let accounts = accounts();
    let setup = Setup::new(&accounts, password_credentials(None));
    let ex = setup.run();
    let selection = ex.selection.unwrap();
    let creds = password_credentials(None);
    let mut client = ClientMechanism::new(&selection, &creds, &mut common::TestRng(7)).unwrap();
    client.initial_response().unwrap();
    client.step(&ex.transcript[1].1).unwrap();
    assert_eq!(client.step(&ex.transcript[3].1).unwrap(), b"");
    client.finish(b"").unwrap();
}
