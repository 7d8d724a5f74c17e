//! k-means in the engine: the [`Model`] implementation the registry dispatches to, with the
//! blocked cluster path (§4.1 for many rows).

use super::algorithm::KMeans;
use super::batch::explain_clusters;
use super::capabilities::{CAPABILITIES, NAME};
use super::differentiable::ClusterScore;
use super::hyperparams::KMeansError;
use crate::engine::{check_stored_matrix, BlockedExplainer, DifferentiableScore, Model};
use crate::error::{NeonError, Result};
use crate::explain::{Explanation, PointExplainer};
use crate::kernels::{Compute, Tiles};
use crate::options::{Capabilities, ExplainOptions, RuleSet, Target};
use ndarray::{ArrayView1, ArrayView2};

impl Model for KMeans {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn n_features(&self) -> usize {
        self.centroids.ncols()
    }

    fn training_points(&self) -> ArrayView2<'_, f64> {
        self.points.view()
    }

    fn validate(&self) -> Result<()> {
        if self.centroids.nrows() < 2 {
            return Err(KMeansError::TooFewCentroids(self.centroids.nrows()).into());
        }
        if self.centroids.iter().any(|v| !v.is_finite()) {
            return Err(KMeansError::NonFiniteCentroid.into());
        }
        check_stored_matrix("centroids", self.centroids.view())?;
        check_stored_matrix("points", self.points.view())?;
        if !(self.beta_auto.is_finite() && self.beta_auto > 0.0) {
            return Err(NeonError::param(
                "beta_auto",
                format!("stored value {} is not a finite number > 0", self.beta_auto),
            ));
        }
        if self.points.ncols() != self.centroids.ncols() {
            return Err(NeonError::ShapeMismatch {
                what: "centroids vs training points".into(),
                expected: format!("{} columns", self.points.ncols()),
                found: format!("{} columns", self.centroids.ncols()),
            });
        }
        Ok(())
    }

    fn summary(&self) -> String {
        format!(
            "k-means: {} clusters, inertia = {:.6}, iterations = {}, beta_auto = {:.6}",
            self.centroids.nrows(),
            self.inertia,
            self.n_iter,
            self.beta_auto
        )
    }

    fn default_beta(&self) -> f64 {
        self.beta_auto
    }

    fn point_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn PointExplainer + 'a>> {
        Ok(Box::new(self.explainer(target, options)?))
    }

    fn blocked_explainer<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
        compute: &Compute,
    ) -> Result<Option<Box<dyn BlockedExplainer + 'a>>> {
        let explainer = self.explainer(target, options)?;
        // the blocked kernels explain each row's own cluster with the w² rule
        if explainer.rule() != RuleSet::Standard || explainer.chosen_cluster().is_some() {
            return Ok(None);
        }
        Ok(Some(Box::new(ClustersBlocked {
            kmeans: self,
            beta: explainer.beta(),
            tiles: compute.tiles,
        })))
    }

    fn differentiable<'a>(
        &'a self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<Box<dyn DifferentiableScore + 'a>> {
        let explainer = self.explainer(target, options)?;
        Ok(Box::new(ClusterScore(self, explainer.chosen_cluster())))
    }

    fn cluster_of(&self, x: ArrayView1<f64>) -> Option<usize> {
        Some(self.predict(x))
    }
}

/// The blocked cluster path with its β.
struct ClustersBlocked<'a> {
    kmeans: &'a KMeans,
    beta: f64,
    tiles: Tiles,
}

impl BlockedExplainer for ClustersBlocked<'_> {
    fn explain(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        _leave_one_out: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<Explanation> {
        explain_clusters(self.kmeans, self.beta, points, rows, self.tiles, progress)
    }
}
