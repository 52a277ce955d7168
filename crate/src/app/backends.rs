//! The backend rule in one place ([`crate::backend::BackendKind`]'s docs state it): open what the
//! user named, and when `webgpu` is missing or fails with a device error, run the same job on
//! `cpu` and say why. Argument errors are never retried. The CLI uses [`run`]; the wasm surface
//! keeps its backends open for the page and applies the same rule through [`run_on`].
//!
//! Not here: the jobs themselves (`ptq`, `trainer`).

use crate::backend::cpu::{CpuFast, CpuReference};
use crate::backend::gpu::GpuBackend;
use crate::backend::{Backend, BackendKind};
use crate::rules::error::{Error, Result};
use std::future::Future;

/// Work that can run on any backend (a generic closure, which Rust closures cannot be).
pub trait Job {
    /// What the job returns.
    type Output;
    /// Runs the job on `b`.
    fn run<B: Backend>(&self, b: &B) -> impl Future<Output = Result<Self::Output>>;
}

/// A job's output and where it ran.
#[derive(Debug)]
pub struct Ran<T> {
    /// The job's result.
    pub output: T,
    /// The backend that produced it: what was asked for, or `cpu` after a fallback.
    pub ran_on: BackendKind,
    /// Why it did not run where it was asked to (no adapter, a device error), if so.
    pub fallback: Option<String>,
}

/// The backends a caller holds open; `gpu` is the opened GPU or the reason there is none.
pub struct Open<'a> {
    /// The CPU fast path.
    pub cpu: &'a CpuFast,
    /// The CPU reference.
    pub reference: &'a CpuReference,
    /// WebGPU, or why it could not be opened.
    pub gpu: std::result::Result<&'a GpuBackend, &'a Error>,
}

/// Whether an error is the device's (no adapter, a lost device, a GPU validation or mapping
/// failure), the only kind that moves work to the CPU.
pub fn is_device_error(e: &Error) -> bool {
    matches!(e, Error::Gpu(_) | Error::GpuUnavailable(_) | Error::DeviceLost { .. } | Error::GpuFault { .. })
}

/// Runs `job` on `kind` among the open backends, with the fallback rule.
pub async fn run_on<J: Job>(open: &Open<'_>, kind: BackendKind, job: &J) -> Result<Ran<J::Output>> {
    let on_cpu = |output, fallback| Ran { output, ran_on: BackendKind::Cpu, fallback };
    match kind {
        BackendKind::Cpu => Ok(on_cpu(job.run(open.cpu).await?, None)),
        BackendKind::CpuReference => {
            Ok(Ran { output: job.run(open.reference).await?, ran_on: BackendKind::CpuReference, fallback: None })
        }
        BackendKind::WebGpu => match open.gpu {
            Err(e) => Ok(on_cpu(job.run(open.cpu).await?, Some(e.to_string()))),
            Ok(g) => match job.run(g).await {
                Ok(output) => Ok(Ran { output, ran_on: BackendKind::WebGpu, fallback: None }),
                Err(e) if is_device_error(&e) => Ok(on_cpu(job.run(open.cpu).await?, Some(e.to_string()))),
                Err(e) => Err(e),
            },
        },
    }
}

/// Runs `job` on exactly `kind`, with no fallback: for checks that compare backends (the page's
/// CPU-vs-WebGPU matmul check), where running elsewhere would answer another question. A missing
/// GPU is returned as its error.
pub async fn run_strict<J: Job>(open: &Open<'_>, kind: BackendKind, job: &J) -> Result<J::Output> {
    match kind {
        BackendKind::Cpu => job.run(open.cpu).await,
        BackendKind::CpuReference => job.run(open.reference).await,
        BackendKind::WebGpu => job.run(open.gpu.map_err(Clone::clone)?).await,
    }
}

/// Opens `kind` (a GPU only when asked for) and runs `job` with the fallback rule.
pub async fn run<J: Job>(kind: BackendKind, job: &J) -> Result<Ran<J::Output>> {
    let gpu = if kind == BackendKind::WebGpu {
        GpuBackend::new().await
    } else {
        Err(Error::GpuUnavailable("not requested".into()))
    };
    let open = Open { cpu: &CpuFast, reference: &CpuReference, gpu: gpu.as_ref() };
    run_on(&open, kind, job).await
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// Returns the name of the backend it ran on, or `err` if given.
    struct Where(Option<Error>);
    impl Job for Where {
        type Output = &'static str;
        async fn run<B: Backend>(&self, b: &B) -> Result<&'static str> {
            match &self.0 {
                Some(e) => Err(e.clone()),
                None => Ok(b.name()),
            }
        }
    }

    #[test]
    fn a_missing_gpu_runs_the_job_on_the_cpu_and_says_why() {
        let none = Error::GpuUnavailable("no adapter".into());
        let open = Open { cpu: &CpuFast, reference: &CpuReference, gpu: Err(&none) };
        let ran = pollster::block_on(run_on(&open, BackendKind::WebGpu, &Where(None))).unwrap();
        assert_eq!((ran.output, ran.ran_on), ("cpu", BackendKind::Cpu));
        assert!(ran.fallback.unwrap().contains("no adapter"));
        let ran = pollster::block_on(run_on(&open, BackendKind::CpuReference, &Where(None))).unwrap();
        assert_eq!((ran.output, ran.ran_on, ran.fallback), ("cpu-reference", BackendKind::CpuReference, None));
    }

    #[test]
    fn argument_errors_are_returned_not_retried() {
        let none = Error::GpuUnavailable("no adapter".into());
        let open = Open { cpu: &CpuFast, reference: &CpuReference, gpu: Err(&none) };
        let bad = Error::InvalidArgument { name: "calib_size", value: "2000".into(), valid: "1..=320".into() };
        let e = pollster::block_on(run_on(&open, BackendKind::Cpu, &Where(Some(bad.clone())))).unwrap_err();
        assert_eq!(e, bad);
        assert!(!is_device_error(&bad) && is_device_error(&none) && is_device_error(&Error::Gpu("lost".into())));
        let lost = Error::DeviceLost { reason: "Destroyed".into() };
        let oom = Error::GpuFault { kind: "out-of-memory", op: "output tensor (4,)".into(), wgpu: "…".into() };
        assert!(
            is_device_error(&lost) && is_device_error(&oom),
            "a lost device and an op's GPU fault move work to the CPU"
        );
    }
}
