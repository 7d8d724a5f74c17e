//! Helpers of the unit tests: central differences for the gradient checks.

use ndarray::{Array1, ArrayView1};

/// Central difference `(f(x + h e_i) − f(x − h e_i)) / 2h` for every i.
pub fn central(f: impl Fn(ArrayView1<f64>) -> f64, x: ArrayView1<f64>, h: f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let mut plus = x.to_owned();
            let mut minus = x.to_owned();
            plus[i] += h;
            minus[i] -= h;
            (f(plus.view()) - f(minus.view())) / (2.0 * h)
        })
        .collect()
}

/// Assert `analytic ≈ numeric` to `tol` relative to `1 + |numeric|`.
pub fn assert_close(analytic: &Array1<f64>, numeric: &[f64], tol: f64) {
    for (a, n) in analytic.iter().zip(numeric) {
        assert!(
            (a - n).abs() <= tol * (1.0 + n.abs()),
            "analytic {analytic} vs numeric {numeric:?}"
        );
    }
}
