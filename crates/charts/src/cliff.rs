//! The cliff map: the loss of Pascanu's one-unit RNN over (w, b) (see
//! [`engine::cliff`](gradlab_engine::cliff)) as a heat map with contour lines, its wall drawn
//! from the analytic formula (dashed — far thinner than any grid tile), and gradient-descent
//! paths over it: unclipped in vermillion, clipped in blue, each from a square at its start.
//!
//! The surface and axes go on the lower canvas (drawn when the surface arrives), the paths on
//! the upper one. [`point_at`] turns a click into the (w, b) under it.

use super::palette::{AFTER_CLIP, INK, OVERFLOW};
use super::{mesh, plot, DrawResult, Linear, Margins, PlotResult, Style};
use gradlab_engine::cliff::{wall_at, wall_start, Point, Trajectory, B_RANGE, W_RANGE};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

/// Loss levels the contour lines follow.
pub const CONTOUR_LEVELS: [f64; 6] = [0.01, 0.03, 0.08, 0.15, 0.25, 0.35];
/// The largest loss the colour scale spans, (0 − 0.7)².
const LOSS_MAX: f64 = 0.49;

/// The loss on a grid of tile centres over the window, row-major from the lowest b.
#[derive(Clone, Copy, Debug)]
pub struct CliffSurface<'a> {
    /// Tiles along w.
    pub columns: usize,
    /// Tiles along b.
    pub rows: usize,
    /// `columns × rows` losses.
    pub loss: &'a [f64],
}

/// A path to draw, and whether it was clipped (its colour).
#[derive(Clone, Copy, Debug)]
pub struct CliffPath<'a> {
    /// The descent.
    pub trajectory: &'a Trajectory,
    /// Clipped (blue) or not (vermillion).
    pub clipped: bool,
}

fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    style: Style,
) -> PlotResult<'a, DB, Linear, Linear> {
    plot(
        area,
        style,
        Margins::STANDARD,
        W_RANGE.0..W_RANGE.1,
        B_RANGE.0..B_RANGE.1,
    )
}

/// The (w, b) under a point of the chart, given in CSS pixels from the top left of a chart of
/// `width × height` CSS pixels; `None` outside the plot.
pub fn point_at(x: f64, y: f64, width: f64, height: f64) -> Option<Point> {
    let m = Margins::STANDARD;
    let (left, right) = (m.left, width - m.right);
    let (top, bottom) = (m.top, height - m.bottom);
    if !(left..=right).contains(&x) || !(top..=bottom).contains(&y) || right <= left {
        return None;
    }
    let u = (x - left) / (right - left);
    let v = (bottom - y) / (bottom - top);
    Some(Point {
        w: W_RANGE.0 + u * (W_RANGE.1 - W_RANGE.0),
        b: B_RANGE.0 + v * (B_RANGE.1 - B_RANGE.0),
    })
}

/// The colour of a loss on the map.
fn loss_colour(loss: f64) -> RGBColor {
    if !loss.is_finite() {
        return OVERFLOW;
    }
    ViridisRGB::get_color((loss / LOSS_MAX).clamp(0.0, 1.0))
}

/// Draws the surface, its contours, the wall and the axes (the lower layer).
pub fn draw_cliff_axes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    surface: &CliffSurface,
) -> DrawResult<DB> {
    let mut chart = chart(area, style)?;
    let (columns, rows) = (surface.columns.max(1), surface.rows.max(1));
    let (dw, db) = (
        (W_RANGE.1 - W_RANGE.0) / columns as f64,
        (B_RANGE.1 - B_RANGE.0) / rows as f64,
    );
    if surface.loss.len() == columns * rows {
        chart.draw_series((0..rows).flat_map(|r| {
            (0..columns).map(move |c| {
                let (w, b) = (W_RANGE.0 + c as f64 * dw, B_RANGE.0 + r as f64 * db);
                Rectangle::new(
                    [(w, b), (w + dw, b + db)],
                    loss_colour(surface.loss[r * columns + c]).filled(),
                )
            })
        }))?;
        let contour = WHITE.mix(0.55).stroke_width(style.line());
        let value = |c: usize, r: usize| surface.loss[r * columns + c];
        for level in CONTOUR_LEVELS {
            let segments = contour_segments(columns, rows, &value, level);
            chart.draw_series(segments.into_iter().map(|(a, b)| {
                let to =
                    |(c, r): (f64, f64)| (W_RANGE.0 + (c + 0.5) * dw, B_RANGE.0 + (r + 0.5) * db);
                PathElement::new(vec![to(a), to(b)], contour)
            }))?;
        }
    }
    // The wall: exact, and thinner than a tile, so drawn as a line.
    let wall: Vec<(f64, f64)> = (0..=200u32)
        .map(|i| wall_start() + (W_RANGE.1 - wall_start()) * f64::from(i) / 200.0)
        .filter_map(|w| wall_at(w).map(|b| (w, b)))
        .collect();
    let dashes = wall
        .chunks(4)
        .step_by(2)
        .map(|dash| PathElement::new(dash.to_vec(), WHITE.stroke_width(style.line() * 2)));
    chart.draw_series(dashes)?;
    mesh(&mut chart, style)
        .disable_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_desc("recurrent weight w")
        .y_desc("bias b")
        .draw()
}

/// The segments where the loss crosses `level`, in grid coordinates (tile-centre units), by
/// marching squares over the tile centres.
fn contour_segments(
    columns: usize,
    rows: usize,
    value: &dyn Fn(usize, usize) -> f64,
    level: f64,
) -> Vec<((f64, f64), (f64, f64))> {
    let mut out = Vec::new();
    for r in 0..rows.saturating_sub(1) {
        for c in 0..columns.saturating_sub(1) {
            // Corners counter-clockwise from the lower left, and the edges between them.
            let corners = [(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)];
            let mut crossings = Vec::with_capacity(4);
            for k in 0..4 {
                let (a, b) = (corners[k], corners[(k + 1) % 4]);
                let (va, vb) = (value(a.0, a.1), value(b.0, b.1));
                if (va - level) * (vb - level) < 0.0 {
                    let t = (level - va) / (vb - va);
                    crossings.push((
                        a.0 as f64 + t * (b.0 as f64 - a.0 as f64),
                        a.1 as f64 + t * (b.1 as f64 - a.1 as f64),
                    ));
                }
            }
            for pair in crossings.chunks(2).filter(|p| p.len() == 2) {
                out.push((pair[0], pair[1]));
            }
        }
    }
    out
}

/// The part of the segment a → b inside the map's window (Liang–Barsky), if any.
fn clip_to_window(a: (f64, f64), b: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - W_RANGE.0),
        (dx, W_RANGE.1 - a.0),
        (-dy, a.1 - B_RANGE.0),
        (dy, B_RANGE.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then(|| {
        let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
        (at(t0), at(t1))
    })
}

/// Draws the descent paths (the upper layer). A step that leaves the map is drawn up to its
/// edge, in its true direction; points off the map are not drawn.
pub fn draw_cliff_paths<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    paths: &[CliffPath],
) -> DrawResult<DB> {
    let mut chart = chart(area, style)?;
    let inside = |p: (f64, f64)| {
        (W_RANGE.0..=W_RANGE.1).contains(&p.0) && (B_RANGE.0..=B_RANGE.1).contains(&p.1)
    };
    for path in paths {
        let colour = if path.clipped { AFTER_CLIP } else { OVERFLOW };
        let points: Vec<(f64, f64)> = path
            .trajectory
            .points
            .iter()
            .map(|(p, _)| (p.w, p.b))
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        let Some(&start) = points.first() else {
            continue;
        };
        let segments: Vec<_> = points
            .windows(2)
            .filter_map(|w| clip_to_window(w[0], w[1]))
            .collect();
        // A white halo under each path keeps it readable on the dark and the bright colours.
        for (width, tint) in [
            (style.line() * 5, WHITE.mix(0.8)),
            (style.line() * 2, colour.mix(1.0)),
        ] {
            chart.draw_series(
                segments
                    .iter()
                    .map(move |&(a, b)| PathElement::new(vec![a, b], tint.stroke_width(width))),
            )?;
        }
        chart.draw_series(
            points
                .iter()
                .filter(|p| inside(**p))
                .map(|&p| Circle::new(p, style.px(1.8), colour.filled())),
        )?;
        if inside(start) {
            let half = style.px(4.0) as i32;
            chart.draw_series(std::iter::once(
                EmptyElement::at(start)
                    + Rectangle::new([(-half, -half), (half, half)], INK.filled())
                    + Rectangle::new(
                        [(-half + 2, -half + 2), (half - 2, half - 2)],
                        colour.filled(),
                    ),
            ))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_map_to_the_window_and_back() {
        let (width, height) = (600.0, 400.0);
        let m = Margins::STANDARD;
        let corner = point_at(m.left, height - m.bottom, width, height).unwrap();
        assert_eq!((corner.w, corner.b), (W_RANGE.0, B_RANGE.0));
        let far = point_at(width - m.right, m.top, width, height).unwrap();
        assert!((far.w - W_RANGE.1).abs() < 1e-9 && (far.b - B_RANGE.1).abs() < 1e-9);
        assert_eq!(point_at(2.0, 100.0, width, height), None);
    }

    #[test]
    fn segments_are_cut_at_the_window() {
        let (a, b) = clip_to_window((5.0, -2.6), (59.0, 85.0)).unwrap();
        assert_eq!(a, (5.0, -2.6));
        assert!(
            (b.1 - B_RANGE.1).abs() < 1e-12 && b.0 > 5.0 && b.0 < W_RANGE.1,
            "{b:?}"
        );
        assert_eq!(clip_to_window((20.0, 0.0), (30.0, 1.0)), None);
        let through = clip_to_window((-5.0, -3.0), (15.0, -3.0)).unwrap();
        assert_eq!(through, ((W_RANGE.0, -3.0), (W_RANGE.1, -3.0)));
    }

    /// A plane v = c crosses level 1.5 in one straight line between columns 1 and 2.
    #[test]
    fn marching_squares_finds_a_straight_contour() {
        let segments = contour_segments(4, 3, &|c, _| c as f64, 1.5);
        assert_eq!(segments.len(), 2);
        for (a, b) in segments {
            assert!((a.0 - 1.5).abs() < 1e-12 && (b.0 - 1.5).abs() < 1e-12);
        }
    }
}
