//! Resource limits that readers of outside bytes check before they allocate, each a named
//! constant so an error can name it.
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
}
