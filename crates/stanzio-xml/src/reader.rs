//! Incremental reading of an XMPP stream over rxml's raw (non-namespace)
//! parser.
//!
//! rxml's [`RawParser`] does the lexing, entity and UTF-8 checks and the
//! XML-level restrictions (no DTD, no PI, no comments). Namespace resolution
//! is done here instead of by rxml's resolving parser: an XMPP stream binds
//! a handful of namespaces, and resolving straight into the [`Element`] arena
//! spares the resolving parser's own copy of every name (`benches/stanza.rs`
//! measures the reader against the raw parser alone). The checks rxml's raw
//! parser leaves to its user (undeclared prefixes, duplicate attributes
//! after resolution) are done here.
//!
//! `xml:lang` is reported as written on each element; inheritance from the
//! stream header is the stanza layer's business (RFC 6120 §4.7.4).

use rxml::error::EndOrError;
use rxml::{NcName, Parse, RawEvent, RawParser};

use crate::element::{AttrRecord, Element, NS_XML, NS_XMLNS, Span};
use crate::error::{Limit, ReadError, XmlCondition};
use crate::{ContentNamespace, Limits, NS_FRAMING, NS_STREAM, StreamHeader};

/// What the reader found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// The stream header (`<stream:stream …>`), with the stream and content
    /// namespaces checked.
    Header(StreamHeader),
    /// One complete top-level element: a stanza or a nonza.
    Element(Element),
    /// White space between top-level elements: a keepalive (RFC 6120
    /// §4.6.1). Reported once per run of white space, as soon as it starts.
    Whitespace,
    /// `</stream:stream>`: the peer closed the stream.
    End,
}

/// Bytes-in, events-out reader of one XMPP stream.
///
/// Call [`read`](Self::read) with the bytes the socket gave; it returns one
/// event at a time and advances the slice past what it consumed. `Ok(None)`
/// means every byte was consumed and more are needed. After an event that
/// changes the transport or restarts the stream (`<proceed/>`, SASL
/// `<success/>`), the bytes still in the slice are exactly the ones that
/// followed that element: after `<proceed/>` they must be treated as an error
/// (they were sent in the clear), after `<success/>` they belong to the new
/// stream, so call [`restart`](Self::restart) and continue reading them.
///
/// Any split of the input, down to one byte at a time, gives the same
/// events.
///
/// A reader that returns `Ok(None)` between two top-level elements gives
/// back its parser's buffers and keeps only a little room for the next
/// element (see [`Limits`] for what it holds).
///
/// rxml 0.14 refuses an XML declaration with `standalone` but no
/// `encoding` (`<?xml version='1.0' standalone='yes'?>`), which XML 1.0
/// §2.8 allows; the reader checks the declaration apart from the stream and
/// accepts it.
#[derive(Debug)]
pub struct StreamReader {
    parser: RawParser,
    limits: Limits,
    state: ReaderState,
    /// The bytes of the stream's XML declaration read so far, kept from the
    /// parser (see [`check_declaration`]).
    declaration: Vec<u8>,
    /// The root element's head while it is being read.
    root: Option<PendingHead>,
    scope: StreamScope,
    assembler: Assembler,
    /// Bytes taken from the input since the last top-level boundary.
    bytes_in_element: usize,
    /// Whether the parser stands between top-level elements.
    at_boundary: bool,
    /// A self-closing header also ended the stream; `End` is due.
    end_pending: bool,
    /// Whether the current run of white space was already reported.
    whitespace_reported: bool,
    error: Option<ReadError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReaderState {
    /// Before the header, where an XML declaration may still start.
    Prolog,
    ExpectHeader,
    InStream,
    Ended,
}

impl StreamReader {
    /// A reader with these limits (each clamped to its documented maximum),
    /// expecting a stream header.
    pub fn new(limits: Limits) -> Self {
        let limits = limits.clamped();
        StreamReader {
            parser: new_parser(&limits),
            limits,
            state: ReaderState::Prolog,
            declaration: Vec::new(),
            root: None,
            scope: StreamScope::default(),
            assembler: Assembler::new(limits),
            bytes_in_element: 0,
            // White space before a header is tolerated: after a restart it
            // is what the peer sent between its last element and the new
            // header, a keepalive of the old stream.
            at_boundary: true,
            end_pending: false,
            whitespace_reported: false,
            error: None,
        }
    }

    /// Hands an element back once the caller is done with it (typically
    /// right after reading it into a typed stanza), so that a later element
    /// reuses its buffers instead of allocating new ones. Optional: an
    /// element simply dropped is fine too.
    pub fn recycle(&mut self, element: Element) {
        self.assembler.recycle(element);
    }

    /// The limits this reader enforces, as clamped.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Starts reading a new stream (after STARTTLS or SASL success, RFC 6120
    /// §5.4.3.3 and §6.4.6). A sticky error is kept.
    pub fn restart(&mut self) {
        let error = self.error.take();
        *self = StreamReader::new(self.limits);
        self.error = error;
    }

    /// Reads the next event from `input`, advancing it past the consumed
    /// bytes. Returns `Ok(None)` once all of `input` is consumed without a
    /// complete event.
    pub fn read(&mut self, input: &mut &[u8]) -> Result<Option<StreamEvent>, ReadError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        match self.read_inner(input) {
            Ok(event) => Ok(event),
            Err(error) => {
                self.error = Some(error.clone());
                Err(error)
            }
        }
    }

    /// Tells the reader the transport closed. Fine after the stream's end
    /// or before anything arrived; anywhere else the stream was cut short.
    pub fn eof(&mut self) -> Result<(), ReadError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let clean = match self.state {
            ReaderState::Ended => true,
            ReaderState::Prolog | ReaderState::ExpectHeader => self.bytes_in_element == 0,
            ReaderState::InStream => false,
        };
        if clean {
            Ok(())
        } else {
            self.error = Some(ReadError::UnexpectedEof);
            Err(ReadError::UnexpectedEof)
        }
    }

    fn read_inner(&mut self, input: &mut &[u8]) -> Result<Option<StreamEvent>, ReadError> {
        if std::mem::take(&mut self.end_pending) {
            return Ok(Some(StreamEvent::End));
        }
        loop {
            if self.at_boundary {
                // Between top-level elements only white space and `<` are
                // legal. Reading the white space here, rather than through
                // rxml's text buffering, reports a keepalive the moment it
                // arrives instead of when the next element starts.
                let spaces = input.iter().take_while(|b| is_space(**b)).count();
                if spaces > 0 {
                    *input = input.get(spaces..).unwrap_or_default();
                    if self.state == ReaderState::InStream && !self.whitespace_reported {
                        self.whitespace_reported = true;
                        return Ok(Some(StreamEvent::Whitespace));
                    }
                    continue;
                }
                let Some(&next) = input.first() else {
                    self.release_buffers();
                    return Ok(None);
                };
                if next != b'<' && self.state == ReaderState::InStream {
                    return Err(ReadError::TextAtStreamLevel);
                }
                if self.state == ReaderState::Ended {
                    return Err(ReadError::xml(
                        XmlCondition::NotWellFormed,
                        "data after the end of the stream",
                    ));
                }
                self.at_boundary = false;
                self.whitespace_reported = false;
            }
            if self.state == ReaderState::Prolog {
                if !self.read_declaration(input)? {
                    return Ok(None);
                }
                continue;
            }
            // rxml stops after each event, having read at most one token
            // (within its token buffer) past the bytes counted so far, so
            // the limit is exact for any split.
            let before = input.len();
            let result = self.parser.parse(input, false);
            self.bytes_in_element += before - input.len();
            if self.bytes_in_element > self.limits.max_element_bytes {
                return Err(limit(Limit::ElementBytes, self.limits.max_element_bytes));
            }
            match result {
                Ok(Some(event)) => {
                    if let Some(out) = self.handle(event)? {
                        return Ok(Some(out));
                    }
                }
                // rxml asks for more once it has read all of `input`; it
                // only reports the end of the document when told the input
                // is complete, which this reader never does.
                Err(EndOrError::NeedMoreData) | Ok(None) => return Ok(None),
                Err(EndOrError::Error(e)) => return Err(parse_error(e, &self.limits)),
            }
        }
    }

    /// Reads what may be the stream's XML declaration (XML 1.0 §2.8) into
    /// `self.declaration`, and checks it once complete. Returns `false` when
    /// `input` ran out first.
    fn read_declaration(&mut self, input: &mut &[u8]) -> Result<bool, ReadError> {
        const START: &[u8] = b"<?xml";
        // Up to `<?xml` and the white space after it, this may as well be
        // the header.
        while self.declaration.len() <= START.len() {
            let Some(&byte) = input.first() else {
                return Ok(false);
            };
            let declaration_so_far = match START.get(self.declaration.len()) {
                Some(&expected) => byte == expected,
                None => is_space(byte),
            };
            if !declaration_so_far {
                self.state = ReaderState::ExpectHeader;
                let held = std::mem::take(&mut self.declaration);
                return self.feed_held(&held).map(|()| true);
            }
            self.take_declaration_bytes(input, 1)?;
        }
        // No `>` can appear inside a declaration but at its `?>` end.
        let end = input.iter().position(|&b| b == b'>');
        self.take_declaration_bytes(input, end.map_or(input.len(), |i| i + 1))?;
        if end.is_none() {
            return Ok(false);
        }
        check_declaration(&self.declaration)?;
        self.declaration = Vec::new();
        self.state = ReaderState::ExpectHeader;
        // White space may follow before the header (XML 1.0 §2.8 `Misc`).
        self.at_boundary = true;
        Ok(true)
    }

    /// Moves `n` bytes of `input` into `self.declaration`, within the
    /// element limit that covers the declaration and the header together.
    fn take_declaration_bytes(&mut self, input: &mut &[u8], n: usize) -> Result<(), ReadError> {
        if n > self.limits.max_element_bytes - self.bytes_in_element {
            return Err(limit(Limit::ElementBytes, self.limits.max_element_bytes));
        }
        let (taken, rest) = input.split_at(n.min(input.len()));
        self.declaration.extend_from_slice(taken);
        self.bytes_in_element += taken.len();
        *input = rest;
        Ok(())
    }

    /// Gives the parser the start of the header that [`read_declaration`]
    /// held back, taking it for a declaration. It is a part of `<?xml`,
    /// which completes no event.
    ///
    /// [`read_declaration`]: Self::read_declaration
    fn feed_held(&mut self, mut held: &[u8]) -> Result<(), ReadError> {
        match self.parser.parse(&mut held, false) {
            Err(EndOrError::NeedMoreData) => Ok(()),
            Err(EndOrError::Error(e)) => Err(parse_error(e, &self.limits)),
            Ok(_) => Err(ReadError::xml(
                XmlCondition::NotWellFormed,
                "incomplete markup",
            )),
        }
    }

    /// Marks the point between two top-level elements, where the next byte
    /// starts something new.
    fn boundary(&mut self) {
        self.at_boundary = true;
        self.bytes_in_element = 0;
    }

    /// Gives back what the last element made the reader grow, once it waits
    /// between two elements: rxml's token buffers (which it reserves whole,
    /// [`Limits::max_token_bytes`]) and the assembler's scratch space.
    fn release_buffers(&mut self) {
        self.parser.release_temporaries();
        self.assembler.release_buffers();
    }

    fn handle(&mut self, event: RawEvent) -> Result<Option<StreamEvent>, ReadError> {
        match self.state {
            // The declaration never reaches the parser (`read_declaration`).
            ReaderState::Prolog | ReaderState::ExpectHeader => self.handle_header(event),
            ReaderState::InStream => self.handle_in_stream(event),
            // Nothing is fed to rxml after the end (see `read_inner`).
            ReaderState::Ended => Ok(None),
        }
    }

    fn handle_header(&mut self, event: RawEvent) -> Result<Option<StreamEvent>, ReadError> {
        match event {
            // The stream's declaration was read apart; rxml reports one only
            // when a second follows it.
            RawEvent::XmlDeclaration(..) => Err(ReadError::xml(
                XmlCondition::NotWellFormed,
                "a second XML declaration",
            )),
            RawEvent::ElementHeadOpen(_, (prefix, name)) => {
                self.root = Some(PendingHead::new(prefix, name, Vec::new(), 0));
                Ok(None)
            }
            RawEvent::Attribute(_, (prefix, name), value) => {
                if let Some(root) = &mut self.root {
                    let plain = matches!(attr_kind(&prefix, &name, &value)?, AttrKind::Plain);
                    root.count(plain, &self.limits)?;
                    root.attrs.push((prefix, name, value));
                }
                Ok(None)
            }
            RawEvent::ElementHeadClose(_) => {
                let root = self.root.take().ok_or_else(|| {
                    ReadError::xml(
                        XmlCondition::NotWellFormed,
                        "header closed before it opened",
                    )
                })?;
                let (scope, header) = stream_header(root)?;
                self.scope = scope;
                self.state = ReaderState::InStream;
                self.boundary();
                // `<stream:stream/>` ends as it opens: rxml has the foot
                // ready without further input, and it is reported next.
                let mut nothing: &[u8] = &[];
                if let Ok(Some(RawEvent::ElementFoot(_))) = self.parser.parse(&mut nothing, false) {
                    self.state = ReaderState::Ended;
                    self.end_pending = true;
                }
                Ok(Some(StreamEvent::Header(header)))
            }
            RawEvent::ElementFoot(_) => self.end_stream(),
            RawEvent::Text(..) => Ok(None),
        }
    }

    fn end_stream(&mut self) -> Result<Option<StreamEvent>, ReadError> {
        self.state = ReaderState::Ended;
        self.boundary();
        Ok(Some(StreamEvent::End))
    }

    fn handle_in_stream(&mut self, event: RawEvent) -> Result<Option<StreamEvent>, ReadError> {
        if self.assembler.is_idle() && matches!(event, RawEvent::ElementFoot(_)) {
            return self.end_stream();
        }
        match self.assembler.handle(event, &self.scope)? {
            Some(element) => {
                self.boundary();
                Ok(Some(StreamEvent::Element(element)))
            }
            None => Ok(None),
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn new_parser(limits: &Limits) -> RawParser {
    let options = rxml::Options {
        max_token_length: limits.token_buffer_bytes(),
        ..Default::default()
    };
    <RawParser as rxml::WithOptions>::with_options(options)
}

/// Maps a parser error to the stream error to send.
fn parse_error(error: rxml::Error, limits: &Limits) -> ReadError {
    match error {
        // rxml's only word for a name or attribute value longer than its
        // token buffer; `tests/hostile_input.rs` pins it.
        rxml::Error::RestrictedXml("long name or reference") => {
            limit(Limit::TokenBytes, limits.max_token_bytes)
        }
        other => other.into(),
    }
}

/// Checks an XML declaration (XML 1.0 §2.8 `XMLDecl`) on a parser of its
/// own, so that the stream's parser never sees it.
///
/// rxml 0.14 takes `standalone` only after `encoding`, although XML 1.0
/// makes both optional. An XMPP stream is UTF-8 (RFC 6120 §11.6), so a
/// declaration with `standalone` but no `encoding` is checked as if it said
/// `encoding='utf-8'`, which means the same.
fn check_declaration(declaration: &[u8]) -> Result<(), ReadError> {
    let find = |word: &[u8]| declaration.windows(word.len()).position(|w| w == word);
    let completed;
    let mut input = declaration;
    if let (Some(at), None) = (find(b"standalone"), find(b"encoding")) {
        let (before, after) = declaration.split_at(at);
        completed = [before, b"encoding='utf-8' ", after].concat();
        input = &completed;
    }
    // `declaration` ends at its first `>`, so a declaration rxml accepts
    // is all of it.
    match RawParser::new().parse(&mut input, false) {
        Ok(Some(RawEvent::XmlDeclaration(..))) => Ok(()),
        Err(EndOrError::Error(e)) => Err(e.into()),
        _ => Err(ReadError::xml(
            XmlCondition::NotWellFormed,
            "malformed XML declaration",
        )),
    }
}

fn limit(limit: Limit, max: usize) -> ReadError {
    ReadError::LimitExceeded { limit, max }
}

/// The namespaces the stream header declared, in force for every top-level
/// element.
#[derive(Debug, Default)]
struct StreamScope {
    default_ns: Option<String>,
    prefixes: Vec<(NcName, String)>,
}

impl StreamScope {
    fn prefix(&self, prefix: &str) -> Option<&str> {
        self.prefix_index(prefix)
            .and_then(|i| self.prefixes.get(i))
            .map(|(_, ns)| ns.as_str())
    }

    /// Where the declaration of `prefix` is in `prefixes` (the header has at
    /// most `max_namespace_declarations`).
    fn prefix_index(&self, prefix: &str) -> Option<usize> {
        self.prefixes
            .iter()
            .rposition(|(p, _)| p.as_str() == prefix)
    }
}

/// One attribute as the raw parser reports it: prefix, local name, value.
type RawAttr = (Option<NcName>, NcName, String);

/// An element head whose attributes are still arriving; names can only be
/// resolved once all its namespace declarations are known.
#[derive(Debug)]
struct PendingHead {
    prefix: Option<NcName>,
    name: NcName,
    /// The attributes waiting for the head's end: in the stream header all
    /// of them, in other elements the declarations and the prefixed ones
    /// (see [`Assembler::attribute`]).
    attrs: Vec<RawAttr>,
    /// Where this element's attributes begin in the arena's.
    first_attr: usize,
    /// Plain attributes so far.
    attributes: usize,
    /// Namespace declarations so far.
    declarations: usize,
}

impl PendingHead {
    fn new(prefix: Option<NcName>, name: NcName, attrs: Vec<RawAttr>, first_attr: usize) -> Self {
        PendingHead {
            prefix,
            name,
            attrs,
            first_attr,
            attributes: 0,
            declarations: 0,
        }
    }

    /// Counts an attribute (`plain`) or a declaration, holding each to its
    /// limit as they arrive, so a head never buffers more than those.
    fn count(&mut self, plain: bool, limits: &Limits) -> Result<(), ReadError> {
        if plain {
            self.attributes += 1;
            if self.attributes > limits.max_attributes {
                return Err(limit(Limit::Attributes, limits.max_attributes));
            }
        } else {
            self.declarations += 1;
            if self.declarations > limits.max_namespace_declarations {
                return Err(limit(
                    Limit::NamespaceDeclarations,
                    limits.max_namespace_declarations,
                ));
            }
        }
        Ok(())
    }
}

/// How one raw attribute of an element head is to be read.
enum AttrKind<'a> {
    DefaultDecl(&'a str),
    PrefixDecl(&'a NcName, &'a str),
    Plain,
}

/// Classifies a raw attribute. rxml's raw parser checks the reserved
/// prefixes; the reserved namespace names are checked here (Namespaces in
/// XML 1.0 §3): nothing may be bound to the `xmlns` namespace, and the
/// default namespace may not be the `xml` one.
fn attr_kind<'a>(
    prefix: &'a Option<NcName>,
    name: &'a NcName,
    value: &'a str,
) -> Result<AttrKind<'a>, ReadError> {
    let kind = match prefix {
        None if name.as_str() == "xmlns" => AttrKind::DefaultDecl(value),
        Some(p) if p.as_str() == "xmlns" => AttrKind::PrefixDecl(name, value),
        _ => return Ok(AttrKind::Plain),
    };
    let reserved =
        value == NS_XMLNS || (value == NS_XML && matches!(kind, AttrKind::DefaultDecl(_)));
    if reserved {
        return Err(ReadError::xml(
            XmlCondition::BadNamespacePrefix,
            format!("{value} cannot be declared"),
        ));
    }
    Ok(kind)
}

fn stream_header(root: PendingHead) -> Result<(StreamScope, StreamHeader), ReadError> {
    let mut scope = StreamScope::default();
    for (prefix, name, value) in &root.attrs {
        match attr_kind(prefix, name, value)? {
            AttrKind::DefaultDecl(ns) => scope.default_ns = Some(ns.to_owned()),
            AttrKind::PrefixDecl(p, ns) => scope.prefixes.push((p.clone(), ns.to_owned())),
            AttrKind::Plain => {}
        }
    }
    // Kept for the whole stream.
    scope.prefixes.shrink_to_fit();
    check_header_attrs(&root, &scope)?;
    let root_ns = match &root.prefix {
        None => scope.default_ns.clone().unwrap_or_default(),
        Some(p) => scope.prefix(p).map(str::to_owned).ok_or_else(|| {
            ReadError::xml(
                XmlCondition::BadNamespacePrefix,
                format!("undeclared prefix {p}"),
            )
        })?,
    };
    if root_ns != NS_STREAM || root.name.as_str() != "stream" {
        return Err(ReadError::BadStreamHeader {
            ns: root_ns,
            name: root.name.to_string(),
        });
    }
    let ns =
        match scope.default_ns.as_deref() {
            // RFC 6120 §4.8.2: declaring a content namespace is optional; with
            // "prefix-free canonicalization" the stream namespace is the
            // default, and each top-level element declares its own.
            None | Some("" | NS_STREAM) => None,
            Some(uri) => Some(ContentNamespace::from_uri(uri).ok_or_else(|| {
                ReadError::BadContentNamespace {
                    found: uri.to_owned(),
                }
            })?),
        };
    let mut header = StreamHeader {
        to: None,
        from: None,
        id: None,
        version: None,
        lang: None,
        ns,
    };
    for (prefix, name, value) in root.attrs {
        let slot = match (prefix.as_ref().map(NcName::as_str), name.as_str()) {
            (None, "to") => &mut header.to,
            (None, "from") => &mut header.from,
            (None, "id") => &mut header.id,
            (None, "version") => &mut header.version,
            (Some("xml"), "lang") => &mut header.lang,
            _ => continue,
        };
        // Duplicates were refused by `check_header_attrs`.
        *slot = Some(value);
    }
    Ok((scope, header))
}

/// The checks [`Assembler::open_element`] makes on every other element:
/// each attribute prefix is declared (Namespaces in XML 1.0 §5, "Prefix
/// Declared") and no two attributes have the same name, as written (XML 1.0
/// §3.1, "Unique Att Spec") or once resolved (Namespaces in XML 1.0 §6.3).
fn check_header_attrs(root: &PendingHead, scope: &StreamScope) -> Result<(), ReadError> {
    let mut seen: Vec<(&str, &str)> = Vec::with_capacity(root.attrs.len());
    for (prefix, name, value) in &root.attrs {
        let key = match attr_kind(prefix, name, value)? {
            AttrKind::DefaultDecl(_) => (NS_XMLNS, "xmlns"),
            AttrKind::PrefixDecl(p, _) => (NS_XMLNS, p.as_str()),
            AttrKind::Plain => match prefix.as_ref().map(NcName::as_str) {
                None => ("", name.as_str()),
                Some("xml") => (NS_XML, name.as_str()),
                Some(p) => {
                    let ns = scope.prefix(p).ok_or_else(|| {
                        ReadError::xml(
                            XmlCondition::BadNamespacePrefix,
                            format!("undeclared prefix {p}"),
                        )
                    })?;
                    (ns, name.as_str())
                }
            },
        };
        if seen.contains(&key) {
            return Err(ReadError::xml(
                XmlCondition::NotWellFormed,
                format!("duplicate attribute {name}"),
            ));
        }
        seen.push(key);
    }
    Ok(())
}

/// One element open in the [`Assembler`].
#[derive(Debug)]
struct OpenElement {
    index: usize,
    /// `prefixes.len()` before this element's declarations were pushed.
    prefixes_before: usize,
    /// The default namespace in force inside this element, declared by it
    /// or by an ancestor; `None` for the stream's.
    default_ns: Option<Span>,
}

/// How many entries the assembler's scratch vectors keep between elements:
/// enough for a typical stanza's depth, declarations and attributes.
const KEPT_ENTRIES: usize = 4;

/// Builds one top-level element from raw events, resolving namespaces
/// straight into the [`Element`] arena.
#[derive(Debug)]
struct Assembler {
    limits: Limits,
    element: Element,
    open: Vec<OpenElement>,
    /// Prefixed declarations in scope (of the open elements), innermost
    /// last: at most `max_namespace_declarations`, so resolving a prefix
    /// scans no more than that and the header's. The default namespace
    /// lives in [`OpenElement::default_ns`] and is found without a scan.
    prefixes: Vec<(NcName, Span)>,
    head: Option<PendingHead>,
    /// The stream's default namespace copied into this element's arena,
    /// once per element.
    stream_default: Option<Span>,
    /// The `xml` namespace copied into this element's arena, once per
    /// element.
    xml_ns: Option<Span>,
    /// The stream's prefix declarations copied into this element's arena,
    /// by index into [`StreamScope::prefixes`]: copied once per element, not
    /// once per use, so a long URI in the header cannot multiply the arena.
    stream_prefixes: Vec<(usize, Span)>,
    /// An empty attribute buffer kept for the next element head.
    spare_attrs: Vec<RawAttr>,
    /// An element handed back by [`StreamReader::recycle`], whose buffers
    /// the next element reuses.
    spare: Option<Element>,
}

impl Assembler {
    fn new(limits: Limits) -> Self {
        Assembler {
            limits,
            element: Element::default(),
            open: Vec::new(),
            prefixes: Vec::new(),
            head: None,
            stream_default: None,
            xml_ns: None,
            stream_prefixes: Vec::new(),
            spare_attrs: Vec::new(),
            spare: None,
        }
    }

    fn is_idle(&self) -> bool {
        self.open.is_empty() && self.head.is_none()
    }

    fn recycle(&mut self, mut element: Element) {
        element.clear();
        self.spare = Some(element);
    }

    /// Gives back the room a large element made the assembler grow; called
    /// between elements. Room for one element is kept: the recycled
    /// element's, if there is one, for the next element to be assembled in.
    fn release_buffers(&mut self) {
        if let Some(spare) = self.spare.take() {
            self.element = spare;
        }
        self.element.trim_room();
        self.open.shrink_to(KEPT_ENTRIES);
        self.prefixes.shrink_to(KEPT_ENTRIES);
        self.stream_prefixes.shrink_to(KEPT_ENTRIES);
        self.spare_attrs.shrink_to(KEPT_ENTRIES);
    }

    fn handle(
        &mut self,
        event: RawEvent,
        scope: &StreamScope,
    ) -> Result<Option<Element>, ReadError> {
        match event {
            RawEvent::XmlDeclaration(..) => Ok(None),
            RawEvent::ElementHeadOpen(_, (prefix, name)) => {
                if self.open.len() >= self.limits.max_depth {
                    return Err(limit(Limit::Depth, self.limits.max_depth));
                }
                // The attribute buffer is reused from head to head.
                let attrs = std::mem::take(&mut self.spare_attrs);
                let first_attr = self.element.attr_count();
                self.head = Some(PendingHead::new(prefix, name, attrs, first_attr));
                Ok(None)
            }
            RawEvent::Attribute(_, (prefix, name), value) => {
                self.attribute(prefix, name, value)?;
                Ok(None)
            }
            RawEvent::ElementHeadClose(_) => {
                let head = self.head.take().ok_or_else(|| {
                    ReadError::xml(XmlCondition::NotWellFormed, "element head closed twice")
                })?;
                self.open_element(head, scope)?;
                self.check_buffered()?;
                Ok(None)
            }
            RawEvent::Text(_, text) => {
                self.element.push_text(&text);
                self.check_buffered()?;
                Ok(None)
            }
            RawEvent::ElementFoot(_) => {
                let Some(open) = self.open.pop() else {
                    return Err(ReadError::xml(
                        XmlCondition::NotWellFormed,
                        "unbalanced end tag",
                    ));
                };
                self.element.close_element(open.index);
                self.prefixes.truncate(open.prefixes_before);
                if !self.open.is_empty() {
                    return Ok(None);
                }
                Ok(Some(self.finish_element()))
            }
        }
    }

    /// Takes an attribute of the head being read. An unprefixed attribute
    /// is in no namespace (Namespaces in XML 1.0 §6.2) whatever the
    /// declarations still to come, so it goes straight into the arena;
    /// declarations and prefixed attributes wait for the head's end.
    fn attribute(
        &mut self,
        prefix: Option<NcName>,
        name: NcName,
        value: String,
    ) -> Result<(), ReadError> {
        let Some(head) = &mut self.head else {
            return Ok(());
        };
        let plain = matches!(attr_kind(&prefix, &name, &value)?, AttrKind::Plain);
        head.count(plain, &self.limits)?;
        if !plain || prefix.is_some() {
            head.attrs.push((prefix, name, value));
            return Ok(());
        }
        // XML 1.0 §3.1 (Unique Att Spec); the earlier ones are unprefixed
        // too.
        let element = &mut self.element;
        let earlier = element.attrs_from(head.first_attr);
        if earlier
            .iter()
            .any(|a| element.span_str(a.name) == name.as_str())
        {
            return Err(ReadError::xml(
                XmlCondition::NotWellFormed,
                format!("duplicate attribute {name}"),
            ));
        }
        let record = AttrRecord {
            ns: Span::default(),
            name: element.push_str(&name),
            value: element.push_str(&value),
        };
        element.push_loose_attr(record);
        Ok(())
    }

    /// Hands out the completed top-level element and readies the next.
    fn finish_element(&mut self) -> Element {
        self.stream_default = None;
        self.xml_ns = None;
        self.stream_prefixes.clear();
        let next = match self.spare.take() {
            Some(spare) => spare,
            // Room for one like this one (up to a cap), sparing the
            // reallocations of growing from empty.
            None => Element::with_room_for(&self.element),
        };
        std::mem::replace(&mut self.element, next)
    }

    fn check_buffered(&self) -> Result<(), ReadError> {
        if self.element.used_bytes() > self.limits.max_buffered_bytes {
            return Err(limit(Limit::BufferedBytes, self.limits.max_buffered_bytes));
        }
        Ok(())
    }

    /// The namespace bound to `prefix` in the innermost scope, copying it
    /// from the stream scope if needed.
    fn lookup_prefix(&mut self, prefix: &str, scope: &StreamScope) -> Result<Span, ReadError> {
        if prefix == "xml" {
            // Namespaces in XML 1.0 §3: bound by definition.
            return Ok(*self
                .xml_ns
                .get_or_insert_with(|| self.element.push_str(NS_XML)));
        }
        let declared = self
            .prefixes
            .iter()
            .rev()
            .find(|(p, _)| p.as_str() == prefix);
        if let Some((_, ns)) = declared {
            return Ok(*ns);
        }
        let Some(i) = scope.prefix_index(prefix) else {
            return Err(ReadError::xml(
                XmlCondition::BadNamespacePrefix,
                format!("undeclared prefix {prefix}"),
            ));
        };
        if let Some((_, span)) = self.stream_prefixes.iter().find(|(j, _)| *j == i) {
            return Ok(*span);
        }
        let ns = scope.prefixes.get(i).map_or("", |(_, ns)| ns.as_str());
        let span = self.element.push_str(ns);
        self.stream_prefixes.push((i, span));
        Ok(span)
    }

    /// The stream's default namespace, copied into the arena once.
    fn stream_default(&mut self, scope: &StreamScope) -> Span {
        *self.stream_default.get_or_insert_with(|| {
            self.element
                .push_str(scope.default_ns.as_deref().unwrap_or(""))
        })
    }

    fn open_element(
        &mut self,
        mut head: PendingHead,
        scope: &StreamScope,
    ) -> Result<(), ReadError> {
        let prefixes_before = self.prefixes.len();
        let mut default_ns = self.open.last().and_then(|open| open.default_ns);
        let mut default_declared = false;
        for (prefix, name, value) in &head.attrs {
            let duplicate = match attr_kind(prefix, name, value)? {
                AttrKind::DefaultDecl(ns) => {
                    default_ns = Some(self.element.push_str(ns));
                    std::mem::replace(&mut default_declared, true)
                }
                AttrKind::PrefixDecl(p, ns) => {
                    // XML 1.0 §3.1 (Unique Att Spec) covers declarations
                    // too.
                    let mine = self.prefixes.get(prefixes_before..).unwrap_or_default();
                    let duplicate = mine.iter().any(|(q, _)| q == p);
                    let span = self.element.push_str(ns);
                    self.prefixes.push((p.clone(), span));
                    duplicate
                }
                AttrKind::Plain => false,
            };
            if duplicate {
                return Err(ReadError::xml(
                    XmlCondition::NotWellFormed,
                    format!("duplicate attribute {name}"),
                ));
            }
        }
        if self.prefixes.len() > self.limits.max_namespace_declarations {
            return Err(limit(
                Limit::NamespaceDeclarations,
                self.limits.max_namespace_declarations,
            ));
        }
        let ns = match &head.prefix {
            None => match default_ns {
                Some(span) => span,
                None => self.stream_default(scope),
            },
            Some(p) => self.lookup_prefix(p, scope)?,
        };
        let name = self.element.push_str(&head.name);
        let index = self
            .element
            .open_element_after_attrs(name, ns, head.first_attr);
        for (prefix, name, value) in head.attrs.drain(..) {
            let ns = match &prefix {
                Some(p) if p.as_str() != "xmlns" => self.lookup_prefix(p, scope)?,
                // Declarations.
                _ => continue,
            };
            // Namespaces in XML 1.0 §6.3: two prefixes may name one
            // namespace. Unprefixed attributes are in none, so cannot clash.
            let duplicate = self.element.attr_records(index).iter().any(|a| {
                self.element.span_str(a.name) == name.as_str()
                    && self.element.span_str(a.ns) == self.element.span_str(ns)
            });
            if duplicate {
                return Err(ReadError::xml(
                    XmlCondition::NotWellFormed,
                    format!("duplicate attribute {name}"),
                ));
            }
            let record = AttrRecord {
                ns,
                name: self.element.push_str(&name),
                value: self.element.push_str(&value),
            };
            self.element.push_attr(index, record);
        }
        self.spare_attrs = head.attrs;
        self.open.push(OpenElement {
            index,
            prefixes_before,
            default_ns,
        });
        Ok(())
    }
}

/// What one RFC 7395 WebSocket message held.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameEvent {
    /// `<open/>`: the stream header.
    Open(StreamHeader),
    /// `<close/>`, with `see-other-uri` when the server redirects (§3.6.1).
    Close {
        /// Where to reconnect, if given.
        see_other_uri: Option<String>,
    },
    /// One stanza or nonza.
    Element(Element),
    /// A message of only white space. RFC 7395 §3.8 forbids sending them,
    /// but deployed clients do, so they are tolerated and reported.
    Whitespace,
}

/// The element a [`FrameReader`]'s parser reads every message inside, so
/// that one parser serves the whole connection.
const FRAME_CONTAINER: &[u8] = b"<messages>";

/// Reader for XMPP over WebSocket (RFC 7395): every message is one complete
/// XML document holding one element.
///
/// The stream's content namespace is known from the connection, and a
/// stanza that does not declare it is read in it: RFC 7395 §3.3.3 asks each
/// message to declare its namespaces, but reading an undeclared stanza as
/// the only namespace it can belong to loses nothing.
///
/// One parser reads every message of the connection, as a child of an
/// element of the reader's own; the reader makes sure each message is one
/// element with white space around it, and checks an XML declaration
/// (allowed, though NOT RECOMMENDED by RFC 7395 §3.3.3) apart.
#[derive(Debug)]
pub struct FrameReader {
    limits: Limits,
    parser: RawParser,
    scope: StreamScope,
    assembler: Assembler,
    content: ContentNamespace,
    error: Option<ReadError>,
}

impl FrameReader {
    /// A reader for a WebSocket connection whose stanzas are in `content`,
    /// with these limits (each clamped to its documented maximum).
    pub fn new(limits: Limits, content: ContentNamespace) -> Self {
        let limits = limits.clamped();
        let scope = StreamScope {
            default_ns: Some(content.as_str().to_owned()),
            prefixes: Vec::new(),
        };
        let mut parser = new_parser(&limits);
        let mut container = FRAME_CONTAINER;
        // Well-formed and complete: two events, then a request for more.
        while let Ok(Some(_)) = parser.parse(&mut container, false) {}
        parser.release_temporaries();
        FrameReader {
            limits,
            parser,
            scope,
            assembler: Assembler::new(limits),
            content,
            error: None,
        }
    }

    /// Reads one complete WebSocket text message.
    pub fn read_message(&mut self, message: &[u8]) -> Result<FrameEvent, ReadError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let result = self.read_inner(message);
        if let Err(error) = &result {
            self.error = Some(error.clone());
        }
        result
    }

    fn read_inner(&mut self, message: &[u8]) -> Result<FrameEvent, ReadError> {
        if message.len() > self.limits.max_element_bytes {
            return Err(limit(Limit::ElementBytes, self.limits.max_element_bytes));
        }
        let mut input = trim_spaces(message);
        if input.is_empty() {
            return Ok(FrameEvent::Whitespace);
        }
        if input.starts_with(b"<?xml") && input.get(5).copied().is_some_and(is_space) {
            let end = input
                .iter()
                .position(|&b| b == b'>')
                .ok_or(ReadError::UnexpectedEof)?;
            let (declaration, rest) = input.split_at(end + 1);
            check_declaration(declaration)?;
            input = trim_spaces(rest);
        }
        if input.first() != Some(&b'<') {
            return Err(ReadError::xml(
                XmlCondition::NotWellFormed,
                "text outside the message's element",
            ));
        }
        let element = loop {
            match self.parser.parse(&mut input, false) {
                Ok(Some(event)) => {
                    if let Some(element) = self.assembler.handle(event, &self.scope)? {
                        break element;
                    }
                }
                // The parser is never told the input ended: the container
                // element stays open.
                Ok(None) | Err(EndOrError::NeedMoreData) => return Err(ReadError::UnexpectedEof),
                Err(EndOrError::Error(e)) => return Err(parse_error(e, &self.limits)),
            }
        };
        if !input.is_empty() {
            return Err(ReadError::xml(
                XmlCondition::NotWellFormed,
                "more than one element in a WebSocket message",
            ));
        }
        self.parser.release_temporaries();
        self.assembler.release_buffers();
        if element.ns() != NS_FRAMING {
            return Ok(FrameEvent::Element(element));
        }
        let root = element.root();
        match root.name() {
            "open" => {
                let text = |name| root.attr(name).map(str::to_owned);
                Ok(FrameEvent::Open(StreamHeader {
                    to: text("to"),
                    from: text("from"),
                    id: text("id"),
                    version: text("version"),
                    lang: root.lang().map(str::to_owned),
                    ns: Some(self.content),
                }))
            }
            "close" => Ok(FrameEvent::Close {
                see_other_uri: root.attr("see-other-uri").map(str::to_owned),
            }),
            other => Err(ReadError::BadStreamHeader {
                ns: NS_FRAMING.to_owned(),
                name: other.to_owned(),
            }),
        }
    }
}

/// `bytes` without white space at either end.
fn trim_spaces(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().take_while(|b| is_space(**b)).count();
    let end = bytes.iter().rev().take_while(|b| is_space(**b)).count();
    bytes
        .get(start..bytes.len().saturating_sub(end))
        .unwrap_or_default()
}
