//! Stream management, client side (XEP-0198): enabling, acks both ways,
//! resumption, and what is handed back when a session is lost.

use std::time::Instant;

use stanzio_jid::FullJid;
use stanzio_stanza::{Stanza, StreamCondition, StreamError};

use super::config::SmPolicy;
use super::{ClientConnection, ClientEvent, ConnectionError, Phase};
use crate::elements::sm::{HandledCountTooHigh as HandledCountTooHighElement, SmElement};
use crate::sm::{ResumptionState, SmCounters};

/// Stream management on this connection.
pub(super) enum SmLink {
    /// Not negotiated (or refused).
    Off,
    /// `<enable/>` is out (counting starts right then, XEP-0198 §4), and
    /// maybe `<enabled/>` arrived.
    On(Box<Managed>),
}

pub(super) struct Managed {
    counters: SmCounters,
    /// `None` until `<enabled/>` arrives.
    enabled: Option<Enabled>,
    /// Stanzas sent since the last `<r/>`.
    since_request: u32,
}

struct Enabled {
    id: Option<String>,
    resumable: bool,
    location: Option<String>,
}

impl SmLink {
    pub(super) fn status(&self) -> Option<(bool, usize)> {
        match self {
            SmLink::Off => None,
            SmLink::On(managed) => Some((
                managed.enabled.as_ref().is_some_and(|e| e.resumable),
                managed.counters.unacked.len(),
            )),
        }
    }

    /// Whether the server enabled resumption (`<enabled resume/>` with an
    /// id).
    pub(super) fn is_resumable(&self) -> bool {
        matches!(self, SmLink::On(managed) if managed.enabled.as_ref().is_some_and(|e| e.resumable))
    }

    /// Takes the stanzas sent and not acknowledged, oldest first.
    pub(super) fn take_unacked(&mut self) -> Vec<Stanza> {
        match self {
            SmLink::Off => Vec::new(),
            SmLink::On(managed) => std::mem::take(&mut managed.counters.unacked).into(),
        }
    }

    pub(super) fn is_enabled(&self) -> bool {
        matches!(self, SmLink::On(managed) if managed.enabled.is_some())
    }

    /// Counts a stanza of the server. XEP-0198 §4: the client's count
    /// starts when it *receives* `<enabled/>`; what the server sent before
    /// (ejabberd delivers a hibernated session's stanzas there) is not
    /// counted, or the client's `h` would run ahead of the server's count.
    pub(super) fn count_received(&mut self) {
        if let SmLink::On(managed) = self
            && managed.enabled.is_some()
        {
            managed.counters.received();
        }
    }

    pub(super) fn is_full(&self, policy: Option<&SmPolicy>) -> bool {
        match (self, policy) {
            (SmLink::On(managed), Some(policy)) => {
                managed.counters.unacked.len() >= policy.max_unacked
            }
            _ => false,
        }
    }

    pub(super) fn has_unacked(&self) -> bool {
        matches!(self, SmLink::On(managed) if !managed.counters.unacked.is_empty())
    }

    /// Keeps a sent stanza until acked; `true` when the policy asks for an
    /// ack request now.
    pub(super) fn track(&mut self, stanza: Stanza, policy: Option<&SmPolicy>) -> bool {
        let (SmLink::On(managed), Some(policy)) = (self, policy) else {
            return false;
        };
        managed.counters.sent(stanza);
        managed.since_request = managed.since_request.saturating_add(1);
        managed.enabled.is_some() && managed.since_request >= policy.ack_every
    }

    pub(super) fn take_resumption(&mut self, jid: FullJid) -> Option<ResumptionState> {
        let SmLink::On(managed) = std::mem::replace(self, SmLink::Off) else {
            return None;
        };
        let enabled = managed.enabled?;
        let id = enabled.id.filter(|_| enabled.resumable)?;
        let counters = managed.counters;
        Some(ResumptionState {
            id,
            location: enabled.location,
            jid,
            handled: counters.inbound,
            sent: counters.outbound,
            acked: counters.acked,
            unacked: counters.unacked.into_iter().collect(),
        })
    }
}

impl ClientConnection {
    /// Asks for stream management once bound, if both sides want it.
    pub(super) fn enable_stream_management(&mut self) {
        let Some(policy) = self.config.sm.as_ref() else {
            return;
        };
        if !self.features.sm {
            return;
        }
        let enable = SmElement::Enable {
            resume: policy.resume,
            max: policy.max,
        };
        self.write_nonza(|w| enable.write_to(w));
        self.sm = SmLink::On(Box::new(Managed {
            counters: SmCounters::new(),
            enabled: None,
            since_request: 0,
        }));
    }

    /// Sends `<a h/>` with what this client handled.
    pub(super) fn send_ack(&mut self) {
        let SmLink::On(managed) = &self.sm else {
            return;
        };
        if managed.enabled.is_none() {
            return;
        }
        let ack = SmElement::Ack {
            h: managed.counters.inbound,
        };
        self.write_nonza(|w| ack.write_to(w));
    }

    /// Sends `<r/>`.
    pub(super) fn send_ack_request(&mut self) {
        if !self.sm.is_enabled() {
            return;
        }
        if let SmLink::On(managed) = &mut self.sm {
            managed.since_request = 0;
        }
        self.write_nonza(|w| SmElement::Request.write_to(w));
    }

    /// An SM element on the established stream.
    pub(super) fn on_sm(&mut self, _now: Instant, element: SmElement) {
        match element {
            SmElement::Request if self.sm.is_enabled() => self.send_ack(),
            SmElement::Ack { h } if self.sm.is_enabled() => self.apply_ack(h),
            SmElement::Enabled {
                id,
                resume,
                location,
                ..
            } if matches!(&self.sm, SmLink::On(m) if m.enabled.is_none()) => {
                if let SmLink::On(managed) = &mut self.sm {
                    // XEP-0198 §3: resumption needs an id.
                    let resumable = resume && id.is_some();
                    managed.enabled = Some(Enabled {
                        id,
                        resumable,
                        location: location.clone(),
                    });
                    self.events.push_back(ClientEvent::StreamManagementEnabled {
                        resumable,
                        location,
                    });
                }
                if self.sm.has_unacked() {
                    self.send_ack_request();
                }
            }
            SmElement::Failed { .. } if matches!(&self.sm, SmLink::On(m) if m.enabled.is_none()) => {
                // Stanzas sent meanwhile went out on a stream without
                // stream management, like on any such stream.
                self.sm = SmLink::Off;
                self.events.push_back(ClientEvent::StreamManagementFailed);
            }
            other => {
                let error = StreamError::new(StreamCondition::UnsupportedStanzaType);
                self.fail(
                    ConnectionError::Unexpected {
                        name: other.as_str().to_owned(),
                        ns: crate::ns::NS_SM.to_owned(),
                        stage: self.phase.name(),
                    },
                    Some(error),
                );
            }
        }
    }

    fn apply_ack(&mut self, h: u32) {
        let SmLink::On(managed) = &mut self.sm else {
            return;
        };
        match managed.counters.ack(h) {
            Ok(acked) => {
                self.events
                    .extend(acked.into_iter().map(ClientEvent::Acked));
                let has_unacked = self.sm.has_unacked();
                self.timers.unacked(has_unacked, self.config.sm.as_ref());
            }
            Err(too_high) => self.handled_count_too_high(too_high),
        }
    }

    /// XEP-0198 §6: `undefined-condition` with `handled-count-too-high`.
    fn handled_count_too_high(&mut self, too_high: crate::sm::HandledCountTooHigh) {
        let app = HandledCountTooHighElement {
            h: too_high.h,
            send_count: too_high.send_count,
        }
        .to_element();
        let error = StreamError::new(StreamCondition::UndefinedCondition).with_app(app);
        self.fail(ConnectionError::HandledCountTooHigh(too_high), Some(error));
    }

    /// `<resumed/>` or `<failed/>` after `<resume/>` (XEP-0198 §5).
    pub(super) fn on_resume_answer(&mut self, element: SmElement) {
        let Phase::Resuming(state) = std::mem::replace(&mut self.phase, Phase::AwaitFeatures)
        else {
            return;
        };
        let state = *state;
        let mut counters = state.counters();
        match element {
            SmElement::Resumed { previd, h } if previd == state.id => {
                match counters.ack(h) {
                    Ok(acked) => self
                        .events
                        .extend(acked.into_iter().map(ClientEvent::Acked)),
                    Err(too_high) => {
                        // The session is not resumed: its stanzas go back
                        // to the application (`Undelivered`).
                        self.sm = SmLink::On(Box::new(Managed {
                            counters,
                            enabled: None,
                            since_request: 0,
                        }));
                        self.handled_count_too_high(too_high);
                        return;
                    }
                }
                let resend = counters.take_for_resend();
                self.sm = SmLink::On(Box::new(Managed {
                    counters,
                    enabled: Some(Enabled {
                        id: Some(state.id),
                        resumable: true,
                        location: state.location,
                    }),
                    since_request: 0,
                }));
                self.phase = Phase::Online;
                // Everything the server did not confirm goes again, first.
                for stanza in resend {
                    if let Err(error) = self.write_stanza(stanza) {
                        self.events.push_back(ClientEvent::Refused { error });
                    }
                }
                if self.sm.has_unacked() {
                    self.send_ack_request();
                }
                self.go_online(state.jid.into(), true);
            }
            SmElement::Failed { h, .. } => {
                if let Some(h) = h
                    && let Ok(acked) = counters.ack(h)
                {
                    self.events
                        .extend(acked.into_iter().map(ClientEvent::Acked));
                }
                // Nothing is lost silently: every stanza the old session may
                // not have delivered goes back to the application at once.
                self.events.push_back(ClientEvent::ResumptionFailed {
                    unacked: counters.unacked.into_iter().collect(),
                });
                self.send_bind();
            }
            other => {
                self.phase = Phase::Resuming(Box::new(state));
                let error = StreamError::new(StreamCondition::UnsupportedStanzaType);
                self.fail(
                    ConnectionError::Unexpected {
                        name: other.as_str().to_owned(),
                        ns: crate::ns::NS_SM.to_owned(),
                        stage: "stream resumption",
                    },
                    Some(error),
                );
            }
        }
    }
}
