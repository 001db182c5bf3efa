//! Headless runner: trains one network from flags and prints one JSON object per step.
//!
//! ```text
//! cargo run --release -p gradlab-cli -- --depth 30 --activation tanh --weight-scale 1.5 --steps 50
//! cargo run --release -p gradlab-cli -- --model rnn --task adding --seq-len 50 --recurrent-scale 1.5
//! cargo run --release -p gradlab-cli -- --sweep depth=1:100:24,weight-scale=0.5:4:24
//! ```
//! Flags are the settings table's keys (the same as the page's links; `--help` lists them).
//! Output is JSON Lines on stdout, one [`StepStats`] per step (NaN/Inf written as `null`;
//! `cell_norms` only for an LSTM) plus `group_names`, and for an RNN `sigma_max` (λ₁ of `W_h`) and `spectral_radius` (ρ of `W_h`,
//! both before the step's update). `--dump-step0 FILE` also writes the first step's batch,
//! weights and raw gradients for checking against an independent implementation.
//! `--export-pytorch DIR` trains nothing to stdout: it writes the run's first `--steps` steps
//! (default 20) as a folder that PyTorch trains again ([`gradlab_protocol::pytorch`]). Bad flags
//! exit with status 2 and one line on stderr.

use gradlab_engine::language::Corpus;
use gradlab_engine::model::OwnData;
use gradlab_engine::own_points::points_from_csv;
use gradlab_engine::own_series::OwnSeries;
use gradlab_engine::rnn::Readout;
use gradlab_engine::settings::{Kind, SETTINGS};
use gradlab_engine::sweep::{run_tile, Sweep, DEFAULT_TILE_STEPS};
use gradlab_engine::{Field, ModelConfig, StepStats, StepTrace, TrainConfig, TrainParams, Trainer};
use gradlab_protocol::pytorch;
use serde_json::{json, Value};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// `--help`: every setting of the table, then the runner's own flags.
fn usage() -> String {
    let mut text = String::from(
        "usage: headless [--SETTING VALUE]... [--steps N] [--dump-step0 FILE] [--export-pytorch DIR]\n\nsettings:\n",
    );
    for s in &SETTINGS {
        let values = match s.kind {
            Kind::Number { min, max, .. } => format!("{min} to {max}"),
            Kind::Choice { names, .. } => names.join("|"),
            Kind::Seed { .. } => "0 up".to_string(),
        };
        text.push_str(&format!("  --{:<16} {} ({values})\n", s.key, s.label));
    }
    text.push_str("  --steps N          steps to train (default 100; a sweep's tiles: 200)\n");
    text.push_str(
        "  --sweep X,Y        the trainability map: X and Y are key=from:to:count, two numeric\n",
    );
    text.push_str(
        "                     settings; one JSON line per tile (outcome, loss_first, loss_last,\n",
    );
    text.push_str("                     grad_ratio), tiles trained on all cores\n");
    text.push_str("  --dump-step0 FILE  write the first step's batch, weights and gradients\n");
    text.push_str(
        "  --export-pytorch DIR  write the first steps (--steps, default 20) as a folder that\n",
    );
    text.push_str(
        "                     PyTorch trains again: DIR/run.py, weights, batches (.npy)\n",
    );
    text.push_str(
        "  --text-file FILE   the language model's own text (UTF-8, at most 1 MB; --text own)\n",
    );
    text.push_str(
        "  --series-file FILE the series task's own series: a CSV column (--series own)\n",
    );
    text.push_str("  --series-column N  its column, 1-based (default: the first numeric one)\n");
    text.push_str(
        "  --points-file FILE the MLP's own points: a CSV of x, y, label (--dataset own)",
    );
    text
}

struct Args {
    params: TrainParams,
    steps: u64,
    /// Whether `--steps` was given (a sweep's tiles train 200 steps unless it was).
    steps_given: bool,
    dump_step0: Option<PathBuf>,
    /// `--export-pytorch DIR`: the run's first steps as a PyTorch folder instead of JSON lines.
    export_pytorch: Option<PathBuf>,
    /// `--text-file FILE`: the language model's own text (implies `--text own`).
    text_file: Option<PathBuf>,
    /// `--series-file FILE`: the series task's own series (implies `--series own`).
    series_file: Option<PathBuf>,
    /// `--series-column N`: its column, 1-based.
    series_column: Option<usize>,
    /// `--points-file FILE`: the MLP's own labelled points (implies `--dataset own`).
    points_file: Option<PathBuf>,
    /// `--sweep x=from:to:count,y=from:to:count`: the trainability map instead of one run.
    sweep: Option<String>,
}

fn parse_args() -> Result<Option<Args>, String> {
    use lexopt::prelude::*;
    let mut args = Args {
        params: TrainParams::default(),
        steps: 100,
        steps_given: false,
        dump_step0: None,
        export_pytorch: None,
        text_file: None,
        series_file: None,
        series_column: None,
        points_file: None,
        sweep: None,
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
        let mut text = || -> Result<String, String> {
            parser
                .value()
                .and_then(|v| v.string())
                .map_err(|e| fail(&flag, e))
        };
        match flag.as_str() {
            "help" => return Ok(None),
            "steps" => {
                let value = text()?;
                args.steps = value.trim().parse().map_err(|_| {
                    format!("--steps: must be a whole number from 0 up, not \"{value}\"")
                })?;
                args.steps_given = true;
            }
            "sweep" => args.sweep = Some(text()?),
            "dump-step0" => args.dump_step0 = Some(text()?.into()),
            "export-pytorch" => args.export_pytorch = Some(text()?.into()),
            "text-file" => {
                args.text_file = Some(text()?.into());
                args.params.text = "own".into();
            }
            "series-file" => {
                args.series_file = Some(text()?.into());
                args.params.series = "own".into();
            }
            "points-file" => {
                args.points_file = Some(text()?.into());
                args.params.dataset = "own".into();
            }
            "series-column" => {
                let value = text()?;
                let column = value.trim().parse().ok().filter(|&c: &usize| c >= 1);
                args.series_column = Some(column.ok_or_else(|| {
                    format!("--series-column: must be a whole number from 1 up, not \"{value}\"")
                })?);
            }
            key => match Field::from_key(key) {
                Some(field) => {
                    let value = text()?;
                    field
                        .setting()
                        .parse_into(&mut args.params, &value)
                        .map_err(|e| format!("--{key}: {e}"))?;
                }
                None => return Err(format!("unknown flag --{key} (see --help)")),
            },
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{}", usage());
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
    if let Some(spec) = &args.sweep {
        let steps = if args.steps_given {
            args.steps as usize
        } else {
            DEFAULT_TILE_STEPS
        };
        return match Sweep::parse(spec, steps) {
            Ok(sweep) => run_sweep(&sweep, &args.params),
            Err(e) => {
                eprintln!("headless: error: --sweep: {e}");
                ExitCode::from(2)
            }
        };
    }
    let mut own = OwnData::default();
    if let Some(path) = &args.text_file {
        match read_text(path) {
            Ok(corpus) => own.text = Some(corpus),
            Err(message) => {
                eprintln!("headless: error: --text-file {}: {message}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    if let Some(path) = &args.points_file {
        let read = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                points_from_csv(&String::from_utf8_lossy(&bytes)).map_err(|e| e.to_string())
            });
        match read {
            Ok((points, report)) => {
                eprintln!(
                    "headless: {}: {} points, {:?} +1 ({}), {:?} −1 ({})",
                    path.display(),
                    report.points,
                    report.positive.0,
                    report.positive.1,
                    report.negative.0,
                    report.negative.1
                );
                own.points = Some(points);
            }
            Err(message) => {
                eprintln!(
                    "headless: error: --points-file {}: {message}",
                    path.display()
                );
                return ExitCode::from(2);
            }
        }
    }
    if let Some(path) = &args.series_file {
        match read_series(path, args.series_column) {
            Ok(series) => own.series = Some(series),
            Err(message) => {
                eprintln!(
                    "headless: error: --series-file {}: {message}",
                    path.display()
                );
                return ExitCode::from(2);
            }
        }
    }
    if let Some(dir) = &args.export_pytorch {
        let steps = if args.steps_given {
            args.steps as usize
        } else {
            pytorch::DEFAULT_STEPS
        };
        return export_pytorch(dir, &config, &own, steps);
    }
    let mut trainer = Trainer::with_data(config, own);
    let mut out = BufWriter::new(io::stdout().lock());
    for i in 0..args.steps {
        let spectrum = trainer.recurrent_spectrum();
        let step = if i == 0 && args.dump_step0.is_some() {
            trainer
                .step_traced()
                .map(|(stats, trace)| (stats, Some(trace)))
        } else {
            trainer.step().map(|stats| (stats, None))
        };
        let Ok((stats, trace)) = step else { break };
        if let (Some(path), Some(trace)) = (&args.dump_step0, trace) {
            if let Err(e) = write_dump(path, &config, &trace) {
                eprintln!("headless: error: --dump-step0 {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
        let names = &trainer.description().group_names;
        // A language model's sample every 100 steps (after the step: what its weights write).
        let sample = if (stats.step + 1) % 100 == 0 || i + 1 == args.steps {
            trainer.language_sample(gradlab_protocol::SAMPLE_LENGTH)
        } else {
            None
        };
        if write_line(&mut out, &stats, names, spectrum, sample).is_err() {
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

/// The trainability map: every tile on all cores (rayon; each tile's run stays single-threaded
/// and seeded, so a tile's outcome does not depend on where it ran), printed row by row. The
/// runner's wasm build (the reference check's, under WASI) has one thread: tiles in turn.
fn run_sweep(sweep: &Sweep, base: &TrainParams) -> ExitCode {
    let tiles: Vec<(usize, usize)> = sweep.tiles().collect();
    let one = |&(c, r): &(usize, usize)| run_tile(sweep, base, c, r);
    #[cfg(not(target_arch = "wasm32"))]
    let results: Vec<_> = {
        use rayon::prelude::*;
        tiles.par_iter().map(one).collect()
    };
    #[cfg(target_arch = "wasm32")]
    let results: Vec<_> = tiles.iter().map(one).collect();
    let mut out = BufWriter::new(io::stdout().lock());
    for result in results {
        let tile = match result {
            Ok(tile) => tile,
            Err(e) => {
                eprintln!("headless: error: --sweep: a tile's settings: {e}");
                return ExitCode::from(2);
            }
        };
        let finite = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
        let mut line = serde_json::Map::new();
        line.insert(
            sweep.x.field.key().into(),
            json!(sweep.x.value(tile.column)),
        );
        line.insert(sweep.y.field.key().into(), json!(sweep.y.value(tile.row)));
        line.insert("outcome".into(), json!(tile.outcome.name()));
        line.insert("loss_first".into(), finite(tile.loss_first));
        line.insert("loss_last".into(), finite(tile.loss_last));
        line.insert("grad_ratio".into(), finite(tile.grad_ratio));
        if serde_json::to_writer(&mut out, &Value::Object(line)).is_err()
            || out.write_all(b"\n").is_err()
        {
            return ExitCode::SUCCESS;
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}

/// The language model's own text from `path`, folded and checked as the page checks a pasted
/// one (undecodable bytes count as binary content).
fn read_text(path: &std::path::Path) -> Result<Corpus, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&bytes);
    let (corpus, report) = Corpus::from_text(&text).map_err(|e| e.to_string())?;
    eprintln!(
        "headless: {}: {} characters read, {} kept, {} changed, {} dropped; unigram entropy {:.4} nats",
        path.display(),
        report.read,
        report.kept,
        report.changed,
        report.dropped,
        report.unigram_entropy
    );
    Ok(corpus)
}

/// The series task's own series: column `column` (1-based; the first numeric one unless
/// given) of the CSV file at `path`, normalised as the page's.
fn read_series(path: &std::path::Path, column: Option<usize>) -> Result<OwnSeries, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&bytes);
    let (series, report) = OwnSeries::from_csv(&text, column).map_err(|e| e.to_string())?;
    eprintln!(
        "headless: {}: column {}{}, {} values, mean {}, standard deviation {}",
        path.display(),
        report.column,
        report.name.map(|n| format!(" ({n})")).unwrap_or_default(),
        report.values,
        report.mean,
        report.std
    );
    Ok(series)
}

/// Writes the PyTorch folder into `dir` (made if missing; files of the same names replaced).
fn export_pytorch(
    dir: &std::path::Path,
    config: &TrainConfig,
    own: &OwnData,
    steps: usize,
) -> ExitCode {
    let files = match pytorch::pytorch_folder(config, own, steps) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("headless: error: --export-pytorch: {e}");
            return ExitCode::from(2);
        }
    };
    for file in &files {
        let path = dir.join(&file.path);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, &file.bytes));
        if let Err(e) = written {
            eprintln!("headless: error: --export-pytorch {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    eprintln!(
        "headless: wrote {} files to {}; run: python {}",
        files.len(),
        dir.display(),
        dir.join("run.py").display()
    );
    ExitCode::SUCCESS
}

fn write_line(
    out: &mut impl Write,
    stats: &StepStats,
    group_names: &[String],
    spectrum: Option<(f64, f64)>,
    sample: Option<String>,
) -> io::Result<()> {
    let mut line = serde_json::to_value(stats)?;
    if let Value::Object(fields) = &mut line {
        fields.insert("group_names".into(), json!(group_names));
        // Only an LSTM has a cell state: other models' lines stay as they were.
        if stats.cell_norms.is_empty() {
            fields.remove("cell_norms");
        }
        if let Some((sigma_max, radius)) = spectrum {
            fields.insert("sigma_max".into(), json!(sigma_max));
            fields.insert("spectral_radius".into(), json!(radius));
        }
        if let Some(sample) = sample {
            fields.insert("sample".into(), json!(sample));
        }
    }
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

fn rows(a: &ndarray::Array2<f32>) -> Vec<Vec<f32>> {
    a.outer_iter().map(|row| row.to_vec()).collect()
}

/// A time-major `[T·n, c]` array as `[n][T][c]`.
fn sequences(a: &ndarray::Array2<f32>, steps: usize) -> Vec<Vec<Vec<f32>>> {
    let n = a.nrows() / steps.max(1);
    (0..n)
        .map(|i| (0..steps).map(|t| a.row(t * n + i).to_vec()).collect())
        .collect()
}

fn write_dump(path: &PathBuf, config: &TrainConfig, trace: &StepTrace) -> io::Result<()> {
    let dump = match &config.net.model {
        ModelConfig::Mlp(_) => {
            let layers: Vec<_> = trace
                .groups_before
                .iter()
                .zip(&trace.grads)
                .map(|(p, g)| {
                    json!({"W": rows(&p.w), "b": p.b.to_vec(), "dW": rows(&g.w), "db": g.b.to_vec()})
                })
                .collect();
            json!({
                "config": config.to_params(),
                "x": rows(&trace.x),
                "y": rows(&trace.y),
                "loss": trace.loss,
                "layers": layers,
            })
        }
        ModelConfig::Rnn(rnn) => {
            let names = config.net.model.describe().group_names;
            // Each group in its natural shape: a matrix as rows, a bias as a vector.
            let natural = |p: &gradlab_engine::group::ParamGroup<f32>| {
                if p.w.is_empty() {
                    json!(p.b.to_vec())
                } else {
                    json!(rows(&p.w))
                }
            };
            let groups: Vec<_> = names
                .iter()
                .zip(trace.groups_before.iter().zip(&trace.grads))
                .map(
                    |(name, (p, g))| json!({"name": name, "value": natural(p), "grad": natural(g)}),
                )
                .collect();
            // By the readout, not by the rows: at T = 1 both readouts have as many as x.
            let y = match rnn.readout {
                Readout::All => json!(sequences(&trace.y, rnn.steps)),
                Readout::Last => json!(rows(&trace.y)),
            };
            let mut dump = json!({
                "config": config.to_params(),
                "x": sequences(&trace.x, rnn.steps),
                "y": y,
                "loss": trace.loss,
                "groups": groups,
            });
            // A gated cell's W_x, W_h and b hold one block of H columns per gate, in this order.
            if !rnn.cell.gate_names().is_empty() {
                dump["gates"] = json!(rnn.cell.gate_names());
            }
            dump
        }
        ModelConfig::Transformer(t) => {
            // Every group as `W` in its natural shape ([fan_in, fan_out]; a LayerNorm's γ is
            // [1, d]) and `b` (empty for embed and pos), with its gradient.
            let names = config.net.model.describe().group_names;
            let groups: Vec<_> = names
                .iter()
                .zip(trace.groups_before.iter().zip(&trace.grads))
                .map(|(name, (p, g))| {
                    json!({"name": name, "W": rows(&p.w), "b": p.b.to_vec(),
                           "dW": rows(&g.w), "db": g.b.to_vec()})
                })
                .collect();
            let y = match t.readout {
                Readout::All => json!(sequences(&trace.y, t.context)),
                Readout::Last => json!(rows(&trace.y)),
            };
            json!({
                "config": config.to_params(),
                "x": sequences(&trace.x, t.context),
                "y": y,
                "loss": trace.loss,
                "groups": groups,
            })
        }
    };
    std::fs::write(path, serde_json::to_vec(&dump)?)
}
