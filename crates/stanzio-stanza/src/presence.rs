//! `<presence/>` (RFC 6121 §4).

use std::str::FromStr;

use compact_str::CompactString;
use stanzio_jid::Jid;
use stanzio_xml::{Element, ElementRef, XmlWriter};

use crate::StanzaKind;
use crate::attributes::{Attributes, ExtensionAttribute};
use crate::children::{StanzaSource, read_stanza, text_only, trim_xml_space};
use crate::context::StreamContext;
use crate::fields::{read_fields, write_payloads_and_error};
use crate::parse_error::{Malformed, StanzaParseError};
use crate::payloads::Payloads;
use crate::stanza_error::StanzaError;
use crate::text::LangMap;
use crate::value_names::value_names;

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

value_names! {
    PresenceType,
    /// The attribute value; `None` for [`Available`](Self::Available),
    /// which is the absence of `type`.
    as_str,
    /// The type a `type` attribute names. [`Available`](PresenceType::Available)
    /// has no value: it is the absence of the attribute (RFC 6121 §4.7.1).
    from_str,
    {
        Available => None,
        Error => "error",
        Probe => "probe",
        Subscribe => "subscribe",
        Subscribed => "subscribed",
        Unavailable => "unavailable",
        Unsubscribe => "unsubscribe",
        Unsubscribed => "unsubscribed",
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

value_names! {
    Show,
    /// The element's text.
    as_str,
    /// The value `value` names, if it is one of the four.
    from_str,
    {
        Away => "away",
        Chat => "chat",
        Dnd => "dnd",
        Xa => "xa",
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
// No `Default`: `Presence::available()` is the one way to say "available".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// `from`.
    pub from: Option<Jid>,
    /// `to`.
    pub to: Option<Jid>,
    /// `id`.
    pub id: Option<CompactString>,
    /// `xml:lang`: as written on the stanza, else the stream's (see
    /// [`Message::lang`](crate::Message::lang)).
    pub lang: Option<CompactString>,
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
    pub payloads: Payloads,
    /// Attributes beyond the five of RFC 6120 §8.1, kept for §8.4.
    pub extension_attributes: Vec<ExtensionAttribute>,
}

impl Presence {
    /// A presence of `type_`.
    pub fn new(type_: PresenceType) -> Self {
        Presence {
            from: None,
            to: None,
            id: None,
            lang: None,
            type_,
            show: None,
            statuses: LangMap::new(),
            priority: 0,
            error: None,
            payloads: Payloads::new(),
            extension_attributes: Vec::new(),
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
    pub fn with_status(mut self, lang: Option<&str>, status: impl Into<CompactString>) -> Self {
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
    pub fn payload(&self, name: &str, ns: &str) -> Option<ElementRef<'_>> {
        self.payloads.find(name, ns)
    }

    /// The error presence that answers this one, received on the stream
    /// `ctx`: same `id`, addressed to the stream's verified sender, else
    /// back to `from`. `None` if this presence is itself an error (RFC 6120
    /// §8.3.1).
    pub fn error_reply(&self, error: StanzaError, ctx: &StreamContext) -> Option<Presence> {
        (self.type_ != PresenceType::Error).then(|| Presence {
            from: self.to.clone(),
            to: ctx.reply_to(self.from.as_ref()),
            id: self.id.clone(),
            ..Presence::error(error)
        })
    }

    /// Reads a `<presence/>` received on the stream `ctx`, as
    /// [`Message::from_element`](crate::Message::from_element) does.
    ///
    /// # Errors
    ///
    /// [`StanzaParseError`] saying what is wrong and how to answer.
    pub fn from_element<'a>(
        element: impl Into<StanzaSource<'a>>,
        ctx: &StreamContext,
    ) -> Result<Self, StanzaParseError> {
        read_stanza(element.into(), StanzaKind::Presence, ctx, |source| {
            Self::parse(source, ctx)
        })
    }

    fn parse(source: StanzaSource<'_>, ctx: &StreamContext) -> Result<Self, Malformed> {
        let element = source.root();
        let attrs = Attributes::parse(element)?;
        let type_ = match attrs.type_ {
            None => PresenceType::Available,
            Some(value) => value.parse().map_err(|_| Malformed::UnknownType {
                element: "presence",
                value: value.to_owned(),
            })?,
        };
        let lang = attrs.lang.or(ctx.lang.as_deref());
        // RFC 6120 §8.3.1: only an error stanza carries <error/>; elsewhere
        // it is someone's payload.
        let is_error = type_ == PresenceType::Error;
        let typed: &'static [&'static str] = if is_error {
            &["show", "status", "priority", "error"]
        } else {
            &["show", "status", "priority"]
        };
        let mut presence = Presence {
            from: attrs.from,
            to: attrs.to,
            id: attrs.id.map(CompactString::from),
            lang: lang.map(CompactString::from),
            extension_attributes: attrs.extensions,
            ..Presence::new(type_)
        };
        let mut priority_seen = false;
        presence.error = read_fields(element, typed, is_error, lang, |child| {
            match child.name() {
                "show" => {
                    // RFC 6121 Appendix A: an xs:token, whose white space
                    // collapses, so ` away ` is `away`.
                    let show = parse_trimmed(child, "show")?;
                    // RFC 6121 §4.7.2.1: at most one <show/>.
                    if presence.show.replace(show).is_some() {
                        return Err(Malformed::Duplicate { element: "show" });
                    }
                }
                "status" => presence.statuses.insert_parsed(child, lang, "status")?,
                // "priority", the one other name in `typed`.
                _ => {
                    // RFC 6121 §4.7.2.3: at most one, an xs:byte (its
                    // lexical space allows surrounding white space and `+`).
                    if std::mem::replace(&mut priority_seen, true) {
                        return Err(Malformed::Duplicate {
                            element: "priority",
                        });
                    }
                    presence.priority = parse_trimmed(child, "priority")?;
                }
            }
            Ok(())
        })?;
        // Copied last, so that a stanza refused above costs no copy.
        presence.payloads = Payloads::of_stanza(source, typed);
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
            self.type_.as_str(),
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
        write_payloads_and_error(w, &self.payloads, self.error.as_ref(), ns);
    }
}

/// The value of the text-only child `element`, whose XML Schema type lets
/// white space surround it (RFC 6121 Appendix A). White space is XML's
/// (XML 1.0 §2.3 S), not Unicode's.
fn parse_trimmed<T: FromStr>(child: ElementRef<'_>, element: &'static str) -> Result<T, Malformed> {
    let text = text_only(child, element)?;
    trim_xml_space(&text)
        .parse()
        .map_err(|_| Malformed::InvalidValue {
            element,
            value: text.clone().into_owned(),
        })
}

#[cfg(test)]
mod tests {
    use stanzio_xml::ContentNamespace;

    use super::*;
    use crate::stanza_error::Condition;

    fn jid(s: &str) -> Jid {
        s.parse().unwrap()
    }

    #[test]
    fn builders_set_what_they_name() {
        let p = Presence::available()
            .with_to(jid("romeo@example.net"))
            .with_show(Show::Xa)
            .with_priority(-1);
        assert_eq!(p.type_, PresenceType::Available);
        assert_eq!(p.to, Some(jid("romeo@example.net")));
        assert_eq!(p.show, Some(Show::Xa));
        assert_eq!(p.priority, -1);
        assert_eq!(Presence::unavailable().type_, PresenceType::Unavailable);
        // An available presence is written without `type` (RFC 6121 §4.7.1).
        let mut out = Vec::new();
        let mut w = stanzio_xml::StreamWriter::new(ContentNamespace::Client).element(&mut out);
        Presence::available().write_to(&mut w);
        w.finish().unwrap();
        assert_eq!(out, b"<presence/>");
    }

    #[test]
    fn an_error_reply_swaps_the_addresses_and_keeps_the_id() {
        let ctx = StreamContext::new(ContentNamespace::Client);
        let mut p = Presence::new(PresenceType::Subscribe).with_to(jid("juliet@example.com"));
        p.from = Some(jid("romeo@example.net/orchard"));
        p.id = Some("sub1".into());
        let reply = p
            .error_reply(StanzaError::new(Condition::NotAllowed), &ctx)
            .unwrap();
        assert_eq!(reply.type_, PresenceType::Error);
        assert_eq!(reply.from, Some(jid("juliet@example.com")));
        assert_eq!(reply.to, Some(jid("romeo@example.net/orchard")));
        assert_eq!(reply.id.as_deref(), Some("sub1"));
        assert_eq!(reply.error.unwrap().condition, Condition::NotAllowed);
        // RFC 6120 §8.3.1: an error is never answered with one.
        let error = Presence::error(StanzaError::new(Condition::Gone(None)));
        assert_eq!(
            error.error_reply(StanzaError::new(Condition::BadRequest), &ctx),
            None
        );
    }

    /// RFC 6120 §8.3.1: only an error stanza carries `<error/>`; in any
    /// other presence it is a payload someone defined, kept as it is.
    #[test]
    fn an_error_child_of_a_presence_that_is_no_error_is_a_payload() {
        let element = Element::builder("presence", "jabber:client")
            .child(
                Element::builder("error", "jabber:client")
                    .child(Element::builder("gone", crate::NS_STANZAS).build().unwrap())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let ctx = StreamContext::new(ContentNamespace::Client);
        let presence = Presence::from_element(element.root(), &ctx).unwrap();
        assert_eq!(presence.error, None);
        let payloads: Vec<_> = presence.payloads.iter().collect();
        assert_eq!(payloads.len(), 1);
        assert!(payloads[0].is("error", "jabber:client"));
    }

    #[test]
    fn a_payload_is_found_by_name_and_namespace() {
        const NS_CAPS: &str = "http://jabber.org/protocol/caps";
        let caps = Element::builder("c", NS_CAPS)
            .attr("node", "https://example.org")
            .build()
            .unwrap();
        let presence = Presence::available().with_payload(caps);
        let found = presence.payload("c", NS_CAPS).unwrap();
        assert_eq!(found.attr("node"), Some("https://example.org"));
        assert!(presence.payload("c", "urn:example:other").is_none());
    }
}
