//! Heatmap panels: a pixel-relevance map (or any picture) drawn with a frame, a title and a
//! colour bar whose ticks are in the map's own units, ready to be set side by side in a figure
//! (the chapter's Figs. 7–8, §5.2).
//!
//! Relevance is coloured with [`seismic`](crate::seismic) symmetrically about zero: red positive,
//! blue negative, white zero. Which value the darkest red stands for is the panel's *scale*: its
//! own largest absolute value, or one shared by several panels ([`HeatmapScale`]) so that
//! their colours compare directly.

use image::{imageops, Rgb as Px, RgbImage};
use ndarray::{Array2, Array3, ArrayView2, ArrayView3};
use plotters::coord::Shift;
use plotters::element::{PathElement, Rectangle, Text};
use plotters::prelude::{BitMapBackend, DrawingArea, IntoDrawingArea};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontStyle, FontTransform, IntoFont, RGBColor, TextStyle};

use super::axes::{format_tick, nice_step, nice_ticks};
use crate::color::{check_overlay, encode_png, seismic, symmetric_unit, ColorMap, Rgb};
use crate::error::{check_finite, draw_err, ReportError};
use crate::figure::{text_style, INK};
use crate::font;

/// How heatmaps shown side by side are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeatmapScale {
    /// Every map spans ± its own largest absolute value: the pattern of each map is fully
    /// visible, but equal colours in two maps may stand for different values.
    #[default]
    PerPanel,
    /// Every map spans ± the largest absolute value over all of them: equal colours are equal
    /// values, so the maps compare directly (a weak map looks faint).
    Common,
}

impl HeatmapScale {
    /// The value each map's extreme colour stands for, given each map's own largest absolute
    /// value `own[k]` (see [`largest_abs`]): `own` itself, or its maximum repeated.
    pub fn apply(self, own: &[f64]) -> Vec<f64> {
        match self {
            HeatmapScale::PerPanel => own.to_vec(),
            HeatmapScale::Common => {
                let common = largest_abs(own.iter().copied());
                vec![common; own.len()]
            }
        }
    }

    /// A phrase for captions, e.g. "each map on its own scale".
    pub fn describe(self) -> &'static str {
        match self {
            HeatmapScale::PerPanel => {
                "each map on its own scale (its colour bar spans ± its own largest absolute value)"
            }
            HeatmapScale::Common => {
                "all maps on one common scale (every colour bar spans ± the largest absolute value over these maps)"
            }
        }
    }

    /// `per-panel` or `common` (for file names and JSON).
    pub fn name(self) -> &'static str {
        match self {
            HeatmapScale::PerPanel => "per-panel",
            HeatmapScale::Common => "common",
        }
    }
}

/// The largest absolute value among `values`, skipping non-finite ones (0 when there is none).
pub fn largest_abs(values: impl IntoIterator<Item = f64>) -> f64 {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |m, v| m.max(v.abs()))
}

/// What a panel shows.
#[derive(Debug, Clone, PartialEq)]
enum Content {
    /// Signed relevance, seismic, optionally blended over a greyed image.
    Relevance {
        heat: Array2<f64>,
        max_abs: Option<f64>,
        under: Option<(Array3<u8>, f64)>,
    },
    /// An RGB picture as given (`(height, width, 3)`).
    Picture(Array3<u8>),
}

/// A colour bar: which map, and the values at its bottom and top.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bar {
    map: ColorMap,
    lo: f64,
    hi: f64,
}

/// One framed panel of a figure: a title (with an optional colour swatch and a second line), the
/// map inside a thin frame, and to its right a colour bar with ticks in the map's units (or a
/// legend of named colours).
///
/// * [`HeatmapPanel::relevance`] colours signed relevance with the seismic map, symmetric about
///   zero (red positive, blue negative, white zero), scaled by the map's largest absolute value
///   or by a given one ([`HeatmapPanel::max_abs`], e.g. a [`HeatmapScale::Common`] scale);
///   [`HeatmapPanel::over`] blends it over a greyed image.
/// * [`HeatmapPanel::picture`] frames a picture as given; [`HeatmapPanel::colorbar`] adds the
///   bar of the colour map it was drawn with, [`HeatmapPanel::legend`] a list of named colours.
///
/// ```
/// use ndarray::array;
/// use neon_xai_report::HeatmapPanel;
/// let heat = array![[0.0, 2.0], [-1.0, 0.5]];
/// let png = HeatmapPanel::relevance("outlierness", heat.view())
///     .value_label("relevance R (score units)")
///     .side(160)
///     .render()?;
/// assert!(png.starts_with(&[0x89, b'P', b'N', b'G']));
/// # Ok::<(), neon_xai_report::ReportError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapPanel {
    title: String,
    subtitle: Option<String>,
    swatch: Option<Rgb>,
    content: Content,
    bar: Option<Bar>,
    legend: Vec<(String, Rgb)>,
    value_label: String,
    side: u32,
}

/// Smallest map side accepted, in pixels.
const MIN_MAP_SIDE: u32 = 16;
/// Margin around everything.
const PAD: i32 = 6;
/// Colour-bar width.
const BAR_W: i32 = 14;
/// Gap between the map and the colour bar or legend.
const BAR_GAP: i32 = 12;
/// Tick length.
const TICK_LEN: i32 = 4;
/// Text sizes of a panel (smaller than a chart's: panels are set three in a row).
const TITLE_PX: f64 = 16.0;
const SUBTITLE_PX: f64 = 13.0;
const TICK_PX: f64 = 12.0;
/// Colour of the second title line.
const MUTED: RGBColor = RGBColor(90, 90, 90);

impl HeatmapPanel {
    fn with(title: impl Into<String>, content: Content) -> Self {
        HeatmapPanel {
            title: title.into(),
            subtitle: None,
            swatch: None,
            content,
            bar: None,
            legend: Vec::new(),
            value_label: String::new(),
            side: 320,
        }
    }

    /// A panel of signed relevance `heat` (row 0 at the top), coloured with the seismic map
    /// symmetric about zero and scaled by its largest absolute value (see
    /// [`HeatmapPanel::max_abs`]), with a colour bar from −scale (dark blue) to +scale (dark red).
    pub fn relevance(title: impl Into<String>, heat: ArrayView2<f64>) -> Self {
        Self::with(
            title,
            Content::Relevance {
                heat: heat.to_owned(),
                max_abs: None,
                under: None,
            },
        )
    }

    /// A panel showing `image` (`(height, width, 3)`, e.g. a photo, a mask or a map already
    /// coloured) as it is.
    pub fn picture(title: impl Into<String>, image: ArrayView3<u8>) -> Self {
        Self::with(title, Content::Picture(image.to_owned()))
    }

    /// Scale a relevance panel by `max_abs` instead of its own largest absolute value: the
    /// extreme colours then stand for ±`max_abs` (values beyond it saturate). Use one value for
    /// several panels to put them on a common scale ([`HeatmapScale::apply`]).
    pub fn max_abs(mut self, max_abs: f64) -> Self {
        if let Content::Relevance { max_abs: m, .. } = &mut self.content {
            *m = Some(max_abs);
        }
        self
    }

    /// Blend a relevance panel over a greyed `image` (`(height, width, 3)`, the heatmap's size):
    /// each pixel is `(1 − alpha)·grey + alpha·colour`, `alpha ∈ [0, 1]`.
    pub fn over(mut self, image: ArrayView3<u8>, alpha: f64) -> Self {
        if let Content::Relevance { under, .. } = &mut self.content {
            *under = Some((image.to_owned(), alpha));
        }
        self
    }

    /// Give a picture panel the colour bar of the map it was drawn with: `map` at 0 is `lo`, at
    /// 1 is `hi` (ignored by relevance panels, whose bar follows their scale).
    pub fn colorbar(mut self, map: ColorMap, lo: f64, hi: f64) -> Self {
        self.bar = Some(Bar { map, lo, hi });
        self
    }

    /// A legend of named colours to the right of the map (e.g. the clusters of a cluster map);
    /// it takes the place of a colour bar.
    pub fn legend<S: Into<String>>(mut self, entries: impl IntoIterator<Item = (S, Rgb)>) -> Self {
        self.legend = entries.into_iter().map(|(s, c)| (s.into(), c)).collect();
        self
    }

    /// A second, smaller title line (e.g. what the map explains).
    pub fn subtitle(mut self, subtitle: impl Into<String>) -> Self {
        self.subtitle = Some(subtitle.into());
        self
    }

    /// A colour square in front of the title (e.g. the cluster's colour in a cluster map).
    pub fn title_swatch(mut self, color: Rgb) -> Self {
        self.swatch = Some(color);
        self
    }

    /// The label along the colour bar, with units (e.g. "relevance R (o(x) units)").
    pub fn value_label(mut self, label: impl Into<String>) -> Self {
        self.value_label = label.into();
        self
    }

    /// The longer side of the map in the panel, in pixels (default 320; the map is resampled).
    pub fn side(mut self, side: u32) -> Self {
        self.side = side;
        self
    }

    /// The value the panel's extreme colours stand for (relevance panels): the given scale or
    /// the map's largest absolute value.
    pub fn scale(&self) -> Option<f64> {
        match &self.content {
            Content::Relevance { heat, max_abs, .. } => {
                Some(max_abs.unwrap_or_else(|| largest_abs(heat.iter().copied())))
            }
            Content::Picture(_) => None,
        }
    }

    fn check(&self) -> Result<(), ReportError> {
        if self.side < MIN_MAP_SIDE {
            return Err(ReportError::FigureTooSmall {
                width: self.side,
                height: self.side,
                min: MIN_MAP_SIDE,
            });
        }
        match &self.content {
            Content::Relevance {
                heat,
                max_abs,
                under,
            } => {
                if heat.is_empty() {
                    return Err(ReportError::Empty { what: "heatmap" });
                }
                check_finite("heatmap", heat.iter())?;
                if let Some(m) = max_abs {
                    if !(m.is_finite() && *m >= 0.0) {
                        return Err(ReportError::OutOfRange {
                            what: "heatmap scale",
                            range: "[0, ∞)",
                            value: *m,
                        });
                    }
                }
                if let Some((image, alpha)) = under {
                    check_overlay(image.view(), heat.dim(), *alpha)?;
                    check_rgb(image.view())?;
                }
            }
            Content::Picture(image) => {
                if image.is_empty() {
                    return Err(ReportError::Empty { what: "picture" });
                }
                check_rgb(image.view())?;
            }
        }
        if let Some(bar) = self.bar {
            check_finite("colour bar range", [bar.lo, bar.hi].iter())?;
        }
        Ok(())
    }

    /// The map at full resolution, coloured, and the colour bar that goes with it.
    fn colored(&self) -> (RgbImage, Option<Bar>) {
        match &self.content {
            Content::Relevance { heat, under, .. } => {
                let m = self.scale().unwrap_or(0.0);
                let (h, w) = heat.dim();
                let img = RgbImage::from_fn(w as u32, h as u32, |x, y| {
                    let (x, y) = (x as usize, y as usize);
                    let c = seismic(symmetric_unit(heat[[y, x]], m)).to_array();
                    match under {
                        Some((image, alpha)) => {
                            let grey = 0.299 * f64::from(image[[y, x, 0]])
                                + 0.587 * f64::from(image[[y, x, 1]])
                                + 0.114 * f64::from(image[[y, x, 2]]);
                            Px(c.map(|v| {
                                ((1.0 - alpha) * grey + alpha * f64::from(v))
                                    .round()
                                    .clamp(0.0, 255.0) as u8
                            }))
                        }
                        None => Px(c),
                    }
                });
                let bar = Bar {
                    map: ColorMap::Seismic,
                    lo: -m,
                    hi: m,
                };
                (img, Some(bar))
            }
            Content::Picture(image) => {
                let (h, w, _) = image.dim();
                let img = RgbImage::from_fn(w as u32, h as u32, |x, y| {
                    let (x, y) = (x as usize, y as usize);
                    Px([image[[y, x, 0]], image[[y, x, 1]], image[[y, x, 2]]])
                });
                (img, self.bar)
            }
        }
    }

    /// Validate the inputs and draw the panel as PNG bytes.
    pub fn render(&self) -> Result<Vec<u8>, ReportError> {
        let img = self.render_rgb()?;
        encode_png(img.as_raw(), img.width(), img.height())
    }

    /// Validate the inputs and draw the panel as an RGB image (to be composed with others).
    pub fn render_rgb(&self) -> Result<RgbImage, ReportError> {
        self.check()?;
        font::ensure_registered()?;
        let (full, bar) = self.colored();
        let map = fit(&full, self.side);
        let (mw, mh) = (map.width() as i32, map.height() as i32);
        let ticks = bar.map(|b| BarTicks::new(b.lo, b.hi));

        // Text extents, measured on a scratch canvas.
        let mut scratch = vec![255_u8; 16 * 16 * 3];
        let probe = BitMapBackend::with_buffer(&mut scratch, (16, 16)).into_drawing_area();
        let measure = |text: &str, style: &TextStyle| -> Result<(i32, i32), ReportError> {
            if text.is_empty() {
                return Ok((0, 0));
            }
            let (w, h) = probe.estimate_text_size(text, style).map_err(draw_err)?;
            Ok((w as i32, h as i32))
        };
        let tick_style = text_style(TICK_PX);
        let label_style = text_style(TICK_PX);
        let strip = if let Some(t) = &ticks {
            let widest = t
                .labels
                .iter()
                .map(|(_, l)| measure(l, &tick_style).map(|s| s.0))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .max()
                .unwrap_or(0);
            let label = self.bar_label(t);
            let label_h = if label.is_empty() {
                0
            } else {
                measure(&label, &label_style)?.1 + 6
            };
            BAR_GAP + BAR_W + TICK_LEN + 3 + widest + 4 + label_h
        } else if !self.legend.is_empty() {
            let widest = self
                .legend
                .iter()
                .map(|(l, _)| measure(l, &tick_style).map(|s| s.0))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .max()
                .unwrap_or(0);
            BAR_GAP + 12 + 5 + widest + 2
        } else {
            0
        };
        let width = PAD + 1 + mw + 1 + strip + PAD;
        let inner = width - 2 * PAD;
        let swatch_w = if self.swatch.is_some() { 18 } else { 0 };
        let title_style = fitted(&self.title, TITLE_PX, true, inner - swatch_w, &measure)?;
        let title_h = measure(&self.title, &title_style)?.1.max(TITLE_PX as i32) + 4;
        let subtitle_style = match &self.subtitle {
            Some(s) => Some(fitted(s, SUBTITLE_PX, false, inner, &measure)?),
            None => None,
        };
        let subtitle_h = match (&self.subtitle, &subtitle_style) {
            (Some(s), Some(st)) => measure(s, st)?.1.max(SUBTITLE_PX as i32) + 3,
            _ => 0,
        };
        let (x0, y0) = (PAD + 1, PAD + title_h + subtitle_h + 4);
        let height = y0 + mh + 1 + PAD;
        let (width, height) = (width as u32, height as u32);
        drop(probe);

        // Pixels first (map and bar), then lines and text on top.
        let mut rgb = vec![255_u8; width as usize * height as usize * 3];
        let put = |rgb: &mut [u8], x: i32, y: i32, c: [u8; 3]| {
            if x >= 0 && y >= 0 && (x as u32) < width && (y as u32) < height {
                let i = (y as usize * width as usize + x as usize) * 3;
                rgb[i..i + 3].copy_from_slice(&c);
            }
        };
        for (x, y, p) in map.enumerate_pixels() {
            put(&mut rgb, x0 + x as i32, y0 + y as i32, p.0);
        }
        let bar_x = x0 + mw + 1 + BAR_GAP;
        if let Some(b) = bar {
            for row in 0..mh {
                let t = 1.0 - (f64::from(row) + 0.5) / f64::from(mh);
                let c = b.map.at(t).to_array();
                for x in bar_x..bar_x + BAR_W {
                    put(&mut rgb, x, y0 + row, c);
                }
            }
        }
        {
            let area = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
            let frame_style = INK.stroke_width(1);
            area.draw(&Rectangle::new(
                [(x0 - 1, y0 - 1), (x0 + mw, y0 + mh)],
                frame_style,
            ))
            .map_err(draw_err)?;
            // title line
            let mut tx = PAD;
            if let Some(c) = self.swatch {
                let cy = PAD + title_h / 2;
                area.draw(&Rectangle::new(
                    [(tx, cy - 6), (tx + 12, cy + 6)],
                    c.to_plotters().filled(),
                ))
                .map_err(draw_err)?;
                area.draw(&Rectangle::new(
                    [(tx, cy - 6), (tx + 12, cy + 6)],
                    frame_style,
                ))
                .map_err(draw_err)?;
                tx += swatch_w;
            }
            area.draw(&Text::new(
                self.title.clone(),
                (tx, PAD + title_h / 2),
                title_style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(draw_err)?;
            if let (Some(s), Some(st)) = (&self.subtitle, subtitle_style) {
                area.draw(&Text::new(
                    s.clone(),
                    (PAD, PAD + title_h + subtitle_h / 2),
                    st.pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(draw_err)?;
            }
            if let (Some(t), Some(b)) = (&ticks, bar) {
                self.draw_bar(&area, t, b, (bar_x, y0, mh), &tick_style)?;
            } else if !self.legend.is_empty() {
                self.draw_legend(&area, (bar_x, y0), &tick_style)?;
            }
            area.present().map_err(draw_err)?;
        }
        RgbImage::from_raw(width, height, rgb)
            .ok_or_else(|| ReportError::Draw("panel buffer has the wrong size".to_string()))
    }

    /// The rotated label along the bar, with the tick multiplier if any.
    fn bar_label(&self, t: &BarTicks) -> String {
        match (&t.multiplier, self.value_label.is_empty()) {
            (Some(m), true) => m.clone(),
            (Some(m), false) => format!("{} {m}", self.value_label),
            (None, _) => self.value_label.clone(),
        }
    }

    fn draw_bar(
        &self,
        area: &DrawingArea<BitMapBackend<'_>, Shift>,
        t: &BarTicks,
        b: Bar,
        (bar_x, y0, mh): (i32, i32, i32),
        tick_style: &TextStyle,
    ) -> Result<(), ReportError> {
        let frame_style = INK.stroke_width(1);
        area.draw(&Rectangle::new(
            [(bar_x - 1, y0 - 1), (bar_x + BAR_W, y0 + mh)],
            frame_style,
        ))
        .map_err(draw_err)?;
        let span = b.hi - b.lo;
        let mut widest = 0;
        for (value, label) in &t.labels {
            let f = if span > 0.0 {
                (value - b.lo) / span
            } else {
                0.5
            };
            let y = y0 + ((1.0 - f) * f64::from(mh - 1)).round() as i32;
            area.draw(&PathElement::new(
                vec![(bar_x + BAR_W, y), (bar_x + BAR_W + TICK_LEN, y)],
                frame_style,
            ))
            .map_err(draw_err)?;
            let lx = bar_x + BAR_W + TICK_LEN + 3;
            area.draw(&Text::new(
                label.clone(),
                (lx, y),
                tick_style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(draw_err)?;
            let (w, _) = area
                .estimate_text_size(label, tick_style)
                .map_err(draw_err)?;
            widest = widest.max(w as i32);
        }
        let label = self.bar_label(t);
        if !label.is_empty() {
            let style = text_style(TICK_PX)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Center));
            let (_, lh) = area
                .estimate_text_size(&label, &text_style(TICK_PX))
                .map_err(draw_err)?;
            let x = bar_x + BAR_W + TICK_LEN + 3 + widest + 4 + lh as i32 / 2;
            area.draw(&Text::new(label, (x, y0 + mh / 2), style))
                .map_err(draw_err)?;
        }
        Ok(())
    }

    fn draw_legend(
        &self,
        area: &DrawingArea<BitMapBackend<'_>, Shift>,
        (x, y0): (i32, i32),
        style: &TextStyle,
    ) -> Result<(), ReportError> {
        for (k, (label, color)) in self.legend.iter().enumerate() {
            let cy = y0 + 9 + 18 * k as i32;
            let block = [(x, cy - 6), (x + 12, cy + 6)];
            area.draw(&Rectangle::new(block, color.to_plotters().filled()))
                .map_err(draw_err)?;
            area.draw(&Rectangle::new(block, INK.stroke_width(1)))
                .map_err(draw_err)?;
            area.draw(&Text::new(
                label.clone(),
                (x + 17, cy),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(draw_err)?;
        }
        Ok(())
    }
}

fn check_rgb(image: ArrayView3<u8>) -> Result<(), ReportError> {
    let channels = image.dim().2;
    if channels != 3 {
        return Err(ReportError::NotRgb { found: channels });
    }
    let (h, w, _) = image.dim();
    if h > 65_535 || w > 65_535 {
        return Err(ReportError::OutOfRange {
            what: "image side",
            range: "1..=65535 pixels",
            value: h.max(w) as f64,
        });
    }
    Ok(())
}

/// Scale `img` so that its longer side is `side`: a triangle filter when shrinking, nearest
/// neighbour when enlarging (so that a coarse map keeps its cells).
fn fit(img: &RgbImage, side: u32) -> RgbImage {
    let longer = img.width().max(img.height());
    if longer == side || longer == 0 {
        return img.clone();
    }
    let s = f64::from(side) / f64::from(longer);
    let w = ((f64::from(img.width()) * s).round() as u32).max(1);
    let h = ((f64::from(img.height()) * s).round() as u32).max(1);
    let filter = if s < 1.0 {
        imageops::FilterType::Triangle
    } else {
        imageops::FilterType::Nearest
    };
    imageops::resize(img, w, h, filter)
}

/// Measures a text's `(width, height)` in pixels in a style.
type Measure<'a> = dyn Fn(&str, &TextStyle) -> Result<(i32, i32), ReportError> + 'a;

/// The largest font size ≤ `size` (down to 9 px) at which `text` fits in `width` pixels.
fn fitted(
    text: &str,
    size: f64,
    bold: bool,
    width: i32,
    measure: &Measure<'_>,
) -> Result<TextStyle<'static>, ReportError> {
    let style_at = |px: f64| -> TextStyle<'static> {
        if bold {
            (font::FAMILY, px, FontStyle::Bold).into_font().color(&INK)
        } else {
            (font::FAMILY, px).into_font().color(&MUTED)
        }
    };
    let mut px = size;
    while px > 9.0 && measure(text, &style_at(px))?.0 > width {
        px -= 1.0;
    }
    Ok(style_at(px))
}

/// Ticks of a colour bar from `lo` to `hi`: round values with their labels; for very large or
/// very small values the labels are of the values divided by a power of ten, named in
/// `multiplier` (e.g. "×10⁻⁴").
#[derive(Debug, Clone, PartialEq)]
struct BarTicks {
    labels: Vec<(f64, String)>,
    multiplier: Option<String>,
}

impl BarTicks {
    fn new(lo: f64, hi: f64) -> Self {
        let magnitude = lo.abs().max(hi.abs());
        if !(magnitude > 0.0 && magnitude.is_finite()) || hi <= lo {
            return BarTicks {
                labels: vec![(0.5 * (lo + hi), format_tick(0.5 * (lo + hi), 1.0))],
                multiplier: None,
            };
        }
        let exponent = magnitude.log10().floor() as i32;
        let (factor, multiplier) = if !(-2..5).contains(&exponent) {
            (
                10_f64.powi(-exponent),
                Some(format!("×10{}", superscript(exponent))),
            )
        } else {
            (1.0, None)
        };
        let (a, b) = (lo * factor, hi * factor);
        let step = nice_step(a, b, 6);
        let labels = nice_ticks(a, b, 6)
            .into_iter()
            .map(|t| (t / factor, format_tick(t, step)))
            .collect();
        BarTicks { labels, multiplier }
    }
}

/// An integer in superscript digits (`-4` → `⁻⁴`).
fn superscript(n: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::new();
    if n < 0 {
        s.push('⁻');
    }
    for c in n.unsigned_abs().to_string().chars() {
        if let Some(d) = c.to_digit(10) {
            s.push(DIGITS[d as usize]);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn decode(png: &[u8]) -> RgbImage {
        image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .expect("PNG decodes")
            .to_rgb8()
    }

    fn is_red(p: [u8; 3]) -> bool {
        p[0] > 100 && p[1] < 40 && p[2] < 40
    }

    fn is_blue(p: [u8; 3]) -> bool {
        p[2] > 100 && p[0] < 40 && p[1] < 40
    }

    fn is_dark(p: [u8; 3]) -> bool {
        p.iter().all(|&c| c < 90)
    }

    /// Left column of the map.
    const X0: u32 = PAD as u32 + 1;

    /// Top row of the map: the first row whose pixel in column `X0 + 2` satisfies `is_map`.
    fn map_top(img: &RgbImage, is_map: impl Fn([u8; 3]) -> bool) -> u32 {
        (0..img.height())
            .find(|&y| is_map(img.get_pixel(X0 + 2, y).0))
            .expect("the map is drawn")
    }

    /// Left column of the colour bar right of a map `map_width` pixels wide.
    fn bar_left(map_width: u32) -> u32 {
        X0 + map_width + 1 + BAR_GAP as u32
    }

    fn count(img: &RgbImage, color: Rgb) -> usize {
        img.pixels().filter(|p| p.0 == color.to_array()).count()
    }

    #[test]
    fn relevance_panel_has_frame_title_and_a_red_to_blue_colour_bar() {
        // 40 × 40: left half positive, right half negative
        let heat = Array2::from_shape_fn((40, 40), |(_, x)| if x < 20 { 2.0 } else { -1.0 });
        let plain = fit(&RgbImage::new(40, 40), 80);
        assert_eq!(plain.dimensions(), (80, 80));
        let img = decode(
            &HeatmapPanel::relevance("outlierness", heat.view())
                .value_label("relevance R")
                .side(80)
                .render()
                .expect("render"),
        );
        // wider than the map: the colour bar and its ticks sit to the right
        assert!(img.width() > 80 + 40, "{:?}", img.dimensions());
        let y0 = map_top(&img, is_red);
        // the map: left half dark red (the largest value), right half blue; framed in ink
        assert_eq!(img.get_pixel(X0 + 5, y0 + 40).0, seismic(1.0).to_array());
        assert!(is_blue(img.get_pixel(X0 + 70, y0 + 40).0));
        assert!(is_dark(img.get_pixel(X0 - 1, y0 + 10).0));
        assert!(is_dark(img.get_pixel(X0 + 10, y0 - 1).0));
        assert!(is_dark(img.get_pixel(X0 + 80, y0 + 10).0));
        assert!(is_dark(img.get_pixel(X0 + 10, y0 + 80).0));
        // the bar, as tall as the map: top red, middle white, bottom blue, framed
        let bx = bar_left(80) + BAR_W as u32 / 2;
        assert!(is_red(img.get_pixel(bx, y0).0));
        assert!(is_blue(img.get_pixel(bx, y0 + 79).0));
        assert!(is_dark(img.get_pixel(bx, y0 - 1).0));
        assert!(is_dark(img.get_pixel(bx, y0 + 80).0));
        let mid = img.get_pixel(bx, y0 + 40).0;
        assert!(mid.iter().all(|&c| c > 230), "{mid:?}");
        // title above the map, tick labels right of the bar
        let dark = |xs: std::ops::Range<u32>, ys: std::ops::Range<u32>| {
            ys.flat_map(|y| xs.clone().map(move |x| (x, y)))
                .filter(|&(x, y)| is_dark(img.get_pixel(x, y).0))
                .count()
        };
        assert!(dark(0..img.width(), 0..y0 - 2) > 30, "no title");
        let right = bar_left(80) + BAR_W as u32 + 1;
        assert!(dark(right..img.width(), y0..y0 + 80) > 30, "no tick labels");
    }

    #[test]
    fn a_common_scale_makes_a_weak_map_faint() {
        let weak = array![[1.0, 0.0], [0.0, 0.0]];
        let own = HeatmapPanel::relevance("weak", weak.view()).side(20);
        let common = HeatmapScale::Common.apply(&[1.0, 4.0]);
        assert_eq!(common, vec![4.0, 4.0]);
        assert_eq!(HeatmapScale::PerPanel.apply(&[1.0, 4.0]), vec![1.0, 4.0]);
        let shared = own.clone().max_abs(common[0]);
        assert_eq!(own.scale(), Some(1.0));
        assert_eq!(shared.scale(), Some(4.0));
        let a = own.render_rgb().expect("render");
        let b = shared.render_rgb().expect("render");
        // the 2 × 2 map is enlarged to 20 × 20: its top-left cell is 10 × 10 pixels
        let full = seismic(1.0);
        let quarter = seismic(symmetric_unit(1.0, 4.0));
        assert!(count(&a, full) >= 100);
        assert!(count(&b, quarter) >= 100);
        assert!(count(&b, full) < 100);
        assert_eq!(largest_abs([1.0, -3.0, f64::NAN]), 3.0);
        assert!(HeatmapScale::Common.describe().contains("common"));
        assert_eq!(HeatmapScale::default(), HeatmapScale::PerPanel);
    }

    #[test]
    fn picture_panels_take_a_colour_bar_or_a_legend() {
        let green = [10_u8, 200, 10];
        let img = Array3::from_shape_fn((30, 60, 3), |(_, _, c)| green[c]);
        let with_bar = HeatmapPanel::picture("scores", img.view())
            .colorbar(ColorMap::Viridis, 0.0, 10.0)
            .value_label("o(x)")
            .side(60)
            .render_rgb()
            .expect("render");
        let plain = HeatmapPanel::picture("scores", img.view())
            .side(60)
            .render_rgb()
            .expect("render");
        assert!(with_bar.width() > plain.width() + 30);
        let y0 = map_top(&with_bar, |p| p == green);
        // the viridis bar: yellow at the top, dark purple at the bottom
        let bx = bar_left(60) + BAR_W as u32 / 2;
        let top = with_bar.get_pixel(bx, y0).0;
        let bottom = with_bar.get_pixel(bx, y0 + 29).0;
        assert!(top[0] > 200 && top[1] > 200 && top[2] < 100, "{top:?}");
        assert!(bottom[2] > bottom[1] && bottom[0] < 120, "{bottom:?}");
        let legend = HeatmapPanel::picture("clusters", img.view())
            .legend([
                ("cluster 0", Rgb(230, 171, 2)),
                ("cluster 1", Rgb(153, 0, 153)),
            ])
            .side(60)
            .render_rgb()
            .expect("render");
        assert!(legend.width() > plain.width() + 40);
        assert!(count(&legend, Rgb(230, 171, 2)) >= 100);
        assert!(count(&legend, Rgb(153, 0, 153)) >= 100);
        let swatch = HeatmapPanel::picture("cluster 1", img.view())
            .title_swatch(Rgb(153, 0, 153))
            .subtitle("its locations")
            .side(60)
            .render_rgb()
            .expect("render");
        assert!(count(&swatch, Rgb(153, 0, 153)) >= 100);
    }

    #[test]
    fn overlays_blend_over_grey_and_check_their_inputs() {
        let heat = array![[1.0, 0.0], [0.0, -1.0]];
        let image = Array3::<u8>::from_elem((2, 2, 3), 100);
        let panel = HeatmapPanel::relevance("over", heat.view())
            .over(image.view(), 0.5)
            .side(20);
        let img = panel.render_rgb().expect("render");
        // zero relevance: half grey, half white
        assert!(img.pixels().any(|p| p.0 == [178, 178, 178]));
        let wrong = Array3::<u8>::zeros((3, 2, 3));
        let bad = HeatmapPanel::relevance("x", heat.view()).over(wrong.view(), 0.5);
        assert!(matches!(
            bad.render(),
            Err(ReportError::ShapeMismatch { .. })
        ));
        let bad = HeatmapPanel::relevance("x", heat.view()).over(image.view(), 2.0);
        assert!(matches!(bad.render(), Err(ReportError::OutOfRange { .. })));
        let nan = array![[f64::NAN]];
        assert!(matches!(
            HeatmapPanel::relevance("x", nan.view()).render(),
            Err(ReportError::NonFinite { .. })
        ));
        let empty = Array2::<f64>::zeros((0, 2));
        assert!(matches!(
            HeatmapPanel::relevance("x", empty.view()).render(),
            Err(ReportError::Empty { .. })
        ));
        assert!(matches!(
            HeatmapPanel::relevance("x", heat.view())
                .max_abs(-1.0)
                .render(),
            Err(ReportError::OutOfRange { .. })
        ));
        let grey = Array3::<u8>::zeros((2, 2, 1));
        assert!(matches!(
            HeatmapPanel::picture("x", grey.view()).render(),
            Err(ReportError::NotRgb { found: 1 })
        ));
        assert!(HeatmapPanel::relevance("x", heat.view())
            .side(4)
            .render()
            .is_err());
    }

    #[test]
    fn bar_ticks_are_in_the_maps_units() {
        let t = BarTicks::new(-1457.6, 1457.6);
        assert_eq!(t.multiplier, None);
        let labels: Vec<&str> = t.labels.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["-1000", "-500", "0", "500", "1000"]);
        let t = BarTicks::new(-2.3e-4, 2.3e-4);
        assert_eq!(t.multiplier.as_deref(), Some("×10⁻⁴"));
        let labels: Vec<&str> = t.labels.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["-2", "-1", "0", "1", "2"]);
        assert!((t.labels[0].0 + 2e-4).abs() < 1e-15);
        let t = BarTicks::new(3289.0, 105_293.0);
        assert_eq!(t.multiplier.as_deref(), Some("×10⁵"));
        let t = BarTicks::new(0.0, 0.0);
        assert_eq!(t.labels.len(), 1);
        assert_eq!(superscript(-12), "⁻¹²");
    }
}
