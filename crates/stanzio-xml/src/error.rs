//! Errors of the reader, the writer and the element builder.

use thiserror::Error;

/// The RFC 6120 §4.9.3 stream error condition an XML-level failure maps to.
///
/// This is the subset the XML layer can decide on its own;
/// `unsupported-stanza-type` and the rest belong to the stanza and stream
/// layers, which convert this by name ([`XmlCondition::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum XmlCondition {
    /// §4.9.3.13: the data is not well-formed XML (or not namespace-well-formed).
    NotWellFormed,
    /// §4.9.3.18: comments, processing instructions, DTDs or entity
    /// references other than the predefined ones (RFC 6120 §11.1).
    RestrictedXml,
    /// §4.9.3.10: the stream namespace or the content namespace is wrong.
    InvalidNamespace,
    /// §4.9.3.1: XML that cannot be processed, such as character data between
    /// top-level elements.
    BadFormat,
    /// §4.9.3.22: not UTF-8, or invalid UTF-8.
    UnsupportedEncoding,
    /// §4.9.3.2: a prefix that is not declared, or one bound wrongly.
    BadNamespacePrefix,
    /// §4.9.3.16: a configured limit was exceeded.
    PolicyViolation,
}

impl XmlCondition {
    /// The condition's element name in `urn:ietf:params:xml:ns:xmpp-streams`.
    pub fn as_str(self) -> &'static str {
        match self {
            XmlCondition::NotWellFormed => "not-well-formed",
            XmlCondition::RestrictedXml => "restricted-xml",
            XmlCondition::InvalidNamespace => "invalid-namespace",
            XmlCondition::BadFormat => "bad-format",
            XmlCondition::UnsupportedEncoding => "unsupported-encoding",
            XmlCondition::BadNamespacePrefix => "bad-namespace-prefix",
            XmlCondition::PolicyViolation => "policy-violation",
        }
    }
}

/// Which configured limit was exceeded (see [`crate::Limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`crate::Limits::max_element_bytes`].
    ElementBytes,
    /// [`crate::Limits::max_token_bytes`].
    TokenBytes,
    /// [`crate::Limits::max_depth`].
    Depth,
    /// [`crate::Limits::max_attributes`].
    Attributes,
    /// [`crate::Limits::max_namespace_declarations`].
    NamespaceDeclarations,
    /// [`crate::Limits::max_buffered_bytes`].
    BufferedBytes,
}

/// A fatal error while reading a stream. Once returned, the reader returns
/// it again on every call (errors are sticky): the stream must be closed
/// with the stream error [`ReadError::condition`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The XML parser rejected the input.
    #[error("{condition}: {detail}", condition = .condition.as_str())]
    Xml {
        /// The stream error condition to send.
        condition: XmlCondition,
        /// What the parser reported.
        detail: String,
    },
    /// A configured limit was exceeded.
    #[error("policy-violation: {limit:?} limit of {max} exceeded")]
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// The configured maximum.
        max: usize,
    },
    /// The stream header is not `stream` in `http://etherx.jabber.org/streams`
    /// (or `open` in the framing namespace for RFC 7395).
    #[error("invalid-namespace: stream header is {{{ns}}}{name}")]
    BadStreamHeader {
        /// The namespace of the root element.
        ns: String,
        /// The local name of the root element.
        name: String,
    },
    /// The stream's default namespace is not one this reader was told to
    /// accept.
    #[error("invalid-namespace: content namespace {found:?} not accepted")]
    BadContentNamespace {
        /// The namespace found (empty when none was declared).
        found: String,
    },
    /// Character data other than white space between top-level elements.
    #[error("bad-format: text between top-level elements")]
    TextAtStreamLevel,
    /// The input ended (the caller said so) inside the stream.
    #[error("not-well-formed: the stream ended inside an element")]
    UnexpectedEof,
}

impl ReadError {
    /// The RFC 6120 §4.9.3 condition to send before closing the stream.
    pub fn condition(&self) -> XmlCondition {
        match self {
            ReadError::Xml { condition, .. } => *condition,
            ReadError::LimitExceeded { .. } => XmlCondition::PolicyViolation,
            ReadError::BadStreamHeader { .. } | ReadError::BadContentNamespace { .. } => {
                XmlCondition::InvalidNamespace
            }
            ReadError::TextAtStreamLevel => XmlCondition::BadFormat,
            ReadError::UnexpectedEof => XmlCondition::NotWellFormed,
        }
    }

    pub(crate) fn xml(condition: XmlCondition, detail: impl Into<String>) -> Self {
        ReadError::Xml {
            condition,
            detail: detail.into(),
        }
    }
}

impl From<rxml::Error> for ReadError {
    /// Maps rxml's errors to the condition RFC 6120 asks for.
    fn from(error: rxml::Error) -> Self {
        use rxml::Error as E;
        let condition = match error {
            // rxml says why only in its message; the hostile-input tests pin
            // these two so an rxml upgrade that rewords them fails loudly.
            E::RestrictedXml(why) if why.contains("encoding") => XmlCondition::UnsupportedEncoding,
            // `<!DOCTYPE` is lexed as a malformed `<!--`/`<![CDATA[`.
            E::InvalidSyntax(why) if why.contains("cdata or comment") => {
                XmlCondition::RestrictedXml
            }
            // RFC 6120 §11.1: DTDs, comments, PIs and undeclared entities
            // are restricted XML.
            E::RestrictedXml(_) | E::UndeclaredEntity => XmlCondition::RestrictedXml,
            // §4.9.3.22 names "violating the rules of the UTF-8 encoding".
            E::InvalidUtf8Byte(_) => XmlCondition::UnsupportedEncoding,
            E::UndeclaredNamespacePrefix(_)
            | E::ReservedNamespacePrefix
            | E::ReservedNamespaceName
            | E::EmptyNamespaceUri => XmlCondition::BadNamespacePrefix,
            _ => XmlCondition::NotWellFormed,
        };
        ReadError::Xml {
            condition,
            detail: error.to_string(),
        }
    }
}

/// An element could not be built or written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Not an XML NCName (element or attribute local name, or prefix).
    #[error("not a valid XML name: {0:?}")]
    InvalidName(String),
    /// A character XML 1.0 cannot carry (§2.2 `Char`), such as U+0000.
    #[error("character U+{0:04X} cannot appear in XML")]
    InvalidChar(u32),
    /// A name or namespace Namespaces in XML 1.0 §3 reserves: an attribute
    /// `xmlns` or one in the `xmlns` namespace (it would be read as a
    /// namespace declaration), or an element in the `xml` or `xmlns`
    /// namespace (neither may be declared as the default).
    #[error("{0:?} is reserved by Namespaces in XML")]
    Reserved(String),
    /// An attribute was added after the element's content had begun.
    #[error("attribute {0:?} added after the element's content")]
    AttributeAfterContent(String),
    /// Text was written outside any element.
    #[error("text written outside an element")]
    TextOutsideElement,
    /// The same attribute (name and namespace) on one element twice.
    #[error("attribute {0:?} written twice on one element")]
    DuplicateAttribute(String),
    /// `end` was called with no element open.
    #[error("end called with no element open")]
    UnbalancedEnd,
    /// `finish` was called with elements still open.
    #[error("{0} element(s) left open")]
    Unclosed(usize),
}
