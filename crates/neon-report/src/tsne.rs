//! Exact t-SNE (van der Maaten & Hinton, 2008) for the 2-D maps of chapter §5.1 (Figs. 4–5,
//! "t-SNE plot (perplexity 100)").
//!
//! The O(n²) exact algorithm, with scikit-learn's `method="exact"` schedule: Gaussian affinities
//! whose bandwidths are found by binary search to match the perplexity, symmetrised P, early
//! exaggeration 12 for 250 iterations with momentum 0.5, then momentum 0.8, per-parameter gains,
//! learning rate `max(n / 12 / 4, 50)`, 1000 iterations in all. The initial map is drawn from
//! N(0, 10⁻⁸) by a ChaCha8 generator seeded with the given seed, and all sums run in a fixed
//! order on one thread, so a seed determines the result bit for bit. Fine for n up to a few
//! thousand points (memory and time grow as n²); for more, [`TsneMethod::BarnesHut`] runs the
//! same schedule with sparse affinities and quadtree forces (see `tsne_bh.rs`).

use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::check_finite;
use crate::error::ReportError;
use crate::tsne_schedule::{conditional_row, Schedule, INIT_STD, MACHINE_EPSILON, MIN_GAIN};

/// How [`TsneParams::fit`] computes the gradient.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TsneMethod {
    /// Exact O(n²) t-SNE (van der Maaten & Hinton, 2008): dense affinities, all pairwise forces.
    Exact,
    /// Barnes-Hut t-SNE (van der Maaten, 2014): affinities of the ⌊3 · perplexity⌋ nearest
    /// neighbours, repulsion summarised by a quadtree; a cell of width w at distance r from a
    /// point counts as one body when w / r < `theta` (0 gives exact repulsion, 0.5 is usual).
    BarnesHut {
        /// Accuracy of the quadtree summary, in [0, 1].
        theta: f64,
    },
}

impl TsneMethod {
    /// Up to this many rows [`TsneMethod::auto`] picks the exact method.
    pub const AUTO_EXACT_MAX: usize = 1000;

    /// Barnes-Hut with the usual θ = 0.5.
    pub fn barnes_hut() -> Self {
        TsneMethod::BarnesHut { theta: 0.5 }
    }

    /// Exact for `n_samples ≤ 1000`, Barnes-Hut with θ = 0.5 above.
    pub fn auto(n_samples: usize) -> Self {
        if n_samples <= Self::AUTO_EXACT_MAX {
            TsneMethod::Exact
        } else {
            Self::barnes_hut()
        }
    }
}

/// Hyperparameters of [`TsneParams::fit`]; constructed with the chapter's perplexity and
/// scikit-learn's defaults for the rest, checked when fitting.
#[derive(Debug, Clone, PartialEq)]
pub struct TsneParams {
    perplexity: f64,
    seed: u64,
    n_iter: usize,
    early_exaggeration: f64,
    exaggeration_iter: usize,
    learning_rate: Option<f64>,
    method: TsneMethod,
}

impl TsneParams {
    /// Parameters with the given perplexity (the effective number of neighbours; the chapter
    /// uses 100), seed 0, 1000 iterations, early exaggeration 12 for the first 250 and the
    /// automatic learning rate, with the exact method.
    pub fn new(perplexity: f64) -> Self {
        Self {
            perplexity,
            seed: 0,
            n_iter: 1000,
            early_exaggeration: 12.0,
            exaggeration_iter: 250,
            learning_rate: None,
            method: TsneMethod::Exact,
        }
    }

    /// Gradient method (default [`TsneMethod::Exact`]; see [`TsneMethod::auto`]).
    pub fn method(mut self, method: TsneMethod) -> Self {
        self.method = method;
        self
    }

    /// Seed of the random initial map.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Total number of gradient steps, early exaggeration included (default 1000).
    pub fn n_iter(mut self, n_iter: usize) -> Self {
        self.n_iter = n_iter;
        self
    }

    /// Factor on P during the first `iterations` steps (default 12 for 250 steps).
    pub fn early_exaggeration(mut self, factor: f64, iterations: usize) -> Self {
        self.early_exaggeration = factor;
        self.exaggeration_iter = iterations;
        self
    }

    /// Fixed learning rate instead of the automatic `max(n / early_exaggeration / 4, 50)`.
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.learning_rate = Some(learning_rate);
        self
    }

    fn validate(&self, n_samples: usize) -> Result<(), ReportError> {
        if !(self.perplexity.is_finite() && self.perplexity >= 1.0) {
            return Err(ReportError::OutOfRange {
                what: "perplexity",
                range: "[1, ∞)",
                value: self.perplexity,
            });
        }
        if 3.0 * self.perplexity >= n_samples as f64 {
            return Err(ReportError::PerplexityTooLarge {
                perplexity: self.perplexity,
                n_samples,
            });
        }
        if !(self.early_exaggeration.is_finite() && self.early_exaggeration >= 1.0) {
            return Err(ReportError::OutOfRange {
                what: "early exaggeration",
                range: "[1, ∞)",
                value: self.early_exaggeration,
            });
        }
        if let Some(lr) = self.learning_rate {
            if !(lr.is_finite() && lr > 0.0) {
                return Err(ReportError::OutOfRange {
                    what: "learning rate",
                    range: "(0, ∞)",
                    value: lr,
                });
            }
        }
        if let TsneMethod::BarnesHut { theta } = self.method {
            if !(0.0..=1.0).contains(&theta) {
                return Err(ReportError::OutOfRange {
                    what: "Barnes-Hut theta",
                    range: "[0, 1]",
                    value: theta,
                });
            }
        }
        Ok(())
    }

    /// Embed the rows of `data` (samples × features) in two dimensions: an n × 2 array.
    pub fn fit(&self, data: ArrayView2<f64>) -> Result<Array2<f64>, ReportError> {
        self.fit_with_progress(data, &|_, _| {})
    }

    /// [`TsneParams::fit`], calling `progress(done, total)` after each gradient step (`total`
    /// is the number of iterations). The result does not depend on the callback.
    pub fn fit_with_progress(
        &self,
        data: ArrayView2<f64>,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Array2<f64>, ReportError> {
        let n = data.nrows();
        if n == 0 || data.ncols() == 0 {
            return Err(ReportError::Empty {
                what: "t-SNE input",
            });
        }
        check_finite("t-SNE input", data.iter())?;
        self.validate(n)?;
        match self.method {
            TsneMethod::Exact => Ok(self.fit_exact(data, progress)),
            TsneMethod::BarnesHut { theta } => {
                let schedule = Schedule {
                    perplexity: self.perplexity,
                    seed: self.seed,
                    n_iter: self.n_iter,
                    early_exaggeration: self.early_exaggeration,
                    exaggeration_iter: self.exaggeration_iter,
                    learning_rate: self.resolved_learning_rate(n),
                };
                Ok(crate::tsne_bh::fit(data, &schedule, theta, progress))
            }
        }
    }

    /// The learning rate given, or `max(n / early_exaggeration / 4, 50)`.
    fn resolved_learning_rate(&self, n: usize) -> f64 {
        self.learning_rate
            .unwrap_or_else(|| (n as f64 / self.early_exaggeration / 4.0).max(50.0))
    }

    /// The exact method on checked input.
    fn fit_exact(
        &self,
        data: ArrayView2<f64>,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Array2<f64> {
        let n = data.nrows();
        let distances = squared_distances(data);
        let p = joint_probabilities(&distances, n, self.perplexity);
        let learning_rate = self
            .learning_rate
            .unwrap_or_else(|| (n as f64 / self.early_exaggeration / 4.0).max(50.0));

        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut draw = || -> f64 {
            let z: f64 = StandardNormal.sample(&mut rng);
            INIT_STD * z
        };
        let mut y: Vec<[f64; 2]> = (0..n).map(|_| [draw(), draw()]).collect();

        let mut update = vec![[0.0_f64; 2]; n];
        let mut gains = vec![[1.0_f64; 2]; n];
        let mut grad = vec![[0.0; 2]; n];
        let mut w = vec![0.0; n * n];
        for iter in 0..self.n_iter {
            let (exaggeration, momentum) = if iter < self.exaggeration_iter {
                (self.early_exaggeration, 0.5)
            } else {
                (1.0, 0.8)
            };
            gradient(&p, &y, exaggeration, &mut w, &mut grad);
            for i in 0..n {
                for d in 0..2 {
                    let g = grad[i][d];
                    let gain = &mut gains[i][d];
                    *gain = if update[i][d] * g < 0.0 {
                        *gain + 0.2
                    } else {
                        (*gain * 0.8).max(MIN_GAIN)
                    };
                    update[i][d] = momentum * update[i][d] - learning_rate * *gain * g;
                    y[i][d] += update[i][d];
                }
            }
            progress(iter + 1, self.n_iter);
        }
        Array2::from_shape_fn((n, 2), |(i, d)| y[i][d])
    }
}

/// Embed the rows of `data` in two dimensions with exact t-SNE at the given perplexity,
/// deterministically for `seed`. Shorthand for `TsneParams::new(perplexity).seed(seed).fit(data)`.
///
/// ```
/// use ndarray::Array2;
/// let data = Array2::from_shape_fn((30, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
/// let map = neon_xai_report::tsne(data.view(), 5.0, 42)?;
/// assert_eq!(map.dim(), (30, 2));
/// assert!(neon_xai_report::tsne(data.view(), 10.0, 42).is_err()); // 3 · 10 ≥ 30
/// # Ok::<(), neon_xai_report::ReportError>(())
/// ```
pub fn tsne(data: ArrayView2<f64>, perplexity: f64, seed: u64) -> Result<Array2<f64>, ReportError> {
    TsneParams::new(perplexity).seed(seed).fit(data)
}

/// Squared Euclidean distances between all rows, as a dense n × n row-major vector.
pub(crate) fn squared_distances(data: ArrayView2<f64>) -> Vec<f64> {
    let n = data.nrows();
    let mut d = vec![0.0; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let dist: f64 = data
                .row(i)
                .iter()
                .zip(data.row(j))
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            d[i * n + j] = dist;
            d[j * n + i] = dist;
        }
    }
    d
}

/// Conditional probabilities p(j|i) of each row, with the bandwidth chosen so that the
/// entropy equals ln(perplexity), then symmetrised and normalised: P = (P + Pᵀ) / ΣP.
pub(crate) fn joint_probabilities(distances: &[f64], n: usize, perplexity: f64) -> Vec<f64> {
    let mut p = vec![0.0; n * n];
    let mut others = vec![0.0; n - 1];
    let mut conditional = vec![0.0; n - 1];
    for i in 0..n {
        // every other point's distance; p(i|i) = 0
        let dist = &distances[i * n..(i + 1) * n];
        others[..i].copy_from_slice(&dist[..i]);
        others[i..].copy_from_slice(&dist[i + 1..]);
        conditional_row(&others, perplexity, &mut conditional);
        let row = &mut p[i * n..(i + 1) * n];
        row[..i].copy_from_slice(&conditional[..i]);
        row[i] = 0.0;
        row[i + 1..].copy_from_slice(&conditional[i..]);
    }
    let mut joint = vec![0.0; n * n];
    let mut total = 0.0;
    for i in 0..n {
        for j in 0..n {
            let v = p[i * n + j] + p[j * n + i];
            joint[i * n + j] = v;
            total += v;
        }
    }
    let total = total.max(MACHINE_EPSILON);
    for (k, v) in joint.iter_mut().enumerate() {
        *v = if k / n == k % n {
            0.0
        } else {
            (*v / total).max(MACHINE_EPSILON)
        };
    }
    joint
}

/// Gradient of KL(P ‖ Q) with Student-t Q: ∂C/∂yᵢ = 4 Σⱼ (e·pᵢⱼ − qᵢⱼ)(1 + ‖yᵢ − yⱼ‖²)⁻¹ (yᵢ − yⱼ),
/// with `e` the early exaggeration. `w` is scratch space for the kernel values.
pub(crate) fn gradient(
    p: &[f64],
    y: &[[f64; 2]],
    exaggeration: f64,
    w: &mut [f64],
    grad: &mut [[f64; 2]],
) {
    let n = y.len();
    let mut sum_w = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            let dx = y[i][0] - y[j][0];
            let dy = y[i][1] - y[j][1];
            let k = 1.0 / (1.0 + dx * dx + dy * dy);
            w[i * n + j] = k;
            w[j * n + i] = k;
            sum_w += 2.0 * k;
        }
    }
    for i in 0..n {
        let (mut gx, mut gy) = (0.0, 0.0);
        let row = i * n;
        for j in 0..n {
            if j == i {
                continue;
            }
            let k = w[row + j];
            let q = (k / sum_w).max(MACHINE_EPSILON);
            let coefficient = (exaggeration * p[row + j] - q) * k;
            gx += coefficient * (y[i][0] - y[j][0]);
            gy += coefficient * (y[i][1] - y[j][1]);
        }
        grad[i] = [4.0 * gx, 4.0 * gy];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsne_schedule::blobs;

    fn nearest_neighbour_agreement(map: &Array2<f64>, labels: &[usize]) -> f64 {
        let n = map.nrows();
        let agree = (0..n)
            .filter(|&i| {
                let nearest = (0..n)
                    .filter(|&j| j != i)
                    .min_by(|&a, &b| {
                        let da = (&map.row(i) - &map.row(a)).mapv(|v| v * v).sum();
                        let db = (&map.row(i) - &map.row(b)).mapv(|v| v * v).sum();
                        da.total_cmp(&db)
                    })
                    .expect("n > 1");
                labels[nearest] == labels[i]
            })
            .count();
        agree as f64 / n as f64
    }

    #[test]
    fn separated_blobs_stay_separated() {
        let (data, labels) = blobs(40, 7);
        let map = tsne(data.view(), 10.0, 1).expect("tsne");
        assert_eq!(map.dim(), (120, 2));
        assert!(map.iter().all(|v| v.is_finite()));
        let agreement = nearest_neighbour_agreement(&map, &labels);
        assert!(agreement >= 0.95, "nearest-neighbour agreement {agreement}");
        // the blobs' centres in the map are far apart compared with their spread
        let centre = |c: usize| {
            let rows: Vec<usize> = (0..120).filter(|i| labels[*i] == c).collect();
            let mx = rows.iter().map(|&i| map[[i, 0]]).sum::<f64>() / rows.len() as f64;
            let my = rows.iter().map(|&i| map[[i, 1]]).sum::<f64>() / rows.len() as f64;
            (mx, my, rows)
        };
        let (ax, ay, rows) = centre(0);
        let spread = (rows
            .iter()
            .map(|&i| (map[[i, 0]] - ax).powi(2) + (map[[i, 1]] - ay).powi(2))
            .sum::<f64>()
            / rows.len() as f64)
            .sqrt();
        for c in 1..3 {
            let (bx, by, _) = centre(c);
            let gap = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt();
            assert!(gap > 2.0 * spread, "gap {gap} vs spread {spread}");
        }
    }

    #[test]
    fn same_seed_same_map_other_seed_other_map() {
        let (data, _) = blobs(15, 3);
        let params = TsneParams::new(5.0).n_iter(300);
        let a = params.clone().seed(11).fit(data.view()).expect("tsne");
        let b = params.clone().seed(11).fit(data.view()).expect("tsne");
        let c = params.seed(12).fit(data.view()).expect("tsne");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn conditional_rows_match_the_perplexity() {
        let (data, _) = blobs(10, 5);
        let n = data.nrows();
        let d = squared_distances(data.view());
        let p = joint_probabilities(&d, n, 5.0);
        let total: f64 = p.iter().sum();
        assert!((total - 1.0).abs() < 1e-9);
        for i in 0..n {
            for j in 0..n {
                assert_eq!(p[i * n + j], p[j * n + i]);
            }
            assert_eq!(p[i * n + i], 0.0);
        }
        // Recompute one conditional row and check its perplexity directly.
        let desired = 5.0_f64.ln();
        let row = &d[0..n];
        let mut beta: f64 = 1.0;
        let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
        let entropy = |beta: f64| {
            let w: Vec<f64> = row[1..].iter().map(|&x| (-x * beta).exp()).collect();
            let s: f64 = w.iter().sum();
            -w.iter()
                .map(|v| v / s)
                .filter(|q| *q > 0.0)
                .map(|q| q * q.ln())
                .sum::<f64>()
        };
        for _ in 0..200 {
            if entropy(beta) > desired {
                lo = beta;
                beta = if hi.is_infinite() {
                    beta * 2.0
                } else {
                    0.5 * (beta + hi)
                };
            } else {
                hi = beta;
                beta = 0.5 * (beta + lo);
            }
        }
        assert!((entropy(beta) - desired).abs() < 1e-6);
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let (data, _) = blobs(10, 1);
        assert!(matches!(
            tsne(data.view(), 10.0, 0),
            Err(ReportError::PerplexityTooLarge { n_samples: 30, .. })
        ));
        assert!(matches!(
            tsne(data.view(), 0.5, 0),
            Err(ReportError::OutOfRange {
                what: "perplexity",
                ..
            })
        ));
        assert!(matches!(
            tsne(data.view(), f64::NAN, 0),
            Err(ReportError::OutOfRange { .. })
        ));
        assert!(matches!(
            TsneParams::new(5.0).learning_rate(-1.0).fit(data.view()),
            Err(ReportError::OutOfRange {
                what: "learning rate",
                ..
            })
        ));
        assert!(matches!(
            TsneParams::new(5.0)
                .early_exaggeration(0.5, 10)
                .fit(data.view()),
            Err(ReportError::OutOfRange { .. })
        ));
        let mut bad = data.clone();
        bad[[3, 1]] = f64::INFINITY;
        assert!(matches!(
            tsne(bad.view(), 5.0, 0),
            Err(ReportError::NonFinite { index: 16, .. })
        ));
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(matches!(
            tsne(empty.view(), 5.0, 0),
            Err(ReportError::Empty { .. })
        ));
    }
}
