//! What runs today, end to end, without a network: read a recorded XMPP
//! session with the stream reader, turn every stanza into a typed value and
//! back, then log in with SCRAM-SHA-256 between a stanzio client and a
//! stanzio server in memory. Prints a readable transcript.
//!
//! ```sh
//! cargo run --release --example transcript             # embedded Prosody session
//! cargo run --release --example transcript -- FILE     # any server-to-client stream
//! ```
//!
//! The embedded session is what Prosody 0.12 sent to a client during a real
//! login (STARTTLS, SCRAM-SHA-1, bind, roster, presence, subscriptions,
//! messages, blocking), captured after TLS decryption.

use std::error::Error;

use stanzio_sasl::rand_core::{CryptoRng, RngCore, impls};
use stanzio_sasl::{
    ChannelBindingMemory, ClientMechanism, ClientPolicy, Credentials, HashAlgorithm, Mechanism,
    ServerConfig, ServerMechanism, ServerStep, StoredCredentials, TlsInfo, TlsVersion, select,
};
use stanzio_stanza::{IqPayload, Stanza, StreamContext};
use stanzio_xml::{ContentNamespace, Element, Limits, StreamEvent, StreamReader, StreamWriter};

const RECORDED: &[u8] = include_bytes!("../tests/data/prosody-alice-s2c.xml");
const NS_TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
const NS_SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";

fn main() -> Result<(), Box<dyn Error>> {
    let recorded = match std::env::args().nth(1) {
        Some(path) => std::fs::read(path)?,
        None => RECORDED.to_vec(),
    };
    println!(
        "== reading a recorded server-to-client stream ({} bytes)",
        recorded.len()
    );
    read_session(&recorded)?;
    println!();
    println!("== SCRAM-SHA-256 login, stanzio client against stanzio server, in memory");
    scram_login()?;
    Ok(())
}

/// Reads the stream as a client would, restarting where the protocol does.
fn read_session(mut input: &[u8]) -> Result<(), Box<dyn Error>> {
    let mut reader = StreamReader::new(Limits::default());
    let writer = StreamWriter::new(ContentNamespace::Client);
    let mut ctx = StreamContext::new(ContentNamespace::Client);
    let (mut stanzas, mut round_trips) = (0, 0);
    while let Some(event) = reader.read(&mut input)? {
        match event {
            StreamEvent::Header(header) => {
                println!(
                    "S: <stream> from={} id={} version={}",
                    header.from.as_deref().unwrap_or("-"),
                    header.id.as_deref().unwrap_or("-"),
                    header.version.as_deref().unwrap_or("-"),
                );
                // Each stream (a restart opens a new one) has its own language.
                ctx = StreamContext::from_header(&header, ContentNamespace::Client);
            }
            StreamEvent::Element(element) => {
                match Stanza::from_element(&element, &ctx) {
                    Ok(stanza) => {
                        stanzas += 1;
                        println!("S: {}", describe(&stanza));
                        // Write it back and read it again: the same value.
                        let mut out = Vec::new();
                        let mut w = writer.element(&mut out);
                        stanza.write_to(&mut w);
                        w.finish()?;
                        if reread(&out, &ctx)? == stanza {
                            round_trips += 1;
                        } else {
                            println!("   !! did not survive a round trip");
                        }
                    }
                    Err(_) => println!("S: {}", describe_nonza(&element)),
                }
                if element.is("proceed", NS_TLS) || element.is("success", NS_SASL) {
                    // RFC 6120 §5.4.3.3, §6.4.6: a new stream starts here. In
                    // a live session the bytes left after <proceed/> would be
                    // an attack; this recording was captured after TLS.
                    println!("   -- stream restart --");
                    reader.restart();
                }
            }
            StreamEvent::Whitespace => {}
            StreamEvent::End => println!("S: </stream>"),
            _ => {}
        }
    }
    reader.eof()?;
    println!("{stanzas} stanzas typed; {round_trips} written back and read again unchanged");
    Ok(())
}

fn reread(bytes: &[u8], ctx: &StreamContext) -> Result<Stanza, Box<dyn Error>> {
    let mut stream = b"<stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams'>"
        .to_vec();
    stream.extend_from_slice(bytes);
    let mut reader = StreamReader::new(Limits::default());
    let mut input = stream.as_slice();
    loop {
        match reader.read(&mut input)? {
            Some(StreamEvent::Element(element)) => {
                return Ok(Stanza::from_element(&element, ctx)?);
            }
            Some(_) => continue,
            None => return Err("the written stanza did not read back".into()),
        }
    }
}

fn describe(stanza: &Stanza) -> String {
    let from = stanza
        .from_jid()
        .map_or("(server)".to_owned(), ToString::to_string);
    match stanza {
        Stanza::Message(m) => format!(
            "message {:?} from {from}: {:?}",
            m.type_,
            m.body().unwrap_or("(no body)")
        ),
        Stanza::Presence(p) => format!("presence {:?} from {from}", p.type_),
        Stanza::Iq(iq) => {
            let element = match &iq.payload {
                IqPayload::Get(e) | IqPayload::Set(e) | IqPayload::Result(Some(e)) => {
                    format!(" <{}/>", e.name())
                }
                IqPayload::Error { error, .. } => format!(" error {:?}", error.condition),
                IqPayload::Result(None) => String::new(),
            };
            format!(
                "iq {} id={} from {from}{element}",
                iq.payload.type_().as_str(),
                iq.id
            )
        }
    }
}

fn describe_nonza(element: &Element) -> String {
    let children: Vec<&str> = element.root().children().map(|c| c.name()).collect();
    if children.is_empty() {
        format!("<{}/> ({})", element.name(), element.ns())
    } else {
        format!("<{}> with {}", element.name(), children.join(", "))
    }
}

/// Randomness for nonces and salts: the OS generator. (An adapter passes
/// `rand_core::OsRng`; tests pass a fixed sequence.)
struct OsRandom;

impl RngCore for OsRandom {
    fn next_u32(&mut self) -> u32 {
        impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        impls::next_u64_via_fill(self)
    }

    fn fill_bytes(&mut self, buf: &mut [u8]) {
        use std::io::Read;
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(buf))
            .expect("/dev/urandom is readable");
    }
}

impl CryptoRng for OsRandom {}

fn scram_login() -> Result<(), Box<dyn Error>> {
    let mut rng = OsRandom;
    // A TLS 1.3 session: the client can bind with tls-exporter (RFC 9266).
    // The adapter would export these 32 bytes from rustls.
    let tls = TlsInfo::new(TlsVersion::Tls13)
        .with_binding(stanzio_sasl::ChannelBindingType::TlsExporter, [0x5a; 32]);
    let mut config = ServerConfig::new(*b"the server's stable private secret");
    // This server stores SCRAM-SHA-256 records, so it offers only what it
    // can verify (and PLAIN, which the client's policy refuses to prefer).
    config.mechanisms.retain(|m| {
        matches!(
            m,
            Mechanism::Scram {
                hash: HashAlgorithm::Sha256,
                ..
            } | Mechanism::Plain
        )
    });
    let record =
        StoredCredentials::generate(HashAlgorithm::Sha256, "secret", &config.records, &mut rng)?;
    let offer = config.offer(Some(&tls));
    println!("S: mechanisms {}", offer.mechanisms.join(" "));

    let credentials = Credentials::password("alice", "secret");
    let selection = select(
        &offer,
        Some(&tls),
        &credentials,
        &ClientPolicy::default(),
        ChannelBindingMemory::Unknown,
    )?;
    let mut client = ClientMechanism::new(&selection, &credentials, &mut rng)?;
    let name = client.mechanism().as_str();
    let mut server = ServerMechanism::new(&config, &offer, Some(&tls), name, &mut rng)?;

    let first = client.initial_response()?;
    println!(
        "C: <auth mechanism='{name}'> {}",
        String::from_utf8_lossy(&first)
    );
    let ServerStep::CredentialsNeeded { username, .. } = server.handle_response(&first)? else {
        return Err("server did not ask for credentials".into());
    };
    println!("   server looks up the stored SCRAM record of {username:?} (never the password)");
    let ServerStep::Challenge(server_first) = server.provide_credentials(Some(record))? else {
        return Err("server did not challenge".into());
    };
    println!("S: <challenge> {}", String::from_utf8_lossy(&server_first));
    let client_final = client.step(&server_first)?;
    println!("C: <response> {}", String::from_utf8_lossy(&client_final));
    let ServerStep::Success {
        identity,
        additional_data: Some(server_final),
    } = server.handle_response(&client_final)?
    else {
        return Err("server did not accept the proof".into());
    };
    println!("S: <success> {}", String::from_utf8_lossy(&server_final));
    client.finish(&server_final)?;
    println!(
        "   client verified the server signature; logged in as {}",
        identity.authcid.as_deref().unwrap_or("?")
    );
    Ok(())
}
