//! A raw client stream up to SASL, for logging in with a mechanism of the
//! test's choosing: the stanzio connection machine always picks the
//! strongest one, so this drives `stanzio_sasl::ClientMechanism` and the
//! `stanzio_stream::elements` readers and writers by hand, over rustls with
//! the channel-binding data the adapters hand their machines.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use stanzio_blocking::{Connector, OsRng};
use stanzio_sasl::{
    ChannelBindingMemory, ClientMechanism, Credentials, Mechanism, Selection, TlsInfo,
};
use stanzio_stream::elements::features::StreamFeatures;
use stanzio_stream::elements::sasl::{SaslElement, SaslFailure};
use stanzio_xml::{ContentNamespace, Element, Limits, StreamEvent, StreamReader, StreamWriter};

use super::{DOMAIN, PASSWORD, Peer, STEP_TIMEOUT, TlsVersions, Trace, deadline, now};

const NS_TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

/// The socket: plain until `<proceed/>`, then TLS.
enum Link {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Link {
    fn socket(&self) -> &TcpStream {
        match self {
            Link::Plain(socket) => socket,
            Link::Tls(stream) => &stream.sock,
        }
    }
}

/// How a SASL exchange ended.
#[derive(Debug)]
pub enum SaslOutcome {
    /// `<success/>`, and for SCRAM the server's signature verified; what
    /// the client would remember about the server's channel binding.
    Success(Option<ChannelBindingMemory>),
    /// `<failure/>`.
    Failure(SaslFailure),
}

/// A stream over TLS with its `<stream:features/>`, before SASL.
pub struct RawStream {
    name: String,
    trace: Trace,
    link: Link,
    reader: StreamReader,
    input: Vec<u8>,
    /// The features after STARTTLS.
    pub features: StreamFeatures,
    /// The TLS session as the adapters describe it to the machines.
    pub tls: TlsInfo,
}

impl RawStream {
    /// Connects, runs STARTTLS (the certificate verified against the CA)
    /// with only `version`, opens the stream again and reads its features.
    pub fn open(peer: &Peer, version: TlsVersions, trace: &Trace, name: &str) -> RawStream {
        let socket = match TcpStream::connect(("127.0.0.1", peer.port)) {
            Ok(socket) => socket,
            Err(error) => trace.fail(format!(
                "{name}: cannot reach 127.0.0.1:{}: {error}",
                peer.port
            )),
        };
        let connector = peer.connector(Some(version));
        let mut stream = RawStream {
            name: name.to_owned(),
            trace: trace.clone(),
            link: Link::Plain(socket),
            reader: StreamReader::new(Limits::default()),
            input: Vec::new(),
            features: StreamFeatures::default(),
            tls: TlsInfo::new(version.sasl()),
        };
        stream.write(HEADER.as_bytes());
        stream.read_header();
        let features = stream.read_features();
        stream.trace.check(
            features.starttls.is_some_and(|starttls| starttls.required),
            || format!("{name}: STARTTLS is not offered as required: {features:?}"),
        );
        stream.write(format!("<starttls xmlns='{NS_TLS}'/>").as_bytes());
        let proceed = stream.read_element();
        stream.trace.check(
            proceed.root().name() == "proceed" && proceed.root().ns() == NS_TLS,
            || {
                format!(
                    "{name}: STARTTLS answered with <{}/>",
                    proceed.root().name()
                )
            },
        );
        stream.trace.check(stream.input.is_empty(), || {
            format!("{name}: bytes in the clear after <proceed/>")
        });
        stream.start_tls(&connector);
        stream.reader.restart();
        stream.write(HEADER.as_bytes());
        stream.read_header();
        stream.features = stream.read_features();
        stream
    }

    fn start_tls(&mut self, connector: &Connector) {
        let Link::Plain(socket) = &self.link else {
            self.trace.fail("TLS twice");
        };
        let socket = socket.try_clone().expect("a socket clone");
        let name = Connector::server_name(DOMAIN).expect("a server name");
        let connection =
            rustls::ClientConnection::new(connector.config(false), name).expect("a rustls client");
        let mut stream = rustls::StreamOwned::new(connection, socket);
        while stream.conn.is_handshaking() {
            if let Err(error) = stream.conn.complete_io(&mut stream.sock) {
                self.trace
                    .fail(format!("{}: TLS handshake: {error}", self.name));
            }
        }
        self.tls = connector.session_info(&stream.conn);
        self.trace.line(
            &self.name,
            "--",
            format_args!(
                "TLS {:?} {:?}, channel bindings {:?}",
                stream.conn.protocol_version(),
                stream.conn.negotiated_cipher_suite().map(|s| s.suite()),
                self.tls
                    .channel_bindings
                    .iter()
                    .map(|b| b.kind.as_str())
                    .collect::<Vec<_>>()
            ),
        );
        self.link = Link::Tls(Box::new(stream));
    }

    fn write(&mut self, bytes: &[u8]) {
        self.trace
            .line(&self.name, "->", String::from_utf8_lossy(bytes));
        let written = match &mut self.link {
            Link::Plain(socket) => socket.write_all(bytes),
            Link::Tls(stream) => stream.write_all(bytes).and_then(|()| stream.flush()),
        };
        if let Err(error) = written {
            self.trace.fail(format!("{}: write: {error}", self.name));
        }
    }

    fn write_sasl(&mut self, element: &SaslElement) {
        let mut out = Vec::new();
        let mut writer = StreamWriter::new(ContentNamespace::Client).element(&mut out);
        element.write_to(&mut writer);
        writer.finish().expect("a SASL element");
        self.write(&out);
    }

    /// The next stream event, reading the socket as needed.
    fn read_event(&mut self, until: Instant) -> StreamEvent {
        loop {
            let mut rest = self.input.as_slice();
            let event = self.reader.read(&mut rest);
            let consumed = self.input.len() - rest.len();
            self.input.drain(..consumed);
            match event {
                Ok(Some(StreamEvent::Whitespace)) => continue,
                Ok(Some(event)) => return event,
                Ok(None) => {}
                Err(error) => self.trace.fail(format!("{}: bad XML: {error}", self.name)),
            }
            let left = until.saturating_duration_since(now());
            if left.is_zero() {
                self.trace
                    .fail(format!("{}: nothing within {STEP_TIMEOUT:?}", self.name));
            }
            let _ = self
                .link
                .socket()
                .set_read_timeout(Some(left.max(Duration::from_millis(1))));
            let mut buf = [0; 8192];
            let read = match &mut self.link {
                Link::Plain(socket) => socket.read(&mut buf),
                Link::Tls(stream) => stream.read(&mut buf),
            };
            match read {
                Ok(0) => self
                    .trace
                    .fail(format!("{}: the server closed the connection", self.name)),
                Ok(n) => self.input.extend_from_slice(&buf[..n]),
                Err(error)
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(error) => self.trace.fail(format!("{}: read: {error}", self.name)),
            }
        }
    }

    fn read_header(&mut self) {
        match self.read_event(deadline(STEP_TIMEOUT)) {
            StreamEvent::Header(header) => self.trace.line(
                &self.name,
                "<-",
                format_args!(
                    "<stream:stream from={:?} id={:?} version={:?}>",
                    header.from, header.id, header.version
                ),
            ),
            other => self
                .trace
                .fail(format!("{}: {other:?} instead of a header", self.name)),
        }
    }

    fn read_element(&mut self) -> Element {
        match self.read_event(deadline(STEP_TIMEOUT)) {
            StreamEvent::Element(element) => {
                let mut out = Vec::new();
                let _ = StreamWriter::new(ContentNamespace::Client).write(&mut out, element.root());
                self.trace
                    .line(&self.name, "<-", String::from_utf8_lossy(&out));
                element
            }
            other => self
                .trace
                .fail(format!("{}: {other:?} instead of an element", self.name)),
        }
    }

    fn read_features(&mut self) -> StreamFeatures {
        let element = self.read_element();
        match StreamFeatures::from_element(element.root()) {
            Ok(features) => features,
            Err(error) => self
                .trace
                .fail(format!("{}: unreadable features: {error}", self.name)),
        }
    }

    /// The mechanisms offered, sorted.
    pub fn mechanisms(&self) -> Vec<String> {
        let mut offered = self.features.mechanisms.clone().unwrap_or_default();
        offered.sort();
        offered
    }

    /// Runs one SASL exchange with `selection` (RFC 6120 §6.4).
    pub fn authenticate(&mut self, username: &str, selection: &Selection) -> SaslOutcome {
        let credentials = Credentials::password(username, PASSWORD);
        let mut client = ClientMechanism::new(selection, &credentials, &mut OsRng::new())
            .unwrap_or_else(|error| self.trace.fail(format!("{}: {error}", self.name)));
        let initial = client
            .initial_response()
            .unwrap_or_else(|error| self.trace.fail(format!("{}: {error}", self.name)));
        self.write_sasl(&SaslElement::Auth {
            mechanism: selection.mechanism().as_str().to_owned(),
            initial_response: Some(initial),
        });
        loop {
            let element = self.read_element();
            let sasl = SaslElement::from_element(element.root())
                .unwrap_or_else(|error| self.trace.fail(format!("{}: {error}", self.name)));
            match sasl {
                SaslElement::Challenge(challenge) => {
                    let response = client.step(&challenge).unwrap_or_else(|error| {
                        self.trace
                            .fail(format!("{}: the server's challenge: {error}", self.name))
                    });
                    self.write_sasl(&SaslElement::Response(response));
                }
                SaslElement::Success(data) => {
                    if let Err(error) = client.finish(&data.unwrap_or_default()) {
                        self.trace.fail(format!(
                            "{}: success, but the server did not prove it knows the \
                             credentials: {error}",
                            self.name
                        ));
                    }
                    return SaslOutcome::Success(client.channel_binding_memory());
                }
                SaslElement::Failure(failure) => return SaslOutcome::Failure(failure),
                other => self
                    .trace
                    .fail(format!("{}: unexpected {other:?}", self.name)),
            }
        }
    }

    /// Closes the stream and the connection (after SASL, no restart).
    pub fn close(mut self) {
        self.write(b"</stream:stream>");
        if let Link::Tls(stream) = &mut self.link {
            stream.conn.send_close_notify();
            let _ = stream.flush();
        }
        let _ = self.link.socket().shutdown(std::net::Shutdown::Both);
    }
}

/// `SCRAM-SHA-x` for `SCRAM-SHA-x-PLUS`.
pub fn without_plus(mechanism: Mechanism) -> Mechanism {
    match mechanism {
        Mechanism::Scram { hash, .. } => Mechanism::scram(hash, false),
        other => other,
    }
}
