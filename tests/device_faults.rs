//! The GPU backend when its device fails (issue 17, part 3), on the native adapter (Mesa
//! lavapipe here): a destroyed device (`wgpu::Device::destroy`, what a driver reset or the
//! browser's `GPUDevice.destroy()` does) makes every later op and read fail with the named
//! `Error::DeviceLost`, never a panic or a hang; a validation error in an op comes back from the
//! next read as `Error::GpuFault` naming the kernel, and the device stays usable. Out of memory
//! is not provoked here: a buffer over the limits is refused before allocation (`TooLarge`), and
//! one under them really allocates on this shared machine.
//! Each test opens its own device, so destroying it touches no other test. Without an adapter
//! the tests print SKIP (as `tests/native.rs` does), or fail when `QUANTPLAY_REQUIRE_GPU=1`.
#![cfg(not(target_arch = "wasm32"))]

use quantplay::app::backends::is_device_error;
use quantplay::app::session::Session;
use quantplay::{Error, FloatOps, GpuBackend, TensorOps};

/// A fresh GPU backend, or `None` after printing SKIP (and logging it to `$QUANTPLAY_SKIP_LOG`).
fn fresh_gpu(test: &str) -> Option<GpuBackend> {
    match pollster::block_on(GpuBackend::new()) {
        Ok(g) => Some(g),
        Err(e) if std::env::var("QUANTPLAY_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("QUANTPLAY_REQUIRE_GPU=1 but the GPU backend is unavailable: {e}")
        }
        Err(e) => {
            eprintln!("SKIP webgpu::{test}: {e}");
            if let Ok(path) = std::env::var("QUANTPLAY_SKIP_LOG") {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("skip log");
                writeln!(f, "device_faults webgpu::{test}: {e}").expect("skip log");
            }
            None
        }
    }
}

fn is_lost(e: &Error) -> bool {
    matches!(e, Error::DeviceLost { .. })
}

#[test]
fn a_destroyed_device_makes_every_later_op_and_read_a_named_device_lost_error() {
    let Some(g) = fresh_gpu("a_destroyed_device_makes_every_later_op_and_read_a_named_device_lost_error") else {
        return;
    };
    let x = g.upload(&[-1.0, 2.0, -3.0, 4.0], &[2, 2]).unwrap();
    let y = g.relu(&x).unwrap();
    assert_eq!(pollster::block_on(g.read(&y)).unwrap(), [0.0, 2.0, 0.0, 4.0], "the device works before");
    g.destroy_device_for_test();
    let read = pollster::block_on(g.read(&y)).unwrap_err();
    assert!(is_lost(&read), "the first read after the loss: {read:?}");
    assert!(read.to_string().starts_with("GPU device lost (Destroyed"), "{read}");
    let op = g.relu(&x).unwrap_err();
    assert!(is_lost(&op), "an op after the loss: {op:?}");
    let up = g.upload(&[1.0], &[1]).unwrap_err();
    assert!(is_lost(&up), "an upload after the loss: {up:?}");
    assert!(is_device_error(&read), "the page and the CLI move work to the CPU on it");
}

#[test]
fn a_training_session_on_a_lost_device_fails_with_the_named_error_not_a_hang() {
    let Some(g) = fresh_gpu("a_training_session_on_a_lost_device_fails_with_the_named_error_not_a_hang") else {
        return;
    };
    let json = r#"{"dataset":"gauss","samples":200,"precision":"16-mixed","hidden":[8],"batch":32}"#;
    let mut s = Session::new(&g, quantplay::app::session_config::parse(json).unwrap().0).unwrap();
    assert_eq!(pollster::block_on(s.run(&g, 3)).unwrap().len(), 3);
    g.destroy_device_for_test();
    let e = pollster::block_on(s.run(&g, 3)).unwrap_err();
    assert!(is_lost(&e), "{e:?}");
    let e = pollster::block_on(s.snapshot(&g, json)).unwrap_err();
    assert!(is_lost(&e), "a snapshot after the loss: {e:?}");
}

#[test]
fn a_validation_error_in_an_op_is_named_with_its_kernel_and_the_device_stays_usable() {
    let Some(g) = fresh_gpu("a_validation_error_in_an_op_is_named_with_its_kernel_and_the_device_stays_usable") else {
        return;
    };
    let x = g.upload(&[1.0, -2.0], &[2]).unwrap();
    g.provoke_validation_error_for_test(&x);
    let e = pollster::block_on(g.read(&x)).unwrap_err();
    let Error::GpuFault { kind, op, wgpu } = &e else { panic!("not a GpuFault: {e:?}") };
    assert_eq!((*kind, op.as_str()), ("validation", "kernel relu"), "{e}");
    assert!(!wgpu.is_empty(), "wgpu's own words are kept: {e}");
    assert!(is_device_error(&e));
    let y = g.relu(&x).unwrap();
    assert_eq!(pollster::block_on(g.read(&y)).unwrap(), [1.0, 0.0], "the error was reported once; the device works");
}
