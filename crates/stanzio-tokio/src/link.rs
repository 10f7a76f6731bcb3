//! The transport under one stream: TCP, TCP with TLS, or a WebSocket
//! (RFC 7395), and the pumping both roles share.

use std::io;
use std::time::Instant;

use stanzio_stream::{ClientConnection, ServerConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Any byte stream a WebSocket can run on (plain TCP or TLS).
#[cfg(feature = "websocket")]
pub(crate) trait ByteStream:
    tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send
{
}

#[cfg(feature = "websocket")]
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> ByteStream for T {}

#[cfg(feature = "websocket")]
pub(crate) type WebSocket = tokio_tungstenite::WebSocketStream<Box<dyn ByteStream>>;

/// The socket under a stream.
pub(crate) enum Link {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::TlsStream<TcpStream>>),
    #[cfg(feature = "websocket")]
    WebSocket(Box<WebSocket>),
    /// Closed, failed, or taken for a TLS upgrade.
    Gone,
}

/// What one read gave.
pub(crate) enum Read {
    /// Bytes (or one whole WebSocket message) were appended to the input.
    Data,
    /// The peer closed the transport.
    Closed,
}

/// Size of one socket read.
const READ_SIZE: usize = 16 * 1024;

impl Link {
    /// Whether each machine output and input is one WebSocket message.
    pub(crate) fn is_message_framed(&self) -> bool {
        #[cfg(feature = "websocket")]
        if matches!(self, Link::WebSocket(_)) {
            return true;
        }
        false
    }

    /// Reads once, appending to `input`. Cancel-safe: `input` changes only
    /// when the read completes; `scratch` is this link's read buffer.
    pub(crate) async fn read(
        &mut self,
        scratch: &mut [u8],
        input: &mut Vec<u8>,
    ) -> io::Result<Read> {
        let n = match self {
            Link::Plain(socket) => socket.read(scratch).await?,
            Link::Tls(stream) => stream.read(scratch).await?,
            #[cfg(feature = "websocket")]
            Link::WebSocket(socket) => return read_message(socket, input).await,
            Link::Gone => 0,
        };
        match scratch.get(..n) {
            Some(bytes) if n > 0 => {
                input.extend_from_slice(bytes);
                Ok(Read::Data)
            }
            _ => Ok(Read::Closed),
        }
    }

    /// Writes one machine output (on a WebSocket, one text message).
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Link::Plain(socket) => socket.write_all(bytes).await,
            Link::Tls(stream) => {
                stream.write_all(bytes).await?;
                stream.flush().await
            }
            #[cfg(feature = "websocket")]
            Link::WebSocket(socket) => {
                use futures_util::SinkExt;
                // The machines write XML, which is UTF-8 (RFC 7395 §3.2:
                // text frames).
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
                socket
                    .send(tokio_tungstenite::tungstenite::Message::text(text))
                    .await
                    .map_err(ws_error)
            }
            Link::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    /// Ends the transport: TLS `close_notify`, the WebSocket close frame,
    /// then the TCP stream.
    pub(crate) async fn shutdown(&mut self) {
        match self {
            Link::Plain(socket) => {
                let _ = socket.shutdown().await;
            }
            Link::Tls(stream) => {
                let _ = stream.shutdown().await;
            }
            #[cfg(feature = "websocket")]
            Link::WebSocket(socket) => {
                let _ = socket.close(None).await;
            }
            Link::Gone => {}
        }
        *self = Link::Gone;
    }
}

#[cfg(feature = "websocket")]
pub(crate) fn ws_error(error: tokio_tungstenite::tungstenite::Error) -> io::Error {
    use tokio_tungstenite::tungstenite::Error;
    match error {
        Error::Io(error) => error,
        Error::ConnectionClosed | Error::AlreadyClosed => io::ErrorKind::NotConnected.into(),
        other => io::Error::new(io::ErrorKind::InvalidData, other),
    }
}

/// Reads the next text message (RFC 7395 §3.2: XMPP messages are text
/// frames; pings are answered by tungstenite).
#[cfg(feature = "websocket")]
async fn read_message(socket: &mut WebSocket, input: &mut Vec<u8>) -> io::Result<Read> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        match socket.next().await {
            None | Some(Ok(Message::Close(_))) => return Ok(Read::Closed),
            Some(Ok(Message::Text(text))) => {
                input.extend_from_slice(text.as_bytes());
                return Ok(Read::Data);
            }
            Some(Ok(Message::Binary(_))) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a binary WebSocket message (RFC 7395 §3.2 allows text only)",
                ));
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(ws_error(error)),
        }
    }
}

/// The adapters read the clock; the machines never do. tokio's clock, so
/// that a paused test runtime moves the machines' time too.
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// What the pump needs from either machine.
pub(crate) trait Machine {
    /// Feeds input; `Err` when the machine failed (it reports why in its
    /// events).
    fn input(&mut self, now: Instant, bytes: &[u8]) -> Result<usize, ()>;
    fn transmit(&mut self, buf: &mut Vec<u8>) -> Option<usize>;
    fn closed(&self) -> bool;
}

impl Machine for ClientConnection {
    fn input(&mut self, now: Instant, bytes: &[u8]) -> Result<usize, ()> {
        self.handle_input(now, bytes).map_err(|error| {
            tracing::debug!(%error, "the stream failed");
        })
    }
    fn transmit(&mut self, buf: &mut Vec<u8>) -> Option<usize> {
        self.poll_transmit(buf)
    }
    fn closed(&self) -> bool {
        self.is_closed()
    }
}

impl Machine for ServerConnection {
    fn input(&mut self, now: Instant, bytes: &[u8]) -> Result<usize, ()> {
        self.handle_input(now, bytes).map_err(|error| {
            tracing::debug!(%error, "the client broke the stream");
        })
    }
    fn transmit(&mut self, buf: &mut Vec<u8>) -> Option<usize> {
        self.poll_transmit(buf)
    }
    fn closed(&self) -> bool {
        self.is_closed()
    }
}

/// The I/O half of a session: the link, input not yet consumed, output
/// not yet written.
pub(crate) struct Pump {
    pub(crate) link: Link,
    /// Bytes read (or the one message) the machine has not consumed.
    pub(crate) input: Vec<u8>,
    /// Machine output waiting to be written, one entry per message on a
    /// WebSocket, one concatenated entry otherwise.
    output: Vec<Vec<u8>>,
    buf: Vec<u8>,
    /// The socket read buffer.
    scratch: Box<[u8]>,
    /// Why the transport ended, if it failed.
    pub(crate) error: Option<io::Error>,
}

impl Pump {
    pub(crate) fn new(link: Link) -> Self {
        Pump {
            link,
            input: Vec::new(),
            output: Vec::new(),
            buf: Vec::new(),
            scratch: vec![0; READ_SIZE].into_boxed_slice(),
            error: None,
        }
    }

    /// Feeds waiting input to the machine; `true` if it took any. A
    /// WebSocket message is fed whole or not at all.
    pub(crate) fn feed(&mut self, machine: &mut impl Machine) -> bool {
        if self.input.is_empty() || machine.closed() {
            return false;
        }
        match machine.input(now(), &self.input) {
            Ok(consumed) => {
                self.input.drain(..consumed.min(self.input.len()));
                consumed > 0
            }
            Err(()) => {
                self.input.clear();
                true
            }
        }
    }

    /// Takes everything the machine has to send.
    pub(crate) fn collect_output(&mut self, machine: &mut impl Machine) {
        let framed = self.link.is_message_framed();
        while machine.transmit(&mut self.buf).is_some() {
            match self.output.last_mut() {
                Some(last) if !framed => last.extend_from_slice(&self.buf),
                _ => self.output.push(self.buf.clone()),
            }
        }
    }

    /// Writes what was collected. On failure the link is gone and the
    /// error kept; the caller tells the machine.
    pub(crate) async fn write_output(&mut self) -> Result<(), ()> {
        for chunk in std::mem::take(&mut self.output) {
            tracing::trace!(bytes = chunk.len(), "send");
            if let Err(error) = self.link.write(&chunk).await {
                tracing::debug!(%error, "writing failed");
                self.fail(error);
                return Err(());
            }
        }
        Ok(())
    }

    /// One read; on end or failure the link is gone and `false` returned.
    pub(crate) async fn read(&mut self) -> bool {
        match self.link.read(&mut self.scratch, &mut self.input).await {
            Ok(Read::Data) => true,
            Ok(Read::Closed) => {
                tracing::debug!("the peer closed the transport");
                self.link = Link::Gone;
                false
            }
            Err(error) => {
                tracing::debug!(%error, "reading failed");
                self.fail(error);
                false
            }
        }
    }

    pub(crate) fn fail(&mut self, error: io::Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
        self.link = Link::Gone;
    }

    /// Whether the link can still carry bytes.
    pub(crate) fn is_up(&self) -> bool {
        !matches!(self.link, Link::Gone)
    }

    /// Takes the plain TCP socket for a TLS upgrade (STARTTLS).
    pub(crate) fn take_plain(&mut self) -> Option<TcpStream> {
        match std::mem::replace(&mut self.link, Link::Gone) {
            Link::Plain(socket) => Some(socket),
            other => {
                self.link = other;
                None
            }
        }
    }
}
