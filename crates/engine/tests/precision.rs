//! Mixed precision and loss scaling, end to end through the trainer.
//!
//! The rounding itself is the `half` crate's (unit-tested in `precision.rs` on IEEE's limits);
//! these tests hold what a step does with it. The NumPy reference (`make reference`) recomputes
//! f16 and bf16 steps independently, with NumPy's own float16, on the native runner and on the
//! relaxed-SIMD wasm build (under WASI), so the wasm engine's rounding is checked there.

use gradlab_engine::network::Pass;
use gradlab_engine::precision::{GradScaler, Precision};
use gradlab_engine::{StepStats, TrainParams, Trainer};

fn run(p: &TrainParams, steps: usize) -> Vec<StepStats> {
    let mut t = Trainer::new(p.check().unwrap());
    (0..steps).map(|_| t.step().unwrap()).collect()
}

/// The fp16 lesson's net: sigmoid's slope is at most 1/4, so the error shrinks about fourfold
/// per layer going back, and the first layers' gradients sit below f16's smallest subnormal
/// (2⁻²⁴ ≈ 6e-8) while every forward value (sigmoid's, near ½) is well inside its range.
fn vanishing_sigmoid() -> TrainParams {
    TrainParams {
        activation: "sigmoid".into(),
        depth: 10.0,
        optimizer: "adam".into(),
        learning_rate: 0.01,
        ..TrainParams::default()
    }
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs())
}

/// In a healthy net every value lies well inside f16's and bf16's normal ranges, so a step's
/// per-group gradient norms differ from f32's only by rounding: within about a hundred of
/// each format's unit roundoffs (2⁻¹¹ for f16, 2⁻⁸ for bf16) accumulated over the layers.
#[test]
fn a_healthy_net_computes_nearly_the_same_gradient_in_f16_and_bf16() {
    let base = TrainParams {
        depth: 4.0,
        ..TrainParams::default()
    };
    let f32_step = &run(&base, 1)[0];
    for (name, tolerance) in [("f16", 0.02), ("bf16", 0.1)] {
        let p = TrainParams {
            precision: name.into(),
            ..base.clone()
        };
        let step = &run(&p, 1)[0];
        for (g, (a, b)) in f32_step.grad_norms.iter().zip(&step.grad_norms).enumerate() {
            assert!(relative(*a, *b) < tolerance, "{name} group {g}: {a} vs {b}");
        }
        // …but not bit for bit: the rounding points are really there.
        assert_ne!(f32_step.grad_norms, step.grad_norms, "{name}");
    }
}

/// f16 without scaling: the first layer's gradient is exactly zero — every value of it
/// flushed (in f32 it is about 1e-7 per layer). With S = 2¹⁶ the same values are 2¹⁶ times
/// larger inside the backward pass, representable, and after unscaling the gradient is f32's
/// within f16's rounding. bf16 needs no scale: its range is f32's.
#[test]
fn f16_flushes_small_gradients_and_a_loss_scale_brings_them_back() {
    let base = vanishing_sigmoid();
    let reference = &run(&base, 1)[0];
    assert!(reference.grad_norms[0] > 0.0 && reference.grad_norms[0] < 1e-5);

    let flushed = &run(
        &TrainParams {
            precision: "f16".into(),
            ..base.clone()
        },
        1,
    )[0];
    assert_eq!(flushed.grad_norms[0], 0.0);
    assert!(!flushed.skipped);

    for scaled in [
        TrainParams {
            precision: "f16".into(),
            loss_scale: "static".into(),
            static_scale: 65536.0,
            ..base.clone()
        },
        TrainParams {
            precision: "bf16".into(),
            ..base.clone()
        },
    ] {
        let step = &run(&scaled, 1)[0];
        assert!(!step.skipped);
        let (a, b) = (reference.grad_norms[0], step.grad_norms[0]);
        assert!(relative(a, b) < 0.1, "{}: {a} vs {b}", scaled.precision);
    }
}

/// In f32 a power-of-two scale changes nothing: S·g and g/S are exact, so the step is the
/// unscaled step bit for bit (only the reported scale differs).
#[test]
fn a_power_of_two_scale_is_exact_in_f32() {
    let base = TrainParams {
        l2: 0.01,
        clip_mode: "global-norm".into(),
        clip_threshold: 0.5,
        ..TrainParams::default()
    };
    let scaled = TrainParams {
        loss_scale: "static".into(),
        static_scale: 1024.0,
        ..base.clone()
    };
    for (a, b) in run(&base, 20).into_iter().zip(run(&scaled, 20)) {
        assert_eq!(b.loss_scale, 1024.0);
        assert_eq!(
            StepStats {
                loss_scale: 1.0,
                ..b
            },
            a
        );
    }
}

/// S = 2²⁴ in f16: the output layer's gradient (about 0.1) times 2²⁴ is past 65504, so every
/// step overflows and is skipped — the weights never move, and the run is not "diverged".
#[test]
fn too_high_a_static_scale_skips_every_step() {
    let p = TrainParams {
        precision: "f16".into(),
        loss_scale: "static".into(),
        static_scale: 16_777_216.0,
        ..TrainParams::default()
    };
    let mut trainer = Trainer::new(p.check().unwrap());
    let before = trainer.network().groups().to_vec();
    trainer.measure_gradient_range();
    for _ in 0..20 {
        let step = trainer.step().expect("a skipped step is not a divergence");
        assert!(step.skipped && step.non_finite.is_none());
        assert!(step.update_norms.iter().all(|&u| u == 0.0));
        assert!(!step.global_norm.is_finite());
    }
    assert_eq!(trainer.network().groups(), before.as_slice());
    assert!(trainer.gradient_range().non_finite > 0);
}

/// The dynamic scale follows GradScaler: each skipped step halves S, each step keeps the
/// scale it was given, and skipped steps never move the weights. Without a scaler the same
/// overflow is a divergence.
#[test]
fn the_dynamic_scale_backs_off_until_the_gradients_fit() {
    // Large gradients: σ = 1.6 over 8 layers, so 0.1–10 × 2¹⁶ overflows f16 at first.
    let p = TrainParams {
        precision: "f16".into(),
        loss_scale: "dynamic".into(),
        weight_scale: 1.6,
        depth: 8.0,
        ..TrainParams::default()
    };
    let stats = run(&p, 40);
    assert_eq!(stats[0].loss_scale, f64::from(GradScaler::INIT_SCALE));
    assert!(stats[0].skipped);
    let mut scale = f64::from(GradScaler::INIT_SCALE);
    for s in &stats {
        assert_eq!(s.loss_scale, scale, "step {}", s.step);
        if s.skipped {
            scale /= 2.0;
        }
    }
    assert!(stats.last().is_some_and(|s| !s.skipped));
    assert!(stats.iter().all(|s| s.non_finite.is_none()));
}

/// The penalty is on the f32 master weights: its gradient (λ₂·W, unrounded) is in the
/// gradient exactly, whatever the format does to the data term.
#[test]
fn the_penalty_is_taken_on_the_master_weights() {
    let p = TrainParams {
        precision: "f16".into(),
        l2: 0.5,
        ..TrainParams::default()
    };
    let trainer = Trainer::new(p.check().unwrap());
    let net = trainer.network();
    let (x, y) = (
        ndarray::Array2::<f32>::zeros((4, 2)),
        ndarray::Array2::zeros((4, 1)),
    );
    let plain = Pass {
        precision: Precision::F16,
        ..Pass::default()
    };
    let none = gradlab_engine::loss::Penalty::default();
    let with = gradlab_engine::loss::Penalty { l1: 0.0, l2: 0.5 };
    let a = net.backprop_with(x.view(), y.view(), &none, &plain);
    let b = net.backprop_with(x.view(), y.view(), &with, &plain);
    for ((ga, gb), w) in a.grads.iter().zip(&b.grads).zip(net.groups()) {
        let expected = &ga.w + &(&w.w * 0.5f32);
        assert_eq!(gb.w, expected);
    }
}

/// Through time too: each cell's gradient in f16 is f32's within rounding (T = 20, so the
/// error passes twenty rounded states and errors on its way to W_x).
#[test]
fn recurrent_cells_compute_nearly_the_same_gradient_in_f16() {
    for cell in ["vanilla", "lstm", "gru"] {
        let base = TrainParams {
            model: "rnn".into(),
            cell: cell.into(),
            seq_len: 20.0,
            hidden: 16.0,
            ..TrainParams::default()
        };
        let f32_step = &run(&base, 1)[0];
        let step = &run(
            &TrainParams {
                precision: "f16".into(),
                ..base.clone()
            },
            1,
        )[0];
        for (g, (a, b)) in f32_step.grad_norms.iter().zip(&step.grad_norms).enumerate() {
            assert!(relative(*a, *b) < 0.02, "{cell} group {g}: {a} vs {b}");
        }
        assert_ne!(f32_step.grad_norms, step.grad_norms, "{cell}");
    }
}
