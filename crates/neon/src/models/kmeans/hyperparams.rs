//! k-means hyperparameters (scikit-learn names and defaults), validated once at fit.

use crate::engine::{FitParam, FitValues, ParamKind, ParamValue};
use crate::error::Result;

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

/// The fit parameters k-means takes, with scikit-learn's names and defaults (its registry row
/// lists them; the CLI makes flags of them).
pub const FIT_PARAMS: &[FitParam] = &[
    FitParam {
        name: "n_clusters",
        help: "Number of clusters K (at least 2)",
        kind: ParamKind::Count,
        default: None,
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "n_init",
        help: "Number of k-means++ restarts; the lowest inertia is kept",
        kind: ParamKind::Count,
        default: Some(ParamValue::Integer(10)),
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "max_iter",
        help: "Maximum Lloyd iterations per restart",
        kind: ParamKind::Count,
        default: Some(ParamValue::Integer(300)),
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "tol",
        help: "Relative convergence tolerance (as scikit-learn)",
        kind: ParamKind::Real,
        default: Some(ParamValue::Real(1e-4)),
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "seed",
        help: "Seed of the restarts",
        kind: ParamKind::Seed,
        default: Some(ParamValue::Integer(0)),
        rule_of_thumb: None,
        alternative: None,
    },
];

impl KMeansParams {
    /// The parameters from checked values of [`FIT_PARAMS`].
    pub fn from_values(values: &FitValues) -> Result<Self> {
        Ok(KMeansParams::new(values.count("n_clusters")?)
            .n_init(values.count("n_init")?)
            .max_iter(values.count("max_iter")?)
            .tol(values.real("tol")?)
            .seed(values.seed("seed")?))
    }

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
        let failed = if self.n_clusters < 2 {
            Some(KMeansError::TooFewClusters(self.n_clusters))
        } else if self.n_clusters > n_rows {
            Some(KMeansError::MoreClustersThanRows {
                n_clusters: self.n_clusters,
                n_rows,
            })
        } else if self.n_init == 0 {
            Some(KMeansError::NoRestarts)
        } else if self.max_iter == 0 {
            Some(KMeansError::NoIterations)
        } else if !(self.tol.is_finite() && self.tol >= 0.0) {
            Some(KMeansError::Tolerance(self.tol))
        } else {
            None
        };
        failed.map_or(Ok(()), |e| Err(e.into()))
    }
}

/// A k-means hyperparameter (or imported centroid set) that fails its check.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum KMeansError {
    /// Fewer than 2 clusters: cluster evidence needs a competitor (Eq. 5).
    #[error("must be at least 2, got {0}")]
    TooFewClusters(usize),
    /// More clusters than training rows.
    #[error("{n_clusters} clusters cannot be fitted on {n_rows} rows")]
    MoreClustersThanRows {
        /// Clusters asked for.
        n_clusters: usize,
        /// Training rows.
        n_rows: usize,
    },
    /// Fewer distinct training points than clusters: some clusters would stay empty.
    #[error("{n_clusters} clusters cannot be fitted on {distinct} distinct points")]
    TooFewDistinctPoints {
        /// Clusters asked for.
        n_clusters: usize,
        /// Distinct training points.
        distinct: usize,
    },
    /// `n_init = 0`.
    #[error("must be at least 1")]
    NoRestarts,
    /// `max_iter = 0`.
    #[error("must be at least 1")]
    NoIterations,
    /// `tol` is negative or not finite.
    #[error("must be a finite number >= 0, got {0}")]
    Tolerance(f64),
    /// Fewer than 2 imported centroids.
    #[error("need at least 2 centroids, got {0}")]
    TooFewCentroids(usize),
    /// An imported centroid has a NaN or infinite coordinate.
    #[error("all values must be finite")]
    NonFiniteCentroid,
}

crate::error::param_check!(KMeansError, |e| match e {
    KMeansError::TooFewClusters(_)
    | KMeansError::MoreClustersThanRows { .. }
    | KMeansError::TooFewDistinctPoints { .. } => "n_clusters",
    KMeansError::NoRestarts => "n_init",
    KMeansError::NoIterations => "max_iter",
    KMeansError::Tolerance(_) => "tol",
    KMeansError::TooFewCentroids(_) | KMeansError::NonFiniteCentroid => "centroids",
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::KMeans;
    use crate::NeonError;
    use ndarray::{array, Array2};

    fn check(result: Result<impl std::fmt::Debug>) -> KMeansError {
        let err: NeonError = result.expect_err("must fail");
        *err.check::<KMeansError>().expect("a KMeansError")
    }

    #[test]
    fn each_check_has_its_variant() {
        assert!(KMeansParams::new(3).validate(10).is_ok());
        assert_eq!(
            check(KMeansParams::new(1).validate(10)),
            KMeansError::TooFewClusters(1)
        );
        assert_eq!(
            check(KMeansParams::new(11).validate(10)),
            KMeansError::MoreClustersThanRows {
                n_clusters: 11,
                n_rows: 10
            }
        );
        assert_eq!(
            check(KMeansParams::new(3).n_init(0).validate(10)),
            KMeansError::NoRestarts
        );
        assert_eq!(
            check(KMeansParams::new(3).max_iter(0).validate(10)),
            KMeansError::NoIterations
        );
        assert_eq!(
            check(KMeansParams::new(3).tol(-1.0).validate(10)),
            KMeansError::Tolerance(-1.0)
        );
        assert!(matches!(
            check(KMeansParams::new(3).tol(f64::NAN).validate(10)),
            KMeansError::Tolerance(t) if t.is_nan()
        ));
    }

    #[test]
    fn clusters_need_as_many_distinct_points() {
        let points = array![
            [1.0, 1.0],
            [1.0, 1.0],
            [1.0, 1.0],
            [2.0, 2.0],
            [-0.0, 0.0],
            [0.0, 0.0]
        ];
        assert_eq!(
            check(KMeans::fit(KMeansParams::new(4), points.view())),
            KMeansError::TooFewDistinctPoints {
                n_clusters: 4,
                distinct: 3
            }
        );
        assert!(KMeans::fit(KMeansParams::new(3), points.view()).is_ok());
    }

    #[test]
    fn messages_name_the_parameter() {
        let err = KMeansParams::new(3)
            .n_init(0)
            .validate(10)
            .expect_err("fails");
        assert_eq!(err.to_string(), "parameter n_init: must be at least 1");
        assert_eq!(err.parameter(), Some("n_init"));
    }

    #[test]
    fn imported_centroids_are_checked() {
        let points = array![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]];
        let one = array![[0.0, 0.0]];
        assert_eq!(
            check(KMeans::from_centroids(one, points.view())),
            KMeansError::TooFewCentroids(1)
        );
        let mut bad = Array2::zeros((2, 2));
        bad[[1, 0]] = f64::NAN;
        assert_eq!(
            check(KMeans::from_centroids(bad, points.view())),
            KMeansError::NonFiniteCentroid
        );
    }
}
