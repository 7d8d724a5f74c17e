//! Squared distances and the squared-distance rule of the outlier network (§3.1) from the
//! differences themselves, for data of few features.
//!
//! With `d` small, `h_k = Σ_i (x_i − u_ki)²` costs three operations per feature and pair, no
//! more than its expansion `‖x‖² + ‖u_k‖² − 2 xᵀu_k` through a matrix product, and it is
//! exact to rounding (no cancellation, nothing to recompute), summed in feature order like
//! the per-point path. Likewise the input step of the rule, `Σ_k c_k (x_i − u_ki)²`, is four
//! operations per feature and pair, where the expansion needs a second matrix product and a
//! round-off bound. The training points are laid out feature-major in tiles, so one row meets
//! [`LANES`] points per vector operation and a tile stays in the second-level cache while a
//! block of rows walks it ([`FeatureMajor`]).

use super::math::pairwise_sum;
use ndarray::ArrayView2;

/// Training points per strip of registers (and the multiple a tile is padded to).
pub const LANES: usize = 32;

/// Training points laid out for the direct kernels: tile `t` holds points
/// `t · width .. (t + 1) · width` as `d` rows of `width` numbers (feature-major), the last tile
/// padded with zeros.
#[derive(Debug, Clone)]
pub struct FeatureMajor {
    n: usize,
    d: usize,
    width: usize,
    data: Vec<f64>,
}

impl FeatureMajor {
    /// Lay out the rows of `points` (N × d) in tiles of `tile` points (at most N), rounded up
    /// to a multiple of [`LANES`].
    pub fn new(points: ArrayView2<f64>, tile: usize) -> Self {
        let (n, d) = points.dim();
        let width = tile.min(n).max(1).div_ceil(LANES) * LANES;
        let n_tiles = n.div_ceil(width);
        let mut data = vec![0.0; n_tiles * d * width];
        for (k, u) in points.rows().into_iter().enumerate() {
            let (t, j) = (k / width, k % width);
            for (i, &v) in u.iter().enumerate() {
                data[(t * d + i) * width + j] = v;
            }
        }
        FeatureMajor { n, d, width, data }
    }

    /// Number of tiles.
    pub fn n_tiles(&self) -> usize {
        self.n.div_ceil(self.width)
    }

    /// Points per tile, padding included (the length of the buffers the kernels take).
    pub fn width(&self) -> usize {
        self.width
    }

    /// The training points of tile `t`.
    pub fn points(&self, t: usize) -> std::ops::Range<usize> {
        let start = t * self.width;
        start..(start + self.width).min(self.n)
    }

    /// The `d` feature rows of tile `t`.
    #[inline(always)]
    fn tile(&self, t: usize) -> &[f64] {
        let size = self.d * self.width;
        &self.data[t * size..(t + 1) * size]
    }

    /// `h[j] = Σ_i (x_i − u_ki)²` for the points `k` of tile `t` (summed in feature order,
    /// as the per-point path sums), `width` numbers (`+∞` on the padding, and on the point
    /// `excluded`, an index into the tile); returns their minimum. Vectorises (inline it into
    /// a [`super::simd::wide`] closure).
    #[inline(always)]
    pub fn squared_distances(
        &self,
        t: usize,
        x: &[f64],
        excluded: Option<usize>,
        h: &mut [f64],
    ) -> f64 {
        let w = self.width;
        let tile = self.tile(t);
        let real = self.points(t).len();
        let mut min = [f64::INFINITY; LANES];
        for (s, out) in h[..w].chunks_exact_mut(LANES).enumerate() {
            let mut acc = [0.0f64; LANES];
            for (&xi, column) in x.iter().zip(tile.chunks_exact(w)) {
                let Ok(u) = <&[f64; LANES]>::try_from(&column[s * LANES..(s + 1) * LANES]) else {
                    continue; // a tile row holds `width` numbers, a multiple of LANES
                };
                for l in 0..LANES {
                    let diff = xi - u[l];
                    acc[l] += diff * diff;
                }
            }
            out.copy_from_slice(&acc);
            // (in memory, not in the registers of acc, which an index would spill)
            if let Some(j) = excluded.and_then(|j| j.checked_sub(s * LANES)) {
                if let Some(v) = out.get_mut(j) {
                    *v = f64::INFINITY;
                }
            }
            if let Some(padding) = out.get_mut(real.saturating_sub(s * LANES)..) {
                padding.fill(f64::INFINITY);
            }
            for (m, &v) in min.iter_mut().zip(out.iter()) {
                *m = if v < *m { v } else { *m };
            }
        }
        min.iter().fold(f64::INFINITY, |m, &v| m.min(v))
    }

    /// `out[i] += Σ_j c[j] (x_i − u_ki)²` over the points `k` of tile `t` (`c` holds `width`
    /// weights, zero on the padding): the input step of the squared-distance rule (§3.1).
    /// For each feature the pairs go into [`LANES`] partial sums in point order (each term
    /// added by a fused multiply-add, which rounds the same on every instruction set), added
    /// pairwise at the end: a fixed order, the same bits whatever the vector width.
    #[inline(always)]
    pub fn weighted_squares(&self, t: usize, x: &[f64], c: &[f64], out: &mut [f64]) {
        let w = self.width;
        let tile = self.tile(t);
        for ((&xi, column), o) in x.iter().zip(tile.chunks_exact(w)).zip(out.iter_mut()) {
            let mut acc = [0.0f64; LANES];
            for (u, cs) in column.chunks_exact(LANES).zip(c[..w].chunks_exact(LANES)) {
                let (Ok(u), Ok(cs)) = (<&[f64; LANES]>::try_from(u), <&[f64; LANES]>::try_from(cs))
                else {
                    continue; // chunks of LANES numbers
                };
                for l in 0..LANES {
                    let diff = xi - u[l];
                    acc[l] += cs[l] * (diff * diff);
                }
            }
            *o += pairwise_sum(acc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::math::squared_distance;
    use ndarray::Array2;

    #[test]
    fn distances_and_weighted_squares_match_the_formulas_for_every_shape() {
        for (n, d, tile) in [(1, 1, 1), (5, 3, 8), (33, 2, 32), (70, 6, 40), (129, 9, 64)] {
            let u = Array2::from_shape_fn((n, d), |(k, i)| ((k * 7 + i * 3) % 11) as f64 - 4.5);
            let x: Vec<f64> = (0..d).map(|i| 0.3 * i as f64 - 1.0).collect();
            let xv = ndarray::ArrayView1::from(&x);
            let fm = FeatureMajor::new(u.view(), tile);
            assert_eq!(fm.width() % LANES, 0);
            let mut h = vec![f64::NAN; fm.width()];
            let mut c = vec![0.0; fm.width()];
            let mut out = vec![0.0; d];
            let mut seen = 0;
            for t in 0..fm.n_tiles() {
                let points = fm.points(t);
                let min = fm.squared_distances(t, &x, None, &mut h);
                assert!(h[points.len()..].iter().all(|&v| v == f64::INFINITY));
                let real = &h[..points.len()];
                assert_eq!(min, real.iter().copied().fold(f64::INFINITY, f64::min));
                if points.len() > 1 {
                    let mut without = h.clone();
                    let min_without = fm.squared_distances(t, &x, Some(1), &mut without);
                    assert_eq!(without[1], f64::INFINITY);
                    let expected = real
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != 1)
                        .fold(f64::INFINITY, |m, (_, &v)| m.min(v));
                    assert_eq!(min_without, expected);
                }
                c.fill(0.0);
                for (j, k) in points.clone().enumerate() {
                    // the same operations in the same order as the per-point path
                    assert_eq!(h[j], squared_distance(xv, u.row(k)), "{n} {d} {tile}");
                    c[j] = 1.0 / (1.0 + k as f64);
                }
                fm.weighted_squares(t, &x, &c, &mut out);
                seen += points.len();
            }
            assert_eq!(seen, n);
            for (i, &o) in out.iter().enumerate() {
                let expected: f64 = (0..n)
                    .map(|k| (x[i] - u[[k, i]]).powi(2) / (1.0 + k as f64))
                    .sum();
                assert!(
                    (o - expected).abs() <= 1e-12 * expected.abs(),
                    "{o} {expected}"
                );
            }
        }
    }
}
