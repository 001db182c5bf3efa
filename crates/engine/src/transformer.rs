//! A small decoder-only Transformer: token embedding plus a learned position embedding, `layers`
//! blocks of causal multi-head self-attention and a GELU MLP on a residual stream, and a linear
//! readout — trained on the RNN's sequence tasks (the language model, copy, adding, series) in
//! their time-major batches.
//!
//! Shapes (row-vector convention `y = x·W + b`, `W: [fan_in, fan_out]`): T = `context`, n
//! sequences, N = T·n rows, row `t·n + i` is sequence i at position t (as the RNN's batches);
//! d = `d_model`, h = `heads`, d_h = d/h, V = the task's input features.
//!
//! - `x_0 = x·W_embed + P[t]`: `x: [N, V]` (a one-hot token, so `x·W_embed` is a row of
//!   `W_embed: [V, d]`, as `nn.Embedding`), `P: [T, d]` (the group `pos`).
//! - Each block l, with `A` = attention and `M` = the MLP:
//!   - `pre`  (Xiong et al. 2020's Pre-LN): `x' = x + A(LN₁(x))`, `x_{l+1} = x' + M(LN₂(x'))`;
//!   - `post` (the original Post-LN):       `x' = LN₁(x + A(x))`, `x_{l+1} = LN₂(x' + M(x'))`;
//!   - `none`: `x' = x + A(x)`, `x_{l+1} = x' + M(x')`.
//! - `A(a)`: `[q | k | v] = a·W_qkv + b_qkv` (`W_qkv: [d, 3d]`, q in columns `0..d`, k in
//!   `d..2d`, v in `2d..3d`; head j takes columns `j·d_h..(j+1)·d_h` of each), per sequence and
//!   head `S = q·kᵀ/√d_h` (`[T, T]`), causal: `S[t, s] = −∞` for s > t, `P = softmax` by rows,
//!   `o = P·v`; the heads' o side by side (`[N, d]`) then `·W_out + b_out` (`W_out: [d, d]`).
//! - `M(m) = GELU(m·W_in + b_in)·W_out2 + b_out2` (`[d, 4d]`, `[4d, d]`), GELU exact:
//!   `x·Φ(x) = x/2·(1 + erf(x/√2))`, as `torch.nn.GELU()`'s default.
//! - LayerNorm as [`layer_norm`](super::layer_norm) (ε = 1e-5). `pre` ends with a final
//!   LayerNorm `ln_f` before the readout; `post` needs none (each block ends normalised);
//!   `none` has no LayerNorm at all.
//! - Readout `ŷ = x_L·W_r + b_r` (`[d, outputs]`, not tied to the embedding), for every row
//!   (readout `all`) or the last position's n rows (`last`), scored by the task's loss.
//!
//! Parameter groups, in this order (a LayerNorm's group is one vector, γ then β, `[2d]`, with an
//! empty `w` — so, like the MLP's LayerNorm and every bias, it is neither penalised nor decayed,
//! as nanoGPT-style scripts leave norms out of weight decay; `embed` and `pos` have no `b` and are
//! decayed like every matrix):
//! `embed`, `pos`, per block `L{i}.attn.qkv`, `L{i}.attn.out`, `L{i}.ln1`, `L{i}.mlp.in`,
//! `L{i}.mlp.out`, `L{i}.ln2` (no `ln` groups with `none`), then `ln_f` (`pre` only), `readout`.
//!
//! Backward: per block in reverse, the chain rule through the same steps; the attention's
//! `dv = Pᵀ·do`, `dP = do·vᵀ`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`, `dq = dS·k/√d_h`,
//! `dk = dSᵀ·q/√d_h`; GELU′(x) = Φ(x) + x·φ(x). The profile is ‖∂L/∂x_l‖, the error on the
//! residual stream entering block l (l = 0 the embedding's output): the Post-LN/Pre-LN picture
//! of Xiong et al. Backward clipping clamps that error at every block boundary.
//!
//! Initialisation (seeded, drawn in f64): `embed` and `pos` entries N(0, σ²) (as
//! `nn.Embedding`); every other matrix N(0, σ²/fan_in); biases 0; γ = 1, β = 0. σ is the
//! weight scale.
//!
//! Reduced precision rounds every product's output, each LayerNorm's, GELU's and softmax's
//! output, each residual sum, and every gradient, as the MLP does.

use super::gemm::Triangle;
use super::group::ParamGroup;
use super::language::{self, VOCAB};
use super::layer_norm::{normalize, normalize_backward};
use super::loss::{LossKind, Penalty};
use super::network::{clamp_error, in_compute_format, Backprop, Network, Pass};
use super::parallel::{self, Parts};
use super::precision::Precision;
use super::rnn::Readout;
use super::scalar::{all_finite, product, sum_sq, Scalar};
use ndarray::{
    s, Array1, Array2, Array3, ArrayView2, ArrayView3, ArrayViewMut2, ArrayViewMut3, Axis,
    ShapeBuilder,
};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Where a block puts its LayerNorms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Norm {
    /// Pre-LN: `x + f(LN(x))`, and a final LayerNorm.
    #[default]
    Pre,
    /// Post-LN: `LN(x + f(x))`.
    Post,
    /// No LayerNorm.
    None,
}

impl Norm {
    /// Every choice, in the order controls list them.
    pub const ALL: [Norm; 3] = [Self::Pre, Self::Post, Self::None];
    /// The names accepted by [`Norm::from_name`].
    pub const NAMES: &'static [&'static str] = &["pre", "post", "none"];

    /// The name used in URLs, flags and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pre => "pre",
            Self::Post => "post",
            Self::None => "none",
        }
    }

    /// Parses a name from [`Norm::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|n| n.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether the blocks have LayerNorms (`ln1`, `ln2`).
    pub fn in_blocks(self) -> bool {
        self != Self::None
    }

    /// Whether a final LayerNorm `ln_f` precedes the readout.
    pub fn has_final(self) -> bool {
        self == Self::Pre
    }
}

/// A Transformer's sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransformerShape {
    /// Input features per position (the vocabulary of a one-hot task).
    pub input_dim: usize,
    /// Outputs per position (classes, or values).
    pub output_dim: usize,
    /// Blocks.
    pub layers: usize,
    /// Width of the residual stream, d.
    pub d_model: usize,
    /// Attention heads h (dividing d).
    pub heads: usize,
    /// Positions T.
    pub context: usize,
}

/// Where one block's groups sit among the network's.
#[derive(Clone, Copy, Debug)]
struct BlockGroups {
    qkv: usize,
    out: usize,
    ln1: Option<usize>,
    mlp_in: usize,
    mlp_out: usize,
    ln2: Option<usize>,
}

impl TransformerShape {
    /// Width of a head, d/h.
    pub fn head_dim(&self) -> usize {
        self.d_model / self.heads.max(1)
    }

    /// Width of the MLP's hidden layer, 4·d.
    pub fn mlp_width(&self) -> usize {
        4 * self.d_model
    }

    /// Every group's name, in order (see the module docs).
    pub fn group_names(&self, norm: Norm) -> Vec<String> {
        self.group_dims(norm)
            .into_iter()
            .map(|(name, ..)| name)
            .collect()
    }

    /// Every group's name, `w`'s shape and `b`'s length, in order.
    pub fn group_dims(&self, norm: Norm) -> Vec<(String, (usize, usize), usize)> {
        let d = self.d_model;
        let mut dims = vec![
            ("embed".to_string(), (self.input_dim, d), 0),
            ("pos".to_string(), (self.context, d), 0),
        ];
        for l in 0..self.layers {
            dims.push((format!("L{l}.attn.qkv"), (d, 3 * d), 3 * d));
            dims.push((format!("L{l}.attn.out"), (d, d), d));
            if norm.in_blocks() {
                dims.push((format!("L{l}.ln1"), (0, 2 * d), 2 * d));
            }
            dims.push((
                format!("L{l}.mlp.in"),
                (d, self.mlp_width()),
                self.mlp_width(),
            ));
            dims.push((format!("L{l}.mlp.out"), (self.mlp_width(), d), d));
            if norm.in_blocks() {
                dims.push((format!("L{l}.ln2"), (0, 2 * d), 2 * d));
            }
        }
        if norm.has_final() {
            dims.push(("ln_f".to_string(), (0, 2 * d), 2 * d));
        }
        dims.push(("readout".to_string(), (d, self.output_dim), self.output_dim));
        dims
    }

    /// Parameters in all.
    pub fn parameter_count(&self, norm: Norm) -> usize {
        self.group_dims(norm)
            .iter()
            .map(|(_, (r, c), b)| r * c + b)
            .sum()
    }

    /// The index of block `l`'s first group.
    fn block_groups(&self, norm: Norm, l: usize) -> BlockGroups {
        let per_block = if norm.in_blocks() { 6 } else { 4 };
        let first = 2 + l * per_block;
        if norm.in_blocks() {
            BlockGroups {
                qkv: first,
                out: first + 1,
                ln1: Some(first + 2),
                mlp_in: first + 3,
                mlp_out: first + 4,
                ln2: Some(first + 5),
            }
        } else {
            BlockGroups {
                qkv: first,
                out: first + 1,
                ln1: None,
                mlp_in: first + 2,
                mlp_out: first + 3,
                ln2: None,
            }
        }
    }

    /// The block a parameter group belongs to (`embed`, `pos` to the first, `ln_f` and the
    /// readout to the last), for a divergence message.
    pub fn block_of_group(&self, norm: Norm, group: usize) -> usize {
        let per_block = if norm.in_blocks() { 6 } else { 4 };
        (group.saturating_sub(2) / per_block).min(self.layers.saturating_sub(1))
    }
}

/// A Transformer and how it is scored.
#[derive(Clone, Debug)]
pub struct Transformer<S> {
    /// The parameter groups (see the module docs).
    pub groups: Vec<ParamGroup<S>>,
    /// Its sizes.
    pub shape: TransformerShape,
    /// Where the LayerNorms sit.
    pub norm: Norm,
    /// The task's loss.
    pub loss: LossKind,
    /// Which positions are scored.
    pub readout: Readout,
}

/// What one block's forward pass keeps for its backward pass.
struct BlockCache<S> {
    x_in: Array2<S>,
    /// Pre-LN: LN₁ of `x_in`, the attention's input (otherwise `x_in` is).
    attn_in: Option<Array2<S>>,
    /// LN₁'s `n` and `1/σ` per row (of `x_in` for Pre-LN, of `x_in + A` for Post-LN).
    ln1: Option<(Array2<S>, Array1<S>)>,
    qkv: Array2<S>,
    /// Softmax of each sequence's and head's scores, `[n·h, T, T]`, sequence-major.
    probs: Array3<S>,
    heads_out: Array2<S>,
    x_mid: Array2<S>,
    /// Pre-LN: LN₂ of `x_mid`, the MLP's input (otherwise `x_mid` is).
    mlp_in: Option<Array2<S>>,
    /// LN₂'s `n` and `1/σ` (of `x_mid` for Pre-LN, of `x_mid + M` for Post-LN).
    ln2: Option<(Array2<S>, Array1<S>)>,
    /// GELU′ of the MLP's hidden pre-activation = Φ + x·φ, computed with GELU itself (one erf and exp per value).
    slope: Array2<S>,
    act: Array2<S>,
}

/// What the forward pass keeps.
struct Forward<S> {
    blocks: Vec<BlockCache<S>>,
    /// `ln_f`'s `n` and `1/σ`, for Pre-LN.
    final_norm: Option<(Array2<S>, Array1<S>)>,
    /// What the readout reads (all rows).
    readout_in: Array2<S>,
    logits: Array2<S>,
    logit_max: Vec<f64>,
    entropy: Vec<f64>,
    first_bad: Option<usize>,
}

/// Sequence i's head h: views of its q, k and v, each `[T, d_h]` (rows strided, as they sit
/// in `qkv`: the matrix products read them in place).
fn head_parts<'a, S: Scalar>(
    qkv3: ArrayView3<'a, S>,
    i: usize,
    h: usize,
    d: usize,
    dh: usize,
) -> [ArrayView2<'a, S>; 3] {
    [0, 1, 2].map(|part| {
        let first = part * d + h * dh;
        qkv3.slice_move(s![.., i, first..first + dh])
    })
}

/// Row t of a head's scores (`q_t·k_s` for every s) in place: scaled by 1/√d_h and rounded,
/// masked to s ≤ t, and turned into softmax probabilities (0 past t). Returns the row's largest
/// scaled logit (NaN if any is) and its entropy `−Σ p ln p = ln Σe − Σ e·(z − top)/Σe` (one
/// logarithm a row; e = exp(z − top)). `scratch` holds at least `t + 1` values. The sums run in
/// four interleaved lanes, so the loops vectorise.
fn causal_softmax<S: Scalar>(
    row: &mut [S],
    t: usize,
    scale: S,
    precision: Precision,
    scratch: &mut [S],
) -> (f64, f64) {
    let (seen, future) = row.split_at_mut(t + 1);
    future.fill(S::zero());
    seen.iter_mut().for_each(|z| *z *= scale);
    precision.round_slice(seen);
    // NaN sticks: a lane that has seen one keeps it (no comparison with NaN is true).
    let nan_max = |top: S, z: S| if z > top || z.is_nan() { z } else { top };
    let top = in_lanes(seen, S::neg_infinity(), nan_max, nan_max);
    // Three plain passes (each vectorises): the shifted logits, their exponentials, the sums.
    let shifted = &mut scratch[..seen.len()];
    for (shifted, &z) in shifted.iter_mut().zip(seen.iter()) {
        *shifted = z - top;
    }
    for (e, &shifted) in seen.iter_mut().zip(shifted.iter()) {
        *e = shifted.exp_fast();
    }
    let (mut sum, mut weighted) = ([S::zero(); LANES], [S::zero(); LANES]);
    for (e, shifted) in seen.chunks(LANES).zip(shifted.chunks(LANES)) {
        for (lane, (&e, &shifted)) in e.iter().zip(shifted).enumerate() {
            sum[lane] += e;
            // e = 0 adds nothing (and a −∞ logit must not make 0·∞).
            weighted[lane] += if e > S::zero() {
                e * shifted
            } else {
                S::zero()
            };
        }
    }
    let add = |a: S, b: S| a + b;
    let (sum, weighted) = (
        sum.into_iter().fold(S::zero(), add),
        weighted.into_iter().fold(S::zero(), add),
    );
    seen.iter_mut().for_each(|p| *p = *p / sum);
    precision.round_slice(seen);
    let entropy = sum.wide().ln() - (weighted / sum).wide();
    (top.wide(), entropy)
}

/// Lanes of the interleaved reductions.
const LANES: usize = 4;

/// Folds `values` in [`LANES`] interleaved lanes with `step`, then the lanes with `merge`.
fn in_lanes<S: Scalar>(
    values: &[S],
    init: S,
    step: impl Fn(S, S) -> S,
    merge: impl Fn(S, S) -> S,
) -> S {
    let mut lanes = [init; LANES];
    for chunk in values.chunks(LANES) {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = step(*lane, v);
        }
    }
    lanes.into_iter().fold(init, merge)
}

/// Row t of a head's `dS` in place from `dP`'s row `g` and `P`'s row `p`:
/// `dS = P ⊙ (dP − Σ dP ⊙ P)/√d_h` on s ≤ t, rounded, and 0 past t (where `P` is 0).
fn softmax_backward_row<S: Scalar>(g: &mut [S], p: &[S], t: usize, scale: S, precision: Precision) {
    let (seen, future) = g.split_at_mut(t + 1);
    future.fill(S::zero());
    let p = &p[..=t];
    let mut lanes = [S::zero(); LANES];
    for (g, p) in seen.chunks(LANES).zip(p.chunks(LANES)) {
        for ((lane, &g), &p) in lanes.iter_mut().zip(g).zip(p) {
            *lane += g * p;
        }
    }
    let weighted = lanes.into_iter().fold(S::zero(), |a, b| a + b);
    for (g, &p) in seen.iter_mut().zip(p) {
        *g = p * (*g - weighted) * scale;
    }
    precision.round_slice(seen);
}

/// GELU(x) = x·Φ(x) and its slope Φ(x) + x·φ(x) for every value of `hidden` (a fresh product,
/// so contiguous: the loop runs over plain slices, which the compiler vectorises), in pieces
/// shared between threads where there are two (each value computed alone, so the same bits).
fn gelu_and_slope<S: Scalar>(hidden: &Array2<S>) -> (Array2<S>, Array2<S>) {
    /// Values per piece: ~15 µs of work.
    const PIECE: usize = 1 << 12;
    let hidden = hidden.as_standard_layout();
    let mut act = Array2::zeros(hidden.raw_dim());
    let mut slope = Array2::zeros(hidden.raw_dim());
    let values = hidden.as_slice().expect("standard layout");
    let (acts, slopes) = (Parts::new(act.as_mut_ptr()), Parts::new(slope.as_mut_ptr()));
    let piece = |i: usize| {
        let (from, to) = (i * PIECE, ((i + 1) * PIECE).min(values.len()));
        // SAFETY: piece i alone writes values from..to of `act` and `slope`, fresh arrays of
        // `values.len()` each.
        let (acts, slopes) = unsafe {
            (
                std::slice::from_raw_parts_mut(acts.at(from), to - from),
                std::slice::from_raw_parts_mut(slopes.at(from), to - from),
            )
        };
        for ((a, g), &x) in acts
            .iter_mut()
            .zip(slopes.iter_mut())
            .zip(&values[from..to])
        {
            let (cdf, pdf) = x.normal_cdf_pdf();
            *a = x * cdf;
            *g = cdf + x * pdf;
        }
    };
    parallel::for_each(values.len().div_ceil(PIECE), &piece);
    (act, slope)
}

/// The larger of two, NaN if either is (so a NaN logit shows in the statistics).
fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// `input·W + b` (no `b` for an empty one), rounded.
fn linear<S: Scalar>(
    input: ArrayView2<S>,
    group: &ParamGroup<S>,
    precision: Precision,
) -> Array2<S> {
    let mut z = product(&input, &group.w);
    if !group.b.is_empty() {
        z += &group.b;
    }
    precision.round_all(&mut z);
    z
}

/// A LayerNorm group's γ and β: the first and second half of its vector.
fn gain_and_bias<S>(
    group: &ParamGroup<S>,
) -> (ndarray::ArrayView1<'_, S>, ndarray::ArrayView1<'_, S>) {
    let d = group.b.len() / 2;
    (group.b.slice(s![..d]), group.b.slice(s![d..]))
}

/// LayerNorm with the group's γ and β, rounded; and what backward needs.
fn layer_norm<S: Scalar>(
    z: &Array2<S>,
    group: &ParamGroup<S>,
    precision: Precision,
) -> (Array2<S>, (Array2<S>, Array1<S>)) {
    let (gain, bias) = gain_and_bias(group);
    let (n, inv_std) = normalize(z);
    let mut u = &n * &gain + bias;
    precision.round_all(&mut u);
    (u, (n, inv_std))
}

/// LayerNorm's backward into `∂z`, and the group's gradient (∂γ then ∂β in one vector).
fn layer_norm_backward<S: Scalar>(
    grad_u: &Array2<S>,
    cache: &(Array2<S>, Array1<S>),
    group: &ParamGroup<S>,
    precision: Precision,
) -> (Array2<S>, ParamGroup<S>) {
    let (gain, _) = gain_and_bias(group);
    let (mut grad_z, grad_gain, grad_bias) = normalize_backward(grad_u, &cache.0, &cache.1, gain);
    let mut grad = ndarray::concatenate![Axis(0), grad_gain, grad_bias];
    precision.round_all(&mut grad_z);
    precision.round_all(&mut grad);
    (grad_z, ParamGroup::vector(grad))
}

impl<S: Scalar> Transformer<S> {
    /// A freshly initialised Transformer (see the module docs), weights drawn from `rng`.
    pub fn new<R: Rng + ?Sized>(
        shape: TransformerShape,
        norm: Norm,
        loss: LossKind,
        readout: Readout,
        weight_scale: f64,
        rng: &mut R,
    ) -> Self {
        let groups = shape
            .group_dims(norm)
            .into_iter()
            .map(|(name, (rows, cols), bias)| {
                if name.contains("ln") {
                    // γ = 1, β = 0.
                    let d = bias / 2;
                    let mut vector = Array1::zeros(bias);
                    vector.slice_mut(s![..d]).fill(S::one());
                    return ParamGroup::vector(vector);
                }
                let std = if name == "embed" || name == "pos" {
                    weight_scale
                } else {
                    weight_scale / (rows as f64).sqrt()
                };
                ParamGroup {
                    w: Array2::from_shape_simple_fn((rows, cols), || {
                        S::of(std * rng.sample::<f64, _>(StandardNormal))
                    }),
                    b: Array1::zeros(bias),
                }
            })
            .collect();
        Self {
            groups,
            shape,
            norm,
            loss,
            readout,
        }
    }

    /// The same network in another float type.
    pub fn cast<T: Scalar>(&self) -> Transformer<T> {
        Transformer {
            groups: self.groups.iter().map(ParamGroup::cast).collect(),
            shape: self.shape,
            norm: self.norm,
            loss: self.loss,
            readout: self.readout,
        }
    }

    /// Sequences in a batch of `rows` rows.
    fn sequences(&self, rows: usize) -> usize {
        rows / self.shape.context.max(1)
    }

    /// A time-major `[T·n, w]` array seen as `[T, n, w]`, without a copy (row t·n + i is
    /// position t of sequence i).
    fn by_position<'a>(&self, rows: ArrayView2<'a, S>) -> ArrayView3<'a, S> {
        let shape = (
            self.shape.context,
            self.sequences(rows.nrows()),
            rows.ncols(),
        );
        rows.into_shape_with_order(shape).expect("rows are T·n")
    }

    /// The same, mutably.
    fn by_position_mut<'a>(&self, rows: ArrayViewMut2<'a, S>) -> ArrayViewMut3<'a, S> {
        let shape = (
            self.shape.context,
            self.sequences(rows.nrows()),
            rows.ncols(),
        );
        rows.into_shape_with_order(shape).expect("rows are T·n")
    }

    /// Causal multi-head attention over `qkv: [N, 3d]`: the heads' outputs side by side
    /// `[N, d]`, the softmax probabilities `[n·h, T, T]` (zero above the diagonal), and per head
    /// the largest logit and the mean entropy. Each sequence's and head's `q·kᵀ` and `P·v` are
    /// two matrix products of the engine's kernel, reading q, k and v where they sit in `qkv`
    /// and writing the scores into `probs` and `o` into the output; they skip the causal mask's
    /// zeros ([`Triangle`]: only the scores' lower triangle, only `P`'s nonzero columns), which
    /// halves the attention's arithmetic at no change in any value.
    fn attend(
        &self,
        qkv: &Array2<S>,
        precision: Precision,
    ) -> (Array2<S>, Array3<S>, Vec<f64>, Vec<f64>) {
        let TransformerShape {
            d_model: d,
            heads,
            context: t_len,
            ..
        } = self.shape;
        let dh = self.shape.head_dim();
        let n = self.sequences(qkv.nrows());
        let scale = S::of(1.0 / (dh as f64).sqrt());
        let qkv3 = self.by_position(qkv.view());
        let mut out = Array2::<S>::zeros((t_len * n, d));
        let mut probs = Array3::<S>::zeros((n * heads, t_len, t_len));
        // Each sequence's head is one job (shared between threads where there are two); its
        // rows' largest logit and entropy are gathered in the order one thread takes them.
        let mut row_stats = vec![(0.0f64, 0.0f64); n * heads * t_len];
        let (probs_at, out_at, stats_at) = (
            Parts::new(probs.as_mut_ptr()),
            Parts::new(out.as_mut_ptr()),
            Parts::new(row_stats.as_mut_ptr()),
        );
        let head = |pair: usize| {
            let (i, h) = (pair / heads, pair % heads);
            let [q, k, v] = head_parts(qkv3, i, h, d, dh);
            // SAFETY: job `pair` alone touches `probs[pair]`, its rows of `row_stats`, and the
            // columns of head h at sequence i's rows of `out` (rows t·n + i, stride n·d).
            let (mut p, stats, o) = unsafe {
                (
                    ArrayViewMut2::from_shape_ptr(
                        (t_len, t_len),
                        probs_at.at(pair * t_len * t_len),
                    ),
                    std::slice::from_raw_parts_mut(stats_at.at(pair * t_len), t_len),
                    ArrayViewMut2::from_shape_ptr(
                        (t_len, dh).strides((n * d, 1)),
                        out_at.at(i * d + h * dh),
                    ),
                )
            };
            let mut scratch = vec![S::zero(); t_len];
            // Only the lower triangle: the softmax masks the rest.
            S::gemm_triangle(
                S::one(),
                q,
                k.t(),
                S::zero(),
                p.view_mut(),
                Triangle::LowerOfC,
            );
            for ((t, mut row), stat) in p.rows_mut().into_iter().enumerate().zip(stats) {
                let row = row.as_slice_mut().expect("contiguous");
                *stat = causal_softmax(row, t, scale, precision, &mut scratch);
            }
            S::gemm_triangle(S::one(), p.view(), v, S::zero(), o, Triangle::LowerA);
        };
        parallel::for_each(n * heads, &head);
        let mut logit_max = vec![f64::NEG_INFINITY; heads];
        let mut entropy = vec![0.0; heads];
        for (pair, rows) in row_stats.chunks(t_len).enumerate() {
            let h = pair % heads;
            for &(top, row_entropy) in rows {
                logit_max[h] = nan_max(logit_max[h], top);
                entropy[h] += row_entropy;
            }
        }
        precision.round_all(&mut out);
        for e in &mut entropy {
            *e /= (n * t_len).max(1) as f64;
        }
        (out, probs, logit_max, entropy)
    }

    /// The attention's backward: from `∂(heads' outputs)` to `∂qkv` (see the module docs).
    fn attend_backward(
        &self,
        qkv: &Array2<S>,
        probs: &Array3<S>,
        grad_out: &Array2<S>,
        precision: Precision,
    ) -> Array2<S> {
        let TransformerShape {
            d_model: d,
            heads,
            context: t_len,
            ..
        } = self.shape;
        let dh = self.shape.head_dim();
        let n = self.sequences(qkv.nrows());
        let scale = S::of(1.0 / (dh as f64).sqrt());
        let qkv3 = self.by_position(qkv.view());
        let grad3 = self.by_position(grad_out.view());
        let mut grad_qkv = Array2::<S>::zeros((t_len * n, 3 * d));
        let grad_at = Parts::new(grad_qkv.as_mut_ptr());
        // Each sequence's head is one job (shared between threads where there are two).
        let head = |pair: usize| {
            let (i, h) = (pair / heads, pair % heads);
            let [q, k, v] = head_parts(qkv3, i, h, d, dh);
            let p = probs.slice(s![pair, .., ..]);
            let grad_o = grad3.slice(s![.., i, h * dh..(h + 1) * dh]);
            // SAFETY: job `pair` alone writes head h's columns of q, k and v at sequence i's
            // rows of `grad_qkv` (rows t·n + i, stride n·3d).
            let [grad_q, grad_k, grad_v] = [0, 1, 2].map(|part| unsafe {
                ArrayViewMut2::from_shape_ptr(
                    (t_len, dh).strides((n * 3 * d, 1)),
                    grad_at.at(i * 3 * d + part * d + h * dh),
                )
            });
            // dP, then dS, of this sequence's head.
            let mut grad_s = Array2::<S>::zeros((t_len, t_len));
            let zero = S::zero();
            S::gemm_triangle(S::one(), p.t(), grad_o, zero, grad_v, Triangle::UpperA);
            // dS = P ⊙ (dP − rowsum(dP ⊙ P)) / √d_h, with dP = do·vᵀ (its lower triangle:
            // dS is 0 above the diagonal, where P is).
            S::gemm_triangle(
                S::one(),
                grad_o,
                v.t(),
                zero,
                grad_s.view_mut(),
                Triangle::LowerOfC,
            );
            for (t, (mut g, p)) in grad_s.rows_mut().into_iter().zip(p.rows()).enumerate() {
                let g = g.as_slice_mut().expect("contiguous");
                let p = p.as_slice().expect("contiguous");
                softmax_backward_row(g, p, t, scale, precision);
            }
            S::gemm_triangle(S::one(), grad_s.view(), k, zero, grad_q, Triangle::LowerA);
            S::gemm_triangle(S::one(), grad_s.t(), q, zero, grad_k, Triangle::UpperA);
        };
        parallel::for_each(n * heads, &head);
        precision.round_all(&mut grad_qkv);
        grad_qkv
    }

    /// One block forward from its input; returns what backward needs, and the block's output.
    fn block_forward(
        &self,
        l: usize,
        x_in: Array2<S>,
        precision: Precision,
        logit_max: &mut Vec<f64>,
        entropy: &mut Vec<f64>,
    ) -> (BlockCache<S>, Array2<S>) {
        let at = self.shape.block_groups(self.norm, l);
        let g = &self.groups;
        let (mut ln1, attn_in) = match (self.norm, at.ln1) {
            (Norm::Pre, Some(ln)) => {
                let (u, cache) = layer_norm(&x_in, &g[ln], precision);
                (Some(cache), Some(u))
            }
            _ => (None, None),
        };
        let qkv = linear(
            attn_in.as_ref().unwrap_or(&x_in).view(),
            &g[at.qkv],
            precision,
        );
        let (heads_out, probs, maxima, entropies) = self.attend(&qkv, precision);
        logit_max.extend(maxima);
        entropy.extend(entropies);
        let attended = linear(heads_out.view(), &g[at.out], precision);
        let mut x_mid = &x_in + &attended;
        precision.round_all(&mut x_mid);
        if let (Norm::Post, Some(ln)) = (self.norm, at.ln1) {
            let (u, cache) = layer_norm(&x_mid, &g[ln], precision);
            ln1 = Some(cache);
            x_mid = u;
        }
        let (mut ln2, mlp_in) = match (self.norm, at.ln2) {
            (Norm::Pre, Some(ln)) => {
                let (u, cache) = layer_norm(&x_mid, &g[ln], precision);
                (Some(cache), Some(u))
            }
            _ => (None, None),
        };
        let hidden = linear(
            mlp_in.as_ref().unwrap_or(&x_mid).view(),
            &g[at.mlp_in],
            precision,
        );
        let (mut act, slope) = gelu_and_slope(&hidden);
        precision.round_all(&mut act);
        let fed = linear(act.view(), &g[at.mlp_out], precision);
        let mut x_out = &x_mid + &fed;
        precision.round_all(&mut x_out);
        if let (Norm::Post, Some(ln)) = (self.norm, at.ln2) {
            let (u, cache) = layer_norm(&x_out, &g[ln], precision);
            ln2 = Some(cache);
            x_out = u;
        }
        let cache = BlockCache {
            x_in,
            attn_in,
            ln1,
            qkv,
            probs,
            heads_out,
            x_mid,
            mlp_in,
            ln2,
            slope,
            act,
        };
        (cache, x_out)
    }

    /// The forward pass on `x: [T·n, V]`.
    fn forward_pass(&self, x: ArrayView2<S>, precision: Precision) -> Forward<S> {
        let mut stream = product(&x, &self.groups[0].w);
        {
            let mut stream3 = self.by_position_mut(stream.view_mut());
            stream3 += &self.groups[1].w.view().insert_axis(Axis(1));
        }
        precision.round_all(&mut stream);
        let mut first_bad = (!all_finite(&stream)).then_some(0);
        let layers = self.shape.layers;
        let mut blocks = Vec::with_capacity(layers);
        let (mut logit_max, mut entropy) = (Vec::new(), Vec::new());
        for l in 0..layers {
            let (cache, out) =
                self.block_forward(l, stream, precision, &mut logit_max, &mut entropy);
            blocks.push(cache);
            stream = out;
            if first_bad.is_none() && !all_finite(&stream) {
                first_bad = Some(l);
            }
        }
        let (final_norm, readout_in) = if self.norm.has_final() {
            let ln_f = &self.groups[self.groups.len() - 2];
            let (u, cache) = layer_norm(&stream, ln_f, precision);
            (Some(cache), u)
        } else {
            (None, stream)
        };
        let readout = &self.groups[self.groups.len() - 1];
        let logits = linear(self.scored_rows(&readout_in), readout, precision);
        if first_bad.is_none() && !all_finite(&logits) {
            first_bad = Some(layers);
        }
        Forward {
            blocks,
            final_norm,
            readout_in,
            logits,
            logit_max,
            entropy,
            first_bad,
        }
    }

    /// The rows the loss scores: all of them, or the last position's.
    fn scored_rows<'a>(&self, rows: &'a Array2<S>) -> ArrayView2<'a, S> {
        match self.readout {
            Readout::All => rows.view(),
            Readout::Last => {
                let n = self.sequences(rows.nrows());
                rows.slice(s![(self.shape.context - 1) * n.., ..])
            }
        }
    }

    /// One block backward: `∂L/∂x_in` from `∂L/∂x_out`; the block's gradients go into `grads`.
    fn block_backward(
        &self,
        l: usize,
        cache: &BlockCache<S>,
        grad_out: Array2<S>,
        precision: Precision,
        grads: &mut [Option<ParamGroup<S>>],
    ) -> Array2<S> {
        let at = self.shape.block_groups(self.norm, l);
        let g = &self.groups;
        // Back through LayerNorm `ln` where the placement puts one (its input's gradient, its
        // own stored), or the gradient as it is where there is none.
        let through = |place: Norm,
                       ln: Option<usize>,
                       cache: &Option<(Array2<S>, Array1<S>)>,
                       grad: Array2<S>,
                       grads: &mut [Option<ParamGroup<S>>]| {
            match (ln, cache) {
                (Some(ln), Some(c)) if self.norm == place => {
                    let (grad_in, grad_ln) = layer_norm_backward(&grad, c, &g[ln], precision);
                    grads[ln] = Some(grad_ln);
                    grad_in
                }
                _ => grad,
            }
        };
        // x_out = [LN₂](x_mid + M(·)).
        let grad_sum2 = through(Norm::Post, at.ln2, &cache.ln2, grad_out, grads);
        let grad_act = dense_backward(
            cache.act.view(),
            &grad_sum2,
            &g[at.mlp_out],
            at.mlp_out,
            precision,
            grads,
        );
        let mut grad_hidden = grad_act * &cache.slope;
        precision.round_all(&mut grad_hidden);
        let mlp_in = cache.mlp_in.as_ref().unwrap_or(&cache.x_mid);
        let grad_mlp_in = dense_backward(
            mlp_in.view(),
            &grad_hidden,
            &g[at.mlp_in],
            at.mlp_in,
            precision,
            grads,
        );
        let mut grad_mid = grad_sum2;
        grad_mid += &through(Norm::Pre, at.ln2, &cache.ln2, grad_mlp_in, grads);
        precision.round_all(&mut grad_mid);
        // x_mid = [LN₁](x_in + A(·)).
        let grad_sum1 = through(Norm::Post, at.ln1, &cache.ln1, grad_mid, grads);
        let grad_heads = dense_backward(
            cache.heads_out.view(),
            &grad_sum1,
            &g[at.out],
            at.out,
            precision,
            grads,
        );
        let grad_qkv = self.attend_backward(&cache.qkv, &cache.probs, &grad_heads, precision);
        let attn_in = cache.attn_in.as_ref().unwrap_or(&cache.x_in);
        let grad_attn_in = dense_backward(
            attn_in.view(),
            &grad_qkv,
            &g[at.qkv],
            at.qkv,
            precision,
            grads,
        );
        let mut grad_in = grad_sum1;
        grad_in += &through(Norm::Pre, at.ln1, &cache.ln1, grad_attn_in, grads);
        precision.round_all(&mut grad_in);
        grad_in
    }

    /// The pass on weights and input already in the compute format.
    fn backprop_rounded(
        &self,
        x: ArrayView2<S>,
        y: ArrayView2<S>,
        penalty: &Penalty,
        how: &Pass,
    ) -> Backprop<S> {
        let (precision, error_clip) = (how.precision, how.scaled_error_clip());
        let fwd = self.forward_pass(x, precision);
        let (data_loss, grad_logits) = self.loss.eval(fwd.logits.view(), y);
        let grad_logits = how.seed(grad_logits);
        let loss = data_loss + penalty.value(&self.groups);
        let count = self.groups.len();
        let mut grads: Vec<Option<ParamGroup<S>>> = vec![None; count];

        let readout_rows = self.scored_rows(&fwd.readout_in);
        let grad_rows = dense_backward(
            readout_rows,
            &grad_logits,
            &self.groups[count - 1],
            count - 1,
            precision,
            &mut grads,
        );
        let mut grad_stream = match self.readout {
            Readout::All => grad_rows,
            Readout::Last => {
                let mut all = Array2::zeros(fwd.readout_in.raw_dim());
                let first = all.nrows() - grad_rows.nrows();
                all.slice_mut(s![first.., ..]).assign(&grad_rows);
                all
            }
        };
        if let Some(c) = &fwd.final_norm {
            let (grad, grad_ln) =
                layer_norm_backward(&grad_stream, c, &self.groups[count - 2], precision);
            grads[count - 2] = Some(grad_ln);
            grad_stream = grad;
        }
        let layers = self.shape.layers;
        let mut block_norms = vec![0.0; layers];
        clamp_error(&mut grad_stream, error_clip);
        for l in (0..layers).rev() {
            grad_stream =
                self.block_backward(l, &fwd.blocks[l], grad_stream, precision, &mut grads);
            clamp_error(&mut grad_stream, error_clip);
            block_norms[l] = sum_sq(&grad_stream).sqrt();
        }
        // x_0 = x·W_embed + P[t]: P's gradient sums each position's rows over the sequences.
        let mut grad_embed = product(&x.t(), &grad_stream);
        precision.round_all(&mut grad_embed);
        let mut grad_pos = self.by_position(grad_stream.view()).sum_axis(Axis(1));
        precision.round_all(&mut grad_pos);
        grads[0] = Some(ParamGroup {
            w: grad_embed,
            b: Array1::zeros(0),
        });
        grads[1] = Some(ParamGroup {
            w: grad_pos,
            b: Array1::zeros(0),
        });
        let scaled_penalty = how.scaled_penalty(penalty);
        let grads = grads
            .into_iter()
            .zip(&self.groups)
            .map(|(grad, group)| {
                let mut grad = grad.expect("every group has a gradient");
                scaled_penalty.add_gradient(&group.w, &mut grad.w);
                grad
            })
            .collect();
        Backprop {
            loss,
            grads,
            delta_norms: block_norms,
            cell_norms: Vec::new(),
            first_non_finite_activation: fwd.first_bad,
            attn_logit_max: fwd.logit_max,
            attn_entropy: fwd.entropy,
        }
    }
}

/// The backward of `z = input·W + b` for group `index`: stores `(∂W, ∂b)` in `grads` and
/// returns `∂input`.
fn dense_backward<S: Scalar>(
    input: ArrayView2<S>,
    grad_z: &Array2<S>,
    group: &ParamGroup<S>,
    index: usize,
    precision: Precision,
    grads: &mut [Option<ParamGroup<S>>],
) -> Array2<S> {
    let mut grad_w = product(&input.t(), grad_z);
    precision.round_all(&mut grad_w);
    let mut grad_b = if group.b.is_empty() {
        Array1::zeros(0)
    } else {
        grad_z.sum_axis(Axis(0))
    };
    precision.round_all(&mut grad_b);
    grads[index] = Some(ParamGroup {
        w: grad_w,
        b: grad_b,
    });
    let mut grad_input = product(grad_z, &group.w.t());
    precision.round_all(&mut grad_input);
    grad_input
}

impl<S: Scalar> Network<S> for Transformer<S> {
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
        let rebuild = |groups| Transformer {
            groups,
            ..self.clone_shape()
        };
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

    fn write(&self, length: usize, temperature: f64, rng: &mut dyn Rng) -> Option<String> {
        self.write_text(length, temperature, rng)
    }
}

impl<S: Scalar> Transformer<S> {
    /// `length` characters written from a space: each next symbol drawn (see
    /// [`language::draw`]) from the readout at the newest position of a window of the newest
    /// `context` symbols, which sit at positions `0..` as a training window's do. The window's
    /// rows past the text hold spaces, which the causal mask keeps from every row before them,
    /// so the forward pass has its training shape, one sequence. From the master weights with
    /// nothing rounded to a reduced format, as the RNN's sample is; `None` for a model whose
    /// vocabulary is not the text's, or once a logit is not finite.
    fn write_text(&self, length: usize, temperature: f64, rng: &mut dyn Rng) -> Option<String> {
        let t_len = self.shape.context;
        let embed = &self.groups[0].w;
        let readout = &self.groups[self.groups.len() - 1];
        if t_len == 0 || embed.nrows() != VOCAB || readout.w.ncols() != VOCAB {
            return None;
        }
        let space = language::symbol_of(' ').unwrap_or(0);
        let mut symbols = vec![space];
        let mut text = String::with_capacity(length);
        let mut x = Array2::<S>::zeros((t_len, VOCAB));
        for _ in 0..length {
            let window = &symbols[symbols.len().saturating_sub(t_len)..];
            x.fill(S::zero());
            for (t, mut row) in x.rows_mut().into_iter().enumerate() {
                row[window.get(t).copied().unwrap_or(space)] = S::one();
            }
            let fwd = self.forward_pass(x.view(), Precision::F32);
            let newest = window.len() - 1;
            let logits = product(&fwd.readout_in.slice(s![newest..=newest, ..]), &readout.w);
            let logits = logits
                .iter()
                .zip(readout.b.iter())
                .map(|(z, b)| (*z + *b).wide());
            let symbol = language::draw(logits, temperature, rng)?;
            symbols.push(symbol);
            text.push(language::char_of(symbol));
        }
        Some(text)
    }

    /// The same network without its groups (for the compute-format copy).
    fn clone_shape(&self) -> Transformer<S> {
        Transformer {
            groups: Vec::new(),
            shape: self.shape,
            norm: self.norm,
            loss: self.loss,
            readout: self.readout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};
    use crate::sequence::{SeriesShape, Task};

    fn tiny(norm: Norm, task: Task, readout: Readout, layers: usize) -> Transformer<f64> {
        let shape = TransformerShape {
            input_dim: task.input_dim(),
            output_dim: task.output_dim(),
            layers,
            d_model: 8,
            heads: 2,
            context: 5,
        };
        let mut rng = stream_rng(7, Stream::Init);
        let mut net = Transformer::<f64>::new(shape, norm, task.loss(), readout, 1.0, &mut rng);
        // Move γ, β and the biases off 1 and 0, so their gradients are checked in general.
        for (g, group) in net.groups.iter_mut().enumerate() {
            for (j, b) in group.b.iter_mut().enumerate() {
                *b += 0.1 * ((g * 7 + j * 3) % 5) as f64 - 0.2;
            }
        }
        net
    }

    fn batch(task: Task, readout: Readout) -> (Array2<f64>, Array2<f64>) {
        let mut rng = stream_rng(3, Stream::Batches);
        let series = SeriesShape::draw(&mut rng);
        let (x, y) = task.batch(&series, 5, 3, readout, &mut rng);
        (x.mapv(f64::from), y.mapv(f64::from))
    }

    /// Central differences in f64, h = 1e-6, on every parameter of every group, against the
    /// backward pass: `|a − n| ≤ 1e-8 + 1e-5·(|a| + |n|)` (the floor for gradients that are 0 by the
    /// math, like the key bias's: softmax ignores what adds to every score of a row).
    fn check_gradient(net: &Transformer<f64>, x: &Array2<f64>, y: &Array2<f64>, penalty: &Penalty) {
        let analytic = net.backprop(x.view(), y.view(), penalty);
        let h = 1e-6;
        let mut worst = 0.0f64;
        for g in 0..net.groups.len() {
            let size = net.groups[g].w.len() + net.groups[g].b.len();
            for e in 0..size {
                let mut probe = net.clone();
                let at = |p: &mut Transformer<f64>, delta: f64| {
                    let group = &mut p.groups[g];
                    let wl = group.w.len();
                    let v = if e < wl {
                        &mut group.w.as_slice_mut().unwrap()[e]
                    } else {
                        &mut group.b.as_slice_mut().unwrap()[e - wl]
                    };
                    *v += delta;
                };
                at(&mut probe, h);
                let up = probe.backprop(x.view(), y.view(), penalty).loss;
                at(&mut probe, -2.0 * h);
                let down = probe.backprop(x.view(), y.view(), penalty).loss;
                let numeric = (up - down) / (2.0 * h);
                let grad = &analytic.grads[g];
                let wl = grad.w.len();
                let a = if e < wl {
                    grad.w.as_slice().unwrap()[e]
                } else {
                    grad.b.as_slice().unwrap()[e - wl]
                };
                let err = (a - numeric).abs() / (1e-3 + a.abs() + numeric.abs());
                worst = worst.max(err);
                assert!(
                    (a - numeric).abs() <= 1e-8 + 1e-5 * (a.abs() + numeric.abs()),
                    "group {g} element {e}: {a} vs {numeric}"
                );
            }
        }
        assert!(worst.is_finite());
    }

    #[test]
    fn gradient_matches_finite_differences_for_every_norm() {
        let penalty = Penalty { l1: 0.0, l2: 0.01 };
        for norm in Norm::ALL {
            for (task, readout) in [
                (Task::Language, Readout::All),
                (Task::Adding, Readout::Last),
            ] {
                let net = tiny(norm, task, readout, 2);
                let (x, y) = batch(task, readout);
                check_gradient(&net, &x, &y, &penalty);
            }
        }
    }

    #[test]
    fn groups_are_named_and_shaped() {
        let net = tiny(Norm::Pre, Task::Language, Readout::All, 2);
        let names = net.shape.group_names(Norm::Pre);
        assert_eq!(names.len(), net.groups.len());
        assert_eq!(names[0], "embed");
        assert_eq!(
            names[2..8],
            [
                "L0.attn.qkv",
                "L0.attn.out",
                "L0.ln1",
                "L0.mlp.in",
                "L0.mlp.out",
                "L0.ln2"
            ]
        );
        assert_eq!(names[names.len() - 2..], ["ln_f", "readout"]);
        assert_eq!(net.groups[2].w.dim(), (8, 24));
        assert_eq!(net.groups[1].w.dim(), (5, 8));
        // LayerNorm: one vector, γ = 1 then β = 0, and no matrix.
        assert_eq!(net.groups[4].w.len(), 0);
        assert_eq!(net.groups[4].b.len(), 16);
        let post = tiny(Norm::Post, Task::Language, Readout::All, 2)
            .shape
            .group_names(Norm::Post);
        assert!(!post.contains(&"ln_f".to_string()));
        let none = tiny(Norm::None, Task::Language, Readout::All, 2)
            .shape
            .group_names(Norm::None);
        assert!(!none.iter().any(|n| n.contains("ln")));
        assert_eq!(net.shape.block_of_group(Norm::Pre, 9), 1);
    }

    /// Causal: the logits at position t do not move when a later token changes.
    #[test]
    fn attention_is_causal() {
        let net = tiny(Norm::Pre, Task::Language, Readout::All, 2);
        let (x, _) = batch(Task::Language, Readout::All);
        let before = net.forward_pass(x.view(), Precision::F32).logits;
        let mut later = x.clone();
        // Sequence 0's last position (t = 4, rows 4·3 + 0) gets another token.
        later.row_mut(12).fill(0.0);
        later[[12, 5]] = 1.0;
        let after = net.forward_pass(later.view(), Precision::F32).logits;
        for row in 0..12 {
            assert_eq!(before.row(row), after.row(row), "row {row}");
        }
        assert_ne!(before.row(12), after.row(12));
    }

    /// At position 0 a query sees one key: entropy 0 there; with uniform attention over t + 1
    /// keys the mean entropy is the mean of ln(t + 1) — with zero q·k (zero W_qkv) it is that.
    #[test]
    fn attention_statistics_by_hand() {
        let mut net = tiny(Norm::Pre, Task::Language, Readout::All, 1);
        net.groups[2].w.fill(0.0);
        net.groups[2].b.fill(0.0);
        let (x, y) = batch(Task::Language, Readout::All);
        let out = net.backprop(x.view(), y.view(), &Penalty::default());
        let expected = (1..=5).map(|k| (k as f64).ln()).sum::<f64>() / 5.0;
        assert_eq!(out.attn_entropy.len(), 2);
        for e in &out.attn_entropy {
            assert!((e - expected).abs() < 1e-12, "{e} vs {expected}");
        }
        assert_eq!(out.attn_logit_max, vec![0.0, 0.0]);
        assert_eq!(out.delta_norms.len(), 1);
    }

    /// bf16 and f16 passes round at their points (module docs) and stay near f32's: the loss
    /// within the formats' precision (2⁻⁸ and 2⁻¹¹ relative, a few roundings deep), gradients in
    /// the same direction; with a loss scale S the gradients come back S times larger.
    #[test]
    fn reduced_precision_rounds_and_stays_close() {
        use crate::network::Pass;
        let net = tiny(Norm::Pre, Task::Language, Readout::All, 2).cast::<f32>();
        let (x, y) = batch(Task::Language, Readout::All);
        let (x, y) = (x.mapv(|v| v as f32), y.mapv(|v| v as f32));
        let exact = net.backprop(x.view(), y.view(), &Penalty::default());
        for (precision, tolerance) in [(Precision::Bf16, 0.05), (Precision::F16, 0.01)] {
            let pass = Pass {
                precision,
                loss_scale: 1024.0,
                ..Pass::default()
            };
            let out = net.backprop_with(x.view(), y.view(), &Penalty::default(), &pass);
            let loss = f64::from(out.loss);
            assert!(
                (loss - f64::from(exact.loss)).abs() < tolerance * loss,
                "{precision:?}: {loss}"
            );
            // Every gradient is a value of the format (times S, an exact power of two).
            let g = &out.grads[2].w;
            assert!(g.iter().all(|&v| precision.round(v) == v), "{precision:?}");
            let (mut dot, mut a2, mut b2) = (0.0, 0.0, 0.0);
            for (a, b) in out.grads.iter().zip(&exact.grads) {
                for (&a, &b) in a.iter().zip(b.iter()) {
                    let a = f64::from(a) / 1024.0;
                    dot += a * f64::from(b);
                    a2 += a * a;
                    b2 += f64::from(b) * f64::from(b);
                }
            }
            assert!(dot / (a2 * b2).sqrt() > 0.99, "{precision:?}: cosine");
            assert!(
                ((a2 / b2).sqrt() - 1.0).abs() < 5.0 * tolerance,
                "{precision:?}: scale"
            );
        }
    }

    /// f32 computes what f64 does, to f32's precision.
    #[test]
    fn f32_agrees_with_f64() {
        let net = tiny(Norm::Post, Task::Language, Readout::All, 2);
        let (x, y) = batch(Task::Language, Readout::All);
        let wide = net.backprop(x.view(), y.view(), &Penalty::default());
        let narrow_net = net.cast::<f32>();
        let narrow = narrow_net.backprop(
            x.mapv(|v| v as f32).view(),
            y.mapv(|v| v as f32).view(),
            &Penalty::default(),
        );
        assert!((f64::from(narrow.loss) - wide.loss).abs() < 1e-5);
        for (a, b) in narrow.grads.iter().zip(&wide.grads) {
            let scale = b.norm_sq().sqrt().max(1e-3);
            let diff: f64 = a
                .iter()
                .zip(b.iter())
                .map(|(&a, &b)| (f64::from(a) - b).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!(diff / scale < 1e-4, "{diff} of {scale}");
        }
    }

    /// A readout with no weights and a bias of 50 on 'e' makes every draw 'e' (its
    /// probability is 1 − 28·e⁻⁵⁰/0.7 in f64), past the context too: the window slides.
    #[test]
    fn the_writer_draws_what_the_readout_favours() {
        let mut net = tiny(Norm::Pre, Task::Language, Readout::All, 2);
        let last = net.groups.len() - 1;
        net.groups[last].w.fill(0.0);
        net.groups[last].b.fill(0.0);
        net.groups[last].b[language::symbol_of('e').unwrap()] = 50.0;
        let mut rng = stream_rng(1, Stream::Samples);
        assert_eq!(
            net.write(12, 0.7, &mut rng).as_deref(),
            Some("eeeeeeeeeeee")
        );
    }

    /// The same stream writes the same text, of the alphabet only; a diverged model writes
    /// nothing; a model of another vocabulary (the copy task's) does not write.
    #[test]
    fn writing_is_reproducible_and_needs_finite_weights_of_the_texts_vocabulary() {
        let net = tiny(Norm::Post, Task::Language, Readout::All, 2);
        let write =
            |net: &Transformer<f64>| net.write(17, 0.7, &mut stream_rng(5, Stream::Samples));
        let text = write(&net).expect("finite weights write");
        assert_eq!(text.chars().count(), 17);
        assert!(
            text.chars().all(|c| language::symbol_of(c).is_some()),
            "{text:?}"
        );
        assert_eq!(write(&net), Some(text));
        let mut diverged = net.clone();
        diverged.groups[2].w[[0, 0]] = f64::NAN;
        assert_eq!(write(&diverged), None);
        let copy = tiny(Norm::Pre, Task::Copy, Readout::All, 1);
        assert_eq!(write(&copy), None);
    }
}
