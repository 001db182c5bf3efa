//! Slider scales: how a range input's position maps to a setting's value — logarithmic for
//! values spanning decades, or even steps in stretches (fine where a class works, coarser
//! beyond) — and [`scale_of`], each setting's scale.
//!
//! A slider's bounds are its setting's range in the settings table, never a number of the
//! page's own: a link may carry any legal value, and its slider then has a place for it (an
//! arrow key moves it one step, never back into a narrower range).

use gradlab_engine::Field;

/// How a slider's position maps to its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    /// Position = log₁₀ value, for values spanning decades.
    Log { min: f64, max: f64 },
    /// Even steps in stretches, one slider position each, so an arrow key always moves the
    /// value: from `min`, each `(step, up_to)` in turn, the last stretch ending at `max`
    /// (depth 1 to 1000: one layer at a time up to 100, then ten).
    Steps {
        min: f64,
        max: f64,
        stretches: &'static [(f64, f64)],
    },
    /// One position per power of two from `min` to `max` (both powers of two): a loss scale
    /// (scaling by a power of two is exact, so scales are chosen among them).
    PowersOfTwo { min: f64, max: f64 },
}

/// A stretch of even steps: from `from` to `to` in `positions` steps of `step` (the last step
/// may be short: it ends at `to`).
#[derive(Clone, Copy, Debug)]
struct Stretch {
    from: f64,
    to: f64,
    step: f64,
    positions: f64,
}

/// Where a stretch reaches to: as far as the setting goes.
const TO_MAX: f64 = f64::INFINITY;

/// The scale of a numeric setting's slider. The bounds are the settings table's; this only
/// chooses how the positions spread over them.
pub fn scale_of(field: Field) -> Scale {
    let (min, max, _) = field.range().unwrap_or((0.0, 1.0, false));
    let steps = |stretches: &'static [(f64, f64)]| Scale::Steps {
        min,
        max,
        stretches,
    };
    match field {
        Field::LearningRate | Field::ClipThreshold | Field::Eps => Scale::Log { min, max },
        Field::StaticScale => Scale::PowersOfTwo { min, max },
        Field::Depth => steps(&[(1.0, 100.0), (10.0, TO_MAX)]),
        Field::Width | Field::Hidden => steps(&[(1.0, 128.0), (8.0, TO_MAX)]),
        Field::Batch => steps(&[(1.0, 128.0), (16.0, TO_MAX)]),
        Field::DModel => steps(&[(8.0, TO_MAX)]),
        Field::WeightScale | Field::BiasScale | Field::RecurrentScale | Field::InputScale => {
            steps(&[(0.05, 4.0), (0.25, TO_MAX)])
        }
        Field::L1 | Field::L2 => steps(&[(0.0005, 0.05), (0.01, 1.0), (0.5, TO_MAX)]),
        Field::WeightDecay => steps(&[(0.001, 0.2), (0.01, TO_MAX)]),
        Field::WarmupSteps | Field::DecaySteps => steps(&[
            (1.0, 100.0),
            (10.0, 1000.0),
            (100.0, 10_000.0),
            (1000.0, 100_000.0),
            (10_000.0, TO_MAX),
        ]),
        Field::Momentum | Field::Alpha | Field::Beta1 | Field::Beta2 => {
            steps(&[(0.01, 0.9), (0.001, 0.999), (0.00001, TO_MAX)])
        }
        // Whole-number settings by ones (sequence length, truncation), anything else by
        // hundredths (the test below bounds the positions any setting gets).
        _ if field.range().is_some_and(|(_, _, whole)| whole) => steps(&[(1.0, TO_MAX)]),
        _ => steps(&[(0.01, TO_MAX)]),
    }
}

impl Scale {
    /// The stretches of a [`Scale::Steps`] (empty ones left out).
    fn stretches(min: f64, max: f64, stretches: &[(f64, f64)]) -> Vec<Stretch> {
        let mut from = min;
        let mut out = Vec::new();
        for &(step, up_to) in stretches {
            let to = up_to.min(max);
            if to > from && step > 0.0 {
                // A hair under, so a stretch that is a whole number of steps gets no extra one.
                let positions = ((to - from) / step - 1e-9).ceil();
                out.push(Stretch {
                    from,
                    to,
                    step,
                    positions,
                });
                from = to;
            }
        }
        out
    }

    /// The input's `(min, max, step)` attributes.
    pub fn bounds(self) -> (f64, f64, f64) {
        match self {
            Self::Log { min, max } => (min.log10(), max.log10(), 0.01),
            Self::Steps {
                min,
                max,
                stretches,
            } => {
                let positions = Self::stretches(min, max, stretches)
                    .iter()
                    .map(|s| s.positions)
                    .sum();
                (0.0, positions, 1.0)
            }
            Self::PowersOfTwo { min, max } => (min.log2(), max.log2(), 1.0),
        }
    }

    /// Whether every value it gives is a whole number.
    pub fn whole(self) -> bool {
        match self {
            Self::Log { .. } => false,
            Self::PowersOfTwo { min, .. } => min >= 1.0,
            Self::Steps { min, stretches, .. } => {
                min.fract() == 0.0 && stretches.iter().all(|(step, _)| step.fract() == 0.0)
            }
        }
    }

    /// The input position that shows `value` (the nearest one; a value outside the bounds
    /// sits at the end).
    pub fn position(self, value: f64) -> f64 {
        match self {
            Self::Log { min, max } => value.clamp(min, max).log10(),
            Self::PowersOfTwo { min, max } => {
                let value = if value.is_nan() { min } else { value };
                value.clamp(min, max).log2().round()
            }
            Self::Steps {
                min,
                max,
                stretches,
            } => {
                let value = if value.is_nan() { min } else { value };
                let mut at = 0.0;
                for s in Self::stretches(min, max, stretches) {
                    if value <= s.to {
                        let within = ((value - s.from) / s.step).round().clamp(0.0, s.positions);
                        return at + within;
                    }
                    at += s.positions;
                }
                at
            }
        }
    }

    /// The value at input position `x` (log values rounded to 3 significant digits, steps to
    /// their step's decimals).
    pub fn value(self, x: f64) -> f64 {
        match self {
            Self::Log { min, max } => {
                if x <= min.log10() {
                    return min;
                }
                if x >= max.log10() {
                    return max;
                }
                let v = 10f64.powf(x);
                // By an exact power of ten, so 0.03 comes out as the number 0.03 is.
                let digits = 2 - v.log10().floor() as i32;
                let rounded = if digits >= 0 {
                    (v * 10f64.powi(digits)).round() / 10f64.powi(digits)
                } else {
                    (v / 10f64.powi(-digits)).round() * 10f64.powi(-digits)
                };
                rounded.clamp(min, max)
            }
            Self::PowersOfTwo { min, max } => 2f64.powi(x.round() as i32).clamp(min, max),
            Self::Steps {
                min,
                max,
                stretches,
            } => {
                let mut x = x.round().max(0.0);
                let all = Self::stretches(min, max, stretches);
                for s in &all {
                    if x <= s.positions {
                        return round_to_step(s.from + x * s.step, s.step).min(s.to);
                    }
                    x -= s.positions;
                }
                all.last().map_or(min, |s| s.to)
            }
        }
    }

    /// Where `value` sits along the track, 0–100 %.
    pub fn percent(self, value: f64) -> f64 {
        let (min, max, _) = self.bounds();
        ((self.position(value) - min) / (max - min) * 100.0).clamp(0.0, 100.0)
    }
}

/// `v` with as many decimals as `step` has (0.05 → 2), so sums of steps print as typed.
fn round_to_step(v: f64, step: f64) -> f64 {
    let decimals = format!("{step}")
        .split_once('.')
        .map_or(0, |(_, digits)| digits.len());
    let p = 10f64.powi(decimals as i32);
    (v * p).round() / p
}

#[cfg(test)]
mod tests {
    use super::*;
    use gradlab_engine::settings::{Kind, SETTINGS};
    use wasm_bindgen_test::wasm_bindgen_test;

    /// The depth slider: positions 0…189 are depths 1…100 one by one, then 110…1000 by ten;
    /// each round-trips, and a depth between rungs (a link's 137) sits at the nearest one.
    #[wasm_bindgen_test]
    fn the_depth_slider_moves_one_rung_per_position() {
        let depth = scale_of(Field::Depth);
        assert_eq!(depth.bounds(), (0.0, 189.0, 1.0));
        assert_eq!(depth.value(0.0), 1.0);
        assert_eq!(depth.value(99.0), 100.0);
        assert_eq!(depth.value(100.0), 110.0);
        assert_eq!(depth.value(189.0), 1000.0);
        for x in 0..=189 {
            let v = depth.value(f64::from(x));
            assert_eq!(depth.position(v), f64::from(x), "{v}");
            assert!(v.fract() == 0.0 && v > depth.value(f64::from(x) - 1.0).min(v - 1.0));
        }
        assert_eq!(depth.position(137.0), 103.0);
        assert!(depth.whole());
    }

    /// One source of truth: every numeric setting's slider spans exactly its table range, its
    /// default is a position of its own, and every position's value is legal and maps back
    /// to that position — so a link's value never jumps into a narrower range.
    #[wasm_bindgen_test]
    fn every_slider_spans_its_settings_range() {
        for setting in &SETTINGS {
            let Kind::Number {
                min,
                max,
                default,
                whole,
            } = setting.kind
            else {
                continue;
            };
            let scale = scale_of(setting.field);
            let (lo, hi, _) = scale.bounds();
            let key = setting.key;
            assert_eq!(scale.value(lo), min, "{key}: first position");
            assert_eq!(scale.value(hi), max, "{key}: last position");
            assert_eq!(
                scale.value(scale.position(default)),
                default,
                "{key}: default"
            );
            if whole {
                assert!(scale.whole(), "{key}: whole numbers only");
            }
            let positions = ((hi - lo) / scale.bounds().2) as usize;
            assert!(positions <= 2000, "{key}: {positions} positions");
            for i in 0..=positions {
                let x = lo + i as f64 * scale.bounds().2;
                let v = scale.value(x);
                assert!((min..=max).contains(&v), "{key}: {v} at {x}");
                if matches!(scale, Scale::Steps { .. } | Scale::PowersOfTwo { .. }) {
                    assert_eq!(scale.position(v), x, "{key}: {v}");
                }
            }
            // A legal value between positions, and ones past the ends, sit inside the track.
            for v in [min, max, (min + max) / 2.0, max * 2.0, min - 1.0] {
                let x = scale.position(v);
                assert!((lo..=hi).contains(&x), "{key}: {v} at {x}");
            }
        }
    }

    #[wasm_bindgen_test]
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

    /// The static loss scale: one position per power of two, 2⁰ to 2²⁴; a link's 1000 sits at
    /// 2¹⁰'s position (and keeps its value: the slider only shows it there).
    #[wasm_bindgen_test]
    fn the_loss_scale_moves_by_powers_of_two() {
        let s = scale_of(Field::StaticScale);
        assert_eq!(s.bounds(), (0.0, 24.0, 1.0));
        assert_eq!(s.value(16.0), 65536.0);
        assert_eq!(s.position(65536.0), 16.0);
        assert_eq!(s.position(1000.0), 10.0);
        assert!(s.whole());
    }

    /// The weight scale: 0.05 apart up to 4, where a class works, then 0.25 up to the table's
    /// 10; the sums print as typed.
    #[wasm_bindgen_test]
    fn stretches_change_step_where_they_say() {
        let s = scale_of(Field::WeightScale);
        assert_eq!(s.bounds(), (0.0, 104.0, 1.0));
        assert_eq!(s.value(6.0), 0.3);
        assert_eq!(s.value(80.0), 4.0);
        assert_eq!(s.value(81.0), 4.25);
        assert_eq!(s.position(9.0), 100.0);
        assert_eq!(s.percent(10.0), 100.0);
        assert!(!s.whole());
    }
}
