//! ATen's CPU arithmetic for the few tensor ops `HistogramObserver` uses, reproduced bit for bit
//! (torch 2.15, x86 wheel) so the histogram, its re-binning and the L2 search match torch:
//! - `torch.linspace` (RangeFactoriesKernel.cpp): `step = (end − start)/(steps − 1)` in f32 and
//!   `start + step·i` (first half) / `end − step·(steps−1−i)` (second half), each contracted
//!   into one FMA by the x86 build (measured against torch: 0 of 10⁶ values differ);
//! - `torch.histc` (HistogramKernel.cpp, LINEAR_INTERPOLATION): edges from `linspace`, then
//!   `pos = (int64)((x − edge₀)·bins / (edge_last − edge₀))` in f32, last bin closed (the rule
//!   itself is `rules::histc`, shared with the backends);
//! - `torch.sum` of f32 (SumKernel.cpp cascade sum over 8-lane vectors, 4-way ILP, 4 levels;
//!   8 lanes measured on torch 2.15's x86 wheel even on an AVX-512 CPU);
//! - `torch.cumsum` (accumulates in double, stores f32);
//! - `torch.div(..., rounding_mode="floor")` (`c10::div_floor_floating`).
//!
//! Not here: the observer logic that calls them (`histogram.rs`).

/// `c10::div_floor_floating(a, b)`: Python's floor division on floats.
pub fn div_floor(a: f32, b: f32) -> f32 {
    if b == 0.0 {
        return a / b;
    }
    let m = a % b; // std::fmod
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0.0f32.copysign(a / b)
    }
}

/// `torch.linspace(start, end, steps)` for f32 on CPU: ends given as doubles (Scalars) and
/// rounded to f32, `step` in f32, each value one FMA from the nearer end.
pub fn linspace(start: f64, end: f64, steps: usize) -> Vec<f32> {
    let (s, e) = (start as f32, end as f32);
    if steps == 1 {
        return vec![s];
    }
    let step = (e - s) / (steps - 1) as f32;
    let half = steps / 2;
    (0..steps)
        .map(|i| if i < half { step.mul_add(i as f32, s) } else { (-step).mul_add((steps - i - 1) as f32, e) })
        .collect()
}

/// `torch.histc(x, bins, min, max)` on CPU: NaN and values outside `[min, max]` are skipped,
/// `min == max` widens the range by 1 on each side (in f64) as torch does. The bin rule is
/// [`crate::rules::histc::HistcRange`], which the backends' `histc` ops share.
pub fn histc(x: &[f32], bins: usize, min: f32, max: f32) -> Vec<f32> {
    let range = crate::rules::histc::HistcRange::new(min, max, bins);
    range.counts(x).into_iter().map(|c| c as f32).collect()
}

/// `torch.cumsum` of f32 on CPU: a double accumulator, each prefix stored as f32.
pub fn cumsum(x: &[f32]) -> Vec<f32> {
    let mut acc = 0.0f64;
    x.iter()
        .map(|&v| {
            acc += v as f64;
            acc as f32
        })
        .collect()
}

/// Lanes of the f32 vectors ATen's x86 sum kernel accumulates in: 8 (AVX2 width). Measured
/// against torch 2.15 on an AVX-512 machine: 8 lanes reproduce every fixture sum, 16 do not.
const LANES: usize = 8;

/// `torch.sum` of a contiguous f32 vector on x86 CPU (ATen SumKernel.cpp `cascade_sum`): vectors
/// of 8 lanes summed by `row_sum` (4 interleaved accumulators, each a 4-level cascade), the
/// scalar tail, then the 8 lanes in order. Shorter than 8 → the same `row_sum` on scalars.
pub fn torch_sum(x: &[f32]) -> f32 {
    if x.len() < LANES {
        return row_sum::<1>(x, x.len())[0];
    }
    let vecs = x.len() / LANES;
    let lanes = row_sum::<LANES>(x, vecs);
    let mut acc = 0.0f32;
    for &v in &x[vecs * LANES..] {
        acc += v;
    }
    for l in lanes {
        acc += l;
    }
    acc
}

/// ATen's `row_sum` over `n` elements of width `W` (`x[i*W..(i+1)*W]` is element `i`).
fn row_sum<const W: usize>(x: &[f32], n: usize) -> [f32; W] {
    const ILP: usize = 4;
    let load = |i: usize| -> [f32; W] { std::array::from_fn(|l| x[i * W + l]) };
    let size_ilp = n / ILP;
    let mut partial = multi_row_sum::<W, ILP>(&load, size_ilp);
    for i in size_ilp * ILP..n {
        add_lanes(&mut partial[0], &load(i));
    }
    for k in 1..ILP {
        let p = partial[k];
        add_lanes(&mut partial[0], &p);
    }
    partial[0]
}

fn add_lanes<const W: usize>(a: &mut [f32; W], b: &[f32; W]) {
    for l in 0..W {
        a[l] += b[l];
    }
}

/// ATen's `multi_row_sum<acc_t, nrows>`: `size` rows of `R` elements, row `i` element `k` being
/// element `i*R + k`; four cascade levels of `2^level_power` rows each. Indexed loops on purpose:
/// they mirror the C++ so the summation order can be checked line by line.
#[allow(clippy::needless_range_loop)]
fn multi_row_sum<const W: usize, const R: usize>(load: &dyn Fn(usize) -> [f32; W], size: usize) -> [[f32; W]; R] {
    const LEVELS: usize = 4;
    let ceil_log2 = if size <= 1 { 0 } else { usize::BITS - (size - 1).leading_zeros() } as usize;
    let level_power = (ceil_log2 / LEVELS).max(4);
    let level_step = 1usize << level_power;
    let level_mask = level_step - 1;
    let mut acc = [[[0.0f32; W]; R]; LEVELS];
    let mut i = 0usize;
    while i + level_step <= size {
        for _ in 0..level_step {
            for k in 0..R {
                add_lanes(&mut acc[0][k], &load(i * R + k));
            }
            i += 1;
        }
        for j in 1..LEVELS {
            for k in 0..R {
                let prev = acc[j - 1][k];
                add_lanes(&mut acc[j][k], &prev);
                acc[j - 1][k] = [0.0; W];
            }
            let mask = level_mask << (j * level_power);
            if i & mask != 0 {
                break;
            }
        }
    }
    while i < size {
        for k in 0..R {
            add_lanes(&mut acc[0][k], &load(i * R + k));
        }
        i += 1;
    }
    for j in 1..LEVELS {
        for k in 0..R {
            let a = acc[j][k];
            add_lanes(&mut acc[0][k], &a);
        }
    }
    acc[0]
}
