//! The training objective: mean squared error plus optional L1/L2 penalties on the weights.
//!
//! `L = (1 / (n·k)) Σ (ŷ − y)²  +  λ₁ Σ_l Σ |W_l|  +  (λ₂ / 2) Σ_l ‖W_l‖²`
//! over a batch `ŷ, y: [n, k]`. Biases are not penalised. The penalties are part of the loss, so
//! their gradients (`λ₁·sign(W)`, `λ₂·W`) are part of the gradient that is clipped, as when the
//! penalty is written into a PyTorch loss (Keras' `weight_decay`, by contrast, is applied after
//! clipping).

use super::group::ParamGroup;
use super::scalar::Scalar;
use ndarray::{Array2, ArrayView2, Zip};
use serde::{Deserialize, Serialize};

/// L1 and L2 penalty strengths on the weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Penalty {
    /// λ₁: adds λ₁·Σ|W| to the loss.
    pub l1: f64,
    /// λ₂: adds (λ₂/2)·Σ W² to the loss.
    pub l2: f64,
}

impl Penalty {
    /// The penalty's contribution to the loss for these layers.
    pub fn value<S: Scalar>(&self, layers: &[ParamGroup<S>]) -> S {
        if self.l1 == 0.0 && self.l2 == 0.0 {
            return S::zero();
        }
        let (l1, half_l2) = (S::of(self.l1), S::of(self.l2 / 2.0));
        layers.iter().fold(S::zero(), |acc, layer| {
            layer
                .w
                .iter()
                .fold(acc, |acc, &w| acc + l1 * w.abs() + half_l2 * w * w)
        })
    }

    /// Adds the penalty's gradient `λ₁·sign(W) + λ₂·W` to `grad_w` (sign(0) = 0).
    pub fn add_gradient<S: Scalar>(&self, w: &Array2<S>, grad_w: &mut Array2<S>) {
        if self.l1 == 0.0 && self.l2 == 0.0 {
            return;
        }
        let (l1, l2) = (S::of(self.l1), S::of(self.l2));
        Zip::from(grad_w).and(w).for_each(|g, &w| {
            let sign = if w > S::zero() {
                S::one()
            } else if w < S::zero() {
                -S::one()
            } else {
                S::zero()
            };
            *g += l1 * sign + l2 * w;
        });
    }
}

/// Mean squared error over every element of `[n, k]`, and its gradient `2(ŷ − y)/(n·k)`.
pub fn mse<S: Scalar>(prediction: ArrayView2<S>, target: ArrayView2<S>) -> (S, Array2<S>) {
    let count = S::of(prediction.len() as f64);
    let diff = &prediction - &target;
    let loss = diff.iter().fold(S::zero(), |acc, &d| acc + d * d) / count;
    let two_over_count = S::of(2.0) / count;
    (loss, diff.mapv_into(|d| d * two_over_count))
}

/// The data term of a network's loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// Mean squared error over every output ([`mse`]).
    Mse,
    /// Softmax cross-entropy over classes, targets given as class indices
    /// ([`softmax_cross_entropy`]).
    CrossEntropy,
}

impl LossKind {
    /// The data term and its gradient with respect to the outputs.
    pub fn eval<S: Scalar>(
        self,
        prediction: ArrayView2<S>,
        target: ArrayView2<S>,
    ) -> (S, Array2<S>) {
        match self {
            Self::Mse => mse(prediction, target),
            Self::CrossEntropy => softmax_cross_entropy(prediction, target),
        }
    }
}

/// Softmax cross-entropy, mean over rows: `logits: [m, k]`, `classes: [m, 1]` holding each row's
/// class index (as a float). `L = −(1/m) Σ_i log softmax(z_i)[c_i]`; gradient
/// `(softmax(z_i) − onehot(c_i)) / m`. The log-sum-exp is shifted by the row's largest logit, so
/// large logits do not overflow; a NaN logit makes the loss NaN. A class index outside `0..k`
/// (never made by the tasks) counts as a NaN loss rather than a panic.
pub fn softmax_cross_entropy<S: Scalar>(
    logits: ArrayView2<S>,
    classes: ArrayView2<S>,
) -> (S, Array2<S>) {
    let (rows, k) = logits.dim();
    let inv_rows = S::one() / S::of(rows.max(1) as f64);
    let mut grad = Array2::zeros((rows, k));
    let mut total = S::zero();
    for (i, (z, mut g)) in logits.outer_iter().zip(grad.outer_iter_mut()).enumerate() {
        let top = z
            .iter()
            .fold(S::neg_infinity(), |m, &v| if v > m { v } else { m });
        let top = if top.is_finite() { top } else { S::zero() };
        let mut sum = S::zero();
        for (g, &v) in g.iter_mut().zip(z) {
            *g = (v - top).exp();
            sum += *g;
        }
        let class = classes[[i, 0]].wide();
        let index = class as usize;
        if !(class >= 0.0 && index < k && class.fract() == 0.0) {
            total += S::nan();
            continue;
        }
        total += sum.ln() - (z[index] - top);
        for g in g.iter_mut() {
            *g = *g / sum * inv_rows;
        }
        g[index] -= inv_rows;
    }
    (total * inv_rows, grad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};

    /// ŷ = [[1, 2], [3, 4]], y = 0: L = (1+4+9+16)/4 = 7.5; ∂L/∂ŷ = 2ŷ/4 = ŷ/2.
    #[test]
    fn mse_by_hand() {
        let p = array![[1.0, 2.0], [3.0, 4.0]];
        let (loss, grad) = mse(p.view(), Array2::<f64>::zeros((2, 2)).view());
        assert_eq!(loss, 7.5);
        assert_eq!(grad, array![[0.5, 1.0], [1.5, 2.0]]);
    }

    /// z = [[0, ln 3]], class 1: softmax = [1/4, 3/4], L = −ln(3/4) ≈ 0.28768;
    /// ∂L/∂z = [1/4, 3/4 − 1] = [0.25, −0.25]. A second row z = [1000, 0], class 0 (a huge logit
    /// must not overflow): L ≈ 0, gradient ≈ 0. Mean over the two rows.
    #[test]
    fn cross_entropy_by_hand() {
        let z = array![[0.0, 3f64.ln()], [1000.0, 0.0]];
        let c = array![[1.0], [0.0]];
        let (loss, grad) = softmax_cross_entropy(z.view(), c.view());
        assert!((loss - (-(0.75f64).ln()) / 2.0).abs() < 1e-12);
        assert!((grad[[0, 0]] - 0.125).abs() < 1e-12 && (grad[[0, 1]] + 0.125).abs() < 1e-12);
        assert!(grad[[1, 0]].abs() < 1e-12 && grad[[1, 1]].abs() < 1e-12);
        // A NaN logit gives a NaN loss, not a panic; so does a class index out of range.
        let (loss, _) = softmax_cross_entropy(array![[f64::NAN, 0.0]].view(), array![[0.0]].view());
        assert!(loss.is_nan());
        let (loss, _) = softmax_cross_entropy(array![[1.0f64, 0.0]].view(), array![[5.0]].view());
        assert!(loss.is_nan());
    }

    /// W = [[1, −2]], λ₁ = 0.1, λ₂ = 0.5: value = 0.1·3 + 0.25·5 = 1.55;
    /// gradient = 0.1·[1, −1] + 0.5·[1, −2] = [0.6, −1.1].
    #[test]
    fn penalty_by_hand() {
        let layer = ParamGroup {
            w: array![[1.0, -2.0]],
            b: Array1::zeros(2),
        };
        let p = Penalty { l1: 0.1, l2: 0.5 };
        assert!((p.value(std::slice::from_ref(&layer)) - 1.55f64).abs() < 1e-12);
        let mut g = Array2::zeros((1, 2));
        p.add_gradient(&layer.w, &mut g);
        assert!((g[[0, 0]] - 0.6f64).abs() < 1e-12 && (g[[0, 1]] + 1.1f64).abs() < 1e-12);
    }
}
