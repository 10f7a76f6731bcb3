//! `<message/>` (RFC 6121 §5).

use compact_str::CompactString;
use stanzio_jid::Jid;
use stanzio_xml::{Element, ElementRef, XmlWriter};

use crate::StanzaKind;
use crate::attributes::{Attributes, ExtensionAttribute};
use crate::children::{StanzaSource, read_stanza, text_only};
use crate::context::StreamContext;
use crate::fields::{read_fields, write_payloads_and_error};
use crate::parse_error::{Malformed, StanzaParseError};
use crate::payloads::Payloads;
use crate::stanza_error::StanzaError;
use crate::text::LangMap;
use crate::value_names::value_names;

/// The `type` of a message (RFC 6121 §5.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MessageType {
    /// One-to-one conversation.
    Chat,
    /// An error about a message sent earlier; the message carries an
    /// `<error/>`.
    Error,
    /// Multi-user chat.
    Groupchat,
    /// An alert or notice that expects no reply.
    Headline,
    /// A standalone message. Also what a message without `type`, or with
    /// a type the receiver does not understand, is (§5.2.2).
    #[default]
    Normal,
}

value_names! {
    MessageType,
    /// The attribute value.
    as_str,
    /// The type named `value`. A receiver takes an unknown type for
    /// `normal` (RFC 6121 §5.2.2); this says that it was unknown.
    from_str,
    {
        Chat => "chat",
        Error => "error",
        Groupchat => "groupchat",
        Headline => "headline",
        Normal => "normal",
    }
}

/// `<thread/>`: the conversation a message belongs to (RFC 6121 §5.2.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Thread {
    /// The thread identifier.
    pub id: CompactString,
    /// `parent`: the thread this one was spawned from.
    pub parent: Option<CompactString>,
}

impl Thread {
    /// A thread without parent.
    pub fn new(id: impl Into<CompactString>) -> Self {
        Thread {
            id: id.into(),
            parent: None,
        }
    }
}

/// A `<message/>` stanza.
///
/// ```
/// use stanzio_stanza::{Message, MessageType};
///
/// let message = Message::chat("juliet@example.com".parse()?, "Art thou not Romeo?")
///     .with_id("ktx72v49");
/// assert_eq!(message.type_, MessageType::Chat);
/// assert_eq!(message.body(), Some("Art thou not Romeo?"));
/// # Ok::<(), stanzio_jid::JidError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// `from`.
    pub from: Option<Jid>,
    /// `to`.
    pub to: Option<Jid>,
    /// `id`.
    pub id: Option<CompactString>,
    /// `xml:lang` (RFC 6120 §8.1.5): as written on the stanza, else the
    /// stream's, which a stanza without one inherits (§4.7.4) and which a
    /// server adds when it routes the stanza on.
    pub lang: Option<CompactString>,
    /// `type`.
    pub type_: MessageType,
    /// `<body/>` texts by `xml:lang` (RFC 6121 §5.2.3).
    pub bodies: LangMap,
    /// `<subject/>` texts by `xml:lang` (RFC 6121 §5.2.4).
    pub subjects: LangMap,
    /// `<thread/>` (RFC 6121 §5.2.5).
    pub thread: Option<Thread>,
    /// The `<error/>` of a message of type `error`.
    pub error: Option<StanzaError>,
    /// Every child element no field above claims, in document order,
    /// unchanged.
    pub payloads: Payloads,
    /// Attributes beyond the five of RFC 6120 §8.1, kept for §8.4.
    pub extension_attributes: Vec<ExtensionAttribute>,
}

impl Message {
    /// An empty message of `type_`.
    pub fn new(type_: MessageType) -> Self {
        Message {
            type_,
            ..Message::default()
        }
    }

    /// A `chat` message to `to` with one body (RFC 6121 §5.2.2).
    pub fn chat(to: Jid, body: impl Into<CompactString>) -> Self {
        Message::new(MessageType::Chat)
            .with_to(to)
            .with_body(None, body)
    }

    /// A message of type `error` carrying `error`.
    pub fn error(error: StanzaError) -> Self {
        Message {
            error: Some(error),
            ..Message::new(MessageType::Error)
        }
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

    /// Sets `id`.
    pub fn with_id(mut self, id: impl Into<CompactString>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the body for `lang` (`None`: the message's own language).
    pub fn with_body(mut self, lang: Option<&str>, body: impl Into<CompactString>) -> Self {
        self.bodies.insert(lang, body);
        self
    }

    /// Appends a payload element.
    pub fn with_payload(mut self, payload: Element) -> Self {
        self.payloads.push(payload);
        self
    }

    /// The body in the message's own language, else the first one.
    pub fn body(&self) -> Option<&str> {
        self.bodies.preferred(self.lang.as_deref())
    }

    /// The subject in the message's own language, else the first one.
    pub fn subject(&self) -> Option<&str> {
        self.subjects.preferred(self.lang.as_deref())
    }

    /// The first payload `name` in namespace `ns`.
    pub fn payload(&self, name: &str, ns: &str) -> Option<ElementRef<'_>> {
        self.payloads.find(name, ns)
    }

    /// The error message that answers this one, received on the stream
    /// `ctx`: same `id`, addressed to the stream's verified sender, else
    /// back to `from`. `None` if this message is itself an error, which is
    /// never answered with one (RFC 6120 §8.3.1).
    pub fn error_reply(&self, error: StanzaError, ctx: &StreamContext) -> Option<Message> {
        (self.type_ != MessageType::Error).then(|| Message {
            from: self.to.clone(),
            to: ctx.reply_to(self.from.as_ref()),
            id: self.id.clone(),
            ..Message::error(error)
        })
    }

    /// Reads a `<message/>` received on the stream `ctx`: it must be in the
    /// stream's content namespace, and inherits the stream's `xml:lang`
    /// (RFC 6120 §4.7.4). `element` as for
    /// [`Stanza::from_element`](crate::Stanza::from_element).
    ///
    /// # Errors
    ///
    /// [`StanzaParseError`] saying what is wrong and how to answer.
    pub fn from_element<'a>(
        element: impl Into<StanzaSource<'a>>,
        ctx: &StreamContext,
    ) -> Result<Self, StanzaParseError> {
        read_stanza(element.into(), StanzaKind::Message, ctx, |source| {
            Self::parse(source, ctx)
        })
    }

    fn parse(source: StanzaSource<'_>, ctx: &StreamContext) -> Result<Self, Malformed> {
        let element = source.root();
        let attrs = Attributes::parse(element)?;
        // RFC 6121 §5.2.2: absent or not understood means `normal`.
        let type_ = attrs.type_.and_then(|t| t.parse().ok()).unwrap_or_default();
        let lang = attrs.lang.or(ctx.lang.as_deref());
        // RFC 6120 §8.3.1: only an error stanza carries <error/>; elsewhere
        // it is someone's payload.
        let is_error = type_ == MessageType::Error;
        let typed: &'static [&'static str] = if is_error {
            &["body", "subject", "thread", "error"]
        } else {
            &["body", "subject", "thread"]
        };
        let mut message = Message {
            from: attrs.from,
            to: attrs.to,
            id: attrs.id.map(CompactString::from),
            lang: lang.map(CompactString::from),
            extension_attributes: attrs.extensions,
            type_,
            ..Message::default()
        };
        message.error = read_fields(element, typed, is_error, lang, |child| {
            match child.name() {
                "body" => message.bodies.insert_parsed(child, lang, "body"),
                "subject" => message.subjects.insert_parsed(child, lang, "subject"),
                // "thread", the one other name in `typed`.
                _ => {
                    let thread = Thread {
                        id: text_only(child, "thread")?.into(),
                        parent: child.attr("parent").map(CompactString::from),
                    };
                    // RFC 6121 §5.2.5: at most one <thread/>.
                    if message.thread.replace(thread).is_some() {
                        return Err(Malformed::Duplicate { element: "thread" });
                    }
                    Ok(())
                }
            }
        })?;
        // Copied last, so that a stanza refused above costs no copy.
        message.payloads = Payloads::of_stanza(source, typed);
        Ok(message)
    }

    /// Writes the message as a stanza of a stream with content namespace
    /// `ns`.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        let ns = w.content_namespace().as_str();
        w.start("message", ns);
        // `normal` is the default (RFC 6121 §5.2.2); leaving it out keeps
        // the wire form of a message that had no type.
        let type_ = (self.type_ != MessageType::Normal).then(|| self.type_.as_str());
        Attributes::write(
            w,
            self.from.as_ref(),
            self.to.as_ref(),
            self.id.as_deref(),
            type_,
            self.lang.as_deref(),
            &self.extension_attributes,
        );
        self.subjects.write_to(w, "subject", ns);
        self.bodies.write_to(w, "body", ns);
        if let Some(thread) = &self.thread {
            w.start("thread", ns);
            if let Some(parent) = &thread.parent {
                w.attr("parent", parent);
            }
            w.text(&thread.id);
            w.end();
        }
        write_payloads_and_error(w, &self.payloads, self.error.as_ref(), ns);
    }
}
