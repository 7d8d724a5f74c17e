//! What the exact and the Barnes-Hut t-SNE share: the optimiser schedule and the constants of
//! scikit-learn's implementation (bandwidth search, gains, initial map).

/// Floor on probabilities, as NumPy's double machine epsilon.
pub(crate) const MACHINE_EPSILON: f64 = f64::EPSILON;
/// Tolerance on the entropy (nats) in the bandwidth search.
pub(crate) const ENTROPY_TOLERANCE: f64 = 1e-5;
/// Steps of the bandwidth search.
pub(crate) const SEARCH_STEPS: usize = 100;
/// Smallest per-parameter gain.
pub(crate) const MIN_GAIN: f64 = 0.01;
/// Standard deviation of the random initial map.
pub(crate) const INIT_STD: f64 = 1e-4;

/// The checked optimiser settings that both methods share.
pub(crate) struct Schedule {
    /// Target perplexity of each conditional distribution.
    pub(crate) perplexity: f64,
    /// Seed of the initial map.
    pub(crate) seed: u64,
    /// Total number of gradient steps.
    pub(crate) n_iter: usize,
    /// Factor on P during the first `exaggeration_iter` steps.
    pub(crate) early_exaggeration: f64,
    /// Number of exaggerated steps.
    pub(crate) exaggeration_iter: usize,
    /// Step size.
    pub(crate) learning_rate: f64,
}
