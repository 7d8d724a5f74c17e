//! Parameters of a KDE with per-feature kernel parameters: given, or chosen per feature from
//! the data by a bandwidth rule; one error variant per check.

use crate::engine::{FitParam, FitValues, ParamKind, ParamValue};
use crate::error::Result;
use crate::models::kde::bandwidth::BandwidthRule;

/// Registry name.
pub const NAME: &str = "kde-diagonal";

/// How the per-feature kernel parameters are set.
#[derive(Debug, Clone, PartialEq)]
pub enum DiagonalKdeParams {
    /// Given, one `γ_i > 0` per feature (in 1 / squared units of the model space).
    Gammas(Vec<f64>),
    /// Chosen from the data: bandwidth `h_i = c · σ_i` per feature (σ_i the feature's standard
    /// deviation in model space), with `c` Scott's or Silverman's factor for the data's size and
    /// dimension, or the `c` of maximum leave-one-out likelihood (`loo`); `γ_i = 1 / (2 h_i²)`.
    Rule(BandwidthRule),
}

/// A diagonal-KDE parameter or fit that fails its check.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiagonalKdeError {
    /// A per-feature γ is not a finite number > 0.
    #[error("gamma of feature {feature} must be a finite number > 0, got {value}")]
    Gamma {
        /// 0-based feature.
        feature: usize,
        /// The value given.
        value: f64,
    },
    /// As many γ as features are needed.
    #[error("{given} values for {features} features")]
    GammaCount {
        /// Values given.
        given: usize,
        /// Features of the data.
        features: usize,
    },
    /// A feature does not vary, so a per-feature rule cannot scale it.
    #[error("feature {0} is constant: a per-feature bandwidth rule cannot scale it")]
    ConstantFeature(usize),
    /// Fewer than 2 training points.
    #[error("a KDE needs at least 2 training points, got {0}")]
    TooFewPoints(usize),
}

crate::error::param_check!(DiagonalKdeError, |e| match e {
    DiagonalKdeError::Gamma { .. } | DiagonalKdeError::GammaCount { .. } => "gammas",
    DiagonalKdeError::ConstantFeature(_) => "bandwidth",
    DiagonalKdeError::TooFewPoints(_) => "points",
});

/// The fit parameters (the CLI makes `--bandwidth` of them; given γ_i are a library call,
/// [`DiagonalKdeParams::Gammas`]).
pub const FIT_PARAMS: &[FitParam] = &[FitParam {
    name: "bandwidth",
    help: "Per-feature bandwidths h_i = c · σ_i (σ_i: the feature's standard deviation in model \
           space; γ_i = 1 / (2h_i²)), with c from Scott's or Silverman's rule for the data's \
           size and dimension, or the c of maximum leave-one-out likelihood (loo)",
    kind: ParamKind::Choice(BandwidthRule::NAMES),
    default: Some(ParamValue::Choice("scott")),
    rule_of_thumb: None,
    alternative: None,
}];

impl DiagonalKdeParams {
    /// The parameters from checked values of [`FIT_PARAMS`].
    pub fn from_values(values: &FitValues) -> Result<Self> {
        Ok(DiagonalKdeParams::Rule(BandwidthRule::from_name(
            values.choice("bandwidth")?,
        )?))
    }

    /// Check given values for `d` features (a rule is checked on the data at fit).
    pub fn validate(&self, d: usize) -> Result<()> {
        if let DiagonalKdeParams::Gammas(gammas) = self {
            if gammas.len() != d {
                return Err(DiagonalKdeError::GammaCount {
                    given: gammas.len(),
                    features: d,
                }
                .into());
            }
            if let Some((feature, &value)) = gammas
                .iter()
                .enumerate()
                .find(|(_, g)| !(g.is_finite() && **g > 0.0))
            {
                return Err(DiagonalKdeError::Gamma { feature, value }.into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NeonError;

    fn check(result: Result<()>) -> DiagonalKdeError {
        let err: NeonError = result.expect_err("must fail");
        err.check::<DiagonalKdeError>()
            .expect("a DiagonalKdeError")
            .clone()
    }

    #[test]
    fn each_check_has_its_variant() {
        assert!(DiagonalKdeParams::Gammas(vec![1.0, 2.0])
            .validate(2)
            .is_ok());
        assert!(DiagonalKdeParams::Rule(BandwidthRule::Scott)
            .validate(5)
            .is_ok());
        assert_eq!(
            check(DiagonalKdeParams::Gammas(vec![1.0]).validate(2)),
            DiagonalKdeError::GammaCount {
                given: 1,
                features: 2
            }
        );
        assert_eq!(
            check(DiagonalKdeParams::Gammas(vec![1.0, 0.0]).validate(2)),
            DiagonalKdeError::Gamma {
                feature: 1,
                value: 0.0
            }
        );
        let err = DiagonalKdeParams::Gammas(vec![-1.0])
            .validate(1)
            .expect_err("negative");
        assert_eq!(
            err.to_string(),
            "parameter gammas: gamma of feature 0 must be a finite number > 0, got -1"
        );
    }
}
