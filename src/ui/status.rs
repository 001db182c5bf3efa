//! The status lines (run A's, and run B's in compare mode) and the notices.

use super::address;
use super::controller;
use super::format::{compact, plain, thousands};
use super::release;
use super::state::{Lab, WorkerState};
use gradlab_charts::pow2_label;
use gradlab_engine::StepStats;
use leptos::prelude::*;

/// The global gradient norm, with its clipped value when clipping acted: `12.3 → 1`.
fn norm_text(stats: Option<&StepStats>) -> String {
    stats.map_or("—".to_string(), |s| {
        if s.clipped {
            format!(
                "{} → {}",
                compact(s.global_norm),
                compact(s.global_norm_clipped)
            )
        } else {
            compact(s.global_norm)
        }
    })
}

/// A loss scale as people write it: `2¹⁶` for a power of two (as scales almost always are).
fn scale_text(scale: f64) -> String {
    let exp = scale.log2();
    if scale > 0.0 && exp.fract() == 0.0 {
        pow2_label(exp)
    } else {
        compact(scale)
    }
}

/// cos(g, g′) to four places.
fn cosine_text(stats: Option<&StepStats>) -> String {
    stats.map_or("—".to_string(), |s| format!("{:.4}", s.cos_pre_post))
}

/// The loss.
fn loss_text(stats: Option<&StepStats>) -> String {
    stats.map_or("—".to_string(), |s| compact(s.loss))
}

/// What the cosine means, for its tooltip.
const COSINE_TITLE: &str = "Cosine between the gradient before and after clipping: exactly 1 when clipping only rescales (norm clipping), below 1 when it bends the direction (value or per-layer clipping).";

/// Step count, speed, gradient norm, clip share — and the state, announced to screen readers.
#[component]
pub fn StatusLine() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let state = move || match lab.worker.get() {
        WorkerState::Loading => ("loading", "Starting the training engine…".to_string()),
        WorkerState::Failed(message) => {
            ("failed", format!("The training worker stopped: {message}"))
        }
        WorkerState::Outdated => ("outdated", release::NEW_RELEASE.to_string()),
        WorkerState::Ready => match lab.diverged.get() {
            Some(at) if lab.compare.with(Option::is_some) && !lab.halted.get() => {
                ("diverged", format!("Run A {at}. Run B trains on."))
            }
            Some(at) => (
                "diverged",
                format!(
                    "{}. Training paused — clip, lower σ or the learning rate, then reset.",
                    capitalise(&at.to_string())
                ),
            ),
            None if lab.playing.get() => ("training", "Training".to_string()),
            None if lab.step_count.get() == 0 => ("ready", "Ready — press Play".to_string()),
            None => ("paused", "Paused".to_string()),
        },
    };
    let norm = move || lab.shown.with(|s| norm_text(s.as_ref()));
    let failed = move || matches!(lab.worker.get(), WorkerState::Failed(_));
    view! {
        <div class="status-line" data-state=move || state().0 data-busy=move || lab.busy.get().to_string()>
            <span class="run-tag run-a" hidden=move || lab.compare.with(Option::is_none)>"run A"</span>
            <p id="status" role="status" aria-live="polite">{move || state().1}</p>
            <dl class="metrics">
                <div><dt>"step"</dt><dd id="step-count">{move || thousands(lab.step_count.get())}</dd></div>
                <div><dt>"steps/s"</dt><dd id="steps-per-second">
                    {move || if lab.playing.get() { thousands(lab.throughput.get().round() as u64) } else { "—".to_string() }}
                </dd></div>
                <div><dt>"loss"</dt><dd id="loss">{move || lab.shown.with(|s| loss_text(s.as_ref()))}</dd></div>
                <div title="The learning rate the latest step used: η, times the schedule's factor">
                    <dt><span class="symbol">"η"</span>" now"</dt>
                    <dd id="current-lr">{move || lab.shown.with(|s| s.as_ref().map_or("—".into(), |s| compact(s.learning_rate)))}</dd>
                </div>
                <div title="The loss scale S the latest step's backward pass used, and how many of this run's updates were skipped because a scaled gradient overflowed" hidden=move || lab.params.with(|p| p.loss_scale == "none")>
                    <dt>"loss scale"</dt>
                    <dd id="loss-scale-now" data-value=move || lab.shown.with(|s| s.as_ref().map(|s| plain(s.loss_scale)))>{move || lab.shown.with(|s| s.as_ref().map_or("—".into(), |s| scale_text(s.loss_scale)))}</dd>
                </div>
                <div hidden=move || lab.params.with(|p| p.loss_scale == "none")>
                    <dt>"skipped"</dt>
                    <dd id="skipped-steps">{move || thousands(lab.skipped_steps.get())}</dd>
                </div>
                <div><dt>"global ‖g‖"</dt><dd id="global-norm">{norm}</dd></div>
                <div title=COSINE_TITLE>
                    <dt>"cos(g, g′)"</dt>
                    <dd id="clip-cosine">{move || lab.shown.with(|s| cosine_text(s.as_ref()))}</dd>
                </div>
                <div><dt>"steps clipped"</dt><dd id="clipped-share">{move || format!("{:.0}%", lab.clipped_share.get() * 100.0)}</dd></div>
                <div title="The largest global gradient norm of this run, before and after clipping">
                    <dt>"largest ‖g‖"</dt>
                    <dd>
                        <span id="max-raw-norm" data-value=move || plain(lab.max_norms.get().0)>{move || compact(lab.max_norms.get().0)}</span>
                        " → "
                        <span id="max-clipped-norm" data-value=move || plain(lab.max_norms.get().1)>{move || compact(lab.max_norms.get().1)}</span>
                    </dd>
                </div>
            </dl>
            <Show when=failed>
                <button id="restart-worker" on:click=move |_| controller::start_worker(lab)>"Restart the worker"</button>
            </Show>
            <Show when=move || lab.worker.get() == WorkerState::Outdated>
                <button id="reload-page" class="primary" title="Opens this run's link again, on the new version" on:click=move |_| reload(lab)>"Reload"</button>
            </Show>
        </div>
    }
}

/// Run B's status in compare mode: what it changes, its state and its numbers.
#[component]
pub fn SecondStatusLine() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let read = move |f: fn(Option<&StepStats>) -> String| {
        lab.second
            .with(|b| f(b.as_ref().and_then(|b| b.shown.as_ref())))
    };
    let state = move || {
        lab.second
            .with(|b| match b.as_ref().and_then(|b| b.diverged) {
                Some(at) => ("diverged", capitalise(&at.to_string())),
                None if lab.playing.get() => ("training", "Training".to_string()),
                None if b.as_ref().is_none_or(|b| b.steps == 0) => ("ready", "Ready".to_string()),
                None => ("paused", "Paused".to_string()),
            })
    };
    let summary = move || {
        lab.compare
            .with(|v| v.as_ref().map(|v| v.summary()).unwrap_or_default())
    };
    view! {
        <Show when=move || lab.compare.with(Option::is_some)>
            <div class="status-line second" id="status-b" data-state=move || state().0>
                <span class="run-tag run-b">"run B"</span>
                <p role="status">
                    {move || state().1}
                    <span class="differs">{move || format!(" · differs in: {}", summary())}</span>
                </p>
                <dl class="metrics">
                    <div><dt>"step"</dt><dd id="b-step-count">{move || thousands(lab.second.with(|b| b.as_ref().map_or(0, |b| b.steps)))}</dd></div>
                    <div><dt>"loss"</dt><dd id="b-loss">{move || read(loss_text)}</dd></div>
                    <div><dt>"global ‖g‖"</dt><dd id="b-global-norm">{move || read(norm_text)}</dd></div>
                    <div title=COSINE_TITLE><dt>"cos(g, g′)"</dt><dd id="b-clip-cosine">{move || read(cosine_text)}</dd></div>
                    <div><dt>"steps clipped"</dt><dd id="b-clipped-share">
                        {move || format!("{:.0}%", lab.second.with(|b| b.as_ref().map_or(0.0, |b| b.clipped_share)) * 100.0)}
                    </dd></div>
                </dl>
            </div>
        </Show>
    }
}

/// Settings that had to be corrected, each dismissable.
#[component]
pub fn Notices() -> impl IntoView {
    let lab = expect_context::<Lab>();
    view! {
        <Show when=move || lab.notices.with(|n| !n.is_empty())>
            <div class="notices" role="alert">
                <ul>
                    {move || lab.notices.get().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                </ul>
                <button class="dismiss" on:click=move |_| lab.notices.set(Vec::new())>"Dismiss"</button>
            </div>
        </Show>
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Loads the page again, from the server, at the link to the run as it is now (the address
/// bar may be a moment behind).
fn reload(lab: Lab) {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return;
    };
    let _ = match address::current_link(lab) {
        Some(link) => location.set_href(&link),
        None => location.reload(),
    };
}
