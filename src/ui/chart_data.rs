//! What each chart shows, computed from the session and the run's settings: the runs the
//! scales follow, the per-layer (or per-time-step) bars with their theory line, and the bars'
//! unit. Plain data, drawn by the painter.

use super::format::{compact, thousands};
use super::state::{BarsQuantity, Session, Trace};
use gradlab_charts::history::{LossColumn, RunHistory, HISTORY_COLUMNS};
use gradlab_charts::layer_bars::LayerBars;
use gradlab_charts::Unit;
use gradlab_engine::cell::Cell;
use gradlab_engine::mlp::Architecture;
use gradlab_engine::precision::{Precision, ValueRange};
use gradlab_engine::rnn::RecurrentInit;
use gradlab_engine::theory::MeanField;
use gradlab_engine::{ClipMode, ProfileAxis, TrainConfig};

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
    /// A second measurement per bar (the LSTM's ‖∂L/∂c_t‖); empty for none.
    companion: &'a [f64],
}

impl<'a> BarsOwned<'a> {
    /// What `quantity` shows for `trace`, trained with `config`. For an RNN the first view is
    /// the error through time, ‖∂L/∂h_t‖, and the second the groups' gradients.
    pub fn of(quantity: BarsQuantity, trace: &'a Trace, config: &TrainConfig) -> Self {
        let empty: &[f64] = &[];
        let latest = trace.latest.as_ref();
        // An MLP's chart shows its weight layers (not LayerNorm's groups, which the table lists).
        let pick = |f: fn(&gradlab_engine::StepStats) -> &Vec<f64>| {
            latest.map_or(empty, |s| s.of_layers(f(s)))
        };
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
                    companion: pick(|s| &s.cell_norms),
                }
            }
            // A Transformer's error on the residual stream entering each block.
            BarsQuantity::Delta if config.net.model.as_transformer().is_some() => {
                let norms = pick(|s| &s.block_norms);
                Self {
                    before: norms,
                    after: norms,
                    clipping: false,
                    threshold: None,
                    theory: None,
                    companion: empty,
                }
            }
            BarsQuantity::Delta if recurrent.is_none() => {
                let deltas = pick(|s| &s.delta_norms);
                Self {
                    before: deltas,
                    after: deltas,
                    clipping: false,
                    threshold: None,
                    theory: mean_field_of(config).zip(deltas.last()).map(
                        |(mean_field, &output)| mean_field.delta_profile(deltas.len(), output),
                    ),
                    companion: empty,
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
                    companion: empty,
                }
            }
            BarsQuantity::UpdateNorm => {
                let norms = pick(|s| &s.update_norms);
                Self {
                    before: norms,
                    after: norms,
                    clipping: false,
                    threshold: None,
                    theory: None,
                    companion: empty,
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
                    companion: empty,
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
            companion: (!self.companion.is_empty()).then_some(self.companion),
        }
    }
}

/// The mean-field theory of the page's feed-forward network (the page trains MLPs only).
///
/// `None` where the app has no such theory: with residual connections or LayerNorm the
/// per-layer factor is not √χ₁, so no line is drawn rather than a wrong one.
pub fn mean_field_of(config: &TrainConfig) -> Option<MeanField> {
    let mlp = config.net.model.as_mlp();
    if mlp.is_some_and(|m| m.architecture != Architecture::default()) {
        return None;
    }
    let init = mlp.map_or(gradlab_engine::init::Init::default(), |m| m.init);
    Some(MeanField::of(
        config.net.activation,
        init.weight_scale,
        init.bias_scale,
    ))
}

/// What the per-layer chart's bars stand for, and how many there are, for `quantity` of a
/// network configured as `config`.
pub fn bars_unit(quantity: BarsQuantity, config: &TrainConfig) -> (Unit, usize) {
    if let Some(t) = config.net.model.as_transformer() {
        return match quantity {
            BarsQuantity::Delta => (Unit::Blocks, t.layers),
            _ => (Unit::NumberedGroups, config.net.model.group_count()),
        };
    }
    match config.net.model.as_rnn() {
        None => (Unit::Layers, config.net.model.describe().profile_len),
        Some(r) if quantity == BarsQuantity::Gradient => (Unit::TimeSteps, r.steps),
        Some(_) => (Unit::Groups, config.net.model.group_count()),
    }
}

/// The theory line over an RNN's ‖∂L/∂h_t‖ for its initial weights, where it is exact
/// (THEORY.md): a linear vanilla RNN whose W_h is orthogonal (or the identity) times g, read
/// out from the last state, has ‖∂L/∂h_t‖ = g^{T−t}·‖∂L/∂h_T‖ — through the last k steps with
/// truncated BPTT. Elsewhere (gated cells included: their gates enter the Jacobian) no line is
/// drawn.
fn rnn_theory(config: &TrainConfig, norms: &[f64]) -> Option<Vec<f64>> {
    let r = config.net.model.as_rnn()?;
    let exact = r.cell == Cell::Vanilla
        && config.net.activation == gradlab_engine::Activation::Linear
        && r.readout == gradlab_engine::rnn::Readout::Last
        && matches!(
            r.init.recurrent,
            RecurrentInit::Orthogonal | RecurrentInit::Identity
        );
    let last = *norms.last()?;
    // Truncated BPTT (k > 0) read out at the last step: the error flows through the last k
    // steps only, and the line is drawn there alone (NaN is not drawn).
    let (steps, reached) = (norms.len(), r.first_step_reached());
    exact.then(|| {
        (0..steps)
            .map(|t| match t < reached {
                true => f64::NAN,
                false => last * r.init.recurrent_scale.powi((steps - 1 - t) as i32),
            })
            .collect()
    })
}

/// The loss chart in words, its text equivalent: where the loss started, where it is now, its
/// lowest, and which way it is going (or where it overflowed).
pub fn loss_summary(history: &RunHistory) -> String {
    let columns: Vec<&LossColumn> = history
        .loss_columns()
        .iter()
        .filter(|c| c.steps > 0 && c.min.is_finite())
        .collect();
    let (Some(first), Some(last)) = (columns.first(), columns.last()) else {
        return "Loss: no steps yet.".to_string();
    };
    let lowest = columns.iter().map(|c| c.min).fold(f32::INFINITY, f32::min);
    let mut text = format!(
        "Loss after {} steps: now {}–{}, lowest {}, at the start {}.",
        thousands(history.steps()),
        compact(f64::from(last.min)),
        compact(f64::from(last.max)),
        compact(f64::from(lowest)),
        compact(f64::from(first.max)),
    );
    let trend = columns.len().checked_sub(1 + columns.len() / 4).map(|i| {
        let (then, now) = (midpoint(columns[i]), midpoint(last));
        if now < then * 0.9 {
            " Falling."
        } else if now > then * 1.1 {
            " Rising."
        } else {
            " Level."
        }
    });
    text.push_str(trend.unwrap_or(""));
    if let Some(at) = history.diverged() {
        text.push_str(&format!(" It overflowed at step {}.", thousands(at.step)));
    }
    text
}

fn midpoint(c: &LossColumn) -> f64 {
    (f64::from(c.min) * f64::from(c.max)).sqrt()
}

/// The range chart in words: where a recent step's gradient values lie against f16's
/// limits — the share that is zero, that f16 would round to zero, hold as subnormals or
/// overflow, and that is ±inf or NaN — and, under loss scaling, the skipped steps.
pub fn range_summary(range: Option<&ValueRange>, history: &RunHistory) -> String {
    let Some(range) = range.filter(|r| r.total() > 0) else {
        return "Gradient values: no steps yet.".to_string();
    };
    let total = range.total() as f64;
    let limits = Precision::F16.limits();
    // Bin i holds 2^(LOWEST + i) ≤ |g| < 2^(LOWEST + i + 1): compare its bounds with f16's.
    let share = |keep: &dyn Fn(f64, f64) -> bool| {
        let counted: u64 = range
            .bins
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                let low = 2f64.powi(ValueRange::LOWEST + *i as i32);
                keep(low, 2.0 * low)
            })
            .map(|(_, &c)| u64::from(c))
            .sum();
        counted as f64 / total * 100.0
    };
    let below = f64::from(range.below) / total * 100.0;
    let flushed = below + share(&|_, high| high <= limits.min_subnormal / 2.0);
    let subnormal =
        share(&|low, high| low >= limits.min_subnormal / 2.0 && high <= limits.min_normal);
    let overflowing = share(&|low, _| low >= 65536.0) + f64::from(range.above) / total * 100.0;
    let percent = |v: f64| format!("{v:.1}%");
    let mut text = format!(
        "A recent step's gradient values: {} exactly zero, {} inf or NaN; in f16, {} would round to zero, {} would be subnormal and {} would overflow.",
        percent(f64::from(range.zeros) / total * 100.0),
        percent(f64::from(range.non_finite) / total * 100.0),
        percent(flushed),
        percent(subnormal),
        percent(overflowing),
    );
    if history.skipped_steps() > 0 {
        text.push_str(&format!(
            " {} of {} steps skipped for an overflow.",
            thousands(history.skipped_steps()),
            thousands(history.steps())
        ));
    }
    text
}

/// The history heat map in words: where (which layer or time step) and when the gradient was
/// largest, and how far apart the largest and smallest rows are in the newest column.
pub fn history_summary(history: &RunHistory, axis: ProfileAxis) -> String {
    let row_name = |row: usize| match axis {
        ProfileAxis::Layers => format!("layer {}", row + 1),
        ProfileAxis::TimeSteps => format!("time step {}", row + 1),
        ProfileAxis::Blocks => format!("block {}", row + 1),
    };
    let filled = (0..HISTORY_COLUMNS).filter(|&c| history.peak(c, 0).is_some());
    let Some(newest) = filled.clone().next_back() else {
        return "Gradient history: no steps yet.".to_string();
    };
    let mut peak: Option<(f32, usize, usize)> = None;
    for column in filled {
        for row in 0..history.row_count() {
            if let Some(v) = history.peak(column, row) {
                if v.is_nan() || peak.is_none_or(|(p, _, _)| v > p) {
                    peak = Some((v, row, column));
                }
                if v.is_nan() {
                    break;
                }
            }
        }
    }
    let mut text = String::from("Gradient history: ");
    if let Some((value, row, column)) = peak {
        text.push_str(&format!(
            "largest {} at {} around step {}.",
            compact(f64::from(value)),
            row_name(row),
            thousands(column as u64 * history.stride()),
        ));
    }
    let newest: Vec<(usize, f32)> = (0..history.row_count())
        .filter_map(|row| history.peak(newest, row).map(|v| (row, v)))
        .filter(|(_, v)| v.is_finite())
        .collect();
    let high = newest.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1));
    let low = newest.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1));
    if let (Some((high_row, high)), Some((low_row, low))) = (high, low) {
        if high_row != low_row && low > 0.0 {
            text.push_str(&format!(
                " Now: {} has the largest ({}), {} the smallest ({}), {}× apart.",
                row_name(high_row),
                compact(f64::from(high)),
                row_name(low_row),
                compact(f64::from(low)),
                compact(f64::from(high / low)),
            ));
        }
    }
    text.push_str(&format!(
        " Clipping acted on {:.0}% of steps.",
        history.clipped_share() * 100.0
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use gradlab_engine::TrainParams;
    use gradlab_protocol::{PeakBlock, Progress, StepSummary};
    use wasm_bindgen_test::wasm_bindgen_test;

    fn chunk(steps: std::ops::Range<u64>, loss: impl Fn(u64) -> f32, norms: Vec<f32>) -> Progress {
        Progress {
            steps: steps
                .clone()
                .map(|step| StepSummary {
                    step,
                    loss: loss(step),
                    global_norm: 1.0,
                    global_norm_clipped: 1.0,
                    clipped: step % 4 == 0,
                    loss_scale: 1.0,
                    skipped: false,
                })
                .collect(),
            peaks: steps
                .map(|first_step| PeakBlock {
                    first_step,
                    norms: norms.clone(),
                })
                .collect(),
            spectrum: None,
            gradient_range: None,
            sample: None,
            last: None,
            diverged: None,
        }
    }

    #[wasm_bindgen_test]
    fn summaries_say_where_the_numbers_are() {
        let mut history = RunHistory::new(3);
        assert_eq!(loss_summary(&history), "Loss: no steps yet.");
        assert_eq!(
            history_summary(&history, ProfileAxis::Layers),
            "Gradient history: no steps yet."
        );
        history.record(&chunk(
            0..40,
            |s| 1.0 / (s as f32 + 1.0),
            vec![500.0, 20.0, 5.0],
        ));
        let loss = loss_summary(&history);
        assert!(
            loss.starts_with(
                "Loss after 40 steps: now 0.02500–0.02500, lowest 0.02500, at the start 1.000."
            ),
            "{loss}"
        );
        assert!(loss.ends_with("Falling."), "{loss}");
        let grads = history_summary(&history, ProfileAxis::Layers);
        assert!(
            grads.contains("largest 500.0 at layer 1 around step 0."),
            "{grads}"
        );
        assert!(
            grads.contains(
                "Now: layer 1 has the largest (500.0), layer 3 the smallest (5.000), 100.0× apart."
            ),
            "{grads}"
        );
        assert!(
            grads.ends_with("Clipping acted on 25% of steps."),
            "{grads}"
        );
        let times = history_summary(&history, ProfileAxis::TimeSteps);
        assert!(times.contains("at time step 1"), "{times}");
    }

    /// A linear orthogonal RNN at g = 2 read out from the last state: the line is
    /// g^{T−t}·‖∂L/∂h_T‖; with truncated BPTT (k = 3) only over the last three steps, where
    /// the error flows (before, it was drawn over all six).
    #[wasm_bindgen_test]
    fn the_theory_line_follows_the_truncation_window() {
        let params = |bptt: f64| TrainParams {
            model: "rnn".into(),
            activation: "linear".into(),
            recurrent_init: "orthogonal".into(),
            recurrent_scale: 2.0,
            seq_len: 6.0,
            bptt,
            ..TrainParams::default()
        };
        let norms = [0.0, 0.0, 0.0, 4.0, 2.0, 1.0];
        let full = rnn_theory(&params(0.0).check().unwrap(), &norms).unwrap();
        assert_eq!(full, vec![32.0, 16.0, 8.0, 4.0, 2.0, 1.0]);
        let cut = rnn_theory(&params(3.0).check().unwrap(), &norms).unwrap();
        assert!(cut[..3].iter().all(|v| v.is_nan()), "{cut:?}");
        assert_eq!(cut[3..], [4.0, 2.0, 1.0]);
    }
}
