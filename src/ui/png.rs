//! Saving a chart as a PNG file: the chart's two canvases composited, as a download.

use super::download;
use super::painter::PainterSlot;
use super::state::Lab;
use leptos::prelude::*;

/// Saves the chart with data-canvas `id` as a PNG.
pub fn save_png(lab: Lab, painter: PainterSlot, id: &'static str) {
    let url = painter.0.with_value(|p| p.as_ref().and_then(|p| p.png(id)));
    let step = lab.step_count.get_untracked();
    let saved = url
        .ok_or_else(|| "the chart is not drawn yet".to_string())
        .and_then(|url| download::save_url(&format!("gradlab-{id}-step{step}.png"), &url));
    if let Err(message) = saved {
        lab.notices
            .update(|n| n.push(format!("Could not save the chart: {message}")));
    }
}
