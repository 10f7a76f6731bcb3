//! Preparation and enforcement of each JID part (RFC 7622 §3.2–§3.4).
//!
//! Every part has a fast path for ASCII input that needs no Unicode tables and
//! allocates nothing, and a slow path through `precis-profiles` or `idna`. The
//! fast path only ever *accepts*: anything it is unsure about goes to the slow
//! path, which is the single source of truth for errors. The tests check that
//! both paths agree on every ASCII input the fast path accepts.
//!
//! The fast paths are `#[inline]` and the slow ones `#[cold] #[inline(never)]`:
//! with the Unicode machinery inlined, parsing an ASCII JID got twice as slow
//! (large stack frames and spills around every call; see `benches/jid.rs`).

use core::net::Ipv6Addr;
use std::borrow::Cow;

use idna::uts46::{AsciiDenyList, Hyphens, Uts46};
use precis_profiles::precis_core::profile::{Rules, stabilize};
use precis_profiles::precis_core::{self, FreeformClass, IdentifierClass, StringClass};
use precis_profiles::{OpaqueString, UsernameCaseMapped};

use crate::error::{DomainError, JidError, Part};
use crate::unicode_version::{UnicodeVersion, Versioned};

/// The most bytes a part may have after preparation (RFC 7622 §3.1).
pub(crate) const MAX_PART_BYTES: usize = 1023;

/// The most bytes the input of one part may have before preparation. Longer
/// input is refused before any mapping, so what a peer sends cannot make
/// preparation (which is linear, but slow per code point) run long.
///
/// Nothing longer can be prepared into [`MAX_PART_BYTES`]. Every mapping the
/// parts go through turns each code point into at least one, and UTF-8
/// spends one to four bytes on a code point, so text shrinks at most four to
/// one. PRECIS shrinks it at most three to one: width mapping of fullwidth
/// ASCII (RFC 8265 §3.3), NFC of U+212A KELVIN SIGN to `K` or of three
/// Hangul jamo to one syllable. UTS #46 reaches four to one: it maps
/// mathematical letters such as U+1D41A (four bytes) to ASCII, and NFC then
/// composes `a` and two combining marks (eight bytes in all) into `ǟ` (two).
///
/// The exception is UTS #46 removing default-ignorable code points (soft
/// hyphen, variation selectors) from domain names: a domainpart padded
/// with more than 3069 bytes of them is refused, though it would map to
/// less. No prepared address holds them, so only a sender that does not
/// prepare its addresses sends such a thing.
pub(crate) const MAX_INPUT_BYTES: usize = 4 * MAX_PART_BYTES;

/// The longest DNS label, in bytes of its ASCII form (RFC 1035 §2.3.4).
const MAX_LABEL_BYTES: usize = 63;

/// Characters RFC 7622 §3.3.1 excludes from localparts on top of the
/// UsernameCaseMapped profile, which allows them.
const LOCALPART_EXCLUDED: [char; 8] = ['"', '&', '\'', '/', ':', '<', '>', '@'];

/// A part in prepared form, ready to be copied into the JID's one buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Prepared<'a> {
    /// The input was already in prepared form.
    Verbatim(&'a str),
    /// ASCII input whose prepared form is its ASCII lowercase. It is lowercased
    /// while being copied, so the fast path allocates nothing of its own.
    AsciiLowercase(&'a str),
    /// The output of the PRECIS or IDNA machinery.
    Mapped(String),
}

impl<'a> From<Cow<'a, str>> for Prepared<'a> {
    fn from(cow: Cow<'a, str>) -> Self {
        match cow {
            Cow::Borrowed(s) => Self::Verbatim(s),
            Cow::Owned(s) => Self::Mapped(s),
        }
    }
}

impl Prepared<'_> {
    /// Length in bytes of the prepared form.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Verbatim(s) | Self::AsciiLowercase(s) => s.len(),
            Self::Mapped(s) => s.len(),
        }
    }

    /// Appends the prepared form to `out`.
    pub(crate) fn push_to(&self, out: &mut String) {
        match self {
            Self::Verbatim(s) => out.push_str(s),
            Self::AsciiLowercase(s) => {
                let start = out.len();
                out.push_str(s);
                if let Some(copied) = out.get_mut(start..) {
                    copied.make_ascii_lowercase();
                }
            }
            Self::Mapped(s) => out.push_str(s),
        }
    }
}

/// Refuses the input of `part` when it is too long for any preparation to
/// bring it within the limit (see [`MAX_INPUT_BYTES`]).
#[inline]
fn check_input_len(part: Part, input: &str) -> Result<(), JidError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(JidError::TooLong {
            part,
            len: input.len(),
        });
    }
    Ok(())
}

/// Prepares a localpart: PRECIS UsernameCaseMapped (RFC 7622 §3.3.2, RFC 8265
/// §3.3) plus the XMPP exclusions of RFC 7622 §3.3.1.
#[inline]
pub(crate) fn localpart(input: &str, version: UnicodeVersion) -> Result<Prepared<'_>, JidError> {
    check_input_len(Part::Localpart, input)?;
    match localpart_ascii(input) {
        Some(prepared) => Ok(prepared),
        None => localpart_precis(input, version).map(Prepared::from),
    }
}

/// The localpart fast path. For ASCII, UsernameCaseMapped reduces to this:
/// width mapping and NFC change nothing, there is no right-to-left character
/// for the bidi rule, the IdentifierClass allows exactly U+0021..U+007E
/// (RFC 8264 §9.11, "ASCII7"), and case mapping is ASCII lowercasing.
#[inline]
fn localpart_ascii(input: &str) -> Option<Prepared<'_>> {
    let mut has_upper = false;
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z' => has_upper = true,
            // LOCALPART_EXCLUDED, spelled out so the match compiles to a table.
            b'"' | b'&' | b'\'' | b'/' | b':' | b'<' | b'>' | b'@' => return None,
            0x21..=0x7e => {}
            _ => return None,
        }
    }
    match (input.is_empty(), has_upper) {
        (true, _) => None,
        (false, true) => Some(Prepared::AsciiLowercase(input)),
        (false, false) => Some(Prepared::Verbatim(input)),
    }
}

/// The localpart slow path through `precis-profiles`.
#[cold]
#[inline(never)]
pub(crate) fn localpart_precis(
    input: &str,
    version: UnicodeVersion,
) -> Result<Cow<'_, str>, JidError> {
    let part = Part::Localpart;
    if input.is_empty() {
        return Err(JidError::Empty(part));
    }
    let prepared = username_case_mapped(input, version).map_err(|err| match err {
        // `Invalid` comes only from the directionality rule: width mapping,
        // case mapping and NFC never empty a string.
        precis_core::Error::Invalid => JidError::Bidi(part),
        other => precis_error(part, other),
    })?;
    let prepared = stable(part, prepared, |s| username_case_mapped(s, version))?;
    match prepared.chars().find(|c| LOCALPART_EXCLUDED.contains(c)) {
        Some(ch) => Err(JidError::ExcludedLocalpartChar(ch)),
        None => Ok(prepared),
    }
}

/// Enforces the UsernameCaseMapped profile (RFC 8265 §3.3) with the
/// IdentifierClass at `version`: the rules of `precis-profiles`, in the
/// order its own `enforce` applies them, with only the string class
/// changed. For non-empty input (the caller checks), so no rule can empty it.
fn username_case_mapped(
    input: &str,
    version: UnicodeVersion,
) -> Result<Cow<'_, str>, precis_core::Error> {
    let profile = UsernameCaseMapped::new();
    let class = Versioned {
        class: IdentifierClass::default(),
        version,
    };
    // Preparation: width mapping, then the string class.
    let prepared = profile.width_mapping_rule(input)?;
    class.allows(&prepared)?;
    // Enforcement goes on with case mapping, NFC and the bidi rule.
    let lowercase = profile.case_mapping_rule(prepared)?;
    let normalized = profile.normalization_rule(lowercase)?;
    profile.directionality_rule(normalized)
}

/// Enforces the OpaqueString profile (RFC 8265 §4.2) with the FreeformClass
/// at `version`, as [`username_case_mapped`] does for its profile.
fn opaque_string(input: &str, version: UnicodeVersion) -> Result<Cow<'_, str>, precis_core::Error> {
    let profile = OpaqueString::new();
    let class = Versioned {
        class: FreeformClass::default(),
        version,
    };
    class.allows(input)?;
    // Non-ASCII spaces become U+0020, then NFC.
    let mapped = profile.additional_mapping_rule(input)?;
    profile.normalization_rule(mapped)
}

/// Prepares a resourcepart: PRECIS OpaqueString (RFC 7622 §3.4.2, RFC 8265 §4.2).
#[inline]
pub(crate) fn resourcepart(input: &str, version: UnicodeVersion) -> Result<Prepared<'_>, JidError> {
    check_input_len(Part::Resourcepart, input)?;
    // For ASCII, OpaqueString reduces to this: the FreeformClass allows
    // U+0020..U+007E (RFC 8264 §9.11 and §9.14), only non-ASCII spaces are
    // mapped, and NFC changes nothing. Case is kept.
    if !input.is_empty() && input.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Ok(Prepared::Verbatim(input));
    }
    resourcepart_precis(input, version).map(Prepared::from)
}

/// The resourcepart slow path through `precis-profiles`.
#[cold]
#[inline(never)]
pub(crate) fn resourcepart_precis(
    input: &str,
    version: UnicodeVersion,
) -> Result<Cow<'_, str>, JidError> {
    let part = Part::Resourcepart;
    if input.is_empty() {
        return Err(JidError::Empty(part));
    }
    let prepared = opaque_string(input, version).map_err(|err| precis_error(part, err))?;
    stable(part, prepared, |s| opaque_string(s, version))
}

/// Applies the profile again until the result stops changing, as RFC 8264 §7
/// asks, so that a prepared JID parses back to itself. Input the first pass
/// left untouched is stable already.
fn stable<'a, F>(part: Part, once: Cow<'a, str>, enforce: F) -> Result<Cow<'a, str>, JidError>
where
    F: for<'b> Fn(&'b str) -> Result<Cow<'b, str>, precis_core::Error>,
{
    match once {
        Cow::Borrowed(_) => Ok(once),
        Cow::Owned(_) => stabilize(once, enforce).map_err(|_| JidError::Unstable(part)),
    }
}

/// Maps a PRECIS error other than `Invalid`, whose meaning depends on the profile.
fn precis_error(part: Part, err: precis_core::Error) -> JidError {
    use precis_core::UnexpectedError as U;
    let info = match err {
        precis_core::Error::BadCodepoint(info)
        | precis_core::Error::Unexpected(U::ContextRuleNotApplicable(info))
        | precis_core::Error::Unexpected(U::MissingContextRule(info)) => info,
        _ => return JidError::Precis(part),
    };
    match char::from_u32(info.cp) {
        Some(ch) => JidError::ForbiddenChar { part, ch },
        None => JidError::Precis(part),
    }
}

/// Prepares a domainpart (RFC 7622 §3.2): an IPv4 address, a bracketed IPv6
/// address, or a domain name mapped by UTS #46 and checked against IDNA2008.
#[inline]
pub(crate) fn domainpart(input: &str, version: UnicodeVersion) -> Result<Prepared<'_>, JidError> {
    check_input_len(Part::Domainpart, input)?;
    // RFC 7622 §3.2: a final dot is stripped before any other step.
    let input = input.strip_suffix('.').unwrap_or(input);
    if input.is_empty() {
        return Err(JidError::Empty(Part::Domainpart));
    }
    if let Some(literal) = input.strip_prefix('[') {
        return ipv6_literal(literal);
    }
    // A dotted-quad IPv4 address is also a valid LDH name and is kept as it is.
    match hostname_ascii(input) {
        Some(prepared) => Ok(prepared),
        None => hostname_idna(input, version).map(Prepared::from),
    }
}

/// `literal` is what follows the `[`. The stored form is the RFC 5952 text of
/// the address, so `[::1]` and `[0:0::1]` are the same JID.
#[cold]
#[inline(never)]
fn ipv6_literal(literal: &str) -> Result<Prepared<'_>, JidError> {
    let invalid = JidError::InvalidDomain(DomainError::Ipv6Literal);
    let address: Ipv6Addr = literal
        .strip_suffix(']')
        .and_then(|inner| inner.parse().ok())
        .ok_or(invalid)?;
    Ok(Prepared::Mapped(format!("[{address}]")))
}

/// The domain fast path: NR-LDH labels (RFC 5890 §2.3.1) of letters, digits
/// and inner hyphens, up to 63 bytes each. UTS #46 maps these to their ASCII
/// lowercase and nothing else. Labels with hyphens in the third and fourth
/// position (`xn--` A-labels among them) take the slow path.
#[inline]
fn hostname_ascii(input: &str) -> Option<Prepared<'_>> {
    // One pass over the bytes; `label_len` counts the current label so far.
    let mut has_upper = false;
    let mut label_len = 0usize;
    let mut previous = b'.';
    for &byte in input.as_bytes() {
        match byte {
            b'a'..=b'z' | b'0'..=b'9' => {}
            b'A'..=b'Z' => has_upper = true,
            // Not first in a label, and not in both the third and fourth position.
            b'-' if label_len == 0 || (label_len == 3 && previous == b'-') => return None,
            b'-' => {}
            // A label must not be empty or end with a hyphen.
            b'.' if label_len == 0 || previous == b'-' => return None,
            b'.' => {
                label_len = 0;
                previous = byte;
                continue;
            }
            _ => return None,
        }
        label_len += 1;
        if label_len > MAX_LABEL_BYTES {
            return None;
        }
        previous = byte;
    }
    if label_len == 0 || previous == b'-' {
        return None;
    }
    Some(if has_upper {
        Prepared::AsciiLowercase(input)
    } else {
        Prepared::Verbatim(input)
    })
}

/// The domain slow path: UTS #46 mapping to U-labels, then the IDNA2008
/// checks UTS #46 leaves out. `input` has had its trailing dot stripped.
#[cold]
#[inline(never)]
pub(crate) fn hostname_idna(
    input: &str,
    version: UnicodeVersion,
) -> Result<Cow<'_, str>, JidError> {
    let part = Part::Domainpart;
    // STD3 (RFC 5890 §2.3.1 NR-LDH): of ASCII, only letters, digits, hyphens
    // and the dot. Checked here first so the error can name the character.
    if let Some(ch) = input
        .chars()
        .find(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(JidError::ForbiddenChar { part, ch });
    }
    // Non-transitional UTS #46 ToUnicode: maps case, width and compatibility
    // forms, decodes A-labels to U-labels, and checks the validity criteria
    // (hyphens per CheckHyphens, bidi per RFC 5893, joiners per RFC 5892 A.1-2).
    let (mapped, result) =
        Uts46::new().to_unicode(input.as_bytes(), AsciiDenyList::STD3, Hyphens::Check);
    if result.is_err() {
        return Err(JidError::InvalidDomain(DomainError::Idna));
    }
    for label in mapped.split('.') {
        check_label(label, version)?;
    }
    Ok(mapped)
}

/// Checks one UTS #46-mapped label against what RFC 7622 §3.2 adds: it must
/// be a U-label of IDNA2008, and its A-label must fit DNS.
fn check_label(label: &str, version: UnicodeVersion) -> Result<(), JidError> {
    if label.is_empty() {
        return Err(JidError::InvalidDomain(DomainError::EmptyLabel));
    }
    let fits = if label.is_ascii() {
        label.len() <= MAX_LABEL_BYTES
    } else {
        // UTS #46 accepts symbols such as U+265A that IDNA2008 disallows
        // (RFC 5892 §2.3). The PRECIS IdentifierClass derives from the same
        // RFC 5892 categories and disallows them too, so its tables do the
        // check; its extra ASCII symbols are already excluded by STD3.
        Versioned {
            class: IdentifierClass::default(),
            version,
        }
        .allows(label)
        .map_err(|err| precis_error(Part::Domainpart, err))?;
        // Punycode writes at least one byte per character, so a long label is
        // refused without encoding it (encode_str gives up on huge input).
        label.chars().count() + "xn--".len() <= MAX_LABEL_BYTES
            && idna::punycode::encode_str(label)
                .is_some_and(|puny| puny.len() + "xn--".len() <= MAX_LABEL_BYTES)
    };
    if !fits {
        return Err(JidError::InvalidDomain(DomainError::LabelTooLong));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use precis_profiles::precis_core::profile::PrecisFastInvocation;
    use proptest::prelude::*;

    const REGISTERED: UnicodeVersion = UnicodeVersion::Registered;

    fn text(prepared: Prepared<'_>) -> String {
        let mut out = String::new();
        prepared.push_to(&mut out);
        out
    }

    proptest! {
        // The fast paths must give exactly what the PRECIS/IDNA path gives.
        #[test]
        fn localpart_fast_path_agrees(input in "[\\x20-\\x7f]{0,12}") {
            if let Some(fast) = localpart_ascii(&input) {
                prop_assert_eq!(text(fast), localpart_precis(&input, REGISTERED).unwrap());
            }
        }

        #[test]
        fn resourcepart_fast_path_agrees(input in "[\\x20-\\x7f]{0,12}") {
            if let Ok(fast @ Prepared::Verbatim(_)) = resourcepart(&input, REGISTERED) {
                prop_assert_eq!(text(fast), resourcepart_precis(&input, REGISTERED).unwrap());
            }
        }

        #[test]
        fn domainpart_fast_path_agrees(input in "[a-zA-Z0-9.-]{0,12}|[a-z]{60,66}") {
            if let Some(fast) = hostname_ascii(&input) {
                prop_assert_eq!(text(fast), hostname_idna(&input, REGISTERED).unwrap());
            }
        }

        // The profiles composed here from the rules of `precis-profiles`
        // are its own profiles when the registered tables decide: same
        // result, same error.
        #[test]
        fn composed_profiles_are_those_of_precis_profiles(
            input in "\\PC{1,12}|[ a-zA-Z\u{a0}\u{ff21}\u{3a3}\u{130}\u{5d0}\u{627}\u{301}\u{13a0}\u{1f97a}\u{265a}]{1,12}"
        ) {
            prop_assert_eq!(
                username_case_mapped(&input, REGISTERED),
                UsernameCaseMapped::enforce(input.as_str())
            );
            prop_assert_eq!(
                opaque_string(&input, REGISTERED),
                OpaqueString::enforce(input.as_str())
            );
        }
    }

    #[test]
    fn fast_paths_take_the_common_cases() {
        assert_eq!(
            localpart_ascii("juliet"),
            Some(Prepared::Verbatim("juliet"))
        );
        assert_eq!(
            localpart_ascii("Juliet"),
            Some(Prepared::AsciiLowercase("Juliet"))
        );
        assert_eq!(
            hostname_ascii("Example.COM"),
            Some(Prepared::AsciiLowercase("Example.COM"))
        );
        assert_eq!(
            hostname_ascii("192.0.2.1"),
            Some(Prepared::Verbatim("192.0.2.1"))
        );
        assert_eq!(hostname_ascii("xn--bcher-kva.example"), None);
        assert_eq!(localpart_ascii("\"juliet\""), None);
    }

    #[test]
    fn hostname_fast_path_takes_every_inner_hyphen_but_the_third_and_fourth() {
        // A hyphen anywhere inside a label, doubled too, as long as the
        // third and fourth positions are not both hyphens (RFC 5891
        // §4.2.3.1): the fast path takes it, with the slow path's result.
        for input in [
            "a-b.example",
            "ab-c.example",
            "abc-d.example",
            "a--b.example",
            "abcd--e.example",
            "a-b-c-d",
        ] {
            let fast = hostname_ascii(input).map(text);
            assert_eq!(fast.as_deref(), Some(input), "{input:?}");
            assert_eq!(hostname_idna(input, REGISTERED).as_deref(), Ok(input));
        }
        // Hyphens first or last in a label, or third and fourth, and empty
        // labels go to the slow path, which refuses them.
        for input in [
            "-a.example",
            "a-.example",
            "a.-b",
            "a.b-",
            "ab--cd.example",
            "a..b",
            ".a",
        ] {
            assert_eq!(hostname_ascii(input), None, "{input:?}");
            assert!(hostname_idna(input, REGISTERED).is_err(), "{input:?}");
        }
    }

    #[test]
    fn hostname_fast_path_takes_labels_up_to_63_bytes() {
        let longest = format!("{}.example", "a".repeat(63));
        assert_eq!(
            hostname_ascii(&longest),
            Some(Prepared::Verbatim(longest.as_str()))
        );
        let last_label = format!("example.{}", "B".repeat(63));
        assert_eq!(
            hostname_ascii(&last_label),
            Some(Prepared::AsciiLowercase(last_label.as_str()))
        );
        let too_long = format!("{}.example", "a".repeat(64));
        assert_eq!(hostname_ascii(&too_long), None);
        assert_eq!(
            hostname_idna(&too_long, REGISTERED),
            Err(JidError::InvalidDomain(DomainError::LabelTooLong))
        );
    }

    #[test]
    fn localpart_fast_path_leaves_every_exclusion_to_the_slow_path() {
        for ch in LOCALPART_EXCLUDED {
            let input = format!("a{ch}b");
            assert_eq!(localpart_ascii(&input), None, "{input:?}");
            assert_eq!(
                localpart(&input, REGISTERED),
                Err(JidError::ExcludedLocalpartChar(ch))
            );
        }
    }

    #[test]
    fn bidi_failure_in_the_localpart_is_named() {
        // An RTL letter followed by an LTR letter breaks RFC 5893 rule 2.
        assert_eq!(
            localpart_precis("\u{05d0}a", REGISTERED),
            Err(JidError::Bidi(Part::Localpart))
        );
    }

    #[test]
    fn idna2008_disallowed_symbols_are_rejected_in_domains() {
        let king = JidError::ForbiddenChar {
            part: Part::Domainpart,
            ch: '\u{265a}',
        };
        // Whichever Unicode version decides: the symbol is from Unicode 1.1.
        for version in [UnicodeVersion::Registered, UnicodeVersion::Current] {
            assert_eq!(
                hostname_idna("\u{265a}.example", version),
                Err(king.clone())
            );
        }
        // The same label reached through its A-label.
        let snowman = JidError::ForbiddenChar {
            part: Part::Domainpart,
            ch: '\u{2603}',
        };
        assert_eq!(hostname_idna("xn--n3h.net", REGISTERED), Err(snowman));
    }
}
