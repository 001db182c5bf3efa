//! Native engine benchmark: training steps per second for three MLP shapes, shape B with the
//! cures (B+: residual connections, LayerNorm and Adam), four recurrent shapes (R: vanilla
//! cell; R-LSTM: the same with an LSTM cell; R-H128 and R-H256: R with 128 and 256 units) and
//! the Transformer T1 (4 Pre-LN blocks, d 64, 4 heads, context 64, batch 16, language model).
//!
//! Each step is the full product path: batch draw, forward, backward, per-group norms,
//! global-norm clip at 1, SGD update. tanh, MSE, f32. `cargo bench --bench steps`
//! (or `make bench`). GFLOP/s counts ≈ 6·batch·Σ fan_in·fan_out per step for the MLP (2 for the
//! forward product, 4 for the two backward products) and ≈ 6·batch·(T·G·(d·H + H·H) + H·k) for
//! the RNN with G gates (1 vanilla, 4 LSTM; shape R: the adding task, T = 100, H = 64, full
//! BPTT).

use gradlab_engine::{ModelConfig, TrainParams, Trainer};
use std::time::{Duration, Instant};

struct Shape {
    name: &'static str,
    /// MLP: hidden layers; RNN: sequence length T.
    depth: usize,
    /// MLP: units per layer; RNN: hidden units H.
    width: usize,
    batch: usize,
    recurrent: bool,
    /// The RNN's cell.
    cell: &'static str,
    /// Residual connections, LayerNorm and Adam instead of a plain net under SGD.
    cures: bool,
    /// A Transformer (depth: blocks, width: d; 4 heads, context 64, the language model).
    transformer: bool,
}

const SHAPES: [Shape; 9] = [
    Shape {
        name: "A",
        depth: 8,
        width: 8,
        batch: 10,
        recurrent: false,
        cell: "vanilla",
        cures: false,
        transformer: false,
    },
    Shape {
        name: "B",
        depth: 20,
        width: 32,
        batch: 32,
        recurrent: false,
        cell: "vanilla",
        cures: false,
        transformer: false,
    },
    Shape {
        name: "C",
        depth: 50,
        width: 128,
        batch: 64,
        recurrent: false,
        cell: "vanilla",
        cures: false,
        transformer: false,
    },
    Shape {
        name: "B+",
        depth: 20,
        width: 32,
        batch: 32,
        recurrent: false,
        cell: "vanilla",
        cures: true,
        transformer: false,
    },
    Shape {
        name: "R",
        depth: 100,
        width: 64,
        batch: 32,
        recurrent: true,
        cell: "vanilla",
        cures: false,
        transformer: false,
    },
    Shape {
        name: "R-LSTM",
        depth: 100,
        width: 64,
        batch: 32,
        recurrent: true,
        cell: "lstm",
        cures: false,
        transformer: false,
    },
    // Wider recurrent nets, where λ₁ and ρ of W_h cost the worker most (make bench's worker
    // column includes them; this native one does not).
    Shape {
        name: "R-H128",
        depth: 100,
        width: 128,
        batch: 32,
        recurrent: true,
        cell: "vanilla",
        cures: false,
        transformer: false,
    },
    Shape {
        name: "R-H256",
        depth: 100,
        width: 256,
        batch: 32,
        recurrent: true,
        cell: "vanilla",
        cures: false,
        transformer: false,
    },
    // The Transformer: 4 Pre-LN blocks, d 64, 4 heads, context 64, batch 16, on the language
    // model (readout all).
    Shape {
        name: "T1",
        depth: 4,
        width: 64,
        batch: 16,
        recurrent: false,
        cell: "vanilla",
        cures: false,
        transformer: true,
    },
];

/// The Transformer shapes' heads and context (in every JSON line; only T1 reads them).
const T_HEADS: usize = 4;
const T_CONTEXT: usize = 64;

fn main() {
    // `cargo bench` passes `--bench`; a shape filter and `--json` (one object per shape, for
    // `make bench`'s combined table) are accepted too.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    // `--precision f16` (or bf16): every shape computing in that format (mixed precision's
    // cost: software rounding at every rounding point).
    let precision = args
        .iter()
        .position(|a| a == "--precision")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "f32".into());
    let filter: Option<&String> = args
        .iter()
        .enumerate()
        .find(|(i, a)| {
            !a.starts_with('-')
                && args
                    .get(i.wrapping_sub(1))
                    .is_none_or(|p| p != "--precision")
        })
        .map(|(_, a)| a);
    if !json {
        println!("gradlab native engine benchmark (tanh, MSE, global-norm clip 1, SGD — B+: Adam —, {precision})");
        println!(
            "{:<6} {:>22} {:>7} {:>12} {:>10} {:>9}",
            "shape", "hidden × width, batch", "steps", "steps/s", "µs/step", "GFLOP/s"
        );
    }
    for shape in SHAPES.iter().filter(|s| filter.is_none_or(|f| f == s.name)) {
        let model = if shape.transformer {
            "transformer"
        } else if shape.recurrent {
            "rnn"
        } else {
            "mlp"
        };
        let mut params = TrainParams {
            model: model.into(),
            task: if shape.transformer {
                "language"
            } else {
                "adding"
            }
            .into(),
            readout: if shape.transformer { "all" } else { "last" }.into(),
            depth: shape.depth as f64,
            width: shape.width as f64,
            seq_len: shape.depth as f64,
            hidden: shape.width as f64,
            cell: shape.cell.into(),
            batch: shape.batch as f64,
            activation: "tanh".into(),
            clip_mode: "global-norm".into(),
            clip_threshold: 1.0,
            learning_rate: 0.01,
            residual: if shape.cures { "on" } else { "off" }.into(),
            layer_norm: if shape.cures { "on" } else { "off" }.into(),
            optimizer: if shape.cures { "adam" } else { "sgd" }.into(),
            precision: precision.clone(),
            ..TrainParams::default()
        };
        if shape.transformer {
            params.layers = shape.depth as f64;
            params.d_model = shape.width as f64;
            params.heads = T_HEADS as f64;
            params.context = T_CONTEXT as f64;
        }
        let config = params.check().expect("benchmark config is valid");
        let mut trainer = Trainer::new(config);
        let flops_per_step = 6.0
            * shape.batch as f64
            * match &config.net.model {
                ModelConfig::Mlp(m) => m
                    .shape()
                    .layer_dims()
                    .iter()
                    .map(|(i, o)| (i * o) as f64)
                    .sum::<f64>(),
                ModelConfig::Rnn(r) => {
                    let s = r.shape();
                    let (d, h, k) = (s.input_dim, s.hidden, s.output_dim);
                    (s.steps * r.cell.gates() * (d * h + h * h) + h * k) as f64
                }
                // Per row: the products' weights (embedding, 12·d² a block, readout), and per
                // sequence the attention's q·kᵀ and P·v (2·T²·d_h a head each way).
                ModelConfig::Transformer(t) => {
                    let s = t.shape();
                    let (v, d, k, tt) = (s.input_dim, s.d_model, s.output_dim, s.context);
                    (tt * (v * d + s.layers * 12 * d * d + d * k)
                        + s.layers * s.heads * 2 * tt * tt * s.head_dim())
                        as f64
                }
            };

        // Warm up, then time whole rounds for at least two seconds; report the best round
        // (the least disturbed by the other core's load).
        let mut step = |n: usize| {
            for _ in 0..n {
                if trainer.step().is_err() {
                    trainer.reset();
                }
            }
        };
        step(20);
        let probe = Instant::now();
        step(10);
        let per_step = probe.elapsed().as_secs_f64() / 10.0;
        let round = ((0.25 / per_step) as usize).max(3);
        let (mut best, mut total_steps, started) = (f64::INFINITY, 0usize, Instant::now());
        while started.elapsed() < Duration::from_secs(2) {
            let t = Instant::now();
            step(round);
            best = best.min(t.elapsed().as_secs_f64() / round as f64);
            total_steps += round;
        }
        if json {
            println!(
                r#"{{"shape":"{}","model":"{}","cell":"{}","cures":{},"depth":{},"width":{},"batch":{},"heads":{},"context":{},"steps_per_second":{:.1},"flops_per_step":{}}}"#,
                shape.name,
                model,
                shape.cell,
                shape.cures,
                shape.depth,
                shape.width,
                shape.batch,
                T_HEADS,
                T_CONTEXT,
                1.0 / best,
                flops_per_step
            );
            continue;
        }
        println!(
            "{:<6} {:>22} {:>7} {:>12.0} {:>10.1} {:>9.2}",
            shape.name,
            if shape.transformer {
                format!(
                    "TF {} × d {}, T {}, {}",
                    shape.depth, shape.width, T_CONTEXT, shape.batch
                )
            } else if shape.recurrent {
                format!(
                    "{} T {} × H {}, {}",
                    if shape.cell == "lstm" { "LSTM" } else { "RNN" },
                    shape.depth,
                    shape.width,
                    shape.batch
                )
            } else if shape.cures {
                format!(
                    "{} × {}, {} +res+LN+Adam",
                    shape.depth, shape.width, shape.batch
                )
            } else {
                format!("{} × {}, {}", shape.depth, shape.width, shape.batch)
            },
            total_steps,
            1.0 / best,
            best * 1e6,
            flops_per_step / best / 1e9
        );
    }
}
