//! The cluster evidence as a differentiable function, for the baselines that need `f` and
//! `∇f` (integrated gradients, §2.1).

use super::algorithm::KMeans;
use crate::engine::{DifferentiableScore, LocalScore};
use crate::kernels::math::squared_distance;
use ndarray::{Array1, ArrayView1};

/// Gradient of the cluster evidence `f_c(x) = min_{k≠c} {w_kᵀx + b_k}` (Eq. 5, §4.1) for a fixed
/// cluster `c`: the weight vector of the active (nearest competing) unit,
/// `∇f_c(x) = w_{k*} = 2(μ_c − μ_{k*})`, `k* = argmin_{k≠c} ‖x − μ_k‖²` (ties: lowest index).
/// The hard min makes `f_c` piecewise linear; on a tie the gradient is one of the one-sided
/// gradients.
pub fn cluster_evidence_gradient(
    kmeans: &KMeans,
    x: ArrayView1<f64>,
    cluster: usize,
) -> Array1<f64> {
    let mut best = (cluster, f64::INFINITY);
    for (k, mu) in kmeans.centroids.rows().into_iter().enumerate() {
        if k == cluster {
            continue;
        }
        let d = squared_distance(x, mu);
        if d < best.1 {
            best = (k, d);
        }
    }
    let mu_c = kmeans.centroids.row(cluster);
    let mu_k = kmeans.centroids.row(best.0);
    (&mu_c - &mu_k) * 2.0
}

/// The cluster target: around an explained point `x`, the evidence `f_c` of the chosen cluster
/// or else of the cluster `c` assigned to `x`, so every perturbed point is scored for that same
/// cluster (Eq. 5, §4.1).
pub(crate) struct ClusterScore<'a>(pub(crate) &'a KMeans, pub(crate) Option<usize>);

impl DifferentiableScore for ClusterScore<'_> {
    fn at<'s>(&'s self, x: ArrayView1<f64>, _exclude: Option<usize>) -> Box<dyn LocalScore + 's> {
        Box::new(FixedCluster {
            kmeans: self.0,
            cluster: self.1.unwrap_or_else(|| self.0.predict(x)),
        })
    }
}

/// `f_c` for a fixed cluster `c`.
struct FixedCluster<'a> {
    kmeans: &'a KMeans,
    cluster: usize,
}

impl LocalScore for FixedCluster<'_> {
    fn value(&self, z: ArrayView1<f64>) -> f64 {
        self.kmeans.cluster_evidence(z, self.cluster)
    }

    fn gradient(&self, z: ArrayView1<f64>) -> Array1<f64> {
        cluster_evidence_gradient(self.kmeans, z, self.cluster)
    }

    fn cluster(&self) -> Option<usize> {
        Some(self.cluster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, central};
    use ndarray::array;

    #[test]
    fn cluster_gradient_matches_central_differences_off_ties() {
        let centroids = array![[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]];
        let train = array![[0.0, 0.0], [1.0, -0.5], [-0.3, 1.2], [0.8, 0.9]];
        let km = KMeans::from_centroids(centroids, train.view()).expect("import");
        for x in [array![0.5, 0.2], array![-1.0, 1.5], array![2.0, 1.0]] {
            let c = km.predict(x.view());
            let g = cluster_evidence_gradient(&km, x.view(), c);
            let fd = central(|z| km.cluster_evidence(z, c), x.view(), 1e-6);
            assert_close(&g, &fd, 1e-7);
            let score = ClusterScore(&km, None);
            let local = score.at(x.view(), None);
            assert_eq!(local.cluster(), Some(c));
            assert_eq!(local.value(x.view()), km.cluster_evidence(x.view(), c));
        }
    }
}
