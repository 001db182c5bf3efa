//! Raw settings: [`TrainParams`], as a slider, link, flag or file gives them, read and written
//! by a row of the settings table ([`SETTINGS`]). Nothing here is checked: [`config`](super::config)
//! turns them into a [`TrainConfig`](super::config::TrainConfig) the trainer can trust.
//!
//! The table ([`settings`](super::settings)) knows nothing of this struct; this file ties each
//! [`Field`] to its member ([`TrainParams::slot`]), and the checker builds on both.

use super::cell::Cell;
use super::settings::{Field, Setting, Value, SETTINGS};
use serde::{Deserialize, Serialize};

/// Unchecked settings, as a control, URL, flag or file gives them. Numbers are `f64` even where a
/// whole number is expected, so a slider or URL value reaches `check` as it came. Each member is
/// one row of the settings table (its key is the serde name).
///
/// Read from a file (a lesson's `settings`), an unknown key is an error that names it, so a
/// misspelt setting is caught rather than silently left at its default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct TrainParams {
    /// Model kind name (`mlp`, `rnn`, `transformer`).
    pub model: String,
    /// Hidden layers (MLP).
    pub depth: f64,
    /// Units per hidden layer (MLP).
    pub width: f64,
    /// Hidden activation name.
    pub activation: String,
    /// σ of the initial weights (MLP).
    pub weight_scale: f64,
    /// σ_b of the initial biases (MLP).
    pub bias_scale: f64,
    /// Weight draw name, `gaussian` or `orthogonal` (MLP).
    pub init: String,
    /// Data set name (MLP).
    pub dataset: String,
    /// Residual connections, `on` or `off` (MLP).
    pub residual: String,
    /// LayerNorm, `on` or `off` (MLP).
    pub layer_norm: String,
    /// Sequence task name (RNN).
    pub task: String,
    /// Recurrent cell name, `vanilla`, `lstm` or `gru` (RNN).
    pub cell: String,
    /// Sequence length T (RNN).
    pub seq_len: f64,
    /// Hidden units H (RNN).
    pub hidden: f64,
    /// Recurrent init scheme name (RNN).
    pub recurrent_init: String,
    /// Recurrent scale g (RNN).
    pub recurrent_scale: f64,
    /// Input weight scale σ_x (RNN).
    pub input_scale: f64,
    /// Truncated BPTT length k, 0 for full (RNN).
    pub bptt: f64,
    /// Readout name (RNN).
    pub readout: String,
    /// The language model's text: `shipped` or `own` (RNN, task `language`).
    pub text: String,
    /// The series task's series: `sines` or `own` (RNN, task `series`).
    pub series: String,
    /// Transformer blocks.
    pub layers: f64,
    /// A Transformer's width d.
    pub d_model: f64,
    /// A Transformer's attention heads.
    pub heads: f64,
    /// A Transformer's context length T.
    pub context: f64,
    /// A Transformer's LayerNorm placement: `pre`, `post` or `none`.
    pub norm: String,
    /// Mini-batch size.
    pub batch: f64,
    /// Learning rate η.
    #[serde(rename = "lr")]
    pub learning_rate: f64,
    /// Learning-rate schedule name.
    pub schedule: String,
    /// Warmup steps T_w.
    pub warmup_steps: f64,
    /// Decay steps T_d.
    pub decay_steps: f64,
    /// Compute format name (f32, f16, bf16).
    pub precision: String,
    /// Loss scaling name (none, static, dynamic).
    pub loss_scale: String,
    /// The static loss scale S.
    pub static_scale: f64,
    /// Clip mode name.
    pub clip_mode: String,
    /// Clip threshold c.
    #[serde(rename = "clip")]
    pub clip_threshold: f64,
    /// L1 strength λ₁.
    pub l1: f64,
    /// L2 strength λ₂.
    pub l2: f64,
    /// Optimizer name.
    pub optimizer: String,
    /// Momentum μ (momentum, Nesterov).
    pub momentum: f64,
    /// RMSProp's smoothing constant α.
    pub alpha: f64,
    /// Adam's β₁.
    pub beta1: f64,
    /// Adam's β₂.
    pub beta2: f64,
    /// ε of RMSProp and Adam.
    pub eps: f64,
    /// AdamW's decoupled weight decay λ_wd.
    pub weight_decay: f64,
    /// Run seed.
    pub seed: u64,
}

impl Default for TrainParams {
    /// Every setting at its table default.
    fn default() -> Self {
        let mut params = Self {
            model: String::new(),
            depth: 0.0,
            width: 0.0,
            activation: String::new(),
            weight_scale: 0.0,
            bias_scale: 0.0,
            init: String::new(),
            dataset: String::new(),
            residual: String::new(),
            layer_norm: String::new(),
            task: String::new(),
            cell: String::new(),
            seq_len: 0.0,
            hidden: 0.0,
            recurrent_init: String::new(),
            recurrent_scale: 0.0,
            input_scale: 0.0,
            bptt: 0.0,
            readout: String::new(),
            text: String::new(),
            series: String::new(),
            layers: 0.0,
            d_model: 0.0,
            heads: 0.0,
            context: 0.0,
            norm: String::new(),
            batch: 0.0,
            learning_rate: 0.0,
            schedule: String::new(),
            warmup_steps: 0.0,
            decay_steps: 0.0,
            precision: String::new(),
            loss_scale: String::new(),
            static_scale: 0.0,
            clip_mode: String::new(),
            clip_threshold: 0.0,
            l1: 0.0,
            l2: 0.0,
            optimizer: String::new(),
            momentum: 0.0,
            alpha: 0.0,
            beta1: 0.0,
            beta2: 0.0,
            eps: 0.0,
            weight_decay: 0.0,
            seed: 0,
        };
        for setting in &SETTINGS {
            params.set(setting.field, setting.default_value());
        }
        params
    }
}

impl TrainParams {
    /// The recurrent cell these parameters name (vanilla where the name is missing or unknown,
    /// as `check` repairs it).
    pub fn cell(&self) -> Cell {
        Cell::from_name(&self.cell).unwrap_or_default()
    }

    /// Reads `text` into the setting whose link key is `key` (a link's parameter, a host
    /// page's message); ranges and names are checked later, by `repair`.
    pub fn set_by_key(&mut self, key: &str, text: &str) -> Result<(), KeyError> {
        let field = Field::from_key(key).ok_or(KeyError::Unknown)?;
        field
            .setting()
            .parse_into(self, text)
            .map_err(KeyError::Unreadable)
    }
}

/// Why [`TrainParams::set_by_key`] took nothing.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyError {
    /// No setting has that key.
    Unknown,
    /// The value does not read as the setting's kind; the words say why, naming the setting.
    Unreadable(String),
}

/// Where in [`TrainParams`] a setting lives.
pub enum Slot<'a> {
    /// A numeric setting's value.
    Number(&'a mut f64),
    /// A choice's name.
    Name(&'a mut String),
    /// The seed.
    Seed(&'a mut u64),
}

impl Setting {
    /// Whether this setting means something for `params`: its model, and the choice it goes
    /// with, if any.
    pub fn applies(&self, params: &TrainParams) -> bool {
        self.models.include(&params.model)
            && self
                .only_with
                .is_none_or(|(field, names)| match params.value(field) {
                    Value::Name(name) => names.iter().any(|n| n.eq_ignore_ascii_case(name.trim())),
                    _ => true,
                })
    }

    /// Reads `text` (from a link or a flag) into `params`; a number that does not parse is an
    /// error in words, naming the setting. Range and names are checked later, by `repair`.
    pub fn parse_into(&self, params: &mut TrainParams, text: &str) -> Result<(), String> {
        let text = text.trim();
        match params.slot(self.field) {
            Slot::Number(v) => {
                *v = text
                    .parse::<f64>()
                    .map_err(|_| format!("{} must be a number, not \"{text}\"", self.label))?;
            }
            Slot::Name(v) => *v = text.to_string(),
            Slot::Seed(v) => {
                *v = text.parse::<u64>().map_err(|_| {
                    format!(
                        "{} must be a whole number from 0 up, not \"{text}\"",
                        self.label
                    )
                })?;
            }
        }
        Ok(())
    }
}

impl TrainParams {
    /// The member of these parameters that holds `field` — the one place the two are tied.
    pub fn slot(&mut self, field: Field) -> Slot<'_> {
        match field {
            Field::Model => Slot::Name(&mut self.model),
            Field::Depth => Slot::Number(&mut self.depth),
            Field::Width => Slot::Number(&mut self.width),
            Field::Activation => Slot::Name(&mut self.activation),
            Field::WeightScale => Slot::Number(&mut self.weight_scale),
            Field::BiasScale => Slot::Number(&mut self.bias_scale),
            Field::Init => Slot::Name(&mut self.init),
            Field::Dataset => Slot::Name(&mut self.dataset),
            Field::Residual => Slot::Name(&mut self.residual),
            Field::LayerNorm => Slot::Name(&mut self.layer_norm),
            Field::Task => Slot::Name(&mut self.task),
            Field::Cell => Slot::Name(&mut self.cell),
            Field::SeqLen => Slot::Number(&mut self.seq_len),
            Field::Hidden => Slot::Number(&mut self.hidden),
            Field::RecurrentInit => Slot::Name(&mut self.recurrent_init),
            Field::RecurrentScale => Slot::Number(&mut self.recurrent_scale),
            Field::InputScale => Slot::Number(&mut self.input_scale),
            Field::Bptt => Slot::Number(&mut self.bptt),
            Field::Readout => Slot::Name(&mut self.readout),
            Field::Text => Slot::Name(&mut self.text),
            Field::Series => Slot::Name(&mut self.series),
            Field::Layers => Slot::Number(&mut self.layers),
            Field::DModel => Slot::Number(&mut self.d_model),
            Field::Heads => Slot::Number(&mut self.heads),
            Field::Context => Slot::Number(&mut self.context),
            Field::Norm => Slot::Name(&mut self.norm),
            Field::Batch => Slot::Number(&mut self.batch),
            Field::LearningRate => Slot::Number(&mut self.learning_rate),
            Field::Schedule => Slot::Name(&mut self.schedule),
            Field::WarmupSteps => Slot::Number(&mut self.warmup_steps),
            Field::DecaySteps => Slot::Number(&mut self.decay_steps),
            Field::Precision => Slot::Name(&mut self.precision),
            Field::LossScale => Slot::Name(&mut self.loss_scale),
            Field::StaticScale => Slot::Number(&mut self.static_scale),
            Field::ClipMode => Slot::Name(&mut self.clip_mode),
            Field::ClipThreshold => Slot::Number(&mut self.clip_threshold),
            Field::L1 => Slot::Number(&mut self.l1),
            Field::L2 => Slot::Number(&mut self.l2),
            Field::Optimizer => Slot::Name(&mut self.optimizer),
            Field::Momentum => Slot::Number(&mut self.momentum),
            Field::Alpha => Slot::Number(&mut self.alpha),
            Field::Beta1 => Slot::Number(&mut self.beta1),
            Field::Beta2 => Slot::Number(&mut self.beta2),
            Field::Eps => Slot::Number(&mut self.eps),
            Field::WeightDecay => Slot::Number(&mut self.weight_decay),
            Field::Seed => Slot::Seed(&mut self.seed),
        }
    }

    /// The value of `field`.
    pub fn value(&self, field: Field) -> Value {
        match self.clone().slot(field) {
            Slot::Number(v) => Value::Number(*v),
            Slot::Name(v) => Value::Name(std::mem::take(v)),
            Slot::Seed(v) => Value::Seed(*v),
        }
    }

    /// Sets `field` to `value` (a value of another kind is ignored).
    pub fn set(&mut self, field: Field, value: Value) {
        match (self.slot(field), value) {
            (Slot::Number(slot), Value::Number(v)) => *slot = v,
            (Slot::Name(slot), Value::Name(v)) => *slot = v,
            (Slot::Seed(slot), Value::Seed(v)) => *slot = v,
            _ => {}
        }
    }

    /// `(key, value text)` of every setting that applies to these parameters (their model,
    /// their optimizer), in table order: what a link or the runner's flags must say to
    /// reproduce the run.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        self.pairs_where(|s| s.applies(self))
    }

    /// `(key, value text)` of the settings `keep` picks, in table order (a compared run's
    /// link also keeps what applies only to run B, which follows A's value).
    pub fn pairs_where(&self, keep: impl Fn(&Setting) -> bool) -> Vec<(&'static str, String)> {
        SETTINGS
            .iter()
            .filter(|s| keep(s))
            .map(|s| (s.key, self.value(s.field).text()))
            .collect()
    }
}
