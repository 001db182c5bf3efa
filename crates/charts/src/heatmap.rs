//! Chart 2 — gradient magnitude over time: a layer × step heat map of each layer's peak
//! gradient norm (before clipping), log colour scale (viridis, 10⁻⁶ … 10⁶), overflow in
//! vermillion, output layer on top. Explosion shows as the lower (input-side) rows turning
//! bright. Orange ticks above the map mark the columns where clipping acted.
//!
//! The colours live in [`RunHistory::image`]; on the page that image is blitted into the plot
//! rectangle in one call, and [`draw_history_tiles`] draws the same colours as rectangles for
//! other backends (SVG tests, exports).

use super::history::{RunHistory, HISTORY_COLUMNS};
use super::loss::step_label;
use super::palette::{heat_colour, GRID, HEAT_MAX_EXP, HEAT_MIN_EXP, INK, OVERFLOW, THRESHOLD};
use super::{mesh, plot, pow10_label, DrawResult, Linear, Margins, PlotResult, Style, Unit};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The axes of the heat map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryFrame {
    /// The step at the right edge.
    pub x_extent: u64,
    /// Rows: weight layers, or time steps.
    pub layers: usize,
    /// What a row stands for.
    pub unit: Unit,
}

impl HistoryFrame {
    /// The frame that shows `history`.
    pub fn of(history: &RunHistory) -> HistoryFrame {
        HistoryFrame {
            x_extent: history.x_extent(),
            layers: history.row_count(),
            unit: Unit::Layers,
        }
    }

    /// The plot both layers draw through: steps on x, one unit of y per layer.
    fn chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        style: Style,
    ) -> PlotResult<'a, DB, Linear, Linear> {
        plot(
            area,
            style,
            margins(),
            0.0..self.x_extent as f64,
            0.0..self.layers as f64,
        )
    }
}

/// Room on the right for the colour legend (CSS px).
const LEGEND: f64 = 64.0;

fn margins() -> Margins {
    Margins {
        right: LEGEND + 8.0,
        ..Margins::STANDARD
    }
}

/// The plot rectangle in device pixels, `(x0, y0, x1, y1)`, where the image goes.
pub fn history_plot_rect<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: HistoryFrame,
) -> Result<(i32, i32, i32, i32), DrawingAreaErrorKind<DB::ErrorType>> {
    let chart = frame.chart(area, style)?;
    let (x, y) = chart.plotting_area().get_pixel_range();
    Ok((x.start, y.start, x.end, y.end))
}

/// Draws the mesh, labels and colour legend (the lower layer).
pub fn draw_history_axes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: HistoryFrame,
) -> DrawResult<DB> {
    let layers = frame.layers as f64;
    let mut chart = frame.chart(area, style)?;
    mesh(&mut chart, style)
        .disable_mesh()
        .x_labels(6)
        .x_label_formatter(&|x| step_label(*x))
        .y_labels(frame.layers.clamp(2, 8))
        // Row r spans [r, r+1): label the row centres' layer numbers at integer ticks.
        .y_label_formatter(&|y| {
            let row = y.round();
            if (y - row).abs() < 1e-9 && row >= 1.0 && row <= layers {
                format!("{}", row as usize)
            } else {
                String::new()
            }
        })
        .x_desc("step")
        .y_desc(frame.unit.rows_description())
        .draw()?;
    chart.plotting_area().draw(&Rectangle::new(
        [(0.0, 0.0), (frame.x_extent as f64, layers)],
        GRID.stroke_width(1),
    ))?;
    draw_legend(area, style)
}

/// The colour bar: 10⁻⁶ at the bottom to 10⁶ at the top, and an overflow swatch.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, style: Style) -> DrawResult<DB> {
    let (width, height) = area.dim_in_pixel();
    let x0 = width as i32 - style.px(LEGEND) as i32 + style.px(6.0) as i32;
    let bar = style.px(12.0) as i32;
    let top = style.px(Margins::STANDARD.top + 22.0) as i32;
    let bottom = height as i32 - style.px(Margins::STANDARD.bottom) as i32;
    let steps = 48;
    let span = (bottom - top).max(steps);
    for i in 0..steps {
        let t = i as f64 / (steps - 1) as f64;
        let exp = f64::from(HEAT_MIN_EXP) + t * f64::from(HEAT_MAX_EXP - HEAT_MIN_EXP);
        let [r, g, b, _] = heat_colour(10f64.powf(exp) as f32);
        let y1 = bottom - (i * span) / steps;
        let y0 = bottom - ((i + 1) * span) / steps;
        area.draw(&Rectangle::new(
            [(x0, y0), (x0 + bar, y1)],
            RGBColor(r, g, b).filled(),
        ))?;
    }
    let font = ("sans-serif", 11.0 * style.dpr).into_font().color(&INK);
    for exp in [HEAT_MIN_EXP, 0, HEAT_MAX_EXP] {
        let t = f64::from(exp - HEAT_MIN_EXP) / f64::from(HEAT_MAX_EXP - HEAT_MIN_EXP);
        let y = bottom - (t * span as f64) as i32;
        area.draw(&Text::new(
            pow10_label(10f64.powi(exp)),
            (x0 + bar + style.px(4.0) as i32, y - style.px(6.0) as i32),
            font.clone(),
        ))?;
    }
    let swatch_top = style.px(Margins::STANDARD.top) as i32;
    area.draw(&Rectangle::new(
        [(x0, swatch_top), (x0 + bar, swatch_top + bar)],
        OVERFLOW.filled(),
    ))?;
    area.draw(&Text::new(
        "NaN/∞",
        (x0 + bar + style.px(4.0) as i32, swatch_top),
        font,
    ))
}

/// Draws clip events as orange ticks just above the map (over the image, not clearing it).
pub fn draw_history_clip_ticks<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: HistoryFrame,
    history: &RunHistory,
) -> DrawResult<DB> {
    let chart = frame.chart(area, style)?;
    let top = frame.layers as f64;
    let (gap, height) = (style.px(2.0) as i32, style.px(5.0) as i32);
    for (x0, x1, share) in history.clipped_spans() {
        let (px0, py) = chart.backend_coord(&(x0, top));
        let (px1, _) = chart.backend_coord(&(x1, top));
        area.draw(&Rectangle::new(
            [(px0, py - gap - height), (px1.max(px0 + 1), py - gap)],
            THRESHOLD.mix(0.35 + 0.65 * share).filled(),
        ))?;
    }
    Ok(())
}

/// Draws the tiles as rectangles (for backends without an image blit).
pub fn draw_history_tiles<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: HistoryFrame,
    history: &RunHistory,
) -> DrawResult<DB> {
    let layers = frame.layers;
    let chart = frame.chart(area, style)?;
    let stride = history.stride() as f64;
    let image = history.image();
    for row in 0..layers {
        for column in 0..HISTORY_COLUMNS {
            let at = (row * HISTORY_COLUMNS + column) * 4;
            let [r, g, b, a] = [image[at], image[at + 1], image[at + 2], image[at + 3]];
            if a == 0 {
                continue;
            }
            let top = (layers - row) as f64;
            chart.plotting_area().draw(&Rectangle::new(
                [
                    (column as f64 * stride, top - 1.0),
                    ((column + 1) as f64 * stride, top),
                ],
                RGBColor(r, g, b).filled(),
            ))?;
        }
    }
    Ok(())
}
