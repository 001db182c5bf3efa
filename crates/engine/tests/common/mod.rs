//! Helpers the f32 product tests share (`gemm.rs`, `parallel.rs`).

use ndarray::Array2;
use rand::{rngs::StdRng, RngExt};

/// A `[rows, cols]` matrix of values uniform in [−1, 1).
pub fn random(rows: usize, cols: usize, rng: &mut StdRng) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |_| rng.random_range(-1.0f32..1.0))
}

/// Whether two results are the same bit for bit (NaNs included).
pub fn same_bits(x: &Array2<f32>, y: &Array2<f32>) -> bool {
    x.dim() == y.dim() && x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits())
}
