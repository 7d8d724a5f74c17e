//! Every number of the Wholesale study, computed from the data at run time.

use super::chapter;
use crate::Result;
use ndarray::{Array2, Axis};
use neon_xai::data::{FittedTransform, TransformStep};
use neon_xai::models::{
    ExplainOptions, FittedModel, KMeans, KMeansParams, Kde, KdeParams, Queries, RuleSet, Target,
};
use neon_xai::{Dataset, Explanation};
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;

/// Parameters of the study; the defaults are the chapter's.
#[derive(Debug, Clone, Serialize)]
pub struct WholesaleParams {
    /// The Wholesale customers CSV.
    pub data: PathBuf,
    /// Seed of every random step.
    pub seed: u64,
    /// KDE kernel parameter γ (chapter: 1).
    pub gamma: f64,
    /// Soft-argmin stiffness of the outlier explanation (chapter: β = γ).
    pub beta: Option<f64>,
    /// Number H of random features (chapter: 2500).
    pub n_features: usize,
    /// Random-feature draws for the error bars (chapter: 100).
    pub trials: usize,
    /// Number of k-means clusters (chapter: 6).
    pub n_clusters: usize,
    /// k-means restarts (chapter: 10).
    pub n_init: usize,
    /// t-SNE perplexity (chapter: 100).
    pub perplexity: f64,
    /// Number of k-means seeds in the robustness study.
    pub robustness_seeds: usize,
    /// Number of single-restart k-means seeds searched for a solution reproducing Table 2.
    pub table2_search_seeds: usize,
    /// Values of β for the outlier-explanation sweep.
    pub beta_sweep: Vec<f64>,
}

impl WholesaleParams {
    /// The chapter's settings on the given data file.
    pub fn new(data: PathBuf) -> Self {
        WholesaleParams {
            data,
            seed: 0,
            gamma: 1.0,
            beta: None,
            n_features: 2500,
            trials: 100,
            n_clusters: 6,
            n_init: 10,
            perplexity: 100.0,
            robustness_seeds: 100,
            table2_search_seeds: 1000,
            beta_sweep: vec![0.1, 0.5, 1.0, 2.0, 10.0],
        }
    }
}

/// What a [`Discrepancy`] is about: the shipped data itself, or a model fitted to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancySource {
    /// A fact of the data file (the chapter's Table 1: instance values and the average).
    Data,
    /// neon's kept k-means solution (the chapter's Table 2): a modelling choice, since k-means
    /// restarts land in different partitions.
    Kmeans,
}

/// A chapter value next to the shipped data's value.
#[derive(Debug, Clone, Serialize)]
pub struct Discrepancy {
    /// Where in the chapter (e.g. "Table 1, row 339").
    pub place: String,
    /// Feature name.
    pub feature: String,
    /// Value printed in the chapter.
    pub chapter: f64,
    /// Value computed from the shipped data.
    pub data: f64,
    /// Whether the value compared is a fact of the data or of neon's k-means solution.
    pub source: DiscrepancySource,
}

/// Table 1: the two instances and the per-feature average (raw m.u.).
#[derive(Debug, Clone, Serialize)]
pub struct Table1 {
    /// Raw values of rows 337 and 338.
    pub instances: [Vec<f64>; 2],
    /// Per-feature mean over the 440 rows.
    pub average: Vec<f64>,
}

/// KDE scores and explanations.
#[derive(Debug, Clone, Serialize)]
pub struct KdeResults {
    /// γ used.
    pub gamma: f64,
    /// β used for the outlier explanation.
    pub beta: f64,
    /// Leave-one-out inlierness p̃ of every row.
    pub inlier: Vec<f64>,
    /// Leave-one-out outlierness o of every row.
    pub outlier: Vec<f64>,
    /// Median of the inlierness over the data.
    pub inlier_median: f64,
    /// 1st percentile of the inlierness over the data.
    pub inlier_p01: f64,
    /// Outlier explanations of the two instances.
    pub outlier_explanations: Vec<Explanation>,
    /// Random-feature inlier explanations of the two instances (mean ± std over trials).
    pub inlier_explanations: Vec<Explanation>,
}

/// The k-means model and cluster explanations.
#[derive(Debug, Clone, Serialize)]
pub struct KMeansResults {
    /// Inertia of the kept run.
    pub inertia: f64,
    /// β used (data-derived default unless given).
    pub beta: f64,
    /// Cluster of every row.
    pub labels: Vec<usize>,
    /// Cluster evidence f_c of every row.
    pub evidence: Vec<f64>,
    /// Cluster sizes.
    pub sizes: Vec<usize>,
    /// Cluster explanations of the two instances.
    pub explanations: Vec<Explanation>,
    /// Table 2: mean raw spending of the cluster of row 338.
    pub table2_mean: Vec<f64>,
    /// Its centroid mapped back to m.u. (geometric mean of the members).
    pub table2_centroid_raw: Vec<f64>,
    /// Cluster of row 338.
    pub cluster_of_338: usize,
}

/// Summary statistics of a sample.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Spread {
    /// Minimum.
    pub min: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// Maximum.
    pub max: f64,
}

impl Spread {
    /// Quartiles by linear interpolation.
    pub fn of(values: &[f64]) -> Self {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Spread {
            min: quantile_sorted(&v, 0.0),
            q1: quantile_sorted(&v, 0.25),
            median: quantile_sorted(&v, 0.5),
            q3: quantile_sorted(&v, 0.75),
            max: quantile_sorted(&v, 1.0),
        }
    }
}

/// A k-means solution that matches Table 2.
#[derive(Debug, Clone, Serialize)]
pub struct Table2Match {
    /// Seed of the single-restart run.
    pub seed: u64,
    /// Its inertia.
    pub inertia: f64,
    /// Largest relative deviation from Table 2 over the six categories.
    pub max_relative_deviation: f64,
    /// Its cluster means for row 338's cluster.
    pub cluster_mean: Vec<f64>,
}

/// The robustness analysis (not in the chapter).
#[derive(Debug, Clone, Serialize)]
pub struct Robustness {
    /// Seeds used (each a k-means fit with `n_init` restarts).
    pub seeds: usize,
    /// How often each feature is the top contributor to row 338's cluster explanation.
    pub top_feature_counts_338: Vec<usize>,
    /// Row 338's cluster evidence over seeds.
    pub evidence_338: Spread,
    /// Row 337's cluster evidence over seeds.
    pub evidence_337: Spread,
    /// Row 337's evidence relative to the median evidence of the data, over seeds.
    pub evidence_337_relative: Spread,
    /// Distinct inertias found (rounded to 1e-6), with how often each was found.
    pub inertia_counts: Vec<(f64, usize)>,
    /// Number of single-restart seeds searched for Table 2.
    pub table2_seeds: usize,
    /// Best match to Table 2 over the searched seeds.
    pub table2_best: Option<Table2Match>,
    /// Whether the best match is within 1 % in every category.
    pub table2_reproduced: bool,
    /// Lowest inertia found over the searched single-restart seeds.
    pub lowest_inertia: f64,
    /// Outlier relevance shares of row 338 for each β of the sweep.
    pub beta_sweep: Vec<(f64, Vec<f64>)>,
}

/// One statement of the chapter with what neon measured.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    /// The chapter's statement.
    pub statement: String,
    /// The test neon applies.
    pub criterion: String,
    /// What neon measured.
    pub measured: String,
    /// Whether the statement holds on the shipped data.
    pub holds: bool,
}

/// Everything the study computes.
#[derive(Debug, Clone, Serialize)]
pub struct WholesaleResults {
    /// Parameters used.
    pub params: WholesaleParams,
    /// Feature names.
    pub features: Vec<String>,
    /// The two instances (0-based rows).
    pub instances: [usize; 2],
    /// Table 1.
    pub table1: Table1,
    /// Places where the shipped data (the chapter's Table 1) or neon's kept k-means solution
    /// (the chapter's Table 2) differs from the chapter; see [`Discrepancy::source`].
    pub discrepancies: Vec<Discrepancy>,
    /// KDE results.
    pub kde: KdeResults,
    /// k-means results.
    pub kmeans: KMeansResults,
    /// Robustness analysis.
    pub robustness: Robustness,
    /// The chapter's claims, checked.
    pub claims: Vec<Claim>,
    /// Log-standardized data (for the box plots).
    #[serde(skip)]
    pub model_space: Array2<f64>,
    /// t-SNE embedding (n × 2).
    pub tsne: Vec<[f64; 2]>,
    /// Seconds spent per stage.
    pub timings: Vec<(String, f64)>,
}

impl WholesaleResults {
    /// Where the shipped data differs from the chapter's Table 1 (facts of the data file).
    pub fn data_discrepancies(&self) -> impl Iterator<Item = &Discrepancy> {
        self.discrepancies
            .iter()
            .filter(|d| d.source == DiscrepancySource::Data)
    }

    /// Where neon's kept k-means solution differs from the chapter's Table 2 (a modelling
    /// choice, not the data).
    pub fn kmeans_discrepancies(&self) -> impl Iterator<Item = &Discrepancy> {
        self.discrepancies
            .iter()
            .filter(|d| d.source == DiscrepancySource::Kmeans)
    }
}

fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Quantile `q` ∈ [0, 1] of `values` (linear interpolation, as NumPy's default).
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, q)
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len())
        .max_by(|&a, &b| v[a].total_cmp(&v[b]).then(b.cmp(&a)))
        .unwrap_or(0)
}

fn cluster_mean(raw: &Array2<f64>, labels: &[usize], cluster: usize) -> Vec<f64> {
    let members: Vec<usize> = (0..labels.len())
        .filter(|&i| labels[i] == cluster)
        .collect();
    raw.select(Axis(0), &members)
        .mean_axis(Axis(0))
        .map(|m| m.to_vec())
        .unwrap_or_default()
}

/// Largest relative deviation of `a` from `reference` over the categories.
pub(crate) fn max_relative_deviation(a: &[f64], reference: &[f64]) -> f64 {
    a.iter()
        .zip(reference)
        .map(|(x, r)| (x - r).abs() / r.abs())
        .fold(0.0, f64::max)
}

/// Progress callback: (stage name, fraction done of the whole run).
pub type Progress<'a> = &'a (dyn Fn(&str, f64) + Sync);

/// Run every computation of the study.
pub fn run_analysis(params: &WholesaleParams, progress: Progress<'_>) -> Result<WholesaleResults> {
    let mut timings = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &str, timings: &mut Vec<(String, f64)>| {
        timings.push((name.to_string(), clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    progress("loading data", 0.0);
    let columns: Vec<String> = chapter::FEATURES.iter().map(|s| s.to_string()).collect();
    let dataset = Dataset::load(&params.data, Some(&columns))?;
    let raw = dataset.values().to_owned();
    let (transform, z) =
        FittedTransform::fit(&[TransformStep::Log, TransformStep::Standardize], &dataset)?;
    let [a, b] = chapter::INSTANCES;
    for &row in &chapter::INSTANCES {
        if row >= raw.nrows() {
            return Err(neon_xai::NeonError::RowOutOfRange {
                row,
                n_rows: raw.nrows(),
            }
            .into());
        }
    }

    // Table 1 and discrepancies
    let table1 = Table1 {
        instances: [raw.row(a).to_vec(), raw.row(b).to_vec()],
        average: dataset.column_means(),
    };
    let mut discrepancies = Vec::new();
    discrepancies.extend(differences(
        "Table 1, instance 338 (row 337)",
        DiscrepancySource::Data,
        &chapter::TABLE1_338,
        &table1.instances[0],
        Tolerance::Absolute(0.0),
    ));
    discrepancies.extend(differences(
        "Table 1, instance 339 (row 338)",
        DiscrepancySource::Data,
        &chapter::TABLE1_339,
        &table1.instances[1],
        Tolerance::Absolute(0.0),
    ));
    discrepancies.extend(differences(
        "Table 1, AVG (rounded to 1 m.u.)",
        DiscrepancySource::Data,
        &chapter::TABLE1_AVG,
        &table1.average,
        Tolerance::Absolute(0.5),
    ));
    lap("load", &mut timings);

    // KDE, leave-one-out (§3, §5.1)
    progress("KDE scores", 0.05);
    let kde = FittedModel::Kde(Kde::fit(KdeParams::new(params.gamma), z.view())?);
    // the chapter's settings, not the library's defaults (docs/compare.md): the standard
    // rules of §3-§4, β = γ for outliers and β = 1 / mean f_c for clusters
    let base = ExplainOptions {
        beta: Some(params.beta.unwrap_or(params.gamma)),
        seed: params.seed,
        rule: Some(RuleSet::Standard),
        ..Default::default()
    };
    let inlier = kde.score_rows(Queries::LeaveOneOut, None, Target::Inlier, &base)?;
    let outlier = kde.score_rows(Queries::LeaveOneOut, None, Target::Outlier, &base)?;
    let outlier_explanations = kde.explain_rows(
        Queries::LeaveOneOut,
        Some(&[a, b]),
        Target::Outlier,
        &base,
        &|| {},
    )?;
    progress("random features", 0.1);
    let rff = ExplainOptions {
        n_features: params.n_features,
        trials: params.trials,
        ..base
    };
    let inlier_explanations = kde.explain_rows(
        Queries::LeaveOneOut,
        Some(&[a, b]),
        Target::InlierRff,
        &rff,
        &|| {},
    )?;
    let kde_results = KdeResults {
        gamma: params.gamma,
        beta: params.beta.unwrap_or(params.gamma),
        inlier_median: quantile(&inlier, 0.5),
        inlier_p01: quantile(&inlier, 0.01),
        inlier,
        outlier,
        outlier_explanations,
        inlier_explanations,
    };
    lap("kde", &mut timings);

    // k-means (§4, §5.1)
    progress("k-means", 0.2);
    let km = KMeans::fit(
        KMeansParams::new(params.n_clusters)
            .n_init(params.n_init)
            .seed(params.seed),
        z.view(),
    )?;
    let labels = km.labels();
    let evidence: Vec<f64> = z
        .rows()
        .into_iter()
        .zip(&labels)
        .map(|(x, &c)| km.cluster_evidence(x, c))
        .collect();
    let kmeans_model = FittedModel::Kmeans(km.clone());
    let cluster_opts = ExplainOptions { beta: None, ..base };
    let cluster_explanations = kmeans_model.explain_rows(
        Queries::LeaveOneOut,
        Some(&[a, b]),
        Target::Cluster,
        &cluster_opts,
        &|| {},
    )?;
    let cluster_of_338 = labels[b];
    let mut sizes = vec![0; km.n_clusters()];
    for &l in &labels {
        sizes[l] += 1;
    }
    let centroid = km
        .centroids
        .row(cluster_of_338)
        .to_owned()
        .insert_axis(Axis(0));
    let table2_centroid_raw = transform.invert(&centroid).row(0).to_vec();
    let kmeans_results = KMeansResults {
        inertia: km.inertia,
        beta: km.beta_auto,
        table2_mean: cluster_mean(&raw, &labels, cluster_of_338),
        table2_centroid_raw,
        cluster_of_338,
        labels: labels.clone(),
        evidence,
        sizes,
        explanations: cluster_explanations,
    };
    discrepancies.extend(differences(
        "Table 2 (vs. neon's kept k-means solution, 1 % tolerance)",
        DiscrepancySource::Kmeans,
        &chapter::TABLE2,
        &kmeans_results.table2_mean,
        Tolerance::Relative(0.01),
    ));
    lap("kmeans", &mut timings);

    // Robustness over seeds (not in the chapter)
    progress("robustness", 0.3);
    let robustness = robustness(params, &z, &raw, progress)?;
    lap("robustness", &mut timings);

    progress("t-SNE", 0.8);
    let embedding = neon_xai_report::tsne(z.view(), params.perplexity, params.seed)?;
    let tsne: Vec<[f64; 2]> = embedding.rows().into_iter().map(|r| [r[0], r[1]]).collect();
    lap("tsne", &mut timings);

    let mut results = WholesaleResults {
        params: params.clone(),
        features: columns,
        instances: chapter::INSTANCES,
        table1,
        discrepancies,
        kde: kde_results,
        kmeans: kmeans_results,
        robustness,
        claims: Vec::new(),
        model_space: z,
        tsne,
        timings,
    };
    results.claims = check_claims(&results);
    progress("done", 1.0);
    Ok(results)
}

/// How far a computed value may be from the chapter's printed one.
#[derive(Debug, Clone, Copy)]
enum Tolerance {
    /// In m.u. (Table 1 is printed to 1 m.u.).
    Absolute(f64),
    /// As a fraction of the chapter's value.
    Relative(f64),
}

/// The features where `data` differs from the chapter's values by more than `tolerance`.
fn differences(
    place: &str,
    source: DiscrepancySource,
    chapter_values: &[f64],
    data: &[f64],
    tolerance: Tolerance,
) -> Vec<Discrepancy> {
    chapter_values
        .iter()
        .zip(data)
        .enumerate()
        .filter(|(_, (&c, &d))| {
            let allowed = match tolerance {
                Tolerance::Absolute(t) => t,
                Tolerance::Relative(t) => t * c.abs(),
            };
            (c - d).abs() > allowed
        })
        .map(|(i, (&c, &d))| Discrepancy {
            place: place.to_string(),
            feature: chapter::FEATURES[i].to_string(),
            chapter: c,
            data: d,
            source,
        })
        .collect()
}

fn robustness(
    params: &WholesaleParams,
    z: &Array2<f64>,
    raw: &Array2<f64>,
    progress: Progress<'_>,
) -> Result<Robustness> {
    let [a, b] = chapter::INSTANCES;
    let d = z.ncols();
    // k-means with n_init restarts for each seed
    let per_seed: Vec<(usize, f64, f64, f64, f64)> = (0..params.robustness_seeds as u64)
        .into_par_iter()
        .map(|seed| -> Result<(usize, f64, f64, f64, f64)> {
            let km = KMeans::fit(
                KMeansParams::new(params.n_clusters)
                    .n_init(params.n_init)
                    .seed(seed),
                z.view(),
            )?;
            let c_b = km.predict(z.row(b));
            let (_, relevance, _) = km.explain_cluster(z.row(b), c_b, km.beta_auto);
            let e_a = km.cluster_evidence(z.row(a), km.predict(z.row(a)));
            let e_b = km.cluster_evidence(z.row(b), c_b);
            let all: Vec<f64> = z
                .rows()
                .into_iter()
                .map(|x| km.cluster_evidence(x, km.predict(x)))
                .collect();
            Ok((
                argmax(&relevance),
                e_a,
                e_b,
                e_a / quantile(&all, 0.5),
                km.inertia,
            ))
        })
        .collect::<Result<_>>()?;
    let mut top = vec![0; d];
    for s in &per_seed {
        top[s.0] += 1;
    }
    let mut inertia_counts: Vec<(f64, usize)> = Vec::new();
    for s in &per_seed {
        let rounded = (s.4 * 1e6).round() / 1e6;
        match inertia_counts.iter_mut().find(|(v, _)| *v == rounded) {
            Some(entry) => entry.1 += 1,
            None => inertia_counts.push((rounded, 1)),
        }
    }
    inertia_counts.sort_by(|x, y| x.0.total_cmp(&y.0));
    progress("Table 2 search", 0.5);
    // single-restart solutions: does any reproduce Table 2?
    let searched: Vec<(u64, f64, f64, Vec<f64>)> = (0..params.table2_search_seeds as u64)
        .into_par_iter()
        .map(|seed| -> Result<(u64, f64, f64, Vec<f64>)> {
            let km = KMeans::fit(
                KMeansParams::new(params.n_clusters).n_init(1).seed(seed),
                z.view(),
            )?;
            let labels = km.labels();
            let mean = cluster_mean(raw, &labels, labels[b]);
            Ok((
                seed,
                km.inertia,
                max_relative_deviation(&mean, &chapter::TABLE2),
                mean,
            ))
        })
        .collect::<Result<_>>()?;
    let lowest_inertia = searched.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
    let best = searched
        .iter()
        .min_by(|x, y| x.2.total_cmp(&y.2).then(x.0.cmp(&y.0)))
        .map(|s| Table2Match {
            seed: s.0,
            inertia: s.1,
            max_relative_deviation: s.2,
            cluster_mean: s.3.clone(),
        });
    let table2_reproduced = best
        .as_ref()
        .is_some_and(|m| m.max_relative_deviation <= 0.01);
    progress("beta sweep", 0.7);
    let kde = Kde::fit(KdeParams::new(params.gamma), z.view())?;
    let beta_sweep = params
        .beta_sweep
        .iter()
        .map(|&beta| {
            let (_, relevance, _) = kde.explain_outlier(
                z.row(b),
                Some(b),
                beta,
                neon_xai::models::kde::DEFAULT_EPSILON,
            );
            let e = Explanation::new(b, 0.0, relevance, 0.0);
            (beta, e.shares())
        })
        .collect();
    let ev_a: Vec<f64> = per_seed.iter().map(|s| s.1).collect();
    let ev_b: Vec<f64> = per_seed.iter().map(|s| s.2).collect();
    let ev_rel: Vec<f64> = per_seed.iter().map(|s| s.3).collect();
    Ok(Robustness {
        seeds: params.robustness_seeds,
        top_feature_counts_338: top,
        evidence_338: Spread::of(&ev_b),
        evidence_337: Spread::of(&ev_a),
        evidence_337_relative: Spread::of(&ev_rel),
        inertia_counts,
        table2_seeds: params.table2_search_seeds,
        table2_best: best,
        table2_reproduced,
        lowest_inertia,
        beta_sweep,
    })
}

fn fmt_shares(features: &[String], shares: &[f64]) -> String {
    features
        .iter()
        .zip(shares)
        .map(|(f, s)| format!("{f} {:.1}%", 100.0 * s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The chapter's statements about the two instances, each tested on the computed numbers.
pub fn check_claims(r: &WholesaleResults) -> Vec<Claim> {
    let f = &r.features;
    let idx = |name: &str| f.iter().position(|n| n == name).unwrap_or(0);
    let (fresh, milk, frozen, det, deli) = (
        idx("Fresh"),
        idx("Milk"),
        idx("Frozen"),
        idx("Detergents_Paper"),
        idx("Delicassen"),
    );
    let [a, b] = r.instances;
    let mut claims = Vec::new();

    let p_a = r.kde.inlier[a];
    claims.push(Claim {
        statement: "Instance 338 (row 337) is predicted to be an inlier.".into(),
        criterion: "its leave-one-out inlierness p̃ is above the data's median".into(),
        measured: format!("p̃ = {p_a:.4}, median = {:.4}", r.kde.inlier_median),
        holds: p_a > r.kde.inlier_median,
    });
    let inl = &r.kde.inlier_explanations[0].relevance;
    let min_other = (0..inl.len())
        .filter(|&i| i != frozen)
        .map(|i| inl[i])
        .fold(f64::INFINITY, f64::min);
    claims.push(Claim {
        statement: "'Frozen' contributes less to the inlierness of instance 338.".into(),
        criterion: "frozen has the smallest mean random-feature relevance, under half of any other feature's".into(),
        measured: format!(
            "frozen {:.5} vs smallest other {:.5} (mean over {} draws)",
            inl[frozen], min_other, r.params.trials
        ),
        holds: inl[frozen] < 0.5 * min_other,
    });
    let p_b = r.kde.inlier[b];
    claims.push(Claim {
        statement: "Instance 339 (row 338) has an inlierness score of almost zero.".into(),
        criterion: "its inlierness is below the data's 1st percentile".into(),
        measured: format!("p̃ = {p_b:.3e}, 1st percentile = {:.3e}", r.kde.inlier_p01),
        holds: p_b < r.kde.inlier_p01,
    });
    let out = &r.kde.outlier_explanations[1];
    let shares = out.shares();
    let four = shares[fresh] + shares[milk] + shares[frozen] + shares[det];
    claims.push(Claim {
        statement: "'Fresh', 'milk', 'frozen' and 'detergents/paper' contribute almost all evidence for the outlierness of instance 339.".into(),
        criterion: "the four carry ≥ 95 % of the outlier relevance".into(),
        measured: format!("{:.1} % ({})", 100.0 * four, fmt_shares(f, &shares)),
        holds: four >= 0.95,
    });
    claims.push(Claim {
        statement: "Extremely low spending on 'fresh' is under-represented in the outlierness of instance 339, compared to 'milk' or 'frozen'.".into(),
        criterion: "R_fresh < R_milk and R_fresh < R_frozen".into(),
        measured: format!(
            "fresh {:.3}, milk {:.3}, frozen {:.3}",
            out.relevance[fresh], out.relevance[milk], out.relevance[frozen]
        ),
        holds: out.relevance[fresh] < out.relevance[milk] && out.relevance[fresh] < out.relevance[frozen],
    });
    claims.push(Claim {
        statement:
            "'Frozen' is the category that contributes the most to the outlierness of instance 339."
                .into(),
        criterion: "frozen has the largest outlier relevance".into(),
        measured: format!("largest: {}", f[argmax(&out.relevance)]),
        holds: argmax(&out.relevance) == frozen,
    });
    let ev = &r.kmeans.evidence;
    let ev_a = ev[a];
    let p10 = quantile(ev, 0.10);
    claims.push(Claim {
        statement: "Instance 338 is at the border between two clusters: there is no evidence of membership, the explanation is about zero.".into(),
        criterion: "kept model: its cluster evidence f_c is below the data's 10th percentile".into(),
        measured: format!("f_c = {ev_a:.3}, 10th percentile = {p10:.3}, median = {:.3}", quantile(ev, 0.5)),
        holds: ev_a < p10,
    });
    let rel = r.robustness.evidence_337_relative;
    claims.push(Claim {
        statement: "(robustness) Instance 338's lack of cluster evidence does not depend on the k-means restart.".into(),
        criterion: format!("f_c / median f_c stays below 1 in at least 75 % of {} seeds (3rd quartile < 1)", r.robustness.seeds),
        measured: format!("f_c / median over seeds: min {:.2}, median {:.2}, 3rd quartile {:.2}, max {:.2}", rel.min, rel.median, rel.q3, rel.max),
        holds: rel.q3 < 1.0,
    });
    let cl = &r.kmeans.explanations[1];
    let top_count = r.robustness.top_feature_counts_338[fresh];
    claims.push(Claim {
        statement:
            "The cluster membership of instance 339 is mainly due to its spending on 'fresh'."
                .into(),
        criterion: "fresh is the top contributor for the kept model and in a majority of seeds"
            .into(),
        measured: format!(
            "kept model: top = {} ({:.1} % of relevance); fresh top in {top_count}/{} seeds",
            f[argmax(&cl.relevance)],
            100.0 * cl.shares()[fresh],
            r.robustness.seeds
        ),
        holds: argmax(&cl.relevance) == fresh && 2 * top_count > r.robustness.seeds,
    });
    let t2 = &r.kmeans.table2_mean;
    let avg = &r.table1.average;
    claims.push(Claim {
        statement: "The cluster of instance 339 is characterised by low spending on fresh products and delicatessen.".into(),
        criterion: "its mean fresh and delicatessen spending are below half the data's average".into(),
        measured: format!(
            "fresh {:.0} vs {:.0} m.u., delicatessen {:.0} vs {:.0} m.u.",
            t2[fresh], avg[fresh], t2[deli], avg[deli]
        ),
        holds: t2[fresh] < 0.5 * avg[fresh] && t2[deli] < 0.5 * avg[deli],
    });
    let ev_b = ev[b];
    claims.push(Claim {
        statement: "Instance 339 is well into its cluster.".into(),
        criterion: "its cluster evidence is above the data's median".into(),
        measured: format!("f_c = {ev_b:.3}, median = {:.3}", quantile(ev, 0.5)),
        holds: ev_b > quantile(ev, 0.5),
    });
    claims.push(Claim {
        statement: "Table 2 (the cluster's average spending) is what k-means with 6 clusters finds.".into(),
        criterion: "some single-restart solution over the searched seeds matches Table 2 within 1 % in every category".into(),
        measured: match &r.robustness.table2_best {
            Some(m) => format!(
                "closest: seed {} (inertia {:.3}; lowest found {:.3}), max deviation {:.1} %",
                m.seed,
                m.inertia,
                r.robustness.lowest_inertia,
                100.0 * m.max_relative_deviation
            ),
            None => "no solution searched".into(),
        },
        holds: r.robustness.table2_reproduced,
    });
    claims
}
