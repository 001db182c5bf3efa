//! The numbers tables: every parameter group's numbers as text (an MLP's layers; an RNN's
//! `W_x`, `W_h`, `b`, `W_out`, `b_out`) for run A and, in compare mode, run B, and for an RNN
//! the error at every time step, for a Transformer at every block with its attention heads — the
//! accessible alternative to the charts, and what the
//! browser tests read.

use super::format::{compact, plain};
use super::state::Lab;
use super::widgets::read;
use gradlab_engine::{ProfileAxis, StepStats};
use leptos::prelude::*;

/// A column: its field id, its heading, its numbers, and whether they are of the weight matrix
/// only (then a vector group, which has none, shows "—").
type Column = (
    &'static str,
    &'static str,
    fn(&StepStats) -> &Vec<f64>,
    bool,
);

const COLUMNS: [Column; 6] = [
    ("grad-norm", "‖∂L/∂W‖ before clip", |s| &s.grad_norms, false),
    (
        "grad-norm-clipped",
        "after clip",
        |s| &s.grad_norms_clipped,
        false,
    ),
    (
        "delta-norm",
        "‖δ‖ (error at the layer)",
        |s| &s.delta_norms,
        false,
    ),
    ("weight-norm", "‖W‖", |s| &s.weight_norms, true),
    ("update-ratio", "‖ΔW‖ / ‖W‖", |s| &s.update_ratios, true),
    ("update-norm", "‖ΔW‖ step", |s| &s.update_norms, true),
];

/// The newest step of run A, or of compare mode's run B.
fn latest<T>(lab: Lab, of_b: bool, read: impl FnOnce(Option<&StepStats>) -> T) -> T {
    if of_b {
        lab.second
            .with(|b| read(b.as_ref().and_then(|b| b.shown.as_ref())))
    } else {
        lab.shown.with(|s| read(s.as_ref()))
    }
}

/// The numbers tables: each run's per-group table (run B's in compare mode only), for an RNN
/// run A's per-time-step table, and for a Transformer each run's per-block table.
#[component]
pub fn LayerTable() -> impl IntoView {
    let lab = expect_context::<Lab>();
    // An RNN's time-step table is narrow and sits beside the groups'; a Transformer's block
    // table, with a number per head, takes the full width below them.
    let beside = move || lab.model.with(|m| m.axis == ProfileAxis::TimeSteps);
    let compared = move || lab.second.with(Option::is_some);
    view! {
        <div
            class="tables"
            class:single=move || !beside() && !compared()
            class:compared=compared
            hidden=move || !lab.shows_chart("table")
        >
            <GroupTable of_b=false/>
            <GroupTable of_b=true/>
            <TimeTable/>
            <BlockTable of_b=false/>
            <BlockTable of_b=true/>
        </div>
    }
}

/// One row per parameter group (an MLP's weight layers, input first), for run A or run B.
#[component]
fn GroupTable(
    /// Run B's table (`#layer-table-b`, shown in compare mode) instead of run A's.
    of_b: bool,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    // An RNN's and a Transformer's groups are named; an MLP's are its layers.
    let named = move || lab.model.with(|m| m.axis != ProfileAxis::Layers);
    let run = if of_b { "Run B: per" } else { "Per" };
    let caption = move || {
        let what = if named() { "group" } else { "layer" };
        latest(lab, of_b, |s| match s {
            Some(s) => format!("{run}-{what} numbers at step {}", s.step),
            None => format!("{run}-{what} numbers (no step yet)"),
        })
    };
    // Run A's groups are what the worker said it trains; run B's follow from B's settings (B
    // may have LayerNorm's groups where A has none).
    let model = Memo::new(move |_| {
        if of_b {
            read(lab, true, |p| p.repair().0.net.model.describe())
        } else {
            lab.model.get()
        }
    });
    // A vector group (a bias, LayerNorm's γ or β) has no matrix: "—" under ‖W‖ and ‖ΔW‖.
    let cell = move |layer: usize, column: fn(&StepStats) -> &Vec<f64>, weights_only: bool| {
        if weights_only && model.with(|m| m.vector_groups.contains(&layer)) {
            return "—".to_string();
        }
        latest(lab, of_b, |s| {
            s.and_then(|s| column(s).get(layer).copied())
                .map_or_else(|| "—".to_string(), plain)
        })
    };
    let rows = move || {
        if of_b {
            model.with(|m| m.group_names.len())
        } else {
            lab.group_count.get()
        }
    };
    // An RNN's groups are named; an MLP's layers are numbered from 1, and its LayerNorm
    // groups, after the layers, named.
    let group = move |layer: usize| {
        model
            .with(|m| {
                (m.axis != ProfileAxis::Layers || layer >= m.profile_len)
                    .then(|| m.group_names.get(layer).cloned())
            })
            .flatten()
    };
    let id = if of_b { "layer-table-b" } else { "layer-table" };
    let region = if of_b {
        "Run B's per-group numbers"
    } else {
        "Per-group numbers"
    };
    view! {
        // Focusable, so a keyboard user can scroll a table wider or taller than its box.
        <div
            class="table-wrap"
            tabindex="0"
            role="region"
            aria-label=region
            hidden=move || of_b && !lab.second.with(Option::is_some)
        >
            <table id=id class="numbers">
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">{move || if named() { "group" } else { "layer" }}</th>
                        {COLUMNS.iter().map(|(_, title, ..)| view! { <th scope="col">{*title}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    <For each=move || 0..rows() key=|layer| *layer let:layer>
                        <tr data-layer=layer data-group=move || group(layer)>
                            <th scope="row">{move || group(layer).unwrap_or_else(|| (layer + 1).to_string())}</th>
                            {COLUMNS
                                .iter()
                                .map(|&(field, _, column, weights_only)| {
                                    view! { <td data-field=field>{move || cell(layer, column, weights_only)}</td> }
                                })
                                .collect_view()}
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
    }
}

/// Run A's error at every time step (RNN only).
#[component]
fn TimeTable() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let recurrent = move || lab.model.with(|m| m.axis == ProfileAxis::TimeSteps);
    let norm_at = move |t: usize, of: fn(&gradlab_engine::StepStats) -> &Vec<f64>| {
        lab.shown.with(|s| {
            s.as_ref()
                .and_then(|s| of(s).get(t).copied())
                .map_or_else(|| "—".to_string(), plain)
        })
    };
    // The LSTM's cell state has an error of its own; other models have no column for it.
    let lstm = move || {
        lab.shown
            .with(|s| s.as_ref().is_some_and(|s| !s.cell_norms.is_empty()))
    };
    view! {
        <div class="table-wrap" hidden=move || !recurrent() tabindex="0" role="region" aria-label="Per-time-step numbers">
            <table id="time-table" class="numbers">
                <caption>"Per time step"</caption>
                <thead>
                    <tr>
                        <th scope="col">"time step t"</th>
                        <th scope="col">"‖∂L/∂h_t‖"</th>
                        <th scope="col" hidden=move || !lstm()>"‖∂L/∂c_t‖"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || 0..lab.model.with(|m| if m.axis == ProfileAxis::TimeSteps { m.profile_len } else { 0 })
                        key=|t| *t
                        let:t
                    >
                        <tr data-time-step=t + 1>
                            <th scope="row">{t + 1}</th>
                            <td data-field="time-norm">{move || norm_at(t, |s| &s.time_norms)}</td>
                            <td data-field="cell-norm" hidden=move || !lstm()>{move || norm_at(t, |s| &s.cell_norms)}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
    }
}

/// A run's error on the residual stream entering each block, and each head's largest attention
/// logit and entropy (Transformer only); run B's below run A's in compare mode.
#[component]
fn BlockTable(
    /// Run B's table (`#block-table-b`, shown in compare mode) instead of run A's.
    of_b: bool,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let blocks = move || {
        lab.model.with(|m| {
            if m.axis == ProfileAxis::Blocks {
                m.profile_len
            } else {
                0
            }
        })
    };
    let norm_at = move |b: usize| {
        latest(lab, of_b, |s| {
            s.and_then(|s| s.block_norms.get(b).copied())
                .map_or_else(|| "—".to_string(), plain)
        })
    };
    // Each head's number in block b, side by side ("2.31 · 1.98 · …").
    let heads_at = move |b: usize, of: fn(&StepStats) -> &Vec<f64>| {
        latest(lab, of_b, |s| {
            let Some(s) = s else {
                return "—".to_string();
            };
            let values = of(s);
            let heads = values.len() / blocks().max(1);
            values
                .iter()
                .skip(b * heads)
                .take(heads)
                .map(|&v| compact(v))
                .collect::<Vec<_>>()
                .join(" · ")
        })
    };
    let hidden = move || blocks() == 0 || (of_b && lab.second.with(Option::is_none));
    let (id, caption, region) = if of_b {
        (
            "block-table-b",
            "Run B: per block",
            "Run B's per-block numbers",
        )
    } else {
        ("block-table", "Per block", "Per-block numbers")
    };
    view! {
        <div class="table-wrap wide" hidden=hidden tabindex="0" role="region" aria-label=region>
            <table id=id class="numbers">
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"block l"</th>
                        <th scope="col">"‖∂L/∂x_l‖"</th>
                        <th scope="col" title="the largest q·k/√d_h of each head">"max logit, per head"</th>
                        <th scope="col" title="−Σ p ln p, mean over positions, in nats">"entropy, per head"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || 0..blocks() key=|b| *b let:b>
                        <tr data-block=b + 1>
                            <th scope="row">{b + 1}</th>
                            <td data-field="block-norm">{move || norm_at(b)}</td>
                            <td data-field="attn-logit-max">{move || heads_at(b, |s| &s.attn_logit_max)}</td>
                            <td data-field="attn-entropy">{move || heads_at(b, |s| &s.attn_entropy)}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
    }
}
