//! XEP-0474 SASL SCRAM Downgrade Protection and XEP-0515 TLS version attribute: the
//! computation both sides share.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::{HashAlgorithm, ServerOffer};

/// Separates items of one list (XEP-0474 §6.1: U+001E RECORD SEPARATOR).
const ITEM_SEPARATOR: u8 = 0x1E;
/// Separates the mechanism list from the channel-binding list (U+001F UNIT SEPARATOR).
const LIST_SEPARATOR: u8 = 0x1F;

/// The XEP-0474 `h` attribute value for an offer: `base64(H(S))`, where S is every
/// advertised mechanism sorted by `i;octet` (RFC 4790 §9.3: byte order, which is `str`'s
/// order) joined by 0x1E, followed, only when XEP-0440 was advertised, by 0x1F and the
/// sorted channel-binding types joined by 0x1E (XEP-0474 §6.1). H is the hash of the SCRAM
/// mechanism in use.
///
/// ```
/// use stanzio_sasl::{downgrade_protection_hash, HashAlgorithm, ServerOffer};
/// // XEP-0474 §6.3.
/// let offer = ServerOffer::new(["SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"])
///     .with_channel_binding_types(["tls-server-end-point", "tls-exporter"]);
/// assert_eq!(
///     downgrade_protection_hash(HashAlgorithm::Sha1, &offer),
///     "G6k/rBLDqgOhRRaCuuatSDFkJ08="
/// );
/// ```
pub fn downgrade_protection_hash(hash: HashAlgorithm, offer: &ServerOffer) -> String {
    let mut input = Vec::new();
    append_sorted(&mut input, &offer.mechanisms);
    if let Some(types) = &offer.channel_binding_types {
        input.push(LIST_SEPARATOR);
        append_sorted(&mut input, types);
    }
    BASE64.encode(hash.digest(&input))
}

fn append_sorted(out: &mut Vec<u8>, items: &[String]) {
    let mut sorted: Vec<&str> = items.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    for (i, item) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(ITEM_SEPARATOR);
        }
        out.extend_from_slice(item.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independently_computed_vectors() {
        // XEP-0474 §6.1's construction, computed independently with Python's hashlib.
        let offer = ServerOffer::new([
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-1",
            "SCRAM-SHA-256",
            "SCRAM-SHA-1-PLUS",
        ])
        .with_channel_binding_types(["tls-server-end-point", "tls-exporter"]);
        assert_eq!(
            downgrade_protection_hash(HashAlgorithm::Sha256, &offer),
            "DiH10h/+iKy8nQZJ+5mswopQ3TcNKFyU22RB46m2ews="
        );
        let offer = ServerOffer::new(["SCRAM-SHA-256", "PLAIN", "SCRAM-SHA-1"]);
        assert_eq!(
            downgrade_protection_hash(HashAlgorithm::Sha256, &offer),
            "J++Diu+JubnE6dLVvZjjI5KHnheOLsUSQWiw/prdbAA="
        );
    }

    #[test]
    fn empty_xep0440_list_differs_from_absent() {
        let absent = ServerOffer::new(["SCRAM-SHA-1"]);
        let empty = absent
            .clone()
            .with_channel_binding_types(Vec::<String>::new());
        assert_ne!(
            downgrade_protection_hash(HashAlgorithm::Sha1, &absent),
            downgrade_protection_hash(HashAlgorithm::Sha1, &empty)
        );
    }
}
