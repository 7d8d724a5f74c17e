//! KDE on locations with leave-one-out (Appendix A.1, A.2).

use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal, Uniform};

use super::{par_rows, softmin, sq_dists, LocationRelevance};
use crate::error::{CnnError, Result};

/// KDE `p̃(x) = 1/N Σ_k exp(−γ‖x − u_k‖²)` (Eq. 1) over the locations, each location scored
/// against all the others (leave-one-out: with itself in the sum every location would get the
/// same score and the map would be flat).
///
/// The sum can be restricted to some rows, the *members* (see [`Kde::with_members`]): then the
/// other rows are new points scored against the members only — the inspection set-up where the
/// model is fitted on defect-free reference images and the test image's locations are explained.
#[derive(Debug, Clone)]
pub struct Kde {
    data: Array2<f64>,
    d2: Array2<f64>,
    gamma: f64,
    /// Rows in the sum of Eq. 1 (all rows unless built with [`Kde::with_members`]).
    members: Vec<bool>,
    n_members: usize,
}

impl Kde {
    /// Fit on `data` (`N × C`, N ≥ 2) with kernel width `gamma` (see [`super::resolve_gamma`]).
    pub fn new(data: Array2<f64>, gamma: f64) -> Result<Self> {
        if data.nrows() < 2 {
            return Err(CnnError::TooFewLocations {
                model: "kde",
                needed: 2,
                found: data.nrows(),
            });
        }
        if !(gamma.is_finite() && gamma > 0.0) {
            return Err(CnnError::param(
                "gamma",
                format!("{gamma} must be positive"),
            ));
        }
        let d2 = sq_dists(&data);
        let n = data.nrows();
        Ok(Kde {
            data,
            d2,
            gamma,
            members: vec![true; n],
            n_members: n,
        })
    }

    /// Fit with precomputed squared distances (from [`sq_dists`]).
    pub fn with_distances(data: Array2<f64>, d2: Array2<f64>, gamma: f64) -> Result<Self> {
        let members = vec![true; data.nrows()];
        Self::with_members(data, d2, gamma, members)
    }

    /// Fit on the rows of `data` flagged in `members` (at least 2) with precomputed squared
    /// distances between all rows; the other rows are scored against the members only. A member
    /// row is still scored leave-one-out.
    pub fn with_members(
        data: Array2<f64>,
        d2: Array2<f64>,
        gamma: f64,
        members: Vec<bool>,
    ) -> Result<Self> {
        let n = data.nrows();
        if d2.dim() != (n, n) || members.len() != n {
            return Err(CnnError::BadShape {
                what: "kde distances / members",
                found: vec![d2.nrows(), d2.ncols(), members.len()],
                expected: format!("{n}x{n} distances and {n} member flags"),
            });
        }
        let n_members = members.iter().filter(|&&m| m).count();
        if n_members < 2 {
            return Err(CnnError::TooFewLocations {
                model: "kde",
                needed: 2,
                found: n_members,
            });
        }
        Ok(Kde {
            data,
            d2,
            gamma,
            members,
            n_members,
        })
    }

    /// Whether row `l` is in the sum of Eq. 1.
    pub fn is_member(&self, l: usize) -> bool {
        self.members.get(l).copied().unwrap_or(false)
    }

    /// Rows in the sum for scoring row `l`: the members other than `l`.
    fn others(&self, l: usize) -> Vec<usize> {
        (0..self.data.nrows())
            .filter(|&k| k != l && self.members[k])
            .collect()
    }

    /// γ.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// Leave-one-out outlier score `o(x_l) = −1/γ log(1/(N−1) Σ_{k≠l} exp(−γ h_k))` (§3.1).
    pub fn outlier_score(&self, l: usize) -> f64 {
        let h: Vec<f64> = self.others(l).iter().map(|&k| self.d2[[l, k]]).collect();
        let m = h.iter().cloned().fold(f64::INFINITY, f64::min);
        let s: f64 = h.iter().map(|&v| (-self.gamma * (v - m)).exp()).sum();
        m - (s / h.len() as f64).ln() / self.gamma
    }

    /// Leave-one-out outlier scores of every location.
    pub fn outlier_scores(&self) -> Vec<f64> {
        par_rows(self.data.nrows(), |l| self.outlier_score(l))
    }

    /// Leave-one-out inlier score `p̃(x_l)` with the exact kernel (§3.2).
    pub fn inlier_score(&self, l: usize) -> f64 {
        let others = self.others(l);
        others
            .iter()
            .map(|&k| (-self.gamma * self.d2[[l, k]]).exp())
            .sum::<f64>()
            / others.len() as f64
    }

    /// Appendix A.1: `R_k = p_k o(a)`, `R_k^dot = p_k aᵀ(a − u_k)`, and
    /// `R_i = Σ_k a_i(a_i − u_ik) / Σ_i' a_i'(a_i' − u_i'k) · R_k^dot = Σ_k p_k a_i (a_i − u_ik)`;
    /// `p_k` is the soft-min with stiffness `beta` over the other locations.
    pub fn explain_outlier(&self, l: usize, beta: f64) -> LocationRelevance {
        let a = self.data.row(l);
        let others = self.others(l);
        let h: Vec<f64> = others.iter().map(|&k| self.d2[[l, k]]).collect();
        let p = softmin(&h, beta);
        // ū = Σ_k p_k u_k, then R_i = a_i (a_i − ū_i) since Σ_k p_k = 1.
        let mut ubar = Array1::<f64>::zeros(a.len());
        for (&k, &pk) in others.iter().zip(&p) {
            ubar.scaled_add(pk, &self.data.row(k));
        }
        let rel = Array1::from_shape_fn(a.len(), |i| a[i] * (a[i] - ubar[i]));
        LocationRelevance::new(rel, self.outlier_score(l))
    }

    /// Draw `n_features` random Fourier features for this KDE (§3.3, Eq. 3): `ω_j ~ N(0, 2γ I)`,
    /// `b_j ~ U(0, 2π)`, seeded.
    pub fn random_features(&self, n_features: usize, epsilon: f64, seed: u64) -> Result<RffModel> {
        if n_features == 0 {
            return Err(CnnError::param("n_features", "must be at least 1"));
        }
        if !(epsilon.is_finite() && epsilon >= 0.0) {
            return Err(CnnError::param(
                "epsilon",
                format!("{epsilon} must be finite and >= 0"),
            ));
        }
        let c = self.data.ncols();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let normal = Normal::new(0.0, (2.0 * self.gamma).sqrt())
            .map_err(|e| CnnError::param("gamma", e.to_string()))?;
        let uni = Uniform::new(0.0, 2.0 * std::f64::consts::PI);
        let omega = Array2::from_shape_fn((n_features, c), |_| normal.sample(&mut rng));
        let b = Array1::from_shape_fn(n_features, |_| uni.sample(&mut rng));
        // Σ_k √2 cos(ω_j·u_k + b_j), kept as a sum so that one location can be left out.
        let proj = self.data.dot(&omega.t()); // N × H
        let phi = Array2::from_shape_fn(proj.dim(), |(k, j)| {
            std::f64::consts::SQRT_2 * (proj[[k, j]] + b[j]).cos()
        });
        let mut sum_phi = Array1::<f64>::zeros(n_features);
        for (row, _) in phi.outer_iter().zip(&self.members).filter(|(_, &m)| m) {
            sum_phi += &row;
        }
        Ok(RffModel {
            omega,
            b,
            phi,
            sum_phi,
            proj,
            members: self.members.clone(),
            n_members: self.n_members,
            epsilon,
        })
    }
}

/// KDE inlierness through random features (§3.3), leave-one-out per location.
#[derive(Debug, Clone)]
pub struct RffModel {
    omega: Array2<f64>,
    b: Array1<f64>,
    phi: Array2<f64>,
    sum_phi: Array1<f64>,
    proj: Array2<f64>,
    members: Vec<bool>,
    n_members: usize,
    epsilon: f64,
}

impl RffModel {
    /// `μ_j` over the members other than `l`.
    fn mu(&self, l: usize, j: usize) -> f64 {
        if self.members[l] {
            (self.sum_phi[j] - self.phi[[l, j]]) / (self.n_members - 1) as f64
        } else {
            self.sum_phi[j] / self.n_members as f64
        }
    }

    /// `î(x_l) = 1/H Σ_j √2 cos(ω_j·x_l + b_j) μ_j` with `μ_j` over the other (member) locations.
    pub fn inlier_score(&self, l: usize) -> f64 {
        let h = self.b.len();
        (0..h)
            .map(|j| self.phi[[l, j]] * self.mu(l, j))
            .sum::<f64>()
            / h as f64
    }

    /// Appendix A.2: `R_j = R_j^sin + R_j^cos` with `R_j^sin = −sin(ω_j·a) sin(b_j) c_j`,
    /// `R_j^cos = cos(ω_j·a) cos(b_j) c_j`, `c_j = √2 μ_j / H`, redistributed as
    /// `R_i = Σ_j a_i ω_ij / (ω_j·a) R_j^sin + Σ_j a_i ω_ij / (ε_j + ω_j·a) R_j^cos`,
    /// `ε_j = ε·sign(ω_j·a)`; the sine ratio uses `sin(t)/t → 1` at `t = 0`.
    pub fn explain(&self, data: &Array2<f64>, l: usize) -> LocationRelevance {
        let a = data.row(l);
        let h = self.b.len();
        let mut coef = Array1::<f64>::zeros(h); // R_i = a_i Σ_j ω_ij coef_j
        for j in 0..h {
            let t = self.proj[[l, j]];
            let cj = std::f64::consts::SQRT_2 * self.mu(l, j) / h as f64;
            let sinc = if t.abs() < 1e-12 { 1.0 } else { t.sin() / t };
            let sin_part = -sinc * self.b[j].sin() * cj;
            let eps_j = if t >= 0.0 {
                self.epsilon
            } else {
                -self.epsilon
            };
            let den = t + eps_j;
            let cos_part = if den == 0.0 {
                0.0
            } else {
                t.cos() * self.b[j].cos() * cj / den
            };
            coef[j] = sin_part + cos_part;
        }
        let w = self.omega.t().dot(&coef);
        let rel = Array1::from_shape_fn(a.len(), |i| a[i] * w[i]);
        LocationRelevance::new(rel, self.inlier_score(l))
    }
}
