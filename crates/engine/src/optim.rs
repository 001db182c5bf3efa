//! The update rule applied after clipping: SGD, SGD with momentum (heavy-ball or Nesterov),
//! RMSProp, Adam and AdamW, each by PyTorch's `torch.optim` update rule (no dampening, not
//! centred, no AMSGrad), on every parameter group's `W` and `b` — with one stated difference:
//! AdamW's decay acts on weight matrices only. `torch.optim.AdamW` decays every parameter it is
//! given; gradlab leaves biases and LayerNorm's γ and β undecayed, as training scripts commonly
//! do by passing them in a parameter group with `weight_decay=0` (decaying γ pulls a layer's
//! scale toward zero, which is not the regulariser's aim). In torch, that is
//! `AdamW([{"params": weights}, {"params": biases_and_norms, "weight_decay": 0.0}], …)`.
//!
//! Order within a step is the frameworks': the gradient `g` arrives already clipped (and with
//! the L1/L2 penalty's gradient in it, which is how PyTorch's own `weight_decay` argument acts
//! for SGD and Adam: coupled, through the gradient); then, per element, with `t` the 1-based
//! number of updates this optimizer has made:
//!
//! - `sgd`: `p ← p − η·g`.
//! - `momentum`: `b ← μ·b + g` (`b₁ = g`), `p ← p − η·b`.
//! - `nesterov`: the same `b`, then `p ← p − η·(g + μ·b)`.
//! - `rmsprop`: `v ← α·v + (1−α)·g²`, `p ← p − η·g / (√v + ε)`.
//! - `adam`: `m ← β₁·m + (1−β₁)·g`, `v ← β₂·v + (1−β₂)·g²`,
//!   `p ← p − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)`.
//! - `adamw`: first `W ← W·(1 − η·λ_wd)` (decoupled weight decay, Loshchilov & Hutter 2019;
//!   weights only, like the L2 penalty), then the Adam step.
//!
//! State (`b`, `m`, `v`) has the shape of the parameters; it starts at zero and belongs to one
//! kind of optimizer: the trainer starts it over when the kind changes. Arithmetic is in the
//! training precision, as PyTorch's is; only the norms are summed in f64.

use super::group::ParamGroup;
use super::scalar::Scalar;
use ndarray::{Array, Dimension, Zip};
use serde::{Deserialize, Serialize};

/// Which update rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Plain stochastic gradient descent.
    #[default]
    Sgd,
    /// SGD with heavy-ball momentum.
    Momentum,
    /// SGD with Nesterov momentum.
    Nesterov,
    /// RMSProp: the step divided by a running RMS of the gradient.
    RmsProp,
    /// Adam: bias-corrected first and second moments.
    Adam,
    /// Adam with decoupled weight decay.
    AdamW,
}

impl OptimizerKind {
    /// Every kind, in the order controls list them.
    pub const ALL: [Self; 6] = [
        Self::Sgd,
        Self::Momentum,
        Self::Nesterov,
        Self::RmsProp,
        Self::Adam,
        Self::AdamW,
    ];
    /// The names accepted by [`OptimizerKind::from_name`].
    pub const NAMES: &'static [&'static str] =
        &["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"];

    /// The name used in links, flags and JSON.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Parses a name of [`OptimizerKind::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The name a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sgd => "SGD",
            Self::Momentum => "SGD with momentum",
            Self::Nesterov => "SGD with Nesterov momentum",
            Self::RmsProp => "RMSProp",
            Self::Adam => "Adam",
            Self::AdamW => "AdamW",
        }
    }

    /// Whether the rule keeps a running first moment (`b` or `m`).
    fn uses_first(self) -> bool {
        matches!(
            self,
            Self::Momentum | Self::Nesterov | Self::Adam | Self::AdamW
        )
    }

    /// Whether the rule keeps a running second moment `v`.
    fn uses_second(self) -> bool {
        matches!(self, Self::RmsProp | Self::Adam | Self::AdamW)
    }
}

/// The optimizer and its hyperparameters (all live: a change applies at the next step).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    /// The update rule.
    pub kind: OptimizerKind,
    /// μ of momentum and Nesterov.
    pub momentum: f64,
    /// α, RMSProp's smoothing constant.
    pub alpha: f64,
    /// β₁, Adam's first-moment decay.
    pub beta1: f64,
    /// β₂, Adam's second-moment decay.
    pub beta2: f64,
    /// ε, added to the denominator of RMSProp and Adam.
    pub eps: f64,
    /// λ_wd, AdamW's decoupled weight decay.
    pub weight_decay: f64,
}

impl Default for OptimizerConfig {
    /// PyTorch's defaults (momentum has none there; 0.9 is the usual choice).
    fn default() -> Self {
        Self {
            kind: OptimizerKind::Sgd,
            momentum: 0.9,
            alpha: 0.99,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
}

/// What one group's update measured, in the same pass that applied it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpdateNorms {
    /// ‖W‖ before the update.
    pub weight_before: f64,
    /// ‖ΔW‖ of the update applied.
    pub delta: f64,
    /// Whether W and b are all finite after the update.
    pub finite_after: bool,
}

/// A group's running moments, shaped like its parameters (empty where the rule keeps none).
#[derive(Clone, Debug, PartialEq)]
struct Moments<S> {
    first: ParamGroup<S>,
    second: ParamGroup<S>,
}

/// An optimizer's state between steps: the updates made so far and the running moments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Optimizer<S> {
    updates: u64,
    moments: Vec<Moments<S>>,
}

/// The per-element constants of one step, in the training precision.
#[derive(Clone, Copy)]
struct StepRule<S> {
    kind: OptimizerKind,
    /// −η for SGD, momentum and RMSProp; −η/(1−β₁ᵗ) for Adam.
    step: S,
    momentum: S,
    /// 1 − α (RMSProp) or 1 − β₂ (Adam): the weight of the new g².
    second_new: S,
    /// α or β₂.
    second_keep: S,
    /// β₁ and 1 − β₁.
    first_keep: S,
    first_new: S,
    /// √(1 − β₂ᵗ) (1 for RMSProp).
    second_correction: S,
    eps: S,
    /// 1 − η·λ_wd on weights (1 unless AdamW).
    decay: S,
}

impl<S: Scalar> StepRule<S> {
    fn new(config: &OptimizerConfig, learning_rate: f64, t: u64) -> Self {
        let power = |beta: f64| beta.powf(t as f64);
        let (step, second_keep, correction) = match config.kind {
            OptimizerKind::Adam | OptimizerKind::AdamW => (
                -learning_rate / (1.0 - power(config.beta1)),
                config.beta2,
                (1.0 - power(config.beta2)).sqrt(),
            ),
            OptimizerKind::RmsProp => (-learning_rate, config.alpha, 1.0),
            _ => (-learning_rate, 0.0, 1.0),
        };
        let decay = if config.kind == OptimizerKind::AdamW {
            1.0 - learning_rate * config.weight_decay
        } else {
            1.0
        };
        Self {
            kind: config.kind,
            step: S::of(step),
            momentum: S::of(config.momentum),
            second_new: S::of(1.0 - second_keep),
            second_keep: S::of(second_keep),
            first_keep: S::of(config.beta1),
            first_new: S::of(1.0 - config.beta1),
            second_correction: S::of(correction),
            eps: S::of(config.eps),
            decay: S::of(decay),
        }
    }

    /// Updates one element `p` from its gradient `g` and moments; returns nothing, the caller
    /// measures `p` before and after.
    #[inline]
    fn apply(&self, p: &mut S, g: S, first: Option<&mut S>, second: Option<&mut S>, decay: S) {
        use OptimizerKind::*;
        match self.kind {
            Sgd => *p += self.step * g,
            Momentum | Nesterov => {
                let b = first.expect("momentum keeps a first moment");
                *b = self.momentum * *b + g;
                let direction = if self.kind == Nesterov {
                    g + self.momentum * *b
                } else {
                    *b
                };
                *p += self.step * direction;
            }
            RmsProp => {
                let v = second.expect("RMSProp keeps a second moment");
                *v = self.second_keep * *v + self.second_new * g * g;
                *p += self.step * g / (v.sqrt() + self.eps);
            }
            Adam | AdamW => {
                let (m, v) = (first.expect("Adam's m"), second.expect("Adam's v"));
                *m = self.first_keep * *m + self.first_new * g;
                *v = self.second_keep * *v + self.second_new * g * g;
                *p *= decay;
                *p += self.step * *m / (v.sqrt() / self.second_correction + self.eps);
            }
        }
    }
}

impl<S: Scalar> Optimizer<S> {
    /// A fresh optimizer: no updates made, every moment zero.
    pub fn new() -> Self {
        Self {
            updates: 0,
            moments: Vec::new(),
        }
    }

    /// Updates `groups` from `grads` by the rule `config` names, at learning rate η, measuring
    /// each group on the way (one pass over the weights). The state must be of the same kind
    /// as `config` (the trainer starts it over when the kind changes).
    pub fn apply(
        &mut self,
        groups: &mut [ParamGroup<S>],
        grads: &[ParamGroup<S>],
        learning_rate: f64,
        config: &OptimizerConfig,
    ) -> Vec<UpdateNorms> {
        self.updates += 1;
        if config.kind == OptimizerKind::Sgd {
            return sgd(groups, grads, S::of(-learning_rate));
        }
        if self.moments.len() != groups.len() {
            self.moments = groups
                .iter()
                .map(|g| Moments {
                    first: moment_like(g, config.kind.uses_first()),
                    second: moment_like(g, config.kind.uses_second()),
                })
                .collect();
        }
        let rule = StepRule::<S>::new(config, learning_rate, self.updates);
        groups
            .iter_mut()
            .zip(grads)
            .zip(&mut self.moments)
            .map(|((group, grad), moments)| {
                let sums = update_tensor(
                    &mut group.w,
                    &grad.w,
                    &mut moments.first.w,
                    &mut moments.second.w,
                    &rule,
                    rule.decay,
                );
                // Biases are not decayed (the penalty and AdamW's decay act on weights only).
                update_tensor(
                    &mut group.b,
                    &grad.b,
                    &mut moments.first.b,
                    &mut moments.second.b,
                    &rule,
                    S::one(),
                );
                UpdateNorms {
                    weight_before: sums[0].sqrt(),
                    delta: sums[1].sqrt(),
                    finite_after: sums[2].is_finite() && group.b.iter().all(|v| v.is_finite()),
                }
            })
            .collect()
    }
}

/// Zeros shaped like `group`, or an empty group where the rule keeps no such moment.
fn moment_like<S: Scalar>(group: &ParamGroup<S>, used: bool) -> ParamGroup<S> {
    if used {
        ParamGroup {
            w: Array::zeros(group.w.raw_dim()),
            b: Array::zeros(group.b.raw_dim()),
        }
    } else {
        ParamGroup::zeros(0, 0)
    }
}

/// One tensor's update; returns `[‖p‖² before, ‖Δp‖², ‖p‖² after]` in f64.
fn update_tensor<S: Scalar, D: Dimension>(
    p: &mut Array<S, D>,
    g: &Array<S, D>,
    first: &mut Array<S, D>,
    second: &mut Array<S, D>,
    rule: &StepRule<S>,
    decay: S,
) -> [f64; 3] {
    let mut sums = [0.0; 3];
    let sums_ref = &mut sums;
    // Only the moments the rule keeps have the parameters' shape.
    // (Compared by shape: an RNN group's empty half and an unused moment both have no elements.)
    match (first.shape() == p.shape(), second.shape() == p.shape()) {
        (true, true) => Zip::from(&mut *p)
            .and(g)
            .and(first)
            .and(second)
            .for_each(|p, &g, m, v| {
                measured(sums_ref, p, |p| rule.apply(p, g, Some(m), Some(v), decay))
            }),
        (true, false) => Zip::from(&mut *p)
            .and(g)
            .and(first)
            .for_each(|p, &g, m| measured(sums_ref, p, |p| rule.apply(p, g, Some(m), None, decay))),
        (false, true) => Zip::from(&mut *p)
            .and(g)
            .and(second)
            .for_each(|p, &g, v| measured(sums_ref, p, |p| rule.apply(p, g, None, Some(v), decay))),
        (false, false) => Zip::from(&mut *p)
            .and(g)
            .for_each(|p, &g| measured(sums_ref, p, |p| rule.apply(p, g, None, None, decay))),
    }
    sums
}

/// Runs `update` on `p`, adding ‖p‖² before, ‖Δp‖² and ‖p‖² after to `sums`.
#[inline]
fn measured<S: Scalar>(sums: &mut [f64; 3], p: &mut S, update: impl FnOnce(&mut S)) {
    let before = *p;
    update(p);
    let delta = (*p - before).wide();
    sums[0] += before.wide() * before.wide();
    sums[1] += delta * delta;
    sums[2] += p.wide() * p.wide();
}

/// Plain SGD on every group: `W += step·g` through the fused kernel where it can.
fn sgd<S: Scalar>(
    groups: &mut [ParamGroup<S>],
    grads: &[ParamGroup<S>],
    step: S,
) -> Vec<UpdateNorms> {
    groups
        .iter_mut()
        .zip(grads)
        .map(|(group, grad)| {
            let [before, delta, after] = sgd_weights(&mut group.w, &grad.w, step);
            group.b.scaled_add(step, &grad.b);
            UpdateNorms {
                weight_before: before.sqrt(),
                delta: delta.sqrt(),
                finite_after: after.is_finite() && group.b.iter().all(|v| v.is_finite()),
            }
        })
        .collect()
}

/// `w += step·g` through the fused kernel where both are contiguous in the same order.
fn sgd_weights<S: Scalar>(w: &mut ndarray::Array2<S>, g: &ndarray::Array2<S>, step: S) -> [f64; 3] {
    let same_layout = w.is_standard_layout() == g.is_standard_layout();
    match (same_layout, g.as_slice_memory_order()) {
        (true, Some(g_slice)) if w.as_slice_memory_order().is_some() => {
            let w_slice = w.as_slice_memory_order_mut().expect("checked contiguous");
            S::sgd_step(w_slice, g_slice, step)
        }
        _ => {
            let mut sums = [0.0; 3];
            Zip::from(w).and(g).for_each(|w, &g| {
                let delta = step * g;
                sums[0] += w.wide() * w.wide();
                sums[1] += delta.wide() * delta.wide();
                *w += delta;
                sums[2] += w.wide() * w.wide();
            });
            sums
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn config(kind: OptimizerKind) -> OptimizerConfig {
        OptimizerConfig {
            kind,
            ..OptimizerConfig::default()
        }
    }

    /// One weight (and one bias) p₀ = 1, gradients g₁ = 2 then g₂ = −1, η = 0.1; returns the
    /// weight after each of the two steps and ‖ΔW‖ of each.
    fn two_steps(config: OptimizerConfig) -> ([f64; 2], [f64; 2]) {
        let mut groups = vec![ParamGroup {
            w: array![[1.0f64]],
            b: array![1.0],
        }];
        let mut optimizer = Optimizer::new();
        let mut after = [0.0; 2];
        let mut deltas = [0.0; 2];
        for (i, g) in [2.0, -1.0].into_iter().enumerate() {
            let grads = vec![ParamGroup {
                w: array![[g]],
                b: array![g],
            }];
            let norms = optimizer.apply(&mut groups, &grads, 0.1, &config);
            after[i] = groups[0].w[[0, 0]];
            deltas[i] = norms[0].delta;
            if config.kind != OptimizerKind::AdamW {
                // Without decay the bias follows the same rule as the weight.
                assert_eq!(groups[0].b[0], after[i]);
            }
        }
        (after, deltas)
    }

    fn assert_close(got: [f64; 2], want: [f64; 2]) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "got {got:?}, want {want:?}");
        }
    }

    /// W = [[1, 2]], g = [[10, −10]], η = 0.1: W' = [[0, 3]], ‖ΔW‖ = √2, ‖W‖ = √5 before.
    #[test]
    fn sgd_by_hand() {
        let mut layers = vec![ParamGroup {
            w: array![[1.0f64, 2.0]],
            b: array![0.5, 0.5],
        }];
        let grads = vec![ParamGroup {
            w: array![[10.0, -10.0]],
            b: array![1.0, -1.0],
        }];
        let norms = Optimizer::new().apply(&mut layers, &grads, 0.1, &config(OptimizerKind::Sgd));
        assert!((layers[0].w[[0, 0]]).abs() < 1e-12 && (layers[0].w[[0, 1]] - 3.0).abs() < 1e-12);
        assert!((layers[0].b[0] - 0.4f64).abs() < 1e-12 && (layers[0].b[1] - 0.6f64).abs() < 1e-12);
        assert!((norms[0].delta - 2f64.sqrt()).abs() < 1e-12);
        assert!((norms[0].weight_before - 5f64.sqrt()).abs() < 1e-12);
        assert!(norms[0].finite_after);
    }

    /// Heavy ball, μ = 0.9 (torch.optim.SGD(momentum=0.9), dampening 0):
    /// b₁ = g₁ = 2, p₁ = 1 − 0.1·2 = 0.8; b₂ = 0.9·2 − 1 = 0.8, p₂ = 0.8 − 0.08 = 0.72.
    #[test]
    fn momentum_two_steps_by_hand() {
        let (p, d) = two_steps(config(OptimizerKind::Momentum));
        assert_close(p, [0.8, 0.72]);
        assert_close(d, [0.2, 0.08]);
    }

    /// Nesterov (torch.optim.SGD(momentum=0.9, nesterov=True)): the step uses g + μ·b.
    /// b₁ = 2, p₁ = 1 − 0.1·(2 + 1.8) = 0.62; b₂ = 0.8, p₂ = 0.62 − 0.1·(−1 + 0.72) = 0.648.
    #[test]
    fn nesterov_two_steps_by_hand() {
        let (p, _) = two_steps(config(OptimizerKind::Nesterov));
        assert_close(p, [0.62, 0.648]);
    }

    /// RMSProp, α = 0.99, ε = 1e-8 (torch.optim.RMSprop defaults):
    /// v₁ = 0.01·4 = 0.04, p₁ = 1 − 0.1·2/(0.2 + ε);
    /// v₂ = 0.99·0.04 + 0.01·1 = 0.0496, p₂ = p₁ + 0.1/(√0.0496 + ε).
    #[test]
    fn rmsprop_two_steps_by_hand() {
        let p1 = 1.0 - 0.1 * 2.0 / (0.2 + 1e-8);
        let p2 = p1 + 0.1 / (0.0496f64.sqrt() + 1e-8);
        let (p, _) = two_steps(config(OptimizerKind::RmsProp));
        assert_close(p, [p1, p2]);
    }

    /// Adam, β = (0.9, 0.999), ε = 1e-8 (torch.optim.Adam defaults):
    /// m₁ = 0.2, v₁ = 0.004; m̂₁ = 2, v̂₁ = 4: p₁ = 1 − 0.1·2/(2 + ε) ≈ 0.9 — the first step is
    /// η whatever the gradient's size.
    /// m₂ = 0.18 − 0.1 = 0.08, v₂ = 0.003996 + 0.001 = 0.004996;
    /// p₂ = p₁ − (0.1/(1 − 0.81))·0.08 / (√0.004996/√(1 − 0.999²) + ε).
    #[test]
    fn adam_two_steps_by_hand() {
        let p1 = 1.0 - 0.1 / (1.0 - 0.9) * 0.2 / (0.004f64.sqrt() / (1.0 - 0.999f64).sqrt() + 1e-8);
        let p2 = p1
            - 0.1 / (1.0 - 0.81) * 0.08
                / (0.004996f64.sqrt() / (1.0 - 0.999f64 * 0.999).sqrt() + 1e-8);
        let (p, d) = two_steps(config(OptimizerKind::Adam));
        assert_close(p, [p1, p2]);
        assert!((p1 - 0.9).abs() < 1e-8);
        assert!((d[0] - 0.1).abs() < 1e-8);
    }

    /// AdamW, λ_wd = 0.01 (torch.optim.AdamW default): the weight first shrinks by
    /// (1 − η·λ_wd) = 0.999, then takes the same Adam step; the bias is not decayed.
    #[test]
    fn adamw_two_steps_by_hand() {
        let (adam, _) = two_steps(config(OptimizerKind::Adam));
        let (p, _) = two_steps(config(OptimizerKind::AdamW));
        let p1 = 0.999 + (adam[0] - 1.0);
        let p2 = p1 * 0.999 + (adam[1] - adam[0]);
        assert_close(p, [p1, p2]);
    }

    /// Adam's update is near η per element whatever the gradient's size — a gradient of 10⁶
    /// moves a weight by the same 0.1 as a gradient of 1 (the first step, where m̂/√v̂ = ±1).
    #[test]
    fn adam_bounds_the_first_update_whatever_the_gradient() {
        for g in [1.0, 1e6, -1e12] {
            let mut groups = vec![ParamGroup {
                w: array![[0.0f32, 0.0]],
                b: array![0.0],
            }];
            let grads = vec![ParamGroup {
                w: array![[g as f32, -g as f32]],
                b: array![g as f32],
            }];
            let norms =
                Optimizer::new().apply(&mut groups, &grads, 0.1, &config(OptimizerKind::Adam));
            assert!(
                (norms[0].delta - 0.1 * 2f64.sqrt()).abs() < 1e-6,
                "{g}: {norms:?}"
            );
        }
    }

    /// An RNN's groups hold one tensor and leave the other empty (a `[0, 0]` W or a `[0]` b);
    /// every rule updates the tensor that is there and leaves the empty one alone.
    #[test]
    fn groups_with_an_empty_half_update_under_every_rule() {
        for kind in OptimizerKind::ALL {
            let mut groups = vec![
                ParamGroup {
                    w: array![[1.0f32, 2.0], [3.0, 4.0]],
                    b: ndarray::Array1::zeros(0),
                },
                ParamGroup {
                    w: ndarray::Array2::zeros((0, 0)),
                    b: array![1.0f32, -1.0],
                },
            ];
            let grads = vec![
                ParamGroup {
                    w: array![[1.0f32, 1.0], [1.0, 1.0]],
                    b: ndarray::Array1::zeros(0),
                },
                ParamGroup {
                    w: ndarray::Array2::zeros((0, 0)),
                    b: array![1.0f32, 1.0],
                },
            ];
            let mut optimizer = Optimizer::new();
            for _ in 0..2 {
                let norms = optimizer.apply(&mut groups, &grads, 0.1, &config(kind));
                assert!(norms[0].delta > 0.0 && norms[1].delta == 0.0, "{kind:?}");
            }
            assert!(groups[1].b[0] < 1.0, "{kind:?}: the bias moved");
        }
    }

    #[test]
    fn names_round_trip() {
        for kind in OptimizerKind::ALL {
            assert_eq!(OptimizerKind::from_name(kind.name()), Some(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.name())
            );
        }
        assert_eq!(
            OptimizerKind::from_name(" AdamW "),
            Some(OptimizerKind::AdamW)
        );
        assert_eq!(OptimizerKind::from_name("lion"), None);
    }
}
