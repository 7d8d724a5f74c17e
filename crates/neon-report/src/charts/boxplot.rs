//! Grouped box plots: population statistics of each feature within each cluster
//! (chapter §5.1, Fig. 6).

use ndarray::{ArrayView2, Axis};
use plotters::coord::Shift;
use plotters::element::{Circle, Cross, PathElement, Rectangle};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend};
use plotters::style::{Color, ShapeStyle, BLACK};

use super::axes::{
    category_axis, category_index, format_tick, frame, min_max, nice_step, padded, value_axis, GRID,
};
use crate::color::{categorical, Rgb};
use crate::error::ReportError;
use crate::error::{check_finite, check_len, draw_err};
use crate::figure::Figure;
use crate::figure::{render, text_style, Draw, INK, LABEL_SIZE, TICK_SIZE};

/// Five-number summary of one box: quartiles, whiskers at the most extreme data within
/// 1.5 IQR of the box, and the points beyond them.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxStats {
    /// First quartile (25th percentile, linear interpolation as NumPy's default).
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile (75th percentile).
    pub q3: f64,
    /// Lower whisker: the smallest value ≥ q1 − 1.5 IQR.
    pub whisker_low: f64,
    /// Upper whisker: the largest value ≤ q3 + 1.5 IQR.
    pub whisker_high: f64,
    /// Values outside the whiskers.
    pub outliers: Vec<f64>,
}

impl BoxStats {
    /// Summarise `values` (finite); `None` when there are none.
    pub fn from_values(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let q1 = quantile(&sorted, 0.25);
        let median = quantile(&sorted, 0.5);
        let q3 = quantile(&sorted, 0.75);
        let iqr = q3 - q1;
        let (lo_fence, hi_fence) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
        let inside = sorted
            .iter()
            .copied()
            .filter(|v| (lo_fence..=hi_fence).contains(v));
        let (whisker_low, whisker_high) = min_max(inside);
        let outliers = sorted
            .iter()
            .copied()
            .filter(|v| *v < whisker_low || *v > whisker_high)
            .collect();
        Some(Self {
            q1,
            median,
            q3,
            whisker_low,
            whisker_high,
            outliers,
        })
    }
}

/// Quantile `q` of sorted values, interpolating linearly between order statistics.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let i = pos.floor() as usize;
    let j = (i + 1).min(sorted.len() - 1);
    let f = pos - i as f64;
    sorted[i] * (1.0 - f) + sorted[j] * f
}

/// One group (e.g. one cluster): its members' feature values and optional marked instances.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxGroup {
    name: String,
    columns: Vec<Vec<f64>>,
    marks: Vec<Vec<f64>>,
    color: Option<Rgb>,
}

impl BoxGroup {
    /// A group called `name` whose members are the rows of `data` (members × features).
    pub fn new(name: impl Into<String>, data: ArrayView2<f64>) -> Self {
        Self {
            name: name.into(),
            columns: data.axis_iter(Axis(1)).map(|c| c.to_vec()).collect(),
            marks: Vec::new(),
            color: None,
        }
    }

    /// Mark one instance in this group with a black cross on every feature's box
    /// (one value per feature).
    pub fn mark(mut self, values: impl Into<Vec<f64>>) -> Self {
        self.marks.push(values.into());
        self
    }

    /// Box colour (default: the group's categorical colour, matching [`crate::ScatterMap`]).
    pub fn color(mut self, color: Rgb) -> Self {
        self.color = Some(color);
        self
    }
}

/// Box plots of every feature for every group, one panel per group on a shared value axis.
///
/// ```
/// use ndarray::array;
/// use neon_xai_report::{BoxGroup, BoxPlots};
/// let cluster = array![[0.1, -1.0], [0.3, -0.5], [0.2, -0.8], [0.6, -0.2]];
/// let fig = BoxPlots::new("Population statistics", ["fresh", "milk"])
///     .value_label("log-standardised value")
///     .group(BoxGroup::new("cluster 2", cluster.view()).mark(vec![0.25, -0.6]))
///     .render()?;
/// assert!(fig.svg.contains("cluster 2"));
/// # Ok::<(), neon_xai_report::ReportError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BoxPlots {
    title: String,
    features: Vec<String>,
    groups: Vec<BoxGroup>,
    value_label: String,
    columns: Option<usize>,
    size: (u32, u32),
}

impl BoxPlots {
    /// Box plots titled `title` for the named features (in order).
    pub fn new<S: Into<String>>(
        title: impl Into<String>,
        features: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            title: title.into(),
            features: features.into_iter().map(Into::into).collect(),
            groups: Vec::new(),
            value_label: "value".to_string(),
            columns: None,
            size: (1100, 720),
        }
    }

    /// Add a group (one panel).
    pub fn group(mut self, group: BoxGroup) -> Self {
        self.groups.push(group);
        self
    }

    /// Label of the value axis, with units, e.g. "log-standardised spending".
    pub fn value_label(mut self, label: impl Into<String>) -> Self {
        self.value_label = label.into();
        self
    }

    /// Panels per row (default: up to 3).
    pub fn columns(mut self, columns: usize) -> Self {
        self.columns = Some(columns.max(1));
        self
    }

    /// Figure size in pixels (default 1100 × 720).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Validate the inputs and draw the panels.
    pub fn render(&self) -> Result<Figure, ReportError> {
        self.validate()?;
        render(self, self.size)
    }

    fn validate(&self) -> Result<(), ReportError> {
        if self.features.is_empty() {
            return Err(ReportError::Empty {
                what: "box plot features",
            });
        }
        if self.groups.is_empty() {
            return Err(ReportError::Empty {
                what: "box plot groups",
            });
        }
        let n = self.features.len();
        for g in &self.groups {
            check_len(
                format!("features of group {:?}", g.name),
                n,
                g.columns.len(),
            )?;
            check_finite("box plot data", g.columns.iter().flatten())?;
            for m in &g.marks {
                check_len(format!("marked point in group {:?}", g.name), n, m.len())?;
                check_finite("marked point", m)?;
            }
        }
        Ok(())
    }

    fn layout(&self) -> (usize, usize) {
        let cols = self.columns.unwrap_or(3).min(self.groups.len()).max(1);
        (self.groups.len().div_ceil(cols), cols)
    }

    fn value_range(&self) -> (f64, f64) {
        let all = self
            .groups
            .iter()
            .flat_map(|g| g.columns.iter().flatten().chain(g.marks.iter().flatten()))
            .copied();
        let (lo, hi) = min_max(all);
        padded(lo, hi, 0.05)
    }
}

impl Draw for BoxPlots {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ReportError> {
        let body = frame(area, &self.title, &[])?;
        let (rows, cols) = self.layout();
        let panels = body.split_evenly((rows, cols));
        let n = self.features.len();
        let (lo, hi) = self.value_range();
        let step = nice_step(lo, hi, 5);
        let value_at = |v: &f64| format_tick(*v, step);

        let tick_font = text_style(TICK_SIZE);
        let longest = self
            .features
            .iter()
            .map(|f| area.estimate_text_size(f, &tick_font).map(|(w, _)| w))
            .collect::<Result<Vec<_>, _>>()
            .map_err(draw_err)?
            .into_iter()
            .max()
            .unwrap_or(0);

        for (g, (group, panel)) in self.groups.iter().zip(&panels).enumerate() {
            let first_column = g % cols == 0;
            let bottom_row = g / cols == rows - 1 || g + cols >= self.groups.len();
            // Feature names only in the first column; the rows share them.
            let name_at = |v: &f64| {
                if first_column {
                    category_index(*v, n)
                        .map(|p| self.features[n - 1 - p].clone())
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            };
            let mut chart = ChartBuilder::on(panel)
                .caption(&group.name, text_style(LABEL_SIZE))
                .margin(8)
                .margin_right(16)
                .x_label_area_size(if bottom_row { 48 } else { 26 })
                .y_label_area_size(if first_column { longest + 14 } else { 8 })
                .build_cartesian_2d(value_axis(lo, hi, 5), category_axis(n))
                .map_err(draw_err)?;
            {
                let mut mesh = chart.configure_mesh();
                mesh.disable_y_mesh()
                    .bold_line_style(GRID)
                    .axis_style(INK)
                    .label_style(text_style(TICK_SIZE))
                    .axis_desc_style(text_style(LABEL_SIZE))
                    .x_label_formatter(&value_at)
                    .y_label_formatter(&name_at);
                if bottom_row {
                    mesh.x_desc(&self.value_label);
                }
                mesh.draw().map_err(draw_err)?;
            }

            let color = group.color.unwrap_or(categorical(g)).to_plotters();
            let outline = ShapeStyle::from(&color).stroke_width(2);
            let ink = ShapeStyle::from(&INK).stroke_width(2);
            for (f, values) in group.columns.iter().enumerate() {
                let Some(stats) = BoxStats::from_values(values) else {
                    continue;
                };
                let y = (n - 1 - f) as f64;
                let (h, cap) = (0.32, 0.16);
                chart
                    .draw_series([
                        Rectangle::new(
                            [(stats.q1, y - h), (stats.q3, y + h)],
                            color.mix(0.35).filled(),
                        ),
                        Rectangle::new([(stats.q1, y - h), (stats.q3, y + h)], outline),
                    ])
                    .map_err(draw_err)?;
                let lines = [
                    vec![(stats.median, y - h), (stats.median, y + h)],
                    vec![(stats.whisker_low, y), (stats.q1, y)],
                    vec![(stats.q3, y), (stats.whisker_high, y)],
                    vec![(stats.whisker_low, y - cap), (stats.whisker_low, y + cap)],
                    vec![(stats.whisker_high, y - cap), (stats.whisker_high, y + cap)],
                ];
                chart
                    .draw_series(lines.into_iter().map(|l| PathElement::new(l, ink)))
                    .map_err(draw_err)?;
                chart
                    .draw_series(
                        stats.outliers.iter().map(|&v| {
                            Circle::new((v, y), 3, ShapeStyle::from(&INK).stroke_width(1))
                        }),
                    )
                    .map_err(draw_err)?;
            }
            let crosses = group.marks.iter().flat_map(|m| {
                m.iter().enumerate().map(move |(f, &v)| {
                    Cross::new((v, (n - 1 - f) as f64), 7, BLACK.stroke_width(3))
                })
            });
            chart.draw_series(crosses).map_err(draw_err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{assert_png, assert_svg_contains};
    use ndarray::Array2;

    #[test]
    fn quartiles_match_numpy_linear_interpolation() {
        // numpy.percentile([1, 2, 3, 4, 10], [25, 50, 75]) == [2, 3, 4]
        let s = BoxStats::from_values(&[10.0, 1.0, 3.0, 2.0, 4.0]).expect("stats");
        assert_eq!((s.q1, s.median, s.q3), (2.0, 3.0, 4.0));
        // IQR 2: upper fence 7, so 10 is an outlier and the whisker stops at 4
        assert_eq!(s.whisker_high, 4.0);
        assert_eq!(s.whisker_low, 1.0);
        assert_eq!(s.outliers, vec![10.0]);
        let even = BoxStats::from_values(&[1.0, 2.0, 3.0, 4.0]).expect("stats");
        assert_eq!((even.q1, even.median, even.q3), (1.75, 2.5, 3.25));
        assert!(BoxStats::from_values(&[]).is_none());
    }

    fn cluster(seed: usize, rows: usize, features: usize) -> Array2<f64> {
        Array2::from_shape_fn((rows, features), |(i, j)| {
            let k = (i * 37 + j * 11 + seed * 5) % 23;
            (k as f64 - 11.0) / 6.0 + seed as f64 * 0.3
        })
    }

    #[test]
    fn panels_have_titles_labels_and_feature_names() {
        let features = [
            "fresh",
            "milk",
            "grocery",
            "frozen",
            "detergents/paper",
            "delicatessen",
        ];
        let mut plots = BoxPlots::new("Population statistics per cluster", features)
            .value_label("log-standardised spending (σ)");
        for c in 0..6 {
            let mut group = BoxGroup::new(format!("cluster {c}"), cluster(c, 40, 6).view());
            if c == 2 {
                group = group.mark(vec![0.1, 0.2, -0.3, 1.5, 0.0, 0.4]);
            }
            plots = plots.group(group);
        }
        let fig = plots.render().expect("render");
        let mut needles = vec![
            "Population statistics per cluster",
            "log-standardised spending (σ)",
        ];
        needles.extend(features);
        needles.extend(["cluster 0", "cluster 5"]);
        assert_svg_contains(&fig, &needles);
        assert_png(&fig, (1100, 720));
    }

    #[test]
    fn wrong_shapes_are_rejected() {
        let data = cluster(0, 5, 3);
        let plots = BoxPlots::new("t", ["a", "b"]).group(BoxGroup::new("g", data.view()));
        assert!(matches!(
            plots.render(),
            Err(ReportError::LengthMismatch { .. })
        ));
        let data = cluster(0, 5, 2);
        let plots =
            BoxPlots::new("t", ["a", "b"]).group(BoxGroup::new("g", data.view()).mark(vec![1.0]));
        assert!(matches!(
            plots.render(),
            Err(ReportError::LengthMismatch { .. })
        ));
        assert!(matches!(
            BoxPlots::new("t", ["a"]).render(),
            Err(ReportError::Empty { .. })
        ));
    }

    #[test]
    fn layout_wraps_panels() {
        let data = cluster(0, 5, 1);
        let mut plots = BoxPlots::new("t", ["a"]);
        for _ in 0..4 {
            plots = plots.group(BoxGroup::new("g", data.view()));
        }
        assert_eq!(plots.layout(), (2, 3));
        assert_eq!(plots.clone().columns(2).layout(), (2, 2));
        assert_eq!(plots.columns(10).layout(), (1, 4));
    }
}
