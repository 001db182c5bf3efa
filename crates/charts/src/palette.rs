//! Colours: Okabe–Ito for categories and viridis for magnitudes, both readable with the common
//! colour-vision deficiencies.

use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::RGBColor;

/// Text and axes.
pub const INK: RGBColor = RGBColor(0x1d, 0x23, 0x30);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xdf, 0xe3, 0xea);
/// Gradient before clipping (Okabe–Ito sky blue).
pub const BEFORE_CLIP: RGBColor = RGBColor(0x56, 0xb4, 0xe9);
/// Gradient after clipping, and the loss (Okabe–Ito blue).
pub const AFTER_CLIP: RGBColor = RGBColor(0x00, 0x72, 0xb2);
/// The second run in compare mode (Okabe–Ito reddish purple).
pub const RUN_B: RGBColor = RGBColor(0xcc, 0x79, 0xa7);
/// Each run's colour in compare mode: A, then B.
pub const RUN_COLOURS: [RGBColor; 2] = [AFTER_CLIP, RUN_B];
/// The clip threshold (Okabe–Ito orange).
pub const THRESHOLD: RGBColor = RGBColor(0xe6, 0x9f, 0x00);
/// NaN / ±Inf, everywhere (Okabe–Ito vermillion).
pub const OVERFLOW: RGBColor = RGBColor(0xd5, 0x5e, 0x00);
/// Theory overlays (Okabe–Ito bluish green).
pub const THEORY: RGBColor = RGBColor(0x00, 0x9e, 0x73);
/// A task's baseline loss (what remembering nothing scores): a quiet grey.
pub const BASELINE: RGBColor = RGBColor(0x6b, 0x72, 0x80);

/// log₁₀ of the smallest magnitude the heat map tells apart (darkest colour).
pub const HEAT_MIN_EXP: i32 = -6;
/// log₁₀ of the largest (brightest colour).
pub const HEAT_MAX_EXP: i32 = 6;

/// The heat-map colour of a gradient norm: viridis over log₁₀ ∈ [−6, 6] (clamped), and
/// vermillion for NaN/±Inf.
pub fn heat_colour(value: f32) -> [u8; 4] {
    if !value.is_finite() {
        let RGBColor(r, g, b) = OVERFLOW;
        return [r, g, b, 255];
    }
    let exp = if value > 0.0 {
        f64::from(value).log10()
    } else {
        f64::from(HEAT_MIN_EXP)
    };
    let t = (exp - f64::from(HEAT_MIN_EXP)) / f64::from(HEAT_MAX_EXP - HEAT_MIN_EXP);
    let RGBColor(r, g, b) = ViridisRGB::get_color(t.clamp(0.0, 1.0));
    [r, g, b, 255]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_scale_is_monotone_in_brightness_and_marks_overflow() {
        let luma = |c: [u8; 4]| 0.2126 * c[0] as f64 + 0.7152 * c[1] as f64 + 0.0722 * c[2] as f64;
        let mut previous = -1.0;
        for exp in HEAT_MIN_EXP..=HEAT_MAX_EXP {
            let l = luma(heat_colour(10f32.powi(exp)));
            assert!(l > previous, "10^{exp}");
            previous = l;
        }
        assert_eq!(heat_colour(0.0), heat_colour(1e-9));
        assert_eq!(heat_colour(f32::INFINITY), heat_colour(f32::NAN));
        assert_ne!(heat_colour(f32::NAN), heat_colour(1e6));
    }
}
