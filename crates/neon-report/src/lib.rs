//! # neon-report
//!
//! Everything neon needs to *show* an explanation: the figures of the chapter's experiments
//! (§5.1, Figs. 4–6: t-SNE maps coloured by inlierness or cluster, relevance bar charts, per-cluster
//! box plots; feature-removal curves), the t-SNE embedding behind the maps, colour maps for
//! pixel-relevance heatmaps (§5.2), and a single-file HTML report that puts them together.
//!
//! - Charts: [`BarChart`], [`ScatterMap`], [`BoxPlots`], [`LineChart`]. Each builder stores its
//!   inputs, validates them in `render()`, and returns a [`Figure`] holding the same picture as
//!   SVG text and as PNG bytes. PNG text is drawn with an embedded DejaVu Sans font, so rendering
//!   needs no system fonts.
//! - Embedding: [`tsne`] / [`TsneParams`], t-SNE deterministic for a seed and any thread count:
//!   exact, or Barnes-Hut ([`TsneMethod`]) for thousands of rows; [`pca_map`], the first two
//!   principal components, when a linear map is enough.
//! - Colour: [`seismic`] (diverging, red positive / blue negative, white at zero), [`viridis`]
//!   (sequential), [`heatmap_png`] and [`overlay_png`] for pixel relevance.
//! - Report: [`HtmlReport`], self-contained HTML with numbered figures and a claims table.
//! - Exploration: [`explore`] computes, for any model and target, the scores, explanations, a
//!   map and summaries of many rows; [`render_explorer`] makes them an interactive page (hover,
//!   pin, search; tables of the top rows, clusters, global importance and conservation).
//!
//! ```
//! use ndarray::Array2;
//! use neon_xai_report::{tsne, BarChart, BarSeries, HtmlReport, ScatterMap};
//!
//! // 60 points in three groups of 20, in 4 dimensions
//! let data = Array2::from_shape_fn((60, 4), |(i, j)| {
//!     (if j == i % 3 { 8.0 } else { 0.0 }) + ((i * 13 + j * 7) % 10) as f64 / 10.0
//! });
//! let map = tsne(data.view(), 10.0, 0)?;
//! let inlierness: Vec<f64> = (0..60).map(|i| f64::from(i % 20) / 20.0).collect();
//!
//! let scatter = ScatterMap::new("Data (t-SNE, perplexity 10)", map.view())
//!     .continuous(inlierness, "inlierness p̃(x)")
//!     .highlight(7, "instance 7")
//!     .render()?;
//! let bars = BarChart::new("Explanation of inlierness", ["a", "b", "c", "d"])
//!     .value_label("relevance Rᵢ (score units)")
//!     .series(BarSeries::new("instance 7", vec![0.3, -0.1, 0.2, 0.05]))
//!     .sign_colors(true)
//!     .render()?;
//!
//! let mut report = HtmlReport::new("Example");
//! report
//!     .section("Inlierness")
//!     .figure(&scatter, "t-SNE map coloured by inlierness.")
//!     .figure(&bars, "Relevance of each feature for instance 7.");
//! let html = report.render();
//! assert!(html.contains("Report figure 2."));
//! # Ok::<(), neon_xai_report::ReportError>(())
//! ```
#![deny(missing_docs)]

mod charts;
mod color;
mod error;
mod explorer;
mod figure;
mod font;
mod html;
mod io;
mod pca;
mod tsne;
mod tsne_bh;
mod tsne_schedule;

pub use charts::{largest_abs, HeatmapPanel, HeatmapScale};
pub use charts::{
    BarChart, BarSeries, BoxGroup, BoxPlots, BoxStats, Curve, LineChart, Orientation, ScatterMap,
    StripChart,
};
pub use color::{
    categorical, heatmap_png, linear_unit, overlay_png, seismic, symmetric_unit, viridis, ColorMap,
    Rgb, CATEGORICAL,
};
pub use color::{heatmap_png_scaled, overlay_png_scaled};
pub use error::ReportError;
pub use explorer::{
    explore, render_explorer, BaselineSet, Conservation, ExploreSettings, ExplorerData, MapKind,
    Stage,
};
pub use figure::Figure;
pub use html::{Claim, HtmlReport};
pub use pca::pca_map;
pub use tsne::{tsne, TsneMethod, TsneParams};
