//! The fitted KDE, its scores and its neuralized explanations.

use super::bandwidth::ChosenBandwidth;
use super::capabilities::{CAPABILITIES, NAME};
use super::hyperparams::{KdeError, KdeParams, DEFAULT_BETA_FACTOR};
use super::random_features::RandomFeatureDraw;
use crate::error::{NeonError, Result};
use crate::explain::Explanation;
use crate::explain::PointExplainer;
use crate::network::{log_mean_exp, Gaussian, LogMeanExp, MeanPool, SquaredDistance};
use crate::options::{check_memory, check_target_rule, ExplainOptions, RuleSet, Target};
use crate::rules::{
    grounded_distance_rule, grounded_fourier_rule, soft_argmin, squared_distance_rule,
    squared_weight_rule, uniform_rule,
};
use ndarray::{Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A fitted Gaussian KDE: the kernel parameter and the training points `u_k`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kde {
    /// Kernel parameter γ.
    pub gamma: f64,
    /// Training points (N × d), in model space (after the transform).
    pub points: Array2<f64>,
    /// The bandwidth rule that chose γ, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<ChosenBandwidth>,
}

impl Kde {
    /// Fit (store) a KDE on `points`.
    pub fn fit(params: KdeParams, points: ArrayView2<f64>) -> Result<Self> {
        // training points in C order, whatever the caller's layout: the same numbers for a
        // model fitted in memory and one read back from its file
        let standard = points.as_standard_layout();
        let points = standard.view();
        params.validate()?;
        if points.nrows() < 2 {
            return Err(KdeError::TooFewPoints(points.nrows()).into());
        }
        let bandwidth = params.bandwidth.map(|r| r.choose(points)).transpose()?;
        Ok(Kde {
            gamma: bandwidth.map_or(params.gamma, |b| b.gamma()),
            points: points.as_standard_layout().into_owned(),
            bandwidth,
        })
    }

    /// Number of features d.
    pub fn n_features(&self) -> usize {
        self.points.ncols()
    }

    /// The stiffness β of the outlier explanation when none is given:
    /// [`DEFAULT_BETA_FACTOR`] × γ (the chapter's §3.1 uses β = γ; see docs/compare.md for the
    /// measurement that chose the factor).
    pub fn default_beta(&self) -> f64 {
        DEFAULT_BETA_FACTOR * self.gamma
    }

    /// Layer 1 of the outlier network, optionally leaving training point `exclude` out.
    pub fn distance_layer(&self, exclude: Option<usize>) -> SquaredDistance<'_> {
        SquaredDistance {
            centers: self.points.view(),
            exclude,
        }
    }

    /// Outlierness `o(x) = −(1/γ) log p̃(x) = LME^{−γ}_k{‖x − u_k‖²}` (§3.1), computed through
    /// the neuralized network (log-sum-exp, never infinite).
    pub fn outlier(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> f64 {
        let h = self.distance_layer(exclude).forward(x);
        LogMeanExp { alpha: -self.gamma }.forward(&h)
    }

    /// Inlierness `p̃(x)` (Eq. 1), as `exp(−γ o(x))`.
    pub fn inlier(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> f64 {
        (-self.gamma * self.outlier(x, exclude)).exp()
    }

    /// Inlierness through the direct network of §3.2 (Gaussian units, mean pooling).
    pub fn inlier_network(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> f64 {
        let h = self.distance_layer(exclude).forward(x);
        let g = Gaussian { gamma: self.gamma }.forward(&h);
        MeanPool.forward(&g)
    }

    /// Outlier explanation (§3.1): soft argmin with stiffness β over the squared distances,
    /// then the squared-distance rule with stabiliser ε.
    pub fn explain_outlier(
        &self,
        x: ArrayView1<f64>,
        exclude: Option<usize>,
        beta: f64,
        epsilon: f64,
    ) -> (f64, Vec<f64>, f64) {
        let layer = self.distance_layer(exclude);
        let h = layer.forward(x);
        let score = log_mean_exp(&h, -self.gamma);
        let r_k: Vec<f64> = soft_argmin(&h, beta)
            .into_iter()
            .map(|p| p * score)
            .collect();
        let (relevance, dissipated) =
            squared_distance_rule(x, self.points.view(), layer.active(), &r_k, epsilon);
        (score, relevance, dissipated)
    }

    /// Outlier explanation with the grounded rule of Appendix A.1: the same soft argmin, then
    /// `R_i = x_i (x_i − Σ_k p_k u_ik)`; returns (o(x), relevance, residual `o − Σ R_i`).
    pub fn explain_outlier_grounded(
        &self,
        x: ArrayView1<f64>,
        exclude: Option<usize>,
        beta: f64,
    ) -> (f64, Vec<f64>, f64) {
        let layer = self.distance_layer(exclude);
        let h = layer.forward(x);
        let score = log_mean_exp(&h, -self.gamma);
        let p = soft_argmin(&h, beta);
        let relevance = grounded_distance_rule(x, self.points.view(), layer.active(), &p);
        let residual = score - relevance.iter().sum::<f64>();
        (score, relevance, residual)
    }

    /// Validate options and prepare an explainer for `target` (random features are drawn once
    /// here and shared by every row).
    pub fn explainer(&self, target: Target, options: &ExplainOptions) -> Result<KdeExplainer<'_>> {
        let mut explainer = self.explainer_without_draws(target, options)?;
        if target == Target::InlierRff {
            explainer.draws = self.random_feature_draws(options);
        }
        Ok(explainer)
    }

    /// The `options.trials` random-feature draws of [`Kde::explainer`], embeddings included.
    pub(crate) fn random_feature_draws(&self, options: &ExplainOptions) -> Vec<RandomFeatureDraw> {
        (0..options.trials as u64)
            .into_par_iter()
            .map(|trial| {
                RandomFeatureDraw::draw(
                    self.points.view(),
                    self.gamma,
                    options.n_features,
                    options.seed,
                    trial,
                )
            })
            .collect()
    }

    /// [`Kde::explainer`] with the same checks but no random features drawn (the blocked path
    /// draws them when it needs them).
    pub(crate) fn explainer_without_draws(
        &self,
        target: Target,
        options: &ExplainOptions,
    ) -> Result<KdeExplainer<'_>> {
        options.validate()?;
        let rule = options.rule_for(CAPABILITIES, target);
        check_target_rule(NAME, CAPABILITIES, target, rule)?;
        options.check_cluster(target, None)?;
        let beta = options.beta.unwrap_or(self.default_beta());
        if target == Target::InlierRff {
            // per draw: ω (H × d), phases and mean embedding (H each)
            let bytes = options.trials as f64
                * options.n_features as f64
                * (self.points.ncols() as f64 + 2.0)
                * 8.0;
            check_memory(
                "random features (trials × n_features × (d + 2) × 8 bytes)",
                bytes,
                "lower n_features or trials",
            )?;
        }
        let kde_target = match target {
            Target::Outlier => KdeTarget::Outlier,
            Target::Inlier => KdeTarget::Inlier,
            Target::InlierRff => KdeTarget::InlierRff,
            Target::Cluster => {
                return Err(NeonError::UnsupportedTarget {
                    model: NAME.into(),
                    target: target.to_string(),
                    supported: "outlier, inlier, inlier-rff".into(),
                })
            }
        };
        Ok(KdeExplainer {
            kde: self,
            target: kde_target,
            beta,
            epsilon: options.epsilon,
            rule,
            draws: Vec::new(),
        })
    }
}

/// The targets a KDE explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KdeTarget {
    Outlier,
    Inlier,
    InlierRff,
}

/// A KDE ready to explain one target, with its random-feature draws.
#[derive(Debug)]
pub struct KdeExplainer<'a> {
    kde: &'a Kde,
    target: KdeTarget,
    beta: f64,
    epsilon: f64,
    rule: RuleSet,
    draws: Vec<RandomFeatureDraw>,
}

impl KdeExplainer<'_> {
    /// The stiffness β of the soft argmin in use.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The stabiliser ε in use.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The rule set in use.
    pub fn rule(&self) -> RuleSet {
        self.rule
    }

    /// The random-feature draws (one per trial).
    pub fn draws(&self) -> &[RandomFeatureDraw] {
        &self.draws
    }

    /// Random-feature inlier network (§3.3) for one draw: `î(x)` and the relevance `R_i`.
    /// With `exclude`, `μ_j` is updated by removing that training point's term.
    pub fn explain_rff_draw(
        &self,
        draw: &RandomFeatureDraw,
        x: ArrayView1<f64>,
        exclude: Option<usize>,
    ) -> (f64, Vec<f64>) {
        let layer = &draw.layer;
        let feature_map = layer.feature_map(x);
        let mean_embedding = match exclude {
            Some(k) if k < self.kde.points.nrows() => {
                let excluded = self.kde.points.row(k);
                if excluded == x {
                    // leave-one-out on a training row: its feature map is x's own
                    draw.mean_embedding_without(feature_map.view())
                } else {
                    draw.mean_embedding_without(layer.feature_map(excluded).view())
                }
            }
            _ => layer.mean_embedding.clone(),
        };
        let h = feature_map * &mean_embedding;
        let n_features = h.len() as f64;
        let score = MeanPool.forward(&h.to_vec());
        if self.rule == RuleSet::Grounded {
            let projection = layer.omega.dot(&x);
            let relevance = grounded_fourier_rule(
                x,
                layer.omega.view(),
                layer.phase.view(),
                projection.view(),
                mean_embedding.view(),
                self.epsilon,
            );
            return (score, relevance);
        }
        // R_j = h_j / H, i.e. h_j / Σ_j h_j · î(x) without dividing by a sum near zero.
        let r_j: Vec<f64> = h.iter().map(|v| v / n_features).collect();
        let (relevance, _) = squared_weight_rule(layer.omega.view(), &r_j);
        (score, relevance)
    }
}

impl PointExplainer for KdeExplainer<'_> {
    fn target(&self) -> Target {
        match self.target {
            KdeTarget::Outlier => Target::Outlier,
            KdeTarget::Inlier => Target::Inlier,
            KdeTarget::InlierRff => Target::InlierRff,
        }
    }

    fn n_features(&self) -> usize {
        self.kde.n_features()
    }

    fn score(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> f64 {
        match self.target {
            KdeTarget::Outlier => self.kde.outlier(x, exclude),
            KdeTarget::Inlier => self.kde.inlier(x, exclude),
            KdeTarget::InlierRff => {
                let total: f64 = self
                    .draws
                    .iter()
                    .map(|d| self.explain_rff_draw(d, x, exclude).0)
                    .sum();
                total / self.draws.len() as f64
            }
        }
    }

    fn explain(&self, x: ArrayView1<f64>, exclude: Option<usize>, row: usize) -> Explanation {
        match self.target {
            KdeTarget::Outlier => {
                let (score, relevance, dissipated) = match self.rule {
                    RuleSet::Grounded => self.kde.explain_outlier_grounded(x, exclude, self.beta),
                    _ => self
                        .kde
                        .explain_outlier(x, exclude, self.beta, self.epsilon),
                };
                Explanation::new(row, score, relevance, dissipated)
            }
            KdeTarget::Inlier => {
                let score = self.kde.inlier(x, exclude);
                Explanation::new(row, score, uniform_rule(score, x.len()), 0.0)
            }
            KdeTarget::InlierRff => {
                let d = x.len();
                let trials = self.draws.len();
                let mut scores = Vec::with_capacity(trials);
                let mut per_trial = Vec::with_capacity(trials);
                for draw in &self.draws {
                    let (score, relevance) = self.explain_rff_draw(draw, x, exclude);
                    scores.push(score);
                    per_trial.push(relevance);
                }
                let mean_score = scores.iter().sum::<f64>() / trials as f64;
                let (mean, std) = mean_and_std(&per_trial, d);
                // the w² rule passes everything on; the grounded rule reports its residual
                let dissipated = match self.rule {
                    RuleSet::Grounded => mean_score - mean.iter().sum::<f64>(),
                    _ => 0.0,
                };
                let mut explanation = Explanation::new(row, mean_score, mean, dissipated);
                explanation.relevance_std = Some(std);
                explanation.exact_score = Some(self.kde.inlier(x, exclude));
                explanation
            }
        }
    }
}

/// Per-feature mean and (sample, n − 1) standard deviation over trials; std 0 for one trial.
fn mean_and_std(per_trial: &[Vec<f64>], d: usize) -> (Vec<f64>, Vec<f64>) {
    let t = per_trial.len() as f64;
    let mean: Vec<f64> = (0..d)
        .map(|i| per_trial.iter().map(|r| r[i]).sum::<f64>() / t)
        .collect();
    let std = (0..d)
        .map(|i| {
            if per_trial.len() < 2 {
                return 0.0;
            }
            let var = per_trial
                .iter()
                .map(|r| (r[i] - mean[i]).powi(2))
                .sum::<f64>()
                / (t - 1.0);
            var.sqrt()
        })
        .collect();
    (mean, std)
}
