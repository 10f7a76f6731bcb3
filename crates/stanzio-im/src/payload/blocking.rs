//! XEP-0191 Blocking Command: `<blocklist/>`, `<block/>`, `<unblock/>` in
//! `urn:xmpp:blocking`, and the list itself with its matching rule.

use stanzio_jid::Jid;
use stanzio_xml::{Element, ElementRef};

use super::{PayloadError, jid_attr, unexpected};
use crate::NS_BLOCKING;

/// A XEP-0191 payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockingCommand {
    /// `<blocklist/>`: empty in a get, the list in the result (§3.2).
    Blocklist(Vec<Jid>),
    /// `<block/>`: in a set, the JIDs to block (at least one); in a push,
    /// the JIDs that were blocked (§3.3).
    Block(Vec<Jid>),
    /// `<unblock/>`: the JIDs to unblock; none means all (§3.4, §3.5).
    Unblock(Vec<Jid>),
}

impl BlockingCommand {
    /// The element name.
    pub fn as_str(&self) -> &'static str {
        match self {
            BlockingCommand::Blocklist(_) => "blocklist",
            BlockingCommand::Block(_) => "block",
            BlockingCommand::Unblock(_) => "unblock",
        }
    }

    /// The JIDs it carries.
    pub fn jids(&self) -> &[Jid] {
        match self {
            BlockingCommand::Blocklist(jids)
            | BlockingCommand::Block(jids)
            | BlockingCommand::Unblock(jids) => jids,
        }
    }

    /// Reads any of the three elements.
    ///
    /// # Errors
    ///
    /// [`PayloadError`] for another element, a child other than `<item/>`
    /// or an item without a valid `jid`.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, PayloadError> {
        let make: fn(Vec<Jid>) -> BlockingCommand = match (element.ns(), element.name()) {
            (NS_BLOCKING, "blocklist") => BlockingCommand::Blocklist,
            (NS_BLOCKING, "block") => BlockingCommand::Block,
            (NS_BLOCKING, "unblock") => BlockingCommand::Unblock,
            _ => return Err(unexpected(element, "blocklist|block|unblock", NS_BLOCKING)),
        };
        let mut jids = Vec::new();
        for child in element.children() {
            if !child.is("item", NS_BLOCKING) {
                return Err(PayloadError::UnexpectedChild {
                    element: "block",
                    child: child.name().to_owned(),
                });
            }
            jids.push(jid_attr(child, "item")?);
        }
        Ok(make(jids))
    }

    /// Writes the element.
    ///
    /// # Errors
    ///
    /// None in practice (JIDs are valid XML text); kept for symmetry with
    /// the other writers.
    pub fn to_element(&self) -> Result<Element, PayloadError> {
        let mut element = Element::builder(self.as_str(), NS_BLOCKING);
        for jid in self.jids() {
            element = element.child(
                Element::builder("item", NS_BLOCKING)
                    .attr("jid", jid.as_str())
                    .build()?,
            );
        }
        Ok(element.build()?)
    }
}

/// A blocklist: the JIDs one account blocks, matched as XEP-0191 §6
/// (through XEP-0016 §2.1) matches them: an entry `user@domain/resource`
/// blocks that full JID, `user@domain` every resource of that account,
/// `domain/resource` that full JID of the domain, `domain` everything at
/// that domain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blocklist {
    entries: Vec<Jid>,
}

impl Blocklist {
    /// An empty list.
    pub fn new() -> Self {
        Blocklist::default()
    }

    /// The entries, in the order they were added.
    pub fn entries(&self) -> &[Jid] {
        &self.entries
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether a stanza from or to `jid` is blocked by an entry.
    pub fn is_blocked(&self, jid: &Jid) -> bool {
        self.entries.iter().any(|entry| entry_matches(entry, jid))
    }

    /// Adds entries not already present; returns those that were new.
    pub fn block(&mut self, jids: &[Jid]) -> Vec<Jid> {
        let mut added = Vec::new();
        for jid in jids {
            if !self.entries.contains(jid) {
                self.entries.push(jid.clone());
                added.push(jid.clone());
            }
        }
        added
    }

    /// Removes the entries named (exactly, not by matching); returns those
    /// that were present.
    pub fn unblock(&mut self, jids: &[Jid]) -> Vec<Jid> {
        let mut removed = Vec::new();
        self.entries.retain(|entry| {
            let named = jids.contains(entry);
            if named {
                removed.push(entry.clone());
            }
            !named
        });
        removed
    }

    /// Removes every entry (XEP-0191 §3.5); returns them.
    pub fn clear(&mut self) -> Vec<Jid> {
        std::mem::take(&mut self.entries)
    }
}

impl From<Vec<Jid>> for Blocklist {
    fn from(jids: Vec<Jid>) -> Self {
        let mut list = Blocklist::new();
        list.block(&jids);
        list
    }
}

/// Whether the blocklist `entry` covers `jid` (XEP-0016 §2.1, the four
/// forms of a `jid` item).
fn entry_matches(entry: &Jid, jid: &Jid) -> bool {
    if entry.domain() != jid.domain() {
        return false;
    }
    match (entry.node(), entry.resource()) {
        // <domain>: the whole domain, every user and resource.
        (None, None) => true,
        // <domain/resource>: that one full JID of the domain.
        (None, Some(resource)) => jid.node().is_none() && jid.resource() == Some(resource),
        // <user@domain>: every resource of the account.
        (Some(node), None) => jid.node() == Some(node),
        // <user@domain/resource>: exactly that.
        (Some(_), Some(_)) => entry == jid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        s.parse().unwrap()
    }

    #[test]
    fn each_entry_form_covers_what_xep_0016_says() {
        // (entry, jid, blocked?)
        let table = [
            (
                "romeo@montague.lit/orchard",
                "romeo@montague.lit/orchard",
                true,
            ),
            (
                "romeo@montague.lit/orchard",
                "romeo@montague.lit/garden",
                false,
            ),
            ("romeo@montague.lit/orchard", "romeo@montague.lit", false),
            ("romeo@montague.lit", "romeo@montague.lit", true),
            ("romeo@montague.lit", "romeo@montague.lit/orchard", true),
            ("romeo@montague.lit", "benvolio@montague.lit", false),
            ("romeo@montague.lit", "montague.lit", false),
            ("montague.lit/orchard", "montague.lit/orchard", true),
            ("montague.lit/orchard", "romeo@montague.lit/orchard", false),
            ("montague.lit/orchard", "montague.lit", false),
            ("montague.lit", "montague.lit", true),
            ("montague.lit", "romeo@montague.lit/orchard", true),
            ("montague.lit", "capulet.lit", false),
            ("montague.lit", "romeo@sub.montague.lit", false),
        ];
        for (entry, target, blocked) in table {
            let list = Blocklist::from(vec![jid(entry)]);
            assert_eq!(
                list.is_blocked(&jid(target)),
                blocked,
                "{entry} vs {target}"
            );
        }
    }

    #[test]
    fn block_unblock_and_clear_report_what_changed() {
        let mut list = Blocklist::new();
        assert_eq!(
            list.block(&[jid("a@b"), jid("c@d")]),
            [jid("a@b"), jid("c@d")]
        );
        assert_eq!(list.block(&[jid("a@b")]), Vec::<Jid>::new());
        assert_eq!(list.len(), 2);
        assert_eq!(list.unblock(&[jid("a@b"), jid("x@y")]), [jid("a@b")]);
        assert_eq!(list.entries(), [jid("c@d")]);
        assert_eq!(list.clear(), [jid("c@d")]);
        assert!(list.is_empty());
    }

    #[test]
    fn the_xep_0191_examples_are_read() {
        let block = Element::builder("block", NS_BLOCKING)
            .child(
                Element::builder("item", NS_BLOCKING)
                    .attr("jid", "romeo@montague.net")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            BlockingCommand::from_element(block.root()).unwrap(),
            BlockingCommand::Block(vec![jid("romeo@montague.net")])
        );
        let all = Element::builder("unblock", NS_BLOCKING).build().unwrap();
        assert_eq!(
            BlockingCommand::from_element(all.root()).unwrap(),
            BlockingCommand::Unblock(vec![])
        );
        let no_jid = Element::builder("blocklist", NS_BLOCKING)
            .child(Element::builder("item", NS_BLOCKING).build().unwrap())
            .build()
            .unwrap();
        assert!(matches!(
            BlockingCommand::from_element(no_jid.root()),
            Err(PayloadError::MissingAttribute { .. })
        ));
        let other = Element::builder("block", "urn:xmpp:blocking:errors")
            .build()
            .unwrap();
        assert!(BlockingCommand::from_element(other.root()).is_err());
    }
}
