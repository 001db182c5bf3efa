//! The trainer: owns one run (config, network, data, batch order, optimizer) and steps it.
//!
//! One step: draw a batch → forward/backward → measure → clip → update → check for NaN/Inf.
//! A step that produces a non-finite number is reported like any other (its [`StepStats`] carry
//! a [`NonFinite`]); after it the trainer is *diverged* and refuses to step until
//! [`Trainer::reset`] or a rebuilding [`Trainer::apply`]. Under loss scaling (see
//! [`precision`](super::precision)) a step whose gradients hold an inf or NaN is *skipped*
//! instead — no clipping, no update, the weights as they were — and training goes on.

use super::clip::{self, clip_gradients, ClipMode};
use super::config::{LiveConfig, TrainConfig};
use super::group::ParamGroup;
use super::language;
use super::model::{DataSource, ModelDescription, OwnData, ProfileAxis};
use super::network::{Backprop, Network, Pass};
use super::optim::{Optimizer, UpdateNorms};
use super::precision::{GradScaler, LossScaleKind, ValueRange};
use super::rng::{stream_rng, Stream};
use super::spectral::{largest_singular_value, spectral_radius};
use super::stats::{NonFinite, Quantity, StepStats};
use ndarray::Array2;
use rand::rngs::StdRng;

/// The trainer refused to step because an earlier step diverged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Diverged(pub NonFinite);

impl std::fmt::Display for Diverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "training {}; reset to train again", self.0)
    }
}

impl std::error::Error for Diverged {}

/// What [`Trainer::apply`] had to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Only live settings changed: training continues from the current weights.
    Live,
    /// Only live settings changed, among them the kind of optimizer: training continues from
    /// the current weights, and the optimizer's state (step count, moments) starts from zero,
    /// since one rule's moments mean nothing to another.
    OptimizerReset,
    /// The network was rebuilt from step 0.
    Rebuilt,
}

/// Everything one step saw, for dumping and for checking against an independent
/// implementation.
#[derive(Clone, Debug)]
pub struct StepTrace {
    /// The batch inputs, `[batch, input_dim]` (an RNN's: time-major, `[T·batch, d]`).
    pub x: Array2<f32>,
    /// The batch targets (an RNN's: `[batch, ·]` or time-major `[T·batch, ·]`).
    pub y: Array2<f32>,
    /// The loss (data term plus penalty).
    pub loss: f32,
    /// The parameters before this step's update.
    pub groups_before: Vec<ParamGroup<f32>>,
    /// The raw, unclipped gradients.
    pub grads: Vec<ParamGroup<f32>>,
}

/// One training run.
pub struct Trainer {
    /// The reader's own data, each used while the configuration asks for it.
    own: OwnData,
    config: TrainConfig,
    network: Box<dyn Network<f32>>,
    data: DataSource,
    description: ModelDescription,
    batch_rng: StdRng,
    optimizer: Optimizer<f32>,
    next_step: u64,
    diverged: Option<NonFinite>,
    /// The dynamic loss scale (used under [`LossScaleKind::Dynamic`]).
    scaler: GradScaler,
    /// Where the gradients of the step measured last fell, as the backward pass held them
    /// (scaled, in the compute format).
    gradient_range: ValueRange,
    /// Whether the next step measures its gradients' range.
    range_wanted: bool,
}

impl Trainer {
    /// A fresh run of `config`: data, weights and batch order all from its seed.
    pub fn new(config: TrainConfig) -> Self {
        Self::with_data(config, OwnData::default())
    }

    /// The same, with the reader's own data: a language model with `text = own` trains on
    /// `own.text`, the series task with `series = own` on `own.series` (the shipped text or the
    /// sines when there is none, or the series is too short: the caller tells the reader). The
    /// data is kept for resets and rebuilds.
    pub fn with_data(config: TrainConfig, own: OwnData) -> Self {
        let net = &config.net;
        let (network, data) = net.model.build_with(net.activation, net.seed, &own);
        let mut description = net.model.describe();
        match &data {
            // A data set of points has its baseline in its targets: the best constant prediction.
            DataSource::Points(points) if description.baseline.is_none() => {
                description.baseline = Some(points.constant_prediction_loss());
            }
            // A language model's is its own text's unigram entropy.
            DataSource::Sequences { corpus, .. } if description.writes_text => {
                description.baseline = Some(corpus.unigram_entropy());
            }
            _ => {}
        }
        Self {
            own,
            config,
            network,
            data,
            description,
            batch_rng: stream_rng(net.seed, Stream::Batches),
            optimizer: Optimizer::new(),
            next_step: 0,
            diverged: None,
            scaler: GradScaler::new(),
            gradient_range: ValueRange::default(),
            range_wanted: false,
        }
    }

    /// Asks the next step to count where its gradients fall (a pass over every gradient: a
    /// fifth of a small net's step, so the worker asks once per chunk, not every step).
    pub fn measure_gradient_range(&mut self) {
        self.range_wanted = true;
    }

    /// Where the gradients of the step measured last ([`Trainer::measure_gradient_range`])
    /// fell on the number line, before they were unscaled (empty before any).
    pub fn gradient_range(&self) -> &ValueRange {
        &self.gradient_range
    }

    /// The loss scale S the next step will use (1 without loss scaling).
    pub fn loss_scale(&self) -> f64 {
        let mixed = self.config.live.mixed;
        match mixed.loss_scale {
            LossScaleKind::None => 1.0,
            LossScaleKind::Static => mixed.static_scale,
            LossScaleKind::Dynamic => f64::from(self.scaler.scale()),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Steps taken since the run (re)started; also the index of the next step.
    pub fn step_count(&self) -> u64 {
        self.next_step
    }

    /// Where training diverged, if it has.
    pub fn diverged(&self) -> Option<NonFinite> {
        self.diverged
    }

    /// The network being trained.
    pub fn network(&self) -> &dyn Network<f32> {
        self.network.as_ref()
    }

    /// What the model is: its groups' names and its profile axis.
    pub fn description(&self) -> &ModelDescription {
        &self.description
    }

    /// Where parameter group `g` sits for a divergence message: an MLP's LayerNorm groups
    /// (γ and β per hidden layer, after the weight layers) belong to the hidden layer they
    /// normalize, so "layer l" always names a layer the network has; an RNN's groups are
    /// named by their index as they are; a Transformer's belong to their block.
    fn profile_place(&self, g: usize) -> usize {
        let weight_layers = self.description.profile_len;
        match (
            self.description.axis,
            self.config.net.model.as_transformer(),
        ) {
            (ProfileAxis::Layers, _) if g >= weight_layers => (g - weight_layers) / 2,
            (ProfileAxis::Blocks, Some(t)) => t.shape().block_of_group(t.norm, g),
            _ => g,
        }
    }

    /// Time steps of an RNN's profile (0 for an MLP, whose profile is per layer).
    pub fn time_steps(&self) -> usize {
        match self.description.axis {
            ProfileAxis::TimeSteps => self.description.profile_len,
            ProfileAxis::Layers | ProfileAxis::Blocks => 0,
        }
    }

    /// Number of parameter groups (an MLP's weight layers: depth + 1).
    pub fn group_count(&self) -> usize {
        self.network.groups().len()
    }

    /// The recurrent matrix's largest singular value λ₁ and spectral radius ρ, for an RNN
    /// (computed on demand: once per chunk in the worker, not every step).
    pub fn recurrent_spectrum(&self) -> Option<(f64, f64)> {
        let w_h = &self.network.groups()[self.description.recurrent_group?].w;
        Some((largest_singular_value(w_h), spectral_radius(w_h)))
    }

    /// Whether the model is a language model (it can write samples).
    pub fn writes_text(&self) -> bool {
        self.description.writes_text
    }

    /// For a language model, `length` characters written by the current weights (see
    /// [`language::sample`]): drawn from the run's own sample stream keyed by the step count,
    /// so the same run shows the same sample at the same step, and drawing one never changes
    /// training. `None` for other tasks, or once the weights are not finite.
    pub fn language_sample(&self, length: usize) -> Option<String> {
        if !self.writes_text() {
            return None;
        }
        let key = self.config.net.seed ^ self.next_step.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = stream_rng(key, Stream::Samples);
        match self.config.net.model.as_rnn() {
            Some(rnn) => language::sample(
                self.network.groups(),
                rnn.cell,
                self.config.net.activation,
                length,
                language::SAMPLE_TEMPERATURE,
                &mut rng,
            ),
            None => self
                .network
                .write(length, language::SAMPLE_TEMPERATURE, &mut rng),
        }
    }

    /// Starts the run over from step 0 with the same configuration.
    pub fn reset(&mut self) {
        *self = Self::with_data(self.config, std::mem::take(&mut self.own));
    }

    /// The share of a sample's whole words that are words of the text this run trains on.
    pub fn known_word_share(&self, sample: &str) -> f64 {
        match &self.data {
            DataSource::Sequences { corpus, .. } => corpus.known_word_share(sample),
            DataSource::Points(_) => 0.0,
        }
    }

    /// Keeps `own` for this run and every rebuild of it; a run that trains (or asks to train)
    /// on data of the reader's that changed starts over on it (returns true), any other run is
    /// untouched.
    pub fn set_own_data(&mut self, own: OwnData) -> bool {
        let model = &self.config.net.model;
        let wants = (model.wants_own_text() && own.text != self.own.text)
            || (model.wants_own_series() && own.series != self.own.series)
            || (model.wants_own_points() && own.points != self.own.points);
        self.own = own;
        if wants {
            self.reset();
        }
        wants
    }

    /// Whether this run fits the reader's own points.
    pub fn uses_own_points(&self) -> bool {
        self.own.points.is_some() && self.config.net.model.wants_own_points()
    }

    /// Whether this run trains on the reader's own series.
    pub fn uses_own_series(&self) -> bool {
        matches!(
            &self.data,
            DataSource::Sequences {
                own_series: Some(_),
                ..
            }
        )
    }

    /// Whether this run trains on a reader's own text.
    pub fn uses_own_text(&self) -> bool {
        self.own.text.is_some() && self.config.net.model.wants_own_text()
    }

    /// Switches to `config`: live settings (batch, learning rate, clipping, L1/L2, the
    /// optimizer) take effect at the next step; any other change rebuilds the run.
    pub fn apply(&mut self, config: TrainConfig) -> Applied {
        if config.net == self.config.net {
            self.set_live(config.live)
        } else {
            *self = Self::with_data(config, std::mem::take(&mut self.own));
            Applied::Rebuilt
        }
    }

    /// Changes the live settings between two steps, keeping the weights. A different kind of
    /// optimizer starts its state over ([`Applied::OptimizerReset`]); a hyperparameter of the
    /// same kind keeps it, as changing a PyTorch param group's `lr` or `betas` does.
    pub fn set_live(&mut self, live: LiveConfig) -> Applied {
        let kind_changed = live.optimizer.kind != self.config.live.optimizer.kind;
        if live.mixed.loss_scale != self.config.live.mixed.loss_scale {
            // A scaler made anew, as a script that starts using one creates it.
            self.scaler = GradScaler::new();
        }
        self.config.live = live;
        if kind_changed {
            self.optimizer = Optimizer::new();
            Applied::OptimizerReset
        } else {
            Applied::Live
        }
    }

    /// Takes one step.
    pub fn step(&mut self) -> Result<StepStats, Diverged> {
        self.step_inner(false).map(|(stats, _)| stats)
    }

    /// Takes one step and also returns what it saw.
    pub fn step_traced(&mut self) -> Result<(StepStats, StepTrace), Diverged> {
        self.step_inner(true)
            .map(|(stats, trace)| (stats, trace.expect("trace requested")))
    }

    fn step_inner(&mut self, keep_trace: bool) -> Result<(StepStats, Option<StepTrace>), Diverged> {
        if let Some(at) = self.diverged {
            return Err(Diverged(at));
        }
        let step = self.next_step;
        let live = self.config.live;
        let (x, y) = self.data.batch(live.batch, &mut self.batch_rng);
        let loss_scale = self.loss_scale();
        let pass = Pass {
            error_clip: None,
            precision: live.mixed.precision,
            loss_scale,
        };
        let mut backprop = self
            .network
            .backprop_with(x.view(), y.view(), &live.penalty, &pass);
        if std::mem::take(&mut self.range_wanted) {
            self.gradient_range = ValueRange::of(&backprop.grads);
        }
        unscale(&mut backprop, loss_scale);
        // Backward clipping: a second pass with the errors clamped on the way back; the first,
        // true gradient stays for the statistics (norms before, cosine).
        let tempered = (live.clip.mode == ClipMode::Backward).then(|| {
            let clamped = Pass {
                error_clip: Some(live.clip.threshold),
                ..pass
            };
            let mut tempered =
                self.network
                    .backprop_with(x.view(), y.view(), &live.penalty, &clamped);
            unscale(&mut tempered, loss_scale);
            tempered
        });

        let groups = self.network.groups();
        let grad_norms: Vec<f64> = backprop.grads.iter().map(|g| g.norm_sq().sqrt()).collect();
        // Under loss scaling an inf or NaN gradient skips the step (GradScaler's found_inf).
        let scaling = live.mixed.loss_scale != LossScaleKind::None;
        let found_inf = scaling && grad_norms.iter().any(|n| !n.is_finite());
        if live.mixed.loss_scale == LossScaleKind::Dynamic {
            self.scaler.update(found_inf);
        }
        let trace = keep_trace.then(|| StepTrace {
            x,
            y,
            loss: backprop.loss,
            groups_before: groups.to_vec(),
            grads: backprop.grads.clone(),
        });

        let learning_rate = live.schedule.rate(live.learning_rate, step);
        if found_inf {
            self.next_step += 1;
            let stats = skipped_step(
                step,
                &backprop,
                grad_norms,
                groups,
                loss_scale,
                learning_rate,
                self.description.axis,
            );
            return Ok((stats, trace));
        }
        let clip = match tempered {
            Some(tempered) => {
                let outcome = clip::between(&backprop.grads, &tempered.grads, &grad_norms);
                backprop.grads = tempered.grads;
                backprop.delta_norms = tempered.delta_norms;
                backprop.cell_norms = tempered.cell_norms;
                outcome
            }
            None => clip_gradients(&mut backprop.grads, live.clip, &grad_norms),
        };
        let updates = self.optimizer.apply(
            self.network.groups_mut(),
            &backprop.grads,
            learning_rate,
            &live.optimizer,
        );
        let weight_norms = updates.iter().map(|u| u.weight_before).collect();
        let update_norms = updates.iter().map(|u| u.delta).collect();
        let update_ratios = updates
            .iter()
            .map(|u| update_ratio(u.delta, u.weight_before))
            .collect();

        // Report the earliest thing that went wrong, in the order the step computes them.
        let non_finite = backprop
            .first_non_finite_activation
            .map(|l| (Quantity::Activation, Some(l)))
            .or_else(|| (!backprop.loss.is_finite()).then_some((Quantity::Loss, None)))
            .or_else(|| {
                // Backprop runs output → input: the overflow started at the highest such layer.
                grad_norms
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| !n.is_finite())
                    .map(|(g, _)| self.profile_place(g))
                    .max()
                    .map(|l| (Quantity::Gradient, Some(l)))
            })
            .or_else(|| {
                updates
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| !u.finite_after)
                    .map(|(g, _)| self.profile_place(g))
                    .min()
                    .map(|l| (Quantity::Weights, Some(l)))
            })
            .map(|(quantity, layer)| NonFinite {
                step,
                layer,
                quantity,
                axis: self.description.axis,
            });

        self.next_step += 1;
        self.diverged = non_finite;
        // The profile is ‖δ_l‖ per layer or ‖∂L/∂h_t‖ per time step, as the model says.
        let (delta_norms, time_norms, block_norms) =
            split_profile(self.description.axis, backprop.delta_norms);
        let stats = StepStats {
            step,
            loss: f64::from(backprop.loss),
            grad_norms,
            grad_norms_clipped: clip.norms_after,
            delta_norms,
            time_norms,
            block_norms,
            attn_logit_max: backprop.attn_logit_max,
            attn_entropy: backprop.attn_entropy,
            cell_norms: backprop.cell_norms,
            weight_norms,
            update_ratios,
            update_norms,
            global_norm: clip.global_before,
            global_norm_clipped: clip.global_after,
            clip_scale: clip.scale,
            clipped: clip.clipped,
            cos_pre_post: clip.cosine,
            learning_rate,
            loss_scale,
            skipped: false,
            non_finite,
        };
        Ok((stats, trace))
    }
}

/// The pass's profile as the statistics name it: `(delta_norms, time_norms, block_norms)`,
/// one of them filled as the model's axis says.
fn split_profile(axis: ProfileAxis, profile: Vec<f64>) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    match axis {
        ProfileAxis::Layers => (profile, Vec::new(), Vec::new()),
        ProfileAxis::TimeSteps => (Vec::new(), profile, Vec::new()),
        ProfileAxis::Blocks => (Vec::new(), Vec::new(), profile),
    }
}

/// Divides a scaled pass's gradients by S in f32 (as `scaler.unscale_` multiplies them by the
/// f32 reciprocal) and its error norms by S; nothing when S = 1.
fn unscale(backprop: &mut Backprop<f32>, loss_scale: f64) {
    if loss_scale == 1.0 {
        return;
    }
    let inverse = (1.0 / loss_scale) as f32;
    for group in &mut backprop.grads {
        group.w *= inverse;
        group.b *= inverse;
    }
    for norm in backprop
        .delta_norms
        .iter_mut()
        .chain(&mut backprop.cell_norms)
    {
        *norm /= loss_scale;
    }
}

/// The statistics of a step skipped for an inf or NaN gradient: its gradients as they came,
/// nothing clipped, nothing moved.
fn skipped_step(
    step: u64,
    backprop: &Backprop<f32>,
    grad_norms: Vec<f64>,
    groups: &[ParamGroup<f32>],
    loss_scale: f64,
    learning_rate: f64,
    axis: ProfileAxis,
) -> StepStats {
    let global = clip::norm_of(&grad_norms);
    let still: Vec<UpdateNorms> = groups
        .iter()
        .map(|g| UpdateNorms {
            weight_before: g.norm_sq().sqrt(),
            delta: 0.0,
            finite_after: true,
        })
        .collect();
    let (delta_norms, time_norms, block_norms) = split_profile(axis, backprop.delta_norms.clone());
    StepStats {
        step,
        loss: f64::from(backprop.loss),
        grad_norms_clipped: grad_norms.clone(),
        grad_norms,
        delta_norms,
        time_norms,
        block_norms,
        attn_logit_max: backprop.attn_logit_max.clone(),
        attn_entropy: backprop.attn_entropy.clone(),
        cell_norms: backprop.cell_norms.clone(),
        weight_norms: still.iter().map(|u| u.weight_before).collect(),
        update_ratios: vec![0.0; still.len()],
        update_norms: vec![0.0; still.len()],
        global_norm: global,
        global_norm_clipped: global,
        clip_scale: 1.0,
        clipped: false,
        cos_pre_post: 1.0,
        learning_rate,
        loss_scale,
        skipped: true,
        non_finite: None,
    }
}

/// ‖ΔW‖ / ‖W‖ (documented on [`StepStats::update_ratios`]): for all-zero weights 0 if nothing
/// moved and +∞ if they moved off zero; NaN whenever either norm is NaN.
fn update_ratio(delta: f64, weight: f64) -> f64 {
    if weight != 0.0 || delta.is_nan() {
        delta / weight
    } else if delta == 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TrainParams;

    #[test]
    fn update_ratio_matches_its_documentation() {
        assert_eq!(update_ratio(1.0, 4.0), 0.25);
        assert_eq!(update_ratio(0.0, 0.0), 0.0);
        assert_eq!(update_ratio(0.5, 0.0), f64::INFINITY);
        assert!(update_ratio(f64::NAN, 0.0).is_nan());
        assert!(update_ratio(f64::NAN, 2.0).is_nan());
        assert!(update_ratio(1.0, f64::NAN).is_nan());
    }

    /// The description's vector groups are exactly the network's groups with no matrix, for
    /// an MLP with LayerNorm, an RNN and a Transformer with each LayerNorm placement.
    #[test]
    fn vector_groups_are_the_groups_without_a_matrix() {
        let transformer = |norm: &str| TrainParams {
            model: "transformer".into(),
            task: "copy".into(),
            layers: 2.0,
            d_model: 16.0,
            heads: 2.0,
            context: 8.0,
            norm: norm.into(),
            ..TrainParams::default()
        };
        for params in [
            TrainParams {
                depth: 3.0,
                layer_norm: "on".into(),
                ..TrainParams::default()
            },
            TrainParams {
                model: "rnn".into(),
                ..TrainParams::default()
            },
            transformer("pre"),
            transformer("post"),
            transformer("none"),
        ] {
            let trainer = Trainer::new(params.check().unwrap());
            let without_matrix: Vec<usize> = (trainer.network().groups().iter().enumerate())
                .filter(|(_, g)| g.w.is_empty())
                .map(|(i, _)| i)
                .collect();
            assert_eq!(trainer.description().vector_groups, without_matrix);
        }
    }

    /// σ = 0: every weight starts at zero. The biases (σ_b = 0.5) make each hidden output
    /// nonzero, so the output layer's weights get a gradient and move off zero (ratio +∞);
    /// every earlier layer's δ passed through an all-zero W, so it did not move (ratio 0).
    #[test]
    fn zero_weights_give_zero_or_infinite_ratios() {
        let config = TrainParams {
            weight_scale: 0.0,
            bias_scale: 0.5,
            depth: 3.0,
            ..TrainParams::default()
        }
        .check()
        .unwrap();
        let stats = Trainer::new(config).step().unwrap();
        assert!(stats.weight_norms.iter().all(|&w| w == 0.0));
        assert!(stats
            .update_ratios
            .iter()
            .all(|&r| r == 0.0 || r == f64::INFINITY));
        assert!(stats.update_ratios.contains(&f64::INFINITY));
    }
}
