//! What every chart shares: frames, axes and ticks, legends, swatches.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::element::{Circle, PathElement, Rectangle, Text};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::Color;
use plotters::style::RGBColor;

use crate::color::Rgb;
use crate::error::draw_err;
use crate::error::ReportError;
use crate::figure::{text_style, TICK_SIZE, TITLE_SIZE};

/// Light grey of grid lines.
pub(crate) const GRID: RGBColor = RGBColor(225, 225, 225);

/// The little picture in front of a legend entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Swatch {
    /// A filled square of a colour and opacity.
    Block(Rgb, f64),
    /// Half positive red, half negative blue, at an opacity (bars coloured by sign).
    SignBlock(f64),
    /// A short line, with a translucent band around it when the flag is set.
    Line(Rgb, bool),
    /// A filled dot.
    Dot(Rgb),
}

/// Draw the title and (if any entries) a legend strip below it; return the area left for the plot.
pub(crate) fn frame<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[(&str, Swatch)],
) -> Result<DrawingArea<DB, Shift>, ReportError> {
    let body = area
        .margin(8, 0, 0, 0)
        .titled(title, text_style(TITLE_SIZE))
        .map_err(draw_err)?;
    let labels: Vec<&str> = legend.iter().map(|(l, _)| *l).collect();
    let height = legend_height(&body, &labels)?;
    if height == 0 {
        return Ok(body);
    }
    let (strip, rest) = body.split_vertically(height);
    draw_legend(&strip, legend)?;
    Ok(rest)
}

/// Height of one legend row in pixels.
const LEGEND_ROW: i32 = 24;

/// Lay out legend entries in rows no wider than `width`: each entry's x offset, row, and width.
fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[&str],
    width: i32,
) -> Result<Vec<(i32, i32, i32)>, ReportError> {
    let font = text_style(TICK_SIZE);
    let mut placed = Vec::with_capacity(labels.len());
    let (mut x, mut row) = (0, 0);
    for label in labels {
        let (text_w, _) = area.estimate_text_size(label, &font).map_err(draw_err)?;
        let w = 26 + text_w as i32 + 22;
        if x > 0 && x + w > width {
            x = 0;
            row += 1;
        }
        placed.push((x, row, w));
        x += w;
    }
    Ok(placed)
}

/// Height a legend strip needs for these entries (0 when there are none).
pub(crate) fn legend_height<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[&str],
) -> Result<u32, ReportError> {
    if labels.is_empty() {
        return Ok(0);
    }
    let width = area.dim_in_pixel().0 as i32 - 40;
    let rows = legend_layout(area, labels, width)?
        .last()
        .map_or(0, |&(_, row, _)| row + 1);
    Ok((rows * LEGEND_ROW + 8) as u32)
}

/// Draw legend entries centred in rows across `area` (a strip from [`legend_height`]).
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(&str, Swatch)],
) -> Result<(), ReportError> {
    let labels: Vec<&str> = entries.iter().map(|(l, _)| *l).collect();
    let width = area.dim_in_pixel().0 as i32 - 40;
    let placed = legend_layout(area, &labels, width)?;
    let font = text_style(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    for (row_index, row) in placed.chunk_by(|a, b| a.1 == b.1).enumerate() {
        let row_width: i32 = row.iter().map(|p| p.2).sum();
        let left = (area.dim_in_pixel().0 as i32 - row_width) / 2;
        let y = 4 + row_index as i32 * LEGEND_ROW + LEGEND_ROW / 2;
        let first = placed
            .iter()
            .position(|p| p.1 == row[0].1)
            .unwrap_or_default();
        for (k, &(x, _, _)) in row.iter().enumerate() {
            let (label, swatch) = entries[first + k];
            let x = left + x;
            draw_swatch(area, swatch, (x, y))?;
            area.draw(&Text::new(label.to_string(), (x + 26, y), font.clone()))
                .map_err(draw_err)?;
        }
    }
    Ok(())
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    (x, y): (i32, i32),
) -> Result<(), ReportError> {
    let block = |a: i32, b: i32, color: Rgb, alpha: f64| {
        Rectangle::new(
            [(a, y - 7), (b, y + 7)],
            color.to_plotters().mix(alpha).filled(),
        )
    };
    match swatch {
        Swatch::Block(color, alpha) => area.draw(&block(x, x + 18, color, alpha)),
        Swatch::SignBlock(alpha) => area
            .draw(&block(x, x + 9, Rgb::POSITIVE, alpha))
            .and_then(|_| area.draw(&block(x + 9, x + 18, Rgb::NEGATIVE, alpha))),
        Swatch::Line(color, band) => {
            if band {
                area.draw(&block(x, x + 20, color, 0.2)).map_err(draw_err)?;
            }
            area.draw(&PathElement::new(
                vec![(x, y), (x + 20, y)],
                color.to_plotters().stroke_width(3),
            ))
        }
        Swatch::Dot(color) => area.draw(&Circle::new((x + 9, y), 6, color.to_plotters().filled())),
    }
    .map_err(draw_err)
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving at most about `max_ticks` ticks.
pub(crate) fn nice_step(lo: f64, hi: f64, max_ticks: usize) -> f64 {
    let span = (hi - lo).abs();
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / max_ticks.max(1) as f64;
    let magnitude = 10_f64.powf(raw.log10().floor());
    let residual = raw / magnitude;
    let factor = if residual <= 1.0 {
        1.0
    } else if residual <= 2.0 {
        2.0
    } else if residual <= 5.0 {
        5.0
    } else {
        10.0
    };
    factor * magnitude
}

/// Multiples of [`nice_step`] inside `[lo, hi]`.
pub(crate) fn nice_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<f64> {
    let step = nice_step(lo, hi, max_ticks);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            // avoid printing "-0"
            if v == 0.0 {
                0.0
            } else {
                v
            }
        })
        .collect()
}

/// Format a tick value with as many decimals as its step needs.
pub(crate) fn format_tick(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 || step <= 0.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let s = format!("{value:.decimals$}");
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s
    }
}

/// `[lo, hi]` widened by `fraction` of its span on both sides (or to ±1 around a single value).
pub(crate) fn padded(lo: f64, hi: f64, fraction: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (-1.0, 1.0);
    }
    if hi > lo {
        let pad = (hi - lo) * fraction;
        (lo - pad, hi + pad)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - pad, hi + pad)
    }
}

/// Minimum and maximum of some values (`(+∞, −∞)` when there are none).
pub(crate) fn min_max(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

/// A linear `f64` axis whose ticks are given explicitly (plotters' own key-point choice cannot
/// put one tick on every category, and its float axes have no default label formatting).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TickAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for TickAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span <= 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let t = (value - self.lo) / span;
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// A value axis over `[lo, hi]` with nice ticks.
pub(crate) fn value_axis(lo: f64, hi: f64, max_ticks: usize) -> TickAxis {
    TickAxis {
        lo,
        hi,
        ticks: nice_ticks(lo, hi, max_ticks),
    }
}

/// A category axis with one tick per category at 0, 1, …, n − 1.
pub(crate) fn category_axis(n: usize) -> TickAxis {
    TickAxis {
        lo: -0.5,
        hi: n as f64 - 0.5,
        ticks: (0..n).map(|i| i as f64).collect(),
    }
}

/// An unlabelled axis over `[0, 1]` (the width of a colour bar).
pub(crate) fn blank_axis() -> TickAxis {
    TickAxis {
        lo: 0.0,
        hi: 1.0,
        ticks: Vec::new(),
    }
}

/// The category index a tick value stands for.
pub(crate) fn category_index(value: f64, n: usize) -> Option<usize> {
    let r = value.round();
    if (value - r).abs() < 1e-6 && r >= 0.0 && (r as usize) < n {
        Some(r as usize)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_are_round() {
        assert_eq!(
            nice_ticks(0.0, 10.0, 5),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        let ticks = nice_ticks(-0.3, 0.35, 7);
        let expected = [-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3];
        assert_eq!(ticks.len(), expected.len());
        for (t, e) in ticks.iter().zip(expected) {
            assert!((t - e).abs() < 1e-12, "{ticks:?}");
        }
        assert_eq!(nice_ticks(-0.3, 0.35, 6), vec![-0.2, 0.0, 0.2]);
        assert_eq!(format_tick(0.30000000000000004, 0.1), "0.3");
        assert_eq!(format_tick(-0.0, 0.1), "0.0");
        assert_eq!(format_tick(2500.0, 500.0), "2500");
    }

    #[test]
    fn padding_handles_degenerate_ranges() {
        assert_eq!(padded(0.0, 0.0, 0.05), (-1.0, 1.0));
        assert_eq!(padded(0.0, 10.0, 0.1), (-1.0, 11.0));
        let (lo, hi) = padded(5.0, 5.0, 0.1);
        assert!(lo < 5.0 && hi > 5.0);
    }

    #[test]
    fn category_ticks_map_back_to_indices() {
        assert_eq!(category_index(2.0, 3), Some(2));
        assert_eq!(category_index(2.5, 3), None);
        assert_eq!(category_index(3.0, 3), None);
        assert_eq!(category_index(-1.0, 3), None);
    }
}
