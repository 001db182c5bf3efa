//! The RNN's backprop through time against central finite differences, in f64, through the
//! engine's own code — every cell (vanilla, LSTM, GRU), every activation, both readouts, full
//! and truncated BPTT, with and without L1/L2, for a regression task (MSE) and a
//! classification task (cross-entropy).
//!
//! `∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h`, h = 1e-5; agreement to `1e-6·|g| + 1e-9` (see
//! gradient_check.rs for the error budget).
//!
//! Truncated BPTT is not the gradient of the loss, so it is checked against the gradient of the
//! loss it *is* exact for: each block of k steps restarts from the hidden state the unperturbed
//! network reached (the state is "detached" at block boundaries), and only the perturbed copy's
//! parameters act inside the block. That loss is written out below independently of the engine's
//! forward pass for the vanilla cell (a gated cell's steps use the engine's `Cell::step`, whose
//! forward values the NumPy reference checks); at k = 0 it is the plain loss.
//!
//! Also runs in headless Chromium, in each build of the engine (`make web`): the f32 products
//! there go through the wasm kernel (`engine::gemm`), plain or relaxed-SIMD.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use gradlab_engine::activation::Activation;
use gradlab_engine::cell::Cell;
use gradlab_engine::loss::{LossKind, Penalty};
use gradlab_engine::network::Network;
use gradlab_engine::rng::{stream_rng, Stream};
use gradlab_engine::rnn::{Readout, RecurrentInit, Rnn, RnnInit, RnnShape};
use gradlab_engine::sequence::{SeriesShape, Task};
use ndarray::{s, Array2, Axis};

const H: f64 = 1e-5;

/// The loss with the hidden state detached at block boundaries (blocks of `k` counted back
/// from the last step; k = 0: one block), written with plain loops over steps.
fn detached_loss(
    net: &Rnn<f64>,
    anchor: &Rnn<f64>,
    x: &Array2<f64>,
    y: &Array2<f64>,
    penalty: &Penalty,
) -> f64 {
    let steps = net.shape.steps;
    let n = x.nrows() / steps;
    let anchor_pass = anchor.forward(x.view());
    let (anchored, anchored_cells) = (anchor_pass.states, anchor_pass.cells);
    let k = if net.truncation == 0 {
        steps
    } else {
        net.truncation.min(steps)
    };
    let (w_x, w_h, b) = (&net.groups[0].w, &net.groups[1].w, &net.groups[2].b);
    let lstm = net.cell.has_cell_state();
    let mut states = Array2::<f64>::zeros(((steps + 1) * n, net.shape.hidden));
    let mut cells =
        Array2::<f64>::zeros((if lstm { (steps + 1) * n } else { 0 }, net.shape.hidden));
    for t in 1..=steps {
        // Step t starts a block when (T − t + 1) is a multiple of k, counting from the end.
        let block_start = (steps + 1 - t).is_multiple_of(k) || t == 1;
        let rows = s![(t - 1) * n..t * n, ..];
        let (previous, previous_cell) = if block_start && t > 1 {
            (
                anchored.slice(rows).to_owned(),
                anchored_cells
                    .slice(if lstm { rows } else { s![0..0, ..] })
                    .to_owned(),
            )
        } else {
            (
                states.slice(rows).to_owned(),
                cells
                    .slice(if lstm { rows } else { s![0..0, ..] })
                    .to_owned(),
            )
        };
        let mut z = x.slice(s![(t - 1) * n..t * n, ..]).dot(w_x);
        z += b;
        let h = if net.cell == Cell::Vanilla {
            z += &previous.dot(w_h);
            z.mapv_inplace(|v| net.activation.apply(v));
            z
        } else {
            let step = net.cell.step(
                net.activation,
                w_h,
                z,
                previous.view(),
                previous_cell.view(),
            );
            if lstm {
                cells.slice_mut(s![t * n..(t + 1) * n, ..]).assign(&step.c);
            }
            step.h
        };
        states.slice_mut(s![t * n..(t + 1) * n, ..]).assign(&h);
    }
    let read = match net.readout {
        Readout::Last => states.slice(s![steps * n.., ..]).to_owned(),
        Readout::All => states.slice(s![n.., ..]).to_owned(),
    };
    let output = read.dot(&net.groups[3].w) + &net.groups[4].b;
    net.loss.eval(output.view(), y.view()).0 + penalty.value(&net.groups)
}

struct Case {
    cell: Cell,
    activation: Activation,
    readout: Readout,
    truncation: usize,
    penalty: Penalty,
    task: Task,
}

fn check(case: &Case) {
    let shape = RnnShape {
        input_dim: case.task.input_dim(),
        hidden: 4,
        output_dim: case.task.output_dim(),
        steps: 7,
    };
    let init = RnnInit {
        input_scale: 1.0,
        recurrent: RecurrentInit::Gaussian,
        recurrent_scale: 1.2,
    };
    let mut rng = stream_rng(5, Stream::Init);
    let mut groups = init.draw::<f64, _>(shape, case.cell, &mut rng);
    // Non-zero biases so every term of the gradient is exercised.
    groups[2].b.mapv_inplace(|_| 0.1);
    groups[4].b.mapv_inplace(|_| -0.2);
    let net = Rnn {
        groups,
        shape,
        cell: case.cell,
        activation: case.activation,
        readout: case.readout,
        loss: case.task.loss(),
        truncation: case.truncation,
    };
    let mut batches = stream_rng(6, Stream::Batches);
    let series = SeriesShape::draw(&mut batches);
    let (x, y) = case
        .task
        .batch(&series, shape.steps, 3, case.readout, &mut batches);
    let (x, y) = (x.mapv(f64::from), y.mapv(f64::from));
    let backprop = net.backprop(x.view(), y.view(), &case.penalty);
    // At the unperturbed point the detached loss is the loss.
    let loss = detached_loss(&net, &net, &x, &y, &case.penalty);
    assert!(
        (loss - backprop.loss).abs() < 1e-12,
        "{loss} vs {}",
        backprop.loss
    );
    assert_eq!(backprop.delta_norms.len(), shape.steps);

    let mut checked = 0;
    for (g, exact_group) in backprop.grads.iter().enumerate() {
        let w_count = exact_group.w.len();
        for (i, &exact) in exact_group.iter().enumerate() {
            let nudged = |delta: f64| {
                let mut copy = net.clone();
                let group = &mut copy.groups[g];
                if i < w_count {
                    let cols = group.w.ncols();
                    group.w[[i / cols, i % cols]] += delta;
                } else {
                    group.b[i - w_count] += delta;
                }
                detached_loss(&copy, &net, &x, &y, &case.penalty)
            };
            let numeric = (nudged(H) - nudged(-H)) / (2.0 * H);
            let tolerance = 1e-6 * exact.abs().max(numeric.abs()) + 1e-9;
            assert!(
                (numeric - exact).abs() <= tolerance,
                "{:?} {:?} {:?} k={} {:?} {:?}: group {g} param {i}: backprop {exact:e} vs \
                 finite difference {numeric:e}",
                case.cell,
                case.activation,
                case.readout,
                case.truncation,
                case.penalty,
                case.task
            );
            checked += 1;
        }
    }
    assert!(checked >= 29, "{checked}");
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn bptt_matches_finite_differences() {
    for activation in Activation::ALL {
        for readout in Readout::ALL {
            for truncation in [0, 3, 1] {
                for task in [Task::Adding, Task::Copy] {
                    check(&Case {
                        cell: Cell::Vanilla,
                        activation,
                        readout,
                        truncation,
                        penalty: Penalty::default(),
                        task,
                    });
                }
            }
        }
    }
}

/// The LSTM (its forget-gate bias at 1, so the cell state carries) and the GRU, through every
/// gate, for every activation φ of the candidate and the cell output.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn gated_cells_match_finite_differences() {
    for cell in [Cell::Lstm, Cell::Gru] {
        for activation in Activation::ALL {
            for readout in Readout::ALL {
                for truncation in [0, 3] {
                    for task in [Task::Adding, Task::Copy] {
                        check(&Case {
                            cell,
                            activation,
                            readout,
                            truncation,
                            penalty: Penalty::default(),
                            task,
                        });
                    }
                }
            }
        }
    }
}

/// L1's gradient λ₁·sign(W) is exact away from W = 0, which random weights never hit.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn bptt_matches_finite_differences_with_l1_and_l2() {
    for activation in Activation::ALL {
        for truncation in [0, 3] {
            for penalty in [
                Penalty { l1: 0.0, l2: 0.05 },
                Penalty { l1: 0.01, l2: 0.05 },
            ] {
                for cell in Cell::ALL {
                    check(&Case {
                        cell,
                        activation,
                        readout: Readout::All,
                        truncation,
                        penalty,
                        task: Task::Series,
                    });
                }
            }
        }
    }
}

/// THEORY.md's exact case: a linear RNN whose W_h is orthogonal × g, read out from the last
/// state, has ‖∂L/∂h_t‖ = g^{T−t}·‖∂L/∂h_T‖ — growth by exactly g per step back in time.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn linear_orthogonal_rnn_grows_by_exactly_g_per_step() {
    for g in [0.8, 1.0, 1.25] {
        let shape = RnnShape {
            input_dim: 2,
            hidden: 16,
            output_dim: 1,
            steps: 30,
        };
        let init = RnnInit {
            input_scale: 1.0,
            recurrent: RecurrentInit::Orthogonal,
            recurrent_scale: g,
        };
        let net = Rnn {
            groups: init.draw::<f64, _>(shape, Cell::Vanilla, &mut stream_rng(9, Stream::Init)),
            shape,
            cell: Cell::Vanilla,
            activation: Activation::Linear,
            readout: Readout::Last,
            loss: LossKind::Mse,
            truncation: 0,
        };
        let mut batches = stream_rng(9, Stream::Batches);
        let series = SeriesShape::draw(&mut batches);
        let (x, y) = Task::Adding.batch(&series, shape.steps, 8, Readout::Last, &mut batches);
        let norms = net
            .backprop(
                x.mapv(f64::from).view(),
                y.mapv(f64::from).view(),
                &Penalty::default(),
            )
            .delta_norms;
        let last = norms[shape.steps - 1];
        for (t, &norm) in norms.iter().enumerate() {
            let expected = last * g.powi((shape.steps - 1 - t) as i32);
            assert!(
                (norm - expected).abs() <= 1e-9 * expected,
                "g = {g}, step {}: {norm} vs {expected}",
                t + 1
            );
        }
    }
}

/// The f32 network the trainer runs computes what the f64 one does, to f32 precision, for
/// every cell.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn f32_matches_f64() {
    let shape = RnnShape {
        input_dim: 2,
        hidden: 8,
        output_dim: 1,
        steps: 20,
    };
    let init = RnnInit {
        input_scale: 1.0,
        recurrent: RecurrentInit::Gaussian,
        recurrent_scale: 0.9,
    };
    for cell in Cell::ALL {
        let net32 = Rnn {
            groups: init.draw::<f32, _>(shape, cell, &mut stream_rng(1, Stream::Init)),
            shape,
            cell,
            activation: Activation::Tanh,
            readout: Readout::Last,
            loss: LossKind::Mse,
            truncation: 0,
        };
        let net64 = net32.cast::<f64>();
        let mut batches = stream_rng(1, Stream::Batches);
        let series = SeriesShape::draw(&mut batches);
        let (x, y) = Task::Adding.batch(&series, shape.steps, 4, Readout::Last, &mut batches);
        let a = net32.backprop(x.view(), y.view(), &Penalty::default());
        let b = net64.backprop(
            x.mapv(f64::from).view(),
            y.mapv(f64::from).view(),
            &Penalty::default(),
        );
        for (ga, gb) in a.grads.iter().zip(&b.grads) {
            let diff = (&ga.cast::<f64>().w - &gb.w)
                .map(|v| v.abs())
                .sum_axis(Axis(0))
                .sum();
            assert!(
                diff <= 1e-4 * (1.0 + gb.w.map(|v| v.abs()).sum()),
                "{cell:?}: {diff}"
            );
        }
    }
}

/// Backward clipping with a threshold no error reaches is the true gradient, for every cell;
/// and the LSTM's ‖∂L/∂c_t‖ is reported for each step (empty for the other cells).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn gated_cells_report_their_profiles_and_clip_errors_only_when_reached() {
    let shape = RnnShape {
        input_dim: 2,
        hidden: 6,
        output_dim: 1,
        steps: 9,
    };
    let init = RnnInit {
        input_scale: 1.0,
        recurrent: RecurrentInit::Orthogonal,
        recurrent_scale: 1.0,
    };
    for cell in Cell::ALL {
        let net = Rnn {
            groups: init.draw::<f64, _>(shape, cell, &mut stream_rng(3, Stream::Init)),
            shape,
            cell,
            activation: Activation::Tanh,
            readout: Readout::Last,
            loss: LossKind::Mse,
            truncation: 0,
        };
        let mut batches = stream_rng(3, Stream::Batches);
        let series = SeriesShape::draw(&mut batches);
        let (x, y) = Task::Adding.batch(&series, shape.steps, 4, Readout::Last, &mut batches);
        let (x, y) = (x.mapv(f64::from), y.mapv(f64::from));
        let exact = net.backprop(x.view(), y.view(), &Penalty::default());
        let roomy =
            net.backprop_clipping_errors(x.view(), y.view(), &Penalty::default(), Some(1e6));
        assert_eq!(exact.grads, roomy.grads, "{cell:?}");
        let tight =
            net.backprop_clipping_errors(x.view(), y.view(), &Penalty::default(), Some(1e-4));
        assert_ne!(exact.grads, tight.grads, "{cell:?}");
        assert_eq!(exact.delta_norms.len(), shape.steps);
        let expected = if cell == Cell::Lstm { shape.steps } else { 0 };
        assert_eq!(exact.cell_norms.len(), expected, "{cell:?}");
        assert!(exact.cell_norms.iter().all(|&c| c > 0.0 && c.is_finite()));
    }
}
