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

/// What the TLS session of this connection gives the SASL layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// The negotiated version (for XEP-0515 and for choosing a binding type).
    pub version: TlsVersion,
    /// Every binding the adapter could compute for this session.
    pub channel_bindings: Vec<ChannelBinding>,
}

impl TlsInfo {
    /// A session without channel-binding data.
    pub fn new(version: TlsVersion) -> Self {
        Self {
            version,
            channel_bindings: Vec::new(),
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

    /// The binding of `kind`, if the session has one that is defined for its TLS version:
    /// tls-unique is undefined on TLS 1.3 (RFC 9266 §3, RFC 8446 Appendix C.5) and is
    /// ignored there even if an adapter supplied it.
    pub fn binding(&self, kind: ChannelBindingType) -> Option<&ChannelBinding> {
        if kind == ChannelBindingType::TlsUnique && self.version >= TlsVersion::Tls13 {
            return None;
        }
        // Empty data would make a -PLUS exchange that binds nothing.
        self.channel_bindings
            .iter()
            .find(|b| b.kind == kind && !b.data.is_empty())
    }

    /// Whether any usable binding exists: whether this side "supports channel binding" in
    /// the sense of RFC 5802 §6.
    pub fn can_bind(&self) -> bool {
        ChannelBindingType::ALL
            .into_iter()
            .any(|kind| self.binding(kind).is_some())
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

    #[test]
    fn tls_unique_is_ignored_on_tls13() {
        let tls = TlsInfo::new(TlsVersion::Tls13).with_binding(ChannelBindingType::TlsUnique, [1]);
        assert!(tls.binding(ChannelBindingType::TlsUnique).is_none());
        assert!(!tls.can_bind());
        let tls = TlsInfo::new(TlsVersion::Tls12).with_binding(ChannelBindingType::TlsUnique, [1]);
        assert!(tls.can_bind());
    }
}
