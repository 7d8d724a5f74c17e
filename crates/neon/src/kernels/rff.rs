//! Random Fourier features (§3.3, Eq. 3) on arrays: the summed embedding of many rows and
//! the normalised squared frequencies of the w² rule.

use super::math::{cos_reduced, COS_RANGE};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Slice};
use rayon::prelude::*;

/// `ω_ji² / ‖ω_j‖²` (H × d); rows with `ω_j = 0` are zero (their relevance is not passed on,
/// as in the per-point path).
pub fn normalised_squares(omega: ArrayView2<f64>) -> Array2<f64> {
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
            // compiled for AVX2 where the CPU has it (same bits)
            super::simd::wide(
                #[inline(always)]
                || {
                    for zr in z.rows() {
                        let zs = zr.as_slice().unwrap_or(&[]);
                        let moderate = zs
                            .iter()
                            .zip(phase)
                            .fold(true, |all, (v, b)| all & ((v + b).abs() <= COS_RANGE));
                        if moderate {
                            for ((out, &v), &b) in row.iter_mut().zip(zs).zip(phase) {
                                *out = cos_reduced(v + b);
                            }
                        } else {
                            for ((out, &v), &b) in row.iter_mut().zip(zs).zip(phase) {
                                *out = (v + b).cos();
                            }
                        }
                        for (s, &c) in sum.iter_mut().zip(&row) {
                            *s += std::f64::consts::SQRT_2 * c;
                        }
                    }
                },
            );
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
