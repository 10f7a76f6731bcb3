//! The IM logic of a server (RFC 6121 server rules, XEP-0191, XEP-0280,
//! XEP-0160, XEP-0030, XEP-0199) for the accounts of the domains it
//! serves, over a caller-owned [`AccountStore`].
//!
//! [`ImServer`] takes the stanzas each bound client session sends (with
//! `from` checked by the stream layer) and the sessions' start and end,
//! and queues what to send where ([`ServerOutput`]). It holds only what
//! lives as long as the sessions (their presence, who asked for the
//! roster or the blocklist, carbons, directed presence); rosters,
//! blocklists and offline messages are the store's.
//!
//! Stanzas for other domains come out as [`ServerOutput::Remote`];
//! server-to-server traffic itself is not handled here.

mod routing;
mod store;

use std::collections::{BTreeMap, VecDeque};

use stanzio_jid::{BareJid, FullJid, Jid};
use stanzio_stanza::{
    Condition, Iq, IqPayload, Message, MessageType, Presence, PresenceType, Stanza, StanzaError,
    StanzaKind, StreamContext,
};
use stanzio_xml::{ContentNamespace, Element};

pub use routing::{
    MessageRoute, SessionRoute, blocked_inbound_error, blocked_outbound_error,
    is_blocked_condition, route_message,
};
pub use store::{AccountStore, MemoryStore, RosterEntry};

use crate::payload::{
    BlockingCommand, Carbon, CarbonDirection, CarbonsCommand, DiscoInfo, Identity, PayloadError,
    Ping, RosterItem, RosterQuery, Subscription,
};
use crate::subscription::{
    Direction, PreApproval, SubscriptionKind, SubscriptionState, transition,
};
use crate::{
    FEATURE_MSGOFFLINE, NS_BLOCKING, NS_CARBONS, NS_DISCO_INFO, NS_HINTS, NS_PING, NS_ROSTER,
};

/// The longest roster item name or group the server keeps, in bytes
/// (RFC 6121 §2.3.3 lets it refuse longer ones with `not-acceptable`).
const MAX_ROSTER_TEXT: usize = 1023;

/// What an [`ImServer`] serves and offers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImServerConfig {
    /// The domains whose accounts this server hosts.
    pub domains: Vec<String>,
    /// The server's identity in disco#info (XEP-0030).
    pub server_identity: Identity,
    /// The features the server advertises in disco#info.
    pub server_features: Vec<String>,
    /// The features an account advertises in disco#info.
    pub account_features: Vec<String>,
    /// Whether subscription pre-approval is offered (RFC 6121 §3.4; the
    /// stream layer advertises `<sub xmlns='urn:xmpp:features:pre-approval'/>`).
    pub pre_approval: bool,
    /// How many directed presences (RFC 6121 §4.6) one session may have
    /// outstanding; more are refused with `resource-constraint`.
    pub max_directed_presences: usize,
    /// How many roster entries one account may have (pending requests from
    /// others included): a roster set or a request beyond it is refused
    /// with `resource-constraint`, an incoming request dropped, so that
    /// strangers cannot grow an account's storage without bound.
    pub max_roster_entries: usize,
    /// How many blocklist entries one account may have; a block beyond it
    /// is refused with `resource-constraint`.
    pub max_blocklist_items: usize,
}

impl ImServerConfig {
    /// A server for `domains`, offering everything this crate implements.
    pub fn new<I, D>(domains: I) -> Self
    where
        I: IntoIterator<Item = D>,
        D: Into<String>,
    {
        ImServerConfig {
            domains: domains.into_iter().map(Into::into).collect(),
            server_identity: Identity::new("server", "im"),
            server_features: [
                NS_DISCO_INFO,
                NS_ROSTER,
                NS_BLOCKING,
                NS_CARBONS,
                NS_PING,
                FEATURE_MSGOFFLINE,
            ]
            .map(str::to_owned)
            .to_vec(),
            account_features: [NS_DISCO_INFO, FEATURE_MSGOFFLINE]
                .map(str::to_owned)
                .to_vec(),
            pre_approval: true,
            max_directed_presences: 64,
            max_roster_entries: 5000,
            max_blocklist_items: 5000,
        }
    }
}

/// What the server application must send, or know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerOutput {
    /// Send `stanza` on the session bound to `to`.
    Deliver {
        /// The session.
        to: FullJid,
        /// The stanza.
        stanza: Stanza,
    },
    /// Route `stanza` to another server (its `to` is not local).
    Remote(Stanza),
    /// The store (or writing a payload) failed while handling a stanza of
    /// `account`; a request was answered with `internal-server-error`.
    InternalError {
        /// Whose stanza it was.
        account: BareJid,
        /// What failed.
        error: String,
    },
}

/// A failure of the store or of a payload writer, as text.
struct Failure(String);

trait OrFail<T> {
    fn or_fail(self) -> Result<T, Failure>;
}

impl<T, E: std::fmt::Display> OrFail<T> for Result<T, E> {
    fn or_fail(self) -> Result<T, Failure> {
        self.map_err(|error| Failure(error.to_string()))
    }
}

/// One bound client session.
#[derive(Debug, Clone)]
struct Session {
    jid: FullJid,
    /// The last available presence it broadcast, stamped; `None` before
    /// its initial presence and after unavailable.
    presence: Option<Presence>,
    /// Asked for the roster: an "interested resource" (RFC 6121 §2.1.6).
    roster_requested: bool,
    /// Asked for the blocklist: receives blocklist pushes (XEP-0191 §3.3).
    blocklist_requested: bool,
    /// Enabled carbons (XEP-0280 §4).
    carbons: bool,
    /// Where it sent directed presence that no subscription covers
    /// (RFC 6121 §4.6.2), to send unavailable there later.
    directed: Vec<Jid>,
}

impl Session {
    fn route(&self) -> SessionRoute {
        SessionRoute {
            jid: self.jid.clone(),
            available: self.presence.is_some(),
            priority: self.presence.as_ref().map_or(0, |p| p.priority),
        }
    }
}

/// The IM logic of a server.
///
/// Methods, in the order of a session's life:
/// - [`session_started`](Self::session_started) when the stream layer
///   bound a resource;
/// - [`handle_stanza`](Self::handle_stanza) for every stanza the session
///   sends;
/// - [`session_ended`](Self::session_ended) when it closes (unavailable
///   presence goes out for it, RFC 6121 §4.5.2);
/// - after each call, drain [`poll_output`](Self::poll_output).
///
/// ```
/// use stanzio_im::{ImServer, ImServerConfig, MemoryStore};
/// use stanzio_im::server::ServerOutput;
/// use stanzio_stanza::{Message, Stanza};
///
/// let mut store = MemoryStore::new();
/// store.add_account("romeo@montague.lit".parse()?);
/// store.add_account("juliet@capulet.lit".parse()?);
/// let mut server = ImServer::new(ImServerConfig::new(["montague.lit", "capulet.lit"]));
/// let romeo = "romeo@montague.lit/orchard".parse()?;
/// server.session_started(romeo);
/// let romeo = "romeo@montague.lit/orchard".parse()?;
///
/// // Juliet is offline: the message is kept for her (XEP-0160).
/// let hello = Message::chat("juliet@capulet.lit".parse()?, "Hello");
/// server.handle_stanza(&mut store, &romeo, Stanza::from(hello));
/// assert_eq!(server.poll_output(), None);
/// assert_eq!(store.offline_count(&"juliet@capulet.lit".parse()?), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ImServer {
    config: ImServerConfig,
    /// The served domains, prepared as JID domainparts.
    domains: Vec<String>,
    sessions: BTreeMap<BareJid, Vec<Session>>,
    output: VecDeque<ServerOutput>,
    /// Numbers the ids of the server's own pushes.
    pushes: u64,
}

impl ImServer {
    /// A server with `config` and no session.
    pub fn new(config: ImServerConfig) -> Self {
        let domains = config
            .domains
            .iter()
            .map(|d| {
                BareJid::from_parts(None, d).map_or_else(|_| d.clone(), |j| j.domain().to_owned())
            })
            .collect();
        ImServer {
            config,
            domains,
            sessions: BTreeMap::new(),
            output: VecDeque::new(),
            pushes: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ImServerConfig {
        &self.config
    }

    /// The next thing to send or know.
    pub fn poll_output(&mut self) -> Option<ServerOutput> {
        self.output.pop_front()
    }

    /// The bound sessions of `account`.
    pub fn sessions(&self, account: &BareJid) -> impl Iterator<Item = &FullJid> + '_ {
        self.account_sessions(account).map(|s| &s.jid)
    }

    /// The last available presence `session` broadcast, if it is
    /// available.
    pub fn presence(&self, session: &FullJid) -> Option<&Presence> {
        self.session(session).and_then(|s| s.presence.as_ref())
    }

    /// A client session was bound to `jid` (replacing any session bound
    /// to it before).
    pub fn session_started(&mut self, jid: FullJid) {
        let sessions = self.sessions.entry(jid.to_bare()).or_default();
        sessions.retain(|s| s.jid != jid);
        sessions.push(Session {
            jid,
            presence: None,
            roster_requested: false,
            blocklist_requested: false,
            carbons: false,
            directed: Vec::new(),
        });
    }

    /// The session bound to `jid` ended: if it was available, its
    /// contacts, the account's other sessions and everyone it sent
    /// directed presence to receive unavailable presence (RFC 6121
    /// §4.5.2, §4.6.3).
    pub fn session_ended<S: AccountStore>(&mut self, store: &mut S, jid: &FullJid) {
        let available = self.session(jid).is_some_and(|s| s.presence.is_some());
        let directed = self.session(jid).is_some_and(|s| !s.directed.is_empty());
        if available || directed {
            let mut gone = Presence::unavailable();
            gone.from = Some(Jid::from(jid.clone()));
            if let Err(failure) = self.broadcast(store, jid, gone) {
                self.fail(jid, failure);
            }
        }
        let account = jid.to_bare();
        if let Some(sessions) = self.sessions.get_mut(&account) {
            sessions.retain(|s| s.jid != *jid);
            if sessions.is_empty() {
                self.sessions.remove(&account);
            }
        }
    }

    /// A stanza the session bound to `sender` sent.
    pub fn handle_stanza<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        stanza: Stanza,
    ) {
        if self.session(sender).is_none() {
            // Only bound sessions speak IM; the stream layer guarantees it.
            return;
        }
        let on_failure = match &stanza {
            Stanza::Iq(iq) => iq.error_reply(
                StanzaError::new(Condition::InternalServerError),
                &reply_context(sender),
            ),
            _ => None,
        };
        let result = match stanza {
            Stanza::Iq(iq) => self.outbound_iq(store, sender, iq),
            Stanza::Presence(presence) => self.outbound_presence(store, sender, presence),
            Stanza::Message(message) => self.outbound_message(store, sender, message),
        };
        if let Err(failure) = result {
            self.fail(sender, failure);
            self.deliver_reply(sender, on_failure);
        }
    }

    fn fail(&mut self, jid: &FullJid, Failure(error): Failure) {
        self.output.push_back(ServerOutput::InternalError {
            account: jid.to_bare(),
            error,
        });
    }

    /// The sessions of `account`.
    fn account_sessions(&self, account: &BareJid) -> impl Iterator<Item = &Session> + '_ {
        self.sessions.get(account).into_iter().flatten()
    }

    fn session(&self, jid: &FullJid) -> Option<&Session> {
        self.sessions
            .get(&jid.to_bare())
            .and_then(|s| s.iter().find(|s| s.jid == *jid))
    }

    fn session_mut(&mut self, jid: &FullJid) -> Option<&mut Session> {
        self.sessions
            .get_mut(&jid.to_bare())
            .and_then(|s| s.iter_mut().find(|s| s.jid == *jid))
    }

    /// The available sessions of `account`.
    fn available(&self, account: &BareJid) -> Vec<(FullJid, Presence)> {
        self.account_sessions(account)
            .filter_map(|s| s.presence.clone().map(|p| (s.jid.clone(), p)))
            .collect()
    }

    fn is_local(&self, jid: &Jid) -> bool {
        self.domains.iter().any(|d| d == jid.domain())
    }

    fn deliver(&mut self, to: FullJid, stanza: impl Into<Stanza>) {
        self.output.push_back(ServerOutput::Deliver {
            to,
            stanza: stanza.into(),
        });
    }

    /// Delivers `reply` to the session `to`, if there is one: there is no
    /// error reply to an error (RFC 6120 §8.3.1) nor any reply to an IQ
    /// response (§8.2.3).
    fn deliver_reply(&mut self, to: &FullJid, reply: Option<impl Into<Stanza>>) {
        if let Some(reply) = reply {
            self.deliver(to.clone(), reply);
        }
    }

    /// Hands `stanza` on to another server.
    fn remote(&mut self, stanza: impl Into<Stanza>) {
        self.output.push_back(ServerOutput::Remote(stanza.into()));
    }

    // ---- IQ ----

    fn outbound_iq<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        mut iq: Iq,
    ) -> Result<(), Failure> {
        let account = sender.to_bare();
        iq.from = Some(Jid::from(sender.clone()));
        let Some(to) = iq.to.clone() else {
            // RFC 6120 §10.3.3: handled as if addressed to the account.
            return self.account_iq(store, sender, iq);
        };
        if to == account {
            return self.account_iq(store, sender, iq);
        }
        if to.node().is_none() && to.resource().is_none() && self.is_local(&to) {
            return self.server_iq(sender, iq);
        }
        if store.blocklist(&account).or_fail()?.is_blocked(&to) {
            self.deliver_reply(
                sender,
                iq.error_reply(blocked_outbound_error(), &reply_context(sender)),
            );
            return Ok(());
        }
        if !self.is_local(&to) {
            self.remote(iq);
            return Ok(());
        }
        self.inbound_iq(store, sender, to, iq)
    }

    /// An IQ from a local `sender` to another local address `to`.
    fn inbound_iq<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        to: Jid,
        iq: Iq,
    ) -> Result<(), Failure> {
        let ctx = reply_context(sender);
        let target = to.to_bare();
        let refuse = |iq: &Iq, error: StanzaError| iq.error_reply(error, &ctx);
        // RFC 6121 §8.5.2.2.3 / §8.5.3.2.3 for a missing account.
        let is_response = !iq.is_request();
        let answer = |e| refuse(&iq, e);
        if !self.reaches(store, sender, &target, StanzaKind::Iq, is_response, answer)? {
            return Ok(());
        }
        match to.try_into_full() {
            Ok(full) if self.session(&full).is_some() => self.deliver(full, iq),
            // RFC 6121 §8.5.3.2.3: no such resource.
            Ok(_) => {
                self.deliver_reply(
                    sender,
                    refuse(&iq, StanzaError::new(Condition::ServiceUnavailable)),
                );
            }
            // RFC 6121 §8.5.2.1.3: the server answers for the account.
            Err(bare) => {
                let reply = match &iq.payload {
                    IqPayload::Get(payload) if payload.is("query", NS_DISCO_INFO) => {
                        let info = self.account_info();
                        iq.result_reply(Some(info.to_element().or_fail()?), &ctx)
                    }
                    _ => refuse(&iq, StanzaError::new(Condition::ServiceUnavailable)),
                };
                if let Some(mut reply) = reply {
                    reply.from = Some(Jid::from(bare));
                    self.deliver(sender.clone(), reply);
                }
            }
        }
        Ok(())
    }

    /// Whether an IQ or message from the local `sender` reaches the local
    /// `account`: the account exists (RFC 6121 §8.5.2.2) and does not
    /// block the sender (XEP-0191 §3.3). If not, the sender gets the reply
    /// `refuse` makes of the error, if there is one; a blocked stanza
    /// that is itself a response or an error gets none.
    fn reaches<S: AccountStore, T: Into<Stanza>>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        account: &BareJid,
        kind: StanzaKind,
        is_response_or_error: bool,
        refuse: impl Fn(StanzaError) -> Option<T>,
    ) -> Result<bool, Failure> {
        if !store.account_exists(account).or_fail()? {
            let error = StanzaError::new(Condition::ServiceUnavailable);
            self.deliver_reply(sender, refuse(error));
            return Ok(false);
        }
        let blocklist = store.blocklist(account).or_fail()?;
        if blocklist.is_blocked(&Jid::from(sender.clone())) {
            let error = blocked_inbound_error(kind, is_response_or_error);
            self.deliver_reply(sender, error.and_then(refuse));
            return Ok(false);
        }
        Ok(true)
    }

    fn account_info(&self) -> DiscoInfo {
        DiscoInfo {
            identities: vec![Identity::new("account", "registered")],
            features: self.config.account_features.clone(),
            ..DiscoInfo::default()
        }
    }

    /// An IQ to the server's own domain.
    fn server_iq(&mut self, sender: &FullJid, iq: Iq) -> Result<(), Failure> {
        let ctx = reply_context(sender);
        let reply = match &iq.payload {
            IqPayload::Get(payload) if payload.is("query", NS_DISCO_INFO) => {
                let info = DiscoInfo {
                    identities: vec![self.config.server_identity.clone()],
                    features: self.config.server_features.clone(),
                    ..DiscoInfo::default()
                };
                iq.result_reply(Some(info.to_element().or_fail()?), &ctx)
            }
            IqPayload::Get(payload) if Ping::from_element(payload.root()).is_ok() => {
                iq.result_reply(None, &ctx)
            }
            _ => iq.error_reply(StanzaError::new(Condition::ServiceUnavailable), &ctx),
        };
        self.deliver_reply(sender, reply);
        Ok(())
    }

    /// An IQ to the sender's own account (no `to`, or its bare JID).
    fn account_iq<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        iq: Iq,
    ) -> Result<(), Failure> {
        let ctx = reply_context(sender);
        let (payload, is_set) = match &iq.payload {
            IqPayload::Get(payload) => (payload, false),
            IqPayload::Set(payload) => (payload, true),
            // Answers to the server's pushes: nothing to do.
            IqPayload::Result(_) | IqPayload::Error { .. } => return Ok(()),
        };
        let root = payload.root();
        let reply = match (root.ns(), is_set) {
            (NS_ROSTER, _) => match RosterQuery::from_element(root) {
                Ok(query) if is_set => self.roster_set(store, sender, &iq, query)?,
                Ok(query) => self.roster_get(store, sender, &iq, &query)?,
                Err(_) => iq.error_reply(StanzaError::new(Condition::BadRequest), &ctx),
            },
            (NS_BLOCKING, _) => match BlockingCommand::from_element(root) {
                Ok(BlockingCommand::Blocklist(_)) if !is_set => {
                    self.blocklist_get(store, sender, &iq)?
                }
                Ok(BlockingCommand::Block(jids)) if is_set => {
                    self.block(store, sender, &iq, jids)?
                }
                Ok(BlockingCommand::Unblock(jids)) if is_set => {
                    self.unblock(store, sender, &iq, jids)?
                }
                _ => iq.error_reply(StanzaError::new(Condition::BadRequest), &ctx),
            },
            (NS_CARBONS, true) => match CarbonsCommand::from_element(root) {
                Ok(command) => {
                    if let Some(session) = self.session_mut(sender) {
                        session.carbons = command == CarbonsCommand::Enable;
                    }
                    iq.result_reply(None, &ctx)
                }
                Err(_) => iq.error_reply(StanzaError::new(Condition::BadRequest), &ctx),
            },
            (NS_DISCO_INFO, false) => {
                let info = self.account_info();
                iq.result_reply(Some(info.to_element().or_fail()?), &ctx)
            }
            (NS_PING, false) => iq.result_reply(None, &ctx),
            _ => iq.error_reply(StanzaError::new(Condition::ServiceUnavailable), &ctx),
        };
        if let Some(mut reply) = reply {
            // Answered by the account (RFC 6120 §10.3.3), as ejabberd does.
            reply.from = Some(Jid::from(sender.to_bare()));
            self.deliver(sender.clone(), reply);
        }
        Ok(())
    }

    // ---- Roster (RFC 6121 §2) ----

    fn roster_get<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        iq: &Iq,
        query: &RosterQuery,
    ) -> Result<Option<Iq>, Failure> {
        if let Some(session) = self.session_mut(sender) {
            session.roster_requested = true;
        }
        let (version, entries) = store.roster(&sender.to_bare()).or_fail()?;
        let version = version.to_string();
        let ctx = reply_context(sender);
        // XEP-0237 §3.3: nothing changed since the client's version.
        if query.ver.as_deref() == Some(version.as_str()) {
            return Ok(iq.result_reply(None, &ctx));
        }
        let roster = RosterQuery {
            ver: query.ver.is_some().then_some(version),
            items: entries
                .iter()
                .filter(|e| e.in_roster)
                .map(RosterEntry::to_item)
                .collect(),
        };
        Ok(iq.result_reply(Some(roster.to_element().or_fail()?), &ctx))
    }

    fn roster_set<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        iq: &Iq,
        query: RosterQuery,
    ) -> Result<Option<Iq>, Failure> {
        let ctx = reply_context(sender);
        let account = sender.to_bare();
        // RFC 6121 §2.3.3: exactly one item.
        let mut items = query.items.into_iter();
        let (Some(item), None) = (items.next(), items.next()) else {
            return Ok(iq.error_reply(StanzaError::new(Condition::BadRequest), &ctx));
        };
        let too_long = item
            .name
            .as_ref()
            .is_some_and(|n| n.len() > MAX_ROSTER_TEXT)
            || item.groups.iter().any(|g| g.len() > MAX_ROSTER_TEXT);
        if too_long {
            return Ok(iq.error_reply(StanzaError::new(Condition::NotAcceptable), &ctx));
        }
        let existing = store.roster_entry(&account, &item.jid).or_fail()?;
        if item.subscription == Subscription::Remove {
            return self.roster_remove(store, sender, iq, existing);
        }
        if existing.is_none() && self.roster_full(store, &account)? {
            return Ok(iq.error_reply(StanzaError::new(Condition::ResourceConstraint), &ctx));
        }
        let mut entry = existing
            .clone()
            .unwrap_or_else(|| RosterEntry::new(item.jid.clone()));
        // RFC 6121 §2.1.2.5: subscription, ask and approved are the
        // server's; a set changes name and groups only.
        entry.name = item.name;
        entry.groups = item.groups;
        entry.in_roster = true;
        self.save_entry(store, &account, existing.as_ref(), entry)?;
        Ok(iq.result_reply(None, &ctx))
    }

    /// RFC 6121 §2.5: removes the item and cancels the subscriptions both
    /// ways (§2.5.2).
    fn roster_remove<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        iq: &Iq,
        existing: Option<RosterEntry>,
    ) -> Result<Option<Iq>, Failure> {
        let ctx = reply_context(sender);
        let account = sender.to_bare();
        let Some(entry) = existing.filter(|e| e.in_roster) else {
            // RFC 6121 §2.5.3.
            return Ok(iq.error_reply(StanzaError::new(Condition::ItemNotFound), &ctx));
        };
        let version = store.remove_roster_entry(&account, &entry.jid).or_fail()?;
        let state = entry.state;
        if state.subscription().has_from() {
            self.send_presence_to(store, &account, &Jid::from(entry.jid.clone()), false)?;
        }
        if state.subscription().has_to() || state.pending_out() {
            self.route_subscription(store, &account, &entry.jid, SubscriptionKind::Unsubscribe)?;
        }
        if state.subscription().has_from() || state.pending_in() {
            self.route_subscription(store, &account, &entry.jid, SubscriptionKind::Unsubscribed)?;
        }
        self.push_roster(&account, RosterItem::remove(entry.jid), version)?;
        Ok(iq.result_reply(None, &ctx))
    }

    /// Stores `entry` (or drops it when it holds nothing) and pushes the
    /// item if what the roster shows changed.
    fn save_entry<S: AccountStore>(
        &mut self,
        store: &mut S,
        account: &BareJid,
        old: Option<&RosterEntry>,
        entry: RosterEntry,
    ) -> Result<(), Failure> {
        if old == Some(&entry) {
            return Ok(());
        }
        let shown = |e: &RosterEntry| e.in_roster.then(|| e.to_item());
        let was = old.and_then(shown);
        let now = shown(&entry);
        let empty = entry.state == SubscriptionState::None && !entry.in_roster && !entry.approved;
        if empty {
            if old.is_some() {
                store.remove_roster_entry(account, &entry.jid).or_fail()?;
            }
            return Ok(());
        }
        let version = store.put_roster_entry(account, entry).or_fail()?;
        if let Some(item) = now.filter(|now| was.as_ref() != Some(now)) {
            self.push_roster(account, item, version)?;
        }
        Ok(())
    }

    /// Whether `account` has as many roster entries as allowed.
    fn roster_full<S: AccountStore>(&self, store: &S, account: &BareJid) -> Result<bool, Failure> {
        let (_, entries) = store.roster(account).or_fail()?;
        Ok(entries.len() >= self.config.max_roster_entries)
    }

    /// A roster push of `item` to every interested session (RFC 6121
    /// §2.1.6), without `from` as Prosody sends it.
    fn push_roster(
        &mut self,
        account: &BareJid,
        item: RosterItem,
        version: u64,
    ) -> Result<(), Failure> {
        let query = RosterQuery {
            ver: Some(version.to_string()),
            items: vec![item],
        };
        self.push(account, query.to_element().or_fail()?, |s| {
            s.roster_requested
        });
        Ok(())
    }

    /// An IQ set of `payload` to each session of `account` that is
    /// `interested`: a roster push (RFC 6121 §2.1.6) or a blocklist push
    /// (XEP-0191 §3.3).
    fn push(&mut self, account: &BareJid, payload: Element, interested: fn(&Session) -> bool) {
        let targets: Vec<FullJid> = self
            .account_sessions(account)
            .filter(|s| interested(s))
            .map(|s| s.jid.clone())
            .collect();
        for to in targets {
            let push = Iq::set(self.push_id(), payload.clone()).with_to(Jid::from(to.clone()));
            self.deliver(to, push);
        }
    }

    fn push_id(&mut self) -> String {
        self.pushes += 1;
        format!("push{}", self.pushes)
    }

    // ---- Blocking (XEP-0191) ----

    fn blocklist_get<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        iq: &Iq,
    ) -> Result<Option<Iq>, Failure> {
        if let Some(session) = self.session_mut(sender) {
            session.blocklist_requested = true;
        }
        let list = store.blocklist(&sender.to_bare()).or_fail()?;
        let payload = BlockingCommand::Blocklist(list.entries().to_vec())
            .to_element()
            .or_fail()?;
        Ok(iq.result_reply(Some(payload), &reply_context(sender)))
    }

    fn block<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        iq: &Iq,
        jids: Vec<Jid>,
    ) -> Result<Option<Iq>, Failure> {
        let account = sender.to_bare();
        let ctx = reply_context(sender);
        // XEP-0191 §3.3: at least one item; §5: never the user's own
        // account.
        if jids.is_empty() || jids.iter().any(|j| j.to_bare() == account) {
            return Ok(iq.error_reply(StanzaError::new(Condition::BadRequest), &ctx));
        }
        let mut list = store.blocklist(&account).or_fail()?;
        let before = list.clone();
        list.block(&jids);
        if list.len() > self.config.max_blocklist_items {
            return Ok(iq.error_reply(StanzaError::new(Condition::ResourceConstraint), &ctx));
        }
        store.set_blocklist(&account, list.clone()).or_fail()?;
        self.push_blocking(&account, BlockingCommand::Block(jids))?;
        // §3.3: whoever could see the user's presence sees it end.
        for contact in self.presence_watchers(store, &account)? {
            if list.is_blocked(&contact) && !before.is_blocked(&contact) {
                self.send_presence_to(store, &account, &contact, false)?;
            }
        }
        Ok(iq.result_reply(None, &ctx))
    }

    fn unblock<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        iq: &Iq,
        jids: Vec<Jid>,
    ) -> Result<Option<Iq>, Failure> {
        let account = sender.to_bare();
        let mut list = store.blocklist(&account).or_fail()?;
        let before = list.clone();
        if jids.is_empty() {
            // XEP-0191 §3.5.
            list.clear();
        } else {
            list.unblock(&jids);
        }
        store.set_blocklist(&account, list.clone()).or_fail()?;
        self.push_blocking(&account, BlockingCommand::Unblock(jids))?;
        // §3.4: presence flows again both ways where subscriptions allow.
        let (_, entries) = store.roster(&account).or_fail()?;
        for entry in entries {
            let contact = Jid::from(entry.jid.clone());
            if !before.is_blocked(&contact) || list.is_blocked(&contact) {
                continue;
            }
            if entry.state.subscription().has_from() {
                self.send_presence_to(store, &account, &contact, true)?;
            }
            if entry.state.subscription().has_to() {
                for (session, _) in self.available(&account) {
                    self.probe(store, &session, &entry.jid)?;
                }
            }
        }
        Ok(iq.result_reply(None, &reply_context(sender)))
    }

    fn push_blocking(
        &mut self,
        account: &BareJid,
        command: BlockingCommand,
    ) -> Result<(), Failure> {
        self.push(account, command.to_element().or_fail()?, |s| {
            s.blocklist_requested
        });
        Ok(())
    }

    /// Everyone who receives the account's presence: contacts with a
    /// subscription from, and directed-presence recipients.
    fn presence_watchers<S: AccountStore>(
        &self,
        store: &S,
        account: &BareJid,
    ) -> Result<Vec<Jid>, Failure> {
        let (_, entries) = store.roster(account).or_fail()?;
        let mut watchers: Vec<Jid> = entries
            .into_iter()
            .filter(|e| e.state.subscription().has_from())
            .map(|e| Jid::from(e.jid))
            .collect();
        for session in self.account_sessions(account) {
            for jid in &session.directed {
                if !watchers.contains(jid) {
                    watchers.push(jid.clone());
                }
            }
        }
        Ok(watchers)
    }

    // ---- Presence (RFC 6121 §3, §4) ----

    fn outbound_presence<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        mut presence: Presence,
    ) -> Result<(), Failure> {
        if let Some(kind) = SubscriptionKind::from_presence_type(presence.type_) {
            // RFC 6121 §3: a subscription stanza names its contact.
            let Some(to) = presence.to.as_ref() else {
                return Ok(());
            };
            return self.outbound_subscription(store, sender, to.to_bare(), kind);
        }
        presence.from = Some(Jid::from(sender.clone()));
        match (presence.type_, presence.to.clone()) {
            // RFC 6121 §4.3: probes are the server's business.
            (PresenceType::Probe, _) => Ok(()),
            (PresenceType::Available | PresenceType::Unavailable, None) => {
                self.broadcast(store, sender, presence)
            }
            (_, Some(to)) => self.directed_presence(store, sender, to, presence),
            // An error presence without `to` goes nowhere.
            (_, None) => Ok(()),
        }
    }

    fn outbound_subscription<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        contact: BareJid,
        kind: SubscriptionKind,
    ) -> Result<(), Failure> {
        let account = sender.to_bare();
        if store.blocklist(&account).or_fail()?.is_blocked(&contact) {
            self.refuse_subscription(sender, contact, blocked_outbound_error());
            return Ok(());
        }
        let old = store.roster_entry(&account, &contact).or_fail()?;
        if old.is_none() && self.roster_full(store, &account)? {
            let error = StanzaError::new(Condition::ResourceConstraint);
            self.refuse_subscription(sender, contact, error);
            return Ok(());
        }
        let mut entry = old
            .clone()
            .unwrap_or_else(|| RosterEntry::new(contact.clone()));
        let t = transition(entry.state, Direction::Outbound, kind);
        entry.state = t.new_state;
        match t.pre_approval {
            // RFC 6121 §3.4.
            Some(PreApproval::Set) if self.config.pre_approval => entry.approved = true,
            Some(PreApproval::Cancel) => entry.approved = false,
            _ => {}
        }
        // RFC 6121 §3.1.2, §3.1.5, §3.4: a request, an approval or a
        // pre-approval puts the contact in the roster.
        entry.in_roster |= shows_in_roster(entry.state) || entry.approved;
        let had_from = entry_has_from(old.as_ref());
        self.save_entry(store, &account, old.as_ref(), entry)?;
        if t.deliver {
            self.route_subscription(store, &account, &contact, kind)?;
            match kind {
                // §3.1.5: the contact now sees the user's presence.
                SubscriptionKind::Subscribed => {
                    self.send_presence_to(store, &account, &Jid::from(contact.clone()), true)?;
                }
                // §3.2.2: the contact no longer does.
                SubscriptionKind::Unsubscribed if had_from => {
                    self.send_presence_to(store, &account, &Jid::from(contact.clone()), false)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Answers the subscription stanza `sender` sent to `contact` with
    /// `error`, as from the contact.
    fn refuse_subscription(&mut self, sender: &FullJid, contact: BareJid, error: StanzaError) {
        let mut refused = Presence::error(error);
        refused.from = Some(Jid::from(contact));
        refused.to = Some(Jid::from(sender.clone()));
        self.deliver(sender.clone(), refused);
    }

    /// Sends a subscription stanza of `kind` from `from` to `to` (bare
    /// JIDs, as RFC 6121 §3 stamps them).
    fn route_subscription<S: AccountStore>(
        &mut self,
        store: &mut S,
        from: &BareJid,
        to: &BareJid,
        kind: SubscriptionKind,
    ) -> Result<(), Failure> {
        if self.is_local(to) {
            return self.inbound_subscription(store, to, from, kind);
        }
        self.remote(bare_presence(kind.presence_type(), from, to));
        Ok(())
    }

    /// A subscription stanza from `from` arrives for the local `account`
    /// (RFC 6121 A.3).
    fn inbound_subscription<S: AccountStore>(
        &mut self,
        store: &mut S,
        account: &BareJid,
        from: &BareJid,
        kind: SubscriptionKind,
    ) -> Result<(), Failure> {
        if !store.account_exists(account).or_fail()? {
            // RFC 6121 §3.1.3: a request to nobody is refused.
            if kind == SubscriptionKind::Subscribe {
                self.route_subscription(store, account, from, SubscriptionKind::Unsubscribed)?;
            }
            return Ok(());
        }
        // XEP-0191 §3.3: presence from a blocked JID is dropped silently.
        if store.blocklist(account).or_fail()?.is_blocked(from) {
            return Ok(());
        }
        let old = store.roster_entry(account, from).or_fail()?;
        if old.is_none() && self.roster_full(store, account)? {
            // Strangers' requests must not grow the account's storage
            // without bound.
            return Ok(());
        }
        let mut entry = old
            .clone()
            .unwrap_or_else(|| RosterEntry::new(from.clone()));
        let had_from = entry_has_from(old.as_ref());
        let t = transition(entry.state, Direction::Inbound, kind);
        if kind == SubscriptionKind::Subscribe && t.deliver && entry.approved {
            // RFC 6121 §3.4 (A.3.1 note): pre-approved, so approved on the
            // user's behalf instead of delivered.
            let approval = transition(
                t.new_state,
                Direction::Outbound,
                SubscriptionKind::Subscribed,
            );
            entry.state = approval.new_state;
            entry.approved = false;
            entry.in_roster = true;
            self.save_entry(store, account, old.as_ref(), entry)?;
            self.route_subscription(store, account, from, SubscriptionKind::Subscribed)?;
            return self.send_presence_to(store, account, &Jid::from(from.clone()), true);
        }
        entry.state = t.new_state;
        entry.in_roster |= shows_in_roster(entry.state);
        self.save_entry(store, account, old.as_ref(), entry)?;
        if t.deliver {
            let presence = bare_presence(kind.presence_type(), from, account);
            // A request no session sees now waits in the pending-in state
            // and is delivered at the next initial presence (§3.1.3).
            for (session, _) in self.available(account) {
                self.deliver(session, presence.clone());
            }
        }
        if let Some(reply) = t.auto_reply {
            self.route_subscription(store, account, from, reply)?;
            if reply == SubscriptionKind::Subscribed {
                self.send_presence_to(store, account, &Jid::from(from.clone()), true)?;
            }
        }
        // §3.3.3: the contact no longer sees the user's presence.
        if kind == SubscriptionKind::Unsubscribe
            && had_from
            && !t.new_state.subscription().has_from()
        {
            self.send_presence_to(store, account, &Jid::from(from.clone()), false)?;
        }
        Ok(())
    }

    /// Sends `to` the presence of each available session of `account`:
    /// the current one if `available`, else unavailable.
    fn send_presence_to<S: AccountStore>(
        &mut self,
        store: &mut S,
        account: &BareJid,
        to: &Jid,
        available: bool,
    ) -> Result<(), Failure> {
        for (session, current) in self.available(account) {
            let mut presence = if available {
                current
            } else {
                Presence::unavailable()
            };
            presence.from = Some(Jid::from(session));
            presence.to = Some(to.clone());
            self.deliver_presence(store, presence)?;
        }
        Ok(())
    }

    /// Delivers a presence with `from` and `to` set to its local
    /// recipient, or hands it on to another server.
    fn deliver_presence<S: AccountStore>(
        &mut self,
        store: &mut S,
        presence: Presence,
    ) -> Result<(), Failure> {
        let (Some(from), Some(to)) = (presence.from.clone(), presence.to.clone()) else {
            return Ok(());
        };
        if !self.is_local(&to) {
            self.remote(presence);
            return Ok(());
        }
        let account = to.to_bare();
        // XEP-0191 §3.3: no presence from a blocked JID, and no error.
        if !store.account_exists(&account).or_fail()?
            || store.blocklist(&account).or_fail()?.is_blocked(&from)
        {
            return Ok(());
        }
        match to.try_into_full() {
            // RFC 6121 §8.5.3.1: to a session, available or connected.
            Ok(full) => {
                if self.session(&full).is_some() {
                    self.deliver(full, presence);
                }
            }
            // §8.5.2.1.2: to every available session.
            Err(bare) => {
                for (session, _) in self.available(&bare) {
                    self.deliver(session, presence.clone());
                }
            }
        }
        Ok(())
    }

    /// Broadcast presence (no `to`) from `sender` (RFC 6121 §4.2, §4.4,
    /// §4.5).
    fn broadcast<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        presence: Presence,
    ) -> Result<(), Failure> {
        let account = sender.to_bare();
        // Read first: a store that fails leaves the session as it was.
        let (_, entries) = store.roster(&account).or_fail()?;
        let blocklist = store.blocklist(&account).or_fail()?;
        let available = presence.type_ == PresenceType::Available;
        let Some(session) = self.session_mut(sender) else {
            return Ok(());
        };
        let was_available = session.presence.is_some();
        let initial = available && !was_available;
        let directed = if available {
            session.presence = Some(presence.clone());
            Vec::new()
        } else {
            session.presence = None;
            // §4.6.3: unavailable also goes wherever directed presence went.
            std::mem::take(&mut session.directed)
        };
        for to in directed {
            if !blocklist.is_blocked(&to) {
                let mut copy = presence.clone();
                copy.to = Some(to);
                self.deliver_presence(store, copy)?;
            }
        }
        // §4.5.2: a session that never was available has nothing to end
        // for its contacts and the account's sessions.
        if !available && !was_available {
            return Ok(());
        }
        // §4.2.2, §4.4.2: to every contact subscribed to the user.
        for entry in &entries {
            let contact = Jid::from(entry.jid.clone());
            if entry.state.subscription().has_from() && !blocklist.is_blocked(&contact) {
                let mut copy = presence.clone();
                copy.to = Some(contact);
                self.deliver_presence(store, copy)?;
            }
        }
        // §4.2.2, §4.4.2: to the user's available sessions, the sender's
        // own included.
        let mut own: Vec<FullJid> = self
            .available(&account)
            .into_iter()
            .map(|(j, _)| j)
            .collect();
        if !own.contains(sender) {
            own.push(sender.clone());
        }
        for to in own {
            let mut copy = presence.clone();
            copy.to = Some(Jid::from(to.clone()));
            self.deliver(to, copy);
        }
        if initial {
            self.initial_presence(store, sender, &entries, presence.priority)?;
        }
        Ok(())
    }

    /// What a session's first available presence brings it (RFC 6121
    /// §4.2.2, §3.1.3, XEP-0160).
    fn initial_presence<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        entries: &[RosterEntry],
        priority: i8,
    ) -> Result<(), Failure> {
        let account = sender.to_bare();
        // §4.2.2: probes to the contacts the user is subscribed to.
        for entry in entries {
            if entry.state.subscription().has_to() {
                self.probe(store, sender, &entry.jid)?;
            }
        }
        // The user's other available sessions.
        for (other, mut current) in self.available(&account) {
            if other != *sender {
                current.to = Some(Jid::from(sender.clone()));
                self.deliver(sender.clone(), current);
            }
        }
        // §3.1.3: requests that wait for an answer.
        for entry in entries.iter().filter(|e| e.state.pending_in()) {
            let request = bare_presence(PresenceType::Subscribe, &entry.jid, &account);
            self.deliver(sender.clone(), request);
        }
        // XEP-0160 §4: messages kept while the user was offline, for a
        // session that can receive messages to the bare JID.
        if priority >= 0 {
            for message in store.take_offline(&account).or_fail()? {
                self.deliver(sender.clone(), message);
            }
        }
        Ok(())
    }

    /// Answers a probe of `session` to `contact` (RFC 6121 §4.3): the
    /// contact's available presence, if the contact's server would give
    /// it.
    fn probe<S: AccountStore>(
        &mut self,
        store: &mut S,
        session: &FullJid,
        contact: &BareJid,
    ) -> Result<(), Failure> {
        let account = session.to_bare();
        if !self.is_local(contact) {
            self.remote(bare_presence(PresenceType::Probe, &account, contact));
            return Ok(());
        }
        let requester = Jid::from(session.clone());
        let allowed = store
            .roster_entry(contact, &account)
            .or_fail()?
            .is_some_and(|e| e.state.subscription().has_from());
        if !allowed
            || store
                .blocklist(&account)
                .or_fail()?
                .is_blocked(&Jid::from(contact.clone()))
            || store.blocklist(contact).or_fail()?.is_blocked(&requester)
        {
            return Ok(());
        }
        for (from, mut current) in self.available(contact) {
            current.from = Some(Jid::from(from));
            current.to = Some(requester.clone());
            self.deliver(session.clone(), current);
        }
        Ok(())
    }

    /// Presence with a `to` (RFC 6121 §4.6).
    fn directed_presence<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        to: Jid,
        presence: Presence,
    ) -> Result<(), Failure> {
        let account = sender.to_bare();
        if store.blocklist(&account).or_fail()?.is_blocked(&to) {
            self.deliver_reply(
                sender,
                presence.error_reply(blocked_outbound_error(), &reply_context(sender)),
            );
            return Ok(());
        }
        let subscribed = store
            .roster_entry(&account, &to.to_bare())
            .or_fail()?
            .is_some_and(|e| e.state.subscription().has_from());
        let limit = self.config.max_directed_presences;
        if let Some(session) = self.session_mut(sender) {
            match presence.type_ {
                // §4.6.2: remembered, to send unavailable later.
                PresenceType::Available if !subscribed && !session.directed.contains(&to) => {
                    if session.directed.len() >= limit {
                        let refused = presence.error_reply(
                            StanzaError::new(Condition::ResourceConstraint),
                            &reply_context(sender),
                        );
                        self.deliver_reply(sender, refused);
                        return Ok(());
                    }
                    session.directed.push(to.clone());
                }
                PresenceType::Unavailable => session.directed.retain(|j| *j != to),
                _ => {}
            }
        }
        self.deliver_presence(store, presence)
    }

    // ---- Messages (RFC 6121 §5, §8) ----

    fn outbound_message<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        mut message: Message,
    ) -> Result<(), Failure> {
        let account = sender.to_bare();
        // RFC 6120 §10.3.1: no `to` is the sender's own bare JID.
        let to = message
            .to
            .clone()
            .unwrap_or_else(|| Jid::from(account.clone()));
        message.to = Some(to.clone());
        message.from = Some(Jid::from(sender.clone()));
        if store.blocklist(&account).or_fail()?.is_blocked(&to) {
            self.deliver_reply(
                sender,
                message.error_reply(blocked_outbound_error(), &reply_context(sender)),
            );
            return Ok(());
        }
        if carbon_eligible(&message) {
            // XEP-0280 §6: the sender's other carbons-enabled sessions.
            let others = self.carbon_sessions(&account, std::slice::from_ref(sender));
            self.send_carbons(&account, others, CarbonDirection::Sent, &message)?;
        }
        if !self.is_local(&to) {
            self.remote(message);
            return Ok(());
        }
        self.deliver_message(store, sender, message)
    }

    /// A message from the local `sender` to a local address.
    fn deliver_message<S: AccountStore>(
        &mut self,
        store: &mut S,
        sender: &FullJid,
        message: Message,
    ) -> Result<(), Failure> {
        let Some(to) = message.to.clone() else {
            return Ok(());
        };
        let account = to.to_bare();
        let ctx = reply_context(sender);
        let refuse = |message: &Message, error: StanzaError| message.error_reply(error, &ctx);
        // RFC 6121 §8.5.2.2.1 for a missing account.
        let is_error = message.type_ == MessageType::Error;
        let answer = |e| refuse(&message, e);
        if !self.reaches(
            store,
            sender,
            &account,
            StanzaKind::Message,
            is_error,
            answer,
        )? {
            return Ok(());
        }
        let sessions: Vec<SessionRoute> = self
            .account_sessions(&account)
            .map(Session::route)
            .collect();
        match route_message(message.type_, &to, &sessions) {
            MessageRoute::Deliver(targets) => {
                if carbon_eligible(&message) {
                    let others = self.carbon_sessions(&account, &targets);
                    self.send_carbons(&account, others, CarbonDirection::Received, &message)?;
                }
                for target in targets {
                    self.deliver(target, message.clone());
                }
            }
            MessageRoute::StoreOffline => {
                if !store.store_offline(&account, message.clone()).or_fail()? {
                    // XEP-0160 §4: storage full.
                    self.deliver_reply(
                        sender,
                        refuse(&message, StanzaError::new(Condition::ServiceUnavailable)),
                    );
                }
            }
            MessageRoute::Reject(condition) => {
                self.deliver_reply(sender, refuse(&message, StanzaError::new(condition)));
            }
            MessageRoute::Ignore => {}
        }
        Ok(())
    }

    /// The available sessions of `account` with carbons enabled, except
    /// `except`.
    fn carbon_sessions(&self, account: &BareJid, except: &[FullJid]) -> Vec<FullJid> {
        self.account_sessions(account)
            .filter(|s| s.carbons && s.presence.is_some() && !except.contains(&s.jid))
            .map(|s| s.jid.clone())
            .collect()
    }

    /// XEP-0280 §6: copies wrapped in `<sent/>` or `<received/>`, from the
    /// account's bare JID.
    fn send_carbons(
        &mut self,
        account: &BareJid,
        targets: Vec<FullJid>,
        direction: CarbonDirection,
        message: &Message,
    ) -> Result<(), Failure> {
        if targets.is_empty() {
            return Ok(());
        }
        let wrapper: Element = Carbon {
            direction,
            message: message.clone(),
        }
        .to_element()
        .map_err(|e: PayloadError| Failure(e.to_string()))?;
        for target in targets {
            let copy = Message::new(message.type_)
                .with_from(Jid::from(account.clone()))
                .with_to(Jid::from(target.clone()))
                .with_payload(wrapper.clone());
            self.deliver(target, copy);
        }
        Ok(())
    }
}

/// Replies to stanzas of the session `sender` go to it (never to a
/// claimed `from`).
fn reply_context(sender: &FullJid) -> StreamContext {
    StreamContext::new(ContentNamespace::Client).with_sender(sender.clone())
}

/// A presence of `type_` that the server sends from one account to
/// another: a subscription stanza, stamped with bare JIDs (RFC 6121 §3),
/// or a probe, from the user's bare JID (§4.3).
fn bare_presence(type_: PresenceType, from: &BareJid, to: &BareJid) -> Presence {
    let mut presence = Presence::new(type_);
    presence.from = Some(Jid::from(from.clone()));
    presence.to = Some(Jid::from(to.clone()));
    presence
}

/// Whether a roster item is created for this state (all but None and
/// None + Pending In, RFC 6121 A.1).
fn shows_in_roster(state: SubscriptionState) -> bool {
    !matches!(
        state,
        SubscriptionState::None | SubscriptionState::NonePendingIn
    )
}

fn entry_has_from(entry: Option<&RosterEntry>) -> bool {
    entry.is_some_and(|e| e.state.subscription().has_from())
}

/// XEP-0280 §6: chat messages, and normal ones with a body, are copied
/// unless marked private (§7) or `<no-copy/>` (XEP-0334).
fn carbon_eligible(message: &Message) -> bool {
    let kind = match message.type_ {
        MessageType::Chat => true,
        MessageType::Normal => message.body().is_some(),
        _ => false,
    };
    kind && message.payload("private", NS_CARBONS).is_none()
        && message.payload("no-copy", NS_HINTS).is_none()
}
