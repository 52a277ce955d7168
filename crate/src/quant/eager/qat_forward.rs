//! The QAT step's forward, one layer at a time (see `qat_step.rs`).

use super::*;

/// One layer's training-mode forward on `act`: its output and what backward needs. Fake-quant
/// modules observe and update their qparams here, as torch's do.
pub(super) async fn forward_layer<B: Backend>(
    b: &B,
    layer: &mut QatLayer,
    act: B::Tensor,
) -> Result<(B::Tensor, Cache<B::Tensor>)> {
    let mut act = act;
    let path = layer.path.clone();
    let op = layer.op.clone();
    let cache = match &op {
        QatOp::QuantStub => {
            let fq = layer.act_fq.as_mut().expect("prepared");
            act = fake_quant(b, &path, fq, &act).await?.0;
            Cache::None
        }
        QatOp::DeQuantStub | QatOp::Identity => Cache::None,
        QatOp::Dropout { p } if *p == 0.0 => Cache::None,
        QatOp::Dropout { p } => {
            return Err(step_err(
                &path,
                format!("Dropout(p={p}) in training draws torch's RNG masks; QAT here supports p = 0 only"),
            ))
        }
        QatOp::ReLU => {
            act = b.relu(&act)?;
            Cache::Relu(b.reshape(&act, act.shape())?)
        }
        &QatOp::Flatten { start_dim, end_dim } => {
            let s = act.shape().to_vec();
            let r = s.len() as i64;
            let norm = |d: i64| if d < 0 { d + r } else { d };
            let (a, e) = (norm(start_dim) as usize, norm(end_dim) as usize);
            let mut out = s[..a].to_vec();
            out.push(s[a..=e].iter().product());
            out.extend_from_slice(&s[e + 1..]);
            act = b.reshape(&act, &out)?;
            Cache::Flatten(s)
        }
        QatOp::Linear { l, relu } => {
            if act.shape().len() != 2 || act.shape()[1] != l.in_features {
                return Err(step_err(
                    &path,
                    format!("Linear expects input (batch, {}), got {}", l.in_features, fmt_shape(act.shape())),
                ));
            }
            let w = b.upload(&l.weight, &[l.out_features, l.in_features])?;
            let (wq, wmask) = fake_quant(b, &path, layer.weight_fq.as_mut().expect("prepared"), &w).await?;
            let bias = l.bias.as_ref().map(|v| b.upload(v, &[l.out_features])).transpose()?;
            let mut y = linear_forward(b, &act, &wq, bias.as_ref())?;
            let mut relu_out = None;
            if *relu {
                y = b.relu(&y)?;
                relu_out = Some(b.reshape(&y, y.shape())?);
            }
            let (out, act_mask) = fake_quant(b, &path, layer.act_fq.as_mut().expect("prepared"), &y).await?;
            let x_in = std::mem::replace(&mut act, out);
            Cache::Linear { x: x_in, wq, wmask, act_mask, relu_out }
        }
        QatOp::Conv { c, bn, relu } => {
            let s = act.shape().to_vec();
            if s.len() != 4 || s[1] != c.in_channels {
                return Err(step_err(
                    &path,
                    format!("Conv2d expects input (n, {}, h, w), got {}", c.in_channels, fmt_shape(&s)),
                ));
            }
            let geom = Conv2dGeom {
                n: s[0],
                c: s[1],
                h: s[2],
                w: s[3],
                kh: c.kernel_size.0,
                kw: c.kernel_size.1,
                stride: c.stride,
                padding: c.padding,
            };
            let (oh, ow) = geom.out_hw()?;
            let (oc, per) = (c.out_channels, c.weight.len() / c.out_channels.max(1));
            let (running_std, sf): (Vec<f32>, Vec<f32>) = match bn {
                Some(bn) => (0..oc)
                    .map(|k| {
                        let rs = (bn.running_var[k] + bn.eps as f32).sqrt();
                        (rs, bn.weight.as_ref().map_or(1.0, |g| g[k]) / rs)
                    })
                    .unzip(),
                None => (vec![1.0; oc], vec![1.0; oc]),
            };
            let w_scaled: Vec<f32> =
                c.weight.iter().enumerate().map(|(i, &v)| if bn.is_some() { v * sf[i / per] } else { v }).collect();
            let w = b.upload(&w_scaled, &[oc, per])?;
            let (wq, wmask_t) =
                fake_quant(b, &path, layer.weight_fq.as_mut().expect("prepared"), &b.reshape(&w, &c.weight_shape())?)
                    .await?;
            let wq = b.reshape(&wq, &[oc, per])?;
            let wmask = host(b, &wmask_t).await?;
            let (conv, cols) = conv_forward(b, &act, &wq, None, &geom)?;
            let hw = oh * ow;
            let (mut y, bn_cache) = match bn {
                Some(bnp) => {
                    let conv_h = host(b, &conv).await?;
                    let z: Vec<f32> = conv_h
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| {
                            let k = (i / hw) % oc;
                            v / sf[k] + c.bias.as_ref().map_or(0.0, |bb| bb[k])
                        })
                        .collect();
                    let gamma = bnp.weight.clone().unwrap_or(vec![1.0; oc]);
                    let beta = bnp.bias.clone().unwrap_or(vec![0.0; oc]);
                    let (y, cache, unbiased) = bn_train_forward(&z, geom.n, oc, hw, &gamma, &beta, bnp.eps);
                    let layer_bn = match &mut layer.op {
                        QatOp::Conv { bn: Some(b), .. } => b,
                        _ => unreachable!(),
                    };
                    update_running(&mut layer_bn.running_mean, &cache.mean, layer_bn.momentum);
                    update_running(&mut layer_bn.running_var, &unbiased, layer_bn.momentum);
                    (
                        b.upload(&y, &[geom.n, oc, oh, ow])?,
                        Some(ConvBnCache { conv: conv_h, sf, running_std, w_orig: c.weight.clone(), bn: cache, hw }),
                    )
                }
                None => {
                    let y = match &c.bias {
                        Some(bb) => {
                            let rows = b.nchw_to_rows(&conv)?;
                            b.rows_to_nchw(&b.bias_add(&rows, &b.upload(bb, &[oc])?)?, geom.n, oh, ow)?
                        }
                        None => conv,
                    };
                    (y, None)
                }
            };
            let mut relu_out = None;
            if *relu {
                y = b.relu(&y)?;
                relu_out = Some(b.reshape(&y, y.shape())?);
            }
            let (out, act_mask) = fake_quant(b, &path, layer.act_fq.as_mut().expect("prepared"), &y).await?;
            act = out;
            Cache::Conv { cols, geom, wq, wmask, act_mask, relu_out, bn: bn_cache }
        }
    };
    Ok((act, cache))
}
