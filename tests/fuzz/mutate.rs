//! The stable driver's mutator: structured random changes to a seed file, from a seeded RNG so
//! a run can be repeated exactly. Byte-level changes (bit flips, interesting bytes, inserts,
//! deletes, duplicated ranges, splices, truncation), text-level ones (decimal numbers replaced
//! by integer boundary values and huge sizes, JSON and schedule tokens inserted) and, for a
//! safetensors file, the same changes inside its JSON header with the 8-byte length prefix
//! rewritten, so the header still parses far enough to reach the checks on shapes and offsets.
//!
//! Not here: running targets (`driver.rs`), coverage (the libFuzzer driver in `fuzz/`).

use quantplay::rules::rng::Rng;

/// The largest input the mutator makes.
pub const MAX_LEN: usize = 1 << 16;

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "7",
    "8",
    "127",
    "128",
    "255",
    "256",
    "-129",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967295",
    "4294967296",
    "1099511627776",
    "1125899906842624",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "-1e308",
    "1e-320",
    "0.5",
    "-0",
    "1e39",
];

const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"",
    "null",
    "true",
    "[]",
    "{}",
    "\"\"",
    "\"type\"",
    "\"Sequential\"",
    "\"children\"",
    "\"name\"",
    "\"Linear\"",
    "\"Conv2d\"",
    "\"BatchNorm2d\"",
    "\"QuantizedLinear\"",
    "\"QuantizedConv2d\"",
    "\"DynamicQuantizedLinear\"",
    "\"weight_axis\"",
    "\"dtype\"",
    "\"shape\"",
    "\"data_offsets\"",
    "\"I64\"",
    "\"F32\"",
    "\"I8\"",
    "\"BF16\"",
    "\"U8\"",
    "\"I32\"",
    "\"F16\"",
    "\"BOOL\"",
    "\"__metadata__\"",
    "[1099511627776,1099511627776]",
    "[0,4294967296]",
    "ok",
    "inf",
    "-inf",
    "nan",
    ",,",
    " ",
    "\\u0000",
    "\\\"",
    "\u{ffff}",
    "\"x\"",
    "\"y\"",
];

/// A seeded mutator.
pub struct Mutator {
    rng: Rng,
}

impl Mutator {
    /// A mutator whose choices all come from `seed`.
    pub fn new(seed: u64) -> Mutator {
        Mutator { rng: Rng::new(seed) }
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.rng.next_u64() % n as u64) as usize
        }
    }

    /// An index below `n` (0 when `n` is 0).
    pub fn pick_index(&mut self, n: usize) -> usize {
        self.below(n)
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }

    /// `input` changed 1 to 4 times; `other` is a second pool entry for splices.
    pub fn mutate(&mut self, input: &[u8], other: &[u8]) -> Vec<u8> {
        let mut v = input.to_vec();
        for _ in 0..1 + self.below(4) {
            if self.below(3) == 0 {
                if let Some(h) = header(&v) {
                    let mut text = v[8..8 + h].to_vec();
                    self.once(&mut text, other);
                    let mut out = (text.len() as u64).to_le_bytes().to_vec();
                    out.extend_from_slice(&text);
                    out.extend_from_slice(&v[8 + h..]);
                    v = out;
                    continue;
                }
            }
            self.once(&mut v, other);
        }
        v.truncate(MAX_LEN);
        v
    }

    fn once(&mut self, v: &mut Vec<u8>, other: &[u8]) {
        let len = v.len();
        match self.below(12) {
            0 if len > 0 => {
                let i = self.below(len);
                v[i] ^= 1 << self.below(8);
            }
            1 if len > 0 => {
                let i = self.below(len);
                v[i] = [0, 0xff, 0x7f, 0x80, b'0', b'9', b'-', b'"', b'e'][self.below(9)];
            }
            2 => {
                let at = self.below(len + 1);
                let n = 1 + self.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| self.rng.next_u64() as u8).collect();
                v.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let at = self.below(len);
                let n = 1 + self.below((len - at).min(64));
                v.drain(at..at + n);
            }
            4 if len > 0 => {
                let at = self.below(len);
                let n = 1 + self.below((len - at).min(256));
                let chunk = v[at..at + n].to_vec();
                let to = self.below(len + 1);
                v.splice(to..to, chunk);
            }
            5 if !other.is_empty() => {
                let cut = self.below(len + 1);
                let from = self.below(other.len());
                v.truncate(cut);
                v.extend_from_slice(&other[from..]);
            }
            6 | 7 => self.replace_number(v),
            8 | 9 => {
                let t = self.pick(TOKENS).as_bytes().to_vec();
                let at = self.below(len + 1);
                v.splice(at..at, t);
            }
            10 if len >= 8 => {
                let at = if self.below(2) == 0 { 0 } else { self.below(len - 7) };
                let value: u64 = [0, 1, 7, 8, u32::MAX as u64, 1 << 40, u64::MAX, len as u64][self.below(8)];
                v[at..at + 8].copy_from_slice(&value.to_le_bytes());
            }
            _ if len > 1 => v.truncate(self.below(len)),
            _ => v.push(self.rng.next_u64() as u8),
        }
    }

    /// Replaces one decimal number (digits, an optional leading `-`) by a boundary value.
    fn replace_number(&mut self, v: &mut Vec<u8>) {
        let starts: Vec<usize> =
            (0..v.len()).filter(|&i| v[i].is_ascii_digit() && (i == 0 || !v[i - 1].is_ascii_digit())).collect();
        if starts.is_empty() {
            return;
        }
        let mut s = starts[self.below(starts.len())];
        let mut e = s;
        while e < v.len() && (v[e].is_ascii_digit() || v[e] == b'.') {
            e += 1;
        }
        if s > 0 && v[s - 1] == b'-' {
            s -= 1;
        }
        let n = self.pick(NUMBERS).as_bytes().to_vec();
        v.splice(s..e, n);
    }
}

/// The JSON header's length when `v` looks like a safetensors file.
fn header(v: &[u8]) -> Option<usize> {
    let n = u64::from_le_bytes(v.get(..8)?.try_into().ok()?) as usize;
    (n >= 2 && n <= v.len() - 8 && v[8] == b'{').then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_mutants() {
        let seed = b"{\"a\": [1, 2]}".to_vec();
        let run = |s| {
            let mut m = Mutator::new(s);
            (0..50).map(|_| m.mutate(&seed, b"ok")).collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        let mut m = Mutator::new(3);
        let distinct: std::collections::BTreeSet<Vec<u8>> = (0..200).map(|_| m.mutate(&seed, b"ok")).collect();
        assert!(distinct.len() > 150, "{}", distinct.len());
    }
}
