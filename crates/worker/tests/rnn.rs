//! The RNN through the trainer, the settings table and links: what a run of `--model rnn`
//! does, checked against the claims the page and lessons will make.

mod common;
use common::export_text;

use gradlab_engine::{ClipMode, Field, ProfileAxis, TrainParams, Trainer};
use gradlab_protocol::link::{from_query, to_query, PageState};

fn rnn(edit: impl FnOnce(&mut TrainParams)) -> TrainParams {
    let mut p = TrainParams {
        model: "rnn".into(),
        ..TrainParams::default()
    };
    edit(&mut p);
    p
}

/// Issue 9's browser claim, natively: a tanh RNN at recurrent scale 2, T = 50, has the first
/// step's ‖∂L/∂h_t‖ orders of magnitude above the last one's.
#[test]
fn a_tanh_rnn_past_scale_one_explodes_through_time() {
    let config = rnn(|p| {
        p.seq_len = 50.0;
        p.recurrent_scale = 2.0;
    })
    .check()
    .unwrap();
    let mut trainer = Trainer::new(config);
    assert_eq!(trainer.description().axis, ProfileAxis::TimeSteps);
    assert_eq!(
        trainer.description().group_names,
        ["W_x", "W_h", "b", "W_out", "b_out"]
    );
    assert_eq!(trainer.description().baseline, Some(1.0 / 6.0));
    let stats = trainer.step().unwrap();
    assert_eq!(stats.time_norms.len(), 50);
    assert!(stats.delta_norms.is_empty());
    let (first, last) = (stats.time_norms[0], stats.time_norms[49]);
    assert!(
        first > 100.0 * last,
        "‖∂L/∂h_1‖ = {first}, ‖∂L/∂h_50‖ = {last}"
    );
    // Pascanu's necessary condition holds: λ₁ > 1/γ = 1; and ρ ≈ g, λ₁ ≈ 2g for a Gaussian W_h.
    let (sigma_max, radius) = trainer.recurrent_spectrum().unwrap();
    assert!(sigma_max > 1.0 && sigma_max > radius);
    assert!((radius - 2.0).abs() < 0.4, "ρ = {radius}");
    assert!((sigma_max - 4.0).abs() < 0.8, "λ₁ = {sigma_max}");
}

/// Below scale 1 the error vanishes through time instead: λ₁ < 1 is sufficient (tanh, γ = 1).
#[test]
fn an_orthogonal_rnn_below_one_vanishes_through_time() {
    let config = rnn(|p| {
        p.seq_len = 100.0;
        p.recurrent_init = "orthogonal".into();
        p.recurrent_scale = 0.8;
    })
    .check()
    .unwrap();
    let mut trainer = Trainer::new(config);
    let (sigma_max, radius) = trainer.recurrent_spectrum().unwrap();
    assert!((sigma_max - 0.8).abs() < 1e-5 && (radius - 0.8).abs() < 1e-5);
    let stats = trainer.step().unwrap();
    assert!(stats.time_norms[0] < 1e-6 * stats.time_norms[99]);
}

/// Global-norm clipping at 1 keeps the clipped norm at most 1 on an exploding RNN, step after
/// step, and keeps the direction (cos = 1); per-group clipping bounds each tensor.
#[test]
fn clipping_bounds_rnn_gradients() {
    for (mode, bound) in [(ClipMode::GlobalNorm, 1.0), (ClipMode::GroupNorm, 0.5)] {
        let config = rnn(|p| {
            p.recurrent_scale = 1.8;
            p.learning_rate = 0.1;
            p.clip_mode = mode.name().into();
            p.clip_threshold = bound;
        })
        .check()
        .unwrap();
        let mut trainer = Trainer::new(config);
        let mut clipped = 0;
        for _ in 0..300 {
            let s = trainer
                .step()
                .expect("clipped training never diverges here");
            assert!(s.global_norm.is_finite());
            if mode == ClipMode::GlobalNorm {
                assert!(
                    s.global_norm_clipped <= bound * (1.0 + 1e-6),
                    "{}",
                    s.global_norm_clipped
                );
                assert!((s.cos_pre_post - 1.0).abs() < 1e-9);
            } else {
                assert!(s
                    .grad_norms_clipped
                    .iter()
                    .all(|&n| n <= bound * (1.0 + 1e-6)));
            }
            clipped += usize::from(s.clipped);
        }
        assert!(clipped > 10, "{mode:?} clipped {clipped} steps");
    }
}

/// Unclipped, the same run overflows, and says where in words that fit an RNN.
#[test]
fn an_unclipped_exploding_rnn_diverges_and_says_where() {
    let config = rnn(|p| {
        p.recurrent_scale = 2.0;
        p.learning_rate = 0.3;
    })
    .check()
    .unwrap();
    let mut trainer = Trainer::new(config);
    let at = (0..500)
        .find_map(|_| trainer.step().ok().and_then(|s| s.non_finite))
        .expect("diverges");
    let message = at.to_string();
    assert!(!message.contains("layer"), "{message}");
    assert!(trainer.step().is_err());
}

/// The same settings give the same run, and an RNN link reproduces it step for step.
#[test]
fn rnn_links_reproduce_the_run() {
    let params = rnn(|p| {
        p.task = "copy".into();
        p.readout = "all".into();
        p.seq_len = 30.0;
        p.hidden = 24.0;
        p.recurrent_init = "identity".into();
        p.recurrent_scale = 0.9;
        p.input_scale = 0.7;
        p.bptt = 10.0;
        p.seed = 77;
    });
    let config = params.check().unwrap();
    let query = to_query(&config, &PageState::default());
    assert!(
        query.starts_with("model=rnn&activation=tanh&task=copy&cell=vanilla&seq-len=30"),
        "{query}"
    );
    assert!(
        !query.contains("depth="),
        "an RNN link holds the RNN's settings: {query}"
    );
    let opened = from_query(&query, &TrainParams::default());
    assert!(opened.notices.is_empty(), "{:?}", opened.notices);
    assert_eq!(opened.config, config);
    let run = |c| {
        let mut t = Trainer::new(c);
        (0..5).map(|_| t.step().unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(run(opened.config), run(config));
}

/// Every new setting's bad values are refused with a message naming it, and repaired safely.
#[test]
fn bad_rnn_settings_are_named() {
    type Case = (fn(&mut TrainParams), Field);
    let cases: [Case; 9] = [
        (|p| p.model = "lstm".into(), Field::Model),
        (|p| p.task = "mnist".into(), Field::Task),
        (|p| p.seq_len = 0.0, Field::SeqLen),
        (|p| p.seq_len = 10_000.0, Field::SeqLen),
        (|p| p.hidden = 2.5, Field::Hidden),
        (|p| p.recurrent_init = "random".into(), Field::RecurrentInit),
        (|p| p.recurrent_scale = f64::NAN, Field::RecurrentScale),
        (|p| p.bptt = -1.0, Field::Bptt),
        (|p| p.readout = "first".into(), Field::Readout),
    ];
    for (edit, field) in cases {
        let params = rnn(edit);
        let (config, errors) = params.repair();
        assert_eq!(errors.len(), 1, "{params:?}");
        assert_eq!(errors[0].field(), field);
        assert!(errors[0].to_string().starts_with(field.label()));
        assert!(config.validate().is_ok());
        // Trains without a panic.
        Trainer::new(config).step().unwrap();
    }
    // From a link, each notice names the parameter.
    let opened = from_query(
        "model=rnn&seq-len=abc&readout=sideways",
        &TrainParams::default(),
    );
    assert!(
        opened.notices.iter().any(|n| n.contains("seq-len")),
        "{:?}",
        opened.notices
    );
    assert!(
        opened.notices.iter().any(|n| n.contains("readout")),
        "{:?}",
        opened.notices
    );
}

/// Downloads of an RNN run name their columns by parameter group and time step, and its
/// settings are the RNN's.
#[test]
fn rnn_downloads_name_columns_by_group() {
    use gradlab_protocol::{Command, Event, ExportFormat};
    use gradlab_worker::WorkerCore;
    let mut core = WorkerCore::new();
    let config = rnn(|p| p.seq_len = 12.0).check().unwrap();
    assert!(matches!(
        core.handle(
            Command::Configure(vec![config]),
            &mut || 0.0,
            &mut std::io::sink()
        ),
        Event::Configured(_)
    ));
    core.handle(
        Command::Train {
            max_steps: 3,
            budget_ms: f64::INFINITY,
            peak_stride: 1,
        },
        &mut || 0.0,
        &mut std::io::sink(),
    );
    let text = export_text(&mut core, ExportFormat::Csv);
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(&header[6..8], ["grad_norm_W_x", "grad_norm_W_h"]);
    assert_eq!(header[15], "grad_norm_clipped_b_out");
    assert_eq!(
        &header[16..28],
        (1..=12)
            .map(|t| format!("time_norm_{t}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(&header[28..30], ["update_norm_W_x", "update_norm_W_h"]);
    assert_eq!(text.lines().count(), 4);
    let text = export_text(&mut core, ExportFormat::Json);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["runs"][0]["settings"]["model"], "rnn");
    assert_eq!(json["runs"][0]["settings"]["seq-len"], 12.0);
    assert_eq!(
        json["runs"][0]["last"]["time_norms"]
            .as_array()
            .unwrap()
            .len(),
        12
    );
}

/// Teacher mode can hide every RNN control.
#[test]
fn teacher_mode_hides_rnn_controls() {
    let ids =
        "model,task,cell,seq-len,hidden,recurrent-init,recurrent-scale,input-scale,bptt,readout";
    let opened = from_query(&format!("model=rnn&hide={ids}"), &TrainParams::default());
    assert!(opened.notices.is_empty(), "{:?}", opened.notices);
    assert_eq!(opened.page.hidden.join(","), ids);
}

/// Gated cells through the trainer: the same five groups, stacked per gate (`W_h` is
/// `[H, G·H]`), the LSTM's forget-gate bias at 1, no λ₁ gauge (no single square recurrent
/// matrix), ‖∂L/∂c_t‖ for the LSTM only, and a language model that writes with either cell.
#[test]
fn gated_cells_train_describe_themselves_and_write() {
    for (cell, gates) in [("lstm", 4), ("gru", 3)] {
        let config = rnn(|p| {
            p.cell = cell.into();
            p.task = "language".into();
            p.readout = "all".into();
            p.seq_len = 12.0;
            p.hidden = 8.0;
        })
        .check()
        .unwrap();
        let mut trainer = Trainer::new(config);
        assert_eq!(
            trainer.description().group_names,
            ["W_x", "W_h", "b", "W_out", "b_out"]
        );
        let groups = trainer.network().groups();
        assert_eq!(groups[1].w.dim(), (8, gates * 8), "{cell}");
        let forget: Vec<f32> = groups[2].b.iter().copied().collect();
        let expected_forget = if cell == "lstm" { 1.0 } else { 0.0 };
        assert!(
            forget[8..16].iter().all(|&b| b == expected_forget),
            "{cell}"
        );
        assert!(forget[..8].iter().all(|&b| b == 0.0), "{cell}");
        assert_eq!(trainer.recurrent_spectrum(), None);
        let stats = trainer.step().unwrap();
        assert_eq!(stats.time_norms.len(), 12);
        assert_eq!(stats.cell_norms.len(), if cell == "lstm" { 12 } else { 0 });
        let sample = trainer
            .language_sample(40)
            .expect("a language model writes");
        assert_eq!(sample.chars().count(), 40, "{cell}");
    }
}

/// Old links have no `cell`: they open the vanilla cell, and a link to a gated run says so.
#[test]
fn links_carry_the_cell_and_old_links_stay_vanilla() {
    let base = TrainParams::default();
    let old = from_query("?model=rnn&task=adding&seq-len=30", &base);
    assert!(old.notices.is_empty(), "{:?}", old.notices);
    assert_eq!(
        old.params
            .check()
            .unwrap()
            .net
            .model
            .as_rnn()
            .unwrap()
            .cell
            .name(),
        "vanilla"
    );
    let lstm = rnn(|p| p.cell = "lstm".into());
    let query = to_query(&lstm.check().unwrap(), &PageState::default());
    assert!(query.contains("cell=lstm"), "{query}");
    let back = from_query(&format!("?{query}"), &base);
    assert_eq!(back.params.check().unwrap(), lstm.check().unwrap());
    let wrong = from_query("?model=rnn&cell=transformer", &base);
    assert_eq!(wrong.notices.len(), 1, "{:?}", wrong.notices);
    assert_eq!(
        wrong
            .params
            .check()
            .unwrap()
            .net
            .model
            .as_rnn()
            .unwrap()
            .cell
            .name(),
        "vanilla"
    );
}
