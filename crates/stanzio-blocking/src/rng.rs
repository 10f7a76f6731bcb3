//! The operating system's random source, for the machines' nonces and ids
//! and the adapters' back-off jitter.

use rand_core::{CryptoRng, RngCore};
use ring::rand::{SecureRandom, SystemRandom};

/// The operating system's cryptographic random source (`getrandom(2)` on
/// Linux), through ring, which rustls already brings. Pass it wherever a
/// stanzio machine asks for a [`CryptoRng`]:
///
/// ```
/// use stanzio_blocking::OsRng;
/// use stanzio_stream::ClientConfig;
///
/// let jid = "juliet@example.com".parse()?;
/// let config = ClientConfig::new(jid, "secret", OsRng::new());
/// # Ok::<(), stanzio_jid::JidError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OsRng(SystemRandom);

impl OsRng {
    /// The system source.
    pub fn new() -> Self {
        OsRng(SystemRandom::new())
    }
}

impl Default for OsRng {
    fn default() -> Self {
        Self::new()
    }
}

impl RngCore for OsRng {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0; 4];
        self.fill_bytes(&mut bytes);
        u32::from_le_bytes(bytes)
    }

    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    // A failing system source leaves no safe way on: SCRAM nonces and
    // stream ids would be predictable. rand_core's own `OsRng` behind
    // `UnwrapErr` panics the same way; on Linux getrandom(2) cannot fail
    // once the pool is initialised.
    #[allow(clippy::panic)]
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        if self.0.fill(dst).is_err() {
            panic!("the operating system's random source failed");
        }
    }
}

impl CryptoRng for OsRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_differ() {
        let mut rng = OsRng::new();
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut a);
        rng.fill_bytes(&mut b);
        assert_ne!(a, b);
        assert_ne!(rng.next_u64(), rng.next_u64());
        assert_ne!(
            (0..4).map(|_| rng.next_u32()).collect::<Vec<_>>(),
            vec![0; 4]
        );
    }
}
