//! Writing the study: `report.html` (self-contained), every figure as PNG and SVG, and
//! `results.json` with every number shown.

use super::analysis::{max_relative_deviation, Discrepancy, WholesaleResults};
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

    html.section("The chapter's Table 1 — the two instances and the data average (m.u.)");
    html.paragraph(
        "Recomputed from the shipped data file. Where these values differ from the ones printed in the chapter's Table 1 is listed in the section \"Where the shipped data disagrees with the chapter's Table 1\".",
    );
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

    html.section("The chapter's Table 2 — average spending of the cluster of instance 339 (m.u.)");
    let rob = &r.robustness;
    html.paragraph(match &rob.table2_best {
        Some(m) => format!(
            "Mean raw spending of the members of the cluster that holds instance 339 (row {b}). Kept: the solution explained in Fig. 5 (seed {}, {} restarts, inertia {:.3}). Closest: among the {} single-restart seeds of the Table 2 search (section \"Robustness\"), the solution whose cluster of instance 339 is nearest to the chapter's Table 2 — seed {} (inertia {:.3}), largest deviation {:.1} %: {}. Largest deviation: the largest relative difference from the chapter's row over the six categories (the centroid row is a geometric mean, not compared).",
            r.params.seed,
            r.params.n_init,
            r.kmeans.inertia,
            rob.table2_seeds,
            m.seed,
            m.inertia,
            100.0 * m.max_relative_deviation,
            if rob.table2_reproduced {
                "the chapter's Table 2 is reproduced within 1 %"
            } else {
                "the chapter's Table 2 is not reproduced within 1 %"
            }
        ),
        None => format!(
            "Mean raw spending of the members of the cluster that holds instance 339 (row {b}) in the solution explained in Fig. 5 (seed {}, {} restarts, inertia {:.3}). The Table 2 search searched no seeds, so no closest solution is shown.",
            r.params.seed, r.params.n_init, r.kmeans.inertia
        ),
    });
    let percent = |fraction: f64| format!("{:.1} %", 100.0 * fraction);
    let with_deviation = |name: &str, values: &[f64], dev: String| {
        let mut cells = row_cells(name, values);
        cells.push(dev);
        cells
    };
    let mut t2_rows = vec![
        with_deviation(
            &format!(
                "kept (seed {}): cluster {} mean",
                r.params.seed, r.kmeans.cluster_of_338
            ),
            &r.kmeans.table2_mean,
            percent(max_relative_deviation(
                &r.kmeans.table2_mean,
                &chapter::TABLE2,
            )),
        ),
        with_deviation(
            &format!(
                "kept: cluster {} centroid, mapped back",
                r.kmeans.cluster_of_338
            ),
            &r.kmeans.table2_centroid_raw,
            "—".to_string(),
        ),
    ];
    if let Some(m) = &rob.table2_best {
        t2_rows.push(with_deviation(
            &format!("closest (seed {}): cluster mean", m.seed),
            &m.cluster_mean,
            percent(m.max_relative_deviation),
        ));
    }
    t2_rows.push(with_deviation(
        "the chapter's Table 2 (Yellow)",
        &chapter::TABLE2,
        "—".to_string(),
    ));
    let mut t2_header = header("solution");
    t2_header.push("largest deviation".to_string());
    html.table(t2_header, t2_rows);

    html.section("Fig. 6 — per-cluster population statistics");
    if let Some(f) = find("fig6_boxplots") {
        html.figure(&f.figure, f.caption.clone());
    }

    html.section("Robustness (not in the chapter)");
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

    html.section("Where the shipped data disagrees with the chapter's Table 1");
    html.paragraph("Facts of the data file: the raw values of instances 338 and 339 (compared exactly) and the per-category average (compared to the chapter's rounding, ±0.5 m.u.). No model is involved.");
    let data_rows: Vec<Vec<String>> = r
        .data_discrepancies()
        .map(|d| {
            vec![
                d.place.clone(),
                d.feature.clone(),
                money(d.chapter),
                format!("{:.1}", d.data),
            ]
        })
        .collect();
    if data_rows.is_empty() {
        html.paragraph("The shipped data matches every value of the chapter's Table 1.");
    } else {
        html.table_with_caption(
            "Values of the chapter's Table 1 that the shipped data does not reproduce",
            ["place in the chapter", "feature", "chapter", "shipped data"],
            data_rows,
        );
    }

    html.section("Where neon's k-means solution differs from the chapter's Table 2");
    let model: Vec<&Discrepancy> = r.kmeans_discrepancies().collect();
    html.paragraph(format!(
        "A modelling choice, not the data: k-means restarts land in different partitions, and the chapter does not say which restart its Table 2 comes from. neon keeps the solution of seed {} with {} restarts (inertia {:.3}); its cluster of instance 339 differs from the chapter's Table 2 by more than 1 % in {} of {} categories.{}",
        r.params.seed,
        r.params.n_init,
        r.kmeans.inertia,
        model.len(),
        LABELS.len(),
        match &rob.table2_best {
            Some(m) => format!(
                " The Table 2 search (section \"Robustness\") finds, among {} single-restart seeds, the closest solution at seed {} (inertia {:.3}; the lowest inertia found is {:.3}) with a largest deviation of {:.1} % — {}. Its cluster mean is shown beside the kept solution's in the section \"The chapter's Table 2\", and per category below.",
                rob.table2_seeds,
                m.seed,
                m.inertia,
                rob.lowest_inertia,
                100.0 * m.max_relative_deviation,
                if rob.table2_reproduced { "the chapter's Table 2 is reproduced within 1 %" } else { "not within 1 %" }
            ),
            None => String::new(),
        }
    ));
    if !model.is_empty() {
        let closest = rob.table2_best.as_ref();
        let mut model_header = vec![
            "feature".to_string(),
            "chapter's Table 2".to_string(),
            format!("kept solution (seed {})", r.params.seed),
            "deviation".to_string(),
        ];
        if let Some(m) = closest {
            model_header.push(format!("closest solution (seed {})", m.seed));
            model_header.push("deviation".to_string());
        }
        let relative = |value: f64, reference: f64| {
            format!("{:+.2} %", 100.0 * (value - reference) / reference.abs())
        };
        let model_rows: Vec<Vec<String>> = model
            .iter()
            .map(|d| {
                let mut cells = vec![
                    d.feature.clone(),
                    money(d.chapter),
                    format!("{:.1}", d.data),
                    relative(d.data, d.chapter),
                ];
                let feature = chapter::FEATURES.iter().position(|f| *f == d.feature);
                if let Some(m) = closest {
                    match feature.and_then(|i| m.cluster_mean.get(i)) {
                        Some(&v) => {
                            cells.push(format!("{v:.1}"));
                            cells.push(relative(v, d.chapter));
                        }
                        None => cells.extend(["—".to_string(), "—".to_string()]),
                    }
                }
                cells
            })
            .collect();
        html.table_with_caption(
            "Categories where neon's kept k-means solution is more than 1 % from the chapter's Table 2, beside the closest solution of the Table 2 search",
            model_header,
            model_rows,
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
        "{} place(s) where the shipped data differs from the chapter's Table 1\n",
        r.data_discrepancies().count()
    );
    s += &format!(
        "neon's kept k-means solution differs from the chapter's Table 2 by more than 1 % in {} of {} categories (a modelling choice, not the data){}\n",
        r.kmeans_discrepancies().count(),
        LABELS.len(),
        match &r.robustness.table2_best {
            Some(m) => format!(
                "; closest solution of the Table 2 search: seed {}, largest deviation {:.1} %",
                m.seed,
                100.0 * m.max_relative_deviation
            ),
            None => String::new(),
        }
    );
    s
}
