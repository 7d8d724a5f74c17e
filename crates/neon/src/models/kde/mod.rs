//! Gaussian kernel density estimation (§3): outlierness (§3.1), inlierness direct (§3.2) and
//! with random Fourier features (§3.3).

mod algorithm;
pub mod approx;
pub(crate) mod batch;
pub(crate) mod batch_rff;
mod hyperparams;
mod random_features;

pub use algorithm::{Kde, KdeExplainer};
pub use approx::{ApproxBound, ApproxKde, ApproxOutlier};
pub use batch::KdeBatch;
pub use hyperparams::{KdeParams, DEFAULT_EPSILON};
pub use random_features::RandomFeatureDraw;
