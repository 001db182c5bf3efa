//! The story each shipped lesson tells holds in the engine.
//!
//! Each lesson's text makes a claim about what its run will show (an explosion, a divergence, a
//! run that learns while its twin does not). These tests read `public/lessons.json`, train each
//! lesson's run A (and run B, with the lesson's compare settings) natively with the same seed as
//! the page, and check the claim — so an engine change that breaks a lesson's point fails here,
//! not in front of a class. Thresholds are loose on purpose (the claims are qualitative); the
//! numbers quoted in the texts were measured with the headless runner (`crates/cli`), seed 1.

use gradlab_engine::{StepStats, TrainParams, Trainer};
use gradlab_protocol::lesson::{parse, Lesson};

fn lessons() -> Vec<Lesson> {
    parse(include_str!("../../../public/lessons.json")).expect("the shipped lessons parse")
}

fn lesson(title_part: &str) -> Lesson {
    lessons()
        .into_iter()
        .find(|l| l.title.contains(title_part))
        .unwrap_or_else(|| panic!("no lesson titled …{title_part}…"))
}

/// Trains `params` for up to `steps` steps (stopping at divergence).
fn train(params: &TrainParams, steps: usize) -> Vec<StepStats> {
    let mut trainer = Trainer::new(params.check().expect("lesson settings are valid"));
    let mut out = Vec::new();
    for _ in 0..steps {
        match trainer.step() {
            Ok(stats) => {
                let diverged = stats.non_finite.is_some();
                out.push(stats);
                if diverged {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    out
}

/// Runs A and B of a compare lesson.
fn both(lesson: &Lesson, steps: usize) -> (Vec<StepStats>, Vec<StepStats>) {
    let b = lesson
        .compare
        .as_ref()
        .expect("a compare lesson")
        .apply(&lesson.settings);
    (train(&lesson.settings, steps), train(&b, steps))
}

fn diverged(run: &[StepStats]) -> Option<u64> {
    run.last()?.non_finite.map(|nf| nf.step)
}

/// Mean loss over the last `n` steps.
fn late_loss(run: &[StepStats], n: usize) -> f64 {
    let tail = &run[run.len().saturating_sub(n)..];
    tail.iter().map(|s| s.loss).sum::<f64>() / tail.len() as f64
}

fn first_over_last(s: &StepStats) -> f64 {
    s.grad_norms[0] / s.grad_norms[s.grad_norms.len() - 1]
}

#[test]
fn a_healthy_net_keeps_its_layers_within_a_decade_and_learns() {
    let run = train(&lesson("healthy").settings, 600);
    assert!(diverged(&run).is_none());
    let ratio = first_over_last(&run[0]);
    assert!((0.1..10.0).contains(&ratio), "first/last = {ratio}");
    assert!(late_loss(&run, 50) < 0.5 * run[0].loss);
}

/// "the first layer's gradient starts about 190 times the last's … after about 20 steps it
/// overflows to NaN"
#[test]
fn the_explosion_lesson_explodes_then_overflows() {
    let run = train(&lesson("Explosion").settings, 200);
    assert!(first_over_last(&run[0]) > 100.0);
    let at = diverged(&run).expect("it diverges");
    assert!((10..40).contains(&at), "diverged at {at}");
}

/// "the ‖δ‖ bars follow the green theory line; the badge says exploding"
#[test]
fn the_why_lesson_is_in_the_exploding_phase_and_delta_grows_toward_the_input() {
    use gradlab_engine::theory::{MeanField, Phase};
    let lesson = lesson("product");
    let config = lesson.settings.check().unwrap();
    let init = config.net.model.as_mlp().expect("an MLP lesson").init;
    let mf = MeanField::of(config.net.activation, init.weight_scale, init.bias_scale);
    assert_eq!(mf.phase(), Phase::Exploding);
    let step0 = &train(&lesson.settings, 1)[0];
    let d = &step0.delta_norms;
    assert!(d[0] > 10.0 * d[d.len() - 1], "δ profile {d:?}");
}

/// "0.6 multiplied 20 times is about 4·10⁻⁵ … the loss stays near 1"
#[test]
fn the_vanishing_lesson_starves_the_input_layers() {
    let run = train(&lesson("vanishing").settings, 600);
    assert!(first_over_last(&run[0]) < 1e-3);
    assert!(late_loss(&run, 100) > 0.8);
}

/// "Run B overflows to NaN within about 25 steps, while run A's steps stay bounded and its
/// loss falls" — and norm clipping keeps the direction.
#[test]
fn norm_clipping_saves_the_run_its_twin_loses() {
    let (a, b) = both(&lesson("Clipping by norm"), 1200);
    let at = diverged(&b).expect("the unclipped twin diverges");
    assert!(at < 40, "B diverged at {at}");
    assert!(diverged(&a).is_none());
    assert!(a.iter().all(|s| s.global_norm_clipped <= 1.0 + 1e-5));
    assert!(a.iter().all(|s| (s.cos_pre_post - 1.0).abs() < 1e-4));
    // Bumpy (spikes up to ~1 late on), but down from ~4 at the start to under 0.3.
    assert!(late_loss(&a, 200) < 0.3, "A's loss {}", late_loss(&a, 200));
}

/// "cos(g, g′) drops to about 0.3 at times, and run B's loss stays near 1 while run A learns"
#[test]
fn value_clipping_bends_the_gradient_and_stalls() {
    let (a, b) = both(&lesson("Clipping by value"), 1200);
    assert!(diverged(&b).is_none());
    let min_cos = b.iter().map(|s| s.cos_pre_post).fold(1.0, f64::min);
    assert!(min_cos < 0.6, "B's smallest cos {min_cos}");
    assert!(late_loss(&b, 200) > 0.5, "B's loss {}", late_loss(&b, 200));
    assert!(late_loss(&a, 200) < 0.3, "A's loss {}", late_loss(&a, 200));
}

/// "With c = 0.01 every step is clipped … so B crawls"
#[test]
fn a_far_too_small_threshold_clips_every_step_and_crawls() {
    let (a, b) = both(&lesson("threshold"), 1200);
    assert!(b.iter().all(|s| s.clipped));
    assert!(
        late_loss(&b, 200) > 3.0 * late_loss(&a, 200),
        "A {} B {}",
        late_loss(&a, 200),
        late_loss(&b, 200)
    );
}

/// "At σ = √2 … all 30 layers learn. At σ = 1 … B's loss stays near 1."
#[test]
fn he_initialisation_trains_where_sigma_one_vanishes() {
    let (a, b) = both(&lesson("initialization"), 800);
    assert!(
        first_over_last(&b[0]) < 1e-2,
        "B first/last {}",
        first_over_last(&b[0])
    );
    assert!(late_loss(&a, 100) < 0.2, "A's loss {}", late_loss(&a, 100));
    assert!(late_loss(&b, 100) > 0.8, "B's loss {}", late_loss(&b, 100));
}

/// "B's loss includes λ/2·‖W‖² and its weights cannot grow to what the data needs, so it ends
/// far above A" — and the penalty does shrink the weights.
#[test]
fn l2_costs_fit_and_shrinks_weights() {
    let (a, b) = both(&lesson("L2"), 1500);
    assert!(late_loss(&b, 100) > 5.0 * late_loss(&a, 100));
    let norm = |s: &StepStats| s.weight_norms.iter().map(|w| w * w).sum::<f64>().sqrt();
    assert!(norm(b.last().unwrap()) < norm(a.last().unwrap()));
}

/// ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖: the error at the first time step over the error at the last.
fn first_over_last_step(s: &StepStats) -> f64 {
    s.time_norms[0] / s.time_norms[s.time_norms.len() - 1]
}

/// "over a hundred times the last one's … overflow the loss within about 30 steps"
#[test]
fn rnn_explosion_through_time_grows_toward_the_first_step_and_diverges() {
    let run = train(&lesson("Explosion through time").settings, 200);
    let ratio = first_over_last_step(&run[0]);
    assert!(ratio > 100.0, "first/last time step = {ratio}");
    let at = diverged(&run).expect("diverges");
    assert!(at < 60, "diverged at {at}");
}

/// "λ₁ crosses 1 within the first few dozen steps and the loss falls well below the 0.167
/// baseline"
#[test]
fn the_lambda_rule_lesson_pushes_sigma_max_past_one() {
    let config = lesson("λ₁ rule").settings.check().unwrap();
    let mut trainer = Trainer::new(config);
    let (start, _) = trainer.recurrent_spectrum().unwrap();
    assert!((start - 0.9).abs() < 1e-5, "λ₁ starts at {start}");
    let mut crossed = None;
    let mut losses = Vec::new();
    for step in 0..3000 {
        losses.push(trainer.step().unwrap().loss);
        let (sigma, _) = trainer.recurrent_spectrum().unwrap();
        if crossed.is_none() && sigma > 1.0 {
            crossed = Some(step);
        }
    }
    assert!(
        crossed.is_some_and(|s| s < 100),
        "λ₁ crossed 1 at {crossed:?}"
    );
    let late = losses[2800..].iter().sum::<f64>() / 200.0;
    assert!(late < 0.1, "late loss {late}");
}

/// "by step 1 it has shrunk by far more than a millionfold … the loss stays at the baseline"
#[test]
fn rnn_vanishing_stays_at_the_baseline() {
    let run = train(&lesson("Vanishing through time").settings, 2000);
    assert!(diverged(&run).is_none());
    assert!(first_over_last_step(&run[0]) < 1e-6);
    let late = late_loss(&run, 300);
    assert!((late - 1.0 / 6.0).abs() < 0.03, "late loss {late}");
}

/// "Run B's loss overflows within about a hundred steps … Run A never diverges, and its loss
/// falls far below the 0.167 baseline"
#[test]
fn clipping_rescues_the_rnn() {
    let (a, b) = both(&lesson("Clipping rescues"), 4000);
    let at = diverged(&b).expect("the unclipped run diverges");
    assert!(at < 300, "B diverged at {at}");
    assert!(diverged(&a).is_none());
    assert!(a.iter().all(|s| s.global_norm_clipped <= 1.0 + 1e-6));
    assert!(
        late_loss(&a, 200) < 0.1,
        "A's late loss {}",
        late_loss(&a, 200)
    );
}

/// "‖∂L/∂h_t‖ is nearly flat … Gaussian … shrunk a billionfold … after about 8000 steps A's
/// loss is well below 1/12, B's is still above it"
#[test]
fn identity_initialisation_learns_the_long_adding_problem() {
    let (a, b) = both(&lesson("identity initialization"), 8000);
    let (flat, fading) = (first_over_last_step(&a[0]), first_over_last_step(&b[0]));
    assert!((0.1..10.0).contains(&flat), "IRNN first/last = {flat}");
    assert!(fading < 1e-6, "Gaussian first/last = {fading}");
    let (late_a, late_b) = (late_loss(&a, 300), late_loss(&b, 300));
    assert!(late_a < 0.06, "A's late loss {late_a}");
    assert!(late_b > 1.0 / 12.0, "B's late loss {late_b}");
}

/// Trains `params` for `steps` steps and returns the run with the sample its weights then
/// write (`None`: they are no longer finite).
fn train_and_sample(params: &TrainParams, steps: usize) -> (Vec<StepStats>, Option<String>) {
    let mut trainer = Trainer::new(params.check().expect("lesson settings are valid"));
    let run: Vec<StepStats> = (0..steps).map_while(|_| trainer.step().ok()).collect();
    let sample = trainer.language_sample(gradlab_protocol::SAMPLE_LENGTH);
    (run, sample)
}

/// "Within B's first few steps its gradient norm passes 10¹⁵ … letter soup near the 4.15 bits
/// per character of a model without memory. A … its loss falls under 3 bits per character,
/// and more than half of the words it writes are words of the text" (after a thousand steps).
#[test]
fn the_language_model_learns_words_only_when_clipped() {
    use gradlab_engine::language::{known_word_share, unigram_entropy};
    use std::f64::consts::LN_2;
    let lesson = lesson("language model");
    let b_params = lesson.compare.as_ref().unwrap().apply(&lesson.settings);
    let (a, a_text) = train_and_sample(&lesson.settings, 1000);
    let (b, b_text) = train_and_sample(&b_params, 1000);
    let early_peak = b[..5].iter().map(|s| s.global_norm).fold(0.0, f64::max);
    assert!(early_peak > 1e15, "B's early peak norm {early_peak:e}");
    assert_eq!(a.len(), 1000, "A trains every step");
    assert!(a.iter().all(|s| s.global_norm_clipped <= 1.0 + 1e-6));
    let bits = |run: &[StepStats]| late_loss(run, 100) / LN_2;
    assert!(bits(&a) < 3.0, "A: {} bits/char", bits(&a));
    // B: no better than a model a good deal short of the unigram (or it diverged outright).
    if b.len() == 1000 {
        assert!(
            bits(&b) > 0.85 * unigram_entropy() / LN_2,
            "B: {}",
            bits(&b)
        );
    }
    let share = |text: &Option<String>| text.as_deref().map_or(0.0, known_word_share);
    assert!(share(&a_text) > 0.5, "A writes {a_text:?}");
    assert!(share(&b_text) < 0.35, "B writes {b_text:?}");
}

/// "A's first step … ‖ΔW‖ reaches 42 in one layer, the next loss is 7·10¹⁰ and the step after
/// overflows. B … its first step moves every weight that has a gradient by exactly η … 0.14 at
/// most — and its loss falls from 909 to 0.003 in 600 steps … B's gradient norm was 9.1·10³
/// all the same."
#[test]
fn adam_bounds_the_step_where_sgd_overflows() {
    let (a, b) = both(&lesson("Adam rescales"), 600);
    assert!(
        diverged(&a).is_some_and(|s| s <= 3),
        "A: {:?}",
        diverged(&a)
    );
    assert!(a[0].update_norms.iter().cloned().fold(0.0, f64::max) > 10.0);
    assert!(diverged(&b).is_none());
    assert_eq!(
        a[0].global_norm, b[0].global_norm,
        "the same first gradient"
    );
    assert!(b[0].global_norm > 1e3, "{}", b[0].global_norm);
    // Step 1 of Adam: |Δw| = η·|g|/(|g| + ε) = η for every weight with g ≠ 0, so
    // ‖ΔW_l‖ ≤ η·√(elements of W_l) = 0.16 for a 16 × 16 layer.
    assert!(
        b[0].update_norms.iter().all(|&u| u <= 0.01 * 16.0 + 1e-9),
        "{:?}",
        b[0].update_norms
    );
    assert!(
        late_loss(&b, 50) < 0.01 && b[0].loss > 100.0,
        "B: {} → {}",
        b[0].loss,
        late_loss(&b, 50)
    );
}

/// "B shrinks each weight by exactly 1 − η·λ = 0.9999 per step: 0.82× over 2000 steps … its
/// first layer's ‖W‖ goes 9.2 → 7.8 … A's weights fall four-fold (9.1 → 2.3 in the first
/// layer)."
#[test]
fn weight_decay_is_not_l2_under_adam() {
    let (a, b) = both(&lesson("Weight decay is not L2"), 2000);
    assert!(diverged(&a).is_none() && diverged(&b).is_none());
    let shrink = |run: &[StepStats], layer: usize| {
        run.last().unwrap().weight_norms[layer] / run[0].weight_norms[layer]
    };
    for layer in 0..10 {
        // AdamW: the decay alone gives 0.9999^2000 = 0.82; the gradient moves it a little.
        let (in_a, in_b) = (shrink(&a, layer), shrink(&b, layer));
        assert!((0.7..0.95).contains(&in_b), "B layer {layer}: ×{in_b}");
        assert!(in_a < 0.5 * in_b, "layer {layer}: A ×{in_a}, B ×{in_b}");
    }
    assert!(shrink(&a, 0) < 0.35, "A's first layer ×{}", shrink(&a, 0));
}

/// "A's error … arrives at the input 10⁻³⁰⁰ times smaller than it left the output … A's loss
/// never leaves 1. B's error reaches the input within a factor 3 of the output's, and B's loss
/// falls below 0.01 … at σ = 1.5 the same residual net overflows within 20 steps, faster than
/// the plain one."
#[test]
fn residual_connections_carry_the_error_past_a_vanishing_stack() {
    let lesson = lesson("Residual connections");
    let (a, b) = both(&lesson, 2000);
    let ratio = |s: &StepStats| s.delta_norms[0] / s.delta_norms[s.delta_norms.len() - 1];
    assert!(ratio(&a[0]) < 1e-100, "A: {}", ratio(&a[0]));
    assert!(late_loss(&a, 100) > 0.99, "A: {}", late_loss(&a, 100));
    assert!(
        (1.0 / 3.0..3.0).contains(&ratio(&b[0])),
        "B: {}",
        ratio(&b[0])
    );
    assert!(late_loss(&b, 100) < 0.01, "B: {}", late_loss(&b, 100));

    let at_1_5 = |residual: &str| TrainParams {
        weight_scale: 1.5,
        residual: residual.into(),
        ..lesson.settings.clone()
    };
    let residual = train(&at_1_5("on"), 200);
    assert!(
        diverged(&residual).is_some_and(|s| s < 20),
        "{:?}",
        diverged(&residual)
    );
    assert!(diverged(&train(&at_1_5("off"), 200)).is_none());
}

/// "B's weight gradients span about 10× across the 21 layers and its loss falls to 10⁻⁴, while
/// A's span about 70× and A's loss stays near 1, its error exploding 500× toward the input …
/// B's error still grows about 100× toward the input."
#[test]
fn layer_norm_keeps_the_layers_in_range() {
    let (a, b) = both(&lesson("LayerNorm keeps"), 2000);
    let layers = a[0].delta_norms.len();
    let spread = |s: &StepStats| {
        let g = &s.grad_norms[..layers];
        g.iter().cloned().fold(0.0, f64::max) / g.iter().cloned().fold(f64::INFINITY, f64::min)
    };
    let delta_ratio = |s: &StepStats| s.delta_norms[0] / s.delta_norms[layers - 1];
    assert!(
        spread(&a[0]) > 40.0 && spread(&b[0]) < 20.0,
        "{} {}",
        spread(&a[0]),
        spread(&b[0])
    );
    assert!(delta_ratio(&a[0]) > 300.0, "A: {}", delta_ratio(&a[0]));
    assert!(
        (30.0..300.0).contains(&delta_ratio(&b[0])),
        "B: {}",
        delta_ratio(&b[0])
    );
    assert!(late_loss(&a, 100) > 0.9, "A: {}", late_loss(&a, 100));
    assert!(late_loss(&b, 100) < 1e-3, "B: {}", late_loss(&b, 100));
    assert_eq!(
        b[0].grad_norms.len(),
        layers + 2 * 20,
        "LayerNorm's γ and β are groups"
    );
}

/// "one draw's error wanders by 10⁵ to 10⁶ across the layers … B keeps ‖δ‖ within a factor of
/// about 60 end to end, step after step … at learning rate 0.01 … within 10 steps its error
/// fades a thousandfold too" — the issue's float64 simulation (width 32, batch 4, σ = 1, one
/// draw) gave ≈ 29 against ≈ 2·10⁷.
#[test]
fn orthogonal_weights_keep_a_thousand_layers_error_whole() {
    let lesson = lesson("A thousand layers");
    let spread = |s: &StepStats| {
        let d = &s.delta_norms;
        d.iter().cloned().fold(0.0, f64::max) / d.iter().cloned().fold(f64::INFINITY, f64::min)
    };
    let (a, b) = both(&lesson, 30);
    assert_eq!(a[0].delta_norms.len(), 1001);
    assert!(
        a.iter().all(|s| spread(s) > 1e4),
        "Gaussian: {:?}",
        a.iter().map(spread).collect::<Vec<_>>()
    );
    assert!(
        b.iter().all(|s| spread(s) < 100.0),
        "orthogonal: {:?}",
        b.iter().map(spread).collect::<Vec<_>>()
    );
    let faster = TrainParams {
        learning_rate: 0.01,
        ..lesson.compare.as_ref().unwrap().apply(&lesson.settings)
    };
    let off_the_edge = train(&faster, 10);
    assert!(
        spread(&off_the_edge[9]) > 1e3,
        "{}",
        spread(&off_the_edge[9])
    );
}

/// "cos(g, g′) is exactly 1 at every step [for A] … B's … cosine to the true gradient averages
/// 0.98 and drops to 0.2 … Both reach a loss near 0.08, well under the 0.167 baseline — and a
/// looser c = 0.1 does worse, its cosine near 0.08 and its loss above 1."
#[test]
fn clipping_the_error_on_its_way_back_bends_the_gradient() {
    let lesson = lesson("Clipping the error on its way back");
    let (a, b) = both(&lesson, 2000);
    let mean_cos =
        |run: &[StepStats]| run.iter().map(|s| s.cos_pre_post).sum::<f64>() / run.len() as f64;
    let min_cos = |run: &[StepStats]| run.iter().map(|s| s.cos_pre_post).fold(1.0, f64::min);
    assert!(diverged(&a).is_none() && diverged(&b).is_none());
    assert!(min_cos(&a) > 0.9999, "A: {}", min_cos(&a));
    assert!(
        mean_cos(&b) < 0.995 && min_cos(&b) < 0.5,
        "B: {} {}",
        mean_cos(&b),
        min_cos(&b)
    );
    assert!(
        late_loss(&a, 200) < 0.12 && late_loss(&b, 200) < 0.12,
        "{} {}",
        late_loss(&a, 200),
        late_loss(&b, 200)
    );
    let looser = TrainParams {
        clip_threshold: 0.1,
        ..lesson.compare.as_ref().unwrap().apply(&lesson.settings)
    };
    let looser = train(&looser, 2000);
    assert!(
        mean_cos(&looser) < 0.3 && late_loss(&looser, 200) > 1.0,
        "{} {}",
        mean_cos(&looser),
        late_loss(&looser, 200)
    );
}

/// "At first both lose the error: B's forget gates start near σ(1) ≈ 0.73 … and 0.73¹⁰⁰ ≈
/// 10⁻¹⁴. Within about 600 steps B learns to hold its gates open: its cell-state error then
/// reaches step 1 about as large as it left step 100, and its loss falls below 0.001. A's error
/// at step 1 is typically 10⁻¹⁵ of what left step 100 — it arrives only in brief bursts where
/// it explodes … — and A's loss stays at the baseline for all 1500 steps." (Measured with the
/// headless runner: A's ratio has median 2·10⁻¹⁷ and 90th percentile 10⁻⁵ over the 1500 steps.)
#[test]
fn an_lstm_learns_to_carry_the_error_a_vanilla_rnn_loses() {
    let lesson = lesson("Gated cells");
    let (a, b) = both(&lesson, 1500);
    assert!(diverged(&a).is_none() && diverged(&b).is_none());
    let reach = |norms: &[f64]| norms[0] / norms[norms.len() - 1];
    let percentile = |mut values: Vec<f64>, p: f64| {
        values.sort_by(f64::total_cmp);
        values[((values.len() - 1) as f64 * p) as usize]
    };
    // Vanilla: no cell state; its earliest error is tiny but for brief bursts.
    assert!(a[0].cell_norms.is_empty() && b[0].cell_norms.len() == 100);
    let a_reach: Vec<f64> = a.iter().map(|s| reach(&s.time_norms)).collect();
    assert!(percentile(a_reach.clone(), 0.5) < 1e-12, "A's median");
    assert!(percentile(a_reach, 0.85) < 1e-3, "A's bursts are brief");
    assert!(
        late_loss(&a, 500) > 0.14,
        "A leaves the 0.167 baseline: {}",
        late_loss(&a, 500)
    );
    // LSTM: vanishes at first, then carries its cell-state error across the whole sequence.
    assert!(
        reach(&b[0].cell_norms) < 1e-6,
        "{:e}",
        reach(&b[0].cell_norms)
    );
    let b_late: Vec<f64> = b[1200..].iter().map(|s| reach(&s.cell_norms)).collect();
    assert!(
        percentile(b_late, 0.5) > 0.3,
        "B's step-1 cell error, relative"
    );
    let learnt = b.iter().position(|s| s.loss < 0.01).expect("B learns");
    assert!(learnt < 900, "B first below 0.01 at step {learnt}");
    assert!(late_loss(&b, 200) < 0.001, "{}", late_loss(&b, 200));
}

/// "An SGD step is η·∇E, so a gradient of 1026 moves it 103: to w ≈ 59, b ≈ 85, where σ(x₅₀) is
/// 1, the gradient is zero and the loss stays at 0.09 for good. The clipped step is never longer
/// than η·c = 0.1, so the blue descent stays beside the wall — crossing it a few times, its loss
/// jumping between 0.01 and 0.34 as it does — and ends at 0.008." (The page runs 60 steps.)
#[test]
fn pascanus_cliff_throws_the_unclipped_step_and_not_the_clipped_one() {
    use gradlab_engine::cliff::{descend, Descent};
    let lesson = lesson("Pascanu's cliff");
    let cliff = lesson.cliff.expect("the lesson opens the cliff map").link();
    let run = |clip| {
        descend(Descent {
            start: cliff.from.unwrap(),
            learning_rate: cliff.learning_rate,
            clip,
            steps: 60,
        })
    };
    let (plain, clipped) = (run(None), run(Some(cliff.threshold)));
    assert!(
        (plain.gradient_norms[0] - 1026.0).abs() < 5.0,
        "{}",
        plain.gradient_norms[0]
    );
    let (landed, loss) = plain.points[1];
    assert!((plain.longest_step() - 103.0).abs() < 1.0);
    assert!(
        (landed.w - 59.0).abs() < 1.0 && (landed.b - 85.0).abs() < 1.0,
        "{landed:?}"
    );
    assert!(plain.points[1..]
        .iter()
        .all(|p| p.0 == landed && (p.1 - 0.09).abs() < 1e-3));
    assert!((loss - 0.09).abs() < 1e-3);
    assert!(clipped.longest_step() <= 0.1 + 1e-12);
    let losses: Vec<f64> = clipped.points.iter().map(|p| p.1).collect();
    let crossings = losses
        .windows(2)
        .filter(|w| (w[0] - w[1]).abs() > 0.2)
        .count();
    assert!(crossings >= 2, "{crossings}");
    assert!(losses.iter().all(|&l| l < 0.35));
    assert!(
        (losses[losses.len() - 1] - 0.008).abs() < 0.001,
        "{:?}",
        losses.last()
    );
}

/// "Shallow nets train at almost any σ from 1 to 3, but from about 20 layers the trainable
/// squares shrink to a band around σ ≈ 1 to 1.5: above it nearly every square explodes, and
/// below σ ≈ 0.8 the error vanishes … The upper 6ξ_∇ curve runs along the edge of the exploding
/// region." Checked on sample squares of the lesson's map (the whole map, 256 runs, is in the
/// browser test and the runner's `--sweep`): each a 200-step run, natively.
#[test]
fn the_trainability_map_has_a_band_and_theory_follows_its_edge() {
    use gradlab_engine::sweep::{correlation_depth, measure, trainable_depth, Outcome};
    use gradlab_engine::Activation;
    let lesson = lesson("The trainability map");
    let map = lesson.phase.as_ref().unwrap().link().unwrap();
    let outcome = |depth: f64, sigma: f64| {
        let params = TrainParams {
            depth: depth.round(),
            weight_scale: sigma,
            ..lesson.settings.clone()
        };
        measure(params.check().unwrap(), map.steps).outcome
    };
    for sigma in [1.0, 2.0, 3.0] {
        assert_eq!(outcome(5.0, sigma), Outcome::Trained, "depth 5, σ {sigma}");
    }
    for (depth, sigma) in [(36.0, 2.5), (44.0, 2.0), (60.0, 3.0)] {
        assert_eq!(
            outcome(depth, sigma),
            Outcome::Exploded,
            "depth {depth}, σ {sigma}"
        );
    }
    for (depth, sigma) in [(40.0, 0.67), (60.0, 0.5)] {
        assert_eq!(
            outcome(depth, sigma),
            Outcome::Vanished,
            "depth {depth}, σ {sigma}"
        );
    }
    for (depth, sigma) in [(36.0, 1.17), (48.0, 1.0)] {
        let o = outcome(depth, sigma);
        assert!(
            matches!(o, Outcome::Trained | Outcome::Stalled),
            "depth {depth}, σ {sigma}: {o:?}"
        );
    }
    // Theory's edge: half of 6ξ_∇ trains, twice 6ξ_∇ explodes; Schoenholz's 6ξ_c lies beyond.
    for sigma in [2.0, 3.0] {
        let edge = trainable_depth(Activation::Tanh, sigma, 0.0);
        assert_eq!(
            outcome(edge / 2.0, sigma),
            Outcome::Trained,
            "σ {sigma}, 6ξ = {edge}"
        );
        assert_eq!(
            outcome(edge * 2.0, sigma),
            Outcome::Exploded,
            "σ {sigma}, 6ξ = {edge}"
        );
        assert!(correlation_depth(Activation::Tanh, sigma, 0.0) > edge);
    }
}

/// "the first layer's gradient is exactly 0 from the first step (in f32 its norm is about
/// 2·10⁻⁷), and after 2000 steps six of the eleven layers get no gradient at all: run A's loss
/// stays at about 1.00 … run B … falls to about 0.86 in 2000 steps, as f32's does (0.83); its
/// scaler backs off four times … (down to S = 2¹² at the lowest)"
#[test]
fn f16_without_a_scaler_stops_learning_and_the_scaler_brings_it_back() {
    let lesson = lesson("Half precision");
    let (a, b) = both(&lesson, 2000);
    assert_eq!(a[0].grad_norms[0], 0.0);
    let unscaled_zeros = a[1999].grad_norms.iter().filter(|&&g| g == 0.0).count();
    assert!(
        unscaled_zeros >= 4,
        "{unscaled_zeros} layers without gradient"
    );
    assert!(late_loss(&a, 100) > 0.98, "A: {}", late_loss(&a, 100));
    assert!(a.iter().all(|s| !s.skipped && s.loss_scale == 1.0));

    assert!(b.iter().all(|s| s.grad_norms[0] > 0.0 || s.skipped));
    assert!(late_loss(&b, 100) < 0.92, "B: {}", late_loss(&b, 100));
    let skipped = b.iter().filter(|s| s.skipped).count();
    assert!((1..=8).contains(&skipped), "{skipped} skipped");
    let lowest = b.iter().map(|s| s.loss_scale).fold(f64::INFINITY, f64::min);
    assert!((1024.0..=32768.0).contains(&lowest), "S down to {lowest}");

    let f32_run = train(
        &TrainParams {
            precision: "f32".into(),
            ..lesson.settings.clone()
        },
        2000,
    );
    assert!((late_loss(&f32_run, 100) - late_loss(&b, 100)).abs() < 0.1);
}

/// "Run A skips all of its steps: the weights stay as they were and its loss stays at 1.02.
/// Run B meets one overflow in its first 400 steps, halves S to 2¹⁵ and trains on (loss
/// about 0.03)."
#[test]
fn too_high_a_static_scale_skips_every_step_and_the_dynamic_one_finds_its_level() {
    let lesson = lesson("Too high a loss scale");
    let (a, b) = both(&lesson, 400);
    assert!(a.iter().all(|s| s.skipped && s.non_finite.is_none()));
    assert!(a.iter().all(|s| s.update_norms.iter().all(|&u| u == 0.0)));
    // The same weights on other batches: the loss's level does not move.
    let early = a[..50].iter().map(|s| s.loss).sum::<f64>() / 50.0;
    assert!(
        (late_loss(&a, 50) - early).abs() < 0.03,
        "{early} → {}",
        late_loss(&a, 50)
    );
    assert!((early - 1.02).abs() < 0.03, "{early}");
    let skipped: Vec<u64> = b.iter().filter(|s| s.skipped).map(|s| s.step).collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(b.last().unwrap().loss_scale, 32768.0);
    assert!(late_loss(&b, 50) < 0.05, "B: {}", late_loss(&b, 50));
}

/// "Run A's first layer gets its gradient at every step … and its loss falls (to about 0.97
/// after 2000 steps …), while run B's first layers get exactly zero and its loss stays at
/// 1.00. … where both formats hold every value (the output half of the net), bf16's per-layer
/// gradients differ from f32's by about 0.1–0.2 %, f16's by about 0.01 %."
#[test]
fn bf16_needs_no_scaler_and_pays_in_digits() {
    let lesson = lesson("bfloat16");
    let (a, b) = both(&lesson, 2000);
    assert!(a.iter().all(|s| s.grad_norms[0] > 0.0));
    assert!(late_loss(&a, 100) < 0.99 && late_loss(&b, 100) > 0.98);
    assert_eq!(b[1999].grad_norms[0], 0.0);

    let exact = &train(
        &TrainParams {
            precision: "f32".into(),
            ..lesson.settings.clone()
        },
        1,
    )[0];
    let error = |run: &StepStats| {
        let groups = exact.grad_norms.len();
        let tail = groups / 2..groups;
        tail.clone()
            .map(|g| (run.grad_norms[g] / exact.grad_norms[g] - 1.0).abs())
            .sum::<f64>()
            / tail.len() as f64
    };
    let (bf16, f16) = (error(&a[0]), error(&b[0]));
    assert!(bf16 > 3.0 * f16, "bf16 {bf16} vs f16 {f16}");
    assert!((3e-4..5e-3).contains(&bf16), "bf16 {bf16}");
}

/// Mean loss over steps `from..to`.
fn loss_between(run: &[StepStats], from: usize, to: usize) -> f64 {
    let part = &run[from..to.min(run.len())];
    part.iter().map(|s| s.loss).sum::<f64>() / part.len() as f64
}

/// "After 800 steps A's loss is about 1.88 and B's 2.88 … At step 0 B's whole gradient is 3.3
/// times A's … Within 20 full-rate steps B's gradients collapse toward the input: its last
/// block's MLP gets over 1,000 times the gradient of its first block's, its readout 10⁵ times its
/// embedding's … A's stay within a factor 15 throughout."
#[test]
fn post_ln_stalls_at_the_letter_frequencies_where_pre_ln_learns() {
    let (a, b) = both(&lesson("Post-LN stalls"), 800);
    assert!(diverged(&a).is_none() && diverged(&b).is_none());
    assert!(late_loss(&a, 50) < 2.0, "A: {}", late_loss(&a, 50));
    // B stays within 0.05 of the unigram entropy (2.875 nats) from step 200 on.
    let baseline = gradlab_engine::language::unigram_entropy();
    for (from, to) in [(180, 200), (380, 400), (750, 800)] {
        let loss = loss_between(&b, from, to);
        assert!((loss - baseline).abs() < 0.05, "B at {from}..{to}: {loss}");
    }
    let ratio = b[0].global_norm / a[0].global_norm;
    assert!(
        (2.5..5.0).contains(&ratio),
        "B/A gradient at step 0: {ratio}"
    );
    // A's and B's groups are named alike (B lacks A's ln_f, the last but one).
    let names = |run: &str| {
        let params = if run == "A" {
            lesson("Post-LN stalls").settings
        } else {
            let l = lesson("Post-LN stalls");
            l.compare.expect("a compare lesson").apply(&l.settings)
        };
        params.check().unwrap().net.model.describe().group_names
    };
    let (names_a, names_b) = (names("A"), names("B"));
    let group = |s: &StepStats, name: &str| {
        let names = if s.grad_norms.len() == names_a.len() {
            &names_a
        } else {
            &names_b
        };
        s.grad_norms[names
            .iter()
            .position(|n| n == name)
            .expect("a group of the model")]
    };
    for step in [0, 20, 100, 400, 799] {
        let (a, b) = (&a[step], &b[step]);
        let spread_a = group(a, "readout") / group(a, "embed");
        assert!((1.0..20.0).contains(&spread_a), "A at {step}: {spread_a}");
        if step >= 20 {
            let spread_b = group(b, "readout") / group(b, "embed");
            assert!(spread_b > 1e4, "B at {step}: readout/embed {spread_b}");
            let mlp = group(b, "L5.mlp.out") / group(b, "L0.mlp.out");
            assert!(mlp > 1e3, "B at {step}: last/first MLP {mlp}");
        }
    }
}

/// "A's loss is 2.42 at step 200 and 2.20 at step 800; B's is 2.88 throughout … (η = 0.0033 at
/// step 100)"
#[test]
fn warmup_rescues_post_ln() {
    let (a, b) = both(&lesson("Warmup rescues"), 800);
    assert!((a[100].learning_rate - 0.01 / 3.0).abs() < 1e-9);
    assert_eq!(a[0].global_norm, b[0].global_norm);
    assert!(loss_between(&a, 180, 200) < 2.6);
    assert!(late_loss(&a, 50) < 2.35, "A: {}", late_loss(&a, 50));
    assert!(late_loss(&b, 50) > 2.8, "B: {}", late_loss(&b, 50));
}

/// "A is clipped at steps 0, 1 and 2 only … both runs end near 1.88–1.89 nats … the stalled
/// Post-LN net …, clipped at 1, stalls just the same (2.88 after 800 steps)"
#[test]
fn clipping_at_one_acts_at_the_start_only_and_changes_little_under_adam() {
    let clipping = lesson("Clipping at 1");
    let (a, b) = both(&clipping, 800);
    let clipped: Vec<u64> = a.iter().filter(|s| s.clipped).map(|s| s.step).collect();
    assert!(
        !clipped.is_empty() && clipped.iter().all(|&s| s < 10),
        "{clipped:?}"
    );
    assert!((late_loss(&a, 50) - late_loss(&b, 50)).abs() < 0.05);
    let mut post = clipping.settings.clone();
    post.norm = "post".into();
    let post = train(&post, 800);
    assert!(
        late_loss(&post, 50) > 2.8,
        "clipped Post-LN: {}",
        late_loss(&post, 50)
    );
}
