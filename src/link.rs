//! Links that reproduce a run: every control and the seed in the page's query string.
//!
//! `?depth=30&activation=tanh&weight-scale=2.5&lr=0.1&clip-mode=global-norm&clip=1&seed=7`
//! Keys are the flag names of the headless runner ([`Field::key`], plus `seed`). Reading a link
//! never fails: unknown, malformed, absurdly long or out-of-range parameters are dropped or
//! clamped, each with a notice that names it, and the rest of the link still applies.
//! `hide=depth,width` is teacher mode: those controls are not shown (as TensorFlow Playground
//! does), so a class sees only what the lesson needs.

use crate::engine::{ConfigError, Field, TrainConfig, TrainParams};

/// Longest value read from a link; anything longer is hostile or broken.
const MAX_VALUE: usize = 64;
/// Most parameters read from one link.
const MAX_PARAMS: usize = 64;

/// Controls a teacher can hide with `hide=` (teacher mode), by their element ids.
pub const HIDEABLE: [&str; 13] = [
    "depth",
    "width",
    "activation",
    "weight-scale",
    "dataset",
    "seed",
    "learning-rate",
    "batch",
    "clip-mode",
    "clip-threshold",
    "l2",
    "speed",
    "copy-link",
];

/// What a link asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened {
    /// The settings, on top of the defaults, after correction.
    pub params: TrainParams,
    /// The valid configuration they make.
    pub config: TrainConfig,
    /// Controls to hide (teacher mode), from [`HIDEABLE`].
    pub hidden: Vec<&'static str>,
    /// One notice per parameter that had to be dropped or corrected.
    pub notices: Vec<String>,
}

/// The query string (without `?`) that reproduces `config`, hiding `hidden`.
pub fn to_query(config: &TrainConfig, hidden: &[&str]) -> String {
    let p = config.to_params();
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("depth", p.depth.to_string()),
        ("width", p.width.to_string()),
        ("activation", p.activation),
        ("weight-scale", p.weight_scale.to_string()),
        ("bias-scale", p.bias_scale.to_string()),
        ("dataset", p.dataset),
        ("batch", p.batch.to_string()),
        ("lr", p.learning_rate.to_string()),
        ("clip-mode", p.clip_mode),
        ("clip", p.clip_threshold.to_string()),
        ("l1", p.l1.to_string()),
        ("l2", p.l2.to_string()),
        ("seed", p.seed.to_string()),
    ] {
        out.append_pair(key, &value);
    }
    if !hidden.is_empty() {
        out.append_pair("hide", &hidden.join(","));
    }
    out.finish()
}

/// Reads a query string (with or without `?`) on top of `defaults`.
pub fn from_query(query: &str, defaults: &TrainParams) -> Opened {
    let mut params = defaults.clone();
    let mut notices = Vec::new();
    let mut hidden = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    for (i, (key, value)) in form_urlencoded::parse(query.as_bytes()).enumerate() {
        if i == MAX_PARAMS {
            notices.push(format!(
                "The link has more than {MAX_PARAMS} parameters; the rest were ignored."
            ));
            break;
        }
        let key_shown: String = key.chars().take(24).collect();
        if value.chars().count() > MAX_VALUE {
            notices.push(format!(
                "Ignored the link's \"{key_shown}\": its value is too long."
            ));
            continue;
        }
        if key == "hide" {
            for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match HIDEABLE.iter().find(|h| **h == name) {
                    Some(h) if !hidden.contains(h) => hidden.push(*h),
                    Some(_) => {}
                    None => notices.push(format!(
                        "The link's \"hide\" names no control \"{}\"; the hideable ones are {}.",
                        name.chars().take(24).collect::<String>(),
                        HIDEABLE.join(", ")
                    )),
                }
            }
            continue;
        }
        if let Err(message) = apply(&mut params, &key, &value) {
            notices.push(message);
        }
    }
    let (config, errors) = params.repair();
    notices.extend(
        errors
            .iter()
            .map(|e| format!("From the link: {}", describe(e))),
    );
    Opened {
        params: config.to_params(),
        config,
        hidden,
        notices,
    }
}

fn describe(e: &ConfigError) -> String {
    format!("{e} (parameter \"{}\")", e.field().key())
}

/// Sets one parameter; unknown keys and unreadable numbers are refused with a message.
fn apply(params: &mut TrainParams, key: &str, value: &str) -> Result<(), String> {
    let number = |field: Option<Field>| -> Result<f64, String> {
        value.trim().parse::<f64>().map_err(|_| {
            let label = field.map_or("Seed", Field::label);
            format!("Ignored the link's \"{key}\": {label} must be a number, not \"{value}\".")
        })
    };
    match key {
        "depth" => params.depth = number(Some(Field::Depth))?,
        "width" => params.width = number(Some(Field::Width))?,
        "weight-scale" => params.weight_scale = number(Some(Field::WeightScale))?,
        "bias-scale" => params.bias_scale = number(Some(Field::BiasScale))?,
        "batch" => params.batch = number(Some(Field::Batch))?,
        "lr" => params.learning_rate = number(Some(Field::LearningRate))?,
        "clip" => params.clip_threshold = number(Some(Field::ClipThreshold))?,
        "l1" => params.l1 = number(Some(Field::L1))?,
        "l2" => params.l2 = number(Some(Field::L2))?,
        "activation" => params.activation = value.to_string(),
        "dataset" => params.dataset = value.to_string(),
        "clip-mode" => params.clip_mode = value.to_string(),
        "seed" => {
            params.seed = value.trim().parse::<u64>().map_err(|_| {
                format!("Ignored the link's \"seed\": it must be a whole number from 0 up, not \"{value}\".")
            })?
        }
        _ => {
            let shown: String = key.chars().take(24).collect();
            return Err(format!("Ignored the link's unknown parameter \"{shown}\"."));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            },
            TrainParams {
                activation: "sigmoid".into(),
                dataset: "sine".into(),
                clip_mode: "value".into(),
                weight_scale: 0.0,
                ..TrainParams::default()
            },
        ];
        for params in cases {
            let config = params.check().unwrap();
            let query = to_query(&config, &["depth", "seed"]);
            let back = from_query(&query, &defaults());
            assert!(back.notices.is_empty(), "{:?}", back.notices);
            assert_eq!(back.config, config);
            assert_eq!(back.params, params);
            assert_eq!(back.hidden, vec!["depth", "seed"]);
        }
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
        assert_eq!(opened.hidden, vec!["width"]);
    }
}
