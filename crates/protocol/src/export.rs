//! Downloads of a run: every step's numbers as CSV, and configuration + steps as JSON.
//!
//! A download is written straight from the runs' [`RunLog`]s: streamed to any writer
//! ([`write_export`]; the worker sends 1 MB parts to the page), or into one string of its exact
//! size ([`to_csv`], [`to_json`]; a string too large for memory is an error that leaves the run
//! alone). Both are measured in `crates/worker/tests/export_memory.rs`.
//!
//! CSV, one row per step and run (`run` is `A`, or `B` in compare mode):
//! `run,step,loss,global_norm,global_norm_clipped,clipped,grad_norm_1..grad_norm_L,grad_norm_clipped_1..L`
//! where layer 1 is the input layer and norms are Frobenius norms of `(∂W_l, ∂b_l)`; for an RNN
//! the columns are named by group (`grad_norm_W_x … grad_norm_b_out`) and followed by one
//! column per time step, `time_norm_1..time_norm_T` (‖∂L/∂h_t‖, earliest first); last, one
//! per group, `update_norm_1..L` (‖ΔW‖, the optimizer's step), then `lr`, the learning rate the
//! step used (the schedule's), `loss_scale`, the loss scale S its backward pass used, and
//! `skipped` (1 when its update was skipped for an inf or NaN gradient under loss scaling; new
//! columns go last, so older ones keep their places). A Transformer's groups are named as the
//! page names them (`grad_norm_embed`, `grad_norm_L0.attn.qkv`, …), and its rows end with
//! `block_norm_1..L` (‖∂L/∂x_l‖, the first block first) and, per block b and head h (1-based),
//! `attn_logit_max_b_h` then `attn_entropy_b_h`. Non-finite
//! values are written `NaN`, `inf`, `-inf`. JSON (`"format": "gradlab-run/1"`) holds per run
//! the settings (the same keys as links and the headless runner), the groups' names, the rows
//! (an RNN's with `time_norms`, a Transformer's with `block_norms`, `attn_logit_max` and
//! `attn_entropy`; every row with `update_norms`, `lr`, `loss_scale` and `skipped`), and the
//! full statistics of the last step; JSON has no NaN, so non-finite numbers there are `null`.

use crate::ExportFormat;
use gradlab_engine::rnn::GROUP_NAMES;
use gradlab_engine::{StepStats, TrainConfig, TrainParams};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use std::io::{self, Write};

pub use crate::run_log::{Row, RowShape, RunLog, MAX_NUMBERS};

/// One run to export: its name (`A`, `B`), settings and log.
pub struct Exported<'a> {
    /// `A`, or `B` for the second run of compare mode.
    pub name: &'a str,
    /// The settings it trains with.
    pub config: &'a TrainConfig,
    /// Its steps.
    pub log: &'a RunLog,
}

/// Why a download could not be made (the run and its log are untouched).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportError(pub String);

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExportError {}

/// Writes the download of `runs` in `format` to `out` as it is made — row by row, nothing
/// collected first — and returns its length in bytes. The worker streams it to the page in
/// parts, so neither holds more of it than one part in wasm memory.
pub fn write_export(
    runs: &[Exported],
    format: ExportFormat,
    out: &mut dyn Write,
) -> io::Result<u64> {
    let mut counted = Counted { out, bytes: 0 };
    match format {
        ExportFormat::Csv => write_csv(runs, &mut counted)?,
        ExportFormat::Json => write_json(runs, &mut counted)?,
        // Not a text of the log: the worker makes it (`gradlab_worker::zip_folder`).
        ExportFormat::Pytorch => {
            return Err(io::Error::other("the PyTorch folder is made by the worker"))
        }
    }
    counted.flush()?;
    Ok(counted.bytes)
}

/// A writer that counts what passes through it.
struct Counted<'a> {
    out: &'a mut dyn Write,
    bytes: u64,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The CSV text of `runs` (see the module docs for the columns).
pub fn to_csv(runs: &[Exported]) -> Result<String, ExportError> {
    render_exact(|out| write_csv(runs, out))
}

/// The JSON text of `runs` (see the module docs), compact.
pub fn to_json(runs: &[Exported]) -> Result<String, ExportError> {
    render_exact(|out| write_json(runs, out))
}

fn write_json(runs: &[Exported], out: &mut dyn Write) -> io::Result<()> {
    let export = JsonExport {
        format: "gradlab-run/1",
        runs: runs
            .iter()
            .map(|r| JsonRun {
                name: r.name,
                settings: r.config.to_params(),
                group_names: r.config.net.model.describe().group_names,
                step_stride: r.log.stride(),
                steps: Steps(r.log),
                last: r.log.last(),
            })
            .collect(),
    };
    serde_json::to_writer(out, &export).map_err(io::Error::other)
}

/// Renders text into one buffer of exactly its size. A first pass only counts the bytes, so the
/// text is never copied while it grows (a doubling buffer would briefly hold it three times),
/// and a buffer the memory cannot hold is an [`ExportError`], not an abort that would lose the
/// worker and every run in it.
fn render_exact(render: impl Fn(&mut dyn Write) -> io::Result<()>) -> Result<String, ExportError> {
    let failed = |e: io::Error| ExportError(format!("the download could not be written: {e}"));
    let mut counter = ByteCounter(0);
    render(&mut counter).map_err(failed)?;
    let mut text = Vec::new();
    text.try_reserve_exact(counter.0).map_err(|_| {
        ExportError(format!(
            "the download ({:.0} MB) does not fit in the worker's memory; the run and its log \
             are kept — try again after a reset, or download the CSV",
            counter.0 as f64 / 1e6
        ))
    })?;
    render(&mut text).map_err(failed)?;
    String::from_utf8(text).map_err(|e| ExportError(e.to_string()))
}

/// Counts what would be written.
struct ByteCounter(usize);

impl Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn write_csv(runs: &[Exported], out: &mut dyn Write) -> io::Result<()> {
    let names: Vec<Vec<String>> = runs
        .iter()
        .map(|r| column_names(r.config, r.log.group_count()))
        .collect();
    let columns = group_columns(&names);
    // Per run, which of its groups each column holds (runs of different shapes share a header).
    let slots: Vec<Vec<Option<usize>>> = names
        .iter()
        .map(|own| {
            columns
                .iter()
                .map(|c| own.iter().position(|n| n == c))
                .collect()
        })
        .collect();
    out.write_all(b"run,step,loss,global_norm,global_norm_clipped,clipped")?;
    for prefix in ["grad_norm", "grad_norm_clipped"] {
        for group in &columns {
            write!(out, ",{prefix}_{group}")?;
        }
    }
    let times = runs.iter().map(|r| r.log.time_steps()).max().unwrap_or(0);
    for t in 1..=times {
        write!(out, ",time_norm_{t}")?;
    }
    // Last, so the columns older downloads had keep their places.
    for group in &columns {
        write!(out, ",update_norm_{group}")?;
    }
    out.write_all(b",lr,loss_scale,skipped")?;
    // A Transformer's columns, after the older ones: ‖∂L/∂x_l‖ per block, then per block and
    // head the largest logit and the entropy (1-based, as the page's block table numbers them).
    let blocks = runs.iter().map(|r| r.log.shape().blocks).max().unwrap_or(0);
    let heads_per_block = runs
        .iter()
        .map(|r| r.log.shape().heads_per_block())
        .max()
        .unwrap_or(0);
    for b in 1..=blocks {
        write!(out, ",block_norm_{b}")?;
    }
    for prefix in ["attn_logit_max", "attn_entropy"] {
        for b in 1..=blocks {
            for h in 1..=heads_per_block {
                write!(out, ",{prefix}_{b}_{h}")?;
            }
        }
    }
    out.write_all(b"\n")?;
    let steps: Vec<Option<usize>> = (0..times).map(Some).collect();
    let block_places: Vec<Option<usize>> = (0..blocks).map(Some).collect();
    // Per run, where its per-head numbers sit in the header's block × head grid.
    let head_places: Vec<Vec<Option<usize>>> = runs
        .iter()
        .map(|r| {
            let shape = r.log.shape();
            let own = shape.heads_per_block();
            (0..blocks * heads_per_block)
                .map(|cell| {
                    let (b, h) = (cell / heads_per_block.max(1), cell % heads_per_block.max(1));
                    (b < shape.blocks && h < own).then_some(b * own + h)
                })
                .collect()
        })
        .collect();
    for ((run, slots), heads) in runs.iter().zip(&slots).zip(&head_places) {
        for row in run.log.rows() {
            write!(
                out,
                "{},{},{},{},{},{}",
                run.name,
                row.step,
                row.loss,
                row.global_norm,
                row.global_norm_clipped,
                u8::from(row.clipped)
            )?;
            for (part, places) in [
                (row.grad_norms, slots),
                (row.grad_norms_clipped, slots),
                (row.time_norms, &steps),
                (row.update_norms, slots),
            ] {
                write_cells(out, part, places)?;
            }
            write!(
                out,
                ",{},{},{}",
                row.learning_rate,
                row.loss_scale,
                u8::from(row.skipped)
            )?;
            for (part, places) in [
                (row.block_norms, &block_places),
                (row.attn_logit_max, heads),
                (row.attn_entropy, heads),
            ] {
                write_cells(out, part, places)?;
            }
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// One cell per place: `,value` where the run has `part[i]` there, `,` alone where it has none
/// (a group, time step or head of the other run's shape).
fn write_cells(out: &mut dyn Write, part: &[f32], places: &[Option<usize>]) -> io::Result<()> {
    for place in places {
        match place.and_then(|i| part.get(i)) {
            Some(v) => write!(out, ",{v}")?,
            None => out.write_all(b",")?,
        }
    }
    Ok(())
}

/// The per-group columns of a download: every run's group names, each once, layer by layer
/// and then the LayerNorm groups (runs A and B may differ in depth or LayerNorm).
fn group_columns(names: &[Vec<String>]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for name in names.iter().flatten() {
        if !columns.contains(name) {
            columns.push(name.clone());
        }
    }
    // Stable: an RNN's names (all of one rank) keep their order.
    columns.sort_by_key(|name| column_rank(name));
    columns
}

/// Where a group's column goes: an MLP's layers by number, then `ln_gain_l`, `ln_bias_l` by l.
fn column_rank(name: &str) -> (u8, usize, u8) {
    let number = |s: &str| s.parse::<usize>().unwrap_or(0);
    if let Some(l) = name.strip_prefix("ln_gain_") {
        (1, number(l), 0)
    } else if let Some(l) = name.strip_prefix("ln_bias_") {
        (1, number(l), 1)
    } else {
        (0, number(name), 0)
    }
}

/// A run's own per-group column suffixes: an MLP's layers numbered from 1 (input first), then
/// its LayerNorm groups as `ln_gain_l`, `ln_bias_l`; an RNN's groups by name (`grad_norm_W_h`).
fn column_names(config: &TrainConfig, count: usize) -> Vec<String> {
    if config.net.model.as_transformer().is_some() {
        return config.net.model.describe().group_names;
    }
    match config.net.model.as_mlp() {
        None => GROUP_NAMES.iter().map(|n| n.to_string()).collect(),
        Some(m) => {
            let layers = (1..=count.min(m.depth + 1)).map(|l| l.to_string());
            let norms = (1..=m.depth)
                .filter(|_| m.architecture.layer_norm)
                .flat_map(|l| [format!("ln_gain_{l}"), format!("ln_bias_{l}")]);
            layers.chain(norms).take(count).collect()
        }
    }
}

/// A log's rows as a JSON array, written one row at a time.
struct Steps<'a>(&'a RunLog);

impl Serialize for Steps<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for row in self.0.rows() {
            seq.serialize_element(&row)?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct JsonRun<'a> {
    name: &'a str,
    settings: TrainParams,
    /// The parameter groups, in the order of each row's `grad_norms`.
    group_names: Vec<String>,
    /// 1 while every step is held; 2, 4, … once the log was thinned.
    step_stride: u64,
    steps: Steps<'a>,
    last: Option<&'a StepStats>,
}

#[derive(Serialize)]
struct JsonExport<'a> {
    format: &'static str,
    runs: Vec<JsonRun<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use gradlab_engine::Trainer;

    /// Run A's download of `steps` steps with `params`: each step's statistics, the CSV and the
    /// JSON.
    fn downloaded(
        params: TrainParams,
        steps: usize,
    ) -> (Vec<StepStats>, String, serde_json::Value) {
        let (config, log, stats) = trained(params, steps);
        let runs = [Exported {
            name: "A",
            config: &config,
            log: &log,
        }];
        let json = serde_json::from_str(&to_json(&runs).unwrap()).unwrap();
        (stats, to_csv(&runs).unwrap(), json)
    }

    fn trained(params: TrainParams, steps: usize) -> (TrainConfig, RunLog, Vec<StepStats>) {
        let config = params.check().unwrap();
        let mut trainer = Trainer::new(config);
        let mut log = RunLog::new(RowShape::of(&trainer));
        let mut all = Vec::new();
        for _ in 0..steps {
            let Ok(stats) = trainer.step() else { break };
            log.record(&stats);
            all.push(stats);
        }
        log.set_last(all.last().cloned());
        (config, log, all)
    }

    /// Under loss scaling the last two columns are the scale each step used and whether it
    /// was skipped: f16 with S = 2²⁴ overflows on every step (see the engine's precision
    /// tests), so every row says 16777216 and 1, and the JSON rows say the same.
    #[test]
    fn the_loss_scale_and_skipped_steps_are_logged() {
        let params = TrainParams {
            depth: 2.0,
            precision: "f16".into(),
            loss_scale: "static".into(),
            static_scale: 16_777_216.0,
            ..TrainParams::default()
        };
        let (config, log, stats) = trained(params, 3);
        assert!(stats.iter().all(|s| s.skipped));
        let runs = [Exported {
            name: "A",
            config: &config,
            log: &log,
        }];
        let csv = to_csv(&runs).unwrap();
        for line in csv.lines().skip(1) {
            assert!(line.ends_with(",16777216,1"), "{line}");
        }
        let json: serde_json::Value = serde_json::from_str(&to_json(&runs).unwrap()).unwrap();
        let row = &json["runs"][0]["steps"][2];
        assert_eq!(row["loss_scale"], 16_777_216.0);
        assert_eq!(row["skipped"], true);
        assert_eq!(json["runs"][0]["settings"]["precision"], "f16");
    }

    /// A Transformer's download names its columns by the page's group names, and ends each row
    /// with ‖∂L/∂x_l‖ per block and each head's largest logit and entropy, as the step's
    /// statistics have them; the JSON rows carry the same three lists.
    #[test]
    fn transformer_downloads_have_group_block_and_head_columns() {
        let params = TrainParams {
            model: "transformer".into(),
            task: "language".into(),
            readout: "all".into(),
            layers: 2.0,
            d_model: 16.0,
            heads: 2.0,
            context: 8.0,
            batch: 2.0,
            ..TrainParams::default()
        };
        let (stats, csv, json) = downloaded(params, 3);
        let lines: Vec<&str> = csv.lines().collect();
        let header: Vec<&str> = lines[0].split(',').collect();
        assert_eq!(json["runs"][0]["group_names"].as_array().unwrap().len(), 16);
        assert_eq!(header[6], "grad_norm_embed");
        assert_eq!(header[8], "grad_norm_L0.attn.qkv");
        assert_eq!(header[6 + 16 + 15], "grad_norm_clipped_readout");
        let tail = [
            "skipped",
            "block_norm_1",
            "block_norm_2",
            "attn_logit_max_1_1",
            "attn_logit_max_1_2",
            "attn_logit_max_2_1",
            "attn_logit_max_2_2",
            "attn_entropy_1_1",
            "attn_entropy_1_2",
            "attn_entropy_2_1",
            "attn_entropy_2_2",
        ];
        assert_eq!(header[header.len() - tail.len()..], tail);
        // The log keeps f32, written shortest: each cell parses back to the f32 of the statistic.
        let cells: Vec<f32> = lines[3]
            .split(',')
            .skip(1)
            .map(|v| v.parse().unwrap())
            .collect();
        let last = &stats[2];
        let expected: Vec<f32> = [&last.block_norms, &last.attn_logit_max, &last.attn_entropy]
            .into_iter()
            .flatten()
            .map(|&v| v as f32)
            .collect();
        assert_eq!(cells[cells.len() - expected.len()..], expected[..]);
        assert_eq!(cells[5], last.grad_norms[0] as f32);
        let row = &json["runs"][0]["steps"][2];
        assert_eq!(row["block_norms"].as_array().unwrap().len(), 2);
        assert_eq!(row["attn_entropy"].as_array().unwrap().len(), 4);
        assert_eq!(
            row["attn_logit_max"][3].as_f64().unwrap() as f32,
            last.attn_logit_max[3] as f32
        );
        assert!(row.get("time_norms").is_none());
    }

    /// An RNN's download names its columns by group and time step, and each time-step cell
    /// is that step's ‖∂L/∂h_t‖; the JSON rows carry `time_norms` and the groups' names.
    #[test]
    fn rnn_downloads_have_group_and_time_step_columns() {
        let params = TrainParams {
            model: "rnn".into(),
            seq_len: 4.0,
            hidden: 3.0,
            ..TrainParams::default()
        };
        let (config, log, stats) = trained(params, 3);
        let runs = [Exported {
            name: "A",
            config: &config,
            log: &log,
        }];
        let csv = to_csv(&runs).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        let header: Vec<&str> = lines[0].split(',').collect();
        assert_eq!(
            header[6..],
            [
                "grad_norm_W_x",
                "grad_norm_W_h",
                "grad_norm_b",
                "grad_norm_W_out",
                "grad_norm_b_out",
                "grad_norm_clipped_W_x",
                "grad_norm_clipped_W_h",
                "grad_norm_clipped_b",
                "grad_norm_clipped_W_out",
                "grad_norm_clipped_b_out",
                "time_norm_1",
                "time_norm_2",
                "time_norm_3",
                "time_norm_4",
                "update_norm_W_x",
                "update_norm_W_h",
                "update_norm_b",
                "update_norm_W_out",
                "update_norm_b_out",
                "lr",
                "loss_scale",
                "skipped",
            ]
        );
        for (line, s) in lines[1..].iter().zip(&stats) {
            let cells: Vec<f32> = line
                .split(',')
                .skip(16)
                .map(|c| c.parse().unwrap())
                .collect();
            let want: Vec<f32> = s
                .time_norms
                .iter()
                .chain(&s.update_norms)
                .chain([&s.learning_rate, &s.loss_scale, &0.0])
                .map(|&v| v as f32)
                .collect();
            assert_eq!(cells, want);
        }
        let json: serde_json::Value = serde_json::from_str(&to_json(&runs).unwrap()).unwrap();
        let run = &json["runs"][0];
        assert_eq!(run["group_names"][1], "W_h");
        let times: Vec<f64> =
            serde_json::from_value(run["steps"][2]["time_norms"].clone()).unwrap();
        assert_eq!(times.len(), 4);
        assert_eq!(times[0] as f32, stats[2].time_norms[0] as f32);
        let updates: Vec<f64> =
            serde_json::from_value(run["steps"][2]["update_norms"].clone()).unwrap();
        assert_eq!(updates[1] as f32, stats[2].update_norms[1] as f32);
    }

    /// Header + one row per step, and each cell is the step's number (f32, shortest form);
    /// `lr` is the rate each step used: under a 4-step warmup from η = 0.03,
    /// η·t/4 = 0, 0.0075, 0.015, 0.0225, then 0.03.
    #[test]
    fn csv_has_one_row_per_step_with_every_layer() {
        let params = TrainParams {
            depth: 2.0,
            clip_mode: "global-norm".into(),
            clip_threshold: 0.05,
            learning_rate: 0.03,
            schedule: "warmup".into(),
            warmup_steps: 4.0,
            ..TrainParams::default()
        };
        let (config, log, stats) = trained(params, 5);
        let csv = to_csv(&[Exported {
            name: "A",
            config: &config,
            log: &log,
        }])
        .unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "run,step,loss,global_norm,global_norm_clipped,clipped,grad_norm_1,grad_norm_2,\
             grad_norm_3,grad_norm_clipped_1,grad_norm_clipped_2,grad_norm_clipped_3,\
             update_norm_1,update_norm_2,update_norm_3,lr,loss_scale,skipped"
        );
        assert_eq!(lines.len(), 6);
        let rates: Vec<f32> = lines[1..]
            .iter()
            .map(|l| l.rsplit(',').nth(2).unwrap().parse().unwrap())
            .collect();
        assert_eq!(rates, [0.0, 0.0075, 0.015, 0.0225, 0.03]);
        for (line, s) in lines[1..].iter().zip(&stats) {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), 18);
            assert_eq!(cells[0], "A");
            assert_eq!(cells[1], s.step.to_string());
            assert_eq!(cells[2].parse::<f32>().unwrap(), s.loss as f32);
            assert_eq!(cells[3].parse::<f32>().unwrap(), s.global_norm as f32);
            assert_eq!(
                cells[4].parse::<f32>().unwrap(),
                s.global_norm_clipped as f32
            );
            assert_eq!(cells[5], if s.clipped { "1" } else { "0" });
            for l in 0..3 {
                assert_eq!(cells[6 + l].parse::<f32>().unwrap(), s.grad_norms[l] as f32);
                assert_eq!(
                    cells[9 + l].parse::<f32>().unwrap(),
                    s.grad_norms_clipped[l] as f32
                );
                assert_eq!(
                    cells[12 + l].parse::<f32>().unwrap(),
                    s.update_norms[l] as f32
                );
            }
        }
        // The threshold is tiny: clipping acted, and the clipped global norm is the threshold.
        assert!(lines[1].split(',').nth(5) == Some("1"));
    }

    #[test]
    fn csv_writes_non_finite_values_readably() {
        let params = TrainParams {
            depth: 200.0,
            width: 64.0,
            activation: "relu".into(),
            weight_scale: 3.0,
            ..TrainParams::default()
        };
        let (config, log, stats) = trained(params, 3);
        assert!(stats[0].non_finite.is_some());
        let csv = to_csv(&[Exported {
            name: "A",
            config: &config,
            log: &log,
        }])
        .unwrap();
        let row = csv.lines().nth(1).unwrap();
        assert!(row.contains("NaN") || row.contains("inf"), "{row:.200}");
        // Every non-finite cell parses back as what it was.
        assert!(row.split(',').skip(2).all(|c| c.parse::<f32>().is_ok()));
    }

    #[test]
    fn json_holds_settings_rows_and_last_step() {
        let params = TrainParams {
            depth: 3.0,
            seed: 42,
            weight_scale: 2.5,
            ..TrainParams::default()
        };
        let (config, log, stats) = trained(params.clone(), 4);
        let text = to_json(&[Exported {
            name: "A",
            config: &config,
            log: &log,
        }])
        .unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["format"], "gradlab-run/1");
        let run = &json["runs"][0];
        assert_eq!(run["name"], "A");
        // Settings use the link keys and read back as the same configuration.
        let settings: TrainParams = serde_json::from_value(run["settings"].clone()).unwrap();
        assert_eq!(settings.check().unwrap(), config);
        assert_eq!(run["settings"]["weight-scale"], 2.5);
        assert_eq!(run["step_stride"], 1);
        let steps = run["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 4);
        assert_eq!(steps[3]["step"], 3);
        assert_eq!(steps[2]["grad_norms"].as_array().unwrap().len(), 4);
        assert_eq!(
            steps[1]["loss"].as_f64().unwrap() as f32,
            stats[1].loss as f32
        );
        assert_eq!(run["last"]["step"], 3);
        assert_eq!(run["last"]["delta_norms"].as_array().unwrap().len(), 4);
    }

    /// Compare mode with B alone using LayerNorm (and deeper): one header names every column
    /// of both runs, each row has as many cells as the header, and B's LayerNorm norms sit
    /// under their own names (before, the header came from A: 69 names over rows of 183).
    #[test]
    fn compare_csv_header_covers_both_runs() {
        let a_params = TrainParams {
            depth: 3.0,
            ..TrainParams::default()
        };
        let b_params = TrainParams {
            depth: 4.0,
            layer_norm: "on".into(),
            ..TrainParams::default()
        };
        let (a_config, a_log, _) = trained(a_params, 2);
        let (b_config, b_log, b_stats) = trained(b_params, 2);
        let csv = to_csv(&[
            Exported {
                name: "A",
                config: &a_config,
                log: &a_log,
            },
            Exported {
                name: "B",
                config: &b_config,
                log: &b_log,
            },
        ])
        .unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        let header: Vec<&str> = lines[0].split(',').collect();
        // B: 5 layers + 2·4 LayerNorm groups = 13 groups, three blocks of them.
        assert_eq!(header.len(), 6 + 3 * 13 + 3);
        assert!(lines.iter().all(|l| l.split(',').count() == header.len()));
        let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let b_row: Vec<&str> = lines[3].split(',').collect();
        assert_eq!(b_row[0], "B");
        assert_eq!(
            b_row[column("grad_norm_ln_gain_2")].parse::<f32>().unwrap(),
            b_stats[0].grad_norms[5 + 2] as f32
        );
        assert_eq!(
            b_row[column("grad_norm_5")].parse::<f32>().unwrap(),
            b_stats[0].grad_norms[4] as f32
        );
        // A has no fifth layer and no LayerNorm: those cells are empty.
        let a_row: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(a_row[column("grad_norm_5")], "");
        assert_eq!(a_row[column("update_norm_ln_bias_4")], "");
        assert!(!a_row[column("grad_norm_4")].is_empty());
    }
}
