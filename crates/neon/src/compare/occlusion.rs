//! Occlusion (§2.1, "testing the function to explain against various occlusions of the input
//! features"): one feature at a time set to its reference value.

use super::attribution::Attribution;
use super::shapley::check_reference;
use crate::error::Result;
use ndarray::ArrayView1;

/// `R_i = f(x) − f(x with x_i ← r_i)`. Not conservative: interactions are counted in every
/// feature they involve (or none). Costs `d + 2` evaluations of `f` (`f(r)` only to report the
/// completeness gap).
pub fn occlusion(
    mut f: impl FnMut(ArrayView1<f64>) -> f64,
    x: ArrayView1<f64>,
    reference: ArrayView1<f64>,
) -> Result<Attribution> {
    check_reference(x, reference)?;
    let score = f(x);
    let mut z = x.to_owned();
    let relevance = (0..x.len())
        .map(|i| {
            z[i] = reference[i];
            let occluded = f(z.view());
            z[i] = x[i];
            score - occluded
        })
        .collect();
    Ok(Attribution {
        relevance,
        std_error: None,
        score,
        reference_score: f(reference),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn occlusion_is_exact_for_additive_and_double_counts_interactions() {
        let x = array![2.0, 3.0];
        let r = array![0.0, 0.0];
        let a = occlusion(|z| z[0] + 2.0 * z[1], x.view(), r.view()).expect("occlusion");
        assert_eq!(a.relevance, vec![2.0, 6.0]);
        let b = occlusion(|z| z[0] * z[1], x.view(), r.view()).expect("occlusion");
        assert_eq!(b.relevance, vec![6.0, 6.0]);
    }
}
