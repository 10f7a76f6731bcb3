//! Every hostile input gets the RFC 6120 §4.9.3 condition the peer must be
//! sent, without a panic and with bounded memory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{OPEN, error_after_open, read_all, read_with};
use stanzio_xml::{Limit, Limits, ReadError, StreamEvent, XmlCondition};

fn condition_of(body: &str) -> XmlCondition {
    error_after_open(body).condition()
}

#[test]
fn billion_laughs_dtd_is_restricted_xml() {
    let input = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>\
        <!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>]>\
        <stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>&lol2;";
    let (events, error) = read_all(input.as_bytes());
    assert!(events.is_empty());
    assert_eq!(error.unwrap().condition(), XmlCondition::RestrictedXml);
}

#[test]
fn internal_subset_inside_the_stream_is_restricted_xml() {
    assert_eq!(condition_of("<!DOCTYPE x []>"), XmlCondition::RestrictedXml);
}

#[test]
fn undeclared_entity_is_restricted_xml() {
    assert_eq!(
        condition_of("<message><body>&foo;</body></message>"),
        XmlCondition::RestrictedXml
    );
}

#[test]
fn processing_instruction_is_restricted_xml() {
    assert_eq!(
        condition_of("<?evil instruction?>"),
        XmlCondition::RestrictedXml
    );
}

#[test]
fn comment_is_restricted_xml() {
    assert_eq!(
        condition_of("<message><!-- hi --></message>"),
        XmlCondition::RestrictedXml
    );
}

#[test]
fn invalid_utf8_is_unsupported_encoding() {
    let mut input = OPEN.as_bytes().to_vec();
    input.extend_from_slice(b"<message><body>\xff\xfe</body></message>");
    let (_, error) = read_all(&input);
    assert_eq!(
        error.unwrap().condition(),
        XmlCondition::UnsupportedEncoding
    );
}

#[test]
fn non_utf8_encoding_declaration_is_unsupported_encoding() {
    let input = format!("<?xml version='1.0' encoding='ISO-8859-1'?>{OPEN}");
    let (events, error) = read_all(input.as_bytes());
    assert!(events.is_empty());
    assert_eq!(
        error.unwrap().condition(),
        XmlCondition::UnsupportedEncoding
    );
}

#[test]
fn unbound_prefix_is_bad_namespace_prefix() {
    assert_eq!(
        condition_of("<foo:message/>"),
        XmlCondition::BadNamespacePrefix
    );
    assert_eq!(
        condition_of("<message foo:bar='1'/>"),
        XmlCondition::BadNamespacePrefix
    );
}

#[test]
fn prefix_declared_on_a_sibling_is_not_in_scope() {
    assert_eq!(
        condition_of("<message><a xmlns:p='urn:p'/><p:b/></message>"),
        XmlCondition::BadNamespacePrefix
    );
}

#[test]
fn duplicate_attribute_is_not_well_formed() {
    assert_eq!(
        condition_of("<message to='a' to='b'/>"),
        XmlCondition::NotWellFormed
    );
}

#[test]
fn duplicate_attribute_after_prefix_resolution_is_not_well_formed() {
    // Namespaces in XML §6.3: two prefixes for one namespace name the same
    // attribute.
    assert_eq!(
        condition_of("<message xmlns:a='urn:x' xmlns:b='urn:x' a:k='1' b:k='2'/>"),
        XmlCondition::NotWellFormed
    );
}

#[test]
fn mismatched_end_tag_is_not_well_formed() {
    assert_eq!(
        condition_of("<message></presence>"),
        XmlCondition::NotWellFormed
    );
}

#[test]
fn nesting_past_the_limit_is_policy_violation() {
    let deep = "<a>".repeat(33);
    let error = error_after_open(&deep);
    assert_eq!(
        error,
        ReadError::LimitExceeded {
            limit: Limit::Depth,
            max: 32
        }
    );
    assert_eq!(error.condition(), XmlCondition::PolicyViolation);
    // Exactly at the limit is fine.
    let ok = format!("{OPEN}{}{}", "<a>".repeat(32), "</a>".repeat(32));
    let (events, error) = read_all(ok.as_bytes());
    assert!(error.is_none());
    assert_eq!(events.len(), 2);
}

#[test]
fn too_many_attributes_is_policy_violation() {
    let attrs: String = (0..65).map(|i| format!(" a{i}='x'")).collect();
    let error = error_after_open(&format!("<message{attrs}/>"));
    assert!(
        matches!(
            error,
            ReadError::LimitExceeded {
                limit: Limit::Attributes,
                ..
            }
        ),
        "{error:?}"
    );
    let attrs: String = (0..64).map(|i| format!(" a{i}='x'")).collect();
    let (_, error) = read_all(format!("{OPEN}<message{attrs}/>").as_bytes());
    assert!(error.is_none());
}

#[test]
fn too_many_namespace_declarations_is_policy_violation() {
    let decls: String = (0..17).map(|i| format!(" xmlns:p{i}='urn:{i}'")).collect();
    let error = error_after_open(&format!("<message{decls}/>"));
    assert!(
        matches!(
            error,
            ReadError::LimitExceeded {
                limit: Limit::NamespaceDeclarations,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn attribute_value_past_the_element_limit_is_policy_violation() {
    // With a token limit above the element limit, the element limit fires.
    let limits = Limits::default()
        .with_max_element_bytes(10_000)
        .with_max_token_bytes(usize::MAX);
    let input = format!("{OPEN}<message id='{}'/>", "x".repeat(20_000));
    let (_, error) = read_with(limits, input.as_bytes());
    assert_eq!(
        error,
        Some(ReadError::LimitExceeded {
            limit: Limit::ElementBytes,
            max: 10_000
        })
    );
}

#[test]
fn text_past_the_element_limit_is_policy_violation() {
    let limits = Limits::default().with_max_element_bytes(10_000);
    let input = format!(
        "{OPEN}<message><body>{}</body></message>",
        "y".repeat(10_000)
    );
    let (_, error) = read_with(limits, input.as_bytes());
    assert_eq!(
        error,
        Some(ReadError::LimitExceeded {
            limit: Limit::ElementBytes,
            max: 10_000
        })
    );
}

#[test]
fn element_limit_is_exact() {
    // Longer than the header, which the same limit applies to.
    let stanza = format!("<message><body>{}</body></message>", "hello ".repeat(30));
    let stanza = stanza.as_str();
    let fits = Limits::default().with_max_element_bytes(stanza.len());
    let (events, error) = read_with(fits, format!("{OPEN}{stanza}{stanza}").as_bytes());
    assert!(error.is_none());
    assert_eq!(events.len(), 3);
    let short = Limits::default().with_max_element_bytes(stanza.len() - 1);
    let (_, error) = read_with(short, format!("{OPEN}{stanza}").as_bytes());
    assert!(matches!(
        error,
        Some(ReadError::LimitExceeded {
            limit: Limit::ElementBytes,
            ..
        })
    ));
}

#[test]
fn many_tiny_children_hit_the_buffer_limit() {
    // Structure costs more than its bytes: 60 000 `<a/>` fit in 256 KiB of
    // input but would take far more than that once assembled.
    let limits = Limits::default().with_max_buffered_bytes(512 * 1024);
    let input = format!("{OPEN}<message>{}</message>", "<a/>".repeat(60_000));
    let (_, error) = read_with(limits, input.as_bytes());
    assert!(
        matches!(
            error,
            Some(ReadError::LimitExceeded {
                limit: Limit::BufferedBytes,
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn a_stream_that_never_ends_an_element_stays_bounded() {
    // 10 MB of text inside one stanza, fed in 4 KiB pieces: the reader must
    // stop at the element limit instead of buffering it all.
    let limits = Limits::default().with_max_element_bytes(64 * 1024);
    let mut reader = stanzio_xml::StreamReader::new(limits);
    let mut input = format!("{OPEN}<message><body>").into_bytes();
    let mut head: &[u8] = &input;
    while reader.read(&mut head).unwrap().is_some() {}
    input.clear();
    let chunk = vec![b'z'; 4096];
    let mut fed = 0;
    let error = loop {
        let mut piece: &[u8] = &chunk;
        match reader.read(&mut piece) {
            Ok(_) => fed += chunk.len(),
            Err(e) => break e,
        }
        assert!(fed < 10_000_000, "reader never stopped");
    };
    assert!(matches!(
        error,
        ReadError::LimitExceeded {
            limit: Limit::ElementBytes,
            ..
        }
    ));
    assert!(fed <= 64 * 1024, "stopped only after {fed} bytes");
}

#[test]
fn junk_after_stream_close_is_not_well_formed() {
    let input = format!("{OPEN}</stream:stream>  <message/>");
    let (events, error) = read_all(input.as_bytes());
    assert_eq!(events.last(), Some(&StreamEvent::End));
    assert_eq!(error.unwrap().condition(), XmlCondition::NotWellFormed);
}

#[test]
fn white_space_after_stream_close_is_fine() {
    let input = format!("{OPEN}</stream:stream>\r\n ");
    let (events, error) = read_all(input.as_bytes());
    assert!(error.is_none());
    assert_eq!(events.last(), Some(&StreamEvent::End));
}

#[test]
fn second_root_is_not_well_formed() {
    let input = format!("{OPEN}</stream:stream>{OPEN}");
    let (_, error) = read_all(input.as_bytes());
    assert_eq!(error.unwrap().condition(), XmlCondition::NotWellFormed);
}

#[test]
fn text_between_stanzas_is_bad_format() {
    assert_eq!(
        error_after_open("<a/>hello<b/>"),
        ReadError::TextAtStreamLevel
    );
    assert_eq!(
        error_after_open("hello").condition(),
        XmlCondition::BadFormat
    );
}

#[test]
fn wrong_stream_namespace_is_invalid_namespace() {
    let input = "<stream:stream xmlns='jabber:client' xmlns:stream='urn:not-streams'>";
    let (_, error) = read_all(input.as_bytes());
    assert_eq!(error.unwrap().condition(), XmlCondition::InvalidNamespace);
}

#[test]
fn wrong_root_name_is_invalid_namespace() {
    let input =
        "<stream:flow xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
    let (_, error) = read_all(input.as_bytes());
    assert!(matches!(error, Some(ReadError::BadStreamHeader { .. })));
}

#[test]
fn unknown_content_namespace_is_invalid_namespace() {
    let input =
        "<stream:stream xmlns='jabber:bogus' xmlns:stream='http://etherx.jabber.org/streams'>";
    let (_, error) = read_all(input.as_bytes());
    assert_eq!(
        error,
        Some(ReadError::BadContentNamespace {
            found: "jabber:bogus".into()
        })
    );
}

#[test]
fn undeclared_stream_prefix_is_bad_namespace_prefix() {
    let (_, error) = read_all(b"<stream:stream xmlns='jabber:client'>");
    assert_eq!(error.unwrap().condition(), XmlCondition::BadNamespacePrefix);
}

#[test]
fn errors_are_sticky() {
    let mut reader = stanzio_xml::StreamReader::new(Limits::default());
    let input = format!("{OPEN}<a><!-- x --></a>");
    let mut bytes = input.as_bytes();
    let first = loop {
        match reader.read(&mut bytes) {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("expected an error"),
            Err(e) => break e,
        }
    };
    let mut fine: &[u8] = b"<message/>";
    assert_eq!(reader.read(&mut fine), Err(first.clone()));
    reader.restart();
    let mut fresh = OPEN.as_bytes();
    assert_eq!(reader.read(&mut fresh), Err(first.clone()));
    assert_eq!(reader.eof(), Err(first));
}

#[test]
fn eof_inside_the_stream_is_reported() {
    let mut reader = stanzio_xml::StreamReader::new(Limits::default());
    assert_eq!(reader.eof(), Ok(()), "nothing read yet is a clean close");
    let mut reader = stanzio_xml::StreamReader::new(Limits::default());
    let input = format!("{OPEN}<message>");
    let mut bytes = input.as_bytes();
    while reader.read(&mut bytes).unwrap().is_some() {}
    assert_eq!(reader.eof(), Err(ReadError::UnexpectedEof));
}

#[test]
fn a_long_stream_level_namespace_is_copied_once_per_element() {
    // A prefix bound by the stream header is copied into each element that
    // uses it. Copied once per use, 41 uses of a 20 000-byte URI would make
    // a 300-byte stanza take 820 KB before the buffer limit is checked.
    let uri = format!("urn:{}", "u".repeat(20_000));
    let open = format!(
        "<stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' xmlns:p='{uri}'>"
    );
    let attrs: String = (0..40).map(|i| format!(" p:a{i}=''")).collect();
    let input = format!("{open}<p:x{attrs}><p:y/><p:y/></p:x>");
    let limits = Limits::default()
        .with_max_buffered_bytes(64 * 1024)
        .with_max_token_bytes(32 * 1024);
    let (events, error) = read_with(limits, input.as_bytes());
    assert_eq!(error, None);
    let StreamEvent::Element(element) = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!(element.ns(), uri);
    assert_eq!(element.root().attr_ns(&uri, "a39"), Some(""));
    assert!(element.root().children().all(|y| y.ns() == uri));
    assert!(
        element.heap_bytes() < 3 * uri.len(),
        "{}",
        element.heap_bytes()
    );
}

#[test]
fn duplicate_namespace_declaration_is_not_well_formed() {
    // XML 1.0 §3.1 (Unique Att Spec) covers `xmlns` attributes too.
    for body in [
        "<message xmlns:p='urn:x' xmlns:p='urn:y'/>",
        "<message><x xmlns='urn:x' xmlns='urn:y'/></message>",
    ] {
        assert_eq!(condition_of(body), XmlCondition::NotWellFormed, "{body}");
    }
}

/// The condition reading `header` alone ends with.
fn header_condition(header: &str) -> Option<XmlCondition> {
    read_all(header.as_bytes()).1.map(|e| e.condition())
}

#[test]
fn stream_header_attributes_are_checked_like_any_element() {
    const DECLS: &str = "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'";
    for (attrs, condition) in [
        ("foo:bar='x'", XmlCondition::BadNamespacePrefix),
        ("a='1' a='2'", XmlCondition::NotWellFormed),
        ("xmlns='jabber:server'", XmlCondition::NotWellFormed),
        (
            "xmlns:a='urn:x' xmlns:b='urn:x' a:k='1' b:k='2'",
            XmlCondition::NotWellFormed,
        ),
    ] {
        let header = format!("<stream:stream {DECLS} {attrs}>");
        assert_eq!(header_condition(&header), Some(condition), "{attrs}");
    }
    let fine = format!("<stream:stream {DECLS} xmlns:a='urn:x' a:k='1' k='2' xml:lang='en'>");
    assert_eq!(header_condition(&fine), None);
}

#[test]
fn binding_the_reserved_namespaces_is_bad_namespace_prefix() {
    // Namespaces in XML 1.0 §3: no prefix may be bound to the xmlns
    // namespace, and the default namespace may not be the xml one.
    for body in [
        "<message xmlns:p='http://www.w3.org/2000/xmlns/'/>",
        "<message xmlns='http://www.w3.org/2000/xmlns/'/>",
        "<message xmlns='http://www.w3.org/XML/1998/namespace'/>",
    ] {
        assert_eq!(
            condition_of(body),
            XmlCondition::BadNamespacePrefix,
            "{body}"
        );
    }
    let header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
        xmlns:p='http://www.w3.org/2000/xmlns/'>";
    let (_, error) = read_all(header.as_bytes());
    assert_eq!(error.unwrap().condition(), XmlCondition::BadNamespacePrefix);
}

#[test]
fn the_buffer_limit_counts_content_not_capacity() {
    // The same element is accepted or refused by its size alone, however
    // the arena's vectors grew: read one byte at a time and whole, it must
    // land on the same side of a limit set right at its parsed size.
    let body = format!("<message>{}</message>", "<a>x</a>".repeat(500));
    let input = format!("{OPEN}{body}");
    let (events, error) = read_all(input.as_bytes());
    assert!(error.is_none());
    let StreamEvent::Element(element) = &events[1] else {
        panic!()
    };
    let used = element.used_bytes();
    let fits = Limits::default().with_max_buffered_bytes(used);
    let (_, error) = read_with(fits, input.as_bytes());
    assert!(error.is_none(), "{error:?}");
    let short = Limits::default().with_max_buffered_bytes(used - 1);
    let (_, error) = read_with(short, input.as_bytes());
    assert!(matches!(
        error,
        Some(ReadError::LimitExceeded {
            limit: Limit::BufferedBytes,
            ..
        })
    ));
}
