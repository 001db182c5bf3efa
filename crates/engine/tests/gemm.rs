//! The f32 matrix product (`engine::gemm`) against the same product in f64.
//!
//! Natively this runs the kernel's tiling on its portable 4-lane stand-in; in headless Chromium
//! (`make web`, once per engine build) it runs the simd128 kernel and the relaxed-SIMD one, whose
//! `relaxed_madd` may or may not fuse: the bound below holds either way. Reference numbers are
//! made here, in f64; nothing is hard-coded.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::{random, same_bits};
use gradlab_engine::gemm::{gemm, product};
use ndarray::ArrayView2;
use ndarray::{Array2, ShapeBuilder};
use rand::{rngs::StdRng, SeedableRng};

/// The product in f64 and Σ|a·b| per element, the scale of its rounding error.
fn reference(a: &ArrayView2<f32>, b: &ArrayView2<f32>) -> (Array2<f64>, Array2<f64>) {
    let (m, n) = (a.nrows(), b.ncols());
    let exact = Array2::from_shape_fn((m, n), |(i, j)| {
        (0..a.ncols())
            .map(|p| f64::from(a[[i, p]]) * f64::from(b[[p, j]]))
            .sum()
    });
    let scale = Array2::from_shape_fn((m, n), |(i, j)| {
        (0..a.ncols())
            .map(|p| (f64::from(a[[i, p]]) * f64::from(b[[p, j]])).abs())
            .sum()
    });
    (exact, scale)
}

/// Every shape gradlab trains, edges included (m, n, k not multiples of MR, NR, KC; k > KC),
/// with A and B given plain and transposed: |C − C_exact| ≤ k·2⁻²³·Σ|a·b| per element, the
/// bound for f32 sums of k rounded products (2⁻²³ leaves room for the product's own rounding
/// on top of the sum's; the fused build only tightens it).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn products_match_f64_on_every_shape_and_layout() {
    let mut rng = StdRng::seed_from_u64(7);
    for &(m, k, n) in &[
        (1, 1, 1),
        (10, 8, 8),
        (10, 2, 8),
        (32, 32, 32),
        (64, 128, 128),
        (3, 5, 7),
        (33, 300, 9),
        (64, 3200, 64),
        (32, 64, 256),
        (13, 600, 17),
    ] {
        let a = random(m, k, &mut rng);
        let b = random(k, n, &mut rng);
        let a_t = a.t().to_owned();
        let b_t = b.t().to_owned();
        let (exact, scale) = reference(&a.view(), &b.view());
        for (a_view, b_view) in [
            (a.view(), b.view()),
            (a_t.t(), b.view()),
            (a.view(), b_t.t()),
            (a_t.t(), b_t.t()),
        ] {
            let mut c = Array2::from_elem((m, n), f32::NAN);
            gemm(1.0, a_view, b_view, 0.0, c.view_mut());
            // A fresh product (never zero-filled) is the same, bit for bit.
            let fresh = product(a_view, b_view);
            assert!(same_bits(&c, &fresh));
            for ((&got, &want), &s) in c.iter().zip(&exact).zip(&scale) {
                let bound = k as f64 * 2f64.powi(-23) * s + 1e-30;
                assert!(
                    (f64::from(got) - want).abs() <= bound,
                    "[{m},{k}]·[{k},{n}]: {got} vs {want} (bound {bound:e})"
                );
            }
        }
    }
}

/// α and β as BLAS defines them, into a column-major (non-contiguous-row) C and into a
/// sub-view, so the scalar write-back path is checked too.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn alpha_beta_and_strided_outputs() {
    let mut rng = StdRng::seed_from_u64(3);
    let (m, k, n) = (9, 20, 11);
    let a = random(m, k, &mut rng);
    let b = random(k, n, &mut rng);
    let c0 = random(m, n, &mut rng);
    let (exact, _) = reference(&a.view(), &b.view());
    let expected = exact.mapv(|v| 0.5 * v) + c0.mapv(|v| -2.0 * f64::from(v));
    let mut column_major = Array2::zeros((m, n).f());
    column_major.assign(&c0);
    gemm(0.5, a.view(), b.view(), -2.0, column_major.view_mut());
    let mut wide = Array2::<f32>::zeros((m, n + 5));
    wide.slice_mut(ndarray::s![.., 2..n + 2]).assign(&c0);
    gemm(
        0.5,
        a.view(),
        b.view(),
        -2.0,
        wide.slice_mut(ndarray::s![.., 2..n + 2]),
    );
    for got in [column_major.view(), wide.slice(ndarray::s![.., 2..n + 2])] {
        for (&g, &e) in got.iter().zip(&expected) {
            assert!((f64::from(g) - e).abs() < 1e-5, "{g} vs {e}");
        }
    }
    // Columns outside the view are untouched.
    assert!(wide
        .column(0)
        .iter()
        .chain(wide.column(n + 4))
        .all(|&v| v == 0.0));
}

/// Non-finite inputs propagate as in any product; padding never leaks a NaN into C; k = 0
/// gives β·C.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn non_finite_and_empty() {
    let mut a = Array2::<f32>::ones((5, 3));
    a[[4, 2]] = f32::INFINITY;
    let b = Array2::<f32>::ones((3, 6));
    let mut c = Array2::<f32>::zeros((5, 6));
    gemm(1.0, a.view(), b.view(), 0.0, c.view_mut());
    assert!(c.row(4).iter().all(|v| v.is_infinite()));
    assert!(c.slice(ndarray::s![..4, ..]).iter().all(|&v| v == 3.0));
    let mut c = Array2::<f32>::from_elem((2, 2), 4.0);
    gemm(
        1.0,
        Array2::zeros((2, 0)).view(),
        Array2::zeros((0, 2)).view(),
        0.5,
        c.view_mut(),
    );
    assert!(c.iter().all(|&v| v == 2.0));
    let empty = product(Array2::zeros((3, 0)).view(), Array2::zeros((0, 4)).view());
    assert!(empty.iter().all(|&v| v == 0.0) && empty.dim() == (3, 4));
}

/// The causal attention's products skip the mask's zeros and change nothing else:
/// - `A` zero above (`LowerA`, the probabilities `P`) or below (`UpperA`, `Pᵀ`) its diagonal:
///   `C` is the whole product bit for bit (a skipped term is `0·b`, and adding ±0 changes no
///   sum), square and not, with `k` past one block ([`KC`](gradlab_engine::gemm::KC) = 256);
/// - `LowerOfC` (the scores `q·kᵀ`): `C`'s lower triangle is the whole product's bit for bit,
///   and a tile wholly above the diagonal is left as it was.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn causal_products_skip_only_the_masks_zeros() {
    use gradlab_engine::gemm::{gemm_triangle, Triangle, MR, NR};
    let mut rng = StdRng::seed_from_u64(11);
    for &(m, k, n) in &[
        (64, 64, 16),
        (13, 13, 7),
        (37, 37, 40),
        (300, 300, 9),
        (9, 20, 16),
    ] {
        let b = random(k, n, &mut rng);
        for triangle in [Triangle::LowerA, Triangle::UpperA] {
            let mut a = random(m, k, &mut rng);
            a.indexed_iter_mut().for_each(|((i, p), v)| {
                let masked = match triangle {
                    Triangle::LowerA => p > i,
                    _ => p < i,
                };
                if masked {
                    *v = 0.0;
                }
            });
            let a_t = a.t().to_owned();
            for a_view in [a.view(), a_t.t()] {
                let mut whole = Array2::from_elem((m, n), f32::NAN);
                gemm(1.0, a_view, b.view(), 0.0, whole.view_mut());
                let mut skipped = Array2::from_elem((m, n), f32::NAN);
                gemm_triangle(1.0, a_view, b.view(), 0.0, skipped.view_mut(), triangle);
                assert!(
                    same_bits(&whole, &skipped),
                    "{triangle:?} [{m},{k}]·[{k},{n}]"
                );
            }
        }
        // Scores: a square C.
        let q = random(m, k, &mut rng);
        let keys = random(m, k, &mut rng);
        let mut whole = Array2::from_elem((m, m), f32::NAN);
        gemm(1.0, q.view(), keys.t(), 0.0, whole.view_mut());
        let mut lower = Array2::from_elem((m, m), 7.0f32);
        gemm_triangle(
            1.0,
            q.view(),
            keys.t(),
            0.0,
            lower.view_mut(),
            Triangle::LowerOfC,
        );
        for ((i, j), &v) in lower.indexed_iter() {
            if j <= i {
                assert_eq!(v.to_bits(), whole[[i, j]].to_bits(), "[{i}, {j}] of {m}");
            } else if j / NR * NR >= (i / MR + 1) * MR {
                assert_eq!(
                    v, 7.0,
                    "[{i}, {j}] of {m}: a tile above the diagonal was written"
                );
            }
        }
    }
}
