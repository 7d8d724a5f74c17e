//! [`Explanation`]: what every explanation returns — the model's score, one relevance per
//! feature, their sum, and the part a rule dissipated, so that the user can check conservation
//! `Σ_i R_i + dissipated = f(x)` (§2, conservation property).

use crate::options::Target;
use ndarray::ArrayView1;
use serde::{Deserialize, Serialize};

/// The explanation of one prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// 0-based data row this explanation is for.
    pub row: usize,
    /// The model's score `f(x)` for the explained target (for `inlier-rff` with several trials:
    /// the mean of `î(x)` over trials).
    pub score: f64,
    /// Relevance `R_i` of each feature (for several trials: the mean over trials).
    pub relevance: Vec<f64>,
    /// `Σ_i R_i`.
    pub relevance_sum: f64,
    /// Relevance the rules did not pass to the features (ε terms, degenerate neurons,
    /// non-propagated residuals).
    pub dissipated: f64,
    /// Spread of each feature's relevance: the standard deviation over random-feature trials
    /// (`inlier-rff`), or the standard error of the estimate (`shapley-sampling`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub relevance_std: Option<Vec<f64>>,
    /// Assigned cluster (cluster target).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cluster: Option<usize>,
    /// The exact KDE inlierness `p̃(x)` next to the random-feature estimate `î(x)`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exact_score: Option<f64>,
}

impl Explanation {
    /// Assemble an explanation from a score, relevance vector and dissipated part.
    pub fn new(row: usize, score: f64, relevance: Vec<f64>, dissipated: f64) -> Self {
        let relevance_sum = relevance.iter().sum();
        Explanation {
            row,
            score,
            relevance,
            relevance_sum,
            dissipated,
            relevance_std: None,
            cluster: None,
            exact_score: None,
        }
    }

    /// `f(x) − (Σ R_i + dissipated)`: zero up to round-off for a conservative explanation.
    pub fn conservation_gap(&self) -> f64 {
        self.score - (self.relevance_sum + self.dissipated)
    }

    /// Check that every number of the explanation is finite; the error names the row and the
    /// value (no output may carry a silent `NaN`/`inf`, which JSON would write as `null`).
    pub fn check_finite(&self) -> crate::error::Result<()> {
        let bad = |what: &str, value: f64| crate::error::NeonError::NonFiniteResult {
            row: self.row,
            what: what.to_string(),
            value,
        };
        for (what, value) in [
            ("score", self.score),
            ("relevance sum", self.relevance_sum),
            ("dissipated part", self.dissipated),
        ] {
            if !value.is_finite() {
                return Err(bad(what, value));
            }
        }
        if let Some(v) = self.relevance.iter().find(|v| !v.is_finite()) {
            return Err(bad("relevance", *v));
        }
        Ok(())
    }

    /// Share of each feature in the total absolute relevance.
    pub fn shares(&self) -> Vec<f64> {
        let total: f64 = self.relevance.iter().map(|r| r.abs()).sum();
        self.relevance
            .iter()
            .map(|r| if total > 0.0 { r.abs() / total } else { 0.0 })
            .collect()
    }
}

/// A model prepared to score and explain one target, point by point.
pub trait PointExplainer: Sync {
    /// The target it explains.
    fn target(&self) -> Target;
    /// Number of input features.
    fn n_features(&self) -> usize;
    /// The model's score `f(x)`; `exclude` leaves training point `exclude` out (leave-one-out).
    fn score(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> f64;
    /// The explanation of `f(x)`, labelled with data row `row`.
    fn explain(&self, x: ArrayView1<f64>, exclude: Option<usize>, row: usize) -> Explanation;
}
