//! The words the observer reductions (`backend` `ObserveOps`) return, and how they decode: f32
//! values as order keys (an integer order that is the float order, so a GPU can take min and max
//! with integer atomics in any order and get exact results) and the non-finite report.
//!
//! Layout of an aminmax result, [`AMINMAX_WORDS`] I32 words: `[!key(min), key(max),
//! non_finite_count, !first_nan, !first_pos_inf, !first_neg_inf]` (first: a flat index), every
//! word 0 when nothing was seen (all-zero buffers are "empty", so a device can start from a
//! zeroed buffer and only ever take maxima). Per channel, `2·C + 4` words: `C` words
//! `!key(min_c)`, `C` words `key(max_c)`, then the count and the three indices.
//!
//! Not here: the reductions themselves (`backend`), the observers' use of them (`quant`).

/// An order key: for finite `a`, `b`, `a < b` ⇔ `order_key(a) < order_key(b)`; `-0.0` and
/// `0.0` both map to the key of `0.0` (they compare equal). Finite keys are never 0 nor
/// `u32::MAX`. The usual sign-flip trick: negative floats invert all bits, others set the sign.
#[inline(always)]
pub fn order_key(v: f32) -> u32 {
    let b = if v == 0.0 { 0 } else { v.to_bits() };
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// The f32 whose key is `k`: the inverse of [`raw_order_key`], and of [`order_key`] (whose
/// `-0.0` comes back as `0.0`).
#[inline(always)]
pub fn key_value(k: u32) -> f32 {
    f32::from_bits(if k & 0x8000_0000 != 0 { k & 0x7fff_ffff } else { !k })
}

/// The key of `v` without canonicalizing zeros: `-0.0` orders just below `0.0`, so min and max
/// over keys return exact bits (min picks `-0.0` when both zeros are present).
#[inline(always)]
pub fn raw_order_key(v: f32) -> u32 {
    let b = v.to_bits();
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// Words of one per-tensor aminmax result.
pub const AMINMAX_WORDS: usize = 6;

/// Words of one per-channel aminmax result over `channels` channels.
pub fn channel_words(channels: usize) -> usize {
    2 * channels + 4
}

/// Whether f32 bits are NaN or ±inf (exponent all ones), as the kernels test them.
#[inline(always)]
pub fn non_finite_bits(bits: u32) -> bool {
    bits & 0x7f80_0000 == 0x7f80_0000
}

/// The non-finite report: how many, and the first one (flat index and value: NaN, inf or -inf).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NonFinite {
    /// How many elements were NaN or ±inf.
    pub count: u32,
    /// `[first NaN, first +inf, first -inf]` flat indices.
    pub first: [Option<usize>; 3],
}

impl NonFinite {
    /// Records element `i` with value `v` (non-finite).
    pub fn add(&mut self, i: usize, v: f32) {
        self.count += 1;
        let k = if v.is_nan() {
            0
        } else if v > 0.0 {
            1
        } else {
            2
        };
        if self.first[k].is_none_or(|j| i < j) {
            self.first[k] = Some(i);
        }
    }

    /// The first non-finite element, `(index, value)`; `None` when all were finite.
    pub fn first(&self) -> Option<(usize, f32)> {
        let vals = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
        (0..3).filter_map(|k| self.first[k].map(|i| (i, vals[k]))).min_by_key(|&(i, _)| i)
    }

    fn encode(&self) -> [u32; 4] {
        let f = |i: Option<usize>| i.map_or(0, |i| !(i as u32));
        [self.count, f(self.first[0]), f(self.first[1]), f(self.first[2])]
    }

    fn decode(w: &[u32]) -> NonFinite {
        let f = |k: u32| (k != 0).then_some(!k as usize);
        NonFinite { count: w[0], first: [f(w[1]), f(w[2]), f(w[3])] }
    }
}

/// A decoded aminmax: min and max of the finite elements, and where the others are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AminmaxStats {
    /// `(min, max)` of the finite elements; `None` when there were none.
    pub min_max: Option<(f32, f32)>,
    /// The NaN / ±inf report.
    pub non_finite: NonFinite,
}

impl AminmaxStats {
    /// The [`AMINMAX_WORDS`] words of [the layout](self) for these statistics.
    pub fn encode(&self) -> Vec<i32> {
        let (lo, hi) = self.min_max.map_or((0, 0), |(a, b)| (!raw_order_key(a), raw_order_key(b)));
        let mut w = vec![lo, hi];
        w.extend(self.non_finite.encode());
        w.into_iter().map(|v| v as i32).collect()
    }

    /// Reads the words back.
    pub fn decode(w: &[i32]) -> AminmaxStats {
        let w: Vec<u32> = w.iter().map(|&v| v as u32).collect();
        AminmaxStats {
            min_max: (w[1] != 0).then(|| (key_value(!w[0]), key_value(w[1]))),
            non_finite: NonFinite::decode(&w[2..6]),
        }
    }

    /// The statistics of `x` as plain loops: finite min and max keeping the later of equal
    /// values (torch's scalar `aminmax`), and the non-finite report.
    pub fn of(x: &[f32]) -> AminmaxStats {
        let mut s = AminmaxStats { min_max: None, non_finite: NonFinite::default() };
        for (i, &v) in x.iter().enumerate() {
            if !v.is_finite() {
                s.non_finite.add(i, v);
                continue;
            }
            s.min_max = Some(match s.min_max {
                None => (v, v),
                Some((a, b)) => (if v <= a { v } else { a }, if v >= b { v } else { b }),
            });
        }
        s
    }
}

/// Decoded per-channel aminmax ([the layout](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelStats {
    /// Per-channel minima of the finite elements (`+inf` for a channel with none).
    pub min: Vec<f32>,
    /// Per-channel maxima (`-inf` for a channel with none).
    pub max: Vec<f32>,
    /// The NaN / ±inf report.
    pub non_finite: NonFinite,
}

impl ChannelStats {
    /// Reads `2·C + 4` words back.
    pub fn decode(w: &[i32]) -> ChannelStats {
        let c = (w.len() - 4) / 2;
        let w: Vec<u32> = w.iter().map(|&v| v as u32).collect();
        let lo = |k: u32| if k == 0 { f32::INFINITY } else { key_value(!k) };
        let hi = |k: u32| if k == 0 { f32::NEG_INFINITY } else { key_value(k) };
        ChannelStats {
            min: w[..c].iter().map(|&k| lo(k)).collect(),
            max: w[c..2 * c].iter().map(|&k| hi(k)).collect(),
            non_finite: NonFinite::decode(&w[2 * c..2 * c + 4]),
        }
    }

    /// The words of these statistics.
    pub fn encode(&self) -> Vec<i32> {
        let mut w: Vec<u32> = self.min.iter().map(|&v| if v.is_finite() { !raw_order_key(v) } else { 0 }).collect();
        w.extend(self.max.iter().map(|&v| if v.is_finite() { raw_order_key(v) } else { 0 }));
        w.extend(self.non_finite.encode());
        w.into_iter().map(|v| v as i32).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys_order_as_the_floats_do_and_round_trip() {
        let vals = [-f32::MAX, -3.5, -1e-40, -0.0, 0.0, 1e-40, 1.0, f32::MAX];
        for w in vals.windows(2) {
            assert!(raw_order_key(w[0]) < raw_order_key(w[1]), "{w:?}");
            assert!(order_key(w[0]) <= order_key(w[1]), "{w:?}");
        }
        for v in vals {
            assert_eq!(key_value(raw_order_key(v)).to_bits(), v.to_bits());
            assert_ne!(order_key(v), 0);
            assert_ne!(order_key(v), u32::MAX);
        }
        let s = AminmaxStats::of(&[1.0, f32::NEG_INFINITY, -2.0, f32::NAN, f32::INFINITY]);
        assert_eq!(AminmaxStats::decode(&s.encode()), s);
        assert_eq!(s.min_max, Some((-2.0, 1.0)));
        assert_eq!(s.non_finite.count, 3);
        assert_eq!(s.non_finite.first().map(|(i, v)| (i, v.to_string())), Some((1, "-inf".to_string())));
    }
}
