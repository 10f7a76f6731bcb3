//! The SASL exchange (RFC 6120 §6.4): `<auth/>`, `<challenge/>`,
//! `<response/>`, `<success/>`, `<failure/>`, `<abort/>`.
//!
//! Payloads are the raw SASL bytes; this module does the base64 of RFC 6120
//! §6.4.2 (RFC 4648 §4, padded, nothing but the alphabet inside; white
//! space around the text is dropped). Where RFC 6120 tells "no data" from
//! "empty data", the empty payload is a single `=`: the initial response
//! of `<auth/>` (§6.4.2) and the additional data of `<success/>` (§6.4.6).
//! `<challenge/>` and `<response/>` have no such distinction: an empty
//! payload is written as an empty element, and `=` is read as empty too.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use stanzio_sasl::SaslCondition;
use stanzio_xml::{ElementRef, NS_XML, XmlWriter};

use super::{ElementError, trim_xml_space};
use crate::ns::NS_SASL;

/// The condition of a SASL `<failure/>`: one RFC 6120 §6.5 defines, or
/// another name a server used.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FailureCondition {
    /// A condition of RFC 6120 §6.5.
    Known(SaslCondition),
    /// An element in the SASL namespace that RFC 6120 does not define: its
    /// local name.
    Other(String),
}

impl FailureCondition {
    /// The condition named `name`: [`Known`](Self::Known) when RFC 6120
    /// §6.5 defines it, else [`Other`](Self::Other).
    pub fn from_name(name: &str) -> Self {
        name.parse().map_or_else(
            |_| FailureCondition::Other(name.to_owned()),
            FailureCondition::Known,
        )
    }

    /// The element name.
    pub fn as_str(&self) -> &str {
        match self {
            FailureCondition::Known(condition) => condition.as_str(),
            FailureCondition::Other(name) => name,
        }
    }

    /// The condition to act on. RFC 6120 §6.5: a condition the initiating
    /// entity does not understand is treated as `not-authorized`.
    pub fn effective(&self) -> SaslCondition {
        match self {
            FailureCondition::Known(condition) => *condition,
            FailureCondition::Other(_) => SaslCondition::NotAuthorized,
        }
    }
}

impl From<SaslCondition> for FailureCondition {
    fn from(condition: SaslCondition) -> Self {
        FailureCondition::Known(condition)
    }
}

/// A SASL `<failure/>` (RFC 6120 §6.4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslFailure {
    /// The condition. `None` when the server named none, which RFC 3920
    /// §6.2 still allowed ("SHOULD"); read it as `not-authorized`
    /// ([`effective_condition`](Self::effective_condition)).
    pub condition: Option<FailureCondition>,
    /// The descriptive `<text/>`, if any (the first one).
    pub text: Option<String>,
    /// The `xml:lang` of that `<text/>`. Not written without a text.
    pub text_lang: Option<String>,
}

impl SaslFailure {
    /// A failure with this condition and no text.
    pub fn new(condition: impl Into<FailureCondition>) -> Self {
        SaslFailure {
            condition: Some(condition.into()),
            text: None,
            text_lang: None,
        }
    }

    /// Adds a `<text/>` in language `lang`.
    #[must_use]
    pub fn with_text(mut self, lang: Option<&str>, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self.text_lang = lang.map(str::to_owned);
        self
    }

    /// The condition to act on: unknown or missing conditions are
    /// `not-authorized` (RFC 6120 §6.5).
    pub fn effective_condition(&self) -> SaslCondition {
        self.condition
            .as_ref()
            .map_or(SaslCondition::NotAuthorized, FailureCondition::effective)
    }

    fn parse(element: ElementRef<'_>) -> Self {
        let mut failure = SaslFailure {
            condition: None,
            text: None,
            text_lang: None,
        };
        for child in element.children().filter(|child| child.ns() == NS_SASL) {
            if child.name() == "text" {
                if failure.text.is_none() {
                    failure.text = Some(child.text().into_owned());
                    failure.text_lang = child.lang().map(str::to_owned);
                }
            } else if failure.condition.is_none() {
                failure.condition = Some(FailureCondition::from_name(child.name()));
            }
        }
        failure
    }

    fn write_to(&self, w: &mut XmlWriter<'_>) {
        w.start("failure", NS_SASL);
        if let Some(condition) = &self.condition {
            w.start(condition.as_str(), NS_SASL);
            w.end();
        }
        if let Some(text) = &self.text {
            w.start("text", NS_SASL);
            if let Some(lang) = &self.text_lang {
                w.attr_ns(NS_XML, "lang", lang);
            }
            w.text(text);
            w.end();
        }
        w.end();
    }
}

/// One element of the SASL exchange, in
/// `urn:ietf:params:xml:ns:xmpp-sasl`.
///
/// `Debug` shows the mechanism and the payload sizes, never the payloads:
/// a PLAIN initial response holds the password.
#[derive(Clone, PartialEq, Eq)]
pub enum SaslElement {
    /// `<auth mechanism='…'>`: the client picks a mechanism (RFC 6120
    /// §6.4.2).
    Auth {
        /// The mechanism name, as sent.
        mechanism: String,
        /// The initial response: `None` when the element is empty,
        /// `Some(vec![])` for `=`.
        initial_response: Option<Vec<u8>>,
    },
    /// `<challenge/>` from the server (§6.4.3).
    Challenge(Vec<u8>),
    /// `<response/>` from the client (§6.4.3).
    Response(Vec<u8>),
    /// `<success/>` (§6.4.6), with the additional data with success
    /// (`None`: an empty element; `Some(vec![])`: `=`).
    Success(Option<Vec<u8>>),
    /// `<failure/>` (§6.4.5).
    Failure(SaslFailure),
    /// `<abort/>`: the client gives up on this mechanism (§6.4.4).
    Abort,
}

impl fmt::Debug for SaslElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Redacted(usize);
        impl fmt::Debug for Redacted {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "<{} bytes>", self.0)
            }
        }
        let redacted = |data: &Option<Vec<u8>>| data.as_ref().map(|d| Redacted(d.len()));
        match self {
            SaslElement::Auth {
                mechanism,
                initial_response,
            } => f
                .debug_struct("Auth")
                .field("mechanism", mechanism)
                .field("initial_response", &redacted(initial_response))
                .finish(),
            SaslElement::Challenge(data) => f
                .debug_tuple("Challenge")
                .field(&Redacted(data.len()))
                .finish(),
            SaslElement::Response(data) => f
                .debug_tuple("Response")
                .field(&Redacted(data.len()))
                .finish(),
            SaslElement::Success(data) => f.debug_tuple("Success").field(&redacted(data)).finish(),
            SaslElement::Failure(failure) => f.debug_tuple("Failure").field(failure).finish(),
            SaslElement::Abort => f.write_str("Abort"),
        }
    }
}

/// The payload of `element`: `None` for no text, `Some(vec![])` for `=`.
fn read_payload(
    element: ElementRef<'_>,
    name: &'static str,
) -> Result<Option<Vec<u8>>, ElementError> {
    let text = element.text();
    match trim_xml_space(&text) {
        "" => Ok(None),
        "=" => Ok(Some(Vec::new())),
        encoded => BASE64
            .decode(encoded)
            .map(Some)
            .map_err(|_| ElementError::InvalidBase64 { element: name }),
    }
}

/// Writes `data` as the text of the open element: nothing for `None`, `=`
/// for empty data.
fn write_payload(w: &mut XmlWriter<'_>, data: Option<&[u8]>) {
    match data {
        None => {}
        Some([]) => w.text("="),
        Some(data) => w.text(&BASE64.encode(data)),
    }
}

impl SaslElement {
    /// The element's local name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SaslElement::Auth { .. } => "auth",
            SaslElement::Challenge(_) => "challenge",
            SaslElement::Response(_) => "response",
            SaslElement::Success(_) => "success",
            SaslElement::Failure(_) => "failure",
            SaslElement::Abort => "abort",
        }
    }

    /// Reads a SASL element.
    ///
    /// # Errors
    ///
    /// * [`ElementError::Unexpected`]: not a SASL exchange element (also
    ///   `<mechanisms/>`, which is a feature).
    /// * [`ElementError::MissingAttribute`]: `<auth/>` without `mechanism`.
    /// * [`ElementError::InvalidBase64`]: a payload that is not base64.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, ElementError> {
        if element.ns() != NS_SASL {
            return Err(ElementError::unexpected(element));
        }
        Ok(match element.name() {
            "auth" => {
                let mechanism =
                    element
                        .attr("mechanism")
                        .ok_or(ElementError::MissingAttribute {
                            element: "auth",
                            attribute: "mechanism",
                        })?;
                SaslElement::Auth {
                    mechanism: mechanism.to_owned(),
                    initial_response: read_payload(element, "auth")?,
                }
            }
            "challenge" => {
                SaslElement::Challenge(read_payload(element, "challenge")?.unwrap_or_default())
            }
            "response" => {
                SaslElement::Response(read_payload(element, "response")?.unwrap_or_default())
            }
            "success" => SaslElement::Success(read_payload(element, "success")?),
            "failure" => SaslElement::Failure(SaslFailure::parse(element)),
            "abort" => SaslElement::Abort,
            _ => return Err(ElementError::unexpected(element)),
        })
    }

    /// Writes the element.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        if let SaslElement::Failure(failure) = self {
            failure.write_to(w);
            return;
        }
        w.start(self.as_str(), NS_SASL);
        match self {
            SaslElement::Auth {
                mechanism,
                initial_response,
            } => {
                w.attr("mechanism", mechanism);
                write_payload(w, initial_response.as_deref());
            }
            // No "=" here: RFC 6120 defines it only for <auth/> and
            // <success/>, and some servers (ejabberd's plain base64
            // decoding) refuse it in <response/>.
            SaslElement::Challenge(data) | SaslElement::Response(data) => {
                write_payload(w, (!data.is_empty()).then_some(data.as_slice()));
            }
            SaslElement::Success(data) => write_payload(w, data.as_deref()),
            SaslElement::Failure(_) | SaslElement::Abort => {}
        }
        w.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_names_round_trip() {
        for condition in SaslCondition::ALL {
            assert_eq!(
                FailureCondition::from_name(condition.as_str()),
                FailureCondition::Known(condition)
            );
        }
        let other = FailureCondition::from_name("bad-protocol");
        assert_eq!(other, FailureCondition::Other("bad-protocol".into()));
        assert_eq!(other.as_str(), "bad-protocol");
        assert_eq!(other.effective(), SaslCondition::NotAuthorized);
        assert_eq!(
            FailureCondition::Known(SaslCondition::AccountDisabled).effective(),
            SaslCondition::AccountDisabled
        );
    }

    #[test]
    fn debug_hides_payloads() {
        let auth = SaslElement::Auth {
            mechanism: "PLAIN".into(),
            initial_response: Some(b"\0juliet\0r0m30".to_vec()),
        };
        let shown = format!("{auth:?}");
        assert_eq!(
            shown,
            "Auth { mechanism: \"PLAIN\", initial_response: Some(<13 bytes>) }"
        );
        assert_eq!(
            format!("{:?}", SaslElement::Response(b"secret".to_vec())),
            "Response(<6 bytes>)"
        );
        assert_eq!(format!("{:?}", SaslElement::Success(None)), "Success(None)");
    }
}
