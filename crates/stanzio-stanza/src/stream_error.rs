//! Stream errors (RFC 6120 §4.9): `<stream:error/>`, after which the stream
//! is closed.

use std::fmt;

use compact_str::CompactString;

use stanzio_xml::{Element, ElementRef, NS_STREAM, NS_XML, ReadError, XmlCondition, XmlWriter};

use crate::NS_STREAM_ERRORS;
use crate::context::StreamContext;
use crate::error_body::{ErrorKind, condition_name, error_body, named_condition};
use crate::parse_error::Malformed;
use crate::text::{LangMap, truncate_echo};

/// A stream error condition: every one RFC 6120 §4.9.3 defines, plus
/// [`Other`](Self::Other) for conditions a peer invents.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamCondition {
    /// §4.9.3.1 `bad-format`: XML that cannot be processed.
    BadFormat,
    /// §4.9.3.2 `bad-namespace-prefix`.
    BadNamespacePrefix,
    /// §4.9.3.3 `conflict`: a new stream replaces this one.
    Conflict,
    /// §4.9.3.4 `connection-timeout`.
    ConnectionTimeout,
    /// §4.9.3.5 `host-gone`: the host is no longer served.
    HostGone,
    /// §4.9.3.6 `host-unknown`: the host is not served.
    HostUnknown,
    /// §4.9.3.7 `improper-addressing`: `to` or `from` missing between
    /// servers.
    ImproperAddressing,
    /// §4.9.3.8 `internal-server-error`.
    InternalServerError,
    /// §4.9.3.9 `invalid-from`: `from` does not match an authorized JID.
    InvalidFrom,
    /// §4.9.3.10 `invalid-namespace`.
    InvalidNamespace,
    /// §4.9.3.11 `invalid-xml`: invalid against the schema.
    InvalidXml,
    /// §4.9.3.12 `not-authorized`: data sent before authentication.
    NotAuthorized,
    /// §4.9.3.13 `not-well-formed`.
    NotWellFormed,
    /// §4.9.3.14 `policy-violation`: a local policy (such as a size limit).
    PolicyViolation,
    /// §4.9.3.15 `remote-connection-failed`.
    RemoteConnectionFailed,
    /// §4.9.3.16 `reset`: security-critical features changed; reconnect.
    Reset,
    /// §4.9.3.17 `resource-constraint`.
    ResourceConstraint,
    /// §4.9.3.18 `restricted-xml`: comments, PIs, DTDs and the like.
    RestrictedXml,
    /// §4.9.3.19 `see-other-host`: reconnect to this host (`domain`,
    /// `domain:port`, `[IPv6]:port`).
    SeeOtherHost(String),
    /// §4.9.3.20 `system-shutdown`.
    SystemShutdown,
    /// §4.9.3.21 `undefined-condition`: see the application-specific
    /// element.
    UndefinedCondition,
    /// §4.9.3.22 `unsupported-encoding`.
    UnsupportedEncoding,
    /// §4.9.3.23 `unsupported-feature`: a mandatory feature is missing.
    UnsupportedFeature,
    /// §4.9.3.24 `unsupported-stanza-type`: a first-level element that is
    /// not supported.
    UnsupportedStanzaType,
    /// §4.9.3.25 `unsupported-version`.
    UnsupportedVersion,
    /// A condition element in the streams namespace that RFC 6120 does not
    /// define; the local name.
    Other(String),
}

/// The conditions without data, by name.
const SIMPLE_CONDITIONS: [(&str, StreamCondition); 24] = [
    ("bad-format", StreamCondition::BadFormat),
    ("bad-namespace-prefix", StreamCondition::BadNamespacePrefix),
    ("conflict", StreamCondition::Conflict),
    ("connection-timeout", StreamCondition::ConnectionTimeout),
    ("host-gone", StreamCondition::HostGone),
    ("host-unknown", StreamCondition::HostUnknown),
    ("improper-addressing", StreamCondition::ImproperAddressing),
    (
        "internal-server-error",
        StreamCondition::InternalServerError,
    ),
    ("invalid-from", StreamCondition::InvalidFrom),
    ("invalid-namespace", StreamCondition::InvalidNamespace),
    ("invalid-xml", StreamCondition::InvalidXml),
    ("not-authorized", StreamCondition::NotAuthorized),
    ("not-well-formed", StreamCondition::NotWellFormed),
    ("policy-violation", StreamCondition::PolicyViolation),
    (
        "remote-connection-failed",
        StreamCondition::RemoteConnectionFailed,
    ),
    ("reset", StreamCondition::Reset),
    ("resource-constraint", StreamCondition::ResourceConstraint),
    ("restricted-xml", StreamCondition::RestrictedXml),
    ("system-shutdown", StreamCondition::SystemShutdown),
    ("undefined-condition", StreamCondition::UndefinedCondition),
    ("unsupported-encoding", StreamCondition::UnsupportedEncoding),
    ("unsupported-feature", StreamCondition::UnsupportedFeature),
    (
        "unsupported-stanza-type",
        StreamCondition::UnsupportedStanzaType,
    ),
    ("unsupported-version", StreamCondition::UnsupportedVersion),
];

impl StreamCondition {
    /// The element name in `urn:ietf:params:xml:ns:xmpp-streams`.
    pub fn as_str(&self) -> &str {
        match self {
            StreamCondition::SeeOtherHost(_) => "see-other-host",
            StreamCondition::Other(name) => name,
            simple => condition_name(&SIMPLE_CONDITIONS, simple).unwrap_or("undefined-condition"),
        }
    }

    /// The condition without data named `name`, else [`Other`](Self::Other).
    fn from_name(name: &str) -> Self {
        named_condition(&SIMPLE_CONDITIONS, name)
            .unwrap_or_else(|| StreamCondition::Other(name.to_owned()))
    }

    fn parse(element: ElementRef<'_>) -> Self {
        match element.name() {
            "see-other-host" => StreamCondition::SeeOtherHost(element.text().into_owned()),
            name => StreamCondition::from_name(name),
        }
    }
}

impl fmt::Display for StreamCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if let StreamCondition::SeeOtherHost(host) = self {
            write!(f, " ({host})")?;
        }
        Ok(())
    }
}

impl From<XmlCondition> for StreamCondition {
    /// The condition the XML layer decided on; both name RFC 6120 §4.9.3
    /// conditions, so they map by name.
    fn from(condition: XmlCondition) -> Self {
        StreamCondition::from_name(condition.as_str())
    }
}

/// A `<stream:error/>` (RFC 6120 §4.9.2).
///
/// ```
/// use stanzio_stanza::{StreamCondition, StreamError};
/// use stanzio_xml::{Limits, StreamEvent, StreamReader};
///
/// // The stream layer answers a reader error with the matching stream error.
/// let mut reader = StreamReader::new(Limits::default());
/// let mut input: &[u8] = b"<stream:stream xmlns='jabber:client' \
///     xmlns:stream='http://etherx.jabber.org/streams'><a><b></a>";
/// let error = loop {
///     match reader.read(&mut input) {
///         Ok(Some(_)) => continue,
///         Ok(None) => unreachable!("the input is malformed"),
///         Err(e) => break StreamError::from(&e),
///     }
/// };
/// assert_eq!(error.condition, StreamCondition::NotWellFormed);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    /// The condition.
    pub condition: StreamCondition,
    /// Descriptive `<text/>`, by `xml:lang`.
    pub texts: LangMap,
    /// The application-specific condition element (§4.9.4).
    pub app: Option<Element>,
    /// `xml:lang`: as written on `<stream:error/>`, else the stream's, as
    /// for stanzas (RFC 6120 §4.7.4). It is the language of every text
    /// without its own, so kept to be written back.
    pub lang: Option<String>,
}

impl StreamError {
    /// A stream error with only a condition.
    pub fn new(condition: StreamCondition) -> Self {
        StreamError {
            condition,
            texts: LangMap::new(),
            app: None,
            lang: None,
        }
    }

    /// Sets the descriptive text for `lang`.
    pub fn with_text(mut self, lang: Option<&str>, text: impl Into<CompactString>) -> Self {
        self.texts.insert(lang, text);
        self
    }

    /// Sets the application-specific condition element.
    pub fn with_app(mut self, app: Element) -> Self {
        self.app = Some(app);
        self
    }

    /// Parses a `<stream:error/>` element (`error` in
    /// `http://etherx.jabber.org/streams`) received on the stream `ctx`,
    /// whose `xml:lang` it inherits as a stanza does (RFC 6120 §4.7.4).
    ///
    /// # Errors
    ///
    /// [`Malformed`] when the element is not a stream error, or has no
    /// condition, or more than one.
    pub fn from_element(element: ElementRef<'_>, ctx: &StreamContext) -> Result<Self, Malformed> {
        if !element.is("error", NS_STREAM) {
            return Err(Malformed::Missing {
                element: "stream:error",
            });
        }
        let kind = ErrorKind {
            text: "stream error text",
            condition: "stream error condition",
        };
        let lang = element.lang().or(ctx.lang.as_deref());
        let (condition, texts, app) = error_body(
            element,
            NS_STREAM_ERRORS,
            lang,
            kind,
            StreamCondition::parse,
        )?;
        Ok(StreamError {
            condition,
            texts,
            app,
            lang: lang.map(str::to_owned),
        })
    }

    /// Writes `<stream:error/>`.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        w.start("error", NS_STREAM);
        if let Some(lang) = &self.lang {
            w.attr_ns(NS_XML, "lang", lang);
        }
        w.start(self.condition.as_str(), NS_STREAM_ERRORS);
        if let StreamCondition::SeeOtherHost(host) = &self.condition {
            w.text(host);
        }
        w.end();
        self.texts.write_to(w, "text", NS_STREAM_ERRORS);
        if let Some(app) = &self.app {
            w.element(app.root());
        }
        w.end();
    }
}

impl From<StreamCondition> for StreamError {
    fn from(condition: StreamCondition) -> Self {
        StreamError::new(condition)
    }
}

impl From<XmlCondition> for StreamError {
    fn from(condition: XmlCondition) -> Self {
        StreamError::new(condition.into())
    }
}

impl From<&ReadError> for StreamError {
    /// The stream error that answers a reader error: its condition, and the
    /// reader's description as text (RFC 6120 §4.9.2 allows text for
    /// debugging), cut to 256 bytes: the description quotes what the peer
    /// sent, such as a content namespace as long as the element limit.
    fn from(error: &ReadError) -> Self {
        StreamError::new(error.condition().into()).with_text(None, truncate_echo(error.to_string()))
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.condition)?;
        if let Some(text) = self.texts.preferred(None) {
            write!(f, ": {text}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conditions of RFC 6120 §4.9.3.1 to §4.9.3.25 without data,
    /// spelled as the RFC spells them, not taken from the table the code
    /// uses (§4.9.3.19 `see-other-host` carries a host: tested below).
    const RFC_6120_4_9_3: [(&str, StreamCondition); 24] = [
        ("bad-format", StreamCondition::BadFormat),
        ("bad-namespace-prefix", StreamCondition::BadNamespacePrefix),
        ("conflict", StreamCondition::Conflict),
        ("connection-timeout", StreamCondition::ConnectionTimeout),
        ("host-gone", StreamCondition::HostGone),
        ("host-unknown", StreamCondition::HostUnknown),
        ("improper-addressing", StreamCondition::ImproperAddressing),
        (
            "internal-server-error",
            StreamCondition::InternalServerError,
        ),
        ("invalid-from", StreamCondition::InvalidFrom),
        ("invalid-namespace", StreamCondition::InvalidNamespace),
        ("invalid-xml", StreamCondition::InvalidXml),
        ("not-authorized", StreamCondition::NotAuthorized),
        ("not-well-formed", StreamCondition::NotWellFormed),
        ("policy-violation", StreamCondition::PolicyViolation),
        (
            "remote-connection-failed",
            StreamCondition::RemoteConnectionFailed,
        ),
        ("reset", StreamCondition::Reset),
        ("resource-constraint", StreamCondition::ResourceConstraint),
        ("restricted-xml", StreamCondition::RestrictedXml),
        ("system-shutdown", StreamCondition::SystemShutdown),
        ("undefined-condition", StreamCondition::UndefinedCondition),
        ("unsupported-encoding", StreamCondition::UnsupportedEncoding),
        ("unsupported-feature", StreamCondition::UnsupportedFeature),
        (
            "unsupported-stanza-type",
            StreamCondition::UnsupportedStanzaType,
        ),
        ("unsupported-version", StreamCondition::UnsupportedVersion),
    ];

    #[test]
    fn conditions_are_named_as_rfc_6120_4_9_3_names_them() {
        for (name, condition) in &RFC_6120_4_9_3 {
            assert_eq!(condition.as_str(), *name);
            let element = Element::builder(name, NS_STREAM_ERRORS).build().unwrap();
            assert_eq!(&StreamCondition::parse(element.root()), condition);
        }
        let host = Element::builder("see-other-host", NS_STREAM_ERRORS)
            .text("example.net:5222")
            .build()
            .unwrap();
        let condition = StreamCondition::parse(host.root());
        assert_eq!(
            condition,
            StreamCondition::SeeOtherHost("example.net:5222".into())
        );
        assert_eq!(condition.as_str(), "see-other-host");
    }

    #[test]
    fn xml_conditions_become_the_stream_conditions_they_name() {
        for (xml, stream) in [
            (XmlCondition::NotWellFormed, StreamCondition::NotWellFormed),
            (XmlCondition::RestrictedXml, StreamCondition::RestrictedXml),
            (
                XmlCondition::InvalidNamespace,
                StreamCondition::InvalidNamespace,
            ),
            (XmlCondition::BadFormat, StreamCondition::BadFormat),
            (
                XmlCondition::UnsupportedEncoding,
                StreamCondition::UnsupportedEncoding,
            ),
            (
                XmlCondition::BadNamespacePrefix,
                StreamCondition::BadNamespacePrefix,
            ),
            (
                XmlCondition::PolicyViolation,
                StreamCondition::PolicyViolation,
            ),
        ] {
            assert_eq!(StreamCondition::from(xml), stream, "{xml:?}");
        }
    }
}
