//! One-class SVM with a Gaussian (RBF) kernel, neuralized as the §3.1 soft-min network with the
//! log dual coefficients as biases (Kauffmann, Müller, Montavon, Pattern Recognition 2020).

mod algorithm;
mod capabilities;
mod differentiable;
mod hyperparams;
mod model;
mod solver;

pub use algorithm::{OcsvmExplainer, OneClassSvm};
pub use capabilities::{CAPABILITIES, NAME};
pub use differentiable::outlier_gradient;
pub use hyperparams::{OcsvmError, OcsvmParams, FIT_PARAMS, GAMMA_RULE_OF_THUMB, IMPORT_PARAMS};
