//! TensorFlow Playground's 2-D datasets, following its src/dataset.ts (`classifyCircleData`,
//! `classifyXORData`, `classifyTwoGaussData`, `classifySpiralData`): the same geometry, radius
//! 5 and noise rules, with labels +1 → class 1 and −1 → class 0. Draws come from our seeded
//! generator, so points differ from the playground's own Math.random stream.

use super::Dataset;
use crate::rules::math;
use crate::rules::rng::Rng;
use std::f64::consts::PI;

fn uniform(rng: &mut Rng, a: f64, b: f64) -> f64 {
    a + (b - a) * (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// The playground's `normalRandom(mean, variance)`: Marsaglia's polar method.
fn normal(rng: &mut Rng, mean: f64, variance: f64) -> f64 {
    loop {
        let (v1, v2) = (uniform(rng, -1.0, 1.0), uniform(rng, -1.0, 1.0));
        let s = v1 * v1 + v2 * v2;
        if s > 0.0 && s < 1.0 {
            return mean + variance.sqrt() * (-2.0 * math::log(s) / s).sqrt() * v1;
        }
    }
}

fn build(points: Vec<(f64, f64, bool)>) -> Dataset {
    Dataset {
        x: points.iter().flat_map(|&(x, y, _)| [x as f32, y as f32]).collect(),
        y: points.iter().map(|&(_, _, l)| l as i32).collect(),
        d: 2,
        classes: 2,
    }
}

/// Points inside radius 2.5 are class 1, a ring from 3.5 to 5 class 0; noise shifts the point
/// used for the label by up to ±5·noise.
pub fn circle(n: usize, noise: f64, rng: &mut Rng) -> Dataset {
    let radius = 5.0;
    let mut pts = Vec::with_capacity(n);
    for i in 0..n {
        let inner = i < n / 2;
        let r = if inner { uniform(rng, 0.0, radius * 0.5) } else { uniform(rng, radius * 0.7, radius) };
        let angle = uniform(rng, 0.0, 2.0 * PI);
        let (x, y) = (r * math::sin(angle), r * math::cos(angle));
        let (nx, ny) = (uniform(rng, -radius, radius) * noise, uniform(rng, -radius, radius) * noise);
        let label = ((x + nx).powi(2) + (y + ny).powi(2)).sqrt() < radius * 0.5;
        pts.push((x, y, label));
    }
    build(pts)
}

/// Class 1 where x·y ≥ 0, with a 0.3 gap along both axes; noise up to ±5·noise.
pub fn xor(n: usize, noise: f64, rng: &mut Rng) -> Dataset {
    let padding = 0.3;
    let pts = (0..n)
        .map(|_| {
            let mut x = uniform(rng, -5.0, 5.0);
            x += if x > 0.0 { padding } else { -padding };
            let mut y = uniform(rng, -5.0, 5.0);
            y += if y > 0.0 { padding } else { -padding };
            let (nx, ny) = (uniform(rng, -5.0, 5.0) * noise, uniform(rng, -5.0, 5.0) * noise);
            (x, y, (x + nx) * (y + ny) >= 0.0)
        })
        .collect();
    build(pts)
}

/// Two Gaussians at (2, 2) (class 1) and (−2, −2) (class 0), variance 0.5 + 7·noise (the
/// playground's linear scale from [0, 0.5] to [0.5, 4]).
pub fn gauss(n: usize, noise: f64, rng: &mut Rng) -> Dataset {
    let variance = 0.5 + noise / 0.5 * 3.5;
    let pts = (0..n)
        .map(|i| {
            let (c, label) = if i < n / 2 { (2.0, true) } else { (-2.0, false) };
            (normal(rng, c, variance), normal(rng, c, variance), label)
        })
        .collect();
    build(pts)
}

/// Two interleaved spirals, radius 0 to 5 over 1.75 turns; noise up to ±noise.
pub fn spiral(n: usize, noise: f64, rng: &mut Rng) -> Dataset {
    let half = n / 2;
    let mut pts = Vec::with_capacity(n);
    for (delta, label, count) in [(0.0, true, half), (PI, false, n - half)] {
        for i in 0..count {
            let r = i as f64 / count as f64 * 5.0;
            let t = 1.75 * i as f64 / count as f64 * 2.0 * PI + delta;
            let x = r * math::sin(t) + uniform(rng, -1.0, 1.0) * noise;
            let y = r * math::cos(t) + uniform(rng, -1.0, 1.0) * noise;
            pts.push((x, y, label));
        }
    }
    build(pts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noiseless_sets_follow_their_geometry_and_balance_the_classes() {
        let mut rng = Rng::new(1);
        let c = circle(400, 0.0, &mut rng);
        for (p, &l) in c.x.chunks(2).zip(&c.y) {
            let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
            assert!(if l == 1 { r < 2.5 } else { (3.5..=5.0).contains(&r) }, "{p:?} {l}");
        }
        let x = xor(400, 0.0, &mut rng);
        assert!(x.x.chunks(2).zip(&x.y).all(|(p, &l)| (p[0] * p[1] >= 0.0) == (l == 1)));
        for d in [&c, &x, &gauss(400, 0.0, &mut rng), &spiral(401, 0.0, &mut rng)] {
            let ones = d.y.iter().filter(|&&l| l == 1).count();
            assert!((150..=250).contains(&ones), "{ones} of {}", d.len());
            assert_eq!(d.x.len(), 2 * d.len());
        }
        let g = gauss(2000, 0.0, &mut rng);
        let mean_x1: f32 = g.x.chunks(2).zip(&g.y).filter(|(_, &l)| l == 1).map(|(p, _)| p[0]).sum::<f32>() / 1000.0;
        assert!((mean_x1 - 2.0).abs() < 0.15, "{mean_x1}");
    }

    #[test]
    fn the_same_seed_gives_the_same_points() {
        assert_eq!(spiral(50, 0.2, &mut Rng::new(3)), spiral(50, 0.2, &mut Rng::new(3)));
        assert_ne!(spiral(50, 0.2, &mut Rng::new(3)), spiral(50, 0.2, &mut Rng::new(4)));
    }
}
