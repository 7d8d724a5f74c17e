//! The Wholesale study's robust findings (§5.1), asserted on the shipped data.

use neon_xai_studies::wholesale::{run_analysis, write_report, WholesaleParams, WholesaleResults};
use std::path::PathBuf;
use std::sync::OnceLock;

fn results() -> &'static WholesaleResults {
    static RESULTS: OnceLock<WholesaleResults> = OnceLock::new();
    RESULTS.get_or_init(|| {
        let data =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/wholesale_customers.csv");
        let mut params = WholesaleParams::new(data);
        params.table2_search_seeds = 200;
        run_analysis(&params, &|_, _| {}).expect("study runs")
    })
}

fn index(r: &WholesaleResults, name: &str) -> usize {
    r.features.iter().position(|f| f == name).expect("feature")
}

#[test]
fn table1_averages_match_the_chapter_to_one_unit() {
    let r = results();
    let chapter = [12000.0, 5796.0, 7951.0, 3072.0, 2881.0, 1525.0];
    for (avg, c) in r.table1.average.iter().zip(chapter) {
        assert!((avg - c).abs() < 0.5, "{avg} vs {c}");
    }
    assert_eq!(
        r.table1.instances[0],
        vec![9351.0, 1347.0, 2611.0, 8170.0, 442.0, 868.0]
    );
}

#[test]
fn row_337_is_an_inlier_and_row_338_is_not() {
    let r = results();
    assert!(r.kde.inlier[337] > r.kde.inlier_median);
    assert!(r.kde.inlier[338] < r.kde.inlier_p01);
}

#[test]
fn row_338_outlierness_comes_from_four_features_led_by_frozen() {
    let r = results();
    let e = &r.kde.outlier_explanations[1];
    assert_eq!(e.row, 338);
    assert!((e.relevance_sum + e.dissipated - e.score).abs() < 1e-10);
    let shares = e.shares();
    let four: f64 = ["Fresh", "Milk", "Frozen", "Detergents_Paper"]
        .iter()
        .map(|f| shares[index(r, f)])
        .sum();
    assert!(four >= 0.95, "{four}");
    let frozen = index(r, "Frozen");
    assert!((0..6).all(|i| i == frozen || e.relevance[i] < e.relevance[frozen]));
    assert!(e.relevance[index(r, "Fresh")] < e.relevance[index(r, "Milk")]);
}

#[test]
fn frozen_contributes_least_to_row_337_inlierness() {
    let r = results();
    let e = &r.kde.inlier_explanations[0];
    assert_eq!(e.row, 337);
    let frozen = index(r, "Frozen");
    for i in (0..6).filter(|&i| i != frozen) {
        assert!(
            e.relevance[frozen] < 0.5 * e.relevance[i],
            "{:?}",
            e.relevance
        );
    }
    // the exact score is reported beside the random-feature estimate, and they agree
    let exact = e.exact_score.expect("exact score");
    assert!((e.score - exact).abs() < 0.1 * exact);
}

#[test]
fn cluster_findings_hold_as_distributions_over_seeds() {
    let r = results();
    let rob = &r.robustness;
    let fresh = rob.top_feature_counts_338[index(r, "Fresh")];
    let milk = rob.top_feature_counts_338[index(r, "Milk")];
    // fresh is the most frequent top contributor, and fresh or milk lead in ≥ 90 % of seeds
    assert!(rob.top_feature_counts_338.iter().all(|&c| c <= fresh));
    assert!(
        10 * (fresh + milk) >= 9 * rob.seeds,
        "{:?}",
        rob.top_feature_counts_338
    );
    // row 338 is well into its cluster for every seed; row 337's evidence is well below it
    assert!(rob.evidence_338.min > rob.evidence_337.max);
    // the cluster of row 338 has low fresh and delicatessen spending
    let t2 = &r.kmeans.table2_mean;
    assert!(t2[index(r, "Fresh")] < 0.1 * r.table1.average[index(r, "Fresh")]);
}

#[test]
fn claims_are_computed_and_report_is_complete() {
    let r = results();
    assert!(r.claims.len() >= 10);
    assert!(r.claims.iter().filter(|c| c.holds).count() >= 8);
    // the shipped data disagrees with the chapter's Table 1 on row 338's grocery value: a fact
    // of the data; the Table 2 comparisons are about neon's k-means solution, not the data
    assert!(r
        .data_discrepancies()
        .any(|d| d.feature == "Grocery" && d.chapter == 7201.0 && d.data == 7021.0));
    assert!(r
        .data_discrepancies()
        .all(|d| d.place.starts_with("Table 1")));
    assert!(r
        .kmeans_discrepancies()
        .all(|d| d.place.starts_with("Table 2")));
    assert_eq!(
        r.data_discrepancies().count() + r.kmeans_discrepancies().count(),
        r.discrepancies.len()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let files = write_report(r, dir.path()).expect("report");
    assert_eq!(files.figure_count, 12);
    assert_eq!(files.figures.len(), 24);
    let html = std::fs::read_to_string(&files.html).expect("html");
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert_eq!(html.matches("<figure").count(), 12);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files.json).expect("json")).expect("parse");
    assert_eq!(json["kde"]["inlier"].as_array().map(Vec::len), Some(440));
    let sources: Vec<&str> = json["discrepancies"]
        .as_array()
        .expect("discrepancies")
        .iter()
        .map(|d| d["source"].as_str().expect("source"))
        .collect();
    assert!(sources.contains(&"data") && sources.iter().all(|s| ["data", "kmeans"].contains(s)));
    assert_eq!(
        json["robustness"]["table2_best"]["cluster_mean"]
            .as_array()
            .map(Vec::len),
        Some(6)
    );
}

/// The text of the section whose heading starts with `heading` (up to the next section).
fn section<'a>(html: &'a str, heading: &str) -> &'a str {
    let start = html
        .find(&format!("<h2>{heading}"))
        .unwrap_or_else(|| panic!("no section {heading:?}"));
    let rest = &html[start..];
    let end = rest.find("</section>").expect("section end");
    &rest[..end]
}

#[test]
fn report_names_its_tables_apart_from_the_chapters_and_shows_the_table2_search() {
    let r = results();
    let dir = tempfile::tempdir().expect("tempdir");
    let files = write_report(r, dir.path()).expect("report");
    let html = std::fs::read_to_string(&files.html).expect("html");
    let html = html.replace("&#39;", "'");

    // no two different tables share a name: the report's own numbered tables are "Report
    // table k", each once; the chapter's are "the chapter's Table 1 / Table 2"
    let labels: Vec<&str> = html
        .split("<caption><b>")
        .skip(1)
        .map(|c| c.split("</b>").next().expect("label"))
        .collect();
    assert!(labels.len() >= 4, "{labels:?}");
    for (k, label) in labels.iter().enumerate() {
        assert_eq!(*label, format!("Report table {}.", k + 1));
    }
    assert!(!html.contains("<b>Table "));
    for heading in [
        "The chapter's Table 1 — ",
        "The chapter's Table 2 — ",
        "Where the shipped data disagrees with the chapter's Table 1",
        "Where neon's k-means solution differs from the chapter's Table 2",
    ] {
        assert_eq!(
            html.matches(&format!("<h2>{heading}")).count(),
            1,
            "{heading}"
        );
    }
    assert!(!html.contains("disagrees with the chapter's tables"));

    // the chapter's Table 2 section: the kept solution's row, the closest solution of the
    // Table 2 search (its seed, its cluster mean, its largest deviation) and the chapter's row
    let best = r.robustness.table2_best.as_ref().expect("Table 2 search");
    let row = |values: &[f64]| {
        values
            .iter()
            .map(|v| format!("<td>{v:.0}</td>"))
            .collect::<String>()
    };
    let table2 = section(&html, "The chapter's Table 2 — ");
    let closest = format!(
        "<tr><td>closest (seed {}): cluster mean</td>{}<td>{:.1} %</td></tr>",
        best.seed,
        row(&best.cluster_mean),
        100.0 * best.max_relative_deviation
    );
    assert!(table2.contains(&closest), "{table2}");
    assert!(table2.contains(&format!(
        "<tr><td>kept (seed {}): cluster {} mean</td>{}",
        r.params.seed,
        r.kmeans.cluster_of_338,
        row(&r.kmeans.table2_mean)
    )));
    assert!(table2.contains(&format!(
        "<tr><td>the chapter's Table 2 (Yellow)</td>{}<td>—</td></tr>",
        row(&[616.0, 3176.0, 6965.0, 1523.0, 1414.0, 135.0])
    )));
    assert!(table2.contains("Table 2 search"));

    // the data section lists only facts of the data; the k-means one refers to the search
    let data = section(&html, "Where the shipped data disagrees");
    assert!(data.contains("<td>Grocery</td><td>7201</td><td>7021.0</td>"));
    assert!(!data.contains("k-means"));
    let model = section(&html, "Where neon's k-means solution differs");
    assert!(model.contains("modelling choice"));
    assert!(model.contains(&format!("closest solution (seed {})", best.seed)));
    assert_eq!(
        model.matches("<tr><td>").count(),
        r.kmeans_discrepancies().count()
    );
}

#[test]
fn same_seed_gives_same_numbers() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/wholesale_customers.csv");
    let mut params = WholesaleParams::new(data);
    params.trials = 5;
    params.robustness_seeds = 3;
    params.table2_search_seeds = 3;
    let a = run_analysis(&params, &|_, _| {}).expect("a");
    let b = run_analysis(&params, &|_, _| {}).expect("b");
    assert_eq!(
        serde_json::to_string(&a.kde).expect("a"),
        serde_json::to_string(&b.kde).expect("b")
    );
    assert_eq!(a.tsne, b.tsne);
    assert_eq!(a.kmeans.labels, b.kmeans.labels);
}
