//! The neuralized layers (§3–§4). Each layer is a real object with a `forward` pass; the models
//! in [`crate::models`] assemble them into the two-layer networks of the chapter, and the rules in
//! [`crate::rules`] propagate relevance backwards through them.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// Layer 1 of the outlier and direct-inlier networks (§3.1, §3.2): `h_k = ‖x − u_k‖²` for every
/// training point `u_k`, optionally leaving one point out.
#[derive(Debug, Clone, Copy)]
pub struct SquaredDistance<'a> {
    /// The training points `u_k` (rows).
    pub centers: ArrayView2<'a, f64>,
    /// Index of a training point left out of the layer (leave-one-out), if any.
    pub exclude: Option<usize>,
}

impl<'a> SquaredDistance<'a> {
    /// Indices of the points that take part in the layer.
    pub fn active(&self) -> impl Iterator<Item = usize> {
        let exclude = self.exclude;
        (0..self.centers.nrows()).filter(move |&k| Some(k) != exclude)
    }

    /// Number of neurons (training points minus the excluded one).
    pub fn len(&self) -> usize {
        self.centers.nrows() - usize::from(self.exclude.is_some())
    }

    /// True if the layer has no neuron.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `h_k = ‖x − u_k‖²` for the active points, in index order.
    pub fn forward(&self, x: ArrayView1<f64>) -> Vec<f64> {
        self.active()
            .map(|k| squared_distance(x, self.centers.row(k)))
            .collect()
    }
}

pub use crate::kernels::math::{log_mean_exp, squared_distance};

/// Generalised log-mean-exp pooling `LME^α_k{h_k} = (1/α) log((1/N) Σ_k exp(α h_k))` (§3.1),
/// computed with the log-sum-exp shift so it neither overflows nor underflows.
#[derive(Debug, Clone, Copy)]
pub struct LogMeanExp {
    /// The exponent α (−γ for the outlier network: a soft min-pooling).
    pub alpha: f64,
}

impl LogMeanExp {
    /// Pool the inputs.
    pub fn forward(&self, h: &[f64]) -> f64 {
        log_mean_exp(h, self.alpha)
    }
}

/// Layer 1 of the direct inlier network (§3.2): Gaussian units `exp(−γ h_k)` on top of squared
/// distances.
#[derive(Debug, Clone, Copy)]
pub struct Gaussian {
    /// Kernel width γ.
    pub gamma: f64,
}

impl Gaussian {
    /// `exp(−γ h_k)` for each input.
    pub fn forward(&self, h: &[f64]) -> Vec<f64> {
        h.iter().map(|v| (-self.gamma * v).exp()).collect()
    }
}

/// Average pooling (layer 2 of the inlier networks, §3.2–§3.3).
#[derive(Debug, Clone, Copy, Default)]
pub struct MeanPool;

impl MeanPool {
    /// Mean of the inputs.
    pub fn forward(&self, h: &[f64]) -> f64 {
        h.iter().sum::<f64>() / h.len() as f64
    }
}

/// Layer 1 of the random-feature inlier network (§3.3, Eq. 3):
/// `h_j = √2 cos(ω_jᵀx + b_j) · μ_j`, with `μ_j` the mean of `√2 cos(ω_jᵀu_k + b_j)` over the
/// training points.
#[derive(Debug, Clone)]
pub struct RandomFourier {
    /// Frequencies `ω_j` (H × d), drawn from `N(0, 2γ I)`.
    pub omega: Array2<f64>,
    /// Phases `b_j` (H), drawn from `U(0, 2π)`.
    pub phase: Array1<f64>,
    /// Mean embedding `μ_j` of the training data (H).
    pub mean_embedding: Array1<f64>,
}

impl RandomFourier {
    /// The random feature map `√2 cos(ω_jᵀx + b_j)` (without the 1/H of Eq. 3, which the mean
    /// pooling applies).
    pub fn feature_map(&self, x: ArrayView1<f64>) -> Array1<f64> {
        let mut z = self.omega.dot(&x);
        z.zip_mut_with(&self.phase, |v, b| {
            *v = std::f64::consts::SQRT_2 * (*v + b).cos()
        });
        z
    }

    /// `h_j = √2 cos(ω_jᵀx + b_j) · μ_j`.
    pub fn forward(&self, x: ArrayView1<f64>) -> Array1<f64> {
        self.feature_map(x) * &self.mean_embedding
    }
}

/// Linear layer `h_k = w_kᵀx + b_k` (layer 1 of the cluster network, §4.1).
#[derive(Debug, Clone)]
pub struct Linear {
    /// Weights (K × d).
    pub weights: Array2<f64>,
    /// Biases (K).
    pub bias: Array1<f64>,
}

impl Linear {
    /// `W x + b`.
    pub fn forward(&self, x: ArrayView1<f64>) -> Array1<f64> {
        self.weights.dot(&x) + &self.bias
    }
}

/// Hard min-pooling (layer 2 of the cluster network, §4.1).
#[derive(Debug, Clone, Copy, Default)]
pub struct MinPool;

impl MinPool {
    /// Minimum of the inputs.
    pub fn forward(&self, h: &[f64]) -> f64 {
        h.iter().copied().fold(f64::INFINITY, f64::min)
    }
}
