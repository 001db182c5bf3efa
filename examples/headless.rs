//! Headless runner: trains one network from flags and prints one JSON object per step.
//!
//! ```text
//! cargo run --release --example headless -- --depth 30 --activation tanh --weight-scale 1.5 --steps 50
//! ```
//! Flags mirror the page's controls (`--help` lists them). Output is JSON Lines on stdout, one
//! [`StepStats`] per step (NaN/Inf written as `null`); `--dump-step0 FILE` also writes the first
//! step's batch, weights and raw gradients for checking against an independent implementation.
//! Bad flags exit with status 2 and one line on stderr.

use gradlab::engine::{StepStats, StepTrace, TrainParams, Trainer};
use serde_json::json;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: headless [--depth N] [--width N] [--activation linear|tanh|relu|sigmoid]
  [--weight-scale σ] [--bias-scale σ_b] [--dataset circle|xor|spiral|clusters|sine] [--batch N]
  [--lr η] [--clip-mode none|global-norm|layer-norm|value] [--clip c] [--l1 λ] [--l2 λ]
  [--steps N] [--seed N] [--dump-step0 FILE]";

struct Args {
    params: TrainParams,
    steps: u64,
    dump_step0: Option<PathBuf>,
}

fn parse_args() -> Result<Option<Args>, String> {
    use lexopt::prelude::*;
    let mut args = Args {
        params: TrainParams::default(),
        steps: 100,
        dump_step0: None,
    };
    let mut parser = lexopt::Parser::from_env();
    let fail = |flag: &str, e: lexopt::Error| format!("--{flag}: {e}");
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        let Long(flag) = arg else {
            return Err(match arg {
                Short('h') => return Ok(None),
                other => other.unexpected().to_string(),
            });
        };
        let flag = flag.to_string();
        let p = &mut args.params;
        let mut number = || -> Result<f64, String> {
            parser
                .value()
                .and_then(|v| v.parse::<f64>())
                .map_err(|e| fail(&flag, e))
        };
        match flag.as_str() {
            "help" => return Ok(None),
            "depth" => p.depth = number()?,
            "width" => p.width = number()?,
            "weight-scale" => p.weight_scale = number()?,
            "bias-scale" => p.bias_scale = number()?,
            "batch" => p.batch = number()?,
            "lr" => p.learning_rate = number()?,
            "clip" => p.clip_threshold = number()?,
            "l1" => p.l1 = number()?,
            "l2" => p.l2 = number()?,
            "activation" | "dataset" | "clip-mode" | "dump-step0" => {
                let value = parser.value().map_err(|e| fail(&flag, e))?;
                let text = value.string().map_err(|e| fail(&flag, e))?;
                match flag.as_str() {
                    "activation" => p.activation = text,
                    "dataset" => p.dataset = text,
                    "clip-mode" => p.clip_mode = text,
                    _ => args.dump_step0 = Some(text.into()),
                }
            }
            "steps" | "seed" => {
                let value = parser
                    .value()
                    .and_then(|v| v.parse::<u64>())
                    .map_err(|e| fail(&flag, e))?;
                if flag == "steps" {
                    args.steps = value;
                } else {
                    p.seed = value;
                }
            }
            _ => return Err(format!("unknown flag --{flag} (see --help)")),
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("headless: error: {message}");
            return ExitCode::from(2);
        }
    };
    let config = match args.params.check() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("headless: error: --{}: {e}", e.field().key());
            return ExitCode::from(2);
        }
    };
    let mut trainer = Trainer::new(config);
    let mut out = BufWriter::new(io::stdout().lock());
    for i in 0..args.steps {
        let step = if i == 0 && args.dump_step0.is_some() {
            trainer
                .step_traced()
                .map(|(stats, trace)| (stats, Some(trace)))
        } else {
            trainer.step().map(|stats| (stats, None))
        };
        let Ok((stats, trace)) = step else { break };
        if let (Some(path), Some(trace)) = (&args.dump_step0, trace) {
            if let Err(e) = write_dump(path, &args.params, &trace) {
                eprintln!("headless: error: --dump-step0 {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
        if write_line(&mut out, &stats).is_err() {
            // The reader went away (e.g. `| head`): stop quietly.
            return ExitCode::SUCCESS;
        }
        if let Some(at) = stats.non_finite {
            let _ = out.flush();
            eprintln!("headless: {at}; stopping");
            break;
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}

fn write_line(out: &mut impl Write, stats: &StepStats) -> io::Result<()> {
    serde_json::to_writer(&mut *out, stats)?;
    out.write_all(b"\n")
}

fn rows(a: &ndarray::Array2<f32>) -> Vec<Vec<f32>> {
    a.outer_iter().map(|row| row.to_vec()).collect()
}

fn write_dump(path: &PathBuf, params: &TrainParams, trace: &StepTrace) -> io::Result<()> {
    let config = params
        .check()
        .map(|c| c.to_params())
        .unwrap_or_else(|_| params.clone());
    let layers: Vec<_> = trace
        .layers_before
        .iter()
        .zip(&trace.grads)
        .map(|(p, g)| {
            json!({"W": rows(&p.w), "b": p.b.to_vec(), "dW": rows(&g.w), "db": g.b.to_vec()})
        })
        .collect();
    let dump = json!({
        "config": config,
        "x": rows(&trace.x),
        "y": rows(&trace.y),
        "loss": trace.loss,
        "layers": layers,
    });
    std::fs::write(path, serde_json::to_vec(&dump)?)
}
