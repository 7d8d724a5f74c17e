//! The unsupervised models neon explains. Each model is one folder (`kde/`, `kmeans/`) and one
//! entry in [`REGISTRY`], which the CLI and the conformance tests iterate over.

mod batch;
#[cfg(test)]
mod batch_tests;
pub mod kde;
pub mod kmeans;

pub use batch::BatchExplainer;

use crate::error::{NeonError, Result};
use crate::explain::Explanation;
use crate::kernels;
use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use kde::{Kde, KdeParams};
pub use kmeans::{KMeans, KMeansParams};

/// The prediction to explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// KDE outlierness `o(x) = −(1/γ) log p̃(x)` (§3.1).
    Outlier,
    /// KDE inlierness `p̃(x)`, direct uniform explanation (§3.2).
    Inlier,
    /// KDE inlierness through random Fourier features, `î(x)` (§3.3).
    InlierRff,
    /// k-means cluster evidence `f_c(x)` (Eq. 5, §4.1).
    Cluster,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 4] = [
        Target::Outlier,
        Target::Inlier,
        Target::InlierRff,
        Target::Cluster,
    ];
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Target::Outlier => "outlier",
            Target::Inlier => "inlier",
            Target::InlierRff => "inlier-rff",
            Target::Cluster => "cluster",
        })
    }
}

impl std::str::FromStr for Target {
    type Err = NeonError;
    fn from_str(s: &str) -> Result<Self> {
        Target::ALL
            .into_iter()
            .find(|t| t.to_string() == s)
            .ok_or_else(|| {
                NeonError::param(
                    "target",
                    format!(
                        "unknown target '{s}' (expected outlier, inlier, inlier-rff or cluster)"
                    ),
                )
            })
    }
}

/// The family of LRP rules that carries relevance from the network's top layer to the input
/// features. A rule set is chosen per explanation ([`ExplainOptions::rule`]); which sets apply
/// to which target is listed in the model's [`REGISTRY`] row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleSet {
    /// The chapter's rules (§3–§4): squared-distance rule, uniform rule, w² rule.
    #[default]
    Standard,
    /// Appendix A: only activated inputs (`x_i ≠ 0`) receive relevance; the part that cannot
    /// be grounded on them (`R^res`) is reported as dissipated. Meant for non-negative
    /// features (CNN activations, counts); on other data it still conserves.
    Grounded,
    /// k-means only: each competitor's linear unit is decomposed around the midpoint of the two
    /// centroids (Kauffmann et al. 2022), `R_i ∝ w_ik (x − (μ_c + μ_k)/2)_i`.
    Midpoint,
}

impl RuleSet {
    /// Every rule set.
    pub const ALL: [RuleSet; 3] = [RuleSet::Standard, RuleSet::Grounded, RuleSet::Midpoint];
}

impl std::fmt::Display for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RuleSet::Standard => "standard",
            RuleSet::Grounded => "grounded",
            RuleSet::Midpoint => "midpoint",
        })
    }
}

impl std::str::FromStr for RuleSet {
    type Err = NeonError;
    fn from_str(s: &str) -> Result<Self> {
        RuleSet::ALL
            .into_iter()
            .find(|r| r.to_string() == s)
            .ok_or_else(|| {
                NeonError::param(
                    "rule",
                    format!("unknown rule set '{s}' (expected standard, grounded or midpoint)"),
                )
            })
    }
}

/// Options of the explanation rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExplainOptions {
    /// Stiffness β of the soft argmin. `None`: β = γ for KDE outliers (§3.1), and the
    /// data-derived `β = 1 / mean f_c` for k-means (scale-free; see [`KMeans::beta_auto`]).
    pub beta: Option<f64>,
    /// Stabiliser ε of the squared-distance rule (§3.1).
    pub epsilon: f64,
    /// Number H of random features (§3.3).
    pub n_features: usize,
    /// Number of independent random-feature draws; mean and std are reported.
    pub trials: usize,
    /// Seed of the random features.
    pub seed: u64,
    /// The rule set (see [`RuleSet`]).
    pub rule: RuleSet,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        ExplainOptions {
            beta: None,
            epsilon: kde::DEFAULT_EPSILON,
            n_features: 2500,
            trials: 1,
            seed: 0,
            rule: RuleSet::Standard,
        }
    }
}

impl ExplainOptions {
    /// Check the options.
    pub fn validate(&self) -> Result<()> {
        if let Some(beta) = self.beta {
            if !(beta.is_finite() && beta >= 0.0) {
                return Err(NeonError::param(
                    "beta",
                    format!("must be a finite number >= 0, got {beta}"),
                ));
            }
        }
        if !(self.epsilon.is_finite() && self.epsilon >= 0.0) {
            return Err(NeonError::param(
                "epsilon",
                format!("must be a finite number >= 0, got {}", self.epsilon),
            ));
        }
        if self.n_features == 0 {
            return Err(NeonError::param("n_features", "must be at least 1"));
        }
        if self.trials == 0 {
            return Err(NeonError::param("trials", "must be at least 1"));
        }
        Ok(())
    }
}

/// A model prepared to score and explain one target, point by point.
pub trait PointExplainer: Sync {
    /// The target it explains.
    fn target(&self) -> Target;
    /// Number of input features.
    fn n_features(&self) -> usize;
    /// The model's score `f(x)`; `exclude` leaves training point `exclude` out (leave-one-out).
    fn score(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> f64;
    /// The explanation of `f(x)`, labelled with data row `row`.
    fn explain(&self, x: ArrayView1<f64>, exclude: Option<usize>, row: usize) -> Explanation;
}

/// A fitted model of any registered kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FittedModel {
    /// Gaussian kernel density estimation.
    Kde(Kde),
    /// k-means clustering.
    Kmeans(KMeans),
}

/// One registered model kind.
#[derive(Debug, Clone, Copy)]
pub struct ModelEntry {
    /// Name used on the command line and in model files.
    pub name: &'static str,
    /// Targets the model explains (the first is the default).
    pub targets: &'static [Target],
    /// Rule sets per target, in the order of `targets` (the first is the default).
    pub rules: &'static [&'static [RuleSet]],
    /// Fit the model with default parameters on `points` (for conformance tests and examples).
    pub fit_default: fn(ArrayView2<f64>) -> Result<FittedModel>,
}

/// The registry of model kinds.
pub const REGISTRY: &[ModelEntry] = &[
    ModelEntry {
        name: "kde",
        targets: &[Target::Outlier, Target::Inlier, Target::InlierRff],
        rules: &[
            &[RuleSet::Standard, RuleSet::Grounded],
            &[RuleSet::Standard],
            &[RuleSet::Standard, RuleSet::Grounded],
        ],
        fit_default: |points| Ok(FittedModel::Kde(Kde::fit(KdeParams::new(1.0), points)?)),
    },
    ModelEntry {
        name: "kmeans",
        targets: &[Target::Cluster],
        rules: &[&[RuleSet::Standard, RuleSet::Grounded, RuleSet::Midpoint]],
        fit_default: |points| {
            Ok(FittedModel::Kmeans(KMeans::fit(
                KMeansParams::new(3.min(points.nrows())),
                points,
            )?))
        },
    },
];

impl ModelEntry {
    /// The rule sets that apply to `target` (empty if the model does not explain it).
    pub fn rules_for(&self, target: Target) -> &'static [RuleSet] {
        self.targets
            .iter()
            .position(|&t| t == target)
            .and_then(|i| self.rules.get(i).copied())
            .unwrap_or(&[])
    }

    /// Check that the model explains `target` with `rule`; the error names what applies.
    pub fn check(&self, target: Target, rule: RuleSet) -> Result<()> {
        let list = |items: Vec<String>| items.join(", ");
        if !self.targets.contains(&target) {
            return Err(NeonError::UnsupportedTarget {
                model: self.name.into(),
                target: target.to_string(),
                supported: list(self.targets.iter().map(|t| t.to_string()).collect()),
            });
        }
        let rules = self.rules_for(target);
        if !rules.contains(&rule) {
            return Err(NeonError::UnsupportedRule {
                model: self.name.into(),
                target: target.to_string(),
                rule: rule.to_string(),
                supported: list(rules.iter().map(|r| r.to_string()).collect()),
            });
        }
        Ok(())
    }
}

/// The registry row of model `name`.
pub fn entry(name: &str) -> Option<&'static ModelEntry> {
    REGISTRY.iter().find(|e| e.name == name)
}

/// Check `target` and `rule` against the registry row of model `name` (every model's
/// `explainer` calls this, so the table in [`REGISTRY`] is the one place that says what
/// applies).
pub(crate) fn check_target_rule(name: &str, target: Target, rule: RuleSet) -> Result<()> {
    match entry(name) {
        Some(e) => e.check(target, rule),
        None => Err(NeonError::param("model", format!("unknown model '{name}'"))),
    }
}

/// Which points to explain.
#[derive(Debug, Clone, Copy)]
pub enum Queries<'a> {
    /// The model's own training rows, each against the model without that row (KDE, §5.1);
    /// k-means explains them against its fitted centroids (no refit).
    LeaveOneOut,
    /// New points (already in model space).
    Points(ArrayView2<'a, f64>),
}

impl FittedModel {
    /// Registry name of the model kind.
    pub fn name(&self) -> &'static str {
        match self {
            FittedModel::Kde(_) => "kde",
            FittedModel::Kmeans(_) => "kmeans",
        }
    }

    /// The registry entry of this model.
    pub fn entry(&self) -> Option<&'static ModelEntry> {
        entry(self.name())
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        match self {
            FittedModel::Kde(m) => m.n_features(),
            FittedModel::Kmeans(m) => m.n_features(),
        }
    }

    /// The training points (model space).
    pub fn training_points(&self) -> ArrayView2<'_, f64> {
        match self {
            FittedModel::Kde(m) => m.points.view(),
            FittedModel::Kmeans(m) => m.points.view(),
        }
    }

    /// Prepare an explainer for `target`.
    pub fn explainer(
        &self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn PointExplainer + '_>> {
        Ok(match self {
            FittedModel::Kde(m) => Box::new(m.explainer(target, options)?),
            FittedModel::Kmeans(m) => Box::new(m.explainer(target, options)?),
        })
    }

    /// Explain `rows` (all rows when `None`) of the queries, in parallel; `progress` is called
    /// once per finished row. The result is in row order and identical for any thread count.
    /// From [`kernels::BATCH_MIN_ROWS`] rows on, the blocked kernels of [`crate::kernels`] are
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
            &kernels::Compute::default(),
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
        compute: &kernels::Compute,
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
        let compute = kernels::Compute::default();
        if compute.batched(rows.len()) {
            if let Some(scores) = batch::score_rows(self, points, &rows, loo, target, &compute) {
                return Ok(scores);
            }
        }
        Ok(rows
            .par_iter()
            .map(|&row| explainer.score(points.row(row), loo.then_some(row)))
            .collect())
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
        match queries {
            Queries::LeaveOneOut => (self.training_points(), true),
            Queries::Points(p) => (p, false),
        }
    }
}

/// Check row indices against `n_rows`; `None` means every row.
pub fn resolve_rows(rows: Option<&[usize]>, n_rows: usize) -> Result<Vec<usize>> {
    match rows {
        None => Ok((0..n_rows).collect()),
        Some(rows) => {
            if let Some(&row) = rows.iter().find(|&&r| r >= n_rows) {
                return Err(NeonError::RowOutOfRange { row, n_rows });
            }
            Ok(rows.to_vec())
        }
    }
}
