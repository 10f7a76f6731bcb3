//! The element the reader yields: one flat, pre-order arena per top-level
//! element.
//!
//! # Why not a `minidom::Element`
//!
//! A minidom tree allocates for every name, namespace, attribute map and child
//! vector (`benches/stanza_memory.rs` counts the heap one chat message takes
//! as a minidom tree). The typed stanza layer reads a handful of fields and
//! copies them out, so that tree is built only to be thrown away.
//!
//! [`Element`] instead stores every string of the element in one `String`
//! and the structure in two vectors: nodes in document (pre-order) order, each
//! element node knowing where its subtree ends, and attributes. Building one
//! costs three growing buffers, whatever the element's size; namespaces are
//! stored once per declaration, not once per node. Walking it is a slice walk
//! ([`ElementRef`], [`Node`]), and [`ElementRef::to_minidom`] converts any
//! subtree that nobody typed, so users can hand it to `xmpp-parsers`.
//!
//! Copying, comparing, converting and writing a subtree recurse once per
//! level; an element from a reader is at most
//! [`Limits::MAX_DEPTH`](crate::Limits::MAX_DEPTH) deep, which those walks
//! handle on any thread's stack.

use std::fmt;

use rxml::NcNameStr;

use crate::error::BuildError;

/// A byte range into [`Element::strings`]. `u32` keeps nodes small; the
/// reader's limits keep elements far below 4 GiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        let start = self.start as usize;
        start..start + self.len as usize
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum NodeRecord {
    Element {
        name: Span,
        /// The resolved namespace URI; empty for no namespace.
        ns: Span,
        attrs_start: u32,
        attrs_len: u32,
        /// Index one past the last node of this element's subtree.
        end: u32,
    },
    Text(Span),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct AttrRecord {
    /// The resolved namespace URI; empty for an unprefixed attribute.
    pub(crate) ns: Span,
    pub(crate) name: Span,
    pub(crate) value: Span,
}

/// The room a reader keeps for its next element, per buffer: enough for a
/// typical stanza (a chat message with a few payloads) to be assembled
/// without growing, and little enough for an idle reader to stay within
/// 2 KiB (see [`crate::Limits`]).
const KEPT_STRING_BYTES: usize = 384;
/// See [`KEPT_STRING_BYTES`].
const KEPT_NODES: usize = 8;
/// See [`KEPT_STRING_BYTES`].
const KEPT_ATTRS: usize = 6;

/// The namespace of `xml:` attributes such as `xml:lang` (XML Namespaces §3).
pub const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";

/// The namespace `xmlns` attributes are in (Namespaces in XML 1.0 §3).
pub(crate) const NS_XMLNS: &str = "http://www.w3.org/2000/xmlns/";

/// One XML element with everything below it, owned, in a compact arena.
///
/// Read it through [`Element::root`] (an [`ElementRef`]) or the shortcuts on
/// this type; build one with [`Element::builder`] or from a
/// `minidom::Element`.
#[derive(Clone, Default)]
pub struct Element {
    strings: String,
    nodes: Vec<NodeRecord>,
    attrs: Vec<AttrRecord>,
    /// The node count when an element last closed: a text node before it
    /// belongs to the closed element, so text that follows never merges
    /// into it (`<b>t</b>u` is two texts, `t` in `b` and `u` after it).
    text_sealed: u32,
}

impl Element {
    /// Starts building an element `name` in namespace `ns`.
    pub fn builder(name: &str, ns: &str) -> ElementBuilder {
        ElementBuilder::new(name, ns)
    }

    /// The top element.
    pub fn root(&self) -> ElementRef<'_> {
        ElementRef {
            doc: self,
            index: 0,
        }
    }

    /// The local name of the top element.
    pub fn name(&self) -> &str {
        self.root().name()
    }

    /// The namespace URI of the top element (empty for none).
    pub fn ns(&self) -> &str {
        self.root().ns()
    }

    /// An unprefixed attribute of the top element.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.root().attr(name)
    }

    /// Whether the top element is `name` in `ns`.
    pub fn is(&self, name: &str, ns: &str) -> bool {
        self.root().is(name, ns)
    }

    /// Converts the whole element to a `minidom::Element`.
    pub fn to_minidom(&self) -> minidom::Element {
        self.root().to_minidom()
    }

    /// Heap bytes this element holds (capacity, not length), for memory
    /// accounting by the reader and by benchmarks.
    pub fn heap_bytes(&self) -> usize {
        self.strings.capacity()
            + self.nodes.capacity() * std::mem::size_of::<NodeRecord>()
            + self.attrs.capacity() * std::mem::size_of::<AttrRecord>()
    }

    /// Bytes this element's content takes (length, not capacity). The
    /// reader's [`max_buffered_bytes`](crate::Limits::max_buffered_bytes)
    /// counts this, so whether an element fits does not depend on how its
    /// buffers happened to grow; the memory held is at most about twice it.
    pub fn used_bytes(&self) -> usize {
        self.strings.len()
            + self.nodes.len() * std::mem::size_of::<NodeRecord>()
            + self.attrs.len() * std::mem::size_of::<AttrRecord>()
    }

    /// Releases spare capacity, so a long-lived element holds only what it
    /// needs.
    pub fn shrink_to_fit(&mut self) {
        self.strings.shrink_to_fit();
        self.nodes.shrink_to_fit();
        self.attrs.shrink_to_fit();
    }

    fn str(&self, span: Span) -> &str {
        self.strings.get(span.range()).unwrap_or_default()
    }

    // ---- construction, shared by the reader and the builder ----

    /// An empty element with room for one like `other`, up to what a reader
    /// keeps between elements ([`KEPT_STRING_BYTES`] and friends), so a large
    /// element does not make the next small one carry its room.
    pub(crate) fn with_room_for(other: &Element) -> Element {
        Element {
            strings: String::with_capacity(other.strings.len().min(KEPT_STRING_BYTES)),
            nodes: Vec::with_capacity(other.nodes.len().min(KEPT_NODES)),
            attrs: Vec::with_capacity(other.attrs.len().min(KEPT_ATTRS)),
            text_sealed: 0,
        }
    }

    /// Empties the element, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.strings.clear();
        self.nodes.clear();
        self.attrs.clear();
        self.text_sealed = 0;
    }

    /// Gives back room beyond what [`Element::with_room_for`] would give.
    pub(crate) fn trim_room(&mut self) {
        self.strings.shrink_to(KEPT_STRING_BYTES);
        self.nodes.shrink_to(KEPT_NODES);
        self.attrs.shrink_to(KEPT_ATTRS);
    }

    pub(crate) fn push_str(&mut self, s: &str) -> Span {
        let start = self.strings.len() as u32;
        self.strings.push_str(s);
        Span {
            start,
            len: s.len() as u32,
        }
    }

    pub(crate) fn span_str(&self, span: Span) -> &str {
        self.str(span)
    }

    /// Opens an element node; returns its index, to be passed to
    /// [`Element::close_element`].
    pub(crate) fn open_element(&mut self, name: Span, ns: Span) -> usize {
        self.open_element_after_attrs(name, ns, self.attrs.len())
    }

    /// Opens an element node whose first attributes, from `attrs_start` on,
    /// were pushed with [`Element::push_loose_attr`] before it.
    pub(crate) fn open_element_after_attrs(
        &mut self,
        name: Span,
        ns: Span,
        attrs_start: usize,
    ) -> usize {
        let index = self.nodes.len();
        self.nodes.push(NodeRecord::Element {
            name,
            ns,
            attrs_start: attrs_start as u32,
            attrs_len: self.attrs.len().saturating_sub(attrs_start) as u32,
            end: 0,
        });
        index
    }

    /// The number of attributes, for [`Element::open_element_after_attrs`].
    pub(crate) fn attr_count(&self) -> usize {
        self.attrs.len()
    }

    /// Appends an attribute of the element about to be opened (see
    /// [`Element::open_element_after_attrs`]).
    pub(crate) fn push_loose_attr(&mut self, attr: AttrRecord) {
        self.attrs.push(attr);
    }

    /// The attributes from `start` on.
    pub(crate) fn attrs_from(&self, start: usize) -> &[AttrRecord] {
        self.attrs.get(start..).unwrap_or_default()
    }

    pub(crate) fn push_attr(&mut self, index: usize, attr: AttrRecord) {
        self.attrs.push(attr);
        if let Some(NodeRecord::Element { attrs_len, .. }) = self.nodes.get_mut(index) {
            *attrs_len += 1;
        }
    }

    pub(crate) fn attr_records(&self, index: usize) -> &[AttrRecord] {
        match self.nodes.get(index) {
            Some(NodeRecord::Element {
                attrs_start,
                attrs_len,
                ..
            }) => {
                let start = *attrs_start as usize;
                self.attrs
                    .get(start..start + *attrs_len as usize)
                    .unwrap_or_default()
            }
            _ => &[],
        }
    }

    pub(crate) fn close_element(&mut self, index: usize) {
        let after = self.nodes.len() as u32;
        if let Some(NodeRecord::Element { end, .. }) = self.nodes.get_mut(index) {
            *end = after;
        }
        self.text_sealed = after;
    }

    /// Appends text, merging with a directly preceding text node so that
    /// however the parser chunked the text, the tree is the same.
    pub(crate) fn push_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let at_end = self.strings.len() as u32;
        let after_last_close = self.nodes.len() as u32 > self.text_sealed;
        if let Some(NodeRecord::Text(span)) = self.nodes.last_mut()
            && after_last_close
            && span.start + span.len == at_end
        {
            self.strings.push_str(text);
            span.len += text.len() as u32;
            return;
        }
        let span = self.push_str(text);
        self.nodes.push(NodeRecord::Text(span));
    }

    /// Appends a copy of `other` after the last node; inside the builder
    /// that makes it the last child of the (still open) root.
    fn append_subtree(&mut self, other: ElementRef<'_>, parent_ns: Option<Span>) {
        let index = {
            let name = self.push_str(other.name());
            // A child in its parent's namespace shares the parent's copy.
            let ns = match parent_ns {
                Some(span) if self.str(span) == other.ns() => span,
                _ => self.push_str(other.ns()),
            };
            self.open_element(name, ns)
        };
        let ns = self.record_ns(index);
        for attr in other.attrs() {
            let record = AttrRecord {
                ns: self.push_str(attr.ns),
                name: self.push_str(attr.name),
                value: self.push_str(attr.value),
            };
            self.push_attr(index, record);
        }
        for node in other.nodes() {
            match node {
                Node::Element(child) => self.append_subtree(child, ns),
                Node::Text(text) => self.push_text(text),
            }
        }
        self.close_element(index);
    }

    fn record_ns(&self, index: usize) -> Option<Span> {
        match self.nodes.get(index) {
            Some(NodeRecord::Element { ns, .. }) => Some(*ns),
            _ => None,
        }
    }
}

/// Namespace spans of a source arena already copied, so that the copy
/// shares what the source shares (an element in its parent's default
/// namespace, the `xml` namespace of many attributes). A stanza uses few
/// namespaces; past this many, strings are copied again.
#[derive(Default)]
struct SharedSpans {
    seen: [(Span, Span); 8],
    len: usize,
}

impl SharedSpans {
    /// The copy of `source`, made by `copy` the first time.
    fn get_or(&mut self, source: Span, copy: impl FnOnce() -> Span) -> Span {
        if source.len == 0 {
            return Span::default();
        }
        let seen = self.seen.get(..self.len).unwrap_or_default();
        if let Some((_, to)) = seen.iter().find(|(from, _)| *from == source) {
            return *to;
        }
        let to = copy();
        if let Some(slot) = self.seen.get_mut(self.len) {
            *slot = (source, to);
            self.len += 1;
        }
        to
    }
}

/// What copying subtrees of one arena will store: string bytes, nodes and
/// attributes, so the copy is allocated once at its exact size. It makes
/// the same [`SharedSpans`] choices the copy makes.
#[derive(Default)]
struct CopySize {
    strings: usize,
    nodes: usize,
    attrs: usize,
    shared: SharedSpans,
}

impl CopySize {
    fn add_subtree(&mut self, source: &Element, index: usize) {
        let end = subtree_end(source, index);
        for record in source.nodes.get(index..end).unwrap_or_default() {
            self.nodes += 1;
            match *record {
                NodeRecord::Element {
                    name,
                    ns,
                    attrs_start,
                    attrs_len,
                    ..
                } => {
                    self.strings += name.len as usize;
                    self.add_shared(ns);
                    let start = attrs_start as usize;
                    let attrs = source.attrs.get(start..start + attrs_len as usize);
                    for attr in attrs.unwrap_or_default() {
                        self.attrs += 1;
                        self.add_shared(attr.ns);
                        self.strings += (attr.name.len + attr.value.len) as usize;
                    }
                }
                NodeRecord::Text(text) => self.strings += text.len as usize,
            }
        }
    }

    fn add_shared(&mut self, span: Span) {
        let strings = &mut self.strings;
        self.shared.get_or(span, || {
            *strings += span.len as usize;
            Span::default()
        });
    }

    fn allocate(&self) -> Element {
        Element {
            strings: String::with_capacity(self.strings),
            nodes: Vec::with_capacity(self.nodes),
            attrs: Vec::with_capacity(self.attrs),
            text_sealed: 0,
        }
    }
}

/// One past the last node of the subtree at `index`.
fn subtree_end(source: &Element, index: usize) -> usize {
    match source.nodes.get(index) {
        Some(NodeRecord::Element { end, .. }) => *end as usize,
        // Only elements are copied (an `ElementRef` points at one): an
        // empty range for anything else.
        _ => index,
    }
}

impl Element {
    /// Appends a copy of `source`'s subtree at `index` after the last node,
    /// record by record: its nodes are contiguous and in document order, so
    /// each keeps its place relative to the others.
    fn copy_subtree(&mut self, source: &Element, index: usize, shared: &mut SharedSpans) {
        let end = subtree_end(source, index);
        // Where the source's node `index` lands, for the `end` indices.
        let offset = self.nodes.len() as u32;
        for record in source.nodes.get(index..end).unwrap_or_default() {
            let copy = match *record {
                NodeRecord::Element {
                    name,
                    ns,
                    attrs_start,
                    attrs_len,
                    end,
                } => {
                    let name = self.push_str(source.str(name));
                    let ns = shared.get_or(ns, || self.push_str(source.str(ns)));
                    let first_attr = self.attrs.len() as u32;
                    let start = attrs_start as usize;
                    let attrs = source.attrs.get(start..start + attrs_len as usize);
                    for attr in attrs.unwrap_or_default() {
                        let copy = AttrRecord {
                            ns: shared.get_or(attr.ns, || self.push_str(source.str(attr.ns))),
                            name: self.push_str(source.str(attr.name)),
                            value: self.push_str(source.str(attr.value)),
                        };
                        self.attrs.push(copy);
                    }
                    NodeRecord::Element {
                        name,
                        ns,
                        attrs_start: first_attr,
                        attrs_len,
                        end: end - index as u32 + offset,
                    }
                }
                NodeRecord::Text(text) => NodeRecord::Text(self.push_str(source.str(text))),
            };
            self.nodes.push(copy);
        }
        self.text_sealed = self.nodes.len() as u32;
    }
}

impl PartialEq for Element {
    /// Structural equality: same names, namespaces, attributes (in any
    /// order) and children, independent of how the arena is laid out.
    fn eq(&self, other: &Self) -> bool {
        self.root() == other.root()
    }
}

impl Eq for Element {}

impl fmt::Debug for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.root(), f)
    }
}

impl From<&minidom::Element> for Element {
    fn from(source: &minidom::Element) -> Self {
        fn add(target: &mut Element, source: &minidom::Element) {
            let name = target.push_str(source.name());
            let ns = target.push_str(&source.ns());
            let index = target.open_element(name, ns);
            for ((ns, name), value) in source.attrs().iter() {
                let record = AttrRecord {
                    ns: target.push_str(ns.as_str()),
                    name: target.push_str(name.as_str()),
                    value: target.push_str(value),
                };
                target.push_attr(index, record);
            }
            for node in source.nodes() {
                match node {
                    minidom::Node::Element(child) => add(target, child),
                    minidom::Node::Text(text) => target.push_text(text),
                }
            }
            target.close_element(index);
        }
        let mut element = Element::default();
        add(&mut element, source);
        element
    }
}

/// A borrowed view of one element inside an [`Element`] arena.
#[derive(Clone, Copy)]
pub struct ElementRef<'a> {
    doc: &'a Element,
    index: usize,
}

/// One attribute: namespace (empty for none), local name and value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// The namespace URI, empty for an unprefixed attribute.
    pub ns: &'a str,
    /// The local name.
    pub name: &'a str,
    /// The value, with entities and character references resolved.
    pub value: &'a str,
}

/// A child node: an element or a run of text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Node<'a> {
    /// A child element.
    Element(ElementRef<'a>),
    /// Character data (entities resolved, adjacent runs merged).
    Text(&'a str),
}

impl<'a> ElementRef<'a> {
    fn record(&self) -> (Span, Span, u32) {
        match self.doc.nodes.get(self.index) {
            Some(NodeRecord::Element { name, ns, end, .. }) => (*name, *ns, *end),
            // Views are made for element nodes, or for the root of an empty
            // `Element::default()`: an empty record with no children.
            _ => (Span::default(), Span::default(), 0),
        }
    }

    /// The local name.
    pub fn name(&self) -> &'a str {
        self.doc.str(self.record().0)
    }

    /// The namespace URI (empty for none).
    pub fn ns(&self) -> &'a str {
        self.doc.str(self.record().1)
    }

    /// Whether this is element `name` in namespace `ns`.
    pub fn is(&self, name: &str, ns: &str) -> bool {
        self.name() == name && self.ns() == ns
    }

    /// The attributes, in document order.
    pub fn attrs(&self) -> impl ExactSizeIterator<Item = Attribute<'a>> + 'a {
        let doc = self.doc;
        doc.attr_records(self.index).iter().map(move |a| Attribute {
            ns: doc.str(a.ns),
            name: doc.str(a.name),
            value: doc.str(a.value),
        })
    }

    /// The value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&'a str> {
        self.attr_ns("", name)
    }

    /// The value of attribute `name` in namespace `ns` (`""` for none).
    pub fn attr_ns(&self, ns: &str, name: &str) -> Option<&'a str> {
        self.attrs()
            .find(|a| a.name == name && a.ns == ns)
            .map(|a| a.value)
    }

    /// `xml:lang` as written on this element. Inheritance from parents and
    /// the stream header is the stanza layer's business (RFC 6120 §4.7.4).
    pub fn lang(&self) -> Option<&'a str> {
        self.attr_ns(NS_XML, "lang")
    }

    /// The child nodes (elements and text), in document order.
    pub fn nodes(&self) -> Nodes<'a> {
        let end = self.record().2 as usize;
        Nodes {
            doc: self.doc,
            next: self.index + 1,
            end,
        }
    }

    /// The child elements, in document order.
    pub fn children(&self) -> impl Iterator<Item = ElementRef<'a>> + 'a {
        self.nodes().filter_map(|node| match node {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element `name` in namespace `ns`.
    pub fn get_child(&self, name: &str, ns: &str) -> Option<ElementRef<'a>> {
        self.children().find(|c| c.is(name, ns))
    }

    /// The direct text content, concatenated (text of child elements is not
    /// included). Borrowed when there is a single text run.
    pub fn text(&self) -> std::borrow::Cow<'a, str> {
        let mut texts = self.nodes().filter_map(|node| match node {
            Node::Text(t) => Some(t),
            Node::Element(_) => None,
        });
        let Some(first) = texts.next() else {
            return std::borrow::Cow::Borrowed("");
        };
        match texts.next() {
            None => std::borrow::Cow::Borrowed(first),
            Some(second) => {
                let mut all = String::from(first);
                all.push_str(second);
                texts.for_each(|t| all.push_str(t));
                std::borrow::Cow::Owned(all)
            }
        }
    }

    /// An [`Element`] named like this one (its name and namespace, none of
    /// its attributes or text) holding copies of the child elements
    /// `keep` selects, in order, all in one arena: what a stanza needs to
    /// keep its payloads without keeping the rest of it. `None`, with
    /// nothing allocated, when `keep` selects no child.
    pub fn to_owned_with_children(&self, keep: impl Fn(ElementRef<'a>) -> bool) -> Option<Element> {
        let doc = self.doc;
        let Some(&NodeRecord::Element { name, ns, .. }) = doc.nodes.get(self.index) else {
            return None;
        };
        let mut size = CopySize {
            strings: name.len as usize,
            nodes: 1,
            ..CopySize::default()
        };
        size.add_shared(ns);
        for child in self.children().filter(|child| keep(*child)) {
            size.add_subtree(doc, child.index);
        }
        if size.nodes == 1 {
            return None;
        }
        let mut element = size.allocate();
        let mut shared = SharedSpans::default();
        let name = element.push_str(doc.str(name));
        let ns = shared.get_or(ns, || element.push_str(doc.str(ns)));
        let root = element.open_element(name, ns);
        for child in self.children().filter(|child| keep(*child)) {
            element.copy_subtree(doc, child.index, &mut shared);
        }
        element.close_element(root);
        Some(element)
    }

    /// Copies this subtree into an [`Element`] of its own.
    pub fn to_owned(&self) -> Element {
        let mut size = CopySize::default();
        size.add_subtree(self.doc, self.index);
        let mut element = size.allocate();
        element.copy_subtree(self.doc, self.index, &mut SharedSpans::default());
        element
    }

    /// Converts this subtree to a `minidom::Element`, so payloads nobody
    /// typed can be handed to `xmpp-parsers`.
    pub fn to_minidom(&self) -> minidom::Element {
        let mut builder = minidom::Element::builder(self.name(), self.ns());
        for attr in self.attrs() {
            // Names came from the XML parser or a validated builder, so
            // they are valid NCNames; the fallback keeps this total.
            let Ok(name) = rxml::NcName::try_from(attr.name) else {
                continue;
            };
            builder = if attr.ns.is_empty() {
                builder.attr(name, attr.value)
            } else {
                builder.attr_ns(rxml::Namespace::from(attr.ns.to_owned()), name, attr.value)
            };
        }
        for node in self.nodes() {
            builder = match node {
                Node::Element(child) => builder.append(child.to_minidom()),
                Node::Text(text) => builder.append(minidom::Node::Text(text.to_owned())),
            };
        }
        builder.build()
    }
}

impl PartialEq for ElementRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        if self.name() != other.name() || self.ns() != other.ns() {
            return false;
        }
        let (mine, theirs) = (self.attrs(), other.attrs());
        if mine.len() != theirs.len() {
            return false;
        }
        let theirs: Vec<_> = theirs.collect();
        if !mine.into_iter().all(|a| theirs.contains(&a)) {
            return false;
        }
        self.nodes().eq(other.nodes())
    }
}

impl fmt::Debug for ElementRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        crate::writer::write_standalone(&mut out, *self);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// Iterator over the child nodes of an [`ElementRef`].
#[derive(Clone)]
pub struct Nodes<'a> {
    doc: &'a Element,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Nodes<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        if self.next >= self.end {
            return None;
        }
        let index = self.next;
        match self.doc.nodes.get(index)? {
            NodeRecord::Text(span) => {
                self.next += 1;
                Some(Node::Text(self.doc.str(*span)))
            }
            NodeRecord::Element { end, .. } => {
                // Skip the whole subtree; `max` guards against a record that
                // would not move forward.
                self.next = (*end as usize).max(index + 1);
                Some(Node::Element(ElementRef {
                    doc: self.doc,
                    index,
                }))
            }
        }
    }
}

/// Builds an [`Element`]; names are checked to be XML NCNames.
#[derive(Debug)]
pub struct ElementBuilder {
    element: Element,
    error: Option<BuildError>,
}

impl ElementBuilder {
    fn new(name: &str, ns: &str) -> Self {
        let mut builder = ElementBuilder {
            element: Element::default(),
            error: None,
        };
        builder.check_name(name);
        let name = builder.element.push_str(name);
        let ns = builder.element.push_str(ns);
        builder.element.open_element(name, ns);
        builder
    }

    fn check_name(&mut self, name: &str) {
        if self.error.is_none() && <&NcNameStr>::try_from(name).is_err() {
            self.error = Some(BuildError::InvalidName(name.to_owned()));
        }
    }

    /// Adds an unprefixed attribute (replacing one of the same name).
    pub fn attr(self, name: &str, value: &str) -> Self {
        self.attr_ns("", name, value)
    }

    /// Adds an attribute in namespace `ns` (replacing one of the same name).
    pub fn attr_ns(mut self, ns: &str, name: &str, value: &str) -> Self {
        self.check_name(name);
        if let Err(e) = crate::writer::check_chars(value) {
            self.error.get_or_insert(e);
        }
        let value = self.element.push_str(value);
        // The root's attributes are the first records; children appended
        // before this call have theirs after them.
        let root_attrs = self.element.attr_records(0).len();
        let existing = self.element.attrs.get_mut(..root_attrs).and_then(|attrs| {
            attrs.iter_mut().find(|a| {
                self.element.strings.get(a.name.range()) == Some(name)
                    && self.element.strings.get(a.ns.range()) == Some(ns)
            })
        });
        if let Some(existing) = existing {
            existing.value = value;
            return self;
        }
        let record = AttrRecord {
            ns: self.element.push_str(ns),
            name: self.element.push_str(name),
            value,
        };
        self.element.attrs.insert(root_attrs, record);
        let mut nodes = self.element.nodes.iter_mut();
        if let Some(NodeRecord::Element { attrs_len, .. }) = nodes.next() {
            *attrs_len += 1;
        }
        for node in nodes {
            if let NodeRecord::Element { attrs_start, .. } = node {
                *attrs_start += 1;
            }
        }
        self
    }

    /// Appends a text node.
    pub fn text(mut self, text: &str) -> Self {
        if let Err(e) = crate::writer::check_chars(text) {
            self.error.get_or_insert(e);
        }
        self.element.push_text(text);
        self
    }

    /// Appends a child element.
    pub fn child(mut self, child: Element) -> Self {
        let parent_ns = self.element.record_ns(0);
        self.element.append_subtree(child.root(), parent_ns);
        self
    }

    /// Finishes the element, or says which name or character was invalid.
    pub fn build(mut self) -> Result<Element, BuildError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.element.close_element(0);
        Ok(self.element)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Element {
        Element::builder("message", "jabber:client")
            .attr("to", "juliet@example.com")
            .attr_ns(NS_XML, "lang", "en")
            .child(
                Element::builder("body", "jabber:client")
                    .text("Hi ")
                    .text("there")
                    .build()
                    .unwrap(),
            )
            .child(
                Element::builder("x", "urn:x")
                    .attr("a", "1")
                    .build()
                    .unwrap(),
            )
            .text("tail")
            .build()
            .unwrap()
    }

    #[test]
    fn navigation() {
        let m = sample();
        assert_eq!(m.name(), "message");
        assert_eq!(m.attr("to"), Some("juliet@example.com"));
        assert_eq!(m.root().lang(), Some("en"));
        let body = m.root().get_child("body", "jabber:client").unwrap();
        assert_eq!(body.text(), "Hi there");
        assert_eq!(m.root().children().count(), 2);
        assert_eq!(m.root().nodes().count(), 3);
        assert_eq!(m.root().text(), "tail");
        assert!(m.root().get_child("body", "urn:other").is_none());
    }

    #[test]
    fn minidom_round_trip() {
        let m = sample();
        let tree = m.to_minidom();
        assert_eq!(tree.attr("to"), Some("juliet@example.com"));
        assert_eq!(tree.get_child("x", "urn:x").unwrap().attr("a"), Some("1"));
        assert_eq!(Element::from(&tree), m);
    }

    #[test]
    fn equality_ignores_attribute_order_but_not_values() {
        let a = Element::builder("a", "n")
            .attr("x", "1")
            .attr("y", "2")
            .build()
            .unwrap();
        let b = Element::builder("a", "n")
            .attr("y", "2")
            .attr("x", "1")
            .build()
            .unwrap();
        let c = Element::builder("a", "n")
            .attr("y", "2")
            .attr("x", "3")
            .build()
            .unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn is_needs_both_name_and_namespace() {
        let m = sample();
        assert!(m.is("message", "jabber:client"));
        assert!(!m.is("message", "urn:other"));
        assert!(!m.is("iq", "jabber:client"));
    }

    #[test]
    fn an_empty_element_has_no_name_and_no_children() {
        let empty = Element::default();
        assert_eq!((empty.name(), empty.ns()), ("", ""));
        assert_eq!(empty.root().nodes().count(), 0);
        assert_eq!(empty.root().text(), "");
    }

    #[test]
    fn nodes_end_even_under_an_unclosed_element() {
        // Only the reader's and builder's own mistakes could leave an
        // element open; iterating must still end rather than loop.
        let mut e = Element::default();
        let name = e.push_str("a");
        e.open_element(name, Span::default());
        e.open_element(name, Span::default());
        e.push_text("t");
        e.close_element(0);
        let mut walked = 0;
        let mut pending = vec![e.root()];
        while let Some(element) = pending.pop() {
            for node in element.nodes().take(10) {
                walked += 1;
                if let Node::Element(child) = node {
                    pending.push(child);
                }
            }
            assert!(walked < 10, "a node repeats");
        }
        // The unclosed child, then the text it would have held.
        assert_eq!(walked, 2);
    }

    #[test]
    fn debug_shows_the_element_as_xml() {
        assert_eq!(
            format!("{:?}", sample().root().get_child("x", "urn:x").unwrap()),
            "<x xmlns='urn:x' a='1'/>"
        );
    }

    #[test]
    fn shrink_to_fit_gives_back_spare_room() {
        let mut m = sample();
        m.strings.reserve(1000);
        m.nodes.reserve(100);
        m.attrs.reserve(100);
        m.shrink_to_fit();
        assert_eq!(m.heap_bytes(), m.used_bytes());
        assert_eq!(m, sample());
    }

    #[test]
    fn equality_needs_both_name_and_namespace() {
        let a = Element::builder("a", "urn:x").build().unwrap();
        let other_ns = Element::builder("a", "urn:y").build().unwrap();
        let other_name = Element::builder("b", "urn:x").build().unwrap();
        assert_ne!(a, other_ns);
        assert_ne!(a, other_name);
        assert_eq!(a, Element::builder("a", "urn:x").build().unwrap());
    }

    #[test]
    fn builder_replaces_duplicate_attribute() {
        let a = Element::builder("a", "n")
            .attr("x", "1")
            .attr("x", "2")
            .build()
            .unwrap();
        assert_eq!(a.root().attrs().len(), 1);
        assert_eq!(a.attr("x"), Some("2"));
    }

    #[test]
    fn builder_attribute_after_child_stays_on_the_root() {
        let child = Element::builder("b", "n").attr("x", "1").build().unwrap();
        let a = Element::builder("a", "n")
            .child(child.clone())
            .attr("y", "2")
            .build()
            .unwrap();
        assert_eq!(a.attr("y"), Some("2"));
        assert_eq!(a.attr("x"), None);
        assert_eq!(a.root().attrs().len(), 1);
        assert_eq!(a.root().children().next().unwrap(), child.root());
    }

    #[test]
    fn builder_replacing_an_attribute_leaves_children_alone() {
        let child = Element::builder("b", "n")
            .attr("z", "1")
            .attr("w", "2")
            .build()
            .unwrap();
        let a = Element::builder("a", "n")
            .attr("x", "1")
            .child(child.clone())
            .attr("x", "2")
            .build()
            .unwrap();
        assert_eq!(a.attr("x"), Some("2"));
        assert_eq!(a.root().attrs().len(), 1);
        assert_eq!(a.root().children().next().unwrap(), child.root());
    }

    #[test]
    fn builder_rejects_bad_names_and_chars() {
        assert!(matches!(
            Element::builder("a b", "n").build(),
            Err(BuildError::InvalidName(_))
        ));
        assert!(matches!(
            Element::builder("a", "n").text("nul\0").build(),
            Err(BuildError::InvalidChar(_))
        ));
    }

    #[test]
    fn to_owned_allocates_exactly_once_per_buffer() {
        let m = sample();
        for child in m.root().children() {
            let owned = child.to_owned();
            assert_eq!(owned.heap_bytes(), owned.used_bytes(), "{owned:?}");
            assert_eq!(owned.root(), child);
        }
        let whole = m.root().to_owned();
        assert_eq!(whole.heap_bytes(), whole.used_bytes());
        // Children in the parent's namespace share its string.
        let nested = Element::builder("a", "urn:long:namespace")
            .child(Element::builder("b", "urn:long:namespace").build().unwrap())
            .build()
            .unwrap();
        let copy = nested.root().to_owned();
        assert_eq!(copy.strings.matches("urn:long:namespace").count(), 1);
    }

    #[test]
    fn to_owned_with_children_keeps_the_name_and_the_chosen_children_only() {
        let m = sample();
        let kept = m
            .root()
            .to_owned_with_children(|child| child.ns() == "urn:x")
            .unwrap();
        let expected = Element::builder("message", "jabber:client")
            .child(
                Element::builder("x", "urn:x")
                    .attr("a", "1")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(kept, expected);
        assert_eq!(kept.heap_bytes(), kept.used_bytes(), "sized exactly");
        // A kept child in the element's namespace shares its string.
        let all = m.root().to_owned_with_children(|_| true).unwrap();
        assert_eq!(all.strings.matches("jabber:client").count(), 1);
        assert!(m.root().to_owned_with_children(|_| false).is_none());
        // The element's own attributes and text ("tail") stay behind.
        assert_eq!(all.root().attrs().count(), 0);
        assert_eq!(all.root().nodes().count(), 2);
    }

    #[test]
    fn copies_with_more_namespaces_than_are_shared_are_exact() {
        let mut builder = Element::builder("a", "urn:ns:0");
        for i in 0..12 {
            let ns = format!("urn:ns:{i}");
            let child = Element::builder("b", &ns)
                .attr_ns(&ns, "c", "d")
                .child(Element::builder("e", &ns).build().unwrap())
                .build()
                .unwrap();
            builder = builder.child(child);
        }
        let element = builder.build().unwrap();
        let copy = element.root().to_owned();
        assert_eq!(copy, element);
        assert_eq!(copy.heap_bytes(), copy.used_bytes());
        let some = element
            .root()
            .to_owned_with_children(|child| child.ns() != "urn:ns:3")
            .unwrap();
        assert_eq!(some.root().children().count(), 11);
        assert_eq!(some.heap_bytes(), some.used_bytes());
    }

    #[test]
    fn subtree_to_owned_is_equal() {
        let m = sample();
        let x = m.root().get_child("x", "urn:x").unwrap();
        let owned = x.to_owned();
        assert_eq!(owned.root(), x);
        assert!(owned.heap_bytes() > 0);
    }
}
