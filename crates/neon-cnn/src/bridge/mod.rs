//! The Appendix A bridge: a model fitted on CNN activations (every spatial location of the
//! Block-5 feature map is a data point, §5.2) is explained in terms of those activations with
//! rules that give deactivated neurons (`a_i = 0`) exactly zero relevance, so that all
//! propagated relevance can continue through the CNN to the pixels.
//!
//! The models, their scores, the random features and the Appendix A rules are the core's
//! (`neon_xai::models`, `neon_xai::rules` with [`RuleSet::Grounded`](neon_xai::models::RuleSet)); the bridge
//! keeps only what is specific to feature maps:
//!
//! * [`Locations`] — feature map(s) ↔ rows of a data matrix (§5.2);
//! * the *members* set-up — which rows the model is fitted on, and leave-one-out for the rows
//!   that are members ([`LocationKde`]);
//! * the centroid rescaling to a common norm of §5.2 ([`rescale_centroids`], [`LocationKMeans`]);
//! * the choice of γ relative to the spread of the locations ([`GammaSpec`], [`resolve_gamma`]).
//!
//! Models:
//!
//! * [`LocationKde`] — the core's `Kde` fitted on the member locations: outlierness with the
//!   grounded distance rule (A.1) and inlierness through the core's random Fourier features
//!   with the grounded Fourier rule (A.2), each member scored leave-one-out;
//! * [`LocationKMeans`] — the core's k-means, centroids rescaled to a common norm, cluster
//!   membership evidence with the grounded linear rule (A.3).
//!
//! Every explanation is a [`neon_xai::Explanation`]: the relevance of the C activations, the score,
//! their sum, and the non-propagated part (`R^res` of A.1/A.3, the ε-dissipated cosine share of
//! A.2) as `dissipated`, so `Σ R_i + dissipated = f(a)`.

mod kde;
mod kmeans;

use ndarray::{Array2, Array3, ArrayView2};
use serde::Serialize;

use crate::error::{CnnError, Result};

pub use kde::{LocationExplainer, LocationKde};
pub use kmeans::{rescale_centroids, LocationKMeans};
/// k-means hyperparameters: the core's (`n_clusters`, `n_init`, `max_iter`, `tol`, `seed`).
pub use neon_xai::models::KMeansParams;

/// Spatial locations of one or several feature maps as data points (`N × C`, §5.2).
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
    /// Locations of the feature maps (HWC), image by image, row-major within an image (§5.2).
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

/// How γ of the Gaussian kernel (Eq. 1) is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum GammaSpec {
    /// γ as given.
    Absolute(f64),
    /// γ = r / median over locations of the squared distance to the nearest other location.
    Relative(f64),
}

/// Squared Euclidean distances between all rows of `data`, by the core's blocked distance
/// kernel (`neon_xai::kernels::distance`, layer 1 of the outlier network, §3.1), clamped at 0.
pub fn squared_distances(data: ArrayView2<f64>) -> Array2<f64> {
    neon_xai::kernels::distance::squared_distances(data, data, neon_xai::kernels::Tiles::default())
}

/// Median over rows of the squared distance to the nearest other row, from a matrix of squared
/// distances (see [`squared_distances`]); NaN for fewer than 2 rows.
pub fn median_nn_sq_dist(d2: &Array2<f64>) -> f64 {
    let n = d2.nrows();
    if n < 2 {
        return f64::NAN;
    }
    let mut nn: Vec<f64> = (0..n)
        .map(|a| {
            (0..n)
                .filter(|&b| b != a)
                .map(|b| d2[[a, b]])
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    nn.sort_by(|a, b| a.total_cmp(b));
    if n % 2 == 1 {
        nn[n / 2]
    } else {
        0.5 * (nn[n / 2 - 1] + nn[n / 2])
    }
}

/// Resolve γ (chapter §3, Eq. 1) for the locations the model is fitted on (`data`, one row per
/// location); a relative γ needs a positive median nearest-neighbour distance.
pub fn resolve_gamma(data: ArrayView2<f64>, spec: GammaSpec) -> Result<f64> {
    if data.nrows() < 2 {
        // e.g. a 32 × 32 image: pool5 has a single location
        return Err(CnnError::TooFewLocations {
            model: "kde",
            needed: 2,
            found: data.nrows(),
        });
    }
    let g = match spec {
        GammaSpec::Absolute(g) => g,
        GammaSpec::Relative(r) => {
            if !(r.is_finite() && r > 0.0) {
                return Err(CnnError::param(
                    "gamma_rel",
                    format!("{r} must be positive"),
                ));
            }
            let m = median_nn_sq_dist(&squared_distances(data));
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

#[cfg(test)]
mod tests;
