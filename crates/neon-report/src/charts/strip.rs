//! Strip charts ("beeswarm-like"): every row's relevance per feature as a dot, one band per
//! feature, so that a summary over many explanations shows both the typical size and the
//! spread and sign of each feature's relevance.

use plotters::coord::Shift;
use plotters::element::{Circle, PathElement};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend};
use plotters::style::{Color, ShapeStyle};

use super::axes::{
    category_axis, category_index, format_tick, frame, min_max, nice_step, padded, value_axis,
    Swatch, GRID,
};
use crate::color::Rgb;
use crate::error::{check_finite, check_len, draw_err, ReportError};
use crate::figure::{render, text_style, Draw, Figure, INK, LABEL_SIZE, TICK_SIZE};

/// One band per category (feature), top to bottom in the order given, with one dot per row at
/// its value: positive red, negative blue (the relevance colours), spread vertically within the
/// band by a fixed pseudo-random jitter so that equal values stay visible; a black tick marks
/// each band's mean.
///
/// ```
/// use neon_xai_report::StripChart;
/// let fig = StripChart::new("Outlierness, 3 rows", ["milk", "fresh"])
///     .values(vec![vec![0.5, 0.7, -0.1], vec![0.1, 0.0, 0.2]])
///     .value_label("relevance (outlierness units)")
///     .render()?;
/// assert!(fig.svg.contains("milk"));
/// # Ok::<(), neon_xai_report::ReportError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StripChart {
    title: String,
    categories: Vec<String>,
    values: Vec<Vec<f64>>,
    value_label: String,
    size: (u32, u32),
}

impl StripChart {
    /// A chart titled `title` with one band per category, in order from the top.
    pub fn new<S: Into<String>>(
        title: impl Into<String>,
        categories: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            title: title.into(),
            categories: categories.into_iter().map(Into::into).collect(),
            values: Vec::new(),
            value_label: "value".to_string(),
            size: (800, 480),
        }
    }

    /// The values: one list per category (`values[c][row]`).
    pub fn values(mut self, values: Vec<Vec<f64>>) -> Self {
        self.values = values;
        self
    }

    /// Label of the value axis, with units.
    pub fn value_label(mut self, label: impl Into<String>) -> Self {
        self.value_label = label.into();
        self
    }

    /// Figure size in pixels (default 800 × 480).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Validate the inputs and draw the chart.
    pub fn render(&self) -> Result<Figure, ReportError> {
        if self.categories.is_empty() {
            return Err(ReportError::Empty {
                what: "strip chart categories",
            });
        }
        check_len(
            "strip chart values",
            self.categories.len(),
            self.values.len(),
        )?;
        for v in &self.values {
            check_finite("strip chart values", v)?;
        }
        if self.values.iter().all(Vec::is_empty) {
            return Err(ReportError::Empty {
                what: "strip chart values",
            });
        }
        render(self, self.size)
    }
}

/// A fixed jitter in `[-0.3, 0.3]` for dot `i` (a low-discrepancy sequence: the same picture
/// every time, dots spread evenly over the band).
fn jitter(i: usize) -> f64 {
    const GOLDEN: f64 = 0.618_033_988_749_894_9;
    ((i as f64 * GOLDEN).fract() - 0.5) * 0.6
}

impl Draw for StripChart {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ReportError> {
        let n = self.categories.len();
        let (lo, hi) = min_max(self.values.iter().flatten().copied().chain([0.0]));
        let (lo, hi) = padded(lo, hi, 0.06);
        let step = nice_step(lo, hi, 8);
        let tick_font = text_style(TICK_SIZE);
        let longest = self
            .categories
            .iter()
            .map(|c| area.estimate_text_size(c, &tick_font).map(|(w, _)| w))
            .collect::<Result<Vec<_>, _>>()
            .map_err(draw_err)?
            .into_iter()
            .max()
            .unwrap_or(0);
        let legend = [
            ("positive", Swatch::Block(Rgb::POSITIVE, 1.0)),
            ("negative", Swatch::Block(Rgb::NEGATIVE, 1.0)),
        ];
        let plot = frame(area, &self.title, &legend)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size(longest + 16)
            .build_cartesian_2d(value_axis(lo, hi, 8), category_axis(n))
            .map_err(draw_err)?;
        let name_at = |v: &f64| {
            category_index(*v, n)
                .map(|p| self.categories[n - 1 - p].clone())
                .unwrap_or_default()
        };
        let value_at = |v: &f64| format_tick(*v, step);
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .axis_style(INK)
            .label_style(text_style(TICK_SIZE))
            .axis_desc_style(text_style(LABEL_SIZE))
            .disable_y_mesh()
            .x_label_formatter(&value_at)
            .y_label_formatter(&name_at)
            .x_desc(&self.value_label)
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series([PathElement::new(
                vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
                ShapeStyle::from(&INK).stroke_width(1),
            )])
            .map_err(draw_err)?;
        let dots = self.values.len().max(1);
        let alpha = (0.9 - 0.1 * (dots as f64).log10()).clamp(0.35, 0.9);
        for (c, values) in self.values.iter().enumerate() {
            let y = (n - 1 - c) as f64;
            let circles = values.iter().enumerate().map(|(i, &v)| {
                let color = if v < 0.0 {
                    Rgb::NEGATIVE
                } else {
                    Rgb::POSITIVE
                };
                Circle::new(
                    (v, y + jitter(i)),
                    3,
                    color.to_plotters().mix(alpha).filled(),
                )
            });
            chart.draw_series(circles).map_err(draw_err)?;
            if !values.is_empty() {
                let mean = values.iter().sum::<f64>() / values.len() as f64;
                chart
                    .draw_series([PathElement::new(
                        vec![(mean, y - 0.4), (mean, y + 0.4)],
                        ShapeStyle::from(&INK).stroke_width(3),
                    )])
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{assert_png, assert_svg_contains};

    #[test]
    fn draws_one_dot_per_value_and_names_every_band() {
        let fig = StripChart::new("Summary", ["fresh", "milk", "grocery"])
            .values(vec![
                vec![0.1, 0.2, -0.3, 0.4],
                vec![0.0, 0.5, 0.5, 0.6],
                vec![-0.2, -0.1, 0.0, 0.1],
            ])
            .value_label("relevance (outlierness units)")
            .render()
            .expect("render");
        assert_svg_contains(
            &fig,
            &[
                "Summary",
                "fresh",
                "milk",
                "grocery",
                "relevance (outlierness units)",
            ],
        );
        assert_eq!(fig.svg.matches("<circle").count(), 12);
        assert_png(&fig, (800, 480));
    }

    #[test]
    fn mismatched_or_non_finite_values_are_errors() {
        let chart = StripChart::new("x", ["a", "b"]).values(vec![vec![1.0]]);
        assert!(chart.render().is_err());
        let chart = StripChart::new("x", ["a"]).values(vec![vec![f64::NAN]]);
        assert!(chart.render().is_err());
        assert!(StripChart::new("x", Vec::<String>::new()).render().is_err());
    }

    #[test]
    fn jitter_stays_inside_the_band() {
        assert!((0..1000).all(|i| jitter(i).abs() <= 0.3));
    }
}
