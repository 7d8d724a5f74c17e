//! Expectation–maximisation for a Gaussian mixture, as scikit-learn's `GaussianMixture`: each
//! run starts from the responsibilities of a k-means++ k-means fit (seeded), alternates E and
//! M steps until the mean log-likelihood changes by less than `tol`, and the run with the
//! highest likelihood is kept (ties: the earliest). Deterministic for a seed.

use super::algorithm::GaussianMixture;
use super::hyperparams::{CovarianceType, GmmError, GmmParams};
use crate::error::Result;
use crate::models::kmeans::{KMeans, KMeansParams};
use ndarray::{Array2, Array3, ArrayView2, Axis};
use rayon::prelude::*;

impl GaussianMixture {
    /// Fit by EM (see the module documentation).
    pub fn fit(params: GmmParams, points: ArrayView2<f64>) -> Result<Self> {
        // training points in C order, whatever the caller's layout: the same numbers for a
        // model fitted in memory and one read back from its file
        let standard = points.as_standard_layout();
        let points = standard.view();
        params.validate(points.nrows())?;
        let mut best: Option<GaussianMixture> = None;
        for run in 0..params.n_init as u64 {
            let model = fit_once(&params, points, run)?;
            if best
                .as_ref()
                .is_none_or(|b| model.lower_bound > b.lower_bound)
            {
                best = Some(model);
            }
        }
        best.ok_or_else(|| GmmError::NInit.into())
    }
}

/// One EM run from the k-means initialisation of stream `run`.
fn fit_once(params: &GmmParams, x: ArrayView2<f64>, run: u64) -> Result<GaussianMixture> {
    let (n, k) = (x.nrows(), params.n_components);
    let mut resp = Array2::zeros((n, k));
    if k == 1 {
        resp.fill(1.0);
    } else {
        let mut km = KMeansParams::new(k);
        km.n_init = 1;
        km.seed = params.seed.wrapping_add(run);
        let labels = KMeans::fit(km, x)?.labels();
        for (i, l) in labels.into_iter().enumerate() {
            resp[[i, l]] = 1.0;
        }
    }
    let mut model = m_step(params, x, &resp)?;
    let mut lower_bound = f64::NEG_INFINITY;
    let mut n_iter = 0;
    for iteration in 1..=params.max_iter {
        let previous = lower_bound;
        let (log_resp, mean_log_likelihood) = e_step(&model, x);
        resp = log_resp.mapv(f64::exp);
        model = m_step(params, x, &resp)?;
        lower_bound = mean_log_likelihood;
        n_iter = iteration;
        if (lower_bound - previous).abs() < params.tol {
            break;
        }
    }
    model.lower_bound = lower_bound;
    model.n_iter = n_iter;
    Ok(model)
}

/// Log-responsibilities and the mean log-likelihood of the rows.
fn e_step(model: &GaussianMixture, x: ArrayView2<f64>) -> (Array2<f64>, f64) {
    let k = model.n_components();
    let rows: Vec<(Vec<f64>, f64)> = (0..x.nrows())
        .into_par_iter()
        .map(|i| {
            let (log_p, post) = model.log_density_and_posterior(x.row(i));
            (post.iter().map(|p| p.ln()).collect(), log_p)
        })
        .collect();
    let mut log_resp = Array2::zeros((x.nrows(), k));
    let mut total = 0.0;
    for (i, (lr, lp)) in rows.into_iter().enumerate() {
        for (c, v) in lr.into_iter().enumerate() {
            log_resp[[i, c]] = v;
        }
        total += lp;
    }
    (log_resp, total / x.nrows() as f64)
}

/// Weights, means and covariances of the given type from responsibilities.
fn m_step(params: &GmmParams, x: ArrayView2<f64>, resp: &Array2<f64>) -> Result<GaussianMixture> {
    let (n, d) = x.dim();
    let k = resp.ncols();
    let nk: Vec<f64> = resp
        .axis_iter(Axis(1))
        .map(|r| r.sum() + 10.0 * f64::EPSILON)
        .collect();
    let mut means = resp.t().dot(&x);
    for (mut row, nk) in means.rows_mut().into_iter().zip(&nk) {
        row /= *nk;
    }
    let mut covariances = Array3::zeros((k, d, d));
    let reg = params.reg_covar;
    match params.covariance_type {
        CovarianceType::Full | CovarianceType::Tied => {
            let mut shared = Array2::<f64>::zeros((d, d));
            for (c, &n_c) in nk.iter().enumerate() {
                let diff = &x - &means.row(c);
                let weighted = &diff * &resp.column(c).insert_axis(Axis(1));
                let cov = weighted.t().dot(&diff);
                if params.covariance_type == CovarianceType::Full {
                    let mut cov = cov / n_c;
                    for i in 0..d {
                        cov[[i, i]] += reg;
                    }
                    covariances.index_axis_mut(Axis(0), c).assign(&cov);
                } else {
                    shared += &cov;
                }
            }
            if params.covariance_type == CovarianceType::Tied {
                let mut cov = shared / n as f64;
                for i in 0..d {
                    cov[[i, i]] += reg;
                }
                for c in 0..k {
                    covariances.index_axis_mut(Axis(0), c).assign(&cov);
                }
            }
        }
        CovarianceType::Diag | CovarianceType::Spherical => {
            for c in 0..k {
                let mut variances = vec![0.0; d];
                for (row, r) in x.rows().into_iter().zip(resp.column(c)) {
                    for i in 0..d {
                        let diff = row[i] - means[[c, i]];
                        variances[i] += r * diff * diff;
                    }
                }
                let variances: Vec<f64> = variances.iter().map(|v| v / nk[c] + reg).collect();
                let spherical = variances.iter().sum::<f64>() / d as f64;
                for i in 0..d {
                    covariances[[c, i, i]] = if params.covariance_type == CovarianceType::Spherical
                    {
                        spherical
                    } else {
                        variances[i]
                    };
                }
            }
        }
    }
    let total: f64 = nk.iter().sum();
    let weights: Vec<f64> = nk.iter().map(|v| v / total).collect();
    GaussianMixture::from_parts(params.covariance_type, weights, means, covariances, x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn two_separated_clusters_are_recovered() {
        let x = array![
            [0.0, 0.1],
            [0.2, -0.1],
            [-0.1, 0.0],
            [0.1, 0.2],
            [10.0, 10.1],
            [10.2, 9.9],
            [9.9, 10.0],
            [10.1, 10.2]
        ];
        for t in [
            CovarianceType::Full,
            CovarianceType::Tied,
            CovarianceType::Diag,
            CovarianceType::Spherical,
        ] {
            let m = GaussianMixture::fit(GmmParams::new(2, t), x.view()).expect("fit");
            assert!((m.weights[0] - 0.5).abs() < 1e-9, "{t:?}");
            let first = m.predict(x.row(0));
            assert!((0..4).all(|i| m.predict(x.row(i)) == first));
            assert!((4..8).all(|i| m.predict(x.row(i)) != first));
            // the same seed gives the same model
            let again = GaussianMixture::fit(GmmParams::new(2, t), x.view()).expect("fit");
            assert_eq!(m, again);
        }
    }
}
