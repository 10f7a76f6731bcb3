//! RFC 7622 §3.5: every valid and invalid example, plus the rules of §3.1–§3.4
//! that the examples do not cover (case and width mapping, IDN domains, IP
//! literals, the trailing dot, the 1023-byte limits).

#![cfg(test)] // lets clippy treat the helpers below as test code

use stanzio_jid::{BareJid, DomainError, FullJid, Jid, JidError, Part};

/// Input, prepared text, localpart, domainpart, resourcepart.
type Valid = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
);

fn jid(s: &str) -> Jid {
    Jid::new(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

#[test]
fn rfc7622_3_5_1_valid_examples() {
    let table: &[Valid] = &[
        (
            "juliet@example.com",
            "juliet@example.com",
            Some("juliet"),
            "example.com",
            None,
        ),
        (
            "juliet@example.com/foo",
            "juliet@example.com/foo",
            Some("juliet"),
            "example.com",
            Some("foo"),
        ),
        (
            "juliet@example.com/foo bar",
            "juliet@example.com/foo bar",
            Some("juliet"),
            "example.com",
            Some("foo bar"),
        ),
        (
            "juliet@example.com/foo@bar",
            "juliet@example.com/foo@bar",
            Some("juliet"),
            "example.com",
            Some("foo@bar"),
        ),
        (
            "foo\\20bar@example.com",
            "foo\\20bar@example.com",
            Some("foo\\20bar"),
            "example.com",
            None,
        ),
        (
            "fussball@example.com",
            "fussball@example.com",
            Some("fussball"),
            "example.com",
            None,
        ),
        (
            "fu\u{df}ball@example.com",
            "fu\u{df}ball@example.com",
            Some("fu\u{df}ball"),
            "example.com",
            None,
        ),
        (
            "\u{3c0}@example.com",
            "\u{3c0}@example.com",
            Some("\u{3c0}"),
            "example.com",
            None,
        ),
        // Σ is mapped to σ by UsernameCaseMapped ...
        (
            "\u{3a3}@example.com/foo",
            "\u{3c3}@example.com/foo",
            Some("\u{3c3}"),
            "example.com",
            Some("foo"),
        ),
        (
            "\u{3c3}@example.com/foo",
            "\u{3c3}@example.com/foo",
            Some("\u{3c3}"),
            "example.com",
            Some("foo"),
        ),
        // ... but final sigma ς is lowercase already and stays a different letter.
        (
            "\u{3c2}@example.com/foo",
            "\u{3c2}@example.com/foo",
            Some("\u{3c2}"),
            "example.com",
            Some("foo"),
        ),
        (
            "king@example.com/\u{265a}",
            "king@example.com/\u{265a}",
            Some("king"),
            "example.com",
            Some("\u{265a}"),
        ),
        ("example.com", "example.com", None, "example.com", None),
        (
            "example.com/foobar",
            "example.com/foobar",
            None,
            "example.com",
            Some("foobar"),
        ),
        (
            "a.example.com/b@example.net",
            "a.example.com/b@example.net",
            None,
            "a.example.com",
            Some("b@example.net"),
        ),
    ];
    for &(input, text, node, domain, resource) in table {
        let j = jid(input);
        assert_eq!(j.as_str(), text, "{input:?}");
        assert_eq!(
            (j.node(), j.domain(), j.resource()),
            (node, domain, resource),
            "{input:?}"
        );
    }
    // Σ and σ are the same localpart; ς is not.
    assert_eq!(
        jid("\u{3a3}@example.com/foo"),
        jid("\u{3c3}@example.com/foo")
    );
    assert_ne!(
        jid("\u{3c2}@example.com/foo"),
        jid("\u{3c3}@example.com/foo")
    );
    // ß is PVALID (RFC 5892 §2.6) and is not folded to "ss".
    assert_ne!(jid("fu\u{df}ball@example.com"), jid("fussball@example.com"));
}

#[test]
fn rfc7622_3_5_2_invalid_examples() {
    let table: &[(&str, JidError)] = &[
        // Quotation marks are excluded from localparts by §3.3.1.
        (
            "\"juliet\"@example.com",
            JidError::ExcludedLocalpartChar('"'),
        ),
        // Spaces are not in the IdentifierClass.
        (
            "foo bar@example.com",
            JidError::ForbiddenChar {
                part: Part::Localpart,
                ch: ' ',
            },
        ),
        // ROMAN NUMERAL FOUR has a compatibility decomposition (RFC 8264 §9.17).
        (
            "henry\u{2163}@example.com",
            JidError::ForbiddenChar {
                part: Part::Localpart,
                ch: '\u{2163}',
            },
        ),
        // BLACK CHESS KING is a symbol, not allowed in identifiers.
        (
            "\u{265a}@example.com",
            JidError::ForbiddenChar {
                part: Part::Localpart,
                ch: '\u{265a}',
            },
        ),
        ("juliet@", JidError::Empty(Part::Domainpart)),
        ("/foobar", JidError::Empty(Part::Domainpart)),
    ];
    for (input, expected) in table {
        assert_eq!(Jid::new(input).as_ref(), Err(expected), "{input:?}");
    }
}

#[test]
fn empty_parts_are_named() {
    let table: &[(&str, Part)] = &[
        ("", Part::Domainpart),
        ("@example.com", Part::Localpart),
        ("juliet@example.com/", Part::Resourcepart),
        ("example.com/", Part::Resourcepart),
        ("@/", Part::Localpart),
        (".", Part::Domainpart),
        ("juliet@./x", Part::Domainpart),
    ];
    for &(input, part) in table {
        assert_eq!(Jid::new(input), Err(JidError::Empty(part)), "{input:?}");
    }
}

#[test]
fn every_localpart_exclusion_of_3_3_1() {
    // '@' and '/' cannot reach the localpart through parsing (they split),
    // but can through from_parts and through width mapping.
    for ch in ['"', '&', '\'', '/', ':', '<', '>', '@'] {
        let local = format!("ju{ch}liet");
        assert_eq!(
            Jid::from_parts(Some(&local), "example.com", None),
            Err(JidError::ExcludedLocalpartChar(ch)),
            "{local:?}"
        );
    }
    // FULLWIDTH COMMERCIAL AT is width-mapped to '@', then excluded.
    assert_eq!(
        Jid::new("ju\u{ff20}liet@example.com"),
        Err(JidError::ExcludedLocalpartChar('@'))
    );
}

#[test]
fn comparison_is_on_the_prepared_form() {
    // Localpart and domainpart are case-insensitive; the resourcepart is not.
    assert_eq!(
        jid("Juliet@Example.COM/Balcony"),
        jid("juliet@example.com/Balcony")
    );
    assert_eq!(
        jid("Juliet@Example.COM/Balcony").to_string(),
        "juliet@example.com/Balcony"
    );
    assert_ne!(
        jid("juliet@example.com/Balcony"),
        jid("juliet@example.com/balcony")
    );
    // Ordering and hashing follow equality.
    let set: std::collections::BTreeSet<Jid> = [
        "JULIET@example.com",
        "juliet@EXAMPLE.com",
        "juliet@example.com",
    ]
    .map(jid)
    .into();
    assert_eq!(set.len(), 1);
}

#[test]
fn width_mapping_and_case_folding() {
    // Fullwidth letters are width-mapped and lowercased in the localpart and
    // domainpart (RFC 8265 §3.3.2 rule 1, UTS #46 mapping).
    assert_eq!(
        jid("\u{ff2a}uliet@\u{ff25}xample.com").as_str(),
        "juliet@example.com"
    );
    // Non-ASCII uppercase folds too.
    assert_eq!(
        jid("\u{c9}MILE@example.com").as_str(),
        "\u{e9}mile@example.com"
    );
    // The resourcepart keeps case and width; only non-ASCII spaces become U+0020.
    assert_eq!(jid("a@b/\u{ff21}\u{a0}B").resource(), Some("\u{ff21} B"));
    // NFC in every part: e + COMBINING ACUTE becomes é.
    assert_eq!(
        jid("e\u{301}@caf\u{65}\u{301}.fr/e\u{301}").as_str(),
        "\u{e9}@caf\u{e9}.fr/\u{e9}"
    );
}

#[test]
fn idn_domains_in_unicode_and_punycode_are_the_same_jid() {
    let unicode = jid("juliet@b\u{fc}cher.example");
    assert_eq!(unicode.domain(), "b\u{fc}cher.example");
    for other in [
        "juliet@xn--bcher-kva.example",
        "juliet@XN--BCHER-KVA.Example",
        "juliet@B\u{dc}CHER.example",
        "juliet@b\u{fc}cher\u{3002}example",
    ] {
        assert_eq!(jid(other), unicode, "{other:?}");
    }
    assert_eq!(
        jid("\u{5f20}\u{4e09}@\u{4f8b}\u{5b50}.\u{4e2d}\u{56fd}"),
        jid("\u{5f20}\u{4e09}@xn--fsqu00a.xn--fiqs8s")
    );
}

#[test]
fn invalid_domains_name_the_rule() {
    let table: &[(&str, JidError)] = &[
        (
            "juliet@exa mple.com",
            JidError::ForbiddenChar {
                part: Part::Domainpart,
                ch: ' ',
            },
        ),
        (
            "juliet@exa_mple.com",
            JidError::ForbiddenChar {
                part: Part::Domainpart,
                ch: '_',
            },
        ),
        (
            "a@b@c",
            JidError::ForbiddenChar {
                part: Part::Domainpart,
                ch: '@',
            },
        ),
        (
            "juliet@example..com",
            JidError::InvalidDomain(DomainError::EmptyLabel),
        ),
        (
            "juliet@.example.com",
            JidError::InvalidDomain(DomainError::EmptyLabel),
        ),
        (
            "juliet@example.com..",
            JidError::InvalidDomain(DomainError::EmptyLabel),
        ),
        (
            "juliet@-example.com",
            JidError::InvalidDomain(DomainError::Idna),
        ),
        (
            "juliet@example-.com",
            JidError::InvalidDomain(DomainError::Idna),
        ),
        (
            "juliet@ab--cd.com",
            JidError::InvalidDomain(DomainError::Idna),
        ),
        (
            "juliet@xn--zz.com",
            JidError::InvalidDomain(DomainError::Idna),
        ),
        // ZERO WIDTH JOINER outside a virama context (RFC 5892 A.2).
        (
            "juliet@a\u{200d}b.com",
            JidError::InvalidDomain(DomainError::Idna),
        ),
        // IDNA2008 disallows symbols that UTS #46 lets through.
        (
            "juliet@\u{265a}.example",
            JidError::ForbiddenChar {
                part: Part::Domainpart,
                ch: '\u{265a}',
            },
        ),
        (
            "juliet@[::1",
            JidError::InvalidDomain(DomainError::Ipv6Literal),
        ),
        (
            "juliet@[192.0.2.1]",
            JidError::InvalidDomain(DomainError::Ipv6Literal),
        ),
        (
            "juliet@[fe80::1%eth0]",
            JidError::InvalidDomain(DomainError::Ipv6Literal),
        ),
    ];
    for (input, expected) in table {
        assert_eq!(Jid::new(input).as_ref(), Err(expected), "{input:?}");
    }
    // 58 × 'ä' is 116 bytes of UTF-8 and an A-label of 64 bytes: one too
    // many. 57 × 'ä' makes exactly 63.
    let long_idn = format!("juliet@{}.com", "\u{e4}".repeat(58));
    assert_eq!(
        Jid::new(&long_idn),
        Err(JidError::InvalidDomain(DomainError::LabelTooLong))
    );
    assert!(Jid::new(&format!("juliet@{}.com", "\u{e4}".repeat(57))).is_ok());
    let long_label = format!("juliet@{}.com", "a".repeat(64));
    assert_eq!(
        Jid::new(&long_label),
        Err(JidError::InvalidDomain(DomainError::LabelTooLong))
    );
}

#[test]
fn bidi_rule_is_named() {
    // HEBREW LETTER ALEF followed by a Latin letter: RFC 5893 rule 2 fails.
    assert_eq!(
        Jid::new("\u{5d0}a@example.com"),
        Err(JidError::Bidi(Part::Localpart))
    );
    // An all-RTL localpart is fine.
    assert_eq!(
        jid("\u{5d0}\u{5d1}@example.com").node(),
        Some("\u{5d0}\u{5d1}")
    );
}

#[test]
fn ip_literals() {
    assert_eq!(jid("juliet@192.0.2.1/x").domain(), "192.0.2.1");
    assert_eq!(jid("juliet@[::1]").domain(), "[::1]");
    // IPv6 addresses are stored in RFC 5952 form, so spellings compare equal.
    assert_eq!(jid("juliet@[2001:DB8:0:0::1]"), jid("juliet@[2001:db8::1]"));
    assert_eq!(jid("[0:0::1]/r").as_str(), "[::1]/r");
}

#[test]
fn trailing_dot_is_stripped() {
    assert_eq!(
        jid("juliet@example.com./x").as_str(),
        "juliet@example.com/x"
    );
    assert_eq!(jid("example.com."), jid("example.com"));
    assert_eq!(
        jid("juliet@b\u{fc}cher.example."),
        jid("juliet@b\u{fc}cher.example")
    );
    assert_eq!(jid("[::1].").as_str(), "[::1]");
}

#[test]
fn part_lengths_at_1023_and_1024_bytes() {
    let ok = |s: &str| Jid::new(s).unwrap();
    let too_long = |part, len| Err(JidError::TooLong { part, len });

    let local = "a".repeat(1023);
    assert_eq!(ok(&format!("{local}@x")).node(), Some(local.as_str()));
    assert_eq!(
        Jid::new(&format!("{local}a@x")),
        too_long(Part::Localpart, 1024)
    );
    // The limit applies after preparation: 1023 fullwidth letters are 3069
    // bytes of input but 1023 bytes once width-mapped.
    assert_eq!(
        ok(&format!("{}@x", "\u{ff21}".repeat(1023))).node(),
        Some(local.as_str())
    );
    assert_eq!(
        Jid::new(&format!("{}@x", "\u{e4}".repeat(512))),
        too_long(Part::Localpart, 1024)
    );

    let resource = "R".repeat(1023);
    assert_eq!(
        ok(&format!("x/{resource}")).resource(),
        Some(resource.as_str())
    );
    assert_eq!(
        Jid::new(&format!("x/{resource}R")),
        too_long(Part::Resourcepart, 1024)
    );

    // Sixteen 63-byte labels and fifteen dots make 1023 bytes.
    let domain = vec!["d".repeat(63); 16].join(".");
    assert_eq!(domain.len(), 1023);
    assert_eq!(ok(&domain).domain(), domain);
    // A trailing dot is stripped before the count.
    assert_eq!(ok(&format!("{domain}.")).domain(), domain);
    let longer = format!(
        "{}.{}.{}",
        vec!["d".repeat(63); 15].join("."),
        "d".repeat(31),
        "d".repeat(32)
    );
    assert_eq!(longer.len(), 1024);
    assert_eq!(Jid::new(&longer), too_long(Part::Domainpart, 1024));

    // All three parts at their limit.
    let max = ok(&format!("{local}@{domain}/{resource}"));
    assert_eq!(max.as_str().len(), 3 * 1023 + 2);
    assert_eq!(
        (max.node(), max.domain(), max.resource()),
        (
            Some(local.as_str()),
            domain.as_str(),
            Some(resource.as_str())
        )
    );
}

#[test]
fn bare_and_full_kinds() {
    let full = FullJid::new("Juliet@Example.com/Balcony").unwrap();
    let bare = BareJid::new("juliet@example.com").unwrap();
    assert_eq!(full.to_bare(), bare);
    assert_eq!(full.resource(), "Balcony");
    assert_eq!(bare.with_resource("Balcony").unwrap(), full);
    assert_eq!(Jid::from(full.clone()), full);
    assert_eq!(bare, Jid::new("JULIET@example.com").unwrap());
    assert_eq!(
        BareJid::from_parts(Some("Juliet"), "example.com").unwrap(),
        bare
    );
    assert_eq!(
        FullJid::from_parts(Some("juliet"), "example.com", "Balcony").unwrap(),
        full
    );
    assert_eq!(BareJid::new("a@b/c"), Err(JidError::UnexpectedResource));
    assert_eq!(FullJid::new("a@b"), Err(JidError::MissingResource));
    assert_eq!(
        format!("{full} {full:?} {bare:?}"),
        "juliet@example.com/Balcony FullJid(\"juliet@example.com/Balcony\") BareJid(\"juliet@example.com\")"
    );
}

#[test]
fn errors_read_well() {
    let err = Jid::new("henry\u{2163}@example.com").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the localpart contains '\u{2163}' (U+2163), which its rules forbid"
    );
    let err = Jid::new(&format!("x/{}", "r".repeat(1024))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the resourcepart has 1024 bytes; at most 1023 are allowed after preparation (RFC 7622 §3.1)"
    );
}

#[test]
fn unstable_preparation_is_refused() {
    // CHEROKEE LETTER A (Unicode 3.0) lowercases to U+AB70 (Unicode 8.0),
    // which the PRECIS tables (Unicode 6.3, as IANA registers them) hold as
    // unassigned: a second pass would refuse what the first produced, so
    // RFC 8264 §7 has the string refused rather than stored unstable.
    assert_eq!(
        Jid::new("\u{13a0}@example.com"),
        Err(JidError::Unstable(Part::Localpart))
    );
}

#[test]
fn contextual_rules_and_unicode_version() {
    // MIDDLE DOT is CONTEXTO (RFC 5892 A.3): only between two 'l'.
    assert_eq!(
        jid("col\u{b7}lega@example.com").node(),
        Some("col\u{b7}lega")
    );
    assert_eq!(
        Jid::new("a\u{b7}b@example.com"),
        Err(JidError::ForbiddenChar {
            part: Part::Localpart,
            ch: '\u{b7}'
        })
    );
    // U+1F37A (Unicode 6.0) is a symbol the FreeformClass allows; U+1F97A
    // (Unicode 11) is unassigned in the Unicode 6.3 PRECIS tables.
    assert_eq!(jid("a@b/\u{1f37a}").resource(), Some("\u{1f37a}"));
    assert_eq!(
        Jid::new("a@b/\u{1f97a}"),
        Err(JidError::ForbiddenChar {
            part: Part::Resourcepart,
            ch: '\u{1f97a}'
        })
    );
}

#[test]
fn huge_inputs_are_refused_by_length_in_every_part() {
    let big = "\u{e4}".repeat(100_000);
    let too_long = |part| Err(JidError::TooLong { part, len: 200_000 });
    for parse in [Jid::new, Jid::from_received] {
        assert_eq!(parse(&format!("{big}@x")), too_long(Part::Localpart));
        assert_eq!(parse(&format!("x@{big}")), too_long(Part::Domainpart));
        assert_eq!(parse(&format!("x/{big}")), too_long(Part::Resourcepart));
    }
}

#[test]
fn input_no_preparation_could_fit_is_refused_before_preparing() {
    // Each input below maps to 1400 bytes or fewer; the error reports the
    // input's own length, so it was refused before any mapping ran.
    let too_long = |part, len| Err(JidError::TooLong { part, len });
    // FULLWIDTH LATIN CAPITAL LETTER A is width-mapped to 'a'.
    let local = "\u{ff21}".repeat(1400);
    assert_eq!(
        Jid::new(&format!("{local}@x")),
        too_long(Part::Localpart, 4200)
    );
    // KELVIN SIGN becomes 'K' under NFC.
    let resource = "\u{212a}".repeat(1400);
    assert_eq!(
        Jid::new(&format!("x/{resource}")),
        too_long(Part::Resourcepart, 4200)
    );
    // UTS #46 removes SOFT HYPHEN: this domainpart would map to
    // `example.com`, and is refused all the same.
    let padded = format!("{}example.com", "\u{ad}".repeat(2100));
    assert_eq!(
        Jid::new(&format!("x@{padded}")),
        too_long(Part::Domainpart, 4211)
    );
    assert_eq!(
        Jid::from_received(&format!("x@{padded}")),
        too_long(Part::Domainpart, 4211)
    );
    // At the 4092-byte bound the same padding is mapped away; one byte
    // more and it is refused. (VARIATION SELECTOR-1, three bytes, is
    // removed by UTS #46 too.)
    let padded = format!("\u{fe00}{}example.com", "\u{ad}".repeat(2039));
    assert_eq!(padded.len(), 4092);
    assert_eq!(jid(&format!("x@{padded}")).domain(), "example.com");
    assert_eq!(
        Jid::new(&format!("x@{padded}\u{ad}")),
        too_long(Part::Domainpart, 4094)
    );
    assert_eq!(
        Jid::new(&format!("x@x{padded}")),
        too_long(Part::Domainpart, 4093)
    );
    // from_parts checks each part the same way.
    assert_eq!(
        Jid::from_parts(Some(&local), "x", None),
        too_long(Part::Localpart, 4200)
    );
}

#[test]
fn the_input_bound_leaves_room_for_the_widest_mapping() {
    // MATHEMATICAL BOLD SMALL A (four bytes) maps to 'a' under UTS #46,
    // the widest shrink of any mapping: 4047 bytes of input become a
    // domainpart of 1023 bytes, the most allowed.
    let domain = vec!["\u{1d41a}".repeat(63); 16].join(".");
    assert_eq!(domain.len(), 4047);
    assert_eq!(jid(&domain).domain(), vec!["a".repeat(63); 16].join("."));
    // Fullwidth letters shrink three to one: 1023 of them fit (3069 bytes).
    let local = "\u{ff41}".repeat(1023);
    assert_eq!(jid(&format!("{local}@x")).node().map(str::len), Some(1023));
}
