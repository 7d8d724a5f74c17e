//! The Gaussian-mixture targets as differentiable functions, for the baselines.

use super::algorithm::GaussianMixture;
use crate::engine::{DifferentiableScore, LocalScore};
use crate::options::Target;
use ndarray::{Array1, ArrayView1};

/// `∇o(x) = Σ_k p(k|x) P_k (x − μ_k)` (the posterior-weighted unit gradients).
pub fn outlier_gradient(model: &GaussianMixture, x: ArrayView1<f64>) -> Array1<f64> {
    let mut grad = Array1::zeros(x.len());
    for (k, p) in model.posterior(x).into_iter().enumerate() {
        if p != 0.0 {
            grad.scaled_add(p, &model.unit_gradient(x, k));
        }
    }
    grad
}

/// `∇f_c(x) = Σ_{k≠c} s_k (P_k (x − μ_k) − P_c (x − μ_c))`, `s` the competitors' shares
/// (`s_k ∝ p(k|x)`).
pub fn membership_gradient(model: &GaussianMixture, x: ArrayView1<f64>, c: usize) -> Array1<f64> {
    let post = model.posterior(x);
    let others: f64 = post
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != c)
        .map(|(_, p)| p)
        .sum();
    let own = model.unit_gradient(x, c);
    let mut grad = Array1::zeros(x.len());
    if others <= 0.0 {
        return grad;
    }
    for (k, p) in post.iter().enumerate() {
        if k != c && *p != 0.0 {
            grad.scaled_add(p / others, &(&model.unit_gradient(x, k) - &own));
        }
    }
    grad
}

/// One target of a Gaussian mixture as a differentiable function.
/// For membership, the component is the chosen one or else the most probable at the explained
/// point, fixed for every perturbation.
pub(crate) struct GmmScore<'a> {
    pub(crate) model: &'a GaussianMixture,
    pub(crate) target: Target,
    pub(crate) cluster: Option<usize>,
}

impl DifferentiableScore for GmmScore<'_> {
    fn at<'s>(&'s self, x: ArrayView1<f64>, _exclude: Option<usize>) -> Box<dyn LocalScore + 's> {
        let cluster = (self.target == Target::Cluster)
            .then(|| self.cluster.unwrap_or_else(|| self.model.predict(x)));
        Box::new(Local(self.model, cluster))
    }
}

/// The outlier score (`None`) or the membership of a fixed component.
struct Local<'a>(&'a GaussianMixture, Option<usize>);

impl LocalScore for Local<'_> {
    fn value(&self, z: ArrayView1<f64>) -> f64 {
        match self.1 {
            Some(c) => self.0.membership(z, c),
            None => self.0.outlier(z),
        }
    }

    fn gradient(&self, z: ArrayView1<f64>) -> Array1<f64> {
        match self.1 {
            Some(c) => membership_gradient(self.0, z, c),
            None => outlier_gradient(self.0, z),
        }
    }

    fn cluster(&self) -> Option<usize> {
        self.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::gmm::CovarianceType;
    use crate::testutil::{assert_close, central};
    use ndarray::{array, Array3};

    #[test]
    fn gradients_match_central_differences() {
        let means = array![[0.0, 0.0], [2.0, -1.0], [-1.0, 1.5]];
        let mut cov = Array3::zeros((3, 2, 2));
        let blocks = [
            array![[1.0, 0.3], [0.3, 0.5]],
            array![[0.4, -0.1], [-0.1, 0.8]],
            array![[2.0, 0.0], [0.0, 0.3]],
        ];
        for (c, b) in blocks.iter().enumerate() {
            cov.index_axis_mut(ndarray::Axis(0), c).assign(b);
        }
        let m = GaussianMixture::from_parts(
            CovarianceType::Full,
            vec![0.3, 0.3, 0.4],
            means.clone(),
            cov,
            means.view(),
        )
        .expect("mixture");
        for x in [array![0.5, 0.2], array![1.5, -0.5], array![-0.3, 1.0]] {
            let g = outlier_gradient(&m, x.view());
            assert_close(&g, &central(|z| m.outlier(z), x.view(), 1e-6), 1e-6);
            let c = m.predict(x.view());
            let g = membership_gradient(&m, x.view(), c);
            assert_close(&g, &central(|z| m.membership(z, c), x.view(), 1e-6), 1e-6);
        }
    }
}
