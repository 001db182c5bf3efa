//! The update rule applied after clipping.
//!
//! Plain SGD today: `W ← W − η·g_W`, `b ← b − η·g_b`. Momentum and Adam are meant to arrive as
//! further [`Optimizer`] variants carrying their own state, behind the same `apply`.

use super::layer::LayerParams;
use super::scalar::Scalar;
use ndarray::Zip;

/// An optimizer and whatever state it keeps between steps.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Optimizer {
    /// Stochastic gradient descent, no state.
    #[default]
    Sgd,
}

impl Optimizer {
    /// Updates `layers` from `grads` with learning rate η; returns ‖ΔW_l‖_F per layer (weights
    /// only), measured on the update actually applied.
    pub fn apply<S: Scalar>(
        &mut self,
        layers: &mut [LayerParams<S>],
        grads: &[LayerParams<S>],
        learning_rate: f64,
    ) -> Vec<f64> {
        match self {
            Self::Sgd => {
                let step = S::of(-learning_rate);
                layers
                    .iter_mut()
                    .zip(grads)
                    .map(|(layer, grad)| {
                        let mut delta_sq = 0.0;
                        Zip::from(&mut layer.w).and(&grad.w).for_each(|w, &g| {
                            let delta = step * g;
                            delta_sq += delta.wide() * delta.wide();
                            *w += delta;
                        });
                        layer.b.scaled_add(step, &grad.b);
                        delta_sq.sqrt()
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// W = [[1, 2]], g = [[10, −10]], η = 0.1: W' = [[0, 3]], ‖ΔW‖ = √2.
    #[test]
    fn sgd_by_hand() {
        let mut layers = vec![LayerParams {
            w: array![[1.0f64, 2.0]],
            b: array![0.5, 0.5],
        }];
        let grads = vec![LayerParams {
            w: array![[10.0, -10.0]],
            b: array![1.0, -1.0],
        }];
        let norms = Optimizer::Sgd.apply(&mut layers, &grads, 0.1);
        assert!((layers[0].w[[0, 0]]).abs() < 1e-12 && (layers[0].w[[0, 1]] - 3.0).abs() < 1e-12);
        assert!((layers[0].b[0] - 0.4f64).abs() < 1e-12 && (layers[0].b[1] - 0.6f64).abs() < 1e-12);
        assert!((norms[0] - 2f64.sqrt()).abs() < 1e-12);
    }
}
