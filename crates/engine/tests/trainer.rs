//! The trainer's contract: determinism, live vs rebuilding changes, f32 wiring.
//!
//! Also runs in headless Chromium, in each build of the engine (`make web`): the f32 products
//! there go through the wasm kernel (`engine::gemm`), plain or relaxed-SIMD.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use gradlab_engine::mlp::Mlp;
use gradlab_engine::network::Network;
use gradlab_engine::{Applied, Quantity, StepStats, TrainParams, Trainer};

fn run(p: &TrainParams, steps: usize) -> Vec<StepStats> {
    let mut t = Trainer::new(p.check().unwrap());
    (0..steps).map(|_| t.step().unwrap()).collect()
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn same_seed_same_stats_other_seed_other_stats() {
    let p = TrainParams {
        clip_mode: "value".into(),
        clip_threshold: 0.05,
        l2: 0.001,
        ..TrainParams::default()
    };
    let a = run(&p, 50);
    assert_eq!(a, run(&p, 50));
    assert_ne!(a, run(&TrainParams { seed: 2, ..p }, 50));
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn training_reduces_the_loss_on_a_healthy_net() {
    let p = TrainParams {
        depth: 3.0,
        width: 16.0,
        learning_rate: 0.1,
        batch: 64.0,
        ..TrainParams::default()
    };
    let stats = run(&p, 2000);
    let early: f64 = stats[..50].iter().map(|s| s.loss).sum::<f64>() / 50.0;
    let late: f64 = stats[1950..].iter().map(|s| s.loss).sum::<f64>() / 50.0;
    assert!(late < 0.5 * early, "loss {early} → {late}");
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn live_settings_keep_the_weights_others_rebuild() {
    let p = TrainParams::default();
    let mut t = Trainer::new(p.check().unwrap());
    for _ in 0..10 {
        t.step().unwrap();
    }
    let live = TrainParams {
        learning_rate: 0.5,
        clip_mode: "global-norm".into(),
        l1: 0.01,
        batch: 8.0,
        ..p.clone()
    };
    assert_eq!(t.apply(live.check().unwrap()), Applied::Live);
    assert_eq!(t.step_count(), 10);
    let s = t.step().unwrap();
    assert_eq!(s.step, 10);
    assert_eq!(t.config().live.learning_rate, 0.5);

    let deeper = TrainParams { depth: 4.0, ..live };
    assert_eq!(t.apply(deeper.check().unwrap()), Applied::Rebuilt);
    assert_eq!(t.step_count(), 0);
    assert_eq!(t.group_count(), 5);
}

/// The f32 trainer's first-step gradient equals the f64 network's on the same batch, to f32
/// precision: the trainer feeds backprop the right batch, penalty and weights.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn f32_trainer_matches_f64_network_on_the_same_batch() {
    let p = TrainParams {
        l2: 0.01,
        bias_scale: 0.2,
        ..TrainParams::default()
    };
    let config = p.check().unwrap();
    let mut t = Trainer::new(config);
    let (stats, trace) = t.step_traced().unwrap();
    let wide = Mlp::<f64> {
        layers: trace.groups_before.iter().map(|l| l.cast()).collect(),
        activation: config.net.activation,
        architecture: Default::default(),
    };
    let bp = wide.backprop(
        trace.x.mapv(f64::from).view(),
        trace.y.mapv(f64::from).view(),
        &config.live.penalty,
    );
    assert!((bp.loss - stats.loss).abs() < 1e-5 * bp.loss);
    for (l, (g32, g64)) in trace.grads.iter().zip(&bp.grads).enumerate() {
        let norm = g64.norm_sq().sqrt();
        let diff: f64 = g32
            .iter()
            .zip(g64.iter())
            .map(|(a, b)| (f64::from(*a) - b).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(diff <= 1e-4 * norm + 1e-9, "layer {l}: {diff} vs {norm}");
        assert!((stats.grad_norms[l] - norm).abs() <= 1e-4 * norm + 1e-9);
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn stats_have_one_entry_per_weight_layer() {
    let p = TrainParams {
        depth: 7.0,
        ..TrainParams::default()
    };
    let s = &run(&p, 1)[0];
    for v in [
        &s.grad_norms,
        &s.grad_norms_clipped,
        &s.delta_norms,
        &s.weight_norms,
        &s.update_ratios,
    ] {
        assert_eq!(v.len(), 8);
    }
    // ‖ΔW‖/‖W‖ = η‖g_W‖/‖W‖ ≤ η‖(g_W, g_b)‖/‖W‖ for SGD.
    for l in 0..8 {
        assert!(s.update_ratios[l] <= 0.03 * s.grad_norms[l] / s.weight_norms[l] * (1.0 + 1e-6));
    }
}

/// Changing the optimizer's kind starts its state over (and says so); changing one of its
/// hyperparameters keeps the state, as a PyTorch param group does.
///
/// Adam's first update moves every weight by η·g/(|g| + ε) ≈ η, so a fresh state shows as
/// ‖ΔW_l‖ = η·√(elements of W_l) (to ε); a continued state does not.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_new_optimizer_kind_starts_fresh_a_new_hyperparameter_does_not() {
    let p = TrainParams {
        learning_rate: 0.01,
        ..TrainParams::default()
    };
    let mut t = Trainer::new(p.check().unwrap());
    for _ in 0..5 {
        t.step().unwrap();
    }
    let first_step_norms = |t: &Trainer| -> Vec<f64> {
        t.network()
            .groups()
            .iter()
            .map(|g| 0.01 * (g.w.len() as f64).sqrt())
            .collect()
    };
    let is_first_adam_step = |s: &StepStats, want: &[f64]| {
        s.update_norms
            .iter()
            .zip(want)
            .all(|(got, want)| (got - want).abs() < 1e-4 * want)
    };
    let adam = TrainParams {
        optimizer: "adam".into(),
        ..p.clone()
    };
    assert_eq!(t.apply(adam.check().unwrap()), Applied::OptimizerReset);
    let want = first_step_norms(&t);
    assert!(is_first_adam_step(&t.step().unwrap(), &want));
    t.step().unwrap();
    let beta2 = TrainParams {
        beta2: 0.99,
        ..adam.clone()
    };
    assert_eq!(t.apply(beta2.check().unwrap()), Applied::Live);
    assert!(!is_first_adam_step(&t.step().unwrap(), &want));
    let back = TrainParams {
        optimizer: "ADAM".into(),
        ..beta2
    };
    assert_eq!(t.apply(back.check().unwrap()), Applied::Live);
    assert_eq!(t.step_count(), 8);
}

/// An exploding net (depth 30, σ = 3, tanh): under SGD the update is η·‖g‖, as large as the
/// gradient; under Adam each element moves by at most
/// η·(1 − β₁)/√(1 − β₂) ≈ 3.2·η (Kingma & Ba 2015, §2.1), so ‖ΔW_l‖ ≤ 3.2·η·√(elements)
/// however large ‖g_l‖ is — Adam rescales the update, not the gradient.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn adam_bounds_the_update_while_the_gradient_explodes() {
    let exploding = TrainParams {
        depth: 30.0,
        weight_scale: 3.0,
        learning_rate: 0.01,
        ..TrainParams::default()
    };
    let sgd = run(&exploding, 1);
    let first = &sgd[0];
    assert!(
        first.grad_norms[0] > 100.0 * first.grad_norms[30],
        "{first:?}"
    );
    // ‖ΔW‖ = η·‖∂W‖ ≤ η·‖(∂W, ∂b)‖, and here it is over 10: a thousand times Adam's bound.
    assert!(first.update_norms[0] <= 0.01 * first.grad_norms[0] * (1.0 + 1e-6));
    assert!(first.update_norms[0] > 10.0, "{first:?}");

    let adam = TrainParams {
        optimizer: "adam".into(),
        ..exploding
    };
    let mut t = Trainer::new(adam.check().unwrap());
    let sizes: Vec<f64> = t
        .network()
        .groups()
        .iter()
        .map(|g| (g.w.len() as f64).sqrt())
        .collect();
    let mut largest_gradient: f64 = 0.0;
    for _ in 0..50 {
        let s = t.step().unwrap();
        largest_gradient = largest_gradient.max(s.global_norm);
        for (l, (&delta, size)) in s.update_norms.iter().zip(&sizes).enumerate() {
            let bound = 0.01 * 0.1 / (0.001f64).sqrt() * size * (1.0 + 1e-4);
            assert!(
                delta <= bound,
                "step {} layer {l}: ‖ΔW‖ {delta} > {bound}",
                s.step
            );
        }
    }
    assert!(largest_gradient > 1e3, "{largest_gradient}");
}

/// Backward clipping with a threshold no error reaches is the true gradient, step for step;
/// with a small one every layer's error is within [−c, c] (so ‖δ_l‖ ≤ c·√(batch·units)), the
/// update differs from the true gradient's direction and the step says it clipped.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn backward_clipping_clamps_the_error_and_bends_the_gradient() {
    let exploding = TrainParams {
        depth: 10.0,
        weight_scale: 2.5,
        ..TrainParams::default()
    };
    let loose = TrainParams {
        clip_mode: "backward".into(),
        clip_threshold: 1e4,
        ..exploding.clone()
    };
    let plain = run(&exploding, 20);
    let untouched = run(&loose, 20);
    for (p, u) in plain.iter().zip(&untouched) {
        assert_eq!(p.grad_norms, u.grad_norms);
        assert_eq!(p.loss, u.loss);
        assert!(!u.clipped && u.cos_pre_post > 0.999_999);
    }
    let tight = TrainParams {
        clip_threshold: 1e-3,
        ..loose
    };
    let s = &run(&tight, 1)[0];
    assert!(s.clipped && s.cos_pre_post < 0.99, "{s:?}");
    let bound = 1e-3 * (32.0f64 * 16.0).sqrt() * (1.0 + 1e-6);
    assert!(
        s.delta_norms[..10].iter().all(|&d| d <= bound),
        "{:?}",
        s.delta_norms
    );
    assert!(s.global_norm_clipped < s.global_norm);
    assert_eq!(
        s.grad_norms, plain[0].grad_norms,
        "norms before are the true gradient's"
    );
}

/// A divergence message names a layer the network has. LayerNorm's γ/β groups sit after the
/// weight layers (groups 101…300 of a 100-layer net), so when they overflowed with the rest
/// the message used to say "layer 301". Found by scanning runner settings: depth 100, width
/// 16, LayerNorm, ReLU, σ 3, η 1 overflows its gradients at step 4.
#[test]
fn divergence_names_a_layer_that_exists() {
    let config = TrainParams {
        depth: 100.0,
        width: 16.0,
        layer_norm: "on".into(),
        activation: "relu".into(),
        weight_scale: 3.0,
        learning_rate: 1.0,
        ..TrainParams::default()
    }
    .check()
    .unwrap();
    let mut trainer = Trainer::new(config);
    let (stats, place) = (0..100)
        .find_map(|_| {
            let stats = trainer.step().ok()?;
            let place = stats.non_finite?;
            Some((stats, place))
        })
        .expect("it diverges");
    assert_eq!(place.quantity, Quantity::Gradient, "{place}");
    assert!(
        stats.grad_norms[101..].iter().any(|n| !n.is_finite()),
        "a LayerNorm group overflowed too"
    );
    let layer = place.layer.unwrap();
    assert!(layer <= 100, "{place}");
    assert!(place
        .to_string()
        .contains(&format!("layer {} gradient", layer + 1)));
}

/// A schedule scales SGD's step exactly: with clipping off, ‖ΔW‖ = η_t·‖∂W‖ (to f32
/// rounding), and under a 10-step warmup η_t = η·t/10 — so step 0 moves nothing.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn warmup_scales_each_step_by_its_rate() {
    let warm = TrainParams {
        model: "rnn".into(),
        seq_len: 6.0,
        learning_rate: 0.1,
        schedule: "warmup".into(),
        warmup_steps: 10.0,
        ..TrainParams::default()
    };
    let stats = run(&warm, 14);
    for s in &stats {
        let want = 0.1 * (s.step as f64 / 10.0).min(1.0);
        assert!(
            (s.learning_rate - want).abs() < 1e-15,
            "{} at {}",
            s.learning_rate,
            s.step
        );
        // The RNN's weight tensors W_x, W_h, W_out (groups 0, 1, 3) are groups of their own.
        for l in [0, 1, 3] {
            let (delta, grad) = (s.update_norms[l], s.grad_norms[l]);
            assert!(
                (delta - want * grad).abs() <= 1e-5 * want * grad,
                "step {} group {l}: ‖ΔW‖ {delta} vs η_t·‖g‖ {}",
                s.step,
                want * grad
            );
        }
    }
    assert!(
        stats[0].update_norms.iter().all(|&d| d == 0.0),
        "step 0 moves nothing"
    );
    assert!(stats[3].update_norms.iter().any(|&d| d > 0.0));
    // Constant: every step at η.
    let constant = run(
        &TrainParams {
            schedule: "constant".into(),
            ..warm
        },
        3,
    );
    assert!(constant.iter().all(|s| s.learning_rate == 0.1));
}

/// A language model with `text = own` trains on the reader's text: every window of its batches
/// is a piece of the folded text, its baseline is that text's unigram entropy, and resets and
/// rebuilds keep it. Without a text it trains on the shipped one.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn own_text_feeds_the_language_model() {
    use gradlab_engine::language::{char_of, Corpus, VOCAB};
    let text = "The quick brown fox jumps over the lazy dog; 42 times! ".repeat(30);
    let (corpus, _) = Corpus::from_text(&text).unwrap();
    let folded: String = corpus
        .symbols()
        .iter()
        .map(|&s| char_of(s.into()))
        .collect();
    assert!(folded.starts_with("the quick brown fox jumps over the lazy dog, times. the"));
    let params = TrainParams {
        model: "rnn".into(),
        task: "language".into(),
        text: "own".into(),
        readout: "all".into(),
        seq_len: 12.0,
        hidden: 8.0,
        batch: 4.0,
        ..TrainParams::default()
    };
    let config = params.check().unwrap();
    let own = gradlab_engine::model::OwnData {
        text: Some(corpus.clone()),
        ..Default::default()
    };
    let mut trainer = Trainer::with_data(config, own.clone());
    assert!(trainer.uses_own_text());
    assert_eq!(
        trainer.description().baseline,
        Some(corpus.unigram_entropy())
    );
    let (_, trace) = trainer.step_traced().unwrap();
    let (steps, n) = (12, 4);
    for i in 0..n {
        let window: String = (0..steps)
            .map(|t| {
                let row = trace.x.row(t * n + i);
                char_of((0..VOCAB).find(|&k| row[k] == 1.0).unwrap())
            })
            .collect();
        assert!(folded.contains(&window), "{window:?}");
    }
    assert_eq!(trainer.known_word_share("quick fox zzz "), 2.0 / 3.0);
    trainer.reset();
    assert!(trainer.uses_own_text());
    let longer = TrainParams {
        seq_len: 20.0,
        ..params.clone()
    };
    assert_eq!(trainer.apply(longer.check().unwrap()), Applied::Rebuilt);
    assert!(trainer.uses_own_text());
    // Another task keeps the text for later but does not use it.
    let adding = TrainParams {
        task: "adding".into(),
        ..params.clone()
    };
    trainer.apply(adding.check().unwrap());
    assert!(!trainer.uses_own_text());
    assert!(!trainer.set_own_data(gradlab_engine::model::OwnData::default()));

    let shipped = Trainer::new(config);
    assert!(!shipped.uses_own_text());
    assert_eq!(
        shipped.description().baseline,
        Some(gradlab_engine::language::unigram_entropy())
    );
}

/// A Transformer's language model takes the reader's text as the RNN's does: its windows come
/// from it, the worker is told it uses it, and a new text starts the run over.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[test]
fn a_transformer_trains_on_the_readers_own_text() {
    use gradlab_engine::language::{char_of, Corpus, VOCAB};
    let text = "The quick brown fox jumps over the lazy dog; 42 times! ".repeat(30);
    let (corpus, _) = Corpus::from_text(&text).unwrap();
    let folded: String = corpus
        .symbols()
        .iter()
        .map(|&s| char_of(s.into()))
        .collect();
    let params = TrainParams {
        model: "transformer".into(),
        task: "language".into(),
        text: "own".into(),
        readout: "all".into(),
        layers: 1.0,
        d_model: 16.0,
        heads: 2.0,
        context: 8.0,
        batch: 3.0,
        ..TrainParams::default()
    };
    let own = gradlab_engine::model::OwnData {
        text: Some(corpus.clone()),
        ..Default::default()
    };
    let mut trainer = Trainer::with_data(params.check().unwrap(), own);
    assert!(trainer.uses_own_text());
    let (_, trace) = trainer.step_traced().unwrap();
    for i in 0..3 {
        let window: String = (0..8)
            .map(|t| {
                char_of(
                    (0..VOCAB)
                        .find(|&k| trace.x.row(t * 3 + i)[k] == 1.0)
                        .unwrap(),
                )
            })
            .collect();
        assert!(folded.contains(&window), "{window:?}");
    }
    let (other, _) = Corpus::from_text(&"A different text, long enough. ".repeat(40)).unwrap();
    assert!(trainer.set_own_data(gradlab_engine::model::OwnData {
        text: Some(other),
        ..Default::default()
    }));
    assert_eq!(trainer.step_count(), 0);
}

/// The series task with `series = own` learns the reader's series: each window of a batch is a
/// run of consecutive normalised values, inputs followed by their next values; a series too
/// short for the run's windows leaves the run on the sines.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn own_series_feeds_the_series_task() {
    use gradlab_engine::model::OwnData;
    use gradlab_engine::own_series::OwnSeries;
    let csv: String = (0..300)
        .map(|i| format!("{i},{}\n", (i as f64 * 0.3).sin() * 50.0 + 7.0))
        .collect();
    let (series, _) = OwnSeries::from_csv(&csv, Some(2)).unwrap();
    let params = TrainParams {
        model: "rnn".into(),
        task: "series".into(),
        series: "own".into(),
        readout: "all".into(),
        seq_len: 25.0,
        hidden: 8.0,
        batch: 3.0,
        ..TrainParams::default()
    };
    let own = OwnData {
        series: Some(series.clone()),
        ..OwnData::default()
    };
    let mut trainer = Trainer::with_data(params.check().unwrap(), own.clone());
    assert!(trainer.uses_own_series());
    let (_, trace) = trainer.step_traced().unwrap();
    let values = series.values();
    let (steps, n) = (25, 3);
    for i in 0..n {
        let xs: Vec<f32> = (0..steps).map(|t| trace.x[[t * n + i, 0]]).collect();
        let start = values
            .windows(steps)
            .position(|w| w == xs.as_slice())
            .expect("a window");
        for t in 0..steps {
            assert_eq!(trace.y[[t * n + i, 0]], values[start + t + 1]);
        }
    }
    let too_long = TrainParams {
        seq_len: 300.0,
        ..params
    };
    assert!(!Trainer::with_data(too_long.check().unwrap(), own).uses_own_series());
}

/// The MLP with `dataset = own` fits the reader's points: its batches are drawn from them, its
/// baseline is their targets' variance; without them it fits the circle.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn own_points_feed_the_mlp() {
    use gradlab_engine::model::OwnData;
    use gradlab_engine::own_points::points_from_csv;
    // Three of class "in" for each of class "out": the baseline is 1 − 0.5² = 0.75.
    let csv: String = (0..40)
        .map(|i| {
            format!(
                "{},{},{}\n",
                i % 8,
                i / 8,
                if i % 4 == 0 { "out" } else { "in" }
            )
        })
        .collect();
    let (points, _) = points_from_csv(&csv).unwrap();
    let params = TrainParams {
        dataset: "own".into(),
        depth: 2.0,
        batch: 16.0,
        ..TrainParams::default()
    };
    let own = OwnData {
        points: Some(points.clone()),
        ..OwnData::default()
    };
    let mut trainer = Trainer::with_data(params.check().unwrap(), own);
    assert!(trainer.uses_own_points());
    assert!((trainer.description().baseline.unwrap() - 0.75).abs() < 1e-6);
    let (_, trace) = trainer.step_traced().unwrap();
    for (x, y) in trace.x.outer_iter().zip(trace.y.outer_iter()) {
        assert!(
            points
                .x
                .outer_iter()
                .zip(points.y.outer_iter())
                .any(|(px, py)| px == x && py == y),
            "{x} {y}"
        );
    }
    let circle = Trainer::new(params.check().unwrap());
    assert!(!circle.uses_own_points());
    assert!((circle.description().baseline.unwrap() - 1.0).abs() < 1e-6);
}
