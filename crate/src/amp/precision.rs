//! Lightning-style precision strings and the precision a backend actually runs.
//!
//! Accepted: `"32-true"`, `"16-mixed"`, `"bf16-mixed"`, `"16-true"`, `"bf16-true"`; the legacy
//! names `"16"` → 16-mixed and `"bf16"` → bf16-mixed (each with Lightning's deprecation note)
//! and `"32"` → 32-true; and the numbers 16 and 32 (from JS). Anything else is an error that lists
//! the valid values (lightning/fabric/connector.py `_PRECISION_INPUT`, `_convert_precision_to_unified_args`).
//!
//! [`effective_precision`] says what runs on a given backend and why, whenever that differs
//! from the request or the numerics are emulated.

use crate::rules::error::{Error, Result};

/// A training precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Precision {
    /// f32 everywhere.
    #[serde(rename = "32-true")]
    True32,
    /// f16 autocast with f32 master weights and a GradScaler.
    #[serde(rename = "16-mixed")]
    Mixed16,
    /// bf16 autocast with f32 master weights (no scaler needed).
    #[serde(rename = "bf16-mixed")]
    MixedBf16,
    /// Weights, activations and gradients in f16.
    #[serde(rename = "16-true")]
    True16,
    /// Weights, activations and gradients in bf16.
    #[serde(rename = "bf16-true")]
    TrueBf16,
}

/// The canonical strings, in the order error messages list them.
pub const VALID: &[&str] =
    &["32-true", "16-mixed", "bf16-mixed", "16-true", "bf16-true", "16", "bf16", "32", "16 (number)", "32 (number)"];

impl Precision {
    /// The canonical name, e.g. `"16-mixed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::True32 => "32-true",
            Precision::Mixed16 => "16-mixed",
            Precision::MixedBf16 => "bf16-mixed",
            Precision::True16 => "16-true",
            Precision::TrueBf16 => "bf16-true",
        }
    }

    /// Whether this precision uses a GradScaler (only f16 mixed precision does).
    pub fn uses_grad_scaler(self) -> bool {
        self == Precision::Mixed16
    }

    /// Whether autocast is on (the mixed precisions).
    pub fn is_mixed(self) -> bool {
        matches!(self, Precision::Mixed16 | Precision::MixedBf16)
    }
}

/// A parsed precision and, for legacy names, Lightning's deprecation note.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ParsedPrecision {
    /// The precision.
    pub precision: Precision,
    /// Set for the legacy names `"16"` and `"bf16"` (and the number 16).
    pub deprecation: Option<String>,
}

fn legacy(precision: Precision, given: &str) -> ParsedPrecision {
    let note = format!(
        "`precision={given}` is supported for historical reasons but its usage is discouraged. Please set your precision to {} instead!",
        precision.as_str()
    );
    ParsedPrecision { precision, deprecation: Some(note) }
}

/// Parses a precision string.
pub fn parse_precision(s: &str) -> Result<ParsedPrecision> {
    let plain = |precision| Ok(ParsedPrecision { precision, deprecation: None });
    match s.trim() {
        "32-true" | "32" => plain(Precision::True32),
        "16-mixed" => plain(Precision::Mixed16),
        "bf16-mixed" => plain(Precision::MixedBf16),
        "16-true" => plain(Precision::True16),
        "bf16-true" => plain(Precision::TrueBf16),
        "16" => Ok(legacy(Precision::Mixed16, "'16'")),
        "bf16" => Ok(legacy(Precision::MixedBf16, "'bf16'")),
        other => Err(Error::InvalidArgument { name: "precision", value: other.into(), valid: VALID.join(", ") }),
    }
}

/// Parses a number given from JS: 16 (legacy 16-mixed) or 32.
pub fn parse_precision_number(n: f64) -> Result<ParsedPrecision> {
    if n == 32.0 {
        Ok(ParsedPrecision { precision: Precision::True32, deprecation: None })
    } else if n == 16.0 {
        Ok(legacy(Precision::Mixed16, "16"))
    } else {
        Err(Error::InvalidArgument { name: "precision", value: n.to_string(), valid: VALID.join(", ") })
    }
}

pub use crate::backend::{BackendKind, Capabilities};

/// The precision that runs, and why whenever it differs from the request or is emulated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EffectivePrecision {
    /// What was asked for.
    pub requested: Precision,
    /// What runs.
    pub effective: Precision,
    /// Whether the reduced-precision numbers are computed by emulation rather than native
    /// hardware types (same results, different speed).
    pub emulated: bool,
    /// Why `effective` differs from `requested`, or how it is emulated; `None` when it runs as
    /// asked, natively.
    pub reason: Option<String>,
}

/// What runs for `requested` with AMP on or off on a backend with `caps`.
///
/// - AMP off turns a mixed precision into 32-true (the `*-true` precisions are not AMP).
/// - WebGPU has no bf16: bf16-mixed and bf16-true fall back to 32-true there.
/// - WebGPU runs 16-true as 16-mixed: master weights stay f32, so nothing is lost.
/// - f16 on WebGPU without shader-f16 is stored two per u32 with the same numerics; f16 and
///   bf16 on the CPU go through the `half` crate's software types.
pub fn effective_precision(requested: Precision, amp_enabled: bool, caps: Capabilities) -> EffectivePrecision {
    use Precision::*;
    let mk = |effective, emulated, reason: Option<&str>| EffectivePrecision {
        requested,
        effective,
        emulated,
        reason: reason.map(str::to_string),
    };
    if requested.is_mixed() && !amp_enabled {
        return mk(True32, false, Some("AMP is turned off, so mixed precision runs as 32-true"));
    }
    match (caps.backend, requested) {
        (_, True32) => mk(True32, false, None),
        (BackendKind::Cpu | BackendKind::CpuReference, Mixed16 | True16) => mk(requested, true, Some("the CPU has no f16 arithmetic: f16 values are converted and rounded in software (same numbers as torch, slower)")),
        (BackendKind::Cpu | BackendKind::CpuReference, MixedBf16 | TrueBf16) => mk(requested, true, Some("the CPU has no bf16 arithmetic: bf16 values are converted and rounded in software (same numbers as torch, slower)")),
        (BackendKind::WebGpu, MixedBf16 | TrueBf16) => mk(True32, false, Some("WebGPU has no bf16 type; bf16 runs on the CPU backend only, so this runs as 32-true")),
        (BackendKind::WebGpu, True16) if caps.shader_f16 => mk(Mixed16, false, Some("on WebGPU 16-true runs as 16-mixed: f16 compute with f32 master weights")),
        (BackendKind::WebGpu, True16) => mk(Mixed16, true, Some("on WebGPU 16-true runs as 16-mixed, and without shader-f16 f16 is stored two per u32 (same numbers)")),
        (BackendKind::WebGpu, Mixed16) if caps.shader_f16 => mk(Mixed16, false, None),
        (BackendKind::WebGpu, Mixed16) => mk(Mixed16, true, Some("this adapter has no shader-f16: f16 is stored two per u32 and converted in integer code (same numbers)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_spelling_parses_and_legacy_names_carry_a_note() {
        for (s, p, note) in [
            ("32-true", Precision::True32, false),
            ("16-mixed", Precision::Mixed16, false),
            ("bf16-mixed", Precision::MixedBf16, false),
            ("16-true", Precision::True16, false),
            ("bf16-true", Precision::TrueBf16, false),
            ("32", Precision::True32, false),
            ("16", Precision::Mixed16, true),
            ("bf16", Precision::MixedBf16, true),
        ] {
            let got = parse_precision(s).unwrap();
            assert_eq!((got.precision, got.deprecation.is_some()), (p, note), "{s}");
        }
        assert!(parse_precision("16").unwrap().deprecation.unwrap().contains("16-mixed"));
        assert_eq!(parse_precision_number(32.0).unwrap().precision, Precision::True32);
        assert_eq!(parse_precision_number(16.0).unwrap().precision, Precision::Mixed16);
    }

    #[test]
    fn anything_else_is_an_error_listing_the_valid_values() {
        for bad in ["64", "fp16", "16-MIXED", "", "half", "8-true"] {
            let msg = parse_precision(bad).unwrap_err().to_string();
            assert!(
                msg.contains(&format!("{bad:?}")) && msg.contains("16-mixed") && msg.contains("bf16-true"),
                "{msg}"
            );
        }
        assert!(parse_precision_number(64.0).unwrap_err().to_string().contains("32-true"));
    }

    #[test]
    fn effective_precision_truth_table() {
        use BackendKind::*;
        use Precision::*;
        let all = [True32, Mixed16, MixedBf16, True16, TrueBf16];
        for req in all {
            for amp in [false, true] {
                for (backend, f16) in
                    [(Cpu, false), (Cpu, true), (CpuReference, false), (WebGpu, false), (WebGpu, true)]
                {
                    let e = effective_precision(req, amp, Capabilities { backend, shader_f16: f16, int8_dot: false });
                    let want = match (req, amp, backend, f16) {
                        (True32, ..) => (True32, false, false),
                        (Mixed16 | MixedBf16, false, ..) => (True32, false, true),
                        (Mixed16 | True16, _, Cpu | CpuReference, _) => (req, true, true),
                        (MixedBf16 | TrueBf16, _, Cpu | CpuReference, _) => (req, true, true),
                        (MixedBf16 | TrueBf16, _, WebGpu, _) => (True32, false, true),
                        (True16, _, WebGpu, true) => (Mixed16, false, true),
                        (True16, _, WebGpu, false) => (Mixed16, true, true),
                        (Mixed16, true, WebGpu, true) => (Mixed16, false, false),
                        (Mixed16, true, WebGpu, false) => (Mixed16, true, true),
                    };
                    let case = format!("{req:?} amp={amp} {backend:?} shader_f16={f16}: {e:?}");
                    assert_eq!((e.effective, e.emulated, e.reason.is_some()), want, "{case}");
                    // A reason is given exactly when the precision changes or is emulated.
                    assert_eq!(e.reason.is_some(), e.effective != req || e.emulated, "{case}");
                }
            }
        }
    }
}
