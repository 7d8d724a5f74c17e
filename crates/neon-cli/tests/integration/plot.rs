//! `neon plot`: charts of `neon explain` output, checked for content — titles with the score,
//! feature names, one bar per feature, one dot per row and feature — and refused bad input.

use crate::common::{fit_kde, fit_kmeans, neon, ok, stderr};

/// Bars and dots in the relevance colours (positive red, negative blue) of an SVG.
fn coloured(svg: &str, element: &str) -> usize {
    svg.split(&format!("<{element}"))
        .skip(1)
        .filter(|e| {
            let head = &e[..e.find('>').unwrap_or(e.len())];
            head.contains("#D62728") || head.contains("#1F77B4")
        })
        .count()
}

#[test]
fn bar_waterfall_and_summary_charts_show_every_feature_and_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kde = fit_kde(dir.path());
    let json = dir.path().join("e.json");
    ok(&[
        "explain",
        "--model",
        kde.to_str().expect("utf-8"),
        "--target",
        "outlier",
        "--leave-one-out",
        "--rows",
        "337,338,339",
        "--format",
        "json",
        "-o",
        json.to_str().expect("utf-8"),
    ]);
    let out = dir.path().join("plots");
    let listed = ok(&[
        "plot",
        json.to_str().expect("utf-8"),
        "--out-dir",
        out.to_str().expect("utf-8"),
        "--rows",
        "338",
    ]);
    assert_eq!(listed.lines().count(), 6, "{listed}");
    let bar = std::fs::read_to_string(out.join("row-338-bar.svg")).expect("bar svg");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parse");
    let row = &doc["explanations"][1];
    assert_eq!(row["row"], 338);
    assert!(bar.contains("row 338: outlierness"), "title");
    assert!(bar.contains("relevance (outlierness units)"));
    for f in [
        "Fresh",
        "Milk",
        "Grocery",
        "Frozen",
        "Detergents_Paper",
        "Delicassen",
    ] {
        assert!(bar.contains(f), "feature {f}");
    }
    assert_eq!(coloured(&bar, "rect"), 6, "one bar per feature");
    let waterfall = std::fs::read_to_string(out.join("row-338-waterfall.svg")).expect("svg");
    // six features, the dissipated part and the score
    assert_eq!(coloured(&waterfall, "rect"), 8);
    assert!(waterfall.contains("dissipated") && waterfall.contains("= outlierness"));
    let summary = std::fs::read_to_string(out.join("summary.svg")).expect("summary svg");
    assert_eq!(
        coloured(&summary, "circle"),
        3 * 6,
        "one dot per row and feature"
    );
    assert!(summary.contains("3 rows: outlierness"));
    for stem in ["row-338-bar", "row-338-waterfall", "summary"] {
        let png = std::fs::read(out.join(format!("{stem}.png"))).expect("png");
        assert_eq!(&png[1..4], b"PNG");
    }
}

#[test]
fn plots_read_stdin_and_chart_the_highest_scores_by_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let km = fit_kmeans(dir.path());
    let json = dir.path().join("e.json");
    ok(&[
        "explain",
        "--model",
        km.to_str().expect("utf-8"),
        "--target",
        "cluster",
        "--leave-one-out",
        "--format",
        "json",
        "-o",
        json.to_str().expect("utf-8"),
    ]);
    let out = dir.path().join("plots");
    let text = std::fs::read(&json).expect("json");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_neon"))
        .args(["plot", "-", "--out-dir", out.to_str().expect("utf-8")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &text).expect("write");
    let o = child.wait_with_output().expect("wait");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("5 rows of highest cluster evidence"));
    let doc: serde_json::Value = serde_json::from_slice(&text).expect("parse");
    let mut scores: Vec<(f64, u64)> = doc["explanations"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|e| {
            (
                e["score"].as_f64().expect("score"),
                e["row"].as_u64().expect("row"),
            )
        })
        .collect();
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, row) in &scores[..5] {
        let bar = std::fs::read_to_string(out.join(format!("row-{row}-bar.svg"))).expect("bar");
        assert!(
            bar.contains(&format!("row {row}, cluster")),
            "cluster named in the title"
        );
    }
    let charts = std::fs::read_dir(&out).expect("dir").count();
    assert_eq!(
        charts,
        5 * 4 + 2 + 1,
        "5 rows × 2 charts × 2 formats, the summary, the marker"
    );
}

#[test]
fn bad_input_is_refused_with_the_file_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"target\": \"outlier\"}").expect("write");
    let out = dir.path().join("plots");
    let o = neon(&[
        "plot",
        bad.to_str().expect("utf-8"),
        "--out-dir",
        out.to_str().expect("utf-8"),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bad.json: not the JSON of `neon explain --format json`"));
    assert!(!out.exists(), "no output folder after an error");
    let kde = fit_kde(dir.path());
    let json = dir.path().join("e.json");
    ok(&[
        "explain",
        "--model",
        kde.to_str().expect("utf-8"),
        "--target",
        "outlier",
        "--leave-one-out",
        "--rows",
        "1",
        "--format",
        "json",
        "-o",
        json.to_str().expect("utf-8"),
    ]);
    let o = neon(&[
        "plot",
        json.to_str().expect("utf-8"),
        "--out-dir",
        out.to_str().expect("utf-8"),
        "--rows",
        "7",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--rows: row 7 is not in"),
        "{}",
        stderr(&o)
    );
}
