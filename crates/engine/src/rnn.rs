//! A recurrent network — vanilla (Elman), LSTM or GRU ([`Cell`]) — trained by backprop through
//! time.
//!
//! Conventions (row vectors, as for the MLP; the README states them for outside checkers):
//! - Batches are **time-major**: `x: [T·n, d]`, row `t·n + i` is sequence i's input at step
//!   t + 1. Targets likewise: `[n, ·]` for readout `last`, `[T·n, ·]` for readout `all`.
//! - `h_0 = 0`, `z_t = x_t·W_x + h_{t−1}·W_h + b`, `h_t = φ(z_t)`, t = 1..T, for the vanilla
//!   cell; the gated cells' steps are [`Cell`]'s (their `W_x`, `W_h`, `b` hold one block per
//!   gate, `[d, G·H]`, `[H, G·H]`, `[G·H]`).
//! - Readout `last` (many-to-one): `ŷ = h_T·W_out + b_out`. Readout `all` (many-to-many):
//!   `ŷ_t = h_t·W_out + b_out` for every t. The loss is the task's (MSE or softmax
//!   cross-entropy), a mean over every readout.
//! - Parameter groups, in this order: `W_x [d, H]`, `W_h [H, H]`, `b [H]`, `W_out [H, k]`,
//!   `b_out [k]` ([`GROUP_NAMES`]). Each is a [`ParamGroup`] holding one tensor: a weight
//!   matrix in `w` (penalised by L1/L2) with an empty `b`, or a bias in `b` with an empty `w`
//!   (`[0, H]`). So clipping "per group" is per tensor here, exactly Keras' `clipnorm`.
//!
//! Backward (vanilla; a gated cell's step back is [`Cell::step_back`]): with `g_t = ∂L/∂h_t` (the readout's term at t plus what flows back from t + 1),
//! `δ_t = g_t ⊙ φ′(z_t)` and `g_{t−1} += δ_t·W_hᵀ`; `∂W_x = Σ_t x_tᵀδ_t`,
//! `∂W_h = Σ_t h_{t−1}ᵀδ_t`, `∂b = Σ_t Σ_rows δ_t`. The profile the trainer reports is
//! `‖g_t‖` for t = 1..T, earliest first. Only `δ_t·W_hᵀ` is computed step by step: the input
//! projections of all steps are one product (`X·W_x` over `[T·n, d]`), and so are `∂W_x`,
//! `∂W_h` and the readout's products.
//!
//! Truncated BPTT with k: the steps are cut into blocks of k, counted back from the last step,
//! and the error does not flow from a block into the one before it (the hidden state still
//! flows forward) — as PyTorch's `detach()` every k steps. k = 0 (or k ≥ T) is full BPTT.

use super::activation::Activation;
use super::cell::{Cell, StepStates};
use super::group::ParamGroup;
use super::init::semi_orthogonal;
use super::loss::{LossKind, Penalty};
use super::network::{in_compute_format, Backprop, Network, Pass};
use super::precision::Precision;
use super::scalar::{all_finite, product, sum_sq, Scalar};
use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// The parameter groups' names, in order.
pub const GROUP_NAMES: [&str; 5] = ["W_x", "W_h", "b", "W_out", "b_out"];
/// Index of `W_h` in the groups.
pub const RECURRENT_GROUP: usize = 1;
/// Indices of the biases `b` and `b_out`, the groups that are one vector.
pub const VECTOR_GROUPS: [usize; 2] = [2, 4];

/// Where the readout reads the hidden state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Readout {
    /// From the last state only (many-to-one).
    Last,
    /// From every state (many-to-many).
    All,
}

impl Readout {
    /// Every readout, in the order controls list them.
    pub const ALL: [Readout; 2] = [Self::Last, Self::All];
    /// The names accepted by [`Readout::from_name`].
    pub const NAMES: &'static [&'static str] = &["last", "all"];

    /// The name used in URLs, flags and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Last => "last",
            Self::All => "all",
        }
    }

    /// Parses a name from [`Readout::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// How the recurrent matrix `W_h` starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecurrentInit {
    /// `W_h ~ N(0, g²/H)`: spectral radius ≈ g, largest singular value ≈ 2g.
    Gaussian,
    /// A random orthogonal matrix × g: every singular value and |eigenvalue| is exactly g.
    Orthogonal,
    /// The identity × g (Le, Jaitly & Hinton's IRNN).
    Identity,
}

impl RecurrentInit {
    /// Every scheme, in the order controls list them.
    pub const ALL: [RecurrentInit; 3] = [Self::Gaussian, Self::Orthogonal, Self::Identity];
    /// The names accepted by [`RecurrentInit::from_name`].
    pub const NAMES: &'static [&'static str] = &["gaussian", "orthogonal", "identity"];

    /// The name used in URLs, flags and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gaussian => "gaussian",
            Self::Orthogonal => "orthogonal",
            Self::Identity => "identity",
        }
    }

    /// Parses a name from [`RecurrentInit::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// Sizes of an RNN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RnnShape {
    /// Input features per step, d.
    pub input_dim: usize,
    /// Hidden units, H.
    pub hidden: usize,
    /// Outputs per readout, k.
    pub output_dim: usize,
    /// Time steps, T.
    pub steps: usize,
}

/// Scales of the initial weights.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RnnInit {
    /// σ_x: `W_x ~ N(0, σ_x²/d)`.
    pub input_scale: f64,
    /// The scheme for `W_h`.
    pub recurrent: RecurrentInit,
    /// g: the recurrent scale (see [`RecurrentInit`]).
    pub recurrent_scale: f64,
}

impl RnnInit {
    /// Draws the five groups for `cell` (G gates, see [`Cell`]): `W_x` `[d, G·H]`; `W_h`
    /// `[H, G·H]`, each gate's H×H block by the scheme; `b` `[G·H]` (0, and 1 for the LSTM's
    /// forget gate); `W_out ~ N(0, 1/H)`; `b_out = 0`. Drawn in f64 and rounded to `S`, so an
    /// f32 net and its f64 copy match. A vanilla cell draws exactly what it always has.
    pub fn draw<S: Scalar, R: Rng + ?Sized>(
        &self,
        shape: RnnShape,
        cell: Cell,
        rng: &mut R,
    ) -> Vec<ParamGroup<S>> {
        let RnnShape {
            input_dim: d,
            hidden: h,
            output_dim: k,
            ..
        } = shape;
        let gates = cell.gates();
        let mut gauss = |rows: usize, cols: usize, std: f64| {
            Array2::from_shape_simple_fn((rows, cols), || {
                std * rng.sample::<f64, _>(StandardNormal)
            })
        };
        let w_x = gauss(d, gates * h, self.input_scale / (d as f64).sqrt());
        let g = self.recurrent_scale;
        let w_h = match self.recurrent {
            RecurrentInit::Gaussian => gauss(h, gates * h, g / (h as f64).sqrt()),
            RecurrentInit::Orthogonal => {
                let blocks: Vec<_> = (0..gates)
                    .map(|_| semi_orthogonal(&gauss(h, h, 1.0)) * g)
                    .collect();
                side_by_side(&blocks)
            }
            RecurrentInit::Identity => side_by_side(&vec![Array2::eye(h) * g; gates]),
        };
        let w_out = gauss(h, k, 1.0 / (h as f64).sqrt());
        let cast = |a: Array2<f64>| a.mapv(S::of);
        let bias = Array1::from_shape_fn(gates * h, |j| S::of(cell.initial_bias(j / h)));
        vec![
            matrix(cast(w_x)),
            matrix(cast(w_h)),
            ParamGroup::vector(bias),
            matrix(cast(w_out)),
            ParamGroup::vector(Array1::zeros(k)),
        ]
    }
}

/// Blocks `[H, H]` side by side: `[H, blocks·H]`.
fn side_by_side(blocks: &[Array2<f64>]) -> Array2<f64> {
    let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
    ndarray::concatenate(Axis(1), &views).expect("blocks of one height")
}

/// A group holding one weight matrix.
fn matrix<S: Scalar>(w: Array2<S>) -> ParamGroup<S> {
    ParamGroup {
        w,
        b: Array1::zeros(0),
    }
}

/// A recurrent network with its cell, readout, loss and truncation.
#[derive(Clone, Debug)]
pub struct Rnn<S> {
    /// `W_x`, `W_h`, `b`, `W_out`, `b_out` ([`GROUP_NAMES`]).
    pub groups: Vec<ParamGroup<S>>,
    /// Sizes.
    pub shape: RnnShape,
    /// The recurrent cell.
    pub cell: Cell,
    /// φ of the hidden state.
    pub activation: Activation,
    /// Where the readout reads.
    pub readout: Readout,
    /// The data term of the loss.
    pub loss: LossKind,
    /// Truncated BPTT length k (0 = full).
    pub truncation: usize,
}

/// The hidden states of a forward pass and its output.
#[derive(Clone, Debug)]
pub struct RnnForward<S> {
    /// `[(T + 1)·n, H]`, time-major, block 0 is `h_0 = 0`.
    pub states: Array2<S>,
    /// The LSTM's cell states, laid out as `states` (`c_0 = 0`); `[0, H]` for other cells.
    pub cells: Array2<S>,
    /// A gated cell's gates after their nonlinearities, `[T·n, G·H]` (step t in block
    /// t − 1); `[0, G·H]` for the vanilla cell, whose only "gate" is `h_t`.
    pub gates: Array2<S>,
    /// `[n, k]` (readout last) or `[T·n, k]` (readout all).
    pub output: Array2<S>,
    /// The first step (0-based) whose hidden state held a NaN or ±Inf.
    pub first_non_finite: Option<usize>,
}

impl<S: Scalar> Rnn<S> {
    /// The same network in another float type.
    pub fn cast<T: Scalar>(&self) -> Rnn<T> {
        Rnn {
            groups: self.groups.iter().map(ParamGroup::cast).collect(),
            shape: self.shape,
            cell: self.cell,
            activation: self.activation,
            readout: self.readout,
            loss: self.loss,
            truncation: self.truncation,
        }
    }

    /// Sequences in a time-major batch of `rows` rows.
    fn batch_size(&self, rows: usize) -> usize {
        rows / self.shape.steps.max(1)
    }

    /// Forward pass over a time-major batch `x: [T·n, d]`.
    pub fn forward(&self, x: ArrayView2<S>) -> RnnForward<S> {
        self.forward_in(x, Precision::F32)
    }

    /// The forward pass, rounding the input projection, each step's state (and gates) and the
    /// readout's output to `precision` (the caller rounds the weights and the input).
    fn forward_in(&self, x: ArrayView2<S>, precision: Precision) -> RnnForward<S> {
        let (steps, hidden) = (self.shape.steps, self.shape.hidden);
        let n = self.batch_size(x.nrows());
        let (w_x, w_h, b) = (&self.groups[0].w, &self.groups[1].w, &self.groups[2].b);
        // Every step's input projection and bias at once; the recurrence adds h_{t−1}·W_h.
        let mut projected = product(&x, w_x);
        projected += b;
        precision.round_all(&mut projected);
        let mut states = Array2::zeros(((steps + 1) * n, hidden));
        let mut first_non_finite = None;
        let mut note = |t: usize, h: &ArrayView2<S>| {
            if first_non_finite.is_none() && !all_finite(h) {
                first_non_finite = Some(t - 1);
            }
        };
        let (cells, gates) = if self.cell == Cell::Vanilla {
            // In place, without a copy per step: the recurrence's hot loop.
            states.slice_mut(s![n.., ..]).assign(&projected);
            for t in 1..=steps {
                let (before, mut after) = states.view_mut().split_at(Axis(0), t * n);
                let previous = before.slice(s![(t - 1) * n.., ..]);
                let mut z = after.slice_mut(s![..n, ..]);
                S::gemm(
                    S::one(),
                    previous.view(),
                    w_h.view(),
                    S::one(),
                    z.view_mut(),
                );
                precision.round_all(&mut z);
                self.activation.apply_inplace(&mut z);
                precision.round_all(&mut z);
                note(t, &z.view());
            }
            (
                Array2::zeros((0, hidden)),
                Array2::zeros((0, projected.ncols())),
            )
        } else {
            let lstm = self.cell.has_cell_state();
            let mut cells = Array2::zeros((if lstm { (steps + 1) * n } else { 0 }, hidden));
            let mut gates = Array2::zeros(projected.raw_dim());
            let no_cell = Array2::zeros((0, hidden));
            for t in 1..=steps {
                let rows = |k: usize| s![k * n..(k + 1) * n, ..];
                let c_prev = if lstm {
                    cells.slice(rows(t - 1))
                } else {
                    no_cell.view()
                };
                let mut step = self.cell.step(
                    self.activation,
                    w_h,
                    projected.slice(rows(t - 1)).to_owned(),
                    states.slice(rows(t - 1)),
                    c_prev,
                );
                // One fused step computes in f32; what it stores is in the format.
                precision.round_all(&mut step.h);
                precision.round_all(&mut step.c);
                precision.round_all(&mut step.gates);
                note(t, &step.h.view());
                states.slice_mut(rows(t)).assign(&step.h);
                if lstm {
                    cells.slice_mut(rows(t)).assign(&step.c);
                }
                gates.slice_mut(rows(t - 1)).assign(&step.gates);
            }
            (cells, gates)
        };
        let read = self.read_states(&states, n);
        let mut output = product(&read, &self.groups[3].w);
        output += &self.groups[4].b;
        precision.round_all(&mut output);
        RnnForward {
            states,
            cells,
            gates,
            output,
            first_non_finite,
        }
    }

    /// The hidden states the readout reads: `h_T` (`[n, H]`) or `h_1..h_T` (`[T·n, H]`).
    fn read_states<'a>(&self, states: &'a Array2<S>, n: usize) -> ArrayView2<'a, S> {
        match self.readout {
            Readout::Last => states.slice(s![self.shape.steps * n.., ..]),
            Readout::All => states.slice(s![n.., ..]),
        }
    }

    /// Whether the error stops between step t and t − 1 (t is 1-based): at the start of each
    /// block of `truncation` steps counted back from the last.
    fn cut_before(&self, t: usize) -> bool {
        let k = self.truncation;
        t == 1 || (k > 0 && (self.shape.steps + 1 - t).is_multiple_of(k))
    }
}

impl<S: Scalar> Network<S> for Rnn<S> {
    fn groups(&self) -> &[ParamGroup<S>] {
        &self.groups
    }

    fn groups_mut(&mut self) -> &mut [ParamGroup<S>] {
        &mut self.groups
    }

    fn backprop_with(
        &self,
        x: ArrayView2<S>,
        y: ArrayView2<S>,
        penalty: &Penalty,
        how: &Pass,
    ) -> Backprop<S> {
        let rebuild = |groups| Rnn { groups, ..*self };
        in_compute_format(
            self,
            &self.groups,
            (x, y),
            penalty,
            how,
            rebuild,
            Self::backprop_rounded,
        )
    }
}

impl<S: Scalar> Rnn<S> {
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
        let (steps, hidden) = (self.shape.steps, self.shape.hidden);
        let n = self.batch_size(x.nrows());
        let forward = self.forward_in(x, precision);
        let (data_loss, d_output) = self.loss.eval(forward.output.view(), y);
        let d_output = how.seed(d_output);
        let loss = data_loss + penalty.value(&self.groups);
        let states = &forward.states;

        // Readout: ∂W_out = Hᵀ·∂ŷ, ∂b_out = Σ ∂ŷ, and its share of each g_t: ∂ŷ·W_outᵀ.
        let read = self.read_states(states, n);
        let mut grad_w_out = product(&read.t(), &d_output);
        precision.round_all(&mut grad_w_out);
        scaled_penalty.add_gradient(&self.groups[3].w, &mut grad_w_out);
        let mut grad_b_out = d_output.sum_axis(Axis(0));
        precision.round_all(&mut grad_b_out);
        let mut from_readout = product(&d_output, &self.groups[3].w.t());
        precision.round_all(&mut from_readout);

        let w_h = &self.groups[RECURRENT_GROUP].w;
        // One transposed copy for the whole pass (see `Cell::step_back`).
        let w_h_t = w_h.t().as_standard_layout().into_owned();
        let rows = |k: usize| s![k * n..(k + 1) * n, ..];
        let vanilla = self.cell == Cell::Vanilla;
        let lstm = self.cell.has_cell_state();
        let mut deltas = Array2::zeros((steps * n, self.groups[2].b.len()));
        let mut carry = Array2::<S>::zeros((n, hidden));
        let mut carry_cell = Array2::<S>::zeros((0, hidden));
        let mut time_norms = vec![0.0; steps];
        let mut cell_norms = vec![0.0; if lstm { steps } else { 0 }];
        let no_cell = Array2::<S>::zeros((0, hidden));
        for t in (1..=steps).rev() {
            let mut g = carry;
            match self.readout {
                Readout::Last if t == steps => g += &from_readout,
                Readout::All => g += &from_readout.slice(rows(t - 1)),
                Readout::Last => {}
            }
            precision.round_all(&mut g);
            time_norms[t - 1] = sum_sq(&g).sqrt();
            let h = states.slice(rows(t));
            let (c, c_prev) = if lstm {
                (
                    forward.cells.slice(rows(t)),
                    forward.cells.slice(rows(t - 1)),
                )
            } else {
                (no_cell.view(), no_cell.view())
            };
            let step = StepStates {
                // The vanilla cell's only "gate" is h_t itself.
                gates: if vanilla {
                    h
                } else {
                    forward.gates.slice(rows(t - 1))
                },
                h,
                h_prev: states.slice(rows(t - 1)),
                c,
                c_prev,
            };
            // Backward clipping tempers δ_t before it is used or carried back.
            let back = self.cell.step_back(
                self.activation,
                w_h_t.view(),
                step,
                g,
                carry_cell,
                error_clip,
                !self.cut_before(t),
            );
            carry = back.to_h.unwrap_or_else(|| Array2::zeros((n, hidden)));
            precision.round_all(&mut carry);
            carry_cell = back.to_c;
            precision.round_all(&mut carry_cell);
            let mut delta = back.delta;
            precision.round_all(&mut delta);
            if let Some(norm) = back.cell_norm {
                cell_norms[t - 1] = norm;
            }
            deltas.slice_mut(rows(t - 1)).assign(&delta);
        }
        let mut grad_w_x = product(&x.t(), &deltas);
        precision.round_all(&mut grad_w_x);
        scaled_penalty.add_gradient(&self.groups[0].w, &mut grad_w_x);
        let mut grad_w_h = self.cell.recurrent_gradient(
            states.slice(s![..steps * n, ..]),
            forward.gates.view(),
            deltas.view(),
        );
        precision.round_all(&mut grad_w_h);
        scaled_penalty.add_gradient(w_h, &mut grad_w_h);
        let mut grad_b = deltas.sum_axis(Axis(0));
        precision.round_all(&mut grad_b);

        Backprop {
            loss,
            grads: vec![
                matrix(grad_w_x),
                matrix(grad_w_h),
                ParamGroup::vector(grad_b),
                matrix(grad_w_out),
                ParamGroup::vector(grad_b_out),
            ],
            delta_norms: time_norms,
            cell_norms,
            first_non_finite_activation: forward.first_non_finite,
            attn_logit_max: Vec::new(),
            attn_entropy: Vec::new(),
        }
    }
}
