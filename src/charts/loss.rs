//! Chart 3 — loss over the whole run (log y), from [`RunHistory`]'s columns: each column is
//! drawn as its min–max span, so spikes survive decimation. The step where training diverged is
//! marked with a vermillion line; steps where clipping acted, with orange ticks along the bottom.

use super::history::RunHistory;
use super::palette::{AFTER_CLIP, OVERFLOW, THRESHOLD};
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
    /// The frame that shows `history`, keeping `previous` where it still fits.
    pub fn fit(history: &RunHistory, previous: Option<LossFrame>) -> LossFrame {
        let values = history
            .loss_columns()
            .iter()
            .filter(|c| c.steps > 0)
            .flat_map(|c| [f64::from(c.min), f64::from(c.max)]);
        LossFrame {
            x_extent: history.x_extent(),
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

/// Draws the loss and the divergence marker (the upper layer).
pub fn draw_loss<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: LossFrame,
    history: &RunHistory,
) -> DrawResult<DB> {
    let y = frame.y;
    let mut chart = frame.chart(area, style)?;
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
                .map(|&p| Circle::new(p, style.px(2.5), AFTER_CLIP.filled())),
        )?;
    }
    chart.draw_series(LineSeries::new(
        points,
        ShapeStyle::from(&AFTER_CLIP).stroke_width(style.line()),
    ))?;
    // Clip events: a strip of ticks along the bottom, darker where more steps were clipped.
    let tick_top = y.lo() * 10f64.powf(0.04 * f64::from(y.hi_exp - y.lo_exp));
    chart.draw_series(history.clipped_spans().into_iter().map(|(x0, x1, share)| {
        Rectangle::new(
            [(x0, y.lo()), (x1, tick_top)],
            THRESHOLD.mix(0.35 + 0.65 * share).filled(),
        )
    }))?;
    if let Some(at) = history.diverged() {
        let x = at.step as f64;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, y.lo()), (x, y.hi())],
            ShapeStyle::from(&OVERFLOW).stroke_width(style.line() * 2),
        )))?;
        let label = ("sans-serif", 12.0 * style.dpr)
            .into_font()
            .color(&OVERFLOW);
        let anchor_right = x > 0.6 * frame.x_extent as f64;
        let label = label.pos(plotters::style::text_anchor::Pos::new(
            if anchor_right {
                plotters::style::text_anchor::HPos::Right
            } else {
                plotters::style::text_anchor::HPos::Left
            },
            plotters::style::text_anchor::VPos::Top,
        ));
        let pad = frame.x_extent as f64 * 0.01 * if anchor_right { -1.0 } else { 1.0 };
        chart.draw_series(std::iter::once(Text::new(
            format!("diverged at step {}", at.step),
            (x + pad, y.hi()),
            label,
        )))?;
    }
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
