//! The engine's memory estimate against what the worker really holds. A counting allocator
//! records the most bytes live at once while a `WorkerCore` is configured and trains a few
//! steps; the estimate (`memory::estimate_runs_bytes`: the runs' kept memory and the largest
//! step, as compared runs step one after the other) must be within 25 % of
//! that growth on every shape. (In the browser the worker's wasm memory grows to this peak plus
//! the allocator's slack; natively the peak is exact.) One test, so no other test allocates
//! while it measures.

use gradlab_engine::memory::estimate_runs_bytes;
use gradlab_engine::TrainParams;
use gradlab_protocol::Command;
use gradlab_worker::WorkerCore;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes live at once, above what was live before, while `runs` are configured in a
/// fresh worker and take three steps.
fn peak_growth(runs: &[TrainParams]) -> usize {
    let configs = runs.iter().map(|p| p.check().unwrap()).collect();
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let mut core = WorkerCore::new();
    core.handle(
        Command::Configure(configs),
        &mut || 0.0,
        &mut std::io::sink(),
    );
    core.handle(
        Command::Train {
            max_steps: 3,
            budget_ms: f64::INFINITY,
            peak_stride: 1,
        },
        &mut || 0.0,
        &mut std::io::sink(),
    );
    let peak = PEAK.load(Ordering::Relaxed) - before;
    drop(core);
    peak
}

#[test]
fn the_estimate_is_within_a_quarter_of_the_peak() {
    let mlp = |edit: fn(&mut TrainParams)| {
        let mut p = TrainParams::default();
        edit(&mut p);
        p
    };
    let rnn = |edit: fn(&mut TrainParams)| {
        let mut p = TrainParams {
            model: "rnn".into(),
            ..TrainParams::default()
        };
        edit(&mut p);
        p
    };
    let transformer = |edit: fn(&mut TrainParams)| {
        let mut p = TrainParams {
            model: "transformer".into(),
            task: "language".into(),
            readout: "all".into(),
            ..TrainParams::default()
        };
        edit(&mut p);
        p
    };
    let cases: Vec<(&str, Vec<TrainParams>)> = vec![
        (
            "Transformer 4 blocks, d 128, T 128, batch 32, Pre-LN, Adam",
            vec![transformer(|p| {
                p.layers = 4.0;
                p.d_model = 128.0;
                p.context = 128.0;
                p.batch = 32.0;
                p.optimizer = "adam".into();
            })],
        ),
        (
            "Transformer 8 blocks, d 64, 8 heads, T 256, batch 8, Post-LN",
            vec![transformer(|p| {
                p.layers = 8.0;
                p.heads = 8.0;
                p.context = 256.0;
                p.batch = 8.0;
                p.norm = "post".into();
            })],
        ),
        (
            "MLP 100 × 256, batch 64, SGD",
            vec![mlp(|p| {
                p.depth = 100.0;
                p.width = 256.0;
                p.batch = 64.0;
            })],
        ),
        (
            "MLP 40 × 128, batch 256, residual, LayerNorm, Adam",
            vec![mlp(|p| {
                p.depth = 40.0;
                p.width = 128.0;
                p.batch = 256.0;
                p.residual = "on".into();
                p.layer_norm = "on".into();
                p.optimizer = "adam".into();
            })],
        ),
        (
            "LSTM T 100, H 128, batch 64, readout all",
            vec![rnn(|p| {
                p.cell = "lstm".into();
                p.task = "copy".into();
                p.seq_len = 100.0;
                p.hidden = 128.0;
                p.batch = 64.0;
                p.readout = "all".into();
            })],
        ),
        (
            "vanilla RNN T 200, H 256, batch 32, Adam, backward clipping",
            vec![rnn(|p| {
                p.seq_len = 200.0;
                p.hidden = 256.0;
                p.optimizer = "adam".into();
                p.clip_mode = "backward".into();
            })],
        ),
        (
            "MLP 100 × 256, batch 64, f16 with dynamic loss scaling",
            vec![mlp(|p| {
                p.depth = 100.0;
                p.width = 256.0;
                p.batch = 64.0;
                p.precision = "f16".into();
                p.loss_scale = "dynamic".into();
            })],
        ),
        (
            "compare: MLP 60 × 256, batch 128, A SGD and B Adam",
            vec![
                mlp(|p| {
                    p.depth = 60.0;
                    p.width = 256.0;
                    p.batch = 128.0;
                }),
                mlp(|p| {
                    p.depth = 60.0;
                    p.width = 256.0;
                    p.batch = 128.0;
                    p.optimizer = "adam".into();
                }),
            ],
        ),
    ];
    for (name, runs) in cases {
        let configs: Vec<_> = runs.iter().map(|p| p.check().unwrap()).collect();
        let estimate = estimate_runs_bytes(&configs);
        let measured = peak_growth(&runs) as f64;
        let ratio = estimate as f64 / measured;
        println!("{name}: estimate {estimate} B, peak {measured} B, ratio {ratio:.3}");
        assert!(
            (0.75..=1.25).contains(&ratio),
            "{name}: estimate {estimate} B against a peak of {measured} B"
        );
    }
}
