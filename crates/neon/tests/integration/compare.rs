//! The baselines of `neon_xai::compare` against functions whose Shapley values are known, their
//! axioms and limits, the analytic gradients of every registered target against central
//! differences, and the evaluation on the shipped Wholesale data.

use ndarray::{array, Array1, Array2, ArrayView1};
use neon_xai::compare::{
    evaluate, explain_rows_with, integrated_gradients, shapley_exact, EvaluationConfig, Method,
    MethodExplainer, MethodOptions, Reference, ScoreFunction,
};
use neon_xai::data::transform::{FittedTransform, TransformStep};
use neon_xai::models::{
    ExplainOptions, FittedModel, KMeans, KMeansParams, Kde, KdeParams, Queries, Target, REGISTRY,
};
use neon_xai::{Dataset, NeonError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;

fn random_matrix(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_simple_fn((n, d), || rng.gen_range(-2.0..2.0))
}

/// The Wholesale spending columns of §5.1, log-transformed and standardized.
fn wholesale() -> Array2<f64> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/wholesale_customers.csv");
    let columns: Vec<String> = [
        "Fresh",
        "Milk",
        "Grocery",
        "Frozen",
        "Detergents_Paper",
        "Delicassen",
    ]
    .map(String::from)
    .to_vec();
    let data = Dataset::from_csv(&path, Some(&columns)).expect("wholesale data");
    let (_, values) =
        FittedTransform::fit(&[TransformStep::Log, TransformStep::Standardize], &data)
            .expect("transform");
    values
}

/// A model of every registered kind on `points`.
fn models(points: &Array2<f64>) -> Vec<FittedModel> {
    REGISTRY
        .iter()
        .map(|entry| (entry.fit_default)(points.view()).expect("fit"))
        .collect()
}

fn small_options() -> ExplainOptions {
    ExplainOptions {
        n_features: 300,
        trials: 2,
        ..Default::default()
    }
}

// ---------------------------------------------------------------- known Shapley values

#[test]
fn exact_shapley_of_an_additive_function_is_each_term() {
    // f(z) = Σ a_i z_i + 7: φ_i = a_i (x_i − r_i)
    let a = array![1.5, -2.0, 0.0, 3.0, 0.25];
    let f = |z: ArrayView1<f64>| z.dot(&a) + 7.0;
    let x = array![0.3, 1.0, -4.0, 2.0, -1.0];
    let r = array![-1.0, 0.5, 2.0, 0.0, 1.0];
    let phi = shapley_exact(f, x.view(), r.view()).expect("shapley");
    for i in 0..5 {
        let expected = a[i] * (x[i] - r[i]);
        assert!((phi.relevance[i] - expected).abs() < 1e-12, "{i}");
    }
    // dummy: a feature the function ignores gets exactly zero
    assert_eq!(phi.relevance[2], 0.0);
}

#[test]
fn exact_shapley_of_pure_interactions_splits_them_equally() {
    // product of d features from a zero reference: every feature gets Π x / d
    let x = array![2.0, -1.5, 0.5, 3.0];
    let zero = Array1::zeros(4);
    let phi = shapley_exact(|z| z.product(), x.view(), zero.view()).expect("shapley");
    for p in &phi.relevance {
        assert!((p - x.product() / 4.0).abs() < 1e-12);
    }
    // z0 z1 from a non-zero reference: φ_0 = ½ (x0 − r0)(x1 + r1), φ_1 = ½ (x1 − r1)(x0 + r0)
    let x = array![2.0, 3.0];
    let r = array![0.5, -1.0];
    let phi = shapley_exact(|z| z[0] * z[1], x.view(), r.view()).expect("shapley");
    assert!((phi.relevance[0] - 0.5 * 1.5 * 2.0).abs() < 1e-12);
    assert!((phi.relevance[1] - 0.5 * 4.0 * 2.5).abs() < 1e-12);
    // an additive term plus a three-way interaction
    let x = array![1.0, 2.0, -3.0, 0.5];
    let phi = shapley_exact(
        |z| 2.0 * z[0] + z[1] * z[2] * z[3],
        x.view(),
        Array1::zeros(4).view(),
    )
    .expect("shapley");
    let share = 2.0 * -3.0 * 0.5 / 3.0;
    let expected = [2.0, share, share, share];
    for (p, e) in phi.relevance.iter().zip(expected) {
        assert!((p - e).abs() < 1e-12, "{:?}", phi.relevance);
    }
    // max of two: φ from the four coalitions by hand
    let x = array![3.0, 1.0];
    let phi =
        shapley_exact(|z| z[0].max(z[1]), x.view(), Array1::zeros(2).view()).expect("shapley");
    assert!((phi.relevance[0] - 2.5).abs() < 1e-12 && (phi.relevance[1] - 0.5).abs() < 1e-12);
}

#[test]
fn exact_shapley_is_efficient_on_every_target() {
    let points = random_matrix(40, 4, 1);
    let queries = random_matrix(6, 4, 2) * 1.5;
    for model in models(&points) {
        let entry = model.entry().expect("registered");
        for target in entry.targets() {
            for (queries, loo) in [
                (Queries::Points(queries.view()), false),
                (Queries::LeaveOneOut, true),
            ] {
                let rows: Vec<usize> = (0..6).collect();
                let explained = explain_rows_with(
                    Method::ShapleyExact,
                    &model,
                    queries,
                    Some(&rows),
                    target,
                    &small_options(),
                    &MethodOptions::default(),
                    &|| {},
                )
                .expect("explain");
                for e in &explained {
                    let gap = e.completeness_gap().expect("baseline");
                    let scale = 1.0 + e.explanation.score.abs();
                    assert!(gap.abs() < 1e-10 * scale, "{target} loo={loo}: gap {gap}");
                    assert!(e.explanation.conservation_gap().abs() < 1e-10 * scale);
                    assert_eq!(
                        e.model_evaluations,
                        16 * if target == Target::InlierRff { 2 } else { 1 }
                    );
                }
            }
        }
    }
}

#[test]
fn exact_shapley_refuses_more_than_twenty_features() {
    let points = random_matrix(5, 21, 3);
    let model = FittedModel::Kde(Kde::fit(KdeParams::new(1.0), points.view()).expect("fit"));
    let err = explain_rows_with(
        Method::ShapleyExact,
        &model,
        Queries::LeaveOneOut,
        None,
        Target::Outlier,
        &ExplainOptions::default(),
        &MethodOptions::default(),
        &|| {},
    )
    .expect_err("refused");
    match err {
        NeonError::InvalidParameter { name, reason } => {
            assert_eq!(name, "method");
            assert!(
                reason.contains("at most 20") && reason.contains("21"),
                "{reason}"
            );
        }
        other => panic!("unexpected error {other}"),
    }
    // sampling works at that size
    let ok = explain_rows_with(
        Method::ShapleySampling,
        &model,
        Queries::LeaveOneOut,
        Some(&[0]),
        Target::Outlier,
        &ExplainOptions::default(),
        &MethodOptions {
            samples: 8,
            ..Default::default()
        },
        &|| {},
    );
    assert!(ok.is_ok());
}

// ---------------------------------------------------------------- sampling and IG convergence

/// Sampling Shapley on the Wholesale outlier model (γ = 1, leave-one-out) converges to exact
/// Shapley. Stated tolerance, per row: the largest error over the features, relative to the
/// row's total `Σ_i |φ_i|`, falls from 30 to 300 to 10 000 orderings and is below 1 % at
/// 10 000; every feature's error stays within 4 reported standard errors; efficiency holds
/// for any number of orderings.
#[test]
fn sampling_shapley_converges_to_exact() {
    let points = wholesale();
    let model = FittedModel::Kde(Kde::fit(KdeParams::new(1.0), points.view()).expect("fit"));
    let rows = [337usize, 338, 10, 200];
    let run = |method, samples| {
        let options = MethodOptions {
            samples,
            seed: 7,
            ..Default::default()
        };
        explain_rows_with(
            method,
            &model,
            Queries::LeaveOneOut,
            Some(&rows),
            Target::Outlier,
            &ExplainOptions::default(),
            &options,
            &|| {},
        )
        .expect("explain")
    };
    let exact = run(Method::ShapleyExact, 1);
    let mut previous = vec![f64::INFINITY; rows.len()];
    for samples in [30, 300, 10_000] {
        let sampled = run(Method::ShapleySampling, samples);
        for (r, (s, e)) in sampled.iter().zip(&exact).enumerate() {
            let se = s
                .explanation
                .relevance_std
                .as_ref()
                .expect("standard errors");
            assert!(s.completeness_gap().expect("gap").abs() < 1e-9);
            let total: f64 = e.explanation.relevance.iter().map(|v| v.abs()).sum();
            let mut worst: f64 = 0.0;
            for (i, se) in se.iter().enumerate() {
                let err = (s.explanation.relevance[i] - e.explanation.relevance[i]).abs();
                worst = worst.max(err / total);
                assert!(
                    err <= 4.0 * se,
                    "row {} feature {i}, {samples} orderings: error {err} vs standard error {se}",
                    rows[r],
                );
            }
            assert!(
                worst < previous[r],
                "row {}, {samples} orderings: {worst}",
                rows[r]
            );
            previous[r] = worst;
        }
    }
    for (r, worst) in previous.iter().enumerate() {
        assert!(
            *worst < 0.01,
            "row {}: relative error {worst} at 10 000 orderings",
            rows[r]
        );
    }
}

/// The completeness gap of integrated gradients goes to zero with the number of steps, for
/// every target: as `1/steps²` for the smooth KDE scores (each 8-fold increase of the steps
/// divides the gap by at least 32; below 1e-5 at 1024 steps); for the
/// piecewise-linear cluster evidence as `1/steps` — the integrand `∇f_c · (x − r)` jumps at
/// most `K − 2` times along the path, each time by at most
/// `J = max_{k,k'} |2(μ_k − μ_k')ᵀ(x − r)|`, and the midpoint rule misses at most half a cell
/// of each jump, so `|gap| ≤ (K − 2) J / (2 steps)`.
#[test]
fn integrated_gradients_gap_vanishes_with_steps() {
    let points = random_matrix(60, 3, 4);
    let queries = random_matrix(5, 3, 5) * 1.5;
    for model in models(&points) {
        for target in model.entry().expect("registered").targets() {
            let mut previous = f64::INFINITY;
            for steps in [2, 16, 128, 1024] {
                let explained = explain_rows_with(
                    Method::IntegratedGradients,
                    &model,
                    Queries::Points(queries.view()),
                    None,
                    target,
                    &small_options(),
                    &MethodOptions {
                        steps,
                        ..Default::default()
                    },
                    &|| {},
                )
                .expect("ig");
                let gaps: Vec<f64> = explained
                    .iter()
                    .map(|e| e.completeness_gap().expect("gap").abs())
                    .collect();
                let worst = gaps.iter().copied().fold(0.0, f64::max);
                match &model {
                    FittedModel::Kmeans(km) => {
                        let r = points.mean_axis(ndarray::Axis(0)).expect("mean");
                        let k = km.n_clusters();
                        for (gap, x) in gaps.iter().zip(queries.rows()) {
                            let v = &x - &r;
                            let mut jump: f64 = 0.0;
                            for a in km.centroids.rows() {
                                for b in km.centroids.rows() {
                                    jump = jump.max((2.0 * (&a - &b).dot(&v)).abs());
                                }
                            }
                            let bound = (k - 2) as f64 * jump / (2.0 * steps as f64);
                            assert!(*gap <= bound + 1e-12, "{steps}: {gap} > {bound}");
                        }
                    }
                    // smooth scores (KDE, one-class SVM): the midpoint rule's error falls
                    // with the square of the step
                    _ => {
                        // (or already at rounding level)
                        assert!(
                            worst <= previous / 32.0 || worst < 1e-12,
                            "{target} {steps}: {worst} vs {previous}"
                        );
                    }
                }
                previous = worst;
            }
            if target != Target::Cluster {
                assert!(previous < 1e-5, "{target}: gap {previous} at 1024 steps");
            }
        }
    }
}

#[test]
fn integrated_gradients_of_a_smooth_function_converge_quadratically() {
    let f = |z: ArrayView1<f64>| (z[0] * z[1]).sin() + z[0].exp();
    let g = |z: ArrayView1<f64>| {
        array![
            z[1] * (z[0] * z[1]).cos() + z[0].exp(),
            z[0] * (z[0] * z[1]).cos()
        ]
    };
    let x = array![1.2, -0.7];
    let r = array![0.0, 0.0];
    let gap = |steps| {
        let a = integrated_gradients(f, g, x.view(), r.view(), steps).expect("ig");
        (a.score - a.reference_score - a.relevance.iter().sum::<f64>()).abs()
    };
    let (g10, g100) = (gap(10), gap(100));
    assert!(g100 < g10 / 50.0, "{g10} → {g100}");
}

// ---------------------------------------------------------------- gradients

/// Every target's analytic gradient (as used by integrated gradients) against central
/// differences of the same score, with and without leave-one-out.
#[test]
fn analytic_gradients_match_central_differences_for_every_target() {
    let points = random_matrix(30, 3, 6);
    let queries = random_matrix(8, 3, 7) * 1.3;
    let h = 1e-5;
    for model in models(&points) {
        for target in model.entry().expect("registered").targets() {
            let score = ScoreFunction::new(&model, target, &small_options()).expect("score");
            for (row, x) in queries.rows().into_iter().enumerate() {
                for exclude in [None, Some(row)] {
                    let f = score.at(x, exclude);
                    let analytic = f.gradient(x);
                    for i in 0..3 {
                        let mut plus = x.to_owned();
                        let mut minus = x.to_owned();
                        plus[i] += h;
                        minus[i] -= h;
                        let numeric = (f.value(plus.view()) - f.value(minus.view())) / (2.0 * h);
                        assert!(
                            (analytic[i] - numeric).abs() < 1e-6 * (1.0 + numeric.abs()),
                            "{target} row {row} feature {i}: {} vs {numeric}",
                            analytic[i]
                        );
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- model-specific behaviour

/// Perturbed points are scored with the cluster of the unperturbed point: moving x into another
/// cluster makes the evidence negative instead of switching to the new cluster's evidence.
#[test]
fn cluster_score_keeps_the_cluster_of_the_explained_point() {
    let centroids = array![[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]];
    let train = array![[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [0.1, 0.1]];
    let km = KMeans::from_centroids(centroids, train.view()).expect("import");
    let model = FittedModel::Kmeans(km.clone());
    let score = ScoreFunction::new(&model, Target::Cluster, &ExplainOptions::default()).expect("f");
    let x = array![0.5, 0.2];
    let f = score.at(x.view(), None);
    assert_eq!(f.cluster(), Some(0));
    let elsewhere = array![4.0, 0.5];
    assert_eq!(km.predict(elsewhere.view()), 1);
    assert_eq!(
        f.value(elsewhere.view()),
        km.cluster_evidence(elsewhere.view(), 0)
    );
    assert!(f.value(elsewhere.view()) < 0.0);
    // and every explanation reports that cluster
    let e = explain_rows_with(
        Method::Occlusion,
        &model,
        Queries::Points(x.view().insert_axis(ndarray::Axis(0))),
        None,
        Target::Cluster,
        &ExplainOptions::default(),
        &MethodOptions::default(),
        &|| {},
    )
    .expect("occlusion");
    assert_eq!(e[0].explanation.cluster, Some(0));
}

#[test]
fn reference_row_and_point_are_honoured_and_checked() {
    let points = random_matrix(10, 3, 8);
    let model = FittedModel::Kde(Kde::fit(KdeParams::new(0.5), points.view()).expect("fit"));
    let options = MethodOptions {
        reference: Reference::TrainingRow(4),
        ..Default::default()
    };
    let explainer = MethodExplainer::new(
        Method::Occlusion,
        &model,
        Target::Outlier,
        &ExplainOptions::default(),
        &options,
    )
    .expect("explainer");
    assert_eq!(explainer.reference(), points.row(4));
    // explaining the reference row itself against itself: every occlusion is a no-op
    let e = explainer.explain(points.row(4), None, 4).expect("explain");
    assert!(e.explanation.relevance.iter().all(|&r| r == 0.0));
    for bad in [
        Reference::TrainingRow(10),
        Reference::Point(vec![0.0, 1.0]),
        Reference::Point(vec![0.0, f64::NAN, 1.0]),
    ] {
        let options = MethodOptions {
            reference: bad,
            ..Default::default()
        };
        assert!(MethodExplainer::new(
            Method::Occlusion,
            &model,
            Target::Outlier,
            &ExplainOptions::default(),
            &options
        )
        .is_err());
    }
    let mean = MethodExplainer::new(
        Method::Occlusion,
        &model,
        Target::Outlier,
        &ExplainOptions::default(),
        &MethodOptions::default(),
    )
    .expect("explainer");
    let expected = points.mean_axis(ndarray::Axis(0)).expect("mean");
    assert_eq!(mean.reference(), expected.view());
}

#[test]
fn method_names_round_trip_and_unknown_names_are_refused() {
    for m in Method::ALL {
        assert_eq!(m.to_string().parse::<Method>().expect("parse"), m);
    }
    let err = "shap".parse::<Method>().expect_err("unknown");
    assert!(err.to_string().contains("shapley-sampling"), "{err}");
}

#[test]
fn unsupported_target_and_bad_options_are_refused() {
    let points = random_matrix(10, 2, 9);
    let model = FittedModel::Kde(Kde::fit(KdeParams::new(0.5), points.view()).expect("fit"));
    let run = |target, options: MethodOptions| {
        explain_rows_with(
            Method::IntegratedGradients,
            &model,
            Queries::LeaveOneOut,
            None,
            target,
            &ExplainOptions::default(),
            &options,
            &|| {},
        )
    };
    assert!(matches!(
        run(Target::Cluster, MethodOptions::default()),
        Err(NeonError::UnsupportedTarget { .. })
    ));
    let zero_steps = MethodOptions {
        steps: 0,
        ..Default::default()
    };
    assert!(run(Target::Outlier, zero_steps).is_err());
    let wrong_width = random_matrix(2, 3, 10);
    assert!(explain_rows_with(
        Method::Neon,
        &model,
        Queries::Points(wrong_width.view()),
        None,
        Target::Outlier,
        &ExplainOptions::default(),
        &MethodOptions::default(),
        &|| {},
    )
    .is_err());
}

// ---------------------------------------------------------------- determinism

#[test]
fn every_method_gives_identical_results_for_one_and_two_threads() {
    let points = random_matrix(50, 4, 11);
    let model = FittedModel::Kmeans(KMeans::fit(KMeansParams::new(3), points.view()).expect("fit"));
    let options = MethodOptions {
        samples: 50,
        seed: 3,
        ..Default::default()
    };
    let run = |threads: usize, method: Method| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| {
                explain_rows_with(
                    method,
                    &model,
                    Queries::LeaveOneOut,
                    None,
                    Target::Cluster,
                    &ExplainOptions::default(),
                    &options,
                    &|| {},
                )
                .expect("explain")
            })
    };
    for method in Method::ALL {
        assert_eq!(run(1, method), run(2, method), "{method}");
    }
    // a row's sampling result does not depend on the other rows explained with it
    let alone = explain_rows_with(
        Method::ShapleySampling,
        &model,
        Queries::LeaveOneOut,
        Some(&[7]),
        Target::Cluster,
        &ExplainOptions::default(),
        &options,
        &|| {},
    )
    .expect("explain");
    assert_eq!(alone[0], run(2, Method::ShapleySampling)[7]);
}

// ---------------------------------------------------------------- evaluation

#[test]
fn evaluation_reports_consistent_curves_and_costs() {
    let points = wholesale();
    let model = FittedModel::Kde(Kde::fit(KdeParams::new(1.0), points.view()).expect("fit"));
    let rows: Vec<usize> = (0..440).step_by(20).collect();
    let config = EvaluationConfig {
        method_options: MethodOptions {
            samples: 100,
            ..Default::default()
        },
        random_orders: 4,
        marginal_draws: 4,
        ..Default::default()
    };
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let report = evaluate(
        &model,
        Queries::LeaveOneOut,
        Some(&rows),
        Target::Outlier,
        &ExplainOptions::default(),
        &config,
        &|| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        },
    )
    .expect("evaluate");
    assert_eq!(calls.into_inner(), rows.len() * (Method::ALL.len() + 1));
    assert_eq!(report.n_rows, rows.len());
    assert_eq!(report.methods.len(), 5);
    let neon = report.method(Method::Neon).expect("neon");
    let first = &neon.removal.points;
    for m in &report.methods {
        // every removal curve runs from mean f(x) to mean f(r), every insertion curve back
        assert!((m.removal.points[0] - first[0]).abs() < 1e-9);
        assert!((m.removal.points[6] - first[6]).abs() < 1e-9);
        assert!((m.insertion.points[0] - first[6]).abs() < 1e-9);
        assert!((m.insertion.points[6] - first[0]).abs() < 1e-9);
        assert!((m.marginal_removal.points[0] - first[0]).abs() < 1e-9);
        // every method beats a random ordering on removal to the reference
        assert!(
            m.removal.auc < report.random.removal.auc_mean,
            "{}",
            m.method
        );
    }
    assert_eq!(neon.cost.evaluations_per_row, 1.0);
    assert_eq!(neon.cost.evaluation_ratio_to_neon, Some(1.0));
    let exact = report.method(Method::ShapleyExact).expect("exact");
    assert_eq!(exact.cost.evaluations_per_row, 64.0);
    assert!(exact.mean_abs_completeness_gap.expect("gap") < 1e-10);
    let sampling = report.method(Method::ShapleySampling).expect("sampling");
    assert_eq!(sampling.cost.evaluations_per_row, 2.0 + 100.0 * 5.0);
    assert!(sampling.mean_std_error.is_some());
    assert_eq!(report.agreement.spearman[0][0], Some(1.0));
    assert_eq!(report.random.removal.auc_per_seed.len(), 4);
    // the report serialises and reads back
    let json = serde_json::to_string(&report).expect("json");
    let back: neon_xai::compare::EvaluationReport = serde_json::from_str(&json).expect("read");
    assert_eq!(back.methods.len(), 5);
}

/// NEON's variants (rule sets × multiples of the default β) are evaluated on the same rows and
/// curves as the methods: the variant of the default setting repeats NEON's numbers exactly,
/// exact Shapley's share of its own gain is 1, and a bad factor is a named error.
#[test]
fn evaluation_sweeps_rule_sets_and_beta_factors() {
    use neon_xai::compare::NeonVariant;
    use neon_xai::models::{KMeans, KMeansParams, RuleSet};
    let points = wholesale();
    let model =
        FittedModel::Kmeans(KMeans::fit(KMeansParams::new(6).seed(0), points.view()).expect("fit"));
    let variants = NeonVariant::grid(&model, Target::Cluster, &[0.0, 1.0]);
    assert_eq!(
        variants.len(),
        2 * RuleSet::ALL.len(),
        "k-means has every rule set"
    );
    let rows: Vec<usize> = (0..440).step_by(11).collect();
    let config = EvaluationConfig {
        methods: vec![Method::Neon, Method::ShapleyExact],
        random_orders: 3,
        marginal_draws: 2,
        variants: variants.clone(),
        ..Default::default()
    };
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let report = evaluate(
        &model,
        Queries::LeaveOneOut,
        Some(&rows),
        Target::Cluster,
        &ExplainOptions::default(),
        &config,
        &|| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        },
    )
    .expect("evaluate");
    assert_eq!(calls.into_inner(), rows.len() * (2 + variants.len() + 1));
    assert_eq!(report.methods.len(), 2 + variants.len());
    assert_eq!(report.agreement.methods.len(), 2);
    let neon = &report.methods[0];
    let shapley = &report.methods[1];
    assert_eq!(neon.label, "neon");
    assert_eq!(shapley.removal_gain_vs_shapley, Some(1.0));
    let default = report
        .methods
        .iter()
        .find(|m| m.label == "neon grounded β×1")
        .expect("the default setting");
    // k-means' default: the grounded rule at the chapter's β = 1 / mean f_c
    assert_eq!(neon.rule, Some(RuleSet::Grounded));
    assert_eq!(default.variant.map(|v| v.rule), Some(RuleSet::Grounded));
    assert_eq!(default.rule, Some(RuleSet::Grounded));
    assert_eq!(default.beta, neon.beta);
    assert_eq!(default.removal, neon.removal);
    assert_eq!(default.insertion, neon.insertion);
    assert_eq!(
        default.removal_gain_vs_shapley,
        neon.removal_gain_vs_shapley
    );
    let uniform = report
        .methods
        .iter()
        .find(|m| m.label == "neon standard β×0")
        .expect("β = 0");
    assert_eq!(uniform.beta, Some(0.0));
    // the gain share is (random − method) / (random − shapley) of the removal AUC
    let random = report.random.removal.auc_mean;
    let share = (random - uniform.removal.auc) / (random - shapley.removal.auc);
    assert_eq!(uniform.removal_gain_vs_shapley, Some(share));
    let bad = EvaluationConfig {
        variants: vec![NeonVariant {
            rule: RuleSet::Standard,
            beta_factor: -1.0,
        }],
        ..config
    };
    let err = evaluate(
        &model,
        Queries::LeaveOneOut,
        Some(&rows),
        Target::Cluster,
        &ExplainOptions::default(),
        &bad,
        &|| {},
    )
    .expect_err("negative factor");
    assert_eq!(err.parameter(), Some("beta_factor"));
}

#[test]
fn evaluation_is_identical_for_one_and_two_threads_except_timings() {
    let points = random_matrix(40, 3, 12);
    let model = FittedModel::Kde(Kde::fit(KdeParams::new(1.0), points.view()).expect("fit"));
    let config = EvaluationConfig {
        method_options: MethodOptions {
            samples: 20,
            ..Default::default()
        },
        random_orders: 3,
        marginal_draws: 3,
        ..Default::default()
    };
    let run = |threads: usize| {
        let mut report = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| {
                evaluate(
                    &model,
                    Queries::LeaveOneOut,
                    None,
                    Target::Outlier,
                    &ExplainOptions::default(),
                    &config,
                    &|| {},
                )
                .expect("evaluate")
            });
        report.threads = 0;
        for m in &mut report.methods {
            m.cost.seconds_total = 0.0;
            m.cost.seconds_per_row = 0.0;
            m.cost.time_ratio_to_neon = None;
        }
        report
    };
    assert_eq!(run(1), run(2));
}
