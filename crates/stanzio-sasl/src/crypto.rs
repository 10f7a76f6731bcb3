//! The SCRAM primitives of RFC 5802 §2.2 and §3, written once, generic over the hash,
//! and the server's credential records.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::digest::{Digest, Key};
use hmac::{EagerHash, Hmac, KeyInit, Mac};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use rand_core::CryptoRng;

use crate::HashAlgorithm;
use crate::error::PrepError;
use crate::prep;
use crate::select::DEFAULT_MIN_ITERATIONS;

/// Random bytes per nonce: 24 bytes = 192 bits, printed as 32 base64 characters, which
/// never contain `,` (RFC 5802 §7 `printable`).
const NONCE_BYTES: usize = 24;

/// Salt length for new credential records (128 bits, as NIST SP 800-132 §5.1 asks).
pub const SALT_LEN: usize = 16;

/// A fresh nonce from `rng`.
pub(crate) fn nonce<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; NONCE_BYTES];
    rng.fill_bytes(&mut bytes);
    BASE64.encode(bytes)
}

/// HMAC keyed per RFC 2104 §2. hmac 0.13 only offers `new_from_slice`, which returns a
/// `Result` although HMAC accepts every key length; building the block-sized key here (pad
/// with zeros, or hash a key longer than a block first) lets us call the infallible
/// `KeyInit::new` and keeps `expect` out of this crate. The result is identical.
fn keyed<D: EagerHash>(key: &[u8]) -> Hmac<D> {
    let mut block = Key::<Hmac<D>>::default();
    let hashed;
    let key = if key.len() > block.len() {
        hashed = D::digest(key);
        hashed.as_slice()
    } else {
        key
    };
    for (dst, src) in block.iter_mut().zip(key) {
        *dst = *src;
    }
    <Hmac<D> as KeyInit>::new(&block)
}

fn hmac_generic<D: EagerHash>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = keyed::<D>(key);
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

fn hi_generic<D: EagerHash>(password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
    let mut out = vec![0u8; <D as Digest>::output_size()];
    pbkdf2::pbkdf2_hmac::<D>(password, salt, iterations, &mut out);
    out
}

impl HashAlgorithm {
    /// `HMAC(key, parts[0] ‖ parts[1] ‖ …)`.
    pub(crate) fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        match self {
            Self::Sha1 => hmac_generic::<sha1::Sha1>(key, parts),
            Self::Sha256 => hmac_generic::<sha2::Sha256>(key, parts),
            Self::Sha512 => hmac_generic::<sha2::Sha512>(key, parts),
        }
    }

    /// `H(data)`.
    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// `Hi(str, salt, i)` of RFC 5802 §2.2: PBKDF2 with HMAC-H and dkLen = output length.
    pub(crate) fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            Self::Sha1 => hi_generic::<sha1::Sha1>(password, salt, iterations),
            Self::Sha256 => hi_generic::<sha2::Sha256>(password, salt, iterations),
            Self::Sha512 => hi_generic::<sha2::Sha512>(password, salt, iterations),
        }
    }
}

/// ClientKey and ServerKey from a SaltedPassword (RFC 5802 §3). Both are
/// password-equivalent: wiped when dropped.
pub(crate) struct DerivedKeys {
    pub(crate) client_key: Vec<u8>,
    pub(crate) server_key: Vec<u8>,
}

impl Drop for DerivedKeys {
    fn drop(&mut self) {
        self.client_key.zeroize();
        self.server_key.zeroize();
    }
}

impl DerivedKeys {
    pub(crate) fn new(hash: HashAlgorithm, prepared_password: &str, salt: &[u8], i: u32) -> Self {
        let salted = Zeroizing::new(hash.hi(prepared_password.as_bytes(), salt, i));
        Self {
            client_key: hash.hmac(&salted, &[b"Client Key"]),
            server_key: hash.hmac(&salted, &[b"Server Key"]),
        }
    }
}

/// `a XOR b` over the shorter length (both are hash outputs of the same length here).
pub(crate) fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

/// Constant-time equality (`subtle`); a length difference is not secret.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// What a server stores per account and hash instead of the password (RFC 5802 §3,
/// "the server stores StoredKey and ServerKey"): enough to verify SCRAM and PLAIN logins,
/// not enough to impersonate the user to another server.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCredentials {
    /// The hash these keys were made with.
    pub hash: HashAlgorithm,
    /// The salt (sent to the client in `s=`).
    pub salt: Vec<u8>,
    /// The PBKDF2 iteration count (sent in `i=`).
    pub iterations: u32,
    /// `H(ClientKey)`.
    pub stored_key: Vec<u8>,
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: Vec<u8>,
}

impl std::fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keys are password-equivalent for this server; keep them out of logs.
        f.debug_struct("StoredCredentials")
            .field("hash", &self.hash)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl Drop for StoredCredentials {
    /// The keys let whoever holds them pose as this server to the user:
    /// wiped when the record is dropped.
    fn drop(&mut self) {
        self.stored_key.zeroize();
        self.server_key.zeroize();
    }
}

/// How a server makes its credential records. [`StoredCredentials::generate`] uses it,
/// and the fake records of unknown users copy it, so that `i=`, the salt length and the
/// time a PLAIN check takes are the same for every name, known or not. A server whose
/// records come from elsewhere (imported from Prosody: `i=10000`, 36-byte salts) sets it
/// to what those records use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordParameters {
    /// The PBKDF2 iteration count (`i=`). Default [`DEFAULT_MIN_ITERATIONS`], the RFC 7677
    /// §4 minimum.
    pub iterations: u32,
    /// The salt length in bytes (what `s=` decodes to). Default [`SALT_LEN`].
    pub salt_len: usize,
    /// The hash of the records PLAIN logins are checked against (the server picks which
    /// record to hand over for [`Mechanism::Plain`](crate::Mechanism::Plain)). Default
    /// SHA-256.
    pub plain_hash: HashAlgorithm,
}

impl Default for RecordParameters {
    fn default() -> Self {
        Self {
            iterations: DEFAULT_MIN_ITERATIONS,
            salt_len: SALT_LEN,
            plain_hash: HashAlgorithm::Sha256,
        }
    }
}

impl StoredCredentials {
    /// Derives the record from a password, a salt and an iteration count. The password is
    /// prepared with SASLprep as a stored string (RFC 5802 §2.2; see the manual).
    ///
    /// # Errors
    /// [`PrepError`] when the password is empty or SASLprep rejects it, `iterations` is
    /// 0, or the salt is empty (RFC 5802 §7 `s=` is a non-empty base64 value, and clients
    /// refuse an empty one).
    pub fn derive(
        hash: HashAlgorithm,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, PrepError> {
        if iterations == 0 {
            return Err(PrepError::ZeroIterations);
        }
        if salt.is_empty() {
            return Err(PrepError::EmptySalt);
        }
        let password = prep::password(password)?;
        Ok(Self::from_prepared(hash, &password, salt, iterations))
    }

    /// Like [`derive`](Self::derive) with the iteration count of `parameters` and a fresh
    /// salt of its length from `rng`.
    ///
    /// # Errors
    /// As for [`derive`](Self::derive).
    pub fn generate<R: CryptoRng + ?Sized>(
        hash: HashAlgorithm,
        password: &str,
        parameters: &RecordParameters,
        rng: &mut R,
    ) -> Result<Self, PrepError> {
        let mut salt = vec![0u8; parameters.salt_len];
        rng.fill_bytes(&mut salt);
        Self::derive(hash, password, &salt, parameters.iterations)
    }

    pub(crate) fn from_prepared(
        hash: HashAlgorithm,
        prepared_password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Self {
        let keys = DerivedKeys::new(hash, prepared_password, salt, iterations);
        Self {
            hash,
            salt: salt.to_vec(),
            iterations,
            stored_key: hash.digest(&keys.client_key),
            server_key: keys.server_key.clone(),
        }
    }

    /// A record for an account that does not exist, derived from the server secret and the
    /// username, so that repeated probes of one name see one stable salt, exactly as for a
    /// real account, with the iteration count and salt length of `parameters`; the keys
    /// match no password in practice (2^-160 or less).
    pub(crate) fn fake(
        hash: HashAlgorithm,
        secret: &[u8],
        username: &str,
        parameters: &RecordParameters,
    ) -> Self {
        let label = |what: &[u8], counter: u32| {
            hash.hmac(
                secret,
                &[what, &counter.to_be_bytes(), b"\0", username.as_bytes()],
            )
        };
        // As many HMAC blocks as the salt length needs (counter mode, like HKDF-Expand).
        let mut salt = Vec::with_capacity(parameters.salt_len);
        let mut counter = 0;
        while salt.len() < parameters.salt_len {
            salt.extend(label(b"stanzio-sasl fake salt", counter));
            counter += 1;
        }
        salt.truncate(parameters.salt_len);
        Self {
            hash,
            salt,
            iterations: parameters.iterations,
            stored_key: label(b"stanzio-sasl fake stored key", 0),
            server_key: label(b"stanzio-sasl fake server key", 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> Vec<u8> {
        BASE64.decode(s).unwrap()
    }

    #[test]
    fn stored_keys_of_the_rfc_vectors() {
        // StoredKey and ServerKey for the RFC 5802 §5 and RFC 7677 §3 inputs, computed
        // independently with Python's hashlib.
        let r = StoredCredentials::derive(
            HashAlgorithm::Sha1,
            "pencil",
            &b64("QSXCR+Q6sek8bf92"),
            4096,
        )
        .unwrap();
        assert_eq!(BASE64.encode(&r.stored_key), "6dlGYMOdZcOPutkcNY8U2g7vK9Y=");
        assert_eq!(BASE64.encode(&r.server_key), "D+CSWLOshSulAsxiupA+qs2/fTE=");
        let r = StoredCredentials::derive(
            HashAlgorithm::Sha256,
            "pencil",
            &b64("W22ZaJ0SNY7soEsUEjb6gQ=="),
            4096,
        )
        .unwrap();
        assert_eq!(
            BASE64.encode(&r.stored_key),
            "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
        );
        assert_eq!(
            BASE64.encode(&r.server_key),
            "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
        );
    }

    #[test]
    fn hmac_matches_rfc4231_long_key() {
        // RFC 4231 §4.7 test case 6: a 131-byte key, longer than the SHA-256 block, is
        // hashed first (RFC 2104 §2); this exercises that branch of `keyed`.
        let key = [0xaa_u8; 131];
        let mac = HashAlgorithm::Sha256.hmac(
            &key,
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
        );
        assert_eq!(
            BASE64.encode(mac),
            BASE64.encode([
                0x60, 0xe4, 0x31, 0x59, 0x1e, 0xe0, 0xb6, 0x7f, 0x0d, 0x8a, 0x26, 0xaa, 0xcb, 0xf5,
                0xb7, 0x7f, 0x8e, 0x0b, 0xc6, 0x21, 0x37, 0x28, 0xc5, 0x14, 0x05, 0x46, 0x04, 0x0f,
                0x0e, 0xe3, 0x7f, 0x54
            ])
        );
    }

    #[test]
    fn fake_records_are_stable_per_user_and_differ_between_users() {
        let params = RecordParameters::default();
        let a = StoredCredentials::fake(HashAlgorithm::Sha256, b"secret", "alice", &params);
        let a2 = StoredCredentials::fake(HashAlgorithm::Sha256, b"secret", "alice", &params);
        let b = StoredCredentials::fake(HashAlgorithm::Sha256, b"secret", "bob", &params);
        assert_eq!(a, a2);
        assert_ne!(a.salt, b.salt);
        assert_eq!(a.salt.len(), SALT_LEN);
        assert_eq!(a.stored_key.len(), 32);
    }

    /// A salt longer than one HMAC output (20 bytes for SHA-1) takes several blocks, each
    /// different.
    #[test]
    fn fake_salts_take_the_configured_length() {
        let params = RecordParameters {
            salt_len: 45,
            ..RecordParameters::default()
        };
        let fake = StoredCredentials::fake(HashAlgorithm::Sha1, b"secret", "alice", &params);
        assert_eq!(fake.salt.len(), 45);
        assert_ne!(fake.salt.get(..20), fake.salt.get(20..40));
    }
}
