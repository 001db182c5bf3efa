//! The number type the engine computes in.
//!
//! Training runs in `f32`, like the frameworks students use, so overflow to ±Inf is reachable
//! at realistic scales; the gradient check runs the very same code in `f64`.

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::Float;
use std::fmt::Debug;
use std::ops::{AddAssign, MulAssign, SubAssign};

/// A float the engine can train in: `f32` for training, `f64` for the gradient check.
pub trait Scalar:
    LinalgScalar
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
}

/// Sum of squares of `values`, accumulated in `f64`.
///
/// Accumulating wide means a tensor whose `f32` elements are all finite always has a finite norm
/// (an `f32` squared is at most ~1.2e77), so "the norm is non-finite" means exactly "an element is
/// non-finite". PyTorch accumulates in the tensor's dtype and reports `inf` a little earlier.
pub fn sum_sq<'a, S: Scalar>(values: impl IntoIterator<Item = &'a S>) -> f64 {
    values.into_iter().map(|v| v.wide() * v.wide()).sum()
}
