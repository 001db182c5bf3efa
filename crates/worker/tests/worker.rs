//! The worker's behaviour through its public API: one `Command` in, one `Event` out
//! (`WorkerCore`, native; the wasm glue only moves bytes).

mod common;
use common::export_text;

use gradlab_engine::{TrainParams, Trainer};
use gradlab_protocol::{
    Chunk, Command, Configured, Event, ExportFormat, Progress, StepSummary, MAX_CHUNK_STEPS,
};
use gradlab_worker::{spectrum_due, WorkerCore};

fn configure(core: &mut WorkerCore, params: TrainParams) -> Configured {
    configure_all(core, &[params])
}

fn configure_all(core: &mut WorkerCore, params: &[TrainParams]) -> Configured {
    let configs = params.iter().map(|p| p.check().unwrap()).collect();
    match core.handle(
        Command::Configure(configs),
        &mut || 0.0,
        &mut std::io::sink(),
    ) {
        Event::Configured(c) => c,
        other => panic!("{other:?}"),
    }
}

fn train_all(core: &mut WorkerCore, max_steps: u32) -> Chunk {
    let command = Command::Train {
        max_steps,
        budget_ms: f64::INFINITY,
        peak_stride: 1,
    };
    match core.handle(command, &mut || 0.0, &mut std::io::sink()) {
        Event::Progress(p) => *p,
        other => panic!("{other:?}"),
    }
}

fn train(core: &mut WorkerCore, max_steps: u32) -> Progress {
    let chunk = train_all(core, max_steps);
    assert_eq!(chunk.runs.len(), 1);
    chunk.runs.into_iter().next().unwrap()
}

fn exploding() -> TrainParams {
    TrainParams {
        depth: 200.0,
        width: 64.0,
        activation: "relu".into(),
        weight_scale: 3.0,
        ..TrainParams::default()
    }
}

/// Compare mode with the same settings twice: the two runs are the same run.
#[test]
fn compared_runs_with_identical_settings_are_identical() {
    let params = TrainParams {
        depth: 6.0,
        weight_scale: 1.8,
        clip_mode: "value".into(),
        clip_threshold: 0.1,
        ..TrainParams::default()
    };
    let mut core = WorkerCore::new();
    let c = configure_all(&mut core, &[params.clone(), params]);
    assert_eq!((c.runs, c.group_count), (2, 7));
    for _ in 0..3 {
        let chunk = train_all(&mut core, 40);
        let [a, b] = &chunk.runs[..] else { panic!() };
        assert_eq!(a.steps.len(), 40);
        assert_eq!(a, b);
    }
}

/// Different settings, same seed: lockstep step indices, different numbers; when one
/// network diverges the other trains on.
#[test]
fn compared_runs_keep_step_and_outlive_a_divergence() {
    // The exploding net of lesson 5: unclipped it overflows within ~25 steps.
    let wild = TrainParams {
        depth: 20.0,
        weight_scale: 2.0,
        learning_rate: 0.3,
        ..TrainParams::default()
    };
    let tame = TrainParams {
        clip_mode: "global-norm".into(),
        ..wild.clone()
    };
    let mut core = WorkerCore::new();
    configure_all(&mut core, &[wild, tame]);
    let chunk = train_all(&mut core, 100);
    let [wild, tame] = &chunk.runs[..] else {
        panic!()
    };
    let at = wild.diverged.expect("unclipped diverges").step;
    assert!(at < 50 && wild.steps.len() as u64 == at + 1);
    assert!(tame.diverged.is_none());
    assert_eq!(tame.steps.len(), 100);
    // Same step indices while both ran; different numbers.
    assert!(wild
        .steps
        .iter()
        .zip(&tame.steps)
        .all(|(w, t)| w.step == t.step));
    assert_ne!(wild.steps[5].loss, tame.steps[5].loss);
    // The next chunk trains the survivor alone.
    let next = train_all(&mut core, 10);
    assert!(next.runs[0].steps.is_empty());
    assert_eq!(next.runs[1].steps[0].step, 100);
}

/// Two networks whose shapes differ still restart together, and a change of network count
/// is a restart.
#[test]
fn a_rebuild_of_one_network_restarts_both() {
    let a = TrainParams::default();
    let b = TrainParams {
        clip_mode: "value".into(),
        ..a.clone()
    };
    let mut core = WorkerCore::new();
    let first = configure_all(&mut core, &[a.clone(), b.clone()]);
    train_all(&mut core, 5);
    let live = configure_all(
        &mut core,
        &[
            a.clone(),
            TrainParams {
                learning_rate: 0.2,
                ..b.clone()
            },
        ],
    );
    assert!(!live.restarted && live.step == 5);
    let rebuilt = configure_all(
        &mut core,
        &[
            a.clone(),
            TrainParams {
                weight_scale: 2.0,
                ..b
            },
        ],
    );
    assert!(rebuilt.restarted && rebuilt.run != first.run && rebuilt.step == 0);
    let chunk = train_all(&mut core, 2);
    assert!(chunk.runs.iter().all(|p| p.steps[0].step == 0));
    let single = configure(&mut core, a);
    assert!(single.restarted && single.runs == 1);
    let three = core.handle(
        Command::Configure(vec![TrainParams::default().check().unwrap(); 3]),
        &mut || 0.0,
        &mut std::io::sink(),
    );
    assert!(matches!(three, Event::Failed { .. }));
}

#[test]
fn export_answers_with_the_logged_steps() {
    let mut core = WorkerCore::new();
    let params = TrainParams {
        depth: 2.0,
        ..TrainParams::default()
    };
    configure_all(&mut core, &[params.clone(), params]);
    train_all(&mut core, 4);
    let text = export_text(&mut core, ExportFormat::Csv);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 8);
    assert_eq!(rows.iter().filter(|r| r.starts_with("B,")).count(), 4);
    // A reset empties the log.
    core.handle(Command::Reset, &mut || 0.0, &mut std::io::sink());
    let text = export_text(&mut core, ExportFormat::Json);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 2);
    assert!(json["runs"][0]["steps"].as_array().unwrap().is_empty());
}

#[test]
fn training_before_configuring_fails_politely() {
    let mut core = WorkerCore::new();
    let event = core.handle(
        Command::Train {
            max_steps: 1,
            budget_ms: 1.0,
            peak_stride: 1,
        },
        &mut || 0.0,
        &mut std::io::sink(),
    );
    assert!(matches!(event, Event::Failed { .. }));
    assert!(matches!(
        core.handle(Command::Reset, &mut || 0.0, &mut std::io::sink()),
        Event::Failed { .. }
    ));
}

#[test]
fn chunks_match_the_trainer_step_for_step() {
    let params = TrainParams::default();
    let mut core = WorkerCore::new();
    let first = configure(&mut core, params.clone());
    assert!(first.restarted && first.group_count == 11);
    let a = train(&mut core, 7);
    let b = train(&mut core, 5);
    let mut reference = Trainer::new(params.check().unwrap());
    let expected: Vec<_> = (0..12).map(|_| reference.step().unwrap()).collect();
    let got: Vec<_> = a.steps.iter().chain(&b.steps).copied().collect();
    assert_eq!(got.len(), 12);
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(*g, StepSummary::from(e));
    }
    assert_eq!(b.last.as_ref(), expected.last());
    // With a peak stride of 1, each block is its own step's norms.
    assert_eq!(b.peaks.len(), 5);
    for (block, e) in b.peaks.iter().zip(&expected[7..]) {
        assert_eq!(block.first_step, e.step);
        let norms: Vec<f32> = e.grad_norms.iter().map(|&n| n as f32).collect();
        assert_eq!(block.norms, norms);
    }
}

#[test]
fn live_changes_continue_the_run_structural_ones_restart_it() {
    let params = TrainParams::default();
    let mut core = WorkerCore::new();
    let first = configure(&mut core, params.clone());
    train(&mut core, 3);
    let live = configure(
        &mut core,
        TrainParams {
            learning_rate: 0.1,
            ..params.clone()
        },
    );
    assert_eq!((live.run, live.restarted, live.step), (first.run, false, 3));
    let rebuilt = configure(
        &mut core,
        TrainParams {
            depth: 3.0,
            ..params
        },
    );
    assert!(rebuilt.restarted && rebuilt.run != first.run && rebuilt.step == 0);
    assert_eq!(train_all(&mut core, 2).run, rebuilt.run);
}

#[test]
fn the_time_budget_ends_a_chunk() {
    let mut core = WorkerCore::new();
    configure(&mut core, TrainParams::default());
    let mut clock = 0.0;
    let event = core.handle(
        Command::Train {
            max_steps: 1_000,
            budget_ms: 10.0,
            peak_stride: 1,
        },
        &mut || {
            clock += 1.0;
            clock
        },
        &mut std::io::sink(),
    );
    let Event::Progress(chunk) = event else {
        panic!()
    };
    let p = &chunk.runs[0];
    // Each step reads the clock once: 10 ms of budget at 1 ms per read.
    assert!(p.steps.len() < 15, "{}", p.steps.len());
}

#[test]
fn divergence_ends_the_chunk_and_is_reported() {
    let mut core = WorkerCore::new();
    configure(&mut core, exploding());
    let p = train(&mut core, 100);
    assert_eq!(p.steps.len(), 1);
    let at = p.diverged.expect("diverged");
    assert_eq!(p.last.unwrap().non_finite, Some(at));
    assert!(train(&mut core, 100).steps.is_empty());
    let Event::Configured(c) = core.handle(Command::Reset, &mut || 0.0, &mut std::io::sink())
    else {
        panic!()
    };
    assert!(c.restarted && c.step == 0);
}

/// A clock that stands still must not make a chunk endless: the step bound ends it.
#[test]
fn a_chunk_ends_at_the_step_bound_when_the_clock_stands_still() {
    let mut core = WorkerCore::new();
    configure(
        &mut core,
        TrainParams {
            depth: 1.0,
            width: 2.0,
            batch: 1.0,
            ..TrainParams::default()
        },
    );
    let event = core.handle(
        Command::Train {
            max_steps: u32::MAX,
            budget_ms: 12.0,
            peak_stride: 1,
        },
        &mut || 0.0,
        &mut std::io::sink(),
    );
    let Event::Progress(chunk) = event else {
        panic!("{event:?}")
    };
    assert_eq!(chunk.runs[0].steps.len(), MAX_CHUNK_STEPS as usize);
    // A NaN budget never compares as spent: the bound ends that chunk too.
    let event = core.handle(
        Command::Train {
            max_steps: u32::MAX,
            budget_ms: f64::NAN,
            peak_stride: 0,
        },
        &mut || 0.0,
        &mut std::io::sink(),
    );
    let Event::Progress(chunk) = event else {
        panic!("{event:?}")
    };
    assert_eq!(chunk.runs[0].steps.len(), MAX_CHUNK_STEPS as usize);
}

/// A configuration that crossed as bytes is checked like a slider value; refused, the current
/// run goes on as it was.
#[test]
fn configurations_from_the_page_are_checked() {
    let mut core = WorkerCore::new();
    configure(&mut core, TrainParams::default());
    train(&mut core, 3);
    let mut bad = TrainParams::default().check().unwrap();
    bad.net.model = gradlab_engine::ModelConfig::Mlp(gradlab_engine::MlpConfig {
        depth: 1_000_000,
        ..*bad.net.model.as_mlp().unwrap()
    });
    let event = core.handle(
        Command::Configure(vec![bad]),
        &mut || 0.0,
        &mut std::io::sink(),
    );
    let Event::Failed { message } = event else {
        panic!("{event:?}")
    };
    assert!(message.contains("Depth"), "{message}");
    let mut nan = TrainParams::default().check().unwrap();
    nan.live.learning_rate = f64::NAN;
    let good = TrainParams::default().check().unwrap();
    let event = core.handle(
        Command::Configure(vec![good, nan]),
        &mut || 0.0,
        &mut std::io::sink(),
    );
    let Event::Failed { message } = event else {
        panic!("{event:?}")
    };
    assert!(
        message.contains("run B") && message.contains("Learning rate"),
        "{message}"
    );
    // The run was not touched: it continues at step 3.
    assert_eq!(train(&mut core, 1).steps[0].step, 3);
}

/// Peaks come per block of `peak_stride` steps, each block the maxima of its own steps — not
/// one chunk-wide peak smeared over every column the chunk spans.
#[test]
fn peaks_are_per_block_of_steps() {
    let params = TrainParams {
        depth: 4.0,
        weight_scale: 1.5,
        ..TrainParams::default()
    };
    let mut core = WorkerCore::new();
    configure(&mut core, params.clone());
    let Event::Progress(chunk) = core.handle(
        Command::Train {
            max_steps: 10,
            budget_ms: f64::INFINITY,
            peak_stride: 4,
        },
        &mut || 0.0,
        &mut std::io::sink(),
    ) else {
        panic!()
    };
    let mut reference = Trainer::new(params.check().unwrap());
    let expected: Vec<_> = (0..10).map(|_| reference.step().unwrap()).collect();
    let blocks = &chunk.runs[0].peaks;
    assert_eq!(
        blocks.iter().map(|b| b.first_step).collect::<Vec<_>>(),
        vec![0, 4, 8]
    );
    for block in blocks {
        let steps = &expected[block.first_step as usize..(block.first_step as usize + 4).min(10)];
        for (l, &peak) in block.norms.iter().enumerate() {
            let max = steps
                .iter()
                .map(|s| s.grad_norms[l] as f32)
                .fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(peak, max);
        }
    }
}

fn language(seed: u64) -> TrainParams {
    TrainParams {
        model: "rnn".into(),
        task: "language".into(),
        readout: "all".into(),
        seq_len: 12.0,
        hidden: 8.0,
        seed,
        ..TrainParams::default()
    }
}

/// A language model's chunk carries a sample when it starts the run or crosses a multiple of
/// `SAMPLE_EVERY` steps, and none otherwise; other tasks never carry one. Samples come from
/// their own random stream, so how the steps were chunked (and so when samples were drawn)
/// does not change the run.
#[test]
fn language_samples_arrive_every_sample_every_steps_and_leave_training_alone() {
    use gradlab_protocol::{SAMPLE_EVERY, SAMPLE_LENGTH};
    let mut core = WorkerCore::new();
    configure(&mut core, language(4));
    let first = train(&mut core, 3);
    let sample = first.sample.expect("the first chunk samples");
    assert_eq!(sample.step, 3);
    assert_eq!(sample.text.as_ref().map(|t| t.len()), Some(SAMPLE_LENGTH));
    assert!((0.0..=1.0).contains(&sample.known_words));
    assert!(
        train(&mut core, 40).sample.is_none(),
        "steps 3..43 cross no multiple of 50"
    );
    let crossing = train(&mut core, 10).sample.expect("steps 43..53 cross 50");
    assert_eq!(crossing.step, 53);
    assert_ne!(crossing.text, sample.text);

    let losses = |chunks: &[u32]| -> Vec<f32> {
        let mut core = WorkerCore::new();
        configure(&mut core, language(4));
        chunks
            .iter()
            .flat_map(|&n| train(&mut core, n).steps)
            .map(|s| s.loss)
            .collect()
    };
    let one_chunk = losses(&[2 * SAMPLE_EVERY as u32]);
    assert_eq!(losses(&[1; 2 * SAMPLE_EVERY as usize]), one_chunk);

    let mut adding = WorkerCore::new();
    configure(
        &mut adding,
        TrainParams {
            task: "adding".into(),
            ..language(4)
        },
    );
    assert!(train(&mut adding, 60).sample.is_none());
}

/// A language model whose weights are no longer finite says so instead of writing.
#[test]
fn a_diverged_language_model_writes_nothing() {
    let mut core = WorkerCore::new();
    let params = TrainParams {
        learning_rate: 10.0,
        recurrent_scale: 10.0,
        activation: "relu".into(),
        ..language(1)
    };
    configure(&mut core, params);
    let progress = train(&mut core, 200);
    assert!(progress.diverged.is_some(), "the run diverges");
    let sample = progress.sample.expect("the first chunk samples");
    assert_eq!(sample.text, None);
}

/// The λ₁ gauge reads before Play: a restart carries run A's λ₁ and ρ of W_h as built (the
/// trainer's own, before any step), an MLP none, and a change that keeps the run none either.
#[test]
fn a_restart_carries_the_initial_spectrum() {
    let rnn = TrainParams {
        model: "rnn".into(),
        recurrent_scale: 1.5,
        ..TrainParams::default()
    };
    let mut core = WorkerCore::new();
    let built = configure(&mut core, rnn.clone());
    let expected = Trainer::new(rnn.check().unwrap()).recurrent_spectrum();
    assert!(expected.is_some());
    assert_eq!(built.spectrum, expected);
    train(&mut core, 2);
    let live = configure(
        &mut core,
        TrainParams {
            learning_rate: 0.02,
            ..rnn
        },
    );
    assert!(!live.restarted && live.spectrum.is_none());
    assert!(configure(&mut core, TrainParams::default())
        .spectrum
        .is_none());
}

/// A Transformer language model writes too (a forward pass per character, over the newest
/// `context` characters), at the first chunk and at crossings of `SAMPLE_EVERY`; its samples
/// take at most `SAMPLE_SHARE` of the time: after a 100-ms sample the next is due once 2 % of
/// the time since covers it, 5 s later. (The clock here never moves: writing costs 0.)
#[test]
fn a_transformer_writes_within_its_share_of_the_time() {
    use gradlab_protocol::{SAMPLE_LENGTH, SAMPLE_SHARE};
    use gradlab_worker::due_within;
    assert!(due_within(None, 0.0, SAMPLE_SHARE));
    assert!(!due_within(Some((1000.0, 100.0)), 5999.0, SAMPLE_SHARE));
    assert!(due_within(Some((1000.0, 100.0)), 6000.0, SAMPLE_SHARE));
    let mut core = WorkerCore::new();
    configure(
        &mut core,
        TrainParams {
            model: "transformer".into(),
            layers: 1.0,
            d_model: 16.0,
            heads: 2.0,
            context: 8.0,
            batch: 2.0,
            ..language(4)
        },
    );
    let first = train(&mut core, 3).sample.expect("the first chunk writes");
    let text = first.text.expect("finite weights write");
    assert_eq!(text.chars().count(), SAMPLE_LENGTH);
    assert!(
        train(&mut core, 40).sample.is_none(),
        "steps 3..43 cross no 50"
    );
    let crossing = train(&mut core, 10).sample.expect("steps 43..53 cross 50");
    assert_ne!(crossing.text, Some(text));
}

/// λ₁ and ρ at a measured cadence: a computation that took 100 ms is due again once it is
/// 5 % of the time since (2 s later), not every chunk — at H 256 an SVD and a Schur form per
/// chunk took most of the worker's time. With a clock that never moves (a cost of 0) every
/// chunk has them, as the λ₁ gauge's tests expect.
#[test]
fn the_spectrum_takes_a_bounded_share_of_the_time() {
    assert!(spectrum_due(None, 0.0));
    assert!(!spectrum_due(Some((1000.0, 100.0)), 2999.0));
    assert!(spectrum_due(Some((1000.0, 100.0)), 3000.0));
    assert!(spectrum_due(Some((1000.0, 0.0)), 1000.0));
    let mut core = WorkerCore::new();
    configure(
        &mut core,
        TrainParams {
            model: "rnn".into(),
            ..TrainParams::default()
        },
    );
    for _ in 0..3 {
        assert!(train(&mut core, 1).spectrum.is_some());
    }
}

/// Compare mode: two runs that each fit but not together are refused as a pair, and the
/// current run goes on untouched.
#[test]
fn compared_runs_must_fit_together() {
    let big = TrainParams {
        depth: 1000.0,
        width: 300.0,
        ..TrainParams::default()
    };
    assert!(big.check().is_ok(), "each fits alone");
    let mut core = WorkerCore::new();
    configure(&mut core, TrainParams::default());
    let configs = vec![big.check().unwrap(), big.check().unwrap()];
    let answer = core.handle(
        Command::Configure(configs),
        &mut || 0.0,
        &mut std::io::sink(),
    );
    let Event::Failed { message } = answer else {
        panic!("{answer:?}");
    };
    assert!(message.contains("the lab's limit is 1 GB"), "{message}");
    assert_eq!(train(&mut core, 2).steps.len(), 2, "the run goes on");
}

/// The reader's own text: a language run with `text = own` starts over on it (Configured says
/// so), a refused text changes nothing, and forgetting it goes back to the shipped text.
#[test]
fn own_text_restarts_a_language_run_on_it() {
    let mut core = WorkerCore::new();
    let params = TrainParams {
        model: "rnn".into(),
        task: "language".into(),
        text: "own".into(),
        seq_len: 10.0,
        hidden: 6.0,
        ..TrainParams::default()
    };
    let first = configure(&mut core, params.clone());
    assert!(!first.own_text, "no text yet: the shipped one");
    let send = |core: &mut WorkerCore, text: Option<String>| {
        core.handle(Command::OwnText(text), &mut || 0.0, &mut std::io::sink())
    };
    let text = "A text of my own, written for this test. ".repeat(40);
    let Event::Configured(taken) = send(&mut core, Some(text)) else {
        panic!("a taken text answers Configured");
    };
    assert!(taken.own_text && taken.restarted && taken.run != first.run);
    assert_ne!(taken.model.baseline, first.model.baseline);
    // Refused: the run and its text stay as they were.
    let Event::Failed { message } = send(&mut core, Some("too short".into())) else {
        panic!("a short text is refused");
    };
    assert!(message.contains("at least 1000"), "{message}");
    train(&mut core, 3);
    // A run on another task keeps training untouched by a new text.
    let adding = configure(
        &mut core,
        TrainParams {
            task: "adding".into(),
            ..params.clone()
        },
    );
    assert!(!adding.own_text);
    let Event::Configured(kept) = send(&mut core, Some("Another text of mine. ".repeat(60))) else {
        panic!();
    };
    assert!(!kept.restarted && !kept.own_text);
    // Back to language: the newest text is used; forgotten, the shipped one.
    assert!(configure(&mut core, params).own_text);
    let Event::Configured(forgotten) = send(&mut core, None) else {
        panic!();
    };
    assert!(forgotten.restarted && !forgotten.own_text);
}

/// The reader's own series: a series run with `series = own` starts over on it, one too short
/// for the run's windows leaves it on the sines (Configured says which), a refused CSV changes
/// nothing.
#[test]
fn own_series_restarts_a_series_run_on_it() {
    use gradlab_protocol::SeriesInput;
    let mut core = WorkerCore::new();
    let params = TrainParams {
        model: "rnn".into(),
        task: "series".into(),
        series: "own".into(),
        seq_len: 30.0,
        hidden: 6.0,
        ..TrainParams::default()
    };
    assert!(!configure(&mut core, params.clone()).own_series);
    let send = |core: &mut WorkerCore, csv: &str, column: Option<u32>| {
        let input = SeriesInput {
            csv: csv.into(),
            column,
        };
        core.handle(
            Command::OwnSeries(Some(input)),
            &mut || 0.0,
            &mut std::io::sink(),
        )
    };
    let long: String = (0..100).map(|i| format!("day {i},{}\n", i % 7)).collect();
    let Event::Configured(taken) = send(&mut core, &long, Some(2)) else {
        panic!("a taken series answers Configured");
    };
    assert!(taken.own_series && taken.restarted);
    let Event::Failed { message } = send(&mut core, "a,b\nx,y\n", None) else {
        panic!("a CSV with no numbers is refused");
    };
    assert!(message.starts_with("Your series was not used"), "{message}");
    // 25 values cannot fill windows of 31: the sines, and Configured says so.
    let short: String = (0..25).map(|i| format!("{i}\n")).collect();
    let Event::Configured(short) = send(&mut core, &short, None) else {
        panic!();
    };
    assert!(short.restarted && !short.own_series);
}

/// The reader's own points: an MLP with `dataset = own` starts over on them; refused points
/// change nothing; forgotten, the circle again.
#[test]
fn own_points_restart_an_mlp_on_them() {
    let mut core = WorkerCore::new();
    let params = TrainParams {
        dataset: "own".into(),
        depth: 2.0,
        ..TrainParams::default()
    };
    assert!(!configure(&mut core, params).own_points);
    let send = |core: &mut WorkerCore, csv: Option<&str>| {
        core.handle(
            Command::OwnPoints(csv.map(String::from)),
            &mut || 0.0,
            &mut std::io::sink(),
        )
    };
    let csv: String = (0..20)
        .map(|i| format!("{i},{},{}\n", i % 5, i % 2))
        .collect();
    let Event::Configured(taken) = send(&mut core, Some(&csv)) else {
        panic!("taken points answer Configured");
    };
    assert!(taken.own_points && taken.restarted);
    let Event::Failed { message } = send(&mut core, Some("1,2,a\n3,4,a\n")) else {
        panic!("one class is refused");
    };
    assert!(message.contains("two classes"), "{message}");
    let Event::Configured(forgotten) = send(&mut core, None) else {
        panic!();
    };
    assert!(forgotten.restarted && !forgotten.own_points);
}
