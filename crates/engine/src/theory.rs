//! Mean-field theory of signal propagation (THEORY.md; Poole et al. 2016, Schoenholz et al.
//! 2017): what the measured gradients should do, drawn over them as a check.
//!
//! With `W ~ N(0, σ²/fan_in)`, `b ~ N(0, σ_b²)`, the pre-activation variance of a wide net
//! settles at the fixed point `q* = σ²·E[φ(√q*·z)²] + σ_b²`, `z ~ N(0, 1)`, and the
//! back-propagated error changes by `χ₁ = σ²·E[φ′(√q*·z)²]` in squared norm per layer:
//! `E‖δ_l‖² ≈ χ₁^{L−l}·E‖δ_L‖²`. χ₁ < 1: ordered (vanishing); χ₁ > 1: chaotic (exploding);
//! depth scale `ξ = −1/ln χ₁`.
//!
//! Closed forms for linear (χ₁ = σ²) and ReLU (χ₁ = σ²/2); Gauss–Hermite quadrature for tanh and
//! sigmoid.

use super::activation::Activation;
use std::f64::consts::PI;
use std::sync::LazyLock;

/// Quadrature nodes: exact for polynomials up to degree 2·N−1; ample for these smooth integrands.
const NODES: usize = 80;

/// Where a network sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// χ₁ < 1: the error shrinks toward the input.
    Vanishing,
    /// χ₁ ≈ 1: the edge of chaos.
    Critical,
    /// χ₁ > 1: the error grows toward the input.
    Exploding,
}

impl Phase {
    /// The word the page shows.
    pub fn name(self) -> &'static str {
        match self {
            Self::Vanishing => "vanishing",
            Self::Critical => "critical",
            Self::Exploding => "exploding",
        }
    }
}

/// The theory's numbers for one setting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanField {
    /// Fixed point of the pre-activation variance (∞ or 0 where none exists: linear nets).
    pub q_star: f64,
    /// Per-layer growth of E‖δ‖²: χ₁.
    pub chi1: f64,
    /// The stable fixed point c* of the correlation between two inputs' pre-activations: 1 in
    /// the ordered phase, below 1 in the chaotic one (tanh and sigmoid; 1 where the theory has
    /// no finite q*: linear and ReLU nets).
    pub c_star: f64,
    /// The correlation map's slope at c*, χ_{c*} = σ²·E[φ′(u₁)φ′(u₂)] (χ₁ where c* = 1).
    pub chi_c: f64,
}

/// |χ₁ − 1| below this counts as critical (a 1% change in ‖δ‖ per layer).
const CRITICAL_BAND: f64 = 0.02;

impl MeanField {
    /// The fixed point and χ₁ for `activation` at weight scale σ and bias scale σ_b.
    pub fn of(activation: Activation, sigma: f64, sigma_b: f64) -> Self {
        let (s2, b2) = (sigma * sigma, sigma_b * sigma_b);
        match activation {
            // h = z: q grows or shrinks by σ² per layer, no finite fixed point unless σ = 1.
            Activation::Linear => MeanField::ordered(
                if s2 < 1.0 {
                    b2 / (1.0 - s2)
                } else {
                    f64::INFINITY
                },
                s2,
            ),
            // E[relu(√q z)²] = q/2 and φ′ ∈ {0, 1} with probability ½ each, whatever q.
            Activation::Relu => MeanField::ordered(
                if s2 < 2.0 {
                    b2 / (1.0 - s2 / 2.0)
                } else {
                    f64::INFINITY
                },
                s2 / 2.0,
            ),
            // tanh² ≤ x², so for σ ≤ 1 without bias the variance map contracts to q* = 0 (and
            // the iteration would creep there only sublinearly at σ = 1): χ₁ = σ²·φ′(0)² = σ².
            Activation::Tanh if s2 <= 1.0 && b2 == 0.0 => MeanField::ordered(0.0, s2),
            Activation::Tanh | Activation::Sigmoid => {
                let phi = |x: f64| activation.apply(x);
                let slope = |x: f64| activation.slope(activation.apply(x));
                let q_star = fixed_point(|q| s2 * gauss_expect(|z| phi(q.sqrt() * z).powi(2)) + b2);
                let chi1 = s2 * gauss_expect(|z| slope(q_star.sqrt() * z).powi(2));
                if chi1 <= 1.0 {
                    return MeanField::ordered(q_star, chi1);
                }
                // Chaotic: c = 1 is unstable (slope χ₁ > 1) and the correlation settles below.
                let (c_star, chi_c) = correlation_fixed_point(activation, s2, b2, q_star);
                MeanField {
                    q_star,
                    chi1,
                    c_star,
                    chi_c,
                }
            }
        }
    }

    /// A setting whose correlations converge to c* = 1, where the correlation map's slope is χ₁.
    fn ordered(q_star: f64, chi1: f64) -> Self {
        MeanField {
            q_star,
            chi1,
            c_star: 1.0,
            chi_c: chi1,
        }
    }

    /// Schoenholz et al.'s correlation depth scale ξ_c = −1/ln χ_{c*}: the layers over which two
    /// inputs' correlation settles at c*, beyond which a net cannot tell its inputs apart and
    /// stops training (depth ≲ 6ξ_c). Equal to [`depth_scale`](Self::depth_scale) in the
    /// ordered phase; in the chaotic phase it is χ_{c*} at c* < 1, not χ₁. ∞ at criticality.
    pub fn correlation_depth_scale(&self) -> f64 {
        let ln = self.chi_c.ln();
        if ln == 0.0 {
            f64::INFINITY
        } else {
            (-1.0 / ln).abs()
        }
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        if self.chi1 < 1.0 - CRITICAL_BAND {
            Phase::Vanishing
        } else if self.chi1 > 1.0 + CRITICAL_BAND {
            Phase::Exploding
        } else {
            Phase::Critical
        }
    }

    /// Depth scale ξ = −1/ln χ₁: layers over which ‖δ‖² changes by e (∞ at criticality).
    pub fn depth_scale(&self) -> f64 {
        let ln = self.chi1.ln();
        if ln == 0.0 {
            f64::INFINITY
        } else {
            (-1.0 / ln).abs()
        }
    }

    /// Predicted ‖δ_l‖ for each of `layers` weight layers, anchored at the output layer's
    /// measured `output_norm`: `‖δ_l‖ = ‖δ_L‖·χ₁^{(L−l)/2}`.
    pub fn delta_profile(&self, layers: usize, output_norm: f64) -> Vec<f64> {
        (0..layers)
            .map(|l| output_norm * self.chi1.powf((layers - 1 - l) as f64 / 2.0))
            .collect()
    }
}

/// The chaotic phase's correlation fixed point and the map's slope there. Two inputs whose
/// pre-activations (variance q* each) have correlation c have, a layer on,
/// `c′ = (σ²·E[φ(u₁)φ(u₂)] + σ_b²) / q*` with `u₁ = √q*·z₁`, `u₂ = √q*·(c·z₁ + √(1−c²)·z₂)`.
/// Past χ₁ = 1 the map sits above the diagonal near 0 (or at 0: an odd φ without bias) and
/// below it just under 1, so its stable fixed point c* is the root of `c′ − c` between, found by
/// bisection (a root at 0 when the map never rises above the diagonal). Then
/// `χ_{c*} = σ²·E[φ′(u₁)φ′(u₂)]` at c*.
fn correlation_fixed_point(activation: Activation, s2: f64, b2: f64, q_star: f64) -> (f64, f64) {
    let phi = |x: f64| activation.apply(x);
    let slope = |x: f64| activation.slope(activation.apply(x));
    let q = q_star.sqrt();
    let pair =
        |c: f64, z1: f64, z2: f64| (q * z1, q * (c * z1 + (1.0 - c * c).max(0.0).sqrt() * z2));
    let map = |c: f64| {
        (s2 * gauss_expect_2d(|z1, z2| {
            let (u1, u2) = pair(c, z1, z2);
            phi(u1) * phi(u2)
        }) + b2)
            / q_star
    };
    let gap = |c: f64| map(c) - c;
    let (mut lo, mut hi) = (1e-9, 1.0 - 1e-9);
    let c_star = if gap(lo) <= 0.0 {
        0.0
    } else {
        for _ in 0..48 {
            let mid = 0.5 * (lo + hi);
            if gap(mid) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let chi_c = s2
        * gauss_expect_2d(|z1, z2| {
            let (u1, u2) = pair(c_star, z1, z2);
            slope(u1) * slope(u2)
        });
    (c_star, chi_c)
}

/// E[f(z₁, z₂)] for two independent standard normals, by the product Gauss–Hermite rule; nodes
/// whose weight is below 10⁻¹⁶ of the largest add nothing in f64 and are left out.
pub fn gauss_expect_2d(f: impl Fn(f64, f64) -> f64) -> f64 {
    static RULE: LazyLock<(Vec<f64>, Vec<f64>)> = LazyLock::new(|| {
        let (nodes, weights) = hermite_rule();
        let largest = weights.iter().cloned().fold(0.0, f64::max);
        nodes
            .into_iter()
            .zip(weights)
            .filter(|(_, w)| *w > 1e-16 * largest)
            .map(|(x, w)| (std::f64::consts::SQRT_2 * x, w / PI.sqrt()))
            .unzip()
    });
    let (nodes, weights) = &*RULE;
    let mut sum = 0.0;
    for (&x1, &w1) in nodes.iter().zip(weights) {
        for (&x2, &w2) in nodes.iter().zip(weights) {
            sum += w1 * w2 * f(x1, x2);
        }
    }
    sum
}

/// Iterates `q ← map(q)` from q = 1 to its fixed point (the map contracts everywhere but at the
/// edge of chaos, where 2000 steps still land within 1e-3 of it).
fn fixed_point(map: impl Fn(f64) -> f64) -> f64 {
    let mut q = 1.0;
    for _ in 0..2_000 {
        let next = map(q);
        if (next - q).abs() <= 1e-13 * next.max(1e-300) {
            return next;
        }
        q = next;
    }
    q
}

/// E[f(z)] for z ~ N(0, 1) by Gauss–Hermite quadrature:
/// `E f = (1/√π) Σ w_i f(√2·x_i)` with the physicists' Hermite nodes x_i and weights w_i.
pub fn gauss_expect(f: impl Fn(f64) -> f64) -> f64 {
    static RULE: LazyLock<(Vec<f64>, Vec<f64>)> = LazyLock::new(hermite_rule);
    let (nodes, weights) = &*RULE;
    nodes
        .iter()
        .zip(weights)
        .map(|(&x, &w)| w * f(std::f64::consts::SQRT_2 * x))
        .sum::<f64>()
        / PI.sqrt()
}

/// Nodes and weights of the N-point Gauss–Hermite rule (weight e^{−x²}), by Newton's method on
/// the orthonormal Hermite recurrence (the classic algorithm, e.g. Numerical Recipes' gauher).
fn hermite_rule() -> (Vec<f64>, Vec<f64>) {
    let n = NODES;
    let pim4 = PI.powf(-0.25);
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let mut z = 0.0f64;
    for i in 0..n.div_ceil(2) {
        // Initial guesses for the largest roots, then each from the previous ones.
        z = match i {
            0 => (2.0 * n as f64 + 1.0).sqrt() - 1.85575 * (2.0 * n as f64 + 1.0).powf(-1.0 / 6.0),
            1 => z - 1.14 * (n as f64).powf(0.426) / z,
            2 => 1.86 * z - 0.86 * x[0],
            3 => 1.91 * z - 0.91 * x[1],
            _ => 2.0 * z - x[i - 2],
        };
        let mut derivative = 0.0;
        for _ in 0..100 {
            let (mut p1, mut p2) = (pim4, 0.0);
            for j in 1..=n {
                let p3 = p2;
                p2 = p1;
                p1 = z * (2.0 / j as f64).sqrt() * p2 - ((j as f64 - 1.0) / j as f64).sqrt() * p3;
            }
            derivative = (2.0 * n as f64).sqrt() * p2;
            let step = p1 / derivative;
            z -= step;
            if step.abs() < 1e-15 {
                break;
            }
        }
        x[i] = z;
        x[n - 1 - i] = -z;
        w[i] = 2.0 / (derivative * derivative);
        w[n - 1 - i] = w[i];
    }
    (x, w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};
    use rand::RngExt;
    use rand_distr::StandardNormal;

    /// Gaussian moments: E z² = 1, E z⁴ = 3, E z⁶ = 15, E cos z = e^{−1/2}.
    #[test]
    fn quadrature_reproduces_gaussian_moments() {
        assert!((gauss_expect(|_| 1.0) - 1.0).abs() < 1e-12);
        assert!((gauss_expect(|z| z * z) - 1.0).abs() < 1e-12);
        assert!((gauss_expect(|z| z.powi(4)) - 3.0).abs() < 1e-11);
        assert!((gauss_expect(|z| z.powi(6)) - 15.0).abs() < 1e-9);
        assert!((gauss_expect(f64::cos) - (-0.5f64).exp()).abs() < 1e-12);
    }

    /// Closed forms: linear χ₁ = σ², ReLU χ₁ = σ²/2 (critical at √2), tanh with σ_b = 0 and
    /// σ ≤ 1 has q* = 0, so χ₁ = σ²·φ′(0)² = σ².
    #[test]
    fn closed_forms() {
        for sigma in [0.5, 1.0, 1.7] {
            assert_eq!(
                MeanField::of(Activation::Linear, sigma, 0.0).chi1,
                sigma * sigma
            );
            assert_eq!(
                MeanField::of(Activation::Relu, sigma, 0.0).chi1,
                sigma * sigma / 2.0
            );
        }
        let relu = MeanField::of(Activation::Relu, 2f64.sqrt(), 0.0);
        assert!((relu.chi1 - 1.0).abs() < 1e-12 && relu.phase() == Phase::Critical);
        let tanh = MeanField::of(Activation::Tanh, 0.8, 0.0);
        assert_eq!((tanh.q_star, tanh.chi1), (0.0, 0.8 * 0.8));
        assert_eq!(tanh.phase(), Phase::Vanishing);
        // The same from the iteration itself, with a vanishing bias.
        let iterated = MeanField::of(Activation::Tanh, 0.8, 1e-9);
        assert!(
            iterated.q_star < 1e-6 && (iterated.chi1 - 0.64).abs() < 1e-4,
            "{iterated:?}"
        );
    }

    /// Tanh past σ = 1 is chaotic; with bias variance the critical σ moves above 1 (THEORY.md).
    #[test]
    fn tanh_phases() {
        assert_eq!(
            MeanField::of(Activation::Tanh, 2.5, 0.0).phase(),
            Phase::Exploding
        );
        assert_eq!(
            MeanField::of(Activation::Tanh, 1.0, 0.0).phase(),
            Phase::Critical
        );
        let with_bias = MeanField::of(Activation::Tanh, 1.0, 0.3);
        assert_eq!(with_bias.phase(), Phase::Vanishing, "{with_bias:?}");
        // Find σ* with χ₁ = 1 at σ_b = 0.3 by bisection: it is above 1.
        let (mut lo, mut hi) = (1.0, 3.0);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if MeanField::of(Activation::Tanh, mid, 0.3).chi1 < 1.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        assert!(lo > 1.05, "critical σ with bias {lo}");
    }

    /// χ₁ against a Monte-Carlo estimate at the same fixed point (10⁶ samples: standard error
    /// ≈ 0.1%, so 1% is a wide margin). The reference numbers are made here, by sampling.
    #[test]
    fn chi1_matches_monte_carlo() {
        let mut rng = stream_rng(5, Stream::Data);
        let samples: Vec<f64> = (0..1_000_000).map(|_| rng.sample(StandardNormal)).collect();
        for (activation, sigma, sigma_b) in [
            (Activation::Tanh, 1.5, 0.0),
            (Activation::Tanh, 2.5, 0.2),
            (Activation::Sigmoid, 3.0, 0.0),
            (Activation::Sigmoid, 5.0, 0.5),
        ] {
            let mf = MeanField::of(activation, sigma, sigma_b);
            let root = mf.q_star.sqrt();
            let mean = |f: &dyn Fn(f64) -> f64| {
                samples.iter().map(|&z| f(root * z)).sum::<f64>() / samples.len() as f64
            };
            let slope_sq = mean(&|x| activation.slope(activation.apply(x)).powi(2));
            let chi1_mc = sigma * sigma * slope_sq;
            assert!(
                (chi1_mc / mf.chi1 - 1.0).abs() < 0.01,
                "{activation:?} σ={sigma}: {chi1_mc} vs {}",
                mf.chi1
            );
            // q* really is a fixed point of the sampled map.
            let q_mc = sigma * sigma * mean(&|x| activation.apply(x).powi(2)) + sigma_b * sigma_b;
            assert!((q_mc / mf.q_star - 1.0).abs() < 0.01);
        }
    }

    /// The chaotic phase's correlation fixed point c*, found by bisection, against two other
    /// solutions: iterating the correlation map from c = 0.5 (it converges, c* being stable),
    /// and a Monte-Carlo estimate of the map at c* (10⁶ pairs: it returns c*). Reference numbers
    /// made here, by those two methods.
    #[test]
    fn the_correlation_fixed_point_is_one() {
        let mut rng = stream_rng(6, Stream::Data);
        let pairs: Vec<(f64, f64)> = (0..1_000_000)
            .map(|_| (rng.sample(StandardNormal), rng.sample(StandardNormal)))
            .collect();
        for (activation, sigma, sigma_b) in [
            (Activation::Tanh, 2.5, 0.3),
            (Activation::Tanh, 1.5, 0.05),
            (Activation::Tanh, 3.0, 0.0),
        ] {
            let mf = MeanField::of(activation, sigma, sigma_b);
            assert!(mf.chi1 > 1.0, "{activation:?} σ {sigma}: chaotic");
            let (s2, b2, q) = (sigma * sigma, sigma_b * sigma_b, mf.q_star.sqrt());
            let pre = |c: f64, z1: f64, z2: f64| (q * z1, q * (c * z1 + (1.0 - c * c).sqrt() * z2));
            let map = |c: f64| {
                (s2 * gauss_expect_2d(|z1, z2| {
                    let (u1, u2) = pre(c, z1, z2);
                    activation.apply(u1) * activation.apply(u2)
                }) + b2)
                    / mf.q_star
            };
            let mut c = 0.5;
            for _ in 0..3000 {
                c = map(c);
            }
            assert!(
                (c - mf.c_star).abs() < 1e-6,
                "{activation:?} σ {sigma}: iterated {c}, bisected {}",
                mf.c_star
            );
            assert!(
                mf.c_star < 1.0 && mf.chi_c < 1.0,
                "{mf:?}: a stable c* below 1"
            );
            let sampled = (s2
                * pairs
                    .iter()
                    .map(|&(z1, z2)| {
                        let (u1, u2) = pre(mf.c_star, z1, z2);
                        activation.apply(u1) * activation.apply(u2)
                    })
                    .sum::<f64>()
                / pairs.len() as f64
                + b2)
                / mf.q_star;
            assert!(
                (sampled - mf.c_star).abs() < 0.01,
                "{sampled} vs {}",
                mf.c_star
            );
            // ξ_c is finite where ξ_∇ = 1/|ln χ₁| is what the map used to draw.
            assert!(mf.correlation_depth_scale().is_finite());
            assert_ne!(mf.correlation_depth_scale(), mf.depth_scale());
        }
        // Ordered: c* = 1 and the two depth scales agree.
        let ordered = MeanField::of(Activation::Tanh, 0.8, 0.1);
        assert_eq!((ordered.c_star, ordered.chi_c), (1.0, ordered.chi1));
        assert_eq!(ordered.correlation_depth_scale(), ordered.depth_scale());
    }

    #[test]
    fn profile_is_anchored_at_the_output_and_grows_by_sqrt_chi1() {
        let mf = MeanField::of(Activation::Linear, 2.0, 0.0);
        let p = mf.delta_profile(4, 0.5);
        assert_eq!(p, vec![4.0, 2.0, 1.0, 0.5]);
        assert_eq!(mf.depth_scale(), 1.0 / 4f64.ln());
        assert_eq!(
            MeanField::of(Activation::Linear, 1.0, 0.0).depth_scale(),
            f64::INFINITY
        );
    }
}
