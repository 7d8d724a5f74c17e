//! The study's figures (Figs. 4–6 of §5.1 and the robustness charts), drawn from the results.

use super::analysis::WholesaleResults;
use super::chapter::LABELS;
use crate::Result;
use ndarray::{Array2, Axis};
use neon_xai_report::{
    categorical, BarChart, BarSeries, BoxGroup, BoxPlots, ColorMap, Figure, ScatterMap,
};

/// A figure with its file stem and caption.
pub struct NamedFigure {
    /// File stem (`stem.svg`, `stem.png`).
    pub stem: String,
    /// Caption shown under the figure.
    pub caption: String,
    /// The rendered figure.
    pub figure: Figure,
}

fn named(stem: &str, caption: String, figure: Figure) -> NamedFigure {
    NamedFigure {
        stem: stem.to_string(),
        caption,
        figure,
    }
}

fn instance_name(row: usize) -> String {
    format!("instance {} (row {row})", row + 1)
}

/// Draw every figure of the study.
pub fn draw_all(r: &WholesaleResults) -> Result<Vec<NamedFigure>> {
    let mut out = Vec::new();
    let map = Array2::from_shape_fn((r.tsne.len(), 2), |(i, j)| r.tsne[i][j]);
    let [a, b] = r.instances;
    let label_a = format!("{}", a + 1);
    let label_b = format!("{}", b + 1);
    let perplexity = r.params.perplexity;

    let fig = ScatterMap::new(
        format!("Inlierness p̃(x), KDE γ = {}, leave-one-out", r.kde.gamma),
        map.view(),
    )
    .axis_labels("t-SNE 1", "t-SNE 2")
    .continuous(r.kde.inlier.clone(), "inlierness p̃(x)")
    .colormap(ColorMap::Viridis)
    .highlight(a, label_a.clone())
    .highlight(b, label_b.clone())
    .render()?;
    out.push(named("fig4a_tsne_inlierness", format!("Fig. 4 (left, top): t-SNE map (perplexity {perplexity}) coloured by leave-one-out KDE inlierness; black crosses: instances {label_a} and {label_b}."), fig));
    let fig = ScatterMap::new(
        format!("Outlierness o(x) = −(1/γ) log p̃(x), γ = {}", r.kde.gamma),
        map.view(),
    )
    .axis_labels("t-SNE 1", "t-SNE 2")
    .continuous(r.kde.outlier.clone(), "outlierness o(x)")
    .colormap(ColorMap::Viridis)
    .highlight(a, label_a.clone())
    .highlight(b, label_b.clone())
    .render()?;
    out.push(named(
        "fig4b_tsne_outlierness",
        "Fig. 4 (left, bottom): the same map coloured by outlierness.".into(),
        fig,
    ));

    for (k, e) in r.kde.inlier_explanations.iter().enumerate() {
        let std = e
            .relevance_std
            .clone()
            .unwrap_or_else(|| vec![0.0; e.relevance.len()]);
        let fig = BarChart::new(
            format!("Inlierness of {} — random features", instance_name(e.row)),
            LABELS,
        )
        .series(
            BarSeries::new(
                format!("mean over {} draws (± 1 std)", r.params.trials),
                e.relevance.clone(),
            )
            .errors(std),
        )
        .value_label("relevance (units of î(x))")
        .sign_colors(true)
        .render()?;
        let stem = if k == 0 {
            "fig4c_inlier_338"
        } else {
            "fig4d_inlier_339"
        };
        out.push(named(stem, format!(
            "Fig. 4 (right): explanation of inlierness of {} with H = {} random features; î(x) = {:.3e} (exact p̃(x) = {:.3e}); error bars: std over {} draws.",
            instance_name(e.row), r.params.n_features, e.score, e.exact_score.unwrap_or(f64::NAN), r.params.trials), fig));
    }
    for (k, e) in r.kde.outlier_explanations.iter().enumerate() {
        let fig = BarChart::new(format!("Outlierness of {}", instance_name(e.row)), LABELS)
            .series(BarSeries::new(
                format!("relevance (β = {})", r.kde.beta),
                e.relevance.clone(),
            ))
            .value_label("relevance (standardized log units²)")
            .sign_colors(true)
            .render()?;
        let stem = if k == 0 {
            "fig4e_outlier_338"
        } else {
            "fig4f_outlier_339"
        };
        out.push(named(stem, format!(
            "Fig. 4 (right, bottom): explanation of outlierness of {}; o(x) = {:.3}, Σ R = {:.3}, dissipated {:.1e}.",
            instance_name(e.row), e.score, e.relevance_sum, e.dissipated), fig));
    }

    // Fig. 5: clusters with opacity = evidence
    let max_ev = r
        .kmeans
        .evidence
        .iter()
        .copied()
        .fold(0.0, f64::max)
        .max(1e-12);
    let alpha: Vec<f64> = r
        .kmeans
        .evidence
        .iter()
        .map(|v| 0.15 + 0.85 * (v / max_ev).clamp(0.0, 1.0))
        .collect();
    let names: Vec<String> = (0..r.kmeans.sizes.len())
        .map(|c| format!("cluster {c} (n = {})", r.kmeans.sizes[c]))
        .collect();
    let fig = ScatterMap::new(
        format!(
            "k-means, k = {}, {} restarts (opacity = cluster evidence f_c)",
            r.params.n_clusters, r.params.n_init
        ),
        map.view(),
    )
    .axis_labels("t-SNE 1", "t-SNE 2")
    .categories(r.kmeans.labels.clone())
    .category_names(names)
    .opacity(alpha)
    .highlight(a, label_a.clone())
    .highlight(b, label_b.clone())
    .render()?;
    out.push(named("fig5a_tsne_clusters", "Fig. 5 (left): the t-SNE map coloured by k-means cluster; opacity is the cluster evidence f_c (how deep into its cluster a point is).".into(), fig));
    for (k, e) in r.kmeans.explanations.iter().enumerate() {
        let fig = BarChart::new(
            format!(
                "Cluster {} membership of {}",
                e.cluster.unwrap_or(0),
                instance_name(e.row)
            ),
            LABELS,
        )
        .series(BarSeries::new(
            format!("relevance (β = {:.3})", r.kmeans.beta),
            e.relevance.clone(),
        ))
        .value_label("relevance (standardized log units²)")
        .sign_colors(true)
        .render()?;
        let stem = if k == 0 {
            "fig5b_cluster_338"
        } else {
            "fig5c_cluster_339"
        };
        out.push(named(
            stem,
            format!(
                "Fig. 5 (right): explanation of the cluster membership of {}; f_c(x) = {:.3}.",
                instance_name(e.row),
                e.score
            ),
            fig,
        ));
    }

    // Fig. 6: box plots per cluster
    let mut boxes = BoxPlots::new(
        "Per-cluster feature distributions (log, standardized)",
        LABELS,
    )
    .value_label("standardized log spending")
    .columns(3);
    for c in 0..r.kmeans.sizes.len() {
        let members: Vec<usize> = (0..r.kmeans.labels.len())
            .filter(|&i| r.kmeans.labels[i] == c)
            .collect();
        let mut group = BoxGroup::new(
            format!("cluster {c}"),
            r.model_space.select(Axis(0), &members).view(),
        )
        .color(categorical(c));
        for &row in &r.instances {
            if r.kmeans.labels[row] == c {
                group = group.mark(r.model_space.row(row).to_vec());
            }
        }
        boxes = boxes.group(group);
    }
    out.push(named("fig6_boxplots", format!(
        "Fig. 6: population statistics of each feature per cluster; black crosses: instance {label_a} (cluster {}) and instance {label_b} (cluster {}).",
        r.kmeans.labels[a], r.kmeans.labels[b]), boxes.render()?));

    // Robustness
    let counts: Vec<f64> = r
        .robustness
        .top_feature_counts_338
        .iter()
        .map(|&c| c as f64)
        .collect();
    let fig = BarChart::new(
        format!(
            "Top contributor to the cluster explanation of instance {label_b}, over {} seeds",
            r.robustness.seeds
        ),
        LABELS,
    )
    .series(BarSeries::new("number of seeds", counts))
    .value_label("seeds where the feature has the largest relevance")
    .render()?;
    out.push(named("robustness_top_feature", "Robustness: how often each feature is the top contributor to instance 339's cluster explanation when k-means is refitted with other seeds.".into(), fig));
    let mut sweep = BarChart::new(
        format!("Outlier explanation of instance {label_b} for several β"),
        LABELS,
    )
    .value_label("share of |relevance|");
    for (k, (beta, shares)) in r.robustness.beta_sweep.iter().enumerate() {
        sweep = sweep
            .series(BarSeries::new(format!("β = {beta}"), shares.clone()).color(categorical(k)));
    }
    out.push(named("robustness_beta_sweep", "Robustness: shares of the outlier relevance of instance 339 as the soft-argmin stiffness β varies (β = γ = 1 is the chapter's choice).".into(), sweep.render()?));
    Ok(out)
}
