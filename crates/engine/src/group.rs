//! One parameter group: what clipping "per group", the per-group norms and the optimizer treat
//! as a unit — an MLP's weight layer (its W and b together), or one of an RNN's tensors.
//!
//! Words, so each keeps one meaning: a *hidden layer* is an MLP's (depth counts them); a
//! *weight layer* is one (W_l, b_l) of an MLP — a group; a *parameter group* is this type; the
//! clip mode that rescales each group is `GroupNorm` (`layer-norm` in links, for old ones).
//!
//! Shapes: `w` is `[fan_in, fan_out]` (batch rows multiply from the left, `z = h · W + b`),
//! `b` is `[fan_out]`; an RNN group holds one tensor and leaves the other empty. A gradient has
//! exactly the shape of the parameters it belongs to, so the same type holds both, and clipping
//! and optimizers work on `&[ParamGroup]` whatever network produced them.

use super::scalar::{sum_sq, Scalar};
use ndarray::{Array1, Array2};

/// Weights `w: [fan_in, fan_out]` and bias `b: [fan_out]` (or their gradients).
#[derive(Clone, Debug, PartialEq)]
pub struct ParamGroup<S> {
    /// Weight matrix, `[fan_in, fan_out]`.
    pub w: Array2<S>,
    /// Bias vector, `[fan_out]`.
    pub b: Array1<S>,
}

impl<S: Scalar> ParamGroup<S> {
    /// All-zero parameters of the given shape.
    pub fn zeros(fan_in: usize, fan_out: usize) -> Self {
        Self {
            w: Array2::zeros((fan_in, fan_out)),
            b: Array1::zeros(fan_out),
        }
    }

    /// A group of one vector (an RNN's bias, LayerNorm's gain or bias): `w` is empty,
    /// `[0, len]`, so the group and its gradient always have the same shapes.
    pub fn vector(b: Array1<S>) -> Self {
        Self {
            w: Array2::zeros((0, b.len())),
            b,
        }
    }

    /// ‖(W, b)‖² — W and b taken together as one vector.
    pub fn norm_sq(&self) -> f64 {
        sum_sq(&self.w) + sum_sq(&self.b)
    }

    /// Every element, W's then b's.
    pub fn iter(&self) -> impl Iterator<Item = &S> {
        self.w.iter().chain(self.b.iter())
    }

    /// Every element, mutably, W's then b's.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut S> {
        self.w.iter_mut().chain(self.b.iter_mut())
    }

    /// The same parameters in another float type.
    pub fn cast<T: Scalar>(&self) -> ParamGroup<T> {
        ParamGroup {
            w: self.w.mapv(|v| T::of(v.wide())),
            b: self.b.mapv(|v| T::of(v.wide())),
        }
    }
}
