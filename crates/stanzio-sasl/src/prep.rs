//! String preparation: SASLprep (RFC 4013) exactly as RFC 3454 defines it on Unicode 3.2,
//! and the SCRAM `saslname` escaping. Why each step is done the way it is: the manual,
//! "String preparation".

use std::borrow::Cow;

use stringprep::tables;
use unicode_normalization::UnicodeNormalization;

use crate::error::PrepError;
use crate::rfc3454;

/// Whether unassigned code points are allowed (RFC 3454 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringKind {
    /// A query string (a SCRAM username, RFC 5802 §5.1): unassigned code points pass.
    Query,
    /// A stored string (a password, RFC 5802 §2.2): unassigned code points are refused.
    Stored,
}

/// The CJK compatibility ideographs whose decomposition Unicode 4.0 corrected (Corrigendum
/// #4), each with its Unicode 3.2 mapping, which stringprep keeps (RFC 3454 §4 names
/// Unicode 3.2). All five are singletons onto unified ideographs that decompose no
/// further, so replacing them before NFKC gives the Unicode 3.2 result.
const CORRIGENDUM_4: [(char, char); 5] = [
    ('\u{2F868}', '\u{2136A}'),
    ('\u{2F874}', '\u{5F33}'),
    ('\u{2F91F}', '\u{43AB}'),
    ('\u{2F95F}', '\u{7AAE}'),
    ('\u{2F9BF}', '\u{4D57}'),
];

/// NFKC with the Unicode 3.2 data (RFC 4013 §2.2, RFC 3454 §4). For code points assigned in
/// 3.2, today's tables give the 3.2 result except for the five [`CORRIGENDUM_4`]
/// characters (checked for every such code point by `nfkc_matches_unicode_3_2`). A code
/// point unassigned in 3.2 (table A.1, allowed in query strings) had no decomposition and
/// combining class 0 there, so it neither changes nor reorders nor composes with its
/// neighbours: the text on each side of it is normalized on its own.
pub(crate) fn nfkc_unicode_3_2(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut segment = String::new();
    for c in s.chars() {
        if tables::unassigned_code_point(c) {
            out.extend(segment.nfkc());
            segment.clear();
            out.push(c);
        } else {
            let corrected = CORRIGENDUM_4.iter().find(|(from, _)| *from == c);
            segment.push(corrected.map_or(c, |&(_, to)| to));
        }
    }
    out.extend(segment.nfkc());
    out
}

/// RFC 4013 §2.3: the prohibited output, tables C.1.2 and C.2.1 to C.9 of RFC 3454.
fn prohibited(c: char) -> bool {
    tables::non_ascii_space_character(c)
        || tables::ascii_control_character(c)
        || tables::non_ascii_control_character(c)
        || tables::private_use(c)
        || tables::non_character_code_point(c)
        || tables::surrogate_code(c)
        || tables::inappropriate_for_plain_text(c)
        || tables::inappropriate_for_canonical_representation(c)
        || tables::change_display_properties_or_deprecated(c)
        || tables::tagging_character(c)
}

/// RFC 3454 §6 rules 2 and 3 (rule 1, table C.8, is part of [`prohibited`]): a string with
/// a RandALCat character has no LCat character and starts and ends with RandALCat.
fn bidi_ok(s: &str) -> bool {
    let rand_al = |c: char| rfc3454::contains(&rfc3454::D1_RAND_AL, c);
    if !s.chars().any(rand_al) {
        return true;
    }
    !s.chars().any(|c| rfc3454::contains(&rfc3454::D2_L, c))
        && s.chars().next().is_some_and(rand_al)
        && s.chars().next_back().is_some_and(rand_al)
}

fn saslprep<'a>(
    field: &'static str,
    s: &'a str,
    kind: StringKind,
) -> Result<Cow<'a, str>, PrepError> {
    let refuse = |reason: String| PrepError::Saslprep { field, reason };
    // RFC 3454 §7: stored strings contain no unassigned code point. Checked on the input,
    // as the Unicode 3.2 mapping of an assigned code point is always assigned.
    if kind == StringKind::Stored
        && let Some(c) = s.chars().find(|&c| tables::unassigned_code_point(c))
    {
        return Err(refuse(format!(
            "U+{:04X} is unassigned in Unicode 3.2 (RFC 3454 table A.1)",
            u32::from(c)
        )));
    }
    // Printable ASCII maps to itself and has no bidirectional characters.
    let prepared = if s.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        Cow::Borrowed(s)
    } else {
        // RFC 4013 §2.1: non-ASCII spaces to SPACE, table B.1 to nothing.
        let mapped: String = s
            .chars()
            .filter(|&c| !tables::commonly_mapped_to_nothing(c))
            .map(|c| {
                if tables::non_ascii_space_character(c) {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        let normalized = nfkc_unicode_3_2(&mapped);
        if let Some(c) = normalized.chars().find(|&c| prohibited(c)) {
            return Err(refuse(format!(
                "U+{:04X} is prohibited (RFC 4013 §2.3)",
                u32::from(c)
            )));
        }
        if !bidi_ok(&normalized) {
            return Err(refuse(
                "mixes right-to-left and left-to-right text (RFC 3454 §6)".to_owned(),
            ));
        }
        Cow::Owned(normalized)
    };
    // RFC 5802 §5.1: "If the preparation of the username fails or results in an empty
    // string, the client SHOULD abort"; RFC 4616 §2 requires 1*SAFE for authcid and passwd.
    if prepared.is_empty() {
        return Err(PrepError::Empty { field });
    }
    Ok(prepared)
}

/// Prepares a username (authcid) as a query string (RFC 5802 §5.1).
pub(crate) fn username(s: &str) -> Result<Cow<'_, str>, PrepError> {
    saslprep("username", s, StringKind::Query)
}

/// Prepares a password as a stored string (RFC 5802 §2.2).
pub(crate) fn password(s: &str) -> Result<Cow<'_, str>, PrepError> {
    saslprep("password", s, StringKind::Stored)
}

/// Checks a PLAIN authcid or password the client sends as typed (RFC 4616 §2 leaves
/// preparation to the server): only what the message cannot carry is refused, emptiness
/// (`1*SAFE`) and NUL (the separator).
pub(crate) fn plain_field<'a>(field: &'static str, s: &'a str) -> Result<&'a str, PrepError> {
    if s.is_empty() {
        return Err(PrepError::Empty { field });
    }
    if s.contains('\0') {
        return Err(PrepError::Nul { field });
    }
    Ok(s)
}

/// Checks an authorization identity. It is a JID in XMPP and is prepared by JID rules
/// (RFC 7622), not SASLprep, so it is only checked for what breaks the SASL framing.
pub(crate) fn authzid(s: &str) -> Result<&str, PrepError> {
    plain_field("authzid", s)
}

/// Escapes a `saslname` (RFC 5802 §5.1): `,` becomes `=2C` and `=` becomes `=3D`.
pub(crate) fn escape_saslname(s: &str) -> Cow<'_, str> {
    if !s.contains([',', '=']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            ',' => out.push_str("=2C"),
            '=' => out.push_str("=3D"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Reverses [`escape_saslname`]. `None` when the name is empty, holds NUL or `,`, or an
/// `=` that does not start `=2C` or `=3D` (RFC 5802 §5.1: "the server MUST fail"). ABNF
/// literals are case-insensitive (RFC 5234 §2.3), so `=2c` and `=3d` are accepted too.
pub(crate) fn unescape_saslname(s: &str) -> Option<String> {
    if s.is_empty() || s.contains(['\0', ',']) {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('=') {
        let (plain, tail) = rest.split_at(pos);
        out.push_str(plain);
        let code = tail.get(1..3)?;
        if code.eq_ignore_ascii_case("2C") {
            out.push(',');
        } else if code.eq_ignore_ascii_case("3D") {
            out.push('=');
        } else {
            return None;
        }
        rest = tail.get(3..)?;
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HashAlgorithm;

    fn hex_sha256(data: &[u8]) -> String {
        HashAlgorithm::Sha256
            .digest(data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn escaping_round_trips() {
        for s in ["user", "a,b", "a=b", "=,=", "é=,ü", ",", "="] {
            let escaped = escape_saslname(s);
            assert!(!escaped.contains(','));
            assert_eq!(unescape_saslname(&escaped).as_deref(), Some(s));
        }
        assert_eq!(escape_saslname("a,b=c"), "a=2Cb=3Dc");
    }

    #[test]
    fn unescape_rejects_bad_sequences() {
        for bad in ["a=", "a=2", "a=3E", "a=xx", "", "a,b", "a\0b", "=é1"] {
            assert_eq!(unescape_saslname(bad), None, "{bad:?}");
        }
        assert_eq!(unescape_saslname("a=2cb=3d").as_deref(), Some("a,b="));
    }

    #[test]
    fn saslprep_rfc4013_examples() {
        // RFC 4013 §3 examples.
        assert_eq!(username("I\u{AD}X").unwrap(), "IX");
        assert_eq!(username("user").unwrap(), "user");
        assert_eq!(username("USER").unwrap(), "USER");
        assert_eq!(password("\u{AA}").unwrap(), "a");
        assert_eq!(password("\u{2168}").unwrap(), "IX");
        assert!(matches!(password("\u{7}"), Err(PrepError::Saslprep { .. })));
        assert!(matches!(
            password("\u{627}1"),
            Err(PrepError::Saslprep { .. })
        ));
        // Non-ASCII space maps to ASCII space (RFC 4013 §2.1).
        assert_eq!(password("a\u{A0}b").unwrap(), "a b");
        // Only "mapped to nothing" characters: empty after preparation.
        assert!(matches!(username("\u{AD}"), Err(PrepError::Empty { .. })));
        assert!(matches!(username(""), Err(PrepError::Empty { .. })));
    }

    /// Unicode 4.0 Corrigendum #4 changed U+2F874's decomposition from U+5F33 to U+5F53;
    /// SASLprep keeps Unicode 3.2's (as Prosody, ejabberd and scramp do), or a password
    /// holding it derives other keys here than on every other server.
    #[test]
    fn corrigendum_4_characters_keep_their_unicode_3_2_mapping() {
        assert_eq!(password("\u{2F874}").unwrap(), "\u{5F33}");
        assert_eq!(username("a\u{2F874}b").unwrap(), "a\u{5F33}b");
        // All five, against `unicodedata.ucd_3_2_0.normalize('NFKC', c)`.
        let expected = ["\u{2136A}", "\u{5F33}", "\u{43AB}", "\u{7AAE}", "\u{4D57}"];
        for ((c, _), want) in CORRIGENDUM_4.iter().zip(expected) {
            assert_eq!(
                password(&c.to_string()).unwrap(),
                want,
                "U+{:X}",
                u32::from(*c)
            );
        }
    }

    /// U+1D2C MODIFIER LETTER CAPITAL A came with Unicode 4.0 (today it folds to "A"). In a
    /// password, a stored string, it is refused (RFC 3454 §7); in a username, a query
    /// string, it passes unchanged, as Unicode 3.2 had no mapping for it.
    #[test]
    fn code_points_unassigned_in_unicode_3_2() {
        assert!(matches!(
            password("\u{1D2C}"),
            Err(PrepError::Saslprep {
                field: "password",
                ..
            })
        ));
        assert_eq!(username("\u{1D2C}").unwrap(), "\u{1D2C}");
        // Nor does it compose or reorder with its neighbours: U+0301 after it stays.
        assert_eq!(username("e\u{1D2C}\u{301}").unwrap(), "e\u{1D2C}\u{301}");
        assert_eq!(username("e\u{301}\u{1D2C}").unwrap(), "\u{E9}\u{1D2C}");
    }

    /// Bidirectional properties as of Unicode 3.2 (RFC 3454 tables D.1 and D.2): U+2800
    /// (Braille) was ON there and is L today, so it may follow Hebrew.
    #[test]
    fn bidi_uses_unicode_3_2_properties() {
        assert_eq!(
            password("\u{5D0}\u{2800}\u{5D0}").unwrap(),
            "\u{5D0}\u{2800}\u{5D0}"
        );
        assert!(password("\u{5D0}a\u{5D0}").is_err());
        assert!(password("\u{5D0}1").is_err());
        assert_eq!(password("\u{5D0}1\u{5D0}").unwrap(), "\u{5D0}1\u{5D0}");
    }

    /// SHA-256 over `"{code point:X} {NFKC as code points:X}\n"` for every code point
    /// assigned in Unicode 3.2 (not in table A.1, not a surrogate), from Python:
    ///
    /// ```text
    /// python3 -c 'import hashlib, stringprep, unicodedata as u
    /// h = hashlib.sha256()
    /// for c in range(0x110000):
    ///     if 0xD800 <= c <= 0xDFFF or stringprep.in_table_a1(chr(c)): continue
    ///     out = " ".join("%X" % ord(x) for x in u.ucd_3_2_0.normalize("NFKC", chr(c)))
    ///     h.update(("%X %s\n" % (c, out)).encode())
    /// print(h.hexdigest())'
    /// ```
    #[test]
    fn nfkc_matches_unicode_3_2() {
        let mut input = Vec::new();
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            if tables::unassigned_code_point(c) {
                continue;
            }
            let out: Vec<String> = nfkc_unicode_3_2(&c.to_string())
                .chars()
                .map(|x| format!("{:X}", u32::from(x)))
                .collect();
            input.extend_from_slice(format!("{:X} {}\n", u32::from(c), out.join(" ")).as_bytes());
        }
        assert_eq!(hex_sha256(&input), NFKC_3_2_DIGEST);
    }

    const NFKC_3_2_DIGEST: &str =
        "4c1c432bfcff4e5b9f6e08edadd556e8be0432e929cdd6c0bd3cd2ef222dd290";

    /// SHA-256 over `"{code point:X} {in D.1 as 0/1}{in D.2 as 0/1}\n"` for every code point
    /// in D.1 or D.2, from Python's `stringprep.in_table_d1` and `in_table_d2`:
    ///
    /// ```text
    /// python3 -c 'import hashlib, stringprep as s
    /// h = hashlib.sha256()
    /// for c in range(0x110000):
    ///     if 0xD800 <= c <= 0xDFFF: continue
    ///     d1, d2 = s.in_table_d1(chr(c)), s.in_table_d2(chr(c))
    ///     if d1 or d2: h.update(("%X %d%d\n" % (c, d1, d2)).encode())
    /// print(h.hexdigest())'
    /// ```
    #[test]
    fn bidi_tables_match_rfc3454() {
        let mut input = Vec::new();
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            let d1 = rfc3454::contains(&rfc3454::D1_RAND_AL, c);
            let d2 = rfc3454::contains(&rfc3454::D2_L, c);
            if d1 || d2 {
                input.extend_from_slice(
                    format!("{:X} {}{}\n", u32::from(c), u8::from(d1), u8::from(d2)).as_bytes(),
                );
            }
        }
        assert_eq!(hex_sha256(&input), BIDI_3_2_DIGEST);
    }

    const BIDI_3_2_DIGEST: &str =
        "91c18893e719baadf616153417726cd6130cfea688b6ed3308cc2b003a084a8d";
}
