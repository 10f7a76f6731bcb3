//! After authentication: resumption (XEP-0198 §5), or resource binding
//! (RFC 6120 §7) and the legacy session (RFC 3921 §3, only when required).

use stanzio_jid::Jid;
use stanzio_stanza::{Iq, IqPayload, Stanza, StreamCondition, StreamError};
use stanzio_xml::ElementRef;

use super::config::Role;
use super::{ClientConnection, ConnectionError, Phase};
use crate::elements::bind::{BindRequest, BindResult, Session};
use crate::elements::sm::SmElement;
use crate::stanza::Refusal;

impl ClientConnection {
    /// Features of the authenticated stream.
    pub(super) fn after_auth_features(&mut self) {
        if self.features.sm
            && let Some(state) = self.config.resumption.take()
        {
            let resume = SmElement::Resume {
                previd: state.id.clone(),
                h: state.handled,
            };
            self.write_nonza(|w| resume.write_to(w));
            self.phase = Phase::Resuming(Box::new(state));
            return;
        }
        if let Some(state) = self.config.resumption.take() {
            // The server no longer offers stream management: the old
            // session cannot come back; hand its stanzas to the caller.
            self.events.push_back(super::ClientEvent::ResumptionFailed {
                unacked: state.unacked,
            });
        }
        self.send_bind();
    }

    /// Sends the bind request (RFC 6120 §7.6.1 or §7.7.1).
    pub(super) fn send_bind(&mut self) {
        if !self.features.bind {
            self.write_close();
            self.fail(
                ConnectionError::Unexpected {
                    name: "features without bind".to_owned(),
                    ns: crate::ns::NS_BIND.to_owned(),
                    stage: "resource binding",
                },
                None,
            );
            return;
        }
        let resource = match &self.config.role {
            Role::Client { resource, .. } => resource.clone(),
            Role::Component { .. } => None,
        };
        let id = self.new_id();
        let iq = Iq::set(id.clone(), BindRequest { resource }.to_element());
        self.send_iq(iq);
        self.phase = Phase::Binding { id };
    }

    /// An IQ while binding or establishing the session.
    pub(super) fn on_negotiation_iq(&mut self, root: ElementRef<'_>) {
        let iq = match crate::stanza::parse(root, &self.context) {
            Ok(Stanza::Iq(iq)) => iq,
            Ok(_) | Err(Refusal::Invalid(_)) => {
                self.unexpected(root);
                return;
            }
            Err(Refusal::Stream(error)) => {
                self.fail(
                    ConnectionError::Unexpected {
                        name: root.name().to_owned(),
                        ns: root.ns().to_owned(),
                        stage: self.phase.name(),
                    },
                    Some(*error),
                );
                return;
            }
        };
        let expected = match &self.phase {
            Phase::Binding { id } | Phase::StartingSession { id } => id.as_str(),
            _ => return,
        };
        if iq.id != expected || !self.is_from_server(&iq) {
            // RFC 6120 §7.6: nothing but the answer may come now.
            self.unexpected(root);
            return;
        }
        match (&self.phase, iq.payload) {
            (Phase::Binding { .. }, IqPayload::Result(Some(payload))) => {
                match BindResult::from_element(payload.root()) {
                    Ok(result) => self.bound(result),
                    Err(error) => {
                        let stream_error = StreamError::new(StreamCondition::UndefinedCondition)
                            .with_text(None, "the bound JID is not valid");
                        self.fail(ConnectionError::Malformed(error), Some(stream_error));
                    }
                }
            }
            (Phase::StartingSession { .. }, IqPayload::Result(_)) => self.session_started(),
            (_, IqPayload::Error { error, .. }) => {
                self.write_close();
                self.fail(ConnectionError::BindFailed(Box::new(error)), None);
            }
            _ => self.unexpected(root),
        }
    }

    /// RFC 6120 §8.1.2.1: the server answers for itself without `from`, or
    /// from the account or its domain.
    fn is_from_server(&self, iq: &Iq) -> bool {
        let Role::Client { account, .. } = &self.config.role else {
            return false;
        };
        match &iq.from {
            None => true,
            Some(from) => from == &Jid::from(account.clone()) || from.as_str() == account.domain(),
        }
    }

    fn bound(&mut self, result: BindResult) {
        let Role::Client { account, .. } = &self.config.role else {
            return;
        };
        // RFC 6120 §7.6.1: the server binds a resource to *this* account.
        // An account without localpart (ANONYMOUS, RFC 4505; EXTERNAL
        // where the certificate names the user) is named by the server:
        // then only the domain is known.
        let bound = result.jid.to_bare();
        let same = match account.node() {
            Some(_) => bound == *account,
            None => bound.domain() == account.domain(),
        };
        if !same {
            let error = StreamError::new(StreamCondition::UndefinedCondition)
                .with_text(None, "bound to another account");
            self.fail(
                ConnectionError::BoundToOtherAccount(result.jid),
                Some(error),
            );
            return;
        }
        let jid = Jid::from(result.jid);
        self.jid = Some(jid);
        // RFC 6121 §1.4 (RFC 3921 §3): the session request only when the
        // server marks it required.
        if self
            .features
            .session
            .as_ref()
            .is_some_and(|session| !session.optional)
        {
            let id = self.new_id();
            let iq = Iq::set(id.clone(), Session.to_element());
            self.send_iq(iq);
            self.phase = Phase::StartingSession { id };
        } else {
            self.session_started();
        }
    }

    fn session_started(&mut self) {
        let Some(jid) = self.jid.clone() else {
            return;
        };
        self.enable_stream_management();
        self.go_online(jid, false);
    }
}
