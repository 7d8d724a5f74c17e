//! The blocked path of every model: many rows explained at once through the kernels of
//! [`crate::kernels`], equal to the per-point networks to about `1e-12` (tested in
//! `batch_tests`).

use crate::kernels::{Compute, Tiles};
use crate::models::kde::KdeBatch;
use crate::models::{PointExplainer, RuleSet};

/// A model prepared once to explain many batches of rows: the random features are drawn and
/// the training data centred here, not per batch. The path — the per-point network, which is
/// the reference, or the blocked kernels — is fixed at preparation from the number of rows to
/// explain ([`Compute::batched`]), so explaining the rows in one call or chunk by chunk gives
/// the same numbers bit for bit. Rule sets other than [`RuleSet::Standard`] always take the
/// per-point path.
pub struct BatchExplainer<'a> {
    model: &'a crate::FittedModel,
    target: crate::Target,
    path: Path<'a>,
}

/// The per-point network or the blocked kernels, each prepared once.
enum Path<'a> {
    PerPoint(Box<dyn PointExplainer + 'a>),
    Blocked(Prepared<'a>),
}

impl std::fmt::Debug for BatchExplainer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchExplainer")
            .field("model", &self.model.name())
            .field("target", &self.target)
            .field("blocked", &self.is_blocked())
            .finish()
    }
}

#[derive(Debug)]
enum Prepared<'a> {
    Kde {
        batch: Box<KdeBatch<'a>>,
        explainer: crate::models::kde::KdeExplainer<'a>,
    },
    Kmeans {
        beta: f64,
        tiles: Tiles,
    },
}

impl<'a> BatchExplainer<'a> {
    /// Validate `options` and prepare `model` for `target`, for `n_rows` rows in all (which
    /// decides the path, see [`Compute::batched`]).
    pub fn new(
        model: &'a crate::FittedModel,
        target: crate::Target,
        options: &crate::ExplainOptions,
        compute: &Compute,
        n_rows: usize,
    ) -> crate::Result<Self> {
        use crate::models::FittedModel;
        let blocked = compute.batched(n_rows) && options.rule == RuleSet::Standard;
        let path = match model {
            _ if !blocked => Path::PerPoint(model.explainer(target, options)?),
            FittedModel::Kde(kde) => Path::Blocked(Prepared::Kde {
                explainer: kde.explainer(target, options)?,
                batch: Box::new(KdeBatch::new(kde, compute.precision, compute.tiles)),
            }),
            FittedModel::Kmeans(km) => Path::Blocked(Prepared::Kmeans {
                beta: km.explainer(target, options)?.beta(),
                tiles: compute.tiles,
            }),
        };
        Ok(BatchExplainer {
            model,
            target,
            path,
        })
    }

    /// True if the rows go through the blocked kernels, false for the per-point networks.
    pub fn is_blocked(&self) -> bool {
        matches!(self.path, Path::Blocked(_))
    }

    /// Rows recomputed so far by the per-point path (KDE outlier target; see [`KdeBatch`]).
    pub fn fallbacks(&self) -> usize {
        match &self.path {
            Path::Blocked(Prepared::Kde { batch, .. }) => batch.fallbacks(),
            _ => 0,
        }
    }

    /// Explanations of `rows` of the queries, in the order given (duplicates repeated). On the
    /// blocked path `progress` gets the number of rows finished after each block, on the
    /// per-point path 1 per row. Rows must be in range.
    pub fn explain(
        &self,
        queries: crate::Queries<'_>,
        rows: &[usize],
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<crate::Explanation> {
        use crate::models::FittedModel;
        use crate::rules::uniform_rule;
        use crate::Target;
        use rayon::prelude::*;
        let (points, leave_one_out): (ndarray::ArrayView2<'_, f64>, bool) = match queries {
            crate::Queries::LeaveOneOut => (self.model.training_points().reborrow(), true),
            crate::Queries::Points(p) => (p.reborrow(), false),
        };
        let prepared = match &self.path {
            Path::Blocked(prepared) => prepared,
            Path::PerPoint(point) => {
                return rows
                    .par_iter()
                    .map(|&row| {
                        let e = point.explain(points.row(row), leave_one_out.then_some(row), row);
                        progress(1);
                        e
                    })
                    .collect()
            }
        };
        match (prepared, self.model) {
            (Prepared::Kde { batch, explainer }, FittedModel::Kde(kde)) => match self.target {
                Target::Outlier => batch.explain_outlier(
                    points,
                    rows,
                    leave_one_out,
                    explainer.beta(),
                    explainer.epsilon(),
                    progress,
                ),
                Target::InlierRff => crate::models::kde::batch_rff::explain_inlier_rff(
                    kde,
                    explainer.draws(),
                    batch,
                    points,
                    rows,
                    leave_one_out,
                    progress,
                ),
                _ => {
                    let scores = batch.outlier_scores(points, rows, leave_one_out);
                    progress(rows.len());
                    let d = kde.n_features();
                    rows.iter()
                        .zip(scores)
                        .map(|(&row, o)| {
                            let score = (-kde.gamma * o).exp();
                            crate::Explanation::new(row, score, uniform_rule(score, d), 0.0)
                        })
                        .collect()
                }
            },
            (Prepared::Kmeans { beta, tiles }, FittedModel::Kmeans(km)) => {
                crate::models::kmeans::batch::explain_clusters(
                    km, *beta, points, rows, *tiles, progress,
                )
            }
            // `new` pairs each model with its own preparation
            _ => Vec::new(),
        }
    }
}

/// Batch scores of `rows` of `points` for a KDE target; `None` where the blocked kernels do
/// not apply (k-means evidence, random features), which the caller computes per point.
pub(crate) fn score_rows(
    model: &crate::FittedModel,
    points: ndarray::ArrayView2<f64>,
    rows: &[usize],
    leave_one_out: bool,
    target: crate::Target,
    compute: &Compute,
) -> Option<Vec<f64>> {
    use crate::models::FittedModel;
    use crate::Target;
    match (model, target) {
        (FittedModel::Kde(kde), Target::Outlier | Target::Inlier) => {
            let batch = KdeBatch::new(kde, compute.precision, compute.tiles);
            let scores = batch.outlier_scores(points, rows, leave_one_out);
            Some(if target == Target::Inlier {
                scores.into_iter().map(|o| (-kde.gamma * o).exp()).collect()
            } else {
                scores
            })
        }
        _ => None,
    }
}
