//! SASL, server side (RFC 6120 §6.4), through stanzio-sasl, with the
//! account lookup and the authorization decision left to the caller.

use stanzio_jid::BareJid;
use stanzio_sasl::{Mechanism, SaslCondition, ServerMechanism, ServerStep, StoredCredentials};

use super::{MAX_AUTH_FAILURES, PeerError, Phase, ServerCallError, ServerConnection, ServerEvent};
use crate::elements::sasl::{SaslElement, SaslFailure};

/// One SASL exchange on the server.
pub(super) struct Exchange {
    mechanism: ServerMechanism,
    waiting: Waiting,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Waiting {
    /// For the client's next `<response/>`.
    Client,
    /// For [`ServerConnection::provide_credentials`].
    Credentials,
    /// For [`ServerConnection::accept_certificate`].
    Certificate,
    /// For [`ServerConnection::authorize`], holding what `<success/>`
    /// will carry.
    Authorization {
        account: BareJid,
        success: Option<Vec<u8>>,
    },
}

impl Exchange {
    pub(super) fn waits_for_caller(&self) -> bool {
        self.waiting != Waiting::Client
    }
}

impl ServerConnection {
    pub(super) fn on_sasl(&mut self, element: SaslElement) {
        match element {
            SaslElement::Auth {
                mechanism,
                initial_response,
            } if matches!(self.phase, Phase::Negotiating) => {
                self.start_exchange(&mechanism, initial_response);
            }
            SaslElement::Response(data) if matches!(self.phase, Phase::Authenticating(_)) => {
                self.exchange_step(|m| m.handle_response(&data));
            }
            SaslElement::Abort if matches!(self.phase, Phase::Authenticating(_)) => {
                let failure = match &mut self.phase {
                    Phase::Authenticating(exchange) => exchange
                        .mechanism
                        .abort(SaslCondition::Aborted, "the client aborted"),
                    _ => return,
                };
                self.phase = Phase::Negotiating;
                self.write_failure(SaslFailure::new(failure.condition));
            }
            other => {
                let error = stanzio_stanza::StreamError::new(
                    stanzio_stanza::StreamCondition::UnsupportedStanzaType,
                );
                self.fail(
                    PeerError::Unexpected {
                        name: other.as_str().to_owned(),
                        ns: crate::ns::NS_SASL.to_owned(),
                        stage: self.phase.name(),
                    },
                    Some(error),
                );
            }
        }
    }

    fn start_exchange(&mut self, requested: &str, initial: Option<Vec<u8>>) {
        // RFC 6120 §6.4.2: only what this stream advertised.
        let offered = self
            .offer
            .as_ref()
            .is_some_and(|offer| offer.mechanisms.iter().any(|m| m == requested));
        if !offered {
            let condition = if self.tls.is_none() && matches!(requested, "PLAIN" | "EXTERNAL") {
                SaslCondition::EncryptionRequired
            } else {
                SaslCondition::InvalidMechanism
            };
            self.count_failure(SaslFailure::new(condition));
            return;
        }
        let Some(offer) = self.offer.as_ref() else {
            return;
        };
        let mechanism = match ServerMechanism::new(
            &self.config.sasl,
            offer,
            self.tls.as_ref(),
            requested,
            &mut self.rng,
        ) {
            Ok(mechanism) => mechanism,
            Err(failure) => {
                self.count_failure(SaslFailure::new(failure.condition));
                return;
            }
        };
        self.phase = Phase::Authenticating(Box::new(Exchange {
            mechanism,
            waiting: Waiting::Client,
        }));
        match initial {
            Some(data) => self.exchange_step(|m| m.handle_response(&data)),
            // §6.4.2: no initial response: an empty challenge asks for it.
            None => self.write_nonza(|w| SaslElement::Challenge(Vec::new()).write_to(w)),
        }
    }

    fn exchange_step(
        &mut self,
        step: impl FnOnce(&mut ServerMechanism) -> Result<ServerStep, stanzio_sasl::ServerError>,
    ) {
        let Phase::Authenticating(exchange) = &mut self.phase else {
            return;
        };
        match step(&mut exchange.mechanism) {
            Ok(next) => self.on_step(next),
            Err(_) => {
                self.phase = Phase::Negotiating;
                self.count_failure(SaslFailure::new(SaslCondition::MalformedRequest));
            }
        }
    }

    fn on_step(&mut self, step: ServerStep) {
        let Phase::Authenticating(exchange) = &mut self.phase else {
            return;
        };
        match step {
            ServerStep::Challenge(data) => {
                exchange.waiting = Waiting::Client;
                self.write_nonza(|w| SaslElement::Challenge(data).write_to(w));
            }
            ServerStep::CredentialsNeeded {
                username,
                mechanism,
                ..
            } => {
                exchange.waiting = Waiting::Credentials;
                self.events.push_back(ServerEvent::CredentialsNeeded {
                    username,
                    domain: self.domain.clone().unwrap_or_default(),
                    mechanism,
                });
            }
            ServerStep::CertificateIdentityNeeded {
                certificate,
                authzid,
            } => {
                exchange.waiting = Waiting::Certificate;
                self.events
                    .push_back(ServerEvent::CertificateIdentityNeeded {
                        certificate,
                        authzid,
                        domain: self.domain.clone().unwrap_or_default(),
                    });
            }
            ServerStep::Success {
                identity,
                additional_data,
            } => {
                let domain = self.domain.clone().unwrap_or_default();
                let account = identity
                    .authcid
                    .as_deref()
                    .and_then(|user| BareJid::from_parts(Some(user), &domain).ok());
                let Some(account) = account else {
                    // EXTERNAL and ANONYMOUS name no account here; this
                    // machine does not offer them.
                    self.phase = Phase::Negotiating;
                    self.count_failure(SaslFailure::new(SaslCondition::NotAuthorized));
                    return;
                };
                // RFC 6120 §6.3.8: an authzid naming the account itself is
                // no request; anything else needs the caller's yes.
                let foreign = identity
                    .authzid
                    .as_deref()
                    .filter(|authzid| BareJid::new(authzid).map_or(true, |jid| jid != account));
                match foreign {
                    None => self.authenticated(account, additional_data, identity.mechanism),
                    Some(authzid) => {
                        let authzid = authzid.to_owned();
                        exchange.waiting = Waiting::Authorization {
                            account: account.clone(),
                            success: additional_data,
                        };
                        self.events
                            .push_back(ServerEvent::AuthorizationRequested { account, authzid });
                    }
                }
            }
            ServerStep::Failure(failure) => {
                self.phase = Phase::Negotiating;
                let mut element = SaslFailure::new(failure.condition);
                if !failure.text.is_empty() {
                    element = element.with_text(None, failure.text);
                }
                self.count_failure(element);
            }
            _ => {
                self.phase = Phase::Negotiating;
                self.count_failure(SaslFailure::new(SaslCondition::TemporaryAuthFailure));
            }
        }
    }

    /// Answers [`ServerEvent::CredentialsNeeded`]: the stored record, or
    /// `None` for an unknown user.
    ///
    /// # Errors
    ///
    /// [`ServerCallError::NotAsked`] when no credentials were asked for.
    pub fn provide_credentials(
        &mut self,
        record: Option<StoredCredentials>,
    ) -> Result<(), ServerCallError> {
        match &self.phase {
            Phase::Authenticating(exchange) if exchange.waiting == Waiting::Credentials => {}
            _ => return Err(ServerCallError::NotAsked),
        }
        self.exchange_step(|m| m.provide_credentials(record));
        Ok(())
    }

    /// Answers [`ServerEvent::CertificateIdentityNeeded`] (SASL EXTERNAL,
    /// XEP-0178): the localpart of the account the verified certificate
    /// stands for, or `None` to refuse (`not-authorized`). The caller has
    /// checked the certificate's identity and the requested authzid.
    ///
    /// # Errors
    ///
    /// [`ServerCallError::NotAsked`] when no certificate check is pending.
    pub fn accept_certificate(&mut self, localpart: Option<&str>) -> Result<(), ServerCallError> {
        match &self.phase {
            Phase::Authenticating(exchange) if exchange.waiting == Waiting::Certificate => {}
            _ => return Err(ServerCallError::NotAsked),
        }
        match localpart {
            Some(localpart) => {
                self.exchange_step(|m| m.accept_certificate_identity(localpart));
            }
            None => {
                let failure = match &mut self.phase {
                    Phase::Authenticating(exchange) => exchange.mechanism.abort(
                        SaslCondition::NotAuthorized,
                        "the certificate is not accepted",
                    ),
                    _ => return Err(ServerCallError::NotAsked),
                };
                self.phase = Phase::Negotiating;
                self.count_failure(SaslFailure::new(failure.condition));
            }
        }
        Ok(())
    }

    /// Answers [`ServerEvent::AuthorizationRequested`].
    ///
    /// # Errors
    ///
    /// [`ServerCallError::NotAsked`] when no authorization was asked for.
    pub fn authorize(&mut self, allowed: bool) -> Result<(), ServerCallError> {
        let Phase::Authenticating(exchange) = &mut self.phase else {
            return Err(ServerCallError::NotAsked);
        };
        let Waiting::Authorization { account, success } =
            std::mem::replace(&mut exchange.waiting, Waiting::Client)
        else {
            return Err(ServerCallError::NotAsked);
        };
        let mechanism = exchange.mechanism.mechanism();
        if allowed {
            self.authenticated(account, success, mechanism);
        } else {
            // RFC 6120 §6.5.6.
            self.phase = Phase::Negotiating;
            self.count_failure(SaslFailure::new(SaslCondition::InvalidAuthzid));
        }
        Ok(())
    }

    fn authenticated(&mut self, account: BareJid, success: Option<Vec<u8>>, mechanism: Mechanism) {
        self.write_nonza(|w| SaslElement::Success(success).write_to(w));
        self.account = Some(account.clone());
        self.events
            .push_back(ServerEvent::Authenticated { account, mechanism });
        // RFC 6120 §6.4.6: the client starts a new stream.
        self.decoder.restart();
        self.phase = Phase::AwaitHeader;
    }

    /// Sends `<failure/>`; after too many, ends the stream.
    fn count_failure(&mut self, failure: SaslFailure) {
        self.write_failure(failure);
        self.auth_failures += 1;
        if self.auth_failures >= MAX_AUTH_FAILURES {
            let error =
                stanzio_stanza::StreamError::new(stanzio_stanza::StreamCondition::PolicyViolation)
                    .with_text(None, "too many failed authentication attempts");
            self.fail(PeerError::TooManyAuthFailures, Some(error));
        }
    }

    fn write_failure(&mut self, failure: SaslFailure) {
        self.write_nonza(|w| SaslElement::Failure(failure).write_to(w));
    }
}
