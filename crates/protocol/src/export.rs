//! Downloads of a run: every step's numbers as CSV, and configuration + steps as JSON.
//!
//! Owns [`RunLog`], the per-step record the worker keeps beside each trainer (the page's
//! [`RunHistory`](gradlab_charts::history::RunHistory) is decimated for drawing; a download needs
//! the steps themselves), and the two text formats. Memory is bounded: a log holds at most
//! [`MAX_CELLS`] numbers; past that, every second row is dropped and only every second step is
//! recorded from then on (the `step` column shows which), so a run of millions of steps still
//! exports its whole span. A download is written straight from the log: streamed to any writer
//! ([`write_export`]; the worker sends 1 MB parts to the page), or into one string of its exact
//! size ([`to_csv`], [`to_json`]; a string too large for memory is an error that leaves the run
//! alone). Both are measured in `tests/export_memory.rs`.
//!
//! CSV, one row per step and run (`run` is `A`, or `B` in compare mode):
//! `run,step,loss,global_norm,global_norm_clipped,clipped,grad_norm_1..grad_norm_L,grad_norm_clipped_1..L`
//! where layer 1 is the input layer and norms are Frobenius norms of `(∂W_l, ∂b_l)`; for an RNN
//! the columns are named by group (`grad_norm_W_x … grad_norm_b_out`) and followed by one
//! column per time step, `time_norm_1..time_norm_T` (‖∂L/∂h_t‖, earliest first); last, one
//! per group, `update_norm_1..L` (‖ΔW‖, the optimizer's step; older columns keep their places).
//! Non-finite
//! values are written `NaN`, `inf`, `-inf`. JSON (`"format": "gradlab-run/1"`) holds per run
//! the settings (the same keys as links and the headless runner), the groups' names, the rows
//! (an RNN's with `time_norms`; every row with `update_norms`), and the full statistics of the last step; JSON has no NaN, so non-finite numbers there are `null`.

use crate::ExportFormat;
use gradlab_engine::rnn::GROUP_NAMES;
use gradlab_engine::{StepStats, TrainConfig, TrainParams};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use std::io::{self, Write};

/// Most numbers one log holds (≈ 16 MB of `f32`).
pub const MAX_CELLS: usize = 4_000_000;

/// The numbers of one step a download needs, borrowed from the log.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Row<'a> {
    /// Step index (0-based).
    pub step: u64,
    /// Loss.
    pub loss: f32,
    /// Global gradient norm before clipping.
    pub global_norm: f32,
    /// Global gradient norm after clipping.
    pub global_norm_clipped: f32,
    /// Whether clipping acted.
    pub clipped: bool,
    /// Per layer, ‖∂L/∂W_l‖ before clipping (input layer first).
    pub grad_norms: &'a [f32],
    /// Per layer, after clipping.
    pub grad_norms_clipped: &'a [f32],
    /// For an RNN, ‖∂L/∂h_t‖ per time step, earliest first (empty for an MLP).
    #[serde(skip_serializing_if = "<[f32]>::is_empty")]
    pub time_norms: &'a [f32],
    /// Per group, ‖ΔW‖: the step the optimizer took (weights only; 0 for a one-vector group).
    pub update_norms: &'a [f32],
}

/// One run's steps, bounded (see the module docs): one buffer of [`MAX_CELLS`] numbers,
/// reserved once, holding row after row of `[step (as two 32-bit halves), loss, global norm,
/// clipped global norm, clipped (0/1), norms before clipping per group, after, ‖∂L/∂h_t‖ per
/// time step, ‖ΔW‖ per group]`. Whatever the network's shape, the buffer is the same size, so renewing the log
/// for another shape reuses it as it is: the log's memory is fixed for the page's lifetime.
#[derive(Clone, Debug)]
pub struct RunLog {
    group_count: usize,
    /// Time steps whose ‖∂L/∂h_t‖ is kept per row (0 for an MLP).
    time_steps: usize,
    /// Only steps that are multiples of this are recorded.
    stride: u64,
    /// The rows, back to back (never grown past its first reservation).
    cells: Vec<f32>,
    /// Rows that fit; at this many the log thins.
    capacity: usize,
    last: Option<StepStats>,
}

/// Numbers at the start of every row before the norms.
const SCALARS: usize = 6;

impl RunLog {
    /// An empty log for a network of `group_count` parameter groups and (an RNN) `time_steps`
    /// time steps, its whole buffer reserved now.
    pub fn new(group_count: usize, time_steps: usize) -> Self {
        Self::reserved(group_count, time_steps, MAX_CELLS)
    }

    /// An empty log that thins once it holds `capacity` rows (at least 2).
    pub fn with_capacity(group_count: usize, time_steps: usize, capacity: usize) -> Self {
        let width = row_width(group_count, time_steps);
        Self::reserved(group_count, time_steps, capacity.max(2) * width)
    }

    fn reserved(group_count: usize, time_steps: usize, cells: usize) -> Self {
        let mut log = Self {
            group_count,
            time_steps,
            stride: 1,
            cells: Vec::with_capacity(cells.max(2 * row_width(group_count, time_steps))),
            capacity: 0,
            last: None,
        };
        log.renew(group_count, time_steps);
        log
    }

    /// Empties the log for a network of a new shape, in the same buffer.
    pub fn renew(&mut self, group_count: usize, time_steps: usize) {
        let width = row_width(group_count, time_steps);
        if self.cells.capacity() < 2 * width {
            // Only a log made for a tiny capacity can be too small for two rows of another shape.
            self.cells = Vec::with_capacity(2 * width);
        }
        self.cells.clear();
        self.group_count = group_count;
        self.time_steps = time_steps;
        self.capacity = self.cells.capacity() / width;
        self.stride = 1;
        self.last = None;
    }

    /// Records one step's numbers (no allocation, ever).
    pub fn record(&mut self, stats: &StepStats) {
        if !stats.step.is_multiple_of(self.stride) {
            return;
        }
        if self.len() == self.capacity {
            self.thin();
            if !stats.step.is_multiple_of(self.stride) {
                return;
            }
        }
        let step = stats.step;
        self.cells.extend([
            f32::from_bits(step as u32),
            f32::from_bits((step >> 32) as u32),
            stats.loss as f32,
            stats.global_norm as f32,
            stats.global_norm_clipped as f32,
            if stats.clipped { 1.0 } else { 0.0 },
        ]);
        for norms in [&stats.grad_norms, &stats.grad_norms_clipped] {
            self.cells.extend(
                (0..self.group_count).map(|l| norms.get(l).map_or(f32::NAN, |&x| x as f32)),
            );
        }
        let times = &stats.time_norms;
        self.cells
            .extend((0..self.time_steps).map(|t| times.get(t).map_or(f32::NAN, |&x| x as f32)));
        let updates = &stats.update_norms;
        self.cells
            .extend((0..self.group_count).map(|l| updates.get(l).map_or(f32::NAN, |&x| x as f32)));
    }

    /// Numbers per row.
    fn width(&self) -> usize {
        row_width(self.group_count, self.time_steps)
    }

    /// Keeps the rows whose step is a multiple of twice the stride.
    fn thin(&mut self) {
        self.stride *= 2;
        let width = self.width();
        let mut kept = 0;
        for row in 0..self.len() {
            if step_of(&self.cells[row * width..]).is_multiple_of(self.stride) {
                self.cells
                    .copy_within(row * width..(row + 1) * width, kept * width);
                kept += 1;
            }
        }
        self.cells.truncate(kept * width);
    }

    /// Keeps the full statistics of the newest step (set once per chunk, not per step).
    pub fn set_last(&mut self, stats: Option<StepStats>) {
        if stats.is_some() {
            self.last = stats;
        }
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.cells.len() / self.width()
    }

    /// Whether no step was recorded.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Every `stride`-th step is held (1 until the log first filled up).
    pub fn stride(&self) -> u64 {
        self.stride
    }

    /// Parameter groups (an MLP's weight layers).
    pub fn group_count(&self) -> usize {
        self.group_count
    }

    /// Time steps per row (0 for an MLP).
    pub fn time_steps(&self) -> usize {
        self.time_steps
    }

    /// The rows, oldest first (borrowed: a download copies nothing but its text).
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> + '_ {
        let (groups, times) = (self.group_count, self.time_steps);
        self.cells.chunks_exact(self.width()).map(move |row| {
            let norms = &row[SCALARS..];
            Row {
                step: step_of(row),
                loss: row[2],
                global_norm: row[3],
                global_norm_clipped: row[4],
                clipped: row[5] != 0.0,
                grad_norms: &norms[..groups],
                grad_norms_clipped: &norms[groups..2 * groups],
                time_norms: &norms[2 * groups..2 * groups + times],
                update_norms: &norms[2 * groups + times..],
            }
        })
    }
}

/// Numbers in one row of a log.
fn row_width(group_count: usize, time_steps: usize) -> usize {
    SCALARS + 3 * group_count + time_steps
}

/// The step number kept at the start of a row, as two 32-bit halves (bit patterns, not values).
fn step_of(row: &[f32]) -> u64 {
    u64::from(row[0].to_bits()) | (u64::from(row[1].to_bits()) << 32)
}

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
                step_stride: r.log.stride,
                steps: Steps(r.log),
                last: r.log.last.as_ref(),
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
    let layers = runs.iter().map(|r| r.log.group_count).max().unwrap_or(0);
    out.write_all(b"run,step,loss,global_norm,global_norm_clipped,clipped")?;
    let groups = runs
        .first()
        .map_or_else(Vec::new, |r| column_names(r.config, layers));
    for prefix in ["grad_norm", "grad_norm_clipped"] {
        for group in &groups {
            write!(out, ",{prefix}_{group}")?;
        }
    }
    let times = runs.iter().map(|r| r.log.time_steps).max().unwrap_or(0);
    for t in 1..=times {
        write!(out, ",time_norm_{t}")?;
    }
    // Last, so the columns older downloads had keep their places.
    for group in &groups {
        write!(out, ",update_norm_{group}")?;
    }
    out.write_all(b"\n")?;
    for run in runs {
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
            for (part, width) in [
                (row.grad_norms, layers),
                (row.grad_norms_clipped, layers),
                (row.time_norms, times),
                (row.update_norms, layers),
            ] {
                for i in 0..width {
                    match part.get(i) {
                        Some(v) => write!(out, ",{v}")?,
                        None => out.write_all(b",")?,
                    }
                }
            }
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// The per-group columns' suffixes: an MLP's layers numbered from 1 (input first), then its
/// LayerNorm groups as `ln_gain_l`, `ln_bias_l`; an RNN's groups by name (`grad_norm_W_h`).
fn column_names(config: &TrainConfig, count: usize) -> Vec<String> {
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

    fn trained(params: TrainParams, steps: usize) -> (TrainConfig, RunLog, Vec<StepStats>) {
        let config = params.check().unwrap();
        let mut trainer = Trainer::new(config);
        let mut log = RunLog::new(trainer.group_count(), trainer.time_steps());
        let mut all = Vec::new();
        for _ in 0..steps {
            let Ok(stats) = trainer.step() else { break };
            log.record(&stats);
            all.push(stats);
        }
        log.set_last(all.last().cloned());
        (config, log, all)
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

    /// Header + one row per step, and each cell is the step's number (f32, shortest form).
    #[test]
    fn csv_has_one_row_per_step_with_every_layer() {
        let params = TrainParams {
            depth: 2.0,
            clip_mode: "global-norm".into(),
            clip_threshold: 0.05,
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
             update_norm_1,update_norm_2,update_norm_3"
        );
        assert_eq!(lines.len(), 6);
        for (line, s) in lines[1..].iter().zip(&stats) {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), 15);
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

    /// A full log keeps every other row and records every other step from then on.
    /// A log reserves its buffer once: recording to capacity and thinning never reallocate,
    /// renewing it for another shape reuses the same buffer, and steps past 2³² survive.
    #[test]
    fn a_log_never_reallocates() {
        let config = TrainParams::default().check().unwrap();
        let mut trainer = Trainer::new(config);
        let stats = trainer.step().unwrap();
        let mut log = RunLog::with_capacity(11, 0, 64);
        let (buffer, capacity) = (log.cells.as_ptr(), log.cells.capacity());
        for step in 0..1000 {
            log.record(&StepStats {
                step,
                ..stats.clone()
            });
        }
        assert!(log.stride() > 1, "it thinned");
        assert_eq!(
            (log.cells.as_ptr(), log.cells.capacity()),
            (buffer, capacity)
        );
        let mut big = RunLog::new(11, 0);
        let (kept, cells) = (big.cells.as_ptr(), big.cells.capacity());
        assert_eq!(cells, MAX_CELLS);
        big.renew(5, 300);
        assert_eq!(
            (big.cells.as_ptr(), big.cells.capacity()),
            (kept, cells),
            "reused"
        );
        assert!(big.is_empty() && big.stride() == 1 && big.time_steps() == 300);
        big.record(&StepStats {
            step: (7 << 32) + 3,
            ..stats.clone()
        });
        assert_eq!(big.rows().next().unwrap().step, (7 << 32) + 3);
    }

    #[test]
    fn a_full_log_thins_evenly_and_keeps_the_whole_span() {
        let (_, _, stats) = trained(TrainParams::default(), 1);
        let mut log = RunLog::with_capacity(11, 0, 8);
        let mut s = stats[0].clone();
        for step in 0..40 {
            s.step = step;
            s.loss = step as f64;
            log.record(&s);
        }
        assert!(log.len() <= 8);
        let steps: Vec<u64> = log.rows().map(|r| r.step).collect();
        let stride = log.stride();
        assert_eq!(stride, 8);
        assert_eq!(steps, vec![0, 8, 16, 24, 32]);
        assert!(log.rows().all(|r| r.loss == r.step as f32));
        assert!(log.rows().all(|r| r.grad_norms.len() == 11));
    }
}
