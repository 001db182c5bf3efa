//! Work shared out between two threads (`parallel::set_for_each`, the worker's threaded build)
//! is bit for bit the work done on one: a large product in pieces (each piece computes its rows
//! or columns of `C` with the same sums in the same order), and a Transformer's training steps
//! (its attention one job per sequence and head, their statistics gathered in one order).
//!
//! Its own test binary, because the pool is installed once per process. Natively the pieces run
//! on two real threads taking them from a shared counter (`std::thread::scope`), on the
//! kernel's portable 4-lane stand-in; both results are made here, nothing is hard-coded.

mod common;

use common::{random, same_bits};
use gradlab_engine::gemm::{gemm, product, SPLIT_AT};
use gradlab_engine::parallel::set_for_each;
use gradlab_engine::{StepStats, TrainParams, Trainer};
use ndarray::{Array2, ShapeBuilder};
use rand::{rngs::StdRng, SeedableRng};
use std::sync::atomic::{AtomicUsize, Ordering};

static SPLITS: AtomicUsize = AtomicUsize::new(0);

/// The pieces taken by two threads from one counter, as the worker's pool takes them.
fn two_threads(count: usize, job: &(dyn Fn(usize) + Sync)) {
    SPLITS.fetch_add(1, Ordering::SeqCst);
    let next = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::SeqCst);
        if i >= count {
            break;
        }
        job(i);
    };
    std::thread::scope(|s| {
        s.spawn(work);
        work();
    });
}

/// Three steps of a small Transformer language model (2 Pre-LN blocks, d 32, 4 heads, context
/// 32, batch 8): every step's statistics, and the weights after.
fn train_transformer() -> (Vec<StepStats>, Vec<f32>) {
    let params = TrainParams {
        model: "transformer".into(),
        task: "language".into(),
        readout: "all".into(),
        layers: 2.0,
        d_model: 32.0,
        heads: 4.0,
        context: 32.0,
        batch: 8.0,
        ..TrainParams::default()
    };
    let mut trainer = Trainer::new(params.check().expect("a valid Transformer"));
    let stats = (0..3)
        .map(|_| trainer.step().expect("a finite step"))
        .collect();
    let weights = trainer
        .network()
        .groups()
        .iter()
        .flat_map(|g| g.w.iter().chain(g.b.iter()).copied())
        .collect();
    (stats, weights)
}

/// The Transformer's products (forward `x·W`, backward `δ·Wᵀ` and `xᵀ·δ`) and odd edges, each
/// above `SPLIT_AT`: the same bits split as whole, through `product` (B transposed and
/// contiguous) and through `gemm` with α ≠ 1 (β = 0), A given plain and column-major.
#[test]
fn shared_work_is_the_same_bit_for_bit() {
    let mut rng = StdRng::seed_from_u64(21);
    // (m, k, n): T1's forward and backward products (row pieces; `δ·Wᵀ` with B transposed
    // below), its weight gradients (column pieces), then edges: m, n not multiples of MR, NR,
    // the row pieces' height or the column pieces' width; k past KC.
    let shapes = [
        (1024, 64, 192),
        (1024, 256, 64),
        (64, 1024, 256),
        (256, 1024, 64),
        (1021, 67, 13),
        (37, 300, 129),
        (4099, 129, 17),
    ];
    let cases: Vec<_> = shapes
        .iter()
        .map(|&(m, k, n)| {
            assert!(
                m * n * k >= SPLIT_AT,
                "({m}, {k}, {n}) is too small to split"
            );
            let a = random(m, k, &mut rng);
            let a_columns = {
                let mut t = Array2::zeros((m, k).f());
                t.assign(&a);
                t
            };
            // B as `Wᵀ` is: a transposed view of a `[n, k]` array.
            (a, a_columns, random(n, k, &mut rng))
        })
        .collect();
    let run = || -> Vec<Array2<f32>> {
        cases
            .iter()
            .flat_map(|(a, a_columns, w)| {
                let b = w.t();
                let mut scaled = Array2::from_elem((a.nrows(), b.ncols()), f32::NAN);
                gemm(0.5, a_columns.view(), b, 0.0, scaled.view_mut());
                [
                    product(a.view(), b),
                    product(a.view(), b.as_standard_layout().view()),
                    scaled,
                ]
            })
            .collect()
    };
    let whole = run();
    let (one_stats, one_weights) = train_transformer();
    assert_eq!(SPLITS.load(Ordering::SeqCst), 0);
    set_for_each(two_threads);
    let splits_before = SPLITS.load(Ordering::SeqCst);
    let (two_stats, two_weights) = train_transformer();
    assert!(
        SPLITS.load(Ordering::SeqCst) > splits_before,
        "the Transformer shared its work"
    );
    assert_eq!(one_stats, two_stats, "the same statistics on two threads");
    assert!(
        one_weights
            .iter()
            .zip(&two_weights)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "the same weights, bit for bit, on two threads"
    );
    SPLITS.store(0, Ordering::SeqCst);
    let split = run();
    assert_eq!(
        SPLITS.load(Ordering::SeqCst),
        3 * shapes.len(),
        "every product split"
    );
    for (i, (w, s)) in whole.iter().zip(&split).enumerate() {
        assert!(same_bits(w, s), "product {i} differs when split");
    }
    // Below the threshold, and with β ≠ 0, a product stays whole.
    let (a, b) = (random(64, 64, &mut rng), random(64, 64, &mut rng));
    let _ = product(a.view(), b.view());
    let mut c = random(1024, 192, &mut rng);
    let (x, w) = (random(1024, 64, &mut rng), random(64, 192, &mut rng));
    gemm(1.0, x.view(), w.view(), 1.0, c.view_mut());
    assert_eq!(SPLITS.load(Ordering::SeqCst), 3 * shapes.len());
}
