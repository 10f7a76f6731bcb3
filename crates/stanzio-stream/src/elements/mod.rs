//! Typed readers and writers for the elements of stream negotiation and
//! stream management: everything at the top level of a stream that is not
//! a stanza (a "nonza"), and the IQ payloads of resource binding.
//!
//! Every type reads from a [`stanzio_xml::ElementRef`] (`from_element`),
//! writes into a [`stanzio_xml::XmlWriter`] (`write_to`), and reading what
//! was written gives the same value back. Readers check the element's name
//! and namespace, the attributes and children the specification requires,
//! and the values that must be valid; they skip unknown attributes and
//! children, which RFC 6120 §8.4 and the XEPs ask receivers to ignore.
//!
//! [`Nonza::from_element`] is the one entry point the connection machines
//! call on each top-level element: it answers `None` for anything that is
//! not a negotiation or stream-management element, so the caller can go on
//! and read it as a stanza.
//!
//! | family | module | specification |
//! |---|---|---|
//! | `<stream:features/>` | [`features`] | RFC 6120 §4.3, XEP-0440, XEP-0478, XEP-0237 |
//! | STARTTLS | [`tls`] | RFC 6120 §5.4 |
//! | SASL | [`sasl`] | RFC 6120 §6.4 |
//! | resource binding, session | [`bind`] | RFC 6120 §7, RFC 3921 §3 |
//! | stream management | [`sm`] | XEP-0198 |
//! | component handshake | [`handshake`] | XEP-0114 §3 |
//! | ping | [`ping`] | XEP-0199 |

use stanzio_sasl::SaslCondition;
use stanzio_stanza::StreamCondition;
use stanzio_xml::{ElementRef, NS_STREAM, XmlWriter};

use crate::ns::{NS_COMPONENT_ACCEPT, NS_COMPONENT_CONNECT, NS_SASL, NS_SM, NS_TLS};

pub mod bind;
pub mod features;
pub mod handshake;
pub mod ping;
pub mod sasl;
pub mod sm;
pub mod tls;

use features::StreamFeatures;
use handshake::Handshake;
use sasl::SaslElement;
use sm::SmElement;
use tls::TlsElement;

/// Values quoted in errors are cut to this many bytes: enough to see what
/// was wrong, and an error never holds a copy of a whole large attribute.
const QUOTE_LIMIT: usize = 256;

/// What is wrong with a negotiation element, and in which element.
///
/// [`stream_condition`](Self::stream_condition) and
/// [`sasl_failure`](Self::sasl_failure) say how the receiver answers it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ElementError {
    /// Not the element that was expected here: another name or namespace.
    #[error("unexpected element {{{ns}}}{name}")]
    Unexpected {
        /// The local name found.
        name: String,
        /// The namespace found (empty for none).
        ns: String,
    },
    /// A required attribute is absent.
    #[error("<{element}/> lacks the attribute '{attribute}'")]
    MissingAttribute {
        /// The element's local name.
        element: &'static str,
        /// The attribute's name.
        attribute: &'static str,
    },
    /// An attribute's value is not valid for its type.
    #[error("<{element}/> has an invalid '{attribute}': {value:?}")]
    InvalidAttribute {
        /// The element's local name.
        element: &'static str,
        /// The attribute's name.
        attribute: &'static str,
        /// The value, cut to 256 bytes.
        value: String,
    },
    /// A required child element is absent.
    #[error("<{element}/> lacks the child <{child}/>")]
    MissingChild {
        /// The element's local name.
        element: &'static str,
        /// The child's local name.
        child: &'static str,
    },
    /// The character data is not base64 as RFC 6120 §6.4.2 and RFC 4648 §4
    /// define it (padding required, no white space inside, no trailing
    /// bits).
    #[error("<{element}/> holds invalid base64")]
    InvalidBase64 {
        /// The element's local name.
        element: &'static str,
    },
    /// A JID that does not parse, or is not the kind required (RFC 7622).
    #[error("<{element}/> holds an invalid JID {value:?}: {source}")]
    InvalidJid {
        /// The element's local name.
        element: &'static str,
        /// The text found, cut to 256 bytes.
        value: String,
        /// Why it is not a JID of the required kind.
        source: stanzio_jid::JidError,
    },
}

impl ElementError {
    /// The stream error to close the stream with when the peer sent this
    /// during negotiation: `unsupported-stanza-type` (RFC 6120 §4.9.3.24)
    /// for a top-level element in a negotiation namespace that this crate
    /// does not know, `bad-format` (§4.9.3.1, XML that cannot be processed)
    /// for everything else.
    ///
    /// A server first checks [`sasl_failure`](Self::sasl_failure): some
    /// SASL mistakes are answered without closing the stream.
    pub fn stream_condition(&self) -> StreamCondition {
        match self {
            ElementError::Unexpected { .. } => StreamCondition::UnsupportedStanzaType,
            _ => StreamCondition::BadFormat,
        }
    }

    /// The SASL failure a receiving entity answers with instead of a stream
    /// error (RFC 6120 §6.4.5), when the client's `<auth/>` or
    /// `<response/>` is at fault: `incorrect-encoding` for bad base64
    /// (§6.5.5), `invalid-mechanism` for an `<auth/>` that names no
    /// mechanism (§6.5.7). `None` for everything else, including bad
    /// base64 from a server, which only a stream error can answer.
    pub fn sasl_failure(&self) -> Option<SaslCondition> {
        match self {
            ElementError::InvalidBase64 {
                element: "auth" | "response",
            } => Some(SaslCondition::IncorrectEncoding),
            ElementError::MissingAttribute {
                element: "auth",
                attribute: "mechanism",
            } => Some(SaslCondition::InvalidMechanism),
            _ => None,
        }
    }

    pub(crate) fn unexpected(element: ElementRef<'_>) -> Self {
        ElementError::Unexpected {
            name: quote(element.name()),
            ns: quote(element.ns()),
        }
    }

    pub(crate) fn invalid_attribute(
        element: &'static str,
        attribute: &'static str,
        value: &str,
    ) -> Self {
        ElementError::InvalidAttribute {
            element,
            attribute,
            value: quote(value),
        }
    }
}

/// `value`, cut to at most [`QUOTE_LIMIT`] bytes on a character boundary.
pub(crate) fn quote(value: &str) -> String {
    let mut end = value.len().min(QUOTE_LIMIT);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value.get(..end).unwrap_or_default().to_owned()
}

/// Fails unless `element` is `name` in `ns`.
pub(crate) fn expect(element: ElementRef<'_>, name: &str, ns: &str) -> Result<(), ElementError> {
    if element.is(name, ns) {
        Ok(())
    } else {
        Err(ElementError::unexpected(element))
    }
}

/// Strips XML white space (XML 1.0 §2.3 `S`) at both ends. The XML Schema
/// types XMPP uses for numbers and booleans collapse it (XML Schema Part 2
/// §4.3.6), so `h=' 5 '` is 5.
pub(crate) fn trim_xml_space(value: &str) -> &str {
    value.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

/// An `xs:unsignedInt` (XML Schema Part 2 §3.3.22): 0 to 2³²−1; a sign,
/// anything but digits, or a larger value is invalid.
pub(crate) fn parse_unsigned_int(
    element: &'static str,
    attribute: &'static str,
    value: &str,
) -> Result<u32, ElementError> {
    let digits = trim_xml_space(value);
    // `u32::from_str` also takes a leading `+`, which XML Schema allows
    // too; it refuses `-`, so negative numbers fail here.
    digits
        .parse()
        .map_err(|_| ElementError::invalid_attribute(element, attribute, value))
}

/// An `xs:boolean` (XML Schema Part 2 §3.2.2): `true`/`1` or `false`/`0`;
/// XEP-0198 §3 asks receivers to accept both spellings.
pub(crate) fn parse_boolean(
    element: &'static str,
    attribute: &'static str,
    value: &str,
) -> Result<bool, ElementError> {
    match trim_xml_space(value) {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ElementError::invalid_attribute(element, attribute, value)),
    }
}

/// One top-level element of negotiation or stream management: what
/// [`Nonza::from_element`] makes of an element that is not a stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Nonza {
    /// `<stream:features/>` (RFC 6120 §4.3.2).
    Features(StreamFeatures),
    /// A STARTTLS element (RFC 6120 §5.4).
    Tls(TlsElement),
    /// A SASL element (RFC 6120 §6.4).
    Sasl(SaslElement),
    /// A stream-management element (XEP-0198).
    Sm(SmElement),
    /// A component handshake (XEP-0114 §3).
    Handshake(Handshake),
}

impl Nonza {
    /// Reads a top-level element as a nonza.
    ///
    /// `None`: not a negotiation or stream-management element, so possibly
    /// a stanza (or `<stream:error/>`, which `stanzio_stanza::StreamError`
    /// reads). `Some(Err(_))`: it is one, but malformed; an unknown name in
    /// one of these namespaces is [`ElementError::Unexpected`].
    ///
    /// Only the namespace (and for `features` and `handshake` the name) is
    /// compared before the element is read, so stanzas pass through at the
    /// cost of a string comparison or two.
    pub fn from_element(element: ElementRef<'_>) -> Option<Result<Nonza, ElementError>> {
        let nonza = match element.ns() {
            NS_STREAM if element.name() == "features" => {
                StreamFeatures::from_element(element).map(Nonza::Features)
            }
            NS_TLS => TlsElement::from_element(element).map(Nonza::Tls),
            NS_SASL => SaslElement::from_element(element).map(Nonza::Sasl),
            NS_SM => SmElement::from_element(element).map(Nonza::Sm),
            NS_COMPONENT_ACCEPT | NS_COMPONENT_CONNECT if element.name() == "handshake" => {
                Handshake::from_element(element).map(Nonza::Handshake)
            }
            _ => return None,
        };
        Some(nonza)
    }

    /// Writes the element.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        match self {
            Nonza::Features(features) => features.write_to(w),
            Nonza::Tls(tls) => tls.write_to(w),
            Nonza::Sasl(sasl) => sasl.write_to(w),
            Nonza::Sm(sm) => sm.write_to(w),
            Nonza::Handshake(handshake) => handshake.write_to(w),
        }
    }
}

impl From<StreamFeatures> for Nonza {
    fn from(features: StreamFeatures) -> Self {
        Nonza::Features(features)
    }
}

impl From<TlsElement> for Nonza {
    fn from(tls: TlsElement) -> Self {
        Nonza::Tls(tls)
    }
}

impl From<SaslElement> for Nonza {
    fn from(sasl: SaslElement) -> Self {
        Nonza::Sasl(sasl)
    }
}

impl From<SmElement> for Nonza {
    fn from(sm: SmElement) -> Self {
        Nonza::Sm(sm)
    }
}

impl From<Handshake> for Nonza {
    fn from(handshake: Handshake) -> Self {
        Nonza::Handshake(handshake)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_cuts_on_a_character_boundary() {
        let long = "é".repeat(200);
        let quoted = quote(&long);
        assert_eq!(quoted.len(), 256);
        assert!(long.starts_with(&quoted));
        assert_eq!(quote("short"), "short");
    }

    #[test]
    fn unsigned_int_is_xml_schema_unsigned_int() {
        let parse = |v| parse_unsigned_int("a", "h", v);
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse(" 4294967295\n"), Ok(u32::MAX));
        assert_eq!(parse("+7"), Ok(7));
        assert_eq!(parse("007"), Ok(7));
        for bad in ["", " ", "-1", "4294967296", "1e3", "0x10", "١"] {
            assert_eq!(
                parse(bad),
                Err(ElementError::invalid_attribute("a", "h", bad)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn boolean_is_xml_schema_boolean() {
        let parse = |v| parse_boolean("enable", "resume", v);
        assert_eq!(parse("true"), Ok(true));
        assert_eq!(parse("1"), Ok(true));
        assert_eq!(parse(" false "), Ok(false));
        assert_eq!(parse("0"), Ok(false));
        for bad in ["", "TRUE", "yes", "2"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn answers() {
        let base64 = |element| ElementError::InvalidBase64 { element };
        for element in ["auth", "response"] {
            assert_eq!(
                base64(element).sasl_failure(),
                Some(SaslCondition::IncorrectEncoding)
            );
        }
        // A server's bad base64 cannot be answered with a SASL failure.
        for element in ["challenge", "success"] {
            assert_eq!(base64(element).sasl_failure(), None);
            assert_eq!(
                base64(element).stream_condition(),
                StreamCondition::BadFormat
            );
        }
        let missing = |element, attribute| ElementError::MissingAttribute { element, attribute };
        assert_eq!(
            missing("auth", "mechanism").sasl_failure(),
            Some(SaslCondition::InvalidMechanism)
        );
        assert_eq!(missing("a", "h").sasl_failure(), None);
        assert_eq!(
            missing("a", "h").stream_condition(),
            StreamCondition::BadFormat
        );
        let unexpected = ElementError::Unexpected {
            name: "t".into(),
            ns: NS_SM.into(),
        };
        assert_eq!(unexpected.sasl_failure(), None);
        assert_eq!(
            unexpected.stream_condition(),
            StreamCondition::UnsupportedStanzaType
        );
    }
}
