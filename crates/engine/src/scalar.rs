//! The number type the engine computes in.
//!
//! Training runs in `f32`, like the frameworks students use, so overflow to ±Inf is reachable
//! at realistic scales; the gradient check runs the very same code in `f64`.

use super::kernels;
use ndarray::linalg::general_mat_mul;
use ndarray::{
    Array, Array2, ArrayBase, ArrayView2, ArrayViewMut2, Data, Dimension, Ix2, LinalgScalar,
    ScalarOperand,
};
use num_traits::Float;
use std::fmt::Debug;
use std::ops::{AddAssign, MulAssign, SubAssign};

/// A float the engine can train in: `f32` for training, `f64` for the gradient check.
pub trait Scalar:
    kernels::Element
    + LinalgScalar
    + ScalarOperand
    + Float
    + AddAssign
    + SubAssign
    + MulAssign
    + Debug
    + Send
    + Sync
    + 'static
{
    /// Converts from `f64`, rounding to nearest (overflow becomes ±Inf, as in a cast).
    fn of(value: f64) -> Self;
    /// Widens to `f64` exactly (for `f32`) or unchanged (for `f64`).
    fn wide(self) -> f64;
    /// tanh as training computes it: a rational approximation for `f32` (see [`tanh_f32`]),
    /// the exact function for `f64` (so the gradient check stays exact).
    fn tanh_fast(self) -> Self;

    /// Rounded to IEEE binary16 and back (to nearest, ties to even; the `half` crate).
    fn round_f16(self) -> Self {
        Self::of(half::f16::from_f64(self.wide()).to_f64())
    }

    /// Rounded to bfloat16 and back (to nearest, ties to even; the `half` crate).
    fn round_bf16(self) -> Self {
        Self::of(half::bf16::from_f64(self.wide()).to_f64())
    }

    /// Σ v², in f64 (see [`kernels`]).
    fn sum_sq(values: &[Self]) -> f64 {
        kernels::sum_sq_exact(values)
    }

    /// Clamps to [lo, hi]; returns (Σ g·clamp(g), Σ clamp(g)², max |g|).
    fn clamp_measure(values: &mut [Self], lo: Self, hi: Self) -> (f64, f64, f64) {
        kernels::clamp_exact(values, lo, hi)
    }

    /// `w += step·g`; returns (Σ w², Σ (step·g)², Σ w'²).
    fn sgd_step(w: &mut [Self], g: &[Self], step: Self) -> [f64; 3] {
        kernels::sgd_exact(w, g, step)
    }

    /// Whether every element is finite.
    fn all_finite(values: &[Self]) -> bool {
        values.iter().all(|v| v.is_finite())
    }

    /// `c ← α·a·b + β·c`: matrixmultiply (through ndarray), except `f32` in the browser build,
    /// which takes [`gemm`](crate::gemm)'s kernel.
    fn gemm(
        alpha: Self,
        a: ArrayView2<Self>,
        b: ArrayView2<Self>,
        beta: Self,
        c: ArrayViewMut2<Self>,
    ) {
        let mut c = c;
        general_mat_mul(alpha, &a, &b, beta, &mut c);
    }

    /// `a · b` as a new array: ndarray's `dot` (whose output layout, and so its rounding, every
    /// native run so far has had: old links reproduce their runs bit for bit in the runner),
    /// except `f32` in the browser build, which takes [`gemm`](super::gemm)'s kernel.
    fn product(a: ArrayView2<Self>, b: ArrayView2<Self>) -> Array2<Self> {
        a.dot(&b)
    }
}

impl Scalar for f32 {
    #[inline]
    fn of(value: f64) -> Self {
        value as f32
    }
    #[inline]
    fn wide(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn tanh_fast(self) -> Self {
        tanh_f32(self)
    }
    // From f32 directly: the same correctly rounded result, without widening (half's f32 path
    // is a few integer operations).
    #[inline]
    fn round_f16(self) -> Self {
        half::f16::from_f32(self).to_f32()
    }
    #[inline]
    fn round_bf16(self) -> Self {
        half::bf16::from_f32(self).to_f32()
    }
    fn sum_sq(values: &[Self]) -> f64 {
        kernels::sum_sq_f32(values)
    }
    fn clamp_measure(values: &mut [Self], lo: Self, hi: Self) -> (f64, f64, f64) {
        kernels::clamp_f32(values, lo, hi)
    }
    fn sgd_step(w: &mut [Self], g: &[Self], step: Self) -> [f64; 3] {
        kernels::sgd_f32(w, g, step)
    }
    fn all_finite(values: &[Self]) -> bool {
        kernels::all_finite_f32(values)
    }
    // Natively matrixmultiply's AVX2+FMA kernels are faster than 128-bit ones (BENCHMARKS.md).
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn gemm(alpha: f32, a: ArrayView2<f32>, b: ArrayView2<f32>, beta: f32, c: ArrayViewMut2<f32>) {
        super::gemm::gemm(alpha, a, b, beta, c);
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn product(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
        let mut c = Array2::zeros((a.nrows(), b.ncols()));
        super::gemm::gemm(1.0, a, b, 0.0, c.view_mut());
        c
    }
}

impl Scalar for f64 {
    #[inline]
    fn of(value: f64) -> Self {
        value
    }
    #[inline]
    fn wide(self) -> f64 {
        self
    }
    #[inline]
    fn tanh_fast(self) -> Self {
        self.tanh()
    }
}

/// tanh for `f32` as a rational function `x·P(x²)/Q(x²)` (degrees 13/6), the approximation
/// Eigen uses for its vectorised float tanh. libm's `tanhf` branches and does not vectorise; this
/// is straight-line arithmetic the compiler turns into SIMD. Inputs are clamped to ±7.9, where
/// tanh is 1 to f32 precision. Tested against the exact function over the whole f32 range
/// (max error 5e-7 absolute, see the tests); NaN stays NaN.
#[inline]
pub fn tanh_f32(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A1: f32 = 4.893_524_6e-3;
    const A3: f32 = 6.372_619_3e-4;
    const A5: f32 = 1.485_722_4e-5;
    const A7: f32 = 5.122_297e-8;
    const A9: f32 = -8.604_672e-11;
    const A11: f32 = 2.000_188e-13;
    const A13: f32 = -2.760_768_5e-16;
    const B0: f32 = 4.893_525e-3;
    const B2: f32 = 2.268_434_6e-3;
    const B4: f32 = 1.185_347_1e-4;
    const B6: f32 = 1.198_258_4e-6;
    // `clamp` keeps NaN, which then stays NaN through the arithmetic.
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let p = ((((((A13 * x2 + A11) * x2 + A9) * x2 + A7) * x2 + A5) * x2 + A3) * x2 + A1) * x;
    let q = ((B6 * x2 + B4) * x2 + B2) * x2 + B0;
    p / q
}

/// Sum of squares of an array's elements, accumulated in `f64`.
///
/// Accumulating wide means a tensor whose `f32` elements are all finite always has a finite norm
/// (an `f32` squared is at most ~1.2e77), so "the norm is non-finite" means exactly "an element is
/// non-finite". PyTorch accumulates in the tensor's dtype and reports `inf` a little earlier.
pub fn sum_sq<S: Scalar, D: Dimension>(array: &Array<S, D>) -> f64 {
    match array.as_slice_memory_order() {
        Some(slice) => S::sum_sq(slice),
        None => array.iter().map(|v| v.wide() * v.wide()).sum(),
    }
}

/// `a · b` as a new array, through [`Scalar::product`] (what ndarray's `dot` is for the engine).
pub fn product<S: Scalar, A: Data<Elem = S>, B: Data<Elem = S>>(
    a: &ArrayBase<A, Ix2>,
    b: &ArrayBase<B, Ix2>,
) -> Array2<S> {
    S::product(a.view(), b.view())
}

/// Whether every element is finite, through the fused kernel where the array is contiguous.
pub fn all_finite<S: Scalar, A: Data<Elem = S>, D: Dimension>(array: &ArrayBase<A, D>) -> bool {
    array
        .as_slice_memory_order()
        .map_or_else(|| array.iter().all(|v| v.is_finite()), S::all_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |tanh_f32(x) − tanh(x)| over 2·10⁶ points of [−10, 10] (exact tanh in f64), plus the
    /// extremes. Documented tolerance: 5e-7 absolute (a few f32 ulp near ±1; measured 4.1e-7).
    #[test]
    fn fast_tanh_matches_the_exact_function_everywhere() {
        let mut worst = 0.0f64;
        let n = 2_000_000;
        for i in 0..=n {
            let x = -10.0 + 20.0 * i as f64 / n as f64;
            let err = (f64::from(tanh_f32(x as f32)) - (x as f32 as f64).tanh()).abs();
            worst = worst.max(err);
        }
        assert!(worst < 5e-7, "worst error {worst:e}");
        for (x, expected) in [
            (f32::MAX, 1.0),
            (f32::MIN, -1.0),
            (f32::INFINITY, 1.0),
            (0.0, 0.0),
        ] {
            assert!((tanh_f32(x) - expected).abs() < 1e-6, "{x}");
        }
        assert!(tanh_f32(f32::NAN).is_nan());
        // Odd, and monotone on a fine grid near the origin and the shoulder.
        let mut previous = -1.0f32;
        for i in -4000..=4000 {
            let x = i as f32 / 1000.0;
            assert_eq!(tanh_f32(-x), -tanh_f32(x));
            assert!(tanh_f32(x) >= previous);
            previous = tanh_f32(x);
        }
    }
}
