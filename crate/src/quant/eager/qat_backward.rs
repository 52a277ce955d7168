//! The QAT step's backward and SGD update, one layer at a time (see `qat_step.rs`).

use super::*;

/// One layer's backward: `g` (`∂L/∂output`) becomes `∂L/∂input` (when `want_dx`), and the
/// layer's parameters take one SGD step.
pub(super) async fn backward_layer<B: Backend>(
    b: &B,
    layer: &mut QatLayer,
    cache: Cache<B::Tensor>,
    g: B::Tensor,
    want_dx: bool,
    cfg: &SgdConfig,
) -> Result<B::Tensor> {
    let mut g = g;
    match cache {
        Cache::None => {}
        Cache::Relu(y) => g = b.relu_backward(&g, &y)?,
        Cache::Flatten(s) => g = b.reshape(&g, &s)?,
        Cache::Linear { x, wq, wmask, act_mask, relu_out } => {
            g = b.mul(&g, &act_mask)?;
            if let Some(y) = &relu_out {
                g = b.relu_backward(&g, y)?;
            }
            let crate::functional::LinearGrads { dx, dw: dwq, db } = linear_backward(b, &g, &x, &wq, want_dx)?;
            let dw = host(b, &b.mul(&dwq, &wmask)?).await?;
            let db = host(b, &db).await?;
            let QatOp::Linear { l, .. } = &mut layer.op else { unreachable!() };
            sgd(&mut l.weight, &dw, cfg);
            if let Some(bias) = &mut l.bias {
                sgd(bias, &db, cfg);
            }
            if let Some(dx) = dx {
                g = dx;
            }
        }
        Cache::Conv { cols, geom, wq, wmask, act_mask, relu_out, bn } => {
            g = b.mul(&g, &act_mask)?;
            if let Some(y) = &relu_out {
                g = b.relu_backward(&g, y)?;
            }
            let QatOp::Conv { c, bn: bnp, .. } = &mut layer.op else { unreachable!() };
            let oc = c.out_channels;
            let per = c.weight.len() / oc.max(1);
            let (gconv, dbias, bn_grads, dsf_div) = match &bn {
                Some(bc) => {
                    let gy = host(b, &g).await?;
                    let p = bnp.as_ref().expect("bn cache implies bn");
                    let gamma = p.weight.clone().unwrap_or(vec![1.0; oc]);
                    let (dz, dgamma, dbeta) = bn_train_backward(&gy, &bc.bn, geom.n, oc, bc.hw, &gamma);
                    let (mut dbias, mut dsf) = (vec![0f64; oc], vec![0f64; oc]);
                    let mut dconv = vec![0f32; dz.len()];
                    for (i, &d) in dz.iter().enumerate() {
                        let k = (i / bc.hw) % oc;
                        dbias[k] += d as f64;
                        dconv[i] = d / bc.sf[k];
                        dsf[k] -= d as f64 * bc.conv[i] as f64 / (bc.sf[k] as f64 * bc.sf[k] as f64);
                    }
                    (
                        b.upload(&dconv, g.shape())?,
                        Some(dbias.iter().map(|&v| v as f32).collect::<Vec<_>>()),
                        Some((dgamma, dbeta)),
                        Some(dsf),
                    )
                }
                None => (b.reshape(&g, g.shape())?, None, None, None),
            };
            let (dx, dwq) = conv_backward(b, &gconv, &cols, &wq, &geom, want_dx)?;
            let dwq = host(b, &dwq).await?;
            let d_scaled: Vec<f32> = dwq.iter().zip(&wmask).map(|(g, m)| g * m).collect();
            match (&bn, bnp.as_mut()) {
                (Some(bc), Some(p)) => {
                    let mut dsf = dsf_div.expect("with bn");
                    let dw: Vec<f32> = d_scaled
                        .iter()
                        .enumerate()
                        .map(|(i, &d)| {
                            let k = i / per;
                            dsf[k] += d as f64 * bc.w_orig[i] as f64;
                            d * bc.sf[k]
                        })
                        .collect();
                    let (dgamma, dbeta) = bn_grads.expect("with bn");
                    let dgamma: Vec<f32> =
                        (0..oc).map(|k| (dgamma[k] as f64 + dsf[k] / bc.running_std[k] as f64) as f32).collect();
                    sgd(&mut c.weight, &dw, cfg);
                    if let (Some(bias), Some(db)) = (&mut c.bias, &dbias) {
                        sgd(bias, db, cfg);
                    }
                    if let (Some(gm), Some(bt)) = (&mut p.weight, &mut p.bias) {
                        sgd(gm, &dgamma, cfg);
                        sgd(bt, &dbeta, cfg);
                    }
                }
                _ => {
                    if let Some(bias) = &mut c.bias {
                        let rows = b.nchw_to_rows(&gconv)?;
                        let db = host(b, &b.sum_rows(&rows)?).await?;
                        sgd(bias, &db, cfg);
                    }
                    sgd(&mut c.weight, &d_scaled, cfg);
                }
            }
            if let Some(dx) = dx {
                g = dx;
            }
        }
    }
    Ok(g)
}
