//! The lessons' numbers: what each page under `lessons/` shows and what `quantplay lesson NAME`
//! prints, from one function per lesson, so the page and the command cannot disagree.
//!
//! Each lesson is a [`Lesson`]: a serde `Input` (the page's URL state, the command's flags), a
//! serde `Output` (every number the page shows) and a text rendering for the command line. The
//! wasm surface (`web::lessons`) and the CLI (`cli_lesson.rs`) reach a lesson only by its name
//! through [`run_json`] / [`render_json`], or through the typed [`Lesson`] impl.
//!
//! Not here: the widgets, charts and exercises (JS, `lessons/*.js`); the formulas themselves
//! live in `rules/` and `quant/`, which the lessons call rather than re-implement.

use crate::rules::error::Error;
use serde::{de::DeserializeOwned, Serialize};

pub mod affine;
pub mod affine_steps;
#[cfg(test)]
mod affine_torch;
pub mod autocast;
pub mod formats;
pub mod formats_grads;
pub mod integer;
pub mod loss_scaling;
pub mod observers;
pub mod observers_data;
#[cfg(test)]
mod observers_torch;
pub mod per_channel;
pub mod pipeline;

/// One lesson's computation: the same call behind the page's widget and the CLI command.
pub trait Lesson {
    /// The lesson's name in `quantplay lesson NAME` and in `lesson(name, input)` on the page.
    const NAME: &'static str;
    /// What the user controls (JSON field names = the command's `--flags` with `_` for `-`).
    type Input: DeserializeOwned;
    /// Every number the page shows.
    type Output: Serialize;
    /// Computes the numbers, or a named error for a bad input.
    fn run(input: &Self::Input) -> Result<Self::Output, Error>;
    /// The command line's text: the same numbers, formatted as the page formats them.
    fn render(output: &Self::Output) -> String;
}

/// `x` as the page prints it: JavaScript's `String(x)` of the number the page received, which is
/// the shortest decimal that reads back as this f32 (serde_json writes f32s with those digits),
/// laid out by ECMA-262's Number::toString (plain from 1e-6 up to 1e21, else `d.ddde±n`).
/// Every number a lesson's text prints goes through this, so the command and the page agree
/// character for character. Non-finite values print as JS does (`Infinity`, `NaN`); a lesson
/// sends them to the page as strings, since JSON has no such numbers.
pub fn num(x: f32) -> String {
    js_number(x as f64, &format!("{x:e}"))
}

/// [`num`] for an f64 (the shortest f64 digits).
pub fn num64(x: f64) -> String {
    js_number(x, &format!("{x:e}"))
}

fn js_number(x: f64, sci: &str) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if x == 0.0 {
        return "0".into(); // String(-0) is "0" too
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp.parse::<i32>().expect("integer exponent") + 1; // the point sits after n digits
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let rest = if k > 1 { format!(".{}", &digits[1..]) } else { String::new() };
        let e = n - 1;
        format!("{}{rest}e{}{}", &digits[..1], if e >= 0 { "+" } else { "-" }, e.abs())
    };
    format!("{sign}{body}")
}

/// The lesson names, in reading order.
pub const NAMES: &[&str] = &[
    affine::Affine::NAME,
    observers::Observers::NAME,
    per_channel::PerChannel::NAME,
    integer::Integer::NAME,
    formats::Formats::NAME,
    autocast::Autocast::NAME,
    loss_scaling::LossScaling::NAME,
    pipeline::Pipeline::NAME,
];

fn parse<L: Lesson>(input: &str) -> Result<L::Input, Error> {
    serde_json::from_str(input).map_err(|e| Error::InvalidArgument {
        name: "input",
        value: format!("{input} ({e})"),
        valid: format!("the fields of lesson {:?} (see `quantplay lesson {} --help`)", L::NAME, L::NAME),
    })
}

fn run_one<L: Lesson>(input: &str) -> Result<String, Error> {
    let out = L::run(&parse::<L>(input)?)?;
    Ok(serde_json::to_string(&out).expect("lesson output serialises"))
}

fn render_one<L: Lesson>(input: &str) -> Result<String, Error> {
    Ok(L::render(&L::run(&parse::<L>(input)?)?))
}

fn unknown(name: &str) -> Error {
    Error::InvalidArgument { name: "lesson", value: name.into(), valid: NAMES.join(", ") }
}

/// Runs lesson `name` on a JSON input; the output as JSON (the page's `lesson(name, input)`).
pub fn run_json(name: &str, input: &str) -> Result<String, Error> {
    match name {
        affine::Affine::NAME => run_one::<affine::Affine>(input),
        formats::Formats::NAME => run_one::<formats::Formats>(input),
        loss_scaling::LossScaling::NAME => run_one::<loss_scaling::LossScaling>(input),
        autocast::Autocast::NAME => run_one::<autocast::Autocast>(input),
        per_channel::PerChannel::NAME => run_one::<per_channel::PerChannel>(input),
        integer::Integer::NAME => run_one::<integer::Integer>(input),
        observers::Observers::NAME => run_one::<observers::Observers>(input),
        pipeline::Pipeline::NAME => run_one::<pipeline::Pipeline>(input),
        _ => Err(unknown(name)),
    }
}

/// Runs lesson `name` on a JSON input; the output as the command line prints it.
pub fn render_json(name: &str, input: &str) -> Result<String, Error> {
    match name {
        affine::Affine::NAME => render_one::<affine::Affine>(input),
        formats::Formats::NAME => render_one::<formats::Formats>(input),
        loss_scaling::LossScaling::NAME => render_one::<loss_scaling::LossScaling>(input),
        autocast::Autocast::NAME => render_one::<autocast::Autocast>(input),
        per_channel::PerChannel::NAME => render_one::<per_channel::PerChannel>(input),
        integer::Integer::NAME => render_one::<integer::Integer>(input),
        observers::Observers::NAME => render_one::<observers::Observers>(input),
        pipeline::Pipeline::NAME => render_one::<pipeline::Pipeline>(input),
        _ => Err(unknown(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::{num, num64};

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        let cases: &[(f32, &str)] = &[
            (0.007843138, "0.007843138"),
            (5.9604645e-8, "5.9604645e-8"),
            (1e-6, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (153.0, "153"),
            (-1.2, "-1.2"),
            (65504.0, "65504"),
            (3.4028235e38, "3.4028235e+38"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (f32::INFINITY, "Infinity"),
            (f32::NAN, "NaN"),
            (-0.0, "0"),
        ];
        for &(x, want) in cases {
            assert_eq!(num(x), want, "{x:e}");
        }
        assert_eq!(num64(0.1), "0.1");
        assert_eq!(num64(2f64.powi(-24)), "5.960464477539063e-8");
    }
}
