//! String preparation (SASLprep) and the SCRAM `saslname` escaping.
//!
//! What is done and why is in the crate docs ("String preparation").

use std::borrow::Cow;

use crate::error::PrepError;

fn saslprep<'a>(field: &'static str, s: &'a str) -> Result<Cow<'a, str>, PrepError> {
    let prepared = stringprep::saslprep(s).map_err(|e| PrepError::Saslprep {
        field,
        reason: e.to_string(),
    })?;
    // RFC 5802 §5.1: "If the preparation of the username fails or results in an empty
    // string, the client SHOULD abort"; RFC 4616 §2 requires 1*SAFE for authcid and passwd.
    if prepared.is_empty() {
        return Err(PrepError::Empty { field });
    }
    // NUL is already prohibited by SASLprep (RFC 3454 table C.2.1), which PLAIN's framing
    // (RFC 4616 §2) relies on.
    Ok(prepared)
}

/// Prepares a username (authcid) for PLAIN and SCRAM.
pub(crate) fn username(s: &str) -> Result<Cow<'_, str>, PrepError> {
    saslprep("username", s)
}

/// Prepares a password as a stored string (RFC 5802 §2.2, RFC 4616 §2).
pub(crate) fn password(s: &str) -> Result<Cow<'_, str>, PrepError> {
    saslprep("password", s)
}

/// Checks an authorization identity. It is a JID in XMPP and is prepared by JID rules
/// (RFC 7622), not SASLprep, so it is only checked for what breaks the SASL framing.
pub(crate) fn authzid(s: &str) -> Result<&str, PrepError> {
    if s.is_empty() {
        return Err(PrepError::Empty { field: "authzid" });
    }
    if s.contains('\0') {
        return Err(PrepError::Nul { field: "authzid" });
    }
    Ok(s)
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
}
