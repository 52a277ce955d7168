//! Parity test bodies shared by every test target: native (`native.rs`), wasm in node
//! (`wasm_node.rs`) and wasm in headless Chromium (`wasm_browser.rs`). Each body takes any
//! [`Backend`], computes the same thing on the CPU reference, and compares with a named
//! tolerance from `quantplay::parity`; known-answer checks make the CPU run meaningful too.
//! Bodies that never touch a backend (listed in `host_cases!`) take no argument and run once
//! per target.
//!
//! Not a test target itself: the targets include it with `mod cases;`.
#![allow(dead_code)]

mod amp;
mod calib_budget;
mod calib_device;
mod conv;
mod eager;
mod eager_api;
mod eager_errors;
mod eager_forward;
mod eager_page;
mod eager_report;
mod eager_rule;
pub mod fixture;
mod gpu_faults;
mod maxpool;
mod mlp;
mod observers;
mod qat;
mod qconfigs;
mod qlinear;
mod session;
mod train;
mod typed;
pub use amp::*;
pub use calib_budget::*;
pub use calib_device::*;
pub use conv::*;
pub use eager_api::*;
pub use eager_errors::*;
pub use eager_forward::*;
pub use eager_page::*;
pub use eager_report::*;
pub use eager_rule::*;
#[allow(unused_imports)] // native.rs and wasm_browser.rs use these; wasm_node.rs (no GPU) does not
pub use gpu_faults::*;
pub use maxpool::*;
pub use mlp::*;
pub use observers::*;
pub use qat::*;
pub use qconfigs::*;
pub use qlinear::*;
pub use session::*;
pub use train::*;
pub use typed::*;

use quantplay::parity::{compare, Tolerance, EXACT, F32_MATMUL};
use quantplay::prelude::*;
use quantplay::rules::rng::Rng;
use quantplay::{CpuReference, Error};

/// Calls `$wire!(case, case, …)` with every shared case, so each test target wires the same
/// list and none can miss one.
macro_rules! all_cases {
    ($wire:ident) => {
        $wire!(
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
            mlp_training_lowers_the_loss_on_circle_and_digits,
            mlp_loss_trajectory_agrees_with_the_cpu_reference,
            mlp_losses_match_torch,
            f16_matmul_agrees_bit_for_bit_with_the_cpu,
            grad_scaler_kernels_replay_torch_timelines_without_reading_back,
            optimizer_steps_are_skipped_on_the_device_when_found_inf_is_set,
            reshape_keeps_the_elements_and_rejects_another_count,
            im2col_and_layout_gathers_agree_bit_for_bit_with_the_cpu,
            im2col_times_the_weight_is_the_convolution,
            col2im_is_the_adjoint_of_im2col_and_agrees_bit_for_bit,
            channel_affine_matches_torch_batch_norm_eval,
            quantized_relu_raises_codes_below_the_zero_point_to_it,
            channel_lut_maps_each_code_through_its_channels_table,
            fake_quantize_matches_torch_cachemask_bit_for_bit,
            quantized_conv2d_matches_torch_fbgemm_bit_for_bit,
            conv_ops_reject_bad_geometry_shapes_and_dtypes,
            converted_models_give_torch_codes_on_every_backend,
            quantized_batchnorm_gives_torch_codes_bit_for_bit,
            a_custom_mapping_leaves_unmapped_modules_float_and_lists_them,
            bad_inputs_get_named_errors_and_leave_the_model_unchanged,
            eager_errors_follow_torchs_cases_one_by_one,
            int8_model_files_load_back_and_give_the_same_outputs,
            quantize_dynamic_matches_torch_weights_and_outputs,
            page_quantize_keeps_int8_within_two_points_of_float_on_spiral_and_digits,
            dynamic_quantized_linear_matches_torch_fbgemm,
            session_logs_the_scale_in_16_mixed_and_none_in_32_true,
            an_injected_overflow_skips_the_step_and_halves_the_scale,
            loss_falls_in_16_mixed_on_every_dataset,
            mixed_loss_trajectory_agrees_with_the_cpu_reference,
            a_snapshot_continues_the_run_on_the_cpu,
            a_trained_sessions_float_model_quantizes_within_two_points,
            session_reports_memory_trace_and_precision,
            mixed_losses_and_scales_match_torch,
            qat_training_follows_torch_losses_and_fake_quant_qparams,
            the_report_lists_every_quantized_layer_with_torchs_qparams_and_bias,
            observer_reductions_agree_with_the_cpu_reference_bit_for_bit,
            where_activations_are_equal_calibrated_qparams_are_equal,
            calibration_on_the_backend_keeps_qparams_within_the_named_budget,
            an_overflow_in_a_later_batch_is_named_and_the_earlier_batches_stay_observed,
            the_page_json_carries_the_cpu_comparison_when_asked,
            max_pool2d_matches_torch_on_floats_and_quantized_codes,
            max_pool2d_agrees_bit_for_bit_with_the_cpu_reference,
            maxpool_cnn_gives_torch_codes_and_float_outputs_on_every_backend,
            maxpool_int8_file_and_report_keep_the_pools,
            ptq_run_on_the_maxpool_cnn_gives_torchs_codes,
        );
    };
}
pub(crate) use all_cases;

/// Calls `$wire!(case, case, …)` with every host-side case: bodies that never touch a backend
/// (observers, qconfigs, the eager flow's prepare/convert, GradScaler replays) take no argument
/// and run once per target, not once per backend. wasm_node runs them on wasm32; the browser
/// target, which runs the same wasm32 code, leaves them out.
macro_rules! host_cases {
    ($wire:ident) => {
        $wire!(
            eager_flow_matches_torch_on_mlp_cnn_and_nested_models,
            our_flow_stays_within_the_readme_rule_of_torchs_scales_and_codes,
            quantize_leaves_the_callers_model_untouched_unless_inplace,
            run_fn_receives_run_args_and_sees_the_prepared_model,
            convert_without_calibration_warns_and_uses_scale_one_zero_point_zero,
            nested_models_propagate_qconfig_overrides_as_torch_does,
            observer_comparison_reproduces_each_observers_torch_qparams,
            observers_match_torch_bit_for_bit,
            histogram_primitives_match_torch_sum_linspace_and_histc,
            qconfigs_match_torch_field_by_field,
            fake_quantize_state_follows_torch_timelines,
            observer_errors_and_warnings_name_the_bad_value,
            clip_fraction_counts_values_outside_the_code_range,
            both_fake_quant_classes_build,
            grad_scaler_timelines_match_torch,
            maxpool_cnn_flow_matches_torch_within_the_readme_rule,
            maxpool_geometry_errors_name_torchs_messages,
        );
    };
}
pub(crate) use host_cases;

async fn run<B: Backend>(b: &B, data: &[f32], shape: &[usize]) -> Vec<f32> {
    let t = b.upload(data, shape).expect("upload");
    b.read(&t).await.expect("read")
}

fn assert_agrees(what: &str, got: &[f32], want: &[f32], tol: Tolerance) {
    let a = compare(got, want, tol);
    assert!(
        a.ok(),
        "{what}: {} of {} values outside atol {} + rtol {}; worst |diff| {} at {:?}",
        a.mismatches,
        a.len,
        tol.atol,
        tol.rtol,
        a.max_abs_diff,
        a.worst_index
    );
}

pub async fn upload_then_read_is_lossless<B: Backend>(b: &B) {
    let mut rng = Rng::new(1);
    let mut data = rng.uniform_vec(1000, -1e30, 1e30);
    data.extend([0.0, -0.0, f32::MIN_POSITIVE, f32::MAX, -f32::MAX, 1e-45, f32::INFINITY]);
    let got = run(b, &data, &[data.len()]).await;
    let same_bits = got.iter().zip(&data).all(|(g, d)| g.to_bits() == d.to_bits());
    assert!(same_bits && got.len() == data.len(), "{}: read back differs from upload", b.name());
}

pub async fn matmul_gives_textbook_answers<B: Backend>(b: &B) {
    // [[1,2,3],[4,5,6]] · [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]: small integers, exact.
    let a = b.upload(&[1., 2., 3., 4., 5., 6.], &[2, 3]).unwrap();
    let w = b.upload(&[7., 8., 9., 10., 11., 12.], &[3, 2]).unwrap();
    let c = b.matmul(&a, &w).unwrap();
    assert_eq!(quantplay::HasShape::shape(&c), &[2, 2]);
    assert_eq!(b.read(&c).await.unwrap(), vec![58., 64., 139., 154.]);
    // x · I = x exactly, for a ragged (5, 7) x.
    let x = Rng::new(2).uniform_vec(35, -3.0, 3.0);
    let eye: Vec<f32> = (0..49).map(|i| if i % 8 == 0 { 1.0 } else { 0.0 }).collect();
    let xi = b.matmul(&b.upload(&x, &[5, 7]).unwrap(), &b.upload(&eye, &[7, 7]).unwrap()).unwrap();
    assert_eq!(b.read(&xi).await.unwrap(), x);
}

pub async fn matmul_agrees_with_the_cpu_reference_on_ragged_shapes<B: Backend>(b: &B) {
    let cpu = CpuReference;
    // Shapes straddle the 8×8 workgroup: 1, primes, exact multiples, one past a multiple.
    for (i, &(m, k, n)) in
        [(1, 1, 1), (3, 5, 7), (8, 8, 8), (17, 33, 9), (65, 129, 31), (128, 256, 96), (4, 1024, 4)].iter().enumerate()
    {
        let mut rng = Rng::new(100 + i as u64);
        let (av, bv) = (rng.uniform_vec(m * k, -1.0, 1.0), rng.uniform_vec(k * n, -1.0, 1.0));
        let got = b
            .read(&b.matmul(&b.upload(&av, &[m, k]).unwrap(), &b.upload(&bv, &[k, n]).unwrap()).unwrap())
            .await
            .unwrap();
        let want = cpu
            .read(&cpu.matmul(&cpu.upload(&av, &[m, k]).unwrap(), &cpu.upload(&bv, &[k, n]).unwrap()).unwrap())
            .await
            .unwrap();
        assert_agrees(&format!("{} matmul ({m}, {k}) · ({k}, {n})", b.name()), &got, &want, F32_MATMUL);
    }
}

pub async fn elementwise_ops_agree_bit_for_bit<B: Backend>(b: &B) {
    let cpu = CpuReference;
    // 1, one workgroup, one past it, and a ragged multi-group length.
    for (i, &(rows, n)) in [(1, 1), (1, 256), (1, 257), (37, 29)].iter().enumerate() {
        let mut rng = Rng::new(200 + i as u64);
        let len = rows * n;
        let (x, y, bias) =
            (rng.uniform_vec(len, -4.0, 4.0), rng.uniform_vec(len, -4.0, 4.0), rng.uniform_vec(n, -1.0, 1.0));
        let shape = [rows, n];
        let (gx, gy, gb) =
            (b.upload(&x, &shape).unwrap(), b.upload(&y, &shape).unwrap(), b.upload(&bias, &[n]).unwrap());
        let (cx, cy, cb) =
            (cpu.upload(&x, &shape).unwrap(), cpu.upload(&y, &shape).unwrap(), cpu.upload(&bias, &[n]).unwrap());
        let pairs = [
            ("add", b.add(&gx, &gy).unwrap(), cpu.add(&cx, &cy).unwrap()),
            ("mul", b.mul(&gx, &gy).unwrap(), cpu.mul(&cx, &cy).unwrap()),
            ("relu", b.relu(&gx).unwrap(), cpu.relu(&cx).unwrap()),
            ("bias_add", b.bias_add(&gx, &gb).unwrap(), cpu.bias_add(&cx, &cb).unwrap()),
        ];
        for (op, got, want) in pairs {
            let (got, want) = (b.read(&got).await.unwrap(), cpu.read(&want).await.unwrap());
            assert_agrees(&format!("{} {op} on ({rows}, {n})", b.name()), &got, &want, EXACT);
        }
    }
}

pub async fn relu_zeroes_negatives_and_keeps_positives<B: Backend>(b: &B) {
    let x = b.upload(&[-2.0, -0.5, 0.0, 0.5, 3.0, -1e-30, 1e30], &[7]).unwrap();
    assert_eq!(b.read(&b.relu(&x).unwrap()).await.unwrap(), vec![0.0, 0.0, 0.0, 0.5, 3.0, 0.0, 1e30]);
}

pub async fn linear_relu_chain_agrees_with_one_read_at_the_end<B: Backend>(b: &B) {
    // relu(x · W + bias), x (32, 64), W (64, 16), bias (16,): a Linear + ReLU layer, with every
    // intermediate left on the device; only the final read waits.
    let cpu = CpuReference;
    let mut rng = Rng::new(300);
    let (x, w, bias) =
        (rng.uniform_vec(32 * 64, -1.0, 1.0), rng.uniform_vec(64 * 16, -0.2, 0.2), rng.uniform_vec(16, -0.1, 0.1));
    let got = {
        let h = b.matmul(&b.upload(&x, &[32, 64]).unwrap(), &b.upload(&w, &[64, 16]).unwrap()).unwrap();
        b.read(&b.relu(&b.bias_add(&h, &b.upload(&bias, &[16]).unwrap()).unwrap()).unwrap()).await.unwrap()
    };
    let h = cpu.matmul(&cpu.upload(&x, &[32, 64]).unwrap(), &cpu.upload(&w, &[64, 16]).unwrap()).unwrap();
    let want =
        cpu.read(&cpu.relu(&cpu.bias_add(&h, &cpu.upload(&bias, &[16]).unwrap()).unwrap()).unwrap()).await.unwrap();
    assert!(want.contains(&0.0) && want.iter().any(|&v| v > 0.0), "test data must exercise both relu branches");
    assert_agrees(&format!("{} linear+relu", b.name()), &got, &want, F32_MATMUL);
}

pub async fn bad_shapes_are_rejected_with_both_shapes_named<B: Backend>(b: &B) {
    let a = b.upload(&[0.0; 6], &[2, 3]).unwrap();
    let w = b.upload(&[0.0; 20], &[4, 5]).unwrap();
    let v = b.upload(&[0.0; 4], &[4]).unwrap();
    let msg = b.matmul(&a, &w).unwrap_err().to_string();
    assert!(msg.contains("matmul") && msg.contains("(2, 3)") && msg.contains("(4, 5)"), "{msg}");
    let msg = b.add(&a, &v).unwrap_err().to_string();
    assert!(msg.contains("add") && msg.contains("(2, 3)") && msg.contains("(4,)"), "{msg}");
    let msg = b.mul(&a, &w).unwrap_err().to_string();
    assert!(msg.contains("mul") && msg.contains("(4, 5)"), "{msg}");
    let msg = b.bias_add(&a, &v).unwrap_err().to_string();
    assert!(msg.contains("bias_add") && msg.contains("(4,)"), "{msg}");
    assert_eq!(b.upload(&[1.0; 5], &[2, 3]).unwrap_err(), Error::DataLength { shape: vec![2, 3], expected: 6, got: 5 });
}

pub async fn empty_tensors_round_trip_and_k_zero_gives_zeros<B: Backend>(b: &B) {
    assert_eq!(run(b, &[], &[0, 3]).await, Vec::<f32>::new());
    // torch.mm of (2, 0) and (0, 3) is a (2, 3) matrix of zeros.
    let c = b.matmul(&b.upload(&[], &[2, 0]).unwrap(), &b.upload(&[], &[0, 3]).unwrap()).unwrap();
    assert_eq!(b.read(&c).await.unwrap(), vec![0.0; 6]);
    // n % 4 == 0 takes the GPU's vec4 kernel, which must not bind an empty B.
    let c = b.matmul(&b.upload(&[], &[2, 0]).unwrap(), &b.upload(&[], &[0, 4]).unwrap()).unwrap();
    assert_eq!(b.read(&c).await.unwrap(), vec![0.0; 8]);
    let e = b.upload(&[], &[0]).unwrap();
    assert_eq!(b.read(&b.relu(&e).unwrap()).await.unwrap(), Vec::<f32>::new());
    // A shape whose element count overflows usize is an error, not a wrapped count.
    let huge = b.upload(&[], &[usize::MAX, 2]).unwrap_err().to_string();
    assert!(huge.contains("(") && huge.contains("limit"), "{huge}");
}
