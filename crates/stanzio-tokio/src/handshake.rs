//! The TLS handshakes on tokio sockets, reading each finished session
//! into the [`TlsInfo`] the machines take.

use std::io;
use std::time::Duration;

use stanzio_blocking::{Acceptor, Connector};
use stanzio_sasl::TlsInfo;
use tokio::net::TcpStream;

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

async fn within<T>(future: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, future)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the TLS handshake timed out"))?
}

/// The client handshake, the certificate checked against `domain`.
pub(crate) async fn connect(
    connector: &Connector,
    domain: &str,
    socket: TcpStream,
    direct_tls: bool,
) -> io::Result<(tokio_rustls::client::TlsStream<TcpStream>, TlsInfo)> {
    let name = Connector::server_name(domain)?;
    let tls = tokio_rustls::TlsConnector::from(connector.config(direct_tls));
    let stream = within(tls.connect(name, socket)).await?;
    let info = connector.session_info(stream.get_ref().1);
    tracing::debug!(version = ?info.version, "TLS established");
    Ok((stream, info))
}

/// The server handshake.
pub(crate) async fn accept<S>(
    acceptor: &Acceptor,
    socket: S,
) -> io::Result<(tokio_rustls::server::TlsStream<S>, TlsInfo)>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let tls = tokio_rustls::TlsAcceptor::from(acceptor.config());
    let stream = within(tls.accept(socket)).await?;
    let info = acceptor.session_info(stream.get_ref().1);
    tracing::debug!(version = ?info.version, "TLS established");
    Ok((stream, info))
}
