//! The SASL server machine on arbitrary client payloads: byte 0 picks the mechanism, byte
//! 1 whether the user exists (bit 0) and whether the application accepts the client
//! certificate (bit 1), and the rest is the initial response and a second response, split
//! at the first 0xFF (a byte no valid payload contains). Never a panic; every step ends in
//! a defined state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stanzio_sasl::rand_core::{CryptoRng, RngCore, impls};
use stanzio_sasl::{
    ChannelBindingType, ClientCertificate, HashAlgorithm, Mechanism, SaslCondition, ServerConfig,
    ServerMechanism, ServerStep, StoredCredentials, TlsInfo, TlsVersion,
};

struct Fixed;
impl RngCore for Fixed {
    fn next_u32(&mut self) -> u32 {
        impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        buf.fill(0x42);
    }
}
impl CryptoRng for Fixed {}

const MECHANISMS: [&str; 6] = [
    "SCRAM-SHA-1",
    "SCRAM-SHA-256-PLUS",
    "SCRAM-SHA-512",
    "PLAIN",
    "EXTERNAL",
    "ANONYMOUS",
];

fuzz_target!(|data: &[u8]| {
    let [pick, known, rest @ ..] = data else {
        return;
    };
    let (first, last) = match rest.iter().position(|&b| b == 0xFF) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let mut config = ServerConfig::new(*b"fuzz secret");
    config.mechanisms = Mechanism::ALL.to_vec();
    config.records.iterations = 1;
    let tls = TlsInfo::new(TlsVersion::Tls13)
        .with_binding(ChannelBindingType::TlsExporter, [7; 32])
        .with_client_certificate(ClientCertificate::verified([0x30; 16]));
    let name = MECHANISMS[usize::from(*pick) % MECHANISMS.len()];
    let offer = config.offer(Some(&tls));
    let mut server = ServerMechanism::new(&config, &offer, Some(&tls), name, &mut Fixed).unwrap();
    let mut step = server.handle_response(first).unwrap();
    if let ServerStep::CredentialsNeeded { mechanism, .. } = step {
        let hash = match mechanism {
            Mechanism::Scram { hash, .. } => hash,
            _ => HashAlgorithm::Sha256,
        };
        let record =
            (known & 1 == 1).then(|| StoredCredentials::derive(hash, "pw", b"salt", 1).unwrap());
        step = server.provide_credentials(record).unwrap();
    }
    if let ServerStep::CertificateIdentityNeeded { .. } = step {
        // EXTERNAL: byte 1 also says whether the application accepts the certificate.
        step = if known & 2 == 2 {
            server.accept_certificate_identity("owner").unwrap()
        } else {
            ServerStep::Failure(server.abort(SaslCondition::NotAuthorized, "refused"))
        };
    }
    if let ServerStep::Challenge(_) = step {
        let last_step = server.handle_response(last).unwrap();
        assert!(matches!(
            last_step,
            ServerStep::Success { .. } | ServerStep::Failure(_)
        ));
        assert!(server.handle_response(last).is_err());
    }
});
