//! STARTTLS, client side (RFC 6120 §5.4).

use stanzio_stanza::{StreamCondition, StreamError};

use super::{ClientConnection, ConnectionError, Phase, TlsMode};
use crate::elements::tls::TlsElement;

impl ClientConnection {
    /// Features arrived on a stream without TLS (and TLS is wanted).
    pub(super) fn start_tls(&mut self) {
        if self.config.tls == TlsMode::DirectTls {
            // The adapter should have reported the session before input.
            self.fail(ConnectionError::TlsNotEstablished, None);
            return;
        }
        if self.features.starttls.is_none() {
            // RFC 6120 §5.3.1 and RFC 7590 §3.1: no credential may leave
            // without TLS. End the stream politely; nothing else was sent.
            let error = StreamError::new(StreamCondition::PolicyViolation)
                .with_text(None, "TLS is required");
            self.fail(ConnectionError::TlsNotOffered, Some(error));
            return;
        }
        self.write_nonza(|w| TlsElement::StartTls.write_to(w));
        self.phase = Phase::StartTlsRequested;
    }

    /// `<proceed/>` or `<failure/>` (RFC 6120 §5.4.2.3, §5.4.2.2).
    pub(super) fn on_tls(&mut self, element: TlsElement) {
        match element {
            TlsElement::Proceed => {
                self.phase = Phase::TlsHandshake;
                self.events.push_back(super::ClientEvent::StartTls);
            }
            TlsElement::Failure => {
                // §5.4.2.2: the server closes the stream and the TCP
                // connection after <failure/>.
                self.fail(ConnectionError::TlsRefused, None);
            }
            TlsElement::StartTls => {
                let error = StreamError::new(StreamCondition::UnsupportedStanzaType);
                self.fail(
                    ConnectionError::Unexpected {
                        name: "starttls".to_owned(),
                        ns: crate::ns::NS_TLS.to_owned(),
                        stage: "STARTTLS",
                    },
                    Some(error),
                );
            }
        }
    }
}
