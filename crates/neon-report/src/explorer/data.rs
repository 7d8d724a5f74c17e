//! The numbers of the interactive page ([`ExplorerData`]), checked, ranked and summarised.

use crate::error::ReportError;
use serde::Serialize;

/// One baseline's explanations of some of the shown rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineSet {
    /// Method name (`occlusion`, `shapley-exact`, …).
    pub method: String,
    /// Indices into [`ExplorerData`]'s rows of the rows this baseline explains.
    pub points: Vec<usize>,
    /// Relevance of each feature, one vector per entry of `points`.
    pub relevance: Vec<Vec<f64>>,
    /// Dissipated part of each (for baselines: `f(reference)` plus the completeness gap).
    pub dissipated: Vec<f64>,
}

/// Everything the interactive page shows. Rows ("points") are the shown rows, in the order
/// the map draws them; `rows[k]` is point `k`'s 0-based row in the data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplorerData {
    /// Page title.
    pub title: String,
    /// Sentences shown under the title (data source, sampling, what the score is).
    pub notes: Vec<String>,
    /// Feature names, in model order.
    pub features: Vec<String>,
    /// Unit of the raw values, when known (e.g. `m.u.`).
    pub unit: Option<String>,
    /// Target explained (`outlier`, `inlier`, `inlier_rff`, `cluster`).
    pub target: String,
    /// Name of the score, e.g. `outlierness o(x)`.
    pub score_name: String,
    /// Whether a high score marks an unusual row (outlierness) rather than a usual one.
    pub high_is_unusual: bool,
    /// Number of rows in the data (the page may show a sample of them).
    pub total_rows: usize,
    /// Data row of each point.
    pub rows: Vec<usize>,
    /// Identifier of each point (from an id column), when given.
    pub ids: Option<Vec<String>>,
    /// Raw values of each point (before the model's transform).
    pub raw: Vec<Vec<f64>>,
    /// The model's score of each point.
    pub score: Vec<f64>,
    /// NEON relevance of each feature, per point.
    pub relevance: Vec<Vec<f64>>,
    /// Σ R of each point.
    pub relevance_sum: Vec<f64>,
    /// Part of the score the rules dissipated, per point.
    pub dissipated: Vec<f64>,
    /// Cluster of each point (clustering models).
    pub cluster: Option<Vec<usize>>,
    /// Map coordinates of each point.
    pub map: Vec<[f64; 2]>,
    /// How the map was made, e.g. `t-SNE (perplexity 30, seed 0)`.
    pub map_name: String,
    /// Baselines computed for (some of) the points.
    pub baselines: Vec<BaselineSet>,
    /// Parameters of the model, the explanation and the map, as shown.
    pub params: Vec<(String, String)>,
    /// Number of rows in the "top rows" table.
    pub top: usize,
}

impl ExplorerData {
    /// Check shapes and finiteness: one entry per point everywhere, one value per feature.
    pub fn validate(&self) -> Result<(), ReportError> {
        let n = self.rows.len();
        let d = self.features.len();
        let mismatch = |what: &str, found: usize, expected: usize| ReportError::LengthMismatch {
            what: what.to_string(),
            expected,
            found,
        };
        if n == 0 {
            return Err(ReportError::Empty {
                what: "rows to explore",
            });
        }
        for (what, len) in [
            ("raw values", self.raw.len()),
            ("scores", self.score.len()),
            ("relevance", self.relevance.len()),
            ("relevance sums", self.relevance_sum.len()),
            ("dissipated parts", self.dissipated.len()),
            ("map coordinates", self.map.len()),
        ] {
            if len != n {
                return Err(mismatch(what, len, n));
            }
        }
        if let Some(ids) = &self.ids {
            if ids.len() != n {
                return Err(mismatch("ids", ids.len(), n));
            }
        }
        if let Some(cluster) = &self.cluster {
            if cluster.len() != n {
                return Err(mismatch("clusters", cluster.len(), n));
            }
        }
        for (k, (raw, rel)) in self.raw.iter().zip(&self.relevance).enumerate() {
            if raw.len() != d {
                return Err(mismatch(&format!("raw values of point {k}"), raw.len(), d));
            }
            if rel.len() != d {
                return Err(mismatch(&format!("relevance of point {k}"), rel.len(), d));
            }
        }
        let finite = |what: &'static str, values: &mut dyn Iterator<Item = f64>| match values
            .enumerate()
            .find(|(_, v)| !v.is_finite())
            .map(|(i, _)| i)
        {
            Some(index) => Err(ReportError::NonFinite { what, index }),
            None => Ok(()),
        };
        finite("score", &mut self.score.iter().copied())?;
        finite("relevance", &mut self.relevance.iter().flatten().copied())?;
        finite("dissipated part", &mut self.dissipated.iter().copied())?;
        finite("map coordinate", &mut self.map.iter().flatten().copied())?;
        for b in &self.baselines {
            if b.points.len() != b.relevance.len() || b.points.len() != b.dissipated.len() {
                return Err(mismatch(
                    &format!("{} explanations", b.method),
                    b.relevance.len(),
                    b.points.len(),
                ));
            }
            if let Some(&p) = b.points.iter().find(|&&p| p >= n) {
                return Err(mismatch(&format!("{} point index", b.method), p, n));
            }
            if let Some(r) = b.relevance.iter().find(|r| r.len() != d) {
                return Err(mismatch(&format!("{} relevance", b.method), r.len(), d));
            }
        }
        Ok(())
    }

    /// Points ordered from the most to the least remarkable: highest score first where a high
    /// score is unusual (outlierness), lowest first otherwise (inlierness, cluster evidence).
    pub fn ranked(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by(|&a, &b| {
            let (sa, sb) = (self.score[a], self.score[b]);
            let by_score = if self.high_is_unusual {
                sb.total_cmp(&sa)
            } else {
                sa.total_cmp(&sb)
            };
            by_score.then(self.rows[a].cmp(&self.rows[b]))
        });
        order
    }

    /// Conservation over all points: the largest `|score − Σ R − dissipated|`, the largest
    /// `|dissipated| / |score|`, and the mean `|dissipated| / |score|` (rows with a zero score
    /// left out of the ratios).
    pub fn conservation(&self) -> Conservation {
        let mut gap = 0.0f64;
        let (mut max_share, mut sum_share, mut counted) = (0.0f64, 0.0, 0usize);
        for k in 0..self.rows.len() {
            let score = self.score[k];
            gap = gap.max((score - self.relevance_sum[k] - self.dissipated[k]).abs());
            if score != 0.0 {
                let share = self.dissipated[k].abs() / score.abs();
                max_share = max_share.max(share);
                sum_share += share;
                counted += 1;
            }
        }
        Conservation {
            max_gap: gap,
            max_dissipated_share: max_share,
            mean_dissipated_share: if counted > 0 {
                sum_share / counted as f64
            } else {
                0.0
            },
        }
    }
}

/// Conservation statistics over the shown rows ([`ExplorerData::conservation`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conservation {
    /// Largest `|score − Σ R − dissipated|`.
    pub max_gap: f64,
    /// Largest `|dissipated| / |score|`.
    pub max_dissipated_share: f64,
    /// Mean `|dissipated| / |score|`.
    pub mean_dissipated_share: f64,
}
