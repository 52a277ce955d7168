//! The `quantplay` command line. Today: `quantplay info [--json]`, which reports the CPU's SIMD
//! features and the WebGPU adapter (or why there is none). Later issues add subcommands here;
//! each stays a thin call into the library.

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use clap::{Parser, Subcommand};
    use quantplay::{info::SystemInfo, GpuBackend};

    /// int8 quantization and FP16 mixed precision with PyTorch's semantics, on WebGPU and CPU.
    #[derive(Parser)]
    #[command(name = "quantplay", version, about)]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Print the backends found: CPU SIMD features and the WebGPU adapter.
        Info {
            /// Print JSON instead of text.
            #[arg(long)]
            json: bool,
        },
        /// Serve benchmark workloads over stdin/stdout for `scripts/bench` (one thread).
        /// Lines in: `setup NAME KIND M K N`, `run NAME`, `quit`. Lines out: `ready NAME`,
        /// `ran NAME MS CHECKSUM`, or `error MESSAGE`.
        BenchWorker,
    }

    pub fn main() -> std::process::ExitCode {
        let cli = Cli::parse();
        match cli.command {
            Command::Info { json } => {
                let gpu = pollster::block_on(GpuBackend::new());
                let info = SystemInfo::new(gpu.as_ref().map(|g| g.info()));
                if json {
                    println!("{}", serde_json::to_string_pretty(&info).expect("info serialises"));
                } else {
                    print!("{}", info.to_text());
                }
            }
            Command::BenchWorker => bench_worker(),
        }
        std::process::ExitCode::SUCCESS
    }

    fn bench_worker() {
        use std::io::{BufRead, Write};
        let mut loads = std::collections::HashMap::new();
        let stdout = std::io::stdout();
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let words: Vec<&str> = line.split_whitespace().collect();
            let reply = match words.as_slice() {
                ["setup", name, kind, m, k, n] => {
                    let dims: Result<Vec<usize>, _> = [m, k, n].iter().map(|d| d.parse::<usize>()).collect();
                    match dims.map_err(|e| e.to_string()).and_then(|d| quantplay::bench::Workload::new(kind, d[0], d[1], d[2], 42).map_err(|e| e.to_string())) {
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
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The CLI is native only; wasm builds of the workspace still compile this target.
#[cfg(target_arch = "wasm32")]
fn main() {}
