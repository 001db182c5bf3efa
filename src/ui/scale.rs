//! Slider scales: how a range input's position maps to a setting's value (linear, or
//! logarithmic for values spanning decades), and the scales run A's and run B's sliders share.

/// How a slider's position maps to its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    /// Position = value.
    Linear { min: f64, max: f64, step: f64 },
    /// Position = log₁₀ value, for values spanning decades.
    Log { min: f64, max: f64 },
    /// Whole numbers from 1: every one up to `fine_max`, then every `coarse_step`-th up to
    /// `max`, one slider position each — so an arrow key always moves the value (depth 1 to
    /// 1000: one layer at a time up to 100, then ten).
    Ladder {
        fine_max: f64,
        coarse_step: f64,
        max: f64,
    },
}

impl Scale {
    /// The input's `(min, max, step)` attributes.
    pub fn bounds(self) -> (f64, f64, f64) {
        match self {
            Self::Linear { min, max, step } => (min, max, step),
            Self::Log { min, max } => (min.log10(), max.log10(), 0.01),
            Self::Ladder {
                fine_max,
                coarse_step,
                max,
            } => (
                0.0,
                fine_max - 1.0 + ((max - fine_max) / coarse_step).ceil(),
                1.0,
            ),
        }
    }

    /// The input position that shows `value`.
    pub fn position(self, value: f64) -> f64 {
        match self {
            Self::Linear { .. } => value,
            Self::Log { .. } => value.max(f64::MIN_POSITIVE).log10(),
            Self::Ladder {
                fine_max,
                coarse_step,
                ..
            } => {
                if value <= fine_max {
                    value.max(1.0) - 1.0
                } else {
                    fine_max - 1.0 + ((value - fine_max) / coarse_step).round()
                }
            }
        }
    }

    /// The value at input position `x` (log values rounded to 3 significant digits).
    pub fn value(self, x: f64) -> f64 {
        match self {
            Self::Linear { .. } => x,
            Self::Ladder {
                fine_max,
                coarse_step,
                max,
            } => {
                let x = x.round().max(0.0);
                if x + 1.0 <= fine_max {
                    x + 1.0
                } else {
                    (fine_max + (x + 1.0 - fine_max) * coarse_step).min(max)
                }
            }
            Self::Log { .. } => {
                let v = 10f64.powf(x);
                let magnitude = 10f64.powi(v.log10().floor() as i32 - 2);
                (v / magnitude).round() * magnitude
            }
        }
    }

    /// Where `value` sits along the track, 0–100 %.
    pub fn percent(self, value: f64) -> f64 {
        let (min, max, _) = self.bounds();
        ((self.position(value) - min) / (max - min) * 100.0).clamp(0.0, 100.0)
    }
}

// Scales shared by run A's slider and run B's, so the two always offer the same range.
pub const DEPTH: Scale = Scale::Ladder {
    fine_max: 100.0,
    coarse_step: 10.0,
    max: 1000.0,
};
pub const WEIGHT_SCALE: Scale = Scale::Linear {
    min: 0.0,
    max: 4.0,
    step: 0.05,
};
pub const LEARNING_RATE: Scale = Scale::Log {
    min: 1e-4,
    max: 1.0,
};
// Down to 10⁻⁴: backward clipping clamps single error elements, far below a norm's scale.
pub const CLIP_THRESHOLD: Scale = Scale::Log {
    min: 1e-4,
    max: 100.0,
};
pub const L2_STRENGTH: Scale = Scale::Linear {
    min: 0.0,
    max: 0.05,
    step: 0.0005,
};
pub const WEIGHT_DECAY: Scale = Scale::Linear {
    min: 0.0,
    max: 0.2,
    step: 0.001,
};
pub const MOMENTUM: Scale = Scale::Linear {
    min: 0.0,
    max: 0.99,
    step: 0.01,
};
pub const SECOND_MOMENT_DECAY: Scale = Scale::Linear {
    min: 0.9,
    max: 0.9999,
    step: 0.0001,
};
pub const EPSILON: Scale = Scale::Log {
    min: 1e-10,
    max: 1.0,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The depth ladder: positions 0…189 are depths 1…100 one by one, then 110…1000 by ten;
    /// each round-trips, and a depth between rungs (a link's 137) sits at the nearest one.
    #[test]
    fn the_depth_ladder_moves_one_rung_per_position() {
        assert_eq!(DEPTH.bounds(), (0.0, 189.0, 1.0));
        assert_eq!(DEPTH.value(0.0), 1.0);
        assert_eq!(DEPTH.value(99.0), 100.0);
        assert_eq!(DEPTH.value(100.0), 110.0);
        assert_eq!(DEPTH.value(189.0), 1000.0);
        for x in 0..=189 {
            let v = DEPTH.value(f64::from(x));
            assert_eq!(DEPTH.position(v), f64::from(x), "{v}");
            assert!(v.fract() == 0.0 && v > DEPTH.value(f64::from(x) - 1.0).min(v - 1.0));
        }
        assert_eq!(DEPTH.position(137.0), 103.0);
    }

    #[test]
    fn log_scale_round_trips_and_rounds_to_three_digits() {
        let s = Scale::Log {
            min: 0.01,
            max: 100.0,
        };
        assert_eq!(s.bounds(), (-2.0, 2.0, 0.01));
        assert_eq!(s.value(0.0), 1.0);
        assert_eq!(s.value(s.position(0.37)), 0.37);
        assert!((s.value(-1.333) - 0.0465).abs() < 1e-12);
        assert_eq!(s.percent(1.0), 50.0);
    }

    #[test]
    fn linear_scale_percent() {
        let s = Scale::Linear {
            min: 0.0,
            max: 4.0,
            step: 0.05,
        };
        assert_eq!(s.percent(1.0), 25.0);
        assert_eq!(s.percent(9.0), 100.0);
    }
}
