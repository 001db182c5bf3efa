//! The two numbers that say whether a recurrent matrix can explode (Pascanu et al. 2013,
//! THEORY.md): its largest singular value λ₁ and its spectral radius ρ.
//!
//! With |φ′| ≤ γ (γ = 1 for tanh, ¼ for sigmoid), λ₁ < 1/γ is *sufficient* for the error to
//! vanish through time and λ₁ > 1/γ *necessary* for it to explode; for a linear RNN the same
//! holds of ρ. For a Gaussian `W_h ~ N(0, g²/H)`, ρ ≈ g but λ₁ ≈ 2g, so the two differ by 2×.
//!
//! Both come from nalgebra in f64: λ₁ from the SVD, ρ as the largest |eigenvalue| of the real
//! Schur form (power iteration would do for λ₁ alone but not for ρ of a non-symmetric matrix,
//! whose dominant eigenvalues come in complex pairs). A matrix holding NaN or ±Inf, or one whose
//! decomposition does not converge, gives NaN.

use super::scalar::Scalar;
use nalgebra::DMatrix;
use ndarray::Array2;

/// The iteration cap of both decompositions (each converges in a few dozen sweeps for the
/// sizes gradlab trains; a cap keeps a pathological matrix from stalling a step).
const MAX_SWEEPS: usize = 10_000;

fn to_nalgebra<S: Scalar>(w: &Array2<S>) -> Option<DMatrix<f64>> {
    w.iter()
        .all(|v| v.is_finite())
        .then(|| DMatrix::from_fn(w.nrows(), w.ncols(), |i, j| w[[i, j]].wide()))
}

/// λ₁: the largest singular value (the spectral norm), NaN when it cannot be had.
pub fn largest_singular_value<S: Scalar>(w: &Array2<S>) -> f64 {
    if w.is_empty() {
        return 0.0;
    }
    to_nalgebra(w)
        .and_then(|m| nalgebra::SVD::try_new(m, false, false, f64::EPSILON, MAX_SWEEPS))
        .map_or(f64::NAN, |svd| svd.singular_values.max())
}

/// ρ: the largest |eigenvalue| of a square matrix, NaN when it cannot be had.
pub fn spectral_radius<S: Scalar>(w: &Array2<S>) -> f64 {
    if w.is_empty() || w.nrows() != w.ncols() {
        return f64::NAN;
    }
    to_nalgebra(w)
        .and_then(|m| nalgebra::Schur::try_new(m, f64::EPSILON, MAX_SWEEPS))
        .map_or(f64::NAN, |schur| {
            schur
                .complex_eigenvalues()
                .iter()
                .map(|z| z.norm())
                .fold(0.0, f64::max)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Matrices whose values are known by hand.
    #[test]
    fn known_matrices() {
        // diag(3, −2): λ₁ = 3, ρ = 3.
        let d = array![[3.0f64, 0.0], [0.0, -2.0]];
        assert!((largest_singular_value(&d) - 3.0).abs() < 1e-12);
        assert!((spectral_radius(&d) - 3.0).abs() < 1e-12);
        // A rotation by θ times 0.9: eigenvalues 0.9·e^{±iθ} (complex!), ρ = λ₁ = 0.9.
        let (c, s) = (0.3f64.cos() * 0.9, 0.3f64.sin() * 0.9);
        let r = array![[c, -s], [s, c]];
        assert!((spectral_radius(&r) - 0.9).abs() < 1e-12);
        assert!((largest_singular_value(&r) - 0.9).abs() < 1e-12);
        // A nilpotent shear [[0, 5], [0, 0]]: ρ = 0 but λ₁ = 5 — the gap Pascanu's two
        // conditions are about.
        let n = array![[0.0f64, 5.0], [0.0, 0.0]];
        assert!(spectral_radius(&n).abs() < 1e-12);
        assert!((largest_singular_value(&n) - 5.0).abs() < 1e-12);
        // [[2, 1], [1, 2]]: symmetric, eigenvalues 3 and 1.
        let sym = array![[2.0f32, 1.0], [1.0, 2.0]];
        assert!((spectral_radius(&sym) - 3.0).abs() < 1e-6);
        assert!((largest_singular_value(&sym) - 3.0).abs() < 1e-6);
    }

    #[test]
    fn non_finite_matrices_give_nan() {
        let bad = array![[f64::NAN, 0.0], [0.0, 1.0]];
        assert!(largest_singular_value(&bad).is_nan());
        assert!(spectral_radius(&array![[f64::INFINITY]]).is_nan());
        assert!(spectral_radius(&Array2::<f64>::zeros((2, 3))).is_nan());
    }
}
