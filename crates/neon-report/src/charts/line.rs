//! Line charts of several named curves with optional mean ± std bands, e.g. feature-removal
//! (pixel-flipping) curves that compare explanation methods.

use plotters::coord::Shift;
use plotters::element::{Circle, PathElement, Polygon};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend};
use plotters::style::{Color, ShapeStyle};

use super::axes::{format_tick, frame, min_max, nice_step, padded, value_axis, Swatch, GRID};
use crate::color::{categorical, Rgb};
use crate::error::ReportError;
use crate::error::{check_finite, check_len, draw_err};
use crate::figure::Figure;
use crate::figure::{render, text_style, Draw, INK, LABEL_SIZE, TICK_SIZE};

/// One named curve `y(x)`, optionally with a shaded band `y ± band` (e.g. one standard
/// deviation over trials).
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    name: String,
    x: Vec<f64>,
    y: Vec<f64>,
    band: Option<Vec<f64>>,
    color: Option<Rgb>,
    markers: bool,
}

impl Curve {
    /// A curve called `name` (shown in the legend) through the points `(x[i], y[i])`.
    pub fn new(name: impl Into<String>, x: impl Into<Vec<f64>>, y: impl Into<Vec<f64>>) -> Self {
        Self {
            name: name.into(),
            x: x.into(),
            y: y.into(),
            band: None,
            color: None,
            markers: false,
        }
    }

    /// Shade `y[i] ± band[i]` (non-negative, one per point).
    pub fn band(mut self, band: impl Into<Vec<f64>>) -> Self {
        self.band = Some(band.into());
        self
    }

    /// Line colour (default: the curve's categorical colour).
    pub fn color(mut self, color: Rgb) -> Self {
        self.color = Some(color);
        self
    }

    /// Draw a dot at every point.
    pub fn markers(mut self, on: bool) -> Self {
        self.markers = on;
        self
    }
}

/// Several named curves on shared axes, with a legend.
///
/// ```
/// use neon_xai_report::{Curve, LineChart};
/// let removed = vec![0.0, 1.0, 2.0, 3.0];
/// let fig = LineChart::new("Feature removal")
///     .x_label("features removed")
///     .y_label("inlierness p̃(x)")
///     .curve(Curve::new("NEON", removed.clone(), vec![1.0, 0.5, 0.2, 0.1]).band(vec![0.05; 4]))
///     .curve(Curve::new("random", removed, vec![1.0, 0.8, 0.6, 0.4]))
///     .render()?;
/// assert!(fig.svg.contains("features removed"));
/// # Ok::<(), neon_xai_report::ReportError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    title: String,
    x_label: String,
    y_label: String,
    curves: Vec<Curve>,
    size: (u32, u32),
}

impl LineChart {
    /// An empty chart titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            x_label: "x".to_string(),
            y_label: "y".to_string(),
            curves: Vec::new(),
            size: (800, 500),
        }
    }

    /// Label of the x axis, with units.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Label of the y axis, with units.
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// Add a curve.
    pub fn curve(mut self, curve: Curve) -> Self {
        self.curves.push(curve);
        self
    }

    /// Figure size in pixels (default 800 × 500).
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
        if self.curves.is_empty() {
            return Err(ReportError::Empty {
                what: "line chart curves",
            });
        }
        for c in &self.curves {
            if c.x.is_empty() {
                return Err(ReportError::Empty {
                    what: "line chart curve",
                });
            }
            check_len(
                format!("y values of curve {:?}", c.name),
                c.x.len(),
                c.y.len(),
            )?;
            check_finite("curve x values", &c.x)?;
            check_finite("curve y values", &c.y)?;
            if let Some(band) = &c.band {
                check_len(format!("band of curve {:?}", c.name), c.x.len(), band.len())?;
                check_finite("curve band", band)?;
                if let Some(&b) = band.iter().find(|b| **b < 0.0) {
                    return Err(ReportError::OutOfRange {
                        what: "band half-width",
                        range: "[0, ∞)",
                        value: b,
                    });
                }
            }
        }
        Ok(())
    }

    fn color(&self, k: usize) -> Rgb {
        self.curves[k].color.unwrap_or(categorical(k))
    }

    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let (x_lo, x_hi) = min_max(self.curves.iter().flat_map(|c| c.x.iter().copied()));
        let ys = self.curves.iter().flat_map(|c| {
            c.y.iter().enumerate().flat_map(move |(i, &y)| {
                let b = c.band.as_ref().map_or(0.0, |b| b[i]);
                [y - b, y + b]
            })
        });
        let (y_lo, y_hi) = min_max(ys);
        let x = if x_hi > x_lo {
            (x_lo, x_hi)
        } else {
            padded(x_lo, x_hi, 0.0)
        };
        (x, padded(y_lo, y_hi, 0.05))
    }
}

impl Draw for LineChart {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ReportError> {
        let legend: Vec<(&str, Swatch)> = self
            .curves
            .iter()
            .enumerate()
            .map(|(k, c)| {
                (
                    c.name.as_str(),
                    Swatch::Line(self.color(k), c.band.is_some()),
                )
            })
            .collect();
        let plot = frame(area, &self.title, &legend)?;

        let ((x_lo, x_hi), (y_lo, y_hi)) = self.ranges();
        let (x_step, y_step) = (nice_step(x_lo, x_hi, 8), nice_step(y_lo, y_hi, 6));
        let x_fmt = |v: &f64| format_tick(*v, x_step);
        let y_fmt = |v: &f64| format_tick(*v, y_step);
        let mut chart = ChartBuilder::on(&plot)
            .margin(14)
            .margin_right(24)
            .x_label_area_size(52)
            .y_label_area_size(76)
            .build_cartesian_2d(value_axis(x_lo, x_hi, 8), value_axis(y_lo, y_hi, 6))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .axis_style(INK)
            .label_style(text_style(TICK_SIZE))
            .axis_desc_style(text_style(LABEL_SIZE))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .draw()
            .map_err(draw_err)?;

        // Bands first, so that every line stays visible on top of them.
        for (k, c) in self.curves.iter().enumerate() {
            let Some(band) = &c.band else { continue };
            let upper =
                c.x.iter()
                    .zip(&c.y)
                    .zip(band)
                    .map(|((&x, &y), &b)| (x, y + b));
            let lower =
                c.x.iter()
                    .zip(&c.y)
                    .zip(band)
                    .map(|((&x, &y), &b)| (x, y - b));
            let outline: Vec<(f64, f64)> = upper.chain(lower.rev()).collect();
            chart
                .draw_series([Polygon::new(
                    outline,
                    self.color(k).to_plotters().mix(0.2).filled(),
                )])
                .map_err(draw_err)?;
        }
        for (k, c) in self.curves.iter().enumerate() {
            let color = self.color(k).to_plotters();
            let points: Vec<(f64, f64)> = c.x.iter().copied().zip(c.y.iter().copied()).collect();
            chart
                .draw_series([PathElement::new(
                    points.clone(),
                    ShapeStyle::from(&color).stroke_width(3),
                )])
                .map_err(draw_err)?;
            if c.markers {
                chart
                    .draw_series(
                        points
                            .into_iter()
                            .map(|p| Circle::new(p, 4, color.filled())),
                    )
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

    fn removal_chart() -> LineChart {
        let x: Vec<f64> = (0..=6).map(f64::from).collect();
        let neon: Vec<f64> = x.iter().map(|k| (-0.6 * k).exp()).collect();
        let random: Vec<f64> = x.iter().map(|k| 1.0 - k / 8.0).collect();
        LineChart::new("Feature removal curves")
            .x_label("features removed (count)")
            .y_label("inlierness p̃(x)")
            .curve(Curve::new("NEON relevance", x.clone(), neon).band(vec![0.05; 7]))
            .curve(Curve::new("random order", x, random).markers(true))
    }

    #[test]
    fn chart_has_title_labels_and_legend() {
        let fig = removal_chart().render().expect("render");
        assert_svg_contains(
            &fig,
            &[
                "Feature removal curves",
                "features removed (count)",
                "inlierness p̃(x)",
                "NEON relevance",
                "random order",
            ],
        );
        assert_png(&fig, (800, 500));
    }

    #[test]
    fn ranges_include_bands() {
        let ((x_lo, x_hi), (y_lo, y_hi)) = removal_chart().ranges();
        assert_eq!((x_lo, x_hi), (0.0, 6.0));
        assert!(y_hi > 1.05 && y_lo < (-3.6_f64).exp() - 0.05);
    }

    #[test]
    fn bad_curves_are_rejected() {
        let short = LineChart::new("t").curve(Curve::new("c", vec![0.0, 1.0], vec![1.0]));
        assert!(matches!(
            short.render(),
            Err(ReportError::LengthMismatch { .. })
        ));
        let band =
            LineChart::new("t").curve(Curve::new("c", vec![0.0], vec![1.0]).band(vec![-1.0]));
        assert!(matches!(band.render(), Err(ReportError::OutOfRange { .. })));
        assert!(matches!(
            LineChart::new("t").render(),
            Err(ReportError::Empty { .. })
        ));
    }
}
