//! The application layer: what the page, the CLI and the wasm surface drive. The interactive
//! training session (`session`, its config, snapshots and data split: `session_config`,
//! `session_io`, `session_quant`), the CLI's training loop (`trainer`), the metrics log
//! (`metrics`), the lessons' numbers (`lessons`, behind lessons/*.html and `quantplay lesson`), the whole PTQ run with its option parsing (`ptq`), the dynamic and QAT runs (`dynamic_run`,
//! `qat_run`) and the page's modes over them (`page_qmodes`, `session_qmodes`) and the data file it reads
//! (`data_file`), and the plans of a session and a PTQ run checked against the backend's limits
//! before they allocate (`session_plan`, `ptq_plan`).
//!
//! Everything below (numerics, backends, model, quantization flow, training steps) is reached
//! through public APIs; nothing below imports this layer.

pub mod backends;
pub mod data_file;
pub mod dynamic_run;
pub mod lessons;
pub mod metrics;
pub mod page_qmodes;
pub mod ptq;
pub mod ptq_debug;
pub mod ptq_plan;
pub mod qat_run;
pub mod session;
pub mod session_config;
pub mod session_io;
pub mod session_plan;
pub mod session_qmodes;
pub mod session_quant;
pub mod trainer;
