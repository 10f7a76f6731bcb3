//! Timers of a client connection: negotiation and close deadlines,
//! white-space keepalives (RFC 6120 §4.6.1), liveness checks (XEP-0199
//! ping, or XEP-0198 `<r/>`) and ack requests.

use std::time::{Duration, Instant};

use stanzio_stanza::{Iq, IqPayload};

use super::config::SmPolicy;
use super::{ClientConnection, ConnectionError};
use crate::transport::Transport;

pub(super) struct Timers {
    /// The latest time the machine was given.
    pub(super) now: Instant,
    negotiation_deadline: Option<Instant>,
    close_deadline: Option<Instant>,
    last_received: Instant,
    last_sent: Instant,
    /// An unanswered liveness check must be answered by then.
    check_deadline: Option<Instant>,
    /// The id of the outstanding XEP-0199 ping, whose answer is consumed.
    ping_id: Option<String>,
    /// The oldest unacknowledged stanza waits for an ack request until then.
    ack_deadline: Option<Instant>,
    online: bool,
}

impl Timers {
    pub(super) fn new(now: Instant, negotiation_timeout: Duration) -> Self {
        Timers {
            now,
            negotiation_deadline: Some(now + negotiation_timeout),
            close_deadline: None,
            last_received: now,
            last_sent: now,
            check_deadline: None,
            ping_id: None,
            ack_deadline: None,
            online: false,
        }
    }

    /// Data arrived: the server is alive.
    pub(super) fn received(&mut self, now: Instant) {
        self.now = now;
        self.last_received = now;
        self.check_deadline = None;
    }

    pub(super) fn sent(&mut self) {
        self.last_sent = self.now;
    }

    pub(super) fn online(&mut self) {
        self.online = true;
        self.negotiation_deadline = None;
    }

    pub(super) fn closing(&mut self, timeout: Duration) {
        self.close_deadline = Some(self.now + timeout);
    }

    pub(super) fn is_ping_answer(&self, iq: &Iq) -> bool {
        self.ping_id.as_deref() == Some(iq.id.as_str())
            && matches!(iq.payload, IqPayload::Result(_) | IqPayload::Error { .. })
    }

    pub(super) fn ping_answered(&mut self) {
        self.ping_id = None;
    }

    /// Starts or stops the ack-request timer as stanzas wait or not.
    pub(super) fn unacked(&mut self, waiting: bool, policy: Option<&SmPolicy>) {
        match (waiting, policy) {
            (true, Some(policy)) => {
                self.ack_deadline.get_or_insert(self.now + policy.ack_after);
            }
            _ => self.ack_deadline = None,
        }
    }
}

impl ClientConnection {
    pub(super) fn run_timers(&mut self, now: Instant) {
        let due = |deadline: Option<Instant>| deadline.is_some_and(|d| d <= now);
        if due(self.timers.close_deadline) {
            self.fail(ConnectionError::Timeout("the closing handshake"), None);
            return;
        }
        if due(self.timers.negotiation_deadline) {
            self.write_close();
            self.fail(ConnectionError::Timeout(self.phase.name()), None);
            return;
        }
        if due(self.timers.check_deadline) {
            self.write_close();
            self.fail(ConnectionError::Timeout("the liveness check"), None);
            return;
        }
        if !self.timers.online || !self.is_online() {
            return;
        }
        let keepalive = self.config.keepalive;
        if let Some(interval) = keepalive.ping_interval
            && self.timers.check_deadline.is_none()
            && now >= self.timers.last_received + interval
        {
            self.check_liveness(now, keepalive.ping_timeout);
        }
        if due(self.timers.ack_deadline) {
            self.timers.ack_deadline = None;
            if self.sm.has_unacked() {
                self.send_ack_request();
            }
        }
        if let Some(interval) = keepalive.whitespace_interval
            && self.config.stream.transport == Transport::Tcp
            && now >= self.timers.last_sent + interval
        {
            self.outbox.whitespace();
            self.timers.sent();
        }
    }

    /// Asks the server for a sign of life: `<r/>` once stream management
    /// is enabled (any answer will do), an XEP-0199 ping otherwise (also
    /// while `<enabled/>` has not come: no `<r/>` may be sent before it).
    fn check_liveness(&mut self, now: Instant, timeout: Duration) {
        self.timers.check_deadline = Some(now + timeout);
        if self.sm.is_enabled() {
            self.send_ack_request();
            return;
        }
        let id = self.new_id();
        let mut ping = Iq::get(id.clone(), crate::elements::ping::ping_payload());
        // XEP-0199 §4.2: client-to-server pings go to the server's domain.
        if let Some(server) = self
            .jid
            .as_ref()
            .and_then(|jid| stanzio_jid::Jid::from_parts(None, jid.domain(), None).ok())
        {
            ping = ping.with_to(server);
        }
        self.send_iq(ping);
        self.timers.ping_id = Some(id);
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let timers = &self.timers;
        let keepalive = &self.config.keepalive;
        let online = timers.online && self.is_online();
        let ping = keepalive
            .ping_interval
            .filter(|_| online && timers.check_deadline.is_none())
            .map(|interval| timers.last_received + interval);
        let whitespace = keepalive
            .whitespace_interval
            .filter(|_| online && self.config.stream.transport == Transport::Tcp)
            .map(|interval| timers.last_sent + interval);
        let ack = timers.ack_deadline.filter(|_| online);
        [
            timers.negotiation_deadline,
            timers.close_deadline,
            timers.check_deadline,
            ack,
            ping,
            whitespace,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
