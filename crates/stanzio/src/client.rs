//! [`Client`]: the client stream and the client IM logic as one machine.

use std::collections::VecDeque;
use std::time::Instant;

use rand_core::CryptoRng;
use stanzio_im::{ImClient, ImClientConfig, ImEvent};
use stanzio_jid::FullJid;
use stanzio_sasl::TlsInfo;
use stanzio_stream::{
    ClientConfig, ClientConnection, ClientEvent, ConfigError, ConnectionError, SendError,
};

/// What a [`Client`] reports: the stream's events and the IM logic's.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// From the connection: TLS, authentication, online, acks, errors,
    /// disconnection. Stanzas are not reported here once the session is
    /// online: the IM logic reads them and reports [`Event::Im`].
    Stream(ClientEvent),
    /// From the IM logic: roster, presence, subscriptions, messages,
    /// blocking, carbons, IQ results, and the spoofs it dropped.
    Im(ImEvent),
}

/// A client connection ([`ClientConnection`]) with the client IM logic
/// ([`ImClient`]) on top, still sans-IO: the same `handle_*` / `poll_*`
/// contract and polling order as [`ClientConnection`], with IM commands
/// through [`im`](Self::im) once the session is online.
///
/// Every incoming stanza goes through the IM logic, so its origin checks
/// (roster and blocklist pushes only from the own account, carbons only
/// from the own bare JID, IQ responses only from whom the request went
/// to) cannot be skipped; what the IM logic sends goes out with the next
/// [`poll_transmit`](Self::poll_transmit).
pub struct Client {
    connection: ClientConnection,
    im: Option<ImClient>,
    im_rng: Option<Box<dyn CryptoRng + Send>>,
    events: VecDeque<Event>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("connection", &self.connection)
            .field("online", &self.im.is_some())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Checks `config` and starts the stream; `im_rng` gives the IM
    /// logic's request ids.
    ///
    /// # Errors
    ///
    /// The [`ConfigError`] of the connection.
    pub fn new(
        config: ClientConfig,
        im_rng: impl CryptoRng + Send + 'static,
        now: Instant,
    ) -> Result<Self, ConfigError> {
        Ok(Client {
            connection: ClientConnection::new(config, now)?,
            im: None,
            im_rng: Some(Box::new(im_rng)),
            events: VecDeque::new(),
        })
    }

    /// The connection, for its getters.
    pub fn connection(&self) -> &ClientConnection {
        &self.connection
    }

    /// The IM logic, once the session is online: roster, presence,
    /// subscriptions, messages, blocking, carbons, IQs. What its commands
    /// send goes out with the next [`poll_transmit`](Self::poll_transmit).
    pub fn im(&mut self) -> Option<&mut ImClient> {
        self.im.as_mut()
    }

    /// Bytes from the transport; returns how many were consumed (see
    /// [`ClientConnection::handle_input`]).
    ///
    /// # Errors
    ///
    /// The [`ConnectionError`] that ended the connection.
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<usize, ConnectionError> {
        let result = self.connection.handle_input(now, input);
        self.collect();
        result
    }

    /// Timers of both the connection and the IM logic (IQ timeouts).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.connection.handle_timeout(now);
        if let Some(im) = &mut self.im {
            im.handle_timeout(now);
        }
        self.collect();
    }

    /// The transport closed.
    pub fn handle_transport_closed(&mut self, now: Instant) {
        self.connection.handle_transport_closed(now);
        self.collect();
    }

    /// The adapter finished the TLS handshake.
    ///
    /// # Errors
    ///
    /// [`SendError::UnexpectedTls`] when none was expected.
    pub fn tls_established(&mut self, now: Instant, tls: TlsInfo) -> Result<(), SendError> {
        let result = self.connection.tls_established(now, tls);
        self.collect();
        result
    }

    /// Starts the closing handshake.
    pub fn close(&mut self) {
        self.flush_im();
        self.connection.close();
        self.collect();
    }

    /// The next bytes to send (after what the IM logic queued).
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> Option<usize> {
        self.flush_im();
        self.connection.poll_transmit(buf)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.collect();
        self.events.pop_front()
    }

    /// The earlier of the connection's and the IM logic's deadlines.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let im = self.im.as_ref().and_then(ImClient::poll_timeout);
        [self.connection.poll_timeout(), im]
            .into_iter()
            .flatten()
            .min()
    }

    /// Moves what the IM logic wants sent into the connection. A stanza
    /// the connection refuses (closed, queue full) is reported as
    /// [`ClientEvent::Refused`].
    fn flush_im(&mut self) {
        let Some(im) = &mut self.im else {
            return;
        };
        while let Some(stanza) = im.poll_transmit() {
            if let Err(error) = self.connection.send(stanza) {
                self.events
                    .push_back(Event::Stream(ClientEvent::Refused { error }));
            }
        }
    }

    /// Takes the connection's events, handing stanzas to the IM logic.
    fn collect(&mut self) {
        while let Some(event) = self.connection.poll_event() {
            match event {
                ClientEvent::Stanza(stanza) if self.im.is_some() => {
                    if let Some(im) = &mut self.im {
                        im.handle_stanza(stanza);
                    }
                }
                ClientEvent::Online { jid, resumed } => {
                    if let (Ok(full), Some(rng)) =
                        (FullJid::try_from(jid.clone()), self.im_rng.take())
                    {
                        self.im = Some(ImClient::new(ImClientConfig::new(full), rng));
                    }
                    self.events
                        .push_back(Event::Stream(ClientEvent::Online { jid, resumed }));
                }
                other => self.events.push_back(Event::Stream(other)),
            }
        }
        if let Some(im) = &mut self.im {
            while let Some(event) = im.poll_event() {
                self.events.push_back(Event::Im(event));
            }
        }
        self.flush_im();
    }
}
