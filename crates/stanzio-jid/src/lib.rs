//! XMPP addresses (JIDs), prepared and compared as RFC 7622 says.
//!
//! ```
//! use stanzio_jid::{BareJid, Jid};
//!
//! let jid: Jid = "Juliet@Example.COM/Balcony".parse()?;
//! assert_eq!(jid, "juliet@example.com/Balcony".parse::<Jid>()?);
//! assert_eq!(jid.node(), Some("juliet"));
//! assert_eq!(jid.domain(), "example.com");
//! assert_eq!(jid.resource(), Some("Balcony"));
//!
//! let bare: BareJid = jid.to_bare();
//! assert_eq!(bare.to_string(), "juliet@example.com");
//! let full = bare.with_resource("Orchard")?;
//! assert_eq!(full.resource(), "Orchard");
//! # Ok::<(), stanzio_jid::JidError>(())
//! ```
//!
//! # Types
//!
//! [`Jid`] is any address; [`BareJid`] is one without a resourcepart (roster
//! items, account addresses) and [`FullJid`] one with (bound resources). Both
//! dereference to [`Jid`], convert into it for free, and compare equal to it
//! when the text is the same. Stanza `from`/`to` attributes are `Option<Jid>`.
//!
//! # Design
//!
//! **What is prepared how.** Parsing splits the input at the first `/`, then
//! splits what precedes it at the first `@`, before any mapping, so a mapped
//! character can never become a separator (RFC 7622 §3.1). Then:
//!
//! - the localpart is enforced with the PRECIS *UsernameCaseMapped* profile
//!   (RFC 8265 §3.3: width mapping, lowercasing, NFC, bidi rule), and the
//!   characters `" & ' / : < > @` are refused on top, as RFC 7622 §3.3.1 asks;
//! - the resourcepart is enforced with *OpaqueString* (RFC 8265 §4.2: non-ASCII
//!   spaces become U+0020, NFC); its case is kept;
//! - the domainpart loses one trailing dot first (RFC 7622 §3.2). A bracketed
//!   IPv6 address is stored in its RFC 5952 text; a dotted-quad IPv4 address is
//!   a valid LDH name and stays as it is. Anything else goes through
//!   non-transitional UTS #46 *ToUnicode* with the STD3 rules and hyphen checks
//!   (case, width and compatibility mapping, A-labels decoded, bidi and joiner
//!   rules), then each label is checked for what IDNA2008 adds: no code point
//!   that RFC 5892 disallows (symbols such as `♚` pass UTS #46 but not this),
//!   and at most 63 bytes in A-label form so that ToASCII would succeed.
//! - every part must then have 1 to 1023 bytes (RFC 7622 §3.1). Input of
//!   more than 4092 bytes for one part is refused before any mapping: no
//!   mapping shrinks text by more than four to one, so it could not fit,
//!   and refusing it first bounds the work a peer can cause. (UTS #46
//!   removes some code points outright, such as the soft hyphen; a
//!   domainpart padded with thousands of them is refused too.)
//!
//! Preparation is repeated until stable (RFC 8264 §7), so the text of a
//! [`Jid`] always parses back to the same [`Jid`] (with the constructor that
//! made it: see [Which Unicode version](#which-unicode-version)).
//!
//! **What is stored.** The prepared text, once, in a single `Box<str>`, with
//! the positions of the `@` and `/` as `u16` indices: a [`Jid`] is 24 bytes
//! plus one heap block, clones with one allocation and compares, hashes and
//! orders as a plain string. The domainpart is stored as U-labels (Unicode),
//! because RFC 7622 §3.2 compares domainparts in that form and XMPP sends it
//! that way on the wire; `xn--bcher-kva.example` and `Bücher.example` both
//! become `bücher.example`. Call `idna::domain_to_ascii` on
//! [`Jid::domain`] when you need the A-label form for DNS.
//!
//! **What is compared.** Equality, ordering and hashing use the prepared text,
//! byte for byte, which is the comparison of RFC 7622 §3.2–§3.4: two JIDs are
//! equal when their prepared parts are. Localpart and domainpart are
//! case-insensitive that way; the resourcepart is not.
//!
//! **Why it is fast.** The stanza layer parses `from` and `to` on every
//! stanza. ASCII parts take a fast path that checks bytes against the ASCII
//! subset of each profile (which the tests prove equal to the full profile on
//! ASCII input) and lowercases while copying, so an ASCII JID costs exactly
//! one allocation and never touches the Unicode tables. For a whole ASCII
//! JID, one pass over its bytes, eight at a time, finds the separators and
//! checks all three parts; a JID already in prepared form is then copied
//! whole. Non-ASCII parts go through `precis-profiles` and `idna`.
//!
//! **What is refused that other libraries accept.** Following RFC 7622 to the
//! letter, underscores and other non-LDH ASCII characters in domain names,
//! `--` in the third and fourth position of a non-`xn--` label, and emoji or
//! other symbols in domain names are errors.
//!
//! # Which Unicode version
//!
//! RFC 7622 §3 leaves what a localpart or resourcepart may hold to the PRECIS
//! profiles, and PRECIS decides what each string class allows from the
//! Unicode properties of a code point, with the algorithm of RFC 8264 §8
//! over the categories of §9: it is meant to follow new Unicode versions
//! rather than freeze one.
//! The values IANA registers (RFC 8264 §11.1), which `precis-core` carries,
//! are those of Unicode 6.3: a code point assigned since 2013 is UNASSIGNED
//! there (§9.10), and every profile refuses unassigned code points. Servers
//! use newer versions, so they route `room@muc.example/🥺` (U+1F97A is from
//! Unicode 11) and every presence of that occupant carries it.
//!
//! So there are two constructors, by where the address comes from:
//!
//! - [`Jid::new`] (and `FromStr`, [`Jid::from_parts`],
//!   [`Jid::with_resource`]) uses the registered values only. An address
//!   stanzio prepares itself is then one that PRECIS implementations of
//!   Unicode 6.3 or later accept; `a@b/🥺` is refused with
//!   [`JidError::ForbiddenChar`].
//! - [`Jid::from_received`] (and [`BareJid::from_received`],
//!   [`FullJid::from_received`]) is for addresses received from a peer. It
//!   keeps the registered value of every code point Unicode 6.3 assigns; a
//!   code point that Unicode 6.3 leaves unassigned gets the value §8
//!   derives from the Unicode data of this build (`icu_properties`). An
//!   emoji is a symbol (§9.15): allowed in a resourcepart (FreeformClass),
//!   refused in a localpart (IdentifierClass) as every symbol is; a letter
//!   is allowed in both; a default-ignorable code point or one still
//!   unassigned is refused everywhere. Everything else is as in RFC 7622 §3:
//!   the same mappings, the same exclusions, the same limits, and the
//!   domainpart's labels checked against the IdentifierClass at the same
//!   version. What [`Jid::new`] accepts, [`Jid::from_received`] accepts
//!   with the same result.
//!
//! The text of a JID parses back to the same JID with the constructor that
//! made it. A received JID's text may hold code points that [`Jid::new`]
//! refuses, which is why deserializing (`serde` feature) uses
//! [`Jid::from_received`]: stored addresses were received once.
//!
//! The mapping rules (width and case mapping, NFC, the bidi rule) follow a
//! current Unicode version in both constructors, through `precis-profiles`
//! and the standard library. The contextual rules of RFC 5892 Appendix A
//! (joiners, middle dot and the like) read the script and joining data of
//! `precis-core`, Unicode 6.3, in both.
//!
//! # Features
//!
//! - `serde`: [`Jid`], [`BareJid`] and [`FullJid`] serialize as their text and
//!   deserialize by parsing it as a received address
//!   ([`Jid::from_received`]).
//! - `jid`: fallible conversions to and from the `jid` crate's types, for
//!   users of `xmpp-parsers`. They are fallible both ways because that crate
//!   applies the older stringprep rules of RFC 6122.

mod address;
#[cfg(feature = "jid")]
mod compat;
mod error;
mod prep;
#[cfg(feature = "serde")]
mod serde_impl;
mod unicode_version;

pub use address::{BareJid, FullJid, Jid};
pub use error::{DomainError, JidError, Part};
