//! wasm-bindgen-test in node: the CPU path of the wasm build. Every backend body in `cases/` runs
//! on the CPU backend compiled to wasm32 (reference and simd128 fast path), the host-side bodies
//! once (`host::`; the browser target does not repeat them), plus the `Playground` surface the
//! page uses.
#![cfg(target_arch = "wasm32")]

mod cases;

use quantplay::web::Playground;
use wasm_bindgen::JsCast;
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
    let p = Playground::create(false).await.unwrap();
    assert_eq!(p.active_backend(), "cpu");
    let info: serde_json::Value = serde_json::from_str(&p.info_json()).unwrap();
    assert_eq!(info["cpu"]["arch"], "wasm32");
    assert!(info["gpu"].is_null());
    assert!(info["gpu_unavailable_reason"].as_str().unwrap().contains("turned off"), "{info}");
}

#[wasm_bindgen_test]
async fn playground_matmul_on_cpu_resolves_and_webgpu_rejects_with_the_reason() {
    let p = Playground::create(false).await.unwrap();
    let out =
        JsFuture::from(p.matmul("cpu".into(), vec![1., 2., 3., 4.], vec![5., 6., 7., 8.], 2, 2, 2)).await.unwrap();
    let out: js_sys::Float32Array = out.dyn_into().unwrap();
    assert_eq!(out.to_vec(), vec![19., 22., 43., 50.]);
    let err = JsFuture::from(p.matmul("webgpu".into(), vec![1.], vec![1.], 1, 1, 1)).await.unwrap_err();
    let msg = js_sys::Error::from(err).message().as_string().unwrap();
    assert!(msg.contains("WebGPU unavailable") && msg.contains("turned off"), "{msg}");
    let err = JsFuture::from(p.matmul("tpu".into(), vec![1.], vec![1.], 1, 1, 1)).await.unwrap_err();
    let msg = js_sys::Error::from(err).message().as_string().unwrap();
    assert!(msg.contains("\"tpu\"") && msg.contains("\"webgpu\""), "{msg}");
}

#[wasm_bindgen_test]
fn seeded_random_matches_the_native_generator() {
    // Same seed, same stream on wasm32 as natively: SplitMix64 of seed 0's first draw.
    assert_eq!(quantplay::rules::rng::Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    assert_eq!(Playground::random(4, 9, -1.0, 1.0), quantplay::rules::rng::Rng::new(9).uniform_vec(4, -1.0, 1.0));
}
