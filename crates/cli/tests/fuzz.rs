//! Hostile input at scale: property tests (proptest) over everything that reads input from
//! outside — raw settings, links, lesson files, the worker's message bytes — and the headless
//! runner's flags. Properties: nothing panics; every refusal names its setting; a repaired
//! value is always in range; encode → decode is the identity; any repaired setting trains.
//! 10⁵ cases per in-process target (README, "Testing", gives the time); the trainer target,
//! a network built and stepped per case, gets 5000; the runner, a process per case, gets 300.

use gradlab_engine::settings::Value;
use gradlab_engine::settings::{Kind, SETTINGS};
use gradlab_engine::{Field, TrainConfig, TrainParams, Trainer};
use gradlab_protocol::link::from_query;
use gradlab_protocol::{decode, encode, Command, ExportFormat};
use proptest::prelude::*;
use std::process::Command as Process;

const CASES: u32 = 100_000;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every name any choice accepts, and some near misses.
fn names() -> Vec<String> {
    let mut all: Vec<String> = SETTINGS
        .iter()
        .filter_map(|s| match s.kind {
            Kind::Choice { names, .. } => Some(names.iter().map(|n| n.to_string())),
            _ => None,
        })
        .flatten()
        .collect();
    all.extend(["TANH", " relu ", "", "__proto__", "constructor", "NaN"].map(String::from));
    all
}

/// Numbers of every kind: ordinary, huge, tiny, whole, negative, NaN, ±∞.
fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        -1e3..1e3f64,
        (0u32..1000).prop_map(f64::from),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![prop::sample::select(names()), any::<String>()]
}

/// Raw settings: every field a number or name of any kind.
fn raw_params() -> impl Strategy<Value = TrainParams> {
    let values = prop::collection::vec((number(), name(), any::<u64>()), SETTINGS.len());
    values.prop_map(|values| {
        let mut params = TrainParams::default();
        for (setting, (n, s, seed)) in SETTINGS.iter().zip(values) {
            let value = match setting.kind {
                Kind::Number { .. } => Value::Number(n),
                Kind::Choice { .. } => Value::Name(s),
                Kind::Seed { .. } => Value::Seed(seed),
            };
            params.set(setting.field, value);
        }
        params
    })
}

/// A configuration is valid exactly when its parameters pass the checks again, every number in
/// its setting's range.
fn assert_in_range(config: &TrainConfig) {
    let params = config.to_params();
    assert_eq!(params.check().as_ref().map(|_| ()), Ok(()), "{params:?}");
    for setting in &SETTINGS {
        if let (
            Kind::Number {
                min, max, whole, ..
            },
            Value::Number(v),
        ) = (setting.kind, params.value(setting.field))
        {
            assert!((min..=max).contains(&v), "{}: {v}", setting.key);
            assert!(!whole || v.fract() == 0.0, "{}: {v}", setting.key);
        }
    }
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Raw settings: `check` refuses with an error naming a setting, or accepts; `repair`
    /// always gives a valid configuration and one notice per setting it changed.
    #[test]
    fn raw_settings_are_checked_or_repaired(params in raw_params()) {
        if let Err(e) = params.check() {
            let text = e.to_string();
            prop_assert!(text.contains(e.field().label()), "{text}");
        }
        let (config, errors) = params.repair();
        assert_in_range(&config);
        for e in &errors {
            prop_assert!(e.to_string().contains(e.field().label()));
        }
        let fields: Vec<Field> = errors.iter().map(|e| e.field()).collect();
        let mut unique = fields.clone();
        unique.dedup();
        prop_assert_eq!(fields.len(), unique.len(), "one notice per setting");
    }

    /// Links: any query string (keys real and made up, repeated, `__proto__`, long values,
    /// percent-escapes of invalid UTF-8) opens a valid configuration; every notice quotes the
    /// parameter it is about.
    #[test]
    fn any_link_opens_a_valid_run(
        pairs in prop::collection::vec(
            (
                prop_oneof![
                    prop::sample::select(
                        SETTINGS.iter().map(|s| s.key.to_string())
                            .chain(["hide", "lesson", "view", "speed", "compare", "b-clip", "__proto__", "constructor"].map(String::from))
                            .collect::<Vec<_>>()
                    ),
                    "[a-z_-]{0,12}",
                ],
                prop_oneof![name(), number().prop_map(|n| n.to_string()), "%[0-9A-F]{2}%[0-9A-F]{2}", "[ -~]{0,600}"],
            ),
            0..40,
        ),
        raw in prop::option::of(any::<Vec<u8>>()),
    ) {
        let query: String = match raw {
            // Bytes as they might arrive, lossily decoded as the browser does.
            Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            None => pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"),
        };
        let opened = from_query(&query, &TrainParams::default());
        assert_in_range(&opened.config);
        prop_assert_eq!(opened.params.check().ok(), Some(opened.config));
        for notice in &opened.notices {
            prop_assert!(notice.contains('"') || notice.contains("parameters"), "{notice}");
        }
    }

    /// Lesson files: arbitrary JSON, and arbitrary text, are read or refused with a message —
    /// never a panic.
    #[test]
    fn any_lesson_file_is_read_or_refused(json in arbitrary_json(), text in any::<String>()) {
        for input in [json.to_string(), serde_json::json!({"lessons": [json]}).to_string(), text] {
            if let Err(e) = gradlab_protocol::lesson::parse(&input) {
                prop_assert!(e.to_string().starts_with("the lesson file"), "{e}");
            }
        }
    }

    /// Message bytes: any bytes decode to a command or to an error, never a panic.
    #[test]
    fn any_bytes_decode_or_fail(bytes in any::<Vec<u8>>()) {
        let _ = decode::<Command>(&bytes);
        let _ = decode::<gradlab_protocol::Event>(&bytes);
    }

    /// Encoding then decoding a command gives it back (configurations from repaired raw
    /// settings; numbers of every kind, NaN included, in `Train`).
    #[test]
    fn commands_round_trip(
        params in prop::collection::vec(raw_params(), 1..3),
        max_steps in any::<u32>(),
        budget_ms in number(),
        peak_stride in any::<u64>(),
        json in any::<bool>(),
    ) {
        let configs: Vec<TrainConfig> = params.iter().map(|p| p.repair().0).collect();
        let format = if json { ExportFormat::Json } else { ExportFormat::Csv };
        for command in [
            Command::Configure(configs.clone()),
            Command::Train { max_steps, budget_ms, peak_stride },
            Command::Export(format),
            Command::Reset,
        ] {
            let back: Command = decode(&encode(&command).unwrap()).unwrap();
            match (&command, &back) {
                // NaN ≠ NaN: compare the bits.
                (Command::Train { budget_ms: a, .. }, Command::Train { budget_ms: b, .. }) => {
                    prop_assert_eq!(a.to_bits(), b.to_bits());
                }
                _ => prop_assert_eq!(&back, &command),
            }
        }
    }
}

/// JSON values of any shape, biased toward lesson-like objects.
fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value as Json};
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        number().prop_map(|n| serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)),
        name().prop_map(Json::from),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        let keys = prop_oneof![
            prop::sample::select(
                [
                    "title",
                    "text",
                    "question",
                    "prompt",
                    "choices",
                    "answer",
                    "why",
                    "settings",
                    "compare",
                    "speed",
                    "view",
                    "look-for",
                    "target",
                    "note",
                    "lessons",
                    "weight-scale",
                    "depth",
                    "wieght-scale",
                    "__proto__"
                ]
                .map(String::from)
                .to_vec()
            ),
            "[a-z-]{1,10}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::btree_map(keys, inner, 0..8)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
    .prop_map(|v| {
        if v.is_object() {
            v
        } else {
            json!({ "value": v })
        }
    })
}

proptest! {
    #![proptest_config(config(5000))]

    /// The trainer: every setting at any repaired value — every optimizer with any of its
    /// hyperparameters, clip mode, task and init — with the network shrunk so a case is quick,
    /// takes steps without a panic, for both models (divergence is an outcome it reports).
    #[test]
    fn any_repaired_setting_trains(mut params in raw_params(), rnn in any::<bool>()) {
        params.model = if rnn { "rnn" } else { "mlp" }.into();
        let mut small = params.repair().0.to_params();
        small.depth = small.depth.min(3.0);
        small.width = small.width.min(6.0);
        small.seq_len = small.seq_len.min(6.0);
        small.hidden = small.hidden.min(5.0);
        small.bptt = small.bptt.min(6.0);
        small.batch = small.batch.min(4.0);
        let mut trainer = Trainer::new(small.check().expect("shrunk within range"));
        for _ in 0..3 {
            if trainer.step().is_err() {
                break;
            }
        }
    }
}

/// The headless runner: any flags and values either run (exit 0, every stdout line JSON) or are
/// refused (exit 2, one line on stderr naming the flag) — never a panic.
#[test]
fn the_runner_runs_or_refuses_any_flags() {
    // Cargo builds the runner for this crate's integration tests.
    let runner = env!("CARGO_BIN_EXE_gradlab-cli");
    let flags: Vec<String> = SETTINGS
        .iter()
        .map(|s| format!("--{}", s.key))
        .chain(["--steps", "--dump-step0", "--bogus", "-x", "--"].map(String::from))
        .collect();
    let strategy = prop::collection::vec(
        (
            prop::sample::select(flags),
            prop_oneof![
                name(),
                number().prop_map(|n| n.to_string()),
                Just("3".to_string())
            ],
        ),
        0..6,
    );
    let mut runner_cases = proptest::test_runner::TestRunner::new(config(300));
    runner_cases
        .run(&strategy, |args| {
            let mut command = Process::new(runner);
            for (flag, value) in &args {
                // Keep runs short, and never write a dump anywhere but a scratch file.
                let value = match flag.as_str() {
                    "--steps" => value
                        .parse::<f64>()
                        .map_or(value.clone(), |n| (n.abs() % 4.0).floor().to_string()),
                    "--dump-step0" => std::env::temp_dir()
                        .join("gradlab-fuzz-dump.json")
                        .display()
                        .to_string(),
                    "--seq-len" | "--depth" | "--width" | "--hidden" | "--batch" => value
                        .parse::<f64>()
                        .map_or(value.clone(), |n| (n % 40.0).to_string()),
                    _ => value.clone(),
                };
                command.arg(flag).arg(value);
            }
            if !args.iter().any(|(f, _)| f == "--steps") {
                command.args(["--steps", "2"]);
            }
            let out = command.output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(0) => {
                    for line in stdout.lines() {
                        prop_assert!(
                            serde_json::from_str::<serde_json::Value>(line).is_ok(),
                            "{line}"
                        );
                    }
                }
                Some(2) => {
                    prop_assert!(stdout.is_empty());
                    let line = stderr.trim_end();
                    prop_assert!(
                        !line.contains('\n') && line.starts_with("headless: error: "),
                        "{stderr}"
                    );
                    // It names what it refused: a flag, or the argument it did not expect.
                    let named = args.iter().any(|(flag, value)| {
                        line.contains(flag.trim_start_matches('-')) || line.contains(value.trim())
                    });
                    prop_assert!(named, "names the flag: {line} for {args:?}");
                }
                other => prop_assert!(false, "exit {other:?} for {args:?}: {stderr}"),
            }
            Ok(())
        })
        .unwrap();
}

/// Texts a reader might paste or drop: mostly letters and punctuation, with capitals, digits,
/// other scripts, quotes, line breaks, controls and the replacement character a browser
/// decodes broken bytes to, up to a few thousand characters (both sides of the 1000-symbol
/// floor; a control character in about one piece of 160, so most texts pass and some read as
/// binary).
fn texts() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        80 => "[a-z]{1,8}",
        30 => "[A-Z][a-z]{0,6}",
        30 => prop::sample::select(vec![" ", " ", ", ", ". ", "; ", ": ", "? ", "! ", " - ", "\n", "\r\n", "\t", "  "]).prop_map(String::from),
        10 => "[0-9]{1,4}",
        10 => prop::sample::select(vec!["é", "ß", "“", "”", "—", "日本", "🙂", "'", "\"", "(", ")"]).prop_map(String::from),
        1 => prop::sample::select(vec!["\u{0}", "\u{FFFD}", "\u{7}", "\u{c}"]).prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..1200).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(config(3000))]

    /// The own-text parser: never panics; a taken text folds to the alphabet with single spaces,
    /// none before `,` or `.` and none at either end; folding it again changes nothing; the
    /// report adds up; a refusal says why in words.
    #[test]
    fn own_texts_fold_or_are_refused(text in texts()) {
        use gradlab_engine::language::{fold, symbol_of, Corpus, MIN_TEXT_SYMBOLS};
        match Corpus::from_text(&text) {
            Ok((corpus, report)) => {
                let (folded, _) = fold(&text);
                prop_assert!(folded.chars().all(|c| symbol_of(c).is_some()));
                prop_assert!(!folded.contains("  ") && !folded.contains(" ,") && !folded.contains(" ."));
                prop_assert!(!folded.starts_with(' ') && !folded.ends_with(' '));
                let (again, twice) = fold(&folded);
                prop_assert_eq!(&again, &folded);
                prop_assert_eq!((twice.changed, twice.dropped), (0, 0));
                prop_assert_eq!(report.kept, corpus.symbols().len());
                prop_assert!(report.kept >= MIN_TEXT_SYMBOLS);
                prop_assert_eq!(report.read, text.chars().count());
                prop_assert!(report.kept + report.dropped <= report.read);
                prop_assert!(report.unigram_entropy > 0.0 && report.unigram_entropy <= (29f64).ln() + 1e-12);
            }
            Err(e) => prop_assert!(e.to_string().len() > 10, "{e}"),
        }
    }
}

/// CSV texts a reader might paste or drop: rows of a label, a value and sometimes a third
/// cell, between `,`, `;` or tabs, with or without a header row. Values are mostly ordinary
/// numbers; about one in 40 is a blank, text, NaN, inf, an overflow or a huge number, and labels
/// and third cells are anything — so both readings and refusals of every kind come up.
fn csv_texts() -> impl Strategy<Value = (String, Option<usize>)> {
    let bad = prop_oneof![
        "[a-z]{1,6}",
        prop::sample::select(vec![
            "", " ", "NaN", "inf", "-inf", "\"1,5\"", "1e400", "0x10", "--1"
        ])
        .prop_map(String::from),
        any::<f64>().prop_map(|v| format!("{v}")),
    ];
    let value = prop_oneof![
        40 => (-1e4f64..1e4).prop_map(|v| format!("{v:.3}")),
        1 => bad.clone(),
    ];
    let other = prop_oneof![
        3 => "[a-z]{1,6}",
        2 => (-1e3f64..1e3).prop_map(|v| format!("{v:e}")),
        1 => bad,
    ];
    let delimiter = prop::sample::select(vec![",", ";", "\t"]);
    let row = (other.clone(), value, prop::option::of(other));
    (
        delimiter,
        any::<bool>(),
        prop::collection::vec(row, 0..60),
        prop::option::of(1usize..5),
    )
        .prop_map(|(d, header, rows, column)| {
            let mut text = if header {
                format!("when{d}value{d}other\n")
            } else {
                String::new()
            };
            for (label, value, extra) in rows {
                text.push_str(&label);
                text.push_str(d);
                text.push_str(&value);
                if let Some(extra) = extra {
                    text.push_str(d);
                    text.push_str(&extra);
                }
                text.push('\n');
            }
            (text, column)
        })
}

proptest! {
    #![proptest_config(config(3000))]

    /// The own-series parser: never panics; a taken series has at least 20 values, all finite,
    /// normalised to mean 0 and standard deviation 1, from a column that exists; a refusal
    /// says why in words.
    #[test]
    fn own_series_are_read_or_refused((text, column) in csv_texts()) {
        use gradlab_engine::own_series::{OwnSeries, MIN_SERIES_VALUES};
        match OwnSeries::from_csv(&text, column) {
            Ok((series, report)) => {
                let v = series.values();
                prop_assert!(v.len() >= MIN_SERIES_VALUES && v.len() == report.values);
                prop_assert!(v.iter().all(|x| x.is_finite()));
                let n = v.len() as f64;
                let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
                let var = v.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n;
                prop_assert!(mean.abs() < 1e-3, "mean {}", mean);
                prop_assert!((var - 1.0).abs() < 1e-3, "variance {}", var);
                prop_assert!(column.is_none_or(|c| c == report.column));
                prop_assert!(report.std > 0.0 && report.range.0 <= report.range.1);
            }
            Err(e) => prop_assert!(e.to_string().len() > 10, "{e}"),
        }
    }
}

/// Point CSVs a reader might paste or drop: rows of x, y and a label, with or without a header,
/// up to past the 512-point limit — half of them clean (two labels, numbers), half with a bad
/// coordinate, a short row or a third label here and there.
fn point_texts() -> impl Strategy<Value = String> {
    let good = (-1e3f64..1e3).prop_map(|v| format!("{v:.2}"));
    let clean_row = (
        good.clone(),
        good.clone(),
        prop::sample::select(vec!["0", "1"]),
    )
        .prop_map(|(x, y, l)| format!("{x},{y},{l}"));
    let coordinate = prop_oneof![
        30 => good,
        1 => prop::sample::select(vec!["", "x", "NaN", "inf", "1e400"]).prop_map(String::from),
    ];
    let label = prop_oneof![
        30 => prop::sample::select(vec!["0", "1"]).prop_map(String::from),
        1 => prop::sample::select(vec!["2", "cat", " 1 "]).prop_map(String::from),
    ];
    let noisy_row = prop_oneof![
        60 => (coordinate.clone(), coordinate, label).prop_map(|(x, y, l)| format!("{x},{y},{l}")),
        1 => "[0-9]{1,3}".prop_map(|v| format!("{v},{v}")),
    ];
    let rows = prop_oneof![
        prop::collection::vec(clean_row, 0..600),
        prop::collection::vec(noisy_row, 0..100),
    ];
    (any::<bool>(), rows).prop_map(|(header, rows)| {
        let head = if header { "x,y,label\n" } else { "" };
        format!("{head}{}\n", rows.join("\n"))
    })
}

proptest! {
    #![proptest_config(config(2000))]

    /// The own-points parser: never panics; taken points number 8 to 512, lie in [−1, 1] with
    /// targets ±1 (both present); a refusal says why in words.
    #[test]
    fn own_points_are_read_or_refused(text in point_texts()) {
        use gradlab_engine::data::DATASET_SIZE;
        use gradlab_engine::own_points::{points_from_csv, MIN_POINTS};
        match points_from_csv(&text) {
            Ok((data, report)) => {
                prop_assert!((MIN_POINTS..=DATASET_SIZE).contains(&data.len()));
                prop_assert_eq!(data.len(), report.points);
                prop_assert!(data.x.iter().all(|v| (-1.0..=1.0).contains(v)));
                prop_assert!(data.y.iter().all(|&v| v == 1.0 || v == -1.0));
                prop_assert_eq!(report.positive.1 + report.negative.1, report.points);
                prop_assert!(report.positive.1 > 0 && report.negative.1 > 0);
            }
            Err(e) => prop_assert!(e.to_string().len() > 10, "{e}"),
        }
    }
}
