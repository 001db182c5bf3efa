//! Run configuration: raw [`TrainParams`] (what sliders, URLs, flags and files give) are checked
//! into a [`TrainConfig`] the trainer can trust.
//!
//! Every bad field gets its own [`ConfigError`] with a message a student understands, and
//! [`TrainParams::repair`] also returns a safe value for it (clamped into range, or the default),
//! so a page can show the message and keep working.
//!
//! The config is split by what a change costs: [`NetConfig`] (depth, width, activation, init,
//! data, seed) builds the network; [`LiveConfig`] (batch, learning rate, clipping, L1/L2) applies
//! between two steps without rebuilding.

use super::activation::Activation;
use super::clip::{Clip, ClipMode};
use super::data::{DatasetKind, DATASET_SIZE};
use super::init::Init;
use super::loss::Penalty;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Unchecked settings, as a control, URL, flag or file gives them. Numbers are `f64` even where a
/// whole number is expected, so a slider or URL value reaches `check` as it came.
///
/// Read from a file (a lesson's `settings`), an unknown key is an error that names it, so a
/// misspelt setting is caught rather than silently left at its default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct TrainParams {
    /// Hidden layers.
    pub depth: f64,
    /// Units per hidden layer.
    pub width: f64,
    /// Hidden activation name.
    pub activation: String,
    /// σ of the initial weights.
    pub weight_scale: f64,
    /// σ_b of the initial biases.
    pub bias_scale: f64,
    /// Data set name.
    pub dataset: String,
    /// Mini-batch size.
    pub batch: f64,
    /// Learning rate η.
    #[serde(rename = "lr")]
    pub learning_rate: f64,
    /// Clip mode name.
    pub clip_mode: String,
    /// Clip threshold c.
    #[serde(rename = "clip")]
    pub clip_threshold: f64,
    /// L1 strength λ₁.
    pub l1: f64,
    /// L2 strength λ₂.
    pub l2: f64,
    /// Run seed.
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            depth: 10.0,
            width: 16.0,
            activation: "tanh".into(),
            weight_scale: 1.0,
            bias_scale: 0.0,
            dataset: "circle".into(),
            batch: 32.0,
            learning_rate: 0.03,
            clip_mode: "none".into(),
            clip_threshold: 1.0,
            l1: 0.0,
            l2: 0.0,
            seed: 1,
        }
    }
}

/// A setting that can be wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Depth,
    Width,
    Activation,
    WeightScale,
    BiasScale,
    Dataset,
    Batch,
    LearningRate,
    ClipMode,
    ClipThreshold,
    L1,
    L2,
}

impl Field {
    /// The key used in flags (`--key`), URLs and JSON.
    pub fn key(self) -> &'static str {
        match self {
            Self::Depth => "depth",
            Self::Width => "width",
            Self::Activation => "activation",
            Self::WeightScale => "weight-scale",
            Self::BiasScale => "bias-scale",
            Self::Dataset => "dataset",
            Self::Batch => "batch",
            Self::LearningRate => "lr",
            Self::ClipMode => "clip-mode",
            Self::ClipThreshold => "clip",
            Self::L1 => "l1",
            Self::L2 => "l2",
        }
    }

    /// The name a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Depth => "Depth (hidden layers)",
            Self::Width => "Width (units per layer)",
            Self::Activation => "Activation",
            Self::WeightScale => "Weight scale σ",
            Self::BiasScale => "Bias scale σ_b",
            Self::Dataset => "Data set",
            Self::Batch => "Batch size",
            Self::LearningRate => "Learning rate",
            Self::ClipMode => "Clip mode",
            Self::ClipThreshold => "Clip threshold",
            Self::L1 => "L1 strength",
            Self::L2 => "L2 strength",
        }
    }

    /// Allowed range of a numeric field, `(min, max, whole number?)`.
    pub fn range(self) -> Option<(f64, f64, bool)> {
        Some(match self {
            Self::Depth => (1.0, MAX_DEPTH as f64, true),
            Self::Width => (1.0, MAX_WIDTH as f64, true),
            Self::WeightScale => (0.0, 10.0, false),
            Self::BiasScale => (0.0, 5.0, false),
            Self::Batch => (1.0, DATASET_SIZE as f64, true),
            Self::LearningRate => (1e-6, 10.0, false),
            Self::ClipThreshold => (1e-4, 1e4, false),
            Self::L1 | Self::L2 => (0.0, 10.0, false),
            Self::Activation | Self::Dataset | Self::ClipMode => return None,
        })
    }
}

/// Most hidden layers a network may have.
pub const MAX_DEPTH: usize = 200;
/// Most units a hidden layer may have.
pub const MAX_WIDTH: usize = 512;

/// One bad setting.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigError {
    /// A number outside its allowed range.
    OutOfRange {
        field: Field,
        value: f64,
        min: f64,
        max: f64,
    },
    /// A fractional value where a whole number is needed.
    NotWhole { field: Field, value: f64 },
    /// NaN or ±Inf.
    NotFinite { field: Field, value: f64 },
    /// A name that is not one of the known ones.
    UnknownName {
        field: Field,
        given: String,
        expected: &'static [&'static str],
    },
}

impl ConfigError {
    /// The setting this error is about.
    pub fn field(&self) -> Field {
        match self {
            Self::OutOfRange { field, .. }
            | Self::NotWhole { field, .. }
            | Self::NotFinite { field, .. }
            | Self::UnknownName { field, .. } => *field,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.field().label();
        match self {
            Self::OutOfRange {
                value, min, max, ..
            } => write!(f, "{label} must be between {min} and {max} — got {value}."),
            Self::NotWhole { value, .. } => {
                write!(f, "{label} must be a whole number — got {value}.")
            }
            Self::NotFinite { value, .. } => write!(f, "{label} must be a number — got {value}."),
            Self::UnknownName {
                given, expected, ..
            } => {
                // Hostile input can be arbitrarily long; a message quotes only its start.
                let shown: String = given.chars().take(24).collect();
                let cut = if shown.len() < given.len() { "…" } else { "" };
                write!(
                    f,
                    "{label} must be one of {} — got \"{shown}{cut}\".",
                    expected.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// What builds the network: changing any of these starts a new run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// Hidden layers, 1..=[`MAX_DEPTH`].
    pub depth: usize,
    /// Units per hidden layer, 1..=[`MAX_WIDTH`].
    pub width: usize,
    /// Hidden activation.
    pub activation: Activation,
    /// Initial weight and bias scales.
    pub init: Init,
    /// The data set.
    pub dataset: DatasetKind,
    /// Seed of every random stream in the run.
    pub seed: u64,
}

/// What applies between two steps of a running network.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveConfig {
    /// Mini-batch size, 1..=[`DATASET_SIZE`].
    pub batch: usize,
    /// Learning rate η.
    pub learning_rate: f64,
    /// Gradient clipping.
    pub clip: Clip,
    /// L1/L2 on the weights.
    pub penalty: Penalty,
}

/// A checked configuration.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Settings that build the network.
    pub net: NetConfig,
    /// Settings that apply live.
    pub live: LiveConfig,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainParams::default()
            .check()
            .expect("the default parameters are valid")
    }
}

impl TrainParams {
    /// Checks every field; the first bad one is the error.
    pub fn check(&self) -> Result<TrainConfig, ConfigError> {
        let (config, mut errors) = self.repair();
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors.swap_remove(0))
        }
    }

    /// A valid configuration in every case, with one error per field that had to be changed:
    /// out-of-range numbers are clamped (fractions rounded), NaN and unknown names fall back to
    /// the default.
    pub fn repair(&self) -> (TrainConfig, Vec<ConfigError>) {
        let defaults = Self::default();
        let mut errors = Vec::new();
        let mut number = |field: Field, value: f64, default: f64| -> f64 {
            let (min, max, whole) = field.range().expect("numeric field");
            if !value.is_finite() {
                errors.push(ConfigError::NotFinite { field, value });
                return default;
            }
            if value < min || value > max {
                errors.push(ConfigError::OutOfRange {
                    field,
                    value,
                    min,
                    max,
                });
                return value.clamp(min, max).round_if(whole);
            }
            if whole && value.fract() != 0.0 {
                errors.push(ConfigError::NotWhole { field, value });
                return value.round();
            }
            value
        };
        let depth = number(Field::Depth, self.depth, defaults.depth) as usize;
        let width = number(Field::Width, self.width, defaults.width) as usize;
        let weight_scale = number(Field::WeightScale, self.weight_scale, defaults.weight_scale);
        let bias_scale = number(Field::BiasScale, self.bias_scale, defaults.bias_scale);
        let batch = number(Field::Batch, self.batch, defaults.batch) as usize;
        let learning_rate = number(
            Field::LearningRate,
            self.learning_rate,
            defaults.learning_rate,
        );
        let threshold = number(
            Field::ClipThreshold,
            self.clip_threshold,
            defaults.clip_threshold,
        );
        let l1 = number(Field::L1, self.l1, defaults.l1);
        let l2 = number(Field::L2, self.l2, defaults.l2);

        let mut name = |field: Field, given: &str, expected: &'static [&'static str]| {
            if !expected
                .iter()
                .any(|n| n.eq_ignore_ascii_case(given.trim()))
            {
                errors.push(ConfigError::UnknownName {
                    field,
                    given: given.to_string(),
                    expected,
                });
            }
        };
        name(Field::Activation, &self.activation, Activation::NAMES);
        name(Field::Dataset, &self.dataset, DatasetKind::NAMES);
        name(Field::ClipMode, &self.clip_mode, ClipMode::NAMES);
        let activation = Activation::from_name(&self.activation).unwrap_or(Activation::Tanh);
        let dataset = DatasetKind::from_name(&self.dataset).unwrap_or(DatasetKind::Circle);
        let mode = ClipMode::from_name(&self.clip_mode).unwrap_or(ClipMode::None);

        let config = TrainConfig {
            net: NetConfig {
                depth,
                width,
                activation,
                init: Init {
                    weight_scale,
                    bias_scale,
                },
                dataset,
                seed: self.seed,
            },
            live: LiveConfig {
                batch,
                learning_rate,
                clip: Clip { mode, threshold },
                penalty: Penalty { l1, l2 },
            },
        };
        (config, errors)
    }
}

impl TrainConfig {
    /// Checks a configuration that did not come from [`TrainParams::check`] — one that crossed
    /// the worker boundary as bytes, say: it must be exactly what checking its own parameters
    /// gives, so a deserialised config can never carry a value a slider could not set.
    ///
    /// Every field of a config is one field of [`TrainParams`], and `check` changes none that it
    /// accepts, so passing `check` means the config is one `check` could have produced.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.to_params().check().map(|_| ())
    }

    /// The raw parameters that check into this configuration.
    pub fn to_params(&self) -> TrainParams {
        let (net, live) = (&self.net, &self.live);
        TrainParams {
            depth: net.depth as f64,
            width: net.width as f64,
            activation: net.activation.name().into(),
            weight_scale: net.init.weight_scale,
            bias_scale: net.init.bias_scale,
            dataset: net.dataset.name().into(),
            batch: live.batch as f64,
            learning_rate: live.learning_rate,
            clip_mode: live.clip.mode.name().into(),
            clip_threshold: live.clip.threshold,
            l1: live.penalty.l1,
            l2: live.penalty.l2,
            seed: net.seed,
        }
    }
}

trait RoundIf {
    fn round_if(self, whole: bool) -> Self;
}

impl RoundIf for f64 {
    fn round_if(self, whole: bool) -> Self {
        if whole {
            self.round()
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(edit: impl FnOnce(&mut TrainParams)) -> TrainParams {
        let mut p = TrainParams::default();
        edit(&mut p);
        p
    }

    #[test]
    fn defaults_check_and_round_trip() {
        let config = TrainParams::default().check().unwrap();
        assert_eq!(config.to_params(), TrainParams::default());
        assert_eq!(config.to_params().check().unwrap(), config);
    }

    /// One row per validation rule: the bad input, the error it must give, the safe value.
    #[test]
    fn every_validation_error() {
        type Case = (TrainParams, ConfigError, fn(&TrainConfig) -> bool);
        let cases: Vec<Case> = vec![
            (
                with(|p| p.depth = 500.0),
                ConfigError::OutOfRange {
                    field: Field::Depth,
                    value: 500.0,
                    min: 1.0,
                    max: 200.0,
                },
                |c| c.net.depth == 200,
            ),
            (
                with(|p| p.depth = 0.0),
                ConfigError::OutOfRange {
                    field: Field::Depth,
                    value: 0.0,
                    min: 1.0,
                    max: 200.0,
                },
                |c| c.net.depth == 1,
            ),
            (
                with(|p| p.width = 3.5),
                ConfigError::NotWhole {
                    field: Field::Width,
                    value: 3.5,
                },
                |c| c.net.width == 4,
            ),
            (
                with(|p| p.width = 1000.0),
                ConfigError::OutOfRange {
                    field: Field::Width,
                    value: 1000.0,
                    min: 1.0,
                    max: 512.0,
                },
                |c| c.net.width == 512,
            ),
            (
                with(|p| p.weight_scale = f64::NAN),
                ConfigError::NotFinite {
                    field: Field::WeightScale,
                    value: f64::NAN,
                },
                |c| c.net.init.weight_scale == 1.0,
            ),
            (
                with(|p| p.weight_scale = -1.0),
                ConfigError::OutOfRange {
                    field: Field::WeightScale,
                    value: -1.0,
                    min: 0.0,
                    max: 10.0,
                },
                |c| c.net.init.weight_scale == 0.0,
            ),
            (
                with(|p| p.bias_scale = f64::INFINITY),
                ConfigError::NotFinite {
                    field: Field::BiasScale,
                    value: f64::INFINITY,
                },
                |c| c.net.init.bias_scale == 0.0,
            ),
            (
                with(|p| p.batch = 0.0),
                ConfigError::OutOfRange {
                    field: Field::Batch,
                    value: 0.0,
                    min: 1.0,
                    max: 512.0,
                },
                |c| c.live.batch == 1,
            ),
            (
                with(|p| p.learning_rate = 0.0),
                ConfigError::OutOfRange {
                    field: Field::LearningRate,
                    value: 0.0,
                    min: 1e-6,
                    max: 10.0,
                },
                |c| c.live.learning_rate == 1e-6,
            ),
            (
                with(|p| p.clip_threshold = -2.0),
                ConfigError::OutOfRange {
                    field: Field::ClipThreshold,
                    value: -2.0,
                    min: 1e-4,
                    max: 1e4,
                },
                |c| c.live.clip.threshold == 1e-4,
            ),
            (
                with(|p| p.l1 = f64::NEG_INFINITY),
                ConfigError::NotFinite {
                    field: Field::L1,
                    value: f64::NEG_INFINITY,
                },
                |c| c.live.penalty.l1 == 0.0,
            ),
            (
                with(|p| p.l2 = 11.0),
                ConfigError::OutOfRange {
                    field: Field::L2,
                    value: 11.0,
                    min: 0.0,
                    max: 10.0,
                },
                |c| c.live.penalty.l2 == 10.0,
            ),
            (
                with(|p| p.activation = "gelu".into()),
                ConfigError::UnknownName {
                    field: Field::Activation,
                    given: "gelu".into(),
                    expected: Activation::NAMES,
                },
                |c| c.net.activation == Activation::Tanh,
            ),
            (
                with(|p| p.dataset = "mnist".into()),
                ConfigError::UnknownName {
                    field: Field::Dataset,
                    given: "mnist".into(),
                    expected: DatasetKind::NAMES,
                },
                |c| c.net.dataset == DatasetKind::Circle,
            ),
            (
                with(|p| p.clip_mode = "norm".into()),
                ConfigError::UnknownName {
                    field: Field::ClipMode,
                    given: "norm".into(),
                    expected: ClipMode::NAMES,
                },
                |c| c.live.clip.mode == ClipMode::None,
            ),
        ];
        for (params, expected, safe) in cases {
            let (config, errors) = params.repair();
            assert_eq!(errors.len(), 1, "{params:?}");
            // NaN != NaN, so compare NotFinite through its message.
            assert_eq!(errors[0].to_string(), expected.to_string());
            assert_eq!(errors[0].field(), expected.field());
            assert!(safe(&config), "unsafe repair for {expected}");
            assert!(params.check().is_err());
        }
    }

    #[test]
    fn messages_read_well_and_stay_short() {
        let e = with(|p| p.depth = 500.0).check().unwrap_err();
        assert_eq!(
            e.to_string(),
            "Depth (hidden layers) must be between 1 and 200 — got 500."
        );
        let e = with(|p| p.activation = "x".repeat(10_000))
            .check()
            .unwrap_err();
        let message = e.to_string();
        assert!(message.len() < 150, "{message}");
        assert!(message.starts_with("Activation must be one of linear, tanh, relu, sigmoid"));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let p = with(|p| {
            p.depth = f64::NAN;
            p.learning_rate = 100.0;
            p.dataset = "?".into();
        });
        let (_, errors) = p.repair();
        let fields: Vec<Field> = errors.iter().map(ConfigError::field).collect();
        assert_eq!(
            fields,
            vec![Field::Depth, Field::LearningRate, Field::Dataset]
        );
    }

    /// A configuration decoded from bytes is checked like a slider value.
    #[test]
    fn validate_refuses_what_check_would_refuse() {
        let good = TrainParams::default().check().unwrap();
        assert_eq!(good.validate(), Ok(()));
        let mut deep = good;
        deep.net.depth = 100_000;
        assert_eq!(deep.validate().unwrap_err().field(), Field::Depth);
        let mut wild = good;
        wild.live.learning_rate = f64::NAN;
        assert_eq!(wild.validate().unwrap_err().field(), Field::LearningRate);
        let mut empty = good;
        empty.live.batch = 0;
        assert_eq!(empty.validate().unwrap_err().field(), Field::Batch);
        let mut negative = good;
        negative.live.clip.threshold = -1.0;
        assert_eq!(
            negative.validate().unwrap_err().field(),
            Field::ClipThreshold
        );
    }

    #[test]
    fn unknown_keys_in_a_file_are_refused_by_name() {
        let e = serde_json::from_str::<TrainParams>(r#"{"depth": 3, "wieght-scale": 3}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("wieght-scale"), "{e}");
        let p: TrainParams = serde_json::from_str(r#"{"depth": 3}"#).unwrap();
        assert_eq!(p.depth, 3.0);
    }

    #[test]
    fn names_are_case_insensitive() {
        let c = with(|p| {
            p.activation = "ReLU".into();
            p.clip_mode = "Global-Norm".into();
        })
        .check()
        .unwrap();
        assert_eq!(c.net.activation, Activation::Relu);
        assert_eq!(c.live.clip.mode, ClipMode::GlobalNorm);
    }
}
