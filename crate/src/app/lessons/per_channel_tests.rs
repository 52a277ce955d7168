//! Lesson 3's numbers against the formulas they come from: the fold as
//! torch/nn/utils/fusion.py writes it, the symmetric scales `max|w| / 127.5`, and the fused conv
//! against conv → BN.

use super::*;
use crate::model::tree::{BatchNorm, Conv2d};

fn input(layer: &str) -> Input {
    Input { seed: 0, out_channels: 8, channel: 2, layer: layer.into() }
}

#[test]
fn each_row_s_own_scale_is_at_most_the_per_tensor_scale_and_bounds_its_error() {
    for layer in ["fused", "conv"] {
        let o = PerChannel::run(&input(layer)).unwrap();
        let biggest = o.rows.iter().map(|r| r.max_abs).fold(0.0f32, f32::max);
        assert_eq!(o.scale_per_tensor, biggest / 127.5, "{layer}: per-tensor scale = max|w| / 127.5");
        for (c, r) in o.rows.iter().enumerate() {
            assert_eq!(r.scale, r.max_abs / 127.5, "{layer} row {c}: per-channel scale");
            assert!(r.error_per_channel <= r.scale / 2.0 * 1.0001, "{layer} row {c}: rounding bound");
            assert!(r.scale <= o.scale_per_tensor, "{layer} row {c}: {r:?}");
            assert!(r.error_per_tensor <= o.scale_per_tensor / 2.0 * 1.0001, "{layer} row {c}: {r:?}");
            // A row as wide as the tensor can round a little worse with its own (almost equal)
            // scale; a row at most half as wide always uses more codes with its own.
            if r.max_abs * 2.0 <= biggest {
                assert!(r.codes_per_channel > r.codes_per_tensor, "{layer} row {c}: {r:?}");
            }
            // Its own scale stretches the row to the ends of −128…127; the shared one only to
            // ±round(max|w[c]| / scale_per_tensor).
            let [lo, hi] = r.span_per_channel;
            assert!(lo >= -128 && hi <= 127 && (lo <= -127 || hi == 127), "{layer} row {c}: {r:?}");
            let reach = (r.max_abs / o.scale_per_tensor).round() as i32;
            assert_eq!(
                r.span_per_tensor[0].abs().max(r.span_per_tensor[1]).min(127),
                reach.min(127),
                "{layer} row {c}"
            );
        }
    }
    // The folded rows differ in range (γ·rsqrt spreads them), so per-tensor wastes codes there.
    let o = PerChannel::run(&input("fused")).unwrap();
    let (lo, hi) = o.rows.iter().fold((f32::MAX, 0.0f32), |(l, h), r| (l.min(r.max_abs), h.max(r.max_abs)));
    assert!(hi / lo > 4.0, "folded rows span {lo}..{hi}");
    let (t, c) = (o.mean_row_error_per_tensor, o.mean_row_error_per_channel);
    assert!(t > 1.5 * c, "mean row error per tensor {t} vs per channel {c}");
}

#[test]
fn the_fold_multiplies_each_weight_by_gamma_rsqrt_and_moves_the_bias() {
    let f = PerChannel::run(&input("fused")).unwrap().fold;
    assert_eq!(f.rsqrt, 1.0 / (f.running_var + f.eps).sqrt());
    assert_eq!(f.factor, f.gamma * f.rsqrt);
    for (w, fw) in f.weight.iter().zip(&f.fused_weight) {
        assert_eq!(*fw, w * f.factor);
    }
    assert_eq!(f.fused_bias, (f.bias - f.running_mean) * f.rsqrt * f.gamma + f.beta);
}

#[test]
fn the_fused_conv_gives_conv_then_batchnorm_to_float_rounding() {
    for seed in [0, 1, 7] {
        let o = PerChannel::run(&Input { seed, out_channels: 16, channel: 0, layer: "fused".into() }).unwrap();
        // Folding reorders f32 roundings only: a few ulps of the output's size.
        assert!(
            o.fused_max_abs_diff <= o.output_max_abs * 1e-5,
            "seed {seed}: {} of {}",
            o.fused_max_abs_diff,
            o.output_max_abs
        );
        assert!((o.fold.y_fused - o.fold.y_conv_bn).abs() <= o.fused_max_abs_diff);
    }
}

#[test]
fn bad_inputs_name_the_value_and_the_valid_ones() {
    let mut i = input("folded");
    assert!(PerChannel::run(&i).unwrap_err().to_string().contains("fused, conv"));
    i.layer = "conv".into();
    i.channel = 8;
    let msg = PerChannel::run(&i).unwrap_err().to_string();
    assert!(msg.contains("channel") && msg.contains("0 to 7"), "{msg}");
    i.out_channels = 1;
    assert!(PerChannel::run(&i).unwrap_err().to_string().contains("2 to 32"));
}

const FIXTURE: &str = include_str!("../../../../tests/fixtures/lessons_per_channel.json");

fn bits(v: &serde_json::Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|b| f32::from_bits(b.as_u64().unwrap() as u32)).collect()
}

#[test]
fn the_fold_and_the_scales_equal_torch_fuse_modules_and_its_observers() {
    let fx: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    let c = fx["out_channels"].as_u64().unwrap() as usize;
    let conv = Conv2d {
        in_channels: 3,
        out_channels: c,
        kernel_size: (3, 3),
        stride: (1, 1),
        padding: (1, 1),
        weight: bits(&fx["conv_weight"]),
        bias: Some(bits(&fx["conv_bias"])),
    };
    let bn = BatchNorm {
        dim: 2,
        num_features: c,
        eps: fx["eps_f64"].as_f64().unwrap(),
        momentum: 0.1,
        weight: Some(bits(&fx["bn_weight"])),
        bias: Some(bits(&fx["bn_bias"])),
        running_mean: bits(&fx["running_mean"]),
        running_var: bits(&fx["running_var"]),
    };
    let model = block(conv, bn);
    let (x, y, y_fused) = (bits(&fx["x"]), bits(&fx["y"]), bits(&fx["y_fused"]));
    let (fw, fb) = (bits(&fx["fused_weight"]), bits(&fx["fused_bias"]));
    let per = fw.len() / c;
    for ch in 0..c {
        let o = compute(&model, &x, &Input { seed: 0, out_channels: c, channel: ch, layer: "fused".into() }).unwrap();
        assert_eq!(o.fold.fused_weight, fw[ch * per..ch * per + 9], "channel {ch}: fused weight bit for bit");
        assert_eq!(o.fold.fused_bias, fb[ch], "channel {ch}: fused bias bit for bit");
        // torch's CPU conv sums in another order: the outputs agree to float rounding.
        let at = ch * 64;
        for (ours, theirs, what) in [(o.fold.y_conv_bn, y[at], "conv → BN"), (o.fold.y_fused, y_fused[at], "fused")] {
            assert!(
                (ours - theirs).abs() <= 1e-5 * theirs.abs().max(1.0),
                "channel {ch} {what}: {ours} vs torch {theirs}"
            );
        }
        if ch > 0 {
            continue;
        }
        assert_eq!(o.scale_per_tensor.to_bits() as u64, fx["scale_per_tensor"].as_u64().unwrap(), "per-tensor scale");
        let scales: Vec<f32> = o.rows.iter().map(|r| r.scale).collect();
        assert_eq!(scales, bits(&fx["scales"]), "per-channel scales bit for bit");
        let (et, ec) = (bits(&fx["error_per_tensor"]), bits(&fx["error_per_channel"]));
        for (r, row) in o.rows.iter().enumerate() {
            assert_eq!(
                (row.error_per_tensor, row.error_per_channel),
                (et[r], ec[r]),
                "row {r}: weight errors vs torch dequantize"
            );
        }
    }
}
