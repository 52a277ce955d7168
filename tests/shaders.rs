//! Shader checks that need no GPU: every `.wgsl` file parses and validates with naga, every file
//! on disk is registered in `kernels.rs`, and every file's header names CPU twins that exist.
#![cfg(not(target_arch = "wasm32"))]

use quantplay::backend::gpu::kernels::{LIB_FILES, SHADER_FILES};
use std::path::Path;

const SHADER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/backend/gpu");

#[test]
fn every_shader_parses_and_validates_with_naga() {
    assert!(!SHADER_FILES.is_empty());
    for f in SHADER_FILES {
        let module = naga::front::wgsl::parse_str(f.source)
            .unwrap_or_else(|e| panic!("{}: {}", f.file, e.emit_to_string(f.source)));
        // Only files that say `enable f16` get the f16 capability, as only shader-f16 devices build them.
        let mut caps = naga::valid::Capabilities::default();
        if f.source.contains("enable f16;") {
            caps |= naga::valid::Capabilities::SHADER_FLOAT16 | naga::valid::Capabilities::SHADER_FLOAT16_IN_FLOAT32;
        }
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), caps)
            .validate(&module)
            .unwrap_or_else(|e| panic!("{}: {}", f.file, e.emit_to_string(f.source)));
        assert!(!module.entry_points.is_empty(), "{} has no entry point", f.file);
    }
}

#[test]
fn every_wgsl_file_on_disk_is_registered() {
    for entry in std::fs::read_dir(SHADER_DIR).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".wgsl") {
            assert!(
                SHADER_FILES.iter().chain(LIB_FILES).any(|f| f.file == name),
                "{name} is in neither kernels::SHADER_FILES nor LIB_FILES"
            );
        }
    }
}

#[test]
fn every_shader_header_names_cpu_twins_that_exist() {
    let src_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for f in SHADER_FILES.iter().chain(LIB_FILES) {
        let lines: Vec<&str> = f.source.lines().take(8).filter(|l| l.starts_with("// CPU twin:")).collect();
        assert!(!lines.is_empty(), "{}: no `// CPU twin: path :: fn, fn` line in the header", f.file);
        let mut twins = Vec::new();
        for line in lines {
            let (path, fns) = line["// CPU twin:".len()..].split_once("::").expect("path :: fns");
            let twin_src = std::fs::read_to_string(src_root.join(path.trim()))
                .unwrap_or_else(|e| panic!("{}: twin file {}: {e}", f.file, path.trim()));
            for name in fns.split(',').map(str::trim) {
                assert!(
                    twin_src.contains(&format!("pub fn {name}(")),
                    "{}: twin {name} not in {}",
                    f.file,
                    path.trim()
                );
                twins.push(name.to_string());
            }
        }
        // Every entry point is named after its twin (`quantized_linear_dot4` for `quantized_linear`).
        if LIB_FILES.iter().any(|l| l.file == f.file) {
            assert!(!f.source.contains("@compute"), "{}: a library file has no entry point", f.file);
            continue;
        }
        let module = naga::front::wgsl::parse_str(f.source).unwrap();
        for e in &module.entry_points {
            assert!(
                twins.iter().any(|t| e.name.starts_with(t)),
                "{}: entry point {} names no listed twin",
                f.file,
                e.name
            );
        }
    }
}

#[test]
fn every_library_file_is_appended_to_a_kernel_that_uses_it() {
    for lib in LIB_FILES {
        let users: Vec<&str> = SHADER_FILES.iter().filter(|f| f.source.ends_with(lib.source)).map(|f| f.file).collect();
        assert!(!users.is_empty(), "{} is appended to no kernel", lib.file);
    }
}
