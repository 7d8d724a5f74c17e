//! The fitted one-class SVM, its scores and its neuralized explanation.
//!
//! Decision function (scikit-learn's `decision_function`): `f(x) = Σ_k α_k exp(−γ‖x − s_k‖²) − ρ`
//! over the support vectors `s_k`. With `A = Σ_k α_k` and the normalised coefficients
//! `a_k = α_k / A`, the outlier score is
//!
//! `o(x) = −(1/γ) log Σ_k a_k exp(−γ‖x − s_k‖²)`,
//!
//! the §3.1 soft-min pooling over squared distances with biases `(1/γ) log a_k` (Kauffmann,
//! Müller, Montavon 2020). It is a decreasing function of the decision function,
//! `f(x) = A exp(−γ o(x)) − ρ`, and `o(x) ≥ min_k ‖x − s_k‖² ≥ 0`, so relevance keeps a
//! sign. Normalising α shifts the chapter's form by the constant `(1/γ) log A` and makes a KDE
//! the special case of equal coefficients (a test checks it).

use super::capabilities::{CAPABILITIES, NAME};
use super::hyperparams::{OcsvmError, OcsvmParams};
use super::solver::solve;
use crate::error::{NeonError, Result};
use crate::explain::{Explanation, PointExplainer};
use crate::kernels::math::{soft_min, squared_distance};
use crate::network::SquaredDistance;
use crate::options::{check_target_rule, ExplainOptions, RuleSet, Target};
use crate::rules::{grounded_distance_rule, soft_argmin, squared_distance_rule};
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// A fitted (or imported) one-class SVM with an RBF kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneClassSvm {
    /// Kernel parameter γ.
    pub gamma: f64,
    /// Support vectors `s_k` (S × d), in model space.
    pub support_vectors: Array2<f64>,
    /// Dual coefficients `α_k > 0` (scikit-learn's `dual_coef_`; they sum to ν n).
    pub alpha: Vec<f64>,
    /// Offset ρ (scikit-learn's `-intercept_`).
    pub rho: f64,
    /// ν of the fit (`None` when imported).
    pub nu: Option<f64>,
    /// Training points (N × d), in model space (for baselines and summaries).
    pub points: Array2<f64>,
    /// Solver iterations of the fit (0 when imported).
    pub n_iter: usize,
}

/// Coefficients below this share of the largest are treated as zero (not support vectors).
const ALPHA_ZERO: f64 = 1e-14;

impl OneClassSvm {
    /// Fit on `points` by solving the dual (see `solver.rs`).
    pub fn fit(params: OcsvmParams, points: ArrayView2<f64>) -> Result<Self> {
        // training points in C order, whatever the caller's layout: the same numbers for a
        // model fitted in memory and one read back from its file
        let standard = points.as_standard_layout();
        let points = standard.view();
        params.validate()?;
        if points.nrows() < 2 {
            return Err(OcsvmError::TooFewPoints(points.nrows()).into());
        }
        let solution = solve(points, params.nu, params.gamma, params.tol, params.max_iter)?;
        if !solution.converged {
            return Err(OcsvmError::NotConverged(solution.iterations).into());
        }
        let largest = solution.alpha.iter().copied().fold(0.0, f64::max);
        let support: Vec<usize> = (0..points.nrows())
            .filter(|&i| solution.alpha[i] > ALPHA_ZERO * largest)
            .collect();
        let mut support_vectors = Array2::zeros((support.len(), points.ncols()));
        for (row, &i) in support.iter().enumerate() {
            support_vectors.row_mut(row).assign(&points.row(i));
        }
        let model = OneClassSvm {
            gamma: params.gamma,
            support_vectors,
            alpha: support.iter().map(|&i| solution.alpha[i]).collect(),
            rho: solution.rho,
            nu: Some(params.nu),
            points: points.as_standard_layout().into_owned(),
            n_iter: solution.iterations,
        };
        model.check_coefficients()?;
        Ok(model)
    }

    /// A model fitted elsewhere: support vectors (model space), their dual coefficients, the
    /// offset ρ and γ (scikit-learn: `support_vectors_`, `dual_coef_[0]`, `-intercept_[0]`,
    /// `gamma`), with the training points in the same space.
    pub fn from_parts(
        support_vectors: Array2<f64>,
        alpha: Vec<f64>,
        rho: f64,
        gamma: f64,
        points: ArrayView2<f64>,
    ) -> Result<Self> {
        if !(gamma.is_finite() && gamma > 0.0) {
            return Err(OcsvmError::Gamma(gamma).into());
        }
        if support_vectors.ncols() != points.ncols() || alpha.len() != support_vectors.nrows() {
            return Err(NeonError::ShapeMismatch {
                what: "support vectors, dual coefficients and data columns".into(),
                expected: format!(
                    "{} columns and one coefficient per support vector",
                    points.ncols()
                ),
                found: format!(
                    "{} columns, {} support vectors, {} coefficients",
                    support_vectors.ncols(),
                    support_vectors.nrows(),
                    alpha.len()
                ),
            });
        }
        let model = OneClassSvm {
            gamma,
            support_vectors,
            alpha,
            rho,
            nu: None,
            points: points.as_standard_layout().into_owned(),
            n_iter: 0,
        };
        model.check_coefficients()?;
        Ok(model)
    }

    /// Every coefficient finite and > 0, at least one, ρ finite.
    pub(crate) fn check_coefficients(&self) -> Result<()> {
        if self.alpha.is_empty() {
            return Err(OcsvmError::NoSupportVectors.into());
        }
        if let Some((index, &value)) = self
            .alpha
            .iter()
            .enumerate()
            .find(|(_, a)| !(a.is_finite() && **a > 0.0))
        {
            return Err(OcsvmError::Alpha { index, value }.into());
        }
        if !self.rho.is_finite() {
            return Err(OcsvmError::Rho(self.rho).into());
        }
        Ok(())
    }

    /// Number of features d.
    pub fn n_features(&self) -> usize {
        self.support_vectors.ncols()
    }

    /// `A = Σ_k α_k`.
    pub fn alpha_sum(&self) -> f64 {
        self.alpha.iter().sum()
    }

    /// The biases of the soft-min units, `log a_k = log(α_k / A)`, over the support vectors
    /// of the layer (`exclude` left out and the others renormalised).
    pub fn log_weights(&self, exclude: Option<usize>) -> Vec<f64> {
        let layer = self.distance_layer(exclude);
        let total: f64 = layer.active().map(|k| self.alpha[k]).sum();
        let log_total = total.ln();
        layer
            .active()
            .map(|k| self.alpha[k].ln() - log_total)
            .collect()
    }

    /// The support vector that is training row `row`, for leave-one-out: like a KDE's own
    /// point (§5.1), it is left out of the sum when that row is explained (no refit). `None`
    /// when the row is not a support vector, or is the only one.
    pub fn support_vector_of_row(&self, row: Option<usize>) -> Option<usize> {
        let row = row.filter(|&r| r < self.points.nrows())?;
        if self.support_vectors.nrows() < 2 {
            return None;
        }
        let x = self.points.row(row);
        self.support_vectors
            .rows()
            .into_iter()
            .position(|s| s.iter().zip(x.iter()).all(|(a, b)| a == b))
    }

    /// scikit-learn's `score_samples`: `Σ_k α_k exp(−γ‖x − s_k‖²)`, by the direct formula.
    pub fn kernel_sum(&self, x: ArrayView1<f64>) -> f64 {
        self.support_vectors
            .rows()
            .into_iter()
            .zip(&self.alpha)
            .map(|(s, a)| a * (-self.gamma * squared_distance(x, s)).exp())
            .sum()
    }

    /// scikit-learn's `decision_function`: `Σ_k α_k exp(−γ‖x − s_k‖²) − ρ` (> 0 inside).
    pub fn decision_function(&self, x: ArrayView1<f64>) -> f64 {
        self.kernel_sum(x) - self.rho
    }

    /// Layer 1: `h_k = ‖x − s_k‖²` over the support vectors, optionally leaving one out.
    pub fn distance_layer(&self, exclude: Option<usize>) -> SquaredDistance<'_> {
        SquaredDistance {
            centers: self.support_vectors.view(),
            exclude,
        }
    }

    /// Outlierness through the network: soft-min pooling with biases,
    /// `o(x) = −(1/γ) log Σ_k exp(log a_k − γ h_k)`, shifted so it never over- or underflows.
    /// `exclude` leaves one support vector out (see [`Self::support_vector_of_row`]).
    pub fn outlier(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> f64 {
        let h = self.distance_layer(exclude).forward(x);
        soft_min_pool(&h, &self.log_weights(exclude), self.gamma)
    }

    /// The effective units `h'_k = h_k − (1/γ) log a_k` whose soft argmin distributes relevance:
    /// at β = γ it is the share of each support vector in the kernel sum.
    pub(crate) fn effective_units(&self, h: &[f64], exclude: Option<usize>) -> Vec<f64> {
        h.iter()
            .zip(self.log_weights(exclude))
            .map(|(h, lw)| h - lw / self.gamma)
            .collect()
    }

    /// Outlier explanation (§3.1 with biases): `R_k = p_k o(x)` with `p` the soft argmin
    /// (stiffness β) over the effective units, then the squared-distance rule with stabiliser
    /// ε (standard) or the grounded rule of Appendix A.1. Returns (o(x), relevance, dissipated
    /// or residual).
    pub fn explain_outlier(
        &self,
        x: ArrayView1<f64>,
        exclude: Option<usize>,
        beta: f64,
        epsilon: f64,
        rule: RuleSet,
    ) -> (f64, Vec<f64>, f64) {
        let layer = self.distance_layer(exclude);
        let h = layer.forward(x);
        let score = soft_min_pool(&h, &self.log_weights(exclude), self.gamma);
        let p = soft_argmin(&self.effective_units(&h, exclude), beta);
        if rule == RuleSet::Grounded {
            let relevance =
                grounded_distance_rule(x, self.support_vectors.view(), layer.active(), &p);
            let residual = score - relevance.iter().sum::<f64>();
            return (score, relevance, residual);
        }
        let r_k: Vec<f64> = p.iter().map(|p| p * score).collect();
        let (relevance, dissipated) = squared_distance_rule(
            x,
            self.support_vectors.view(),
            layer.active(),
            &r_k,
            epsilon,
        );
        (score, relevance, dissipated)
    }

    /// Validate options and prepare an explainer for `target`.
    pub fn explainer(
        &self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<OcsvmExplainer<'_>> {
        options.validate()?;
        let rule = options.rule_for(CAPABILITIES, target);
        check_target_rule(NAME, CAPABILITIES, target, rule)?;
        options.check_cluster(target, None)?;
        Ok(OcsvmExplainer {
            model: self,
            beta: options.beta.unwrap_or(self.gamma),
            epsilon: options.epsilon,
            rule,
        })
    }
}

/// `−(1/γ) log Σ_k exp(b_k − γ h_k)`: the soft-min of the units `γ h_k − b_k`, over γ.
pub(crate) fn soft_min_pool(h: &[f64], log_weights: &[f64], gamma: f64) -> f64 {
    let units: Vec<f64> = h
        .iter()
        .zip(log_weights)
        .map(|(h, b)| gamma * h - b)
        .collect();
    soft_min(&units) / gamma
}

/// A one-class SVM ready to explain its outlier score.
#[derive(Debug)]
pub struct OcsvmExplainer<'a> {
    model: &'a OneClassSvm,
    beta: f64,
    epsilon: f64,
    rule: RuleSet,
}

impl OcsvmExplainer<'_> {
    /// The stiffness β in use.
    pub fn beta(&self) -> f64 {
        self.beta
    }
}

impl PointExplainer for OcsvmExplainer<'_> {
    fn target(&self) -> Target {
        Target::Outlier
    }

    fn n_features(&self) -> usize {
        self.model.n_features()
    }

    /// With `exclude` (leave-one-out on training row `exclude`), that row's own support
    /// vector, if it is one, is left out (no refit).
    fn score(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> f64 {
        self.model
            .outlier(x, self.model.support_vector_of_row(exclude))
    }

    fn explain(&self, x: ArrayView1<f64>, exclude: Option<usize>, row: usize) -> Explanation {
        let own = self.model.support_vector_of_row(exclude);
        let (score, relevance, dissipated) =
            self.model
                .explain_outlier(x, own, self.beta, self.epsilon, self.rule);
        Explanation::new(row, score, relevance, dissipated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Kde, KdeParams};
    use ndarray::array;
    use proptest::prelude::*;

    #[test]
    fn one_support_vector_gives_the_squared_distance_and_its_squares() {
        // o(x) = ‖x − s‖² exactly; the standard rule with ε = 0 gives R_i = (x_i − s_i)²
        let sv = array![[1.0, -2.0]];
        let m = OneClassSvm::from_parts(sv, vec![0.7], 0.3, 0.5, array![[0.0, 0.0]].view())
            .expect("import");
        let x = array![3.0, 1.0];
        assert!((m.outlier(x.view(), None) - 13.0).abs() < 1e-12);
        let (score, r, dissipated) = m.explain_outlier(x.view(), None, 0.5, 0.0, RuleSet::Standard);
        assert!((score - 13.0).abs() < 1e-12);
        assert!((r[0] - 4.0).abs() < 1e-12 && (r[1] - 9.0).abs() < 1e-12);
        assert_eq!(dissipated, 0.0);
        // decision function: 0.7 exp(−0.5 · 13) − 0.3
        let f = 0.7 * (-6.5f64).exp() - 0.3;
        assert!((m.decision_function(x.view()) - f).abs() < 1e-15);
    }

    #[test]
    fn equal_coefficients_reduce_to_the_kde_of_the_support_vectors() {
        let sv = array![[0.0, 0.0], [1.0, 0.5], [-0.5, 2.0], [2.0, 2.0]];
        let m = OneClassSvm::from_parts(sv.clone(), vec![0.25; 4], 0.1, 0.8, sv.view())
            .expect("import");
        let kde = Kde::fit(KdeParams::new(0.8), sv.view()).expect("kde");
        for x in [array![0.3, 0.1], array![5.0, -3.0], array![1.0, 1.0]] {
            assert!((m.outlier(x.view(), None) - kde.outlier(x.view(), None)).abs() < 1e-12);
            let (s1, r1, d1) = m.explain_outlier(x.view(), None, 0.8, 0.01, RuleSet::Standard);
            let (s2, r2, d2) = kde.explain_outlier(x.view(), None, 0.8, 0.01);
            assert!((s1 - s2).abs() < 1e-12 && (d1 - d2).abs() < 1e-12);
            for (a, b) in r1.iter().zip(&r2) {
                assert!((a - b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn leave_one_out_drops_the_rows_own_support_vector_and_renormalises() {
        let sv = array![[0.0, 0.0], [1.0, 0.5], [-0.5, 2.0]];
        let train = array![[0.0, 0.0], [3.0, 3.0], [1.0, 0.5], [-0.5, 2.0]];
        let m = OneClassSvm::from_parts(sv, vec![0.2, 1.0, 0.5], 0.3, 0.6, train.view())
            .expect("import");
        assert_eq!(m.support_vector_of_row(Some(0)), Some(0));
        assert_eq!(m.support_vector_of_row(Some(1)), None);
        assert_eq!(m.support_vector_of_row(Some(3)), Some(2));
        assert_eq!(m.support_vector_of_row(None), None);
        // row 0 against the other two, with coefficients 1.0 and 0.5 renormalised
        let x = train.row(0);
        let h1 = squared_distance(x, array![1.0, 0.5].view());
        let h2 = squared_distance(x, array![-0.5, 2.0].view());
        let expected = -((1.0 * (-0.6 * h1).exp() + 0.5 * (-0.6 * h2).exp()) / 1.5).ln() / 0.6;
        assert!((m.outlier(x, Some(0)) - expected).abs() < 1e-12);
    }

    proptest! {
        /// The network equals the direct formula `−(1/γ) log(Σ α_k k(x, s_k) / A)`, and
        /// relevance + dissipated = score, for any coefficients and points.
        #[test]
        fn network_equals_the_formula_and_conserves(
            alpha in proptest::collection::vec(0.01f64..1.0, 3),
            x in proptest::collection::vec(-3.0f64..3.0, 2),
            gamma in 0.05f64..3.0,
            beta in 0.05f64..3.0,
        ) {
            let sv = array![[0.0, 0.0], [1.0, -1.0], [-2.0, 0.5]];
            let m = OneClassSvm::from_parts(sv.clone(), alpha.clone(), 0.2, gamma, sv.view())
                .expect("import");
            let x = ndarray::Array1::from(x);
            let direct = -(m.kernel_sum(x.view()) / m.alpha_sum()).ln() / gamma;
            let net = m.outlier(x.view(), None);
            prop_assert!((net - direct).abs() <= 1e-12 * direct.abs().max(1.0));
            for rule in [RuleSet::Standard, RuleSet::Grounded] {
                let (score, r, d) = m.explain_outlier(x.view(), None, beta, 0.01, rule);
                let total: f64 = r.iter().sum::<f64>() + d;
                prop_assert!((total - score).abs() <= 1e-10 * score.abs().max(1.0));
            }
        }
    }
}
