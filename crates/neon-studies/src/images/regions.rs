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
