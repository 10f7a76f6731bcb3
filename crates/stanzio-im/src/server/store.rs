//! What the IM server keeps per account, behind [`AccountStore`]: rosters
//! with their subscription states and versions, blocklists, offline
//! messages. [`MemoryStore`] keeps them in memory (tests, small servers);
//! a database implements the same trait.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;

use stanzio_jid::BareJid;
use stanzio_stanza::Message;

use crate::payload::{Blocklist, RosterItem};
use crate::subscription::SubscriptionState;

/// One contact in an account's roster, as the server keeps it: what the
/// roster item shows and the full subscription state of RFC 6121 A.1,
/// including a contact's pending request, which no item shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// The contact.
    pub jid: BareJid,
    /// The user's name for the contact.
    pub name: Option<String>,
    /// The user's groups for the contact.
    pub groups: Vec<String>,
    /// The subscription state (RFC 6121 A.1).
    pub state: SubscriptionState,
    /// The user pre-approved the contact's request (RFC 6121 §3.4).
    pub approved: bool,
    /// Whether the user's roster shows this entry. `false` for an entry
    /// that only holds the contact's pending request: RFC 6121 A.1 creates
    /// no roster item for "None + Pending In".
    pub in_roster: bool,
}

impl RosterEntry {
    /// An entry for `jid` in state None, not (yet) in the roster.
    pub fn new(jid: BareJid) -> Self {
        RosterEntry {
            jid,
            name: None,
            groups: Vec::new(),
            state: SubscriptionState::None,
            approved: false,
            in_roster: false,
        }
    }

    /// The roster item a client sees.
    pub fn to_item(&self) -> RosterItem {
        RosterItem {
            jid: self.jid.clone(),
            name: self.name.clone(),
            subscription: self.state.subscription(),
            ask: self.state.pending_out(),
            approved: self.approved,
            groups: self.groups.clone(),
        }
    }
}

/// The server's per-account IM state. Versions are the XEP-0237 roster
/// versions: a number that grows with every change of the roster.
///
/// Every method may fail (a database); the server then answers the
/// request at hand with `internal-server-error` and reports
/// [`ServerOutput::InternalError`](super::ServerOutput::InternalError).
pub trait AccountStore {
    /// Why an operation failed.
    type Error: std::fmt::Display;

    /// Whether the server hosts `account`.
    ///
    /// # Errors
    ///
    /// Storage failures.
    fn account_exists(&self, account: &BareJid) -> Result<bool, Self::Error>;

    /// Every entry of `account` (those not in the roster too) and the
    /// roster version.
    ///
    /// # Errors
    ///
    /// Storage failures.
    fn roster(&self, account: &BareJid) -> Result<(u64, Vec<RosterEntry>), Self::Error>;

    /// The entry of `account` for `contact`, if any.
    ///
    /// # Errors
    ///
    /// Storage failures.
    fn roster_entry(
        &self,
        account: &BareJid,
        contact: &BareJid,
    ) -> Result<Option<RosterEntry>, Self::Error>;

    /// Adds or replaces the entry for `entry.jid`; returns the new roster
    /// version.
    ///
    /// # Errors
    ///
    /// Storage failures.
    fn put_roster_entry(
        &mut self,
        account: &BareJid,
        entry: RosterEntry,
    ) -> Result<u64, Self::Error>;

    /// Removes the entry for `contact`; returns the new roster version.
    ///
    /// # Errors
    ///
    /// Storage failures.
    fn remove_roster_entry(
        &mut self,
        account: &BareJid,
        contact: &BareJid,
    ) -> Result<u64, Self::Error>;

    /// The blocklist of `account` (XEP-0191).
    ///
    /// # Errors
    ///
    /// Storage failures.
    fn blocklist(&self, account: &BareJid) -> Result<Blocklist, Self::Error>;

    /// Replaces the blocklist of `account`.
    ///
    /// # Errors
    ///
    /// Storage failures.
    fn set_blocklist(&mut self, account: &BareJid, list: Blocklist) -> Result<(), Self::Error>;

    /// Keeps `message` for `account`, offline (XEP-0160); `false` if the
    /// account's storage is full.
    ///
    /// # Errors
    ///
    /// Storage failures.
    fn store_offline(&mut self, account: &BareJid, message: Message) -> Result<bool, Self::Error>;

    /// Takes every message kept for `account`, oldest first.
    ///
    /// # Errors
    ///
    /// Storage failures.
    fn take_offline(&mut self, account: &BareJid) -> Result<Vec<Message>, Self::Error>;
}

#[derive(Debug, Clone, Default)]
struct AccountData {
    version: u64,
    roster: BTreeMap<BareJid, RosterEntry>,
    blocklist: Blocklist,
    offline: VecDeque<Message>,
}

/// An [`AccountStore`] in memory, with a bound on offline messages per
/// account.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    accounts: BTreeMap<BareJid, AccountData>,
    /// How many offline messages one account may have waiting.
    pub offline_limit: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            accounts: BTreeMap::new(),
            offline_limit: 100,
        }
    }
}

impl MemoryStore {
    /// A store without accounts.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// Adds an account (nothing changes if it exists).
    pub fn add_account(&mut self, account: BareJid) {
        self.accounts.entry(account).or_default();
    }

    /// How many offline messages `account` has waiting.
    pub fn offline_count(&self, account: &BareJid) -> usize {
        self.accounts.get(account).map_or(0, |a| a.offline.len())
    }

    fn account(&mut self, account: &BareJid) -> &mut AccountData {
        self.accounts.entry(account.clone()).or_default()
    }
}

impl AccountStore for MemoryStore {
    type Error = Infallible;

    fn account_exists(&self, account: &BareJid) -> Result<bool, Infallible> {
        Ok(self.accounts.contains_key(account))
    }

    fn roster(&self, account: &BareJid) -> Result<(u64, Vec<RosterEntry>), Infallible> {
        Ok(self.accounts.get(account).map_or((0, Vec::new()), |a| {
            (a.version, a.roster.values().cloned().collect())
        }))
    }

    fn roster_entry(
        &self,
        account: &BareJid,
        contact: &BareJid,
    ) -> Result<Option<RosterEntry>, Infallible> {
        Ok(self
            .accounts
            .get(account)
            .and_then(|a| a.roster.get(contact))
            .cloned())
    }

    fn put_roster_entry(
        &mut self,
        account: &BareJid,
        entry: RosterEntry,
    ) -> Result<u64, Infallible> {
        let data = self.account(account);
        data.roster.insert(entry.jid.clone(), entry);
        data.version += 1;
        Ok(data.version)
    }

    fn remove_roster_entry(
        &mut self,
        account: &BareJid,
        contact: &BareJid,
    ) -> Result<u64, Infallible> {
        let data = self.account(account);
        data.roster.remove(contact);
        data.version += 1;
        Ok(data.version)
    }

    fn blocklist(&self, account: &BareJid) -> Result<Blocklist, Infallible> {
        Ok(self
            .accounts
            .get(account)
            .map(|a| a.blocklist.clone())
            .unwrap_or_default())
    }

    fn set_blocklist(&mut self, account: &BareJid, list: Blocklist) -> Result<(), Infallible> {
        self.account(account).blocklist = list;
        Ok(())
    }

    fn store_offline(&mut self, account: &BareJid, message: Message) -> Result<bool, Infallible> {
        let limit = self.offline_limit;
        let data = self.account(account);
        if data.offline.len() >= limit {
            return Ok(false);
        }
        data.offline.push_back(message);
        Ok(true)
    }

    fn take_offline(&mut self, account: &BareJid) -> Result<Vec<Message>, Infallible> {
        Ok(self
            .accounts
            .get_mut(account)
            .map(|a| a.offline.drain(..).collect())
            .unwrap_or_default())
    }
}
