//! k-means clustering (§4): fitting with k-means++ restarts, or importing centroids fitted
//! elsewhere, and the neuralized cluster evidence `f_c(x) = min_{k≠c} ‖x−μ_k‖² − ‖x−μ_c‖²`
//! (Eq. 5, §4.1). What k-means explains is in `capabilities.rs`; the engine reaches it
//! through `model.rs`.

mod algorithm;
pub(crate) mod batch;
mod capabilities;
pub mod differentiable;
mod hyperparams;
mod model;

pub use algorithm::{KMeans, KMeansExplainer};
pub use capabilities::{CAPABILITIES, NAME};
pub use hyperparams::{KMeansError, KMeansParams, FIT_PARAMS};
