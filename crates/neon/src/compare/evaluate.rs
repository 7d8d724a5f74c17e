//! Faithfulness, agreement and cost of explanation methods on one model (§6, "the question of
//! validation"): feature-removal curves in the style of Samek et al. (2017, the chapter's
//! reference \[39\]), their variant with draws from the data's marginals and the insertion curve,
//! rank agreement between methods, and model evaluations and wall time per explanation.
//!
//! Every curve orders the features of a row by decreasing relevance (ties: lower index first)
//! and records the explained score `f` (the same `f` for every method; for the cluster target
//! `f_c` with the cluster of the unperturbed row) after each step:
//! - *removal*: features are removed one by one, i.e. set to the reference value; the curve
//!   falls from `f(x)` to `f(r)`, and the faster it falls the more faithful the ordering —
//!   lower area is better;
//! - *marginal removal*: a removed feature takes a value drawn from that feature's marginal in
//!   the training data instead (seeded, averaged over draws; the draws are shared by all methods
//!   of a row), so that a removal cannot favour a method merely by moving the point to the
//!   reference, which for an anomaly detector is an unusually typical point (§6 warns that a
//!   removal may itself create an anomaly) — lower is better;
//! - *insertion*: start from the reference and put back the features of `x`, most relevant
//!   first; the curve rises from `f(r)` to `f(x)` — higher area is better.
//!
//! Each curve is averaged over the rows; its area (AUC) is the trapezoid rule over the fraction
//! of features removed, `[0, 1]`, in the units of the score. A random ordering gives the
//! baseline every method should beat; its AUC is reported as mean and standard deviation over
//! several seeds.

use super::method::{
    explain_rows_timed, query_points, row_rng, Method, MethodExplainer, MethodExplanation,
    MethodOptions, Stream,
};
use crate::error::{NeonError, Result};
use crate::models::{resolve_rows, ExplainOptions, FittedModel, Queries, RuleSet, Target};
use ndarray::{Array2, ArrayView1};
use rand::seq::SliceRandom;
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What to evaluate and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationConfig {
    /// The methods to compare (NEON, if present, is the unit of the cost ratios).
    pub methods: Vec<Method>,
    /// Options of the baselines (samples, steps, seed, reference); the seed also drives the
    /// marginal draws and the random orderings.
    pub method_options: MethodOptions,
    /// Number of random orderings (seeds) of the random baseline.
    pub random_orders: usize,
    /// Number of draws from the marginals per row for the marginal-removal curve.
    pub marginal_draws: usize,
    /// Further NEON settings to compare with the others (rule sets and stiffnesses), each
    /// reported like a method; empty by default.
    #[serde(default)]
    pub variants: Vec<NeonVariant>,
}

/// One NEON setting of an evaluation's sweep: a rule set and the stiffness β as a multiple of
/// the chapter's β ([`crate::Model::chapter_beta`]: γ for a KDE or one-class SVM,
/// `1 / mean f_c` for k-means, 1 for a Gaussian mixture); factor 0 is the uniform average over
/// the pooled units, large factors approach the hard minimum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NeonVariant {
    /// The rule set.
    pub rule: RuleSet,
    /// β over the chapter's β.
    pub beta_factor: f64,
}

impl NeonVariant {
    /// Every applicable rule set of `model` for `target` times every factor of `factors`.
    pub fn grid(model: &FittedModel, target: Target, factors: &[f64]) -> Vec<NeonVariant> {
        let rules = model.entry().map_or(&[][..], |e| e.rules_for(target));
        rules
            .iter()
            .flat_map(|&rule| {
                factors
                    .iter()
                    .map(move |&beta_factor| NeonVariant { rule, beta_factor })
            })
            .collect()
    }

    /// The options of this variant: `base` with its rule and β.
    pub fn options(&self, model: &FittedModel, base: &ExplainOptions) -> ExplainOptions {
        ExplainOptions {
            rule: Some(self.rule),
            beta: Some(self.beta_factor * model.model().chapter_beta()),
            ..*base
        }
    }

    /// A label such as `neon grounded β×0.5`.
    pub fn label(&self) -> String {
        format!("neon {} β×{}", self.rule, self.beta_factor)
    }
}

impl Default for EvaluationConfig {
    /// Every method, default method options, 10 random orderings, 16 marginal draws.
    fn default() -> Self {
        EvaluationConfig {
            methods: Method::ALL.to_vec(),
            method_options: MethodOptions::default(),
            random_orders: 10,
            marginal_draws: 16,
            variants: Vec::new(),
        }
    }
}

impl EvaluationConfig {
    /// Check the configuration.
    pub fn validate(&self) -> Result<()> {
        self.method_options.validate()?;
        if self.methods.is_empty() {
            return Err(NeonError::param("methods", "name at least one method"));
        }
        for (i, m) in self.methods.iter().enumerate() {
            if self.methods[..i].contains(m) {
                return Err(NeonError::param(
                    "methods",
                    format!("method '{m}' is listed twice"),
                ));
            }
        }
        if self.random_orders == 0 {
            return Err(NeonError::param("random_orders", "must be at least 1"));
        }
        if self.marginal_draws == 0 {
            return Err(NeonError::param("marginal_draws", "must be at least 1"));
        }
        if let Some(v) = self
            .variants
            .iter()
            .find(|v| !(v.beta_factor.is_finite() && v.beta_factor >= 0.0))
        {
            return Err(NeonError::param(
                "beta_factor",
                format!("must be a finite number >= 0, got {}", v.beta_factor),
            ));
        }
        Ok(())
    }
}

/// A curve averaged over rows: `points[k]` is the mean score after `k` of the `d` features were
/// removed (or inserted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// `d + 1` mean scores.
    pub points: Vec<f64>,
    /// Trapezoid area over the fraction of features, `[0, 1]`.
    pub auc: f64,
}

impl Curve {
    fn new(points: Vec<f64>) -> Self {
        let auc = area(&points);
        Curve { points, auc }
    }
}

/// The random-ordering baseline of one kind of curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomCurve {
    /// The curve averaged over rows and orderings.
    pub points: Vec<f64>,
    /// Standard deviation (n − 1) over seeds of each point of the per-seed mean curves.
    pub points_std: Vec<f64>,
    /// Mean of the per-seed AUCs.
    pub auc_mean: f64,
    /// Standard deviation (n − 1) of the per-seed AUCs; 0 for one seed.
    pub auc_std: f64,
    /// AUC of each seed (each averaged over rows).
    pub auc_per_seed: Vec<f64>,
}

/// The random baseline: for seed `s`, each row's features are removed in a uniformly random
/// order drawn from seed `method_options.seed + s`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomBaseline {
    /// Removal to the reference.
    pub removal: RandomCurve,
    /// Removal to draws from the marginals.
    pub marginal_removal: RandomCurve,
    /// Insertion from the reference.
    pub insertion: RandomCurve,
}

/// Cost of one method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// Wall time of explaining all rows (in parallel).
    pub seconds_total: f64,
    /// Mean wall time of one explanation (each measured on its worker thread).
    pub seconds_per_row: f64,
    /// Mean number of model evaluations per explanation.
    pub evaluations_per_row: f64,
    /// `seconds_per_row` over NEON's, measured in the same run.
    pub time_ratio_to_neon: Option<f64>,
    /// `evaluations_per_row` over NEON's.
    pub evaluation_ratio_to_neon: Option<f64>,
}

/// Faithfulness and cost of one method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodReport {
    /// The method.
    pub method: Method,
    /// The name in tables: the method's, or a NEON variant's ([`NeonVariant::label`]).
    pub label: String,
    /// The NEON setting, for a variant of the sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<NeonVariant>,
    /// The rule set NEON used (NEON and its variants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleSet>,
    /// The stiffness β NEON used (NEON and its variants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// `(random − this) / (random − shapley-exact)` of the removal AUC: the share of exact
    /// Shapley's gain over a random ordering that this method reaches (when exact Shapley was
    /// evaluated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_gain_vs_shapley: Option<f64>,
    /// Removal to the reference (lower AUC: more faithful).
    pub removal: Curve,
    /// Removal to draws from the marginals (lower AUC: more faithful).
    pub marginal_removal: Curve,
    /// Insertion from the reference (higher AUC: more faithful).
    pub insertion: Curve,
    /// Cost.
    pub cost: Cost,
    /// Mean `|f(x) − f(r) − Σ R_i|` (baselines).
    pub mean_abs_completeness_gap: Option<f64>,
    /// Mean `|dissipated|` of NEON's rules.
    pub mean_abs_dissipated: Option<f64>,
    /// Mean standard error of a relevance (`shapley-sampling`).
    pub mean_std_error: Option<f64>,
}

/// Rank agreement between methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// The methods, in the order of the matrix.
    pub methods: Vec<Method>,
    /// Spearman correlation of the relevance vectors of methods `a` and `b`, averaged over the
    /// rows where both vary (`None` if none does).
    pub spearman: Vec<Vec<Option<f64>>>,
    /// Number of rows entering each average.
    pub rows_used: Vec<Vec<usize>>,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationReport {
    /// Model kind.
    pub model: String,
    /// Explained target.
    pub target: Target,
    /// Number of explained rows.
    pub n_rows: usize,
    /// Number of features `d`.
    pub n_features: usize,
    /// Whether rows were scored against the model without them.
    pub leave_one_out: bool,
    /// The reference point (model space).
    pub reference: Vec<f64>,
    /// Worker threads (the timings depend on it, the numbers do not).
    pub threads: usize,
    /// The configuration.
    pub config: EvaluationConfig,
    /// One report per method, in the configured order.
    pub methods: Vec<MethodReport>,
    /// The random-ordering baseline.
    pub random: RandomBaseline,
    /// Rank agreement.
    pub agreement: Agreement,
}

impl EvaluationReport {
    /// The report of `method`, if it was evaluated.
    pub fn method(&self, method: Method) -> Option<&MethodReport> {
        self.methods.iter().find(|m| m.method == method)
    }
}

/// The curves of one row: `[removal, marginal removal, insertion]`, each `d + 1` scores.
type RowCurves = [Vec<f64>; 3];

/// The curves of one row: per method, then per random ordering.
type RowResult = (Vec<RowCurves>, Vec<RowCurves>);

/// Explain `rows` (all when `None`) with every configured method, then measure the removal,
/// marginal-removal and insertion curves, the random baseline, rank agreement and cost.
/// `progress` is called once per explained row and method, then once per row whose curves are
/// done (`rows × (methods + 1)` calls). All numbers except timings are identical for any number
/// of threads.
pub fn evaluate(
    model: &FittedModel,
    queries: Queries<'_>,
    rows: Option<&[usize]>,
    target: Target,
    options: &ExplainOptions,
    config: &EvaluationConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<EvaluationReport> {
    config.validate()?;
    // the configured methods, then NEON's variants
    let variant_options: Vec<ExplainOptions> = config
        .variants
        .iter()
        .map(|v| v.options(model, options))
        .collect();
    let settings: Vec<(Method, &ExplainOptions)> = config
        .methods
        .iter()
        .map(|&m| (m, options))
        .chain(variant_options.iter().map(|o| (Method::Neon, o)))
        .collect();
    let explainers: Vec<MethodExplainer<'_>> = settings
        .iter()
        .map(|&(m, o)| MethodExplainer::new(m, model, target, o, &config.method_options))
        .collect::<Result<_>>()?;
    let (points, loo) = query_points(model, &queries)?;
    let rows = resolve_rows(rows, points.nrows())?;
    if rows.is_empty() {
        return Err(NeonError::param("rows", "no row to evaluate"));
    }
    let d = model.n_features();

    // 1. explanations and their cost, one method at a time so that wall times do not mix
    let mut explained: Vec<Vec<MethodExplanation>> = Vec::new();
    let mut timings: Vec<(f64, Vec<f64>)> = Vec::new();
    for explainer in &explainers {
        let start = Instant::now();
        let (e, per_row) = explain_rows_timed(explainer, model, queries, Some(&rows), progress)?;
        timings.push((start.elapsed().as_secs_f64(), per_row));
        explained.push(e);
    }

    // 2. curves, row by row in parallel, each row with its own random streams
    let reference = explainers[0].reference().to_owned();
    let score = explainers[0].score_function();
    let training = model.training_points();
    let seed = config.method_options.seed;
    let per_row: Vec<RowResult> = rows
        .par_iter()
        .enumerate()
        .map(|(i, &row)| {
            let x = points.row(row);
            let exclude = loo.then_some(row);
            let f = score.at(x, exclude);
            let value = |z: ArrayView1<f64>| f.value(z);
            let draws = marginal_draws(
                training,
                exclude,
                config.marginal_draws,
                &mut row_rng(seed, row, Stream::Marginal),
            );
            let curves = |order: &[usize]| -> RowCurves {
                [
                    removal(&value, x, reference.view(), order),
                    marginal_removal(&value, x, &draws, order),
                    insertion(&value, x, reference.view(), order),
                ]
            };
            let methods = explained
                .iter()
                .map(|e| curves(&decreasing(&e[i].explanation.relevance)))
                .collect();
            let random = (0..config.random_orders as u64)
                .map(|s| {
                    let mut rng = row_rng(seed.wrapping_add(s), row, Stream::RandomOrder);
                    let mut order: Vec<usize> = (0..d).collect();
                    order.shuffle(&mut rng);
                    curves(&order)
                })
                .collect();
            progress();
            (methods, random)
        })
        .collect();

    // 3. averages over rows (sequential, in row order: deterministic)
    let n = rows.len() as f64;
    let mean_curve = |pick: &dyn Fn(&RowResult) -> &Vec<f64>| {
        let mut mean = vec![0.0; d + 1];
        for r in &per_row {
            for (m, v) in mean.iter_mut().zip(pick(r)) {
                *m += v / n;
            }
        }
        mean
    };
    let neon_cost = config
        .methods
        .iter()
        .position(|&m| m == Method::Neon)
        .map(|i| {
            let e = &explained[i];
            (
                mean(&timings[i].1),
                mean(
                    &e.iter()
                        .map(|e| e.model_evaluations as f64)
                        .collect::<Vec<_>>(),
                ),
            )
        });
    let mut methods = Vec::with_capacity(settings.len());
    for (m, &(method, method_options)) in settings.iter().enumerate() {
        let method = &method;
        let variant = m
            .checked_sub(config.methods.len())
            .map(|v| config.variants[v]);
        let e = &explained[m];
        let seconds_per_row = mean(&timings[m].1);
        let evaluations_per_row = mean(
            &e.iter()
                .map(|e| e.model_evaluations as f64)
                .collect::<Vec<_>>(),
        );
        let gaps: Vec<f64> = e.iter().filter_map(|e| e.completeness_gap()).collect();
        let std_errors: Vec<f64> = e
            .iter()
            .filter_map(|e| e.explanation.relevance_std.as_ref())
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        methods.push(MethodReport {
            method: *method,
            label: variant.map_or_else(|| method.to_string(), |v| v.label()),
            variant,
            rule: (*method == Method::Neon)
                .then(|| method_options.rule_for(model.model().capabilities(), target)),
            beta: (*method == Method::Neon)
                .then(|| method_options.beta.unwrap_or(model.model().default_beta())),
            removal_gain_vs_shapley: None,
            removal: Curve::new(mean_curve(&|r| &r.0[m][0])),
            marginal_removal: Curve::new(mean_curve(&|r| &r.0[m][1])),
            insertion: Curve::new(mean_curve(&|r| &r.0[m][2])),
            cost: Cost {
                seconds_total: timings[m].0,
                seconds_per_row,
                evaluations_per_row,
                time_ratio_to_neon: neon_cost.map(|(t, _)| seconds_per_row / t),
                evaluation_ratio_to_neon: neon_cost.map(|(_, v)| evaluations_per_row / v),
            },
            mean_abs_completeness_gap: (!gaps.is_empty())
                .then(|| mean(&gaps.iter().map(|g| g.abs()).collect::<Vec<_>>())),
            mean_abs_dissipated: (*method == Method::Neon).then(|| {
                mean(
                    &e.iter()
                        .map(|e| e.explanation.dissipated.abs())
                        .collect::<Vec<_>>(),
                )
            }),
            mean_std_error: (*method == Method::ShapleySampling && !std_errors.is_empty())
                .then(|| mean(&std_errors)),
        });
    }
    let random_curve = |kind: usize| -> RandomCurve {
        let per_seed: Vec<Vec<f64>> = (0..config.random_orders)
            .map(|s| mean_curve(&|r| &r.1[s][kind]))
            .collect();
        let aucs: Vec<f64> = per_seed.iter().map(|c| area(c)).collect();
        let column = |k: usize| per_seed.iter().map(|c| c[k]).collect::<Vec<f64>>();
        RandomCurve {
            points: (0..=d).map(|k| mean(&column(k))).collect(),
            points_std: (0..=d).map(|k| sample_std(&column(k))).collect(),
            auc_mean: mean(&aucs),
            auc_std: sample_std(&aucs),
            auc_per_seed: aucs,
        }
    };
    let random = RandomBaseline {
        removal: random_curve(0),
        marginal_removal: random_curve(1),
        insertion: random_curve(2),
    };
    let shapley = methods
        .iter()
        .find(|m| m.method == Method::ShapleyExact)
        .map(|m| m.removal.auc);
    if let Some(shapley) = shapley {
        let gain = random.removal.auc_mean - shapley;
        for m in &mut methods {
            m.removal_gain_vs_shapley = Some((random.removal.auc_mean - m.removal.auc) / gain);
        }
    }
    let agreement = agreement(&config.methods, &explained[..config.methods.len()]);
    Ok(EvaluationReport {
        model: model.name().to_string(),
        target,
        n_rows: rows.len(),
        n_features: d,
        leave_one_out: loo,
        reference: reference.to_vec(),
        threads: rayon::current_num_threads(),
        config: config.clone(),
        methods,
        random,
        agreement,
    })
}

/// Feature indices by decreasing relevance; ties (and NaN, last) by increasing index.
pub fn decreasing(relevance: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..relevance.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (relevance[a], relevance[b]);
        match (ra.is_nan(), rb.is_nan()) {
            (false, false) => rb.total_cmp(&ra),
            (a_nan, b_nan) => a_nan.cmp(&b_nan),
        }
        .then(a.cmp(&b))
    });
    order
}

/// Scores after removing the features of `order` one by one (set to the reference).
pub fn removal(
    f: &dyn Fn(ArrayView1<f64>) -> f64,
    x: ArrayView1<f64>,
    reference: ArrayView1<f64>,
    order: &[usize],
) -> Vec<f64> {
    let mut z = x.to_owned();
    let mut curve = vec![f(z.view())];
    for &i in order {
        z[i] = reference[i];
        curve.push(f(z.view()));
    }
    curve
}

/// Scores after inserting the features of `order` one by one into the reference.
pub fn insertion(
    f: &dyn Fn(ArrayView1<f64>) -> f64,
    x: ArrayView1<f64>,
    reference: ArrayView1<f64>,
    order: &[usize],
) -> Vec<f64> {
    let mut z = reference.to_owned();
    let mut curve = vec![f(z.view())];
    for &i in order {
        z[i] = x[i];
        curve.push(f(z.view()));
    }
    curve
}

/// Removal to draws from the marginals: for each row `s` of `draws` (one value per feature), the
/// removal curve with feature `i` replaced by `draws[s, i]`; averaged over the draws.
pub fn marginal_removal(
    f: &dyn Fn(ArrayView1<f64>) -> f64,
    x: ArrayView1<f64>,
    draws: &Array2<f64>,
    order: &[usize],
) -> Vec<f64> {
    let mut mean = vec![0.0; order.len() + 1];
    let n = draws.nrows() as f64;
    for draw in draws.rows() {
        for (m, v) in mean.iter_mut().zip(removal(f, x, draw, order)) {
            *m += v / n;
        }
    }
    mean
}

/// `draws × d` values, each drawn independently and uniformly from its column of `training`
/// (row `exclude` left out): draws from the product of the empirical marginals.
fn marginal_draws(
    training: ndarray::ArrayView2<f64>,
    exclude: Option<usize>,
    draws: usize,
    rng: &mut impl Rng,
) -> Array2<f64> {
    let n = training.nrows();
    let available = n - usize::from(exclude.is_some_and(|e| e < n) && n > 1);
    Array2::from_shape_fn((draws, training.ncols()), |(_, i)| {
        let mut k = rng.gen_range(0..available);
        if let Some(e) = exclude {
            if k >= e && available < n {
                k += 1;
            }
        }
        training[[k, i]]
    })
}

/// Trapezoid area of `points`, equally spaced over `[0, 1]`.
pub fn area(points: &[f64]) -> f64 {
    if points.len() < 2 {
        return points.first().copied().unwrap_or(0.0);
    }
    let steps = (points.len() - 1) as f64;
    points.windows(2).map(|w| (w[0] + w[1]) / 2.0).sum::<f64>() / steps
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

fn sample_std(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
}

/// Ranks (1-based) with ties given their average rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        for &k in &order[start..end] {
            ranks[k] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman's rank correlation (Pearson correlation of the average ranks); `None` if either
/// vector is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let (ma, mb) = (mean(&ra), mean(&rb));
    let mut cov = 0.0;
    let mut va = 0.0;
    let mut vb = 0.0;
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - ma) * (y - mb);
        va += (x - ma).powi(2);
        vb += (y - mb).powi(2);
    }
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

fn agreement(methods: &[Method], explained: &[Vec<MethodExplanation>]) -> Agreement {
    let k = methods.len();
    let mut spearman_matrix = vec![vec![None; k]; k];
    let mut rows_used = vec![vec![0; k]; k];
    for a in 0..k {
        for b in 0..k {
            let values: Vec<f64> = explained[a]
                .iter()
                .zip(&explained[b])
                .filter_map(|(ea, eb)| {
                    spearman(&ea.explanation.relevance, &eb.explanation.relevance)
                })
                .collect();
            rows_used[a][b] = values.len();
            spearman_matrix[a][b] = (!values.is_empty()).then(|| mean(&values));
        }
    }
    Agreement {
        methods: methods.to_vec(),
        spearman: spearman_matrix,
        rows_used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn decreasing_orders_by_relevance_then_index() {
        assert_eq!(decreasing(&[0.1, 0.5, 0.1, -2.0]), vec![1, 0, 2, 3]);
        assert_eq!(decreasing(&[f64::NAN, 1.0]), vec![1, 0]);
    }

    #[test]
    fn area_is_the_trapezoid_rule_on_the_unit_interval() {
        assert_eq!(area(&[1.0, 1.0, 1.0]), 1.0);
        assert_eq!(area(&[2.0, 0.0]), 1.0);
        assert!((area(&[3.0, 1.0, 0.0]) - 1.25).abs() < 1e-15);
    }

    #[test]
    fn spearman_handles_ties_and_constants() {
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), Some(1.0));
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        let rho = spearman(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]).expect("defined");
        assert!((rho - 0.866_025_403_784_438_6).abs() < 1e-12, "{rho}");
        assert_eq!(ranks(&[5.0, 1.0, 5.0, 0.0]), vec![3.5, 2.0, 3.5, 1.0]);
    }

    #[test]
    fn curves_run_between_the_right_end_points() {
        let f = |z: ArrayView1<f64>| z.sum();
        let x = array![1.0, 2.0, 3.0];
        let r = array![0.0, 0.0, 0.0];
        assert_eq!(
            removal(&f, x.view(), r.view(), &[2, 1, 0]),
            vec![6.0, 3.0, 1.0, 0.0]
        );
        assert_eq!(
            insertion(&f, x.view(), r.view(), &[2, 1, 0]),
            vec![0.0, 3.0, 5.0, 6.0]
        );
        let draws = array![[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]];
        assert_eq!(
            marginal_removal(&f, x.view(), &draws, &[0, 1, 2]),
            vec![6.0, 7.0, 7.0, 6.0]
        );
    }

    #[test]
    fn marginal_draws_skip_the_left_out_row() {
        let training = array![[0.0, 10.0], [1.0, 11.0], [2.0, 12.0]];
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let draws = marginal_draws(training.view(), Some(1), 200, &mut rng);
        assert!(draws.column(0).iter().all(|&v| v == 0.0 || v == 2.0));
        assert!(draws.column(0).iter().any(|&v| v == 0.0));
        assert!(draws.column(0).iter().any(|&v| v == 2.0));
        assert!(draws.column(1).iter().all(|&v| v == 10.0 || v == 12.0));
    }
}
