//! The WebGPU backend's training ops: transposed matmuls, relu backward, scaling, reductions,
//! softmax cross-entropy and the optimizer steps. Each validates with the shared rules in
//! `backend/mod.rs`, then dispatches its kernel; nothing here reads back.

use super::kernels::{grid_matmul, Kernel, MATMUL_TILE, MATMUL_TILED_TILE};
use super::{u32_dim, GpuBackend, GpuTensor, MatmulPath};
use crate::backend::{
    check_scalar, check_step, cross_entropy_dims, expect_dtype, matmul_t_dims, same_shape, DType, HasShape,
};
use crate::rules::error::{fmt_shape, Error, Result};
use crate::rules::optim::{AdamConfig, SgdConfig};

pub(super) fn matmul_t(
    g: &GpuBackend,
    a: &GpuTensor,
    b: &GpuTensor,
    ta: bool,
    tb: bool,
    path: MatmulPath,
) -> Result<GpuTensor> {
    let (m, k, n) = matmul_t_dims(&a.shape, &b.shape, ta, tb)?;
    expect_dtype("matmul", a, DType::F32)?;
    expect_dtype("matmul", b, DType::F32)?;
    let out = g.output(&[m, n], DType::F32)?;
    if k == 0 {
        return Ok(out); // torch.mm with k = 0 is all zeros, which a new buffer already holds
    }
    let params = [u32_dim("m", m)?, u32_dim("k", k)?, u32_dim("n", n)?, ta as u32 | (tb as u32) << 1];
    let (kernel, grid) = match path {
        MatmulPath::Simple => (Kernel::Matmul, grid_matmul(m, n, MATMUL_TILE)),
        MatmulPath::Tiled => (Kernel::MatmulTiled, grid_matmul(m, n, MATMUL_TILED_TILE)),
        // The vec4 variant needs whole vec4 rows of B and C: the plain form with n % 4 == 0.
        MatmulPath::Blocked if !ta && !tb && n % 4 == 0 => {
            (Kernel::MatmulBlockedV4, grid_matmul(m, n, path.outputs_per_workgroup_side()))
        }
        MatmulPath::Blocked => (Kernel::MatmulBlocked, grid_matmul(m, n, path.outputs_per_workgroup_side())),
    };
    g.check_grid("matmul", (m, n), grid)?;
    g.dispatch(kernel, &params, &[&a.buffer, &b.buffer, &out.buffer], grid);
    Ok(out)
}

pub(super) fn relu_backward(g: &GpuBackend, grad: &GpuTensor, x: &GpuTensor) -> Result<GpuTensor> {
    same_shape("relu_backward", &grad.shape, &x.shape)?;
    g.elementwise(Kernel::ReluBackward, "relu_backward", &[grad, x], 0)
}

pub(super) fn scale(g: &GpuBackend, x: &GpuTensor, s: f32) -> Result<GpuTensor> {
    g.elementwise(Kernel::Scale, "scale", &[x], s.to_bits())
}

pub(super) fn sum(g: &GpuBackend, x: &GpuTensor) -> Result<GpuTensor> {
    expect_dtype("sum", x, DType::F32)?;
    let out = g.output(&[1], DType::F32)?;
    // One workgroup always runs, so an empty input writes 0.
    g.dispatch(Kernel::Sum, &[0, 0, u32_dim("len", x.numel())?, 0], &[&x.buffer, &out.buffer], [1, 1, 1]);
    Ok(out)
}

pub(super) fn sum_rows(g: &GpuBackend, x: &GpuTensor) -> Result<GpuTensor> {
    expect_dtype("sum_rows", x, DType::F32)?;
    let &[rows, n] = x.shape.as_slice() else {
        return Err(Error::Shape {
            op: "sum_rows",
            detail: format!("x must be (rows, n), got {}", fmt_shape(&x.shape)),
        });
    };
    let out = g.output(&[n], DType::F32)?;
    g.dispatch(
        Kernel::SumRows,
        &[u32_dim("rows", rows)?, u32_dim("n", n)?, 0, 0],
        &[&x.buffer, &out.buffer],
        g.grid(n),
    );
    Ok(out)
}

pub(super) fn cross_entropy(g: &GpuBackend, logits: &GpuTensor, labels: &GpuTensor) -> Result<(GpuTensor, GpuTensor)> {
    let (b, c) = cross_entropy_dims(logits, labels)?;
    let losses = g.output(&[b], DType::F32)?;
    let d = g.output(&[b, c], DType::F32)?;
    // An empty batch's mean loss is NaN, as torch's (and the CPU's) 0 / 0.
    let inv_b = if b == 0 { f32::NAN } else { 1.0 / b as f32 };
    let params = [u32_dim("b", b)?, u32_dim("c", c)?, inv_b.to_bits(), 0];
    g.dispatch(Kernel::CrossEntropy, &params, &[&logits.buffer, &labels.buffer, &losses.buffer, &d.buffer], g.grid(b));
    let loss = scale(g, &sum(g, &losses)?, inv_b)?;
    Ok((loss, d))
}

/// The `(1,)` f32 flag an optimizer kernel reads: the caller's, or a zero one.
fn skip_flag(g: &GpuBackend, op: &'static str, skip_if: Option<&GpuTensor>) -> Result<Option<wgpu::Buffer>> {
    match skip_if {
        Some(t) => check_scalar(op, "skip_if", t, DType::F32).map(|_| None),
        None => Ok(Some(g.small_buffer(&[0]))),
    }
}

pub(super) fn sgd_step(
    g: &GpuBackend,
    p: &GpuTensor,
    grad: &GpuTensor,
    buf: &GpuTensor,
    c: &SgdConfig,
    first: bool,
    skip_if: Option<&GpuTensor>,
) -> Result<()> {
    check_step("sgd_step", p, &[grad, buf])?;
    c.validate()?;
    let zero = skip_flag(g, "sgd_step", skip_if)?;
    let flag = skip_if.map(|t| &t.buffer).or(zero.as_ref()).expect("one of the two");
    let flags = first as u32
        | (c.nesterov as u32) << 1
        | ((c.momentum != 0.0) as u32) << 2
        | ((c.weight_decay != 0.0) as u32) << 3;
    let s = c.scalars();
    let f = |x: f32| x.to_bits();
    let params = [
        u32_dim("len", p.numel())?,
        flags,
        f(s.neg_lr),
        f(s.momentum),
        f(s.one_minus_dampening),
        f(s.weight_decay),
        0,
        0,
    ];
    g.dispatch(Kernel::SgdStep, &params, &[&p.buffer, &grad.buffer, &buf.buffer, flag], g.grid(p.numel()));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn adam_step(
    g: &GpuBackend,
    p: &GpuTensor,
    grad: &GpuTensor,
    m: &GpuTensor,
    v: &GpuTensor,
    c: &AdamConfig,
    step: u32,
    skip_if: Option<&GpuTensor>,
) -> Result<()> {
    check_step("adam_step", p, &[grad, m, v])?;
    c.validate()?;
    if step == 0 {
        return Err(Error::InvalidArgument {
            name: "step",
            value: "0".into(),
            valid: ">= 1 (Adam counts steps from 1)".into(),
        });
    }
    let zero = skip_flag(g, "adam_step", skip_if)?;
    let flag = skip_if.map(|t| &t.buffer).or(zero.as_ref()).expect("one of the two");
    let s = c.scalars(step);
    let f = |x: f32| x.to_bits();
    let params = [
        u32_dim("len", p.numel())?,
        (c.weight_decay != 0.0) as u32,
        f(s.one_minus_beta1),
        f(s.beta2),
        f(s.one_minus_beta2),
        f(s.eps),
        f(s.weight_decay),
        f(s.neg_step_size),
        f(s.bc2_sqrt),
        0,
        0,
        0,
    ];
    g.dispatch(Kernel::AdamStep, &params, &[&p.buffer, &grad.buffer, &m.buffer, &v.buffer, flag], g.grid(p.numel()));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn adam_step_counted(
    g: &GpuBackend,
    p: &GpuTensor,
    grad: &GpuTensor,
    m: &GpuTensor,
    v: &GpuTensor,
    c: &AdamConfig,
    table: &GpuTensor,
    count: &GpuTensor,
    skip_if: Option<&GpuTensor>,
) -> Result<()> {
    check_step("adam_step", p, &[grad, m, v])?;
    check_scalar("adam_step", "count", count, DType::F32)?;
    expect_dtype("adam_step", table, DType::F32)?;
    c.validate()?;
    let zero = skip_flag(g, "adam_step", skip_if)?;
    let flag = skip_if.map(|t| &t.buffer).or(zero.as_ref()).expect("one of the two");
    let s = c.scalars(1);
    let f = |x: f32| x.to_bits();
    let params = [
        u32_dim("len", p.numel())?,
        (c.weight_decay != 0.0) as u32,
        f(s.one_minus_beta1),
        f(s.beta2),
        f(s.one_minus_beta2),
        f(s.eps),
        f(s.weight_decay),
        0,
        0,
        0,
        0,
        0,
    ];
    g.dispatch(
        Kernel::AdamStepCounted,
        &params,
        &[&p.buffer, &grad.buffer, &m.buffer, &v.buffer, flag, &table.buffer, &count.buffer],
        g.grid(p.numel()),
    );
    Ok(())
}
