//! One-class SVM hyperparameters, validated once at fit; one error variant per check.

use crate::engine::{FitParam, FitValues, ParamKind, ParamValue, RuleOfThumb};
use crate::error::Result;

/// Parameters of the ν-one-class SVM with kernel `exp(−γ‖x − x'‖²)` (Schölkopf et al. 2001,
/// the formulation of LIBSVM and scikit-learn's `OneClassSVM`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OcsvmParams {
    /// ν in (0, 1]: an upper bound on the fraction of training points outside the boundary and
    /// a lower bound on the fraction of support vectors.
    pub nu: f64,
    /// Kernel parameter γ > 0.
    pub gamma: f64,
    /// Stopping tolerance of the solver on the maximal KKT violation (LIBSVM's `eps`).
    pub tol: f64,
    /// Most solver iterations (pair updates).
    pub max_iter: usize,
}

/// A one-class SVM hyperparameter (or imported coefficient) that fails its check.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum OcsvmError {
    /// ν is not in (0, 1].
    #[error("must be in (0, 1], got {0}")]
    Nu(f64),
    /// γ is not a finite number > 0.
    #[error("must be a finite number > 0, got {0}")]
    Gamma(f64),
    /// The tolerance is not a finite number > 0.
    #[error("must be a finite number > 0, got {0}")]
    Tol(f64),
    /// No iteration allowed.
    #[error("must be at least 1, got {0}")]
    MaxIter(usize),
    /// Fewer than 2 training points.
    #[error("a one-class SVM needs at least 2 training points, got {0}")]
    TooFewPoints(usize),
    /// A dual coefficient that is not a finite number > 0.
    #[error(
        "dual coefficient of support vector {index} is {value}; each must be a finite number > 0"
    )]
    Alpha {
        /// Row of the support vector.
        index: usize,
        /// The coefficient.
        value: f64,
    },
    /// No support vector.
    #[error("no support vectors")]
    NoSupportVectors,
    /// The solver stopped at `max_iter` before the tolerance was met.
    #[error("the solver did not converge in {0} iterations; raise --max-iter or --tol")]
    NotConverged(usize),
    /// The offset ρ is not finite.
    #[error("offset rho must be a finite number, got {0}")]
    Rho(f64),
}

crate::error::param_check!(OcsvmError, |e| match e {
    OcsvmError::Nu(_) => "nu",
    OcsvmError::Gamma(_) => "gamma",
    OcsvmError::Tol(_) => "tol",
    OcsvmError::MaxIter(_) | OcsvmError::NotConverged(_) => "max_iter",
    OcsvmError::TooFewPoints(_) => "points",
    OcsvmError::Alpha { .. } | OcsvmError::NoSupportVectors => "alpha",
    OcsvmError::Rho(_) => "rho",
});

/// The fit parameters a one-class SVM takes (the CLI makes flags of them).
pub const FIT_PARAMS: &[FitParam] = &[
    FitParam {
        name: "nu",
        help: "ν in (0, 1]: at most this fraction of the training points lies outside the \
               boundary, at least this fraction are support vectors (scikit-learn's default 0.5)",
        kind: ParamKind::Real,
        default: Some(ParamValue::Real(0.5)),
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "gamma",
        help: "Kernel parameter γ > 0 of exp(−γ‖x − x'‖²), in 1 / squared units of the model \
               space. Rule of thumb: scikit-learn's gamma='scale', 1 / (d · variance of the \
               data) (neon fit ocsvm prints it when --gamma is missing). Also used by \
               --import, which takes the support vectors and their dual coefficients",
        kind: ParamKind::Real,
        default: None,
        rule_of_thumb: Some(GAMMA_RULE_OF_THUMB),
        alternative: None,
    },
    FitParam {
        name: "tol",
        help: "Stopping tolerance on the largest violation of the optimality conditions \
               (scikit-learn's default 1e-3)",
        kind: ParamKind::Real,
        default: Some(ParamValue::Real(1e-3)),
        rule_of_thumb: None,
        alternative: None,
    },
    FitParam {
        name: "max_iter",
        help: "Most solver iterations (one pair of coefficients per iteration)",
        kind: ParamKind::Count,
        default: Some(ParamValue::Integer(10_000_000)),
        rule_of_thumb: None,
        alternative: None,
    },
];

/// The parameter only an import takes: the offset ρ (fitting computes it).
pub const IMPORT_PARAMS: &[FitParam] = &[FitParam {
    name: "rho",
    help: "With --support-vectors: the offset ρ of the decision function Σ α_k k(x, s_k) − ρ \
           (scikit-learn: -intercept_[0])",
    kind: ParamKind::Real,
    default: None,
    rule_of_thumb: None,
    alternative: None,
}];

/// γ = 1 / (d · Var(X)), the variance over all values of the data (scikit-learn's
/// `gamma='scale'`).
pub const GAMMA_RULE_OF_THUMB: RuleOfThumb = RuleOfThumb {
    text: "1 / (d · the variance of all values), scikit-learn's gamma='scale'",
    compute: |points| {
        let n = points.len() as f64;
        if n < 2.0 {
            return None;
        }
        let mean = points.iter().sum::<f64>() / n;
        let var = points.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let g = 1.0 / (points.ncols() as f64 * var);
        (g.is_finite() && g > 0.0).then_some(g)
    },
};

impl OcsvmParams {
    /// The parameters from checked values of [`FIT_PARAMS`].
    pub fn from_values(values: &FitValues) -> Result<Self> {
        Ok(OcsvmParams {
            nu: values.real("nu")?,
            gamma: values.real("gamma")?,
            tol: values.real("tol")?,
            max_iter: values.count("max_iter")?,
        })
    }

    /// Parameters with ν and γ, and scikit-learn's defaults for the solver.
    pub fn new(nu: f64, gamma: f64) -> Self {
        OcsvmParams {
            nu,
            gamma,
            tol: 1e-3,
            max_iter: 10_000_000,
        }
    }

    /// Check the parameters.
    pub fn validate(&self) -> Result<()> {
        if !(self.nu > 0.0 && self.nu <= 1.0) {
            return Err(OcsvmError::Nu(self.nu).into());
        }
        if !(self.gamma.is_finite() && self.gamma > 0.0) {
            return Err(OcsvmError::Gamma(self.gamma).into());
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(OcsvmError::Tol(self.tol).into());
        }
        if self.max_iter == 0 {
            return Err(OcsvmError::MaxIter(0).into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::OneClassSvm;
    use crate::NeonError;
    use ndarray::array;

    fn check(result: Result<impl std::fmt::Debug>) -> OcsvmError {
        let err: NeonError = result.expect_err("must fail");
        *err.check::<OcsvmError>().expect("an OcsvmError")
    }

    #[test]
    fn nu_must_be_in_the_unit_interval() {
        for bad in [0.0, -0.1, 1.5, f64::NAN] {
            assert!(matches!(
                check(OcsvmParams::new(bad, 1.0).validate()),
                OcsvmError::Nu(_)
            ));
        }
        assert!(OcsvmParams::new(1.0, 1.0).validate().is_ok());
        assert_eq!(
            OcsvmParams::new(0.0, 1.0)
                .validate()
                .expect_err("fails")
                .to_string(),
            "parameter nu: must be in (0, 1], got 0"
        );
    }

    #[test]
    fn gamma_tol_and_max_iter_are_checked() {
        for bad in [0.0, -1.0, f64::INFINITY] {
            assert!(matches!(
                check(OcsvmParams::new(0.5, bad).validate()),
                OcsvmError::Gamma(_)
            ));
        }
        let mut p = OcsvmParams::new(0.5, 1.0);
        p.tol = 0.0;
        assert_eq!(check(p.validate()), OcsvmError::Tol(0.0));
        let mut p = OcsvmParams::new(0.5, 1.0);
        p.max_iter = 0;
        assert_eq!(check(p.validate()), OcsvmError::MaxIter(0));
    }

    #[test]
    fn fit_needs_two_points_and_import_needs_positive_coefficients() {
        let one = array![[1.0, 2.0]];
        assert_eq!(
            check(OneClassSvm::fit(OcsvmParams::new(0.5, 1.0), one.view())),
            OcsvmError::TooFewPoints(1)
        );
        let sv = array![[0.0, 0.0], [1.0, 1.0]];
        let train = array![[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]];
        assert_eq!(
            check(OneClassSvm::from_parts(
                sv.clone(),
                vec![1.0, -0.5],
                0.1,
                1.0,
                train.view()
            )),
            OcsvmError::Alpha {
                index: 1,
                value: -0.5
            }
        );
        assert!(matches!(
            check(OneClassSvm::from_parts(
                sv,
                vec![1.0, 1.0],
                f64::NAN,
                1.0,
                train.view()
            )),
            OcsvmError::Rho(_)
        ));
    }

    #[test]
    fn the_rule_of_thumb_is_scikit_learns_scale() {
        let x = array![[0.0, 2.0], [2.0, 0.0]];
        // variance of {0, 2, 2, 0} is 1; d = 2
        assert_eq!((GAMMA_RULE_OF_THUMB.compute)(x.view()), Some(0.5));
    }
}
