//! Helpers shared by the stanza tests: read elements off a stream, write
//! stanzas, and compare XML up to what a stanza may reorder.
#![allow(dead_code)] // each test file uses the helpers it needs

use stanzio_stanza::{Stanza, StreamContext};
use stanzio_xml::{
    ContentNamespace, Element, ElementRef, Limits, NS_XML, StreamEvent, StreamReader, StreamWriter,
};

/// A stream header declaring `ns` as the content namespace.
pub fn header(ns: ContentNamespace, lang: Option<&str>) -> String {
    let lang = lang.map(|l| format!(" xml:lang='{l}'")).unwrap_or_default();
    format!(
        "<stream:stream xmlns='{}' xmlns:stream='http://etherx.jabber.org/streams'{lang}>",
        ns.as_str()
    )
}

/// Every top-level element of `stream` (header included in the input),
/// and the stream's `xml:lang`.
pub fn read_elements(stream: &[u8]) -> (Option<String>, Vec<Element>) {
    let mut reader = StreamReader::new(Limits::default());
    let mut input = stream;
    let mut lang = None;
    let mut elements = Vec::new();
    while let Some(event) = reader.read(&mut input).expect("well-formed stream") {
        match event {
            StreamEvent::Header(h) => lang = h.lang,
            StreamEvent::Element(e) => elements.push(e),
            _ => {}
        }
    }
    (lang, elements)
}

/// One stanza given as XML text inside a `ns` stream.
pub fn element(ns: ContentNamespace, xml: &str) -> Element {
    let stream = format!("{}{xml}", header(ns, None));
    let (_, mut elements) = read_elements(stream.as_bytes());
    assert_eq!(elements.len(), 1, "one element in {xml}");
    elements.remove(0)
}

/// A `ns` stream with `xml:lang` `lang` and no verified sender.
pub fn context(ns: ContentNamespace, lang: Option<&str>) -> StreamContext {
    let ctx = StreamContext::new(ns);
    match lang {
        Some(lang) => ctx.with_lang(lang),
        None => ctx,
    }
}

/// A `jabber:client` stream without `xml:lang` or verified sender.
pub fn client() -> StreamContext {
    StreamContext::new(ContentNamespace::Client)
}

/// Parses one stanza given as XML text in a `jabber:client` stream.
pub fn parse(xml: &str) -> Result<Stanza, stanzio_stanza::StanzaParseError> {
    Stanza::from_element(element(ContentNamespace::Client, xml).root(), &client())
}

/// The stanza written into a `ns` stream.
pub fn write(stanza: &Stanza, ns: ContentNamespace) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = StreamWriter::new(ns).element(&mut out);
    stanza.write_to(&mut w);
    w.finish().expect("a parsed stanza can be written");
    out
}

/// A canonical text of `element` for comparison: attributes sorted, white
/// space between elements dropped, and (when `sort_children`) children
/// sorted, because a stanza writes its typed children before its payloads.
pub fn canonical(element: ElementRef<'_>, sort_children: bool) -> String {
    canonical_in(element, sort_children, None)
}

/// [`canonical`] of `element` as a stanza of a stream with `xml:lang`
/// `stream_lang`: without its own, the element has the stream's (RFC 6120
/// §4.7.4), which a parsed stanza writes explicitly.
fn canonical_in(element: ElementRef<'_>, sort_children: bool, stream_lang: Option<&str>) -> String {
    let mut attrs: Vec<String> = element
        .attrs()
        .map(|a| format!("{{{}}}{}={:?}", a.ns, a.name, a.value))
        .collect();
    if let (None, Some(lang)) = (element.lang(), stream_lang) {
        attrs.push(format!("{{{NS_XML}}}lang={lang:?}"));
    }
    attrs.sort();
    let has_elements = element.children().next().is_some();
    let mut children: Vec<String> = element
        .nodes()
        .filter_map(|node| match node {
            stanzio_xml::Node::Element(child) => Some(canonical(child, false)),
            stanzio_xml::Node::Text(t) if has_elements && t.trim().is_empty() => None,
            stanzio_xml::Node::Text(t) => Some(format!("{t:?}")),
        })
        .collect();
    if sort_children {
        children.sort();
    }
    format!(
        "<{{{}}}{} {}>{}</>",
        element.ns(),
        element.name(),
        attrs.join(" "),
        children.concat()
    )
}

/// Parses `element` in a `ns` stream of `xml:lang` `lang`, writes it, reads
/// it back: the typed stanza must be the same, and the XML the same as the
/// input up to the order of children (and the inherited `xml:lang` made
/// explicit). Returns the stanza.
pub fn assert_round_trip(element: &Element, ns: ContentNamespace, lang: Option<&str>) -> Stanza {
    let ctx = context(ns, lang);
    let stanza = Stanza::from_element(element.root(), &ctx)
        .unwrap_or_else(|e| panic!("{element:?} parses: {e}"));
    let written = write(&stanza, ns);
    let mut stream = header(ns, lang).into_bytes();
    stream.extend_from_slice(&written);
    let (_, again) = read_elements(&stream);
    assert_eq!(again.len(), 1, "{}", String::from_utf8_lossy(&written));
    assert_eq!(
        canonical(again[0].root(), true),
        canonical_in(element.root(), true, lang),
        "written: {}",
        String::from_utf8_lossy(&written)
    );
    let reparsed = Stanza::from_element(again[0].root(), &ctx).expect("written stanza parses");
    assert_eq!(reparsed, stanza);
    stanza
}
