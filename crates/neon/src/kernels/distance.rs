//! Squared Euclidean distances through matrix products (layer 1 of the outlier network, §3.1;
//! the distances `d_c²(x)` of Eq. 4–5, §4):
//! `‖x − u‖² = ‖x‖² + ‖u‖² − 2 xᵀu`, clamped at 0 against negative round-off.

use super::compute::Tiles;
use super::real::Real;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, Slice};
use rayon::prelude::*;

/// `‖a_r‖²` of every row, summed in feature order.
pub fn squared_norms<T: Real>(a: ArrayView2<T>) -> Array1<T> {
    a.rows()
        .into_iter()
        .map(|r| r.iter().fold(T::zero(), |acc, &v| acc + v * v))
        .collect()
}

/// Fill `out` (rows of `x` × rows of `u`) with `‖x_r‖² + ‖u_k‖² − 2 x_rᵀu_k`, clamped at 0.
/// `x_norms` and `u_norms` are the rows' squared norms ([`squared_norms`]).
pub fn squared_distances_into<T: Real>(
    x: ArrayView2<T>,
    x_norms: ArrayView1<T>,
    u: ArrayView2<T>,
    u_norms: ArrayView1<T>,
    mut out: ArrayViewMut2<T>,
) {
    let minus_two = T::from_f64(-2.0);
    general_mat_mul(minus_two, &x, &u.t(), T::zero(), &mut out);
    for (mut row, &xn) in out.axis_iter_mut(Axis(0)).zip(x_norms.iter()) {
        for (v, &un) in row.iter_mut().zip(u_norms.iter()) {
            let h = *v + xn + un;
            *v = if h > T::zero() { h } else { T::zero() };
        }
    }
}

/// The full matrix of squared distances between the rows of `x` and of `u`, computed in row
/// blocks in parallel. This materialises `rows(x) × rows(u)` numbers: use it for moderate
/// sizes; the explainers of this module never call it.
pub fn squared_distances(x: ArrayView2<f64>, u: ArrayView2<f64>, tiles: Tiles) -> Array2<f64> {
    let mut out = Array2::zeros((x.nrows(), u.nrows()));
    let u_norms = squared_norms(u);
    let block = tiles.rows.max(1);
    out.axis_chunks_iter_mut(Axis(0), block)
        .into_par_iter()
        .enumerate()
        .for_each(|(b, tile)| {
            let start = b * block;
            let xs = x.slice_axis(Axis(0), Slice::from(start..start + tile.nrows()));
            let x_norms = squared_norms(xs);
            squared_distances_into(xs, x_norms.view(), u, u_norms.view(), tile);
        });
    out
}

/// A few centres (k-means centroids, k-means++ candidates) laid out for [`PackedCentres::dots`]:
/// transposed to `d × k_pad` with `k_pad` the next multiple of [`CENTRE_LANES`] (zero columns
/// after the `k` real ones), with their squared norms.
#[derive(Debug, Clone)]
pub struct PackedCentres {
    k: usize,
    k_pad: usize,
    d: usize,
    transposed: Vec<f64>,
    norms: Vec<f64>,
}

/// Columns per register tile of [`PackedCentres::dots`].
pub const CENTRE_LANES: usize = 8;

/// Rows per register tile of [`PackedCentres::dots`].
const ROW_LANES: usize = 4;

impl PackedCentres {
    /// Pack the rows of `centres`.
    pub fn new(centres: ArrayView2<f64>) -> Self {
        let (k, d) = centres.dim();
        let k_pad = k.div_ceil(CENTRE_LANES).max(1) * CENTRE_LANES;
        let mut transposed = vec![0.0; d * k_pad];
        for (c, row) in centres.rows().into_iter().enumerate() {
            for (i, &v) in row.iter().enumerate() {
                transposed[i * k_pad + c] = v;
            }
        }
        PackedCentres {
            k,
            k_pad,
            d,
            transposed,
            norms: squared_norms(centres).to_vec(),
        }
    }

    /// Number of centres `k`.
    pub fn len(&self) -> usize {
        self.k
    }

    /// True if there are no centres.
    pub fn is_empty(&self) -> bool {
        self.k == 0
    }

    /// Stride of the rows written by [`PackedCentres::dots`] (`k` rounded up to a multiple of
    /// [`CENTRE_LANES`]).
    pub fn stride(&self) -> usize {
        self.k_pad
    }

    /// Squared norms of the centres.
    pub fn norms(&self) -> &[f64] {
        &self.norms
    }

    /// `out[r · stride + c] = Σ_i x[r · d + i] · centre_c[i]` for every row `r` of `x`
    /// (row-major, `d` numbers per row): register tiles of 4 rows × 8 centres, products and
    /// sums in feature order (separate multiply and add, so the bits do not depend on the
    /// instruction set). Call it inside [`super::simd::wide`] for AVX2.
    #[inline(always)]
    pub fn dots(&self, x: &[f64], out: &mut [f64]) {
        let (d, kp) = (self.d, self.k_pad);
        if d == 0 {
            out.fill(0.0);
            return;
        }
        let rows = x.len() / d;
        let mut quads = x.chunks_exact(ROW_LANES * d);
        let mut outs = out.chunks_exact_mut(ROW_LANES * kp);
        for (xs, os) in (&mut quads).zip(&mut outs) {
            let (x0, rest) = xs.split_at(d);
            let (x1, rest) = rest.split_at(d);
            let (x2, x3) = rest.split_at(d);
            for c0 in (0..kp).step_by(CENTRE_LANES) {
                let mut acc = [[0.0f64; CENTRE_LANES]; ROW_LANES];
                for ((((column, &v0), &v1), &v2), &v3) in self
                    .transposed
                    .chunks_exact(kp)
                    .zip(x0)
                    .zip(x1)
                    .zip(x2)
                    .zip(x3)
                {
                    let Ok(cv) = <&[f64; CENTRE_LANES]>::try_from(&column[c0..c0 + CENTRE_LANES])
                    else {
                        continue;
                    };
                    for j in 0..CENTRE_LANES {
                        acc[0][j] += v0 * cv[j];
                        acc[1][j] += v1 * cv[j];
                        acc[2][j] += v2 * cv[j];
                        acc[3][j] += v3 * cv[j];
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    os[r * kp + c0..r * kp + c0 + CENTRE_LANES].copy_from_slice(a);
                }
            }
        }
        let done = rows - rows % ROW_LANES;
        for (xr, or) in quads
            .remainder()
            .chunks_exact(d)
            .zip(out[done * kp..].chunks_exact_mut(kp))
        {
            for c0 in (0..kp).step_by(CENTRE_LANES) {
                let mut acc = [0.0f64; CENTRE_LANES];
                for (column, &v) in self.transposed.chunks_exact(kp).zip(xr) {
                    for j in 0..CENTRE_LANES {
                        acc[j] += v * column[c0 + j];
                    }
                }
                or[c0..c0 + CENTRE_LANES].copy_from_slice(&acc);
            }
        }
    }

    /// Squared distance of a row with squared norm `x_norm` to centre `c`, from their dot
    /// product: `‖x‖² + ‖μ_c‖² − 2 xᵀμ_c`, clamped at 0.
    #[inline(always)]
    pub fn distance(&self, dot: f64, x_norm: f64, c: usize) -> f64 {
        let h = -2.0 * dot + x_norm + self.norms[c];
        if h > 0.0 {
            h
        } else {
            0.0
        }
    }
}

/// For every row of `x`: the index of the nearest row of `centers` (ties: lowest index) and
/// the squared distance to it, through [`PackedCentres`]. Row blocks of [`Tiles::rows`] run in
/// parallel; the result does not depend on the number of threads.
pub fn nearest_rows(
    x: ArrayView2<f64>,
    x_norms: ArrayView1<f64>,
    centers: ArrayView2<f64>,
    tiles: Tiles,
) -> (Vec<usize>, Vec<f64>) {
    let n = x.nrows();
    let mut labels = vec![0usize; n];
    let mut dists = vec![0.0; n];
    let packed = PackedCentres::new(centers);
    let standard = x.as_standard_layout();
    let values = standard.as_slice().unwrap_or(&[]);
    let d = x.ncols();
    let norms = x_norms.to_vec();
    let block = tiles.rows.max(1);
    labels
        .par_chunks_mut(block)
        .zip(dists.par_chunks_mut(block))
        .enumerate()
        .for_each(|(b, (labels, dists))| {
            let start = b * block;
            let rows = start..start + labels.len();
            let mut dots = vec![0.0; labels.len() * packed.stride()];
            super::simd::wide(
                #[inline(always)]
                || {
                    packed.dots(&values[rows.start * d..rows.end * d], &mut dots);
                    for (r, row) in dots.chunks_exact(packed.stride()).enumerate() {
                        let (label, dist) = packed.nearest(row, norms[start + r]);
                        labels[r] = label;
                        dists[r] = dist;
                    }
                },
            );
        });
    (labels, dists)
}

impl PackedCentres {
    /// The nearest centre (ties: lowest index) and the squared distance to it, for a row with
    /// squared norm `x_norm` whose dot products with the centres are `dots`.
    #[inline(always)]
    pub fn nearest(&self, dots: &[f64], x_norm: f64) -> (usize, f64) {
        let mut best = (0, f64::INFINITY);
        for (c, &dot) in dots[..self.k].iter().enumerate() {
            let h = self.distance(dot, x_norm, c);
            if h < best.1 {
                best = (c, h);
            }
        }
        best
    }
}

/// Index and value of the smallest entry (ties: lowest index).
pub fn argmin(row: ArrayView1<f64>) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (k, &v) in row.iter().enumerate() {
        if v < best.1 {
            best = (k, v);
        }
    }
    best
}

/// Median, over (at most `max_points` evenly spaced) rows of `points`, of the squared distance
/// to the nearest other row of `points`; `None` for fewer than 2 rows. Duplicated rows count
/// with distance 0. The scale behind the kernel-width rule of thumb γ = 1 / median.
pub fn median_nearest_squared_distance(points: ArrayView2<f64>, max_points: usize) -> Option<f64> {
    let n = points.nrows();
    if n < 2 {
        return None;
    }
    let step = n.div_ceil(max_points.max(2)).max(1);
    let sample: Vec<usize> = (0..n).step_by(step).collect();
    let mut nearest: Vec<f64> = sample
        .iter()
        .map(|&i| {
            (0..n)
                .filter(|&j| j != i)
                .map(|j| super::math::squared_distance(points.row(i), points.row(j)))
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    nearest.sort_by(f64::total_cmp);
    let m = nearest.len();
    Some(if m % 2 == 1 {
        nearest[m / 2]
    } else {
        0.5 * (nearest[m / 2 - 1] + nearest[m / 2])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::math::squared_distance;
    use ndarray::array;

    #[test]
    fn median_nearest_squared_distance_by_hand() {
        // nearest squared distances 1, 1, 4, 16: the median is (1 + 4) / 2
        let p = array![[0.0], [1.0], [3.0], [7.0]];
        assert_eq!(median_nearest_squared_distance(p.view(), 100), Some(2.5));
        // every other row of a sample of 2: rows 0 and 2, nearest 1 and 4
        assert_eq!(median_nearest_squared_distance(p.view(), 2), Some(2.5));
        assert_eq!(
            median_nearest_squared_distance(p.slice(ndarray::s![..1, ..]), 9),
            None
        );
    }

    #[test]
    fn matches_direct_differences_and_is_never_negative() {
        let x = array![[0.0, 1.0, 2.0], [3.0, -1.0, 0.5], [1e3, 1e3, 1e3]];
        let u = array![[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]];
        let d = squared_distances(x.view(), u.view(), Tiles { rows: 2, train: 1 });
        for r in 0..3 {
            for k in 0..2 {
                let exact = squared_distance(x.row(r), u.row(k));
                assert!(d[[r, k]] >= 0.0);
                assert!((d[[r, k]] - exact).abs() <= 1e-12 * (1.0 + exact));
            }
        }
        assert_eq!(d[[0, 0]], 0.0);
    }

    #[test]
    fn packed_centre_dots_match_plain_dot_products_for_every_shape() {
        // rows around the 4-row tile, centres around the 8-column tile, d from 1 to 9
        for (rows, k, d) in [
            (1, 1, 1),
            (3, 2, 2),
            (4, 8, 3),
            (5, 9, 9),
            (9, 16, 5),
            (13, 17, 4),
        ] {
            let x = Array2::from_shape_fn((rows, d), |(r, i)| ((r * 7 + i * 3) % 11) as f64 - 4.5);
            let c = Array2::from_shape_fn((k, d), |(c, i)| ((c * 5 + i) % 7) as f64 * 0.25 - 0.5);
            let packed = PackedCentres::new(c.view());
            assert_eq!(packed.len(), k);
            assert_eq!(packed.stride() % CENTRE_LANES, 0);
            let mut out = vec![f64::NAN; rows * packed.stride()];
            let flat: Vec<f64> = x.iter().copied().collect();
            crate::kernels::simd::wide(|| packed.dots(&flat, &mut out));
            for r in 0..rows {
                for j in 0..k {
                    let plain = x.row(r).dot(&c.row(j));
                    assert!(
                        (out[r * packed.stride() + j] - plain).abs() <= 1e-12,
                        "{rows} {k} {d}"
                    );
                }
            }
            let norms = squared_norms(x.view());
            let (labels, dists) = nearest_rows(
                x.view(),
                norms.view(),
                c.view(),
                Tiles { rows: 3, train: 1 },
            );
            for r in 0..rows {
                let exact: Vec<f64> = (0..k)
                    .map(|j| squared_distance(x.row(r), c.row(j)))
                    .collect();
                let best = exact.iter().copied().fold(f64::INFINITY, f64::min);
                assert!((dists[r] - best).abs() <= 1e-9 * (1.0 + best));
                assert!((exact[labels[r]] - best).abs() <= 1e-9 * (1.0 + best));
            }
        }
    }

    #[test]
    fn nearest_rows_breaks_ties_to_lowest_index() {
        let x = array![[0.0, 0.0], [2.0, 0.0]];
        let c = array![[1.0, 0.0], [-1.0, 0.0], [3.0, 0.0]];
        let norms = squared_norms(x.view());
        let (labels, dists) = nearest_rows(x.view(), norms.view(), c.view(), Tiles::default());
        assert_eq!(labels, vec![0, 0]);
        assert_eq!(dists, vec![1.0, 1.0]);
    }
}
