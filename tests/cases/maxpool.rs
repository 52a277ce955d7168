//! Bodies for nn.MaxPool2d against torch 2.15 (tests/fixtures/eager_maxpool.json, written by
//! tests/fixtures/gen_maxpool.py): the backend op `max_pool2d` on floats and on quint8 / qint8
//! codes, torch's output sizes and geometry errors, and the eager PTQ flow of a CNN with two
//! MaxPool2d (one in ceil mode) — no observer on the pools, torch's qparams and codes, the float
//! forward within `F32_MATMUL`, a report row per pool on codes.

use super::eager::{check_flow_file, field, model_of, our_flow, GEMM_ULPS};
use super::eager_forward::check_quantized_forward_file;
use super::fixture::{f32_of, i32_of, i32s, tensor, u32s};
use quantplay::backend::{pool::pooling_output_size, MaxPool2dGeom};
use quantplay::model::forward::{forward, Act};
use quantplay::model::spec;
use quantplay::parity::{compare, F32_MATMUL};
use quantplay::prelude::*;
use quantplay::rules::rng::Rng;
use quantplay::{CpuReference, Error, HostData};
use serde_json::Value;

pub const MAXPOOL: &str = include_str!("../fixtures/eager_maxpool.json");

fn file() -> Value {
    serde_json::from_str(MAXPOOL).unwrap()
}

fn pair(v: &Value) -> (usize, usize) {
    (v[0].as_u64().unwrap() as usize, v[1].as_u64().unwrap() as usize)
}

fn geom_of(c: &Value) -> MaxPool2dGeom {
    let s: Vec<usize> = c["input"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    MaxPool2dGeom {
        n: s[0],
        c: s[1],
        h: s[2],
        w: s[3],
        kernel_size: pair(&c["kernel_size"]),
        stride: pair(&c["stride"]),
        padding: pair(&c["padding"]),
        ceil_mode: c["ceil_mode"].as_bool().unwrap(),
    }
}

async fn pool_data<B: Backend>(b: &B, x: HostData, g: &MaxPool2dGeom) -> HostData {
    let t = b.upload_data(x, &g.input_shape()).unwrap();
    let y = b.max_pool2d(&t, g).unwrap_or_else(|e| panic!("{}: max_pool2d {g:?}: {e}", b.name()));
    assert_eq!(y.shape(), g.output_shape().unwrap().as_slice());
    b.read_data(&y).await.unwrap()
}

fn f32_bits(d: HostData) -> Vec<u32> {
    let HostData::F32(v) = d else { panic!("f32 out") };
    v.iter().map(|x| x.to_bits()).collect()
}

pub async fn max_pool2d_matches_torch_on_floats_and_quantized_codes<B: Backend>(b: &B) {
    let f = file();
    for s in f["shapes"].as_array().unwrap() {
        let g = geom_of(s);
        assert_eq!(g.output_shape().unwrap().to_vec(), super::fixture::shape(&s["output"]), "{s}: output size");
    }
    for c in f["ops"].as_array().unwrap() {
        let g = geom_of(c);
        let x: Vec<f32> = u32s(&c["x"]).into_iter().map(f32::from_bits).collect();
        let got = f32_bits(pool_data(b, HostData::F32(x), &g).await);
        assert_eq!(got, u32s(&c["y"]), "{}: f32 max_pool2d {g:?} differs from torch's bits", b.name());
        let q = pool_data(b, HostData::U8(i32s(&c["quint8"]["x"]).iter().map(|&v| v as u8).collect()), &g).await;
        let HostData::U8(q) = q else { panic!("u8 out") };
        assert_eq!(q.iter().map(|&v| v as i32).collect::<Vec<_>>(), i32s(&c["quint8"]["y"]), "quint8 {g:?}");
        let q = pool_data(b, HostData::I8(i32s(&c["qint8"]["x"]).iter().map(|&v| v as i8).collect()), &g).await;
        let HostData::I8(q) = q else { panic!("i8 out") };
        assert_eq!(q.iter().map(|&v| v as i32).collect::<Vec<_>>(), i32s(&c["qint8"]["y"]), "qint8 {g:?}");
    }
}

pub async fn max_pool2d_agrees_bit_for_bit_with_the_cpu_reference<B: Backend>(b: &B) {
    let mut rng = Rng::new(12);
    let specials = [f32::NAN, f32::NEG_INFINITY, f32::INFINITY, -0.0, 0.0, 1e-45, -1e-45, f32::MIN_POSITIVE, -3.0];
    for (i, (n, c, h, w, k, s, p, ceil_mode)) in [
        (2, 3, 9, 7, (3, 2), (2, 1), (1, 1), true),
        (1, 5, 33, 17, (2, 2), (2, 2), (0, 0), false),
        (3, 2, 6, 6, (3, 3), (3, 3), (1, 1), true),
        (1, 1, 1, 5, (1, 3), (1, 2), (0, 1), true),
        (4, 16, 30, 30, (5, 4), (3, 2), (2, 2), true),
    ]
    .into_iter()
    .enumerate()
    {
        let g = MaxPool2dGeom { n, c, h, w, kernel_size: k, stride: s, padding: p, ceil_mode };
        let len = n * c * h * w;
        let mut x = rng.uniform_vec(len, -4.0, 4.0);
        for j in (0..len).step_by(7 + i) {
            x[j] = specials[(j / 7) % specials.len()];
        }
        let codes: Vec<u8> = (0..len).map(|_| (rng.next_u64() >> 56) as u8).collect();
        let want = f32_bits(pool_data(&CpuReference, HostData::F32(x.clone()), &g).await);
        assert_eq!(f32_bits(pool_data(b, HostData::F32(x), &g).await), want, "{}: f32 {g:?}", b.name());
        for data in [HostData::U8(codes.clone()), HostData::I8(codes.iter().map(|&v| v as i8).collect())] {
            let want = pool_data(&CpuReference, data.clone(), &g).await;
            assert_eq!(pool_data(b, data, &g).await, want, "{}: codes {g:?}", b.name());
        }
    }
    // Known answer: a 2×2 window over [[1, 5], [NaN, 2]] is NaN; over [[−0, 0]] it keeps −0.
    let g = MaxPool2dGeom {
        n: 1,
        c: 1,
        h: 2,
        w: 2,
        kernel_size: (2, 2),
        stride: (2, 2),
        padding: (0, 0),
        ceil_mode: false,
    };
    assert!(f32::from_bits(f32_bits(pool_data(b, HostData::F32(vec![1.0, 5.0, f32::NAN, 2.0]), &g).await)[0]).is_nan());
    let g1 = MaxPool2dGeom { h: 1, kernel_size: (1, 2), stride: (1, 2), ..g };
    assert_eq!(f32_bits(pool_data(b, HostData::F32(vec![-0.0, 0.0]), &g1).await), vec![(-0.0f32).to_bits()]);
    let bad = b.upload(&[0.0; 4], &[1, 1, 2, 2]).unwrap();
    let e = b.max_pool2d(&bad, &MaxPool2dGeom { h: 3, ..g }).unwrap_err();
    assert!(matches!(e, Error::Shape { .. }), "{e}");
}

pub async fn maxpool_cnn_gives_torch_codes_and_float_outputs_on_every_backend<B: Backend>(b: &B) {
    check_quantized_forward_file(b, MAXPOOL).await;
    let f = file();
    for case in f["cases"].as_array().unwrap() {
        let (x, shape) = tensor(field(&f, case, "eval"));
        let m = model_of(&f, case);
        let Act::Float(y) = forward(b, &m, b.upload(&x, &shape).unwrap()).unwrap() else { panic!("float out") };
        let got = b.read(&y).await.unwrap();
        let want: Vec<f32> = u32s(&case["expected"]["float_output"]).into_iter().map(f32::from_bits).collect();
        let a = compare(&got, &want, F32_MATMUL);
        assert!(a.ok(), "{}: {}: float forward, worst |diff| {} vs torch", b.name(), case["name"], a.max_abs_diff);
        println!("{}: {}: float forward vs torch, worst |diff| {:e}", b.name(), case["name"], a.max_abs_diff);
    }
}

pub fn maxpool_cnn_flow_matches_torch_within_the_readme_rule() {
    check_flow_file(MAXPOOL); // observers (none on the pools), input qparams, weights, output qparams
    let f = file();
    let (mut codes, mut off) = (0, 0);
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (p, c) = our_flow(&f, case);
        assert!(p.observers.keys().all(|k| !k.starts_with("pool")), "{name}: a MaxPool2d got an observer");
        for pool in ["pool1", "pool2"] {
            assert_eq!(c.model.get(pool).unwrap().kind.type_name(), "MaxPool2d", "{name}: convert keeps {pool}");
        }
        let (x, shape) = tensor(field(&f, case, "eval"));
        let t = quantplay::backend::ready(quantplay::quant::eager::report::quant_trace(
            &CpuReference,
            &c.model,
            &x,
            &shape,
        ))
        .unwrap();
        let want = i32s(&case["expected"]["output_codes"]);
        assert_eq!(t.output_codes.len(), want.len(), "{name}");
        for (a, b) in t.output_codes.iter().zip(&want) {
            assert!((a - b).abs() <= 1, "{name}: an output code {a} vs torch's {b}");
            off += usize::from(a != b);
        }
        codes += want.len();
        // A pool on codes keeps its input's qparams: its trace row's input and output agree.
        let (q_in, _, q_out) = &t.layers["pool2"];
        assert_eq!(q_in.as_ref(), Some(q_out), "{name}: pool2 keeps the qparams");
    }
    println!("maxpool CNN vs torch: {off} of {codes} output codes differ by 1 (GEMM_ULPS = {GEMM_ULPS})");
}

pub fn maxpool_geometry_errors_name_torchs_messages() {
    let f = file();
    let errs = f["errors"].as_array().unwrap();
    let spec_with = |pool: Value| {
        let mut node = serde_json::json!({"name": "pool", "type": "MaxPool2d"});
        node.as_object_mut().unwrap().extend(pool.as_object().unwrap().clone());
        let text =
            serde_json::json!({"format": "quantplay-model/1", "model": {"type": "Sequential", "children": [node]}});
        spec::parse(&text.to_string())
    };
    let e = spec_with(serde_json::json!({"kernel_size": 2, "dilation": 2})).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }) && e.to_string().contains("dilation 2"), "{e}");
    assert!(errs[0]["torch_error"].is_null(), "torch runs dilation 2; quantplay refuses it by name");
    let e = spec_with(serde_json::json!({"kernel_size": 3, "stride": 1, "padding": 2})).unwrap_err().to_string();
    assert!(e.contains(errs[1]["torch_error"].as_str().unwrap()) && e.contains("pool"), "{e}");
    let m = spec_with(serde_json::json!({"kernel_size": 5, "stride": 1, "padding": 1})).unwrap();
    let model = quantplay::model::Model::from_spec(&m, &Default::default()).unwrap();
    let e = forward(&CpuReference, &model, CpuReference.upload(&[0.0; 16], &[1, 4, 2, 2]).unwrap()).unwrap_err();
    assert!(e.to_string().contains(errs[2]["torch_error"].as_str().unwrap()), "{e}");
    // stride absent or null is the kernel size; the spec writes back what it read.
    let s = spec_with(serde_json::json!({"kernel_size": [3, 2], "stride": null, "ceil_mode": true})).unwrap();
    let back = spec::parse(&spec::to_json(&s).to_string()).unwrap();
    assert_eq!(back, s);
    let quantplay::model::spec::ModuleKind::MaxPool2d(p) = &s.model.children[0].kind else { panic!() };
    assert_eq!((p.stride, p.ceil_mode), ((3, 2), true));
    assert_eq!((pooling_output_size(4, 3, 1, 2, true), pooling_output_size(5, 2, 1, 2, true)), (3, 3));
    let _ = (f32_of, i32_of);
}

pub async fn maxpool_int8_file_and_report_keep_the_pools<B: Backend>(b: &B) {
    let f = file();
    let case = &f["cases"][0];
    let (p, c) = our_flow(&f, case);
    let bytes = quantplay::model::int8::save(&c.model).unwrap();
    let back = quantplay::model::int8::load(&bytes).unwrap();
    assert_eq!(back.get("pool2").unwrap().kind, c.model.get("pool2").unwrap().kind, "int8 file keeps pool2");
    let (x, shape) = tensor(field(&f, case, "eval"));
    let (calib, cshape) = tensor(field(&f, case, "calib"));
    let t1 = quantplay::quant::eager::report::quant_trace(b, &c.model, &x, &shape).await.unwrap();
    let t2 = quantplay::quant::eager::report::quant_trace(b, &back, &x, &shape).await.unwrap();
    assert_eq!(t1.output_codes, t2.output_codes, "{}: the int8 file gives the same codes", b.name());
    let r = quantplay::quant::eager::report::build(
        b,
        &p,
        &c.model,
        vec![],
        vec![],
        (&calib, &cshape),
        (&x, &shape),
        None,
        false,
    )
    .await
    .unwrap();
    let names: Vec<&str> = r.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["quant", "conv1", "pool1", "conv2", "pool2", "fc"], "{}: report rows", b.name());
    let pool = &r.layers[2];
    assert_eq!((pool.input_scale, pool.input_zero_point), (Some(pool.output_scale), Some(pool.output_zero_point)));
    assert!(pool.weight_qscheme.is_none() && pool.sqnr_db > 10.0, "{pool:?}");
    let d = quantplay::quant::eager::debug::compare_model_outputs(b, &p, &c.model, &x, &shape).await.unwrap();
    assert!(d.iter().all(|a| a.kind != "MaxPool2d"), "torch's compare_model_outputs does not log MaxPool2d");
}

/// `quantplay quantize`'s run (`app::ptq::run`, calibration on `b` in torch's run_fn batches)
/// on the MaxPool2d CNN gives torch's output codes within the README's rule (±1) and keeps
/// accuracy's counting.
pub async fn ptq_run_on_the_maxpool_cnn_gives_torchs_codes<B: Backend>(b: &B) {
    let f = file();
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let s = spec::parse(&case["spec"].to_string()).unwrap();
        let model = quantplay::model::Model::from_spec(&s, &super::eager::state(&f["weights"])).unwrap();
        let opt = quantplay::app::ptq::PtqOptions {
            fuse: case["config"]["fuse"].as_bool().unwrap(),
            calib_batch: super::fixture::usize_of(&f["run_fn"]["batch_size"]),
            dump: true,
            ..Default::default()
        };
        let (calib, cshape) = tensor(&f["calib"]);
        let (x, shape) = tensor(&f["eval"]);
        let labels = i32s(&f["eval_y"]);
        let run = quantplay::app::ptq::run(b, &model, (&calib, &cshape), Some((&x, &shape)), Some(&labels), &opt)
            .await
            .unwrap_or_else(|e| panic!("{}: {name}: {e}", b.name()));
        let got = run.report.output_codes.expect("--dump gives the codes");
        let want = i32s(&case["expected"]["output_codes"]);
        let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).max().unwrap_or(0);
        assert!(got.len() == want.len() && worst <= 1, "{}: {name}: output codes off by {worst}", b.name());
        let acc = run.report.accuracy.unwrap();
        assert_eq!(acc.float, case["expected"]["accuracy"]["float"].as_f64().unwrap(), "{name}: float accuracy");
    }
}
