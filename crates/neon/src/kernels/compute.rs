//! How the blocked kernels compute: precision, tile sizes, path selection and the thresholds
//! shared by every model's blocked path.

use crate::error::{NeonError, Result};
use serde::{Deserialize, Serialize};

/// Floating-point precision of the matrix products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Double precision, agreeing with the per-point path to about `1e-12`.
    #[default]
    F64,
    /// Single-precision matrix products, double-precision exponentials and sums; within
    /// [`F32_TOLERANCE`] of `f64` on standardized data. The round-off this costs conservation
    /// (up to about `1e-6` of the score) is reported in the explanation's dissipated part,
    /// together with the ε term, so `score = Σ R + dissipated` still holds.
    F32,
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        })
    }
}

impl std::str::FromStr for Precision {
    type Err = NeonError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "f64" => Ok(Precision::F64),
            "f32" => Ok(Precision::F32),
            other => Err(NeonError::param(
                "precision",
                format!("unknown precision '{other}' (expected f64 or f32)"),
            )),
        }
    }
}

/// Documented tolerance of [`Precision::F32`] on standardized data (features of unit
/// variance, `γ` such that `γ · d` is of order 1): the score is within this relative error of
/// the `f64` score, and the relevance vector within this fraction of `|score| + Σ_i |R_i|` in
/// the L1 norm (measured by the tests of this module).
pub const F32_TOLERANCE: f64 = 1e-3;

/// Block sizes of the tiled kernels. They fix the order of every reduction, so results do not
/// depend on the number of threads; they only change speed and memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiles {
    /// Rows per block (`B_m`).
    pub rows: usize,
    /// Training points per tile (`B_n`).
    pub train: usize,
}

impl Default for Tiles {
    fn default() -> Self {
        Tiles {
            rows: 256,
            train: 2048,
        }
    }
}

impl Tiles {
    /// Bytes of working memory per worker thread for `d` features at `bytes` per number
    /// (see the module documentation).
    pub fn bytes_per_thread(&self, d: usize, bytes: usize) -> usize {
        let (m, n) = (self.rows, self.train);
        2 * m * n * bytes + 4 * n * 8 + m * (8 * d + 24) * 8
    }
}

/// Relative error bound (in units of the row's score) above which the batch outlier
/// explanation of a row is recomputed by the per-point path.
pub const FALLBACK_THRESHOLD: f64 = 1e-13;

/// Which path [`crate::FittedModel::explain_rows_with`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComputePath {
    /// Blocked kernels for [`BATCH_MIN_ROWS`] rows or more, per point below.
    #[default]
    Auto,
    /// Always the per-point explainers of [`crate::models`].
    PerPoint,
    /// Always the blocked kernels.
    Batch,
}

/// How the blocked KDE kernels get the squared distances `h_k` and the input step of the
/// squared-distance rule (§3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PairKernel {
    /// [`PairKernel::Direct`] in `f64` with at most [`DIRECT_MAX_FEATURES`] features
    /// ([`DIRECT_MAX_FEATURES_SCORING`] when only scoring), else [`PairKernel::Expanded`].
    #[default]
    Auto,
    /// From the differences `x_i − u_ki` themselves (`kernels::direct`): exact to rounding,
    /// about `7d` operations per pair. `f64` only.
    Direct,
    /// Through matrix products, `‖x‖² + ‖u‖² − 2 xᵀu` and the weights times `[1 | U | U∘U]`,
    /// with close pairs recomputed and a per-row round-off bound: faster for many features.
    Expanded,
}

impl std::str::FromStr for PairKernel {
    type Err = NeonError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(PairKernel::Auto),
            "direct" => Ok(PairKernel::Direct),
            "expanded" => Ok(PairKernel::Expanded),
            other => Err(NeonError::param(
                "pairs",
                format!("unknown pair kernel '{other}' (expected auto, direct or expanded)"),
            )),
        }
    }
}

/// Most features for which [`PairKernel::Auto`] computes pairs directly to explain (measured
/// on two cores at 30 000 × 30 000: 1.5× faster than the expansion at d = 16, 1.1× slower at
/// d = 32).
pub const DIRECT_MAX_FEATURES: usize = 16;

/// Most features for which [`PairKernel::Auto`] computes pairs directly only to score
/// (scoring needs no relevance, so the expansion's single matrix product pays sooner:
/// measured 1.5× faster direct at d = 6, 1.1× at d = 10, 1.1× slower at d = 16).
pub const DIRECT_MAX_FEATURES_SCORING: usize = 12;

/// How rows are computed: path, precision and tile sizes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Compute {
    /// Per-point or blocked.
    pub path: ComputePath,
    /// Precision of the blocked KDE kernels (random features and k-means always run in `f64`).
    pub precision: Precision,
    /// Tile sizes of the blocked kernels.
    pub tiles: Tiles,
    /// How the blocked KDE kernels compute pairs.
    pub pairs: PairKernel,
}

impl Compute {
    /// True if the blocked KDE kernels compute the pairs of `d` features directly
    /// ([`PairKernel`]), to explain or (`explaining` false) only to score;
    /// [`Precision::F32`] always goes through the matrix products.
    pub fn direct_pairs(&self, d: usize, explaining: bool) -> bool {
        let most = if explaining {
            DIRECT_MAX_FEATURES
        } else {
            DIRECT_MAX_FEATURES_SCORING
        };
        self.precision == Precision::F64
            && match self.pairs {
                PairKernel::Auto => d <= most,
                PairKernel::Direct => true,
                PairKernel::Expanded => false,
            }
    }

    /// True if `n_rows` rows go through the blocked kernels.
    pub fn batched(&self, n_rows: usize) -> bool {
        match self.path {
            ComputePath::Auto => n_rows >= BATCH_MIN_ROWS || self.precision == Precision::F32,
            ComputePath::PerPoint => false,
            ComputePath::Batch => true,
        }
    }
}

/// Number of rows from which [`ComputePath::Auto`] uses the blocked kernels.
pub const BATCH_MIN_ROWS: usize = 32;

/// Below this many (row, training point) pairs the blocked kernels run their row blocks on the
/// calling thread: a few hundred microseconds of work at most, less than handing the blocks to
/// the thread pool and waiting for them. The blocks and their order are the same either way,
/// so the results do not change.
pub const SERIAL_MAX_PAIRS: usize = 1 << 15;
