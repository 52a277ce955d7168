//! Argument checks of the wasm surface. Every export takes its numbers, strings and arrays as
//! `JsValue` and converts them here, so a wrong type, NaN, a negative or fractional count, a
//! huge size or an array of the wrong length is an [`Error::InvalidArgument`] naming the
//! parameter and the value, never a silent coercion (wasm-bindgen's own glue turns `"abc"` into
//! 0 for a `u32` and `2³²` into 0) or a trap (a huge array copied into wasm memory fails its
//! allocation, which aborts). Lengths are checked before anything is copied
//! ([`crate::rules::limits::MAX_ELEMENTS`], [`crate::rules::limits::MAX_STRING_CHARS`]).
//!
//! Not here: what a value means (the library checks that), class arguments such as
//! `&Playground` (wasm-bindgen checks those and throws its own `Error`).

use crate::rules::error::Error;
use crate::rules::limits::{MAX_ELEMENTS, MAX_STRING_CHARS};
use js_sys::{Array, JsString};
use wasm_bindgen::{JsCast, JsValue};

/// Characters of a string value quoted in an error message.
const QUOTE_CHARS: u32 = 40;

/// A JS number as JS prints it (`NaN`, `-Infinity`, `-0`, `1.5`, `4294967296`, `1e+300`).
fn number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if x == 0.0 && x.is_sign_negative() {
        "-0".into()
    } else if x.abs() >= 1e21 {
        format!("{x:e}").replace('e', "e+").replace("e+-", "e-")
    } else {
        format!("{x}")
    }
}

/// What a JS value is, for an error message: `NaN`, `-1`, `"abc" (string)`, `undefined`,
/// `12n (bigint)`, `a Float64Array of length 3`, … Reads no property that could run user code
/// except a typed array's or an array's length.
pub fn describe(v: &JsValue) -> String {
    macro_rules! typed {
        ($($t:ident),*) => {$(
            if let Some(a) = v.dyn_ref::<js_sys::$t>() {
                return format!("a {} of length {}", stringify!($t), a.length());
            }
        )*};
    }
    if v.is_undefined() {
        return "undefined".into();
    }
    if v.is_null() {
        return "null".into();
    }
    if let Some(b) = v.as_bool() {
        return format!("{b} (boolean)");
    }
    if let Some(x) = v.as_f64() {
        return number(x);
    }
    if let Some(s) = v.dyn_ref::<JsString>() {
        let clipped = s.length() > QUOTE_CHARS;
        let text = String::from(s.slice(0, QUOTE_CHARS));
        let more = if clipped { format!("… ({} characters)", s.length()) } else { String::new() };
        return format!("{text:?}{more} (string)");
    }
    if v.is_bigint() {
        let s = js_sys::BigInt::unchecked_from_js_ref(v).to_string(10).map(String::from).unwrap_or_default();
        let s: String = s.chars().take(QUOTE_CHARS as usize).collect();
        return format!("{s}n (bigint)");
    }
    if v.is_symbol() {
        return "a Symbol".into();
    }
    if v.is_function() {
        return "a function".into();
    }
    if Array::is_array(v) {
        return format!("an Array of length {}", v.unchecked_ref::<Array>().length());
    }
    typed!(
        Float32Array,
        Float64Array,
        Int8Array,
        Uint8Array,
        Uint8ClampedArray,
        Int16Array,
        Uint16Array,
        Int32Array,
        Uint32Array,
        BigInt64Array,
        BigUint64Array
    );
    if let Some(b) = v.dyn_ref::<js_sys::ArrayBuffer>() {
        return format!("an ArrayBuffer of {} bytes", b.byte_length());
    }
    "an object".into()
}

/// [`Error::InvalidArgument`] for parameter `name` holding `v`.
pub fn bad(name: &'static str, v: &JsValue, valid: impl Into<String>) -> Error {
    Error::InvalidArgument { name, value: describe(v), valid: valid.into() }
}

/// A JS number that is an integer in `lo..=hi` (no string, BigInt or boolean coercion).
pub fn int(name: &'static str, v: &JsValue, lo: u64, hi: u64) -> Result<u64, Error> {
    let x = v.as_f64().ok_or_else(|| bad(name, v, format!("an integer in {lo}..={hi}")))?;
    if x.fract() != 0.0 || !(lo as f64..=hi as f64).contains(&x) {
        return Err(bad(name, v, format!("an integer in {lo}..={hi}")));
    }
    Ok(x as u64)
}

/// A size or count in `1..=MAX_ELEMENTS`.
pub fn size(name: &'static str, v: &JsValue) -> Result<usize, Error> {
    Ok(int(name, v, 1, MAX_ELEMENTS as u64)? as usize)
}

/// A 32-bit seed: an integer in `0..=2³² − 1`.
pub fn seed(name: &'static str, v: &JsValue) -> Result<u32, Error> {
    Ok(int(name, v, 0, u32::MAX as u64)? as u32)
}

/// An integer in `lo..=hi` (signed). Only the bench workloads take one.
#[cfg(feature = "bench")]
pub fn int_in(name: &'static str, v: &JsValue, lo: i32, hi: i32) -> Result<i32, Error> {
    let valid = || format!("an integer in {lo}..={hi}");
    let x = v.as_f64().ok_or_else(|| bad(name, v, valid()))?;
    if x.fract() != 0.0 || !(lo as f64..=hi as f64).contains(&x) {
        return Err(bad(name, v, valid()));
    }
    Ok(x as i32)
}

/// A finite JS number that is finite as an f32 too.
pub fn finite_f32(name: &'static str, v: &JsValue) -> Result<f32, Error> {
    let x = v.as_f64().filter(|x| (x.abs() as f32).is_finite()).map(|x| x as f32);
    x.ok_or_else(|| bad(name, v, "a finite number (as an f32: |x| <= 3.4028235e38)"))
}

/// `true` or `false` (no truthiness: `1`, `"yes"` and `undefined` are errors).
pub fn boolean(name: &'static str, v: &JsValue) -> Result<bool, Error> {
    v.as_bool().ok_or_else(|| bad(name, v, "true or false"))
}

/// A string of at most `MAX_STRING_CHARS` UTF-16 units, checked before it is copied.
pub fn string(name: &'static str, v: &JsValue) -> Result<String, Error> {
    let valid = || format!("a string of at most {MAX_STRING_CHARS} characters (rules::limits::MAX_STRING_CHARS)");
    let s = v.dyn_ref::<JsString>().ok_or_else(|| bad(name, v, valid()))?;
    if s.length() as usize > MAX_STRING_CHARS {
        return Err(bad(name, v, valid()));
    }
    Ok(String::from(s))
}

/// Array conversions: `$fn(name, v, want)` accepts a `$typed` array or a plain `Array` whose
/// elements all pass `$elem`, of length `want` (when given) and at most `MAX_ELEMENTS`; the
/// length is checked before anything is copied.
macro_rules! array_fn {
    ($(#[$doc:meta])* $fn:ident, $typed:ident, $t:ty, $what:expr, |$x:ident| $elem:expr) => {
        $(#[$doc])*
        pub fn $fn(name: &'static str, v: &JsValue, want: Option<usize>) -> Result<Vec<$t>, Error> {
            let valid = || match want {
                Some(n) => format!("a {} or an Array of {}, of length {n}", stringify!($typed), $what),
                None => format!(
                    "a {} or an Array of {}, of length at most {MAX_ELEMENTS} (rules::limits::MAX_ELEMENTS)",
                    stringify!($typed),
                    $what
                ),
            };
            let len = if let Some(a) = v.dyn_ref::<js_sys::$typed>() {
                a.length() as usize
            } else if Array::is_array(v) {
                v.unchecked_ref::<Array>().length() as usize
            } else {
                return Err(bad(name, v, valid()));
            };
            if len > MAX_ELEMENTS || want.is_some_and(|n| n != len) {
                return Err(bad(name, v, valid()));
            }
            if let Some(a) = v.dyn_ref::<js_sys::$typed>() {
                return Ok(a.to_vec());
            }
            let arr = v.unchecked_ref::<Array>();
            let mut out = Vec::with_capacity(len);
            for i in 0..len as u32 {
                let e = arr.get(i);
                let $x = e.as_f64();
                match $elem {
                    Some(y) => out.push(y),
                    None => {
                        return Err(Error::InvalidArgument {
                            name,
                            value: format!("element {i} is {}", describe(&e)),
                            valid: valid(),
                        })
                    }
                }
            }
            Ok(out)
        }
    };
}

array_fn!(
    /// f32 values: a `Float32Array`, or an `Array` of numbers (any number, NaN included).
    f32_array, Float32Array, f32, "numbers", |x| x.map(|x| x as f32)
);
array_fn!(
    /// i32 values: an `Int32Array`, or an `Array` of integers in the i32 range.
    i32_array, Int32Array, i32, "32-bit integers",
    |x| x.filter(|x| x.fract() == 0.0 && (i32::MIN as f64..=i32::MAX as f64).contains(x)).map(|x| x as i32)
);
array_fn!(
    /// u8 values: a `Uint8Array`, or an `Array` of integers in 0..=255 (bench workloads only).
    #[cfg(feature = "bench")]
    u8_array, Uint8Array, u8, "integers in 0..=255",
    |x| x.filter(|x| x.fract() == 0.0 && (0.0..=255.0).contains(x)).map(|x| x as u8)
);
array_fn!(
    /// i8 values: an `Int8Array`, or an `Array` of integers in -128..=127 (bench workloads only).
    #[cfg(feature = "bench")]
    i8_array, Int8Array, i8, "integers in -128..=127",
    |x| x.filter(|x| x.fract() == 0.0 && (-128.0..=127.0).contains(x)).map(|x| x as i8)
);

/// `m · k`, `k · n` and `m · n` for a `(m, k) · (k, n)` product, each at most `MAX_ELEMENTS`
/// (overflow-checked), so the arrays can be checked against them before they are copied.
pub fn matrix_lengths(m: usize, k: usize, n: usize) -> Result<(usize, usize, usize), Error> {
    let prod = |a: usize, b: usize, what: &'static str| {
        a.checked_mul(b).filter(|&p| p <= MAX_ELEMENTS).ok_or_else(|| Error::InvalidArgument {
            name: what,
            value: format!("{a} × {b}"),
            valid: format!("at most {MAX_ELEMENTS} elements (rules::limits::MAX_ELEMENTS)"),
        })
    };
    Ok((prod(m, k, "m × k")?, prod(k, n, "k × n")?, prod(m, n, "m × n")?))
}
