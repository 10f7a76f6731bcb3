//! The server's one TOML file. Unknown keys and bad values are errors at
//! start, naming the key.
//!
//! ```toml
//! domains = ["example.com"]
//! storage = "/var/lib/stanzio/stanzio.sqlite"
//!
//! [tls]                      # omit both paths to generate a self-signed
//! certificate = "cert.pem"   # certificate at start (with a warning)
//! key = "key.pem"
//!
//! [listen]
//! c2s = "[::]:5222"          # STARTTLS (RFC 6120 §5)
//! direct_tls = "[::]:5223"   # XEP-0368
//! websocket = "[::]:5280"    # RFC 7395, at /xmpp-websocket
//! components = "127.0.0.1:5347"
//!
//! [[components]]             # XEP-0114
//! domain = "echo.example.com"
//! secret = "a long random secret"
//!
//! [limits]
//! max_stanza_bytes = 262144
//! max_connections = 10000
//! offline_messages = 100
//! idle_seconds = 300
//! negotiation_seconds = 60
//! login_failures_per_minute = 10
//!
//! [auth]
//! allow_plain = false
//! iterations = 10000
//! mechanisms = ["SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512", "SCRAM-SHA-256"]
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use stanzio_jid::BareJid;

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax, an unknown key or a value of the wrong type (the
    /// message names the key and the line).
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    /// A value of the right type that cannot work.
    #[error("`{key}`: {reason}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// Why.
        reason: String,
    },
}

/// The server configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The served domains.
    pub domains: Vec<String>,
    /// The SQLite database file.
    pub storage: PathBuf,
    /// Certificate and key.
    #[serde(default)]
    pub tls: TlsConfig,
    /// Where to listen.
    #[serde(default)]
    pub listen: Listen,
    /// External components.
    #[serde(default)]
    pub components: Vec<Component>,
    /// Limits.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Authentication policy.
    #[serde(default)]
    pub auth: AuthConfig,
}

/// `[tls]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain, leaf first.
    pub certificate: Option<PathBuf>,
    /// PEM private key.
    pub key: Option<PathBuf>,
}

/// `[listen]`: each listener is optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// Client connections with STARTTLS.
    pub c2s: Option<SocketAddr>,
    /// Client connections with direct TLS (XEP-0368).
    pub direct_tls: Option<SocketAddr>,
    /// XMPP over WebSocket (RFC 7395) at `/xmpp-websocket`.
    pub websocket: Option<SocketAddr>,
    /// External components (XEP-0114).
    pub components: Option<SocketAddr>,
}

impl Default for Listen {
    /// STARTTLS on 5222 and direct TLS on 5223, all addresses.
    fn default() -> Self {
        Listen {
            c2s: Some(SocketAddr::from(([0, 0, 0, 0], 5222))),
            direct_tls: Some(SocketAddr::from(([0, 0, 0, 0], 5223))),
            websocket: None,
            components: None,
        }
    }
}

/// `[[components]]`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// The component's domain.
    pub domain: String,
    /// The shared secret of the handshake.
    pub secret: String,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Component")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// `[limits]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest stanza a client may send (XEP-0478 `max-bytes`; RFC 6120
    /// §13.12 asks for at least 10000).
    pub max_stanza_bytes: usize,
    /// Connections open at once.
    pub max_connections: usize,
    /// Offline messages kept per account.
    pub offline_messages: usize,
    /// Seconds of silence before a client is checked.
    pub idle_seconds: u64,
    /// Seconds a connection may take from its first byte to being online
    /// (TLS, SASL, bind), however slowly it trickles bytes in: a slowloris
    /// then ends with `connection-timeout` (RFC 6120 §4.9.3.4).
    pub negotiation_seconds: u64,
    /// Failed logins per address and minute before further attempts wait.
    pub login_failures_per_minute: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_stanza_bytes: 256 * 1024,
            max_connections: 10_000,
            offline_messages: 100,
            idle_seconds: 300,
            negotiation_seconds: 60,
            login_failures_per_minute: 10,
        }
    }
}

/// `[auth]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Offer PLAIN (over TLS only). SCRAM-only by default.
    pub allow_plain: bool,
    /// PBKDF2 iterations of new password records (RFC 7677 §4: at least
    /// 4096).
    pub iterations: u32,
    /// The SASL mechanisms offered, strongest first. Default: every SCRAM
    /// hash with and without `-PLUS` (`-PLUS` is offered only where the TLS
    /// session gives binding data).
    pub mechanisms: Vec<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            allow_plain: false,
            iterations: 10_000,
            mechanisms: stanzio_sasl::Mechanism::ALL
                .into_iter()
                .filter(|m| matches!(m, stanzio_sasl::Mechanism::Scram { .. }))
                .map(|m| m.as_str().to_owned())
                .collect(),
        }
    }
}

impl AuthConfig {
    /// The configured SCRAM mechanisms (PLAIN is `allow_plain`'s).
    pub fn scram_mechanisms(&self) -> Vec<stanzio_sasl::Mechanism> {
        self.mechanisms
            .iter()
            .filter_map(|name| name.parse().ok())
            .filter(|m| matches!(m, stanzio_sasl::Mechanism::Scram { .. }))
            .collect()
    }
}

impl Config {
    /// Reads and checks `path`.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the key.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses and checks a configuration text.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the key.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text)?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.domains.is_empty() {
            return Err(invalid("domains", "serve at least one domain"));
        }
        for domain in &self.domains {
            let jid = BareJid::new(domain)
                .map_err(|error| invalid("domains", format!("{domain:?}: {error}")))?;
            if jid.node().is_some() || jid.as_str() != domain {
                return Err(invalid(
                    "domains",
                    format!("{domain:?} is not a prepared domain"),
                ));
            }
        }
        if self.tls.certificate.is_some() != self.tls.key.is_some() {
            return Err(invalid(
                "tls",
                "give both `certificate` and `key`, or neither",
            ));
        }
        for component in &self.components {
            let jid = BareJid::new(&component.domain)
                .map_err(|error| invalid("components.domain", error.to_string()))?;
            if jid.node().is_some() {
                return Err(invalid("components.domain", "a component is a domain"));
            }
            if component.secret.len() < 16 {
                return Err(invalid("components.secret", "use at least 16 characters"));
            }
        }
        if self.limits.max_stanza_bytes < 10_000 {
            return Err(invalid(
                "limits.max_stanza_bytes",
                "RFC 6120 §13.12 asks for at least 10000",
            ));
        }
        if self.limits.max_connections == 0 {
            return Err(invalid("limits.max_connections", "must not be zero"));
        }
        if self.limits.negotiation_seconds == 0 {
            return Err(invalid("limits.negotiation_seconds", "must not be zero"));
        }
        for name in &self.auth.mechanisms {
            let scram = name
                .parse::<stanzio_sasl::Mechanism>()
                .is_ok_and(|m| matches!(m, stanzio_sasl::Mechanism::Scram { .. }));
            if !scram {
                return Err(invalid(
                    "auth.mechanisms",
                    format!("{name:?} is not a SCRAM mechanism (PLAIN is `allow_plain`)"),
                ));
            }
        }
        if self.auth.scram_mechanisms().is_empty() {
            return Err(invalid(
                "auth.mechanisms",
                "offer at least one SCRAM mechanism",
            ));
        }
        if self.auth.iterations < 4096 {
            return Err(invalid(
                "auth.iterations",
                "RFC 7677 §4 asks for at least 4096",
            ));
        }
        let listeners = [
            self.listen.c2s,
            self.listen.direct_tls,
            self.listen.websocket,
            self.listen.components,
        ];
        if listeners.iter().all(Option::is_none) {
            return Err(invalid("listen", "no listener is configured"));
        }
        Ok(())
    }
}

fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "domains = [\"example.com\"]\nstorage = \"db.sqlite\"\n";

    #[test]
    fn a_minimal_file_gets_safe_defaults() {
        let config = Config::parse(MINIMAL).unwrap();
        assert!(!config.auth.allow_plain);
        assert_eq!(config.listen.c2s.unwrap().port(), 5222);
        assert_eq!(config.limits.max_stanza_bytes, 256 * 1024);
    }

    #[test]
    fn an_unknown_key_is_an_error_that_names_it() {
        let error =
            Config::parse(&format!("{MINIMAL}[auth]\nallow_plaintext = true\n")).unwrap_err();
        assert!(error.to_string().contains("allow_plaintext"), "{error}");
        let error = Config::parse(&format!("{MINIMAL}colour = 1\n")).unwrap_err();
        assert!(error.to_string().contains("colour"), "{error}");
    }

    #[test]
    fn bad_values_name_their_key() {
        for (extra, key) in [
            (
                "[limits]\nmax_stanza_bytes = 100\n",
                "limits.max_stanza_bytes",
            ),
            ("[auth]\niterations = 1000\n", "auth.iterations"),
            ("[auth]\nmechanisms = [\"DIGEST-MD5\"]\n", "auth.mechanisms"),
            ("[auth]\nmechanisms = []\n", "auth.mechanisms"),
            ("[tls]\ncertificate = \"c.pem\"\n", "tls"),
            (
                "[limits]\nnegotiation_seconds = 0\n",
                "limits.negotiation_seconds",
            ),
            (
                "[[components]]\ndomain = \"a@b\"\nsecret = \"0123456789abcdef\"\n",
                "components.domain",
            ),
            (
                "[[components]]\ndomain = \"c.example.com\"\nsecret = \"short\"\n",
                "components.secret",
            ),
        ] {
            let error = Config::parse(&format!("{MINIMAL}{extra}")).unwrap_err();
            assert!(error.to_string().contains(key), "{extra}: {error}");
        }
        let error = Config::parse("domains = [\"Example.COM\"]\nstorage = \"x\"\n").unwrap_err();
        assert!(error.to_string().contains("domains"), "{error}");
        let error = Config::parse("domains = []\nstorage = \"x\"\n").unwrap_err();
        assert!(error.to_string().contains("domains"), "{error}");
        let error =
            Config::parse(&format!("{MINIMAL}[limits]\nmax_connections = \"many\"\n")).unwrap_err();
        assert!(error.to_string().contains("max_connections"), "{error}");
    }
}
