//! Layer-wise relevance propagation through the convolutional feature extractor (chapter §2.1,
//! and the "standard LRP rules" used after the Appendix A bridge in §5.2).
//!
//! * [`Rule`] says what one convolution does with the relevance arriving at its output
//!   (LRP-0, ε, γ, z⁺, z^B, flat, w²); [`PoolRule`] what a max-pooling does.
//! * [`presets`] assign rules to layers by position and are registered by name
//!   (`epsilon-gamma-box`, `epsilon-plus-flat`, …), with explicit per-layer overrides.
//! * [`LrpContext`] is prepared once per image and preset (it caches the rule denominators and
//!   modified kernels); [`LrpContext::propagate`] then turns relevance at the cut layer into
//!   relevance on the input, reporting conservation layer by layer. Several heatmaps of one image
//!   (e.g. one per cluster) reuse one forward pass and one preparation.

mod conv;
pub mod presets;
mod rules;

use ndarray::Array3;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{CnnError, Result};
use crate::network::{ForwardRecord, Layer, Network};
pub use conv::PreparedConv;
pub use presets::{Preset, PRESETS};
pub use rules::{InputBounds, LayerRule, PoolRule, Rule, DEFAULT_EPSILON, DEFAULT_GAMMA};

/// Relevance bookkeeping of one layer: what arrived at its output, what left through its input,
/// and what the rule absorbed (biases, stabilisers, masked outputs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerConservation {
    /// Layer name.
    pub layer: String,
    /// Rule used.
    pub rule: String,
    /// Σ relevance at the layer's output.
    pub relevance_out: f64,
    /// Σ relevance at the layer's input.
    pub relevance_in: f64,
    /// `relevance_out − relevance_in`.
    pub absorbed: f64,
}

/// Result of one backward pass.
#[derive(Debug, Clone)]
pub struct LrpResult {
    /// Relevance of every input value, HWC like the input.
    pub input_relevance: Array3<f32>,
    /// Conservation per layer, from the cut layer down to the first.
    pub layers: Vec<LayerConservation>,
}

impl LrpResult {
    /// Pixel heatmap: relevance summed over the input channels, `(height, width)`.
    pub fn heatmap(&self) -> ndarray::Array2<f32> {
        self.input_relevance.sum_axis(ndarray::Axis(2))
    }
}

enum Prepared {
    Conv(Box<PreparedConv>),
    Pool(PoolRule),
}

/// Everything one image needs for any number of backward passes with one rule assignment.
pub struct LrpContext<'a> {
    net: &'a Network,
    record: &'a ForwardRecord,
    rules: Vec<LayerRule>,
    prepared: Vec<Prepared>,
}

impl<'a> LrpContext<'a> {
    /// Prepare the backward passes for `record` (produced by `net.forward`) with one rule per
    /// recorded layer (see [`presets::assign`]).
    pub fn new(net: &'a Network, record: &'a ForwardRecord, rules: Vec<LayerRule>) -> Result<Self> {
        let n = record.n_layers();
        if rules.len() != n {
            return Err(CnnError::param(
                "rules",
                format!("{} rules for {} recorded layers", rules.len(), n),
            ));
        }
        let prepared = net.layers[..n]
            .iter()
            .zip(&rules)
            .enumerate()
            .map(|(l, (layer, rule))| match (layer, rule) {
                (Layer::Conv(conv), LayerRule::Conv(rule)) => {
                    let z = record.pre_activations[l]
                        .as_ref()
                        .ok_or_else(|| CnnError::param("record", "missing pre-activation"))?;
                    Ok(Prepared::Conv(Box::new(PreparedConv::new(
                        conv,
                        &record.inputs[l],
                        z,
                        rule,
                    )?)))
                }
                (Layer::MaxPool { .. }, LayerRule::Pool(p)) => Ok(Prepared::Pool(*p)),
                (layer, rule) => Err(CnnError::param(
                    "rules",
                    format!(
                        "rule {} cannot be used on layer {}",
                        rule.name(),
                        layer.name()
                    ),
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(LrpContext {
            net,
            record,
            rules,
            prepared,
        })
    }

    /// The rules in use, one per layer.
    pub fn rules(&self) -> &[LayerRule] {
        &self.rules
    }

    /// Propagate `relevance` (shaped like the cut layer's output) down to the input.
    pub fn propagate(&self, relevance: &Array3<f32>) -> Result<LrpResult> {
        if relevance.dim() != self.record.output.dim() {
            let (h, w, c) = self.record.output.dim();
            return Err(CnnError::BadShape {
                what: "relevance at the cut layer",
                found: relevance.shape().to_vec(),
                expected: format!("({h}, {w}, {c})"),
            });
        }
        let mut r = relevance.clone();
        let mut layers = Vec::with_capacity(self.prepared.len());
        for l in (0..self.prepared.len()).rev() {
            let out_sum = sum64(&r);
            let a = &self.record.inputs[l];
            r = match &self.prepared[l] {
                Prepared::Conv(p) => match (&self.net.layers[l], &self.record.pre_activations[l]) {
                    (Layer::Conv(conv), Some(z)) => p.backward_with(conv, a, z, &r),
                    _ => return Err(CnnError::param("record", "layer/record mismatch")),
                },
                Prepared::Pool(rule) => pool_backward(a, &r, *rule),
            };
            let in_sum = sum64(&r);
            layers.push(LayerConservation {
                layer: self.net.layers[l].name().to_string(),
                rule: self.rules[l].name(),
                relevance_out: out_sum,
                relevance_in: in_sum,
                absorbed: out_sum - in_sum,
            });
        }
        Ok(LrpResult {
            input_relevance: r,
            layers,
        })
    }
}

/// Σ of an array in `f64`, block-ordered: blocks of 4096 are summed in parallel, then the block
/// sums in their order, so the result does not depend on the thread count.
pub fn sum64(x: &Array3<f32>) -> f64 {
    let x = x.as_standard_layout();
    let Some(s) = x.as_slice() else {
        return x.iter().map(|&v| v as f64).sum();
    };
    let blocks: Vec<f64> = s
        .par_chunks(4096)
        .map(|c| c.iter().map(|&v| v as f64).sum::<f64>())
        .collect();
    blocks.iter().sum()
}

/// Max-pooling backward (2×2, stride 2): winner-take-all with ties split evenly, or proportional.
fn pool_backward(a: &Array3<f32>, r: &Array3<f32>, rule: PoolRule) -> Array3<f32> {
    let (h, w, c) = a.dim();
    let (ho, wo, _) = r.dim();
    let mut out = Array3::<f32>::zeros((h, w, c));
    out.axis_chunks_iter_mut(ndarray::Axis(0), 2)
        .into_par_iter()
        .enumerate()
        .for_each(|(y, mut rows)| {
            if y >= ho || rows.dim().0 < 2 {
                return;
            }
            for x in 0..wo {
                for ch in 0..c {
                    let rv = r[[y, x, ch]];
                    if rv == 0.0 {
                        continue;
                    }
                    let vals = [
                        a[[2 * y, 2 * x, ch]],
                        a[[2 * y, 2 * x + 1, ch]],
                        a[[2 * y + 1, 2 * x, ch]],
                        a[[2 * y + 1, 2 * x + 1, ch]],
                    ];
                    let shares: [f32; 4] = match rule {
                        PoolRule::WinnerTakeAll => {
                            let m = vals.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                            let n = vals.iter().filter(|&&v| v == m).count() as f32;
                            vals.map(|v| if v == m { rv / n } else { 0.0 })
                        }
                        PoolRule::Proportional => {
                            let s: f32 = vals.iter().map(|v| v.max(0.0)).sum();
                            if s > 0.0 {
                                vals.map(|v| rv * v.max(0.0) / s)
                            } else {
                                [rv / 4.0; 4]
                            }
                        }
                    };
                    for (k, share) in shares.iter().enumerate() {
                        rows[[k / 2, 2 * x + k % 2, ch]] += share;
                    }
                }
            }
        });
    out
}

#[cfg(test)]
mod tests;
