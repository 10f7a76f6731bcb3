//! Typed readers and writers for the IQ and message payloads this crate
//! speaks: each type reads itself from an [`ElementRef`] (`from_element`)
//! and writes itself as a [`stanzio_xml::Element`] (`to_element`), and
//! `from_element(to_element(x)) == x`.

mod blocking;
mod carbons;
mod disco;
mod ping;
mod privacy;
mod roster;

pub use blocking::{BlockingCommand, Blocklist};
pub use carbons::{Carbon, CarbonDirection, CarbonsCommand};
pub use disco::{DiscoInfo, Identity};
pub use ping::Ping;
pub use privacy::PrivacyListPush;
pub use roster::{RosterItem, RosterQuery, Subscription, UnknownSubscription};

pub(crate) use carbons::element_without_content;

use stanzio_jid::{Jid, JidError};
use stanzio_xml::{BuildError, ElementRef};

/// A payload that does not follow its specification: what is wrong, and
/// in which element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// Another element than the one expected.
    #[error("expected <{expected}/> in {ns}, found <{found}/> in {found_ns:?}")]
    UnexpectedElement {
        /// The expected local name (or names, joined by `|`).
        expected: &'static str,
        /// The expected namespace.
        ns: &'static str,
        /// The local name found.
        found: String,
        /// The namespace found.
        found_ns: String,
    },
    /// A required attribute is missing.
    #[error("<{element}/> lacks its {attribute:?} attribute")]
    MissingAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// An attribute or text has a value its specification does not allow.
    #[error("<{element}/> has an invalid {what}: {value:?}")]
    InvalidValue {
        /// The element.
        element: &'static str,
        /// The attribute or text that is wrong.
        what: &'static str,
        /// The value found.
        value: String,
    },
    /// An address is not a JID, or not the kind the element needs (a bare
    /// JID for a roster item).
    #[error("<{element}/> holds the invalid address {value:?}: {source}")]
    InvalidJid {
        /// The element.
        element: &'static str,
        /// The value found.
        value: String,
        /// Why it is not a JID of the right kind.
        source: JidError,
    },
    /// Something that may appear once appears twice.
    #[error("<{element}/> repeats {what} {value:?}")]
    Duplicate {
        /// The element.
        element: &'static str,
        /// What is repeated.
        what: &'static str,
        /// The repeated value.
        value: String,
    },
    /// A required child element is missing.
    #[error("<{element}/> lacks its <{child}/>")]
    MissingChild {
        /// The element.
        element: &'static str,
        /// The child element.
        child: &'static str,
    },
    /// A child element the specification does not allow, or one too many.
    #[error("<{element}/> has an unexpected child <{child}/>")]
    UnexpectedChild {
        /// The element.
        element: &'static str,
        /// The child's local name.
        child: String,
    },
    /// The stanza inside a forwarding wrapper (XEP-0297) is not valid.
    #[error("the forwarded stanza is not valid: {0}")]
    Forwarded(String),
    /// A value given to a writer cannot be written as XML (a character
    /// XML 1.0 cannot carry).
    #[error("cannot be written: {0}")]
    Build(#[from] BuildError),
}

/// Checks that `element` is `<name xmlns=ns>`.
fn expect(
    element: ElementRef<'_>,
    name: &'static str,
    ns: &'static str,
) -> Result<(), PayloadError> {
    if element.is(name, ns) {
        Ok(())
    } else {
        Err(unexpected(element, name, ns))
    }
}

/// The error for `element` where `<expected xmlns=ns>` belongs.
fn unexpected(element: ElementRef<'_>, expected: &'static str, ns: &'static str) -> PayloadError {
    PayloadError::UnexpectedElement {
        expected,
        ns,
        found: element.name().to_owned(),
        found_ns: element.ns().to_owned(),
    }
}

/// The `jid` attribute of `element`, read as a received address
/// ([`Jid::from_received`]).
fn jid_attr(element: ElementRef<'_>, name: &'static str) -> Result<Jid, PayloadError> {
    let value = element.attr("jid").ok_or(PayloadError::MissingAttribute {
        element: name,
        attribute: "jid",
    })?;
    Jid::from_received(value).map_err(|source| PayloadError::InvalidJid {
        element: name,
        value: value.to_owned(),
        source,
    })
}

/// An `xs:boolean` attribute value (XML Schema Part 2 §3.2.2).
fn boolean(element: &'static str, what: &'static str, value: &str) -> Result<bool, PayloadError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(PayloadError::InvalidValue {
            element,
            what,
            value: value.to_owned(),
        }),
    }
}
