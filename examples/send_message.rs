//! Log in, send one message, close: the blocking client (stanzio-blocking),
//! no async runtime.
//!
//! ```text
//! cargo run --example send_message -- JID PASSWORD TO BODY [--server HOST:PORT] [--direct-tls] [--ca CA.pem]
//! ```
//!
//! Without `--server`, the client connects to the JID's domain on port
//! 5222 (stanzio-tokio also looks up DNS SRV records). `--ca` trusts a
//! private CA besides the webpki roots, for a server with a self-signed
//! certificate; the certificate must name the JID's domain either way.

use stanzio_blocking::{Client, ClientTlsSettings, Connector, Endpoint, Error, OsRng, Target};
use stanzio_jid::Jid;
use stanzio_stanza::Message;
use stanzio_stream::ClientConfig;

/// Logs in as `jid`, sends `body` to `to` and closes the stream cleanly
/// (the server handles what arrived before the close, RFC 6120 §4.4).
/// Returns the address the session was bound to.
pub fn send_message(
    jid: Jid,
    password: &str,
    to: Jid,
    body: &str,
    target: &Target,
    tls: &Connector,
) -> Result<Jid, Error> {
    let config = ClientConfig::new(jid, password, OsRng::new());
    let mut client = Client::connect(config, target, tls)?;
    let bound = client
        .connection()
        .jid()
        .cloned()
        .ok_or(Error::ClosedBeforeOnline)?;
    client.send(Message::chat(to.clone(), body))?;
    client.close()?;
    println!("sent {} bytes to {to} as {bound}", body.len());
    Ok(bound)
}

/// The command line, parsed.
struct Arguments {
    jid: Jid,
    password: String,
    to: Jid,
    body: String,
    server: Option<String>,
    direct_tls: bool,
    ca: Option<String>,
}

fn arguments() -> Result<Arguments, String> {
    let mut positional = Vec::new();
    let (mut server, mut direct_tls, mut ca) = (None, false, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" => server = args.next(),
            "--ca" => ca = args.next(),
            "--direct-tls" => direct_tls = true,
            _ => positional.push(arg),
        }
    }
    let [jid, password, to, body] = <[String; 4]>::try_from(positional)
        .map_err(|_| "usage: send_message JID PASSWORD TO BODY [--server HOST:PORT] [--direct-tls] [--ca CA.pem]")?;
    Ok(Arguments {
        jid: jid.parse().map_err(|e| format!("JID: {e}"))?,
        password,
        to: to.parse().map_err(|e| format!("TO: {e}"))?,
        body,
        server,
        direct_tls,
        ca,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = arguments()?;
    let mut target = Target::domain(args.jid.domain());
    if let Some(server) = &args.server {
        let (host, port) = stanzio_blocking::srv::split_host_port(server);
        let port = port.unwrap_or(if args.direct_tls { 5223 } else { 5222 });
        target = target.with_endpoint(if args.direct_tls {
            Endpoint::direct_tls(host, port)
        } else {
            Endpoint::starttls(host, port)
        });
    }
    let mut settings = ClientTlsSettings::new();
    if let Some(ca) = &args.ca {
        settings = settings.add_ca_file(ca)?;
    }
    send_message(
        args.jid,
        &args.password,
        args.to,
        &args.body,
        &target,
        &settings.build()?,
    )?;
    Ok(())
}
