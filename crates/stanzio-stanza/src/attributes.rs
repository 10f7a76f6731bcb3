//! The attributes of a stanza: the five of RFC 6120 §8.1 and the extension
//! attributes §8.4 asks a server to route unchanged.

use stanzio_jid::Jid;
use stanzio_xml::{BuildError, ElementRef, NS_XML, XmlWriter};

use crate::parse_error::Malformed;

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

/// An address the peer sent (`from`, `to`, `by`), read with
/// [`Jid::from_received`]: a character Unicode assigned after the version
/// the registered PRECIS tables know (an emoji in a MUC nickname) must not
/// make a routed stanza fail.
pub(crate) fn parse_jid(
    attribute: &'static str,
    value: Option<&str>,
) -> Result<Option<Jid>, Malformed> {
    value
        .map(|value| {
            Jid::from_received(value).map_err(|source| Malformed::jid(attribute, value, source))
        })
        .transpose()
}
