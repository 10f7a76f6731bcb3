//! The client's copy of the roster (RFC 6121 §2) with its XEP-0237
//! version, which the application may persist and hand back.

use std::collections::BTreeMap;

use stanzio_jid::BareJid;

use crate::payload::{RosterItem, Subscription};

/// The roster as the client knows it: items by JID and the version they
/// are at (XEP-0237). Persist it (its fields are plain data) and hand it
/// back with [`ImClient::with_roster`](super::ImClient::with_roster) to
/// fetch only what changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    version: Option<String>,
    items: BTreeMap<BareJid, RosterItem>,
}

/// What a roster push changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterChange {
    /// A contact was added.
    Added(RosterItem),
    /// A contact's item changed.
    Updated {
        /// What it was.
        previous: RosterItem,
        /// What it is.
        item: RosterItem,
    },
    /// A contact was removed (this was its last item).
    Removed(RosterItem),
}

impl Roster {
    /// An empty roster without version.
    pub fn new() -> Self {
        Roster::default()
    }

    /// A roster from persisted parts.
    pub fn from_parts(
        version: Option<String>,
        items: impl IntoIterator<Item = RosterItem>,
    ) -> Self {
        Roster {
            version,
            items: items.into_iter().map(|i| (i.jid.clone(), i)).collect(),
        }
    }

    /// The XEP-0237 version the items are at.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The item for `jid`.
    pub fn get(&self, jid: &BareJid) -> Option<&RosterItem> {
        self.items.get(jid)
    }

    /// Every item, by JID.
    pub fn items(&self) -> impl Iterator<Item = &RosterItem> + '_ {
        self.items.values()
    }

    /// How many items there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Replaces everything with a fetched roster.
    pub(crate) fn replace(&mut self, version: Option<String>, items: Vec<RosterItem>) {
        *self = Roster::from_parts(version, items);
    }

    /// Applies a push of `item` (RFC 6121 §2.1.6). `None` if nothing
    /// changed (a removal of an unknown item, or the same item again).
    pub(crate) fn apply(
        &mut self,
        item: RosterItem,
        version: Option<String>,
    ) -> Option<RosterChange> {
        if version.is_some() {
            self.version = version;
        }
        if item.subscription == Subscription::Remove {
            return self.items.remove(&item.jid).map(RosterChange::Removed);
        }
        match self.items.insert(item.jid.clone(), item.clone()) {
            None => Some(RosterChange::Added(item)),
            Some(previous) if previous == item => None,
            Some(previous) => Some(RosterChange::Updated { previous, item }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_add_update_and_remove() {
        let jid: BareJid = "romeo@montague.lit".parse().unwrap();
        let mut roster = Roster::new();
        let item = RosterItem::new(jid.clone()).with_name("Romeo");
        assert_eq!(
            roster.apply(item.clone(), Some("1".into())),
            Some(RosterChange::Added(item.clone()))
        );
        assert_eq!(roster.apply(item.clone(), None), None);
        assert_eq!(roster.version(), Some("1"));
        let both = RosterItem {
            subscription: Subscription::Both,
            ..item.clone()
        };
        assert_eq!(
            roster.apply(both.clone(), Some("2".into())),
            Some(RosterChange::Updated {
                previous: item,
                item: both.clone()
            })
        );
        assert_eq!(roster.get(&jid), Some(&both));
        assert_eq!(
            roster.apply(RosterItem::remove(jid.clone()), Some("3".into())),
            Some(RosterChange::Removed(both))
        );
        assert!(roster.is_empty());
        assert_eq!(roster.apply(RosterItem::remove(jid), None), None);
        assert_eq!(roster.version(), Some("3"));
    }
}
