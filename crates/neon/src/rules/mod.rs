//! LRP rules for the neuralized layers, kept apart from the models that use them. Each rule takes
//! the relevance of the layer above and returns the relevance of the layer below together with
//! the part it dissipated, so that `Σ R_below + dissipated = Σ R_above`.

use ndarray::{ArrayView1, ArrayView2};

/// Soft argmin `p_k = exp(−β h_k) / Σ_k' exp(−β h_k')` (§3.1, §4.1), shifted by the minimum
/// so it is stable for any β and any scale of `h`.
pub fn soft_argmin(h: &[f64], beta: f64) -> Vec<f64> {
    let min = h.iter().copied().fold(f64::INFINITY, f64::min);
    let weights: Vec<f64> = h.iter().map(|v| (-beta * (v - min)).exp()).collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|w| w / total).collect()
}

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
    fn squared_weight_rule_follows_weight_directions() {
        let w = array![[3.0, 4.0], [0.0, 0.0]];
        let (r, dissipated) = squared_weight_rule(w.view(), &[25.0, 1.0]);
        assert_eq!(r, vec![9.0, 16.0]);
        assert_eq!(dissipated, 1.0);
    }
}
