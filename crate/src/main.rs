//! The `quantplay` command line: `info [--json]` reports the CPU's SIMD features and the WebGPU
//! adapter (or why there is none); `scaler` replays a GradScaler over a schedule;
//! `bench-worker` serves benchmark workloads to `scripts/bench`. Later issues add subcommands here;
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
        /// Replay torch.amp.GradScaler over a schedule of finite / inf / -inf / NaN steps.
        Scaler {
            /// Comma-separated events: ok, inf, -inf, nan (e.g. ok,inf,ok,nan,-inf).
            #[arg(long)]
            schedule: String,
            /// Starting scale.
            #[arg(long, default_value_t = 65536.0)]
            init_scale: f64,
            /// Factor after growth_interval finite steps (> 1).
            #[arg(long, default_value_t = 2.0)]
            growth_factor: f64,
            /// Factor on an inf/NaN step (in (0, 1)).
            #[arg(long, default_value_t = 0.5)]
            backoff_factor: f64,
            /// Finite steps between growths (>= 1).
            #[arg(long, default_value_t = 2000)]
            growth_interval: u32,
            /// Print JSON ({"steps": [...]}) instead of a table.
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
            Command::Scaler { schedule, init_scale, growth_factor, backoff_factor, growth_interval, json } => {
                use quantplay::amp::{schedule, ScalerConfig};
                let cfg = ScalerConfig { init_scale, growth_factor, backoff_factor, growth_interval };
                let steps = match schedule::parse_schedule(&schedule).and_then(|ev| schedule::run_schedule(cfg, &ev)) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return std::process::ExitCode::from(2);
                    }
                };
                if json {
                    println!("{}", serde_json::json!({ "steps": steps }));
                } else {
                    println!("{:>5}  {:<5} {:>14} {:>8} {:>14} {:>7}", "step", "event", "scale_used", "skipped", "scale_after", "tracker");
                    for r in &steps {
                        let ev = serde_json::to_value(r.event).unwrap();
                        println!("{:>5}  {:<5} {:>14e} {:>8} {:>14e} {:>7}", r.step, ev.as_str().unwrap_or("?"), r.scale_used, r.skipped, r.scale_after, r.growth_tracker);
                        if let Some(w) = &r.warning {
                            println!("       warning: {w}");
                        }
                    }
                }
            }
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
