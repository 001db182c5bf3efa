//! Learning-rate schedules: the factor the set learning rate η is multiplied by at each step.
//!
//! With `t` the 0-based index of the step (the run's step count before it, as a
//! `torch.optim.lr_scheduler.LambdaLR` stepped once after every `optimizer.step()` sees it),
//! `T_w` the warmup steps and `T_d` the decay steps:
//!
//! - `constant`: `η_t = η`.
//! - `warmup`: `η_t = η · min(1, t / T_w)` — linear from 0, so the first step moves nothing.
//! - `warmup-cosine`: the warmup, then `η_t = η_min + (η − η_min) · ½(1 + cos(π (t − T_w) / T_d))`
//!   for `T_w ≤ t ≤ T_w + T_d`, and `η_min` after; `η_min = 0.1·η`.
//!
//! These are `../shared/THEORY.md`'s definitions (the ramp is Hugging Face's
//! `get_linear_schedule_with_warmup` without its decay; Xiong et al. 2020 use it for Post-LN).

use serde::{Deserialize, Serialize};

/// The floor of `warmup-cosine`, as a share of η.
pub const COSINE_FLOOR: f64 = 0.1;

/// Which schedule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    /// The learning rate as set, every step.
    #[default]
    Constant,
    /// A linear ramp from 0 over the warmup steps.
    Warmup,
    /// The ramp, then a cosine down to [`COSINE_FLOOR`]·η over the decay steps.
    WarmupCosine,
}

impl ScheduleKind {
    /// Every kind, in the order controls list them.
    pub const ALL: [Self; 3] = [Self::Constant, Self::Warmup, Self::WarmupCosine];
    /// The names accepted by [`ScheduleKind::from_name`].
    pub const NAMES: &'static [&'static str] = &["constant", "warmup", "warmup-cosine"];

    /// The name used in links, flags and JSON.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Parses a name of [`ScheduleKind::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// A schedule with its lengths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// Which shape.
    pub kind: ScheduleKind,
    /// `T_w`, at least 1 (the settings table's range).
    pub warmup_steps: u64,
    /// `T_d`, at least 1.
    pub decay_steps: u64,
}

impl Schedule {
    /// The factor η is multiplied by at the step with 0-based index `step`, in `[0, 1]`.
    pub fn factor(&self, step: u64) -> f64 {
        let warmup = self.warmup_steps.max(1);
        let ramp = |t: u64| (t as f64 / warmup as f64).min(1.0);
        match self.kind {
            ScheduleKind::Constant => 1.0,
            ScheduleKind::Warmup => ramp(step),
            ScheduleKind::WarmupCosine if step < warmup => ramp(step),
            ScheduleKind::WarmupCosine => {
                let progress = ((step - warmup) as f64 / self.decay_steps.max(1) as f64).min(1.0);
                COSINE_FLOOR
                    + (1.0 - COSINE_FLOOR) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        }
    }

    /// The learning rate the step with index `step` uses, for a set rate `learning_rate`.
    pub fn rate(&self, learning_rate: f64, step: u64) -> f64 {
        learning_rate * self.factor(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(kind: ScheduleKind) -> Schedule {
        Schedule {
            kind,
            warmup_steps: 4,
            decay_steps: 10,
        }
    }

    /// η_t = η·min(1, t/T_w): 0, ¼, ½, ¾, then η from t = T_w on.
    #[test]
    fn warmup_ramps_linearly_from_zero() {
        let s = schedule(ScheduleKind::Warmup);
        let factors: Vec<f64> = (0..7).map(|t| s.factor(t)).collect();
        assert_eq!(factors, [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]);
        assert_eq!(s.rate(0.2, 2), 0.1);
        assert_eq!(schedule(ScheduleKind::Constant).rate(0.2, 0), 0.2);
    }

    /// After the ramp: η_min + (η − η_min)·½(1 + cos(π(t − T_w)/T_d)), η_min = 0.1·η — η at
    /// t = T_w, the midpoint 0.55·η at t = T_w + T_d/2, η_min at T_w + T_d and after.
    /// The midpoint and the quarter point (0.1 + 0.9·½(1 + cos(π/4)) = 0.868198…) by hand.
    #[test]
    fn cosine_decays_to_a_tenth() {
        let s = schedule(ScheduleKind::WarmupCosine);
        assert_eq!(s.factor(2), 0.5, "the same ramp first");
        assert_eq!(s.factor(4), 1.0);
        assert!((s.factor(9) - 0.55).abs() < 1e-15);
        assert!((s.factor(4) - 1.0).abs() < 1e-15);
        let quarter = Schedule {
            decay_steps: 8,
            ..s
        };
        assert!((quarter.factor(6) - 0.868_198_051_533_946_4).abs() < 1e-15);
        assert!((s.factor(14) - 0.1).abs() < 1e-15);
        assert_eq!(s.factor(1_000_000), s.factor(14));
    }

    #[test]
    fn names_round_trip() {
        for kind in ScheduleKind::ALL {
            assert_eq!(ScheduleKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(
            ScheduleKind::from_name(" Warmup-Cosine "),
            Some(ScheduleKind::WarmupCosine)
        );
        assert_eq!(ScheduleKind::from_name("linear"), None);
    }
}
