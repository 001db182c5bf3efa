//! The f32 matrix product of the browser build: `C ← α·A·B + β·C`, `A: [m, k]`, `B: [k, n]`,
//! `C: [m, n]`, any strides (so the backward pass's `δ·Wᵀ` and `hᵀ·δ` pass transposed views;
//! the kernel copies what it must).
//!
//! Why it exists: in wasm, matrixmultiply's kernel is 128 bits wide with separate multiply and
//! add, and it packs both operands for the large matrices of scientific code; gradlab's are
//! small (8 to 256 wide, batch 10 to 64, up to 3,200 rows through time). This kernel reads
//! both in place where it can, takes `k` in blocks of [`KC`], and computes each `MR × NR` tile
//! in registers: per `k`, two vector loads of `B`, `MR` broadcast loads of `A` and `2·MR`
//! multiply-adds.
//!
//! Two builds of the same code: plain simd128 (`a·b + c` as a multiply then an add, each
//! rounded) and simd128 + relaxed-simd (`f32x4.relaxed_madd`, which the browser may compute as
//! a fused multiply-add, rounded once, where the CPU has one). Either way each element of `C`
//! is the sum over `k` in order, and the builds differ only in how each product is rounded.
//! Each is within `k·2⁻²³·Σ|a·b|` of the exact product (tests/gemm.rs, run in both builds), so
//! they differ from each other by at most twice that.
//!
//! Natively (tests, the headless runner) the same code runs on a portable 4-lane stand-in, and
//! the engine keeps matrixmultiply there, which is faster with AVX2 (see `Scalar::gemm`).

use ndarray::{ArrayView2, ArrayViewMut2};
use std::cell::RefCell;

/// Rows of `A` per register tile.
pub const MR: usize = 4;
/// 4-lane vectors per row of a register tile…
const NV: usize = 2;
/// …so columns of `B` per register tile.
pub const NR: usize = 4 * NV;
/// Depth of one block: a `KC × NR` panel of `B` is 8 KB, within L1.
pub const KC: usize = 256;

/// Which arithmetic this build's kernel uses, as the page reports it.
pub const fn build_name() -> &'static str {
    if cfg!(all(target_arch = "wasm32", target_feature = "relaxed-simd")) {
        "simd128 + relaxed-simd"
    } else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
        "simd128"
    } else {
        "native"
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    //! Four f32 lanes: wasm simd128.
    use core::arch::wasm32::*;

    pub type F4 = v128;

    #[inline(always)]
    pub fn zero() -> F4 {
        f32x4_splat(0.0)
    }
    #[inline(always)]
    pub fn splat(v: f32) -> F4 {
        f32x4_splat(v)
    }
    /// # Safety
    /// `p` points at four readable f32.
    #[inline(always)]
    pub unsafe fn load(p: *const f32) -> F4 {
        unsafe { v128_load(p.cast()) }
    }
    /// # Safety
    /// `p` points at four writable f32.
    #[inline(always)]
    pub unsafe fn store(p: *mut f32, v: F4) {
        unsafe { v128_store(p.cast(), v) }
    }
    /// `acc + a·b`: fused where the CPU has FMA (relaxed-simd build), else rounded twice.
    #[inline(always)]
    pub fn madd(acc: F4, a: F4, b: F4) -> F4 {
        #[cfg(target_feature = "relaxed-simd")]
        {
            f32x4_relaxed_madd(a, b, acc)
        }
        #[cfg(not(target_feature = "relaxed-simd"))]
        {
            f32x4_add(acc, f32x4_mul(a, b))
        }
    }
    #[inline(always)]
    pub fn mul(a: F4, b: F4) -> F4 {
        f32x4_mul(a, b)
    }
    #[inline(always)]
    pub fn add(a: F4, b: F4) -> F4 {
        f32x4_add(a, b)
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    //! Four f32 lanes, portably: the same tiling logic, tested natively.
    pub type F4 = [f32; 4];

    #[inline(always)]
    pub fn zero() -> F4 {
        [0.0; 4]
    }
    #[inline(always)]
    pub fn splat(v: f32) -> F4 {
        [v; 4]
    }
    /// # Safety
    /// `p` points at four readable f32.
    #[inline(always)]
    pub unsafe fn load(p: *const f32) -> F4 {
        unsafe { p.cast::<F4>().read_unaligned() }
    }
    /// # Safety
    /// `p` points at four writable f32.
    #[inline(always)]
    pub unsafe fn store(p: *mut f32, v: F4) {
        unsafe { p.cast::<F4>().write_unaligned(v) }
    }
    #[inline(always)]
    pub fn madd(acc: F4, a: F4, b: F4) -> F4 {
        std::array::from_fn(|i| acc[i] + a[i] * b[i])
    }
    #[inline(always)]
    pub fn mul(a: F4, b: F4) -> F4 {
        std::array::from_fn(|i| a[i] * b[i])
    }
    #[inline(always)]
    pub fn add(a: F4, b: F4) -> F4 {
        std::array::from_fn(|i| a[i] + b[i])
    }
}

use lanes::F4;

thread_local! {
    /// A packed panel of `B`, reused: shape A's step makes ~50 small products, and an
    /// allocation each would cost as much as the arithmetic.
    static PANEL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// `c ← α·a·b + β·c`. With `β = 0`, `c` is not read (it may hold anything, NaN included), as in
/// BLAS. Panics if the shapes do not chain (a programming error, as in ndarray's `dot`).
///
/// `A` is read in place (one broadcast load per element and tile). `B` is read in place where
/// its rows are contiguous and a whole panel wide; otherwise (a transposed `Wᵀ`, the right
/// edge) the panel is first copied into a contiguous `KC × NR` buffer.
pub fn gemm(
    alpha: f32,
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    beta: f32,
    mut c: ArrayViewMut2<f32>,
) {
    let (m, k) = a.dim();
    let n = b.ncols();
    assert!(
        b.nrows() == k && c.dim() == (m, n),
        "gemm: [{m}, {k}]·[{}, {n}] into {:?}",
        b.nrows(),
        c.dim()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.map_inplace(|v| *v = if beta == 0.0 { 0.0 } else { beta * *v });
        return;
    }
    let [a_rs, a_cs] = [a.strides()[0], a.strides()[1]];
    let [b_rs, b_cs] = [b.strides()[0], b.strides()[1]];
    PANEL.with(|panel| {
        let panel = &mut *panel.borrow_mut();
        for k0 in (0..k).step_by(KC) {
            let kc = KC.min(k - k0);
            // Later blocks add to what the first wrote.
            let beta = if k0 == 0 { beta } else { 1.0 };
            for j0 in (0..n).step_by(NR) {
                let width = NR.min(n - j0);
                let (b_panel, b_step) = if b_cs == 1 && width == NR {
                    // SAFETY: row k0, column j0 is inside B.
                    (
                        unsafe { b.as_ptr().offset(k0 as isize * b_rs + j0 as isize) },
                        b_rs,
                    )
                } else {
                    pack_panel(&b, k0, kc, j0, width, panel);
                    (panel.as_ptr(), NR as isize)
                };
                for i0 in (0..m).step_by(MR) {
                    let height = MR.min(m - i0);
                    // Rows past the edge repeat the last real row; their sums are not written.
                    let rows: [*const f32; MR] = std::array::from_fn(|ii| {
                        let i = i0 + ii.min(height - 1);
                        // SAFETY: row i < m, column k0 < k are inside A.
                        unsafe { a.as_ptr().offset(i as isize * a_rs + k0 as isize * a_cs) }
                    });
                    // SAFETY: A's rows hold kc elements from k0 at stride a_cs; the panel holds
                    // kc rows of NR at stride b_step (B itself, or the packed copy).
                    let tile = unsafe { tile(kc, rows, a_cs, b_panel, b_step) };
                    write_tile(&tile, alpha, beta, &mut c, i0, j0);
                }
            }
        }
    });
}

/// `B[k0..k0+kc, j0..j0+width]` into `panel` as `kc` rows of `NR` (zero-padded at the right).
fn pack_panel(
    b: &ArrayView2<f32>,
    k0: usize,
    kc: usize,
    j0: usize,
    width: usize,
    panel: &mut Vec<f32>,
) {
    assert!(k0 + kc <= b.nrows() && j0 + width <= b.ncols() && width <= NR);
    if panel.len() < kc * NR {
        panel.resize(kc * NR, 0.0);
    }
    let [rs, cs] = [b.strides()[0], b.strides()[1]];
    for (p, out) in panel.chunks_exact_mut(NR).take(kc).enumerate() {
        // SAFETY: row k0 + p and columns j0 .. j0 + width are inside B (asserted above).
        let row = unsafe { b.as_ptr().offset((k0 + p) as isize * rs + j0 as isize * cs) };
        for (jj, slot) in out.iter_mut().enumerate() {
            *slot = if jj < width {
                unsafe { *row.offset(jj as isize * cs) }
            } else {
                0.0
            };
        }
    }
}

/// One `MR × NR` tile: `Σ_p A[row_i, p] · B_panel[p, ..]`, summed over `p` in order.
///
/// # Safety
/// Each of `rows` is readable at `p·a_step` and `panel` at `p·b_step .. p·b_step + NR`, for
/// every `p < kc`.
#[inline(always)]
unsafe fn tile(
    kc: usize,
    rows: [*const f32; MR],
    a_step: isize,
    panel: *const f32,
    b_step: isize,
) -> [[F4; NV]; MR] {
    let mut acc = [[lanes::zero(); NV]; MR];
    let (mut a_off, mut b_off) = (0isize, 0isize);
    for _ in 0..kc {
        unsafe {
            let b_row = panel.offset(b_off);
            let b: [F4; NV] = std::array::from_fn(|v| lanes::load(b_row.add(4 * v)));
            for (acc, row) in acc.iter_mut().zip(rows) {
                let a = lanes::splat(*row.offset(a_off));
                for (acc, &b) in acc.iter_mut().zip(&b) {
                    *acc = lanes::madd(*acc, a, b);
                }
            }
        }
        a_off += a_step;
        b_off += b_step;
    }
    acc
}

/// `C[i0.., j0..] ← α·tile + β·C` on the part of the tile inside `C`.
#[inline(always)]
fn write_tile(
    tile: &[[F4; NV]; MR],
    alpha: f32,
    beta: f32,
    c: &mut ArrayViewMut2<f32>,
    i0: usize,
    j0: usize,
) {
    let (m, n) = c.dim();
    let height = MR.min(m - i0);
    let width = NR.min(n - j0);
    let scale = lanes::splat(alpha);
    let keep = lanes::splat(beta);
    for (ii, acc) in tile.iter().enumerate().take(height) {
        let mut row = c.row_mut(i0 + ii);
        let scaled: [F4; NV] = std::array::from_fn(|v| lanes::mul(acc[v], scale));
        if width == NR {
            if let Some(out) = row.as_slice_mut().map(|r| &mut r[j0..j0 + NR]) {
                let p = out.as_mut_ptr();
                for (v, &x) in scaled.iter().enumerate() {
                    // SAFETY: `out` is NR = 4·NV contiguous f32.
                    unsafe {
                        let q = p.add(4 * v);
                        let x = if beta == 0.0 {
                            x
                        } else {
                            lanes::add(x, lanes::mul(lanes::load(q), keep))
                        };
                        lanes::store(q, x);
                    }
                }
                continue;
            }
        }
        let mut values = [0.0f32; NR];
        for (v, &x) in scaled.iter().enumerate() {
            // SAFETY: `values` is NR = 4·NV f32.
            unsafe { lanes::store(values.as_mut_ptr().add(4 * v), x) };
        }
        for (jj, &v) in values[..width].iter().enumerate() {
            let slot = &mut row[j0 + jj];
            *slot = if beta == 0.0 { v } else { v + beta * *slot };
        }
    }
}
