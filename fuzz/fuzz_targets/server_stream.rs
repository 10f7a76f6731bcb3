//! Arbitrary client bytes into a `ServerConnection`: from the first byte
//! (plaintext mode, so the header and SASL are reachable), or, when the
//! first input byte is odd, after a real login over the in-memory pair.
//! Never a panic; events are drained as an application would, and the
//! bytes waiting to be sent stay bounded.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use stanzio_stream::testing::{Accounts, Pair, TestRng};
use stanzio_stream::{ClientConfig, ServerConfig, ServerConnection, ServerTls};

const OPEN: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' to='capulet.lit' version='1.0'>";

fn feed(server: &mut ServerConnection, now: Instant, data: &[u8]) {
    let mut out = Vec::new();
    for chunk in data.chunks(97) {
        let mut rest = chunk;
        while !rest.is_empty() {
            match server.handle_input(now, rest) {
                Ok(0) => {
                    // Waiting for an answer the fuzzer cannot give, or
                    // events to drain.
                    while server.poll_event().is_some() {}
                    if server.handle_input(now, rest) == Ok(0) {
                        return;
                    }
                }
                Ok(consumed) => rest = rest.get(consumed..).unwrap_or_default(),
                Err(_) => return,
            }
            while server.poll_event().is_some() {}
            while server.poll_transmit(&mut out).is_some() {
                assert!(out.len() < 4 * 1024 * 1024, "output stays bounded");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let config = ServerConfig::new(["capulet.lit"], b"fuzz".to_vec());
    if mode % 2 == 0 {
        let now = Instant::now();
        let mut server =
            ServerConnection::new(config.with_tls(ServerTls::DangerousPlaintext), TestRng(1), now);
        let mut input = OPEN.to_vec();
        input.extend_from_slice(data);
        feed(&mut server, now, &input);
    } else {
        let client = ClientConfig::new(
            "juliet@capulet.lit/balcony".parse().expect("a JID"),
            "r0m30",
            TestRng(2),
        );
        let mut pair = Pair::new(client, config, Accounts::new(&[("juliet", "r0m30")]));
        pair.drive();
        let now = pair.now;
        feed(&mut pair.server, now, data);
    }
});
