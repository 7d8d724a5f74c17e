//! Batch random-feature inlier explanation (§3.3, Eq. 3): for a block of rows, `X Ωᵀ` by one
//! matrix product, then `h_j = √2 cos(ω_jᵀx + b_j) μ_j`, `î(x) = (1/H) Σ_j h_j`, and the
//! w² rule `R_i = Σ_j (ω_ji² / ‖ω_j‖²) h_j / H` as a second product with the normalised
//! squared frequencies.
//!
//! Both paths sum `H` terms of either sign, and `cos(ω_jᵀx + b_j)` is only as accurate as its
//! argument, so their agreement is measured against the sum's own scale `(1/H) Σ_j |h_j|`
//! times `1 + max_j Σ_i |ω_ji x_i|`: about `1e-12` of it.

use super::KdeBatch;
use crate::explain::Explanation;
use crate::models::kde::RandomFeatureDraw;
use crate::models::Kde;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Slice};
use rayon::prelude::*;

/// `ω_ji² / ‖ω_j‖²` (H × d); rows with `ω_j = 0` are zero (their relevance is not passed on,
/// as in the per-point path).
fn normalised_squares(omega: ArrayView2<f64>) -> Array2<f64> {
    let mut out = omega.mapv(|v| v * v);
    for mut row in out.axis_iter_mut(Axis(0)) {
        let norm: f64 = row.sum();
        if norm > 0.0 {
            row.mapv_inplace(|v| v / norm);
        } else {
            row.fill(0.0);
        }
    }
    out
}

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

/// `Σ_k √2 cos(ω_jᵀu_k + b_j)` over the rows `u_k` of `points`: `N` times the mean embedding
/// `μ_j` of §3.3. Rows go in blocks of [`EMBEDDING_BLOCK`] (one `B × H` product each, so memory
/// stays `B × H` per thread whatever `N`), in parallel; block sums are added in block order.
pub fn embedding_sum(
    points: ArrayView2<f64>,
    omega: ArrayView2<f64>,
    phase: ArrayView1<f64>,
) -> Array1<f64> {
    let h_count = omega.nrows();
    let starts: Vec<usize> = (0..points.nrows()).step_by(EMBEDDING_BLOCK).collect();
    let partial: Vec<Array1<f64>> = starts
        .par_iter()
        .map(|&start| {
            let end = (start + EMBEDDING_BLOCK).min(points.nrows());
            let rows = points.slice_axis(Axis(0), Slice::from(start..end));
            let mut z = Array2::<f64>::zeros((end - start, h_count));
            general_mat_mul(1.0, &rows, &omega.t(), 0.0, &mut z);
            let mut sum = vec![0.0; h_count];
            let mut row = vec![0.0; h_count];
            let phase = phase.as_slice().unwrap_or(&[]);
            for zr in z.rows() {
                let zs = zr.as_slice().unwrap_or(&[]);
                let moderate = zs
                    .iter()
                    .zip(phase)
                    .all(|(v, b)| (v + b).abs() <= COS_RANGE);
                for ((out, &v), &b) in row.iter_mut().zip(zs).zip(phase) {
                    *out = if moderate {
                        cos_reduced(v + b)
                    } else {
                        (v + b).cos()
                    };
                }
                for (s, &c) in sum.iter_mut().zip(&row) {
                    *s += std::f64::consts::SQRT_2 * c;
                }
            }
            Array1::from(sum)
        })
        .collect();
    let mut total = Array1::<f64>::zeros(h_count);
    for p in &partial {
        total += p;
    }
    total
}

/// Rows per block of [`embedding_sum`].
pub const EMBEDDING_BLOCK: usize = 256;

/// `cos x` within a few units of `10⁻¹⁶` (absolute) of the C library's `cos`, branch-free for
/// `|x| ≤ 10⁵` so the loop over a row's features vectorises; larger arguments go to the C
/// library. `x = q π/2 + r` with π/2 in three parts (Cody–Waite, exact products for
/// `|q| < 2¹⁷`), then Taylor polynomials of `sin r` and `cos r` on `|r| ≤ π/4`.
#[inline]
pub fn cos(x: f64) -> f64 {
    if x.abs() <= COS_RANGE {
        cos_reduced(x)
    } else {
        x.cos()
    }
}

/// Largest `|x|` for which [`cos_reduced`] is accurate.
pub const COS_RANGE: f64 = 1e5;

/// [`cos`] without the range check: only for `|x| ≤` [`COS_RANGE`].
#[inline]
pub fn cos_reduced(x: f64) -> f64 {
    // π/2 = P1 + P2 + P3 (fdlibm's pio2_1, pio2_2, pio2_2t)
    let p1 = f64::from_bits(0x3ff9_21fb_5440_0000);
    let p2 = f64::from_bits(0x3dd0_b461_1a60_0000);
    let p3 = f64::from_bits(0x3ba3_198a_2e03_7073);
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let t = x * std::f64::consts::FRAC_2_PI + SHIFTER;
    let q = t - SHIFTER;
    let r = ((x - q * p1) - q * p2) - q * p3;
    let r2 = r * r;
    // sin r = r (1 − r²/3! + r⁴/5! − …), cos r = 1 − r²/2! + r⁴/4! − …
    let mut sin = -1.0 / 355_687_428_096_000.0; // −1/17!
    for c in [
        1.0 / 1_307_674_368_000.0,
        -1.0 / 6_227_020_800.0,
        1.0 / 39_916_800.0,
        -1.0 / 362_880.0,
        1.0 / 5_040.0,
        -1.0 / 120.0,
        1.0 / 6.0,
    ] {
        sin = sin * r2 + c;
    }
    let sin = r - r * r2 * sin;
    let mut cos = 1.0 / 6_402_373_705_728_000.0; // 1/18!
    for c in [
        -1.0 / 20_922_789_888_000.0,
        1.0 / 87_178_291_200.0,
        -1.0 / 479_001_600.0,
        1.0 / 3_628_800.0,
        -1.0 / 40_320.0,
        1.0 / 720.0,
        -1.0 / 24.0,
        0.5,
    ] {
        cos = cos * r2 + c;
    }
    let cos = 1.0 - r2 * cos;
    let quadrant = t.to_bits().wrapping_sub(SHIFTER.to_bits()) & 3;
    let value = if quadrant & 1 == 0 { cos } else { sin };
    if (quadrant + 1) & 2 != 0 {
        -value
    } else {
        value
    }
}

#[cfg(test)]
mod cos_tests {
    use super::cos;

    #[test]
    fn fast_cos_matches_libm() {
        let mut x = -2e5;
        let mut worst: f64 = 0.0;
        while x < 2e5 {
            for v in [x, x * 1e-4, x * 1e-5 + 0.3] {
                worst = worst.max((cos(v) - v.cos()).abs());
            }
            x += 12.345_678_9;
        }
        assert!(worst <= 4.0 * f64::EPSILON, "worst {worst:e}");
        assert_eq!(cos(0.0), 1.0);
        assert!(cos(f64::NAN).is_nan());
    }
}
