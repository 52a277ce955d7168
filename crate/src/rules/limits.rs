//! Resource limits that readers of outside bytes check before they allocate, each a named
//! constant so an error can name it.
//!
//! Not here: the GPU's limits (the backend reads them from the adapter), the model checks that
//! tie a file's claimed sizes to the tensors it carries (`model::int8`, `model::spec`).

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
