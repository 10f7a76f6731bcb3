//! The component handshake (XEP-0114 §3).

use sha1::{Digest, Sha1};
use stanzio_xml::{ContentNamespace, ElementRef, XmlWriter};

use super::ElementError;
use crate::ns::{NS_COMPONENT_ACCEPT, NS_COMPONENT_CONNECT};

/// `<handshake/>` in the component namespace (XEP-0114 §3).
///
/// The initiator sends the digest ([`handshake_digest`]); the receiver
/// answers an empty `<handshake/>` (`Handshake(None)`) when it accepts it.
/// An empty text is the same as none.
///
/// ```
/// use stanzio_stream::elements::handshake::{Handshake, handshake_digest, handshake_matches};
///
/// let digest = handshake_digest("3BF96D32", "s3cr3t");
/// assert_eq!(digest, "ba33290100f616a33656a931798d6c9011cfa840");
/// let sent = Handshake(Some(digest));
/// // The server's side:
/// let Handshake(Some(received)) = &sent else { unreachable!() };
/// assert!(handshake_matches(received, "3BF96D32", "s3cr3t"));
/// assert!(!handshake_matches(received, "3BF96D32", "guess"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake(pub Option<String>);

impl Handshake {
    /// Reads `<handshake/>` in `jabber:component:accept` or
    /// `jabber:component:connect`. The text is kept exactly; whitespace
    /// around a digest makes it a different string, which then fails
    /// [`handshake_matches`].
    ///
    /// # Errors
    ///
    /// [`ElementError::Unexpected`] for another element.
    pub fn from_element(element: ElementRef<'_>) -> Result<Self, ElementError> {
        let component_ns = matches!(element.ns(), NS_COMPONENT_ACCEPT | NS_COMPONENT_CONNECT);
        if !component_ns || element.name() != "handshake" {
            return Err(ElementError::unexpected(element));
        }
        let text = element.text();
        Ok(Handshake((!text.is_empty()).then(|| text.into_owned())))
    }

    /// Writes the element in the stream's content namespace when that is a
    /// component namespace (so no `xmlns` is needed), else in
    /// `jabber:component:accept`.
    pub fn write_to(&self, w: &mut XmlWriter<'_>) {
        let ns = match w.content_namespace() {
            ContentNamespace::ComponentConnect => NS_COMPONENT_CONNECT,
            _ => NS_COMPONENT_ACCEPT,
        };
        w.start("handshake", ns);
        if let Some(digest) = &self.0 {
            w.text(digest);
        }
        w.end();
    }
}

/// The handshake digest (XEP-0114 §3): SHA-1 of the stream id followed by
/// the shared secret (both as UTF-8), in lowercase hexadecimal.
pub fn handshake_digest(stream_id: &str, secret: &str) -> String {
    let mut hash = Sha1::new();
    hash.update(stream_id.as_bytes());
    hash.update(secret.as_bytes());
    hash.finalize()
        .iter()
        .fold(String::with_capacity(40), |mut hex, byte| {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            for nibble in [byte >> 4, byte & 0x0f] {
                // A nibble is below 16, so the lookup always hits.
                hex.extend(DIGITS.get(usize::from(nibble)).map(|&d| char::from(d)));
            }
            hex
        })
}

/// Whether `received` is the handshake digest for this stream id and
/// secret; the receiver's check (XEP-0114 §3).
///
/// The comparison takes the same time wherever the strings differ: both
/// are 40 hex digits when well-formed (a length is no secret), and the
/// bytes are combined with XOR and OR over the whole length instead of
/// stopping at the first difference, so the timing does not tell an
/// attacker how many leading digits were right. Only lowercase matches:
/// XEP-0114 §3 has the initiator convert the digest to lowercase.
pub fn handshake_matches(received: &str, stream_id: &str, secret: &str) -> bool {
    let expected = handshake_digest(stream_id, secret);
    if received.len() != expected.len() {
        return false;
    }
    let difference = received
        .bytes()
        .zip(expected.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_xep_0114_vector() {
        // XEP-0114 §3 example stream id with the secret "s3cr3t", computed
        // independently with `printf 3BF96D32s3cr3t | sha1sum`.
        assert_eq!(
            handshake_digest("3BF96D32", "s3cr3t"),
            "ba33290100f616a33656a931798d6c9011cfa840"
        );
        // SHA-1 of the empty string (FIPS 180 test vector).
        assert_eq!(
            handshake_digest("", ""),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
    }

    #[test]
    fn matches_only_the_exact_lowercase_digest() {
        let digest = handshake_digest("id", "secret");
        assert!(handshake_matches(&digest, "id", "secret"));
        assert!(!handshake_matches(&digest.to_uppercase(), "id", "secret"));
        assert!(!handshake_matches(&digest[..39], "id", "secret"));
        assert!(!handshake_matches(&format!("{digest}0"), "id", "secret"));
        assert!(!handshake_matches("", "id", "secret"));
        let mut last_wrong = digest.clone().into_bytes();
        last_wrong[39] = if last_wrong[39] == b'0' { b'1' } else { b'0' };
        assert!(!handshake_matches(
            std::str::from_utf8(&last_wrong).unwrap(),
            "id",
            "secret"
        ));
    }
}
