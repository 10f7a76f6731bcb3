//! An echo bot on tokio (stanzio-tokio): it accepts every subscription
//! request, echoes chat messages back to their sender, and answers pings
//! (the connection machine answers XEP-0199 pings by itself). It
//! reconnects, resuming its session, when the connection drops.
//!
//! ```text
//! cargo run --example echo_bot -- JID PASSWORD [--server HOST:PORT] [--ca CA.pem]
//! ```

use std::future::Future;
use std::time::Duration;

use stanzio_jid::Jid;
use stanzio_stanza::{Message, MessageType, Presence, PresenceType, Stanza};
use stanzio_stream::{ClientConfig, ClientEvent};
use stanzio_tokio::{
    Client, ClientTlsSettings, ConnectOptions, Connector, Endpoint, Event, OsRng, Reconnect, Target,
};

/// What the bot did, one line per action (also printed).
pub type Log = Vec<String>;

/// Connects as `jid` and runs the bot until `stop` completes or the
/// connection ends for good.
pub async fn echo_bot(
    jid: Jid,
    password: String,
    target: Target,
    tls: Connector,
    stop: impl Future<Output = ()>,
) -> Result<Log, stanzio_tokio::Error> {
    let config = ClientConfig::new(jid.clone(), password.as_str(), OsRng::new());
    let reconnect =
        Reconnect::new(move || ClientConfig::new(jid.clone(), password.as_str(), OsRng::new()))
            .with_delays(Duration::from_millis(500), Duration::from_secs(30));
    let options = ConnectOptions::new(target, tls).with_reconnect(reconnect);
    let mut client = Client::connect(config, options).await?;
    // Available, so that contacts route messages here (RFC 6121 §4.2).
    client.send(Presence::available())?;
    let mut log = Log::new();
    let mut note = |line: String| {
        println!("{line}");
        log.push(line);
    };
    note(format!("online as {}", client.jid()));
    tokio::pin!(stop);
    loop {
        let event = tokio::select! {
            () = &mut stop => break,
            event = client.next_event() => event,
        };
        match event {
            None => break,
            Some(Event::Stream(ClientEvent::Stanza(stanza))) => {
                if let Some(line) = answer(&client, stanza)? {
                    note(line);
                }
            }
            Some(Event::Reconnecting {
                attempt,
                delay,
                reason,
            }) => {
                note(format!(
                    "connection lost ({reason}); attempt {attempt} in {delay:?}"
                ));
            }
            Some(Event::Stream(ClientEvent::Online { resumed: true, .. })) => {
                note("session resumed".to_owned());
            }
            Some(Event::Stream(ClientEvent::Disconnected(error))) => {
                note(format!("disconnected: {error:?}"));
                break;
            }
            Some(_) => {}
        }
    }
    client.close().await;
    Ok(log)
}

/// Answers one stanza: echoes a chat message, accepts a subscription.
fn answer(client: &Client, stanza: Stanza) -> Result<Option<String>, stanzio_tokio::Error> {
    match stanza {
        Stanza::Message(message) if message.type_ == MessageType::Chat => {
            let (Some(from), Some(body)) = (message.from.clone(), message.body()) else {
                return Ok(None);
            };
            let mut reply = Message::chat(from.clone(), body);
            reply.thread = message.thread.clone();
            client.send(reply)?;
            Ok(Some(format!("echoed {} bytes to {from}", body.len())))
        }
        Stanza::Presence(presence) if presence.type_ == PresenceType::Subscribe => {
            let Some(from) = presence.from.clone() else {
                return Ok(None);
            };
            // RFC 6121 §3.1.5: approve with `subscribed`, to the bare JID.
            let bare = Jid::from(from.to_bare());
            client.send(Presence::new(PresenceType::Subscribed).with_to(bare.clone()))?;
            Ok(Some(format!("accepted the subscription of {bare}")))
        }
        _ => Ok(None),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: echo_bot JID PASSWORD [--server HOST:PORT] [--ca CA.pem]";
    let jid: Jid = args.next().ok_or(usage)?.parse()?;
    let password = args.next().ok_or(usage)?;
    let mut target = Target::domain(jid.domain());
    let mut settings = ClientTlsSettings::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" => {
                let (host, port) = stanzio_tokio::srv::split_host_port(&args.next().ok_or(usage)?);
                target = target.with_endpoint(Endpoint::starttls(host, port.unwrap_or(5222)));
            }
            "--ca" => settings = settings.add_ca_file(args.next().ok_or(usage)?)?,
            _ => return Err(usage.into()),
        }
    }
    echo_bot(
        jid,
        password,
        target,
        settings.build()?,
        std::future::pending(),
    )
    .await?;
    Ok(())
}
