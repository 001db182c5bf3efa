//! The trainability map (`map=phase` in a link): a grid of short runs over two settings, every
//! other setting taken from the lab's run A, computed by [`super::phase_pool`] and drawn here as
//! they finish; theory over it; a click loads a tile's configuration into the lab.

use super::format::compact;
use super::phase_pool::{self, Pool};
use super::state::Lab;
use super::widgets::{MapButton, MapCanvas};
use crate::ui::canvas::LayeredCanvas;
use gradlab_charts::phase::{draw_phase, Overlay, PhaseGrid};
use gradlab_engine::settings::Value;
use gradlab_engine::sweep::{
    correlation_depth, critical_weight_scale, recurrent_line, trainable_depth, Outcome,
    EXPLODED_RATIO, TRAINED_FRACTION, VANISHED_RATIO,
};
use gradlab_engine::{Activation, Field, TrainParams};
use gradlab_protocol::link::PhaseLink;
use leptos::html::Canvas;
use leptos::prelude::*;

/// Theory over the map, for the axes it knows, and a sentence saying what is drawn or why not.
fn overlays(params: &TrainParams, map: &PhaseLink) -> (Vec<Overlay>, String) {
    let activation = Activation::from_name(&params.activation).unwrap_or(Activation::Tanh);
    let pair = (map.x.field, map.y.field);
    if pair == (Field::Depth, Field::WeightScale) {
        if params.residual == "on" || params.layer_norm == "on" {
            return (Vec::new(), "No theory line: the mean-field theory is for plain nets, not residual or LayerNorm ones.".into());
        }
        let mut lines = Vec::new();
        if let Some(sigma) = critical_weight_scale(activation, params.bias_scale) {
            lines.push(Overlay {
                points: vec![(map.x.from, sigma), (map.x.to, sigma)],
                label: format!("χ₁ = 1 (σ = {})", compact(sigma)),
            });
        }
        let samples = 80;
        let depth_curve: Vec<(f64, f64)> = (0..=samples)
            .map(|i| map.y.from + (map.y.to - map.y.from) * f64::from(i) / f64::from(samples))
            .map(|sigma| (trainable_depth(activation, sigma, params.bias_scale), sigma))
            .collect();
        // Drawn as two branches (below and above the critical σ), each a curve of its own.
        let split = depth_curve
            .windows(2)
            .position(|w| w[1].0 < w[0].0)
            .map_or(depth_curve.len(), |i| i + 1);
        for branch in [&depth_curve[..split], &depth_curve[split..]] {
            if branch.len() > 1 {
                lines.push(Overlay {
                    points: branch.to_vec(),
                    label: "6ξ_∇".into(),
                });
            }
        }
        // Above the critical σ, tanh and sigmoid nets also have Schoenholz's 6ξ_c (at the
        // correlation fixed point c* < 1); below it the two curves are one.
        let chaotic: Vec<(f64, f64)> = depth_curve[split..]
            .iter()
            .map(|&(_, sigma)| {
                (
                    correlation_depth(activation, sigma, params.bias_scale),
                    sigma,
                )
            })
            .filter(|(depth, _)| depth.is_finite())
            .collect();
        let correlation_drawn =
            matches!(activation, Activation::Tanh | Activation::Sigmoid) && chaotic.len() > 1;
        if correlation_drawn {
            lines.push(Overlay {
                points: chaotic,
                label: "6ξ_c".into(),
            });
        }
        let text = if correlation_drawn {
            "Lines: the critical σ where χ₁ = 1; depth 6ξ_∇(σ), ξ_∇ = 1/|ln χ₁| the depth over which the gradient grows or shrinks e-fold, which bounds where these short runs train; and above the critical σ Schoenholz et al.'s (2017) 6ξ_c, ξ_c = −1/ln χ_c* at the correlation fixed point c* < 1 (below it the two are one curve). They found nets train where depth ≲ 6ξ_c; in 200 steps the gradient's explosion stops them sooner (for the initial weights)."
        } else {
            "Lines: the critical σ where χ₁ = 1, and depth 6ξ_∇(σ), ξ_∇ = 1/|ln χ₁| the depth over which the gradient grows or shrinks e-fold — Schoenholz et al.'s (2017) 6ξ_c below the critical σ (for the initial weights)."
        };
        (lines, text.into())
    } else if map.y.field == Field::RecurrentScale && params.model == "rnn" {
        let init = gradlab_engine::rnn::RecurrentInit::from_name(&params.recurrent_init)
            .unwrap_or(gradlab_engine::rnn::RecurrentInit::Gaussian);
        if params.cell != "vanilla" && !params.cell.is_empty() {
            return (
                Vec::new(),
                "No theory line: Pascanu's λ₁ condition is the vanilla cell's.".into(),
            );
        }
        let g = recurrent_line(activation, init);
        let text = format!(
            "Line: Pascanu's λ₁(W_h) = 1/γ at g = {} ({} W_h: λ₁ {}). Below it the error must vanish through time; above it, explosion is possible.",
            compact(g),
            init.name(),
            if init == gradlab_engine::rnn::RecurrentInit::Gaussian { "≈ 2g" } else { "= g" }
        );
        (
            vec![Overlay {
                points: vec![(map.x.from, g), (map.x.to, g)],
                label: "λ₁ = 1/γ".into(),
            }],
            text,
        )
    } else {
        (Vec::new(), "No theory line for these axes: the app draws it for depth × weight scale (MLP) and any × recurrent scale (RNN).".into())
    }
}

/// Opens (or closes) the trainability map.
#[component]
pub fn OpenPhase() -> impl IntoView {
    let open = |lab: Lab| lab.phase.with(Option::is_some);
    let toggle = |lab: Lab| {
        if lab.phase.with_untracked(Option::is_some) {
            lab.phase.set(None);
        } else {
            lab.cliff.set(None);
            let map = lab.params.with_untracked(PhaseLink::default_for);
            lab.phase.set(Some(map));
        }
    };
    view! { <MapButton id="open-phase" label="Trainability map" open=open toggle=toggle/> }
}

/// The map, its progress, legend and controls.
#[component]
pub fn PhasePanel() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let pool = StoredValue::new_local(Pool::default());
    let (axes, data) = (NodeRef::<Canvas>::new(), NodeRef::<Canvas>::new());
    let layers = StoredValue::new_local(None::<LayeredCanvas>);
    // A map opened (or changed) starts computing; a closed one stops.
    Effect::new(move |previous: Option<Option<PhaseLink>>| {
        let map = lab.phase.get();
        if map != previous.flatten() {
            match map {
                Some(_) => phase_pool::start(lab, pool),
                None => phase_pool::cancel(lab, pool),
            }
        }
        map
    });
    let marker = move || {
        lab.phase.with(|m| {
            let m = (*m)?;
            lab.params.with(|p| {
                let value = |f: Field| match p.value(f) {
                    Value::Number(v) => Some(v),
                    _ => None,
                };
                Some((value(m.x.field)?, value(m.y.field)?))
            })
        })
    };
    let theory = Memo::new(move |_| {
        lab.phase
            .with(|m| m.map(|m| lab.params.with(|p| overlays(p, &m))))
            .unwrap_or_default()
    });
    Effect::new(move |_| {
        let tiles = lab.phase_tiles.get();
        let (Some(map), Some(axes), Some(data)) = (tiles.map, axes.get(), data.get()) else {
            return;
        };
        if lab.phase.with(Option::is_none) {
            return;
        }
        let outcomes: Vec<Option<Outcome>> =
            tiles.tiles.iter().map(|c| c.map(|c| c.outcome)).collect();
        let too_big = tiles.too_big.clone();
        let (lines, _) = theory.get();
        let marker = marker();
        layers.update_value(|l| {
            let canvas = l.get_or_insert_with(|| LayeredCanvas::new(axes, data));
            canvas.fit();
            let style = canvas.style();
            let grid = PhaseGrid {
                x: map.x,
                y: map.y,
                tiles: &outcomes,
                too_big: &too_big,
                overlays: &lines,
                marker,
            };
            canvas.draw_axes(|area| draw_phase(area, style, &grid));
            canvas.draw_data(|_| Ok(()));
        });
    });
    let click = move |ev: leptos::ev::MouseEvent| {
        let (Some(canvas), Some(map)) = (data.get(), lab.phase.get_untracked()) else {
            return;
        };
        let rect = canvas.get_bounding_client_rect();
        let grid = PhaseGrid {
            x: map.x,
            y: map.y,
            tiles: &[],
            too_big: &[],
            overlays: &[],
            marker: None,
        };
        let x = f64::from(ev.client_x()) - rect.left();
        let y = f64::from(ev.client_y()) - rect.top();
        if let Some((column, row)) = grid.tile_at(x, y, rect.width(), rect.height()) {
            // The lab takes the tile's settings (a rebuild: the run starts over).
            lab.params.update(|p| {
                p.set(map.x.field, Value::Number(map.x.value(column)));
                p.set(map.y.field, Value::Number(map.y.value(row)));
            });
        }
    };
    let progress = move || {
        lab.phase_tiles.with(|c| {
            if c.tiles.is_empty() {
                return "Starting the map's workers…".to_string();
            }
            let done = c.tiles.iter().filter(|c| c.is_some()).count();
            let count = |o: Outcome| c.tiles.iter().flatten().filter(|c| c.outcome == o).count();
            let state = if c.workers > 0 {
                format!("computing on {} worker{}", c.workers, if c.workers == 1 { "" } else { "s" })
            } else if c.cancelled {
                "cancelled".to_string()
            } else {
                "done".to_string()
            };
            let failed = c
                .failed
                .as_ref()
                .map(|(n, why)| format!(" {n} tile(s) failed: {why}."))
                .unwrap_or_default();
            let too_big = match c.too_big.len() {
                0 => String::new(),
                n => format!(" {n} tile(s) too big to train here (crossed out): {}", c.too_big_why),
            };
            format!(
                "{done} of {} tiles, {state} — trained {}, exploded {}, vanished {}, stalled {}.{failed}{too_big}",
                c.tiles.len(),
                count(Outcome::Trained),
                count(Outcome::Exploded),
                count(Outcome::Vanished),
                count(Outcome::Stalled),
            )
        })
    };
    let outcome_codes = move || {
        lab.phase_tiles.with(|c| {
            c.tiles
                .iter()
                .map(|c| c.map_or("-", |c| c.outcome.name()))
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    // The square of the lab's own setting, when the grid has it: "outcome loss_first", so the
    // lab's run can be checked against it (same settings and seed, same numbers).
    let lab_tile = move || {
        let (x, y) = marker()?;
        lab.phase_tiles.with(|c| {
            let map = c.map?;
            let column = (0..map.x.count).find(|&i| map.x.value(i) == x)?;
            let row = (0..map.y.count).find(|&i| map.y.value(i) == y)?;
            let tile = c.tiles.get(row * map.x.count + column).copied().flatten()?;
            Some(format!("{} {}", tile.outcome.name(), tile.loss_first))
        })
    };
    let running = move || lab.phase_tiles.with(|c| c.workers > 0);
    let title = move || {
        lab.phase.with(|m| {
            m.map(|m| {
                format!(
                    "{} × {}, {} steps per tile",
                    m.x.field.label(),
                    m.y.field.label(),
                    m.steps
                )
            })
            .unwrap_or_default()
        })
    };
    view! {
        <section class="cliff phase" id="phase" hidden=move || lab.phase.with(Option::is_none) aria-labelledby="phase-heading">
            <div class="caption-row">
                <h2 id="phase-heading">"Trainability map " <small>{title}</small></h2>
                <span>
                    <button id="phase-restart" on:click=move |_| phase_pool::start(lab, pool)>"Recompute"</button>
                    " "
                    <button id="phase-cancel" disabled=move || !running() on:click=move |_| phase_pool::cancel(lab, pool)>"Cancel"</button>
                    " "
                    <button id="close-phase" on:click=move |_| lab.phase.set(None)>"Close"</button>
                </span>
            </div>
            <p class="subtitle">
                "Each square is a short run with the lab's other settings and seed, trained by a pool of workers beside the lab's own. "
                {format!(
                    "Trained: the final loss (mean of the last tenth of the steps) is at most {}× the task's baseline (the best loss without memory for an RNN, the best constant prediction's for an MLP: a net that only shrinks its output to the targets' mean has not trained). Exploded: it overflowed, or did not train with a step-0 first-to-last gradient ratio above 10^{}. Vanished: it did not train with that ratio below 10^{}. Stalled: anything else. ",
                    TRAINED_FRACTION, EXPLODED_RATIO.log10(), VANISHED_RATIO.log10()
                )}
                "The ring is the lab's current setting; click a square to load it into the lab."
            </p>
            <div class="legend">
                <span class="key"><span class="swatch trained"></span>"trained"</span>
                <span class="key"><span class="swatch overflow"></span>"exploded"</span>
                <span class="key"><span class="swatch before"></span>"vanished"</span>
                <span class="key"><span class="swatch stalled"></span>"stalled"</span>
                <span class="key"><span class="swatch theory-line"></span>"theory"</span>
            </div>
            <MapCanvas
                id="phase-chart"
                label="Grid of short training runs coloured by outcome"
                summary="phase-summary"
                axes=axes
                data=data
                on_click=Callback::new(click)
            />
            <p id="phase-summary" class="chart-summary" role="status" data-outcomes=outcome_codes data-lab-cell=lab_tile>{progress}</p>
            <p class="hint" id="phase-theory">{move || theory.get().1}</p>
        </section>
    }
}
