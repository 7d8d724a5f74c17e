//! k-means clustering (§4): fitting with k-means++ restarts, or importing centroids fitted
//! elsewhere, and the neuralized cluster evidence `f_c(x) = min_{k≠c} ‖x−μ_k‖² − ‖x−μ_c‖²`
//! (Eq. 5, §4.1).

mod algorithm;
pub(crate) mod batch;
mod hyperparams;

pub use algorithm::{KMeans, KMeansExplainer};
pub use hyperparams::KMeansParams;
