//! 2-D maps of the data, e.g. a t-SNE embedding coloured by inlierness or by cluster
//! (chapter §5.1, Figs. 4–5, left).

use ndarray::ArrayView2;
use plotters::coord::Shift;
use plotters::element::{Circle, EmptyElement, Rectangle, Text};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend};
use plotters::style::{Color, BLACK};

use super::axes::{blank_axis, format_tick, frame, min_max, nice_step, padded, value_axis, Swatch};
use crate::color::{categorical, linear_unit, symmetric_unit, ColorMap, Rgb};
use crate::error::ReportError;
use crate::error::{check_finite, check_len, draw_err};
use crate::figure::Figure;
use crate::figure::{render, text_style, Draw, INK, LABEL_SIZE, TICK_SIZE};

/// How points are coloured.
#[derive(Debug, Clone, PartialEq)]
enum Coloring {
    Uniform(Rgb),
    Continuous {
        values: Vec<f64>,
        label: String,
        map: ColorMap,
        range: Option<(f64, f64)>,
    },
    Categories {
        ids: Vec<usize>,
        names: Option<Vec<String>>,
        colors: Option<Vec<Rgb>>,
    },
}

/// A scatter plot of 2-D points, coloured by a continuous value (with a colour bar) or by
/// category (with a legend), with optional per-point opacity and labelled, highlighted points.
///
/// ```
/// use ndarray::array;
/// use neon_xai_report::ScatterMap;
/// let map = array![[0.0, 0.0], [1.0, 0.5], [0.3, 2.0]];
/// let fig = ScatterMap::new("Wholesale customers (t-SNE)", map.view())
///     .continuous(vec![0.9, 0.5, 0.01], "inlierness p̃(x)")
///     .highlight(2, "339")
///     .render()?;
/// assert!(fig.svg.contains("inlierness p̃(x)"));
/// # Ok::<(), neon_xai_report::ReportError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterMap {
    title: String,
    x_label: String,
    y_label: String,
    points: Vec<(f64, f64)>,
    n_columns: usize,
    coloring: Coloring,
    opacity: Option<Vec<f64>>,
    highlights: Vec<(usize, String)>,
    radius: u32,
    size: (u32, u32),
}

/// Width of the colour-bar strip in pixels.
const COLORBAR_STRIP: u32 = 130;

impl ScatterMap {
    /// A map of the rows of `points` (n × 2, e.g. from [`crate::tsne`]), titled `title`.
    pub fn new(title: impl Into<String>, points: ArrayView2<f64>) -> Self {
        let n_columns = points.ncols();
        let points = if n_columns == 2 {
            points.rows().into_iter().map(|r| (r[0], r[1])).collect()
        } else {
            Vec::new()
        };
        Self {
            title: title.into(),
            x_label: "t-SNE 1".to_string(),
            y_label: "t-SNE 2".to_string(),
            points,
            n_columns,
            coloring: Coloring::Uniform(categorical(0)),
            opacity: None,
            highlights: Vec::new(),
            radius: 4,
            size: (760, 640),
        }
    }

    /// Axis labels (default "t-SNE 1" and "t-SNE 2").
    pub fn axis_labels(mut self, x: impl Into<String>, y: impl Into<String>) -> Self {
        self.x_label = x.into();
        self.y_label = y.into();
        self
    }

    /// Colour by one continuous value per point, with a colour bar labelled `label`
    /// (e.g. "inlierness p̃(x)"). The colour map defaults to [`ColorMap::Viridis`].
    pub fn continuous(mut self, values: impl Into<Vec<f64>>, label: impl Into<String>) -> Self {
        self.coloring = Coloring::Continuous {
            values: values.into(),
            label: label.into(),
            map: ColorMap::default(),
            range: None,
        };
        self
    }

    /// Colour map for [`ScatterMap::continuous`]. With [`ColorMap::Seismic`] the scale is
    /// symmetric about zero.
    pub fn colormap(mut self, map: ColorMap) -> Self {
        if let Coloring::Continuous { map: m, .. } = &mut self.coloring {
            *m = map;
        }
        self
    }

    /// Fix the colour-bar range instead of spanning the values (continuous colouring only).
    pub fn value_range(mut self, lo: f64, hi: f64) -> Self {
        if let Coloring::Continuous { range, .. } = &mut self.coloring {
            *range = Some((lo, hi));
        }
        self
    }

    /// Colour by category (e.g. cluster index), one id per point, with a legend. Categories are
    /// named "cluster k" unless [`ScatterMap::category_names`] says otherwise.
    pub fn categories(mut self, ids: impl Into<Vec<usize>>) -> Self {
        self.coloring = Coloring::Categories {
            ids: ids.into(),
            names: None,
            colors: None,
        };
        self
    }

    /// Legend names of the categories, indexed by category id.
    pub fn category_names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        if let Coloring::Categories { names: n, .. } = &mut self.coloring {
            *n = Some(names.into_iter().map(Into::into).collect());
        }
        self
    }

    /// Colours of the categories, indexed by category id (default: [`crate::CATEGORICAL`]).
    pub fn category_colors(mut self, colors: impl Into<Vec<Rgb>>) -> Self {
        if let Coloring::Categories { colors: c, .. } = &mut self.coloring {
            *c = Some(colors.into());
        }
        self
    }

    /// Per-point opacity in `[0, 1]`, e.g. cluster evidence rescaled to `[0.15, 1]` (Fig. 5).
    pub fn opacity(mut self, alpha: impl Into<Vec<f64>>) -> Self {
        self.opacity = Some(alpha.into());
        self
    }

    /// Mark point `index` with a black cross and a text label (e.g. an instance number).
    pub fn highlight(mut self, index: usize, label: impl Into<String>) -> Self {
        self.highlights.push((index, label.into()));
        self
    }

    /// Point radius in pixels (default 4).
    pub fn point_radius(mut self, radius: u32) -> Self {
        self.radius = radius;
        self
    }

    /// Figure size in pixels (default 760 × 640).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Validate the inputs and draw the map.
    pub fn render(&self) -> Result<Figure, ReportError> {
        self.validate()?;
        render(self, self.size)
    }

    fn validate(&self) -> Result<(), ReportError> {
        check_len("scatter point coordinates (columns)", 2, self.n_columns)?;
        let n = self.points.len();
        if n == 0 {
            return Err(ReportError::Empty {
                what: "scatter map points",
            });
        }
        check_finite(
            "scatter points",
            self.points.iter().flat_map(|(x, y)| [x, y]),
        )?;
        match &self.coloring {
            Coloring::Uniform(_) => {}
            Coloring::Continuous { values, range, .. } => {
                check_len("scatter colour values", n, values.len())?;
                check_finite("scatter colour values", values)?;
                if let Some((lo, hi)) = range {
                    check_finite("colour-bar range", [lo, hi])?;
                    if lo >= hi {
                        return Err(ReportError::OutOfRange {
                            what: "colour-bar upper end",
                            range: "(lower end, ∞)",
                            value: *hi,
                        });
                    }
                }
            }
            Coloring::Categories { ids, names, colors } => {
                check_len("scatter categories", n, ids.len())?;
                let n_categories = self.n_categories();
                let limit = match (names, colors) {
                    (Some(names), Some(colors)) => names.len().min(colors.len()),
                    (Some(names), None) => names.len(),
                    (None, Some(colors)) => colors.len(),
                    (None, None) => n_categories,
                };
                if let Some((index, &category)) = ids.iter().enumerate().find(|(_, &c)| c >= limit)
                {
                    return Err(ReportError::UnknownCategory {
                        index,
                        category,
                        n_categories: limit,
                    });
                }
            }
        }
        if let Some(alpha) = &self.opacity {
            check_len("scatter opacity", n, alpha.len())?;
            if let Some(&a) = alpha.iter().find(|a| !(0.0..=1.0).contains(*a)) {
                return Err(ReportError::OutOfRange {
                    what: "point opacity",
                    range: "[0, 1]",
                    value: a,
                });
            }
        }
        if let Some(&(index, _)) = self.highlights.iter().find(|(i, _)| *i >= n) {
            return Err(ReportError::PointOutOfRange { index, n_points: n });
        }
        Ok(())
    }

    fn n_categories(&self) -> usize {
        match &self.coloring {
            Coloring::Categories { ids, names, .. } => names
                .as_ref()
                .map_or(0, Vec::len)
                .max(ids.iter().max().map_or(0, |m| m + 1)),
            _ => 0,
        }
    }

    /// The colour-bar range of continuous colouring.
    fn color_range(values: &[f64], map: ColorMap, range: Option<(f64, f64)>) -> (f64, f64) {
        if let Some(r) = range {
            return r;
        }
        let (lo, hi) = min_max(values.iter().copied());
        if map == ColorMap::Seismic {
            let m = lo.abs().max(hi.abs());
            if m > 0.0 {
                (-m, m)
            } else {
                (-1.0, 1.0)
            }
        } else if hi > lo {
            (lo, hi)
        } else {
            padded(lo, hi, 0.0)
        }
    }

    /// The colour of every point.
    fn point_colors(&self) -> Vec<Rgb> {
        match &self.coloring {
            Coloring::Uniform(c) => vec![*c; self.points.len()],
            Coloring::Continuous {
                values, map, range, ..
            } => {
                let (lo, hi) = Self::color_range(values, *map, *range);
                values
                    .iter()
                    .map(|&v| {
                        let t = if *map == ColorMap::Seismic {
                            symmetric_unit(v, hi.max(-lo))
                        } else {
                            linear_unit(v, lo, hi)
                        };
                        map.at(t)
                    })
                    .collect()
            }
            Coloring::Categories { ids, colors, .. } => ids
                .iter()
                .map(|&c| {
                    colors
                        .as_ref()
                        .and_then(|cs| cs.get(c).copied())
                        .unwrap_or(categorical(c))
                })
                .collect(),
        }
    }

    fn category_name(&self, k: usize) -> String {
        match &self.coloring {
            Coloring::Categories {
                names: Some(names), ..
            } => names
                .get(k)
                .cloned()
                .unwrap_or_else(|| format!("cluster {k}")),
            _ => format!("cluster {k}"),
        }
    }

    fn draw_colorbar<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        map: ColorMap,
        (lo, hi): (f64, f64),
        label: &str,
    ) -> Result<(), ReportError> {
        let step = nice_step(lo, hi, 6);
        let fmt = |v: &f64| format_tick(*v, step);
        let mut chart = ChartBuilder::on(area)
            .margin_top(14)
            .margin_bottom(14)
            .margin_right(4)
            .margin_left(18)
            .x_label_area_size(52)
            .right_y_label_area_size(COLORBAR_STRIP - 44)
            .build_cartesian_2d(blank_axis(), value_axis(lo, hi, 6))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(INK)
            .label_style(text_style(TICK_SIZE))
            .axis_desc_style(text_style(LABEL_SIZE))
            .y_label_formatter(&fmt)
            .y_desc(label)
            .draw()
            .map_err(draw_err)?;
        let steps = 128;
        let cells = (0..steps).map(|k| {
            let a = lo + (hi - lo) * k as f64 / steps as f64;
            let b = lo + (hi - lo) * (k + 1) as f64 / steps as f64;
            let t = (k as f64 + 0.5) / steps as f64;
            Rectangle::new([(0.0, a), (1.0, b)], map.at(t).to_plotters().filled())
        });
        chart.draw_series(cells).map_err(draw_err)?;
        Ok(())
    }
}

impl Draw for ScatterMap {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ReportError> {
        let names: Vec<String> = (0..self.n_categories())
            .map(|k| self.category_name(k))
            .collect();
        let legend: Vec<(&str, Swatch)> = match &self.coloring {
            Coloring::Categories { colors, .. } => names
                .iter()
                .enumerate()
                .map(|(k, name)| {
                    let color = colors
                        .as_ref()
                        .and_then(|cs| cs.get(k).copied())
                        .unwrap_or(categorical(k));
                    (name.as_str(), Swatch::Dot(color))
                })
                .collect(),
            _ => Vec::new(),
        };
        let body = frame(area, &self.title, &legend)?;

        let plot = if let Coloring::Continuous {
            values,
            label,
            map,
            range,
        } = &self.coloring
        {
            let width = body.dim_in_pixel().0;
            let (plot, bar) = body.split_horizontally(width.saturating_sub(COLORBAR_STRIP));
            self.draw_colorbar(&bar, *map, Self::color_range(values, *map, *range), label)?;
            plot
        } else {
            body
        };

        let (x_lo, x_hi) = padded_extent(self.points.iter().map(|p| p.0));
        let (y_lo, y_hi) = padded_extent(self.points.iter().map(|p| p.1));
        let (x_step, y_step) = (nice_step(x_lo, x_hi, 6), nice_step(y_lo, y_hi, 6));
        let x_fmt = |v: &f64| format_tick(*v, x_step);
        let y_fmt = |v: &f64| format_tick(*v, y_step);
        let mut chart = ChartBuilder::on(&plot)
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size(70)
            .build_cartesian_2d(value_axis(x_lo, x_hi, 6), value_axis(y_lo, y_hi, 6))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(INK)
            .label_style(text_style(TICK_SIZE))
            .axis_desc_style(text_style(LABEL_SIZE))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .draw()
            .map_err(draw_err)?;

        let colors = self.point_colors();
        let radius = self.radius;
        let dots = self.points.iter().enumerate().map(|(i, &p)| {
            let alpha = self.opacity.as_ref().map_or(1.0, |a| a[i]);
            Circle::new(p, radius, colors[i].to_plotters().mix(alpha).filled())
        });
        chart.draw_series(dots).map_err(draw_err)?;

        let label_font = text_style(LABEL_SIZE).color(&BLACK);
        // a highlighted point is drawn again on top, in its own colour, inside a black ring: the
        // mark shows where it is without hiding what colour it has
        let ring = i32::try_from(radius).unwrap_or(3) + 6;
        let marks = self.highlights.iter().map(|(i, label)| {
            EmptyElement::at(self.points[*i])
                + Circle::new((0, 0), radius + 1, colors[*i].to_plotters().filled())
                + Circle::new((0, 0), ring, BLACK.stroke_width(3))
                + Text::new(label.clone(), (ring + 2, -ring - 14), label_font.clone())
        });
        chart.draw_series(marks).map_err(draw_err)?;
        Ok(())
    }
}

/// The extent of some coordinates, padded by 5 % on both sides.
fn padded_extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = min_max(values);
    padded(lo, hi, 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{assert_png, assert_svg_contains};
    use ndarray::Array2;

    fn spiral(n: usize) -> Array2<f64> {
        Array2::from_shape_fn((n, 2), |(i, j)| {
            let t = i as f64 * 0.2;
            if j == 0 {
                t * t.cos()
            } else {
                t * t.sin()
            }
        })
    }

    #[test]
    fn continuous_map_has_colorbar_label_and_highlights() {
        let points = spiral(120);
        let values: Vec<f64> = (0..120).map(|i| f64::from(i) / 120.0).collect();
        let fig = ScatterMap::new("Inlierness on the t-SNE map", points.view())
            .continuous(values, "inlierness p̃(x)")
            .highlight(10, "338")
            .highlight(100, "339")
            .render()
            .expect("render");
        assert_svg_contains(
            &fig,
            &[
                "Inlierness on the t-SNE map",
                "inlierness p̃(x)",
                "t-SNE 1",
                "t-SNE 2",
                "338",
                "339",
            ],
        );
        assert_png(&fig, (760, 640));
        // each highlight: its point redrawn in its own colour, and an unfilled ring around it
        let circles = fig.svg.matches("<circle").count();
        assert_eq!(
            circles,
            120 + 2 * 2,
            "120 points, then a dot and a ring per highlight"
        );
        let unfilled = fig
            .svg
            .split("<circle")
            .skip(1)
            .filter(|c| c[..c.find('>').unwrap_or(c.len())].contains("fill=\"none\""))
            .count();
        assert_eq!(unfilled, 2, "one ring per highlight");
    }

    #[test]
    fn categorical_map_has_legend_and_uses_opacity() {
        let points = spiral(60);
        let ids: Vec<usize> = (0..60).map(|i| i % 3).collect();
        let alpha: Vec<f64> = (0..60).map(|i| 0.15 + 0.85 * f64::from(i) / 59.0).collect();
        let fig = ScatterMap::new("Clusters", points.view())
            .categories(ids)
            .category_names(["green", "red", "yellow"])
            .category_colors(vec![Rgb(44, 160, 44), Rgb(214, 39, 40), Rgb(230, 200, 0)])
            .opacity(alpha)
            .axis_labels("t-SNE dim 1", "t-SNE dim 2")
            .size(600, 500)
            .render()
            .expect("render");
        assert_svg_contains(
            &fig,
            &["Clusters", "green", "yellow", "t-SNE dim 1", "t-SNE dim 2"],
        );
        assert!(
            fig.svg.contains("opacity=\"0.15"),
            "faint points are translucent"
        );
        assert_png(&fig, (600, 500));
    }

    #[test]
    fn seismic_range_is_symmetric() {
        let (lo, hi) = ScatterMap::color_range(&[-1.0, 3.0], ColorMap::Seismic, None);
        assert_eq!((lo, hi), (-3.0, 3.0));
        let (lo, hi) = ScatterMap::color_range(&[-1.0, 3.0], ColorMap::Viridis, None);
        assert_eq!((lo, hi), (-1.0, 3.0));
        let (lo, hi) = ScatterMap::color_range(&[2.0, 2.0], ColorMap::Viridis, None);
        assert!(lo < 2.0 && hi > 2.0);
    }

    #[test]
    fn invalid_inputs_are_rejected() {
        let points = spiral(5);
        let base = || ScatterMap::new("t", points.view());
        let three = Array2::<f64>::zeros((4, 3));
        assert!(matches!(
            ScatterMap::new("t", three.view()).render(),
            Err(ReportError::LengthMismatch { .. })
        ));
        assert!(matches!(
            base().continuous(vec![1.0; 4], "v").render(),
            Err(ReportError::LengthMismatch { .. })
        ));
        assert!(matches!(
            base()
                .categories(vec![0, 1, 2, 3, 4])
                .category_names(["a", "b"])
                .render(),
            Err(ReportError::UnknownCategory { index: 2, .. })
        ));
        assert!(matches!(
            base().opacity(vec![0.5, 0.5, 0.5, 0.5, 1.5]).render(),
            Err(ReportError::OutOfRange { .. })
        ));
        assert!(matches!(
            base().highlight(5, "x").render(),
            Err(ReportError::PointOutOfRange {
                index: 5,
                n_points: 5
            })
        ));
        let empty = Array2::<f64>::zeros((0, 2));
        assert!(matches!(
            ScatterMap::new("t", empty.view()).render(),
            Err(ReportError::Empty { .. })
        ));
    }
}
