//! A client/server pair over in-memory payloads, with a tamper hook on every message
//! (the man in the middle) and on the advertised offer.
#![allow(dead_code)] // each test file uses a different part of the harness

use std::collections::HashMap;

use stanzio_sasl::rand_core::{self, CryptoRng, RngCore};
use stanzio_sasl::*;

/// Deterministic generator (SplitMix64), so that every run sends the same nonces. It
/// claims `CryptoRng` only because the API asks for one; it is not one.
pub struct TestRng(pub u64);

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        rand_core::impls::fill_bytes_via_next(self, dst);
    }
}

impl CryptoRng for TestRng {}

/// Which way a payload travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    ToServer,
    ToClient,
}

/// One payload on the wire, numbered per direction from 0.
pub type Tamper<'a> = &'a mut dyn FnMut(Dir, usize, &mut Vec<u8>);

/// Accounts known to the server: username → password; records derived on demand.
pub struct Accounts {
    passwords: HashMap<String, String>,
    /// A password for every username not in `passwords`.
    pub any_user: Option<String>,
    /// How the records are made (iteration count, salt length).
    pub records: RecordParameters,
}

impl Accounts {
    pub fn new(users: &[(&str, &str)]) -> Self {
        Self {
            passwords: users
                .iter()
                .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
                .collect(),
            any_user: None,
            records: RecordParameters::default(),
        }
    }

    pub fn record(&self, username: &str, mechanism: Mechanism) -> Option<StoredCredentials> {
        let hash = match mechanism {
            Mechanism::Scram { hash, .. } => hash,
            _ => HashAlgorithm::Sha256,
        };
        let password = self.passwords.get(username).or(self.any_user.as_ref())?;
        // A per-user salt of the configured length, like `StoredCredentials::generate`
        // makes.
        let len = self.records.salt_len;
        let mut salt = vec![0x5A_u8; len];
        for (i, b) in username.bytes().enumerate() {
            salt[i % len] ^= b;
        }
        Some(StoredCredentials::derive(hash, password, &salt, self.records.iterations).unwrap())
    }
}

/// Everything a test wants to know about one run.
#[derive(Debug)]
pub struct Exchange {
    pub selection: Result<Selection, SelectionError>,
    /// The first error of the client, if it refused.
    pub client_error: Option<ClientError>,
    /// The server's failure, if it failed.
    pub server_failure: Option<Failure>,
    /// The identity the server accepted.
    pub identity: Option<Identity>,
    /// Whether `ClientMechanism::finish` returned `Ok`.
    pub client_done: bool,
    /// What the client would persist about the server's channel binding afterwards.
    pub memory: Option<ChannelBindingMemory>,
    /// Every payload as delivered (after tampering).
    pub transcript: Vec<(Dir, Vec<u8>)>,
}

impl Exchange {
    /// Both sides agree that the client authenticated.
    pub fn succeeded(&self) -> bool {
        self.client_done && self.identity.is_some() && self.client_error.is_none()
    }
}

/// The connection as each side sees it.
pub struct Setup<'a> {
    pub config: ServerConfig,
    pub server_tls: Option<TlsInfo>,
    pub client_tls: Option<TlsInfo>,
    pub credentials: Credentials,
    pub policy: ClientPolicy,
    /// What the client remembers about this server's channel binding.
    pub memory: ChannelBindingMemory,
    pub accounts: &'a Accounts,
    /// The account a verified client certificate stands for (EXTERNAL); `None` refuses
    /// every certificate.
    pub certificate_owner: Option<String>,
    /// Mechanisms the stream layer advertises beyond `ServerConfig::offer` (an
    /// application's own, say): the offer handed to the server machine includes them.
    pub advertised_extra: Vec<String>,
}

impl<'a> Setup<'a> {
    /// TLS 1.3 with tls-exporter and tls-server-end-point on both sides, default configs.
    pub fn new(accounts: &'a Accounts, credentials: Credentials) -> Self {
        let tls = TlsInfo::new(TlsVersion::Tls13)
            .with_binding(ChannelBindingType::TlsExporter, [0x11; 32])
            .with_binding(ChannelBindingType::TlsServerEndPoint, [0x22; 32]);
        Self {
            config: ServerConfig::new(*b"test server secret"),
            server_tls: Some(tls.clone()),
            client_tls: Some(tls),
            credentials,
            policy: ClientPolicy::default(),
            memory: ChannelBindingMemory::Unknown,
            accounts,
            certificate_owner: None,
            advertised_extra: Vec::new(),
        }
    }

    /// Runs select and a full exchange without tampering.
    pub fn run(&self) -> Exchange {
        self.run_with(&mut |_| {}, &mut |_, _, _| {})
    }

    /// Runs with a changed offer (what the client receives) and tampered payloads.
    pub fn run_with(
        &self,
        offer_mitm: &mut dyn FnMut(&mut ServerOffer),
        tamper: Tamper<'_>,
    ) -> Exchange {
        let advertised = self.advertised();
        let mut offer = advertised.clone();
        offer_mitm(&mut offer);
        let selection = select(
            &offer,
            self.client_tls.as_ref(),
            &self.credentials,
            &self.policy,
            self.memory,
        );
        let mut exchange = Exchange {
            selection: selection.clone(),
            client_error: None,
            server_failure: None,
            identity: None,
            client_done: false,
            memory: None,
            transcript: Vec::new(),
        };
        if let Ok(selection) = selection {
            self.drive(&advertised, &selection, tamper, &mut exchange);
        }
        exchange
    }

    /// Runs a given selection (e.g. a fallback) without tampering.
    pub fn run_selection(&self, selection: &Selection) -> Exchange {
        let mut exchange = Exchange {
            selection: Ok(selection.clone()),
            client_error: None,
            server_failure: None,
            identity: None,
            client_done: false,
            memory: None,
            transcript: Vec::new(),
        };
        let advertised = self.advertised();
        self.drive(&advertised, selection, &mut |_, _, _| {}, &mut exchange);
        exchange
    }

    /// What the server side advertises, as the stream layer renders it.
    pub fn advertised(&self) -> ServerOffer {
        let mut offer = self.config.offer(self.server_tls.as_ref());
        offer
            .mechanisms
            .extend(self.advertised_extra.iter().cloned());
        offer
    }

    fn drive(
        &self,
        advertised: &ServerOffer,
        selection: &Selection,
        tamper: Tamper<'_>,
        ex: &mut Exchange,
    ) {
        let mut rng = TestRng(7);
        let mut client = match ClientMechanism::new(selection, &self.credentials, &mut rng) {
            Ok(c) => c,
            Err(e) => {
                ex.client_error = Some(e);
                return;
            }
        };
        let mut server = match ServerMechanism::new(
            &self.config,
            advertised,
            self.server_tls.as_ref(),
            client.mechanism().as_str(),
            &mut rng,
        ) {
            Ok(s) => s,
            Err(f) => {
                ex.server_failure = Some(f);
                return;
            }
        };
        let mut counts = [0usize; 2];
        let mut deliver = |dir: Dir, mut data: Vec<u8>, ex: &mut Exchange| {
            let n = &mut counts[dir as usize];
            tamper(dir, *n, &mut data);
            *n += 1;
            ex.transcript.push((dir, data.clone()));
            data
        };
        let mut to_server = deliver(Dir::ToServer, client.initial_response().unwrap(), ex);
        // Bounded: SCRAM needs three server steps; a loop here would be a bug.
        for _ in 0..8 {
            let mut step = server.handle_response(&to_server).unwrap();
            if let ServerStep::CredentialsNeeded {
                username,
                mechanism,
                ..
            } = &step
            {
                let record = self.accounts.record(username, *mechanism);
                step = server.provide_credentials(record).unwrap();
            }
            if let ServerStep::CertificateIdentityNeeded { .. } = &step {
                step = match &self.certificate_owner {
                    Some(owner) => server.accept_certificate_identity(owner.clone()).unwrap(),
                    None => ServerStep::Failure(
                        server.abort(SaslCondition::NotAuthorized, "certificate not accepted"),
                    ),
                };
            }
            match step {
                ServerStep::Challenge(c) => {
                    let c = deliver(Dir::ToClient, c, ex);
                    match client.step(&c) {
                        Ok(r) => to_server = deliver(Dir::ToServer, r, ex),
                        Err(e) => {
                            ex.client_error = Some(e);
                            return;
                        }
                    }
                }
                ServerStep::Success {
                    identity,
                    additional_data,
                } => {
                    ex.identity = Some(identity);
                    let data = deliver(Dir::ToClient, additional_data.unwrap_or_default(), ex);
                    match client.finish(&data) {
                        Ok(()) => {
                            ex.client_done = true;
                            ex.memory = client.channel_binding_memory();
                        }
                        Err(e) => ex.client_error = Some(e),
                    }
                    return;
                }
                ServerStep::Failure(f) => {
                    ex.server_failure = Some(f);
                    return;
                }
                other => panic!("unexpected server step {other:?}"),
            }
        }
        panic!("exchange did not terminate");
    }
}
