//! What `<error/>` (RFC 6120 §8.3.2) and `<stream:error/>` (§4.9.2) hold
//! alike: one defined condition, texts, an application-specific element.

use stanzio_xml::{Element, ElementRef};

use crate::parse_error::Malformed;
use crate::text::LangMap;

/// How [`error_body`] names the parts of one kind of error in messages.
pub(crate) struct ErrorKind {
    pub(crate) text: &'static str,
    pub(crate) condition: &'static str,
}

/// The body of a stanza or stream error: exactly one defined condition in
/// `conditions_ns`, `<text/>` in any number of languages (`text_lang` is
/// the language of a text without `xml:lang`), at most one
/// application-specific element (any other namespace).
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

/// The name of `condition` in `table`, the conditions without data with
/// their names (RFC 6120 §4.9.3, §8.3.3): one table for writing and for
/// reading ([`named_condition`]), so that the two cannot disagree.
pub(crate) fn condition_name<C: PartialEq>(
    table: &[(&'static str, C)],
    condition: &C,
) -> Option<&'static str> {
    table
        .iter()
        .find(|(_, c)| c == condition)
        .map(|(name, _)| *name)
}

/// The condition named `name` in `table` (see [`condition_name`]).
pub(crate) fn named_condition<C: Clone>(table: &[(&str, C)], name: &str) -> Option<C> {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| c.clone())
}
