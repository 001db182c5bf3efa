//! LayerNorm (Ba, Kiros & Hinton 2016) over each row of a `[rows, units]` array, forward and
//! backward: the MLP's pre-activation LayerNorm and the Transformer's `ln1`, `ln2`, `ln_f`.
//!
//! `n = (z − μ)/√(σ² + ε)` with the row's mean μ and (biased) variance σ², ε = 1e-5 as in
//! PyTorch, then `u = γ ⊙ n + β` with a gain γ `[units]` and bias β `[units]`. Backward, with
//! `∂n = ∂u ⊙ γ` and means over the row's units:
//! `∂z = (∂n − mean(∂n) − n ⊙ mean(∂n ⊙ n)) / √(σ² + ε)`, `∂γ = Σ_rows ∂u ⊙ n`, `∂β = Σ_rows ∂u`.

use super::scalar::Scalar;
use ndarray::{Array1, Array2, ArrayView1, Axis, Zip};

/// LayerNorm's ε, PyTorch's default.
pub const LAYER_NORM_EPSILON: f64 = 1e-5;

/// LayerNorm's normalisation of each row: `n = (z − μ)/√(σ² + ε)`, and `1/√(σ² + ε)` per row.
pub fn normalize<S: Scalar>(z: &Array2<S>) -> (Array2<S>, Array1<S>) {
    let units = S::of(z.ncols() as f64);
    let mean = z.sum_axis(Axis(1)) / units;
    let mut n = z - &mean.view().insert_axis(Axis(1));
    let variance = n.map_axis(Axis(1), |row| {
        row.iter().fold(S::zero(), |acc, &v| acc + v * v)
    }) / units;
    let eps = S::of(LAYER_NORM_EPSILON);
    let inv_std = variance.mapv(|v| S::one() / (v + eps).sqrt());
    n *= &inv_std.view().insert_axis(Axis(1));
    (n, inv_std)
}

/// LayerNorm backward: from `∂u` and the forward's `n`, `1/σ` and γ, returns `(∂z, ∂γ, ∂β)`.
pub fn normalize_backward<S: Scalar>(
    grad_u: &Array2<S>,
    n: &Array2<S>,
    inv_std: &Array1<S>,
    gain: ArrayView1<S>,
) -> (Array2<S>, Array1<S>, Array1<S>) {
    let grad_gain = (grad_u * n).sum_axis(Axis(0));
    let grad_bias = grad_u.sum_axis(Axis(0));
    let units = S::of(n.ncols() as f64);
    let grad_n = grad_u * &gain;
    let mean_grad = grad_n.sum_axis(Axis(1)) / units;
    let mean_grad_n = (&grad_n * n).sum_axis(Axis(1)) / units;
    let mut grad_z = grad_n;
    Zip::from(grad_z.rows_mut())
        .and(n.rows())
        .and(inv_std)
        .and(&mean_grad)
        .and(&mean_grad_n)
        .for_each(|mut g, n, &inv, &m, &mn| {
            Zip::from(&mut g)
                .and(&n)
                .for_each(|g, &n| *g = inv * (*g - m - n * mn));
        });
    (grad_z, grad_gain, grad_bias)
}
