//! The client side: one step machine for every mechanism.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use rand_core::CryptoRng;

use crate::crypto::{self, DerivedKeys};
use crate::downgrade_protection_hash;
use crate::error::{ClientError, PrepError, Stage};
use crate::scram::{self, ParseError, ServerFinal};
use crate::{ChannelBindingMemory, Credentials, HashAlgorithm, Mechanism, Selection, prep};
use zeroize::Zeroizing;

/// RFC 4505 §3: `trace` is at most 255 characters.
const MAX_TRACE_CHARS: usize = 255;

/// A client-side SASL exchange for one mechanism.
///
/// Methods, in the order they are used:
/// - construction: [`new`](Self::new) from a [`Selection`] and [`Credentials`];
/// - getter: [`mechanism`](Self::mechanism) (the name for `<auth mechanism=''/>`);
/// - [`initial_response`](Self::initial_response): the payload of `<auth/>`, once;
/// - [`step`](Self::step): for each `<challenge/>`, the payload of the `<response/>`;
/// - [`finish`](Self::finish): with the payload of `<success/>`; only `Ok` means the
///   server is authenticated too (SCRAM server signature verified);
/// - getter: [`channel_binding_memory`](Self::channel_binding_memory), after `finish`
///   returned `Ok`: what to persist for the next [`select`](crate::select).
///
/// A peer error (`Err` from `step` or `finish`, other than [`ClientError::OutOfOrder`]) is
/// final: later calls return `OutOfOrder`. The stream layer sends `<abort/>` or closes.
#[derive(Debug)]
pub struct ClientMechanism {
    mechanism: Mechanism,
    state: State,
    /// What to remember about the server once the exchange succeeds.
    memory_after_success: ChannelBindingMemory,
}

enum State {
    /// PLAIN, EXTERNAL, ANONYMOUS before `initial_response`.
    SingleInitial(Zeroizing<Vec<u8>>),
    /// PLAIN, EXTERNAL, ANONYMOUS waiting for `<success/>`.
    SingleSent,
    Scram(Box<ScramClient>),
    /// SCRAM after client-final: waiting for server-final.
    ScramSentFinal {
        server_signature: Vec<u8>,
    },
    /// SCRAM after a verified server-final arrived as a challenge.
    ScramVerified {
        server_signature: Vec<u8>,
    },
    Done,
    Failed,
}

// Written by hand: the PLAIN message and `ScramClient::password` hold the password, and
// machines end up in logs (as `Credentials` keeps its password out of `Debug`).
impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SingleInitial(message) => f
                .debug_struct("SingleInitial")
                .field("len", &message.len())
                .finish_non_exhaustive(),
            Self::SingleSent => f.write_str("SingleSent"),
            Self::Scram(client) => f.debug_tuple("Scram").field(client).finish(),
            Self::ScramSentFinal { server_signature } => f
                .debug_struct("ScramSentFinal")
                .field("server_signature", server_signature)
                .finish(),
            Self::ScramVerified { server_signature } => f
                .debug_struct("ScramVerified")
                .field("server_signature", server_signature)
                .finish(),
            Self::Done => f.write_str("Done"),
            Self::Failed => f.write_str("Failed"),
        }
    }
}

/// SCRAM state before the client-final-message.
struct ScramClient {
    hash: HashAlgorithm,
    gs2_header: String,
    client_first_bare: String,
    nonce: String,
    password: Zeroizing<String>,
    binding_data: Vec<u8>,
    sent_first: bool,
    selection: Selection,
}

impl std::fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not `password`, nor `binding_data` (see `ChannelBinding`'s `Debug`).
        f.debug_struct("ScramClient")
            .field("hash", &self.hash)
            .field("gs2_header", &self.gs2_header)
            .field("client_first_bare", &self.client_first_bare)
            .field("sent_first", &self.sent_first)
            .field("selection", &self.selection)
            .finish_non_exhaustive()
    }
}

impl ClientMechanism {
    /// Prepares the exchange chosen by [`select`](crate::select). Randomness (the SCRAM
    /// client nonce) comes from `rng`.
    ///
    /// # Errors
    /// [`ClientError::Credentials`] when SASLprep rejects the username or password, and
    /// [`ClientError::CredentialsMismatch`] when the credentials do not fit the mechanism.
    pub fn new<R: CryptoRng + ?Sized>(
        selection: &Selection,
        credentials: &Credentials,
        rng: &mut R,
    ) -> Result<Self, ClientError> {
        let nonce = match selection.mechanism {
            Mechanism::Scram { .. } => crypto::nonce(rng),
            _ => String::new(),
        };
        Self::with_nonce(selection, credentials, nonce)
    }

    /// [`new`](Self::new) with a given SCRAM client nonce (for the published test vectors).
    pub(crate) fn with_nonce(
        selection: &Selection,
        credentials: &Credentials,
        nonce: String,
    ) -> Result<Self, ClientError> {
        let mechanism = selection.mechanism;
        let mismatch = ClientError::CredentialsMismatch { mechanism };
        let state = match (mechanism, credentials) {
            (
                Mechanism::Plain,
                Credentials::Password {
                    username,
                    password,
                    authzid,
                },
            ) => {
                // RFC 4616 §2: [authzid] NUL authcid NUL passwd, as typed. §2 has the server
                // prepare the presented strings (SASLprep RECOMMENDED, "including none"
                // allowed), so a server comparing with a plain stored password (ejabberd)
                // refuses a client-side SASLprep result such as `IX` for `I\u{AD}X`.
                let mut message = Vec::new();
                if let Some(authzid) = authzid {
                    message.extend_from_slice(prep::authzid(authzid)?.as_bytes());
                }
                message.push(0);
                message.extend_from_slice(prep::plain_field("username", username)?.as_bytes());
                message.push(0);
                message.extend_from_slice(prep::plain_field("password", password)?.as_bytes());
                State::SingleInitial(Zeroizing::new(message))
            }
            (
                Mechanism::Scram { hash, .. },
                Credentials::Password {
                    username,
                    password,
                    authzid,
                },
            ) => {
                let authzid = authzid.as_deref().map(prep::authzid).transpose()?;
                let username = prep::username(username)?;
                let client_first_bare =
                    format!("n={},r={}", prep::escape_saslname(&username), nonce);
                State::Scram(Box::new(ScramClient {
                    hash,
                    gs2_header: scram::gs2_header(selection.flag, authzid),
                    client_first_bare,
                    nonce,
                    password: Zeroizing::new(prep::password(password)?.into_owned()),
                    binding_data: selection
                        .binding
                        .as_ref()
                        .map(|b| b.data.clone())
                        .unwrap_or_default(),
                    sent_first: false,
                    selection: selection.clone(),
                }))
            }
            // RFC 4422 Appendix A: the message is the authzid, or empty.
            (Mechanism::External, Credentials::External { authzid }) => {
                State::SingleInitial(Zeroizing::new(
                    authzid
                        .as_deref()
                        .map(prep::authzid)
                        .transpose()?
                        .unwrap_or_default()
                        .as_bytes()
                        .to_vec(),
                ))
            }
            (Mechanism::Anonymous, Credentials::Anonymous { trace }) => {
                let trace = trace.as_deref().unwrap_or_default();
                if trace.chars().count() > MAX_TRACE_CHARS {
                    return Err(PrepError::TooLong {
                        field: "trace",
                        max: MAX_TRACE_CHARS,
                    }
                    .into());
                }
                State::SingleInitial(Zeroizing::new(trace.as_bytes().to_vec()))
            }
            _ => return Err(mismatch),
        };
        Ok(Self {
            mechanism,
            state,
            memory_after_success: selection.memory_after_success(),
        })
    }

    /// The mechanism, for `<auth mechanism=''/>`.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// What to remember about this server's channel binding for the next
    /// [`select`](crate::select): `Some` once [`finish`](Self::finish) has returned `Ok`
    /// (a failed exchange teaches nothing that can be trusted), `None` before. The
    /// application stores it per server and account.
    pub fn channel_binding_memory(&self) -> Option<ChannelBindingMemory> {
        matches!(self.state, State::Done).then_some(self.memory_after_success)
    }

    /// The initial response (RFC 6120 §6.4.2), to send base64-encoded in `<auth/>`. An
    /// empty vector is an empty response (`=` on the wire), not an absent one.
    ///
    /// # Errors
    /// [`ClientError::OutOfOrder`] on a second call.
    pub fn initial_response(&mut self) -> Result<Vec<u8>, ClientError> {
        let out_of_order = ClientError::OutOfOrder {
            call: "initial_response",
        };
        match &mut self.state {
            State::SingleInitial(message) => {
                let message = std::mem::take(&mut **message);
                self.state = State::SingleSent;
                Ok(message)
            }
            State::Scram(client) if !client.sent_first => {
                client.sent_first = true;
                Ok(format!("{}{}", client.gs2_header, client.client_first_bare).into_bytes())
            }
            _ => Err(out_of_order),
        }
    }

    /// Handles a `<challenge/>` payload and returns the `<response/>` payload.
    ///
    /// For SCRAM the first challenge is the server-first-message (answered with the
    /// client-final-message); a server that sends the server-final-message as a second
    /// challenge (RFC 6120 §6.3.10 allows it) gets an empty response once `v=` verifies.
    ///
    /// # Errors
    /// Every refusal of RFC 5802 and XEP-0474/0515 as its own [`ClientError`] variant.
    pub fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, ClientError> {
        let state = std::mem::replace(&mut self.state, State::Failed);
        let (next, result) = match state {
            State::Scram(client) if client.sent_first => match client.client_final(challenge) {
                Ok((response, server_signature)) => {
                    (State::ScramSentFinal { server_signature }, Ok(response))
                }
                Err(e) => (State::Failed, Err(e)),
            },
            State::ScramSentFinal { server_signature } => {
                match verify_server_final(&server_signature, challenge, Stage::ServerFinal) {
                    Ok(()) => (State::ScramVerified { server_signature }, Ok(Vec::new())),
                    Err(e) => (State::Failed, Err(e)),
                }
            }
            State::SingleSent | State::ScramVerified { .. } => (
                State::Failed,
                Err(ClientError::Malformed {
                    stage: Stage::Challenge,
                    reason: "the mechanism expects no (further) challenge",
                }),
            ),
            other => (other, Err(ClientError::OutOfOrder { call: "step" })),
        };
        self.state = next;
        result
    }

    /// Handles the `<success/>` payload (empty if the element had none). `Ok` means the
    /// exchange is complete and, for SCRAM, the server proved it knows the credentials.
    ///
    /// # Errors
    /// [`ClientError::SuccessWithoutSignature`] when a SCRAM success carries no
    /// server-final-message and none came as a challenge; the signature errors of
    /// [`step`](Self::step); [`ClientError::Malformed`] for data where none is expected.
    pub fn finish(&mut self, success_data: &[u8]) -> Result<(), ClientError> {
        let state = std::mem::replace(&mut self.state, State::Failed);
        let (next, result) = match state {
            State::SingleSent if success_data.is_empty() => (State::Done, Ok(())),
            State::SingleSent => (
                State::Failed,
                Err(ClientError::Malformed {
                    stage: Stage::Success,
                    reason: "unexpected additional data with success",
                }),
            ),
            // A server-final inside <success/> (or repeated there after a challenge).
            State::ScramSentFinal { server_signature }
            | State::ScramVerified { server_signature }
                if !success_data.is_empty() =>
            {
                match verify_server_final(&server_signature, success_data, Stage::Success) {
                    Ok(()) => (State::Done, Ok(())),
                    Err(e) => (State::Failed, Err(e)),
                }
            }
            State::ScramVerified { .. } => (State::Done, Ok(())),
            // RFC 5802 §5: the client MUST verify v= before it accepts success.
            State::ScramSentFinal { .. } => {
                (State::Failed, Err(ClientError::SuccessWithoutSignature))
            }
            State::Scram(client) if client.sent_first => {
                (State::Failed, Err(ClientError::SuccessWithoutSignature))
            }
            other => (other, Err(ClientError::OutOfOrder { call: "finish" })),
        };
        self.state = next;
        result
    }
}

fn malformed(stage: Stage) -> impl Fn(ParseError) -> ClientError {
    move |e| match e {
        ParseError::Malformed(reason) => ClientError::Malformed { stage, reason },
        ParseError::MandatoryExtension => ClientError::MandatoryExtension { stage },
    }
}

fn utf8(data: &[u8], stage: Stage) -> Result<&str, ClientError> {
    std::str::from_utf8(data).map_err(|_| ClientError::Malformed {
        stage,
        reason: "not UTF-8",
    })
}

/// Checks a server-final-message against the expected ServerSignature, in constant time.
fn verify_server_final(expected: &[u8], data: &[u8], stage: Stage) -> Result<(), ClientError> {
    match scram::parse_server_final(utf8(data, stage)?).map_err(malformed(stage))? {
        Some(ServerFinal::Verifier(v)) if crypto::ct_eq(&v, expected) => Ok(()),
        Some(ServerFinal::Verifier(_)) => Err(ClientError::ServerSignatureMismatch),
        Some(ServerFinal::Error(e)) => Err(ClientError::ServerError(e)),
        None => Err(ClientError::MissingServerSignature),
    }
}

impl ScramClient {
    /// Checks the server-first-message and builds the client-final-message; returns it and
    /// the ServerSignature to expect.
    fn client_final(&self, challenge: &[u8]) -> Result<(Vec<u8>, Vec<u8>), ClientError> {
        let stage = Stage::ServerFirst;
        let server_first_text = utf8(challenge, stage)?;
        let server_first =
            scram::parse_server_first(server_first_text).map_err(malformed(stage))?;
        // RFC 5802 §5.1 r: the client MUST verify the nonce starts with its own; a server
        // that adds nothing contributes no freshness.
        let server_part = server_first.nonce.strip_prefix(self.nonce.as_str());
        if server_part.is_none_or(str::is_empty) {
            return Err(ClientError::NonceMismatch);
        }
        let policy = &self.selection.policy;
        let iterations = match server_first.iterations {
            Some(i) if i < policy.min_iterations => {
                return Err(ClientError::IterationsTooLow {
                    iterations: i,
                    minimum: policy.min_iterations,
                });
            }
            Some(i) if i <= policy.max_iterations => i,
            too_high => {
                return Err(ClientError::IterationsTooHigh {
                    iterations: too_high.unwrap_or(u32::MAX),
                    maximum: policy.max_iterations,
                });
            }
        };
        // XEP-0474 §6.2: recompute the hash from what we received; a mismatch MUST fail.
        match server_first.downgrade_hash {
            Some(h) => {
                let computed = downgrade_protection_hash(self.hash, &self.selection.offer);
                if h != computed {
                    return Err(ClientError::DowngradeDetected {
                        expected: h.to_owned(),
                        computed,
                    });
                }
            }
            None if self.selection.requires_downgrade_protection() => {
                return Err(ClientError::DowngradeProtectionMissing);
            }
            None => {}
        }
        // XEP-0515 §4.2: the server's view of the TLS version must equal ours.
        if let Some(t) = server_first.tls_version {
            let ours = self.selection.tls_version;
            if ours.map(|v| v.as_str()) != Some(t) {
                return Err(ClientError::TlsVersionMismatch {
                    server: t.to_owned(),
                    ours,
                });
            }
        }

        let mut cbind_input = self.gs2_header.as_bytes().to_vec();
        cbind_input.extend_from_slice(&self.binding_data);
        let final_bare = format!("c={},r={}", BASE64.encode(&cbind_input), server_first.nonce);
        let auth = scram::auth_message(&self.client_first_bare, server_first_text, &final_bare);
        let keys = DerivedKeys::new(self.hash, &self.password, &server_first.salt, iterations);
        let stored_key = self.hash.digest(&keys.client_key);
        let client_signature = self.hash.hmac(&stored_key, &[&auth]);
        let proof = crypto::xor(&keys.client_key, &client_signature);
        let server_signature = self.hash.hmac(&keys.server_key, &[&auth]);
        let message = format!("{final_bare},p={}", BASE64.encode(proof)).into_bytes();
        Ok((message, server_signature))
    }
}
