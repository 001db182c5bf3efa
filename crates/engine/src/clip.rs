//! Gradient clipping, exactly as the frameworks define it (THEORY.md).
//!
//! Applied to the whole gradient (every group's `(∂W, ∂b)`) after backprop and before the update:
//! - [`ClipMode::GlobalNorm`] — PyTorch `clip_grad_norm_`: one L2 norm over all parameters as a
//!   single vector; every element times `min(1, c / (‖g‖ + 1e-6))`. Keeps the direction exactly.
//! - [`ClipMode::GroupNorm`] — Keras' `clipnorm` rule, `g_l · c / max(‖g_l‖, c)`, applied per
//!   parameter group: for the MLP a group is a layer's `W_l` and `b_l` together, where Keras
//!   clips kernel and bias as two tensors (so this is Keras' rule, not Keras' exact grouping).
//!   Keeps each group's direction, not the whole gradient's.
//! - [`ClipMode::Value`] — PyTorch `clip_grad_value_`: clamp each element to `[−c, c]`.
//!   Changes the direction.
//!
//! Non-finite gradients behave as in PyTorch with `error_if_nonfinite=False`: an infinite global
//! norm gives scale 0 (so ∞ elements become NaN), a NaN norm gives scale NaN. Norms are
//! accumulated in f64 (see [`sum_sq`](super::scalar::sum_sq)).

use super::group::ParamGroup;
use super::scalar::Scalar;
use ndarray::{Array, Dimension};
use serde::{Deserialize, Serialize};

/// PyTorch's guard against division by zero in `clip_grad_norm_`.
pub const NORM_EPSILON: f64 = 1e-6;

/// How the gradient is clipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClipMode {
    /// No clipping.
    None,
    /// Rescale the whole gradient so its global L2 norm is at most the threshold.
    GlobalNorm,
    /// Rescale each parameter group's gradient so its L2 norm is at most the threshold (an MLP
    /// layer's W and b together; each RNN tensor alone). Named `layer-norm` in links, flags
    /// and JSON, as it always was, so old links keep their meaning.
    #[serde(rename = "layer-norm")]
    GroupNorm,
    /// Clamp each element to [−threshold, threshold].
    Value,
    /// Clamp the back-propagated error to [−threshold, threshold] at every layer or time step
    /// during the backward pass (Graves 2013), not the finished gradient: see
    /// [`Network::backprop_clipping_errors`](super::network::Network::backprop_clipping_errors).
    Backward,
}

impl ClipMode {
    /// Every mode, in the order controls list them.
    pub const ALL: [ClipMode; 5] = [
        Self::None,
        Self::GlobalNorm,
        Self::GroupNorm,
        Self::Value,
        Self::Backward,
    ];
    /// The names accepted by [`ClipMode::from_name`].
    pub const NAMES: &'static [&'static str] =
        &["none", "global-norm", "layer-norm", "value", "backward"];

    /// The kebab-case name used in URLs, flags and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::GlobalNorm => "global-norm",
            Self::GroupNorm => "layer-norm",
            Self::Value => "value",
            Self::Backward => "backward",
        }
    }

    /// Parses a name from [`ClipMode::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// A clipping mode and its threshold `c` (kept while the mode is `None`, so switching clipping
/// off and on again restores it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    /// Which clipping to apply.
    pub mode: ClipMode,
    /// The threshold c (> 0).
    pub threshold: f64,
}

/// What clipping did to one step's gradient.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipOutcome {
    /// ‖(∂W_l, ∂b_l)‖ after clipping, per group.
    pub norms_after: Vec<f64>,
    /// Global norm before clipping.
    pub global_before: f64,
    /// Global norm after clipping.
    pub global_after: f64,
    /// Global-norm mode: the factor applied. Other modes: the effective factor
    /// `global_after / global_before` (1 for an all-zero gradient).
    pub scale: f64,
    /// Whether clipping acted: some part of the gradient was above the threshold, or NaN (a
    /// NaN is never within it, and norm clipping turns the whole gradient NaN then).
    pub clipped: bool,
    /// cos(g_before, g_after): 1 when the direction is kept.
    pub cosine: f64,
}

/// Clips `grads` in place; `norms_before[l]` must be `grads[l].norm_sq().sqrt()`.
pub fn clip_gradients<S: Scalar>(
    grads: &mut [ParamGroup<S>],
    clip: Clip,
    norms_before: &[f64],
) -> ClipOutcome {
    let global_before = norm_of(norms_before);
    let c = clip.threshold;
    match clip.mode {
        // Backward clipping acted during backprop; the finished gradient passes unchanged here
        // (the trainer compares it with the true gradient, `between`).
        ClipMode::None | ClipMode::Backward => ClipOutcome {
            norms_after: norms_before.to_vec(),
            global_before,
            global_after: global_before,
            scale: 1.0,
            clipped: false,
            cosine: 1.0,
        },
        ClipMode::GlobalNorm => {
            // f64::min would drop a NaN; PyTorch's clamp keeps it.
            let scale = if global_before.is_nan() {
                f64::NAN
            } else {
                (c / (global_before + NORM_EPSILON)).min(1.0)
            };
            let mut outcome = rescale(
                grads,
                &vec![scale; grads.len()],
                norms_before,
                global_before,
            );
            outcome.scale = scale;
            outcome
        }
        ClipMode::GroupNorm => {
            let factors: Vec<f64> = norms_before
                .iter()
                .map(|&n| if n.is_nan() { f64::NAN } else { c / n.max(c) })
                .collect();
            rescale(grads, &factors, norms_before, global_before)
        }
        ClipMode::Value => {
            let (low, high) = (S::of(-c), S::of(c));
            let (mut dot, mut max_abs) = (0.0, 0.0f64);
            let norms_after: Vec<f64> = grads
                .iter_mut()
                .map(|group| {
                    let (dw, sw, mw) = clamp_array(&mut group.w, low, high);
                    let (db, sb, mb) = clamp_array(&mut group.b, low, high);
                    dot += dw + db;
                    max_abs = max_abs.max(mw).max(mb);
                    (sw + sb).sqrt()
                })
                .collect();
            // A NaN element is not within [−c, c] either; Σ g·clamp(g) sums non-negative terms,
            // so it is NaN exactly when some element is.
            outcome(norms_after, global_before, dot, max_abs > c || dot.is_nan())
        }
    }
}

/// What a changed gradient `after` is next to the true one `before` (backward clipping): the
/// per-group norms after, both global norms and the cosine between the two; `clipped` when they
/// differ anywhere (or either holds a NaN).
pub fn between<S: Scalar>(
    before: &[ParamGroup<S>],
    after: &[ParamGroup<S>],
    norms_before: &[f64],
) -> ClipOutcome {
    let mut dot = 0.0;
    let mut differ = false;
    for (b, a) in before.iter().zip(after) {
        for (&x, &y) in b.iter().zip(a.iter()) {
            dot += x.wide() * y.wide();
            differ |= x != y;
        }
    }
    let norms_after = after.iter().map(|g| g.norm_sq().sqrt()).collect();
    outcome(
        norms_after,
        norm_of(norms_before),
        dot,
        differ || dot.is_nan(),
    )
}

/// The global norm of per-group norms: √(Σ n²).
pub fn norm_of(norms: &[f64]) -> f64 {
    norms.iter().map(|n| n * n).sum::<f64>().sqrt()
}

/// Assembles the outcome; the effective scale is `‖g′‖ / ‖g‖` (1 for an all-zero gradient).
fn outcome(norms_after: Vec<f64>, global_before: f64, dot: f64, clipped: bool) -> ClipOutcome {
    let global_after = norm_of(&norms_after);
    let ratio = |num: f64, den: f64| if den == 0.0 { 1.0 } else { num / den };
    ClipOutcome {
        scale: ratio(global_after, global_before),
        clipped,
        cosine: ratio(dot, global_before * global_after),
        norms_after,
        global_before,
        global_after,
    }
}

/// Multiplies group `l` by `factors[l]`. The norms after and the dot product follow exactly from
/// the factors: ‖s·g‖ = s‖g‖ and ⟨g, s·g⟩ = s‖g‖² (the f32 rounding of each product is below
/// what any figure shows).
fn rescale<S: Scalar>(
    grads: &mut [ParamGroup<S>],
    factors: &[f64],
    norms_before: &[f64],
    global_before: f64,
) -> ClipOutcome {
    for (group, &factor) in grads.iter_mut().zip(factors) {
        if factor != 1.0 {
            let f = S::of(factor);
            group.w.mapv_inplace(|v| v * f);
            group.b.mapv_inplace(|v| v * f);
        }
    }
    let norms_after = factors
        .iter()
        .zip(norms_before)
        .map(|(f, n)| f * n)
        .collect();
    let dot = factors
        .iter()
        .zip(norms_before)
        .map(|(f, n)| f * n * n)
        .sum();
    outcome(
        norms_after,
        global_before,
        dot,
        // A NaN factor (a NaN norm) acted too: it made the gradient NaN.
        factors.iter().any(|&f| f < 1.0 || f.is_nan()),
    )
}

/// Clamps an array in place through the fused kernel; (Σ g·g′, Σ g′², max |g|).
pub(super) fn clamp_array<S: Scalar, D: Dimension>(
    a: &mut Array<S, D>,
    low: S,
    high: S,
) -> (f64, f64, f64) {
    match a.as_slice_memory_order_mut() {
        Some(slice) => S::clamp_measure(slice, low, high),
        None => {
            let mut copy: Vec<S> = a.iter().copied().collect();
            let measured = S::clamp_measure(&mut copy, low, high);
            a.iter_mut().zip(copy).for_each(|(v, c)| *v = c);
            measured
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};

    fn group(w: &[f64], b: &[f64]) -> ParamGroup<f64> {
        ParamGroup {
            w: Array1::from(w.to_vec())
                .into_shape_with_order((1, w.len()))
                .unwrap(),
            b: Array1::from(b.to_vec()),
        }
    }

    fn norms(grads: &[ParamGroup<f64>]) -> Vec<f64> {
        grads.iter().map(|g| g.norm_sq().sqrt()).collect()
    }

    fn run(grads: &mut [ParamGroup<f64>], mode: ClipMode, threshold: f64) -> ClipOutcome {
        let before = norms(grads);
        clip_gradients(grads, Clip { mode, threshold }, &before)
    }

    /// g = [3, 4], ‖g‖ = 5, c = 1: scale = 1/(5 + 1e-6), g' ≈ [0.6, 0.8].
    #[test]
    fn global_norm_three_four_five() {
        let mut g = vec![group(&[3.0], &[4.0])];
        let out = run(&mut g, ClipMode::GlobalNorm, 1.0);
        assert!((g[0].w[[0, 0]] - 0.6).abs() < 1e-6 && (g[0].b[0] - 0.8).abs() < 1e-6);
        assert_eq!(out.global_before, 5.0);
        assert_eq!(out.scale, 1.0 / (5.0 + 1e-6));
        assert!(out.clipped && (out.cosine - 1.0).abs() < 1e-12);
        assert!(out.global_after <= 1.0);
    }

    /// Below the threshold nothing changes: ‖[0.3, 0.4]‖ = 0.5 < 1.
    #[test]
    fn global_norm_leaves_small_gradients_alone() {
        let mut g = vec![group(&[0.3], &[0.4])];
        let out = run(&mut g, ClipMode::GlobalNorm, 1.0);
        assert_eq!(g[0].w[[0, 0]], 0.3);
        assert!(!out.clipped && out.scale == 1.0);
    }

    /// Two groups: g₁ = [3, 4] (‖·‖ = 5), g₂ = [0, 0.5] (‖·‖ = 0.5); c = 1.
    /// Global: ‖g‖ = √25.25 ≈ 5.0249, both scaled by 1/5.0249 → g₂ = [0, 0.0995].
    /// Per layer: g₁ → g₁·1/5 = [0.6, 0.8]; g₂ below c, untouched = [0, 0.5].
    /// So per-layer clipping changes the direction of the whole gradient (cos < 1).
    #[test]
    fn per_layer_differs_from_global_by_hand() {
        let start = vec![group(&[3.0], &[4.0]), group(&[0.0], &[0.5])];
        let mut global = start.clone();
        let mut layer = start.clone();
        let g_out = run(&mut global, ClipMode::GlobalNorm, 1.0);
        let l_out = run(&mut layer, ClipMode::GroupNorm, 1.0);
        let total = 25.25f64.sqrt();
        assert!((global[1].b[0] - 0.5 / (total + 1e-6)).abs() < 1e-12);
        assert!((layer[0].w[[0, 0]] - 0.6).abs() < 1e-12);
        assert!((layer[0].b[0] - 0.8).abs() < 1e-12);
        assert_eq!(layer[1].b[0], 0.5);
        assert!((g_out.cosine - 1.0).abs() < 1e-12);
        // cos = (3·0.6 + 4·0.8 + 0.5·0.5) / (√25.25 · √1.25) = 5.25 / 5.6181 ≈ 0.93447
        let expected = 5.25 / (total * 1.25f64.sqrt());
        assert!((l_out.cosine - expected).abs() < 1e-12);
        assert!(l_out.cosine < 0.99);
        assert_eq!(l_out.norms_after, vec![1.0, 0.5]);
    }

    /// g = [3, 0.5], c = 1 → [1, 0.5]: cos = (3 + 0.25) / (√9.25 · √1.25) ≈ 0.9558 < 1.
    #[test]
    fn value_clipping_changes_the_direction() {
        let mut g = vec![group(&[3.0], &[0.5])];
        let out = run(&mut g, ClipMode::Value, 1.0);
        assert_eq!((g[0].w[[0, 0]], g[0].b[0]), (1.0, 0.5));
        let expected = 3.25 / (9.25f64.sqrt() * 1.25f64.sqrt());
        assert!((out.cosine - expected).abs() < 1e-12 && out.cosine < 1.0);
        assert!(out.clipped);
        // The reported pre-clip norm is the unclipped one: √9.25.
        assert_eq!(out.global_before, 9.25f64.sqrt());
    }

    /// An infinite element makes ‖g‖ = ∞, scale = c/∞ = 0, and ∞·0 = NaN, as in PyTorch.
    #[test]
    fn infinite_gradient_becomes_nan_as_in_pytorch() {
        let mut g = vec![group(&[f64::INFINITY], &[1.0])];
        let out = run(&mut g, ClipMode::GlobalNorm, 1.0);
        assert_eq!(out.scale, 0.0);
        assert!(g[0].w[[0, 0]].is_nan());
        assert_eq!(g[0].b[0], 0.0);
        let mut g = vec![group(&[f64::NAN], &[1.0])];
        assert!(run(&mut g, ClipMode::GlobalNorm, 1.0).scale.is_nan());
    }

    /// A NaN element is not within [−c, c]: value clipping reports that it acted even when no
    /// finite element exceeded c; global-norm clipping with a NaN norm scales by NaN and acts.
    #[test]
    fn nan_gradients_count_as_clipped() {
        let mut g = vec![group(&[f64::NAN], &[0.5])];
        let out = run(&mut g, ClipMode::Value, 1.0);
        assert!(out.clipped);
        assert!(g[0].w[[0, 0]].is_nan() && g[0].b[0] == 0.5);
        let mut g = vec![group(&[f64::NAN], &[0.5])];
        assert!(run(&mut g, ClipMode::GlobalNorm, 1.0).clipped);
        let mut g = vec![group(&[f64::NAN], &[0.5])];
        assert!(run(&mut g, ClipMode::GroupNorm, 1.0).clipped);
        // A finite gradient inside the threshold is still left alone.
        let mut g = vec![group(&[0.25], &[0.5])];
        assert!(!run(&mut g, ClipMode::Value, 1.0).clipped);
    }

    #[test]
    fn none_changes_nothing() {
        let mut g = vec![group(&[30.0], &[40.0])];
        let out = run(&mut g, ClipMode::None, 1.0);
        assert_eq!(out.cosine, 1.0);
        assert_eq!(g[0].w, array![[30.0]]);
        assert_eq!(
            (out.global_after, out.scale, out.clipped),
            (50.0, 1.0, false)
        );
    }

    #[test]
    fn names_round_trip() {
        for m in ClipMode::ALL {
            assert_eq!(ClipMode::from_name(m.name()), Some(m));
        }
        assert_eq!(ClipMode::from_name("norm"), None);
    }
}
