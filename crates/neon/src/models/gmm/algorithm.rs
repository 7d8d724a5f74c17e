//! The fitted Gaussian mixture, its scores and its neuralized explanations.
//!
//! With precision matrices `P_k = Σ_k⁻¹` and the quadratic units `h_k(x) = ½ (x − μ_k)ᵀ P_k
//! (x − μ_k)`, the density is `p(x) = Σ_k w_k (2π)^{−d/2} det(P_k)^{½} exp(−h_k(x))`.
//!
//! **Outlier score** (§3.1 with quadratic units). With `π̃_k ∝ w_k det(P_k)^{½}` (normalised to
//! sum to 1) and `B = (2π)^{−d/2} Σ_k w_k det(P_k)^{½}` (the sum of the components' peak
//! heights, an upper bound of `p`):
//!
//! `o(x) = −log Σ_k π̃_k exp(−h_k(x)) = −log p(x) + log B ≥ 0`,
//!
//! a soft-min pooling (stiffness 1) of the units `u_k = h_k − log π̃_k`. Relevance: `R_k = p_k
//! o(x)` with `p` the soft argmin (stiffness β, default 1: the posterior probabilities of the
//! components), then each `R_k` split over the features by the exact decomposition
//! `h_k = Σ_i t_ki`, `t_ki = ½ (x_i − μ_ki) [P_k (x − μ_k)]_i`:
//! `R_i = Σ_k R_k t_ki / (ε + h_k)`, the rest dissipated. For `P_k = 2γ I`, equal weights and
//! means at the training points this is the §3.1 rule on `γ · o_KDE` (ε scaled by γ).
//!
//! **Membership** (§4.1 with quadratic units). For the most probable component `c` and each
//! competitor `k ≠ c`, `v_k(x) = u_k(x) − u_c(x) = log(w_c N_c(x)) − log(w_k N_k(x))`; the
//! evidence is the log-odds of `c`,
//!
//! `f_c(x) = −log Σ_{k≠c} exp(−v_k(x)) = log(p(c|x) / (1 − p(c|x)))`,
//!
//! a soft-min over the competitors (the hard min, against the nearest competitor only, is its
//! upper bound; they agree for K = 2). Relevance: `R_k = s_k f_c` with `s` the soft argmin of
//! `v` (stiffness β, default 1), split by the squared entries of the unit's gradient at `x`,
//! `g_k = P_k (x − μ_k) − P_c (x − μ_c)` (the w² rule of §4.1: for equal isotropic covariances
//! `v_k` is linear and `g_k ∝ μ_c − μ_k`, the chapter's `w_k`).

use super::capabilities::{CAPABILITIES, NAME};
use super::hyperparams::{CovarianceType, GmmError};
use super::linalg::{cholesky, lower_inverse};
use crate::error::{NeonError, Result};
use crate::explain::{Explanation, PointExplainer};
use crate::kernels::math::{log_sum_exp, soft_min};
use crate::options::{check_target_rule, ExplainOptions, RuleSet, Target};
use crate::rules::soft_argmin;
use ndarray::{Array1, Array2, Array3, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// A fitted (or imported) Gaussian mixture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredGmm", into = "StoredGmm")]
pub struct GaussianMixture {
    /// Form of the covariances.
    pub covariance_type: CovarianceType,
    /// Mixture weights `w_k` (sum 1).
    pub weights: Vec<f64>,
    /// Means `μ_k` (K × d), in model space.
    pub means: Array2<f64>,
    /// Covariances `Σ_k` (K × d × d), written out in full for every covariance type.
    pub covariances: Array3<f64>,
    /// Training points (N × d), in model space.
    pub points: Array2<f64>,
    /// Mean log-likelihood of the training points at the end of the fit (NaN when imported).
    pub lower_bound: f64,
    /// EM iterations of the kept run (0 when imported).
    pub n_iter: usize,
    /// `W_k = L_k⁻¹` with `L_k L_kᵀ = Σ_k`: `h_k = ½ ‖W_k (x − μ_k)‖²`.
    factors: Vec<Array2<f64>>,
    /// `P_k = W_kᵀ W_k`.
    precisions: Vec<Array2<f64>>,
    /// `log π̃_k` (see the module documentation).
    log_prior: Vec<f64>,
    /// `log B + (d/2) log 2π = log Σ_k w_k det(P_k)^{½}`.
    log_peak: f64,
}

/// The form model files store (the factors are recomputed and checked on load).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredGmm {
    covariance_type: CovarianceType,
    weights: Vec<f64>,
    means: Array2<f64>,
    covariances: Array3<f64>,
    points: Array2<f64>,
    lower_bound: Option<f64>,
    n_iter: usize,
}

impl TryFrom<StoredGmm> for GaussianMixture {
    type Error = NeonError;
    fn try_from(s: StoredGmm) -> Result<Self> {
        let mut model = GaussianMixture::from_parts(
            s.covariance_type,
            s.weights,
            s.means,
            s.covariances,
            s.points.view(),
        )?;
        model.lower_bound = s.lower_bound.unwrap_or(f64::NAN);
        model.n_iter = s.n_iter;
        Ok(model)
    }
}

impl From<GaussianMixture> for StoredGmm {
    fn from(m: GaussianMixture) -> Self {
        StoredGmm {
            covariance_type: m.covariance_type,
            weights: m.weights,
            means: m.means,
            covariances: m.covariances,
            points: m.points,
            lower_bound: m.lower_bound.is_finite().then_some(m.lower_bound),
            n_iter: m.n_iter,
        }
    }
}

impl GaussianMixture {
    /// A mixture from its parameters (scikit-learn: `weights_`, `means_` and `covariances_`
    /// written out as K full matrices), with the training points in the same space. Checks
    /// every value: weights > 0 summing to 1, covariances symmetric positive definite.
    pub fn from_parts(
        covariance_type: CovarianceType,
        weights: Vec<f64>,
        means: Array2<f64>,
        covariances: Array3<f64>,
        points: ArrayView2<f64>,
    ) -> Result<Self> {
        let (k, d) = means.dim();
        if k == 0 || weights.len() != k || covariances.dim() != (k, d, d) || points.ncols() != d {
            return Err(GmmError::Shape(format!(
                "{} weights, means {:?}, covariances {:?}, training points of {} columns do not fit together",
                weights.len(),
                means.dim(),
                covariances.dim(),
                points.ncols()
            ))
            .into());
        }
        if let Some((i, w)) = weights
            .iter()
            .enumerate()
            .find(|(_, w)| !(w.is_finite() && **w > 0.0))
        {
            return Err(GmmError::Weights(format!(
                "weight of component {i} is {w}; each must be a finite number > 0"
            ))
            .into());
        }
        let total: f64 = weights.iter().sum();
        if (total - 1.0).abs() > 1e-8 {
            return Err(GmmError::Weights(format!("the weights sum to {total}, not 1")).into());
        }
        crate::engine::check_stored_matrix("means", means.view())?;
        crate::engine::check_stored_matrix("points", points)?;
        let mut factors = Vec::with_capacity(k);
        let mut precisions = Vec::with_capacity(k);
        let mut half_log_det = Vec::with_capacity(k);
        for (c, cov) in covariances.axis_iter(Axis(0)).enumerate() {
            let cov = cov.to_owned();
            let symmetric = (0..d).all(|i| {
                (0..i).all(|j| {
                    (cov[[i, j]] - cov[[j, i]]).abs() <= 1e-10 * cov[[i, i]].abs().max(1e-300)
                })
            });
            let l = cholesky(&cov)
                .filter(|_| symmetric)
                .ok_or(GmmError::NotPositiveDefinite(c))?;
            let w = lower_inverse(&l);
            half_log_det.push(w.diag().iter().map(|v| v.ln()).sum::<f64>());
            precisions.push(w.t().dot(&w));
            factors.push(w);
        }
        let log_joint: Vec<f64> = weights
            .iter()
            .zip(&half_log_det)
            .map(|(w, h)| w.ln() + h)
            .collect();
        let log_peak = log_sum_exp(&log_joint);
        Ok(GaussianMixture {
            covariance_type,
            log_prior: log_joint.iter().map(|v| v - log_peak).collect(),
            weights,
            means,
            covariances,
            points: points.as_standard_layout().into_owned(),
            lower_bound: f64::NAN,
            n_iter: 0,
            factors,
            precisions,
            log_peak,
        })
    }

    /// Number of components K.
    pub fn n_components(&self) -> usize {
        self.weights.len()
    }

    /// Number of features d.
    pub fn n_features(&self) -> usize {
        self.means.ncols()
    }

    /// The quadratic units `h_k(x) = ½ (x − μ_k)ᵀ P_k (x − μ_k)`.
    pub fn quadratic_units(&self, x: ArrayView1<f64>) -> Vec<f64> {
        self.factors
            .iter()
            .zip(self.means.rows())
            .map(|(w, mu)| {
                let z = w.dot(&(&x - &mu));
                0.5 * z.dot(&z)
            })
            .collect()
    }

    /// Log-density and posterior of `x` from one evaluation of the units (the E-step):
    /// `log p(x) = log B − o(x)` and `p(k|x)` = the soft argmin of the units.
    pub(crate) fn log_density_and_posterior(&self, x: ArrayView1<f64>) -> (f64, Vec<f64>) {
        let u = self.effective_units(&self.quadratic_units(x));
        (self.log_peak_bound() - soft_min(&u), soft_argmin(&u, 1.0))
    }

    /// `u_k = h_k − log π̃_k`: the units the soft-min pools.
    fn effective_units(&self, h: &[f64]) -> Vec<f64> {
        h.iter().zip(&self.log_prior).map(|(h, p)| h - p).collect()
    }

    /// `log p(x)` by the direct formula, `log Σ_k w_k N(x; μ_k, Σ_k)` (scikit-learn's
    /// `score_samples`).
    pub fn log_density(&self, x: ArrayView1<f64>) -> f64 {
        let d = self.n_features() as f64;
        let terms: Vec<f64> = self
            .quadratic_units(x)
            .iter()
            .zip(&self.weights)
            .zip(&self.factors)
            .map(|((h, w), f)| {
                w.ln() + f.diag().iter().map(|v| v.ln()).sum::<f64>()
                    - 0.5 * d * (2.0 * std::f64::consts::PI).ln()
                    - h
            })
            .collect();
        log_sum_exp(&terms)
    }

    /// `log B`, the constant between the outlier score and the log-density:
    /// `log p(x) = log B − o(x)`.
    pub fn log_peak_bound(&self) -> f64 {
        self.log_peak - 0.5 * self.n_features() as f64 * (2.0 * std::f64::consts::PI).ln()
    }

    /// Outlierness through the network: soft-min pooling of the units `u_k`.
    pub fn outlier(&self, x: ArrayView1<f64>) -> f64 {
        let u = self.effective_units(&self.quadratic_units(x));
        soft_min(&u)
    }

    /// Posterior probabilities of the components (scikit-learn's `predict_proba`): the soft
    /// argmin of the units at stiffness 1.
    pub fn posterior(&self, x: ArrayView1<f64>) -> Vec<f64> {
        soft_argmin(&self.effective_units(&self.quadratic_units(x)), 1.0)
    }

    /// The most probable component (scikit-learn's `predict`; ties: lowest index).
    pub fn predict(&self, x: ArrayView1<f64>) -> usize {
        let u = self.effective_units(&self.quadratic_units(x));
        let mut best = 0;
        for (k, v) in u.iter().enumerate() {
            if *v < u[best] {
                best = k;
            }
        }
        best
    }

    /// The competitors' units `v_k = u_k − u_c` for component `c`, with their indices.
    fn membership_units(&self, x: ArrayView1<f64>, c: usize) -> (Vec<usize>, Vec<f64>) {
        let u = self.effective_units(&self.quadratic_units(x));
        let competitors: Vec<usize> = (0..self.n_components()).filter(|&k| k != c).collect();
        let v = competitors.iter().map(|&k| u[k] - u[c]).collect();
        (competitors, v)
    }

    /// Membership evidence of component `c` through the network: the soft-min of the
    /// competitors' units, `f_c(x) = log(p(c|x) / (1 − p(c|x)))`.
    pub fn membership(&self, x: ArrayView1<f64>, c: usize) -> f64 {
        let (_, v) = self.membership_units(x, c);
        soft_min(&v)
    }

    /// `P_k (x − μ_k)`, the gradient of `h_k` at `x`.
    pub(crate) fn unit_gradient(&self, x: ArrayView1<f64>, k: usize) -> Array1<f64> {
        self.precisions[k].dot(&(&x - &self.means.row(k)))
    }

    /// Outlier explanation (see the module documentation); returns (o(x), relevance,
    /// dissipated or grounded residual).
    pub fn explain_outlier(
        &self,
        x: ArrayView1<f64>,
        beta: f64,
        epsilon: f64,
        rule: RuleSet,
    ) -> (f64, Vec<f64>, f64) {
        let d = x.len();
        let h = self.quadratic_units(x);
        let u = self.effective_units(&h);
        let score = soft_min(&u);
        let p = soft_argmin(&u, beta);
        let mut relevance = vec![0.0; d];
        let mut dissipated = 0.0;
        for (k, &p_k) in p.iter().enumerate() {
            if p_k == 0.0 {
                continue;
            }
            let g = self.unit_gradient(x, k);
            let mu = self.means.row(k);
            if rule == RuleSet::Grounded {
                // Appendix A.1 on h_k: R_i = Σ_k p_k ½ x_i [P_k (x − μ_k)]_i
                for i in 0..d {
                    relevance[i] += p_k * 0.5 * x[i] * g[i];
                }
                continue;
            }
            let r_k = p_k * score;
            let denominator = epsilon + h[k];
            if denominator > 0.0 {
                let scale = r_k / denominator;
                for i in 0..d {
                    relevance[i] += 0.5 * (x[i] - mu[i]) * g[i] * scale;
                }
                dissipated += epsilon * scale;
            } else {
                dissipated += r_k;
            }
        }
        if rule == RuleSet::Grounded {
            dissipated = score - relevance.iter().sum::<f64>();
        }
        (score, relevance, dissipated)
    }

    /// Membership explanation of component `c` (see the module documentation); returns
    /// (f_c(x), relevance, dissipated or grounded residual).
    pub fn explain_membership(
        &self,
        x: ArrayView1<f64>,
        c: usize,
        beta: f64,
        rule: RuleSet,
    ) -> (f64, Vec<f64>, f64) {
        let d = x.len();
        let (competitors, v) = self.membership_units(x, c);
        let score = soft_min(&v);
        let s = soft_argmin(&v, beta);
        let own = self.unit_gradient(x, c);
        let mut relevance = vec![0.0; d];
        let mut dissipated = 0.0;
        for (&k, &s_k) in competitors.iter().zip(&s) {
            if s_k == 0.0 {
                continue;
            }
            let g = &self.unit_gradient(x, k) - &own;
            if rule == RuleSet::Grounded {
                // Appendix A.3 on the unit's gradient: R_i = Σ_k s_k x_i g_ki
                for i in 0..d {
                    relevance[i] += s_k * x[i] * g[i];
                }
                continue;
            }
            let r_k = s_k * score;
            let norm = g.dot(&g);
            if norm > 0.0 {
                for i in 0..d {
                    relevance[i] += g[i] * g[i] / norm * r_k;
                }
            } else {
                dissipated += r_k;
            }
        }
        if rule == RuleSet::Grounded {
            dissipated = score - relevance.iter().sum::<f64>();
        }
        (score, relevance, dissipated)
    }

    /// Validate options and prepare an explainer for `target`.
    pub fn explainer(&self, target: Target, options: &ExplainOptions) -> Result<GmmExplainer<'_>> {
        options.validate()?;
        let rule = options.rule_for(CAPABILITIES, target);
        check_target_rule(NAME, CAPABILITIES, target, rule)?;
        options.check_cluster(target, Some(self.n_components()))?;
        if target == Target::Cluster && self.n_components() < 2 {
            return Err(NeonError::param(
                "target",
                "membership needs at least 2 components (a single component has no competitor)",
            ));
        }
        Ok(GmmExplainer {
            model: self,
            target,
            beta: options.beta.unwrap_or(1.0),
            epsilon: options.epsilon,
            rule,
            cluster: options.cluster,
        })
    }
}

/// A Gaussian mixture ready to explain one target.
#[derive(Debug)]
pub struct GmmExplainer<'a> {
    model: &'a GaussianMixture,
    target: Target,
    beta: f64,
    epsilon: f64,
    rule: RuleSet,
    /// The chosen component (`None`: each row's most probable one).
    cluster: Option<usize>,
}

impl GmmExplainer<'_> {
    /// The component explained for `x`: the chosen one, else the most probable.
    fn cluster_for(&self, x: ArrayView1<f64>) -> usize {
        self.cluster.unwrap_or_else(|| self.model.predict(x))
    }
}

impl PointExplainer for GmmExplainer<'_> {
    fn target(&self) -> Target {
        self.target
    }

    fn n_features(&self) -> usize {
        self.model.n_features()
    }

    /// The score of the fitted model (no refit: `exclude` is ignored, as for k-means).
    fn score(&self, x: ArrayView1<f64>, _exclude: Option<usize>) -> f64 {
        match self.target {
            Target::Cluster => self.model.membership(x, self.cluster_for(x)),
            _ => self.model.outlier(x),
        }
    }

    fn explain(&self, x: ArrayView1<f64>, _exclude: Option<usize>, row: usize) -> Explanation {
        if self.target == Target::Cluster {
            let c = self.cluster_for(x);
            let (score, relevance, dissipated) =
                self.model.explain_membership(x, c, self.beta, self.rule);
            let mut e = Explanation::new(row, score, relevance, dissipated);
            e.cluster = Some(c);
            return e;
        }
        let (score, relevance, dissipated) =
            self.model
                .explain_outlier(x, self.beta, self.epsilon, self.rule);
        Explanation::new(row, score, relevance, dissipated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{KMeans, Kde, KdeParams};
    use ndarray::array;
    use proptest::prelude::*;

    fn isotropic(means: Array2<f64>, variance: f64) -> GaussianMixture {
        let (k, d) = means.dim();
        let mut cov = Array3::zeros((k, d, d));
        for c in 0..k {
            for i in 0..d {
                cov[[c, i, i]] = variance;
            }
        }
        let points = means.clone();
        GaussianMixture::from_parts(
            CovarianceType::Spherical,
            vec![1.0 / k as f64; k],
            means,
            cov,
            points.view(),
        )
        .expect("mixture")
    }

    #[test]
    fn one_standard_normal_component_gives_half_the_squared_norm() {
        // o(x) = ½‖x‖², log p = −½‖x‖² − (d/2) log 2π; R_i = ½ x_i² with ε = 0
        let m = isotropic(array![[0.0, 0.0]], 1.0);
        let x = array![3.0, -1.0];
        assert!((m.outlier(x.view()) - 5.0).abs() < 1e-12);
        let log_p = -5.0 - (2.0 * std::f64::consts::PI).ln();
        assert!((m.log_density(x.view()) - log_p).abs() < 1e-12);
        let (s, r, dis) = m.explain_outlier(x.view(), 1.0, 0.0, RuleSet::Standard);
        assert!(
            (s - 5.0).abs() < 1e-12 && (r[0] - 4.5).abs() < 1e-12 && (r[1] - 0.5).abs() < 1e-12
        );
        assert_eq!(dis, 0.0);
    }

    #[test]
    fn isotropic_equal_components_reduce_to_the_kde_rule_of_section_3_1() {
        // means at the training points, Σ = σ² I, equal weights: o_GMM = γ o_KDE with
        // γ = 1/(2σ²); R_GMM = γ R_KDE for ε_GMM = γ ε_KDE and β_GMM = β_KDE / γ
        let points = array![[0.0, 0.0], [1.0, 0.5], [-0.5, 2.0], [2.0, 2.0]];
        let variance = 0.8;
        let gamma = 1.0 / (2.0 * variance);
        let m = isotropic(points.clone(), variance);
        let kde = Kde::fit(KdeParams::new(gamma), points.view()).expect("kde");
        for x in [array![0.3, 0.1], array![5.0, -3.0], array![1.0, 1.0]] {
            let o_kde = kde.outlier(x.view(), None);
            assert!((m.outlier(x.view()) - gamma * o_kde).abs() < 1e-12);
            for beta_kde in [gamma, 0.3] {
                let (s1, r1, d1) =
                    m.explain_outlier(x.view(), beta_kde / gamma, gamma * 0.01, RuleSet::Standard);
                let (s2, r2, d2) = kde.explain_outlier(x.view(), None, beta_kde, 0.01);
                assert!((s1 - gamma * s2).abs() < 1e-12);
                assert!((d1 - gamma * d2).abs() < 1e-12);
                for (a, b) in r1.iter().zip(&r2) {
                    assert!((a - gamma * b).abs() < 1e-12, "{a} vs {}", gamma * b);
                }
            }
            // grounded: Appendix A.1 scaled the same way
            let (_, g1, _) = m.explain_outlier(x.view(), 1.0, 0.0, RuleSet::Grounded);
            let (_, g2, _) = kde.explain_outlier_grounded(x.view(), None, gamma);
            for (a, b) in g1.iter().zip(&g2) {
                assert!((a - gamma * b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn isotropic_equal_components_reduce_to_the_w2_rule_of_section_4_1() {
        // membership relevance per unit of evidence equals k-means' w² rule with the centroids
        // at the means, for β_GMM = 2σ² β_kmeans
        let means = array![[0.0, 0.0], [3.0, 0.5], [0.5, 4.0]];
        let variance = 1.5;
        let m = isotropic(means.clone(), variance);
        let km = KMeans::from_centroids(means.clone(), means.view()).expect("kmeans");
        for x in [array![0.4, 0.3], array![2.0, 1.0], array![0.0, 3.0]] {
            let c = m.predict(x.view());
            assert_eq!(c, km.predict(x.view()));
            let beta_km = 0.7;
            let (f, r, _) =
                m.explain_membership(x.view(), c, 2.0 * variance * beta_km, RuleSet::Standard);
            let (f_km, r_km, _) = km.explain_cluster(x.view(), c, beta_km);
            for (a, b) in r.iter().zip(&r_km) {
                assert!(
                    (a / f - b / f_km).abs() < 1e-12,
                    "{} vs {}",
                    a / f,
                    b / f_km
                );
            }
            // the evidence is the log-odds of the posterior
            let p = m.posterior(x.view())[c];
            assert!((f - (p / (1.0 - p)).ln()).abs() < 1e-10);
        }
    }

    #[test]
    fn membership_needs_two_components() {
        let m = isotropic(array![[0.0, 0.0]], 1.0);
        let err = m
            .explainer(Target::Cluster, &ExplainOptions::default())
            .expect_err("refused");
        assert!(err.to_string().contains("at least 2 components"), "{err}");
    }

    #[test]
    fn impossible_parameters_are_named_errors() {
        let means = array![[0.0, 0.0], [1.0, 1.0]];
        let mut cov = Array3::zeros((2, 2, 2));
        for c in 0..2 {
            cov[[c, 0, 0]] = 1.0;
            cov[[c, 1, 1]] = 1.0;
        }
        let p = means.view();
        let bad_weights = GaussianMixture::from_parts(
            CovarianceType::Full,
            vec![0.5, 0.6],
            means.clone(),
            cov.clone(),
            p,
        );
        assert!(bad_weights
            .expect_err("sum")
            .to_string()
            .contains("sum to 1.1"));
        let mut not_pd = cov.clone();
        not_pd[[1, 0, 1]] = 2.0;
        not_pd[[1, 1, 0]] = 2.0;
        let err = GaussianMixture::from_parts(
            CovarianceType::Full,
            vec![0.5, 0.5],
            means.clone(),
            not_pd,
            p,
        )
        .expect_err("not PD");
        assert!(
            err.to_string()
                .contains("component 1 is not symmetric positive definite"),
            "{err}"
        );
    }

    proptest! {
        /// The network equals the direct formula (`o = log B − log p`, membership = log-odds
        /// of the posterior) and every rule conserves, for full covariances.
        #[test]
        fn network_equals_the_formula_and_conserves(
            a in proptest::collection::vec(-1.0f64..1.0, 12),
            x in proptest::collection::vec(-3.0f64..3.0, 2),
            w0 in 0.1f64..0.9,
            beta in 0.2f64..3.0,
        ) {
            let means = array![[0.0, 0.0], [2.0, -1.0], [-1.0, 1.5]];
            let mut cov = Array3::zeros((3, 2, 2));
            for c in 0..3 {
                // A Aᵀ + 0.2 I is positive definite
                let m = array![[a[4 * c], a[4 * c + 1]], [a[4 * c + 2], a[4 * c + 3]]];
                let s = m.dot(&m.t()) + Array2::<f64>::eye(2) * 0.2;
                cov.index_axis_mut(Axis(0), c).assign(&s);
            }
            let w = vec![w0 / 2.0, w0 / 2.0, 1.0 - w0];
            let model = GaussianMixture::from_parts(CovarianceType::Full, w, means.clone(), cov, means.view())
                .expect("mixture");
            let x = Array1::from(x);
            let o = model.outlier(x.view());
            let direct = model.log_peak_bound() - model.log_density(x.view());
            prop_assert!((o - direct).abs() <= 1e-12 * o.abs().max(1.0));
            prop_assert!(o >= -1e-12);
            let c = model.predict(x.view());
            let post = model.posterior(x.view());
            // log-odds with the competitors' probabilities summed (no cancellation in 1 − p)
            let others: f64 = post.iter().enumerate().filter(|(k, _)| *k != c).map(|(_, p)| p).sum();
            let f = model.membership(x.view(), c);
            if others > 1e-300 {
                let log_odds = post[c].ln() - others.ln();
                prop_assert!((f - log_odds).abs() <= 1e-9 * f.abs().max(1.0), "{f} vs {log_odds}");
            }
            for rule in [RuleSet::Standard, RuleSet::Grounded] {
                let (s, r, d) = model.explain_outlier(x.view(), beta, 1e-9, rule);
                prop_assert!((r.iter().sum::<f64>() + d - s).abs() <= 1e-10 * s.abs().max(1.0));
                let (s, r, d) = model.explain_membership(x.view(), c, beta, rule);
                prop_assert!((r.iter().sum::<f64>() + d - s).abs() <= 1e-10 * s.abs().max(1.0));
            }
        }
    }
}
