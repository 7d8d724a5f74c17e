//! The fitted diagonal KDE: per-feature γ_i, the training points in model space, and the
//! isotropic KDE on the rescaled features that every explanation runs through.

use super::hyperparams::{DiagonalKdeError, DiagonalKdeParams};
use crate::engine::check_stored_matrix;
use crate::error::{NeonError, Result};
use crate::models::kde::bandwidth::{
    gamma_of_bandwidth, scott, silverman, BandwidthRule, PairwiseDistances,
};
use crate::models::{Kde, KdeParams};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// A Gaussian KDE with one kernel parameter per feature (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredDiagonalKde", into = "StoredDiagonalKde")]
pub struct DiagonalKde {
    /// `γ_i`, one per feature.
    gammas: Array1<f64>,
    /// Training points (N × d), in model space.
    points: Array2<f64>,
    /// The rule that chose the γ_i, with its factor `c` (`h_i = c σ_i`), if one did.
    rule: Option<(BandwidthRule, f64)>,
    /// `s_i = √(γ_i / γ̄)`.
    scale: Array1<f64>,
    /// The isotropic KDE with `γ̄` on the points `z = s ∘ u`.
    isotropic: Kde,
}

/// The form model files store: the γ_i as a 1 × d matrix (a per-feature row, like the
/// points' columns), the points, and the rule; the rescaled KDE is rebuilt and checked on load.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredDiagonalKde {
    gammas: Array2<f64>,
    points: Array2<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule: Option<BandwidthRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bandwidth_factor: Option<f64>,
}

impl TryFrom<StoredDiagonalKde> for DiagonalKde {
    type Error = NeonError;
    fn try_from(s: StoredDiagonalKde) -> Result<Self> {
        if s.gammas.nrows() != 1 {
            return Err(NeonError::ShapeMismatch {
                what: "gammas".into(),
                expected: "one row".into(),
                found: format!("{} rows", s.gammas.nrows()),
            });
        }
        check_stored_matrix("points", s.points.view())?;
        let gammas = s.gammas.row(0).to_vec();
        let mut model = DiagonalKde::fit(DiagonalKdeParams::Gammas(gammas), s.points.view())?;
        model.rule = match (s.rule, s.bandwidth_factor) {
            (Some(rule), Some(c)) if c.is_finite() && c > 0.0 => Some((rule, c)),
            (None, None) => None,
            _ => {
                return Err(NeonError::param(
                    "bandwidth_factor",
                    "a stored rule needs its factor c > 0 (and a factor its rule)",
                ))
            }
        };
        Ok(model)
    }
}

impl From<DiagonalKde> for StoredDiagonalKde {
    fn from(m: DiagonalKde) -> Self {
        StoredDiagonalKde {
            gammas: m.gammas.insert_axis(Axis(0)),
            points: m.points,
            rule: m.rule.map(|(r, _)| r),
            bandwidth_factor: m.rule.map(|(_, c)| c),
        }
    }
}

impl DiagonalKde {
    /// Fit (store) the KDE on `points`, with given γ_i or γ_i chosen by a per-feature rule.
    pub fn fit(params: DiagonalKdeParams, points: ArrayView2<f64>) -> Result<Self> {
        // training points in C order, whatever the caller's layout: the same numbers for a
        // model fitted in memory and one read back from its file
        let standard = points.as_standard_layout();
        let points = standard.view();
        let (n, d) = points.dim();
        if n < 2 {
            return Err(DiagonalKdeError::TooFewPoints(n).into());
        }
        params.validate(d)?;
        let (gammas, rule) = match params {
            DiagonalKdeParams::Gammas(g) => (Array1::from(g), None),
            DiagonalKdeParams::Rule(rule) => {
                let (gammas, c) = per_feature_gammas(rule, points)?;
                (gammas, Some((rule, c)))
            }
        };
        let mean_gamma = gammas.mean().unwrap_or(1.0);
        let scale = gammas.mapv(|g| (g / mean_gamma).sqrt());
        let isotropic = Kde::fit(KdeParams::new(mean_gamma), (&points * &scale).view())?;
        Ok(DiagonalKde {
            gammas,
            points: points.as_standard_layout().into_owned(),
            rule,
            scale,
            isotropic,
        })
    }

    /// The per-feature kernel parameters γ_i.
    pub fn gammas(&self) -> ArrayView1<'_, f64> {
        self.gammas.view()
    }

    /// `γ̄ = mean_i γ_i`, the kernel parameter of the rescaled KDE (the unit of `o(x)` and β).
    pub fn mean_gamma(&self) -> f64 {
        self.isotropic.gamma
    }

    /// The rule that chose the γ_i and its factor `c` (`h_i = c σ_i`), if one did.
    pub fn rule(&self) -> Option<(BandwidthRule, f64)> {
        self.rule
    }

    /// The training points in model space.
    pub fn points(&self) -> ArrayView2<'_, f64> {
        self.points.view()
    }

    /// `s_i = √(γ_i / γ̄)`: model space to the rescaled space of [`DiagonalKde::isotropic`].
    pub fn scale(&self) -> ArrayView1<'_, f64> {
        self.scale.view()
    }

    /// The isotropic KDE on the rescaled features that every explanation runs through.
    pub fn isotropic(&self) -> &Kde {
        &self.isotropic
    }

    /// Rows of `points` (model space) in the rescaled space.
    pub fn rescale(&self, points: ArrayView2<f64>) -> Array2<f64> {
        &points * &self.scale
    }

    /// Outlierness `o(x) = −(1/γ̄) log p̃(x)` by the direct formula (no network): the reference
    /// the tests hold the networks to.
    pub fn outlier_formula(&self, x: ArrayView1<f64>, exclude: Option<usize>) -> f64 {
        let mut sum = 0.0;
        let mut n = 0.0;
        let mut nearest = f64::INFINITY;
        let weighted: Vec<f64> = self
            .points
            .rows()
            .into_iter()
            .enumerate()
            .filter(|(k, _)| Some(*k) != exclude)
            .map(|(_, u)| {
                let w: f64 = (0..x.len())
                    .map(|i| self.gammas[i] * (x[i] - u[i]).powi(2))
                    .sum();
                nearest = nearest.min(w);
                w
            })
            .collect();
        for w in weighted {
            sum += (-(w - nearest)).exp();
            n += 1.0;
        }
        (nearest - (sum / n).ln()) / self.mean_gamma()
    }
}

/// γ_i = 1 / (2 (c σ_i)²) with the factor `c` of `rule` (see [`DiagonalKdeParams::Rule`]).
fn per_feature_gammas(rule: BandwidthRule, points: ArrayView2<f64>) -> Result<(Array1<f64>, f64)> {
    let (n, d) = points.dim();
    let sigma = points.std_axis(Axis(0), 0.0);
    if let Some((feature, _)) = sigma
        .iter()
        .enumerate()
        .find(|(_, s)| !(s.is_finite() && **s > 0.0))
    {
        return Err(DiagonalKdeError::ConstantFeature(feature).into());
    }
    let c = match rule {
        BandwidthRule::Scott => scott(n, d),
        BandwidthRule::Silverman => silverman(n, d),
        BandwidthRule::Loo => {
            let unit = &points / &sigma;
            PairwiseDistances::new(unit.view())?.max_loo_bandwidth().0
        }
    };
    Ok((sigma.mapv(|s| gamma_of_bandwidth(c * s)), c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Model;
    use crate::models::{ExplainOptions, PointExplainer, RuleSet, Target};
    use ndarray::array;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The network of the rescaled KDE equals the direct formula
        /// `−(1/γ̄) log (1/N) Σ_k exp(−Σ_i γ_i (x_i − u_ik)²)`, with and without leave-one-out,
        /// and its explanations conserve.
        #[test]
        fn network_equals_the_weighted_formula(
            values in prop::collection::vec(-2.0f64..2.0, 30),
            x in prop::collection::vec(-3.0f64..3.0, 3),
            gammas in prop::collection::vec(0.05f64..4.0, 3),
            exclude in prop::option::of(0usize..10),
        ) {
            let points = Array2::from_shape_vec((10, 3), values).expect("shape");
            let kde = DiagonalKde::fit(DiagonalKdeParams::Gammas(gammas), points.view())
                .expect("fit");
            let x = Array1::from(x);
            for rule in [RuleSet::Standard, RuleSet::Grounded] {
                let options = ExplainOptions { rule: Some(rule), ..Default::default() };
                let explainer = kde.point_explainer(Target::Outlier, &options).expect("explainer");
                let e = explainer.explain(x.view(), exclude, 0);
                let formula = kde.outlier_formula(x.view(), exclude);
                prop_assert!((e.score - formula).abs() <= 1e-12 * (1.0 + formula.abs()),
                    "{} vs {formula}", e.score);
                prop_assert!(e.conservation_gap().abs() <= 1e-10 * (1.0 + formula.abs()));
            }
        }
    }

    /// One training point at the origin: `o(x) = Σ_i γ_i x_i² / γ̄` and the §3.1 rule weighted
    /// by γ_i gives `R_i = γ_i x_i² / γ̄` (up to the ε share).
    #[test]
    fn one_point_splits_the_weighted_distance() {
        let points = array![[0.0, 0.0], [10.0, 10.0]];
        let kde = DiagonalKde::fit(DiagonalKdeParams::Gammas(vec![1.0, 3.0]), points.view())
            .expect("fit");
        assert_eq!(kde.mean_gamma(), 2.0);
        let x = array![1.0, 2.0];
        let options = ExplainOptions {
            rule: Some(RuleSet::Standard),
            beta: Some(50.0),
            ..Default::default()
        };
        let e = kde
            .point_explainer(Target::Outlier, &options)
            .expect("explainer")
            .explain(x.view(), Some(1), 0);
        // only the origin is left: o = (1·1 + 3·4) / 2 = 6.5, shares 0.5 and 6
        assert!((e.score - 6.5).abs() < 1e-12, "{}", e.score);
        assert!((e.relevance[0] - 0.5).abs() < 1e-8, "{:?}", e.relevance);
        assert!((e.relevance[1] - 6.0).abs() < 1e-8, "{:?}", e.relevance);
    }

    /// Equal γ_i reduce to the isotropic KDE of §3: the same scores and explanations for
    /// every target.
    #[test]
    fn equal_gammas_are_the_isotropic_kde() {
        let points = array![[0.0, 1.0], [1.0, 0.5], [2.0, -1.0], [0.5, 0.0], [3.0, 2.0]];
        let diagonal = DiagonalKde::fit(DiagonalKdeParams::Gammas(vec![0.7, 0.7]), points.view())
            .expect("fit");
        let isotropic = Kde::fit(KdeParams::new(0.7), points.view()).expect("fit");
        let x = array![0.3, 0.9];
        for target in [Target::Outlier, Target::Inlier, Target::InlierRff] {
            let options = ExplainOptions {
                n_features: 64,
                ..Default::default()
            };
            let a = diagonal
                .point_explainer(target, &options)
                .expect("diagonal")
                .explain(x.view(), Some(2), 0);
            let b = isotropic
                .explainer(target, &options)
                .expect("isotropic")
                .explain(x.view(), Some(2), 0);
            assert!(
                (a.score - b.score).abs() <= 1e-12 * (1.0 + b.score.abs()),
                "{target}"
            );
            for (p, q) in a.relevance.iter().zip(&b.relevance) {
                assert!(
                    (p - q).abs() <= 1e-12 * (1.0 + q.abs()),
                    "{target}: {p} vs {q}"
                );
            }
        }
    }

    /// Per-feature rules: `h_i = c σ_i` with Scott's factor, and with the leave-one-out factor
    /// of the features divided by σ_i; a constant feature is a named error; the model file
    /// keeps γ_i and the rule.
    #[test]
    fn per_feature_rules_scale_with_each_feature() {
        let points = array![
            [0.0, 10.0],
            [1.0, 30.0],
            [2.0, -10.0],
            [0.5, 0.0],
            [3.0, 20.0]
        ];
        let sigma = points.std_axis(Axis(0), 0.0);
        let kde = DiagonalKde::fit(DiagonalKdeParams::Rule(BandwidthRule::Scott), points.view())
            .expect("fit");
        let c = scott(5, 2);
        for i in 0..2 {
            assert_eq!(kde.gammas()[i], gamma_of_bandwidth(c * sigma[i]));
        }
        assert_eq!(kde.rule(), Some((BandwidthRule::Scott, c)));
        let loo = DiagonalKde::fit(DiagonalKdeParams::Rule(BandwidthRule::Loo), points.view())
            .expect("fit");
        let unit = &points / &sigma;
        let (h, _) = PairwiseDistances::new(unit.view())
            .expect("pairs")
            .max_loo_bandwidth();
        assert_eq!(loo.rule(), Some((BandwidthRule::Loo, h)));
        let constant = array![[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]];
        let err = DiagonalKde::fit(
            DiagonalKdeParams::Rule(BandwidthRule::Scott),
            constant.view(),
        )
        .expect_err("constant");
        assert_eq!(err.parameter(), Some("bandwidth"));
        assert!(err.to_string().contains("feature 0 is constant"), "{err}");
        let json = serde_json::to_string(&loo).expect("json");
        let back: DiagonalKde = serde_json::from_str(&json).expect("read");
        assert_eq!(back, loo);
        let bad = json.replace("\"rule\":\"loo\",", "");
        assert!(serde_json::from_str::<DiagonalKde>(&bad).is_err(), "{bad}");
    }
}
