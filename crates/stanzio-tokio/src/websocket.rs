//! XMPP over WebSocket (RFC 7395) through tokio-tungstenite: the client
//! transport and the server accept helper. Each machine output is one
//! text message, each message one machine input (RFC 7395 §3.2).

use std::sync::Arc;

use stanzio_blocking::srv::{Endpoint, split_host_port};
use stanzio_blocking::{Acceptor, Connector, OsRng};
use stanzio_stream::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, Transport};
use stanzio_stream::{ServerTls, TlsMode};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{self, HeaderValue, header};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::Error;
use crate::link::{ByteStream, Link, Pump, now, ws_error};
use crate::server::{Accounts, ServerSession};

/// The WebSocket subprotocol of RFC 7395 §3.1.
pub const SUBPROTOCOL: &str = "xmpp";

/// The largest WebSocket message accepted. The machines' own limits are
/// smaller (stanzio-xml `Limits`); this bounds what tungstenite buffers
/// before they see it.
const MAX_MESSAGE: usize = 1024 * 1024;

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        message.into(),
    ))
}

/// A `ws://` or `wss://` URL taken apart.
#[derive(Debug, PartialEq, Eq)]
struct Url {
    secure: bool,
    host: String,
    port: u16,
}

fn parse_url(url: &str) -> Result<Url, Error> {
    let (secure, rest) = if let Some(rest) = url.strip_prefix("wss://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("ws://") {
        (false, rest)
    } else {
        return Err(invalid(format!("not a ws:// or wss:// URL: {url}")));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = split_host_port(authority);
    if host.is_empty() {
        return Err(invalid(format!("no host in {url}")));
    }
    Ok(Url {
        secure,
        host,
        port: port.unwrap_or(if secure { 443 } else { 80 }),
    })
}

/// Opens a WebSocket to `url` and builds the client machine on it. With
/// `wss://` the certificate is checked against the URL's host, as for any
/// HTTPS request; with `ws://` there is no TLS, and the configuration must
/// say [`TlsMode::DangerousPlaintext`] or the machine refuses the stream.
pub(crate) async fn open_client(
    config: ClientConfig,
    url: &str,
    domain: &str,
    connector: &Connector,
) -> Result<(Pump, ClientConnection, Endpoint), Error> {
    let parsed = parse_url(url)?;
    let endpoint = Endpoint {
        host: parsed.host.clone(),
        port: parsed.port,
        direct_tls: parsed.secure,
    };
    tracing::debug!(url, domain, "connecting over WebSocket");
    let socket = TcpStream::connect((parsed.host.as_str(), parsed.port))
        .await
        .map_err(|source| Error::Connect {
            endpoint: endpoint.to_string(),
            source,
        })?;
    socket.set_nodelay(true)?;
    let config = config.with_transport(Transport::WebSocket);
    let (stream, info): (Box<dyn ByteStream>, _) = if parsed.secure {
        let name = Connector::server_name(&parsed.host)?;
        let tls = tokio_rustls::TlsConnector::from(connector.websocket_config());
        let stream = tls.connect(name, socket).await.map_err(Error::Tls)?;
        let info = connector.session_info(stream.get_ref().1);
        (Box::new(stream), Some(info))
    } else {
        (Box::new(socket), None)
    };
    let mut request = url
        .into_client_request()
        .map_err(|error| Error::Io(ws_error(error)))?;
    request.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(SUBPROTOCOL),
    );
    let (socket, response) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config()))
            .await
            .map_err(|error| Error::Io(ws_error(error)))?;
    // RFC 7395 §3.1: a server that did not agree to "xmpp" does not speak it.
    if !offers_xmpp(response.headers()) {
        return Err(invalid(
            "the server did not accept the WebSocket subprotocol \"xmpp\"",
        ));
    }
    let machine = match info {
        Some(info) => {
            let mut machine = ClientConnection::new(config.with_tls(TlsMode::DirectTls), now())?;
            machine.tls_established(now(), info)?;
            machine
        }
        None => ClientConnection::new(config, now())?,
    };
    Ok((
        Pump::new(Link::WebSocket(Box::new(socket))),
        machine,
        endpoint,
    ))
}

/// Whether a `Sec-WebSocket-Protocol` header lists `xmpp`.
fn offers_xmpp(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|protocol| protocol.trim() == SUBPROTOCOL)
}

/// Accepts an XMPP-over-WebSocket client (RFC 7395): the TLS handshake
/// when `tls` is given (`wss://`), the WebSocket handshake with the `xmpp`
/// subprotocol (a client that does not ask for it is refused with 400),
/// then the session. Without `tls` (a TLS-terminating proxy in front),
/// `config` must say [`ServerTls::DangerousPlaintext`]: the machine then
/// offers no `-PLUS` and no PLAIN.
///
/// # Errors
///
/// [`Error::Tls`] or [`Error::Io`] when a handshake fails.
pub async fn accept_websocket<A: Accounts>(
    socket: TcpStream,
    config: ServerConfig,
    tls: Option<&Acceptor>,
    accounts: Arc<A>,
) -> Result<ServerSession, Error> {
    let peer = socket.peer_addr().ok();
    let _ = socket.set_nodelay(true);
    let config = config.with_transport(Transport::WebSocket);
    let (stream, info): (Box<dyn ByteStream>, _) = match tls {
        Some(tls) => {
            let (stream, info) = crate::handshake::accept(tls, socket)
                .await
                .map_err(Error::Tls)?;
            (Box::new(stream), Some(info))
        }
        None => (Box::new(socket), None),
    };
    // The refusal type is tungstenite's, as its `Callback` wants it.
    #[allow(clippy::result_large_err)]
    let check = |request: &Request, mut response: Response| {
        if offers_xmpp(request.headers()) {
            response.headers_mut().insert(
                header::SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_static(SUBPROTOCOL),
            );
            Ok(response)
        } else {
            let mut refusal = ErrorResponse::new(Some(
                "the WebSocket subprotocol \"xmpp\" is required (RFC 7395)".to_owned(),
            ));
            *refusal.status_mut() = http::StatusCode::BAD_REQUEST;
            Err(refusal)
        }
    };
    let socket = tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(ws_config()))
        .await
        .map_err(|error| Error::Io(ws_error(error)))?;
    let machine = match info {
        Some(info) => {
            let mut machine =
                ServerConnection::new(config.with_tls(ServerTls::DirectTls), OsRng::new(), now());
            if let Err(error) = machine.tls_established(now(), info) {
                tracing::debug!(%error, "the machine did not expect TLS");
            }
            machine
        }
        None => ServerConnection::new(config, OsRng::new(), now()),
    };
    Ok(crate::server::spawn(
        machine,
        Link::WebSocket(Box::new(socket)),
        None,
        accounts,
        peer,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_scheme_host_and_port() {
        assert_eq!(
            parse_url("wss://example.com/xmpp-websocket").unwrap(),
            Url {
                secure: true,
                host: "example.com".into(),
                port: 443
            }
        );
        assert_eq!(
            parse_url("ws://[::1]:5280/ws?x=1").unwrap(),
            Url {
                secure: false,
                host: "::1".into(),
                port: 5280
            }
        );
        assert!(parse_url("https://example.com/").is_err());
        assert!(parse_url("wss:///path").is_err());
    }

    #[test]
    fn the_xmpp_subprotocol_is_found_in_a_list() {
        let mut headers = http::HeaderMap::new();
        assert!(!offers_xmpp(&headers));
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("mqtt, xmpp"),
        );
        assert!(offers_xmpp(&headers));
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("xmpp-ish"),
        );
        assert!(!offers_xmpp(&headers));
    }
}
