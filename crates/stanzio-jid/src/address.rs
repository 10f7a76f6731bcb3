//! The JID types: one prepared string plus the positions of its separators.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::num::NonZeroU16;
use std::ops::Deref;
use std::str::FromStr;

use crate::error::{JidError, Part};
use crate::prep::{self, MAX_PART_BYTES, Prepared};
use crate::unicode_version::UnicodeVersion;

/// An XMPP address, bare or full, in prepared form (RFC 7622).
///
/// Equality, ordering and hashing are those of the prepared text, which is
/// what RFC 7622 compares. See the [crate docs](crate) for what is prepared how.
///
/// ```
/// use stanzio_jid::Jid;
///
/// let a: Jid = "Σ@Example.com./foo".parse()?;
/// assert_eq!(a.as_str(), "σ@example.com/foo");
/// assert!(a.is_full());
/// assert_eq!(Jid::from_parts(Some("σ"), "example.com", Some("foo"))?, a);
/// # Ok::<(), stanzio_jid::JidError>(())
/// ```
#[derive(Clone)]
pub struct Jid {
    /// `localpart@domainpart/resourcepart`, each part prepared.
    text: Box<str>,
    /// Byte index of the `@`; `None` without a localpart.
    at: Option<NonZeroU16>,
    /// Byte index of the `/`; `None` without a resourcepart.
    slash: Option<NonZeroU16>,
}

impl Jid {
    /// Parses and prepares a JID, with the PRECIS tables IANA registers
    /// (Unicode 6.3): for addresses stanzio sends, so that every peer
    /// accepts them. See [`Jid::from_received`] for addresses it receives.
    ///
    /// # Errors
    ///
    /// A [`JidError`] naming the part and the rule that failed.
    pub fn new(input: &str) -> Result<Self, JidError> {
        Self::parse(input, UnicodeVersion::Registered)
    }

    /// Parses and prepares a JID received from a peer: a stanza's `from`
    /// or `to`, a roster item, a bound resource.
    ///
    /// The rules are those of [`Jid::new`] but for one: a code point that
    /// Unicode 6.3 leaves unassigned, which the registered PRECIS tables
    /// refuse in every part, is judged by the value RFC 8264 §8 derives
    /// for it from the Unicode version of this build (see the
    /// [crate docs](crate#which-unicode-version)). Servers route such
    /// addresses: an emoji added after 2013 in a MUC nickname is one. What
    /// [`Jid::new`] accepts, this accepts with the same result; the text of
    /// what it returns parses back to the same JID with this function.
    ///
    /// ```
    /// use stanzio_jid::Jid;
    ///
    /// // U+1F97A FACE WITH PLEADING EYES is from Unicode 11.
    /// let occupant = Jid::from_received("room@muc.example/\u{1f97a}")?;
    /// assert_eq!(occupant.resource(), Some("\u{1f97a}"));
    /// assert!(Jid::new("room@muc.example/\u{1f97a}").is_err());
    /// // Symbols stay outside localparts, in any Unicode version.
    /// assert!(Jid::from_received("\u{1f97a}@example.com").is_err());
    /// # Ok::<(), stanzio_jid::JidError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`JidError`] naming the part and the rule that failed.
    pub fn from_received(input: &str) -> Result<Self, JidError> {
        Self::parse(input, UnicodeVersion::Current)
    }

    /// Splits `input` into its parts and prepares them at `version`.
    fn parse(input: &str, version: UnicodeVersion) -> Result<Self, JidError> {
        // Received addresses are nearly always ASCII in prepared form or
        // close to it: one pass checks every part. The fast paths it stands
        // for give the same result at every Unicode version.
        match prep::ascii_jid(input) {
            Some(split) => Ok(Self::from_ascii(input, split)),
            None => Self::parse_parts(input, version),
        }
    }

    /// [`parse`](Self::parse) part by part: each part takes its own fast
    /// path if it can, the PRECIS or IDNA path if not. Not inlined, so
    /// that callers of [`parse`](Self::parse) inline the one-pass scan only.
    #[inline(never)]
    fn parse_parts(input: &str, version: UnicodeVersion) -> Result<Self, JidError> {
        // RFC 7622 §3.1: split at the first '/', then at the first '@' before
        // it, before any mapping could turn another character into either.
        // (Both are ASCII, so a byte search cannot land inside a character.)
        let bytes = input.as_bytes();
        let bare_end = bytes.iter().position(|&b| b == b'/');
        let bare = bytes
            .get(..bare_end.unwrap_or(bytes.len()))
            .unwrap_or_default();
        let at = bare.iter().position(|&b| b == b'@');
        let part = |range: std::ops::Range<usize>| input.get(range).unwrap_or_default();
        let node = at.map(|at| part(0..at));
        let domain = part(at.map_or(0, |at| at + 1)..bare.len());
        let resource = bare_end.map(|slash| part(slash + 1..input.len()));
        Self::prepare(node, domain, resource, version, Some(input))
    }

    /// Builds the JID of `input`, which [`prep::ascii_jid`] split and found
    /// to be in prepared form but for ASCII capitals and a final dot.
    #[inline]
    fn from_ascii(input: &str, split: prep::AsciiJid) -> Self {
        let mut text: Box<str> = if split.domain_end == split.bare_end {
            // Verbatim but for case, as received addresses nearly always
            // are: one copy, into a buffer of the exact size.
            input.into()
        } else {
            // The domainpart's final dot goes (RFC 7622 §3.2); `resource` is
            // the '/' and the resourcepart, or empty.
            let bare = input.get(..split.domain_end).unwrap_or_default();
            let resource = input.get(split.bare_end..).unwrap_or_default();
            [bare, resource].concat().into_boxed_str()
        };
        if split.lowercase
            && let Some(bare) = text.get_mut(..split.domain_end)
        {
            // Localpart (RFC 8265 §3.3) and domainpart (UTS #46 mapping):
            // ASCII lowercasing is all their preparation does to ASCII.
            bare.make_ascii_lowercase();
        }
        // Each part has 1 to 1023 bytes (checked in the scan), so the
        // indices fit in u16, and neither separator is first.
        let index = |i: usize| u16::try_from(i).ok().and_then(NonZeroU16::new);
        Self {
            at: split.at.and_then(index),
            slash: if split.bare_end < input.len() {
                index(split.domain_end)
            } else {
                None
            },
            text,
        }
    }

    /// Prepares each part and joins them into a JID.
    ///
    /// # Errors
    ///
    /// A [`JidError`] naming the part and the rule that failed; a localpart
    /// containing `@` or `/` is refused, a resourcepart may contain both.
    pub fn from_parts(
        node: Option<&str>,
        domain: &str,
        resource: Option<&str>,
    ) -> Result<Self, JidError> {
        Self::prepare(node, domain, resource, UnicodeVersion::Registered, None)
    }

    /// Prepares each part at `version` and joins them; `input` as for
    /// [`assemble`](Self::assemble).
    fn prepare(
        node: Option<&str>,
        domain: &str,
        resource: Option<&str>,
        version: UnicodeVersion,
        input: Option<&str>,
    ) -> Result<Self, JidError> {
        let node = node.map(|n| prep::localpart(n, version)).transpose()?;
        let domain = prep::domainpart(domain, version)?;
        let resource = resource
            .map(|r| prep::resourcepart(r, version))
            .transpose()?;
        Self::assemble(node.as_ref(), &domain, resource.as_ref(), input)
    }

    /// Joins prepared parts into the one allocation a JID owns. `input`
    /// is the text the parts were split from, if any: when every part is
    /// it verbatim, as received addresses usually are, it is copied whole.
    fn assemble(
        node: Option<&Prepared<'_>>,
        domain: &Prepared<'_>,
        resource: Option<&Prepared<'_>>,
        input: Option<&str>,
    ) -> Result<Self, JidError> {
        let node_len = node.map(|n| part_len(Part::Localpart, n)).transpose()?;
        let domain_len = part_len(Part::Domainpart, domain)?;
        let resource_len = resource
            .map(|r| part_len(Part::Resourcepart, r))
            .transpose()?;
        // At most 1023 + 1 + 1023 + 1 + 1023 bytes, so u16 indices suffice.
        let domain_start = node_len.map_or(0, |n| n.get() + 1);
        let domain_end = domain_start + domain_len.get();
        let total = usize::from(domain_end) + resource_len.map_or(0, |r| usize::from(r.get()) + 1);

        let verbatim = |part: Option<&Prepared<'_>>| {
            part.is_none_or(|part| matches!(part, Prepared::Verbatim(_)))
        };
        let mut text = String::with_capacity(total);
        match input {
            // Each verbatim part is its slot of `input` or shorter (a final
            // dot stripped), so equal lengths mean equal texts.
            Some(input)
                if input.len() == total
                    && verbatim(node)
                    && verbatim(Some(domain))
                    && verbatim(resource) =>
            {
                text.push_str(input);
            }
            _ => {
                if let Some(node) = node {
                    node.push_to(&mut text);
                    text.push('@');
                }
                domain.push_to(&mut text);
                if let Some(resource) = resource {
                    text.push('/');
                    resource.push_to(&mut text);
                }
            }
        }
        Ok(Self {
            // Length equals capacity, so this does not reallocate.
            text: text.into_boxed_str(),
            at: node_len,
            slash: resource.and(NonZeroU16::new(domain_end)),
        })
    }

    /// The localpart, if there is one.
    pub fn node(&self) -> Option<&str> {
        let at = self.at?;
        self.text.get(..usize::from(at.get()))
    }

    /// The domainpart.
    pub fn domain(&self) -> &str {
        let start = self.at.map_or(0, |at| usize::from(at.get()) + 1);
        let end = self
            .slash
            .map_or(self.text.len(), |slash| usize::from(slash.get()));
        self.text.get(start..end).unwrap_or_default()
    }

    /// The resourcepart, if there is one.
    pub fn resource(&self) -> Option<&str> {
        let slash = self.slash?;
        self.text.get(usize::from(slash.get()) + 1..)
    }

    /// The prepared text, as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether there is no resourcepart.
    pub fn is_bare(&self) -> bool {
        self.slash.is_none()
    }

    /// Whether there is a resourcepart.
    pub fn is_full(&self) -> bool {
        self.slash.is_some()
    }

    /// This JID without its resourcepart.
    pub fn to_bare(&self) -> BareJid {
        match self.slash {
            None => BareJid(self.clone()),
            Some(slash) => BareJid(Self {
                text: self
                    .text
                    .get(..usize::from(slash.get()))
                    .unwrap_or_default()
                    .into(),
                at: self.at,
                slash: None,
            }),
        }
    }

    /// This JID without its resourcepart; does not allocate if it has none.
    pub fn into_bare(self) -> BareJid {
        if self.is_bare() {
            BareJid(self)
        } else {
            self.to_bare()
        }
    }

    /// The bare form of this JID with `resource` (prepared) as resourcepart,
    /// replacing any it had.
    ///
    /// # Errors
    ///
    /// A [`JidError`] for the resourcepart.
    pub fn with_resource(&self, resource: &str) -> Result<FullJid, JidError> {
        let resource = prep::resourcepart(resource, UnicodeVersion::Registered)?;
        let node = self.node().map(Prepared::Verbatim);
        let domain = Prepared::Verbatim(self.domain());
        Self::assemble(node.as_ref(), &domain, Some(&resource), None).map(FullJid)
    }

    /// Sorts this JID into [`FullJid`] or, when it has no resourcepart, [`BareJid`].
    pub fn try_into_full(self) -> Result<FullJid, BareJid> {
        if self.is_full() {
            Ok(FullJid(self))
        } else {
            Err(BareJid(self))
        }
    }
}

/// Checks a prepared part's length against RFC 7622 §3.1 and returns it.
fn part_len(part: Part, prepared: &Prepared<'_>) -> Result<NonZeroU16, JidError> {
    let len = prepared.len();
    if len > MAX_PART_BYTES {
        return Err(JidError::TooLong { part, len });
    }
    u16::try_from(len)
        .ok()
        .and_then(NonZeroU16::new)
        .ok_or(JidError::Empty(part))
}

impl PartialEq for Jid {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Jid {}

impl PartialOrd for Jid {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Jid {
    fn cmp(&self, other: &Self) -> Ordering {
        self.text.cmp(&other.text)
    }
}

impl Hash for Jid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Debug for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Jid").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Jid {
    type Err = JidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl AsRef<str> for Jid {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// A JID without a resourcepart: an account, a server, a room.
///
/// ```
/// use stanzio_jid::{BareJid, JidError};
///
/// let roster_item: BareJid = "romeo@Montague.lit".parse()?;
/// assert_eq!(roster_item.domain(), "montague.lit");
/// assert_eq!("romeo@montague.lit/orchard".parse::<BareJid>(), Err(JidError::UnexpectedResource));
/// # Ok::<(), JidError>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BareJid(Jid);

impl BareJid {
    /// Parses and prepares a JID that must have no resourcepart.
    ///
    /// # Errors
    ///
    /// [`JidError::UnexpectedResource`], or why it is no JID at all.
    pub fn new(input: &str) -> Result<Self, JidError> {
        Jid::new(input)?.try_into()
    }

    /// Parses and prepares a received JID that must have no resourcepart,
    /// with the rules of [`Jid::from_received`].
    ///
    /// # Errors
    ///
    /// [`JidError::UnexpectedResource`], or why it is no JID at all.
    pub fn from_received(input: &str) -> Result<Self, JidError> {
        Jid::from_received(input)?.try_into()
    }

    /// Prepares a localpart and a domainpart and joins them.
    ///
    /// # Errors
    ///
    /// A [`JidError`] naming the part and the rule that failed.
    pub fn from_parts(node: Option<&str>, domain: &str) -> Result<Self, JidError> {
        Jid::from_parts(node, domain, None).map(Self)
    }
}

/// A JID with a resourcepart: one connected client or room occupant.
///
/// ```
/// use stanzio_jid::{FullJid, JidError};
///
/// let bound: FullJid = "juliet@example.com/Balcony".parse()?;
/// assert_eq!(bound.resource(), "Balcony");
/// assert_eq!("juliet@example.com".parse::<FullJid>(), Err(JidError::MissingResource));
/// # Ok::<(), JidError>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FullJid(Jid);

impl FullJid {
    /// Parses and prepares a JID that must have a resourcepart.
    ///
    /// # Errors
    ///
    /// [`JidError::MissingResource`], or why it is no JID at all.
    pub fn new(input: &str) -> Result<Self, JidError> {
        Jid::new(input)?.try_into()
    }

    /// Parses and prepares a received JID that must have a resourcepart,
    /// such as the one a server binds (RFC 6120 §7), with the rules of
    /// [`Jid::from_received`].
    ///
    /// # Errors
    ///
    /// [`JidError::MissingResource`], or why it is no JID at all.
    pub fn from_received(input: &str) -> Result<Self, JidError> {
        Jid::from_received(input)?.try_into()
    }

    /// Prepares the three parts and joins them.
    ///
    /// # Errors
    ///
    /// A [`JidError`] naming the part and the rule that failed.
    pub fn from_parts(node: Option<&str>, domain: &str, resource: &str) -> Result<Self, JidError> {
        Jid::from_parts(node, domain, Some(resource)).map(Self)
    }

    /// The resourcepart, which a full JID always has.
    pub fn resource(&self) -> &str {
        self.0.resource().unwrap_or_default()
    }
}

impl TryFrom<Jid> for BareJid {
    type Error = JidError;

    fn try_from(jid: Jid) -> Result<Self, JidError> {
        match jid.try_into_full() {
            Ok(_) => Err(JidError::UnexpectedResource),
            Err(bare) => Ok(bare),
        }
    }
}

impl TryFrom<Jid> for FullJid {
    type Error = JidError;

    fn try_from(jid: Jid) -> Result<Self, JidError> {
        jid.try_into_full().map_err(|_| JidError::MissingResource)
    }
}

/// What the two restricted kinds share with [`Jid`].
macro_rules! restricted_jid {
    ($kind:ident) => {
        impl Deref for $kind {
            type Target = Jid;

            fn deref(&self) -> &Jid {
                &self.0
            }
        }

        impl Borrow<Jid> for $kind {
            fn borrow(&self) -> &Jid {
                &self.0
            }
        }

        impl AsRef<str> for $kind {
            fn as_ref(&self) -> &str {
                self.0.as_str()
            }
        }

        impl From<$kind> for Jid {
            fn from(jid: $kind) -> Jid {
                jid.0
            }
        }

        impl PartialEq<Jid> for $kind {
            fn eq(&self, other: &Jid) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$kind> for Jid {
            fn eq(&self, other: &$kind) -> bool {
                *self == other.0
            }
        }

        impl FromStr for $kind {
            type Err = JidError;

            fn from_str(s: &str) -> Result<Self, JidError> {
                Self::new(s)
            }
        }

        impl fmt::Display for $kind {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0.as_str())
            }
        }

        impl fmt::Debug for $kind {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($kind))
                    .field(&self.0.as_str())
                    .finish()
            }
        }
    };
}

restricted_jid!(BareJid);
restricted_jid!(FullJid);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// JID-like ASCII text, mostly in the shape the one-pass scan takes.
    fn ascii_jidish() -> impl Strategy<Value = String> {
        let part = "[a-zA-Z0-9._~+ \"&'/:<>@\\-]{0,8}";
        (
            proptest::option::of(part),
            "[a-zA-Z0-9.-]{0,12}|\\[::1\\]|[a-z]{60,66}(\\.[a-z]{1,3})?",
            proptest::option::of("[\\x1f-\\x7f]{0,8}"),
        )
            .prop_map(|(node, domain, resource)| {
                let node = node.map(|n| format!("{n}@")).unwrap_or_default();
                let resource = resource.map(|r| format!("/{r}")).unwrap_or_default();
                format!("{node}{domain}{resource}")
            })
    }

    /// The JID the PRECIS and IDNA paths make of `input`, bypassing every
    /// fast path; `None` when one of them refuses a part.
    fn slow_paths(input: &str, version: UnicodeVersion) -> Option<Jid> {
        let bare_end = input.find('/').unwrap_or(input.len());
        let (node, domain) = match input[..bare_end].split_once('@') {
            Some((node, domain)) => (Some(node), domain),
            None => (None, &input[..bare_end]),
        };
        let domain = domain.strip_suffix('.').unwrap_or(domain);
        let mapped = |part: Option<Result<std::borrow::Cow<'_, str>, JidError>>| {
            part.transpose()
                .ok()
                .map(|p| p.map(|p| Prepared::Mapped(p.into_owned())))
        };
        let node = mapped(node.map(|n| prep::localpart_precis(n, version)))?;
        let domain = prep::hostname_idna(domain, version).ok()?.into_owned();
        let resource = input.get(bare_end + 1..);
        let resource = mapped(resource.map(|r| prep::resourcepart_precis(r, version)))?;
        Jid::assemble(
            node.as_ref(),
            &Prepared::Mapped(domain),
            resource.as_ref(),
            None,
        )
        .ok()
    }

    /// Same text and same separator positions.
    fn same(a: &Jid, b: &Jid) -> bool {
        (a.as_str(), a.at, a.slash) == (b.as_str(), b.at, b.slash)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        // What the one-pass scan takes, every route makes the same JID of:
        // the parts prepared one by one, and the PRECIS/IDNA paths alone.
        #[test]
        fn one_pass_jids_are_those_of_the_slow_paths(input in ascii_jidish()) {
            for version in [UnicodeVersion::Registered, UnicodeVersion::Current] {
                let by_parts = Jid::parse_parts(&input, version);
                match prep::ascii_jid(&input) {
                    Some(split) => {
                        let fast = Jid::from_ascii(&input, split);
                        prop_assert!(same(&fast, by_parts.as_ref().unwrap()), "{:?}", input);
                        let slow = slow_paths(&input, version);
                        prop_assert!(slow.is_some_and(|slow| same(&fast, &slow)), "{:?}", input);
                    }
                    None => prop_assert_eq!(Jid::parse(&input, version), by_parts),
                }
            }
        }
    }

    #[test]
    fn one_pass_jids_keep_their_separators() {
        for (input, text, node, domain, resource) in [
            (
                "juliet@capulet.example/balcony",
                "juliet@capulet.example/balcony",
                Some("juliet"),
                "capulet.example",
                Some("balcony"),
            ),
            (
                "capulet.example",
                "capulet.example",
                None,
                "capulet.example",
                None,
            ),
            (
                "Romeo@Montague.Example./Orchard",
                "romeo@montague.example/Orchard",
                Some("romeo"),
                "montague.example",
                Some("Orchard"),
            ),
            ("Example.COM.", "example.com", None, "example.com", None),
            ("a@b/c@D/e", "a@b/c@D/e", Some("a"), "b", Some("c@D/e")),
        ] {
            let split = prep::ascii_jid(input).unwrap();
            let jid = Jid::from_ascii(input, split);
            assert_eq!(
                (jid.as_str(), jid.node(), jid.domain(), jid.resource()),
                (text, node, domain, resource),
                "{input:?}"
            );
            assert!(same(
                &jid,
                &Jid::parse_parts(input, UnicodeVersion::Current).unwrap()
            ));
        }
    }

    #[test]
    fn parts_are_found_by_index() {
        let jid = Jid::new("juliet@example.com/foo@bar/baz").unwrap();
        assert_eq!(jid.node(), Some("juliet"));
        assert_eq!(jid.domain(), "example.com");
        assert_eq!(jid.resource(), Some("foo@bar/baz"));

        let domain_only = Jid::new("example.com").unwrap();
        assert_eq!((domain_only.node(), domain_only.resource()), (None, None));
        assert_eq!(domain_only.domain(), "example.com");
    }

    #[test]
    fn a_jid_is_small() {
        assert_eq!(size_of::<Jid>(), 24);
        assert_eq!(size_of::<Option<Jid>>(), 24);
    }

    #[test]
    fn with_resource_replaces_the_resource() {
        let jid = Jid::new("juliet@example.com/balcony").unwrap();
        let moved = jid.with_resource("Orchard").unwrap();
        assert_eq!(moved.as_str(), "juliet@example.com/Orchard");
        assert_eq!(moved.resource(), "Orchard");
        assert_eq!(
            jid.with_resource(""),
            Err(JidError::Empty(Part::Resourcepart))
        );
    }

    #[test]
    fn is_bare_says_whether_there_is_a_resourcepart() {
        for (input, bare) in [
            ("example.com", true),
            ("juliet@example.com", true),
            ("example.com/balcony", false),
            ("juliet@example.com/balcony", false),
        ] {
            let jid = Jid::new(input).unwrap();
            assert_eq!(jid.is_bare(), bare, "{input:?}");
            assert_eq!(jid.is_full(), !bare, "{input:?}");
        }
    }

    fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
        // SipHash with fixed keys: the same value hashes the same in every run.
        let mut hasher = std::hash::DefaultHasher::new();
        value.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn equal_jids_hash_equal_and_different_jids_hash_apart() {
        // Equal after preparation: equal hashes, also through the bare and
        // full kinds, which `Borrow<Jid>` requires for map lookups.
        let jid = Jid::new("Juliet@Example.COM/Balcony").unwrap();
        let same = Jid::new("juliet@example.com/Balcony").unwrap();
        assert_eq!(hash_of(&jid), hash_of(&same));
        let full = FullJid::new("juliet@example.com/Balcony").unwrap();
        assert_eq!(hash_of(&full), hash_of(&jid));
        let bare = BareJid::new("juliet@example.com").unwrap();
        assert_eq!(hash_of(&bare), hash_of(&jid.to_bare()));
        // The hash follows the text: JIDs that differ in any part, or only
        // in the case of the resourcepart, hash differently.
        let others = [
            "juliet@example.com/balcony",
            "juliet@example.com",
            "romeo@example.com/Balcony",
            "juliet@example.net/Balcony",
        ];
        for other in others {
            assert_ne!(
                hash_of(&jid),
                hash_of(&Jid::new(other).unwrap()),
                "{other:?}"
            );
        }
        // As map keys they stay apart, and a kind finds its entry by &Jid.
        let mut keys: std::collections::HashMap<Jid, &str> =
            others.iter().map(|o| (Jid::new(o).unwrap(), *o)).collect();
        keys.insert(jid.clone(), "juliet@example.com/Balcony");
        assert_eq!(keys.len(), 5);
        for other in others {
            assert_eq!(keys.get(&Jid::new(other).unwrap()), Some(&other));
        }
        assert_eq!(keys.get(&same), Some(&"juliet@example.com/Balcony"));
        let bares: std::collections::HashSet<BareJid> = [bare.clone()].into();
        assert!(bares.contains(&*bare));
    }

    #[test]
    fn order_debug_and_as_ref_follow_the_prepared_text() {
        let juliet = Jid::new("Juliet@Example.com").unwrap();
        let romeo = Jid::new("romeo@example.com").unwrap();
        assert_eq!(juliet.partial_cmp(&romeo), Some(Ordering::Less));
        assert_eq!(romeo.partial_cmp(&juliet), Some(Ordering::Greater));
        assert_eq!(juliet.partial_cmp(&juliet.clone()), Some(Ordering::Equal));
        assert_eq!(format!("{juliet:?}"), "Jid(\"juliet@example.com\")");
        assert_eq!(AsRef::<str>::as_ref(&juliet), "juliet@example.com");
    }

    #[test]
    fn bare_and_full_sort_themselves() {
        let full = Jid::new("a@b/c").unwrap().try_into_full().unwrap();
        assert_eq!(full.to_bare().as_str(), "a@b");
        assert_eq!(full.to_bare().node(), Some("a"));
        let bare = Jid::new("a@b").unwrap().try_into_full().unwrap_err();
        assert_eq!(bare, Jid::new("a@b").unwrap());
        assert_eq!(Jid::from(bare.clone()).into_bare(), bare);
    }
}
