//! End-to-end tests of the `neon` binary: the CLI contract, error messages and exit codes.

use crate::common::{fit_kde, fit_wholesale, neon, stderr, stdout};
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

/// Every bad input: the message names what is wrong, the exit code is non-zero and no model
/// file is written.
#[test]
fn bad_inputs_fail_with_specific_message_and_no_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "nonnumeric.csv",
            "a,b\n1,2\n3,x\n",
            "",
            "column b, row 3: 'x' is not a number",
        ),
        (
            "nan.csv",
            "a,b\n1,2\n3,nan\n",
            "",
            "column b, row 3: missing value ('nan')",
        ),
        (
            "inf.csv",
            "a,b\n1,2\n3,inf\n",
            "",
            "column b, row 3: value inf is not finite",
        ),
        (
            "zero.csv",
            "a,b\n1,2\n0,2\n",
            "log",
            "column a, row 3: value 0 cannot be log-transformed",
        ),
        (
            "const.csv",
            "a,b\n1,2\n3,2\n",
            "standardize",
            "column b: zero variance",
        ),
        (
            "ragged.csv",
            "a,b\n1,2\n3\n",
            "",
            "row 3: expected 2 fields, found 1",
        ),
        ("empty.csv", "", "", "the file is empty"),
        ("dup.csv", "a,a\n1,2\n", "", "duplicate column name 'a'"),
    ];
    for (name, text, transform, expected) in cases {
        let data = write(dir.path(), name, text);
        let model = dir.path().join(format!("{name}.model.json"));
        let out = neon(&[
            "fit",
            "kde",
            "--data",
            data.to_str().expect("utf8"),
            "--transform",
            transform,
            "--gamma",
            "1",
            "-o",
            model.to_str().expect("utf8"),
        ]);
        assert!(!out.status.success(), "{name} should fail");
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(name),
            "{name}: message names the file: {}",
            stderr(&out)
        );
        assert!(!model.exists(), "{name}: no output file");
        assert!(stdout(&out).is_empty());
    }
    let data = write(dir.path(), "ok.csv", "a,b\n1,2\n3,4\n");
    let model = dir.path().join("m.json");
    let out = neon(&[
        "fit",
        "kde",
        "--data",
        data.to_str().expect("utf8"),
        "--columns",
        "a,zz",
        "--gamma",
        "1",
        "-o",
        model.to_str().expect("utf8"),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown column 'zz'"),
        "{}",
        stderr(&out)
    );
    assert!(!model.exists());
    let out = neon(&[
        "fit",
        "kde",
        "--data",
        data.to_str().expect("utf8"),
        "--gamma=-1",
        "-o",
        model.to_str().expect("utf8"),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("parameter --gamma"),
        "{}",
        stderr(&out)
    );
    assert!(!model.exists());
}

#[test]
fn fit_explain_round_trip_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_kde(dir.path());
    let m = model.to_str().expect("utf8");
    let out = neon(&[
        "explain",
        "--model",
        m,
        "--target",
        "outlier",
        "--leave-one-out",
        "--rows",
        "337,338",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["target"], "outlier");
    assert_eq!(doc["features"][3], "Frozen");
    let e = &doc["explanations"][1];
    assert_eq!(e["row"], 338);
    let score = e["score"].as_f64().expect("score");
    let sum = e["relevance_sum"].as_f64().expect("sum");
    let dissipated = e["dissipated"].as_f64().expect("dissipated");
    assert!((score - sum - dissipated).abs() < 1e-10);
    let out = neon(&[
        "explain",
        "--model",
        m,
        "--target",
        "inlier-rff",
        "--leave-one-out",
        "--rows",
        "337",
        "--trials",
        "5",
        "--n-features",
        "500",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let header = text.lines().next().expect("header");
    assert!(header.starts_with("row,score,relevance_Fresh"));
    assert!(header.contains("std_Frozen") && header.contains("exact_score"));
    assert_eq!(text.lines().count(), 2);
    let out = neon(&[
        "score",
        "--model",
        m,
        "--leave-one-out",
        "--rows",
        "0,1",
        "--format",
        "table",
    ]);
    assert!(out.status.success());
    assert_eq!(stdout(&out).lines().count(), 3);
}

#[test]
fn new_data_is_transformed_with_the_stored_transform_and_bad_rows_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_wholesale(
        dir.path(),
        "km.json",
        "kmeans",
        &["--n-clusters", "6", "--seed", "1"],
    );
    let m = model.to_str().expect("utf8");
    let new = write(
        dir.path(),
        "new.csv",
        "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n3,333,7021,15601,15,550\n",
    );
    let out = neon(&[
        "explain",
        "--model",
        m,
        "--data",
        new.to_str().expect("utf8"),
        "--target",
        "cluster",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(doc["explanations"][0]["cluster"].is_u64());
    // the same point as training row 338 gets the same explanation
    let loo = neon(&[
        "explain",
        "--model",
        m,
        "--leave-one-out",
        "--rows",
        "338",
        "--target",
        "cluster",
        "--format",
        "json",
    ]);
    let loo: serde_json::Value = serde_json::from_str(&stdout(&loo)).expect("json");
    let a = doc["explanations"][0]["relevance"]
        .as_array()
        .expect("array")
        .clone();
    let b = loo["explanations"][0]["relevance"]
        .as_array()
        .expect("array")
        .clone();
    for (x, y) in a.iter().zip(&b) {
        assert!((x.as_f64().expect("f") - y.as_f64().expect("f")).abs() < 1e-9);
    }
    let bad = write(
        dir.path(),
        "bad.csv",
        "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n3,333,7021,15601,15,550\n0,1,1,1,1,1\n",
    );
    let out = neon(&[
        "explain",
        "--model",
        m,
        "--data",
        bad.to_str().expect("utf8"),
        "--target",
        "cluster",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("column Fresh, row 3: value 0 cannot be log-transformed"),
        "{}",
        stderr(&out)
    );
    // wrong target for the model
    let out = neon(&[
        "explain",
        "--model",
        m,
        "--leave-one-out",
        "--target",
        "outlier",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not support target 'outlier'"));
    // out-of-range row
    let out = neon(&["score", "--model", m, "--leave-one-out", "--rows", "440"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("row 440 is out of range"));
}

#[test]
fn model_file_of_unknown_version_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = write(
        dir.path(),
        "future.json",
        r#"{"format":"neon-model","version":99,"feature_names":[],"transform":{"steps":[]},"model":{}}"#,
    );
    let out = neon(&[
        "score",
        "--model",
        model.to_str().expect("utf8"),
        "--leave-one-out",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("model format version 99 is not supported"),
        "{}",
        stderr(&out)
    );
    let broken = write(
        dir.path(),
        "broken.json",
        r#"{"format":"neon-model","version":1,"feature_names":["a"],"transform":{"steps":[]},"model":{"kind":"kde","gamma":1.0,"points":{"v":1,"dim":[2,2],"data":[0,0,1,1]}}}"#,
    );
    let out = neon(&[
        "score",
        "--model",
        broken.to_str().expect("utf8"),
        "--leave-one-out",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("invalid model file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn centroids_import_and_help_has_examples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = write(dir.path(), "d.csv", "a,b\n0,0\n0,1\n10,10\n10,11\n");
    let centroids = write(dir.path(), "c.csv", "a,b\n0,0.5\n10,10.5\n");
    let model = dir.path().join("km.json");
    let out = neon(&[
        "fit",
        "kmeans",
        "--data",
        data.to_str().expect("utf8"),
        "--centroids",
        centroids.to_str().expect("utf8"),
        "-o",
        model.to_str().expect("utf8"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = neon(&[
        "explain",
        "--model",
        model.to_str().expect("utf8"),
        "--leave-one-out",
        "--target",
        "cluster",
        "--rows",
        "0",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    // f_c = ‖x−μ_1‖² − ‖x−μ_0‖² = (100 + 110.25) − 0.25 = 210
    assert!((doc["explanations"][0]["score"].as_f64().expect("f") - 210.0).abs() < 1e-9);
    let help = neon(&["--help"]);
    assert!(stdout(&help).contains("Examples:"));
}

#[test]
fn missing_file_error_names_the_file_and_says_the_cause_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.csv");
    let model = dir.path().join("m.json");
    let out = neon(&[
        "fit",
        "kde",
        "--data",
        missing.to_str().expect("utf8"),
        "--gamma",
        "1",
        "-o",
        model.to_str().expect("utf8"),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("nope.csv"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

/// `neon fit NAME` exists for every model of the registry, takes a flag per fit parameter, and
/// writes the model the library fits with the same values on the same transformed data.
#[test]
fn every_registry_model_is_fitted_by_neon_fit_as_by_the_library() {
    use neon_xai::data::transform::parse_steps;
    use neon_xai::data::FittedTransform;
    use neon_xai::models::{FitValues, Model, REGISTRY};
    let dir = tempfile::tempdir().expect("tempdir");
    let columns: Vec<String> = crate::common::SPENDING
        .split(',')
        .map(String::from)
        .collect();
    let dataset =
        neon_xai::Dataset::load(&crate::common::wholesale(), Some(&columns)).expect("data");
    let steps = parse_steps("log,standardize").expect("steps");
    let (_, values) = FittedTransform::fit(&steps, &dataset).expect("transform");
    for entry in REGISTRY {
        let (flags, given) = crate::common::required_flags(entry);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let path = fit_wholesale(
            dir.path(),
            &format!("{}.json", entry.name),
            entry.name,
            &flags,
        );
        let file = neon_xai::ModelFile::load(&path).expect("load");
        assert_eq!(file.model.name(), entry.name);
        let checked = FitValues::new(entry.params, &given, false).expect("values");
        let expected = (entry.fit)(&checked, values.view()).expect("fit");
        assert_eq!(file.model.summary(), expected.summary(), "{}", entry.name);
        let gap = (&file.model.training_points() - &expected.training_points())
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(
            gap < 1e-12,
            "{}: training points differ by {gap}",
            entry.name
        );
        // a required parameter left out is named by its flag
        if let Some(p) = entry.params.iter().find(|p| p.default.is_none()) {
            let out = neon(&[
                "fit",
                entry.name,
                "--data",
                crate::common::wholesale().to_str().expect("path"),
                "-o",
                dir.path().join("x.json").to_str().expect("path"),
            ]);
            assert!(!out.status.success());
            let flag = format!("--{}", p.name.replace('_', "-"));
            assert!(stderr(&out).contains(&flag), "{}", stderr(&out));
            if let Some(rule) = p.rule_of_thumb {
                // the suggestion is the rule applied to the (raw, untransformed) data
                let data =
                    neon_xai::Dataset::load(&crate::common::wholesale(), None).expect("data");
                let v = (rule.compute)(data.values().view()).expect("applies");
                let text = format!("{flag} {v:.4}");
                assert!(stderr(&out).contains(&text), "{text}: {}", stderr(&out));
            }
        }
    }
}

/// Output folders are `--out-dir` everywhere; the former names stay accepted as aliases.
#[test]
fn output_folders_are_out_dir_and_old_names_still_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    for flag in ["--out-dir", "--out"] {
        let out = dir.path().join(flag.trim_start_matches('-'));
        let run = neon(&[
            "--quiet",
            "demo",
            "wholesale",
            flag,
            out.to_str().expect("path"),
        ]);
        assert!(run.status.success(), "{flag}: {}", stderr(&run));
        assert!(out.join("report.html").is_file(), "{flag}");
    }
    // what a first reader asked of the Wholesale report: the data file by its name, not the
    // reader's folders; instance 339's random-feature explanation called what it is
    let html =
        std::fs::read_to_string(dir.path().join("out-dir").join("report.html")).expect("report");
    assert!(html.contains("<dt>data</dt><dd>wholesale_customers.csv</dd>"));
    assert!(
        html.contains("Row 338: the random-feature estimate")
            && html.contains("random-feature explanation is noise"),
        "the noise of row 338's estimate is said"
    );
    for command in [
        vec!["demo", "wholesale", "--help"],
        vec!["explain-image", "--help"],
        vec!["evaluate", "--help"],
    ] {
        let help = stdout(&neon(&command));
        assert!(help.contains("--out-dir <DIR>"), "{command:?}: {help}");
        assert!(help.contains("Examples:"), "{command:?}");
    }
}

/// A one-class SVM fitted by scikit-learn, imported from its support vectors and dual
/// coefficients (`--support-vectors` CSV with an `alpha` column, `--gamma`, `--rho`), scores
/// new points as scikit-learn does: `o(x) = −(1/γ) log(score_samples(x) / Σα)`
/// (fixture from `tools/sklearn_fixtures.py`).
#[test]
fn one_class_svm_imported_from_scikit_learn_scores_as_scikit_learn() {
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../neon/tests/fixtures/sklearn/ocsvm.json"),
        )
        .expect("fixture"),
    )
    .expect("json");
    let rows = |key: &str| -> Vec<Vec<f64>> {
        serde_json::from_value(fixture[key].clone()).expect("matrix")
    };
    let csv = |rows: &[Vec<f64>], extra: Option<&[f64]>| {
        let mut text = String::from(if extra.is_some() {
            "a,b,c,alpha\n"
        } else {
            "a,b,c\n"
        });
        for (i, r) in rows.iter().enumerate() {
            let mut cells: Vec<String> = r.iter().map(|v| format!("{v:?}")).collect();
            if let Some(alpha) = extra {
                cells.push(format!("{:?}", alpha[i]));
            }
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        text
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let alpha: Vec<f64> = serde_json::from_value(fixture["dual_coef"].clone()).expect("alpha");
    let train = dir.path().join("train.csv");
    let sv = dir.path().join("sv.csv");
    let queries = dir.path().join("queries.csv");
    std::fs::write(&train, csv(&rows("X"), None)).expect("write");
    std::fs::write(&sv, csv(&rows("support_vectors"), Some(&alpha))).expect("write");
    std::fs::write(&queries, csv(&rows("queries"), None)).expect("write");
    let gamma = fixture["gamma"].as_f64().expect("gamma");
    let rho = -fixture["intercept"].as_f64().expect("intercept");
    let model = dir.path().join("ocsvm.json");
    let p = |path: &std::path::Path| path.to_str().expect("path").to_string();
    let (gamma_s, rho_s) = (format!("{gamma:?}"), format!("{rho:?}"));
    let out = neon(&[
        "fit",
        "ocsvm",
        "--data",
        &p(&train),
        "--support-vectors",
        &p(&sv),
        "--gamma",
        &gamma_s,
        "--rho",
        &rho_s,
        "-o",
        &p(&model),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // --rho without --support-vectors is refused
    let out = neon(&[
        "fit",
        "ocsvm",
        "--data",
        &p(&train),
        "--gamma",
        "1",
        "--rho",
        "1",
        "-o",
        &p(&model),
    ]);
    assert!(!out.status.success());
    let out = neon(&[
        "score",
        "--model",
        &p(&model),
        "--data",
        &p(&queries),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let samples: Vec<f64> = serde_json::from_value(fixture["score_samples"].clone()).expect("s");
    let total: f64 = alpha.iter().sum();
    let scores = json["scores"].as_array().expect("scores");
    assert_eq!(scores.len(), samples.len());
    let mut compared = 0;
    for (entry, s) in scores.iter().zip(&samples) {
        // scikit-learn's score_samples is decision_function + offset: exact only where it
        // is not small against ρ
        if *s > 1e-3 * rho {
            let ours = entry["score"].as_f64().expect("score");
            let theirs = -(s / total).ln() / gamma;
            assert!(
                (ours - theirs).abs() < 1e-9 * theirs.abs().max(1.0),
                "{ours} vs {theirs}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 15, "{compared}");
}

/// `neon explain --cluster c` explains the evidence for a chosen cluster (negative outside it)
/// and `--summary` averages the explanations per cluster and overall, equal to the means of
/// the per-row output; a cluster out of range is a named error.
#[test]
fn chosen_cluster_and_relevance_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = crate::common::fit_kmeans(dir.path());
    let m = model.to_str().expect("utf8");
    let explain = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "explain",
            "--model",
            m,
            "--target",
            "cluster",
            "--leave-one-out",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = neon(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str(&stdout(&out)).expect("json")
    };
    let own = explain(&[]);
    let chosen = explain(&["--cluster", "2"]);
    assert_eq!(chosen["parameters"]["cluster"], 2);
    let own_rows = own["explanations"].as_array().expect("rows");
    let chosen_rows = chosen["explanations"].as_array().expect("rows");
    assert_eq!(own_rows.len(), 440);
    let (mut inside, mut outside) = (0, 0);
    for (a, b) in own_rows.iter().zip(chosen_rows) {
        assert_eq!(b["cluster"], 2);
        let score = b["score"].as_f64().expect("score");
        let sum = b["relevance_sum"].as_f64().expect("sum");
        let dissipated = b["dissipated"].as_f64().expect("dissipated");
        assert!((score - sum - dissipated).abs() < 1e-10 * (1.0 + score.abs()));
        if a["cluster"] == 2 {
            inside += 1;
            let s = a["score"].as_f64().expect("score");
            assert!(
                (s - score).abs() <= 1e-12 * (1.0 + s.abs()),
                "{s} vs {score}"
            );
        } else {
            outside += 1;
            assert!(score <= 0.0, "row {}: evidence {score} outside", b["row"]);
        }
    }
    assert!(inside > 0 && outside > 0);

    // the summary equals the means of the per-row output, grouped by each row's own cluster
    let summary = explain(&["--cluster", "2", "--summary"]);
    let s = &summary["summary"];
    assert_eq!(s["overall"]["size"], 440);
    let clusters = s["clusters"].as_array().expect("clusters");
    assert_eq!(clusters.len(), 6);
    let sizes: u64 = clusters
        .iter()
        .map(|c| c["size"].as_u64().expect("size"))
        .sum();
    assert_eq!(sizes, 440);
    for c in clusters {
        let id = c["cluster"].as_u64().expect("id");
        let members: Vec<usize> = own_rows
            .iter()
            .enumerate()
            .filter(|(_, e)| e["cluster"].as_u64() == Some(id))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(c["size"].as_u64(), Some(members.len() as u64));
        for feature in 0..6 {
            let mean = members
                .iter()
                .map(|&i| chosen_rows[i]["relevance"][feature].as_f64().expect("r"))
                .sum::<f64>()
                / members.len() as f64;
            let got = c["mean_relevance"][feature].as_f64().expect("mean");
            assert!(
                (mean - got).abs() <= 1e-12 * (1.0 + mean.abs()),
                "{mean} vs {got}"
            );
        }
    }
    for feature in 0..6 {
        let mean_abs = chosen_rows
            .iter()
            .map(|e| e["relevance"][feature].as_f64().expect("r").abs())
            .sum::<f64>()
            / 440.0;
        let got = s["overall"]["mean_abs_relevance"][feature]
            .as_f64()
            .expect("mean |R|");
        assert!((mean_abs - got).abs() <= 1e-12 * (1.0 + mean_abs));
    }
    let table = neon(&[
        "explain",
        "--model",
        m,
        "--target",
        "cluster",
        "--leave-one-out",
        "--summary",
    ]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(
        text.contains("mean |R|") && text.contains("cluster 5"),
        "{text}"
    );
    assert!(text
        .lines()
        .next()
        .expect("header")
        .contains("Detergents_Paper"));

    let out = neon(&[
        "explain",
        "--model",
        m,
        "--target",
        "cluster",
        "--leave-one-out",
        "--cluster",
        "6",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cluster 6 is out of range (the model has 6 clusters, 0..6)"),
        "{}",
        stderr(&out)
    );
}

/// `neon fit kde --bandwidth scott|silverman|loo` chooses γ = 1/(2h²) from the data, says which
/// h it found and stores it; --gamma and --bandwidth exclude each other, and without either the
/// message names both.
#[test]
fn kde_bandwidth_chosen_from_the_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = crate::common::wholesale();
    let data = data.to_str().expect("path");
    let fit = |extra: &[&str], file: &str| {
        let path = dir.path().join(file);
        let mut args = vec![
            "fit",
            "kde",
            "--data",
            data,
            "--columns",
            "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen",
            "--transform",
            "log,standardize",
            "-o",
            path.to_str().expect("path"),
        ];
        args.extend_from_slice(extra);
        (neon(&args), path)
    };
    let (out, path) = fit(&["--bandwidth", "scott"], "scott.json");
    assert!(out.status.success(), "{}", stderr(&out));
    // Scott's rule for n = 440, d = 6: h = 440^(-1/10)
    let h = 440f64.powf(-0.1);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    let stored = doc["model"]["bandwidth"]["h"].as_f64().expect("h");
    assert!((stored - h).abs() < 1e-15, "{stored} vs {h}");
    let gamma = doc["model"]["gamma"].as_f64().expect("gamma");
    assert!((gamma - 1.0 / (2.0 * h * h)).abs() < 1e-12);
    assert!(stderr(&out).contains("(scott)"), "{}", stderr(&out));
    let (out, _) = fit(&["--bandwidth", "loo"], "loo.json");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("leave-one-out log-likelihood"),
        "{}",
        stderr(&out)
    );
    let (out, path) = fit(&["--gamma", "1", "--bandwidth", "scott"], "both.json");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--bandwidth"), "{}", stderr(&out));
    assert!(!path.exists());
    let (out, _) = fit(&[], "neither.json");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--gamma") && stderr(&out).contains("--bandwidth"),
        "{}",
        stderr(&out)
    );
}
