// GradScaler.update on the device: torch's _amp_update_scale_. On found_inf the scale is
// multiplied by backoff_factor and the growth tracker resets; otherwise the tracker counts
// finite steps and at growth_interval the scale is multiplied by growth_factor (kept only if
// finite) and the tracker resets. Shapes: scale (1,) f32, growth_tracker (1,) i32,
// found_inf (1,) f32. One invocation; the loop never reads these back.
// CPU twin: backend/cpu/reference/train.rs :: amp_update_scale
//
// torch forms scale · factor in f64 and rounds to f32. WGSL has no f64, so the factor comes as
// hi + lo f32 parts and the product is fma(scale, hi, scale · lo): exact (one rounding, like
// torch) whenever the factor is an f32 value — the defaults 2.0 and 0.5 and every power of
// two — and within an ulp otherwise. Finiteness is tested on the bits (WGSL may assume finite
// floats).

struct Params {
    growth_hi: f32,
    growth_lo: f32,
    backoff_hi: f32,
    backoff_lo: f32,
    growth_interval: i32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> scale: array<f32>;
@group(0) @binding(2) var<storage, read_write> growth_tracker: array<i32>;
@group(0) @binding(3) var<storage, read> found_inf: array<f32>;

@compute @workgroup_size(1, 1, 1)
fn amp_update_scale() {
    let s = scale[0];
    if (found_inf[0] != 0.0) {
        scale[0] = fma(s, p.backoff_hi, s * p.backoff_lo);
        growth_tracker[0] = 0;
        return;
    }
    let successful = growth_tracker[0] + 1;
    if (successful == p.growth_interval) {
        let grown = fma(s, p.growth_hi, s * p.growth_lo);
        if ((bitcast<u32>(grown) & 0x7f800000u) != 0x7f800000u) {
            scale[0] = grown;
        }
        growth_tracker[0] = 0;
    } else {
        growth_tracker[0] = successful;
    }
}
