//! Design notes that span crates: where stanzio departs from, or makes
//! precise, the plan in `ARCHITECTURE.md`, and why.
//!
//! # The XML reader is pulled, not pushed
//!
//! The connection machines keep the `handle_input(now, &bytes)` contract.
//! One layer down, [`stanzio_xml::StreamReader::read`] takes `&mut &[u8]` and
//! returns one event at a time, advancing the slice past what it consumed.
//! A push-style `handle_input(&[u8])` that queues events would have to parse
//! past `<proceed/>` before the stream machine could see it, and so either
//! read cleartext bytes that followed it as part of the TLS stream or copy
//! every tail aside in case a restart comes. Pulled, the reader stops right
//! after the element, and what is left in the caller's slice is exactly what
//! followed it: after `<proceed/>` that is an attack to report, after SASL
//! `<success/>` it is the start of the new stream, read after
//! [`stanzio_xml::StreamReader::restart`]. Nothing is lost and nothing is
//! read twice, for any split of the input (tests/restart.rs in stanzio-xml
//! tries every split point).
//!
//! # Elements are flat arenas, not `minidom` trees
//!
//! [`stanzio_xml::Element`] keeps all strings of one top-level element in a
//! single `String` and its structure in two vectors (nodes in document order,
//! each element knowing where its subtree ends; attributes). A minidom tree of
//! a 533-byte chat message makes 113 allocations and holds 6.9 KB; the arena
//! makes three. The typed stanza layer reads the arena directly, and any
//! payload nobody typed converts to `minidom::Element` in one call
//! ([`stanzio_xml::ElementRef::to_minidom`]) for `xmpp-parsers`.
//!
//! # Namespaces are resolved by stanzio over rxml's raw parser
//!
//! rxml's namespace-resolving parser costs about a fifth of the raw parser's
//! speed (66 vs 85 MB/s on this machine kind) and produces names the arena
//! would copy again. An XMPP stream declares a handful of namespaces, so the
//! reader resolves them itself, straight into the arena, and performs the two
//! checks the raw parser leaves to its user: undeclared prefixes
//! (`bad-namespace-prefix`) and duplicate attributes after resolution
//! (`not-well-formed`).
//!
//! # Keepalives are read before rxml sees them
//!
//! Between top-level elements the only legal bytes are white space and `<`.
//! The reader consumes that white space itself: rxml would buffer it as text
//! until the next `<`, which would report a keepalive only when the next
//! stanza starts, defeating its purpose. It also lets junk between stanzas
//! fail at its first byte (`bad-format`) instead of when it ends.
//!
//! # Limits bound input and memory separately
//!
//! [`stanzio_xml::Limits::max_element_bytes`] bounds the bytes of one
//! top-level element (or stream header, or WebSocket message); the reader
//! never feeds rxml more than that plus one byte, so a never-ending attribute
//! value stops there whatever the split. Parsed structure costs more than the
//! bytes it came from (`<a/>` is 4 bytes of input and a 32-byte node), so
//! [`stanzio_xml::Limits::max_buffered_bytes`] bounds the assembled element
//! too.
//!
//! # One package for what spans crates
//!
//! The root package `stanzio-suite` owns `examples/`, `tests/` (scenarios
//! across crates) and `benches/` (criterion, always beside the xmpp-rs stack
//! in the same run, on the generated corpus of `benches/corpus.rs`). Its
//! library is this manual. Comparison crates (`xmpp-parsers`, `jid`, `sasl`)
//! are its dev-dependencies only; no library crate of stanzio depends on
//! them.
//!
//! # The two connection machines share everything but their negotiation
//!
//! [`stanzio_stream::ClientConnection`] and
//! [`stanzio_stream::ServerConnection`] are separate state machines, one
//! state per negotiation step, because the roles answer each other rather
//! than mirror each other (the client picks a mechanism and proves; the
//! server offers, asks the application for records, and decides). Below the
//! negotiation they share one implementation of everything else:
//!
//! - the framing (a private `transport` module): one decoder over the stream
//!   reader or the RFC 7395 frame reader, one outbox that keeps WebSocket
//!   message boundaries and gives back the capacity of a large stanza;
//! - the negotiation elements ([`stanzio_stream::elements`]): typed readers
//!   and writers of features, STARTTLS, SASL, bind, session, stream
//!   management and the component handshake, and the features as values with
//!   flags ([`stanzio_stream::elements::features::FeatureKind`]: restarts the
//!   stream, needs TLS, needs authentication);
//! - XEP-0198 counting (`h` modulo 2³², acks, the resend on resumption) and
//!   the [`stanzio_stream::ResumptionState`] a dropped session leaves;
//! - stanza parsing in the stream's context
//!   ([`stanzio_stanza::StreamContext`]).
//!
//! A server-to-server stream will be a third machine over the same pieces;
//! the SASL machines are the same on both sides already (stanzio-sasl). Why
//! not one generic negotiation loop: the steps differ in who acts and what
//! they wait for (the server waits for the application's account lookups,
//! the client for nothing but the peer), and a loop generic over both read
//! worse than two machines of a few hundred lines each, which the
//! `testing::Pair` checks against each other.
//!
//! # Time, input and output are bounded per connection
//!
//! `handle_input` returns how many bytes it consumed and stops once a
//! configured number of events wait (or, on the server, while an account
//! lookup is pending), so one chunk of ten thousand tiny stanzas cannot queue
//! unbounded work; the caller feeds the rest after draining. Output waiting
//! for `poll_transmit` is bounded too: a client's `send` refuses with
//! `QueueFull`, and a server ends a stream whose peer does not read with
//! `policy-violation`, handing every undelivered stanza back.
