use super::*;
use ndarray::{Array3, Axis};
use neon_xai::models::{ExplainOptions, KMeans, Kde, KdeParams, RuleSet, Target};
use rand::{Rng, SeedableRng};

use crate::error::CnnError;

/// Post-ReLU-like features: about half the activations are exactly zero.
fn features(seed: u64, h: usize, w: usize, c: usize) -> Array3<f32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Array3::from_shape_fn((h, w, c), |(i, _, k)| {
        let v: f32 = rng.gen_range(-1.0..1.5) + if k % 3 == 0 { i as f32 * 0.3 } else { 0.0 };
        v.max(0.0)
    })
}

fn locs() -> Locations {
    let f = features(3, 5, 6, 16);
    Locations::from_features(&[&f]).unwrap_or_else(|e| panic!("{e}"))
}

fn ok<T>(r: Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// Soft argmin written out, independently of the core's.
fn softmin(h: &[f64], beta: f64) -> Vec<f64> {
    let m = h.iter().cloned().fold(f64::INFINITY, f64::min);
    let e: Vec<f64> = h.iter().map(|&v| (-beta * (v - m)).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

#[test]
fn deactivated_neurons_get_exactly_zero_relevance_and_every_rule_conserves() {
    let l = locs();
    let gamma = ok(resolve_gamma(l.data.view(), GammaSpec::Relative(1.0)));
    let kde = ok(LocationKde::fit_all(l.data.view(), gamma));
    let outlier = ok(kde.outlier_explainer(gamma));
    let rff = ok(kde.rff_explainer(300, 0.1, 7));
    let km = ok(LocationKMeans::fit(
        l.data.view(),
        KMeansParams::new(3).n_init(3).max_iter(100).seed(1),
    ));
    let labels = km.labels();
    let mut zeros_seen = 0;
    for (r, &label) in labels.iter().enumerate() {
        let a = l.data.row(r);
        let explanations = [
            outlier.explain(a, r),
            rff.explain(a, r),
            ok(km.explain(a, label, 1.0, r)),
        ];
        for e in &explanations {
            assert_eq!(e.row, r);
            for (i, &ai) in a.iter().enumerate() {
                if ai == 0.0 {
                    assert_eq!(e.relevance[i], 0.0);
                    zeros_seen += 1;
                }
            }
            assert!(e.conservation_gap().abs() < 1e-9 * e.score.abs().max(1.0));
        }
    }
    assert!(zeros_seen > 100);
}

#[test]
fn outlier_rule_conserves_the_dot_part_and_matches_the_formula() {
    let l = locs();
    let kde = ok(LocationKde::fit_all(l.data.view(), 0.05));
    let r = 4;
    let beta = 0.05;
    let e = ok(kde.outlier_explainer(beta)).explain(l.data.row(r), r);
    // Σ_i R_i = Σ_k R_k^dot = Σ_k p_k aᵀ(a − u_k), computed the long way.
    let a = l.data.row(r);
    let others: Vec<usize> = (0..l.len()).filter(|&k| k != r).collect();
    let h: Vec<f64> = others
        .iter()
        .map(|&k| (&a - &l.data.row(k)).mapv(|v| v * v).sum())
        .collect();
    let p = softmin(&h, beta);
    let rdot: f64 = others
        .iter()
        .zip(&p)
        .map(|(&k, pk)| pk * a.dot(&(&a - &l.data.row(k))))
        .sum();
    assert!((e.relevance_sum - rdot).abs() < 1e-9 * rdot.abs().max(1.0));
    // The outlier score is the LME of the distances: o = −1/γ log mean exp(−γ h).
    let o = -(h.iter().map(|v| (-0.05 * v).exp()).sum::<f64>() / h.len() as f64).ln() / 0.05;
    assert!((e.score - o).abs() < 1e-9 * o.abs().max(1.0));
    assert!((e.dissipated - (o - rdot)).abs() < 1e-9 * o.abs().max(1.0));
}

#[test]
fn leave_one_out_scores_are_not_flat_and_rff_approximates_kde() {
    let l = locs();
    let gamma = ok(resolve_gamma(l.data.view(), GammaSpec::Relative(1.0)));
    let kde = ok(LocationKde::fit_all(l.data.view(), gamma));
    let s: Vec<f64> = (0..l.len())
        .map(|r| kde.outlier_score(l.data.row(r), r))
        .collect();
    let spread =
        s.iter().cloned().fold(f64::MIN, f64::max) - s.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 1e-3, "{s:?}");
    let rff = ok(kde.rff_explainer(20000, 0.1, 3));
    for r in [0, 7, 20] {
        let x = l.data.row(r);
        let (exact, approx) = (kde.inlier_score(x, r), rff.score(x, r));
        assert!((exact - approx).abs() < 0.05, "{exact} vs {approx}");
        assert_eq!(rff.explain(x, r).exact_score, Some(exact));
    }
}

#[test]
fn cluster_rule_is_conservative_up_to_the_residual_and_biases_vanish() {
    let l = locs();
    let km = ok(LocationKMeans::fit(
        l.data.view(),
        KMeansParams::new(4).n_init(2).max_iter(50),
    ));
    for k in 0..4 {
        let n = km.centroids().row(k).dot(&km.centroids().row(k)).sqrt();
        assert!((n - km.norm()).abs() < 1e-9 * km.norm());
    }
    let labels = km.labels();
    for (r, &c) in labels.iter().enumerate() {
        let e = ok(km.explain(l.data.row(r), c, 1.0, r));
        assert_eq!(e.cluster, Some(c));
        assert!(
            e.score >= -1e-9,
            "assigned cluster has non-negative evidence"
        );
        assert!((e.score - km.evidence(l.data.row(r), c)).abs() < 1e-9 * e.score.max(1.0));
        // With equal norms, h_k = w_kᵀa, so Σ R^dot = Σ p_k h_k ≥ min h = score: residual ≤ 0.
        assert!(e.dissipated <= 1e-9);
    }
    assert!(km.explain(l.data.row(0), 9, 1.0, 0).is_err());
    assert!(km.explain(l.data.row(0), 0, -1.0, 0).is_err());
}

#[test]
fn kmeans_is_the_cores_fit_then_the_rescaling() {
    let l = locs();
    let params = KMeansParams::new(3).n_init(4).seed(5);
    let km = ok(LocationKMeans::fit(l.data.view(), params));
    let core = KMeans::fit(params, l.data.view()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(km.fitted_centroids(), &core.centroids);
    let (rescaled, norm) = rescale_centroids(&core.centroids);
    assert_eq!(km.centroids(), &rescaled);
    assert_eq!(km.norm(), norm);
    // the rescaling keeps each centroid's direction
    for k in 0..3 {
        let (a, b) = (core.centroids.row(k), km.centroids().row(k));
        let cos = a.dot(&b) / (a.dot(&a).sqrt() * b.dot(&b).sqrt());
        assert!((cos - 1.0).abs() < 1e-12);
    }
    // default β of A.3: 1 / mean f_c over the fitted locations, with the rescaled centroids
    let labels = km.labels();
    let mean = (0..l.len())
        .map(|r| km.evidence(l.data.row(r), labels[r]))
        .sum::<f64>()
        / l.len() as f64;
    assert!((km.model().beta_auto - 1.0 / mean).abs() < 1e-12 / mean);
}

#[test]
fn parameter_errors() {
    let l = locs();
    let one = l.data.slice(ndarray::s![0..1, ..]);
    assert!(matches!(
        LocationKde::fit_all(one, 1.0),
        Err(CnnError::TooFewLocations { found: 1, .. })
    ));
    assert!(matches!(
        LocationKde::fit_all(l.data.view(), 0.0),
        Err(CnnError::Model(_))
    ));
    assert!(LocationKde::fit(l.data.view(), &[true, true], 1.0).is_err());
    let kde = ok(LocationKde::fit_all(l.data.view(), 1.0));
    assert!(kde.rff_explainer(0, 0.1, 0).is_err());
    assert!(kde.rff_explainer(10, -1.0, 0).is_err());
    assert!(kde.outlier_explainer(f64::NAN).is_err());
    assert!(LocationKMeans::fit(l.data.view(), KMeansParams::new(1)).is_err());
    assert!(matches!(
        LocationKMeans::fit(l.data.view(), KMeansParams::new(100)),
        Err(CnnError::TooFewLocations { needed: 100, .. })
    ));
    assert!(LocationKMeans::fit(l.data.view(), KMeansParams::new(3).n_init(0)).is_err());
    assert!(resolve_gamma(l.data.view(), GammaSpec::Relative(-1.0)).is_err());
    assert!(resolve_gamma(l.data.view(), GammaSpec::Absolute(f64::NAN)).is_err());
    assert!(l.row(0, 9, 0).is_err());
}

#[test]
fn non_members_are_scored_against_the_members_only() {
    let l = locs();
    let n = l.len();
    let d2 = squared_distances(l.data.view());
    // rows 0..10 are new points, the rest the data set
    let members: Vec<bool> = (0..n).map(|r| r >= 10).collect();
    let gamma = 0.05;
    let kde = ok(LocationKde::fit(l.data.view(), &members, gamma));
    let reference = ok(LocationKde::fit_all(
        l.data.slice(ndarray::s![10.., ..]),
        gamma,
    ));
    assert!(!kde.is_member(3) && kde.is_member(12));
    assert_eq!((kde.exclude(3), kde.exclude(12)), (None, Some(2)));
    assert_eq!(kde.n_members(), n - 10);
    let outlier = ok(kde.outlier_explainer(gamma));
    for r in 0..10 {
        let x = l.data.row(r);
        let h: Vec<f64> = (10..n).map(|k| d2[[r, k]]).collect();
        let mean = h.iter().map(|v| (-gamma * v).exp()).sum::<f64>() / h.len() as f64;
        assert!((kde.inlier_score(x, r) - mean).abs() < 1e-12);
        assert!((kde.outlier_score(x, r) + mean.ln() / gamma).abs() < 1e-9);
        let e = outlier.explain(x, r);
        assert!((e.score - kde.outlier_score(x, r)).abs() < 1e-12);
        for (i, &ai) in x.iter().enumerate() {
            if ai == 0.0 {
                assert_eq!(e.relevance[i], 0.0);
            }
        }
    }
    // members are still scored leave-one-out, as in a KDE fitted on the members alone
    for r in 10..n {
        let x = l.data.row(r);
        assert!((kde.outlier_score(x, r) - reference.outlier_score(x, r - 10)).abs() < 1e-9);
    }
    // random features: μ_j over the members; a new point's score approximates the exact KDE
    let rff = ok(kde.rff_explainer(4000, 0.1, 3));
    let rff_ref = ok(reference.rff_explainer(4000, 0.1, 3));
    for r in 10..n {
        let x = l.data.row(r);
        assert!((rff.score(x, r) - rff_ref.score(x, r - 10)).abs() < 1e-9);
    }
    let err: f64 = (0..10)
        .map(|r| (rff.score(l.data.row(r), r) - kde.inlier_score(l.data.row(r), r)).abs())
        .fold(0.0, f64::max);
    assert!(err < 0.1, "{err}");
    let too_few = LocationKde::fit(
        l.data.view(),
        &(0..n).map(|r| r == 0).collect::<Vec<_>>(),
        gamma,
    );
    assert!(matches!(
        too_few,
        Err(CnnError::TooFewLocations { found: 1, .. })
    ));
}

#[test]
fn kmeans_assign_is_the_nearest_rescaled_centroid() {
    let l = locs();
    let km = ok(LocationKMeans::fit(l.data.view(), KMeansParams::new(5)));
    let labels = km.labels();
    for (r, &label) in labels.iter().enumerate() {
        let a = l.data.row(r);
        assert_eq!(km.assign(a), label);
        let d: Vec<f64> = km
            .centroids()
            .outer_iter()
            .map(|c| (&a - &c).mapv(|v| v * v).sum())
            .collect();
        let nearest = (0..d.len()).fold(0, |b, k| if d[k] < d[b] { k } else { b });
        assert_eq!(label, nearest);
    }
}

/// The requirement: the same seed draws the same random features in the bridge and in
/// the core's `neon explain --target inlier-rff` path (a `Kde` fitted on the same rows and its
/// explainer for `ExplainOptions { seed, n_features, .. }`), and the bridge's A.2 explanation
/// is the core's grounded one.
#[test]
fn the_same_seed_draws_the_same_random_features_as_the_core() {
    let l = locs();
    let n = l.len();
    let members: Vec<bool> = (0..n).map(|r| r % 3 != 0).collect();
    let member_rows: Vec<usize> = (0..n).filter(|&r| members[r]).collect();
    let gamma = 0.2;
    let kde = ok(LocationKde::fit(l.data.view(), &members, gamma));
    for (seed, n_features) in [(0, 50), (11, 1000)] {
        let bridge = ok(kde.rff_explainer(n_features, 0.1, seed));
        let core_kde = Kde::fit(
            KdeParams::new(gamma),
            l.data.select(Axis(0), &member_rows).view(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let options = ExplainOptions {
            seed,
            n_features,
            epsilon: 0.1,
            ..ExplainOptions::default()
        };
        let core = core_kde
            .explainer(Target::InlierRff, &options)
            .unwrap_or_else(|e| panic!("{e}"));
        let (b, c) = (&bridge.core().draws()[0], &core.draws()[0]);
        assert_eq!(b.layer.omega.dim(), (n_features, l.data.ncols()));
        assert_eq!(b.layer.omega, c.layer.omega);
        assert_eq!(b.layer.phase, c.layer.phase);
        assert_eq!(b.embedding_sum, c.embedding_sum);
        // a different seed draws different features
        let other = ok(kde.rff_explainer(n_features, 0.1, seed + 1));
        assert_ne!(other.core().draws()[0].layer.omega, b.layer.omega);
        // the explanation is the core's grounded rule, with the member's leave-one-out index
        let grounded = core_kde
            .explainer(
                Target::InlierRff,
                &ExplainOptions {
                    rule: Some(RuleSet::Grounded),
                    ..options
                },
            )
            .unwrap_or_else(|e| panic!("{e}"));
        for r in [0, 1, 7] {
            let x = l.data.row(r);
            let exclude = member_rows.iter().position(|&m| m == r);
            let (score, relevance) = grounded.explain_rff_draw(&grounded.draws()[0], x, exclude);
            let e = bridge.explain(x, r);
            assert_eq!(e.score, score);
            assert_eq!(e.relevance, relevance);
            assert_eq!(bridge.score(x, r), score);
        }
    }
}

/// The A.1 outlier explanations of the bridge on the core's `Kde` equal those of the bridge's
/// own KDE it replaced, to 1e-6: values recorded from the old implementation (commit dafa9aa)
/// on a deterministic feature map, in `tests/fixtures/bridge_v0.json`.
#[test]
fn outlier_explanations_equal_the_recorded_ones_of_the_old_bridge() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bridge_v0.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let fixture: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    // the deterministic map the values were recorded on
    let f = Array3::from_shape_fn((4, 5, 8), |(i, j, k)| {
        let v = ((i * 7 + j * 3 + k * 5 + i * j * k) % 11) as f32 / 4.0 - 1.0;
        v.max(0.0)
    });
    let l = ok(Locations::from_features(&[&f]));
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    let close = |a: f64, b: f64, what: &str| {
        assert!(
            (a - b).abs() <= 1e-6 * b.abs().max(1.0),
            "{what}: {a} vs {b}"
        );
    };
    // (a) every location a member, leave-one-out, relative γ, β = γ
    let loo = &fixture["bridge_loo"];
    let gamma = ok(resolve_gamma(l.data.view(), GammaSpec::Relative(1.0)));
    close(gamma, num(&loo["gamma"]), "gamma");
    let kde = ok(LocationKde::fit_all(l.data.view(), gamma));
    // (b) rows 0..6 new points scored against the others, γ = 0.3, β = 0.7
    let m = &fixture["bridge_members"];
    let first = num(&m["first_member"]) as usize;
    let members: Vec<bool> = (0..l.len()).map(|r| r >= first).collect();
    let kde_m = ok(LocationKde::fit(l.data.view(), &members, num(&m["gamma"])));
    for (kde, beta, rows) in [
        (&kde, gamma, &loo["rows"]),
        (&kde_m, num(&m["beta"]), &m["rows"]),
    ] {
        let explainer = ok(kde.outlier_explainer(beta));
        let rows = rows.as_array().unwrap_or_else(|| panic!("rows"));
        assert_eq!(rows.len(), l.len());
        let mut nonzero = 0;
        for (r, old) in rows.iter().enumerate() {
            let e = explainer.explain(l.data.row(r), r);
            close(e.score, num(&old["score"]), "score");
            let old_rel: Vec<f64> = old["relevance"]
                .as_array()
                .unwrap_or_else(|| panic!("relevance"))
                .iter()
                .map(num)
                .collect();
            assert_eq!(e.relevance.len(), old_rel.len());
            for (a, b) in e.relevance.iter().zip(&old_rel) {
                close(*a, *b, "relevance");
                nonzero += usize::from(*b != 0.0);
            }
        }
        assert!(nonzero > 50, "the fixture has relevance to compare");
    }
}

#[test]
fn one_location_is_named_as_too_few_not_an_infinite_distance() {
    let one = ndarray::Array2::<f64>::ones((1, 4));
    let err = super::resolve_gamma(one.view(), super::GammaSpec::Relative(1.0))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("needs at least 2 feature-map locations, got 1"),
        "{err}"
    );
}
