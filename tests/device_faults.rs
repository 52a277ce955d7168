//! The GPU backend when its device fails (issue 17, part 3), on the native adapter (Mesa
//! lavapipe here): a destroyed device (`wgpu::Device::destroy`, what a driver reset or the
//! browser's `GPUDevice.destroy()` does) makes every later op and read fail with the named
//! `Error::DeviceLost`, never a panic or a hang; a validation error in an op comes back from the
//! next read as `Error::GpuFault` naming the kernel, and the device stays usable; a real out of
//! memory (the address space capped with RLIMIT_AS in a child process, so lavapipe's
//! allocations fail) is `GpuFault { kind: "out-of-memory" }` naming the tensor, and the device
//! works again once tensors are freed.
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

/// The child half of the out-of-memory test: with the process's address space capped at what
/// it uses now plus 1 GiB (RLIMIT_AS), lavapipe's allocations of 128 MiB output tensors (its
/// binding limit) fail after about eight; the failure must come back as the named
/// `GpuFault { kind: "out-of-memory" }` naming the tensor, and after freeing, the same device
/// must compute and read again.
#[cfg(target_os = "linux")]
fn out_of_memory_child() {
    let vm_kb = || -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmSize:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let g = fresh_gpu("an_out_of_memory_device_is_a_named_error_and_the_device_works_after_freeing").unwrap();
    let cap = (vm_kb() + (1 << 20)) * 1024;
    let lim = libc::rlimit { rlim_cur: cap, rlim_max: cap };
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) }, 0);
    // (4096, 0) · (0, 8192): a zero-filled (4096, 8192) f32 output, 128 MiB, no compute.
    let (a, b) = (g.upload(&[], &[4096, 0]).unwrap(), g.upload(&[], &[0, 8192]).unwrap());
    let small = g.upload(&[1.0, -2.0], &[2]).unwrap();
    let mut kept = Vec::new();
    let err = loop {
        assert!(kept.len() < 64, "64 × 128 MiB allocated under a 1 GiB cap: no out-of-memory came");
        match g.matmul(&a, &b).and_then(|t| pollster::block_on(g.read(&small)).map(|_| t)) {
            Ok(t) => kept.push(t),
            Err(e) => break e,
        }
    };
    eprintln!("OOM after {} tensors of 128 MiB: {err}", kept.len());
    assert!(is_device_error(&err), "{err:?}");
    match &err {
        Error::GpuFault { kind, op, .. } => {
            assert_eq!(*kind, "out-of-memory", "{err}");
            assert!(op.contains("(4096, 8192)"), "the error names the tensor: {err}");
        }
        e => panic!("an out-of-memory should be GpuFault, got {e:?}"),
    }
    kept.truncate(kept.len() / 2);
    let relu = g.relu(&small).unwrap();
    assert_eq!(pollster::block_on(g.read(&relu)).unwrap(), [1.0, 0.0], "the device works after freeing");
    println!("OOM-CHILD-OK");
}

#[cfg(target_os = "linux")]
#[test]
fn an_out_of_memory_device_is_a_named_error_and_the_device_works_after_freeing() {
    let test = "an_out_of_memory_device_is_a_named_error_and_the_device_works_after_freeing";
    if std::env::var("QUANTPLAY_OOM_CHILD").is_ok() {
        return out_of_memory_child();
    }
    if fresh_gpu(test).is_none() {
        return;
    }
    // The cap is per process, so the child is this test binary running only this test. No
    // backtrace there: symbolising one under the cap runs out of memory and hangs.
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("QUANTPLAY_OOM_CHILD", "1")
        .env("RUST_BACKTRACE", "0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed().as_secs() > 120 {
            child.kill().unwrap();
            panic!("the out-of-memory child hung for 120 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && stdout.contains("OOM-CHILD-OK"), "child failed:\n{stdout}\n{stderr}");
    eprintln!("{}", stderr.lines().find(|l| l.starts_with("OOM after")).unwrap_or("(no OOM line)"));
}
