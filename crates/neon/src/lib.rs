//! # neon — explaining unsupervised models by neuralization-propagation
//!
//! neon rewrites a fitted kernel density estimator or k-means model, without retraining, as an
//! exactly equivalent small neural network, and runs Layer-wise Relevance Propagation (LRP)
//! backwards through it (Montavon, Kauffmann, Samek, Müller, *Explaining the Predictions of
//! Unsupervised Learning Models*). Every explanation states the model's score, the relevance of
//! each feature, their sum and the part the rules dissipated, so conservation
//! `Σ R_i + dissipated = f(x)` can be checked.
//!
//! ```
//! use ndarray::array;
//! use neon_xai::models::{ExplainOptions, Kde, KdeParams, PointExplainer, Target};
//!
//! let train = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let kde = Kde::fit(KdeParams::new(1.0), train.view()).unwrap();
//! let explainer = kde.explainer(Target::Outlier, &ExplainOptions::default()).unwrap();
//! let x = array![4.0, 0.5];
//! let e = explainer.explain(x.view(), None, 0);
//! // the first feature is what makes x an outlier
//! assert!(e.relevance[0] > e.relevance[1]);
//! // conservation: relevance + dissipated part = o(x)
//! assert!((e.relevance_sum + e.dissipated - e.score).abs() < 1e-10);
//! ```
#![deny(missing_docs)]

pub mod compare;
pub mod data;
pub mod engine;
pub mod error;
pub mod explain;
pub mod io;
pub mod kernels;
pub mod models;
pub mod network;
pub mod options;
pub mod persist;
pub mod query;
pub mod rules;
pub mod summary;
#[cfg(test)]
mod testutil;

pub use data::Dataset;
pub use engine::{Model, Queries};
pub use error::{NeonError, Result};
pub use explain::Explanation;
pub use models::FittedModel;
pub use options::{ExplainOptions, RuleSet, Target};
pub use persist::ModelFile;

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
