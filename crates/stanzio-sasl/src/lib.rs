//! SASL for XMPP as sans-IO step machines, client and server: PLAIN (RFC 4616),
//! SCRAM-SHA-1/-256/-512 and their `-PLUS` forms (RFC 5802, RFC 7677), EXTERNAL
//! (RFC 4422 Appendix A) and ANONYMOUS (RFC 4505), with XEP-0440 channel-binding choice,
//! XEP-0474 downgrade protection and the XEP-0515 TLS-version attribute.
//!
//! The crate knows nothing of XML, sockets, TLS or clocks. It takes and returns the raw
//! SASL payloads; the stream layer base64-encodes them into `<auth/>`, `<challenge/>`,
//! `<response/>` and `<success/>`. Channel-binding data, the TLS version and the client
//! certificate come from the caller ([`TlsInfo`]); nonces and salts from a caller-supplied
//! `rand_core` generator (`CryptoRng + RngCore`: `OsRng` in an adapter, a fixed sequence in
//! tests).
//!
//! The [`manual`] explains the design: the state machines, how a mechanism and a
//! channel-binding type are chosen and when channel binding may be given up, downgrade
//! protection, EXTERNAL, string preparation, what resists probing, and how it is tested.
//!
//! # A SCRAM-SHA-512-PLUS exchange, both sides
//!
//! ```
//! use stanzio_sasl::*;
//!
//! # struct Counter(u64);
//! # impl rand_core::RngCore for Counter {
//! #     fn next_u32(&mut self) -> u32 { self.next_u64() as u32 }
//! #     fn next_u64(&mut self) -> u64 { self.0 += 1; self.0 }
//! #     fn fill_bytes(&mut self, dst: &mut [u8]) { rand_core::impls::fill_bytes_via_next(self, dst) }
//! # }
//! # impl rand_core::CryptoRng for Counter {}
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let mut rng = Counter(0);
//! let tls = TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [9; 32]);
//! // The server: a config, stored credentials, one machine per exchange.
//! let config = ServerConfig::new(*b"server secret, stable and private");
//! let offer = config.offer(Some(&tls)); // what <stream:features/> carries
//! let record =
//!     StoredCredentials::generate(HashAlgorithm::Sha512, "r0m30", &config.records, &mut rng)?;
//!
//! // The client: select from the offer, then step.
//! let credentials = Credentials::password("juliet", "r0m30");
//! let memory = ChannelBindingMemory::Unknown; // what an earlier login taught, if any
//! let selection = select(&offer, Some(&tls), &credentials, &ClientPolicy::default(), memory)?;
//! let mut client = ClientMechanism::new(&selection, &credentials, &mut rng)?;
//! assert_eq!(client.mechanism().as_str(), "SCRAM-SHA-512-PLUS");
//!
//! let requested = client.mechanism().as_str(); // <auth mechanism=''/>
//! let mut server = ServerMechanism::new(&config, &offer, Some(&tls), requested, &mut rng)?;
//! let ServerStep::CredentialsNeeded { username, .. } =
//!     server.handle_response(&client.initial_response()?)?
//! else { unreachable!() };
//! assert_eq!(username, "juliet"); // look the record up, maybe asynchronously
//! let ServerStep::Challenge(server_first) = server.provide_credentials(Some(record))? else {
//!     unreachable!()
//! };
//! let client_final = client.step(&server_first)?;
//! let ServerStep::Success { identity, additional_data: Some(server_final) } =
//!     server.handle_response(&client_final)?
//! else { unreachable!() };
//! assert_eq!(identity.authcid.as_deref(), Some("juliet"));
//! client.finish(&server_final)?; // verifies the server signature
//! // Persist for the next login: this server binds with tls-exporter.
//! assert_eq!(
//!     client.channel_binding_memory(),
//!     Some(ChannelBindingMemory::Bound(ChannelBindingType::TlsExporter))
//! );
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod client;
mod crypto;
mod downgrade;
mod error;
pub mod manual;
mod mechanism;
mod prep;
mod rfc3454;
mod scram;
mod select;
mod server;

pub use client::ClientMechanism;
pub use crypto::{RecordParameters, SALT_LEN, StoredCredentials};
pub use downgrade::downgrade_protection_hash;
pub use error::{
    ClientError, Failure, PrepError, SaslCondition, SelectionError, ServerError, Stage, UnknownName,
};
pub use mechanism::{
    ChannelBinding, ChannelBindingType, ClientCertificate, HashAlgorithm, Mechanism, ServerOffer,
    TlsInfo, TlsVersion,
};
/// The `rand_core` this crate's API takes randomness through (`CryptoRng + RngCore`),
/// re-exported for callers that have no other use for it.
pub use rand_core;
pub use scram::Gs2Flag;
pub use select::{
    ChannelBindingMemory, ClientPolicy, Credentials, DEFAULT_MAX_ITERATIONS,
    DEFAULT_MIN_ITERATIONS, Selection, select,
};
pub use server::{Identity, ServerConfig, ServerMechanism, ServerStep};

#[cfg(test)]
mod tests;
