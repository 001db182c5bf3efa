//! What a configuration costs in memory, estimated before anything is allocated, so that one
//! that cannot fit is refused by the checker like any bad value (a shared link must never
//! crash the worker).
//!
//! Counted in f32 elements, from the shapes the engine allocates (`mlp.rs`, `rnn.rs`,
//! `cell.rs`, `optim.rs`), at the peak of a step:
//! - the parameters P, their gradients P, and the optimizer's state (0 for SGD, P for momentum,
//!   Nesterov and RMSProp, 2P for Adam and AdamW); backward clipping also computes the true
//!   gradient beside the clipped one (another P);
//! - an MLP's forward pass: every layer's output `[n, w]`, with residual connections each
//!   layer's activation too, with LayerNorm each layer's normalised pre-activation; and the
//!   backward pass's working arrays (a few `[n, w]` and one `[w, w]`);
//! - an RNN's: the projected inputs and the deltas `[T·n, G·H]`, the states `[(T+1)·n, H]`, a
//!   gated cell's gates `[T·n, G·H]` and an LSTM's cell states `[(T+1)·n, H]`, the readout's
//!   outputs and their error `[T·n or n, k + H]`, and a transposed copy of `W_h`;
//! - the batch itself, the data set, and the step log the worker keeps per run
//!   ([`RUN_LOG_BYTES`]);
//! - in f16 or bf16, a step's rounded copy of the parameters and of the batch's inputs.
//!
//! Tested against what the allocator actually holds at its peak on a few shapes
//! (`crates/worker/tests/memory.rs`), within 25 %.

use super::clip::ClipMode;
use super::config::TrainConfig;
use super::data::DATASET_SIZE;
use super::model::ModelConfig;
use super::optim::OptimizerKind;
use super::rnn::Readout;

/// The most memory one worker may plan for (bytes): 1 GB. WebAssembly's 32-bit memory ends at
/// 4 GiB, but a page runs the training worker and the map's pool side by side, each worker's
/// memory only grows (a rebuild reuses, never returns, what it had), a phone's browser gives a
/// tab far less, and growing a large memory needs room to copy it — a quarter of the address
/// space leaves all of that its margin.
pub const MEMORY_BUDGET_BYTES: u64 = 1_000_000_000;

/// The step log the worker keeps beside each run (`gradlab-protocol`'s `RunLog`: 4 M numbers).
pub const RUN_LOG_BYTES: u64 = 16_000_000;

/// Bytes per number: the engine trains in f32.
const F32: u64 = 4;

/// The two parts of a run's memory (bytes): what it keeps between steps (parameters,
/// optimizer state, data, step log) and what a step allocates and frees (gradients, the forward
/// and backward passes' arrays). Runs in compare mode step one after the other, so only one
/// run's step is live at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// Kept between steps.
    pub persistent: u64,
    /// Live during a step only.
    pub transient: u64,
}

/// Estimated peak memory of training one run of `config` (bytes), its step log included.
pub fn estimate_bytes(config: &TrainConfig) -> u64 {
    let e = estimate(config);
    e.persistent + e.transient
}

/// Estimated peak memory of training `configs` side by side in one worker (compare mode).
pub fn estimate_runs_bytes(configs: &[TrainConfig]) -> u64 {
    let parts: Vec<MemoryEstimate> = configs.iter().map(estimate).collect();
    parts.iter().map(|e| e.persistent).sum::<u64>()
        + parts.iter().map(|e| e.transient).max().unwrap_or(0)
}

/// The two parts of one run's memory (see the module docs for what is counted).
pub fn estimate(config: &TrainConfig) -> MemoryEstimate {
    let live = &config.live;
    let n = live.batch as u64;
    let optimizer_copies = match live.optimizer.kind {
        OptimizerKind::Sgd => 0,
        OptimizerKind::Momentum | OptimizerKind::Nesterov | OptimizerKind::RmsProp => 1,
        OptimizerKind::Adam | OptimizerKind::AdamW => 2,
    };
    let gradient_copies = if live.clip.mode == ClipMode::Backward {
        2
    } else {
        1
    };
    // (parameters, data kept, a step's working arrays, the batch's inputs), in f32 elements.
    let (parameters, data, working, inputs) = match &config.net.model {
        ModelConfig::Mlp(m) => {
            let shape = m.shape();
            let (d, w, depth) = (
                shape.input_dim as u64,
                shape.width as u64,
                shape.depth as u64,
            );
            let norm = u64::from(m.architecture.layer_norm);
            let parameters = d * w + w + (depth - 1) * (w * w + w) + w + 1 + 2 * depth * w * norm;
            // Outputs of every layer, plus the residual activation or LayerNorm's n per layer.
            let per_layer = 1 + u64::from(m.architecture.residual) + norm;
            let forward = depth * n * w * per_layer + n;
            let backward = 4 * n * w + w * w;
            let batch = n * (d + 1);
            (
                parameters,
                DATASET_SIZE as u64 * (d + 1),
                forward + backward + batch,
                n * d,
            )
        }
        ModelConfig::Rnn(r) => {
            let shape = r.shape();
            let (d, h, k, t) = (
                shape.input_dim as u64,
                shape.hidden as u64,
                shape.output_dim as u64,
                shape.steps as u64,
            );
            let g = r.cell.gates() as u64;
            let parameters = d * g * h + h * g * h + g * h + h * k + k;
            let gated = u64::from(g > 1);
            let lstm = u64::from(r.cell.has_cell_state());
            let read = match r.readout {
                Readout::All => t * n,
                Readout::Last => n,
            };
            let working = t * n * g * h // the projected inputs, then (backward) the deltas
                + (t + 1) * n * h // states
                + gated * t * n * g * h // gates
                + lstm * (t + 1) * n * h // cell states
                + read * (k + h) // outputs and their error
                + h * g * h // W_h transposed
                + t * n * d + read * k; // the batch
            (parameters, 0, working, t * n * d)
        }
        ModelConfig::Transformer(tr) => {
            let shape = tr.shape();
            let parameters = shape.parameter_count(tr.norm) as u64;
            let (v, k, d, h, t, layers) = (
                shape.input_dim as u64,
                shape.output_dim as u64,
                shape.d_model as u64,
                shape.heads as u64,
                shape.context as u64,
                shape.layers as u64,
            );
            let rows = t * n;
            // Kept per block for backward: ~18 values of width d per row (the stream, the
            // LayerNorms' inputs, q|k|v, the heads, the MLP's 4d hidden layer before and after
            // GELU) and the softmax of every sequence and head; then backward's ~12d per row.
            let per_block = rows * 18 * d + n * h * t * t;
            let working = layers * per_block + rows * 12 * d + 2 * rows * (v + k);
            (parameters, 0, working, rows * v)
        }
    };
    let rounded_copies = if live.mixed.precision.is_reduced() {
        parameters + inputs
    } else {
        0
    };
    MemoryEstimate {
        persistent: (parameters * (1 + optimizer_copies) + data) * F32 + RUN_LOG_BYTES,
        transient: (parameters * gradient_copies + working + rounded_copies) * F32,
    }
}

/// Memory in words: "3.1 GB", "1 GB", "420 MB".
pub fn describe_bytes(bytes: u64) -> String {
    let gb = bytes as f64 / 1e9;
    if gb >= 1.0 {
        let text = format!("{gb:.1}");
        format!("{} GB", text.strip_suffix(".0").unwrap_or(&text))
    } else {
        format!("{:.0} MB", (bytes as f64 / 1e6).max(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TrainParams;

    /// Issue 20's link — 1000 layers × 512 — is refused with the estimate and the budget in
    /// words, and repaired to a width that fits.
    #[test]
    fn an_oversized_network_is_named_and_shrunk() {
        let params = TrainParams {
            depth: 1000.0,
            width: 512.0,
            ..TrainParams::default()
        };
        let (config, errors) = params.repair();
        assert_eq!(
            errors[0].to_string(),
            "Width (units per layer): this network needs about 2.2 GB to train; the lab's \
             limit is 1 GB — lower the width, the depth or the batch."
        );
        assert!(estimate_bytes(&config) <= MEMORY_BUDGET_BYTES);
        assert_eq!(describe_bytes(420_000_000), "420 MB");

        // The largest Transformer a link can ask for: narrowed first, its heads still dividing.
        let params = TrainParams {
            model: "transformer".into(),
            layers: 12.0,
            d_model: 240.0,
            heads: 12.0,
            context: 256.0,
            batch: 512.0,
            ..TrainParams::default()
        };
        let (config, errors) = params.repair();
        assert!(errors[0]
            .to_string()
            .starts_with("Model width d: this network needs about"));
        assert!(estimate_bytes(&config) <= MEMORY_BUDGET_BYTES);
        let t = config.net.model.as_transformer().expect("a Transformer");
        // 240 → 120 → 60 → 30 → 16 (the least width), where 12 heads cannot split: 8.
        assert_eq!((t.d_model, t.heads), (16, 8));
        assert!(errors.iter().any(|e| e.field() == crate::Field::Heads));
        assert_eq!(describe_bytes(3_140_000_000), "3.1 GB");
    }
}
