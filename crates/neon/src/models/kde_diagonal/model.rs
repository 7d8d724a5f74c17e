//! The diagonal KDE in the engine: every path — per point, blocked, approximate, the
//! baselines' gradients — is the isotropic KDE's on the rescaled features `z = s ∘ x`; the
//! relevance of `z_i` is the relevance of `x_i`.

use super::algorithm::DiagonalKde;
use super::hyperparams::{DiagonalKdeParams, NAME};
use crate::engine::{
    check_stored_matrix, ApproxBound, ApproxExplainer, BlockedExplainer, DifferentiableScore,
    LocalScore, Model,
};
use crate::error::Result;
use crate::explain::{Explanation, PointExplainer};
use crate::kernels::{Compute, Tiles};
use crate::models::kde::CAPABILITIES;
use crate::options::{Capabilities, ExplainOptions, Target};
use ndarray::{Array1, ArrayView1, ArrayView2};

impl Model for DiagonalKde {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn n_features(&self) -> usize {
        self.points().ncols()
    }

    fn training_points(&self) -> ArrayView2<'_, f64> {
        self.points()
    }

    fn validate(&self) -> Result<()> {
        check_stored_matrix("points", self.points())?;
        DiagonalKdeParams::Gammas(self.gammas().to_vec()).validate(self.n_features())?;
        self.isotropic().validate()
    }

    fn summary(&self) -> String {
        let gammas: Vec<String> = self.gammas().iter().map(|g| format!("{g:.4}")).collect();
        let rule = self.rule().map_or(String::new(), |(rule, c)| {
            format!(" from bandwidths h_i = {c:.6} σ_i ({rule})")
        });
        format!(
            "diagonal KDE: {} points, {} features, gamma_i = [{}]{rule}, mean gamma = {}",
            self.points().nrows(),
            self.points().ncols(),
            gammas.join(", "),
            self.mean_gamma()
        )
    }

    fn default_beta(&self) -> f64 {
        self.isotropic().default_beta()
    }

    fn chapter_beta(&self) -> f64 {
        self.mean_gamma()
    }

    fn point_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn PointExplainer + 'a>> {
        Ok(Box::new(Rescaled {
            inner: self.isotropic().point_explainer(target, options)?,
            scale: self.scale(),
        }))
    }

    fn blocked_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
        compute: &Compute,
    ) -> Result<Option<Box<dyn BlockedExplainer + 'a>>> {
        let inner = self
            .isotropic()
            .blocked_explainer(target, options, compute)?;
        Ok(inner.map(|inner| -> Box<dyn BlockedExplainer + 'a> {
            Box::new(RescaledBlocked { inner, model: self })
        }))
    }

    fn blocked_scores(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        target: Target,
        compute: &Compute,
    ) -> Option<Vec<f64>> {
        self.isotropic().blocked_scores(
            self.rescale(points).view(),
            rows,
            leave_one_out,
            target,
            compute,
        )
    }

    fn approximate_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
        tolerance: f64,
        tiles: Tiles,
    ) -> Result<Box<dyn ApproxExplainer + 'a>> {
        Ok(Box::new(RescaledApprox {
            inner: self
                .isotropic()
                .approximate_explainer(target, options, tolerance, tiles)?,
            model: self,
        }))
    }

    fn differentiable<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn DifferentiableScore + 'a>> {
        Ok(Box::new(RescaledScore {
            inner: self.isotropic().differentiable(target, options)?,
            scale: self.scale(),
        }))
    }
}

/// The per-point network of the rescaled KDE, fed `s ∘ x`.
struct Rescaled<'a> {
    inner: Box<dyn PointExplainer + 'a>,
    scale: ArrayView1<'a, f64>,
}

impl PointExplainer for Rescaled<'_> {
    fn target(&self) -> Target {
        self.inner.target()
    }

    fn n_features(&self) -> usize {
        self.inner.n_features()
    }

    fn score(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> f64 {
        self.inner.score((&x * &self.scale).view(), exclude)
    }

    fn explain(&self, x: ArrayView1<f64>, exclude: Option<usize>, row: usize) -> Explanation {
        self.inner.explain((&x * &self.scale).view(), exclude, row)
    }
}

/// The blocked kernels of the rescaled KDE, fed the rescaled rows.
struct RescaledBlocked<'a> {
    inner: Box<dyn BlockedExplainer + 'a>,
    model: &'a DiagonalKde,
}

impl BlockedExplainer for RescaledBlocked<'_> {
    fn explain(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<Explanation> {
        let z = self.model.rescale(points);
        self.inner.explain(z.view(), rows, leave_one_out, progress)
    }

    fn fallbacks(&self) -> usize {
        self.inner.fallbacks()
    }
}

/// The approximate outlier explainer of the rescaled KDE, fed the rescaled rows.
struct RescaledApprox<'a> {
    inner: Box<dyn ApproxExplainer + 'a>,
    model: &'a DiagonalKde,
}

impl ApproxExplainer for RescaledApprox<'_> {
    fn explain(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<(Explanation, ApproxBound)> {
        let z = self.model.rescale(points);
        self.inner.explain(z.view(), rows, leave_one_out, progress)
    }
}

/// The rescaled KDE's target as a function of `x`: `f(s ∘ x)`, gradient `s ∘ ∇f(s ∘ x)`.
struct RescaledScore<'a> {
    inner: Box<dyn DifferentiableScore + 'a>,
    scale: ArrayView1<'a, f64>,
}

impl DifferentiableScore for RescaledScore<'_> {
    fn at<'s>(&'s self, x: ArrayView1<f64>, exclude: Option<usize>) -> Box<dyn LocalScore + 's> {
        Box::new(RescaledLocal {
            inner: self.inner.at((&x * &self.scale).view(), exclude),
            scale: self.scale.view(),
        })
    }
}

/// One explained point's function of the rescaled KDE.
struct RescaledLocal<'s> {
    inner: Box<dyn LocalScore + 's>,
    scale: ArrayView1<'s, f64>,
}

impl LocalScore for RescaledLocal<'_> {
    fn value(&self, z: ArrayView1<f64>) -> f64 {
        self.inner.value((&z * &self.scale).view())
    }

    fn gradient(&self, z: ArrayView1<f64>) -> Array1<f64> {
        self.inner.gradient((&z * &self.scale).view()) * self.scale
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }

    fn cluster(&self) -> Option<usize> {
        self.inner.cluster()
    }
}
