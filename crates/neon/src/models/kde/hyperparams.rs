//! KDE hyperparameters, validated once at fit.

use crate::error::{NeonError, Result};

/// Default ε of the squared-distance rule (§3.1), in squared units of the model space. Small
/// enough to dissipate nothing measurable unless `x` coincides with a training point, in which
/// case that point's whole share is dissipated instead of dividing by zero.
pub const DEFAULT_EPSILON: f64 = 1e-9;

/// Parameters of a Gaussian KDE `p̃(x) = (1/N) Σ_k exp(−γ ‖x − u_k‖²)` (Eq. 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KdeParams {
    /// Kernel parameter γ > 0.
    pub gamma: f64,
}

impl KdeParams {
    /// Parameters with kernel parameter γ.
    pub fn new(gamma: f64) -> Self {
        KdeParams { gamma }
    }

    /// Check the parameters.
    pub fn validate(&self) -> Result<()> {
        if !(self.gamma.is_finite() && self.gamma > 0.0) {
            return Err(NeonError::param(
                "gamma",
                format!("must be a finite number > 0, got {}", self.gamma),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_must_be_positive_and_finite() {
        assert!(KdeParams::new(1.0).validate().is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(KdeParams::new(bad).validate().is_err(), "{bad}");
        }
    }
}
