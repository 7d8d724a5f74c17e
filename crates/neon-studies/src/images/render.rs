//! Pictures of the image studies: pixel heatmaps (red positive, blue negative, white zero,
//! symmetric scaling — the chapter's Figs. 7–8), overlays, location score maps and cluster maps
//! drawn at the image's resolution, and panels that put several of them side by side.

use image::{ImageEncoder, Rgb as Px, RgbImage};
use ndarray::{Array2, ArrayView2, ArrayView3};
use neon_xai_report::{categorical, linear_unit, seismic, symmetric_unit, viridis};

use crate::{Result, StudyError};

fn to_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Largest absolute value (0 for an empty or all-zero map).
fn max_abs(heat: ArrayView2<f32>) -> f64 {
    heat.iter()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |m, &v| m.max(f64::from(v).abs()))
}

/// The RGB image itself (`(height, width, 3)`, `u8`).
pub fn image_rgb(image: ArrayView3<u8>) -> RgbImage {
    let (h, w, _) = image.dim();
    RgbImage::from_fn(to_u32(w), to_u32(h), |x, y| {
        let (x, y) = (x as usize, y as usize);
        Px([image[[y, x, 0]], image[[y, x, 1]], image[[y, x, 2]]])
    })
}

/// A signed heatmap: seismic colours scaled by the largest absolute value, zero is white.
pub fn heat_rgb(heat: ArrayView2<f32>) -> RgbImage {
    let (h, w) = heat.dim();
    let m = max_abs(heat);
    RgbImage::from_fn(to_u32(w), to_u32(h), |x, y| {
        let v = f64::from(heat[[y as usize, x as usize]]);
        Px(seismic(symmetric_unit(v, m)).to_array())
    })
}

/// The heatmap blended over a grey version of the image: `(1 − alpha)·grey + alpha·colour`
/// (grey keeps the image's own colours from being mistaken for relevance).
pub fn overlay_rgb(image: ArrayView3<u8>, heat: ArrayView2<f32>, alpha: f64) -> RgbImage {
    let (h, w) = heat.dim();
    let m = max_abs(heat);
    let alpha = alpha.clamp(0.0, 1.0);
    RgbImage::from_fn(to_u32(w), to_u32(h), |x, y| {
        let (xu, yu) = (x as usize, y as usize);
        let grey = if yu < image.dim().0 && xu < image.dim().1 {
            0.299 * f64::from(image[[yu, xu, 0]])
                + 0.587 * f64::from(image[[yu, xu, 1]])
                + 0.114 * f64::from(image[[yu, xu, 2]])
        } else {
            255.0
        };
        let c = seismic(symmetric_unit(f64::from(heat[[yu, xu]]), m)).to_array();
        Px(c.map(|v| ((1.0 - alpha) * grey + alpha * f64::from(v)).round() as u8))
    })
}

/// A map over feature-map locations drawn at image resolution: location `(i, j)` fills its
/// `stride × stride` cell; pixels outside every cell (when the side is not a multiple of the
/// stride) are light grey.
fn cells_rgb(
    (fh, fw): (usize, usize),
    stride: usize,
    (h, w): (usize, usize),
    color: impl Fn(usize, usize) -> [u8; 3],
) -> RgbImage {
    let stride = stride.max(1);
    RgbImage::from_fn(to_u32(w), to_u32(h), |x, y| {
        let (i, j) = (y as usize / stride, x as usize / stride);
        if i < fh && j < fw {
            Px(color(i, j))
        } else {
            Px([220, 220, 220])
        }
    })
}

/// Location scores (e.g. outlierness of each Block-5 location) with viridis from the minimum
/// to the maximum, at image resolution.
pub fn scores_rgb(scores: ArrayView2<f64>, stride: usize, shape: (usize, usize)) -> RgbImage {
    let (lo, hi) = scores
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    cells_rgb(scores.dim(), stride, shape, |i, j| {
        viridis(linear_unit(scores[[i, j]], lo, hi)).to_array()
    })
}

/// The cluster of each location in the categorical colours, at image resolution.
pub fn clusters_rgb(clusters: ArrayView2<usize>, stride: usize, shape: (usize, usize)) -> RgbImage {
    cells_rgb(clusters.dim(), stride, shape, |i, j| {
        categorical(clusters[[i, j]]).to_array()
    })
}

/// A binary mask: black on white.
pub fn mask_rgb(mask: &Array2<bool>) -> RgbImage {
    let (h, w) = mask.dim();
    RgbImage::from_fn(to_u32(w), to_u32(h), |x, y| {
        if mask[[y as usize, x as usize]] {
            Px([0, 0, 0])
        } else {
            Px([255, 255, 255])
        }
    })
}

/// Tiles in a grid of `columns` columns separated by `gutter` white pixels; each column is as
/// wide as its widest tile and each row as tall as its tallest, tiles sit at their cell's top
/// left.
pub fn panel(tiles: &[RgbImage], columns: usize, gutter: u32) -> RgbImage {
    let columns = columns.max(1);
    let rows = tiles.len().div_ceil(columns).max(1);
    let cols = columns.min(tiles.len().max(1));
    let mut widths = vec![0u32; cols];
    let mut heights = vec![0u32; rows];
    for (k, tile) in tiles.iter().enumerate() {
        widths[k % columns] = widths[k % columns].max(tile.width());
        heights[k / columns] = heights[k / columns].max(tile.height());
    }
    let offsets = |sizes: &[u32]| -> Vec<u32> {
        sizes
            .iter()
            .scan(0u32, |at, &size| {
                let start = *at;
                *at += size + gutter;
                Some(start)
            })
            .collect()
    };
    let (xs, ys) = (offsets(&widths), offsets(&heights));
    let width = widths.iter().sum::<u32>() + to_u32(cols.saturating_sub(1)) * gutter;
    let height = heights.iter().sum::<u32>() + to_u32(rows.saturating_sub(1)) * gutter;
    let mut out = RgbImage::from_pixel(width.max(1), height.max(1), Px([255, 255, 255]));
    for (k, tile) in tiles.iter().enumerate() {
        let (x0, y0) = (xs[k % columns], ys[k / columns]);
        image::imageops::replace(&mut out, tile, i64::from(x0), i64::from(y0));
    }
    out
}

/// Scale a picture so that its longer side is at most `max_side` (nearest neighbour for
/// enlargement is not needed; this only shrinks, with a triangle filter).
pub fn shrink(img: &RgbImage, max_side: u32) -> RgbImage {
    let side = img.width().max(img.height());
    if side <= max_side || side == 0 {
        return img.clone();
    }
    let s = f64::from(max_side) / f64::from(side);
    let w = ((f64::from(img.width()) * s).round() as u32).max(1);
    let h = ((f64::from(img.height()) * s).round() as u32).max(1);
    image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle)
}

/// PNG bytes of a picture.
pub fn png(img: &RgbImage) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| StudyError::Report(neon_xai_report::ReportError::Png(e.to_string())))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array3};

    #[test]
    fn heat_colours_are_symmetric_and_white_at_zero() {
        let heat = array![[1.0f32, -1.0], [0.0, 0.5]];
        let img = heat_rgb(heat.view());
        assert_eq!(img.get_pixel(0, 1).0, [255, 255, 255]);
        let red = img.get_pixel(0, 0).0;
        let blue = img.get_pixel(1, 0).0;
        assert!(red[0] > red[2] && blue[2] > blue[0]);
        assert_eq!(red, [blue[2], blue[1], blue[0]]);
    }

    #[test]
    fn maps_panels_and_png() {
        let scores = array![[0.0, 1.0], [2.0, 3.0]];
        let img = scores_rgb(scores.view(), 4, (10, 8));
        assert_eq!(img.dimensions(), (8, 10));
        assert_eq!(img.get_pixel(0, 9).0, [220, 220, 220]);
        assert_ne!(img.get_pixel(0, 0).0, img.get_pixel(7, 7).0);
        let clusters = array![[0usize, 1], [1, 0]];
        let c = clusters_rgb(clusters.view(), 4, (8, 8));
        assert_eq!(c.get_pixel(5, 0).0, categorical(1).to_array());
        let image = Array3::<u8>::from_elem((8, 8, 3), 100);
        let o = overlay_rgb(image.view(), Array2::<f32>::zeros((8, 8)).view(), 0.5);
        assert_eq!(o.get_pixel(3, 3).0, [178, 178, 178]);
        let p = panel(&[c.clone(), o, image_rgb(image.view())], 2, 2);
        assert_eq!(p.dimensions(), (18, 18));
        // columns as wide as their widest tile: a narrow first column leaves no gap
        let narrow = RgbImage::from_pixel(3, 8, Px([0, 0, 0]));
        let wide = RgbImage::from_pixel(10, 4, Px([9, 9, 9]));
        let q = panel(&[narrow.clone(), wide.clone(), narrow, wide], 2, 1);
        assert_eq!(q.dimensions(), (3 + 1 + 10, 8 + 1 + 8));
        assert_eq!(q.get_pixel(4, 0).0, [9, 9, 9]);
        assert_eq!(q.get_pixel(4, 5).0, [255, 255, 255]);
        assert_eq!(q.get_pixel(0, 9).0, [0, 0, 0]);
        assert_eq!(shrink(&p, 9).dimensions(), (9, 9));
        let bytes = png(&p).unwrap_or_default();
        assert!(bytes.starts_with(&[0x89, b'P', b'N', b'G']));
    }
}
