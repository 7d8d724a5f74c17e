//! The LRP rules of the convolution and pooling layers (as in Zennit) and the stabilised
//! division they share.

use ndarray::{Array3, Zip};
use serde::Serialize;

use crate::error::{CnnError, Result};

/// Default stabiliser ε of every rule (as in Zennit).
pub const DEFAULT_EPSILON: f32 = 1e-6;
/// Default γ of the γ-rule (as in Zennit).
pub const DEFAULT_GAMMA: f32 = 0.25;

/// An LRP rule for a convolution layer. With `z_j = Σ_i a_i w_ij + b_j` the forward
/// pre-activation, each rule redistributes `R_j` as `R_i = Σ_j (contribution_ij / denominator_j) R_j`.
/// Denominators `d` are stabilised as `d + ε·(sign(d) + [d = 0])` (Zennit's convention).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum Rule {
    /// LRP-0: contributions `a_i w_ij`, denominator `z_j`; `0/0` is taken as 0.
    Zero,
    /// LRP-ε: as LRP-0 with the denominator stabilised by `epsilon`.
    Epsilon {
        /// Stabiliser.
        epsilon: f32,
    },
    /// LRP-γ (generalised to signed inputs as in Zennit 0.5): outputs with `z_j > 0` use
    /// `a⁺(w + γw⁺) + a⁻(w + γw⁻)`, bias `b + γb⁺`; outputs with `z_j < 0` use
    /// `a⁺(w + γw⁻) + a⁻(w + γw⁺)`, bias `b + γb⁻`.
    Gamma {
        /// Weight of the added positive (resp. negative) part.
        gamma: f32,
        /// Stabiliser.
        epsilon: f32,
    },
    /// LRP-z⁺ (α1β0): contributions `a⁺w⁺ + a⁻w⁻`, bias `b⁺` in the denominator.
    ZPlus {
        /// Stabiliser.
        epsilon: f32,
    },
    /// z^B (box) rule for the first layer: contributions `x_i w_ij − l_i w⁺_ij − h_i w⁻_ij` with
    /// per-channel input bounds `l ≤ x ≤ h` (from the preprocessing); biases cancel.
    ZBox {
        /// Lower bound per input channel.
        low: Vec<f32>,
        /// Upper bound per input channel.
        high: Vec<f32>,
        /// Stabiliser.
        epsilon: f32,
    },
    /// Flat: every connected input gets an equal share (weights and inputs set to one, no bias).
    Flat {
        /// Stabiliser.
        epsilon: f32,
    },
    /// w²: contributions `w_ij²` (inputs set to one), denominator `Σ_i w_ij² + b_j²`.
    WSquare {
        /// Stabiliser.
        epsilon: f32,
    },
}

impl Rule {
    /// The rule's short name (`zero`, `epsilon`, `gamma`, `zplus`, `zbox`, `flat`, `wsquare`).
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Zero => "zero",
            Rule::Epsilon { .. } => "epsilon",
            Rule::Gamma { .. } => "gamma",
            Rule::ZPlus { .. } => "zplus",
            Rule::ZBox { .. } => "zbox",
            Rule::Flat { .. } => "flat",
            Rule::WSquare { .. } => "wsquare",
        }
    }

    /// Parse a rule for a per-layer override: `zero`, `epsilon[=E]`, `gamma[=G]`, `zplus`,
    /// `zbox` (bounds from `bounds`), `flat`, `wsquare`.
    pub fn parse(spec: &str, bounds: &InputBounds) -> Result<Rule> {
        let (name, value) = match spec.split_once('=') {
            Some((n, v)) => {
                let v: f32 = v.trim().parse().map_err(|_| {
                    CnnError::param("rule", format!("`{spec}`: `{v}` is not a number"))
                })?;
                if !v.is_finite() || v < 0.0 {
                    return Err(CnnError::param(
                        "rule",
                        format!("`{spec}`: the value must be finite and >= 0"),
                    ));
                }
                (n.trim(), Some(v))
            }
            None => (spec.trim(), None),
        };
        let eps = DEFAULT_EPSILON;
        Ok(match name {
            "zero" | "lrp-0" | "lrp0" => Rule::Zero,
            "epsilon" | "eps" => Rule::Epsilon {
                epsilon: value.unwrap_or(eps),
            },
            "gamma" => Rule::Gamma {
                gamma: value.unwrap_or(DEFAULT_GAMMA),
                epsilon: eps,
            },
            "zplus" | "z-plus" | "alpha1beta0" => Rule::ZPlus { epsilon: eps },
            "zbox" | "z-box" | "box" => Rule::ZBox {
                low: bounds.low.clone(),
                high: bounds.high.clone(),
                epsilon: eps,
            },
            "flat" => Rule::Flat { epsilon: eps },
            "wsquare" | "w2" | "w-square" => Rule::WSquare { epsilon: eps },
            _ => {
                return Err(CnnError::UnknownName {
                    kind: "rule",
                    name: spec.to_string(),
                    known: [
                        "zero",
                        "epsilon[=E]",
                        "gamma[=G]",
                        "zplus",
                        "zbox",
                        "flat",
                        "wsquare",
                    ]
                    .map(String::from)
                    .to_vec(),
                })
            }
        })
    }
}

/// How a 2×2 max-pooling redistributes relevance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PoolRule {
    /// All relevance to the maximum; tied maxima share it evenly (Zennit's default is the gradient).
    #[default]
    WinnerTakeAll,
    /// In proportion to the (non-negative) inputs of the window; evenly if they sum to zero.
    Proportional,
}

impl PoolRule {
    /// Parse `winner-take-all` / `wta` or `proportional`.
    pub fn parse(name: &str) -> Result<PoolRule> {
        match name {
            "winner-take-all" | "wta" | "max" => Ok(PoolRule::WinnerTakeAll),
            "proportional" | "prop" => Ok(PoolRule::Proportional),
            _ => Err(CnnError::UnknownName {
                kind: "pool rule",
                name: name.into(),
                known: vec!["winner-take-all".into(), "proportional".into()],
            }),
        }
    }
}

/// Per-channel bounds of the preprocessed input (for the z^B rule).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputBounds {
    /// Lowest value per channel.
    pub low: Vec<f32>,
    /// Highest value per channel.
    pub high: Vec<f32>,
}

/// The rule of one layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LayerRule {
    /// A convolution's rule.
    Conv(Rule),
    /// A pooling's rule.
    Pool(PoolRule),
}

impl LayerRule {
    /// Short name for reports.
    pub fn name(&self) -> String {
        match self {
            LayerRule::Conv(r) => r.name().to_string(),
            LayerRule::Pool(PoolRule::WinnerTakeAll) => "winner-take-all".into(),
            LayerRule::Pool(PoolRule::Proportional) => "proportional".into(),
        }
    }
}

/// `d + ε·(sign(d) + [d = 0])`, Zennit's stabiliser; with ε = 0 a zero stays zero (then `R/d := 0`).
#[inline]
pub(crate) fn stabilize(d: f32, eps: f32) -> f32 {
    if d > 0.0 {
        d + eps
    } else if d < 0.0 {
        d - eps
    } else {
        eps
    }
}

/// `R / d` with `0/0 := 0`.
#[inline]
pub(crate) fn safe_div(r: f32, d: f32) -> f32 {
    if d == 0.0 {
        0.0
    } else {
        r / d
    }
}

/// Element-wise `out += coef · f ⊙ g`.
pub(crate) fn add_product(out: &mut Array3<f32>, f: &Array3<f32>, g: &Array3<f32>, coef: f32) {
    Zip::from(out)
        .and(f)
        .and(g)
        .par_for_each(|o, &f, &g| *o += coef * f * g);
}
