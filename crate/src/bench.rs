//! Benchmark workloads: one unit of work each, set up once and run many times, so a driver can
//! alternate quantplay with its peers round by round. Used by `quantplay bench-worker` (native)
//! and `web::BenchWorkload` (wasm); timing belongs to the driver (`bench/run.mjs`).
//!
//! All run on the CPU fast path (`backend::cpu::fast`), one thread:
//! - `f32_gemm`: C (m, n) = A (m, k) · B (k, n), f32.
//! - `int8_gemm`: onnxruntime's MatMulInteger: uint8 A (m, k) with a zero point, int8 B (k, n)
//!   with a zero point → int32 (m, n). B is packed once, at setup (as a weight would be).
//! - `qlinear_per_tensor` / `qlinear_per_channel`: torch's quantized Linear, x (m, k) quint8 →
//!   y (m, n) quint8 with an (n, k) qint8 weight and a float bias, requantization included.
//! - `ptq_minmax` / `ptq_histogram`: eager `quantize()` of a fused MLP 784-256-256-10 on `k`
//!   calibration batches of `m` samples.
//! - `train_fp32` / `train_16mixed`: one training step of an MLP 784-256-256-10 on a batch of
//!   `m` (see `bench/train.rs`); `run` returns the loss.
//! - `gpu_readbacks_16mixed` (native only): `k` 16-mixed steps (batch `m`) on the WebGPU
//!   backend; `run` returns GPU → CPU reads per step, a count, not a time.
//! - `calib_{minmax,histogram}_{cpu,webgpu}`: `calibrate_on` of a fused MLP (n = 784:
//!   784-256-256-10, n = 2: the page's 2-16-16-2) on `k` batches of `m`, on the CPU fast path
//!   or native WebGPU (`bench/calib.rs`); `run` returns the readbacks of one calibration.

use crate::backend::cpu::fast;
use crate::backend::cpu::fast::int8_kernels::{accumulate_packed, PackedWeight};
use crate::rules::error::{Error, Result};
use crate::rules::rng::Rng;
use crate::rules::{qlinear as linear, QLinearSpec, QParams, QuantDType};

/// The workload names [`Workload::new`] accepts.
pub const KINDS: &[&str] = &[
    "f32_gemm",
    "int8_gemm",
    "qlinear_per_tensor",
    "qlinear_per_channel",
    "ptq_minmax",
    "ptq_histogram",
    "train_fp32",
    "train_16mixed",
    "gpu_readbacks_16mixed",
    "calib_minmax_cpu",
    "calib_minmax_webgpu",
    "calib_histogram_cpu",
    "calib_histogram_webgpu",
];

pub mod calib;
pub mod train;

enum Data {
    F32 {
        a: Vec<f32>,
        b: Vec<f32>,
    },
    Int8 {
        x: Vec<u8>,
        w: PackedWeight,
        x_zp: i32,
    },
    QLinear {
        x: Vec<u8>,
        w: PackedWeight,
        spec: QLinearSpec,
    },
    /// `quantize()` of a fused MLP 784-256-256-10: `m` samples per batch, `k` batches.
    Ptq {
        model: crate::model::Model,
        calib: Vec<f32>,
    },
    /// One training step on the CPU fast path (`Workload::run` takes `&self`, the step mutates).
    Train(std::cell::RefCell<train::TrainBench<crate::backend::cpu::CpuFast>>),
    /// 16-mixed steps on the WebGPU backend, counting readbacks.
    #[cfg(not(target_arch = "wasm32"))]
    GpuReadbacks(Box<std::cell::RefCell<train::GpuReadbacks>>),
    /// Calibration on the CPU or WebGPU (`bench/calib.rs`).
    Calib(Box<calib::CalibBench>),
}

/// One benchmark workload with its inputs.
pub struct Workload {
    m: usize,
    k: usize,
    n: usize,
    data: Data,
}

impl Workload {
    /// A workload of `kind` (one of [`KINDS`]) on seeded random inputs.
    pub fn new(kind: &str, m: usize, k: usize, n: usize, seed: u64) -> Result<Workload> {
        let mut rng = Rng::new(seed);
        let mut codes =
            |len: usize, lo: i32| -> Vec<i32> { (0..len).map(|_| lo + (rng.next_u64() % 256) as i32).collect() };
        let data = match kind {
            "f32_gemm" => {
                let mut r = Rng::new(seed);
                Data::F32 { a: r.uniform_vec(m * k, -1.0, 1.0), b: r.uniform_vec(k * n, -1.0, 1.0) }
            }
            "int8_gemm" => {
                let a = codes(m * k, 0).into_iter().map(|v| v as u8).collect();
                return Ok(Workload::int8(m, k, n, a, codes(k * n, -128), 128, -3));
            }
            "qlinear_per_tensor" | "qlinear_per_channel" => {
                let (x, w) = (codes(m * k, 0).into_iter().map(|v| v as u8).collect::<Vec<u8>>(), codes(n * k, -128));
                let wq = if kind == "qlinear_per_tensor" {
                    QParams::PerTensor { scale: 0.003, zero_point: 0, dtype: QuantDType::QInt8 }
                } else {
                    QParams::PerChannel {
                        scales: (0..n).map(|j| 0.002 + 1e-5 * j as f32).collect(),
                        zero_points: vec![0; n],
                        axis: 0,
                        dtype: QuantDType::QInt8,
                    }
                };
                let bias = Some(Rng::new(seed + 1).uniform_vec(n, -0.1, 0.1));
                let spec = QLinearSpec {
                    x_scale: 0.02,
                    x_zero_point: 128,
                    w: wq,
                    bias,
                    out_scale: 0.5,
                    out_zero_point: 128,
                    relu: false,
                };
                spec.validate(n, k)?;
                let w = PackedWeight::new(&w, n, k, &spec.requant(n).w_zero_points);
                Data::QLinear { x, w, spec }
            }
            "ptq_minmax" | "ptq_histogram" => {
                // m = samples per calibration batch, k = batches (torch_worker.py's ptq_setup).
                let sizes = [784, 256, 256, 10];
                let mut r = Rng::new(seed);
                let (mut ws, mut bs) = (Vec::new(), Vec::new());
                for p in sizes.windows(2) {
                    let bound = 1.0 / (p[0] as f32).sqrt();
                    ws.push(r.uniform_vec(p[0] * p[1], -bound, bound));
                    bs.push(r.uniform_vec(p[1], -bound, bound));
                }
                let mut model = crate::model::mlp_model(&sizes, &ws, &bs)?;
                model = crate::model::fuse::fuse_modules(&model, &model.fuse.clone())?;
                let q = if kind == "ptq_minmax" { "default" } else { "x86" };
                model.root.qconfig = crate::model::spec::QConfigAttr::Named(q.into());
                Data::Ptq { model, calib: r.uniform_vec(m * k * 784, 0.0, 1.0) }
            }
            "train_fp32" | "train_16mixed" => {
                let b = crate::backend::cpu::CpuFast;
                Data::Train(std::cell::RefCell::new(train::TrainBench::new(&b, m, kind == "train_16mixed", seed)?))
            }
            #[cfg(not(target_arch = "wasm32"))]
            "gpu_readbacks_16mixed" => {
                Data::GpuReadbacks(Box::new(std::cell::RefCell::new(train::GpuReadbacks::new(m, k, seed)?)))
            }
            k_ if k_.starts_with("calib_") && KINDS.contains(&k_) => {
                Data::Calib(Box::new(calib::CalibBench::new(kind, m, k, n, seed)?))
            }
            other => {
                return Err(Error::InvalidArgument { name: "workload", value: other.into(), valid: KINDS.join(", ") })
            }
        };
        Ok(Workload { m, k, n, data })
    }

    /// `f32_gemm` on given row-major inputs A (m, k), B (k, n).
    pub fn f32(m: usize, k: usize, n: usize, a: Vec<f32>, b: Vec<f32>) -> Workload {
        Workload { m, k, n, data: Data::F32 { a, b } }
    }

    /// `int8_gemm` on given codes: A (m, k) uint8, B (k, n) int8 (as i32), with zero points.
    pub fn int8(m: usize, k: usize, n: usize, a: Vec<u8>, b_kn: Vec<i32>, a_zp: i32, b_zp: i32) -> Workload {
        let mut w_nk = vec![0; n * k];
        for p in 0..k {
            for j in 0..n {
                w_nk[j * k + p] = b_kn[p * n + j];
            }
        }
        Workload { m, k, n, data: Data::Int8 { x: a, w: PackedWeight::new(&w_nk, n, k, &vec![b_zp; n]), x_zp: a_zp } }
    }

    /// Multiply-adds per run (m·k·n).
    pub fn macs(&self) -> f64 {
        let mlp = 784.0 * 256.0 + 256.0 * 256.0 + 256.0 * 10.0;
        match self.data {
            Data::Ptq { .. } => (self.m * self.k) as f64 * mlp,
            Data::Calib(_) => 0.0,
            // Forward, dW for every layer, dh for all but the first.
            Data::Train(_) => self.m as f64 * (3.0 * mlp - 784.0 * 256.0),
            #[cfg(not(target_arch = "wasm32"))]
            Data::GpuReadbacks(_) => 0.0,
            _ => (self.m * self.k * self.n) as f64,
        }
    }

    /// Runs once; returns the sum of the outputs, so a driver can check the work was done.
    pub fn run(&self) -> f64 {
        let (m, k, n) = (self.m, self.k, self.n);
        match &self.data {
            Data::F32 { a, b } => fast::gemm::matmul_t(a, b, m, k, n, false, false).iter().map(|&v| v as f64).sum(),
            Data::Int8 { x, w, x_zp } => accumulate_packed(x, m, *x_zp, w).iter().map(|&v| v as f64).sum(),
            Data::Ptq { model, calib } => {
                use crate::quant::eager::{quantize, Mapping, Prepared, QConfigDict};
                let mut copy = model.clone();
                let run = |p: &mut Prepared, x: &Vec<f32>| p.calibrate(x, &[m * k, 784], m);
                let c = quantize(&mut copy, run, calib, &Mapping::default(), &QConfigDict::default(), false)
                    .expect("PTQ workload");
                c.model
                    .leaves()
                    .iter()
                    .map(|(_, l)| match &l.kind {
                        crate::model::Kind::QuantizedLinear(q) => q.scale as f64 + q.zero_point as f64,
                        _ => 0.0,
                    })
                    .sum()
            }
            Data::Train(t) => {
                let b = crate::backend::cpu::CpuFast;
                let loss = t.borrow_mut().step(&b).expect("training workload");
                match loss.data() {
                    crate::backend::HostData::F32(v) => v[0] as f64,
                    _ => f64::NAN,
                }
            }
            #[cfg(not(target_arch = "wasm32"))]
            Data::GpuReadbacks(g) => g.borrow_mut().readbacks_per_step().expect("GPU readbacks workload"),
            Data::Calib(c) => c.run().expect("calibration workload"),
            Data::QLinear { x, w, spec } => {
                let r = spec.requant(n);
                let acc = accumulate_packed(x, m, spec.x_zero_point, w);
                linear::requantize_all(&acc, n, &r).iter().map(|&v| v as f64).sum()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_gemm_equals_the_zero_point_shifted_integer_product() {
        // A = [[130, 128]], B = [[1, 2], [3, 4]] (k, n), zero points 128 and 1: (2, 0)·((0, 1), (2, 3)) = (0, 2).
        let w = Workload::int8(1, 2, 2, vec![130, 128], vec![1, 2, 3, 4], 128, 1);
        assert_eq!(w.run(), 2.0);
        assert!(Workload::new("nope", 1, 1, 1, 0).err().unwrap().to_string().contains("f32_gemm"));
        for kind in KINDS.iter().filter(|k| !k.starts_with("gpu_") && !k.starts_with("calib_")) {
            assert!(Workload::new(kind, 3, 5, 4, 1).unwrap().run().is_finite(), "{kind}");
        }
        for kind in ["calib_minmax_cpu", "calib_histogram_cpu"] {
            assert_eq!(Workload::new(kind, 4, 3, 2, 1).unwrap().run(), 0.0, "{kind}: no readbacks on the CPU");
        }
        let e = Workload::new("calib_minmax_cpu", 4, 3, 5, 1).err().unwrap().to_string();
        assert!(e.contains('5') && e.contains("784"), "{e}");
    }
}
