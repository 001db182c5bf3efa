//! Hidden-layer activations φ and their slopes φ′.
//!
//! The output layer is always linear; one activation serves every hidden layer.

use super::scalar::Scalar;
use ndarray::{ArrayBase, Data, DataMut, Ix2, Zip};
use serde::{Deserialize, Serialize};

/// The nonlinearity applied after each hidden layer's affine map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// φ(z) = z.
    Linear,
    /// φ(z) = tanh z.
    Tanh,
    /// φ(z) = max(0, z); φ′(0) is taken as 0, as PyTorch does.
    Relu,
    /// φ(z) = 1 / (1 + e^(−z)).
    Sigmoid,
}

impl Activation {
    /// Every activation, in the order controls list them.
    pub const ALL: [Activation; 4] = [Self::Linear, Self::Tanh, Self::Relu, Self::Sigmoid];
    /// The names accepted by [`Activation::from_name`].
    pub const NAMES: &'static [&'static str] = &["linear", "tanh", "relu", "sigmoid"];

    /// The lowercase name used in URLs, flags and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Tanh => "tanh",
            Self::Relu => "relu",
            Self::Sigmoid => "sigmoid",
        }
    }

    /// Parses a name from [`Activation::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// φ(z).
    #[inline]
    pub fn apply<S: Scalar>(self, z: S) -> S {
        match self {
            Self::Linear => z,
            Self::Tanh => z.tanh_fast(),
            // Written so NaN stays NaN, as in PyTorch (`max` would turn it into 0).
            Self::Relu => {
                if z <= S::zero() {
                    S::zero()
                } else {
                    z
                }
            }
            // For very negative z, e^(−z) overflows to +Inf and 1/Inf = 0: no NaN.
            Self::Sigmoid => S::one() / (S::one() + (-z).exp()),
        }
    }

    /// φ′(z), written in terms of the output `a = φ(z)`, which the forward pass already
    /// stored: no second tanh or exp, and no need to keep z (ReLU: a > 0 exactly when z > 0).
    #[inline]
    pub fn slope<S: Scalar>(self, a: S) -> S {
        match self {
            Self::Linear => S::one(),
            Self::Tanh => S::one() - a * a,
            Self::Relu => {
                if a > S::zero() {
                    S::one()
                } else {
                    S::zero()
                }
            }
            Self::Sigmoid => a * (S::one() - a),
        }
    }

    /// Applies φ to every element of `z` in place. The match sits outside the loop so each arm
    /// is a plain loop the compiler can vectorise.
    pub fn apply_inplace<S: Scalar, D: DataMut<Elem = S>>(self, z: &mut ArrayBase<D, Ix2>) {
        match self {
            Self::Linear => {}
            Self::Tanh => z.mapv_inplace(|v| Self::Tanh.apply(v)),
            Self::Relu => z.mapv_inplace(|v| Self::Relu.apply(v)),
            Self::Sigmoid => z.mapv_inplace(|v| Self::Sigmoid.apply(v)),
        }
    }

    /// `delta ⊙= φ′`, with φ′ read off the layer's outputs `a = φ(z)`; one loop per arm.
    pub fn scale_by_slope<S: Scalar, D: DataMut<Elem = S>, A: Data<Elem = S>>(
        self,
        delta: &mut ArrayBase<D, Ix2>,
        a: &ArrayBase<A, Ix2>,
    ) {
        let mut scale = |slope: fn(S) -> S| {
            Zip::from(&mut *delta)
                .and(a)
                .for_each(|d, &a| *d *= slope(a))
        };
        match self {
            Self::Linear => {}
            Self::Tanh => scale(|a| Self::Tanh.slope(a)),
            Self::Relu => scale(|a| Self::Relu.slope(a)),
            Self::Sigmoid => scale(|a| Self::Sigmoid.slope(a)),
        }
    }

    /// The weight scale σ at the edge of chaos with zero bias (THEORY.md), where the
    /// back-propagated error neither grows nor shrinks on average: χ₁ = σ²·E[φ′(z)²] = 1.
    ///
    /// Linear and tanh: σ = 1; ReLU: σ = √2 (He). Sigmoid has no zero fixed point
    /// (φ(0) = ½), so there is no closed form: `None`.
    pub fn critical_weight_scale(self) -> Option<f64> {
        match self {
            Self::Linear | Self::Tanh => Some(1.0),
            Self::Relu => Some(std::f64::consts::SQRT_2),
            Self::Sigmoid => None,
        }
    }

    /// 1/γ, where γ bounds |φ′| (1 for linear, tanh and ReLU; ¼ for sigmoid): Pascanu et al.'s
    /// line for the recurrent matrix. λ₁(W_h) < 1/γ is sufficient for the error to vanish
    /// through time, λ₁ > 1/γ necessary for it to explode. For an orthogonal or identity W_h
    /// scaled by g, λ₁ = g, so this is also the recurrent scale's critical value.
    pub fn recurrent_bound(self) -> f64 {
        match self {
            Self::Sigmoid => 4.0,
            Self::Linear | Self::Tanh | Self::Relu => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Activation::ALL {
            assert_eq!(Activation::from_name(a.name()), Some(a));
        }
        assert_eq!(Activation::from_name(" TanH "), Some(Activation::Tanh));
        assert_eq!(Activation::from_name("gelu"), None);
    }

    /// The in-place forms agree with the scalar ones element for element.
    #[test]
    fn in_place_forms_match_scalar_forms() {
        let z = ndarray::array![[-2.0f32, -0.5, 0.0], [0.3, 1.7, 9.0]];
        for act in Activation::ALL {
            let mut out = z.clone();
            act.apply_inplace(&mut out);
            assert_eq!(out, z.mapv(|v| act.apply(v)));
            let mut delta = ndarray::Array2::<f32>::ones((2, 3));
            act.scale_by_slope(&mut delta, &out);
            assert_eq!(delta, out.mapv(|a| act.slope(a)));
        }
    }

    /// φ′ against a central difference (φ(z+h) − φ(z−h)) / 2h in f64, away from ReLU's kink.
    #[test]
    fn slopes_match_central_differences() {
        let h = 1e-6;
        for a in Activation::ALL {
            for z in [-3.1, -0.7, 0.2, 1.3, 4.0f64] {
                let numeric = (a.apply(z + h) - a.apply(z - h)) / (2.0 * h);
                let analytic = a.slope(a.apply(z));
                assert!((numeric - analytic).abs() < 1e-8, "{a:?} at {z}");
            }
        }
    }

    #[test]
    fn nan_stays_nan() {
        for a in Activation::ALL {
            assert!(a.apply(f32::NAN).is_nan(), "{a:?}");
        }
    }

    #[test]
    fn sigmoid_saturates_without_nan_in_f32() {
        let s = Activation::Sigmoid;
        assert_eq!(s.apply(-1000.0f32), 0.0);
        assert_eq!(s.apply(1000.0f32), 1.0);
    }
}
