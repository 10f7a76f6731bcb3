//! Preparation and enforcement of each JID part (RFC 7622 §3.2–§3.4).
//!
//! Every part has a fast path for ASCII input that needs no Unicode tables and
//! allocates nothing, and a slow path through `precis-profiles` or `idna`. The
//! fast path only ever *accepts*: anything it is unsure about goes to the slow
//! path, which is the single source of truth for errors. The tests check that
//! both paths agree on every ASCII input the fast path accepts.
//!
//! Parsing a whole JID first tries [`ascii_jid`]: one pass over the input,
//! eight bytes at a time, that splits it and applies the three part fast
//! paths at once. It takes exactly what they take (the tests check that
//! too), so it changes how fast, never what.
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

/// Where the one-pass ASCII scan ([`ascii_jid`]) found the parts of a JID
/// whose every part the fast paths take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AsciiJid {
    /// Byte index of the `@`, if there is a localpart.
    pub(crate) at: Option<usize>,
    /// End of the domainpart after its final dot, if any, is stripped.
    pub(crate) domain_end: usize,
    /// Byte index of the `/`, or the input's length without a resourcepart.
    pub(crate) bare_end: usize,
    /// Whether the localpart or domainpart holds an ASCII capital, which
    /// both lowercase; the resourcepart keeps its case.
    pub(crate) lowercase: bool,
}

/// The byte is not one [`localpart_ascii`] takes.
const NOT_LOCAL: u8 = 0b0001;
/// The byte is not one [`hostname_ascii`] takes.
const NOT_LDH: u8 = 0b0010;
/// The byte is in neither a localpart's nor a domainpart's fast path:
/// [`NOT_LOCAL`] and [`NOT_LDH`].
const REFUSED: u8 = 0b0011;
/// The byte is an ASCII capital letter.
const UPPER: u8 = 0b0100;
/// The byte is `/`, `@`, `.` or `-`, whose position matters.
const MARK: u8 = 0b1000;

/// What [`ascii_jid`] needs to know of each byte, one lookup per byte.
static BYTE_CLASSES: [u8; 256] = {
    let mut classes = [0u8; 256];
    let mut rest: &mut [u8] = &mut classes;
    let mut byte = 0u8;
    while let [class, tail @ ..] = rest {
        *class = byte_class(byte);
        byte = byte.wrapping_add(1);
        rest = tail;
    }
    classes
};

/// The class of one byte: the union of the byte tests of [`localpart_ascii`]
/// and [`hostname_ascii`], which the tests check entry by entry.
const fn byte_class(byte: u8) -> u8 {
    match byte {
        // The separators are handled by position alone (RFC 7622 §3.1).
        b'/' | b'@' => MARK,
        b'a'..=b'z' | b'0'..=b'9' => 0,
        b'A'..=b'Z' => UPPER,
        b'.' | b'-' => MARK,
        // LOCALPART_EXCLUDED but for the separators.
        b'"' | b'&' | b'\'' | b':' | b'<' | b'>' => REFUSED,
        // The rest of the IdentifierClass's ASCII (RFC 8264 §9.11).
        0x21..=0x7e => NOT_LDH,
        _ => REFUSED,
    }
}

/// The class of one byte, from [`BYTE_CLASSES`].
#[inline(always)]
fn class_of(byte: u8) -> u8 {
    // Every u8 indexes the 256 entries, so the fallback is never taken and
    // the bounds check compiles away.
    BYTE_CLASSES
        .get(usize::from(byte))
        .copied()
        .unwrap_or(REFUSED)
}

/// One pass over an ASCII JID that finds its separators and checks every
/// part against its fast path at once: the split of RFC 7622 §3.1, then
/// [`localpart_ascii`], [`hostname_ascii`] after the final-dot strip of
/// RFC 7622 §3.2, and the ASCII test of [`resourcepart`], each part at most
/// [`MAX_PART_BYTES`] long. `Some` exactly when the three would all take
/// their fast path and the lengths fit; the tests hold it to that. On
/// `None`, the caller prepares the parts one by one, which refuses or maps.
///
/// Eight bytes at a time, the bulk of an address (lowercase letters and
/// digits) is passed over; only the other bytes are looked at one by one.
#[inline]
pub(crate) fn ascii_jid(input: &str) -> Option<AsciiJid> {
    let bytes = input.as_bytes();
    // OR of the classes of the bytes since the start of the current part.
    let mut classes = 0u8;
    // Those of the localpart, once the first '@' ends it.
    let mut local_classes = 0u8;
    let mut at = None;
    let mut bare_end = bytes.len();
    // The label structure of hostname_ascii (RFC 5890 §2.3.1 LDH labels),
    // checked as if the current part were the domainpart: a part that turns
    // out to be the localpart is judged by its classes alone.
    let mut label_start = 0usize;
    let mut labels_ok = true;
    let mut start = 0;
    'bare: while start < bytes.len() {
        let (word, in_input) = chunk(bytes, start);
        if word & HIGH_BITS != 0 {
            // Not ASCII: for the PRECIS and IDNA machinery.
            return None;
        }
        let mut flagged = not_lowercase_alphanumeric(word) & in_input;
        while flagged != 0 {
            let index = start + flagged.trailing_zeros() as usize / 8;
            // Clear the lowest flag; each flagged byte has one bit set.
            flagged &= flagged - 1;
            let byte = *bytes.get(index)?;
            let class = class_of(byte);
            if class & MARK != 0 {
                // The byte before this one, within the label when it matters.
                let previous = || index.checked_sub(1).and_then(|i| bytes.get(i));
                let label_len = index - label_start;
                match byte {
                    b'/' => {
                        bare_end = index;
                        break 'bare;
                    }
                    b'@' if at.is_none() => {
                        at = Some(index);
                        local_classes = classes;
                        classes = 0;
                        label_start = index + 1;
                        labels_ok = true;
                        continue;
                    }
                    // A second '@' is no LDH character.
                    b'@' => classes |= NOT_LDH,
                    // Not first in a label, and not both third and fourth.
                    b'-' => {
                        labels_ok &=
                            label_len != 0 && !(label_len == 3 && previous() == Some(&b'-'));
                    }
                    // Every label before a dot is 1 to 63 bytes and does not
                    // end with a hyphen. A final dot is one of these too: the
                    // label it ends is the last once the dot is stripped.
                    _ => {
                        labels_ok &= label_len != 0
                            && label_len <= MAX_LABEL_BYTES
                            && previous() != Some(&b'-');
                        label_start = index + 1;
                    }
                }
            }
            classes |= class;
        }
        start += 8;
    }
    // The last label, unless a final dot already ended it (RFC 7622 §3.2).
    // (Before an empty domainpart is an '@' or nothing, never a dot.)
    let domain_start = at.map_or(0, |at| at + 1);
    let mut domain_end = bare_end;
    let last = bare_end.checked_sub(1).and_then(|i| bytes.get(i));
    if last == Some(&b'.') {
        domain_end -= 1;
    } else {
        let label_len = bare_end - label_start;
        labels_ok &= label_len != 0 && label_len <= MAX_LABEL_BYTES && last != Some(&b'-');
    }
    let domain_len = domain_end.checked_sub(domain_start)?;
    if !labels_ok || classes & NOT_LDH != 0 || domain_len == 0 || domain_len > MAX_PART_BYTES {
        return None;
    }
    if let Some(at) = at
        && (at == 0 || at > MAX_PART_BYTES || local_classes & NOT_LOCAL != 0)
    {
        return None;
    }
    if bare_end < bytes.len() {
        let resource_len = bytes.len() - bare_end - 1;
        // The check starts at the '/', which is in the range too.
        if resource_len == 0 || resource_len > MAX_PART_BYTES || !is_freeform_ascii(bytes, bare_end)
        {
            return None;
        }
    }
    Some(AsciiJid {
        at,
        domain_end,
        bare_end,
        lowercase: (classes | local_classes) & UPPER != 0,
    })
}

/// Every byte of a word set to 0x01.
const LOW_BITS: u64 = u64::from_le_bytes([0x01; 8]);
/// The high bit of every byte of a word.
const HIGH_BITS: u64 = u64::from_le_bytes([0x80; 8]);

/// The (up to) eight bytes of `bytes` from `start` on as a little-endian
/// word, with zero bytes past the end, and the high bits of the bytes that
/// are in `bytes`. `start` is less than the length.
#[inline(always)]
fn chunk(bytes: &[u8], start: usize) -> (u64, u64) {
    let eight = |from: usize| {
        bytes
            .get(from..from + 8)
            .and_then(|eight| <[u8; 8]>::try_from(eight).ok())
            .map(u64::from_le_bytes)
    };
    if let Some(word) = eight(start) {
        return (word, HIGH_BITS);
    }
    // 1 to 7 bytes are left; `gone` is how many of the eight are not.
    let gone = 8 - (bytes.len() - start);
    let word = match bytes.len().checked_sub(8).and_then(eight) {
        // The last eight bytes, shifted so that those before `start` drop out.
        Some(last) => last >> (8 * gone),
        // The whole input is shorter than eight bytes.
        None => bytes
            .get(start..)
            .unwrap_or_default()
            .iter()
            .rev()
            .fold(0, |word, &byte| word << 8 | u64::from(byte)),
    };
    (word, HIGH_BITS >> (8 * gone))
}

/// For a word of ASCII bytes, the high bit of each byte that is not a
/// lowercase letter or a digit: the bytes [`ascii_jid`] must look at.
#[inline(always)]
fn not_lowercase_alphanumeric(word: u64) -> u64 {
    // For a byte below 0x80, adding 0x80 - `low` sets its high bit exactly
    // when it is at least `low`, and never carries into the next byte.
    let at_least = |low: u8| word.wrapping_add(LOW_BITS * u64::from(0x80 - low));
    let lowercase = at_least(b'a') & !at_least(b'z' + 1);
    let digit = at_least(b'0') & !at_least(b'9' + 1);
    !(lowercase | digit) & HIGH_BITS
}

/// Whether every byte of `bytes` from `start` on is in U+0020..U+007E, the
/// FreeformClass's ASCII (RFC 8264 §9.11 and §9.14), eight at a time.
#[inline]
fn is_freeform_ascii(bytes: &[u8], mut start: usize) -> bool {
    while start < bytes.len() {
        let (word, in_input) = chunk(bytes, start);
        // A byte is outside when its high bit is set, when adding 0x01 sets
        // it (0x7F), or when adding 0x60 does not (below 0x20). Once no high
        // bit is set, neither addition carries into the next byte.
        let flagged = |high_bits: u64| high_bits & in_input != 0;
        if flagged(word | word.wrapping_add(LOW_BITS))
            || flagged(!word.wrapping_add(LOW_BITS * 0x60))
        {
            return false;
        }
        start += 8;
    }
    true
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
    match resourcepart_ascii(input) {
        Some(prepared) => Ok(prepared),
        None => resourcepart_precis(input, version).map(Prepared::from),
    }
}

/// The resourcepart fast path. For ASCII, OpaqueString reduces to this: the
/// FreeformClass allows U+0020..U+007E (RFC 8264 §9.11 and §9.14), only
/// non-ASCII spaces are mapped, and NFC changes nothing. Case is kept.
#[inline]
fn resourcepart_ascii(input: &str) -> Option<Prepared<'_>> {
    (!input.is_empty() && is_freeform_ascii(input.as_bytes(), 0))
        .then_some(Prepared::Verbatim(input))
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
            if let Some(fast) = resourcepart_ascii(&input) {
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

    /// What [`ascii_jid`] stands for, spelled out part by part: the split
    /// of RFC 7622 §3.1, the final-dot strip of RFC 7622 §3.2, each part's
    /// own fast path, and the length limit.
    fn ascii_jid_by_parts(input: &str) -> Option<AsciiJid> {
        let bare_end = input.find('/').unwrap_or(input.len());
        let bare = &input[..bare_end];
        let at = bare.find('@');
        let (node, domain) = match at {
            Some(at) => (Some(&bare[..at]), &bare[at + 1..]),
            None => (None, bare),
        };
        let stripped = domain.strip_suffix('.').unwrap_or(domain);
        let resource = input.get(bare_end + 1..);
        let fits = |part: &str| part.len() <= MAX_PART_BYTES;
        let mut lowercase = false;
        let mut take = |prepared: Option<Prepared<'_>>| match prepared {
            Some(Prepared::Verbatim(_)) => Some(()),
            Some(Prepared::AsciiLowercase(_)) => {
                lowercase = true;
                Some(())
            }
            Some(Prepared::Mapped(_)) | None => None,
        };
        if let Some(node) = node {
            take(localpart_ascii(node).filter(|_| fits(node)))?;
        }
        take(hostname_ascii(stripped).filter(|_| fits(stripped)))?;
        if let Some(resource) = resource {
            take(resourcepart_ascii(resource).filter(|_| fits(resource)))?;
        }
        Some(AsciiJid {
            at,
            domain_end: bare_end - (domain.len() - stripped.len()),
            bare_end,
            lowercase,
        })
    }

    /// JID-like text that reaches every branch of [`ascii_jid`]: separators
    /// in any number and place, dots and hyphens at label edges and in the
    /// third and fourth position, capitals, bytes each part refuses, long
    /// labels, and a few non-ASCII characters.
    fn ascii_jidish() -> impl Strategy<Value = String> {
        let label63 = "a".repeat(63);
        let pieces = prop::sample::select(vec![
            "a",
            "z",
            "A",
            "Z",
            "0",
            "9",
            "-",
            "--",
            ".",
            "..",
            "@",
            "/",
            " ",
            "_",
            "\"",
            "&",
            "'",
            ":",
            "<",
            ">",
            "[",
            "]",
            "+",
            "~",
            "`",
            "\u{7f}",
            "\t",
            "\u{0}",
            "\u{e9}",
            "\u{3a3}",
            "xn--",
            "ab--",
            "juliet",
            "capulet.example",
            "Example.COM",
            "bal cony",
        ]);
        let piece = prop_oneof![
            8 => pieces.prop_map(str::to_owned),
            1 => Just(label63.clone()),
            1 => Just(format!("{label63}b")),
            1 => Just(format!("{label63}.")),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        // The one-pass scan takes exactly what the parts' own fast paths
        // take, and splits it where they do.
        #[test]
        fn one_pass_scan_is_the_fast_paths_of_the_parts(input in ascii_jidish()) {
            prop_assert_eq!(ascii_jid(&input), ascii_jid_by_parts(&input), "{:?}", input);
        }

        #[test]
        fn one_pass_scan_agrees_on_any_ascii(input in "[\\x00-\\x7f]{0,40}") {
            prop_assert_eq!(ascii_jid(&input), ascii_jid_by_parts(&input), "{:?}", input);
        }

        // Eight bytes at a time, the flags are those of each byte alone,
        // whatever its neighbours (no carry crosses a byte).
        #[test]
        fn word_flags_are_those_of_each_byte(bytes in prop::array::uniform8(0u8..0x80)) {
            let flags = not_lowercase_alphanumeric(u64::from_le_bytes(bytes));
            for (k, byte) in bytes.iter().enumerate() {
                let flagged = flags >> (8 * k) & 0xff;
                let expected = if byte.is_ascii_lowercase() || byte.is_ascii_digit() { 0 } else { 0x80 };
                prop_assert_eq!(flagged, expected, "{:?}", bytes);
            }
        }

        #[test]
        fn freeform_ascii_words_are_checked_byte_by_byte(
            bytes in prop::collection::vec(any::<u8>(), 0..24),
            start in 0usize..24,
        ) {
            let start = start.min(bytes.len());
            let expected = bytes[start..].iter().all(|b| (0x20..=0x7e).contains(b));
            prop_assert_eq!(is_freeform_ascii(&bytes, start), expected, "{:?} from {}", bytes, start);
        }
    }

    #[test]
    fn byte_classes_are_those_of_the_fast_paths() {
        for byte in 0..=u8::MAX {
            let class = class_of(byte);
            let Some(ch) = char::from(byte).is_ascii().then_some(char::from(byte)) else {
                assert_eq!(class, NOT_LOCAL | NOT_LDH, "{byte:#x}");
                continue;
            };
            assert_eq!(class & UPPER != 0, ch.is_ascii_uppercase(), "{ch:?}");
            match ch {
                '/' | '@' => assert_eq!(class, MARK),
                // Taken by position: inside a localpart or a label, both are fine.
                '.' | '-' => {
                    assert_eq!(class, MARK);
                    let inside = format!("a{ch}b");
                    assert!(localpart_ascii(&inside).is_some());
                    assert!(hostname_ascii(&inside).is_some());
                }
                _ => {
                    let alone = ch.to_string();
                    assert_eq!(class & MARK, 0, "{ch:?}");
                    assert_eq!(
                        class & NOT_LOCAL == 0,
                        localpart_ascii(&alone).is_some(),
                        "{ch:?}"
                    );
                    assert_eq!(
                        class & NOT_LDH == 0,
                        hostname_ascii(&alone).is_some(),
                        "{ch:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn one_pass_scan_splits_the_common_cases() {
        let split = |at, domain_end, bare_end, lowercase| {
            Some(AsciiJid {
                at,
                domain_end,
                bare_end,
                lowercase,
            })
        };
        assert_eq!(
            ascii_jid("juliet@capulet.example/balcony"),
            split(Some(6), 22, 22, false)
        );
        assert_eq!(ascii_jid("capulet.example"), split(None, 15, 15, false));
        assert_eq!(
            ascii_jid("Romeo@Montague.example./Orchard"),
            split(Some(5), 22, 23, true)
        );
        assert_eq!(ascii_jid("a@b/c@d/e"), split(Some(1), 3, 3, false));
        // Shorter than a word, and empty.
        assert_eq!(ascii_jid("a@b/c"), split(Some(1), 3, 3, false));
        assert_eq!(ascii_jid(""), None);
        // Each part at 1023 bytes and at 1024.
        // Sixteen labels of 62 bytes and their dots, then one of 15 or 16.
        let long = |n| {
            format!(
                "{}{}",
                format!("{}.", "a".repeat(62)).repeat(16),
                "b".repeat(n - 1008)
            )
        };
        for (len, taken) in [(1023, true), (1024, false)] {
            let node = "n".repeat(len);
            assert_eq!(ascii_jid(&format!("{node}@x")).is_some(), taken);
            assert_eq!(ascii_jid(&long(len)).is_some(), taken);
            // The domainpart's length is counted from after the '@'.
            assert_eq!(ascii_jid(&format!("n@{}", long(len))).is_some(), taken);
            assert_eq!(ascii_jid(&format!("{}./r", long(len))).is_some(), taken);
            let resource = "r".repeat(len);
            assert_eq!(ascii_jid(&format!("x/{resource}")).is_some(), taken);
        }
        // Not ASCII, in any part, and refused bytes: the part-by-part path.
        for input in [
            "j\u{fc}liet@example.com",
            "example.com/\u{265a}",
            "a b@example.com",
            "a@exa_mple.com",
            "a@b/\t",
        ] {
            assert_eq!(ascii_jid(input), None, "{input:?}");
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
