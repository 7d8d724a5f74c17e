//! The engine every model plugs into. A model implements [`Model`] in its own folder; the
//! registry ([`crate::models::REGISTRY`]) lists it; fitting, scoring, explaining (per point,
//! blocked, approximate), the baselines' gradients and model files all dispatch through this
//! trait, so nothing outside the model's folder matches on the kind of model.
//!
//! A leaf of the module graph: it reads the options, the explanation type and the kernels'
//! compute settings, and nothing of `models/`.

use crate::error::{NeonError, Result};
use crate::explain::{Explanation, PointExplainer};
use crate::kernels::{Compute, Tiles};
use crate::options::{Capabilities, ExplainOptions, Target};
use ndarray::{Array1, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// What a fitted model provides to the engine.
pub trait Model: std::fmt::Debug + Sync {
    /// Registry name (`kde`, `kmeans`), used on the command line and in model files.
    fn name(&self) -> &'static str;
    /// Targets and rule sets this model explains (see [`Capabilities`]).
    fn capabilities(&self) -> Capabilities;
    /// Number of input features.
    fn n_features(&self) -> usize;
    /// The training points, in model space.
    fn training_points(&self) -> ArrayView2<'_, f64>;
    /// Check a fitted state that did not come from `fit` (a model file): the error says what
    /// is inconsistent.
    fn validate(&self) -> Result<()>;
    /// One line that describes the fitted model (sizes, fitted quantities), for messages.
    fn summary(&self) -> String;
    /// The stiffness β used when [`ExplainOptions::beta`] is `None`.
    fn default_beta(&self) -> f64;
    /// The stiffness of the chapter's setting (β = γ over squared distances, §3.1), the unit
    /// of an evaluation's β sweep ([`crate::compare::NeonVariant`]); the default β unless the
    /// model's default departs from the chapter.
    fn chapter_beta(&self) -> f64 {
        self.default_beta()
    }
    /// The per-point network for `target`: the reference every other path is tested against.
    fn point_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn PointExplainer + 'a>>;
    /// The blocked kernels for `target` and the rule set of `options`, if the model has them
    /// (`None`: the per-point network serves every row). Validates like `point_explainer`.
    fn blocked_explainer<'a>(
        &'a self,
        _target: Target,
        _options: &ExplainOptions,
        _compute: &Compute,
    ) -> Result<Option<Box<dyn BlockedExplainer + 'a>>> {
        Ok(None)
    }
    /// Blocked scores of `rows` of `points`, if the model has a blocked path for `target`.
    fn blocked_scores(
        &self,
        _points: ArrayView2<f64>,
        _rows: &[usize],
        _leave_one_out: bool,
        _target: Target,
        _compute: &Compute,
    ) -> Option<Vec<f64>> {
        None
    }
    /// An approximate explainer with a per-row error bound (`tolerance` on the neglected
    /// kernel mass), where the model has one.
    fn approximate_explainer<'a>(
        &'a self,
        target: Target,
        _options: &ExplainOptions,
        _tolerance: f64,
        _tiles: Tiles,
    ) -> Result<Box<dyn ApproxExplainer + 'a>> {
        Err(NeonError::param(
            "tolerance",
            format!(
                "no approximate mode for target '{target}' of model '{}'",
                self.name()
            ),
        ))
    }
    /// `target` as a differentiable function of the input, for the baselines.
    fn differentiable<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn DifferentiableScore + 'a>>;
    /// The cluster `x` belongs to, for clustering models.
    fn cluster_of(&self, _x: ArrayView1<f64>) -> Option<usize> {
        None
    }
}

/// Many rows at once through a model's blocked kernels, equal to its per-point network to
/// about `1e-12` (each model tests this in its folder and in `models/batch_tests.rs`).
pub trait BlockedExplainer: Sync {
    /// Explanations of `rows` of `points`, in the order given; `progress` gets the number of
    /// rows finished after each block.
    fn explain(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<Explanation>;
    /// Rows recomputed so far by the per-point path (numerically hard rows).
    fn fallbacks(&self) -> usize {
        0
    }
}

/// Upper bounds on the error of an approximate explanation against the exact one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ApproxBound {
    /// Upper bound on the fraction of the kernel mass `p̃(x)` that was left out.
    pub neglected_mass: f64,
    /// Upper bound on `ô − o(x)` (the reported score is never below the exact one).
    pub score_bound: f64,
    /// Upper bound on `Σ_i |R_i − R̂_i| + |dissipated − dissipated^|`.
    pub relevance_bound: f64,
    /// Number of training points that took part.
    pub n_used: usize,
}

/// An approximate explainer: each explanation comes with its [`ApproxBound`].
pub trait ApproxExplainer: Sync {
    /// Approximate explanations of `rows` of `points` with their bounds.
    fn explain(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<(Explanation, ApproxBound)>;
}

/// A model's target as a function `f: ℝ^d → ℝ` with an analytic gradient, prepared once
/// (random features drawn as for NEON).
pub trait DifferentiableScore: Sync {
    /// The function around the explained point `x` (training row `exclude` left out): fixes
    /// what belongs to that point (the cluster of `x`, leave-one-out embeddings).
    fn at<'s>(&'s self, x: ArrayView1<f64>, exclude: Option<usize>) -> Box<dyn LocalScore + 's>;
}

/// The score fixed around one explained point.
pub trait LocalScore {
    /// `f(z)`.
    fn value(&self, z: ArrayView1<f64>) -> f64;
    /// `∇f(z)`, analytic.
    fn gradient(&self, z: ArrayView1<f64>) -> Array1<f64>;
    /// Model evaluations one call of `value` or `gradient` costs (one per random-feature
    /// draw).
    fn cost(&self) -> u64 {
        1
    }
    /// The cluster fixed for the explained point (cluster targets).
    fn cluster(&self) -> Option<usize> {
        None
    }
}

/// Check a stored matrix of a model (training points, centroids): every value finite and
/// within ±[`crate::kernels::math::MAX_MAGNITUDE`]; the error names the matrix, row and
/// column.
pub fn check_stored_matrix(name: &str, values: ArrayView2<f64>) -> Result<()> {
    let limit = crate::kernels::math::MAX_MAGNITUDE;
    match values
        .indexed_iter()
        .find(|(_, v)| v.is_nan() || v.abs() > limit)
    {
        Some(((row, col), v)) => Err(NeonError::param(
            name,
            format!(
                "value {v:e} at row {row}, column {col} is not a finite number within ±{limit:e}"
            ),
        )),
        None => Ok(()),
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

impl<'a> Queries<'a> {
    /// The points the queries stand for, and whether they are `model`'s training rows
    /// explained leave-one-out.
    pub fn points(self, model: &'a dyn Model) -> (ArrayView2<'a, f64>, bool) {
        match self {
            Queries::LeaveOneOut => (model.training_points(), true),
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

/// A model prepared once to explain many batches of rows: the random features are drawn and
/// the training data centred here, not per batch. The path — the per-point network, which is
/// the reference, or the blocked kernels — is fixed at preparation from the number of rows to
/// explain ([`Compute::batched`]), so explaining the rows in one call or chunk by chunk gives
/// the same numbers bit for bit. Rule sets a model has no blocked kernels for (today every set
/// but [`crate::options::RuleSet::Standard`]) take the per-point path.
pub struct BatchExplainer<'a> {
    model: &'a dyn Model,
    target: Target,
    path: Path<'a>,
}

/// The per-point network or the blocked kernels, each prepared once.
enum Path<'a> {
    PerPoint(Box<dyn PointExplainer + 'a>),
    Blocked(Box<dyn BlockedExplainer + 'a>),
}

impl std::fmt::Debug for BatchExplainer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchExplainer")
            .field("model", &self.model.name())
            .field("target", &self.target)
            .field("blocked", &self.is_blocked())
            .finish()
    }
}

impl<'a> BatchExplainer<'a> {
    /// Validate `options` and prepare `model` for `target`, for `n_rows` rows in all (which
    /// decides the path, see [`Compute::batched`]).
    pub fn new(
        model: &'a dyn Model,
        target: Target,
        options: &ExplainOptions,
        compute: &Compute,
        n_rows: usize,
    ) -> Result<Self> {
        // the model knows which rule sets its blocked kernels implement (today: standard)
        let blocked = if compute.batched(n_rows) {
            model.blocked_explainer(target, options, compute)?
        } else {
            None
        };
        let path = match blocked {
            Some(blocked) => Path::Blocked(blocked),
            None => Path::PerPoint(model.point_explainer(target, options)?),
        };
        Ok(BatchExplainer {
            model,
            target,
            path,
        })
    }

    /// True if the rows go through the blocked kernels, false for the per-point networks.
    pub fn is_blocked(&self) -> bool {
        matches!(self.path, Path::Blocked(_))
    }

    /// Rows recomputed so far by the per-point path (see [`BlockedExplainer::fallbacks`]).
    pub fn fallbacks(&self) -> usize {
        match &self.path {
            Path::Blocked(blocked) => blocked.fallbacks(),
            Path::PerPoint(_) => 0,
        }
    }

    /// Explanations of `rows` of the queries, in the order given (duplicates repeated). On the
    /// blocked path `progress` gets the number of rows finished after each block, on the
    /// per-point path 1 per row. Rows must be in range.
    pub fn explain(
        &self,
        queries: Queries<'_>,
        rows: &[usize],
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<Explanation> {
        let (points, leave_one_out): (ArrayView2<'_, f64>, bool) = match queries {
            Queries::LeaveOneOut => (self.model.training_points().reborrow(), true),
            Queries::Points(p) => (p.reborrow(), false),
        };
        match &self.path {
            Path::Blocked(blocked) => blocked.explain(points, rows, leave_one_out, progress),
            Path::PerPoint(point) => rows
                .par_iter()
                .map(|&row| {
                    let e = point.explain(points.row(row), leave_one_out.then_some(row), row);
                    progress(1);
                    e
                })
                .collect(),
        }
    }
}

/// The kind of value a fit parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A real number (may be given negative; the model's check refuses what it must).
    Real,
    /// A non-negative integer (counts, iterations).
    Count,
    /// A 64-bit seed.
    Seed,
    /// One of a fixed list of names (a Gaussian mixture's covariance type).
    Choice(&'static [&'static str]),
}

/// One hyperparameter of a model's fit, as its registry row lists it: the CLI makes a flag of
/// it (`n_clusters` → `--n-clusters`), the Python package a keyword argument.
#[derive(Debug, Clone, Copy)]
pub struct FitParam {
    /// Name, as the chapter and the library spell it.
    pub name: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// Kind of value.
    pub kind: ParamKind,
    /// Default; `None` makes the parameter required (unless the model is imported).
    pub default: Option<ParamValue>,
    /// For a required parameter: how to suggest a value from the data when it is missing.
    pub rule_of_thumb: Option<RuleOfThumb>,
    /// Another parameter that can be given instead of this required one (a KDE's `gamma` or
    /// `bandwidth`): exactly one of the two must be given.
    pub alternative: Option<&'static str>,
}

/// A data-derived suggestion for a required parameter, shown when the parameter is missing
/// (never applied silently).
#[derive(Debug, Clone, Copy)]
pub struct RuleOfThumb {
    /// The rule, in words.
    pub text: &'static str,
    /// The suggested value on `points` (model space); `None` where the rule does not apply.
    pub compute: fn(ArrayView2<f64>) -> Option<f64>,
}

/// The value of a fit parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamValue {
    /// A real number.
    Real(f64),
    /// An integer (count or seed).
    Integer(u64),
    /// One of the names of a [`ParamKind::Choice`].
    Choice(&'static str),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Real(v) => write!(f, "{v}"),
            ParamValue::Integer(v) => write!(f, "{v}"),
            ParamValue::Choice(v) => write!(f, "{v}"),
        }
    }
}

impl ParamKind {
    /// Parse `text` as a value of this kind; the error names the parameter.
    pub fn parse(self, name: &str, text: &str) -> Result<ParamValue> {
        let bad = |what: &str| NeonError::param(name, format!("'{text}' is not {what}"));
        match self {
            ParamKind::Real => text
                .trim()
                .parse::<f64>()
                .map(ParamValue::Real)
                .map_err(|_| bad("a number")),
            ParamKind::Count | ParamKind::Seed => text
                .trim()
                .parse::<u64>()
                .map(ParamValue::Integer)
                .map_err(|_| bad("a non-negative integer")),
            ParamKind::Choice(names) => names
                .iter()
                .find(|n| **n == text.trim())
                .map(|n| ParamValue::Choice(n))
                .ok_or_else(|| bad(&format!("one of {}", names.join(", ")))),
        }
    }
}

/// Values of a model's fit parameters, defaults filled in and every name checked against the
/// model's list.
#[derive(Debug, Clone, PartialEq)]
pub struct FitValues {
    values: Vec<(&'static str, ParamValue)>,
}

impl FitValues {
    /// Check `given` (name, value) against `params`: unknown names and values of the wrong
    /// kind are errors; parameters not given take their default; a required one missing is
    /// an error unless `imported` (the model is imported, not fitted).
    pub fn new(params: &[FitParam], given: &[(&str, ParamValue)], imported: bool) -> Result<Self> {
        if let Some((name, _)) = given
            .iter()
            .find(|(name, _)| !params.iter().any(|p| p.name == *name))
        {
            let known: Vec<&str> = params.iter().map(|p| p.name).collect();
            return Err(NeonError::param(
                name,
                format!("unknown parameter (this model takes: {})", known.join(", ")),
            ));
        }
        let is_given = |name: &str| given.iter().any(|(n, _)| *n == name);
        if let Some(p) = params.iter().find(|p| {
            p.alternative
                .is_some_and(|a| is_given(p.name) && is_given(a))
        }) {
            let other = p.alternative.unwrap_or_default();
            return Err(NeonError::param(
                p.name,
                format!("give either {} or {other}, not both", p.name),
            ));
        }
        let mut values = Vec::with_capacity(params.len());
        for p in params {
            let value = given
                .iter()
                .find(|(name, _)| *name == p.name)
                .map(|(_, v)| *v)
                .or(p.default);
            match (value, p.kind) {
                (Some(ParamValue::Integer(_)), ParamKind::Count | ParamKind::Seed)
                | (Some(ParamValue::Real(_)), ParamKind::Real) => {}
                (Some(ParamValue::Choice(v)), ParamKind::Choice(names)) if names.contains(&v) => {}
                (Some(ParamValue::Choice(v)), ParamKind::Choice(names)) => {
                    return Err(NeonError::param(
                        p.name,
                        format!("'{v}' is not one of {}", names.join(", ")),
                    ))
                }
                (Some(other), ParamKind::Choice(names)) => {
                    return Err(NeonError::param(
                        p.name,
                        format!("{other} is not one of {}", names.join(", ")),
                    ))
                }
                (Some(ParamValue::Choice(v)), _) => {
                    return Err(NeonError::param(p.name, format!("'{v}' is not a number")))
                }
                (Some(ParamValue::Integer(v)), ParamKind::Real) => {
                    values.push((p.name, ParamValue::Real(v as f64)));
                    continue;
                }
                (Some(ParamValue::Real(v)), _) => {
                    return Err(NeonError::param(
                        p.name,
                        format!("must be a non-negative integer, got {v}"),
                    ))
                }
                (None, _) if imported => continue,
                (None, _) if p.alternative.is_some_and(is_given) => continue,
                (None, _) => {
                    let text = match p.alternative {
                        Some(other) => format!("is required (or give {other} instead)"),
                        None => "is required".to_string(),
                    };
                    return Err(NeonError::param(p.name, text));
                }
            }
            if let Some(v) = value {
                values.push((p.name, v));
            }
        }
        Ok(FitValues { values })
    }

    /// Whether parameter `name` has a value (given or by default).
    pub fn is_given(&self, name: &str) -> bool {
        self.values.iter().any(|(n, _)| *n == name)
    }

    fn get(&self, name: &str) -> Result<ParamValue> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| NeonError::param(name, "is required"))
    }

    /// A real parameter.
    pub fn real(&self, name: &str) -> Result<f64> {
        match self.get(name)? {
            ParamValue::Real(v) => Ok(v),
            ParamValue::Integer(v) => Ok(v as f64),
            ParamValue::Choice(v) => Err(NeonError::param(name, format!("'{v}' is not a number"))),
        }
    }

    /// A count parameter.
    pub fn count(&self, name: &str) -> Result<usize> {
        match self.get(name)? {
            ParamValue::Integer(v) => {
                usize::try_from(v).map_err(|_| NeonError::param(name, format!("{v} is too large")))
            }
            ParamValue::Real(v) => Err(NeonError::param(
                name,
                format!("must be a non-negative integer, got {v}"),
            )),
            ParamValue::Choice(v) => Err(NeonError::param(
                name,
                format!("must be a non-negative integer, got '{v}'"),
            )),
        }
    }

    /// A choice parameter: one of the names its [`ParamKind::Choice`] lists.
    pub fn choice(&self, name: &str) -> Result<&'static str> {
        match self.get(name)? {
            ParamValue::Choice(v) => Ok(v),
            other => Err(NeonError::param(name, format!("{other} is not a name"))),
        }
    }

    /// A seed parameter.
    pub fn seed(&self, name: &str) -> Result<u64> {
        match self.get(name)? {
            ParamValue::Integer(v) => Ok(v),
            ParamValue::Real(v) => Err(NeonError::param(
                name,
                format!("must be a non-negative integer, got {v}"),
            )),
            ParamValue::Choice(v) => Err(NeonError::param(
                name,
                format!("must be a non-negative integer, got '{v}'"),
            )),
        }
    }

    /// The values, in the order of the model's list (for reports and model files).
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, ParamValue)> + '_ {
        self.values.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: &[FitParam] = &[
        FitParam {
            name: "gamma",
            help: "kernel",
            kind: ParamKind::Real,
            default: None,
            rule_of_thumb: None,
            alternative: None,
        },
        FitParam {
            name: "n_init",
            help: "restarts",
            kind: ParamKind::Count,
            default: Some(ParamValue::Integer(10)),
            rule_of_thumb: None,
            alternative: None,
        },
    ];

    #[test]
    fn exactly_one_of_two_alternatives() {
        const EITHER: &[FitParam] = &[
            FitParam {
                name: "gamma",
                help: "kernel",
                kind: ParamKind::Real,
                default: None,
                rule_of_thumb: None,
                alternative: Some("bandwidth"),
            },
            FitParam {
                name: "bandwidth",
                help: "rule",
                kind: ParamKind::Choice(&["scott", "loo"]),
                default: None,
                rule_of_thumb: None,
                alternative: Some("gamma"),
            },
        ];
        let v = FitValues::new(EITHER, &[("gamma", ParamValue::Real(2.0))], false).expect("γ");
        assert!(v.is_given("gamma") && !v.is_given("bandwidth"));
        let v = FitValues::new(EITHER, &[("bandwidth", ParamValue::Choice("loo"))], false)
            .expect("rule");
        assert_eq!(v.choice("bandwidth").expect("choice"), "loo");
        assert!(!v.is_given("gamma"));
        let err = FitValues::new(EITHER, &[], false).expect_err("neither");
        assert_eq!(
            err.to_string(),
            "parameter gamma: is required (or give bandwidth instead)"
        );
        let both = [
            ("gamma", ParamValue::Real(2.0)),
            ("bandwidth", ParamValue::Choice("scott")),
        ];
        let err = FitValues::new(EITHER, &both, false).expect_err("both");
        assert_eq!(
            err.to_string(),
            "parameter gamma: give either gamma or bandwidth, not both"
        );
    }

    #[test]
    fn fit_values_fill_defaults_and_name_what_is_wrong() {
        let v = FitValues::new(PARAMS, &[("gamma", ParamValue::Real(0.5))], false).expect("ok");
        assert_eq!(v.real("gamma").expect("gamma"), 0.5);
        assert_eq!(v.count("n_init").expect("n_init"), 10);
        let err = FitValues::new(PARAMS, &[], false).expect_err("gamma is required");
        assert_eq!(err.to_string(), "parameter gamma: is required");
        assert!(FitValues::new(PARAMS, &[], true).is_ok());
        let err =
            FitValues::new(PARAMS, &[("beta", ParamValue::Real(1.0))], false).expect_err("unknown");
        assert_eq!(err.parameter(), Some("beta"));
        let err = FitValues::new(
            PARAMS,
            &[
                ("gamma", ParamValue::Real(1.0)),
                ("n_init", ParamValue::Real(2.5)),
            ],
            false,
        )
        .expect_err("not a count");
        assert_eq!(err.parameter(), Some("n_init"));
    }

    #[test]
    fn kinds_parse_their_text() {
        assert_eq!(
            ParamKind::Real.parse("gamma", "-1").expect("real"),
            ParamValue::Real(-1.0)
        );
        assert_eq!(
            ParamKind::Seed
                .parse("seed", "18446744073709551615")
                .expect("u64"),
            ParamValue::Integer(u64::MAX)
        );
        assert!(ParamKind::Count.parse("n_init", "-3").is_err());
        assert!(ParamKind::Real.parse("gamma", "abc").is_err());
    }
}
