//! wasm-bindgen-test in node: the CPU path of the wasm build. Every body in `cases/` runs on the
//! CPU backend compiled to wasm32 (reference and simd128 fast path), plus the `Playground`
//! surface the page uses.
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
                crate::cases::$case(&quantplay::CpuBackend::new()).await;
            }
        )* }
        mod fast { $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            async fn $case() {
                crate::cases::$case(&quantplay::CpuBackend::fast()).await;
            }
        )* }
        #[wasm_bindgen_test]
        fn every_shared_case_is_wired_up() {
            let wired = [$(stringify!($case)),*];
            for name in cases::ALL {
                assert!(wired.contains(name), "case {name} is not run in node");
            }
        }
    };
}

on_cpu!(
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
    let out = JsFuture::from(p.matmul("cpu".into(), vec![1., 2., 3., 4.], vec![5., 6., 7., 8.], 2, 2, 2)).await.unwrap();
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
    assert_eq!(quantplay::rng::Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    assert_eq!(Playground::random(4, 9, -1.0, 1.0), quantplay::rng::Rng::new(9).uniform_vec(4, -1.0, 1.0));
}

#[wasm_bindgen_test]
fn grad_scaler_timelines_match_torch() {
    cases::grad_scaler_timelines_match_torch();
}
