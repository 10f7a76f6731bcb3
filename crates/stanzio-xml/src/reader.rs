//! Incremental reading of an XMPP stream over rxml's raw (non-namespace)
//! parser.
//!
//! rxml's [`RawParser`] does the lexing, entity and UTF-8 checks and the
//! XML-level restrictions (no DTD, no PI, no comments). Namespace resolution
//! is done here instead of by rxml's resolving parser: an XMPP stream binds
//! a handful of namespaces, and resolving straight into the [`Element`] arena
//! saves a copy of every name (the resolving parser runs at about 78 % of
//! the raw one, TOOLING.md). The checks rxml's raw parser leaves to its user
//! (undeclared prefixes, duplicate attributes after resolution) are done
//! here.
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
#[derive(Debug)]
pub struct StreamReader {
    parser: RawParser,
    limits: Limits,
    state: ReaderState,
    /// The root element's head while it is being read.
    root: Option<PendingHead>,
    scope: StreamScope,
    assembler: Assembler,
    /// Bytes fed to the parser since the last top-level boundary.
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
    ExpectHeader,
    InStream,
    Ended,
}

impl StreamReader {
    /// A reader with these limits, expecting a stream header.
    pub fn new(limits: Limits) -> Self {
        StreamReader {
            parser: new_parser(limits),
            limits,
            state: ReaderState::ExpectHeader,
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
        if element.heap_bytes() <= self.limits.max_buffered_bytes {
            self.assembler.spare = Some(element);
        }
    }

    /// The limits this reader enforces.
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
            ReaderState::ExpectHeader => self.bytes_in_element == 0,
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
            // Feed no more than the element may still take (plus one byte to
            // notice the overflow), so a huge token never reaches rxml's
            // buffer and the limit is exact for any split.
            let budget = self
                .limits
                .max_element_bytes
                .saturating_sub(self.bytes_in_element)
                + 1;
            let take = input.len().min(budget);
            let Some(mut chunk) = input.get(..take) else {
                return Ok(None);
            };
            let result = self.parser.parse(&mut chunk, false);
            let consumed = take - chunk.len();
            *input = input.get(consumed..).unwrap_or_default();
            self.bytes_in_element += consumed;
            if self.bytes_in_element > self.limits.max_element_bytes {
                return Err(limit(Limit::ElementBytes, self.limits.max_element_bytes));
            }
            match result {
                Ok(Some(event)) => {
                    if let Some(out) = self.handle(event)? {
                        return Ok(Some(out));
                    }
                }
                Err(EndOrError::NeedMoreData) if input.is_empty() => return Ok(None),
                Err(EndOrError::NeedMoreData) => {}
                // rxml only reports the end of the document when told the
                // input is complete, which this reader never does.
                Ok(None) => return Ok(None),
                Err(EndOrError::Error(e)) => return Err(e.into()),
            }
        }
    }

    /// Marks the point between two top-level elements, where the next byte
    /// starts something new.
    fn boundary(&mut self) {
        self.at_boundary = true;
        self.bytes_in_element = 0;
    }

    fn handle(&mut self, event: RawEvent) -> Result<Option<StreamEvent>, ReadError> {
        match self.state {
            ReaderState::ExpectHeader => self.handle_header(event),
            ReaderState::InStream => self.handle_in_stream(event),
            // Nothing is fed to rxml after the end (see `read_inner`).
            ReaderState::Ended => Ok(None),
        }
    }

    fn handle_header(&mut self, event: RawEvent) -> Result<Option<StreamEvent>, ReadError> {
        match event {
            RawEvent::XmlDeclaration(..) => Ok(None),
            RawEvent::ElementHeadOpen(_, (prefix, name)) => {
                self.root = Some(PendingHead {
                    prefix,
                    name,
                    attrs: Vec::new(),
                });
                Ok(None)
            }
            RawEvent::Attribute(_, (prefix, name), value) => {
                if let Some(root) = &mut self.root {
                    check_attr_count(root, &self.limits)?;
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
                let (scope, header) = stream_header(root, &self.limits)?;
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
        if self.assembler.is_idle() {
            match event {
                // Text is caught at the boundary; rxml reports none here.
                RawEvent::Text(..) => return Err(ReadError::TextAtStreamLevel),
                RawEvent::ElementFoot(_) => return self.end_stream(),
                _ => {}
            }
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

fn new_parser(limits: Limits) -> RawParser {
    let options = rxml::Options {
        // Our own byte limit fires first; rxml's token limit only has to be
        // larger than any token that limit lets through.
        max_token_length: limits.max_element_bytes.saturating_add(16),
        ..Default::default()
    };
    <RawParser as rxml::WithOptions>::with_options(options)
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

    /// Where the innermost declaration of `prefix` is in `prefixes`.
    fn prefix_index(&self, prefix: &str) -> Option<usize> {
        self.prefixes
            .iter()
            .rposition(|(p, _)| p.as_str() == prefix)
    }
}

/// An element head whose attributes are still arriving; names can only be
/// resolved once all its namespace declarations are known.
#[derive(Debug)]
struct PendingHead {
    prefix: Option<NcName>,
    name: NcName,
    attrs: Vec<(Option<NcName>, NcName, String)>,
}

fn check_attr_count(head: &PendingHead, limits: &Limits) -> Result<(), ReadError> {
    // Declarations and attributes share this bound here; each is checked
    // against its own limit once the head is complete.
    let cap = limits.max_attributes + limits.max_namespace_declarations;
    if head.attrs.len() >= cap {
        return Err(limit(Limit::Attributes, limits.max_attributes));
    }
    Ok(())
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

fn stream_header(
    root: PendingHead,
    limits: &Limits,
) -> Result<(StreamScope, StreamHeader), ReadError> {
    let mut scope = StreamScope::default();
    let mut declarations = 0;
    for (prefix, name, value) in &root.attrs {
        match attr_kind(prefix, name, value)? {
            AttrKind::DefaultDecl(ns) => scope.default_ns = Some(ns.to_owned()),
            AttrKind::PrefixDecl(p, ns) => scope.prefixes.push((p.clone(), ns.to_owned())),
            AttrKind::Plain => continue,
        }
        declarations += 1;
    }
    if declarations > limits.max_namespace_declarations {
        return Err(limit(
            Limit::NamespaceDeclarations,
            limits.max_namespace_declarations,
        ));
    }
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
    let found = scope.default_ns.clone().unwrap_or_default();
    let ns = ContentNamespace::from_uri(&found).ok_or(ReadError::BadContentNamespace { found })?;
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
    /// `decls.len()` before this element's declarations were pushed.
    decls_before: usize,
}

/// Builds one top-level element from raw events, resolving namespaces
/// straight into the [`Element`] arena.
#[derive(Debug)]
struct Assembler {
    limits: Limits,
    element: Element,
    open: Vec<OpenElement>,
    /// In-scope prefix declarations of the open elements (`None` prefix: a
    /// default declaration).
    decls: Vec<(Option<NcName>, Span)>,
    head: Option<PendingHead>,
    /// The stream's default namespace copied into this element's arena,
    /// once per element.
    stream_default: Option<Span>,
    /// The stream's prefix declarations copied into this element's arena,
    /// by index into [`StreamScope::prefixes`]: copied once per element, not
    /// once per use, so a long URI in the header cannot multiply the arena.
    stream_prefixes: Vec<(usize, Span)>,
    /// An empty attribute buffer kept for the next element head.
    spare_attrs: Vec<(Option<NcName>, NcName, String)>,
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
            decls: Vec::new(),
            head: None,
            stream_default: None,
            stream_prefixes: Vec::new(),
            spare_attrs: Vec::new(),
            spare: None,
        }
    }

    fn is_idle(&self) -> bool {
        self.open.is_empty() && self.head.is_none()
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
                self.head = Some(PendingHead {
                    prefix,
                    name,
                    attrs,
                });
                Ok(None)
            }
            RawEvent::Attribute(_, (prefix, name), value) => {
                if let Some(head) = &mut self.head {
                    check_attr_count(head, &self.limits)?;
                    head.attrs.push((prefix, name, value));
                }
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
                self.decls.truncate(open.decls_before);
                if !self.open.is_empty() {
                    return Ok(None);
                }
                self.stream_default = None;
                self.stream_prefixes.clear();
                let next = match self.spare.take() {
                    Some(mut spare) => {
                        spare.clear();
                        spare
                    }
                    None => Element::default(),
                };
                let done = std::mem::replace(&mut self.element, next);
                // Start the next element with room for one like this one,
                // sparing the reallocations of growing from empty.
                self.element.reserve_like(&done);
                Ok(Some(done))
            }
        }
    }

    fn check_buffered(&self) -> Result<(), ReadError> {
        if self.element.used_bytes() > self.limits.max_buffered_bytes {
            return Err(limit(Limit::BufferedBytes, self.limits.max_buffered_bytes));
        }
        Ok(())
    }

    /// The namespace bound to `prefix` (`None`: the default namespace) in
    /// the innermost scope, copying it from the stream scope if needed.
    fn lookup(&mut self, prefix: Option<&str>, scope: &StreamScope) -> Result<Span, ReadError> {
        let found = self
            .decls
            .iter()
            .rev()
            .find(|(p, _)| p.as_ref().map(NcName::as_str) == prefix)
            .map(|(_, ns)| *ns);
        if let Some(ns) = found {
            return Ok(ns);
        }
        match prefix {
            None => {
                if let Some(span) = self.stream_default {
                    return Ok(span);
                }
                let span = self
                    .element
                    .push_str(scope.default_ns.as_deref().unwrap_or(""));
                self.stream_default = Some(span);
                Ok(span)
            }
            Some("xml") => Ok(self.element.push_str(NS_XML)),
            Some(p) => {
                let declared = scope
                    .prefix_index(p)
                    .and_then(|i| Some((i, scope.prefixes.get(i)?)));
                let Some((i, (_, ns))) = declared else {
                    return Err(ReadError::xml(
                        XmlCondition::BadNamespacePrefix,
                        format!("undeclared prefix {p}"),
                    ));
                };
                if let Some((_, span)) = self.stream_prefixes.iter().find(|(j, _)| *j == i) {
                    return Ok(*span);
                }
                let span = self.element.push_str(ns);
                self.stream_prefixes.push((i, span));
                Ok(span)
            }
        }
    }

    fn open_element(
        &mut self,
        mut head: PendingHead,
        scope: &StreamScope,
    ) -> Result<(), ReadError> {
        let decls_before = self.decls.len();
        let mut attributes = 0;
        for (prefix, name, value) in &head.attrs {
            match attr_kind(prefix, name, value)? {
                AttrKind::DefaultDecl(ns) => {
                    let span = self.element.push_str(ns);
                    self.decls.push((None, span));
                }
                AttrKind::PrefixDecl(p, ns) => {
                    let span = self.element.push_str(ns);
                    self.decls.push((Some(p.clone()), span));
                }
                AttrKind::Plain => {
                    attributes += 1;
                    continue;
                }
            }
            // XML 1.0 §3.1 (Unique Att Spec) covers declarations too.
            let mine = self.decls.get(decls_before..).unwrap_or_default();
            if let Some(((new, _), earlier)) = mine.split_last()
                && earlier.iter().any(|(p, _)| p == new)
            {
                return Err(ReadError::xml(
                    XmlCondition::NotWellFormed,
                    format!("duplicate attribute {name}"),
                ));
            }
        }
        if self.decls.len() - decls_before > self.limits.max_namespace_declarations {
            return Err(limit(
                Limit::NamespaceDeclarations,
                self.limits.max_namespace_declarations,
            ));
        }
        if attributes > self.limits.max_attributes {
            return Err(limit(Limit::Attributes, self.limits.max_attributes));
        }
        let ns = self.lookup(head.prefix.as_ref().map(NcName::as_str), scope)?;
        let name = self.element.push_str(&head.name);
        let index = self.element.open_element(name, ns);
        for (prefix, name, value) in head.attrs.drain(..) {
            if !matches!(attr_kind(&prefix, &name, &value)?, AttrKind::Plain) {
                continue;
            }
            // Unprefixed attributes are in no namespace (Namespaces in XML
            // §6.2), whatever the default is.
            let ns = match prefix.as_ref().map(NcName::as_str) {
                None => Span::default(),
                Some(p) => self.lookup(Some(p), scope)?,
            };
            let record = AttrRecord {
                ns,
                name: self.element.push_str(&name),
                value: self.element.push_str(&value),
            };
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
            self.element.push_attr(index, record);
        }
        self.spare_attrs = head.attrs;
        self.open.push(OpenElement {
            index,
            decls_before,
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

/// Reader for XMPP over WebSocket (RFC 7395): every message is one complete
/// XML document holding one element.
///
/// The stream's content namespace is known from the connection, and a
/// stanza that does not declare it is read in it: RFC 7395 §3.3.3 asks each
/// message to declare its namespaces, but reading an undeclared stanza as
/// the only namespace it can belong to loses nothing.
#[derive(Debug)]
pub struct FrameReader {
    limits: Limits,
    scope: StreamScope,
    content: ContentNamespace,
    error: Option<ReadError>,
}

impl FrameReader {
    /// A reader for a WebSocket connection whose stanzas are in `content`.
    pub fn new(limits: Limits, content: ContentNamespace) -> Self {
        let scope = StreamScope {
            default_ns: Some(content.as_str().to_owned()),
            prefixes: Vec::new(),
        };
        FrameReader {
            limits,
            scope,
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
        if message.iter().all(|b| is_space(*b)) {
            return Ok(FrameEvent::Whitespace);
        }
        let mut parser = new_parser(self.limits);
        let mut assembler = Assembler::new(self.limits);
        let mut input = message;
        let element = loop {
            match parser.parse(&mut input, true) {
                Ok(Some(event)) => {
                    if matches!(event, RawEvent::Text(..)) && assembler.is_idle() {
                        continue; // white space around the document
                    }
                    if let Some(element) = assembler.handle(event, &self.scope)? {
                        break element;
                    }
                }
                Ok(None) | Err(EndOrError::NeedMoreData) => return Err(ReadError::UnexpectedEof),
                Err(EndOrError::Error(e)) => return Err(e.into()),
            }
        };
        // rxml rejects a second root or junk after the element.
        loop {
            match parser.parse(&mut input, true) {
                Ok(None) => break,
                Ok(Some(_)) => continue,
                Err(EndOrError::NeedMoreData) => return Err(ReadError::UnexpectedEof),
                Err(EndOrError::Error(e)) => return Err(e.into()),
            }
        }
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
                    ns: self.content,
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
