//! Gaussian-mixture hyperparameters, validated once at fit; one error variant per check.

use crate::engine::{FitParam, FitValues, ParamKind, ParamValue};
use crate::error::{NeonError, Result};
use serde::{Deserialize, Serialize};

/// The form of the covariance matrices (scikit-learn's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CovarianceType {
    /// Each component its own full matrix.
    Full,
    /// One full matrix shared by all components.
    Tied,
    /// Each component its own diagonal matrix.
    Diag,
    /// Each component its own multiple of the identity.
    Spherical,
}

impl std::fmt::Display for CovarianceType {
    /// scikit-learn's name, as `--covariance-type` takes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CovarianceType::Full => "full",
            CovarianceType::Tied => "tied",
            CovarianceType::Diag => "diag",
            CovarianceType::Spherical => "spherical",
        })
    }
}

impl std::str::FromStr for CovarianceType {
    type Err = NeonError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "full" => Ok(CovarianceType::Full),
            "tied" => Ok(CovarianceType::Tied),
            "diag" => Ok(CovarianceType::Diag),
            "spherical" => Ok(CovarianceType::Spherical),
            other => Err(NeonError::param(
                "covariance_type",
                format!("'{other}' is not one of full, tied, diag, spherical"),
            )),
        }
    }
}

/// Parameters of the EM fit (scikit-learn's `GaussianMixture` defaults where it has them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GmmParams {
    /// Number of components K ≥ 1.
    pub n_components: usize,
    /// Form of the covariance matrices.
    pub covariance_type: CovarianceType,
    /// EM runs from different k-means++ initialisations; the best likelihood is kept.
    pub n_init: usize,
    /// Most EM iterations per run.
    pub max_iter: usize,
    /// Convergence threshold on the change of the mean log-likelihood.
    pub tol: f64,
    /// Added to the diagonal of every covariance (keeps them positive definite).
    pub reg_covar: f64,
    /// Seed of the initialisations.
    pub seed: u64,
}

/// A Gaussian-mixture hyperparameter (or imported parameter) that fails its check.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GmmError {
    /// Fewer than one component, or more than the training rows.
    #[error("must be between 1 and the number of training rows ({rows}), got {given}")]
    NComponents {
        /// Components asked for.
        given: usize,
        /// Training rows.
        rows: usize,
    },
    /// No EM run.
    #[error("must be at least 1, got 0")]
    NInit,
    /// No EM iteration.
    #[error("must be at least 1, got 0")]
    MaxIter,
    /// The tolerance is not a finite number > 0.
    #[error("must be a finite number > 0, got {0}")]
    Tol(f64),
    /// The regularisation is negative or not finite.
    #[error("must be a finite number ≥ 0, got {0}")]
    RegCovar(f64),
    /// A mixture weight that is not a finite number > 0, or weights that do not sum to 1.
    #[error("{0}")]
    Weights(String),
    /// A covariance matrix that is not symmetric positive definite.
    #[error("covariance of component {0} is not symmetric positive definite")]
    NotPositiveDefinite(usize),
    /// Parameters of inconsistent sizes.
    #[error("{0}")]
    Shape(String),
}

crate::error::param_check!(GmmError, |e| match e {
    GmmError::NComponents { .. } => "n_components",
    GmmError::NInit => "n_init",
    GmmError::MaxIter => "max_iter",
    GmmError::Tol(_) => "tol",
    GmmError::RegCovar(_) => "reg_covar",
    GmmError::Weights(_) => "weights",
    GmmError::NotPositiveDefinite(_) => "covariances",
    GmmError::Shape(_) => "means",
});

/// The covariance types, by their scikit-learn names.
pub const COVARIANCE_TYPES: &[&str] = &["full", "tied", "diag", "spherical"];

/// The fit parameters a Gaussian mixture takes (the CLI makes flags of them).
pub const FIT_PARAMS: &[FitParam] = &[
    FitParam {
        name: "n_components",
        help: "Number of mixture components K",
        kind: ParamKind::Count,
        default: None,
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "covariance_type",
        help: "Form of the covariances: full (each its own matrix), tied (one matrix shared), \
               diag (each its own diagonal), spherical (each its own variance), as scikit-learn",
        kind: ParamKind::Choice(COVARIANCE_TYPES),
        default: Some(ParamValue::Choice("full")),
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "n_init",
        help: "EM runs from different k-means++ initialisations; the highest likelihood is kept",
        kind: ParamKind::Count,
        default: Some(ParamValue::Integer(1)),
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "max_iter",
        help: "Most EM iterations per run",
        kind: ParamKind::Count,
        default: Some(ParamValue::Integer(100)),
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "tol",
        help: "Stop when the mean log-likelihood changes by less than this",
        kind: ParamKind::Real,
        default: Some(ParamValue::Real(1e-3)),
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "reg_covar",
        help: "Added to the diagonal of every covariance, so that each stays positive definite",
        kind: ParamKind::Real,
        default: Some(ParamValue::Real(1e-6)),
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "seed",
        help: "Seed of the k-means++ initialisations (the same seed gives the same model)",
        kind: ParamKind::Seed,
        default: Some(ParamValue::Integer(0)),
        rule_of_thumb: None,
        alternative: None,
    },
];

impl GmmParams {
    /// The parameters from checked values of [`FIT_PARAMS`].
    pub fn from_values(values: &FitValues) -> Result<Self> {
        Ok(GmmParams {
            n_components: values.count("n_components")?,
            covariance_type: values.choice("covariance_type")?.parse()?,
            n_init: values.count("n_init")?,
            max_iter: values.count("max_iter")?,
            tol: values.real("tol")?,
            reg_covar: values.real("reg_covar")?,
            seed: values.seed("seed")?,
        })
    }

    /// `n_components` components of `covariance_type`, other parameters at their defaults.
    pub fn new(n_components: usize, covariance_type: CovarianceType) -> Self {
        GmmParams {
            n_components,
            covariance_type,
            n_init: 1,
            max_iter: 100,
            tol: 1e-3,
            reg_covar: 1e-6,
            seed: 0,
        }
    }

    /// Check the parameters against `rows` training rows.
    pub fn validate(&self, rows: usize) -> Result<()> {
        if self.n_components < 1 || self.n_components > rows {
            return Err(GmmError::NComponents {
                given: self.n_components,
                rows,
            }
            .into());
        }
        if self.n_init == 0 {
            return Err(GmmError::NInit.into());
        }
        if self.max_iter == 0 {
            return Err(GmmError::MaxIter.into());
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(GmmError::Tol(self.tol).into());
        }
        if !(self.reg_covar.is_finite() && self.reg_covar >= 0.0) {
            return Err(GmmError::RegCovar(self.reg_covar).into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NeonError;

    fn check(result: Result<()>) -> GmmError {
        let err: NeonError = result.expect_err("must fail");
        err.check::<GmmError>().expect("a GmmError").clone()
    }

    #[test]
    fn every_parameter_is_checked_by_name() {
        let ok = GmmParams::new(2, CovarianceType::Full);
        assert!(ok.validate(10).is_ok());
        assert_eq!(
            check(GmmParams::new(0, CovarianceType::Full).validate(10)),
            GmmError::NComponents { given: 0, rows: 10 }
        );
        assert_eq!(
            check(GmmParams::new(11, CovarianceType::Full).validate(10)),
            GmmError::NComponents {
                given: 11,
                rows: 10
            }
        );
        let mut p = ok;
        p.n_init = 0;
        assert_eq!(check(p.validate(10)), GmmError::NInit);
        let mut p = ok;
        p.max_iter = 0;
        assert_eq!(check(p.validate(10)), GmmError::MaxIter);
        let mut p = ok;
        p.tol = -1.0;
        assert_eq!(check(p.validate(10)), GmmError::Tol(-1.0));
        let mut p = ok;
        p.reg_covar = -1.0;
        assert_eq!(check(p.validate(10)), GmmError::RegCovar(-1.0));
        assert_eq!(
            GmmParams::new(0, CovarianceType::Full)
                .validate(10)
                .expect_err("fails")
                .to_string(),
            "parameter n_components: must be between 1 and the number of training rows (10), got 0"
        );
    }
}
