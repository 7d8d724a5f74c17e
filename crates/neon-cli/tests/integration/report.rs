//! `neon report` (the interactive page) and `neon explain --plot`: what the page carries is what
//! `neon explain` prints; bad arguments are refused before anything is written. The page's
//! behaviour in a browser is tested in tests/browser/ (Playwright).

use crate::common::{fit_kde, fit_kmeans, neon, ok, stderr};

/// The JSON the page carries.
fn page_data(html: &str) -> serde_json::Value {
    let key = "id=\"neon-data\">";
    let start = html.find(key).expect("data element") + key.len();
    let end = start + html[start..].find("</script>").expect("end of data");
    serde_json::from_str(&html[start..end]).expect("valid JSON")
}

#[test]
fn the_page_carries_the_explanations_of_neon_explain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kde = fit_kde(dir.path());
    let kde = kde.to_str().expect("utf-8");
    let out = dir.path().join("page");
    let printed = ok(&[
        "report",
        "--model",
        kde,
        "--leave-one-out",
        "--target",
        "outlier",
        "--map",
        "pca",
        "--out-dir",
        out.to_str().expect("utf-8"),
    ]);
    assert!(printed.trim_end().ends_with("report.html"), "{printed}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("page");
    let page = page_data(&html);
    let data = &page["data"];
    let explained: serde_json::Value = serde_json::from_str(&ok(&[
        "explain",
        "--model",
        kde,
        "--leave-one-out",
        "--target",
        "outlier",
        "--format",
        "json",
    ]))
    .expect("explain JSON");
    let explanations = explained["explanations"].as_array().expect("rows");
    assert_eq!(data["rows"].as_array().map(Vec::len), Some(440));
    for (k, e) in explanations.iter().enumerate() {
        assert_eq!(data["rows"][k], e["row"]);
        assert_eq!(data["score"][k], e["score"], "row {k}");
        assert_eq!(data["relevance"][k], e["relevance"], "row {k}");
        assert_eq!(data["dissipated"][k], e["dissipated"], "row {k}");
    }
    // raw values are the shipped file's (row 338: Grocery 7021)
    assert_eq!(data["raw"][338][2], 7021.0);
    // the top table starts with the highest outlierness
    let top = explanations
        .iter()
        .max_by(|a, b| {
            let (a, b) = (a["score"].as_f64(), b["score"].as_f64());
            a.partial_cmp(&b).expect("finite")
        })
        .expect("rows");
    let first = html
        .split("<tr class=\"pick\" data-point=\"")
        .nth(1)
        .expect("a top row");
    assert!(
        first.starts_with(&format!("{}\"", top["row"])),
        "{}",
        &first[..20]
    );
    assert!(html.contains("Conservation over 440 rows"));
    assert!(!html.contains("https://") && !html.contains("http://"));
}

#[test]
fn a_clustering_page_has_cluster_tables_and_a_sample_beyond_max_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let km = fit_kmeans(dir.path());
    let out = dir.path().join("page");
    ok(&[
        "report",
        "--model",
        km.to_str().expect("utf-8"),
        "--leave-one-out",
        "--max-rows",
        "100",
        "--top",
        "10",
        "--out-dir",
        out.to_str().expect("utf-8"),
    ]);
    let html = std::fs::read_to_string(out.join("report.html")).expect("page");
    let data = &page_data(&html)["data"];
    assert_eq!(data["rows"].as_array().map(Vec::len), Some(100));
    assert_eq!(data["total_rows"], 440);
    assert_eq!(data["target"], "cluster");
    assert!(html.contains("the page shows 100 of 440 rows"));
    assert!(html.contains("Mean raw value of each feature per cluster"));
    assert!(html.contains("Mean relevance of each feature per cluster"));
    assert!(data["map_name"]
        .as_str()
        .is_some_and(|m| m.starts_with("t-SNE (perplexity 30, seed 0")));
}

#[test]
fn bad_report_arguments_are_refused_without_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kde = fit_kde(dir.path());
    let kde = kde.to_str().expect("utf-8");
    let out = dir.path().join("page");
    let out = out.to_str().expect("utf-8");
    for (args, message) in [
        (vec!["--out-dir", out], "--leave-one-out"),
        (
            vec!["--leave-one-out", "--perplexity", "0", "--out-dir", out],
            "--perplexity",
        ),
        (
            vec!["--leave-one-out", "--methods", "magic", "--out-dir", out],
            "--methods",
        ),
        (
            vec![
                "--leave-one-out",
                "--id-column",
                "Channel",
                "--out-dir",
                out,
            ],
            "--id-data",
        ),
        (
            vec!["--leave-one-out", "--target", "cluster", "--out-dir", out],
            "cluster",
        ),
    ] {
        let mut all = vec!["report", "--model", kde];
        all.extend(args);
        let o = neon(&all);
        assert!(!o.status.success(), "{all:?}");
        assert!(stderr(&o).contains(message), "{all:?}: {}", stderr(&o));
        assert!(!std::path::Path::new(out).exists(), "{all:?} wrote output");
    }
}

#[test]
fn explain_plot_writes_the_charts_of_the_rows_it_prints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kde = fit_kde(dir.path());
    let charts = dir.path().join("charts");
    let printed = ok(&[
        "explain",
        "--model",
        kde.to_str().expect("utf-8"),
        "--leave-one-out",
        "--target",
        "outlier",
        "--rows",
        "337,338",
        "--format",
        "csv",
        "--plot",
        charts.to_str().expect("utf-8"),
    ]);
    assert_eq!(printed.lines().count(), 3, "{printed}");
    for stem in ["row-337-bar", "row-338-waterfall", "summary"] {
        for ext in ["png", "svg"] {
            let f = charts.join(format!("{stem}.{ext}"));
            assert!(f.metadata().is_ok_and(|m| m.len() > 0), "{}", f.display());
        }
    }
    let bar = std::fs::read_to_string(charts.join("row-338-bar.svg")).expect("svg");
    assert!(bar.contains("row 338: outlierness"));
    let o = neon(&[
        "explain",
        "--model",
        kde.to_str().expect("utf-8"),
        "--leave-one-out",
        "--target",
        "outlier",
        "--summary",
        "--plot",
        charts.to_str().expect("utf-8"),
    ]);
    assert!(!o.status.success());
}
