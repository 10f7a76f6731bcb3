//! The stanzio workspace's examples, scenario tests and benchmarks live in this
//! package; its library holds only the design manual that spans crates.
#![forbid(unsafe_code)]

pub mod manual;
