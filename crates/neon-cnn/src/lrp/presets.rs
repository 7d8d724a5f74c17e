//! Presets ("composites" in Zennit) assign a rule to every layer by position; they are registered
//! by name in [`PRESETS`], so tests and the CLI iterate over all of them.

use super::rules::{InputBounds, LayerRule, PoolRule, Rule, DEFAULT_EPSILON, DEFAULT_GAMMA};
use crate::error::{CnnError, Result};
use crate::network::{Layer, Network};

/// A named rule assignment.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// Registry name, e.g. `epsilon-gamma-box`.
    pub name: &'static str,
    /// One line for `--help`.
    pub description: &'static str,
    /// Rule of the first convolution (receives the input bounds).
    pub first: fn(&InputBounds) -> Rule,
    /// Rule of every other convolution.
    pub conv: fn() -> Rule,
}

fn zbox(b: &InputBounds) -> Rule {
    Rule::ZBox {
        low: b.low.clone(),
        high: b.high.clone(),
        epsilon: DEFAULT_EPSILON,
    }
}
fn gamma() -> Rule {
    Rule::Gamma {
        gamma: DEFAULT_GAMMA,
        epsilon: DEFAULT_EPSILON,
    }
}
fn flat(_: &InputBounds) -> Rule {
    Rule::Flat {
        epsilon: DEFAULT_EPSILON,
    }
}
fn zplus() -> Rule {
    Rule::ZPlus {
        epsilon: DEFAULT_EPSILON,
    }
}
fn zero_first(_: &InputBounds) -> Rule {
    Rule::Zero
}
fn zero() -> Rule {
    Rule::Zero
}
fn eps_first(_: &InputBounds) -> Rule {
    Rule::Epsilon {
        epsilon: DEFAULT_EPSILON,
    }
}
fn eps() -> Rule {
    Rule::Epsilon {
        epsilon: DEFAULT_EPSILON,
    }
}

/// Every preset, by name. The feature extractor has no dense layer, so the "ε on dense layers"
/// part of Zennit's composites of the same names never applies here.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "epsilon-gamma-box",
        description:
            "z^B on the first convolution (bounds from the preprocessing), γ = 0.25 on the others",
        first: zbox,
        conv: gamma,
    },
    Preset {
        name: "epsilon-plus-flat",
        description: "flat on the first convolution, z⁺ on the others",
        first: flat,
        conv: zplus,
    },
    Preset {
        name: "epsilon",
        description: "ε = 1e-6 everywhere",
        first: eps_first,
        conv: eps,
    },
    Preset {
        name: "lrp-0",
        description: "LRP-0 everywhere (gradient × input on bias-free ReLU networks)",
        first: zero_first,
        conv: zero,
    },
];

/// The default preset's name.
pub const DEFAULT_PRESET: &str = "epsilon-gamma-box";

/// Look a preset up by name.
pub fn preset(name: &str) -> Result<&'static Preset> {
    PRESETS
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| CnnError::UnknownName {
            kind: "preset",
            name: name.to_string(),
            known: PRESETS.iter().map(|p| p.name.to_string()).collect(),
        })
}

/// Rules for layers `0..=cut` of `net`: the preset's, then each `(layer name, rule)` override
/// (a name that is not among those layers is an error).
pub fn assign(
    net: &Network,
    cut: usize,
    preset: &Preset,
    bounds: &InputBounds,
    pool: PoolRule,
    overrides: &[(String, Rule)],
) -> Result<Vec<LayerRule>> {
    let mut first = true;
    let mut rules: Vec<LayerRule> = net.layers[..=cut.min(net.layers.len().saturating_sub(1))]
        .iter()
        .map(|layer| match layer {
            Layer::Conv(_) => {
                let r = if first {
                    (preset.first)(bounds)
                } else {
                    (preset.conv)()
                };
                first = false;
                LayerRule::Conv(r)
            }
            Layer::MaxPool { .. } => LayerRule::Pool(pool),
        })
        .collect();
    for (name, rule) in overrides {
        let idx = net.layers[..rules.len()]
            .iter()
            .position(|l| l.name() == name)
            .ok_or_else(|| CnnError::UnknownName {
                kind: "layer",
                name: name.clone(),
                known: net.layers[..rules.len()]
                    .iter()
                    .filter(|l| matches!(l, Layer::Conv(_)))
                    .map(|l| l.name().to_string())
                    .collect(),
            })?;
        match net.layers[idx] {
            Layer::Conv(_) => rules[idx] = LayerRule::Conv(rule.clone()),
            Layer::MaxPool { .. } => {
                return Err(CnnError::param(
                    "override",
                    format!("`{name}` is a pooling layer; use the pool rule option"),
                ))
            }
        }
    }
    Ok(rules)
}
