//! The KDE targets as differentiable functions, for the baselines that need `f` and `∇f`
//! (integrated gradients, §2.1). Each gradient is derived from the score's closed form and
//! checked against central differences in the tests; no finite differences in the product.

use super::algorithm::{Kde, KdeExplainer};
use super::random_features::RandomFeatureDraw;
use crate::engine::{DifferentiableScore, LocalScore};
use crate::error::Result;
use crate::kernels::math::soft_argmin;
use crate::options::{ExplainOptions, Target};
use ndarray::{Array1, ArrayView1};

/// Gradient of the KDE outlierness `o(x) = LME^{−γ}_k{‖x − u_k‖²}` (§3.1):
/// `∇o(x) = Σ_k softmin_γ(h)_k · 2(x − u_k)`, with `h_k = ‖x − u_k‖²` and
/// `softmin_γ(h)_k = exp(−γ h_k) / Σ_k' exp(−γ h_k')` over the active points (training point
/// `exclude` left out). The soft-min weights are computed shifted, so the gradient stays finite
/// however far `x` is from the data.
pub fn outlier_gradient(kde: &Kde, x: ArrayView1<f64>, exclude: Option<usize>) -> Array1<f64> {
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
pub fn inlier_gradient(kde: &Kde, x: ArrayView1<f64>, exclude: Option<usize>) -> Array1<f64> {
    let p = kde.inlier(x, exclude);
    outlier_gradient(kde, x, exclude) * (-kde.gamma * p)
}

/// Gradient of the random-feature inlierness of one draw (§3.3, Eq. 3),
/// `î(x) = (1/H) Σ_j √2 cos(ω_jᵀx + b_j) μ_j`:
/// `∇î(x) = −(1/H) Σ_j √2 sin(ω_jᵀx + b_j) μ_j ω_j`. `mean_embedding` is `μ` (the draw's own,
/// or its leave-one-out update from [`RandomFeatureDraw::mean_embedding_without`]).
pub fn inlier_rff_gradient(
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

/// One KDE target prepared as a differentiable function (random features drawn once, from
/// the same options as NEON, so both explain the same `î`).
pub(crate) enum KdeScore<'a> {
    Outlier(&'a Kde),
    Inlier(&'a Kde),
    InlierRff(&'a Kde, KdeExplainer<'a>),
}

impl<'a> KdeScore<'a> {
    pub(crate) fn new(kde: &'a Kde, target: Target, options: &ExplainOptions) -> Result<Self> {
        let explainer = kde.explainer(target, options)?;
        Ok(match target {
            Target::Outlier => KdeScore::Outlier(kde),
            Target::Inlier => KdeScore::Inlier(kde),
            _ => KdeScore::InlierRff(kde, explainer),
        })
    }
}

impl DifferentiableScore for KdeScore<'_> {
    fn at<'s>(&'s self, _x: ArrayView1<f64>, exclude: Option<usize>) -> Box<dyn LocalScore + 's> {
        match self {
            KdeScore::Outlier(kde) => Box::new(Local::Outlier(kde, exclude)),
            KdeScore::Inlier(kde) => Box::new(Local::Inlier(kde, exclude)),
            KdeScore::InlierRff(kde, explainer) => {
                // the mean embedding without the left-out training row, once per point
                let embeddings = explainer
                    .draws()
                    .iter()
                    .map(|draw| match exclude {
                        Some(k) if k < kde.points.nrows() => {
                            let map = draw.layer.feature_map(kde.points.row(k));
                            draw.mean_embedding_without(map.view())
                        }
                        _ => draw.layer.mean_embedding.clone(),
                    })
                    .collect();
                Box::new(Local::InlierRff(explainer.draws(), embeddings))
            }
        }
    }
}

/// A KDE target fixed around one explained point.
enum Local<'a> {
    Outlier(&'a Kde, Option<usize>),
    Inlier(&'a Kde, Option<usize>),
    InlierRff(&'a [RandomFeatureDraw], Vec<Array1<f64>>),
}

impl LocalScore for Local<'_> {
    /// Outlierness (§3.1), inlierness (Eq. 1) or random-feature inlierness averaged over the
    /// draws (§3.3).
    fn value(&self, z: ArrayView1<f64>) -> f64 {
        match self {
            Local::Outlier(kde, exclude) => kde.outlier(z, *exclude),
            Local::Inlier(kde, exclude) => kde.inlier(z, *exclude),
            Local::InlierRff(draws, embeddings) => {
                let total: f64 = draws
                    .iter()
                    .zip(embeddings)
                    .map(|(draw, mu)| {
                        let h = draw.layer.feature_map(z) * mu;
                        h.sum() / h.len() as f64
                    })
                    .sum();
                total / draws.len() as f64
            }
        }
    }

    fn gradient(&self, z: ArrayView1<f64>) -> Array1<f64> {
        match self {
            Local::Outlier(kde, exclude) => outlier_gradient(kde, z, *exclude),
            Local::Inlier(kde, exclude) => inlier_gradient(kde, z, *exclude),
            Local::InlierRff(draws, embeddings) => {
                let mut total = Array1::zeros(z.len());
                for (draw, mu) in draws.iter().zip(embeddings) {
                    total += &inlier_rff_gradient(draw, mu.view(), z);
                }
                total / draws.len() as f64
            }
        }
    }

    fn cost(&self) -> u64 {
        match self {
            Local::InlierRff(draws, _) => draws.len() as u64,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::KdeParams;
    use crate::testutil::{assert_close, central};
    use ndarray::{array, Array2};

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
                let o = outlier_gradient(&kde, x.view(), exclude);
                let fd = central(|z| kde.outlier(z, exclude), x.view(), 1e-5);
                assert_close(&o, &fd, 1e-7);
                let p = inlier_gradient(&kde, x.view(), exclude);
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
        let g = inlier_rff_gradient(draw, mu, x.view());
        assert_close(&g, &central(value, x.view(), 1e-5), 1e-7);
    }

    #[test]
    fn local_scores_are_the_model_scores() {
        let kde = Kde::fit(KdeParams::new(0.7), points().view()).expect("fit");
        let x = array![0.3, -0.2, 0.1];
        let options = ExplainOptions::default();
        for target in [Target::Outlier, Target::Inlier] {
            let f = KdeScore::new(&kde, target, &options).expect("score");
            let local = f.at(x.view(), Some(1));
            let expected = match target {
                Target::Outlier => kde.outlier(x.view(), Some(1)),
                _ => kde.inlier(x.view(), Some(1)),
            };
            assert_eq!(local.value(x.view()), expected);
            assert_eq!(local.cost(), 1);
        }
        assert!(KdeScore::new(&kde, Target::Cluster, &options).is_err());
    }
}
