//! The KDE in the engine: the [`Model`] implementation the registry dispatches to, with the
//! blocked (§3.1–§3.3 for many rows) and approximate (certified outlier) paths.

use super::algorithm::{Kde, KdeExplainer};
use super::approx::{ApproxKde, ApproxOutlier};
use super::batch::KdeBatch;
use super::batch_rff::{explain_inlier_rff, explain_inlier_rff_loo, loo_fits};
use super::capabilities::{CAPABILITIES, NAME};
use super::differentiable::KdeScore;
use super::hyperparams::{KdeError, KdeParams};
use super::random_features::RandomFeatureDraw;
use crate::engine::{
    check_stored_matrix, ApproxBound, ApproxExplainer, BlockedExplainer, DifferentiableScore, Model,
};
use crate::error::{NeonError, Result};
use crate::explain::{Explanation, PointExplainer};
use crate::kernels::{Compute, Tiles};
use crate::options::{Capabilities, ExplainOptions, RuleSet, Target};
use crate::rules::uniform_rule;
use ndarray::ArrayView2;
use std::sync::OnceLock;

impl Model for Kde {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn n_features(&self) -> usize {
        self.points.ncols()
    }

    fn training_points(&self) -> ArrayView2<'_, f64> {
        self.points.view()
    }

    fn validate(&self) -> Result<()> {
        KdeParams::new(self.gamma).validate()?;
        if let Some(b) = self.bandwidth {
            let agrees = (b.gamma() - self.gamma).abs() <= 1e-12 * self.gamma;
            if !(b.h.is_finite() && b.h > 0.0 && agrees) {
                return Err(NeonError::param(
                    "bandwidth",
                    format!(
                        "stored h = {} does not give the stored gamma = {} (gamma = 1 / (2h²))",
                        b.h, self.gamma
                    ),
                ));
            }
        }
        if self.points.nrows() < 2 {
            return Err(KdeError::TooFewPoints(self.points.nrows()).into());
        }
        check_stored_matrix("points", self.points.view())
    }

    fn summary(&self) -> String {
        let chosen = self
            .bandwidth
            .map_or(String::new(), |b| format!(" from {b}"));
        format!(
            "KDE: {} points, {} features, gamma = {}{chosen}",
            self.points.nrows(),
            self.points.ncols(),
            self.gamma
        )
    }

    fn default_beta(&self) -> f64 {
        Kde::default_beta(self)
    }

    fn chapter_beta(&self) -> f64 {
        self.gamma
    }

    fn point_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn PointExplainer + 'a>> {
        Ok(Box::new(self.explainer(target, options)?))
    }

    fn blocked_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
        compute: &Compute,
    ) -> Result<Option<Box<dyn BlockedExplainer + 'a>>> {
        // the random features are drawn when the rows are known (see KdeBlocked::draws)
        let explainer = self.explainer_without_draws(target, options)?;
        if explainer.rule() != RuleSet::Standard {
            return Ok(None);
        }
        Ok(Some(Box::new(KdeBlocked {
            kde: self,
            target,
            batch: KdeBatch::new(self, compute),
            explainer,
            options: *options,
            draws: OnceLock::new(),
        })))
    }

    fn blocked_scores(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        target: Target,
        compute: &Compute,
    ) -> Option<Vec<f64>> {
        if !matches!(target, Target::Outlier | Target::Inlier) {
            return None;
        }
        let batch = KdeBatch::for_scores(self, compute);
        let scores = batch.outlier_scores(points, rows, leave_one_out);
        Some(if target == Target::Inlier {
            scores
                .into_iter()
                .map(|o| (-self.gamma * o).exp())
                .collect()
        } else {
            scores
        })
    }

    fn approximate_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
        tolerance: f64,
        tiles: Tiles,
    ) -> Result<Box<dyn ApproxExplainer + 'a>> {
        let explainer = self.explainer(target, options)?;
        if target != Target::Outlier || explainer.rule() != RuleSet::Standard {
            return Err(NeonError::param(
                "tolerance",
                "the approximate mode explains the KDE outlier target with the standard rules",
            ));
        }
        Ok(Box::new(KdeApprox {
            approx: ApproxKde::new(self, tolerance, tiles)?,
            beta: explainer.beta(),
            epsilon: explainer.epsilon(),
        }))
    }

    fn differentiable<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn DifferentiableScore + 'a>> {
        Ok(Box::new(KdeScore::new(self, target, options)?))
    }
}

/// The blocked kernels of one KDE target, prepared once (training data packed; random
/// features drawn once, on first use).
struct KdeBlocked<'a> {
    kde: &'a Kde,
    target: Target,
    batch: KdeBatch<'a>,
    explainer: KdeExplainer<'a>,
    options: ExplainOptions,
    /// The random-feature draws with their embeddings, made by the first call that needs them:
    /// a call that explains (at least half of) the training rows leave-one-out before any
    /// other draws them itself, computing each feature map once ([`explain_inlier_rff_loo`]).
    draws: OnceLock<Vec<RandomFeatureDraw>>,
}

impl KdeBlocked<'_> {
    /// Whether `points` are the model's own training points (the same array).
    fn is_training_data(&self, points: ArrayView2<f64>) -> bool {
        let train = self.kde.points.view();
        points.as_ptr() == train.as_ptr()
            && points.dim() == train.dim()
            && points.strides() == train.strides()
    }
}

impl BlockedExplainer for KdeBlocked<'_> {
    fn explain(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<Explanation> {
        match self.target {
            Target::Outlier => self.batch.explain_outlier(
                points,
                rows,
                leave_one_out,
                self.explainer.beta(),
                self.explainer.epsilon(),
                progress,
            ),
            Target::InlierRff => {
                let (h, trials) = (self.options.n_features, self.options.trials);
                if self.draws.get().is_none()
                    && leave_one_out
                    && self.is_training_data(points)
                    && loo_fits(self.kde, h, trials, rows.len())
                {
                    return explain_inlier_rff_loo(
                        self.kde,
                        h,
                        trials,
                        self.options.seed,
                        &self.batch,
                        rows,
                        progress,
                    );
                }
                let draws = self
                    .draws
                    .get_or_init(|| self.kde.random_feature_draws(&self.options));
                explain_inlier_rff(
                    self.kde,
                    draws,
                    &self.batch,
                    points,
                    rows,
                    leave_one_out,
                    progress,
                )
            }
            _ => {
                let scores = self.batch.outlier_scores(points, rows, leave_one_out);
                progress(rows.len());
                let d = self.kde.points.ncols();
                rows.iter()
                    .zip(scores)
                    .map(|(&row, o)| {
                        let score = (-self.kde.gamma * o).exp();
                        Explanation::new(row, score, uniform_rule(score, d), 0.0)
                    })
                    .collect()
            }
        }
    }

    fn fallbacks(&self) -> usize {
        self.batch.fallbacks()
    }
}

/// The certified approximate outlier path with its β and ε.
struct KdeApprox<'a> {
    approx: ApproxKde<'a>,
    beta: f64,
    epsilon: f64,
}

impl ApproxExplainer for KdeApprox<'_> {
    fn explain(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<(Explanation, ApproxBound)> {
        self.approx
            .explain_outlier(
                points,
                rows,
                leave_one_out,
                self.beta,
                self.epsilon,
                progress,
            )
            .into_iter()
            .map(|ApproxOutlier { explanation, bound }| (explanation, bound))
            .collect()
    }
}
