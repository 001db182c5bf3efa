//! The live charts: canvases in the page, painted once per animation frame at most. In compare
//! mode a second per-layer chart shows run B on the same scale as A's, and the loss chart draws
//! both runs.

use super::download;
use super::format::compact;
use super::now;
use super::state::{BarsQuantity, Lab, Session, Trace};
use crate::charts::heatmap::{
    draw_history_axes, draw_history_clip_ticks, history_plot_rect, HistoryFrame,
};
use crate::charts::history::HISTORY_COLUMNS;
use crate::charts::layer_bars::{draw_layer_bars, draw_layer_bars_axes, BarsFrame, LayerBars};
use crate::charts::loss::{draw_loss, draw_loss_axes, draw_loss_baseline, LossFrame};
use crate::charts::Unit;
use crate::engine::rnn::RecurrentInit;
use crate::engine::theory::MeanField;
use crate::engine::{ClipMode, TrainConfig};
use leptos::html::Canvas;
use leptos::prelude::*;

use crate::charts::canvas::LayeredCanvas;
use web_sys::HtmlCanvasElement;

/// Paints the charts from the session; owns the canvases and each chart's current frame.
pub struct Painter {
    /// Per-layer A, heat map, loss, per-layer B.
    layers: [LayeredCanvas; 4],
    bars: Option<BarsFrame>,
    history: Option<HistoryFrame>,
    history_rect: Option<(i32, i32, i32, i32)>,
    loss: Option<LossFrame>,
    painted: Option<u64>,
    /// Milliseconds spent in recent paints that drew something (newest last, bounded).
    paint_ms: std::collections::VecDeque<f64>,
}

impl Painter {
    /// A painter for the charts, given their (axes, data) canvas pairs in [`CHART_IDS`] order.
    pub fn new(canvases: [(HtmlCanvasElement, HtmlCanvasElement); 4]) -> Self {
        Self {
            layers: canvases.map(|(axes, data)| LayeredCanvas::new(axes, data)),
            bars: None,
            history: None,
            history_rect: None,
            loss: None,
            painted: None,
            paint_ms: std::collections::VecDeque::with_capacity(PAINT_SAMPLES),
        }
    }

    /// Median and 95th percentile of recent paint times (ms), `(0, 0)` before any.
    pub fn paint_ms(&self) -> (f64, f64) {
        let mut sorted: Vec<f64> = self.paint_ms.iter().copied().collect();
        if sorted.is_empty() {
            return (0.0, 0.0);
        }
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        (at(0.5), at(0.95))
    }

    /// Paints what changed since the last call; returns whether anything was drawn.
    pub fn paint(&mut self, session: &Session) -> bool {
        let started = now();
        let drew = self.paint_inner(session);
        if drew {
            if self.paint_ms.len() == PAINT_SAMPLES {
                self.paint_ms.pop_front();
            }
            self.paint_ms.push_back(now() - started);
        }
        drew
    }

    /// The chart with this data-canvas id as a PNG `data:` URL.
    pub fn png(&self, id: &str) -> Option<String> {
        let i = CHART_IDS.iter().position(|c| *c == id)?;
        self.layers[i].png_data_url()
    }

    /// Returns whether anything was drawn.
    fn paint_inner(&mut self, session: &Session) -> bool {
        let resized: Vec<bool> = self.layers.iter_mut().map(|l| l.fit()).collect();
        if self.painted == Some(session.version) && !resized.iter().any(|&r| r) {
            return false;
        }
        self.painted = Some(session.version);
        let [bars_canvas, history_canvas, loss_canvas, bars_b_canvas] = &mut self.layers;

        // 1. Per-layer bars of each run, on one scale.
        let bars: Vec<BarsOwned> = session
            .traces
            .iter()
            .zip(&session.configs)
            .map(|(trace, config)| BarsOwned::of(session.bars_quantity, trace, config))
            .collect();
        let bars: Vec<LayerBars> = bars.iter().map(BarsOwned::view).collect();
        // Between a change of compare mode and the worker's answer, the configurations and the
        // traces can differ in number: draw what both have.
        let live = live_runs(session, bars.len());
        let scaled: Vec<LayerBars> = live.iter().map(|&i| bars[i]).collect();
        let mut frame = BarsFrame::fit(&scaled, self.bars);
        let (unit, bar_count) = bars_unit(session.bars_quantity, &session.configs[0]);
        frame.unit = unit;
        frame.layers = bar_count;
        let new_frame = self.bars != Some(frame);
        self.bars = Some(frame);
        for (i, (canvas, bars)) in [bars_canvas, bars_b_canvas]
            .into_iter()
            .zip(&bars)
            .enumerate()
        {
            let resized = resized[if i == 0 { 0 } else { 3 }];
            let style = canvas.style();
            if new_frame || resized {
                canvas.draw_axes(|area| draw_layer_bars_axes(area, style, frame));
            }
            canvas.draw_data(|area| draw_layer_bars(area, style, frame, bars));
        }

        // 2. Layer × step heat map.
        let history = &session.traces[0].history;
        let mut frame = HistoryFrame::of(history);
        if session.configs[0].net.model.as_rnn().is_some() {
            frame.unit = Unit::TimeSteps;
        }
        if self.history != Some(frame) || resized[1] {
            let style = history_canvas.style();
            history_canvas.draw_axes(|area| draw_history_axes(area, style, frame));
            self.history_rect = history_canvas
                .measure(|area| history_plot_rect(area, style, frame).ok())
                .flatten();
            self.history = Some(frame);
        }
        history_canvas.draw_data(|_| Ok(()));
        if let Some(rect) = self.history_rect {
            let rows = history.layer_count() as u32;
            history_canvas.blit(history.image(), HISTORY_COLUMNS as u32, rows, rect);
        }
        let style = history_canvas.style();
        history_canvas.draw_over_data(|area| draw_history_clip_ticks(area, style, frame, history));

        // 3. Loss.
        let runs: Vec<_> = session.traces.iter().map(|t| &t.history).collect();
        let scaled: Vec<_> = live_runs(session, runs.len())
            .into_iter()
            .map(|i| runs[i])
            .collect();
        let frame = LossFrame::fit(&scaled, self.loss);
        if self.loss != Some(frame) || resized[2] {
            let style = loss_canvas.style();
            loss_canvas.draw_axes(|area| draw_loss_axes(area, style, frame));
            self.loss = Some(frame);
        }
        let style = loss_canvas.style();
        let baseline = session.configs[0]
            .net
            .model
            .as_rnn()
            .and_then(|r| r.task.baseline(r.steps, r.readout));
        loss_canvas.draw_data(|area| {
            draw_loss(area, style, frame, &runs)?;
            match baseline {
                Some(level) => draw_loss_baseline(area, style, frame, level),
                None => Ok(()),
            }
        });
        true
    }
}

/// The runs the charts' scales follow: those still training — a run that overflowed would
/// squash the other's numbers against the floor; its own are clamped at the top — or every run
/// once all have diverged.
/// Only the first `count` runs are considered.
fn live_runs(session: &Session, count: usize) -> Vec<usize> {
    let count = count.min(session.traces.len());
    let live: Vec<usize> = (0..count)
        .filter(|&i| session.traces[i].history.diverged().is_none())
        .collect();
    if live.is_empty() {
        (0..count).collect()
    } else {
        live
    }
}

/// The data of one run's per-layer chart, owned (the mean-field line is computed here).
struct BarsOwned<'a> {
    before: &'a [f64],
    after: &'a [f64],
    clipping: bool,
    threshold: Option<f64>,
    theory: Option<Vec<f64>>,
}

impl<'a> BarsOwned<'a> {
    /// What `quantity` shows for `trace`, trained with `config`. For an RNN the first view is
    /// the error through time, ‖∂L/∂h_t‖, and the second the groups' gradients.
    fn of(quantity: BarsQuantity, trace: &'a Trace, config: &TrainConfig) -> Self {
        let empty: &[f64] = &[];
        let latest = trace.latest.as_ref();
        let pick = |f: fn(&crate::engine::StepStats) -> &Vec<f64>| latest.map_or(empty, |s| f(s));
        let recurrent = config.net.model.as_rnn();
        match quantity {
            BarsQuantity::Gradient if recurrent.is_some() => {
                let norms = pick(|s| &s.time_norms);
                Self {
                    before: norms,
                    after: norms,
                    clipping: false,
                    threshold: None,
                    theory: rnn_theory(config, norms),
                }
            }
            BarsQuantity::Delta if recurrent.is_none() => {
                let deltas = pick(|s| &s.delta_norms);
                let mean_field = mean_field_of(config);
                Self {
                    before: deltas,
                    after: deltas,
                    clipping: false,
                    threshold: None,
                    theory: deltas
                        .last()
                        .map(|&output| mean_field.delta_profile(deltas.len(), output)),
                }
            }
            BarsQuantity::UpdateRatio => {
                let ratios = pick(|s| &s.update_ratios);
                Self {
                    before: ratios,
                    after: ratios,
                    clipping: false,
                    threshold: Some(UPDATE_RATIO_RULE),
                    theory: None,
                }
            }
            BarsQuantity::Gradient | BarsQuantity::Delta => {
                let clip = config.live.clip;
                Self {
                    before: pick(|s| &s.grad_norms),
                    after: pick(|s| &s.grad_norms_clipped),
                    clipping: clip.mode != ClipMode::None,
                    threshold: matches!(clip.mode, ClipMode::GlobalNorm | ClipMode::LayerNorm)
                        .then_some(clip.threshold),
                    theory: None,
                }
            }
        }
    }

    fn view(&self) -> LayerBars<'_> {
        LayerBars {
            before: self.before,
            after: self.after,
            clipping: self.clipping,
            threshold: self.threshold,
            theory: self.theory.as_deref(),
        }
    }
}

/// The charts' data-canvas ids, in the painter's order.
pub const CHART_IDS: [&str; 4] = ["grad-chart", "history-chart", "loss-chart", "grad-chart-b"];

/// Saves the chart with data-canvas `id` as a PNG.
fn save_png(lab: Lab, id: &'static str) {
    let url = lab
        .painter
        .with_value(|p| p.as_ref().and_then(|p| p.png(id)));
    let step = lab.step_count.get_untracked();
    let saved = url
        .ok_or_else(|| "the chart is not drawn yet".to_string())
        .and_then(|url| download::save_url(&format!("gradlab-{id}-step{step}.png"), &url));
    if let Err(message) = saved {
        lab.notices
            .update(|n| n.push(format!("Could not save the chart: {message}")));
    }
}

/// The common rule of thumb for a healthy update: ‖ΔW‖/‖W‖ around 10⁻³ (drawn in that view).
const UPDATE_RATIO_RULE: f64 = 1e-3;

/// Paint times kept for the read-out.
const PAINT_SAMPLES: usize = 240;

/// Paints the charts if the painter exists (called from the frame loop).
pub fn paint(lab: Lab) {
    lab.painter.update_value(|painter| {
        if let Some(painter) = painter {
            lab.session.update_value(|session| {
                if painter.paint(session) {
                    session.perf.painted(now());
                }
            });
        }
    });
}

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
    /// Legend entries below the chart.
    children: Children,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let recurrent = move || lab.params.with(|p| p.model == "rnn");
    let tag = (!run.is_empty()).then(|| {
        let class = format!(
            "run-tag run-{}",
            run.chars().next().unwrap_or('A').to_ascii_lowercase()
        );
        view! { <span class=class>{format!("run {run}")}</span> }
    });
    view! {
        <figure class="chart" id=format!("{id}-figure")>
            <figcaption>
                <div class="caption-row">
                    <h2>{move || if recurrent() { rnn_title.unwrap_or(title) } else { title }} {tag}</h2>
                    <button
                        class="png"
                        id=format!("png-{id}")
                        title="Save this chart as a PNG image"
                        hidden=move || lab.is_hidden("downloads")
                        on:click=move |_| save_png(lab, id)
                    >
                        "PNG"
                    </button>
                </div>
                <p class="subtitle">{move || if recurrent() { rnn_subtitle.unwrap_or(subtitle) } else { subtitle }}</p>
            </figcaption>
            <div class="canvas-stack">
                <canvas class="axes" node_ref=axes aria-hidden="true"></canvas>
                <canvas id=id class="data" node_ref=data role="img" aria-label=description></canvas>
            </div>
            <div class="legend">{children()}</div>
        </figure>
    }
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
        let mf = mean_field.get();
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
    // The same three views for both models, each labelled for what it shows there.
    let option =
        move |quantity: BarsQuantity, id: &'static str, mlp: &'static str, rnn: &'static str| {
            option(
                quantity,
                id,
                Box::new(move || if recurrent() { rnn } else { mlp }),
            )
        };
    view! {
        <div class="bars-options">
            <div class="segmented" role="radiogroup" aria-label="What the chart shows">
                {option(BarsQuantity::Gradient, "show-gradient", "‖∂L/∂W‖ weight gradient", "‖∂L/∂h_t‖ through time")}
                {option(BarsQuantity::Delta, "show-delta", "‖δ‖ error + theory", "‖∂L/∂θ‖ per group")}
                {option(BarsQuantity::UpdateRatio, "show-update-ratio", "‖ΔW‖/‖W‖ update", "‖ΔW‖/‖W‖ update")}
            </div>
            <span id="phase-badge" class="badge" hidden=recurrent data-phase=move || mean_field.get().phase().name()>{badge}</span>
            <SigmaMax/>
        </div>
        <p class="subtitle why">
            {move || if recurrent() { match lab.bars_quantity.get() {
                BarsQuantity::Gradient => "‖∂L/∂h_t‖ is the error reaching time step t: backprop through time multiplies it by W_hᵀ·diag(φ′) once per step back. The green line (linear RNN with orthogonal or identity W_h, last-state readout) is the exact theory: growth by g per step.",
                BarsQuantity::Delta => "The gradient of each parameter tensor before and after clipping — per-group clipping here is exactly Keras' clipnorm (one tensor per group).",
                BarsQuantity::UpdateRatio => "How far each step moves each weight matrix, relative to its size (biases: 0). The orange line is the common rule of thumb, about 10⁻³.",
            } } else { match lab.bars_quantity.get() {
                BarsQuantity::Gradient => "The weight gradient ∂L/∂W = hᵀδ also carries the forward signal h, which often shrinks where δ grows — so its profile can look flatter than δ's.",
                BarsQuantity::UpdateRatio => "How far each step moves each layer's weights, relative to their size. The orange line is the common rule of thumb, about 10⁻³: far above it, updates are too violent; far below, the layer barely learns.",
                BarsQuantity::Delta => "δ is the error arriving at each layer. The green line is mean-field theory for the initial weights: ‖δ‖ grows by √χ₁ per layer toward the input, anchored at the output. Training moves the weights, and the measured profile away from it.",
            } }}
        </p>
    }
}

/// The three live charts.
#[component]
pub fn Charts() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let refs: [NodeRef<Canvas>; 8] = std::array::from_fn(|_| NodeRef::new());
    Effect::new(move |_| {
        let canvases: Vec<_> = refs.iter().filter_map(|r| r.get()).collect();
        if canvases.len() != refs.len() {
            return;
        }
        let mut c = canvases.into_iter();
        let mut pair = || {
            (
                c.next().expect("eight canvases"),
                c.next().expect("eight canvases"),
            )
        };
        let pairs = [pair(), pair(), pair(), pair()];
        lab.painter.set_value(Some(Painter::new(pairs)));
    });
    view! {
        <section class="charts" class:compare=move || lab.compare.with(Option::is_some) aria-label="Charts">
            <Chart
                id="grad-chart"
                run="A"
                title="Gradient magnitude per layer"
                rnn_title="Gradient magnitude per time step"
                subtitle="each layer at the latest step, log scale — input on the left"
                rnn_subtitle="the error reaching each time step at the latest step, log scale — earliest step on the left"
                description="Bar chart of each layer's gradient norm; the same numbers are in the layer table below."
                axes=refs[0]
                data=refs[1]
            >
                <Key swatch="before" label="before clipping"/>
                <Key swatch="after" label="after clipping (what the update uses)"/>
                <Key swatch="threshold" label="clip threshold"/>
                <Key swatch="overflow" label="NaN / ∞"/>
                <span hidden=move || lab.params.with(|p| p.model == "rnn")><Key swatch="theory" label="theory (‖δ‖ view)"/></span>
                <span hidden=move || lab.params.with(|p| p.model != "rnn")><Key swatch="theory" label="theory, where exact (linear, orthogonal or identity W_h)"/></span>
                <BarsOptions/>
            </Chart>
            <div class="chart-slot" hidden=move || lab.compare.with(Option::is_none)>
                <Chart
                    id="grad-chart-b"
                    run="B"
                    title="Gradient magnitude per layer"
                    rnn_title="Gradient magnitude per time step"
                    subtitle="run B, same quantity and scale as run A's chart"
                    description="Bar chart of run B's per-layer numbers, on the same scale as run A's."
                    axes=refs[6]
                    data=refs[7]
                >
                    <span class="key">{move || lab.compare.with(|v| format!("B differs from A in: {}", v.as_ref().map(|v| v.summary()).unwrap_or_default()))}</span>
                </Chart>
            </div>
            <Chart
                id="history-chart"
                run="A"
                title="Gradient magnitude over time"
                subtitle="each layer's largest ‖∂L/∂W‖ per column of steps, colour on a log scale — explosion lights up the lower rows"
                rnn_subtitle="each time step's largest ‖∂L/∂h_t‖ per column of training steps, colour on a log scale — explosion lights up the lower (earliest) rows"
                description="Heat map of gradient norm by layer and step."
                axes=refs[2]
                data=refs[3]
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
                description="Line chart of the training loss over steps."
                axes=refs[4]
                data=refs[5]
            >
                <Key swatch="after" label="loss (min–max per column)"/>
                <span hidden=move || lab.compare.with(Option::is_none)><Key swatch="run-b" label="run B's loss"/></span>
                <Key swatch="overflow" label="divergence"/>
                <Key swatch="threshold" label="clipping acted (ticks)"/>
                <span hidden=move || lab.model.with(|m| m.baseline.is_none())>
                    <Key swatch="baseline" label="baseline: the best loss without memory"/>
                </span>
            </Chart>
        </section>
    }
}

/// The mean-field theory of the page's feed-forward network (the page trains MLPs only).
fn mean_field_of(config: &TrainConfig) -> MeanField {
    let init = config
        .net
        .model
        .as_mlp()
        .map_or(crate::engine::init::Init::default(), |m| m.init);
    MeanField::of(config.net.activation, init.weight_scale, init.bias_scale)
}

/// What the per-layer chart's bars stand for, and how many there are, for `quantity` of a
/// network configured as `config`.
fn bars_unit(quantity: BarsQuantity, config: &TrainConfig) -> (Unit, usize) {
    match config.net.model.as_rnn() {
        None => (Unit::Layers, config.net.model.group_count()),
        Some(r) if quantity == BarsQuantity::Gradient => (Unit::TimeSteps, r.steps),
        Some(_) => (Unit::Groups, config.net.model.group_count()),
    }
}

/// The theory line over an RNN's ‖∂L/∂h_t‖ for its initial weights, where it is exact
/// (THEORY.md): a linear RNN whose W_h is orthogonal (or the identity) times g, read out from
/// the last state, has ‖∂L/∂h_t‖ = g^{T−t}·‖∂L/∂h_T‖. Elsewhere no line is drawn.
fn rnn_theory(config: &TrainConfig, norms: &[f64]) -> Option<Vec<f64>> {
    let r = config.net.model.as_rnn()?;
    let exact = config.net.activation == crate::engine::Activation::Linear
        && r.readout == crate::engine::rnn::Readout::Last
        && matches!(
            r.init.recurrent,
            RecurrentInit::Orthogonal | RecurrentInit::Identity
        );
    let last = *norms.last()?;
    exact.then(|| {
        let steps = norms.len();
        (0..steps)
            .map(|t| last * r.init.recurrent_scale.powi((steps - 1 - t) as i32))
            .collect()
    })
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
            .with(|p| if p.activation == "sigmoid" { 4.0 } else { 1.0 })
    };
    let text = move || match lab.spectrum.get() {
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
        None => "λ₁(W_h) — shown once training starts".to_string(),
    };
    let state = move || match lab.spectrum.get() {
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
