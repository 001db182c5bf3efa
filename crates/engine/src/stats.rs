//! What one training step reports: the numbers the charts stream and the tests check.
//!
//! Per-layer arrays have one entry per weight layer, input side first. Layer indices are
//! 0-based (the UI shows them 1-based). Non-finite numbers stay in the stats as NaN/±Inf; in
//! JSON they are written as `null`.

use super::model::ProfileAxis;
use super::rnn::GROUP_NAMES;
use serde::{Deserialize, Serialize};

/// Which quantity first became NaN or ±Inf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quantity {
    /// A layer's output in the forward pass.
    Activation,
    /// The loss.
    Loss,
    /// A layer's gradient (reported in backprop order: the layer nearest the output that
    /// overflowed, which is where the explosion happened).
    Gradient,
    /// A layer's weights after the update.
    Weights,
}

impl Quantity {
    /// A plain-words name for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Activation => "activations",
            Self::Loss => "loss",
            Self::Gradient => "gradient",
            Self::Weights => "weights",
        }
    }
}

/// Where and when training first produced a non-finite number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonFinite {
    /// The step it happened in.
    pub step: u64,
    /// Where: the 0-based weight layer (MLP); for an RNN the 0-based time step of a hidden
    /// state, or the parameter group of a gradient or weights. `None` for the loss.
    pub layer: Option<usize>,
    /// What overflowed.
    pub quantity: Quantity,
    /// The model's profile axis, which says how to read `layer`.
    #[serde(default)]
    pub axis: ProfileAxis,
}

impl std::fmt::Display for NonFinite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "diverged at step {}", self.step)?;
        let what = self.quantity.describe();
        match (self.layer, self.axis, self.quantity) {
            (None, ..) => write!(f, " — the {what} overflowed"),
            (Some(l), ProfileAxis::Layers, _) => write!(f, " — layer {} {what} overflowed", l + 1),
            (Some(t), ProfileAxis::TimeSteps, Quantity::Activation) => {
                write!(f, " — the hidden state at time step {} overflowed", t + 1)
            }
            (Some(b), ProfileAxis::Blocks, Quantity::Activation) => {
                write!(f, " — the residual stream after block {} overflowed", b + 1)
            }
            (Some(b), ProfileAxis::Blocks, _) => write!(f, " — block {} {what} overflowed", b + 1),
            (Some(g), ProfileAxis::TimeSteps, _) => {
                let group = GROUP_NAMES.get(g).copied().unwrap_or("?");
                write!(f, " — the {group} {what} overflowed")
            }
        }
    }
}

/// One training step, measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepStats {
    /// 0-based step index.
    pub step: u64,
    /// Batch loss (MSE plus penalty) with the weights before this step's update.
    pub loss: f64,
    /// ‖(∂W_l, ∂b_l)‖ before clipping.
    pub grad_norms: Vec<f64>,
    /// ‖(∂W_l, ∂b_l)‖ after clipping (what the update used).
    pub grad_norms_clipped: Vec<f64>,
    /// ‖δ_l‖ = ‖∂loss/∂z_l‖, the back-propagated error at layer l's pre-activation (MLP;
    /// empty for an RNN).
    pub delta_norms: Vec<f64>,
    /// ‖∂L/∂h_t‖ for t = 1..T, earliest first: the back-propagated error at each time step
    /// (RNN; empty for an MLP).
    #[serde(default)]
    pub time_norms: Vec<f64>,
    /// ‖∂L/∂c_t‖ for t = 1..T, earliest first: the error on an LSTM's cell state (empty for
    /// other models). Beside `time_norms` it shows the cell state carrying what `h_t` loses.
    /// (Always serialised: the worker's postcard messages are not self-describing.)
    #[serde(default)]
    pub cell_norms: Vec<f64>,
    /// ‖W_l‖ before the update.
    pub weight_norms: Vec<f64>,
    /// ‖ΔW_l‖ / ‖W_l‖ (weights only). Where ‖W_l‖ = 0 the ratio is 0 if the update was zero
    /// too and +∞ otherwise (the weights moved off zero); NaN only when a norm is NaN.
    pub update_ratios: Vec<f64>,
    /// ‖ΔW_l‖ (weights only), after clipping and the optimizer: what the step actually moved.
    /// Under Adam it stays near η·√(elements) however large the gradient.
    #[serde(default)]
    pub update_norms: Vec<f64>,
    /// ‖∂L/∂x_l‖ on the residual stream entering each Transformer block, earliest first
    /// (empty for other models).
    #[serde(default)]
    pub block_norms: Vec<f64>,
    /// A Transformer's largest attention logit `q·k/√d_h` per block and head, block-major
    /// (empty for other models).
    #[serde(default)]
    pub attn_logit_max: Vec<f64>,
    /// A Transformer's mean attention entropy (nats) per block and head, block-major (empty for
    /// other models).
    #[serde(default)]
    pub attn_entropy: Vec<f64>,
    /// Global gradient norm before clipping.
    pub global_norm: f64,
    /// Global gradient norm after clipping.
    pub global_norm_clipped: f64,
    /// The clip factor (see [`ClipOutcome::scale`](super::clip::ClipOutcome::scale)).
    pub clip_scale: f64,
    /// Whether clipping acted (part of the gradient above the threshold, or NaN).
    pub clipped: bool,
    /// cos(gradient before, gradient after clipping).
    pub cos_pre_post: f64,
    /// The learning rate this step's update used (η times the schedule's factor).
    #[serde(default, rename = "lr")]
    pub learning_rate: f64,
    /// The loss scale S this step's backward pass used (1 without loss scaling).
    #[serde(default = "one")]
    pub loss_scale: f64,
    /// Whether the update was skipped: under loss scaling, the gradients held an inf or NaN.
    #[serde(default)]
    pub skipped: bool,
    /// Set on the step that first produced a NaN or ±Inf.
    pub non_finite: Option<NonFinite>,
}

fn one() -> f64 {
    1.0
}

impl StepStats {
    /// What the history heat map shows per row: each layer's gradient norm before clipping
    /// (MLP), the back-propagated error at each time step (RNN) or on each block's residual
    /// stream (Transformer).
    pub fn profile(&self) -> &[f64] {
        if !self.block_norms.is_empty() {
            &self.block_norms
        } else if self.time_norms.is_empty() {
            self.of_layers(&self.grad_norms)
        } else {
            &self.time_norms
        }
    }

    /// The weight layers' part of a per-group array: an MLP's LayerNorm gains and biases come
    /// after its `delta_norms.len()` weight layers and are left out (the per-layer chart shows
    /// layers; the table shows every group). An RNN's arrays are returned whole.
    pub fn of_layers<'a>(&self, per_group: &'a [f64]) -> &'a [f64] {
        if self.time_norms.is_empty() && !self.delta_norms.is_empty() {
            &per_group[..per_group.len().min(self.delta_norms.len())]
        } else {
            per_group
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_layer_and_step() {
        let nf = NonFinite {
            step: 41,
            layer: Some(2),
            quantity: Quantity::Gradient,
            axis: ProfileAxis::Layers,
        };
        assert_eq!(
            nf.to_string(),
            "diverged at step 41 — layer 3 gradient overflowed"
        );
        let loss = NonFinite {
            step: 0,
            layer: None,
            quantity: Quantity::Loss,
            axis: ProfileAxis::Layers,
        };
        assert_eq!(loss.to_string(), "diverged at step 0 — the loss overflowed");
        let state = NonFinite {
            step: 7,
            layer: Some(11),
            quantity: Quantity::Activation,
            axis: ProfileAxis::TimeSteps,
        };
        assert_eq!(
            state.to_string(),
            "diverged at step 7 — the hidden state at time step 12 overflowed"
        );
        let grad = NonFinite {
            layer: Some(1),
            quantity: Quantity::Gradient,
            ..state
        };
        assert_eq!(
            grad.to_string(),
            "diverged at step 7 — the W_h gradient overflowed"
        );
    }
}
