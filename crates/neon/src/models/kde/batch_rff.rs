//! Batch random-feature inlier explanation (§3.3, Eq. 3): for each row, the feature map
//! `√2 cos(ω_jᵀx + b_j)` ([`FeatureLayer::feature_map`]), `h_j = √2 cos(ω_jᵀx + b_j) μ_j`,
//! `î(x) = (1/H) Σ_j h_j`, and the w² rule `R_i = Σ_j (ω_ji² / ‖ω_j‖²) h_j / H`
//! ([`FeatureLayer::w2_rule`]).
//!
//! Both paths sum `H` terms of either sign, and `cos(ω_jᵀx + b_j)` is only as accurate as its
//! argument, so their agreement is measured against the sum's own scale `(1/H) Σ_j |h_j|`
//! times `1 + max_j Σ_i |ω_ji x_i|`: about `1e-12` of it.

use super::algorithm::Kde;
use super::batch::KdeBatch;
use super::random_features::RandomFeatureDraw;
use crate::explain::Explanation;
use crate::kernels::rff::{add_in_place, Embedding, FeatureLayer, EMBEDDING_BLOCK};
use crate::kernels::simd;
use ndarray::{s, Array2, Array3, ArrayView2, Axis, Slice};
use rayon::prelude::*;

/// Random-feature inlier explanations (§3.3) of `rows` of `points` for the given draws (one
/// per trial): mean score and relevance over draws, the per-feature standard deviation, and
/// the exact inlierness `p̃(x)` from `batch`. `progress` gets the rows finished per block.
pub fn explain_inlier_rff(
    kde: &Kde,
    draws: &[RandomFeatureDraw],
    batch: &KdeBatch<'_>,
    points: ArrayView2<f64>,
    rows: &[usize],
    leave_one_out: bool,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Explanation> {
    let n = kde.points.nrows();
    let d = kde.n_features();
    let layers: Vec<FeatureLayer> = draws
        .iter()
        .map(|draw| FeatureLayer::new(draw.layer.omega.view(), draw.layer.phase.view()))
        .collect();
    let exact: Vec<f64> = batch
        .outlier_scores(points, rows, leave_one_out)
        .into_iter()
        .map(|o| (-kde.gamma * o).exp())
        .collect();
    let block = batch.tiles().rows;
    let explain_block = |(chunk, exact): (&[usize], &[f64])| -> Vec<Explanation> {
        let m = chunk.len();
        // per trial: scores (m) and relevance (m × d)
        let mut scores = Array2::<f64>::zeros((draws.len(), m));
        let mut relevance = Array3::<f64>::zeros((draws.len(), m, d));
        let mut x = vec![0.0; d];
        let widest = layers
            .iter()
            .map(FeatureLayer::n_features)
            .max()
            .unwrap_or(0);
        let mut h = vec![0.0; widest];
        // the feature maps compiled for the CPU's widest vectors (same bits)
        simd::wide(
            #[inline(always)]
            || {
                for (t, (draw, layer)) in draws.iter().zip(&layers).enumerate() {
                    let h_count = layer.n_features();
                    let h = &mut h[..h_count];
                    let n_minus_one = draw.n_points.saturating_sub(1) as f64;
                    let mean = draw.layer.mean_embedding.as_slice().unwrap_or(&[]);
                    let sum = draw.embedding_sum.as_slice().unwrap_or(&[]);
                    for (r, &row) in chunk.iter().enumerate() {
                        let loo = leave_one_out && row < n && draw.n_points > 1;
                        for (xi, &v) in x.iter_mut().zip(points.row(row)) {
                            *xi = v;
                        }
                        layer.feature_map(&x, h);
                        // h_j (N − 1) = φ_j (S_j − φ_j) with the embedding without the row
                        // itself, else h_j = φ_j μ_j
                        let (embedding, denominator) = if loo {
                            (Embedding::SumWithout(sum), h_count as f64 * n_minus_one)
                        } else {
                            (Embedding::Mean(mean), h_count as f64)
                        };
                        let mut rel = relevance.slice_mut(s![t, r, ..]);
                        let (score, rel) = (&mut scores[[t, r]], rel.as_slice_mut());
                        score_and_relevance(layer, h, embedding, denominator, score, rel);
                    }
                }
            },
        );
        let out = summarise(chunk, exact, &scores, &relevance);
        progress(m);
        out
    };
    if rows.len() <= block {
        // one block: no use for the thread pool
        explain_block((rows, &exact))
    } else {
        rows.par_chunks(block)
            .zip(exact.par_chunks(block))
            .flat_map_iter(explain_block)
            .collect()
    }
}

/// From a row's feature map `phi` (H numbers) and the embedding it is weighted by
/// ([`FeatureLayer::w2_rule`], contributions `h_j` times `denominator / H`): its score
/// `î = (1/H) Σ_j h_j` (Eq. 3) and the w² rule's relevance `R_i = (1/H) Σ_j (ω_ji² / ‖ω_j‖²) h_j`.
#[inline(always)]
fn score_and_relevance(
    layer: &FeatureLayer,
    phi: &[f64],
    embedding: Embedding<'_>,
    denominator: f64,
    score: &mut f64,
    relevance: Option<&mut [f64]>,
) {
    // rows of a fresh standard-layout array are contiguous: always given
    let relevance = relevance.unwrap_or_default();
    *score = layer.w2_rule(phi, embedding, relevance) / denominator;
    for r in relevance.iter_mut() {
        *r /= denominator;
    }
}

/// Mean score, mean relevance and its standard deviation over the draws of one block of rows
/// (`scores`: draws × rows, `relevance`: draws × rows × features), with the exact inlierness.
fn summarise(
    chunk: &[usize],
    exact: &[f64],
    scores: &Array2<f64>,
    relevance: &Array3<f64>,
) -> Vec<Explanation> {
    let (n_draws, m, d) = relevance.dim();
    let trials = n_draws as f64;
    (0..m)
        .map(|r| {
            let score = scores.column(r).sum() / trials;
            let mean: Vec<f64> = (0..d)
                .map(|i| relevance.index_axis(Axis(1), r).column(i).sum() / trials)
                .collect();
            let std: Vec<f64> = (0..d)
                .map(|i| {
                    if n_draws < 2 {
                        return 0.0;
                    }
                    let var = relevance
                        .index_axis(Axis(1), r)
                        .column(i)
                        .iter()
                        .map(|v| (v - mean[i]).powi(2))
                        .sum::<f64>()
                        / (trials - 1.0);
                    var.sqrt()
                })
                .collect();
            let mut e = Explanation::new(chunk[r], score, mean, 0.0);
            e.relevance_std = Some(std);
            e.exact_score = Some(exact[r]);
            e
        })
        .collect()
}

/// Whether [`explain_inlier_rff_loo`] may serve `rows` of the training data: the feature maps
/// of one draw (`N × H`) and the per-draw results (`trials × rows × (d + 1)`) must stay small,
/// and the rows must be at least half the training data (it embeds all `N` points per call,
/// where the prepared draws cost `N` once and then the rows).
pub fn loo_fits(kde: &Kde, n_features: usize, trials: usize, n_rows: usize) -> bool {
    let (n, d) = kde.points.dim();
    2 * n_rows >= n
        && n.saturating_mul(n_features) <= LOO_MAX_FEATURE_MAPS
        && trials.saturating_mul(n_rows).saturating_mul(d + 1) <= LOO_MAX_RESULTS
}

/// Largest `N × H` of one draw's feature maps held by [`explain_inlier_rff_loo`] (32 MiB per
/// thread).
const LOO_MAX_FEATURE_MAPS: usize = 1 << 22;

/// Largest `trials × rows × (d + 1)` held by [`explain_inlier_rff_loo`] (64 MiB).
const LOO_MAX_RESULTS: usize = 1 << 23;

/// [`explain_inlier_rff`] for training rows explained leave-one-out, drawing the features
/// itself: each draw's feature maps of the `N` training points are computed once and serve
/// both the summed embedding and the rows, half the cosines of drawing first and explaining
/// after. The draws run in parallel (one task per draw) and every number equals that of
/// [`explain_inlier_rff`] with the draws of [`Kde::explainer`] (the same blocks, products and
/// order of sums).
pub fn explain_inlier_rff_loo(
    kde: &Kde,
    n_features: usize,
    trials: usize,
    seed: u64,
    batch: &KdeBatch<'_>,
    rows: &[usize],
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Explanation> {
    let d = kde.n_features();
    let block = batch.tiles().rows;
    let per_draw: Vec<(Vec<f64>, Array2<f64>)> = (0..trials as u64)
        .into_par_iter()
        // one buffer of feature maps per worker, reused across its draws (no fresh pages)
        .map_init(Vec::new, |phi, trial| {
            let (omega, phase) =
                RandomFeatureDraw::frequencies(d, kde.gamma, n_features, seed, trial);
            let layer = FeatureLayer::new(omega.view(), phase.view());
            simd::wide(
                #[inline(always)]
                || loo_draw(&layer, kde, rows, phi),
            )
        })
        .collect();
    let exact: Vec<f64> = batch
        .outlier_scores(kde.points.view(), rows, true)
        .into_iter()
        .map(|o| (-kde.gamma * o).exp())
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for (c, (chunk, exact)) in rows.chunks(block).zip(exact.chunks(block)).enumerate() {
        let (m, first) = (chunk.len(), c * block);
        let mut scores = Array2::<f64>::zeros((trials, m));
        let mut relevance = Array3::<f64>::zeros((trials, m, d));
        for (t, (s, rel)) in per_draw.iter().enumerate() {
            for (r, v) in scores.row_mut(t).iter_mut().enumerate() {
                *v = s[first + r];
            }
            relevance
                .index_axis_mut(Axis(0), t)
                .assign(&rel.slice_axis(Axis(0), Slice::from(first..first + m)));
        }
        out.extend(summarise(chunk, exact, &scores, &relevance));
        progress(m);
    }
    out
}

/// One draw of [`explain_inlier_rff_loo`]: the scores (rows) and relevance (rows × d). `phi`
/// is a buffer for the feature maps of the training points.
#[inline(always)]
fn loo_draw(
    layer: &FeatureLayer,
    kde: &Kde,
    rows: &[usize],
    phi: &mut Vec<f64>,
) -> (Vec<f64>, Array2<f64>) {
    let (n, d) = kde.points.dim();
    let h_count = layer.n_features();
    // the feature maps of every training point and their sum, by the blocks of embedding_sum
    phi.clear();
    phi.reserve(n * h_count);
    let mut total = vec![0.0; h_count];
    let mut partial = vec![0.0; h_count];
    let mut row_map = vec![0.0; h_count];
    let mut x = vec![0.0; d];
    for start in (0..n).step_by(EMBEDDING_BLOCK) {
        partial.fill(0.0);
        for k in start..(start + EMBEDDING_BLOCK).min(n) {
            for (xi, &v) in x.iter_mut().zip(kde.points.row(k)) {
                *xi = v;
            }
            layer.feature_map(&x, &mut row_map);
            add_in_place(&mut partial, &row_map);
            phi.extend_from_slice(&row_map);
        }
        add_in_place(&mut total, &partial);
    }
    let n_minus_one = n.saturating_sub(1) as f64;
    let mut scores = vec![0.0; rows.len()];
    let mut relevance = Array2::<f64>::zeros((rows.len(), d));
    let denominator = h_count as f64 * n_minus_one;
    for ((&row, score), mut rel) in rows.iter().zip(&mut scores).zip(relevance.rows_mut()) {
        let f = &phi[row * h_count..(row + 1) * h_count];
        // h_j (N − 1) = φ_j (S_j − φ_j), the embedding without the row itself
        let embedding = Embedding::SumWithout(&total);
        score_and_relevance(layer, f, embedding, denominator, score, rel.as_slice_mut());
    }
    (scores, relevance)
}
