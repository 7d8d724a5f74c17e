//! k-means hyperparameters (scikit-learn names and defaults), validated once at fit.

use crate::error::{NeonError, Result};

/// Parameters of k-means fitting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KMeansParams {
    /// Number of clusters K (at least 2: cluster evidence needs a competitor).
    pub n_clusters: usize,
    /// Number of k-means++ restarts; the run with the lowest inertia is kept.
    pub n_init: usize,
    /// Maximum number of Lloyd iterations per restart.
    pub max_iter: usize,
    /// Relative tolerance: a run stops when the squared centroid shift is at most
    /// `tol × mean feature variance` (as scikit-learn).
    pub tol: f64,
    /// Seed of all randomness.
    pub seed: u64,
}

impl KMeansParams {
    /// Defaults: `n_init = 10`, `max_iter = 300`, `tol = 1e-4`, `seed = 0`.
    pub fn new(n_clusters: usize) -> Self {
        KMeansParams {
            n_clusters,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
        }
    }

    /// Set the number of restarts.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Set the maximum number of iterations.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Set the tolerance.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Check the parameters against a data set of `n_rows` rows.
    pub fn validate(&self, n_rows: usize) -> Result<()> {
        if self.n_clusters < 2 {
            return Err(NeonError::param(
                "n_clusters",
                format!("must be at least 2, got {}", self.n_clusters),
            ));
        }
        if self.n_clusters > n_rows {
            return Err(NeonError::param(
                "n_clusters",
                format!(
                    "{} clusters cannot be fitted on {n_rows} rows",
                    self.n_clusters
                ),
            ));
        }
        if self.n_init == 0 {
            return Err(NeonError::param("n_init", "must be at least 1"));
        }
        if self.max_iter == 0 {
            return Err(NeonError::param("max_iter", "must be at least 1"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(NeonError::param(
                "tol",
                format!("must be a finite number >= 0, got {}", self.tol),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_has_its_error() {
        assert!(KMeansParams::new(3).validate(10).is_ok());
        assert!(KMeansParams::new(1).validate(10).is_err());
        assert!(KMeansParams::new(11).validate(10).is_err());
        assert!(KMeansParams::new(3).n_init(0).validate(10).is_err());
        assert!(KMeansParams::new(3).max_iter(0).validate(10).is_err());
        assert!(KMeansParams::new(3).tol(-1.0).validate(10).is_err());
        assert!(KMeansParams::new(3).tol(f64::NAN).validate(10).is_err());
    }
}
