//! What the exact and the Barnes-Hut t-SNE share: the optimiser schedule, the bandwidth search
//! of the input affinities, and scikit-learn's constants (search tolerance, gains, initial map).

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

/// p(j|i) over one point's neighbour distances, with the bandwidth search of the exact method
/// (entropy ln(perplexity), distances shifted by the nearest one so that `exp` cannot
/// underflow to all zeros; the entropy is invariant to the shift).
pub(crate) fn conditional_row(dist: &[f64], perplexity: f64, row: &mut [f64]) {
    let desired_entropy = perplexity.ln();
    let nearest = dist.iter().copied().fold(f64::INFINITY, f64::min);
    let (mut beta, mut beta_min, mut beta_max) = (1.0, f64::NEG_INFINITY, f64::INFINITY);
    for _ in 0..SEARCH_STEPS {
        let mut sum = 0.0;
        for (r, &d) in row.iter_mut().zip(dist) {
            *r = (-(d - nearest) * beta).exp();
            sum += *r;
        }
        let sum = sum.max(1e-300);
        let mut weighted = 0.0;
        for (r, &d) in row.iter_mut().zip(dist) {
            *r /= sum;
            weighted += (d - nearest) * *r;
        }
        let entropy = sum.ln() + beta * weighted;
        let diff = entropy - desired_entropy;
        if diff.abs() <= ENTROPY_TOLERANCE {
            break;
        }
        if diff > 0.0 {
            beta_min = beta;
            beta = if beta_max.is_infinite() {
                beta * 2.0
            } else {
                0.5 * (beta + beta_max)
            };
        } else {
            beta_max = beta;
            beta = if beta_min.is_infinite() {
                beta / 2.0
            } else {
                0.5 * (beta + beta_min)
            };
        }
    }
}

/// `per_blob` points around each of three centres 10 apart in 5-D, unit spread: test data
/// shared by the exact and the Barnes-Hut tests.
#[cfg(test)]
pub(crate) fn blobs(per_blob: usize, seed: u64) -> (ndarray::Array2<f64>, Vec<usize>) {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).expect("normal");
    let n = 3 * per_blob;
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let data = ndarray::Array2::from_shape_fn((n, 5), |(i, j)| {
        let centre = if j == labels[i] { 10.0 } else { 0.0 };
        centre + normal.sample(&mut rng)
    });
    (data, labels)
}
