//! End-to-end tests of streaming `neon explain` (`--chunk-rows`, `--tolerance`, `--precision`,
//! `--format jsonl`): chunked results equal whole-file results, errors name the row, no partial
//! output file is left behind.

use crate::common::{fit_kde, fit_kmeans, fit_wholesale, neon, ok, wholesale};

fn explanations(json: &str) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    doc["explanations"].as_array().expect("array").clone()
}

#[test]
fn chunked_output_equals_whole_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_kde(dir.path());
    let model = model.to_str().expect("path");
    let data = wholesale();
    let data = data.to_str().expect("path");
    // leave-one-out CSV: byte for byte
    let whole = ok(&[
        "explain",
        "--model",
        model,
        "--leave-one-out",
        "--target",
        "outlier",
        "--format",
        "csv",
    ]);
    let chunked = ok(&[
        "explain",
        "--model",
        model,
        "--leave-one-out",
        "--target",
        "outlier",
        "--format",
        "csv",
        "--chunk-rows",
        "37",
    ]);
    assert_eq!(whole, chunked);
    assert_eq!(chunked.lines().count(), 441);
    // new data, JSON document: same explanations
    for target in ["outlier", "inlier-rff"] {
        let whole = ok(&[
            "explain",
            "--model",
            model,
            "--data",
            data,
            "--target",
            target,
            "--format",
            "json",
            "--n-features",
            "200",
        ]);
        let chunked = ok(&[
            "explain",
            "--model",
            model,
            "--data",
            data,
            "--target",
            target,
            "--format",
            "json",
            "--n-features",
            "200",
            "--chunk-rows",
            "50",
        ]);
        assert_eq!(explanations(&whole), explanations(&chunked), "{target}");
    }
    // JSON lines: one object per row, rows in file order
    let lines = ok(&[
        "explain",
        "--model",
        model,
        "--data",
        data,
        "--target",
        "outlier",
        "--format",
        "jsonl",
        "--chunk-rows",
        "100",
        "--rows",
        "3,250,439",
    ]);
    let rows: Vec<u64> = lines
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object per line");
            v["row"].as_u64().expect("row")
        })
        .collect();
    assert_eq!(rows, vec![3, 250, 439]);
}

/// `neon explain --model M --leave-one-out --target outlier --format json` plus `extra`.
fn loo_outlier_explanations(model: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec![
        "explain",
        "--model",
        model,
        "--leave-one-out",
        "--target",
        "outlier",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    explanations(&ok(&args))
}

/// `(score, Σ_i |R_i − R'_i|)` of two explanations of the same row.
fn score_and_relevance_gap(e: &serde_json::Value, a: &serde_json::Value) -> (f64, f64, f64) {
    let l1: f64 = e["relevance"]
        .as_array()
        .expect("relevance")
        .iter()
        .zip(a["relevance"].as_array().expect("relevance"))
        .map(|(x, y)| (x.as_f64().unwrap_or(f64::NAN) - y.as_f64().unwrap_or(0.0)).abs())
        .sum();
    (
        e["score"].as_f64().expect("score"),
        a["score"].as_f64().expect("score"),
        l1,
    )
}

#[test]
fn approximate_mode_runs_the_exact_path_where_the_tree_would_not_pay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_kde(dir.path());
    let model = model.to_str().expect("path");
    let exact = loo_outlier_explanations(model, &["--rows", "0,338"]);
    let approx = loo_outlier_explanations(model, &["--rows", "0,338", "--tolerance", "1e-3"]);
    assert_eq!(exact.len(), 2);
    for (e, a) in exact.iter().zip(&approx) {
        assert_eq!(a["bound"]["n_used"].as_u64(), Some(439));
        assert_eq!(a["bound"]["score_bound"].as_f64(), Some(0.0));
        let (o, o_hat, l1) = score_and_relevance_gap(e, a);
        assert!((o - o_hat).abs() <= 1e-12 * o.abs());
        assert!(l1 <= 1e-12 * o.abs(), "L1 {l1}");
    }
}

#[test]
fn approximate_mode_reports_bounds_that_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    // a narrow kernel, where the k-d tree pays and neon searches it (with γ = 1 each row
    // would use most of the 440 points and neon would run the exact path, bounds 0)
    let model = fit_wholesale(dir.path(), "kde_narrow.json", "kde", &["--gamma", "20"]);
    let model = model.to_str().expect("path");
    let exact = loo_outlier_explanations(model, &[]);
    let approx = loo_outlier_explanations(model, &["--tolerance", "1e-3"]);
    assert_eq!(exact.len(), approx.len());
    let mut neglected_somewhere = false;
    for (e, a) in exact.iter().zip(&approx) {
        let (o, o_hat, l1) = score_and_relevance_gap(e, a);
        let bound = &a["bound"];
        let score_bound = bound["score_bound"].as_f64().expect("score_bound");
        assert!(
            o_hat >= o - 1e-9 && o_hat - o <= score_bound + 1e-9,
            "row {}",
            e["row"]
        );
        assert!(l1 <= bound["relevance_bound"].as_f64().expect("bound") + 1e-9);
        neglected_somewhere |= bound["neglected_mass"].as_f64().expect("mass") > 0.0;
        assert!(bound["n_used"].as_u64().expect("n_used") < 439);
    }
    assert!(
        neglected_somewhere,
        "a tolerance of 1e-3 must leave some points out"
    );
    // the CSV has the bound columns
    let csv = ok(&[
        "explain",
        "--model",
        model,
        "--leave-one-out",
        "--target",
        "outlier",
        "--format",
        "csv",
        "--tolerance",
        "1e-3",
        "--rows",
        "338",
    ]);
    let header = csv.lines().next().expect("header");
    assert!(
        header.ends_with("neglected_mass,score_bound,relevance_bound,n_used"),
        "{header}"
    );
}

#[test]
fn f32_precision_stays_close_to_f64() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_kde(dir.path());
    let model = model.to_str().expect("path");
    let run = |precision: &str| {
        explanations(&ok(&[
            "explain",
            "--model",
            model,
            "--leave-one-out",
            "--target",
            "outlier",
            "--format",
            "json",
            "--precision",
            precision,
        ]))
    };
    for (a, b) in run("f64").iter().zip(&run("f32")) {
        let (x, y) = (
            a["score"].as_f64().expect("score"),
            b["score"].as_f64().expect("score"),
        );
        assert!((x - y).abs() <= 1e-3 * x.abs(), "{x} vs {y}");
    }
}

#[test]
fn errors_in_a_later_chunk_name_the_row_and_leave_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_kde(dir.path());
    let mut text = String::from("Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n");
    for i in 0..30 {
        text += &format!("{},{},3,4,5,6\n", i + 1, i + 2);
    }
    text += "1,2,3,x,5,6\n";
    let data = dir.path().join("bad.csv");
    std::fs::write(&data, text).expect("write");
    let out_path = dir.path().join("out.csv");
    let out = neon(&[
        "explain",
        "--model",
        model.to_str().expect("path"),
        "--data",
        data.to_str().expect("path"),
        "--target",
        "outlier",
        "--format",
        "csv",
        "--chunk-rows",
        "8",
        "-o",
        out_path.to_str().expect("path"),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("column Frozen, row 32: 'x' is not a number"),
        "{stderr}"
    );
    assert!(!out_path.exists());
    let leftovers = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn scale_options_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_kde(dir.path());
    let model = model.to_str().expect("path");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--tolerance", "1e-3", "--target", "inlier"],
            "parameter --tolerance: the approximate mode explains the KDE outlier target",
        ),
        (
            &["--tolerance", "2", "--target", "outlier"],
            "must be in (0, 1)",
        ),
        (
            &["--chunk-rows", "0", "--target", "outlier"],
            "--chunk-rows must be at least 1",
        ),
        (
            &["--chunk-rows", "10", "--target", "outlier", "--rows", "440"],
            "row 440 is out of range",
        ),
    ];
    for (extra, message) in cases {
        let mut args = vec!["explain", "--model", model, "--leave-one-out"];
        args.extend_from_slice(extra);
        let out = neon(&args);
        assert!(!out.status.success(), "{extra:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
    }
}

/// For every registered model, target and rule set, every format and both sources (training
/// rows, a CSV file): the output with `--chunk-rows` (below and above the read-ahead for the
/// path decision) is the output without it, byte for byte.
#[test]
fn chunked_output_is_byte_identical_for_every_target_rule_and_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    // the chapter's models with their study settings, any other registry row with the
    // values its required parameters suggest
    let mut models = vec![
        ("kde", fit_kde(dir.path())),
        ("kmeans", fit_kmeans(dir.path())),
    ];
    for entry in neon_xai::models::REGISTRY {
        if !models.iter().any(|(name, _)| *name == entry.name) {
            let (flags, _) = crate::common::required_flags(entry);
            let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
            let file = format!("{}.json", entry.name);
            models.push((
                entry.name,
                crate::common::fit_wholesale(dir.path(), &file, entry.name, &flags),
            ));
        }
    }
    let data = wholesale();
    let data = data.to_str().expect("path");
    let mut checked = 0;
    for entry in neon_xai::models::REGISTRY {
        let model = &models
            .iter()
            .find(|(name, _)| *name == entry.name)
            .expect("a fitted model of every registered kind")
            .1;
        let model = model.to_str().expect("path");
        for target in entry.targets() {
            for rule in entry.rules_for(target) {
                for format in ["json", "jsonl", "csv", "table"] {
                    for source in [["--leave-one-out", ""], ["--data", data]] {
                        let target = target.to_string();
                        let rule = rule.to_string();
                        let mut args = vec![
                            "explain",
                            "--model",
                            model,
                            "--target",
                            &target,
                            "--rule",
                            &rule,
                            "--format",
                            format,
                            "--n-features",
                            "64",
                            "--trials",
                            "2",
                        ];
                        args.extend(source.iter().filter(|a| !a.is_empty()));
                        let whole = ok(&args);
                        assert!(!whole.is_empty());
                        for chunk in ["5", "37"] {
                            let mut chunked = args.clone();
                            chunked.extend(["--chunk-rows", chunk]);
                            assert!(
                                ok(&chunked) == whole,
                                "{} {target} {rule} {format} {source:?} --chunk-rows {chunk}",
                                entry.name
                            );
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    // every registry row × target × rule set, in 4 formats from 2 sources
    let combinations: usize = neon_xai::models::REGISTRY
        .iter()
        .map(|e| e.capabilities.iter().map(|(_, r)| r.len()).sum::<usize>())
        .sum();
    assert!(combinations >= 8, "the chapter's models alone have 8");
    assert_eq!(checked, combinations * 4 * 2);
}

/// `--rows` keeps the order and the duplicates given, with and without chunks.
#[test]
fn rows_keep_order_and_duplicates_in_both_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_kde(dir.path());
    let model = model.to_str().expect("path");
    let data = wholesale();
    let data = data.to_str().expect("path");
    for source in [["--leave-one-out", ""], ["--data", data]] {
        let mut args = vec![
            "explain",
            "--model",
            model,
            "--target",
            "outlier",
            "--format",
            "jsonl",
            "--rows",
            "5,3,3,439",
        ];
        args.extend(source.iter().filter(|a| !a.is_empty()));
        let whole = ok(&args);
        let rows: Vec<u64> = whole
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
                v["row"].as_u64().expect("row")
            })
            .collect();
        assert_eq!(rows, vec![5, 3, 3, 439]);
        let mut chunked = args.clone();
        chunked.extend(["--chunk-rows", "2"]);
        assert_eq!(ok(&chunked), whole);
    }
}
