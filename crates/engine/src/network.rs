//! What the trainer needs from a network: its parameter groups and one backprop pass.
//!
//! The MLP and the vanilla RNN implement it (the RNN's groups: `W_x`, `W_h`, `b`, `W_out`,
//! `b_out`; its profile: one norm per time step), and clipping, the optimizer, the statistics
//! and the trainer work on any implementation alike.

use super::clip::clamp_array;
use super::group::ParamGroup;
use super::loss::Penalty;
use super::precision::Precision;
use super::scalar::Scalar;
use ndarray::ArrayView2;
use rand::Rng;

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
    /// The first group (forward order) whose output had a NaN or ±Inf, if any (a
    /// Transformer: the first block, or the readout at index `layers`).
    pub first_non_finite_activation: Option<usize>,
    /// A Transformer's largest attention logit `q·k/√d_h` per block and head (block-major);
    /// empty for other models.
    pub attn_logit_max: Vec<f64>,
    /// A Transformer's attention entropy `−Σ_s p_ts ln p_ts` per block and head, the mean over
    /// query positions and sequences (block-major); empty for other models.
    pub attn_entropy: Vec<f64>,
}

/// How one forward and backward pass computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pass {
    /// Backward clipping's threshold c (see [`Network::backprop_clipping_errors`]), in the
    /// loss's own units.
    pub error_clip: Option<f64>,
    /// The format values are rounded to at [`precision`](super::precision)'s points.
    pub precision: Precision,
    /// S: the backward pass starts from `∂(S·L)/∂ŷ`, so every gradient it returns (and every
    /// error norm) is S times the loss's; the caller unscales.
    pub loss_scale: f64,
}

impl Default for Pass {
    fn default() -> Self {
        Self {
            error_clip: None,
            precision: Precision::F32,
            loss_scale: 1.0,
        }
    }
}

impl Pass {
    /// Backward clipping's threshold in the scaled units the pass computes in.
    pub fn scaled_error_clip(&self) -> Option<f64> {
        self.error_clip.map(|c| c * self.loss_scale)
    }

    /// The penalty whose gradient the scaled backward pass adds: S times the loss's.
    pub fn scaled_penalty(&self, penalty: &Penalty) -> Penalty {
        Penalty {
            l1: penalty.l1 * self.loss_scale,
            l2: penalty.l2 * self.loss_scale,
        }
    }

    /// The loss's gradient with respect to the output, scaled by S and rounded: where the
    /// backward pass starts.
    pub fn seed<S: Scalar>(&self, mut grad: ndarray::Array2<S>) -> ndarray::Array2<S> {
        if self.loss_scale != 1.0 {
            grad *= S::of(self.loss_scale);
        }
        self.precision.round_all(&mut grad);
        grad
    }
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
    ) -> Backprop<S> {
        let pass = Pass {
            error_clip,
            ..Pass::default()
        };
        self.backprop_with(x, y, penalty, &pass)
    }

    /// The same, computed as `pass` says: backward clipping, the format values are rounded to
    /// and the loss scale (whose gradients come back scaled).
    fn backprop_with(
        &self,
        x: ArrayView2<S>,
        y: ArrayView2<S>,
        penalty: &Penalty,
        pass: &Pass,
    ) -> Backprop<S>;

    /// For a language model that writes from its whole window (the Transformer), `length`
    /// characters drawn at `temperature`; `None` for the other networks (an RNN's cell writes
    /// through [`language::sample`](super::language::sample)) and once a logit is not finite.
    fn write(&self, _length: usize, _temperature: f64, _rng: &mut dyn Rng) -> Option<String> {
        None
    }
}

/// The pass `backprop_with` asks for, of `net`, whose parameter groups are `master`, by `run`
/// (its pass on weights and input already in the compute format). In f32 that is `run` on `net`
/// itself. In a reduced format `run` is given the copy autocast would compute with (`rebuild`
/// of every weight and bias rounded), the input rounded, and no penalty — the penalty is on the
/// f32 master weights, so its value joins the loss and S times its gradient joins each group's
/// here, never passing through the compute format (as a penalty written into a PyTorch loss on
/// the f32 parameters does not).
pub fn in_compute_format<S: Scalar, N>(
    net: &N,
    master: &[ParamGroup<S>],
    (x, y): (ArrayView2<S>, ArrayView2<S>),
    penalty: &Penalty,
    pass: &Pass,
    rebuild: impl FnOnce(Vec<ParamGroup<S>>) -> N,
    run: impl Fn(&N, ArrayView2<S>, ArrayView2<S>, &Penalty, &Pass) -> Backprop<S>,
) -> Backprop<S> {
    if !pass.precision.is_reduced() {
        return run(net, x, y, penalty, pass);
    }
    let mut x = x.to_owned();
    pass.precision.round_all(&mut x);
    let rounded = rebuild(pass.precision.rounded_groups(master));
    let mut out = run(&rounded, x.view(), y, &Penalty::default(), pass);
    out.loss += penalty.value(master);
    let scaled = pass.scaled_penalty(penalty);
    for (grad, group) in out.grads.iter_mut().zip(master) {
        scaled.add_gradient(&group.w, &mut grad.w);
    }
    out
}

/// Clamps every element of `error` to `[−c, c]` when `error_clip` is `Some(c)`, with value
/// clipping's own kernel (so NaN is treated alike; its measurements are not needed here).
pub fn clamp_error<S: Scalar>(error: &mut ndarray::Array2<S>, error_clip: Option<f64>) {
    if let Some(c) = error_clip {
        clamp_array(error, S::of(-c), S::of(c));
    }
}
