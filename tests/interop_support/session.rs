//! One connection through either adapter ([`Session`]), and an account's
//! IM logic on top of it ([`Account`]): every stanza and event goes
//! through the [`Trace`].

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use stanzio_blocking::{ClientTlsSettings, Error, OsRng};
use stanzio_im::client::{CommandError, RequestFailure, RequestId};
use stanzio_im::{ImClient, ImClientConfig, ImEvent, NS_ROSTER};
use stanzio_jid::{BareJid, FullJid, Jid};
use stanzio_sasl::ChannelBindingMemory;
use stanzio_stanza::{Condition, IqPayload, Message, Stanza, StanzaError};
use stanzio_stream::{ClientConfig, ClientConnection, ClientEvent, ResumptionState, SmPolicy};
use stanzio_tokio::{ConnectOptions, Event, Reconnect};
use stanzio_xml::{ContentNamespace, StreamWriter};

use super::{PASSWORD, Peer, STEP_TIMEOUT, TlsVersions, Trace, deadline, now};

/// Which stanzio adapter drives a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapter {
    /// `stanzio-blocking`: std sockets, no thread.
    Blocking,
    /// `stanzio-tokio`: a task per connection on a shared runtime.
    Tokio,
}

impl Adapter {
    pub const BOTH: [Adapter; 2] = [Adapter::Blocking, Adapter::Tokio];

    pub fn as_str(self) -> &'static str {
        match self {
            Adapter::Blocking => "blocking",
            Adapter::Tokio => "tokio",
        }
    }
}

/// The runtime every tokio client of the suite runs on: its tasks keep
/// reading and answering while the test waits on another connection.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// A stanza as it goes over the wire, for the trace.
pub fn xml(stanza: &Stanza) -> String {
    let mut out = Vec::new();
    let mut writer = StreamWriter::new(ContentNamespace::Client).element(&mut out);
    stanza.write_to(&mut writer);
    match writer.finish() {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(error) => format!("(unwritable stanza: {error})"),
    }
}

/// How to connect; [`connect`](Self::connect) does it.
pub struct SessionOptions<'p> {
    peer: &'p Peer,
    adapter: Adapter,
    jid: Jid,
    tls: Option<TlsVersions>,
    memory: ChannelBindingMemory,
    sm: Option<SmPolicy>,
    port: Option<u16>,
    reconnect: bool,
    resumption: Option<ResumptionState>,
    trust_nothing: bool,
    trace: Trace,
}

impl<'p> SessionOptions<'p> {
    /// Only this TLS version.
    pub fn tls(mut self, tls: TlsVersions) -> Self {
        self.tls = Some(tls);
        self
    }

    /// What an earlier login taught about the server's channel binding.
    pub fn memory(mut self, memory: ChannelBindingMemory) -> Self {
        self.memory = memory;
        self
    }

    /// Stream management (`None`: off).
    pub fn sm(mut self, sm: Option<SmPolicy>) -> Self {
        self.sm = sm;
        self
    }

    /// Through another port on 127.0.0.1 (a proxy), same domain.
    pub fn via(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Resumes this session (XEP-0198 §5) instead of binding a new one.
    pub fn resume(mut self, state: ResumptionState) -> Self {
        self.resumption = Some(state);
        self
    }

    /// Trusts no CA at all: the server's certificate must be refused.
    pub fn trust_nothing(mut self) -> Self {
        self.trust_nothing = true;
        self
    }

    /// With the tokio adapter: reconnect and resume after a loss.
    pub fn reconnect(mut self) -> Self {
        self.reconnect = true;
        self
    }

    /// Connects, negotiates and returns once online; the negotiation's
    /// events wait in the session.
    pub fn connect(self) -> Result<Session, Error> {
        let name = format!(
            "{}/{}",
            self.jid.node().unwrap_or_default(),
            self.adapter.as_str()
        );
        self.trace.line(
            &name,
            "--",
            format_args!(
                "connecting as {} ({}, port {})",
                self.jid,
                self.tls
                    .map_or("TLS 1.2 or 1.3".to_owned(), |t| t.to_string()),
                self.port.unwrap_or(self.peer.port)
            ),
        );
        let target = self.peer.target_at(self.port.unwrap_or(self.peer.port));
        let connector = if self.trust_nothing {
            ClientTlsSettings::without_default_roots()
                .build()
                .expect("a TLS client configuration")
        } else {
            self.peer.connector(self.tls)
        };
        let mut config = client_config(&self.jid, self.memory, &self.sm);
        if let Some(state) = self.resumption {
            config = config.with_resumption(state);
        }
        let link = match self.adapter {
            Adapter::Blocking => Link::Blocking(Box::new(stanzio_blocking::Client::connect(
                config, &target, &connector,
            )?)),
            Adapter::Tokio => {
                let mut options = ConnectOptions::new(target, connector);
                if self.reconnect {
                    let (jid, memory, sm) = (self.jid.clone(), self.memory, self.sm.clone());
                    options = options.with_reconnect(
                        Reconnect::new(move || client_config(&jid, memory, &sm))
                            .with_delays(RECONNECT_DELAY, RECONNECT_DELAY)
                            .with_max_attempts(3),
                    );
                }
                Link::Tokio(runtime().block_on(stanzio_tokio::Client::connect(config, options))?)
            }
        };
        let session = Session {
            name,
            trace: self.trace,
            link,
        };
        session.trace.line(
            &session.name,
            "--",
            format_args!("online as {}", session.jid()),
        );
        Ok(session)
    }
}

fn client_config(jid: &Jid, memory: ChannelBindingMemory, sm: &Option<SmPolicy>) -> ClientConfig {
    ClientConfig::new(jid.clone(), PASSWORD, OsRng::new())
        .with_channel_binding_memory(memory)
        .with_stream_management(sm.clone())
        .with_close_timeout(CLOSE_TIMEOUT)
}

/// The server's `</stream:stream>` must come within this after ours.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// The tokio adapter's back-off before it reconnects (jittered down to
/// half): long enough for the other side to send while this one is away.
const RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// What a session reports.
#[derive(Debug)]
// Nearly every value is `Stream`, as with the tokio adapter's own `Event`.
#[allow(clippy::large_enum_variant)]
pub enum Happening {
    /// An event of the connection machine.
    Stream(ClientEvent),
    /// The tokio adapter lost the connection and tries again.
    Reconnecting { attempt: u32, reason: String },
}

enum Link {
    Blocking(Box<stanzio_blocking::Client>),
    Tokio(stanzio_tokio::Client),
}

/// One client connection through either adapter.
pub struct Session {
    pub name: String,
    trace: Trace,
    link: Link,
}

impl Session {
    /// Options for `jid` on `peer` through `adapter`.
    pub fn options<'p>(
        peer: &'p Peer,
        adapter: Adapter,
        jid: &str,
        trace: &Trace,
    ) -> SessionOptions<'p> {
        SessionOptions {
            peer,
            adapter,
            jid: jid.parse().expect("a JID"),
            tls: None,
            memory: ChannelBindingMemory::Unknown,
            sm: None,
            port: None,
            reconnect: false,
            resumption: None,
            trust_nothing: false,
            trace: trace.clone(),
        }
    }

    /// The machine's getters.
    pub fn with_connection<T>(&self, f: impl FnOnce(&ClientConnection) -> T) -> T {
        match &self.link {
            Link::Blocking(client) => f(client.connection()),
            Link::Tokio(client) => client.with_connection(f),
        }
    }

    /// What resumes this session after its connection failed (the
    /// blocking adapter; the tokio one resumes by itself).
    pub fn take_resumption(&mut self) -> Option<ResumptionState> {
        match &mut self.link {
            Link::Blocking(client) => client.take_resumption(),
            Link::Tokio(_) => None,
        }
    }

    /// The bound full JID.
    pub fn jid(&self) -> Jid {
        match &self.link {
            Link::Blocking(client) => client.connection().jid().cloned().expect("a bound JID"),
            Link::Tokio(client) => client.jid().clone(),
        }
    }

    pub fn send(&mut self, stanza: Stanza) {
        self.trace.line(&self.name, "->", xml(&stanza));
        let sent = match &mut self.link {
            Link::Blocking(client) => client.send(stanza),
            Link::Tokio(client) => client.send(stanza),
        };
        if let Err(error) = sent {
            self.trace.fail(format!(
                "{}: the adapter refused a stanza: {error}",
                self.name
            ));
        }
    }

    /// The next event, waiting until `until`; `None` when it passed or the
    /// connection is over.
    pub fn next(&mut self, until: Instant) -> Option<Happening> {
        let timeout = until.saturating_duration_since(now());
        let happening = match &mut self.link {
            Link::Blocking(client) => match client.next_event(Some(timeout)) {
                Ok(event) => event.map(Happening::Stream),
                Err(error) => self.trace.fail(format!(
                    "{}: the blocking adapter failed: {error}",
                    self.name
                )),
            },
            Link::Tokio(client) => {
                match runtime()
                    .block_on(async { tokio::time::timeout(timeout, client.next_event()).await })
                {
                    Err(_) | Ok(None) => None,
                    Ok(Some(Event::Stream(event))) => Some(Happening::Stream(event)),
                    Ok(Some(Event::Reconnecting {
                        attempt, reason, ..
                    })) => Some(Happening::Reconnecting {
                        attempt,
                        reason: reason.to_string(),
                    }),
                    Ok(Some(other)) => self
                        .trace
                        .fail(format!("{}: unknown event {other:?}", self.name)),
                }
            }
        };
        match &happening {
            Some(Happening::Stream(ClientEvent::Stanza(stanza))) => {
                self.trace.line(&self.name, "<-", xml(stanza));
            }
            Some(Happening::Stream(ClientEvent::Acked(stanza))) => {
                self.trace
                    .line(&self.name, "--", format_args!("acked {}", xml(stanza)));
            }
            Some(Happening::Reconnecting { attempt, reason }) => self.trace.line(
                &self.name,
                "--",
                format_args!("reconnecting (attempt {attempt}) after: {reason}"),
            ),
            Some(Happening::Stream(event)) => {
                self.trace.line(&self.name, "--", format_args!("{event:?}"));
            }
            None => {}
        }
        happening
    }

    /// Every event until `Online`, which the adapters queue during
    /// negotiation.
    pub fn negotiation(&mut self) -> Vec<ClientEvent> {
        let until = deadline(STEP_TIMEOUT);
        let mut events = Vec::new();
        loop {
            match self.next(until) {
                Some(Happening::Stream(event @ ClientEvent::Online { .. })) => {
                    events.push(event);
                    return events;
                }
                Some(Happening::Stream(event)) => events.push(event),
                Some(other) => self
                    .trace
                    .fail(format!("{}: {other:?} before Online", self.name)),
                None => self
                    .trace
                    .fail(format!("{}: no Online event (saw {events:?})", self.name)),
            }
        }
    }

    /// Closes the stream (RFC 6120 §4.4) and checks the server closed its
    /// side: the blocking adapter reports how the stream ended; the tokio
    /// one does not, so its close must end before the close timeout, which
    /// only the server's `</stream:stream>` allows.
    pub fn close(self) {
        self.trace.line(&self.name, "->", "</stream:stream>");
        let started = now();
        match self.link {
            Link::Blocking(client) => {
                if let Err(error) = client.close() {
                    self.trace
                        .fail(format!("{}: unclean close: {error}", self.name));
                }
            }
            Link::Tokio(client) => {
                runtime().block_on(client.close());
                let took = started.elapsed();
                self.trace.check(took < CLOSE_TIMEOUT, || {
                    format!(
                        "{}: the close took {took:?}: the server's </stream:stream> never came",
                        self.name
                    )
                });
            }
        }
        self.trace.line(
            &self.name,
            "--",
            format_args!("closed cleanly in {:?}", started.elapsed()),
        );
    }
}

/// What one wait on the session gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pumped {
    Progress,
    TimedOut,
    Over,
}

/// A roster push as it came over the wire, before the IM logic read it:
/// the servers differ in its shape.
#[derive(Debug, Clone)]
pub struct RosterPushShape {
    pub from: Option<Jid>,
    pub to: Option<Jid>,
    pub ver: Option<String>,
}

/// An online account: a session, its IM logic, and the events not looked
/// at yet.
pub struct Account {
    pub session: Session,
    pub im: ImClient,
    events: VecDeque<ImEvent>,
    happenings: VecDeque<Happening>,
    pub roster_pushes: Vec<RosterPushShape>,
    trace: Trace,
}

impl Account {
    /// Connects `jid` (a full JID) on `peer` and starts its IM logic.
    pub fn connect(peer: &Peer, adapter: Adapter, jid: &str, trace: &Trace) -> Account {
        match Session::options(peer, adapter, jid, trace).connect() {
            Ok(session) => Account::new(session, trace),
            Err(error) => trace.fail(format!(
                "{jid} ({}) cannot connect: {error}",
                adapter.as_str()
            )),
        }
    }

    /// The IM logic over an online session.
    pub fn new(mut session: Session, trace: &Trace) -> Account {
        let negotiation = session.negotiation();
        let jid = FullJid::try_from(session.jid()).expect("a full bound JID");
        let config = ImClientConfig::new(jid).with_roster_versioning(true);
        let mut account = Account {
            session,
            im: ImClient::new(config, OsRng::new()),
            events: VecDeque::new(),
            happenings: negotiation.into_iter().map(Happening::Stream).collect(),
            roster_pushes: Vec::new(),
            trace: trace.clone(),
        };
        account.flush();
        account
    }

    pub fn name(&self) -> &str {
        &self.session.name
    }

    pub fn full(&self) -> FullJid {
        self.im.jid().clone()
    }

    pub fn bare(&self) -> BareJid {
        self.im.jid().to_bare()
    }

    /// Sends what the IM logic has to send.
    fn flush(&mut self) {
        while let Some(stanza) = self.im.poll_transmit() {
            self.session.send(stanza);
        }
    }

    fn collect(&mut self) {
        while let Some(event) = self.im.poll_event() {
            match event {
                // RFC 6120 §8.2.3: every request gets an answer.
                ImEvent::IqRequest(iq) => {
                    let error = StanzaError::new(Condition::ServiceUnavailable);
                    self.im.reply(&iq, Err(error));
                }
                event => {
                    if !matches!(event, ImEvent::Message(_) | ImEvent::Presence(_)) {
                        self.trace
                            .line(self.name(), "--", format_args!("im: {event:?}"));
                    }
                    self.events.push_back(event);
                }
            }
        }
        self.flush();
    }

    /// Takes one thing from the session, waiting until `until` at most.
    fn pump(&mut self, until: Instant) -> Pumped {
        if let Some(due) = self.im.poll_timeout()
            && due <= now()
        {
            self.im.handle_timeout(now());
            self.collect();
        }
        let wait_until = self.im.poll_timeout().map_or(until, |due| due.min(until));
        match self.session.next(wait_until) {
            Some(Happening::Stream(ClientEvent::Stanza(stanza))) => {
                if let Stanza::Iq(iq) = &stanza
                    && let IqPayload::Set(payload) = &iq.payload
                    && payload.root().ns() == NS_ROSTER
                {
                    self.roster_pushes.push(RosterPushShape {
                        from: iq.from.clone(),
                        to: iq.to.clone(),
                        ver: payload.root().attr("ver").map(str::to_owned),
                    });
                }
                self.im.handle_stanza(stanza);
                self.collect();
                Pumped::Progress
            }
            Some(happening) => {
                self.happenings.push_back(happening);
                Pumped::Progress
            }
            None if now() >= until => Pumped::TimedOut,
            None if now() >= wait_until => Pumped::Progress,
            None => Pumped::Over,
        }
    }

    fn stuck(&self, what: &str, pumped: Pumped, unclaimed: String) -> ! {
        let why = match pumped {
            Pumped::Over => "the connection is over".to_owned(),
            _ => format!("nothing within {STEP_TIMEOUT:?}"),
        };
        self.trace.fail(format!(
            "{}: no {what}: {why}; unclaimed: {unclaimed}",
            self.name()
        ))
    }

    /// Takes the first unclaimed IM event `pick` accepts.
    fn claim<T>(&mut self, pick: &mut impl FnMut(&ImEvent) -> Option<T>) -> Option<T> {
        let (index, found) = self
            .events
            .iter()
            .enumerate()
            .find_map(|(index, event)| pick(event).map(|found| (index, found)))?;
        self.events.remove(index);
        Some(found)
    }

    /// Waits for the first IM event `pick` accepts (events it does not
    /// accept stay for later waits); fails the test after the step timeout.
    pub fn wait<T>(&mut self, what: &str, mut pick: impl FnMut(&ImEvent) -> Option<T>) -> T {
        let until = deadline(STEP_TIMEOUT);
        loop {
            if let Some(found) = self.claim(&mut pick) {
                return found;
            }
            let pumped = self.pump(until);
            if pumped != Pumped::Progress {
                self.stuck(what, pumped, format!("{:?}", self.events));
            }
        }
    }

    /// As [`wait`](Self::wait), while `other` is served too: for an answer
    /// that `other`'s IM logic gives (a ping to its full JID).
    pub fn wait_serving<T>(
        &mut self,
        what: &str,
        other: &mut Account,
        mut pick: impl FnMut(&ImEvent) -> Option<T>,
    ) -> T {
        let until = deadline(STEP_TIMEOUT);
        loop {
            if let Some(found) = self.claim(&mut pick) {
                return found;
            }
            let _ = other.pump(deadline(Duration::from_millis(20)).min(until));
            let pumped = self.pump(deadline(Duration::from_millis(50)).min(until));
            if pumped == Pumped::Over || now() >= until {
                self.stuck(what, pumped, format!("{:?}", self.events));
            }
        }
    }

    /// Waits for the first session event `pick` accepts.
    pub fn wait_stream<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&Happening) -> Option<T>,
    ) -> T {
        let until = deadline(STEP_TIMEOUT);
        loop {
            if let Some((index, found)) = self
                .happenings
                .iter()
                .enumerate()
                .find_map(|(index, happening)| pick(happening).map(|found| (index, found)))
            {
                self.happenings.remove(index);
                return found;
            }
            let pumped = self.pump(until);
            if pumped != Pumped::Progress {
                self.stuck(what, pumped, format!("{:?}", self.happenings));
            }
        }
    }

    /// Gives `command` the IM logic and the time, sends what it queued.
    pub fn command(
        &mut self,
        what: &str,
        command: impl FnOnce(&mut ImClient, Instant) -> Result<RequestId, CommandError>,
    ) -> RequestId {
        let request = match command(&mut self.im, now()) {
            Ok(request) => request,
            Err(error) => self.trace.fail(format!("{what}: {error}")),
        };
        self.flush();
        request
    }

    /// Runs `command` and waits for its answer: the event that answers
    /// it, or why it failed.
    // The failure is looked at once, right away.
    #[allow(clippy::result_large_err)]
    pub fn outcome(
        &mut self,
        what: &str,
        command: impl FnOnce(&mut ImClient, Instant) -> Result<RequestId, CommandError>,
    ) -> Result<ImEvent, RequestFailure> {
        let request = self.command(what, command);
        self.wait(&format!("answer to {what}"), |event| match event {
            ImEvent::RequestFailed {
                request: r,
                failure,
            } if *r == request => Some(Err(failure.clone())),
            ImEvent::RequestCompleted { request: r }
            | ImEvent::IqResult { request: r, .. }
            | ImEvent::RosterReceived { request: r, .. }
            | ImEvent::RosterUnchanged { request: r }
            | ImEvent::BlocklistReceived { request: r }
            | ImEvent::DiscoInfo { request: r, .. }
                if *r == request =>
            {
                Some(Ok(event.clone()))
            }
            _ => None,
        })
    }

    /// Runs `command` and waits for its success.
    pub fn request(
        &mut self,
        what: &str,
        command: impl FnOnce(&mut ImClient, Instant) -> Result<RequestId, CommandError>,
    ) -> ImEvent {
        match self.outcome(what, command) {
            Ok(event) => event,
            Err(failure) => self.trace.fail(format!("{what} failed: {failure:?}")),
        }
    }

    /// Moves the account onto a new session (a resumed one): the IM state
    /// and the events not claimed stay.
    pub fn replace_session(&mut self, mut session: Session) {
        let negotiation = session.negotiation();
        self.session = session;
        self.happenings
            .extend(negotiation.into_iter().map(Happening::Stream));
    }

    /// Runs a command that needs no answer (presence, subscriptions) and
    /// sends what it queued.
    pub fn act(&mut self, command: impl FnOnce(&mut ImClient)) {
        command(&mut self.im);
        self.flush();
    }

    /// Sends a message through the IM logic (which gives it an id).
    pub fn send_message(&mut self, message: Message) -> String {
        let id = self.im.send_message(message);
        self.flush();
        id
    }

    /// Sends a presence through the IM logic.
    pub fn send_presence(&mut self, presence: stanzio_stanza::Presence) {
        self.im.send_presence(presence);
        self.flush();
    }

    /// Waits for a chat message whose body is `body`; returns it.
    pub fn wait_message(&mut self, body: &str) -> Message {
        self.wait(&format!("message {body:?}"), |event| match event {
            ImEvent::Message(message) if message.body() == Some(body) => Some(message.clone()),
            _ => None,
        })
    }

    /// A round trip to the server (XEP-0199 ping): everything the server
    /// queued for this session before its answer has arrived after it.
    pub fn settle(&mut self) {
        self.request("ping to the server", |im, now| im.ping(now, None));
    }

    /// The message bodies received and not yet claimed, taken.
    pub fn take_message_bodies(&mut self) -> Vec<String> {
        let mut bodies = Vec::new();
        self.events.retain(|event| match event {
            ImEvent::Message(message) => {
                bodies.extend(message.body().map(str::to_owned));
                false
            }
            _ => true,
        });
        bodies
    }

    /// The events not claimed yet, taken.
    pub fn take_events(&mut self) -> Vec<ImEvent> {
        self.events.drain(..).collect()
    }

    /// Closes the session cleanly.
    pub fn close(self) {
        self.session.close();
    }
}
