//! The unsupervised models neon explains. Each model is one folder (`kde/`, `kmeans/`) that
//! implements [`Model`] and states its [`Capabilities`], and one row in [`REGISTRY`] (plus its
//! variant of [`FittedModel`], the tagged form model files store). Fitting, scoring,
//! explaining, the baselines and model files dispatch through [`Model`]; the CLI and the
//! conformance tests iterate over the registry.

#[cfg(test)]
mod batch_tests;
pub mod gmm;
pub mod kde;
pub mod kde_diagonal;
pub mod kmeans;
pub mod ocsvm;

pub use crate::engine::{resolve_rows, BatchExplainer, Model, Queries};
pub use crate::explain::PointExplainer;
pub use crate::options::{Capabilities, ExplainOptions, RuleSet, Target};

pub use crate::engine::{FitParam, FitValues, ParamKind, ParamValue, RuleOfThumb};

use crate::engine::{ApproxExplainer, BlockedExplainer, DifferentiableScore};
use crate::error::{NeonError, Result};
use crate::explain::Explanation;
use crate::kernels::{Compute, Tiles};
use crate::options::check_target_rule;
use ndarray::{Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use gmm::{CovarianceType, GaussianMixture, GmmParams};
pub use kde::{Kde, KdeParams};
pub use kde_diagonal::{DiagonalKde, DiagonalKdeParams};
pub use kmeans::{KMeans, KMeansParams};
pub use ocsvm::{OcsvmParams, OneClassSvm};

/// A fitted model of any registered kind: the tagged form model files store. Every method
/// dispatches through [`Model`]; [`FittedModel::model`] is the one place that matches on the
/// kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FittedModel {
    /// Gaussian kernel density estimation.
    Kde(Kde),
    /// k-means clustering.
    Kmeans(KMeans),
    /// One-class SVM with an RBF kernel.
    Ocsvm(OneClassSvm),
    /// Gaussian mixture.
    Gmm(GaussianMixture),
    /// Gaussian kernel density estimation with one kernel parameter per feature.
    #[serde(rename = "kde-diagonal")]
    KdeDiagonal(DiagonalKde),
}

impl From<DiagonalKde> for FittedModel {
    fn from(model: DiagonalKde) -> Self {
        FittedModel::KdeDiagonal(model)
    }
}

impl From<Kde> for FittedModel {
    fn from(model: Kde) -> Self {
        FittedModel::Kde(model)
    }
}

impl From<GaussianMixture> for FittedModel {
    fn from(model: GaussianMixture) -> Self {
        FittedModel::Gmm(model)
    }
}

impl From<OneClassSvm> for FittedModel {
    fn from(model: OneClassSvm) -> Self {
        FittedModel::Ocsvm(model)
    }
}

impl From<KMeans> for FittedModel {
    fn from(model: KMeans) -> Self {
        FittedModel::Kmeans(model)
    }
}

/// One registered model kind.
#[derive(Debug, Clone, Copy)]
pub struct ModelEntry {
    /// Name used on the command line and in model files.
    pub name: &'static str,
    /// One line that says what the model is (the CLI's help for `neon fit NAME`).
    pub about: &'static str,
    /// The targets the model explains and the rule sets of each (the first are the defaults).
    pub capabilities: Capabilities,
    /// The fit parameters, with their defaults.
    pub params: &'static [FitParam],
    /// Fit the model on `points` (model space) with checked parameter values.
    pub fit: fn(&FitValues, ArrayView2<f64>) -> Result<FittedModel>,
    /// Import a model fitted elsewhere from a matrix instead of fitting it, if the model can.
    pub import: Option<Import>,
    /// Fit the model with default parameters on `points` (for conformance tests and examples).
    pub fit_default: fn(ArrayView2<f64>) -> Result<FittedModel>,
}

/// How a model is imported from a matrix fitted elsewhere (k-means centroids, one-class SVM
/// support vectors).
#[derive(Debug, Clone, Copy)]
pub struct Import {
    /// Name of the matrix (`centroids`); the CLI's flag.
    pub name: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// Columns the matrix has after the feature columns (a one-class SVM's `alpha`).
    pub extra_columns: &'static [&'static str],
    /// Fit parameters the import also reads (a one-class SVM's `gamma`).
    pub uses: &'static [&'static str],
    /// Parameters only an import takes (a one-class SVM's offset `rho`).
    pub params: &'static [FitParam],
    /// Build the model from the matrix (one row per item, in model space, feature columns then
    /// [`Import::extra_columns`]), the checked values of the fit parameters it uses and of
    /// its own [`Import::params`], and the training points.
    pub build: fn(Array2<f64>, &FitValues, ArrayView2<f64>) -> Result<FittedModel>,
}

/// The registry of model kinds: one row per model folder.
pub const REGISTRY: &[ModelEntry] = &[
    ModelEntry {
        name: kde::NAME,
        about: "Gaussian kernel density estimation (§3 of the chapter).",
        capabilities: kde::CAPABILITIES,
        params: kde::FIT_PARAMS,
        fit: |values, points| Ok(Kde::fit(KdeParams::from_values(values)?, points)?.into()),
        import: None,
        fit_default: |points| Ok(Kde::fit(KdeParams::new(1.0), points)?.into()),
    },
    ModelEntry {
        name: kmeans::NAME,
        about: "k-means clustering (§4), fitted here or imported from centroids.",
        capabilities: kmeans::CAPABILITIES,
        params: kmeans::FIT_PARAMS,
        fit: |values, points| Ok(KMeans::fit(KMeansParams::from_values(values)?, points)?.into()),
        import: Some(Import {
            name: "centroids",
            help: "Import centroids fitted elsewhere (CSV, one row per cluster, in the \
                   transformed space, same column order); no refit.",
            extra_columns: &[],
            uses: &[],
            params: &[],
            build: |centroids, _, points| Ok(KMeans::from_centroids(centroids, points)?.into()),
        }),
        fit_default: |points| {
            Ok(KMeans::fit(KMeansParams::new(3.min(points.nrows())), points)?.into())
        },
    },
    ModelEntry {
        name: ocsvm::NAME,
        about: "One-class SVM with an RBF kernel (ν formulation, as scikit-learn's OneClassSVM), \
                fitted here or imported from support vectors and dual coefficients.",
        capabilities: ocsvm::CAPABILITIES,
        params: ocsvm::FIT_PARAMS,
        fit: |values, points| {
            Ok(OneClassSvm::fit(OcsvmParams::from_values(values)?, points)?.into())
        },
        import: Some(Import {
            name: "support_vectors",
            help: "Import a one-class SVM fitted elsewhere: CSV of the support vectors (in the \
                   transformed space, same column names) with a last column `alpha` holding \
                   their dual coefficients (scikit-learn: support_vectors_, dual_coef_[0]); \
                   give --gamma and --rho too; no refit.",
            extra_columns: &["alpha"],
            uses: &["gamma"],
            params: ocsvm::IMPORT_PARAMS,
            build: |matrix, values, points| {
                let d = matrix.ncols().saturating_sub(1);
                let alpha = matrix.column(d).to_vec();
                let support_vectors = matrix.slice(ndarray::s![.., ..d]).to_owned();
                Ok(OneClassSvm::from_parts(
                    support_vectors,
                    alpha,
                    values.real("rho")?,
                    values.real("gamma")?,
                    points,
                )?
                .into())
            },
        }),
        fit_default: |points| {
            let gamma = (ocsvm::GAMMA_RULE_OF_THUMB.compute)(points).unwrap_or(1.0);
            Ok(OneClassSvm::fit(OcsvmParams::new(0.5, gamma), points)?.into())
        },
    },
    ModelEntry {
        name: gmm::NAME,
        about: "Gaussian mixture (full, tied, diag or spherical covariances) fitted by EM \
                from k-means++ starts, as scikit-learn's GaussianMixture.",
        capabilities: gmm::CAPABILITIES,
        params: gmm::FIT_PARAMS,
        fit: |values, points| {
            Ok(GaussianMixture::fit(GmmParams::from_values(values)?, points)?.into())
        },
        import: None,
        fit_default: |points| {
            let k = 2.min(points.nrows());
            Ok(GaussianMixture::fit(GmmParams::new(k, CovarianceType::Spherical), points)?.into())
        },
    },
    ModelEntry {
        name: kde_diagonal::NAME,
        about: "Gaussian kernel density estimation with one kernel parameter per feature \
                (bandwidth h_i = c σ_i), explained by the §3 rules weighted by γ_i.",
        capabilities: kde::CAPABILITIES,
        params: kde_diagonal::FIT_PARAMS,
        fit: |values, points| {
            Ok(DiagonalKde::fit(DiagonalKdeParams::from_values(values)?, points)?.into())
        },
        import: None,
        fit_default: |points| {
            let rule = kde::bandwidth::BandwidthRule::Scott;
            Ok(DiagonalKde::fit(DiagonalKdeParams::Rule(rule), points)?.into())
        },
    },
];

impl ModelEntry {
    /// The parameters an import of this model reads: the fit parameters it uses (a one-class
    /// SVM's `gamma`), then its own (`rho`); `None` when the model is not imported.
    pub fn import_params(&self) -> Option<Vec<FitParam>> {
        self.import.map(|import| {
            self.params
                .iter()
                .filter(|p| import.uses.contains(&p.name))
                .chain(import.params)
                .copied()
                .collect()
        })
    }

    /// The targets the model explains (the first is the default).
    pub fn targets(&self) -> impl Iterator<Item = Target> + '_ {
        self.capabilities.iter().map(|(t, _)| *t)
    }

    /// The default target.
    pub fn default_target(&self) -> Option<Target> {
        self.targets().next()
    }

    /// The rule sets that apply to `target` (empty if the model does not explain it).
    pub fn rules_for(&self, target: Target) -> &'static [RuleSet] {
        self.capabilities
            .iter()
            .find(|(t, _)| *t == target)
            .map_or(&[], |(_, rules)| rules)
    }

    /// Check that the model explains `target` with `rule`; the error names what applies.
    pub fn check(&self, target: Target, rule: RuleSet) -> Result<()> {
        check_target_rule(self.name, self.capabilities, target, rule)
    }
}

/// The registry row of model `name`.
pub fn entry(name: &str) -> Option<&'static ModelEntry> {
    REGISTRY.iter().find(|e| e.name == name)
}

impl FittedModel {
    /// The model behind the tag.
    pub fn model(&self) -> &dyn Model {
        match self {
            FittedModel::Kde(m) => m,
            FittedModel::Kmeans(m) => m,
            FittedModel::Ocsvm(m) => m,
            FittedModel::Gmm(m) => m,
            FittedModel::KdeDiagonal(m) => m,
        }
    }

    /// Registry name of the model kind.
    pub fn name(&self) -> &'static str {
        self.model().name()
    }

    /// The registry entry of this model.
    pub fn entry(&self) -> Option<&'static ModelEntry> {
        entry(self.name())
    }

    /// The default target (the first the model lists).
    pub fn default_target(&self) -> Target {
        self.model()
            .capabilities()
            .first()
            .map_or(Target::Outlier, |(t, _)| *t)
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.model().n_features()
    }

    /// The training points (model space).
    pub fn training_points(&self) -> ArrayView2<'_, f64> {
        self.model().training_points()
    }

    /// Prepare an explainer for `target`.
    pub fn explainer(
        &self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn PointExplainer + '_>> {
        self.model().point_explainer(target, options)
    }

    /// Explain `rows` (all rows when `None`) of the queries, in parallel; `progress` is called
    /// once per finished row. The result is in row order and identical for any thread count.
    /// From [`crate::kernels::BATCH_MIN_ROWS`] rows on, the blocked kernels of [`crate::kernels`] are
    /// used (equal to the per-point path to about `1e-12`; see there).
    pub fn explain_rows<'a>(
        &'a self,
        queries: Queries<'a>,
        rows: Option<&[usize]>,
        target: Target,
        options: &ExplainOptions,
        progress: &(dyn Fn() + Sync),
    ) -> Result<Vec<Explanation>> {
        self.explain_rows_with(
            queries,
            rows,
            target,
            options,
            &Compute::default(),
            progress,
        )
    }

    /// [`FittedModel::explain_rows`] with an explicit path, precision and tile sizes.
    pub fn explain_rows_with<'a>(
        &'a self,
        queries: Queries<'a>,
        rows: Option<&[usize]>,
        target: Target,
        options: &ExplainOptions,
        compute: &Compute,
        progress: &(dyn Fn() + Sync),
    ) -> Result<Vec<Explanation>> {
        let (points, _) = self.query_points(queries);
        let rows = resolve_rows(rows, points.nrows())?;
        self.check_width(points)?;
        let explainer = BatchExplainer::new(self, target, options, compute, rows.len())?;
        Ok(explainer.explain(queries, &rows, &|n| (0..n).for_each(|_| progress())))
    }

    /// Scores of `rows` (all rows when `None`) of the queries, in parallel.
    pub fn score_rows<'a>(
        &'a self,
        queries: Queries<'a>,
        rows: Option<&[usize]>,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Vec<f64>> {
        let explainer = self.explainer(target, options)?;
        let (points, loo) = self.query_points(queries);
        let rows = resolve_rows(rows, points.nrows())?;
        self.check_width(points)?;
        let compute = Compute::default();
        if compute.batched(rows.len()) {
            if let Some(scores) = self
                .model()
                .blocked_scores(points, &rows, loo, target, &compute)
            {
                return Ok(scores);
            }
        }
        Ok(rows
            .par_iter()
            .map(|&row| explainer.score(points.row(row), loo.then_some(row)))
            .collect())
    }

    /// The cluster of each of `rows` of the queries, for clustering models (`None` for the
    /// others).
    pub fn clusters<'a>(&'a self, queries: Queries<'a>, rows: &[usize]) -> Option<Vec<usize>> {
        let (points, _) = self.query_points(queries);
        rows.iter()
            .map(|&r| self.model().cluster_of(points.row(r)))
            .collect()
    }

    fn check_width(&self, points: ArrayView2<f64>) -> Result<()> {
        if points.ncols() != self.n_features() {
            return Err(NeonError::ShapeMismatch {
                what: "query points vs model features".into(),
                expected: format!("{} columns", self.n_features()),
                found: format!("{} columns", points.ncols()),
            });
        }
        Ok(())
    }

    /// The points the queries stand for, and whether they are the training rows explained
    /// leave-one-out.
    pub fn query_points<'a>(&'a self, queries: Queries<'a>) -> (ArrayView2<'a, f64>, bool) {
        queries.points(self.model())
    }
}

/// `FittedModel` is itself a [`Model`] (each method forwards to [`FittedModel::model`]), so
/// the engine takes either.
impl Model for FittedModel {
    fn name(&self) -> &'static str {
        self.model().name()
    }
    fn capabilities(&self) -> Capabilities {
        self.model().capabilities()
    }
    fn n_features(&self) -> usize {
        self.model().n_features()
    }
    fn training_points(&self) -> ArrayView2<'_, f64> {
        self.model().training_points()
    }
    fn validate(&self) -> Result<()> {
        self.model().validate()
    }
    fn summary(&self) -> String {
        self.model().summary()
    }
    fn default_beta(&self) -> f64 {
        self.model().default_beta()
    }
    fn point_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn PointExplainer + 'a>> {
        self.model().point_explainer(target, options)
    }
    fn blocked_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
        compute: &Compute,
    ) -> Result<Option<Box<dyn BlockedExplainer + 'a>>> {
        self.model().blocked_explainer(target, options, compute)
    }
    fn blocked_scores(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        target: Target,
        compute: &Compute,
    ) -> Option<Vec<f64>> {
        self.model()
            .blocked_scores(points, rows, leave_one_out, target, compute)
    }
    fn approximate_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
        tolerance: f64,
        tiles: Tiles,
    ) -> Result<Box<dyn ApproxExplainer + 'a>> {
        self.model()
            .approximate_explainer(target, options, tolerance, tiles)
    }
    fn differentiable<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn DifferentiableScore + 'a>> {
        self.model().differentiable(target, options)
    }
    fn cluster_of(&self, x: ArrayView1<f64>) -> Option<usize> {
        self.model().cluster_of(x)
    }
}
