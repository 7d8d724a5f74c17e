//! 3×3 convolution (stride 1, zero padding 1) by the Winograd minimal filtering algorithm
//! F(2×2, 3×3) (Lavin & Gray, 2016): each 2×2 output tile costs 16 multiplications per
//! input/output channel pair instead of 36, i.e. 2.25× fewer than im2col, organised as 16
//! independent matrix products per band of tiles.
//!
//! `Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A` with
//! `Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]]`, `G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]]`,
//! `Aᵀ = [[1,1,1,0],[0,1,−1,−1]]`.

use crate::kernel::{matmul, Kernel, Post};
use ndarray::{Array3, ArrayView3};
use rayon::prelude::*;

/// Target size (in `f32` elements) of the transformed input and output of one band.
const BAND_ELEMS: usize = 1 << 21;

/// The transformed kernel `U = G g Gᵀ`: 16 matrices of `C_in × C_out`, row-major, one after the
/// other.
pub(crate) fn transform_kernel(kernel: &Kernel) -> Vec<f32> {
    let (ci_n, co_n) = (kernel.c_in, kernel.c_out);
    let mut u = vec![0f32; 16 * ci_n * co_n];
    // one chunk per input channel is not contiguous in U; build per ci then scatter
    let per_ci: Vec<Vec<f32>> = (0..ci_n)
        .into_par_iter()
        .map(|ci| {
            let g = |ky: usize, kx: usize| {
                let start = ((ky * 3 + kx) * ci_n + ci) * co_n;
                &kernel.data[start..start + co_n]
            };
            // Gg: 4 rows × 3 columns of C_out vectors
            let mut gg = vec![0f32; 12 * co_n];
            for kx in 0..3 {
                let (g0, g1, g2) = (g(0, kx), g(1, kx), g(2, kx));
                for co in 0..co_n {
                    let (a, b, c) = (g0[co], g1[co], g2[co]);
                    gg[kx * co_n + co] = a;
                    gg[(3 + kx) * co_n + co] = 0.5 * (a + b + c);
                    gg[(6 + kx) * co_n + co] = 0.5 * (a - b + c);
                    gg[(9 + kx) * co_n + co] = c;
                }
            }
            // (Gg)Gᵀ: 4 × 4
            let mut out = vec![0f32; 16 * co_n];
            for r in 0..4 {
                for co in 0..co_n {
                    let a = gg[(r * 3) * co_n + co];
                    let b = gg[(r * 3 + 1) * co_n + co];
                    let c = gg[(r * 3 + 2) * co_n + co];
                    out[(r * 4) * co_n + co] = a;
                    out[(r * 4 + 1) * co_n + co] = 0.5 * (a + b + c);
                    out[(r * 4 + 2) * co_n + co] = 0.5 * (a - b + c);
                    out[(r * 4 + 3) * co_n + co] = c;
                }
            }
            out
        })
        .collect();
    for (ci, block) in per_ci.iter().enumerate() {
        for xi in 0..16 {
            let dst = (xi * ci_n + ci) * co_n;
            u[dst..dst + co_n].copy_from_slice(&block[xi * co_n..(xi + 1) * co_n]);
        }
    }
    u
}

/// `Bᵀ d B` for the tiles of tile rows `ty0..ty1`, written as 16 matrices `tiles × C`.
fn transform_input(x: &[f32], h: usize, w: usize, c: usize, ty0: usize, ty1: usize, v: &mut [f32]) {
    let tw = w.div_ceil(2);
    let tiles = (ty1 - ty0) * tw;
    let zeros = vec![0f32; c];
    let mut d: Vec<&[f32]> = vec![&zeros[..]; 16];
    let mut tmp = vec![0f32; 16 * c];
    for ty in ty0..ty1 {
        for tx in 0..tw {
            let t = (ty - ty0) * tw + tx;
            for r in 0..4 {
                let iy = (2 * ty + r) as isize - 1;
                for s in 0..4 {
                    let ix = (2 * tx + s) as isize - 1;
                    d[r * 4 + s] = if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                        &zeros[..]
                    } else {
                        let off = (iy as usize * w + ix as usize) * c;
                        &x[off..off + c]
                    };
                }
            }
            // rows: Bᵀ d
            for s in 0..4 {
                let (d0, d1, d2, d3) = (d[s], d[4 + s], d[8 + s], d[12 + s]);
                for ch in 0..c {
                    tmp[s * c + ch] = d0[ch] - d2[ch];
                    tmp[(4 + s) * c + ch] = d1[ch] + d2[ch];
                    tmp[(8 + s) * c + ch] = d2[ch] - d1[ch];
                    tmp[(12 + s) * c + ch] = d1[ch] - d3[ch];
                }
            }
            // columns: (Bᵀ d) B
            for r in 0..4 {
                let row = &tmp[r * 4 * c..(r * 4 + 4) * c];
                for ch in 0..c {
                    let (a, b, e, f) = (row[ch], row[c + ch], row[2 * c + ch], row[3 * c + ch]);
                    v[((r * 4) * tiles + t) * c + ch] = a - e;
                    v[((r * 4 + 1) * tiles + t) * c + ch] = b + e;
                    v[((r * 4 + 2) * tiles + t) * c + ch] = e - b;
                    v[((r * 4 + 3) * tiles + t) * c + ch] = b - f;
                }
            }
        }
    }
}

/// `Aᵀ m A` for the tiles of tile rows `ty0..ty1` into the output rows `2·ty0..`.
#[allow(clippy::too_many_arguments)]
fn transform_output(
    m: &[f32],
    h: usize,
    w: usize,
    co_n: usize,
    ty0: usize,
    ty1: usize,
    post: Post<'_>,
    out: &mut [f32],
) {
    let tw = w.div_ceil(2);
    let tiles = (ty1 - ty0) * tw;
    let mut col = vec![0f32; 8 * co_n];
    for ty in ty0..ty1 {
        for tx in 0..tw {
            let t = (ty - ty0) * tw + tx;
            let mrow = |xi: usize| &m[(xi * tiles + t) * co_n..(xi * tiles + t + 1) * co_n];
            // columns first: for each row r of the 4×4 tile, (m A) gives 2 values
            for r in 0..4 {
                let (a, b, c, d) = (
                    mrow(r * 4),
                    mrow(r * 4 + 1),
                    mrow(r * 4 + 2),
                    mrow(r * 4 + 3),
                );
                for co in 0..co_n {
                    col[(r * 2) * co_n + co] = a[co] + b[co] + c[co];
                    col[(r * 2 + 1) * co_n + co] = b[co] - c[co] - d[co];
                }
            }
            for oy in 0..2 {
                let y = 2 * ty + oy;
                if y >= h {
                    continue;
                }
                for ox in 0..2 {
                    let xx = 2 * tx + ox;
                    if xx >= w {
                        continue;
                    }
                    let dst = &mut out
                        [((y - 2 * ty0) * w + xx) * co_n..((y - 2 * ty0) * w + xx + 1) * co_n];
                    for co in 0..co_n {
                        let (r0, r1, r2, r3) = (
                            col[ox * co_n + co],
                            col[(2 + ox) * co_n + co],
                            col[(4 + ox) * co_n + co],
                            col[(6 + ox) * co_n + co],
                        );
                        dst[co] = if oy == 0 { r0 + r1 + r2 } else { r1 - r2 - r3 };
                    }
                    if let Post::Bias(bias) = post {
                        for (v, b) in dst.iter_mut().zip(bias) {
                            *v += b;
                        }
                    }
                }
            }
        }
    }
}

/// 3×3 convolution by Winograd F(2×2, 3×3), same contract as [`crate::ops::conv3x3`];
/// `u` is [`transform_kernel`] of `kernel`.
pub(crate) fn conv3x3_winograd(
    x: &ArrayView3<f32>,
    kernel: &Kernel,
    u: &[f32],
    post: Post<'_>,
) -> Array3<f32> {
    let (h, w, c) = x.dim();
    let co_n = kernel.c_out;
    let xs = x.as_slice().unwrap_or(&[]);
    let (th, tw) = (h.div_ceil(2), w.div_ceil(2));
    let per_tile = 16 * c.max(co_n);
    let rows_per_band = (BAND_ELEMS / (per_tile * tw).max(1)).clamp(1, th.max(1));
    let n_bands = th.div_ceil(rows_per_band);
    let threads = rayon::current_num_threads();
    let mut out = vec![0f32; h * w * co_n];
    let band = |(b, dst): (usize, &mut [f32]), parallel: bool| {
        let ty0 = b * rows_per_band;
        let ty1 = (ty0 + rows_per_band).min(th);
        let tiles = (ty1 - ty0) * tw;
        let mut v = vec![0f32; 16 * tiles * c];
        transform_input(xs, h, w, c, ty0, ty1, &mut v);
        let mut m = vec![0f32; 16 * tiles * co_n];
        let product = |(xi, mx): (usize, &mut [f32])| {
            matmul(
                tiles,
                co_n,
                c,
                &v[xi * tiles * c..(xi + 1) * tiles * c],
                &u[xi * c * co_n..(xi + 1) * c * co_n],
                mx,
                false,
            );
        };
        if parallel {
            m.par_chunks_mut(tiles * co_n).enumerate().for_each(product);
        } else {
            m.chunks_mut(tiles * co_n).enumerate().for_each(product);
        }
        transform_output(&m, h, w, co_n, ty0, ty1, post, dst);
    };
    let chunk = 2 * rows_per_band * w * co_n;
    if n_bands >= 2 * threads {
        out.par_chunks_mut(chunk)
            .enumerate()
            .for_each(|bd| band(bd, false));
    } else {
        out.chunks_mut(chunk)
            .enumerate()
            .for_each(|bd| band(bd, true));
    }
    Array3::from_shape_vec((h, w, co_n), out).unwrap_or_else(|_| Array3::zeros((h, w, co_n)))
}
