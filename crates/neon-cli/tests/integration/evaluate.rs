//! End-to-end tests of `neon evaluate` and `neon explain --method`: the baselines through the
//! binary, the report formats and plots, and the errors a user can provoke.

use crate::common::{fit_kde, fit_wholesale, neon, stderr, stdout};
use std::path::Path;

/// A KDE (γ = 1) and a k-means model (K = 6) on the Wholesale spending columns.
fn fit_models(dir: &Path) -> (String, String) {
    let kde = fit_kde(dir);
    let km = fit_wholesale(dir, "km.json", "kmeans", &["--n-clusters", "6"]);
    (
        kde.to_string_lossy().into_owned(),
        km.to_string_lossy().into_owned(),
    )
}

#[test]
fn explain_with_every_method_conserves_and_labels_the_method() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (kde, _) = fit_models(dir.path());
    for method in [
        "neon",
        "shapley-exact",
        "shapley-sampling",
        "integrated-gradients",
        "occlusion",
    ] {
        let out = neon(&[
            "explain",
            "--model",
            &kde,
            "--leave-one-out",
            "--target",
            "outlier",
            "--rows",
            "338",
            "--method",
            method,
            "--samples",
            "50",
            "--format",
            "json",
            "--quiet",
        ]);
        assert!(out.status.success(), "{method}: {}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
        assert_eq!(doc["parameters"]["method"], method);
        let e = &doc["explanations"][0];
        let score = e["score"].as_f64().expect("score");
        let sum = e["relevance_sum"].as_f64().expect("sum");
        let dissipated = e["dissipated"].as_f64().expect("dissipated");
        assert!((sum + dissipated - score).abs() < 1e-9, "{method}");
        assert_eq!(
            e["relevance_std"].is_array(),
            method == "shapley-sampling",
            "{method}"
        );
    }
}

#[test]
fn explain_method_errors_are_specific() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (kde, _) = fit_models(dir.path());
    let base = [
        "explain",
        "--model",
        kde.as_str(),
        "--leave-one-out",
        "--target",
        "outlier",
        "--rows",
        "0",
    ];
    let cases: [(&[&str], &str); 4] = [
        (&["--method", "shap"], "unknown method 'shap'"),
        (
            &["--method", "shapley-sampling", "--samples", "0"],
            "--samples",
        ),
        (
            &["--method", "occlusion", "--reference-row", "440"],
            "row 440 is out of range",
        ),
        (
            &["--reference-row", "3"],
            "--reference-row applies to the baselines",
        ),
    ];
    for (extra, message) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let out = neon(&args);
        assert!(!out.status.success(), "{extra:?} should fail");
        assert!(
            stderr(&out).contains(message),
            "{extra:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn evaluate_writes_json_table_and_plots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (kde, km) = fit_models(dir.path());
    let plots = dir.path().join("plots");
    let out = neon(&[
        "evaluate",
        "--model",
        &km,
        "--leave-one-out",
        "--target",
        "cluster",
        "--rows",
        "0,50,100,338",
        "--samples",
        "20",
        "--random-orders",
        "3",
        "--marginal-draws",
        "2",
        "--format",
        "json",
        "--out-dir",
        plots.to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(report["n_rows"], 4);
    assert_eq!(report["methods"].as_array().expect("methods").len(), 5);
    assert_eq!(report["methods"][0]["method"], "neon");
    assert_eq!(report["methods"][1]["cost"]["evaluations_per_row"], 64.0);
    for stem in [
        "cluster-removal",
        "cluster-marginal-removal",
        "cluster-insertion",
    ] {
        for ext in ["png", "svg"] {
            let file = plots.join(format!("{stem}.{ext}"));
            assert!(
                file.metadata().map(|m| m.len() > 0).unwrap_or(false),
                "{file:?}"
            );
        }
    }
    let table = neon(&[
        "evaluate",
        "--model",
        &kde,
        "--leave-one-out",
        "--target",
        "outlier",
        "--rows",
        "338",
        "--methods",
        "neon,occlusion",
        "--quiet",
    ]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    for needle in ["neon", "occlusion", "random (10 orders)", "rank agreement"] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    assert!(!text.contains("shapley"), "{text}");
}

#[test]
fn evaluate_errors_are_specific() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (kde, _) = fit_models(dir.path());
    let cases: [(&[&str], &str); 6] = [
        (
            &["--target", "cluster"],
            "does not support target 'cluster'",
        ),
        (
            &["--target", "outlier", "--beta-factors", "0,1"],
            "--beta-factors applies with --rules",
        ),
        (&["--target", "outlier", "--rules", "midpoint"], "midpoint"),
        (
            &["--target", "outlier", "--methods", "neon,neon"],
            "listed twice",
        ),
        (&["--target", "outlier", "--steps", "0"], "--steps"),
        (
            &["--target", "outlier", "--rows", "999"],
            "row 999 is out of range",
        ),
    ];
    for (extra, message) in cases {
        let mut args = vec!["evaluate", "--model", kde.as_str(), "--leave-one-out"];
        args.extend_from_slice(extra);
        let out = neon(&args);
        assert!(!out.status.success(), "{extra:?} should fail");
        assert!(
            stderr(&out).contains(message),
            "{extra:?}: {}",
            stderr(&out)
        );
    }
    let no_data = neon(&["evaluate", "--model", &kde, "--target", "outlier"]);
    assert!(stderr(&no_data).contains("--leave-one-out"));
}

/// `--rules all --beta-factors …` adds one NEON line per rule set and factor, each with its
/// share of exact Shapley's removal gain; the default setting's line repeats NEON's numbers.
#[test]
fn evaluate_sweeps_rule_sets_and_stiffness() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, km) = fit_models(dir.path());
    let out = neon(&[
        "evaluate",
        "--model",
        &km,
        "--leave-one-out",
        "--target",
        "cluster",
        "--rows",
        "0,10,20,30,40,50",
        "--methods",
        "neon,shapley-exact",
        "--rule",
        "standard",
        "--rules",
        "all",
        "--beta-factors",
        "0,1",
        "--random-orders",
        "2",
        "--format",
        "json",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let methods = doc["methods"].as_array().expect("methods");
    let labels: Vec<&str> = methods
        .iter()
        .map(|m| m["label"].as_str().expect("label"))
        .collect();
    assert_eq!(labels.len(), 2 + 3 * 2, "{labels:?}");
    for rule in ["standard", "grounded", "midpoint"] {
        for factor in ["0", "1"] {
            let label = format!("neon {rule} β×{factor}");
            assert!(labels.contains(&label.as_str()), "{label} in {labels:?}");
        }
    }
    let by = |label: &str| {
        methods
            .iter()
            .find(|m| m["label"] == label)
            .expect("a method")
    };
    assert_eq!(by("shapley-exact")["removal_gain_vs_shapley"], 1.0);
    // --rule standard: the main line is the chapter's setting
    assert_eq!(by("neon")["rule"], "standard");
    assert_eq!(by("neon")["removal"], by("neon standard β×1")["removal"]);
    let table = neon(&[
        "evaluate",
        "--model",
        &km,
        "--leave-one-out",
        "--target",
        "cluster",
        "--rows",
        "0,1",
        "--methods",
        "neon,shapley-exact",
        "--rules",
        "grounded",
        "--random-orders",
        "2",
        "--quiet",
    ]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(
        text.contains("neon grounded β×1") && text.contains("gain × shapley"),
        "{text}"
    );
}
