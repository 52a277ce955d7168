//! `nn.MaxPool2d` as a module: its hyper-parameters, their checks (torch's messages, with the
//! module path), JSON (the spec's and the int8 file's fields) and the geometry for an input.
//! The same module runs float and quantized: convert leaves it in place, as torch does, and on
//! quint8 codes it takes the max of codes and keeps the qparams (`quantized::max_pool2d`).
//!
//! Not here: the arithmetic (`backend::LayoutOps::max_pool2d`), the output size
//! (`backend::pool`).

use crate::backend::MaxPool2dGeom;
use crate::rules::error::{fmt_shape, Error, Result};
use serde_json::{json, Value};

/// `nn.MaxPool2d(kernel_size, stride, padding, dilation=1, ceil_mode)` over NCHW input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPool2d {
    /// `(kh, kw)`.
    pub kernel_size: (usize, usize),
    /// `(sh, sw)`; torch's `stride=None` is the kernel size.
    pub stride: (usize, usize),
    /// `(ph, pw)`, each at most half the kernel.
    pub padding: (usize, usize),
    /// Round the output size up (aten/src/ATen/native/Pool.h `pooling_output_shape`).
    pub ceil_mode: bool,
}

fn bad(path: &str, detail: String) -> Error {
    Error::Model { path: path.to_string(), detail }
}

impl MaxPool2d {
    /// Checks the hyper-parameters as torch's `max_pool2d` does before it sees an input
    /// (aten/src/ATen/native/Pool.h `pool2d_shape_check`, `pooling_output_shape`): sides ≥ 1,
    /// padding ≤ kernel / 2. `dilation` is the spec's value: anything but 1 is `Unsupported`.
    pub fn checked(self, path: &str, dilation: Option<&Value>) -> Result<MaxPool2d> {
        if let Some(d) = dilation.filter(|d| !(d.as_u64() == Some(1) || *d == &json!([1, 1]))) {
            return Err(Error::Unsupported {
                op: "MaxPool2d",
                detail: format!("module {path:?}: dilation {d} is not supported; only 1 (torch's default)"),
            });
        }
        let (k, s, p) = (self.kernel_size, self.stride, self.padding);
        if k.0 == 0 || k.1 == 0 {
            return Err(bad(path, format!("kernel size should be greater than zero, but got kH: {} kW: {}", k.0, k.1)));
        }
        if s.0 == 0 || s.1 == 0 {
            return Err(bad(path, format!("stride should be greater than zero, but got dH: {} dW: {}", s.0, s.1)));
        }
        for (pad, kernel) in [(p.0, k.0), (p.1, k.1)] {
            if pad > kernel / 2 {
                return Err(bad(path, format!("pad should be at most half of effective kernel size, but got pad={pad}, kernel_size={kernel} and dilation=1 (valid: padding 0..={})", kernel / 2)));
            }
        }
        Ok(self)
    }

    /// The geometry for input `x` `(n, c, h, w)`, with torch's error when the window is larger
    /// than the padded input.
    pub fn geom(&self, path: &str, x: &[usize]) -> Result<MaxPool2dGeom> {
        let &[n, c, h, w] = x else {
            return Err(bad(path, format!("MaxPool2d expects input (n, c, h, w), got {}", fmt_shape(x))));
        };
        let g = MaxPool2dGeom {
            n,
            c,
            h,
            w,
            kernel_size: self.kernel_size,
            stride: self.stride,
            padding: self.padding,
            ceil_mode: self.ceil_mode,
        };
        g.out_hw().map_err(|e| bad(path, e.to_string()))?;
        Ok(g)
    }

    /// Reads [`Self::to_json`]'s fields back (the int8 model file), checked as the spec is.
    pub fn from_json(node: &Value, path: &str) -> Result<MaxPool2d> {
        let pair = |key: &str| -> Result<(usize, usize)> {
            let v = &node[key];
            let side = |v: &Value| v.as_u64().and_then(|n| usize::try_from(n).ok());
            match (side(v), v.as_array().map(|a| a.iter().map(side).collect::<Option<Vec<_>>>())) {
                (Some(n), _) => Ok((n, n)),
                (_, Some(Some(a))) if a.len() == 2 => Ok((a[0], a[1])),
                _ => {
                    Err(bad(path, format!("MaxPool2d field `{key}` must be an integer or a pair of integers, got {v}")))
                }
            }
        };
        let ceil_mode = node["ceil_mode"].as_bool().unwrap_or(false);
        MaxPool2d { kernel_size: pair("kernel_size")?, stride: pair("stride")?, padding: pair("padding")?, ceil_mode }
            .checked(path, None)
    }

    /// The spec's fields (`kernel_size`, `stride`, `padding` as an int or a pair, `ceil_mode`).
    pub fn to_json(&self) -> Value {
        let pair = |p: (usize, usize)| if p.0 == p.1 { json!(p.0) } else { json!([p.0, p.1]) };
        json!({"kernel_size": pair(self.kernel_size), "stride": pair(self.stride), "padding": pair(self.padding), "ceil_mode": self.ceil_mode})
    }
}
