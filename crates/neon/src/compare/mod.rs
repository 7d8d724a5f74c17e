//! Baseline explainers side by side with NEON, and their evaluation (§2.1, §6).
//!
//! The chapter claims that neuralization-propagation explains "at the cost of a single
//! forward/backward pass" what occlusion, Shapley values and integrated gradients explain with
//! many function evaluations (§2.1, §3.1), and leaves the validation of explanations open (§6).
//! This module makes both checkable on any model of the registry:
//! - [`Method`] names NEON and the baselines — exact Shapley values ([`shapley_exact`]),
//!   permutation-sampling Shapley values with standard errors ([`shapley_sampling`]),
//!   integrated gradients with analytic gradients ([`integrated_gradients`]; each model derives its gradients in its folder, `differentiable.rs`) and
//!   occlusion ([`occlusion`]); [`explain_rows_with`] explains rows with any of them and returns
//!   the same [`Explanation`](crate::Explanation) as NEON, plus the number of model evaluations;
//! - [`evaluate()`] measures feature-removal, marginal-removal and insertion curves against a
//!   random ordering, rank agreement and cost, into an [`EvaluationReport`].
//!
//! The baselines perturb the explained score `f` itself: `o(x)`, `p̃(x)`, `î(x)` with the same
//! random features as NEON, or `f_c(x)` for the cluster `c` assigned to the unperturbed `x`.
//! Absent features take the value of a reference point `r` ([`Reference`], by default the mean
//! of the training data in model space).
//!
//! ```
//! use ndarray::array;
//! use neon_xai::compare::{explain_rows_with, Method, MethodOptions};
//! use neon_xai::models::{ExplainOptions, FittedModel, Kde, KdeParams, Queries, Target};
//!
//! let train = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let model = FittedModel::Kde(Kde::fit(KdeParams::new(1.0), train.view()).unwrap());
//! let x = array![[4.0, 0.5]];
//! for method in Method::ALL {
//!     let e = &explain_rows_with(
//!         method, &model, Queries::Points(x.view()), None, Target::Outlier,
//!         &ExplainOptions::default(), &MethodOptions::default(), &|| {},
//!     ).unwrap()[0];
//!     // every method: relevance + dissipated part = o(x)
//!     assert!(e.explanation.conservation_gap().abs() < 1e-9);
//!     // and every one finds the first feature responsible
//!     assert!(e.explanation.relevance[0] > e.explanation.relevance[1], "{method}");
//! }
//! ```

mod attribution;
pub mod evaluate;
mod integrated_gradients;
mod method;
mod occlusion;
mod score;
mod shapley;

pub use evaluate::{
    evaluate, Agreement, Cost, Curve, EvaluationConfig, EvaluationReport, MethodReport,
    NeonVariant, RandomBaseline, RandomCurve,
};
pub use integrated_gradients::{integrated_gradients, DEFAULT_STEPS};
pub use method::{
    explain_rows_with, Attribution, Method, MethodExplainer, MethodExplanation, MethodOptions,
    Reference,
};
pub use occlusion::occlusion;
pub use score::{PointFunction, ScoreFunction};
pub use shapley::{check_exact_features, shapley_exact, shapley_sampling, MAX_EXACT_FEATURES};
