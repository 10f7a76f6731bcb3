//! The available resources of every contact, from the presence received
//! (RFC 6121 §4).

use std::collections::BTreeMap;

use stanzio_jid::{BareJid, Jid};
use stanzio_stanza::{Presence, PresenceType, Show};

/// The last available presence of one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePresence {
    /// The address it came from (a full JID, or a bare one for an entity
    /// without resources).
    pub jid: Jid,
    /// The presence as received.
    pub presence: Presence,
    /// Order of arrival, for ties.
    received: u64,
}

impl ResourcePresence {
    /// `<show/>`.
    pub fn show(&self) -> Option<Show> {
        self.presence.show
    }

    /// `<status/>` in the stanza's language, else the first.
    pub fn status(&self) -> Option<&str> {
        self.presence.status()
    }

    /// `<priority/>`.
    pub fn priority(&self) -> i8 {
        self.presence.priority
    }
}

/// How eager a `<show/>` is to talk, for choosing among resources of the
/// same priority: `chat` first, then plain available, `away`, `xa`,
/// `dnd`. RFC 6121 leaves the choice to the client; this order is the
/// common one.
fn eagerness(show: Option<Show>) -> u8 {
    match show {
        Some(Show::Chat) => 4,
        None => 3,
        Some(Show::Away) => 2,
        Some(Show::Xa) => 1,
        Some(Show::Dnd) => 0,
    }
}

/// Every contact's available resources.
#[derive(Debug, Clone)]
pub struct PresenceTracker {
    contacts: BTreeMap<BareJid, BTreeMap<String, ResourcePresence>>,
    count: usize,
    limit: usize,
    received: u64,
}

/// A new resource would exceed the limit of tracked resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooManyResources;

impl PresenceTracker {
    pub(crate) fn new(limit: usize) -> Self {
        PresenceTracker {
            contacts: BTreeMap::new(),
            count: 0,
            limit,
            received: 0,
        }
    }

    /// The available resources of `contact`.
    pub fn resources(&self, contact: &BareJid) -> impl Iterator<Item = &ResourcePresence> + '_ {
        self.contacts
            .get(contact)
            .into_iter()
            .flat_map(|r| r.values())
    }

    /// Whether `contact` has an available resource.
    pub fn is_available(&self, contact: &BareJid) -> bool {
        self.contacts.contains_key(contact)
    }

    /// The resource to talk to: the highest priority, then the most
    /// eager `<show/>`, then the most recent.
    pub fn best(&self, contact: &BareJid) -> Option<&ResourcePresence> {
        self.resources(contact)
            .max_by_key(|r| (r.presence.priority, eagerness(r.presence.show), r.received))
    }

    /// Every contact with an available resource.
    pub fn available_contacts(&self) -> impl Iterator<Item = &BareJid> + '_ {
        self.contacts.keys()
    }

    /// How many resources are tracked.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Takes in an available or unavailable presence with `from` set.
    pub(crate) fn update(
        &mut self,
        from: &Jid,
        presence: &Presence,
    ) -> Result<(), TooManyResources> {
        match presence.type_ {
            PresenceType::Available => {
                let resources = self.contacts.entry(from.to_bare()).or_default();
                let key = from.resource().unwrap_or_default().to_owned();
                if !resources.contains_key(&key) {
                    if self.count >= self.limit {
                        if resources.is_empty() {
                            self.contacts.remove(&from.to_bare());
                        }
                        return Err(TooManyResources);
                    }
                    self.count += 1;
                }
                self.received += 1;
                resources.insert(
                    key,
                    ResourcePresence {
                        jid: from.clone(),
                        presence: presence.clone(),
                        received: self.received,
                    },
                );
            }
            _ => self.remove(from),
        }
        Ok(())
    }

    /// Forgets every resource `blocked` says yes to.
    pub(crate) fn forget(&mut self, blocked: impl Fn(&Jid) -> bool) {
        for resources in self.contacts.values_mut() {
            let before = resources.len();
            resources.retain(|_, r| !blocked(&r.jid));
            self.count -= before - resources.len();
        }
        self.contacts.retain(|_, resources| !resources.is_empty());
    }

    /// Forgets `jid`: that resource, or every resource of a bare JID (an
    /// unavailable from the bare JID, RFC 6121 §4.5.3, or an error).
    pub(crate) fn remove(&mut self, jid: &Jid) {
        let bare = jid.to_bare();
        let Some(resources) = self.contacts.get_mut(&bare) else {
            return;
        };
        let before = resources.len();
        match jid.resource() {
            Some(resource) => {
                resources.remove(resource);
            }
            None => resources.clear(),
        }
        self.count -= before - resources.len();
        if resources.is_empty() {
            self.contacts.remove(&bare);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        s.parse().unwrap()
    }

    fn available(priority: i8, show: Option<Show>) -> Presence {
        let mut p = Presence::available().with_priority(priority);
        p.show = show;
        p
    }

    #[test]
    fn the_best_resource_is_chosen_by_priority_then_show_then_recency() {
        let mut t = PresenceTracker::new(10);
        let romeo: BareJid = "romeo@montague.lit".parse().unwrap();
        t.update(&jid("romeo@montague.lit/a"), &available(1, Some(Show::Dnd)))
            .unwrap();
        t.update(
            &jid("romeo@montague.lit/b"),
            &available(1, Some(Show::Away)),
        )
        .unwrap();
        assert_eq!(t.best(&romeo).unwrap().jid, jid("romeo@montague.lit/b"));
        t.update(
            &jid("romeo@montague.lit/c"),
            &available(1, Some(Show::Away)),
        )
        .unwrap();
        assert_eq!(t.best(&romeo).unwrap().jid, jid("romeo@montague.lit/c"));
        t.update(&jid("romeo@montague.lit/a"), &available(2, Some(Show::Dnd)))
            .unwrap();
        assert_eq!(t.best(&romeo).unwrap().jid, jid("romeo@montague.lit/a"));
        assert_eq!(t.resources(&romeo).count(), 3);
        assert_eq!(t.len(), 3);
        t.update(&jid("romeo@montague.lit/a"), &Presence::unavailable())
            .unwrap();
        assert_eq!(t.best(&romeo).unwrap().jid, jid("romeo@montague.lit/c"));
        // An unavailable from the bare JID ends them all.
        t.update(&jid("romeo@montague.lit"), &Presence::unavailable())
            .unwrap();
        assert!(!t.is_available(&romeo));
        assert!(t.is_empty());
    }

    #[test]
    fn resources_are_bounded() {
        let mut t = PresenceTracker::new(1);
        t.update(&jid("a@b/1"), &available(0, None)).unwrap();
        // Updating a known resource is always possible.
        t.update(&jid("a@b/1"), &available(3, None)).unwrap();
        assert_eq!(
            t.update(&jid("c@d/1"), &available(0, None)),
            Err(TooManyResources)
        );
        assert!(!t.is_available(&"c@d".parse().unwrap()));
        assert_eq!(t.available_contacts().count(), 1);
    }

    #[test]
    fn forgetting_removes_what_matches_and_frees_room() {
        let mut t = PresenceTracker::new(3);
        for j in ["a@b/1", "a@b/2", "c@d/1"] {
            t.update(&jid(j), &available(0, None)).unwrap();
        }
        t.forget(|j| j.to_bare().as_str() == "a@b");
        assert_eq!(t.len(), 1);
        assert!(!t.is_available(&"a@b".parse().unwrap()));
        assert!(t.is_available(&"c@d".parse().unwrap()));
        t.update(&jid("e@f/1"), &available(0, None)).unwrap();
        t.update(&jid("g@h/1"), &available(0, None)).unwrap();
        assert_eq!(t.len(), 3);
    }
}
