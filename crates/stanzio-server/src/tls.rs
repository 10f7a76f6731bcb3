//! The server's certificate: the configured files, or, when none are
//! configured, a CA and a leaf generated at start (with a warning); `run`
//! prints the CA so that clients can be told to trust it.

use std::path::Path;

use stanzio_tokio::tls::{Acceptor, ServerTlsSettings};

use crate::config::Config;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A configured file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate or key is not usable.
    #[error("the certificate or key is not usable: {0}")]
    Unusable(String),
    /// Generating a certificate failed.
    #[error("generating a certificate failed: {0}")]
    Generate(#[from] rcgen::Error),
}

/// A CA and a server certificate it signed, made at start.
#[derive(Debug, Clone)]
pub struct GeneratedCertificate {
    /// The CA certificate, PEM: what clients must trust.
    pub ca_pem: String,
    /// The server certificate, PEM.
    pub chain_pem: String,
    /// The server key, PEM.
    pub key_pem: String,
}

impl GeneratedCertificate {
    /// A fresh CA (ECDSA P-256) and a leaf for `domains`. webpki refuses a
    /// self-signed CA as a server certificate, hence the two.
    ///
    /// # Errors
    ///
    /// [`TlsError::Generate`].
    pub fn new(domains: &[String]) -> Result<Self, TlsError> {
        let algorithm = &rcgen::PKCS_ECDSA_P256_SHA256;
        let ca_key = rcgen::KeyPair::generate_for(algorithm)?;
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "stanzio-server generated CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca = ca_params.self_signed(&ca_key)?;
        let leaf_key = rcgen::KeyPair::generate_for(algorithm)?;
        let mut leaf_params = rcgen::CertificateParams::new(domains.to_vec())?;
        leaf_params.is_ca = rcgen::IsCa::ExplicitNoCa;
        leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let leaf = leaf_params.signed_by(&leaf_key, &issuer)?;
        Ok(GeneratedCertificate {
            ca_pem: ca.pem(),
            chain_pem: leaf.pem(),
            key_pem: leaf_key.serialize_pem(),
        })
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// The TLS acceptor of `config`, and the generated certificate when the
/// configuration names none.
///
/// # Errors
///
/// A [`TlsError`].
pub fn acceptor(config: &Config) -> Result<(Acceptor, Option<GeneratedCertificate>), TlsError> {
    let (chain, key, generated) = match (&config.tls.certificate, &config.tls.key) {
        (Some(certificate), Some(key)) => (read(certificate)?, read(key)?, None),
        _ => {
            let generated = GeneratedCertificate::new(&config.domains)?;
            (
                generated.chain_pem.clone().into_bytes(),
                generated.key_pem.clone().into_bytes(),
                Some(generated),
            )
        }
    };
    let acceptor = ServerTlsSettings::from_pem(&chain, &key)
        .and_then(ServerTlsSettings::build)
        .map_err(|error| TlsError::Unusable(error.to_string()))?;
    Ok((acceptor, generated))
}
