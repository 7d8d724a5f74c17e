//! Bar charts of per-feature relevance (chapter §5.1, Figs. 4–5, right).

use plotters::coord::Shift;
use plotters::element::{PathElement, Rectangle};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend};
use plotters::style::{Color, ShapeStyle};

use super::axes::{
    category_axis, category_index, format_tick, frame, min_max, nice_step, padded, value_axis,
    Swatch, GRID,
};
use crate::color::{categorical, Rgb};
use crate::error::ReportError;
use crate::error::{check_finite, check_len, draw_err};
use crate::figure::Figure;
use crate::figure::{render, text_style, Draw, INK, LABEL_SIZE, TICK_SIZE};

/// Which way the bars point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    /// Categories down the y axis, bars to the left/right (the default: long feature names stay
    /// readable).
    #[default]
    Horizontal,
    /// Categories along the x axis, bars up/down.
    Vertical,
}

/// One series of bars: a value per category, with an optional ± error (e.g. one standard
/// deviation over repeated random-feature draws, Fig. 4).
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    name: String,
    values: Vec<f64>,
    errors: Option<Vec<f64>>,
    starts: Option<Vec<f64>>,
    color: Option<Rgb>,
}

impl BarSeries {
    /// A series called `name` (shown in the legend) with one value per category.
    pub fn new(name: impl Into<String>, values: impl Into<Vec<f64>>) -> Self {
        Self {
            name: name.into(),
            values: values.into(),
            errors: None,
            starts: None,
            color: None,
        }
    }

    /// Error bars: `value ± errors[i]` (non-negative, one per category).
    pub fn errors(mut self, errors: impl Into<Vec<f64>>) -> Self {
        self.errors = Some(errors.into());
        self
    }

    /// Floating bars: bar `i` spans `starts[i]` to `starts[i] + values[i]` instead of starting
    /// at zero (a waterfall: each bar starts where the running sum of the earlier ones ends).
    /// Error bars are drawn around the bar's end.
    pub fn starts(mut self, starts: impl Into<Vec<f64>>) -> Self {
        self.starts = Some(starts.into());
        self
    }

    /// Fill colour of this series (ignored when the chart colours bars by sign).
    pub fn color(mut self, color: Rgb) -> Self {
        self.color = Some(color);
        self
    }
}

/// Bars for per-feature values, one or several series side by side.
///
/// ```
/// use neon_xai_report::{BarChart, BarSeries};
/// let fig = BarChart::new("Inlierness of instance 338", ["fresh", "milk", "grocery"])
///     .value_label("relevance Rᵢ (score units)")
///     .category_label("feature")
///     .series(BarSeries::new("338", vec![0.12, 0.08, -0.02]).errors(vec![0.01, 0.02, 0.01]))
///     .sign_colors(true)
///     .render()?;
/// assert!(fig.svg.contains("Inlierness of instance 338"));
/// # Ok::<(), neon_xai_report::ReportError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    title: String,
    categories: Vec<String>,
    series: Vec<BarSeries>,
    orientation: Orientation,
    value_label: String,
    category_label: String,
    sign_colors: bool,
    zero_line: bool,
    size: (u32, u32),
}

/// Fill opacity of series k when bars are coloured by sign, so side-by-side series differ.
const SIGN_SERIES_ALPHA: [f64; 4] = [1.0, 0.55, 0.3, 0.15];

impl BarChart {
    /// A chart titled `title` with one bar slot per category (feature names, in order).
    pub fn new<S: Into<String>>(
        title: impl Into<String>,
        categories: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            title: title.into(),
            categories: categories.into_iter().map(Into::into).collect(),
            series: Vec::new(),
            orientation: Orientation::default(),
            value_label: "value".to_string(),
            category_label: String::new(),
            sign_colors: false,
            zero_line: true,
            size: (800, 480),
        }
    }

    /// Add a series (drawn side by side with the earlier ones).
    pub fn series(mut self, series: BarSeries) -> Self {
        self.series.push(series);
        self
    }

    /// Bar direction (default [`Orientation::Horizontal`]).
    pub fn orientation(mut self, orientation: Orientation) -> Self {
        self.orientation = orientation;
        self
    }

    /// Label of the value axis, with units, e.g. `"relevance Rᵢ (score units)"`.
    pub fn value_label(mut self, label: impl Into<String>) -> Self {
        self.value_label = label.into();
        self
    }

    /// Label of the category axis, e.g. `"feature"` (empty by default: names speak for themselves).
    pub fn category_label(mut self, label: impl Into<String>) -> Self {
        self.category_label = label.into();
        self
    }

    /// Colour bars by sign, positive red and negative blue, as relevance is usually shown.
    /// Several series are then told apart by opacity.
    pub fn sign_colors(mut self, on: bool) -> Self {
        self.sign_colors = on;
        self
    }

    /// Draw a line at zero (default on).
    pub fn zero_line(mut self, on: bool) -> Self {
        self.zero_line = on;
        self
    }

    /// Figure size in pixels (default 800 × 480).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Validate the inputs and draw the chart.
    pub fn render(&self) -> Result<Figure, ReportError> {
        self.validate()?;
        render(self, self.size)
    }

    fn validate(&self) -> Result<(), ReportError> {
        if self.categories.is_empty() {
            return Err(ReportError::Empty {
                what: "bar chart categories",
            });
        }
        if self.series.is_empty() {
            return Err(ReportError::Empty {
                what: "bar chart series",
            });
        }
        let n = self.categories.len();
        for s in &self.series {
            check_len(format!("bar series {:?}", s.name), n, s.values.len())?;
            check_finite("bar values", &s.values)?;
            if let Some(starts) = &s.starts {
                check_len(format!("bar starts of {:?}", s.name), n, starts.len())?;
                check_finite("bar starts", starts)?;
            }
            if let Some(errors) = &s.errors {
                check_len(format!("error bars of {:?}", s.name), n, errors.len())?;
                check_finite("error bars", errors)?;
                if let Some(&e) = errors.iter().find(|e| **e < 0.0) {
                    return Err(ReportError::OutOfRange {
                        what: "error bar",
                        range: "[0, ∞)",
                        value: e,
                    });
                }
            }
        }
        Ok(())
    }

    /// Bar colour and opacity of series `k` for a bar of value `v`.
    fn fill(&self, k: usize, v: f64) -> (Rgb, f64) {
        if self.sign_colors {
            let alpha = SIGN_SERIES_ALPHA[k.min(SIGN_SERIES_ALPHA.len() - 1)];
            (
                if v < 0.0 {
                    Rgb::NEGATIVE
                } else {
                    Rgb::POSITIVE
                },
                alpha,
            )
        } else {
            (self.series[k].color.unwrap_or(categorical(k)), 1.0)
        }
    }

    /// The value range covering bars, error bars and zero.
    fn value_range(&self) -> (f64, f64) {
        let ends = self.series.iter().flat_map(|s| {
            s.values.iter().enumerate().flat_map(move |(i, &v)| {
                let e = s.errors.as_ref().map_or(0.0, |e| e[i]);
                let b = s.starts.as_ref().map_or(0.0, |b| b[i]);
                [b, b + v - e, b + v + e]
            })
        });
        let (lo, hi) = min_max(ends.chain([0.0]));
        padded(lo, hi, 0.06)
    }
}

impl Draw for BarChart {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ReportError> {
        let n = self.categories.len();
        let n_series = self.series.len();
        let horizontal = self.orientation == Orientation::Horizontal;
        let (lo, hi) = self.value_range();
        let max_ticks = if horizontal { 8 } else { 6 };
        let step = nice_step(lo, hi, max_ticks);

        // Category labels: shrink the font (vertical bars) if names are wider than their slot.
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
        let (width, _) = area.dim_in_pixel();
        let slot = (f64::from(width) - 140.0) / n as f64;
        let cat_size = if horizontal || f64::from(longest) <= slot * 0.95 {
            TICK_SIZE
        } else {
            (TICK_SIZE * slot * 0.95 / f64::from(longest)).max(8.0)
        };
        let desc = if self.category_label.is_empty() {
            0
        } else {
            28
        };

        // Legend below the title, outside the plot, when there are several series.
        let legend: Vec<(&str, Swatch)> = if n_series > 1 {
            self.series
                .iter()
                .enumerate()
                .map(|(k, s)| {
                    let (color, alpha) = self.fill(k, 1.0);
                    let swatch = if self.sign_colors {
                        Swatch::SignBlock(alpha)
                    } else {
                        Swatch::Block(color, alpha)
                    };
                    (s.name.as_str(), swatch)
                })
                .collect()
        } else {
            Vec::new()
        };
        let plot = frame(area, &self.title, &legend)?;

        let mut builder = ChartBuilder::on(&plot);
        builder.margin(14);
        let (x_axis, y_axis) = if horizontal {
            builder
                .x_label_area_size(52)
                .y_label_area_size(longest + 16 + desc);
            (value_axis(lo, hi, max_ticks), category_axis(n))
        } else {
            builder.x_label_area_size(30 + desc).y_label_area_size(76);
            (category_axis(n), value_axis(lo, hi, max_ticks))
        };
        let mut chart = builder
            .build_cartesian_2d(x_axis, y_axis)
            .map_err(draw_err)?;

        // Horizontal bars list the first category at the top.
        let position = |i: usize| {
            if horizontal {
                (n - 1 - i) as f64
            } else {
                i as f64
            }
        };
        let name_at = |v: &f64| {
            category_index(*v, n)
                .map(|p| {
                    let i = if horizontal { n - 1 - p } else { p };
                    self.categories[i].clone()
                })
                .unwrap_or_default()
        };
        let value_at = |v: &f64| format_tick(*v, step);
        let pt = |cat: f64, val: f64| if horizontal { (val, cat) } else { (cat, val) };

        {
            let mut mesh = chart.configure_mesh();
            mesh.bold_line_style(GRID)
                .axis_style(INK)
                .label_style(text_style(TICK_SIZE))
                .axis_desc_style(text_style(LABEL_SIZE));
            if horizontal {
                mesh.disable_y_mesh()
                    .x_label_formatter(&value_at)
                    .y_label_formatter(&name_at)
                    .x_desc(&self.value_label)
                    .y_desc(&self.category_label);
            } else {
                mesh.disable_x_mesh()
                    .x_label_formatter(&name_at)
                    .y_label_formatter(&value_at)
                    .x_label_style(text_style(cat_size))
                    .x_desc(&self.category_label)
                    .y_desc(&self.value_label);
            }
            mesh.draw().map_err(draw_err)?;
        }

        // Bars, series side by side within each category slot.
        let slot_width = 0.8 / n_series as f64;
        let bar_span = |i: usize, k: usize| {
            let start = if horizontal {
                position(i) + 0.4 - (k + 1) as f64 * slot_width
            } else {
                position(i) - 0.4 + k as f64 * slot_width
            };
            let gap = 0.06 * slot_width;
            (start + gap, start + slot_width - gap)
        };
        for (k, s) in self.series.iter().enumerate() {
            let bars = s.values.iter().enumerate().map(|(i, &v)| {
                let (a, b) = bar_span(i, k);
                let (color, alpha) = self.fill(k, v);
                let base = s.starts.as_ref().map_or(0.0, |starts| starts[i]);
                Rectangle::new(
                    [pt(a, base), pt(b, base + v)],
                    color.to_plotters().mix(alpha).filled(),
                )
            });
            chart.draw_series(bars).map_err(draw_err)?;
        }

        // Error bars with caps.
        let whisker = ShapeStyle::from(&INK).stroke_width(2);
        for (k, s) in self.series.iter().enumerate() {
            let Some(errors) = &s.errors else { continue };
            for (i, (&v, &e)) in s.values.iter().zip(errors).enumerate() {
                let v = v + s.starts.as_ref().map_or(0.0, |starts| starts[i]);
                let (a, b) = bar_span(i, k);
                let mid = 0.5 * (a + b);
                let cap = 0.25 * (b - a);
                let lines = [
                    vec![pt(mid, v - e), pt(mid, v + e)],
                    vec![pt(mid - cap, v - e), pt(mid + cap, v - e)],
                    vec![pt(mid - cap, v + e), pt(mid + cap, v + e)],
                ];
                chart
                    .draw_series(lines.into_iter().map(|l| PathElement::new(l, whisker)))
                    .map_err(draw_err)?;
            }
        }

        if self.zero_line {
            chart
                .draw_series([PathElement::new(
                    vec![pt(-0.5, 0.0), pt(n as f64 - 0.5, 0.0)],
                    ShapeStyle::from(&INK).stroke_width(2),
                )])
                .map_err(draw_err)?;
        }

        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{assert_png, assert_svg_contains};

    const FEATURES: [&str; 6] = [
        "fresh",
        "milk",
        "grocery",
        "frozen",
        "detergents/paper",
        "delicatessen",
    ];

    fn two_instances() -> BarChart {
        BarChart::new("Explanation of inlierness", FEATURES)
            .value_label("relevance Rᵢ (score units)")
            .category_label("feature")
            .series(
                BarSeries::new("instance 338", vec![0.20, 0.15, 0.12, -0.05, 0.10, 0.08])
                    .errors(vec![0.02, 0.01, 0.02, 0.01, 0.01, 0.02]),
            )
            .series(BarSeries::new(
                "instance 339",
                vec![0.01, 0.0, 0.02, -0.01, 0.0, 0.01],
            ))
    }

    #[test]
    fn horizontal_chart_has_title_labels_and_features() {
        let fig = two_instances().sign_colors(true).render().expect("render");
        let mut needles = vec![
            "Explanation of inlierness",
            "relevance Rᵢ (score units)",
            "feature",
        ];
        needles.extend(FEATURES);
        needles.extend(["instance 338", "instance 339"]);
        assert_svg_contains(&fig, &needles);
        assert_png(&fig, (800, 480));
    }

    #[test]
    fn vertical_chart_with_series_colours() {
        let fig = two_instances()
            .orientation(Orientation::Vertical)
            .size(700, 420)
            .render()
            .expect("render");
        let mut needles = vec!["Explanation of inlierness", "relevance Rᵢ (score units)"];
        needles.extend(FEATURES);
        assert_svg_contains(&fig, &needles);
        assert_png(&fig, (700, 420));
    }

    #[test]
    fn sign_colours_pick_red_and_blue() {
        let chart = two_instances().sign_colors(true);
        assert_eq!(chart.fill(0, 1.0).0, Rgb::POSITIVE);
        assert_eq!(chart.fill(0, -1.0).0, Rgb::NEGATIVE);
        assert!(chart.fill(1, 1.0).1 < chart.fill(0, 1.0).1);
        let plain = two_instances();
        assert_eq!(plain.fill(1, -1.0).0, categorical(1));
    }

    #[test]
    fn value_range_covers_error_bars_and_zero() {
        let chart = BarChart::new("t", ["a", "b"])
            .series(BarSeries::new("s", vec![1.0, 2.0]).errors(vec![0.5, 0.5]));
        let (lo, hi) = chart.value_range();
        assert!(lo < 0.0 && hi > 2.5);
    }

    #[test]
    fn floating_bars_span_from_their_start_and_the_range_covers_them() {
        // b floats from 2 to 3: the axis must reach 3, which no value reaches alone
        let chart = BarChart::new("waterfall", ["a", "b", "= total"])
            .series(BarSeries::new("step", vec![2.0, 1.0, 0.5]).starts(vec![0.0, 2.0, 0.0]));
        let (lo, hi) = chart.value_range();
        assert!(
            lo <= 0.0 && hi >= 3.0,
            "range {lo}..{hi} covers the running sum"
        );
        assert!(chart.render().is_ok());
        let short = BarChart::new("waterfall", ["a", "b"])
            .series(BarSeries::new("step", vec![1.0, 2.0]).starts(vec![0.0]));
        assert!(short.render().is_err(), "one start per bar");
    }

    #[test]
    fn mismatched_or_bad_inputs_are_rejected() {
        let short = BarChart::new("t", ["a", "b"]).series(BarSeries::new("s", vec![1.0]));
        assert!(matches!(
            short.render(),
            Err(ReportError::LengthMismatch {
                expected: 2,
                found: 1,
                ..
            })
        ));
        let none = BarChart::new("t", ["a"]);
        assert!(matches!(none.render(), Err(ReportError::Empty { .. })));
        let nan = BarChart::new("t", ["a"]).series(BarSeries::new("s", vec![f64::NAN]));
        assert!(matches!(nan.render(), Err(ReportError::NonFinite { .. })));
        let negative_error =
            BarChart::new("t", ["a"]).series(BarSeries::new("s", vec![1.0]).errors(vec![-1.0]));
        assert!(matches!(
            negative_error.render(),
            Err(ReportError::OutOfRange { .. })
        ));
        let tiny = two_instances().size(10, 10);
        assert!(matches!(
            tiny.render(),
            Err(ReportError::FigureTooSmall { .. })
        ));
    }
}
