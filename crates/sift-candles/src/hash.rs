//! A fast hasher for symbol names, used for shard selection and the shard maps.

use std::hash::Hasher;

/// Hashes short byte strings eight bytes at a time: each word is mixed in by rotate, xor and
/// multiply (as FxHash does) and [`finish`](Hasher::finish) avalanches the result so that low
/// bits, which pick shards and hash-table buckets, depend on every input byte.
///
/// Several times faster than the standard SipHash for names of 6 to 20 bytes. Not resistant to
/// hash flooding, which is acceptable because symbol names come from the exchange and the
/// operator's configuration, not from untrusted clients.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NameHasher(u64);

const K: u64 = 0x517c_c1b7_2722_0a95;

impl NameHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }

    /// The finished hash of `bytes` alone.
    pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
        let mut hasher = Self::default();
        hasher.write(bytes);
        hasher.finish()
    }
}

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        // The finaliser of MurmurHash3 (fmix64).
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length byte keeps "AB" and "AB\0" apart.
            word[7] ^= rest.len() as u8;
            self.add(u64::from_le_bytes(word));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_similar_names_evenly() {
        const BUCKETS: usize = 32;
        let mut counts = [0usize; BUCKETS];
        for i in 0..3200 {
            let name = format!("S{i:04}USDT");
            counts[NameHasher::hash_bytes(name.as_bytes()) as usize % BUCKETS] += 1;
        }
        // 100 expected per bucket.
        assert!(
            counts.iter().all(|&c| (60..=140).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn every_byte_matters() {
        let names: [&[u8]; 5] = [
            b"BTCUSDT",
            b"BTCUSDC",
            b"ETCUSDT",
            b"BTCUSDT\0",
            b"BTCUSDTBTCUSDT",
        ];
        let hashes: std::collections::BTreeSet<u64> =
            names.iter().map(|n| NameHasher::hash_bytes(n)).collect();
        assert_eq!(hashes.len(), names.len());
    }
}
