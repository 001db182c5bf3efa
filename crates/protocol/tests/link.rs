//! Links through their public API: every control round-trips, compare mode and lessons survive,
//! and hostile links give a notice naming the parameter and a valid configuration.

use gradlab_engine::settings::Value;
use gradlab_engine::{Field, TrainParams};
use gradlab_protocol::compare::Variant;
use gradlab_protocol::link::{from_query, to_query, Embed, Opened, PageState};

fn defaults() -> TrainParams {
    TrainParams::default()
}

/// Every control, at values off its default, survives encode → decode unchanged.
#[test]
fn every_control_round_trips() {
    let cases = [
        TrainParams::default(),
        TrainParams {
            depth: 30.0,
            width: 128.0,
            activation: "relu".into(),
            weight_scale: 2.35,
            bias_scale: 0.1,
            dataset: "spiral".into(),
            batch: 7.0,
            learning_rate: 0.000316,
            clip_mode: "layer-norm".into(),
            clip_threshold: 0.0465,
            l1: 0.001,
            l2: 0.0125,
            seed: 18_446_744_073_709_551_615,
            ..TrainParams::default()
        },
        TrainParams {
            activation: "sigmoid".into(),
            dataset: "sine".into(),
            clip_mode: "value".into(),
            weight_scale: 0.0,
            ..TrainParams::default()
        },
        // Each optimizer with its own hyperparameters off their defaults.
        TrainParams {
            optimizer: "nesterov".into(),
            momentum: 0.5,
            ..TrainParams::default()
        },
        TrainParams {
            optimizer: "rmsprop".into(),
            alpha: 0.95,
            eps: 1e-4,
            ..TrainParams::default()
        },
        TrainParams {
            optimizer: "adamw".into(),
            beta1: 0.8,
            beta2: 0.99,
            eps: 1e-6,
            weight_decay: 0.05,
            ..TrainParams::default()
        },
    ];
    for params in cases {
        let config = params.check().unwrap();
        let page = PageState {
            hidden: vec!["depth", "seed"],
            ..PageState::default()
        };
        let query = to_query(&config, &page);
        let back = from_query(&query, &defaults());
        assert!(back.notices.is_empty(), "{:?}", back.notices);
        assert_eq!(back.config, config);
        assert_eq!(back.params, params);
        assert_eq!(back.page, page);
    }
}

/// Lesson and compare mode (every setting B may change) survive encode → decode.
#[test]
fn lesson_and_compare_round_trip() {
    let mlp = TrainParams::default().check().unwrap();
    let rnn = TrainParams {
        model: "rnn".into(),
        ..TrainParams::default()
    }
    .check()
    .unwrap();
    let shared = [
        (Field::ClipMode, Value::Name("value".into())),
        (Field::ClipThreshold, Value::Number(0.25)),
        (Field::LearningRate, Value::Number(0.1)),
        (Field::L2, Value::Number(0.001)),
    ];
    // B changes only settings of its own model: σ for an MLP, the recurrent ones for an RNN.
    let cases = [
        (mlp, Variant::default()),
        (
            mlp,
            Variant::of(
                shared
                    .clone()
                    .into_iter()
                    .chain([(Field::WeightScale, Value::Number(2.5))]),
            ),
        ),
        (
            mlp,
            Variant::of([(Field::ClipMode, Value::Name("global-norm".into()))]),
        ),
        (
            rnn,
            Variant::of(shared.into_iter().chain([
                (Field::RecurrentInit, Value::Name("identity".into())),
                (Field::RecurrentScale, Value::Number(0.5)),
            ])),
        ),
    ];
    for (config, variant) in cases {
        let page = PageState {
            hidden: vec!["compare"],
            compare: Some(variant),
            lesson: Some(7),
            view: Some("delta"),
            speed: Some(10),
            cliff: None,
            phase: None,
            present: true,
            embed: Some(Embed {
                charts: vec!["loss", "layers"],
                controls: vec!["run", "weight-scale"],
            }),
        };
        let query = to_query(&config, &page);
        let back = from_query(&query, &defaults());
        assert!(back.notices.is_empty(), "{query}: {:?}", back.notices);
        assert_eq!(back.page, page, "{query}");
    }
    let off = from_query(&to_query(&mlp, &PageState::default()), &defaults());
    assert_eq!(off.page, PageState::default());
}

/// A setting that means something only for run B — AdamW's decay when A is Adam and B AdamW —
/// is in the link at A's value (which B follows), so B reopens with it; without compare mode
/// the link leaves it out.
#[test]
fn a_setting_only_run_b_uses_survives_the_link() {
    let a = TrainParams {
        optimizer: "adam".into(),
        weight_decay: 0.05,
        ..TrainParams::default()
    };
    let config = a.check().unwrap();
    let page = PageState {
        compare: Some(Variant::of([(
            Field::Optimizer,
            Value::Name("adamw".into()),
        )])),
        ..PageState::default()
    };
    let query = to_query(&config, &page);
    assert!(query.contains("weight-decay=0.05"), "{query}");
    let back = from_query(&query, &defaults());
    let b = back.page.compare.as_ref().unwrap().apply(&back.params);
    assert_eq!((b.optimizer.as_str(), b.weight_decay), ("adamw", 0.05));
    let alone = to_query(&config, &PageState::default());
    assert!(
        !alone.contains("weight-decay") && alone.contains("optimizer=adam"),
        "{alone}"
    );
}

#[test]
fn bad_lesson_and_compare_parameters_are_named() {
    for (query, named) in [
        ("lesson=0", "lesson"),
        ("lesson=abc", "lesson"),
        ("lesson=100000", "lesson"),
        ("compare=maybe", "compare"),
        ("b-weight-scale=NaN", "b-weight-scale"),
        ("b-weight-scale=99", "b-weight-scale"),
        ("b-lr=x", "b-lr"),
        ("b-clip-mode=sideways", "b-clip-mode"),
        ("b-depth=3", "b-depth"),
        ("view=sideways", "view"),
        ("speed=11", "speed"),
        ("speed=-1", "speed"),
    ] {
        let opened = from_query(query, &defaults());
        assert!(
            opened.notices.iter().any(|n| n.contains(named)),
            "{query}: {:?}",
            opened.notices
        );
        if let Some(v) = &opened.page.compare {
            assert!(v.apply(&opened.params).check().is_ok());
        }
    }
    // A B setting equal to A's follows A.
    let same = from_query("compare=on&b-lr=0.03", &defaults());
    assert_eq!(same.page.compare, Some(Variant::default()));
}

/// Hostile or broken links: each gives a notice naming the parameter and a valid config.
#[test]
fn hostile_links_give_a_notice_and_a_valid_config() {
    let long = "9".repeat(5000);
    let many = (0..200)
        .map(|i| format!("depth={i}"))
        .collect::<Vec<_>>()
        .join("&");
    let cases: Vec<(String, &str)> = vec![
        ("depth=NaN".into(), "depth"),
        ("depth=1e999".into(), "depth"),
        ("depth=-4".into(), "depth"),
        ("width=3.7".into(), "width"),
        ("lr=abc".into(), "lr"),
        ("lr=0".into(), "lr"),
        ("weight-scale=inf".into(), "weight-scale"),
        ("clip=-1".into(), "clip"),
        (
            "activation=%3Cscript%3Ealert(1)%3C%2Fscript%3E".into(),
            "activation",
        ),
        ("dataset=mnist".into(), "dataset"),
        ("clip-mode=".into(), "clip-mode"),
        ("seed=-1".into(), "seed"),
        ("seed=12345678901234567890123".into(), "seed"),
        (format!("depth={long}"), "depth"),
        ("gpu=1".into(), "gpu"),
        (format!("{long}=1"), "99999"),
        (many, "64"),
        ("%FF%FE=%00".into(), "\u{fffd}"),
        ("hide=depth,self-destruct".into(), "self-destruct"),
    ];
    for (query, named) in cases {
        let Opened {
            config, notices, ..
        } = from_query(&query, &defaults());
        assert!(!notices.is_empty(), "no notice for {query:.60}");
        assert!(
            notices.iter().any(|n| n.contains(named)),
            "{query:.60}: {notices:?} should name {named:?}"
        );
        assert!(notices.iter().all(|n| n.len() < 240), "{notices:?}");
        // Whatever came in, the result checks as a valid configuration.
        assert_eq!(config.to_params().check().unwrap(), config);
    }
}

#[test]
fn good_parameters_survive_beside_bad_ones() {
    let opened = from_query("?depth=7&lr=oops&seed=9&zzz=1&hide=width", &defaults());
    assert_eq!((opened.params.depth, opened.params.seed), (7.0, 9));
    assert_eq!(opened.config.live.learning_rate, 0.03);
    assert_eq!(opened.notices.len(), 2);
    assert_eq!(opened.page.hidden, vec!["width"]);
}

/// Pascanu's cliff map in a link: open, its start, rate and threshold survive the round trip;
/// a start off the map moves to its edge, a rate out of range is clamped, and each says so.
#[test]
fn the_cliff_map_round_trips_and_bad_values_are_repaired() {
    use gradlab_engine::cliff::Point;
    use gradlab_protocol::link::CliffLink;
    let config = TrainParams::default().check().unwrap();
    let page = PageState {
        cliff: Some(CliffLink {
            from: Some(Point { w: 6.25, b: -3.5 }),
            learning_rate: 2.0,
            threshold: 0.25,
        }),
        hidden: vec!["cliff-lr"],
        ..PageState::default()
    };
    let query = to_query(&config, &page);
    assert!(
        query.contains("map=cliff&cliff-from=6.25%2C-3.5&cliff-lr=2&cliff-clip=0.25"),
        "{query}"
    );
    let back = from_query(&query, &defaults());
    assert!(back.notices.is_empty(), "{:?}", back.notices);
    assert_eq!(back.page, page);
    // Defaults are left out; without map=cliff the map stays closed.
    let plain = PageState {
        cliff: Some(CliffLink::default()),
        ..PageState::default()
    };
    assert!(to_query(&config, &plain).ends_with("map=cliff"));
    assert_eq!(from_query("cliff-lr=2", &defaults()).page.cliff, None);

    let bad = from_query(
        "map=cliff&cliff-from=50,-3&cliff-lr=1e9&cliff-clip=x",
        &defaults(),
    );
    let cliff = bad.page.cliff.unwrap();
    assert_eq!(cliff.from, Some(Point { w: 10.0, b: -3.0 }));
    assert_eq!(cliff.learning_rate, 10.0);
    assert_eq!(cliff.threshold, CliffLink::default().threshold);
    assert_eq!(bad.notices.len(), 3, "{:?}", bad.notices);
    let wrong_map = from_query("map=mystery", &defaults());
    assert_eq!(wrong_map.page.cliff, None);
    assert_eq!(wrong_map.notices.len(), 1);
}

/// The trainability map in a link: its axes and steps survive the round trip; a bad axis is
/// dropped with a notice and the model's default axis takes its place.
#[test]
fn the_phase_map_round_trips_and_bad_axes_fall_back() {
    use gradlab_engine::sweep::SweepAxis;
    use gradlab_protocol::link::PhaseLink;
    let config = TrainParams::default().check().unwrap();
    let page = PageState {
        phase: Some(PhaseLink {
            x: SweepAxis::parse("depth=2:40:5").unwrap(),
            y: SweepAxis::parse("weight-scale=0.5:2.5:6").unwrap(),
            steps: 80,
        }),
        ..PageState::default()
    };
    let query = to_query(&config, &page);
    assert!(
        query.contains("map=phase&phase-x=depth%3D2%3A40%3A5"),
        "{query}"
    );
    let back = from_query(&query, &defaults());
    assert!(back.notices.is_empty(), "{:?}", back.notices);
    assert_eq!(back.page, page);
    let bad = from_query("map=phase&phase-x=depth=0:5:3&phase-steps=0", &defaults());
    let defaults_map = PhaseLink::default_for(&TrainParams::default());
    assert_eq!(bad.page.phase, Some(defaults_map));
    assert_eq!(bad.notices.len(), 2, "{:?}", bad.notices);
    let rnn = from_query("model=rnn&map=phase", &defaults());
    assert_eq!(rnn.page.phase.unwrap().y.field, Field::RecurrentScale);
}

/// `engine=simd128` asks the page for the plain engine build (read where workers start); any
/// other value, or none, leaves the choice to the browser.
#[test]
fn only_engine_simd128_forces_the_plain_build() {
    use gradlab_protocol::link::forces_plain_engine;
    assert!(forces_plain_engine("?engine=simd128"));
    assert!(forces_plain_engine("depth=3&engine=%20simd128"));
    assert!(!forces_plain_engine("?engine=avx512"));
    assert!(!forces_plain_engine("?depth=3"));
    assert!(!forces_plain_engine(""));
}

/// `embed=1` alone shows the per-layer chart, the loss and the run buttons; the lists choose
/// others, each unknown name is a notice, and the lists mean nothing without `embed=1`.
#[test]
fn an_embed_link_names_its_charts_and_controls() {
    let plain = from_query("embed=1", &defaults());
    assert_eq!(plain.page.embed, Some(Embed::default()));
    assert!(plain.notices.is_empty());
    let chosen = from_query(
        "embed=1&embed-charts=history,graph,loss&embed-controls=run,lr-slider,learning-rate",
        &defaults(),
    );
    assert_eq!(
        chosen.page.embed,
        Some(Embed {
            charts: vec!["history", "loss"],
            controls: vec!["run", "learning-rate"],
        })
    );
    assert_eq!(chosen.notices.len(), 2, "{:?}", chosen.notices);
    assert!(
        chosen.notices[0].contains("no chart \"graph\""),
        "{:?}",
        chosen.notices
    );
    assert_eq!(
        from_query("embed-charts=loss", &defaults()).page.embed,
        None
    );
    assert_eq!(from_query("embed=yes", &defaults()).notices.len(), 1);
}
