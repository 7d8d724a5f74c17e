//! Shapley values (§2.1: "an evaluation for every subset of input features"), on any function
//! `f: ℝ^d → ℝ`. A coalition `S` of features is scored by `v(S) = f(x_S, r_{S̄})`: the features
//! in `S` keep the explained point's value `x_i`, the absent ones take the reference value `r_i`.
//! Efficiency: `Σ_i φ_i = v(all) − v(∅) = f(x) − f(r)`.

use super::attribution::Attribution;
use crate::error::{NeonError, Result};
use ndarray::ArrayView1;
use rand::seq::SliceRandom;
use rand::Rng;

/// Largest number of features exact Shapley accepts: `2^20` coalitions, about a million
/// model evaluations per explained point.
pub const MAX_EXACT_FEATURES: usize = 20;

/// Check that `x` and `reference` have the same length.
pub(crate) fn check_reference(x: ArrayView1<f64>, reference: ArrayView1<f64>) -> Result<()> {
    if x.len() != reference.len() {
        return Err(NeonError::ShapeMismatch {
            what: "reference point".into(),
            expected: format!("{} features", x.len()),
            found: format!("{} features", reference.len()),
        });
    }
    Ok(())
}

/// Refuse exact Shapley values for more than [`MAX_EXACT_FEATURES`] features.
pub fn check_exact_features(d: usize) -> Result<()> {
    if d > MAX_EXACT_FEATURES {
        return Err(NeonError::param(
            "method",
            format!(
                "shapley-exact evaluates all 2^d coalitions and accepts at most \
                 {MAX_EXACT_FEATURES} features, but the model has {d}; use shapley-sampling"
            ),
        ));
    }
    Ok(())
}

/// Exact Shapley values by enumerating all `2^d` coalitions:
/// `φ_i = Σ_{S ∌ i} |S|! (d − |S| − 1)! / d! · (v(S ∪ {i}) − v(S))`.
/// Costs exactly `2^d` evaluations of `f`. Refuses `d > 20`
/// ([`MAX_EXACT_FEATURES`]) with [`NeonError::InvalidParameter`].
pub fn shapley_exact(
    mut f: impl FnMut(ArrayView1<f64>) -> f64,
    x: ArrayView1<f64>,
    reference: ArrayView1<f64>,
) -> Result<Attribution> {
    check_reference(x, reference)?;
    let d = x.len();
    check_exact_features(d)?;
    let n = 1usize << d;
    let mut values = Vec::with_capacity(n);
    let mut z = reference.to_owned();
    for mask in 0..n {
        for i in 0..d {
            z[i] = if mask >> i & 1 == 1 {
                x[i]
            } else {
                reference[i]
            };
        }
        values.push(f(z.view()));
    }
    // weight of a coalition of size s not containing i: s!(d−s−1)!/d! = 1 / (d · C(d−1, s))
    let weights: Vec<f64> = (0..d)
        .map(|s| 1.0 / (d as f64 * binomial(d - 1, s)))
        .collect();
    let mut phi = vec![0.0; d];
    for (mask, &v) in values.iter().enumerate() {
        let size = mask.count_ones() as usize;
        for (i, p) in phi.iter_mut().enumerate() {
            if mask >> i & 1 == 0 {
                *p += weights[size] * (values[mask | 1 << i] - v);
            }
        }
    }
    Ok(Attribution {
        relevance: phi,
        std_error: None,
        score: values[n - 1],
        reference_score: values[0],
    })
}

/// `C(n, k)` as a float (exact for the sizes used here, n ≤ 20).
fn binomial(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    (0..k).fold(1.0, |acc, j| acc * (n - j) as f64 / (j + 1) as f64)
}

/// Permutation-sampling Shapley values (Castro et al. 2009): for each of `samples` uniformly
/// drawn orderings, add the features of `x` one by one to the reference and credit each with
/// the change of `f`. Each ordering telescopes to `f(x) − f(r)`, so efficiency holds for any
/// number of samples; the estimate of each `φ_i` is unbiased, and its standard error is the
/// sample standard deviation of the marginal contributions divided by `√samples` (`NaN` for
/// a single sample). Costs `2 + samples · (d − 1)` evaluations of `f`.
pub fn shapley_sampling(
    mut f: impl FnMut(ArrayView1<f64>) -> f64,
    x: ArrayView1<f64>,
    reference: ArrayView1<f64>,
    samples: usize,
    rng: &mut impl Rng,
) -> Result<Attribution> {
    check_reference(x, reference)?;
    if samples == 0 {
        return Err(NeonError::param("samples", "must be at least 1"));
    }
    let d = x.len();
    let score = f(x);
    let reference_score = f(reference);
    let mut mean = vec![0.0; d];
    let mut m2 = vec![0.0; d];
    let mut order: Vec<usize> = (0..d).collect();
    let mut z = reference.to_owned();
    for sample in 0..samples {
        order.shuffle(rng);
        z.assign(&reference);
        let mut previous = reference_score;
        for (step, &i) in order.iter().enumerate() {
            z[i] = x[i];
            let current = if step + 1 == d { score } else { f(z.view()) };
            // Welford's running mean and sum of squared deviations
            let contribution = current - previous;
            let delta = contribution - mean[i];
            mean[i] += delta / (sample + 1) as f64;
            m2[i] += delta * (contribution - mean[i]);
            previous = current;
        }
    }
    let std_error = m2
        .iter()
        .map(|s| {
            if samples < 2 {
                f64::NAN
            } else {
                (s / (samples - 1) as f64 / samples as f64).sqrt()
            }
        })
        .collect();
    Ok(Attribution {
        relevance: mean,
        std_error: Some(std_error),
        score,
        reference_score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn binomials_are_exact() {
        assert_eq!(binomial(5, 0), 1.0);
        assert_eq!(binomial(5, 2), 10.0);
        assert_eq!(binomial(19, 9), 92378.0);
        assert_eq!(binomial(0, 0), 1.0);
    }

    #[test]
    fn exact_counts_every_coalition_once() {
        let mut calls = 0;
        let x = array![1.0, 2.0, 3.0];
        let r = Array1::zeros(3);
        let a = shapley_exact(
            |z| {
                calls += 1;
                z.sum()
            },
            x.view(),
            r.view(),
        )
        .expect("shapley");
        assert_eq!(calls, 8);
        assert_eq!(a.relevance, vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn exact_refuses_more_than_twenty_features() {
        let x = Array1::zeros(21);
        let err = shapley_exact(|z| z.sum(), x.view(), x.view()).expect_err("refused");
        assert!(matches!(err, NeonError::InvalidParameter { .. }), "{err}");
        assert!(err.to_string().contains("at most 20"), "{err}");
    }

    #[test]
    fn reference_must_match_the_point() {
        let x = Array1::zeros(3);
        let r = Array1::zeros(2);
        assert!(shapley_exact(|z| z.sum(), x.view(), r.view()).is_err());
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert!(shapley_sampling(|z| z.sum(), x.view(), r.view(), 4, &mut rng).is_err());
        assert!(shapley_sampling(|z| z.sum(), x.view(), x.view(), 0, &mut rng).is_err());
    }

    #[test]
    fn sampling_counts_its_evaluations_and_is_efficient() {
        let mut calls = 0;
        let x = array![1.0, -2.0, 0.5, 3.0];
        let r = array![0.2, 0.1, 0.0, -1.0];
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let a = shapley_sampling(
            |z| {
                calls += 1;
                z[0] * z[1] + z[2].sin() * z[3]
            },
            x.view(),
            r.view(),
            10,
            &mut rng,
        )
        .expect("shapley");
        assert_eq!(calls, 2 + 10 * 3);
        let gap = a.score - a.reference_score - a.relevance.iter().sum::<f64>();
        assert!(gap.abs() < 1e-12, "{gap}");
    }
}
