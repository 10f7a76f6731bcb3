//! `<stream:features/>` (RFC 6120 §4.3.2) and the features this crate
//! negotiates, as values with flags so that a negotiation loop is generic.

use stanzio_sasl::ServerOffer;
use stanzio_xml::{Element, ElementRef, NS_STREAM, XmlWriter};

use super::{ElementError, expect, trim_xml_space};
use crate::ns::{
    NS_BIND, NS_ROSTER_VERSIONING, NS_SASL, NS_SASL_CB, NS_SESSION, NS_SM, NS_STREAM_LIMITS, NS_TLS,
};

/// A stream feature that is negotiated, with what a negotiation loop needs
/// to know about it.
///
/// Features the loop only reads ([`StreamLimits`], roster versioning) are
/// not negotiated and have no kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FeatureKind {
    /// STARTTLS (RFC 6120 §5).
    StartTls,
    /// SASL authentication (RFC 6120 §6).
    Sasl,
    /// Resource binding (RFC 6120 §7).
    Bind,
    /// Legacy session establishment (RFC 3921 §3).
    Session,
    /// Stream management (XEP-0198).
    StreamManagement,
}

impl FeatureKind {
    /// Every kind, in the order a client negotiates them: the layers of
    /// RFC 6120 §13.3 (TLS, then SASL, then XMPP), bind before session
    /// (RFC 3921 §3) and before stream management (XEP-0198 §3).
    pub const ALL: [FeatureKind; 5] = [
        FeatureKind::StartTls,
        FeatureKind::Sasl,
        FeatureKind::Bind,
        FeatureKind::Session,
        FeatureKind::StreamManagement,
    ];

    /// Whether both sides start a new stream once it succeeds, forgetting
    /// everything learned before: after TLS (RFC 6120 §5.4.3.3) and after
    /// SASL (§6.4.6).
    pub fn restarts_stream(self) -> bool {
        matches!(self, FeatureKind::StartTls | FeatureKind::Sasl)
    }

    /// Whether it belongs above the TLS layer (RFC 6120 §13.3): when TLS is
    /// to be used, it is negotiated only once TLS is up. Everything but
    /// STARTTLS itself.
    pub fn needs_tls(self) -> bool {
        self != FeatureKind::StartTls
    }

    /// Whether it may only be negotiated by an authenticated entity:
    /// binding comes after SASL (RFC 6120 §7.3.1), and so do session
    /// establishment (RFC 3921 §3) and stream management (XEP-0198 §3).
    pub fn needs_auth(self) -> bool {
        matches!(
            self,
            FeatureKind::Bind | FeatureKind::Session | FeatureKind::StreamManagement
        )
    }
}

/// The STARTTLS feature (RFC 6120 §5.4.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartTlsFeature {
    /// `<required/>`: the server will not go on without TLS (RFC 6120
    /// §5.4.1), which makes TLS mandatory-to-negotiate.
    pub required: bool,
}

/// The legacy session feature (RFC 3921 §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionFeature {
    /// `<optional/>` (draft-cridland-xmpp-session-01 §2, sent by Prosody
    /// and ejabberd): the client may skip the session request. Without it,
    /// RFC 3921 §3 makes the request mandatory.
    pub optional: bool,
}

/// The stream limits a server announces (XEP-0478 §3.1).
///
/// A child whose text is not an `xs:unsignedInt` is read as absent rather
/// than failing the whole features element: the limits are advice about
/// what the server accepts (XEP-0478 §4), and an unreadable figure gives
/// no more information than a missing one, which the XEP allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamLimits {
    /// `<max-bytes/>`: the largest top-level element, in bytes, that the
    /// server accepts.
    pub max_bytes: Option<u32>,
    /// `<idle-seconds/>`: seconds without traffic from the client after
    /// which the server may check the connection or close it.
    pub idle_seconds: Option<u32>,
}

impl StreamLimits {
    /// Reads `<limits xmlns='urn:xmpp:stream-limits:0'/>`.
    ///
    /// # Errors
    ///
    /// [`ElementError::Unexpected`] for another element.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, ElementError> {
        expect(element, "limits", NS_STREAM_LIMITS)?;
        let figure = |name| {
            let child = element.get_child(name, NS_STREAM_LIMITS)?;
            trim_xml_space(&child.text()).parse().ok()
        };
        Ok(StreamLimits {
            max_bytes: figure("max-bytes"),
            idle_seconds: figure("idle-seconds"),
        })
    }

    /// Writes `<limits/>` with the figures that are known.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        w.start("limits", NS_STREAM_LIMITS);
        for (name, figure) in [
            ("max-bytes", self.max_bytes),
            ("idle-seconds", self.idle_seconds),
        ] {
            if let Some(figure) = figure {
                w.start(name, NS_STREAM_LIMITS);
                w.text(&figure.to_string());
                w.end();
            }
        }
        w.end();
    }
}

/// `<stream:features/>`: what the receiving entity offers at this point of
/// the negotiation (RFC 6120 §4.3.2).
///
/// Reading keeps the first occurrence of each feature this type models in
/// its field; any feature it does not model, and a second occurrence of
/// one it does, stays in [`other`](Self::other) as it arrived, so nothing
/// the server sent is lost and writing the value again gives the same
/// features. [`Default`] is the empty features element.
///
/// ```
/// use stanzio_stream::elements::features::{FeatureKind, StreamFeatures};
/// use stanzio_xml::{Limits, StreamEvent, StreamReader};
///
/// let mut reader = StreamReader::new(Limits::default());
/// let mut input: &[u8] = b"<stream:stream xmlns='jabber:client' \
///     xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\
///     <stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>\
///     <required/></starttls></stream:features>";
/// let Some(StreamEvent::Header(_)) = reader.read(&mut input)? else { unreachable!() };
/// let Some(StreamEvent::Element(element)) = reader.read(&mut input)? else { unreachable!() };
/// let features = StreamFeatures::from_element(element.root())?;
/// assert!(features.is_required(FeatureKind::StartTls));
/// assert!(!features.negotiation_complete());
/// assert!(StreamFeatures::default().negotiation_complete());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamFeatures {
    /// `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>` (RFC 6120
    /// §5.4.1).
    pub starttls: Option<StartTlsFeature>,
    /// `<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>` (RFC 6120
    /// §6.4.1): the `<mechanism/>` texts in the order listed, unknown names
    /// included, since XEP-0474 §6.1 hashes all of them. White space around
    /// a name is dropped (RFC 4422 §3.1 names have none).
    pub mechanisms: Option<Vec<String>>,
    /// `<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'/>` (XEP-0440 §2):
    /// the `type` of each `<channel-binding/>`. Read from the top-level
    /// feature, or, when there is none, from inside `<mechanisms/>`, where
    /// XEP-0440 put it before version 0.4; always written at the top level.
    pub channel_binding_types: Option<Vec<String>>,
    /// `<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>` (RFC 6120 §7.4).
    /// Binding is always mandatory-to-negotiate (§7.3.1), so the
    /// `<required/>` Prosody puts inside says nothing more and is not
    /// written.
    pub bind: bool,
    /// `<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>` (RFC 3921
    /// §3).
    pub session: Option<SessionFeature>,
    /// `<sm xmlns='urn:xmpp:sm:3'/>` (XEP-0198 §2). The `<optional/>`
    /// Prosody puts inside is not kept: stream management is always
    /// voluntary. `urn:xmpp:sm:2` stays in [`other`](Self::other).
    pub sm: bool,
    /// `<limits xmlns='urn:xmpp:stream-limits:0'/>` (XEP-0478 §3.1).
    pub limits: Option<StreamLimits>,
    /// `<ver xmlns='urn:xmpp:features:rosterver'/>`: the server supports
    /// roster versioning (XEP-0237 §2.1, RFC 6121 §2.6).
    pub ver: bool,
    /// Every other child element, in document order.
    pub other: Vec<Element>,
}

impl StreamFeatures {
    /// Reads `<stream:features/>`.
    ///
    /// # Errors
    ///
    /// [`ElementError::Unexpected`] for another element;
    /// [`ElementError::MissingAttribute`] for a XEP-0440
    /// `<channel-binding/>` without `type` (XEP-0440 §2: it MUST have one,
    /// and XEP-0474 hashes the list, so one cannot be skipped).
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, ElementError> {
        expect(element, "features", NS_STREAM)?;
        let mut features = StreamFeatures::default();
        let mut nested_channel_binding = None;
        for child in element.children() {
            let taken = match (child.ns(), child.name()) {
                (NS_TLS, "starttls") if features.starttls.is_none() => {
                    features.starttls = Some(StartTlsFeature {
                        required: child.get_child("required", NS_TLS).is_some(),
                    });
                    true
                }
                (NS_SASL, "mechanisms") if features.mechanisms.is_none() => {
                    features.mechanisms = Some(mechanisms(child));
                    nested_channel_binding = child.get_child("sasl-channel-binding", NS_SASL_CB);
                    true
                }
                (NS_SASL_CB, "sasl-channel-binding")
                    if features.channel_binding_types.is_none() =>
                {
                    features.channel_binding_types = Some(channel_binding_types(child)?);
                    true
                }
                (NS_BIND, "bind") if !features.bind => {
                    features.bind = true;
                    true
                }
                (NS_SESSION, "session") if features.session.is_none() => {
                    features.session = Some(SessionFeature {
                        optional: child.get_child("optional", NS_SESSION).is_some(),
                    });
                    true
                }
                (NS_SM, "sm") if !features.sm => {
                    features.sm = true;
                    true
                }
                (NS_STREAM_LIMITS, "limits") if features.limits.is_none() => {
                    features.limits = Some(StreamLimits::from_element(child)?);
                    true
                }
                (NS_ROSTER_VERSIONING, "ver") if !features.ver => {
                    features.ver = true;
                    true
                }
                _ => false,
            };
            if !taken {
                features.other.push(child.to_owned());
            }
        }
        if features.channel_binding_types.is_none() {
            features.channel_binding_types = nested_channel_binding
                .map(channel_binding_types)
                .transpose()?;
        }
        Ok(features)
    }

    /// Writes `<stream:features/>`. The writer puts the `stream:` prefix on
    /// it, and declares that prefix itself in RFC 7395 mode (§3.3.3).
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        w.start("features", NS_STREAM);
        if let Some(starttls) = self.starttls {
            w.start("starttls", NS_TLS);
            if starttls.required {
                w.start("required", NS_TLS);
                w.end();
            }
            w.end();
        }
        if let Some(mechanisms) = &self.mechanisms {
            w.start("mechanisms", NS_SASL);
            for mechanism in mechanisms {
                w.start("mechanism", NS_SASL);
                w.text(mechanism);
                w.end();
            }
            w.end();
        }
        if let Some(types) = &self.channel_binding_types {
            w.start("sasl-channel-binding", NS_SASL_CB);
            for kind in types {
                w.start("channel-binding", NS_SASL_CB);
                w.attr("type", kind);
                w.end();
            }
            w.end();
        }
        if self.bind {
            w.start("bind", NS_BIND);
            w.end();
        }
        if let Some(session) = self.session {
            w.start("session", NS_SESSION);
            if session.optional {
                w.start("optional", NS_SESSION);
                w.end();
            }
            w.end();
        }
        if self.sm {
            w.start("sm", NS_SM);
            w.end();
        }
        if let Some(limits) = &self.limits {
            limits.write_to(w);
        }
        if self.ver {
            w.start("ver", NS_ROSTER_VERSIONING);
            w.end();
        }
        for other in &self.other {
            w.element(other.root());
        }
        w.end();
    }

    /// What the SASL layer selects from: the mechanisms and the XEP-0440
    /// channel-binding types. `None` when SASL is not offered.
    pub fn sasl_offer(&self) -> Option<ServerOffer> {
        let mechanisms = self.mechanisms.clone()?;
        Some(ServerOffer {
            mechanisms,
            channel_binding_types: self.channel_binding_types.clone(),
        })
    }

    /// Whether the feature of this kind is offered.
    pub fn offers(&self, kind: FeatureKind) -> bool {
        match kind {
            FeatureKind::StartTls => self.starttls.is_some(),
            FeatureKind::Sasl => self.mechanisms.is_some(),
            FeatureKind::Bind => self.bind,
            FeatureKind::Session => self.session.is_some(),
            FeatureKind::StreamManagement => self.sm,
        }
    }

    /// The kinds offered, in negotiation order ([`FeatureKind::ALL`]).
    pub fn offered(&self) -> impl Iterator<Item = FeatureKind> + '_ {
        FeatureKind::ALL
            .into_iter()
            .filter(|&kind| self.offers(kind))
    }

    /// Whether the feature of this kind is offered and
    /// mandatory-to-negotiate: STARTTLS with `<required/>` (RFC 6120
    /// §5.4.1), SASL (§6.4.1) and binding (§7.3.1) always, a session
    /// without `<optional/>` (RFC 3921 §3). Stream management is always
    /// voluntary (XEP-0198 §2).
    pub fn is_required(&self, kind: FeatureKind) -> bool {
        match kind {
            FeatureKind::StartTls => self.starttls.is_some_and(|tls| tls.required),
            FeatureKind::Sasl => self.mechanisms.is_some(),
            FeatureKind::Bind => self.bind,
            FeatureKind::Session => self.session.is_some_and(|session| !session.optional),
            FeatureKind::StreamManagement => false,
        }
    }

    /// Whether stream negotiation is complete, so the initiating entity may
    /// send stanzas: the features are empty or hold only
    /// voluntary-to-negotiate features (RFC 6120 §4.3.2, §4.3.5).
    ///
    /// A feature in [`other`](Self::other) counts as mandatory when it
    /// carries `<required/>` in its own namespace, the marker RFC 6120
    /// §5.4.1 defines for STARTTLS and servers also put on other features;
    /// a client that does not know it cannot go on.
    pub fn negotiation_complete(&self) -> bool {
        !FeatureKind::ALL
            .into_iter()
            .any(|kind| self.is_required(kind))
            && !self
                .other
                .iter()
                .any(|feature| feature.root().get_child("required", feature.ns()).is_some())
    }
}

/// The texts of the `<mechanism/>` children, trimmed.
fn mechanisms(element: ElementRef<'_>) -> Vec<String> {
    element
        .children()
        .filter(|child| child.is("mechanism", NS_SASL))
        .map(|child| trim_xml_space(&child.text()).to_owned())
        .collect()
}

/// The `type` of each `<channel-binding/>` child of
/// `<sasl-channel-binding/>` (XEP-0440 §2).
fn channel_binding_types(element: ElementRef<'_>) -> Result<Vec<String>, ElementError> {
    element
        .children()
        .filter(|child| child.is("channel-binding", NS_SASL_CB))
        .map(|child| {
            child
                .attr("type")
                .map(str::to_owned)
                .ok_or(ElementError::MissingAttribute {
                    element: "channel-binding",
                    attribute: "type",
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        use FeatureKind::*;
        let restarting: Vec<_> = FeatureKind::ALL
            .into_iter()
            .filter(|k| k.restarts_stream())
            .collect();
        assert_eq!(restarting, [StartTls, Sasl]);
        let after_tls: Vec<_> = FeatureKind::ALL
            .into_iter()
            .filter(|k| k.needs_tls())
            .collect();
        assert_eq!(after_tls, [Sasl, Bind, Session, StreamManagement]);
        let after_auth: Vec<_> = FeatureKind::ALL
            .into_iter()
            .filter(|k| k.needs_auth())
            .collect();
        assert_eq!(after_auth, [Bind, Session, StreamManagement]);
    }

    #[test]
    fn required_and_complete() {
        let mut features = StreamFeatures {
            starttls: Some(StartTlsFeature { required: false }),
            sm: true,
            ver: true,
            ..StreamFeatures::default()
        };
        // STARTTLS without <required/> is voluntary.
        assert!(features.negotiation_complete());
        assert_eq!(
            features.offered().collect::<Vec<_>>(),
            [FeatureKind::StartTls, FeatureKind::StreamManagement]
        );
        features.session = Some(SessionFeature { optional: true });
        assert!(features.negotiation_complete());
        features.session = Some(SessionFeature { optional: false });
        assert!(!features.negotiation_complete());
        assert!(features.is_required(FeatureKind::Session));
        features.session = None;
        features.other.push(
            Element::builder("x", "urn:example:x")
                .child(
                    Element::builder("required", "urn:example:x")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        );
        assert!(!features.negotiation_complete());
        // <required/> in another namespace is not the feature's marker.
        features.other[0] = Element::builder("x", "urn:example:x")
            .child(Element::builder("required", NS_TLS).build().unwrap())
            .build()
            .unwrap();
        assert!(features.negotiation_complete());
        for kind in [FeatureKind::Sasl, FeatureKind::Bind] {
            let mut features = StreamFeatures::default();
            assert!(!features.is_required(kind));
            match kind {
                FeatureKind::Sasl => features.mechanisms = Some(vec!["PLAIN".into()]),
                _ => features.bind = true,
            }
            assert!(features.offers(kind));
            assert!(features.is_required(kind));
            assert!(!features.negotiation_complete());
        }
    }
}
