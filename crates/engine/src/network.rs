//! What the trainer needs from a network: its parameter groups and one backprop pass.
//!
//! The MLP and the vanilla RNN implement it (the RNN's groups: `W_x`, `W_h`, `b`, `W_out`,
//! `b_out`; its profile: one norm per time step), and clipping, the optimizer, the statistics
//! and the trainer work on any implementation alike.

use super::clip::clamp_array;
use super::group::ParamGroup;
use super::loss::Penalty;
use super::scalar::Scalar;
use ndarray::ArrayView2;

/// The result of one forward and backward pass on a batch.
#[derive(Clone, Debug)]
pub struct Backprop<S> {
    /// Loss on the batch: data term plus penalty.
    pub loss: S,
    /// ∂loss/∂(W_l, b_l) for every parameter group, input side first (unclipped).
    pub grads: Vec<ParamGroup<S>>,
    /// ‖δ_l‖ = ‖∂loss/∂z_l‖_F, the back-propagated error at each group's pre-activation.
    pub delta_norms: Vec<f64>,
    /// ‖∂L/∂c_t‖ per time step, earliest first, for an LSTM's cell state; empty otherwise.
    pub cell_norms: Vec<f64>,
    /// The first group (forward order) whose output had a NaN or ±Inf, if any.
    pub first_non_finite_activation: Option<usize>,
}

/// A trainable network made of parameter groups.
pub trait Network<S: Scalar>: Send {
    /// The parameter groups, input side first.
    fn groups(&self) -> &[ParamGroup<S>];
    /// The parameter groups, mutably (for the optimizer).
    fn groups_mut(&mut self) -> &mut [ParamGroup<S>];
    /// Forward pass on `x: [n, input_dim]`, loss against `y: [n, output_dim]` plus `penalty`,
    /// and the backward pass.
    fn backprop(&self, x: ArrayView2<S>, y: ArrayView2<S>, penalty: &Penalty) -> Backprop<S> {
        self.backprop_clipping_errors(x, y, penalty, None)
    }

    /// The same, with the back-propagated error clamped to `[−c, c]` element by element at
    /// every layer (MLP: each δ_l) or time step (RNN: each δ_t) *during* the backward pass, as
    /// Graves (2013) did for LSTMs, when `error_clip` is `Some(c)`: every earlier gradient
    /// changes, and the result is no longer the gradient of anything. The profile reports the
    /// clamped errors, the ones that flowed.
    fn backprop_clipping_errors(
        &self,
        x: ArrayView2<S>,
        y: ArrayView2<S>,
        penalty: &Penalty,
        error_clip: Option<f64>,
    ) -> Backprop<S>;
}

/// Clamps every element of `error` to `[−c, c]` when `error_clip` is `Some(c)`, with value
/// clipping's own kernel (so NaN is treated alike; its measurements are not needed here).
pub fn clamp_error<S: Scalar>(error: &mut ndarray::Array2<S>, error_clip: Option<f64>) {
    if let Some(c) = error_clip {
        clamp_array(error, S::of(-c), S::of(c));
    }
}
