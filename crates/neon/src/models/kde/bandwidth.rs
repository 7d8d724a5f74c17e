//! Bandwidths chosen from the data, for users who do not want to pick γ: Scott's and
//! Silverman's rules of thumb (as scikit-learn's `KernelDensity(bandwidth="scott" |
//! "silverman")`) and the bandwidth of maximum leave-one-out likelihood (a 1-D search). A
//! bandwidth h is the kernel parameter `γ = 1 / (2h²)` of `exp(−γ‖x − u‖²)`.

use crate::error::{NeonError, Result};
use crate::kernels::math::squared_distance;
use crate::options::check_memory;
use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A rule that chooses the bandwidth from the training data (in model space).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BandwidthRule {
    /// Scott's rule, [`scott`].
    Scott,
    /// Silverman's rule, [`silverman`].
    Silverman,
    /// Maximum leave-one-out likelihood, [`PairwiseDistances::max_loo_bandwidth`].
    Loo,
}

impl BandwidthRule {
    /// Every rule, by the names `neon fit kde --bandwidth` takes.
    pub const NAMES: &'static [&'static str] = &["scott", "silverman", "loo"];

    /// The rule of a name of [`BandwidthRule::NAMES`].
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "scott" => Ok(BandwidthRule::Scott),
            "silverman" => Ok(BandwidthRule::Silverman),
            "loo" => Ok(BandwidthRule::Loo),
            other => Err(NeonError::param(
                "bandwidth",
                format!("unknown rule '{other}' (expected scott, silverman or loo)"),
            )),
        }
    }

    /// Apply the rule to `points` (at least 2 rows).
    pub fn choose(self, points: ArrayView2<f64>) -> Result<ChosenBandwidth> {
        let (n, d) = points.dim();
        if n < 2 {
            return Err(NeonError::param(
                "bandwidth",
                format!("choosing a bandwidth needs at least 2 rows, got {n}"),
            ));
        }
        let (h, loo_log_likelihood) = match self {
            BandwidthRule::Scott => (scott(n, d), None),
            BandwidthRule::Silverman => (silverman(n, d), None),
            BandwidthRule::Loo => {
                let (h, ll) = PairwiseDistances::new(points)?.max_loo_bandwidth();
                (h, Some(ll))
            }
        };
        if !(h.is_finite() && h > 0.0) {
            return Err(NeonError::param(
                "bandwidth",
                format!("the {self} rule gave h = {h} on this data (are all rows equal?)"),
            ));
        }
        Ok(ChosenBandwidth {
            rule: self,
            h,
            loo_log_likelihood,
        })
    }
}

impl std::fmt::Display for BandwidthRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BandwidthRule::Scott => "scott",
            BandwidthRule::Silverman => "silverman",
            BandwidthRule::Loo => "loo",
        })
    }
}

/// The bandwidth a [`BandwidthRule`] chose, stored with the model so that its file says where
/// γ came from; `γ = 1 / (2h²)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChosenBandwidth {
    /// The rule.
    pub rule: BandwidthRule,
    /// The bandwidth h, in the units of the model space.
    pub h: f64,
    /// Mean leave-one-out log-likelihood at h (rule `loo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loo_log_likelihood: Option<f64>,
}

impl ChosenBandwidth {
    /// The kernel parameter `γ = 1 / (2h²)`.
    pub fn gamma(&self) -> f64 {
        gamma_of_bandwidth(self.h)
    }
}

impl std::fmt::Display for ChosenBandwidth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bandwidth h = {:.6} ({})", self.h, self.rule)?;
        if let Some(ll) = self.loo_log_likelihood {
            write!(f, ", leave-one-out log-likelihood {ll:.6} per row")?;
        }
        Ok(())
    }
}

/// Scott's rule `h = n^(−1/(d+4))` (for data of unit scale, as scikit-learn applies it).
pub fn scott(n: usize, d: usize) -> f64 {
    (n as f64).powf(-1.0 / (d as f64 + 4.0))
}

/// Silverman's rule `h = (n (d + 2) / 4)^(−1/(d+4))` (as scikit-learn applies it).
pub fn silverman(n: usize, d: usize) -> f64 {
    (n as f64 * (d as f64 + 2.0) / 4.0).powf(-1.0 / (d as f64 + 4.0))
}

/// The kernel parameter of bandwidth h: `γ = 1 / (2h²)`.
pub fn gamma_of_bandwidth(h: f64) -> f64 {
    1.0 / (2.0 * h * h)
}

/// Squared distances between all pairs of rows, for repeated likelihood evaluations.
pub struct PairwiseDistances {
    n: usize,
    d: usize,
    values: Vec<f64>,
}

impl PairwiseDistances {
    /// All `n²` squared distances (checked against the memory budget).
    pub fn new(points: ArrayView2<f64>) -> Result<Self> {
        let n = points.nrows();
        if n < 2 {
            return Err(NeonError::param(
                "bandwidth",
                format!("the leave-one-out likelihood needs at least 2 rows, got {n}"),
            ));
        }
        check_memory(
            "the leave-one-out bandwidth search's distances (n² × 8 bytes)",
            (n as f64) * (n as f64) * 8.0,
            "choose the bandwidth on a sample of the rows",
        )?;
        let values: Vec<f64> = (0..n)
            .into_par_iter()
            .flat_map_iter(|i| {
                let xi = points.row(i);
                (0..n).map(move |j| squared_distance(xi, points.row(j)))
            })
            .collect();
        Ok(PairwiseDistances {
            n,
            d: points.ncols(),
            values,
        })
    }

    /// Mean leave-one-out log-likelihood of a Gaussian KDE of bandwidth h:
    /// `(1/n) Σ_i log((1/(n−1)) Σ_{j≠i} (2πh²)^(−d/2) exp(−‖x_i − x_j‖² / (2h²)))`, each inner
    /// sum shifted by its largest term (never −∞ for a finite h).
    pub fn loo_log_likelihood(&self, h: f64) -> f64 {
        let (n, d) = (self.n, self.d as f64);
        let gamma = gamma_of_bandwidth(h);
        let normaliser = -0.5 * d * (2.0 * std::f64::consts::PI * h * h).ln();
        let total: f64 = (0..n)
            .into_par_iter()
            .map(|i| {
                let row = &self.values[i * n..(i + 1) * n];
                let nearest = row
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, v)| *v)
                    .fold(f64::INFINITY, f64::min);
                let sum: f64 = row
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, v)| (-gamma * (v - nearest)).exp())
                    .sum();
                -gamma * nearest + sum.ln() - ((n - 1) as f64).ln() + normaliser
            })
            .collect::<Vec<f64>>()
            .iter()
            .sum();
        total / n as f64
    }

    /// The bandwidth of maximum leave-one-out likelihood: a log-spaced grid over
    /// `[1e-3, 10] × the root-mean-square pairwise distance`, then golden-section refinement
    /// of log h around the best grid point. Returns `(h, mean log-likelihood at h)`.
    pub fn max_loo_bandwidth(&self) -> (f64, f64) {
        let pairs = (self.n * (self.n - 1)) as f64;
        let rms = (self.values.iter().sum::<f64>() / pairs)
            .sqrt()
            .max(f64::MIN_POSITIVE);
        let (lo, hi) = ((1e-3 * rms).ln(), (10.0 * rms).ln());
        let steps = 80;
        let grid: Vec<f64> = (0..=steps)
            .map(|s| lo + (hi - lo) * s as f64 / steps as f64)
            .collect();
        let values: Vec<f64> = grid
            .iter()
            .map(|t| self.loo_log_likelihood(t.exp()))
            .collect();
        let mut best = 0;
        for (i, v) in values.iter().enumerate() {
            if *v > values[best] {
                best = i;
            }
        }
        let mut a = grid[best.saturating_sub(1)];
        let mut b = grid[(best + 1).min(steps)];
        let ratio = (5f64.sqrt() - 1.0) / 2.0;
        let f = |t: f64| self.loo_log_likelihood(t.exp());
        let (mut c, mut d) = (b - ratio * (b - a), a + ratio * (b - a));
        let (mut fc, mut fd) = (f(c), f(d));
        while b - a > 1e-12 {
            if fc > fd {
                b = d;
                d = c;
                fd = fc;
                c = b - ratio * (b - a);
                fc = f(c);
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + ratio * (b - a);
                fd = f(d);
            }
        }
        let h = ((a + b) / 2.0).exp();
        (h, self.loo_log_likelihood(h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_rule_chooses_gamma_at_fit_and_the_model_remembers_it() {
        use crate::engine::Model;
        use crate::models::{Kde, KdeParams};
        let x = array![[0.0, 1.0], [1.0, 0.5], [2.0, -1.0], [0.5, 0.0], [3.0, 2.0]];
        for (rule, h) in [
            (BandwidthRule::Scott, scott(5, 2)),
            (BandwidthRule::Silverman, silverman(5, 2)),
        ] {
            let kde = Kde::fit(KdeParams::bandwidth(rule), x.view()).expect("fit");
            let chosen = kde.bandwidth.expect("remembered");
            assert_eq!(chosen.rule, rule);
            assert_eq!(chosen.h, h);
            assert_eq!(kde.gamma, 1.0 / (2.0 * h * h));
            assert!(kde.validate().is_ok());
            assert!(
                kde.summary().contains(&format!("({rule})")),
                "{}",
                kde.summary()
            );
        }
        let kde = Kde::fit(KdeParams::bandwidth(BandwidthRule::Loo), x.view()).expect("fit");
        let chosen = kde.bandwidth.expect("remembered");
        let (h, ll) = PairwiseDistances::new(x.view())
            .expect("pairs")
            .max_loo_bandwidth();
        assert_eq!((chosen.h, chosen.loo_log_likelihood), (h, Some(ll)));
        // a model file whose h does not give its γ is refused
        let mut edited = kde.clone();
        edited.gamma *= 2.0;
        let err = edited.validate().expect_err("inconsistent");
        assert_eq!(err.parameter(), Some("bandwidth"));
        // every name parses, an unknown one is a named error
        for name in BandwidthRule::NAMES {
            assert_eq!(
                BandwidthRule::from_name(name).expect("name").to_string(),
                *name
            );
        }
        assert_eq!(
            BandwidthRule::from_name("wide")
                .expect_err("unknown")
                .parameter(),
            Some("bandwidth")
        );
        let one = array![[1.0, 1.0]];
        let err = BandwidthRule::Scott
            .choose(one.view())
            .expect_err("one row");
        assert!(err.to_string().contains("at least 2 rows"), "{err}");
    }

    #[test]
    fn two_points_in_one_dimension_have_a_closed_form() {
        // each point sees only the other at distance 1: log N(1; 0, h²) for both
        let x = array![[0.0], [1.0]];
        let p = PairwiseDistances::new(x.view()).expect("pairs");
        for h in [0.3, 1.0, 2.5] {
            let expected = -0.5 * (2.0 * std::f64::consts::PI * h * h).ln() - 1.0 / (2.0 * h * h);
            assert!((p.loo_log_likelihood(h) - expected).abs() < 1e-12);
        }
        // maximised at h = 1 (d/dh of −log h − 1/(2h²) vanishes there)
        let (h, _) = p.max_loo_bandwidth();
        assert!((h - 1.0).abs() < 1e-6, "{h}");
    }

    #[test]
    fn one_row_is_a_named_error() {
        let err = PairwiseDistances::new(array![[1.0, 2.0]].view())
            .map(|_| ())
            .expect_err("refused");
        assert!(err.to_string().contains("parameter bandwidth"), "{err}");
    }
}
