//! Full SCRAM-SHA-256 exchanges per second at 4096 iterations: stanzio-sasl beside the
//! `sasl` crate (xmpp-rs, 0.5.2) on the same work in the same run.
//!
//! Groups (throughput in exchanges per second):
//! - `exchange`: a whole live exchange, client and server, with fresh nonces. The `sasl`
//!   crate has no usable SCRAM server for stored keys here, so both clients talk to the
//!   same stanzio server; the server's share is the `server_side` figure.
//! - `client_side`: the stanzio client alone, replaying recorded server messages (a fixed
//!   random source gives the same nonce every time). Dominated by PBKDF2 (4096 rounds).
//! - `server_side`: the stanzio server alone from stored credentials (StoredKey and
//!   ServerKey, no PBKDF2), replaying recorded client messages.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sasl::client::Mechanism as _;
use stanzio_sasl::rand_core::{CryptoRng, RngCore, impls};
use stanzio_sasl::{
    ChannelBindingMemory, ClientMechanism, ClientPolicy, Credentials, HashAlgorithm, ServerConfig,
    ServerMechanism, ServerOffer, ServerStep, StoredCredentials, select,
};

const ITERATIONS: u32 = 4096;
const MECHANISM: &str = "SCRAM-SHA-256";

/// Counter-based bytes: different nonces on every call.
struct Counter(u64);
impl RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (self.0 >> 56) as u8;
        }
    }
}
impl CryptoRng for Counter {}

/// The same bytes on every call: replayable exchanges.
struct Fixed;
impl RngCore for Fixed {
    fn next_u32(&mut self) -> u32 {
        impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        buf.fill(0x5A);
    }
}
impl CryptoRng for Fixed {}

struct Fixture {
    config: ServerConfig,
    /// What the server advertises (no TLS: SCRAM-SHA-256 only).
    offer: ServerOffer,
    record: StoredCredentials,
    credentials: Credentials,
    selection: stanzio_sasl::Selection,
}

impl Fixture {
    fn new() -> Self {
        let mut config = ServerConfig::new(*b"bench server secret");
        config.mechanisms = vec![stanzio_sasl::Mechanism::scram(HashAlgorithm::Sha256, false)];
        let credentials = Credentials::password("user", "pencil");
        let offer = config.offer(None);
        let selection = select(
            &offer,
            None,
            &credentials,
            &ClientPolicy::default(),
            ChannelBindingMemory::Unknown,
        )
        .unwrap();
        Self {
            record: StoredCredentials::derive(
                HashAlgorithm::Sha256,
                "pencil",
                b"0123456789abcdef",
                ITERATIONS,
            )
            .unwrap(),
            config,
            offer,
            credentials,
            selection,
        }
    }

    /// Server: client-first in, server-first out.
    fn server_first(&self, server: &mut ServerMechanism, client_first: &[u8]) -> Vec<u8> {
        let ServerStep::CredentialsNeeded { .. } = server.handle_response(client_first).unwrap()
        else {
            panic!("client-first refused")
        };
        let ServerStep::Challenge(server_first) = server
            .provide_credentials(Some(self.record.clone()))
            .unwrap()
        else {
            panic!("no server-first")
        };
        server_first
    }

    /// Server: client-final in, server-final out.
    fn server_final(server: &mut ServerMechanism, client_final: &[u8]) -> Vec<u8> {
        let ServerStep::Success {
            additional_data: Some(v),
            ..
        } = server.handle_response(client_final).unwrap()
        else {
            panic!("client-final refused")
        };
        v
    }

    fn stanzio_exchange(&self, rng: &mut impl CryptoRng) -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
        let mut client = ClientMechanism::new(&self.selection, &self.credentials, rng).unwrap();
        let mut server =
            ServerMechanism::new(&self.config, &self.offer, None, MECHANISM, rng).unwrap();
        let c1 = client.initial_response().unwrap();
        let s1 = self.server_first(&mut server, &c1);
        let c2 = client.step(&s1).unwrap();
        let s2 = Self::server_final(&mut server, &c2);
        client.finish(&s2).unwrap();
        (c1, s1, c2, s2)
    }

    fn sasl_exchange(&self, rng: &mut impl CryptoRng) {
        let mut client = sasl::client::mechanisms::Scram::<sasl::common::scram::Sha256>::new(
            "user",
            "pencil",
            sasl::common::ChannelBinding::None,
        )
        .unwrap();
        let mut server =
            ServerMechanism::new(&self.config, &self.offer, None, MECHANISM, rng).unwrap();
        let s1 = self.server_first(&mut server, &client.initial());
        let c2 = client.response(&s1).unwrap();
        let s2 = Self::server_final(&mut server, &c2);
        client.success(&s2).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let fixture = Fixture::new();

    let mut group = c.benchmark_group("exchange");
    group.throughput(Throughput::Elements(1));
    let mut rng = Counter(1);
    group.bench_function("stanzio client + stanzio server", |b| {
        b.iter(|| black_box(fixture.stanzio_exchange(&mut rng)))
    });
    group.bench_function("sasl 0.5.2 client + stanzio server", |b| {
        b.iter(|| fixture.sasl_exchange(&mut rng))
    });
    group.finish();

    // One recorded exchange with fixed randomness, replayed by each side alone.
    let (c1, s1, c2, s2) = fixture.stanzio_exchange(&mut Fixed);
    let mut group = c.benchmark_group("client_side");
    group.throughput(Throughput::Elements(1));
    group.bench_function("stanzio", |b| {
        b.iter(|| {
            let mut client =
                ClientMechanism::new(&fixture.selection, &fixture.credentials, &mut Fixed).unwrap();
            assert_eq!(client.initial_response().unwrap(), c1);
            let c2_again = client.step(black_box(&s1)).unwrap();
            client.finish(&s2).unwrap();
            c2_again
        })
    });
    group.finish();

    let mut group = c.benchmark_group("server_side");
    group.throughput(Throughput::Elements(1));
    group.bench_function("stanzio", |b| {
        b.iter(|| {
            let mut server =
                ServerMechanism::new(&fixture.config, &fixture.offer, None, MECHANISM, &mut Fixed)
                    .unwrap();
            let s1_again = fixture.server_first(&mut server, black_box(&c1));
            debug_assert_eq!(s1_again, s1);
            Fixture::server_final(&mut server, black_box(&c2))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
