//! Client-side mechanism and channel-binding selection (RFC 5802 §6, XEP-0440 §3,
//! XEP-0474 §7), and the explicit fallback without channel binding.

use crate::error::SelectionError;
use crate::scram::Gs2Flag;
use crate::{ChannelBinding, ChannelBindingType, HashAlgorithm, Mechanism, ServerOffer};
use crate::{TlsInfo, TlsVersion};
use zeroize::Zeroizing;

/// What the client authenticates with.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// A username and password (SCRAM, PLAIN).
    Password {
        /// The authentication identity (the localpart in XMPP).
        username: String,
        /// The password, wiped from memory when the credentials are dropped.
        password: Zeroizing<String>,
        /// An authorization identity to act as, if other than the one derived from
        /// `username` (RFC 6120 §6.3.8).
        authzid: Option<String>,
    },
    /// The TLS client certificate (EXTERNAL), optionally asking for an authzid.
    External {
        /// The authorization identity; `None` lets the server derive it.
        authzid: Option<String>,
    },
    /// No identity (ANONYMOUS), with optional trace information (RFC 4505 §2).
    Anonymous {
        /// Trace information (an email address or free text, at most 255 characters).
        trace: Option<String>,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password {
                username, authzid, ..
            } => f
                .debug_struct("Password")
                .field("username", username)
                .field("authzid", authzid)
                .finish_non_exhaustive(),
            Self::External { authzid } => f
                .debug_struct("External")
                .field("authzid", authzid)
                .finish(),
            Self::Anonymous { trace } => f.debug_struct("Anonymous").field("trace", trace).finish(),
        }
    }
}

impl Credentials {
    /// Username and password credentials without authzid.
    pub fn password(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Password {
            username: username.into(),
            password: Zeroizing::new(password.into()),
            authzid: None,
        }
    }

    /// Sets the authorization identity (for password and EXTERNAL credentials; ANONYMOUS
    /// has none and is returned unchanged).
    #[must_use]
    pub fn with_authzid(self, authzid: impl Into<String>) -> Self {
        match self {
            Self::Password {
                username, password, ..
            } => Self::Password {
                username,
                password,
                authzid: Some(authzid.into()),
            },
            Self::External { .. } => Self::External {
                authzid: Some(authzid.into()),
            },
            anonymous @ Self::Anonymous { .. } => anonymous,
        }
    }
}

/// The RFC 7677 §4 minimum iteration count ("at least 4096").
pub const DEFAULT_MIN_ITERATIONS: u32 = 4096;

/// The default cap on iteration counts a server may ask for: 600 000, OWASP's
/// PBKDF2-HMAC-SHA256 recommendation for password storage (Password Storage Cheat Sheet,
/// 2023). A server following current guidance stays at or below it; above it, a hostile
/// or misconfigured server only makes the client burn CPU (about 0.3 s per login at
/// SHA-256 on this project's machines), which RFC 5802 §9 leaves to client policy.
pub const DEFAULT_MAX_ITERATIONS: u32 = 600_000;

/// The client's rules for choosing and running a mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientPolicy {
    /// Allow PLAIN when no SCRAM mechanism is usable (never without TLS). Default `false`.
    /// A client that has once logged in with SCRAM should keep this `false` for that
    /// account (XEP-0474 §7 pinning).
    pub allow_plain: bool,
    /// Refuse iteration counts below this. Default [`DEFAULT_MIN_ITERATIONS`].
    pub min_iterations: u32,
    /// Refuse iteration counts above this. Default [`DEFAULT_MAX_ITERATIONS`].
    pub max_iterations: u32,
    /// Refuse a SCRAM exchange whose server-first-message has no XEP-0474 `h`.
    /// Default `false`: XEP-0474 leaves a missing `h` unspecified, and Prosody and
    /// ejabberd do not send it yet.
    pub require_downgrade_protection: bool,
    /// Allow [`Selection::without_channel_binding`] after the server rejected a `-PLUS`
    /// attempt. Default `true` (Prosody and ejabberd 23 implement only tls-unique; see the
    /// crate docs).
    pub channel_binding_fallback: bool,
}

impl Default for ClientPolicy {
    fn default() -> Self {
        Self {
            allow_plain: false,
            min_iterations: DEFAULT_MIN_ITERATIONS,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            require_downgrade_protection: false,
            channel_binding_fallback: true,
        }
    }
}

/// The outcome of [`select`]: a mechanism and everything a
/// [`ClientMechanism`](crate::ClientMechanism) needs to run it on this connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub(crate) mechanism: Mechanism,
    pub(crate) flag: Gs2Flag,
    pub(crate) binding: Option<ChannelBinding>,
    pub(crate) offer: ServerOffer,
    pub(crate) tls_version: Option<TlsVersion>,
    pub(crate) policy: ClientPolicy,
    /// XEP-0474 §7 relaxed rule 6: continuing with `n` is acceptable only with a good `h`.
    pub(crate) require_downgrade_protection: bool,
    pub(crate) fallback: bool,
}

impl Selection {
    /// The chosen mechanism.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The GS2 flag the client will send (meaningful for SCRAM only).
    pub fn gs2_flag(&self) -> Gs2Flag {
        self.flag
    }

    /// Whether this selection came from [`Self::without_channel_binding`]: the caller
    /// reports it (log, event) since the retry gives up channel binding.
    pub fn is_fallback(&self) -> bool {
        self.fallback
    }

    /// Whether the exchange will fail unless the server sends a matching XEP-0474 `h`.
    pub fn requires_downgrade_protection(&self) -> bool {
        self.require_downgrade_protection || self.policy.require_downgrade_protection
    }

    /// The explicit retry step after the server rejected a `-PLUS` attempt (ejabberd 23
    /// answers tls-exporter with `not-authorized`, Prosody tls-server-end-point with
    /// `malformed-request`): the strongest offered SCRAM mechanism without `-PLUS`, sent
    /// with GS2 flag `n` (not `y`: the server did offer `-PLUS`, so `y` would be rejected as
    /// a downgrade, RFC 5802 §6). The result reports [`is_fallback`](Self::is_fallback).
    ///
    /// This gives up channel binding for the retry: call it only after a failure of a
    /// `-PLUS` attempt, and surface it to the user or log.
    ///
    /// # Errors
    /// [`SelectionError::NotChannelBinding`] if this selection did not bind,
    /// [`SelectionError::FallbackDisabled`] if the policy forbids it, and
    /// [`SelectionError::NoAcceptableMechanism`] if no SCRAM without `-PLUS` is offered.
    pub fn without_channel_binding(&self) -> Result<Selection, SelectionError> {
        if !matches!(self.flag, Gs2Flag::Bind(_)) {
            return Err(SelectionError::NotChannelBinding {
                mechanism: self.mechanism,
            });
        }
        if !self.policy.channel_binding_fallback {
            return Err(SelectionError::FallbackDisabled);
        }
        let hash = strongest_scram(&self.offer, false).ok_or_else(|| no_mechanism(&self.offer))?;
        Ok(Selection {
            mechanism: Mechanism::scram(hash, false),
            flag: Gs2Flag::NoBinding,
            binding: None,
            require_downgrade_protection: false,
            fallback: true,
            ..self.clone()
        })
    }
}

fn no_mechanism(offer: &ServerOffer) -> SelectionError {
    SelectionError::NoAcceptableMechanism {
        offered: offer.mechanisms.clone(),
    }
}

fn strongest_scram(offer: &ServerOffer, plus: bool) -> Option<HashAlgorithm> {
    HashAlgorithm::STRONGEST_FIRST
        .into_iter()
        .find(|&hash| offer.offers(Mechanism::scram(hash, plus)))
}

/// The binding type to use with a `-PLUS` mechanism, or `None` if nothing is shared.
fn binding_type(offer: &ServerOffer, tls: &TlsInfo) -> Option<ChannelBindingType> {
    let preference: &[ChannelBindingType] = if offer.channel_binding_types.is_some() {
        // XEP-0440 §3 rule 7: the strongest type both sides have.
        &ChannelBindingType::ALL
    } else if tls.version >= TlsVersion::Tls13 {
        // No XEP-0440: RFC 9266 §3 makes tls-exporter the default on TLS 1.3 (tls-unique
        // is undefined there and tls-server-end-point is weaker).
        &[
            ChannelBindingType::TlsExporter,
            ChannelBindingType::TlsServerEndPoint,
        ]
    } else {
        // No XEP-0440 on TLS 1.2: tls-unique is what deployed servers implement (Prosody,
        // ejabberd; interop README), then tls-server-end-point (XEP-0440 rule 1), and
        // tls-exporter last since on 1.2 it needs EMS the server may not check.
        &[
            ChannelBindingType::TlsUnique,
            ChannelBindingType::TlsServerEndPoint,
            ChannelBindingType::TlsExporter,
        ]
    };
    preference.iter().copied().find(|&kind| {
        tls.binding(kind).is_some()
            && (offer.channel_binding_types.is_none() || offer.advertises_binding(kind))
    })
}

/// Picks the strongest acceptable mechanism for this offer, TLS state, credentials and
/// policy (see the crate docs, "Selection"):
///
/// - EXTERNAL and ANONYMOUS credentials select exactly that mechanism (EXTERNAL only over
///   TLS).
/// - Password credentials: SCRAM-SHA-512/256/1-PLUS when both sides can bind, then
///   SCRAM-SHA-512/256/1, then PLAIN only if `policy.allow_plain` and only over TLS.
/// - The GS2 flag follows RFC 5802 §6 and XEP-0440 §3: `p=` when binding, `y` when this
///   client could bind but no `-PLUS` was offered, `n` otherwise.
///
/// ```
/// use stanzio_sasl::*;
/// let offer = ServerOffer::new(["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"]);
/// let tls = TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [7; 32]);
/// let creds = Credentials::password("juliet", "r0m30");
/// let sel = select(&offer, Some(&tls), &creds, &ClientPolicy::default())?;
/// assert_eq!(sel.mechanism().as_str(), "SCRAM-SHA-256-PLUS");
/// assert_eq!(sel.gs2_flag(), Gs2Flag::Bind(ChannelBindingType::TlsExporter));
/// # Ok::<(), SelectionError>(())
/// ```
///
/// # Errors
/// [`SelectionError::NoAcceptableMechanism`] when nothing fits;
/// [`SelectionError::ChannelBindingTypesWithoutPlus`] when the server advertised XEP-0440
/// types but no `-PLUS` mechanism (XEP-0440 §3 rule 5) and this client can bind.
pub fn select(
    offer: &ServerOffer,
    tls: Option<&TlsInfo>,
    credentials: &Credentials,
    policy: &ClientPolicy,
) -> Result<Selection, SelectionError> {
    let plain = |mechanism| Selection {
        mechanism,
        flag: Gs2Flag::NoBinding,
        binding: None,
        offer: offer.clone(),
        tls_version: tls.map(|t| t.version),
        policy: policy.clone(),
        require_downgrade_protection: false,
        fallback: false,
    };
    match credentials {
        Credentials::External { .. } if tls.is_some() && offer.offers(Mechanism::External) => {
            return Ok(plain(Mechanism::External));
        }
        Credentials::Anonymous { .. } if offer.offers(Mechanism::Anonymous) => {
            return Ok(plain(Mechanism::Anonymous));
        }
        Credentials::Password { .. } => {}
        Credentials::External { .. } | Credentials::Anonymous { .. } => {
            return Err(no_mechanism(offer));
        }
    }

    let can_bind = tls.is_some_and(TlsInfo::can_bind);
    let plus_offered = offer.offers_plus();
    if can_bind && !plus_offered && offer.channel_binding_types.is_some() {
        return Err(SelectionError::ChannelBindingTypesWithoutPlus);
    }
    if let (Some(tls), Some(hash)) = (tls.filter(|_| can_bind), strongest_scram(offer, true))
        && let Some(kind) = binding_type(offer, tls)
    {
        return Ok(Selection {
            flag: Gs2Flag::Bind(kind),
            binding: tls.binding(kind).cloned(),
            ..plain(Mechanism::scram(hash, true))
        });
    }
    if let Some(hash) = strongest_scram(offer, false) {
        let (flag, require_downgrade_protection) = match (can_bind, plus_offered) {
            // RFC 5802 §6 / XEP-0440 rule 3: we could bind, the server offers no -PLUS.
            (true, false) => (Gs2Flag::ServerOfferedNoPlus, false),
            // -PLUS offered but no shared type: XEP-0474 §7 relaxes XEP-0440 rule 6 to
            // "continue with n and accept only if h matches".
            (true, true) => (Gs2Flag::NoBinding, true),
            (false, _) => (Gs2Flag::NoBinding, false),
        };
        return Ok(Selection {
            flag,
            require_downgrade_protection,
            ..plain(Mechanism::scram(hash, false))
        });
    }
    // PLAIN sends the password itself: never without TLS (RFC 6120 §6.4.2 SHOULD NOT,
    // made a hard rule here), and only if the policy allows it at all.
    if policy.allow_plain && tls.is_some() && offer.offers(Mechanism::Plain) {
        return Ok(plain(Mechanism::Plain));
    }
    Err(no_mechanism(offer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChannelBindingType::*;

    const ALL_SCRAM: [&str; 6] = [
        "SCRAM-SHA-1",
        "SCRAM-SHA-1-PLUS",
        "SCRAM-SHA-256",
        "SCRAM-SHA-256-PLUS",
        "SCRAM-SHA-512",
        "SCRAM-SHA-512-PLUS",
    ];

    fn creds() -> Credentials {
        Credentials::password("u", "p")
    }

    fn tls(version: TlsVersion, kinds: &[ChannelBindingType]) -> TlsInfo {
        kinds
            .iter()
            .fold(TlsInfo::new(version), |t, &k| t.with_binding(k, [1, 2, 3]))
    }

    fn pick(offer: &ServerOffer, tls: Option<&TlsInfo>) -> Result<Selection, SelectionError> {
        select(offer, tls, &creds(), &ClientPolicy::default())
    }

    #[test]
    fn prefers_strongest_plus() {
        let t = tls(TlsVersion::Tls13, &[TlsExporter, TlsServerEndPoint]);
        let s = pick(&ServerOffer::new(ALL_SCRAM), Some(&t)).unwrap();
        assert_eq!(s.mechanism(), Mechanism::scram(HashAlgorithm::Sha512, true));
        assert_eq!(s.gs2_flag(), Gs2Flag::Bind(TlsExporter));
        // -PLUS of a weaker hash still beats a stronger hash without binding.
        let offer = ServerOffer::new(["SCRAM-SHA-512", "SCRAM-SHA-1-PLUS"]);
        let s = pick(&offer, Some(&t)).unwrap();
        assert_eq!(s.mechanism(), Mechanism::scram(HashAlgorithm::Sha1, true));
    }

    #[test]
    fn tls12_without_xep0440_prefers_tls_unique() {
        let t = tls(
            TlsVersion::Tls12,
            &[TlsExporter, TlsServerEndPoint, TlsUnique],
        );
        let s = pick(&ServerOffer::new(ALL_SCRAM), Some(&t)).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::Bind(TlsUnique));
        let t = tls(TlsVersion::Tls12, &[TlsExporter, TlsServerEndPoint]);
        let s = pick(&ServerOffer::new(ALL_SCRAM), Some(&t)).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::Bind(TlsServerEndPoint));
    }

    #[test]
    fn xep0440_types_pick_the_strongest_shared() {
        let t = tls(
            TlsVersion::Tls12,
            &[TlsExporter, TlsServerEndPoint, TlsUnique],
        )
        .with_extended_master_secret();
        let offer = ServerOffer::new(ALL_SCRAM)
            .with_channel_binding_types(["tls-server-end-point", "tls-exporter"]);
        assert_eq!(
            pick(&offer, Some(&t)).unwrap().gs2_flag(),
            Gs2Flag::Bind(TlsExporter)
        );
    }

    #[test]
    fn no_shared_type_continues_with_n_and_requires_h() {
        let t = tls(TlsVersion::Tls13, &[TlsExporter]);
        let offer =
            ServerOffer::new(ALL_SCRAM).with_channel_binding_types(["tls-server-end-point"]);
        let s = pick(&offer, Some(&t)).unwrap();
        assert_eq!(
            s.mechanism(),
            Mechanism::scram(HashAlgorithm::Sha512, false)
        );
        assert_eq!(s.gs2_flag(), Gs2Flag::NoBinding);
        assert!(s.requires_downgrade_protection());
    }

    #[test]
    fn y_when_we_can_bind_but_no_plus_is_offered() {
        let t = tls(TlsVersion::Tls13, &[TlsExporter]);
        let s = pick(&ServerOffer::new(["SCRAM-SHA-1", "PLAIN"]), Some(&t)).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::ServerOfferedNoPlus);
        // No binding data: n.
        let t = tls(TlsVersion::Tls13, &[]);
        let s = pick(&ServerOffer::new(["SCRAM-SHA-1"]), Some(&t)).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::NoBinding);
        let s = pick(&ServerOffer::new(["SCRAM-SHA-1"]), None).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::NoBinding);
    }

    #[test]
    fn xep0440_types_without_plus_abort() {
        let t = tls(TlsVersion::Tls13, &[TlsExporter]);
        let offer = ServerOffer::new(["SCRAM-SHA-1"]).with_channel_binding_types(["tls-exporter"]);
        assert_eq!(
            pick(&offer, Some(&t)).unwrap_err(),
            SelectionError::ChannelBindingTypesWithoutPlus
        );
    }

    #[test]
    fn plain_needs_tls_and_policy() {
        let offer = ServerOffer::new(["PLAIN"]);
        let t = tls(TlsVersion::Tls13, &[]);
        assert!(pick(&offer, Some(&t)).is_err());
        let policy = ClientPolicy {
            allow_plain: true,
            ..ClientPolicy::default()
        };
        assert!(select(&offer, None, &creds(), &policy).is_err());
        let s = select(&offer, Some(&t), &creds(), &policy).unwrap();
        assert_eq!(s.mechanism(), Mechanism::Plain);
        // SCRAM still wins over an allowed PLAIN.
        let offer = ServerOffer::new(["PLAIN", "SCRAM-SHA-1"]);
        let s = select(&offer, Some(&t), &creds(), &policy).unwrap();
        assert_eq!(s.mechanism(), Mechanism::scram(HashAlgorithm::Sha1, false));
    }

    #[test]
    fn external_and_anonymous() {
        let offer = ServerOffer::new(["EXTERNAL", "ANONYMOUS", "SCRAM-SHA-1"]);
        let t = tls(TlsVersion::Tls13, &[]);
        let ext = Credentials::External { authzid: None };
        let policy = ClientPolicy::default();
        assert_eq!(
            select(&offer, Some(&t), &ext, &policy).unwrap().mechanism(),
            Mechanism::External
        );
        assert!(select(&offer, None, &ext, &policy).is_err());
        let anon = Credentials::Anonymous { trace: None };
        assert_eq!(
            select(&offer, None, &anon, &policy).unwrap().mechanism(),
            Mechanism::Anonymous
        );
    }

    #[test]
    fn fallback_is_explicit_and_uses_n() {
        let t = tls(TlsVersion::Tls13, &[TlsExporter]);
        let offer = ServerOffer::new(ALL_SCRAM);
        let s = pick(&offer, Some(&t)).unwrap();
        assert!(!s.is_fallback());
        let f = s.without_channel_binding().unwrap();
        assert!(f.is_fallback());
        assert_eq!(
            f.mechanism(),
            Mechanism::scram(HashAlgorithm::Sha512, false)
        );
        assert_eq!(f.gs2_flag(), Gs2Flag::NoBinding);
        assert!(matches!(
            f.without_channel_binding(),
            Err(SelectionError::NotChannelBinding { .. })
        ));
        let strict = ClientPolicy {
            channel_binding_fallback: false,
            ..ClientPolicy::default()
        };
        let s = select(&offer, Some(&t), &creds(), &strict).unwrap();
        assert_eq!(
            s.without_channel_binding().unwrap_err(),
            SelectionError::FallbackDisabled
        );
        let only_plus = ServerOffer::new(["SCRAM-SHA-1-PLUS"]);
        let s = pick(&only_plus, Some(&t)).unwrap();
        assert!(matches!(
            s.without_channel_binding(),
            Err(SelectionError::NoAcceptableMechanism { .. })
        ));
    }
}
