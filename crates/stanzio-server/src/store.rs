//! The IM logic's [`AccountStore`] over the server's [`Storage`]: rosters
//! with their full RFC 6121 Appendix A state, blocklists, and offline
//! messages kept as their XML.

use std::sync::Arc;

use stanzio_im::payload::{Blocklist, Subscription};
use stanzio_im::server::RosterEntry;
use stanzio_im::subscription::SubscriptionState;
use stanzio_im::{AccountStore, NS_DELAY};
use stanzio_jid::{BareJid, Jid};
use stanzio_stanza::{Message, Stanza, StreamContext};
use stanzio_xml::{ContentNamespace, Element, Limits, StreamEvent, StreamReader, StreamWriter};

use crate::storage::{Storage, StorageError, StoredRosterItem};

/// [`Storage`] seen by the IM logic.
pub struct ImStore {
    storage: Arc<dyn Storage>,
    offline_limit: usize,
}

impl ImStore {
    /// The IM view of `storage`, keeping at most `offline_limit` messages
    /// per account.
    pub fn new(storage: Arc<dyn Storage>, offline_limit: usize) -> Self {
        ImStore {
            storage,
            offline_limit,
        }
    }
}

fn to_entry(item: StoredRosterItem) -> Option<RosterEntry> {
    let subscription: Subscription = item.subscription.parse().ok()?;
    let state = SubscriptionState::from_parts(subscription, item.ask, item.pending_in)?;
    let mut entry = RosterEntry::new(item.jid);
    entry.name = item.name;
    entry.groups = item.groups;
    entry.state = state;
    entry.approved = item.approved;
    entry.in_roster = item.in_roster;
    Some(entry)
}

fn to_item(entry: &RosterEntry) -> StoredRosterItem {
    StoredRosterItem {
        jid: entry.jid.clone(),
        name: entry.name.clone(),
        subscription: entry.state.subscription().as_str().to_owned(),
        ask: entry.state.pending_out(),
        approved: entry.approved,
        pending_in: entry.state.pending_in(),
        in_roster: entry.in_roster,
        groups: entry.groups.clone(),
    }
}

/// A message as the XML stored for it.
fn message_xml(message: &Message) -> Result<String, StorageError> {
    let mut out = Vec::new();
    let mut writer = StreamWriter::new(ContentNamespace::Client).element(&mut out);
    Stanza::Message(message.clone()).write_to(&mut writer);
    writer
        .finish()
        .map_err(|error| StorageError::Message(error.to_string()))?;
    String::from_utf8(out).map_err(|error| StorageError::Message(error.to_string()))
}

/// The server application owns the clock.
#[allow(clippy::disallowed_methods)]
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// `<delay xmlns='urn:xmpp:delay' from='domain' stamp='…'/>` (XEP-0203)
/// for `unix_seconds`.
fn delay(domain: &str, unix_seconds: u64) -> Result<Element, StorageError> {
    Element::builder("delay", NS_DELAY)
        .attr("from", domain)
        .attr("stamp", &utc_stamp(unix_seconds))
        .build()
        .map_err(|error| StorageError::Message(error.to_string()))
}

/// `unix_seconds` as an XEP-0082 DateTime in UTC (`2026-12-02T17:10:00Z`);
/// the civil date from the day count as in Hinnant's `civil_from_days`.
fn utc_stamp(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let seconds = unix_seconds % 86_400;
    // Days from 0000-03-01, so that the leap day ends each 400-year era.
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// Reads back what [`message_xml`] stored.
fn stored_message(xml: &str) -> Option<Message> {
    let mut reader = StreamReader::new(Limits::default());
    let mut header: &[u8] = b"<stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams'>";
    reader.read(&mut header).ok()?;
    let mut input = xml.as_bytes();
    let Ok(Some(StreamEvent::Element(element))) = reader.read(&mut input) else {
        return None;
    };
    let context = StreamContext::new(ContentNamespace::Client);
    match Stanza::from_element(element.root(), &context) {
        Ok(Stanza::Message(message)) => Some(message),
        _ => None,
    }
}

impl AccountStore for ImStore {
    type Error = StorageError;

    fn account_exists(&self, account: &BareJid) -> Result<bool, StorageError> {
        self.storage.account_exists(account)
    }

    fn roster(&self, account: &BareJid) -> Result<(u64, Vec<RosterEntry>), StorageError> {
        let (version, items) = self.storage.roster(account)?;
        Ok((version, items.into_iter().filter_map(to_entry).collect()))
    }

    fn roster_entry(
        &self,
        account: &BareJid,
        contact: &BareJid,
    ) -> Result<Option<RosterEntry>, StorageError> {
        let (_, items) = self.storage.roster(account)?;
        Ok(items
            .into_iter()
            .find(|item| item.jid == *contact)
            .and_then(to_entry))
    }

    fn put_roster_entry(
        &mut self,
        account: &BareJid,
        entry: RosterEntry,
    ) -> Result<u64, StorageError> {
        self.storage.put_roster_item(account, &to_item(&entry))
    }

    fn remove_roster_entry(
        &mut self,
        account: &BareJid,
        contact: &BareJid,
    ) -> Result<u64, StorageError> {
        self.storage.remove_roster_item(account, contact)
    }

    fn blocklist(&self, account: &BareJid) -> Result<Blocklist, StorageError> {
        let jids: Vec<Jid> = self
            .storage
            .blocklist(account)?
            .iter()
            .filter_map(|jid| Jid::new(jid).ok())
            .collect();
        let mut list = Blocklist::new();
        list.block(&jids);
        Ok(list)
    }

    fn set_blocklist(&mut self, account: &BareJid, list: Blocklist) -> Result<(), StorageError> {
        let wanted: Vec<String> = list.entries().iter().map(ToString::to_string).collect();
        let current = self.storage.blocklist(account)?;
        let gone: Vec<String> = current
            .iter()
            .filter(|jid| !wanted.contains(jid))
            .cloned()
            .collect();
        if !gone.is_empty() {
            self.storage.unblock(account, &gone)?;
        }
        self.storage.block(account, &wanted)
    }

    fn store_offline(
        &mut self,
        account: &BareJid,
        mut message: Message,
    ) -> Result<bool, StorageError> {
        // XEP-0160 §5 / XEP-0203: the recipient learns when the server
        // took the message, not only when it came online.
        message.payloads.push(delay(account.domain(), unix_now())?);
        let xml = message_xml(&message)?;
        self.storage
            .store_offline(account, &xml, self.offline_limit)
    }

    fn take_offline(&mut self, account: &BareJid) -> Result<Vec<Message>, StorageError> {
        Ok(self
            .storage
            .take_offline(account)?
            .iter()
            .filter_map(|xml| stored_message(xml))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SqliteStorage;
    use stanzio_sasl::RecordParameters;

    fn store() -> (ImStore, BareJid) {
        let storage = SqliteStorage::in_memory(RecordParameters::default()).unwrap();
        let owner: BareJid = "juliet@capulet.lit".parse().unwrap();
        storage.create_account(&owner, "x").unwrap();
        (ImStore::new(Arc::new(storage), 2), owner)
    }

    #[test]
    fn every_subscription_state_survives_the_store() {
        let (mut store, owner) = store();
        for (i, state) in SubscriptionState::ALL.into_iter().enumerate() {
            let mut entry = RosterEntry::new(format!("c{i}@montague.lit").parse().unwrap());
            entry.state = state;
            entry.in_roster = i % 2 == 0;
            entry.approved = i % 3 == 0;
            entry.name = Some(format!("contact {i}"));
            entry.groups = vec!["a".into(), "b".into()];
            store.put_roster_entry(&owner, entry.clone()).unwrap();
            assert_eq!(store.roster_entry(&owner, &entry.jid).unwrap(), Some(entry));
        }
        assert_eq!(
            store.roster(&owner).unwrap().1.len(),
            SubscriptionState::ALL.len()
        );
    }

    #[test]
    fn offline_messages_come_back_as_they_were_and_are_bounded() {
        let (mut store, owner) = store();
        let message = Message::chat("juliet@capulet.lit".parse().unwrap(), "good night")
            .with_from("romeo@montague.lit/orchard".parse().unwrap());
        assert!(store.store_offline(&owner, message.clone()).unwrap());
        assert!(store.store_offline(&owner, message.clone()).unwrap());
        assert!(!store.store_offline(&owner, message.clone()).unwrap());
        let back = store.take_offline(&owner).unwrap();
        assert_eq!(back.len(), 2);
        for stored in back {
            // As it was, plus when the server took it (XEP-0203).
            let delay = stored.payloads.find("delay", NS_DELAY).unwrap();
            assert_eq!(delay.attr("from"), Some("capulet.lit"));
            let stamp = delay.attr("stamp").unwrap();
            assert!(stamp.len() == 20 && stamp.ends_with('Z'), "{stamp}");
            let mut without = stored.clone();
            without.payloads = stored
                .payloads
                .iter()
                .filter(|p| !p.is("delay", NS_DELAY))
                .map(|p| p.to_owned())
                .collect();
            assert_eq!(without, message);
        }
    }

    #[test]
    fn stamps_are_xep_0082_utc_date_times() {
        assert_eq!(utc_stamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_stamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_stamp(1_796_232_600), "2026-12-02T17:30:00Z");
        assert_eq!(utc_stamp(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn the_blocklist_is_replaced_whole() {
        let (mut store, owner) = store();
        let mut list = Blocklist::new();
        list.block(&[
            "tybalt@capulet.lit".parse().unwrap(),
            "montague.lit".parse().unwrap(),
        ]);
        store.set_blocklist(&owner, list).unwrap();
        let mut smaller = Blocklist::new();
        smaller.block(&["montague.lit".parse().unwrap()]);
        store.set_blocklist(&owner, smaller.clone()).unwrap();
        assert_eq!(store.blocklist(&owner).unwrap(), smaller);
    }
}
