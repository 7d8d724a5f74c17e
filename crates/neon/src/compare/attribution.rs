//! [`Attribution`]: what a generic attribution method returns for a function `f`.

/// The result of a generic attribution method on a function `f`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// Relevance `R_i` of each feature.
    pub relevance: Vec<f64>,
    /// Standard error of each `R_i` (sampling estimators).
    pub std_error: Option<Vec<f64>>,
    /// `f(x)`.
    pub score: f64,
    /// `f(r)` at the reference point.
    pub reference_score: f64,
}
