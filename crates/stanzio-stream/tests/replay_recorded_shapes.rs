//! The client against servers shaped like the recorded Prosody 0.12 and
//! ejabberd 23.01 sessions (`tests/data/` of the repository): it logs in,
//! binds, enables stream management, then takes what each server really
//! sent after bind (roster results and pushes, presence, messages, the
//! server's close), with a server ping slipped in. Every stanza arrives as
//! `ClientEvent::Stanza` (the ping is answered, not reported), and the
//! same events and bytes come out whatever the input split.
// Test code: a failed expectation is a panic (clippy.toml allows these
// inside #[test] functions; the helpers here are test code too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Harness, Shape, Split, TestRng, client_config};
use proptest::prelude::*;
use stanzio_sasl::{ChannelBindingType, HashAlgorithm, Mechanism};
use stanzio_stream::{ClientConfig, ClientEvent};
use stanzio_xml::{Limits, StreamEvent, StreamReader};

/// The server ping slipped into each replay (XEP-0199 §4).
const SERVER_PING: &str =
    "<iq type='get' id='s2c-ping-1' from='localhost'><ping xmlns='urn:xmpp:ping'/></iq>";

/// One recorded session: its server, its account, and what the server
/// sent after the bind result.
struct Recorded {
    file: &'static str,
    shape: fn() -> Shape,
    account: &'static str,
}

const RECORDED: [Recorded; 4] = [
    Recorded {
        file: "prosody-alice-s2c.xml",
        shape: Shape::prosody,
        account: "alice",
    },
    Recorded {
        file: "prosody-bob-s2c.xml",
        shape: Shape::prosody,
        account: "bob",
    },
    Recorded {
        file: "ejabberd-alice-s2c.xml",
        shape: Shape::ejabberd,
        account: "alice",
    },
    Recorded {
        file: "ejabberd-bob-s2c.xml",
        shape: Shape::ejabberd,
        account: "bob",
    },
];

impl Recorded {
    /// Everything the server sent after the bind result, with the server
    /// ping inserted after the first stanza.
    fn after_bind(&self) -> String {
        let path = format!(
            "{}/../../tests/data/{}",
            env!("CARGO_MANIFEST_DIR"),
            self.file
        );
        let recorded = std::fs::read_to_string(&path).unwrap();
        let bound = recorded.find("</bind></iq>").expect("a bind result") + "</bind></iq>".len();
        let rest = &recorded[bound..];
        let first_end = rest.find("</iq>").expect("a first stanza") + "</iq>".len();
        format!("{}{SERVER_PING}{}", &rest[..first_end], &rest[first_end..])
    }

    /// `(name, id)` of each stanza in `after_bind`, read apart.
    fn stanzas(&self) -> Vec<(String, Option<String>)> {
        let xml = format!(
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>{}",
            self.after_bind()
        );
        let mut reader = StreamReader::new(Limits::default());
        let mut input = xml.as_bytes();
        let mut stanzas = Vec::new();
        while let Some(event) = reader.read(&mut input).unwrap() {
            if let StreamEvent::Element(element) = event {
                let root = element.root();
                stanzas.push((root.name().to_owned(), root.attr("id").map(str::to_owned)));
            }
        }
        stanzas
    }

    fn config(&self, cheap: bool) -> ClientConfig {
        let jid = format!("{}@localhost/smoke", self.account);
        let config = ClientConfig::new(jid.parse().unwrap(), common::PASSWORD, TestRng(1));
        if cheap {
            let mut policy = stanzio_sasl::ClientPolicy::default();
            policy.min_iterations = 1;
            config.with_sasl_policy(policy)
        } else {
            config
        }
    }

    fn replay(&self, split: Split, cheap: bool) -> Harness {
        let shape = if cheap {
            (self.shape)().with_iterations(1)
        } else {
            (self.shape)()
        };
        let mut harness = Harness::new(self.config(cheap), shape);
        harness.server.bound_jid = format!("{}@localhost/smoke", self.account);
        harness.split = split;
        harness.drive();
        assert!(harness.is_online(), "{:#?}", harness.events);
        harness.inject(&self.after_bind());
        harness
    }
}

fn run(shape: Shape, split: Split) -> Harness {
    let mut harness = Harness::new(client_config(1), shape);
    harness.split = split;
    harness.drive();
    harness
}

fn splits() -> Vec<Split> {
    vec![
        Split::Whole,
        Split::Bytewise,
        Split::Pieces(vec![2, 3, 7]),
        Split::Pieces(vec![64, 1, 1000]),
    ]
}

#[test]
fn prosody_login_is_the_same_for_every_split() {
    let whole = run(Shape::prosody(), Split::Whole);
    assert!(whole.is_online(), "{:#?}", whole.events);
    assert!(whole.events.iter().any(|e| matches!(
        e,
        ClientEvent::Authenticated {
            mechanism: Mechanism::Scram {
                hash: HashAlgorithm::Sha1,
                plus: false
            },
            channel_binding: None
        }
    )));
    assert!(whole.events.iter().any(|e| matches!(
        e,
        ClientEvent::StreamManagementEnabled {
            resumable: true,
            ..
        }
    )));
    for split in splits() {
        let other = run(Shape::prosody(), split.clone());
        assert_eq!(other.event_log(), whole.event_log(), "{split:?}");
        assert_eq!(other.client_wrote, whole.client_wrote, "{split:?}");
    }
}

#[test]
fn ejabberd_login_falls_back_from_plus_once_and_reports_it() {
    let whole = run(Shape::ejabberd(), Split::Whole);
    assert!(whole.is_online(), "{:#?}", whole.events);
    let fallbacks: Vec<_> = whole
        .events
        .iter()
        .filter(|e| matches!(e, ClientEvent::ChannelBindingFallback { .. }))
        .collect();
    assert_eq!(fallbacks.len(), 1, "{fallbacks:?}");
    assert!(whole.events.iter().any(|e| matches!(
        e,
        ClientEvent::Authenticated {
            channel_binding: None,
            ..
        }
    )));
    for split in splits() {
        let other = run(Shape::ejabberd(), split.clone());
        assert_eq!(other.event_log(), whole.event_log(), "{split:?}");
        assert_eq!(other.client_wrote, whole.client_wrote, "{split:?}");
    }
    assert!(!whole.events.iter().any(|e| matches!(
        e,
        ClientEvent::Authenticated {
            channel_binding: Some(ChannelBindingType::TlsExporter),
            ..
        }
    )));
}

#[test]
fn every_recorded_stanza_after_bind_arrives_and_the_ping_is_answered() {
    for recorded in &RECORDED {
        let harness = recorded.replay(Split::Whole, false);
        let expected: Vec<_> = recorded
            .stanzas()
            .into_iter()
            .filter(|(_, id)| id.as_deref() != Some("s2c-ping-1"))
            .collect();
        assert!(expected.len() >= 6, "{}: {expected:?}", recorded.file);
        let got: Vec<_> = harness
            .stanzas()
            .iter()
            .map(|stanza| {
                (
                    stanza.kind().as_str().to_owned(),
                    stanza.id().map(str::to_owned),
                )
            })
            .collect();
        assert_eq!(got, expected, "{}", recorded.file);
        assert!(
            !harness.events.iter().any(|e| matches!(
                e,
                ClientEvent::InvalidStanza(_) | ClientEvent::Refused { .. }
            )),
            "{}: {:#?}",
            recorded.file,
            harness.events
        );
        // The ping was answered by the client, to the server.
        let pongs: Vec<_> = harness
            .server
            .received
            .iter()
            .filter(|s| s.contains("id='s2c-ping-1'"))
            .collect();
        assert_eq!(pongs.len(), 1, "{}", recorded.file);
        assert!(pongs[0].contains("type='result'"), "{}", pongs[0]);
        // The recording ends with the server's close, which the client
        // answered with its ack (every stanza and the ping) and its own.
        assert!(matches!(
            harness.events.last(),
            Some(ClientEvent::Disconnected(None))
        ));
        assert_eq!(
            harness.server.acks,
            [expected.len() as u32 + 1],
            "{}",
            recorded.file
        );
        assert!(harness.server.closed, "{}", recorded.file);
    }
}

#[test]
fn the_recorded_sessions_give_the_same_events_and_bytes_for_every_split() {
    for recorded in &RECORDED {
        let whole = recorded.replay(Split::Whole, true);
        for split in splits() {
            let other = recorded.replay(split.clone(), true);
            assert_eq!(
                other.event_log(),
                whole.event_log(),
                "{} {split:?}",
                recorded.file
            );
            assert_eq!(
                other.client_wrote, whole.client_wrote,
                "{} {split:?}",
                recorded.file
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Any cut of the server's bytes, login and session alike, gives the
    /// events and the bytes of the uncut run.
    #[test]
    fn random_splits_give_the_same_events_and_bytes(
        which in 0..RECORDED.len(),
        pieces in proptest::collection::vec(1usize..300, 1..40),
    ) {
        let recorded = &RECORDED[which];
        let whole = recorded.replay(Split::Whole, true);
        let other = recorded.replay(Split::Pieces(pieces), true);
        prop_assert_eq!(other.event_log(), whole.event_log());
        prop_assert_eq!(other.client_wrote, whole.client_wrote);
    }
}

#[test]
fn cheap_logins_behave_like_the_recorded_ones() {
    // The split tests log in with i=1 for speed; the same shapes with the
    // recorded counts give the same stanzas.
    for recorded in &RECORDED {
        let cheap = recorded.replay(Split::Whole, true);
        let real = recorded.replay(Split::Whole, false);
        let kinds = |h: &Harness| -> Vec<Option<String>> {
            h.stanzas()
                .iter()
                .map(|s| s.id().map(str::to_owned))
                .collect()
        };
        assert_eq!(kinds(&cheap), kinds(&real), "{}", recorded.file);
    }
}
