//! [`ObserveOps`] for [`GpuBackend`]: the observer reductions of `observe_aminmax.wgsl` and
//! `histc.wgsl`. Each validates with the shared rules (`backend/observe_shapes.rs`), then
//! dispatches one kernel; nothing here reads back (the caller reads the few result words).

use super::kernels::{Kernel, ELEMENTWISE_WORKGROUP};
use super::{u32_dim, GpuBackend, GpuTensor};
use crate::backend::{check_aminmax, check_aminmax_per_channel, check_histc, HasShape, ObserveOps};
use crate::rules::error::Result;
use crate::rules::histc::HistcRange;

/// Invocations the strided reductions launch at most (1024 workgroups of 256).
const MAX_INVOCATIONS: usize = 1024 * ELEMENTWISE_WORKGROUP as usize;

impl ObserveOps for GpuBackend {
    fn aminmax_into(&self, x: &GpuTensor, out: &mut GpuTensor, at: usize) -> Result<()> {
        check_aminmax(x, out, at)?;
        let len = x.numel();
        let p = [u32_dim("len", len)?, 0, 0, u32_dim("at", at)?];
        self.dispatch(Kernel::Aminmax, &p, &[&x.buffer, &out.buffer], self.grid(len.min(MAX_INVOCATIONS)));
        Ok(())
    }

    fn aminmax_per_channel_into(&self, x: &GpuTensor, ch_axis: usize, out: &mut GpuTensor, at: usize) -> Result<()> {
        let (c, inner) = check_aminmax_per_channel(x, ch_axis, out, at)?;
        let len = x.numel();
        let p = [u32_dim("len", len)?, u32_dim("channels", c)?, u32_dim("inner", inner.max(1))?, u32_dim("at", at)?];
        self.dispatch(Kernel::AminmaxPerChannel, &p, &[&x.buffer, &out.buffer], self.grid(len.min(MAX_INVOCATIONS)));
        Ok(())
    }

    fn histc_accumulate(&self, x: &GpuTensor, range: &HistcRange, counts: &mut GpuTensor, row: usize) -> Result<()> {
        check_histc(x, range, counts, row)?;
        let len = x.numel();
        let edges = self.small_buffer(&range.lower_edges());
        let p = [
            u32_dim("len", len)?,
            u32_dim("bins", range.bins)?,
            u32_dim("row", row)?,
            0,
            range.left.to_bits(),
            (range.right - range.left).to_bits(),
            0,
            0,
        ];
        self.dispatch(Kernel::Histc, &p, &[&x.buffer, &edges, &counts.buffer], self.grid(len));
        Ok(())
    }
}
