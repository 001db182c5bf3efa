//! The live charts' components: each chart's caption, stacked canvases and legend, the
//! per-layer chart's view switch and phase badge, and the λ₁ gauge. In compare mode a second
//! per-layer chart shows run B on the same scale as A's, and the loss chart draws both runs.
//! Drawing is the [`painter`](super::painter)'s; the charts' data is
//! [`chart_data`](super::chart_data)'s.

use super::chart_data::mean_field_of;
use super::format::compact;
use super::painter::{Painter, PainterSlot};
use super::png::save_png;
use super::state::{BarsQuantity, Lab};
use gradlab_engine::cell::Cell;
use gradlab_engine::{Activation, ProfileAxis};
use leptos::html::Canvas;
use leptos::prelude::*;

/// Switches what the per-layer chart plots.
pub fn set_bars_quantity(lab: Lab, quantity: BarsQuantity) {
    lab.bars_quantity.set(quantity);
    lab.session.update_value(|s| {
        s.bars_quantity = quantity;
        s.version += 1;
    });
}

/// One chart: a caption, two stacked canvases (axes below, data above) and a legend.
#[component]
fn Chart(
    /// The data canvas's id (the test hook).
    id: &'static str,
    /// The chart's title.
    title: &'static str,
    /// Its title while the model is an RNN, where that differs.
    #[prop(optional)]
    rnn_title: Option<&'static str>,
    /// Its subtitle while the model is an RNN, where that differs.
    #[prop(optional)]
    rnn_subtitle: Option<&'static str>,
    /// Its title while the model is a Transformer, where that differs.
    #[prop(optional)]
    transformer_title: Option<&'static str>,
    /// Its subtitle while the model is a Transformer, where that differs.
    #[prop(optional)]
    transformer_subtitle: Option<&'static str>,
    /// In compare mode, the run it shows ("A", "B") or "A + B".
    #[prop(optional)]
    run: &'static str,
    /// One line saying what is plotted.
    subtitle: &'static str,
    /// A text alternative for screen readers.
    description: &'static str,
    /// The axes canvas.
    axes: NodeRef<Canvas>,
    /// The data canvas.
    data: NodeRef<Canvas>,
    /// The chart in words, live (its text equivalent), where it has one.
    #[prop(optional, into)]
    summary: Option<Signal<String>>,
    /// Legend entries below the chart.
    children: Children,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let painter = expect_context::<PainterSlot>();
    // The text for the model trained: its own where it has one, else the MLP's.
    let pick =
        move |mlp: &'static str, rnn: Option<&'static str>, transformer: Option<&'static str>| {
            lab.params.with(|p| match p.model.as_str() {
                "rnn" => rnn.unwrap_or(mlp),
                "transformer" => transformer.unwrap_or(mlp),
                _ => mlp,
            })
        };
    let tag = (!run.is_empty()).then(|| {
        let class = format!(
            "run-tag run-{}",
            run.chars().next().unwrap_or('A').to_ascii_lowercase()
        );
        view! { <span class=class>{format!("run {run}")}</span> }
    });
    view! {
        <figure class="chart" id=format!("{id}-figure") hidden=move || !lab.shows_chart(embed_name(id))>
            <figcaption>
                <div class="caption-row">
                    <h2>{move || pick(title, rnn_title, transformer_title)} {tag}</h2>
                    <button
                        class="png"
                        id=format!("png-{id}")
                        title="Save this chart as a PNG image"
                        hidden=move || lab.is_hidden("downloads")
                        on:click=move |_| save_png(lab, painter, id)
                    >
                        "PNG"
                    </button>
                </div>
                <p class="subtitle">{move || pick(subtitle, rnn_subtitle, transformer_subtitle)}</p>
            </figcaption>
            <div class="canvas-stack">
                <canvas class="axes" node_ref=axes aria-hidden="true"></canvas>
                <canvas
                    id=id
                    class="data"
                    node_ref=data
                    role="img"
                    aria-label=description
                    aria-describedby=summary.map(|_| format!("{id}-summary"))
                ></canvas>
            </div>
            {summary.map(|text| view! { <p class="chart-summary" id=format!("{id}-summary")>{text}</p> })}
            <div class="legend">{children()}</div>
        </figure>
    }
}

/// A chart's name in an embed link's `embed-charts` ([`gradlab_protocol::link::EMBED_CHARTS`]).
fn embed_name(id: &str) -> &'static str {
    match id.trim_end_matches("-b") {
        "grad-chart" => "layers",
        "history-chart" => "history",
        "range-chart" => "range",
        _ => "loss",
    }
}

/// Whether run A's (or with `run_b`, run B's) chart draws the LSTM's ‖∂L/∂c_t‖ line: an LSTM
/// in the through-time view.
fn shows_cell_state(lab: Lab, run_b: bool) -> bool {
    let through_time = lab.bars_quantity.get() == BarsQuantity::Gradient;
    let cell = lab.params.with(|p| {
        if run_b {
            lab.compare.with(|v| v.as_ref().map(|v| v.apply(p).cell()))
        } else {
            Some(p.cell())
        }
    });
    through_time && lab.params.with(|p| p.model == "rnn") && cell == Some(Cell::Lstm)
}

/// A legend entry: a colour swatch and its meaning.
#[component]
fn Key(
    /// CSS class giving the swatch its colour.
    swatch: &'static str,
    /// What the colour means.
    label: &'static str,
) -> impl IntoView {
    view! {
        <span class="key">
            <span class=format!("swatch {swatch}")></span>
            {label}
        </span>
    }
}

/// The per-layer chart's view switch, the one-line reason the two views differ, and the phase
/// badge with χ₁ and the depth scale for the current settings.
#[component]
fn BarsOptions() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let choose = move |quantity: BarsQuantity| set_bars_quantity(lab, quantity);
    let mean_field = Memo::new(move |_| lab.params.with(|p| mean_field_of(&p.repair().0)));
    let badge = move || {
        let Some(mf) = mean_field.get() else {
            return "no mean-field theory for residual or LayerNorm nets".to_string();
        };
        let xi = mf.depth_scale();
        let depth = if xi.is_finite() {
            format!("ξ = {} layers", compact(xi))
        } else {
            "ξ = ∞".to_string()
        };
        format!(
            "{} · χ₁ = {} · {depth}",
            mf.phase().name(),
            compact(mf.chi1)
        )
    };
    let option = move |quantity: BarsQuantity,
                       id: &'static str,
                       label: Box<dyn Fn() -> &'static str + Send + Sync>| {
        view! {
            <label class="segment">
                <input
                    type="radio"
                    name="bars-quantity"
                    id=id
                    prop:checked=move || lab.bars_quantity.get() == quantity
                    on:change=move |_| choose(quantity)
                />
                {label}
            </label>
        }
    };
    let recurrent = move || lab.params.with(|p| p.model == "rnn");
    let transformer = move || lab.params.with(|p| p.model == "transformer");
    // The same views for every model, each labelled for what it shows there.
    let option =
        move |quantity: BarsQuantity, id: &'static str, [mlp, rnn, blocks]: [&'static str; 3]| {
            option(
                quantity,
                id,
                Box::new(move || {
                    if recurrent() {
                        rnn
                    } else if transformer() {
                        blocks
                    } else {
                        mlp
                    }
                }),
            )
        };
    view! {
        <div class="bars-options">
            <div class="segmented" role="radiogroup" aria-label="What the chart shows">
                {option(BarsQuantity::Gradient, "show-gradient", ["‖∂L/∂W‖ weight gradient", "‖∂L/∂h_t‖ through time", "‖∂L/∂θ‖ per group"])}
                {option(BarsQuantity::Delta, "show-delta", ["‖δ‖ error + theory", "‖∂L/∂θ‖ per group", "‖∂L/∂x_l‖ per block"])}
                {option(BarsQuantity::UpdateRatio, "show-update-ratio", ["‖ΔW‖/‖W‖ update"; 3])}
                {option(BarsQuantity::UpdateNorm, "show-update-norm", ["‖ΔW‖ step"; 3])}
            </div>
            <span id="phase-badge" class="badge" hidden=move || recurrent() || transformer() data-phase=move || mean_field.get().map_or("none", |mf| mf.phase().name())>{badge}</span>
            <SigmaMax/>
        </div>
        <p class="subtitle why">
            {move || if transformer() { match lab.bars_quantity.get() {
                BarsQuantity::Gradient => "Each parameter group's gradient before and after clipping: embed, pos, then per block its attention (q|k|v, output), its MLP and its LayerNorms, then the readout. In a Post-LN net the groups near the output start largest (Xiong et al. 2020).",
                BarsQuantity::Delta => "‖∂L/∂x_l‖: the error on the residual stream entering block l, first block on the left. Pre-LN adds each block's branch to an untouched stream, so the error reaches every block directly; Post-LN passes it through each block's LayerNorm on the way back.",
                BarsQuantity::UpdateRatio => "How far each step moves each weight matrix, relative to its size (LayerNorms and biases: 0). The orange line is the common rule of thumb, about 10⁻³.",
                BarsQuantity::UpdateNorm => "‖ΔW‖: how far the optimizer moved each weight matrix this step. Adam moves each weight by about η however large its gradient — ‖ΔW‖ ≈ η·√(weights in the matrix).",
            } } else if recurrent() { match lab.bars_quantity.get() {
                BarsQuantity::Gradient if lab.params.with(|p| p.cell() == Cell::Lstm) => "‖∂L/∂h_t‖ (bars) is the error reaching time step t; the dark line is ‖∂L/∂c_t‖, the error on the LSTM's cell state. c_t = f⊙c_{t−1} + i⊙g is a sum, so each step back multiplies its error by the forget gate f alone. f starts near σ(1) ≈ 0.73 (its bias is 1), and as training opens it toward 1 the error crosses gaps where the vanilla cell's, multiplied by W_hᵀ·diag(φ′) every step, fades.",
                BarsQuantity::Gradient if lab.params.with(|p| p.cell() == Cell::Gru) => "‖∂L/∂h_t‖ is the error reaching time step t. The GRU's h_t = (1 − z)⊙n + z⊙h_{t−1} keeps a share z of the old state, so part of the error flows back multiplied by z alone — no weight matrix, no φ′ — and crosses gaps the vanilla cell's cannot.",
                BarsQuantity::Gradient => "‖∂L/∂h_t‖ is the error reaching time step t: backprop through time multiplies it by W_hᵀ·diag(φ′) once per step back. The green line (linear RNN with orthogonal or identity W_h, last-state readout) is the exact theory: growth by g per step.",
                BarsQuantity::Delta => "The gradient of each parameter tensor before and after clipping — per-group clipping here is exactly Keras' clipnorm (one tensor per group).",
                BarsQuantity::UpdateRatio => "How far each step moves each weight matrix, relative to its size (biases: 0). The orange line is the common rule of thumb, about 10⁻³.",
                BarsQuantity::UpdateNorm => "‖ΔW‖: how far the optimizer moved each weight matrix this step (biases: 0). SGD moves by η × the clipped gradient; Adam and RMSProp divide by the gradient's running size, so each weight moves by about η however large the gradient — ‖ΔW‖ ≈ η·√(weights in the matrix).",
            } } else { match lab.bars_quantity.get() {
                BarsQuantity::Gradient => "The weight gradient ∂L/∂W = hᵀδ also carries the forward signal h, which often shrinks where δ grows — so its profile can look flatter than δ's.",
                BarsQuantity::UpdateRatio => "How far each step moves each layer's weights, relative to their size. The orange line is the common rule of thumb, about 10⁻³: far above it, updates are too violent; far below, the layer barely learns.",
                BarsQuantity::UpdateNorm => "‖ΔW‖: how far the optimizer moved each layer's weights this step. SGD moves by η × the clipped gradient, so an exploding gradient makes a huge step; Adam and RMSProp divide by the gradient's running size, so each weight moves by about η however large the gradient — ‖ΔW‖ ≈ η·√(weights in the layer).",
                BarsQuantity::Delta => "δ is the error arriving at each layer. The green line is mean-field theory for the initial weights: ‖δ‖ grows by √χ₁ per layer toward the input, anchored at the output. Training moves the weights, and the measured profile away from it.",
            } }}
        </p>
    }
}

/// The three live charts.
#[component]
pub fn Charts() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let painter = expect_context::<PainterSlot>();
    let refs: [NodeRef<Canvas>; 10] = std::array::from_fn(|_| NodeRef::new());
    Effect::new(move |_| {
        let canvases: Vec<_> = refs.iter().filter_map(|r| r.get()).collect();
        if canvases.len() != refs.len() {
            return;
        }
        let mut c = canvases.into_iter();
        let mut pair = || {
            (
                c.next().expect("ten canvases"),
                c.next().expect("ten canvases"),
            )
        };
        let pairs = [pair(), pair(), pair(), pair(), pair()];
        painter.0.set_value(Some(Painter::new(pairs)));
    });
    view! {
        <section class="charts" class:compare=move || lab.compare.with(Option::is_some) aria-label="Charts">
            <Chart
                id="grad-chart"
                run="A"
                title="Gradient magnitude per layer"
                rnn_title="Gradient magnitude per time step"
                transformer_title="Gradient magnitude per group and block"
                subtitle="each layer at the latest step, log scale — input on the left"
                rnn_subtitle="the error reaching each time step at the latest step, log scale — earliest step on the left"
                transformer_subtitle="each parameter group (embed, pos, each block's attention, MLP and LayerNorms, readout), or each block's residual-stream error, at the latest step, log scale — input side on the left"
                description="Bar chart of each layer's gradient norm; the same numbers are in the layer table below."
                axes=refs[0]
                data=refs[1]
            >
                <Key swatch="before" label="before clipping"/>
                <Key swatch="after" label="after clipping (what the update uses)"/>
                <Key swatch="threshold" label="clip threshold"/>
                <Key swatch="overflow" label="NaN / ∞"/>
                <span hidden=move || lab.params.with(|p| p.model != "mlp")><Key swatch="theory" label="theory (‖δ‖ view)"/></span>
                <span hidden=move || lab.params.with(|p| p.model != "rnn" || p.cell() != Cell::Vanilla)><Key swatch="theory" label="theory, where exact (linear, orthogonal or identity W_h)"/></span>
                <span hidden=move || !shows_cell_state(lab, false)><Key swatch="cell-state" label="‖∂L/∂c_t‖, the LSTM's cell state"/></span>
                <BarsOptions/>
            </Chart>
            <div class="chart-slot" hidden=move || lab.compare.with(Option::is_none)>
                <Chart
                    id="grad-chart-b"
                    run="B"
                    title="Gradient magnitude per layer"
                    rnn_title="Gradient magnitude per time step"
                    transformer_title="Gradient magnitude per group and block"
                    subtitle="run B, same quantity and scale as run A's chart"
                    description="Bar chart of run B's per-layer numbers, on the same scale as run A's."
                    axes=refs[6]
                    data=refs[7]
                >
                    <span hidden=move || !shows_cell_state(lab, true)><Key swatch="cell-state" label="‖∂L/∂c_t‖, the LSTM's cell state"/></span>
                    <span class="key">{move || lab.compare.with(|v| format!("B differs from A in: {}", v.as_ref().map(|v| v.summary()).unwrap_or_default()))}</span>
                </Chart>
            </div>
            <Chart
                id="history-chart"
                run="A"
                title="Gradient magnitude over time"
                subtitle="each layer's largest ‖∂L/∂W‖ per column of steps, colour on a log scale — explosion lights up the lower rows"
                transformer_subtitle="each block's largest residual-stream error ‖∂L/∂x_l‖ per column of steps, colour on a log scale — the first block is the lowest row"
                rnn_subtitle="each time step's largest ‖∂L/∂h_t‖ per column of training steps, colour on a log scale — explosion lights up the lower (earliest) rows"
                description="Heat map of gradient norm by layer and step."
                axes=refs[2]
                data=refs[3]
                summary=Signal::derive(move || lab.chart_summaries.with(|s| s.history.clone()))
            >
                <Key swatch="overflow" label="NaN / ∞"/>
                <Key swatch="threshold" label="clipping acted (ticks above)"/>
            </Chart>
            <Chart
                id="loss-chart"
                run="A + B"
                title="Loss"
                subtitle="mean squared error (plus L1/L2) per step, log scale, the whole run"
                rnn_subtitle="the task's loss (mean squared error, or cross-entropy in nats for copy and language; plus L1/L2) per step, log scale"
                transformer_subtitle="the task's loss (cross-entropy in nats for copy and language, mean squared error for adding and series; plus L1/L2) per step, log scale"
                description="Line chart of the training loss over steps."
                axes=refs[4]
                data=refs[5]
                summary=Signal::derive(move || lab.chart_summaries.with(|s| s.loss.clone()))
            >
                <Key swatch="after" label="loss (min–max per column)"/>
                <span hidden=move || lab.compare.with(Option::is_none)><Key swatch="run-b" label="run B's loss"/></span>
                <Key swatch="overflow" label="divergence"/>
                <Key swatch="threshold" label="clipping acted (ticks)"/>
                <span hidden=move || lab.params.with(|p| p.loss_scale == "none")><Key swatch="overflow" label="step skipped by the loss scaler (ticks above)"/></span>
                <span hidden=move || lab.model.with(|m| m.baseline.is_none() || m.axis == ProfileAxis::Layers)>
                    <Key swatch="baseline" label="baseline: the best loss without memory"/>
                </span>
                <span hidden=move || lab.model.with(|m| m.baseline.is_none() || m.axis != ProfileAxis::Layers)>
                    <Key swatch="baseline" label="baseline: the best constant prediction"/>
                </span>
            </Chart>
            <Chart
                id="range-chart"
                run="A + B"
                title="Where the gradients fall"
                subtitle="share of a recent step's gradient values per power of two (one step of each chunk the worker trains, several a second), as the backward pass held them — beside f16's and bf16's ranges"
                description="Histogram of a recent step's gradient values by binary exponent, with the number formats' zero, subnormal, normal and overflow regions shaded above it."
                axes=refs[8]
                data=refs[9]
                summary=Signal::derive(move || lab.chart_summaries.with(|s| s.range.clone()))
            >
                <Key swatch="after" label="gradient values (run A)"/>
                <span hidden=move || lab.compare.with(Option::is_none)><Key swatch="run-b" label="run B's"/></span>
                <Key swatch="flush" label="rounds to 0"/>
                <Key swatch="subnormal" label="subnormal (fewer digits)"/>
                <Key swatch="overflow" label="overflows to ∞ — and ∞/NaN values"/>
                <span hidden=move || lab.params.with(|p| p.loss_scale == "none")><Key swatch="after" label="loss scale S over the run (lower panel), skipped steps ticked"/></span>
            </Chart>
        </section>
    }
}

/// The λ₁ gauge (RNN only): the recurrent matrix's largest singular value and spectral radius,
/// live, with Pascanu et al.'s condition. |φ′| ≤ γ (1 for tanh, linear and ReLU, ¼ for
/// sigmoid): λ₁ < 1/γ is sufficient for the error to vanish through time, λ₁ > 1/γ necessary
/// for it to explode.
#[component]
fn SigmaMax() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let gamma_inverse = move || {
        lab.params
            .with(|p| Activation::from_name(&p.activation).map_or(1.0, Activation::recurrent_bound))
    };
    // A gated cell's W_h stacks one block per gate, and its Jacobian through time has the
    // gates in it: Pascanu's condition on one matrix is the vanilla cell's.
    let gated = move || {
        lab.params
            .with(|p| Cell::from_name(&p.cell).unwrap_or_default() != Cell::Vanilla)
    };
    let text = move || match lab.spectrum.get() {
        _ if gated() => "λ₁(W_h) — no single recurrent matrix in a gated cell: Pascanu's \
                         condition is the vanilla cell's"
            .to_string(),
        Some((sigma, _)) if !sigma.is_finite() => {
            "λ₁(W_h) — no value: W_h overflowed when the run diverged".to_string()
        }
        Some((sigma, radius)) => {
            let bound = gamma_inverse();
            let meaning = if sigma < bound {
                format!("below 1/γ = {bound}: the error must vanish through time")
            } else {
                format!("above 1/γ = {bound}: explosion is possible (necessary, not sufficient)")
            };
            format!(
                "λ₁(W_h) = {} · ρ = {} — {meaning}",
                compact(sigma),
                compact(radius)
            )
        }
        None => "λ₁(W_h) — shown once the network is built".to_string(),
    };
    let state = move || match lab.spectrum.get() {
        _ if gated() => "none",
        Some((sigma, _)) if !sigma.is_finite() => "diverged",
        Some((sigma, _)) if sigma >= gamma_inverse() => "exploding",
        Some(_) => "vanishing",
        None => "critical",
    };
    view! {
        <span
            id="sigma-max"
            class="badge"
            hidden=move || lab.params.with(|p| p.model != "rnn")
            data-phase=state
            data-value=move || lab.spectrum.get().map(|s| s.0.to_string())
        >
            {text}
        </span>
    }
}
