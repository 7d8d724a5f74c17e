//! The two floating-point types the blocked kernels run in.

use ndarray::LinalgScalar;

/// `f64` or `f32`: the type of the matrix products and exponentials of the blocked kernels
/// (sums across tiles are always kept in `f64`).
pub trait Real: LinalgScalar + PartialOrd + Send + Sync + std::fmt::Debug {
    /// Round an `f64` to this type.
    fn from_f64(v: f64) -> Self;
    /// Widen to `f64`.
    fn to_f64(self) -> f64;
    /// `eˣ` in this type.
    fn exp(self) -> Self;
    /// `cos x` in this type.
    fn cos(self) -> Self;
    /// Unit round-off of this type.
    const EPSILON: f64;
}

impl Real for f64 {
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        f64::cos(self)
    }
    const EPSILON: f64 = f64::EPSILON;
}

impl Real for f32 {
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f32::exp(self)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        f32::cos(self)
    }
    const EPSILON: f64 = f32::EPSILON as f64;
}
