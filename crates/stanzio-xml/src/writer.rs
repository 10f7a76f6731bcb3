//! Serialization straight into a caller-owned `Vec<u8>`.
//!
//! [`StreamWriter`] knows the stream's context (content namespace, TCP stream
//! or RFC 7395 framing) and hands out an [`XmlWriter`] per top-level element.
//! Inside a TCP stream the content namespace is the default inherited from
//! the stream header, so stanzas are written without `xmlns`; elements in the
//! stream namespace use the `stream:` prefix the header bound. With RFC 7395
//! framing every message is a standalone document, so both are declared on
//! each top-level element (§3.3.3).

use crate::element::{ElementRef, NS_XML, NS_XMLNS, Node};
use crate::error::BuildError;
use crate::{ContentNamespace, NS_FRAMING, NS_STREAM, StreamHeader};

/// Checks that `s` only holds characters XML 1.0 allows (§2.2 `Char`).
///
/// Rust strings cannot hold surrogates, so what is left to reject is C0
/// controls other than tab, LF and CR, and U+FFFE/U+FFFF.
pub(crate) fn check_chars(s: &str) -> Result<(), BuildError> {
    if !may_hold_non_chars(s) {
        return Ok(());
    }
    match s.chars().find(|&c| {
        (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    }) {
        Some(c) => Err(BuildError::InvalidChar(c as u32)),
        None => Ok(()),
    }
}

/// A quick byte scan before [`check_chars`]' exact one: whether `s` has a C0
/// control other than tab, LF and CR, or a 0xEF byte (which U+FFFE and
/// U+FFFF start with). Saying yes too often only costs time.
fn may_hold_non_chars(s: &str) -> bool {
    s.bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF)
}

/// Escapes character data. `>` is escaped so `]]>` can never appear; CR is
/// written as a reference because XML parsers turn a literal CR into LF
/// (XML 1.0 §2.11), which would change the text.
fn escape_text(out: &mut Vec<u8>, s: &str) {
    escape(out, s, |b| match b {
        b'<' => Some(b"&lt;".as_slice()),
        b'>' => Some(b"&gt;"),
        b'&' => Some(b"&amp;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

/// Escapes an attribute value for single quotes. Tab, LF and CR are
/// references because attribute-value normalization (XML 1.0 §3.3.3) would
/// turn literal ones into spaces.
fn escape_attr(out: &mut Vec<u8>, s: &str) {
    escape(out, s, |b| match b {
        b'<' => Some(b"&lt;".as_slice()),
        b'>' => Some(b"&gt;"),
        b'&' => Some(b"&amp;"),
        b'\'' => Some(b"&apos;"),
        b'"' => Some(b"&quot;"),
        b'\t' => Some(b"&#x9;"),
        b'\n' => Some(b"&#xA;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

#[inline]
fn escape(out: &mut Vec<u8>, s: &str, replacement: impl Fn(u8) -> Option<&'static [u8]>) {
    let bytes = s.as_bytes();
    let mut clean_from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(rep) = replacement(b) {
            out.extend_from_slice(bytes.get(clean_from..i).unwrap_or_default());
            out.extend_from_slice(rep);
            clean_from = i + 1;
        }
    }
    out.extend_from_slice(bytes.get(clean_from..).unwrap_or_default());
}

fn needs_attr_escape(s: &str) -> bool {
    s.bytes()
        .any(|b| matches!(b, b'<' | b'>' | b'&' | b'\'' | b'"' | b'\t' | b'\n' | b'\r'))
}

/// Where the namespace in effect for an element's unprefixed children is.
#[derive(Clone, Copy)]
enum DefaultNs {
    /// Inherited from the stream header (or none in framing mode).
    Stream,
    /// Declared by an ancestor; the unescaped value sits at this range of
    /// the output.
    Written { start: usize, len: usize },
    /// Declared with a value that needed escaping, so it cannot be compared
    /// in place; children always declare their own.
    Opaque,
}

struct Frame {
    /// The qualified name as written into the output, for the end tag.
    name_start: usize,
    name_len: usize,
    default_ns: DefaultNs,
    /// How many `nsN` prefixes this element declared, so attribute prefixes
    /// stay unique per element.
    generated_prefixes: u32,
}

/// Writes one top-level element (with its subtree) into a caller's buffer.
///
/// Obtained from [`StreamWriter::element`]. Calls nest like the XML:
/// [`start`](Self::start), attributes, content, [`end`](Self::end). A misuse
/// or an invalid character is remembered and reported by
/// [`finish`](Self::finish), which then also removes the partial output, so a
/// half-written element never reaches the wire.
pub struct XmlWriter<'o> {
    out: &'o mut Vec<u8>,
    initial_len: usize,
    content: ContentNamespace,
    /// The content namespace when it is inherited from the stream header
    /// (TCP), `None` when every element declares its own (RFC 7395).
    stream_default: Option<&'static str>,
    stream_prefix_bound: bool,
    stack: Vec<Frame>,
    head_open: bool,
    error: Option<BuildError>,
}

impl<'o> XmlWriter<'o> {
    fn new(out: &'o mut Vec<u8>, content: ContentNamespace, framing: bool) -> Self {
        let initial_len = out.len();
        XmlWriter {
            out,
            initial_len,
            content,
            stream_default: (!framing).then(|| content.as_str()),
            stream_prefix_bound: !framing,
            stack: Vec::new(),
            head_open: false,
            error: None,
        }
    }

    /// The stream's content namespace, in which stanzas are written.
    pub fn content_namespace(&self) -> ContentNamespace {
        self.content
    }

    fn fail(&mut self, error: BuildError) {
        self.error.get_or_insert(error);
    }

    /// Records an error found by the layer above (such as an attribute it
    /// would write twice, which this writer does not look for: elements
    /// from the reader, the builder or minidom cannot have one).
    /// [`finish`](Self::finish) then reports the first error and removes
    /// the partial output.
    pub fn reject(&mut self, error: BuildError) {
        self.fail(error);
    }

    fn close_head(&mut self) {
        if self.head_open {
            self.out.push(b'>');
            self.head_open = false;
        }
    }

    fn default_ns_matches(&self, ns: &str) -> bool {
        let current = self
            .stack
            .last()
            .map_or(DefaultNs::Stream, |f| f.default_ns);
        match current {
            DefaultNs::Stream => self.stream_default.unwrap_or("") == ns,
            DefaultNs::Written { start, len } => {
                self.out.get(start..start + len) == Some(ns.as_bytes())
            }
            DefaultNs::Opaque => false,
        }
    }

    /// Opens element `name` in namespace `ns`; declares `xmlns` only when it
    /// differs from the namespace in effect.
    pub fn start(&mut self, name: &str, ns: &str) {
        self.close_head();
        self.out.push(b'<');
        let name_start = self.out.len();
        let inherited = self
            .stack
            .last()
            .map_or(DefaultNs::Stream, |f| f.default_ns);
        let mut default_ns = inherited;
        if ns == NS_STREAM {
            // RFC 6120 §4.8.5: stream-level elements keep the `stream:`
            // prefix, which some deployed clients match on literally.
            self.out.extend_from_slice(b"stream:");
            self.out.extend_from_slice(name.as_bytes());
            let name_len = self.out.len() - name_start;
            if !self.stream_prefix_bound {
                self.out.extend_from_slice(b" xmlns:stream='");
                self.out.extend_from_slice(NS_STREAM.as_bytes());
                self.out.push(b'\'');
            }
            self.push_frame(name_start, name_len, default_ns);
        } else {
            self.out.extend_from_slice(name.as_bytes());
            let name_len = self.out.len() - name_start;
            if !self.default_ns_matches(ns) {
                self.out.extend_from_slice(b" xmlns='");
                let start = self.out.len();
                escape_attr(self.out, ns);
                default_ns = if needs_attr_escape(ns) {
                    DefaultNs::Opaque
                } else {
                    DefaultNs::Written {
                        start,
                        len: ns.len(),
                    }
                };
                self.out.push(b'\'');
            }
            self.push_frame(name_start, name_len, default_ns);
        }
        if <&rxml::NcNameStr>::try_from(name).is_err() {
            self.fail(BuildError::InvalidName(name.to_owned()));
        }
        if let Err(e) = check_chars(ns) {
            self.fail(e);
        }
        // Neither may be declared as the default (Namespaces in XML 1.0 §3).
        if ns == NS_XML || ns == NS_XMLNS {
            self.fail(BuildError::Reserved(ns.to_owned()));
        }
        self.head_open = true;
    }

    fn push_frame(&mut self, name_start: usize, name_len: usize, default_ns: DefaultNs) {
        self.stack.push(Frame {
            name_start,
            name_len,
            default_ns,
            generated_prefixes: 0,
        });
    }

    /// Adds an unprefixed attribute to the element just opened.
    pub fn attr(&mut self, name: &str, value: &str) {
        self.attr_ns("", name, value);
    }

    /// Adds an attribute in namespace `ns` (`""` for none). `xml:` attributes
    /// use their reserved prefix; others get a prefix declared on the spot.
    pub fn attr_ns(&mut self, ns: &str, name: &str, value: &str) {
        if !self.head_open {
            self.fail(BuildError::AttributeAfterContent(name.to_owned()));
            return;
        }
        if let Err(e) = check_chars(value) {
            self.fail(e);
        }
        if <&rxml::NcNameStr>::try_from(name).is_err() {
            self.fail(BuildError::InvalidName(name.to_owned()));
        }
        if let Err(e) = check_chars(ns) {
            self.fail(e);
        }
        // Either would be read back as a namespace declaration.
        if ns == NS_XMLNS || (ns.is_empty() && name == "xmlns") {
            self.fail(BuildError::Reserved(format!("{{{ns}}}{name}")));
        }
        self.out.push(b' ');
        if ns == NS_XML {
            self.out.extend_from_slice(b"xml:");
        } else if !ns.is_empty() {
            let n = self.stack.last_mut().map_or(0, |f| {
                f.generated_prefixes += 1;
                f.generated_prefixes
            });
            let prefix = format!("ns{n}");
            self.out.extend_from_slice(b"xmlns:");
            self.out.extend_from_slice(prefix.as_bytes());
            self.out.extend_from_slice(b"='");
            escape_attr(self.out, ns);
            self.out.extend_from_slice(b"' ");
            self.out.extend_from_slice(prefix.as_bytes());
            self.out.push(b':');
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"='");
        escape_attr(self.out, value);
        self.out.push(b'\'');
    }

    /// Adds character data to the element currently open.
    pub fn text(&mut self, text: &str) {
        if self.stack.is_empty() {
            self.fail(BuildError::TextOutsideElement);
            return;
        }
        if let Err(e) = check_chars(text) {
            self.fail(e);
        }
        self.close_head();
        escape_text(self.out, text);
    }

    /// Closes the element opened last.
    pub fn end(&mut self) {
        let Some(frame) = self.stack.pop() else {
            self.fail(BuildError::UnbalancedEnd);
            return;
        };
        if self.head_open {
            self.out.extend_from_slice(b"/>");
            self.head_open = false;
            return;
        }
        self.out.extend_from_slice(b"</");
        let name = frame.name_start..frame.name_start + frame.name_len;
        self.out.extend_from_within(name);
        self.out.push(b'>');
    }

    /// Writes a whole [`ElementRef`] subtree as a child (or as the
    /// top-level element).
    pub fn element(&mut self, element: ElementRef<'_>) {
        self.start(element.name(), element.ns());
        for attr in element.attrs() {
            self.attr_ns(attr.ns, attr.name, attr.value);
        }
        for node in element.nodes() {
            match node {
                Node::Element(child) => self.element(child),
                Node::Text(text) => self.text(text),
            }
        }
        self.end();
    }

    /// Writes a `minidom::Element` subtree faithfully (names, namespaces,
    /// attributes, text, order).
    pub fn minidom(&mut self, element: &minidom::Element) {
        self.start(element.name(), &element.ns());
        for ((ns, name), value) in element.attrs().iter() {
            self.attr_ns(ns.as_str(), name.as_str(), value);
        }
        for node in element.nodes() {
            match node {
                minidom::Node::Element(child) => self.minidom(child),
                minidom::Node::Text(text) => self.text(text),
            }
        }
        self.end();
    }

    /// Ends writing: checks that every element was closed and nothing
    /// invalid was written. On error the output is restored to what it was
    /// before this writer began.
    pub fn finish(mut self) -> Result<(), BuildError> {
        if !self.stack.is_empty() {
            self.fail(BuildError::Unclosed(self.stack.len()));
        }
        match self.error.take() {
            None => Ok(()),
            Some(error) => {
                self.out.truncate(self.initial_len);
                Err(error)
            }
        }
    }
}

/// Writes `element` as a standalone document fragment, declaring its own
/// namespaces (used by `Debug` and for RFC 7395 messages).
pub(crate) fn write_standalone(out: &mut Vec<u8>, element: ElementRef<'_>) {
    // Framing mode declares every namespace; the content namespace is unused.
    let mut writer = XmlWriter::new(out, ContentNamespace::Client, true);
    writer.element(element);
    // An arena element was validated when it was built or parsed; should it
    // not be, the error has already removed the partial output.
    let _ = writer.finish();
}

/// The writing side of one stream: headers, close, and top-level elements
/// in the stream's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamWriter {
    content: ContentNamespace,
    framing: bool,
}

impl StreamWriter {
    /// A writer for a TCP stream (RFC 6120 §4) with this content namespace.
    pub fn new(content: ContentNamespace) -> Self {
        StreamWriter {
            content,
            framing: false,
        }
    }

    /// A writer for XMPP over WebSocket (RFC 7395): one standalone element
    /// per message, `<open/>`/`<close/>` instead of the stream tags.
    pub fn websocket(content: ContentNamespace) -> Self {
        StreamWriter {
            content,
            framing: true,
        }
    }

    /// Writes the stream header: `<?xml?>` and `<stream:stream …>` for TCP,
    /// `<open …/>` for WebSocket.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidChar`] if a value holds a character XML cannot
    /// carry; nothing is written then.
    pub fn header(&self, out: &mut Vec<u8>, header: &StreamHeader) -> Result<(), BuildError> {
        let values = [
            ("from", &header.from),
            ("to", &header.to),
            ("id", &header.id),
            ("version", &header.version),
            ("xml:lang", &header.lang),
        ];
        for value in values.iter().filter_map(|(_, value)| value.as_deref()) {
            check_chars(value)?;
        }
        if self.framing {
            out.extend_from_slice(b"<open xmlns='");
            out.extend_from_slice(NS_FRAMING.as_bytes());
            out.push(b'\'');
        } else {
            out.extend_from_slice(b"<?xml version='1.0'?><stream:stream xmlns='");
            out.extend_from_slice(self.content.as_str().as_bytes());
            out.extend_from_slice(b"' xmlns:stream='");
            out.extend_from_slice(NS_STREAM.as_bytes());
            out.push(b'\'');
        }
        for (name, value) in values {
            if let Some(value) = value {
                push_attr(out, name, value);
            }
        }
        out.extend_from_slice(if self.framing { b"/>" } else { b">" });
        Ok(())
    }

    /// Writes the end of the stream: `</stream:stream>` or `<close/>`.
    pub fn close(&self, out: &mut Vec<u8>) {
        if self.framing {
            out.extend_from_slice(b"<close xmlns='");
            out.extend_from_slice(NS_FRAMING.as_bytes());
            out.extend_from_slice(b"'/>");
        } else {
            out.extend_from_slice(b"</stream:stream>");
        }
    }

    /// Starts a top-level element in this stream's context.
    pub fn element<'o>(&self, out: &'o mut Vec<u8>) -> XmlWriter<'o> {
        XmlWriter::new(out, self.content, self.framing)
    }

    /// Writes a parsed or built element as a top-level element.
    pub fn write(&self, out: &mut Vec<u8>, element: ElementRef<'_>) -> Result<(), BuildError> {
        let mut writer = self.element(out);
        writer.element(element);
        writer.finish()
    }

    /// Writes a `minidom::Element` as a top-level element.
    pub fn write_minidom(
        &self,
        out: &mut Vec<u8>,
        element: &minidom::Element,
    ) -> Result<(), BuildError> {
        let mut writer = self.element(out);
        writer.minidom(element);
        writer.finish()
    }
}

fn push_attr(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"='");
    escape_attr(out, value);
    out.push(b'\'');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Element;

    fn written(f: impl FnOnce(&mut XmlWriter<'_>)) -> String {
        let mut out = Vec::new();
        let mut w = StreamWriter::new(ContentNamespace::Client).element(&mut out);
        f(&mut w);
        w.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn stanza_in_stream_namespace_has_no_xmlns() {
        let s = written(|w| {
            w.start("message", "jabber:client");
            w.attr("to", "a@b");
            w.start("body", "jabber:client");
            w.text("1 < 2 & 3 > 2\r\n");
            w.end();
            w.start("x", "urn:x");
            w.start("y", "urn:x");
            w.end();
            w.end();
            w.end();
        });
        assert_eq!(
            s,
            "<message to='a@b'><body>1 &lt; 2 &amp; 3 &gt; 2&#xD;\n</body>\
             <x xmlns='urn:x'><y/></x></message>"
        );
    }

    #[test]
    fn attributes_are_escaped_and_xml_lang_prefixed() {
        let s = written(|w| {
            w.start("presence", "jabber:client");
            w.attr("id", "a'b\"c<d>&\t\n");
            w.attr_ns(NS_XML, "lang", "en");
            w.attr_ns("urn:custom", "k", "v");
            w.end();
        });
        assert_eq!(
            s,
            "<presence id='a&apos;b&quot;c&lt;d&gt;&amp;&#x9;&#xA;' xml:lang='en' \
             xmlns:ns1='urn:custom' ns1:k='v'/>"
        );
    }

    #[test]
    fn stream_elements_use_the_bound_prefix() {
        let s = written(|w| {
            w.start("features", NS_STREAM);
            w.start("starttls", "urn:ietf:params:xml:ns:xmpp-tls");
            w.end();
            w.end();
        });
        assert_eq!(
            s,
            "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"
        );
    }

    #[test]
    fn websocket_elements_are_standalone() {
        let mut out = Vec::new();
        let e = Element::builder("features", NS_STREAM).build().unwrap();
        let ws = StreamWriter::websocket(ContentNamespace::Client);
        ws.write(&mut out, e.root()).unwrap();
        let m = Element::builder("message", "jabber:client")
            .build()
            .unwrap();
        ws.write(&mut out, m.root()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>\
             <message xmlns='jabber:client'/>"
        );
    }

    #[test]
    fn misuse_and_bad_chars_leave_no_output() {
        let mut out = b"keep".to_vec();
        let mut w = StreamWriter::new(ContentNamespace::Client).element(&mut out);
        w.start("message", "jabber:client");
        w.text("bell\u{7}");
        w.end();
        assert_eq!(w.finish(), Err(BuildError::InvalidChar(7)));
        assert_eq!(out, b"keep");

        let mut w = StreamWriter::new(ContentNamespace::Client).element(&mut out);
        w.start("a", "jabber:client");
        w.text("x");
        w.attr("late", "1");
        w.end();
        assert!(matches!(
            w.finish(),
            Err(BuildError::AttributeAfterContent(_))
        ));

        let mut w = StreamWriter::new(ContentNamespace::Client).element(&mut out);
        w.start("a", "jabber:client");
        assert_eq!(w.finish(), Err(BuildError::Unclosed(1)));

        let mut w = StreamWriter::new(ContentNamespace::Client).element(&mut out);
        w.start("bad name", "jabber:client");
        w.end();
        assert!(matches!(w.finish(), Err(BuildError::InvalidName(_))));
        assert_eq!(out, b"keep");
    }

    /// What `finish` says after `f`, with the output left as it was.
    fn refused(f: impl FnOnce(&mut XmlWriter<'_>)) -> BuildError {
        let mut out = b"keep".to_vec();
        let mut w = StreamWriter::new(ContentNamespace::Client).element(&mut out);
        f(&mut w);
        let error = w.finish().unwrap_err();
        assert_eq!(out, b"keep");
        error
    }

    #[test]
    fn namespaces_xml_cannot_carry_are_refused() {
        let error = refused(|w| {
            w.start("a", "urn:\u{1}");
            w.end();
        });
        assert_eq!(error, BuildError::InvalidChar(1));
        let error = refused(|w| {
            w.start("a", "jabber:client");
            w.attr_ns("urn:\u{FFFE}", "k", "v");
            w.end();
        });
        assert_eq!(error, BuildError::InvalidChar(0xFFFE));
    }

    #[test]
    fn reserved_names_and_namespaces_are_refused() {
        // Written as is, `xmlns='…'` would change the element's namespace
        // instead of being read back as an attribute.
        let error = refused(|w| {
            w.start("a", "jabber:client");
            w.attr("xmlns", "urn:evil");
            w.end();
        });
        assert!(matches!(error, BuildError::Reserved(_)), "{error:?}");
        let error = refused(|w| {
            w.start("a", "jabber:client");
            w.attr_ns("http://www.w3.org/2000/xmlns/", "p", "urn:evil");
            w.end();
        });
        assert!(matches!(error, BuildError::Reserved(_)), "{error:?}");
        for ns in [NS_XML, "http://www.w3.org/2000/xmlns/"] {
            let error = refused(|w| {
                w.start("a", ns);
                w.end();
            });
            assert!(matches!(error, BuildError::Reserved(_)), "{error:?}");
        }
    }

    #[test]
    fn headers_and_close() {
        let header = StreamHeader {
            to: Some("example.com".into()),
            from: None,
            id: None,
            version: Some("1.0".into()),
            lang: Some("en".into()),
            ns: Some(ContentNamespace::Client),
        };
        let mut out = Vec::new();
        StreamWriter::new(ContentNamespace::Client)
            .header(&mut out, &header)
            .unwrap();
        StreamWriter::new(ContentNamespace::Client).close(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
             xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' \
             xml:lang='en'></stream:stream>"
        );
        let mut out = Vec::new();
        let ws = StreamWriter::websocket(ContentNamespace::Client);
        ws.header(&mut out, &header).unwrap();
        ws.close(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0' \
             xml:lang='en'/><close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"
        );
    }

    #[test]
    fn header_with_a_control_character_writes_nothing() {
        let header = StreamHeader {
            to: Some("example.com\u{0}".into()),
            from: None,
            id: None,
            version: None,
            lang: None,
            ns: Some(ContentNamespace::Client),
        };
        let mut out = b"keep".to_vec();
        let result = StreamWriter::new(ContentNamespace::Client).header(&mut out, &header);
        assert_eq!(result, Err(BuildError::InvalidChar(0)));
        assert_eq!(out, b"keep");
    }

    #[test]
    fn a_default_namespace_that_needs_escaping_is_redeclared_by_children() {
        // The escaped value cannot be compared in place: `urn:a&a` is the
        // start of `urn:a&amp;b` as written, yet another namespace.
        let s = written(|w| {
            w.start("a", "urn:a&b");
            w.start("b", "urn:a&a");
            w.end();
            w.start("c", "urn:a&b");
            w.end();
            w.end();
        });
        assert_eq!(
            s,
            "<a xmlns='urn:a&amp;b'><b xmlns='urn:a&amp;a'/><c xmlns='urn:a&amp;b'/></a>"
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_refused_everywhere() {
        // XML 1.0 §2.2 `Char`: C0 controls but tab, LF and CR, and
        // U+FFFE/U+FFFF, are not characters.
        let refused = (0..0x20u32)
            .filter(|c| ![0x9, 0xA, 0xD].contains(c))
            .chain([0xFFFE, 0xFFFF]);
        for code in refused {
            let c = char::from_u32(code).unwrap().to_string();
            let in_text = refused_with(|w| {
                w.start("a", "jabber:client");
                w.text(&c);
                w.end();
            });
            let in_value = refused_with(|w| {
                w.start("a", "jabber:client");
                w.attr("v", &c);
                w.end();
            });
            let in_namespace = refused_with(|w| {
                w.start("a", &format!("urn:{c}"));
                w.end();
            });
            for error in [in_text, in_value, in_namespace] {
                assert_eq!(error, Some(BuildError::InvalidChar(code)), "U+{code:04X}");
            }
        }
        // Their neighbours are fine, including characters whose UTF-8 also
        // starts with 0xEF.
        for c in [
            '\t',
            '\n',
            '\r',
            ' ',
            '\u{D7FF}',
            '\u{E000}',
            '\u{F000}',
            '\u{FFFD}',
            '\u{10000}',
        ] {
            let c = c.to_string();
            let error = refused_with(|w| {
                w.start("a", &format!("urn:{c}"));
                w.attr("v", &c);
                w.text(&c);
                w.end();
            });
            assert_eq!(error, None, "{c:?}");
        }
    }

    /// What `finish` says after `f`, if anything.
    fn refused_with(f: impl FnOnce(&mut XmlWriter<'_>)) -> Option<BuildError> {
        let mut out = Vec::new();
        let mut w = StreamWriter::new(ContentNamespace::Client).element(&mut out);
        f(&mut w);
        w.finish().err()
    }

    #[test]
    fn an_error_rejected_by_the_layer_above_removes_the_element() {
        let error = refused(|w| {
            w.start("message", "jabber:client");
            w.attr("to", "a@b");
            w.reject(BuildError::DuplicateAttribute("to".into()));
            w.end();
        });
        assert_eq!(error, BuildError::DuplicateAttribute("to".into()));
    }

    #[test]
    fn minidom_elements_are_written_faithfully() {
        let tree: minidom::Element = "<message xmlns='jabber:client' to='a@b'>\
            <body>1 &lt; 2</body><x xmlns='urn:x' xmlns:p='urn:p' p:k='v'><y/></x></message>"
            .parse()
            .unwrap();
        let mut out = Vec::new();
        StreamWriter::new(ContentNamespace::Client)
            .write_minidom(&mut out, &tree)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<message to='a@b'><body>1 &lt; 2</body>\
             <x xmlns='urn:x' xmlns:ns1='urn:p' ns1:k='v'><y/></x></message>"
        );
        // A name minidom accepts but XML does not is refused, output and all.
        let bad = minidom::Element::builder("a b", "jabber:client").build();
        let mut out = b"keep".to_vec();
        let result = StreamWriter::new(ContentNamespace::Client).write_minidom(&mut out, &bad);
        assert!(
            matches!(result, Err(BuildError::InvalidName(_))),
            "{result:?}"
        );
        assert_eq!(out, b"keep");
    }
}
