//! [`Client`]: a [`ClientConnection`] on a blocking TCP socket with rustls.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use stanzio_stanza::Stanza;
use stanzio_stream::{ClientConfig, ClientConnection, ClientEvent, ResumptionState, TlsMode};

use crate::error::Error;
use crate::srv::Endpoint;
use crate::tls::Connector;

/// Where a client connects: the domain it serves (the TLS name checked)
/// and, optionally, the endpoint to use instead of the domain's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The domain of the JID (or the component's domain): the name the
    /// server certificate must carry (RFC 7590 §3.2).
    pub domain: String,
    /// An explicit endpoint (host, port, direct TLS or not); `None` looks
    /// the domain up (stanzio-tokio: DNS SRV; this crate: the RFC 6120
    /// §3.2.2 fallback, the domain on 5222).
    pub endpoint: Option<Endpoint>,
}

impl Target {
    /// The domain, found the default way.
    pub fn domain(domain: impl Into<String>) -> Self {
        Target {
            domain: domain.into(),
            endpoint: None,
        }
    }

    /// Connects to `endpoint` instead, still checking the certificate
    /// against the domain.
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = Some(endpoint);
        self
    }
}

/// The socket under the stream: plain until STARTTLS, then TLS.
enum Link {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    Gone,
}

impl Link {
    fn socket(&self) -> Option<&TcpStream> {
        match self {
            Link::Plain(socket) => Some(socket),
            Link::Tls(stream) => Some(&stream.sock),
            Link::Gone => None,
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Link::Plain(socket) => socket.write_all(bytes),
            Link::Tls(stream) => {
                stream.write_all(bytes)?;
                stream.flush()
            }
            Link::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Link::Plain(socket) => socket.read(buf),
            Link::Tls(stream) => stream.read(buf),
            Link::Gone => Ok(0),
        }
    }

    /// Ends the TLS session with `close_notify` and the TCP stream.
    fn shutdown(&mut self) {
        if let Link::Tls(stream) = self {
            stream.conn.send_close_notify();
            let _ = stream.flush();
        }
        if let Some(socket) = self.socket() {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
        *self = Link::Gone;
    }
}

/// The adapters read the clock; the machines never do.
#[allow(clippy::disallowed_methods)] // stanzio-blocking owns the clock.
fn now() -> Instant {
    Instant::now()
}

/// How long a TLS handshake may take before it counts as failed.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// A blocking XMPP client connection: a [`ClientConnection`] on a TCP
/// socket with rustls, pumped per the machine's polling order. Every call
/// blocks at most until its own deadline or the machine's next timer; no
/// thread is spawned.
///
/// ```no_run
/// use stanzio_blocking::{Client, ClientTlsSettings, OsRng, Target};
/// use stanzio_stanza::Message;
/// use stanzio_stream::ClientConfig;
///
/// let jid: stanzio_jid::Jid = "juliet@example.com".parse()?;
/// let config = ClientConfig::new(jid.clone(), "secret", OsRng::new());
/// let tls = ClientTlsSettings::new().build()?;
/// let mut client = Client::connect(config, &Target::domain(jid.domain()), &tls)?;
/// client.send(Message::chat("romeo@example.net".parse()?, "Art thou not Romeo?"))?;
/// client.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Client {
    machine: ClientConnection,
    link: Link,
    connector: Connector,
    domain: String,
    /// Bytes to write, reused.
    out: Vec<u8>,
    /// Bytes read that the machine has not consumed yet.
    input: Vec<u8>,
    events: VecDeque<ClientEvent>,
    /// Why the transport failed, when it did (a TLS or I/O error the
    /// machine only sees as the end of the transport).
    transport_error: Option<Error>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("machine", &self.machine)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects, negotiates (STARTTLS or direct TLS, SASL, bind or
    /// resumption) and returns once the session is online. The events of
    /// the negotiation, `Online` included, wait in
    /// [`next_event`](Self::next_event).
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] when the endpoint cannot be reached,
    /// [`Error::Tls`] when the handshake fails (a certificate not valid for
    /// the domain), [`Error::Connection`] when the machine ended the stream
    /// (STARTTLS missing, login refused).
    pub fn connect(config: ClientConfig, target: &Target, tls: &Connector) -> Result<Self, Error> {
        let endpoint = target
            .endpoint
            .clone()
            .unwrap_or_else(|| Endpoint::fallback(&target.domain));
        tracing::debug!(%endpoint, domain = %target.domain, "connecting");
        let socket =
            TcpStream::connect((endpoint.host.as_str(), endpoint.port)).map_err(|source| {
                Error::Connect {
                    endpoint: endpoint.to_string(),
                    source,
                }
            })?;
        socket.set_nodelay(true)?;
        let mut client = if endpoint.direct_tls {
            let config = config.with_tls(TlsMode::DirectTls);
            let stream = handshake(tls, &target.domain, socket, true).map_err(Error::Tls)?;
            let info = tls.session_info(&stream.conn);
            let mut machine = ClientConnection::new(config, now())?;
            machine.tls_established(now(), info)?;
            Client::with_link(machine, Link::Tls(Box::new(stream)), tls, &target.domain)
        } else {
            let machine = ClientConnection::new(config, now())?;
            Client::with_link(machine, Link::Plain(socket), tls, &target.domain)
        };
        client.wait_online()?;
        Ok(client)
    }

    fn with_link(
        machine: ClientConnection,
        link: Link,
        connector: &Connector,
        domain: &str,
    ) -> Self {
        Client {
            machine,
            link,
            connector: connector.clone(),
            domain: domain.to_owned(),
            out: Vec::new(),
            input: Vec::new(),
            events: VecDeque::new(),
            transport_error: None,
        }
    }

    /// Pumps until `Online`, leaving the events queued.
    fn wait_online(&mut self) -> Result<(), Error> {
        let mut seen = 0;
        loop {
            self.pump(None)?;
            for event in self.events.iter().skip(seen) {
                match event {
                    ClientEvent::Online { .. } => return Ok(()),
                    ClientEvent::Disconnected(error) => {
                        return Err(match (self.transport_error.take(), error) {
                            (Some(transport), _) => transport,
                            (None, Some(error)) => Error::Connection(error.clone()),
                            (None, None) => Error::ClosedBeforeOnline,
                        });
                    }
                    _ => {}
                }
            }
            seen = self.events.len();
        }
    }

    /// The machine, for its getters (`jid`, `is_online`, `tls`,
    /// `stream_management`, ...).
    pub fn connection(&self) -> &ClientConnection {
        &self.machine
    }

    /// Sends a stanza and writes it out.
    ///
    /// # Errors
    ///
    /// [`Error::Send`] when the machine refuses it (closed, queue full,
    /// too large); nothing changed then.
    pub fn send(&mut self, stanza: impl Into<Stanza>) -> Result<(), Error> {
        let stanza = stanza.into();
        tracing::trace!(?stanza, "send");
        self.machine.send(stanza)?;
        self.flush();
        Ok(())
    }

    /// The next event, waiting for it at most `timeout` (`None`: until one
    /// comes). `Ok(None)` when the timeout passed, or when the connection
    /// is over and every event was taken.
    ///
    /// # Errors
    ///
    /// Never for the connection's own end, which is the
    /// [`ClientEvent::Disconnected`] event; see
    /// [`transport_error`](Self::transport_error) for the socket's reason.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<ClientEvent>, Error> {
        if self.events.is_empty() {
            let until = timeout.map(|timeout| now() + timeout);
            self.pump(until)?;
        }
        Ok(self.events.pop_front())
    }

    /// The TLS or I/O error that ended the transport, if that is how it
    /// ended.
    pub fn transport_error(&self) -> Option<&Error> {
        self.transport_error.as_ref()
    }

    /// Takes the state to resume this session on a new connection
    /// ([`ClientConfig::with_resumption`]) after it failed; see
    /// [`ClientConnection::take_resumption`].
    pub fn take_resumption(&mut self) -> Option<ResumptionState> {
        self.machine.take_resumption()
    }

    /// Closes the stream (RFC 6120 §4.4): sends `</stream:stream>`, waits
    /// for the server's (at most the machine's close timeout), then ends
    /// TLS with `close_notify` and the socket. Events that arrive meanwhile
    /// are dropped.
    ///
    /// # Errors
    ///
    /// The machine's error when the stream ended uncleanly.
    pub fn close(mut self) -> Result<(), Error> {
        self.machine.close();
        while !self.machine.is_closed() {
            self.events.clear();
            self.pump(None)?;
        }
        self.flush();
        self.link.shutdown();
        match self.machine.error() {
            None => Ok(()),
            Some(error) => Err(Error::Connection(error.clone())),
        }
    }

    /// Runs the machine until it reports a new event, the connection is
    /// over, or `until` passed: write, collect events, feed input, then read
    /// with a timeout up to the nearest deadline.
    fn pump(&mut self, until: Option<Instant>) -> Result<(), Error> {
        loop {
            self.flush();
            let queued = self.events.len();
            self.collect_events();
            if self.events.len() > queued || self.machine.is_closed() {
                return Ok(());
            }
            if self.feed() {
                continue;
            }
            let now = now();
            let deadline = match (self.machine.poll_timeout(), until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let Some(deadline) = deadline
                && deadline <= now
            {
                if until.is_some_and(|until| until <= now) {
                    return Ok(());
                }
                self.machine.handle_timeout(now);
                continue;
            }
            self.read(deadline.map(|deadline| deadline - now))?;
        }
    }

    /// Feeds waiting input; `true` if the machine took any.
    fn feed(&mut self) -> bool {
        if self.input.is_empty() {
            return false;
        }
        match self.machine.handle_input(now(), &self.input) {
            Ok(consumed) => {
                self.input.drain(..consumed);
                consumed > 0
            }
            Err(error) => {
                tracing::debug!(%error, "the stream failed");
                self.input.clear();
                true
            }
        }
    }

    /// One read from the socket, waiting at most `timeout`.
    fn read(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        let Some(socket) = self.link.socket() else {
            self.machine.handle_transport_closed(now());
            return Ok(());
        };
        // A zero timeout means "block forever" to std: wait a moment instead.
        let timeout = timeout.map(|t| t.max(Duration::from_millis(1)));
        socket.set_read_timeout(timeout)?;
        let mut buf = [0u8; 16 * 1024];
        match self.link.read(&mut buf) {
            Ok(0) => {
                tracing::debug!("the server closed the connection");
                self.link = Link::Gone;
                self.machine.handle_transport_closed(now());
            }
            Ok(n) => {
                tracing::trace!(bytes = n, "received");
                self.input
                    .extend_from_slice(buf.get(..n).unwrap_or_default());
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(error) => {
                tracing::debug!(%error, "reading failed");
                self.transport_error = Some(Error::Io(error));
                self.link = Link::Gone;
                self.machine.handle_transport_closed(now());
            }
        }
        Ok(())
    }

    /// Writes everything the machine has to send. A failed write ends
    /// the transport (the machine learns it as closed).
    fn flush(&mut self) {
        while self.machine.poll_transmit(&mut self.out).is_some() {
            if let Err(error) = self.link.write_all(&self.out) {
                tracing::debug!(%error, "writing failed");
                if !matches!(self.link, Link::Gone) {
                    self.transport_error = Some(Error::Io(error));
                    self.link = Link::Gone;
                }
                self.machine.handle_transport_closed(now());
            }
        }
    }

    /// Moves the machine's events into the queue, running the STARTTLS
    /// upgrade when asked.
    fn collect_events(&mut self) {
        while let Some(event) = self.machine.poll_event() {
            match event {
                ClientEvent::StartTls => self.start_tls(),
                event => {
                    tracing::debug!(event = event_name(&event), "event");
                    self.events.push_back(event);
                }
            }
        }
    }

    /// RFC 6120 §5.4.3.3: after `<proceed/>`, the TLS handshake on the
    /// same socket, then `tls_established`.
    fn start_tls(&mut self) {
        self.flush();
        if !self.input.is_empty() {
            // Bytes after <proceed/> in the clear: the machine refuses them
            // (PlaintextAfterProceed) and ends the stream.
            self.feed();
            return;
        }
        let Link::Plain(socket) = std::mem::replace(&mut self.link, Link::Gone) else {
            self.machine.handle_transport_closed(now());
            return;
        };
        match handshake(&self.connector, &self.domain, socket, false) {
            Ok(stream) => {
                let info = self.connector.session_info(&stream.conn);
                tracing::debug!(version = ?info.version, "TLS established");
                self.link = Link::Tls(Box::new(stream));
                if let Err(error) = self.machine.tls_established(now(), info) {
                    tracing::debug!(%error, "TLS was not expected");
                }
                // The new stream header (RFC 6120 §5.4.3.3) goes out now,
                // before the pump waits for the server's.
                self.flush();
            }
            Err(error) => {
                tracing::debug!(%error, "TLS handshake failed");
                self.transport_error = Some(Error::Tls(error));
                self.machine.handle_transport_closed(now());
            }
        }
    }
}

/// Runs a client TLS handshake on `socket` to completion.
fn handshake(
    connector: &Connector,
    domain: &str,
    socket: TcpStream,
    direct_tls: bool,
) -> io::Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    let name = Connector::server_name(domain)?;
    let connection = rustls::ClientConnection::new(connector.config(direct_tls), name)
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
    let mut stream = rustls::StreamOwned::new(connection, socket);
    stream.sock.set_read_timeout(Some(TLS_HANDSHAKE_TIMEOUT))?;
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(stream)
}

/// The event's variant name, for logs: stanza content is logged at trace level
/// only, and credentials never.
pub fn event_name(event: &ClientEvent) -> &'static str {
    match event {
        ClientEvent::StartTls => "StartTls",
        ClientEvent::ChannelBindingFallback { .. } => "ChannelBindingFallback",
        ClientEvent::Authenticated { .. } => "Authenticated",
        ClientEvent::Online { .. } => "Online",
        ClientEvent::StreamManagementEnabled { .. } => "StreamManagementEnabled",
        ClientEvent::StreamManagementFailed => "StreamManagementFailed",
        ClientEvent::ResumptionFailed { .. } => "ResumptionFailed",
        ClientEvent::Acked(_) => "Acked",
        ClientEvent::Stanza(_) => "Stanza",
        ClientEvent::Refused { .. } => "Refused",
        ClientEvent::InvalidStanza(_) => "InvalidStanza",
        ClientEvent::Disconnected(_) => "Disconnected",
        _ => "other",
    }
}
