//! PCA map: the rows projected on the first two principal components (Pearson, 1901;
//! Hotelling, 1933), a fast, deterministic alternative to a t-SNE map.
//!
//! The covariance of the centred data is decomposed by cyclic Jacobi rotations (Golub & Van
//! Loan, Alg. 8.5.3) up to [`JACOBI_MAX_DIM`] features, and above by subspace iteration with
//! Rayleigh-Ritz (Golub & Van Loan, §8.2.4) on a block of [`BLOCK`] vectors. Each component's
//! sign is fixed so that its largest-magnitude loading (the first of equals) is positive.

use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::error::{check_finite, ReportError};

/// Largest number of features decomposed by full Jacobi; above, subspace iteration.
const JACOBI_MAX_DIM: usize = 96;
/// Block size of the subspace iteration.
const BLOCK: usize = 8;
/// Most subspace iterations.
const MAX_SUBSPACE_ITER: usize = 1000;
/// Relative residual ‖C v − λ v‖ / λ₁ at which the subspace iteration stops.
const SUBSPACE_TOLERANCE: f64 = 1e-12;
/// Most Jacobi sweeps.
const MAX_SWEEPS: usize = 100;

/// The rows of `data` (samples × features) projected on the first two principal components
/// of the centred data: an n × 2 array whose columns have decreasing variance. Each
/// component's largest-magnitude loading is positive; with a single feature the second
/// column is zero.
///
/// ```
/// use ndarray::array;
/// // points on the line (1, 2) · t
/// let data = array![[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]];
/// let map = neon_xai_report::pca_map(data.view())?;
/// let t = 5.0_f64.sqrt(); // length of (1, 2)
/// assert!((map[[0, 0]] + t).abs() < 1e-12 && (map[[2, 0]] - t).abs() < 1e-12);
/// assert!(map.column(1).iter().all(|v| v.abs() < 1e-12));
/// # Ok::<(), neon_xai_report::ReportError>(())
/// ```
pub fn pca_map(data: ArrayView2<f64>) -> Result<Array2<f64>, ReportError> {
    let (n, d) = data.dim();
    if n == 0 || d == 0 {
        return Err(ReportError::Empty { what: "PCA input" });
    }
    check_finite("PCA input", data.iter())?;
    let centred = centre(data);
    let covariance = covariance(&centred, n, d);
    let components = leading_components(&covariance, d);
    let mut map = Array2::zeros((n, 2));
    for (c, v) in components.iter().enumerate() {
        for i in 0..n {
            map[[i, c]] = centred[i * d..(i + 1) * d]
                .iter()
                .zip(v)
                .map(|(x, l)| x * l)
                .sum();
        }
    }
    Ok(map)
}

/// The rows minus the column means, n × d row-major.
fn centre(data: ArrayView2<f64>) -> Vec<f64> {
    let (n, d) = data.dim();
    let mut mean = vec![0.0; d];
    for row in data.rows() {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += x;
        }
    }
    for m in &mut mean {
        *m /= n as f64;
    }
    let mut centred = Vec::with_capacity(n * d);
    for row in data.rows() {
        centred.extend(row.iter().zip(&mean).map(|(x, m)| x - m));
    }
    centred
}

/// Xᵀ X / n of the centred rows, d × d row-major; each entry summed over the rows in order.
fn covariance(centred: &[f64], n: usize, d: usize) -> Vec<f64> {
    // columns contiguous, so each entry is one dot product
    let mut columns = vec![0.0; n * d];
    for i in 0..n {
        for a in 0..d {
            columns[a * n + i] = centred[i * d + a];
        }
    }
    let mut c = vec![0.0; d * d];
    c.par_chunks_mut(d).enumerate().for_each(|(a, row)| {
        let xa = &columns[a * n..(a + 1) * n];
        for (b, entry) in row.iter_mut().enumerate().skip(a) {
            let xb = &columns[b * n..(b + 1) * n];
            *entry = xa.iter().zip(xb).map(|(x, y)| x * y).sum::<f64>() / n as f64;
        }
    });
    for a in 0..d {
        for b in 0..a {
            c[a * d + b] = c[b * d + a];
        }
    }
    c
}

/// The eigenvectors of the two largest eigenvalues of the symmetric d × d matrix `c` (one if
/// d = 1), each with its largest-magnitude entry positive.
fn leading_components(c: &[f64], d: usize) -> Vec<Vec<f64>> {
    let mut components = if d <= JACOBI_MAX_DIM {
        let (values, vectors) = jacobi_eigen(c, d);
        descending(&values)
            .into_iter()
            .take(2)
            .map(|k| (0..d).map(|r| vectors[r * d + k]).collect())
            .collect()
    } else {
        subspace_iteration(c, d)
    };
    for v in &mut components {
        fix_sign(v);
    }
    components
}

/// Indices of `values` by decreasing value (ties in index order).
fn descending(values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    order
}

/// Make the largest-magnitude entry (the first of equals) positive.
fn fix_sign(v: &mut [f64]) {
    let mut best = 0;
    for (k, x) in v.iter().enumerate() {
        if x.abs() > v[best].abs() {
            best = k;
        }
    }
    if v[best] < 0.0 {
        for x in v.iter_mut() {
            *x = -*x;
        }
    }
}

/// Eigenvalues and eigenvectors (columns of a d × d row-major matrix) of the symmetric `a` by
/// cyclic Jacobi rotations, until the off-diagonal mass is negligible.
fn jacobi_eigen(a: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = vec![0.0; d * d];
    for k in 0..d {
        v[k * d + k] = 1.0;
    }
    let total: f64 = a.iter().map(|x| x * x).sum();
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..d)
            .flat_map(|p| (p + 1..d).map(move |q| (p, q)))
            .map(|(p, q)| 2.0 * a[p * d + q] * a[p * d + q])
            .sum();
        if off <= f64::EPSILON * f64::EPSILON * total || off == 0.0 {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq == 0.0 {
                    continue;
                }
                // rotation J(p, q) with Jᵀ A J zero at (p, q) (Golub & Van Loan, Alg. 8.5.1)
                let tau = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = if tau >= 0.0 {
                    1.0 / (tau + (1.0 + tau * tau).sqrt())
                } else {
                    -1.0 / (-tau + (1.0 + tau * tau).sqrt())
                };
                let cos = 1.0 / (1.0 + t * t).sqrt();
                let sin = t * cos;
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = cos * akp - sin * akq;
                    a[k * d + q] = sin * akp + cos * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = cos * apk - sin * aqk;
                    a[q * d + k] = sin * apk + cos * aqk;
                }
                a[p * d + q] = 0.0;
                a[q * d + p] = 0.0;
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = cos * vkp - sin * vkq;
                    v[k * d + q] = sin * vkp + cos * vkq;
                }
            }
        }
    }
    let values = (0..d).map(|k| a[k * d + k]).collect();
    (values, v)
}

/// The two leading eigenvectors of the symmetric d × d `c` by subspace iteration: a block of
/// [`BLOCK`] vectors from a fixed seed, multiplied by `c` and re-orthonormalised, with a
/// Rayleigh-Ritz step every ten iterations until both Ritz residuals are below tolerance.
fn subspace_iteration(c: &[f64], d: usize) -> Vec<Vec<f64>> {
    let p = BLOCK.min(d);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    // block stored as p vectors of length d
    let mut q: Vec<Vec<f64>> = (0..p)
        .map(|_| (0..d).map(|_| StandardNormal.sample(&mut rng)).collect())
        .collect();
    orthonormalise(&mut q);
    let scale = (0..d).map(|k| c[k * d + k]).fold(0.0_f64, f64::max);
    let mut ritz = rayleigh_ritz(c, d, &q);
    for iter in 1..=MAX_SUBSPACE_ITER {
        q = q.iter().map(|v| multiply(c, d, v)).collect();
        orthonormalise(&mut q);
        if iter % 10 == 0 || iter == MAX_SUBSPACE_ITER {
            ritz = rayleigh_ritz(c, d, &q);
            let converged = ritz.iter().take(2).all(|(value, vector)| {
                let cv = multiply(c, d, vector);
                let residual: f64 = cv
                    .iter()
                    .zip(vector)
                    .map(|(x, v)| (x - value * v).powi(2))
                    .sum::<f64>()
                    .sqrt();
                residual <= SUBSPACE_TOLERANCE * scale.max(f64::MIN_POSITIVE)
            });
            if converged {
                break;
            }
            // continue from the Ritz vectors (same subspace, sorted by value)
            q = ritz.iter().map(|(_, v)| v.clone()).collect();
        }
    }
    ritz.into_iter().take(2).map(|(_, v)| v).collect()
}

/// `c · v` for the d × d row-major `c`.
fn multiply(c: &[f64], d: usize, v: &[f64]) -> Vec<f64> {
    c.par_chunks(d)
        .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum())
        .collect()
}

/// Modified Gram-Schmidt, in place; a vector that vanishes is replaced by the first unit
/// vector orthogonal enough to the others.
fn orthonormalise(q: &mut [Vec<f64>]) {
    for k in 0..q.len() {
        let (done, rest) = q.split_at_mut(k);
        let v = &mut rest[0];
        let original: f64 = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        for u in done.iter() {
            let dot: f64 = u.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
            for (x, a) in v.iter_mut().zip(u) {
                *x -= dot * a;
            }
        }
        let mut norm: f64 = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm <= 1e-10 * original || norm == 0.0 {
            // v lay in the span of the others (a rank-deficient matrix): take a basis vector
            for e in 0..v.len() {
                v.iter_mut().for_each(|x| *x = 0.0);
                v[e] = 1.0;
                for u in done.iter() {
                    let dot = u[e];
                    for (x, a) in v.iter_mut().zip(u) {
                        *x -= dot * a;
                    }
                }
                norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                if norm > 0.5 {
                    break;
                }
            }
        }
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
}

/// Ritz pairs of `c` on the orthonormal block `q`, by decreasing value.
fn rayleigh_ritz(c: &[f64], d: usize, q: &[Vec<f64>]) -> Vec<(f64, Vec<f64>)> {
    let p = q.len();
    let cq: Vec<Vec<f64>> = q.iter().map(|v| multiply(c, d, v)).collect();
    let mut h = vec![0.0; p * p];
    for a in 0..p {
        for b in a..p {
            let x: f64 = q[a].iter().zip(&cq[b]).map(|(u, v)| u * v).sum();
            h[a * p + b] = x;
            h[b * p + a] = x;
        }
    }
    let (values, w) = jacobi_eigen(&h, p);
    descending(&values)
        .into_iter()
        .map(|k| {
            let mut vector = vec![0.0; d];
            for (a, qa) in q.iter().enumerate() {
                let weight = w[a * p + k];
                for (x, y) in vector.iter_mut().zip(qa) {
                    *x += weight * y;
                }
            }
            (values[k], vector)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::Normal;

    /// Rows a·u + b·v + offset, with the coordinates (a, b) and the axes (u, v).
    struct Plane {
        data: Array2<f64>,
        a: Vec<f64>,
        b: Vec<f64>,
        u: Vec<f64>,
        v: Vec<f64>,
    }

    /// A [`Plane`] with orthonormal u, v in `d` dimensions, var(a) ≫ var(b), a ⟂ b.
    fn plane(n: usize, d: usize, seed: u64) -> Plane {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let normal = Normal::new(0.0, 1.0).expect("normal");
        let mut basis: [Vec<f64>; 2] =
            std::array::from_fn(|_| (0..d).map(|_| normal.sample(&mut rng)).collect());
        orthonormalise(&mut basis);
        let [u, v] = basis;
        let offset: Vec<f64> = (0..d).map(|k| k as f64 - 3.0).collect();
        let mut a: Vec<f64> = (0..n).map(|_| 10.0 * normal.sample(&mut rng)).collect();
        let mut b: Vec<f64> = (0..n).map(|_| normal.sample(&mut rng)).collect();
        for s in [&mut a, &mut b] {
            let mean = s.iter().sum::<f64>() / n as f64;
            s.iter_mut().for_each(|x| *x -= mean);
        }
        // uncorrelated in the sample, so that (a, b) are exactly the principal coordinates
        let ab = a.iter().zip(&b).map(|(x, y)| x * y).sum::<f64>()
            / a.iter().map(|x| x * x).sum::<f64>();
        b.iter_mut().zip(&a).for_each(|(y, x)| *y -= ab * x);
        let data = Array2::from_shape_fn((n, d), |(i, k)| a[i] * u[k] + b[i] * v[k] + offset[k]);
        Plane { data, a, b, u, v }
    }

    /// ±1: the sign that makes the largest-magnitude entry positive.
    fn convention(v: &[f64]) -> f64 {
        let mut w = v.to_vec();
        fix_sign(&mut w);
        if w == v {
            1.0
        } else {
            -1.0
        }
    }

    fn check_plane(d: usize) {
        let Plane { data, a, b, u, v } = plane(200, d, 3);
        let map = pca_map(data.view()).expect("PCA");
        assert_eq!(map.dim(), (200, 2));
        let (su, sv) = (convention(&u), convention(&v));
        for i in 0..200 {
            assert!(
                (map[[i, 0]] - su * a[i]).abs() < 1e-8,
                "row {i}: {} vs {}",
                map[[i, 0]],
                su * a[i]
            );
            assert!(
                (map[[i, 1]] - sv * b[i]).abs() < 1e-8,
                "row {i}: {} vs {}",
                map[[i, 1]],
                sv * b[i]
            );
        }
    }

    #[test]
    fn points_on_a_plane_map_to_their_coordinates() {
        check_plane(5);
    }

    #[test]
    fn points_on_a_plane_map_to_their_coordinates_in_many_dimensions() {
        check_plane(150);
    }

    #[test]
    fn known_axes_and_sign_convention() {
        // u = (3, −4, 0, 0, 12)/13: largest loading +12/13, kept; v = (−4, −3, 0, 1, 0)/√26:
        // largest loading −4/√26, so the second column is −b
        let u = [3.0 / 13.0, -4.0 / 13.0, 0.0, 0.0, 12.0 / 13.0];
        let s = 26.0_f64.sqrt();
        let v = [-4.0 / s, -3.0 / s, 0.0, 1.0 / s, 0.0];
        assert!(u.iter().zip(&v).map(|(x, y)| x * y).sum::<f64>().abs() < 1e-15);
        let a = [-3.0, -1.0, 0.0, 1.0, 3.0];
        let b = [0.5, -0.5, 0.0, -0.5, 0.5];
        let data = Array2::from_shape_fn((5, 5), |(i, k)| a[i] * u[k] + b[i] * v[k] + 7.0);
        let map = pca_map(data.view()).expect("PCA");
        for i in 0..5 {
            assert!((map[[i, 0]] - a[i]).abs() < 1e-12, "{map}");
            assert!((map[[i, 1]] + b[i]).abs() < 1e-12, "{map}");
        }
    }

    #[test]
    fn sign_convention_is_stable() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let normal = Normal::new(0.0, 1.0).expect("normal");
        let scales = [5.0, 3.0, 1.0, 0.5];
        let data = Array2::from_shape_fn((80, 4), |(_, k)| scales[k] * normal.sample(&mut rng));
        let map = pca_map(data.view()).expect("PCA");
        // the loadings fixed, not the map: reordered, shifted and scaled rows give the same
        // coordinates (scaled), negated rows give negated coordinates
        let reversed = Array2::from_shape_fn((80, 4), |(i, k)| data[[79 - i, k]]);
        let map_reversed = pca_map(reversed.view()).expect("PCA");
        let moved = data.mapv(|x| 2.0 * x + 1.0);
        let map_moved = pca_map(moved.view()).expect("PCA");
        let map_negated = pca_map(data.mapv(|x| -x).view()).expect("PCA");
        for i in 0..80 {
            for c in 0..2 {
                let m = map[[i, c]];
                assert!((map_reversed[[79 - i, c]] - m).abs() < 1e-10);
                assert!((map_moved[[i, c]] - 2.0 * m).abs() < 1e-10);
                assert!((map_negated[[i, c]] + m).abs() < 1e-10);
            }
        }
        // and the loadings themselves follow the convention
        let c = covariance(&centre(data.view()), 80, 4);
        for v in leading_components(&c, 4) {
            let largest = v
                .iter()
                .fold(0.0_f64, |m, x| if x.abs() > m.abs() { *x } else { m });
            assert!(largest > 0.0);
        }
    }

    #[test]
    fn jacobi_and_subspace_iteration_agree() {
        let d = 40;
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let normal = Normal::new(0.0, 1.0).expect("normal");
        let data = Array2::from_shape_fn((300, d), |(_, k)| {
            normal.sample(&mut rng) * (1.0 + 4.0 / (1.0 + k as f64))
        });
        let c = covariance(&centre(data.view()), 300, d);
        let mut exact = leading_components(&c, d);
        let mut iterated = subspace_iteration(&c, d);
        for (a, b) in exact.iter_mut().zip(iterated.iter_mut()) {
            fix_sign(a);
            fix_sign(b);
            let gap = a
                .iter()
                .zip(b.iter())
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max);
            assert!(gap < 1e-8, "components differ by {gap}");
        }
        // the Jacobi eigenpairs satisfy C v = λ v
        let (values, vectors) = jacobi_eigen(&c, d);
        for k in 0..d {
            let v: Vec<f64> = (0..d).map(|r| vectors[r * d + k]).collect();
            let cv = multiply(&c, d, &v);
            for r in 0..d {
                assert!((cv[r] - values[k] * v[r]).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn single_feature_and_bad_input() {
        let data = Array2::from_shape_fn((4, 1), |(i, _)| i as f64);
        let map = pca_map(data.view()).expect("PCA");
        assert_eq!(map.column(0).to_vec(), vec![-1.5, -0.5, 0.5, 1.5]);
        assert!(map.column(1).iter().all(|&v| v == 0.0));
        let constant = Array2::from_elem((3, 3), 2.0);
        assert!(pca_map(constant.view())
            .expect("PCA")
            .iter()
            .all(|&v| v == 0.0));
        assert!(matches!(
            pca_map(Array2::<f64>::zeros((0, 3)).view()),
            Err(ReportError::Empty { .. })
        ));
        let mut bad = Array2::<f64>::zeros((3, 2));
        bad[[1, 1]] = f64::NAN;
        assert!(matches!(
            pca_map(bad.view()),
            Err(ReportError::NonFinite { index: 3, .. })
        ));
    }
}
