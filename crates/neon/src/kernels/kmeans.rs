//! k-means through the blocked distance kernel: k-means++ seeding and Lloyd iterations (§4).
//!
//! Fitting works on data centred at its mean (distances do not change; the expansion
//! `‖x‖² + ‖μ‖² − 2xᵀμ` loses fewer digits), cuts the rows into blocks of [`Tiles::rows`],
//! and reduces the per-block sums in block order, so a seed gives the same centroids for any
//! number of threads.

use super::compute::Tiles;
use super::distance::{nearest_rows, PackedCentres};
use super::math::squared_distance;
use super::simd;
use ndarray::{Array1, Array2, ArrayView2, Axis};
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
/// candidates go through [`PackedCentres`]. Returns the `k` centres.
pub fn kmeans_plus_plus(
    x: ArrayView2<f64>,
    x_norms: &Array1<f64>,
    k: usize,
    rng: &mut ChaCha8Rng,
    tiles: Tiles,
) -> Array2<f64> {
    let n = x.nrows();
    let d = x.ncols();
    let block = tiles.rows.max(1);
    let n_trials = 2 + (k as f64).ln().floor() as usize;
    let mut centers = Array2::zeros((k, d));
    let standard = x.as_standard_layout();
    let values = standard.as_slice().unwrap_or(&[]);
    let norms = x_norms.to_vec();
    let first = rng.gen_range(0..n);
    centers.row_mut(0).assign(&x.row(first));
    // for each candidate t: min(closest, ‖x − x_t‖²) over all rows, laid out row-major
    // (n × candidates), with the per-block sums of each candidate's column
    let distances_to = |candidates: &[usize], closest: &[f64]| -> (Vec<f64>, Vec<f64>) {
        let t = candidates.len();
        let packed = PackedCentres::new(x.select(Axis(0), candidates).view());
        let mut updated = vec![0.0; n * t];
        let block_sums: Vec<Vec<f64>> = updated
            .par_chunks_mut(block * t)
            .zip(closest.par_chunks(block))
            .enumerate()
            .map(|(b, (out, old))| {
                let start = b * block;
                let mut dots = vec![0.0; old.len() * packed.stride()];
                simd::wide(
                    #[inline(always)]
                    || {
                        packed.dots(&values[start * d..(start + old.len()) * d], &mut dots);
                        for (r, (row, &o)) in
                            dots.chunks_exact(packed.stride()).zip(old).enumerate()
                        {
                            for c in 0..t {
                                out[r * t + c] =
                                    o.min(packed.distance(row[c], norms[start + r], c));
                            }
                        }
                    },
                );
                // each candidate's column of this block, summed in row order
                (0..t)
                    .map(|c| out.iter().skip(c).step_by(t).sum::<f64>())
                    .collect()
            })
            .collect();
        let totals = (0..t)
            .map(|c| block_sums.iter().map(|s| s[c]).sum::<f64>())
            .collect();
        (updated, totals)
    };
    let column = |updated: &[f64], t: usize, c: usize| -> Vec<f64> {
        updated.iter().skip(c).step_by(t).copied().collect()
    };
    let mut closest = {
        let (updated, _) = distances_to(&[first], &vec![f64::INFINITY; n]);
        updated
    };
    let mut potential = blocked_sum(&closest, block);
    let mut cumulative = vec![0.0; n];
    for c in 1..k {
        // the running sums of the potential, so that each candidate is a binary search (the
        // same index as a linear scan for the first running sum above the target)
        let mut acc = 0.0;
        for (out, v) in cumulative.iter_mut().zip(&closest) {
            acc += v;
            *out = acc;
        }
        let candidates: Vec<usize> = (0..n_trials)
            .map(|_| {
                if potential > 0.0 {
                    let target = rng.gen::<f64>() * potential;
                    cumulative.partition_point(|&a| a <= target).min(n - 1)
                } else {
                    rng.gen_range(0..n)
                }
            })
            .collect();
        let (updated, totals) = distances_to(&candidates, &closest);
        let mut best = 0;
        let mut best_total = f64::INFINITY;
        for (t, &total) in totals.iter().enumerate() {
            if total < best_total {
                best = t;
                best_total = total;
            }
        }
        centers.row_mut(c).assign(&x.row(candidates[best]));
        closest = column(&updated, candidates.len(), best);
        potential = best_total;
    }
    centers
}

/// Lloyd iterations from `centers` on centred data `x` (squared norms `x_norms`); returns
/// (centroids, inertia, iterations). A run stops when the squared centroid shift is at most
/// `tol × mean feature variance` (as scikit-learn). Empty clusters
/// are re-seeded with the point farthest from its centroid.
///
/// Each block of rows is assigned to its nearest centroids and added to their sums in one
/// pass, while the block is in cache.
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
    let standard = x.as_standard_layout();
    let values = standard.as_slice().unwrap_or(&[]);
    let norms = x_norms.to_vec();
    let mut distances = vec![0.0; n];
    let mut iterations = 0;
    for iter in 1..=max_iter {
        iterations = iter;
        let packed = PackedCentres::new(centers.view());
        // per-block sums and counts, reduced in block order
        let partial: Vec<(Vec<f64>, Vec<usize>)> = distances
            .par_chunks_mut(block)
            .enumerate()
            .map(|(b, dists)| {
                let start = b * block;
                let mut sums = vec![0.0; k * d];
                let mut counts = vec![0usize; k];
                let mut dots = vec![0.0; dists.len() * packed.stride()];
                simd::wide(
                    #[inline(always)]
                    || {
                        let rows = &values[start * d..(start + dists.len()) * d];
                        packed.dots(rows, &mut dots);
                        for (r, ((row, dist), xr)) in dots
                            .chunks_exact(packed.stride())
                            .zip(dists.iter_mut())
                            .zip(rows.chunks_exact(d.max(1)))
                            .enumerate()
                        {
                            let (label, h) = packed.nearest(row, norms[start + r]);
                            *dist = h;
                            counts[label] += 1;
                            for (s, &v) in sums[label * d..(label + 1) * d].iter_mut().zip(xr) {
                                *s += v;
                            }
                        }
                    },
                );
                (sums, counts)
            })
            .collect();
        let mut sums = Array2::<f64>::zeros((k, d));
        let mut counts = vec![0usize; k];
        for (s, c) in &partial {
            for (a, &b) in sums.iter_mut().zip(s) {
                *a += b;
            }
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
