//! JIDs parsed per second: stanzio-jid beside the `jid` crate (xmpp-rs), on
//! the same inputs in the same run.
//!
//! Three groups, because stanzio-jid has a fast path:
//! - `ascii_prepared`: what a server sends in `from`/`to`, already in
//!   prepared form (lowercase localpart and domain);
//! - `ascii_mixed_case`: ASCII that still needs lowercasing;
//! - `non_ascii`: case folding, width mapping, IDN domains in Unicode and
//!   Punycode, non-ASCII resources: the PRECIS/IDNA path.
//!
//! Each iteration parses every input of its group once; the throughput is in
//! JIDs (elements) per second. `stanzio-jid/from_received` is the
//! constructor for addresses read off the wire (it also accepts code points
//! assigned after Unicode 6.3), on the same inputs.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ASCII_PREPARED: &[&str] = &[
    "juliet@example.com",
    "juliet@example.com/balcony",
    "romeo@montague.lit/orchard-7f3a9c",
    "example.com",
    "pubsub.shakespeare.lit",
    "coven@chat.shakespeare.lit/thirdwitch",
    "nurse@capulet.lit/Mobile Phone 2",
    "benvolio@montague.lit",
];

const ASCII_MIXED_CASE: &[&str] = &[
    "Juliet@Example.COM",
    "Juliet@Example.COM/Balcony",
    "Romeo@Montague.lit/Orchard",
    "EXAMPLE.COM",
    "PubSub.Shakespeare.lit",
    "Coven@Chat.Shakespeare.lit/ThirdWitch",
    "Nurse@Capulet.LIT/Mobile Phone 2",
    "Benvolio@Montague.Lit",
];

const NON_ASCII: &[&str] = &[
    "\u{3a3}@example.com/foo",
    "j\u{fc}liet@b\u{fc}cher.example/balcony",
    "juliet@xn--bcher-kva.example",
    "fu\u{df}ball@example.com",
    "king@example.com/\u{265a}",
    "\u{5f20}\u{4e09}@\u{4f8b}\u{5b50}.\u{4e2d}\u{56fd}/\u{624b}\u{673a}",
    "\u{ff2a}uliet@example.com",
    "\u{c9}mile@caf\u{e9}.fr/t\u{e9}l\u{e9}phone",
];

fn group(c: &mut Criterion, name: &str, inputs: &[&str]) {
    // Both libraries must accept every input, or the comparison is unfair.
    for input in inputs {
        assert!(
            stanzio_jid::Jid::new(input).is_ok(),
            "stanzio-jid refuses {input:?}"
        );
        assert!(
            stanzio_jid::Jid::from_received(input).is_ok(),
            "stanzio-jid from_received refuses {input:?}"
        );
        assert!(jid::Jid::new(input).is_ok(), "jid refuses {input:?}");
    }
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("stanzio-jid", |b| {
        b.iter(|| {
            for input in inputs {
                black_box(stanzio_jid::Jid::new(black_box(input)).ok());
            }
        });
    });
    group.bench_function("stanzio-jid/from_received", |b| {
        b.iter(|| {
            for input in inputs {
                black_box(stanzio_jid::Jid::from_received(black_box(input)).ok());
            }
        });
    });
    group.bench_function("jid", |b| {
        b.iter(|| {
            for input in inputs {
                black_box(jid::Jid::new(black_box(input)).ok());
            }
        });
    });
    group.finish();
}

fn parse(c: &mut Criterion) {
    group(c, "jid_parse/ascii_prepared", ASCII_PREPARED);
    group(c, "jid_parse/ascii_mixed_case", ASCII_MIXED_CASE);
    group(c, "jid_parse/non_ascii", NON_ASCII);
}

criterion_group!(benches, parse);
criterion_main!(benches);
