//! The numeric debugger against torch's Numeric Suite (tests/fixtures/numeric_suite.json, written
//! by tests/fixtures/gen_numeric_suite.py): quantplay's `compare_weights` must give torch's
//! per-layer max abs error bit for bit and its SQNR within
//! [`quantplay::parity::NUMERIC_SUITE_SQNR_DB`]; `compare_model_outputs` must give torch's
//! per-layer SQNR within [`quantplay::parity::NUMERIC_SUITE_OUTPUT_SQNR_DB`], on the CPU reference,
//! the CPU fast path and (when there is an adapter) WebGPU. Plus the sensitivity sweep and
//! keep-float on the same models: sorted rows, and a keep-float run equal to its sweep row.

use quantplay::app::ptq::{run, PtqOptions};
use quantplay::app::ptq_debug::{extras, DebugOptions};
use quantplay::model::state::{StateDict, Tensor};
use quantplay::model::{spec, Model};
use quantplay::parity::{NUMERIC_SUITE_OUTPUT_SQNR_DB, NUMERIC_SUITE_SQNR_DB};
use quantplay::quant::eager::debug::{compare_model_outputs, compare_weights};
use quantplay::{Backend, CpuFast, CpuReference};
use serde_json::Value;

#[path = "cases/fixture.rs"]
mod fixture;

const SUITE: &str = include_str!("fixtures/numeric_suite.json");

fn model_of(m: &Value) -> Model {
    let mut sd = StateDict::default();
    for (k, t) in m["weights"].as_object().expect("weights") {
        let (v, shape) = fixture::tensor(t);
        sd.insert(k.clone(), Tensor::f32(&shape, v));
    }
    let s = spec::parse(&m["spec"].to_string()).expect("fixture spec parses");
    Model::from_spec(&s, &sd).expect("fixture weights load")
}

fn options(case: &Value, calib_batch: usize) -> PtqOptions {
    PtqOptions {
        qconfig: case["config"]["qconfig"].as_str().map(String::from),
        per_tensor: case["config"]["per_tensor"].as_bool().unwrap(),
        fuse: case["config"]["fuse"].as_bool().unwrap(),
        calib_batch,
        ..Default::default()
    }
}

/// Every case of the fixture through our PTQ on `b`, checked against torch's figures.
async fn suite_agrees_on<B: Backend>(b: &B) {
    let file: Value = serde_json::from_str(SUITE).unwrap();
    for m in file["models"].as_array().unwrap() {
        let model = model_of(m);
        let (calib, cshape) = fixture::tensor(&m["calib"]);
        let (eval, eshape) = fixture::tensor(&m["eval"]);
        let bs = fixture::usize_of(&m["run_fn"]["batch_size"]);
        assert_eq!(fixture::usize_of(&m["run_fn"]["batches"]) * bs, cshape[0], "run_fn covers calib");
        for case in m["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let r = run(b, &model, (&calib, &cshape), None, None, &options(case, bs)).await.expect("ptq");
            let ours = compare_weights(&r.prepared.model, &r.converted.model);
            let want = case["compare_weights"].as_array().unwrap();
            let names: Vec<&str> = ours.iter().map(|w| w.name.as_str()).collect();
            let want_names: Vec<&str> = want.iter().map(|w| w["name"].as_str().unwrap()).collect();
            assert_eq!(names, want_names, "{name}: compare_weights layers");
            for (o, t) in ours.iter().zip(want) {
                let max = fixture::f32_of(&t["max_abs_error_bits"]);
                assert_eq!(
                    o.max_abs_error.to_bits(),
                    max.to_bits(),
                    "{name} {}: max abs error {} vs torch {max}",
                    o.name,
                    o.max_abs_error
                );
                let s = fixture::f32_of(&t["sqnr_db_bits"]) as f64;
                assert!(
                    (o.sqnr_db - s).abs() <= NUMERIC_SUITE_SQNR_DB,
                    "{name} {}: weight SQNR {} vs torch {s}",
                    o.name,
                    o.sqnr_db
                );
            }
            let acts =
                compare_model_outputs(b, &r.prepared, &r.converted.model, &eval, &eshape).await.expect("outputs");
            let mut checked = 0;
            for t in case["compare_model_outputs"].as_array().unwrap() {
                let path = t["name"].as_str().unwrap();
                if path == "quant" {
                    continue;
                }
                let o =
                    acts.iter().find(|a| a.name == path).unwrap_or_else(|| panic!("{name}: no activation row {path}"));
                let s = fixture::f32_of(&t["sqnr_db_bits"]) as f64;
                assert!(
                    (o.sqnr_db - s).abs() <= NUMERIC_SUITE_OUTPUT_SQNR_DB,
                    "{name} {path}: output SQNR {} vs torch {s}",
                    o.sqnr_db
                );
                checked += 1;
            }
            assert!(checked > 0, "{name}: no output compared");
        }
    }
}

#[test]
fn compare_weights_and_outputs_match_torchs_numeric_suite_on_the_cpu_reference() {
    pollster::block_on(suite_agrees_on(&CpuReference));
}

#[test]
fn compare_weights_and_outputs_match_torchs_numeric_suite_on_the_cpu_fast_path() {
    pollster::block_on(suite_agrees_on(&CpuFast));
}

#[test]
fn compare_weights_and_outputs_match_torchs_numeric_suite_on_webgpu() {
    // Without an adapter this prints SKIP (as tests/native.rs does) unless QUANTPLAY_REQUIRE_GPU=1.
    match pollster::block_on(quantplay::GpuBackend::new()) {
        Ok(g) => pollster::block_on(suite_agrees_on(&g)),
        Err(e) if std::env::var("QUANTPLAY_REQUIRE_GPU").as_deref() == Ok("1") => panic!("no GPU: {e}"),
        Err(e) => eprintln!("SKIP webgpu: {e}"),
    }
}

/// The fixture's MLP with labels that the float model gets right (its own argmax on eval), so
/// quantization can only lose accuracy and keeping a layer float can win it back.
/// A tensor's values and shape.
type Data = (Vec<f32>, Vec<usize>);

fn mlp_with_own_labels() -> (Model, Data, Data, Vec<i32>) {
    let file: Value = serde_json::from_str(SUITE).unwrap();
    let m = &file["models"][0];
    let model = model_of(m);
    let (calib, cshape) = fixture::tensor(&m["calib"]);
    let (eval, eshape) = fixture::tensor(&m["eval"]);
    let (_, out) =
        pollster::block_on(quantplay::quant::eager::report::float_outputs(&CpuReference, &model, &eval, &eshape))
            .unwrap();
    let classes = out.len() / eshape[0];
    let labels = out
        .chunks(classes)
        .map(|r| r.iter().enumerate().fold(0, |b, (i, &v)| if v > r[b] { i } else { b }) as i32)
        .collect();
    (model, (calib, cshape), (eval, eshape), labels)
}

#[test]
fn the_sweep_has_one_row_per_quantized_layer_sorted_by_gain_and_keeping_a_layer_float_gives_its_row() {
    let (model, (calib, cshape), (eval, eshape), y) = mlp_with_own_labels();
    let opt = PtqOptions { calib_batch: 8, ..Default::default() };
    let data = ((calib.as_slice(), cshape.as_slice()), Some((eval.as_slice(), eshape.as_slice())), Some(y.as_slice()));
    let mut seen = Vec::new();
    let dbg = DebugOptions { debug: true, sweep: true };
    let d = pollster::block_on(extras(&CpuReference, &model, data, &opt, dbg, None, &mut |i, n, l| {
        seen.push((i, n, l.to_string()))
    }))
    .unwrap();
    let sweep = d.sweep.expect("sweep asked for");
    let mut names: Vec<&str> = sweep.rows.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["fc1", "fc2", "fc3"]);
    assert_eq!(seen.len(), 4, "progress before each of 3 runs and once at the end: {seen:?}");
    assert!(sweep.rows.windows(2).all(|w| w[0].gain >= w[1].gain), "{:?}", sweep.rows);
    assert_eq!(sweep.float, 1.0, "labels are the float model's own predictions");
    for r in &sweep.rows {
        assert!((r.accuracy - sweep.int8 - r.gain).abs() < 1e-12, "{r:?}");
        let keep = PtqOptions { keep_float: vec![r.name.clone()], ..opt.clone() };
        let k = pollster::block_on(extras(
            &CpuReference,
            &model,
            data,
            &keep,
            DebugOptions::default(),
            None,
            &mut |_, _, _| {},
        ))
        .unwrap()
        .keep_float
        .expect("keep_float asked for");
        assert_eq!(k.accuracy, Some(r.accuracy), "{}: keep-float run vs its sweep row", r.name);
        assert_eq!(k.int8, Some(sweep.int8));
        assert_eq!(k.change, Some(r.gain));
    }
    let c = d.debug.expect("debug asked for");
    assert_eq!(c.weights.len(), 3);
    // One row per quantized output, the QuantStub's `Quantize` first (torch's Logger has it too).
    assert_eq!(c.activations.len(), 4);
    assert_eq!(c.activations[0].kind, "Quantize");
    for a in &c.activations {
        assert!(a.cosine_similarity > 0.9 && a.cosine_similarity <= 1.0 + 1e-12, "{a:?}");
        assert!(a.clip_lo <= 0.0 && a.clip_hi > 0.0, "{a:?}");
    }
}

#[test]
fn keeping_every_layer_float_gives_the_float_models_accuracy() {
    let (model, (calib, cshape), (eval, eshape), y) = mlp_with_own_labels();
    let all = vec!["fc1".to_string(), "fc2".into(), "fc3".into()];
    let opt = PtqOptions { calib_batch: 8, keep_float: all, ..Default::default() };
    let r = pollster::block_on(run(&CpuReference, &model, (&calib, &cshape), Some((&eval, &eshape)), Some(&y), &opt))
        .unwrap();
    assert!(r.report.layers.is_empty(), "nothing quantized: {:?}", r.report.layers);
    let leaves: Vec<String> =
        r.converted.model.leaves().into_iter().map(|(p, m)| format!("{p}:{}", m.kind.type_name())).collect();
    assert!(leaves.iter().all(|l| !l.contains("Quant")), "every stub pair is dropped: {leaves:?}");
    assert_eq!(r.report.accuracy.unwrap().int8, 1.0);
}

#[test]
fn a_sweep_without_labels_and_an_unknown_keep_float_layer_are_named_errors() {
    let (model, (calib, cshape), (eval, eshape), _) = mlp_with_own_labels();
    let data = ((calib.as_slice(), cshape.as_slice()), Some((eval.as_slice(), eshape.as_slice())), None);
    let dbg = DebugOptions { debug: false, sweep: true };
    let e =
        pollster::block_on(extras(&CpuReference, &model, data, &PtqOptions::default(), dbg, None, &mut |_, _, _| {}))
            .unwrap_err()
            .to_string();
    assert!(e.contains("sweep") && e.contains("labels"), "{e}");
    let opt = PtqOptions { keep_float: vec!["fc9".into()], ..Default::default() };
    let e =
        pollster::block_on(run(&CpuReference, &model, (&calib, &cshape), None, None, &opt)).err().unwrap().to_string();
    assert!(e.contains("fc9") && e.contains("fc1, fc2, fc3"), "{e}");
}

/// The MLP's spec, weights, calibration and labelled evaluation files in a fresh folder.
fn cli_inputs(tag: &str) -> (std::path::PathBuf, [String; 4]) {
    use quantplay::HostData;
    let (model, (calib, cshape), (eval, eshape), y) = mlp_with_own_labels();
    let file: Value = serde_json::from_str(SUITE).unwrap();
    let dir = std::env::temp_dir().join(format!("quantplay-numdbg-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = |n: &str| dir.join(n).to_string_lossy().into_owned();
    std::fs::write(path("model.json"), file["models"][0]["spec"].to_string()).unwrap();
    std::fs::write(path("model.safetensors"), model.state_dict().to_safetensors(None).unwrap()).unwrap();
    let save = |name: &str, tensors: Vec<(&str, Tensor)>| {
        let mut sd = StateDict::default();
        for (k, t) in tensors {
            sd.insert(k, t);
        }
        std::fs::write(path(name), sd.to_safetensors(None).unwrap()).unwrap();
    };
    save("calib.safetensors", vec![("x", Tensor::f32(&cshape, calib))]);
    let n = y.len();
    save(
        "eval.safetensors",
        vec![("x", Tensor::f32(&eshape, eval)), ("y", Tensor { shape: vec![n], data: HostData::I32(y) })],
    );
    let files = [path("model.json"), path("model.safetensors"), path("calib.safetensors"), path("eval.safetensors")];
    (dir, files)
}

fn quantize(files: &[String; 4], eval: &str, extra: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_quantplay"))
        .args(["quantize", "--spec", &files[0], "--weights", &files[1], "--calib", &files[2], "--eval", eval])
        .args(["--calib-batch", "8", "--backend", "cpu-reference"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn quantize_debug_sweep_and_keep_float_add_their_figures_to_the_json_report_with_progress_on_stderr() {
    let (dir, f) = cli_inputs("json");
    let out = quantize(&f, &f[3], &["--json", "--debug", "--sweep"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sweep 1/3") && stderr.contains("sweep 3/3"), "{stderr}");
    let w = v["debug"]["weights"].as_array().unwrap();
    assert_eq!(w.len(), 3);
    assert!(w.iter().all(|l| l["sqnr_db"].as_f64().unwrap() > 40.0), "{w:?}");
    assert_eq!(v["debug"]["activations"].as_array().unwrap().len(), 4, "the Quantize row and 3 layers");
    let rows = v["sweep"]["rows"].as_array().unwrap();
    let top = rows[0]["name"].as_str().unwrap().to_string();
    let top_acc = rows[0]["accuracy"].as_f64().unwrap();
    let keep = quantize(&f, &f[3], &["--json", "--keep-float", &top]);
    assert!(keep.status.success(), "{}", String::from_utf8_lossy(&keep.stderr));
    let k: Value = serde_json::from_slice(&keep.stdout).unwrap();
    assert_eq!(k["keep_float"]["accuracy"].as_f64(), Some(top_acc), "{}", k["keep_float"]);
    assert_eq!(k["accuracy"]["int8"].as_f64(), Some(top_acc));
    assert!(k["layers"].as_array().unwrap().iter().all(|l| l["name"] != top.as_str()), "{top} stays float");
    let text = quantize(&f, &f[3], &["--debug", "--keep-float", &top]);
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(t.contains("compare_weights") && t.contains("compare_model_outputs") && t.contains("kept float"), "{t}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn quantize_sweep_without_labels_and_an_unknown_keep_float_path_exit_2_naming_the_problem() {
    let (dir, f) = cli_inputs("errors");
    let no_y = quantize(&f, &f[2], &["--sweep"]);
    assert_eq!(no_y.status.code(), Some(2));
    let e = String::from_utf8_lossy(&no_y.stderr);
    assert!(e.contains("sweep") && e.contains("`y`"), "{e}");
    let bad = quantize(&f, &f[3], &["--keep-float", "fc1,nope"]);
    assert_eq!(bad.status.code(), Some(2));
    let e = String::from_utf8_lossy(&bad.stderr);
    assert!(e.contains("\"nope\"") && e.contains("fc1, fc2, fc3"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
