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
