//! The framing both roles share: a TCP stream (RFC 6120 §4) or XMPP over
//! WebSocket (RFC 7395), read into one kind of event and written through one
//! outbox.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use stanzio_stanza::StreamError;
use stanzio_xml::{
    ContentNamespace, Element, FrameEvent, FrameReader, Limits, ReadError, StreamEvent,
    StreamHeader, StreamReader, StreamWriter, XmlWriter,
};

/// How the connection is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Transport {
    /// A byte stream (TCP, possibly under TLS): one XML document per
    /// stream, `<stream:stream>` headers (RFC 6120 §4).
    #[default]
    Tcp,
    /// XMPP over WebSocket (RFC 7395): each `handle_input` call is one whole
    /// WebSocket text message and each `poll_transmit` output is one
    /// message; TLS comes from `wss://`, so STARTTLS is never negotiated
    /// (§3.9) and no white-space keepalive is sent (§3.8).
    WebSocket,
}

/// The settings both roles' configurations hold alike: the framing, what
/// the peer may send, how far the queues may grow and how long the
/// stream's opening and closing may take. Each configuration sets them
/// with its own builder methods.
#[derive(Debug, Clone)]
pub(crate) struct StreamSettings {
    pub(crate) transport: Transport,
    pub(crate) limits: Limits,
    pub(crate) negotiation_timeout: Duration,
    /// How long to wait for the peer's close after ours.
    pub(crate) close_timeout: Duration,
    /// Events `handle_input` queues before it stops consuming.
    pub(crate) max_pending_events: usize,
    /// Bytes waiting for `poll_transmit` beyond which nothing more is
    /// written: the client refuses `send`, the server ends the stream of a
    /// client that does not read.
    pub(crate) max_pending_output: usize,
}

impl StreamSettings {
    /// TCP, default limits, 10 s to close, 256 events, 1 MiB of output;
    /// the negotiation timeout is the role's.
    pub(crate) fn new(negotiation_timeout: Duration) -> Self {
        StreamSettings {
            transport: Transport::Tcp,
            limits: Limits::default(),
            negotiation_timeout,
            close_timeout: Duration::from_secs(10),
            max_pending_events: 256,
            max_pending_output: 1024 * 1024,
        }
    }
}

/// One unit of input, whichever the framing.
#[derive(Debug)]
pub(crate) enum Incoming {
    Header(StreamHeader),
    Element(Element),
    Whitespace,
    /// The peer closed the stream; `see_other_uri` only from RFC 7395 `<close/>`.
    End {
        see_other_uri: Option<String>,
    },
}

#[derive(Debug)]
enum Reader {
    Tcp(StreamReader),
    WebSocket(FrameReader),
}

/// Reads incoming bytes into [`Incoming`] units.
#[derive(Debug)]
pub(crate) struct Decoder {
    reader: Reader,
}

impl Decoder {
    pub(crate) fn new(transport: Transport, limits: Limits, content: ContentNamespace) -> Self {
        let reader = match transport {
            Transport::Tcp => Reader::Tcp(StreamReader::new(limits)),
            Transport::WebSocket => Reader::WebSocket(FrameReader::new(limits, content)),
        };
        Decoder { reader }
    }

    /// The next unit from `input`, advancing it past what was consumed. On
    /// a WebSocket the whole slice is one message, consumed at once.
    pub(crate) fn read(&mut self, input: &mut &[u8]) -> Result<Option<Incoming>, ReadError> {
        match &mut self.reader {
            Reader::Tcp(reader) => Ok(reader.read(input)?.map(|event| match event {
                StreamEvent::Header(header) => Incoming::Header(header),
                StreamEvent::Element(element) => Incoming::Element(element),
                StreamEvent::Whitespace => Incoming::Whitespace,
                StreamEvent::End => Incoming::End {
                    see_other_uri: None,
                },
                // `StreamEvent` is non-exhaustive; anything new is not for us.
                _ => Incoming::Whitespace,
            })),
            Reader::WebSocket(reader) => {
                if input.is_empty() {
                    return Ok(None);
                }
                let message = std::mem::take(input);
                Ok(Some(match reader.read_message(message)? {
                    FrameEvent::Open(header) => Incoming::Header(header),
                    FrameEvent::Element(element) => Incoming::Element(element),
                    FrameEvent::Close { see_other_uri } => Incoming::End { see_other_uri },
                    _ => Incoming::Whitespace,
                }))
            }
        }
    }

    /// Hands a consumed element's buffers back for reuse.
    pub(crate) fn recycle(&mut self, element: Element) {
        if let Reader::Tcp(reader) = &mut self.reader {
            reader.recycle(element);
        }
    }

    /// A new stream begins on the same transport (RFC 6120 §5.4.3.3, §6.4.6).
    pub(crate) fn restart(&mut self) {
        // A WebSocket reader keeps no state between messages.
        if let Reader::Tcp(reader) = &mut self.reader {
            reader.restart();
        }
    }

    /// The transport closed.
    pub(crate) fn eof(&mut self) -> Result<(), ReadError> {
        match &mut self.reader {
            Reader::Tcp(reader) => reader.eof(),
            Reader::WebSocket(_) => Ok(()),
        }
    }
}

/// Bytes waiting for `poll_transmit`, with WebSocket message boundaries.
///
/// One buffer, however many elements: on TCP everything pending goes out in
/// one `poll_transmit`; on a WebSocket each element is one message.
#[derive(Debug)]
pub(crate) struct Outbox {
    writer: StreamWriter,
    websocket: bool,
    bytes: Vec<u8>,
    /// End offsets of the messages in `bytes` (WebSocket only).
    ends: VecDeque<usize>,
}

/// Room for events a drained event queue keeps (client and server): a few,
/// not the largest burst, so that an idle connection costs little whatever
/// passed (an event is a few hundred bytes).
const KEPT_EVENTS: usize = 4;

/// The next event of a machine's queue, for its `poll_event`.
pub(crate) fn pop_event<E>(events: &mut VecDeque<E>) -> Option<E> {
    let event = events.pop_front();
    if events.is_empty() {
        events.shrink_to(KEPT_EVENTS);
    }
    event
}

/// Where a machine stands, as far as reading input goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputStage {
    /// The stream is read.
    Reading,
    /// `<proceed/>` went by: the next bytes must be the TLS handshake,
    /// which the adapter runs (RFC 6120 §5.4.3.3).
    TlsHandshake,
    /// With direct TLS: the adapter has not reported the session yet.
    AwaitDirectTls,
    /// The connection is over.
    Closed,
}

/// A connection machine (client or server) as [`handle_input`] drives it:
/// the state it reads and the steps it calls, in the role's own terms.
pub(crate) trait InputMachine {
    /// The role's sticky peer error.
    type Error: Clone + From<ReadError>;
    /// The error that ended the connection, if any.
    fn error(&self) -> Option<&Self::Error>;
    fn input_stage(&self) -> InputStage;
    /// Whether the next unit may be read: the event queue has room and no
    /// answer from the caller is awaited.
    fn may_read(&self) -> bool;
    fn decoder(&mut self) -> &mut Decoder;
    /// Input arrived at `now` and is about to be read.
    fn received(&mut self, now: Instant);
    fn on_incoming(&mut self, now: Instant, unit: Incoming);
    /// Ends the connection with a peer error; `stream_error` is sent first.
    fn fail(&mut self, error: Self::Error, stream_error: Option<StreamError>);
    /// The error for `bytes` in the clear where the TLS handshake belongs.
    fn plaintext_after_proceed(bytes: usize) -> Self::Error;
    /// The error for input before the direct TLS session was reported.
    fn input_before_tls() -> Self::Error;
    /// Plaintext followed the peer's last STARTTLS element (the client's
    /// `<starttls/>`, the server's `<proceed/>`) in the same input: take
    /// back what was queued for the adapter to start TLS with.
    fn withdraw_start_tls(&mut self);
}

/// The `handle_input` of both machines: reads units from `input` until it
/// is used up, the machine may read no more, or the connection ends.
/// Returns how many bytes were consumed, or the sticky error.
pub(crate) fn handle_input<M: InputMachine>(
    machine: &mut M,
    now: Instant,
    input: &[u8],
) -> Result<usize, M::Error> {
    if let Some(error) = machine.error() {
        return Err(error.clone());
    }
    if input.is_empty() {
        return Ok(0);
    }
    let consumed = match machine.input_stage() {
        InputStage::Closed => return Ok(input.len()),
        InputStage::TlsHandshake => {
            machine.fail(M::plaintext_after_proceed(input.len()), None);
            0
        }
        InputStage::AwaitDirectTls => {
            // The adapter must report the TLS session first.
            machine.fail(M::input_before_tls(), None);
            0
        }
        InputStage::Reading => read_units(machine, now, input),
    };
    match machine.error() {
        Some(error) => Err(error.clone()),
        None => Ok(consumed),
    }
}

fn read_units<M: InputMachine>(machine: &mut M, now: Instant, input: &[u8]) -> usize {
    machine.received(now);
    let mut rest = input;
    while machine.may_read() {
        match machine.decoder().read(&mut rest) {
            Ok(Some(unit)) => machine.on_incoming(now, unit),
            Ok(None) => break,
            Err(error) => {
                let stream_error = StreamError::from(&error);
                machine.fail(error.into(), Some(stream_error));
            }
        }
        if machine.error().is_some() || machine.input_stage() == InputStage::Closed {
            break;
        }
        if machine.input_stage() == InputStage::TlsHandshake && !rest.is_empty() {
            // RFC 6120 §5.4.3.3: after <proceed/> the next bytes are the
            // TLS handshake; plaintext here was injected. The adapter must
            // not start TLS on the dead connection.
            machine.withdraw_start_tls();
            machine.fail(M::plaintext_after_proceed(rest.len()), None);
            break;
        }
    }
    input.len() - rest.len()
}

/// Capacity kept in the outbox after it drained: enough for a few stanzas,
/// without holding on to the memory of a large one (an idle connection
/// should cost little).
const KEPT_CAPACITY: usize = 1024;

impl Outbox {
    pub(crate) fn new(transport: Transport, content: ContentNamespace) -> Self {
        let websocket = transport == Transport::WebSocket;
        let writer = if websocket {
            StreamWriter::websocket(content)
        } else {
            StreamWriter::new(content)
        };
        Outbox {
            writer,
            websocket,
            bytes: Vec::new(),
            ends: VecDeque::new(),
        }
    }

    /// Bytes waiting to be transmitted.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    fn seal(&mut self) {
        if self.websocket {
            self.ends.push_back(self.bytes.len());
        }
    }

    /// Writes a stream header (or RFC 7395 `<open/>`).
    pub(crate) fn header(&mut self, header: &StreamHeader) -> Result<(), stanzio_xml::BuildError> {
        self.writer.header(&mut self.bytes, header)?;
        self.seal();
        Ok(())
    }

    /// Writes the stream close (or RFC 7395 `<close/>`).
    pub(crate) fn close(&mut self) {
        self.writer.close(&mut self.bytes);
        self.seal();
    }

    /// Writes one top-level element with `write` and returns its length;
    /// if it reports an error nothing is written and the error is returned.
    pub(crate) fn element(
        &mut self,
        write: impl FnOnce(&mut XmlWriter<'_>),
    ) -> Result<usize, stanzio_xml::BuildError> {
        let start = self.bytes.len();
        let mut writer = self.writer.element(&mut self.bytes);
        write(&mut writer);
        writer.finish()?;
        self.seal();
        Ok(self.bytes.len() - start)
    }

    /// Takes back the element just written (`len` bytes, as
    /// [`element`](Self::element) returned).
    pub(crate) fn take_back(&mut self, len: usize) {
        if self.websocket {
            self.ends.pop_back();
        }
        self.bytes.truncate(self.bytes.len().saturating_sub(len));
    }

    /// Writes a white-space keepalive (RFC 6120 §4.6.1); TCP only.
    pub(crate) fn whitespace(&mut self) {
        if !self.websocket {
            self.bytes.push(b' ');
        }
    }

    /// Moves the next transmission into `buf` (cleared first).
    pub(crate) fn poll(&mut self, buf: &mut Vec<u8>) -> Option<usize> {
        buf.clear();
        if self.bytes.is_empty() {
            return None;
        }
        if self.websocket {
            let end = self.ends.pop_front().unwrap_or(self.bytes.len());
            buf.extend(self.bytes.drain(..end));
            for offset in &mut self.ends {
                *offset -= end;
            }
        } else {
            buf.extend_from_slice(&self.bytes);
            self.bytes.clear();
        }
        if self.bytes.is_empty() && self.bytes.capacity() > KEPT_CAPACITY {
            self.bytes = Vec::new();
        }
        Some(buf.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_outbox_gives_one_message_per_poll() {
        let mut outbox = Outbox::new(Transport::WebSocket, ContentNamespace::Client);
        outbox.whitespace(); // never on a WebSocket (RFC 7395 §3.8)
        outbox
            .element(|w| {
                w.start("r", "urn:xmpp:sm:3");
                w.end();
            })
            .ok();
        outbox
            .element(|w| {
                w.start("a", "urn:xmpp:sm:3");
                w.attr("h", "1");
                w.end();
            })
            .ok();
        let mut buf = Vec::new();
        assert_eq!(outbox.poll(&mut buf), Some(buf.len()));
        assert_eq!(buf, b"<r xmlns='urn:xmpp:sm:3'/>");
        outbox.poll(&mut buf);
        assert_eq!(buf, b"<a xmlns='urn:xmpp:sm:3' h='1'/>");
        assert_eq!(outbox.poll(&mut buf), None);
    }

    #[test]
    fn tcp_outbox_gives_everything_at_once_and_releases_large_buffers() {
        let mut outbox = Outbox::new(Transport::Tcp, ContentNamespace::Client);
        outbox.whitespace();
        let text = "x".repeat(10_000);
        outbox
            .element(|w| {
                w.start("message", "jabber:client");
                w.text(&text);
                w.end();
            })
            .ok();
        let mut buf = Vec::new();
        outbox.poll(&mut buf);
        assert!(buf.starts_with(b" <message>"));
        assert_eq!(outbox.bytes.capacity(), 0);
    }
}
