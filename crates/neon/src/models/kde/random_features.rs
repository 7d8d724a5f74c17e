//! Random Fourier features for the Gaussian kernel (§3.3, Eq. 3; Rahimi & Recht):
//! `ω_j ~ N(0, 2γ I)`, `b_j ~ U(0, 2π)`.

use crate::network::RandomFourier;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// One draw of `H` random features, with the sum of the training data's feature maps so that
/// leave-one-out only subtracts one row's term instead of refitting.
#[derive(Debug, Clone)]
pub struct RandomFeatureDraw {
    /// The network layer with the full-data mean embedding `μ_j`.
    pub layer: RandomFourier,
    /// `Σ_k √2 cos(ω_jᵀu_k + b_j)` over all training points.
    pub embedding_sum: Array1<f64>,
    /// Number of training points in the sum.
    pub n_points: usize,
}

impl RandomFeatureDraw {
    /// Draw `n_features` features for data of dimension `d` with kernel parameter `gamma` from
    /// the stream `trial` of the generator seeded with `seed`, and embed `points`.
    pub fn draw(
        points: ArrayView2<f64>,
        gamma: f64,
        n_features: usize,
        seed: u64,
        trial: u64,
    ) -> Self {
        let (omega, phase) = Self::frequencies(points.ncols(), gamma, n_features, seed, trial);
        // Σ_k √2 cos(U Ωᵀ + b), by blocked matrix products (memory independent of N)
        let embedding_sum = crate::kernels::rff::embedding_sum(points, omega.view(), phase.view());
        Self::from_sum(omega, phase, embedding_sum, points.nrows())
    }

    /// The frequencies `ω_j` (H × d) and phases `b_j` of [`RandomFeatureDraw::draw`], without
    /// the embedding.
    pub(crate) fn frequencies(
        d: usize,
        gamma: f64,
        n_features: usize,
        seed: u64,
        trial: u64,
    ) -> (Array2<f64>, Array1<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(trial);
        let sigma = (2.0 * gamma).sqrt();
        let omega = Array2::from_shape_simple_fn((n_features, d), || {
            sigma * rng.sample::<f64, _>(StandardNormal)
        });
        let phase =
            Array1::from_shape_simple_fn(n_features, || rng.gen::<f64>() * std::f64::consts::TAU);
        (omega, phase)
    }

    /// A draw from its frequencies and the summed embedding of its `n_points` training points.
    pub(crate) fn from_sum(
        omega: Array2<f64>,
        phase: Array1<f64>,
        embedding_sum: Array1<f64>,
        n_points: usize,
    ) -> Self {
        let mean_embedding = &embedding_sum / n_points as f64;
        RandomFeatureDraw {
            layer: RandomFourier {
                omega,
                phase,
                mean_embedding,
            },
            embedding_sum,
            n_points,
        }
    }

    /// The mean embedding without training point `excluded` (whose feature map is given).
    pub fn mean_embedding_without(&self, excluded_map: ArrayView1<f64>) -> Array1<f64> {
        (&self.embedding_sum - &excluded_map) / (self.n_points - 1) as f64
    }
}
