//! The score `f` a baseline perturbs: one target of one model, with its gradient, and a counter
//! of model evaluations. A [`ScoreFunction`] is prepared once per model and target through the
//! model's [`Model::differentiable`] (random features drawn once, as for NEON);
//! [`ScoreFunction::at`] fixes what belongs to the explained point — the left-out training row
//! and, for k-means, the cluster `c` assigned to `x`, so that every perturbed point is scored by
//! `f_c` of that same cluster (Eq. 5, §4.1).

use crate::engine::{DifferentiableScore, LocalScore, Model};
use crate::error::{NeonError, Result};
use crate::options::{ExplainOptions, Target};
use ndarray::{Array1, ArrayView1};
use std::cell::Cell;

/// One target of one model as a function `f: ℝ^d → ℝ` with an analytic gradient.
pub struct ScoreFunction<'a> {
    function: Box<dyn DifferentiableScore + 'a>,
}

impl<'a> ScoreFunction<'a> {
    /// Prepare `target` of `model`. Fails for a target the model does not support. For
    /// `inlier-rff` the random features are drawn from `options` exactly as for NEON, so both
    /// explain the same `î`.
    pub fn new(model: &'a dyn Model, target: Target, options: &ExplainOptions) -> Result<Self> {
        options.validate()?;
        if !model.capabilities().iter().any(|(t, _)| *t == target) {
            return Err(unsupported(model, target));
        }
        Ok(ScoreFunction {
            function: model.differentiable(target, options)?,
        })
    }

    /// The score around the explained point `x` (training row `exclude` left out for
    /// leave-one-out): fixes the cluster `c = argmin_k ‖x − μ_k‖²` and the leave-one-out mean
    /// embeddings.
    pub fn at(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> PointFunction<'_> {
        PointFunction {
            local: self.function.at(x, exclude),
            evaluations: Cell::new(0),
        }
    }
}

/// The error for a target that `model` does not explain, listing those it does.
pub(crate) fn unsupported(model: &dyn Model, target: Target) -> NeonError {
    let supported = model
        .capabilities()
        .iter()
        .map(|(t, _)| t.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    NeonError::UnsupportedTarget {
        model: model.name().to_string(),
        target: target.to_string(),
        supported,
    }
}

/// The score function fixed around one explained point; counts its evaluations.
pub struct PointFunction<'a> {
    local: Box<dyn LocalScore + 'a>,
    evaluations: Cell<u64>,
}

impl PointFunction<'_> {
    /// `f(z)`: outlierness (§3.1), inlierness (Eq. 1), random-feature inlierness averaged over
    /// the draws (§3.3) or the evidence `f_c(z)` for the fixed cluster `c` (Eq. 5). Counts one
    /// model evaluation (one per random-feature draw for `inlier-rff`).
    pub fn value(&self, z: ArrayView1<f64>) -> f64 {
        self.count();
        self.local.value(z)
    }

    /// `∇f(z)`, analytic (each model derives it in its folder, `differentiable.rs`). Counts one
    /// model evaluation (a forward and a backward pass, as NEON), one per draw for
    /// `inlier-rff`.
    pub fn gradient(&self, z: ArrayView1<f64>) -> Array1<f64> {
        self.count();
        self.local.gradient(z)
    }

    /// The cluster `c` fixed for the explained point (cluster target only).
    pub fn cluster(&self) -> Option<usize> {
        self.local.cluster()
    }

    /// Model evaluations so far.
    pub fn evaluations(&self) -> u64 {
        self.evaluations.get()
    }

    fn count(&self) {
        self.evaluations
            .set(self.evaluations.get() + self.local.cost());
    }
}
