//! Summaries of many explanations: the mean relevance of each feature per cluster (what
//! characterises a cluster's evidence, §4.1) and the mean absolute relevance over all rows (which
//! features matter overall), with the mean score and dissipated part beside them so that
//! conservation can be checked on the means too (`mean score = Σ_i mean R_i + mean dissipated`).
//!
//! The sums run row by row in the order the explanations are added, so a summary is the same
//! for any number of threads and any chunking of the rows.

use crate::error::{NeonError, Result};
use crate::explain::Explanation;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Means over one group of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Number of rows in the group.
    pub size: usize,
    /// Mean score `f(x)`.
    pub mean_score: f64,
    /// Mean relevance `R_i` of each feature (signed: negative evidence stays negative).
    pub mean_relevance: Vec<f64>,
    /// Mean `|R_i|` of each feature.
    pub mean_abs_relevance: Vec<f64>,
    /// Mean dissipated part.
    pub mean_dissipated: f64,
}

/// The summary of one cluster's rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterSummary {
    /// The cluster (0-based): the cluster each row belongs to.
    pub cluster: usize,
    /// Means over the cluster's rows.
    #[serde(flatten)]
    pub means: GroupSummary,
}

/// Summary of a set of explanations ([`RelevanceSummary::of`] or [`SummaryBuilder`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelevanceSummary {
    /// Means over all rows (`mean_abs_relevance` is the global importance of each feature).
    pub overall: GroupSummary,
    /// One entry per cluster that has rows, by increasing cluster index; empty for targets
    /// without clusters.
    pub clusters: Vec<ClusterSummary>,
    /// Largest `|score − (Σ R + dissipated)|` over the rows.
    pub max_conservation_gap: f64,
}

impl RelevanceSummary {
    /// Summarise `explanations`, each row grouped by its [`Explanation::cluster`].
    pub fn of(explanations: &[Explanation]) -> Result<Self> {
        let mut builder = SummaryBuilder::default();
        for e in explanations {
            builder.add(e, e.cluster)?;
        }
        builder.finish()
    }
}

/// Running sums of one group.
#[derive(Debug, Clone, Default)]
struct Sums {
    size: usize,
    score: f64,
    relevance: Vec<f64>,
    abs_relevance: Vec<f64>,
    dissipated: f64,
}

impl Sums {
    fn add(&mut self, e: &Explanation) {
        if self.relevance.is_empty() {
            self.relevance = vec![0.0; e.relevance.len()];
            self.abs_relevance = vec![0.0; e.relevance.len()];
        }
        self.size += 1;
        self.score += e.score;
        self.dissipated += e.dissipated;
        for (i, r) in e.relevance.iter().enumerate() {
            self.relevance[i] += r;
            self.abs_relevance[i] += r.abs();
        }
    }

    fn means(&self) -> GroupSummary {
        let n = self.size.max(1) as f64;
        GroupSummary {
            size: self.size,
            mean_score: self.score / n,
            mean_relevance: self.relevance.iter().map(|v| v / n).collect(),
            mean_abs_relevance: self.abs_relevance.iter().map(|v| v / n).collect(),
            mean_dissipated: self.dissipated / n,
        }
    }
}

/// Builds a [`RelevanceSummary`] one explanation at a time (memory: one row of sums per
/// cluster), for explanations that stream past in chunks.
#[derive(Debug, Clone, Default)]
pub struct SummaryBuilder {
    overall: Sums,
    clusters: BTreeMap<usize, Sums>,
    max_gap: f64,
}

impl SummaryBuilder {
    /// Add one explanation; `cluster` is the group of its row (for a chosen-cluster
    /// explanation, the cluster the row belongs to, not the one explained). Every explanation
    /// must have the same number of features.
    pub fn add(&mut self, explanation: &Explanation, cluster: Option<usize>) -> Result<()> {
        let d = explanation.relevance.len();
        if self.overall.size > 0 && self.overall.relevance.len() != d {
            return Err(NeonError::ShapeMismatch {
                what: format!("explanation of row {}", explanation.row),
                expected: format!("{} relevances", self.overall.relevance.len()),
                found: format!("{d} relevances"),
            });
        }
        self.overall.add(explanation);
        if let Some(c) = cluster {
            self.clusters.entry(c).or_default().add(explanation);
        }
        self.max_gap = self.max_gap.max(explanation.conservation_gap().abs());
        Ok(())
    }

    /// The summary; an error if nothing was added.
    pub fn finish(&self) -> Result<RelevanceSummary> {
        if self.overall.size == 0 {
            return Err(NeonError::param("rows", "no explanation to summarise"));
        }
        Ok(RelevanceSummary {
            overall: self.overall.means(),
            clusters: self
                .clusters
                .iter()
                .map(|(&cluster, sums)| ClusterSummary {
                    cluster,
                    means: sums.means(),
                })
                .collect(),
            max_conservation_gap: self.max_gap,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explanation(row: usize, relevance: Vec<f64>, dissipated: f64, c: usize) -> Explanation {
        let score = relevance.iter().sum::<f64>() + dissipated;
        let mut e = Explanation::new(row, score, relevance, dissipated);
        e.cluster = Some(c);
        e
    }

    #[test]
    fn means_per_cluster_and_overall_by_hand() {
        let rows = [
            explanation(0, vec![1.0, -2.0], 0.5, 1),
            explanation(1, vec![3.0, 0.0], 0.0, 1),
            explanation(2, vec![-4.0, 2.0], 1.0, 0),
        ];
        let s = RelevanceSummary::of(&rows).expect("summary");
        assert_eq!(s.overall.size, 3);
        assert_eq!(s.overall.mean_relevance, vec![0.0, 0.0]);
        assert_eq!(s.overall.mean_abs_relevance, vec![8.0 / 3.0, 4.0 / 3.0]);
        assert_eq!(s.overall.mean_dissipated, 0.5);
        assert_eq!(s.clusters.len(), 2);
        assert_eq!(s.clusters[0].cluster, 0);
        assert_eq!(s.clusters[0].means.size, 1);
        assert_eq!(s.clusters[0].means.mean_relevance, vec![-4.0, 2.0]);
        assert_eq!(s.clusters[1].means.mean_relevance, vec![2.0, -1.0]);
        assert_eq!(s.clusters[1].means.mean_abs_relevance, vec![2.0, 1.0]);
        assert_eq!(s.clusters[1].means.mean_score, (-0.5 + 3.0) / 2.0);
        // conservation carries over to the means
        for g in std::iter::once(&s.overall).chain(s.clusters.iter().map(|c| &c.means)) {
            let sum: f64 = g.mean_relevance.iter().sum();
            assert!((g.mean_score - sum - g.mean_dissipated).abs() < 1e-12);
        }
        assert!(s.max_conservation_gap < 1e-12);
    }

    #[test]
    fn grouping_by_the_rows_own_cluster_and_errors() {
        let mut b = SummaryBuilder::default();
        assert!(b.finish().is_err());
        b.add(&explanation(0, vec![1.0], 0.0, 4), Some(2))
            .expect("add");
        b.add(&explanation(1, vec![1.0], 0.0, 4), None)
            .expect("add");
        let s = b.finish().expect("summary");
        assert_eq!(s.clusters.len(), 1);
        assert_eq!(s.clusters[0].cluster, 2);
        assert_eq!(s.overall.size, 2);
        let err = b
            .add(&explanation(2, vec![1.0, 2.0], 0.0, 0), None)
            .expect_err("width");
        assert!(err.to_string().contains("row 2"), "{err}");
    }
}
