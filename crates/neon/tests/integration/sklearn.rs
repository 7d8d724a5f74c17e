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
