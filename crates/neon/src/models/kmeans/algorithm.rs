//! k-means fitting (k-means++ seeding, Lloyd iterations, restarts) and the neuralized cluster
//! evidence with its explanation (§4.1).

use super::capabilities::{CAPABILITIES, NAME};
use super::hyperparams::{KMeansError, KMeansParams};
use crate::error::{NeonError, Result};
use crate::explain::Explanation;
use crate::explain::PointExplainer;
use crate::kernels::{self, Tiles};
use crate::network::{squared_distance, Linear, MinPool};
use crate::options::{check_target_rule, ExplainOptions, RuleSet, Target};
use crate::rules::{grounded_linear_rule, midpoint_rule, soft_argmin, squared_weight_rule};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A fitted (or imported) k-means model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeans {
    /// Centroids `μ_c` (K × d), in model space.
    pub centroids: Array2<f64>,
    /// Training points (N × d), in model space.
    pub points: Array2<f64>,
    /// Sum of squared distances of the training points to their centroid.
    pub inertia: f64,
    /// Lloyd iterations of the kept run (0 for imported centroids).
    pub n_iter: usize,
    /// Data-derived stiffness `β = 1 / mean_x f_c(x)` over the training points (the default β).
    pub beta_auto: f64,
}

impl KMeans {
    /// Fit k-means with `n_init` k-means++ restarts and keep the lowest inertia (ties: the
    /// earliest restart). Deterministic for a seed, whatever the number of threads.
    pub fn fit(params: KMeansParams, points: ArrayView2<f64>) -> Result<Self> {
        // training points in C order, whatever the caller's layout: the same numbers for a
        // model fitted in memory and one read back from its file
        let standard = points.as_standard_layout();
        let points = standard.view();
        params.validate(points.nrows())?;
        check_distinct(points, params.n_clusters)?;
        let centred = Centred::new(points);
        let runs: Vec<(Array2<f64>, f64, usize)> = (0..params.n_init as u64)
            .into_par_iter()
            .map(|run| centred.run(&params, run))
            .collect();
        let mut best = 0;
        for (i, run) in runs.iter().enumerate() {
            if run.1 < runs[best].1 {
                best = i;
            }
        }
        let (centroids, inertia, n_iter) =
            runs.into_iter().nth(best).ok_or(KMeansError::NoRestarts)?;
        Self::assemble(centroids, points, inertia, n_iter)
    }

    /// Fit and also return the inertia of every restart (to check that the kept one is the
    /// minimum, or to study the spread over restarts).
    pub fn fit_all_restarts(params: KMeansParams, points: ArrayView2<f64>) -> Result<Vec<Self>> {
        params.validate(points.nrows())?;
        check_distinct(points, params.n_clusters)?;
        let centred = Centred::new(points);
        (0..params.n_init as u64)
            .into_par_iter()
            .map(|run| {
                let (c, inertia, n_iter) = centred.run(&params, run);
                Self::assemble(c, points, inertia, n_iter)
            })
            .collect()
    }

    /// Import centroids fitted elsewhere (e.g. scikit-learn's `cluster_centers_`, in the
    /// transformed space); `points` are the training data in the same space.
    pub fn from_centroids(centroids: Array2<f64>, points: ArrayView2<f64>) -> Result<Self> {
        if centroids.nrows() < 2 {
            return Err(KMeansError::TooFewCentroids(centroids.nrows()).into());
        }
        if centroids.ncols() != points.ncols() {
            return Err(NeonError::ShapeMismatch {
                what: "centroids vs data columns".into(),
                expected: format!("{} columns", points.ncols()),
                found: format!("{} columns", centroids.ncols()),
            });
        }
        if centroids.iter().any(|v| !v.is_finite()) {
            return Err(KMeansError::NonFiniteCentroid.into());
        }
        let inertia = points
            .rows()
            .into_iter()
            .map(|x| nearest(centroids.view(), x).1)
            .sum();
        Self::assemble(centroids, points, inertia, 0)
    }

    fn assemble(
        centroids: Array2<f64>,
        points: ArrayView2<f64>,
        inertia: f64,
        n_iter: usize,
    ) -> Result<Self> {
        let mut model = KMeans {
            centroids,
            points: points.as_standard_layout().into_owned(),
            inertia,
            n_iter,
            beta_auto: 1.0,
        };
        let evidence: Vec<f64> = points
            .rows()
            .into_iter()
            .map(|x| model.cluster_evidence(x, model.predict(x)))
            .collect();
        let mean = evidence.iter().sum::<f64>() / evidence.len().max(1) as f64;
        model.beta_auto = if mean > 0.0 && mean.is_finite() {
            1.0 / mean
        } else {
            1.0
        };
        Ok(model)
    }

    /// Number of clusters K.
    pub fn n_clusters(&self) -> usize {
        self.centroids.nrows()
    }

    /// Number of features d.
    pub fn n_features(&self) -> usize {
        self.centroids.ncols()
    }

    /// The nearest centroid (ties: lowest index).
    pub fn predict(&self, x: ArrayView1<f64>) -> usize {
        nearest(self.centroids.view(), x).0
    }

    /// Labels of all training points.
    pub fn labels(&self) -> Vec<usize> {
        self.points
            .rows()
            .into_iter()
            .map(|x| self.predict(x))
            .collect()
    }

    /// Cluster evidence by the direct formula, Eq. (5):
    /// `f_c(x) = min_{k≠c} ‖x − μ_k‖² − ‖x − μ_c‖²`.
    pub fn cluster_evidence(&self, x: ArrayView1<f64>, cluster: usize) -> f64 {
        let own = squared_distance(x, self.centroids.row(cluster));
        (0..self.n_clusters())
            .filter(|&k| k != cluster)
            .map(|k| squared_distance(x, self.centroids.row(k)) - own)
            .fold(f64::INFINITY, f64::min)
    }

    /// Layer 1 of the neuralized cluster network of §4.1 for cluster `c`: one linear unit per
    /// competitor `k ≠ c`, `w_k = 2(μ_c − μ_k)`, `b_k = ‖μ_k‖² − ‖μ_c‖²`. Returns the layer and
    /// the competitors' indices.
    pub fn cluster_layer(&self, cluster: usize) -> (Linear, Vec<usize>) {
        let competitors: Vec<usize> = (0..self.n_clusters()).filter(|&k| k != cluster).collect();
        let d = self.n_features();
        let mu_c = self.centroids.row(cluster);
        let norm_c = mu_c.dot(&mu_c);
        let mut weights = Array2::zeros((competitors.len(), d));
        let mut bias = Array1::zeros(competitors.len());
        for (row, &k) in competitors.iter().enumerate() {
            let mu_k = self.centroids.row(k);
            weights.row_mut(row).assign(&((&mu_c - &mu_k) * 2.0));
            bias[row] = mu_k.dot(&mu_k) - norm_c;
        }
        (Linear { weights, bias }, competitors)
    }

    /// Cluster evidence through the network: min-pooling over the linear layer.
    pub fn cluster_network(&self, x: ArrayView1<f64>, cluster: usize) -> f64 {
        let (layer, _) = self.cluster_layer(cluster);
        let h = layer.forward(x);
        MinPool.forward(&h.to_vec())
    }

    /// Explanation of membership of `x` in `cluster` (§4.1): soft argmin with stiffness β over
    /// the competitors, then the w² rule. Returns (f_c(x), relevance, dissipated).
    pub fn explain_cluster(
        &self,
        x: ArrayView1<f64>,
        cluster: usize,
        beta: f64,
    ) -> (f64, Vec<f64>, f64) {
        let (layer, _) = self.cluster_layer(cluster);
        let h = layer.forward(x).to_vec();
        let score = MinPool.forward(&h);
        let r_k: Vec<f64> = soft_argmin(&h, beta)
            .into_iter()
            .map(|p| p * score)
            .collect();
        let (relevance, dissipated) = squared_weight_rule(layer.weights.view(), &r_k);
        (score, relevance, dissipated)
    }

    /// Explanation of membership of `x` in `cluster` with any rule set: the soft argmin over
    /// the competitors as in §4.1, then the w² rule (standard), the grounded rule of Appendix
    /// A.3 (`R_i = Σ_k p_k x_i w_ik`, residual dissipated) or the midpoint rule
    /// (`R_i ∝ w_ik (x − (μ_c + μ_k)/2)_i`, ε-stabilised). Returns (f_c(x), relevance,
    /// dissipated).
    pub fn explain_cluster_with(
        &self,
        x: ArrayView1<f64>,
        cluster: usize,
        beta: f64,
        rule: RuleSet,
        epsilon: f64,
    ) -> (f64, Vec<f64>, f64) {
        if rule == RuleSet::Standard {
            return self.explain_cluster(x, cluster, beta);
        }
        let (layer, competitors) = self.cluster_layer(cluster);
        let h = layer.forward(x).to_vec();
        let score = MinPool.forward(&h);
        let p = soft_argmin(&h, beta);
        match rule {
            RuleSet::Grounded => {
                let relevance = grounded_linear_rule(x, layer.weights.view(), &p);
                let residual = score - relevance.iter().sum::<f64>();
                (score, relevance, residual)
            }
            _ => {
                let mu_c = self.centroids.row(cluster);
                let mut midpoints = Array2::zeros((competitors.len(), self.n_features()));
                for (row, &k) in competitors.iter().enumerate() {
                    let mid = (&mu_c + &self.centroids.row(k)) * 0.5;
                    midpoints.row_mut(row).assign(&mid);
                }
                let r_k: Vec<f64> = p.iter().map(|p| p * score).collect();
                let (relevance, dissipated) =
                    midpoint_rule(x, layer.weights.view(), midpoints.view(), &r_k, epsilon);
                (score, relevance, dissipated)
            }
        }
    }

    /// Prepare an explainer for the cluster target.
    pub fn explainer(
        &self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<KMeansExplainer<'_>> {
        options.validate()?;
        let rule = options.rule_for(CAPABILITIES, target);
        check_target_rule(NAME, CAPABILITIES, target, rule)?;
        options.check_cluster(target, Some(self.n_clusters()))?;
        Ok(KMeansExplainer {
            model: self,
            beta: options.beta.unwrap_or(self.beta_auto),
            rule,
            epsilon: options.epsilon,
            cluster: options.cluster,
        })
    }
}

/// A k-means model ready to explain cluster membership.
#[derive(Debug)]
pub struct KMeansExplainer<'a> {
    model: &'a KMeans,
    beta: f64,
    rule: RuleSet,
    epsilon: f64,
    /// The chosen cluster (`None`: each row's own).
    cluster: Option<usize>,
}

impl KMeansExplainer<'_> {
    /// The stiffness β in use.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The rule set in use.
    pub fn rule(&self) -> RuleSet {
        self.rule
    }

    /// The chosen cluster, if one was chosen.
    pub fn chosen_cluster(&self) -> Option<usize> {
        self.cluster
    }

    /// The cluster explained for `x`: the chosen one, else the nearest centroid's.
    fn cluster_for(&self, x: ArrayView1<f64>) -> usize {
        self.cluster.unwrap_or_else(|| self.model.predict(x))
    }
}

impl PointExplainer for KMeansExplainer<'_> {
    fn target(&self) -> Target {
        Target::Cluster
    }

    fn n_features(&self) -> usize {
        self.model.n_features()
    }

    fn score(&self, x: ArrayView1<f64>, _exclude: Option<usize>) -> f64 {
        self.model.cluster_evidence(x, self.cluster_for(x))
    }

    fn explain(&self, x: ArrayView1<f64>, _exclude: Option<usize>, row: usize) -> Explanation {
        let cluster = self.cluster_for(x);
        let (score, relevance, dissipated) =
            self.model
                .explain_cluster_with(x, cluster, self.beta, self.rule, self.epsilon);
        let mut explanation = Explanation::new(row, score, relevance, dissipated);
        explanation.cluster = Some(cluster);
        explanation
    }
}

/// Index of the nearest centroid and the squared distance to it (ties: lowest index).
fn nearest(centroids: ArrayView2<f64>, x: ArrayView1<f64>) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (k, c) in centroids.rows().into_iter().enumerate() {
        let d = squared_distance(x, c);
        if d < best.1 {
            best = (k, d);
        }
    }
    best
}

/// The training data centred at its mean, with squared norms, shared by all restarts.
struct Centred {
    mean: Array1<f64>,
    values: Array2<f64>,
    norms: Array1<f64>,
}

impl Centred {
    fn new(points: ArrayView2<f64>) -> Self {
        let mean = points
            .mean_axis(Axis(0))
            .unwrap_or_else(|| Array1::zeros(points.ncols()));
        let values = &points - &mean;
        let norms = kernels::distance::squared_norms(values.view());
        Centred {
            mean,
            values,
            norms,
        }
    }

    /// Restart `run`: k-means++ seeding from stream `run` of the seed, then Lloyd iterations,
    /// both through the blocked kernel (centroids returned in the original space).
    fn run(&self, params: &KMeansParams, run: u64) -> (Array2<f64>, f64, usize) {
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        rng.set_stream(run);
        let tiles = Tiles {
            rows: FIT_BLOCK_ROWS,
            ..Tiles::default()
        };
        let x = self.values.view();
        let init =
            kernels::kmeans::kmeans_plus_plus(x, &self.norms, params.n_clusters, &mut rng, tiles);
        let (centroids, inertia, n_iter) =
            kernels::kmeans::lloyd(x, &self.norms, init, params.max_iter, params.tol, tiles);
        (centroids + &self.mean, inertia, n_iter)
    }
}

/// Rows per block of the fitting kernels (fixes the order of every reduction).
const FIT_BLOCK_ROWS: usize = 1024;

/// At least `n_clusters` distinct rows (−0 and 0 are one value), or every fit would leave a
/// cluster empty.
fn check_distinct(points: ArrayView2<f64>, n_clusters: usize) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for row in points.rows() {
        let key: Vec<u64> = row.iter().map(|v| (v + 0.0).to_bits()).collect();
        seen.insert(key);
        if seen.len() >= n_clusters {
            return Ok(());
        }
    }
    Err(KMeansError::TooFewDistinctPoints {
        n_clusters,
        distinct: seen.len(),
    }
    .into())
}
