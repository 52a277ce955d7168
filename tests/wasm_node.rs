//! wasm-bindgen-test in node: the CPU path of the wasm build. Every backend body in `cases/` runs
//! on the CPU backend compiled to wasm32 (reference and simd128 fast path), the host-side bodies
//! once (`host::`; the browser target does not repeat them), plus the `Playground` surface the
//! page uses.
#![cfg(target_arch = "wasm32")]

mod cases;

use quantplay::web::Playground;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

macro_rules! on_cpu {
    ($($case:ident),* $(,)?) => {
        mod reference { $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            async fn $case() {
                crate::cases::$case(&quantplay::CpuReference).await;
            }
        )* }
        mod fast { $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            async fn $case() {
                crate::cases::$case(&quantplay::CpuFast).await;
            }
        )* }
    };
}

cases::all_cases!(on_cpu);

macro_rules! once {
    ($($case:ident),* $(,)?) => {
        mod host { $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            fn $case() {
                crate::cases::$case();
            }
        )* }
    };
}

cases::host_cases!(once);

#[wasm_bindgen_test]
async fn playground_without_gpu_reports_cpu_and_the_reason() {
    let p = Playground::create(JsValue::FALSE).await.unwrap();
    assert_eq!(p.active_backend(), "cpu");
    let info: serde_json::Value = serde_json::from_str(&p.info_json()).unwrap();
    assert_eq!(info["cpu"]["arch"], "wasm32");
    assert!(info["gpu"].is_null());
    assert!(info["gpu_unavailable_reason"].as_str().unwrap().contains("turned off"), "{info}");
}

#[wasm_bindgen_test]
async fn playground_matmul_on_cpu_resolves_and_webgpu_rejects_with_the_reason() {
    let p = Playground::create(JsValue::FALSE).await.unwrap();
    let f32s = |v: &[f32]| JsValue::from(js_sys::Float32Array::from(v));
    let mm = |backend: &str, a: &[f32], b: &[f32], m: usize| {
        JsFuture::from(p.matmul(backend.into(), f32s(a), f32s(b), m.into(), m.into(), m.into()))
    };
    let out = mm("cpu", &[1., 2., 3., 4.], &[5., 6., 7., 8.], 2).await.unwrap();
    let out: js_sys::Float32Array = out.dyn_into().unwrap();
    assert_eq!(out.to_vec(), vec![19., 22., 43., 50.]);
    let message = |err: JsValue| js_sys::Error::from(err).message().as_string().unwrap();
    let msg = message(mm("webgpu", &[1.], &[1.], 1).await.unwrap_err());
    assert!(msg.contains("WebGPU unavailable") && msg.contains("turned off"), "{msg}");
    let msg = message(mm("tpu", &[1.], &[1.], 1).await.unwrap_err());
    assert!(msg.contains("\"tpu\"") && msg.contains("\"webgpu\""), "{msg}");
    let msg = message(mm("cpu", &[1., 2., 3.], &[5., 6., 7., 8.], 2).await.unwrap_err());
    assert!(
        msg.contains("invalid a") && msg.contains("Float32Array of length 3") && msg.contains("of length 4"),
        "{msg}"
    );
}

#[wasm_bindgen_test]
fn a_bad_argument_is_a_named_error_not_a_coercion_or_a_panic() {
    let message = |err: JsValue| js_sys::Error::from(err).message().as_string().unwrap();
    let r = |len: JsValue, seed: JsValue| Playground::random(len, seed, (-1.0).into(), 1.0.into());
    // wasm-bindgen's own glue would make "abc" 0 and 2^32 0; here each names itself.
    let msg = message(r("abc".into(), 1.into()).unwrap_err());
    assert_eq!(msg, "invalid len \"\\\"abc\\\" (string)\"; valid values: an integer in 1..=16777216");
    let msg = message(r(4.into(), 4294967296.0.into()).unwrap_err());
    assert!(msg.starts_with("invalid seed \"4294967296\"") && msg.contains("0..=4294967295"), "{msg}");
    let msg = message(r(f64::NAN.into(), 1.into()).unwrap_err());
    assert!(msg.starts_with("invalid len \"NaN\""), "{msg}");
    let msg = message(r((1u32 << 24 | 1).into(), 1.into()).unwrap_err());
    assert!(msg.starts_with("invalid len \"16777217\""), "{msg}");
    assert!(quantplay::web::last_panic().is_null(), "no panic so far");
}
#[wasm_bindgen_test]
fn seeded_random_matches_the_native_generator() {
    // Same seed, same stream on wasm32 as natively: SplitMix64 of seed 0's first draw.
    assert_eq!(quantplay::rules::rng::Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    let got = Playground::random(4.into(), 9.into(), (-1.0).into(), 1.0.into()).unwrap();
    assert_eq!(got, quantplay::rules::rng::Rng::new(9).uniform_vec(4, -1.0, 1.0));
}
