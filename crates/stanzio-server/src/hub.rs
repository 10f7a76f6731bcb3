//! What all sessions share: the IM logic ([`ImServer`]) over the store,
//! the live and detached sessions by full JID, the connected components,
//! and the resumable sessions kept for XEP-0198.
//!
//! A session whose connection dropped with resumable stream management is
//! *detached*, not gone: its presence stands and stanzas for it join the
//! resumption state, so a resumed session misses nothing. When the
//! resumption window closes, it ends for real: unavailable presence goes
//! out and its undelivered messages are stored offline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use stanzio_im::server::ServerOutput;
use stanzio_im::{AccountStore, ImServer, ImServerConfig};
use stanzio_jid::{BareJid, FullJid};
use stanzio_stanza::{Condition, Message, MessageType, Stanza, StanzaError, StreamContext};
use stanzio_stream::ResumptionState;
use stanzio_tokio::SessionHandle;
use stanzio_xml::ContentNamespace;

use crate::store::ImStore;

/// Stanzas a detached session collects before it ends early. Without a
/// bound anyone could grow the server by writing to a dropped session.
/// Half of what a session may have unacknowledged (stanzio-stream's server
/// keeps at most 1000): a resumed session takes them all at once, and when
/// a full one ends, the bounces of what cannot wait offline (RFC 6121
/// §8.5.2.1.1) reach their senders at once too, which must not push a
/// sender over its own limit.
pub const MAX_DETACHED_STANZAS: usize = 500;

/// Where stanzas for one bound full JID go.
enum Route {
    /// Online, on the connection with this id.
    Live {
        handle: SessionHandle,
        id: u64,
        /// Stanzas the connection refused because it had just closed:
        /// they wait for its `disconnected`, which says whether the
        /// session is kept for resumption (then they join what it
        /// resends) or ends (then messages wait offline).
        stranded: Vec<Stanza>,
    },
    /// Dropped, resumable until `expires`.
    Detached {
        state: Box<ResumptionState>,
        expires: Instant,
    },
}

struct State {
    im: ImServer,
    store: ImStore,
    routes: HashMap<FullJid, Route>,
    components: HashMap<String, SessionHandle>,
    resumption_window: Duration,
}

/// The shared state, cheap to clone.
#[derive(Clone)]
pub struct Hub(Arc<Mutex<State>>);

impl Hub {
    /// A hub for `domains` over `store`.
    pub fn new(domains: &[String], store: ImStore, resumption_window: Duration) -> Self {
        Hub(Arc::new(Mutex::new(State {
            im: ImServer::new(ImServerConfig::new(domains.iter().cloned())),
            store,
            routes: HashMap::new(),
            components: HashMap::new(),
            resumption_window,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in one session must not stop the others.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a live session holds `jid` (bind asks before replacing).
    pub fn live_session(&self, jid: &FullJid) -> Option<SessionHandle> {
        match self.lock().routes.get(jid) {
            Some(Route::Live { handle, .. }) => Some(handle.clone()),
            _ => None,
        }
    }

    /// A client session is online (bound, or resumed) on the connection
    /// `id`.
    pub fn online(&self, jid: FullJid, handle: SessionHandle, id: u64, resumed: bool) {
        let mut state = self.lock();
        // A resumed session's route moved to this connection when its
        // state was taken; what the connection refused since stays.
        let stranded = match state.routes.get_mut(&jid) {
            Some(Route::Live {
                id: live, stranded, ..
            }) if *live == id => std::mem::take(stranded),
            _ => Vec::new(),
        };
        let previous = state.routes.insert(
            jid.clone(),
            Route::Live {
                handle,
                id,
                stranded,
            },
        );
        // A resumed session is the detached one going on (XEP-0198 §5):
        // its IM state (presence, carbons, roster interest) stands.
        if !resumed {
            match previous {
                // A new session on a resource kept for resumption: the
                // kept one ends for real first, and what it collected
                // waits offline.
                Some(Route::Detached { state: kept, .. }) => state.end_session(&jid, kept.unacked),
                // The connection this one replaces (RFC 6120 §7.7.2.2)
                // refused these while closing; its own `disconnected`
                // will find the route taken over.
                Some(Route::Live { stranded, .. }) => {
                    let account = jid.to_bare();
                    for stanza in stranded {
                        state.undeliverable(&account, stanza);
                    }
                }
                None => {}
            }
            state.im.session_started(jid);
        }
        state.pump();
    }

    /// A component is online.
    pub fn component_online(&self, domain: String, handle: SessionHandle) {
        self.lock().components.insert(domain, handle);
    }

    /// A component's connection ended.
    pub fn component_gone(&self, domain: &str) {
        self.lock().components.remove(domain);
    }

    /// A stanza from the client bound to `sender`.
    pub fn client_stanza(&self, sender: &FullJid, stanza: Stanza) {
        let mut state = self.lock();
        let State { im, store, .. } = &mut *state;
        im.handle_stanza(store, sender, stanza);
        state.pump();
    }

    /// A stanza from a component (its `from` was checked to be inside the
    /// component's domain by the stream layer).
    pub fn component_stanza(&self, stanza: Stanza) {
        let mut state = self.lock();
        state.route_inbound(stanza);
    }

    /// The connection `id`, bound to `jid`, ended. If another connection
    /// took `jid` over meanwhile (RFC 6120 §7.7.2.2 `conflict`), the
    /// session lives on there; only this connection's undelivered
    /// messages are kept.
    pub fn disconnected(
        &self,
        jid: &FullJid,
        id: u64,
        resumption: Option<ResumptionState>,
        undelivered: Vec<Stanza>,
        now: Instant,
    ) {
        let mut state = self.lock();
        let ours =
            matches!(state.routes.get(jid), Some(Route::Live { id: live, .. }) if *live == id);
        if !ours {
            let account = jid.to_bare();
            let unacked = resumption.map(|r| r.unacked).unwrap_or_default();
            for stanza in undelivered.into_iter().chain(unacked) {
                state.undeliverable(&account, stanza);
            }
            return;
        }
        let stranded = match state.routes.remove(jid) {
            Some(Route::Live { stranded, .. }) => stranded,
            _ => Vec::new(),
        };
        match resumption {
            // Oldest first: sent and unacknowledged, then queued and never
            // written, then refused while closing.
            Some(mut resumption) => {
                resumption.unacked.extend(undelivered);
                resumption.unacked.extend(stranded);
                // What a resumed session could not take waits offline
                // now, newest first out; the session itself is kept.
                let overflow = resumption
                    .unacked
                    .split_off(resumption.unacked.len().min(MAX_DETACHED_STANZAS));
                let account = jid.to_bare();
                for stanza in overflow {
                    state.undeliverable(&account, stanza);
                }
                let expires = now + state.resumption_window;
                state.routes.insert(
                    jid.clone(),
                    Route::Detached {
                        state: Box::new(resumption),
                        expires,
                    },
                );
            }
            None => {
                let mut undelivered = undelivered;
                undelivered.extend(stranded);
                state.end_session(jid, undelivered);
            }
        }
        state.pump();
    }

    /// Takes the state kept for `previd` if it is `account`'s and still
    /// in its window, and routes the session to the connection `id` that
    /// resumes it from now on: what arrives before that connection is
    /// online waits in its queue, after what it sends again.
    pub fn take_resumption(
        &self,
        account: &BareJid,
        previd: &str,
        handle: SessionHandle,
        id: u64,
        now: Instant,
    ) -> Option<ResumptionState> {
        let mut state = self.lock();
        let jid = state.routes.iter().find_map(|(jid, route)| match route {
            Route::Detached {
                state: kept,
                expires,
            } if kept.id == previd && jid.to_bare() == *account && *expires > now => {
                Some(jid.clone())
            }
            _ => None,
        })?;
        let live = Route::Live {
            handle,
            id,
            stranded: Vec::new(),
        };
        match state.routes.insert(jid, live) {
            Some(Route::Detached { state: kept, .. }) => Some(*kept),
            _ => None,
        }
    }

    /// Ends detached sessions whose resumption window closed.
    pub fn expire(&self, now: Instant) {
        let mut state = self.lock();
        let expired: Vec<FullJid> = state
            .routes
            .iter()
            .filter_map(|(jid, route)| match route {
                Route::Detached { expires, .. } if *expires <= now => Some(jid.clone()),
                _ => None,
            })
            .collect();
        for jid in expired {
            if let Some(Route::Detached { state: kept, .. }) = state.routes.remove(&jid) {
                state.end_session(&jid, kept.unacked);
            }
        }
        state.pump();
    }

    /// Every live session (for shutdown).
    pub fn live_sessions(&self) -> Vec<SessionHandle> {
        let state = self.lock();
        state
            .routes
            .values()
            .filter_map(|route| match route {
                Route::Live { handle, .. } => Some(handle.clone()),
                Route::Detached { .. } => None,
            })
            .chain(state.components.values().cloned())
            .collect()
    }
}

impl State {
    /// A session is gone for good: presence, and its undelivered messages
    /// to offline storage (RFC 6121 §8.5.2.1.1 asks to store or bounce).
    fn end_session(&mut self, jid: &FullJid, undelivered: Vec<Stanza>) {
        let State { im, store, .. } = self;
        im.session_ended(store, jid);
        let account = jid.to_bare();
        for stanza in undelivered {
            self.undeliverable(&account, stanza);
        }
    }

    /// Sends everything the IM logic queued.
    fn pump(&mut self) {
        while let Some(output) = self.im.poll_output() {
            match output {
                ServerOutput::Deliver { to, stanza } => self.deliver(&to, stanza),
                ServerOutput::Remote(stanza) => self.route_remote(stanza),
                ServerOutput::InternalError { account, error } => {
                    tracing::error!(%account, %error, "storage failed while handling a stanza");
                }
                _ => {}
            }
        }
    }

    fn deliver(&mut self, to: &FullJid, stanza: Stanza) {
        match self.routes.get_mut(to) {
            Some(Route::Live {
                handle, stranded, ..
            }) => {
                // Closed meanwhile, and its `disconnected` is on the way.
                if handle.send(stanza.clone()).is_err() {
                    if stranded.len() < MAX_DETACHED_STANZAS {
                        stranded.push(stanza);
                    } else {
                        self.undeliverable(&to.to_bare(), stanza);
                    }
                }
            }
            Some(Route::Detached { state, .. }) if state.unacked.len() < MAX_DETACHED_STANZAS => {
                state.unacked.push(stanza);
            }
            Some(Route::Detached { .. }) => {
                // Full: the session ends now rather than when its window
                // closes.
                if let Some(Route::Detached { state: kept, .. }) = self.routes.remove(to) {
                    self.end_session(to, kept.unacked);
                }
                self.undeliverable(&to.to_bare(), stanza);
            }
            None => self.undeliverable(&to.to_bare(), stanza),
        }
    }

    /// A stanza no session can take: messages wait offline.
    fn undeliverable(&mut self, account: &BareJid, stanza: Stanza) {
        let Stanza::Message(message) = stanza else {
            return;
        };
        if !keeps_offline(&message) {
            return;
        }
        match self.store.store_offline(account, message.clone()) {
            Ok(true) => {}
            // RFC 6121 §8.5.2.1.1: what cannot be stored is bounced, not
            // dropped (the account's offline storage is full).
            Ok(false) => self.bounce(Stanza::Message(message), Condition::ServiceUnavailable),
            Err(error) => {
                tracing::warn!(%account, %error, "storing an offline message failed");
                self.bounce(Stanza::Message(message), Condition::InternalServerError);
            }
        }
    }

    /// Sends the error reply to the sender of `stanza`, if it is a local
    /// session (RFC 6120 §8.3).
    fn bounce(&mut self, stanza: Stanza, condition: Condition) {
        let Some(from) = stanza.from_jid().cloned() else {
            return;
        };
        let context = StreamContext::new(ContentNamespace::Client);
        if let Some(reply) = stanza.error_reply(StanzaError::new(condition), &context)
            && let Ok(to) = FullJid::try_from(from)
            && let Some(Route::Live { handle, .. }) = self.routes.get(&to)
        {
            let _ = handle.send(reply);
        }
    }

    /// Not for a local account: a component's domain, or nowhere (no
    /// server-to-server yet: `remote-server-not-found`, RFC 6120 §8.3.3.15).
    fn route_remote(&mut self, stanza: Stanza) {
        let domain = stanza.to_jid().map(|to| to.domain().to_owned());
        if let Some(handle) = domain.as_deref().and_then(|d| self.components.get(d))
            && handle.send(stanza.clone()).is_ok()
        {
            return;
        }
        let Some(from) = stanza.from_jid().cloned() else {
            return;
        };
        let context = StreamContext::new(ContentNamespace::Client);
        if let Some(reply) =
            stanza.error_reply(StanzaError::new(Condition::RemoteServerNotFound), &context)
            && let Ok(to) = FullJid::try_from(from)
        {
            self.deliver(&to, reply);
        }
    }

    /// A stanza from a component to a local JID: to the full JID's
    /// session, or to the account's sessions by the IM rules.
    fn route_inbound(&mut self, stanza: Stanza) {
        let Some(to) = stanza.to_jid().cloned() else {
            return;
        };
        match FullJid::try_from(to.clone()) {
            Ok(full) if self.routes.contains_key(&full) => self.deliver(&full, stanza),
            _ => {
                let account = to.to_bare();
                let sessions: Vec<FullJid> = self.im.sessions(&account).cloned().collect();
                if sessions.is_empty() {
                    self.undeliverable(&account, stanza);
                    return;
                }
                for session in sessions {
                    self.deliver(&session, stanza.clone());
                }
            }
        }
    }
}

/// RFC 6121 §8.5.2: only chat and normal messages wait offline; errors,
/// headlines and groupchat do not.
fn keeps_offline(message: &Message) -> bool {
    matches!(message.type_, MessageType::Chat | MessageType::Normal)
}
