//! Stream management counting (XEP-0198 §4), the same on both sides: what
//! this side sent and the peer has not acknowledged, and how many of the
//! peer's stanzas this side handled.
//!
//! Counters are `u32` and wrap from 2³²−1 to 0 (XEP-0198 §4: `h` is an
//! `xs:unsignedInt`), so every comparison is made on differences.

use std::collections::VecDeque;

use stanzio_jid::FullJid;
use stanzio_stanza::Stanza;

/// A peer acknowledged more stanzas than were sent (XEP-0198 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandledCountTooHigh {
    /// The `h` the peer sent.
    pub h: u32,
    /// How many stanzas this side had sent.
    pub send_count: u32,
}

/// Room for unacknowledged stanzas kept once all were acknowledged.
const KEPT_UNACKED: usize = 4;

/// The counting state of one stream-managed stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SmCounters {
    /// Stanzas of the peer this side handled (our `h`).
    pub(crate) inbound: u32,
    /// Stanzas this side sent since enabling (wrapping).
    pub(crate) outbound: u32,
    /// The peer's last `h`: `outbound - acked` stanzas are unacknowledged.
    pub(crate) acked: u32,
    /// Sent and not yet acknowledged, oldest first.
    pub(crate) unacked: VecDeque<Stanza>,
}

impl SmCounters {
    pub(crate) fn new() -> Self {
        SmCounters {
            inbound: 0,
            outbound: 0,
            acked: 0,
            unacked: VecDeque::new(),
        }
    }

    /// Counts a stanza handed to the transport and keeps it until acked.
    pub(crate) fn sent(&mut self, stanza: Stanza) {
        self.outbound = self.outbound.wrapping_add(1);
        self.unacked.push_back(stanza);
    }

    /// Counts a stanza of the peer as handled.
    pub(crate) fn received(&mut self) {
        self.inbound = self.inbound.wrapping_add(1);
    }

    /// Applies the peer's `h`, returning the stanzas it acknowledged, oldest
    /// first. An `h` that acknowledges more than is outstanding is a
    /// protocol error; an `h` below the last one (a stale ack: behind it by
    /// less than half the counter space, as RFC 1982 compares serial
    /// numbers) acknowledges nothing new.
    pub(crate) fn ack(&mut self, h: u32) -> Result<Vec<Stanza>, HandledCountTooHigh> {
        let newly = h.wrapping_sub(self.acked) as usize;
        // What was sent, not what is kept: a resumption state may carry
        // stanzas the caller added that were never sent (XEP-0198 §5), and
        // a peer cannot have handled those.
        let outstanding = self.outbound.wrapping_sub(self.acked) as usize;
        if newly > outstanding.min(self.unacked.len()) {
            if self.acked.wrapping_sub(h) < 1 << 31 {
                return Ok(Vec::new());
            }
            return Err(HandledCountTooHigh {
                h,
                send_count: self.outbound,
            });
        }
        self.acked = h;
        let acked: Vec<Stanza> = self.unacked.drain(..newly).collect();
        // An idle connection keeps room for a few stanzas, not for the
        // largest burst it ever saw.
        if self.unacked.is_empty() {
            self.unacked.shrink_to(KEPT_UNACKED);
        }
        Ok(acked)
    }

    /// After `<resumed h/>` or `<resume h/>` applied the peer's `h`: takes
    /// the stanzas to send again and rewinds the sent count to what the peer
    /// acknowledged, so that sending them again counts them again exactly
    /// as the peer will (XEP-0198 §5: counters carry over, never reset).
    pub(crate) fn take_for_resend(&mut self) -> VecDeque<Stanza> {
        self.outbound = self.acked;
        std::mem::take(&mut self.unacked)
    }
}

/// Everything needed to resume a stream-managed session on a new
/// connection (XEP-0198 §5), taken out of a connection that closed or
/// failed and handed to the next one.
///
/// With the `serde` feature it serializes, so a session can survive a
/// process restart; unacknowledged stanzas are stored as their XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumptionState {
    /// The `id` the server gave in `<enabled/>` (`previd` of `<resume/>`).
    pub id: String,
    /// Where the server asked to be reconnected to for resumption
    /// (`location` of `<enabled/>`, RFC 6120 §4.9.3.19 form `host:port`).
    pub location: Option<String>,
    /// The full JID the session was bound to.
    pub jid: FullJid,
    /// How many of the server's stanzas this client handled (`h` of
    /// `<resume/>`).
    pub handled: u32,
    /// How many stanzas the client had sent, wrapping.
    pub sent: u32,
    /// The server's last acknowledgement.
    pub acked: u32,
    /// Sent and not acknowledged, oldest first: sent again on resumption,
    /// handed back if resumption fails.
    pub unacked: Vec<Stanza>,
}

impl ResumptionState {
    pub(crate) fn counters(&self) -> SmCounters {
        SmCounters {
            inbound: self.handled,
            outbound: self.sent,
            acked: self.acked,
            unacked: self.unacked.iter().cloned().collect(),
        }
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    //! Unacknowledged stanzas travel as XML strings: the typed stanza has
    //! no serde form, and its XML is its stable, complete one.
    use super::ResumptionState;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use stanzio_jid::FullJid;
    use stanzio_stanza::Stanza;
    use stanzio_xml::{ContentNamespace, Limits, StreamEvent, StreamReader, StreamWriter};

    #[derive(Serialize, Deserialize)]
    struct Stored {
        id: String,
        location: Option<String>,
        jid: FullJid,
        handled: u32,
        sent: u32,
        acked: u32,
        unacked: Vec<String>,
    }

    impl Serialize for ResumptionState {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let writer = StreamWriter::new(ContentNamespace::Client);
            let mut unacked = Vec::with_capacity(self.unacked.len());
            for stanza in &self.unacked {
                let mut out = Vec::new();
                let mut w = writer.element(&mut out);
                stanza.write_to(&mut w);
                w.finish().map_err(serde::ser::Error::custom)?;
                unacked.push(String::from_utf8(out).map_err(serde::ser::Error::custom)?);
            }
            Stored {
                id: self.id.clone(),
                location: self.location.clone(),
                jid: self.jid.clone(),
                handled: self.handled,
                sent: self.sent,
                acked: self.acked,
                unacked,
            }
            .serialize(serializer)
        }
    }

    impl<'de> Deserialize<'de> for ResumptionState {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let stored = Stored::deserialize(deserializer)?;
            let mut reader = StreamReader::new(Limits::default());
            let mut header: &[u8] = b"<stream:stream xmlns='jabber:client' \
                xmlns:stream='http://etherx.jabber.org/streams'>";
            reader.read(&mut header).map_err(D::Error::custom)?;
            let mut unacked = Vec::with_capacity(stored.unacked.len());
            for xml in &stored.unacked {
                let mut input = xml.as_bytes();
                let Some(StreamEvent::Element(element)) =
                    reader.read(&mut input).map_err(D::Error::custom)?
                else {
                    return Err(D::Error::custom("an unacked entry is not one element"));
                };
                let stanza = crate::stanza::parse_own(element.root()).map_err(D::Error::custom)?;
                unacked.push(stanza);
            }
            let _: &Vec<Stanza> = &unacked;
            Ok(ResumptionState {
                id: stored.id,
                location: stored.location,
                jid: stored.jid,
                handled: stored.handled,
                sent: stored.sent,
                acked: stored.acked,
                unacked,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stanzio_stanza::Presence;

    fn stanza() -> Stanza {
        Stanza::Presence(Presence::available())
    }

    #[test]
    fn ack_releases_exactly_the_acknowledged_stanzas() {
        let mut counters = SmCounters::new();
        for _ in 0..3 {
            counters.sent(stanza());
        }
        assert_eq!(counters.ack(2).map(|v| v.len()), Ok(2));
        assert_eq!(counters.unacked.len(), 1);
        // The same h again acknowledges nothing new.
        assert_eq!(counters.ack(2).map(|v| v.len()), Ok(0));
        // An older h acknowledges nothing and is no error.
        assert_eq!(counters.ack(1).map(|v| v.len()), Ok(0));
        assert_eq!(counters.unacked.len(), 1);
        assert_eq!(
            counters.ack(4),
            Err(HandledCountTooHigh {
                h: 4,
                send_count: 3
            })
        );
    }

    #[test]
    fn counters_wrap_at_two_to_the_32() {
        let mut counters = SmCounters {
            inbound: u32::MAX,
            outbound: u32::MAX - 1,
            acked: u32::MAX - 1,
            unacked: VecDeque::new(),
        };
        counters.received();
        assert_eq!(counters.inbound, 0);
        counters.sent(stanza());
        counters.sent(stanza());
        assert_eq!(counters.outbound, 0);
        // h = 0 acknowledges both across the wrap (XEP-0198 §4).
        assert_eq!(counters.ack(0).map(|v| v.len()), Ok(2));
    }

    #[test]
    fn stanzas_added_to_a_resumption_state_cannot_be_acknowledged_before_they_are_sent() {
        let mut counters = SmCounters::new();
        counters.sent(stanza());
        // As a server does with what came for a dropped session.
        counters.unacked.push_back(stanza());
        assert!(counters.ack(2).is_err());
        assert_eq!(counters.ack(1).map(|acked| acked.len()), Ok(1));
        assert_eq!(counters.take_for_resend().len(), 1);
    }

    #[test]
    fn resend_rewinds_the_sent_count_to_the_ack() {
        let mut counters = SmCounters::new();
        for _ in 0..5 {
            counters.sent(stanza());
        }
        counters.ack(3).ok();
        let again = counters.take_for_resend();
        assert_eq!(again.len(), 2);
        assert_eq!(counters.outbound, 3);
    }
}
