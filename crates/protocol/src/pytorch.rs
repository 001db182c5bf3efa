//! "Reproduce in PyTorch": a run's first steps as a folder that PyTorch trains again.
//!
//! [`pytorch_folder`] trains the run's settings from step 0 (a fresh [`Trainer`], so the same
//! seeds draw the same weights and batches) and returns the folder's files; the runner writes
//! them to a directory (`--export-pytorch DIR`), the worker zips them for the page's download
//! (`gradlab_worker::zip_folder`). Every path is relative to the folder:
//!
//! - `run.py` — builds the model with `torch.nn` modules, loads the weights, trains the same
//!   steps on the same batches with the same loss, `torch.optim` optimizer, schedule and
//!   clipping call, in float64 (`--float32` for float32), and prints its loss and global
//!   gradient norm beside gradlab's; its last line is the largest relative difference and
//!   whether it is within the tolerance (exit status 0 when it is).
//! - `config.json` (`"format": "gradlab-pytorch/1"`) — the settings (the keys of links and
//!   runner flags), the model kind, the loss, the parameter groups and their tensors (name,
//!   file, shape, whether L1/L2 applies), the steps, the tolerance and the notices.
//! - `init/<tensor>.npy` — the initial weights, float32, in gradlab's row-vector shapes: a
//!   weight `W: [fan_in, fan_out]` (`y = x·W + b`; `nn.Linear.weight` is its transpose), a
//!   bias or LayerNorm gain `[fan_out]`. An MLP's layer l is `layer{l}.W`, `layer{l}.b`, its
//!   LayerNorm `ln{l}.gamma`, `ln{l}.beta`; an RNN's are `W_x`, `W_h`, `b`, `W_out`, `b_out`
//!   (gates side by side in PyTorch's order: LSTM i f g o, GRU r z n).
//! - `data/x.npy`, `data/y.npy` — step s's batch at index s, float32: MLP `[N, n, d]` and
//!   `[N, n, 1]`; RNN time-major `[N, T, n, d]`, targets `[N, n, k]` (readout `last`) or
//!   `[N, T, n, k]` (`all`); a cross-entropy target holds the class index (k = 1).
//! - `gradlab.json` — gradlab's numbers for every step: loss, global gradient norm before and
//!   after clipping, per-group norms, the learning rate, whether clipping acted, loss scale
//!   and skipped.
//! - `README.txt` — what the folder holds, how to run it, and the notices: every setting whose
//!   torch counterpart differs, and how `run.py` bridges it.

use gradlab_engine::cell::Cell;
use gradlab_engine::loss::LossKind;
use gradlab_engine::model::OwnData;
use gradlab_engine::precision::{LossScaleKind, Precision};
use gradlab_engine::rnn::Readout;
use gradlab_engine::{Activation, ClipMode, ModelConfig, StepStats, TrainConfig, Trainer};
use serde_json::{json, Value};

/// Steps a download holds unless asked for more.
pub const DEFAULT_STEPS: usize = 20;
/// The most steps a folder holds.
pub const MAX_STEPS: usize = 1000;
/// The largest folder made, in bytes of batches and weights (the page holds it in memory).
pub const MAX_FOLDER_BYTES: u64 = 64 << 20;
/// The largest relative difference `run.py` accepts between its numbers and gradlab's (loss
/// and global gradient norm, every step): float64 against gradlab's float32, over the first
/// [`DEFAULT_STEPS`] steps of every model, optimizer and clip mode (`make check-pytorch`).
pub const TOLERANCE: f64 = 1e-3;
/// `run.py`, the same for every run (it reads the rest from `config.json`).
pub const RUN_PY: &str = include_str!("pytorch/run.py");

/// One file of the folder.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportFile {
    /// Its path inside the folder, `/`-separated.
    pub path: String,
    /// Its contents.
    pub bytes: Vec<u8>,
}

/// Why no folder was made (the run is untouched).
#[derive(Clone, Debug, PartialEq)]
pub enum PytorchError {
    /// Steps outside `1..=MAX_STEPS`.
    Steps(usize),
    /// The batches and weights would exceed [`MAX_FOLDER_BYTES`].
    TooLarge {
        /// What they would take.
        bytes: u64,
    },
}

impl std::fmt::Display for PytorchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Steps(n) => write!(f, "steps must be 1 to {MAX_STEPS}, not {n}"),
            Self::TooLarge { bytes } => write!(
                f,
                "the folder would hold {} of batches and weights, more than {}: choose fewer \
                 steps, a smaller batch or shorter sequences",
                gradlab_engine::memory::describe_bytes(*bytes),
                gradlab_engine::memory::describe_bytes(MAX_FOLDER_BYTES)
            ),
        }
    }
}

impl std::error::Error for PytorchError {}

/// The folder's name: what a download is called (and what the zip holds).
pub fn folder_name(config: &TrainConfig) -> String {
    let kind = match &config.net.model {
        ModelConfig::Mlp(_) => "mlp".to_string(),
        ModelConfig::Rnn(r) => r.cell.name().to_string(),
        ModelConfig::Transformer(t) => format!("transformer-{}", t.norm.name()),
    };
    format!("gradlab-pytorch-{kind}-seed{}", config.net.seed)
}

/// A tensor of the folder: which group it belongs to and which part.
struct Tensor {
    name: String,
    group: usize,
    /// `"W"` (the group's weight matrix) or `"b"` (its vector).
    part: &'static str,
    shape: Vec<u64>,
    values: Vec<f32>,
}

/// The tensors' names for the group called `group_name` with a weight and/or a vector.
fn tensor_names(group_name: &str, has_w: bool, has_b: bool) -> (String, String) {
    let stem = if let Some(l) = group_name.strip_prefix("layer ") {
        format!("layer{l}")
    } else if let Some(l) = group_name.strip_prefix("LN γ ") {
        return (String::new(), format!("ln{l}.gamma"));
    } else if let Some(l) = group_name.strip_prefix("LN β ") {
        return (String::new(), format!("ln{l}.beta"));
    } else {
        group_name.to_string()
    };
    if has_w && has_b {
        (format!("{stem}.W"), format!("{stem}.b"))
    } else {
        (stem.clone(), stem)
    }
}

/// The sizes of one step's batch: `(x shape, y shape)` without the leading N. A sequence
/// model's batches are time-major, `x: [T, n, inputs]`, with one target per scored row (a class
/// index, or the outputs), every position's or the last's; its widths are its task's.
fn batch_shapes(config: &TrainConfig) -> (Vec<u64>, Vec<u64>) {
    let n = config.live.batch as u64;
    let (t, task, readout) = match &config.net.model {
        ModelConfig::Mlp(m) => return (vec![n, m.shape().input_dim as u64], vec![n, 1]),
        ModelConfig::Rnn(r) => (r.steps, r.task, r.readout),
        ModelConfig::Transformer(tr) => (tr.context, tr.task, tr.readout),
    };
    let t = t as u64;
    let k = match task.loss() {
        LossKind::CrossEntropy => 1,
        LossKind::Mse => task.output_dim() as u64,
    };
    let y = match readout {
        Readout::Last => vec![n, k],
        Readout::All => vec![t, n, k],
    };
    (vec![t, n, task.input_dim() as u64], y)
}

/// `.npy` bytes of float32 `values` in `shape` (C order).
fn npy(shape: &[u64], values: impl IntoIterator<Item = f32>) -> Vec<u8> {
    use npyz::WriterBuilder;
    let mut bytes = Vec::new();
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut bytes)
        .begin_nd()
        .expect("writing to memory cannot fail");
    writer
        .extend(values)
        .expect("writing to memory cannot fail");
    writer.finish().expect("writing to memory cannot fail");
    bytes
}

/// JSON's number, or `null` where it has none.
fn number(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        Value::Null
    }
}

/// What gradlab logged for one step.
fn logged(stats: &StepStats) -> Value {
    json!({
        "step": stats.step,
        "loss": number(stats.loss),
        "global_norm": number(stats.global_norm),
        "global_norm_clipped": number(stats.global_norm_clipped),
        "grad_norms": stats.grad_norms.iter().map(|&v| number(v)).collect::<Vec<_>>(),
        "lr": stats.learning_rate,
        "clipped": stats.clipped,
        "loss_scale": stats.loss_scale,
        "skipped": stats.skipped,
    })
}

/// Where the run's settings and PyTorch's differ, and how `run.py` bridges each (a notice
/// with `held: false` means its steps are not held to the tolerance).
pub fn notices(config: &TrainConfig) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let live = &config.live;
    let precision = live.mixed.precision;
    if precision != Precision::F32 {
        out.push((
            false,
            format!(
                "precision={}: gradlab rounded values to {} at its stated points (ARCHITECTURE.md, \
                 \"Mixed precision\"); run.py computes without that rounding (torch.autocast rounds \
                 at other points), so its numbers differ from gradlab's by that format's precision \
                 and are not held to the tolerance.",
                precision.name(),
                precision.name()
            ),
        ));
    }
    if live.mixed.loss_scale != LossScaleKind::None {
        out.push((
            true,
            format!(
                "loss-scale={}: run.py does not scale the loss. In float32 and float64 a power-of-two \
                 scale changes no gradient unless one overflows, which makes gradlab skip that step; \
                 run.py skips the steps gradlab.json marks skipped.",
                live.mixed.loss_scale.name()
            ),
        ));
    }
    if live.clip.mode == ClipMode::Backward {
        out.push((
            true,
            "clip-mode=backward (Graves 2013) has no torch.nn.utils counterpart: run.py clamps the \
             error at each layer's (or time step's) pre-activation with a tensor hook \
             (Tensor.register_hook), where gradlab clamps it."
                .into(),
        ));
    }
    if live.optimizer.kind == gradlab_engine::optim::OptimizerKind::AdamW {
        out.push((
            true,
            "optimizer=adamw: gradlab decays weights, not biases or LayerNorm gains; run.py gives \
             torch.optim.AdamW two parameter groups, the second with weight_decay=0."
                .into(),
        ));
    }
    if live.clip.mode == ClipMode::GroupNorm {
        out.push((
            true,
            "clip-mode=layer-norm is Keras' clipnorm rule per parameter group, g·c/max(‖g‖, c): \
             run.py applies it in a loop over the groups (clip_grad_norm_ adds 1e-6 to the norm)."
                .into(),
        ));
    }
    if let ModelConfig::Transformer(t) = &config.net.model {
        out.push((
            true,
            format!(
                "model=transformer (norm={}): run.py writes the blocks out in torch operations, \
                 not nn.TransformerDecoderLayer, so the weights keep gradlab's layout: x·W + b with \
                 W [fan_in, fan_out], q, k and v side by side in W_qkv's columns, the causal mask \
                 by masked_fill before the softmax, exact GELU (F.gelu), and F.layer_norm \
                 (eps 1e-5) on each LayerNorm's γ and β, the two halves of its group's vector.",
                t.norm.name()
            ),
        ));
    }
    if let ModelConfig::Rnn(r) = &config.net.model {
        let activation = config.net.activation;
        let torch_cell = match r.cell {
            Cell::Vanilla => matches!(activation, Activation::Tanh | Activation::Relu),
            Cell::Lstm => activation == Activation::Tanh,
            Cell::Gru => false,
        };
        if r.cell == Cell::Gru {
            out.push((
                true,
                "cell=gru: torch.nn.GRU applies the reset gate after its product (Keras' \
                 reset_after=True); gradlab's GRU applies it before (reset_after=False), so run.py \
                 writes the cell out in torch operations."
                    .into(),
            ));
        } else if !torch_cell {
            out.push((
                true,
                format!(
                    "activation={} in a {} cell: torch's cells offer {}, so run.py writes the cell \
                     out in torch operations.",
                    activation.name(),
                    r.cell.name(),
                    if r.cell == Cell::Lstm { "tanh only" } else { "tanh and relu only" }
                ),
            ));
        } else {
            out.push((
                true,
                "torch's cells have two biases (bias_ih, bias_hh) where gradlab has one: run.py \
                 loads b into bias_ih and keeps bias_hh at zero, frozen."
                    .into(),
            ));
        }
    }
    out
}

/// The folder for the first `steps` steps of a run with `config` (fewer if it diverges first:
/// the folder ends with the last step whose numbers were all finite); with the reader's `own`
/// data where the settings ask for it, as its run does.
pub fn pytorch_folder(
    config: &TrainConfig,
    own: &OwnData,
    steps: usize,
) -> Result<Vec<ExportFile>, PytorchError> {
    if steps == 0 || steps > MAX_STEPS {
        return Err(PytorchError::Steps(steps));
    }
    let (x_shape, y_shape) = batch_shapes(config);
    let per_step: u64 = x_shape.iter().product::<u64>() + y_shape.iter().product::<u64>();
    let mut trainer = Trainer::with_data(*config, own.clone());
    let weights: u64 = trainer
        .network()
        .groups()
        .iter()
        .map(|g| (g.w.len() + g.b.len()) as u64)
        .sum();
    let bytes = 4 * (per_step * steps as u64 + weights);
    if bytes > MAX_FOLDER_BYTES {
        return Err(PytorchError::TooLarge { bytes });
    }

    let names = trainer.description().group_names.clone();
    let mut tensors = Vec::new();
    for (g, (group, name)) in trainer.network().groups().iter().zip(&names).enumerate() {
        let (w_name, b_name) = tensor_names(name, !group.w.is_empty(), !group.b.is_empty());
        if !group.w.is_empty() {
            let (rows, cols) = group.w.dim();
            tensors.push(Tensor {
                name: w_name,
                group: g,
                part: "W",
                shape: vec![rows as u64, cols as u64],
                values: group.w.iter().copied().collect(),
            });
        }
        if !group.b.is_empty() {
            tensors.push(Tensor {
                name: b_name,
                group: g,
                part: "b",
                shape: vec![group.b.len() as u64],
                values: group.b.to_vec(),
            });
        }
    }

    let (mut xs, mut ys, mut rows) = (Vec::new(), Vec::new(), Vec::new());
    let mut stopped = None;
    for _ in 0..steps {
        let Ok((stats, trace)) = trainer.step_traced() else {
            break;
        };
        if let Some(at) = stats.non_finite {
            stopped = Some(at.to_string());
            break;
        }
        // A time-major [T·n, ·] array is [T, n, ·] in the same order: no copy needed.
        xs.extend(trace.x.iter().copied());
        ys.extend(trace.y.iter().copied());
        rows.push(logged(&stats));
    }
    let kept = rows.len() as u64;
    let stacked = |shape: &[u64]| [&[kept][..], shape].concat();

    let notices = notices(config);
    let (model, loss) = match &config.net.model {
        ModelConfig::Mlp(_) => ("mlp", LossKind::Mse),
        ModelConfig::Rnn(r) => ("rnn", r.task.loss()),
        ModelConfig::Transformer(t) => ("transformer", t.task.loss()),
    };
    let config_json = json!({
        "format": "gradlab-pytorch/1",
        "settings": config.to_params(),
        "model": model,
        "loss": match loss { LossKind::Mse => "mse", LossKind::CrossEntropy => "cross-entropy" },
        "groups": names,
        "tensors": tensors.iter().map(|t| json!({
            "name": t.name,
            "group": t.group,
            "part": t.part,
            "file": format!("init/{}.npy", t.name),
            "shape": t.shape,
            // L1/L2 (and AdamW's decay) apply to weight matrices, never to a vector.
            "penalised": t.part == "W",
        })).collect::<Vec<_>>(),
        "steps": kept,
        "x_shape": stacked(&x_shape),
        "y_shape": stacked(&y_shape),
        "tolerance": TOLERANCE,
        "notices": notices.iter().map(|(held, text)| json!({"held": held, "text": text})).collect::<Vec<_>>(),
        "stopped": stopped,
    });
    let logged_json = json!({ "steps": rows });

    let mut files = vec![
        ExportFile {
            path: "run.py".into(),
            bytes: RUN_PY.as_bytes().to_vec(),
        },
        ExportFile {
            path: "README.txt".into(),
            bytes: readme(config, kept, &notices, stopped.as_deref()).into_bytes(),
        },
        ExportFile {
            path: "config.json".into(),
            bytes: pretty(&config_json),
        },
        ExportFile {
            path: "gradlab.json".into(),
            bytes: pretty(&logged_json),
        },
        ExportFile {
            path: "data/x.npy".into(),
            bytes: npy(&stacked(&x_shape), xs),
        },
        ExportFile {
            path: "data/y.npy".into(),
            bytes: npy(&stacked(&y_shape), ys),
        },
    ];
    files.extend(tensors.into_iter().map(|t| ExportFile {
        path: format!("init/{}.npy", t.name),
        bytes: npy(&t.shape, t.values),
    }));
    Ok(files)
}

fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("JSON values serialise");
    bytes.push(b'\n');
    bytes
}

/// The folder's README: what it holds, how to run it, the notices.
fn readme(
    config: &TrainConfig,
    steps: u64,
    notices: &[(bool, String)],
    stopped: Option<&str>,
) -> String {
    let mut text = format!(
        "Reproduce a gradlab run in PyTorch\n\
         ==================================\n\n\
         This folder trains the first {steps} steps of a gradlab run again with torch.nn and\n\
         torch.optim, from the same initial weights on the same batches, and compares every\n\
         step's loss and global gradient norm with gradlab's.\n\n\
         Run it (Python 3.9+, numpy, torch):\n\n\
         \x20   python run.py            # float64\n\
         \x20   python run.py --float32  # float32, as gradlab computes\n\n\
         The last line says the largest relative difference and whether it is within\n\
         {TOLERANCE:e} (exit status 0 when it is).\n\n\
         Files\n-----\n\
         run.py        the model, optimizer, schedule and clipping in PyTorch\n\
         config.json   the settings (gradlab's link keys), tensors, shapes, tolerance\n\
         init/*.npy    initial weights, float32, row-vector shapes (W: [fan_in, fan_out])\n\
         data/x.npy    the batches, step first (a sequence model's time-major: [N, T, n, d])\n\
         data/y.npy    the targets (cross-entropy: class indices)\n\
         gradlab.json  gradlab's numbers for each step\n\n\
         The settings, as a gradlab link's query: ?{}\n",
        crate::link::to_query(config, &crate::link::PageState::default())
    );
    if let Some(at) = stopped {
        text.push_str(&format!(
            "\ngradlab's run stopped early: {at}. The folder holds the steps before it.\n"
        ));
    }
    if !notices.is_empty() {
        text.push_str("\nWhere PyTorch differs\n---------------------\n");
        for (held, notice) in notices {
            text.push_str("- ");
            text.push_str(notice);
            if !held {
                text.push_str(" (not held to the tolerance)");
            }
            text.push('\n');
        }
    }
    text.push_str(
        "\nThe folder reproduces the run's settings from step 0: a setting changed while the run\n\
         trained applies from the step it was changed at in gradlab, and from step 0 here.\n",
    );
    text
}
