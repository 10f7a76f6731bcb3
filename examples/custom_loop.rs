//! The run loop without any adapter or async runtime: a
//! [`ClientConnection`] on a `std::net::TcpStream`, with rustls driven by
//! hand, every step of the machines' polling order spelled out. It logs
//! in, sends one message to its own address, prints what comes back and
//! closes.
//!
//! ```text
//! cargo run --example custom_loop -- JID PASSWORD HOST:PORT [--ca CA.pem]
//! ```
//!
//! The rules (see the stanzio-stream crate documentation):
//! 1. after every call that changes the machine, write everything
//!    `poll_transmit` gives;
//! 2. then take every `poll_event`;
//! 3. then wait for input no longer than `poll_timeout`, and call
//!    `handle_timeout` when it passed;
//! 4. feed input with `handle_input`, which may take only part of it when
//!    events pile up: drain the events and feed the rest.
//!
//! Only the TLS configuration and the channel-binding data come from
//! stanzio-blocking (`Connector`); the loop is all here.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use stanzio_blocking::{ClientTlsSettings, Connector, OsRng};
use stanzio_jid::Jid;
use stanzio_stanza::{Message, Stanza};
use stanzio_stream::{ClientConfig, ClientConnection, ClientEvent};

/// The loop reads the clock; the machine never does.
#[allow(clippy::disallowed_methods)] // this loop is the adapter
fn now() -> Instant {
    Instant::now()
}

/// The socket, in the clear until STARTTLS, then under rustls.
struct Transport {
    socket: TcpStream,
    tls: Option<rustls::ClientConnection>,
}

impl Transport {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.tls {
            None => self.socket.write_all(bytes),
            Some(tls) => {
                tls.writer().write_all(bytes)?;
                while tls.wants_write() {
                    tls.write_tls(&mut self.socket)?;
                }
                Ok(())
            }
        }
    }

    /// Reads what is there (waiting at most the socket's timeout) into
    /// `input`; `Ok(false)` when the server closed the connection.
    fn read(&mut self, input: &mut Vec<u8>) -> io::Result<bool> {
        let mut chunk = [0u8; 16 * 1024];
        match &mut self.tls {
            None => {
                let n = self.socket.read(&mut chunk)?;
                input.extend_from_slice(&chunk[..n]);
                Ok(n > 0)
            }
            Some(tls) => {
                if tls.read_tls(&mut self.socket)? == 0 {
                    return Ok(false);
                }
                tls.process_new_packets()
                    .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
                loop {
                    match tls.reader().read(&mut chunk) {
                        Ok(0) => return Ok(false), // close_notify
                        Ok(n) => input.extend_from_slice(&chunk[..n]),
                        Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                        Err(error) => return Err(error),
                    }
                }
            }
        }
    }
}

/// Logs in as `jid` at `host:port`, sends `body` to itself, and returns
/// the lines it printed.
pub fn custom_loop(
    jid: Jid,
    password: &str,
    host: &str,
    port: u16,
    connector: &Connector,
    body: &str,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut log = Vec::new();
    let mut say = |line: String| {
        println!("{line}");
        log.push(line);
    };
    let domain = jid.domain().to_owned();
    let config = ClientConfig::new(jid, password, OsRng::new());
    let mut machine = ClientConnection::new(config, now())?;
    let mut transport = Transport {
        socket: TcpStream::connect((host, port))?,
        tls: None,
    };
    let mut out = Vec::new();
    let mut input = Vec::new();
    // The server closed the transport; what it sent before still has to be
    // fed (its `</stream:stream>` makes the close a clean one).
    let mut transport_closed = false;
    loop {
        // 1. Write everything the machine has to send.
        while machine.poll_transmit(&mut out).is_some() {
            transport.write_all(&out)?;
        }
        // 2. Take every event. Handling one may queue output: then go
        //    round again before waiting.
        let mut acted = false;
        while let Some(event) = machine.poll_event() {
            acted = true;
            match event {
                ClientEvent::StartTls => {
                    // Everything before <proceed/> is written (step 1).
                    // The handshake, on the same socket, checks the
                    // certificate against the JID's domain.
                    let name = Connector::server_name(&domain)?;
                    let mut tls = rustls::ClientConnection::new(connector.config(false), name)?;
                    transport
                        .socket
                        .set_read_timeout(Some(Duration::from_secs(30)))?;
                    while tls.is_handshaking() {
                        tls.complete_io(&mut transport.socket)?;
                    }
                    machine.tls_established(now(), connector.session_info(&tls))?;
                    say(format!("TLS {:?}", tls.protocol_version()));
                    transport.tls = Some(tls);
                }
                ClientEvent::Online { jid, .. } => {
                    say(format!("online as {jid}"));
                    machine.send(Message::chat(jid, body))?;
                }
                ClientEvent::Stanza(Stanza::Message(message)) => {
                    say(format!("received: {}", message.body().unwrap_or_default()));
                    machine.close();
                }
                ClientEvent::Disconnected(error) => {
                    say(format!("disconnected: {error:?}"));
                    return Ok(log);
                }
                other => say(format!("event: {other:?}")),
            }
        }
        if acted {
            continue;
        }
        // 4. Feed what was read; the machine may stop early (too many
        //    events waiting): the rest stays for the next round.
        if !input.is_empty() {
            let consumed = machine.handle_input(now(), &input).unwrap_or(input.len());
            input.drain(..consumed);
            if consumed > 0 {
                continue;
            }
        }
        if transport_closed {
            machine.handle_transport_closed(now());
            continue;
        }
        // 3. Wait for input no longer than the machine's next deadline.
        let deadline = machine.poll_timeout();
        let wait = deadline.map(|d| d.saturating_duration_since(now()));
        if wait == Some(Duration::ZERO) {
            machine.handle_timeout(now());
            continue;
        }
        transport.socket.set_read_timeout(wait)?;
        match transport.read(&mut input) {
            Ok(true) => {}
            Ok(false) => transport_closed = true,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                machine.handle_timeout(now());
            }
            Err(error) => {
                say(format!("transport: {error}"));
                machine.handle_transport_closed(now());
            }
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: custom_loop JID PASSWORD HOST:PORT [--ca CA.pem]";
    let (jid, password, server, ca) = match args.as_slice() {
        [jid, password, server] => (jid, password, server, None),
        [jid, password, server, flag, ca] if flag == "--ca" => (jid, password, server, Some(ca)),
        _ => return Err(usage.into()),
    };
    let (host, port) = stanzio_blocking::srv::split_host_port(server);
    let mut settings = ClientTlsSettings::new();
    if let Some(ca) = ca {
        settings = settings.add_ca_file(ca)?;
    }
    custom_loop(
        jid.parse()?,
        password,
        &host,
        port.unwrap_or(5222),
        &settings.build()?,
        "hello from a plain loop",
    )?;
    Ok(())
}
