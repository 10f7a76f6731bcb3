//! What the live interop suite (`tests/interop.rs`) shares: the servers and
//! what each is known to do, a trace of the last lines exchanged that every
//! failure prints, the two adapters behind one session type, a raw SASL
//! driver, and a TCP proxy that can cut a connection.

pub mod proxy;
pub mod sasl;
pub mod session;

use std::collections::VecDeque;
use std::fmt::Display;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use stanzio_blocking::{ClientTlsSettings, Connector, Endpoint, Target};

/// The XMPP domain both servers serve (the certificate's name).
pub const DOMAIN: &str = "localhost";
/// The password of alice, bob and carol (tests/interop/servers.sh).
pub const PASSWORD: &str = "secret";

/// Which TLS versions a connection may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersions {
    /// Only TLS 1.2.
    Tls12,
    /// Only TLS 1.3.
    Tls13,
}

impl TlsVersions {
    /// Both, in the order the tests run them.
    pub const BOTH: [TlsVersions; 2] = [TlsVersions::Tls12, TlsVersions::Tls13];

    pub fn rustls(self) -> &'static rustls::SupportedProtocolVersion {
        match self {
            TlsVersions::Tls12 => &rustls::version::TLS12,
            TlsVersions::Tls13 => &rustls::version::TLS13,
        }
    }

    pub fn sasl(self) -> stanzio_sasl::TlsVersion {
        match self {
            TlsVersions::Tls12 => stanzio_sasl::TlsVersion::Tls12,
            TlsVersions::Tls13 => stanzio_sasl::TlsVersion::Tls13,
        }
    }
}

impl Display for TlsVersions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TlsVersions::Tls12 => "TLS 1.2",
            TlsVersions::Tls13 => "TLS 1.3",
        })
    }
}

/// A live server and what it is known to do: the facts each test checks.
#[derive(Debug)]
pub struct Peer {
    /// `prosody` or `ejabberd`.
    pub name: &'static str,
    /// Its c2s port on 127.0.0.1 (STARTTLS).
    pub port: u16,
    /// The CA that signed its certificate.
    pub ca: PathBuf,
    /// The SASL mechanisms offered over TLS 1.2, sorted.
    pub offer_tls12: &'static [&'static str],
    /// The SASL mechanisms offered over TLS 1.3, sorted.
    pub offer_tls13: &'static [&'static str],
    /// The SASL condition answering a `-PLUS` attempt with a binding type
    /// rustls can produce (both servers bind only tls-unique).
    pub plus_rejection: &'static str,
    /// The mechanism the stanzio client chooses.
    pub chosen_mechanism: &'static str,
    /// Roster pushes carry `from` (the account) and `to` (the resource):
    /// ejabberd; or neither: Prosody. RFC 6121 §2.1.6 allows both.
    pub roster_push_addressed: bool,
    /// Roster versions (XEP-0237) are a counter (Prosody) or a SHA-1 in hex
    /// (ejabberd); both are opaque to clients.
    pub roster_version_is_counter: bool,
    /// Blocking commands also push the XEP-0016 privacy list
    /// `Blocked contacts` (ejabberd builds XEP-0191 on privacy lists).
    pub privacy_list_push: bool,
    lock: &'static Mutex<()>,
}

static PROSODY_LOCK: Mutex<()> = Mutex::new(());
static EJABBERD_LOCK: Mutex<()> = Mutex::new(());

/// The variable that turns the suite on; tests/interop/run.sh sets it.
const ENABLE: &str = "STANZIO_INTEROP";

fn setting(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn port(name: &str, default: u16) -> u16 {
    match setting(name) {
        None => default,
        Some(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a port")),
    }
}

fn ca() -> PathBuf {
    if setting(ENABLE).is_none() {
        panic!(
            "the interop tests need live servers: run tests/interop/run.sh, or start them with \
             tests/interop/servers.sh start DIR and set {ENABLE}=1 and STANZIO_INTEROP_CA=DIR/ca.pem"
        );
    }
    let ca = PathBuf::from(
        setting("STANZIO_INTEROP_CA")
            .unwrap_or_else(|| panic!("{ENABLE} is set but STANZIO_INTEROP_CA is not")),
    );
    assert!(ca.is_file(), "STANZIO_INTEROP_CA: no file {}", ca.display());
    ca
}

impl Peer {
    /// Prosody 0.12 (STANZIO_INTEROP_PROSODY_PORT, default 25222).
    pub fn prosody() -> Peer {
        Peer {
            name: "prosody",
            port: port("STANZIO_INTEROP_PROSODY_PORT", 25222),
            ca: ca(),
            // mod_saslauth offers -PLUS only where tls-unique exists.
            offer_tls12: &["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS"],
            offer_tls13: &["PLAIN", "SCRAM-SHA-1"],
            plus_rejection: "malformed-request",
            chosen_mechanism: "SCRAM-SHA-1",
            roster_push_addressed: false,
            roster_version_is_counter: true,
            privacy_list_push: false,
            lock: &PROSODY_LOCK,
        }
    }

    /// ejabberd 23.01 (STANZIO_INTEROP_EJABBERD_PORT, default 35222).
    pub fn ejabberd() -> Peer {
        const ALL: &[&str] = &[
            "PLAIN",
            "SCRAM-SHA-1",
            "SCRAM-SHA-1-PLUS",
            "SCRAM-SHA-256",
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-512",
            "SCRAM-SHA-512-PLUS",
        ];
        Peer {
            name: "ejabberd",
            port: port("STANZIO_INTEROP_EJABBERD_PORT", 35222),
            ca: ca(),
            offer_tls12: ALL,
            offer_tls13: ALL,
            plus_rejection: "not-authorized",
            chosen_mechanism: "SCRAM-SHA-512",
            roster_push_addressed: true,
            roster_version_is_counter: false,
            privacy_list_push: true,
            lock: &EJABBERD_LOCK,
        }
    }

    /// The tests of one server share its three accounts: they take turns.
    /// A failed test does not stop the next one.
    pub fn exclusive(&self) -> MutexGuard<'static, ()> {
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The offer expected over `tls`.
    pub fn offer(&self, tls: TlsVersions) -> &'static [&'static str] {
        match tls {
            TlsVersions::Tls12 => self.offer_tls12,
            TlsVersions::Tls13 => self.offer_tls13,
        }
    }

    /// Where to connect: `port` on 127.0.0.1 (the server's, or a proxy's
    /// in front of it), the certificate checked for `localhost`.
    pub fn target_at(&self, port: u16) -> Target {
        Target::domain(DOMAIN).with_endpoint(Endpoint::starttls("127.0.0.1", port))
    }

    /// A TLS client trusting only the instance's CA.
    pub fn connector(&self, tls: Option<TlsVersions>) -> Connector {
        let mut settings = ClientTlsSettings::without_default_roots()
            .add_ca_file(&self.ca)
            .unwrap_or_else(|error| panic!("the CA {}: {error}", self.ca.display()));
        if let Some(tls) = tls {
            settings = settings.with_protocol_versions(&[tls.rustls()]);
        }
        settings.build().expect("a TLS client configuration")
    }
}

/// How many lines a failure shows.
const TRACE_LINES: usize = 60;
/// A line longer than this is cut.
const TRACE_LINE_CHARS: usize = 600;

/// The last lines exchanged in one test, from every connection in it, and
/// the step running: what a failure prints.
#[derive(Clone)]
pub struct Trace {
    inner: Arc<Mutex<TraceState>>,
}

struct TraceState {
    peer: &'static str,
    step: String,
    start: Instant,
    lines: VecDeque<String>,
    /// A failure printed the report already.
    reported: bool,
}

/// Reads the clock for the trace's time stamps and for deadlines: this is
/// a test against real servers.
pub fn now() -> Instant {
    #[allow(clippy::disallowed_methods)]
    Instant::now()
}

impl Trace {
    pub fn new(peer: &Peer) -> Trace {
        Trace {
            inner: Arc::new(Mutex::new(TraceState {
                peer: peer.name,
                step: "setup".to_owned(),
                start: now(),
                lines: VecDeque::new(),
                reported: false,
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, TraceState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The step that starts now; failures name it.
    pub fn step(&self, step: impl Into<String>) {
        let step = step.into();
        let mut state = self.state();
        let elapsed = state.start.elapsed();
        state.push(format!("{:7.3}s === {step}", elapsed.as_secs_f64()));
        state.step = step;
    }

    /// One line: `who` sent (`->`), received (`<-`) or saw (`--`) `text`.
    pub fn line(&self, who: &str, direction: &str, text: impl Display) {
        let mut state = self.state();
        let elapsed = state.start.elapsed();
        let mut text = text.to_string();
        if text.chars().count() > TRACE_LINE_CHARS {
            text = text.chars().take(TRACE_LINE_CHARS).collect::<String>() + "…";
        }
        state.push(format!(
            "{:7.3}s {who} {direction} {text}",
            elapsed.as_secs_f64()
        ));
    }

    /// The failure report: peer, step, what went wrong, the last lines.
    pub fn report(&self, detail: impl Display) -> String {
        let state = self.state();
        let mut report = format!(
            "{}: step `{}` failed: {detail}\nlast {} lines exchanged:\n",
            state.peer,
            state.step,
            state.lines.len()
        );
        for line in &state.lines {
            report.push_str("  ");
            report.push_str(line);
            report.push('\n');
        }
        report
    }

    /// Fails the test with the report.
    pub fn fail(&self, detail: impl Display) -> ! {
        let report = self.report(detail);
        self.state().reported = true;
        panic!("{report}")
    }

    /// Fails the test with the report unless `condition` holds.
    pub fn check(&self, condition: bool, detail: impl FnOnce() -> String) {
        if !condition {
            self.fail(detail());
        }
    }

    /// Fails the test with the report unless `actual == expected`.
    pub fn check_eq<T: PartialEq + std::fmt::Debug>(&self, what: &str, actual: T, expected: T) {
        if actual != expected {
            self.fail(format!("{what}: got {actual:?}, expected {expected:?}"));
        }
    }

    /// Prints the report if the test panics anywhere (an `unwrap` as much
    /// as a failed check) while the guard lives.
    pub fn guard(&self) -> TraceGuard {
        TraceGuard {
            trace: self.clone(),
        }
    }
}

impl TraceState {
    fn push(&mut self, line: String) {
        if self.lines.len() == TRACE_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }
}

/// See [`Trace::guard`].
pub struct TraceGuard {
    trace: Trace,
}

impl Drop for TraceGuard {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.trace.state().reported {
            eprintln!("{}", self.trace.report("the test panicked (see above)"));
        }
    }
}

/// A deadline `timeout` from now.
pub fn deadline(timeout: Duration) -> Instant {
    now() + timeout
}

/// How long a step may wait for the server: generous for a loaded CI
/// machine, short against the stage's five minutes.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// A marker unique to this run, so that a message left over from an
/// earlier run is never taken for this one's.
pub fn run_tag() -> String {
    use stanzio_sasl::rand_core::RngCore;
    format!("{:016x}", stanzio_blocking::OsRng::new().next_u64())
}
