use super::*;
use ndarray::Array3;
use rand::{Rng, SeedableRng};

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

#[test]
fn deactivated_neurons_get_exactly_zero_relevance() {
    let l = locs();
    let d2 = sq_dists(&l.data);
    let gamma = resolve_gamma(&d2, GammaSpec::Relative(1.0)).unwrap_or_else(|e| panic!("{e}"));
    let kde = Kde::new(l.data.clone(), gamma).unwrap_or_else(|e| panic!("{e}"));
    let rff = kde
        .random_features(300, 0.1, 7)
        .unwrap_or_else(|e| panic!("{e}"));
    let km = KMeansModel::fit(
        &l.data,
        &KMeansParams {
            n_clusters: 3,
            n_init: 3,
            max_iter: 100,
            seed: 1,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut zeros_seen = 0;
    for r in 0..l.len() {
        let a = l.data.row(r);
        let explanations = [
            kde.explain_outlier(r, gamma),
            rff.explain(&l.data, r),
            km.explain(a, km.labels[r], 1.0)
                .unwrap_or_else(|e| panic!("{e}")),
        ];
        for e in &explanations {
            for (i, &ai) in a.iter().enumerate() {
                if ai == 0.0 {
                    assert_eq!(e.relevance[i], 0.0);
                    zeros_seen += 1;
                }
            }
            assert!((e.propagated + e.residual - e.score).abs() < 1e-9 * e.score.abs().max(1.0));
        }
    }
    assert!(zeros_seen > 100);
}

#[test]
fn outlier_rule_conserves_the_dot_part_and_matches_the_formula() {
    let l = locs();
    let kde = Kde::new(l.data.clone(), 0.05).unwrap_or_else(|e| panic!("{e}"));
    let r = 4;
    let beta = 0.05;
    let e = kde.explain_outlier(r, beta);
    // Σ_i R_i = Σ_k R_k^dot = Σ_k p_k aᵀ(a − u_k), computed the long way.
    let a = l.data.row(r);
    let others: Vec<usize> = (0..l.len()).filter(|&k| k != r).collect();
    let h: Vec<f64> = others.iter().map(|&k| sq_dists(&l.data)[[r, k]]).collect();
    let p = softmin(&h, beta);
    let rdot: f64 = others
        .iter()
        .zip(&p)
        .map(|(&k, pk)| pk * a.dot(&(&a - &l.data.row(k))))
        .sum();
    assert!((e.propagated - rdot).abs() < 1e-9 * rdot.abs().max(1.0));
    // The outlier score is the LME of the distances: o = −1/γ log mean exp(−γ h).
    let o = -(h.iter().map(|v| (-0.05 * v).exp()).sum::<f64>() / h.len() as f64).ln() / 0.05;
    assert!((e.score - o).abs() < 1e-9 * o.abs().max(1.0));
}

#[test]
fn leave_one_out_scores_are_not_flat_and_rff_approximates_kde() {
    let l = locs();
    let d2 = sq_dists(&l.data);
    let gamma = resolve_gamma(&d2, GammaSpec::Relative(1.0)).unwrap_or_else(|e| panic!("{e}"));
    let kde = Kde::new(l.data.clone(), gamma).unwrap_or_else(|e| panic!("{e}"));
    let s = kde.outlier_scores();
    let spread =
        s.iter().cloned().fold(f64::MIN, f64::max) - s.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 1e-3, "{s:?}");
    let rff = kde
        .random_features(20000, 0.1, 3)
        .unwrap_or_else(|e| panic!("{e}"));
    for r in [0, 7, 20] {
        let (exact, approx) = (kde.inlier_score(r), rff.inlier_score(r));
        assert!((exact - approx).abs() < 0.05, "{exact} vs {approx}");
    }
}

#[test]
fn cluster_rule_is_conservative_up_to_the_residual_and_biases_vanish() {
    let l = locs();
    let km = KMeansModel::fit(
        &l.data,
        &KMeansParams {
            n_clusters: 4,
            n_init: 2,
            max_iter: 50,
            seed: 0,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for k in 0..4 {
        let n = km.centroids.row(k).dot(&km.centroids.row(k)).sqrt();
        assert!((n - km.norm).abs() < 1e-9 * km.norm);
    }
    for r in 0..l.len() {
        let c = km.labels[r];
        let e = km
            .explain(l.data.row(r), c, 1.0)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            e.score >= -1e-9,
            "assigned cluster has non-negative evidence"
        );
        // With equal norms, h_k = w_kᵀa, so Σ R^dot = Σ p_k h_k ≥ min h = score: residual ≤ 0.
        assert!(e.residual <= 1e-9);
    }
    assert!(km.explain(l.data.row(0), 9, 1.0).is_err());
}

#[test]
fn parameter_errors() {
    let l = locs();
    assert!(Kde::new(l.data.slice(ndarray::s![0..1, ..]).to_owned(), 1.0).is_err());
    assert!(Kde::new(l.data.clone(), 0.0).is_err());
    assert!(KMeansModel::fit(
        &l.data,
        &KMeansParams {
            n_clusters: 1,
            ..Default::default()
        }
    )
    .is_err());
    assert!(KMeansModel::fit(
        &l.data,
        &KMeansParams {
            n_clusters: 100,
            ..Default::default()
        }
    )
    .is_err());
    let d2 = sq_dists(&l.data);
    assert!(resolve_gamma(&d2, GammaSpec::Relative(-1.0)).is_err());
    assert!(resolve_gamma(&d2, GammaSpec::Absolute(f64::NAN)).is_err());
    assert!(l.row(0, 9, 0).is_err());
}

#[test]
fn non_members_are_scored_against_the_members_only() {
    let l = locs();
    let n = l.len();
    let d2 = sq_dists(&l.data);
    // rows 0..10 are new points, the rest the data set
    let members: Vec<bool> = (0..n).map(|r| r >= 10).collect();
    let gamma = 0.05;
    let kde = Kde::with_members(l.data.clone(), d2.clone(), gamma, members)
        .unwrap_or_else(|e| panic!("{e}"));
    let reference = Kde::new(l.data.slice(ndarray::s![10.., ..]).to_owned(), gamma)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!kde.is_member(3) && kde.is_member(12));
    for r in 0..10 {
        let h: Vec<f64> = (10..n).map(|k| d2[[r, k]]).collect();
        let mean = h.iter().map(|v| (-gamma * v).exp()).sum::<f64>() / h.len() as f64;
        assert!((kde.inlier_score(r) - mean).abs() < 1e-12);
        assert!((kde.outlier_score(r) + mean.ln() / gamma).abs() < 1e-9);
        let e = kde.explain_outlier(r, gamma);
        assert!((e.score - kde.outlier_score(r)).abs() < 1e-12);
        for (i, &ai) in l.data.row(r).iter().enumerate() {
            if ai == 0.0 {
                assert_eq!(e.relevance[i], 0.0);
            }
        }
    }
    // members are still scored leave-one-out, as in a KDE fitted on the members alone
    for r in 10..n {
        assert!((kde.outlier_score(r) - reference.outlier_score(r - 10)).abs() < 1e-9);
    }
    // random features: μ_j over the members; a new point's score approximates the exact KDE
    let rff = kde
        .random_features(4000, 0.1, 3)
        .unwrap_or_else(|e| panic!("{e}"));
    let rff_ref = reference
        .random_features(4000, 0.1, 3)
        .unwrap_or_else(|e| panic!("{e}"));
    for r in 10..n {
        assert!((rff.inlier_score(r) - rff_ref.inlier_score(r - 10)).abs() < 1e-9);
    }
    let err: f64 = (0..10)
        .map(|r| (rff.inlier_score(r) - kde.inlier_score(r)).abs())
        .fold(0.0, f64::max);
    assert!(err < 0.1, "{err}");
    let too_few = Kde::with_members(l.data.clone(), d2, gamma, (0..n).map(|r| r == 0).collect());
    assert!(matches!(
        too_few,
        Err(CnnError::TooFewLocations { found: 1, .. })
    ));
}

#[test]
fn kmeans_assign_is_the_nearest_rescaled_centroid() {
    let l = locs();
    let km = KMeansModel::fit(&l.data, &KMeansParams::default()).unwrap_or_else(|e| panic!("{e}"));
    for r in 0..l.len() {
        assert_eq!(km.assign(l.data.row(r)), km.labels[r]);
    }
}
