//! Gaussian kernel density estimation (§3): outlierness (§3.1), inlierness direct (§3.2) and
//! with random Fourier features (§3.3).

mod algorithm;
mod hyperparams;
mod random_features;

pub use algorithm::{Kde, KdeExplainer};
pub use hyperparams::{KdeParams, DEFAULT_EPSILON};
pub use random_features::RandomFeatureDraw;
