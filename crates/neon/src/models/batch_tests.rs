//! The blocked kernels against the per-point explainers: agreement to `1e-12`, determinism
//! across thread counts, the approximate mode's bound, and the `f32` tolerance.

use crate::kernels::{Compute, ComputePath, PairKernel, Precision, Tiles, F32_TOLERANCE};
use crate::models::kde::{ApproxKde, TreeChoice};
use crate::models::{
    ExplainOptions, FittedModel, KMeans, KMeansParams, Kde, KdeParams, Queries, Target,
};
use crate::Explanation;
use ndarray::{concatenate, Array2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

fn gaussian(n: usize, d: usize, scale: f64, offset: f64, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_simple_fn((n, d), || {
        offset + scale * rng.sample::<f64, _>(StandardNormal)
    })
}

/// Queries of every kind: near the data, far away, on an offset cluster, exact copies of
/// training points.
fn queries(train: &Array2<f64>, seed: u64) -> Array2<f64> {
    let d = train.ncols();
    let near = gaussian(40, d, 1.0, 0.0, seed);
    let far = gaussian(10, d, 1.0, 0.0, seed + 1) * 1e3;
    let very_far = gaussian(5, d, 1.0, 5e5, seed + 2);
    let copies = train.select(Axis(0), &[0, 3, 7]);
    let nudged = &copies + 1e-7;
    concatenate(
        Axis(0),
        &[
            near.view(),
            far.view(),
            very_far.view(),
            copies.view(),
            nudged.view(),
        ],
    )
    .expect("same width")
}

fn small_tiles() -> Tiles {
    Tiles { rows: 7, train: 53 }
}

fn batch(path: ComputePath) -> Compute {
    Compute {
        path,
        tiles: small_tiles(),
        ..Compute::default()
    }
}

fn assert_close(a: &Explanation, b: &Explanation, scale: f64, tol: f64, what: &str) {
    assert_eq!(a.row, b.row);
    assert_eq!(a.cluster, b.cluster, "{what}");
    let scale = scale.max(a.score.abs()).max(f64::MIN_POSITIVE);
    assert!(
        (a.score - b.score).abs() <= tol * scale,
        "{what} row {}: score {} vs {}",
        a.row,
        a.score,
        b.score
    );
    for (i, (x, y)) in a.relevance.iter().zip(&b.relevance).enumerate() {
        assert!(
            (x - y).abs() <= tol * scale,
            "{what} row {} feature {i}: {x} vs {y} (scale {scale})",
            a.row
        );
    }
    assert!(
        (a.dissipated - b.dissipated).abs() <= tol * scale,
        "{what} row {}: dissipated {} vs {}",
        a.row,
        a.dissipated,
        b.dissipated
    );
}

fn explain<'a>(
    model: &'a FittedModel,
    q: Queries<'a>,
    target: Target,
    options: &ExplainOptions,
    compute: &Compute,
) -> Vec<Explanation> {
    model
        .explain_rows_with(q, None, target, options, compute, &|| {})
        .expect("explain")
}

/// The same rows through the per-point reference and through the blocked kernels computing
/// pairs as `pairs` says.
fn per_point_and_blocked<'a>(
    model: &'a FittedModel,
    q: Queries<'a>,
    target: Target,
    options: &ExplainOptions,
    pairs: PairKernel,
) -> (Vec<Explanation>, Vec<Explanation>) {
    let blocked = Compute {
        pairs,
        ..batch(ComputePath::Batch)
    };
    (
        explain(model, q, target, options, &batch(ComputePath::PerPoint)),
        explain(model, q, target, options, &blocked),
    )
}

/// Both ways of computing pairs, whatever the number of features.
const BOTH_PAIR_KERNELS: [PairKernel; 2] = [PairKernel::Direct, PairKernel::Expanded];

/// Scale of a row for agreement: its score and its total absolute relevance.
fn row_scale(e: &Explanation) -> f64 {
    e.score.abs() + e.relevance.iter().map(|r| r.abs()).sum::<f64>()
}

#[test]
fn batch_outlier_equals_per_point_to_1e12() {
    for (seed, d, gamma, offset) in [(1, 3, 0.5, 0.0), (2, 6, 2.0, 1e4), (3, 1, 0.05, -50.0)] {
        let train = gaussian(300, d, 1.0, offset, seed);
        let model = FittedModel::Kde(Kde::fit(KdeParams::new(gamma), train.view()).expect("fit"));
        let mut q = queries(&train, seed + 10);
        q += offset;
        for options in [
            ExplainOptions::default(),
            ExplainOptions {
                beta: Some(gamma * 3.0),
                ..Default::default()
            },
            ExplainOptions {
                beta: Some(0.0),
                epsilon: 0.0,
                ..Default::default()
            },
        ] {
            for (queries, pairs) in [Queries::Points(q.view()), Queries::LeaveOneOut]
                .into_iter()
                .flat_map(|q| BOTH_PAIR_KERNELS.map(|p| (q, p)))
            {
                let (slow, fast) =
                    per_point_and_blocked(&model, queries, Target::Outlier, &options, pairs);
                assert_eq!(slow.len(), fast.len());
                for (a, b) in slow.iter().zip(&fast) {
                    assert_close(a, b, row_scale(a), 1e-12, &format!("outlier {pairs:?}"));
                    assert!(b.conservation_gap().abs() <= 1e-10 * (1.0 + b.score.abs()));
                }
            }
        }
    }
}

#[test]
fn batch_scores_equal_per_point() {
    let train = gaussian(500, 4, 1.0, 3.0, 7);
    let model = FittedModel::Kde(Kde::fit(KdeParams::new(0.7), train.view()).expect("fit"));
    let q = queries(&train, 8) + 3.0;
    let options = ExplainOptions::default();
    for target in [Target::Outlier, Target::Inlier] {
        let explainer = model.explainer(target, &options).expect("explainer");
        let fast = model
            .score_rows(Queries::Points(q.view()), None, target, &options)
            .expect("scores");
        for (r, f) in fast.iter().enumerate() {
            let slow = explainer.score(q.row(r), None);
            assert!(
                (f - slow).abs() <= 1e-12 * slow.abs().max(f64::MIN_POSITIVE),
                "{target} row {r}: {f} vs {slow}"
            );
        }
        let inlier = explain(
            &model,
            Queries::LeaveOneOut,
            target,
            &options,
            &batch(ComputePath::Batch),
        );
        let slow = explain(
            &model,
            Queries::LeaveOneOut,
            target,
            &options,
            &batch(ComputePath::PerPoint),
        );
        for (a, b) in slow.iter().zip(&inlier) {
            assert_close(a, b, row_scale(a), 1e-12, "score");
        }
    }
}

#[test]
fn batch_rff_equals_per_point_relative_to_the_sum_scale() {
    let train = gaussian(200, 5, 1.0, 0.0, 11);
    let kde = Kde::fit(KdeParams::new(0.3), train.view()).expect("fit");
    let model = FittedModel::Kde(kde.clone());
    let q = queries(&train, 12);
    let options = ExplainOptions {
        n_features: 300,
        trials: 3,
        seed: 5,
        ..Default::default()
    };
    let explainer = kde.explainer(Target::InlierRff, &options).expect("rff");
    // (1/H) Σ_j |h_j| ≤ √2 mean_j |μ_j| (LOO changes μ by at most 2√2/(N−1))
    let scale = explainer
        .draws()
        .iter()
        .map(|d| d.layer.mean_embedding.mapv(f64::abs).mean().unwrap_or(0.0))
        .fold(0.0, f64::max)
        * 2f64.sqrt()
        + 1e-2;
    for queries in [Queries::Points(q.view()), Queries::LeaveOneOut] {
        let (slow, fast) = per_point_and_blocked(
            &model,
            queries,
            Target::InlierRff,
            &options,
            PairKernel::Auto,
        );
        for (a, b) in slow.iter().zip(&fast) {
            // cos(ω_jᵀx + b_j) is only as accurate as its argument: ε Σ_i |ω_ji x_i|
            let x = match queries {
                Queries::Points(p) => p.row(a.row).to_owned(),
                Queries::LeaveOneOut => train.row(a.row).to_owned(),
            };
            let argument = explainer
                .draws()
                .iter()
                .flat_map(|d| d.layer.omega.mapv(f64::abs).dot(&x.mapv(f64::abs)).to_vec())
                .fold(0.0, |m: f64, v| m.max(v.abs()));
            let scale = scale * (1.0 + argument);
            assert_close(a, b, scale, 1e-12, "inlier-rff");
            let (sa, sb) = (a.relevance_std.as_ref(), b.relevance_std.as_ref());
            for (x, y) in sa.expect("std").iter().zip(sb.expect("std")) {
                assert!((x - y).abs() <= 1e-11 * scale);
            }
            let (ea, eb) = (a.exact_score.unwrap_or(0.0), b.exact_score.unwrap_or(1.0));
            assert!((ea - eb).abs() <= 1e-12 * ea.abs().max(f64::MIN_POSITIVE));
        }
    }
}

#[test]
fn batch_cluster_equals_per_point() {
    let train = gaussian(400, 6, 1.0, 0.0, 21);
    let km = KMeans::fit(KMeansParams::new(5).n_init(2), train.view()).expect("fit");
    let model = FittedModel::Kmeans(km);
    let q = queries(&train, 22);
    for beta in [None, Some(0.0), Some(10.0)] {
        let options = ExplainOptions {
            beta,
            ..Default::default()
        };
        for queries in [Queries::Points(q.view()), Queries::LeaveOneOut] {
            let (slow, fast) =
                per_point_and_blocked(&model, queries, Target::Cluster, &options, PairKernel::Auto);
            for (a, b) in slow.iter().zip(&fast) {
                // f_c is a difference of squared distances: both paths are conditioned by them
                let x = match queries {
                    Queries::Points(p) => p.row(a.row).to_owned(),
                    Queries::LeaveOneOut => train.row(a.row).to_owned(),
                };
                let scale = row_scale(a) + x.mapv(|v| v * v).sum();
                assert_close(a, b, scale, 1e-12, "cluster");
            }
        }
    }
}

fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool")
        .install(f)
}

#[test]
fn direct_pairs_do_not_depend_on_the_row_blocks() {
    // the direct kernels choose their row blocks by the number of rows: any blocks must give
    // the same bits, for a row explained alone or among others
    let train = gaussian(300, 5, 1.0, 0.0, 61);
    let q = queries(&train, 62);
    let model = FittedModel::Kde(Kde::fit(KdeParams::new(0.4), train.view()).expect("fit"));
    let options = ExplainOptions::default();
    let run = |rows: usize, train: usize, wanted: &[usize]| {
        let compute = Compute {
            path: ComputePath::Batch,
            tiles: Tiles { rows, train },
            pairs: PairKernel::Direct,
            ..Compute::default()
        };
        model
            .explain_rows_with(
                Queries::Points(q.view()),
                Some(wanted),
                Target::Outlier,
                &options,
                &compute,
                &|| {},
            )
            .expect("explain")
    };
    let all: Vec<usize> = (0..q.nrows()).collect();
    let reference = run(256, 64, &all);
    assert_eq!(run(1, 64, &all), reference);
    assert_eq!(run(7, 64, &all), reference);
    for r in [0, 17, q.nrows() - 1] {
        assert_eq!(run(256, 64, &[r]), vec![reference[r].clone()]);
    }
}

#[test]
fn one_and_two_threads_give_identical_results() {
    let train = gaussian(700, 4, 1.0, 0.0, 31);
    let q = queries(&train, 32);
    let kde = FittedModel::Kde(Kde::fit(KdeParams::new(0.5), train.view()).expect("fit"));
    let options = ExplainOptions {
        n_features: 200,
        trials: 2,
        ..Default::default()
    };
    let run = |threads: usize| {
        with_threads(threads, || {
            let mut all = Vec::new();
            for target in [Target::Outlier, Target::InlierRff] {
                for (precision, pairs) in [
                    (Precision::F64, PairKernel::Direct),
                    (Precision::F64, PairKernel::Expanded),
                    (Precision::F32, PairKernel::Auto),
                ] {
                    let compute = Compute {
                        precision,
                        pairs,
                        ..batch(ComputePath::Batch)
                    };
                    all.push(explain(
                        &kde,
                        Queries::Points(q.view()),
                        target,
                        &options,
                        &compute,
                    ));
                }
            }
            let km =
                KMeans::fit(KMeansParams::new(6).n_init(3).seed(9), train.view()).expect("fit");
            let model = FittedModel::Kmeans(km.clone());
            all.push(explain(
                &model,
                Queries::LeaveOneOut,
                Target::Cluster,
                &options,
                &batch(ComputePath::Batch),
            ));
            let Some(FittedModel::Kde(k)) = Some(&kde) else {
                unreachable!()
            };
            let approx = ApproxKde::new(k, 1e-6, small_tiles()).expect("approx");
            let a = approx.explain_outlier(
                q.view(),
                &(0..q.nrows()).collect::<Vec<_>>(),
                false,
                0.5,
                1e-9,
                &|_| {},
            );
            (all, km, a)
        })
    };
    let (a1, k1, p1) = run(1);
    let (a2, k2, p2) = run(2);
    assert_eq!(a1, a2);
    assert_eq!(k1, k2);
    assert_eq!(p1, p2);
}

#[test]
fn approximate_mode_searches_the_tree_only_where_it_pays() {
    let train = gaussian(2000, 3, 1.0, 0.0, 44);
    // narrow kernel: a row's mass sits on a few neighbours, the tree pays
    let narrow = Kde::fit(KdeParams::new(50.0), train.view()).expect("fit");
    let approx = ApproxKde::new(&narrow, 1e-6, Tiles::default()).expect("approx");
    assert!(approx.sampled_used_fraction() <= crate::models::kde::approx::TREE_MAX_USED_FRACTION);
    assert!(approx.uses_tree());
    // wide kernel: nearly every point is within the radius, the exact path runs (bound 0)
    let wide = Kde::fit(KdeParams::new(0.05), train.view()).expect("fit");
    let always = ApproxKde::with_tree_choice(&wide, 1e-6, Tiles::default(), TreeChoice::Always)
        .expect("approx");
    assert!(always.sampled_used_fraction() > 0.5);
    let auto = ApproxKde::new(&wide, 1e-6, Tiles::default()).expect("approx");
    assert!(!auto.uses_tree());
    let rows: Vec<usize> = (0..20).collect();
    let out = auto.explain_outlier(train.view(), &rows, true, 0.05, 1e-9, &|_| {});
    for (res, &row) in out.iter().zip(&rows) {
        assert_eq!(res.bound.score_bound, 0.0);
        assert_eq!(res.bound.n_used, 1999);
        let exact = wide.explain_outlier(train.row(row), Some(row), 0.05, 1e-9);
        assert!((res.explanation.score - exact.0).abs() <= 1e-12 * exact.0.abs());
    }
    let never = ApproxKde::with_tree_choice(&narrow, 1e-6, Tiles::default(), TreeChoice::Never)
        .expect("approx");
    assert!(!never.uses_tree());
}

#[test]
fn approximate_mode_stays_within_its_bound() {
    for (d, gamma, seed) in [(2, 1.0, 41), (5, 0.2, 42), (20, 0.1, 43)] {
        let train = gaussian(2000, d, 1.0, 0.0, seed);
        let kde = Kde::fit(KdeParams::new(gamma), train.view()).expect("fit");
        let q = queries(&train, seed + 100);
        let rows: Vec<usize> = (0..q.nrows()).collect();
        for tolerance in [0.5, 1e-3, 1e-8, 1e-15] {
            for beta in [gamma, 3.0 * gamma, 0.0] {
                let approx = ApproxKde::with_tree_choice(
                    &kde,
                    tolerance,
                    Tiles::default(),
                    TreeChoice::Always,
                )
                .expect("approx");
                assert_eq!(
                    approx.uses_tree(),
                    d <= crate::models::kde::approx::MAX_TREE_DIM
                );
                for (points, loo, rows) in [
                    (q.view(), false, rows.clone()),
                    (train.view(), true, (0..50).collect()),
                ] {
                    let results = approx.explain_outlier(points, &rows, loo, beta, 1e-9, &|_| {});
                    for (res, &row) in results.iter().zip(&rows) {
                        let exact =
                            kde.explain_outlier(points.row(row), loo.then_some(row), beta, 1e-9);
                        let e = &res.explanation;
                        let b = &res.bound;
                        let slack = 1e-10 * (1.0 + exact.0.abs());
                        assert!(e.score >= exact.0 - slack, "ô below o");
                        assert!(
                            e.score - exact.0 <= b.score_bound + slack,
                            "d {d} τ {tolerance}: score off by {} > {}",
                            e.score - exact.0,
                            b.score_bound
                        );
                        let l1: f64 = e
                            .relevance
                            .iter()
                            .zip(&exact.1)
                            .map(|(x, y)| (x - y).abs())
                            .sum::<f64>()
                            + (e.dissipated - exact.2).abs();
                        assert!(
                            l1 <= b.relevance_bound + slack,
                            "d {d} τ {tolerance} β {beta}: relevance off by {l1} > {}",
                            b.relevance_bound
                        );
                        assert!((0.0..=1.0).contains(&b.neglected_mass));
                    }
                }
            }
        }
    }
}

#[test]
fn tolerance_is_checked() {
    let train = gaussian(10, 2, 1.0, 0.0, 1);
    let kde = Kde::fit(KdeParams::new(1.0), train.view()).expect("fit");
    for bad in [0.0, 1.0, -1.0, f64::NAN] {
        assert!(ApproxKde::new(&kde, bad, Tiles::default()).is_err());
    }
}

#[test]
fn f32_is_within_its_documented_tolerance() {
    let train = gaussian(1000, 8, 1.0, 0.0, 51);
    let model = FittedModel::Kde(Kde::fit(KdeParams::new(1.0 / 8.0), train.view()).expect("fit"));
    let q = gaussian(200, 8, 1.3, 0.0, 52);
    let options = ExplainOptions::default();
    let exact = explain(
        &model,
        Queries::Points(q.view()),
        Target::Outlier,
        &options,
        &batch(ComputePath::PerPoint),
    );
    let f32s = explain(
        &model,
        Queries::Points(q.view()),
        Target::Outlier,
        &options,
        &Compute {
            precision: Precision::F32,
            ..batch(ComputePath::Batch)
        },
    );
    let mut worst: f64 = 0.0;
    for (a, b) in exact.iter().zip(&f32s) {
        let scale = row_scale(a);
        assert!((a.score - b.score).abs() <= F32_TOLERANCE * a.score.abs());
        let l1: f64 = a
            .relevance
            .iter()
            .zip(&b.relevance)
            .map(|(x, y)| (x - y).abs())
            .sum();
        worst = worst.max(l1 / scale);
        assert!(
            l1 <= F32_TOLERANCE * scale,
            "row {}: {l1} vs scale {scale}",
            a.row
        );
        // conservation holds to f64 rounding: the single-precision round-off is reported as
        // dissipated, next to the ε term it contains
        assert!(
            b.conservation_gap().abs() <= 1e-12 * scale,
            "row {}: gap {}",
            a.row,
            b.conservation_gap()
        );
        assert!((a.dissipated - b.dissipated).abs() <= F32_TOLERANCE * scale);
    }
    assert!(worst > 0.0, "f32 path must differ from f64 somewhere");
}

#[test]
fn blocked_fit_is_deterministic_and_finds_separated_clusters() {
    let mut data = gaussian(3000, 3, 0.1, 0.0, 61);
    for (i, mut row) in data.axis_iter_mut(Axis(0)).enumerate() {
        row[0] += 10.0 * (i % 4) as f64;
    }
    let params = KMeansParams::new(4).n_init(4).seed(3);
    let one = with_threads(1, || KMeans::fit(params, data.view()).expect("fit"));
    let two = with_threads(2, || KMeans::fit(params, data.view()).expect("fit"));
    assert_eq!(one, two);
    let mut xs: Vec<f64> = one.centroids.column(0).to_vec();
    xs.sort_by(f64::total_cmp);
    for (c, x) in xs.iter().enumerate() {
        assert!((x - 10.0 * c as f64).abs() < 0.05, "{xs:?}");
    }
}

#[test]
fn approximate_mode_handles_many_identical_training_points() {
    // more identical points than a k-d tree bucket holds
    let mut train = Array2::zeros((300, 2));
    for (i, mut row) in train.axis_iter_mut(Axis(0)).enumerate() {
        if i >= 200 {
            row[0] = i as f64 * 0.01;
        }
    }
    let kde = Kde::fit(KdeParams::new(1.0), train.view()).expect("fit");
    let approx = ApproxKde::new(&kde, 1e-6, Tiles::default()).expect("approx");
    let rows: Vec<usize> = (0..train.nrows()).collect();
    let results = approx.explain_outlier(train.view(), &rows, true, 1.0, 1e-9, &|_| {});
    for (res, &row) in results.iter().zip(&rows) {
        let exact = kde.explain_outlier(train.row(row), Some(row), 1.0, 1e-9);
        let e = &res.explanation;
        assert!((e.score - exact.0).abs() <= res.bound.score_bound + 1e-10);
    }
}

#[test]
fn approximate_mode_handles_ties_on_one_axis() {
    let mut train = Array2::zeros((300, 2));
    for (i, mut row) in train.axis_iter_mut(Axis(0)).enumerate() {
        row[1] = i as f64 * 0.01;
        if i >= 250 {
            row[0] = 1.0;
        }
    }
    let kde = Kde::fit(KdeParams::new(1.0), train.view()).expect("fit");
    let approx = ApproxKde::new(&kde, 1e-6, Tiles::default()).expect("approx");
    let rows: Vec<usize> = (0..train.nrows()).collect();
    let results = approx.explain_outlier(train.view(), &rows, true, 1.0, 1e-9, &|_| {});
    assert_eq!(results.len(), 300);
}

#[test]
fn leave_one_out_rff_drawing_its_own_features_equals_prepared_draws() {
    let train = gaussian(150, 4, 1.0, 0.0, 51);
    let model = FittedModel::Kde(Kde::fit(KdeParams::new(0.4), train.view()).expect("fit"));
    let options = ExplainOptions {
        n_features: 130,
        trials: 3,
        seed: 2,
        ..Default::default()
    };
    let all: Vec<usize> = (0..train.nrows()).collect();
    let compute = batch(ComputePath::Batch);
    let prepared = |threads: usize| {
        with_threads(threads, || {
            let b = crate::models::BatchExplainer::new(
                &model,
                Target::InlierRff,
                &options,
                &compute,
                all.len(),
            )
            .expect("prepare");
            // a few rows first: the draws are made with their embeddings, then reused
            let _ = b.explain(Queries::LeaveOneOut, &all[..10], &|_| {});
            b.explain(Queries::LeaveOneOut, &all, &|_| {})
        })
    };
    let fused = |threads: usize| {
        with_threads(threads, || {
            explain(
                &model,
                Queries::LeaveOneOut,
                Target::InlierRff,
                &options,
                &compute,
            )
        })
    };
    let reference = prepared(1);
    assert_eq!(reference, prepared(2));
    assert_eq!(reference, fused(1));
    assert_eq!(reference, fused(2));
}
