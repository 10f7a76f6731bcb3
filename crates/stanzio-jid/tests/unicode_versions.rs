//! Which Unicode version decides what a part may hold (crate docs, "Which
//! Unicode version"): `Jid::new` uses the PRECIS values IANA registers
//! (Unicode 6.3, RFC 8264 §11.1); `Jid::from_received` derives the code
//! points assigned since with the algorithm of RFC 8264 §8.

#![cfg(test)] // lets clippy treat the helpers below as test code

use stanzio_jid::{BareJid, DomainError, FullJid, Jid, JidError, Part};

fn forbidden(part: Part, ch: char) -> Result<Jid, JidError> {
    Err(JidError::ForbiddenChar { part, ch })
}

#[test]
fn an_emoji_from_unicode_11_in_a_resourcepart_is_received_but_not_prepared() {
    // U+1F97A FACE WITH PLEADING EYES: a symbol, which the FreeformClass
    // of the resourcepart allows (RFC 8264 §9.15), assigned in Unicode 11.
    let input = "room@muc.example/\u{1f97a}";
    assert_eq!(Jid::new(input), forbidden(Part::Resourcepart, '\u{1f97a}'));
    let occupant = Jid::from_received(input).unwrap();
    assert_eq!(occupant.as_str(), input);
    assert_eq!(occupant.resource(), Some("\u{1f97a}"));
    // Its text parses back with the constructor that made it.
    assert_eq!(Jid::from_received(occupant.as_str()), Ok(occupant.clone()));

    let full = FullJid::from_received("room@muc.example/Nick \u{1f97a}").unwrap();
    assert_eq!(full.resource(), "Nick \u{1f97a}");
    assert_eq!(
        BareJid::from_received(input),
        Err(JidError::UnexpectedResource)
    );
    assert_eq!(
        FullJid::from_received("room@muc.example"),
        Err(JidError::MissingResource)
    );
    assert_eq!(
        BareJid::from_received("Room@MUC.example").unwrap().as_str(),
        "room@muc.example"
    );
}

#[test]
fn letters_assigned_since_unicode_6_3_are_received_in_every_part() {
    // U+A7B5 LATIN SMALL LETTER BETA (Unicode 8): LetterDigits (§9.1),
    // so PVALID in both classes and in IDNA2008 labels.
    let beta = '\u{a7b5}';
    for (input, part) in [
        ("\u{a7b5}@example.com", Part::Localpart),
        ("juliet@\u{a7b5}.example", Part::Domainpart),
        ("juliet@example.com/\u{a7b5}", Part::Resourcepart),
    ] {
        assert_eq!(Jid::new(input), forbidden(part, beta), "{input:?}");
        assert_eq!(
            Jid::from_received(input).map(|j| j.to_string()),
            Ok(input.to_owned())
        );
    }
    // The mappings apply as to any letter: U+A7B4 LATIN CAPITAL LETTER BETA
    // is lowercased in the localpart and the domainpart.
    assert_eq!(
        Jid::from_received("\u{a7b4}@\u{a7b4}.example/\u{a7b4}")
            .unwrap()
            .as_str(),
        "\u{a7b5}@\u{a7b5}.example/\u{a7b4}"
    );
}

#[test]
fn a_lowercase_letter_added_later_makes_an_old_one_stable() {
    // CHEROKEE LETTER A (Unicode 3.0) lowercases to U+AB70 (Unicode 8).
    // With the registered values the result of the first pass is refused
    // by the second, so the string never becomes stable (RFC 8264 §7); at
    // the current version it is a lowercase letter like any other.
    assert_eq!(
        Jid::new("\u{13a0}@example.com"),
        Err(JidError::Unstable(Part::Localpart))
    );
    let jid = Jid::from_received("\u{13a0}@example.com").unwrap();
    assert_eq!(jid.node(), Some("\u{ab70}"));
    assert_eq!(Jid::from_received("\u{ab70}@example.com"), Ok(jid));
}

#[test]
fn what_the_current_version_disallows_is_still_refused() {
    // A symbol in a localpart: the IdentifierClass refuses symbols
    // (§9.15) of every Unicode version, old and new.
    assert_eq!(
        Jid::from_received("\u{1f97a}@example.com"),
        forbidden(Part::Localpart, '\u{1f97a}')
    );
    assert_eq!(
        Jid::from_received("\u{265a}@example.com"),
        forbidden(Part::Localpart, '\u{265a}')
    );
    // MONGOLIAN FREE VARIATION SELECTOR FOUR (Unicode 14) is default
    // ignorable: DISALLOWED (§9.13) even in a resourcepart.
    assert_eq!(
        Jid::from_received("a@b/x\u{180f}"),
        forbidden(Part::Resourcepart, '\u{180f}')
    );
    // U+3FFFD is unassigned in the current version too (§9.10).
    assert_eq!(
        Jid::from_received("a@b/\u{3fffd}"),
        forbidden(Part::Resourcepart, '\u{3fffd}')
    );
    // Symbols stay out of domain names: UTS #46 lets the emoji through,
    // the IDNA2008 check at the current version does not.
    assert_eq!(
        Jid::from_received("a@\u{1f97a}.example"),
        forbidden(Part::Domainpart, '\u{1f97a}')
    );
    assert_eq!(
        Jid::from_received("a@-x.example"),
        Err(JidError::InvalidDomain(DomainError::Idna))
    );
    // Controls, as ever.
    assert_eq!(
        Jid::from_received("a@b/x\u{7}"),
        forbidden(Part::Resourcepart, '\u{7}')
    );
}

#[test]
fn what_is_prepared_locally_stays_with_the_registered_values() {
    // from_parts and with_resource build addresses to send: registered
    // values only, like Jid::new.
    assert_eq!(
        Jid::from_parts(Some("a"), "b", Some("\u{1f97a}")),
        forbidden(Part::Resourcepart, '\u{1f97a}')
    );
    let received = Jid::from_received("a@b/\u{1f97a}").unwrap();
    assert_eq!(
        received.with_resource("\u{1f97a}"),
        Err(JidError::ForbiddenChar {
            part: Part::Resourcepart,
            ch: '\u{1f97a}'
        })
    );
    assert_eq!(received.with_resource("x").unwrap().as_str(), "a@b/x");
}
