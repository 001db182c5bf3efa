//! The number type the engine computes in.
//!
//! Training runs in `f32`, like the frameworks students use, so overflow to ±Inf is reachable
//! at realistic scales; the gradient check runs the very same code in `f64`.

use super::gemm::Triangle;
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

    /// eˣ as training computes it: a polynomial after range reduction for `f32` (see
    /// [`exp_f32`]), the exact function for `f64`.
    fn exp_fast(self) -> Self {
        self.exp()
    }

    /// `(Φ(x), φ(x))`: the standard normal's distribution function and density, which the exact
    /// GELU `x·Φ(x)` and its slope `Φ(x) + x·φ(x)` need. `f64` computes them exactly (libm's
    /// erf and exp); `f32` by [`normal_cdf_pdf_f32`], within 3.5e-7.
    fn normal_cdf_pdf(self) -> (Self, Self) {
        let x = self.wide();
        let cdf = 0.5 * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2));
        let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        (Self::of(cdf), Self::of(pdf))
    }

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

    /// [`Scalar::gemm`] where a causal mask's zeros may be skipped ([`Triangle`]): the browser
    /// build's f32 kernel skips them; elsewhere this is the whole product, equal to it for finite
    /// values (a skipped term adds ±0).
    fn gemm_triangle(
        alpha: Self,
        a: ArrayView2<Self>,
        b: ArrayView2<Self>,
        beta: Self,
        c: ArrayViewMut2<Self>,
        triangle: Triangle,
    ) {
        let _ = triangle;
        Self::gemm(alpha, a, b, beta, c);
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
    #[inline]
    fn normal_cdf_pdf(self) -> (Self, Self) {
        normal_cdf_pdf_f32(self)
    }
    #[inline]
    fn exp_fast(self) -> Self {
        exp_f32(self)
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
        super::gemm::product(a, b)
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn gemm_triangle(
        alpha: f32,
        a: ArrayView2<f32>,
        b: ArrayView2<f32>,
        beta: f32,
        c: ArrayViewMut2<f32>,
        triangle: Triangle,
    ) {
        super::gemm::gemm_triangle(alpha, a, b, beta, c, triangle);
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

/// eˣ for `f32` as straight-line arithmetic (libm's `expf` branches and does not vectorise): x =
/// n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two parts so r is exact), eʳ by Cephes' degree-6
/// polynomial, times 2ⁿ built in the exponent bits. Below −87.3 (where eˣ leaves f32's normal
/// range) it returns 0, flushing what would be subnormal; above 88.7, +∞; NaN stays NaN.
/// Tested against f64 exp: relative error under 2.5e-7 (2 ulp) over [−87, 88].
#[inline]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const LOWEST: f32 = -87.336_55;
    const HIGHEST: f32 = 88.722_83;
    // 1.5·2²³: adding it rounds a float below 2²² to an integer (to nearest, ties to even) in
    // the low bits of the sum, without a rounding or conversion instruction (so loops vectorise
    // on any target).
    const ROUNDER: f32 = 12_582_912.0;
    let clamped = x.clamp(LOWEST, HIGHEST);
    let shifted = clamped * LOG2_E + ROUNDER;
    let n = shifted - ROUNDER;
    let k = shifted.to_bits() as i32 - ROUNDER.to_bits() as i32;
    let r = clamped - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    // 2ⁿ: n is within [−126, 128] after the clamp; 2¹²⁸ is not a float, so that one is 2·2¹²⁷.
    let (k, y) = if k >= 128 { (127, 2.0 * y) } else { (k, y) };
    let two_n = f32::from_bits(((k + 127) as u32) << 23);
    let e = y * two_n;
    // NaN stays NaN (the clamp keeps it; the bits of a NaN sum make some k, and y is NaN).
    if x < LOWEST {
        0.0
    } else if x > HIGHEST {
        f32::INFINITY
    } else {
        e
    }
}

/// `(Φ(x), φ(x))` for `f32` from one exponential: with u = |x|/√2 and e = exp(−u²) (so
/// φ(x) = e/√(2π)), erf(u) = 1 − t·(a₁ + t·(a₂ + … + t·a₅))·e with t = 1/(1 + p·u), Abramowitz
/// & Stegun's formula 7.1.26 (|error| ≤ 1.5e-7), and Φ(x) = (1 ± erf(u))/2 by the sign of x.
/// libm's `erff` branches on the range and costs as much again as the whole step's GELU; this
/// is straight-line arithmetic. Tested against f64 erf over [−10, 10] (max error 3.5e-7 absolute,
/// see the tests); NaN stays NaN, ±∞ gives (1 or 0, 0).
#[inline]
pub fn normal_cdf_pdf_f32(x: f32) -> (f32, f32) {
    const P: f32 = 0.327_591_1;
    const A1: f32 = 0.254_829_6;
    const A2: f32 = -0.284_496_74;
    const A3: f32 = 1.421_413_8;
    const A4: f32 = -1.453_152_1;
    const A5: f32 = 1.061_405_4;
    let u = x.abs() * std::f32::consts::FRAC_1_SQRT_2;
    let e = exp_f32(-u * u);
    let t = 1.0 / (1.0 + P * u);
    let tail = 0.5 * t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * e;
    let cdf = if x < 0.0 { tail } else { 1.0 - tail };
    // 1/√(2π).
    (cdf, e * 0.398_942_3)
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

    /// `exp_f32` against f64 exp at 2·10⁶ points of [−87, 88.7]: relative error under 2.5e-7;
    /// the ends flush to 0 and overflow to +∞; NaN stays NaN.
    #[test]
    fn fast_exp_matches_the_exact_function() {
        let mut worst = 0.0f64;
        let n = 2_000_000;
        for i in 0..=n {
            let x = (-87.0 + 175.7 * i as f64 / n as f64) as f32;
            let exact = f64::from(x).exp();
            worst = worst.max((f64::from(exp_f32(x)) - exact).abs() / exact);
        }
        assert!(worst < 2.5e-7, "worst relative error {worst:e}");
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-100.0), 0.0);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(89.0), f32::INFINITY);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert!(exp_f32(f32::NAN).is_nan());
    }

    /// Φ and φ of `normal_cdf_pdf_f32` against f64 libm's erf and exp at 2·10⁶ points of
    /// [−10, 10], plus the extremes. Documented tolerance: 3.5e-7 absolute for Φ (measured 3.0e-7:
    /// 7.1.26's 1.5e-7 halved, plus f32 rounding near Φ = 1), 2e-7 for φ.
    #[test]
    fn fast_normal_cdf_matches_the_exact_function_everywhere() {
        let (mut worst_cdf, mut worst_pdf) = (0.0f64, 0.0f64);
        let n = 2_000_000;
        for i in 0..=n {
            let x = (-10.0 + 20.0 * i as f64 / n as f64) as f32;
            let (cdf, pdf) = normal_cdf_pdf_f32(x);
            let (exact_cdf, exact_pdf) = f64::from(x).normal_cdf_pdf();
            worst_cdf = worst_cdf.max((f64::from(cdf) - exact_cdf).abs());
            worst_pdf = worst_pdf.max((f64::from(pdf) - exact_pdf).abs());
        }
        assert!(worst_cdf < 3.5e-7, "worst Φ error {worst_cdf:e}");
        assert!(worst_pdf < 2e-7, "worst φ error {worst_pdf:e}");
        assert_eq!(normal_cdf_pdf_f32(f32::INFINITY), (1.0, 0.0));
        assert_eq!(normal_cdf_pdf_f32(f32::NEG_INFINITY), (0.0, 0.0));
        assert_eq!(normal_cdf_pdf_f32(0.0).0, 0.5);
        assert!(normal_cdf_pdf_f32(f32::NAN).0.is_nan());
    }

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
