//! The published test vectors, byte for byte, on both sides: RFC 5802 §5, RFC 7677 §3,
//! XEP-0474 §6.3, and the XEP-0515 flow (XEP-0474 §6.3's with `t=0304`, its proof and
//! signature computed independently with Python's hashlib). They need fixed nonces, which
//! only crate-internal code can set.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use rand_core::{CryptoRng, RngCore};

use crate::*;

/// Only ever draws nonces that these tests replace with the published ones.
struct Zeros;

impl RngCore for Zeros {
    fn next_u32(&mut self) -> u32 {
        0
    }

    fn next_u64(&mut self) -> u64 {
        0
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        dst.fill(0);
    }
}

impl CryptoRng for Zeros {}

struct Vector {
    hash: HashAlgorithm,
    client_nonce: &'static str,
    server_nonce: &'static str,
    salt: &'static str,
    c1: &'static str,
    s1: &'static str,
    c2: &'static str,
    s2: &'static str,
}

const RFC5802: Vector = Vector {
    hash: HashAlgorithm::Sha1,
    client_nonce: "fyko+d2lbbFgONRv9qkxdawL",
    server_nonce: "3rfcNHYJY1ZVvWVs7j",
    salt: "QSXCR+Q6sek8bf92",
    c1: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    s1: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    c2: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    s2: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};

const RFC7677: Vector = Vector {
    hash: HashAlgorithm::Sha256,
    client_nonce: "rOprNGfwEbeRWgbNEkqO",
    server_nonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
    c1: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    s1: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    c2: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
         p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    s2: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

fn client_side(v: &Vector) {
    let name = Mechanism::scram(v.hash, false).as_str();
    let selection = select(
        &ServerOffer::new([name]),
        None,
        &Credentials::password("user", "pencil"),
        &ClientPolicy::default(),
        ChannelBindingMemory::Unknown,
    )
    .unwrap();
    let mut client = ClientMechanism::with_nonce(
        &selection,
        &Credentials::password("user", "pencil"),
        v.client_nonce.into(),
    )
    .unwrap();
    assert_eq!(client.initial_response().unwrap(), v.c1.as_bytes());
    assert_eq!(
        String::from_utf8(client.step(v.s1.as_bytes()).unwrap()).unwrap(),
        v.c2
    );
    client.finish(v.s2.as_bytes()).unwrap();
}

fn server_side(v: &Vector) {
    let name = Mechanism::scram(v.hash, false).as_str();
    let mut config = ServerConfig::new(*b"k");
    // The RFC vectors predate XEP-0474.
    config.downgrade_protection = false;
    let offer = config.offer(None);
    let mut server = ServerMechanism::new(&config, &offer, None, name, &mut Zeros).unwrap();
    server.server_nonce = v.server_nonce.into();
    let step = server.handle_response(v.c1.as_bytes()).unwrap();
    assert_eq!(
        step,
        ServerStep::CredentialsNeeded {
            username: "user".into(),
            authzid: None,
            mechanism: Mechanism::scram(v.hash, false)
        }
    );
    let record =
        StoredCredentials::derive(v.hash, "pencil", &BASE64.decode(v.salt).unwrap(), 4096).unwrap();
    let step = server.provide_credentials(Some(record)).unwrap();
    assert_eq!(step, ServerStep::Challenge(v.s1.as_bytes().to_vec()));
    let ServerStep::Success {
        identity,
        additional_data,
    } = server.handle_response(v.c2.as_bytes()).unwrap()
    else {
        panic!("vector exchange failed")
    };
    assert_eq!(identity.authcid.as_deref(), Some("user"));
    assert_eq!(additional_data.as_deref(), Some(v.s2.as_bytes()));
}

#[test]
fn rfc5802_section5_client() {
    client_side(&RFC5802);
}

#[test]
fn rfc5802_section5_server() {
    server_side(&RFC5802);
}

#[test]
fn rfc7677_section3_client() {
    client_side(&RFC7677);
}

#[test]
fn rfc7677_section3_server() {
    server_side(&RFC7677);
}

const SSDP_CNONCE: &str = "12C4CD5C-E38E-4A98-8F6D-15C38F51CCC6";
const SSDP_SNONCE: &str = "a09117a6-ac50-4f2f-93f1-93799c2bddf6";
const SSDP_S1: &str = "r=12C4CD5C-E38E-4A98-8F6D-15C38F51CCC6a09117a6-ac50-4f2f-93f1-93799c2bddf6,\
                       s=QSXCR+Q6sek8bf92,i=4096,h=G6k/rBLDqgOhRRaCuuatSDFkJ08=";
const FAKE_CB: &[u8] = b"THIS IS FAKE CB DATA";

/// The XEP-0474 §6.3 server: SCRAM-SHA-1(-PLUS), XEP-0440 tls-exporter and
/// tls-server-end-point, TLS 1.3.
fn ssdp_server(announce_tls_version: bool) -> ServerMechanism {
    let mut config = ServerConfig::new(*b"k");
    config.mechanisms = vec![
        Mechanism::scram(HashAlgorithm::Sha1, true),
        Mechanism::scram(HashAlgorithm::Sha1, false),
    ];
    config.announce_tls_version = announce_tls_version;
    let tls = ssdp_tls();
    let mut server = ServerMechanism::new(
        &config,
        &config.offer(Some(&tls)),
        Some(&tls),
        "SCRAM-SHA-1-PLUS",
        &mut Zeros,
    )
    .unwrap();
    server.server_nonce = SSDP_SNONCE.into();
    let first = format!("p=tls-exporter,,n=user,r={SSDP_CNONCE}");
    assert!(matches!(
        server.handle_response(first.as_bytes()).unwrap(),
        ServerStep::CredentialsNeeded { .. }
    ));
    server
}

fn ssdp_tls() -> TlsInfo {
    TlsInfo::new(TlsVersion::Tls13)
        .with_binding(ChannelBindingType::TlsExporter, FAKE_CB)
        .with_binding(ChannelBindingType::TlsServerEndPoint, [0xEE; 32])
}

fn pencil() -> StoredCredentials {
    StoredCredentials::derive(
        HashAlgorithm::Sha1,
        "pencil",
        &BASE64.decode("QSXCR+Q6sek8bf92").unwrap(),
        4096,
    )
    .unwrap()
}

fn ssdp_c_attr() -> String {
    let mut input = b"p=tls-exporter,,".to_vec();
    input.extend_from_slice(FAKE_CB);
    BASE64.encode(input)
}

#[test]
fn xep0474_section6_3_server() {
    let mut server = ssdp_server(false);
    let step = server.provide_credentials(Some(pencil())).unwrap();
    assert_eq!(step, ServerStep::Challenge(SSDP_S1.as_bytes().to_vec()));
    // The client-final carries the extension x=, which stays in AuthMessage.
    let c2 = format!(
        "c={},r={SSDP_CNONCE}{SSDP_SNONCE},x=19C6532F-1CF4-4A27-A18D-DC9CEA41BBB3,\
         p=M/SIDjT+dfcxUh89jZEypRvFxB4=",
        ssdp_c_attr()
    );
    let ServerStep::Success {
        additional_data, ..
    } = server.handle_response(c2.as_bytes()).unwrap()
    else {
        panic!("XEP-0474 vector exchange failed")
    };
    assert_eq!(
        additional_data.as_deref(),
        Some(&b"v=MQrMPvv7yv4x4Cq4W4Ih25EqS2c="[..])
    );
}

#[test]
fn xep0515_vector_client_and_server() {
    let s1 = format!("{SSDP_S1},t=0304");
    let c2 = format!(
        "c={},r={SSDP_CNONCE}{SSDP_SNONCE},p=KHUfN8dSy1K95crT4D5y1ItLJfs=",
        ssdp_c_attr()
    );
    let s2 = "v=3w34ZIMVRkx2f2Ozb3/ecRPVdv4=";

    let offer = ServerOffer::new(["SCRAM-SHA-1", "SCRAM-SHA-1-PLUS"])
        .with_channel_binding_types(["tls-exporter", "tls-server-end-point"]);
    let creds = Credentials::password("user", "pencil");
    let selection = select(
        &offer,
        Some(&ssdp_tls()),
        &creds,
        &ClientPolicy::default(),
        ChannelBindingMemory::Unknown,
    )
    .unwrap();
    let mut client = ClientMechanism::with_nonce(&selection, &creds, SSDP_CNONCE.into()).unwrap();
    assert_eq!(
        client.initial_response().unwrap(),
        format!("p=tls-exporter,,n=user,r={SSDP_CNONCE}").as_bytes()
    );
    assert_eq!(
        String::from_utf8(client.step(s1.as_bytes()).unwrap()).unwrap(),
        c2
    );
    client.finish(s2.as_bytes()).unwrap();

    let mut server = ssdp_server(true);
    assert_eq!(
        server.provide_credentials(Some(pencil())).unwrap(),
        ServerStep::Challenge(s1.into_bytes())
    );
    let ServerStep::Success {
        additional_data, ..
    } = server.handle_response(c2.as_bytes()).unwrap()
    else {
        panic!("XEP-0515 vector exchange failed")
    };
    assert_eq!(additional_data.as_deref(), Some(s2.as_bytes()));
}

/// A SCRAM exchange recorded on the wire against a real server (the
/// slixmpp smoke runs in tests/data of the workspace): stanzio's client,
/// given the nonce slixmpp drew, must send the same bytes and accept the
/// server's signature.
struct Recorded {
    offer: &'static [&'static str],
    tls: Option<TlsInfo>,
    memory: ChannelBindingMemory,
    username: &'static str,
    client_nonce: &'static str,
    c1: &'static str,
    s1: &'static str,
    c2: &'static str,
    s2: &'static str,
}

fn replay(r: &Recorded) {
    let credentials = Credentials::password(r.username, "secret");
    let offer = ServerOffer::new(r.offer.iter().copied());
    let selection = select(
        &offer,
        r.tls.as_ref(),
        &credentials,
        &ClientPolicy::default(),
        r.memory,
    )
    .unwrap();
    let mut client =
        ClientMechanism::with_nonce(&selection, &credentials, r.client_nonce.into()).unwrap();
    assert_eq!(
        String::from_utf8(client.initial_response().unwrap()).unwrap(),
        r.c1
    );
    assert_eq!(
        String::from_utf8(client.step(r.s1.as_bytes()).unwrap()).unwrap(),
        r.c2
    );
    client.finish(r.s2.as_bytes()).unwrap();
}

#[test]
fn prosody_0_12_scram_sha1_over_tls13_without_plus() {
    // Prosody offers no -PLUS on TLS 1.3 (it only knows tls-unique), so a
    // client that could bind says so with `y` (RFC 5802 §6).
    replay(&Recorded {
        offer: &["PLAIN", "SCRAM-SHA-1"],
        tls: Some(
            TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [7; 32]),
        ),
        memory: ChannelBindingMemory::Unknown,
        username: "alice",
        client_nonce: "9165398492727613",
        c1: "y,,n=alice,r=9165398492727613",
        s1: "r=91653984927276138898c8b8-30bb-4686-8093-b2e2783ebb02,\
             s=ZDBkZDhjNzMtYTZlYi00MWQwLWIxM2EtM2ZkYWRiNTA1MWZm,i=10000",
        c2: "c=eSws,r=91653984927276138898c8b8-30bb-4686-8093-b2e2783ebb02,\
             p=ZNc1d4znQ6II2cq0vm0tzi/88ds=",
        s2: "v=CM9QYjtMutf6AYlH5hjI83RO/sY=",
    });
}

#[test]
fn ejabberd_23_scram_sha512_without_binding() {
    // ejabberd 23 offers every -PLUS without XEP-0440 but rejects tls-exporter
    // (it checks tls-unique, undefined on TLS 1.3). A client that remembers
    // the rejection sends the strongest plain SCRAM with `n` at once: the
    // recorded bytes, one attempt.
    replay(&Recorded {
        offer: &[
            "PLAIN",
            "SCRAM-SHA-512-PLUS",
            "SCRAM-SHA-512",
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-256",
            "SCRAM-SHA-1-PLUS",
            "SCRAM-SHA-1",
        ],
        tls: Some(
            TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [7; 32]),
        ),
        memory: ChannelBindingMemory::Rejected(ChannelBindingType::TlsExporter),
        username: "alice",
        client_nonce: "4859501448108994",
        c1: "n,,n=alice,r=4859501448108994",
        s1: "r=4859501448108994Fsr0J0n2VADjO8KiRgUf3w==,s=yOYUgYiBVTg346uAG4+LNQ==,i=4096",
        c2: "c=biws,r=4859501448108994Fsr0J0n2VADjO8KiRgUf3w==,\
             p=zArkJmKI5AIaxGT63VUnqHfhSU9OoEZ0PAz1Y1l4tQk4JHxJ2yBh22MIpogNYT1w3yPsG5GpXaT5ekW/I6aphA==",
        s2: "v=RrDIbkGkyfhSa3ES5DyUiy7o4xLIjzNMoZuMHaKdaA7sP9tLE8dPNPtyVxZos+lo1l6Qh2mhS0xh0wsYMANdNg==",
    });
}

/// Prosody 0.12 on TLS 1.2 offers SCRAM-SHA-1-PLUS without XEP-0440 and binds only with
/// tls-unique, which rustls cannot produce. The client does not guess another type: it
/// logs in with SCRAM-SHA-1 and `n` in one attempt, no fallback needed.
#[test]
fn prosody_0_12_over_tls12_is_one_attempt_without_tls_unique() {
    let offer = ServerOffer::new(["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS"]);
    let rustls = TlsInfo::new(TlsVersion::Tls12)
        .with_extended_master_secret()
        .with_binding(ChannelBindingType::TlsExporter, [7; 32])
        .with_binding(ChannelBindingType::TlsServerEndPoint, [8; 32]);
    let credentials = Credentials::password("alice", "secret");
    let policy = ClientPolicy::default();
    let selection = select(
        &offer,
        Some(&rustls),
        &credentials,
        &policy,
        ChannelBindingMemory::Unknown,
    )
    .unwrap();
    assert_eq!(
        selection.mechanism(),
        Mechanism::scram(HashAlgorithm::Sha1, false)
    );
    assert_eq!(selection.gs2_flag(), Gs2Flag::NoBinding);
    assert_eq!(selection.fallback_from(), None);
}
