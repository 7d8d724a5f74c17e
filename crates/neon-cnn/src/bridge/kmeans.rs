//! k-means on locations (§4.1, §5.2, Appendix A.3): the core's k-means, then the centroids
//! rescaled to a common norm.

use ndarray::{Array2, ArrayView1, ArrayView2};
use neon_xai::models::{ExplainOptions, KMeans, KMeansParams, RuleSet};
use neon_xai::Explanation;

use crate::error::{CnnError, Result};

/// Rescale every non-zero centroid to the mean of the centroids' norms (§5.2: "we rescale each
/// cluster centroid to fixed norm"), so that the biases `b_k = ‖μ_k‖² − ‖μ_c‖²` of the
/// neuralized cluster model (§4.1) vanish and A.3 has no bias to leave unexplained. Returns the
/// rescaled centroids and the common norm.
pub fn rescale_centroids(centroids: &Array2<f64>) -> (Array2<f64>, f64) {
    let norms: Vec<f64> = centroids.outer_iter().map(|r| r.dot(&r).sqrt()).collect();
    let norm = norms.iter().sum::<f64>() / norms.len().max(1) as f64;
    let mut out = centroids.clone();
    for (mut row, &nk) in out.outer_iter_mut().zip(&norms) {
        if nk > 0.0 {
            row.mapv_inplace(|v| v * (norm / nk));
        }
    }
    (out, norm)
}

/// k-means fitted by the core (`neon_xai::models::KMeans::fit`: k-means++ restarts, Lloyd
/// iterations with tolerance, seeded) on the locations, with the centroids rescaled to a
/// common norm ([`rescale_centroids`]) and imported back as a core model
/// (`KMeans::from_centroids`), whose cluster evidence (Eq. 5) and A.3 explanation are used.
#[derive(Debug, Clone)]
pub struct LocationKMeans {
    model: KMeans,
    fitted_centroids: Array2<f64>,
    norm: f64,
}

impl LocationKMeans {
    /// Fit on `data` (`N × C`, the locations the model is built on) with the core's parameters.
    pub fn fit(data: ArrayView2<f64>, params: KMeansParams) -> Result<Self> {
        if params.n_clusters >= 2 && data.nrows() < params.n_clusters {
            return Err(CnnError::TooFewLocations {
                model: "kmeans",
                needed: params.n_clusters,
                found: data.nrows(),
            });
        }
        let fitted = KMeans::fit(params, data)?;
        let (centroids, norm) = rescale_centroids(&fitted.centroids);
        let model = KMeans::from_centroids(centroids, data)?;
        Ok(LocationKMeans {
            model,
            fitted_centroids: fitted.centroids,
            norm,
        })
    }

    /// The core model with the rescaled centroids; its `beta_auto` (`1 / mean f_c` over the
    /// fitted locations) is the default β of A.3.
    pub fn model(&self) -> &KMeans {
        &self.model
    }

    /// Rescaled centroids, `K × C`.
    pub fn centroids(&self) -> &Array2<f64> {
        &self.model.centroids
    }

    /// The centroids as the core's k-means returned them, before rescaling.
    pub fn fitted_centroids(&self) -> &Array2<f64> {
        &self.fitted_centroids
    }

    /// The common centroid norm.
    pub fn norm(&self) -> f64 {
        self.norm
    }

    /// Number of clusters K.
    pub fn n_clusters(&self) -> usize {
        self.model.n_clusters()
    }

    /// Cluster of every fitted location: its nearest rescaled centroid.
    pub fn labels(&self) -> Vec<usize> {
        self.model.labels()
    }

    /// The cluster of a location: its nearest rescaled centroid (ties: lowest index).
    pub fn assign(&self, a: ArrayView1<f64>) -> usize {
        self.model.predict(a)
    }

    /// Cluster evidence `f_c(a) = min_{k≠c} ‖a − μ_k‖² − ‖a − μ_c‖²` (Eq. 5).
    pub fn evidence(&self, a: ArrayView1<f64>, c: usize) -> f64 {
        self.model.cluster_evidence(a, c)
    }

    /// Appendix A.3 for location row `row` with activations `a`: the core's soft argmin with
    /// stiffness `beta` over the competitors, then the grounded linear rule
    /// `R_i = Σ_k p_k a_i w_ik`; `R^res` (bias and soft-min gap) is reported as dissipated.
    pub fn explain(
        &self,
        a: ArrayView1<f64>,
        c: usize,
        beta: f64,
        row: usize,
    ) -> Result<Explanation> {
        if c >= self.n_clusters() {
            return Err(CnnError::param(
                "cluster",
                format!("{c} >= n_clusters = {}", self.n_clusters()),
            ));
        }
        let options = ExplainOptions {
            beta: Some(beta),
            rule: Some(RuleSet::Grounded),
            ..ExplainOptions::default()
        };
        options.validate()?;
        let (score, relevance, residual) =
            self.model
                .explain_cluster_with(a, c, beta, RuleSet::Grounded, options.epsilon);
        let mut e = Explanation::new(row, score, relevance, residual);
        e.cluster = Some(c);
        Ok(e)
    }
}
