//! The model seam: which network a run trains, and everything that differs between kinds.
//!
//! [`ModelConfig`] is the one place that matches on the kind of model: it builds the network
//! and its data source, names the parameter groups (MLP: one per layer, `W_l` and `b_l`
//! together; RNN: `W_x`, `W_h`, `b`, `W_out`, `b_out`) and says what the **profile axis** is —
//! the axis along which the back-propagated error is measured (layers for the MLP, time steps
//! for the RNN). The trainer, clipping, the optimizer, the statistics, the worker and the page
//! read that description and never match on the kind themselves.

use super::activation::Activation;
use super::cell::Cell;
use super::data::{Dataset, DatasetKind};
use super::init::Init;
use super::language::{Corpus, TextSource};
use super::mlp::{Architecture, Mlp, MlpShape};
use super::network::Network;
use super::own_series::{OwnSeries, SeriesSource};
use super::rng::{stream_rng, Stream};
use super::rnn::{Readout, Rnn, RnnInit, RnnShape, GROUP_NAMES, RECURRENT_GROUP};
use super::sequence::{SeriesShape, Task};
use super::transformer::{Norm, Transformer, TransformerShape};
use ndarray::Array2;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// A feed-forward network's shape and data.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Hidden layers, 1..=[`MAX_DEPTH`](super::settings::MAX_DEPTH).
    pub depth: usize,
    /// Units per hidden layer, 1..=[`MAX_WIDTH`](super::settings::MAX_WIDTH).
    pub width: usize,
    /// Initial weight and bias scales.
    pub init: Init,
    /// The data set.
    pub dataset: DatasetKind,
    /// Residual connections and LayerNorm.
    #[serde(default)]
    pub architecture: Architecture,
}

/// A recurrent network's shape and task.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RnnConfig {
    /// The sequence task.
    pub task: Task,
    /// The recurrent cell (links from before gated cells have none: vanilla).
    #[serde(default)]
    pub cell: Cell,
    /// Time steps T.
    pub steps: usize,
    /// Hidden units H.
    pub hidden: usize,
    /// Initial weights.
    pub init: RnnInit,
    /// Where the readout reads.
    pub readout: Readout,
    /// Truncated BPTT length (0 = full).
    pub truncation: usize,
    /// The language model's text (links from before own texts have none: the shipped one).
    #[serde(default)]
    pub text: TextSource,
    /// The series task's series (links from before own series have none: the sines).
    #[serde(default)]
    pub series: SeriesSource,
}

/// A Transformer's shape and task (see [`transformer`](super::transformer)).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransformerConfig {
    /// The sequence task (the RNN's tasks, at T = `context`).
    pub task: Task,
    /// Blocks.
    pub layers: usize,
    /// Width of the residual stream d.
    pub d_model: usize,
    /// Attention heads (dividing d).
    pub heads: usize,
    /// Positions T.
    pub context: usize,
    /// Where the LayerNorms sit.
    pub norm: Norm,
    /// σ of the initial weights.
    pub weight_scale: f64,
    /// Which positions are scored.
    pub readout: Readout,
    /// The language model's text.
    pub text: TextSource,
    /// The series task's series.
    pub series: SeriesSource,
}

impl TransformerConfig {
    /// Its sizes.
    pub fn shape(&self) -> TransformerShape {
        TransformerShape {
            input_dim: self.task.input_dim(),
            output_dim: self.task.output_dim(),
            layers: self.layers,
            d_model: self.d_model,
            heads: self.heads,
            context: self.context,
        }
    }
}

/// What a reader brought, each used where the settings ask for it (`text=own` for the language
/// model, `series=own` for the series task); kept by the worker for every run it builds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OwnData {
    /// Their text, folded.
    pub text: Option<Corpus>,
    /// Their series, normalised.
    pub series: Option<OwnSeries>,
    /// Their labelled points, scaled.
    pub points: Option<Dataset>,
}

impl MlpConfig {
    /// The widths of its layers.
    pub fn shape(&self) -> MlpShape {
        MlpShape {
            input_dim: self.dataset.input_dim(),
            depth: self.depth,
            width: self.width,
            output_dim: 1,
        }
    }

    /// Its parameter groups' names: `layer 1` … `layer L`, then with LayerNorm `LN γ 1`,
    /// `LN β 1`, … for each hidden layer.
    pub fn group_names(&self) -> Vec<String> {
        let layers = (1..=self.depth + 1).map(|l| format!("layer {l}"));
        let norms = (1..=self.depth)
            .filter(|_| self.architecture.layer_norm)
            .flat_map(|l| [format!("LN γ {l}"), format!("LN β {l}")]);
        layers.chain(norms).collect()
    }
}

impl RnnConfig {
    /// The earliest time step (0-based) the error reaches by design: read out from the last
    /// state with truncated BPTT (k > 0), none flows before the last block of k steps — a zero
    /// there is the truncation's, not a vanishing gradient. 0 otherwise.
    pub fn first_step_reached(&self) -> usize {
        match (self.truncation, self.readout) {
            (k, Readout::Last) if k > 0 => self.steps.saturating_sub(k),
            _ => 0,
        }
    }

    /// Its sizes.
    pub fn shape(&self) -> RnnShape {
        RnnShape {
            input_dim: self.task.input_dim(),
            hidden: self.hidden,
            output_dim: self.task.output_dim(),
            steps: self.steps,
        }
    }
}

/// Which network a run trains.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ModelConfig {
    /// A feed-forward network on a toy data set.
    Mlp(MlpConfig),
    /// A vanilla RNN on a sequence task.
    Rnn(RnnConfig),
    /// A decoder-only Transformer on a sequence task.
    Transformer(TransformerConfig),
}

/// What the back-propagated error is measured along.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileAxis {
    /// ‖δ_l‖ per weight layer, input side first.
    #[default]
    Layers,
    /// ‖∂L/∂h_t‖ per time step, earliest first.
    TimeSteps,
    /// ‖∂L/∂x_l‖ on the residual stream entering each Transformer block, earliest first.
    Blocks,
}

/// What the page and the statistics need to know of a model, sent with `Configured`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelDescription {
    /// The parameter groups' names, in order.
    pub group_names: Vec<String>,
    /// The profile's axis.
    pub axis: ProfileAxis,
    /// Points on it (layers, or time steps).
    pub profile_len: usize,
    /// The index of the square recurrent matrix among the groups, for a vanilla RNN (whose
    /// λ₁ the page gauges; a gated cell's stacked `W_h` is `[H, G·H]` and has no such
    /// single λ₁).
    pub recurrent_group: Option<usize>,
    /// The task's baseline loss (the best loss that remembers nothing), where known.
    pub baseline: Option<f64>,
    /// Whether it is a language model, which writes text (the page shows its samples, and
    /// its loss in bits per character).
    pub writes_text: bool,
    /// The groups that are one vector and no matrix (an RNN's biases, LayerNorm's γ and β),
    /// in order: the statistics' weight-only numbers (‖W‖, ‖ΔW‖ and their ratio) are 0 for
    /// them by definition, and the page shows "—" there instead.
    pub vector_groups: Vec<usize>,
}

/// Where a run's batches come from.
#[derive(Clone, Debug)]
pub enum DataSource {
    /// A fixed data set of points, sampled without replacement per batch.
    Points(Dataset),
    /// Fresh sequences every batch.
    Sequences {
        /// The task.
        task: Task,
        /// The series' shape (used by the series task).
        series: SeriesShape,
        /// Time steps.
        steps: usize,
        /// Whether targets are for every step or the last.
        readout: Readout,
        /// The language model's text (the shipped one for every other task).
        corpus: Corpus,
        /// The series task's own series, when the settings ask for it and it fits.
        own_series: Option<OwnSeries>,
    },
}

/// A sequence model's data: task, time steps, readout, text and series sources.
type SequenceData = (Task, usize, Readout, TextSource, SeriesSource);

impl DataSource {
    /// A sequence task's source: the language model's windows from `own.text` when the settings
    /// say `text = own` and there is one (else the shipped text), the series task's from
    /// `own.series` when it says `series = own` and the series fits the windows.
    fn sequences<R: Rng + ?Sized>(
        (task, steps, readout, text, series): SequenceData,
        own: &OwnData,
        data_rng: &mut R,
    ) -> Self {
        let corpus = match (task, text, &own.text) {
            (Task::Language, TextSource::Own, Some(text)) => text.clone(),
            _ => Corpus::shipped(),
        };
        let own_series = match (task, series, &own.series) {
            (Task::Series, SeriesSource::Own, Some(s)) if s.fits(steps) => Some(s.clone()),
            _ => None,
        };
        Self::Sequences {
            task,
            series: SeriesShape::draw(data_rng),
            steps,
            readout,
            corpus,
            own_series,
        }
    }

    /// One batch of `size` examples: `(x, y)` in the network's layout.
    pub fn batch<R: Rng + ?Sized>(&self, size: usize, rng: &mut R) -> (Array2<f32>, Array2<f32>) {
        match self {
            Self::Points(data) => data.sample_batch(size, rng),
            Self::Sequences {
                task,
                series,
                steps,
                readout,
                corpus,
                own_series,
            } => task.batch_of(
                series,
                corpus,
                own_series.as_ref(),
                *steps,
                size,
                *readout,
                rng,
            ),
        }
    }
}

impl ModelConfig {
    /// A fresh network with weights drawn from `seed`'s init stream, and its data source
    /// (from the data stream).
    pub fn build(&self, activation: Activation, seed: u64) -> (Box<dyn Network<f32>>, DataSource) {
        self.build_with(activation, seed, &OwnData::default())
    }

    /// The same, a language model with `text = own` drawing its windows from `own.text`, the
    /// series task with `series = own` from `own.series` (the shipped text or the sines when
    /// there is none, or the series is too short for the run's windows).
    pub fn build_with(
        &self,
        activation: Activation,
        seed: u64,
        own: &OwnData,
    ) -> (Box<dyn Network<f32>>, DataSource) {
        let mut init_rng = stream_rng(seed, Stream::Init);
        let mut data_rng = stream_rng(seed, Stream::Data);
        match self {
            Self::Mlp(m) => {
                let data = match (m.dataset, &own.points) {
                    (DatasetKind::Own, Some(points)) => points.clone(),
                    _ => Dataset::generate(m.dataset, &mut data_rng),
                };
                let net = Mlp::<f32>::with_architecture(
                    m.shape(),
                    activation,
                    m.init,
                    m.architecture,
                    &mut init_rng,
                );
                (Box::new(net), DataSource::Points(data))
            }
            Self::Rnn(r) => {
                let shape = r.shape();
                let net = Rnn::<f32> {
                    groups: r.init.draw(shape, r.cell, &mut init_rng),
                    shape,
                    cell: r.cell,
                    activation,
                    readout: r.readout,
                    loss: r.task.loss(),
                    truncation: r.truncation,
                };
                let source = DataSource::sequences(
                    (r.task, r.steps, r.readout, r.text, r.series),
                    own,
                    &mut data_rng,
                );
                (Box::new(net), source)
            }
            Self::Transformer(t) => {
                let net = Transformer::<f32>::new(
                    t.shape(),
                    t.norm,
                    t.task.loss(),
                    t.readout,
                    t.weight_scale,
                    &mut init_rng,
                );
                let source = DataSource::sequences(
                    (t.task, t.context, t.readout, t.text, t.series),
                    own,
                    &mut data_rng,
                );
                (Box::new(net), source)
            }
        }
    }

    /// The description the page draws from.
    pub fn describe(&self) -> ModelDescription {
        match self {
            Self::Mlp(m) => {
                let group_names = m.group_names();
                ModelDescription {
                    // γ and β of each hidden layer, after the weight layers.
                    vector_groups: (m.depth + 1..group_names.len()).collect(),
                    group_names,
                    axis: ProfileAxis::Layers,
                    profile_len: m.depth + 1,
                    recurrent_group: None,
                    baseline: None,
                    writes_text: false,
                }
            }
            Self::Rnn(r) => ModelDescription {
                group_names: GROUP_NAMES.iter().map(|n| n.to_string()).collect(),
                axis: ProfileAxis::TimeSteps,
                profile_len: r.steps,
                recurrent_group: (r.cell == Cell::Vanilla).then_some(RECURRENT_GROUP),
                baseline: r.task.baseline(r.steps, r.readout),
                writes_text: r.task == Task::Language,
                vector_groups: crate::rnn::VECTOR_GROUPS.to_vec(),
            },
            Self::Transformer(t) => {
                // Names and shapes from one list: a vector group has no matrix rows.
                let dims = t.shape().group_dims(t.norm);
                ModelDescription {
                    group_names: dims.iter().map(|(name, ..)| name.clone()).collect(),
                    axis: ProfileAxis::Blocks,
                    profile_len: t.layers,
                    recurrent_group: None,
                    baseline: t.task.baseline(t.context, t.readout),
                    writes_text: t.task == Task::Language,
                    vector_groups: (dims.iter().enumerate())
                        .filter(|(_, (_, (rows, _), _))| *rows == 0)
                        .map(|(g, _)| g)
                        .collect(),
                }
            }
        }
    }

    /// Parameter groups.
    pub fn group_count(&self) -> usize {
        match self {
            Self::Mlp(m) => m.group_names().len(),
            Self::Rnn(_) => GROUP_NAMES.len(),
            Self::Transformer(t) => t.shape().group_names(t.norm).len(),
        }
    }

    /// The feed-forward configuration, if this is one.
    pub fn as_mlp(&self) -> Option<&MlpConfig> {
        match self {
            Self::Mlp(m) => Some(m),
            _ => None,
        }
    }

    /// The recurrent configuration, if this is one.
    pub fn as_rnn(&self) -> Option<&RnnConfig> {
        match self {
            Self::Rnn(r) => Some(r),
            _ => None,
        }
    }

    /// A sequence model's time steps (the RNN's T, the Transformer's context); `None` for the
    /// MLP.
    pub fn sequence_steps(&self) -> Option<usize> {
        match self {
            Self::Mlp(_) => None,
            Self::Rnn(r) => Some(r.steps),
            Self::Transformer(t) => Some(t.context),
        }
    }

    /// A sequence model's task and text and series sources; `None` for the MLP.
    fn sequence_sources(&self) -> Option<(Task, TextSource, SeriesSource)> {
        match self {
            Self::Mlp(_) => None,
            Self::Rnn(r) => Some((r.task, r.text, r.series)),
            Self::Transformer(t) => Some((t.task, t.text, t.series)),
        }
    }

    /// Whether its settings ask for a reader's own text: a sequence model's language task with
    /// `text = own`.
    pub fn wants_own_text(&self) -> bool {
        matches!(
            self.sequence_sources(),
            Some((Task::Language, TextSource::Own, _))
        )
    }

    /// Whether they ask for a reader's own series: the series task with `series = own`.
    pub fn wants_own_series(&self) -> bool {
        matches!(
            self.sequence_sources(),
            Some((Task::Series, _, SeriesSource::Own))
        )
    }

    /// Whether they ask for a reader's own points: the MLP with `dataset = own`.
    pub fn wants_own_points(&self) -> bool {
        self.as_mlp().is_some_and(|m| m.dataset == DatasetKind::Own)
    }

    /// The Transformer's configuration, if this is one.
    pub fn as_transformer(&self) -> Option<&TransformerConfig> {
        match self {
            Self::Transformer(t) => Some(t),
            _ => None,
        }
    }
}
