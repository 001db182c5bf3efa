//! The trainability map: one square per tile of a two-setting grid, coloured by what its run
//! did — trained (bluish green), exploded (vermillion), vanished (sky blue), stalled (grey),
//! not yet in (blank), too big to train here (a crossed-out outline) — with theory drawn over it
//! as labelled lines, and the lab's current configuration marked.
//!
//! Tiles sit at integer coordinates (column, row); axes are labelled with the settings' values.
//! [`PhaseGrid::tile_at`] turns a click into the tile under it.

use super::palette::{BEFORE_CLIP, INK, OVERFLOW, THEORY};
use super::{mesh, plot, DrawResult, Linear, Margins, PlotResult, Style};
use gradlab_engine::sweep::{Outcome, SweepAxis};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A stalled tile's grey.
const STALLED: RGBColor = RGBColor(0xb8, 0xbe, 0xc8);

/// The colour of an outcome.
pub fn outcome_colour(outcome: Outcome) -> RGBColor {
    match outcome {
        Outcome::Trained => THEORY,
        Outcome::Exploded => OVERFLOW,
        Outcome::Vanished => BEFORE_CLIP,
        Outcome::Stalled => STALLED,
    }
}

/// A theory curve in the settings' own units, with its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Overlay {
    /// Points `(x value, y value)`.
    pub points: Vec<(f64, f64)>,
    /// What it is.
    pub label: String,
}

/// What the map shows.
#[derive(Clone, Copy, Debug)]
pub struct PhaseGrid<'a> {
    /// Columns.
    pub x: SweepAxis,
    /// Rows.
    pub y: SweepAxis,
    /// One entry per tile, row by row from the first row (None: not in yet).
    pub tiles: &'a [Option<Outcome>],
    /// Tiles refused as too big to train within the lab's memory (indices into `tiles`),
    /// drawn as crossed-out outlines.
    pub too_big: &'a [usize],
    /// Theory lines.
    pub overlays: &'a [Overlay],
    /// The lab's current configuration, in the settings' units.
    pub marker: Option<(f64, f64)>,
}

/// Where a value sits on an axis, in tile units (0 = first value, count − 1 = last).
fn position(axis: &SweepAxis, value: f64) -> f64 {
    if axis.count < 2 || axis.to == axis.from {
        0.0
    } else {
        (value - axis.from) / (axis.to - axis.from) * (axis.count - 1) as f64
    }
}

impl PhaseGrid<'_> {
    fn chart<'b, DB: DrawingBackend>(
        &self,
        area: &'b DrawingArea<DB, Shift>,
        style: Style,
    ) -> PlotResult<'b, DB, Linear, Linear> {
        plot(
            area,
            style,
            Margins::STANDARD,
            -0.5..self.x.count as f64 - 0.5,
            -0.5..self.y.count as f64 - 0.5,
        )
    }

    /// The tile under a point given in CSS pixels from the top left of a chart of
    /// `width × height` CSS pixels.
    pub fn tile_at(&self, x: f64, y: f64, width: f64, height: f64) -> Option<(usize, usize)> {
        let m = Margins::STANDARD;
        let (left, right, top, bottom) = (m.left, width - m.right, m.top, height - m.bottom);
        if !(left..right).contains(&x) || !(top..bottom).contains(&y) {
            return None;
        }
        let column = ((x - left) / (right - left) * self.x.count as f64) as usize;
        let row = ((bottom - y) / (bottom - top) * self.y.count as f64) as usize;
        Some((column.min(self.x.count - 1), row.min(self.y.count - 1)))
    }
}

/// Draws the whole map: tiles, theory, marker and axes (one layer: it changes only when a tile
/// arrives, a few times a second at most).
pub fn draw_phase<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    grid: &PhaseGrid,
) -> DrawResult<DB> {
    let mut chart = grid.chart(area, style)?;
    let columns = grid.x.count;
    chart.draw_series(grid.tiles.iter().enumerate().filter_map(|(i, tile)| {
        let outcome = (*tile)?;
        let (c, r) = ((i % columns) as f64, (i / columns) as f64);
        Some(Rectangle::new(
            [(c - 0.47, r - 0.47), (c + 0.47, r + 0.47)],
            outcome_colour(outcome).filled(),
        ))
    }))?;
    for &i in grid.too_big {
        let (c, r) = ((i % columns) as f64, (i / columns) as f64);
        let (lo, hi) = ((c - 0.4, r - 0.4), (c + 0.4, r + 0.4));
        chart.draw_series(std::iter::once(Rectangle::new(
            [lo, hi],
            INK.stroke_width(1),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(vec![lo, hi], INK)))?;
    }
    let (xmax, ymax) = (grid.x.count as f64 - 0.5, grid.y.count as f64 - 0.5);
    let inside = |(x, y): (f64, f64)| (-0.5..=xmax).contains(&x) && (-0.5..=ymax).contains(&y);
    // Labels end at the line's last point, so they stay inside the plot.
    let label_font = style
        .font()
        .color(&INK)
        .pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Right,
            plotters::style::text_anchor::VPos::Bottom,
        ));
    for overlay in grid.overlays {
        let points: Vec<(f64, f64)> = overlay
            .points
            .iter()
            .map(|&(x, y)| (position(&grid.x, x), position(&grid.y, y)))
            .filter(|p| inside(*p) && p.0.is_finite() && p.1.is_finite())
            .collect();
        let Some(&last) = points.last() else {
            continue;
        };
        chart.draw_series(std::iter::once(PathElement::new(
            points.clone(),
            INK.stroke_width(style.line() * 2),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            overlay.label.clone(),
            last,
            label_font.clone(),
        )))?;
    }
    if let Some((x, y)) = grid.marker {
        let at = (position(&grid.x, x), position(&grid.y, y));
        if inside(at) {
            let r = style.px(6.0);
            chart.draw_series(std::iter::once(Circle::new(
                at,
                r,
                INK.stroke_width(style.line() * 2),
            )))?;
        }
    }
    let (x_axis, y_axis) = (grid.x, grid.y);
    mesh(&mut chart, style)
        .disable_mesh()
        .x_labels(x_axis.count.min(8))
        .y_labels(y_axis.count.min(8))
        .x_label_formatter(&|v| axis_label(&x_axis, *v))
        .y_label_formatter(&|v| axis_label(&y_axis, *v))
        .x_desc(x_axis.field.label())
        .y_desc(y_axis.field.label())
        .draw()
}

/// The value of the tile at a whole-number tick, as a short label.
fn axis_label(axis: &SweepAxis, at: f64) -> String {
    let i = at.round();
    if (at - i).abs() > 1e-6 || i < 0.0 || i as usize >= axis.count {
        return String::new();
    }
    let v = axis.value(i as usize);
    // Whole-number settings as they are; the others all with two decimals, so a column of
    // labels lines up.
    match axis.field.range() {
        Some((_, _, true)) => format!("{v}"),
        _ => format!("{v:.2}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_find_their_tile() {
        let axis = |s| SweepAxis::parse(s).unwrap();
        let grid = PhaseGrid {
            x: axis("depth=1:10:10"),
            y: axis("weight-scale=0.5:2:4"),
            tiles: &[],
            too_big: &[],
            overlays: &[],
            marker: None,
        };
        let m = Margins::STANDARD;
        let (w, h) = (m.left + m.right + 100.0, m.top + m.bottom + 40.0);
        assert_eq!(grid.tile_at(m.left + 1.0, m.top + 39.0, w, h), Some((0, 0)));
        assert_eq!(grid.tile_at(m.left + 99.0, m.top + 1.0, w, h), Some((9, 3)));
        assert_eq!(
            grid.tile_at(m.left + 25.0, m.top + 15.0, w, h),
            Some((2, 2))
        );
        assert_eq!(grid.tile_at(1.0, 1.0, w, h), None);
        assert_eq!(axis_label(&grid.y, 1.0), "1.00");
        assert_eq!(axis_label(&grid.x, 2.0), "3");
        assert_eq!(axis_label(&grid.x, 2.5), "");
    }
}
