//! Colour maps and pixel-relevance heatmaps.
//!
//! Relevance is signed, so heatmaps of it use a diverging map ([`seismic`]: red for positive, blue
//! for negative, white at zero) scaled symmetrically about zero ([`symmetric_unit`]), as in the
//! chapter's pixel explanations (§5.2, Figs. 7–8). Non-negative quantities such as inlierness use
//! the sequential [`viridis`] map.

use image::{ImageEncoder, RgbImage};
use ndarray::{ArrayView2, ArrayView3};

use crate::error::check_finite;
use crate::error::ReportError;

/// An 8-bit sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Black.
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    /// White.
    pub const WHITE: Rgb = Rgb(255, 255, 255);
    /// The red used for positive relevance in bar charts.
    pub const POSITIVE: Rgb = Rgb(214, 39, 40);
    /// The blue used for negative relevance in bar charts.
    pub const NEGATIVE: Rgb = Rgb(31, 119, 180);

    /// The colour as `[r, g, b]`.
    pub fn to_array(self) -> [u8; 3] {
        [self.0, self.1, self.2]
    }

    pub(crate) fn to_plotters(self) -> plotters::style::RGBColor {
        plotters::style::RGBColor(self.0, self.1, self.2)
    }
}

/// A named colour map, for builders that take one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorMap {
    /// Sequential, perceptually uniform ([`viridis`]).
    #[default]
    Viridis,
    /// Diverging red–white–blue ([`seismic`]).
    Seismic,
}

impl ColorMap {
    /// The colour at `t ∈ [0, 1]` (clamped).
    pub fn at(self, t: f64) -> Rgb {
        match self {
            ColorMap::Viridis => viridis(t),
            ColorMap::Seismic => seismic(t),
        }
    }
}

/// The ten categorical colours, used for clusters and series: matplotlib's `tab10` with its
/// blue, red and cyan replaced (gold, dark magenta, dark grey), so that a cluster's colour never reads as the
/// sign of a relevance ([`Rgb::POSITIVE`] red, [`Rgb::NEGATIVE`] blue).
pub const CATEGORICAL: [Rgb; 10] = [
    Rgb(230, 171, 2),
    Rgb(255, 127, 14),
    Rgb(44, 160, 44),
    Rgb(153, 0, 153),
    Rgb(148, 103, 189),
    Rgb(140, 86, 75),
    Rgb(227, 119, 194),
    Rgb(127, 127, 127),
    Rgb(188, 189, 34),
    Rgb(60, 60, 60),
];

/// The categorical colour of category `index` (cycling after ten).
pub fn categorical(index: usize) -> Rgb {
    CATEGORICAL[index % CATEGORICAL.len()]
}

/// Control points of [`seismic`] at t = 0, ¼, ½, ¾, 1: dark blue, blue, white, red, dark red.
/// Mirror-symmetric: swapping red and blue maps t to 1 − t.
const SEISMIC: [[f64; 3]; 5] = [
    [0.0, 0.0, 0.5],
    [0.0, 0.0, 1.0],
    [1.0, 1.0, 1.0],
    [1.0, 0.0, 0.0],
    [0.5, 0.0, 0.0],
];

/// matplotlib's viridis sampled at t = k/16, k = 0…16 (linear interpolation of its 256-entry table).
const VIRIDIS: [[f64; 3]; 17] = [
    [0.2670, 0.0049, 0.3294],
    [0.2823, 0.0946, 0.4170],
    [0.2789, 0.1749, 0.4830],
    [0.2593, 0.2507, 0.5244],
    [0.2302, 0.3213, 0.5455],
    [0.2000, 0.3864, 0.5545],
    [0.1733, 0.4474, 0.5579],
    [0.1497, 0.5064, 0.5573],
    [0.1281, 0.5651, 0.5509],
    [0.1203, 0.6238, 0.5343],
    [0.1554, 0.6815, 0.5032],
    [0.2415, 0.7366, 0.4545],
    [0.3629, 0.7867, 0.3866],
    [0.5081, 0.8292, 0.2992],
    [0.6694, 0.8622, 0.1954],
    [0.8359, 0.8861, 0.1025],
    [0.9932, 0.9062, 0.1439],
];

/// Piecewise-linear interpolation between equally spaced control points.
fn interpolate(points: &[[f64; 3]], t: f64) -> Rgb {
    let t = if t.is_nan() { 0.5 } else { t.clamp(0.0, 1.0) };
    let last = points.len() - 1;
    let x = t * last as f64;
    let i = (x.floor() as usize).min(last - 1);
    let f = x - i as f64;
    let channel = |c: usize| {
        let v = points[i][c] * (1.0 - f) + points[i + 1][c] * f;
        (v * 255.0).round().clamp(0.0, 255.0) as u8
    };
    Rgb(channel(0), channel(1), channel(2))
}

/// Diverging red–white–blue colour map (like matplotlib's `seismic`, made exactly symmetric).
///
/// `t = 0.5` is white (zero relevance), `t → 1` red (positive), `t → 0` blue (negative); `t` is
/// clamped to `[0, 1]` and NaN maps to white. Use [`symmetric_unit`] to map a signed value.
pub fn seismic(t: f64) -> Rgb {
    if t > 0.5 {
        // Computed from the mirrored point so that the symmetry is exact, not just up to rounding.
        let Rgb(r, g, b) = interpolate(&SEISMIC, 1.0 - t.min(1.0));
        Rgb(b, g, r)
    } else {
        interpolate(&SEISMIC, t)
    }
}

/// Sequential, perceptually uniform colour map (matplotlib's `viridis`): dark purple at 0,
/// yellow at 1; `t` is clamped to `[0, 1]`.
pub fn viridis(t: f64) -> Rgb {
    interpolate(&VIRIDIS, t)
}

/// Map a signed `value` to `[0, 1]` symmetrically about zero: `0 ↦ 0.5`, `±max_abs ↦ 1 / 0`.
///
/// A non-positive or non-finite `max_abs` maps everything to 0.5.
pub fn symmetric_unit(value: f64, max_abs: f64) -> f64 {
    if max_abs > 0.0 && max_abs.is_finite() {
        (0.5 + 0.5 * value / max_abs).clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// Map `value` to `[0, 1]` linearly between `min` and `max` (0.5 when the range is empty).
pub fn linear_unit(value: f64, min: f64, max: f64) -> f64 {
    if max > min {
        ((value - min) / (max - min)).clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// Colour every value of `values` (row-major), symmetric about zero with [`seismic`] or
/// min-to-max with [`viridis`].
fn colorize(values: ArrayView2<f64>, symmetric: bool) -> Vec<Rgb> {
    if symmetric {
        let max_abs = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        colorize_scaled(values, max_abs)
    } else {
        let (min, max) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        values
            .iter()
            .map(|&v| viridis(linear_unit(v, min, max)))
            .collect()
    }
}

/// Colour every value with [`seismic`], ±`max_abs` at the ends.
fn colorize_scaled(values: ArrayView2<f64>, max_abs: f64) -> Vec<Rgb> {
    values
        .iter()
        .map(|&v| seismic(symmetric_unit(v, max_abs)))
        .collect()
}

fn check_scale(max_abs: f64) -> Result<(), ReportError> {
    if max_abs.is_finite() && max_abs >= 0.0 {
        Ok(())
    } else {
        Err(ReportError::OutOfRange {
            what: "heatmap scale",
            range: "[0, ∞)",
            value: max_abs,
        })
    }
}

fn check_heat(heat: &ArrayView2<f64>) -> Result<(), ReportError> {
    if heat.is_empty() {
        return Err(ReportError::Empty { what: "heatmap" });
    }
    check_finite("heatmap", heat.iter())
}

/// Encode an RGB8 buffer of `width × height` pixels as PNG.
pub(crate) fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ReportError> {
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(rgb, width, height, image::ExtendedColorType::Rgb8)
        .map_err(|e| ReportError::Png(e.to_string()))?;
    Ok(png)
}

fn dims(rows: usize, cols: usize) -> Result<(u32, u32), ReportError> {
    let too_big = |v: usize| ReportError::OutOfRange {
        what: "image side",
        range: "1..=65535 pixels",
        value: v as f64,
    };
    let w = u32::try_from(cols).map_err(|_| too_big(cols))?;
    let h = u32::try_from(rows).map_err(|_| too_big(rows))?;
    if w > 65_535 || h > 65_535 {
        return Err(too_big(rows.max(cols)));
    }
    Ok((w, h))
}

/// Render a 2-D array as a PNG heatmap, one pixel per entry (row 0 at the top).
///
/// With `symmetric = true` the values are relevance scores: [`seismic`] scaled by the largest
/// absolute value, so zero is white and signs keep their colour (§5.2). Otherwise [`viridis`]
/// spans the minimum to the maximum.
pub fn heatmap_png(values: ArrayView2<f64>, symmetric: bool) -> Result<Vec<u8>, ReportError> {
    check_heat(&values)?;
    let (w, h) = dims(values.nrows(), values.ncols())?;
    let rgb: Vec<u8> = colorize(values, symmetric)
        .into_iter()
        .flat_map(Rgb::to_array)
        .collect();
    encode_png(&rgb, w, h)
}

/// Like [`heatmap_png`] for relevance (`symmetric = true`), but scaled by a given `max_abs`
/// instead of the map's own largest absolute value: ±`max_abs` are the extreme colours and
/// larger values saturate. One `max_abs` for several maps puts them on a common scale (see
/// [`crate::HeatmapScale`]).
pub fn heatmap_png_scaled(values: ArrayView2<f64>, max_abs: f64) -> Result<Vec<u8>, ReportError> {
    check_heat(&values)?;
    check_scale(max_abs)?;
    let (w, h) = dims(values.nrows(), values.ncols())?;
    let rgb: Vec<u8> = colorize_scaled(values, max_abs)
        .into_iter()
        .flat_map(Rgb::to_array)
        .collect();
    encode_png(&rgb, w, h)
}

/// Blend a signed relevance heatmap over an RGB image and encode the result as PNG.
///
/// `image` has shape `(height, width, 3)` (an `image::RgbImage` is viewed as one with
/// `ArrayView3::from_shape((height, width, 3), img.as_raw())`); `heat` has shape
/// `(height, width)` and is coloured with [`seismic`] symmetric about zero. Each pixel becomes `(1 − alpha) · image + alpha · heat colour`,
/// with `alpha ∈ [0, 1]`.
pub fn overlay_png(
    image: ArrayView3<u8>,
    heat: ArrayView2<f64>,
    alpha: f64,
) -> Result<Vec<u8>, ReportError> {
    check_heat(&heat)?;
    let max_abs = heat.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    overlay_png_scaled(image, heat, alpha, max_abs)
}

/// Check an overlay: opacity `alpha` in [0, 1], an RGB `image` of the heatmap's size `heat`
/// (rows, columns).
pub(crate) fn check_overlay(
    image: ArrayView3<u8>,
    heat: (usize, usize),
    alpha: f64,
) -> Result<(), ReportError> {
    if !(0.0..=1.0).contains(&alpha) {
        return Err(ReportError::OutOfRange {
            what: "overlay alpha",
            range: "[0, 1]",
            value: alpha,
        });
    }
    let (ih, iw, channels) = image.dim();
    if channels != 3 {
        return Err(ReportError::NotRgb { found: channels });
    }
    if (ih, iw) != heat {
        return Err(ReportError::ShapeMismatch {
            image_height: ih,
            image_width: iw,
            heat_height: heat.0,
            heat_width: heat.1,
        });
    }
    Ok(())
}

/// Like [`overlay_png`], with the heatmap scaled by a given `max_abs` (see
/// [`heatmap_png_scaled`]).
pub fn overlay_png_scaled(
    image: ArrayView3<u8>,
    heat: ArrayView2<f64>,
    alpha: f64,
    max_abs: f64,
) -> Result<Vec<u8>, ReportError> {
    check_heat(&heat)?;
    check_scale(max_abs)?;
    check_overlay(image, heat.dim(), alpha)?;
    let (ih, iw, _) = image.dim();
    let (w, h) = dims(ih, iw)?;
    let colors = colorize_scaled(heat, max_abs);
    let mut out = RgbImage::new(w, h);
    for ((y, x, c), &base) in image.indexed_iter() {
        let tint = colors[y * iw + x].to_array()[c];
        let v = (1.0 - alpha) * f64::from(base) + alpha * f64::from(tint);
        out.get_pixel_mut(x as u32, y as u32).0[c] = v.round().clamp(0.0, 255.0) as u8;
    }
    encode_png(out.as_raw(), w, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_colours_never_read_as_a_relevance_sign() {
        let distance = |a: Rgb, b: Rgb| {
            let d = |x: u8, y: u8| (f64::from(x) - f64::from(y)).powi(2);
            (d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)).sqrt()
        };
        for c in CATEGORICAL {
            for sign in [Rgb::POSITIVE, Rgb::NEGATIVE] {
                assert!(distance(c, sign) > 80.0, "{c:?} is close to {sign:?}");
            }
        }
    }
    use ndarray::{array, Array3};

    fn decode(png: &[u8]) -> RgbImage {
        image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .expect("decodes")
            .to_rgb8()
    }

    #[test]
    fn seismic_endpoints_and_centre() {
        assert_eq!(seismic(0.5), Rgb::WHITE);
        assert_eq!(seismic(0.75), Rgb(255, 0, 0));
        assert_eq!(seismic(0.25), Rgb(0, 0, 255));
        assert_eq!(seismic(1.0), Rgb(128, 0, 0));
        assert_eq!(seismic(0.0), Rgb(0, 0, 128));
        assert_eq!(seismic(-3.0), seismic(0.0));
        assert_eq!(seismic(7.0), seismic(1.0));
        assert_eq!(seismic(f64::NAN), Rgb::WHITE);
    }

    #[test]
    fn seismic_is_mirror_symmetric() {
        // dyadic steps, so that 1 − t is exact
        for k in 0..=128 {
            let t = f64::from(k) / 128.0;
            let Rgb(r, g, b) = seismic(t);
            assert_eq!(seismic(1.0 - t), Rgb(b, g, r), "t = {t}");
        }
    }

    #[test]
    fn positive_is_red_negative_is_blue() {
        let pos = seismic(symmetric_unit(2.0, 4.0));
        let neg = seismic(symmetric_unit(-2.0, 4.0));
        assert!(pos.0 > pos.2);
        assert!(neg.2 > neg.0);
        assert_eq!(symmetric_unit(0.0, 4.0), 0.5);
        assert_eq!(symmetric_unit(4.0, 4.0), 1.0);
        assert_eq!(symmetric_unit(-9.0, 4.0), 0.0);
        assert_eq!(symmetric_unit(1.0, 0.0), 0.5);
    }

    #[test]
    fn viridis_endpoints_and_brightness() {
        assert_eq!(viridis(0.0), Rgb(68, 1, 84));
        assert_eq!(viridis(1.0), Rgb(253, 231, 37));
        let luma =
            |c: Rgb| 0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2);
        let mut prev = luma(viridis(0.0));
        for k in 1..=50 {
            let l = luma(viridis(f64::from(k) / 50.0));
            assert!(l > prev, "viridis brightens monotonically");
            prev = l;
        }
    }

    #[test]
    fn heatmap_png_has_array_shape_and_symmetric_colours() {
        let heat = array![[-1.0, 0.0, 1.0], [0.5, -0.5, 0.0]];
        let img = decode(&heatmap_png(heat.view(), true).expect("png"));
        assert_eq!(img.dimensions(), (3, 2));
        assert_eq!(img.get_pixel(1, 0).0, [255, 255, 255]);
        assert_eq!(img.get_pixel(0, 0).0, seismic(0.0).to_array());
        assert_eq!(img.get_pixel(2, 0).0, seismic(1.0).to_array());
        let seq = decode(&heatmap_png(heat.view(), false).expect("png"));
        assert_eq!(seq.get_pixel(0, 0).0, viridis(0.0).to_array());
        assert_eq!(seq.get_pixel(2, 0).0, viridis(1.0).to_array());
    }

    #[test]
    fn heatmap_rejects_empty_and_nan() {
        let empty = ndarray::Array2::<f64>::zeros((0, 3));
        assert!(matches!(
            heatmap_png(empty.view(), true),
            Err(ReportError::Empty { .. })
        ));
        let nan = array![[0.0, f64::NAN]];
        assert!(matches!(
            heatmap_png(nan.view(), true),
            Err(ReportError::NonFinite { index: 1, .. })
        ));
    }

    #[test]
    fn overlay_blends_image_and_heat() {
        let mut image = Array3::<u8>::zeros((2, 2, 3));
        image.fill(100);
        let heat = array![[1.0, 0.0], [0.0, -1.0]];
        let out = decode(&overlay_png(image.view(), heat.view(), 0.5).expect("png"));
        assert_eq!(out.dimensions(), (2, 2));
        // zero relevance: half grey, half white
        assert_eq!(out.get_pixel(1, 0).0, [178, 178, 178]);
        let hot = out.get_pixel(0, 0).0;
        assert!(hot[0] > hot[2]);
        let cold = out.get_pixel(1, 1).0;
        assert!(cold[2] > cold[0]);
        let unchanged = decode(&overlay_png(image.view(), heat.view(), 0.0).expect("png"));
        assert!(unchanged.pixels().all(|p| p.0 == [100, 100, 100]));
    }

    #[test]
    fn a_given_scale_replaces_the_maps_own() {
        let heat = array![[1.0, 0.0, -4.0]];
        let own = decode(&heatmap_png(heat.view(), true).expect("png"));
        let same = decode(&heatmap_png_scaled(heat.view(), 4.0).expect("png"));
        assert_eq!(own, same);
        let common = decode(&heatmap_png_scaled(heat.view(), 8.0).expect("png"));
        assert_eq!(common.get_pixel(0, 0).0, seismic(0.5625).to_array());
        assert_eq!(common.get_pixel(1, 0).0, [255, 255, 255]);
        assert_eq!(common.get_pixel(2, 0).0, seismic(0.25).to_array());
        let saturated = decode(&heatmap_png_scaled(heat.view(), 1.0).expect("png"));
        assert_eq!(saturated.get_pixel(2, 0).0, seismic(0.0).to_array());
        assert!(matches!(
            heatmap_png_scaled(heat.view(), f64::NAN),
            Err(ReportError::OutOfRange { .. })
        ));
        let mut image = Array3::<u8>::zeros((1, 3, 3));
        image.fill(100);
        let over = decode(&overlay_png_scaled(image.view(), heat.view(), 1.0, 8.0).expect("png"));
        assert_eq!(over, common);
        assert!(overlay_png_scaled(image.view(), heat.view(), 0.5, -1.0).is_err());
    }

    #[test]
    fn overlay_checks_shapes_and_alpha() {
        let image = Array3::<u8>::zeros((2, 3, 3));
        let heat = ndarray::Array2::<f64>::zeros((3, 2));
        assert!(matches!(
            overlay_png(image.view(), heat.view(), 0.5),
            Err(ReportError::ShapeMismatch { .. })
        ));
        let heat = ndarray::Array2::<f64>::zeros((2, 3));
        assert!(matches!(
            overlay_png(image.view(), heat.view(), 1.5),
            Err(ReportError::OutOfRange { .. })
        ));
        let grey = Array3::<u8>::zeros((2, 3, 1));
        assert!(matches!(
            overlay_png(grey.view(), heat.view(), 0.5),
            Err(ReportError::NotRgb { found: 1 })
        ));
    }
}
