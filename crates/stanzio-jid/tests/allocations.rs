//! The fast path allocates exactly once: the JID's own buffer, sized
//! exactly, so it is never grown or shrunk. One test only, because the
//! allocation counter is global to the test binary.

use std::alloc::System;

use stanzio_jid::Jid;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations and reallocations made while parsing `input`.
fn allocations_to_parse(input: &str) -> (usize, usize) {
    let region = Region::new(GLOBAL);
    let jid = Jid::new(input);
    let change = region.change();
    assert!(jid.is_ok(), "{input:?}");
    (change.allocations, change.reallocations)
}

#[test]
fn ascii_jids_cost_one_allocation() {
    for input in [
        "juliet@example.com/balcony",
        "Juliet@Example.COM/Balcony",
        "example.com",
        "conference.example.com/Nick Name",
        "juliet@192.0.2.1",
        "a-b.c_d+e@sub.example.org./res",
        "juliet@example.com",
        "example.com/balcony",
    ] {
        assert_eq!(allocations_to_parse(input), (1, 0), "{input:?}");
    }
    // Cloning is one allocation too; to_bare of a full JID likewise.
    let jid = Jid::new("juliet@example.com/balcony").unwrap();
    let region = Region::new(GLOBAL);
    let copy = jid.clone();
    let bare = jid.to_bare();
    assert_eq!(region.change().allocations, 2);
    assert_eq!(
        (copy.as_str(), bare.as_str()),
        (jid.as_str(), "juliet@example.com")
    );
    // A resourcepart outside ASCII that OpaqueString leaves as it is: the
    // parts are prepared one by one, and the JID, already in prepared
    // form, is still copied whole into a buffer of its exact size.
    assert_eq!(
        allocations_to_parse("juliet@example.com/b\u{e4}lcony"),
        (1, 0)
    );
    // Non-ASCII input takes the PRECIS/IDNA path, which allocates more.
    assert!(allocations_to_parse("J\u{fc}liet@B\u{fc}cher.example/\u{265a}").0 > 1);
}
