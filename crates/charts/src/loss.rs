//! Chart 3 — loss over the whole run (log y), from [`RunHistory`]'s columns: each column is
//! drawn as its min–max span, so spikes survive decimation. The step where training diverged is
//! marked with a vermillion line; steps where clipping acted, with orange ticks along the bottom,
//! and steps a loss scaler skipped, with vermillion ticks above those.
//! In compare mode both runs share the chart: run A in blue, run B in reddish purple, each with
//! its own strip of clip ticks (A's at the bottom, B's just above).

use super::history::RunHistory;
use super::palette::{BASELINE, OVERFLOW, RUN_COLOURS, THRESHOLD};
use super::{log_plot, mesh, pow10_label, Decades, DrawResult, Linear, Log, PlotResult, Style};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Below this many columns with data, each is also drawn as a dot.
const SHOW_POINTS_BELOW: usize = 30;

/// The axes of the loss chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LossFrame {
    /// The step at the right edge.
    pub x_extent: u64,
    /// The y range.
    pub y: Decades,
}

impl LossFrame {
    /// The frame that shows every run in `runs`, keeping `previous` where it still fits.
    pub fn fit(runs: &[&RunHistory], previous: Option<LossFrame>) -> LossFrame {
        let values = runs.iter().flat_map(|history| {
            history
                .loss_columns()
                .iter()
                .filter(|c| c.steps > 0)
                .flat_map(|c| [f64::from(c.min), f64::from(c.max)])
        });
        LossFrame {
            x_extent: runs.iter().map(|h| h.x_extent()).max().unwrap_or(1),
            y: Decades::fit(values, previous.map(|p| p.y)),
        }
    }

    /// The plot both layers draw through: steps on x, log loss on y.
    fn chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        style: Style,
    ) -> PlotResult<'a, DB, Linear, Log> {
        log_plot(area, style, 0.0..self.x_extent as f64, self.y)
    }
}

/// Draws the mesh and labels (the lower layer).
pub fn draw_loss_axes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: LossFrame,
) -> DrawResult<DB> {
    let mut chart = frame.chart(area, style)?;
    mesh(&mut chart, style)
        .x_labels(6)
        .x_label_formatter(&|x| step_label(*x))
        .y_labels(6)
        .y_label_formatter(&|v| pow10_label(*v))
        .x_desc("step")
        .draw()
}

/// Draws each run's loss, clip ticks and divergence marker (the upper layer); `runs` are A
/// and, in compare mode, B.
pub fn draw_loss<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: LossFrame,
    runs: &[&RunHistory],
) -> DrawResult<DB> {
    let y = frame.y;
    let mut chart = frame.chart(area, style)?;
    let named = runs.len() > 1;
    for (i, history) in runs.iter().enumerate() {
        let colour = RUN_COLOURS[i % RUN_COLOURS.len()];
        let stride = history.stride() as f64;
        let points: Vec<(f64, f64)> = history
            .loss_columns()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.steps > 0 && c.min.is_finite())
            .flat_map(|(i, c)| {
                let x = (i as f64 + 0.5) * stride;
                [
                    (x, y.clamp(f64::from(c.max))),
                    (x, y.clamp(f64::from(c.min))),
                ]
            })
            .collect();
        // A few points alone would be invisible as a line: mark them.
        if points.len() <= 2 * SHOW_POINTS_BELOW {
            chart.draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, style.px(2.5), colour.filled())),
            )?;
        }
        chart.draw_series(LineSeries::new(
            points,
            ShapeStyle::from(&colour).stroke_width(style.line()),
        ))?;
        // Clip events: a strip of ticks along the bottom (one strip per run), darker where more
        // steps were clipped.
        let decades = f64::from(y.hi_exp - y.lo_exp);
        let strip = |k: f64| y.lo() * 10f64.powf(0.045 * k * decades);
        let (bottom, top) = (strip(i as f64), strip(i as f64 + 0.9));
        chart.draw_series(history.clipped_spans().into_iter().map(|(x0, x1, share)| {
            Rectangle::new(
                [(x0, bottom), (x1, top)],
                THRESHOLD.mix(0.35 + 0.65 * share).filled(),
            )
        }))?;
        // Steps a loss scaler skipped (their updates never happened), in a strip above the
        // runs' clip strips.
        let (bottom, top) = (strip(2.0 + i as f64), strip(2.9 + i as f64));
        chart.draw_series(history.skipped_spans().into_iter().map(|(x0, x1, share)| {
            Rectangle::new(
                [(x0, bottom), (x1, top)],
                OVERFLOW.mix(0.35 + 0.65 * share).filled(),
            )
        }))?;
        if let Some(at) = history.diverged() {
            let name = if named { ["A ", "B "][i % 2] } else { "" };
            mark_divergence(
                &mut chart,
                style,
                frame,
                at.step,
                &format!("{name}diverged at step {}", at.step),
                i,
            )?;
        }
    }
    Ok(())
}

/// A dashed grey line at the task's baseline loss — the best a model that remembers nothing
/// can do (upper layer; its label is in the legend, so no text is measured per frame).
pub fn draw_loss_baseline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: LossFrame,
    baseline: f64,
) -> DrawResult<DB> {
    let mut chart = frame.chart(area, style)?;
    let level = frame.y.clamp(baseline);
    let width = frame.x_extent as f64;
    let dash = width / 60.0;
    chart.draw_series((0..60).step_by(2).map(|k| {
        let x = k as f64 * dash;
        PathElement::new(
            vec![(x, level), (x + dash, level)],
            ShapeStyle::from(&BASELINE).stroke_width(style.line()),
        )
    }))?;
    Ok(())
}

/// A vermillion line at `step` with `label` at the top (lower for the second run, so two
/// labels never overlap).
fn mark_divergence<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<Linear, Log>>,
    style: Style,
    frame: LossFrame,
    step: u64,
    label: &str,
    run: usize,
) -> DrawResult<DB> {
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let y = frame.y;
    let x = step as f64;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x, y.lo()), (x, y.hi())],
        ShapeStyle::from(&OVERFLOW).stroke_width(style.line() * 2),
    )))?;
    let anchor_right = x > 0.6 * frame.x_extent as f64;
    let font = ("sans-serif", 12.0 * style.dpr)
        .into_font()
        .color(&OVERFLOW)
        .pos(Pos::new(
            if anchor_right {
                HPos::Right
            } else {
                HPos::Left
            },
            VPos::Top,
        ));
    let pad = frame.x_extent as f64 * 0.01 * if anchor_right { -1.0 } else { 1.0 };
    let top = y.hi() / 10f64.powf(0.08 * run as f64 * f64::from(y.hi_exp - y.lo_exp));
    chart.draw_series(std::iter::once(Text::new(
        label.to_string(),
        (x + pad, top),
        font,
    )))?;
    Ok(())
}

/// Compact step numbers: 950, 12k, 3.5M.
pub fn step_label(x: f64) -> String {
    let x = x.round();
    if x < 0.0 {
        String::new()
    } else if x < 10_000.0 {
        format!("{x}")
    } else if x < 1e6 {
        trim(format!("{:.1}", x / 1e3)) + "k"
    } else {
        trim(format!("{:.1}", x / 1e6)) + "M"
    }
}

fn trim(s: String) -> String {
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_labels() {
        assert_eq!(step_label(950.0), "950");
        assert_eq!(step_label(12_000.0), "12k");
        assert_eq!(step_label(12_500.0), "12.5k");
        assert_eq!(step_label(3_500_000.0), "3.5M");
    }
}
