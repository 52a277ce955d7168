// Convolution data movement: im2col, rows → NCHW and NCHW → rows as gathers (each output
// element reads one input element, or the pad value), for f32 and for uint8 codes packed four
// per u32 word; and col2im, the adjoint of im2col, as a gather-sum per output pixel.
// CPU twin: backend/cpu/reference/conv.rs :: im2col, rows_to_nchw, nchw_to_rows, col2im
// Shapes: im2col x (n, c, h, w) → (n·oh·ow, c·kh·kw), rows (n, oy, ox), columns (c, ky, kx);
// rows_to_nchw (n·h·w, c) → (n, c, h, w); nchw_to_rows the inverse; col2im (n·oh·ow, c·kh·kw)
// → (n, c, h, w). The CPU twins of the gathers are index maps; `source` below is the same map.
//
// The gathers copy bits, so they are exact. col2im sums each pixel's entries in (ky, kx)
// ascending order from 0.0 with plain f32 adds (correctly rounded in WGSL), the CPU twin's order:
// bit-exact too, and deterministic (no atomics). One invocation per output element (per output
// word for uint8), 256 per workgroup, on a 2-D grid (kernels.rs grid_1d).

struct Params {
    len: u32,    // output elements
    _mode: u32,  // unused: the entry point picks the map
    pad: u32,    // f32 bits (f32 gather) or the pad code (u8 gather)
    n: u32,
    c: u32,
    h: u32,
    w: u32,
    kh: u32,
    kw: u32,
    sh: u32,
    sw: u32,
    ph: u32,
    pw: u32,
    oh: u32,
    ow: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

fn flat(wid: vec3<u32>, groups: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * groups.x + wid.x) * 256u + lid;
}

// The input element output element `o` copies, or -1 for padding.
fn source(o: u32, mode: u32) -> i32 {
    if (mode == 0u) {
        let k = p.c * p.kh * p.kw;
        let row = o / k;
        let col = o % k;
        let ox = row % p.ow;
        let oy = (row / p.ow) % p.oh;
        let b = row / (p.ow * p.oh);
        let kx = col % p.kw;
        let ky = (col / p.kw) % p.kh;
        let ch = col / (p.kw * p.kh);
        let iy = i32(oy * p.sh + ky) - i32(p.ph);
        let ix = i32(ox * p.sw + kx) - i32(p.pw);
        if (iy < 0 || ix < 0 || iy >= i32(p.h) || ix >= i32(p.w)) {
            return -1;
        }
        return i32(((b * p.c + ch) * p.h + u32(iy)) * p.w + u32(ix));
    }
    let hw = p.h * p.w;
    if (mode == 1u) {
        let px = o % hw;
        let ch = (o / hw) % p.c;
        let b = o / (hw * p.c);
        return i32((b * hw + px) * p.c + ch);
    }
    let ch = o % p.c;
    let r = o / p.c;
    return i32(((r / hw) * p.c + ch) * hw + r % hw);
}

// One f32 element (4-byte words copied as bits).
fn gather_f32(o: u32, mode: u32) {
    if (o >= p.len) {
        return;
    }
    let s = source(o, mode);
    y[o] = select(p.pad, x[u32(max(s, 0))], s >= 0);
}

// One output word of four uint8 codes.
fn gather_u8(word: u32, mode: u32) {
    let first = 4u * word;
    if (first >= p.len) {
        return;
    }
    var out = 0u;
    for (var t = 0u; t < 4u && first + t < p.len; t = t + 1u) {
        let s = source(first + t, mode);
        var byte = p.pad & 0xffu;
        if (s >= 0) {
            let i = u32(s);
            byte = (x[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
        }
        out = out | (byte << (8u * t));
    }
    y[word] = out;
}

@compute @workgroup_size(256, 1, 1)
fn im2col_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    gather_f32(flat(wid, groups, lid), 0u);
}

@compute @workgroup_size(256, 1, 1)
fn im2col_u8(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    gather_u8(flat(wid, groups, lid), 0u);
}

@compute @workgroup_size(256, 1, 1)
fn rows_to_nchw_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    gather_f32(flat(wid, groups, lid), 1u);
}

@compute @workgroup_size(256, 1, 1)
fn rows_to_nchw_u8(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    gather_u8(flat(wid, groups, lid), 1u);
}

@compute @workgroup_size(256, 1, 1)
fn nchw_to_rows_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    gather_f32(flat(wid, groups, lid), 2u);
}

@compute @workgroup_size(256, 1, 1)
fn nchw_to_rows_u8(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    gather_u8(flat(wid, groups, lid), 2u);
}

@compute @workgroup_size(256, 1, 1)
fn col2im(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let o = flat(wid, groups, lid);
    if (o >= p.len) {
        return;
    }
    let ix = o % p.w;
    let iy = (o / p.w) % p.h;
    let ch = (o / (p.w * p.h)) % p.c;
    let b = o / (p.w * p.h * p.c);
    let k = p.c * p.kh * p.kw;
    let ty = iy + p.ph;
    let tx = ix + p.pw;
    var acc = 0.0;
    for (var ky = 0u; ky < p.kh; ky = ky + 1u) {
        if (ty < ky || (ty - ky) % p.sh != 0u || (ty - ky) / p.sh >= p.oh) {
            continue;
        }
        let oy = (ty - ky) / p.sh;
        for (var kx = 0u; kx < p.kw; kx = kx + 1u) {
            if (tx < kx || (tx - kx) % p.sw != 0u || (tx - kx) / p.sw >= p.ow) {
                continue;
            }
            let ox = (tx - kx) / p.sw;
            acc = acc + bitcast<f32>(x[((b * p.oh + oy) * p.ow + ox) * k + (ch * p.kh + ky) * p.kw + kx]);
        }
    }
    y[o] = bitcast<u32>(acc);
}
