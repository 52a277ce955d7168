//! wasm-bindgen-test in headless Chromium: the WebGPU backend on the browser's own adapter
//! (SwiftShader here). A missing adapter is a failure in this target, never a skip. The adapter
//! info is printed (run with `--nocapture` to see it). The host-side bodies (`host_cases!`) are
//! not repeated here: they never touch a backend, and wasm_node already runs the same wasm32 code.
#![cfg(target_arch = "wasm32")]

mod cases;

use quantplay::web::Playground;
use quantplay::GpuBackend;
use std::cell::OnceCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    static GPU: OnceCell<&'static GpuBackend> = const { OnceCell::new() };
}

/// The browser's GPU backend: opened by the first test that asks, then shared by every test, as
/// native.rs shares one (wasm is single-threaded, so this thread's cell is the whole program's).
/// Without an adapter each test that asks fails with the reason.
async fn gpu() -> &'static GpuBackend {
    if let Some(g) = GPU.with(|c| c.get().copied()) {
        return g;
    }
    let g = match GpuBackend::new().await {
        Ok(g) => g,
        Err(e) => panic!("headless Chromium must give a WebGPU adapter (run with --enable-unsafe-webgpu): {e}"),
    };
    // Another test may have opened one while this one awaited: keep the first, drop this one.
    GPU.with(|c| *c.get_or_init(|| Box::leak(Box::new(g))))
}

macro_rules! on_webgpu {
    ($($case:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $case() {
                cases::$case(gpu().await).await;
            }
        )*
    };
}

cases::all_cases!(on_webgpu);

/// The host-side bodies run in wasm_node; here they are only named, so the list still compiles
/// for the browser build.
macro_rules! not_in_the_browser {
    ($($case:ident),* $(,)?) => {
        const _: &[fn()] = &[$(cases::$case),*];
    };
}

cases::host_cases!(not_in_the_browser);

#[wasm_bindgen_test]
async fn both_gpu_int8_paths_agree() {
    cases::both_gpu_int8_paths_agree(gpu().await).await;
}

#[wasm_bindgen_test]
async fn both_gpu_f16_paths_agree() {
    cases::both_gpu_f16_paths_agree(gpu().await).await;
}

#[wasm_bindgen_test]
async fn a_gradient_nan_only_on_the_gpu_skips_that_step_there_and_not_on_the_cpu() {
    cases::a_gradient_nan_only_on_the_gpu_skips_that_step_there_and_not_on_the_cpu(gpu().await).await;
}

#[wasm_bindgen_test]
async fn calibration_reads_back_once_per_observer_and_once_per_batch_for_histograms() {
    cases::calibration_reads_back_once_per_observer_and_once_per_batch_for_histograms(gpu().await).await;
}

#[wasm_bindgen_test]
async fn simple_and_tiled_gpu_matmuls_are_identical() {
    cases::simple_and_tiled_gpu_matmuls_are_identical(gpu().await).await;
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
    let p = Playground::create(JsValue::TRUE).await.unwrap();
    assert_eq!(p.active_backend(), "webgpu", "{}", p.info_json());
    let (m, k, n) = (33usize, 70usize, 17usize);
    let f32s = |v: &[f32]| JsValue::from(js_sys::Float32Array::from(v));
    let a = f32s(&Playground::random((m * k).into(), 1.into(), (-1.0).into(), 1.0.into()).unwrap());
    let b = f32s(&Playground::random((k * n).into(), 2.into(), (-1.0).into(), 1.0.into()).unwrap());
    let mut outs = Vec::new();
    for backend in ["cpu", "webgpu"] {
        let call = p.matmul(backend.into(), a.clone(), b.clone(), m.into(), k.into(), n.into());
        outs.push(JsFuture::from(call).await.unwrap().dyn_into::<js_sys::Float32Array>().unwrap());
    }
    let cmp = Playground::compare(outs[1].clone().into(), outs[0].clone().into(), "f32_matmul".into()).unwrap();
    let report: serde_json::Value = serde_json::from_str(&cmp).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["agreement"]["len"], m * n);
}

/// A task's pause in the browser (`setTimeout(ms)`), so the browser can settle promises such as
/// `GPUDevice.lost`.
async fn pause_ms(ms: i32) {
    let wait = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout: js_sys::Function =
            js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into()).unwrap().dyn_into().unwrap();
        set_timeout.call2(&wasm_bindgen::JsValue::NULL, &resolve, &ms.into()).unwrap();
    });
    JsFuture::from(wait).await.unwrap();
}

/// The browser's own `GPUDevice.destroy()` (through wgpu) on a device of its own: the read in
/// flight after it is rejected as a named device error (no hang: the browser rejects the map),
/// and once `device.lost` has resolved, wgpu's device-lost callback makes every op fail as
/// `Error::DeviceLost`, reason `Destroyed`.
#[wasm_bindgen_test]
async fn a_destroyed_browser_device_fails_its_reads_by_name_and_then_every_op_as_lost() {
    use quantplay::app::backends::is_device_error;
    use quantplay::{Error, FloatOps, TensorOps};
    let g = GpuBackend::new().await.expect("a second device");
    let x = g.upload(&[-1.0, 2.0], &[2]).unwrap();
    let y = g.relu(&x).unwrap();
    assert_eq!(g.read(&y).await.unwrap(), [0.0, 2.0], "the device works before");
    g.destroy_device_for_test();
    let e = g.read(&y).await.unwrap_err();
    assert!(is_device_error(&e), "{e:?}");
    console_log!("DESTROYED first read: {e}");
    let mut lost = None;
    for _ in 0..100 {
        if let Err(e) = g.relu(&x) {
            lost = Some(e);
            break;
        }
        pause_ms(10).await;
    }
    let lost = lost.expect("device.lost never resolved within 100 pauses of 10 ms");
    console_log!("DESTROYED later op: {lost}");
    assert!(matches!(&lost, Error::DeviceLost { reason } if reason.starts_with("Destroyed")), "{lost:?}");
}
