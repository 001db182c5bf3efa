//! The recurrent cell: how `h_t` (and the LSTM's cell state `c_t`) follows from `x_t` and
//! `h_{t−1}`, one time step forward and back.
//!
//! Shapes, for n sequences, H hidden units and G gates (1 vanilla, 4 LSTM, 3 GRU): the input
//! projection `a_t = x_t·W_x + b` is `[n, G·H]`, the gates' blocks side by side, H columns
//! each, in PyTorch's order; `W_x` is `[d, G·H]`, `W_h` is `[H, G·H]`, `b` is `[G·H]` — so an
//! RNN keeps its five parameter groups whatever the cell, and clipping "per group" is per
//! stacked tensor, as Keras' `clipnorm` treats its LSTM kernels. φ is the run's activation.
//! - **vanilla**: `h_t = φ(a_t + h_{t−1}·W_h)`.
//! - **LSTM** (gates i, f, g, o; Hochreiter & Schmidhuber 1997 with a forget gate):
//!   `[i f g o] = a_t + h_{t−1}·W_h` through σ, σ, φ, σ; `c_t = f⊙c_{t−1} + i⊙g`;
//!   `h_t = o⊙φ(c_t)`. φ = tanh is the usual cell (Keras' `activation`).
//! - **GRU** (gates r, z, n; Cho et al. 2014, the reset applied before the product, Keras'
//!   `reset_after=False`, so one bias): `r, z = σ(a_{r,z} + h_{t−1}·W_h[:, r z])`;
//!   `n = φ(a_n + (r⊙h_{t−1})·W_h[:, n])`; `h_t = (1 − z)⊙n + z⊙h_{t−1}`.
//!
//! The backward step takes `∂L/∂h_t` (and for the LSTM `∂L/∂c_t` from step t + 1) and returns
//! δ_t = ∂L/∂(pre-activation gates) `[n, G·H]` and what flows on to step t − 1.

use super::activation::Activation;
use super::network::clamp_error;
use super::scalar::{product, sum_sq, Scalar};
use ndarray::{s, Array2, ArrayView2, Axis, Zip};
use serde::{Deserialize, Serialize};

/// The recurrent cell of an RNN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cell {
    /// Elman's: one affine map and φ.
    #[default]
    Vanilla,
    /// Long short-term memory, with a forget gate (its bias starts at 1).
    Lstm,
    /// Gated recurrent unit.
    Gru,
}

impl Cell {
    /// Every cell, in the order controls list them.
    pub const ALL: [Cell; 3] = [Self::Vanilla, Self::Lstm, Self::Gru];
    /// The names accepted by [`Cell::from_name`].
    pub const NAMES: &'static [&'static str] = &["vanilla", "lstm", "gru"];

    /// The name used in URLs, flags and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Vanilla => "vanilla",
            Self::Lstm => "lstm",
            Self::Gru => "gru",
        }
    }

    /// Parses a name from [`Cell::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Gates G: the blocks of H columns in `W_x`, `W_h` and `b`.
    pub fn gates(self) -> usize {
        match self {
            Self::Vanilla => 1,
            Self::Lstm => 4,
            Self::Gru => 3,
        }
    }

    /// The gate blocks of `W_x`, `W_h` and `b`, in order (the vanilla cell has none).
    pub fn gate_names(self) -> &'static [&'static str] {
        match self {
            Self::Vanilla => &[],
            Self::Lstm => &["i", "f", "g", "o"],
            Self::Gru => &["r", "z", "n"],
        }
    }

    /// Whether it carries a cell state `c_t` beside `h_t` (the LSTM).
    pub fn has_cell_state(self) -> bool {
        self == Self::Lstm
    }

    /// The bias's starting value for gate block `gate`: 1 for the LSTM's forget gate
    /// (Jozefowicz et al. 2015: it starts out remembering), 0 elsewhere.
    pub fn initial_bias(self, gate: usize) -> f64 {
        if self == Self::Lstm && gate == 1 {
            1.0
        } else {
            0.0
        }
    }

    /// One step forward. `a` holds `x_t·W_x + b` (`[n, G·H]`); returns the gates after their
    /// nonlinearities (`[n, G·H]`; for vanilla, `h_t` itself), `h_t` and (LSTM) `c_t`
    /// (`[n, H]`; empty for the other cells).
    pub fn step<S: Scalar>(
        self,
        activation: Activation,
        w_h: &Array2<S>,
        mut a: Array2<S>,
        h_prev: ArrayView2<S>,
        c_prev: ArrayView2<S>,
    ) -> Forward<S> {
        let hidden = w_h.nrows();
        let sigmoid = Activation::Sigmoid;
        match self {
            Self::Vanilla => {
                S::gemm(S::one(), h_prev.view(), w_h.view(), S::one(), a.view_mut());
                activation.apply_inplace(&mut a);
                Forward {
                    h: a.clone(),
                    c: Array2::zeros((0, hidden)),
                    gates: a,
                }
            }
            Self::Lstm => {
                S::gemm(S::one(), h_prev.view(), w_h.view(), S::one(), a.view_mut());
                for (k, phi) in [(0, sigmoid), (1, sigmoid), (2, activation), (3, sigmoid)] {
                    phi.apply_inplace(&mut a.slice_mut(s![.., k * hidden..(k + 1) * hidden]));
                }
                let (i, f, g, o) = lstm_blocks(a.view(), hidden);
                let mut c = Array2::zeros(h_prev.raw_dim());
                Zip::from(&mut c)
                    .and(&f)
                    .and(&c_prev)
                    .and(&i)
                    .and(&g)
                    .for_each(|c, &f, &cp, &i, &g| *c = f * cp + i * g);
                let mut h = c.clone();
                activation.apply_inplace(&mut h);
                h *= &o;
                Forward { gates: a, h, c }
            }
            Self::Gru => {
                let mut rz = a.slice_mut(s![.., ..2 * hidden]);
                S::gemm(
                    S::one(),
                    h_prev.view(),
                    w_h.slice(s![.., ..2 * hidden]),
                    S::one(),
                    rz.view_mut(),
                );
                sigmoid.apply_inplace(&mut rz);
                let reset = &a.slice(s![.., ..hidden]) * &h_prev;
                let mut n = a.slice_mut(s![.., 2 * hidden..]);
                S::gemm(
                    S::one(),
                    reset.view(),
                    w_h.slice(s![.., 2 * hidden..]),
                    S::one(),
                    n.view_mut(),
                );
                activation.apply_inplace(&mut n);
                let z = a.slice(s![.., hidden..2 * hidden]);
                let n = a.slice(s![.., 2 * hidden..]);
                let mut h = Array2::zeros(h_prev.raw_dim());
                Zip::from(&mut h)
                    .and(&z)
                    .and(&n)
                    .and(&h_prev)
                    .for_each(|h, &z, &n, &hp| *h = n + z * (hp - n));
                Forward {
                    gates: a,
                    h,
                    c: Array2::zeros((0, hidden)),
                }
            }
        }
    }

    /// One step back. `g_h` is `∂L/∂h_t` (the readout's share plus what came back from t + 1),
    /// `g_c` the LSTM's `∂L/∂c_t` from t + 1 (ignored otherwise); `gates`, `h_t`, `h_prev`,
    /// `c_t`, `c_prev` are the forward step's. With `error_clip = Some(c)` δ_t is clamped to
    /// `[−c, c]` before it is used (backward clipping). `carry = false` cuts the error here
    /// (truncated BPTT): nothing flows to step t − 1. `w_h_t` is `W_hᵀ` (`[G·H, H]`), made
    /// contiguous once per backward pass: every step's `δ·W_hᵀ` then reads it in place.
    #[allow(clippy::too_many_arguments)]
    pub fn step_back<S: Scalar>(
        self,
        activation: Activation,
        w_h_t: ArrayView2<S>,
        states: StepStates<'_, S>,
        mut g_h: Array2<S>,
        g_c: Array2<S>,
        error_clip: Option<f64>,
        carry: bool,
    ) -> Backward<S> {
        let hidden = w_h_t.ncols();
        let StepStates {
            gates,
            h,
            h_prev,
            c,
            c_prev,
        } = states;
        let sigmoid_slope = |d: &mut S, &y: &S| *d *= y * (S::one() - y);
        let none = || Array2::zeros((0, hidden));
        match self {
            Self::Vanilla => {
                activation.scale_by_slope(&mut g_h, &h);
                clamp_error(&mut g_h, error_clip);
                let to_h = carry.then(|| product(&g_h, &w_h_t));
                Backward {
                    delta: g_h,
                    to_h,
                    to_c: none(),
                    cell_norm: None,
                }
            }
            Self::Lstm => {
                let (i, f, g, o) = lstm_blocks(gates, hidden);
                // ∂L/∂c_t: from t + 1, plus through h_t = o⊙φ(c_t).
                let mut squashed = c.to_owned();
                activation.apply_inplace(&mut squashed);
                let mut g_c = if g_c.is_empty() {
                    Array2::zeros(c.raw_dim())
                } else {
                    g_c
                };
                let mut through_h = &g_h * &o;
                activation.scale_by_slope(&mut through_h, &squashed);
                g_c += &through_h;
                let cell_norm = sum_sq(&g_c).sqrt();
                let mut delta = Array2::zeros(gates.raw_dim());
                {
                    let (mut di, mut rest) = delta.view_mut().split_at(Axis(1), hidden);
                    let (mut df, mut rest) = rest.view_mut().split_at(Axis(1), hidden);
                    let (mut dg, mut d_o) = rest.view_mut().split_at(Axis(1), hidden);
                    Zip::from(&mut di)
                        .and(&g_c)
                        .and(&g)
                        .for_each(|d, &gc, &g| *d = gc * g);
                    Zip::from(&mut df)
                        .and(&g_c)
                        .and(&c_prev)
                        .for_each(|d, &gc, &cp| *d = gc * cp);
                    Zip::from(&mut dg)
                        .and(&g_c)
                        .and(&i)
                        .for_each(|d, &gc, &i| *d = gc * i);
                    Zip::from(&mut d_o)
                        .and(&g_h)
                        .and(&squashed)
                        .for_each(|d, &gh, &tc| *d = gh * tc);
                    Zip::from(&mut di).and(&i).for_each(sigmoid_slope);
                    Zip::from(&mut df).and(&f).for_each(sigmoid_slope);
                    activation.scale_by_slope(&mut dg, &g);
                    Zip::from(&mut d_o).and(&o).for_each(sigmoid_slope);
                }
                clamp_error(&mut delta, error_clip);
                let (to_h, to_c) = if carry {
                    (Some(product(&delta, &w_h_t)), g_c * f)
                } else {
                    (None, none())
                };
                Backward {
                    delta,
                    to_h,
                    to_c,
                    cell_norm: Some(cell_norm),
                }
            }
            Self::Gru => {
                let r = gates.slice(s![.., ..hidden]);
                let z = gates.slice(s![.., hidden..2 * hidden]);
                let n = gates.slice(s![.., 2 * hidden..]);
                // δ_n first: the reset gate's error needs it.
                let mut dn = &g_h * &z.mapv(|z| S::one() - z);
                activation.scale_by_slope(&mut dn, &n);
                clamp_error(&mut dn, error_clip);
                let to_reset = product(&dn, &w_h_t.slice(s![2 * hidden.., ..]));
                let mut drz = Array2::zeros((g_h.nrows(), 2 * hidden));
                {
                    let (mut dr, mut dz) = drz.view_mut().split_at(Axis(1), hidden);
                    Zip::from(&mut dr)
                        .and(&to_reset)
                        .and(&h_prev)
                        .and(&r)
                        .for_each(|d, &tr, &hp, &r| *d = tr * hp * r * (S::one() - r));
                    Zip::from(&mut dz)
                        .and(&g_h)
                        .and(&h_prev)
                        .and(&n)
                        .and(&z)
                        .for_each(|d, &gh, &hp, &n, &z| *d = gh * (hp - n) * z * (S::one() - z));
                }
                clamp_error(&mut drz, error_clip);
                let to_h = carry.then(|| {
                    // Through z⊙h_{t−1}, through r⊙h_{t−1}, and through the gates' product.
                    let mut to_h = &g_h * &z;
                    Zip::from(&mut to_h)
                        .and(&to_reset)
                        .and(&r)
                        .for_each(|t, &tr, &r| *t += tr * r);
                    to_h += &product(&drz, &w_h_t.slice(s![..2 * hidden, ..]));
                    to_h
                });
                let delta = ndarray::concatenate(Axis(1), &[drz.view(), dn.view()])
                    .expect("blocks of one height");
                Backward {
                    delta,
                    to_h,
                    to_c: none(),
                    cell_norm: None,
                }
            }
        }
    }

    /// `∂L/∂W_h` `[H, G·H]` from every step's δ (`deltas: [T·n, G·H]`), the states before
    /// each step (`previous: [T·n, H]`, h_0..h_{T−1}) and the gates (`[T·n, G·H]`): one
    /// product over all steps, `previousᵀ·deltas`; the GRU's candidate block multiplies
    /// `r⊙h_{t−1}` instead.
    pub fn recurrent_gradient<S: Scalar>(
        self,
        previous: ArrayView2<S>,
        gates: ArrayView2<S>,
        deltas: ArrayView2<S>,
    ) -> Array2<S> {
        let hidden = previous.ncols();
        match self {
            Self::Vanilla | Self::Lstm => product(&previous.t(), &deltas),
            Self::Gru => {
                let mut grad = Array2::zeros((hidden, 3 * hidden));
                grad.slice_mut(s![.., ..2 * hidden])
                    .assign(&product(&previous.t(), &deltas.slice(s![.., ..2 * hidden])));
                let reset = &gates.slice(s![.., ..hidden]) * &previous;
                grad.slice_mut(s![.., 2 * hidden..])
                    .assign(&product(&reset.t(), &deltas.slice(s![.., 2 * hidden..])));
                grad
            }
        }
    }
}

/// A forward step's results.
#[derive(Clone, Debug)]
pub struct Forward<S> {
    /// The gates after their nonlinearities, `[n, G·H]`.
    pub gates: Array2<S>,
    /// `h_t`, `[n, H]`.
    pub h: Array2<S>,
    /// `c_t`, `[n, H]` (LSTM; `[0, H]` otherwise).
    pub c: Array2<S>,
}

/// What the backward step reads of the forward step.
#[derive(Clone, Copy, Debug)]
pub struct StepStates<'a, S> {
    /// The gates after their nonlinearities, `[n, G·H]`.
    pub gates: ArrayView2<'a, S>,
    /// `h_t`.
    pub h: ArrayView2<'a, S>,
    /// `h_{t−1}`.
    pub h_prev: ArrayView2<'a, S>,
    /// `c_t` (LSTM; empty otherwise).
    pub c: ArrayView2<'a, S>,
    /// `c_{t−1}` (LSTM; empty otherwise).
    pub c_prev: ArrayView2<'a, S>,
}

/// A backward step's results.
#[derive(Clone, Debug)]
pub struct Backward<S> {
    /// δ_t: `∂L/∂` each gate's pre-activation, `[n, G·H]` (clamped under backward clipping).
    pub delta: Array2<S>,
    /// What flows to `∂L/∂h_{t−1}`, unless the error was cut here.
    pub to_h: Option<Array2<S>>,
    /// What flows to `∂L/∂c_{t−1}` (LSTM; empty otherwise or when cut).
    pub to_c: Array2<S>,
    /// ‖∂L/∂c_t‖ (LSTM).
    pub cell_norm: Option<f64>,
}

/// The LSTM's four gate blocks (i, f, g, o) of a `[n, 4H]` array.
fn lstm_blocks<S: Scalar>(
    a: ArrayView2<'_, S>,
    hidden: usize,
) -> (
    ArrayView2<'_, S>,
    ArrayView2<'_, S>,
    ArrayView2<'_, S>,
    ArrayView2<'_, S>,
) {
    let block = |k: usize| a.slice_move(s![.., k * hidden..(k + 1) * hidden]);
    (block(0), block(1), block(2), block(3))
}
