//! What the page asks of its worker: user intent turned into commands (configure, train, step,
//! reset, export, the cliff map). The answers are [`super::worker_events`]'s.
//!
//! Pacing (see [`Pacer`](gradlab_protocol::pacing::Pacer)): below full speed, each animation frame asks the
//! worker for `speed` steps and waits for the answer (so 1 step/frame really is one). At full
//! speed two chunks stay in flight, each ~12 ms of training, so the worker never idles while the
//! page draws.

use super::address;
use super::bridge::{Bridge, Stopped};
use super::now;
use super::state::{Lab, WorkerState, SPEEDS};
use super::worker_events;
use gradlab_engine::cliff::Descent;
use gradlab_engine::memory::{describe_bytes, estimate_runs_bytes, MEMORY_BUDGET_BYTES};
use gradlab_engine::{ConfigError, TrainParams};
use gradlab_protocol::compare::Variant;
use gradlab_protocol::{CliffRequest, Command, ExportFormat};
use leptos::prelude::*;

/// Training time per chunk (ms): short enough that a control change lands within a frame.
const CHUNK_BUDGET_MS: f64 = 12.0;
/// How often the reactive read-outs (status, table) refresh while training (ms).
const REFRESH_MS: f64 = 150.0;

/// Spawns (or respawns) the worker.
pub fn start_worker(lab: Lab) {
    if lab.worker.get_untracked() == WorkerState::Outdated {
        return; // Only a reload brings this release's successor.
    }
    lab.session.update_value(|s| {
        s.bridge = None; // terminates the old worker
        s.pacer.clear();
    });
    show_busy(lab);
    lab.worker.set(WorkerState::Loading);
    let on_stop = move |why: Stopped| stopped(lab, why);
    match Bridge::spawn(move |event| worker_events::on_event(lab, event), on_stop) {
        Ok(bridge) => lab.session.update_value(|s| s.bridge = Some(bridge)),
        Err(message) => on_stop(Stopped::Failed(message)),
    }
}

/// A worker (the lab's or one of the map's) stopped: training stops; a new release stops
/// every worker of this page, for good, until it is reloaded.
pub fn stopped(lab: Lab, why: Stopped) {
    lab.playing.set(false);
    match why {
        Stopped::Failed(message) => {
            if lab.worker.get_untracked() != WorkerState::Outdated {
                lab.worker.set(WorkerState::Failed(message));
            }
        }
        Stopped::NewRelease => {
            lab.session.update_value(|s| {
                s.bridge = None;
                s.pacer.clear();
            });
            lab.worker.set(WorkerState::Outdated);
        }
    }
}

/// Mirrors into `lab.busy` whether a training request awaits its answer (the session's pacer
/// is not reactive; the page shows this on the status line).
pub(super) fn show_busy(lab: Lab) {
    let busy = lab.session.with_value(|s| s.pacer.trains_in_flight() > 0);
    if lab.busy.get_untracked() != busy {
        lab.busy.set(busy);
    }
}

pub(super) fn send(lab: Lab, command: Command) {
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

/// Whether Play would train: the worker answers and the run has not diverged.
pub fn can_train(lab: Lab) -> bool {
    ready(lab) && !lab.halted.get_untracked()
}

pub(super) fn ready(lab: Lab) -> bool {
    lab.worker.get_untracked() == WorkerState::Ready
}

/// Checks the controls' values (run A's, and run B's in compare mode), shows what had to be
/// corrected, and sends the configurations (or holds them while an earlier change is still
/// being built: see [`Pacer`](gradlab_protocol::pacing::Pacer)).
pub fn configure(lab: Lab) {
    let params = lab.params.get_untracked();
    let compare = lab.compare.get_untracked();
    let (config, errors) = params.repair();
    let mut too_big = errors
        .iter()
        .any(|e| matches!(e, ConfigError::TooBig { .. }));
    let mut notices: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let mut configs = vec![config];
    if let Some(variant) = &compare {
        let (b, errors) = variant.apply(&params).repair();
        too_big |= errors
            .iter()
            .any(|e| matches!(e, ConfigError::TooBig { .. }));
        notices.extend(errors.iter().map(|e| format!("Run B: {e}")));
        configs.push(b);
    }
    let together = estimate_runs_bytes(&configs);
    if !too_big && configs.len() > 1 && together > MEMORY_BUDGET_BYTES {
        too_big = true;
        notices.push(format!(
            "Runs A and B together need about {} to train; the lab's limit is {} — compare \
             smaller networks.",
            describe_bytes(together),
            describe_bytes(MEMORY_BUDGET_BYTES)
        ));
    }
    if too_big {
        // Refused like any bad value, but not shrunk: the page keeps the settings it had.
        notices.push("The settings before this change are kept.".into());
        lab.notices.update(|n| n.extend(notices));
        let previous = lab.session.with_value(|s| s.configs.clone());
        let a = previous[0].to_params();
        let b = previous
            .get(1)
            .map(|b| Variant::between(&a, &b.to_params()));
        lab.params.set(a);
        lab.compare.set(b);
        return;
    }
    if !notices.is_empty() {
        lab.notices.update(|n| n.extend(notices));
    }
    let t = now();
    lab.session.update_value(|s| {
        s.configs = configs.clone();
        s.perf.control_changed(t);
    });
    address::keep_in_address_bar(lab);
    if ready(lab) {
        // Coalesced: while another Configure is being built, these wait (the newest only).
        let now_or_held = lab
            .session
            .try_update_value(|s| s.pacer.configure(configs))
            .flatten();
        if let Some(command) = now_or_held {
            send(lab, command);
        }
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

/// Starts the current run over.
pub fn reset(lab: Lab) {
    if ready(lab) {
        send(lab, Command::Reset);
    }
}

/// Tiles of the cliff map's surface, along w and along b.
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
pub(super) fn pump(lab: Lab, from_frame: bool) {
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

/// Called once per animation frame: feeds the worker and refreshes the read-outs.
pub fn on_frame(lab: Lab) {
    pump(lab, true);
    let t = now();
    let due = lab.session.with_value(|s| t - s.last_refresh >= REFRESH_MS);
    if due && lab.playing.get_untracked() {
        worker_events::refresh(lab);
    }
}
