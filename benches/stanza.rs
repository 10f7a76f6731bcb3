//! Typed stanza parsing and serialization, side by side with the xmpp-rs
//! stack on the same bytes.
//!
//! * `stanza_parse`: the shared corpus stream, fed in 4 KiB chunks, to
//!   - `stanzio`: `StreamReader` → `Stanza::from_element`, then the
//!     element is handed back with `StreamReader::recycle`, as the stream
//!     layer does;
//!   - `stanzio-xml`: `StreamReader` alone (what the typed layer adds);
//!   - `xmpp-rs`: rxml's `RawParser` → minidom's `TreeBuilder` (minidom's
//!     own incremental path, the one `Element::from_reader` uses) →
//!     xmpp-parsers `TryFrom` into `Message`/`Presence`/`Iq`;
//!   - `rxml-raw`: `RawParser` events only, nothing built (the ceiling).
//! * `stanza_typing`: `Stanza::from_element` alone over the corpus's
//!   elements, read beforehand: what the typed layer costs on its own.
//! * `stanza_serialize`: the same stanzas, parsed beforehand, written by
//!   stanzio's writer vs minidom's `write_to`.
//!
//! After the run a summary table prints MB/s, stanzas/s and the ratios
//! against the goals, read from criterion's own estimates. Heap per stanza
//! is measured by `benches/stanza_memory.rs`, in its own binary, because the
//! counting allocator it needs would tax every allocation here, and the
//! xmpp-rs side allocates far more often.

mod corpus;

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput};
use rxml::error::EndOrError;
use rxml::{Parse, RawEvent, RawParser};
use stanzio_stanza::{Stanza, StreamContext};
use stanzio_xml::{ContentNamespace, Element, Limits, StreamEvent, StreamReader, StreamWriter};

const CHUNK: usize = 4096;
const STANZAS: usize = 5_000;

/// stanzio: stream reader, then the typed stanza.
fn stanzio_parse(stream: &[u8]) -> usize {
    let mut reader = StreamReader::new(Limits::default());
    let mut ctx = StreamContext::new(ContentNamespace::Client);
    let mut count = 0;
    for mut chunk in stream.chunks(CHUNK) {
        while let Some(event) = reader.read(&mut chunk).expect("corpus is valid") {
            match event {
                StreamEvent::Header(header) => {
                    ctx = StreamContext::from_header(&header, ContentNamespace::Client)
                }
                StreamEvent::Element(element) => {
                    let stanza =
                        Stanza::from_element(&element, &ctx).expect("corpus stanzas are valid");
                    black_box(stanza);
                    // As the stream layer does: the arena's buffers serve
                    // the next stanza.
                    reader.recycle(element);
                    count += 1;
                }
                _ => {}
            }
        }
    }
    count
}

/// stanzio-xml alone: the element arena, no typing.
fn stanzio_xml_read(stream: &[u8]) -> usize {
    let mut reader = StreamReader::new(Limits::default());
    let mut count = 0;
    for mut chunk in stream.chunks(CHUNK) {
        while let Some(event) = reader.read(&mut chunk).expect("corpus is valid") {
            if let StreamEvent::Element(element) = event {
                black_box(&element);
                reader.recycle(element);
                count += 1;
            }
        }
    }
    count
}

/// Drives a `RawParser` over `stream` in chunks, handing every event to `f`.
fn raw_events(stream: &[u8], mut f: impl FnMut(RawEvent)) {
    let mut parser = RawParser::default();
    for mut chunk in stream.chunks(CHUNK) {
        loop {
            match parser.parse(&mut chunk, false) {
                Ok(Some(event)) => f(event),
                Err(EndOrError::NeedMoreData) | Ok(None) => break,
                Err(EndOrError::Error(e)) => panic!("corpus is valid: {e}"),
            }
        }
    }
}

/// The xmpp-rs stack: rxml → minidom tree → xmpp-parsers types.
fn xmpp_rs_parse(stream: &[u8]) -> usize {
    use xmpp_parsers::{iq::Iq, message::Message, presence::Presence};
    let mut builder = minidom::tree_builder::TreeBuilder::new();
    let mut count = 0;
    raw_events(stream, |event| {
        let foot = matches!(event, RawEvent::ElementFoot(_));
        builder.process_event(event).expect("corpus is valid");
        // A stanza ends when an end tag brings the tree back to the
        // stream element.
        if foot && builder.depth() == 1 {
            let element = builder.unshift_child().expect("a stanza was completed");
            match element.name() {
                "message" => drop(black_box(Message::try_from(element).expect("valid"))),
                "presence" => drop(black_box(Presence::try_from(element).expect("valid"))),
                _ => drop(black_box(Iq::try_from(element).expect("valid"))),
            }
            count += 1;
        }
    });
    count
}

/// rxml's raw parser alone.
fn rxml_raw(stream: &[u8]) -> usize {
    let mut events = 0;
    raw_events(stream, |event| {
        black_box(event);
        events += 1;
    });
    events
}

/// Every element of `stream`, read once.
fn elements(stream: &[u8]) -> Vec<Element> {
    let mut reader = StreamReader::new(Limits::default());
    let mut input = stream;
    let mut elements = Vec::new();
    while let Some(event) = reader.read(&mut input).expect("corpus is valid") {
        if let StreamEvent::Element(element) = event {
            elements.push(element);
        }
    }
    elements
}

/// The typed layer alone: every element typed, nothing read.
fn stanzio_type(elements: &[Element], ctx: &StreamContext) -> usize {
    for element in elements {
        black_box(Stanza::from_element(element, ctx).expect("corpus stanzas are valid"));
    }
    elements.len()
}

fn parsed_stanzas(stream: &[u8]) -> Vec<Stanza> {
    let mut reader = StreamReader::new(Limits::default());
    let mut input = stream;
    let mut stanzas = Vec::new();
    let ctx = StreamContext::new(ContentNamespace::Client).with_lang("en");
    while let Some(event) = reader.read(&mut input).expect("corpus is valid") {
        if let StreamEvent::Element(element) = event {
            stanzas.push(Stanza::from_element(&element, &ctx).expect("valid"));
        }
    }
    stanzas
}

fn stanzio_serialize(stanzas: &[Stanza], out: &mut Vec<u8>) {
    let writer = StreamWriter::new(ContentNamespace::Client);
    out.clear();
    for stanza in stanzas {
        let mut w = writer.element(out);
        stanza.write_to(&mut w);
        w.finish().expect("stanzas are valid");
    }
}

fn minidom_serialize(elements: &[minidom::Element], out: &mut Vec<u8>) {
    out.clear();
    for element in elements {
        element.write_to(out).expect("elements are valid");
    }
}

fn benches(c: &mut Criterion, stream: &[u8], corpus: &corpus::Corpus) {
    let mut group = c.benchmark_group("stanza_parse");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("stanzio", |b| b.iter(|| stanzio_parse(black_box(stream))));
    group.bench_function("stanzio-xml", |b| {
        b.iter(|| stanzio_xml_read(black_box(stream)))
    });
    group.bench_function("xmpp-rs", |b| b.iter(|| xmpp_rs_parse(black_box(stream))));
    group.bench_function("rxml-raw", |b| b.iter(|| rxml_raw(black_box(stream))));
    group.finish();

    let read = elements(stream);
    let ctx = StreamContext::new(ContentNamespace::Client).with_lang("en");
    let mut group = c.benchmark_group("stanza_typing");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("stanzio", |b| {
        b.iter(|| stanzio_type(black_box(&read), &ctx))
    });
    group.finish();

    let stanzas = parsed_stanzas(stream);
    let elements: Vec<minidom::Element> = corpus
        .stanzas
        .iter()
        .map(|s| {
            minidom::Element::from_reader_with_prefixes(
                s.as_bytes(),
                Some("jabber:client".to_owned()),
            )
            .expect("valid")
        })
        .collect();
    let mut out = Vec::with_capacity(stream.len() * 2);
    stanzio_serialize(&stanzas, &mut out);
    let mut group = c.benchmark_group("stanza_serialize");
    group.throughput(Throughput::Bytes(out.len() as u64));
    group.bench_function("stanzio", |b| {
        b.iter(|| stanzio_serialize(black_box(&stanzas), &mut out))
    });
    group.bench_function("minidom", |b| {
        b.iter(|| minidom_serialize(black_box(&elements), &mut out))
    });
    group.finish();
}

/// Where criterion writes its results, found the way criterion finds it.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("criterion")
}

/// Mean time per iteration in nanoseconds, from criterion's estimates.
fn mean_ns(home: &std::path::Path, group: &str, bench: &str) -> Option<f64> {
    let path = home
        .join(group)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

fn summary(home: &std::path::Path, stream_bytes: usize, serialized_bytes: usize) {
    let parse = |bench| mean_ns(home, "stanza_parse", bench);
    let serialize = |bench| mean_ns(home, "stanza_serialize", bench);
    let mb_s = |bytes: usize, ns: f64| bytes as f64 / ns * 1e3;
    let stanzas_s = |ns: f64| STANZAS as f64 / ns * 1e9;
    println!("\nstanza summary ({STANZAS} stanzas, {stream_bytes} bytes, {CHUNK}-byte chunks)");
    println!("{:<28}{:>10}{:>14}", "", "MB/s", "stanzas/s");
    for (name, ns) in [
        ("parse stanzio (typed)", parse("stanzio")),
        ("parse stanzio-xml (untyped)", parse("stanzio-xml")),
        ("parse xmpp-rs (typed)", parse("xmpp-rs")),
        ("parse rxml raw (ceiling)", parse("rxml-raw")),
        (
            "typing alone (no reading)",
            mean_ns(home, "stanza_typing", "stanzio"),
        ),
    ] {
        if let Some(ns) = ns {
            println!(
                "{name:<28}{:>10.1}{:>14.0}",
                mb_s(stream_bytes, ns),
                stanzas_s(ns)
            );
        }
    }
    for (name, ns) in [
        ("serialize stanzio", serialize("stanzio")),
        ("serialize minidom", serialize("minidom")),
    ] {
        if let Some(ns) = ns {
            println!(
                "{name:<28}{:>10.1}{:>14.0}",
                mb_s(serialized_bytes, ns),
                stanzas_s(ns)
            );
        }
    }
    let ratio = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| b / a);
    let goals = [
        (
            "typed parse vs xmpp-rs",
            ratio(parse("stanzio"), parse("xmpp-rs")),
            2.0,
        ),
        (
            "typed parse vs rxml raw",
            ratio(parse("stanzio"), parse("rxml-raw")),
            0.9,
        ),
        (
            "untyped read vs rxml raw",
            ratio(parse("stanzio-xml"), parse("rxml-raw")),
            0.9,
        ),
        (
            "serialize vs minidom",
            ratio(serialize("stanzio"), serialize("minidom")),
            1.0,
        ),
    ];
    println!("{:<28}{:>10}{:>14}", "speed ratio", "measured", "goal");
    for (name, measured, goal) in goals {
        if let Some(measured) = measured {
            let verdict = if measured >= goal { "met" } else { "MISSED" };
            println!("{name:<28}{measured:>9.2}x{:>9.2}x {verdict}", goal);
        }
    }
}

fn main() {
    let corpus = corpus::generate(STANZAS);
    let stream = corpus.stream();
    let home = criterion_home();
    let mut c = Criterion::default()
        .output_directory(&home)
        .configure_from_args();
    benches(&mut c, &stream, &corpus);
    c.final_summary();
    let mut out = Vec::new();
    stanzio_serialize(&parsed_stanzas(&stream), &mut out);
    summary(&home, stream.len(), out.len());
}
