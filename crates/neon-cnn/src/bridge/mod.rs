//! The Appendix A bridge: a model fitted on CNN activations (every spatial location of the
//! Block-5 feature map is a data point, §5.2) is explained in terms of those activations with
//! rules that give deactivated neurons (`a_i = 0`) exactly zero relevance, so that all
//! propagated relevance can continue through the CNN to the pixels.
//!
//! * [`Kde`] — KDE with leave-one-out per location: outlierness (A.1) and inlierness through
//!   random Fourier features (A.2).
//! * [`KMeansModel`] — k-means on the locations with centroids rescaled to a common norm, and
//!   cluster membership evidence (A.3).
//!
//! Each explanation returns a [`LocationRelevance`]: the relevance of the 512 (or C) activations,
//! the model's score, the propagated part and the residual (the non-propagated `R^res`/dissipated
//! share, reported per explanation).

mod kde;
mod kmeans;

use ndarray::{Array1, Array2, Array3};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{CnnError, Result};

pub use kde::{Kde, RffModel};
pub use kmeans::{KMeansModel, KMeansParams};

/// Spatial locations of one or several feature maps as data points (`N × C`).
#[derive(Debug, Clone)]
pub struct Locations {
    /// One row per location, one column per channel.
    pub data: Array2<f64>,
    /// `(image, i, j)` of each row.
    pub index: Vec<(usize, usize, usize)>,
    /// `(height, width)` of each image's feature map.
    pub shapes: Vec<(usize, usize)>,
}

impl Locations {
    /// Locations of the feature maps (HWC), image by image, row-major within an image.
    pub fn from_features(maps: &[&Array3<f32>]) -> Result<Self> {
        let c = maps
            .first()
            .map(|m| m.dim().2)
            .ok_or_else(|| CnnError::param("images", "at least one feature map is needed"))?;
        let n: usize = maps.iter().map(|m| m.dim().0 * m.dim().1).sum();
        let mut data = Array2::zeros((n, c));
        let mut index = Vec::with_capacity(n);
        let mut shapes = Vec::new();
        let mut row = 0;
        for (img, m) in maps.iter().enumerate() {
            let (h, w, cc) = m.dim();
            if cc != c {
                return Err(CnnError::BadShape {
                    what: "feature map",
                    found: vec![h, w, cc],
                    expected: format!("{c} channels like the first image"),
                });
            }
            shapes.push((h, w));
            for i in 0..h {
                for j in 0..w {
                    for k in 0..c {
                        data[[row, k]] = m[[i, j, k]] as f64;
                    }
                    index.push((img, i, j));
                    row += 1;
                }
            }
        }
        Ok(Locations {
            data,
            index,
            shapes,
        })
    }

    /// Number of locations.
    pub fn len(&self) -> usize {
        self.data.nrows()
    }

    /// Whether there is no location.
    pub fn is_empty(&self) -> bool {
        self.data.nrows() == 0
    }

    /// Row of location `(image, i, j)`.
    pub fn row(&self, image: usize, i: usize, j: usize) -> Result<usize> {
        let (h, w) = self.shapes.get(image).copied().ok_or_else(|| {
            CnnError::param(
                "image",
                format!("image {image} not among {}", self.shapes.len()),
            )
        })?;
        if i >= h || j >= w {
            return Err(CnnError::LocationOutOfRange {
                i,
                j,
                height: h,
                width: w,
            });
        }
        let before: usize = self.shapes[..image].iter().map(|(h, w)| h * w).sum();
        Ok(before + i * w + j)
    }
}

/// How γ of the Gaussian kernel is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum GammaSpec {
    /// γ as given.
    Absolute(f64),
    /// γ = r / median over locations of the squared distance to the nearest other location.
    Relative(f64),
}

/// Squared Euclidean distances between all rows.
pub fn sq_dists(data: &Array2<f64>) -> Array2<f64> {
    let n = data.nrows();
    let norms: Vec<f64> = data.outer_iter().map(|r| r.dot(&r)).collect();
    let gram = data.dot(&data.t());
    Array2::from_shape_fn((n, n), |(a, b)| {
        if a == b {
            0.0
        } else {
            (norms[a] + norms[b] - 2.0 * gram[[a, b]]).max(0.0)
        }
    })
}

/// Median over locations of the squared distance to the nearest other location.
pub fn median_nn_sq_dist(d2: &Array2<f64>) -> f64 {
    let n = d2.nrows();
    let mut nn: Vec<f64> = (0..n)
        .map(|a| {
            (0..n)
                .filter(|&b| b != a)
                .map(|b| d2[[a, b]])
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    nn.sort_by(|a, b| a.total_cmp(b));
    if nn.is_empty() {
        return f64::NAN;
    }
    if n % 2 == 1 {
        nn[n / 2]
    } else {
        0.5 * (nn[n / 2 - 1] + nn[n / 2])
    }
}

/// Resolve γ (chapter §3, Eq. 1) for the data; relative γ needs a positive median distance.
pub fn resolve_gamma(d2: &Array2<f64>, spec: GammaSpec) -> Result<f64> {
    let g = match spec {
        GammaSpec::Absolute(g) => g,
        GammaSpec::Relative(r) => {
            if !(r.is_finite() && r > 0.0) {
                return Err(CnnError::param(
                    "gamma_rel",
                    format!("{r} must be positive"),
                ));
            }
            let m = median_nn_sq_dist(d2);
            if !(m.is_finite() && m > 0.0) {
                return Err(CnnError::param(
                    "gamma_rel",
                    format!(
                        "median nearest-neighbour squared distance is {m}; give an absolute gamma"
                    ),
                ));
            }
            r / m
        }
    };
    if !(g.is_finite() && g > 0.0) {
        return Err(CnnError::param(
            "gamma",
            format!("{g} must be positive and finite"),
        ));
    }
    Ok(g)
}

/// The attribution of one location's score to its activations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocationRelevance {
    /// Relevance of each channel (zero wherever the activation is zero).
    #[serde(skip)]
    pub relevance: Array1<f64>,
    /// The model's score being explained.
    pub score: f64,
    /// Σ relevance (the propagated part).
    pub propagated: f64,
    /// `score − propagated`: the part that cannot be attached to activated neurons.
    pub residual: f64,
}

impl LocationRelevance {
    pub(crate) fn new(relevance: Array1<f64>, score: f64) -> Self {
        let propagated = relevance.sum();
        LocationRelevance {
            relevance,
            score,
            propagated,
            residual: score - propagated,
        }
    }
}

/// Soft-min weights `exp(−β h_k) / Σ exp(−β h_k')` (stable).
pub(crate) fn softmin(h: &[f64], beta: f64) -> Vec<f64> {
    let m = h.iter().cloned().fold(f64::INFINITY, f64::min);
    let e: Vec<f64> = h.iter().map(|&v| (-beta * (v - m)).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

/// Rows in parallel: `f(row)` for every `row in 0..n`.
pub(crate) fn par_rows<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    (0..n).into_par_iter().map(f).collect()
}

#[cfg(test)]
mod tests;
