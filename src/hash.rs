//! The crate's one fast hasher, for tables whose keys the engine's own user chose (machine
//! names) or that the engine builds (EventBridge paths and values): SipHash's resistance to
//! chosen collisions buys nothing there, and a collision only makes a lookup compare one more
//! key, never a wrong answer. PERF: SipHash was ~65 of the instructions of a pass1 start
//! through the engine (callgrind, `load/callgrind.sh pass1 sync --target engine`).

use std::hash::Hasher;

/// A fast non-cryptographic hasher (the multiply-rotate scheme of rustc's `FxHasher`).
#[derive(Default)]
pub(crate) struct FxHasher {
    pub(crate) hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
        // The length, so that "ab" + "c" and "a" + "bc" differ.
        self.add(bytes.len() as u64);
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}
