//! A multi-layer perceptron: `depth` hidden layers of `width` units and a linear output,
//! optionally with residual connections and layer normalization.
//!
//! Convention (batch rows): `h_0 = x: [n, d_in]`, and for each hidden layer l = 1..=depth
//! `z_l = h_{l−1} · W_l + b_l`, `u_l = LN_l(z_l)` (or `u_l = z_l` without LayerNorm),
//! `a_l = φ(u_l)`, and `h_l = h_{l−1} + a_l` for a residual hidden-to-hidden layer (2 ≤ l ≤
//! depth, equal widths) or `h_l = a_l`; the output is linear, `ŷ = h_depth · W_out + b_out`.
//! The input layer and the output layer are always plain. `W_l: [fan_in, fan_out]`,
//! `b_l: [fan_out]`; index 0 in code is layer 1 (the input side).
//!
//! LayerNorm (Ba, Kiros & Hinton 2016), before the activation, per example over the layer's
//! units: `n = (z − μ)/√(σ² + ε)` with the row's mean μ and (biased) variance σ², ε = 1e-5 as in
//! PyTorch, then `u = γ ⊙ n + β` with a learnable gain γ (starts at 1) and bias β (starts at 0).
//!
//! Parameter groups: the `depth + 1` weight layers, input side first, then with LayerNorm each
//! hidden layer's γ_l and β_l as groups of their own (an empty `w`, the vector in `b` — so,
//! like every bias, they are neither penalised nor decayed), layer by layer.
//!
//! Backward: `δ_L = ∂loss/∂ŷ`; `g_l = ∂loss/∂h_l = δ_{l+1} · W_{l+1}ᵀ (+ g_{l+1} across a
//! residual connection)`; `∂loss/∂u_l = g_l ⊙ φ′(u_l)`; through LayerNorm
//! `∂γ = Σ_rows ∂u ⊙ n`, `∂β = Σ_rows ∂u`, `δ_l = ∂loss/∂z_l = (∂n − mean(∂n) − n ⊙ mean(∂n ⊙ n)) / √(σ² + ε)`
//! with `∂n = ∂u ⊙ γ` (means over the row's units); `∂loss/∂W_l = h_{l−1}ᵀ · δ_l`,
//! `∂loss/∂b_l = Σ_rows δ_l`. The profile is ‖δ_l‖, the error at each layer's pre-activation.

use super::activation::Activation;
use super::group::ParamGroup;
use super::init::Init;
use super::layer_norm::{normalize, normalize_backward};
use super::loss::{mse, Penalty};
use super::network::{clamp_error, in_compute_format, Backprop, Network, Pass};
use super::precision::Precision;
use super::scalar::{all_finite, product, sum_sq, Scalar};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// How the hidden layers are wired: plain, with residual connections, with LayerNorm, or both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Architecture {
    /// `h_l = h_{l−1} + φ(…)` on every hidden-to-hidden layer.
    pub residual: bool,
    /// Pre-activation LayerNorm with learnable gain and bias on every hidden layer.
    pub layer_norm: bool,
}

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
    /// Parameter groups: the weight layers, input side first (`depth + 1` of them), then with
    /// LayerNorm each hidden layer's gain γ_l and bias β_l (see the module docs).
    pub layers: Vec<ParamGroup<S>>,
    /// φ of the hidden layers.
    pub activation: Activation,
    /// Residual connections and LayerNorm.
    pub architecture: Architecture,
}

/// What the forward pass keeps for the backward one.
struct Forward<S> {
    /// `h_l` of every layer, `hs[l] = h_{l+1}` in the formula's numbering (the last is ŷ).
    hs: Vec<Array2<S>>,
    /// `a_l = φ(u_l)` of every hidden layer, where it differs from `h_l` (residual layers).
    acts: Vec<Option<Array2<S>>>,
    /// LayerNorm's `n_l` and `1/√(σ² + ε)` per row, of every hidden layer.
    normed: Vec<(Array2<S>, Array1<S>)>,
    /// The first layer whose output held a non-finite value.
    first_bad: Option<usize>,
}

impl<S: Scalar> Mlp<S> {
    /// A freshly initialised plain MLP.
    pub fn new<R: Rng + ?Sized>(
        shape: MlpShape,
        activation: Activation,
        init: Init,
        rng: &mut R,
    ) -> Self {
        Self::with_architecture(shape, activation, init, Architecture::default(), rng)
    }

    /// A freshly initialised MLP wired as `architecture` says (LayerNorm's γ = 1, β = 0; the
    /// weights are drawn exactly as the plain net's, so the same seed gives the same W).
    pub fn with_architecture<R: Rng + ?Sized>(
        shape: MlpShape,
        activation: Activation,
        init: Init,
        architecture: Architecture,
        rng: &mut R,
    ) -> Self {
        let mut layers: Vec<ParamGroup<S>> = shape
            .layer_dims()
            .into_iter()
            .map(|(fan_in, fan_out)| init.draw(fan_in, fan_out, rng))
            .collect();
        if architecture.layer_norm {
            for _ in 0..shape.depth {
                layers.push(ParamGroup::vector(Array1::ones(shape.width)));
                layers.push(ParamGroup::vector(Array1::zeros(shape.width)));
            }
        }
        Self {
            layers,
            activation,
            architecture,
        }
    }

    /// The same network in another float type.
    pub fn cast<T: Scalar>(&self) -> Mlp<T> {
        Mlp {
            layers: self.layers.iter().map(ParamGroup::cast).collect(),
            activation: self.activation,
            architecture: self.architecture,
        }
    }

    /// Hidden layers.
    pub fn depth(&self) -> usize {
        if self.architecture.layer_norm {
            (self.layers.len() - 1) / 3
        } else {
            self.layers.len() - 1
        }
    }

    /// Whether weight layer `l` (0-based) adds its input back: hidden-to-hidden layers only.
    fn is_residual(&self, l: usize) -> bool {
        self.architecture.residual && l >= 1 && l < self.depth()
    }

    /// LayerNorm's γ and β of hidden layer `l` (0-based), when there is LayerNorm.
    fn gain_and_bias(&self, l: usize) -> Option<(&Array1<S>, &Array1<S>)> {
        let first = self.depth() + 1 + 2 * l;
        self.architecture
            .layer_norm
            .then(|| (&self.layers[first].b, &self.layers[first + 1].b))
    }

    /// Forward pass: the output of every layer, `outputs[l] = h_{l+1}` (the last is ŷ), and the
    /// first layer whose output holds a non-finite value.
    pub fn forward(&self, x: ArrayView2<S>) -> (Vec<Array2<S>>, Option<usize>) {
        let pass = self.forward_pass(x, Precision::F32);
        (pass.hs, pass.first_bad)
    }

    /// The forward pass, rounding each product's output and each layer's output to
    /// `precision` (the caller rounds the weights and the input).
    fn forward_pass(&self, x: ArrayView2<S>, precision: Precision) -> Forward<S> {
        let depth = self.depth();
        let mut pass = Forward {
            hs: Vec::with_capacity(depth + 1),
            acts: Vec::with_capacity(depth),
            normed: Vec::new(),
            first_bad: None,
        };
        for l in 0..=depth {
            let layer = &self.layers[l];
            let input = pass.hs.last().map_or(x, |h| h.view());
            let mut z = product(&input, &layer.w);
            z += &layer.b;
            precision.round_all(&mut z);
            if l < depth {
                if let Some((gain, bias)) = self.gain_and_bias(l) {
                    let (n, inv_std) = normalize(&z);
                    z = &n * gain + bias;
                    pass.normed.push((n, inv_std));
                }
                self.activation.apply_inplace(&mut z);
                precision.round_all(&mut z);
                if self.is_residual(l) {
                    let mut h = &input + &z;
                    precision.round_all(&mut h);
                    pass.acts.push(Some(z));
                    z = h;
                } else {
                    pass.acts.push(None);
                }
            }
            if pass.first_bad.is_none() && !all_finite(&z) {
                pass.first_bad = Some(l);
            }
            pass.hs.push(z);
        }
        pass
    }
}

impl<S: Scalar> Network<S> for Mlp<S> {
    fn groups(&self) -> &[ParamGroup<S>] {
        &self.layers
    }

    fn groups_mut(&mut self) -> &mut [ParamGroup<S>] {
        &mut self.layers
    }

    fn backprop_with(
        &self,
        x: ArrayView2<S>,
        y: ArrayView2<S>,
        penalty: &Penalty,
        how: &Pass,
    ) -> Backprop<S> {
        let rebuild = |layers| Mlp { layers, ..*self };
        in_compute_format(
            self,
            &self.layers,
            (x, y),
            penalty,
            how,
            rebuild,
            Self::backprop_rounded,
        )
    }
}

impl<S: Scalar> Mlp<S> {
    /// The pass on weights and input already in the compute format.
    fn backprop_rounded(
        &self,
        x: ArrayView2<S>,
        y: ArrayView2<S>,
        penalty: &Penalty,
        how: &Pass,
    ) -> Backprop<S> {
        let (precision, error_clip) = (how.precision, how.scaled_error_clip());
        let scaled_penalty = how.scaled_penalty(penalty);
        let pass = self.forward_pass(x, precision);
        let depth = self.depth();
        let (data_loss, output_delta) = mse(pass.hs[depth].view(), y);
        let mut output_delta = Some(how.seed(output_delta));
        // LayerNorm's groups have no `w`: the penalty is the weight layers' alone.
        let loss = data_loss + penalty.value(&self.layers);

        // The weight layers' gradients, output side first (reversed at the end), and LayerNorm's
        // γ_l, β_l in their own places.
        let mut grads = Vec::with_capacity(self.layers.len());
        let mut norm_grads =
            vec![ParamGroup::vector(Array1::zeros(0)); self.layers.len() - depth - 1];
        let mut delta_norms = vec![0.0; depth + 1];
        // ∂loss/∂h_l, flowing down from the output.
        let mut grad_h: Option<Array2<S>> = None;
        for l in (0..=depth).rev() {
            let mut delta = match grad_h.take() {
                None => output_delta.take().expect("the output layer comes first"),
                Some(grad_h_l) => {
                    // Across a residual connection the same ∂h_l also reaches h_{l−1}.
                    let carried = self.is_residual(l).then(|| grad_h_l.clone());
                    let mut grad_u = grad_h_l;
                    let act = pass.acts[l].as_ref().unwrap_or(&pass.hs[l]);
                    self.activation.scale_by_slope(&mut grad_u, act);
                    let delta = match self.gain_and_bias(l) {
                        Some((gain, _)) => {
                            let (n, inv_std) = &pass.normed[l];
                            let (delta, mut grad_gain, mut grad_bias) =
                                normalize_backward(&grad_u, n, inv_std, gain.view());
                            precision.round_all(&mut grad_gain);
                            precision.round_all(&mut grad_bias);
                            norm_grads[2 * l] = ParamGroup::vector(grad_gain);
                            norm_grads[2 * l + 1] = ParamGroup::vector(grad_bias);
                            delta
                        }
                        None => grad_u,
                    };
                    if let Some(carried) = carried {
                        grad_h = Some(carried);
                    }
                    delta
                }
            };
            clamp_error(&mut delta, error_clip);
            precision.round_all(&mut delta);
            delta_norms[l] = sum_sq(&delta).sqrt();
            let input = if l == 0 { x } else { pass.hs[l - 1].view() };
            let layer = &self.layers[l];
            let mut grad_w = product(&input.t(), &delta);
            precision.round_all(&mut grad_w);
            scaled_penalty.add_gradient(&layer.w, &mut grad_w);
            let mut grad_b = delta.sum_axis(Axis(0));
            precision.round_all(&mut grad_b);
            grads.push(ParamGroup {
                w: grad_w,
                b: grad_b,
            });
            if l > 0 {
                let back = product(&delta, &layer.w.t());
                let mut grad_h_below = match grad_h.take() {
                    Some(carried) => carried + back,
                    None => back,
                };
                precision.round_all(&mut grad_h_below);
                grad_h = Some(grad_h_below);
            }
        }
        grads.reverse();
        grads.extend(norm_grads);
        Backprop {
            loss,
            grads,
            delta_norms,
            cell_norms: Vec::new(),
            first_non_finite_activation: pass.first_bad,
            attn_logit_max: Vec::new(),
            attn_entropy: Vec::new(),
        }
    }
}
