//! The run's own controls: play, pause, single step, reset and the speed; the copy-link button;
//! the downloads. None of them changes a setting (the settings are [`super::controls`]').

use super::address;
use super::controller;
use super::keys::ShortcutList;
use super::state::{Lab, WorkerState, SPEEDS};
use gradlab_protocol::ExportFormat;
use leptos::html::Button;
use leptos::prelude::*;

/// Play, pause, single step, reset and the speed control.
#[component]
pub fn RunControls() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let (play_button, pause_button) = (NodeRef::<Button>::new(), NodeRef::<Button>::new());
    let usable = move || lab.worker.get() == WorkerState::Ready;
    let diverged = move || lab.halted.get();
    let speed_label = move || match SPEEDS[lab.speed.get()] {
        0 => "as fast as possible".to_string(),
        1 => "1 step per frame".to_string(),
        n => format!("{n} steps per frame"),
    };
    view! {
        <div class="run-buttons" role="group" aria-label="Run" hidden=move || lab.is_hidden("run")>
            <button
                id="play"
                class="primary"
                node_ref=play_button
                disabled=move || !usable() || diverged() || lab.playing.get()
                on:click=move |_| {
                    lab.playing.set(true);
                    hand_focus(play_button, pause_button);
                }
            >
                "▶ Play"
            </button>
            <button
                id="pause"
                node_ref=pause_button
                disabled=move || !lab.playing.get()
                on:click=move |_| {
                    lab.playing.set(false);
                    hand_focus(pause_button, play_button);
                }
            >
                "‖ Pause"
            </button>
            <button
                id="step-once"
                disabled=move || !usable() || diverged() || lab.playing.get()
                on:click=move |_| controller::step_once(lab)
            >
                "Step"
            </button>
            <button id="reset" disabled=move || !usable() on:click=move |_| controller::reset(lab)>
                "↺ Reset"
            </button>
        </div>
        <ShortcutList/>
        <CopyLink/>
        <div class="control" hidden=move || lab.is_hidden("speed")>
            <label for="speed">
                <span class="name">"Speed"</span>
                <output for="speed">{speed_label}</output>
            </label>
            <input
                type="range"
                id="speed"
                min=0
                max=SPEEDS.len() - 1
                step=1
                prop:value=move || lab.speed.get()
                aria-valuetext=speed_label
                aria-describedby="speed-hint"
                on:input=move |ev| {
                    if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                        lab.speed.set(i.min(SPEEDS.len() - 1));
                    }
                }
            />
            <p class="hint" id="speed-hint">"Training steps per animation frame; the top setting trains as fast as the engine can."</p>
        </div>
    }
}

/// A button that disables itself on click would drop keyboard focus to the page's start; hand
/// it to its partner (Play ↔ Pause) once that is enabled, if `from` had it.
fn hand_focus(from: NodeRef<Button>, to: NodeRef<Button>) {
    let had_focus = from.get_untracked().is_some_and(|b| {
        let active = document().active_element();
        active.is_some_and(|a| b.is_same_node(Some(&a)))
    });
    if had_focus {
        request_animation_frame(move || {
            if let Some(button) = to.get_untracked() {
                let _ = button.focus();
            }
        });
    }
}

/// Copies the page's address — a link that reproduces this run — to the clipboard.
#[component]
fn CopyLink() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let (said, say) = signal(String::new());
    let copy = move |_| {
        let Some(link) = address::current_link(lab) else {
            return;
        };
        let clipboard = web_sys::window().map(|w| w.navigator().clipboard());
        match clipboard {
            Some(clipboard) => {
                let _ = clipboard.write_text(&link);
                say.set("Link copied — it reopens this run, step for step.".into());
            }
            None => say.set(format!("Copy this link: {link}")),
        }
    };
    view! {
        <div class="copy-link" hidden=move || lab.is_hidden("copy-link")>
            <button id="copy-link" on:click=copy>"Copy link"</button>
            <span class="hint" role="status">{said}</span>
        </div>
    }
}

/// Downloads of the run: every step as CSV, settings and steps as JSON, and its first steps as
/// a folder that PyTorch trains again.
#[component]
pub fn Downloads() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let usable = move || lab.worker.get() == WorkerState::Ready && lab.step_count.get() > 0;
    view! {
        <section class="group" aria-labelledby="downloads-heading" hidden=move || lab.is_hidden("downloads")>
            <h2 id="downloads-heading">"Download"</h2>
            <div class="download-buttons">
                <button id="download-csv" disabled=move || !usable() on:click=move |_| controller::export(lab, ExportFormat::Csv)>
                    "Steps (CSV)"
                </button>
                <button id="download-json" disabled=move || !usable() on:click=move |_| controller::export(lab, ExportFormat::Json)>
                    "Run (JSON)"
                </button>
                <button id="download-pytorch" disabled=move || lab.worker.get() != WorkerState::Ready on:click=move |_| controller::export(lab, ExportFormat::Pytorch)>
                    "Reproduce in PyTorch"
                </button>
            </div>
            <p class="hint">"CSV: one row per step — loss, global and per-layer gradient norms before and after clipping, and each layer's step ‖ΔW‖. JSON: the settings and the same steps. Each chart has its own PNG button."</p>
            <p class="hint">"Reproduce in PyTorch: a zip with run.py, the initial weights and the first 20 batches (.npy) and gradlab's numbers — python run.py trains the same steps with torch.nn and torch.optim and compares them (run A's settings, from step 0)."</p>
        </section>
    }
}
