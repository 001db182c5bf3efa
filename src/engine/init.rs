//! Weight initialisation: `W_ij ~ N(0, σ² / fan_in)`, `b_j ~ N(0, σ_b²)`.
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

/// Scales of the initial weights and biases.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Init {
    /// σ: each weight has standard deviation σ / √fan_in.
    pub weight_scale: f64,
    /// σ_b: each bias has standard deviation σ_b (0 means zero biases).
    pub bias_scale: f64,
}

impl Default for Init {
    /// LeCun's σ = 1 with zero biases (the page's defaults).
    fn default() -> Self {
        Self {
            weight_scale: 1.0,
            bias_scale: 0.0,
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
        let w = Array2::from_shape_simple_fn((fan_in, fan_out), || {
            S::of(w_std * rng.sample::<f64, _>(StandardNormal))
        });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{stream_rng, Stream};

    /// Sample variance of W over a 400×400 draw ≈ σ²/fan_in (160 000 samples: relative
    /// standard error √(2/160000) ≈ 0.35%, so 3% is a wide margin).
    #[test]
    fn weight_variance_is_sigma_squared_over_fan_in() {
        let init = Init {
            weight_scale: 2.5,
            bias_scale: 0.0,
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
