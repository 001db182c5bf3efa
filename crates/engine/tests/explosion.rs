//! Gradient explosion and vanishing, measured against mean-field theory (THEORY.md).
//!
//! With `W ~ N(0, σ²/fan_in)` and `δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ φ′(z_l)`:
//! `E‖δ_l‖² ≈ χ₁ · E‖δ_{l+1}‖²`, `χ₁ = σ²·E[φ′(z)²]`.
//! Linear: χ₁ = σ², so ‖δ_l‖/‖δ_{l+1}‖ ≈ σ. ReLU (zero bias): φ′ is 1 on half the units,
//! χ₁ = σ²/2, ratio ≈ σ/√2, critical at σ = √2.
//! We measure the geometric mean of the ratio over all layers of fresh networks and 12 seeds:
//! per-layer log-ratios have a spread of ~√(2/width) ≈ 0.18, so over ~360 of them the mean is
//! within ~1% and a 10% band is a real test.

use gradlab_engine::{ClipMode, StepStats, TrainParams, Trainer};

fn params(activation: &str, depth: usize, sigma: f64) -> TrainParams {
    TrainParams {
        depth: depth as f64,
        width: 64.0,
        activation: activation.into(),
        weight_scale: sigma,
        bias_scale: 0.0,
        batch: 64.0,
        ..TrainParams::default()
    }
}

fn first_step(p: &TrainParams) -> StepStats {
    Trainer::new(p.check().unwrap()).step().unwrap()
}

/// Geometric mean over seeds and layers of ‖δ_l‖ / ‖δ_{l+1}‖ at the first step.
fn mean_delta_ratio(activation: &str, sigma: f64) -> f64 {
    let mut log_sum = 0.0;
    let mut count = 0;
    for seed in 1..=12 {
        let p = TrainParams {
            seed,
            ..params(activation, 30, sigma)
        };
        let deltas = first_step(&p).delta_norms;
        for pair in deltas.windows(2) {
            log_sum += (pair[0] / pair[1]).ln();
            count += 1;
        }
    }
    (log_sum / count as f64).exp()
}

#[test]
fn linear_nets_grow_by_sigma_per_layer() {
    for sigma in [0.7, 0.9, 1.0, 1.2, 1.5] {
        let ratio = mean_delta_ratio("linear", sigma);
        assert!(
            (ratio / sigma - 1.0).abs() < 0.10,
            "linear σ = {sigma}: ratio {ratio}, expected ≈ σ"
        );
    }
    // Vanishing below σ = 1, exploding above.
    assert!(mean_delta_ratio("linear", 0.8) < 0.9);
    assert!(mean_delta_ratio("linear", 1.25) > 1.1);
}

#[test]
fn relu_is_critical_at_root_two() {
    let root2 = std::f64::consts::SQRT_2;
    for sigma in [1.0, root2, 2.0] {
        let ratio = mean_delta_ratio("relu", sigma);
        let expected = sigma / root2;
        assert!(
            (ratio / expected - 1.0).abs() < 0.10,
            "relu σ = {sigma}: ratio {ratio}, expected ≈ σ/√2 = {expected}"
        );
    }
    assert!(mean_delta_ratio("relu", 1.0) < 0.8);
    assert!(mean_delta_ratio("relu", 2.0) > 1.25);
}

/// A deep tanh net past the critical scale: the first layer's gradient is orders of magnitude
/// above the last one's (the picture the page shows).
#[test]
fn deep_tanh_past_critical_explodes_toward_the_input() {
    for seed in 1..=5 {
        let p = TrainParams {
            seed,
            width: 16.0,
            ..params("tanh", 30, 2.5)
        };
        let g = first_step(&p).grad_norms;
        assert!(g[0] > 30.0 * g[g.len() - 1], "seed {seed}: {g:?}");
    }
}

/// Global-norm clipping: the clipped global norm never exceeds c, over a run whose raw norms do.
/// The clipped elements are rounded to f32, so allow one part in 10⁶ above c.
#[test]
fn global_norm_clipping_bounds_every_step() {
    let c = 1.0;
    let p = TrainParams {
        clip_mode: "global-norm".into(),
        clip_threshold: c,
        learning_rate: 0.1,
        width: 16.0,
        ..params("tanh", 30, 2.5)
    };
    let mut trainer = Trainer::new(p.check().unwrap());
    let mut times_clipped = 0;
    for _ in 0..300 {
        let s = trainer.step().expect("clipped training stays finite");
        assert!(s.non_finite.is_none());
        assert!(
            s.global_norm_clipped <= c * (1.0 + 1e-6),
            "{}",
            s.global_norm_clipped
        );
        assert!((s.cos_pre_post - 1.0).abs() < 1e-9, "direction kept");
        if s.clipped {
            times_clipped += 1;
            assert!(s.global_norm > c);
            assert!((s.clip_scale - c / (s.global_norm + 1e-6)).abs() < 1e-12);
        }
    }
    assert!(times_clipped > 100, "clipping should act: {times_clipped}");
    assert_eq!(p.check().unwrap().live.clip.mode, ClipMode::GlobalNorm);
}

/// The same net without clipping diverges; with clipping it does not (checked above).
#[test]
fn overflow_is_reported_with_step_and_layer_not_a_panic() {
    // Deep ReLU at σ = 3: activations grow by ≈ 3/√2 per layer and overflow f32 (3.4e38)
    // after about ln(3.4e38)/ln(2.12) ≈ 118 layers.
    let p = params("relu", 200, 3.0);
    let mut trainer = Trainer::new(p.check().unwrap());
    let s = trainer.step().unwrap();
    let at = s.non_finite.expect("overflow reported");
    assert_eq!(at.step, 0);
    assert_eq!(at.quantity, gradlab_engine::Quantity::Activation);
    let layer = at.layer.unwrap();
    assert!((90..160).contains(&layer), "layer {layer}");
    assert!(trainer.step().is_err(), "diverged trainers refuse to step");
    assert_eq!(trainer.diverged(), Some(at));

    // A tanh net that trains unclipped at a large learning rate blows up later, mid-run.
    let p = TrainParams {
        learning_rate: 1.0,
        width: 16.0,
        ..params("tanh", 30, 2.5)
    };
    let mut trainer = Trainer::new(p.check().unwrap());
    let last = std::iter::from_fn(|| trainer.step().ok())
        .take(10_000)
        .last()
        .unwrap();
    let at = last.non_finite.expect("diverges within 10 000 steps");
    assert!(at.step > 0 && at.step == last.step);
    trainer.reset();
    assert_eq!(trainer.step_count(), 0);
    assert!(trainer.step().is_ok());
}

/// The mean-field overlay the page draws: per-layer growth √χ₁ of ‖δ‖, from the theory
/// module (closed forms, or Gauss–Hermite quadrature for tanh), against the measured ratios of
/// fresh 30-layer nets averaged over seeds. For tanh the layers nearest the input are left out:
/// the pre-activation variance needs a few layers to reach the fixed point q* the theory uses.
#[test]
fn measured_growth_matches_the_mean_field_overlay() {
    use gradlab_engine::theory::MeanField;
    use gradlab_engine::Activation;
    for (activation, sigma, skip) in [
        (Activation::Linear, 1.3, 0),
        (Activation::Relu, 1.8, 0),
        (Activation::Tanh, 1.5, 6),
        (Activation::Tanh, 2.5, 6),
    ] {
        let predicted = MeanField::of(activation, sigma, 0.0).chi1.sqrt();
        let (mut log_sum, mut count) = (0.0, 0);
        for seed in 1..=12 {
            let p = TrainParams {
                seed,
                ..params(activation.name(), 30, sigma)
            };
            let deltas = first_step(&p).delta_norms;
            for pair in deltas[skip..].windows(2) {
                log_sum += (pair[0] / pair[1]).ln();
                count += 1;
            }
        }
        let measured = (log_sum / count as f64).exp();
        assert!(
            (measured / predicted - 1.0).abs() < 0.10,
            "{activation:?} σ = {sigma}: measured {measured}, theory √χ₁ = {predicted}"
        );
    }
}
