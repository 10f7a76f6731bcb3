//! Heap held by idle established `ServerConnection`s (TLS done, bound,
//! stream management enabled, nothing in flight), counted by `stats_alloc`:
//! one connection, the same after 1,000 chat messages passed through it,
//! and 10,000 connections. The figure is what dropping the connection
//! gives back, so it counts capacity held, not only bytes in use.

use std::alloc::System;
use std::time::Instant;

use stanzio_jid::Jid;
use stanzio_stanza::Message;
use stanzio_stream::testing::{Accounts, Pair, TestRng};
use stanzio_stream::{ClientConfig, ServerConfig, ServerConnection};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const GOAL: usize = 16 * 1024;

fn server_config() -> ServerConfig {
    let mut sasl = stanzio_sasl::ServerConfig::new(b"bench".to_vec());
    // SCRAM-SHA-1 keeps 10,000 logins quick; the connection's idle heap
    // does not depend on the hash.
    sasl.mechanisms = vec![stanzio_sasl::Mechanism::scram(
        stanzio_sasl::HashAlgorithm::Sha1,
        true,
    )];
    ServerConfig::new(["capulet.lit"], b"bench".to_vec()).with_sasl(sasl)
}

fn established(accounts: &mut Accounts, seed: u64) -> Pair {
    let client = ClientConfig::new(
        "juliet@capulet.lit/phone".parse().expect("a JID"),
        "pencil",
        TestRng(seed),
    );
    let mut pair = Pair::new(client, server_config(), std::mem::take(accounts));
    pair.drive();
    assert!(pair.is_online() && pair.server.is_online());
    pair.client.request_ack();
    pair.drive();
    *accounts = std::mem::take(&mut pair.accounts);
    pair.client_events = Vec::new();
    pair.server_events = Vec::new();
    pair
}

/// The bench owns its clock; the fresh machines never look at it.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// Takes the server machines out of the pairs (leaving fresh, unused ones)
/// and returns what dropping them frees, per connection.
fn held_per_server(pairs: &mut [Pair]) -> usize {
    let servers: Vec<ServerConnection> = pairs
        .iter_mut()
        .map(|pair| {
            std::mem::replace(
                &mut pair.server,
                ServerConnection::new(server_config(), TestRng(0), now()),
            )
        })
        .collect();
    let count = servers.len();
    let region = Region::new(GLOBAL);
    drop(servers);
    let change = region.change();
    let freed = change
        .bytes_deallocated
        .saturating_sub(change.bytes_allocated);
    // The Vec holding them is not the connections' heap.
    freed.saturating_sub(count * std::mem::size_of::<ServerConnection>()) / count
}

fn main() {
    let mut accounts = Accounts::new(&[("juliet", "pencil")]);
    let mut one = vec![established(&mut accounts, 1)];
    let idle = held_per_server(&mut one);

    let after_traffic = after_messages(&mut accounts, 2, 1_000);
    let after_more_traffic = after_messages(&mut accounts, 3, 10_000);

    let mut many: Vec<Pair> = (0..10_000)
        .map(|i| established(&mut accounts, 10 + i))
        .collect();
    let each_of_many = held_per_server(&mut many);

    println!("server_memory: heap held by one idle established ServerConnection");
    println!("  fresh login:                 {idle:>6} B");
    println!("  after 1,000 messages:        {after_traffic:>6} B");
    println!("  after 10,000 messages:       {after_more_traffic:>6} B");
    println!(
        "  each of 10,000 connections:  {each_of_many:>6} B ({:.1} MB in all)",
        (each_of_many * 10_000) as f64 / 1e6
    );
    println!(
        "  goal:                        {GOAL:>6} B  {}",
        if idle
            .max(after_traffic)
            .max(after_more_traffic)
            .max(each_of_many)
            <= GOAL
        {
            "met"
        } else {
            "NOT MET"
        }
    );
}

/// A connection through which `count` messages passed each way (bodies of
/// 0 to 300 bytes), measured once idle again.
fn after_messages(accounts: &mut Accounts, seed: u64, count: usize) -> usize {
    let mut busy = vec![established(accounts, seed)];
    let to: Jid = "juliet@capulet.lit/phone".parse().expect("a JID");
    let romeo: Jid = "romeo@montague.lit".parse().expect("a JID");
    for i in 0..count {
        let pair = &mut busy[0];
        let body = format!("message {i}: {}", "x".repeat(i % 300));
        pair.server
            .send(Message::chat(to.clone(), body))
            .expect("online");
        pair.client
            .send(Message::chat(romeo.clone(), "reply"))
            .expect("online");
        pair.drive();
        pair.client_events.clear();
        pair.server_events.clear();
    }
    pair_ack(&mut busy[0]);
    held_per_server(&mut busy)
}

fn pair_ack(pair: &mut Pair) {
    pair.client.request_ack();
    pair.drive();
    pair.client_events.clear();
    pair.server_events.clear();
}
