//! What the page does with its worker's answers: each [`Event`] into the session and the
//! reactive state ([`on_event`]), and the session's numbers into the read-outs ([`refresh`]).

use super::bridge::Bridge;
use super::chart_data::{history_summary, loss_summary, range_summary};
use super::controller;
use super::download;
use super::now;
use super::own_data::{self, OwnKind};
use super::state::{ChartSummaries, Lab, PerfReadout, RunReadout, Trace, Travel, WorkerState};
use gradlab_protocol::pytorch::folder_name;
use gradlab_protocol::{Chunk, CliffAnswer, Command, Configured, Event, ExportFormat};
use leptos::prelude::*;

/// Keeps the surface already drawn when an answer brings only paths.
fn take_cliff(lab: Lab, answer: CliffAnswer) {
    lab.cliff_answer.update(|shown| {
        let surface_kept = answer.surface.is_empty();
        match shown {
            Some(old) if surface_kept => old.trajectories = answer.trajectories,
            _ => *shown = Some(answer),
        }
    });
}

/// Says which runs' optimizers started their state over (a new kind of optimizer keeps the
/// weights but not the old rule's moments).
fn say_optimizer_reset(lab: Lab, reset: &[bool], step: u64) {
    let kinds: Vec<_> = lab
        .session
        .with_value(|s| s.configs.iter().map(|c| c.live.optimizer.kind).collect());
    for (run, kind) in kinds.iter().enumerate() {
        if !reset.get(run).copied().unwrap_or(false) {
            continue;
        }
        let whose = if kinds.len() > 1 {
            format!("Run {}: ", ["A", "B"][run.min(1)])
        } else {
            String::new()
        };
        let message = format!(
            "{whose}now {} from step {step}: the weights are kept, the optimizer's state (its \
             moments and step count) starts from zero.",
            kind.label()
        );
        lab.notices.update(|n| n.push(message));
    }
}

/// Handles one event from the worker.
pub(super) fn on_event(lab: Lab, event: Event) {
    let held = lab
        .session
        .try_update_value(|s| s.pacer.answered(&event))
        .flatten();
    controller::show_busy(lab);
    // The newest settings, held while the worker built earlier ones.
    if let Some(command) = held {
        controller::send(lab, command);
    }
    match event {
        Event::Ready { build, .. } => {
            lab.engine_build.set(Some(build));
            let t = now();
            lab.session.update_value(|s| {
                s.perf.ready_ms.get_or_insert(t);
            });
            lab.worker.set(WorkerState::Ready);
            let configs = lab.session.with_value(|s| s.configs.clone());
            controller::send(lab, Command::Configure(configs));
            // The reader's own data, kept from an earlier visit, after the first configuration.
            own_data::restore(lab);
            // A link that opened the cliff map asked before the worker could answer.
            controller::ask_cliff(lab);
        }
        Event::Configured(c) => {
            lab.session
                .update_value(|s| s.perf.advance(Travel::Sent, Travel::Applied));
            if c.restarted {
                lab.session.update_value(|s| {
                    s.run = c.run;
                    s.traces = (0..c.runs)
                        .map(|_| Trace::new(c.model.profile_len))
                        .collect();
                    s.recent.clear();
                    s.perf.engine_steps = 0;
                    s.perf.engine_ms = 0.0;
                    s.version += 1;
                });
                lab.group_count.set(c.group_count as usize);
                // λ₁ of the network as built: readable before Play.
                lab.session.update_value(|s| {
                    if let Some(trace) = s.traces.first_mut() {
                        trace.spectrum = c.spectrum;
                    }
                    s.baseline = c.model.baseline;
                });
                lab.spectrum.set(c.spectrum);
                lab.samples.set(Vec::new());
                say_own_data_missing(lab, &c);
                lab.model.set(c.model);
                lab.diverged.set(None);
                lab.halted.set(false);
                refresh(lab);
            }
            // Before the first step the state is fresh anyway: nothing to say.
            if c.step > 0 {
                say_optimizer_reset(lab, &c.optimizer_reset, c.step);
            }
        }
        Event::Progress(chunk) => on_progress(lab, *chunk),
        Event::Cliff(answer) => take_cliff(lab, *answer),
        // Map tiles go to the map's own pool of workers, never to the training worker.
        Event::Tile(_) => {}
        Event::Exported { format, bytes } => {
            let (name, parts) = lab.session.with_value(|s| {
                let parts = s.bridge.as_ref().map(Bridge::take_download);
                let stem = match format {
                    ExportFormat::Pytorch => folder_name(&s.configs[0]),
                    _ => format!(
                        "gradlab-seed{}-{}steps",
                        s.configs[0].net.seed,
                        s.traces[0].history.steps()
                    ),
                };
                (format!("{stem}.{}", format.extension()), parts)
            });
            let saved = match parts {
                Some(parts) if parts.length() > 0 || bytes == 0 => {
                    download::save_parts(&name, format.mime(), &parts)
                }
                _ => Err(format!("the worker's {bytes} bytes did not arrive")),
            };
            if let Err(message) = saved {
                lab.notices
                    .update(|n| n.push(format!("The download failed: {message}")));
            }
        }
        Event::Failed { message } => {
            // The same failure repeated (a request answered with it every frame) is one notice.
            lab.notices.update(|n| {
                if n.last() != Some(&message) {
                    n.push(message);
                }
            });
        }
    }
}

fn on_progress(lab: Lab, chunk: Chunk) {
    let current = lab.session.with_value(|s| s.run == chunk.run);
    let halted = lab.session.try_update_value(|s| {
        if !current {
            return false;
        }
        let steps = chunk.runs.first().map_or(0, |p| p.steps.len());
        for (trace, progress) in s.traces.iter_mut().zip(&chunk.runs) {
            trace.history.record(progress);
            if progress.last.is_some() {
                trace.latest = progress.last.clone();
            }
            trace.spectrum = progress.spectrum.or(trace.spectrum);
            if progress.gradient_range.is_some() {
                trace.gradient_range = progress.gradient_range.clone();
            }
            if progress.sample.is_some() {
                trace.sample = progress.sample.clone();
            }
        }
        if steps > 0 {
            s.recent.push_back((now(), steps as u64));
            s.version += 1;
            s.perf.engine_steps += steps as u64;
            s.perf.engine_ms += chunk.busy_ms;
            s.perf.advance(Travel::Applied, Travel::Trained);
        }
        s.traces.iter().all(|t| t.history.diverged().is_some())
    });
    if !current {
        return;
    }
    if let Some(at) = chunk.runs.first().and_then(|p| p.diverged) {
        lab.diverged.set(Some(at));
    }
    if halted == Some(true) {
        lab.playing.set(false);
        lab.halted.set(true);
    }
    if !lab.playing.get_untracked() {
        refresh(lab);
    }
    controller::pump(lab, false);
}

/// Copies the session's numbers into the reactive read-outs.
pub fn refresh(lab: Lab) {
    let t = now();
    let (latest, steps, share, rate, max_norms, second) = lab
        .session
        .try_update_value(|s| {
            s.last_refresh = t;
            while s.recent.front().is_some_and(|(at, _)| t - at > 1000.0) {
                s.recent.pop_front();
            }
            let rate = match (s.recent.front(), s.recent.back()) {
                (Some(first), Some(_)) if s.recent.len() > 1 => {
                    let steps: u64 = s.recent.iter().skip(1).map(|(_, n)| n).sum();
                    steps as f64 / ((t - first.0).max(1.0) / 1000.0)
                }
                _ => 0.0,
            };
            let a = &s.traces[0];
            let (raw, clipped) = a.history.max_norms();
            let second = s.traces.get(1).map(|b| RunReadout {
                shown: b.latest.clone(),
                steps: b.history.steps(),
                clipped_share: b.history.clipped_share(),
                diverged: b.history.diverged(),
            });
            (
                a.latest.clone(),
                a.history.steps(),
                a.history.clipped_share(),
                rate,
                (f64::from(raw), f64::from(clipped)),
                second,
            )
        })
        .unwrap_or((None, 0, 0.0, 0.0, (0.0, 0.0), None));
    lab.max_norms.set(max_norms);
    lab.second.set(second);
    let readout = lab.session.with_value(|s| PerfReadout {
        latencies: s
            .perf
            .latencies
            .iter()
            .map(|l| format!("{l:.1}"))
            .collect::<Vec<_>>()
            .join(","),
        first_chart_ms: s.perf.first_chart_ms.unwrap_or(0.0),
        ready_ms: s.perf.ready_ms.unwrap_or(0.0),
        engine: (s.perf.engine_steps, s.perf.engine_ms),
        paint_ms: s.perf.paint_percentiles(),
        paints: s.perf.paints,
    });
    lab.perf.set(readout);
    lab.shown.set(latest);
    let (spectrum, samples) = lab.session.with_value(|s| {
        let spectrum = s.traces.first().and_then(|t| t.spectrum);
        let samples: Vec<_> = s.traces.iter().map(|t| t.sample.clone()).collect();
        (spectrum, samples)
    });
    lab.spectrum.set(spectrum);
    if lab.samples.with_untracked(|old| *old != samples) {
        lab.samples.set(samples);
    }
    let axis = lab.model.with_untracked(|m| m.axis);
    let summaries = lab.session.with_value(|s| ChartSummaries {
        loss: loss_summary(&s.traces[0].history),
        history: history_summary(&s.traces[0].history, axis),
        range: range_summary(s.traces[0].gradient_range.as_ref(), &s.traces[0].history),
    });
    if lab.chart_summaries.with_untracked(|old| *old != summaries) {
        lab.chart_summaries.set(summaries);
    }
    lab.step_count.set(steps);
    lab.clipped_share.set(share);
    let skipped = lab
        .session
        .with_value(|s| s.traces.first().map_or(0, |t| t.history.skipped_steps()));
    if lab.skipped_steps.get_untracked() != skipped {
        lab.skipped_steps.set(skipped);
    }
    lab.throughput.set(if lab.playing.get_untracked() {
        rate
    } else {
        0.0
    });
}

/// A run whose settings ask for the reader's own data that the worker does not use: none is
/// kept in this browser (and none is on its way), or a series too short for the windows.
fn say_own_data_missing(lab: Lab, c: &Configured) {
    let (wants_text, wants_series, wants_points, steps) = lab.params.with_untracked(|p| {
        (
            OwnKind::Text.wanted(p),
            OwnKind::Series.wanted(p),
            OwnKind::Points.wanted(p),
            // The windows the repaired settings train on (an RNN's T, a Transformer's context).
            p.repair().0.net.model.sequence_steps().unwrap_or(0),
        )
    });
    let say = |message: String| {
        lab.notices.update(|n| {
            if !n.contains(&message) {
                n.push(message);
            }
        });
    };
    // Kept data on its way to the worker (sent after the first configuration) is no cause.
    if wants_points && !c.own_points && lab.own_points.with_untracked(|s| s.in_use.is_none()) {
        say(
            "This run asks for your own points, and none are kept in this browser: it fits the \
             circle. Paste some under Data set."
                .into(),
        );
    }
    if wants_text && !c.own_text && lab.own_text.with_untracked(|t| t.in_use.is_none()) {
        say(
            "This run asks for your own text, and none is kept in this browser: it trains on \
             the shipped text. Paste one under Training text."
                .into(),
        );
    }
    if wants_series && !c.own_series {
        match lab.own_series.with_untracked(|s| s.values) {
            None => say(
                "This run asks for your own series, and none is kept in this browser: \
                         the task learns the sines. Paste one under Series."
                    .into(),
            ),
            Some(values) if values <= steps => say(format!(
                "Your series has {values} values, too few for windows of T + 1 = {} values: \
                 the task learns the sines until the sequence length is below {values}.",
                steps + 1
            )),
            Some(_) => {}
        }
    }
}
