//! A multi-layer perceptron: `depth` hidden layers of `width` units and a linear output.
//!
//! Convention (batch rows): `h_0 = x: [n, d_in]`, and for l = 1..=L
//! `z_l = h_{l−1} · W_l + b_l`, `h_l = φ(z_l)` for hidden layers, `ŷ = z_L` (linear output).
//! `W_l: [fan_in, fan_out]`, `b_l: [fan_out]`. There are `L = depth + 1` weight layers; index 0 in
//! code is layer 1 in the formula (the input side).
//!
//! Backward: `δ_L = ∂loss/∂ŷ`, `δ_{l−1} = (δ_l · W_lᵀ) ⊙ φ′(z_{l−1})`,
//! `∂loss/∂W_l = h_{l−1}ᵀ · δ_l`, `∂loss/∂b_l = Σ_rows δ_l`.

use super::activation::Activation;
use super::group::ParamGroup;
use super::init::Init;
use super::loss::{mse, Penalty};
use super::network::{Backprop, Network};
use super::scalar::{all_finite, sum_sq, Scalar};
use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;

/// The widths of an MLP's layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MlpShape {
    /// Input features.
    pub input_dim: usize,
    /// Hidden layers (≥ 1).
    pub depth: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Outputs.
    pub output_dim: usize,
}

impl MlpShape {
    /// `(fan_in, fan_out)` of every weight layer, input side first.
    pub fn layer_dims(&self) -> Vec<(usize, usize)> {
        (0..=self.depth)
            .map(|l| {
                let fan_in = if l == 0 { self.input_dim } else { self.width };
                let fan_out = if l == self.depth {
                    self.output_dim
                } else {
                    self.width
                };
                (fan_in, fan_out)
            })
            .collect()
    }
}

/// An MLP with one activation for every hidden layer.
#[derive(Clone, Debug)]
pub struct Mlp<S> {
    /// Weight layers, input side first (`depth + 1` of them).
    pub layers: Vec<ParamGroup<S>>,
    /// φ of the hidden layers.
    pub activation: Activation,
}

impl<S: Scalar> Mlp<S> {
    /// A freshly initialised MLP.
    pub fn new<R: Rng + ?Sized>(
        shape: MlpShape,
        activation: Activation,
        init: Init,
        rng: &mut R,
    ) -> Self {
        let layers = shape
            .layer_dims()
            .into_iter()
            .map(|(fan_in, fan_out)| init.draw(fan_in, fan_out, rng))
            .collect();
        Self { layers, activation }
    }

    /// The same network in another float type.
    pub fn cast<T: Scalar>(&self) -> Mlp<T> {
        Mlp {
            layers: self.layers.iter().map(ParamGroup::cast).collect(),
            activation: self.activation,
        }
    }

    /// Forward pass: the output of every layer, `outputs[l] = h_{l+1}` (the last is ŷ), and the
    /// first layer whose output holds a non-finite value.
    pub fn forward(&self, x: ArrayView2<S>) -> (Vec<Array2<S>>, Option<usize>) {
        let last = self.layers.len() - 1;
        let mut outputs: Vec<Array2<S>> = Vec::with_capacity(self.layers.len());
        let mut first_bad = None;
        for (l, layer) in self.layers.iter().enumerate() {
            let input = outputs.last().map_or(x, |h| h.view());
            let mut z = input.dot(&layer.w);
            z += &layer.b;
            if l != last {
                self.activation.apply_inplace(&mut z);
            }
            let finite = all_finite(&z);
            if first_bad.is_none() && !finite {
                first_bad = Some(l);
            }
            outputs.push(z);
        }
        (outputs, first_bad)
    }
}

impl<S: Scalar> Network<S> for Mlp<S> {
    fn groups(&self) -> &[ParamGroup<S>] {
        &self.layers
    }

    fn groups_mut(&mut self) -> &mut [ParamGroup<S>] {
        &mut self.layers
    }

    fn backprop(&self, x: ArrayView2<S>, y: ArrayView2<S>, penalty: &Penalty) -> Backprop<S> {
        let (outputs, first_non_finite_activation) = self.forward(x);
        let count = self.layers.len();
        let (data_loss, mut delta) = mse(outputs[count - 1].view(), y);
        let loss = data_loss + penalty.value(&self.layers);

        let mut grads = Vec::with_capacity(count);
        let mut delta_norms = vec![0.0; count];
        for l in (0..count).rev() {
            delta_norms[l] = sum_sq(&delta).sqrt();
            let input = if l == 0 { x } else { outputs[l - 1].view() };
            let layer = &self.layers[l];
            let mut grad_w = input.t().dot(&delta);
            penalty.add_gradient(&layer.w, &mut grad_w);
            let grad_b = delta.sum_axis(Axis(0));
            if l > 0 {
                // δ_{l−1} = (δ_l · W_lᵀ) ⊙ φ′ — φ′ read off the stored output h_{l−1}.
                let mut back = delta.dot(&layer.w.t());
                self.activation.scale_by_slope(&mut back, &outputs[l - 1]);
                delta = back;
            }
            grads.push(ParamGroup {
                w: grad_w,
                b: grad_b,
            });
        }
        grads.reverse();
        Backprop {
            loss,
            grads,
            delta_norms,
            first_non_finite_activation,
        }
    }
}
