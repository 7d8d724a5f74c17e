//! [`Method`]: NEON or one of the baselines, chosen by name, and [`explain_rows_with`], which
//! explains rows with it in parallel and returns the same [`Explanation`] as NEON plus the
//! cost of each explanation.

pub use super::attribution::Attribution;
use super::integrated_gradients::{integrated_gradients, DEFAULT_STEPS};
use super::occlusion::occlusion;
use super::score::ScoreFunction;
use super::shapley::{check_exact_features, shapley_exact, shapley_sampling};
use crate::error::{NeonError, Result};
use crate::explain::Explanation;
use crate::models::{resolve_rows, ExplainOptions, FittedModel, PointExplainer, Queries, Target};
use ndarray::{Array1, ArrayView1, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// An explanation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Neuralization-propagation: LRP on the neuralized model (§2.2, §3, §4), one
    /// forward/backward pass.
    Neon,
    /// Exact Shapley values over all `2^d` coalitions (§2.1), `d ≤ 20`.
    ShapleyExact,
    /// Shapley values estimated from sampled feature orderings, with a standard error.
    ShapleySampling,
    /// Integrated gradients from the reference point with analytic gradients (§2.1).
    IntegratedGradients,
    /// One feature at a time set to its reference value (§2.1).
    Occlusion,
}

impl Method {
    /// Every method, NEON first.
    pub const ALL: [Method; 5] = [
        Method::Neon,
        Method::ShapleyExact,
        Method::ShapleySampling,
        Method::IntegratedGradients,
        Method::Occlusion,
    ];

    /// The name used on the command line and in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Neon => "neon",
            Method::ShapleyExact => "shapley-exact",
            Method::ShapleySampling => "shapley-sampling",
            Method::IntegratedGradients => "integrated-gradients",
            Method::Occlusion => "occlusion",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Method {
    type Err = NeonError;
    fn from_str(s: &str) -> Result<Self> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Method::ALL.iter().map(Method::name).collect();
                NeonError::param(
                    "method",
                    format!("unknown method '{s}' (expected {})", names.join(", ")),
                )
            })
    }
}

/// The point that stands in for an absent feature (Shapley, occlusion) or starts the path
/// (integrated gradients), in model space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reference {
    /// The mean of the model's training points (all of them, also under leave-one-out).
    TrainingMean,
    /// One of the model's training points (0-based row).
    TrainingRow(usize),
    /// A given point.
    Point(Vec<f64>),
}

impl Reference {
    /// The reference point for `model`.
    pub fn resolve(&self, model: &FittedModel) -> Result<Array1<f64>> {
        let points = model.training_points();
        let point = match self {
            Reference::TrainingMean => points
                .mean_axis(Axis(0))
                .ok_or_else(|| NeonError::param("reference", "the model has no training point"))?,
            Reference::TrainingRow(row) => {
                if *row >= points.nrows() {
                    let n = points.nrows();
                    return Err(NeonError::param(
                        "reference",
                        format!(
                            "training row {row} is out of range (the model has {n} training rows, indices 0..{n})"
                        ),
                    ));
                }
                points.row(*row).to_owned()
            }
            Reference::Point(values) => Array1::from(values.clone()),
        };
        if point.len() != model.n_features() {
            return Err(NeonError::ShapeMismatch {
                what: "reference point".into(),
                expected: format!("{} features", model.n_features()),
                found: format!("{} features", point.len()),
            });
        }
        if point.iter().any(|v| !v.is_finite()) {
            return Err(NeonError::param("reference", "all values must be finite"));
        }
        Ok(point)
    }
}

/// Options of the baselines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodOptions {
    /// Number of sampled orderings (`shapley-sampling`).
    pub samples: usize,
    /// Number of integration steps (`integrated-gradients`).
    pub steps: usize,
    /// Seed of the sampled orderings; row `r` uses stream `r` of it, so results do not depend on
    /// the number of threads or on which rows are explained together.
    pub seed: u64,
    /// The reference point.
    pub reference: Reference,
}

impl Default for MethodOptions {
    /// 1000 orderings, 64 steps, seed 0, the training mean as reference.
    fn default() -> Self {
        MethodOptions {
            samples: 1000,
            steps: DEFAULT_STEPS,
            seed: 0,
            reference: Reference::TrainingMean,
        }
    }
}

impl MethodOptions {
    /// Check the options.
    pub fn validate(&self) -> Result<()> {
        if self.samples == 0 {
            return Err(NeonError::param("samples", "must be at least 1"));
        }
        if self.steps == 0 {
            return Err(NeonError::param("steps", "must be at least 1"));
        }
        Ok(())
    }
}

/// One explanation by one method, with its cost.
///
/// The baselines explain the difference `f(x) − f(r)` to the reference point `r`, NEON explains
/// `f(x)` itself (§2, conservation). So that `Σ_i R_i + dissipated = f(x)` holds for every
/// method and every output format shows the same columns, a baseline's
/// [`Explanation::dissipated`] is `f(x) − Σ_i R_i = f(r) + gap`, where the completeness gap
/// `gap = f(x) − f(r) − Σ_i R_i` is zero (up to round-off) for Shapley values, goes to zero
/// with the number of steps for integrated gradients, and is unconstrained for occlusion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodExplanation {
    /// The method.
    pub method: Method,
    /// Score, relevance, sum and dissipated part; `relevance_std` holds the standard error of
    /// `shapley-sampling` (and the spread over random-feature trials for NEON on `inlier-rff`);
    /// `cluster` the fixed cluster of the cluster target.
    pub explanation: Explanation,
    /// `f(r)`, the score of the reference point (baselines only).
    pub reference_score: Option<f64>,
    /// Model evaluations spent on this explanation: one per forward pass, one per
    /// forward/backward pass (NEON, a gradient), times the number of random-feature draws for
    /// `inlier-rff`.
    pub model_evaluations: u64,
}

impl MethodExplanation {
    /// `f(x) − f(r) − Σ_i R_i` (baselines only).
    pub fn completeness_gap(&self) -> Option<f64> {
        self.reference_score
            .map(|fr| self.explanation.score - fr - self.explanation.relevance_sum)
    }
}

/// A model and target prepared for one method: NEON's explainer or the baseline's score
/// function, and the reference point.
pub struct MethodExplainer<'a> {
    method: Method,
    neon: Option<Box<dyn PointExplainer + 'a>>,
    neon_evaluations: u64,
    score: ScoreFunction<'a>,
    reference: Array1<f64>,
    options: MethodOptions,
}

impl<'a> MethodExplainer<'a> {
    /// Validate everything and prepare `method` for `target` of `model`. Refuses
    /// `shapley-exact` for more than 20 features.
    pub fn new(
        method: Method,
        model: &'a FittedModel,
        target: Target,
        options: &ExplainOptions,
        method_options: &MethodOptions,
    ) -> Result<Self> {
        method_options.validate()?;
        let score = ScoreFunction::new(model, target, options)?;
        let reference = method_options.reference.resolve(model)?;
        if method == Method::ShapleyExact {
            check_exact_features(model.n_features())?;
        }
        let neon = match method {
            Method::Neon => Some(model.explainer(target, options)?),
            _ => None,
        };
        let neon_evaluations = match target {
            Target::InlierRff => options.trials as u64,
            _ => 1,
        };
        Ok(MethodExplainer {
            method,
            neon,
            neon_evaluations,
            score,
            reference,
            options: method_options.clone(),
        })
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The reference point in model space.
    pub fn reference(&self) -> ArrayView1<'_, f64> {
        self.reference.view()
    }

    /// The score function the baselines perturb (also used by the evaluation curves).
    pub fn score_function(&self) -> &ScoreFunction<'a> {
        &self.score
    }

    /// Explain `x` (training row `exclude` left out), labelled with data row `row`; `row` also
    /// selects the random stream of `shapley-sampling`.
    pub fn explain(
        &self,
        x: ArrayView1<f64>,
        exclude: Option<usize>,
        row: usize,
    ) -> Result<MethodExplanation> {
        if let Some(neon) = &self.neon {
            return Ok(MethodExplanation {
                method: self.method,
                explanation: neon.explain(x, exclude, row),
                reference_score: None,
                model_evaluations: self.neon_evaluations,
            });
        }
        let f = self.score.at(x, exclude);
        let r = self.reference.view();
        let value = |z: ArrayView1<f64>| f.value(z);
        let attribution = match self.method {
            Method::ShapleyExact => shapley_exact(value, x, r)?,
            Method::ShapleySampling => {
                let mut rng = row_rng(self.options.seed, row, Stream::Sampling);
                shapley_sampling(value, x, r, self.options.samples, &mut rng)?
            }
            Method::IntegratedGradients => {
                integrated_gradients(value, |z| f.gradient(z), x, r, self.options.steps)?
            }
            // NEON returned above
            Method::Occlusion | Method::Neon => occlusion(value, x, r)?,
        };
        let dissipated = attribution.score - attribution.relevance.iter().sum::<f64>();
        let mut explanation = Explanation::new(row, attribution.score, attribution.relevance, 0.0);
        explanation.dissipated = dissipated;
        explanation.relevance_std = attribution.std_error;
        explanation.cluster = f.cluster();
        Ok(MethodExplanation {
            method: self.method,
            explanation,
            reference_score: Some(attribution.reference_score),
            model_evaluations: f.evaluations(),
        })
    }
}

/// The random streams of one row: each purpose draws from its own stream of the seed, so adding
/// a purpose never changes another's numbers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    /// Orderings of `shapley-sampling`.
    Sampling = 0,
    /// Draws from the marginals (evaluation).
    Marginal = 1,
    /// Random orderings (evaluation baseline).
    RandomOrder = 2,
}

/// The generator of `purpose` for data row `row`.
pub(crate) fn row_rng(seed: u64, row: usize, purpose: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((row as u64).wrapping_mul(4).wrapping_add(purpose as u64));
    rng
}

/// The points of the queries in model space, and whether rows are left out of the model. (The
/// views are re-borrowed: `ArrayView2` is invariant in its lifetime, so the model and the
/// queries may live for different lifetimes.)
pub(crate) fn query_points<'s>(
    model: &'s FittedModel,
    queries: &'s Queries<'_>,
) -> Result<(ArrayView2<'s, f64>, bool)> {
    let (points, loo) = match queries {
        Queries::LeaveOneOut => (model.training_points(), true),
        Queries::Points(p) => (p.view(), false),
    };
    if points.ncols() != model.n_features() {
        return Err(NeonError::ShapeMismatch {
            what: "query points".into(),
            expected: format!("{} features", model.n_features()),
            found: format!("{} features", points.ncols()),
        });
    }
    Ok((points, loo))
}

/// Explain `rows` (all rows when `None`) of the queries with `method`, in parallel; `progress`
/// is called once per finished row. The result is in row order and identical for any number of
/// threads (each row draws from its own random stream of `method_options.seed`).
///
/// ```
/// use ndarray::array;
/// use neon_xai::compare::{explain_rows_with, Method, MethodOptions};
/// use neon_xai::models::{ExplainOptions, FittedModel, Kde, KdeParams, Queries, Target};
///
/// let train = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
/// let model = FittedModel::Kde(Kde::fit(KdeParams::new(1.0), train.view()).unwrap());
/// let x = array![[4.0, 0.5]];
/// let e = explain_rows_with(
///     Method::ShapleyExact, &model, Queries::Points(x.view()), None, Target::Outlier,
///     &ExplainOptions::default(), &MethodOptions::default(), &|| {},
/// ).unwrap();
/// // efficiency: Σ φ_i = f(x) − f(reference)
/// assert!(e[0].completeness_gap().unwrap().abs() < 1e-10);
/// assert_eq!(e[0].model_evaluations, 4);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn explain_rows_with(
    method: Method,
    model: &FittedModel,
    queries: Queries<'_>,
    rows: Option<&[usize]>,
    target: Target,
    options: &ExplainOptions,
    method_options: &MethodOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<MethodExplanation>> {
    let explainer = MethodExplainer::new(method, model, target, options, method_options)?;
    let (explanations, _) = explain_rows_timed(&explainer, model, queries, rows, progress)?;
    Ok(explanations)
}

/// [`explain_rows_with`] with a prepared explainer; also returns the wall time of each
/// explanation in seconds.
pub(crate) fn explain_rows_timed(
    explainer: &MethodExplainer<'_>,
    model: &FittedModel,
    queries: Queries<'_>,
    rows: Option<&[usize]>,
    progress: &(dyn Fn() + Sync),
) -> Result<(Vec<MethodExplanation>, Vec<f64>)> {
    let (points, loo) = query_points(model, &queries)?;
    let rows = resolve_rows(rows, points.nrows())?;
    let results: Vec<(MethodExplanation, f64)> = rows
        .par_iter()
        .map(|&row| {
            let start = Instant::now();
            let e = explainer.explain(points.row(row), loo.then_some(row), row)?;
            let seconds = start.elapsed().as_secs_f64();
            progress();
            Ok((e, seconds))
        })
        .collect::<Result<_>>()?;
    Ok(results.into_iter().unzip())
}
