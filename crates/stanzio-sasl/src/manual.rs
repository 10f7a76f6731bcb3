//! The design of this crate: what each machine does, what it decides for the caller, and
//! why, with the RFC or XEP section behind each rule. This module holds no code.
//!
//! # State machines
//!
//! Client ([`ClientMechanism`]): `new` → `initial_response` (once) → `step` per
//! challenge → `finish` with the success data → `channel_binding_memory`.
//! - PLAIN, EXTERNAL, ANONYMOUS: initial response, then success with no data; any
//!   challenge or success data is a [`ClientError::Malformed`].
//! - SCRAM: client-first → (server-first) client-final → server-final, which arrives
//!   either in `<success/>` or as a last challenge answered with an empty response
//!   (RFC 6120 §6.3.10). `finish` returns `Ok` only once `v=` verified (RFC 5802 §5):
//!   [`ClientError::SuccessWithoutSignature`] otherwise.
//! - A peer error is sticky: later calls return [`ClientError::OutOfOrder`]. Caller
//!   misuse (`OutOfOrder`) leaves the state as it was.
//!
//! Server ([`ServerMechanism`]): `new(config, advertised offer, TLS, requested name)` →
//! `handle_response(initial)`:
//! - PLAIN, SCRAM → [`ServerStep::CredentialsNeeded`] → `provide_credentials(record or
//!   None)` → PLAIN: `Success`/`Failure`; SCRAM: `Challenge(server-first)` →
//!   `handle_response(client-final)` → `Success { additional_data: v= }` or `Failure`.
//! - EXTERNAL → [`ServerStep::CertificateIdentityNeeded`] → the caller's verdict:
//!   [`ServerMechanism::accept_certificate_identity`] (→ `Success`) or `abort`. See
//!   "EXTERNAL" below.
//! - ANONYMOUS → `Success` at once (a server that offers it admits anyone).
//! - [`ServerMechanism::abort`] for `<abort/>` and for the caller's own conditions
//!   (`account-disabled`, `credentials-expired`, `invalid-authzid`,
//!   `temporary-auth-failure`, `mechanism-too-weak`). The machine itself produces
//!   `invalid-mechanism`, `encryption-required`, `malformed-request`, `invalid-authzid`
//!   and `not-authorized` (RFC 6120 §6.5); `incorrect-encoding` (bad base64) belongs to
//!   the stream layer.
//!
//! The server works from [`StoredCredentials`] (salt, iterations, StoredKey, ServerKey;
//! RFC 5802 §3), never from the password; PLAIN is checked against the same record.
//!
//! # Selection ([`select`])
//!
//! - Password credentials: SCRAM-SHA-512/256/1-PLUS when both sides can bind, then
//!   SCRAM-SHA-512/256/1, then PLAIN only if [`ClientPolicy::allow_plain`] and only over
//!   TLS (RFC 6120 §6.4.2). EXTERNAL and ANONYMOUS credentials select exactly those.
//! - GS2 flag (RFC 5802 §6, XEP-0440 §3): `p=<type>` when binding; `y` when this client
//!   could bind but no `-PLUS` was offered; `n` otherwise. The server fails `y` whenever
//!   it offered `-PLUS` (`server-does-support-channel-binding`).
//! - XEP-0440 types without any `-PLUS` abort the selection (XEP-0440 §3 rule 5).
//!
//! # Channel binding
//!
//! Which type ([`TlsInfo::binding`] says what this session has: no tls-unique on TLS 1.3,
//! RFC 9266 §3; no tls-exporter on TLS 1.2 without the extended master secret, RFC 9266 §2):
//! - The server advertised XEP-0440 types: the strongest shared one (tls-exporter >
//!   tls-unique > tls-server-end-point, XEP-0440 §3 rule 7). None shared: continue with
//!   `n` and require a matching XEP-0474 `h` (XEP-0474 §7 relaxes XEP-0440 rule 6).
//! - No XEP-0440 list: the client cannot know the server's types. It binds with the type
//!   [`ChannelBindingMemory::Bound`] names, if it has it, and otherwise only with the type
//!   a server without XEP-0440 must implement for the TLS version: tls-exporter on TLS
//!   1.3 (RFC 9266 §3), tls-unique on TLS 1.2 (RFC 5802 §6). A client without that type
//!   sends `n` rather than guess: Prosody 0.12 and ejabberd 23 offer `-PLUS` without
//!   XEP-0440 and bind only with tls-unique, which rustls does not produce, so a guess
//!   (tls-server-end-point) fails on every login, and each failure counts against the
//!   server's login throttling and repeats a wrong password.
//!
//! Giving up channel binding. ejabberd 23 also offers `-PLUS` on TLS 1.3 and rejects
//! tls-exporter. A man in the middle holding a certificate the client trusts causes the
//! same failure (each of its TLS legs has its own binding data); if the client then
//! retried without binding, the attacker would get through. So
//! [`Selection::without_channel_binding`] retries with the strongest SCRAM without
//! `-PLUS` (flag `n`) only where the failure cannot be that attack:
//! - not when the server's XEP-0440 list named the failed type
//!   ([`SelectionError::ChannelBindingAdvertised`]): it said it binds with it;
//! - not for an account pinned by an earlier bound login
//!   ([`SelectionError::ChannelBindingPinned`]);
//! - not when [`ClientPolicy::channel_binding_fallback`] is off.
//!
//! Elsewhere the client cannot tell the attack from a server that lacks the type, and
//! the retry is reported ([`Selection::fallback_from`]).
//!
//! Memory. [`ChannelBindingMemory`], kept by the application per server and account, makes
//! the usual login one attempt: after a fallback succeeded it is
//! [`Rejected`](crate::ChannelBindingMemory::Rejected), and the next [`select`] goes without
//! `-PLUS` at once (still reported by `fallback_from`); after a bound login it is
//! [`Bound`](crate::ChannelBindingMemory::Bound), which pins the account: no fallback, and no
//! selection without binding where the server offers `-PLUS`. A XEP-0440 list always
//! overrides a remembered rejection. The first login against ejabberd 23 on TLS 1.3 still
//! costs one failed attempt; nothing the server sends lets the client avoid it.
//!
//! # Downgrade protection
//!
//! [`downgrade_protection_hash`] is the one XEP-0474 §6.1 computation. The server hashes
//! the offer it actually advertised (the stream layer hands the same [`ServerOffer`] it
//! rendered to [`ServerMechanism::new`]) into `h=`; the client recomputes it from the
//! offer it received and fails with [`ClientError::DowngradeDetected`] on a difference
//! (§6.2). With [`ServerConfig::announce_tls_version`] the server adds XEP-0515
//! `t=<version>`; the client fails with [`ClientError::TlsVersionMismatch`] if it differs
//! from its own (XEP-0515 §4.2). A server-first with two `h` or two `t` is malformed.
//!
//! # EXTERNAL
//!
//! EXTERNAL authenticates with the TLS client certificate (RFC 4422 Appendix A, RFC 6120
//! §6.3.4). The server offers it only when the adapter reports a verified certificate
//! ([`ClientCertificate::verified`]) and [`ServerConfig::mechanisms`] lists it. The
//! machine never decides whom the certificate stands for: it returns
//! [`ServerStep::CertificateIdentityNeeded`] with the certificate and the requested
//! authzid, and only [`ServerMechanism::accept_certificate_identity`], called with the
//! account the application found in the certificate (XEP-0178 §3), turns that into
//! `Success`. A caller that treats any step as success cannot let a stranger in.
//!
//! # String preparation
//!
//! RFC 5802 §5.1 and §2.2 ask for SASLprep (RFC 4013), a stringprep profile (RFC 3454)
//! pinned to Unicode 3.2. Prosody, ejabberd and scramp prepare that way; a different
//! result means different SCRAM keys, so a password that prepared differently here would
//! work nowhere else. This crate therefore implements SASLprep on the Unicode 3.2 data:
//! - Usernames are *query* strings (RFC 5802 §5.1: unassigned code points allowed),
//!   passwords *stored* strings (RFC 5802 §2.2): a password with a code point unassigned
//!   in Unicode 3.2 (RFC 3454 table A.1, checked on the input) is refused (RFC 3454 §7).
//!   U+1D2C, added in Unicode 4.0, is refused in a password and passes unchanged in a
//!   username (today's NFKC would fold it to `A`).
//! - NFKC (RFC 4013 §2.2) uses today's tables, which give the Unicode 3.2 result for every
//!   code point assigned in 3.2 except the five CJK compatibility ideographs that Unicode
//!   4.0 Corrigendum #4 corrected (U+2F868, U+2F874, U+2F91F, U+2F95F, U+2F9BF): those
//!   keep their 3.2 mapping (U+2F874 gives U+5F33, not U+5F53). Combining classes and
//!   compositions of 3.2 characters are unchanged since. A test compares the result for
//!   every code point assigned in 3.2 with Python's `unicodedata.ucd_3_2_0`. A code point
//!   unassigned in 3.2 had no decomposition and combining class 0 there, so it passes
//!   unchanged and neither composes nor reorders with its neighbours (Python's `ucd_3_2_0`
//!   reorders around it by today's combining class; this crate follows the 3.2 data).
//! - The bidirectional rule (RFC 3454 §6) uses tables D.1 and D.2 of Unicode 3.2, not
//!   today's properties, which differ for 344 characters assigned in 3.2 (the Braille
//!   patterns were ON and are L). Mapping (B.1, C.1.2) and prohibition (C.1.2 to C.9)
//!   use the RFC 3454 tables of the `stringprep` crate, which match.
//! - An empty result is refused (RFC 5802 §5.1 "SHOULD abort"; RFC 4616 `1*SAFE`).
//! - PRECIS OpaqueString (RFC 8265) is *not* substituted: RFC 8265 §1 leaves SCRAM on
//!   SASLprep, and the two differ (OpaqueString normalizes with NFC instead of NFKC and
//!   keeps the "mapped to nothing" characters such as U+00AD, so `I\u{AD}X` or `Ⅸ`
//!   would give other keys).
//! - PLAIN: the client sends authcid and password as typed, refusing only NUL (the
//!   separator) and empty strings. RFC 4616 §2 has the server prepare them (this crate's
//!   server does, with SASLprep); a server that compares with a stored plain password
//!   (ejabberd) refuses a client-side SASLprep result such as `IX` for `I\u{AD}X`.
//! - The authzid is a JID: it is only escaped (`=2C`, `=3D`), not SASLprep-ed; JID rules
//!   (RFC 7622) are the caller's. The server hashes the username as received in the
//!   AuthMessage; it reports the SASLprep-ed name for the record lookup.
//!
//! # Constant time and probing
//!
//! - Proof (`H(ClientKey) == StoredKey`), server signature and PLAIN key comparisons use
//!   `subtle`.
//! - An unknown user (`provide_credentials(None)`) gets a record derived by HMAC from the
//!   server secret and the username (a stable salt per name) with the iteration count,
//!   salt length and PLAIN hash of [`ServerConfig::records`], and runs the same code as a
//!   wrong password, ending in the same `not-authorized` and text. Set
//!   [`RecordParameters`] to what the real records use: `i=`, the length of `s=` and the
//!   time a PLAIN check takes are then the same for every name. The record lookup itself
//!   is the caller's and should take similar time for both cases.
//! - Not constant time: parsing, the nonce and `c=` comparisons (public values).
//!
//! # Secrets in memory
//!
//! What this crate keeps of a secret is wiped when dropped (`zeroize`): the password in
//! [`Credentials`], the prepared password and the PLAIN message in the client, a PLAIN
//! password awaiting its record and the server secret in the server,
//! SaltedPassword/ClientKey/ServerKey while they are computed, and the keys of
//! [`StoredCredentials`]. Copies that leave the crate (the payloads it returns, the
//! caller's own strings) are the caller's to handle. `Debug` output shows none of them.
//!
//! # Iteration counts
//!
//! The client refuses counts below [`ClientPolicy::min_iterations`] (default 4096,
//! RFC 7677 §4) and above [`ClientPolicy::max_iterations`] (default
//! [`DEFAULT_MAX_ITERATIONS`], see there); both bounds are inclusive.
//!
//! # Randomness
//!
//! Nonces (RFC 5802 §5.1 `r=`) and salts come from the caller's `rand_core` generator
//! (`CryptoRng + RngCore`, re-exported as [`crate::rand_core`]): `OsRng` in an
//! adapter, a fixed sequence in tests. The crate never draws randomness on its own.
//!
//! # Testing
//!
//! - Unit tests beside the code: the published vectors byte for byte on both sides
//!   (RFC 5802 §5, RFC 7677 §3, XEP-0474 §6.3, XEP-0515), recorded Prosody and ejabberd
//!   exchanges, the SCRAM grammar, SASLprep against Unicode 3.2 for every code point.
//! - `tests/`: a client/server pair with a tamper hook (`tests/common`), one behaviour per
//!   file: the mechanism matrix, client refusals, server failures, downgrades, the
//!   channel-binding fallback, EXTERNAL, `Debug` redaction, property tests.
//! - Fuzzing: the `sasl_server` target in `fuzz/` (`RUSTC_BOOTSTRAP=1 cargo fuzz run
//!   sasl_server` from `fuzz/`).
//! - Mutation testing, about 8 minutes on two cores; `mutants.out/missed.txt` lists what
//!   no test catches:
//!
//!   ```text
//!   cargo mutants --package stanzio-sasl -j 2 --timeout 120
//!   ```
//!
//! [`ClientMechanism`]: crate::ClientMechanism
//! [`ClientError::Malformed`]: crate::ClientError::Malformed
//! [`ClientError::OutOfOrder`]: crate::ClientError::OutOfOrder
//! [`ClientError::SuccessWithoutSignature`]: crate::ClientError::SuccessWithoutSignature
//! [`ClientError::DowngradeDetected`]: crate::ClientError::DowngradeDetected
//! [`ClientError::TlsVersionMismatch`]: crate::ClientError::TlsVersionMismatch
//! [`ServerMechanism`]: crate::ServerMechanism
//! [`ServerMechanism::new`]: crate::ServerMechanism::new
//! [`ServerMechanism::abort`]: crate::ServerMechanism::abort
//! [`ServerMechanism::accept_certificate_identity`]: crate::ServerMechanism::accept_certificate_identity
//! [`ServerStep::CredentialsNeeded`]: crate::ServerStep::CredentialsNeeded
//! [`ServerStep::CertificateIdentityNeeded`]: crate::ServerStep::CertificateIdentityNeeded
//! [`StoredCredentials`]: crate::StoredCredentials
//! [`RecordParameters`]: crate::RecordParameters
//! [`select`]: crate::select
//! [`Selection::without_channel_binding`]: crate::Selection::without_channel_binding
//! [`Selection::fallback_from`]: crate::Selection::fallback_from
//! [`SelectionError::ChannelBindingAdvertised`]: crate::SelectionError::ChannelBindingAdvertised
//! [`SelectionError::ChannelBindingPinned`]: crate::SelectionError::ChannelBindingPinned
//! [`ClientPolicy::allow_plain`]: crate::ClientPolicy::allow_plain
//! [`ClientPolicy::channel_binding_fallback`]: crate::ClientPolicy::channel_binding_fallback
//! [`ClientPolicy::min_iterations`]: crate::ClientPolicy::min_iterations
//! [`ClientPolicy::max_iterations`]: crate::ClientPolicy::max_iterations
//! [`DEFAULT_MAX_ITERATIONS`]: crate::DEFAULT_MAX_ITERATIONS
//! [`ChannelBindingMemory`]: crate::ChannelBindingMemory
//! [`ChannelBindingMemory::Bound`]: crate::ChannelBindingMemory::Bound
//! [`TlsInfo::binding`]: crate::TlsInfo::binding
//! [`ClientCertificate::verified`]: crate::ClientCertificate::verified
//! [`ServerConfig::mechanisms`]: crate::ServerConfig::mechanisms
//! [`ServerConfig::announce_tls_version`]: crate::ServerConfig::announce_tls_version
//! [`ServerConfig::records`]: crate::ServerConfig::records
//! [`ServerOffer`]: crate::ServerOffer
//! [`downgrade_protection_hash`]: crate::downgrade_protection_hash
//! [`Credentials`]: crate::Credentials
