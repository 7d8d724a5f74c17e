//! Writing the study: `report.html` (self-contained), every figure as PNG and SVG, and
//! `results.json` with every number shown.

use super::analysis::WholesaleResults;
use super::chapter::{self, LABELS};
use super::figures::draw_all;
use crate::{Result, StudyError};
use neon_xai_report::{Claim, HtmlReport};
use std::path::{Path, PathBuf};

/// What [`write_report`] wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    /// The HTML report.
    pub html: PathBuf,
    /// The JSON results.
    pub json: PathBuf,
    /// Figure files (PNG and SVG).
    pub figures: Vec<PathBuf>,
    /// Number of figures in the HTML page.
    pub figure_count: usize,
}

fn money(v: f64) -> String {
    format!("{v:.0}")
}

fn row_cells(name: &str, values: &[f64]) -> Vec<String> {
    std::iter::once(name.to_string())
        .chain(values.iter().map(|v| money(*v)))
        .collect()
}

fn header(first: &str) -> Vec<String> {
    std::iter::once(first.to_string())
        .chain(LABELS.iter().map(|s| s.to_string()))
        .collect()
}

/// Draw the figures and write the report files into `out_dir`: assembled in a staging folder
/// and renamed into place at the end (an earlier report there is replaced whole), so a failure
/// or a kill never leaves figures without their report.
pub fn write_report(r: &WholesaleResults, out_dir: &Path) -> Result<ReportFiles> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StudyError::Io { path, source }
    };
    let staged = neon_xai::io::StagedDir::create(out_dir).map_err(io_err(out_dir))?;
    let staging = staged.path().to_path_buf();
    let figures = draw_all(r)?;
    let mut files = Vec::new();
    for f in &figures {
        f.figure.save(&staging, &f.stem)?;
        files.push(out_dir.join(format!("{}.png", f.stem)));
        files.push(out_dir.join(format!("{}.svg", f.stem)));
    }
    let find = |stem: &str| figures.iter().find(|f| f.stem == stem);
    let [a, b] = r.instances;
    let mut html = HtmlReport::new("neon — Wholesale customers study (§5.1)");
    html.paragraph(format!(
        "Explanations of a kernel density model and a k-means clustering of the UCI Wholesale customers data ({} customers, six spending categories, natural log then standardized), computed with NEON (neuralization-propagation). The chapter's instances 338 and 339 are rows {a} and {b} (0-based).",
        r.kde.inlier.len()
    ));
    html.params_titled(
        "Parameters",
        [
            // the file's name, not the reader's folder layout
            (
                "data",
                r.params.data.file_name().map_or_else(
                    || r.params.data.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                ),
            ),
            ("seed", r.params.seed.to_string()),
            ("KDE γ", r.params.gamma.to_string()),
            ("outlier β", r.kde.beta.to_string()),
            (
                "outlier ε",
                neon_xai::models::kde::DEFAULT_EPSILON.to_string(),
            ),
            ("random features H", r.params.n_features.to_string()),
            ("random-feature draws", r.params.trials.to_string()),
            (
                "k-means k / restarts",
                format!("{} / {}", r.params.n_clusters, r.params.n_init),
            ),
            ("cluster β (1 / mean f_c)", format!("{:.4}", r.kmeans.beta)),
            ("t-SNE perplexity", r.params.perplexity.to_string()),
            (
                "rules",
                "the chapter's: standard rules of §3–§4 with β = γ (outlier) and β = 1 / mean f_c \
                 (cluster). neon's library defaults differ where measurement found a more \
                 faithful setting (k-means: grounded rule; KDE outlier: β = γ / 4), see \
                 docs/compare.md"
                    .to_string(),
            ),
        ],
    );

    html.section("Claims of the chapter, checked");
    html.paragraph("Each statement the chapter makes about the two instances, the test neon applies, and what it measured on the shipped data. Nothing here is hard-coded: the verdicts are computed at run time.");
    html.claims(r.claims.iter().map(|c| {
        Claim::new(
            format!("{} — test: {}", c.statement, c.criterion),
            c.measured.clone(),
            c.holds,
        )
    }));

    html.section("Fig. 4 — inlierness and outlierness (KDE)");
    for stem in [
        "fig4a_tsne_inlierness",
        "fig4b_tsne_outlierness",
        "fig4c_inlier_338",
        "fig4d_inlier_339",
        "fig4e_outlier_338",
        "fig4f_outlier_339",
    ] {
        if let Some(f) = find(stem) {
            html.figure(&f.figure, f.caption.clone());
        }
    }
    let mut rows = Vec::new();
    for e in r
        .kde
        .outlier_explanations
        .iter()
        .chain(&r.kde.inlier_explanations)
    {
        let kind = if e.relevance_std.is_some() {
            "inlier (RFF)"
        } else {
            "outlier"
        };
        let mut cells = vec![
            format!("{} row {}", kind, e.row),
            format!("{:.4e}", e.score),
        ];
        cells.extend(e.relevance.iter().map(|v| format!("{v:.4e}")));
        cells.push(format!("{:.4e}", e.relevance_sum));
        cells.push(format!("{:.1e}", e.dissipated));
        rows.push(cells);
    }
    let mut h = vec!["explanation".to_string(), "score f(x)".to_string()];
    h.extend(LABELS.iter().map(|s| s.to_string()));
    h.extend(["Σ R".to_string(), "dissipated".to_string()]);
    html.table_with_caption(
        "Numbers behind Fig. 4 (relevance per feature; conservation: Σ R + dissipated = f(x))",
        h.clone(),
        rows,
    );
    // a random-feature estimate far from the exact inlierness explains noise, not the density
    for e in &r.kde.inlier_explanations {
        let Some(exact) = e.exact_score else { continue };
        if exact > 0.0 && (e.score - exact).abs() > exact {
            let orders = (e.score.abs() / exact).log10();
            html.paragraph(format!(
                "Row {}: the random-feature estimate î = {:.2e} is {} the exact inlierness p̃ = {:.2e}{}. At a density this small the random features' approximation error (H = {}, {} draws) dominates the estimate: this row's random-feature explanation is noise and says nothing about the row; its outlier explanation above does.",
                e.row,
                e.score,
                if e.score > exact { "above" } else { "away from" },
                exact,
                if orders >= 1.0 {
                    format!(" ({orders:.0} orders of magnitude)")
                } else {
                    String::new()
                },
                r.params.n_features,
                r.params.trials,
            ));
        }
    }

    html.section("Table 1 — the two instances and the data average (m.u.)");
    html.table(
        header("row"),
        vec![
            row_cells(&format!("instance 338 (row {a})"), &r.table1.instances[0]),
            row_cells(&format!("instance 339 (row {b})"), &r.table1.instances[1]),
            row_cells("average", &r.table1.average),
        ],
    );

    html.section("Fig. 5 — cluster membership (k-means)");
    for stem in [
        "fig5a_tsne_clusters",
        "fig5b_cluster_338",
        "fig5c_cluster_339",
    ] {
        if let Some(f) = find(stem) {
            html.figure(&f.figure, f.caption.clone());
        }
    }
    let rows: Vec<Vec<String>> = r
        .kmeans
        .explanations
        .iter()
        .map(|e| {
            let mut cells = vec![
                format!("row {} → cluster {}", e.row, e.cluster.unwrap_or(0)),
                format!("{:.4}", e.score),
            ];
            cells.extend(e.relevance.iter().map(|v| format!("{v:.4}")));
            cells.push(format!("{:.4}", e.relevance_sum));
            cells.push(format!("{:.1e}", e.dissipated));
            cells
        })
        .collect();
    html.table_with_caption(
        format!(
            "Numbers behind Fig. 5 (inertia of the kept solution {:.3})",
            r.kmeans.inertia
        ),
        h,
        rows,
    );

    html.section("Table 2 — average spending of the cluster of instance 339 (m.u.)");
    html.table(
        header("cluster"),
        vec![
            row_cells(
                &format!(
                    "cluster {} (neon, mean of members)",
                    r.kmeans.cluster_of_338
                ),
                &r.kmeans.table2_mean,
            ),
            row_cells(
                "same cluster, centroid mapped back (geometric mean)",
                &r.kmeans.table2_centroid_raw,
            ),
            row_cells("chapter's Table 2 (Yellow)", &chapter::TABLE2),
        ],
    );

    html.section("Fig. 6 — per-cluster population statistics");
    if let Some(f) = find("fig6_boxplots") {
        html.figure(&f.figure, f.caption.clone());
    }

    html.section("Robustness (not in the chapter)");
    let rob = &r.robustness;
    html.paragraph(format!(
        "k-means restarts land in different partitions. Refitting with {} seeds ({} restarts each) gives {} distinct solutions (by inertia). Row {b}'s cluster evidence over seeds: median {:.3} (IQR {:.3}–{:.3}); row {a}'s: median {:.3} (min {:.3}, max {:.3}).",
        rob.seeds, r.params.n_init, rob.inertia_counts.len(), rob.evidence_338.median, rob.evidence_338.q1, rob.evidence_338.q3,
        rob.evidence_337.median, rob.evidence_337.min, rob.evidence_337.max
    ));
    for stem in ["robustness_top_feature", "robustness_beta_sweep"] {
        if let Some(f) = find(stem) {
            html.figure(&f.figure, f.caption.clone());
        }
    }
    let inertias: Vec<f64> = rob.inertia_counts.iter().map(|(i, _)| *i).collect();
    let lowest_hits = rob.inertia_counts.first().map_or(0, |(_, c)| *c);
    html.paragraph(format!(
        "Inertia of the kept solution per seed: lowest {:.3} (reached by {lowest_hits} of {} seeds), highest {:.3}; the solution kept for the figures above (seed {}) has inertia {:.3}.",
        inertias.first().copied().unwrap_or(f64::NAN),
        rob.seeds,
        inertias.last().copied().unwrap_or(f64::NAN),
        r.params.seed,
        r.kmeans.inertia
    ));
    let top_rows: Vec<Vec<String>> = LABELS
        .iter()
        .zip(&rob.top_feature_counts_338)
        .map(|(f, c)| vec![f.to_string(), format!("{c} / {}", rob.seeds)])
        .collect();
    html.table_with_caption(
        format!("Top contributor to row {b}'s cluster explanation over seeds"),
        vec![
            "feature".to_string(),
            "seeds where it is the top contributor".to_string(),
        ],
        top_rows,
    );
    match &rob.table2_best {
        Some(m) => html.paragraph(format!(
            "Table 2 search over {} single-restart seeds: the closest solution is seed {} (inertia {:.3}; the lowest inertia found is {:.3}), with a largest deviation of {:.1} % from the chapter's Table 2 — {}.",
            rob.table2_seeds, m.seed, m.inertia, rob.lowest_inertia, 100.0 * m.max_relative_deviation,
            if rob.table2_reproduced { "reproduced within 1 %" } else { "not reproduced within 1 %" }
        )),
        None => html.paragraph("Table 2 search: no seeds searched."),
    };
    let sweep_rows: Vec<Vec<String>> = rob
        .beta_sweep
        .iter()
        .map(|(beta, shares)| {
            std::iter::once(format!("β = {beta}"))
                .chain(shares.iter().map(|s| format!("{:.1} %", 100.0 * s)))
                .collect()
        })
        .collect();
    html.table_with_caption(
        format!("Outlier relevance shares of row {b} as β varies"),
        header("β"),
        sweep_rows,
    );

    html.section("Where the shipped data disagrees with the chapter's tables");
    if r.discrepancies.is_empty() {
        html.paragraph("No disagreement found.");
    } else {
        html.table(
            vec![
                "place".to_string(),
                "feature".to_string(),
                "chapter".to_string(),
                "shipped data / neon".to_string(),
            ],
            r.discrepancies
                .iter()
                .map(|d| {
                    vec![
                        d.place.clone(),
                        d.feature.clone(),
                        money(d.chapter),
                        format!("{:.1}", d.data),
                    ]
                })
                .collect::<Vec<_>>(),
        );
    }
    html.section("Timings");
    html.table(
        vec!["stage".to_string(), "seconds".to_string()],
        r.timings
            .iter()
            .map(|(s, t)| vec![s.clone(), format!("{t:.2}")])
            .collect::<Vec<_>>(),
    );

    html.save(staging.join("report.html"))?;
    let json = serde_json::to_string_pretty(r)?;
    let json_path = staging.join("results.json");
    std::fs::write(&json_path, json.as_bytes()).map_err(io_err(&json_path))?;
    staged.commit().map_err(io_err(out_dir))?;
    let (html_path, json_path) = (out_dir.join("report.html"), out_dir.join("results.json"));
    Ok(ReportFiles {
        html: html_path,
        json: json_path,
        figures: files,
        figure_count: html.figure_count(),
    })
}

/// A short plain-text summary for the terminal.
pub fn summary(r: &WholesaleResults) -> String {
    let holds = r.claims.iter().filter(|c| c.holds).count();
    let mut s = format!(
        "Wholesale customers study: {} of {} chapter claims hold on the shipped data\n",
        holds,
        r.claims.len()
    );
    for c in &r.claims {
        s += &format!(
            "  [{}] {}\n",
            if c.holds { "holds" } else { "fails" },
            c.statement
        );
    }
    s += &format!(
        "{} place(s) where the data differs from the chapter's tables\n",
        r.discrepancies.len()
    );
    s
}
