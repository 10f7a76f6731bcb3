//! The stanzas Prosody 0.12 and ejabberd 23.01 and their client (slixmpp)
//! exchanged in one smoke run (tests/fixtures, copied from the interop
//! transcripts) parse, and write back to equivalent XML.
// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{assert_round_trip, read_elements};
use stanzio_stanza::{IqPayload, Stanza};
use stanzio_xml::ContentNamespace;

fn check(fixture: &str) -> Vec<Stanza> {
    let (lang, elements) = read_elements(fixture.as_bytes());
    assert!(elements.len() > 40, "the fixture holds the whole run");
    elements
        .iter()
        .map(|e| assert_round_trip(e, ContentNamespace::Client, lang.as_deref()))
        .collect()
}

fn has_error_iq(stanzas: &[Stanza]) -> bool {
    stanzas
        .iter()
        .any(|s| matches!(s, Stanza::Iq(iq) if matches!(iq.payload, IqPayload::Error { .. })))
}

#[test]
fn prosody_transcript() {
    let stanzas = check(include_str!("fixtures/prosody.xml"));
    assert!(
        stanzas
            .iter()
            .any(|s| matches!(s, Stanza::Message(m) if m.body().is_some()))
    );
    assert!(has_error_iq(&stanzas));
}

#[test]
fn ejabberd_transcript() {
    let stanzas = check(include_str!("fixtures/ejabberd.xml"));
    assert!(stanzas.iter().any(|s| matches!(s, Stanza::Presence(_))));
    assert!(has_error_iq(&stanzas));
}
