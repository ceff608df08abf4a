//! Named random streams, all derived from the one `seed` of a scenario.
//!
//! A stream is a ChaCha8 generator whose 32-byte key is `SHA-256(seed as 8 little-endian bytes
//! ‖ name as UTF-8)`. The derivation is fixed and documented, so a stream depends only on the
//! seed and its name: adding a new stream (say `spot:gcp`) never shifts the numbers an existing
//! one (`arrivals`) produces, and streams can be created in any order, on any thread.
//!
//! ChaCha8 is chosen over `StdRng`, whose algorithm rand may change between versions.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

/// The seeded source of every random stream of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngStreams {
    seed: u64,
}

impl RngStreams {
    /// Streams for the scenario seed `seed`.
    pub fn new(seed: u64) -> RngStreams {
        RngStreams { seed }
    }

    /// The scenario seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream called `name` (for example `arrivals`, `runtimes`, `spot:aws`, `faults`).
    /// Asking twice for the same name gives two generators producing the same numbers.
    pub fn stream(&self, name: &str) -> ChaCha8Rng {
        let mut hasher = Sha256::new();
        hasher.update(self.seed.to_le_bytes());
        hasher.update(name.as_bytes());
        ChaCha8Rng::from_seed(hasher.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_depend_on_seed_and_name_only() {
        let streams = RngStreams::new(7);
        let a1 = streams.stream("arrivals").next_u64();
        let _unrelated = streams.stream("faults").next_u64();
        let a2 = RngStreams::new(7).stream("arrivals").next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, streams.stream("runtimes").next_u64());
        assert_ne!(a1, RngStreams::new(8).stream("arrivals").next_u64());
    }

    #[test]
    fn derivation_is_pinned() {
        // Pins the documented algorithm: if this changes, every recorded result changes.
        // Checked independently with a 40-line Python ChaCha8 (RFC 7539 block function, 8
        // rounds, 64-bit block counter 0, stream 0) keyed by hashlib.sha256(
        // struct.pack('<Q', 1) + b'arrivals'): the first output words 0 and 1, little-endian,
        // make 1514156688166013611.
        let first = RngStreams::new(1).stream("arrivals").next_u64();
        assert_eq!(first, 1_514_156_688_166_013_611);
    }
}
