//! Pascanu's cliff: the one-unit recurrent net of Pascanu, Mikolov & Bengio (2013, section 3
//! and figure 6), its loss surface over (w, b), and gradient descent on it with and without
//! norm clipping.
//!
//! The net: `x_t = w·σ(x_{t−1}) + b`, `x₀ = 0.5`, σ the logistic sigmoid, T = 50 steps, loss
//! `E = (σ(x_T) − 0.7)²`. It is the engine's own [`Rnn`] with one sigmoid unit: with
//! `h_t = σ(x_t)`, `x_t = h_{t−1}·w + b` is the vanilla cell with `W_h = [w]`. The engine's
//! RNN starts from `h₀ = 0`, so the first step's `w·σ(x₀)` enters as an input: `x₁ = σ(0.5)`
//! with `W_x = [w]` tied to `W_h`, so `∂E/∂w = ∂E/∂W_x + ∂E/∂W_h` (the chain rule for a weight
//! used twice). The readout is `h_T·1 + 0` under MSE. Gradients are computed in f64.
//!
//! The wall, analytically: the map `h ↦ σ(w·h + b)` sends `h₀ = σ(0.5)` up or down depending
//! on which side of its unstable fixed point `h₀` starts. The boundary is where `h₀` *is* that
//! fixed point — `b = 0.5 − w·σ(0.5)` — and it is unstable (a basin boundary) only where the
//! map's slope there, `w·h₀(1 − h₀)`, exceeds 1: for `w > 1/(h₀(1 − h₀)) ≈ 4.2556`. Crossing
//! that line moves `σ(x_T)` from near one stable fixed point to the other, so the loss jumps
//! within a band of b far thinner than any plotting grid (THEORY.md: ~10⁻⁴ at w = 5).

use super::activation::Activation;
use super::cell::Cell;
use super::clip::{clip_gradients, Clip, ClipMode};
use super::group::ParamGroup;
use super::loss::{LossKind, Penalty};
use super::network::Network;
use super::rnn::{Readout, Rnn, RnnShape};
use ndarray::{array, Array1, Array2};
use serde::{Deserialize, Serialize};

/// Time steps T.
pub const STEPS: usize = 50;
/// The starting state x₀.
pub const X0: f64 = 0.5;
/// The target of σ(x_T).
pub const TARGET: f64 = 0.7;
/// The window the map shows: w from, to.
pub const W_RANGE: (f64, f64) = (0.0, 10.0);
/// The window the map shows: b from, to.
pub const B_RANGE: (f64, f64) = (-8.0, 2.0);
/// Most descent steps a trajectory takes.
pub const MAX_DESCENT_STEPS: usize = 1000;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A point of the (w, b) plane.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The recurrent weight w.
    pub w: f64,
    /// The bias b.
    pub b: f64,
}

/// The loss and its gradient at a point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluated {
    /// E(w, b).
    pub loss: f64,
    /// (∂E/∂w, ∂E/∂b).
    pub gradient: [f64; 2],
}

/// The one-unit RNN at (w, b), as the engine's [`Rnn`].
fn network(at: Point) -> Rnn<f64> {
    let matrix = |v: f64| ParamGroup {
        w: array![[v]],
        b: Array1::zeros(0),
    };
    Rnn {
        groups: vec![
            matrix(at.w),
            matrix(at.w),
            ParamGroup::vector(array![at.b]),
            matrix(1.0),
            ParamGroup::vector(array![0.0]),
        ],
        shape: RnnShape {
            input_dim: 1,
            hidden: 1,
            output_dim: 1,
            steps: STEPS,
        },
        cell: Cell::Vanilla,
        activation: Activation::Sigmoid,
        readout: Readout::Last,
        loss: LossKind::Mse,
        truncation: 0,
    }
}

/// The input sequence: σ(x₀) at the first step (it meets the tied `W_x = w`), then zeros.
fn inputs() -> Array2<f64> {
    let mut x = Array2::zeros((STEPS, 1));
    x[[0, 0]] = sigmoid(X0);
    x
}

/// E and ∇E at `at`, by the engine's backprop through time.
pub fn evaluate(at: Point) -> Evaluated {
    let backprop = network(at).backprop(
        inputs().view(),
        array![[TARGET]].view(),
        &Penalty::default(),
    );
    let g = &backprop.grads;
    Evaluated {
        loss: backprop.loss,
        gradient: [g[0].w[[0, 0]] + g[1].w[[0, 0]], g[2].b[0]],
    }
}

/// E alone, by iterating the map (what the surface is drawn from; `evaluate` agrees).
pub fn loss(at: Point) -> f64 {
    let mut x = X0;
    for _ in 0..STEPS {
        x = at.w * sigmoid(x) + at.b;
    }
    (sigmoid(x) - TARGET).powi(2)
}

/// The wall, where it exists: the b at which the loss jumps for this w (see the module docs).
pub fn wall_at(w: f64) -> Option<f64> {
    let h0 = sigmoid(X0);
    (w * h0 * (1.0 - h0) > 1.0).then_some(X0 - w * h0)
}

/// The least w with a wall, 1/(σ(x₀)(1 − σ(x₀))).
pub fn wall_start() -> f64 {
    let h0 = sigmoid(X0);
    1.0 / (h0 * (1.0 - h0))
}

/// The loss over a `columns × rows` grid spanning [`W_RANGE`] × [`B_RANGE`], row-major from
/// the lowest b; tile centres.
pub fn surface(columns: usize, rows: usize) -> Vec<f64> {
    let (columns, rows) = (columns.max(1), rows.max(1));
    let mut out = Vec::with_capacity(columns * rows);
    for r in 0..rows {
        let b = B_RANGE.0 + (r as f64 + 0.5) / rows as f64 * (B_RANGE.1 - B_RANGE.0);
        for c in 0..columns {
            let w = W_RANGE.0 + (c as f64 + 0.5) / columns as f64 * (W_RANGE.1 - W_RANGE.0);
            out.push(loss(Point { w, b }));
        }
    }
    out
}

/// How a descent is run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Descent {
    /// Where it starts.
    pub start: Point,
    /// Learning rate η.
    pub learning_rate: f64,
    /// Global-norm clip threshold, or none.
    pub clip: Option<f64>,
    /// Steps to take (at most [`MAX_DESCENT_STEPS`]).
    pub steps: usize,
}

/// A descent's path.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trajectory {
    /// The points visited, the start first, each with its loss.
    pub points: Vec<(Point, f64)>,
    /// ‖∇E‖ at each point a step was taken from (before clipping).
    pub gradient_norms: Vec<f64>,
    /// Why it stopped early: the gradient or the point was no longer a finite number.
    pub stopped: Option<String>,
}

impl Trajectory {
    /// The length of the longest step.
    pub fn longest_step(&self) -> f64 {
        self.points
            .windows(2)
            .map(|p| (p[1].0.w - p[0].0.w).hypot(p[1].0.b - p[0].0.b))
            .fold(0.0, f64::max)
    }
}

/// Gradient descent from `descent.start`: `θ ← θ − η·clip(∇E)`, with clipping by global norm
/// through the engine's own clipping (PyTorch's `clip_grad_norm_` rule), so every clipped step
/// is at most η·c long.
pub fn descend(descent: Descent) -> Trajectory {
    let mut at = descent.start;
    let mut trajectory = Trajectory {
        points: vec![(at, loss(at))],
        ..Trajectory::default()
    };
    for step in 0..descent.steps.min(MAX_DESCENT_STEPS) {
        let Evaluated { gradient, .. } = evaluate(at);
        let mut grads = [
            ParamGroup::vector(array![gradient[0]]),
            ParamGroup::vector(array![gradient[1]]),
        ];
        let norms: Vec<f64> = grads.iter().map(|g| g.norm_sq().sqrt()).collect();
        trajectory.gradient_norms.push(norms[0].hypot(norms[1]));
        if let Some(threshold) = descent.clip {
            clip_gradients(
                &mut grads,
                Clip {
                    mode: ClipMode::GlobalNorm,
                    threshold,
                },
                &norms,
            );
        }
        at = Point {
            w: at.w - descent.learning_rate * grads[0].b[0],
            b: at.b - descent.learning_rate * grads[1].b[0],
        };
        if !(at.w.is_finite() && at.b.is_finite()) {
            trajectory.stopped = Some(format!(
                "step {}: the gradient was not a finite number",
                step + 1
            ));
            break;
        }
        trajectory.points.push((at, loss(at)));
    }
    trajectory
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine's loss is the map's: E = (σ(x_T) − 0.7)², iterated by hand.
    #[test]
    fn the_engine_computes_pascanus_loss() {
        for at in [
            Point { w: 1.0, b: 0.0 },
            Point { w: 5.0, b: -2.5 },
            Point { w: 8.0, b: -6.0 },
        ] {
            let engine = evaluate(at).loss;
            assert!(
                (engine - loss(at)).abs() < 1e-12,
                "{at:?}: {engine} vs {}",
                loss(at)
            );
        }
    }

    /// ∇E against central differences of the map's own loss, on both sides of the wall and
    /// away from it: (E(θ + h) − E(θ − h)) / 2h, h = 1e-7.
    #[test]
    fn the_gradient_matches_finite_differences_on_both_sides_of_the_wall() {
        let h = 1e-7;
        let wall = wall_at(5.0).unwrap();
        for at in [
            Point {
                w: 5.0,
                b: wall - 0.01,
            },
            Point {
                w: 5.0,
                b: wall + 0.01,
            },
            Point {
                w: 5.0,
                b: wall - 1e-3,
            },
            Point { w: 2.0, b: -1.0 },
            Point { w: 7.0, b: -3.0 },
        ] {
            let g = evaluate(at).gradient;
            let dw =
                (loss(Point { w: at.w + h, ..at }) - loss(Point { w: at.w - h, ..at })) / (2.0 * h);
            let db =
                (loss(Point { b: at.b + h, ..at }) - loss(Point { b: at.b - h, ..at })) / (2.0 * h);
            for (exact, numeric) in [(g[0], dw), (g[1], db)] {
                assert!(
                    (exact - numeric).abs() <= 1e-5 * exact.abs().max(numeric.abs()) + 1e-9,
                    "{at:?}: {exact} vs {numeric}"
                );
            }
        }
    }

    /// THEORY.md: at w = 5 the wall sits near b ≈ −2.612, and it is thin: the gradient there is
    /// orders of magnitude above its size 0.01 away, and σ(x_T) lands on different fixed points
    /// either side. Below w ≈ 4.26 there is no wall.
    #[test]
    fn the_wall_is_where_theory_puts_it() {
        let wall = wall_at(5.0).unwrap();
        assert!((wall + 2.612).abs() < 1e-3, "{wall}");
        let steep = evaluate(Point {
            w: 5.0,
            b: wall + 1e-5,
        })
        .gradient[1]
            .abs();
        let calm = evaluate(Point {
            w: 5.0,
            b: wall + 0.05,
        })
        .gradient[1]
            .abs();
        assert!(steep > 1e3 * calm && steep > 10.0, "{steep} vs {calm}");
        let below = loss(Point {
            w: 5.0,
            b: wall - 0.01,
        });
        let above = loss(Point {
            w: 5.0,
            b: wall + 0.01,
        });
        assert!((below - above).abs() > 0.1, "{below} vs {above}");
        assert!(wall_at(4.2).is_none() && (wall_start() - 4.2556).abs() < 1e-3);
    }

    /// Started on the wall's face (w = 5, b = −2.6123, 3·10⁻⁶ below the wall, where ‖∇E‖ ≈ 10³),
    /// the unclipped descent's first step is thrown ~100 off, onto a plateau where the gradient
    /// is zero; the clipped one never steps more than η·c and stays beside the wall.
    #[test]
    fn clipping_keeps_the_descent_near_the_wall() {
        let start = Point { w: 5.0, b: -2.6123 };
        let descent = |clip| {
            descend(Descent {
                start,
                learning_rate: 0.1,
                clip,
                steps: 60,
            })
        };
        let (plain, clipped) = (descent(None), descent(Some(1.0)));
        assert!(
            plain.gradient_norms[0] > 500.0,
            "{}",
            plain.gradient_norms[0]
        );
        assert!(plain.longest_step() > 50.0, "{}", plain.longest_step());
        assert!(plain.gradient_norms[1..].iter().all(|&g| g < 1e-6));
        assert!(
            clipped.longest_step() <= 0.1 + 1e-12,
            "{}",
            clipped.longest_step()
        );
        let far = clipped
            .points
            .iter()
            .map(|(p, _)| (p.w - start.w).hypot(p.b - start.b))
            .fold(0.0, f64::max);
        assert!(far < 1.0, "{far}");
        assert!(clipped.points.last().unwrap().1 < 0.02);
        assert_eq!(clipped.points.len(), 61);
    }

    #[test]
    fn the_surface_is_row_major_from_the_lowest_b() {
        let s = surface(4, 3);
        assert_eq!(s.len(), 12);
        let at = Point {
            w: W_RANGE.0 + 1.5 / 4.0 * (W_RANGE.1 - W_RANGE.0),
            b: B_RANGE.0 + 0.5 / 3.0 * (B_RANGE.1 - B_RANGE.0),
        };
        assert_eq!(s[1], loss(at));
    }
}
