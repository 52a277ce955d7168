//! `quantplay bench-worker`: serves the benchmark workloads (`quantplay::bench`) over
//! stdin/stdout for `scripts/bench`, one thread. Lines in: `setup NAME KIND M K N`, `run NAME`,
//! `quit`. Lines out: `ready NAME`, `ran NAME MS CHECKSUM`, or `error MESSAGE`.

/// Reads commands until `quit` or the end of input.
pub fn main() {
    use std::io::{BufRead, Write};
    let mut loads = std::collections::HashMap::new();
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let reply = match words.as_slice() {
            ["setup", name, kind, m, k, n] => {
                let dims: Result<Vec<usize>, _> = [m, k, n].iter().map(|d| d.parse::<usize>()).collect();
                match dims.map_err(|e| e.to_string()).and_then(|d| {
                    quantplay::bench::Workload::new(kind, d[0], d[1], d[2], 42).map_err(|e| e.to_string())
                }) {
                    Ok(w) => {
                        loads.insert(name.to_string(), w);
                        format!("ready {name}")
                    }
                    Err(e) => format!("error {e}"),
                }
            }
            ["run", name] => match loads.get(*name) {
                Some(w) => {
                    let t = std::time::Instant::now();
                    let sum = w.run();
                    format!("ran {name} {} {sum}", t.elapsed().as_secs_f64() * 1e3)
                }
                None => format!("error no workload {name}"),
            },
            ["quit"] => break,
            _ => format!("error bad command {line:?}"),
        };
        let mut out = stdout.lock();
        let _ = writeln!(out, "{reply}");
        let _ = out.flush();
    }
}
