//! What can go wrong in an adapter, convertible to [`std::io::Error`].

use std::io;

use stanzio_stream::{ConfigError, ConnectionError, SendError};

use crate::srv::ServiceUnavailable;
use crate::tls::TlsSetupError;

/// Why connecting, sending or closing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No endpoint of the domain could be reached (the last attempt's
    /// error).
    #[error("connecting to {endpoint}: {source}")]
    Connect {
        /// The endpoint tried last.
        endpoint: String,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// The domain publishes no XMPP client service (RFC 2782 target `.`).
    #[error(transparent)]
    ServiceUnavailable(#[from] ServiceUnavailable),
    /// The TLS handshake failed: a certificate that does not verify or is
    /// not for the domain, no common version, a peer without the extended
    /// master secret on TLS 1.2. [`Error::tls`] gives the rustls reason.
    #[error("TLS handshake: {0}")]
    Tls(#[source] io::Error),
    /// The socket failed.
    #[error("I/O: {0}")]
    Io(#[from] io::Error),
    /// The connection machine ended the stream (a protocol error, a
    /// refused login, a timeout).
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The stream closed cleanly before the session was online.
    #[error("the stream closed before the session was online")]
    ClosedBeforeOnline,
    /// A stanza could not be sent (a caller error: nothing changed).
    #[error(transparent)]
    Send(#[from] SendError),
    /// The client configuration cannot work.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// TLS material cannot be used.
    #[error(transparent)]
    TlsSetup(#[from] TlsSetupError),
}

impl Error {
    /// The rustls error behind a failed handshake, if that is what this is.
    pub fn tls(&self) -> Option<&rustls::Error> {
        match self {
            Error::Tls(error) | Error::Io(error) | Error::Connect { source: error, .. } => error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
            _ => None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(error: Error) -> Self {
        let kind = match &error {
            Error::Connect { source, .. } => source.kind(),
            Error::Io(source) => source.kind(),
            Error::ServiceUnavailable(_) => io::ErrorKind::NotFound,
            Error::Tls(_) => io::ErrorKind::InvalidData,
            Error::Connection(ConnectionError::AuthenticationFailed(_))
            | Error::Connection(ConnectionError::HandshakeRefused) => {
                io::ErrorKind::PermissionDenied
            }
            Error::Connection(ConnectionError::Timeout(_)) => io::ErrorKind::TimedOut,
            Error::Connection(ConnectionError::UnexpectedEof) | Error::ClosedBeforeOnline => {
                io::ErrorKind::UnexpectedEof
            }
            Error::Connection(_) => io::ErrorKind::InvalidData,
            Error::Send(SendError::Closed) => io::ErrorKind::NotConnected,
            Error::Send(SendError::QueueFull) => io::ErrorKind::WouldBlock,
            Error::Send(_) | Error::Config(_) | Error::TlsSetup(_) => io::ErrorKind::InvalidInput,
        };
        match error {
            Error::Io(source) => source,
            other => io::Error::new(kind, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_kind_as_io_errors() {
        let cases: Vec<(Error, io::ErrorKind)> = vec![
            (
                Error::Connection(ConnectionError::HandshakeRefused),
                io::ErrorKind::PermissionDenied,
            ),
            (
                Error::Connection(ConnectionError::Timeout("SASL")),
                io::ErrorKind::TimedOut,
            ),
            (
                Error::Connection(ConnectionError::TlsNotOffered),
                io::ErrorKind::InvalidData,
            ),
            (Error::Send(SendError::Closed), io::ErrorKind::NotConnected),
            (Error::Send(SendError::QueueFull), io::ErrorKind::WouldBlock),
            (
                Error::ServiceUnavailable(ServiceUnavailable),
                io::ErrorKind::NotFound,
            ),
            (
                Error::Io(io::Error::from(io::ErrorKind::ConnectionReset)),
                io::ErrorKind::ConnectionReset,
            ),
            (Error::ClosedBeforeOnline, io::ErrorKind::UnexpectedEof),
        ];
        for (error, kind) in cases {
            let text = error.to_string();
            let io_error = io::Error::from(error);
            assert_eq!(io_error.kind(), kind, "{text}");
        }
    }

    #[test]
    fn the_rustls_reason_of_a_handshake_failure_is_reachable() {
        let reason = rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName);
        let error = Error::Tls(io::Error::new(io::ErrorKind::InvalidData, reason.clone()));
        assert_eq!(error.tls(), Some(&reason));
        assert_eq!(Error::ClosedBeforeOnline.tls(), None);
    }
}
