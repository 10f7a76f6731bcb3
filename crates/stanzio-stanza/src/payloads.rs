//! The child elements of a message or presence that no typed field claims.

use std::fmt;

use stanzio_xml::{Element, ElementRef, Node};

use crate::children::StanzaSource;

/// The payloads of a stanza: every child element no typed field claims, in
/// document order, unchanged (RFC 6120 §8.4: a server routes extended
/// content as it came). [`ElementRef::to_minidom`] hands one to
/// `xmpp-parsers`.
///
/// A received stanza keeps its payloads in *one* arena, a copy of the
/// stanza element's name and its payload children taken once, whatever
/// their number: a chat message with a chat state, a receipt request, an
/// origin-id and a marker costs three allocations for all four rather than
/// three each, and nothing of what typed fields hold is kept twice.
/// Payloads added with [`push`](Self::push) are kept one [`Element`] each.
///
/// ```
/// use stanzio_stanza::{Message, StreamContext};
/// use stanzio_xml::{ContentNamespace, Element};
///
/// let stanza = Element::builder("message", "jabber:client")
///     .child(Element::builder("body", "jabber:client").text("hi").build()?)
///     .child(Element::builder("active", "http://jabber.org/protocol/chatstates").build()?)
///     .child(Element::builder("request", "urn:xmpp:receipts").build()?)
///     .build()?;
/// let ctx = StreamContext::new(ContentNamespace::Client);
/// let message = Message::from_element(&stanza, &ctx)?;
/// let names: Vec<&str> = message.payloads.iter().map(|p| p.name()).collect();
/// assert_eq!(names, ["active", "request"]);
/// assert!(message.payloads.find("request", "urn:xmpp:receipts").is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Payloads {
    store: Store,
}

#[derive(Clone)]
enum Store {
    /// One element per payload: none yet, or payloads built by hand.
    Elements(Vec<Element>),
    /// The received stanza's payloads: the children of an element named
    /// like the stanza.
    Stanza(Element),
}

impl Default for Store {
    fn default() -> Self {
        Store::Elements(Vec::new())
    }
}

/// Whether `child` of a stanza in namespace `stanza_ns` is one of the
/// `typed` children: its name is among them and it is in the stanza's
/// namespace (the same name in another namespace is someone's extension).
pub(crate) fn is_typed(stanza_ns: &str, child: ElementRef<'_>, typed: &[&str]) -> bool {
    // The namespace first: a payload's differs, mostly in length already.
    child.ns() == stanza_ns && typed.contains(&child.name())
}

impl Payloads {
    /// No payloads.
    pub fn new() -> Self {
        Payloads::default()
    }

    /// The payloads of a received stanza whose `typed` children are read
    /// into fields: one copy of the others if there is any, none
    /// otherwise.
    pub(crate) fn of_stanza(source: StanzaSource<'_>, typed: &'static [&'static str]) -> Self {
        let stanza = source.root();
        let ns = stanza.ns();
        match stanza.to_owned_with_children(|child| !is_typed(ns, child, typed)) {
            Some(copy) => Payloads {
                store: Store::Stanza(copy),
            },
            None => Payloads::new(),
        }
    }

    /// The payloads, in document order.
    pub fn iter(&self) -> impl Iterator<Item = ElementRef<'_>> + '_ {
        let (elements, stanza) = match &self.store {
            Store::Elements(elements) => (elements.as_slice(), None),
            Store::Stanza(copy) => (&[][..], Some(copy.root())),
        };
        // `nodes()` rather than `children()`: its iterator owns what it
        // needs, so it outlives the `root` view made here.
        let kept = stanza.into_iter().flat_map(|root| {
            root.nodes().filter_map(|node| match node {
                Node::Element(child) => Some(child),
                Node::Text(_) => None,
            })
        });
        elements.iter().map(Element::root).chain(kept)
    }

    /// The first payload `name` in namespace `ns`.
    pub fn find(&self, name: &str, ns: &str) -> Option<ElementRef<'_>> {
        self.iter().find(|p| p.is(name, ns))
    }

    /// How many payloads there are.
    pub fn len(&self) -> usize {
        match &self.store {
            Store::Elements(elements) => elements.len(),
            Store::Stanza(_) => self.iter().count(),
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Appends a payload. (A received stanza's payloads are first copied
    /// out of its arena, one element each.)
    pub fn push(&mut self, payload: Element) {
        if let Store::Stanza(_) = self.store {
            self.store = Store::Elements(self.iter().map(|p| p.to_owned()).collect());
        }
        if let Store::Elements(elements) = &mut self.store {
            elements.push(payload);
        }
    }
}

impl From<Vec<Element>> for Payloads {
    fn from(elements: Vec<Element>) -> Self {
        Payloads {
            store: Store::Elements(elements),
        }
    }
}

impl FromIterator<Element> for Payloads {
    fn from_iter<I: IntoIterator<Item = Element>>(iter: I) -> Self {
        Payloads::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl PartialEq for Payloads {
    /// The same payloads in the same order, however each side stores them.
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Payloads {}

impl fmt::Debug for Payloads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(name: &str, ns: &str) -> Element {
        Element::builder(name, ns).build().unwrap()
    }

    /// `<message>` with a body, a `body` of another namespace and a chat
    /// state.
    fn stanza() -> Element {
        Element::builder("message", "jabber:client")
            .child(element("body", "jabber:client"))
            .child(element("body", "urn:example:not-a-body"))
            .child(element("active", "http://jabber.org/protocol/chatstates"))
            .build()
            .unwrap()
    }

    #[test]
    fn a_received_stanza_keeps_the_children_no_field_claims() {
        let stanza = stanza();
        let payloads = Payloads::of_stanza((&stanza).into(), &["body"]);
        let names: Vec<_> = payloads.iter().map(|p| (p.name(), p.ns())).collect();
        assert_eq!(
            names,
            [
                ("body", "urn:example:not-a-body"),
                ("active", "http://jabber.org/protocol/chatstates")
            ]
        );
        assert_eq!(payloads.len(), 2);
        assert!(!payloads.is_empty());
        assert!(
            payloads
                .find("active", "http://jabber.org/protocol/chatstates")
                .is_some()
        );
        assert!(payloads.find("body", "jabber:client").is_none());
        // Stored one way or the other, the same payloads are equal.
        let built: Payloads = [
            element("body", "urn:example:not-a-body"),
            element("active", "http://jabber.org/protocol/chatstates"),
        ]
        .into_iter()
        .collect();
        assert_eq!(payloads, built);
        assert_ne!(payloads, Payloads::new());
        // Read from a view instead of the whole element: the same payloads.
        assert_eq!(
            Payloads::of_stanza(stanza.root().into(), &["body"]),
            payloads
        );
    }

    #[test]
    fn a_stanza_without_payloads_costs_no_copy() {
        let stanza = Element::builder("message", "jabber:client")
            .child(element("body", "jabber:client"))
            .build()
            .unwrap();
        let payloads = Payloads::of_stanza((&stanza).into(), &["body"]);
        assert!(payloads.is_empty());
        assert_eq!(payloads.len(), 0);
        assert!(matches!(payloads.store, Store::Elements(ref e) if e.capacity() == 0));
    }

    #[test]
    fn pushing_onto_received_payloads_keeps_their_order() {
        let stanza = stanza();
        let mut payloads = Payloads::of_stanza((&stanza).into(), &["body"]);
        payloads.push(element("request", "urn:xmpp:receipts"));
        let names: Vec<_> = payloads.iter().map(|p| p.name()).collect();
        assert_eq!(names, ["body", "active", "request"]);
        assert_eq!(payloads.len(), 3);
    }
}
