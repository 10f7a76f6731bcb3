//! An external component (XEP-0114) on tokio: it serves a domain of its
//! own (`echo.example.com`) behind a server and answers every message sent
//! to any address in it.
//!
//! ```text
//! cargo run --example component -- DOMAIN SECRET HOST:PORT
//! ```
//!
//! The server must list the component with the same secret (for
//! stanzio-server, a `[[components]]` entry). XEP-0114 streams are not
//! encrypted: run them on a trusted network, usually loopback.

use std::future::Future;

use stanzio_jid::BareJid;
use stanzio_stanza::{Message, MessageType, Stanza};
use stanzio_stream::{ClientConfig, ClientEvent};
use stanzio_tokio::{Client, ClientTlsSettings, ConnectOptions, Endpoint, Event, OsRng, Target};

/// Connects as the component `domain` to the server at `endpoint` and
/// answers messages until `stop` completes. Returns how many it answered.
pub async fn component(
    domain: BareJid,
    secret: &str,
    endpoint: Endpoint,
    stop: impl Future<Output = ()>,
) -> Result<usize, stanzio_tokio::Error> {
    let target = Target::domain(domain.as_str()).with_endpoint(endpoint);
    // The component stream has no TLS; the connector is never used.
    let options = ConnectOptions::new(target, ClientTlsSettings::new().build()?);
    let config = ClientConfig::component(domain, secret, OsRng::new());
    let mut client = Client::connect(config, options).await?;
    println!("serving {}", client.jid());
    tokio::pin!(stop);
    let mut answered = 0;
    loop {
        let event = tokio::select! {
            () = &mut stop => break,
            event = client.next_event() => event,
        };
        match event {
            None | Some(Event::Stream(ClientEvent::Disconnected(_))) => break,
            Some(Event::Stream(ClientEvent::Stanza(Stanza::Message(message)))) => {
                // Never answer an error (RFC 6120 §8.3.1): no loops.
                if message.type_ == MessageType::Error {
                    continue;
                }
                let (Some(from), Some(to), Some(body)) =
                    (message.from.clone(), message.to.clone(), message.body())
                else {
                    continue;
                };
                // The answer comes from the address that was written to,
                // inside the component's domain.
                let reply =
                    Message::chat(from.clone(), format!("{to} heard: {body}")).with_from(to);
                client.send(reply)?;
                answered += 1;
                println!("answered {from}");
            }
            Some(_) => {}
        }
    }
    client.close().await;
    Ok(answered)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [domain, secret, server] =
        <[String; 3]>::try_from(args).map_err(|_| "usage: component DOMAIN SECRET HOST:PORT")?;
    let (host, port) = stanzio_tokio::srv::split_host_port(&server);
    let endpoint = Endpoint::starttls(host, port.ok_or("HOST:PORT needs a port")?);
    component(domain.parse()?, &secret, endpoint, std::future::pending()).await?;
    Ok(())
}
