//! The server side: one step machine for every mechanism, working from stored
//! credentials that the caller looks up when asked.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use rand_core::CryptoRng;

use crate::crypto::{self, RecordParameters, StoredCredentials};
use crate::error::{Failure, SaslCondition, ServerError};
use crate::scram::{self, ReceivedFlag};
use crate::{
    ChannelBinding, ChannelBindingType, ClientCertificate, HashAlgorithm, Mechanism, ServerOffer,
    TlsInfo,
};
use crate::{downgrade_protection_hash, prep};
use zeroize::Zeroizing;

/// RFC 4505 §3: `trace` is at most 255 characters.
const MAX_TRACE_CHARS: usize = 255;

/// Server-wide SASL settings, shared by all connections.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Mechanisms the server implements, in the order it lists them. [`offer`](Self::offer)
    /// drops those this connection cannot use.
    pub mechanisms: Vec<Mechanism>,
    /// Advertise XEP-0440 channel-binding types. Default `true`.
    pub advertise_channel_binding_types: bool,
    /// Send the XEP-0474 `h` attribute in the server-first-message. Default `true`.
    pub downgrade_protection: bool,
    /// Send the XEP-0515 `t` attribute (TLS version) when on TLS. Default `true`.
    pub announce_tls_version: bool,
    /// How this server's credential records are made: the fake records of unknown users
    /// copy the iteration count, salt length and PLAIN hash from here. Set it to what the
    /// real records use, or `i=`, the salt length or the time PLAIN takes tells a prober
    /// that a user does not exist. Default [`RecordParameters::default`].
    pub records: RecordParameters,
    secret: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("mechanisms", &self.mechanisms)
            .field(
                "advertise_channel_binding_types",
                &self.advertise_channel_binding_types,
            )
            .field("downgrade_protection", &self.downgrade_protection)
            .field("announce_tls_version", &self.announce_tls_version)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// A configuration offering every SCRAM mechanism (with and without `-PLUS`) and
    /// PLAIN (add EXTERNAL or ANONYMOUS to [`mechanisms`](Self::mechanisms) to offer them). `secret` keys the fake salts of unknown users: keep it stable across
    /// restarts (a changing salt for one name reveals that the name does not exist) and
    /// private (with it, fake salts can be told from real ones).
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            mechanisms: Mechanism::ALL
                .into_iter()
                .filter(|m| matches!(m, Mechanism::Scram { .. } | Mechanism::Plain))
                .collect(),
            advertise_channel_binding_types: true,
            downgrade_protection: true,
            announce_tls_version: true,
            records: RecordParameters::default(),
            secret: Zeroizing::new(secret.into()),
        }
    }

    /// Whether `mechanism` can run on this connection: `-PLUS` needs binding data, PLAIN
    /// needs TLS (RFC 6120 §6.4.2), EXTERNAL a client certificate the TLS adapter verified
    /// (without one there is nothing to authenticate with, RFC 4422 Appendix A).
    fn usable(mechanism: Mechanism, tls: Option<&TlsInfo>) -> bool {
        match mechanism {
            Mechanism::Scram { plus: true, .. } => tls.is_some_and(TlsInfo::can_bind),
            Mechanism::Plain => tls.is_some(),
            Mechanism::External => tls.is_some_and(TlsInfo::has_verified_client_certificate),
            Mechanism::Scram { plus: false, .. } | Mechanism::Anonymous => true,
        }
    }

    /// What to advertise on a connection in this TLS state: the usable mechanisms and, if
    /// enabled and a `-PLUS` mechanism is among them, the XEP-0440 types. The stream layer
    /// renders it into `<mechanisms/>` and `<sasl-channel-binding/>` (adding or dropping
    /// what it likes) and hands the value it advertised to [`ServerMechanism::new`], which
    /// computes the XEP-0474 `h` from it, so the two cannot disagree.
    pub fn offer(&self, tls: Option<&TlsInfo>) -> ServerOffer {
        let mechanisms = self
            .mechanisms
            .iter()
            .filter(|&&m| Self::usable(m, tls))
            .map(|m| m.as_str().to_owned());
        let mut offer = ServerOffer::new(mechanisms);
        // XEP-0440 types only next to a -PLUS mechanism: types without one make clients
        // abort (XEP-0440 §3 rule 5).
        let advertise = self.advertise_channel_binding_types && offer.offers_plus();
        if let Some(tls) = tls.filter(|_| advertise) {
            let types = ChannelBindingType::ALL
                .into_iter()
                .filter(|&kind| tls.binding(kind).is_some())
                .map(ChannelBindingType::as_str);
            offer = offer.with_channel_binding_types(types);
        }
        offer
    }
}

/// Who authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The mechanism used.
    pub mechanism: Mechanism,
    /// The authentication identity: the SASLprep-ed username for PLAIN and SCRAM, the
    /// identity the caller accepted for the certificate with EXTERNAL
    /// ([`ServerMechanism::accept_certificate_identity`]), `None` for ANONYMOUS.
    pub authcid: Option<String>,
    /// The requested authorization identity, if any. The caller decides whether `authcid`
    /// may act as it, and answers `invalid-authzid` if not (RFC 6120 §6.4.6).
    pub authzid: Option<String>,
}

/// What the server machine wants next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerStep {
    /// Send this payload in `<challenge/>`.
    Challenge(Vec<u8>),
    /// Look up the stored credentials of `username` (asynchronously if need be), then call
    /// [`ServerMechanism::provide_credentials`]. `authzid` is known now, so the caller may
    /// refuse it early with [`ServerMechanism::abort`] and `invalid-authzid`.
    CredentialsNeeded {
        /// The SASLprep-ed authentication identity.
        username: String,
        /// The requested authorization identity.
        authzid: Option<String>,
        /// The mechanism in use (its hash says which record is needed for SCRAM).
        mechanism: Mechanism,
    },
    /// EXTERNAL: the client asks to be authenticated by its TLS certificate (as
    /// `authzid`, if given). Nothing is authenticated yet: the caller decides which
    /// account the certificate stands for (XEP-0178 §3) and whether it may act as
    /// `authzid`, then calls [`ServerMechanism::accept_certificate_identity`] or refuses
    /// with [`ServerMechanism::abort`] (`not-authorized`, `invalid-authzid`).
    CertificateIdentityNeeded {
        /// The verified certificate the client presented.
        certificate: ClientCertificate,
        /// The requested authorization identity.
        authzid: Option<String>,
    },
    /// Authentication succeeded: send `<success/>` with `additional_data` (SCRAM's
    /// server-final-message) or without data (`None`).
    Success {
        /// Who authenticated.
        identity: Identity,
        /// Payload of `<success/>`.
        additional_data: Option<Vec<u8>>,
    },
    /// Authentication failed: send `<failure/>` with this condition and text.
    Failure(Failure),
}

/// A server-side SASL exchange.
///
/// Methods, in the order they are used:
/// - construction: [`new`](Self::new) with the advertised offer and the
///   `<auth mechanism=''/>` name;
/// - [`handle_response`](Self::handle_response): the initial response, then each
///   `<response/>` payload (if `<auth/>` had no initial response, the stream layer sends
///   an empty challenge first and feeds the response here, RFC 6120 §6.4.2);
/// - [`provide_credentials`](Self::provide_credentials): after
///   [`ServerStep::CredentialsNeeded`];
/// - [`accept_certificate_identity`](Self::accept_certificate_identity): after
///   [`ServerStep::CertificateIdentityNeeded`], once the caller has checked the certificate;
/// - [`abort`](Self::abort): on the client's `<abort/>`, or the caller's own refusal.
///
/// Each returns the next [`ServerStep`]. After `Success` or `Failure` the machine is done:
/// further calls are [`ServerError::OutOfOrder`].
pub struct ServerMechanism {
    mechanism: Mechanism,
    state: State,
    plus_offered: bool,
    bindings: Vec<ChannelBinding>,
    /// XEP-0474 `h`, when enabled and SCRAM is in use.
    downgrade_hash: Option<String>,
    /// XEP-0515 `t`, when enabled and on TLS.
    tls_version: Option<&'static str>,
    /// For EXTERNAL: what the caller is asked to check.
    client_certificate: Option<ClientCertificate>,
    /// `pub(crate)` so the published vectors can fix it.
    pub(crate) server_nonce: String,
    secret: Zeroizing<Vec<u8>>,
    records: RecordParameters,
}

enum State {
    Initial,
    PlainCredentials {
        authcid: String,
        authzid: Option<String>,
        password: Zeroizing<String>,
    },
    ScramCredentials(Box<ScramFirst>),
    ClientFinal(Box<ScramPending>),
    /// EXTERNAL, waiting for the caller's verdict on the certificate.
    CertificateCheck {
        authzid: Option<String>,
    },
    Finished,
}

// Written by hand, like `ServerConfig`'s: neither the server secret nor a PLAIN password
// belongs in logs.
impl std::fmt::Debug for ServerMechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerMechanism")
            .field("mechanism", &self.mechanism)
            .field("state", &self.state)
            .field("plus_offered", &self.plus_offered)
            .field("bindings", &self.bindings)
            .field("downgrade_hash", &self.downgrade_hash)
            .field("tls_version", &self.tls_version)
            .field("client_certificate", &self.client_certificate)
            .field("server_nonce", &self.server_nonce)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Initial => f.write_str("Initial"),
            Self::PlainCredentials {
                authcid, authzid, ..
            } => f
                .debug_struct("PlainCredentials")
                .field("authcid", authcid)
                .field("authzid", authzid)
                .finish_non_exhaustive(),
            Self::ScramCredentials(first) => {
                f.debug_tuple("ScramCredentials").field(first).finish()
            }
            Self::ClientFinal(pending) => f.debug_tuple("ClientFinal").field(pending).finish(),
            Self::CertificateCheck { authzid } => f
                .debug_struct("CertificateCheck")
                .field("authzid", authzid)
                .finish(),
            Self::Finished => f.write_str("Finished"),
        }
    }
}

/// What the server keeps from the client-first-message.
#[derive(Debug)]
struct ScramFirst {
    hash: HashAlgorithm,
    gs2_header: String,
    binding: Option<ChannelBindingType>,
    bare: String,
    client_nonce: String,
    authcid: String,
    authzid: Option<String>,
}

/// What the server keeps until the client-final-message.
#[derive(Debug)]
struct ScramPending {
    first: ScramFirst,
    server_first: String,
    nonce: String,
    record: StoredCredentials,
}

fn fail(condition: SaslCondition, text: &str) -> ServerStep {
    ServerStep::Failure(Failure::new(condition, text))
}

fn malformed(text: &str) -> ServerStep {
    fail(SaslCondition::MalformedRequest, text)
}

impl ServerMechanism {
    /// Starts an exchange for the mechanism the client named in `<auth/>`. `offer` is what
    /// this connection advertised (normally [`ServerConfig::offer`], as the stream layer
    /// rendered it): the mechanism must be in it, and the XEP-0474 `h` is its hash
    /// (XEP-0474 §6.1). `rng` supplies the SCRAM server nonce.
    ///
    /// # Errors
    /// A [`Failure`] to send at once: `encryption-required` for a configured PLAIN
    /// without TLS, `invalid-mechanism` for anything else not offered or not usable on
    /// this connection (`-PLUS` without binding data, EXTERNAL without a verified client
    /// certificate).
    pub fn new<R: CryptoRng + ?Sized>(
        config: &ServerConfig,
        offer: &ServerOffer,
        tls: Option<&TlsInfo>,
        requested: &str,
        rng: &mut R,
    ) -> Result<Self, Failure> {
        let mechanism = requested
            .parse::<Mechanism>()
            .ok()
            .filter(|&m| offer.offers(m) && ServerConfig::usable(m, tls))
            .ok_or_else(|| {
                let configured = config.mechanisms.iter().any(|m| m.as_str() == requested);
                if configured && tls.is_none() && requested == Mechanism::Plain.as_str() {
                    Failure::new(
                        SaslCondition::EncryptionRequired,
                        format!("{requested} needs TLS"),
                    )
                } else {
                    Failure::new(
                        SaslCondition::InvalidMechanism,
                        format!("mechanism {requested:?} is not offered"),
                    )
                }
            })?;
        let (downgrade_hash, server_nonce) = match mechanism {
            Mechanism::Scram { hash, .. } => (
                config
                    .downgrade_protection
                    .then(|| downgrade_protection_hash(hash, offer)),
                crypto::nonce(rng),
            ),
            _ => (None, String::new()),
        };
        Ok(Self {
            mechanism,
            state: State::Initial,
            plus_offered: offer.offers_plus(),
            // Only bindings defined for this session (`TlsInfo::binding`: no tls-unique on
            // TLS 1.3, no tls-exporter on TLS 1.2 without EMS) and, when the offer carried
            // a XEP-0440 list, named in it.
            bindings: tls
                .map(|t| {
                    ChannelBindingType::ALL
                        .into_iter()
                        .filter(|&kind| {
                            offer.channel_binding_types.is_none() || offer.advertises_binding(kind)
                        })
                        .filter_map(|kind| t.binding(kind).cloned())
                        .collect()
                })
                .unwrap_or_default(),
            downgrade_hash,
            // XEP-0515 §5: `t` only rides on XEP-0474's `h`.
            tls_version: tls
                .filter(|_| config.announce_tls_version && config.downgrade_protection)
                .map(|t| t.version.as_str()),
            client_certificate: tls.and_then(|t| t.client_certificate.clone()),
            server_nonce,
            secret: config.secret.clone(),
            records: config.records,
        })
    }

    /// The mechanism in use.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Handles the initial response or a `<response/>` payload.
    ///
    /// # Errors
    /// [`ServerError::OutOfOrder`] when the machine waits for credentials or is finished.
    pub fn handle_response(&mut self, data: &[u8]) -> Result<ServerStep, ServerError> {
        let step = match std::mem::replace(&mut self.state, State::Finished) {
            State::Initial => self.initial(data),
            State::ClientFinal(pending) => self.client_final(*pending, data),
            other => {
                self.state = other;
                return Err(ServerError::OutOfOrder {
                    call: "handle_response",
                });
            }
        };
        Ok(step)
    }

    /// Supplies the stored credentials asked for by [`ServerStep::CredentialsNeeded`];
    /// `None` when the user does not exist. An unknown user gets a fake record derived
    /// from the server secret and goes through the same computation as a wrong password.
    ///
    /// # Errors
    /// [`ServerError::OutOfOrder`] when no credentials were asked for;
    /// [`ServerError::WrongHash`] when a SCRAM record has another hash (state unchanged).
    pub fn provide_credentials(
        &mut self,
        record: Option<StoredCredentials>,
    ) -> Result<ServerStep, ServerError> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::PlainCredentials {
                authcid,
                authzid,
                password,
            } => {
                let record = record.unwrap_or_else(|| self.fake_record(&authcid));
                // RFC 5802 §3 keys serve PLAIN too: recompute StoredKey from the password.
                let candidate = StoredCredentials::from_prepared(
                    record.hash,
                    &password,
                    &record.salt,
                    record.iterations,
                );
                Ok(
                    if crypto::ct_eq(&candidate.stored_key, &record.stored_key) {
                        self.success(Some(authcid), authzid, None)
                    } else {
                        fail(SaslCondition::NotAuthorized, "invalid username or password")
                    },
                )
            }
            State::ScramCredentials(first) => {
                if let Some(r) = record.as_ref().filter(|r| r.hash != first.hash) {
                    let error = ServerError::WrongHash {
                        needed: first.hash,
                        provided: r.hash,
                    };
                    self.state = State::ScramCredentials(first);
                    return Err(error);
                }
                let record = record.unwrap_or_else(|| self.fake_record(&first.authcid));
                Ok(self.server_first(*first, record))
            }
            other => {
                self.state = other;
                Err(ServerError::OutOfOrder {
                    call: "provide_credentials",
                })
            }
        }
    }

    /// Accepts the certificate asked about by [`ServerStep::CertificateIdentityNeeded`] as
    /// `authcid` (the account the caller found it stands for), and the requested authzid
    /// with it: the caller has checked both. Returns the `Success` to send.
    ///
    /// # Errors
    /// [`ServerError::OutOfOrder`] when no certificate check is pending.
    pub fn accept_certificate_identity(
        &mut self,
        authcid: impl Into<String>,
    ) -> Result<ServerStep, ServerError> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::CertificateCheck { authzid } => {
                Ok(self.success(Some(authcid.into()), authzid, None))
            }
            other => {
                self.state = other;
                Err(ServerError::OutOfOrder {
                    call: "accept_certificate_identity",
                })
            }
        }
    }

    /// The record an unknown user gets, shaped like a real one of this server: the SCRAM
    /// mechanism's hash, or for PLAIN the hash of the records PLAIN is checked against.
    fn fake_record(&self, username: &str) -> StoredCredentials {
        let hash = match self.mechanism {
            Mechanism::Scram { hash, .. } => hash,
            _ => self.records.plain_hash,
        };
        StoredCredentials::fake(hash, &self.secret, username, &self.records)
    }

    /// Ends the exchange with `condition`: for the client's `<abort/>` (use
    /// [`SaslCondition::Aborted`]) or the caller's own refusal (`account-disabled`,
    /// `credentials-expired`, `invalid-authzid`, `temporary-auth-failure`,
    /// `mechanism-too-weak`, or `not-authorized` for a client certificate it does not
    /// accept). Returns the failure to send.
    pub fn abort(&mut self, condition: SaslCondition, text: impl Into<String>) -> Failure {
        self.state = State::Finished;
        Failure::new(condition, text)
    }

    fn success(
        &self,
        authcid: Option<String>,
        authzid: Option<String>,
        additional_data: Option<Vec<u8>>,
    ) -> ServerStep {
        ServerStep::Success {
            identity: Identity {
                mechanism: self.mechanism,
                authcid,
                authzid,
            },
            additional_data,
        }
    }

    fn initial(&mut self, data: &[u8]) -> ServerStep {
        let Ok(text) = std::str::from_utf8(data) else {
            return malformed("SASL data is not UTF-8");
        };
        match self.mechanism {
            Mechanism::Plain => self.plain(text),
            Mechanism::Scram { hash, plus } => self.client_first(hash, plus, text),
            // RFC 4422 Appendix A: the message is the authzid or empty; the identity comes
            // from the TLS certificate, which the caller checks before anything succeeds.
            Mechanism::External => {
                let authzid = if text.is_empty() {
                    None
                } else {
                    match prep::authzid(text) {
                        Ok(authzid) => Some(authzid.to_owned()),
                        Err(_) => {
                            return fail(SaslCondition::InvalidAuthzid, "authzid contains NUL");
                        }
                    }
                };
                // `new` admits EXTERNAL only with a verified certificate.
                let Some(certificate) = self.client_certificate.clone() else {
                    return fail(SaslCondition::NotAuthorized, "no client certificate");
                };
                self.state = State::CertificateCheck {
                    authzid: authzid.clone(),
                };
                ServerStep::CertificateIdentityNeeded {
                    certificate,
                    authzid,
                }
            }
            Mechanism::Anonymous if text.chars().count() > MAX_TRACE_CHARS => {
                malformed("ANONYMOUS trace is longer than 255 characters")
            }
            Mechanism::Anonymous => self.success(None, None, None),
        }
    }

    /// RFC 4616 §2: `[authzid] NUL authcid NUL passwd`.
    fn plain(&mut self, text: &str) -> ServerStep {
        let mut fields = text.split('\0');
        let (Some(authzid), Some(authcid), Some(password), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return malformed("PLAIN message must be authzid NUL authcid NUL passwd");
        };
        // RFC 4616 §2: the server prepares authcid and passwd with SASLprep.
        let (Ok(authcid), Ok(password)) = (prep::username(authcid), prep::password(password))
        else {
            return malformed("PLAIN authcid or password fails SASLprep");
        };
        let authcid = authcid.into_owned();
        // An empty authzid field means none was requested (RFC 4616 §2 `[authzid]`).
        let authzid = (!authzid.is_empty()).then(|| authzid.to_owned());
        self.state = State::PlainCredentials {
            authzid: authzid.clone(),
            authcid: authcid.clone(),
            password: Zeroizing::new(password.into_owned()),
        };
        ServerStep::CredentialsNeeded {
            username: authcid,
            authzid,
            mechanism: self.mechanism,
        }
    }

    fn client_first(&mut self, hash: HashAlgorithm, plus: bool, text: &str) -> ServerStep {
        let first = match scram::parse_client_first(text) {
            Ok(first) => first,
            Err(failure) => return ServerStep::Failure(failure),
        };
        // RFC 5802 §6 and §7: the flag must fit the mechanism and what we offered.
        let binding = match (plus, &first.flag) {
            (true, ReceivedFlag::P(name)) => match name
                .parse::<ChannelBindingType>()
                .ok()
                .filter(|&kind| self.bindings.iter().any(|b| b.kind == kind))
            {
                Some(kind) => Some(kind),
                None => {
                    return fail(
                        SaslCondition::NotAuthorized,
                        "unsupported-channel-binding-type",
                    );
                }
            },
            (true, _) => return malformed("a -PLUS mechanism needs the GS2 flag p="),
            (false, ReceivedFlag::P(_)) => {
                return malformed("GS2 flag p= needs a -PLUS mechanism");
            }
            (false, ReceivedFlag::Y) if self.plus_offered => {
                // The client could bind and saw no -PLUS, but we offered one: the list
                // was changed on the way (RFC 5802 §6).
                return fail(
                    SaslCondition::NotAuthorized,
                    "server-does-support-channel-binding",
                );
            }
            (false, _) => None,
        };
        let Ok(authcid) = prep::username(&first.username) else {
            return malformed("invalid-username-encoding: username fails SASLprep");
        };
        let authcid = authcid.into_owned();
        let step = ServerStep::CredentialsNeeded {
            username: authcid.clone(),
            authzid: first.authzid.clone(),
            mechanism: self.mechanism,
        };
        self.state = State::ScramCredentials(Box::new(ScramFirst {
            hash,
            gs2_header: first.gs2_header.to_owned(),
            binding,
            bare: first.bare.to_owned(),
            client_nonce: first.nonce.to_owned(),
            authcid,
            authzid: first.authzid,
        }));
        step
    }

    fn server_first(&mut self, first: ScramFirst, record: StoredCredentials) -> ServerStep {
        let nonce = format!("{}{}", first.client_nonce, self.server_nonce);
        let mut server_first = format!(
            "r={nonce},s={},i={}",
            BASE64.encode(&record.salt),
            record.iterations
        );
        if let Some(h) = &self.downgrade_hash {
            server_first.push_str(",h=");
            server_first.push_str(h);
        }
        if let Some(t) = self.tls_version {
            server_first.push_str(",t=");
            server_first.push_str(t);
        }
        let challenge = server_first.clone().into_bytes();
        self.state = State::ClientFinal(Box::new(ScramPending {
            first,
            server_first,
            nonce,
            record,
        }));
        ServerStep::Challenge(challenge)
    }

    fn client_final(&mut self, pending: ScramPending, data: &[u8]) -> ServerStep {
        let Ok(text) = std::str::from_utf8(data) else {
            return malformed("SASL data is not UTF-8");
        };
        let last = match scram::parse_client_final(text) {
            Ok(last) => last,
            Err(failure) => return ServerStep::Failure(failure),
        };
        if last.nonce != pending.nonce {
            return fail(SaslCondition::NotAuthorized, "other-error: nonce mismatch");
        }
        // RFC 5802 §6: always recompute c= from the header we received and our own
        // binding data, also for n and y.
        let mut expected_cb = pending.first.gs2_header.as_bytes().to_vec();
        if let Some(kind) = pending.first.binding {
            let data = self.bindings.iter().find(|b| b.kind == kind);
            expected_cb.extend_from_slice(data.map(|b| b.data.as_slice()).unwrap_or_default());
        }
        if last.channel_binding != expected_cb {
            return fail(SaslCondition::NotAuthorized, "channel-bindings-dont-match");
        }
        let record = &pending.record;
        let hash = record.hash;
        if last.proof.len() != hash.output_len() {
            return fail(SaslCondition::NotAuthorized, "invalid-proof");
        }
        let auth = scram::auth_message(
            &pending.first.bare,
            &pending.server_first,
            last.without_proof,
        );
        let client_signature = hash.hmac(&record.stored_key, &[&auth]);
        let client_key = crypto::xor(&last.proof, &client_signature);
        // Constant time, and the same path for fake records (unknown users).
        if !crypto::ct_eq(&hash.digest(&client_key), &record.stored_key) {
            return fail(SaslCondition::NotAuthorized, "invalid-proof");
        }
        let server_signature = hash.hmac(&record.server_key, &[&auth]);
        let server_final = format!("v={}", BASE64.encode(server_signature)).into_bytes();
        let ScramFirst {
            authcid, authzid, ..
        } = pending.first;
        self.success(Some(authcid), authzid, Some(server_final))
    }
}

#[cfg(test)]
mod tests {
    use rand_core::{CryptoRng, RngCore};

    use super::*;
    use crate::TlsVersion;

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

    /// A PLAIN check of an unknown user runs PBKDF2 with the hash and iteration count of
    /// the server's real PLAIN records, so it takes as long as a wrong password.
    #[test]
    fn plain_fake_record_has_the_configured_shape() {
        let mut config = ServerConfig::new(*b"k");
        config.records = RecordParameters {
            iterations: 10_000,
            salt_len: 24,
            plain_hash: HashAlgorithm::Sha512,
        };
        let tls = TlsInfo::new(TlsVersion::Tls13);
        let offer = config.offer(Some(&tls));
        let server =
            ServerMechanism::new(&config, &offer, Some(&tls), "PLAIN", &mut Zeros).unwrap();
        let fake = server.fake_record("nobody");
        assert_eq!(fake.hash, HashAlgorithm::Sha512);
        assert_eq!(fake.iterations, 10_000);
        assert_eq!(fake.salt.len(), 24);
        let scram =
            ServerMechanism::new(&config, &offer, Some(&tls), "SCRAM-SHA-1", &mut Zeros).unwrap();
        assert_eq!(scram.fake_record("nobody").hash, HashAlgorithm::Sha1);
    }
}
