//! The IM logic of one client resource: [`ImClient`].

mod iq;
mod messages;
mod presence;
mod roster;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rand_core::{CryptoRng, RngCore};
use stanzio_jid::{BareJid, FullJid, Jid};
use stanzio_stanza::{
    Condition, Iq, IqPayload, Message, MessageType, Presence, PresenceType, Stanza, StanzaError,
    StreamContext,
};
use stanzio_xml::{ContentNamespace, Element};

pub use iq::RequestId;
pub use presence::{PresenceTracker, ResourcePresence};
pub use roster::{Roster, RosterChange};

use iq::{IqTracker, Matched, Pending, Purpose};
use messages::SentMessages;

use crate::payload::{
    BlockingCommand, Blocklist, Carbon, CarbonDirection, CarbonsCommand, DiscoInfo, Identity,
    PayloadError, Ping, PrivacyListPush, RosterItem, RosterQuery,
};
use crate::{NS_BLOCKING, NS_CARBONS, NS_DISCO_INFO, NS_PING, NS_PRIVACY, NS_ROSTER};

/// How an [`ImClient`] behaves, and what its server offered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImClientConfig {
    /// The full JID the stream layer bound (RFC 6120 §7).
    pub jid: FullJid,
    /// The client's identity in disco#info (XEP-0030).
    pub identity: Identity,
    /// Features advertised in disco#info besides disco#info and ping,
    /// which are answered here.
    pub features: Vec<String>,
    /// How long a request may wait for its response.
    pub request_timeout: Duration,
    /// How many requests may be in flight.
    pub max_pending_requests: usize,
    /// How many roster items the cache holds.
    pub max_roster_items: usize,
    /// How many blocklist entries the cache holds.
    pub max_blocklist_items: usize,
    /// How many contact resources the presence tracker holds.
    pub max_tracked_resources: usize,
    /// How many sent messages are remembered to tie errors back to them.
    pub max_sent_messages: usize,
    /// The server offered roster versioning (XEP-0237 §2,
    /// `<ver xmlns='urn:xmpp:features:rosterver'/>`).
    pub roster_versioning: bool,
    /// The server offered subscription pre-approval (RFC 6121 §3.4,
    /// `<sub xmlns='urn:xmpp:features:pre-approval'/>`).
    pub pre_approval: bool,
}

impl ImClientConfig {
    /// Defaults for the client bound to `jid`: identity client/pc, 60 s
    /// per request, 64 requests in flight, 10 000 roster items and
    /// blocklist entries, 10 000 resources, 256 sent messages; no
    /// versioning and no pre-approval until the application says the
    /// server offered them.
    pub fn new(jid: FullJid) -> Self {
        ImClientConfig {
            jid,
            identity: Identity::new("client", "pc"),
            features: Vec::new(),
            request_timeout: Duration::from_secs(60),
            max_pending_requests: 64,
            max_roster_items: 10_000,
            max_blocklist_items: 10_000,
            max_tracked_resources: 10_000,
            max_sent_messages: 256,
            roster_versioning: false,
            pre_approval: false,
        }
    }

    /// Sets whether the server offered roster versioning.
    pub fn with_roster_versioning(mut self, offered: bool) -> Self {
        self.roster_versioning = offered;
        self
    }

    /// Sets whether the server offered subscription pre-approval.
    pub fn with_pre_approval(mut self, offered: bool) -> Self {
        self.pre_approval = offered;
        self
    }
}

/// A command the client cannot carry out; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// As many requests as allowed are in flight.
    #[error("{0} requests are in flight already")]
    TooManyRequests(usize),
    /// A payload cannot be written.
    #[error("cannot write the request: {0}")]
    Payload(#[from] PayloadError),
    /// The server did not offer subscription pre-approval (RFC 6121 §3.4).
    #[error("the server does not offer subscription pre-approval")]
    PreApprovalUnsupported,
    /// A block request needs at least one JID (XEP-0191 §3.3).
    #[error("nothing to block")]
    NothingToBlock,
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestFailure {
    /// The entity answered with an error.
    Error(StanzaError),
    /// No answer in time.
    Timeout,
    /// The answer is not what the request asks for.
    MalformedResponse(PayloadError),
    /// The answer would exceed a configured limit (roster or blocklist
    /// size); the cache was left as it was.
    LimitExceeded(&'static str),
}

/// Why a stanza was dropped instead of becoming an event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// A response whose id names a request sent to someone else
    /// (CVE-2014-0364 class); the request still waits for its answer.
    ResponseFromWrongSender {
        /// Where the request went (`None`: the account).
        expected: Option<Jid>,
    },
    /// A response to no request in flight (or one that timed out).
    UnsolicitedResponse,
    /// A blocklist push from someone other than the user's account.
    SpoofedBlocklistPush,
    /// A privacy-list push from someone other than the user's account.
    SpoofedPrivacyListPush,
    /// A carbon not wrapped by the user's bare JID (CVE-2017-5589 class).
    SpoofedCarbon,
    /// An error message answering no message sent (or from someone who
    /// may not answer it).
    UnmatchedError,
    /// A presence probe, which only servers handle (RFC 6121 §4.3).
    Probe,
    /// A payload that does not follow its specification (answered with
    /// `bad-request` where it was a request).
    Malformed(PayloadError),
    /// Keeping it would exceed a configured limit.
    LimitExceeded(&'static str),
}

/// What the application learns from an [`ImClient`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ImEvent {
    /// A request without data in its answer succeeded (roster set,
    /// block, unblock, carbons, ping).
    RequestCompleted {
        /// The request.
        request: RequestId,
    },
    /// A request failed.
    RequestFailed {
        /// The request.
        request: RequestId,
        /// Why.
        failure: RequestFailure,
    },
    /// The answer to [`ImClient::send_request`].
    IqResult {
        /// The request.
        request: RequestId,
        /// The result's payload.
        payload: Option<Element>,
    },
    /// A fetched roster replaced the cache ([`ImClient::roster`]).
    RosterReceived {
        /// The request.
        request: RequestId,
        /// Its XEP-0237 version.
        version: Option<String>,
    },
    /// The cached roster is current: the server answered a versioned fetch
    /// with an empty result (XEP-0237 §3); pushes follow for any change.
    RosterUnchanged {
        /// The request.
        request: RequestId,
    },
    /// The server pushed a roster change (RFC 6121 §2.1.6).
    RosterPush {
        /// What changed.
        change: RosterChange,
        /// The new roster version.
        version: Option<String>,
    },
    /// A roster push from someone other than the user's account
    /// (CVE-2015-8688 class): not applied, answered with
    /// `service-unavailable`.
    SpoofedRosterPush {
        /// Who sent it.
        from: Jid,
    },
    /// Available or unavailable presence arrived; the tracker
    /// ([`ImClient::presence`]) is up to date.
    Presence(Presence),
    /// A presence of type `error` (RFC 6121 §4.7.1).
    PresenceError {
        /// From whom.
        from: Option<Jid>,
        /// The error.
        error: StanzaError,
    },
    /// `from` asks to subscribe to the user's presence (RFC 6121
    /// §3.1.3): answer with [`ImClient::approve`] or [`ImClient::deny`].
    SubscriptionRequest {
        /// Who asks.
        from: BareJid,
        /// The request as received (it may carry a nickname or status).
        presence: Presence,
    },
    /// `from` approved the user's request (RFC 6121 §3.1.6).
    SubscriptionApproved {
        /// Who approved.
        from: BareJid,
    },
    /// `from` denied the user's request or cancelled the user's
    /// subscription (RFC 6121 §3.2.3).
    SubscriptionRevoked {
        /// Who.
        from: BareJid,
    },
    /// `from` unsubscribed from the user's presence (RFC 6121 §3.3.3).
    ContactUnsubscribed {
        /// Who.
        from: BareJid,
    },
    /// A chat, normal, headline or groupchat message (RFC 6121 §5).
    Message(Message),
    /// An error message answering one the user sent.
    MessageFailed {
        /// The id of the message sent.
        id: String,
        /// Where it went.
        to: Jid,
        /// The error.
        error: StanzaError,
    },
    /// A carbon copy (XEP-0280 §6) from the user's own account.
    Carbon {
        /// Received by, or sent from, another resource.
        direction: CarbonDirection,
        /// The message copied.
        message: Message,
    },
    /// The fetched blocklist replaced the cache.
    BlocklistReceived {
        /// The request.
        request: RequestId,
    },
    /// The server pushed new blocklist entries (XEP-0191 §3.3).
    Blocked {
        /// The JIDs blocked.
        jids: Vec<Jid>,
    },
    /// The server pushed removed entries (XEP-0191 §3.4); empty: all
    /// (§3.5).
    Unblocked {
        /// The JIDs unblocked, or none for all.
        jids: Vec<Jid>,
    },
    /// The server says a privacy list changed (XEP-0016 §2.6); answered
    /// with the result the protocol requires.
    PrivacyListChanged {
        /// The list's name.
        name: String,
    },
    /// The answer to [`ImClient::query_disco_info`].
    DiscoInfo {
        /// The request.
        request: RequestId,
        /// Who answered.
        from: Option<Jid>,
        /// What it offers.
        info: DiscoInfo,
    },
    /// An IQ request nothing here answers: reply with
    /// [`ImClient::reply`] (RFC 6120 §8.2.3: every request gets an
    /// answer).
    IqRequest(Iq),
    /// A stanza dropped by a check; for logs.
    Dropped {
        /// Why.
        reason: DropReason,
        /// The stanza.
        stanza: Box<Stanza>,
    },
}

/// The IM logic of one client resource (RFC 6121 and XEP-0191, XEP-0280,
/// XEP-0030, XEP-0199), over the stanzas of a bound stream.
///
/// Methods by kind (as quinn-proto sorts them):
/// - getters: [`jid`](Self::jid), [`roster`](Self::roster),
///   [`presence`](Self::presence), [`blocklist`](Self::blocklist),
///   [`is_blocked`](Self::is_blocked), [`carbons_enabled`](Self::carbons_enabled),
///   [`subscription_requests`](Self::subscription_requests),
///   [`directed_presences`](Self::directed_presences);
/// - input: [`handle_stanza`](Self::handle_stanza) for every stanza the
///   stream delivers, [`handle_timeout`](Self::handle_timeout) when
///   [`poll_timeout`](Self::poll_timeout)'s deadline passed;
/// - commands: roster, presence, subscriptions, messages, blocking,
///   carbons, discovery, ping, custom requests;
/// - output, to drain after every call: [`poll_transmit`](Self::poll_transmit)
///   (stanzas for the stream), [`poll_event`](Self::poll_event),
///   [`poll_timeout`](Self::poll_timeout).
///
/// ```
/// use std::time::Instant;
/// use stanzio_im::{ImClient, ImClientConfig, ImEvent};
/// use stanzio_stanza::{Iq, Stanza};
/// use stanzio_xml::Element;
/// # struct Rng(u64);
/// # impl rand_core::RngCore for Rng {
/// #     fn next_u32(&mut self) -> u32 { self.next_u64() as u32 }
/// #     fn next_u64(&mut self) -> u64 { self.0 += 1; self.0 }
/// #     fn fill_bytes(&mut self, d: &mut [u8]) { for b in d { *b = self.next_u64() as u8 } }
/// # }
/// # impl rand_core::CryptoRng for Rng {}
/// # let now = Instant::now();
///
/// let jid = "juliet@capulet.lit/balcony".parse()?;
/// let mut client = ImClient::new(ImClientConfig::new(jid), Rng(0));
/// client.fetch_roster(now)?;
/// let Some(Stanza::Iq(get)) = client.poll_transmit() else { unreachable!() };
///
/// // A push from a stranger is refused, whatever it says.
/// let push = Element::builder("query", "jabber:iq:roster")
///     .child(Element::builder("item", "jabber:iq:roster").attr("jid", "mallory@evil.example").build()?)
///     .build()?;
/// let spoof = Iq::set("p1", push).with_from("mallory@evil.example".parse()?);
/// client.handle_stanza(Stanza::Iq(spoof));
/// assert!(matches!(client.poll_event(), Some(ImEvent::SpoofedRosterPush { .. })));
/// assert!(client.roster().is_empty());
/// # let _ = get;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ImClient {
    config: ImClientConfig,
    rng: Box<dyn CryptoRng + Send>,
    requests: IqTracker,
    roster: Roster,
    presence: PresenceTracker,
    blocklist: Blocklist,
    sent: SentMessages,
    carbons: bool,
    subscription_requests: Vec<BareJid>,
    directed: Vec<Jid>,
    transmit: VecDeque<Stanza>,
    events: VecDeque<ImEvent>,
}

impl std::fmt::Debug for ImClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImClient")
            .field("jid", &self.config.jid)
            .field("requests", &self.requests.len())
            .field("roster", &self.roster.len())
            .field("resources", &self.presence.len())
            .field("blocklist", &self.blocklist.len())
            .finish_non_exhaustive()
    }
}

impl ImClient {
    /// A client for the session `config.jid`, drawing request ids from
    /// `rng`.
    pub fn new(config: ImClientConfig, rng: impl CryptoRng + Send + 'static) -> Self {
        ImClient {
            requests: IqTracker::new(config.max_pending_requests, config.request_timeout),
            presence: PresenceTracker::new(config.max_tracked_resources),
            sent: SentMessages::new(config.max_sent_messages),
            config,
            rng: Box::new(rng),
            roster: Roster::new(),
            blocklist: Blocklist::new(),
            carbons: false,
            subscription_requests: Vec::new(),
            directed: Vec::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Starts from a roster persisted earlier: with roster versioning,
    /// [`fetch_roster`](Self::fetch_roster) asks only for what changed
    /// since its version.
    pub fn with_roster(mut self, roster: Roster) -> Self {
        self.roster = roster;
        self
    }

    // ---- Getters ----

    /// The bound JID.
    pub fn jid(&self) -> &FullJid {
        &self.config.jid
    }

    /// The roster cache.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// Every contact's available resources.
    pub fn presence(&self) -> &PresenceTracker {
        &self.presence
    }

    /// The blocklist cache (fetched, then kept current by pushes).
    pub fn blocklist(&self) -> &Blocklist {
        &self.blocklist
    }

    /// Whether the blocklist cache blocks `jid` (XEP-0191 §6 matching).
    pub fn is_blocked(&self, jid: &Jid) -> bool {
        self.blocklist.is_blocked(jid)
    }

    /// Whether the server confirmed carbons are on.
    pub fn carbons_enabled(&self) -> bool {
        self.carbons
    }

    /// Subscription requests received and not answered yet.
    pub fn subscription_requests(&self) -> &[BareJid] {
        &self.subscription_requests
    }

    /// Where directed presence went that no unavailable ended yet (RFC
    /// 6121 §4.6; the server sends those unavailable when the user goes
    /// offline).
    pub fn directed_presences(&self) -> &[Jid] {
        &self.directed
    }

    // ---- Output ----

    /// The next stanza to send on the stream.
    pub fn poll_transmit(&mut self) -> Option<Stanza> {
        self.transmit.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ImEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due: the earliest
    /// request deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.requests.next_deadline()
    }

    /// Fails the requests whose deadline passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        for (request, _) in self.requests.expire(now) {
            self.events.push_back(ImEvent::RequestFailed {
                request,
                failure: RequestFailure::Timeout,
            });
        }
    }

    // ---- Commands: requests ----

    /// Sends a `get` (or, with `set`, a `set`) of `payload` to `to` and
    /// tracks it.
    fn request(
        &mut self,
        now: Instant,
        to: Option<Jid>,
        set: bool,
        payload: Element,
        purpose: Purpose,
    ) -> Result<RequestId, CommandError> {
        let id = self
            .requests
            .start(self.rng.as_mut(), now, to.clone(), purpose)
            .map_err(|_| CommandError::TooManyRequests(self.config.max_pending_requests))?;
        let mut iq = if set {
            Iq::set(id.as_str(), payload)
        } else {
            Iq::get(id.as_str(), payload)
        };
        iq.to = to;
        self.transmit.push_back(Stanza::Iq(iq));
        Ok(id)
    }

    /// Fetches the roster (RFC 6121 §2.2); with versioning, asks for the
    /// changes since the cached version (XEP-0237 §3).
    ///
    /// # Errors
    ///
    /// [`CommandError::TooManyRequests`].
    pub fn fetch_roster(&mut self, now: Instant) -> Result<RequestId, CommandError> {
        let versioned = self.config.roster_versioning;
        let ver = versioned.then(|| self.roster.version().unwrap_or_default().to_owned());
        let payload = RosterQuery::get(ver).to_element()?;
        self.request(now, None, false, payload, Purpose::RosterGet { versioned })
    }

    /// Adds or updates a contact: name and groups (RFC 6121 §2.3); the
    /// subscription fields are the server's and not sent.
    ///
    /// # Errors
    ///
    /// [`CommandError`] for too many requests or an unwritable name.
    pub fn set_roster_item(
        &mut self,
        now: Instant,
        item: RosterItem,
    ) -> Result<RequestId, CommandError> {
        let item = RosterItem {
            name: item.name,
            groups: item.groups,
            ..RosterItem::new(item.jid)
        };
        let payload = RosterQuery::single(item).to_element()?;
        self.request(now, None, true, payload, Purpose::RosterSet)
    }

    /// Removes a contact (RFC 6121 §2.5); the server cancels the
    /// subscriptions both ways.
    ///
    /// # Errors
    ///
    /// [`CommandError::TooManyRequests`].
    pub fn remove_roster_item(
        &mut self,
        now: Instant,
        jid: BareJid,
    ) -> Result<RequestId, CommandError> {
        let payload = RosterQuery::single(RosterItem::remove(jid)).to_element()?;
        self.request(now, None, true, payload, Purpose::RosterSet)
    }

    /// Fetches the blocklist (XEP-0191 §3.2).
    ///
    /// # Errors
    ///
    /// [`CommandError::TooManyRequests`].
    pub fn fetch_blocklist(&mut self, now: Instant) -> Result<RequestId, CommandError> {
        let payload = BlockingCommand::Blocklist(Vec::new()).to_element()?;
        self.request(now, None, false, payload, Purpose::BlocklistGet)
    }

    /// Blocks `jids` (XEP-0191 §3.3).
    ///
    /// # Errors
    ///
    /// [`CommandError::NothingToBlock`] for no JID, or too many requests.
    pub fn block(&mut self, now: Instant, jids: Vec<Jid>) -> Result<RequestId, CommandError> {
        if jids.is_empty() {
            return Err(CommandError::NothingToBlock);
        }
        let payload = BlockingCommand::Block(jids).to_element()?;
        self.request(now, None, true, payload, Purpose::Block)
    }

    /// Unblocks `jids` (XEP-0191 §3.4); no JID unblocks everyone (§3.5,
    /// see [`unblock_all`](Self::unblock_all)).
    ///
    /// # Errors
    ///
    /// [`CommandError::TooManyRequests`].
    pub fn unblock(&mut self, now: Instant, jids: Vec<Jid>) -> Result<RequestId, CommandError> {
        let payload = BlockingCommand::Unblock(jids).to_element()?;
        self.request(now, None, true, payload, Purpose::Unblock)
    }

    /// Unblocks everyone (XEP-0191 §3.5).
    ///
    /// # Errors
    ///
    /// [`CommandError::TooManyRequests`].
    pub fn unblock_all(&mut self, now: Instant) -> Result<RequestId, CommandError> {
        self.unblock(now, Vec::new())
    }

    /// Turns carbons on or off (XEP-0280 §4, §5).
    ///
    /// # Errors
    ///
    /// [`CommandError::TooManyRequests`].
    pub fn set_carbons(&mut self, now: Instant, enable: bool) -> Result<RequestId, CommandError> {
        let command = if enable {
            CarbonsCommand::Enable
        } else {
            CarbonsCommand::Disable
        };
        self.request(
            now,
            None,
            true,
            command.to_element(),
            Purpose::Carbons { enable },
        )
    }

    /// Asks `to` what it offers (XEP-0030 §3), at `node` if given.
    ///
    /// # Errors
    ///
    /// [`CommandError`] for too many requests or an unwritable node.
    pub fn query_disco_info(
        &mut self,
        now: Instant,
        to: Jid,
        node: Option<String>,
    ) -> Result<RequestId, CommandError> {
        let payload = DiscoInfo::query(node).to_element()?;
        self.request(now, Some(to), false, payload, Purpose::DiscoInfo)
    }

    /// Pings `to`, or the server without `to` (XEP-0199 §4).
    ///
    /// # Errors
    ///
    /// [`CommandError::TooManyRequests`].
    pub fn ping(&mut self, now: Instant, to: Option<Jid>) -> Result<RequestId, CommandError> {
        self.request(now, to, false, Ping.to_element(), Purpose::Ping)
    }

    /// Sends the application's own request (a `get` or `set` of `payload`
    /// to `to`); the answer comes as [`ImEvent::IqResult`] or
    /// [`ImEvent::RequestFailed`], after the same sender check.
    ///
    /// # Errors
    ///
    /// [`CommandError::TooManyRequests`].
    pub fn send_request(
        &mut self,
        now: Instant,
        to: Option<Jid>,
        set: bool,
        payload: Element,
    ) -> Result<RequestId, CommandError> {
        self.request(now, to, set, payload, Purpose::Custom)
    }

    /// Answers a request from [`ImEvent::IqRequest`]: a result with an
    /// optional payload, or an error.
    pub fn reply(&mut self, request: &Iq, answer: Result<Option<Element>, StanzaError>) {
        let ctx = StreamContext::new(ContentNamespace::Client);
        let reply = match answer {
            Ok(payload) => request.result_reply(payload, &ctx),
            Err(error) => request.error_reply(error, &ctx),
        };
        if let Some(reply) = reply {
            self.transmit.push_back(Stanza::Iq(reply));
        }
    }

    // ---- Commands: presence and subscriptions ----

    /// Sends presence: without `to`, to every subscriber (RFC 6121 §4.2,
    /// §4.4, §4.5); with `to`, directed (§4.6), which is remembered until
    /// a directed unavailable or a broadcast one.
    pub fn send_presence(&mut self, presence: Presence) {
        match (&presence.to, presence.type_) {
            (Some(to), PresenceType::Available) if !self.directed.contains(to) => {
                self.directed.push(to.clone());
            }
            (Some(to), PresenceType::Unavailable) => self.directed.retain(|j| j != to),
            (None, PresenceType::Unavailable) => self.directed.clear(),
            _ => {}
        }
        self.transmit.push_back(Stanza::Presence(presence));
    }

    fn subscription(&mut self, to: BareJid, type_: PresenceType) {
        self.subscription_requests.retain(|j| *j != to);
        self.transmit.push_back(Stanza::Presence(
            Presence::new(type_).with_to(Jid::from(to)),
        ));
    }

    /// Asks `contact` for a subscription to its presence (RFC 6121 §3.1.1).
    pub fn subscribe(&mut self, contact: BareJid) {
        self.transmit.push_back(Stanza::Presence(
            Presence::new(PresenceType::Subscribe).with_to(Jid::from(contact)),
        ));
    }

    /// Approves `contact`'s request (RFC 6121 §3.1.4).
    pub fn approve(&mut self, contact: BareJid) {
        self.subscription(contact, PresenceType::Subscribed);
    }

    /// Denies `contact`'s request (RFC 6121 §3.1.4), or cancels the
    /// subscription it has (§3.2.1): both are `unsubscribed`.
    pub fn deny(&mut self, contact: BareJid) {
        self.subscription(contact, PresenceType::Unsubscribed);
    }

    /// Ends the user's subscription to `contact`'s presence (RFC 6121
    /// §3.3.1).
    pub fn unsubscribe(&mut self, contact: BareJid) {
        self.transmit.push_back(Stanza::Presence(
            Presence::new(PresenceType::Unsubscribe).with_to(Jid::from(contact)),
        ));
    }

    /// Approves `contact`'s request before it is made (RFC 6121 §3.4).
    ///
    /// # Errors
    ///
    /// [`CommandError::PreApprovalUnsupported`] if the server did not
    /// offer it: the `subscribed` would be dropped (A.2.3).
    pub fn preapprove(&mut self, contact: BareJid) -> Result<(), CommandError> {
        if !self.config.pre_approval {
            return Err(CommandError::PreApprovalUnsupported);
        }
        self.subscription(contact, PresenceType::Subscribed);
        Ok(())
    }

    // ---- Commands: messages ----

    /// Sends `message`, with a fresh random `id` if it has none, and
    /// returns the id: an error message with it comes back as
    /// [`ImEvent::MessageFailed`].
    pub fn send_message(&mut self, mut message: Message) -> String {
        let id = match message.id.as_deref() {
            Some(id) => id.to_owned(),
            None => {
                let mut bytes = [0u8; 8];
                self.rng.fill_bytes(&mut bytes);
                let id = iq::hex(&bytes);
                message.id = Some(id.as_str().into());
                id
            }
        };
        let to = message
            .to
            .clone()
            .unwrap_or_else(|| Jid::from(self.config.jid.to_bare()));
        self.sent.record(id.clone(), to);
        self.transmit.push_back(Stanza::Message(message));
        id
    }

    // ---- Input ----

    /// Takes in a stanza the stream delivered.
    pub fn handle_stanza(&mut self, stanza: Stanza) {
        match stanza {
            Stanza::Iq(iq) => self.handle_iq(iq),
            Stanza::Presence(presence) => self.handle_presence(presence),
            Stanza::Message(message) => self.handle_message(message),
        }
    }

    fn drop_stanza(&mut self, reason: DropReason, stanza: impl Into<Stanza>) {
        self.events.push_back(ImEvent::Dropped {
            reason,
            stanza: Box::new(stanza.into()),
        });
    }

    /// Whether `from` is the user's own account: no `from`, or the bare
    /// JID (RFC 6121 §2.1.6; RFC 6120 §8.1.2.1).
    fn is_own_account(&self, from: Option<&Jid>) -> bool {
        from.is_none_or(|from| *from == self.config.jid.to_bare())
    }

    fn handle_iq(&mut self, iq: Iq) {
        let (payload, is_set) = match &iq.payload {
            IqPayload::Get(payload) => (payload.root(), false),
            IqPayload::Set(payload) => (payload.root(), true),
            IqPayload::Result(_) | IqPayload::Error { .. } => return self.handle_response(iq),
        };
        match (payload.ns(), payload.name(), is_set) {
            (NS_ROSTER, "query", true) => self.roster_push(iq),
            (NS_BLOCKING, "block" | "unblock", true) => self.blocklist_push(iq),
            (NS_PRIVACY, "query", true) => self.privacy_push(iq),
            (NS_DISCO_INFO, "query", false) if payload.attr("node").is_none() => {
                let mut features = vec![NS_DISCO_INFO.to_owned(), NS_PING.to_owned()];
                for feature in &self.config.features {
                    // XEP-0030 §3.1: each feature once.
                    if !features.contains(feature) {
                        features.push(feature.clone());
                    }
                }
                let info = DiscoInfo {
                    identities: vec![self.config.identity.clone()],
                    features,
                    ..DiscoInfo::default()
                };
                let answer = info
                    .to_element()
                    .map(Some)
                    .map_err(|_| StanzaError::new(Condition::InternalServerError));
                self.reply(&iq, answer);
            }
            // XEP-0199 §4: a pong is an empty result.
            (NS_PING, "ping", false) => self.reply(&iq, Ok(None)),
            _ => self.events.push_back(ImEvent::IqRequest(iq)),
        }
    }

    /// A roster push (RFC 6121 §2.1.6).
    fn roster_push(&mut self, iq: Iq) {
        if !self.is_own_account(iq.from.as_ref()) {
            // CVE-2015-8688 class: anyone can address an IQ set to us.
            self.reply(&iq, Err(StanzaError::new(Condition::ServiceUnavailable)));
            if let Some(from) = iq.from {
                self.events.push_back(ImEvent::SpoofedRosterPush { from });
            }
            return;
        }
        let IqPayload::Set(payload) = &iq.payload else {
            return;
        };
        let query = match RosterQuery::from_element(payload.root()) {
            Ok(query) => query,
            Err(error) => {
                self.reply(&iq, Err(StanzaError::new(Condition::BadRequest)));
                return self.drop_stanza(DropReason::Malformed(error), iq);
            }
        };
        let RosterQuery { ver, items } = query;
        // §2.1.6: a push carries exactly one item.
        let mut items = items.into_iter();
        let (Some(item), None) = (items.next(), items.next()) else {
            self.reply(&iq, Err(StanzaError::new(Condition::BadRequest)));
            let error = PayloadError::UnexpectedChild {
                element: "query",
                child: "item".into(),
            };
            return self.drop_stanza(DropReason::Malformed(error), iq);
        };
        let grows = self.roster.get(&item.jid).is_none();
        if grows && self.roster.len() >= self.config.max_roster_items {
            self.reply(&iq, Err(StanzaError::new(Condition::ResourceConstraint)));
            return self.drop_stanza(DropReason::LimitExceeded("roster items"), iq);
        }
        self.reply(&iq, Ok(None));
        if let Some(change) = self.roster.apply(item, ver.clone()) {
            self.events.push_back(ImEvent::RosterPush {
                change,
                version: ver,
            });
        }
    }

    /// A blocklist push (XEP-0191 §3.3, §3.4): from the user's account
    /// only, as roster pushes.
    fn blocklist_push(&mut self, iq: Iq) {
        if !self.is_own_account(iq.from.as_ref()) {
            self.reply(&iq, Err(StanzaError::new(Condition::ServiceUnavailable)));
            return self.drop_stanza(DropReason::SpoofedBlocklistPush, iq);
        }
        let IqPayload::Set(payload) = &iq.payload else {
            return;
        };
        let command = match BlockingCommand::from_element(payload.root()) {
            Ok(command) => command,
            Err(error) => {
                self.reply(&iq, Err(StanzaError::new(Condition::BadRequest)));
                return self.drop_stanza(DropReason::Malformed(error), iq);
            }
        };
        match command {
            BlockingCommand::Block(jids) => {
                let new = jids
                    .iter()
                    .filter(|j| !self.blocklist.entries().contains(j))
                    .count();
                if self.blocklist.len() + new > self.config.max_blocklist_items {
                    self.reply(&iq, Err(StanzaError::new(Condition::ResourceConstraint)));
                    return self.drop_stanza(DropReason::LimitExceeded("blocklist entries"), iq);
                }
                self.blocklist.block(&jids);
                self.reply(&iq, Ok(None));
                // No presence comes from them any more (XEP-0191 §3.3):
                // what was seen of them is stale.
                let list = &self.blocklist;
                self.presence.forget(|jid| list.is_blocked(jid));
                self.events.push_back(ImEvent::Blocked { jids });
            }
            BlockingCommand::Unblock(jids) => {
                if jids.is_empty() {
                    self.blocklist.clear();
                } else {
                    self.blocklist.unblock(&jids);
                }
                self.reply(&iq, Ok(None));
                self.events.push_back(ImEvent::Unblocked { jids });
            }
            BlockingCommand::Blocklist(_) => {
                self.reply(&iq, Err(StanzaError::new(Condition::BadRequest)));
            }
        }
    }

    /// ejabberd's privacy-list push (XEP-0016 §2.6): from the user's
    /// account, it is answered with the empty result every resource owes
    /// it; an error would make the server count the resource as broken.
    fn privacy_push(&mut self, iq: Iq) {
        if !self.is_own_account(iq.from.as_ref()) {
            self.reply(&iq, Err(StanzaError::new(Condition::ServiceUnavailable)));
            return self.drop_stanza(DropReason::SpoofedPrivacyListPush, iq);
        }
        let IqPayload::Set(payload) = &iq.payload else {
            return;
        };
        match PrivacyListPush::from_element(payload.root()) {
            Ok(push) => {
                self.reply(&iq, Ok(None));
                self.events
                    .push_back(ImEvent::PrivacyListChanged { name: push.name });
            }
            Err(error) => {
                self.reply(&iq, Err(StanzaError::new(Condition::BadRequest)));
                self.drop_stanza(DropReason::Malformed(error), iq);
            }
        }
    }

    fn handle_response(&mut self, iq: Iq) {
        let pending = match self
            .requests
            .take(&iq.id, iq.from.as_ref(), &self.config.jid)
        {
            Matched::Request(pending) => pending,
            Matched::Unknown => return self.drop_stanza(DropReason::UnsolicitedResponse, iq),
            Matched::WrongSender { expected } => {
                return self.drop_stanza(DropReason::ResponseFromWrongSender { expected }, iq);
            }
        };
        let request = RequestId::new(iq.id.as_str());
        let payload = match iq.payload {
            IqPayload::Result(payload) => payload,
            IqPayload::Error { error, .. } => {
                self.events.push_back(ImEvent::RequestFailed {
                    request,
                    failure: RequestFailure::Error(error),
                });
                return;
            }
            IqPayload::Get(_) | IqPayload::Set(_) => return,
        };
        match self.read_result(&pending, &iq.from, request.clone(), payload) {
            Ok(event) => self.events.push_back(event),
            Err(failure) => self
                .events
                .push_back(ImEvent::RequestFailed { request, failure }),
        }
    }

    /// Reads the result of a request by what it was for.
    // Both outcomes become events right away; the error is never carried
    // up a call chain.
    #[allow(clippy::result_large_err)]
    fn read_result(
        &mut self,
        pending: &Pending,
        from: &Option<Jid>,
        request: RequestId,
        payload: Option<Element>,
    ) -> Result<ImEvent, RequestFailure> {
        let done = ImEvent::RequestCompleted {
            request: request.clone(),
        };
        Ok(match pending.purpose {
            Purpose::RosterGet { versioned } => match payload {
                // XEP-0237 §3: nothing changed since our version.
                None if versioned => ImEvent::RosterUnchanged { request },
                None => {
                    self.roster.replace(None, Vec::new());
                    ImEvent::RosterReceived {
                        request,
                        version: None,
                    }
                }
                Some(payload) => {
                    let query = RosterQuery::from_element(payload.root())
                        .map_err(RequestFailure::MalformedResponse)?;
                    if query.items.len() > self.config.max_roster_items {
                        return Err(RequestFailure::LimitExceeded("roster items"));
                    }
                    let version = query.ver.clone();
                    self.roster.replace(query.ver, query.items);
                    ImEvent::RosterReceived { request, version }
                }
            },
            Purpose::BlocklistGet => {
                let Some(payload) = payload else {
                    return Err(RequestFailure::MalformedResponse(
                        PayloadError::MissingChild {
                            element: "iq",
                            child: "blocklist",
                        },
                    ));
                };
                let jids = match BlockingCommand::from_element(payload.root()) {
                    Ok(BlockingCommand::Blocklist(jids)) => jids,
                    Ok(_) => {
                        return Err(RequestFailure::MalformedResponse(
                            PayloadError::UnexpectedChild {
                                element: "iq",
                                child: payload.name().to_owned(),
                            },
                        ));
                    }
                    Err(error) => return Err(RequestFailure::MalformedResponse(error)),
                };
                if jids.len() > self.config.max_blocklist_items {
                    return Err(RequestFailure::LimitExceeded("blocklist entries"));
                }
                self.blocklist = Blocklist::from(jids);
                let list = &self.blocklist;
                self.presence.forget(|jid| list.is_blocked(jid));
                ImEvent::BlocklistReceived { request }
            }
            Purpose::DiscoInfo => {
                let Some(payload) = payload else {
                    return Err(RequestFailure::MalformedResponse(
                        PayloadError::MissingChild {
                            element: "iq",
                            child: "query",
                        },
                    ));
                };
                let info = DiscoInfo::from_element(payload.root())
                    .map_err(RequestFailure::MalformedResponse)?;
                ImEvent::DiscoInfo {
                    request,
                    from: from.clone(),
                    info,
                }
            }
            Purpose::Carbons { enable } => {
                self.carbons = enable;
                done
            }
            Purpose::RosterSet | Purpose::Block | Purpose::Unblock | Purpose::Ping => done,
            Purpose::Custom => ImEvent::IqResult { request, payload },
        })
    }

    fn handle_presence(&mut self, presence: Presence) {
        if presence.type_ == PresenceType::Error {
            if let Some(from) = &presence.from {
                self.presence.remove(from);
            }
            let error = presence
                .error
                .unwrap_or_else(|| StanzaError::new(Condition::UndefinedCondition));
            self.events.push_back(ImEvent::PresenceError {
                from: presence.from,
                error,
            });
            return;
        }
        // Everything else needs a sender: a server stamps it (RFC 6120
        // §8.1.2.1), reflecting even the user's own presence with one.
        let Some(from) = presence.from.clone() else {
            let missing = PayloadError::MissingAttribute {
                element: "presence",
                attribute: "from",
            };
            return self.drop_stanza(DropReason::Malformed(missing), presence);
        };
        let bare = from.to_bare();
        match presence.type_ {
            PresenceType::Available | PresenceType::Unavailable => {
                if self.presence.update(&from, &presence).is_err() {
                    return self
                        .drop_stanza(DropReason::LimitExceeded("tracked resources"), presence);
                }
                self.events.push_back(ImEvent::Presence(presence));
            }
            PresenceType::Subscribe => {
                if !self.subscription_requests.contains(&bare) {
                    self.subscription_requests.push(bare.clone());
                }
                self.events.push_back(ImEvent::SubscriptionRequest {
                    from: bare,
                    presence,
                });
            }
            PresenceType::Subscribed => {
                self.events
                    .push_back(ImEvent::SubscriptionApproved { from: bare });
            }
            PresenceType::Unsubscribed => {
                self.events
                    .push_back(ImEvent::SubscriptionRevoked { from: bare });
            }
            PresenceType::Unsubscribe => {
                self.subscription_requests.retain(|j| *j != bare);
                self.events
                    .push_back(ImEvent::ContactUnsubscribed { from: bare });
            }
            PresenceType::Probe | PresenceType::Error => {
                self.drop_stanza(DropReason::Probe, presence);
            }
        }
    }

    fn handle_message(&mut self, message: Message) {
        let carbon = [CarbonDirection::Received, CarbonDirection::Sent]
            .into_iter()
            .find_map(|d| {
                message
                    .payload(d.as_str(), NS_CARBONS)
                    .map(|e| e.to_owned())
            });
        if let Some(wrapper) = carbon {
            // XEP-0280 §11 (CVE-2017-5589 class): only the user's bare JID
            // wraps carbons; a full JID fails too, even the user's own.
            let own = Jid::from(self.config.jid.to_bare());
            if message.from.as_ref() != Some(&own) {
                return self.drop_stanza(DropReason::SpoofedCarbon, message);
            }
            return match Carbon::from_element(wrapper.root()) {
                Ok(Carbon { direction, message }) => {
                    self.events
                        .push_back(ImEvent::Carbon { direction, message });
                }
                Err(error) => self.drop_stanza(DropReason::Malformed(error), message),
            };
        }
        if message.type_ == MessageType::Error {
            let matched = message.id.as_deref().and_then(|id| {
                self.sent
                    .take_error(id, message.from.as_ref(), self.config.jid.domain())
                    .map(|to| (id.to_owned(), to))
            });
            return match (matched, message.error.clone()) {
                (Some((id, to)), Some(error)) => {
                    self.events
                        .push_back(ImEvent::MessageFailed { id, to, error });
                }
                _ => self.drop_stanza(DropReason::UnmatchedError, message),
            };
        }
        self.events.push_back(ImEvent::Message(message));
    }
}
