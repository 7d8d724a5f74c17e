//! Runtime dispatch of the element-wise loops to wider vector instructions.
//!
//! The workspace is built for the baseline of its target (SSE2 on x86-64: two `f64` per
//! instruction). [`wide`] runs a closure compiled a second time for x86-64-v3 (AVX2, four `f64`
//! per instruction) when the CPU has it, and as it is otherwise. The loops of the kernels use
//! separate multiplications and additions (never a fused multiply-add, which Rust does not
//! form on its own), so both versions give the same bits: the wider one only runs faster.
//!
//! The closure and everything it calls in its hot loops must be inlined into it
//! (`#[inline(always)]`), or the callee runs with the baseline instructions.

/// Run `f` with AVX2 enabled where the CPU has it (x86-64), else as compiled.
#[inline(always)]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if let Some(v3) = pulp::x86::V3::try_new() {
        return v3.vectorize(f);
    }
    f()
}

/// True if [`wide`] runs the AVX2 version on this CPU.
pub fn wide_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        pulp::x86::V3::try_new().is_some()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_gives_the_same_bits_as_the_baseline_loop() {
        let a: Vec<f64> = (0..1001).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..1001).map(|i| (i as f64 * 0.11).cos() + 2.0).collect();
        let baseline: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x * y + x / y).collect();
        let widened: Vec<f64> = wide(|| a.iter().zip(&b).map(|(x, y)| x * y + x / y).collect());
        assert_eq!(baseline, widened);
        let _ = wide_available();
    }
}
