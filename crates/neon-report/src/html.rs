//! [`HtmlReport`]: one self-contained HTML page (inline CSS, inline SVG, PNG as data URIs; no
//! scripts, no external fonts or stylesheets) that reproduces an analysis end to end.

use std::fmt::{Display, Write as _};
use std::path::Path;

use base64::Engine as _;

use crate::error::ReportError;
use crate::figure::Figure;
use crate::io::write_atomic;

/// One row of a claims table: what the chapter states, what was measured, and whether it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The statement checked, e.g. "instance 339 has inlierness ≈ 0".
    pub claim: String,
    /// What was measured, e.g. "p̃(x) = 3.1e-5".
    pub measured: String,
    /// Whether the measurement supports the claim.
    pub holds: bool,
}

impl Claim {
    /// A claim, its measurement and verdict.
    pub fn new(claim: impl Into<String>, measured: impl Into<String>, holds: bool) -> Self {
        Self {
            claim: claim.into(),
            measured: measured.into(),
            holds,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Block {
    Section(String),
    Subsection(String),
    Paragraph(String),
    Table {
        caption: Option<String>,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Figure {
        caption: String,
        content: FigureContent,
    },
    Params {
        title: Option<String>,
        items: Vec<(String, String)>,
    },
    Claims(Vec<Claim>),
}

#[derive(Debug, Clone, PartialEq)]
enum FigureContent {
    Svg(String),
    Png(Vec<u8>),
}

/// Builder of a single-file HTML report: a title, then sections with headings, paragraphs,
/// tables, numbered figures, parameter lists and claims tables, in the order added.
///
/// All text is HTML-escaped; figures are embedded (SVG inline, PNG as a base64 data URI), so the
/// page needs nothing but itself to display.
///
/// ```
/// use neon_xai_report::{Claim, HtmlReport};
/// let mut report = HtmlReport::new("Wholesale customers");
/// report
///     .section("Data")
///     .paragraph("440 customers, 6 spending categories <m.u.>")
///     .params([("gamma", "1"), ("n_features", "2500")])
///     .claims([Claim::new("339 is an outlier", "p̃ = 0.0001", true)]);
/// let html = report.render();
/// assert!(html.contains("&lt;m.u.&gt;"));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HtmlReport {
    title: String,
    blocks: Vec<Block>,
}

impl HtmlReport {
    /// An empty report with a page title (also the top heading).
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    /// Start a new section with a heading (listed in the table of contents).
    pub fn section(&mut self, heading: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Section(heading.into()));
        self
    }

    /// A smaller heading inside the current section.
    pub fn subsection(&mut self, heading: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Subsection(heading.into()));
        self
    }

    /// A paragraph of plain text (escaped).
    pub fn paragraph(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    /// A table with a header row and data rows; cells are anything printable.
    pub fn table<H, R, C>(&mut self, header: H, rows: R) -> &mut Self
    where
        H: IntoIterator,
        H::Item: Display,
        R: IntoIterator<Item = C>,
        C: IntoIterator,
        C::Item: Display,
    {
        self.push_table(None, header, rows)
    }

    /// A numbered table ("Report table k. caption") with a header row and data rows.
    ///
    /// The label says "Report table" so that the page's own tables never share a name with
    /// the tables of a paper the report reproduces (which it calls e.g. "the chapter's
    /// Table 1").
    pub fn table_with_caption<H, R, C>(
        &mut self,
        caption: impl Into<String>,
        header: H,
        rows: R,
    ) -> &mut Self
    where
        H: IntoIterator,
        H::Item: Display,
        R: IntoIterator<Item = C>,
        C: IntoIterator,
        C::Item: Display,
    {
        self.push_table(Some(caption.into()), header, rows)
    }

    fn push_table<H, R, C>(&mut self, caption: Option<String>, header: H, rows: R) -> &mut Self
    where
        H: IntoIterator,
        H::Item: Display,
        R: IntoIterator<Item = C>,
        C: IntoIterator,
        C::Item: Display,
    {
        self.blocks.push(Block::Table {
            caption,
            header: header.into_iter().map(|h| h.to_string()).collect(),
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(|c| c.to_string()).collect())
                .collect(),
        });
        self
    }

    /// A numbered figure ("Report figure k. caption") showing the figure's SVG inline; the label
    /// keeps the page's own figures apart from a chapter's "Fig. k".
    ///
    /// The SVG is trusted markup (as produced by this crate's charts) and is not escaped.
    pub fn figure(&mut self, figure: &Figure, caption: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Figure {
            caption: caption.into(),
            content: FigureContent::Svg(figure.svg.clone()),
        });
        self
    }

    /// A numbered figure from PNG bytes (e.g. a heatmap from [`crate::heatmap_png`] or a
    /// figure's `png`), embedded as a base64 data URI.
    pub fn figure_png(&mut self, png: &[u8], caption: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Figure {
            caption: caption.into(),
            content: FigureContent::Png(png.to_vec()),
        });
        self
    }

    /// A key–value list of parameters (e.g. `gamma = 1`, `n_features = 2500`).
    pub fn params<I, K, V>(&mut self, items: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Display,
        V: Display,
    {
        self.push_params(None, items)
    }

    /// A titled key–value list of parameters.
    pub fn params_titled<I, K, V>(&mut self, title: impl Into<String>, items: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Display,
        V: Display,
    {
        self.push_params(Some(title.into()), items)
    }

    fn push_params<I, K, V>(&mut self, title: Option<String>, items: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Display,
        V: Display,
    {
        self.blocks.push(Block::Params {
            title,
            items: items
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
        self
    }

    /// A claims table: claim, measured value, and a green ✓ or red ✗.
    pub fn claims(&mut self, claims: impl IntoIterator<Item = Claim>) -> &mut Self {
        self.blocks
            .push(Block::Claims(claims.into_iter().collect()));
        self
    }

    /// Number of figures added so far (the last figure's number).
    pub fn figure_count(&self) -> usize {
        self.blocks
            .iter()
            .filter(|b| matches!(b, Block::Figure { .. }))
            .count()
    }

    /// The whole page as one HTML document.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16_384);
        let title = escape(&self.title);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(out, "<title>{title}</title>");
        let _ = writeln!(out, "<style>\n{CSS}</style>\n</head>\n<body>\n<main>");
        let _ = writeln!(out, "<h1>{title}</h1>");

        let sections: Vec<&str> = self
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Section(h) => Some(h.as_str()),
                _ => None,
            })
            .collect();
        if sections.len() > 1 {
            out.push_str("<nav class=\"toc\"><h2>Contents</h2>\n<ol>\n");
            for (k, heading) in sections.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "<li><a href=\"#section-{}\">{}</a></li>",
                    k + 1,
                    escape(heading)
                );
            }
            out.push_str("</ol></nav>\n");
        }

        let (mut section, mut figure, mut table) = (0, 0, 0);
        let mut open = false;
        for block in &self.blocks {
            match block {
                Block::Section(heading) => {
                    if open {
                        out.push_str("</section>\n");
                    }
                    section += 1;
                    open = true;
                    let _ = writeln!(
                        out,
                        "<section id=\"section-{section}\">\n<h2>{}</h2>",
                        escape(heading)
                    );
                }
                Block::Subsection(heading) => {
                    let _ = writeln!(out, "<h3>{}</h3>", escape(heading));
                }
                Block::Paragraph(text) => {
                    let _ = writeln!(out, "<p>{}</p>", escape(text));
                }
                Block::Table {
                    caption,
                    header,
                    rows,
                } => {
                    out.push_str("<table class=\"data\">\n");
                    if let Some(caption) = caption {
                        table += 1;
                        let _ = writeln!(
                            out,
                            "<caption><b>{TABLE_LABEL} {table}.</b> {}</caption>",
                            escape(caption)
                        );
                    }
                    write_row(&mut out, "th", header);
                    for row in rows {
                        write_row(&mut out, "td", row);
                    }
                    out.push_str("</table>\n");
                }
                Block::Figure { caption, content } => {
                    figure += 1;
                    let _ = writeln!(out, "<figure id=\"figure-{figure}\">");
                    match content {
                        FigureContent::Svg(svg) => {
                            out.push_str(&inline_svg(svg));
                            out.push('\n');
                        }
                        FigureContent::Png(png) => {
                            let data = base64::engine::general_purpose::STANDARD.encode(png);
                            let _ = writeln!(
                                out,
                                "<img src=\"data:image/png;base64,{data}\" alt=\"{}\">",
                                escape(caption)
                            );
                        }
                    }
                    let _ = writeln!(
                        out,
                        "<figcaption><b>{FIGURE_LABEL} {figure}.</b> {}</figcaption>\n</figure>",
                        escape(caption)
                    );
                }
                Block::Params { title, items } => {
                    out.push_str("<div class=\"params\">\n");
                    if let Some(title) = title {
                        let _ = writeln!(out, "<h4>{}</h4>", escape(title));
                    }
                    out.push_str("<dl>\n");
                    for (k, v) in items {
                        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
                    }
                    out.push_str("</dl>\n</div>\n");
                }
                Block::Claims(claims) => {
                    out.push_str("<table class=\"claims\">\n");
                    out.push_str("<tr><th>Claim</th><th>Measured</th><th>Holds</th></tr>\n");
                    for c in claims {
                        let (class, mark, word) = if c.holds {
                            ("holds", "✓", "yes")
                        } else {
                            ("fails", "✗", "no")
                        };
                        let _ = writeln!(
                            out,
                            "<tr class=\"{class}\"><td>{}</td><td>{}</td>\
                             <td class=\"verdict\" title=\"{word}\">{mark}</td></tr>",
                            escape(&c.claim),
                            escape(&c.measured)
                        );
                    }
                    out.push_str("</table>\n");
                }
            }
        }
        if open {
            out.push_str("</section>\n");
        }
        out.push_str("</main>\n</body>\n</html>\n");
        out
    }

    /// Write the rendered page to `path` atomically (temporary sibling, then rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ReportError> {
        write_atomic(path.as_ref(), self.render().as_bytes())
    }
}

fn write_row(out: &mut String, cell: &str, values: &[String]) {
    out.push_str("<tr>");
    for v in values {
        let _ = write!(out, "<{cell}>{}</{cell}>", escape(v));
    }
    out.push_str("</tr>\n");
}

/// Escape text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Prepare an SVG document for inlining: drop an XML prologue and the namespace declaration
/// (implied inside HTML), and let CSS scale it.
fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    svg[start..]
        .trim_end()
        .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen("<svg ", "<svg role=\"img\" ", 1)
}

/// The label of the page's numbered tables, distinct from any paper's "Table k".
const TABLE_LABEL: &str = "Report table";
/// Label of the page's numbered figures (a chapter's own figures are "Fig. k").
const FIGURE_LABEL: &str = "Report figure";

/// The page's style sheet: readable text width, quiet tables, green/red verdicts.
const CSS: &str = r#"body { margin: 0; background: #fafafa; color: #1e1e1e;
  font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; line-height: 1.5; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 2rem 4rem; background: #fff; }
h1 { font-size: 1.9rem; border-bottom: 2px solid #ddd; padding-bottom: .4rem; }
h2 { font-size: 1.4rem; margin-top: 2.2rem; border-bottom: 1px solid #eee; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
h4 { margin: .2rem 0 .4rem; font-size: 1rem; }
p { max-width: 50rem; }
nav.toc { background: #f4f4f4; padding: .4rem 1.2rem; border-radius: 6px; display: inline-block; }
nav.toc h2 { font-size: 1.05rem; margin: .4rem 0; border: none; }
nav.toc a { color: #1f4e8c; text-decoration: none; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .95rem; }
caption { caption-side: top; text-align: left; padding-bottom: .4rem; }
th, td { padding: .35rem .8rem; border-bottom: 1px solid #e3e3e3; text-align: left; }
th { background: #f0f0f0; }
table.data td { font-variant-numeric: tabular-nums; white-space: nowrap; }
table.claims tr.holds td.verdict { color: #1a7f37; background: #e8f5ec; font-weight: bold; text-align: center; }
table.claims tr.fails td.verdict { color: #b42318; background: #fdecea; font-weight: bold; text-align: center; }
.params { margin: 1rem 0; }
.params dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1.2rem; margin: 0; }
.params dt { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; color: #555; }
.params dd { margin: 0; font-variant-numeric: tabular-nums; }
figure { margin: 1.5rem 0; }
figure svg, figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .95rem; color: #333; margin-top: .4rem; max-width: 50rem; }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> HtmlReport {
        let mut r = HtmlReport::new("NEON <report> & co");
        r.section("Inlierness")
            .paragraph("Instance 339 <script>alert(1)</script> is an outlier")
            .table_with_caption(
                "Feature values (m.u.)",
                ["index", "fresh", "milk"],
                [vec!["338", "9351", "1347"], vec!["339", "3", "333"]],
            )
            .figure(
                &Figure {
                    svg: "<svg width=\"10\" height=\"10\" viewBox=\"0 0 10 10\" xmlns=\"http://www.w3.org/2000/svg\"><text>t</text></svg>".to_string(),
                    png: Vec::new(),
                },
                "t-SNE map <coloured> by inlierness",
            )
            .figure_png(&[137, 80, 78, 71], "Heatmap")
            .section("Clusters")
            .params_titled("k-means", [("n_clusters", 6), ("n_init", 10)])
            .claims([
                Claim::new("338 is an inlier", "p̃ = 0.31", true),
                Claim::new("fresh drives 339's outlierness", "R = 0.02 < 'milk'", false),
            ]);
        r
    }

    #[test]
    fn text_is_escaped() {
        let html = sample().render();
        assert!(html.contains("NEON &lt;report&gt; &amp; co"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;coloured&gt;"));
        assert!(html.contains("&#39;milk&#39;"));
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
    }

    #[test]
    fn page_is_self_contained() {
        let html = sample().render();
        assert!(!html.contains("http://"), "no http references");
        assert!(!html.contains("https://"), "no https references");
        assert!(!html.contains("<link"));
        assert!(!html.contains("@import"));
        assert!(html.contains("<style>"));
        assert!(html.contains("<svg role=\"img\" width=\"10\""));
        assert!(html.contains("src=\"data:image/png;base64,iVBORw==\""));
    }

    #[test]
    fn figures_and_tables_are_numbered_and_sections_listed() {
        let report = sample();
        assert_eq!(report.figure_count(), 2);
        let html = report.render();
        assert!(html.contains("<b>Report figure 1.</b> t-SNE map"));
        assert!(html.contains("<b>Report figure 2.</b> Heatmap"));
        assert!(html.contains("<b>Report table 1.</b> Feature values (m.u.)"));
        assert!(
            !html.contains("<b>Table "),
            "numbered tables never read as a paper's"
        );
        assert!(html.contains("<a href=\"#section-2\">Clusters</a>"));
        assert_eq!(html.matches("<section").count(), 2);
        assert_eq!(html.matches("</section>").count(), 2);
        assert!(html.contains("<dt>n_clusters</dt><dd>6</dd>"));
        assert!(html.contains("<tr><th>index</th><th>fresh</th><th>milk</th></tr>"));
    }

    #[test]
    fn claims_show_verdicts() {
        let html = sample().render();
        assert!(html.contains("<tr class=\"holds\"><td>338 is an inlier</td><td>p̃ = 0.31</td>"));
        assert!(html.contains("title=\"yes\">✓</td>"));
        assert!(html.contains("<tr class=\"fails\">"));
        assert!(html.contains("title=\"no\">✗</td>"));
    }

    #[test]
    fn save_writes_the_page() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.html");
        let report = sample();
        report.save(&path).expect("save");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            report.render()
        );
    }
}
