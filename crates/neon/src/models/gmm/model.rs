//! The Gaussian mixture in the engine: the [`Model`] implementation the registry dispatches to.

use super::algorithm::GaussianMixture;
use super::capabilities::{CAPABILITIES, NAME};
use super::differentiable::GmmScore;
use crate::engine::{DifferentiableScore, Model};
use crate::error::Result;
use crate::explain::PointExplainer;
use crate::options::{Capabilities, ExplainOptions, Target};
use ndarray::{ArrayView1, ArrayView2};

impl Model for GaussianMixture {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn n_features(&self) -> usize {
        self.means.ncols()
    }

    fn training_points(&self) -> ArrayView2<'_, f64> {
        self.points.view()
    }

    /// A model file's values are checked when it is read (weights, positive definite
    /// covariances, finite means and points); nothing is left to check here.
    fn validate(&self) -> Result<()> {
        GaussianMixture::from_parts(
            self.covariance_type,
            self.weights.clone(),
            self.means.clone(),
            self.covariances.clone(),
            self.points.view(),
        )
        .map(|_| ())
    }

    fn summary(&self) -> String {
        format!(
            "Gaussian mixture: {} {} components, {} features, {} training points, mean log-likelihood {:.6}",
            self.n_components(),
            self.covariance_type,
            self.n_features(),
            self.points.nrows(),
            self.lower_bound
        )
    }

    fn default_beta(&self) -> f64 {
        1.0
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
        Ok(Box::new(GmmScore {
            model: self,
            target,
            cluster: options.cluster,
        }))
    }

    fn cluster_of(&self, x: ArrayView1<f64>) -> Option<usize> {
        Some(self.predict(x))
    }
}
