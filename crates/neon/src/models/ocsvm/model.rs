//! The one-class SVM in the engine: the [`Model`] implementation the registry dispatches to.

use super::algorithm::OneClassSvm;
use super::capabilities::{CAPABILITIES, NAME};
use super::differentiable::OcsvmScore;
use super::hyperparams::{OcsvmError, OcsvmParams};
use crate::engine::{check_stored_matrix, DifferentiableScore, Model};
use crate::error::Result;
use crate::explain::PointExplainer;
use crate::options::{Capabilities, ExplainOptions, Target};
use ndarray::ArrayView2;

impl Model for OneClassSvm {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn n_features(&self) -> usize {
        self.support_vectors.ncols()
    }

    fn training_points(&self) -> ArrayView2<'_, f64> {
        self.points.view()
    }

    fn validate(&self) -> Result<()> {
        if !(self.gamma.is_finite() && self.gamma > 0.0) {
            return Err(OcsvmError::Gamma(self.gamma).into());
        }
        if let Some(nu) = self.nu {
            OcsvmParams::new(nu, self.gamma).validate()?;
        }
        if self.points.nrows() < 2 {
            return Err(OcsvmError::TooFewPoints(self.points.nrows()).into());
        }
        if self.alpha.len() != self.support_vectors.nrows()
            || self.points.ncols() != self.support_vectors.ncols()
        {
            return Err(crate::error::NeonError::param(
                "support_vectors",
                format!(
                    "{} support vectors of {} columns, {} coefficients, training points of {} columns",
                    self.support_vectors.nrows(),
                    self.support_vectors.ncols(),
                    self.alpha.len(),
                    self.points.ncols()
                ),
            ));
        }
        self.check_coefficients()?;
        check_stored_matrix("support_vectors", self.support_vectors.view())?;
        check_stored_matrix("points", self.points.view())
    }

    fn summary(&self) -> String {
        let nu = self
            .nu
            .map_or("imported".to_string(), |nu| format!("nu = {nu}"));
        format!(
            "one-class SVM: {} support vectors of {} training points, {} features, gamma = {}, {nu}, rho = {:.6}",
            self.support_vectors.nrows(),
            self.points.nrows(),
            self.n_features(),
            self.gamma,
            self.rho
        )
    }

    fn default_beta(&self) -> f64 {
        self.gamma
    }

    fn point_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn PointExplainer + 'a>> {
        Ok(Box::new(self.explainer(target, options)?))
    }

    fn differentiable<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn DifferentiableScore + 'a>> {
        self.explainer(target, options)?;
        Ok(Box::new(OcsvmScore(self)))
    }
}
