use super::*;
use ndarray::Array2;
use neon_xai::data::FittedTransform;
use neon_xai::models::{KMeans, KMeansParams, Kde, KdeParams, Target};
use neon_xai::{FittedModel, ModelFile};

/// Three points in two features, hand-made: point 1 is the outlier.
fn sample() -> ExplorerData {
    ExplorerData {
        title: "t <b>".into(),
        notes: vec!["a note".into()],
        features: vec!["a".into(), "b</script>".into()],
        unit: Some("m.u.".into()),
        target: "outlier".into(),
        score_name: "outlierness o(x)".into(),
        high_is_unusual: true,
        total_rows: 3,
        rows: vec![0, 1, 2],
        ids: Some(vec!["x".into(), "y".into(), "z".into()]),
        raw: vec![vec![1.0, 2.0], vec![30.0, 4.0], vec![5.0, 6.0]],
        score: vec![1.0, 9.0, 2.0],
        relevance: vec![vec![0.5, 0.5], vec![8.0, 0.5], vec![1.5, 0.25]],
        relevance_sum: vec![1.0, 8.5, 1.75],
        dissipated: vec![0.0, 0.5, 0.25],
        cluster: Some(vec![0, 1, 0]),
        map: vec![[0.0, 0.0], [5.0, 1.0], [1.0, 0.5]],
        map_name: "PCA".into(),
        baselines: vec![BaselineSet {
            method: "occlusion".into(),
            points: vec![1],
            relevance: vec![vec![7.0, 1.0]],
            dissipated: vec![1.0],
        }],
        params: vec![("model".into(), "kde".into())],
        top: 2,
    }
}

/// The JSON the page carries, read back as a browser would.
fn page_json(html: &str) -> serde_json::Value {
    let start = html.find("id=\"neon-data\">").expect("data element") + "id=\"neon-data\">".len();
    let end = start + html[start..].find("</script>").expect("end of data");
    serde_json::from_str(&html[start..end]).expect("valid JSON")
}

#[test]
fn page_is_self_contained_and_carries_the_numbers() {
    let data = sample();
    let html = render_explorer(&data).expect("renders");
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<script src"));
    assert!(!html.contains("<link"));
    // the feature name ending a script element is escaped inside the JSON and in the tables
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(html.contains("b&lt;/script&gt;"));
    let json = page_json(&html);
    assert_eq!(json["data"]["features"][1], "b</script>");
    assert_eq!(json["data"]["score"][1], 9.0);
    assert_eq!(json["data"]["relevance"][1][0], 8.0);
    assert_eq!(
        json["palette"].as_array().map(Vec::len),
        Some(CATEGORICAL.len())
    );
    assert_eq!(
        json["viridis"].as_array().map(Vec::len),
        Some(VIRIDIS_STOPS)
    );
    assert!(html.contains("<h1>t &lt;b&gt;</h1>"));
}

#[test]
fn top_table_lists_the_most_remarkable_rows_first() {
    let mut data = sample();
    assert_eq!(data.ranked(), vec![1, 2, 0]);
    let html = render_explorer(&data).expect("renders");
    let top = &html[html.find("id=\"top\"").expect("top section")..];
    let first = top.find("data-point=\"1\"").expect("row 1 listed");
    let second = top.find("data-point=\"2\"").expect("row 2 listed");
    assert!(first < second);
    assert!(!top[..top.find("</section>").expect("end")].contains("data-point=\"0\""));
    // where a low score is remarkable (inlierness), the order turns round
    data.high_is_unusual = false;
    assert_eq!(data.ranked(), vec![0, 2, 1]);
}

#[test]
fn cluster_tables_hold_the_means_of_their_members() {
    let html = render_explorer(&sample()).expect("renders");
    let clusters = &html[html.find("id=\"clusters\"").expect("cluster section")..];
    // cluster 0 = rows 0 and 2: mean raw (3, 4), mean relevance (1, 0.375)
    assert!(clusters.contains("0</td><td>2</td><td>3</td><td>4</td>"));
    assert!(clusters.contains("0</td><td>2</td><td>1</td><td>0.375</td>"));
    assert!(clusters.contains("1</td><td>1</td><td>30</td><td>4</td>"));
}

#[test]
fn conservation_statistics_are_those_of_the_rows() {
    let mut data = sample();
    let c = data.conservation();
    assert_eq!(c.max_gap, 0.0);
    assert!((c.max_dissipated_share - 0.125).abs() < 1e-15);
    assert!((c.mean_dissipated_share - (0.5 / 9.0 + 0.125) / 3.0).abs() < 1e-15);
    data.relevance_sum[0] = 0.75;
    assert!((data.conservation().max_gap - 0.25).abs() < 1e-15);
}

#[test]
fn inconsistent_inputs_are_refused_with_their_name() {
    let mut data = sample();
    data.relevance[2].pop();
    let message = render_explorer(&data)
        .expect_err("short relevance")
        .to_string();
    assert!(message.contains("relevance of point 2"), "{message}");
    let mut data = sample();
    data.score[0] = f64::NAN;
    let message = render_explorer(&data).expect_err("NaN score").to_string();
    assert!(message.contains("score"), "{message}");
    let mut data = sample();
    data.baselines[0].points[0] = 7;
    assert!(render_explorer(&data).is_err());
}

#[test]
fn numbers_print_with_five_significant_digits() {
    assert_eq!(number(0.0), "0");
    assert_eq!(number(12669.0), "12669");
    assert_eq!(number(0.455183), "0.45518");
    assert_eq!(number(-1.5), "-1.5");
    assert_eq!(number(1.2345e-7), "1.2345e-7");
    assert_eq!(number(2.5e6), "2.5000e6");
}

/// Two groups of points in 3 features, one far point (row 0).
fn training() -> Array2<f64> {
    Array2::from_shape_fn((40, 3), |(i, j)| {
        if i == 0 {
            return 9.0;
        }
        let group = if i % 2 == 0 { 3.0 } else { -3.0 };
        group + ((i * 7 + j * 5) % 11) as f64 / 11.0
    })
}

fn kde_file() -> ModelFile {
    let model = FittedModel::Kde(Kde::fit(KdeParams::new(0.5), training().view()).expect("fits"));
    ModelFile::new(
        vec!["f0".into(), "f1".into(), "f2".into()],
        FittedTransform::identity(),
        model,
    )
}

#[test]
fn explore_shows_the_library_explanations_of_every_row() {
    let file = kde_file();
    let mut settings = ExploreSettings::new(Target::Outlier);
    settings.map = MapKind::Pca;
    settings.data_name = "toy".into();
    settings.methods = vec![neon_xai::compare::Method::Occlusion];
    settings.baseline_rows = 5;
    let data = explore(&file, None, &settings, &|_, _, _| {}).expect("explores");
    let expected = file
        .model
        .explain_rows(
            neon_xai::Queries::LeaveOneOut,
            None,
            Target::Outlier,
            &settings.options,
            &|| {},
        )
        .expect("explains");
    assert_eq!(data.rows, (0..40).collect::<Vec<_>>());
    for (k, e) in expected.iter().enumerate() {
        assert_eq!(data.score[k], e.score);
        assert_eq!(data.relevance[k], e.relevance);
        assert_eq!(data.dissipated[k], e.dissipated);
    }
    // raw values: the training rows, rounded to 10 significant digits
    for (a, b) in data.raw[3].iter().zip(training().row(3)) {
        assert!((a - b).abs() <= 1e-9 * b.abs(), "{a} vs {b}");
    }
    assert_eq!(data.ranked()[0], 0, "the far point is the top outlier");
    assert_eq!(data.baselines.len(), 1);
    assert_eq!(data.baselines[0].points.len(), 5);
    assert_eq!(data.baselines[0].points[0], 0);
    assert!(data.cluster.is_none());
    assert!(render_explorer(&data).is_ok());
}

#[test]
fn beyond_max_rows_the_top_rows_and_a_seeded_sample_are_shown() {
    let file = kde_file();
    let mut settings = ExploreSettings::new(Target::Outlier);
    settings.map = MapKind::Pca;
    settings.max_rows = 10;
    settings.top = 3;
    let data = explore(&file, None, &settings, &|_, _, _| {}).expect("explores");
    assert_eq!(data.rows.len(), 10);
    assert_eq!(data.total_rows, 40);
    assert!(data.rows.contains(&0), "the top outlier is always shown");
    assert!(data.rows.windows(2).all(|w| w[0] < w[1]));
    assert!(data.notes[0].contains("10 of 40 rows"), "{}", data.notes[0]);
    let again = explore(&file, None, &settings, &|_, _, _| {}).expect("explores");
    assert_eq!(again.rows, data.rows);
    settings.seed = 1;
    let other = explore(&file, None, &settings, &|_, _, _| {}).expect("explores");
    assert_ne!(other.rows, data.rows);
}

#[test]
fn explore_groups_a_clustering_by_its_clusters() {
    let km = KMeans::fit(KMeansParams::new(2).seed(0), training().view()).expect("fits");
    let labels = km.labels();
    let file = ModelFile::new(
        vec!["f0".into(), "f1".into(), "f2".into()],
        FittedTransform::identity(),
        FittedModel::Kmeans(km),
    );
    let mut settings = ExploreSettings::new(Target::Cluster);
    settings.map = MapKind::Tsne { perplexity: 5.0 };
    let data = explore(&file, None, &settings, &|_, _, _| {}).expect("explores");
    assert_eq!(data.cluster.as_deref(), Some(&labels[..]));
    assert!(
        data.map_name.starts_with("t-SNE (perplexity 5"),
        "{}",
        data.map_name
    );
    let html = render_explorer(&data).expect("renders");
    assert!(html.contains("id=\"clusters\""));
}
