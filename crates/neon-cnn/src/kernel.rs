//! The 3×3 convolution kernel as the `(9·C_in) × C_out` matrix of the im2col product, the
//! post-processing of a convolution output, and the matrix product both convolution
//! algorithms ([`crate::ops`], [`crate::winograd`]) run on.

use rayon::prelude::*;

/// A 3×3 convolution kernel flattened to the `(9·C_in) × C_out` matrix of the im2col product.
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Row-major `(9·c_in) × c_out` data, row index `(ky·3 + kx)·c_in + ci` (HWIO flattened).
    pub data: Vec<f32>,
}

impl Kernel {
    /// Kernel from HWIO data `(3, 3, c_in, c_out)` flattened row-major.
    pub fn from_hwio(c_in: usize, c_out: usize, data: Vec<f32>) -> Self {
        debug_assert_eq!(data.len(), 9 * c_in * c_out);
        Kernel { c_in, c_out, data }
    }

    /// The same kernel with every weight replaced by `f(w)` (the parameter modifiers of LRP rules).
    pub fn map(&self, f: impl Fn(f32) -> f32 + Sync) -> Kernel {
        Kernel {
            c_in: self.c_in,
            c_out: self.c_out,
            data: self.data.par_iter().map(|&w| f(w)).collect(),
        }
    }

    /// Weight `w[ky, kx, ci, co]`.
    pub fn at(&self, ky: usize, kx: usize, ci: usize, co: usize) -> f32 {
        self.data[((ky * 3 + kx) * self.c_in + ci) * self.c_out + co]
    }

    /// The kernel of the transposed convolution: `w'[ky, kx, co, ci] = w[2-ky, 2-kx, ci, co]`.
    /// Convolving output-shaped "gradients" with it gives `Σ_j w_ij s_j` at every input position,
    /// the backward step shared by every LRP rule.
    pub fn transposed(&self) -> Kernel {
        let (ci_n, co_n) = (self.c_in, self.c_out);
        let mut data = vec![0f32; self.data.len()];
        data.par_chunks_mut(co_n * ci_n)
            .enumerate()
            .for_each(|(kk, dst)| {
                let (ky, kx) = (kk / 3, kk % 3);
                let src_k = (2 - ky) * 3 + (2 - kx);
                for co in 0..co_n {
                    for ci in 0..ci_n {
                        dst[co * ci_n + ci] = self.data[(src_k * ci_n + ci) * co_n + co];
                    }
                }
            });
        Kernel {
            c_in: co_n,
            c_out: ci_n,
            data,
        }
    }
}

/// `c (m×n) = a (m×k) · b (k×n)`, all row-major and contiguous, computed by the `gemm` crate.
#[allow(unsafe_code)]
pub(crate) fn matmul(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    parallel: bool,
) {
    assert!(
        a.len() >= m * k && b.len() >= k * n && c.len() >= m * n,
        "matmul: slice shorter than its shape"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c[..m * n].fill(0.0);
        return;
    }
    let par = if parallel {
        gemm::Parallelism::Rayon(rayon::current_num_threads())
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the assert above guarantees that `a` holds m·k, `b` holds k·n and `c` holds m·n
    // elements; with unit column stride and row strides k, n, n every index gemm touches is in
    // bounds. `c` is borrowed mutably and does not alias `a` or `b` (distinct borrows).
    // `read_dst = false`, so the destination is overwritten with `1.0 · a·b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            1,
            n as isize,
            0.0f32,
            1.0f32,
            false,
            false,
            false,
            par,
        );
    }
}

/// Element-wise post-processing of a convolution output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Post<'a> {
    /// Nothing.
    None,
    /// Add a per-channel bias.
    Bias(&'a [f32]),
}
