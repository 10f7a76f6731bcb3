//! Properties: parsing never panics, a JID's text parses back to itself, and
//! `Jid::from_received` accepts what `Jid::new` accepts, with the same result.

use proptest::prelude::*;
use stanzio_jid::Jid;

/// A mix that reaches every path: ASCII, separators, case, width forms,
/// combining marks, RTL letters, symbols, punycode prefixes and dots.
fn jidish() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "Z",
        "0",
        "-",
        ".",
        "@",
        "/",
        " ",
        "_",
        "\"",
        "xn--",
        "[",
        "]",
        ":",
        "\u{df}",
        "\u{3a3}",
        "\u{3c2}",
        "\u{ff21}",
        "\u{ff20}",
        "\u{301}",
        "\u{5d0}",
        "\u{627}",
        "\u{265a}",
        "\u{200d}",
        "\u{a0}",
        "\u{3002}",
        "\u{2163}",
        "\u{130}",
        "\u{1e9e}",
        "\u{fb01}",
        "\u{ad}",
        "\u{0}",
        "\u{7f}",
        "\u{10ffff}",
        "\u{1f600}",
        "\u{4e2d}",
        "\u{e9}",
        // Assigned after Unicode 6.3: an emoji, a letter and its capital,
        // a default ignorable, and a letter whose lowercase is new.
        "\u{1f97a}",
        "\u{a7b5}",
        "\u{a7b4}",
        "\u{180f}",
        "\u{13a0}",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
}

/// Whatever `Jid::new` makes, `Jid::from_received` makes too; whatever
/// `Jid::from_received` makes, its text gives back.
fn received_agrees(input: &str) -> Result<(), TestCaseError> {
    let received = Jid::from_received(input);
    if let Ok(jid) = Jid::new(input) {
        prop_assert_eq!(received.as_ref(), Ok(&jid), "{:?}", input);
    }
    if let Ok(jid) = received {
        prop_assert_eq!(Jid::from_received(jid.as_str()), Ok(jid));
    }
    Ok(())
}

fn roundtrips(jid: &Jid) -> Result<(), TestCaseError> {
    // Through Display on purpose: that is the text that goes on the wire.
    let shown = format!("{jid}");
    let again = Jid::new(&shown);
    prop_assert_eq!(again.as_ref(), Ok(jid), "{:?}", jid.as_str());
    let rebuilt = Jid::from_parts(jid.node(), jid.domain(), jid.resource());
    prop_assert_eq!(rebuilt.as_ref(), Ok(jid));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_never_panic_and_roundtrip(input in any::<String>()) {
        if let Ok(jid) = Jid::new(&input) {
            roundtrips(&jid)?;
        }
        received_agrees(&input)?;
    }

    #[test]
    fn jid_like_strings_roundtrip(input in jidish()) {
        if let Ok(jid) = Jid::new(&input) {
            roundtrips(&jid)?;
        }
        received_agrees(&input)?;
    }

    #[test]
    fn generated_jids_roundtrip(
        node in proptest::option::of("[a-zA-Z0-9\u{e0}-\u{ff}\u{3b1}-\u{3c9}._-]{1,20}"),
        domain in "([a-zA-Z0-9\u{e0}-\u{ff}]{1,10}\\.){0,3}[a-z]{2,5}\\.?",
        resource in proptest::option::of("\\PC{1,20}"),
    ) {
        // Not every generated part is valid (a '-' may land at an edge, a
        // resource may hold a disallowed code point); the valid ones must
        // round-trip, and nothing may panic.
        if let Ok(jid) = Jid::from_parts(node.as_deref(), &domain, resource.as_deref()) {
            roundtrips(&jid)?;
        }
    }
}
