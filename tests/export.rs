//! python/quantplay_export.py against torch: each case of tests/fixtures/export.json
//! (gen_export.py) holds the files the exporter wrote for a torch model (model.json as text,
//! model.safetensors byte for byte under tests/fixtures/export/) and torch's eager PTQ of the
//! ORIGINAL module (F.relu / torch.flatten calls, custom forwards). quantplay loads the files
//! (`model::load`, strict), fuses by the spec's groups, prepares, calibrates with torch's run_fn
//! batching and converts; the result must meet the README's rule ("How exact is the eager
//! flow"): weight codes, weight qparams, biases and the input qparams bit-exact, an output
//! scale within `GEMM_ULPS` ulps and its zero point ±1, and the output codes ±1.
//! The same files through the binary (`quantplay quantize --calib-batch 8 --json --dump`, the
//! issue's "export → quantplay quantize") must report the same within that rule. The exporter's
//! error messages for unsupported graphs, recorded by the generator, are checked to name the node.

use quantplay::model::fuse::fuse_modules;
use quantplay::model::Kind;
use quantplay::quant::eager::report::quant_trace;
use quantplay::{convert, prepare, CpuReference, Mapping, QConfigDict, QParams};
use serde_json::Value;

#[path = "cases/fixture.rs"]
mod fixture;
use fixture::{f32_of, i32_of, i32s, tensor, u32s, usize_of};

const FIXTURE: &str = include_str!("fixtures/export.json");
/// As tests/cases/eager.rs: MKL / oneDNN sum in a CPU-dependent order (README).
const GEMM_ULPS: u32 = 8;

fn ulps(a: f32, b: f32) -> u32 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
}

/// Weight codes, weight qparams, bias, output scale and zero point of a quantized op.
type Weights<'a> = (&'a [i8], &'a QParams, &'a Option<Vec<f32>>, f32, i32);

fn weights_of(k: &Kind) -> Option<Weights<'_>> {
    match k {
        Kind::QuantizedLinear(l) => Some((&l.weight_codes, &l.weight_qparams, &l.bias, l.scale, l.zero_point)),
        Kind::QuantizedConv2d(c) => Some((&c.weight_codes, &c.weight_qparams, &c.bias, c.scale, c.zero_point)),
        _ => None,
    }
}

#[test]
fn quantplay_ptq_on_exported_files_meets_the_readme_rule_against_torchs_eager_flow() {
    let file: Value = serde_json::from_str(FIXTURE).unwrap();
    let run_fn = &file["run_fn"];
    let (bs, nb) = (usize_of(&run_fn["batch_size"]), usize_of(&run_fn["batches"]));
    let (mut cases, mut codes_total, mut codes_off, mut layers_n, mut exact) = (0, 0, 0, 0, 0);
    for case in file["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let spec_text = case["files"]["model.json"].as_str().unwrap();
        let path = format!(
            "{}/../tests/fixtures/{}",
            env!("CARGO_MANIFEST_DIR"),
            case["files"]["model.safetensors"].as_str().unwrap()
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {path}: {e}"));
        let model = quantplay::load(spec_text, &bytes).unwrap_or_else(|e| panic!("{name}: exported files load: {e}"));
        let spec = quantplay::model::spec::parse(spec_text).unwrap();
        let model = fuse_modules(&model, &spec.fuse).unwrap_or_else(|e| panic!("{name}: fuse: {e}"));
        let mut p = prepare(&model, &QConfigDict::default()).unwrap_or_else(|e| panic!("{name}: prepare: {e}"));
        let (x, shape) = tensor(&case["calib"]);
        let per = x.len() / shape[0];
        let mut s = shape.clone();
        s[0] = bs;
        for i in 0..nb {
            p.observe(&x[i * bs * per..(i + 1) * bs * per], &s).unwrap_or_else(|e| panic!("{name}: calibrate: {e}"));
        }
        let c = convert(&p, &Mapping::default()).unwrap_or_else(|e| panic!("{name}: convert: {e}"));
        let exp = &case["expected"];
        let quant = c.model.leaves().into_iter().find_map(|(_, m)| match &m.kind {
            Kind::Quantize(QParams::PerTensor { scale, zero_point, .. }) => Some((scale.to_bits(), *zero_point)),
            _ => None,
        });
        let want_in = (fixture::u32_of(&exp["input"]["scale"]), i32_of(&exp["input"]["zero_point"]));
        assert_eq!(quant, Some(want_in), "{name}: the QuantStub's qparams");
        let layers = exp["layers"].as_array().unwrap();
        let ours: Vec<String> =
            c.model.leaves().into_iter().filter(|(_, m)| weights_of(&m.kind).is_some()).map(|(p, _)| p).collect();
        let theirs: Vec<&str> = layers.iter().map(|l| l["name"].as_str().unwrap()).collect();
        assert_eq!(ours, theirs, "{name}: the quantized layers");
        for l in layers {
            let lp = l["name"].as_str().unwrap();
            let m = c.model.get(lp).unwrap();
            assert_eq!(m.kind.type_name(), l["kind"].as_str().unwrap(), "{name}: {lp} kind");
            let (codes, wq, bias, scale, zp) = weights_of(&m.kind).unwrap();
            let (scales, zps) = match wq {
                QParams::PerTensor { scale, zero_point, .. } => (vec![*scale], vec![*zero_point]),
                QParams::PerChannel { scales, zero_points, .. } => (scales.clone(), zero_points.clone()),
            };
            assert_eq!(
                scales.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                u32s(&l["weight_scale"]),
                "{name}: {lp} weight scales"
            );
            assert_eq!(zps, i32s(&l["weight_zero_point"]), "{name}: {lp} weight zero points");
            assert_eq!(
                codes.iter().map(|&v| v as i32).collect::<Vec<_>>(),
                i32s(&l["weight_codes"]),
                "{name}: {lp} codes"
            );
            assert_eq!(
                bias.as_ref().map(|b| b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()),
                (!l["bias"].is_null()).then(|| u32s(&l["bias"])),
                "{name}: {lp} bias"
            );
            let (ts, tz) = (f32_of(&l["output_scale"]), i32_of(&l["output_zero_point"]));
            assert!(
                ulps(scale, ts) <= GEMM_ULPS && (zp - tz).abs() <= 1,
                "{name}: {lp} output {scale}/{zp} vs torch {ts}/{tz}"
            );
            layers_n += 1;
            exact += usize::from(scale.to_bits() == ts.to_bits() && zp == tz);
        }
        let (xe, eshape) = tensor(&case["eval"]);
        let t = quantplay::backend::ready(quant_trace(&CpuReference, &c.model, &xe, &eshape)).unwrap();
        let want = i32s(&exp["output_codes"]);
        assert_eq!(t.output_codes.len(), want.len(), "{name}: output codes");
        for (a, b) in t.output_codes.iter().zip(&want) {
            assert!((a - b).abs() <= 1, "{name}: an output code {a} vs torch's {b}");
            codes_off += usize::from(a != b);
        }
        codes_total += want.len();
        cases += 1;
    }
    println!(
        "exported models vs torch: {cases} cases, {exact} of {layers_n} output qparams bit-exact, \
         {codes_off} of {codes_total} output codes differ (by 1)"
    );
    assert!(cases == 3 && codes_total > 50, "the fixture was read");
}

#[test]
fn the_exporter_names_the_node_and_its_op_for_each_unsupported_graph() {
    let file: Value = serde_json::from_str(FIXTURE).unwrap();
    let errors = file["errors"].as_array().unwrap();
    assert!(errors.len() >= 6, "the error cases were recorded");
    for e in errors {
        let msg = e["message"].as_str().unwrap();
        assert!(msg.starts_with("quantplay export: node `"), "{}: {msg}", e["model"]);
        assert!(
            ["call_function", "call_method", "call_module"].iter().any(|op| msg.contains(op)),
            "{}: names the op: {msg}",
            e["model"]
        );
    }
}

/// The fixture file `rel` (under tests/fixtures/) as a path.
fn fixture_path(rel: &str) -> String {
    format!("{}/../tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn quantplay_quantize_on_the_exported_files_reports_torchs_qparams_and_output_codes() {
    use quantplay::model::state::{StateDict, Tensor};
    let file: Value = serde_json::from_str(FIXTURE).unwrap();
    let batch = usize_of(&file["run_fn"]["batch_size"]).to_string();
    let dir = std::env::temp_dir().join(format!("quantplay-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = |name: &str, v: &Value| {
        let (x, shape) = tensor(v);
        let mut sd = StateDict::default();
        sd.insert("x", Tensor::f32(&shape, x));
        let p = dir.join(name);
        std::fs::write(&p, sd.to_safetensors(None).unwrap()).unwrap();
        p.to_string_lossy().into_owned()
    };
    for case in file["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let spec = dir.join("model.json");
        std::fs::write(&spec, case["files"]["model.json"].as_str().unwrap()).unwrap();
        let weights = fixture_path(case["files"]["model.safetensors"].as_str().unwrap());
        let (calib, eval) = (data("calib.safetensors", &case["calib"]), data("eval.safetensors", &case["eval"]));
        // torch's run_fn feeds the 32 calibration rows in 4 batches of 8: --calib-batch 8.
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_quantplay"))
            .args(["quantize", "--spec", spec.to_str().unwrap(), "--weights", &weights, "--calib", &calib])
            .args(["--eval", &eval, "--calib-batch", &batch, "--json", "--dump"])
            .output()
            .unwrap();
        assert!(run.status.success(), "{name}: {}", String::from_utf8_lossy(&run.stderr));
        let report: Value = serde_json::from_slice(&run.stdout).unwrap();
        let exp = &case["expected"];
        assert_eq!(
            report["input"]["scale"].as_f64().unwrap() as f32,
            f32_of(&exp["input"]["scale"]),
            "{name}: input scale"
        );
        assert_eq!(report["input"]["zero_point"], exp["input"]["zero_point"], "{name}: input zero point");
        for l in exp["layers"].as_array().unwrap() {
            let lp = l["name"].as_str().unwrap();
            let r = report["layers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == l["name"])
                .unwrap_or_else(|| panic!("{name}: the report lacks {lp}"));
            assert_eq!(r["kind"], l["kind"], "{name}: {lp} kind");
            let (s, z) = (r["output_scale"].as_f64().unwrap() as f32, r["output_zero_point"].as_i64().unwrap() as i32);
            let (ts, tz) = (f32_of(&l["output_scale"]), i32_of(&l["output_zero_point"]));
            assert!(ulps(s, ts) <= GEMM_ULPS && (z - tz).abs() <= 1, "{name}: {lp} output {s}/{z} vs torch {ts}/{tz}");
            assert_eq!(i32s(&r["weight_codes"]), i32s(&l["weight_codes"]), "{name}: {lp} weight codes");
        }
        let (got, want) = (i32s(&report["output_codes"]), i32s(&exp["output_codes"]));
        assert_eq!(got.len(), want.len(), "{name}: output codes");
        assert!(got.iter().zip(&want).all(|(a, b)| (a - b).abs() <= 1), "{name}: output codes beyond ±1 of torch's");
    }
    std::fs::remove_dir_all(&dir).ok();
}
