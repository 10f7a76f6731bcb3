//! Test support (feature `testing`): certificates from rcgen, a small
//! in-process server built from the accept helpers, and a TCP proxy that
//! can cut its connections. For tests and examples, never for production:
//! the server keeps everything in memory and routes naively.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test support fails loudly

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{RootCertStore, SupportedProtocolVersion};
use stanzio_blocking::{Acceptor, ClientTlsSettings, Connector, ServerTlsSettings};
use stanzio_jid::{BareJid, FullJid, Jid};
use stanzio_sasl::{HashAlgorithm, Mechanism, RecordParameters, StoredCredentials};
use stanzio_stanza::{Condition, Iq, IqPayload, Stanza, StreamContext};
use stanzio_stream::{ResumptionState, ServerConfig, ServerEvent, ServerTls};
use stanzio_xml::ContentNamespace;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::server::{
    Accounts, ServerSession, SessionHandle, accept_c2s, accept_component, accept_direct_tls,
};

/// A CA and a server certificate it signed, made fresh by rcgen.
#[derive(Debug)]
pub struct TestPki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    chain_pem: String,
    key_der: Vec<u8>,
    key_pem: String,
    ca_key: rcgen::KeyPair,
    ca_params: rcgen::CertificateParams,
}

impl TestPki {
    /// A CA and a leaf for `names` (DNS names), ECDSA P-256 with SHA-256.
    pub fn new(names: &[&str]) -> Self {
        Self::with_algorithm(names, &rcgen::PKCS_ECDSA_P256_SHA256)
    }

    /// As [`new`](Self::new), the leaf signed with `algorithm` (the CA
    /// uses the same one), which decides the `tls-server-end-point` hash.
    pub fn with_algorithm(names: &[&str], algorithm: &'static rcgen::SignatureAlgorithm) -> Self {
        let ca_key = rcgen::KeyPair::generate_for(algorithm).expect("a CA key");
        let mut ca_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        // A name of its own: two test CAs must not pass for each other.
        let serial = rand_core::RngCore::next_u64(&mut stanzio_blocking::OsRng::new());
        ca_params.distinguished_name.push(
            rcgen::DnType::CommonName,
            format!("stanzio test CA {serial:016x}"),
        );
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca = ca_params.self_signed(&ca_key).expect("a CA certificate");
        let leaf_key = rcgen::KeyPair::generate_for(algorithm).expect("a server key");
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut leaf_params = rcgen::CertificateParams::new(names).expect("leaf parameters");
        leaf_params.is_ca = rcgen::IsCa::ExplicitNoCa;
        leaf_params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let leaf = leaf_params
            .signed_by(&leaf_key, &issuer)
            .expect("a server certificate");
        TestPki {
            ca_pem: ca.pem(),
            ca_der: ca.der().clone(),
            chain: vec![leaf.der().clone()],
            chain_pem: leaf.pem(),
            key_der: leaf_key.serialize_der(),
            key_pem: leaf_key.serialize_pem(),
            ca_key,
            ca_params,
        }
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA as a root store (for client-certificate verification).
    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_der.clone()).expect("the CA is usable");
        roots
    }

    /// The server's certificate chain, leaf first.
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.chain.clone()
    }

    /// The server's private key.
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// The server certificate and key, PEM (certificate then key).
    pub fn server_pem(&self) -> (String, String) {
        (self.chain_pem.clone(), self.key_pem.clone())
    }

    /// A client certificate for `name` signed by the CA, with its key.
    pub fn client_certificate(
        &self,
        name: &str,
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a key");
        let mut params =
            rcgen::CertificateParams::new(vec![name.to_owned()]).expect("client parameters");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let issuer = rcgen::Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params
            .signed_by(&key, &issuer)
            .expect("a client certificate");
        (
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }

    /// Client TLS settings trusting only this CA.
    pub fn client_settings(&self) -> ClientTlsSettings {
        ClientTlsSettings::without_default_roots()
            .add_ca_pem(self.ca_pem.as_bytes())
            .expect("the CA is usable")
    }

    /// A connector trusting only this CA.
    pub fn connector(&self) -> Connector {
        self.client_settings()
            .build()
            .expect("a client configuration")
    }

    /// As [`connector`](Self::connector), with only `versions`.
    pub fn connector_with(&self, versions: &[&'static SupportedProtocolVersion]) -> Connector {
        self.client_settings()
            .with_protocol_versions(versions)
            .build()
            .expect("a client configuration")
    }

    /// Server settings with this certificate.
    pub fn server_settings(&self) -> ServerTlsSettings {
        ServerTlsSettings::new(self.chain(), self.key())
    }

    /// An acceptor with this certificate, TLS 1.2 and 1.3.
    pub fn acceptor(&self) -> Acceptor {
        self.server_settings()
            .build()
            .expect("a server configuration")
    }
}

/// What the test server knows and remembers.
#[derive(Debug, Default)]
pub struct ServerState {
    domain: String,
    passwords: HashMap<String, String>,
    /// Client certificates (DER) and the localpart each stands for.
    certificates: HashMap<Vec<u8>, String>,
    records: Mutex<HashMap<(String, HashAlgorithm), StoredCredentials>>,
    inner: Mutex<Router>,
}

/// The routing table and the logs.
#[derive(Debug, Default)]
struct Router {
    sessions: HashMap<String, SessionHandle>,
    kept: HashMap<String, ResumptionState>,
    offline: HashMap<String, Vec<Stanza>>,
    resources: u32,
    log: Vec<ServerLog>,
}

/// What the test server saw, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerLog {
    /// A login.
    Authenticated {
        /// The account.
        account: String,
        /// The mechanism.
        mechanism: Mechanism,
    },
    /// A session came online.
    Online {
        /// Its JID.
        jid: String,
        /// Whether it resumed.
        resumed: bool,
    },
    /// A session ended.
    Disconnected {
        /// Its JID, if it had one.
        jid: Option<String>,
        /// Whether it failed (not a clean close).
        failed: bool,
        /// Why, if it failed.
        error: Option<String>,
        /// Whether a resumption state was kept.
        resumable: bool,
    },
}

fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Accounts for ServerState {
    async fn credentials(
        &self,
        username: &str,
        _domain: &str,
        mechanism: Mechanism,
    ) -> Option<StoredCredentials> {
        let password = self.passwords.get(username)?;
        let hash = match mechanism {
            Mechanism::Scram { hash, .. } => hash,
            _ => HashAlgorithm::Sha256,
        };
        let key = (username.to_owned(), hash);
        if let Some(record) = guard(&self.records).get(&key) {
            return Some(record.clone());
        }
        let record = StoredCredentials::generate(
            hash,
            password,
            &RecordParameters::default(),
            &mut stanzio_blocking::OsRng::new(),
        )
        .ok()?;
        guard(&self.records).insert(key, record.clone());
        Some(record)
    }

    async fn bind(&self, account: &BareJid, requested: Option<&str>) -> Result<FullJid, Condition> {
        let mut router = guard(&self.inner);
        router.resources += 1;
        let resource = requested.map_or_else(|| format!("r{}", router.resources), str::to_owned);
        FullJid::from_parts(account.node(), account.domain(), &resource)
            .map_err(|_| Condition::BadRequest)
    }

    async fn certificate(
        &self,
        certificate: &stanzio_sasl::ClientCertificate,
        _authzid: Option<&str>,
        _domain: &str,
    ) -> Option<String> {
        self.certificates.get(&certificate.der).cloned()
    }

    async fn resume(&self, account: &BareJid, previd: &str) -> Option<ResumptionState> {
        let state = guard(&self.inner).kept.remove(previd)?;
        (state.jid.to_bare() == *account).then_some(state)
    }
}

impl ServerState {
    fn log(&self, entry: ServerLog) {
        guard(&self.inner).log.push(entry);
    }

    /// Delivers a stanza from a session: to the session of its `to` (full
    /// JID, else any resource of the bare JID), else into the offline
    /// store; a ping to the server is answered.
    fn route(&self, from: &SessionHandle, stanza: Stanza) {
        let to = stanza.to_jid().cloned();
        let to = match to {
            Some(to) if to.as_str() != self.domain => to,
            _ => {
                if let Stanza::Iq(iq) = &stanza
                    && let IqPayload::Get(_) = iq.payload
                    && let Some(reply) =
                        iq.result_reply(None, &StreamContext::new(ContentNamespace::Client))
                {
                    let _ = from.send(Stanza::Iq(Iq {
                        from: Some(Jid::new(&self.domain).expect("the server's domain")),
                        ..reply
                    }));
                }
                return;
            }
        };
        let mut router = guard(&self.inner);
        // The full JID, else a resource of the bare JID, else the
        // component serving the domain.
        let target = router
            .sessions
            .get(to.as_str())
            .or_else(|| {
                let bare = to.to_bare();
                router
                    .sessions
                    .iter()
                    .find(|(jid, _)| Jid::new(jid.as_str()).is_ok_and(|j| j.to_bare() == bare))
                    .map(|(_, handle)| handle)
            })
            .or_else(|| router.sessions.get(to.domain()))
            .cloned();
        match target {
            Some(handle) => {
                if let Err(error) = handle.send(stanza.clone()) {
                    tracing::debug!(%error, %to, "stored offline");
                    router
                        .offline
                        .entry(to.to_bare().to_string())
                        .or_default()
                        .push(stanza);
                }
            }
            None => router
                .offline
                .entry(to.to_bare().to_string())
                .or_default()
                .push(stanza),
        }
    }

    /// Serves one session until it ends.
    async fn serve(self: Arc<Self>, mut session: ServerSession) {
        let handle = session.handle();
        let mut jid = None;
        while let Some(event) = session.next_event().await {
            match event {
                ServerEvent::Authenticated { account, mechanism } => {
                    self.log(ServerLog::Authenticated {
                        account: account.to_string(),
                        mechanism,
                    });
                }
                ServerEvent::Online {
                    jid: bound,
                    resumed,
                } => {
                    self.log(ServerLog::Online {
                        jid: bound.to_string(),
                        resumed,
                    });
                    let mut router = guard(&self.inner);
                    router.sessions.insert(bound.to_string(), handle.clone());
                    let waiting = router
                        .offline
                        .remove(&bound.to_bare().to_string())
                        .unwrap_or_default();
                    for stanza in waiting {
                        let _ = handle.send(stanza);
                    }
                    jid = Some(bound);
                }
                ServerEvent::Stanza(stanza) => self.route(&handle, stanza),
                ServerEvent::Disconnected {
                    error,
                    resumption,
                    undelivered,
                } => {
                    self.log(ServerLog::Disconnected {
                        jid: jid.as_ref().map(ToString::to_string),
                        failed: error.is_some(),
                        error: error.as_ref().map(ToString::to_string),
                        resumable: resumption.is_some(),
                    });
                    let mut router = guard(&self.inner);
                    if let Some(jid) = &jid {
                        router.sessions.remove(jid.as_str());
                        if !undelivered.is_empty() {
                            router
                                .offline
                                .entry(jid.to_bare().to_string())
                                .or_default()
                                .extend(undelivered);
                        }
                    }
                    if let Some(state) = resumption {
                        router.kept.insert(state.id.clone(), state);
                    }
                }
                _ => {}
            }
        }
    }
}

/// An in-process XMPP server on loopback: STARTTLS, direct TLS, components
/// and (with the `websocket` feature) WebSocket listeners, accounts from a
/// password table, naive routing between sessions, an offline store, and
/// stream resumption.
#[derive(Debug)]
pub struct TestServer {
    /// The served domain.
    pub domain: String,
    /// STARTTLS c2s listener.
    pub starttls: SocketAddr,
    /// Direct TLS c2s listener (XEP-0368).
    pub direct_tls: SocketAddr,
    /// XEP-0114 component listener.
    pub component: SocketAddr,
    /// WebSocket listener (`wss://`), with the `websocket` feature.
    pub websocket: Option<SocketAddr>,
    state: Arc<ServerState>,
    listeners: Vec<JoinHandle<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        for listener in &self.listeners {
            listener.abort();
        }
    }
}

/// Builds a [`TestServer`].
#[derive(Debug)]
pub struct TestServerBuilder {
    domain: String,
    acceptor: Acceptor,
    users: Vec<(String, String)>,
    certificates: Vec<(Vec<u8>, String)>,
    config: Option<ServerConfig>,
    advertise_location: bool,
}

impl TestServerBuilder {
    /// An account.
    #[must_use]
    pub fn user(mut self, name: &str, password: &str) -> Self {
        self.users.push((name.to_owned(), password.to_owned()));
        self
    }

    /// A client certificate (DER) that logs in as `localpart` with SASL
    /// EXTERNAL (XEP-0178); the acceptor must ask for client certificates.
    #[must_use]
    pub fn certificate(mut self, der: &[u8], localpart: &str) -> Self {
        self.certificates.push((der.to_vec(), localpart.to_owned()));
        self
    }

    /// The server configuration (default: the domain, SCRAM with every
    /// hash and `-PLUS`, STARTTLS required, resumable stream management).
    #[must_use]
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Advertises the STARTTLS listener as the XEP-0198 resumption
    /// `location` (replacing the configuration's stream-management policy
    /// by the default one with that location).
    #[must_use]
    pub fn advertise_location(mut self) -> Self {
        self.advertise_location = true;
        self
    }

    /// Binds the listeners on 127.0.0.1 and starts accepting.
    pub async fn start(self) -> TestServer {
        let mut config = self
            .config
            .unwrap_or_else(|| ServerConfig::new([self.domain.clone()], b"test secret".to_vec()));
        let starttls_listener = bind().await;
        if self.advertise_location {
            // XEP-0198 §5: resume at this listener, whatever path the
            // client came through.
            let mut policy = stanzio_stream::ServerSmPolicy::default();
            policy.location = Some(starttls_listener.1.to_string());
            config = config.with_stream_management(Some(policy));
        }
        let state = Arc::new(ServerState {
            domain: self.domain.clone(),
            passwords: self.users.into_iter().collect(),
            certificates: self.certificates.into_iter().collect(),
            ..ServerState::default()
        });
        let mut listeners = Vec::new();
        let (starttls, task) = {
            let (config, tls, state) = (config.clone(), self.acceptor.clone(), state.clone());
            listen(starttls_listener, move |socket| {
                let (config, tls, state) = (config.clone(), tls.clone(), state.clone());
                async move {
                    let session = accept_c2s(socket, config, &tls, state.clone()).await;
                    state.serve(session).await;
                }
            })
        };
        listeners.push(task);
        let (direct_tls, task) = {
            let (config, tls, state) = (config.clone(), self.acceptor.clone(), state.clone());
            listen(bind().await, move |socket| {
                let (config, tls, state) = (config.clone(), tls.clone(), state.clone());
                async move {
                    match accept_direct_tls(socket, config, &tls, state.clone()).await {
                        Ok(session) => state.serve(session).await,
                        Err(error) => tracing::debug!(%error, "direct TLS refused"),
                    }
                }
            })
        };
        listeners.push(task);
        let (component, task) = {
            let (config, state) = (config.clone(), state.clone());
            listen(bind().await, move |socket| {
                let (config, state) = (config.clone(), state.clone());
                async move {
                    let session = accept_component(socket, config).await;
                    state.serve(session).await;
                }
            })
        };
        listeners.push(task);
        #[cfg(feature = "websocket")]
        let websocket = {
            let (config, tls, state) = (config.clone(), self.acceptor.clone(), state.clone());
            let (address, task) = listen(bind().await, move |socket| {
                let (config, tls, state) = (config.clone(), tls.clone(), state.clone());
                async move {
                    let accepted = crate::websocket::accept_websocket(
                        socket,
                        config,
                        Some(&tls),
                        state.clone(),
                    )
                    .await;
                    match accepted {
                        Ok(session) => state.serve(session).await,
                        Err(error) => tracing::debug!(%error, "WebSocket refused"),
                    }
                }
            });
            listeners.push(task);
            Some(address)
        };
        #[cfg(not(feature = "websocket"))]
        let websocket = None;
        TestServer {
            domain: self.domain,
            starttls,
            direct_tls,
            component,
            websocket,
            state,
            listeners,
        }
    }
}

/// A fresh loopback listener.
async fn bind() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("a local address");
    (listener, address)
}

/// Accepts on `listener`, running `serve` per connection.
fn listen<F, Fut>(
    (listener, address): (TcpListener, SocketAddr),
    serve: F,
) -> (SocketAddr, JoinHandle<()>)
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve(socket));
        }
    });
    (address, task)
}

impl TestServer {
    /// A server for `domain` with the certificate of `acceptor`.
    pub fn builder(domain: &str, acceptor: Acceptor) -> TestServerBuilder {
        TestServerBuilder {
            domain: domain.to_owned(),
            acceptor,
            users: Vec::new(),
            certificates: Vec::new(),
            config: None,
            advertise_location: false,
        }
    }

    /// What the server saw so far.
    pub fn log(&self) -> Vec<ServerLog> {
        guard(&self.state.inner).log.clone()
    }

    /// The JIDs of the sessions online now.
    pub fn online(&self) -> Vec<String> {
        let mut jids: Vec<String> = guard(&self.state.inner).sessions.keys().cloned().collect();
        jids.sort();
        jids
    }

    /// Whether the server keeps a resumable session (after a loss).
    pub fn kept_sessions(&self) -> usize {
        guard(&self.state.inner).kept.len()
    }

    /// A plain TLS-less configuration would never pass the machines'
    /// checks; this one keeps TLS required. For tests that need the
    /// default server configuration of `domain`.
    pub fn default_config(domain: &str) -> ServerConfig {
        ServerConfig::new([domain.to_owned()], b"test secret".to_vec())
            .with_tls(ServerTls::Required)
    }
}

/// A TCP proxy in front of a server that can cut every connection going
/// through it, so that both ends see the transport die mid-stream.
#[derive(Debug)]
pub struct CutProxy {
    /// Where clients connect.
    pub address: SocketAddr,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    listener: JoinHandle<()>,
}

impl CutProxy {
    /// Forwards connections on a fresh loopback port to `target`.
    pub async fn start(target: SocketAddr) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("a local address");
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let tracked = connections.clone();
        let listener = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                guard(&tracked).push(task);
            }
        });
        CutProxy {
            address,
            connections,
            listener,
        }
    }

    /// Cuts every connection now open: both sockets close at once.
    pub fn cut(&self) {
        for task in guard(&self.connections).drain(..) {
            task.abort();
        }
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.cut();
        self.listener.abort();
    }
}

/// What a [`TamperProxy`] does to the server's bytes before the client
/// sees them.
pub type Tamper = Box<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

/// A man in the middle for one connection: rewrites what the server sends
/// with a [`Tamper`] function and records what the client sends.
pub struct TamperProxy {
    /// Where the client connects.
    pub address: SocketAddr,
    seen: Arc<Mutex<Vec<u8>>>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for TamperProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TamperProxy")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl TamperProxy {
    /// Proxies the first connection to `target` through `tamper`.
    pub async fn start(target: SocketAddr, tamper: Tamper) -> TamperProxy {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("a local address");
        let seen: Arc<Mutex<Vec<u8>>> = Arc::default();
        let recorded = seen.clone();
        let task = tokio::spawn(async move {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let Ok(server) = TcpStream::connect(target).await else {
                return;
            };
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            let upstream = tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(n) = client_read.read(&mut buf).await {
                    let Some(bytes) = buf.get(..n).filter(|b| !b.is_empty()) else {
                        break;
                    };
                    guard(&recorded).extend_from_slice(bytes);
                    if server_write.write_all(bytes).await.is_err() {
                        break;
                    }
                }
            });
            let mut buf = vec![0u8; 16 * 1024];
            while let Ok(n) = server_read.read(&mut buf).await {
                let Some(bytes) = buf.get(..n).filter(|b| !b.is_empty()) else {
                    break;
                };
                if client_write.write_all(&tamper(bytes)).await.is_err() {
                    break;
                }
            }
            upstream.abort();
        });
        TamperProxy {
            address,
            seen,
            task,
        }
    }

    /// Everything the client sent so far.
    pub fn client_sent(&self) -> Vec<u8> {
        guard(&self.seen).clone()
    }
}

impl Drop for TamperProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A [`Tamper`] that removes `<starttls .../>` (or `<starttls>...</starttls>`)
/// from the server's features: the downgrade RFC 7590 guards against.
pub fn strip_starttls(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let Some(start) = text.find("<starttls") else {
        return bytes.to_vec();
    };
    let rest = &text[start..];
    let end = match (rest.find("</starttls>"), rest.find("/>")) {
        (Some(close), _) => close + "</starttls>".len(),
        (None, Some(empty)) => empty + 2,
        (None, None) => return bytes.to_vec(),
    };
    format!("{}{}", &text[..start], &rest[end..]).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stripper_removes_both_forms() {
        assert_eq!(
            strip_starttls(b"<f><starttls xmlns='x'><required/></starttls><m/></f>"),
            b"<f><m/></f>"
        );
        assert_eq!(strip_starttls(b"<f><starttls xmlns='x'/></f>"), b"<f></f>");
        assert_eq!(strip_starttls(b"<f><m/></f>"), b"<f><m/></f>");
    }

    #[test]
    fn pem_encoding_round_trips_through_rustls() {
        let pki = TestPki::new(&["localhost"]);
        let (cert, key) = pki.server_pem();
        let settings = ServerTlsSettings::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
        settings.build().unwrap();
        let chain = stanzio_blocking::tls::certificates_from_pem(cert.as_bytes()).unwrap();
        assert_eq!(chain, pki.chain());
    }
}
