//! After authentication, server side: resource binding (RFC 6120 §7), the
//! legacy session (RFC 3921 §3), stream management and resumption
//! (XEP-0198), each decision about accounts left to the caller.

use stanzio_jid::{FullJid, Jid};
use stanzio_stanza::{Condition, Iq, IqPayload, Stanza, StanzaError, StreamCondition, StreamError};
use stanzio_xml::ElementRef;

use super::{Managed, PeerError, Phase, ServerCallError, ServerConnection, ServerEvent};
use crate::elements::bind::{BindRequest, BindResult, Session};
use crate::elements::sm::{HandledCountTooHigh as HandledCountTooHighElement, SmElement};
use crate::sm::{ResumptionState, SmCounters};
use crate::stanza::Refusal;

impl ServerConnection {
    /// An IQ before the session is bound: only bind or session requests.
    pub(super) fn on_bind_stage_iq(&mut self, root: ElementRef<'_>) {
        let iq = match crate::stanza::parse(root, &self.context) {
            Ok(Stanza::Iq(iq)) => iq,
            Ok(_) => {
                // RFC 6120 §7.1: no stanzas before the resource is bound.
                let error = StreamError::new(StreamCondition::NotAuthorized);
                self.fail(PeerError::NotAuthenticated, Some(error));
                return;
            }
            Err(Refusal::Stream(error)) => {
                self.fail(PeerError::NotAuthenticated, Some(*error));
                return;
            }
            Err(Refusal::Invalid(error)) => {
                if let Some(reply) = error.error_reply() {
                    let reply = self.addressed_to_client(reply);
                    self.write_nonza(|w| reply.write_to(w));
                }
                return;
            }
        };
        let payload = match &iq.payload {
            IqPayload::Set(payload) => payload.root(),
            _ => {
                let error = StanzaError::new(Condition::NotAuthorized);
                self.stanza_error_reply(&iq, error);
                return;
            }
        };
        if let Ok(request) = BindRequest::from_element(payload) {
            let Some(account) = self.account.clone() else {
                return;
            };
            self.events.push_back(ServerEvent::BindRequested {
                account,
                requested: request.resource,
            });
            self.phase = Phase::BindPending { iq: Box::new(iq) };
        } else if Session::from_element(payload).is_ok() {
            // Only meaningful after bind; before it, not allowed.
            self.stanza_error_reply(&iq, StanzaError::new(Condition::NotAllowed));
        } else {
            self.stanza_error_reply(&iq, StanzaError::new(Condition::NotAuthorized));
        }
    }

    /// Answers [`ServerEvent::BindRequested`]: the full JID to bind, or the
    /// condition that refuses it (`conflict`, `not-allowed`,
    /// `resource-constraint`, RFC 6120 §7.6.2).
    ///
    /// # Errors
    ///
    /// [`ServerCallError::NotAsked`], or [`ServerCallError::WrongAccount`]
    /// when `jid` is not of the authenticated account (nothing changes).
    pub fn bind(&mut self, answer: Result<FullJid, Condition>) -> Result<(), ServerCallError> {
        let Phase::BindPending { iq } = &self.phase else {
            return Err(ServerCallError::NotAsked);
        };
        let iq = (**iq).clone();
        match answer {
            Ok(jid) => {
                if Some(&jid.to_bare()) != self.account.as_ref() {
                    return Err(ServerCallError::WrongAccount(jid.to_string()));
                }
                let result = BindResult { jid: jid.clone() }.to_element();
                self.context.sender = Some(jid.clone());
                if let Some(reply) = iq.result_reply(Some(result), &self.context) {
                    self.write_nonza(|w| reply.write_to(w));
                }
                self.go_online(Jid::from(jid), false);
            }
            Err(condition) => {
                self.stanza_error_reply(&iq, StanzaError::new(condition));
                self.phase = Phase::AwaitBind;
            }
        }
        Ok(())
    }

    /// Answers [`ServerEvent::ResumeRequested`] with the state kept for
    /// that id, or `None` when it expired or never existed (the client then
    /// gets `<failed/>` and may bind).
    ///
    /// # Errors
    ///
    /// [`ServerCallError::NotAsked`], or [`ServerCallError::WrongAccount`]
    /// when the state belongs to another account (nothing changes).
    pub fn resume(&mut self, state: Option<ResumptionState>) -> Result<(), ServerCallError> {
        let Phase::ResumePending { previd, h } = &self.phase else {
            return Err(ServerCallError::NotAsked);
        };
        let (previd, h) = (previd.clone(), *h);
        let Some(state) = state.filter(|state| state.id == previd) else {
            let failed = SmElement::Failed {
                h: None,
                condition: Some(Condition::ItemNotFound),
            };
            self.write_nonza(|w| failed.write_to(w));
            self.phase = Phase::AwaitBind;
            return Ok(());
        };
        if Some(&state.jid.to_bare()) != self.account.as_ref() {
            return Err(ServerCallError::WrongAccount(state.jid.to_string()));
        }
        let mut counters = state.counters();
        let acked = match counters.ack(h) {
            Ok(acked) => acked,
            Err(too_high) => {
                self.handled_count_too_high(too_high);
                return Ok(());
            }
        };
        self.events
            .extend(acked.into_iter().map(ServerEvent::Acked));
        let resend = counters.take_for_resend();
        let resumed = SmElement::Resumed {
            previd: state.id.clone(),
            h: counters.inbound,
        };
        self.write_nonza(|w| resumed.write_to(w));
        self.context.sender = Some(state.jid.clone());
        self.sm = Some(Managed {
            counters,
            id: Some(state.id),
            since_request: 0,
        });
        // XEP-0198 §5: what the client did not confirm goes again, first.
        self.queued = resend.into_iter().chain(self.queued.drain(..)).collect();
        self.go_online(Jid::from(state.jid), true);
        Ok(())
    }

    /// A stream management element.
    pub(super) fn on_sm(&mut self, root: ElementRef<'_>, element: SmElement) {
        match (element, &self.phase) {
            (SmElement::Resume { previd, h }, Phase::AwaitBind) if self.config.sm.is_some() => {
                let Some(account) = self.account.clone() else {
                    return;
                };
                self.events.push_back(ServerEvent::ResumeRequested {
                    account,
                    previd: previd.clone(),
                    h,
                });
                self.phase = Phase::ResumePending { previd, h };
            }
            (SmElement::Enable { resume, .. }, Phase::Online) => self.enable(resume),
            (SmElement::Enable { .. }, Phase::AwaitBind) => {
                // XEP-0198 §3: only after binding.
                let failed = SmElement::Failed {
                    h: None,
                    condition: Some(Condition::UnexpectedRequest),
                };
                self.write_nonza(|w| failed.write_to(w));
            }
            (SmElement::Request, Phase::Online | Phase::Closing) if self.sm.is_some() => {
                self.send_ack();
            }
            (SmElement::Ack { h }, Phase::Online | Phase::Closing) if self.sm.is_some() => {
                let Some(managed) = &mut self.sm else {
                    return;
                };
                match managed.counters.ack(h) {
                    Ok(acked) => self
                        .events
                        .extend(acked.into_iter().map(ServerEvent::Acked)),
                    Err(too_high) => self.handled_count_too_high(too_high),
                }
                if self
                    .sm
                    .as_ref()
                    .is_some_and(|m| m.counters.unacked.len() <= self.config.max_unacked)
                {
                    self.timers.ack_deadline = None;
                }
                // Any answer proves the client alive.
                self.timers.check_deadline = None;
            }
            _ => self.unexpected(root),
        }
    }

    fn enable(&mut self, resume: bool) {
        let Some(policy) = self.config.sm.clone() else {
            let failed = SmElement::Failed {
                h: None,
                condition: Some(Condition::FeatureNotImplemented),
            };
            self.write_nonza(|w| failed.write_to(w));
            return;
        };
        if self.sm.is_some() {
            // XEP-0198 §3: once per stream.
            let failed = SmElement::Failed {
                h: None,
                condition: Some(Condition::UnexpectedRequest),
            };
            self.write_nonza(|w| failed.write_to(w));
            return;
        }
        let id = (resume && policy.resume).then(|| {
            let mut bytes = [0u8; 16];
            self.rng.fill_bytes(&mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        });
        let enabled = SmElement::Enabled {
            resume: id.is_some(),
            id: id.clone(),
            max: id.as_ref().map(|_| policy.max),
            location: id.as_ref().and(policy.location.clone()),
        };
        self.write_nonza(|w| enabled.write_to(w));
        // XEP-0198 §4: counting starts once <enabled/> is sent.
        self.sm = Some(Managed {
            counters: SmCounters::new(),
            id,
            since_request: 0,
        });
    }

    /// XEP-0198 §6: `undefined-condition` with `handled-count-too-high`.
    fn handled_count_too_high(&mut self, too_high: crate::sm::HandledCountTooHigh) {
        let app = HandledCountTooHighElement {
            h: too_high.h,
            send_count: too_high.send_count,
        }
        .to_element();
        let error = StreamError::new(StreamCondition::UndefinedCondition).with_app(app);
        self.fail(PeerError::HandledCountTooHigh(too_high), Some(error));
    }
}

/// A bound client's session request (RFC 3921 §3) is answered in the
/// session: it changes nothing today.
pub(super) fn is_session_request(iq: &Iq) -> bool {
    matches!(&iq.payload, IqPayload::Set(payload) if Session::from_element(payload.root()).is_ok())
}
