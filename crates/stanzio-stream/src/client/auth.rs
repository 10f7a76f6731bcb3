//! SASL, client side (RFC 6120 §6), through stanzio-sasl: selection with
//! XEP-0440 and XEP-0474, the exchange, and the explicit fallback without
//! channel binding.

use stanzio_sasl::{ClientMechanism, Gs2Flag, Selection, SelectionError, select};
use stanzio_stanza::{StreamCondition, StreamError};

use super::config::Role;
use super::{ClientConnection, ClientEvent, ConnectionError, Phase};
use crate::elements::sasl::SaslElement;

/// One SASL exchange in flight.
pub(super) struct Exchange {
    selection: Selection,
    mechanism: ClientMechanism,
}

impl ClientConnection {
    /// Features arrived on a protected, unauthenticated stream.
    pub(super) fn start_auth(&mut self) {
        let Some(offer) = self.features.sasl_offer() else {
            self.fail(
                ConnectionError::Unexpected {
                    name: "features without mechanisms".to_owned(),
                    ns: crate::ns::NS_SASL.to_owned(),
                    stage: "SASL",
                },
                None,
            );
            self.write_close();
            return;
        };
        let Role::Client { credentials, .. } = &self.config.role else {
            return;
        };
        let memory = self.config.channel_binding;
        match select(
            &offer,
            self.tls.as_ref(),
            credentials,
            &self.config.sasl,
            memory,
        ) {
            Ok(selection) => {
                if let Some(rejected) = selection.fallback_from() {
                    // ChannelBindingMemory::Rejected: -PLUS is not tried again.
                    self.events.push_back(ClientEvent::ChannelBindingFallback {
                        rejected,
                        retry: selection.mechanism(),
                        remembered: true,
                    });
                }
                self.begin(selection);
            }
            Err(error) => {
                // Nothing was sent; close our side of the stream.
                self.write_close();
                self.fail(ConnectionError::NoMechanism(error), None);
            }
        }
    }

    /// Sends `<auth/>` for `selection` (RFC 6120 §6.4.2).
    fn begin(&mut self, selection: Selection) {
        let Role::Client { credentials, .. } = &self.config.role else {
            return;
        };
        let started = ClientMechanism::new(&selection, credentials, &mut self.config.rng).and_then(
            |mut mechanism| {
                let initial = mechanism.initial_response()?;
                Ok((mechanism, initial))
            },
        );
        let (mechanism, initial) = match started {
            Ok(started) => started,
            Err(error) => {
                self.write_close();
                self.fail(ConnectionError::Sasl(error), None);
                return;
            }
        };
        let auth = SaslElement::Auth {
            mechanism: selection.mechanism().as_str().to_owned(),
            initial_response: Some(initial),
        };
        self.write_nonza(|w| auth.write_to(w));
        self.phase = Phase::Authenticating(Box::new(Exchange {
            selection,
            mechanism,
        }));
    }

    /// A SASL element from the server during the exchange.
    pub(super) fn on_sasl(&mut self, element: SaslElement) {
        let Phase::Authenticating(exchange) = &mut self.phase else {
            return;
        };
        match element {
            SaslElement::Challenge(data) => match exchange.mechanism.step(&data) {
                Ok(response) => {
                    let response = SaslElement::Response(response);
                    self.write_nonza(|w| response.write_to(w));
                }
                Err(error) => {
                    // RFC 6120 §6.4.3: the client aborts an exchange it
                    // cannot continue.
                    self.send_sasl_abort();
                    self.write_close();
                    self.fail(ConnectionError::Sasl(error), None);
                }
            },
            SaslElement::Success(data) => {
                if let Err(error) = exchange
                    .mechanism
                    .finish(data.as_deref().unwrap_or_default())
                {
                    // The server thinks we are in, but it did not prove it
                    // knows the password (RFC 5802 §5.1 `v`): leave.
                    self.write_close();
                    self.fail(ConnectionError::Sasl(error), None);
                    return;
                }
                let mechanism = exchange.selection.mechanism();
                let channel_binding = match exchange.selection.gs2_flag() {
                    Gs2Flag::Bind(kind) => Some(kind),
                    _ => None,
                };
                self.authenticated = true;
                self.channel_binding_memory = exchange.mechanism.channel_binding_memory();
                self.events.push_back(ClientEvent::Authenticated {
                    mechanism,
                    channel_binding,
                });
                // RFC 6120 §6.4.6: a new stream, over the same transport.
                self.decoder.restart();
                self.open_stream();
            }
            SaslElement::Failure(failure) => {
                // The explicit fallback after a failed -PLUS attempt; the
                // selection refuses it where the failure can be a man in
                // the middle (XEP-0440 list, pinned account, policy).
                match exchange.selection.without_channel_binding() {
                    Ok(retry) => {
                        if let Some(rejected) = retry.fallback_from() {
                            self.events.push_back(ClientEvent::ChannelBindingFallback {
                                rejected,
                                retry: retry.mechanism(),
                                remembered: false,
                            });
                        }
                        self.begin(retry);
                    }
                    Err(SelectionError::NotChannelBinding { .. }) => {
                        // §6.4.5: the server may allow retries; this client
                        // does not guess passwords, so it ends the stream.
                        self.write_close();
                        self.fail(
                            ConnectionError::AuthenticationFailed(Box::new(failure)),
                            None,
                        );
                    }
                    Err(reason) => {
                        self.write_close();
                        self.fail(
                            ConnectionError::ChannelBindingFailed {
                                failure: Box::new(failure),
                                reason,
                            },
                            None,
                        );
                    }
                }
            }
            other => {
                let name = match other {
                    SaslElement::Auth { .. } => "auth",
                    SaslElement::Response(_) => "response",
                    _ => "abort",
                };
                let error = StreamError::new(StreamCondition::UnsupportedStanzaType);
                self.fail(
                    ConnectionError::Unexpected {
                        name: name.to_owned(),
                        ns: crate::ns::NS_SASL.to_owned(),
                        stage: "SASL",
                    },
                    Some(error),
                );
            }
        }
    }

    pub(super) fn send_sasl_abort(&mut self) {
        self.write_nonza(|w| SaslElement::Abort.write_to(w));
    }
}
