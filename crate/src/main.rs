//! The `quantplay` command line: `info [--json]` reports the CPU's SIMD features and the WebGPU
//! adapter (or why there is none); `scaler` replays a GradScaler over a schedule; `train`
//! trains an MLP and prints per-step metrics; `quantize` runs post-training static quantization
//! (`cli_quantize.rs`) or dynamic quantization (`--dynamic`, `cli_dynamic.rs`); `qat` runs
//! quantization-aware training (`cli_qat.rs`); `lesson NAME` prints a lesson page's numbers
//! (`cli_lesson.rs`); `bench-worker` serves benchmark workloads to `scripts/bench`
//! (`cli_bench.rs`, feature `bench`). Each is argument parsing plus one call into the library;
//! `--backend` takes `cpu`, `cpu-reference` or `webgpu` (`gpu`), with the fallback rule of
//! `quantplay::app::backends`.

#[cfg(all(not(target_arch = "wasm32"), feature = "bench"))]
mod cli_bench;
#[cfg(not(target_arch = "wasm32"))]
mod cli_compare;
#[cfg(not(target_arch = "wasm32"))]
mod cli_debug;
#[cfg(not(target_arch = "wasm32"))]
mod cli_dynamic;
#[cfg(not(target_arch = "wasm32"))]
mod cli_env;
#[cfg(not(target_arch = "wasm32"))]
mod cli_files;
#[cfg(not(target_arch = "wasm32"))]
mod cli_inputs;
#[cfg(not(target_arch = "wasm32"))]
mod cli_interrupt;
#[cfg(not(target_arch = "wasm32"))]
mod cli_lesson;
#[cfg(not(target_arch = "wasm32"))]
mod cli_lesson_b;
#[cfg(not(target_arch = "wasm32"))]
mod cli_lesson_observers;
#[cfg(not(target_arch = "wasm32"))]
mod cli_lesson_pipeline;
#[cfg(not(target_arch = "wasm32"))]
mod cli_qat;
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
            /// 32-true, 16-mixed, bf16-mixed, 16-true, bf16-true (or legacy 16, bf16, 32).
            #[arg(long, default_value = "32-true")]
            precision: String,
            /// cpu (the fast path), cpu-reference (plain loops) or webgpu (alias gpu; a missing
            /// or failing GPU falls back to cpu with the reason).
            #[arg(long, default_value = "cpu")]
            backend: quantplay::BackendKind,
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
            /// SGD momentum.
            #[arg(long, default_value_t = 0.9)]
            momentum: f64,
            /// cross_entropy or mse.
            #[arg(long, default_value = "cross_entropy")]
            loss: String,
            /// GradScaler init_scale (16-mixed).
            #[arg(long, default_value_t = 65536.0)]
            init_scale: f64,
            /// GradScaler growth_factor.
            #[arg(long, default_value_t = 2.0)]
            growth_factor: f64,
            /// GradScaler backoff_factor.
            #[arg(long, default_value_t = 0.5)]
            backoff_factor: f64,
            /// GradScaler growth_interval.
            #[arg(long, default_value_t = 2000)]
            growth_interval: u64,
            /// Multiplies the loss before scaling (large values force overflow).
            #[arg(long, default_value_t = 1.0)]
            loss_multiplier: f64,
            /// Print per-epoch summaries instead of per-step records.
            #[arg(long)]
            epochs: bool,
            /// Print JSON lines instead of a table.
            #[arg(long, conflicts_with = "csv")]
            json: bool,
            /// Print CSV instead of a table.
            #[arg(long)]
            csv: bool,
        },
        /// Post-training static (or, with --dynamic, dynamic) quantization of a model (JSON spec +
        /// safetensors), with a report.
        Quantize(crate::cli_quantize::QuantizeArgs),
        /// Quantization-aware training: fuse_modules_qat, prepare_qat, SGD steps, convert.
        Qat(crate::cli_qat::QatArgs),
        /// Print a lesson's numbers (lessons/*.html) for the given inputs, as its page shows them.
        Lesson {
            #[command(subcommand)]
            lesson: crate::cli_lesson::LessonCmd,
        },
        #[cfg(feature = "bench")]
        /// Serve benchmark workloads over stdin/stdout for `scripts/bench` (one thread).
        /// Lines in: `setup NAME KIND M K N`, `run NAME`, `quit`. Lines out: `ready NAME`,
        /// `ran NAME MS CHECKSUM`, or `error MESSAGE`.
        BenchWorker,
    }

    pub fn main() -> std::process::ExitCode {
        crate::cli_env::quiet_vulkan_loader();
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
            #[cfg(feature = "bench")]
            Command::BenchWorker => crate::cli_bench::main(),
            Command::Quantize(args) => return crate::cli_quantize::main(&args),
            Command::Qat(args) => return crate::cli_qat::main(&args),
            Command::Lesson { lesson } => return crate::cli_lesson::main(&lesson),
            Command::Train {
                dataset,
                precision,
                backend,
                steps,
                seed,
                lr,
                batch,
                optimizer,
                hidden,
                samples,
                noise,
                momentum,
                loss,
                init_scale,
                growth_factor,
                backoff_factor,
                growth_interval,
                loss_multiplier,
                epochs,
                json,
                csv,
            } => {
                let run = || -> quantplay::Result<()> {
                    use quantplay::app::{metrics, trainer};
                    let hidden = hidden
                        .split(',')
                        .filter(|h| !h.is_empty())
                        .map(|h| h.trim().parse::<usize>())
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|_| quantplay::Error::InvalidArgument {
                            name: "hidden",
                            value: hidden.clone(),
                            valid: "comma-separated widths, e.g. 16,16".into(),
                        })?;
                    // serde_json writes NaN and ±inf as null, which the config reads as "the
                    // default": refuse them here, so `--lr nan` is an error and not Adam's default 0.03.
                    let floats =
                        [("--lr", lr), ("--noise", noise), ("--momentum", momentum), ("--init-scale", init_scale)];
                    let more = [
                        ("--growth-factor", growth_factor),
                        ("--backoff-factor", backoff_factor),
                        ("--loss-multiplier", loss_multiplier),
                    ];
                    if let Some((name, v)) = floats.into_iter().chain(more).find(|(_, v)| !v.is_finite()) {
                        return Err(quantplay::Error::InvalidArgument {
                            name,
                            value: v.to_string(),
                            valid: "a finite number".into(),
                        });
                    }
                    let config = serde_json::json!({
                        "dataset": dataset, "samples": samples, "noise": noise, "hidden": hidden, "precision": precision,
                        "optimizer": optimizer, "lr": lr, "momentum": momentum, "batch": batch, "seed": seed, "loss": loss,
                        "backend": backend.name(), "loss_multiplier": loss_multiplier,
                        "scaler": { "init_scale": init_scale, "growth_factor": growth_factor, "backoff_factor": backoff_factor, "growth_interval": growth_interval },
                    });
                    let cfg = trainer::config(&config.to_string(), steps)?;
                    if let Some(note) = &cfg.session.precision_note {
                        eprintln!("note: {note}");
                    }
                    struct TrainJob<'a>(&'a trainer::TrainConfig);
                    impl quantplay::app::backends::Job for TrainJob<'_> {
                        type Output = (Option<String>, Vec<metrics::StepRecord>);
                        async fn run<B: quantplay::Backend>(&self, b: &B) -> quantplay::Result<Self::Output> {
                            trainer::train(b, self.0).await
                        }
                    }
                    let ran = pollster::block_on(quantplay::app::backends::run(backend, &TrainJob(&cfg)))?;
                    if let Some(why) = &ran.fallback {
                        eprintln!("note: {why}; training on {} instead", ran.ran_on);
                    }
                    let (note, records) = ran.output;
                    if let Some(note) = note {
                        eprintln!("note: {note}");
                    }
                    if epochs {
                        let summaries = metrics::epoch_summaries(&records, trainer::steps_per_epoch(&cfg.session)?);
                        if csv {
                            println!("{}", metrics::EPOCH_CSV_HEADER);
                        }
                        for e in &summaries {
                            if csv {
                                println!("{}", metrics::epoch_csv_line(e));
                            } else {
                                println!("{}", serde_json::to_string(e).expect("summary serialises"));
                            }
                        }
                        return Ok(());
                    }
                    if csv {
                        println!("{}", metrics::CSV_HEADER);
                    } else if !json {
                        println!(
                            "{:>6} {:>10} {:>9} {:>10} {:>10} {:>7}",
                            "step", "loss", "accuracy", "grad_norm", "scale", "skipped"
                        );
                    }
                    for r in &records {
                        if json {
                            println!("{}", serde_json::to_string(r).expect("record serialises"));
                        } else if csv {
                            println!("{}", metrics::csv_line(r));
                        } else {
                            let scale = r.amp_loss_scale.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
                            println!(
                                "{:>6} {:>10.5} {:>9.3} {:>10.4} {:>10} {:>7}",
                                r.step, r.loss, r.accuracy, r.grad_norm, scale, r.skipped
                            );
                        }
                    }
                    Ok(())
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
                    println!(
                        "{:>5}  {:<5} {:>14} {:>8} {:>14} {:>7}",
                        "step", "event", "scale_used", "skipped", "scale_after", "tracker"
                    );
                    for r in &steps {
                        let ev = serde_json::to_value(r.event).unwrap();
                        println!(
                            "{:>5}  {:<5} {:>14e} {:>8} {:>14e} {:>7}",
                            r.step,
                            ev.as_str().unwrap_or("?"),
                            r.scale_used,
                            r.skipped,
                            r.scale_after,
                            r.growth_tracker
                        );
                        if let Some(w) = &r.warning {
                            println!("       warning: {w}");
                        }
                    }
                }
            }
        }
        std::process::ExitCode::SUCCESS
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The CLI is native only; wasm builds of the workspace still compile this target.
#[cfg(target_arch = "wasm32")]
fn main() {}
