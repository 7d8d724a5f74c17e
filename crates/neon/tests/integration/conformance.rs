//! Conformance of every registered model: the neuralized network equals the model's direct
//! formula, explanations are conservative, and closed-form cases come out as derived by hand.

use ndarray::{array, Array1, Array2, ArrayView1};
use neon_xai::models::kde::RandomFeatureDraw;
use neon_xai::models::{
    ExplainOptions, FittedModel, KMeans, KMeansParams, Kde, KdeParams, PointExplainer, Queries,
    Target, REGISTRY,
};
use proptest::prelude::*;

fn matrix(n: usize, d: usize, values: &[f64]) -> Array2<f64> {
    Array2::from_shape_vec((n, d), values[..n * d].to_vec()).expect("shape")
}

/// Naive Eq. (1), no log-domain tricks (only for moderate values).
fn naive_inlier(
    points: &Array2<f64>,
    x: ArrayView1<f64>,
    gamma: f64,
    exclude: Option<usize>,
) -> f64 {
    let mut sum = 0.0;
    let mut n = 0.0;
    for (k, u) in points.rows().into_iter().enumerate() {
        if Some(k) == exclude {
            continue;
        }
        let d2: f64 = x.iter().zip(u.iter()).map(|(a, b)| (a - b).powi(2)).sum();
        sum += (-gamma * d2).exp();
        n += 1.0;
    }
    sum / n
}

fn naive_evidence(centroids: &Array2<f64>, x: ArrayView1<f64>) -> f64 {
    let d: Vec<f64> = centroids
        .rows()
        .into_iter()
        .map(|c| x.iter().zip(c.iter()).map(|(a, b)| (a - b).powi(2)).sum())
        .collect();
    let c = (0..d.len())
        .min_by(|&a, &b| d[a].total_cmp(&d[b]))
        .expect("non-empty");
    (0..d.len())
        .filter(|&k| k != c)
        .map(|k| d[k] - d[c])
        .fold(f64::INFINITY, f64::min)
}

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1e-300)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn kde_networks_equal_eq1(
        values in prop::collection::vec(-2.0f64..2.0, 60),
        x in prop::collection::vec(-3.0f64..3.0, 3),
        gamma in 0.1f64..2.0,
        exclude in prop::option::of(0usize..20),
    ) {
        let points = matrix(20, 3, &values);
        let kde = Kde::fit(KdeParams::new(gamma), points.view()).expect("fit");
        let x = Array1::from(x);
        let p = naive_inlier(&points, x.view(), gamma, exclude);
        // outlier network: LME^{-γ} over squared distances
        let o = kde.outlier(x.view(), exclude);
        prop_assert!(rel_close(o, -p.ln() / gamma, 1e-12), "o {o} vs {}", -p.ln() / gamma);
        // direct inlier network: Gaussians + mean pooling
        prop_assert!(rel_close(kde.inlier_network(x.view(), exclude), p, 1e-12));
        prop_assert!(rel_close(kde.inlier(x.view(), exclude), p, 1e-12));
    }

    #[test]
    fn rff_network_equals_its_feature_map_formula(
        values in prop::collection::vec(-2.0f64..2.0, 30),
        x in prop::collection::vec(-2.0f64..2.0, 3),
        seed in 0u64..1000,
    ) {
        let points = matrix(10, 3, &values);
        let kde = Kde::fit(KdeParams::new(0.5), points.view()).expect("fit");
        let opts = ExplainOptions { n_features: 64, seed, ..Default::default() };
        let explainer = kde.explainer(Target::InlierRff, &opts).expect("explainer");
        let draw: &RandomFeatureDraw = &explainer.draws()[0];
        let x = Array1::from(x);
        // Eq. (2)-(3): <Φ̂(x), (1/N) Σ Φ̂(u_k)> with Φ̂ = √2/H cos(ωx+b), times H
        let phi = |v: ArrayView1<f64>| -> Vec<f64> {
            (0..64).map(|j| 2f64.sqrt() * (draw.layer.omega.row(j).dot(&v) + draw.layer.phase[j]).cos()).collect()
        };
        let fx = phi(x.view());
        let mut mean = vec![0.0; 64];
        for u in points.rows() { for (m, v) in mean.iter_mut().zip(phi(u)) { *m += v / 10.0; } }
        let formula: f64 = fx.iter().zip(&mean).map(|(a, b)| a * b).sum::<f64>() / 64.0;
        prop_assert!((explainer.score(x.view(), None) - formula).abs() < 1e-12 * (1.0 + formula.abs()));
        // leave-one-out update equals a refit without the row
        let without = points.select(ndarray::Axis(0), &[0, 1, 2, 4, 5, 6, 7, 8, 9]);
        let mut mean3 = vec![0.0; 64];
        for u in without.rows() { for (m, v) in mean3.iter_mut().zip(phi(u)) { *m += v / 9.0; } }
        let loo: f64 = fx.iter().zip(&mean3).map(|(a, b)| a * b).sum::<f64>() / 64.0;
        prop_assert!((explainer.score(x.view(), Some(3)) - loo).abs() < 1e-12 * (1.0 + loo.abs()));
    }

    #[test]
    fn cluster_network_equals_eq5(
        values in prop::collection::vec(-3.0f64..3.0, 12),
        x in prop::collection::vec(-3.0f64..3.0, 3),
    ) {
        let centroids = matrix(4, 3, &values);
        let points = array![[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]];
        let km = KMeans::from_centroids(centroids.clone(), points.view()).expect("import");
        let x = Array1::from(x);
        let c = km.predict(x.view());
        let expected = naive_evidence(&centroids, x.view());
        let net = km.cluster_network(x.view(), c);
        prop_assert!((net - expected).abs() <= 1e-12 * (1.0 + expected.abs()), "{net} vs {expected}");
        prop_assert!((km.cluster_evidence(x.view(), c) - expected).abs() <= 1e-12 * (1.0 + expected.abs()));
    }

    #[test]
    fn every_target_conserves(
        values in prop::collection::vec(-2.0f64..2.0, 48),
        x in prop::collection::vec(-4.0f64..4.0, 4),
        beta in prop::option::of(0.0f64..5.0),
    ) {
        let points = matrix(12, 4, &values);
        let x = Array1::from(x);
        for entry in REGISTRY {
            let model = (entry.fit_default)(points.view()).expect("fit");
            for target in entry.targets() {
                let opts = ExplainOptions { beta, n_features: 200, trials: 3, ..Default::default() };
                let explainer = model.explainer(target, &opts).expect("explainer");
                for exclude in [None, Some(5)] {
                    let e = explainer.explain(x.view(), exclude, 0);
                    let score = explainer.score(x.view(), exclude);
                    prop_assert!((e.score - score).abs() <= 1e-12 * (1.0 + score.abs()));
                    prop_assert!(e.conservation_gap().abs() <= 1e-10 * (1.0 + e.score.abs()),
                        "{} {target}: gap {}", entry.name, e.conservation_gap());
                    prop_assert_eq!(e.relevance.len(), 4);
                }
            }
        }
    }
}

#[test]
fn one_training_point_and_axis_displacement_puts_all_outlier_relevance_on_that_axis() {
    let points = array![[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]];
    let kde = Kde::fit(KdeParams::new(1.0), points.view()).expect("fit");
    let x = array![1.0, 5.0, 3.0];
    let e = kde
        .explainer(Target::Outlier, &ExplainOptions::default())
        .expect("explainer")
        .explain(x.view(), None, 0);
    // o(x) = ‖x − u‖² = 9 for identical training points
    assert!((e.score - 9.0).abs() < 1e-12);
    assert_eq!(e.relevance[0], 0.0);
    assert_eq!(e.relevance[2], 0.0);
    assert!((e.relevance[1] + e.dissipated - 9.0).abs() < 1e-12);
    assert!(e.dissipated < 1e-8);
}

#[test]
fn two_centroids_bisector_has_zero_evidence_and_relevance_only_on_centroid_axis() {
    let centroids = array![[-1.0, 0.0], [1.0, 0.0]];
    let points = array![[-1.0, 0.5], [1.0, -0.5]];
    let km = KMeans::from_centroids(centroids, points.view()).expect("import");
    let explainer = km
        .explainer(Target::Cluster, &ExplainOptions::default())
        .expect("explainer");
    // on the bisector x = 0: f_c = 0
    let e = explainer.explain(array![0.0, 3.7].view(), None, 0);
    assert!(e.score.abs() < 1e-15);
    assert!(e.relevance.iter().all(|r| r.abs() < 1e-15));
    // off the bisector: f_c = 4|x_1|, all of it on the first axis
    let e = explainer.explain(array![0.75, -2.0].view(), None, 0);
    assert_eq!(e.cluster, Some(1));
    assert!((e.score - 3.0).abs() < 1e-12);
    assert!((e.relevance[0] - 3.0).abs() < 1e-12);
    assert_eq!(e.relevance[1], 0.0);
}

#[test]
fn permuting_features_permutes_relevance() {
    let points = array![
        [0.0, 1.0, 2.0],
        [1.0, 0.5, -1.0],
        [2.0, -1.0, 0.0],
        [0.3, 0.3, 0.3]
    ];
    let perm = [2usize, 0, 1];
    let x = array![1.5, -0.5, 2.5];
    let xp = x.select(ndarray::Axis(0), &perm);
    for entry in REGISTRY {
        let a = (entry.fit_default)(points.view()).expect("fit");
        let b = permuted_model(&a, &perm);
        for target in entry.targets() {
            if target == Target::InlierRff {
                continue; // ω is drawn per feature index; covered by the trial-mean test
            }
            let opts = ExplainOptions::default();
            let ea = a
                .explainer(target, &opts)
                .expect("a")
                .explain(x.view(), None, 0);
            let eb = b
                .explainer(target, &opts)
                .expect("b")
                .explain(xp.view(), None, 0);
            for (j, &p) in perm.iter().enumerate() {
                // to 1e-12 of the row's scale (a permutation changes the order of sums)
                let scale = ea.score.abs().max(1.0);
                assert!(
                    (eb.relevance[j] - ea.relevance[p]).abs() < 1e-12 * scale,
                    "{} {target}: {} vs {}",
                    entry.name,
                    eb.relevance[j],
                    ea.relevance[p]
                );
            }
        }
    }
}

#[test]
fn rff_score_converges_to_exact_inlierness_as_h_grows() {
    let points = array![[0.0, 0.0], [0.5, 0.2], [-0.3, 0.8], [1.0, -0.5], [0.2, 0.1]];
    let kde = Kde::fit(KdeParams::new(1.0), points.view()).expect("fit");
    let x = array![0.2, 0.3];
    let exact = kde.inlier(x.view(), None);
    let error = |h: usize| {
        let opts = ExplainOptions {
            n_features: h,
            trials: 20,
            seed: 7,
            ..Default::default()
        };
        let e = kde
            .explainer(Target::InlierRff, &opts)
            .expect("rff")
            .explain(x.view(), None, 0);
        assert_eq!(e.exact_score, Some(exact));
        (e.score - exact).abs()
    };
    let coarse = error(50);
    let fine = error(20_000);
    // Monte-Carlo error shrinks like 1/sqrt(H·T): 20000 features over 20 trials is within 0.01
    assert!(fine < 0.01, "fine error {fine}");
    assert!(fine < coarse, "{fine} !< {coarse}");
}

#[test]
fn rff_mean_explanation_is_stable_over_seeds() {
    let points = array![
        [0.0, 0.0, 0.0],
        [0.5, 0.2, 0.1],
        [-0.3, 0.8, 0.2],
        [1.0, -0.5, 0.0]
    ];
    let kde = Kde::fit(KdeParams::new(0.5), points.view()).expect("fit");
    let x = array![0.1, 0.2, 2.0];
    let explain = |seed| {
        let opts = ExplainOptions {
            n_features: 2500,
            trials: 30,
            seed,
            ..Default::default()
        };
        kde.explainer(Target::InlierRff, &opts)
            .expect("rff")
            .explain(x.view(), None, 0)
    };
    let a = explain(1);
    let b = explain(2);
    let scale = a.relevance.iter().map(|r| r.abs()).fold(0.0, f64::max);
    for i in 0..3 {
        assert!(
            (a.relevance[i] - b.relevance[i]).abs() < 0.1 * scale,
            "feature {i}: {:?} vs {:?}",
            a.relevance,
            b.relevance
        );
        // the standard error of the mean is reported and small
        let std = a.relevance_std.as_ref().expect("std")[i];
        assert!(std.is_finite() && std / (30f64).sqrt() < 0.1 * scale);
    }
    // same seed → same numbers
    assert_eq!(explain(1), a);
}

fn three_blobs() -> (Array2<f64>, Vec<usize>) {
    let centers = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
    let offsets = [
        [0.1, 0.0],
        [-0.1, 0.0],
        [0.0, 0.1],
        [0.0, -0.1],
        [0.05, 0.05],
    ];
    let mut data = Vec::new();
    let mut truth = Vec::new();
    for (c, center) in centers.iter().enumerate() {
        for o in &offsets {
            data.extend_from_slice(&[center[0] + o[0], center[1] + o[1]]);
            truth.push(c);
        }
    }
    (Array2::from_shape_vec((15, 2), data).expect("shape"), truth)
}

#[test]
fn kmeans_finds_known_optimum_and_is_deterministic() {
    let (points, truth) = three_blobs();
    let params = KMeansParams::new(3).seed(42);
    let a = KMeans::fit(params, points.view()).expect("fit");
    let labels = a.labels();
    for i in 0..15 {
        for j in 0..15 {
            assert_eq!(labels[i] == labels[j], truth[i] == truth[j]);
        }
    }
    // optimum inertia: each blob's offsets around its mean
    let expected = 3.0 * {
        let offsets: [[f64; 2]; 5] = [
            [0.1, 0.0],
            [-0.1, 0.0],
            [0.0, 0.1],
            [0.0, -0.1],
            [0.05, 0.05],
        ];
        let mean: [f64; 2] = [0.01, 0.01];
        offsets
            .iter()
            .map(|o| (o[0] - mean[0]).powi(2) + (o[1] - mean[1]).powi(2))
            .sum::<f64>()
    };
    assert!(
        (a.inertia - expected).abs() < 1e-9,
        "{} vs {expected}",
        a.inertia
    );
    let b = KMeans::fit(params, points.view()).expect("fit again");
    assert_eq!(a, b);
}

#[test]
fn kept_run_has_minimum_inertia_over_restarts() {
    let values: Vec<f64> = (0..200)
        .map(|i| ((i * 37 % 101) as f64 / 10.0).sin() * 3.0 + (i % 7) as f64)
        .collect();
    let points = Array2::from_shape_vec((100, 2), values).expect("shape");
    let params = KMeansParams::new(5).n_init(8).seed(3);
    let kept = KMeans::fit(params, points.view()).expect("fit");
    let all = KMeans::fit_all_restarts(params, points.view()).expect("all");
    let min = all.iter().map(|m| m.inertia).fold(f64::INFINITY, f64::min);
    assert_eq!(kept.inertia, min);
}

#[test]
fn explain_rows_is_identical_for_one_and_two_threads() {
    let (points, _) = three_blobs();
    let kde = FittedModel::Kde(Kde::fit(KdeParams::new(0.2), points.view()).expect("fit"));
    let opts = ExplainOptions {
        n_features: 300,
        trials: 4,
        ..Default::default()
    };
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            kde.explain_rows(Queries::LeaveOneOut, None, Target::InlierRff, &opts, &|| {})
                .expect("explain")
        })
    };
    assert_eq!(run(1), run(2));
}

/// The conformance matrix: every registered model × target × rule set, explained by the
/// per-point network (the reference), the blocked path in one call, and the blocked path in
/// chunks of 7 rows (streaming). The blocked paths agree with the reference to 1e-12 of the
/// row's scale, chunking changes nothing (bit for bit), and every explanation conserves to
/// 1e-10: `score = Σ R_i + dissipated`. Queries: near points, far points, copies of training
/// points, and the training rows leave-one-out.
#[test]
fn registry_target_rule_and_path_matrix() {
    use neon_xai::kernels::{Compute, ComputePath, Tiles};
    use neon_xai::models::BatchExplainer;
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut sample = |n: usize, scale: f64| {
        Array2::from_shape_simple_fn((n, 4), || scale * rng.gen_range(0.0..2.0f64))
    };
    let train = sample(120, 1.0);
    let near = sample(30, 1.0);
    let far = sample(4, 1e3);
    let copies = train.select(ndarray::Axis(0), &[0, 5, 17]);
    let queries = ndarray::concatenate(ndarray::Axis(0), &[near.view(), far.view(), copies.view()])
        .expect("same width");
    let compute = |path| Compute {
        path,
        tiles: Tiles { rows: 5, train: 37 },
        ..Compute::default()
    };
    let mut combinations = 0;
    for entry in REGISTRY {
        let model = (entry.fit_default)(train.view()).expect("fit");
        for target in entry.targets() {
            for &rule in entry.rules_for(target) {
                let options = ExplainOptions {
                    n_features: 300,
                    trials: 2,
                    rule: Some(rule),
                    ..Default::default()
                };
                for q in [Queries::Points(queries.view()), Queries::LeaveOneOut] {
                    let (points, loo) = match q {
                        Queries::Points(p) => (p, false),
                        Queries::LeaveOneOut => (model.training_points(), true),
                    };
                    // random features are compared near the data, where cos has moderate
                    // arguments (the far-point bound is tested with the kernels)
                    let n = if target == Target::InlierRff && !loo {
                        30
                    } else {
                        points.nrows()
                    };
                    let rows: Vec<usize> = (0..n).collect();
                    let what = format!("{} {target} {rule} loo={loo}", entry.name);
                    let reference = model.explainer(target, &options).expect(&what);
                    let blocked = BatchExplainer::new(
                        &model,
                        target,
                        &options,
                        &compute(ComputePath::Batch),
                        n,
                    )
                    .expect(&what);
                    let whole = blocked.explain(q, &rows, &|_| {});
                    let chunked: Vec<_> = rows
                        .chunks(7)
                        .flat_map(|chunk| blocked.explain(q, chunk, &|_| {}))
                        .collect();
                    assert_eq!(whole, chunked, "{what}: chunking changed the numbers");
                    for (&row, fast) in rows.iter().zip(&whole) {
                        let x = points.row(row);
                        let slow = reference.explain(x, loo.then_some(row), row);
                        let scale = slow.score.abs()
                            + slow.relevance.iter().map(|r| r.abs()).sum::<f64>()
                            + slow.dissipated.abs()
                            + x.dot(&x);
                        assert_eq!(slow.cluster, fast.cluster, "{what} row {row}");
                        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * scale;
                        assert!(close(slow.score, fast.score), "{what} row {row}: score");
                        assert!(
                            close(slow.dissipated, fast.dissipated),
                            "{what} row {row}: dissipated {} vs {}",
                            slow.dissipated,
                            fast.dissipated
                        );
                        for (a, b) in slow.relevance.iter().zip(&fast.relevance) {
                            assert!(close(*a, *b), "{what} row {row}: relevance {a} vs {b}");
                        }
                        for e in [&slow, fast] {
                            let gap = e.conservation_gap().abs();
                            assert!(gap <= 1e-10 * scale, "{what} row {row}: gap {gap}");
                        }
                    }
                }
                combinations += 1;
            }
        }
    }
    let expected: usize = REGISTRY
        .iter()
        .map(|e| {
            e.capabilities
                .iter()
                .map(|(_, rules)| rules.len())
                .sum::<usize>()
        })
        .sum();
    assert!(
        expected >= 8,
        "the chapter's models alone have 8 combinations"
    );
    assert_eq!(
        combinations, expected,
        "registry rows × targets × rule sets"
    );
}

/// A rule set that does not apply to a target is a named error, from the model's own
/// explainer and from the registry alike.
#[test]
fn inapplicable_rule_sets_are_named_errors() {
    use neon_xai::models::RuleSet;
    use neon_xai::NeonError;
    let train = array![[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]];
    let kde = Kde::fit(KdeParams::new(1.0), train.view()).expect("fit");
    for (target, rule) in [
        (Target::Inlier, RuleSet::Grounded),
        (Target::Outlier, RuleSet::Midpoint),
        (Target::InlierRff, RuleSet::Midpoint),
    ] {
        let options = ExplainOptions {
            rule: Some(rule),
            ..Default::default()
        };
        let err = kde
            .explainer(target, &options)
            .expect_err("must be refused");
        assert!(
            matches!(err, NeonError::UnsupportedRule { .. }),
            "{target} {rule}: {err}"
        );
        assert!(err.to_string().contains(&rule.to_string()));
    }
    let km = KMeans::fit(KMeansParams::new(2), train.view()).expect("fit");
    let err = km
        .explainer(Target::Outlier, &ExplainOptions::default())
        .expect_err("k-means has no outlier target");
    assert!(matches!(err, NeonError::UnsupportedTarget { .. }));
    assert!("bogus".parse::<RuleSet>().is_err());
}

/// The grounded rules give an input at zero exactly zero relevance (Appendix A) and report
/// what they do not propagate as dissipated.
#[test]
fn grounded_rules_leave_inactive_features_at_zero() {
    use neon_xai::models::RuleSet;
    let train = array![
        [0.5, 1.0, 2.0],
        [1.5, 0.0, 1.0],
        [2.0, 2.0, 0.5],
        [0.1, 0.3, 0.9]
    ];
    let x = array![0.0, 1.2, 0.7];
    let options = ExplainOptions {
        rule: Some(RuleSet::Grounded),
        n_features: 200,
        ..Default::default()
    };
    let kde = Kde::fit(KdeParams::new(0.5), train.view()).expect("fit");
    for target in [Target::Outlier, Target::InlierRff] {
        let e = kde
            .explainer(target, &options)
            .expect("grounded")
            .explain(x.view(), None, 0);
        assert_eq!(e.relevance[0], 0.0, "{target}");
        assert!(e.conservation_gap().abs() < 1e-12, "{target}");
    }
    let km = KMeans::fit(KMeansParams::new(2).seed(1), train.view()).expect("fit");
    let e = km
        .explainer(Target::Cluster, &options)
        .expect("grounded")
        .explain(x.view(), None, 0);
    assert_eq!(e.relevance[0], 0.0);
    assert!(e.conservation_gap().abs() < 1e-12);
}

/// The same model on permuted features, whatever its kind: every stored matrix with one column
/// per feature (training points, centroids, support vectors) has its columns permuted, every
/// stack of d × d matrices (covariances) its rows and columns; the
/// model file's own form is the only thing read, so a new registry row needs no edit here.
fn permuted_model(model: &FittedModel, perm: &[usize]) -> FittedModel {
    let d = model.n_features();
    let mut value = serde_json::to_value(model).expect("serialise");
    fn permute(v: &mut serde_json::Value, perm: &[usize], d: usize) {
        if let Some(map) = v.as_object_mut() {
            let is_matrix = map
                .get("dim")
                .and_then(|dim| dim.as_array())
                .is_some_and(|dim| dim.len() == 2 && dim[1].as_u64() == Some(d as u64));
            if is_matrix {
                if let Some(data) = map.get_mut("data").and_then(|x| x.as_array_mut()) {
                    let old = data.clone();
                    for (row, chunk) in data.chunks_mut(d).enumerate() {
                        for (i, value) in chunk.iter_mut().enumerate() {
                            *value = old[row * d + perm[i]].clone();
                        }
                    }
                }
                return;
            }
            // a stack of d × d matrices (covariances): rows and columns both permuted
            let is_stack = map
                .get("dim")
                .and_then(|dim| dim.as_array())
                .is_some_and(|dim| {
                    dim.len() == 3
                        && dim[1].as_u64() == Some(d as u64)
                        && dim[2].as_u64() == Some(d as u64)
                });
            if is_stack {
                if let Some(data) = map.get_mut("data").and_then(|x| x.as_array_mut()) {
                    let old = data.clone();
                    for (m, block) in data.chunks_mut(d * d).enumerate() {
                        for i in 0..d {
                            for j in 0..d {
                                block[i * d + j] = old[m * d * d + perm[i] * d + perm[j]].clone();
                            }
                        }
                    }
                }
                return;
            }
            for child in map.values_mut() {
                permute(child, perm, d);
            }
        }
    }
    permute(&mut value, perm, d);
    serde_json::from_value(value).expect("deserialise")
}

/// `--cluster c`: every model with a cluster target explains the evidence for any chosen
/// cluster (§4.1, Eq. 5 with a fixed `c`). The explanation is the model's own function of `x`
/// for that cluster (the differentiable score the baselines use), conserves to 1e-10, is the
/// same on the blocked and per-point paths, equals the ordinary explanation for rows that lie
/// in `c`, and is negative evidence (score ≤ 0) for rows that do not. A cluster out of range,
/// or a chosen cluster for another target, is a named error.
#[test]
fn chosen_cluster_evidence_for_every_clustering_model() {
    use neon_xai::kernels::{Compute, ComputePath};
    use neon_xai::models::BatchExplainer;
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let train = Array2::from_shape_simple_fn((90, 3), || rng.gen_range(-2.0..2.0f64));
    let queries = Array2::from_shape_simple_fn((40, 3), || rng.gen_range(-3.0..3.0f64));
    let rows: Vec<usize> = (0..queries.nrows()).collect();
    let mut models_checked = 0;
    for entry in REGISTRY {
        if !entry.targets().any(|t| t == Target::Cluster) {
            continue;
        }
        let model = (entry.fit_default)(train.view()).expect("fit");
        let chosen = |c: usize, rule: Option<neon_xai::RuleSet>| ExplainOptions {
            cluster: Some(c),
            rule,
            ..Default::default()
        };
        // the number of clusters is where a chosen cluster becomes out of range
        let k = (0..64)
            .find(|&c| model.explainer(Target::Cluster, &chosen(c, None)).is_err())
            .expect("a finite number of clusters");
        assert!(k >= 2, "{}", entry.name);
        let Err(err) = model.explainer(Target::Cluster, &chosen(k, None)) else {
            panic!("{}: cluster {k} accepted", entry.name);
        };
        assert!(err.to_string().contains("out of range"), "{err}");
        if let Some(other) = entry.targets().find(|&t| t != Target::Cluster) {
            let Err(err) = model.explainer(other, &chosen(0, None)) else {
                panic!("{}: a chosen cluster for {other}", entry.name);
            };
            assert!(err.to_string().contains("cluster"), "{err}");
        }
        let own = model.clusters(Queries::Points(queries.view()), &rows);
        let own = own.expect("a clustering model assigns clusters");
        for &rule in entry.rules_for(Target::Cluster) {
            let plain = ExplainOptions {
                rule: Some(rule),
                ..Default::default()
            };
            let ordinary = model
                .explain_rows(
                    Queries::Points(queries.view()),
                    Some(&rows),
                    Target::Cluster,
                    &plain,
                    &|| {},
                )
                .expect("ordinary");
            let mut negative = 0;
            for c in 0..k {
                let options = chosen(c, Some(rule));
                let what = format!("{} {rule} cluster {c}", entry.name);
                let reference = model.explainer(Target::Cluster, &options).expect(&what);
                let formula = model
                    .model()
                    .differentiable(Target::Cluster, &options)
                    .expect(&what);
                let compute = Compute {
                    path: ComputePath::Batch,
                    ..Compute::default()
                };
                let batch = BatchExplainer::new(&model, Target::Cluster, &options, &compute, 40)
                    .expect(&what);
                let fast = batch.explain(Queries::Points(queries.view()), &rows, &|_| {});
                for (&row, e) in rows.iter().zip(&fast) {
                    let x = queries.row(row);
                    let slow = reference.explain(x, None, row);
                    assert_eq!(&slow, e, "{what} row {row}: paths differ");
                    assert_eq!(e.cluster, Some(c), "{what} row {row}");
                    let direct = formula.at(x, None).value(x);
                    let scale = 1.0 + direct.abs() + x.dot(&x);
                    assert!(
                        (e.score - direct).abs() <= 1e-12 * scale,
                        "{what} row {row}: network {} vs formula {direct}",
                        e.score
                    );
                    let gap = e.conservation_gap().abs();
                    assert!(gap <= 1e-10 * scale, "{what} row {row}: gap {gap}");
                    if own[row] == c {
                        let o = &ordinary[row];
                        assert_eq!(o.cluster, Some(c), "{what} row {row}");
                        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * scale;
                        assert!(close(e.score, o.score), "{what} row {row}: own cluster");
                        for (a, b) in e.relevance.iter().zip(&o.relevance) {
                            assert!(close(*a, *b), "{what} row {row}: {a} vs {b}");
                        }
                    } else {
                        assert!(e.score <= 0.0, "{what} row {row}: score {}", e.score);
                        negative += 1;
                    }
                }
            }
            assert!(negative > 0, "{} {rule}: no negative evidence", entry.name);
        }
        models_checked += 1;
    }
    let expected = REGISTRY
        .iter()
        .filter(|e| e.targets().any(|t| t == Target::Cluster))
        .count();
    assert!(expected >= 2, "k-means and the Gaussian mixture cluster");
    assert_eq!(models_checked, expected);
}

/// A model fitted on a column-major (Fortran-order) view of the training data gives the same
/// numbers, bit for bit, as one fitted on the row-major copy and as that model read back from
/// its model file: fitting stores the training points in one layout whatever the caller's, so a
/// model saved and loaded (or shipped to another process) explains exactly as in memory.
#[test]
fn training_layout_and_a_model_file_round_trip_change_no_number() {
    // 300 irregular rows in 5 dimensions, three groups (enough rows for the blocked kernels)
    let points = Array2::from_shape_fn((300, 5), |(i, j)| {
        let (i, j) = (i as f64, j as f64);
        3.0 * ((i % 3.0) - 1.0) + (1.37 * i + 2.11 * j).sin() * (0.7 + 0.1 * j)
    });
    let fortran = points.t().as_standard_layout().into_owned();
    let fortran = fortran.t();
    assert!(!fortran.is_standard_layout());
    let queries = points.mapv(|v| v * 1.1 + 0.05);
    let opts = ExplainOptions {
        n_features: 200,
        ..Default::default()
    };
    for entry in REGISTRY {
        let c_order = (entry.fit_default)(points.view()).expect("fit");
        let f_order = (entry.fit_default)(fortran).expect("fit");
        let names: Vec<String> = (0..points.ncols()).map(|i| format!("x{i}")).collect();
        let text = neon_xai::ModelFile::new(
            names,
            neon_xai::data::FittedTransform::identity(),
            c_order.clone(),
        )
        .to_json()
        .expect("to json");
        let loaded = neon_xai::ModelFile::from_json(&text, "round trip")
            .expect("from json")
            .model;
        for target in entry.targets() {
            let run = |m: &FittedModel| {
                m.explain_rows(Queries::Points(queries.view()), None, target, &opts, &|| {})
                    .expect("explain")
            };
            let reference = run(&c_order);
            assert_eq!(reference, run(&f_order), "{} {target}: layout", entry.name);
            assert_eq!(
                reference,
                run(&loaded),
                "{} {target}: model file",
                entry.name
            );
        }
    }
}
