//! Equivalence with scikit-learn on fixtures written by `tools/sklearn_fixtures.py` (an
//! independent implementation): imported models reproduce scikit-learn's scores to rounding
//! error; models fitted here reach the same solution within the solvers' tolerance.

use ndarray::{Array1, Array2};
use neon_xai::models::{OcsvmParams, OneClassSvm};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sklearn")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).expect("matrix");
    let d = rows.first().map_or(0, Vec::len);
    Array2::from_shape_vec((rows.len(), d), rows.concat()).expect("shape")
}

fn vector(v: &Value) -> Array1<f64> {
    Array1::from(serde_json::from_value::<Vec<f64>>(v.clone()).expect("vector"))
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn imported_one_class_svms_reproduce_scikit_learn_scores() {
    for name in ["ocsvm.json", "ocsvm_b.json"] {
        let f = fixture(name);
        let x = matrix(&f["X"]);
        let gamma = f["gamma"].as_f64().expect("gamma");
        let alpha = vector(&f["dual_coef"]).to_vec();
        let model = OneClassSvm::from_parts(
            matrix(&f["support_vectors"]),
            alpha,
            -f["intercept"].as_f64().expect("intercept"),
            gamma,
            x.view(),
        )
        .expect("import");
        let queries = matrix(&f["queries"]);
        let decision = vector(&f["decision_function"]);
        let samples = vector(&f["score_samples"]);
        let total = model.alpha_sum();
        for (i, q) in queries.rows().into_iter().enumerate() {
            assert!(
                close(model.decision_function(q), decision[i], 1e-10),
                "{name} {i}"
            );
            // scikit-learn computes score_samples as decision_function + offset: its error
            // is absolute, about ρ times the rounding error
            let rho = model.rho;
            assert!(
                (model.kernel_sum(q) - samples[i]).abs() <= 1e-12 * rho.max(1.0),
                "{name} {i}"
            );
            // the explained score is −(1/γ) log(score_samples / Σα), through the network
            if samples[i] > 1e-3 * rho {
                let expected = -(samples[i] / total).ln() / gamma;
                assert!(close(model.outlier(q, None), expected, 1e-9), "{name} {i}");
            }
        }
    }
}

#[test]
fn one_class_svms_fitted_here_match_scikit_learn_within_the_solver_tolerance() {
    for name in ["ocsvm.json", "ocsvm_b.json"] {
        let f = fixture(name);
        let x = matrix(&f["X"]);
        let (nu, gamma) = (
            f["nu"].as_f64().expect("nu"),
            f["gamma"].as_f64().expect("gamma"),
        );
        let model = OneClassSvm::fit(OcsvmParams::new(nu, gamma), x.view()).expect("fit");
        // the dual's constraint Σα = νn holds exactly
        assert!(
            close(model.alpha_sum(), nu * x.nrows() as f64, 1e-12),
            "{name}"
        );
        let theirs = vector(&f["decision_function_train"]);
        let scale = theirs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut worst = 0.0f64;
        for (i, row) in x.rows().into_iter().enumerate() {
            let ours = model.decision_function(row);
            worst = worst.max((ours - theirs[i]).abs() / scale);
            // the same side of the boundary wherever scikit-learn is clearly on one side
            if theirs[i].abs() > 1e-2 * scale {
                assert_eq!(ours > 0.0, theirs[i] > 0.0, "{name} row {i}");
            }
        }
        // both solvers stop at a KKT violation of 1e-3
        assert!(
            worst < 5e-3,
            "{name}: largest difference {worst:e} of the scale"
        );
    }
}

/// A fixture's covariances (scikit-learn's shape for the type) written out as K full matrices.
fn full_covariances(f: &Value, k: usize, d: usize) -> ndarray::Array3<f64> {
    let mut cov = ndarray::Array3::zeros((k, d, d));
    let kind = f["covariance_type"].as_str().expect("type");
    for c in 0..k {
        for i in 0..d {
            for j in 0..d {
                cov[[c, i, j]] = match kind {
                    "spherical" if i == j => f["covariances"][c].as_f64().expect("v"),
                    "diag" if i == j => f["covariances"][c][i].as_f64().expect("v"),
                    "full" => f["covariances"][c][i][j].as_f64().expect("v"),
                    "tied" => f["covariances"][i][j].as_f64().expect("v"),
                    _ => 0.0,
                };
            }
        }
    }
    cov
}

const GMM_FIXTURES: [&str; 4] = [
    "gmm_spherical.json",
    "gmm_diag.json",
    "gmm_full.json",
    "gmm_tied.json",
];

#[test]
fn imported_gaussian_mixtures_reproduce_scikit_learn_scores_and_predictions() {
    use neon_xai::models::{CovarianceType, GaussianMixture};
    for name in GMM_FIXTURES {
        let f = fixture(name);
        let x = matrix(&f["X"]);
        let means = matrix(&f["means"]);
        let (k, d) = means.dim();
        let kind: CovarianceType = f["covariance_type"]
            .as_str()
            .expect("type")
            .parse()
            .expect("known type");
        let model = GaussianMixture::from_parts(
            kind,
            vector(&f["weights"]).to_vec(),
            means,
            full_covariances(&f, k, d),
            x.view(),
        )
        .expect("import");
        let queries = matrix(&f["queries"]);
        let samples = vector(&f["score_samples"]);
        let proba = matrix(&f["predict_proba"]);
        for (i, q) in queries.rows().into_iter().enumerate() {
            assert!(close(model.log_density(q), samples[i], 1e-10), "{name} {i}");
            // the explained score: o(x) = log B − log p(x), through the network
            let o = model.outlier(q);
            assert!(
                close(o, model.log_peak_bound() - samples[i], 1e-10),
                "{name} {i}"
            );
            assert_eq!(
                model.predict(q) as u64,
                f["predict"][i].as_u64().expect("label"),
                "{name} {i}"
            );
            for (c, p) in model.posterior(q).into_iter().enumerate() {
                assert!((p - proba[[i, c]]).abs() < 1e-10, "{name} {i} {c}");
            }
            // membership evidence is the log-odds of the predicted component
            let c = model.predict(q);
            let p = proba[[i, c]];
            if p < 1.0 - 1e-6 {
                let log_odds = (p / (1.0 - p)).ln();
                assert!(close(model.membership(q, c), log_odds, 1e-6), "{name} {i}");
            }
        }
    }
}

#[test]
fn gaussian_mixtures_fitted_here_reach_scikit_learns_likelihood_and_partition() {
    use neon_xai::models::{CovarianceType, GaussianMixture, GmmParams};
    for name in GMM_FIXTURES {
        let f = fixture(name);
        let x = matrix(&f["X"]);
        let kind: CovarianceType = f["covariance_type"]
            .as_str()
            .expect("type")
            .parse()
            .expect("known type");
        let k = f["n_components"].as_u64().expect("k") as usize;
        let model = GaussianMixture::fit(GmmParams::new(k, kind), x.view()).expect("fit");
        let theirs = f["lower_bound"].as_f64().expect("lower bound");
        // both stop when the mean log-likelihood changes by less than 1e-3
        assert!(
            (model.lower_bound - theirs).abs() < 5e-3,
            "{name}: {} vs {theirs}",
            model.lower_bound
        );
        // the same partition up to the numbering of the components
        let labels: Vec<u64> = serde_json::from_value(f["predict_train"].clone()).expect("labels");
        let mut pairs = std::collections::BTreeMap::new();
        for (i, row) in x.rows().into_iter().enumerate() {
            *pairs
                .entry((model.predict(row), labels[i]))
                .or_insert(0usize) += 1;
        }
        let mut agree = 0;
        for c in 0..k {
            agree += (0..k as u64)
                .map(|l| pairs.get(&(c, l)).copied().unwrap_or(0))
                .max()
                .unwrap_or(0);
        }
        assert!(
            agree as f64 >= 0.99 * x.nrows() as f64,
            "{name}: {agree} of {}",
            x.nrows()
        );
    }
}

#[test]
fn kde_bandwidths_match_scikit_learn_and_the_leave_one_out_maximum() {
    use neon_xai::models::kde::bandwidth::{scott, silverman, PairwiseDistances};
    let f = fixture("kde_bandwidth.json");
    let x = matrix(&f["X"]);
    let (n, d) = x.dim();
    assert!(close(
        scott(n, d),
        f["bandwidth_scott"].as_f64().expect("scott"),
        1e-14
    ));
    assert!(close(
        silverman(n, d),
        f["bandwidth_silverman"].as_f64().expect("s"),
        1e-14
    ));
    for rule in f["bandwidth_rules"].as_array().expect("rules") {
        let (n, d) = (
            rule["n"].as_u64().expect("n") as usize,
            rule["d"].as_u64().expect("d") as usize,
        );
        assert!(close(
            scott(n, d),
            rule["scott"].as_f64().expect("scott"),
            1e-14
        ));
        assert!(close(
            silverman(n, d),
            rule["silverman"].as_f64().expect("s"),
            1e-14
        ));
    }
    let pairs = PairwiseDistances::new(x.view()).expect("pairs");
    let grid = vector(&f["loo_h"]);
    let values = vector(&f["loo_mean_loglik"]);
    for (h, v) in grid.iter().zip(values.iter()) {
        assert!(close(pairs.loo_log_likelihood(*h), *v, 1e-10), "h = {h}");
    }
    let (h, value) = pairs.max_loo_bandwidth();
    let (theirs, their_value) = (
        f["loo_best_h"].as_f64().expect("h"),
        f["loo_best_value"].as_f64().expect("value"),
    );
    assert!(close(h, theirs, 1e-6), "{h} vs {theirs}");
    assert!(value >= their_value - 1e-12, "{value} vs {their_value}");
}

/// A KDE with one bandwidth per feature equals scikit-learn's KernelDensity on the features
/// divided by their bandwidths (log density `−γ̄ o(x) − (d/2) log 2π − Σ log h_i`), through the
/// network, the blocked path and leave-one-out alike.
#[test]
fn diagonal_kde_reproduces_scikit_learn_log_density() {
    use neon_xai::models::{DiagonalKde, DiagonalKdeParams, Queries, Target};
    use neon_xai::ExplainOptions;
    let f = fixture("kde_diagonal.json");
    let x = matrix(&f["x"]);
    let q = matrix(&f["queries"]);
    let gammas = vector(&f["gammas"]).to_vec();
    let h = vector(&f["bandwidths"]);
    let kde = DiagonalKde::fit(DiagonalKdeParams::Gammas(gammas), x.view()).expect("fit");
    let model = neon_xai::FittedModel::from(kde.clone());
    let rows: Vec<usize> = (0..q.nrows()).collect();
    let scores = model
        .score_rows(
            Queries::Points(q.view()),
            Some(&rows),
            Target::Outlier,
            &ExplainOptions::default(),
        )
        .expect("scores");
    let constant = 0.5 * 3.0 * (2.0 * std::f64::consts::PI).ln() + h.mapv(f64::ln).sum();
    for (i, expected) in vector(&f["log_density"]).iter().enumerate() {
        let log_density = -kde.mean_gamma() * scores[i] - constant;
        assert!(
            close(log_density, *expected, 1e-10),
            "row {i}: {log_density} vs {expected}"
        );
        let formula = kde.outlier_formula(q.row(i), None);
        assert!(
            close(scores[i], formula, 1e-12),
            "{} vs {formula}",
            scores[i]
        );
    }
}
