//! The speed of the browser build's matrix-product kernel (`gemm.rs`) on the dense products of
//! one Transformer T1 block (1,024 positions, d 64, MLP 256): the forward `x·W`, the backward
//! `δ·Wᵀ` (a transposed `B`) and the weight gradients `xᵀ·δ` (a transposed `A`). Each product is
//! timed 7 × 10 times and its best round printed, in GFLOP/s (2·m·k·n a product), so the kernel
//! is judged apart from the rest of the step and the host's noise.
//!
//! What it measures is the WebAssembly build, run in V8 (BENCHMARKS.md, T1):
//!
//! ```text
//! CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" \
//!   cargo build --release -p gradlab-engine --example t1_products --target wasm32-wasip1 \
//!   --target-dir target/relaxed-simd
//! node --experimental-wasm-relaxed-simd tests/reference/wasi_runner.mjs \
//!   target/relaxed-simd/wasm32-wasip1/release/examples/t1_products.wasm
//! ```
//!
//! Natively it runs the kernel's portable four-lane stand-in, which says nothing of the browser.

use gradlab_engine::gemm::{gemm, product};
use ndarray::Array2;
use std::time::Instant;

/// A product `[m, k]·[k, n]`; `a_transposed`: A is read as a transposed `[k, m]` array,
/// `b_transposed`: B as a transposed `[n, k]` one.
struct Product {
    name: &'static str,
    m: usize,
    k: usize,
    n: usize,
    a_transposed: bool,
    b_transposed: bool,
}

const fn product_of(
    name: &'static str,
    m: usize,
    k: usize,
    n: usize,
    ta: bool,
    tb: bool,
) -> Product {
    Product {
        name,
        m,
        k,
        n,
        a_transposed: ta,
        b_transposed: tb,
    }
}

/// One block's dense products at T1 (positions N = 1,024).
const PRODUCTS: [Product; 7] = [
    product_of("x·W_qkv", 1024, 64, 192, false, false),
    product_of("x·W_out", 1024, 64, 64, false, false),
    product_of("x·W_in", 1024, 64, 256, false, false),
    product_of("h·W_mlp_out", 1024, 256, 64, false, false),
    product_of("δ·W_qkvᵀ", 1024, 192, 64, false, true),
    product_of("xᵀ·δ_qkv", 64, 1024, 192, true, false),
    product_of("hᵀ·δ_out", 256, 1024, 64, true, false),
];

fn main() {
    let (mut seconds, mut flops) = (0.0, 0.0);
    for p in PRODUCTS {
        // Any values: the kernel's speed does not depend on them (no subnormals here).
        let fill = |(i, j): (usize, usize)| ((i * 7 + j * 3) % 11) as f32 * 0.1 - 0.5;
        // An operand of `rows × cols` as the product reads it, stored transposed if asked.
        let operand = |rows: usize, cols: usize, transposed: bool| {
            let stored = if transposed {
                (cols, rows)
            } else {
                (rows, cols)
            };
            Array2::from_shape_fn(stored, fill)
        };
        let (a, b) = (
            operand(p.m, p.k, p.a_transposed),
            operand(p.k, p.n, p.b_transposed),
        );
        let a = if p.a_transposed { a.t() } else { a.view() };
        let b = if p.b_transposed { b.t() } else { b.view() };
        let mut c = Array2::<f32>::zeros((p.m, p.n));
        let mut best = f64::INFINITY;
        for _ in 0..7 {
            let started = Instant::now();
            for _ in 0..10 {
                // As the engine calls them: a fresh product forward, into a gradient backward.
                if p.a_transposed {
                    gemm(1.0, a, b, 0.0, c.view_mut());
                } else {
                    c = product(a, b);
                }
            }
            best = best.min(started.elapsed().as_secs_f64() / 10.0);
        }
        std::hint::black_box(&c);
        let work = 2.0 * (p.m * p.k * p.n) as f64;
        (seconds, flops) = (seconds + best, flops + work);
        println!(
            "{:<12} {:>5} × {:>5} × {:>4}  {:>7.3} ms  {:>5.1} GFLOP/s",
            p.name,
            p.m,
            p.k,
            p.n,
            best * 1e3,
            work / best / 1e9
        );
    }
    println!(
        "one block's dense products: {:.3} ms, {:.1} GFLOP/s",
        seconds * 1e3,
        flops / seconds / 1e9
    );
}
