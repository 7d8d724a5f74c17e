//! `neon plot`: charts of the explanations `neon explain --format json` wrote — a bar chart and
//! a waterfall of each chosen row, and a summary of every row's relevance per feature — as PNG
//! and SVG in an output folder written atomically.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use neon_xai::io::StagedDir;
use neon_xai::Explanation;
use neon_xai_report::{BarChart, BarSeries, StripChart};

/// Rows charted one by one when `--rows` is not given and there are more than this many.
const DEFAULT_ROW_CHARTS: usize = 5;

/// `neon plot` arguments.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The JSON written by `neon explain --format json` (`-`: read it from stdin).
    pub explanation: PathBuf,
    /// Output folder (written atomically; a folder neon did not write is refused).
    #[arg(long, short = 'o')]
    pub out_dir: PathBuf,
    /// Rows (by their row number in the explanation) to chart one by one (default: every row
    /// when there are at most 5, else the 5 with the highest score).
    #[arg(long, value_delimiter = ',')]
    pub rows: Option<Vec<usize>>,
}

/// The document `neon explain --format json` writes.
#[derive(Debug, serde::Deserialize)]
struct ExplainDocument {
    target: String,
    features: Vec<String>,
    #[serde(default)]
    parameters: serde_json::Value,
    explanations: Vec<Explanation>,
}

/// The score's name for `target`, for titles and axis units.
fn score_name(target: &str) -> &str {
    match target {
        "outlier" => "outlierness",
        "inlier" => "inlierness",
        "inlier-rff" => "inlierness (random features)",
        "cluster" => "cluster evidence",
        other => other,
    }
}

/// A number for a title: four significant digits, exponent notation when tiny or huge.
fn short(v: f64) -> String {
    if v == 0.0 || (1e-3..1e5).contains(&v.abs()) {
        let text = format!("{v:.4}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        text.to_string()
    } else {
        format!("{v:.3e}")
    }
}

pub fn run(args: PlotArgs) -> anyhow::Result<()> {
    let source = args.explanation.display().to_string();
    let text = if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the explanation from stdin")?;
        text
    } else {
        std::fs::read_to_string(&args.explanation).with_context(|| format!("reading {source}"))?
    };
    let doc: ExplainDocument = serde_json::from_str(&text)
        .with_context(|| format!("{source}: not the JSON of `neon explain --format json`"))?;
    let method = doc
        .parameters
        .get("method")
        .and_then(|m| m.as_str())
        .unwrap_or("neon");
    let written = write_plots(
        &source,
        &doc.target,
        &doc.features,
        method,
        &doc.explanations,
        args.rows.as_deref(),
        &args.out_dir,
    )?;
    for path in written {
        println!("{}", path.display());
    }
    Ok(())
}

/// Chart `explanations` (of `target`, by `method`) into `out_dir`, atomically: a bar chart and
/// a waterfall of each chosen row (`rows`, else all when few, else those of highest score) and
/// a summary over all rows. `source` names the input in messages. Returns the files written.
pub fn write_plots(
    source: &str,
    target: &str,
    features: &[String],
    method: &str,
    explanations: &[Explanation],
    rows: Option<&[usize]>,
    out_dir: &std::path::Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let d = features.len();
    if explanations.is_empty() {
        anyhow::bail!("{source}: no explanation to plot");
    }
    for (i, e) in explanations.iter().enumerate() {
        if e.relevance.len() != d {
            anyhow::bail!(
                "{source}: explanation {i} (row {}) has {} relevances for {d} features",
                e.row,
                e.relevance.len()
            );
        }
        e.check_finite()
            .with_context(|| format!("{source}: explanation {i} (row {})", e.row))?;
    }
    let chosen: Vec<&Explanation> = match rows {
        Some(rows) => rows
            .iter()
            .map(|&r| {
                explanations
                    .iter()
                    .find(|e| e.row == r)
                    .with_context(|| format!("--rows: row {r} is not in {source}"))
            })
            .collect::<anyhow::Result<_>>()?,
        None if explanations.len() <= DEFAULT_ROW_CHARTS => explanations.iter().collect(),
        None => {
            let mut by_score: Vec<&Explanation> = explanations.iter().collect();
            by_score.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
            by_score.truncate(DEFAULT_ROW_CHARTS);
            eprintln!(
                "charting the {DEFAULT_ROW_CHARTS} rows of highest {} (choose with --rows)",
                score_name(target)
            );
            by_score
        }
    };
    let method = if method == "neon" {
        String::new()
    } else {
        format!(" ({method})")
    };
    let name = score_name(target);
    let units = format!("relevance ({name} units)");

    let staged =
        StagedDir::create(out_dir).with_context(|| format!("plot folder {}", out_dir.display()))?;
    let mut written = Vec::new();
    for e in &chosen {
        let cluster = e
            .cluster
            .map(|c| format!(", cluster {c}"))
            .unwrap_or_default();
        let title = format!(
            "row {}{cluster}: {name} {} = Σ R {} + dissipated {}{method}",
            e.row,
            short(e.score),
            short(e.relevance_sum),
            short(e.dissipated)
        );
        let mut series = BarSeries::new(format!("row {}", e.row), e.relevance.clone());
        if let Some(std) = &e.relevance_std {
            series = series.errors(std.clone());
        }
        let bar = BarChart::new(&title, features)
            .value_label(&units)
            .series(series)
            .sign_colors(true)
            .render()?;
        let stem = format!("row-{}-bar", e.row);
        bar.save(staged.path(), &stem)?;
        written.push(stem);

        // waterfall: features by decreasing |R|, then the dissipated part, then the score
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| e.relevance[b].abs().total_cmp(&e.relevance[a].abs()));
        let mut labels: Vec<String> = order.iter().map(|&i| features[i].clone()).collect();
        let mut values: Vec<f64> = order.iter().map(|&i| e.relevance[i]).collect();
        labels.push("dissipated".into());
        values.push(e.dissipated);
        let mut starts = Vec::with_capacity(values.len() + 1);
        let mut running = 0.0;
        for v in &values {
            starts.push(running);
            running += v;
        }
        labels.push(format!("= {name}"));
        values.push(e.score);
        starts.push(0.0);
        let waterfall = BarChart::new(&title, labels)
            .value_label(format!("running sum ({name} units)"))
            .series(BarSeries::new("step", values).starts(starts))
            .sign_colors(true)
            .render()?;
        let stem = format!("row-{}-waterfall", e.row);
        waterfall.save(staged.path(), &stem)?;
        written.push(stem);
    }
    if explanations.len() >= 2 {
        let n = explanations.len();
        let mean_abs: Vec<f64> = (0..d)
            .map(|i| {
                explanations
                    .iter()
                    .map(|e| e.relevance[i].abs())
                    .sum::<f64>()
                    / n as f64
            })
            .collect();
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| mean_abs[b].total_cmp(&mean_abs[a]));
        let values = order
            .iter()
            .map(|&i| explanations.iter().map(|e| e.relevance[i]).collect())
            .collect();
        let summary = StripChart::new(
            format!("{n} rows: {name}{method}, features by mean |R|"),
            order.iter().map(|&i| features[i].clone()),
        )
        .values(values)
        .value_label(&units)
        .render()?;
        summary.save(staged.path(), "summary")?;
        written.push("summary".into());
    }
    let folder = staged
        .commit()
        .with_context(|| format!("plot folder {}", out_dir.display()))?;
    Ok(written
        .iter()
        .flat_map(|stem| ["png", "svg"].map(|ext| folder.join(format!("{stem}.{ext}"))))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers_read_well() {
        assert_eq!(short(2.858803965), "2.8588");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(1.6259e-9), "1.626e-9");
        assert_eq!(short(-0.5), "-0.5");
    }
}
