//! Seeded sequence tasks for the RNN: a fresh batch of sequences every step, drawn from the
//! run's batch stream, so the same seed gives the same data.
//!
//! Every task defines a target for every step t = 1..T; readout `last` trains on the last one,
//! readout `all` on every one. Batches are time-major (see [`rnn`](super::rnn)):
//! `x: [T·n, d]`, `y: [T·n, ·]` (readout all) or `[n, ·]` (readout last). Class targets (the
//! copy task) are class indices, one column.
//!
//! - [`Task::Adding`] (Arjovsky et al. 2016 form): inputs (value ~ U[0, 1], marker); one marker
//!   in each half; the target is the sum of the marked values seen so far (at t = T: the sum of
//!   both). Predicting the mean, 1, scores MSE 1/6 ≈ 0.167 at the last step (THEORY.md).
//! - [`Task::Copy`]: m = min(10, ⌊(T − 1)/2⌋) symbols from 8, then blanks, a delimiter at step
//!   T − m, and m blanks during which the model must repeat the symbols. 10 classes (0 blank,
//!   1–8 symbols, 9 delimiter), inputs one-hot. The memoryless baseline (blanks, then a uniform
//!   guess) scores cross-entropy m·ln 8 / T over all steps (10·ln 8/(T_gap + 20) at m = 10).
//! - [`Task::Series`]: next-step prediction of `Σ_j a_j sin(ω_j t + φ_j)` plus noise, three
//!   frequencies fixed by the run seed, a random phase per sequence.
//! - [`Task::Language`]: a character language model on [`language::TEXT`]: a window of T + 1
//!   characters at a random place in the text; input t is character t one-hot, target t is
//!   character t + 1 (29 classes). The memoryless baseline is the text's unigram entropy,
//!   2.875 nats (4.15 bits) per character.

use super::language::{self, Corpus, VOCAB};
use super::loss::LossKind;
use super::own_series::OwnSeries;
use super::rnn::Readout;
use ndarray::Array2;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Symbols of the copy task (classes 1..=8).
pub const COPY_SYMBOLS: usize = 8;
/// Classes of the copy task: blank, 8 symbols, delimiter.
pub const COPY_CLASSES: usize = COPY_SYMBOLS + 2;
/// The series' noise standard deviation.
const SERIES_NOISE: f64 = 0.05;

/// Which sequence problem the RNN learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// Add the two marked numbers.
    Adding,
    /// Remember symbols across a gap and repeat them.
    Copy,
    /// Predict the next value of a noisy sum of sines.
    Series,
    /// Predict the next character of an English text.
    Language,
}

impl Task {
    /// Every task, in the order controls list them.
    pub const ALL: [Task; 4] = [Self::Adding, Self::Copy, Self::Series, Self::Language];
    /// The names accepted by [`Task::from_name`].
    pub const NAMES: &'static [&'static str] = &["adding", "copy", "series", "language"];

    /// The name used in URLs, flags and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Adding => "adding",
            Self::Copy => "copy",
            Self::Series => "series",
            Self::Language => "language",
        }
    }

    /// Parses a name from [`Task::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Input features per step.
    pub fn input_dim(self) -> usize {
        match self {
            Self::Adding => 2,
            Self::Copy => COPY_CLASSES,
            Self::Series => 1,
            Self::Language => VOCAB,
        }
    }

    /// Outputs per readout: values, or classes for a cross-entropy task.
    pub fn output_dim(self) -> usize {
        match self {
            Self::Adding | Self::Series => 1,
            Self::Copy => COPY_CLASSES,
            Self::Language => VOCAB,
        }
    }

    /// The loss the task is scored with.
    pub fn loss(self) -> LossKind {
        match self {
            Self::Adding | Self::Series => LossKind::Mse,
            Self::Copy | Self::Language => LossKind::CrossEntropy,
        }
    }

    /// The loss of the best model that remembers nothing, where it is known: the line a
    /// learning model must get below.
    pub fn baseline(self, steps: usize, readout: Readout) -> Option<f64> {
        match (self, readout) {
            (Self::Adding, Readout::Last) => Some(1.0 / 6.0),
            (Self::Copy, Readout::All) => {
                Some(copy_symbols(steps) as f64 * (COPY_SYMBOLS as f64).ln() / steps as f64)
            }
            (Self::Language, _) => Some(language::unigram_entropy()),
            _ => None,
        }
    }

    /// A batch of `n` sequences of `steps` steps: `(x, y)`, time-major (a language model's from
    /// the shipped text).
    pub fn batch<R: Rng + ?Sized>(
        self,
        generator: &SeriesShape,
        steps: usize,
        n: usize,
        readout: Readout,
        rng: &mut R,
    ) -> (Array2<f32>, Array2<f32>) {
        self.batch_of(generator, &Corpus::shipped(), None, steps, n, readout, rng)
    }

    /// The same, a language model's windows drawn from `corpus`, and the series task's from
    /// `own_series` when there is one (windows of T + 1 values, which it must fit).
    #[allow(clippy::too_many_arguments)]
    pub fn batch_of<R: Rng + ?Sized>(
        self,
        generator: &SeriesShape,
        corpus: &Corpus,
        own_series: Option<&OwnSeries>,
        steps: usize,
        n: usize,
        readout: Readout,
        rng: &mut R,
    ) -> (Array2<f32>, Array2<f32>) {
        let targets = if self.loss() == LossKind::CrossEntropy {
            1
        } else {
            self.output_dim()
        };
        let mut x = Array2::<f32>::zeros((steps * n, self.input_dim()));
        let mut y_all = Array2::<f32>::zeros((steps * n, targets));
        for i in 0..n {
            match self {
                Self::Adding => {
                    let half = (steps / 2).max(1);
                    let first = rng.random_range(0..half);
                    let second = if steps > half {
                        rng.random_range(half..steps)
                    } else {
                        first
                    };
                    let mut sum = 0.0f32;
                    for t in 0..steps {
                        let value: f32 = rng.random_range(0.0..1.0);
                        let marked = t == first || t == second;
                        x[[t * n + i, 0]] = value;
                        x[[t * n + i, 1]] = f32::from(u8::from(marked));
                        if marked {
                            sum += value;
                        }
                        y_all[[t * n + i, 0]] = sum;
                    }
                }
                Self::Copy => {
                    let m = copy_symbols(steps);
                    let symbols: Vec<usize> =
                        (0..m).map(|_| rng.random_range(1..=COPY_SYMBOLS)).collect();
                    for t in 0..steps {
                        let input = if t < m {
                            symbols[t]
                        } else if t + 1 == steps - m {
                            COPY_CLASSES - 1
                        } else {
                            0
                        };
                        x[[t * n + i, input]] = 1.0;
                        let target = if t >= steps - m {
                            symbols[t + m - steps]
                        } else {
                            0
                        };
                        y_all[[t * n + i, 0]] = target as f32;
                    }
                }
                Self::Series if own_series.is_some_and(|s| s.fits(steps)) => {
                    let values = own_series.map_or(&[][..], OwnSeries::values);
                    let start = rng.random_range(0..values.len() - steps);
                    for t in 0..steps {
                        x[[t * n + i, 0]] = values[start + t];
                        y_all[[t * n + i, 0]] = values[start + t + 1];
                    }
                }
                Self::Series => {
                    let phase: f64 = rng.random_range(0.0..2.0 * PI);
                    let mut value = generator.value(0, phase, rng);
                    for t in 0..steps {
                        let next = generator.value(t + 1, phase, rng);
                        x[[t * n + i, 0]] = value as f32;
                        y_all[[t * n + i, 0]] = next as f32;
                        value = next;
                    }
                }
                Self::Language => {
                    let text = corpus.symbols();
                    let start = rng.random_range(0..text.len() - steps);
                    for t in 0..steps {
                        x[[t * n + i, usize::from(text[start + t])]] = 1.0;
                        y_all[[t * n + i, 0]] = f32::from(text[start + t + 1]);
                    }
                }
            }
        }
        let y = match readout {
            Readout::All => y_all,
            Readout::Last => y_all.slice(ndarray::s![(steps - 1) * n.., ..]).to_owned(),
        };
        (x, y)
    }
}

/// Symbols the copy task asks to remember in `steps` steps.
pub fn copy_symbols(steps: usize) -> usize {
    (steps.saturating_sub(1) / 2).clamp(1, 10)
}

/// The series' frequencies and amplitudes, fixed by the run seed.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesShape {
    /// `(amplitude, angular frequency)` of each sine.
    pub parts: Vec<(f64, f64)>,
}

impl SeriesShape {
    /// Three sines with periods between 6 and 40 steps, amplitudes summing to about 1.
    pub fn draw<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let parts = (0..3)
            .map(|j| {
                let period: f64 = rng.random_range(6.0..40.0);
                (0.5 / (j as f64 + 1.0), 2.0 * PI / period)
            })
            .collect();
        Self { parts }
    }

    fn value<R: Rng + ?Sized>(&self, t: usize, phase: f64, rng: &mut R) -> f64 {
        let noise: f64 = rng.sample(rand_distr::StandardNormal);
        self.parts
            .iter()
            .enumerate()
            .map(|(j, &(a, w))| a * (w * t as f64 + phase * (j as f64 + 1.0)).sin())
            .sum::<f64>()
            + SERIES_NOISE * noise
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};

    /// The adding problem's statistics over 10⁴ sequences: exactly two markers, one per half;
    /// the target is the marked sum; predicting 1 scores MSE ≈ 1/6 (Var of a sum of two
    /// U[0,1] = 2/12), predicting 0 scores E[y²] = 7/6.
    #[test]
    fn adding_baseline_is_one_sixth() {
        let mut rng = stream_rng(1, Stream::Batches);
        let shape = SeriesShape::draw(&mut rng);
        let (steps, n) = (50, 10_000);
        let (x, y) = Task::Adding.batch(&shape, steps, n, Readout::Last, &mut rng);
        assert_eq!((x.dim(), y.dim()), ((steps * n, 2), (n, 1)));
        let (mut mse_mean, mut mse_zero) = (0.0, 0.0);
        for i in 0..n {
            let marked: Vec<usize> = (0..steps).filter(|&t| x[[t * n + i, 1]] == 1.0).collect();
            assert_eq!(marked.len(), 2);
            assert!(marked[0] < steps / 2 && marked[1] >= steps / 2);
            let sum: f32 = marked.iter().map(|&t| x[[t * n + i, 0]]).sum();
            assert_eq!(y[[i, 0]], sum);
            mse_mean += (f64::from(sum) - 1.0).powi(2);
            mse_zero += f64::from(sum).powi(2);
        }
        let (mse_mean, mse_zero) = (mse_mean / n as f64, mse_zero / n as f64);
        // Standard error of the MSE estimate ≈ 0.0016: 0.01 is ~6 of them.
        assert!((mse_mean - 1.0 / 6.0).abs() < 0.01, "{mse_mean}");
        assert!((mse_zero - 7.0 / 6.0).abs() < 0.03, "{mse_zero}");
        assert_eq!(Task::Adding.baseline(steps, Readout::Last), Some(1.0 / 6.0));
    }

    /// The copy task: the symbols come first, the delimiter at step T − m, and the targets are
    /// blank until the last m steps, which repeat the symbols in order.
    #[test]
    fn copy_layout_and_baseline() {
        let mut rng = stream_rng(2, Stream::Batches);
        let shape = SeriesShape::draw(&mut rng);
        let (steps, n) = (40, 500);
        let m = copy_symbols(steps);
        assert_eq!(m, 10);
        let (x, y) = Task::Copy.batch(&shape, steps, n, Readout::All, &mut rng);
        assert_eq!((x.dim(), y.dim()), ((steps * n, 10), (steps * n, 1)));
        let class = |t: usize, i: usize| (0..10).find(|&c| x[[t * n + i, c]] == 1.0).unwrap();
        let mut seen = [0usize; 9];
        for i in 0..n {
            for t in 0..steps {
                assert_eq!(x.row(t * n + i).sum(), 1.0, "one-hot");
                let expected_target = if t >= steps - m {
                    class(t + m - steps, i)
                } else {
                    0
                };
                assert_eq!(y[[t * n + i, 0]] as usize, expected_target);
            }
            assert_eq!(class(steps - m - 1, i), 9, "delimiter");
            (0..m).for_each(|t| seen[class(t, i)] += 1);
        }
        // Symbols are uniform over 1..=8: each about m·n/8 = 625 times.
        assert_eq!(seen[0], 0);
        assert!(
            seen[1..].iter().all(|&c| (525..725).contains(&c)),
            "{seen:?}"
        );
        // 10·ln 8 / 40 (Arjovsky's 10·ln 8/(T_gap + 20) with a gap of 20).
        let baseline = Task::Copy.baseline(steps, Readout::All).unwrap();
        assert!((baseline - 10.0 * 8f64.ln() / 40.0).abs() < 1e-12);
    }

    #[test]
    fn series_targets_are_the_next_inputs_and_same_seed_same_data() {
        let draw = |seed| {
            let mut rng = stream_rng(seed, Stream::Batches);
            let shape = SeriesShape::draw(&mut rng);
            Task::Series.batch(&shape, 30, 4, Readout::All, &mut rng)
        };
        let (x, y) = draw(3);
        for t in 0..29 {
            for i in 0..4 {
                assert_eq!(y[[t * 4 + i, 0]], x[[(t + 1) * 4 + i, 0]]);
            }
        }
        assert_eq!(draw(3), (x.clone(), y));
        assert_ne!(draw(4).0, x);
    }

    /// Language windows: one-hot inputs, each target the next input's symbol, windows taken
    /// from the shipped text as it is.
    #[test]
    fn language_targets_are_the_next_characters() {
        let mut rng = stream_rng(6, Stream::Batches);
        let shape = SeriesShape::draw(&mut rng);
        let (steps, n) = (40, 8);
        let (x, y) = Task::Language.batch(&shape, steps, n, Readout::All, &mut rng);
        assert_eq!((x.dim(), y.dim()), ((steps * n, VOCAB), (steps * n, 1)));
        let symbol = |t: usize, i: usize| (0..VOCAB).find(|&c| x[[t * n + i, c]] == 1.0).unwrap();
        for i in 0..n {
            let window: String = (0..steps)
                .map(|t| language::char_of(symbol(t, i)))
                .chain(std::iter::once(language::char_of(
                    y[[(steps - 1) * n + i, 0]] as usize,
                )))
                .collect();
            assert!(language::TEXT.contains(&window), "{window:?}");
            for t in 0..steps - 1 {
                assert_eq!(x.row(t * n + i).sum(), 1.0, "one-hot");
                assert_eq!(y[[t * n + i, 0]] as usize, symbol(t + 1, i));
            }
        }
        let baseline = Task::Language.baseline(steps, Readout::All).unwrap();
        assert!((baseline - 2.8747).abs() < 1e-4);
    }

    #[test]
    fn names_round_trip() {
        for t in Task::ALL {
            assert_eq!(Task::from_name(t.name()), Some(t));
        }
        assert_eq!(Task::from_name("mnist"), None);
    }
}
