//! Weight initialisation: `W_ij ~ N(0, σ² / fan_in)`, `b_j ~ N(0, σ_b²)` — or, with
//! [`WeightDraw::Orthogonal`], `W = s·Q` with Q (semi-)orthogonal (Haar-distributed, from the QR
//! of a Gaussian matrix) and `s = σ·√max(1, fan_out/fan_in)`, so that E‖x·W‖² is the Gaussian
//! draw's, ‖x‖²·σ²·fan_out/fan_in: a square layer has every singular value exactly σ (Saxe et
//! al. 2014; Pennington, Schoenholz & Ganguli 2017).
//!
//! σ is the "weight scale" slider. With this parametrisation the classic schemes are single
//! points on the slider ([`InitPreset`]): σ = 1 is LeCun's (and Xavier's when fan_in = fan_out),
//! σ = √2 is He's. The theory (THEORY.md) is written in the same σ.

use super::group::ParamGroup;
use super::scalar::Scalar;
use ndarray::{Array1, Array2};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// How a weight matrix is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightDraw {
    /// Independent Gaussian entries, N(0, σ²/fan_in).
    #[default]
    Gaussian,
    /// A scaled (semi-)orthogonal matrix.
    Orthogonal,
}

impl WeightDraw {
    /// Every draw, in the order controls list them.
    pub const ALL: [Self; 2] = [Self::Gaussian, Self::Orthogonal];
    /// The names links and flags use.
    pub const NAMES: &'static [&'static str] = &["gaussian", "orthogonal"];

    /// The name links and flags use.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Parses a name of [`WeightDraw::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// Scales of the initial weights and biases.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Init {
    /// σ: each weight has standard deviation σ / √fan_in.
    pub weight_scale: f64,
    /// σ_b: each bias has standard deviation σ_b (0 means zero biases).
    pub bias_scale: f64,
    /// Gaussian or orthogonal weights.
    #[serde(default)]
    pub draw: WeightDraw,
}

impl Default for Init {
    /// LeCun's σ = 1 with zero biases (the page's defaults).
    fn default() -> Self {
        Self {
            weight_scale: 1.0,
            bias_scale: 0.0,
            draw: WeightDraw::Gaussian,
        }
    }
}

/// Named initialisations, each a value of σ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitPreset {
    /// LeCun normal: Var W = 1 / fan_in.
    Lecun,
    /// Xavier/Glorot normal, fan_in form: Var W = 1 / fan_in (equal to 2/(fan_in+fan_out)
    /// when the layer is square).
    Xavier,
    /// He/Kaiming normal: Var W = 2 / fan_in, critical for ReLU.
    He,
}

impl InitPreset {
    /// The σ this preset stands for.
    pub fn weight_scale(self) -> f64 {
        match self {
            Self::Lecun | Self::Xavier => 1.0,
            Self::He => std::f64::consts::SQRT_2,
        }
    }
}

impl Init {
    /// Draws one layer's parameters. Values are drawn in f64 and rounded to `S`, so an `f32`
    /// net and its `f64` copy start from the same numbers.
    pub fn draw<S: Scalar, R: Rng + ?Sized>(
        &self,
        fan_in: usize,
        fan_out: usize,
        rng: &mut R,
    ) -> ParamGroup<S> {
        let w_std = self.weight_scale / (fan_in as f64).sqrt();
        let gaussian = Array2::from_shape_simple_fn((fan_in, fan_out), || {
            w_std * rng.sample::<f64, _>(StandardNormal)
        });
        let w = match self.draw {
            WeightDraw::Gaussian => gaussian,
            WeightDraw::Orthogonal => {
                let spread = (fan_out as f64 / fan_in as f64).max(1.0).sqrt();
                semi_orthogonal(&gaussian) * (self.weight_scale * spread)
            }
        }
        .mapv(S::of);
        let b = if self.bias_scale > 0.0 {
            Array1::from_shape_simple_fn(fan_out, || {
                S::of(self.bias_scale * rng.sample::<f64, _>(StandardNormal))
            })
        } else {
            Array1::zeros(fan_out)
        };
        ParamGroup { w, b }
    }
}

/// The Haar-distributed (semi-)orthogonal factor of a Gaussian matrix `a: [m, n]`: orthonormal
/// columns when m ≥ n, orthonormal rows otherwise — Q of the QR decomposition of the tall
/// orientation, its signs fixed by R's diagonal (Mezzadri 2007).
pub fn semi_orthogonal(a: &Array2<f64>) -> Array2<f64> {
    let (m, n) = a.dim();
    let tall = m >= n;
    let (rows, cols) = if tall { (m, n) } else { (n, m) };
    let at = |i: usize, j: usize| if tall { a[[i, j]] } else { a[[j, i]] };
    let qr = nalgebra::DMatrix::from_fn(rows, cols, at).qr();
    let (q, r) = (qr.q(), qr.r());
    let fixed = |i: usize, j: usize| {
        let sign = if r[(j, j)] < 0.0 { -1.0 } else { 1.0 };
        q[(i, j)] * sign
    };
    Array2::from_shape_fn(
        (m, n),
        |(i, j)| if tall { fixed(i, j) } else { fixed(j, i) },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};

    /// Orthogonal draws: a square layer's WᵀW = σ²·I exactly; a wide one (2 → 16) has
    /// orthonormal rows × σ·√8; a tall one (16 → 1) a unit column × σ.
    #[test]
    fn orthogonal_draws_have_the_stated_singular_values() {
        let init = Init {
            weight_scale: 1.5,
            bias_scale: 0.0,
            draw: WeightDraw::Orthogonal,
        };
        let rng = &mut stream_rng(3, Stream::Init);
        let square: ParamGroup<f64> = init.draw(16, 16, rng);
        let gram = square.w.t().dot(&square.w);
        for ((i, j), v) in gram.indexed_iter() {
            let want = if i == j { 2.25 } else { 0.0 };
            assert!((v - want).abs() < 1e-12, "({i}, {j}): {v}");
        }
        let wide: ParamGroup<f64> = init.draw(2, 16, rng);
        let rows = wide.w.dot(&wide.w.t());
        assert!((rows[[0, 0]] - 2.25 * 8.0).abs() < 1e-10 && rows[[0, 1]].abs() < 1e-10);
        let tall: ParamGroup<f64> = init.draw(16, 1, rng);
        assert!((tall.w.iter().map(|v| v * v).sum::<f64>() - 2.25).abs() < 1e-12);
    }

    /// Sample variance of W over a 400×400 draw ≈ σ²/fan_in (160 000 samples: relative
    /// standard error √(2/160000) ≈ 0.35%, so 3% is a wide margin).
    #[test]
    fn weight_variance_is_sigma_squared_over_fan_in() {
        let init = Init {
            weight_scale: 2.5,
            bias_scale: 0.0,
            draw: WeightDraw::Gaussian,
        };
        let p: ParamGroup<f64> = init.draw(400, 400, &mut stream_rng(7, Stream::Init));
        let var = p.w.iter().map(|v| v * v).sum::<f64>() / p.w.len() as f64;
        let expected = 2.5f64.powi(2) / 400.0;
        assert!((var / expected - 1.0).abs() < 0.03, "{var} vs {expected}");
        assert!(p.b.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn presets() {
        assert_eq!(InitPreset::Lecun.weight_scale(), 1.0);
        assert_eq!(InitPreset::He.weight_scale(), 2f64.sqrt());
    }
}
