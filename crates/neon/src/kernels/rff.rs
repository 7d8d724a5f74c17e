//! Random Fourier features (§3.3, Eq. 3) on arrays: the feature maps of rows, their summed
//! embedding, and the w² rule.
//!
//! With `d` small (a handful of features) and `H` in the thousands, a row's `H` arguments
//! `ω_jᵀx + b_j` are `d` broadcast multiply-adds over the rows of `Ωᵀ`, 16 features at a time
//! in registers, and its `d` relevances and its score come from one pass over the features with
//! 8 lanes of squared frequencies: both stay in the first-level cache, where a general matrix
//! product would repack its `B × H` operand on every call ([`FeatureLayer`]).

use super::math::{cos_reduced, COS_RANGE};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
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

/// One draw of the random-feature layer (§3.3, Eq. 3) laid out feature-major: `Ωᵀ` (d × H),
/// the phases `b`, and the normalised squared frequencies of the w² rule (H × d, each row padded
/// with zeros to a multiple of 8).
#[derive(Debug, Clone)]
pub struct FeatureLayer {
    omega_t: Vec<f64>,
    phase: Vec<f64>,
    /// `ω_ji² / ‖ω_j‖²`, H rows of `padded_dim` numbers: d squares, a 1, then zeros.
    squares_padded: Vec<f64>,
    padded_dim: usize,
    n_features: usize,
    dim: usize,
}

impl FeatureLayer {
    /// The layer of frequencies `omega` (H × d) and phases `phase` (H).
    pub fn new(omega: ArrayView2<f64>, phase: ArrayView1<f64>) -> Self {
        let (n_features, dim) = omega.dim();
        let squares = normalised_squares(omega);
        // d squared frequencies, then 1 (for Σ_j h_j), then zeros
        let padded_dim = (dim + 1).div_ceil(W2_LANES) * W2_LANES;
        let mut squares_padded = vec![0.0; n_features * padded_dim];
        for (out, row) in squares_padded
            .chunks_exact_mut(padded_dim)
            .zip(squares.rows())
        {
            for (o, &v) in out.iter_mut().zip(row) {
                *o = v;
            }
            out[dim] = 1.0;
        }
        FeatureLayer {
            omega_t: omega.t().iter().copied().collect(),
            phase: phase.iter().copied().collect(),
            squares_padded,
            padded_dim,
            n_features,
            dim,
        }
    }

    /// Number H of random features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The feature map `φ_j = √2 cos(ω_jᵀx + b_j)`, j = 1..H, of the row `x` (d numbers) into
    /// `out` (H numbers); `ω_jᵀx` is summed in feature order. Vectorises (inline it into a
    /// [`super::simd::wide`] closure); arguments beyond [`COS_RANGE`] go to the C library.
    #[inline(always)]
    pub fn feature_map(&self, x: &[f64], out: &mut [f64]) {
        let h = self.n_features;
        let out = &mut out[..h];
        // ω_jᵀx for 16 features at a time, summed in feature order in registers
        const STRIP: usize = 16;
        let mut strips = out.chunks_exact_mut(STRIP);
        for (s, strip) in (&mut strips).enumerate() {
            let mut acc = [0.0f64; STRIP];
            for (&xi, w) in x.iter().zip(self.omega_t.chunks_exact(h.max(1))) {
                let Ok(w) = <&[f64; STRIP]>::try_from(&w[s * STRIP..(s + 1) * STRIP]) else {
                    continue; // a row of Ωᵀ holds H numbers
                };
                for l in 0..STRIP {
                    acc[l] += xi * w[l];
                }
            }
            strip.copy_from_slice(&acc);
        }
        let done = h - strips.into_remainder().len();
        out[done..].fill(0.0);
        for (&xi, w) in x.iter().zip(self.omega_t.chunks_exact(h.max(1))) {
            for (o, &wj) in out[done..].iter_mut().zip(&w[done..]) {
                *o += xi * wj;
            }
        }
        let moderate = out
            .iter()
            .zip(&self.phase)
            .fold(true, |all, (v, b)| all & ((v + b).abs() <= COS_RANGE));
        // the branch is hoisted out of the loops so the moderate one vectorises
        if moderate {
            for (v, &b) in out.iter_mut().zip(&self.phase) {
                *v = std::f64::consts::SQRT_2 * cos_reduced(*v + b);
            }
        } else {
            for (v, &b) in out.iter_mut().zip(&self.phase) {
                *v = std::f64::consts::SQRT_2 * (*v + b).cos();
            }
        }
    }

    /// The w² rule (§3.3) on the contributions `h_j = φ_j c_j` of a row with feature map `phi`
    /// (H numbers, from [`FeatureLayer::feature_map`]): `R_i = Σ_j (ω_ji² / ‖ω_j‖²) h_j` into
    /// `relevance` (d numbers), and `Σ_j h_j` returned. `c_j` is the mean embedding `μ_j`, or,
    /// leave-one-out, `S_j − φ_j` with the summed embedding `S` (the caller divides by
    /// `N − 1`). Features go 8 at a time in vector lanes (the sum `Σ_j h_j` in the padding
    /// lane after the d features); the sum over `j` runs in four interleaved partial
    /// sums (term `j` into sum `j mod 4`, tail included), added pairwise at the end: a fixed
    /// order, the same bits whatever the vector width.
    #[inline(always)]
    pub fn w2_rule(&self, phi: &[f64], embedding: Embedding<'_>, relevance: &mut [f64]) -> f64 {
        match embedding {
            Embedding::Mean(mean) => self.w2_rule_with::<false>(phi, mean, relevance),
            Embedding::SumWithout(sum) => self.w2_rule_with::<true>(phi, sum, relevance),
        }
    }

    /// [`FeatureLayer::w2_rule`] with `c` the mean embedding, or with `LEAVE_ONE_OUT` the
    /// summed one.
    #[inline(always)]
    fn w2_rule_with<const LEAVE_ONE_OUT: bool>(
        &self,
        phi: &[f64],
        c: &[f64],
        relevance: &mut [f64],
    ) -> f64 {
        let (n, dp) = (self.n_features, self.padded_dim);
        let (phi, c) = (&phi[..n], &c[..n]);
        #[inline(always)]
        fn contribution<const LEAVE_ONE_OUT: bool>(p: f64, c: f64) -> f64 {
            if LEAVE_ONE_OUT {
                p * (c - p)
            } else {
                p * c
            }
        }
        let mut total = 0.0;
        for i0 in (0..dp).step_by(W2_LANES) {
            let mut acc = [[0.0f64; W2_LANES]; W2_SPLIT];
            let mut ps = phi.chunks_exact(W2_SPLIT);
            let mut cs = c.chunks_exact(W2_SPLIT);
            let mut ws = self.squares_padded.chunks_exact(W2_SPLIT * dp);
            for ((pq, cq), wq) in (&mut ps).zip(&mut cs).zip(&mut ws) {
                for (k, a) in acc.iter_mut().enumerate() {
                    let Ok(w) =
                        <&[f64; W2_LANES]>::try_from(&wq[k * dp + i0..k * dp + i0 + W2_LANES])
                    else {
                        continue; // rows are padded to a multiple of the lanes
                    };
                    let v = contribution::<LEAVE_ONE_OUT>(pq[k], cq[k]);
                    for l in 0..W2_LANES {
                        a[l] += v * w[l];
                    }
                }
            }
            let rest = &self.squares_padded[(n - n % W2_SPLIT) * dp..];
            for (k, ((&p, &c), w)) in ps
                .remainder()
                .iter()
                .zip(cs.remainder())
                .zip(rest.chunks_exact(dp))
                .enumerate()
            {
                let v = contribution::<LEAVE_ONE_OUT>(p, c);
                for l in 0..W2_LANES {
                    acc[k][l] += v * w[i0 + l];
                }
            }
            let [a0, a1, a2, a3] = &acc;
            for (l, (((&v0, &v1), &v2), &v3)) in a0.iter().zip(a1).zip(a2).zip(a3).enumerate() {
                let value = (v0 + v1) + (v2 + v3);
                match i0 + l {
                    i if i < self.dim => {
                        if let Some(r) = relevance.get_mut(i) {
                            *r = value;
                        }
                    }
                    i if i == self.dim => total = value,
                    _ => {}
                }
            }
        }
        total
    }

    /// Dimension d of the rows.
    pub fn dim(&self) -> usize {
        self.dim
    }
}

/// The embedding a row's feature map is weighted by in [`FeatureLayer::w2_rule`].
#[derive(Debug, Clone, Copy)]
pub enum Embedding<'a> {
    /// `h_j = φ_j μ_j`, the mean embedding of the training data.
    Mean(&'a [f64]),
    /// `h_j (N − 1) = φ_j (S_j − φ_j)`: the summed embedding `S` of the training data, the row
    /// itself left out.
    SumWithout(&'a [f64]),
}

/// Features per vector in [`FeatureLayer::w2_rule`].
const W2_LANES: usize = 8;

/// Interleaved partial sums over the random features in [`FeatureLayer::w2_rule`].
const W2_SPLIT: usize = 4;

/// `Σ_k √2 cos(ω_jᵀu_k + b_j)` over the rows `u_k` of `points`: `N` times the mean embedding
/// `μ_j` of §3.3. Rows go in blocks of [`EMBEDDING_BLOCK`], in parallel; within a block the
/// feature maps are added in row order, and the block sums in block order.
pub fn embedding_sum(
    points: ArrayView2<f64>,
    omega: ArrayView2<f64>,
    phase: ArrayView1<f64>,
) -> Array1<f64> {
    let layer = FeatureLayer::new(omega, phase);
    let h_count = layer.n_features();
    let starts: Vec<usize> = (0..points.nrows()).step_by(EMBEDDING_BLOCK).collect();
    let partial: Vec<Vec<f64>> = starts
        .par_iter()
        .map(|&start| {
            let end = (start + EMBEDDING_BLOCK).min(points.nrows());
            let mut sum = vec![0.0; h_count];
            let mut row = vec![0.0; h_count];
            let mut x = vec![0.0; layer.dim()];
            // compiled for the CPU's widest vectors (same bits)
            super::simd::wide(
                #[inline(always)]
                || {
                    for k in start..end {
                        for (xi, &v) in x.iter_mut().zip(points.row(k)) {
                            *xi = v;
                        }
                        layer.feature_map(&x, &mut row);
                        add_in_place(&mut sum, &row);
                    }
                },
            );
            sum
        })
        .collect();
    let mut total = vec![0.0; h_count];
    for p in &partial {
        add_in_place(&mut total, p);
    }
    Array1::from(total)
}

/// `sum += row`, element-wise.
#[inline(always)]
pub fn add_in_place(sum: &mut [f64], row: &[f64]) {
    for (s, &v) in sum.iter_mut().zip(row) {
        *s += v;
    }
}

/// Rows per block of [`embedding_sum`].
pub const EMBEDDING_BLOCK: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn feature_layer_matches_the_formula() {
        let omega = Array2::from_shape_fn((37, 3), |(j, i)| ((j * 3 + i) as f64 * 0.71).sin());
        let phase = Array1::from_shape_fn(37, |j| j as f64 * 0.17);
        let layer = FeatureLayer::new(omega.view(), phase.view());
        let x = [0.3, -1.2, 2.5];
        let mut phi = vec![0.0; 37];
        layer.feature_map(&x, &mut phi);
        let squares = normalised_squares(omega.view());
        let mut rel = [0.0; 3];
        let ones = vec![1.0; 37];
        let total = layer.w2_rule(&phi, Embedding::Mean(&ones), &mut rel);
        assert!((total - phi.iter().sum::<f64>()).abs() < 1e-13);
        for (j, &p) in phi.iter().enumerate() {
            let z: f64 = (0..3).map(|i| omega[[j, i]] * x[i]).sum::<f64>() + phase[j];
            assert!((p - std::f64::consts::SQRT_2 * z.cos()).abs() < 1e-14);
        }
        for (i, &r) in rel.iter().enumerate() {
            let expected: f64 = (0..37).map(|j| squares[[j, i]] * phi[j]).sum();
            assert!((r - expected).abs() < 1e-13, "{r} vs {expected}");
        }
        // the w² rule conserves: Σ_i R_i = Σ_j h_j where ω_j ≠ 0
        let total: f64 = rel.iter().sum();
        assert!((total - phi.iter().sum::<f64>()).abs() < 1e-12);
    }
}
