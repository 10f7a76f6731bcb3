//! Error types: preparation, selection, client-side refusals, server conditions.

use std::str::FromStr;

use crate::{Mechanism, TlsVersion};

/// A name this crate does not know: a mechanism it does not implement, an unregistered
/// channel-binding type, a failure condition RFC 6120 §6.5 does not define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown name")]
pub struct UnknownName;

/// A username, password or authzid, or record parameters, that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrepError {
    /// Empty, or empty after SASLprep.
    #[error("{field} is empty (after SASLprep)")]
    Empty {
        /// `username`, `password` or `authzid`.
        field: &'static str,
    },
    /// SASLprep (RFC 4013) rejected the string.
    #[error("{field} rejected by SASLprep (RFC 4013): {reason}")]
    Saslprep {
        /// `username` or `password`.
        field: &'static str,
        /// What stringprep reported.
        reason: String,
    },
    /// Longer than the mechanism allows (ANONYMOUS trace: 255 characters, RFC 4505 §3).
    #[error("{field} is longer than {max} characters")]
    TooLong {
        /// `trace`.
        field: &'static str,
        /// The limit.
        max: usize,
    },
    /// Contains U+0000, which the PLAIN framing cannot carry (RFC 4616 §2).
    #[error("{field} contains NUL")]
    Nul {
        /// `authzid`, or a PLAIN `username` or `password` (sent as typed).
        field: &'static str,
    },
    /// An iteration count of 0, which SCRAM's `i` cannot carry (RFC 5802 §7:
    /// `posit-number`).
    #[error("the iteration count must be at least 1")]
    ZeroIterations,
    /// An empty salt, which SCRAM's `s` cannot carry (RFC 5802 §7: `base64` of at least
    /// one byte; clients refuse `s=` without a value).
    #[error("the salt must not be empty")]
    EmptySalt,
}

/// Why [`select`](crate::select) or a fallback found nothing acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectionError {
    /// None of the offered mechanisms fits the credentials, the TLS state and the policy.
    #[error("no acceptable SASL mechanism among {offered:?}")]
    NoAcceptableMechanism {
        /// What the server offered.
        offered: Vec<String>,
    },
    /// The server advertised XEP-0440 channel-binding types but no `-PLUS` mechanism:
    /// XEP-0440 §3 rule 5 says the client SHOULD abort, since something removed them.
    #[error("server advertises channel-binding types but no -PLUS mechanism (XEP-0440 §3)")]
    ChannelBindingTypesWithoutPlus,
    /// A fallback was asked for a selection that did not use channel binding.
    #[error("fallback asked for {mechanism}, which does not use channel binding")]
    NotChannelBinding {
        /// The selection's mechanism.
        mechanism: Mechanism,
    },
    /// The policy forbids retrying without channel binding.
    #[error("channel-binding fallback is disabled by policy")]
    FallbackDisabled,
    /// The server's XEP-0440 list named the type whose `-PLUS` attempt failed: the server
    /// binds with it, so the failure means the two ends of the TLS connection differ (a
    /// man in the middle), and a retry without channel binding would let it through.
    #[error(
        "{} was advertised (XEP-0440) and failed: refusing to retry without channel binding",
        kind.as_str()
    )]
    ChannelBindingAdvertised {
        /// The type that failed.
        kind: crate::ChannelBindingType,
    },
    /// The account bound with this type before
    /// ([`ChannelBindingMemory::Bound`](crate::ChannelBindingMemory::Bound)): a login
    /// without channel binding is refused.
    #[error(
        "this account is pinned to channel binding ({}): refusing to go without it",
        kind.as_str()
    )]
    ChannelBindingPinned {
        /// The type it bound with.
        kind: crate::ChannelBindingType,
    },
}

/// The protocol stage a client error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// The server-first-message (SCRAM challenge).
    ServerFirst,
    /// The server-final-message (SCRAM challenge or success data).
    ServerFinal,
    /// A challenge to a mechanism that has none.
    Challenge,
    /// The `<success/>` additional data.
    Success,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ServerFirst => "server-first-message",
            Self::ServerFinal => "server-final-message",
            Self::Challenge => "challenge",
            Self::Success => "success data",
        })
    }
}

/// Why a client mechanism refused to go on. Every refusal of RFC 5802 §5/§9 and
/// XEP-0474/0515 has its own variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The credentials cannot be prepared.
    #[error("credentials: {0}")]
    Credentials(#[from] PrepError),
    /// The credentials do not fit the selected mechanism (caller error).
    #[error("{mechanism} cannot use these credentials")]
    CredentialsMismatch {
        /// The selected mechanism.
        mechanism: Mechanism,
    },
    /// A method was called in the wrong state (caller error; state unchanged).
    #[error("{call} called out of order")]
    OutOfOrder {
        /// The method.
        call: &'static str,
    },
    /// The server message breaks the grammar of RFC 5802 §7 (or of the mechanism).
    #[error("malformed {stage}: {reason}")]
    Malformed {
        /// Where.
        stage: Stage,
        /// What.
        reason: &'static str,
    },
    /// The server sent a mandatory extension (`m=`), which RFC 5802 §5.1 says to fail on.
    #[error("server sent an unsupported mandatory extension (m=) in the {stage}")]
    MandatoryExtension {
        /// Where.
        stage: Stage,
    },
    /// The server nonce does not extend the client nonce (RFC 5802 §5.1, `r=`).
    #[error("server nonce does not start with the client nonce or adds nothing to it")]
    NonceMismatch,
    /// The iteration count is below the policy minimum (RFC 7677 §4, RFC 5802 §5.1).
    #[error("iteration count {iterations} is below the minimum {minimum}")]
    IterationsTooLow {
        /// Sent by the server.
        iterations: u32,
        /// The policy.
        minimum: u32,
    },
    /// The iteration count exceeds the policy cap (a server making the client burn CPU).
    #[error("iteration count {iterations} is above the cap {maximum}")]
    IterationsTooHigh {
        /// Sent by the server.
        iterations: u32,
        /// The policy.
        maximum: u32,
    },
    /// The XEP-0474 `h` differs from the hash of the mechanisms we received: someone
    /// changed the list on the way (XEP-0474 §6.2).
    #[error("downgrade detected: server hashed its offer as {expected}, we received {computed}")]
    DowngradeDetected {
        /// The server's `h`.
        expected: String,
        /// Our hash of what we were offered.
        computed: String,
    },
    /// XEP-0474 protection was required (by policy, or by XEP-0474 §7's relaxed rule 6)
    /// but the server-first-message carried no `h`.
    #[error("server-first-message lacks the XEP-0474 downgrade-protection hash")]
    DowngradeProtectionMissing,
    /// The XEP-0515 `t` names another TLS version than ours (XEP-0515 §4.2).
    #[error("server saw TLS version {server}, we negotiated {ours:?}")]
    TlsVersionMismatch {
        /// The server's `t`.
        server: String,
        /// Our version (`None`: no TLS at all).
        ours: Option<TlsVersion>,
    },
    /// The server-final-message carries `e=` (RFC 5802 §7 server-error).
    #[error("server reported SCRAM error {0:?}")]
    ServerError(String),
    /// The server-final-message has neither `v=` nor `e=`.
    #[error("server-final-message carries no server signature (v=)")]
    MissingServerSignature,
    /// `v=` does not match: the server does not know our credentials (RFC 5802 §9).
    #[error("server signature (v=) does not match")]
    ServerSignatureMismatch,
    /// `<success/>` came before a verified server signature (RFC 5802 §5: the client
    /// MUST verify it; a success without it is not proof of the server's identity).
    #[error("success without a verified server signature")]
    SuccessWithoutSignature,
}

/// An RFC 6120 §6.5 SASL failure condition: the child of `<failure/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SaslCondition {
    /// §6.5.1: the client sent `<abort/>`.
    Aborted,
    /// §6.5.2: the account is disabled (caller-issued).
    AccountDisabled,
    /// §6.5.3: the credentials have expired (caller-issued).
    CredentialsExpired,
    /// §6.5.4: the mechanism needs TLS first.
    EncryptionRequired,
    /// §6.5.5: the base64 data is not valid (stream layer).
    IncorrectEncoding,
    /// §6.5.6: the authzid is invalid or not permitted.
    InvalidAuthzid,
    /// §6.5.7: the mechanism is not supported or not offered.
    InvalidMechanism,
    /// §6.5.8: the data violates the mechanism's syntax.
    MalformedRequest,
    /// §6.5.9: the mechanism is weaker than policy allows (caller-issued).
    MechanismTooWeak,
    /// §6.5.10: wrong credentials (also: channel binding failed).
    NotAuthorized,
    /// §6.5.11: a temporary error on the server side (caller-issued).
    TemporaryAuthFailure,
}

impl SaslCondition {
    /// Every condition, in the order of RFC 6120 §6.5.
    pub const ALL: [SaslCondition; 11] = [
        Self::Aborted,
        Self::AccountDisabled,
        Self::CredentialsExpired,
        Self::EncryptionRequired,
        Self::IncorrectEncoding,
        Self::InvalidAuthzid,
        Self::InvalidMechanism,
        Self::MalformedRequest,
        Self::MechanismTooWeak,
        Self::NotAuthorized,
        Self::TemporaryAuthFailure,
    ];

    /// The element name inside `<failure/>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aborted => "aborted",
            Self::AccountDisabled => "account-disabled",
            Self::CredentialsExpired => "credentials-expired",
            Self::EncryptionRequired => "encryption-required",
            Self::IncorrectEncoding => "incorrect-encoding",
            Self::InvalidAuthzid => "invalid-authzid",
            Self::InvalidMechanism => "invalid-mechanism",
            Self::MalformedRequest => "malformed-request",
            Self::MechanismTooWeak => "mechanism-too-weak",
            Self::NotAuthorized => "not-authorized",
            Self::TemporaryAuthFailure => "temporary-auth-failure",
        }
    }
}

impl FromStr for SaslCondition {
    type Err = UnknownName;

    /// The condition with this element name; a name outside RFC 6120 §6.5 (a server's own
    /// extension) is [`UnknownName`], for the caller to treat as a failure all the same.
    fn from_str(name: &str) -> Result<Self, UnknownName> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or(UnknownName)
    }
}

/// A server-side authentication failure: the condition and a human-readable `<text/>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {text}", condition.as_str())]
pub struct Failure {
    /// The RFC 6120 §6.5 condition.
    pub condition: SaslCondition,
    /// Explanation for `<text/>`. For SCRAM errors it starts with the RFC 5802 §7
    /// `server-error-value` where one applies (e.g. `channel-bindings-dont-match`).
    pub text: String,
}

impl Failure {
    /// A failure with the given condition and text.
    pub fn new(condition: SaslCondition, text: impl Into<String>) -> Self {
        Self {
            condition,
            text: text.into(),
        }
    }
}

/// Misuse of a [`ServerMechanism`](crate::ServerMechanism) (caller error; state unchanged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A method was called in a state that does not accept it.
    #[error("{call} called out of order")]
    OutOfOrder {
        /// The method.
        call: &'static str,
    },
    /// The supplied record was made with another hash than the SCRAM mechanism in use.
    #[error("credential record uses {provided:?}, the mechanism needs {needed:?}")]
    WrongHash {
        /// What the mechanism needs.
        needed: crate::HashAlgorithm,
        /// What the record holds.
        provided: crate::HashAlgorithm,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The element names exactly as RFC 6120 §6.5.1 to §6.5.11 spell them.
    #[test]
    fn condition_names_are_rfc6120_section_6_5() {
        let rfc = [
            (SaslCondition::Aborted, "aborted"),
            (SaslCondition::AccountDisabled, "account-disabled"),
            (SaslCondition::CredentialsExpired, "credentials-expired"),
            (SaslCondition::EncryptionRequired, "encryption-required"),
            (SaslCondition::IncorrectEncoding, "incorrect-encoding"),
            (SaslCondition::InvalidAuthzid, "invalid-authzid"),
            (SaslCondition::InvalidMechanism, "invalid-mechanism"),
            (SaslCondition::MalformedRequest, "malformed-request"),
            (SaslCondition::MechanismTooWeak, "mechanism-too-weak"),
            (SaslCondition::NotAuthorized, "not-authorized"),
            (
                SaslCondition::TemporaryAuthFailure,
                "temporary-auth-failure",
            ),
        ];
        assert_eq!(rfc.map(|(c, _)| c), SaslCondition::ALL);
        for (condition, name) in rfc {
            assert_eq!(condition.as_str(), name);
            assert_eq!(name.parse(), Ok(condition));
        }
        assert_eq!("bad-auth".parse::<SaslCondition>(), Err(UnknownName));
        assert_eq!("Aborted".parse::<SaslCondition>(), Err(UnknownName));
    }
}
