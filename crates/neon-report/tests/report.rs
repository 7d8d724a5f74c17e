//! End to end: every chart, a t-SNE map and heatmaps go into one HTML report on disk.

use ndarray::{Array2, Array3};
use neon_xai_report::{
    heatmap_png, overlay_png, tsne, BarChart, BarSeries, BoxGroup, BoxPlots, Claim, ColorMap,
    Curve, HtmlReport, LineChart, ScatterMap,
};

const FEATURES: [&str; 6] = [
    "fresh",
    "milk",
    "grocery",
    "frozen",
    "detergents/paper",
    "delicatessen",
];

/// 90 points in three groups, six features, deterministic.
fn data() -> (Array2<f64>, Vec<usize>) {
    let labels: Vec<usize> = (0..90).map(|i| i % 3).collect();
    let x = Array2::from_shape_fn((90, 6), |(i, j)| {
        let wobble = ((i * 31 + j * 17) % 19) as f64 / 19.0 - 0.5;
        (if j % 3 == labels[i] { 4.0 } else { 0.0 }) + wobble
    });
    (x, labels)
}

#[test]
fn full_report_is_written_and_self_contained() {
    let (x, labels) = data();
    let map = tsne(x.view(), 10.0, 0).expect("tsne");
    let inlierness: Vec<f64> = (0..90).map(|i| f64::from(i % 30) / 30.0).collect();
    let evidence: Vec<f64> = (0..90)
        .map(|i| 0.15 + 0.85 * f64::from(i % 10) / 9.0)
        .collect();

    let inlier_map = ScatterMap::new("Inlierness", map.view())
        .continuous(inlierness, "inlierness p̃(x)")
        .highlight(4, "instance 4")
        .render()
        .expect("scatter");
    let cluster_map = ScatterMap::new("Clusters", map.view())
        .categories(labels.clone())
        .opacity(evidence)
        .render()
        .expect("scatter");
    let relevance_map = ScatterMap::new("Relevance of 'fresh'", map.view())
        .continuous(
            x.column(0).mapv(|v| v - 1.0).to_vec(),
            "relevance R (score units)",
        )
        .colormap(ColorMap::Seismic)
        .render()
        .expect("scatter");
    let bars = BarChart::new("Explanation of outlierness", FEATURES)
        .value_label("relevance Rᵢ (score units)")
        .series(BarSeries::new(
            "instance 4",
            vec![0.4, 0.1, -0.1, 0.9, 0.2, 0.0],
        ))
        .series(BarSeries::new(
            "instance 5",
            vec![0.1, 0.3, 0.2, 0.0, -0.2, 0.1],
        ))
        .sign_colors(true)
        .render()
        .expect("bars");
    let mut boxes = BoxPlots::new("Population statistics", FEATURES).value_label("value (σ)");
    for c in 0..3 {
        let rows: Vec<usize> = (0..90).filter(|i| labels[*i] == c).collect();
        let members = x.select(ndarray::Axis(0), &rows);
        boxes = boxes.group(BoxGroup::new(format!("cluster {c}"), members.view()));
    }
    let boxes = boxes.render().expect("boxes");
    let curves = LineChart::new("Feature removal")
        .x_label("features removed")
        .y_label("score")
        .curve(Curve::new("NEON", vec![0.0, 1.0, 2.0], vec![1.0, 0.4, 0.1]).band(vec![0.1; 3]))
        .render()
        .expect("lines");

    let heat = Array2::from_shape_fn((16, 16), |(i, j)| (i as f64 - 8.0) * (j as f64 - 8.0));
    let heat_png = heatmap_png(heat.view(), true).expect("heatmap");
    let image = Array3::from_shape_fn((16, 16, 3), |(i, j, c)| {
        ((i * 13 + j * 7 + c * 50) % 256) as u8
    });
    let overlay = overlay_png(image.view(), heat.view(), 0.6).expect("overlay");

    let mut report = HtmlReport::new("Synthetic analysis");
    report
        .section("Inlierness")
        .paragraph("Points coloured by inlierness; <instance 4> is marked.")
        .figure(&inlier_map, "t-SNE map coloured by inlierness.")
        .figure(&bars, "Outlierness explained per feature.")
        .section("Clusters")
        .figure(&cluster_map, "Clusters, opacity = evidence.")
        .figure(
            &relevance_map,
            "Relevance of one feature, symmetric diverging scale.",
        )
        .figure(&boxes, "Per-cluster box plots.")
        .figure(&curves, "Removal curve.")
        .section("Pixels")
        .figure_png(&heat_png, "Heatmap.")
        .figure_png(&overlay, "Overlay.")
        .params([("perplexity", "10"), ("seed", "0")])
        .claims([Claim::new("the map separates the groups", "yes", true)]);
    assert_eq!(report.figure_count(), 8);

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.html");
    report.save(&path).expect("save report");
    let html = std::fs::read_to_string(&path).expect("read report");
    assert!(html.contains("<b>Report figure 8.</b> Overlay."));
    assert!(html.contains("&lt;instance 4&gt;"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert_eq!(html.matches("<svg").count(), 6);
    assert_eq!(html.matches("data:image/png;base64,").count(), 2);

    inlier_map
        .save(dir.path(), "inlierness")
        .expect("save figure");
    for name in ["inlierness.svg", "inlierness.png", "report.html"] {
        assert!(dir.path().join(name).is_file(), "{name} written");
    }
}
