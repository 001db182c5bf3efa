//! Mixed precision: the number format a step computes in, where values are rounded to it, the
//! loss scale that keeps small gradients inside the format, and where a step's gradients fall
//! on the number line.
//!
//! The weights stay in f32 (the master copy the optimizer updates, as under
//! `torch.autocast`). With `precision` f16 or bf16 a step rounds to that format — round to
//! nearest, ties to even, by the `half` crate — at these points and nowhere else:
//!
//! - **forward**: a copy of the weights and biases (autocast casts them per op); the input;
//!   each product's output (its bias added); each layer's output `h_l`, or each time step's
//!   `h_t` (an LSTM's `c_t` and a gated cell's gates too); the readout's output;
//! - **backward**: the loss's gradient `∂(S·L)/∂ŷ`; each layer's error `δ_l` and `∂h_l`, or
//!   each time step's `∂h_t`, `δ_t` (and `∂c_t`); each weight and bias gradient.
//!
//! Products accumulate in f32 before their output is rounded (as tensor cores do); the loss,
//! LayerNorm's statistics and the inside of one gated-cell step are f32 (as autocast's f32 ops
//! and cuDNN's fused cells are). So overflow to ±inf, flush to zero and subnormals happen where
//! they would on the hardware. With `f32` nothing is rounded: the step is bit for bit the one
//! before this module existed.
//!
//! Loss scaling multiplies the loss's gradient by `S` before the backward pass and divides the
//! gradients by `S` (in f32) after it, before clipping (`scaler.unscale_` then
//! `clip_grad_norm_`). `dynamic` is [`GradScaler`], `torch.amp.GradScaler`'s rule; `static`
//! keeps `S` fixed. Under either, a step whose gradients hold an inf or NaN is skipped.

use super::group::ParamGroup;
use super::scalar::Scalar;
use half::{bf16, f16};
use ndarray::{ArrayBase, DataMut, Dimension};
use serde::{Deserialize, Serialize};

/// The format a step computes in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    /// IEEE single precision throughout: nothing is rounded.
    #[default]
    F32,
    /// IEEE half precision (binary16) at the rounding points.
    F16,
    /// bfloat16 (f32's exponent, 8 significand bits) at the rounding points.
    Bf16,
}

/// A number format's limits (THEORY.md's table).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FormatLimits {
    /// The largest finite value.
    pub max: f64,
    /// The smallest positive normal value.
    pub min_normal: f64,
    /// The smallest positive subnormal value.
    pub min_subnormal: f64,
}

impl Precision {
    /// Every format, in the order controls list them.
    pub const ALL: [Self; 3] = [Self::F32, Self::F16, Self::Bf16];
    /// The names accepted by [`Precision::from_name`].
    pub const NAMES: &'static [&'static str] = &["f32", "f16", "bf16"];

    /// The name used in links, flags and JSON.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Parses a name of [`Precision::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether values are rounded at all (f16, bf16).
    pub fn is_reduced(self) -> bool {
        self != Self::F32
    }

    /// The format's limits.
    pub fn limits(self) -> FormatLimits {
        match self {
            Self::F32 => FormatLimits {
                max: f64::from(f32::MAX),
                min_normal: f64::from(f32::MIN_POSITIVE),
                min_subnormal: f64::from(f32::from_bits(1)),
            },
            Self::F16 => FormatLimits {
                max: f16::MAX.to_f64(),
                min_normal: f16::MIN_POSITIVE.to_f64(),
                min_subnormal: f16::MIN_POSITIVE_SUBNORMAL.to_f64(),
            },
            Self::Bf16 => FormatLimits {
                max: bf16::MAX.to_f64(),
                min_normal: bf16::MIN_POSITIVE.to_f64(),
                min_subnormal: bf16::MIN_POSITIVE_SUBNORMAL.to_f64(),
            },
        }
    }

    /// `value` rounded to the format (to nearest, ties to even; past the largest finite value
    /// it becomes ±inf, below half the smallest subnormal ±0). `f32` leaves it as it is.
    #[inline]
    pub fn round<S: Scalar>(self, value: S) -> S {
        match self {
            Self::F32 => value,
            Self::F16 => value.round_f16(),
            Self::Bf16 => value.round_bf16(),
        }
    }

    /// Rounds every element of `values` in place (nothing for `f32`).
    pub fn round_all<S: Scalar, A: DataMut<Elem = S>, D: Dimension>(
        self,
        values: &mut ArrayBase<A, D>,
    ) {
        // One loop per format, so each is a straight pass the compiler can unroll.
        match self {
            Self::F32 => {}
            Self::F16 => values.mapv_inplace(S::round_f16),
            Self::Bf16 => values.mapv_inplace(S::round_bf16),
        }
    }

    /// Rounds every value of a slice in place (nothing for `f32`).
    pub fn round_slice<S: Scalar>(self, values: &mut [S]) {
        self.round_all(&mut ndarray::ArrayViewMut1::from(values));
    }

    /// Parameter groups with every weight and bias rounded: the copy a reduced-precision step
    /// computes with.
    pub fn rounded_groups<S: Scalar>(self, groups: &[ParamGroup<S>]) -> Vec<ParamGroup<S>> {
        groups
            .iter()
            .map(|g| {
                let mut g = g.clone();
                self.round_all(&mut g.w);
                self.round_all(&mut g.b);
                g
            })
            .collect()
    }
}

/// How the loss is scaled before the backward pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossScaleKind {
    /// S = 1.
    #[default]
    None,
    /// S fixed at the set value; a step with an inf or NaN gradient is skipped.
    Static,
    /// [`GradScaler`]: S starts at 2¹⁶, halves on an inf or NaN (the step skipped), doubles
    /// after 2000 finite steps in a row.
    Dynamic,
}

impl LossScaleKind {
    /// Every kind, in the order controls list them.
    pub const ALL: [Self; 3] = [Self::None, Self::Static, Self::Dynamic];
    /// The names accepted by [`LossScaleKind::from_name`].
    pub const NAMES: &'static [&'static str] = &["none", "static", "dynamic"];

    /// The name used in links, flags and JSON.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Parses a name of [`LossScaleKind::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// The format and the loss scale of a run: live settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MixedPrecision {
    /// The compute format.
    pub precision: Precision,
    /// Which loss scaling.
    pub loss_scale: LossScaleKind,
    /// S under [`LossScaleKind::Static`].
    pub static_scale: f64,
}

impl Default for MixedPrecision {
    fn default() -> Self {
        Self {
            precision: Precision::F32,
            loss_scale: LossScaleKind::None,
            static_scale: GradScaler::INIT_SCALE as f64,
        }
    }
}

/// `torch.amp.GradScaler`'s dynamic loss scale, with its defaults. The scale is an f32, as
/// the scaler's own tensor is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradScaler {
    scale: f32,
    /// Finite steps in a row since the scale last changed.
    growth_tracker: u32,
}

impl Default for GradScaler {
    fn default() -> Self {
        Self::new()
    }
}

impl GradScaler {
    /// `init_scale`: 2¹⁶.
    pub const INIT_SCALE: f32 = 65536.0;
    /// `growth_factor`.
    pub const GROWTH_FACTOR: f32 = 2.0;
    /// `backoff_factor`.
    pub const BACKOFF_FACTOR: f32 = 0.5;
    /// `growth_interval`: finite steps in a row before the scale grows.
    pub const GROWTH_INTERVAL: u32 = 2000;

    /// A scaler at its initial scale.
    pub fn new() -> Self {
        Self {
            scale: Self::INIT_SCALE,
            growth_tracker: 0,
        }
    }

    /// The scale the next backward pass uses.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// `scaler.update()` after a step whose gradients were (`found_inf`) or were not all
    /// finite — torch's `_amp_update_scale_`: on inf, back off and start counting again; else
    /// count, and at the interval grow (if the grown scale is finite) and start again.
    pub fn update(&mut self, found_inf: bool) {
        if found_inf {
            self.scale *= Self::BACKOFF_FACTOR;
            self.growth_tracker = 0;
        } else {
            let successful = self.growth_tracker + 1;
            if successful == Self::GROWTH_INTERVAL {
                let grown = self.scale * Self::GROWTH_FACTOR;
                if grown.is_finite() {
                    self.scale = grown;
                }
                self.growth_tracker = 0;
            } else {
                self.growth_tracker = successful;
            }
        }
    }
}

/// Where a set of values falls on the number line: counts by binary exponent, for the range
/// chart. Bin `i` counts `2^(LOWEST + i) ≤ |v| < 2^(LOWEST + i + 1)`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ValueRange {
    /// Values that are exactly ±0.
    pub zeros: u32,
    /// Nonzero values below the lowest bin.
    pub below: u32,
    /// Per binary exponent from [`ValueRange::LOWEST`], [`ValueRange::BINS`] of them.
    pub bins: Vec<u32>,
    /// Finite values at or above the highest bin's top.
    pub above: u32,
    /// ±inf and NaN.
    pub non_finite: u32,
}

impl ValueRange {
    /// The lowest bin's exponent: 2⁻⁶⁴, well below f16's smallest subnormal (2⁻²⁴).
    pub const LOWEST: i32 = -64;
    /// Bins, up to 2³² (f16's largest finite value is just under 2¹⁶).
    pub const BINS: usize = 96;

    /// Counts every value of every group (weights and biases alike).
    pub fn of<S: Scalar>(groups: &[ParamGroup<S>]) -> Self {
        let mut range = Self {
            bins: vec![0; Self::BINS],
            ..Self::default()
        };
        for group in groups {
            for &v in group.w.iter().chain(group.b.iter()) {
                range.count(v.wide());
            }
        }
        range
    }

    fn count(&mut self, v: f64) {
        if !v.is_finite() {
            self.non_finite += 1;
        } else if v == 0.0 {
            self.zeros += 1;
        } else {
            // Every f32 (subnormals too) is a normal f64: its exponent field is ⌊log₂|v|⌋.
            let exponent = ((v.to_bits() >> 52) & 0x7ff) as i32 - 1023;
            match usize::try_from(exponent - Self::LOWEST) {
                Err(_) => self.below += 1,
                Ok(i) if i >= Self::BINS => self.above += 1,
                Ok(i) => self.bins[i] += 1,
            }
        }
    }

    /// How many values were counted.
    pub fn total(&self) -> u64 {
        [self.zeros, self.below, self.above, self.non_finite]
            .into_iter()
            .chain(self.bins.iter().copied())
            .map(u64::from)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values worked from IEEE binary16: 65504 is the largest finite value, and 65520 is the
    /// midpoint to the next (65536), so it rounds to even — up, to inf; 2⁻²⁴ is the smallest
    /// subnormal and 2⁻²⁵ the midpoint to 0, which rounds to even (0); 1 + 2⁻¹¹ is the
    /// midpoint of 1 and 1 + 2⁻¹⁰ and rounds to 1.
    #[test]
    fn f16_rounds_at_its_limits() {
        let p = Precision::F16;
        assert_eq!(p.round(65504.0f32), 65504.0);
        assert_eq!(p.round(65519.0f32), 65504.0);
        assert_eq!(p.round(65520.0f32), f32::INFINITY);
        assert_eq!(p.round(-1e6f32), f32::NEG_INFINITY);
        assert_eq!(p.round(2f32.powi(-24)), 2f32.powi(-24));
        assert_eq!(p.round(2f32.powi(-25)), 0.0);
        assert_eq!(p.round(1.5 * 2f32.powi(-25)), 2f32.powi(-24));
        assert_eq!(p.round(1e-9f64), 0.0);
        assert_eq!(p.round(1.0 + 2f64.powi(-11)), 1.0);
        assert_eq!(p.round(1.0 + 3.0 * 2f64.powi(-11)), 1.0 + 2f64.powi(-9));
        assert!(p.round(f32::NAN).is_nan());
        assert_eq!(p.limits().max, 65504.0);
        assert_eq!(p.limits().min_normal, 2f64.powi(-14));
        assert_eq!(p.limits().min_subnormal, 2f64.powi(-24));
    }

    /// bf16 keeps f32's range (1e-30 and 1e30 survive) with 8 significand bits: 1 + 2⁻⁸ is the
    /// midpoint of 1 and 1 + 2⁻⁷ and rounds to even (1); 1 + 3·2⁻⁸ rounds up to 1 + 2⁻⁶.
    #[test]
    fn bf16_keeps_the_range_and_loses_digits() {
        let p = Precision::Bf16;
        assert!((p.round(1e30f32) / 1e30 - 1.0).abs() < 1e-2);
        assert!((p.round(1e-30f32) / 1e-30 - 1.0).abs() < 1e-2);
        assert_eq!(p.round(1.0 + 2f32.powi(-8)), 1.0);
        assert_eq!(p.round(1.0 + 3.0 * 2f32.powi(-8)), 1.0 + 2f32.powi(-6));
        assert_eq!(p.limits().min_normal, 2f64.powi(-126));
        assert_eq!(p.limits().min_subnormal, 2f64.powi(-133));
    }

    #[test]
    fn f32_rounds_nothing() {
        let v = 1.0f32 + f32::EPSILON;
        assert_eq!(Precision::F32.round(v), v);
        assert_eq!(Precision::F32.round(1e-40f32), 1e-40);
        assert!(!Precision::F32.is_reduced());
    }

    /// torch.amp.GradScaler's rule with its defaults, step by step: one inf halves 2¹⁶ to
    /// 2¹⁵ and restarts the count; 1999 finite steps leave it; the 2000th doubles it; an inf
    /// at 1999 restarts the count again.
    #[test]
    fn the_scaler_backs_off_and_grows_as_torch_does() {
        let mut s = GradScaler::new();
        assert_eq!(s.scale(), 65536.0);
        s.update(true);
        assert_eq!(s.scale(), 32768.0);
        for _ in 0..1999 {
            s.update(false);
        }
        assert_eq!(s.scale(), 32768.0);
        s.update(false);
        assert_eq!(s.scale(), 65536.0);
        for _ in 0..1999 {
            s.update(false);
        }
        s.update(true);
        assert_eq!(s.scale(), 32768.0);
        for _ in 0..1999 {
            s.update(false);
        }
        assert_eq!(s.scale(), 32768.0);
    }

    /// A scale that would grow past f32's range stays where it is (torch checks the grown
    /// scale is finite).
    #[test]
    fn the_scale_never_grows_to_inf() {
        let mut s = GradScaler {
            scale: f32::MAX,
            growth_tracker: GradScaler::GROWTH_INTERVAL - 1,
        };
        s.update(false);
        assert_eq!(s.scale(), f32::MAX);
    }

    /// 1.5 = 1.5·2⁰ → exponent 0; 2⁻²⁴ → −24; 3e-30 → below 2⁻⁶⁴; 2⁴⁰ → above.
    #[test]
    fn values_land_in_their_exponents_bins() {
        use ndarray::{arr1, arr2};
        let group = ParamGroup {
            w: arr2(&[[1.5f32, -2f32.powi(-24)], [3e-30, 2f32.powi(40)]]),
            b: arr1(&[0.0, f32::INFINITY, f32::NAN]),
        };
        let range = ValueRange::of(&[group]);
        let bin = |e: i32| range.bins[(e - ValueRange::LOWEST) as usize];
        assert_eq!(bin(0), 1);
        assert_eq!(bin(-24), 1);
        assert_eq!((range.below, range.above), (1, 1));
        assert_eq!((range.zeros, range.non_finite), (1, 2));
        assert_eq!(range.total(), 7);
    }
}
