//! Gaussian kernel density estimation (§3): outlierness (§3.1), inlierness direct (§3.2) and
//! with random Fourier features (§3.3). What a KDE explains is in `capabilities.rs`; the
//! engine reaches it through `model.rs`.

mod algorithm;
pub mod approx;
pub mod bandwidth;
pub(crate) mod batch;
pub(crate) mod batch_rff;
mod capabilities;
pub mod differentiable;
mod hyperparams;
mod model;
mod random_features;

pub use algorithm::{Kde, KdeExplainer};
pub use approx::{ApproxBound, ApproxKde, ApproxOutlier, TreeChoice};
pub use batch::KdeBatch;
pub use capabilities::{CAPABILITIES, NAME};
pub use hyperparams::{KdeError, KdeParams, DEFAULT_BETA_FACTOR, DEFAULT_EPSILON, FIT_PARAMS};
pub use random_features::RandomFeatureDraw;
