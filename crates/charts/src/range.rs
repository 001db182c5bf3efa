//! Chart 5 — where a recent step's gradients fall on the number line (the first step of each
//! chunk the worker trains: counting is a pass over every gradient): the share of gradient
//! values per binary exponent (`2^e ≤ |g| < 2^(e+1)`), as the backward pass held them —
//! scaled by the loss scale S and rounded to the compute format — from
//! [`ValueRange`]. Exact zeros and ±inf/NaN get bars of their own at the two ends.
//!
//! Two strips along the top shade f16's and bf16's regions over the same axis: values that
//! round to zero (grey), subnormals with fewer digits (amber), normal values (clear) and
//! overflow to ±inf (vermillion). So a student sees the histogram slide off the bottom of f16
//! without scaling, and run off its top when S is too high. Under loss scaling a lower panel
//! draws S over the whole run (log₂ axis), skipped steps ticked in vermillion beneath it.

use super::history::RunHistory;
use super::palette::{BASELINE, GRID, INK, OVERFLOW, RUN_COLOURS, THRESHOLD};
use super::{mesh, plot, pow2_label, DrawResult, Linear, Margins, PlotResult, Style};
use gradlab_engine::precision::{Precision, ValueRange};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The x axis's left end: room for the zero bar left of the lowest bin.
const X_LO: f64 = ValueRange::LOWEST as f64 - 5.0;
/// The x axis's right end: room for the inf/NaN bar right of the highest bin.
const X_HI: f64 = (ValueRange::LOWEST + ValueRange::BINS as i32) as f64 + 5.0;
/// Where the zero and inf/NaN bars stand.
const ZERO_AT: f64 = X_LO + 2.0;
const NON_FINITE_AT: f64 = X_HI - 3.0;
/// The exponents labelled: f16's landmarks (2⁻²⁴ its smallest subnormal, 2⁻¹⁴ its smallest
/// normal, 2¹⁶ its overflow) among even steps.
const LABELLED: [f64; 8] = [-64.0, -48.0, -32.0, -24.0, -14.0, 0.0, 16.0, 32.0];
/// The y axis's tops on offer, in percent of the values (the frame changes only between them).
const Y_TOPS: [u32; 7] = [1, 2, 5, 10, 20, 50, 100];
/// The bars stay below this share of the plot's height; the strips sit above.
const BAR_ROOM: f64 = 0.74;

/// The axes of the range chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeFrame {
    /// The y axis's top, percent of the values.
    pub y_top: u32,
    /// Under loss scaling: the lower panel's x extent (steps) and its log₂ S range.
    pub scale: Option<ScaleFrame>,
}

/// The lower panel's axes: steps on x, log₂ S on y.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleFrame {
    /// The step at the right edge.
    pub x_extent: u64,
    /// log₂ of the bottom and top.
    pub exp2: (i32, i32),
}

impl RangeFrame {
    /// The frame for these runs' ranges (A, then B), with the lower panel when `scaling`.
    pub fn fit(ranges: &[&ValueRange], histories: &[&RunHistory], scaling: bool) -> Self {
        let tallest = ranges
            .iter()
            .flat_map(|r| shares(r).map(|(_, share)| share))
            .fold(0.0, f64::max);
        let y_top = Y_TOPS
            .into_iter()
            .find(|&top| tallest * 100.0 <= f64::from(top) * BAR_ROOM)
            .unwrap_or(100);
        let scale = scaling.then(|| {
            let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
            for column in histories.iter().flat_map(|h| h.loss_columns()) {
                if column.steps > 0 {
                    lo = lo.min(column.scale.0);
                    hi = hi.max(column.scale.1);
                }
            }
            let exp2 = if lo <= hi && lo > 0.0 {
                let lo = f64::from(lo).log2().floor() as i32;
                let hi = f64::from(hi).log2().ceil() as i32;
                // Multiples of 4 octaves, with room above the top value, at least 8 tall.
                let lo = lo.div_euclid(4) * 4;
                let hi = (hi + 4).div_euclid(4) * 4;
                (lo.min(hi - 8), hi)
            } else {
                (8, 24)
            };
            ScaleFrame {
                x_extent: histories.iter().map(|h| h.x_extent()).max().unwrap_or(1),
                exp2,
            }
        });
        Self { y_top, scale }
    }

    /// The histogram's area and the lower panel's, if any.
    fn split<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> (DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>) {
        match self.scale {
            Some(_) => {
                let height = area.dim_in_pixel().1;
                let (top, bottom) = area.split_vertically(height * 68 / 100);
                (top, Some(bottom))
            }
            None => (area.clone(), None),
        }
    }

    fn histogram<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        style: Style,
    ) -> PlotResult<'a, DB, Linear, Linear> {
        plot(
            area,
            style,
            Margins::STANDARD,
            X_LO..X_HI,
            0.0..f64::from(self.y_top),
        )
    }
}

impl ScaleFrame {
    fn chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        style: Style,
    ) -> PlotResult<'a, DB, Linear, Linear> {
        plot(
            area,
            style,
            Margins {
                top: 4.0,
                ..Margins::STANDARD
            },
            0.0..self.x_extent as f64,
            f64::from(self.exp2.0)..f64::from(self.exp2.1),
        )
    }
}

/// Each bar's position and share of the values: the bins (the few values beyond either end
/// counted in the end bins), then the zero bar and the inf/NaN bar.
fn shares(range: &ValueRange) -> impl Iterator<Item = (f64, f64)> + '_ {
    let total = range.total().max(1) as f64;
    let last = range.bins.len().saturating_sub(1);
    range
        .bins
        .iter()
        .enumerate()
        .map(move |(i, &count)| {
            let extra = match i {
                0 => range.below,
                i if i == last => range.above,
                _ => 0,
            };
            let x = f64::from(ValueRange::LOWEST) + i as f64;
            (x, f64::from(count + extra) / total)
        })
        .chain([
            (ZERO_AT, f64::from(range.zeros) / total),
            (NON_FINITE_AT, f64::from(range.non_finite) / total),
        ])
}

/// A format's regions on the exponent axis: (from, to, colour, opacity) — what rounds to zero,
/// the subnormals, the normal values and overflow. Round to nearest: below half the smallest
/// subnormal a value becomes 0; from half an ulp past the largest finite value, ±inf.
fn regions(precision: Precision) -> [(f64, f64, RGBColor, f64); 4] {
    let limits = precision.limits();
    let flush = limits.min_subnormal.log2() - 1.0;
    let normal = limits.min_normal.log2();
    let overflow = limits.max.log2().ceil();
    [
        (X_LO, flush, BASELINE, 0.55),
        (flush, normal, THRESHOLD, 0.75),
        (normal, overflow, GRID, 0.9),
        (overflow, X_HI, OVERFLOW, 0.85),
    ]
}

/// Draws the meshes, labels and the two formats' strips (the lower layer).
pub fn draw_range_axes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: RangeFrame,
) -> DrawResult<DB> {
    let (top, bottom) = frame.split(area);
    let mut chart = frame.histogram(&top, style)?;
    let y_top = f64::from(frame.y_top);
    mesh(&mut chart, style)
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(5)
        // The strips own the top of the plot: no share is labelled up there.
        .y_label_formatter(&|y| {
            if *y <= y_top * BAR_ROOM + 1e-9 {
                format!("{y}%")
            } else {
                String::new()
            }
        })
        .x_desc(if frame.scale.is_some() {
            "|g| as the backward pass held it (× S)"
        } else {
            "|g|, binary exponent"
        })
        .draw()?;
    let font = style.font();
    let left = font.pos(Pos::new(HPos::Left, VPos::Center));
    let centre = font.pos(Pos::new(HPos::Center, VPos::Bottom));
    // The exponent labels at f16's landmarks, under the axis (plotters would pick round tens).
    let below = font.pos(Pos::new(HPos::Center, VPos::Top));
    for e in LABELLED {
        let (x, y) = chart.backend_coord(&(e, 0.0));
        top.draw(&Text::new(
            pow2_label(e),
            (x, y + style.px(5.0) as i32),
            below.clone(),
        ))?;
    }
    for (row, precision) in [Precision::F16, Precision::Bf16].into_iter().enumerate() {
        let (y0, y1) = (
            y_top * (0.92 - 0.085 * row as f64),
            y_top * (0.995 - 0.085 * row as f64),
        );
        chart.draw_series(
            regions(precision)
                .into_iter()
                .map(|(x0, x1, colour, alpha)| {
                    Rectangle::new(
                        [(x0.max(X_LO), y0), (x1.min(X_HI), y1)],
                        colour.mix(alpha).filled(),
                    )
                }),
        )?;
        // Named inside f16's normal range, which both strips leave clear.
        chart.draw_series([Text::new(
            precision.name().to_string(),
            (-12.0, (y0 + y1) / 2.0),
            left.clone(),
        )])?;
    }
    chart.draw_series([
        Text::new(
            "0",
            (ZERO_AT, y_top * BAR_ROOM + 0.02 * y_top),
            centre.clone(),
        ),
        Text::new(
            "∞",
            (NON_FINITE_AT, y_top * BAR_ROOM + 0.02 * y_top),
            centre.clone(),
        ),
    ])?;
    if let (Some(scale), Some(bottom)) = (frame.scale, bottom) {
        let mut chart = scale.chart(&bottom, style)?;
        mesh(&mut chart, style)
            .x_labels(6)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_labels(3)
            .y_label_formatter(&|y| pow2_label(*y))
            .x_desc("step — loss scale S, skipped steps ticked")
            .draw()?;
    }
    Ok(())
}

/// Draws each run's histogram, and under loss scaling S over the run (the upper layer);
/// `runs` are A's and, in compare mode, B's range and history.
pub fn draw_range<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: Style,
    frame: RangeFrame,
    runs: &[(&ValueRange, &RunHistory)],
) -> DrawResult<DB> {
    let (top, bottom) = frame.split(area);
    let mut chart = frame.histogram(&top, style)?;
    let y_top = f64::from(frame.y_top);
    let overlaid = runs.len() > 1;
    for (i, (range, _)) in runs.iter().enumerate() {
        let colour = RUN_COLOURS[i % RUN_COLOURS.len()];
        // Side by side in compare mode: A on the left half of each bin, B on the right.
        let (from, width) = if overlaid {
            (0.08 + 0.42 * i as f64, 0.42)
        } else {
            (0.1, 0.8)
        };
        chart.draw_series(
            shares(range)
                .filter(|(_, share)| *share > 0.0)
                .map(|(x, share)| {
                    let fill = if x == NON_FINITE_AT {
                        OVERFLOW
                    } else if x == ZERO_AT {
                        INK
                    } else {
                        colour
                    };
                    let height = (share * 100.0).min(y_top * BAR_ROOM);
                    // Even a single value gets a visible sliver.
                    let height = height.max(y_top * 0.01);
                    let (x0, w) = if x == ZERO_AT || x == NON_FINITE_AT {
                        (x - 1.0 + 2.0 * from, 2.0 * width)
                    } else {
                        (x + from, width)
                    };
                    Rectangle::new([(x0, 0.0), (x0 + w, height)], fill.filled())
                }),
        )?;
    }
    if let (Some(scale), Some(bottom)) = (frame.scale, bottom) {
        let mut chart = scale.chart(&bottom, style)?;
        let (lo, hi) = (f64::from(scale.exp2.0), f64::from(scale.exp2.1));
        for (i, (_, history)) in runs.iter().enumerate() {
            let colour = RUN_COLOURS[i % RUN_COLOURS.len()];
            let stride = history.stride() as f64;
            let points: Vec<(f64, f64)> = history
                .loss_columns()
                .iter()
                .enumerate()
                .filter(|(_, c)| c.steps > 0 && c.scale.0 > 0.0)
                .flat_map(|(i, c)| {
                    let x = (i as f64 + 0.5) * stride;
                    let at = |s: f32| f64::from(s).log2().clamp(lo, hi);
                    [(x, at(c.scale.1)), (x, at(c.scale.0))]
                })
                .collect();
            chart.draw_series(LineSeries::new(
                points,
                ShapeStyle::from(&colour).stroke_width(style.line()),
            ))?;
            let strip = (hi - lo) * 0.08;
            let (y0, y1) = (lo + strip * i as f64, lo + strip * (i as f64 + 0.9));
            chart.draw_series(history.skipped_spans().into_iter().map(|(x0, x1, share)| {
                Rectangle::new(
                    [(x0, y0), (x1, y1)],
                    OVERFLOW.mix(0.35 + 0.65 * share).filled(),
                )
            }))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f16's regions: zero below 2⁻²⁵, subnormal to 2⁻¹⁴, normal to 2¹⁶ (65504 rounds up to
    /// inf from 65520); bf16's start where f32's do.
    #[test]
    fn the_strips_mark_each_formats_limits() {
        let f16 = regions(Precision::F16);
        assert_eq!((f16[0].1, f16[1].1, f16[2].1), (-25.0, -14.0, 16.0));
        let bf16 = regions(Precision::Bf16);
        assert_eq!((bf16[0].1, bf16[1].1, bf16[2].1), (-134.0, -126.0, 128.0));
    }

    #[test]
    fn labels_are_powers_of_two() {
        assert_eq!(pow2_label(-64.0), "2⁻⁶⁴");
        assert_eq!(pow2_label(-24.0), "2⁻²⁴");
        assert_eq!(pow2_label(16.0), "2¹⁶");
        assert_eq!(pow2_label(0.0), "2⁰");
    }

    /// The y axis grows in steps so the tallest bar keeps below the strips: 60 % of the values
    /// in one bin needs the 100 % axis; values spread over every bin (at most 2 of 144 in
    /// one, 1.4 %) fit under 2 %.
    #[test]
    fn the_frame_keeps_the_bars_under_the_strips() {
        let mut range = ValueRange {
            bins: vec![0; ValueRange::BINS],
            ..ValueRange::default()
        };
        range.bins[60] = 60;
        range.zeros = 40;
        let history = RunHistory::new(1);
        assert_eq!(RangeFrame::fit(&[&range], &[&history], false).y_top, 100);
        let spread = ValueRange {
            bins: (0..ValueRange::BINS as u32).map(|i| 1 + i % 2).collect(),
            ..ValueRange::default()
        };
        assert_eq!(RangeFrame::fit(&[&spread], &[&history], false).y_top, 2);
    }
}
