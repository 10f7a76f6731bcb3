//! `tls-server-end-point` channel-binding data (RFC 5929 §4.1): the hash
//! of the server's end-entity certificate, with the hash function its
//! signature algorithm names.
//!
//! RFC 5929 §4.1: "if the certificate's signatureAlgorithm uses a single
//! hash function and that hash function is either MD5 or SHA-1, then use
//! SHA-256; if the certificate's signatureAlgorithm uses a single hash
//! function and that hash function neither MD5 nor SHA-1, then use the
//! hash function associated with the certificate's signatureAlgorithm; if
//! the certificate's signatureAlgorithm uses no hash functions or uses
//! multiple hash functions, then this channel binding type's channel
//! bindings are undefined at this time". Ed25519 and Ed448 hash nothing
//! separately, so their certificates give no binding here, and the other
//! types (tls-exporter) carry the session.
//!
//! Only the `signatureAlgorithm` field is read, with a minimal DER walker
//! that never panics and never allocates: the rest of the certificate was
//! checked by rustls (client side) or is our own (server side).

use ring::digest;

/// The `tls-server-end-point` data for the DER certificate `der`, or `None`
/// when RFC 5929 §4.1 leaves it undefined (no single hash, an algorithm
/// this module does not know, or bytes that are not a certificate).
pub fn tls_server_end_point(der: &[u8]) -> Option<Vec<u8>> {
    let algorithm = end_point_hash(der)?;
    Some(digest::digest(algorithm, der).as_ref().to_vec())
}

/// The hash RFC 5929 §4.1 assigns to the certificate's signature algorithm.
fn end_point_hash(der: &[u8]) -> Option<&'static digest::Algorithm> {
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
    let (certificate, _) = read_tlv(der, SEQUENCE)?;
    let (_, rest) = read_any(certificate)?;
    let (algorithm, _) = read_tlv(rest, SEQUENCE)?;
    // AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }
    let (oid, parameters) = read_tlv(algorithm, OID)?;
    let hash = match oid {
        // md5WithRSAEncryption, sha1WithRSAEncryption, ecdsa-with-SHA1,
        // dsa-with-sha1: MD5 and SHA-1 are replaced by SHA-256.
        SHA1_RSA | MD5_RSA | SHA1_ECDSA | SHA1_DSA => Hash::Sha256,
        SHA256_RSA | SHA256_ECDSA | SHA256_DSA => Hash::Sha256,
        SHA384_RSA | SHA384_ECDSA => Hash::Sha384,
        SHA512_RSA | SHA512_ECDSA => Hash::Sha512,
        RSASSA_PSS => pss_hash(parameters)?,
        _ => return None,
    };
    Some(match hash {
        Hash::Sha256 => &digest::SHA256,
        Hash::Sha384 => &digest::SHA384,
        Hash::Sha512 => &digest::SHA512,
    })
}

enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

/// RSASSA-PSS names its hash in the parameters (RFC 4055 §3.1):
/// `RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] HashAlgorithm
/// DEFAULT sha1, maskGenAlgorithm [1] ..., ... }`. The mask generation
/// function hashes too, but with the same function in every profile in
/// use (RFC 8017 §A.2.3 recommends it); a certificate that mixes them uses
/// "multiple hash functions", and then the binding is undefined.
fn pss_hash(parameters: &[u8]) -> Option<Hash> {
    let (params, _) = read_tlv(parameters, SEQUENCE)?;
    let mut hash = Hash::Sha256; // The default SHA-1 is replaced by SHA-256.
    let mut rest = params;
    let mut mgf_hash: Option<&[u8]> = None;
    let mut hash_oid: Option<&[u8]> = None;
    while !rest.is_empty() {
        let (tag, content, after) = read_raw(rest)?;
        match tag {
            // [0] EXPLICIT HashAlgorithm
            0xa0 => {
                let (identifier, _) = read_tlv(content, SEQUENCE)?;
                let (oid, _) = read_tlv(identifier, OID)?;
                hash_oid = Some(oid);
                hash = match oid {
                    SHA1 => Hash::Sha256,
                    SHA256 => Hash::Sha256,
                    SHA384 => Hash::Sha384,
                    SHA512 => Hash::Sha512,
                    _ => return None,
                };
            }
            // [1] EXPLICIT MaskGenAlgorithm: mgf1 with its own hash.
            0xa1 => {
                let (identifier, _) = read_tlv(content, SEQUENCE)?;
                let (_, mgf_parameters) = read_tlv(identifier, OID)?;
                let (inner, _) = read_tlv(mgf_parameters, SEQUENCE)?;
                let (oid, _) = read_tlv(inner, OID)?;
                mgf_hash = Some(oid);
            }
            _ => {}
        }
        rest = after;
    }
    let signature_hash = hash_oid.unwrap_or(SHA1);
    match mgf_hash {
        Some(mgf) if mgf != signature_hash => None,
        _ => Some(hash),
    }
}

const SEQUENCE: u8 = 0x30;
const OID: u8 = 0x06;

// Object identifiers, as their DER content bytes.
const MD5_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04];
const SHA1_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const SHA256_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const SHA384_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const SHA512_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
const SHA1_ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
const SHA256_ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const SHA384_ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const SHA512_ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
const SHA1_DSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03];
const SHA256_DSA: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x02];
const SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];

/// One TLV with the expected tag: its content and what follows it.
fn read_tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (found, content, rest) = read_raw(input)?;
    (found == tag).then_some((content, rest))
}

/// One TLV of any tag: its content and what follows it.
fn read_any(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, content, rest) = read_raw(input)?;
    Some((content, rest))
}

/// One DER TLV with a single-byte tag and a definite length (X.690 §8.1.3;
/// DER forbids the indefinite form, §10.1).
fn read_raw(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let length = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (bytes, after) = rest.split_at_checked(count)?;
        rest = after;
        bytes
            .iter()
            .fold(0usize, |length, &byte| length * 256 + usize::from(byte))
    };
    if length > rest.len() {
        return None;
    }
    let (content, after) = rest.split_at(length);
    Some((tag, content, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DER TLV of `tag` around `content`.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    /// A certificate-shaped DER value with `algorithm` as its
    /// signatureAlgorithm.
    fn certificate(algorithm: &[u8]) -> Vec<u8> {
        let tbs = tlv(SEQUENCE, &[0x02, 0x01, 0x01]);
        let signature = tlv(0x03, &[0x00, 0xde, 0xad]);
        tlv(SEQUENCE, &[tbs, algorithm.to_vec(), signature].concat())
    }

    fn identifier(oid: &[u8], parameters: &[u8]) -> Vec<u8> {
        tlv(SEQUENCE, &[tlv(OID, oid), parameters.to_vec()].concat())
    }

    fn hash_len(oid: &[u8], parameters: &[u8]) -> Option<usize> {
        tls_server_end_point(&certificate(&identifier(oid, parameters))).map(|h| h.len())
    }

    #[test]
    fn md5_and_sha1_signatures_bind_with_sha256() {
        let null = [0x05, 0x00];
        for oid in [MD5_RSA, SHA1_RSA, SHA1_ECDSA, SHA1_DSA] {
            assert_eq!(hash_len(oid, &null), Some(32));
        }
    }

    #[test]
    fn sha2_signatures_bind_with_their_own_hash() {
        assert_eq!(hash_len(SHA256_RSA, &[0x05, 0x00]), Some(32));
        assert_eq!(hash_len(SHA384_RSA, &[0x05, 0x00]), Some(48));
        assert_eq!(hash_len(SHA512_RSA, &[0x05, 0x00]), Some(64));
        assert_eq!(hash_len(SHA256_ECDSA, &[]), Some(32));
        assert_eq!(hash_len(SHA384_ECDSA, &[]), Some(48));
        assert_eq!(hash_len(SHA512_ECDSA, &[]), Some(64));
        assert_eq!(hash_len(SHA256_DSA, &[]), Some(32));
    }

    #[test]
    fn the_hash_covers_the_whole_certificate() {
        let der = certificate(&identifier(SHA384_ECDSA, &[]));
        let expected = digest::digest(&digest::SHA384, &der);
        assert_eq!(tls_server_end_point(&der).unwrap(), expected.as_ref());
    }

    #[test]
    fn ed25519_and_unknown_algorithms_have_no_binding() {
        assert_eq!(hash_len(&[0x2b, 0x65, 0x70], &[]), None); // Ed25519
        assert_eq!(hash_len(&[0x2b, 0x65, 0x71], &[]), None); // Ed448
        assert_eq!(hash_len(&[0x2a, 0x03], &[]), None);
    }

    fn pss(hash: Option<&[u8]>, mgf_hash: Option<&[u8]>) -> Vec<u8> {
        let mut params = Vec::new();
        if let Some(hash) = hash {
            params.extend(tlv(0xa0, &identifier(hash, &[0x05, 0x00])));
        }
        if let Some(mgf_hash) = mgf_hash {
            let mgf1 = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
            params.extend(tlv(0xa1, &identifier(&mgf1, &identifier(mgf_hash, &[]))));
        }
        params.extend(tlv(0xa2, &[0x02, 0x01, 0x20]));
        tlv(SEQUENCE, &params)
    }

    #[test]
    fn rsassa_pss_binds_with_the_hash_in_its_parameters() {
        assert_eq!(
            hash_len(RSASSA_PSS, &pss(Some(SHA256), Some(SHA256))),
            Some(32)
        );
        assert_eq!(
            hash_len(RSASSA_PSS, &pss(Some(SHA384), Some(SHA384))),
            Some(48)
        );
        assert_eq!(hash_len(RSASSA_PSS, &pss(Some(SHA512), None)), Some(64));
        // The default hash is SHA-1, replaced by SHA-256.
        assert_eq!(hash_len(RSASSA_PSS, &pss(None, None)), Some(32));
        assert_eq!(hash_len(RSASSA_PSS, &pss(Some(SHA1), Some(SHA1))), Some(32));
    }

    #[test]
    fn rsassa_pss_with_two_hashes_has_no_binding() {
        assert_eq!(hash_len(RSASSA_PSS, &pss(Some(SHA384), Some(SHA256))), None);
        assert_eq!(hash_len(RSASSA_PSS, &pss(None, Some(SHA256))), None);
        assert_eq!(hash_len(RSASSA_PSS, &[]), None);
    }

    #[test]
    fn long_form_lengths_are_read() {
        // A tbsCertificate over 255 bytes needs the two-byte length form.
        let tbs = tlv(SEQUENCE, &[0u8; 300]);
        let algorithm = identifier(SHA512_RSA, &[0x05, 0x00]);
        let der = tlv(SEQUENCE, &[tbs, algorithm].concat());
        assert_eq!(tls_server_end_point(&der).map(|h| h.len()), Some(64));
    }

    /// A certificate whose tbsCertificate is written as `tbs`, raw.
    fn with_raw_tbs(tbs: &[u8]) -> Vec<u8> {
        let algorithm = identifier(SHA256_ECDSA, &[]);
        tlv(SEQUENCE, &[tbs, &algorithm].concat())
    }

    #[test]
    fn every_definite_length_form_up_to_four_bytes_is_read() {
        for tbs in [
            &[0x30, 0x02, 0xab, 0xcd][..],
            &[0x30, 0x81, 0x02, 0xab, 0xcd],
            &[0x30, 0x82, 0x00, 0x02, 0xab, 0xcd],
            &[0x30, 0x83, 0x00, 0x00, 0x02, 0xab, 0xcd],
            &[0x30, 0x84, 0x00, 0x00, 0x00, 0x02, 0xab, 0xcd],
        ] {
            let der = with_raw_tbs(tbs);
            assert_eq!(
                tls_server_end_point(&der).map(|h| h.len()),
                Some(32),
                "{tbs:02x?}"
            );
        }
    }

    #[test]
    fn indefinite_and_five_byte_lengths_are_refused() {
        // X.690 §10.1: DER has no indefinite form; lengths past four bytes
        // are not certificates.
        for tbs in [
            &[0x30, 0x80][..],
            &[0x30, 0x85, 0x00, 0x00, 0x00, 0x00, 0x02, 0xab, 0xcd],
        ] {
            assert_eq!(tls_server_end_point(&with_raw_tbs(tbs)), None, "{tbs:02x?}");
        }
        // An indefinite outer length is not read as 128 bytes either.
        let inner = [tlv(SEQUENCE, &[0u8; 114]), identifier(SHA256_ECDSA, &[])].concat();
        assert_eq!(inner.len(), 128);
        let der = [&[0x30, 0x80][..], &inner].concat();
        assert_eq!(tls_server_end_point(&der), None);
    }

    #[test]
    fn truncated_or_malformed_input_has_no_binding() {
        let der = certificate(&identifier(SHA256_RSA, &[0x05, 0x00]));
        for end in 0..der.len() {
            assert_eq!(tls_server_end_point(&der[..end]), None, "cut at {end}");
        }
        assert_eq!(tls_server_end_point(&[0x30, 0x80, 0x00, 0x00]), None);
        assert_eq!(tls_server_end_point(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(tls_server_end_point(&[0x31, 0x00]), None);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_read_without_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = tls_server_end_point(&bytes);
        }

        #[test]
        fn any_prefix_or_suffix_of_a_certificate_is_read_without_panic(
            cut in 0usize..64,
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..16),
        ) {
            let der = certificate(&identifier(RSASSA_PSS, &pss(Some(SHA384), Some(SHA384))));
            let mut bytes = der[..cut.min(der.len())].to_vec();
            bytes.extend(tail);
            let _ = tls_server_end_point(&bytes);
        }
    }
}
