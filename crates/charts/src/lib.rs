//! Charts, drawn with plotters and generic over its `DrawingBackend`: the canvas in the app, SVG
//! in native smoke tests.
//!
//! Owns how numbers become pictures, and nothing about where they come from. Each chart is split
//! in two so a frame stays cheap: `draw_*_axes` (mesh, labels, legend — text, which plotters
//! measures through the DOM) runs only when the chart's [`Decades`] changes, onto a lower
//! canvas; `draw_*` (data only) runs at most once per animation frame onto a transparent canvas
//! above it. Both lay the plot out through the same fixed-size builder, so they line up.
//!
//! - [`layer_bars`]: gradient magnitude per layer, before/after clipping, threshold line.
//! - [`heatmap`]: gradient magnitude per layer over the whole run (layer × step).
//! - [`loss`]: loss over the whole run, with the divergence marked.
//! - [`range`]: where a recent step's gradients fall on the number line, f16's and bf16's
//!   regions shaded, and the loss scale over the run.
//! - [`history`]: the bounded whole-run data the heat map and loss chart draw.

pub mod heatmap;
pub mod history;
pub mod layer_bars;
pub mod loss;
pub mod palette;
pub mod range;

pub mod cliff;
pub mod phase;

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The result of drawing on backend `DB`.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Device-pixel scale of a chart (`window.devicePixelRatio` on the page, 1 in tests).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    /// Device pixels per CSS pixel.
    pub dpr: f64,
}

impl Style {
    /// CSS pixels → device pixels.
    pub fn px(&self, css: f64) -> u32 {
        (css * self.dpr).round().max(1.0) as u32
    }

    /// The label font.
    pub fn font(&self) -> TextStyle<'static> {
        ("sans-serif", 12.0 * self.dpr)
            .into_font()
            .color(&palette::INK)
    }

    /// Width of data lines: whole device pixels (fractional widths rasterise far slower).
    pub fn line(&self) -> u32 {
        self.dpr.round().max(1.0) as u32
    }
}

/// A log-scale axis range in whole decades: `10^lo_exp ..= 10^hi_exp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decades {
    /// log₁₀ of the bottom.
    pub lo_exp: i32,
    /// log₁₀ of the top.
    pub hi_exp: i32,
}

impl Decades {
    /// Smallest span shown, in decades.
    const MIN_SPAN: i32 = 2;
    /// How far below the data the bottom may sit before the axis shrinks (hysteresis, so the
    /// axes are not redrawn on every frame).
    const SLACK: i32 = 3;

    /// The decades that hold every finite positive value, keeping `previous` while it still
    /// fits well. Values are clamped to 10^−30 ..= 10^38 (f32's range).
    pub fn fit(values: impl IntoIterator<Item = f64>, previous: Option<Decades>) -> Decades {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.into_iter().filter(|v| v.is_finite() && *v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo > hi {
            return previous.unwrap_or(Decades {
                lo_exp: -3,
                hi_exp: 1,
            });
        }
        let lo_exp = (lo.log10().floor() as i32).clamp(-30, 37);
        let hi_exp = (hi.log10().ceil() as i32).clamp(lo_exp + 1, 38);
        if let Some(p) = previous {
            let fits = p.lo_exp <= lo_exp && hi_exp <= p.hi_exp;
            if fits && lo_exp - p.lo_exp <= Self::SLACK && p.hi_exp - hi_exp <= Self::SLACK {
                return p;
            }
        }
        let span = hi_exp - lo_exp;
        let grow = (Self::MIN_SPAN - span).max(0);
        Decades {
            lo_exp: lo_exp - grow / 2 - grow % 2,
            hi_exp: hi_exp + grow / 2,
        }
    }

    /// The bottom value.
    pub fn lo(&self) -> f64 {
        10f64.powi(self.lo_exp)
    }

    /// The top value.
    pub fn hi(&self) -> f64 {
        10f64.powi(self.hi_exp)
    }

    /// `v` clamped into the range (non-finite and non-positive values go to the bottom).
    pub fn clamp(&self, v: f64) -> f64 {
        if v.is_finite() && v > 0.0 {
            v.clamp(self.lo(), self.hi())
        } else {
            self.lo()
        }
    }
}

/// "10³"-style label for a power of ten, plain scientific notation otherwise.
pub fn pow10_label(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return String::new();
    }
    let exp = v.log10().round() as i32;
    if (v / 10f64.powi(exp) - 1.0).abs() > 1e-6 {
        return format!("{v:.0e}");
    }
    format!("10{}", superscript(exp))
}

/// "2⁻²⁴"-style label for a power of two (`exp` rounded to a whole number).
pub fn pow2_label(exp: f64) -> String {
    format!("2{}", superscript(exp.round() as i32))
}

/// A whole number as superscript digits, with a superscript minus: `⁻²⁴`.
fn superscript(n: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let digits = n.unsigned_abs().to_string();
    let digits = digits
        .chars()
        .map(|c| DIGITS[c.to_digit(10).unwrap_or(0) as usize]);
    (n < 0).then_some('⁻').into_iter().chain(digits).collect()
}

/// Margins (CSS px) shared by a chart's axes and data layers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Margins {
    pub left: f64,
    pub bottom: f64,
    pub top: f64,
    pub right: f64,
}

impl Margins {
    pub(crate) const STANDARD: Margins = Margins {
        left: 54.0,
        bottom: 34.0,
        top: 10.0,
        right: 16.0,
    };
}

/// A cartesian chart on backend `DB` with axes `X`, `Y`.
pub(crate) type Plot<'a, DB, X, Y> = ChartContext<'a, DB, Cartesian2d<X, Y>>;

/// A [`Plot`], or why it could not be built.
pub(crate) type PlotResult<'a, DB, X, Y> =
    Result<Plot<'a, DB, X, Y>, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A linear f64 axis.
pub(crate) type Linear = plotters::coord::types::RangedCoordf64;
/// A log₁₀ f64 axis.
pub(crate) type Log = plotters::coord::combinators::LogCoord<f64>;

/// Builds the plot without measuring any text: the label areas have fixed sizes.
pub(crate) fn plot<'a, DB: DrawingBackend, X: AsRangedCoord, Y: AsRangedCoord>(
    area: &'a DrawingArea<DB, Shift>,
    style: Style,
    margins: Margins,
    x: X,
    y: Y,
) -> PlotResult<'a, DB, X::CoordDescType, Y::CoordDescType> {
    ChartBuilder::on(area)
        .margin_top(style.px(margins.top))
        .margin_right(style.px(margins.right))
        .x_label_area_size(style.px(margins.bottom))
        .y_label_area_size(style.px(margins.left))
        .build_cartesian_2d(x, y)
}

/// A plot with a linear x range and a log y range in whole decades.
pub(crate) fn log_plot<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    style: Style,
    x: std::ops::Range<f64>,
    y: Decades,
) -> PlotResult<'a, DB, Linear, Log> {
    plot(
        area,
        style,
        Margins::STANDARD,
        x,
        (y.lo()..y.hi()).log_scale(),
    )
}

/// The mesh styling every chart shares: grid only at major ticks, muted axes, the label font.
pub(crate) fn mesh<'a, 'b, DB, X, Y, XT, YT>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    style: Style,
) -> MeshStyle<'a, 'b, X, Y, DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
{
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(palette::GRID.mix(0.0))
        .bold_line_style(palette::GRID)
        .axis_style(palette::INK.mix(0.6))
        .label_style(style.font())
        .axis_desc_style(style.font());
    mesh
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_range_covers_the_data_in_whole_decades() {
        let r = Decades::fit([0.003, 40.0], None);
        assert_eq!(
            r,
            Decades {
                lo_exp: -3,
                hi_exp: 2
            }
        );
        // At least two decades.
        assert_eq!(
            Decades::fit([5.0], None),
            Decades {
                lo_exp: -1,
                hi_exp: 1
            }
        );
        // Non-finite values are ignored; nothing finite keeps the previous range.
        let p = Decades {
            lo_exp: -1,
            hi_exp: 4,
        };
        assert_eq!(Decades::fit([f64::NAN, f64::INFINITY, 0.0], Some(p)), p);
    }

    #[test]
    fn log_range_has_hysteresis() {
        let p = Decades {
            lo_exp: -4,
            hi_exp: 2,
        };
        assert_eq!(Decades::fit([0.01, 10.0], Some(p)), p);
        // Growth past the top, or data far above the bottom, refits.
        assert_eq!(Decades::fit([0.01, 1e3], Some(p)).hi_exp, 3);
        assert_eq!(Decades::fit([10.0, 50.0], Some(p)).lo_exp, 0);
    }

    #[test]
    fn labels() {
        assert_eq!(pow10_label(1000.0), "10³");
        assert_eq!(pow10_label(1e-12), "10⁻¹²");
        assert_eq!(pow10_label(1.0), "10⁰");
        assert_eq!(pow10_label(2e-3), "2e-3");
    }
}

/// What a chart's bars (x) or rows (y) stand for: the model's profile axis, or its groups.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unit {
    /// An MLP's weight layers, input side first.
    #[default]
    Layers,
    /// An RNN's time steps, earliest first.
    TimeSteps,
    /// An RNN's parameter groups (`W_x`, `W_h`, `b`, `W_out`, `b_out`).
    Groups,
    /// A Transformer's blocks, first first.
    Blocks,
    /// A Transformer's parameter groups (`embed`, `pos`, each block's, `ln_f`, `readout`),
    /// numbered (their names are in the table).
    NumberedGroups,
}

impl Unit {
    /// The axis description under a bar chart.
    pub fn bars_description(self) -> &'static str {
        match self {
            Self::Layers => "layer (input → output)",
            Self::TimeSteps => "time step t (earliest → last)",
            Self::Groups => "parameter group",
            Self::Blocks => "block l (first → last)",
            Self::NumberedGroups => "parameter group (embed → readout; names in the table)",
        }
    }

    /// The axis description beside a heat map's rows.
    pub fn rows_description(self) -> &'static str {
        match self {
            Self::Layers | Self::Groups => "layer",
            Self::TimeSteps => "time step",
            Self::Blocks | Self::NumberedGroups => "block",
        }
    }

    /// The label of bar or row `index` (0-based): its number from 1, or the group's name.
    pub fn label(self, index: usize) -> String {
        match self {
            Self::Groups => gradlab_engine::rnn::GROUP_NAMES
                .get(index)
                .map_or_else(String::new, |n| n.to_string()),
            Self::Layers | Self::TimeSteps | Self::Blocks | Self::NumberedGroups => {
                format!("{}", index + 1)
            }
        }
    }
}
