//! TLS for XMPP streams with rustls (ring provider), shared by every
//! stanzio adapter: the client's [`Connector`] and the server's
//! [`Acceptor`], and the [`TlsInfo`] a finished handshake hands to the
//! connection machine.
//!
//! # Trust
//!
//! [`ClientTlsSettings::new`] trusts the Mozilla root program as compiled
//! into `webpki-roots`: the same list on every platform, with no
//! dependence on what the host has installed, which keeps a client's
//! behaviour reproducible. Add a private CA with
//! [`ClientTlsSettings::add_ca_pem`] (a self-signed server), or bring any
//! rustls configuration (for example with `rustls-platform-verifier`) with
//! [`Connector::from_rustls`]. The name checked is the JID's domain (RFC
//! 6125 §6, RFC 7590 §3.2), never the host an SRV record pointed to.
//!
//! # Channel binding
//!
//! A finished handshake gives the machine:
//! - `tls-exporter` (RFC 9266 §2): 32 bytes of exported keying material
//!   with the label `EXPORTER-Channel-Binding` and an empty context. On TLS
//!   1.2 it is only defined with the extended master secret (RFC 7627),
//!   which rustls does not report per session: the configurations built
//!   here set rustls' `require_ems`, so that every TLS 1.2 session has it
//!   and a peer without it is refused at the handshake.
//! - `tls-server-end-point` (RFC 5929 §4.1): the hash of the server's
//!   certificate, see [`crate::tls_server_end_point`].
//! - No `tls-unique` (RFC 5929 §3): rustls does not expose the TLS 1.2
//!   Finished message it needs (and it is undefined on TLS 1.3, RFC 8446
//!   §C.5), so SCRAM `-PLUS` uses one of the two types above.
//!
//! Server side, a client certificate verified against the configured
//! roots is reported for SASL EXTERNAL (XEP-0178).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ProtocolVersion, RootCertStore, SupportedProtocolVersion};
use stanzio_sasl::{ChannelBindingType, ClientCertificate, TlsInfo, TlsVersion};

use crate::end_point::tls_server_end_point;

/// The ALPN protocol of a direct TLS client connection (XEP-0368 §3).
pub const ALPN_XMPP_CLIENT: &[u8] = b"xmpp-client";

/// The RFC 9266 §2 exporter label.
const EXPORTER_LABEL: &[u8] = b"EXPORTER-Channel-Binding";

/// TLS material that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// The PEM input holds no certificate.
    #[error("no certificate found in the PEM input")]
    NoCertificate,
    /// The PEM input could not be read.
    #[error("PEM: {0}")]
    Pem(#[from] rustls::pki_types::pem::Error),
    /// rustls refused the material (a key that does not match, an unusable
    /// CA certificate, protocol versions the provider lacks).
    #[error("rustls: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client-certificate verifier could not be built.
    #[error("client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

impl From<TlsSetupError> for std::io::Error {
    fn from(error: TlsSetupError) -> Self {
        match error {
            TlsSetupError::Io { source, .. } => source,
            other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other),
        }
    }
}

/// The ring provider, the one these configurations are built on.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_file(path: &Path) -> Result<Vec<u8>, TlsSetupError> {
    std::fs::read(path).map_err(|source| TlsSetupError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Every certificate in a PEM input.
///
/// # Errors
///
/// [`TlsSetupError::Pem`] for unreadable PEM, [`TlsSetupError::NoCertificate`]
/// when there is none.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let certificates = CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>()?;
    if certificates.is_empty() {
        return Err(TlsSetupError::NoCertificate);
    }
    Ok(certificates)
}

/// The first private key in a PEM input (PKCS#8, PKCS#1 or SEC1).
///
/// # Errors
///
/// [`TlsSetupError::Pem`] when there is none or it cannot be read.
pub fn private_key_from_pem(pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    Ok(PrivateKeyDer::from_pem_slice(pem)?)
}

/// What a client trusts and presents; [`build`](Self::build) makes the
/// [`Connector`].
#[derive(Debug, Clone)]
pub struct ClientTlsSettings {
    roots: RootCertStore,
    client_certificate: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    versions: Vec<&'static SupportedProtocolVersion>,
}

impl Default for ClientTlsSettings {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientTlsSettings {
    /// The webpki (Mozilla) roots, TLS 1.2 and 1.3, no client certificate.
    pub fn new() -> Self {
        let mut settings = Self::without_default_roots();
        settings
            .roots
            .extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        settings
    }

    /// No trusted root at all: only the CAs added with
    /// [`add_ca_pem`](Self::add_ca_pem) (a private deployment, tests).
    pub fn without_default_roots() -> Self {
        ClientTlsSettings {
            roots: RootCertStore::empty(),
            client_certificate: None,
            versions: rustls::ALL_VERSIONS.to_vec(),
        }
    }

    /// Also trusts the CA certificates in `pem` (for a server with a
    /// self-signed or private-CA certificate).
    ///
    /// # Errors
    ///
    /// A [`TlsSetupError`] when the PEM holds no usable CA certificate.
    pub fn add_ca_pem(mut self, pem: &[u8]) -> Result<Self, TlsSetupError> {
        for certificate in certificates_from_pem(pem)? {
            self.roots.add(certificate)?;
        }
        Ok(self)
    }

    /// As [`add_ca_pem`](Self::add_ca_pem), from a file.
    ///
    /// # Errors
    ///
    /// As [`add_ca_pem`](Self::add_ca_pem), or [`TlsSetupError::Io`].
    pub fn add_ca_file(self, path: impl AsRef<Path>) -> Result<Self, TlsSetupError> {
        let pem = read_file(path.as_ref())?;
        self.add_ca_pem(&pem)
    }

    /// Presents this certificate chain (leaf first) and key, for SASL
    /// EXTERNAL (XEP-0178).
    #[must_use]
    pub fn with_client_certificate(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.client_certificate = Some((chain, Arc::new(key)));
        self
    }

    /// Only these TLS versions (default: 1.3 and 1.2).
    #[must_use]
    pub fn with_protocol_versions(
        mut self,
        versions: &[&'static SupportedProtocolVersion],
    ) -> Self {
        self.versions = versions.to_vec();
        self
    }

    /// Builds the rustls configuration.
    ///
    /// # Errors
    ///
    /// [`TlsSetupError::Rustls`] for a client key that does not fit its
    /// certificate or versions the provider lacks.
    pub fn build(self) -> Result<Connector, TlsSetupError> {
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&self.versions)?
            .with_root_certificates(self.roots);
        let mut config = match self.client_certificate {
            Some((chain, key)) => builder.with_client_auth_cert(chain, key.clone_key())?,
            None => builder.with_no_client_auth(),
        };
        // RFC 9266 §2: tls-exporter on TLS 1.2 needs the extended master
        // secret, and rustls only tells whether it is required.
        config.require_ems = true;
        Ok(Connector::from_rustls(Arc::new(config)))
    }
}

/// The client side of TLS: the rustls configuration for STARTTLS and for
/// direct TLS (the same with the XEP-0368 ALPN value), and the reading of
/// a finished session into [`TlsInfo`].
#[derive(Debug, Clone)]
pub struct Connector {
    starttls: Arc<rustls::ClientConfig>,
    direct: Arc<rustls::ClientConfig>,
}

impl Connector {
    /// Uses a rustls configuration as given (its roots, verifier, versions).
    /// tls-exporter is offered on TLS 1.2 only if it sets `require_ems`
    /// (see the module documentation).
    pub fn from_rustls(config: Arc<rustls::ClientConfig>) -> Self {
        let mut direct = (*config).clone();
        direct.alpn_protocols = vec![ALPN_XMPP_CLIENT.to_vec()];
        Connector {
            starttls: config,
            direct: Arc::new(direct),
        }
    }

    /// The configuration for a connection: `direct_tls` adds the ALPN value
    /// `xmpp-client` (XEP-0368 §3).
    pub fn config(&self, direct_tls: bool) -> Arc<rustls::ClientConfig> {
        if direct_tls {
            self.direct.clone()
        } else {
            self.starttls.clone()
        }
    }

    /// A rustls configuration for `wss://` (RFC 7395): the same trust,
    /// with the ALPN value `http/1.1` the WebSocket handshake speaks.
    pub fn websocket_config(&self) -> Arc<rustls::ClientConfig> {
        let mut config = (*self.starttls).clone();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// The name the server certificate must carry: the JID's domain (RFC
    /// 7590 §3.2, RFC 6125 §6.2.1), also sent as SNI.
    ///
    /// # Errors
    ///
    /// When the domain is neither a DNS name nor an IP address.
    pub fn server_name(domain: &str) -> std::io::Result<ServerName<'static>> {
        ServerName::try_from(domain.to_owned())
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))
    }

    /// What the finished session `connection` offers the machine:
    /// the version, and tls-exporter and tls-server-end-point data.
    pub fn session_info(&self, connection: &rustls::ClientConnection) -> TlsInfo {
        let leaf = connection
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|certificate| certificate.as_ref());
        session_info(connection, self.starttls.require_ems, leaf, ALL_BINDINGS)
    }
}

const ALL_BINDINGS: &[ChannelBindingType] = &[
    ChannelBindingType::TlsExporter,
    ChannelBindingType::TlsServerEndPoint,
];

/// The server's certificate, key and client-certificate policy;
/// [`build`](Self::build) makes the [`Acceptor`].
#[derive(Debug)]
pub struct ServerTlsSettings {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_roots: Option<RootCertStore>,
    versions: Vec<&'static SupportedProtocolVersion>,
    bindings: Vec<ChannelBindingType>,
}

impl ServerTlsSettings {
    /// Serves this chain (leaf first) with this key; TLS 1.2 and 1.3; no
    /// client certificates; both channel-binding types.
    pub fn new(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Self {
        ServerTlsSettings {
            chain,
            key,
            client_roots: None,
            versions: rustls::ALL_VERSIONS.to_vec(),
            bindings: ALL_BINDINGS.to_vec(),
        }
    }

    /// As [`new`](Self::new), from PEM (the chain, and the key).
    ///
    /// # Errors
    ///
    /// A [`TlsSetupError`] when either cannot be read.
    pub fn from_pem(chain: &[u8], key: &[u8]) -> Result<Self, TlsSetupError> {
        Ok(Self::new(
            certificates_from_pem(chain)?,
            private_key_from_pem(key)?,
        ))
    }

    /// As [`from_pem`](Self::from_pem), from files.
    ///
    /// # Errors
    ///
    /// As [`from_pem`](Self::from_pem), or [`TlsSetupError::Io`].
    pub fn from_pem_files(
        chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, TlsSetupError> {
        Self::from_pem(&read_file(chain.as_ref())?, &read_file(key.as_ref())?)
    }

    /// Asks for a client certificate and verifies it against `roots`; a
    /// client without one may still log in otherwise. A verified one is
    /// reported to the machine for SASL EXTERNAL (XEP-0178).
    #[must_use]
    pub fn with_client_certificates(mut self, roots: RootCertStore) -> Self {
        self.client_roots = Some(roots);
        self
    }

    /// Only these TLS versions (default: 1.3 and 1.2).
    #[must_use]
    pub fn with_protocol_versions(
        mut self,
        versions: &[&'static SupportedProtocolVersion],
    ) -> Self {
        self.versions = versions.to_vec();
        self
    }

    /// Which channel-binding types are handed to the machine, and so
    /// advertised (XEP-0440) and accepted for `-PLUS`. Default both.
    #[must_use]
    pub fn with_channel_bindings(mut self, types: &[ChannelBindingType]) -> Self {
        self.bindings = types.to_vec();
        self
    }

    /// Builds the rustls configuration.
    ///
    /// # Errors
    ///
    /// [`TlsSetupError`] for a key that does not fit the certificate, or
    /// unusable client roots.
    pub fn build(self) -> Result<Acceptor, TlsSetupError> {
        let provider = provider();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&self.versions)?;
        let builder = match self.client_roots {
            Some(roots) => {
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .allow_unauthenticated()
                .build()?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let end_point = self
            .chain
            .first()
            .and_then(|leaf| tls_server_end_point(leaf.as_ref()));
        let mut config = builder.with_single_cert(self.chain, self.key)?;
        // See the module documentation: tls-exporter on TLS 1.2.
        config.require_ems = true;
        Ok(Acceptor {
            config: Arc::new(config),
            end_point,
            bindings: self.bindings,
        })
    }
}

/// The server side of TLS: the rustls configuration and the reading of a
/// finished session into [`TlsInfo`].
#[derive(Debug, Clone)]
pub struct Acceptor {
    config: Arc<rustls::ServerConfig>,
    /// The tls-server-end-point data of our own certificate.
    end_point: Option<Vec<u8>>,
    bindings: Vec<ChannelBindingType>,
}

impl Acceptor {
    /// The rustls configuration.
    pub fn config(&self) -> Arc<rustls::ServerConfig> {
        self.config.clone()
    }

    /// What the finished session `connection` offers the machine: version,
    /// channel-binding data, and the client certificate if one was
    /// presented (rustls refuses the handshake when one fails verification,
    /// so a presented one is verified).
    pub fn session_info(&self, connection: &rustls::ServerConnection) -> TlsInfo {
        let mut info = session_info(connection, self.config.require_ems, None, &self.bindings);
        if self
            .bindings
            .contains(&ChannelBindingType::TlsServerEndPoint)
            && let Some(end_point) = &self.end_point
        {
            info = info.with_binding(ChannelBindingType::TlsServerEndPoint, end_point.clone());
        }
        if let Some(leaf) = connection.peer_certificates().and_then(|c| c.first()) {
            info = info.with_client_certificate(ClientCertificate::verified(leaf.as_ref()));
        }
        info
    }
}

/// The common part of [`TlsInfo`]: version, extended master secret,
/// tls-exporter, and tls-server-end-point from `server_leaf`.
fn session_info<D>(
    connection: &rustls::ConnectionCommon<D>,
    ems_required: bool,
    server_leaf: Option<&[u8]>,
    bindings: &[ChannelBindingType],
) -> TlsInfo {
    let version = match connection.protocol_version() {
        Some(ProtocolVersion::TLSv1_3) => TlsVersion::Tls13,
        Some(ProtocolVersion::TLSv1_1) => TlsVersion::Tls11,
        Some(ProtocolVersion::TLSv1_0) => TlsVersion::Tls10,
        _ => TlsVersion::Tls12,
    };
    let mut info = TlsInfo::new(version);
    if version == TlsVersion::Tls12 && ems_required {
        info = info.with_extended_master_secret();
    }
    if bindings.contains(&ChannelBindingType::TlsExporter)
        && let Ok(exported) =
            connection.export_keying_material([0u8; 32], EXPORTER_LABEL, Some(&[]))
    {
        info = info.with_binding(ChannelBindingType::TlsExporter, exported);
    }
    if bindings.contains(&ChannelBindingType::TlsServerEndPoint)
        && let Some(end_point) = server_leaf.and_then(tls_server_end_point)
    {
        info = info.with_binding(ChannelBindingType::TlsServerEndPoint, end_point);
    }
    info
}
