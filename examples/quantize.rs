//! Post-training static quantization as a library call, the eager-mode flow of
//! `torch.ao.quantization`: load a model (JSON spec + safetensors state_dict), fuse, `prepare`
//! (observers from the qconfig), calibrate, `convert`, then print each quantized layer's qparams.
//!
//! `cargo run --example quantize` builds a small Conv-BN-ReLU → Linear model with seeded weights
//! (as `safetensors.torch.save_file(model.state_dict(), …)` would write them) and calibrates it on
//! seeded inputs. `cargo run --example quantize -- model.json model.safetensors` loads your own.
//! `cargo test` runs this example (its test calls `main`'s body and checks the result).

use quantplay::model::{fuse::fuse_modules, spec, state::Tensor, Kind};
use quantplay::rules::rng::Rng;
use quantplay::{convert, load, prepare, Mapping, QConfigDict, QParams, Result, StateDict};

/// The built-in model: `(1, 8, 8)` images → 10 classes, qconfig x86, Conv+BN+ReLU fused.
const SPEC: &str = r#"{
  "format": "quantplay-model/1",
  "input_shape": [1, 8, 8],
  "model": {"type": "Sequential", "qconfig": "x86", "children": [
    {"name": "quant", "type": "QuantStub"},
    {"name": "conv", "type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"name": "bn", "type": "BatchNorm2d", "num_features": 4},
    {"name": "relu", "type": "ReLU"},
    {"name": "flatten", "type": "Flatten"},
    {"name": "fc", "type": "Linear", "in_features": 256, "out_features": 10},
    {"name": "dequant", "type": "DeQuantStub"}
  ]},
  "fuse": [["conv", "bn", "relu"]]
}"#;

/// Seeded weights under torch's state_dict keys, as safetensors bytes.
fn builtin_weights(seed: u64) -> Result<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let mut sd = StateDict::default();
    let mut put = |key: &str, shape: &[usize], lo: f32, hi: f32| {
        let n = shape.iter().product();
        sd.insert(key, Tensor::f32(shape, rng.uniform_vec(n, lo, hi)));
    };
    put("conv.weight", &[4, 1, 3, 3], -0.5, 0.5);
    put("conv.bias", &[4], -0.1, 0.1);
    put("bn.weight", &[4], 0.8, 1.2);
    put("bn.bias", &[4], -0.1, 0.1);
    put("bn.running_mean", &[4], -0.05, 0.05);
    put("bn.running_var", &[4], 0.5, 1.5);
    put("fc.weight", &[10, 256], -0.06, 0.06);
    put("fc.bias", &[10], -0.1, 0.1);
    sd.to_safetensors(None)
}

/// One line per quantized layer: `name kind weight=(scheme scale…) out=(scale, zero_point)`.
pub fn run(spec_json: &str, weights: &[u8], calib: &[f32], shape: &[usize]) -> Result<Vec<String>> {
    let spec = spec::parse(spec_json)?;
    let m = fuse_modules(&load(spec_json, weights)?, &spec.fuse)?;
    let mut prepared = prepare(&m, &QConfigDict::default())?;
    prepared.calibrate(calib, shape, 32)?;
    let converted = convert(&prepared, &Mapping::default())?;
    let mut lines = Vec::new();
    for (path, module) in converted.model.leaves() {
        let (wq, scale, zp) = match &module.kind {
            Kind::QuantizedLinear(l) => (&l.weight_qparams, l.scale, l.zero_point),
            Kind::QuantizedConv2d(c) => (&c.weight_qparams, c.scale, c.zero_point),
            _ => continue,
        };
        let w = match wq {
            QParams::PerTensor { scale, zero_point, .. } => format!("per_tensor scale {scale} zero_point {zero_point}"),
            QParams::PerChannel { scales, .. } => format!("per_channel scales {scales:?}"),
        };
        lines.push(format!("{path} {}: weight {w}; output scale {scale} zero_point {zp}", module.kind.type_name()));
    }
    Ok(lines)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (spec_json, weights) = match args.as_slice() {
        [spec, weights] => (read(spec)?, std::fs::read(weights).map_err(|e| bad(weights, e))?),
        [] => (SPEC.to_string(), builtin_weights(7)?),
        _ => {
            return Err(quantplay::Error::InvalidArgument {
                name: "arguments",
                value: args.join(" "),
                valid: "none (the built-in model) or SPEC.json WEIGHTS.safetensors".into(),
            })
        }
    };
    let input: Vec<usize> = spec::parse(&spec_json)?.input_shape.unwrap_or_else(|| vec![1, 8, 8]);
    let per: usize = input.iter().product();
    let n = 128;
    let calib = Rng::new(11).uniform_vec(n * per, 0.0, 1.0);
    let shape: Vec<usize> = std::iter::once(n).chain(input).collect();
    for line in run(&spec_json, &weights, &calib, &shape)? {
        println!("{line}");
    }
    Ok(())
}

fn read(path: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| bad(path, e))
}

fn bad(path: &str, e: std::io::Error) -> quantplay::Error {
    quantplay::Error::InvalidArgument { name: "path", value: path.into(), valid: format!("a readable file ({e})") }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_builtin_model_quantizes_with_per_channel_weights_and_uint8_outputs() {
        let weights = super::builtin_weights(7).unwrap();
        let calib = quantplay::rules::rng::Rng::new(11).uniform_vec(64 * 64, 0.0, 1.0);
        let lines = super::run(super::SPEC, &weights, &calib, &[64, 1, 8, 8]).unwrap();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("conv QuantizedConvReLU2d: weight per_channel"), "{}", lines[0]);
        assert!(lines[1].starts_with("fc QuantizedLinear: weight per_channel"), "{}", lines[1]);
        // x86's activation observer uses reduce_range: zero points within 0..=127.
        for l in &lines {
            let zp: i32 = l.rsplit(' ').next().unwrap().parse().unwrap();
            assert!((0..=127).contains(&zp), "{l}");
        }
        super::main().unwrap();
    }
}
