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
use crate::kernels::math::{cos_reduced, COS_RANGE};
use crate::kernels::rff::normalised_squares;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, Axis};
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
    rows.par_chunks(block)
        .zip(exact.par_chunks(block))
        .flat_map_iter(|(chunk, exact)| {
            let m = chunk.len();
            let xs = points.select(Axis(0), chunk);
            // per trial: scores (m) and relevance (m × d)
            let mut scores = Array2::<f64>::zeros((draws.len(), m));
            let mut relevance = ndarray::Array3::<f64>::zeros((draws.len(), m, d));
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
                        .all(|(v, b)| (v + b).abs() <= COS_RANGE);
                    for ((v, &b), out) in zs.iter().zip(phase).zip(h.iter_mut()) {
                        let a = v + b;
                        *out = std::f64::consts::SQRT_2
                            * if moderate { cos_reduced(a) } else { a.cos() };
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
                    let total: f64 = h.iter().sum();
                    for (v, &hj) in zs.iter_mut().zip(&h) {
                        *v = hj / h_count as f64;
                    }
                    scores[[t, r]] = total / h_count as f64;
                }
                let mut rel = relevance.index_axis_mut(Axis(0), t);
                general_mat_mul(1.0, &z, w2, 0.0, &mut rel);
            }
            let trials = draws.len() as f64;
            let out: Vec<Explanation> = (0..m)
                .map(|r| {
                    let score = scores.column(r).sum() / trials;
                    let mean: Vec<f64> = (0..d)
                        .map(|i| relevance.index_axis(Axis(1), r).column(i).sum() / trials)
                        .collect();
                    let std: Vec<f64> = (0..d)
                        .map(|i| {
                            if draws.len() < 2 {
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
                .collect();
            progress(m);
            out.into_iter()
        })
        .collect()
}
