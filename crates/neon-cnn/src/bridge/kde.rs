//! KDE on locations (Appendix A.1, A.2): the core's `neon_xai::models::Kde` fitted on the member
//! locations, each member scored leave-one-out.

use ndarray::{ArrayView1, ArrayView2, Axis};
use neon_xai::models::kde::KdeExplainer;
use neon_xai::models::{ExplainOptions, Kde, KdeParams, RuleSet, Target};
use neon_xai::Explanation;

use crate::error::{CnnError, Result};

/// The core's KDE `p̃(x) = 1/N Σ_k exp(−γ‖x − u_k‖²)` (Eq. 1) fitted on the *member* rows of
/// a [`Locations`](super::Locations) data matrix, and the map from a location's row to its
/// index among the members.
///
/// A member is scored leave-one-out (the core's `exclude`): with itself in the sum every
/// location of the chapter's single-image set-up (§5.2) would get the same score and the map
/// would be flat. A row that is not a member is a new point scored against all members — the
/// inspection set-up where the model is fitted on defect-free reference images and the test
/// image's locations are explained.
#[derive(Debug, Clone)]
pub struct LocationKde {
    kde: Kde,
    /// Index among the members of every row (`None`: not a member).
    member_index: Vec<Option<usize>>,
}

impl LocationKde {
    /// Fit the core KDE with kernel parameter `gamma` on the rows of `data` (`N × C`) flagged in
    /// `members` (at least 2).
    pub fn fit(data: ArrayView2<f64>, members: &[bool], gamma: f64) -> Result<Self> {
        if members.len() != data.nrows() {
            return Err(CnnError::BadShape {
                what: "kde members",
                found: vec![members.len()],
                expected: format!("{} member flags, one per location", data.nrows()),
            });
        }
        let rows: Vec<usize> = (0..data.nrows()).filter(|&r| members[r]).collect();
        if rows.len() < 2 {
            return Err(CnnError::TooFewLocations {
                model: "kde",
                needed: 2,
                found: rows.len(),
            });
        }
        let points = data.select(Axis(0), &rows);
        let kde = Kde::fit(KdeParams::new(gamma), points.view())?;
        let mut member_index = vec![None; data.nrows()];
        for (m, &r) in rows.iter().enumerate() {
            member_index[r] = Some(m);
        }
        Ok(LocationKde { kde, member_index })
    }

    /// Fit on every row of `data` (each scored leave-one-out).
    pub fn fit_all(data: ArrayView2<f64>, gamma: f64) -> Result<Self> {
        Self::fit(data, &vec![true; data.nrows()], gamma)
    }

    /// The core model (fitted on the member rows, in row order).
    pub fn model(&self) -> &Kde {
        &self.kde
    }

    /// γ.
    pub fn gamma(&self) -> f64 {
        self.kde.gamma
    }

    /// Number of member rows (the N of Eq. 1).
    pub fn n_members(&self) -> usize {
        self.kde.points.nrows()
    }

    /// Whether row `row` is in the sum of Eq. 1.
    pub fn is_member(&self, row: usize) -> bool {
        self.exclude(row).is_some()
    }

    /// The training point left out when row `row` is scored: its index among the members, if
    /// it is one (leave-one-out).
    pub fn exclude(&self, row: usize) -> Option<usize> {
        self.member_index.get(row).copied().flatten()
    }

    /// Outlierness `o(x) = −1/γ log(1/N Σ_k exp(−γ‖x − u_k‖²))` (§3.1) of location row `row`
    /// with activations `x`, leave-one-out for a member.
    pub fn outlier_score(&self, x: ArrayView1<f64>, row: usize) -> f64 {
        self.kde.outlier(x, self.exclude(row))
    }

    /// Exact inlierness `p̃(x)` (Eq. 1, §3.2) of location row `row`, leave-one-out for a member.
    pub fn inlier_score(&self, x: ArrayView1<f64>, row: usize) -> f64 {
        self.kde.inlier(x, self.exclude(row))
    }

    /// The outlier explainer of Appendix A.1: the core's soft argmin with stiffness `beta`
    /// over the squared distances, then the grounded distance rule
    /// `R_i = Σ_k p_k a_i (a_i − u_ik)`; `R^res` is reported as dissipated.
    pub fn outlier_explainer(&self, beta: f64) -> Result<LocationExplainer<'_>> {
        let options = ExplainOptions {
            beta: Some(beta),
            rule: Some(RuleSet::Grounded),
            ..ExplainOptions::default()
        };
        LocationExplainer::new(self, Target::Outlier, &options)
    }

    /// The random-feature inlier explainer of Appendix A.2: `n_features` random Fourier
    /// features drawn by the core for `seed` (the same draw as `neon explain --target
    /// inlier-rff --seed S --n-features H` on the member rows), then the grounded Fourier rule
    /// with stabiliser `epsilon`; the ε-dissipated share is reported as dissipated.
    pub fn rff_explainer(
        &self,
        n_features: usize,
        epsilon: f64,
        seed: u64,
    ) -> Result<LocationExplainer<'_>> {
        let options = ExplainOptions {
            n_features,
            epsilon,
            seed,
            trials: 1,
            rule: Some(RuleSet::Grounded),
            beta: None,
            cluster: None,
        };
        LocationExplainer::new(self, Target::InlierRff, &options)
    }
}

/// A [`LocationKde`] ready to score and explain one target (A.1 or A.2) location by location.
#[derive(Debug)]
pub struct LocationExplainer<'a> {
    owner: &'a LocationKde,
    core: KdeExplainer<'a>,
    target: Target,
}

impl<'a> LocationExplainer<'a> {
    fn new(owner: &'a LocationKde, target: Target, options: &ExplainOptions) -> Result<Self> {
        let core = owner.kde.explainer(target, options)?;
        if target == Target::InlierRff && core.draws().is_empty() {
            return Err(CnnError::param(
                "n_features",
                "no random features were drawn",
            ));
        }
        Ok(LocationExplainer {
            owner,
            core,
            target,
        })
    }

    /// The target (`outlier` or `inlier-rff`).
    pub fn target(&self) -> Target {
        self.target
    }

    /// The core's explainer (β, ε, the random-feature draw).
    pub fn core(&self) -> &KdeExplainer<'a> {
        &self.core
    }

    /// The model's score of location row `row` with activations `x`: `o(x)` (§3.1) or the
    /// random-feature estimate `î(x)` (§3.3), leave-one-out for a member.
    pub fn score(&self, x: ArrayView1<f64>, row: usize) -> f64 {
        let exclude = self.owner.exclude(row);
        match self.core.draws().first() {
            Some(draw) if self.target == Target::InlierRff => {
                self.core.explain_rff_draw(draw, x, exclude).0
            }
            _ => self.owner.kde.outlier(x, exclude),
        }
    }

    /// The explanation of location row `row` (A.1 or A.2): relevance zero wherever `x_i = 0`,
    /// `dissipated` the part that cannot be grounded on the activations.
    pub fn explain(&self, x: ArrayView1<f64>, row: usize) -> Explanation {
        let exclude = self.owner.exclude(row);
        match self.core.draws().first() {
            Some(draw) if self.target == Target::InlierRff => {
                let (score, relevance) = self.core.explain_rff_draw(draw, x, exclude);
                let dissipated = score - relevance.iter().sum::<f64>();
                let mut e = Explanation::new(row, score, relevance, dissipated);
                e.exact_score = Some(self.owner.kde.inlier(x, exclude));
                e
            }
            _ => {
                let (score, relevance, residual) =
                    self.owner
                        .kde
                        .explain_outlier_grounded(x, exclude, self.core.beta());
                Explanation::new(row, score, relevance, residual)
            }
        }
    }
}
