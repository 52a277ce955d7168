//! The module graph of `crate/src`: every `crate::` (and, in the binary, `quantplay::`) path
//! that one top-level module names in another, outside comments. It checks that the layers point
//! one way (each module imports only modules of a lower rank, so there is no cycle) and that
//! `docs/architecture.md` shows the graph as it is now.
//!
//! `cargo test --test layers -- --nocapture` prints the listing; `QUANTPLAY_WRITE_GRAPH=1`
//! rewrites the block in docs/architecture.md. Not here: imports inside a module (`super::`)
//! and the tests' own imports.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers, bottom first: a module may import modules of a strictly lower rank only.
const RANKS: &[(&str, u32)] = &[
    ("rules", 0),
    ("parity", 0),
    ("info", 1),
    ("backend", 2),
    ("functional", 3),
    ("model", 4),
    ("amp", 4),
    ("data", 4),
    ("quant", 5),
    ("nn", 5),
    ("app", 6),
    ("bench", 6),
    ("web", 7),
    ("cli", 7),
];

const BEGIN: &str = "<!-- module-graph:begin (tests/layers.rs writes this block) -->";
const END: &str = "<!-- module-graph:end -->";

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`None` for `lib.rs`, which only wires modules).
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    match name.as_str() {
        "lib" => None,
        "main" => Some("cli".into()),
        n if n.starts_with("cli_") => Some("cli".into()),
        _ => Some(name),
    }
}

/// Source text without `//` comments (line and doc comments; `//` inside a string literal such
/// as a URL is kept).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut cut = line.len();
        for (i, ch) in line.char_indices() {
            if ch == '"' && prev != '\\' {
                in_str = !in_str;
            }
            if !in_str && ch == '/' && prev == '/' {
                cut = i - 1;
                break;
            }
            prev = ch;
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

/// The top-level modules named after `prefix::` in `code`, including each item of a
/// `prefix::{a::x, b}` group.
fn named_modules(code: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect() };
    let mut found = Vec::new();
    let pat = format!("{prefix}::");
    let mut rest = code;
    while let Some(at) = rest.find(&pat) {
        let before = rest[..at].chars().last();
        rest = &rest[at + pat.len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (i, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        found.push(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest));
        }
    }
    found
}

/// What `lib.rs` re-exports at the crate root (`pub use backend::{Backend, …}`): name → the
/// top-level module it comes from, so `crate::Backend` counts as an edge to `backend`.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in strip_comments(lib).lines() {
        let Some(path) = line.trim().strip_prefix("pub use ") else { continue };
        let module: String = path.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let names = path
            .rsplit_once("::{")
            .map(|(_, g)| g.trim_end_matches(['}', ';']))
            .unwrap_or_else(|| path.rsplit("::").next().unwrap_or("").trim_end_matches(';'));
        for name in names.split(',') {
            let name = name.rsplit("::").next().unwrap_or("").trim();
            if !name.is_empty() {
                map.insert(name.to_string(), module.clone());
            }
        }
    }
    map
}

/// `(from, to) → number of paths`, over every file of the crate.
fn edges() -> BTreeMap<(String, String), usize> {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: Vec<String> = RANKS.iter().map(|(m, _)| m.to_string()).collect();
    let root = root_reexports(&std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs"));
    let mut edges = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src");
        let Some(from) = module_of(rel) else { continue };
        let code = strip_comments(&std::fs::read_to_string(&f).expect("read"));
        let prefix = if from == "cli" { "quantplay" } else { "crate" };
        for to in named_modules(&code, prefix) {
            let to = root.get(&to).cloned().unwrap_or(to);
            if to != from && modules.contains(&to) {
                *edges.entry((from.clone(), to)).or_insert(0) += 1;
            }
        }
    }
    edges
}

fn rank(m: &str) -> u32 {
    RANKS.iter().find(|(n, _)| *n == m).map(|(_, r)| *r).unwrap_or_else(|| panic!("module {m} has no rank in RANKS"))
}

/// The listing as it appears in docs/architecture.md.
fn listing() -> String {
    let mut by_from: BTreeMap<(u32, String), Vec<String>> = BTreeMap::new();
    for ((from, to), n) in edges() {
        by_from.entry((rank(&from), from)).or_default().push(format!("{to} ({n})"));
    }
    let mut s = String::from("```text\nmodule (rank) -> modules it imports (number of paths)\n");
    for (rank, m) in RANKS.iter().map(|(m, r)| (*r, m.to_string())) {
        let to = by_from.get(&(rank, m.clone())).map(|v| v.join(", ")).unwrap_or_else(|| "-".into());
        s.push_str(&format!("{m:<10} ({rank}) -> {to}\n"));
    }
    s.push_str("```\n");
    s
}

#[test]
fn every_top_level_module_has_a_rank() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    for f in files {
        if let Some(m) = module_of(f.strip_prefix(src_dir()).unwrap()) {
            rank(&m);
        }
    }
}

#[test]
fn modules_import_only_lower_layers() {
    let bad: Vec<String> = edges()
        .into_iter()
        .filter(|((from, to), _)| rank(to) >= rank(from))
        .map(|((from, to), n)| format!("{from} (rank {}) imports {to} (rank {}) in {n} places", rank(&from), rank(&to)))
        .collect();
    assert!(bad.is_empty(), "imports that point up or sideways:\n{}", bad.join("\n"));
}

#[test]
fn architecture_doc_shows_the_current_module_graph() {
    let now = listing();
    println!("{now}");
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/architecture.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/architecture.md");
    let (start, end) = (doc.find(BEGIN).expect("begin marker"), doc.find(END).expect("end marker"));
    let shown = &doc[start + BEGIN.len()..end];
    if std::env::var("QUANTPLAY_WRITE_GRAPH").as_deref() == Ok("1") {
        let new = format!("{}{BEGIN}\n{now}{}", &doc[..start], &doc[end..]);
        std::fs::write(&doc_path, new).expect("write docs/architecture.md");
        return;
    }
    assert_eq!(
        shown.trim(),
        now.trim(),
        "docs/architecture.md is stale: run QUANTPLAY_WRITE_GRAPH=1 cargo test --test layers"
    );
}

#[test]
fn the_scanner_sees_groups_and_skips_comments() {
    let code = strip_comments("use crate::{backend::{Backend, DType}, rules::error::Result};\n// crate::app::x\nlet u = \"http://x\"; crate::model::y");
    assert_eq!(named_modules(&code, "crate"), vec!["backend", "rules", "model"]);
    assert!(!code.contains("app"));
}
