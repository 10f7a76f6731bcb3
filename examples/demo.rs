//! The README's demo: an in-process stanzio-server on loopback (ephemeral
//! ports, a generated certificate, a temporary database) and two
//! stanzio-tokio clients that log in over TLS with SCRAM-SHA-256-PLUS,
//! subscribe to each other, see each other's presence, chat, block and
//! unblock, leave a message for an offline contact, and resume a stream
//! after its TCP connection is cut. Prints what happened; exits non-zero
//! naming the step that failed.
//!
//! Run with `cargo run --release --example demo`.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use stanzio_im::{ImClient, ImClientConfig, ImEvent};
use stanzio_jid::{BareJid, FullJid, Jid};
use stanzio_sasl::{Mechanism, RecordParameters};
use stanzio_server::{Config, SqliteStorage, Storage};
use stanzio_stanza::{Message, Presence, PresenceType, Show};
use stanzio_stream::{ClientConfig, ClientEvent};
use stanzio_tokio::testing::CutProxy;
use stanzio_tokio::{
    Client, ClientTlsSettings, ConnectOptions, Connector, Endpoint, Event, OsRng, Reconnect, Target,
};

const DOMAIN: &str = "localhost";
/// How long any one step may take.
const STEP: Duration = Duration::from_secs(10);

/// One account's client: the connection (stanzio-tokio) and the IM logic
/// (stanzio-im) on top of it.
struct Peer {
    name: &'static str,
    client: Client,
    im: ImClient,
    events: VecDeque<ImEvent>,
    stream: VecDeque<ClientEvent>,
}

type Step<T> = Result<T, String>;

impl Peer {
    /// Hands what the IM logic wants sent to the connection.
    fn flush(&mut self) -> Step<()> {
        while let Some(stanza) = self.im.poll_transmit() {
            self.client
                .send(stanza)
                .map_err(|e| format!("{}: send: {e}", self.name))?;
        }
        Ok(())
    }

    /// Reads the connection until an IM event matches.
    async fn until(&mut self, what: &str, wanted: impl Fn(&ImEvent) -> bool) -> Step<ImEvent> {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            if let Some(at) = self.events.iter().position(&wanted) {
                return Ok(self.events.remove(at).unwrap_or_else(|| unreachable!()));
            }
            self.read(deadline, what).await?;
        }
    }

    /// Reads the connection until a stream event matches.
    async fn until_stream(
        &mut self,
        what: &str,
        wanted: impl Fn(&ClientEvent) -> bool,
    ) -> Step<ClientEvent> {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            if let Some(at) = self.stream.iter().position(&wanted) {
                return Ok(self.stream.remove(at).unwrap_or_else(|| unreachable!()));
            }
            self.read(deadline, what).await?;
        }
    }

    async fn read(&mut self, deadline: tokio::time::Instant, what: &str) -> Step<()> {
        let event = tokio::time::timeout_at(deadline, self.client.next_event())
            .await
            .map_err(|_| format!("{}: timed out waiting for {what}", self.name))?
            .ok_or_else(|| format!("{}: the connection ended waiting for {what}", self.name))?;
        match event {
            Event::Stream(ClientEvent::Stanza(stanza)) => {
                self.im.handle_stanza(stanza);
                self.flush()?;
                while let Some(event) = self.im.poll_event() {
                    self.events.push_back(event);
                }
            }
            Event::Stream(event) => self.stream.push_back(event),
            Event::Reconnecting { .. } => {}
            _ => {}
        }
        Ok(())
    }

    fn bare(&self) -> BareJid {
        self.client.jid().to_bare()
    }
}

async fn connect(
    name: &'static str,
    password: &str,
    address: std::net::SocketAddr,
    tls: &Connector,
    reconnect: bool,
    out: &mut dyn Write,
) -> Step<Peer> {
    let jid: Jid = format!("{name}@{DOMAIN}/demo")
        .parse()
        .map_err(|e| format!("{e}"))?;
    let config = {
        let jid = jid.clone();
        let password = password.to_owned();
        move || ClientConfig::new(jid.clone(), password.clone(), OsRng::new())
    };
    let target =
        Target::domain(DOMAIN).with_endpoint(Endpoint::starttls("127.0.0.1", address.port()));
    let mut options = ConnectOptions::new(target, tls.clone());
    if reconnect {
        options = options.with_reconnect(
            Reconnect::new(config.clone())
                .with_delays(Duration::from_millis(50), Duration::from_millis(200)),
        );
    }
    let client = Client::connect(config(), options)
        .await
        .map_err(|e| format!("{name}: login failed: {e}"))?;
    let full = FullJid::try_from(client.jid().clone()).map_err(|e| format!("{e}"))?;
    let mut peer = Peer {
        name,
        im: ImClient::new(ImClientConfig::new(full), OsRng::new()),
        client,
        events: VecDeque::new(),
        stream: VecDeque::new(),
    };
    let ClientEvent::Authenticated {
        mechanism,
        channel_binding,
    } = peer
        .until_stream("authentication", |e| {
            matches!(e, ClientEvent::Authenticated { .. })
        })
        .await?
    else {
        unreachable!()
    };
    let version = peer
        .client
        .with_connection(|c| c.tls().map(|t| format!("{:?}", t.version)))
        .unwrap_or_default();
    let binding = channel_binding.map_or("none".to_owned(), |b| b.as_str().to_owned());
    line(
        out,
        &format!(
            "{name}: logged in as {} over {version} with {mechanism} (channel binding: {binding})",
            peer.client.jid()
        ),
    );
    if mechanism != Mechanism::scram(stanzio_sasl::HashAlgorithm::Sha256, true) {
        return Err(format!(
            "{name}: expected SCRAM-SHA-256-PLUS, got {mechanism}"
        ));
    }
    Ok(peer)
}

/// The IM logic takes time as an argument; the application owns the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> std::time::Instant {
    std::time::Instant::now()
}

fn line(out: &mut dyn Write, text: &str) {
    let _ = writeln!(out, "{text}");
}

fn body_is(event: &ImEvent, body: &str) -> bool {
    matches!(event, ImEvent::Message(m) if m.body() == Some(body))
}

/// Runs the demo, writing the transcript to `out`.
pub async fn run(out: &mut dyn Write) -> Step<()> {
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let config = Config::parse(&format!(
        "domains = [\"{DOMAIN}\"]\nstorage = {:?}\n\
         [listen]\nc2s = \"127.0.0.1:0\"\n\
         [auth]\niterations = 4096\nmechanisms = [\"SCRAM-SHA-256-PLUS\", \"SCRAM-SHA-256\"]\n",
        dir.path().join("demo.sqlite")
    ))
    .map_err(|e| format!("config: {e}"))?;
    let mut parameters = RecordParameters::default();
    parameters.iterations = config.auth.iterations;
    let storage = SqliteStorage::open(&config.storage, parameters).map_err(|e| e.to_string())?;
    for (user, password) in [("alice", "alice's secret"), ("bob", "bob's secret")] {
        let jid: BareJid = format!("{user}@{DOMAIN}")
            .parse()
            .map_err(|e| format!("{e}"))?;
        storage
            .create_account(&jid, password)
            .map_err(|e| e.to_string())?;
    }
    let storage: Arc<dyn Storage> = Arc::new(storage);
    let server = stanzio_server::start(config, storage)
        .await
        .map_err(|e| format!("server: {e}"))?;
    let address = server.c2s.ok_or("server: no c2s listener")?;
    let ca = server
        .generated
        .as_ref()
        .ok_or("server: no generated certificate")?;
    line(
        out,
        &format!(
            "server: stanzio-server on {address} (STARTTLS), certificate generated at start, temporary database"
        ),
    );
    line(
        out,
        "server: accounts alice@localhost and bob@localhost (SCRAM records only)",
    );
    let tls = ClientTlsSettings::without_default_roots()
        .add_ca_pem(ca.ca_pem.as_bytes())
        .and_then(ClientTlsSettings::build)
        .map_err(|e| format!("client TLS: {e}"))?;

    // Alice goes through a proxy that can cut her TCP connection later.
    let proxy = CutProxy::start(address).await;
    let mut alice = connect("alice", "alice's secret", proxy.address, &tls, true, out).await?;
    let mut bob = connect("bob", "bob's secret", address, &tls, false, out).await?;

    // Presence (RFC 6121 §4): available first, so that requests reach us.
    alice
        .im
        .send_presence(Presence::available().with_status(None, "in the garden"));
    alice.flush()?;
    bob.im.send_presence(
        Presence::available()
            .with_show(Show::Away)
            .with_status(None, "at the orchard"),
    );
    bob.flush()?;

    // Subscriptions both ways (RFC 6121 §3).
    alice.im.subscribe(bob.bare());
    alice.flush()?;
    line(out, "alice -> bob: may I see your presence?");
    bob.until("alice's subscription request", |e| {
        matches!(e, ImEvent::SubscriptionRequest { .. })
    })
    .await?;
    bob.im.approve(alice.bare());
    bob.im.subscribe(alice.bare());
    bob.flush()?;
    line(out, "bob: approves, and asks alice the same");
    alice
        .until("bob's approval", |e| {
            matches!(e, ImEvent::SubscriptionApproved { .. })
        })
        .await?;
    alice
        .until("bob's subscription request", |e| {
            matches!(e, ImEvent::SubscriptionRequest { .. })
        })
        .await?;
    alice.im.approve(bob.bare());
    alice.flush()?;
    bob.until("alice's approval", |e| {
        matches!(e, ImEvent::SubscriptionApproved { .. })
    })
    .await?;
    line(out, "alice, bob: subscribed to each other");

    // Each now sees the other's presence (RFC 6121 §3.1.5, §4.2).
    bob.until(
        "alice's presence",
        |e| matches!(e, ImEvent::Presence(p) if p.status() == Some("in the garden")),
    )
    .await?;
    line(out, "bob: sees alice online (\"in the garden\")");
    alice
        .until(
            "bob's presence",
            |e| matches!(e, ImEvent::Presence(p) if p.status() == Some("at the orchard")),
        )
        .await?;
    line(out, "alice: sees bob away (\"at the orchard\")");

    // Chat (RFC 6121 §5).
    let bob_jid: Jid = bob.client.jid().clone();
    let alice_jid: Jid = alice.client.jid().clone();
    alice
        .im
        .send_message(Message::chat(bob_jid.clone(), "Good morning, Bob!"));
    alice.flush()?;
    bob.until("alice's message", |e| body_is(e, "Good morning, Bob!"))
        .await?;
    line(out, "alice -> bob: \"Good morning, Bob!\" delivered");
    bob.im
        .send_message(Message::chat(alice_jid.clone(), "Morning, Alice."));
    bob.flush()?;
    alice
        .until("bob's reply", |e| body_is(e, "Morning, Alice."))
        .await?;
    line(out, "bob -> alice: \"Morning, Alice.\" delivered");

    // Blocking (XEP-0191).
    let alice_bare: Jid = alice.bare().into();
    let request = bob
        .im
        .block(now(), vec![alice_bare.clone()])
        .map_err(|e| format!("bob: block: {e}"))?;
    bob.flush()?;
    bob.until(
        "the block result",
        |e| matches!(e, ImEvent::RequestCompleted { request: r } if *r == request),
    )
    .await?;
    line(out, "bob: blocks alice");
    alice
        .im
        .send_message(Message::chat(bob_jid.clone(), "Are you there?"));
    alice.flush()?;
    let refused = alice
        .until("the refusal", |e| {
            matches!(e, ImEvent::MessageFailed { .. })
        })
        .await?;
    if let ImEvent::MessageFailed { error, .. } = &refused {
        line(
            out,
            &format!(
                "alice -> bob: \"Are you there?\" refused ({})",
                error.condition.as_str()
            ),
        );
    }
    let request = bob
        .im
        .unblock(now(), vec![alice_bare])
        .map_err(|e| format!("bob: unblock: {e}"))?;
    bob.flush()?;
    bob.until(
        "the unblock result",
        |e| matches!(e, ImEvent::RequestCompleted { request: r } if *r == request),
    )
    .await?;
    line(out, "bob: unblocks alice");
    alice
        .im
        .send_message(Message::chat(bob_jid.clone(), "Now?"));
    alice.flush()?;
    bob.until("alice's message after unblocking", |e| body_is(e, "Now?"))
        .await?;
    line(out, "alice -> bob: \"Now?\" delivered");

    // Offline delivery (RFC 6121 §8.5.2, XEP-0160).
    bob.client.close().await;
    line(out, "bob: signs off");
    alice
        .until(
            "bob's unavailable presence",
            |e| matches!(e, ImEvent::Presence(p) if p.type_ == PresenceType::Unavailable),
        )
        .await?;
    alice.im.send_message(Message::chat(
        bob_jid.to_bare().into(),
        "Call me when you are back.",
    ));
    alice.flush()?;
    line(
        out,
        "alice -> bob (offline): \"Call me when you are back.\"",
    );
    let mut bob = connect("bob", "bob's secret", address, &tls, false, out).await?;
    bob.im.send_presence(Presence::available());
    bob.flush()?;
    bob.until("the offline message", |e| {
        body_is(e, "Call me when you are back.")
    })
    .await?;
    line(
        out,
        "bob: receives \"Call me when you are back.\" at his next presence",
    );

    // Stream management: resumption after a cut (XEP-0198 §5).
    alice
        .client
        .send(Message::chat(bob.client.jid().clone(), "before the cut"))
        .map_err(|e| e.to_string())?;
    bob.until("the message before the cut", |e| {
        body_is(e, "before the cut")
    })
    .await?;
    proxy.cut();
    line(out, "alice: TCP connection cut");
    bob.im
        .send_message(Message::chat(alice_jid.clone(), "Did you get this?"));
    bob.flush()?;
    alice
        .until_stream("the resumed session", |e| {
            matches!(e, ClientEvent::Online { resumed: true, .. })
        })
        .await?;
    line(out, "alice: reconnected and resumed the session (XEP-0198)");
    alice
        .until("bob's message sent while alice was cut off", |e| {
            body_is(e, "Did you get this?")
        })
        .await?;
    line(
        out,
        "bob -> alice: \"Did you get this?\" delivered after resumption, nothing lost",
    );

    alice.client.close().await;
    bob.client.close().await;
    server.shutdown(Duration::from_secs(2)).await;
    line(out, "demo: every step passed");
    Ok(())
}

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("demo: cannot start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout();
    match runtime.block_on(run(&mut out)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(step) => {
            eprintln!("demo FAILED: {step}");
            std::process::ExitCode::FAILURE
        }
    }
}
