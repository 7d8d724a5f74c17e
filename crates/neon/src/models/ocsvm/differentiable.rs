//! The one-class SVM outlier score as a differentiable function, for the baselines that need
//! `f` and `∇f` (integrated gradients, occlusion, Shapley values).

use super::algorithm::OneClassSvm;
use crate::engine::{DifferentiableScore, LocalScore};
use crate::kernels::math::soft_argmin;
use ndarray::{Array1, ArrayView1};

/// Gradient of `o(x) = −(1/γ) log Σ_k a_k exp(−γ‖x − s_k‖²)`:
/// `∇o(x) = Σ_k q_k · 2(x − s_k)`, `q_k = a_k exp(−γ h_k) / Σ_k' a_k' exp(−γ h_k')` (the soft
/// argmin at β = γ of the effective units), computed shifted so it stays finite far away.
/// `exclude` leaves one support vector out, as the score does.
pub fn outlier_gradient(
    model: &OneClassSvm,
    x: ArrayView1<f64>,
    exclude: Option<usize>,
) -> Array1<f64> {
    let layer = model.distance_layer(exclude);
    let h = layer.forward(x);
    let q = soft_argmin(&model.effective_units(&h, exclude), model.gamma);
    let mut grad = Array1::zeros(x.len());
    for (k, q) in layer.active().zip(q) {
        let s = model.support_vectors.row(k);
        for i in 0..x.len() {
            grad[i] += q * 2.0 * (x[i] - s[i]);
        }
    }
    grad
}

/// The outlier target of a one-class SVM.
pub(crate) struct OcsvmScore<'a>(pub(crate) &'a OneClassSvm);

impl DifferentiableScore for OcsvmScore<'_> {
    fn at<'s>(&'s self, _x: ArrayView1<f64>, exclude: Option<usize>) -> Box<dyn LocalScore + 's> {
        Box::new(Local(self.0, self.0.support_vector_of_row(exclude)))
    }
}

/// The score with the explained row's own support vector (if any) left out.
struct Local<'a>(&'a OneClassSvm, Option<usize>);

impl LocalScore for Local<'_> {
    fn value(&self, z: ArrayView1<f64>) -> f64 {
        self.0.outlier(z, self.1)
    }

    fn gradient(&self, z: ArrayView1<f64>) -> Array1<f64> {
        outlier_gradient(self.0, z, self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, central};
    use ndarray::array;

    #[test]
    fn gradient_matches_central_differences() {
        let sv = array![[0.0, 0.0], [1.0, 0.5], [-0.5, 2.0]];
        let m = OneClassSvm::from_parts(sv.clone(), vec![0.2, 1.0, 0.5], 0.3, 0.6, sv.view())
            .expect("import");
        for x in [array![0.3, 0.1], array![4.0, -3.0], array![1.0, 1.0]] {
            for exclude in [None, Some(1)] {
                let g = outlier_gradient(&m, x.view(), exclude);
                let fd = central(|z| m.outlier(z, exclude), x.view(), 1e-6);
                assert_close(&g, &fd, 1e-6);
            }
        }
    }
}
