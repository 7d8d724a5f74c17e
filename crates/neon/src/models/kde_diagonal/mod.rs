//! Gaussian KDE with one kernel parameter per feature, `p̃(x) = (1/N) Σ_k exp(−Σ_i γ_i (x_i −
//! u_ik)²)`: the §3 networks and rules with the squared distance weighted by `γ_i`. It is the
//! isotropic KDE of `kde/` with `γ̄ = mean_i γ_i` on the rescaled features `z_i = s_i x_i`,
//! `s_i = √(γ_i / γ̄)`, and that is how it is explained: every rule of §3 applied in `z` gives
//! each feature its own share (a per-feature scaling mixes no features), and the
//! squared-distance rule of §3.1 becomes `R_i ∝ Σ_k p_k (γ_i/γ̄) (x_i − u_ik)²` — the rule
//! weighted by `γ_i`.

mod algorithm;
mod hyperparams;
mod model;

pub use algorithm::DiagonalKde;
pub use hyperparams::{DiagonalKdeError, DiagonalKdeParams, FIT_PARAMS, NAME};
