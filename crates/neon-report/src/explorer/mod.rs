//! The interactive report of `neon report`: one self-contained HTML page (inline CSS and
//! JavaScript, no network) to explore a model's explanations on many rows.
//!
//! - a 2-D map of the rows (t-SNE or PCA) drawn on a canvas, coloured by the model's score
//!   (log scale where it spans orders of magnitude) or by cluster;
//! - hovering a point shows the row's raw values and its explanation (bar chart, score, Σ R and
//!   the dissipated part, so that `score = Σ R + dissipated` can be checked); a click pins it,
//!   a search box jumps to a row by index or id; baselines, when computed, beside NEON;
//! - static tables: the top rows by score, per cluster size / mean raw values / mean relevance,
//!   the global mean |R|, conservation statistics over all rows, the parameters.
//!
//! [`ExplorerData`] holds the numbers (built from a model by [`explore`]); [`render_explorer`]
//! turns them into the page. The tables are computed here, in Rust; the page's script only
//! draws and looks up.

mod build;
mod data;

use crate::color::{categorical, viridis, Rgb, CATEGORICAL};
use crate::error::ReportError;
use crate::html::escape;
use serde::Serialize;
use std::fmt::Write as _;

pub use build::{explore, ExploreSettings, MapKind, Stage};
pub use data::{BaselineSet, Conservation, ExplorerData};

/// The page's script: map drawing, hover / pin / search, the row panel.
const SCRIPT: &str = include_str!("explorer.js");
/// The page's style sheet.
const STYLE: &str = include_str!("explorer.css");

/// Colour-map stops handed to the page (viridis sampled at this many points).
const VIRIDIS_STOPS: usize = 32;

/// `#rrggbb` of a colour.
fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// A number for a table cell: 5 significant digits, exponent form outside [1e-3, 1e6).
pub(crate) fn number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e6).contains(&a) {
        let decimals = (4 - a.log10().floor() as i32).max(0) as usize;
        let text = format!("{v:.decimals$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    } else {
        format!("{v:.4e}")
    }
}

/// The page for `data`: one HTML document, inline style and script, the numbers as JSON.
pub fn render_explorer(data: &ExplorerData) -> Result<String, ReportError> {
    data.validate()?;
    let json = serde_json::to_string(&PageData {
        data,
        viridis: (0..VIRIDIS_STOPS)
            .map(|k| hex(viridis(k as f64 / (VIRIDIS_STOPS - 1) as f64)))
            .collect(),
        palette: CATEGORICAL.iter().copied().map(hex).collect(),
    })
    .map_err(|e| ReportError::Draw(format!("cannot encode the page's data: {e}")))?;
    // inside <script>, "</" would end the element; "<\/" is the same JSON string
    let json = json.replace("</", "<\\/");

    let mut out = String::with_capacity(json.len() + 64 * 1024);
    let title = escape(&data.title);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>{title}</title>\n<style>\n{STYLE}</style>\n</head>"
    );
    let _ = writeln!(out, "<body>\n<main>\n<h1>{title}</h1>");
    for note in &data.notes {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(note));
    }
    out.push_str(&explorer_pane(data));
    out.push_str(&tables(data));
    let _ = writeln!(
        out,
        "</main>\n<script type=\"application/json\" id=\"neon-data\">{json}</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>"
    );
    Ok(out)
}

/// What the page's script reads: the data and the colour maps (so that the page draws the
/// same colours as the static figures).
#[derive(Serialize)]
struct PageData<'a> {
    data: &'a ExplorerData,
    viridis: Vec<String>,
    palette: Vec<String>,
}

/// The map, its controls and the row panel.
fn explorer_pane(data: &ExplorerData) -> String {
    let mut out = String::new();
    let clusters = data.cluster.is_some();
    out.push_str("<section id=\"explore\">\n<h2>Map</h2>\n<div class=\"explorer\">\n");
    out.push_str("<div class=\"map-pane\">\n<div class=\"controls\">\n");
    let _ = writeln!(
        out,
        "<label>colour <select id=\"colour-by\"><option value=\"score\">{}</option>{}</select></label>",
        escape(&data.score_name),
        if clusters {
            "<option value=\"cluster\">cluster</option>"
        } else {
            ""
        }
    );
    out.push_str("<label><input type=\"checkbox\" id=\"log-scale\"> log scale</label>\n");
    out.push_str(
        "<form id=\"search\"><input type=\"search\" id=\"search-box\" placeholder=\"row or id\" \
         aria-label=\"row index or id\"><button type=\"submit\">find</button> \
         <span id=\"search-message\" role=\"status\"></span></form>\n",
    );
    out.push_str("</div>\n");
    let _ = writeln!(
        out,
        "<canvas id=\"map\" width=\"640\" height=\"560\" aria-label=\"{}\"></canvas>",
        escape(&format!("{} of {} rows", data.map_name, data.rows.len()))
    );
    out.push_str("<div id=\"legend\"></div>\n");
    let _ = writeln!(
        out,
        "<p class=\"hint\">{}: hover a point to see its explanation, click to pin it (click empty space to unpin).</p>",
        escape(&data.map_name)
    );
    out.push_str("</div>\n<aside id=\"panel\" aria-live=\"polite\"><p class=\"hint\">Hover a point.</p></aside>\n</div>\n</section>\n");
    out
}

/// A header row and body rows (cells given as HTML) as an HTML table; a row with a point is
/// clickable and pins that point.
fn table(
    out: &mut String,
    caption: &str,
    header: &[String],
    rows: &[(Option<usize>, Vec<String>)],
) {
    let _ = writeln!(
        out,
        "<table class=\"data\">\n<caption>{}</caption>",
        escape(caption)
    );
    out.push_str("<tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr>\n");
    for (point, cells) in rows {
        match point {
            Some(p) => {
                let _ = write!(out, "<tr class=\"pick\" data-point=\"{p}\">");
            }
            None => out.push_str("<tr>"),
        }
        for c in cells {
            let _ = write!(out, "<td>{c}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The static tables under the map.
fn tables(data: &ExplorerData) -> String {
    let mut out = String::new();
    let d = data.features.len();
    let n = data.rows.len();
    let unit = data
        .unit
        .as_deref()
        .map_or(String::new(), |u| format!(" ({u})"));
    let label = |k: usize| match &data.ids {
        Some(ids) => escape(&format!("{} ({})", data.rows[k], ids[k])),
        None => data.rows[k].to_string(),
    };

    // top rows
    let ranked = data.ranked();
    let top = data.top.min(n);
    let what = if data.high_is_unusual {
        format!("highest {}", data.score_name)
    } else {
        format!("lowest {}", data.score_name)
    };
    let _ = writeln!(
        out,
        "<section id=\"top\">\n<h2>Top {top} rows by {}</h2>",
        escape(&what)
    );
    out.push_str(
        "<p>Relevance of each feature (score units); click a row to pin it on the map.</p>\n",
    );
    let mut header = vec!["row".to_string(), data.score_name.clone()];
    if data.cluster.is_some() {
        header.push("cluster".into());
    }
    header.extend(data.features.iter().map(|f| format!("R {f}")));
    header.extend(["Σ R".to_string(), "dissipated".to_string()]);
    let rows: Vec<(Option<usize>, Vec<String>)> = ranked[..top]
        .iter()
        .map(|&k| {
            let mut cells = vec![label(k), number(data.score[k])];
            if let Some(c) = &data.cluster {
                cells.push(c[k].to_string());
            }
            cells.extend(data.relevance[k].iter().map(|&r| number(r)));
            cells.push(number(data.relevance_sum[k]));
            cells.push(number(data.dissipated[k]));
            (Some(k), cells)
        })
        .collect();
    table(
        &mut out,
        &format!("The {top} rows with the {what}, and their explanations"),
        &header,
        &rows,
    );
    out.push_str("</section>\n");

    // clusters
    if let Some(cluster) = &data.cluster {
        let k_max = cluster.iter().copied().max().unwrap_or(0);
        let mut size = vec![0usize; k_max + 1];
        let mut raw = vec![vec![0.0; d]; k_max + 1];
        let mut rel = vec![vec![0.0; d]; k_max + 1];
        for ((&c, values), relevance) in cluster.iter().zip(&data.raw).zip(&data.relevance) {
            size[c] += 1;
            for (sum, v) in raw[c].iter_mut().zip(values) {
                *sum += v;
            }
            for (sum, r) in rel[c].iter_mut().zip(relevance) {
                *sum += r;
            }
        }
        out.push_str("<section id=\"clusters\">\n<h2>Clusters</h2>\n");
        let mut header = vec!["cluster".to_string(), "size".to_string()];
        header.extend(data.features.iter().cloned());
        let swatch = |c: usize| {
            format!(
                "<span class=\"swatch\" style=\"background:{}\"></span>{c}",
                hex(categorical(c))
            )
        };
        let means = |sums: &[Vec<f64>]| -> Vec<(Option<usize>, Vec<String>)> {
            (0..=k_max)
                .filter(|&c| size[c] > 0)
                .map(|c| {
                    let mut cells = vec![swatch(c), size[c].to_string()];
                    cells.extend(sums[c].iter().map(|s| number(s / size[c] as f64)));
                    (None, cells)
                })
                .collect()
        };
        table(
            &mut out,
            &format!("Mean raw value of each feature per cluster{unit}"),
            &header,
            &means(&raw),
        );
        table(
            &mut out,
            &format!(
                "Mean relevance of each feature per cluster, for the {} (positive: the feature supports the score)",
                data.score_name
            ),
            &header,
            &means(&rel),
        );
        out.push_str("</section>\n");
    }

    // global importance and conservation
    out.push_str("<section id=\"global\">\n<h2>Over all shown rows</h2>\n");
    let mut mean_abs = vec![0.0; d];
    for r in &data.relevance {
        for (m, v) in mean_abs.iter_mut().zip(r) {
            *m += v.abs() / n as f64;
        }
    }
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| mean_abs[b].total_cmp(&mean_abs[a]).then(a.cmp(&b)));
    let rows: Vec<(Option<usize>, Vec<String>)> = order
        .iter()
        .map(|&j| (None, vec![escape(&data.features[j]), number(mean_abs[j])]))
        .collect();
    table(
        &mut out,
        &format!("Global importance: mean |R| of each feature over {n} rows"),
        &["feature".to_string(), "mean |R|".to_string()],
        &rows,
    );
    let c = data.conservation();
    table(
        &mut out,
        &format!("Conservation over {n} rows: score = Σ R + dissipated"),
        &["statistic".to_string(), "value".to_string()],
        &[
            (
                None,
                vec![
                    "largest |score − Σ R − dissipated|".into(),
                    format!("{:.3e}", c.max_gap),
                ],
            ),
            (
                None,
                vec![
                    "largest |dissipated| / |score|".into(),
                    format!("{:.3e}", c.max_dissipated_share),
                ],
            ),
            (
                None,
                vec![
                    "mean |dissipated| / |score|".into(),
                    format!("{:.3e}", c.mean_dissipated_share),
                ],
            ),
        ],
    );
    out.push_str("</section>\n");

    out.push_str("<section id=\"parameters\">\n<h2>Parameters</h2>\n<div class=\"params\"><dl>\n");
    for (k, v) in &data.params {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    }
    out.push_str("</dl></div>\n</section>\n");
    out
}

#[cfg(test)]
mod tests;
