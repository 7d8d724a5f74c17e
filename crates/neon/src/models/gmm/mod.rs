//! Gaussian mixture models (spherical, diagonal, tied or full covariances), neuralized as a
//! soft-min over the components' quadratic forms: the outlier score `−log p(x)` (§3.1 with
//! quadratic units) and component membership as a log-odds (§4.1 with quadratic units).

mod algorithm;
mod capabilities;
mod differentiable;
mod em;
mod hyperparams;
mod linalg;
mod model;

pub use algorithm::{GaussianMixture, GmmExplainer};
pub use capabilities::{CAPABILITIES, NAME};
pub use hyperparams::{CovarianceType, GmmError, GmmParams, FIT_PARAMS};
