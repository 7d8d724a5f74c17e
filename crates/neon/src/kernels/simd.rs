//! Runtime dispatch of the element-wise loops to wider vector instructions.
//!
//! The workspace is built for the baseline of its target (SSE2 on x86-64: two `f64` per
//! instruction). [`wide`] runs a closure compiled again for the widest vector instructions the
//! CPU has: AVX-512 (x86-64-v4: eight `f64` per instruction), else AVX2 (x86-64-v3: four),
//! else as it is. The loops of the kernels use separate multiplications and additions (never
//! a fused multiply-add, which Rust does not form on its own), so every version gives the same
//! bits: a wider one only runs faster.
//!
//! The closure and everything it calls in its hot loops must be inlined into it
//! (`#[inline(always)]`), or the callee runs with the baseline instructions.
//!
//! `NEON_SIMD=v3` (AVX2 at most) or `NEON_SIMD=baseline` caps the level, for comparisons.

/// The instruction sets [`wide`] can run a closure with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// As compiled for the target's baseline.
    Baseline,
    /// x86-64-v3: AVX2 (and FMA, which the kernels do not use).
    V3,
    /// x86-64-v4: AVX-512 F/VL/DQ/BW/CD on top of v3.
    V4,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Baseline => "baseline",
            Level::V3 => "AVX2",
            Level::V4 => "AVX-512",
        })
    }
}

/// The level [`wide`] uses on this CPU (detected once), capped by `NEON_SIMD`.
pub fn level() -> Level {
    static LEVEL: std::sync::OnceLock<Level> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cap = match std::env::var("NEON_SIMD").as_deref() {
            Ok("baseline") => Level::Baseline,
            Ok("v3") => Level::V3,
            _ => Level::V4,
        };
        detected().min(cap)
    })
}

#[cfg(target_arch = "x86_64")]
fn detected() -> Level {
    if is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512cd")
        && pulp::x86::V3::try_new().is_some()
    {
        Level::V4
    } else if pulp::x86::V3::try_new().is_some() {
        Level::V3
    } else {
        Level::Baseline
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detected() -> Level {
    Level::Baseline
}

/// Run `f` with the widest vector instructions of [`level`] (x86-64), else as compiled.
#[inline(always)]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    match level() {
        // SAFETY: `level` returns V4 only where the CPU reports every feature `with_v4`
        // enables (and those of V3).
        #[allow(unsafe_code)]
        Level::V4 => return unsafe { with_v4(f) },
        Level::V3 => {
            if let Some(v3) = pulp::x86::V3::try_new() {
                return v3.vectorize(f);
            }
        }
        Level::Baseline => {}
    }
    f()
}

/// `f` compiled with AVX-512 enabled (it is inlined here: `#[inline(always)]` closures).
///
/// # Safety
/// The CPU must have every feature listed.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(
    enable = "avx512f,avx512vl,avx512dq,avx512bw,avx512cd,avx2,avx,fma,bmi1,bmi2,lzcnt,popcnt,f16c,movbe,sse4.2"
)]
unsafe fn with_v4<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// True if [`wide`] runs wider instructions than the baseline on this CPU.
pub fn wide_available() -> bool {
    level() > Level::Baseline
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_gives_the_same_bits_as_the_baseline_loop() {
        let a: Vec<f64> = (0..1001).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..1001).map(|i| (i as f64 * 0.11).cos() + 2.0).collect();
        let baseline: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x * y + x / y).collect();
        let widened: Vec<f64> = wide(
            #[inline(always)]
            || a.iter().zip(&b).map(|(x, y)| x * y + x / y).collect(),
        );
        assert_eq!(baseline, widened);
        let _ = wide_available();
    }

    #[inline(always)]
    fn exp_and_cos(x: &[f64], z: &[f64]) -> Vec<f64> {
        use crate::kernels::math::{cos_reduced, exp_nonpositive};
        x.iter()
            .zip(z)
            .map(|(&a, &b)| exp_nonpositive(a) + cos_reduced(b))
            .collect()
    }

    /// Every tile's distances and weighted squares of a row ([`crate::kernels::direct`]).
    #[inline(always)]
    fn direct_pairs(train: &crate::kernels::direct::FeatureMajor, x: &[f64]) -> Vec<f64> {
        let mut out = Vec::new();
        let mut h = vec![0.0; train.width()];
        let mut relevance = vec![0.0; x.len()];
        for t in 0..train.n_tiles() {
            out.push(train.squared_distances(t, x, Some(3), &mut h));
            let c: Vec<f64> = h.iter().map(|&v| 1.0 / (1.0 + v)).collect();
            train.weighted_squares(t, x, &c, &mut relevance);
            out.extend_from_slice(&h);
        }
        out.extend(relevance);
        out
    }

    #[test]
    fn the_kernels_give_the_same_bits_at_every_level() {
        let x: Vec<f64> = (0..4099).map(|i| -(i as f64) * 0.173_1).collect();
        let z: Vec<f64> = (0..4099).map(|i| (i as f64 - 2049.0) * 0.917_3).collect();
        let plain = exp_and_cos(&x, &z);
        let points = ndarray::Array2::from_shape_fn((300, 7), |(k, i)| {
            ((k * 13 + i * 5) as f64 * 0.37).sin() * (1.0 + i as f64)
        });
        let train = crate::kernels::direct::FeatureMajor::new(points.view(), 100);
        let row = [0.5, -1.0, 2.0, 0.25, -3.0, 1.5, 0.0];
        let plain_pairs = direct_pairs(&train, &row);
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(v3) = pulp::x86::V3::try_new() {
                let widened = v3.vectorize(
                    #[inline(always)]
                    || exp_and_cos(&x, &z),
                );
                assert_eq!(plain, widened, "AVX2");
                let widened = v3.vectorize(
                    #[inline(always)]
                    || direct_pairs(&train, &row),
                );
                assert_eq!(plain_pairs, widened, "AVX2 pairs");
            }
            if detected() == Level::V4 {
                // SAFETY: the CPU has every feature of with_v4 (detected above)
                #[allow(unsafe_code)]
                let widened = unsafe {
                    with_v4(
                        #[inline(always)]
                        || exp_and_cos(&x, &z),
                    )
                };
                assert_eq!(plain, widened, "AVX-512");
                // SAFETY: as above
                #[allow(unsafe_code)]
                let widened = unsafe {
                    with_v4(
                        #[inline(always)]
                        || direct_pairs(&train, &row),
                    )
                };
                assert_eq!(plain_pairs, widened, "AVX-512 pairs");
            }
        }
    }
}
