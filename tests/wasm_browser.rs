//! wasm-bindgen-test in headless Chromium: the WebGPU backend on the browser's own adapter
//! (SwiftShader here). A missing adapter is a failure in this target, never a skip. The adapter
//! info is printed (run with `--nocapture` to see it).
#![cfg(target_arch = "wasm32")]

mod cases;

use quantplay::web::Playground;
use quantplay::GpuBackend;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn gpu() -> GpuBackend {
    match GpuBackend::new().await {
        Ok(g) => g,
        Err(e) => panic!("headless Chromium must give a WebGPU adapter (run with --enable-unsafe-webgpu): {e}"),
    }
}

macro_rules! on_webgpu {
    ($($case:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $case() {
                cases::$case(&gpu().await).await;
            }
        )*
        #[wasm_bindgen_test]
        fn every_shared_case_is_wired_up() {
            let wired = [$(stringify!($case)),*];
            for name in cases::ALL {
                assert!(wired.contains(name), "case {name} is not run on WebGPU");
            }
        }
    };
}

on_webgpu!(
    upload_then_read_is_lossless,
    matmul_gives_textbook_answers,
    matmul_agrees_with_the_cpu_reference_on_ragged_shapes,
    elementwise_ops_agree_bit_for_bit,
    relu_zeroes_negatives_and_keeps_positives,
    linear_relu_chain_agrees_with_one_read_at_the_end,
    bad_shapes_are_rejected_with_both_shapes_named,
    empty_tensors_round_trip_and_k_zero_gives_zeros,
    f16_casts_agree_bit_for_bit_with_the_cpu,
    f16_casts_match_torch_half,
    quantize_and_dequantize_agree_bit_for_bit_with_the_cpu,
    quantize_matches_torch_quantize_per_tensor_and_per_channel,
    typed_ops_reject_wrong_dtypes_and_bad_qparams,
    quantized_linear_agrees_bit_for_bit_with_the_cpu,
    quantized_linear_matches_torch_fbgemm,
    transposed_matmuls_agree_with_the_cpu_reference,
    relu_backward_scale_and_sum_rows_are_exact,
    sum_agrees_with_the_f64_reference,
    cross_entropy_gives_ln_c_on_zero_logits_and_agrees_with_the_cpu,
    sgd_and_adam_steps_agree_with_the_cpu,
    sgd_and_adam_match_torch_step_by_step,
    cross_entropy_matches_torch,
    f16_matmul_agrees_bit_for_bit_with_the_cpu,
    grad_scaler_kernels_replay_torch_timelines_without_reading_back,
    optimizer_steps_are_skipped_on_the_device_when_found_inf_is_set,
);

#[wasm_bindgen_test]
async fn both_gpu_int8_paths_agree() {
    cases::both_gpu_int8_paths_agree(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn both_gpu_f16_paths_agree() {
    cases::both_gpu_f16_paths_agree(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn simple_and_tiled_gpu_matmuls_are_identical() {
    cases::simple_and_tiled_gpu_matmuls_are_identical(&gpu().await).await;
}

#[wasm_bindgen_test]
async fn browser_adapter_is_real_and_its_info_is_printed() {
    let g = gpu().await;
    let info = g.info();
    console_log!("ADAPTER {}", serde_json::to_string(info).unwrap());
    assert_eq!(info.backend, "webgpu", "{info:?}");
    assert!(!info.vendor.is_empty() || !info.architecture.is_empty(), "GPUAdapterInfo was not read: {info:?}");
}

#[wasm_bindgen_test]
async fn playground_prefers_webgpu_and_its_matmul_agrees_with_the_cpu() {
    let p = Playground::create(true).await.unwrap();
    assert_eq!(p.active_backend(), "webgpu", "{}", p.info_json());
    let (m, k, n) = (33, 70, 17);
    let a = Playground::random(m * k, 1, -1.0, 1.0);
    let b = Playground::random(k * n, 2, -1.0, 1.0);
    let mut outs = Vec::new();
    for backend in ["cpu", "webgpu"] {
        let v = JsFuture::from(p.matmul(backend.into(), a.clone(), b.clone(), m, k, n)).await.unwrap();
        outs.push(v.dyn_into::<js_sys::Float32Array>().unwrap().to_vec());
    }
    let report: serde_json::Value = serde_json::from_str(&Playground::compare(outs[1].clone(), outs[0].clone(), "f32_matmul").unwrap()).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["agreement"]["len"], m * n);
}
