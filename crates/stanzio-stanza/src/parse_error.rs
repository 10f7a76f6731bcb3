//! What can be wrong with a stanza, and the answer it deserves.

use std::fmt;

use stanzio_jid::{FullJid, Jid, JidError};
use stanzio_xml::{ContentNamespace, ElementRef};

use crate::context::{StreamContext, reply_address};
use crate::iq::{Iq, IqPayload};
use crate::message::Message;
use crate::presence::Presence;
use crate::stanza_error::{Condition, StanzaError};
use crate::stream_error::{StreamCondition, StreamError};
use crate::text::truncate_echo;
use crate::{Stanza, StanzaKind};

/// A wire value that the attribute or element being read does not define,
/// such as `<show>busy</show>`: the error of the `FromStr` implementations
/// of [`MessageType`](crate::MessageType),
/// [`PresenceType`](crate::PresenceType), [`Show`](crate::Show),
/// [`IqType`](crate::IqType) and [`ErrorType`](crate::ErrorType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("not a value RFC 6120 or RFC 6121 defines here")]
pub struct UnknownValue;

/// What is wrong with a stanza, and where: the element or attribute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// An address attribute (`from`, `to`, `by`) is not a JID (RFC 7622).
    #[error("the '{attribute}' attribute {value:?} is not a valid JID: {source}")]
    Jid {
        /// The attribute.
        attribute: &'static str,
        /// Its value.
        value: String,
        /// Why it is not a JID.
        source: JidError,
    },
    /// A required attribute is absent (`type` and `id` of `<iq/>`, RFC
    /// 6120 §8.2.3; `type` of `<error/>`, §8.3.2).
    #[error("<{element}/> has no '{attribute}' attribute")]
    MissingAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// A `type` attribute with a value the element does not define.
    #[error("<{element}/> has an unknown type {value:?}")]
    UnknownType {
        /// The element.
        element: &'static str,
        /// The value found.
        value: String,
    },
    /// An element whose content is not one of its allowed values, such as
    /// `<show/>` (RFC 6121 §4.7.2.1) or `<priority/>` outside -128..=127
    /// (§4.7.2.3).
    #[error("<{element}/> holds {value:?}, which is not an allowed value")]
    InvalidValue {
        /// The element.
        element: &'static str,
        /// Its text.
        value: String,
    },
    /// An element that may appear once appears again (`<thread/>`,
    /// `<show/>`, `<priority/>`, `<error/>`, an error condition).
    #[error("more than one {element}")]
    Duplicate {
        /// The element.
        element: &'static str,
    },
    /// A required element is absent (the `<error/>` of an error stanza,
    /// an error's condition).
    #[error("no {element}")]
    Missing {
        /// The element.
        element: &'static str,
    },
    /// Two texts with the same effective `xml:lang` (RFC 6121 §5.2.3,
    /// §5.2.4, §4.7.2.2).
    #[error("two <{element}/> elements with the same language {lang:?}")]
    DuplicateLang {
        /// The element.
        element: &'static str,
        /// The language both have (`None`: neither the element nor any
        /// ancestor declared one).
        lang: Option<String>,
    },
    /// More language variants of one text than [`MAX_LANGS`](crate::MAX_LANGS) allows.
    #[error("more than {max} <{element}/> elements")]
    TooManyLangs {
        /// The element.
        element: &'static str,
        /// [`MAX_LANGS`](crate::MAX_LANGS).
        max: usize,
    },
    /// A text-only element with child elements (RFC 6121 §5.2.3: no mixed
    /// content).
    #[error("<{element}/> must hold text only, not child elements")]
    ChildElements {
        /// The element.
        element: &'static str,
    },
    /// An IQ with the wrong number of payload elements (RFC 6120 §8.2.3:
    /// get and set exactly one, result zero or one, error at most one
    /// besides `<error/>`).
    #[error("an iq of type '{type_}' must have {expected} payload element(s), not {found}")]
    IqPayloadCount {
        /// The IQ type.
        type_: &'static str,
        /// What it must have.
        expected: &'static str,
        /// How many it has.
        found: usize,
    },
}

impl Malformed {
    /// The stanza error condition to answer with: `jid-malformed` for a bad
    /// address (RFC 6120 §8.3.3.8), otherwise `bad-request` (§8.3.3.1).
    pub fn condition(&self) -> Condition {
        match self {
            Malformed::Jid { .. } => Condition::JidMalformed,
            Malformed::TooManyLangs { .. } => Condition::PolicyViolation,
            _ => Condition::BadRequest,
        }
    }

    pub(crate) fn jid(attribute: &'static str, value: &str, source: JidError) -> Self {
        Malformed::Jid {
            attribute,
            value: value.to_owned(),
            source,
        }
    }
}

/// A top-level element that could not be read as a stanza.
///
/// Neither case needs to end the stream unless the stream layer wants it
/// to: [`stream_error`](Self::stream_error) says when it must, and
/// [`error_reply`](Self::error_reply) builds the stanza error to send back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StanzaParseError {
    /// Not `message`, `presence` or `iq` in a content namespace
    /// (RFC 6120 §4.9.3.24: answer with `unsupported-stanza-type`).
    #[error("unsupported-stanza-type: {{{ns}}}{name} is not a stanza")]
    NotAStanza {
        /// The element's local name.
        name: String,
        /// The element's namespace.
        ns: String,
    },
    /// A stanza in a content namespace other than the stream's, such as a
    /// `jabber:server` message on a client stream: RFC 6120 §4.8.2 puts
    /// every first-level element in the stream's content namespace, and
    /// the answer is the stream error `invalid-namespace` (§4.9.3.10).
    #[error(
        "invalid-namespace: <{kind}/> in {} on a {} stream",
        .found.as_str(),
        .expected.as_str()
    )]
    WrongNamespace {
        /// `message`, `presence` or `iq`.
        kind: StanzaKind,
        /// The stanza's namespace.
        found: ContentNamespace,
        /// The stream's content namespace.
        expected: ContentNamespace,
    },
    /// A stanza that breaks RFC 6120 or RFC 6121 (boxed: it is rare, and
    /// this keeps the `Result` of every parse small).
    #[error(transparent)]
    Invalid(Box<InvalidStanza>),
}

impl StanzaParseError {
    /// The stream error to close the stream with, for elements that are
    /// not stanzas of this stream at all.
    pub fn stream_error(&self) -> Option<StreamError> {
        let condition = match self {
            StanzaParseError::NotAStanza { .. } => StreamCondition::UnsupportedStanzaType,
            StanzaParseError::WrongNamespace { .. } => StreamCondition::InvalidNamespace,
            StanzaParseError::Invalid(_) => return None,
        };
        Some(StreamError::new(condition))
    }

    /// The stanza error condition that answers an invalid stanza.
    pub fn condition(&self) -> Option<Condition> {
        match self {
            StanzaParseError::NotAStanza { .. } | StanzaParseError::WrongNamespace { .. } => None,
            StanzaParseError::Invalid(invalid) => Some(invalid.reason.condition()),
        }
    }

    /// The error stanza to send back, if one may be sent (see
    /// [`InvalidStanza::error_reply`]).
    pub fn error_reply(&self) -> Option<Stanza> {
        match self {
            StanzaParseError::NotAStanza { .. } | StanzaParseError::WrongNamespace { .. } => None,
            StanzaParseError::Invalid(invalid) => invalid.error_reply(),
        }
    }

    pub(crate) fn not_a_stanza(element: ElementRef<'_>) -> Self {
        StanzaParseError::NotAStanza {
            name: element.name().to_owned(),
            ns: element.ns().to_owned(),
        }
    }

    /// Wraps `reason` with what the stanza's attributes say, read leniently
    /// (an address that does not parse is left out), and the verified
    /// sender of the stream `ctx`.
    pub(crate) fn invalid(
        element: ElementRef<'_>,
        kind: StanzaKind,
        reason: Malformed,
        ctx: &StreamContext,
    ) -> Self {
        let jid = |name| {
            element
                .attr(name)
                .and_then(|value| Jid::from_received(value).ok())
        };
        StanzaParseError::Invalid(Box::new(InvalidStanza {
            kind,
            type_: element.attr("type").map(str::to_owned),
            id: element.attr("id").map(str::to_owned),
            from: jid("from"),
            to: jid("to"),
            sender: ctx.sender.clone(),
            reason,
        }))
    }
}

/// A stanza that breaks the rules, with what is needed to answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidStanza {
    /// `message`, `presence` or `iq`.
    pub kind: StanzaKind,
    /// The `type` attribute as sent.
    pub type_: Option<String>,
    /// The `id` attribute as sent.
    pub id: Option<String>,
    /// `from`, if it is a valid JID: what the sender claims.
    pub from: Option<Jid>,
    /// `to`, if it is a valid JID.
    pub to: Option<Jid>,
    /// The verified sender of the stream the stanza came on
    /// ([`StreamContext::sender`]), which the reply goes to.
    pub sender: Option<FullJid>,
    /// What is wrong, and where.
    pub reason: Malformed,
}

impl InvalidStanza {
    /// The error stanza that answers this one: same kind, same `id`,
    /// addressed to the verified [`sender`](Self::sender), else back to the
    /// claimed `from`, with the condition of [`Malformed::condition`] and
    /// the reason as text.
    ///
    /// `None` when no answer may be sent: the stanza is itself an error
    /// (RFC 6120 §8.3.1), or an IQ response (§8.2.3).
    pub fn error_reply(&self) -> Option<Stanza> {
        let type_ = self.type_.as_deref();
        if type_ == Some("error") {
            return None;
        }
        // An address that did not parse is left out; on a client stream the
        // server then delivers the answer to the connected client itself.
        let error = StanzaError::new(self.reason.condition())
            .with_text(Some("en"), truncate_echo(self.reason.to_string()));
        let from = self.to.clone();
        let to = reply_address(self.sender.as_ref(), self.from.as_ref());
        let id = self.id.clone();
        Some(match self.kind {
            StanzaKind::Iq => {
                if type_ == Some("result") {
                    return None;
                }
                // RFC 6120 §8.2.3: a request is always answered, and the
                // answer to one without `id` has an empty `id`.
                Stanza::Iq(Iq {
                    from,
                    to,
                    ..Iq::with_payload(
                        id.unwrap_or_default(),
                        IqPayload::Error {
                            error,
                            request: None,
                        },
                    )
                })
            }
            StanzaKind::Message => Stanza::Message(Message {
                from,
                to,
                id: id.map(Into::into),
                ..Message::error(error)
            }),
            StanzaKind::Presence => Stanza::Presence(Presence {
                from,
                to,
                id: id.map(Into::into),
                ..Presence::error(error)
            }),
        })
    }
}

impl fmt::Display for InvalidStanza {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid <{}/>", self.kind)?;
        if let Some(type_) = &self.type_ {
            write!(f, " of type {type_:?}")?;
        }
        if let Some(id) = &self.id {
            write!(f, " with id {id:?}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for InvalidStanza {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.reason)
    }
}
