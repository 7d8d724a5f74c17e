//! Batch KDE outlierness and its explanation (§3.1) through the blocked kernel.
//!
//! For a block of rows and one tile of training points the kernel computes the squared
//! distances `h_k` by one matrix product, updates a running minimum `m` of `h_k` per row and
//! the running sums
//!
//! ```text
//!   Z_γ = Σ_k exp(−γ (h_k − m))            (log-mean-exp pooling, layer 2)
//!   Z_β = Σ_k exp(−β (h_k − m))            (soft argmin denominator)
//!   A   = Σ_k c_k,  B_i = Σ_k c_k u_ki,  C_i = Σ_k c_k u_ki²,   c_k = exp(−β (h_k − m)) / (ε + h_k)
//! ```
//!
//! where `A, B, C` come from one product of the weight tile `[c_k]` with `[1 | U | U∘U]`.
//! When the running minimum drops, the sums are rescaled by `exp(−β Δm)` (`exp(−γ Δm)` for
//! `Z_γ`): an online log-sum-exp, so each training tile is visited once. At the end
//! `o(x) = m − (ln Z_γ − ln N)/γ` and, with `p_k = exp(−β(h_k − m))/Z_β` and
//! `R_k = p_k o(x)`, the squared-distance rule
//! `R_i = Σ_k (x_i − u_ki)² R_k/(ε + h_k) = (o/Z_β)(x_i² A − 2 x_i B_i + C_i)` and the
//! dissipated part `(o/Z_β) ε A`.
//!
//! With few features ([`Compute::direct_pairs`]) the distances and the relevance come from the
//! differences themselves instead (`kernels::direct`): every pair is then treated as the close
//! pairs of the expansion are, `R_i = (o/Z_β) Σ_k c_k (x_i − u_ki)²`, with no matrix product
//! and no round-off bound to check.

use super::algorithm::Kde;
use crate::explain::Explanation;
use crate::kernels::direct::FeatureMajor;
use crate::kernels::distance::squared_norms;
use crate::kernels::math::{exp_nonpositive, min_of, pairwise_sum, sum_of};
use crate::kernels::{simd, Compute, Precision, Real, Tiles, FALLBACK_THRESHOLD, SERIAL_MAX_PAIRS};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis, Slice};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Scoring: pairs whose expanded distance is below this fraction of `‖x‖² + ‖u‖²` are
/// recomputed as `Σ_i (x_i − u_ki)²` (the expansion may have lost digits to cancellation).
const RECOMPUTE_FRACTION: f64 = 1e-2;

/// Explaining: pairs below this fraction are recomputed and their relevance
/// `c_k (x_i − u_ki)²` is added directly, not through the expansion. Every expanded pair then
/// has `‖x‖² + ‖u_k‖² ≤ 10 h_k`, which bounds the round-off of the expansion by
/// `2 · 16 · 10 ε o(x) < 10⁻¹³ o(x)` (see [`FALLBACK_THRESHOLD`]).
const DIRECT_FRACTION: f64 = 1e-1;

/// Most training points per tile of the direct kernels: a tile (`d × tile` numbers, 256 KiB
/// at d = 16) then stays in the second-level cache while a block of rows walks it, and a
/// row's per-tile buffers (4 × tile numbers) near the first.
const DIRECT_TILE_MAX: usize = 2048;

/// Fewest row blocks of a call to the direct kernels ([`KdeBatch::block_rows`]).
const DIRECT_MIN_BLOCKS: usize = 16;

/// Safety factor of the round-off estimate of the relevance expansion.
const ROUNDOFF_FACTOR: f64 = 16.0;

/// The centred training data `[1 | U | U∘U]` and `‖u_k‖²` in the compute type.
#[derive(Debug)]
struct Train<T> {
    augmented: Array2<T>,
    norms: Array1<T>,
    norms_f64: Array1<f64>,
}

impl<T: Real> Train<T> {
    fn new(centred: &Array2<f64>) -> Self {
        let (n, d) = centred.dim();
        let mut augmented = Array2::from_elem((n, 2 * d + 1), T::one());
        for (k, u) in centred.rows().into_iter().enumerate() {
            for (i, &v) in u.iter().enumerate() {
                augmented[[k, 1 + i]] = T::from_f64(v);
                augmented[[k, 1 + d + i]] = T::from_f64(v * v);
            }
        }
        let norms_f64 = squared_norms(centred.view());
        let norms = norms_f64.mapv(T::from_f64);
        Train {
            augmented,
            norms,
            norms_f64,
        }
    }
}

#[derive(Debug)]
enum TrainData {
    F64(Train<f64>),
    F32(Train<f32>),
    /// The training points as given, feature-major, for the direct kernels.
    Direct(FeatureMajor),
}

/// What a block computation returns per row.
#[derive(Debug, Clone)]
struct RowSums {
    min: f64,
    z_gamma: f64,
    z_beta: f64,
    /// `A, B_1..B_d, C_1..C_d`.
    acc: Vec<f64>,
    /// Soft-argmin weight of points with `ε + h_k = 0` (dissipated whole).
    degenerate: f64,
    n_active: usize,
}

impl RowSums {
    /// Lower the running minimum to `tile_min` if it is smaller, rescaling the sums by
    /// `exp(−γ Δm)` (`Z_γ`) and `exp(−β Δm)` (the rest): the online log-sum-exp.
    #[inline(always)]
    fn lower_min(&mut self, tile_min: f64, gamma: f64, beta: f64) {
        if tile_min < self.min {
            if self.min.is_finite() {
                let drop = self.min - tile_min;
                self.z_gamma *= exp_nonpositive(-gamma * drop);
                let factor = if beta == 0.0 {
                    1.0
                } else {
                    exp_nonpositive(-beta * drop)
                };
                self.z_beta *= factor;
                self.degenerate *= factor;
                for v in self.acc.iter_mut() {
                    *v *= factor;
                }
            }
            self.min = tile_min;
        }
    }
}

/// 1 if `γ = 2β`, 2 if `γ = 4β` (the γ weights are then squares of the β weights, within a few
/// ulp of their own exponential), else 0; always 0 when only scoring.
fn squarings(explain: Option<(f64, f64)>, gamma: f64) -> u32 {
    match explain {
        Some((beta, _)) if beta > 0.0 && gamma == 2.0 * beta => 1,
        Some((beta, _)) if beta > 0.0 && gamma == 4.0 * beta => 2,
        _ => 0,
    }
}

/// The weights of a tile of distances `h` shifted by the running minimum: `exp(−γ (h − m))`
/// into `w_gamma`, and with `beta` the soft-argmin weights `exp(−β (h − m))` (`w_gamma`
/// itself when `β = γ`, else `w_beta`; `β = 0` gives 1 for every finite `h`). Returns the two
/// weight slices.
#[inline(always)]
fn tile_weights<'b>(
    h: &[f64],
    shift: f64,
    gamma: f64,
    beta: Option<f64>,
    squarings: u32,
    w_gamma: &'b mut [f64],
    w_beta: &'b mut [f64],
) -> (&'b [f64], Option<&'b [f64]>) {
    // exp(−∞) = 0 for a left-out point
    match beta {
        Some(beta) if squarings > 0 => {
            // γ = 2β or 4β: exp(−γ Δ) = exp(−β Δ)² or ⁴, one exponential per pair
            for ((wb, wg), &h) in w_beta.iter_mut().zip(w_gamma.iter_mut()).zip(h) {
                let w = exp_nonpositive(-beta * (h - shift));
                let w2 = w * w;
                *wb = w;
                *wg = if squarings == 1 { w2 } else { w2 * w2 };
            }
            (w_gamma, Some(w_beta))
        }
        _ => {
            for (w, &h) in w_gamma.iter_mut().zip(h) {
                *w = exp_nonpositive(-gamma * (h - shift));
            }
            match beta {
                None => (w_gamma, None),
                Some(beta) if beta == gamma => {
                    let w: &'b [f64] = w_gamma;
                    (w, Some(w))
                }
                Some(beta) => {
                    for (w, &h) in w_beta.iter_mut().zip(h) {
                        *w = if beta == 0.0 {
                            if h.is_finite() {
                                1.0
                            } else {
                                0.0
                            }
                        } else {
                            exp_nonpositive(-beta * (h - shift))
                        };
                    }
                    (w_gamma, Some(w_beta))
                }
            }
        }
    }
}

/// The weights `c_k = w_k / (ε + h_k)` of the squared-distance rule (§3.1) for the soft-argmin
/// weights `w` and distances `h` of a tile, into `out` in the compute type; where
/// `ε + h_k ≤ 0` the weight is 0 and `w_k` is added to `degenerate` (dissipated whole).
#[inline(always)]
fn rule_weights<T: Real>(w: &[f64], h: &[f64], epsilon: f64, out: &mut [T], degenerate: &mut f64) {
    let mut any = false;
    for ((out, &w), &h) in out.iter_mut().zip(w).zip(h) {
        let denominator = epsilon + h;
        any |= denominator <= 0.0;
        *out = T::from_f64(if denominator > 0.0 {
            w / denominator
        } else {
            0.0
        });
    }
    if any {
        for (&w, &h) in w.iter().zip(h) {
            if epsilon + h <= 0.0 {
                *degenerate += w;
            }
        }
    }
}

/// Logical lanes of [`sums_in_lanes`].
const SUM_LANES: usize = 16;

/// `(Σ a, Σ b, Σ c)` over slices of one length, each in [`SUM_LANES`] partial sums in index
/// order, added pairwise at the end: a fixed order, the same bits whatever the vector width,
/// and a loop not bound by the latency of one chain of additions.
#[inline(always)]
fn sums_in_lanes(a: &[f64], b: &[f64], c: &[f64]) -> (f64, f64, f64) {
    const L: usize = SUM_LANES;
    let mut sa = [0.0f64; L];
    let mut sb = [0.0f64; L];
    let mut sc = [0.0f64; L];
    let (mut ca, mut cb, mut cc) = (a.chunks_exact(L), b.chunks_exact(L), c.chunks_exact(L));
    for ((xa, xb), xc) in (&mut ca).zip(&mut cb).zip(&mut cc) {
        for l in 0..L {
            sa[l] += xa[l];
            sb[l] += xb[l];
            sc[l] += xc[l];
        }
    }
    for (l, ((&va, &vb), &vc)) in ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .zip(cc.remainder())
        .enumerate()
    {
        sa[l] += va;
        sb[l] += vb;
        sc[l] += vc;
    }
    (pairwise_sum(sa), pairwise_sum(sb), pairwise_sum(sc))
}

/// A KDE prepared for batch scoring and outlier explanation (§3.1) with the blocked kernel.
#[derive(Debug)]
pub struct KdeBatch<'a> {
    kde: &'a Kde,
    mean: Array1<f64>,
    train: TrainData,
    tiles: Tiles,
    precision: Precision,
    fallbacks: AtomicUsize,
}

impl<'a> KdeBatch<'a> {
    /// Prepare `kde` for the precision, tiles and pair kernel of `compute`: lay the training
    /// points out feature-major for the direct kernels (`N d` numbers), or centre them at
    /// their mean and build `[1 | U | U∘U]` (`N (2d + 1)` numbers of the compute precision).
    pub fn new(kde: &'a Kde, compute: &Compute) -> Self {
        Self::prepare(kde, compute, true)
    }

    /// [`KdeBatch::new`] for [`KdeBatch::outlier_scores`] only: [`PairKernel::Auto`] then
    /// chooses the direct kernels by [`DIRECT_MAX_FEATURES_SCORING`].
    ///
    /// [`PairKernel::Auto`]: crate::kernels::PairKernel::Auto
    /// [`DIRECT_MAX_FEATURES_SCORING`]: crate::kernels::DIRECT_MAX_FEATURES_SCORING
    pub fn for_scores(kde: &'a Kde, compute: &Compute) -> Self {
        Self::prepare(kde, compute, false)
    }

    fn prepare(kde: &'a Kde, compute: &Compute, explaining: bool) -> Self {
        let (precision, tiles) = (compute.precision, compute.tiles);
        let tiles = Tiles {
            rows: tiles.rows.max(1),
            train: tiles.train.max(1),
        };
        let (mean, train) = if compute.direct_pairs(kde.n_features(), explaining) {
            let laid_out = FeatureMajor::new(kde.points.view(), tiles.train.min(DIRECT_TILE_MAX));
            (Array1::zeros(kde.n_features()), TrainData::Direct(laid_out))
        } else {
            let mean = kde
                .points
                .mean_axis(Axis(0))
                .unwrap_or_else(|| Array1::zeros(kde.n_features()));
            let centred = &kde.points - &mean;
            let train = match precision {
                Precision::F64 => TrainData::F64(Train::new(&centred)),
                Precision::F32 => TrainData::F32(Train::new(&centred)),
            };
            (mean, train)
        };
        KdeBatch {
            kde,
            mean,
            train,
            tiles,
            precision,
            fallbacks: AtomicUsize::new(0),
        }
    }

    /// The tile sizes in use.
    pub fn tiles(&self) -> Tiles {
        self.tiles
    }

    /// Number of rows so far whose explanation was recomputed by the per-point path because
    /// the round-off bound of the expansion was too large.
    pub fn fallbacks(&self) -> usize {
        self.fallbacks.load(Ordering::Relaxed)
    }

    /// Outlierness `o(x)` (§3.1) of `rows` of `points`; with `leave_one_out`, row `r` is scored
    /// against the model without training point `r`.
    pub fn outlier_scores(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
    ) -> Vec<f64> {
        let gamma = self.kde.gamma;
        let block = |chunk: &[usize]| -> Vec<f64> {
            let sums = self.block_sums(points, chunk, leave_one_out, None);
            sums.into_iter()
                .map(|s| s.min - (s.z_gamma.ln() - (s.n_active as f64).ln()) / gamma)
                .collect()
        };
        self.map_blocks(rows, block)
    }

    /// `block` applied to the row blocks of `rows` in order, results concatenated: on the
    /// calling thread when [`KdeBatch::serial`], else in parallel (the same blocks either way).
    fn map_blocks<T: Send>(
        &self,
        rows: &[usize],
        block: impl Fn(&[usize]) -> Vec<T> + Sync + Send,
    ) -> Vec<T> {
        let size = self.block_rows(rows.len());
        if self.serial(rows.len()) {
            rows.chunks(size).flat_map(block).collect()
        } else {
            rows.par_chunks(size).flat_map_iter(block).collect()
        }
    }

    /// Rows per block for a call with `n_rows` rows: [`Tiles::rows`], or, for the direct
    /// kernels, whose rows do not depend on each other (any block size gives the same
    /// numbers), at least [`DIRECT_MIN_BLOCKS`] blocks so that a few hundred rows keep every
    /// thread busy to the end.
    fn block_rows(&self, n_rows: usize) -> usize {
        match self.train {
            TrainData::Direct(_) => n_rows.div_ceil(DIRECT_MIN_BLOCKS).clamp(1, self.tiles.rows),
            _ => self.tiles.rows,
        }
    }

    /// True if `n_rows` rows are cheap enough to run their blocks on the calling thread (one
    /// block, or fewer than [`SERIAL_MAX_PAIRS`] pairs with the training points).
    pub fn serial(&self, n_rows: usize) -> bool {
        n_rows <= self.tiles.rows
            || n_rows.saturating_mul(self.kde.points.nrows()) < SERIAL_MAX_PAIRS
    }

    /// Outlier explanations (§3.1) of `rows` of `points`, in order: soft argmin with stiffness
    /// `beta`, then the squared-distance rule with stabiliser `epsilon`. `progress` is called
    /// with the number of rows finished after each block.
    pub fn explain_outlier(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        beta: f64,
        epsilon: f64,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<Explanation> {
        let gamma = self.kde.gamma;
        let d = self.kde.n_features();
        let block = |chunk: &[usize]| -> Vec<Explanation> {
            let sums = self.block_sums(points, chunk, leave_one_out, Some((beta, epsilon)));
            let out: Vec<Explanation> = chunk
                .iter()
                .zip(sums)
                .map(|(&row, s)| {
                    let x = points.row(row);
                    let exclude = leave_one_out.then_some(row);
                    let score = s.min - (s.z_gamma.ln() - (s.n_active as f64).ln()) / gamma;
                    let scale = score / s.z_beta;
                    let a = s.acc[0];
                    let width = 2 * d + 1;
                    let direct = &s.acc[width..width + d];
                    let a_direct = s.acc[width + d];
                    let mut relevance = Vec::with_capacity(d);
                    let mut worst: f64 = 0.0;
                    for i in 0..d {
                        let xc = x[i] - self.mean[i];
                        let (b, c) = (s.acc[1 + i], s.acc[1 + d + i]);
                        let expanded = xc * xc * a - 2.0 * xc * b + c;
                        relevance.push(scale * (expanded.max(0.0) + direct[i]));
                        let magnitude = xc.abs() * a.sqrt() + c.max(0.0).sqrt();
                        worst = worst.max(magnitude * magnitude);
                    }
                    let dissipated = scale * (epsilon * (a + a_direct) + s.degenerate);
                    let bound = ROUNDOFF_FACTOR * f64::EPSILON * worst * scale.abs();
                    let trusted = score.is_finite()
                        && scale.is_finite()
                        && bound <= FALLBACK_THRESHOLD * score.abs();
                    if self.precision == Precision::F64 && !trusted {
                        self.fallbacks.fetch_add(1, Ordering::Relaxed);
                        let (score, relevance, dissipated) =
                            self.kde.explain_outlier(x, exclude, beta, epsilon);
                        return Explanation::new(row, score, relevance, dissipated);
                    }
                    if self.precision == Precision::F32 {
                        // single-precision products lose conservation in the last digits
                        // (up to ~1e-6 relative); that round-off is reported as dissipated,
                        // so score = Σ R + dissipated holds to f64 rounding
                        let total: f64 = relevance.iter().sum();
                        let dissipated = score - total;
                        return Explanation::new(row, score, relevance, dissipated);
                    }
                    Explanation::new(row, score, relevance, dissipated)
                })
                .collect();
            progress(chunk.len());
            out
        };
        self.map_blocks(rows, block)
    }

    /// Empty running sums for `rows`: `[A | B | C]` from the products, then the direct
    /// relevance and its `Σ c_k` when explaining.
    fn initial_sums(&self, rows: &[usize], leave_one_out: bool, explain: bool) -> Vec<RowSums> {
        let (n, d) = self.kde.points.dim();
        rows.iter()
            .map(|&r| RowSums {
                min: f64::INFINITY,
                z_gamma: 0.0,
                z_beta: 0.0,
                acc: vec![0.0; if explain { 2 * d + 1 + d + 1 } else { 0 }],
                degenerate: 0.0,
                n_active: n - usize::from(leave_one_out && r < n),
            })
            .collect()
    }

    /// Running sums of one block of rows over every training tile, in tile order.
    fn block_sums(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        explain: Option<(f64, f64)>,
    ) -> Vec<RowSums> {
        match &self.train {
            // the per-pair loops compiled for AVX2 where the CPU has it (same bits)
            TrainData::F64(t) => simd::wide(
                #[inline(always)]
                || self.block_sums_typed(t, points, rows, leave_one_out, explain),
            ),
            TrainData::F32(t) => simd::wide(
                #[inline(always)]
                || self.block_sums_typed(t, points, rows, leave_one_out, explain),
            ),
            TrainData::Direct(t) => simd::wide(
                #[inline(always)]
                || self.block_sums_direct(t, points, rows, leave_one_out, explain),
            ),
        }
    }

    /// [`KdeBatch::block_sums`] from the differences themselves: every pair goes the way the
    /// close pairs of the expanded kernel go (direct relevance, `acc[..2d + 1]` stays zero).
    /// Three passes per row and tile: distances and their minimum, the weights and their sums,
    /// the weighted squares.
    #[inline(always)]
    fn block_sums_direct(
        &self,
        train: &FeatureMajor,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        explain: Option<(f64, f64)>,
    ) -> Vec<RowSums> {
        let kde = self.kde;
        let gamma = kde.gamma;
        let d = kde.n_features();
        let width = 2 * d + 1;
        let x_raw: Vec<f64> = rows
            .iter()
            .flat_map(|&row| points.row(row).to_vec())
            .collect();
        let mut sums = self.initial_sums(rows, leave_one_out, explain.is_some());
        let (beta, epsilon) = explain.unwrap_or((gamma, 0.0));
        let squarings = squarings(explain, gamma);
        let tile = train.width();
        let mut h = vec![0.0f64; tile];
        let mut w_gamma = vec![0.0f64; tile];
        let mut w_beta = vec![0.0f64; tile];
        let mut c = vec![0.0f64; tile];
        for t in 0..train.n_tiles() {
            let points_here = train.points(t);
            for ((s, x), &row) in sums.iter_mut().zip(x_raw.chunks_exact(d.max(1))).zip(rows) {
                let excluded =
                    (leave_one_out && points_here.contains(&row)).then(|| row - points_here.start);
                // +∞ on the padding and the left-out point: weights 0 there
                let tile_min = train.squared_distances(t, x, excluded, &mut h);
                s.lower_min(tile_min, gamma, beta);
                let (w_gamma, w_beta) = tile_weights(
                    &h,
                    s.min,
                    gamma,
                    explain.map(|_| beta),
                    squarings,
                    &mut w_gamma,
                    &mut w_beta,
                );
                let Some(w_beta) = w_beta else {
                    s.z_gamma += sum_of(w_gamma);
                    continue;
                };
                rule_weights(w_beta, &h, epsilon, &mut c, &mut s.degenerate);
                let (z_gamma, z_beta, c_sum) = sums_in_lanes(w_gamma, w_beta, &c);
                s.z_gamma += z_gamma;
                s.z_beta += z_beta;
                let (direct, a_direct) = s.acc[width..].split_at_mut(d);
                train.weighted_squares(t, x, &c, direct);
                a_direct[0] += c_sum;
            }
        }
        sums
    }

    #[inline(always)]
    fn block_sums_typed<T: Real>(
        &self,
        train: &Train<T>,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        explain: Option<(f64, f64)>,
    ) -> Vec<RowSums> {
        let kde = self.kde;
        let gamma = kde.gamma;
        let (n, d) = kde.points.dim();
        let m = rows.len();
        let width = 2 * d + 1;
        // centred rows in the compute type, their norms in both types
        let mut xc = Array2::<T>::zeros((m, d));
        let mut x_norms_f64 = Array1::<f64>::zeros(m);
        for (r, &row) in rows.iter().enumerate() {
            let mut norm = 0.0;
            for i in 0..d {
                let v = points[[row, i]] - self.mean[i];
                xc[[r, i]] = T::from_f64(v);
                norm += v * v;
            }
            x_norms_f64[r] = norm;
        }
        let x_norms = x_norms_f64.mapv(T::from_f64);
        let excluded: Vec<Option<usize>> = rows
            .iter()
            .map(|&r| (leave_one_out && r < n).then_some(r))
            .collect();
        let mut sums = self.initial_sums(rows, leave_one_out, explain.is_some());
        let tile = self.tiles.train.min(n);
        let mut dist = vec![T::zero(); m * tile];
        let mut weights = vec![T::zero(); m * tile];
        let mut products = Array2::<T>::zeros((m, width));
        let mut h_row = vec![0.0f64; tile];
        let mut w_gamma = vec![0.0f64; tile];
        let mut w_beta = vec![0.0f64; tile];
        let mut close: Vec<usize> = Vec::new();
        // (x_i − u_ki)² of the close pairs of a row, d per pair
        let mut close_squares: Vec<f64> = Vec::new();
        // the rows and the training points as given (not centred), contiguous, for the close
        // pairs recomputed from their differences
        let x_raw: Vec<f64> = rows
            .iter()
            .flat_map(|&row| points.row(row).to_vec())
            .collect();
        let train_standard = kde.points.as_standard_layout();
        let train_raw = train_standard.as_slice().unwrap_or(&[]);
        let fraction = if explain.is_some() {
            DIRECT_FRACTION
        } else {
            RECOMPUTE_FRACTION
        };
        let (beta, epsilon) = explain.unwrap_or((gamma, 0.0));
        let squarings = squarings(explain, gamma);
        let mut start = 0;
        while start < n {
            let end = (start + tile).min(n);
            let len = end - start;
            let u_rows = train.augmented.slice_axis(Axis(0), Slice::from(start..end));
            let u = u_rows.slice_axis(Axis(1), Slice::from(1..=d));
            let u_norms = &train.norms.as_slice().unwrap_or(&[])[start..end];
            let u_norms64 = &train.norms_f64.as_slice().unwrap_or(&[])[start..end];
            {
                // −2 X Uᵀ, computed as its transpose U (−2 Xᵀ) written through a transposed view:
                // matrixmultiply runs 3–6× faster in this orientation for small d (measured:
                // 26 → 93 GFLOP/s at d = 16), and the tile stays row-major for the loops below.
                let dist_tile = ArrayViewMut2::from_shape((m, len), &mut dist[..m * len])
                    .expect("the buffer holds m × len numbers");
                general_mat_mul(
                    T::from_f64(-2.0),
                    &u,
                    &xc.t(),
                    T::zero(),
                    &mut dist_tile.reversed_axes(),
                );
            }
            for r in 0..m {
                let s = &mut sums[r];
                let xn = x_norms[r];
                let xn64 = x_norms_f64[r];
                let h_row = &mut h_row[..len];
                let mut recompute = false;
                for (((h_out, &g), &un), &un64) in h_row
                    .iter_mut()
                    .zip(&dist[r * len..(r + 1) * len])
                    .zip(u_norms)
                    .zip(u_norms64)
                {
                    let h = (g + xn + un).to_f64().max(0.0);
                    recompute |= h < fraction * (xn64 + un64);
                    *h_out = h;
                }
                let excluded_here = excluded[r].filter(|k| (start..end).contains(k));
                close.clear();
                close_squares.clear();
                if !recompute {
                    // only the left-out point changes (no other pair is close)
                    if let Some(k) = excluded_here {
                        h_row[k - start] = f64::INFINITY;
                    }
                } else {
                    if let Some(k) = excluded_here {
                        h_row[k - start] = f64::INFINITY;
                    }
                    let x = &x_raw[r * d..(r + 1) * d];
                    // scan in groups of 8 with a branch-free test; close pairs are rare
                    for (group, (hs, uns)) in
                        h_row.chunks_mut(8).zip(u_norms64.chunks(8)).enumerate()
                    {
                        let any = hs
                            .iter()
                            .zip(uns)
                            .fold(false, |a, (&h, &un)| a | (h < fraction * (xn64 + un)));
                        if !any {
                            continue;
                        }
                        for (offset, (h, &un)) in hs.iter_mut().zip(uns).enumerate() {
                            if *h < fraction * (xn64 + un) {
                                // the differences themselves, kept for the direct relevance
                                let j = group * 8 + offset;
                                let k = start + j;
                                let u = &train_raw[k * d..(k + 1) * d];
                                let first = close_squares.len();
                                close_squares
                                    .extend(x.iter().zip(u).map(|(&a, &b)| (a - b) * (a - b)));
                                *h = sum_of(&close_squares[first..]);
                                close.push(j);
                            }
                        }
                    }
                }
                s.lower_min(min_of(h_row), gamma, beta);
                let (w_gamma, w_beta) = tile_weights(
                    h_row,
                    s.min,
                    gamma,
                    explain.map(|_| beta),
                    squarings,
                    &mut w_gamma[..len],
                    &mut w_beta[..len],
                );
                s.z_gamma += sum_of(w_gamma);
                let Some(w_beta) = w_beta else {
                    continue;
                };
                s.z_beta += sum_of(w_beta);
                rule_weights(
                    w_beta,
                    h_row,
                    epsilon,
                    &mut weights[r * len..(r + 1) * len],
                    &mut s.degenerate,
                );
                // close pairs: relevance from the differences themselves, not the expansion
                for (&j, squares) in close.iter().zip(close_squares.chunks_exact(d.max(1))) {
                    weights[r * len + j] = T::zero();
                    let denominator = epsilon + h_row[j];
                    if denominator <= 0.0 {
                        continue; // dissipated whole above
                    }
                    let c = w_beta[j] / denominator;
                    let (direct, a_direct) = s.acc[width..].split_at_mut(d);
                    for (out, &q) in direct.iter_mut().zip(squares) {
                        *out += c * q;
                    }
                    a_direct[0] += c;
                }
            }
            if explain.is_some() {
                general_mat_mul(
                    T::one(),
                    &ArrayView2::from_shape((m, len), &weights[..m * len])
                        .expect("the buffer holds m × len numbers"),
                    &train.augmented.slice_axis(Axis(0), Slice::from(start..end)),
                    T::zero(),
                    &mut products,
                );
                for (s, p) in sums.iter_mut().zip(products.rows()) {
                    for (a, &v) in s.acc.iter_mut().zip(p.iter()) {
                        *a += v.to_f64();
                    }
                }
            }
            start = end;
        }
        sums
    }
}
