//! Pascanu's cliff map (`map=cliff` in a link): the one-unit RNN's loss surface, and two
//! gradient descents from the point the student clicks — unclipped and clipped — drawn over it.
//! The worker computes everything ([`controller::ask_cliff`]); this draws and listens.

use super::controller;
use super::format::compact;
use super::scale::Scale;
use super::state::Lab;
use super::widgets::{MapButton, MapCanvas};
use crate::ui::canvas::LayeredCanvas;
use gradlab_charts::cliff::{draw_cliff_axes, draw_cliff_paths, point_at, CliffPath, CliffSurface};
use gradlab_engine::cliff::{wall_start, Trajectory, STEPS};
use gradlab_protocol::link::{CliffLink, CLIFF_CLIP_RANGE, CLIFF_LR_RANGE};
use leptos::html::Canvas;
use leptos::prelude::*;

/// Opens (or closes) the cliff map.
#[component]
pub fn OpenCliff() -> impl IntoView {
    let open = |lab: Lab| lab.cliff.with(Option::is_some);
    let toggle = |lab: Lab| {
        if lab.cliff.with_untracked(Option::is_some) {
            lab.cliff.set(None);
        } else {
            // One map at a time.
            lab.phase.set(None);
            lab.cliff.set(Some(CliffLink::default()));
            controller::ask_cliff(lab);
        }
    };
    view! { <MapButton id="open-cliff" label="Pascanu's cliff" open=open toggle=toggle/> }
}

/// A log slider of one of the cliff's numbers.
#[component]
fn CliffSlider(
    /// The input's id.
    id: &'static str,
    /// Visible label.
    label: &'static str,
    /// Its range.
    range: (f64, f64),
    /// Reads it from the map's state.
    get: fn(&CliffLink) -> f64,
    /// Writes it.
    set: fn(&mut CliffLink, f64),
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let scale = Scale::Log {
        min: range.0,
        max: range.1,
    };
    let (min, max, step) = scale.bounds();
    let value = move || lab.cliff.with(|c| c.as_ref().map_or(range.0, get));
    view! {
        <div class="control" hidden=move || lab.is_hidden(id)>
            <label for=id>
                <span class="name">{label}</span>
                <output for=id>{move || compact(value())}</output>
            </label>
            <input
                type="range"
                id=id
                min=min
                max=max
                step=step
                prop:value=move || scale.position(value())
                aria-valuetext=move || compact(value())
                on:change=move |ev| {
                    if let Ok(x) = event_target_value(&ev).parse::<f64>() {
                        lab.cliff.update(|c| {
                            if let Some(c) = c {
                                set(c, scale.value(x).clamp(range.0, range.1));
                            }
                        });
                        controller::ask_cliff(lab);
                    }
                }
            />
        </div>
    }
}

/// The two descents in words (the map's text equivalent), with their longest steps as data
/// attributes for tests.
fn describe(cliff: &CliffLink, trajectories: &[Trajectory]) -> String {
    let (Some(from), [plain, clipped]) = (cliff.from, trajectories) else {
        return "Click the map to start two gradient descents from that point.".to_string();
    };
    let ending = |t: &Trajectory| match &t.stopped {
        Some(why) => format!("it stopped ({why})"),
        None => format!(
            "it ends at loss {}",
            compact(t.points.last().map_or(f64::NAN, |p| p.1))
        ),
    };
    format!(
        "From w = {}, b = {}, {STEPS}-step net, η = {}: without clipping the longest step is {} \
         and {}; clipped at c = {}, the longest step is {} (never more than η·c = {}) and {}.",
        compact(from.w),
        compact(from.b),
        compact(cliff.learning_rate),
        compact(plain.longest_step()),
        ending(plain),
        compact(cliff.threshold),
        compact(clipped.longest_step()),
        compact(cliff.learning_rate * cliff.threshold),
        ending(clipped),
    )
}

/// The map, its two sliders and its summary.
#[component]
pub fn CliffPanel() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let (axes, data) = (NodeRef::<Canvas>::new(), NodeRef::<Canvas>::new());
    let layers = StoredValue::new_local(None::<LayeredCanvas>);
    let open = move || lab.cliff.with(Option::is_some);
    // Draws whenever the answer changes (and once the canvases exist and have a size).
    Effect::new(move |_| {
        let shown = lab.cliff.with(Option::is_some);
        let answer = lab.cliff_answer.get();
        let (Some(axes), Some(data), Some(answer)) = (axes.get(), data.get(), answer) else {
            return;
        };
        if !shown {
            return;
        }
        layers.update_value(|l| {
            let canvas = l.get_or_insert_with(|| LayeredCanvas::new(axes, data));
            canvas.fit();
            let style = canvas.style();
            let surface = CliffSurface {
                columns: answer.columns as usize,
                rows: answer.rows as usize,
                loss: &answer.surface,
            };
            canvas.draw_axes(|area| draw_cliff_axes(area, style, &surface));
            let paths: Vec<CliffPath> = answer
                .trajectories
                .iter()
                .enumerate()
                .map(|(i, trajectory)| CliffPath {
                    trajectory,
                    clipped: i % 2 == 1,
                })
                .collect();
            canvas.draw_data(|area| draw_cliff_paths(area, style, &paths));
        });
    });
    let click = move |ev: leptos::ev::MouseEvent| {
        let Some(canvas) = data.get() else {
            return;
        };
        let rect = canvas.get_bounding_client_rect();
        let x = f64::from(ev.client_x()) - rect.left();
        let y = f64::from(ev.client_y()) - rect.top();
        if let Some(from) = point_at(x, y, rect.width(), rect.height()) {
            lab.cliff.update(|c| {
                if let Some(c) = c {
                    c.from = Some(from);
                }
            });
            controller::ask_cliff(lab);
        }
    };
    let longest = move |i: usize| {
        lab.cliff_answer.with(|a| {
            a.as_ref()
                .and_then(|a| a.trajectories.get(i))
                .map(|t| t.longest_step().to_string())
        })
    };
    let summary = move || {
        let cliff = lab.cliff.get().unwrap_or_default();
        lab.cliff_answer
            .with(|a| describe(&cliff, a.as_ref().map_or(&[][..], |a| &a.trajectories)))
    };
    view! {
        <section class="cliff" id="cliff" hidden=move || !open() aria-labelledby="cliff-heading">
            <div class="caption-row">
                <h2 id="cliff-heading">"Pascanu's cliff " <small>"— one recurrent unit, 50 steps"</small></h2>
                <button id="close-cliff" on:click=move |_| lab.cliff.set(None)>"Close"</button>
            </div>
            <p class="subtitle">
                "The net of Pascanu, Mikolov & Bengio (2013, fig. 6): x_t = w·σ(x_{t−1}) + b from x₀ = 0.5, "
                "loss (σ(x₅₀) − 0.7)², coloured over (w, b) from dark (0) to yellow (0.49), with contour lines — the same BPTT as the lab's RNN. "
                {format!("Past w ≈ {:.2} the white dashed wall appears: there the 50 steps end on one fixed point or the other, so the loss jumps within a band of b far thinner than a pixel. ", wall_start())}
                "Click the map: two descents start there, without clipping (vermillion) and with global-norm clipping (blue)."
            </p>
            <div class="cliff-controls">
                <CliffSlider id="cliff-lr" label="Learning rate η" range=CLIFF_LR_RANGE get=|c| c.learning_rate set=|c, v| c.learning_rate = v/>
                <CliffSlider id="cliff-clip" label="Clip threshold c" range=CLIFF_CLIP_RANGE get=|c| c.threshold set=|c, v| c.threshold = v/>
            </div>
            <MapCanvas
                id="cliff-chart"
                label="Heat map of the one-unit RNN's loss over w and b, with the descent paths"
                summary="cliff-summary"
                axes=axes
                data=data
                on_click=Callback::new(click)
            />
            <p
                id="cliff-summary"
                class="chart-summary"
                role="status"
                data-longest-plain=move || longest(0)
                data-longest-clipped=move || longest(1)
            >
                {summary}
            </p>
        </section>
    }
}
