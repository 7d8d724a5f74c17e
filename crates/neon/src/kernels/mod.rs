//! Blocked, multi-threaded kernels for explaining many rows against many training points.
//! They take arrays and parameters and import nothing from [`crate::models`]: the models'
//! batch paths (`models/*/batch.rs`) assemble them.
//!
//! The per-point explainers of [`crate::models`] follow the chapter's networks literally: one
//! forward pass over every training point, then one backward pass (§2.2, §3.1). This module
//! computes the same quantities for a whole matrix of rows at once with matrix products, so that
//! the cost of explaining is the cost of a few matrix multiplications:
//!
//! - squared distances `h_k = ‖x − u_k‖²` of §3.1 as `‖x‖² + ‖u_k‖² − 2 xᵀu_k`, clamped at 0,
//!   on data centred at the training mean ([`distance`]);
//! - the outlier rule's input step `Σ_k c_k (x − u_k)_i²` of §3.1 expanded as
//!   `x_i² Σ_k c_k − 2 x_i Σ_k c_k u_ki + Σ_k c_k u_ki²` with `c_k = p_k · o(x) / (ε + h_k)`,
//!   i.e. one product of the weight tile with `[1 | U | U∘U]` (`models::kde::KdeBatch`);
//! - with few features (at most [`DIRECT_MAX_FEATURES`], in `f64`), both of the above from the
//!   differences `x_i − u_ki` themselves instead, exact to rounding and cheaper than two thin
//!   matrix products ([`direct`], chosen by [`PairKernel`]);
//! - the log-mean-exp pooling and the soft argmin streamed across tiles of training points
//!   with an online (running-minimum) log-sum-exp, so no row ever holds all `N` distances;
//! - the random-feature layer of §3.3 as `X Ωᵀ`, then `cos`, and the w² rule as a product
//!   ([`rff`], `models::kde`);
//! - cluster evidence (Eq. 5, §4.1) and k-means fitting (k-means++ seeding and Lloyd
//!   iterations) through the same blocked distance kernel ([`kmeans`], `models::kmeans`);
//! - an approximate KDE mode with a certified bound on the neglected kernel mass (`models::kde::ApproxKde`).
//!
//! ```
//! use ndarray::Array2;
//! use neon_xai::kernels::{Compute, Tiles};
//! use neon_xai::models::kde::ApproxKde;
//! use neon_xai::models::{BatchExplainer, ExplainOptions, FittedModel, Kde, KdeParams, Queries, Target};
//!
//! let train = Array2::from_shape_fn((500, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f64 / 5.0);
//! let rows = Array2::from_shape_fn((100, 3), |(i, j)| ((i + j) % 5) as f64);
//! let kde = Kde::fit(KdeParams::new(1.0), train.view()).unwrap();
//! let model = FittedModel::Kde(kde.clone());
//! // exact, blocked: the same numbers as the per-point explainer, to about 1e-12
//! let all: Vec<usize> = (0..100).collect();
//! let batch = BatchExplainer::new(&model, Target::Outlier, &ExplainOptions::default(),
//!                                 &Compute::default(), all.len()).unwrap();
//! let exact = batch.explain(Queries::Points(rows.view()), &all, &|_| {});
//! // approximate, with a certified bound per row
//! let approx = ApproxKde::new(&kde, 1e-9, Tiles::default()).unwrap();
//! let fast = approx.explain_outlier(rows.view(), &all, false, 1.0, 1e-9, &|_| {});
//! for (e, a) in exact.iter().zip(&fast) {
//!     assert!(a.explanation.score >= e.score - 1e-9);
//!     assert!(a.explanation.score - e.score <= a.bound.score_bound + 1e-9);
//! }
//! ```
//!
//! # Tiling and peak memory
//!
//! Rows are cut into blocks of [`Tiles::rows`] rows and training points into tiles of
//! [`Tiles::train`] points. One rayon task handles one row block and walks the training tiles
//! in index order, so the rows × training-points matrix is never materialised. With `B_m`
//! rows per block, `B_n` points per tile, `d` features, `T` worker threads and `s` bytes per
//! number (8 for `f64`, 4 for `f32`), the memory added on top of the model and the input rows
//! is at most
//!
//! ```text
//!   N (2d + 2) s + 8 N                  centred training data [1 | U | U∘U] and ‖u_k‖², once
//! + T (2 B_m B_n s + 4 B_n · 8 + B_m (8d + 24) · 8)
//!                                     per worker: distance and weight tiles, per-row
//!                                     exponentials, products, running sums, the block's output
//! ```
//!
//! With the defaults (`B_m = 256`, `B_n = 2048`) that is 8.1 MiB + 16 KiB × d per thread
//! (f64) plus `N (2d + 2) s + 8N`, whatever the number of rows; the explanations returned
//! (`d + 4` numbers per row) come on top, and the streaming CLI bounds them by its chunk.
//!
//! # Determinism
//!
//! The blocks are fixed by [`Tiles`] and not by the number of threads; each row block walks
//! its tiles in order, and every reduction over row blocks (k-means sums, inertia) is done in
//! block order after the parallel part. The results are bit-for-bit identical for any number
//! of threads.
//!
//! # Precision
//!
//! In `f64` ([`Precision::F64`]) the batch results agree with the per-point path to about
//! `1e-12` relative to the row's score. The direct kernels compute every distance and every
//! relevance term as the per-point path does; only the order of the sums over training points
//! differs. In the expanded kernels, pairs whose expanded distance may have lost digits to
//! cancellation (`h_k < 10⁻² (‖x‖² + ‖u_k‖²)`) are recomputed as `Σ (x_i − u_ki)²`, and a row
//! whose relevance expansion has an error bound above `1e-13` of its score is recomputed by
//! the per-point path. The exponentials of a tile use [`math::exp_nonpositive`] (within 2 ulp
//! of the C library's `exp`, but vectorised; with `γ = 2β` or `4β` the γ weights are the
//! squared β weights, a few ulp from their own exponential). [`Precision::F32`] runs the two
//! matrix products in `f32` (exponentials and sums in `f64`, without the per-row fallback);
//! see [`F32_TOLERANCE`].

mod compute;
pub mod direct;
pub mod distance;
pub mod kmeans;
pub mod math;
mod real;
pub mod rff;
pub mod simd;

pub use compute::{
    Compute, ComputePath, PairKernel, Precision, Tiles, BATCH_MIN_ROWS, DIRECT_MAX_FEATURES,
    DIRECT_MAX_FEATURES_SCORING, F32_TOLERANCE, FALLBACK_THRESHOLD, SERIAL_MAX_PAIRS,
};
pub use real::Real;
