//! Tensor operations on `(height, width, channels)` `f32` arrays: 3×3 convolution (stride 1, zero
//! padding 1) as im2col + matrix multiply, its transpose, and 2×2 max-pooling.
//!
//! Layout: every activation is an [`Array3<f32>`] in HWC order (the channel index is contiguous),
//! so that one output row band of a convolution is one contiguous block of memory and the bands
//! can be computed in parallel without copies. Kernels are stored HWIO (Keras' layout), flattened
//! to a `(9·C_in) × C_out` matrix whose row index is `(ky·3 + kx)·C_in + c_in`.

use crate::kernel::matmul;
pub use crate::kernel::{Kernel, Post};
use ndarray::{Array3, ArrayView3};
use rayon::prelude::*;

/// From this many input channels on, [`conv3x3`] uses Winograd F(2×2, 3×3) (2.25× fewer
/// multiplications); below, the transforms cost more than they save and im2col is used.
pub const WINOGRAD_MIN_CHANNELS: usize = 16;

/// … and from this many pixels on: on small maps (VGG's 14×14 block 5 at 224 px) the kernel
/// transform costs more than the 2.25× fewer multiplications save (measured with
/// `cargo run --release -p neon-xai-cnn --example bench_cnn`).
pub const WINOGRAD_MIN_PIXELS: usize = 28 * 28;

/// Target size (in `f32` elements) of one im2col band; 2²¹ floats = 8 MiB keeps a band in L3.
const BAND_ELEMS: usize = 1 << 21;

/// Write the im2col patches of output rows `y0..y1` (zero padding 1) into `out`,
/// one row of `9·C` values per output pixel.
fn im2col_band(x: &ArrayView3<f32>, y0: usize, y1: usize, out: &mut [f32]) {
    let (h, w, c) = x.dim();
    let k = 9 * c;
    let xs = x.as_slice().unwrap_or(&[]);
    for y in y0..y1 {
        for xx in 0..w {
            let patch = &mut out[((y - y0) * w + xx) * k..((y - y0) * w + xx + 1) * k];
            for ky in 0..3 {
                let iy = y as isize + ky as isize - 1;
                for kx in 0..3 {
                    let ix = xx as isize + kx as isize - 1;
                    let dst = &mut patch[(ky * 3 + kx) * c..(ky * 3 + kx + 1) * c];
                    if iy < 0 || iy >= h as isize || ix < 0 || ix >= w as isize {
                        dst.fill(0.0);
                    } else {
                        let off = (iy as usize * w + ix as usize) * c;
                        dst.copy_from_slice(&xs[off..off + c]);
                    }
                }
            }
        }
    }
}

/// 3×3 convolution, stride 1, zero padding 1: `out[y, x, co] = Σ w[ky, kx, ci, co] · x[y+ky-1, x+kx-1, ci] (+ b[co])`.
///
/// With at least [`WINOGRAD_MIN_CHANNELS`] input channels and [`WINOGRAD_MIN_PIXELS`] pixels the
/// Winograd algorithm is used;
/// otherwise im2col: large layers are split into row bands processed in parallel (one
/// single-threaded matrix product per band); small layers use one multi-threaded product.
pub fn conv3x3(x: &ArrayView3<f32>, kernel: &Kernel, post: Post<'_>) -> Array3<f32> {
    let c = x.dim().2;
    assert_eq!(
        c, kernel.c_in,
        "conv3x3: input channels do not match the kernel"
    );
    let xs_owned;
    let x = if x.is_standard_layout() {
        x.view()
    } else {
        xs_owned = x.as_standard_layout().to_owned();
        xs_owned.view()
    };
    let (h, w, _) = x.dim();
    if c >= WINOGRAD_MIN_CHANNELS && h * w >= WINOGRAD_MIN_PIXELS {
        let u = crate::winograd::transform_kernel(kernel);
        return crate::winograd::conv3x3_winograd(&x, kernel, &u, post);
    }
    conv3x3_im2col(&x, kernel, post)
}

/// 3×3 convolution by im2col + one matrix product per row band, whatever the channel count
/// (the baseline that [`conv3x3`] improves on with Winograd for wide layers).
pub fn conv3x3_im2col(x: &ArrayView3<f32>, kernel: &Kernel, post: Post<'_>) -> Array3<f32> {
    let (h, w, c) = x.dim();
    assert_eq!(
        c, kernel.c_in,
        "conv3x3: input channels do not match the kernel"
    );
    let xs_owned;
    let x = if x.is_standard_layout() {
        x.view()
    } else {
        xs_owned = x.as_standard_layout().to_owned();
        xs_owned.view()
    };
    let k = 9 * c;
    let co = kernel.c_out;
    let rows_per_band = (BAND_ELEMS / (k * w).max(1)).clamp(1, h.max(1));
    let n_bands = h.div_ceil(rows_per_band);
    let threads = rayon::current_num_threads();
    let mut out = vec![0f32; h * w * co];
    let band = |(b, dst): (usize, &mut [f32]), parallel: bool| {
        let y0 = b * rows_per_band;
        let y1 = (y0 + rows_per_band).min(h);
        let n = (y1 - y0) * w;
        let mut patches = vec![0f32; n * k];
        im2col_band(&x, y0, y1, &mut patches);
        matmul(n, co, k, &patches, &kernel.data, dst, parallel);
        if let Post::Bias(bias) = post {
            for px in dst.chunks_mut(co) {
                for (v, b) in px.iter_mut().zip(bias) {
                    *v += b;
                }
            }
        }
    };
    if n_bands >= 2 * threads {
        out.par_chunks_mut(rows_per_band * w * co)
            .enumerate()
            .for_each(|bd| band(bd, false));
    } else {
        out.chunks_mut(rows_per_band * w * co)
            .enumerate()
            .for_each(|bd| band(bd, true));
    }
    Array3::from_shape_vec((h, w, co), out).unwrap_or_else(|_| Array3::zeros((h, w, co)))
}

/// 2×2 max-pooling with stride 2 (floor: a trailing odd row/column is dropped, as in PyTorch and Keras).
pub fn maxpool2x2(x: &ArrayView3<f32>) -> Array3<f32> {
    let (h, w, c) = x.dim();
    let (ho, wo) = (h / 2, w / 2);
    let mut out = Array3::<f32>::zeros((ho, wo, c));
    out.axis_iter_mut(ndarray::Axis(0))
        .into_par_iter()
        .enumerate()
        .for_each(|(y, mut row)| {
            for xx in 0..wo {
                for ch in 0..c {
                    let a = x[[2 * y, 2 * xx, ch]];
                    let b = x[[2 * y, 2 * xx + 1, ch]];
                    let d = x[[2 * y + 1, 2 * xx, ch]];
                    let e = x[[2 * y + 1, 2 * xx + 1, ch]];
                    row[[xx, ch]] = a.max(b).max(d).max(e);
                }
            }
        });
    out
}

/// In-place ReLU.
pub fn relu_inplace(x: &mut Array3<f32>) {
    x.par_mapv_inplace(|v| v.max(0.0));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn naive_conv(x: &Array3<f32>, k: &Kernel, bias: &[f32]) -> Array3<f32> {
        let (h, w, _) = x.dim();
        let mut out = Array3::zeros((h, w, k.c_out));
        for y in 0..h {
            for xx in 0..w {
                for co in 0..k.c_out {
                    let mut s = bias[co] as f64;
                    for ky in 0..3 {
                        for kx in 0..3 {
                            let (iy, ix) =
                                (y as isize + ky as isize - 1, xx as isize + kx as isize - 1);
                            if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                continue;
                            }
                            for ci in 0..k.c_in {
                                s += (k.at(ky, kx, ci, co) * x[[iy as usize, ix as usize, ci]])
                                    as f64;
                            }
                        }
                    }
                    out[[y, xx, co]] = s as f32;
                }
            }
        }
        out
    }

    fn random(
        h: usize,
        w: usize,
        ci: usize,
        co: usize,
        seed: u64,
    ) -> (Array3<f32>, Kernel, Vec<f32>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let x = Array3::from_shape_fn((h, w, ci), |_| rng.gen_range(-1.0..1.0));
        let k = Kernel::from_hwio(
            ci,
            co,
            (0..9 * ci * co).map(|_| rng.gen_range(-1.0..1.0)).collect(),
        );
        let b = (0..co).map(|_| rng.gen_range(-1.0..1.0)).collect();
        (x, k, b)
    }

    #[test]
    fn conv_matches_naive_loops() {
        for (h, w, ci, co) in [(5, 7, 3, 4), (1, 1, 2, 2), (33, 17, 5, 6), (600, 40, 2, 3)] {
            let (x, k, b) = random(h, w, ci, co, 7);
            let fast = conv3x3(&x.view(), &k, Post::Bias(&b));
            let slow = naive_conv(&x, &k, &b);
            let err = (&fast - &slow).mapv(f32::abs).fold(0f32, |a, &v| a.max(v));
            assert!(err < 1e-4, "{h}x{w}: {err}");
        }
    }

    #[test]
    fn winograd_path_matches_naive_loops() {
        for (h, w, ci, co) in [
            (29, 27, 16, 4),
            (1, 784, 16, 3),
            (28, 29, 17, 5),
            (33, 31, 20, 9),
            (64, 64, 32, 8),
        ] {
            let (x, k, b) = random(h, w, ci, co, 11);
            let fast = conv3x3(&x.view(), &k, Post::Bias(&b));
            let slow = naive_conv(&x, &k, &b);
            let im2col = conv3x3_im2col(&x.view(), &k, Post::Bias(&b));
            let err_im2col = (&im2col - &slow)
                .mapv(f32::abs)
                .fold(0f32, |a, &v| a.max(v));
            assert!(err_im2col < 1e-4, "{err_im2col}");
            let err = (&fast - &slow).mapv(f32::abs).fold(0f32, |a, &v| a.max(v));
            assert!(err < 2e-5 * (9 * ci) as f32, "{h}x{w}x{ci}: {err}");
            eprintln!("{h}x{w}x{ci}: max abs error {err}");
        }
    }

    #[test]
    fn transposed_kernel_is_the_adjoint() {
        // <conv(x), s> == <x, conv_T(s)>
        let (x, k, _) = random(6, 5, 3, 4, 3);
        let (s, _, _) = random(6, 5, 4, 1, 4);
        let lhs = (&conv3x3(&x.view(), &k, Post::None) * &s).sum();
        let rhs = (&x * &conv3x3(&s.view(), &k.transposed(), Post::None)).sum();
        assert!(
            (lhs - rhs).abs() < 1e-3 * lhs.abs().max(1.0),
            "{lhs} vs {rhs}"
        );
    }

    #[test]
    fn winograd_transposed_kernel_is_the_adjoint() {
        let (x, k, _) = random(29, 31, 24, 20, 5);
        let (s, _, _) = random(29, 31, 20, 1, 6);
        let lhs = (&conv3x3(&x.view(), &k, Post::None) * &s).sum();
        let rhs = (&x * &conv3x3(&s.view(), &k.transposed(), Post::None)).sum();
        assert!(
            (lhs - rhs).abs() < 1e-4 * lhs.abs().max(1.0),
            "{lhs} vs {rhs}"
        );
    }

    #[test]
    fn maxpool_floors_odd_sides() {
        let x = Array3::from_shape_fn((5, 4, 1), |(y, x, _)| (y * 4 + x) as f32);
        let p = maxpool2x2(&x.view());
        assert_eq!(p.dim(), (2, 2, 1));
        assert_eq!(p[[1, 1, 0]], 15.0);
    }
}
