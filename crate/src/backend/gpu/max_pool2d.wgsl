// Max pooling (torch.nn.functional.max_pool2d, dilation 1) for f32, for quint8 codes and for
// qint8 codes, the codes packed four per u32 word.
// CPU twin: backend/cpu/reference/pool.rs :: max_pool2d_f32, max_pool2d_u8, max_pool2d_i8
// Shapes: x (n, c, h, w) → y (n, c, oh, ow); window (oy·sh − ph + ky, ox·sw − pw + kx), ky, kx
// ascending, positions in the padding skipped (oh, ow from backend/pool.rs, as torch's Pool.h).
//
// Exact: a max only compares. f32 compares on bit patterns, as IEEE `>` orders them (±0 equal,
// subnormals kept, so no flush-to-zero can change a result) with aten's NaN rule: start at −inf,
// take v when v > max or v is NaN, so the output's bits are the reference's. Codes compare as
// u32 (quint8) or sign-extended i32 (qint8). One invocation per f32 output, or per output word
// of four codes; 256 per workgroup on a 2-D grid (kernels.rs grid_1d).

struct Params {
    len: u32,   // output elements
    _mode: u32, // unused: the entry point picks the dtype
    _pad: u32,
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

fn is_nan(b: u32) -> bool {
    return (b & 0x7fffffffu) > 0x7f800000u;
}

// A key whose unsigned order is the float order of non-NaN bit patterns (−0 just below +0).
fn key(b: u32) -> u32 {
    if ((b & 0x80000000u) != 0u) {
        return ~b;
    }
    return b | 0x80000000u;
}

// IEEE `a > b` for non-NaN bit patterns: +0 and −0 are equal.
fn greater(a: u32, b: u32) -> bool {
    if (((a | b) & 0x7fffffffu) == 0u) {
        return false;
    }
    return key(a) > key(b);
}

// The window of output `o` clipped to the input (backend/pool.rs MaxPool2dGeom::window): its
// plane's first index and its input rows [y0, y1) and columns [x0, x1). Padding is never the
// max, so only these positions are read, in (ky, kx) order.
struct Window {
    base: u32,
    y0: u32,
    y1: u32,
    x0: u32,
    x1: u32,
}

fn window(o: u32) -> Window {
    let ox = o % p.ow;
    let oy = (o / p.ow) % p.oh;
    let plane = o / (p.ow * p.oh);
    let fy = i32(oy * p.sh) - i32(p.ph);
    let fx = i32(ox * p.sw) - i32(p.pw);
    let y0 = u32(max(fy, 0));
    let x0 = u32(max(fx, 0));
    let y1 = u32(clamp(fy + i32(p.kh), 0, i32(p.h)));
    let x1 = u32(clamp(fx + i32(p.kw), 0, i32(p.w)));
    return Window(plane * p.h * p.w, y0, max(y1, y0), x0, max(x1, x0));
}

fn byte_at(i: u32) -> u32 {
    return (x[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

// The max code of output `o`: `signed` compares sign-extended (qint8) codes.
fn max_code(o: u32, signed: bool) -> u32 {
    var best = select(0, -128, signed);
    let win = window(o);
    for (var iy = win.y0; iy < win.y1; iy = iy + 1u) {
        for (var ix = win.x0; ix < win.x1; ix = ix + 1u) {
            let b = byte_at(win.base + iy * p.w + ix);
            let v = select(i32(b), (i32(b << 24u)) >> 24u, signed);
            best = max(best, v);
        }
    }
    return u32(best) & 0xffu;
}

fn pool_codes(word: u32, signed: bool) {
    let first = 4u * word;
    if (first >= p.len) {
        return;
    }
    var out = 0u;
    for (var t = 0u; t < 4u && first + t < p.len; t = t + 1u) {
        out = out | (max_code(first + t, signed) << (8u * t));
    }
    y[word] = out;
}

@compute @workgroup_size(256, 1, 1)
fn max_pool2d_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let o = flat(wid, groups, lid);
    if (o >= p.len) {
        return;
    }
    var best = 0xff800000u; // −inf
    let win = window(o);
    for (var iy = win.y0; iy < win.y1; iy = iy + 1u) {
        for (var ix = win.x0; ix < win.x1; ix = ix + 1u) {
            let v = x[win.base + iy * p.w + ix];
            if (is_nan(v) || (!is_nan(best) && greater(v, best))) {
                best = v;
            }
        }
    }
    y[o] = best;
}

@compute @workgroup_size(256, 1, 1)
fn max_pool2d_u8(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    pool_codes(flat(wid, groups, lid), false);
}

@compute @workgroup_size(256, 1, 1)
fn max_pool2d_i8(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    pool_codes(flat(wid, groups, lid), true);
}
