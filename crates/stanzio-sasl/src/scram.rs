//! SCRAM message grammar (RFC 5802 §7) and the GS2 header, shared by client and server.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::prep;
use crate::{ChannelBindingType, Failure, SaslCondition};

/// The GS2 channel-binding flag the client sends (RFC 5802 §6, §7 `gs2-cbind-flag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Gs2Flag {
    /// `n`: the client does not bind, because it cannot, or because it deliberately
    /// continues without binding (XEP-0474 §7, or an explicit fallback).
    NoBinding,
    /// `y`: the client could bind but the server offered no `-PLUS` mechanism. A server
    /// that did offer `-PLUS` MUST fail this (RFC 5802 §6): it means someone removed them.
    ServerOfferedNoPlus,
    /// `p=<type>`: the client binds with this type (only with a `-PLUS` mechanism).
    Bind(ChannelBindingType),
}

/// `gs2-header` (RFC 5802 §7): `flag "," ["a=" saslname] ","`.
pub(crate) fn gs2_header(flag: Gs2Flag, authzid: Option<&str>) -> String {
    let mut header = match flag {
        Gs2Flag::NoBinding => String::from("n,"),
        Gs2Flag::ServerOfferedNoPlus => String::from("y,"),
        Gs2Flag::Bind(kind) => format!("p={},", kind.as_str()),
    };
    if let Some(authzid) = authzid {
        header.push_str("a=");
        header.push_str(&prep::escape_saslname(authzid));
    }
    header.push(',');
    header
}

/// The flag as the server received it: a `p=` type may be one we do not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReceivedFlag<'a> {
    N,
    Y,
    P(&'a str),
}

/// A parsed client-first-message.
#[derive(Debug)]
pub(crate) struct ClientFirst<'a> {
    /// The GS2 header exactly as received, trailing comma included (it goes into `c=`).
    pub(crate) gs2_header: &'a str,
    pub(crate) flag: ReceivedFlag<'a>,
    pub(crate) authzid: Option<String>,
    /// client-first-message-bare (it goes into AuthMessage).
    pub(crate) bare: &'a str,
    /// The unescaped, not yet prepared username.
    pub(crate) username: String,
    pub(crate) nonce: &'a str,
}

/// Splits `k=value`, where `k` is one ASCII letter (RFC 5802 §7 `attr-val`).
fn attribute(part: &str) -> Option<(u8, &str)> {
    let (key, value) = part.split_once('=')?;
    match key.as_bytes() {
        [k] if k.is_ascii_alphabetic() => Some((*k, value)),
        _ => None,
    }
}

/// RFC 5802 §7 `printable`: 0x21–0x7E except `,`; a nonce is at least one of them.
fn is_nonce(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x21..=0x7E).contains(&b) && b != b',')
}

fn malformed(text: &str) -> Failure {
    Failure::new(SaslCondition::MalformedRequest, text)
}

/// Parses a client-first-message (RFC 5802 §7). Errors carry the RFC 6120 condition.
pub(crate) fn parse_client_first(msg: &str) -> Result<ClientFirst<'_>, Failure> {
    let (flag_text, rest) = msg
        .split_once(',')
        .ok_or_else(|| malformed("client-first-message lacks a GS2 header"))?;
    let flag = match flag_text {
        "n" => ReceivedFlag::N,
        "y" => ReceivedFlag::Y,
        _ => match flag_text.strip_prefix("p=") {
            Some(name) if !name.is_empty() => ReceivedFlag::P(name),
            // RFC 5802 §5: a message not starting with n, y or p fails.
            _ => return Err(malformed("invalid GS2 channel-binding flag")),
        },
    };
    let (authzid_text, bare) = rest
        .split_once(',')
        .ok_or_else(|| malformed("GS2 header is not terminated"))?;
    let authzid = if authzid_text.is_empty() {
        None
    } else {
        let escaped = authzid_text
            .strip_prefix("a=")
            .ok_or_else(|| malformed("GS2 header has an attribute other than a="))?;
        Some(prep::unescape_saslname(escaped).ok_or_else(|| {
            Failure::new(
                SaslCondition::InvalidAuthzid,
                "authzid is not a valid saslname",
            )
        })?)
    };
    let gs2_header = msg.get(..msg.len() - bare.len()).unwrap_or_default();
    let mut parts = bare.split(',');
    let first = parts.next().and_then(attribute);
    let username = match first {
        // RFC 5802 §5.1 m: "the server MUST fail the authentication".
        Some((b'm', _)) => {
            return Err(malformed(
                "extensions-not-supported: mandatory extension m= is not supported",
            ));
        }
        Some((b'n', name)) => prep::unescape_saslname(name)
            .ok_or_else(|| malformed("invalid-username-encoding: n= is not a valid saslname"))?,
        _ => return Err(malformed("client-first-message-bare must start with n=")),
    };
    let nonce = match parts.next().and_then(attribute) {
        Some((b'r', nonce)) if is_nonce(nonce) => nonce,
        _ => return Err(malformed("client-first-message lacks a valid r= nonce")),
    };
    // Optional extensions: MUST be ignored (RFC 5802 §5.1), but they must be well formed.
    if !parts.all(|p| attribute(p).is_some()) {
        return Err(malformed("client-first-message has a malformed extension"));
    }
    Ok(ClientFirst {
        gs2_header,
        flag,
        authzid,
        bare,
        username,
        nonce,
    })
}

/// A parsed server-first-message.
#[derive(Debug)]
pub(crate) struct ServerFirst<'a> {
    pub(crate) nonce: &'a str,
    pub(crate) salt: Vec<u8>,
    /// `i=`; `None` when it is a valid posit-number that does not fit 32 bits.
    pub(crate) iterations: Option<u32>,
    /// XEP-0474 `h`.
    pub(crate) downgrade_hash: Option<&'a str>,
    /// XEP-0515 `t`.
    pub(crate) tls_version: Option<&'a str>,
}

/// Why a server message failed to parse, for the client's error mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseError {
    Malformed(&'static str),
    MandatoryExtension,
}

/// Parses `posit-number` (RFC 5802 §7: `%x31-39 *DIGIT`).
fn posit_number(s: &str) -> Result<Option<u32>, ParseError> {
    let valid = s.bytes().next().is_some_and(|b| (b'1'..=b'9').contains(&b))
        && s.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return Err(ParseError::Malformed("i= is not a positive decimal number"));
    }
    Ok(s.parse().ok())
}

/// Parses a server-first-message (RFC 5802 §7).
pub(crate) fn parse_server_first(msg: &str) -> Result<ServerFirst<'_>, ParseError> {
    let mut parts = msg.split(',').map(attribute);
    let nonce = match parts.next().flatten() {
        Some((b'm', _)) => return Err(ParseError::MandatoryExtension),
        Some((b'r', nonce)) if is_nonce(nonce) => nonce,
        _ => {
            return Err(ParseError::Malformed(
                "first attribute must be a valid r= nonce",
            ));
        }
    };
    let salt = match parts.next().flatten() {
        Some((b's', salt)) => BASE64
            .decode(salt)
            .ok()
            .filter(|s| !s.is_empty())
            .ok_or(ParseError::Malformed("s= is not non-empty base64"))?,
        _ => return Err(ParseError::Malformed("second attribute must be s=")),
    };
    let iterations = match parts.next().flatten() {
        Some((b'i', i)) => posit_number(i)?,
        _ => return Err(ParseError::Malformed("third attribute must be i=")),
    };
    let mut first = ServerFirst {
        nonce,
        salt,
        iterations,
        downgrade_hash: None,
        tls_version: None,
    };
    // A second `h` or `t` is refused rather than ignored or obeyed: XEP-0474 and XEP-0515
    // define one each, and which of two a client checks must not be a choice.
    for part in parts {
        match part {
            Some((b'h', h)) => {
                if first.downgrade_hash.replace(h).is_some() {
                    return Err(ParseError::Malformed("duplicate h= attribute"));
                }
            }
            Some((b't', t)) => {
                if first.tls_version.replace(t).is_some() {
                    return Err(ParseError::Malformed("duplicate t= attribute"));
                }
            }
            Some(_) => {}
            None => return Err(ParseError::Malformed("malformed extension attribute")),
        }
    }
    Ok(first)
}

/// A parsed client-final-message.
#[derive(Debug)]
pub(crate) struct ClientFinal<'a> {
    /// `c=`, decoded: gs2-header ‖ cbind-data.
    pub(crate) channel_binding: Vec<u8>,
    pub(crate) nonce: &'a str,
    /// client-final-message-without-proof (it goes into AuthMessage).
    pub(crate) without_proof: &'a str,
    pub(crate) proof: Vec<u8>,
}

/// Parses a client-final-message (RFC 5802 §7): `c=…,r=…[,ext…],p=…`.
pub(crate) fn parse_client_final(msg: &str) -> Result<ClientFinal<'_>, Failure> {
    let (without_proof, proof) = msg
        .rsplit_once(",p=")
        .ok_or_else(|| malformed("client-final-message lacks p="))?;
    let proof = BASE64
        .decode(proof)
        .map_err(|_| malformed("p= is not base64"))?;
    let mut parts = without_proof.split(',').map(attribute);
    let channel_binding = match parts.next().flatten() {
        Some((b'c', c)) => BASE64
            .decode(c)
            .map_err(|_| malformed("c= is not base64"))?,
        _ => return Err(malformed("client-final-message must start with c=")),
    };
    let nonce = match parts.next().flatten() {
        Some((b'r', nonce)) if is_nonce(nonce) => nonce,
        _ => return Err(malformed("client-final-message lacks a valid r= nonce")),
    };
    if !parts.all(|p| p.is_some()) {
        return Err(malformed("client-final-message has a malformed extension"));
    }
    Ok(ClientFinal {
        channel_binding,
        nonce,
        without_proof,
        proof,
    })
}

/// A parsed server-final-message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ServerFinal {
    Verifier(Vec<u8>),
    Error(String),
}

/// Parses a server-final-message (RFC 5802 §7): `e=…` or `v=…`, then extensions.
pub(crate) fn parse_server_final(msg: &str) -> Result<Option<ServerFinal>, ParseError> {
    let mut parts = msg.split(',').map(attribute);
    let outcome = match parts.next().flatten() {
        Some((b'm', _)) => return Err(ParseError::MandatoryExtension),
        Some((b'e', e)) => Some(ServerFinal::Error(e.to_owned())),
        Some((b'v', v)) => Some(ServerFinal::Verifier(
            BASE64
                .decode(v)
                .map_err(|_| ParseError::Malformed("v= is not base64"))?,
        )),
        Some(_) => None,
        None => return Err(ParseError::Malformed("not an attribute list")),
    };
    if !parts.all(|p| p.is_some()) {
        return Err(ParseError::Malformed("malformed extension attribute"));
    }
    Ok(outcome)
}

/// AuthMessage (RFC 5802 §3): client-first-bare "," server-first "," client-final-without-proof.
pub(crate) fn auth_message(
    client_first_bare: &str,
    server_first: &str,
    final_bare: &str,
) -> Vec<u8> {
    [client_first_bare, server_first, final_bare]
        .join(",")
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gs2_headers() {
        assert_eq!(gs2_header(Gs2Flag::NoBinding, None), "n,,");
        assert_eq!(gs2_header(Gs2Flag::ServerOfferedNoPlus, None), "y,,");
        assert_eq!(
            gs2_header(
                Gs2Flag::Bind(ChannelBindingType::TlsExporter),
                Some("a=b,c")
            ),
            "p=tls-exporter,a=a=3Db=2Cc,"
        );
        // RFC 5802 §7: with `n` or `y`, c= is the base64 of the GS2 header alone.
        assert_eq!(BASE64.encode("n,,"), "biws");
        assert_eq!(BASE64.encode("y,,"), "eSws");
    }

    #[test]
    fn client_first_parses() {
        let m = parse_client_first("p=tls-unique,a=jul=3Diet,n=us=2Cer,r=abc,x=1").unwrap();
        assert_eq!(m.gs2_header, "p=tls-unique,a=jul=3Diet,");
        assert_eq!(m.authzid.as_deref(), Some("jul=iet"));
        assert_eq!(m.flag, ReceivedFlag::P("tls-unique"));
        assert_eq!(m.bare, "n=us=2Cer,r=abc,x=1");
        assert_eq!(m.username, "us,er");
        assert_eq!(m.nonce, "abc");
        // An invalid authzid escape: invalid-authzid (the a= value contains "=40").
        let e = parse_client_first("n,a=x=40y,n=u,r=a").unwrap_err();
        assert_eq!(e.condition, SaslCondition::InvalidAuthzid);
    }

    #[test]
    fn client_first_rejections() {
        for bad in [
            "",
            "n",
            "n,",
            "x,,n=u,r=a",
            "p=,,n=u,r=a",
            "n,b=x,n=u,r=a",
            "n,,m=x,n=u,r=a",
            "n,,n=u",
            "n,,n=u,r=",
            "n,,n=u,r=a b",
            "n,,r=a,n=u",
            "n,,n=a=b,r=x",
            "n,,n=u,r=a,bad",
            "n,,n=u,r=a,xy=1",
        ] {
            assert!(parse_client_first(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn server_first_rejections() {
        use ParseError::*;
        let cases: [(&str, ParseError); 8] = [
            ("m=x,r=a,s=QQ==,i=1", MandatoryExtension),
            (
                "s=QQ==,r=a,i=1",
                Malformed("first attribute must be a valid r= nonce"),
            ),
            ("r=a,s=!!,i=1", Malformed("s= is not non-empty base64")),
            ("r=a,s=,i=1", Malformed("s= is not non-empty base64")),
            (
                "r=a,s=QQ==,i=0",
                Malformed("i= is not a positive decimal number"),
            ),
            (
                "r=a,s=QQ==,i=01",
                Malformed("i= is not a positive decimal number"),
            ),
            ("r=a,s=QQ==", Malformed("third attribute must be i=")),
            (
                "r=a,s=QQ==,i=1,",
                Malformed("malformed extension attribute"),
            ),
        ];
        for (msg, expected) in cases {
            assert_eq!(parse_server_first(msg).unwrap_err(), expected, "{msg}");
        }
        let big = parse_server_first("r=a,s=QQ==,i=99999999999,h=x,t=0304,z=q").unwrap();
        assert_eq!(big.iterations, None);
        assert_eq!(big.downgrade_hash, Some("x"));
        assert_eq!(big.tls_version, Some("0304"));
    }

    #[test]
    fn client_final_keeps_extensions_in_the_bare_part() {
        let m = parse_client_final("c=biws,r=ab,x=1,p=AAAA").unwrap();
        assert_eq!(m.without_proof, "c=biws,r=ab,x=1");
        assert_eq!(m.channel_binding, b"n,,");
        assert_eq!(m.proof, [0, 0, 0]);
        for bad in [
            "c=biws,r=ab",
            "r=ab,c=biws,p=AAAA",
            "c=biws,p=AAAA",
            "c=b,r=ab,p=AAAA",
        ] {
            assert!(parse_client_final(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn server_final_forms() {
        assert_eq!(
            parse_server_final("v=AAAA,x=1").unwrap(),
            Some(ServerFinal::Verifier(vec![0, 0, 0]))
        );
        assert_eq!(
            parse_server_final("e=invalid-proof").unwrap(),
            Some(ServerFinal::Error("invalid-proof".into()))
        );
        assert_eq!(parse_server_final("x=1").unwrap(), None);
        assert_eq!(
            parse_server_final("m=1").unwrap_err(),
            ParseError::MandatoryExtension
        );
        assert!(parse_server_final("").is_err());
        assert!(parse_server_final("v=!").is_err());
    }

    /// RFC 5802 §5.1 `m`: "the server MUST fail the authentication", with the
    /// `extensions-not-supported` server-error-value (§7).
    #[test]
    fn server_refuses_a_mandatory_extension() {
        let e = parse_client_first("n,,m=x,n=user,r=abc").unwrap_err();
        assert_eq!(
            e,
            Failure::new(
                SaslCondition::MalformedRequest,
                "extensions-not-supported: mandatory extension m= is not supported"
            )
        );
    }

    /// RFC 5802 §7 `printable`: a nonce is 0x21-0x7E except `,`; anything else is malformed
    /// wherever a nonce appears.
    #[test]
    fn nonces_must_be_printable() {
        for nonce in ["", "a b", "a\u{7f}", "é", "a\tb"] {
            assert_eq!(
                parse_server_first(&format!("r={nonce},s=QQ==,i=4096")).unwrap_err(),
                ParseError::Malformed("first attribute must be a valid r= nonce"),
                "{nonce:?}"
            );
            assert_eq!(
                parse_client_final(&format!("c=biws,r={nonce},p=AAAA")).unwrap_err(),
                malformed("client-final-message lacks a valid r= nonce"),
                "{nonce:?}"
            );
            assert_eq!(
                parse_client_first(&format!("n,,n=user,r={nonce}")).unwrap_err(),
                malformed("client-first-message lacks a valid r= nonce"),
                "{nonce:?}"
            );
        }
        assert_eq!(parse_server_first("r=!~,s=QQ==,i=1").unwrap().nonce, "!~");
        assert_eq!(
            parse_client_final("c=biws,r=!~,p=AAAA").unwrap().nonce,
            "!~"
        );
    }

    #[test]
    fn duplicate_downgrade_attributes_are_refused() {
        assert_eq!(
            parse_server_first("r=a,s=QQ==,i=1,h=AAAA,h=BBBB").unwrap_err(),
            ParseError::Malformed("duplicate h= attribute")
        );
        assert_eq!(
            parse_server_first("r=a,s=QQ==,i=1,t=0304,x=1,t=0303").unwrap_err(),
            ParseError::Malformed("duplicate t= attribute")
        );
        let one = parse_server_first("r=a,s=QQ==,i=1,h=AAAA,t=0304").unwrap();
        assert_eq!(one.downgrade_hash, Some("AAAA"));
        assert_eq!(one.tls_version, Some("0304"));
    }

    /// RFC 5802 §7 `attr-val`: the attribute name is one ASCII letter.
    #[test]
    fn attribute_names_are_single_letters() {
        assert_eq!(attribute("x=1"), Some((b'x', "1")));
        assert_eq!(attribute("Z="), Some((b'Z', "")));
        for bad in ["1=x", "xy=1", "=1", "é=1", "-=1", "x"] {
            assert_eq!(attribute(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_server_first("r=a,s=QQ==,i=1,1=x").unwrap_err(),
            ParseError::Malformed("malformed extension attribute")
        );
        assert_eq!(
            parse_client_first("n,,n=user,r=abc,1=x").unwrap_err(),
            malformed("client-first-message has a malformed extension")
        );
    }
}
