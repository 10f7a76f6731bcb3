//! Stream management elements (XEP-0198, `urn:xmpp:sm:3`).

use stanzio_stanza::{Condition, Message, StanzaError, StreamContext};
use stanzio_xml::{ContentNamespace, Element, ElementRef, XmlWriter};

use super::{ElementError, expect, parse_boolean, parse_unsigned_int, trim_xml_space};
use crate::ns::{NS_CLIENT, NS_SM, NS_STANZAS};

/// The longest SM-ID this crate accepts, in bytes: XEP-0198 §5 says an
/// SM-ID "SHOULD NOT be longer than 4000 bytes", and a session keeps it for
/// as long as it can be resumed.
pub const MAX_SM_ID_BYTES: usize = 4000;

/// One stream management element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmElement {
    /// `<enable/>`: the client turns stream management on (XEP-0198 §3).
    Enable {
        /// `resume`: the client wants the session to be resumable (§5).
        resume: bool,
        /// `max`: the longest resumption time the client would like, in
        /// seconds.
        max: Option<u32>,
    },
    /// `<enabled/>`: the server turned it on (§3).
    Enabled {
        /// `id`: the SM-ID, which §5 requires when `resume` is true. An
        /// `<enabled resume='true'/>` without one is still read; the
        /// session is then not resumable, which the caller decides.
        id: Option<String>,
        /// `resume`: the session can be resumed (§5).
        resume: bool,
        /// `max`: the longest resumption time the server allows, in
        /// seconds.
        max: Option<u32>,
        /// `location`: where to reconnect to resume, as `domain:port` or
        /// `[IPv6]:port` (RFC 6120 §4.9.3.19 form).
        location: Option<String>,
    },
    /// `<resume/>`: the client resumes the session `previd` (§5).
    Resume {
        /// The SM-ID of the session to resume.
        previd: String,
        /// The count of stanzas the client handled on the old stream.
        h: u32,
    },
    /// `<resumed/>`: the server resumed the session `previd` (§5).
    Resumed {
        /// The SM-ID of the resumed session.
        previd: String,
        /// The count of stanzas the server handled on the old stream.
        h: u32,
    },
    /// `<failed/>`: enabling or resuming failed (§3, §5, §6).
    Failed {
        /// `h`: on a failed resumption, the stanzas the server handled
        /// before the session timed out, if it still knows.
        h: Option<u32>,
        /// The stanza error condition (§6: one of RFC 6120 §8.3.3), such as
        /// `item-not-found` for an expired session.
        condition: Option<Condition>,
    },
    /// `<r/>`: a request for an acknowledgement (§4).
    Request,
    /// `<a h='…'/>`: an acknowledgement (§4).
    Ack {
        /// The count of stanzas handled, modulo 2³² (§4).
        h: u32,
    },
}

/// The stanza error condition carried by `child`, read by the stanza
/// crate's own parser so that one table of RFC 6120 §8.3.3 names serves
/// both crates: `child` is put into an error message and read back.
fn stanza_condition(child: ElementRef<'_>) -> Option<Condition> {
    let error = Element::builder("error", NS_CLIENT)
        .attr("type", "cancel")
        .child(child.to_owned())
        .build()
        .ok()?;
    let message = Element::builder("message", NS_CLIENT)
        .attr("type", "error")
        .child(error)
        .build()
        .ok()?;
    let context = StreamContext::new(ContentNamespace::Client);
    let parsed = Message::from_element(message.root(), &context).ok()?;
    parsed.error.map(|error: StanzaError| error.condition)
}

/// Writes a stanza error condition element (RFC 6120 §8.3.2).
fn write_condition(w: &mut XmlWriter<'_>, condition: &Condition) {
    w.start(condition.as_str(), NS_STANZAS);
    if let Condition::Gone(Some(uri)) | Condition::Redirect(Some(uri)) = condition {
        w.text(uri);
    }
    w.end();
}

/// An SM-ID: at most [`MAX_SM_ID_BYTES`].
fn sm_id(
    element: &'static str,
    attribute: &'static str,
    value: &str,
) -> Result<String, ElementError> {
    if value.len() > MAX_SM_ID_BYTES {
        return Err(ElementError::invalid_attribute(element, attribute, value));
    }
    Ok(value.to_owned())
}

/// `max`, an `xs:positiveInteger` of seconds (XEP-0198 §7 schema). The
/// type has no upper bound, so a value past `u32::MAX` (136 years) is
/// valid and read as `u32::MAX`; zero is not a positive integer.
fn max_seconds(element: &'static str, value: &str) -> Result<u32, ElementError> {
    let invalid = || ElementError::invalid_attribute(element, "max", value);
    let digits = trim_xml_space(value);
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    match digits.trim_start_matches('0') {
        "" => Err(invalid()),
        significant => Ok(significant.parse().unwrap_or(u32::MAX)),
    }
}

impl SmElement {
    /// The element's local name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SmElement::Enable { .. } => "enable",
            SmElement::Enabled { .. } => "enabled",
            SmElement::Resume { .. } => "resume",
            SmElement::Resumed { .. } => "resumed",
            SmElement::Failed { .. } => "failed",
            SmElement::Request => "r",
            SmElement::Ack { .. } => "a",
        }
    }

    /// Reads a stream management element. Unknown attributes and children
    /// are ignored (`<r/>` SHOULD have none, §4).
    ///
    /// # Errors
    ///
    /// * [`ElementError::Unexpected`]: not one of the elements above (also
    ///   the `<sm/>` feature).
    /// * [`ElementError::MissingAttribute`]: `h` on `<a/>`, `<resume/>`,
    ///   `<resumed/>`; `previd` on the last two.
    /// * [`ElementError::InvalidAttribute`]: `h` not an `xs:unsignedInt`
    ///   (negative, not a number, above 2³²−1), `resume` not an
    ///   `xs:boolean`, `max` not a positive integer, an SM-ID longer than
    ///   [`MAX_SM_ID_BYTES`].
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, ElementError> {
        if element.ns() != NS_SM {
            return Err(ElementError::unexpected(element));
        }
        let name = element.name();
        let required = |attribute: &'static str, name: &'static str| {
            element
                .attr(attribute)
                .ok_or(ElementError::MissingAttribute {
                    element: name,
                    attribute,
                })
        };
        let h =
            |name: &'static str| required("h", name).and_then(|h| parse_unsigned_int(name, "h", h));
        let resume = |name: &'static str| {
            element
                .attr("resume")
                .map_or(Ok(false), |resume| parse_boolean(name, "resume", resume))
        };
        let max = |name: &'static str| {
            element
                .attr("max")
                .map(|max| max_seconds(name, max))
                .transpose()
        };
        Ok(match name {
            "enable" => SmElement::Enable {
                resume: resume("enable")?,
                max: max("enable")?,
            },
            "enabled" => SmElement::Enabled {
                id: element
                    .attr("id")
                    .map(|id| sm_id("enabled", "id", id))
                    .transpose()?,
                resume: resume("enabled")?,
                max: max("enabled")?,
                location: element.attr("location").map(str::to_owned),
            },
            "resume" => SmElement::Resume {
                previd: sm_id("resume", "previd", required("previd", "resume")?)?,
                h: h("resume")?,
            },
            "resumed" => SmElement::Resumed {
                previd: sm_id("resumed", "previd", required("previd", "resumed")?)?,
                h: h("resumed")?,
            },
            "failed" => SmElement::Failed {
                h: element
                    .attr("h")
                    .map(|h| parse_unsigned_int("failed", "h", h))
                    .transpose()?,
                condition: element
                    .children()
                    .find(|child| child.ns() == NS_STANZAS && child.name() != "text")
                    .and_then(stanza_condition),
            },
            "r" => SmElement::Request,
            "a" => SmElement::Ack { h: h("a")? },
            _ => return Err(ElementError::unexpected(element)),
        })
    }

    /// Writes the element. `resume` is written only when true, its default
    /// being false (§3).
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        w.start(self.as_str(), NS_SM);
        match self {
            SmElement::Enable { resume, max } => {
                if *resume {
                    w.attr("resume", "true");
                }
                if let Some(max) = max {
                    w.attr("max", &max.to_string());
                }
            }
            SmElement::Enabled {
                id,
                resume,
                max,
                location,
            } => {
                if let Some(id) = id {
                    w.attr("id", id);
                }
                if *resume {
                    w.attr("resume", "true");
                }
                if let Some(max) = max {
                    w.attr("max", &max.to_string());
                }
                if let Some(location) = location {
                    w.attr("location", location);
                }
            }
            SmElement::Resume { previd, h } | SmElement::Resumed { previd, h } => {
                w.attr("h", &h.to_string());
                w.attr("previd", previd);
            }
            SmElement::Failed { h, condition } => {
                if let Some(h) = h {
                    w.attr("h", &h.to_string());
                }
                if let Some(condition) = condition {
                    write_condition(w, condition);
                }
            }
            SmElement::Request => {}
            SmElement::Ack { h } => w.attr("h", &h.to_string()),
        }
        w.end();
    }
}

/// `<handled-count-too-high/>`: the application-specific condition of the
/// `undefined-condition` stream error an entity sends when the peer
/// acknowledged more stanzas than it was sent (XEP-0198 §6).
///
/// ```
/// use stanzio_stanza::{StreamCondition, StreamError};
/// use stanzio_stream::elements::sm::HandledCountTooHigh;
///
/// let too_high = HandledCountTooHigh { h: 10, send_count: 8 };
/// let error = StreamError::new(StreamCondition::UndefinedCondition)
///     .with_app(too_high.to_element());
/// let app = error.app.as_ref().unwrap();
/// assert_eq!(HandledCountTooHigh::from_element(app.root())?, too_high);
/// # Ok::<(), stanzio_stream::elements::ElementError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandledCountTooHigh {
    /// The `h` the peer sent.
    pub h: u32,
    /// How many stanzas were actually sent to it.
    pub send_count: u32,
}

impl HandledCountTooHigh {
    /// Reads `<handled-count-too-high xmlns='urn:xmpp:sm:3'/>`. The schema
    /// makes both attributes optional, but without them the element says
    /// nothing, so both are required here.
    ///
    /// # Errors
    ///
    /// [`ElementError::Unexpected`] for another element;
    /// [`ElementError::MissingAttribute`] or
    /// [`ElementError::InvalidAttribute`] for `h` or `send-count`.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, ElementError> {
        const NAME: &str = "handled-count-too-high";
        expect(element, NAME, NS_SM)?;
        let count = |attribute: &'static str| {
            let value = element
                .attr(attribute)
                .ok_or(ElementError::MissingAttribute {
                    element: NAME,
                    attribute,
                })?;
            parse_unsigned_int(NAME, attribute, value)
        };
        Ok(HandledCountTooHigh {
            h: count("h")?,
            send_count: count("send-count")?,
        })
    }

    /// Writes the element.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        w.start("handled-count-too-high", NS_SM);
        w.attr("h", &self.h.to_string());
        w.attr("send-count", &self.send_count.to_string());
        w.end();
    }

    /// The element, for `stanzio_stanza::StreamError::with_app`.
    pub fn to_element(&self) -> Element {
        Element::builder("handled-count-too-high", NS_SM)
            .attr("h", &self.h.to_string())
            .attr("send-count", &self.send_count.to_string())
            .build()
            // Constant names and decimal digits always build.
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_is_a_positive_integer() {
        assert_eq!(max_seconds("enable", "300"), Ok(300));
        assert_eq!(max_seconds("enable", " +0300 "), Ok(300));
        assert_eq!(max_seconds("enable", "4294967296"), Ok(u32::MAX));
        assert_eq!(max_seconds("enable", &"9".repeat(40)), Ok(u32::MAX));
        for bad in ["0", "000", "", "+", "-5", "5s", "1.5"] {
            assert_eq!(
                max_seconds("enable", bad),
                Err(ElementError::invalid_attribute("enable", "max", bad)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn sm_id_limit() {
        let longest = "i".repeat(MAX_SM_ID_BYTES);
        assert_eq!(sm_id("enabled", "id", &longest), Ok(longest.clone()));
        assert!(sm_id("enabled", "id", &format!("{longest}i")).is_err());
    }

    #[test]
    fn conditions_are_read_by_the_stanza_parser() {
        let element = |name: &str, text: Option<&str>| {
            let mut builder = Element::builder(name, NS_STANZAS);
            if let Some(text) = text {
                builder = builder.text(text);
            }
            builder.build().unwrap()
        };
        let read = |e: &Element| stanza_condition(e.root());
        assert_eq!(
            read(&element("item-not-found", None)),
            Some(Condition::ItemNotFound)
        );
        assert_eq!(
            read(&element("gone", Some("xmpp:romeo@example.net"))),
            Some(Condition::Gone(Some("xmpp:romeo@example.net".into())))
        );
        assert_eq!(
            read(&element("payment-required", None)),
            Some(Condition::Other("payment-required".into()))
        );
    }
}
