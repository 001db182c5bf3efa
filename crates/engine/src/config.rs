//! Run configuration: raw [`TrainParams`] (what sliders, URLs, flags and files give) are checked
//! into a [`TrainConfig`] the trainer can trust.
//!
//! The checks read the settings table ([`SETTINGS`]): every bad field
//! gets its own [`ConfigError`] with a message a student understands, and
//! [`TrainParams::repair`] also returns a safe value for it (clamped into range, or the
//! default), so a page can show the message and keep working.
//!
//! The config is split by what a change costs: [`NetConfig`] (the model, its shape and data,
//! the seed) builds the network; [`LiveConfig`] (batch, learning rate, clipping, L1/L2) applies
//! between two steps without rebuilding. [`ModelConfig`] is the one place that matches on the
//! kind of model: it builds the network and its data, names its parameter groups and says what
//! its profile axis is.

use super::activation::Activation;
use super::clip::{Clip, ClipMode};
use super::data::DatasetKind;
use super::init::{Init, WeightDraw};
use super::language::TextSource;
use super::loss::Penalty;
use super::memory::{describe_bytes, estimate_bytes, MEMORY_BUDGET_BYTES};
use super::mlp::Architecture;
use super::model::{MlpConfig, ModelConfig, RnnConfig, TransformerConfig};
use super::optim::{OptimizerConfig, OptimizerKind};
use super::own_series::SeriesSource;
pub use super::params::TrainParams;
use super::precision::{LossScaleKind, MixedPrecision, Precision};
use super::rnn::{Readout, RecurrentInit, RnnInit};
use super::schedule::{Schedule, ScheduleKind};
use super::sequence::Task;
pub use super::settings::{Field, MAX_DEPTH, MAX_WIDTH};
use super::settings::{Kind, Value, MODEL_NAMES, SETTINGS, SWITCH};
use super::transformer::Norm;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One bad setting.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigError {
    /// A number outside its allowed range.
    OutOfRange {
        /// The setting.
        field: Field,
        /// The value given.
        value: f64,
        /// The smallest value allowed.
        min: f64,
        /// The largest value allowed.
        max: f64,
    },
    /// A fractional value where a whole number is needed.
    NotWhole {
        /// The setting.
        field: Field,
        /// The value given.
        value: f64,
    },
    /// NaN or ±Inf.
    NotFinite {
        /// The setting.
        field: Field,
        /// The value given.
        value: f64,
    },
    /// A name that is not one of the known ones.
    UnknownName {
        /// The setting.
        field: Field,
        /// The name given.
        given: String,
        /// The names accepted.
        expected: &'static [&'static str],
    },
    /// A value its own range allows but the rest of the configuration does not.
    TooSmallFor {
        /// The setting.
        field: Field,
        /// The value given.
        value: f64,
        /// The smallest value this configuration allows.
        min: f64,
        /// Why, in a few words.
        why: &'static str,
    },
    /// A count that must divide another setting's value (heads divide the model width).
    MustDivide {
        /// The setting.
        field: Field,
        /// The value given.
        value: f64,
        /// What it must divide.
        whole: f64,
        /// The value used instead: the largest divisor of `whole` below `value`.
        used: f64,
    },
    /// A network too large to train within [`MEMORY_BUDGET_BYTES`]; the repair lowered
    /// `field` (the width or hidden units first, then the depth or length, then the batch).
    TooBig {
        /// The first setting the repair lowered.
        field: Field,
        /// What the settings as given would need (bytes).
        bytes: u64,
        /// What the lab allows one worker (bytes).
        budget: u64,
        /// The settings to lower, in words.
        lower: &'static str,
    },
}

impl ConfigError {
    /// The setting this error is about.
    pub fn field(&self) -> Field {
        match self {
            Self::OutOfRange { field, .. }
            | Self::NotWhole { field, .. }
            | Self::NotFinite { field, .. }
            | Self::UnknownName { field, .. }
            | Self::TooSmallFor { field, .. }
            | Self::MustDivide { field, .. }
            | Self::TooBig { field, .. } => *field,
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
            Self::TooSmallFor {
                value, min, why, ..
            } => write!(
                f,
                "{label} must be at least {min} here: {why} — got {value}."
            ),
            Self::MustDivide {
                value, whole, used, ..
            } => write!(
                f,
                "{label} must divide the model width d = {whole} — got {value}; using {used}."
            ),
            Self::TooBig {
                bytes,
                budget,
                lower,
                ..
            } => write!(
                f,
                "{label}: this network needs about {} to train; the lab's limit is {} — lower \
                 {lower}.",
                describe_bytes(*bytes),
                describe_bytes(*budget)
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// What builds the network: changing any of these starts a new run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// The model, its shape and its data.
    pub model: ModelConfig,
    /// Hidden activation.
    pub activation: Activation,
    /// Seed of every random stream in the run.
    pub seed: u64,
}

/// What applies between two steps of a running network.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveConfig {
    /// Mini-batch size, 1..=[`DATASET_SIZE`](super::data::DATASET_SIZE).
    pub batch: usize,
    /// Learning rate η (the schedule's peak).
    pub learning_rate: f64,
    /// How η changes from step to step.
    #[serde(default)]
    pub schedule: Schedule,
    /// Gradient clipping.
    pub clip: Clip,
    /// L1/L2 on the weights.
    pub penalty: Penalty,
    /// The update rule and its hyperparameters.
    #[serde(default)]
    pub optimizer: OptimizerConfig,
    /// The compute format and the loss scale.
    #[serde(default)]
    pub mixed: MixedPrecision,
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
    /// the default. Every setting is checked, whichever model it applies to, so a bad value
    /// is reported even where it does nothing yet.
    pub fn repair(&self) -> (TrainConfig, Vec<ConfigError>) {
        let mut errors = Vec::new();
        let mut p = self.clone();
        for setting in &SETTINGS {
            let field = setting.field;
            match (setting.kind, p.value(field)) {
                (
                    Kind::Number {
                        min,
                        max,
                        whole,
                        default,
                    },
                    Value::Number(value),
                ) => {
                    let repaired = if !value.is_finite() {
                        errors.push(ConfigError::NotFinite { field, value });
                        default
                    } else if value < min || value > max {
                        errors.push(ConfigError::OutOfRange {
                            field,
                            value,
                            min,
                            max,
                        });
                        let clamped = value.clamp(min, max);
                        if whole {
                            clamped.round()
                        } else {
                            clamped
                        }
                    } else if whole && value.fract() != 0.0 {
                        errors.push(ConfigError::NotWhole { field, value });
                        value.round()
                    } else {
                        value
                    };
                    p.set(field, Value::Number(repaired));
                }
                (Kind::Choice { names, default }, Value::Name(given)) => {
                    let known = names.iter().find(|n| n.eq_ignore_ascii_case(given.trim()));
                    let canonical = known.copied().unwrap_or_else(|| {
                        errors.push(ConfigError::UnknownName {
                            field,
                            given: given.clone(),
                            expected: names,
                        });
                        default
                    });
                    p.set(field, Value::Name(canonical.to_string()));
                }
                _ => {}
            }
        }
        // A field already reported keeps one message, whatever else its value needed.
        for error in repair_combinations(&mut p) {
            if !errors.iter().any(|e| e.field() == error.field()) {
                errors.push(error);
            }
        }
        (p.config_of_valid(), errors)
    }

    /// The configuration of parameters every value of which is already valid and canonical.
    /// (Called after [`repair_combinations`].)
    fn config_of_valid(&self) -> TrainConfig {
        // Repaired names are always known; the fallbacks are the table defaults.
        let task = Task::from_name(&self.task).unwrap_or(Task::Adding);
        let readout = Readout::from_name(&self.readout).unwrap_or(Readout::Last);
        let text = TextSource::from_name(&self.text).unwrap_or_default();
        let series = SeriesSource::from_name(&self.series).unwrap_or_default();
        let model = if self.model == MODEL_NAMES[2] {
            ModelConfig::Transformer(TransformerConfig {
                task,
                layers: self.layers as usize,
                d_model: self.d_model as usize,
                heads: self.heads as usize,
                context: self.context as usize,
                norm: Norm::from_name(&self.norm).unwrap_or_default(),
                weight_scale: self.weight_scale,
                readout,
                text,
                series,
            })
        } else if self.model == MODEL_NAMES[1] {
            ModelConfig::Rnn(RnnConfig {
                task,
                cell: self.cell(),
                steps: self.seq_len as usize,
                hidden: self.hidden as usize,
                init: RnnInit {
                    input_scale: self.input_scale,
                    recurrent: RecurrentInit::from_name(&self.recurrent_init)
                        .unwrap_or(RecurrentInit::Gaussian),
                    recurrent_scale: self.recurrent_scale,
                },
                readout,
                truncation: self.bptt as usize,
                text,
                series,
            })
        } else {
            ModelConfig::Mlp(MlpConfig {
                depth: self.depth as usize,
                width: self.width as usize,
                init: Init {
                    weight_scale: self.weight_scale,
                    bias_scale: self.bias_scale,
                    draw: WeightDraw::from_name(&self.init).unwrap_or_default(),
                },
                dataset: DatasetKind::from_name(&self.dataset).unwrap_or(DatasetKind::Circle),
                architecture: Architecture {
                    residual: self.residual == "on",
                    layer_norm: self.layer_norm == "on",
                },
            })
        };
        TrainConfig {
            net: NetConfig {
                model,
                activation: Activation::from_name(&self.activation).unwrap_or(Activation::Tanh),
                seed: self.seed,
            },
            live: LiveConfig {
                batch: self.batch as usize,
                learning_rate: self.learning_rate,
                schedule: Schedule {
                    kind: ScheduleKind::from_name(&self.schedule).unwrap_or_default(),
                    warmup_steps: self.warmup_steps as u64,
                    decay_steps: self.decay_steps as u64,
                },
                clip: Clip {
                    mode: ClipMode::from_name(&self.clip_mode).unwrap_or(ClipMode::None),
                    threshold: self.clip_threshold,
                },
                penalty: Penalty {
                    l1: self.l1,
                    l2: self.l2,
                },
                optimizer: OptimizerConfig {
                    kind: OptimizerKind::from_name(&self.optimizer).unwrap_or_default(),
                    momentum: self.momentum,
                    alpha: self.alpha,
                    beta1: self.beta1,
                    beta2: self.beta2,
                    eps: self.eps,
                    weight_decay: self.weight_decay,
                },
                mixed: MixedPrecision {
                    precision: Precision::from_name(&self.precision).unwrap_or_default(),
                    loss_scale: LossScaleKind::from_name(&self.loss_scale).unwrap_or_default(),
                    static_scale: self.static_scale,
                },
            },
        }
    }
}

/// Repairs what each value's own range allows but the model does not, one error per change.
/// Runs after every value was repaired on its own, so names are canonical.
fn repair_combinations(p: &mut TrainParams) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    // The adding task marks two numbers in each sequence: one time step cannot hold them.
    if p.model == MODEL_NAMES[1] && p.task == Task::Adding.name() && p.seq_len < 2.0 {
        errors.push(ConfigError::TooSmallFor {
            field: Field::SeqLen,
            value: p.seq_len,
            min: 2.0,
            why: "the adding task marks two numbers in each sequence",
        });
        p.seq_len = 2.0;
    }
    errors.extend(repair_size(p));
    // Heads split the width: after the size repair, which may have narrowed it.
    if p.model == MODEL_NAMES[2] && p.d_model % p.heads != 0.0 {
        let used = (1..=p.heads as u32)
            .rev()
            .map(f64::from)
            .find(|h| p.d_model % h == 0.0)
            .unwrap_or(1.0);
        errors.push(ConfigError::MustDivide {
            field: Field::Heads,
            value: p.heads,
            whole: p.d_model,
            used,
        });
        p.heads = used;
    }
    errors
}

/// Lowers a network too large for [`MEMORY_BUDGET_BYTES`] until it fits, halving the width or
/// hidden units first, then the depth or sequence length, then the batch. One error, naming
/// what the settings as given would need.
fn repair_size(p: &mut TrainParams) -> Option<ConfigError> {
    let bytes = estimate_bytes(&p.config_of_valid());
    if bytes <= MEMORY_BUDGET_BYTES {
        return None;
    }
    let rnn = p.model == MODEL_NAMES[1];
    let transformer = p.model == MODEL_NAMES[2];
    // The network shrinks first (its parameters grow with the width squared), the batch last.
    let order: &[Field] = if transformer {
        &[Field::DModel, Field::Context, Field::Layers, Field::Batch]
    } else if rnn {
        &[Field::Hidden, Field::SeqLen, Field::Batch]
    } else {
        &[Field::Width, Field::Depth, Field::Batch]
    };
    let mut first = None;
    for &field in order {
        let least = field.range().map_or(1.0, |(min, ..)| min.max(1.0));
        while estimate_bytes(&p.config_of_valid()) > MEMORY_BUDGET_BYTES {
            let Value::Number(v) = p.value(field) else {
                break;
            };
            if v <= least {
                break;
            }
            p.set(field, Value::Number((v / 2.0).floor().max(least)));
            first.get_or_insert(field);
        }
    }
    Some(ConfigError::TooBig {
        field: first.unwrap_or(Field::Batch),
        bytes,
        budget: MEMORY_BUDGET_BYTES,
        lower: if transformer {
            "the model width, the context, the blocks or the batch"
        } else if rnn {
            "the hidden units, the sequence length or the batch"
        } else {
            "the width, the depth or the batch"
        },
    })
}

impl TrainConfig {
    /// Checks a configuration that did not come from [`TrainParams::check`] — one that crossed
    /// the worker boundary as bytes, say: a deserialised config can never carry a value a
    /// slider could not set.
    ///
    /// Every field of a config is one field of [`TrainParams`], and `check` changes none that it
    /// accepts, so passing `check` means the config is one `check` could have produced.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.to_params().check().map(|_| ())
    }

    /// The raw parameters that check into this configuration (the other model's settings at
    /// their defaults).
    pub fn to_params(&self) -> TrainParams {
        let (net, live) = (&self.net, &self.live);
        let mut p = TrainParams {
            activation: net.activation.name().into(),
            batch: live.batch as f64,
            learning_rate: live.learning_rate,
            schedule: live.schedule.kind.name().into(),
            warmup_steps: live.schedule.warmup_steps as f64,
            decay_steps: live.schedule.decay_steps as f64,
            precision: live.mixed.precision.name().into(),
            loss_scale: live.mixed.loss_scale.name().into(),
            static_scale: live.mixed.static_scale,
            clip_mode: live.clip.mode.name().into(),
            clip_threshold: live.clip.threshold,
            l1: live.penalty.l1,
            l2: live.penalty.l2,
            optimizer: live.optimizer.kind.name().into(),
            momentum: live.optimizer.momentum,
            alpha: live.optimizer.alpha,
            beta1: live.optimizer.beta1,
            beta2: live.optimizer.beta2,
            eps: live.optimizer.eps,
            weight_decay: live.optimizer.weight_decay,
            seed: net.seed,
            ..TrainParams::default()
        };
        match &net.model {
            ModelConfig::Mlp(m) => {
                p.model = MODEL_NAMES[0].into();
                p.depth = m.depth as f64;
                p.width = m.width as f64;
                p.weight_scale = m.init.weight_scale;
                p.bias_scale = m.init.bias_scale;
                p.dataset = m.dataset.name().into();
                p.init = m.init.draw.name().into();
                p.residual = SWITCH[usize::from(m.architecture.residual)].into();
                p.layer_norm = SWITCH[usize::from(m.architecture.layer_norm)].into();
            }
            ModelConfig::Transformer(t) => {
                p.model = MODEL_NAMES[2].into();
                p.task = t.task.name().into();
                p.layers = t.layers as f64;
                p.d_model = t.d_model as f64;
                p.heads = t.heads as f64;
                p.context = t.context as f64;
                p.norm = t.norm.name().into();
                p.weight_scale = t.weight_scale;
                p.readout = t.readout.name().into();
                p.text = t.text.name().into();
                p.series = t.series.name().into();
            }
            ModelConfig::Rnn(r) => {
                p.model = MODEL_NAMES[1].into();
                p.task = r.task.name().into();
                p.cell = r.cell.name().into();
                p.seq_len = r.steps as f64;
                p.hidden = r.hidden as f64;
                p.recurrent_init = r.init.recurrent.name().into();
                p.recurrent_scale = r.init.recurrent_scale;
                p.input_scale = r.init.input_scale;
                p.bptt = r.truncation as f64;
                p.readout = r.readout.name().into();
                p.text = r.text.name().into();
                p.series = r.series.name().into();
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DatasetKind;

    fn mlp(c: &TrainConfig) -> MlpConfig {
        *c.net.model.as_mlp().expect("an MLP")
    }

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
                with(|p| p.depth = 5000.0),
                ConfigError::OutOfRange {
                    field: Field::Depth,
                    value: 5000.0,
                    min: 1.0,
                    max: 1000.0,
                },
                |c| mlp(c).depth == 1000,
            ),
            (
                with(|p| {
                    p.model = "rnn".into();
                    p.task = "adding".into();
                    p.seq_len = 1.0;
                }),
                ConfigError::TooSmallFor {
                    field: Field::SeqLen,
                    value: 1.0,
                    min: 2.0,
                    why: "the adding task marks two numbers in each sequence",
                },
                |c| matches!(c.net.model, ModelConfig::Rnn(r) if r.steps == 2),
            ),
            (
                // Issue 20's link: 1000 layers of 512 need about 2.2 GB (weights and gradients).
                with(|p| {
                    p.depth = 1000.0;
                    p.width = 512.0;
                }),
                ConfigError::TooBig {
                    field: Field::Width,
                    bytes: estimate_bytes(
                        &with(|p| {
                            p.depth = 1000.0;
                            p.width = 512.0;
                        })
                        .config_of_valid(),
                    ),
                    budget: MEMORY_BUDGET_BYTES,
                    lower: "the width, the depth or the batch",
                },
                |c| mlp(c).width == 256 && mlp(c).depth == 1000,
            ),
            (
                with(|p| p.depth = 0.0),
                ConfigError::OutOfRange {
                    field: Field::Depth,
                    value: 0.0,
                    min: 1.0,
                    max: 1000.0,
                },
                |c| mlp(c).depth == 1,
            ),
            (
                with(|p| p.width = 3.5),
                ConfigError::NotWhole {
                    field: Field::Width,
                    value: 3.5,
                },
                |c| mlp(c).width == 4,
            ),
            (
                with(|p| p.width = 1000.0),
                ConfigError::OutOfRange {
                    field: Field::Width,
                    value: 1000.0,
                    min: 1.0,
                    max: 512.0,
                },
                |c| mlp(c).width == 512,
            ),
            (
                with(|p| p.weight_scale = f64::NAN),
                ConfigError::NotFinite {
                    field: Field::WeightScale,
                    value: f64::NAN,
                },
                |c| mlp(c).init.weight_scale == 1.0,
            ),
            (
                with(|p| p.weight_scale = -1.0),
                ConfigError::OutOfRange {
                    field: Field::WeightScale,
                    value: -1.0,
                    min: 0.0,
                    max: 10.0,
                },
                |c| mlp(c).init.weight_scale == 0.0,
            ),
            (
                with(|p| p.bias_scale = f64::INFINITY),
                ConfigError::NotFinite {
                    field: Field::BiasScale,
                    value: f64::INFINITY,
                },
                |c| mlp(c).init.bias_scale == 0.0,
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
                |c| mlp(c).dataset == DatasetKind::Circle,
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
        let e = with(|p| p.depth = 5000.0).check().unwrap_err();
        assert_eq!(
            e.to_string(),
            "Depth (hidden layers) must be between 1 and 1000 — got 5000."
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
        // In the settings table's order.
        assert_eq!(
            fields,
            vec![Field::Depth, Field::Dataset, Field::LearningRate]
        );
    }

    /// A configuration decoded from bytes is checked like a slider value.
    #[test]
    fn validate_refuses_what_check_would_refuse() {
        let good = TrainParams::default().check().unwrap();
        assert_eq!(good.validate(), Ok(()));
        let mut deep = good;
        deep.net.model = ModelConfig::Mlp(MlpConfig {
            depth: 100_000,
            ..mlp(&good)
        });
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
