//! Scalar functions of the kernels, vectorisable: `eˣ` for `x ≤ 0`, `cos`, the squared
//! Euclidean distance and the log-mean-exp pooling (§3.1) that every model's network uses.

/// `‖a − b‖²`, summed in feature order.
pub fn squared_distance(a: ndarray::ArrayView1<f64>, b: ndarray::ArrayView1<f64>) -> f64 {
    a.iter().zip(b.iter()).map(|(p, q)| (p - q) * (p - q)).sum()
}

/// The smallest entry of `values` (`+∞` when empty), NaN entries ignored as by [`f64::min`].
/// Four independent lanes so the loop vectorises; the minimum does not depend on the order of
/// comparisons, so the result equals a sequential fold.
#[inline(always)]
pub fn min_of(values: &[f64]) -> f64 {
    let mut lanes = [f64::INFINITY; 4];
    let mut chunks = values.chunks_exact(4);
    for c in &mut chunks {
        for (lane, &v) in lanes.iter_mut().zip(c) {
            *lane = lane.min(v);
        }
    }
    let tail = chunks
        .remainder()
        .iter()
        .fold(f64::INFINITY, |m, &v| m.min(v));
    lanes.iter().fold(tail, |m, &v| m.min(v))
}

/// `Σ values`, accumulated in four lanes (entry `j` into lane `j mod 4`, the lanes added in
/// order at the end) so the loop is not bound by the latency of one chain of additions. A fixed
/// order: the same sum for any number of threads.
#[inline(always)]
pub fn sum_of(values: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 4];
    let mut chunks = values.chunks_exact(4);
    for c in &mut chunks {
        for (lane, &v) in lanes.iter_mut().zip(c) {
            *lane += v;
        }
    }
    let tail: f64 = chunks.remainder().iter().sum();
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + tail
}

/// `Σ v` of `L` partial sums (`L` a power of two) added pairwise: lane `l` with lane
/// `l + L/2`, then `+ L/4`, …: the fixed order in which the lane loops of the kernels finish
/// their sums.
#[inline(always)]
pub fn pairwise_sum<const L: usize>(mut v: [f64; L]) -> f64 {
    let mut half = L / 2;
    while half > 0 {
        for l in 0..half {
            v[l] += v[l + half];
        }
        half /= 2;
    }
    v[0]
}

/// `(1/α) log((1/N) Σ exp(α h_k))` (§3.1), shifted by the largest `α h_k` so it neither
/// overflows nor underflows for any magnitude of `α h`.
pub fn log_mean_exp(h: &[f64], alpha: f64) -> f64 {
    let n = h.len() as f64;
    let shift = h
        .iter()
        .map(|v| alpha * v)
        .fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = h.iter().map(|v| (alpha * v - shift).exp()).sum();
    (shift + sum.ln() - n.ln()) / alpha
}

/// `log Σ_k exp(a_k)`, shifted by the largest term (−∞ or NaN inputs pass through).
pub fn log_sum_exp(a: &[f64]) -> f64 {
    let max = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + a.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// Soft-min pooling at stiffness 1, `−log Σ_k exp(−u_k)` (§3.1, with any biases folded into the
/// units), shifted by the smallest unit so it neither over- nor underflows.
pub fn soft_min(u: &[f64]) -> f64 {
    let min = u.iter().copied().fold(f64::INFINITY, f64::min);
    if !min.is_finite() {
        return min;
    }
    min - u.iter().map(|v| (min - v).exp()).sum::<f64>().ln()
}

/// Soft argmin `p_k = exp(−β h_k) / Σ_k' exp(−β h_k')` (§3.1, §4.1), shifted by the minimum
/// so it is stable for any β and any scale of `h`.
pub fn soft_argmin(h: &[f64], beta: f64) -> Vec<f64> {
    let min = h.iter().copied().fold(f64::INFINITY, f64::min);
    let weights: Vec<f64> = h.iter().map(|v| (-beta * (v - min)).exp()).collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|w| w / total).collect()
}

/// `eˣ` for `x ≤ 0` (`x = −∞` gives 0) within 2 ulp of the correctly rounded value for
/// `x ≥ −708`, and 0 below (where `eˣ < 3·10⁻³⁰⁸`). Branch-free so that the loops over a tile
/// vectorise: `x = k ln 2 + r`, `|r| ≤ ln 2 / 2`, `eʳ` by its Taylor polynomial of degree 13 (Estrin's scheme),
/// `2ᵏ` assembled in the exponent bits.
#[inline(always)]
pub fn exp_nonpositive(x: f64) -> f64 {
    // ln 2 split as in fdlibm: the high part has trailing zero bits so k · LN2_HI is exact
    let ln2_hi = f64::from_bits(0x3fe6_2e42_fee0_0000);
    let ln2_lo = f64::from_bits(0x3dea_39ef_3579_3c76);
    // 1.5 · 2⁵²: adding it rounds to an integer held in the low mantissa bits
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let clamped = x.max(-708.0);
    let t = clamped * std::f64::consts::LOG2_E + SHIFTER;
    let k = t - SHIFTER;
    let r = (clamped - k * ln2_hi) - k * ln2_lo;
    // Taylor coefficients 1/i!, i = 0..13, evaluated by Estrin's scheme: the same terms as
    // Horner's rule in a shallower dependency chain (four levels instead of thirteen), so the
    // independent lanes of a loop keep the multipliers busy
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let q0 = 1.0 + r;
    let q1 = 0.5 + r * (1.0 / 6.0);
    let q2 = 1.0 / 24.0 + r * (1.0 / 120.0);
    let q3 = 1.0 / 720.0 + r * (1.0 / 5_040.0);
    let q4 = 1.0 / 40_320.0 + r * (1.0 / 362_880.0);
    let q5 = 1.0 / 3_628_800.0 + r * (1.0 / 39_916_800.0);
    let q6 = 1.0 / 479_001_600.0 + r * (1.0 / 6_227_020_800.0);
    let s0 = q0 + q1 * r2;
    let s1 = q2 + q3 * r2;
    let s2 = q4 + q5 * r2;
    let t0 = s0 + s1 * r4;
    let t1 = s2 + q6 * r4;
    let p = t0 + t1 * r8;
    let k_int = t.to_bits().wrapping_sub(SHIFTER.to_bits()) as i64;
    let scale = f64::from_bits(((k_int + 1023) as u64) << 52);
    if x < -708.0 {
        0.0
    } else {
        p * scale
    }
}

/// Largest magnitude of a model-space value neon accepts: beyond it, squared distances
/// `Σ_i (x_i − u_i)²` can overflow to infinity (they stay finite up to about
/// `1e154 / √d`), and scores would silently become `inf` or `NaN`.
pub const MAX_MAGNITUDE: f64 = 1e150;

#[cfg(test)]
mod exp_tests {
    use super::{exp_nonpositive, min_of, sum_of};

    #[test]
    fn lane_min_and_sum_match_sequential_folds() {
        for n in 0..11 {
            let v: Vec<f64> = (0..n)
                .map(|i| ((i * 7 % 5) as f64) - 0.25 * i as f64)
                .collect();
            let min = v.iter().fold(f64::INFINITY, |m, &x| m.min(x));
            assert_eq!(min_of(&v), min);
            let sum: f64 = v.iter().sum();
            assert!((sum_of(&v) - sum).abs() <= 1e-12 * (1.0 + sum.abs()));
        }
        assert_eq!(min_of(&[3.0, f64::NAN, 1.0, 2.0, 5.0]), 1.0);
        assert_eq!(sum_of(&[]), 0.0);
    }

    #[test]
    fn fast_exp_is_within_two_ulp_of_libm() {
        let mut x = 0.0;
        while x > -708.0 {
            let (fast, libm) = (exp_nonpositive(x), x.exp());
            assert!(
                (fast - libm).abs() <= 2.0 * f64::EPSILON * libm,
                "{x}: {fast} vs {libm}"
            );
            x -= 0.013_7;
        }
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(-800.0), 0.0);
        assert_eq!(exp_nonpositive(f64::NEG_INFINITY), 0.0);
    }
}

/// `cos x` within a few units of `10⁻¹⁶` (absolute) of the C library's `cos`, branch-free for
/// `|x| ≤ 10⁵` so the loop over a row's features vectorises; larger arguments go to the C
/// library. `x = q π + r` with π in three parts (Cody–Waite, exact products for `|q| < 2²⁰`),
/// `|r| ≤ π/2`, then `cos x = (−1)^q cos r` with the Taylor polynomial of `cos r` to degree 20
/// (truncation below `2·10⁻¹⁷` on `|r| ≤ π/2`): one polynomial and a sign, no quadrant select.
#[inline]
pub fn cos(x: f64) -> f64 {
    if x.abs() <= COS_RANGE {
        cos_reduced(x)
    } else {
        x.cos()
    }
}

/// Largest `|x|` for which [`cos_reduced`] is accurate.
pub const COS_RANGE: f64 = 1e5;

/// [`cos`] without the range check: only for `|x| ≤` [`COS_RANGE`].
#[inline(always)]
pub fn cos_reduced(x: f64) -> f64 {
    // π = P1 + P2 + P3: twice fdlibm's pio2_1, pio2_2, pio2_2t (33 + 33 + 53 bits; doubling is
    // exact, and q · P1, q · P2 are exact for |q| < 2²⁰)
    let p1 = f64::from_bits(0x4009_21fb_5440_0000);
    let p2 = f64::from_bits(0x3de0_b461_1a60_0000);
    let p3 = f64::from_bits(0x3bb3_198a_2e03_7073);
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let t = x * std::f64::consts::FRAC_1_PI + SHIFTER;
    let q = t - SHIFTER;
    let r = ((x - q * p1) - q * p2) - q * p3;
    let r2 = r * r;
    // cos r = 1 − r²/2! + r⁴/4! − … + r²⁰/20!, by Horner's rule in r²
    let mut poly = 1.0 / 2_432_902_008_176_640_000.0; // 1/20!
    for c in [
        -1.0 / 6_402_373_705_728_000.0,
        1.0 / 20_922_789_888_000.0,
        -1.0 / 87_178_291_200.0,
        1.0 / 479_001_600.0,
        -1.0 / 3_628_800.0,
        1.0 / 40_320.0,
        -1.0 / 720.0,
        1.0 / 24.0,
        -0.5,
        1.0,
    ] {
        poly = poly * r2 + c;
    }
    // odd q: cos(qπ + r) = −cos r (flip the sign bit)
    let odd = t.to_bits().wrapping_sub(SHIFTER.to_bits()) << 63;
    f64::from_bits(poly.to_bits() ^ odd)
}

#[cfg(test)]
mod cos_tests {
    use super::cos;

    #[test]
    fn fast_cos_matches_libm() {
        let mut x = -2e5;
        let mut worst: f64 = 0.0;
        while x < 2e5 {
            for v in [x, x * 1e-4, x * 1e-5 + 0.3] {
                worst = worst.max((cos(v) - v.cos()).abs());
            }
            x += 12.345_678_9;
        }
        assert!(worst <= 4.0 * f64::EPSILON, "worst {worst:e}");
        assert_eq!(cos(0.0), 1.0);
        assert!(cos(f64::NAN).is_nan());
    }
}
