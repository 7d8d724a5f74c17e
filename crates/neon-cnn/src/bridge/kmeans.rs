//! k-means on locations and cluster-membership evidence (§4.1, Appendix A.3).

use ndarray::{Array1, Array2, ArrayView1};
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::{softmin, LocationRelevance};
use crate::error::{CnnError, Result};

/// k-means hyperparameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KMeansParams {
    /// Number of clusters (the chapter uses 5 in §5.2).
    pub n_clusters: usize,
    /// Restarts of k-means++ + Lloyd; the lowest inertia wins.
    pub n_init: usize,
    /// Lloyd iterations per restart at most.
    pub max_iter: usize,
    /// Seed of all randomness.
    pub seed: u64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        KMeansParams {
            n_clusters: 5,
            n_init: 10,
            max_iter: 300,
            seed: 0,
        }
    }
}

/// Fitted k-means with centroids rescaled to a common norm (the mean of their norms, §5.2), so
/// that the biases `b_k = ‖μ_k‖² − ‖μ_c‖²` of the neuralized model vanish.
#[derive(Debug, Clone)]
pub struct KMeansModel {
    /// Rescaled centroids, `K × C`.
    pub centroids: Array2<f64>,
    /// Cluster of each location (nearest rescaled centroid).
    pub labels: Vec<usize>,
    /// Common centroid norm.
    pub norm: f64,
}

fn sqd(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum()
}

impl KMeansModel {
    /// Fit on `data` (`N × C`).
    pub fn fit(data: &Array2<f64>, p: &KMeansParams) -> Result<Self> {
        let n = data.nrows();
        if p.n_clusters < 2 {
            return Err(CnnError::param(
                "n_clusters",
                "must be at least 2 (membership is contrasted with the other clusters)",
            ));
        }
        if p.n_init == 0 {
            return Err(CnnError::param("n_init", "cannot be 0"));
        }
        if n < p.n_clusters {
            return Err(CnnError::TooFewLocations {
                model: "kmeans",
                needed: p.n_clusters,
                found: n,
            });
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(p.seed);
        let mut best: Option<(f64, Array2<f64>)> = None;
        for _ in 0..p.n_init {
            let mut cent = plus_plus(data, p.n_clusters, &mut rng);
            let mut labels = vec![0usize; n];
            for _ in 0..p.max_iter.max(1) {
                let mut changed = false;
                for (r, lab) in labels.iter_mut().enumerate() {
                    let l = nearest(&cent, data.row(r));
                    changed |= l != *lab;
                    *lab = l;
                }
                let mut sums = Array2::<f64>::zeros(cent.dim());
                let mut counts = vec![0usize; p.n_clusters];
                for (r, &lab) in labels.iter().enumerate() {
                    sums.row_mut(lab).scaled_add(1.0, &data.row(r));
                    counts[lab] += 1;
                }
                for (k, &count) in counts.iter().enumerate() {
                    if count > 0 {
                        let row = &sums.row(k) / count as f64;
                        cent.row_mut(k).assign(&row);
                    }
                }
                if !changed {
                    break;
                }
            }
            let inertia: f64 = (0..n)
                .map(|r| sqd(data.row(r), cent.row(nearest(&cent, data.row(r)))))
                .sum();
            if best.as_ref().is_none_or_lower(inertia) {
                best = Some((inertia, cent));
            }
        }
        let (_, mut cent) = best.ok_or_else(|| CnnError::param("n_init", "no restart ran"))?;
        let norms: Vec<f64> = cent.outer_iter().map(|r| r.dot(&r).sqrt()).collect();
        let norm = norms.iter().sum::<f64>() / norms.len() as f64;
        for (k, nk) in norms.iter().enumerate() {
            if *nk > 0.0 {
                let row = &cent.row(k) * (norm / nk);
                cent.row_mut(k).assign(&row);
            }
        }
        let labels = (0..n).map(|r| nearest(&cent, data.row(r))).collect();
        Ok(KMeansModel {
            centroids: cent,
            labels,
            norm,
        })
    }

    /// The cluster of a new point: its nearest rescaled centroid.
    pub fn assign(&self, a: ArrayView1<f64>) -> usize {
        nearest(&self.centroids, a)
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.centroids.nrows()
    }

    /// `h_k = w_kᵀa + b_k` for `k ≠ c`, `w_k = 2(μ_c − μ_k)`, `b_k = ‖μ_k‖² − ‖μ_c‖²` (§4.1).
    fn layer1(&self, a: ArrayView1<f64>, c: usize) -> Vec<(usize, f64, Array1<f64>)> {
        let mc = self.centroids.row(c);
        let nc = mc.dot(&mc);
        (0..self.n_clusters())
            .filter(|&k| k != c)
            .map(|k| {
                let mk = self.centroids.row(k);
                let w = (&mc - &mk) * 2.0;
                let b = mk.dot(&mk) - nc;
                (k, w.dot(&a) + b, w)
            })
            .collect()
    }

    /// Cluster evidence `f_c(a) = min_{k≠c} h_k` (Eq. 5).
    pub fn evidence(&self, a: ArrayView1<f64>, c: usize) -> f64 {
        self.layer1(a, c)
            .iter()
            .map(|(_, h, _)| *h)
            .fold(f64::INFINITY, f64::min)
    }

    /// Appendix A.3: `R_k^dot = p_k aᵀw_k`, `R_i = Σ_k a_i w_ik / Σ_i' a_i' w_i'k · R_k^dot = Σ_k p_k a_i w_ik`.
    pub fn explain(&self, a: ArrayView1<f64>, c: usize, beta: f64) -> Result<LocationRelevance> {
        if c >= self.n_clusters() {
            return Err(CnnError::param(
                "cluster",
                format!("{c} >= n_clusters = {}", self.n_clusters()),
            ));
        }
        let l1 = self.layer1(a, c);
        let h: Vec<f64> = l1.iter().map(|(_, h, _)| *h).collect();
        let p = softmin(&h, beta);
        let mut wbar = Array1::<f64>::zeros(a.len());
        for ((_, _, w), pk) in l1.iter().zip(&p) {
            wbar.scaled_add(*pk, w);
        }
        let rel = Array1::from_shape_fn(a.len(), |i| a[i] * wbar[i]);
        Ok(LocationRelevance::new(rel, self.evidence(a, c)))
    }
}

trait Lower {
    fn is_none_or_lower(&self, inertia: f64) -> bool;
}

impl Lower for Option<&(f64, Array2<f64>)> {
    fn is_none_or_lower(&self, inertia: f64) -> bool {
        match self {
            None => true,
            Some((b, _)) => inertia < *b,
        }
    }
}

fn nearest(cent: &Array2<f64>, x: ArrayView1<f64>) -> usize {
    let mut best = (f64::INFINITY, 0);
    for (k, c) in cent.outer_iter().enumerate() {
        let d = sqd(c, x);
        if d < best.0 {
            best = (d, k);
        }
    }
    best.1
}

fn plus_plus(data: &Array2<f64>, k: usize, rng: &mut impl Rng) -> Array2<f64> {
    let n = data.nrows();
    let mut cent = Array2::<f64>::zeros((k, data.ncols()));
    cent.row_mut(0).assign(&data.row(rng.gen_range(0..n)));
    let mut d: Vec<f64> = (0..n).map(|r| sqd(data.row(r), cent.row(0))).collect();
    for c in 1..k {
        let total: f64 = d.iter().sum();
        let pick = if total > 0.0 {
            let mut t = rng.gen_range(0.0..total);
            let mut idx = n - 1;
            for (r, &dr) in d.iter().enumerate() {
                if t < dr {
                    idx = r;
                    break;
                }
                t -= dr;
            }
            idx
        } else {
            rng.gen_range(0..n)
        };
        cent.row_mut(c).assign(&data.row(pick));
        for (r, dr) in d.iter_mut().enumerate() {
            *dr = dr.min(sqd(data.row(r), cent.row(c)));
        }
    }
    cent
}
