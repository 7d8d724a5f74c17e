//! The dual of the ν-one-class SVM, solved by sequential minimal optimisation with LIBSVM's
//! second-order working-set selection (Fan, Chen, Lin, JMLR 2005):
//!
//! `min_α ½ αᵀQα  s.t.  0 ≤ α_i ≤ 1,  Σ_i α_i = ν n`,  `Q_ij = exp(−γ‖x_i − x_j‖²)`,
//!
//! with decision function `f(x) = Σ_i α_i k(x_i, x) − ρ`. The same scaling as LIBSVM and
//! scikit-learn (`dual_coef_` = α, `intercept_` = −ρ). Serial and deterministic.

use crate::error::Result;
use crate::kernels::math::squared_distance;
use crate::options::check_memory;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// Smallest curvature used for a pair (LIBSVM's `TAU`).
const TAU: f64 = 1e-12;

/// The solution of the dual.
#[derive(Debug, Clone)]
pub(crate) struct DualSolution {
    /// α_i for every training point (most are 0).
    pub alpha: Vec<f64>,
    /// The offset ρ.
    pub rho: f64,
    /// Pair updates made.
    pub iterations: usize,
    /// Whether the largest KKT violation fell below the tolerance.
    pub converged: bool,
}

/// The kernel matrix `Q` (n × n), rows computed in parallel (each entry by the same formula
/// whatever the thread count).
fn kernel_matrix(points: ArrayView2<f64>, gamma: f64) -> Result<Array2<f64>> {
    let n = points.nrows();
    check_memory(
        "the one-class SVM's kernel matrix (n² × 8 bytes)",
        (n as f64) * (n as f64) * 8.0,
        "fit on a sample of the rows",
    )?;
    let mut q = Array2::zeros((n, n));
    q.axis_iter_mut(ndarray::Axis(0))
        .into_par_iter()
        .enumerate()
        .for_each(|(i, mut row)| {
            let xi = points.row(i);
            for (j, v) in row.iter_mut().enumerate() {
                *v = (-gamma * squared_distance(xi, points.row(j))).exp();
            }
        });
    Ok(q)
}

/// Solve the dual for `points` with ν, γ, tolerance `tol` and at most `max_iter` pair updates.
pub(crate) fn solve(
    points: ArrayView2<f64>,
    nu: f64,
    gamma: f64,
    tol: f64,
    max_iter: usize,
) -> Result<DualSolution> {
    let n = points.nrows();
    let q = kernel_matrix(points, gamma)?;
    // LIBSVM's start: the first ⌊νn⌋ coefficients at the bound 1, the next one the remainder
    let total = nu * n as f64;
    let mut alpha = vec![0.0; n];
    let full = (total.floor() as usize).min(n);
    for a in alpha.iter_mut().take(full) {
        *a = 1.0;
    }
    if full < n {
        alpha[full] = total - full as f64;
    }
    // gradient G = Qα
    let mut grad: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| {
            let row = q.row(i);
            alpha
                .iter()
                .zip(row.iter())
                .filter(|(a, _)| **a != 0.0)
                .map(|(a, k)| a * k)
                .sum()
        })
        .collect();
    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iter {
        // i: the most violating index that can grow; j: the second-order choice that can shrink
        let mut g_max = f64::NEG_INFINITY;
        let mut i = usize::MAX;
        for t in 0..n {
            if alpha[t] < 1.0 && -grad[t] >= g_max {
                g_max = -grad[t];
                i = t;
            }
        }
        let mut g_max2 = f64::NEG_INFINITY;
        let mut j = usize::MAX;
        let mut best = f64::INFINITY;
        for t in 0..n {
            if alpha[t] <= 0.0 {
                continue;
            }
            g_max2 = g_max2.max(grad[t]);
            if i == usize::MAX {
                continue;
            }
            let diff = g_max + grad[t];
            if diff > 0.0 {
                let curvature = (q[[i, i]] + q[[t, t]] - 2.0 * q[[i, t]]).max(TAU);
                let gain = -diff * diff / curvature;
                if gain <= best {
                    best = gain;
                    j = t;
                }
            }
        }
        if g_max + g_max2 < tol || i == usize::MAX || j == usize::MAX {
            converged = true;
            break;
        }
        iterations += 1;
        // move along α_i + α_j = const, clipped to the box [0, 1]²
        let curvature = (q[[i, i]] + q[[j, j]] - 2.0 * q[[i, j]]).max(TAU);
        let delta = (grad[i] - grad[j]) / curvature;
        let sum = alpha[i] + alpha[j];
        let (old_i, old_j) = (alpha[i], alpha[j]);
        let mut new_i = old_i - delta;
        let mut new_j = old_j + delta;
        if sum > 1.0 {
            if new_i > 1.0 {
                new_i = 1.0;
                new_j = sum - 1.0;
            }
            if new_j > 1.0 {
                new_j = 1.0;
                new_i = sum - 1.0;
            }
        } else {
            if new_j < 0.0 {
                new_j = 0.0;
                new_i = sum;
            }
            if new_i < 0.0 {
                new_i = 0.0;
                new_j = sum;
            }
        }
        new_i = new_i.clamp(0.0, 1.0);
        new_j = new_j.clamp(0.0, 1.0);
        alpha[i] = new_i;
        alpha[j] = new_j;
        let (di, dj) = (new_i - old_i, new_j - old_j);
        let (qi, qj) = (q.row(i), q.row(j));
        for t in 0..n {
            grad[t] += qi[t] * di + qj[t] * dj;
        }
    }
    Ok(DualSolution {
        rho: offset(&alpha, &grad),
        alpha,
        iterations,
        converged,
    })
}

/// ρ: the mean gradient over the free coefficients (0 < α < 1), or the middle of the interval
/// the bounded ones leave (LIBSVM's `calculate_rho` for labels +1).
fn offset(alpha: &[f64], grad: &[f64]) -> f64 {
    let (mut upper, mut lower) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut free, mut sum) = (0usize, 0.0);
    for (&a, &g) in alpha.iter().zip(grad) {
        if a >= 1.0 {
            lower = lower.max(g);
        } else if a <= 0.0 {
            upper = upper.min(g);
        } else {
            free += 1;
            sum += g;
        }
    }
    if free > 0 {
        sum / free as f64
    } else {
        (upper + lower) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn two_points_share_the_mass_equally_and_rho_is_the_kernel_sum() {
        // symmetric problem: α = (ν, ν) for ν·2 ≤ 2, ρ = α₁ k(x₁, x₁) + α₂ k(x₁, x₂)
        let x = array![[0.0], [1.0]];
        let s = solve(x.view(), 0.5, 1.0, 1e-12, 1000).expect("solve");
        assert!((s.alpha[0] - 0.5).abs() < 1e-12 && (s.alpha[1] - 0.5).abs() < 1e-12);
        let expected = 0.5 * 1.0 + 0.5 * (-1.0f64).exp();
        assert!((s.rho - expected).abs() < 1e-12, "{}", s.rho);
        assert!(s.converged);
    }

    #[test]
    fn the_constraints_hold_and_the_kkt_conditions_are_met() {
        let x = array![
            [0.0, 0.0],
            [0.1, 0.2],
            [-0.2, 0.1],
            [0.3, -0.1],
            [2.0, 2.0],
            [0.05, -0.3],
            [-0.4, -0.2],
            [1.0, 0.5]
        ];
        let nu = 0.3;
        let s = solve(x.view(), nu, 0.7, 1e-9, 100_000).expect("solve");
        let total: f64 = s.alpha.iter().sum();
        assert!((total - nu * 8.0).abs() < 1e-12);
        assert!(s.alpha.iter().all(|a| (0.0..=1.0).contains(a)));
        // f(x_i) = Σ α_j k_ij − ρ: ≥ 0 where α_i = 0, ≤ 0 where α_i = 1, 0 where free
        for i in 0..8 {
            let f: f64 = (0..8)
                .map(|j| s.alpha[j] * (-0.7 * squared_distance(x.row(i), x.row(j))).exp())
                .sum::<f64>()
                - s.rho;
            let a = s.alpha[i];
            if a <= 0.0 {
                assert!(f >= -1e-8, "{i}: {f}");
            } else if a >= 1.0 {
                assert!(f <= 1e-8, "{i}: {f}");
            } else {
                assert!(f.abs() <= 1e-8, "{i}: {f}");
            }
        }
    }
}
