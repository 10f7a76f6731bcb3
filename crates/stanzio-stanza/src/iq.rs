//! `<iq/>` (RFC 6120 §8.2.3).

use compact_str::CompactString;
use stanzio_jid::Jid;
use stanzio_xml::{Element, ElementRef, XmlWriter};

use crate::StanzaKind;
use crate::attributes::{Attributes, ExtensionAttribute};
use crate::children::{StanzaSource, read_stanza};
use crate::context::StreamContext;
use crate::parse_error::{Malformed, StanzaParseError};
use crate::stanza_error::StanzaError;
use crate::value_names::value_names;

/// The `type` of an IQ (RFC 6120 §8.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IqType {
    /// A request for information.
    Get,
    /// A request to change something.
    Set,
    /// A successful response.
    Result,
    /// A failed response.
    Error,
}

value_names! {
    IqType,
    /// The attribute value.
    as_str,
    /// The type named `value`, if it is one of the four.
    from_str,
    {
        Get => "get",
        Set => "set",
        Result => "result",
        Error => "error",
    }
}

/// The type of an IQ with what that type carries (RFC 6120 §8.2.3).
// The error variant holds its `<error/>` inline, as `Message` and
// `Presence` do: responses are matched and read once, and a box would make
// every caller build and unwrap one for the rare error.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IqPayload {
    /// `get`: a request for information, with exactly one payload.
    Get(Element),
    /// `set`: a request to change something, with exactly one payload.
    Set(Element),
    /// `result`: a successful response, with zero or one payload.
    Result(Option<Element>),
    /// `error`: a failed response.
    Error {
        /// The `<error/>`.
        error: StanzaError,
        /// The payload of the request, which an error response MAY echo.
        request: Option<Element>,
    },
}

impl IqPayload {
    /// The IQ type this payload goes with.
    pub fn type_(&self) -> IqType {
        match self {
            IqPayload::Get(_) => IqType::Get,
            IqPayload::Set(_) => IqType::Set,
            IqPayload::Result(_) => IqType::Result,
            IqPayload::Error { .. } => IqType::Error,
        }
    }
}

/// An `<iq/>` stanza.
///
/// ```
/// use stanzio_stanza::{Condition, Iq, IqPayload, StanzaError, StreamContext};
/// use stanzio_xml::{ContentNamespace, Element};
///
/// let ctx = StreamContext::new(ContentNamespace::Client);
/// let ping = Element::builder("ping", "urn:xmpp:ping").build()?;
/// let request = Iq::get("c2s1", ping).with_to("capulet.lit".parse()?);
/// let answer = request.result_reply(None, &ctx).expect("a get is answered");
/// assert_eq!(answer.id, "c2s1");
/// assert_eq!(answer.from, request.to);
/// assert!(matches!(answer.payload, IqPayload::Result(None)));
///
/// let refusal = request.error_reply(StanzaError::new(Condition::ServiceUnavailable), &ctx);
/// assert!(refusal.is_some());
/// // A response is never answered (RFC 6120 §8.2.3).
/// assert!(answer.result_reply(None, &ctx).is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iq {
    /// `from`.
    pub from: Option<Jid>,
    /// `to`.
    pub to: Option<Jid>,
    /// `id`, which every IQ must have and a response echoes.
    pub id: CompactString,
    /// `xml:lang`: as written on the stanza, else the stream's (see
    /// [`Message::lang`](crate::Message::lang)).
    pub lang: Option<CompactString>,
    /// The type and what it carries.
    pub payload: IqPayload,
    /// Attributes beyond the five of RFC 6120 §8.1, kept for §8.4.
    pub extension_attributes: Vec<ExtensionAttribute>,
}

impl Iq {
    pub(crate) fn with_payload(id: impl Into<CompactString>, payload: IqPayload) -> Self {
        Iq {
            from: None,
            to: None,
            id: id.into(),
            lang: None,
            payload,
            extension_attributes: Vec::new(),
        }
    }

    /// A `get` request.
    pub fn get(id: impl Into<CompactString>, payload: Element) -> Self {
        Iq::with_payload(id, IqPayload::Get(payload))
    }

    /// A `set` request.
    pub fn set(id: impl Into<CompactString>, payload: Element) -> Self {
        Iq::with_payload(id, IqPayload::Set(payload))
    }

    /// Sets `to`.
    pub fn with_to(mut self, to: Jid) -> Self {
        self.to = Some(to);
        self
    }

    /// Sets `from`.
    pub fn with_from(mut self, from: Jid) -> Self {
        self.from = Some(from);
        self
    }

    /// Whether this is a request (`get` or `set`), which must be answered.
    pub fn is_request(&self) -> bool {
        matches!(self.payload, IqPayload::Get(_) | IqPayload::Set(_))
    }

    /// The response to this request, received on the stream `ctx`: same
    /// `id`, from the request's `to`, to the stream's verified sender, else
    /// back to `from`.
    fn reply(&self, payload: IqPayload, ctx: &StreamContext) -> Option<Iq> {
        // RFC 6120 §8.2.3: a response is never answered with a response.
        self.is_request().then(|| Iq {
            from: self.to.clone(),
            to: ctx.reply_to(self.from.as_ref()),
            ..Iq::with_payload(self.id.clone(), payload)
        })
    }

    /// The `result` that answers this request, received on the stream
    /// `ctx`: same `id`, addressed to the stream's verified sender, else
    /// back to `from`. `None` if this is not a request.
    pub fn result_reply(&self, payload: Option<Element>, ctx: &StreamContext) -> Option<Iq> {
        self.reply(IqPayload::Result(payload), ctx)
    }

    /// The `error` that answers this request, addressed as
    /// [`result_reply`](Self::result_reply) does. `None` if this is not a
    /// request.
    pub fn error_reply(&self, error: StanzaError, ctx: &StreamContext) -> Option<Iq> {
        self.reply(
            IqPayload::Error {
                error,
                request: None,
            },
            ctx,
        )
    }

    /// Reads an `<iq/>` received on the stream `ctx`, as
    /// [`Message::from_element`](crate::Message::from_element) does.
    ///
    /// # Errors
    ///
    /// [`StanzaParseError`] saying what is wrong and how to answer.
    pub fn from_element<'a>(
        element: impl Into<StanzaSource<'a>>,
        ctx: &StreamContext,
    ) -> Result<Self, StanzaParseError> {
        read_stanza(element.into(), StanzaKind::Iq, ctx, |source| {
            Self::parse(source, ctx)
        })
    }

    fn parse(source: StanzaSource<'_>, ctx: &StreamContext) -> Result<Self, Malformed> {
        let element = source.root();
        let attrs = Attributes::parse(element)?;
        let missing = |attribute| Malformed::MissingAttribute {
            element: "iq",
            attribute,
        };
        let id = attrs.id.ok_or_else(|| missing("id"))?;
        let type_value = attrs.type_.ok_or_else(|| missing("type"))?;
        let type_ = type_value.parse().map_err(|_| Malformed::UnknownType {
            element: "iq",
            value: type_value.to_owned(),
        })?;
        let lang = attrs.lang.or(ctx.lang.as_deref());
        let payload = match type_ {
            IqType::Get => IqPayload::Get(single(element, "get")?),
            IqType::Set => IqPayload::Set(single(element, "set")?),
            IqType::Result => IqPayload::Result(at_most_one(element.children(), "result")?),
            IqType::Error => {
                let ns = element.ns();
                let (errors, others): (Vec<_>, Vec<_>) =
                    element.children().partition(|c| c.is("error", ns));
                let error = match errors.as_slice() {
                    [error] => StanzaError::parse(*error, lang)?,
                    [] => return Err(Malformed::Missing { element: "error" }),
                    _ => return Err(Malformed::Duplicate { element: "error" }),
                };
                IqPayload::Error {
                    error,
                    request: at_most_one(others.into_iter(), "error")?,
                }
            }
        };
        Ok(Iq {
            from: attrs.from,
            to: attrs.to,
            id: id.into(),
            lang: lang.map(CompactString::from),
            extension_attributes: attrs.extensions,
            payload,
        })
    }

    /// Writes the IQ as a stanza of a stream with content namespace `ns`.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        let ns = w.content_namespace().as_str();
        w.start("iq", ns);
        Attributes::write(
            w,
            self.from.as_ref(),
            self.to.as_ref(),
            Some(&self.id),
            Some(self.payload.type_().as_str()),
            self.lang.as_deref(),
            &self.extension_attributes,
        );
        match &self.payload {
            IqPayload::Get(payload) | IqPayload::Set(payload) => w.element(payload.root()),
            IqPayload::Result(payload) => {
                if let Some(payload) = payload {
                    w.element(payload.root());
                }
            }
            IqPayload::Error { error, request } => {
                if let Some(request) = request {
                    w.element(request.root());
                }
                error.write_to(w, ns);
            }
        }
        w.end();
    }
}

/// The one child element of a `get` or `set`.
fn single(element: ElementRef<'_>, type_: &'static str) -> Result<Element, Malformed> {
    let mut children = element.children();
    let found = match (children.next(), children.next()) {
        (Some(payload), None) => return Ok(payload.to_owned()),
        (None, _) => 0,
        (Some(_), Some(_)) => 2 + children.count(),
    };
    Err(Malformed::IqPayloadCount {
        type_,
        expected: "exactly one",
        found,
    })
}

/// The child element of a `result` or an `error` (besides `<error/>`), if
/// there is one.
fn at_most_one<'a>(
    mut children: impl Iterator<Item = ElementRef<'a>>,
    type_: &'static str,
) -> Result<Option<Element>, Malformed> {
    match (children.next(), children.next()) {
        (first, None) => Ok(first.map(|payload| payload.to_owned())),
        (_, Some(_)) => Err(Malformed::IqPayloadCount {
            type_,
            expected: "at most one",
            found: 2 + children.count(),
        }),
    }
}
