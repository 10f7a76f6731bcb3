//! Reading a realistic stream: stanzio's `StreamReader` (elements assembled,
//! namespaces resolved) beside rxml's raw parser (events only, nothing
//! built) on the same bytes in the same run — the raw parser is the ceiling.
//!
//! `cargo bench --bench xml` reports MB/s (group `xml_read_bytes`) and
//! elements/s (group `xml_read_elements`).

mod corpus;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rxml::{Parse, RawEvent, RawParser};
use stanzio_xml::{Limits, StreamEvent, StreamReader};

/// Socket-sized reads, as an adapter would hand them over.
const CHUNK: usize = 4096;

fn stanzio_read(stream: &[u8]) -> usize {
    let mut reader = StreamReader::new(Limits::default());
    let mut elements = 0;
    for chunk in stream.chunks(CHUNK) {
        let mut chunk = chunk;
        while let Some(event) = reader.read(&mut chunk).expect("corpus is valid") {
            if let StreamEvent::Element(element) = event {
                black_box(&element);
                elements += 1;
            }
        }
    }
    elements
}

fn rxml_raw(stream: &[u8]) -> usize {
    let mut parser = RawParser::new();
    let mut depth = 0usize;
    let mut elements = 0;
    for chunk in stream.chunks(CHUNK) {
        let mut chunk = chunk;
        loop {
            match parser.parse(&mut chunk, false) {
                Ok(Some(event)) => {
                    match &event {
                        RawEvent::ElementHeadOpen(..) => depth += 1,
                        RawEvent::ElementFoot(..) => {
                            depth -= 1;
                            if depth == 1 {
                                elements += 1;
                            }
                        }
                        _ => {}
                    }
                    black_box(event);
                }
                Ok(None) => break,
                Err(rxml::error::EndOrError::NeedMoreData) => break,
                Err(e) => panic!("corpus is valid: {e:?}"),
            }
        }
    }
    elements
}

fn bench(c: &mut Criterion) {
    let corpus = corpus::generate(2000);
    let stream = corpus.stream();
    assert_eq!(stanzio_read(&stream), corpus.stanzas.len());
    assert_eq!(rxml_raw(&stream), corpus.stanzas.len());

    let mut group = c.benchmark_group("xml_read_bytes");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("stanzio_stream_reader", |b| {
        b.iter(|| stanzio_read(&stream))
    });
    group.bench_function("rxml_raw_parser", |b| b.iter(|| rxml_raw(&stream)));
    group.finish();

    let mut group = c.benchmark_group("xml_read_elements");
    group.throughput(Throughput::Elements(corpus.stanzas.len() as u64));
    group.bench_function("stanzio_stream_reader", |b| {
        b.iter(|| stanzio_read(&stream))
    });
    group.bench_function("rxml_raw_parser", |b| b.iter(|| rxml_raw(&stream)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
