//! `<presence/>` (RFC 6121 §4).

use stanzio_jid::Jid;
use stanzio_xml::{Element, ElementRef, XmlWriter};

use crate::StanzaKind;
use crate::common::{
    Attributes, ExtensionAttribute, find_payload, payload_vec, read_stanza, text_only,
};
use crate::error::{Malformed, StanzaParseError};
use crate::stanza_error::StanzaError;
use crate::text::LangMap;

/// The `type` of a presence (RFC 6121 §4.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PresenceType {
    /// No `type`: the sender is available.
    #[default]
    Available,
    /// An error about a presence sent earlier.
    Error,
    /// A request for the recipient's current presence (sent by servers).
    Probe,
    /// A subscription request.
    Subscribe,
    /// The subscription request was approved.
    Subscribed,
    /// The sender is no longer available.
    Unavailable,
    /// The sender unsubscribes from the recipient's presence.
    Unsubscribe,
    /// The subscription was denied or cancelled.
    Unsubscribed,
}

impl PresenceType {
    /// The attribute value; `None` for [`Available`](Self::Available),
    /// which is the absence of `type`.
    pub fn as_attr(self) -> Option<&'static str> {
        Some(match self {
            PresenceType::Available => return None,
            PresenceType::Error => "error",
            PresenceType::Probe => "probe",
            PresenceType::Subscribe => "subscribe",
            PresenceType::Subscribed => "subscribed",
            PresenceType::Unavailable => "unavailable",
            PresenceType::Unsubscribe => "unsubscribe",
            PresenceType::Unsubscribed => "unsubscribed",
        })
    }

    /// The type of a `type` attribute value, `None` for one RFC 6121 does
    /// not define.
    pub fn from_attr(value: Option<&str>) -> Option<Self> {
        Some(match value {
            None => PresenceType::Available,
            Some("error") => PresenceType::Error,
            Some("probe") => PresenceType::Probe,
            Some("subscribe") => PresenceType::Subscribe,
            Some("subscribed") => PresenceType::Subscribed,
            Some("unavailable") => PresenceType::Unavailable,
            Some("unsubscribe") => PresenceType::Unsubscribe,
            Some("unsubscribed") => PresenceType::Unsubscribed,
            Some(_) => return None,
        })
    }
}

/// `<show/>`: the availability sub-state (RFC 6121 §4.7.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Show {
    /// Temporarily away.
    Away,
    /// Actively interested in chatting.
    Chat,
    /// Do not disturb.
    Dnd,
    /// Extended away.
    Xa,
}

impl Show {
    /// The element's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Show::Away => "away",
            Show::Chat => "chat",
            Show::Dnd => "dnd",
            Show::Xa => "xa",
        }
    }

    /// The value `text` names, if it is one of the four.
    pub fn from_name(text: &str) -> Option<Self> {
        Some(match text {
            "away" => Show::Away,
            "chat" => Show::Chat,
            "dnd" => Show::Dnd,
            "xa" => Show::Xa,
            _ => return None,
        })
    }
}

/// A `<presence/>` stanza.
///
/// ```
/// use stanzio_stanza::{Presence, Show};
///
/// let presence = Presence::available()
///     .with_show(Show::Dnd)
///     .with_status(None, "Wooing Juliet")
///     .with_priority(1);
/// assert_eq!(presence.status(), Some("Wooing Juliet"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Presence {
    /// `from`.
    pub from: Option<Jid>,
    /// `to`.
    pub to: Option<Jid>,
    /// `id`.
    pub id: Option<String>,
    /// `xml:lang` as written on the stanza.
    pub lang: Option<String>,
    /// `type`.
    pub type_: PresenceType,
    /// `<show/>`.
    pub show: Option<Show>,
    /// `<status/>` texts by `xml:lang` (RFC 6121 §4.7.2.2).
    pub statuses: LangMap,
    /// `<priority/>`, -128..=127; 0 when absent (RFC 6121 §4.7.2.3). A
    /// priority of 0 is not written.
    pub priority: i8,
    /// The `<error/>` of a presence of type `error`.
    pub error: Option<StanzaError>,
    /// Every child element no field above claims, in document order.
    pub payloads: Vec<Element>,
    /// Attributes beyond the five of RFC 6120 §8.1, kept for §8.4.
    pub extension_attributes: Vec<ExtensionAttribute>,
}

impl Presence {
    /// A presence of `type_`.
    pub fn new(type_: PresenceType) -> Self {
        Presence {
            type_,
            ..Presence::default()
        }
    }

    /// An available presence (no `type`).
    pub fn available() -> Self {
        Presence::new(PresenceType::Available)
    }

    /// An unavailable presence.
    pub fn unavailable() -> Self {
        Presence::new(PresenceType::Unavailable)
    }

    /// A presence of type `error` carrying `error`.
    pub fn error(error: StanzaError) -> Self {
        Presence {
            error: Some(error),
            ..Presence::new(PresenceType::Error)
        }
    }

    /// Sets `to`.
    pub fn with_to(mut self, to: Jid) -> Self {
        self.to = Some(to);
        self
    }

    /// Sets `<show/>`.
    pub fn with_show(mut self, show: Show) -> Self {
        self.show = Some(show);
        self
    }

    /// Sets the status for `lang` (`None`: the presence's own language).
    pub fn with_status(mut self, lang: Option<&str>, status: impl Into<String>) -> Self {
        self.statuses.insert(lang, status);
        self
    }

    /// Sets `<priority/>`.
    pub fn with_priority(mut self, priority: i8) -> Self {
        self.priority = priority;
        self
    }

    /// Appends a payload element.
    pub fn with_payload(mut self, payload: Element) -> Self {
        self.payloads.push(payload);
        self
    }

    /// The status in the presence's own language, else the first one.
    pub fn status(&self) -> Option<&str> {
        self.statuses.preferred(self.lang.as_deref())
    }

    /// The first payload `name` in namespace `ns`.
    pub fn payload(&self, name: &str, ns: &str) -> Option<&Element> {
        find_payload(&self.payloads, name, ns)
    }

    /// The error presence that answers this one, addressed back to the
    /// sender. `None` if this presence is itself an error (RFC 6120 §8.3.1).
    pub fn error_reply(&self, error: StanzaError) -> Option<Presence> {
        (self.type_ != PresenceType::Error).then(|| Presence {
            from: self.to.clone(),
            to: self.from.clone(),
            id: self.id.clone(),
            ..Presence::error(error)
        })
    }

    /// Reads a `<presence/>` in any content namespace; `stream_lang` as
    /// for [`Message::from_element`](crate::Message::from_element).
    ///
    /// # Errors
    ///
    /// [`StanzaParseError`] saying what is wrong and how to answer.
    pub fn from_element(
        element: ElementRef<'_>,
        stream_lang: Option<&str>,
    ) -> Result<Self, StanzaParseError> {
        read_stanza(element, StanzaKind::Presence, |e| {
            Self::parse(e, stream_lang)
        })
    }

    fn parse(element: ElementRef<'_>, stream_lang: Option<&str>) -> Result<Self, Malformed> {
        let attrs = Attributes::parse(element)?;
        let type_ = PresenceType::from_attr(attrs.type_).ok_or_else(|| Malformed::UnknownType {
            element: "presence",
            value: attrs.type_.unwrap_or_default().to_owned(),
        })?;
        let inherited = attrs.lang.or(stream_lang);
        let ns = element.ns();
        let mut presence = Presence {
            from: attrs.from,
            to: attrs.to,
            id: attrs.id.map(str::to_owned),
            lang: attrs.lang.map(str::to_owned),
            extension_attributes: attrs.extensions,
            type_,
            payloads: payload_vec(element, &["show", "status", "priority", "error"]),
            ..Presence::default()
        };
        let mut priority_seen = false;
        for child in element.children() {
            if child.ns() != ns {
                presence.payloads.push(child.to_owned());
                continue;
            }
            match child.name() {
                "show" => {
                    let text = text_only(child, "show")?;
                    let show = Show::from_name(&text).ok_or_else(|| Malformed::InvalidValue {
                        element: "show",
                        value: text.clone().into_owned(),
                    })?;
                    // RFC 6121 §4.7.2.1: at most one <show/>.
                    if presence.show.replace(show).is_some() {
                        return Err(Malformed::Duplicate { element: "show" });
                    }
                }
                "status" => presence
                    .statuses
                    .insert_parsed(child, inherited, "status")?,
                "priority" => {
                    // RFC 6121 §4.7.2.3: at most one, an xs:byte (its
                    // lexical space allows surrounding white space and `+`).
                    // White space is XML's (XML 1.0 §2.3 S), not Unicode's.
                    if std::mem::replace(&mut priority_seen, true) {
                        return Err(Malformed::Duplicate {
                            element: "priority",
                        });
                    }
                    let text = text_only(child, "priority")?;
                    presence.priority = text
                        .trim_matches([' ', '\t', '\n', '\r'])
                        .parse()
                        .map_err(|_| Malformed::InvalidValue {
                            element: "priority",
                            value: text.clone().into_owned(),
                        })?;
                }
                "error" if type_ == PresenceType::Error => {
                    if presence
                        .error
                        .replace(StanzaError::parse(child, inherited)?)
                        .is_some()
                    {
                        return Err(Malformed::Duplicate { element: "error" });
                    }
                }
                _ => presence.payloads.push(child.to_owned()),
            }
        }
        if type_ == PresenceType::Error && presence.error.is_none() {
            return Err(Malformed::Missing { element: "error" });
        }
        Ok(presence)
    }

    /// Writes the presence as a stanza of a stream with content namespace
    /// `ns`.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        let ns = w.content_namespace().as_str();
        w.start("presence", ns);
        Attributes::write(
            w,
            self.from.as_ref(),
            self.to.as_ref(),
            self.id.as_deref(),
            self.type_.as_attr(),
            self.lang.as_deref(),
            &self.extension_attributes,
        );
        if let Some(show) = self.show {
            w.start("show", ns);
            w.text(show.as_str());
            w.end();
        }
        self.statuses.write_to(w, "status", ns);
        if self.priority != 0 {
            w.start("priority", ns);
            w.text(&self.priority.to_string());
            w.end();
        }
        for payload in &self.payloads {
            w.element(payload.root());
        }
        if let Some(error) = &self.error {
            error.write_to(w, ns);
        }
        w.end();
    }
}
