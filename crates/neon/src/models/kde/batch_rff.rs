//! Batch random-feature inlier explanation (§3.3, Eq. 3): for a block of rows, `X Ωᵀ` by one
//! matrix product, then `h_j = √2 cos(ω_jᵀx + b_j) μ_j`, `î(x) = (1/H) Σ_j h_j`, and the
//! w² rule `R_i = Σ_j (ω_ji² / ‖ω_j‖²) h_j / H` as a second product with the normalised
//! squared frequencies.
//!
//! Both paths sum `H` terms of either sign, and `cos(ω_jᵀx + b_j)` is only as accurate as its
//! argument, so their agreement is measured against the sum's own scale `(1/H) Σ_j |h_j|`
//! times `1 + max_j Σ_i |ω_ji x_i|`: about `1e-12` of it.

use super::algorithm::Kde;
use super::batch::KdeBatch;
use super::random_features::RandomFeatureDraw;
use crate::explain::Explanation;
use crate::kernels::math::{cos_reduced, sum_of, COS_RANGE};
use crate::kernels::rff::{normalised_squares, EMBEDDING_BLOCK};
use crate::kernels::simd;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, Array3, ArrayView2, Axis, Slice};
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
    let squares: Vec<Array2<f64>> = draws
        .iter()
        .map(|draw| normalised_squares(draw.layer.omega.view()))
        .collect();
    let exact: Vec<f64> = batch
        .outlier_scores(points, rows, leave_one_out)
        .into_iter()
        .map(|o| (-kde.gamma * o).exp())
        .collect();
    let block = batch.tiles().rows;
    let explain_block = |(chunk, exact): (&[usize], &[f64])| -> Vec<Explanation> {
        let m = chunk.len();
        let xs = points.select(Axis(0), chunk);
        // per trial: scores (m) and relevance (m × d)
        let mut scores = Array2::<f64>::zeros((draws.len(), m));
        let mut relevance = Array3::<f64>::zeros((draws.len(), m, d));
        // the cosine loops compiled for AVX2 where the CPU has it (same bits)
        simd::wide(
            #[inline(always)]
            || {
                for (t, (draw, w2)) in draws.iter().zip(&squares).enumerate() {
                    let layer = &draw.layer;
                    let h_count = layer.omega.nrows();
                    let mut z = Array2::<f64>::zeros((m, h_count));
                    general_mat_mul(1.0, &xs, &layer.omega.t(), 0.0, &mut z);
                    let n_minus_one = draw.n_points.saturating_sub(1) as f64;
                    let phase = layer.phase.as_slice().unwrap_or(&[]);
                    let mean = layer.mean_embedding.as_slice().unwrap_or(&[]);
                    let sum = draw.embedding_sum.as_slice().unwrap_or(&[]);
                    let mut h = vec![0.0; h_count];
                    for (r, mut zr) in z.axis_iter_mut(Axis(0)).enumerate() {
                        let loo = leave_one_out && chunk[r] < n && draw.n_points > 1;
                        let Some(zs) = zr.as_slice_mut() else {
                            continue; // rows of a fresh standard-layout matrix are contiguous
                        };
                        // φ_j = √2 cos(ω_jᵀx + b_j), vectorised while the arguments are moderate
                        let moderate = zs
                            .iter()
                            .zip(phase)
                            .fold(true, |all, (v, b)| all & ((v + b).abs() <= COS_RANGE));
                        // the branch is hoisted out of the loops so the moderate one vectorises
                        if moderate {
                            for ((v, &b), out) in zs.iter().zip(phase).zip(h.iter_mut()) {
                                *out = std::f64::consts::SQRT_2 * cos_reduced(v + b);
                            }
                        } else {
                            for ((v, &b), out) in zs.iter().zip(phase).zip(h.iter_mut()) {
                                *out = std::f64::consts::SQRT_2 * (v + b).cos();
                            }
                        }
                        if loo {
                            for (out, &s) in h.iter_mut().zip(sum) {
                                *out *= (s - *out) / n_minus_one;
                            }
                        } else {
                            for (out, &mu) in h.iter_mut().zip(mean) {
                                *out *= mu;
                            }
                        }
                        let total = sum_of(&h);
                        for (v, &hj) in zs.iter_mut().zip(&h) {
                            *v = hj / h_count as f64;
                        }
                        scores[[t, r]] = total / h_count as f64;
                    }
                    let mut rel = relevance.index_axis_mut(Axis(0), t);
                    general_mat_mul(1.0, &z, w2, 0.0, &mut rel);
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

/// `√2 cos(z_j + b_j)` in place, through the vectorised cosine while every argument is
/// moderate (the same numbers as the embedding and the blocked path).
#[inline(always)]
fn feature_map_in_place(z: &mut [f64], phase: &[f64]) {
    let moderate = z
        .iter()
        .zip(phase)
        .fold(true, |all, (v, b)| all & ((v + b).abs() <= COS_RANGE));
    if moderate {
        for (v, &b) in z.iter_mut().zip(phase) {
            *v = std::f64::consts::SQRT_2 * cos_reduced(*v + b);
        }
    } else {
        for (v, &b) in z.iter_mut().zip(phase) {
            *v = std::f64::consts::SQRT_2 * (*v + b).cos();
        }
    }
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
        .map(|trial| {
            let (omega, phase) =
                RandomFeatureDraw::frequencies(d, kde.gamma, n_features, seed, trial);
            simd::wide(
                #[inline(always)]
                || loo_draw(kde, &omega, &phase, rows, block),
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

/// One draw of [`explain_inlier_rff_loo`]: the scores (rows) and relevance (rows × d).
#[inline(always)]
fn loo_draw(
    kde: &Kde,
    omega: &Array2<f64>,
    phase: &Array1<f64>,
    rows: &[usize],
    block: usize,
) -> (Vec<f64>, Array2<f64>) {
    let (n, d) = kde.points.dim();
    let h_count = omega.nrows();
    let phase = phase.as_slice().unwrap_or(&[]);
    // the feature maps of every training point and their sum, by the blocks of embedding_sum
    let mut phi = Array2::<f64>::zeros((n, h_count));
    let mut total = Array1::<f64>::zeros(h_count);
    let mut partial = Array1::<f64>::zeros(h_count);
    let mut start = 0;
    while start < n {
        let end = (start + EMBEDDING_BLOCK).min(n);
        let mut z = phi.slice_axis_mut(Axis(0), Slice::from(start..end));
        general_mat_mul(
            1.0,
            &kde.points.slice_axis(Axis(0), Slice::from(start..end)),
            &omega.t(),
            0.0,
            &mut z,
        );
        partial.fill(0.0);
        for mut zr in z.rows_mut() {
            let Some(zs) = zr.as_slice_mut() else {
                continue; // rows of a standard-layout matrix are contiguous
            };
            feature_map_in_place(zs, phase);
            for (p, &f) in partial.iter_mut().zip(zs.iter()) {
                *p += f;
            }
        }
        total += &partial;
        start = end;
    }
    let sum = total.as_slice().unwrap_or(&[]);
    let w2 = normalised_squares(omega.view());
    let n_minus_one = n.saturating_sub(1) as f64;
    let mut scores = vec![0.0; rows.len()];
    let mut relevance = Array2::<f64>::zeros((rows.len(), d));
    let mut z = Array2::<f64>::zeros((block.min(rows.len()), h_count));
    for (c, chunk) in rows.chunks(block).enumerate() {
        let (m, first) = (chunk.len(), c * block);
        let mut zc = z.slice_axis_mut(Axis(0), Slice::from(0..m));
        for (r, &row) in chunk.iter().enumerate() {
            let (Some(out), Some(f)) = (zc.row_mut(r).into_slice(), phi.row(row).to_slice()) else {
                continue; // rows of a standard-layout matrix are contiguous
            };
            // h_j = φ_j (S_j − φ_j) / (N − 1), the embedding without the row itself
            for ((o, &p), &s) in out.iter_mut().zip(f).zip(sum) {
                *o = p * ((s - p) / n_minus_one);
            }
            let row_total = sum_of(out);
            for o in out.iter_mut() {
                *o /= h_count as f64;
            }
            scores[first + r] = row_total / h_count as f64;
        }
        let mut rel = relevance.slice_axis_mut(Axis(0), Slice::from(first..first + m));
        general_mat_mul(1.0, &zc, &w2, 0.0, &mut rel);
    }
    (scores, relevance)
}
