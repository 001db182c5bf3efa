//! The chart renderer: owns the eight canvases (axes below, data above, per chart) and each
//! chart's current frame, and repaints from the [`Session`] at most once per animation frame,
//! only what changed. What each chart shows is computed in [`chart_data`](super::chart_data).

use super::chart_data::{bars_unit, live_runs, BarsOwned};
use super::now;
use super::state::{Lab, Session};
use crate::ui::canvas::LayeredCanvas;
use gradlab_charts::heatmap::{
    draw_history_axes, draw_history_clip_ticks, history_plot_rect, HistoryFrame,
};
use gradlab_charts::history::HISTORY_COLUMNS;
use gradlab_charts::layer_bars::{draw_layer_bars, draw_layer_bars_axes, BarsFrame, LayerBars};
use gradlab_charts::loss::{draw_loss, draw_loss_axes, draw_loss_baseline, LossFrame};
use gradlab_charts::range::{draw_range, draw_range_axes, RangeFrame};
use gradlab_charts::Unit;
use gradlab_engine::precision::LossScaleKind;
use leptos::prelude::*;
use web_sys::HtmlCanvasElement;

/// The charts' data-canvas ids, in the painter's order.
pub const CHART_IDS: [&str; 5] = [
    "grad-chart",
    "history-chart",
    "loss-chart",
    "grad-chart-b",
    "range-chart",
];

/// Where the painter lives once the canvases exist: created by the app, filled by the charts
/// component, read by the frame loop and the PNG buttons.
#[derive(Clone, Copy)]
pub struct PainterSlot(pub StoredValue<Option<Painter>, LocalStorage>);

impl PainterSlot {
    /// An empty slot.
    pub fn new() -> Self {
        Self(StoredValue::new_local(None))
    }
}

impl Default for PainterSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// Paints the charts from the session; owns the canvases and each chart's current frame.
pub struct Painter {
    /// Per-layer A, heat map, loss, per-layer B, range.
    layers: [LayeredCanvas; 5],
    bars: Option<BarsFrame>,
    history: Option<HistoryFrame>,
    history_rect: Option<(i32, i32, i32, i32)>,
    loss: Option<LossFrame>,
    range: Option<RangeFrame>,
    painted: Option<u64>,
}

impl Painter {
    /// A painter for the charts, given their (axes, data) canvas pairs in [`CHART_IDS`] order.
    pub fn new(canvases: [(HtmlCanvasElement, HtmlCanvasElement); 5]) -> Self {
        Self {
            layers: canvases.map(|(axes, data)| LayeredCanvas::new(axes, data)),
            bars: None,
            history: None,
            history_rect: None,
            loss: None,
            range: None,
            painted: None,
        }
    }

    /// The chart with this data-canvas id as a PNG `data:` URL.
    pub fn png(&self, id: &str) -> Option<String> {
        let i = CHART_IDS.iter().position(|c| *c == id)?;
        self.layers[i].png_data_url()
    }

    /// Paints what changed since the last call; returns whether anything was drawn.
    pub fn paint(&mut self, session: &Session) -> bool {
        let resized: Vec<bool> = self.layers.iter_mut().map(|l| l.fit()).collect();
        if self.painted == Some(session.version) && !resized.iter().any(|&r| r) {
            return false;
        }
        self.painted = Some(session.version);
        let [bars_canvas, history_canvas, loss_canvas, bars_b_canvas, range_canvas] =
            &mut self.layers;

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
        } else if session.configs[0].net.model.as_transformer().is_some() {
            frame.unit = Unit::Blocks;
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
            let rows = history.row_count() as u32;
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
        let baseline = session.baseline;
        loss_canvas.draw_data(|area| {
            draw_loss(area, style, frame, &runs)?;
            match baseline {
                Some(level) => draw_loss_baseline(area, style, frame, level),
                None => Ok(()),
            }
        });

        // 4. Where a recent step's gradients fall, and the loss scale.
        let ranged: Vec<_> = live_runs(session, session.traces.len())
            .into_iter()
            .filter_map(|i| {
                let trace = &session.traces[i];
                trace.gradient_range.as_ref().map(|r| (r, &trace.history))
            })
            .collect();
        let scaling = session
            .configs
            .iter()
            .any(|c| c.live.mixed.loss_scale != LossScaleKind::None);
        let ranges: Vec<_> = ranged.iter().map(|(r, _)| *r).collect();
        let histories: Vec<_> = ranged.iter().map(|(_, h)| *h).collect();
        let frame = RangeFrame::fit(&ranges, &histories, scaling);
        if self.range != Some(frame) || resized[4] {
            let style = range_canvas.style();
            range_canvas.draw_axes(|area| draw_range_axes(area, style, frame));
            self.range = Some(frame);
        }
        let style = range_canvas.style();
        range_canvas.draw_data(|area| draw_range(area, style, frame, &ranged));
        true
    }
}

/// With `prefers-reduced-motion: reduce`, the charts are redrawn at most this often (ms): they
/// still follow training, a few times a second, instead of moving every frame.
pub const REDUCED_MOTION_PAINT_MS: f64 = 250.0;

/// Whether the reader asked their system for less motion.
fn prefers_reduced_motion() -> bool {
    window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches())
}

/// Paints the charts if the painter exists (called from the frame loop), and records how long
/// a paint that drew something took. Honours `prefers-reduced-motion`.
pub fn paint(lab: Lab, slot: PainterSlot) {
    slot.0.update_value(|painter| {
        if let Some(painter) = painter {
            lab.session.update_value(|session| {
                let started = now();
                let last = session.perf.last_paint_at.unwrap_or(f64::NEG_INFINITY);
                if started - last < REDUCED_MOTION_PAINT_MS && prefers_reduced_motion() {
                    return;
                }
                if painter.paint(session) {
                    let t = now();
                    session.perf.painted(t, t - started);
                }
            });
        }
    });
}
