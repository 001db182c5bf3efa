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
//! The Transformer's causal attention multiplies triangular matrices: [`gemm_triangle`] skips
//! the tiles the mask makes zero ([`Triangle`]), which leaves every value as the whole product
//! has it (tests/gemm.rs checks bit for bit).
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

use crate::parallel;
use ndarray::{s, Array2, ArrayView2, ArrayViewMut2};
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
    if cfg!(all(
        target_arch = "wasm32",
        target_feature = "relaxed-simd",
        target_feature = "atomics"
    )) {
        "simd128 + relaxed-simd, 2 threads"
    } else if cfg!(all(target_arch = "wasm32", target_feature = "relaxed-simd")) {
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

/// Products of at least this many multiply-adds (`m·n·k`) are shared out between threads when
/// a pool is installed ([`parallel`]), in pieces of about this size too: tall products by rows,
/// so each thread writes its own stretch of memory, the others by columns 16 floats (a cache
/// line) at a time. Pieces, not halves: if the other thread is held up (the browser's own
/// threads share the cores), this one takes the remaining pieces instead of waiting for a half.
/// 2¹⁸ multiply-adds take ~13 µs at 40 GFLOP/s, a good deal more than handing a piece over.
pub const SPLIT_AT: usize = 1 << 18;

thread_local! {
    /// A packed panel of `B`, reused: shape A's step makes ~50 small products, and an
    /// allocation each would cost as much as the arithmetic.
    static PANEL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Zeros of a causal attention's products that a product may skip. Each is exact: a skipped
/// term is `0·b`, and adding `±0` to a sum does not change it (for finite `b`; an infinite or NaN
/// `b` behind a masked zero no longer poisons the row, as the mask means it should not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Triangle {
    /// The whole product.
    Full,
    /// Only `C`'s lower triangle (`j ≤ i`) is wanted: tiles wholly above the diagonal are not
    /// computed, and `C` keeps what it held there (the scores `q·kᵀ`, masked afterwards).
    LowerOfC,
    /// `A` is zero above its diagonal (`A[i, p] = 0` for `p > i`, the probabilities `P`): each
    /// tile of rows sums `p` up to its last row only.
    LowerA,
    /// `A` is zero below its diagonal (`A[i, p] = 0` for `p < i`, a transposed `Pᵀ`): each tile
    /// of rows sums `p` from its first row.
    UpperA,
}

/// `c ← α·a·b + β·c`. With `β = 0`, `c` is not read (it may hold anything, NaN included), as in
/// BLAS. Panics if the shapes do not chain (a programming error, as in ndarray's `dot`).
///
/// `A` is read in place (one broadcast load per element and tile). `B` is read in place where
/// its rows are contiguous and a whole panel wide; otherwise (a transposed `Wᵀ`, the right
/// edge) the panel is first copied into a contiguous `KC × NR` buffer.
pub fn gemm(alpha: f32, a: ArrayView2<f32>, b: ArrayView2<f32>, beta: f32, c: ArrayViewMut2<f32>) {
    gemm_triangle(alpha, a, b, beta, c, Triangle::Full);
}

/// [`gemm`], skipping the zeros `triangle` names (see [`Triangle`]).
pub fn gemm_triangle(
    alpha: f32,
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    beta: f32,
    mut c: ArrayViewMut2<f32>,
    triangle: Triangle,
) {
    let out = Out {
        ptr: c.as_mut_ptr(),
        rows: c.nrows(),
        cols: c.ncols(),
        rs: c.strides()[0],
        cs: c.strides()[1],
    };
    // SAFETY: `out` describes `c`, borrowed mutably for the call.
    unsafe { multiply(alpha, a, b, beta, out, triangle) }
}

/// `a · b` as a new array, written once without a zero fill first: the step's large products
/// are megabytes, and filling them with zeros only to overwrite them cost a few percent of a
/// Transformer's step.
pub fn product(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
    let (rows, cols) = (a.nrows(), b.ncols());
    let mut c = Array2::<f32>::uninit((rows, cols));
    let out = Out {
        ptr: c.as_mut_ptr().cast(),
        rows,
        cols,
        rs: cols as isize,
        cs: 1,
    };
    // SAFETY: `out` describes `c`; with β = 0 and the whole product the kernel writes every
    // element of C (each tile of every panel, edges included, zeros when k = 0) and reads
    // none before writing it.
    unsafe {
        multiply(1.0, a, b, 0.0, out, Triangle::Full);
        c.assume_init()
    }
}

/// Where a product writes: `C`'s first element, its shape and strides (in elements). Raw, so
/// that a fresh uninitialised array can be filled ([`product`]).
#[derive(Clone, Copy)]
struct Out {
    ptr: *mut f32,
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
}

// SAFETY: an `Out` is handed to another thread only by `multiply`, as disjoint pieces of `C`'s
// rows or columns, each computed once, so no element is written by two threads; and `multiply` returns
// after every piece has finished.
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

impl Out {
    /// Rows `from..to` of `C`.
    fn rows(self, from: usize, to: usize) -> Out {
        Out {
            ptr: self.ptr.wrapping_offset(from as isize * self.rs),
            rows: to - from,
            ..self
        }
    }

    /// Columns `from..to` of `C`.
    fn columns(self, from: usize, to: usize) -> Out {
        Out {
            ptr: self.ptr.wrapping_offset(from as isize * self.cs),
            cols: to - from,
            ..self
        }
    }

    /// Element `[i, j]`.
    ///
    /// # Safety
    /// `i < rows`, `j < cols`.
    #[inline(always)]
    unsafe fn at(self, i: usize, j: usize) -> *mut f32 {
        unsafe { self.ptr.offset(i as isize * self.rs + j as isize * self.cs) }
    }
}

/// How a product is shared out: pieces of `C`'s rows, or of its columns, this many each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pieces {
    Rows(usize),
    Columns(usize),
}

impl Pieces {
    /// The pieces of an `[m, k]·[k, n]` product, if it is worth sharing out. Tall products of
    /// one depth block (the forward `x·W` and backward `δ·Wᵀ`, 1,024 rows in T1) are cut into
    /// rows, so each thread writes its own stretch of memory; the others (the weight gradients
    /// `xᵀ·δ`, few rows and a deep `k`) into columns, 16 floats (a cache line) at a time so that
    /// two threads seldom write one line. Each piece has at least about [`SPLIT_AT`]
    /// multiply-adds.
    fn of(m: usize, n: usize, k: usize) -> Option<(Pieces, usize)> {
        if m.saturating_mul(n).saturating_mul(k) < SPLIT_AT {
            return None;
        }
        let (pieces, count) = if k <= KC && m >= 64 * MR {
            let rows = SPLIT_AT.div_ceil(n * k).next_multiple_of(MR);
            (Pieces::Rows(rows), m.div_ceil(rows))
        } else {
            let width = SPLIT_AT.div_ceil(m * k * 2 * NR) * 2 * NR;
            (Pieces::Columns(width), n.div_ceil(width))
        };
        (count > 1).then_some((pieces, count))
    }
}

/// The kernel behind [`gemm_triangle`] and [`product`]: a whole product of at least
/// [`SPLIT_AT`] multiply-adds with `β = 0` runs in pieces ([`Pieces::of`]) through
/// [`parallel::for_each`] where a pool is installed, anything else in one piece. Only `β = 0` is shared out: were a piece
/// ever computed twice (the worker's fallback when its second thread fails), it must not scale
/// `C` twice.
///
/// # Safety
/// `c` is valid for writes (and, where `β ≠ 0`, reads) of `[rows, cols]` at its strides, and
/// aliases neither `a` nor `b`.
unsafe fn multiply(
    alpha: f32,
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    beta: f32,
    c: Out,
    triangle: Triangle,
) {
    let (m, k) = a.dim();
    let n = b.ncols();
    assert!(
        b.nrows() == k && (c.rows, c.cols) == (m, n),
        "gemm: [{m}, {k}]·[{}, {n}] into [{}, {}]",
        b.nrows(),
        c.rows,
        c.cols
    );
    let shared = Pieces::of(m, n, k)
        .filter(|_| parallel::installed() && triangle == Triangle::Full && beta == 0.0);
    let Some((pieces, count)) = shared else {
        // SAFETY: as the caller promised.
        unsafe { multiply_block(alpha, a, b, beta, c, triangle) };
        return;
    };
    // Row pieces would each pack every panel of a transposed `B` (`δ·Wᵀ`): copy it contiguous
    // once instead, and every piece reads it in place (the same values, the same sums).
    let b = b.as_standard_layout();
    let b = b.view();
    let piece = |i: usize| {
        // SAFETY: pieces are disjoint rows or columns of `c`, valid as the caller promised.
        unsafe {
            match pieces {
                Pieces::Rows(rows) => {
                    let (from, to) = (i * rows, ((i + 1) * rows).min(m));
                    let a = a.slice(s![from..to, ..]);
                    multiply_block(alpha, a, b, beta, c.rows(from, to), triangle)
                }
                Pieces::Columns(width) => {
                    let (from, to) = (i * width, ((i + 1) * width).min(n));
                    let b = b.slice(s![.., from..to]);
                    multiply_block(alpha, a, b, beta, c.columns(from, to), triangle)
                }
            }
        }
    };
    parallel::for_each(count, &piece);
}

/// One piece of a product, on this thread (its shapes chain: [`multiply`] checked the whole
/// product's, and its pieces are cut from them).
///
/// # Safety
/// As [`multiply`].
unsafe fn multiply_block(
    alpha: f32,
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    beta: f32,
    c: Out,
    triangle: Triangle,
) {
    let (m, k) = a.dim();
    let n = b.ncols();
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for i in 0..m {
            for j in 0..n {
                // SAFETY: inside C.
                unsafe {
                    let v = c.at(i, j);
                    *v = if beta == 0.0 { 0.0 } else { beta * *v };
                }
            }
        }
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
                    if triangle == Triangle::LowerOfC && j0 >= i0 + height {
                        continue;
                    }
                    // The terms this tile sums, within this block: [from, to) of 0..kc.
                    let (from, to) = match triangle {
                        Triangle::LowerA => (0, (i0 + height).saturating_sub(k0).min(kc)),
                        Triangle::UpperA => (i0.saturating_sub(k0).min(kc), kc),
                        Triangle::Full | Triangle::LowerOfC => (0, kc),
                    };
                    // Rows past the edge repeat the last real row; their sums are not written.
                    let rows: [*const f32; MR] = std::array::from_fn(|ii| {
                        let i = i0 + ii.min(height - 1);
                        // Row i < m, column k0 + from ≤ k: inside A, or past a row's end
                        // when the tile sums nothing (then it is not read).
                        a.as_ptr()
                            .wrapping_offset(i as isize * a_rs + (k0 + from) as isize * a_cs)
                    });
                    // SAFETY: A's rows hold `to − from` elements from k0 + from at stride a_cs;
                    // the panel holds kc rows of NR at stride b_step (B itself, or the packed
                    // copy), of which rows from..to are read.
                    let tile = unsafe {
                        tile(
                            to.saturating_sub(from),
                            rows,
                            a_cs,
                            b_panel.wrapping_offset(from as isize * b_step),
                            b_step,
                        )
                    };
                    // SAFETY: the tile is inside C.
                    unsafe { write_tile(&tile, alpha, beta, c, i0, j0) };
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

/// `C[i0.., j0..] ← α·tile + β·C` on the part of the tile inside `C` (`C` not read where β = 0).
///
/// # Safety
/// `i0 < rows` and `j0 < cols` of `c`, which is valid as [`multiply`] requires.
#[inline(always)]
unsafe fn write_tile(tile: &[[F4; NV]; MR], alpha: f32, beta: f32, c: Out, i0: usize, j0: usize) {
    let height = MR.min(c.rows - i0);
    let width = NR.min(c.cols - j0);
    let scale = lanes::splat(alpha);
    let keep = lanes::splat(beta);
    for (ii, acc) in tile.iter().enumerate().take(height) {
        let scaled: [F4; NV] = std::array::from_fn(|v| lanes::mul(acc[v], scale));
        if width == NR && c.cs == 1 {
            for (v, &x) in scaled.iter().enumerate() {
                // SAFETY: row i0 + ii and columns j0 .. j0 + NR are inside C, contiguous.
                unsafe {
                    let q = c.at(i0 + ii, j0).add(4 * v);
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
        let mut values = [0.0f32; NR];
        for (v, &x) in scaled.iter().enumerate() {
            // SAFETY: `values` is NR = 4·NV f32.
            unsafe { lanes::store(values.as_mut_ptr().add(4 * v), x) };
        }
        for (jj, &v) in values[..width].iter().enumerate() {
            // SAFETY: row i0 + ii, column j0 + jj are inside C.
            unsafe {
                let slot = c.at(i0 + ii, j0 + jj);
                *slot = if beta == 0.0 { v } else { v + beta * *slot };
            }
        }
    }
}
