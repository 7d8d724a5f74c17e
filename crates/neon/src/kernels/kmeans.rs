//! k-means through the blocked distance kernel: batch cluster evidence and explanation
//! (Eq. 5, §4.1), k-means++ seeding and Lloyd iterations (§4).
//!
//! Fitting works on data centred at its mean (distances do not change; the expansion
//! `‖x‖² + ‖μ‖² − 2xᵀμ` loses fewer digits), cuts the rows into blocks of [`Tiles::rows`],
//! and reduces the per-block sums in block order, so a seed gives the same centroids for any
//! number of threads.
//!
//! The batch cluster explanation computes the network of §4.1 (`h_k = w_kᵀx + b_k`) by a
//! matrix product instead of one dot product per competitor; the assignment uses the direct
//! squared distances as the per-point path. Both evaluate the same difference of squared
//! distances, so they agree to about `1e-12` of `|f_c(x)| + Σ_i |R_i| + ‖x‖²` (the scale of
//! the terms that cancel near a cluster boundary).

use super::distance::{nearest_rows, squared_distances_into, squared_norms};
use super::Tiles;
use crate::explain::Explanation;
use crate::models::KMeans;
use crate::network::{squared_distance, Linear};
use crate::rules::soft_argmin;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, Axis, Slice};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
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

/// Sum `values` in blocks of `block` (each summed in order), then the block sums in order:
/// the same number for any number of threads.
fn blocked_sum(values: &[f64], block: usize) -> f64 {
    let partial: Vec<f64> = values
        .par_chunks(block.max(1))
        .map(|c| c.iter().sum::<f64>())
        .collect();
    partial.iter().sum()
}

/// Greedy k-means++ seeding (Arthur & Vassilvitskii, with `2 + ⌊ln K⌋` candidates per centre
/// as scikit-learn) on centred data `x` with squared norms `x_norms`; distances to the
/// candidates go through the blocked kernel. Returns the `k` centres.
pub fn kmeans_plus_plus(
    x: ArrayView2<f64>,
    x_norms: &Array1<f64>,
    k: usize,
    rng: &mut ChaCha8Rng,
    tiles: Tiles,
) -> Array2<f64> {
    let n = x.nrows();
    let block = tiles.rows.max(1);
    let n_trials = 2 + (k as f64).ln().floor() as usize;
    let mut centers = Array2::zeros((k, x.ncols()));
    let first = rng.gen_range(0..n);
    centers.row_mut(0).assign(&x.row(first));
    let distances_to = |candidates: &[usize], closest: &[f64]| -> Vec<Vec<f64>> {
        // for each candidate: min(closest, ‖x − x_cand‖²) over all rows
        let cand = x.select(Axis(0), candidates);
        let cand_norms = squared_norms(cand.view());
        let per_block: Vec<Vec<Vec<f64>>> = closest
            .par_chunks(block)
            .enumerate()
            .map(|(b, old)| {
                let start = b * block;
                let rows = start..start + old.len();
                let mut tile = Array2::zeros((old.len(), candidates.len()));
                squared_distances_into(
                    x.slice_axis(Axis(0), Slice::from(rows.clone())),
                    x_norms.slice_axis(Axis(0), Slice::from(rows)),
                    cand.view(),
                    cand_norms.view(),
                    tile.view_mut(),
                );
                (0..candidates.len())
                    .map(|t| {
                        old.iter()
                            .zip(tile.column(t))
                            .map(|(&o, &v)| o.min(v))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        (0..candidates.len())
            .map(|t| {
                per_block
                    .iter()
                    .flat_map(|b| b[t].iter().copied())
                    .collect()
            })
            .collect()
    };
    let mut closest = distances_to(&[first], &vec![f64::INFINITY; n])
        .pop()
        .unwrap_or_default();
    for c in 1..k {
        let potential = blocked_sum(&closest, block);
        let candidates: Vec<usize> = (0..n_trials)
            .map(|_| {
                if potential > 0.0 {
                    let target = rng.gen::<f64>() * potential;
                    let mut acc = 0.0;
                    let mut pick = n - 1;
                    for (i, v) in closest.iter().enumerate() {
                        acc += v;
                        if acc > target {
                            pick = i;
                            break;
                        }
                    }
                    pick
                } else {
                    rng.gen_range(0..n)
                }
            })
            .collect();
        let updated = distances_to(&candidates, &closest);
        let mut best = 0;
        let mut best_total = f64::INFINITY;
        for (t, u) in updated.iter().enumerate() {
            let total = blocked_sum(u, block);
            if total < best_total {
                best = t;
                best_total = total;
            }
        }
        centers.row_mut(c).assign(&x.row(candidates[best]));
        if let Some(u) = updated.into_iter().nth(best) {
            closest = u;
        }
    }
    centers
}

/// Lloyd iterations from `centers` on centred data `x` (squared norms `x_norms`); returns
/// (centroids, inertia, iterations). A run stops when the squared centroid shift is at most
/// `tol × mean feature variance` (as scikit-learn). Empty clusters
/// are re-seeded with the point farthest from its centroid.
pub fn lloyd(
    x: ArrayView2<f64>,
    x_norms: &Array1<f64>,
    mut centers: Array2<f64>,
    max_iter: usize,
    tol: f64,
    tiles: Tiles,
) -> (Array2<f64>, f64, usize) {
    let (n, d) = x.dim();
    let k = centers.nrows();
    let block = tiles.rows.max(1);
    let variance_mean = x.var_axis(Axis(0), 0.0).mean().unwrap_or(0.0);
    let tol_abs = tol * variance_mean;
    let mut iterations = 0;
    for iter in 1..=max_iter {
        iterations = iter;
        let (labels, distances) = nearest_rows(x, x_norms.view(), centers.view(), tiles);
        // per-block sums, reduced in block order
        let partial: Vec<(Array2<f64>, Vec<usize>)> = labels
            .par_chunks(block)
            .enumerate()
            .map(|(b, labels)| {
                let start = b * block;
                let mut sums = Array2::<f64>::zeros((k, d));
                let mut counts = vec![0usize; k];
                for (i, &label) in labels.iter().enumerate() {
                    let mut row = sums.row_mut(label);
                    row += &x.row(start + i);
                    counts[label] += 1;
                }
                (sums, counts)
            })
            .collect();
        let mut sums = Array2::<f64>::zeros((k, d));
        let mut counts = vec![0usize; k];
        for (s, c) in &partial {
            sums += s;
            for (a, b) in counts.iter_mut().zip(c) {
                *a += b;
            }
        }
        let mut taken: Vec<usize> = Vec::new();
        for (c, count) in counts.iter_mut().enumerate() {
            if *count == 0 {
                let far = (0..n)
                    .filter(|i| !taken.contains(i))
                    .max_by(|&a, &b| distances[a].total_cmp(&distances[b]).then(b.cmp(&a)))
                    .unwrap_or(0);
                taken.push(far);
                sums.row_mut(c).assign(&x.row(far));
                *count = 1;
            }
        }
        let mut shift = 0.0;
        for (c, &count) in counts.iter().enumerate() {
            let new_center = sums.row(c).mapv(|v| v / count as f64);
            shift += squared_distance(new_center.view(), centers.row(c));
            centers.row_mut(c).assign(&new_center);
        }
        if shift <= tol_abs {
            break;
        }
    }
    let (_, distances) = nearest_rows(x, x_norms.view(), centers.view(), tiles);
    let inertia = blocked_sum(&distances, block);
    (centers, inertia, iterations)
}
