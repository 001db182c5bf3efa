//! The one table of settings: every key a slider, link, flag, lesson file or compare variant
//! uses, with its label, its range or choices, its default, the models it applies to and what
//! a change costs.
//!
//! Everything that reads or writes settings by name goes through [`SETTINGS`]: the config
//! checker ([`TrainParams::repair`](super::params::TrainParams::repair)), the link reader and writer, the headless runner's flags,
//! the compare variant, the controls and teacher mode's hide list. Adding a setting is one row
//! here, one [`Field`] and one member of [`TrainParams`](super::params::TrainParams) (tied to it in
//! [`TrainParams::slot`](super::params::TrainParams::slot)). The table itself knows nothing of
//! that struct: [`params`](super::params) builds on the table, and [`config`](super::config) on both.

use super::activation::Activation;
use super::cell::Cell;
use super::clip::ClipMode;
use super::data::{DatasetKind, DATASET_SIZE};
use super::init::WeightDraw;
use super::language::TextSource;
use super::optim::OptimizerKind;
use super::own_series::SeriesSource;
use super::precision::{LossScaleKind, Precision};
use super::rnn::{Readout, RecurrentInit};
use super::schedule::ScheduleKind;
use super::sequence::Task;
use super::transformer::Norm;

/// Most hidden layers a network may have.
pub const MAX_DEPTH: usize = 1000;
/// Most units a hidden layer may have.
pub const MAX_WIDTH: usize = 512;
/// Longest sequence an RNN may train on.
pub const MAX_SEQ_LEN: usize = 500;
/// Most hidden units an RNN may have.
pub const MAX_HIDDEN: usize = 256;
/// Most blocks a Transformer may have.
pub const MAX_LAYERS: usize = 12;
/// The widest residual stream a Transformer may have.
pub const MAX_D_MODEL: usize = 256;
/// The longest context a Transformer may have.
pub const MAX_CONTEXT: usize = 256;

/// A setting that can be wrong: one row of [`SETTINGS`], in the same order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `model`: Model.
    Model,
    /// `depth`: Depth (hidden layers).
    Depth,
    /// `width`: Width (units per layer).
    Width,
    /// `activation`: Activation.
    Activation,
    /// `weight-scale`: Weight scale σ.
    WeightScale,
    /// `bias-scale`: Bias scale σ_b.
    BiasScale,
    /// `init`: Weight init.
    Init,
    /// `dataset`: Data set.
    Dataset,
    /// `residual`: Residual connections.
    Residual,
    /// `layer-norm`: LayerNorm.
    LayerNorm,
    /// `task`: Task.
    Task,
    /// `cell`: Recurrent cell.
    Cell,
    /// `seq-len`: Sequence length T.
    SeqLen,
    /// `hidden`: Hidden units H.
    Hidden,
    /// `recurrent-init`: Recurrent init.
    RecurrentInit,
    /// `recurrent-scale`: Recurrent scale g.
    RecurrentScale,
    /// `input-scale`: Input scale σ_x.
    InputScale,
    /// `bptt`: Truncated BPTT k (0 = full).
    Bptt,
    /// `readout`: Readout.
    Readout,
    /// `text`: Training text.
    Text,
    /// `series`: Series.
    Series,
    /// `layers`: Transformer blocks.
    Layers,
    /// `d-model`: Model width d.
    DModel,
    /// `heads`: Attention heads.
    Heads,
    /// `context`: Context length T.
    Context,
    /// `norm`: LayerNorm placement.
    Norm,
    /// `batch`: Batch size.
    Batch,
    /// `lr`: Learning rate.
    LearningRate,
    /// `schedule`: Learning-rate schedule.
    Schedule,
    /// `warmup-steps`: Warmup steps T_w.
    WarmupSteps,
    /// `decay-steps`: Decay steps T_d.
    DecaySteps,
    /// `precision`: Compute precision.
    Precision,
    /// `loss-scale`: Loss scaling.
    LossScale,
    /// `static-scale`: Static loss scale S.
    StaticScale,
    /// `clip-mode`: Clip mode.
    ClipMode,
    /// `clip`: Clip threshold.
    ClipThreshold,
    /// `l1`: L1 strength.
    L1,
    /// `l2`: L2 strength.
    L2,
    /// `optimizer`: Optimizer.
    Optimizer,
    /// `momentum`: Momentum μ.
    Momentum,
    /// `alpha`: RMSProp decay α.
    Alpha,
    /// `beta1`: Adam β₁.
    Beta1,
    /// `beta2`: Adam β₂.
    Beta2,
    /// `eps`: ε (RMSProp, Adam).
    Eps,
    /// `weight-decay`: Weight decay λ_wd (AdamW).
    WeightDecay,
    /// `seed`: Seed.
    Seed,
}

/// What values a setting takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A number in `[min, max]`, whole when `whole`.
    Number {
        /// The smallest value allowed.
        min: f64,
        /// The largest value allowed.
        max: f64,
        /// Whether only whole numbers are allowed.
        whole: bool,
        /// The value a fresh page starts from.
        default: f64,
    },
    /// One of these names (case-insensitive), each with the words a control shows.
    Choice {
        /// The names accepted, as links and flags write them.
        names: &'static [&'static str],
        /// The name a fresh page starts from.
        default: &'static str,
    },
    /// The run seed: any whole number from 0 up.
    Seed {
        /// The seed a fresh page starts from.
        default: u64,
    },
}

/// Which models a setting means something for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Models {
    /// Every model.
    All,
    /// The feed-forward network only.
    Mlp,
    /// The recurrent network only.
    Rnn,
    /// The Transformer only.
    Transformer,
    /// The sequence models: the RNN and the Transformer.
    Sequences,
    /// The MLP and the Transformer (which share the weight scale σ).
    MlpTransformer,
    /// The MLP and the RNN (the Transformer's activation is GELU, fixed).
    MlpRnn,
}

/// What changing a setting costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cost {
    /// Applies between two steps; training continues from the current weights.
    Live,
    /// Builds a new network: the run starts over.
    Rebuild,
}

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setting {
    /// Which setting.
    pub field: Field,
    /// The key in links, flags (`--key`), lesson files and downloads.
    pub key: &'static str,
    /// The id of its control on the page (also the name `hide=` uses): the key, except where
    /// the page's ids came first (`learning-rate`, `clip-threshold`).
    pub control: &'static str,
    /// The name a person reads.
    pub label: &'static str,
    /// Range or choices, and the default.
    pub kind: Kind,
    /// Which models it applies to.
    pub models: Models,
    /// What a change costs.
    pub cost: Cost,
    /// Where it means something only beside certain choices of another setting (an
    /// optimizer's hyperparameter beside that optimizer): the setting and those names.
    pub only_with: Option<(Field, &'static [&'static str])>,
}

const fn number(min: f64, max: f64, whole: bool, default: f64) -> Kind {
    Kind::Number {
        min,
        max,
        whole,
        default,
    }
}

const fn choice(names: &'static [&'static str], default: &'static str) -> Kind {
    Kind::Choice { names, default }
}

/// An architecture switch's two positions.
pub const SWITCH: &[&str] = &["off", "on"];

/// Model kinds, by name.
pub const MODEL_NAMES: &[&str] = &["mlp", "rnn", "transformer"];

use Cost::{Live, Rebuild};
use Models::{All, Mlp, MlpRnn, MlpTransformer, Rnn, Sequences, Transformer};

/// Every setting, in [`Field`] order (the order links and flags list them).
#[rustfmt::skip]
pub const SETTINGS: [Setting; 46] = [
    row(Field::Model, "model", "model", "Model", choice(MODEL_NAMES, "mlp"), All, Rebuild),
    row(Field::Depth, "depth", "depth", "Depth (hidden layers)", number(1.0, MAX_DEPTH as f64, true, 10.0), Mlp, Rebuild),
    row(Field::Width, "width", "width", "Width (units per layer)", number(1.0, MAX_WIDTH as f64, true, 16.0), Mlp, Rebuild),
    row(Field::Activation, "activation", "activation", "Activation", choice(Activation::NAMES, "tanh"), MlpRnn, Rebuild),
    row(Field::WeightScale, "weight-scale", "weight-scale", "Weight scale σ", number(0.0, 10.0, false, 1.0), MlpTransformer, Rebuild),
    row(Field::BiasScale, "bias-scale", "bias-scale", "Bias scale σ_b", number(0.0, 5.0, false, 0.0), Mlp, Rebuild),
    row(Field::Init, "init", "init", "Weight init", choice(WeightDraw::NAMES, "gaussian"), Mlp, Rebuild),
    row(Field::Dataset, "dataset", "dataset", "Data set", choice(DatasetKind::NAMES, "circle"), Mlp, Rebuild),
    row(Field::Residual, "residual", "residual", "Residual connections", choice(SWITCH, "off"), Mlp, Rebuild),
    row(Field::LayerNorm, "layer-norm", "layer-norm", "LayerNorm", choice(SWITCH, "off"), Mlp, Rebuild),
    row(Field::Task, "task", "task", "Task", choice(Task::NAMES, "adding"), Sequences, Rebuild),
    row(Field::Cell, "cell", "cell", "Recurrent cell", choice(Cell::NAMES, "vanilla"), Rnn, Rebuild),
    row(Field::SeqLen, "seq-len", "seq-len", "Sequence length T", number(1.0, MAX_SEQ_LEN as f64, true, 50.0), Rnn, Rebuild),
    row(Field::Hidden, "hidden", "hidden", "Hidden units H", number(1.0, MAX_HIDDEN as f64, true, 32.0), Rnn, Rebuild),
    row(Field::RecurrentInit, "recurrent-init", "recurrent-init", "Recurrent init", choice(RecurrentInit::NAMES, "gaussian"), Rnn, Rebuild),
    row(Field::RecurrentScale, "recurrent-scale", "recurrent-scale", "Recurrent scale g", number(0.0, 10.0, false, 1.0), Rnn, Rebuild),
    row(Field::InputScale, "input-scale", "input-scale", "Input scale σ_x", number(0.0, 10.0, false, 1.0), Rnn, Rebuild),
    row(Field::Bptt, "bptt", "bptt", "Truncated BPTT k (0 = full)", number(0.0, MAX_SEQ_LEN as f64, true, 0.0), Rnn, Rebuild),
    row(Field::Readout, "readout", "readout", "Readout", choice(Readout::NAMES, "last"), Sequences, Rebuild),
    row(Field::Text, "text", "text", "Training text", choice(TextSource::NAMES, "shipped"), Sequences, Rebuild).only_with(Field::Task, &["language"]),
    row(Field::Series, "series", "series", "Series", choice(SeriesSource::NAMES, "sines"), Sequences, Rebuild).only_with(Field::Task, &["series"]),
    row(Field::Layers, "layers", "layers", "Blocks", number(1.0, MAX_LAYERS as f64, true, 4.0), Transformer, Rebuild),
    row(Field::DModel, "d-model", "d-model", "Model width d", number(16.0, MAX_D_MODEL as f64, true, 64.0), Transformer, Rebuild),
    row(Field::Heads, "heads", "heads", "Attention heads", number(1.0, 16.0, true, 4.0), Transformer, Rebuild),
    row(Field::Context, "context", "context", "Context length T", number(8.0, MAX_CONTEXT as f64, true, 64.0), Transformer, Rebuild),
    row(Field::Norm, "norm", "norm", "LayerNorm placement", choice(Norm::NAMES, "pre"), Transformer, Rebuild),
    row(Field::Batch, "batch", "batch", "Batch size", number(1.0, DATASET_SIZE as f64, true, 32.0), All, Live),
    row(Field::LearningRate, "lr", "learning-rate", "Learning rate", number(1e-6, 10.0, false, 0.03), All, Live),
    row(Field::Schedule, "schedule", "schedule", "Learning-rate schedule", choice(ScheduleKind::NAMES, "constant"), All, Live),
    row(Field::WarmupSteps, "warmup-steps", "warmup-steps", "Warmup steps T_w", number(1.0, 100_000.0, true, 200.0), All, Live).only_with(Field::Schedule, &["warmup", "warmup-cosine"]),
    row(Field::DecaySteps, "decay-steps", "decay-steps", "Decay steps T_d", number(1.0, 1_000_000.0, true, 2000.0), All, Live).only_with(Field::Schedule, &["warmup-cosine"]),
    row(Field::Precision, "precision", "precision", "Compute precision", choice(Precision::NAMES, "f32"), All, Live),
    row(Field::LossScale, "loss-scale", "loss-scale", "Loss scaling", choice(LossScaleKind::NAMES, "none"), All, Live),
    row(Field::StaticScale, "static-scale", "static-scale", "Static loss scale S", number(1.0, 16_777_216.0, false, 65_536.0), All, Live).only_with(Field::LossScale, &["static"]),
    row(Field::ClipMode, "clip-mode", "clip-mode", "Clip mode", choice(ClipMode::NAMES, "none"), All, Live),
    row(Field::ClipThreshold, "clip", "clip-threshold", "Clip threshold", number(1e-4, 1e4, false, 1.0), All, Live),
    row(Field::L1, "l1", "l1", "L1 strength", number(0.0, 10.0, false, 0.0), All, Live),
    row(Field::L2, "l2", "l2", "L2 strength", number(0.0, 10.0, false, 0.0), All, Live),
    row(Field::Optimizer, "optimizer", "optimizer", "Optimizer", choice(OptimizerKind::NAMES, "sgd"), All, Live),
    row(Field::Momentum, "momentum", "momentum", "Momentum μ", number(0.0, 0.999, false, 0.9), All, Live).only_with(Field::Optimizer, &["momentum", "nesterov"]),
    row(Field::Alpha, "alpha", "alpha", "RMSProp decay α", number(0.0, 0.9999, false, 0.99), All, Live).only_with(Field::Optimizer, &["rmsprop"]),
    row(Field::Beta1, "beta1", "beta1", "Adam β₁", number(0.0, 0.9999, false, 0.9), All, Live).only_with(Field::Optimizer, ADAM_KINDS),
    row(Field::Beta2, "beta2", "beta2", "Adam β₂", number(0.0, 0.99999, false, 0.999), All, Live).only_with(Field::Optimizer, ADAM_KINDS),
    row(Field::Eps, "eps", "eps", "ε (RMSProp, Adam)", number(1e-12, 1.0, false, 1e-8), All, Live).only_with(Field::Optimizer, &["rmsprop", "adam", "adamw"]),
    row(Field::WeightDecay, "weight-decay", "weight-decay", "Weight decay λ_wd (AdamW)", number(0.0, 1.0, false, 0.01), All, Live).only_with(Field::Optimizer, &["adamw"]),
    row(Field::Seed, "seed", "seed", "Seed", Kind::Seed { default: 1 }, All, Rebuild),
];

#[allow(clippy::too_many_arguments)]
const fn row(
    field: Field,
    key: &'static str,
    control: &'static str,
    label: &'static str,
    kind: Kind,
    models: Models,
    cost: Cost,
) -> Setting {
    Setting {
        field,
        key,
        control,
        label,
        kind,
        models,
        cost,
        only_with: None,
    }
}

/// The optimizers that read β₁ and β₂.
const ADAM_KINDS: &[&str] = &["adam", "adamw"];

impl Setting {
    /// The same row, meaningful only where `field` is one of `names`.
    const fn only_with(self, field: Field, names: &'static [&'static str]) -> Self {
        Self {
            only_with: Some((field, names)),
            ..self
        }
    }
}

impl Field {
    /// This setting's row.
    pub fn setting(self) -> &'static Setting {
        &SETTINGS[self as usize]
    }

    /// The key used in flags (`--key`), URLs and JSON.
    pub fn key(self) -> &'static str {
        self.setting().key
    }

    /// The name a person reads.
    pub fn label(self) -> &'static str {
        self.setting().label
    }

    /// Allowed range of a numeric field, `(min, max, whole number?)`.
    pub fn range(self) -> Option<(f64, f64, bool)> {
        match self.setting().kind {
            Kind::Number {
                min, max, whole, ..
            } => Some((min, max, whole)),
            _ => None,
        }
    }

    /// The setting whose control on the page has this id.
    pub fn from_control(id: &str) -> Option<Field> {
        SETTINGS.iter().find(|s| s.control == id).map(|s| s.field)
    }

    /// The setting whose link key (or flag) is `key`.
    pub fn from_key(key: &str) -> Option<Field> {
        SETTINGS.iter().find(|s| s.key == key).map(|s| s.field)
    }
}

impl Models {
    /// Whether a setting for these models means something for `model` (a name of
    /// [`MODEL_NAMES`]).
    pub fn include(self, model: &str) -> bool {
        let rnn = model.eq_ignore_ascii_case(MODEL_NAMES[1]);
        let transformer = model.eq_ignore_ascii_case(MODEL_NAMES[2]);
        let mlp = !rnn && !transformer;
        match self {
            All => true,
            Mlp => mlp,
            Rnn => rnn,
            Transformer => transformer,
            Sequences => rnn || transformer,
            MlpTransformer => mlp || transformer,
            MlpRnn => mlp || rnn,
        }
    }
}

/// A setting's value, as raw input holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number (whole or not).
    Number(f64),
    /// A name.
    Name(String),
    /// The seed.
    Seed(u64),
}

impl Value {
    /// The text a link or flag writes for it.
    pub fn text(&self) -> String {
        match self {
            Self::Number(v) => v.to_string(),
            Self::Name(s) => s.clone(),
            Self::Seed(s) => s.to_string(),
        }
    }
}

impl Setting {
    /// The value a fresh page, link or lesson starts from.
    pub fn default_value(&self) -> Value {
        match self.kind {
            Kind::Number { default, .. } => Value::Number(default),
            Kind::Choice { default, .. } => Value::Name(default.to_string()),
            Kind::Seed { default } => Value::Seed(default),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::TrainParams;

    #[test]
    fn rows_are_in_field_order_with_unique_keys_and_ids() {
        for (i, s) in SETTINGS.iter().enumerate() {
            assert_eq!(s.field as usize, i, "{}", s.key);
            assert_eq!(Field::from_key(s.key), Some(s.field));
            assert_eq!(SETTINGS.iter().filter(|o| o.key == s.key).count(), 1);
            assert_eq!(
                SETTINGS.iter().filter(|o| o.control == s.control).count(),
                1
            );
        }
    }

    #[test]
    fn every_default_is_valid_and_set_get_round_trip() {
        let defaults = TrainParams::default();
        assert!(defaults.check().is_ok());
        for s in &SETTINGS {
            assert_eq!(defaults.value(s.field), s.default_value(), "{}", s.key);
            let mut p = TrainParams::default();
            let v = match s.kind {
                Kind::Number { max, .. } => Value::Number(max),
                Kind::Choice { names, .. } => Value::Name(names[names.len() - 1].into()),
                Kind::Seed { .. } => Value::Seed(u64::MAX),
            };
            p.set(s.field, v.clone());
            assert_eq!(p.value(s.field), v, "{}", s.key);
        }
    }

    #[test]
    fn parsing_names_the_setting() {
        let mut p = TrainParams::default();
        let e = Field::Depth
            .setting()
            .parse_into(&mut p, "deep")
            .unwrap_err();
        assert_eq!(e, "Depth (hidden layers) must be a number, not \"deep\"");
        let e = Field::Seed.setting().parse_into(&mut p, "-1").unwrap_err();
        assert!(e.starts_with("Seed must be a whole number"), "{e}");
        Field::SeqLen.setting().parse_into(&mut p, " 80 ").unwrap();
        assert_eq!(p.seq_len, 80.0);
        // By link key: the same reading, and an unknown key said apart from a bad value.
        use crate::params::KeyError;
        p.set_by_key("warmup-steps", "40").unwrap();
        assert_eq!(p.warmup_steps, 40.0);
        assert_eq!(p.set_by_key("depht", "3"), Err(KeyError::Unknown));
        assert_eq!(
            p.set_by_key("depth", "deep"),
            Err(KeyError::Unreadable(
                "Depth (hidden layers) must be a number, not \"deep\"".into()
            ))
        );
    }

    #[test]
    fn each_model_lists_its_own_settings() {
        let mlp: Vec<&str> = TrainParams::default().pairs().iter().map(|p| p.0).collect();
        assert!(mlp.contains(&"depth") && !mlp.contains(&"seq-len"));
        let rnn = TrainParams {
            model: "rnn".into(),
            ..TrainParams::default()
        };
        let rnn: Vec<&str> = rnn.pairs().iter().map(|p| p.0).collect();
        assert!(rnn.contains(&"seq-len") && rnn.contains(&"recurrent-scale"));
        assert!(!rnn.contains(&"depth") && rnn.contains(&"lr") && rnn.contains(&"seed"));
    }
}
