//! Chart 1 — gradient magnitude per layer: one bar per weight layer (input on the left), log y.
//!
//! With clipping on, the wide pale bar is the gradient norm before clipping and the narrow dark
//! bar inside it the norm after; the threshold is drawn as a dashed line for the norm modes
//! (value clipping bounds elements, not norms, so it has no line). A layer whose gradient is
//! NaN or ±Inf gets a full-height vermillion bar marked "∞". An optional prediction per layer
//! (the mean-field ‖δ‖ profile) is drawn as a green line with dots; an optional second
//! measurement per bar (an LSTM's ‖∂L/∂c_t‖ beside its ‖∂L/∂h_t‖) as a dark line, with a
//! square per point while there are at most 40.

use super::palette::{AFTER_CLIP, BEFORE_CLIP, INK, OVERFLOW, THEORY, THRESHOLD};
use super::{
    log_plot, mesh, pow10_label, Decades, DrawResult, Linear, Log, PlotResult, Style, Unit,
};
use plotters::coord::Shift;
use plotters::prelude::*;

/// What the bars show.
#[derive(Clone, Copy, Debug)]
pub struct LayerBars<'a> {
    /// Per layer, the norm before clipping.
    pub before: &'a [f64],
    /// Per layer, the norm after clipping.
    pub after: &'a [f64],
    /// Whether clipping is on (draws both bars).
    pub clipping: bool,
    /// The threshold to draw as a line, if the mode bounds norms.
    pub threshold: Option<f64>,
    /// A predicted value per layer, drawn as a line over the bars (the mean-field overlay).
    pub theory: Option<&'a [f64]>,
    /// A second measured value per bar, drawn as a line with squares (the LSTM's cell-state
    /// error).
    pub companion: Option<&'a [f64]>,
}

/// The axes of the bar chart: what, when it changes, needs a redraw of the lower layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarsFrame {
    /// Number of bars.
    pub layers: usize,
    /// The y range.
    pub y: Decades,
    /// What a bar stands for.
    pub unit: Unit,
}

impl BarsFrame {
    /// The frame that shows every chart in `charts` (one per run, drawn on the same scale so
    /// compared runs can be read against each other), keeping `previous` where it still fits.
    pub fn fit(charts: &[LayerBars], previous: Option<BarsFrame>) -> BarsFrame {
        let values = charts.iter().flat_map(|bars| {
            bars.before
                .iter()
                .chain(bars.after)
                .copied()
                .chain(bars.threshold)
                .chain(bars.theory.into_iter().flatten().copied())
                .chain(bars.companion.into_iter().flatten().copied())
        });
        let layers = charts.first().map_or(0, |b| b.before.len());
        let previous_y = previous.filter(|p| p.layers == layers).map(|p| p.y);
        BarsFrame {
            layers,
            y: Decades::fit(values, previous_y),
            unit: previous.map_or(Unit::Layers, |p| p.unit),
        }
    }

    /// The plot both layers draw through: bars at x = 0, 1, …; log y.
    fn chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        style: Style,
    ) -> PlotResult<'a, DB, Linear, Log> {
        log_plot(area, style, -0.5..(self.layers.max(1) as f64 - 0.5), self.y)
    }
}

/// Draws the mesh, axis labels and descriptions (the lower layer).
pub fn draw_layer_bars_axes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: BarsFrame,
) -> DrawResult<DB> {
    let mut chart = frame.chart(area, style)?;
    mesh(&mut chart, style)
        .disable_x_mesh()
        .x_labels(frame.layers.min(12))
        .x_label_formatter(&|x| bar_label(*x, frame.unit))
        .y_labels(8)
        .y_label_formatter(&|y| pow10_label(*y))
        .x_desc(frame.unit.bars_description())
        .draw()
}

/// Draws the bars (the upper layer; no text unless a layer overflowed).
pub fn draw_layer_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: BarsFrame,
    bars: &LayerBars,
) -> DrawResult<DB> {
    let y = frame.y;
    let mut chart = frame.chart(area, style)?;
    let plot_area = chart.plotting_area();
    for (i, (&before, &after)) in bars.before.iter().zip(bars.after).enumerate() {
        let x = i as f64;
        if !before.is_finite() {
            plot_area.draw(&Rectangle::new(
                [(x - 0.42, y.lo()), (x + 0.42, y.hi())],
                OVERFLOW.mix(0.85).filled(),
            ))?;
            continue;
        }
        let wide = if bars.clipping {
            BEFORE_CLIP
        } else {
            AFTER_CLIP
        };
        plot_area.draw(&Rectangle::new(
            [(x - 0.42, y.lo()), (x + 0.42, y.clamp(before))],
            wide.filled(),
        ))?;
        if bars.clipping && after.is_finite() {
            plot_area.draw(&Rectangle::new(
                [(x - 0.22, y.lo()), (x + 0.22, y.clamp(after))],
                AFTER_CLIP.filled(),
            ))?;
        }
    }
    // Overflow labels: only ever drawn on the frame where something overflowed.
    let marker = ("sans-serif", 13.0 * style.dpr)
        .into_font()
        .color(&OVERFLOW)
        .pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Bottom,
        ));
    let mut labelled = 0;
    for (i, before) in bars.before.iter().enumerate() {
        // Label at most a handful: the bars themselves already show every overflowed layer.
        if !before.is_finite() && labelled < 6 {
            labelled += 1;
            let text = if before.is_nan() { "NaN" } else { "∞" };
            chart.draw_series(std::iter::once(Text::new(
                text,
                (i as f64, y.hi()),
                marker.clone(),
            )))?;
        }
    }
    if let Some(theory) = bars.theory {
        let points: Vec<(f64, f64)> = theory
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite() && **v > 0.0)
            .map(|(i, &v)| (i as f64, y.clamp(v)))
            .collect();
        let line = ShapeStyle::from(&THEORY).stroke_width(style.line() * 2);
        chart.draw_series(std::iter::once(PathElement::new(points.clone(), line)))?;
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, style.px(2.5), THEORY.filled())),
        )?;
    }
    if let Some(companion) = bars.companion {
        // Overflowed points sit at the top, as the bars do.
        let points: Vec<(f64, f64)> = companion
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0.0 || v.is_nan())
            .map(|(i, &v)| (i as f64, if v.is_finite() { y.clamp(v) } else { y.hi() }))
            .collect();
        let line = ShapeStyle::from(&INK).stroke_width(style.line() * 2);
        chart.draw_series(std::iter::once(PathElement::new(points.clone(), line)))?;
        // Squares mark the points while they stand apart; past ~40 they would merge into a bar.
        if points.len() <= 40 {
            let half = style.px(2.5) as i32;
            chart.draw_series(points.into_iter().map(|p| {
                EmptyElement::at(p) + Rectangle::new([(-half, -half), (half, half)], INK.filled())
            }))?;
        }
    }
    if let Some(c) = bars.threshold {
        let c = y.clamp(c);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, c), (frame.layers as f64 - 0.5, c)],
            ShapeStyle::from(&THRESHOLD).stroke_width(style.line() * 2),
        )))?;
    }
    Ok(())
}

/// The label of an integer tick (bars sit at 0, 1, …; people count from 1, groups by name).
fn bar_label(x: f64, unit: Unit) -> String {
    if (x - x.round()).abs() < 1e-9 && x >= -0.01 {
        unit.label(x.round() as usize)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_count_layers_from_one() {
        assert_eq!(bar_label(0.0, Unit::Layers), "1");
        assert_eq!(bar_label(9.0, Unit::TimeSteps), "10");
        assert_eq!(bar_label(2.5, Unit::Layers), "");
        assert_eq!(bar_label(1.0, Unit::Groups), "W_h");
    }

    #[test]
    fn frame_covers_values_and_threshold() {
        let bars = LayerBars {
            before: &[1e3, 2.0, f64::NAN],
            after: &[1.0, 1.0, f64::NAN],
            clipping: true,
            threshold: Some(1e-2),
            theory: None,
            companion: Some(&[1e4]),
        };
        let f = BarsFrame::fit(&[bars], None);
        assert_eq!(f.layers, 3);
        assert_eq!((f.y.lo_exp, f.y.hi_exp), (-2, 4));
    }
}
