//! Batch cluster evidence and explanation (Eq. 5, §4.1).
//!
//! The batch cluster explanation computes the network of §4.1 (`h_k = w_kᵀx + b_k`) by a
//! matrix product instead of one dot product per competitor; the assignment uses the direct
//! squared distances as the per-point path. Both evaluate the same difference of squared
//! distances, so they agree to about `1e-12` of `|f_c(x)| + Σ_i |R_i| + ‖x‖²` (the scale of
//! the terms that cancel near a cluster boundary).

use super::algorithm::KMeans;
use crate::explain::Explanation;
use crate::kernels::math::soft_argmin;
use crate::kernels::Tiles;
use crate::network::Linear;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

/// The network of one cluster `c` (§4.1) with the normalised squared weights of the w² rule.
struct ClusterNet {
    layer: Linear,
    /// `w_ki² / ‖w_k‖²` per competitor (zero rows for coinciding centroids).
    squares: Array2<f64>,
    /// Competitors whose weight vector is zero (their relevance is dissipated).
    degenerate: Vec<bool>,
}

fn cluster_nets(model: &KMeans) -> Vec<ClusterNet> {
    (0..model.n_clusters())
        .map(|c| {
            let (layer, _) = model.cluster_layer(c);
            let mut squares = layer.weights.mapv(|v| v * v);
            let mut degenerate = Vec::with_capacity(squares.nrows());
            for mut row in squares.axis_iter_mut(Axis(0)) {
                let norm: f64 = row.sum();
                degenerate.push(norm <= 0.0);
                if norm > 0.0 {
                    row.mapv_inplace(|v| v / norm);
                }
            }
            ClusterNet {
                layer,
                squares,
                degenerate,
            }
        })
        .collect()
}

/// Cluster explanations (§4.1) of `rows` of `points` in order: nearest centroid `c`,
/// `f_c(x)`, soft argmin with stiffness `beta` over the competitors, then the w² rule. Rows of
/// a block that share a cluster go through two matrix products (`X W_cᵀ + b`, then `R_k` times
/// the normalised squared weights).
pub fn explain_clusters(
    model: &KMeans,
    beta: f64,
    points: ArrayView2<f64>,
    rows: &[usize],
    tiles: Tiles,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Explanation> {
    let nets = cluster_nets(model);
    let d = model.n_features();
    rows.par_chunks(tiles.rows.max(1))
        .flat_map_iter(|chunk| {
            let labels: Vec<usize> = chunk
                .iter()
                .map(|&r| model.predict(points.row(r)))
                .collect();
            let mut out: Vec<Option<Explanation>> = vec![None; chunk.len()];
            for (c, net) in nets.iter().enumerate() {
                let members: Vec<usize> = (0..chunk.len()).filter(|&i| labels[i] == c).collect();
                if members.is_empty() {
                    continue;
                }
                let source: Vec<usize> = members.iter().map(|&i| chunk[i]).collect();
                let xs = points.select(Axis(0), &source);
                let competitors = net.layer.weights.nrows();
                let mut h = Array2::<f64>::zeros((members.len(), competitors));
                general_mat_mul(1.0, &xs, &net.layer.weights.t(), 0.0, &mut h);
                let mut r_k = Array2::<f64>::zeros((members.len(), competitors));
                let mut scores = Vec::with_capacity(members.len());
                let mut dissipated = vec![0.0; members.len()];
                for (m, mut hr) in h.axis_iter_mut(Axis(0)).enumerate() {
                    hr += &net.layer.bias;
                    let hv = hr.to_vec();
                    let score = hv.iter().copied().fold(f64::INFINITY, f64::min);
                    for (k, p) in soft_argmin(&hv, beta).into_iter().enumerate() {
                        if net.degenerate[k] {
                            dissipated[m] += p * score;
                        } else {
                            r_k[[m, k]] = p * score;
                        }
                    }
                    scores.push(score);
                }
                let mut relevance = Array2::<f64>::zeros((members.len(), d));
                general_mat_mul(1.0, &r_k, &net.squares, 0.0, &mut relevance);
                for (m, &i) in members.iter().enumerate() {
                    let mut e = Explanation::new(
                        chunk[i],
                        scores[m],
                        relevance.row(m).to_vec(),
                        dissipated[m],
                    );
                    e.cluster = Some(c);
                    out[i] = Some(e);
                }
            }
            progress(chunk.len());
            out.into_iter().flatten()
        })
        .collect()
}
