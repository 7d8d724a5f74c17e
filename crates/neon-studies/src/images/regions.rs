//! Pixel regions and the numbers the image studies measure on heatmaps (§5.2): where positive
//! relevance falls relative to a defect mask or to the receptive fields of feature-map locations,
//! and how similar two heatmaps are.

use ndarray::{Array2, ArrayView2};
use neon_xai_cnn::network::{Layer, Network};
use serde::Serialize;

/// Where one location of a cut layer sees the input: the location `(i, j)` covers rows
/// `start + stride·i ..= start + stride·i + size − 1` (and the same for columns), clipped to the
/// image. For VGG-16 at `pool5`: size 212, stride 32, start −90.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReceptiveField {
    /// Side of the (square) receptive field in pixels.
    pub size: usize,
    /// Input pixels per feature-map cell.
    pub stride: usize,
    /// Offset of location 0's field (negative: it starts in the zero padding).
    pub start: i64,
}

impl ReceptiveField {
    /// The theoretical receptive field of the output of layer `cut` (3×3 convolutions with
    /// padding 1 and 2×2 max-pools with stride 2, as in [`Network`]).
    pub fn of(net: &Network, cut: usize) -> Self {
        let (mut size, mut stride, mut start) = (1usize, 1usize, 0i64);
        for layer in net.layers.iter().take(cut + 1) {
            match layer {
                Layer::Conv(_) => {
                    size += 2 * stride;
                    start -= stride as i64;
                }
                Layer::MaxPool { .. } => {
                    size += stride;
                    stride *= 2;
                }
            }
        }
        ReceptiveField {
            size,
            stride,
            start,
        }
    }

    /// Pixel rows (or columns) `lo..hi` seen by location index `i`, clipped to `0..len`.
    pub fn span(&self, i: usize, len: usize) -> (usize, usize) {
        clip(
            self.start + (self.stride * i) as i64,
            self.start + (self.stride * i + self.size) as i64,
            len,
        )
    }
}

fn clip(lo: i64, hi: i64, len: usize) -> (usize, usize) {
    let lo = lo.clamp(0, len as i64) as usize;
    let hi = hi.clamp(0, len as i64) as usize;
    (lo, hi.max(lo))
}

/// The cell of location `(i, j)` — the `stride × stride` block of pixels it is centred on — grown
/// by `margin` pixels on every side, clipped to `(height, width)`.
pub fn cell_box(
    i: usize,
    j: usize,
    stride: usize,
    margin: usize,
    (height, width): (usize, usize),
) -> ((usize, usize), (usize, usize)) {
    let (s, m) = (stride as i64, margin as i64);
    (
        clip(s * i as i64 - m, s * (i as i64 + 1) + m, height),
        clip(s * j as i64 - m, s * (j as i64 + 1) + m, width),
    )
}

/// A mask that is `true` inside the union of boxes `((y0, y1), (x0, x1))`.
pub fn union_of_boxes(
    boxes: impl IntoIterator<Item = ((usize, usize), (usize, usize))>,
    shape: (usize, usize),
) -> Array2<bool> {
    let mut m = Array2::from_elem(shape, false);
    for ((y0, y1), (x0, x1)) in boxes {
        m.slice_mut(ndarray::s![y0..y1, x0..x1]).fill(true);
    }
    m
}

/// The union of the receptive fields of `locations` on an image of `shape`.
pub fn receptive_field_mask(
    rf: &ReceptiveField,
    locations: &[(usize, usize)],
    shape: (usize, usize),
) -> Array2<bool> {
    union_of_boxes(
        locations
            .iter()
            .map(|&(i, j)| (rf.span(i, shape.0), rf.span(j, shape.1))),
        shape,
    )
}

/// `mask` grown by `radius` pixels (square structuring element, i.e. Chebyshev distance).
pub fn dilate(mask: &Array2<bool>, radius: usize) -> Array2<bool> {
    let (h, w) = mask.dim();
    // separable: rows, then columns
    let grow = |len: usize, get: &dyn Fn(usize) -> bool| -> Vec<bool> {
        let mut out = vec![false; len];
        for (p, o) in out.iter_mut().enumerate() {
            let lo = p.saturating_sub(radius);
            let hi = (p + radius + 1).min(len);
            *o = (lo..hi).any(get);
        }
        out
    };
    let mut rows = Array2::from_elem((h, w), false);
    for y in 0..h {
        let g = grow(w, &|x| mask[[y, x]]);
        for (x, v) in g.into_iter().enumerate() {
            rows[[y, x]] = v;
        }
    }
    let mut out = Array2::from_elem((h, w), false);
    for x in 0..w {
        let g = grow(h, &|y| rows[[y, x]]);
        for (y, v) in g.into_iter().enumerate() {
            out[[y, x]] = v;
        }
    }
    out
}

/// Fraction of the image inside `mask`.
pub fn area_share(mask: &Array2<bool>) -> f64 {
    if mask.is_empty() {
        return f64::NAN;
    }
    mask.iter().filter(|&&m| m).count() as f64 / mask.len() as f64
}

/// Σ of the positive relevance.
pub fn positive_sum(heat: ArrayView2<f32>) -> f64 {
    heat.iter().map(|&v| f64::from(v).max(0.0)).sum()
}

/// Σ of the negative relevance (≤ 0).
pub fn negative_sum(heat: ArrayView2<f32>) -> f64 {
    heat.iter().map(|&v| f64::from(v).min(0.0)).sum()
}

/// Share of the positive relevance of `heat` that falls inside `mask` (NaN without positive
/// relevance).
pub fn positive_share_inside(heat: ArrayView2<f32>, mask: &Array2<bool>) -> f64 {
    let total = positive_sum(heat);
    if total <= 0.0 || heat.dim() != mask.dim() {
        return f64::NAN;
    }
    let inside: f64 = heat
        .iter()
        .zip(mask.iter())
        .filter(|(_, &m)| m)
        .map(|(&v, _)| f64::from(v).max(0.0))
        .sum();
    inside / total
}

/// Whether the cell of location `(i, j)` (its `stride × stride` block) contains a pixel of `mask`.
pub fn cell_overlaps(mask: &Array2<bool>, i: usize, j: usize, stride: usize) -> bool {
    let ((y0, y1), (x0, x1)) = cell_box(i, j, stride, 0, mask.dim());
    mask.slice(ndarray::s![y0..y1, x0..x1]).iter().any(|&m| m)
}

/// How a heatmap's positive relevance falls on a set of feature-map cells (the `stride × stride`
/// pixel blocks under some locations, e.g. the locations assigned to one cluster), compared with
/// how much of the image those cells cover. See [`cell_concentration`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CellConcentration {
    /// Share of the positive relevance on the cells (NaN without positive relevance).
    pub share: f64,
    /// The cells' share of the image area.
    pub area: f64,
    /// `share / area`: 1 for relevance spread evenly over the image, above 1 when it
    /// concentrates on the cells, below 1 when it avoids them (NaN when undefined).
    pub ratio: f64,
    /// The feature-map cell holding the most positive relevance (`None` without any).
    pub peak_cell: Option<(usize, usize)>,
    /// Whether that cell is one of the given cells ("pointing game").
    pub peak_on_cells: bool,
}

impl CellConcentration {
    /// The test: the positive relevance is more concentrated on the cells than on the image as
    /// a whole (`ratio > min_ratio`; the report uses `min_ratio` = 1). An evenly spread
    /// heatmap gives exactly 1 and fails, as does one without positive relevance.
    pub fn concentrates(&self, min_ratio: f64) -> bool {
        self.ratio > min_ratio
    }
}

/// Where the positive relevance of `heat` falls relative to the cells of `locations` on a
/// feature map of `(rows, columns)` cells of `stride` pixels: its share on them, their area
/// share, the ratio of the two, and whether the cell with the most positive relevance is one of
/// them. Nothing here is true by construction: the cells are a fixed part of the image, and
/// relevance spread evenly or placed elsewhere gives a ratio of 1 or less and a miss.
pub fn cell_concentration(
    heat: ArrayView2<f32>,
    locations: &[(usize, usize)],
    stride: usize,
    (rows, columns): (usize, usize),
) -> CellConcentration {
    let shape = heat.dim();
    let cells = union_of_boxes(
        locations
            .iter()
            .map(|&(i, j)| cell_box(i, j, stride, 0, shape)),
        shape,
    );
    let share = positive_share_inside(heat, &cells);
    let area = area_share(&cells);
    let ratio = if area > 0.0 { share / area } else { f64::NAN };
    // positive relevance per cell
    let stride = stride.max(1);
    let mut per_cell = Array2::<f64>::zeros((rows, columns));
    for ((y, x), &v) in heat.indexed_iter() {
        let (i, j) = (y / stride, x / stride);
        if i < rows && j < columns && v > 0.0 {
            per_cell[[i, j]] += f64::from(v);
        }
    }
    let peak_cell = argmax(per_cell.view())
        .filter(|&(_, v)| v > 0.0)
        .map(|(ix, _)| ix);
    CellConcentration {
        share,
        area,
        ratio,
        peak_cell,
        peak_on_cells: peak_cell.is_some_and(|p| locations.contains(&p)),
    }
}

/// Pearson correlation of two heatmaps of the same shape (NaN if one is constant).
pub fn correlation(a: ArrayView2<f32>, b: ArrayView2<f32>) -> f64 {
    if a.dim() != b.dim() || a.is_empty() {
        return f64::NAN;
    }
    let n = a.len() as f64;
    let ma = a.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let mb = b.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b.iter()) {
        let (dx, dy) = (f64::from(x) - ma, f64::from(y) - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        return f64::NAN;
    }
    sab / (saa * sbb).sqrt()
}

/// Position and value of the largest entry (first one on ties; NaN entries are skipped).
pub fn argmax(values: ArrayView2<f64>) -> Option<((usize, usize), f64)> {
    values
        .indexed_iter()
        .filter(|(_, v)| !v.is_nan())
        .fold(None, |best, (ix, &v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((ix, v)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use neon_xai_cnn::network::VggConfig;

    #[test]
    fn vgg16_receptive_fields_match_the_textbook_values() {
        let net = Network::random(
            &VggConfig {
                in_channels: 3,
                blocks: neon_xai_cnn::network::VGG16_BLOCKS
                    .iter()
                    .map(|b| b.iter().map(|_| 1).collect())
                    .collect(),
            },
            0,
            false,
        );
        let pool5 = ReceptiveField::of(&net, 17);
        assert_eq!(
            pool5,
            ReceptiveField {
                size: 212,
                stride: 32,
                start: -90
            }
        );
        let conv5_3 = ReceptiveField::of(&net, 16);
        assert_eq!((conv5_3.size, conv5_3.stride), (196, 16));
        // location 7 of pool5 on a 448-px side: rows 134..346
        assert_eq!(pool5.span(7, 448), (134, 346));
        assert_eq!(pool5.span(0, 448), (0, 122));
        assert_eq!(pool5.span(13, 448), (326, 448));
    }

    #[test]
    fn dilation_shares_and_overlap() {
        let mut m = Array2::from_elem((10, 10), false);
        m[[5, 5]] = true;
        let d = dilate(&m, 2);
        assert_eq!(d.iter().filter(|&&v| v).count(), 25);
        assert!(d[[3, 3]] && d[[7, 7]] && !d[[2, 5]] && !d[[5, 8]]);
        assert!((area_share(&d) - 0.25).abs() < 1e-12);
        let heat = Array2::from_shape_fn((10, 10), |(y, x)| {
            if (y, x) == (5, 5) {
                3.0f32
            } else if (y, x) == (0, 0) {
                1.0
            } else if y == 9 {
                -1.0
            } else {
                0.0
            }
        });
        assert!((positive_share_inside(heat.view(), &d) - 0.75).abs() < 1e-12);
        assert_eq!(positive_sum(heat.view()), 4.0);
        assert_eq!(negative_sum(heat.view()), -10.0);
        assert!(cell_overlaps(&m, 1, 1, 4) && !cell_overlaps(&m, 0, 0, 4));
        let cells = union_of_boxes([cell_box(0, 0, 4, 1, (10, 10))], (10, 10));
        assert_eq!(cells.iter().filter(|&&v| v).count(), 25);
    }

    #[test]
    fn cell_concentration_fails_for_spread_or_misplaced_relevance_and_holds_on_the_cells() {
        // a 2 × 3 map of 4-px cells on an 8 × 12 image; the "cluster" owns cells (0, 0) and (1, 2)
        let own = [(0, 0), (1, 2)];
        let c = |heat: &Array2<f32>| cell_concentration(heat.view(), &own, 4, (2, 3));
        let on_own = |y: usize, x: usize| (y < 4 && x < 4) || (y >= 4 && x >= 8);

        // relevance only on its own cells: all of it on a third of the image
        let focused = Array2::from_shape_fn((8, 12), |(y, x)| f32::from(u8::from(on_own(y, x))));
        let r = c(&focused);
        assert!((r.share - 1.0).abs() < 1e-12 && (r.area - 1.0 / 3.0).abs() < 1e-12);
        assert!((r.ratio - 3.0).abs() < 1e-9);
        assert!(r.peak_on_cells);
        assert!(r.concentrates(1.0));

        // evenly spread: the share equals the area, ratio 1, which does not pass
        let even = Array2::from_elem((8, 12), 0.5f32);
        let r = c(&even);
        assert!((r.ratio - 1.0).abs() < 1e-9, "{r:?}");
        assert!(!r.concentrates(1.0));

        // relevance on another cluster's cells: ratio 0, peak elsewhere
        let elsewhere = Array2::from_shape_fn((8, 12), |(y, x)| {
            if y < 4 && (4..8).contains(&x) {
                2.0f32
            } else {
                0.0
            }
        });
        let r = c(&elsewhere);
        assert_eq!(r.ratio, 0.0);
        assert_eq!(r.peak_cell, Some((0, 1)));
        assert!(!r.peak_on_cells && !r.concentrates(1.0));

        // mostly elsewhere, with negative relevance on its own cells: negative values do not count
        let negative =
            Array2::from_shape_fn((8, 12), |(y, x)| if on_own(y, x) { -5.0f32 } else { 0.1 });
        let r = c(&negative);
        assert_eq!(r.share, 0.0);
        assert!(!r.concentrates(1.0));

        // no positive relevance at all: undefined, and not a pass
        let r = c(&Array2::from_elem((8, 12), -1.0f32));
        assert!(r.ratio.is_nan() && r.peak_cell.is_none());
        assert!(!r.concentrates(1.0) && !r.peak_on_cells);

        // a peak on its own cells does not pass by itself when the rest is spread everywhere
        let peaked = Array2::from_shape_fn((8, 12), |(y, x)| {
            if (y, x) == (1, 1) {
                4.0f32
            } else if on_own(y, x) {
                0.0
            } else {
                0.2
            }
        });
        let r = c(&peaked);
        assert!(r.peak_on_cells);
        assert!(r.ratio < 1.0 && !r.concentrates(1.0), "{r:?}");
    }

    #[test]
    fn correlation_and_argmax() {
        let a = array![[1.0f32, 2.0], [3.0, 4.0]];
        let b = array![[2.0f32, 4.0], [6.0, 8.0]];
        let c = array![[4.0f32, 3.0], [2.0, 1.0]];
        assert!((correlation(a.view(), b.view()) - 1.0).abs() < 1e-12);
        assert!((correlation(a.view(), c.view()) + 1.0).abs() < 1e-12);
        assert!(correlation(a.view(), Array2::<f32>::zeros((2, 2)).view()).is_nan());
        let s = array![[1.0, f64::NAN], [5.0, 5.0]];
        assert_eq!(argmax(s.view()), Some(((1, 0), 5.0)));
    }
}
