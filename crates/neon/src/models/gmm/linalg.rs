//! The small dense linear algebra a Gaussian mixture needs (d × d, d small): Cholesky
//! factorisation and the inverse of a triangular factor.

use ndarray::Array2;

/// Lower-triangular `L` with `L Lᵀ = a`, or `None` if `a` is not symmetric positive definite
/// (to rounding).
pub(crate) fn cholesky(a: &Array2<f64>) -> Option<Array2<f64>> {
    let d = a.nrows();
    let mut l = Array2::zeros((d, d));
    for j in 0..d {
        let mut diag = a[[j, j]];
        for k in 0..j {
            diag -= l[[j, k]] * l[[j, k]];
        }
        if !(diag > 0.0 && diag.is_finite()) {
            return None;
        }
        let pivot = diag.sqrt();
        l[[j, j]] = pivot;
        for i in j + 1..d {
            let mut v = a[[i, j]];
            for k in 0..j {
                v -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = v / pivot;
        }
    }
    Some(l)
}

/// `L⁻¹` of a lower-triangular `L` with a positive diagonal (forward substitution).
pub(crate) fn lower_inverse(l: &Array2<f64>) -> Array2<f64> {
    let d = l.nrows();
    let mut inv = Array2::zeros((d, d));
    for col in 0..d {
        for i in col..d {
            let mut v = if i == col { 1.0 } else { 0.0 };
            for k in col..i {
                v -= l[[i, k]] * inv[[k, col]];
            }
            inv[[i, col]] = v / l[[i, i]];
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cholesky_and_inverse_reconstruct() {
        let a = array![[4.0, 2.0, 0.4], [2.0, 3.0, 0.5], [0.4, 0.5, 1.0]];
        let l = cholesky(&a).expect("spd");
        let back = l.dot(&l.t());
        assert!((&back - &a).iter().all(|v| v.abs() < 1e-12));
        let inv = lower_inverse(&l);
        let eye = inv.dot(&l);
        for i in 0..3 {
            for j in 0..3 {
                assert!((eye[[i, j]] - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
        assert!(cholesky(&array![[1.0, 2.0], [2.0, 1.0]]).is_none());
    }
}
