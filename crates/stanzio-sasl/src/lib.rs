//! SASL for XMPP as sans-IO step machines, client and server: PLAIN (RFC 4616),
//! SCRAM-SHA-1/-256/-512 and their `-PLUS` forms (RFC 5802, RFC 7677), EXTERNAL
//! (RFC 4422 Appendix A) and ANONYMOUS (RFC 4505), with XEP-0440 channel-binding choice,
//! XEP-0474 downgrade protection and the XEP-0515 TLS-version attribute.
//!
//! The crate knows nothing of XML, sockets, TLS or clocks. It takes and returns the raw
//! SASL payloads; the stream layer base64-encodes them into `<auth/>`, `<challenge/>`,
//! `<response/>` and `<success/>`. Channel-binding data and the TLS version come from the
//! caller ([`TlsInfo`]); nonces and salts from a caller-supplied `rand_core`
//! generator (`CryptoRng + RngCore`: `OsRng` in an adapter, a fixed sequence in tests).
//!
//! # Client
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
//! let selection = select(&offer, Some(&tls), &credentials, &ClientPolicy::default(), ChannelBindingMemory::Unknown)?;
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
//! # Ok(())
//! # }
//! ```
//!
//! # Design notes (manual)
//!
//! ## State machines
//!
//! Client ([`ClientMechanism`]): `new` → `initial_response` (once) → `step` per
//! challenge → `finish` with the success data.
//! - PLAIN, EXTERNAL, ANONYMOUS: initial response, then success with no data; any
//!   challenge or success data is a [`ClientError::Malformed`].
//! - SCRAM: client-first → (server-first) client-final → server-final, which arrives
//!   either in `<success/>` or as a last challenge answered with an empty response
//!   (RFC 6120 §6.3.10). `finish` returns `Ok` only once `v=` verified:
//!   [`ClientError::SuccessWithoutSignature`] otherwise.
//! - A peer error is sticky: later calls return [`ClientError::OutOfOrder`]. Caller
//!   misuse (`OutOfOrder`) leaves the state as it was.
//!
//! Server ([`ServerMechanism`]): `new(requested name)` → `handle_response(initial)`:
//! - PLAIN, SCRAM → [`ServerStep::CredentialsNeeded`] → `provide_credentials(record or
//!   None)` → PLAIN: `Success`/`Failure`; SCRAM: `Challenge(server-first)` →
//!   `handle_response(client-final)` → `Success { additional_data: v= }` or `Failure`.
//! - EXTERNAL (offered only with a verified client certificate) →
//!   [`ServerStep::CertificateIdentityNeeded`] → the caller names the account with
//!   [`ServerMechanism::accept_certificate_identity`] (→ `Success`) or aborts.
//! - ANONYMOUS → `Success` at once.
//! - [`ServerMechanism::abort`] for `<abort/>` and for the caller's own conditions
//!   (`account-disabled`, `credentials-expired`, `invalid-authzid`,
//!   `temporary-auth-failure`, `mechanism-too-weak`). The machine itself produces
//!   `invalid-mechanism`, `encryption-required`, `malformed-request`, `invalid-authzid`
//!   and `not-authorized`; `incorrect-encoding` (bad base64) belongs to the stream layer.
//!
//! The server works from [`StoredCredentials`] (salt, iterations, StoredKey, ServerKey),
//! never from the password; PLAIN is checked against the same record.
//!
//! ## Selection ([`select`])
//!
//! - Password credentials: SCRAM-SHA-512/256/1-PLUS when both sides can bind, then
//!   SCRAM-SHA-512/256/1, then PLAIN only if [`ClientPolicy::allow_plain`] and only
//!   over TLS. EXTERNAL and ANONYMOUS credentials select exactly those.
//! - Binding type: with XEP-0440 types, the strongest shared one (tls-exporter >
//!   tls-unique > tls-server-end-point). Without XEP-0440: tls-exporter on TLS 1.3;
//!   tls-unique, then tls-server-end-point on TLS 1.2. tls-unique is never used on TLS 1.3.
//! - GS2 flag (RFC 5802 §6, XEP-0440 §3): `p=<type>` when binding; `y` when this client
//!   could bind but no `-PLUS` was offered; `n` otherwise. When `-PLUS` is offered but no
//!   type is shared, the client continues with `n` and requires a matching XEP-0474 `h`
//!   (XEP-0474 §7). XEP-0440 types without any `-PLUS` abort the selection (rule 5).
//! - The server fails `y` whenever it offered `-PLUS` (`server-does-support-channel-binding`).
//!
//! ## Fallback without channel binding
//!
//! Prosody 0.12 and ejabberd 23 implement only tls-unique; ejabberd also offers `-PLUS`
//! on TLS 1.3 and rejects tls-exporter with `not-authorized` (shared/interop README).
//! After a failed `-PLUS` attempt the caller may call
//! [`Selection::without_channel_binding`]: the strongest SCRAM without `-PLUS`, flag `n`.
//! It is never taken silently: it is a separate call, the result says
//! [`Selection::is_fallback`], it can be turned off with
//! [`ClientPolicy::channel_binding_fallback`], and the caller should log or report it.
//!
//! ## Downgrade protection
//!
//! [`downgrade_protection_hash`] is the one XEP-0474 §6.1 computation: the server puts it
//! in `h=` from [`ServerConfig::offer`], the client recomputes it from the
//! [`ServerOffer`] it received and fails with [`ClientError::DowngradeDetected`] on a
//! difference. With [`ServerConfig::announce_tls_version`] the server adds XEP-0515
//! `t=<version>`; the client fails with [`ClientError::TlsVersionMismatch`] if it differs
//! from its own.
//!
//! ## String preparation
//!
//! RFC 5802 §5.1 and §2.2 ask for SASLprep (RFC 4013), a stringprep profile (RFC 3454),
//! which is pinned to Unicode 3.2. Prosody and ejabberd (libidn-style Unicode 3.2 tables)
//! and scramp prepare that way; a different result means different SCRAM keys, so a user
//! whose password prepares differently could log in nowhere else with a record made here.
//! This crate therefore implements SASLprep on the Unicode 3.2 data (the RFC 3454 tables
//! of the `stringprep` crate, which match it, for mapping and prohibition):
//! - usernames are *query* strings (RFC 5802 §5.1: unassigned code points allowed),
//!   passwords *stored* strings (RFC 5802 §2.2): a password with a code point unassigned
//!   in Unicode 3.2 (table A.1, checked on the input) is refused (RFC 3454 §7);
//! - NFKC (RFC 4013 §2.2) uses today's tables, which give the Unicode 3.2 result for every
//!   code point assigned in 3.2 except the five CJK compatibility ideographs Unicode 4.0
//!   Corrigendum #4 corrected (U+2F868, U+2F874, U+2F91F, U+2F95F, U+2F9BF): those keep
//!   their 3.2 mapping (U+2F874 gives U+5F33, not U+5F53). Both are checked for every
//!   assigned code point against Python's `unicodedata.ucd_3_2_0`. A code point
//!   unassigned in 3.2 (in a username) had no decomposition and combining class 0 in 3.2,
//!   so it passes unchanged and does not compose or reorder with its neighbours (Python's
//!   `ucd_3_2_0` reorders around it by today's combining class; this crate follows the
//!   3.2 data);
//! - the bidirectional rule (RFC 3454 §6) uses tables D.1 and D.2 (Unicode 3.2), not
//!   today's properties, which differ for 344 characters assigned in 3.2;
//! - an empty result is refused (RFC 5802 §5.1 "SHOULD abort"; RFC 4616 `1*SAFE`).
//! - PRECIS OpaqueString (RFC 8265) is *not* substituted: RFC 8265 §1 leaves SCRAM on
//!   SASLprep, and the two differ (OpaqueString normalizes with NFC instead of NFKC and
//!   keeps the "mapped to nothing" characters such as U+00AD, so `I\u{AD}X` or `Ⅸ`
//!   would give other keys), which would break logins with records made by other
//!   servers.
//! - PLAIN: the client sends authcid and password as typed, refusing only NUL and empty
//!   strings; RFC 4616 §2 has the server prepare them (this crate's server does, with
//!   SASLprep), and a server that compares with a stored plain password refuses a
//!   client-side SASLprep result (`IX` for `I\u{AD}X`).
//! - The authzid is a JID: it is only escaped (`=2C`, `=3D`), not SASLprep-ed; JID rules
//!   (RFC 7622) are the caller's. The server hashes the username as received in the
//!   AuthMessage; it reports the SASLprep-ed name for the record lookup.
//!
//! ## Constant time and probing
//!
//! - Proof (`H(ClientKey) == StoredKey`), server signature and PLAIN key comparisons use
//!   `subtle`.
//! - An unknown user (`provide_credentials(None)`) gets a record derived by HMAC from the
//!   server secret and the username (stable salt per name), and runs the same code as a
//!   wrong password, ending in the same `not-authorized` and text. The record lookup
//!   itself is the caller's and should take similar time for both cases.
//! - Not constant time: parsing, the nonce and `c=` comparisons (public values).
//!
//! ## Secrets in memory
//!
//! What this crate keeps of a secret is wiped when dropped (`zeroize`): the
//! password in [`Credentials`], the prepared password and the PLAIN message in
//! the client, a PLAIN password awaiting its record and the server secret in
//! the server, SaltedPassword/ClientKey/ServerKey while they are computed, and
//! the keys of [`StoredCredentials`]. Copies that leave the crate (the payloads
//! it returns, the caller's own strings) are the caller's to handle.
//!
//! ## Iteration counts
//!
//! The client refuses counts below [`ClientPolicy::min_iterations`] (default 4096,
//! RFC 7677 §4) and above [`ClientPolicy::max_iterations`] (default
//! [`DEFAULT_MAX_ITERATIONS`], see there).
#![forbid(unsafe_code)]

mod client;
mod crypto;
mod downgrade;
mod error;
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
