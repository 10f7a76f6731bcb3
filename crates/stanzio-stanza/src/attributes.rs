//! The attributes every stanza has (RFC 6120 §8.1) and other shared parts.

use std::borrow::Cow;

use stanzio_jid::Jid;
use stanzio_xml::{BuildError, ContentNamespace, Element, ElementRef, NS_XML, XmlWriter};

use crate::StanzaKind;
use crate::error::{Malformed, StanzaParseError};
use crate::text::LangMap;

/// An attribute of a stanza other than the five of RFC 6120 §8.1: kept,
/// because a server must route a stanza's extended content unchanged
/// (§8.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionAttribute {
    /// The namespace URI (empty for an unqualified attribute).
    pub ns: String,
    /// The local name.
    pub name: String,
    /// The value.
    pub value: String,
}

/// `to`, `from`, `id`, `type` and `xml:lang` of a stanza being read, and
/// any other attributes.
pub(crate) struct Attributes<'a> {
    pub(crate) from: Option<Jid>,
    pub(crate) to: Option<Jid>,
    pub(crate) id: Option<&'a str>,
    pub(crate) type_: Option<&'a str>,
    pub(crate) lang: Option<&'a str>,
    pub(crate) extensions: Vec<ExtensionAttribute>,
}

impl<'a> Attributes<'a> {
    /// Reads them in one pass over the attributes.
    pub(crate) fn parse(element: ElementRef<'a>) -> Result<Self, Malformed> {
        let mut from = None;
        let mut to = None;
        let mut attrs = Attributes {
            from: None,
            to: None,
            id: None,
            type_: None,
            lang: None,
            extensions: Vec::new(),
        };
        for attr in element.attrs() {
            let slot = match (attr.ns, attr.name) {
                ("", "from") => &mut from,
                ("", "to") => &mut to,
                ("", "id") => &mut attrs.id,
                ("", "type") => &mut attrs.type_,
                (NS_XML, "lang") => &mut attrs.lang,
                _ => {
                    attrs.extensions.push(ExtensionAttribute {
                        ns: attr.ns.to_owned(),
                        name: attr.name.to_owned(),
                        value: attr.value.to_owned(),
                    });
                    continue;
                }
            };
            *slot = Some(attr.value);
        }
        attrs.from = parse_jid("from", from)?;
        attrs.to = parse_jid("to", to)?;
        Ok(attrs)
    }

    /// Writes the attributes that are present.
    pub(crate) fn write(
        w: &mut XmlWriter<'_>,
        from: Option<&Jid>,
        to: Option<&Jid>,
        id: Option<&str>,
        type_: Option<&str>,
        lang: Option<&str>,
        extensions: &[ExtensionAttribute],
    ) {
        if let Some(from) = from {
            w.attr("from", from.as_str());
        }
        if let Some(to) = to {
            w.attr("to", to.as_str());
        }
        if let Some(id) = id {
            w.attr("id", id);
        }
        if let Some(type_) = type_ {
            w.attr("type", type_);
        }
        if let Some(lang) = lang {
            w.attr_ns(NS_XML, "lang", lang);
        }
        for (i, attr) in extensions.iter().enumerate() {
            // Only a hand-built stanza can get here with a clash: written,
            // it would carry one attribute twice, which no peer can parse.
            let is = |ns: &str, name: &str| attr.ns == ns && attr.name == name;
            let shadows_own = is("", "from") && from.is_some()
                || is("", "to") && to.is_some()
                || is("", "id") && id.is_some()
                || is("", "type") && type_.is_some()
                || is(NS_XML, "lang") && lang.is_some();
            let repeated = extensions
                .get(..i)
                .unwrap_or_default()
                .iter()
                .any(|earlier| is(&earlier.ns, &earlier.name));
            if shadows_own || repeated {
                w.reject(BuildError::DuplicateAttribute(attr.name.clone()));
            }
            w.attr_ns(&attr.ns, &attr.name, &attr.value);
        }
    }
}

fn parse_jid(attribute: &'static str, value: Option<&str>) -> Result<Option<Jid>, Malformed> {
    value
        .map(|value| Jid::new(value).map_err(|source| Malformed::jid(attribute, value, source)))
        .transpose()
}

/// Reads `element` as a stanza of `kind` with `parse`: refuses any other
/// element (`unsupported-stanza-type` at the stream level), and turns what
/// `parse` finds malformed into an error that can be answered.
pub(crate) fn read_stanza<T>(
    element: ElementRef<'_>,
    kind: StanzaKind,
    parse: impl FnOnce(ElementRef<'_>) -> Result<T, Malformed>,
) -> Result<T, StanzaParseError> {
    if element.name() != kind.as_str() || ContentNamespace::from_uri(element.ns()).is_none() {
        return Err(StanzaParseError::not_a_stanza(element));
    }
    parse(element).map_err(|reason| StanzaParseError::invalid(element, kind, reason))
}

/// A vector with room for the payloads of `element`: its children outside
/// the stanza's namespace or not among `typed`. Sized before parsing, so a
/// parsed stanza holds no spare room and costs no reallocation.
pub(crate) fn payload_vec(element: ElementRef<'_>, typed: &[&str]) -> Vec<Element> {
    let ns = element.ns();
    let count = element
        .children()
        .filter(|c| c.ns() != ns || !typed.contains(&c.name()))
        .count();
    Vec::with_capacity(count)
}

/// The text of `child`, an element that holds character data only
/// (`element` names it in the error): a child element inside is refused
/// rather than read past and lost.
pub(crate) fn text_only<'a>(
    child: ElementRef<'a>,
    element: &'static str,
) -> Result<Cow<'a, str>, Malformed> {
    if child.children().next().is_some() {
        return Err(Malformed::ChildElements { element });
    }
    Ok(child.text())
}

/// The body of a stanza or stream error (RFC 6120 §8.3.2, §4.9.2): exactly
/// one defined condition in `conditions_ns`, `<text/>` in any number of
/// languages, at most one application-specific element (any other
/// namespace). `what` names the error in messages ("error", "stream error").
pub(crate) fn error_body<C>(
    element: ElementRef<'_>,
    conditions_ns: &str,
    text_lang: Option<&str>,
    what: ErrorKind,
    parse_condition: impl Fn(ElementRef<'_>) -> C,
) -> Result<(C, LangMap, Option<Element>), Malformed> {
    let mut condition = None;
    let mut texts = LangMap::new();
    let mut app = None;
    for child in element.children() {
        if child.ns() != conditions_ns {
            if app.replace(child.to_owned()).is_some() {
                return Err(Malformed::Duplicate {
                    element: "application-specific condition",
                });
            }
        } else if child.name() == "text" {
            texts.insert_parsed(child, text_lang, what.text)?;
        } else if condition.replace(parse_condition(child)).is_some() {
            return Err(Malformed::Duplicate {
                element: what.condition,
            });
        }
    }
    let condition = condition.ok_or(Malformed::Missing {
        element: what.condition,
    })?;
    Ok((condition, texts, app))
}

/// How [`error_body`] names the parts of one kind of error in messages.
pub(crate) struct ErrorKind {
    pub(crate) text: &'static str,
    pub(crate) condition: &'static str,
}

/// The first payload `name` in namespace `ns`.
pub(crate) fn find_payload<'p>(
    payloads: &'p [Element],
    name: &str,
    ns: &str,
) -> Option<&'p Element> {
    payloads.iter().find(|p| p.is(name, ns))
}
