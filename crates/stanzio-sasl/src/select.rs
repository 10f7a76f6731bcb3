//! Client-side mechanism and channel-binding selection (RFC 5802 §6, XEP-0440 §3,
//! XEP-0474 §7), and the explicit fallback without channel binding.

use std::str::FromStr;

use crate::error::{SelectionError, UnknownName};
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
    /// Allow giving up channel binding after a server rejected a `-PLUS` attempt, where
    /// that cannot be a downgrade attack: [`Selection::without_channel_binding`], and a
    /// [`ChannelBindingMemory::Rejected`] that skips `-PLUS`. Default `true`: ejabberd 23
    /// offers `-PLUS` without XEP-0440 on TLS 1.3 and checks only tls-unique, which is
    /// undefined there (see the manual, "Channel binding").
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

/// What a client learned about one server's channel binding, for the next login there.
///
/// A server that advertises no XEP-0440 types gives the client nothing to go on but the
/// type RFC 5802 §6 and RFC 9266 §3 make mandatory for the TLS version, and deployed
/// servers (ejabberd 23) offer `-PLUS` while rejecting that type. The application keeps
/// this value per server and account ([`as_str`](Self::as_str) and [`FromStr`] give it a
/// stable text form), passes it to [`select`], and stores what
/// [`ClientMechanism::channel_binding_memory`](crate::ClientMechanism::channel_binding_memory)
/// returns after a successful login.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelBindingMemory {
    /// Nothing learned yet.
    #[default]
    Unknown,
    /// A `-PLUS` login with this type succeeded. The account is pinned to channel
    /// binding: a failed `-PLUS` attempt is never retried without it (that failure is what
    /// a man in the middle with a trusted certificate causes), and [`select`] refuses to
    /// go without binding where the server offers `-PLUS`.
    Bound(ChannelBindingType),
    /// The server offered `-PLUS` without XEP-0440 types, rejected this type, and then
    /// accepted the same credentials without channel binding: it does not bind with this
    /// type. [`select`] goes without binding at once (reported by
    /// [`Selection::fallback_from`]) instead of failing an attempt on every login, which
    /// would count against the server's login throttling.
    Rejected(ChannelBindingType),
}

impl ChannelBindingMemory {
    /// The text form to persist: `unknown`, `bound:<type>` or `rejected:<type>`.
    pub fn as_str(self) -> &'static str {
        use ChannelBindingType::{TlsExporter, TlsServerEndPoint, TlsUnique};
        match self {
            Self::Unknown => "unknown",
            Self::Bound(TlsExporter) => "bound:tls-exporter",
            Self::Bound(TlsUnique) => "bound:tls-unique",
            Self::Bound(TlsServerEndPoint) => "bound:tls-server-end-point",
            Self::Rejected(TlsExporter) => "rejected:tls-exporter",
            Self::Rejected(TlsUnique) => "rejected:tls-unique",
            Self::Rejected(TlsServerEndPoint) => "rejected:tls-server-end-point",
        }
    }
}

impl FromStr for ChannelBindingMemory {
    type Err = UnknownName;

    /// Reads what [`as_str`](Self::as_str) wrote.
    fn from_str(text: &str) -> Result<Self, UnknownName> {
        if text == "unknown" {
            return Ok(Self::Unknown);
        }
        let (what, kind) = text.split_once(':').ok_or(UnknownName)?;
        let kind = kind.parse()?;
        match what {
            "bound" => Ok(Self::Bound(kind)),
            "rejected" => Ok(Self::Rejected(kind)),
            _ => Err(UnknownName),
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
    /// What [`select`] was told about this server.
    pub(crate) memory: ChannelBindingMemory,
    /// XEP-0474 §7 relaxed rule 6: continuing with `n` is acceptable only with a good `h`.
    pub(crate) require_downgrade_protection: bool,
    /// The binding type whose rejection (in this session or remembered) made this
    /// selection go without channel binding.
    pub(crate) fallback_from: Option<ChannelBindingType>,
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

    /// The channel-binding type this selection gives up because the server rejected it,
    /// in this session ([`without_channel_binding`](Self::without_channel_binding)) or
    /// before ([`ChannelBindingMemory::Rejected`]); `None` if it gave up nothing. The
    /// caller reports it (log, event): the login runs without channel binding.
    pub fn fallback_from(&self) -> Option<ChannelBindingType> {
        self.fallback_from
    }

    /// Whether the exchange will fail unless the server sends a matching XEP-0474 `h`.
    pub fn requires_downgrade_protection(&self) -> bool {
        self.require_downgrade_protection || self.policy.require_downgrade_protection
    }

    /// What to remember about this server if the exchange succeeds: the type it bound
    /// with, the type it gave up, or what [`select`] was told.
    pub(crate) fn memory_after_success(&self) -> ChannelBindingMemory {
        match (self.flag, self.fallback_from) {
            (Gs2Flag::Bind(kind), _) => ChannelBindingMemory::Bound(kind),
            (_, Some(kind)) => ChannelBindingMemory::Rejected(kind),
            _ => self.memory,
        }
    }

    /// The retry after the server rejected a `-PLUS` attempt with a type it never
    /// announced (ejabberd 23 answers tls-exporter with `not-authorized`): the strongest
    /// offered SCRAM mechanism without `-PLUS`, sent with GS2 flag `n` (not `y`: the
    /// server did offer `-PLUS`, so `y` would be rejected as a downgrade, RFC 5802 §6).
    /// The result reports [`fallback_from`](Self::fallback_from).
    ///
    /// Refused where the failure can be a man in the middle with a certificate the client
    /// trusts (its binding data differs from the server's, so `-PLUS` fails, and a retry
    /// without binding would let it through): when the server's XEP-0440 list named the
    /// type, and when the account is pinned ([`ChannelBindingMemory::Bound`]). Without
    /// either the client cannot tell the attack from a server that does not implement
    /// the type; the caller reports the fallback.
    ///
    /// # Errors
    /// [`SelectionError::NotChannelBinding`] if this selection did not bind,
    /// [`SelectionError::FallbackDisabled`] if the policy forbids it,
    /// [`SelectionError::ChannelBindingAdvertised`] and
    /// [`SelectionError::ChannelBindingPinned`] as above, and
    /// [`SelectionError::NoAcceptableMechanism`] if no SCRAM without `-PLUS` is offered.
    pub fn without_channel_binding(&self) -> Result<Selection, SelectionError> {
        let Gs2Flag::Bind(kind) = self.flag else {
            return Err(SelectionError::NotChannelBinding {
                mechanism: self.mechanism,
            });
        };
        if !self.policy.channel_binding_fallback {
            return Err(SelectionError::FallbackDisabled);
        }
        // XEP-0440 §2: the server said it binds with this type, so its failure is not a
        // missing implementation.
        if self.offer.advertises_binding(kind) {
            return Err(SelectionError::ChannelBindingAdvertised { kind });
        }
        if let ChannelBindingMemory::Bound(pinned) = self.memory {
            return Err(SelectionError::ChannelBindingPinned { kind: pinned });
        }
        let hash = strongest_scram(&self.offer, false).ok_or_else(|| no_mechanism(&self.offer))?;
        // The rest, the XEP-0474 requirement included, is the bound selection's: that
        // requires `h` only where the policy does (a server without XEP-0474, like
        // ejabberd 23, must not fail the retry).
        Ok(Selection {
            mechanism: Mechanism::scram(hash, false),
            flag: Gs2Flag::NoBinding,
            binding: None,
            fallback_from: Some(kind),
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

/// Whether to run `-PLUS`, for a client that can bind and a server that offers it.
enum PlusDecision {
    /// With this type.
    Bind(ChannelBindingType),
    /// No: the server rejected this type before ([`ChannelBindingMemory::Rejected`]).
    RememberedRejection(ChannelBindingType),
    /// No: none of this client's types is one the server can be expected to bind with.
    NoSharedType,
}

fn plus_decision(
    offer: &ServerOffer,
    tls: &TlsInfo,
    policy: &ClientPolicy,
    memory: ChannelBindingMemory,
) -> PlusDecision {
    let have = |kind: ChannelBindingType| tls.binding(kind).is_some();
    if offer.channel_binding_types.is_some() {
        // XEP-0440 §3 rule 7: the strongest type both sides have.
        return ChannelBindingType::ALL
            .into_iter()
            .find(|&kind| have(kind) && offer.advertises_binding(kind))
            .map_or(PlusDecision::NoSharedType, PlusDecision::Bind);
    }
    // No XEP-0440 list. A type this account bound with before comes first.
    if let ChannelBindingMemory::Bound(kind) = memory
        && have(kind)
    {
        return PlusDecision::Bind(kind);
    }
    // Otherwise only the type a server without XEP-0440 must implement can be expected to
    // work: tls-exporter on TLS 1.3 (RFC 9266 §3), tls-unique before (RFC 5802 §6).
    // Guessing another (tls-server-end-point where rustls has no tls-unique) fails on
    // Prosody 0.12 and ejabberd 23 and costs a failed login on every connection.
    let mandatory = if tls.version >= TlsVersion::Tls13 {
        ChannelBindingType::TlsExporter
    } else {
        ChannelBindingType::TlsUnique
    };
    if !have(mandatory) {
        return PlusDecision::NoSharedType;
    }
    if memory == ChannelBindingMemory::Rejected(mandatory) && policy.channel_binding_fallback {
        return PlusDecision::RememberedRejection(mandatory);
    }
    PlusDecision::Bind(mandatory)
}

/// Picks the strongest acceptable mechanism for this offer, TLS state, credentials, policy
/// and what was learned about the server before (see the manual, "Selection"):
///
/// - EXTERNAL and ANONYMOUS credentials select exactly that mechanism (EXTERNAL only over
///   TLS).
/// - Password credentials: SCRAM-SHA-512/256/1-PLUS when both sides can bind, then
///   SCRAM-SHA-512/256/1, then PLAIN only if `policy.allow_plain` and only over TLS.
/// - The GS2 flag follows RFC 5802 §6 and XEP-0440 §3: `p=` when binding, `y` when this
///   client could bind but no `-PLUS` was offered, `n` otherwise.
/// - The binding type: the strongest shared one of the server's XEP-0440 list; without a
///   list, a type `memory` says worked, else the type mandatory for the TLS version
///   (tls-exporter on TLS 1.3, tls-unique on 1.2) unless `memory` says the server
///   rejected it.
///
/// ```
/// use stanzio_sasl::*;
/// let offer = ServerOffer::new(["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"]);
/// let tls = TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [7; 32]);
/// let creds = Credentials::password("juliet", "r0m30");
/// let policy = ClientPolicy::default();
/// let sel = select(&offer, Some(&tls), &creds, &policy, ChannelBindingMemory::Unknown)?;
/// assert_eq!(sel.mechanism().as_str(), "SCRAM-SHA-256-PLUS");
/// assert_eq!(sel.gs2_flag(), Gs2Flag::Bind(ChannelBindingType::TlsExporter));
/// // This server rejected tls-exporter last time: no -PLUS attempt this time.
/// let memory = ChannelBindingMemory::Rejected(ChannelBindingType::TlsExporter);
/// let sel = select(&offer, Some(&tls), &creds, &policy, memory)?;
/// assert_eq!(sel.mechanism().as_str(), "SCRAM-SHA-256");
/// assert_eq!(sel.fallback_from(), Some(ChannelBindingType::TlsExporter));
/// # Ok::<(), SelectionError>(())
/// ```
///
/// # Errors
/// [`SelectionError::NoAcceptableMechanism`] when nothing fits;
/// [`SelectionError::ChannelBindingTypesWithoutPlus`] when the server advertised XEP-0440
/// types but no `-PLUS` mechanism (XEP-0440 §3 rule 5) and this client can bind;
/// [`SelectionError::ChannelBindingPinned`] when `memory` pins the account to channel
/// binding, the server offers `-PLUS`, and no type can be used.
pub fn select(
    offer: &ServerOffer,
    tls: Option<&TlsInfo>,
    credentials: &Credentials,
    policy: &ClientPolicy,
    memory: ChannelBindingMemory,
) -> Result<Selection, SelectionError> {
    let plain = |mechanism| Selection {
        mechanism,
        flag: Gs2Flag::NoBinding,
        binding: None,
        offer: offer.clone(),
        tls_version: tls.map(|t| t.version),
        policy: policy.clone(),
        memory,
        require_downgrade_protection: false,
        fallback_from: None,
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
    // RFC 5802 §6 / XEP-0440 rule 3: `y` when we could bind and the server offers no -PLUS.
    let flag = if can_bind && !plus_offered {
        Gs2Flag::ServerOfferedNoPlus
    } else {
        Gs2Flag::NoBinding
    };
    let (mut require_downgrade_protection, mut fallback_from) = (false, None);
    if let (Some(tls), Some(hash)) = (tls.filter(|_| can_bind), strongest_scram(offer, true)) {
        match plus_decision(offer, tls, policy, memory) {
            PlusDecision::Bind(kind) => {
                return Ok(Selection {
                    flag: Gs2Flag::Bind(kind),
                    binding: tls.binding(kind).cloned(),
                    ..plain(Mechanism::scram(hash, true))
                });
            }
            PlusDecision::RememberedRejection(kind) => fallback_from = Some(kind),
            PlusDecision::NoSharedType => {
                // -PLUS offered with XEP-0440 types, none shared: XEP-0474 §7 relaxes
                // XEP-0440 rule 6 to "continue with n and accept only if h matches".
                require_downgrade_protection = offer.channel_binding_types.is_some();
            }
        }
    }
    // A pinned account binds wherever the server offers -PLUS, or does not log in (a man
    // in the middle can take the client's leg to TLS 1.2 without EMS, where it cannot).
    if let ChannelBindingMemory::Bound(kind) = memory
        && plus_offered
    {
        return Err(SelectionError::ChannelBindingPinned { kind });
    }
    if let Some(hash) = strongest_scram(offer, false) {
        return Ok(Selection {
            flag,
            require_downgrade_protection,
            fallback_from,
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
        select(
            offer,
            tls,
            &creds(),
            &ClientPolicy::default(),
            ChannelBindingMemory::Unknown,
        )
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

    /// Without XEP-0440 on TLS 1.2 a server can only be expected to bind with tls-unique
    /// (RFC 5802 §6). A client without it (rustls) does not try tls-server-end-point,
    /// which Prosody 0.12 and ejabberd 23 would reject, costing a failed login every time.
    #[test]
    fn tls12_without_xep0440_binds_only_with_tls_unique() {
        let t = tls(
            TlsVersion::Tls12,
            &[TlsExporter, TlsServerEndPoint, TlsUnique],
        )
        .with_extended_master_secret();
        let s = pick(&ServerOffer::new(ALL_SCRAM), Some(&t)).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::Bind(TlsUnique));
        let t =
            tls(TlsVersion::Tls12, &[TlsExporter, TlsServerEndPoint]).with_extended_master_secret();
        let s = pick(&ServerOffer::new(ALL_SCRAM), Some(&t)).unwrap();
        assert_eq!(
            s.mechanism(),
            Mechanism::scram(HashAlgorithm::Sha512, false)
        );
        assert_eq!(s.gs2_flag(), Gs2Flag::NoBinding);
        assert_eq!(s.fallback_from(), None);
        assert!(!s.requires_downgrade_protection());
    }

    /// Without XEP-0440 on TLS 1.3 the type is tls-exporter (RFC 9266 §3), never a guess
    /// at tls-server-end-point.
    #[test]
    fn tls13_without_xep0440_binds_only_with_tls_exporter() {
        let t = tls(TlsVersion::Tls13, &[TlsServerEndPoint]);
        let s = pick(&ServerOffer::new(ALL_SCRAM), Some(&t)).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::NoBinding);
        let t = tls(TlsVersion::Tls13, &[TlsServerEndPoint, TlsExporter]);
        let s = pick(&ServerOffer::new(ALL_SCRAM), Some(&t)).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::Bind(TlsExporter));
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
        assert!(
            select(
                &offer,
                None,
                &creds(),
                &policy,
                ChannelBindingMemory::Unknown
            )
            .is_err()
        );
        let s = select(
            &offer,
            Some(&t),
            &creds(),
            &policy,
            ChannelBindingMemory::Unknown,
        )
        .unwrap();
        assert_eq!(s.mechanism(), Mechanism::Plain);
        // SCRAM still wins over an allowed PLAIN.
        let offer = ServerOffer::new(["PLAIN", "SCRAM-SHA-1"]);
        let s = select(
            &offer,
            Some(&t),
            &creds(),
            &policy,
            ChannelBindingMemory::Unknown,
        )
        .unwrap();
        assert_eq!(s.mechanism(), Mechanism::scram(HashAlgorithm::Sha1, false));
    }

    #[test]
    fn external_and_anonymous() {
        let offer = ServerOffer::new(["EXTERNAL", "ANONYMOUS", "SCRAM-SHA-1"]);
        let t = tls(TlsVersion::Tls13, &[]);
        let ext = Credentials::External { authzid: None };
        let policy = ClientPolicy::default();
        assert_eq!(
            select(
                &offer,
                Some(&t),
                &ext,
                &policy,
                ChannelBindingMemory::Unknown
            )
            .unwrap()
            .mechanism(),
            Mechanism::External
        );
        assert!(select(&offer, None, &ext, &policy, ChannelBindingMemory::Unknown).is_err());
        let anon = Credentials::Anonymous { trace: None };
        assert_eq!(
            select(&offer, None, &anon, &policy, ChannelBindingMemory::Unknown)
                .unwrap()
                .mechanism(),
            Mechanism::Anonymous
        );
        // Neither is chosen where the server does not offer it.
        let scram_only = ServerOffer::new(["SCRAM-SHA-1"]);
        for creds in [anon, ext] {
            assert!(matches!(
                select(
                    &scram_only,
                    Some(&t),
                    &creds,
                    &policy,
                    ChannelBindingMemory::Unknown
                ),
                Err(SelectionError::NoAcceptableMechanism { .. })
            ));
        }
    }

    #[test]
    fn fallback_is_explicit_and_uses_n() {
        let t = tls(TlsVersion::Tls13, &[TlsExporter]);
        let offer = ServerOffer::new(ALL_SCRAM);
        let s = pick(&offer, Some(&t)).unwrap();
        assert_eq!(s.fallback_from(), None);
        let f = s.without_channel_binding().unwrap();
        assert_eq!(f.fallback_from(), Some(TlsExporter));
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
        let s = select(
            &offer,
            Some(&t),
            &creds(),
            &strict,
            ChannelBindingMemory::Unknown,
        )
        .unwrap();
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

    /// The retry runs against servers without XEP-0474 (ejabberd 23): it does not demand
    /// `h` unless the policy does.
    #[test]
    fn fallback_does_not_require_downgrade_protection() {
        let t = tls(TlsVersion::Tls13, &[TlsExporter]);
        let s = pick(&ServerOffer::new(ALL_SCRAM), Some(&t)).unwrap();
        let f = s.without_channel_binding().unwrap();
        assert!(!f.requires_downgrade_protection());
        let policy = ClientPolicy {
            require_downgrade_protection: true,
            ..ClientPolicy::default()
        };
        let s = select(
            &ServerOffer::new(ALL_SCRAM),
            Some(&t),
            &creds(),
            &policy,
            ChannelBindingMemory::Unknown,
        )
        .unwrap();
        assert!(
            s.without_channel_binding()
                .unwrap()
                .requires_downgrade_protection()
        );
    }

    /// A man in the middle with a trusted certificate makes a `-PLUS` attempt fail. Where
    /// the server's XEP-0440 list named the type, that failure cannot be a missing
    /// implementation, so there is no retry without binding.
    #[test]
    fn no_fallback_from_an_advertised_type() {
        let t = tls(TlsVersion::Tls13, &[TlsExporter]);
        let offer = ServerOffer::new(ALL_SCRAM).with_channel_binding_types(["tls-exporter"]);
        let s = pick(&offer, Some(&t)).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::Bind(TlsExporter));
        assert_eq!(
            s.without_channel_binding().unwrap_err(),
            SelectionError::ChannelBindingAdvertised { kind: TlsExporter }
        );
    }

    /// An account that bound before is pinned: no retry without binding, and no
    /// selection without it while the server offers `-PLUS`.
    #[test]
    fn pinned_account_never_goes_without_binding() {
        let pinned = ChannelBindingMemory::Bound(TlsExporter);
        let t = tls(TlsVersion::Tls13, &[TlsExporter]);
        let offer = ServerOffer::new(ALL_SCRAM);
        let policy = ClientPolicy::default();
        let s = select(&offer, Some(&t), &creds(), &policy, pinned).unwrap();
        assert_eq!(
            s.without_channel_binding().unwrap_err(),
            SelectionError::ChannelBindingPinned { kind: TlsExporter }
        );
        // A TLS 1.2 leg without tls-unique or EMS offers nothing to bind with.
        let t12 = tls(TlsVersion::Tls12, &[TlsExporter]);
        assert_eq!(
            select(&offer, Some(&t12), &creds(), &policy, pinned).unwrap_err(),
            SelectionError::ChannelBindingPinned { kind: TlsExporter }
        );
        // The pinned type is used without XEP-0440 even where it is not the mandatory one.
        let tse = ChannelBindingMemory::Bound(TlsServerEndPoint);
        let t = tls(TlsVersion::Tls13, &[TlsExporter, TlsServerEndPoint]);
        let s = select(&offer, Some(&t), &creds(), &policy, tse).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::Bind(TlsServerEndPoint));
    }

    /// A server that rejected the mandatory type before is not asked again: one attempt
    /// per login, reported as a fallback. A XEP-0440 list, or a policy without fallback,
    /// overrides the memory.
    #[test]
    fn remembered_rejection_skips_plus() {
        let rejected = ChannelBindingMemory::Rejected(TlsExporter);
        let t = tls(TlsVersion::Tls13, &[TlsExporter]);
        let policy = ClientPolicy::default();
        let offer = ServerOffer::new(ALL_SCRAM);
        let s = select(&offer, Some(&t), &creds(), &policy, rejected).unwrap();
        assert_eq!(
            s.mechanism(),
            Mechanism::scram(HashAlgorithm::Sha512, false)
        );
        assert_eq!(s.gs2_flag(), Gs2Flag::NoBinding);
        assert_eq!(s.fallback_from(), Some(TlsExporter));
        assert_eq!(s.memory_after_success(), rejected);
        let listed = ServerOffer::new(ALL_SCRAM).with_channel_binding_types(["tls-exporter"]);
        let s = select(&listed, Some(&t), &creds(), &policy, rejected).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::Bind(TlsExporter));
        let strict = ClientPolicy {
            channel_binding_fallback: false,
            ..ClientPolicy::default()
        };
        let s = select(&offer, Some(&t), &creds(), &strict, rejected).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::Bind(TlsExporter));
        // A rejection of another type says nothing about this one.
        let other = ChannelBindingMemory::Rejected(TlsUnique);
        let s = select(&offer, Some(&t), &creds(), &policy, other).unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::Bind(TlsExporter));
    }

    #[test]
    fn memory_after_success() {
        let t = tls(TlsVersion::Tls13, &[TlsExporter]);
        let s = pick(&ServerOffer::new(ALL_SCRAM), Some(&t)).unwrap();
        assert_eq!(
            s.memory_after_success(),
            ChannelBindingMemory::Bound(TlsExporter)
        );
        let f = s.without_channel_binding().unwrap();
        assert_eq!(
            f.memory_after_success(),
            ChannelBindingMemory::Rejected(TlsExporter)
        );
        // Nothing learned where nothing was tried: what was known stays.
        let pinned = ChannelBindingMemory::Bound(TlsUnique);
        let s = select(
            &ServerOffer::new(["SCRAM-SHA-1"]),
            Some(&t),
            &creds(),
            &ClientPolicy::default(),
            pinned,
        )
        .unwrap();
        assert_eq!(s.gs2_flag(), Gs2Flag::ServerOfferedNoPlus);
        assert_eq!(s.memory_after_success(), pinned);
    }

    #[test]
    fn memory_text_round_trips() {
        let mut all = vec![ChannelBindingMemory::Unknown];
        for kind in ChannelBindingType::ALL {
            all.push(ChannelBindingMemory::Bound(kind));
            all.push(ChannelBindingMemory::Rejected(kind));
        }
        for memory in all {
            assert_eq!(memory.as_str().parse(), Ok(memory));
        }
        assert_eq!(
            ChannelBindingMemory::Bound(TlsExporter).as_str(),
            "bound:tls-exporter"
        );
        for bad in [
            "",
            "bound",
            "bound:",
            "bound:tls-bogus",
            "pinned:tls-exporter",
            "Unknown",
        ] {
            assert_eq!(
                bad.parse::<ChannelBindingMemory>(),
                Err(UnknownName),
                "{bad:?}"
            );
        }
    }
}
