//! Why a string is not a JID: every error names the part and the rule that failed.

use std::fmt;

/// The three parts of a JID (RFC 7622 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The part before the `@` (RFC 7622 §3.3), the "node".
    Localpart,
    /// The mandatory part, a domain name or an IP literal (RFC 7622 §3.2).
    Domainpart,
    /// The part after the `/` (RFC 7622 §3.4).
    Resourcepart,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Localpart => "localpart",
            Self::Domainpart => "domainpart",
            Self::Resourcepart => "resourcepart",
        })
    }
}

/// A string that is not a JID, or not the kind of JID that was asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JidError {
    /// A part is present but has no characters (`@example.com`, `juliet@`,
    /// `example.com/`), or there is no domainpart at all (`/foobar`).
    #[error("the {0} is empty; every part present must have 1 to 1023 bytes (RFC 7622 §3.1)")]
    Empty(Part),

    /// A part has more than 1023 bytes after preparation (RFC 7622 §3.1),
    /// or its input has more than 4092, which no preparation shrinks to
    /// 1023 and which is refused before any is tried.
    #[error(
        "the {part} has {len} bytes; at most 1023 are allowed after preparation (RFC 7622 §3.1)"
    )]
    TooLong {
        /// Which part.
        part: Part,
        /// Its length in bytes: after preparation, or, for input over 4092
        /// bytes, of the input.
        len: usize,
    },

    /// The part's string class forbids a character: the PRECIS IdentifierClass
    /// for the localpart (RFC 8265 §3.3), the FreeformClass for the resourcepart
    /// (RFC 8265 §4.2), IDNA2008 and STD3 for the domainpart (RFC 5890/5892),
    /// including characters whose contextual rule (CONTEXTJ/CONTEXTO) fails.
    #[error("the {part} contains {ch:?} (U+{:04X}), which its rules forbid", u32::from(*ch))]
    ForbiddenChar {
        /// Which part.
        part: Part,
        /// The offending character, after width mapping for the localpart.
        ch: char,
    },

    /// The localpart contains one of `" & ' / : < > @`, which XMPP excludes
    /// from localparts on top of the PRECIS profile (RFC 7622 §3.3.1).
    #[error("the localpart contains {0:?}, which RFC 7622 §3.3.1 excludes from localparts")]
    ExcludedLocalpartChar(char),

    /// The localpart has right-to-left characters and breaks the bidi rule
    /// (RFC 5893 §2, applied by RFC 8265 §3.3.3 step 5).
    #[error("the {0} breaks the bidi rule (RFC 5893 §2)")]
    Bidi(Part),

    /// Applying the part's rules again changes the result, so the string has
    /// no stable prepared form (RFC 8264 §7).
    #[error("the {0} does not reach a stable form under its PRECIS profile (RFC 8264 §7)")]
    Unstable(Part),

    /// The PRECIS library could not evaluate its rules on the part.
    #[error("the PRECIS rules could not be applied to the {0}")]
    Precis(Part),

    /// The domainpart is neither a valid domain name nor an IP literal.
    #[error("the domainpart is not valid: {0}")]
    InvalidDomain(DomainError),

    /// A bare JID was asked for, but the string has a resourcepart.
    #[error("a bare JID was expected, but this one has a resourcepart")]
    UnexpectedResource,

    /// A full JID was asked for, but the string has no resourcepart.
    #[error("a full JID was expected, but this one has no resourcepart")]
    MissingResource,
}

/// Why a domainpart is not a valid domain name or IP literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DomainError {
    /// Two dots in a row, a leading dot, or more than one trailing dot
    /// (RFC 1034 §3.1; RFC 7622 §3.2 strips only one trailing dot).
    EmptyLabel,
    /// A label is longer than 63 bytes in its ASCII (A-label) form, so the
    /// ToASCII operation that RFC 7622 §3.2 requires to succeed would fail
    /// (RFC 5890 §2.3.2.1, RFC 1035 §2.3.4).
    LabelTooLong,
    /// UTS #46 processing rejected the name: a disallowed code point, a
    /// hyphen in the first, last, or third and fourth position (RFC 5891
    /// §4.2.3.1), a broken bidi rule (RFC 5893), a joiner out of context
    /// (RFC 5892 Appendix A) or an `xn--` label that is not valid Punycode.
    Idna,
    /// Starts with `[` but is not a bracketed IPv6 address (RFC 3986 §3.2.2).
    Ipv6Literal,
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyLabel => f.write_str("a label is empty (RFC 1034 §3.1)"),
            Self::LabelTooLong => {
                f.write_str("a label has more than 63 bytes in ASCII form (RFC 5890 §2.3.2.1)")
            }
            Self::Idna => f.write_str(
                "it fails IDNA processing: disallowed code point, hyphen position, \
                 bidi rule, joiner context or bad Punycode (UTS #46 §4, RFC 5891)",
            ),
            Self::Ipv6Literal => f.write_str(
                "it starts with '[' but is not a bracketed IPv6 address (RFC 3986 §3.2.2)",
            ),
        }
    }
}
