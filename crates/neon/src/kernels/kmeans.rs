//! k-means through the blocked distance kernel: k-means++ seeding and Lloyd iterations (§4).
//!
//! Fitting works on data centred at its mean (distances do not change; the expansion
//! `‖x‖² + ‖μ‖² − 2xᵀμ` loses fewer digits), cuts the rows into blocks of [`Tiles::rows`],
//! and reduces the per-block sums in block order, so a seed gives the same centroids for any
//! number of threads.

use super::compute::Tiles;
use super::distance::{nearest_rows, squared_distances_into, squared_norms};
use super::math::squared_distance;
use ndarray::{Array1, Array2, ArrayView2, Axis, Slice};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

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
