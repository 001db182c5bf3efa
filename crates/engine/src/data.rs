//! Seeded toy data sets, the same family TensorFlow Playground uses.
//!
//! Shapes: `x` is `[n, input_dim]` with inputs in roughly [−1, 1]; `y` is `[n, 1]`.
//! Classification sets are 2-D with targets ±1 (fit by regression on the MSE loss);
//! `Sine` is a 1-D regression of sin(πx).

use ndarray::{Array2, Axis};
use rand::seq::index;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Points in every data set: enough for structure, small enough to regenerate instantly.
pub const DATASET_SIZE: usize = 512;

/// Which toy problem to fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    /// Inner disc (+1) inside an outer ring (−1).
    Circle,
    /// Quadrants: +1 where x₁·x₂ > 0.
    Xor,
    /// Two interleaved spirals, ±1.
    Spiral,
    /// Two Gaussian blobs, ±1.
    Clusters,
    /// y = sin(πx) + small noise, x in [−1, 1].
    Sine,
    /// The reader's own labelled points ([`own_points`](super::own_points)), kept in their
    /// browser: a link says `dataset=own` without them, and a run without them fits the circle.
    Own,
}

impl DatasetKind {
    /// Every data set, in the order controls list them.
    pub const ALL: [DatasetKind; 6] = [
        Self::Circle,
        Self::Xor,
        Self::Spiral,
        Self::Clusters,
        Self::Sine,
        Self::Own,
    ];
    /// The names accepted by [`DatasetKind::from_name`].
    pub const NAMES: &'static [&'static str] =
        &["circle", "xor", "spiral", "clusters", "sine", "own"];

    /// The lowercase name used in URLs, flags and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Circle => "circle",
            Self::Xor => "xor",
            Self::Spiral => "spiral",
            Self::Clusters => "clusters",
            Self::Sine => "sine",
            Self::Own => "own",
        }
    }

    /// Parses a name from [`DatasetKind::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Number of input features: 2, or 1 for `Sine`.
    pub fn input_dim(self) -> usize {
        match self {
            Self::Sine => 1,
            _ => 2,
        }
    }
}

/// A data set: generated, or the reader's own points.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Inputs, `[n, input_dim]`.
    pub x: Array2<f32>,
    /// Targets, `[n, 1]`.
    pub y: Array2<f32>,
}

impl Dataset {
    /// The loss of the best constant prediction (the targets' mean) under the mean squared
    /// error: the targets' variance. A net that only learns the mean reaches this and no
    /// lower, so "trained" means clearly below it.
    pub fn constant_prediction_loss(&self) -> f64 {
        let n = self.y.len().max(1) as f64;
        let mean = self.y.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        self.y
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n
    }

    /// Generates [`DATASET_SIZE`] points of `kind` from `rng` (for `Own`, which is not
    /// generated, the circle's: what a run asking for own points fits without them).
    pub fn generate<R: Rng + ?Sized>(kind: DatasetKind, rng: &mut R) -> Self {
        let n = DATASET_SIZE;
        let mut x = Array2::zeros((n, kind.input_dim()));
        let mut y = Array2::zeros((n, 1));
        for i in 0..n {
            let positive = i % 2 == 0;
            let sign = if positive { 1.0 } else { -1.0 };
            let (point, target): (Vec<f64>, f64) = match kind {
                // Own points are not generated: without them, the circle.
                DatasetKind::Circle | DatasetKind::Own => {
                    let r = if positive {
                        rng.random_range(0.0..0.5)
                    } else {
                        rng.random_range(0.7..1.0)
                    };
                    let t = rng.random_range(0.0..2.0 * PI);
                    (vec![r * t.cos(), r * t.sin()], sign)
                }
                DatasetKind::Xor => {
                    // Keep a small margin off the axes, where the label flips.
                    let mut coord = || {
                        let v: f64 = rng.random_range(0.05..1.0);
                        if rng.random::<bool>() {
                            v
                        } else {
                            -v
                        }
                    };
                    let (a, b) = (coord(), coord());
                    (vec![a, b], (a * b).signum())
                }
                DatasetKind::Spiral => {
                    let u: f64 = rng.random_range(0.0..1.0);
                    let r = 0.05 + 0.9 * u;
                    let t = 1.75 * 2.0 * PI * u + if positive { 0.0 } else { PI };
                    let noise = 0.02;
                    (
                        vec![
                            r * t.sin() + noise * gauss(rng),
                            r * t.cos() + noise * gauss(rng),
                        ],
                        sign,
                    )
                }
                DatasetKind::Clusters => {
                    let c = 0.5 * sign;
                    (vec![c + 0.25 * gauss(rng), c + 0.25 * gauss(rng)], sign)
                }
                DatasetKind::Sine => {
                    let v: f64 = rng.random_range(-1.0..1.0);
                    (vec![v], (PI * v).sin() + 0.05 * gauss(rng))
                }
            };
            for (j, v) in point.into_iter().enumerate() {
                x[[i, j]] = v as f32;
            }
            y[[i, 0]] = target as f32;
        }
        Self { x, y }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }

    /// Whether the set has no points (never true for a generated set).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A mini-batch of `batch` distinct points drawn uniformly with `rng`
    /// (`batch` is capped at the set's size): `(x: [batch, input_dim], y: [batch, 1])`.
    pub fn sample_batch<R: Rng + ?Sized>(
        &self,
        batch: usize,
        rng: &mut R,
    ) -> (Array2<f32>, Array2<f32>) {
        let picked = index::sample(rng, self.len(), batch.min(self.len())).into_vec();
        (
            self.x.select(Axis(0), &picked),
            self.y.select(Axis(0), &picked),
        )
    }
}

fn gauss<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    rng.sample(StandardNormal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};

    #[test]
    fn every_set_has_its_shape_and_balanced_targets() {
        for kind in DatasetKind::ALL {
            let d = Dataset::generate(kind, &mut stream_rng(3, Stream::Data));
            assert_eq!(d.x.dim(), (DATASET_SIZE, kind.input_dim()));
            assert_eq!(d.y.dim(), (DATASET_SIZE, 1));
            assert!(
                d.x.iter().all(|v| v.is_finite() && v.abs() < 2.0),
                "{kind:?}"
            );
            if kind != DatasetKind::Sine {
                let positives = d.y.iter().filter(|&&t| t > 0.0).count();
                assert!((200..=312).contains(&positives), "{kind:?}: {positives}");
                assert!(d.y.iter().all(|&t| t == 1.0 || t == -1.0));
            }
        }
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = Dataset::generate(DatasetKind::Spiral, &mut stream_rng(1, Stream::Data));
        let b = Dataset::generate(DatasetKind::Spiral, &mut stream_rng(1, Stream::Data));
        let c = Dataset::generate(DatasetKind::Spiral, &mut stream_rng(2, Stream::Data));
        assert_eq!(a.x, b.x);
        assert_ne!(a.x, c.x);
    }

    #[test]
    fn batches_are_distinct_rows_of_the_set() {
        let d = Dataset::generate(DatasetKind::Xor, &mut stream_rng(1, Stream::Data));
        let (x, y) = d.sample_batch(64, &mut stream_rng(1, Stream::Batches));
        assert_eq!(x.dim(), (64, 2));
        assert_eq!(y.dim(), (64, 1));
        let (all, _) = d.sample_batch(10_000, &mut stream_rng(1, Stream::Batches));
        assert_eq!(all.nrows(), DATASET_SIZE);
    }
}
