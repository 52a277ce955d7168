//! The `quantplay` command line: `info [--json]` reports the CPU's SIMD features and the WebGPU
//! adapter (or why there is none); `scaler` replays a GradScaler over a schedule; `train`
//! trains an MLP and prints per-step metrics;
//! `bench-worker` serves benchmark workloads to `scripts/bench`. Later issues add subcommands here;
//! each stays a thin call into the library.

#[cfg(not(target_arch = "wasm32"))]
mod cli_quantize;

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
        /// Train an MLP on a dataset and print one metrics record per step.
        Train {
            /// circle, xor, gauss, spiral or digits.
            #[arg(long, default_value = "spiral")]
            dataset: String,
            /// Precision string (32-true today; the others are refused with a message).
            #[arg(long, default_value = "32-true")]
            precision: String,
            /// cpu (the fast path) or gpu (WebGPU; falls back to the CPU with the reason).
            #[arg(long, default_value = "cpu")]
            backend: String,
            /// Training steps.
            #[arg(long, default_value_t = 200)]
            steps: usize,
            /// Seed of data, split, init and batches.
            #[arg(long, default_value_t = 1)]
            seed: u64,
            /// Learning rate.
            #[arg(long, default_value_t = 0.01)]
            lr: f64,
            /// Minibatch size.
            #[arg(long, default_value_t = 32)]
            batch: usize,
            /// sgd (momentum 0.9) or adam.
            #[arg(long, default_value = "adam")]
            optimizer: String,
            /// Hidden widths, comma-separated.
            #[arg(long, default_value = "16,16")]
            hidden: String,
            /// Samples for the 2-D sets.
            #[arg(long, default_value_t = 500)]
            samples: usize,
            /// Noise for the 2-D sets, 0 to 0.5.
            #[arg(long, default_value_t = 0.1)]
            noise: f64,
            /// Print JSON lines instead of a table.
            #[arg(long, conflicts_with = "csv")]
            json: bool,
            /// Print CSV instead of a table.
            #[arg(long)]
            csv: bool,
        },
        /// Post-training static quantization of a model (JSON spec + safetensors), with a report.
        Quantize(crate::cli_quantize::QuantizeArgs),
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
            Command::Quantize(args) => return crate::cli_quantize::main(&args),
            Command::Train { dataset, precision, backend, steps, seed, lr, batch, optimizer, hidden, samples, noise, json, csv } => {
                let run = || -> quantplay::Result<()> {
                    use quantplay::nn::{metrics, mlp::Optimizer, trainer, AdamConfig, SgdConfig};
                    let parsed = quantplay::amp::parse_precision(&precision)?;
                    if let Some(note) = &parsed.deprecation {
                        eprintln!("note: {note}");
                    }
                    let optimizer = match optimizer.as_str() {
                        "adam" => Optimizer::Adam(AdamConfig { lr, ..Default::default() }),
                        "sgd" => Optimizer::Sgd(SgdConfig { lr, momentum: 0.9, ..Default::default() }),
                        other => return Err(quantplay::Error::InvalidArgument { name: "optimizer", value: other.into(), valid: "sgd, adam".into() }),
                    };
                    let hidden = hidden.split(',').filter(|h| !h.is_empty()).map(|h| h.trim().parse::<usize>()).collect::<Result<Vec<_>, _>>()
                        .map_err(|_| quantplay::Error::InvalidArgument { name: "hidden", value: hidden.clone(), valid: "comma-separated widths, e.g. 16,16".into() })?;
                    let cfg = trainer::TrainConfig { dataset, samples, noise, hidden, precision: parsed.precision, optimizer, batch, steps, seed };
                    trainer::validate(&cfg)?;
                    if csv {
                        println!("{}", metrics::CSV_HEADER);
                    } else if !json {
                        println!("{:>6} {:>10} {:>9} {:>10}", "step", "loss", "accuracy", "grad_norm");
                    }
                    let print = |r: &metrics::StepRecord| {
                        if json {
                            println!("{}", serde_json::to_string(r).expect("record serialises"));
                        } else if csv {
                            println!("{}", metrics::csv_line(r));
                        } else {
                            println!("{:>6} {:>10.5} {:>9.3} {:>10.4}", r.step, r.loss, r.accuracy, r.grad_norm);
                        }
                    };
                    match backend.as_str() {
                        "cpu" => pollster::block_on(trainer::train(&quantplay::CpuBackend::fast(), &cfg, print)).map(|_| ()),
                        "gpu" => match pollster::block_on(GpuBackend::new()) {
                            Ok(g) => pollster::block_on(trainer::train(&g, &cfg, print)).map(|_| ()),
                            Err(e) => {
                                eprintln!("note: {e}; training on the CPU instead");
                                pollster::block_on(trainer::train(&quantplay::CpuBackend::fast(), &cfg, print)).map(|_| ())
                            }
                        },
                        other => Err(quantplay::Error::InvalidArgument { name: "backend", value: other.into(), valid: "cpu, gpu".into() }),
                    }
                };
                if let Err(e) = run() {
                    eprintln!("error: {e}");
                    return std::process::ExitCode::from(2);
                }
            }
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
