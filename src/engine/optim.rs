//! The update rule applied after clipping.
//!
//! Plain SGD today: `W ← W − η·g_W`, `b ← b − η·g_b`. Momentum and Adam are meant to arrive as
//! further [`Optimizer`] variants carrying their own state, behind the same `apply`.

use super::group::ParamGroup;
use super::scalar::Scalar;
use ndarray::{Array2, Zip};

/// An optimizer and whatever state it keeps between steps.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Optimizer {
    /// Stochastic gradient descent, no state.
    #[default]
    Sgd,
}

/// What one layer's update measured, in the same pass that applied it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpdateNorms {
    /// ‖W‖ before the update.
    pub weight_before: f64,
    /// ‖ΔW‖ of the update applied.
    pub delta: f64,
    /// Whether W and b are all finite after the update.
    pub finite_after: bool,
}

impl Optimizer {
    /// Updates `layers` from `grads` with learning rate η, measuring each layer on the way (one
    /// pass over the weights).
    pub fn apply<S: Scalar>(
        &mut self,
        layers: &mut [ParamGroup<S>],
        grads: &[ParamGroup<S>],
        learning_rate: f64,
    ) -> Vec<UpdateNorms> {
        match self {
            Self::Sgd => {
                let step = S::of(-learning_rate);
                layers
                    .iter_mut()
                    .zip(grads)
                    .map(|(layer, grad)| {
                        let [before, delta, after] = sgd_arrays(&mut layer.w, &grad.w, step);
                        layer.b.scaled_add(step, &grad.b);
                        UpdateNorms {
                            weight_before: before.sqrt(),
                            delta: delta.sqrt(),
                            finite_after: after.is_finite()
                                && layer.b.iter().all(|v| v.is_finite()),
                        }
                    })
                    .collect()
            }
        }
    }
}

/// `w += step·g` through the fused kernel where both are contiguous in the same order.
fn sgd_arrays<S: Scalar>(w: &mut Array2<S>, g: &Array2<S>, step: S) -> [f64; 3] {
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
        let norms = Optimizer::Sgd.apply(&mut layers, &grads, 0.1);
        assert!((layers[0].w[[0, 0]]).abs() < 1e-12 && (layers[0].w[[0, 1]] - 3.0).abs() < 1e-12);
        assert!((layers[0].b[0] - 0.4f64).abs() < 1e-12 && (layers[0].b[1] - 0.6f64).abs() < 1e-12);
        assert!((norms[0].delta - 2f64.sqrt()).abs() < 1e-12);
        assert!((norms[0].weight_before - 5f64.sqrt()).abs() < 1e-12);
        assert!(norms[0].finite_after);
    }
}
