//! The layer table: every layer's numbers as text — the accessible alternative to the charts,
//! and what the browser tests read.

use super::format::plain;
use super::state::Lab;
use crate::engine::StepStats;
use leptos::prelude::*;

type Column = (&'static str, &'static str, fn(&StepStats) -> &Vec<f64>);

const COLUMNS: [Column; 5] = [
    ("grad-norm", "‖∂L/∂W‖ before clip", |s| {
        &s.grad_norms
    }),
    ("grad-norm-clipped", "after clip", |s| &s.grad_norms_clipped),
    ("delta-norm", "‖δ‖ (error at the layer)", |s| {
        &s.delta_norms
    }),
    ("weight-norm", "‖W‖", |s| &s.weight_norms),
    ("update-ratio", "‖ΔW‖ / ‖W‖", |s| &s.update_ratios),
];

/// One row per weight layer, input first.
#[component]
pub fn LayerTable() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let cell = move |layer: usize, column: fn(&StepStats) -> &Vec<f64>| {
        lab.shown.with(|s| {
            s.as_ref()
                .and_then(|s| column(s).get(layer).copied())
                .map_or_else(|| "—".to_string(), plain)
        })
    };
    let caption = move || {
        lab.shown.with(|s| match s {
            Some(s) => format!("Per-layer numbers at step {}", s.step),
            None => "Per-layer numbers (no step yet)".to_string(),
        })
    };
    view! {
        <div class="table-wrap">
            <table id="layer-table">
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"layer"</th>
                        {COLUMNS.iter().map(|(_, title, _)| view! { <th scope="col">{*title}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    <For each=move || 0..lab.layer_count.get() key=|layer| *layer let:layer>
                        <tr data-layer=layer>
                            <th scope="row">{layer + 1}</th>
                            {COLUMNS
                                .iter()
                                .map(|(field, _, column)| {
                                    let column = *column;
                                    view! { <td data-field=*field>{move || cell(layer, column)}</td> }
                                })
                                .collect_view()}
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
    }
}
