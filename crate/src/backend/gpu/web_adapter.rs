//! Wasm only: reads the browser's `GPUAdapterInfo` (vendor, architecture, description,
//! isFallbackAdapter) through `js_sys::Reflect`, because wgpu's WebGPU backend does not map
//! those fields. It only reads; the device itself comes from wgpu.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The fields of `GPUAdapterInfo` quantplay shows.
pub(super) struct WebAdapterInfo {
    pub vendor: String,
    pub architecture: String,
    pub description: String,
    pub is_fallback: bool,
}

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

fn navigator_gpu() -> Option<JsValue> {
    get(&get(&js_sys::global(), "navigator")?, "gpu")
}

/// Whether `navigator.gpu` exists (in a window or a worker).
pub(super) fn navigator_gpu_present() -> bool {
    navigator_gpu().is_some()
}

/// `(await navigator.gpu.requestAdapter()).info`, or `None` if anything along the way is missing.
pub(super) async fn adapter_info() -> Option<WebAdapterInfo> {
    let gpu = navigator_gpu()?;
    let request: Function = get(&gpu, "requestAdapter")?.dyn_into().ok()?;
    let promise: Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = JsFuture::from(promise).await.ok().filter(|a| !a.is_null())?;
    let info = get(&adapter, "info")?;
    let text = |k: &str| get(&info, k).and_then(|v| v.as_string()).unwrap_or_default();
    // Chrome moved isFallbackAdapter from GPUAdapter to GPUAdapterInfo; accept either.
    let fallback = get(&info, "isFallbackAdapter").or_else(|| get(&adapter, "isFallbackAdapter"));
    Some(WebAdapterInfo {
        vendor: text("vendor"),
        architecture: text("architecture"),
        description: text("description"),
        is_fallback: fallback.and_then(|v| v.as_bool()).unwrap_or(false),
    })
}
