//! Backprop against central finite differences, in f64, through the engine's own code.
//!
//! For every parameter θ: `∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h` with h = 1e-5. The truncation
//! error is O(h²·L‴) ≈ 1e-10 and the rounding error ≈ 1e-16·L / h ≈ 1e-11, so backprop must agree
//! to `1e-6·|g| + 1e-9`. The reference numbers are made here, by re-evaluating the loss; nothing
//! is hard-coded.
//!
//! Also runs in headless Chromium, in each build of the engine (`make web`): the f32 products
//! there go through the wasm kernel (`engine::gemm`), plain or relaxed-SIMD.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use gradlab_engine::activation::Activation;
use gradlab_engine::data::{Dataset, DatasetKind};
use gradlab_engine::init::Init;
use gradlab_engine::loss::Penalty;
use gradlab_engine::mlp::{Architecture, Mlp, MlpShape};
use gradlab_engine::network::Network;
use gradlab_engine::rng::{stream_rng, Stream};
use ndarray::Array2;

const H: f64 = 1e-5;

fn batch(seed: u64, size: usize) -> (Array2<f64>, Array2<f64>) {
    let data = Dataset::generate(DatasetKind::Spiral, &mut stream_rng(seed, Stream::Data));
    let (x, y) = data.sample_batch(size, &mut stream_rng(seed, Stream::Batches));
    (x.mapv(f64::from), y.mapv(f64::from))
}

fn check(activation: Activation, depth: usize, penalty: Penalty) {
    check_wired(activation, depth, penalty, Architecture::default());
}

fn check_wired(activation: Activation, depth: usize, penalty: Penalty, architecture: Architecture) {
    let seed = 11 + depth as u64;
    let shape = MlpShape {
        input_dim: 2,
        depth,
        width: 5,
        output_dim: 1,
    };
    // Non-zero biases so every term of the gradient is exercised.
    let init = Init {
        weight_scale: 1.3,
        bias_scale: 0.3,
        ..Init::default()
    };
    let mut net: Mlp<f64> = Mlp::with_architecture(
        shape,
        activation,
        init,
        architecture,
        &mut stream_rng(seed, Stream::Init),
    );
    // LayerNorm starts at γ = 1, β = 0; move them off it so every term of ∂γ, ∂β and ∂z counts.
    for (i, group) in net.layers.iter_mut().enumerate().skip(depth + 1) {
        for (k, v) in group.b.iter_mut().enumerate() {
            *v += 0.1 * ((i * 7 + k * 3) % 5) as f64 - 0.2;
        }
    }
    let (x, y) = batch(seed, 7);
    let loss_of = |net: &Mlp<f64>| net.backprop(x.view(), y.view(), &penalty).loss;
    let analytic = net.backprop(x.view(), y.view(), &penalty).grads;

    let mut checked = 0;
    for (l, exact_group) in analytic.iter().enumerate() {
        let w_count = exact_group.w.len();
        for (k, &exact) in exact_group.iter().enumerate() {
            let nudged = |delta: f64| {
                let mut copy = net.clone();
                let group = &mut copy.layers[l];
                if k < w_count {
                    let cols = group.w.ncols();
                    group.w[[k / cols, k % cols]] += delta;
                } else {
                    group.b[k - w_count] += delta;
                }
                loss_of(&copy)
            };
            let numeric = (nudged(H) - nudged(-H)) / (2.0 * H);
            let tolerance = 1e-6 * exact.abs().max(numeric.abs()) + 1e-9;
            assert!(
                (numeric - exact).abs() <= tolerance,
                "{activation:?} depth {depth} {penalty:?} {architecture:?}: group {l} param {k}: \
                 backprop {exact:e} vs finite difference {numeric:e}"
            );
            checked += 1;
        }
    }
    assert!(checked > 20);
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn backprop_matches_finite_differences_for_every_activation_and_depth() {
    for activation in Activation::ALL {
        for depth in [1, 3, 8] {
            check(activation, depth, Penalty::default());
        }
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn backprop_matches_finite_differences_with_l2() {
    for activation in Activation::ALL {
        for depth in [1, 3, 8] {
            check(activation, depth, Penalty { l1: 0.0, l2: 0.05 });
        }
    }
}

/// L1's gradient λ₁·sign(W) is exact away from W = 0, which random weights never hit.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn backprop_matches_finite_differences_with_l1_and_l2() {
    for activation in Activation::ALL {
        check(activation, 3, Penalty { l1: 0.01, l2: 0.05 });
    }
}

/// Residual connections, LayerNorm (its γ and β included) and both together, every activation,
/// with and without L2 (which acts on the weight layers only).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn backprop_matches_finite_differences_with_residual_and_layer_norm() {
    for (residual, layer_norm) in [(true, false), (false, true), (true, true)] {
        let architecture = Architecture {
            residual,
            layer_norm,
        };
        for activation in Activation::ALL {
            for depth in [1, 2, 5] {
                check_wired(activation, depth, Penalty::default(), architecture);
            }
            check_wired(activation, 3, Penalty { l1: 0.0, l2: 0.05 }, architecture);
        }
    }
}
