//! Rendering of scores and explanations as JSON, CSV or an aligned table.

use crate::cli::Format;
use neon::{Explanation, Target};
use serde_json::json;

/// Render explanations in the chosen format.
pub fn explanations(
    format: Format,
    target: Target,
    features: &[String],
    explanations: &[Explanation],
    parameters: serde_json::Value,
) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => {
            let doc = json!({
                "target": target.to_string(),
                "features": features,
                "parameters": parameters,
                "explanations": explanations,
            });
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        Format::Jsonl => {
            let mut out = String::new();
            for e in explanations {
                out += &serde_json::to_string(e)?;
                out.push('\n');
            }
            out
        }
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let has_std = explanations.iter().any(|e| e.relevance_std.is_some());
            let has_cluster = explanations.iter().any(|e| e.cluster.is_some());
            let has_exact = explanations.iter().any(|e| e.exact_score.is_some());
            let mut header = vec!["row".to_string(), "score".to_string()];
            header.extend(features.iter().map(|f| format!("relevance_{f}")));
            header.extend(["relevance_sum".to_string(), "dissipated".to_string()]);
            if has_std {
                header.extend(features.iter().map(|f| format!("std_{f}")));
            }
            if has_cluster {
                header.push("cluster".into());
            }
            if has_exact {
                header.push("exact_score".into());
            }
            writer.write_record(&header)?;
            for e in explanations {
                let mut record = vec![e.row.to_string(), num(e.score)];
                record.extend(e.relevance.iter().map(|v| num(*v)));
                record.extend([num(e.relevance_sum), num(e.dissipated)]);
                if has_std {
                    let std = e.relevance_std.clone().unwrap_or_default();
                    record.extend(std.iter().map(|v| num(*v)));
                }
                if has_cluster {
                    record.push(e.cluster.map(|c| c.to_string()).unwrap_or_default());
                }
                if has_exact {
                    record.push(e.exact_score.map(num).unwrap_or_default());
                }
                writer.write_record(&record)?;
            }
            String::from_utf8(writer.into_inner()?)?
        }
        Format::Table => {
            let mut header = vec!["row".to_string()];
            if explanations.iter().any(|e| e.cluster.is_some()) {
                header.push("cluster".into());
            }
            header.push("score".into());
            header.extend(features.iter().cloned());
            header.extend(["sum".to_string(), "dissipated".to_string()]);
            let mut rows = Vec::new();
            for e in explanations {
                let mut row = vec![e.row.to_string()];
                if let Some(c) = e.cluster {
                    row.push(c.to_string());
                }
                row.push(short(e.score));
                match &e.relevance_std {
                    Some(std) => row.extend(
                        e.relevance
                            .iter()
                            .zip(std)
                            .map(|(r, s)| format!("{}±{}", short(*r), short(*s))),
                    ),
                    None => row.extend(e.relevance.iter().map(|r| short(*r))),
                }
                row.extend([short(e.relevance_sum), short(e.dissipated)]);
                rows.push(row);
            }
            table(&header, &rows)
        }
    })
}

/// Render scores in the chosen format.
pub fn scores(
    format: Format,
    target: Target,
    rows: &[usize],
    scores: &[f64],
    clusters: Option<&[usize]>,
) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => {
            let items: Vec<_> = rows
                .iter()
                .zip(scores)
                .enumerate()
                .map(|(i, (row, score))| {
                    let mut item = json!({"row": row, "score": score});
                    if let Some(c) = clusters {
                        item["cluster"] = json!(c[i]);
                    }
                    item
                })
                .collect();
            serde_json::to_string_pretty(&json!({"target": target.to_string(), "scores": items}))?
                + "\n"
        }
        Format::Jsonl => {
            let mut out = String::new();
            for (i, (row, score)) in rows.iter().zip(scores).enumerate() {
                let mut item = json!({"row": row, "score": score});
                if let Some(c) = clusters {
                    item["cluster"] = json!(c[i]);
                }
                out += &serde_json::to_string(&item)?;
                out.push('\n');
            }
            out
        }
        Format::Csv => {
            let mut out = String::from(if clusters.is_some() {
                "row,score,cluster\n"
            } else {
                "row,score\n"
            });
            for (i, (row, score)) in rows.iter().zip(scores).enumerate() {
                match clusters {
                    Some(c) => out += &format!("{row},{},{}\n", num(*score), c[i]),
                    None => out += &format!("{row},{}\n", num(*score)),
                }
            }
            out
        }
        Format::Table => {
            let mut header = vec!["row".to_string(), target.to_string()];
            if clusters.is_some() {
                header.push("cluster".into());
            }
            let body: Vec<Vec<String>> = rows
                .iter()
                .zip(scores)
                .enumerate()
                .map(|(i, (row, score))| {
                    let mut r = vec![row.to_string(), short(*score)];
                    if let Some(c) = clusters {
                        r.push(c[i].to_string());
                    }
                    r
                })
                .collect();
            table(&header, &body)
        }
    })
}

/// A number in full precision (CSV, JSON lines).
pub(crate) fn num(v: f64) -> String {
    v.to_string()
}

/// A number shortened for an aligned table.
pub(crate) fn short(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e-3 && v.abs() < 1e5 {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}

fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:>w$}", c, w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            + "\n"
    };
    let mut out = line(header);
    for row in rows {
        out += &line(row);
    }
    out
}
