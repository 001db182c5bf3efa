//! What each chart shows, computed from the session and the run's settings: the runs the
//! scales follow, the per-layer (or per-time-step) bars with their theory line, and the bars'
//! unit. Plain data, drawn by the painter.

use super::state::{BarsQuantity, Session, Trace};
use crate::charts::layer_bars::LayerBars;
use crate::charts::Unit;
use crate::engine::rnn::RecurrentInit;
use crate::engine::theory::MeanField;
use crate::engine::{ClipMode, TrainConfig};

/// The common rule of thumb for a healthy update: ‖ΔW‖/‖W‖ around 10⁻³ (drawn in that view).
const UPDATE_RATIO_RULE: f64 = 1e-3;

/// The runs the charts' scales follow: those still training — a run that overflowed would
/// squash the other's numbers against the floor; its own are clamped at the top — or every run
/// once all have diverged.
/// Only the first `count` runs are considered.
pub fn live_runs(session: &Session, count: usize) -> Vec<usize> {
    let count = count.min(session.traces.len());
    let live: Vec<usize> = (0..count)
        .filter(|&i| session.traces[i].history.diverged().is_none())
        .collect();
    if live.is_empty() {
        (0..count).collect()
    } else {
        live
    }
}

/// The data of one run's per-layer chart, owned (the mean-field line is computed here).
pub struct BarsOwned<'a> {
    before: &'a [f64],
    after: &'a [f64],
    clipping: bool,
    threshold: Option<f64>,
    theory: Option<Vec<f64>>,
}

impl<'a> BarsOwned<'a> {
    /// What `quantity` shows for `trace`, trained with `config`. For an RNN the first view is
    /// the error through time, ‖∂L/∂h_t‖, and the second the groups' gradients.
    pub fn of(quantity: BarsQuantity, trace: &'a Trace, config: &TrainConfig) -> Self {
        let empty: &[f64] = &[];
        let latest = trace.latest.as_ref();
        let pick = |f: fn(&crate::engine::StepStats) -> &Vec<f64>| latest.map_or(empty, |s| f(s));
        let recurrent = config.net.model.as_rnn();
        match quantity {
            BarsQuantity::Gradient if recurrent.is_some() => {
                let norms = pick(|s| &s.time_norms);
                Self {
                    before: norms,
                    after: norms,
                    clipping: false,
                    threshold: None,
                    theory: rnn_theory(config, norms),
                }
            }
            BarsQuantity::Delta if recurrent.is_none() => {
                let deltas = pick(|s| &s.delta_norms);
                let mean_field = mean_field_of(config);
                Self {
                    before: deltas,
                    after: deltas,
                    clipping: false,
                    threshold: None,
                    theory: deltas
                        .last()
                        .map(|&output| mean_field.delta_profile(deltas.len(), output)),
                }
            }
            BarsQuantity::UpdateRatio => {
                let ratios = pick(|s| &s.update_ratios);
                Self {
                    before: ratios,
                    after: ratios,
                    clipping: false,
                    threshold: Some(UPDATE_RATIO_RULE),
                    theory: None,
                }
            }
            BarsQuantity::Gradient | BarsQuantity::Delta => {
                let clip = config.live.clip;
                Self {
                    before: pick(|s| &s.grad_norms),
                    after: pick(|s| &s.grad_norms_clipped),
                    clipping: clip.mode != ClipMode::None,
                    threshold: matches!(clip.mode, ClipMode::GlobalNorm | ClipMode::GroupNorm)
                        .then_some(clip.threshold),
                    theory: None,
                }
            }
        }
    }

    pub fn view(&self) -> LayerBars<'_> {
        LayerBars {
            before: self.before,
            after: self.after,
            clipping: self.clipping,
            threshold: self.threshold,
            theory: self.theory.as_deref(),
        }
    }
}

/// The mean-field theory of the page's feed-forward network (the page trains MLPs only).
pub fn mean_field_of(config: &TrainConfig) -> MeanField {
    let init = config
        .net
        .model
        .as_mlp()
        .map_or(crate::engine::init::Init::default(), |m| m.init);
    MeanField::of(config.net.activation, init.weight_scale, init.bias_scale)
}

/// What the per-layer chart's bars stand for, and how many there are, for `quantity` of a
/// network configured as `config`.
pub fn bars_unit(quantity: BarsQuantity, config: &TrainConfig) -> (Unit, usize) {
    match config.net.model.as_rnn() {
        None => (Unit::Layers, config.net.model.group_count()),
        Some(r) if quantity == BarsQuantity::Gradient => (Unit::TimeSteps, r.steps),
        Some(_) => (Unit::Groups, config.net.model.group_count()),
    }
}

/// The theory line over an RNN's ‖∂L/∂h_t‖ for its initial weights, where it is exact
/// (THEORY.md): a linear RNN whose W_h is orthogonal (or the identity) times g, read out from
/// the last state, has ‖∂L/∂h_t‖ = g^{T−t}·‖∂L/∂h_T‖. Elsewhere no line is drawn.
fn rnn_theory(config: &TrainConfig, norms: &[f64]) -> Option<Vec<f64>> {
    let r = config.net.model.as_rnn()?;
    let exact = config.net.activation == crate::engine::Activation::Linear
        && r.readout == crate::engine::rnn::Readout::Last
        && matches!(
            r.init.recurrent,
            RecurrentInit::Orthogonal | RecurrentInit::Identity
        );
    let last = *norms.last()?;
    exact.then(|| {
        let steps = norms.len();
        (0..steps)
            .map(|t| last * r.init.recurrent_scale.powi((steps - 1 - t) as i32))
            .collect()
    })
}
