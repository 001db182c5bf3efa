//! Fused element-wise passes over parameter and gradient slices: the reductions every step
//! measures (sums of squares, the value-clip dot product, the SGD update with its norms).
//!
//! Each has an exact form — accumulated in f64, used for `f64` and as the reference — and, for
//! `f32`, a fast form that accumulates blocks of 256 elements in 8 independent f32 lanes (so the
//! compiler emits SIMD) and adds the block sums in f64. A block whose f32 sum is not finite —
//! an overflow, or a NaN/±Inf element — is recomputed exactly, so a sum is non-finite exactly
//! when an element is, as with the exact form. Relative difference from the exact form: below
//! 1e-5 (tested).

use num_traits::Float;
use std::ops::AddAssign;

/// What the exact forms need of a float: IEEE arithmetic and a lossless widening to `f64`
/// (`f32` and `f64`). Kernels know nothing of the engine's `Scalar`, which builds on them.
pub trait Element: Float + Into<f64> + AddAssign {}

impl<T: Float + Into<f64> + AddAssign> Element for T {}

#[inline]
fn wide<S: Element>(v: S) -> f64 {
    v.into()
}

const BLOCK: usize = 256;
const LANES: usize = 8;

/// Σ v², exactly.
pub fn sum_sq_exact<S: Element>(values: &[S]) -> f64 {
    values.iter().map(|&v| wide(v) * wide(v)).sum()
}

/// Clamps every element to [lo, hi]; returns (Σ g·clamp(g), Σ clamp(g)², max |g|), exactly.
pub fn clamp_exact<S: Element>(values: &mut [S], lo: S, hi: S) -> (f64, f64, f64) {
    let (mut dot, mut sq, mut max_abs) = (0.0, 0.0, 0.0f64);
    for v in values {
        let before = *v;
        let after = clamp(before, lo, hi);
        dot += wide(before) * wide(after);
        sq += wide(after) * wide(after);
        max_abs = max_abs.max(wide(before).abs());
        *v = after;
    }
    (dot, sq, max_abs)
}

/// `w += step·g`; returns (Σ w², Σ (step·g)², Σ w'²) — before, update, after — exactly.
pub fn sgd_exact<S: Element>(w: &mut [S], g: &[S], step: S) -> [f64; 3] {
    let mut sums = [0.0; 3];
    for (w, &g) in w.iter_mut().zip(g) {
        let delta = step * g;
        sums[0] += wide(*w) * wide(*w);
        sums[1] += wide(delta) * wide(delta);
        *w += delta;
        sums[2] += wide(*w) * wide(*w);
    }
    sums
}

/// The same clamp torch uses: NaN stays NaN.
#[inline]
fn clamp<S: Element>(g: S, lo: S, hi: S) -> S {
    if g > hi {
        hi
    } else if g < lo {
        lo
    } else {
        g
    }
}

/// Σ term(v) over a block in 8 f32 lanes.
#[inline]
fn lanes<const N: usize>(block: &[f32], term: impl Fn(f32) -> [f32; N]) -> [f32; N] {
    let mut acc = [[0.0f32; N]; LANES];
    let mut chunks = block.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (lane, &v) in acc.iter_mut().zip(chunk) {
            let t = term(v);
            for k in 0..N {
                lane[k] += t[k];
            }
        }
    }
    let mut total = [0.0f32; N];
    for lane in &acc {
        for k in 0..N {
            total[k] += lane[k];
        }
    }
    for &v in chunks.remainder() {
        let t = term(v);
        for k in 0..N {
            total[k] += t[k];
        }
    }
    total
}

/// Σ v² for f32, fast.
pub fn sum_sq_f32(values: &[f32]) -> f64 {
    values
        .chunks(BLOCK)
        .map(|block| {
            let [s] = lanes(block, |v| [v * v]);
            if s.is_finite() {
                f64::from(s)
            } else {
                sum_sq_exact(block)
            }
        })
        .sum()
}

/// [`clamp_exact`] for f32, fast.
pub fn clamp_f32(values: &mut [f32], lo: f32, hi: f32) -> (f64, f64, f64) {
    let (mut dot, mut sq, mut max_abs) = (0.0, 0.0, 0.0f64);
    for block in values.chunks_mut(BLOCK) {
        let [d, s] = lanes(block, |g| {
            let c = clamp(g, lo, hi);
            [g * c, c * c]
        });
        // max is exact in f32, and NaN-ignoring like the exact form's f64::max.
        let m = block.iter().fold(0.0f32, |m, g| m.max(g.abs()));
        if d.is_finite() && s.is_finite() {
            dot += f64::from(d);
            sq += f64::from(s);
            max_abs = max_abs.max(f64::from(m));
            block.iter_mut().for_each(|g| *g = clamp(*g, lo, hi));
        } else {
            let (d, s, m) = clamp_exact(block, lo, hi);
            dot += d;
            sq += s;
            max_abs = max_abs.max(m);
        }
    }
    (dot, sq, max_abs)
}

/// [`sgd_exact`] for f32, fast.
pub fn sgd_f32(w: &mut [f32], g: &[f32], step: f32) -> [f64; 3] {
    let mut sums = [0.0; 3];
    for (w, g) in w.chunks_mut(BLOCK).zip(g.chunks(BLOCK)) {
        sums[0] += sum_sq_f32(w);
        let [delta] = lanes(g, |v| [(step * v) * (step * v)]);
        sums[1] += if delta.is_finite() {
            f64::from(delta)
        } else {
            g.iter().map(|&v| wide(step * v).powi(2)).sum()
        };
        for (w, &g) in w.iter_mut().zip(g) {
            *w += step * g;
        }
        sums[2] += sum_sq_f32(w);
    }
    sums
}

/// Whether every element is finite (`v·0` is 0 for finite v, NaN otherwise).
pub fn all_finite_f32(values: &[f32]) -> bool {
    values
        .chunks(BLOCK)
        .all(|block| lanes(block, |v| [v * 0.0])[0] == 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};
    use rand::RngExt;

    fn sample(n: usize, scale: f32) -> Vec<f32> {
        let mut rng = stream_rng(9, Stream::Init);
        (0..n)
            .map(|_| scale * (rng.random::<f32>() - 0.5))
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-5 * a.abs().max(b.abs())
    }

    #[test]
    fn fast_sums_match_the_exact_ones() {
        for n in [0, 1, 7, 8, 255, 256, 1000, 70_001] {
            let v = sample(n, 3.0);
            assert!(close(sum_sq_f32(&v), sum_sq_exact(&v)), "n = {n}");
            let (mut a, mut b) = (v.clone(), v.clone());
            let fast = clamp_f32(&mut a, -0.7, 0.7);
            let exact = clamp_exact(&mut b, -0.7, 0.7);
            assert_eq!(a, b);
            assert!(close(fast.0, exact.0) && close(fast.1, exact.1) && fast.2 == exact.2);
            let g = sample(n, 100.0);
            let (mut a, mut b) = (v.clone(), v.clone());
            let fast = sgd_f32(&mut a, &g, -0.01);
            let exact = sgd_exact(&mut b, &g, -0.01);
            assert_eq!(a, b);
            for k in 0..3 {
                assert!(close(fast[k], exact[k]), "n = {n}, sum {k}");
            }
        }
    }

    /// f32 squares of 1e20 overflow; the block is redone in f64 and the sum stays finite.
    #[test]
    fn overflowing_blocks_are_recomputed_exactly() {
        let v = vec![1e20f32; 300];
        assert!(close(sum_sq_f32(&v), 300.0 * (1e20f32 as f64).powi(2)));
        let mut with_inf = sample(1000, 1.0);
        with_inf[600] = f32::INFINITY;
        assert_eq!(sum_sq_f32(&with_inf), f64::INFINITY);
        assert!(!all_finite_f32(&with_inf));
        with_inf[600] = f32::NAN;
        assert!(sum_sq_f32(&with_inf).is_nan());
        assert!(!all_finite_f32(&with_inf));
        assert!(all_finite_f32(&sample(1000, 1e30)));
    }
}
