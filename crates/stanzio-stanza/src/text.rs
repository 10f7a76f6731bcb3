//! Human-readable text with `xml:lang` variants: message bodies and
//! subjects, presence status, error text.

use compact_str::CompactString;
use stanzio_xml::{ElementRef, NS_XML, XmlWriter};

use crate::children::text_only;
use crate::parse_error::Malformed;

/// How many language variants of one text (bodies, subjects, statuses,
/// error texts) a stanza read from the wire may carry.
pub const MAX_LANGS: usize = 64;

/// Longest text of ours that quotes the peer: an error reply's reason
/// quotes the offending value, a stream error the reader's description of
/// what it refused, and the peer may have made either as large as an
/// element.
const MAX_ECHO_BYTES: usize = 256;

/// `text` cut to [`MAX_ECHO_BYTES`] at a character boundary, with `…` to
/// show the cut.
pub(crate) fn truncate_echo(mut text: String) -> String {
    if text.len() > MAX_ECHO_BYTES {
        let mut end = MAX_ECHO_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// Whether two `xml:lang` values name one language: tags compare
/// case-insensitively (BCP 47 §2.1.1), so `en` and `EN` are one; `None`
/// (no `xml:lang`) only matches `None`.
fn same_lang(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    }
}

/// Texts keyed by their `xml:lang`, in document order, at most one per key.
///
/// The key is the `xml:lang` attribute *as written* on the element; `None`
/// means the element had none and so carries the language of its stanza,
/// or failing that of the stream (RFC 6120 §4.7.4). Keeping the written form
/// means a stanza writes back exactly as it was read. Keys compare
/// case-insensitively, as language tags do (BCP 47 §2.1.1).
///
/// ```
/// use stanzio_stanza::LangMap;
///
/// let mut bodies = LangMap::new();
/// bodies.insert(None, "Wherefore art thou, Romeo?");
/// bodies.insert(Some("cs"), "Proč jsi ty, Romeo?");
/// assert_eq!(bodies.get(Some("CS")), Some("Proč jsi ty, Romeo?"));
/// assert_eq!(bodies.len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LangMap {
    /// The first text, kept inline: most stanzas carry one body, subject
    /// or status, which then costs no vector. Always set when `rest` is not
    /// empty, so that equal maps are equal field by field.
    first: Option<Entry>,
    /// The texts after the first, in document order.
    rest: Vec<Entry>,
}

/// `xml:lang` as written (`None`: none) and the text.
type Entry = (Option<CompactString>, CompactString);

impl LangMap {
    /// An empty map.
    pub fn new() -> Self {
        LangMap::default()
    }

    fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.first.iter().chain(&self.rest)
    }

    fn push(&mut self, entry: Entry) {
        match self.first {
            None => self.first = Some(entry),
            Some(_) => self.rest.push(entry),
        }
    }

    /// The text whose `xml:lang` is `lang` (`None`: the one without
    /// `xml:lang`).
    pub fn get(&self, lang: Option<&str>) -> Option<&str> {
        self.entries()
            .find(|(l, _)| same_lang(l.as_deref(), lang))
            .map(|(_, text)| text.as_str())
    }

    /// The text in `default_lang` (the language an element without
    /// `xml:lang` inherits), else the first one.
    pub fn preferred(&self, default_lang: Option<&str>) -> Option<&str> {
        self.entries()
            .find(|(l, _)| {
                l.is_none() || (default_lang.is_some() && same_lang(l.as_deref(), default_lang))
            })
            .or(self.first.as_ref())
            .map(|(_, text)| text.as_str())
    }

    /// Sets the text for `lang`, returning the one it replaces (which keeps
    /// its key as first written).
    pub fn insert(
        &mut self,
        lang: Option<&str>,
        text: impl Into<CompactString>,
    ) -> Option<CompactString> {
        let text = text.into();
        let existing = self
            .first
            .iter_mut()
            .chain(&mut self.rest)
            .find(|(l, _)| same_lang(l.as_deref(), lang));
        match existing {
            Some((_, old)) => Some(std::mem::replace(old, text)),
            None => {
                self.push((lang.map(CompactString::from), text));
                None
            }
        }
    }

    /// Removes and returns the text for `lang`.
    pub fn remove(&mut self, lang: Option<&str>) -> Option<CompactString> {
        let index = self
            .entries()
            .position(|(l, _)| same_lang(l.as_deref(), lang))?;
        let removed = match index.checked_sub(1) {
            None => {
                let next = (!self.rest.is_empty()).then(|| self.rest.remove(0));
                std::mem::replace(&mut self.first, next)
            }
            Some(i) => (i < self.rest.len()).then(|| self.rest.remove(i)),
        };
        removed.map(|(_, text)| text)
    }

    /// `(xml:lang, text)` pairs in document order.
    pub fn iter(&self) -> impl Iterator<Item = (Option<&str>, &str)> {
        self.entries()
            .map(|(lang, text)| (lang.as_deref(), text.as_str()))
    }

    /// How many texts there are.
    pub fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// Adds the text of a parsed `child` element (`<body/>`, `<subject/>`,
    /// `<status/>`, `<text/>`).
    ///
    /// Two texts with the same *effective* language are an error: an element
    /// without `xml:lang` has the language of its parent (`inherited`), so
    /// `<body>a</body><body xml:lang='en'>b</body>` in an `xml:lang='en'`
    /// message is a duplicate (RFC 6121 §5.2.3, §5.2.4, §4.7.2.2). The text
    /// must be character data only, no child elements.
    pub(crate) fn insert_parsed(
        &mut self,
        child: ElementRef<'_>,
        inherited: Option<&str>,
        element: &'static str,
    ) -> Result<(), Malformed> {
        // Each new text is checked against every earlier one; the cap keeps
        // a hostile stanza of thousands of bodies from costing quadratic
        // time.
        if self.len() >= MAX_LANGS {
            return Err(Malformed::TooManyLangs {
                element,
                max: MAX_LANGS,
            });
        }
        let text = text_only(child, element)?;
        let lang = child.lang();
        let effective = lang.or(inherited);
        if self
            .entries()
            .any(|(l, _)| same_lang(l.as_deref().or(inherited), effective))
        {
            return Err(Malformed::DuplicateLang {
                element,
                lang: effective.map(str::to_owned),
            });
        }
        self.push((lang.map(CompactString::from), CompactString::from(text)));
        Ok(())
    }

    /// Writes one `<name/>` element in `ns` per text.
    pub(crate) fn write_to(&self, w: &mut XmlWriter<'_>, name: &str, ns: &str) {
        for (lang, text) in self.iter() {
            w.start(name, ns);
            if let Some(lang) = lang {
                w.attr_ns(NS_XML, "lang", lang);
            }
            w.text(text);
            w.end();
        }
    }
}

impl<L: AsRef<str>, T: Into<CompactString>> FromIterator<(Option<L>, T)> for LangMap {
    /// Collects pairs; a later text replaces an earlier one with the same
    /// `xml:lang`.
    fn from_iter<I: IntoIterator<Item = (Option<L>, T)>>(iter: I) -> Self {
        let mut map = LangMap::new();
        for (lang, text) in iter {
            map.insert(lang.as_ref().map(AsRef::as_ref), text);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_replaces_same_lang_and_keeps_order() {
        let mut map = LangMap::new();
        assert_eq!(map.insert(Some("en"), "a"), None);
        assert_eq!(map.insert(None, "b"), None);
        assert_eq!(map.insert(Some("en"), "c"), Some("a".into()));
        let pairs: Vec<_> = map.iter().collect();
        assert_eq!(pairs, [(Some("en"), "c"), (None, "b")]);
        assert_eq!(map.remove(None), Some("b".into()));
        assert_eq!(map.len(), 1);
        assert!(!map.is_empty());
        assert_eq!(map.remove(Some("en")), Some("c".into()));
        assert!(map.is_empty());
    }

    /// BCP 47 §2.1.1: language tags compare case-insensitively, as the
    /// duplicate rule of parsing already does.
    #[test]
    fn keys_are_language_tags_compared_without_case() {
        let mut map = LangMap::new();
        map.insert(Some("en-GB"), "colour");
        assert_eq!(map.get(Some("EN-gb")), Some("colour"));
        assert_eq!(map.get(Some("en")), None);
        assert_eq!(map.get(None), None);
        assert_eq!(map.insert(Some("EN-GB"), "color"), Some("colour".into()));
        assert_eq!(map.iter().collect::<Vec<_>>(), [(Some("en-GB"), "color")]);
        assert_eq!(map.preferred(Some("en-gb")), Some("color"));
        assert_eq!(map.remove(Some("En-Gb")), Some("color".into()));
    }

    #[test]
    fn an_echo_is_cut_at_a_character_boundary() {
        assert_eq!(truncate_echo("short".into()), "short");
        let cut = truncate_echo("é".repeat(200));
        // 256 bytes fall inside the 129th `é`: the cut keeps 128 of them.
        assert_eq!(cut, format!("{}…", "é".repeat(128)));
    }

    #[test]
    fn preferred_picks_inherited_language_then_first() {
        let map: LangMap = [(Some("de"), "Hallo"), (Some("en"), "Hello")]
            .into_iter()
            .collect();
        assert_eq!(map.preferred(Some("en")), Some("Hello"));
        assert_eq!(map.preferred(Some("fr")), Some("Hallo"));
        assert_eq!(map.preferred(None), Some("Hallo"));
        assert_eq!(LangMap::new().preferred(None), None);
    }
}
