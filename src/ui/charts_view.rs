//! The three live charts: canvases in the page, painted once per animation frame at most.

use super::format::compact;
use super::now;
use super::state::{BarsQuantity, Lab, Session};
use crate::charts::heatmap::{
    draw_history_axes, draw_history_clip_ticks, history_plot_rect, HistoryFrame,
};
use crate::charts::history::HISTORY_COLUMNS;
use crate::charts::layer_bars::{draw_layer_bars, draw_layer_bars_axes, BarsFrame, LayerBars};
use crate::charts::loss::{draw_loss, draw_loss_axes, LossFrame};
use crate::engine::theory::MeanField;
use crate::engine::ClipMode;
use leptos::html::Canvas;
use leptos::prelude::*;

use crate::charts::canvas::LayeredCanvas;
use web_sys::HtmlCanvasElement;

/// Paints the charts from the session; owns the canvases and each chart's current frame.
pub struct Painter {
    layers: [LayeredCanvas; 3],
    bars: Option<BarsFrame>,
    history: Option<HistoryFrame>,
    history_rect: Option<(i32, i32, i32, i32)>,
    loss: Option<LossFrame>,
    painted: Option<u64>,
    /// Milliseconds spent in recent paints that drew something (newest last, bounded).
    paint_ms: std::collections::VecDeque<f64>,
}

impl Painter {
    /// A painter for three charts, given their (axes, data) canvas pairs in order.
    pub fn new(canvases: [(HtmlCanvasElement, HtmlCanvasElement); 3]) -> Self {
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

    /// Returns whether anything was drawn.
    fn paint_inner(&mut self, session: &Session) -> bool {
        let resized: Vec<bool> = self.layers.iter_mut().map(|l| l.fit()).collect();
        if self.painted == Some(session.version) && !resized.iter().any(|&r| r) {
            return false;
        }
        self.painted = Some(session.version);
        let [bars_canvas, history_canvas, loss_canvas] = &mut self.layers;

        // 1. Per-layer bars: gradient norms, or ‖δ‖ with the mean-field prediction.
        let empty = Vec::new();
        let clip = session.config.live.clip;
        let net = session.config.net;
        let theory;
        let bars = match (session.bars_quantity, session.latest.as_ref()) {
            (BarsQuantity::Delta, latest) => {
                let deltas = latest.map_or(&empty, |s| &s.delta_norms);
                let mean_field =
                    MeanField::of(net.activation, net.init.weight_scale, net.init.bias_scale);
                theory = deltas
                    .last()
                    .map(|&output| mean_field.delta_profile(deltas.len(), output));
                LayerBars {
                    before: deltas,
                    after: deltas,
                    clipping: false,
                    threshold: None,
                    theory: theory.as_deref(),
                }
            }
            (BarsQuantity::UpdateRatio, latest) => {
                let ratios = latest.map_or(&empty, |s| &s.update_ratios);
                LayerBars {
                    before: ratios,
                    after: ratios,
                    clipping: false,
                    threshold: Some(UPDATE_RATIO_RULE),
                    theory: None,
                }
            }
            (BarsQuantity::Gradient, latest) => LayerBars {
                before: latest.map_or(&empty, |s| &s.grad_norms),
                after: latest.map_or(&empty, |s| &s.grad_norms_clipped),
                clipping: clip.mode != ClipMode::None,
                threshold: matches!(clip.mode, ClipMode::GlobalNorm | ClipMode::LayerNorm)
                    .then_some(clip.threshold),
                theory: None,
            },
        };
        let mut frame = BarsFrame::fit(&bars, self.bars);
        frame.layers = session.history.layer_count();
        if self.bars != Some(frame) || resized[0] {
            let style = bars_canvas.style();
            bars_canvas.draw_axes(|area| draw_layer_bars_axes(area, style, frame));
            self.bars = Some(frame);
        }
        let style = bars_canvas.style();
        bars_canvas.draw_data(|area| draw_layer_bars(area, style, frame, &bars));

        // 2. Layer × step heat map.
        let frame = HistoryFrame::of(&session.history);
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
            let rows = session.history.layer_count() as u32;
            history_canvas.blit(session.history.image(), HISTORY_COLUMNS as u32, rows, rect);
        }
        let style = history_canvas.style();
        history_canvas
            .draw_over_data(|area| draw_history_clip_ticks(area, style, frame, &session.history));

        // 3. Loss.
        let frame = LossFrame::fit(&session.history, self.loss);
        if self.loss != Some(frame) || resized[2] {
            let style = loss_canvas.style();
            loss_canvas.draw_axes(|area| draw_loss_axes(area, style, frame));
            self.loss = Some(frame);
        }
        let style = loss_canvas.style();
        loss_canvas.draw_data(|area| draw_loss(area, style, frame, &session.history));
        true
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

/// One chart: a caption, two stacked canvases (axes below, data above) and a legend.
#[component]
fn Chart(
    /// The data canvas's id (the test hook).
    id: &'static str,
    /// The chart's title.
    title: &'static str,
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
    view! {
        <figure class="chart">
            <figcaption>
                <h2>{title}</h2>
                <p class="subtitle">{subtitle}</p>
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
    let choose = move |quantity: BarsQuantity| {
        lab.bars_quantity.set(quantity);
        lab.session.update_value(|s| {
            s.bars_quantity = quantity;
            s.version += 1;
        });
    };
    let mean_field = Memo::new(move |_| {
        lab.params.with(|p| {
            let (config, _) = p.repair();
            MeanField::of(
                config.net.activation,
                config.net.init.weight_scale,
                config.net.init.bias_scale,
            )
        })
    });
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
    let option = move |quantity: BarsQuantity, id: &'static str, label: &'static str| {
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
    view! {
        <div class="bars-options">
            <div class="segmented" role="radiogroup" aria-label="Per-layer quantity">
                {option(BarsQuantity::Gradient, "show-gradient", "‖∂L/∂W‖ weight gradient")}
                {option(BarsQuantity::Delta, "show-delta", "‖δ‖ error + theory")}
                {option(BarsQuantity::UpdateRatio, "show-update-ratio", "‖ΔW‖/‖W‖ update")}
            </div>
            <span id="phase-badge" class="badge" data-phase=move || mean_field.get().phase().name()>{badge}</span>
        </div>
        <p class="subtitle why">
            {move || match lab.bars_quantity.get() {
                BarsQuantity::Gradient => "The weight gradient ∂L/∂W = hᵀδ also carries the forward signal h, which often shrinks where δ grows — so its profile can look flatter than δ's.",
                BarsQuantity::UpdateRatio => "How far each step moves each layer's weights, relative to their size. The orange line is the common rule of thumb, about 10⁻³: far above it, updates are too violent; far below, the layer barely learns.",
                BarsQuantity::Delta => "δ is the error arriving at each layer. The green line is mean-field theory for the initial weights: ‖δ‖ grows by √χ₁ per layer toward the input, anchored at the output. Training moves the weights, and the measured profile away from it.",
            }}
        </p>
    }
}

/// The three live charts.
#[component]
pub fn Charts() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let refs: [NodeRef<Canvas>; 6] = std::array::from_fn(|_| NodeRef::new());
    Effect::new(move |_| {
        let canvases: Vec<_> = refs.iter().filter_map(|r| r.get()).collect();
        if canvases.len() != refs.len() {
            return;
        }
        let mut c = canvases.into_iter();
        let mut pair = || {
            (
                c.next().expect("six canvases"),
                c.next().expect("six canvases"),
            )
        };
        let pairs = [pair(), pair(), pair()];
        lab.painter.set_value(Some(Painter::new(pairs)));
    });
    view! {
        <section class="charts" aria-label="Charts">
            <Chart
                id="grad-chart"
                title="Gradient magnitude per layer"
                subtitle="each layer at the latest step, log scale — input on the left"
                description="Bar chart of each layer's gradient norm; the same numbers are in the layer table below."
                axes=refs[0]
                data=refs[1]
            >
                <Key swatch="before" label="before clipping"/>
                <Key swatch="after" label="after clipping (what the update uses)"/>
                <Key swatch="threshold" label="clip threshold"/>
                <Key swatch="overflow" label="NaN / ∞"/>
                <Key swatch="theory" label="theory (‖δ‖ view)"/>
                <BarsOptions/>
            </Chart>
            <Chart
                id="history-chart"
                title="Gradient magnitude over time"
                subtitle="each layer's largest ‖∂L/∂W‖ per column of steps, colour on a log scale — explosion lights up the lower rows"
                description="Heat map of gradient norm by layer and step."
                axes=refs[2]
                data=refs[3]
            >
                <Key swatch="overflow" label="NaN / ∞"/>
                <Key swatch="threshold" label="clipping acted (ticks above)"/>
            </Chart>
            <Chart
                id="loss-chart"
                title="Loss"
                subtitle="mean squared error (plus L1/L2) per step, log scale, the whole run"
                description="Line chart of the training loss over steps."
                axes=refs[4]
                data=refs[5]
            >
                <Key swatch="after" label="loss (min–max per column)"/>
                <Key swatch="overflow" label="divergence"/>
                <Key swatch="threshold" label="clipping acted (ticks)"/>
            </Chart>
        </section>
    }
}
