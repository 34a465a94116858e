//! Random and mutated inputs for the property tests of every decoder of hostile input (the
//! same decoders `scripts/fuzz.sh` fuzzes): a fixed-seed generator, so that a failure repeats.
//! Not used by the commands.

/// xorshift64*: small, fast, deterministic.
pub struct Gen(u64);

/// How many inputs each property test tries.
pub const CASES: usize = 20_000;

impl Gen {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Gen {
        Gen(seed | 1)
    }

    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.bits() % n as u64) as usize
    }

    /// `seed` changed a few times: bytes flipped, inserted (random, or one of `tokens`),
    /// removed, a part repeated, or the end cut.
    pub fn mutate(&mut self, seed: &[u8], tokens: &[&str]) -> Vec<u8> {
        let mut v = seed.to_vec();
        for _ in 0..=self.below(4) {
            let at = if v.is_empty() {
                0
            } else {
                self.below(v.len() + 1)
            };
            match self.below(6) {
                0 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v[i] ^= 1 << self.below(8);
                }
                1 => {
                    let byte = (self.bits() & 0xff) as u8;
                    v.insert(at, byte);
                }
                2 if !tokens.is_empty() => {
                    let t = tokens[self.below(tokens.len())].as_bytes();
                    v.splice(at..at, t.iter().copied());
                }
                3 if at < v.len() => {
                    let end = (at + 1 + self.below(8)).min(v.len());
                    v.drain(at..end);
                }
                4 if at < v.len() => {
                    let end = (at + 1 + self.below(16)).min(v.len());
                    let part = v[at..end].to_vec();
                    v.splice(at..at, part);
                }
                _ => v.truncate(at),
            }
        }
        v
    }

    /// Random bytes, `max` at most, mostly printable.
    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n)
            .map(|_| match self.below(10) {
                0 => (self.bits() & 0xff) as u8,
                1 => b'\n',
                _ => b' ' + self.below(95) as u8,
            })
            .collect()
    }
}
