//! KDE hyperparameters, validated once at fit; one error variant per check.

use super::bandwidth::BandwidthRule;
use crate::engine::{FitParam, FitValues, ParamKind, RuleOfThumb};
use crate::error::Result;
use crate::kernels::distance::median_nearest_squared_distance;

pub use crate::options::DEFAULT_EPSILON;

/// The default stiffness of the outlier explanation as a multiple of γ, `β = γ / 4`: the most
/// faithful of the factors 0, 1/4, 1/2, 1, 2, 4, 16 over three data sets (share of exact
/// Shapley's removal gain over random orderings 118 %, 99 %, 69 % against 94 %, 82 %, 54 % for
/// the chapter's β = γ; tools/faithfulness.sh, docs/compare.md). The studies of the chapter
/// keep β = γ.
pub const DEFAULT_BETA_FACTOR: f64 = 0.25;

/// Parameters of a Gaussian KDE `p̃(x) = (1/N) Σ_k exp(−γ ‖x − u_k‖²)` (Eq. 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KdeParams {
    /// Kernel parameter γ > 0 (unused when a bandwidth rule is given).
    pub gamma: f64,
    /// A rule that chooses γ from the training data at fit instead.
    pub bandwidth: Option<BandwidthRule>,
}

/// A KDE hyperparameter that fails its check.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum KdeError {
    /// γ is not a finite number > 0.
    #[error("must be a finite number > 0, got {0}")]
    Gamma(f64),
    /// Fewer than 2 training points (leave-one-out needs another point).
    #[error("KDE needs at least 2 training points, got {0}")]
    TooFewPoints(usize),
}

crate::error::param_check!(KdeError, |e| match e {
    KdeError::Gamma(_) => "gamma",
    KdeError::TooFewPoints(_) => "points",
});

/// The fit parameters a KDE takes (its registry row lists them; the CLI makes flags of them).
pub const FIT_PARAMS: &[FitParam] = &[
    FitParam {
        name: "gamma",
        help: "Kernel parameter γ > 0 of exp(−γ‖x − u‖²), in 1 / squared units of the model \
               space (after --transform). Rule of thumb: 1 / the median squared distance from \
               a point to its nearest neighbour (neon fit kde prints it when --gamma is \
               missing); the chapter's Wholesale study uses γ = 1 on log-standardized data",
        kind: ParamKind::Real,
        default: None,
        rule_of_thumb: Some(GAMMA_RULE_OF_THUMB),
        alternative: Some("bandwidth"),
    },
    FitParam {
        name: "bandwidth",
        help: "Instead of --gamma, choose the bandwidth h from the data (γ = 1 / (2h²)): scott \
               or silverman (the rules of thumb as scikit-learn applies them) or loo (maximum \
               leave-one-out likelihood, a 1-D search; n² distances in memory). The h and γ \
               found are printed and stored in the model file",
        kind: ParamKind::Choice(BandwidthRule::NAMES),
        default: None,
        rule_of_thumb: None,
        alternative: Some("gamma"),
    },
];

/// γ = 1 / median squared nearest-neighbour distance (on at most 2000 rows): a kernel as wide
/// as the typical gap between a point and its nearest neighbour.
pub const GAMMA_RULE_OF_THUMB: RuleOfThumb = RuleOfThumb {
    text: "1 / the median squared distance from a point to its nearest neighbour",
    compute: |points| {
        median_nearest_squared_distance(points, 2000)
            .filter(|m| *m > 0.0 && m.is_finite())
            .map(|m| 1.0 / m)
    },
};

impl KdeParams {
    /// The parameters from checked values of [`FIT_PARAMS`].
    /// One of `gamma` and `bandwidth` is given (the values' check makes sure of it).
    pub fn from_values(values: &FitValues) -> Result<Self> {
        if values.is_given("bandwidth") {
            return Ok(KdeParams::bandwidth(BandwidthRule::from_name(
                values.choice("bandwidth")?,
            )?));
        }
        Ok(KdeParams::new(values.real("gamma")?))
    }

    /// Parameters with kernel parameter γ.
    pub fn new(gamma: f64) -> Self {
        KdeParams {
            gamma,
            bandwidth: None,
        }
    }

    /// Parameters whose γ a bandwidth rule chooses at fit.
    pub fn bandwidth(rule: BandwidthRule) -> Self {
        KdeParams {
            gamma: f64::NAN,
            bandwidth: Some(rule),
        }
    }

    /// Check the parameters.
    pub fn validate(&self) -> Result<()> {
        if self.bandwidth.is_none() && !(self.gamma.is_finite() && self.gamma > 0.0) {
            return Err(KdeError::Gamma(self.gamma).into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Kde;
    use crate::NeonError;
    use ndarray::array;

    fn check(result: Result<impl std::fmt::Debug>) -> KdeError {
        let err: NeonError = result.expect_err("must fail");
        *err.check::<KdeError>().expect("a KdeError")
    }

    #[test]
    fn gamma_must_be_positive_and_finite() {
        assert!(KdeParams::new(1.0).validate().is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            match check(KdeParams::new(bad).validate()) {
                KdeError::Gamma(g) => assert!(g.is_nan() || g == bad, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        let err = KdeParams::new(0.0).validate().expect_err("fails");
        assert_eq!(
            err.to_string(),
            "parameter gamma: must be a finite number > 0, got 0"
        );
    }

    #[test]
    fn fit_needs_two_points() {
        let one = array![[1.0, 2.0]];
        assert_eq!(
            check(Kde::fit(KdeParams::new(1.0), one.view())),
            KdeError::TooFewPoints(1)
        );
    }
}
