//! What the page does: turns user intent and worker events into commands and state.
//!
//! Pacing (see [`Pacer`](gradlab_protocol::pacing::Pacer)): below full speed, each animation frame asks the
//! worker for `speed` steps and waits for the answer (so 1 step/frame really is one). At full
//! speed two chunks stay in flight, each ~12 ms of training, so the worker never idles while the
//! page draws.

use super::bridge::Bridge;
use super::chart_data::{history_summary, loss_summary};
use super::download;
use super::now;
use super::state::{
    BarsQuantity, ChartSummaries, Lab, PerfReadout, RunReadout, Trace, Travel, WorkerState,
    DEFAULT_SPEED, SPEEDS,
};
use gradlab_engine::cliff::Descent;
use gradlab_engine::TrainParams;
use gradlab_protocol::compare::Variant;
use gradlab_protocol::link::{self, PageState};
use gradlab_protocol::{Chunk, CliffAnswer, CliffRequest, Command, Event, ExportFormat};
use leptos::prelude::*;

/// Training time per chunk (ms): short enough that a control change lands within a frame.
const CHUNK_BUDGET_MS: f64 = 12.0;
/// How often the reactive read-outs (status, table) refresh while training (ms).
const REFRESH_MS: f64 = 150.0;

/// Spawns (or respawns) the worker.
pub fn start_worker(lab: Lab) {
    lab.session.update_value(|s| {
        s.bridge = None; // terminates the old worker
        s.pacer.clear();
    });
    show_busy(lab);
    lab.worker.set(WorkerState::Loading);
    let on_error = move |message: String| {
        lab.playing.set(false);
        lab.worker.set(WorkerState::Failed(message));
    };
    match Bridge::spawn(move |event| on_event(lab, event), on_error) {
        Ok(bridge) => lab.session.update_value(|s| s.bridge = Some(bridge)),
        Err(message) => on_error(message),
    }
}

/// Mirrors into `lab.busy` whether a training request awaits its answer (the session's pacer
/// is not reactive; the page shows this on the status line).
fn show_busy(lab: Lab) {
    let busy = lab.session.with_value(|s| s.pacer.trains_in_flight() > 0);
    if lab.busy.get_untracked() != busy {
        lab.busy.set(busy);
    }
}

fn send(lab: Lab, command: Command) {
    let failed = lab
        .session
        .try_update_value(|s| {
            let sent = s.bridge.as_ref().map(|b| b.send(&command))?;
            match sent {
                Ok(()) => {
                    s.pacer.sent(&command);
                    None
                }
                Err(message) => Some(message),
            }
        })
        .flatten();
    show_busy(lab);
    if let Some(message) = failed {
        lab.playing.set(false);
        lab.worker.set(WorkerState::Failed(message));
    }
}

fn ready(lab: Lab) -> bool {
    lab.worker.get_untracked() == WorkerState::Ready
}

/// Checks the controls' values (run A's, and run B's in compare mode), shows what had to be
/// corrected, and sends the configurations.
pub fn configure(lab: Lab) {
    let params = lab.params.get_untracked();
    let compare = lab.compare.get_untracked();
    let (config, errors) = params.repair();
    let mut notices: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let mut configs = vec![config];
    if let Some(variant) = &compare {
        let (b, errors) = variant.apply(&params).repair();
        notices.extend(errors.iter().map(|e| format!("Run B: {e}")));
        configs.push(b);
    }
    if !notices.is_empty() {
        lab.notices.update(|n| n.extend(notices));
    }
    let t = now();
    lab.session.update_value(|s| {
        s.configs = configs.clone();
        s.perf.control_changed(t);
    });
    keep_in_address_bar(lab);
    if ready(lab) {
        send(lab, Command::Configure(configs));
    }
}

/// Mirrors the settings, compare mode, lesson, chart view, speed and hidden controls in the
/// page's address, so the address is always a link that reproduces the run and the page as it
/// looks (replaced, not pushed: settings are not history entries).
pub fn keep_in_address_bar(lab: Lab) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let config = lab.session.with_value(|s| s.configs[0]);
    let page = PageState {
        hidden: lab.hidden.get_untracked(),
        compare: lab.compare.get_untracked(),
        lesson: lab.lesson.get_untracked().map(|i| i + 1),
        view: Some(lab.bars_quantity.get_untracked())
            .filter(|q| *q != BarsQuantity::Gradient)
            .map(BarsQuantity::name),
        speed: Some(lab.speed.get_untracked()).filter(|s| *s != DEFAULT_SPEED),
        cliff: lab.cliff.get_untracked(),
        phase: lab.phase.get_untracked(),
    };
    let query = format!("?{}", link::to_query(&config, &page));
    if window.location().search().ok().as_deref() == Some(query.as_str()) {
        return;
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&query));
    }
}

/// Sets every control (and compare mode) at once, starts the run over and plays it — a
/// lesson's "Run it".
pub fn run_with(lab: Lab, params: TrainParams, compare: Option<Variant>) {
    lab.params.set(params);
    lab.compare.set(compare);
    configure(lab);
    reset(lab);
    lab.playing.set(true);
}

/// Asks the worker for the whole run as a download.
pub fn export(lab: Lab, format: ExportFormat) {
    if ready(lab) {
        send(lab, Command::Export(format));
    }
}

/// The page's current address, as a link to this run.
pub fn current_link() -> Option<String> {
    web_sys::window()?.location().href().ok()
}

/// Starts the current run over.
pub fn reset(lab: Lab) {
    if ready(lab) {
        send(lab, Command::Reset);
    }
}

/// Cells of the cliff map's surface, along w and along b.
pub const CLIFF_GRID: (u32, u32) = (200, 160);
/// Steps of each cliff descent.
pub const CLIFF_STEPS: usize = 60;

/// Asks the worker for the cliff map: its surface the first time, and from a chosen start the
/// two descents, unclipped and clipped (in that order). The worker computes both: the page
/// never trains, even one unit.
pub fn ask_cliff(lab: Lab) {
    let Some(cliff) = lab.cliff.get_untracked() else {
        return;
    };
    let need_surface = lab
        .cliff_answer
        .with_untracked(|a| a.as_ref().is_none_or(|a| a.surface.is_empty()));
    let (columns, rows) = if need_surface { CLIFF_GRID } else { (0, 0) };
    let descents = cliff
        .from
        .map(|start| {
            [None, Some(cliff.threshold)].map(|clip| Descent {
                start,
                learning_rate: cliff.learning_rate,
                clip,
                steps: CLIFF_STEPS,
            })
        })
        .map_or_else(Vec::new, Vec::from);
    if ready(lab) {
        send(
            lab,
            Command::Cliff(CliffRequest {
                columns,
                rows,
                descents,
            }),
        );
    }
}

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

/// Takes exactly one step (when paused).
pub fn step_once(lab: Lab) {
    let idle = lab.session.with_value(|s| s.pacer.trains_in_flight() == 0);
    if ready(lab) && idle && !lab.playing.get_untracked() && !lab.halted.get_untracked() {
        request(lab, 1);
    }
}

fn request(lab: Lab, max_steps: u32) {
    // Peaks come per history column, so each column shows its own steps.
    let peak_stride = lab.session.with_value(|s| s.traces[0].history.stride());
    send(
        lab,
        Command::Train {
            max_steps,
            budget_ms: CHUNK_BUDGET_MS,
            peak_stride,
        },
    );
}

/// Keeps the worker fed while playing.
fn pump(lab: Lab, from_frame: bool) {
    if !lab.playing.get_untracked() || !ready(lab) || lab.halted.get_untracked() {
        return;
    }
    let speed = SPEEDS[lab.speed.get_untracked().min(SPEEDS.len() - 1)];
    let requests = lab
        .session
        .with_value(|s| s.pacer.requests(speed, from_frame));
    for max_steps in requests {
        request(lab, max_steps);
    }
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
fn on_event(lab: Lab, event: Event) {
    lab.session.update_value(|s| s.pacer.answered(&event));
    show_busy(lab);
    match event {
        Event::Ready { build } => {
            lab.engine_build.set(Some(build));
            let t = now();
            lab.session.update_value(|s| {
                s.perf.ready_ms.get_or_insert(t);
            });
            lab.worker.set(WorkerState::Ready);
            let configs = lab.session.with_value(|s| s.configs.clone());
            send(lab, Command::Configure(configs));
            // A link that opened the cliff map asked before the worker could answer.
            ask_cliff(lab);
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
                lab.spectrum.set(None);
                lab.samples.set(Vec::new());
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
        // Map cells go to the map's own pool of workers, never to the training worker.
        Event::Cell(_) => {}
        Event::Exported { format, bytes } => {
            let (seed, steps, parts) = lab.session.with_value(|s| {
                let parts = s.bridge.as_ref().map(Bridge::take_download);
                (s.configs[0].net.seed, s.traces[0].history.steps(), parts)
            });
            let name = format!("gradlab-seed{seed}-{steps}steps.{}", format.extension());
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
    pump(lab, false);
}

/// Called once per animation frame: feeds the worker and refreshes the read-outs.
pub fn on_frame(lab: Lab) {
    pump(lab, true);
    let t = now();
    let due = lab.session.with_value(|s| t - s.last_refresh >= REFRESH_MS);
    if due && lab.playing.get_untracked() {
        refresh(lab);
    }
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
    });
    if lab.chart_summaries.with_untracked(|old| *old != summaries) {
        lab.chart_summaries.set(summaries);
    }
    lab.step_count.set(steps);
    lab.clipped_share.set(share);
    lab.throughput.set(if lab.playing.get_untracked() {
        rate
    } else {
        0.0
    });
}
