//! The seed corpus, made from the library so every seed is a valid file of its kind: weights
//! for the targets' MLP and CNN specs, data files with and without labels, specs (MaxPool2d too), int8 files
//! from static PTQ (per-channel and per-tensor) and dynamic quantization, and schedules.
//! `QUANTPLAY_FUZZ_WRITE_SEEDS=1 cargo test --test fuzz` writes them to tests/fuzz/corpus/,
//! where they are committed; the runs read the committed files.
//!
//! Not here: running or mutating them.

use super::targets::{CNN_SPEC, MLP_SPEC};
use quantplay::app::ptq::{self, PtqOptions};
use quantplay::backend::HostData;
use quantplay::model::state::{StateDict, Tensor};
use quantplay::model::{int8, spec};
use quantplay::quant::eager::quantize_dynamic;
use quantplay::quant::qconfig::{default_dynamic_qconfig, per_channel_dynamic_qconfig};
use quantplay::rules::rng::Rng;
use quantplay::{CpuReference, Model};

/// A CNN with a ceil-mode MaxPool2d: the spec and int8 seeds of the pooling fields.
const POOL_SPEC: &str = r#"{"format": "quantplay-model/1", "input_shape": [1, 6, 6],
  "model": {"type": "Sequential", "children": [
    {"name": "quant", "type": "QuantStub"},
    {"name": "conv", "type": "Conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 3, "padding": 1},
    {"name": "relu", "type": "ReLU"},
    {"name": "pool", "type": "MaxPool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": true},
    {"name": "flat", "type": "Flatten"},
    {"name": "fc", "type": "Linear", "in_features": 32, "out_features": 3},
    {"name": "dequant", "type": "DeQuantStub"}]},
  "fuse": [["conv", "relu"]]}"#;

fn weights(text: &str, seed: u64) -> StateDict {
    let s = spec::parse(text).unwrap();
    // The spec's parameters (torch's state_dict keys and shapes), filled with seeded values.
    let mut sd = StateDict::default();
    let mut rng = Rng::new(seed);
    let mut shapes: Vec<(String, Vec<usize>)> = Vec::new();
    collect(&s.model, "", &mut shapes);
    for (k, shape) in shapes {
        let n = shape.iter().product();
        let v = if k.ends_with("running_var") { vec![1.0; n] } else { rng.uniform_vec(n, -0.5, 0.5) };
        sd.insert(k, Tensor::f32(&shape, v));
    }
    sd
}

fn collect(n: &spec::NodeSpec, path: &str, out: &mut Vec<(String, Vec<usize>)>) {
    use spec::ModuleKind as K;
    let key = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    match n.kind {
        K::Linear { in_features, out_features, .. } => {
            out.push((key("weight"), vec![out_features, in_features]));
            out.push((key("bias"), vec![out_features]));
        }
        K::Conv2d { in_channels, out_channels, kernel_size, .. } => {
            out.push((key("weight"), vec![out_channels, in_channels, kernel_size.0, kernel_size.1]));
            out.push((key("bias"), vec![out_channels]));
        }
        K::BatchNorm { num_features, .. } => {
            for k in ["weight", "bias", "running_mean", "running_var"] {
                out.push((key(k), vec![num_features]));
            }
        }
        _ => {}
    }
    for c in &n.children {
        collect(c, &key(&c.name), out);
    }
}

fn model(text: &str) -> Model {
    Model::from_spec(&spec::parse(text).unwrap(), &weights(text, 5)).unwrap()
}

fn int8_file(m: &Model, per_tensor: bool) -> Vec<u8> {
    let per: usize = m.input_shape.as_ref().unwrap().iter().product();
    let shape: Vec<usize> = std::iter::once(8).chain(m.input_shape.clone().unwrap()).collect();
    let calib = Rng::new(2).uniform_vec(8 * per, 0.0, 1.0);
    let opt = PtqOptions { per_tensor, ..Default::default() };
    let run = pollster::block_on(ptq::run(&CpuReference, m, (&calib, &shape), None, None, &opt)).unwrap();
    int8::save(&run.converted.model).unwrap()
}

fn data(n: usize, d: usize, labels: Option<HostData>) -> Vec<u8> {
    let mut sd = StateDict::default();
    sd.insert("x", Tensor::f32(&[n, d], Rng::new(4).uniform_vec(n * d, 0.0, 1.0)));
    if let Some(y) = labels {
        sd.insert("y", Tensor { shape: vec![n], data: y });
    }
    sd.to_safetensors(None).unwrap()
}

/// `(target, file name, bytes)` for every seed.
pub fn all() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut add = |t: &'static str, name: &str, b: Vec<u8>| out.push((t, name.to_string(), b));
    add("safetensors_weights", "mlp.safetensors", weights(MLP_SPEC, 1).to_safetensors(None).unwrap());
    add("safetensors_weights", "cnn.safetensors", weights(CNN_SPEC, 2).to_safetensors(None).unwrap());
    let mut mixed = StateDict::default();
    mixed.insert("a", Tensor { shape: vec![2, 2], data: HostData::I8(vec![-128, 0, 1, 127]) });
    mixed.insert("b.num_batches_tracked", Tensor { shape: vec![], data: HostData::I32(vec![3]) });
    mixed.insert("c", Tensor { shape: vec![0, 3], data: HostData::F32(vec![]) });
    add("safetensors_weights", "dtypes.safetensors", mixed.to_safetensors(None).unwrap());
    add("data_file", "labelled.safetensors", data(6, 4, Some(HostData::I32(vec![0, 1, 2, 0, 1, 2]))));
    add("data_file", "u8-labels.safetensors", data(3, 2, Some(HostData::U8(vec![1, 0, 1]))));
    add("data_file", "unlabelled.safetensors", data(4, 4, None));
    add("model_spec", "mlp.json", MLP_SPEC.as_bytes().to_vec());
    add("model_spec", "cnn.json", CNN_SPEC.as_bytes().to_vec());
    let nested = r#"{"format":"quantplay-model/1","input_shape":[2],"model":{"type":"Sequential","children":[
      {"name":"block","type":"Sequential","qconfig":"fbgemm","children":[{"name":"act","type":"ReLU"},
      {"name":"drop","type":"Dropout","p":0.25}]},{"name":"id","type":"Identity","qconfig":null},
      {"name":"flat","type":"Flatten","start_dim":0,"end_dim":-1}]}}"#;
    add("model_spec", "param-free.json", nested.as_bytes().to_vec());
    add("model_spec", "maxpool.json", POOL_SPEC.as_bytes().to_vec());
    add("int8_model", "maxpool.int8.safetensors", int8_file(&model(POOL_SPEC), false));
    let (mlp, cnn) = (model(MLP_SPEC), model(CNN_SPEC));
    add("int8_model", "mlp-per-channel.int8.safetensors", int8_file(&mlp, false));
    add("int8_model", "mlp-per-tensor.int8.safetensors", int8_file(&mlp, true));
    add("int8_model", "cnn.int8.safetensors", int8_file(&cnn, false));
    for (name, qc) in [("dynamic", default_dynamic_qconfig()), ("dynamic-per-channel", per_channel_dynamic_qconfig())] {
        let (d, _) = quantize_dynamic(&mlp, &qc, &["Linear"]).unwrap();
        add("int8_model", &format!("mlp-{name}.int8.safetensors"), int8::save(&d).unwrap());
    }
    add("schedule", "mixed.txt", b"ok,inf,ok,nan,-inf".to_vec());
    add("schedule", "spaces.txt", b" ok , ok,,inf ".to_vec());
    add("schedule", "long.txt", vec!["ok"; 300].join(",").into_bytes());
    out
}
