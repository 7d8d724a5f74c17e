//! Analytic gradients of every model score, for [integrated gradients](super::integrated_gradients)
//! (§2.1: "leverages the gradient of the function"). No finite differences: each gradient is
//! derived from the score's closed form and checked against central differences in the tests.

use crate::models::kde::RandomFeatureDraw;
use crate::models::{KMeans, Kde};
use crate::network::squared_distance;
use crate::rules::soft_argmin;
use ndarray::{Array1, ArrayView1};

/// Gradient of the KDE outlierness `o(x) = LME^{−γ}_k{‖x − u_k‖²}` (§3.1):
/// `∇o(x) = Σ_k softmin_γ(h)_k · 2(x − u_k)`, with `h_k = ‖x − u_k‖²` and
/// `softmin_γ(h)_k = exp(−γ h_k) / Σ_k' exp(−γ h_k')` over the active points (training point
/// `exclude` left out). The soft-min weights are computed shifted, so the gradient stays finite
/// however far `x` is from the data.
pub fn outlier(kde: &Kde, x: ArrayView1<f64>, exclude: Option<usize>) -> Array1<f64> {
    let layer = kde.distance_layer(exclude);
    let h = layer.forward(x);
    let weights = soft_argmin(&h, kde.gamma);
    let mut grad = Array1::zeros(x.len());
    for (k, p) in layer.active().zip(weights) {
        if p == 0.0 {
            continue;
        }
        let u = kde.points.row(k);
        for i in 0..x.len() {
            grad[i] += p * 2.0 * (x[i] - u[i]);
        }
    }
    grad
}

/// Gradient of the KDE inlierness `p̃(x) = exp(−γ o(x))` (Eq. 1, §3.2): by the chain rule
/// `∇p̃(x) = −γ p̃(x) ∇o(x) = −(2γ/N) Σ_k exp(−γ‖x − u_k‖²)(x − u_k)`.
pub fn inlier(kde: &Kde, x: ArrayView1<f64>, exclude: Option<usize>) -> Array1<f64> {
    let p = kde.inlier(x, exclude);
    outlier(kde, x, exclude) * (-kde.gamma * p)
}

/// Gradient of the random-feature inlierness of one draw (§3.3, Eq. 3),
/// `î(x) = (1/H) Σ_j √2 cos(ω_jᵀx + b_j) μ_j`:
/// `∇î(x) = −(1/H) Σ_j √2 sin(ω_jᵀx + b_j) μ_j ω_j`. `mean_embedding` is `μ` (the draw's own,
/// or its leave-one-out update from [`RandomFeatureDraw::mean_embedding_without`]).
pub fn inlier_rff(
    draw: &RandomFeatureDraw,
    mean_embedding: ArrayView1<f64>,
    x: ArrayView1<f64>,
) -> Array1<f64> {
    let layer = &draw.layer;
    let n_features = layer.phase.len() as f64;
    let mut coefficient = layer.omega.dot(&x);
    coefficient.zip_mut_with(&layer.phase, |v, b| *v = (*v + b).sin());
    coefficient.zip_mut_with(&mean_embedding, |v, m| {
        *v *= -std::f64::consts::SQRT_2 * m / n_features
    });
    layer.omega.t().dot(&coefficient)
}

/// Gradient of the cluster evidence `f_c(x) = min_{k≠c} {w_kᵀx + b_k}` (Eq. 5, §4.1) for a fixed
/// cluster `c`: the weight vector of the active (nearest competing) unit,
/// `∇f_c(x) = w_{k*} = 2(μ_c − μ_{k*})`, `k* = argmin_{k≠c} ‖x − μ_k‖²` (ties: lowest index).
/// The hard min makes `f_c` piecewise linear; on a tie the gradient is one of the one-sided
/// gradients.
pub fn cluster_evidence(kmeans: &KMeans, x: ArrayView1<f64>, cluster: usize) -> Array1<f64> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{ExplainOptions, KdeParams, Target};
    use ndarray::{array, Array2};

    /// Central difference `(f(x + h e_i) − f(x − h e_i)) / 2h` for every i.
    fn central(f: impl Fn(ArrayView1<f64>) -> f64, x: ArrayView1<f64>, h: f64) -> Vec<f64> {
        (0..x.len())
            .map(|i| {
                let mut plus = x.to_owned();
                let mut minus = x.to_owned();
                plus[i] += h;
                minus[i] -= h;
                (f(plus.view()) - f(minus.view())) / (2.0 * h)
            })
            .collect()
    }

    fn assert_close(analytic: &Array1<f64>, numeric: &[f64], tol: f64) {
        for (a, n) in analytic.iter().zip(numeric) {
            assert!(
                (a - n).abs() <= tol * (1.0 + n.abs()),
                "analytic {analytic} vs numeric {numeric:?}"
            );
        }
    }

    fn points() -> Array2<f64> {
        array![
            [0.0, 0.0, 0.5],
            [1.0, -0.5, 0.0],
            [-0.3, 1.2, 0.7],
            [0.8, 0.9, -1.0],
            [-1.1, 0.2, 0.3]
        ]
    }

    #[test]
    fn kde_gradients_match_central_differences() {
        let kde = Kde::fit(KdeParams::new(0.7), points().view()).expect("fit");
        for x in [array![0.3, -0.2, 0.1], array![2.0, 1.5, -1.0]] {
            for exclude in [None, Some(2)] {
                let o = outlier(&kde, x.view(), exclude);
                let fd = central(|z| kde.outlier(z, exclude), x.view(), 1e-5);
                assert_close(&o, &fd, 1e-7);
                let p = inlier(&kde, x.view(), exclude);
                let fd = central(|z| kde.inlier(z, exclude), x.view(), 1e-5);
                assert_close(&p, &fd, 1e-7);
            }
        }
    }

    #[test]
    fn rff_gradient_matches_central_differences() {
        let kde = Kde::fit(KdeParams::new(0.7), points().view()).expect("fit");
        let options = ExplainOptions {
            n_features: 200,
            ..Default::default()
        };
        let explainer = kde
            .explainer(Target::InlierRff, &options)
            .expect("explainer");
        let draw = &explainer.draws()[0];
        let x = array![0.3, -0.2, 0.1];
        let mu = draw.layer.mean_embedding.view();
        let value = |z: ArrayView1<f64>| {
            (draw.layer.feature_map(z) * &draw.layer.mean_embedding).sum() / 200.0
        };
        let g = inlier_rff(draw, mu, x.view());
        assert_close(&g, &central(value, x.view(), 1e-5), 1e-7);
    }

    #[test]
    fn cluster_gradient_matches_central_differences_off_ties() {
        let centroids = array![[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]];
        let train = array![[0.0, 0.0], [1.0, -0.5], [-0.3, 1.2], [0.8, 0.9]];
        let km = KMeans::from_centroids(centroids, train.view()).expect("import");
        for x in [array![0.5, 0.2], array![-1.0, 1.5], array![2.0, 1.0]] {
            let c = km.predict(x.view());
            let g = cluster_evidence(&km, x.view(), c);
            let fd = central(|z| km.cluster_evidence(z, c), x.view(), 1e-6);
            assert_close(&g, &fd, 1e-7);
        }
    }
}
