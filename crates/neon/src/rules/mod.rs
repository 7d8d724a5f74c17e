//! LRP rules for the neuralized layers, kept apart from the models that use them. Each rule takes
//! the relevance of the layer above and returns the relevance of the layer below together with
//! the part it dissipated, so that `Σ R_below + dissipated = Σ R_above`.

use ndarray::{ArrayView1, ArrayView2};

pub use crate::kernels::math::soft_argmin;

/// Squared-distance rule of §3.1:
/// `R_i = Σ_k [x − u_k]_i² / (ε + ‖x − u_k‖²) · R_k`; the share `ε / (ε + ‖x − u_k‖²)` of each
/// `R_k` is dissipated. `points` lists the rows of `centers` that `relevance` refers to.
pub fn squared_distance_rule(
    x: ArrayView1<f64>,
    centers: ArrayView2<f64>,
    points: impl Iterator<Item = usize>,
    relevance: &[f64],
    epsilon: f64,
) -> (Vec<f64>, f64) {
    let d = x.len();
    let mut out = vec![0.0; d];
    let mut diff = vec![0.0; d];
    let mut dissipated = 0.0;
    for (k, &r_k) in points.zip(relevance) {
        if r_k == 0.0 {
            continue;
        }
        let u = centers.row(k);
        let mut norm = 0.0;
        for i in 0..d {
            diff[i] = (x[i] - u[i]) * (x[i] - u[i]);
            norm += diff[i];
        }
        let denominator = epsilon + norm;
        if denominator > 0.0 {
            let scale = r_k / denominator;
            for i in 0..d {
                out[i] += diff[i] * scale;
            }
            dissipated += epsilon * scale;
        } else {
            dissipated += r_k;
        }
    }
    (out, dissipated)
}

/// Squared-weight (w²) rule of §3.3 and §4.1: `R_i = Σ_k w_ik² / ‖w_k‖² · R_k`, where `weights`
/// has one row `w_k` per neuron. A neuron whose weights are all zero cannot pass relevance on;
/// its relevance is dissipated.
pub fn squared_weight_rule(weights: ArrayView2<f64>, relevance: &[f64]) -> (Vec<f64>, f64) {
    let d = weights.ncols();
    let mut out = vec![0.0; d];
    let mut dissipated = 0.0;
    for (w, &r_k) in weights.rows().into_iter().zip(relevance) {
        let norm: f64 = w.iter().map(|v| v * v).sum();
        if norm > 0.0 {
            let scale = r_k / norm;
            for (o, v) in out.iter_mut().zip(w.iter()) {
                *o += v * v * scale;
            }
        } else {
            dissipated += r_k;
        }
    }
    (out, dissipated)
}

/// Grounded rule for squared distances (Appendix A.1): of `R_k = p_k o(x)` only
/// `R_k^dot = p_k xᵀ(x − u_k)` is propagated, as `R_i = Σ_k p_k x_i (x_i − u_ik) = x_i (x_i − ū_i)`
/// with `ū = Σ_k p_k u_k`; an input with `x_i = 0` receives exactly zero. `points` lists the
/// rows of `centers` that the soft-argmin weights `p` refer to. The caller reports
/// `o(x) − Σ_i R_i` as the non-propagated residual.
pub fn grounded_distance_rule(
    x: ArrayView1<f64>,
    centers: ArrayView2<f64>,
    points: impl Iterator<Item = usize>,
    p: &[f64],
) -> Vec<f64> {
    let mean = weighted_sum(points.map(|k| centers.row(k)), p, x.len());
    x.iter().zip(mean).map(|(x, m)| x * (x - m)).collect()
}

/// `Σ_k p_k v_k` over the rows `v_k` (length `d`), skipping zero weights.
fn weighted_sum<'a>(
    rows: impl Iterator<Item = ArrayView1<'a, f64>>,
    p: &[f64],
    d: usize,
) -> Vec<f64> {
    let mut sum = vec![0.0; d];
    for (v, &p_k) in rows.zip(p) {
        if p_k == 0.0 {
            continue;
        }
        for (s, v) in sum.iter_mut().zip(v) {
            *s += p_k * v;
        }
    }
    sum
}

/// Grounded rule for linear units `h_k = w_kᵀx + b_k` (Appendix A.3): of `R_k = p_k f(x)` only
/// `R_k^dot = p_k xᵀw_k` is propagated, as `R_i = Σ_k p_k x_i w_ik`; the bias and the gap to
/// the pooled value are the residual the caller reports.
pub fn grounded_linear_rule(x: ArrayView1<f64>, weights: ArrayView2<f64>, p: &[f64]) -> Vec<f64> {
    let direction = weighted_sum(weights.rows().into_iter(), p, x.len());
    x.iter().zip(direction).map(|(x, w)| x * w).collect()
}

/// Grounded rule for random Fourier features (Appendix A.2). With `t_j = ω_jᵀx`,
/// `c_j = √2 μ_j / H` and `R_j = h_j / H = R_j^sin + R_j^cos`,
/// `R_j^sin = −sin(t_j) sin(b_j) c_j`, `R_j^cos = cos(t_j) cos(b_j) c_j`:
/// `R_i = Σ_j x_i ω_ij / t_j · R_j^sin + Σ_j x_i ω_ij / (ε_j + t_j) · R_j^cos`,
/// `ε_j = ε · sign(t_j)`; the sine ratio uses `sin(t)/t → 1` at `t = 0`. `projection` holds
/// `t_j`, `mean_embedding` holds `μ_j`.
pub fn grounded_fourier_rule(
    x: ArrayView1<f64>,
    omega: ArrayView2<f64>,
    phase: ArrayView1<f64>,
    projection: ArrayView1<f64>,
    mean_embedding: ArrayView1<f64>,
    epsilon: f64,
) -> Vec<f64> {
    let h = phase.len() as f64;
    let d = x.len();
    let mut direction = vec![0.0; d];
    for (j, w) in omega.rows().into_iter().enumerate() {
        let t = projection[j];
        let c = std::f64::consts::SQRT_2 * mean_embedding[j] / h;
        let sinc = if t.abs() < 1e-12 { 1.0 } else { t.sin() / t };
        let sin_part = -sinc * phase[j].sin() * c;
        let denominator = t + if t >= 0.0 { epsilon } else { -epsilon };
        let cos_part = if denominator == 0.0 {
            0.0
        } else {
            t.cos() * phase[j].cos() * c / denominator
        };
        let coefficient = sin_part + cos_part;
        for (o, v) in direction.iter_mut().zip(w.iter()) {
            *o += v * coefficient;
        }
    }
    (0..d).map(|i| x[i] * direction[i]).collect()
}

/// Midpoint rule for k-means (Kauffmann et al., "From clustering to cluster explanations via
/// neural networks", 2022): the linear unit of competitor `k` is written around the midpoint
/// `m_k = (μ_c + μ_k)/2` of the two centroids, `h_k = Σ_i z_ik` with `z_ik = w_ik (x − m_k)_i`,
/// and `R_i = Σ_k z_ik / (Σ_i' z_i'k + ε_k) · R_k`, `ε_k = ε · sign(h_k)`. Returns the input
/// relevance and the part the ε terms dissipated.
pub fn midpoint_rule(
    x: ArrayView1<f64>,
    weights: ArrayView2<f64>,
    midpoints: ArrayView2<f64>,
    relevance: &[f64],
    epsilon: f64,
) -> (Vec<f64>, f64) {
    let d = x.len();
    let mut out = vec![0.0; d];
    let mut dissipated = 0.0;
    let mut z = vec![0.0; d];
    for ((w, m), &r_k) in weights
        .rows()
        .into_iter()
        .zip(midpoints.rows())
        .zip(relevance)
    {
        let mut total = 0.0;
        for i in 0..d {
            z[i] = w[i] * (x[i] - m[i]);
            total += z[i];
        }
        let denominator = total + if total >= 0.0 { epsilon } else { -epsilon };
        if denominator == 0.0 {
            dissipated += r_k;
            continue;
        }
        let scale = r_k / denominator;
        let mut passed = 0.0;
        for i in 0..d {
            out[i] += z[i] * scale;
            passed += z[i] * scale;
        }
        dissipated += r_k - passed;
    }
    (out, dissipated)
}

/// Uniform rule of §3.2: every one of the `d` features receives `score / d`.
pub fn uniform_rule(score: f64, d: usize) -> Vec<f64> {
    vec![score / d as f64; d]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn soft_argmin_is_a_distribution_and_sharpens_with_beta() {
        let h = [1.0, 2.0, 5.0];
        let p = soft_argmin(&h, 1.0);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(p[0] > p[1] && p[1] > p[2]);
        let hard = soft_argmin(&h, 1e6);
        assert!((hard[0] - 1.0).abs() < 1e-12);
        let flat = soft_argmin(&h, 0.0);
        assert!(flat.iter().all(|v| (v - 1.0 / 3.0).abs() < 1e-15));
        // no overflow for huge distances
        let far = soft_argmin(&[1e300, 2e300], 1.0);
        assert!(far.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn squared_distance_rule_conserves_and_dissipates_coinciding_points() {
        let centers = array![[0.0, 0.0], [1.0, 1.0]];
        let x = array![1.0, 1.0];
        let (r, dissipated) =
            squared_distance_rule(x.view(), centers.view(), 0..2, &[2.0, 3.0], 1e-9);
        // point 0 at distance² 2 splits 2.0 evenly; point 1 coincides with x: dissipated
        assert!((r[0] - 1.0).abs() < 1e-8 && (r[1] - 1.0).abs() < 1e-8);
        assert!((r.iter().sum::<f64>() + dissipated - 5.0).abs() < 1e-12);
        assert!((dissipated - 3.0).abs() < 1e-8);
    }

    #[test]
    fn grounded_rules_give_inactive_inputs_nothing() {
        let centers = array![[1.0, 1.0], [3.0, -1.0]];
        let x = array![0.0, 2.0];
        // ū = 0.25 (1, 1) + 0.75 (3, −1) = (2.5, −0.5); R = (0, 2 · 2.5)
        let r = grounded_distance_rule(x.view(), centers.view(), 0..2, &[0.25, 0.75]);
        assert_eq!(r, vec![0.0, 5.0]);
        let w = array![[1.0, 2.0], [4.0, -1.0]];
        let r = grounded_linear_rule(x.view(), w.view(), &[0.5, 0.5]);
        assert_eq!(r, vec![0.0, 1.0]);
    }

    #[test]
    fn grounded_fourier_rule_conserves_without_epsilon() {
        let x = array![0.3, -1.2, 0.7];
        let omega = array![[0.5, 1.0, -2.0], [1.5, 0.2, 0.1], [-0.7, 0.4, 0.9]];
        let phase = array![0.3, 2.0, 4.5];
        let mu = array![0.4, -0.2, 0.9];
        let t = omega.dot(&x);
        let r = grounded_fourier_rule(
            x.view(),
            omega.view(),
            phase.view(),
            t.view(),
            mu.view(),
            0.0,
        );
        let score: f64 = (0..3)
            .map(|j| std::f64::consts::SQRT_2 * (t[j] + phase[j]).cos() * mu[j])
            .sum::<f64>()
            / 3.0;
        assert!((r.iter().sum::<f64>() - score).abs() < 1e-12);
        // an inactive input gets nothing
        let x0 = array![0.0, -1.2, 0.7];
        let t0 = omega.dot(&x0);
        let r0 = grounded_fourier_rule(
            x0.view(),
            omega.view(),
            phase.view(),
            t0.view(),
            mu.view(),
            1e-9,
        );
        assert_eq!(r0[0], 0.0);
    }

    #[test]
    fn midpoint_rule_conserves_and_splits_along_the_centroid_difference() {
        // μ_c = (0, 0), μ_k = (2, 0): w = 2(μ_c − μ_k) = (−4, 0), m = (1, 0)
        let w = array![[-4.0, 0.0]];
        let m = array![[1.0, 0.0]];
        let x = array![-0.5, 3.0];
        let (r, dissipated) = midpoint_rule(x.view(), w.view(), m.view(), &[2.0], 1e-9);
        assert!((r[0] + dissipated - 2.0).abs() < 1e-15);
        assert_eq!(r[1], 0.0);
        assert!(dissipated.abs() < 1e-9);
    }

    #[test]
    fn squared_weight_rule_follows_weight_directions() {
        let w = array![[3.0, 4.0], [0.0, 0.0]];
        let (r, dissipated) = squared_weight_rule(w.view(), &[25.0, 1.0]);
        assert_eq!(r, vec![9.0, 16.0]);
        assert_eq!(dissipated, 1.0);
    }
}
