//! The score `f` a baseline perturbs: one target of one model, with its gradient, and a counter
//! of model evaluations. A [`ScoreFunction`] is prepared once per model and target (random
//! features drawn once, as for NEON); [`ScoreFunction::at`] fixes what belongs to the explained
//! point — the left-out training row and, for k-means, the cluster `c` assigned to `x`, so that
//! every perturbed point is scored by `f_c` of that same cluster (Eq. 5, §4.1).

use super::gradient;
use crate::error::{NeonError, Result};
use crate::models::kde::KdeExplainer;
use crate::models::{ExplainOptions, FittedModel, KMeans, Kde, Target};
use ndarray::{Array1, ArrayView1};
use std::cell::Cell;

/// One target of one model as a function `f: ℝ^d → ℝ` with an analytic gradient.
pub struct ScoreFunction<'a> {
    kind: Kind<'a>,
}

enum Kind<'a> {
    Outlier(&'a Kde),
    Inlier(&'a Kde),
    InlierRff(&'a Kde, KdeExplainer<'a>),
    Cluster(&'a KMeans),
}

impl<'a> ScoreFunction<'a> {
    /// Prepare `target` of `model`. Fails for a target the model does not support. For
    /// `inlier-rff` the random features are drawn from `options` exactly as for NEON, so both
    /// explain the same `î`.
    pub fn new(model: &'a FittedModel, target: Target, options: &ExplainOptions) -> Result<Self> {
        options.validate()?;
        let kind = match (model, target) {
            (FittedModel::Kde(kde), Target::Outlier) => Kind::Outlier(kde),
            (FittedModel::Kde(kde), Target::Inlier) => Kind::Inlier(kde),
            (FittedModel::Kde(kde), Target::InlierRff) => {
                Kind::InlierRff(kde, kde.explainer(target, options)?)
            }
            (FittedModel::Kmeans(km), Target::Cluster) => Kind::Cluster(km),
            (model, target) => return Err(unsupported(model, target)),
        };
        Ok(ScoreFunction { kind })
    }

    /// The score around the explained point `x` (training row `exclude` left out for
    /// leave-one-out): fixes the cluster `c = argmin_k ‖x − μ_k‖²` and the leave-one-out mean
    /// embeddings.
    pub fn at(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> PointFunction<'_> {
        let point = match &self.kind {
            Kind::Outlier(kde) => Point::Outlier(kde),
            Kind::Inlier(kde) => Point::Inlier(kde),
            Kind::InlierRff(kde, explainer) => {
                let embeddings = explainer
                    .draws()
                    .iter()
                    .map(|draw| match exclude {
                        Some(k) if k < kde.points.nrows() => {
                            let map = draw.layer.feature_map(kde.points.row(k));
                            draw.mean_embedding_without(map.view())
                        }
                        _ => draw.layer.mean_embedding.clone(),
                    })
                    .collect();
                Point::InlierRff(explainer, embeddings)
            }
            Kind::Cluster(km) => Point::Cluster(km, km.predict(x)),
        };
        PointFunction {
            point,
            exclude,
            evaluations: Cell::new(0),
        }
    }
}

/// The error for a target that `model` does not explain, listing those it does.
pub(crate) fn unsupported(model: &FittedModel, target: Target) -> NeonError {
    let supported = model
        .entry()
        .map(|e| {
            e.targets
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    NeonError::UnsupportedTarget {
        model: model.name().to_string(),
        target: target.to_string(),
        supported,
    }
}

/// The score function fixed around one explained point; counts its evaluations.
pub struct PointFunction<'a> {
    point: Point<'a>,
    exclude: Option<usize>,
    evaluations: Cell<u64>,
}

enum Point<'a> {
    Outlier(&'a Kde),
    Inlier(&'a Kde),
    InlierRff(&'a KdeExplainer<'a>, Vec<Array1<f64>>),
    Cluster(&'a KMeans, usize),
}

impl PointFunction<'_> {
    /// `f(z)`: outlierness (§3.1), inlierness (Eq. 1), random-feature inlierness averaged over
    /// the draws (§3.3) or the evidence `f_c(z)` for the fixed cluster `c` (Eq. 5). Counts one
    /// model evaluation (one per random-feature draw for `inlier-rff`).
    pub fn value(&self, z: ArrayView1<f64>) -> f64 {
        match &self.point {
            Point::Outlier(kde) => {
                self.count(1);
                kde.outlier(z, self.exclude)
            }
            Point::Inlier(kde) => {
                self.count(1);
                kde.inlier(z, self.exclude)
            }
            Point::InlierRff(explainer, embeddings) => {
                let draws = explainer.draws();
                self.count(draws.len() as u64);
                let total: f64 = draws
                    .iter()
                    .zip(embeddings)
                    .map(|(draw, mu)| {
                        let h = draw.layer.feature_map(z) * mu;
                        h.sum() / h.len() as f64
                    })
                    .sum();
                total / draws.len() as f64
            }
            Point::Cluster(km, c) => {
                self.count(1);
                km.cluster_evidence(z, *c)
            }
        }
    }

    /// `∇f(z)`, analytic (see [`gradient`]). Counts one model evaluation (a forward and a
    /// backward pass, as NEON), one per draw for `inlier-rff`.
    pub fn gradient(&self, z: ArrayView1<f64>) -> Array1<f64> {
        match &self.point {
            Point::Outlier(kde) => {
                self.count(1);
                gradient::outlier(kde, z, self.exclude)
            }
            Point::Inlier(kde) => {
                self.count(1);
                gradient::inlier(kde, z, self.exclude)
            }
            Point::InlierRff(explainer, embeddings) => {
                let draws = explainer.draws();
                self.count(draws.len() as u64);
                let mut total = Array1::zeros(z.len());
                for (draw, mu) in draws.iter().zip(embeddings) {
                    total += &gradient::inlier_rff(draw, mu.view(), z);
                }
                total / draws.len() as f64
            }
            Point::Cluster(km, c) => {
                self.count(1);
                gradient::cluster_evidence(km, z, *c)
            }
        }
    }

    /// The cluster `c` fixed for the explained point (cluster target only).
    pub fn cluster(&self) -> Option<usize> {
        match self.point {
            Point::Cluster(_, c) => Some(c),
            _ => None,
        }
    }

    /// Model evaluations so far.
    pub fn evaluations(&self) -> u64 {
        self.evaluations.get()
    }

    fn count(&self, n: u64) {
        self.evaluations.set(self.evaluations.get() + n);
    }
}
