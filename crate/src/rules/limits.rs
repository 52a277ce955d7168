//! Resource limits that readers of outside bytes, the wasm surface and session configs check
//! before they allocate, each a named constant with its reason so an error can name it.
//!
//! Also the host memory budget that the plan check (`rules::plan`) holds a session's or a PTQ
//! run's host bytes to.
//!
//! Not here: the GPU's limits (the backend reads them from the device, `TensorOps::limits`), the
//! plan arithmetic (`rules::plan`), the model checks that tie a file's claimed sizes to the
//! tensors it carries (`model::int8`, `model::spec`).

use crate::rules::error::{Error, Result};

/// The largest input file the CLI reads: a model spec, float weights, an int8 model, or
/// calibration / evaluation data (256 MiB, a 64-million-parameter f32 model).
///
/// Files are read whole, and a read buffer at most doubles past what it holds, so with this
/// limit no reader allocates more than 512 MiB for a file, under the 1 GiB that the fuzz
/// targets allow any input. A larger file, or an endless one such as `/dev/zero`, is refused
/// by [`check_input_size`] before it is parsed; safetensors itself refuses a header that claims
/// more bytes than the file holds, so a claimed shape can never outgrow this limit either.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// Host bytes one session (a training run, or a PTQ run) may plan on wasm32: 1.5 GiB.
///
/// wasm32's linear memory addresses at most 4 GiB (65536 pages of 64 KiB, 32-bit pointers;
/// Chromium allows the whole 4 GiB). Take 1 GiB of headroom for the module's code, data and
/// stack, the allocator's slack (a `Vec` grows by doubling) and the JSON strings the page reads,
/// and split the rest between the page's two runs (32-true and the chosen precision live in the
/// one worker's memory): 1.5 GiB each. A chosen figure from that arithmetic, not measured.
pub const HOST_BUDGET_WASM32: u64 = 1536 << 20;

/// Host bytes one session may plan natively (the CLI, native tests): 8 GiB, half of a 16 GiB
/// machine, leaving the rest to everything else. A default, not a measurement; a caller with
/// other needs passes its own budget in [`crate::rules::plan::DeviceLimits`].
pub const HOST_BUDGET_NATIVE: u64 = 8 << 30;

/// This target's host budget: [`HOST_BUDGET_WASM32`] on wasm32, else [`HOST_BUDGET_NATIVE`].
pub const HOST_BUDGET: u64 = if cfg!(target_arch = "wasm32") { HOST_BUDGET_WASM32 } else { HOST_BUDGET_NATIVE };

/// [`HOST_BUDGET`]'s name, as errors print it.
pub const HOST_BUDGET_NAME: &str =
    if cfg!(target_arch = "wasm32") { "HOST_BUDGET_WASM32" } else { "HOST_BUDGET_NATIVE" };

/// Why [`HOST_BUDGET`] has its value, in a few words for an error message.
pub const HOST_BUDGET_WHY: &str = if cfg!(target_arch = "wasm32") {
    "wasm32 addresses 4 GiB; 1 GiB headroom, the rest split between the page's two runs"
} else {
    "the native default, half of a 16 GiB machine"
};

/// [`Error::InvalidArgument`] naming `what` (e.g. `--weights model.safetensors`) and its size
/// when `bytes` is over `limit` (normally [`MAX_INPUT_BYTES`]).
pub fn check_input_size(what: &str, bytes: u64, limit: u64) -> Result<()> {
    if bytes > limit {
        return Err(Error::InvalidArgument {
            name: "input file",
            value: format!("{what} ({bytes} bytes or more)"),
            valid: format!("a file of at most {limit} bytes (quantplay::rules::limits::MAX_INPUT_BYTES)"),
        });
    }
    Ok(())
}

/// Elements in one array passed to the wasm surface (a typed array or a plain `Array`), 2²⁴:
/// 64 MiB of f32, 16 times the page's largest (the 2048 × 2048 matmul check, 2²² values). The
/// surface checks the length before it copies the array into wasm memory, so a huge array is a
/// named error instead of a failed allocation (which in wasm32 is a trap: `handle_alloc_error`
/// aborts, and an abort is `unreachable`).
pub const MAX_ELEMENTS: usize = 1 << 24;

/// UTF-16 code units in one string passed to the wasm surface (a config, options, model or
/// snapshot JSON), 2²⁷: with serde_json's parse of it (a `Value` of 32 bytes per number, so an
/// estimated 450 MiB for a snapshot this long; not measured) it stays within wasm32's 4 GiB. A snapshot spends about 30
/// characters a parameter (value and two Adam moments as f32 bit patterns), so runs up to about
/// 4 million parameters can be restored; a larger run's snapshot is refused by name (the page's
/// widths reach 8192, so two hidden layers of 2048 are just over it).
pub const MAX_STRING_CHARS: usize = 1 << 27;

/// Hidden layers of a session's MLP (the page allows 4; each layer is a few dispatches a step).
pub const MAX_LAYERS: usize = 64;

/// Steps in one `Trainer.run(k)` call: the records of a call are returned as one JSON string
/// (about 250 bytes a step, 25 MB here), and a call cannot be interrupted.
pub const MAX_STEPS_PER_CALL: usize = 100_000;

/// Steps in one training run, 2²³. The device counts Adam steps in an f32, exact only up to
/// 2²⁴, and keeps a bias-correction table of two f32 per step (64 MiB at this cap, allocated
/// as the run grows); a snapshot's restore replays the batch RNG once per step.
pub const MAX_RUN_STEPS: usize = 1 << 23;

/// [`Error::InvalidArgument`] naming `name` and `value` when `value` is over `limit`, the
/// constant called `constant` here (so the message says which limit it hit).
pub fn check_at_most(name: &'static str, value: u64, limit: usize, constant: &str) -> Result<()> {
    if value > limit as u64 {
        return Err(Error::InvalidArgument {
            name,
            value: value.to_string(),
            valid: format!("at most {limit} (quantplay::rules::limits::{constant})"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_with_its_name_size_and_the_limit() {
        assert!(check_input_size("--calib x.safetensors", MAX_INPUT_BYTES, MAX_INPUT_BYTES).is_ok());
        let e = check_input_size("--calib x.safetensors", MAX_INPUT_BYTES + 1, MAX_INPUT_BYTES).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("--calib x.safetensors") && msg.contains("268435457"), "{msg}");
        assert!(msg.contains("268435456") && msg.contains("MAX_INPUT_BYTES"), "{msg}");
    }

    #[test]
    fn a_count_over_its_limit_names_the_value_the_limit_and_the_constant() {
        assert!(check_at_most("steps", MAX_RUN_STEPS as u64, MAX_RUN_STEPS, "MAX_RUN_STEPS").is_ok());
        let msg = check_at_most("steps", 1_000_000_000_000, MAX_RUN_STEPS, "MAX_RUN_STEPS").unwrap_err().to_string();
        assert_eq!(
            msg,
            "invalid steps \"1000000000000\"; valid values: at most 8388608 (quantplay::rules::limits::MAX_RUN_STEPS)"
        );
    }
}
