//! Names shared by both sides: mechanisms, hashes, channel-binding types, TLS
//! versions, and what a server offers.

use std::str::FromStr;

use crate::error::UnknownName;

/// A channel-binding type (RFC 5056 §2.1, IANA "Channel-Binding Types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelBindingType {
    /// `tls-exporter` (RFC 9266): defined on TLS 1.3, and on TLS 1.2 with extended master
    /// secret (RFC 7627).
    TlsExporter,
    /// `tls-unique` (RFC 5929 §3): TLS 1.2 and older only.
    TlsUnique,
    /// `tls-server-end-point` (RFC 5929 §4): the hash of the server certificate.
    TlsServerEndPoint,
}

impl ChannelBindingType {
    /// Strongest first (XEP-0440 §3 rule 7): tls-exporter binds the session's keys
    /// (RFC 9266 §2), tls-unique the handshake (RFC 5929 §3), tls-server-end-point only the
    /// certificate (RFC 5929 §4).
    pub const ALL: [ChannelBindingType; 3] =
        [Self::TlsExporter, Self::TlsUnique, Self::TlsServerEndPoint];

    /// The registered name, used in the GS2 header (`p=tls-exporter`) and in XEP-0440.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TlsExporter => "tls-exporter",
            Self::TlsUnique => "tls-unique",
            Self::TlsServerEndPoint => "tls-server-end-point",
        }
    }
}

impl FromStr for ChannelBindingType {
    type Err = UnknownName;

    /// The type with this registered name (exact match).
    fn from_str(name: &str) -> Result<Self, UnknownName> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or(UnknownName)
    }
}

/// The hash function of a SCRAM mechanism (RFC 5802 §4, RFC 7677 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-1 (`SCRAM-SHA-1`, RFC 5802).
    Sha1,
    /// SHA-256 (`SCRAM-SHA-256`, RFC 7677).
    Sha256,
    /// SHA-512 (`SCRAM-SHA-512`, IANA SASL registry).
    Sha512,
}

impl HashAlgorithm {
    /// Strongest first: the order [`select`](crate::select) tries them in.
    pub const STRONGEST_FIRST: [HashAlgorithm; 3] = [Self::Sha512, Self::Sha256, Self::Sha1];

    /// Length in bytes of the hash output (and so of StoredKey, ServerKey, proofs).
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    /// The hash part of the mechanism name (`SHA-256`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
        }
    }
}

/// A SASL mechanism this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `SCRAM-<hash>` or, with `plus`, `SCRAM-<hash>-PLUS` (RFC 5802, RFC 7677).
    Scram {
        /// The hash function.
        hash: HashAlgorithm,
        /// Whether this is the channel-binding (`-PLUS`) variant.
        plus: bool,
    },
    /// `EXTERNAL` (RFC 4422 Appendix A): identity from the TLS client certificate.
    External,
    /// `ANONYMOUS` (RFC 4505).
    Anonymous,
}

impl Mechanism {
    /// Every mechanism, in the order a server lists them by default (strongest first).
    pub const ALL: [Mechanism; 9] = [
        Self::scram(HashAlgorithm::Sha512, true),
        Self::scram(HashAlgorithm::Sha256, true),
        Self::scram(HashAlgorithm::Sha1, true),
        Self::scram(HashAlgorithm::Sha512, false),
        Self::scram(HashAlgorithm::Sha256, false),
        Self::scram(HashAlgorithm::Sha1, false),
        Self::Plain,
        Self::External,
        Self::Anonymous,
    ];

    /// A SCRAM mechanism.
    pub const fn scram(hash: HashAlgorithm, plus: bool) -> Self {
        Self::Scram { hash, plus }
    }

    /// The IANA-registered name, as it appears in `<mechanism/>` and `<auth mechanism=''/>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::External => "EXTERNAL",
            Self::Anonymous => "ANONYMOUS",
            Self::Scram { hash, plus } => match (hash, plus) {
                (HashAlgorithm::Sha1, false) => "SCRAM-SHA-1",
                (HashAlgorithm::Sha1, true) => "SCRAM-SHA-1-PLUS",
                (HashAlgorithm::Sha256, false) => "SCRAM-SHA-256",
                (HashAlgorithm::Sha256, true) => "SCRAM-SHA-256-PLUS",
                (HashAlgorithm::Sha512, false) => "SCRAM-SHA-512",
                (HashAlgorithm::Sha512, true) => "SCRAM-SHA-512-PLUS",
            },
        }
    }
}

impl FromStr for Mechanism {
    type Err = UnknownName;

    /// The mechanism with this name. SASL names are upper case (RFC 4422 §3.1), so the
    /// match is exact; names this crate does not implement (`DIGEST-MD5`, `X-OAUTH2`) are
    /// [`UnknownName`].
    fn from_str(name: &str) -> Result<Self, UnknownName> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == name)
            .ok_or(UnknownName)
    }
}

impl std::fmt::Display for Mechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A TLS protocol version, as XEP-0515 §4.1 reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.0 (`0301`).
    Tls10,
    /// TLS 1.1 (`0302`).
    Tls11,
    /// TLS 1.2 (`0303`).
    Tls12,
    /// TLS 1.3 (`0304`).
    Tls13,
}

impl TlsVersion {
    /// The XEP-0515 `t` attribute value: the protocol version as four lowercase hex digits
    /// (XEP-0515 §4.1).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tls10 => "0301",
            Self::Tls11 => "0302",
            Self::Tls12 => "0303",
            Self::Tls13 => "0304",
        }
    }
}

/// Channel-binding data of one type, taken from the TLS session by the adapter.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelBinding {
    /// The binding type.
    pub kind: ChannelBindingType,
    /// The binding data (`cbind-data`, RFC 5802 §7): 32 exported bytes for tls-exporter,
    /// the certificate hash for tls-server-end-point, the Finished message for tls-unique.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for ChannelBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The data identifies the session; keep it out of logs.
        f.debug_struct("ChannelBinding")
            .field("kind", &self.kind)
            .field("data_len", &self.data.len())
            .finish()
    }
}

/// The certificate a client presented in the TLS handshake, as the server's TLS adapter
/// reports it: what EXTERNAL (RFC 4422 Appendix A, RFC 6120 §6.3.4) authenticates with.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientCertificate {
    /// The end-entity certificate, DER-encoded, as the client sent it. Which account it
    /// stands for (an XmppAddr or a dNSName in it, a fingerprint on record) is the
    /// server application's decision (XEP-0178 §3).
    pub der: Vec<u8>,
    /// Whether the adapter verified it: a chain to a trust anchor the server accepts for
    /// client authentication, valid at the time of the handshake. EXTERNAL is offered only
    /// for a verified certificate.
    pub verified: bool,
}

impl ClientCertificate {
    /// A certificate the adapter verified.
    pub fn verified(der: impl Into<Vec<u8>>) -> Self {
        Self {
            der: der.into(),
            verified: true,
        }
    }

    /// A certificate the client presented but the adapter could not verify.
    pub fn unverified(der: impl Into<Vec<u8>>) -> Self {
        Self {
            der: der.into(),
            verified: false,
        }
    }
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Public, but long: the length says enough in logs.
        f.debug_struct("ClientCertificate")
            .field("der_len", &self.der.len())
            .field("verified", &self.verified)
            .finish()
    }
}

/// What the TLS session of this connection gives the SASL layer. Built with
/// [`new`](Self::new) and the `with_*` methods, so that fields added later do not break
/// adapters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The negotiated version (for XEP-0515 and for choosing a binding type).
    pub version: TlsVersion,
    /// Whether a TLS 1.2 (or older) handshake negotiated the extended master secret
    /// (RFC 7627). Without it tls-exporter is undefined there (RFC 9266 §2); TLS 1.3
    /// always has unique master secrets and ignores this.
    pub extended_master_secret: bool,
    /// Every binding the adapter could compute for this session.
    pub channel_bindings: Vec<ChannelBinding>,
    /// Server side: the certificate the client presented, if any. The client side leaves
    /// it `None` (its own certificate is the adapter's business).
    pub client_certificate: Option<ClientCertificate>,
}

impl TlsInfo {
    /// A session without channel-binding data, extended master secret or client
    /// certificate.
    pub fn new(version: TlsVersion) -> Self {
        Self {
            version,
            extended_master_secret: false,
            channel_bindings: Vec::new(),
            client_certificate: None,
        }
    }

    /// Adds binding data of one type (builder style).
    #[must_use]
    pub fn with_binding(mut self, kind: ChannelBindingType, data: impl Into<Vec<u8>>) -> Self {
        self.channel_bindings.push(ChannelBinding {
            kind,
            data: data.into(),
        });
        self
    }

    /// Records that a TLS 1.2 handshake negotiated the extended master secret (RFC 7627),
    /// which tls-exporter needs there (RFC 9266 §2).
    #[must_use]
    pub fn with_extended_master_secret(mut self) -> Self {
        self.extended_master_secret = true;
        self
    }

    /// Records the certificate the client presented (server side).
    #[must_use]
    pub fn with_client_certificate(mut self, certificate: ClientCertificate) -> Self {
        self.client_certificate = Some(certificate);
        self
    }

    /// The binding of `kind`, if the session has one that is defined for it: tls-unique is
    /// undefined on TLS 1.3 (RFC 9266 §3, RFC 8446 Appendix C.5), and tls-exporter on TLS
    /// 1.2 without the extended master secret (RFC 9266 §2); such data is ignored even if
    /// an adapter supplied it.
    pub fn binding(&self, kind: ChannelBindingType) -> Option<&ChannelBinding> {
        let tls13 = self.version >= TlsVersion::Tls13;
        let defined = match kind {
            ChannelBindingType::TlsUnique => !tls13,
            ChannelBindingType::TlsExporter => tls13 || self.extended_master_secret,
            ChannelBindingType::TlsServerEndPoint => true,
        };
        // Empty data would make a -PLUS exchange that binds nothing.
        self.channel_bindings
            .iter()
            .find(|b| defined && b.kind == kind && !b.data.is_empty())
    }

    /// Whether any usable binding exists: whether this side "supports channel binding" in
    /// the sense of RFC 5802 §6.
    pub fn can_bind(&self) -> bool {
        ChannelBindingType::ALL
            .into_iter()
            .any(|kind| self.binding(kind).is_some())
    }

    /// Whether the client presented a certificate the adapter verified: what EXTERNAL
    /// needs on the server side.
    pub fn has_verified_client_certificate(&self) -> bool {
        self.client_certificate.as_ref().is_some_and(|c| c.verified)
    }
}

/// What a server advertised in `<stream:features/>`: the SASL mechanism names exactly as
/// listed (unknown ones included, since XEP-0474 hashes all of them) and, when the server
/// sent XEP-0440 `<sasl-channel-binding/>`, its channel-binding type names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerOffer {
    /// `<mechanism/>` texts in the order received.
    pub mechanisms: Vec<String>,
    /// XEP-0440 `<channel-binding type=''/>` values; `None` when the feature was absent
    /// (which differs from an empty list for XEP-0474 §6.1).
    pub channel_binding_types: Option<Vec<String>>,
}

impl ServerOffer {
    /// An offer of the given mechanisms without XEP-0440.
    pub fn new<I, S>(mechanisms: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            mechanisms: mechanisms.into_iter().map(Into::into).collect(),
            channel_binding_types: None,
        }
    }

    /// Adds XEP-0440 channel-binding types (builder style).
    #[must_use]
    pub fn with_channel_binding_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.channel_binding_types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// Whether `mechanism` is in the list.
    pub fn offers(&self, mechanism: Mechanism) -> bool {
        self.mechanisms.iter().any(|m| m == mechanism.as_str())
    }

    /// Whether any SCRAM `-PLUS` mechanism is in the list.
    pub fn offers_plus(&self) -> bool {
        HashAlgorithm::STRONGEST_FIRST
            .into_iter()
            .any(|hash| self.offers(Mechanism::scram(hash, true)))
    }

    /// Whether the XEP-0440 list names `kind`.
    pub fn advertises_binding(&self, kind: ChannelBindingType) -> bool {
        self.channel_binding_types
            .as_ref()
            .is_some_and(|types| types.iter().any(|t| t == kind.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mechanism::ALL {
            assert_eq!(m.as_str().parse(), Ok(m));
        }
        for kind in ChannelBindingType::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        assert_eq!("scram-sha-1".parse::<Mechanism>(), Err(UnknownName));
        assert_eq!("DIGEST-MD5".parse::<Mechanism>(), Err(UnknownName));
        assert_eq!(
            "TLS-EXPORTER".parse::<ChannelBindingType>(),
            Err(UnknownName)
        );
    }

    /// RFC 9266 §2: tls-exporter needs unique master secrets, which TLS 1.2 has only with
    /// the extended master secret (RFC 7627).
    #[test]
    fn tls_exporter_on_tls12_needs_the_extended_master_secret() {
        let without =
            TlsInfo::new(TlsVersion::Tls12).with_binding(ChannelBindingType::TlsExporter, [1; 32]);
        assert!(without.binding(ChannelBindingType::TlsExporter).is_none());
        assert!(!without.can_bind());
        let with = without.with_extended_master_secret();
        assert!(with.binding(ChannelBindingType::TlsExporter).is_some());
        let tls13 =
            TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsExporter, [1; 32]);
        assert!(tls13.binding(ChannelBindingType::TlsExporter).is_some());
    }

    #[test]
    fn tls_unique_is_ignored_on_tls13() {
        let tls = TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsUnique, [1]);
        assert!(tls.binding(ChannelBindingType::TlsUnique).is_none());
        assert!(!tls.can_bind());
        let tls = TlsInfo::new(TlsVersion::Tls12).with_binding(ChannelBindingType::TlsUnique, [1]);
        assert!(tls.can_bind());
    }
}
