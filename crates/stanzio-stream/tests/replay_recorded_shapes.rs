//! The client against servers shaped like the recorded Prosody 0.12 and
//! ejabberd 23.01 sessions: it logs in, binds, enables stream management,
//! and the same events and bytes come out whatever the input split.

mod common;

use common::{Harness, Shape, Split, client_config};
use stanzio_sasl::{ChannelBindingType, HashAlgorithm, Mechanism};
use stanzio_stream::ClientEvent;

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
    assert!(fallbacks.len() <= 1, "{fallbacks:?}");
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
    let _ = ChannelBindingType::TlsExporter;
}
