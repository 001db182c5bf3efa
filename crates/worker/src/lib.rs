//! The training worker: runs the [`Trainer`] off the page's thread.
//!
//! [`WorkerCore`] is the whole behaviour — one [`Command`] in, one [`Event`] out — and is plain
//! Rust, tested natively. `web` (wasm only) is the thin glue: it installs the message handler on
//! the worker's global scope, decodes commands, reads the clock for the time budget, and posts
//! events back. Steps are batched per message, so thousands of steps per second cost tens of
//! messages.

#![cfg_attr(target_feature = "atomics", feature(stdarch_wasm_atomic_wait))]

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
mod threads;
#[cfg(target_arch = "wasm32")]
mod web;
#[cfg(target_arch = "wasm32")]
pub use web::start;

use gradlab_engine::cliff;
use gradlab_engine::language::Corpus;
use gradlab_engine::memory::{describe_bytes, estimate_runs_bytes, MEMORY_BUDGET_BYTES};
use gradlab_engine::model::OwnData;
use gradlab_engine::own_points::points_from_csv;
use gradlab_engine::own_series::OwnSeries;
use gradlab_engine::sweep;
use gradlab_engine::{Applied, TrainConfig, Trainer};
use gradlab_protocol::export::{write_export, Exported, RowShape, RunLog};
use gradlab_protocol::pytorch;
use gradlab_protocol::{
    Chunk, CliffAnswer, CliffRequest, Command, Configured, Event, ExportFormat, LmSample,
    PeakBlock, Progress, SeriesInput, StepSummary, TileRequest, MAX_CHUNK_STEPS,
    MAX_CLIFF_DESCENTS, MAX_CLIFF_TILES, MAX_RUNS, SAMPLE_EVERY, SAMPLE_LENGTH, SAMPLE_SHARE,
};
use std::io::{BufWriter, Write};

/// Bytes of a download per part sent to the page: the worker's memory holds one part of a
/// download at a time, never the whole text.
pub const EXPORT_PART_BYTES: usize = 1 << 20;

/// One network the worker trains, with the log a download is made from.
struct Lane {
    trainer: Trainer,
    log: RunLog,
}

impl Lane {
    /// A lane for `config`, in `log`'s buffer if there is one (a log is 16 MB; reusing them
    /// keeps the worker's memory from fragmenting as runs come and go).
    fn new(config: TrainConfig, log: Option<RunLog>, own: OwnData) -> Self {
        let trainer = Trainer::with_data(config, own);
        let log = match log {
            Some(mut log) => {
                log.renew(RowShape::of(&trainer));
                log
            }
            None => RunLog::new(RowShape::of(&trainer)),
        };
        Self { trainer, log }
    }

    fn reset(&mut self) {
        self.trainer.reset();
        self.clear_log();
    }

    /// An empty log for the trainer's current network.
    fn clear_log(&mut self) {
        self.log.renew(RowShape::of(&self.trainer));
    }
}

/// Most of the worker's time that λ₁ and ρ may take: they are computed again only once this
/// share of the time since the last computation covers what it cost (an SVD and a Schur form
/// of W_h in f64: about a millisecond at H 64, hundreds at H 256 — far more than a chunk).
pub const SPECTRUM_SHARE: f64 = 0.05;

/// Whether λ₁ and ρ are due again at `now` (ms), given when they were last computed and what
/// that took (`None`: never yet): once [`SPECTRUM_SHARE`] of the time since covers the cost.
pub fn spectrum_due(last: Option<(f64, f64)>, now: f64) -> bool {
    due_within(last, now, SPECTRUM_SHARE)
}

/// Whether a measured job is due again at `now` (ms), given when it last ran and what that
/// took (`None`: never yet): once `share` of the time since covers the cost.
pub fn due_within(last: Option<(f64, f64)>, now: f64, share: f64) -> bool {
    last.is_none_or(|(at, cost)| share * (now - at) >= cost)
}

/// A worker's state: the networks of the current run (none before the first configuration).
#[derive(Default)]
pub struct WorkerCore {
    lanes: Vec<Lane>,
    /// Logs of lanes that are gone, kept for the next lanes: at most [`MAX_RUNS`] logs are ever
    /// allocated.
    spare_logs: Vec<RunLog>,
    run: u32,
    /// When λ₁ and ρ were last computed (ms) and what that took (ms).
    spectrum_last: Option<(f64, f64)>,
    /// When the language samples were last written (ms) and what that took (ms).
    sample_last: Option<(f64, f64)>,
    /// The reader's own text and series, for every run built while they are set.
    own: OwnData,
}

/// One tile of the trainability map, its configuration checked like a slider value.
fn tile(request: TileRequest) -> Event {
    if let Err(e) = request.config.validate() {
        return Event::Failed {
            message: format!("a map tile's settings were refused: {e}"),
        };
    }
    let steps = request.steps as usize;
    if !(1..=sweep::MAX_TILE_STEPS).contains(&steps) {
        return Event::Failed {
            message: format!(
                "a map tile trains 1 to {} steps, not {steps}",
                sweep::MAX_TILE_STEPS
            ),
        };
    }
    Event::Tile(
        sweep::measure(request.config, steps).at(request.column as usize, request.row as usize),
    )
}

/// Pascanu's cliff: checks the request as a control's value would be (a size, a rate or a
/// threshold that no control could set is refused with its reason), then computes it.
fn cliff(request: CliffRequest) -> Event {
    let refuse = |message: String| Event::Failed { message };
    if request.columns > MAX_CLIFF_TILES || request.rows > MAX_CLIFF_TILES {
        return refuse(format!(
            "the cliff map is at most {MAX_CLIFF_TILES} tiles a side, not {} × {}",
            request.columns, request.rows
        ));
    }
    if request.descents.len() > MAX_CLIFF_DESCENTS {
        return refuse(format!("at most {MAX_CLIFF_DESCENTS} descents at once"));
    }
    for d in &request.descents {
        let finite_start = d.start.w.is_finite() && d.start.b.is_finite();
        let rate_ok = d.learning_rate.is_finite() && d.learning_rate > 0.0;
        let clip_ok = d.clip.is_none_or(|c| c.is_finite() && c > 0.0);
        if !(finite_start && rate_ok && clip_ok && d.steps <= cliff::MAX_DESCENT_STEPS) {
            return refuse(format!("a cliff descent was refused: {d:?}"));
        }
    }
    let surface = if request.columns > 0 && request.rows > 0 {
        cliff::surface(request.columns as usize, request.rows as usize)
    } else {
        Vec::new()
    };
    Event::Cliff(Box::new(CliffAnswer {
        columns: if surface.is_empty() {
            0
        } else {
            request.columns
        },
        rows: if surface.is_empty() { 0 } else { request.rows },
        surface,
        trajectories: request.descents.into_iter().map(cliff::descend).collect(),
    }))
}

impl WorkerCore {
    /// A worker with no run yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Carries out one command; `now` reads a millisecond clock (for the training budget), and
    /// an export's text goes to `download` as it is written (the answer says how long it was).
    pub fn handle(
        &mut self,
        command: Command,
        now: &mut dyn FnMut() -> f64,
        download: &mut dyn Write,
    ) -> Event {
        match command {
            Command::Cliff(request) => return cliff(request),
            Command::Tile(request) => return tile(*request),
            _ => {}
        }
        if self.lanes.is_empty() && !matches!(command, Command::Configure(_)) {
            return Event::Failed {
                message: "the worker has no configuration yet".into(),
            };
        }
        match command {
            Command::Configure(configs) => self.configure(configs),
            Command::Reset => {
                self.lanes.iter_mut().for_each(Lane::reset);
                self.configured(true, Vec::new())
            }
            Command::Train {
                max_steps,
                budget_ms,
                peak_stride,
            } => Event::Progress(Box::new(self.train(
                max_steps.min(MAX_CHUNK_STEPS),
                budget_ms,
                peak_stride.max(1),
                now,
            ))),
            Command::Export(format) => self.export(format, download),
            Command::OwnText(text) => self.set_own_text(text),
            Command::OwnSeries(input) => self.set_own_series(input),
            Command::OwnPoints(csv) => self.set_own_points(csv),
            Command::Cliff(request) => cliff(request),
            Command::Tile(request) => tile(*request),
        }
    }

    fn configure(&mut self, configs: Vec<TrainConfig>) -> Event {
        if configs.is_empty() || configs.len() > MAX_RUNS {
            return Event::Failed {
                message: format!(
                    "asked to train {} networks; the worker trains 1 to {MAX_RUNS}",
                    configs.len()
                ),
            };
        }
        // Bytes from the page are checked like a slider value: a config that could not have
        // come from `TrainParams::check` is refused, and the current run goes on untouched.
        for (config, name) in configs.iter().zip(["A", "B"]) {
            if let Err(e) = config.validate() {
                return Event::Failed {
                    message: format!("run {name}'s settings were refused: {e}"),
                };
            }
        }
        // Each run fits (the check above); together, in compare mode, they must too.
        let needed = estimate_runs_bytes(&configs);
        if needed > MEMORY_BUDGET_BYTES {
            return Event::Failed {
                message: format!(
                    "these runs need about {} to train together; the lab's limit is {} — the \
                     current run goes on",
                    describe_bytes(needed),
                    describe_bytes(MEMORY_BUDGET_BYTES)
                ),
            };
        }
        let mut optimizer_reset = Vec::new();
        let restarted = if configs.len() == self.lanes.len() {
            let applied: Vec<Applied> = self
                .lanes
                .iter_mut()
                .zip(configs)
                .map(|(lane, config)| lane.trainer.apply(config))
                .collect();
            // Compared runs stay in lockstep: one network rebuilt starts the other over too.
            let any = applied.contains(&Applied::Rebuilt);
            for (lane, applied) in self.lanes.iter_mut().zip(&applied) {
                if *applied == Applied::Rebuilt {
                    lane.clear_log();
                } else if any {
                    lane.reset();
                }
            }
            if !any {
                optimizer_reset = applied
                    .iter()
                    .map(|a| *a == Applied::OptimizerReset)
                    .collect();
            }
            any
        } else {
            // The old lanes' logs serve the new lanes: never more than MAX_RUNS logs at once.
            self.spare_logs
                .extend(self.lanes.drain(..).map(|lane| lane.log));
            self.lanes = configs
                .into_iter()
                .map(|config| Lane::new(config, self.spare_logs.pop(), self.own.clone()))
                .collect();
            true
        };
        self.configured(restarted, optimizer_reset)
    }

    fn configured(&mut self, restarted: bool, optimizer_reset: Vec<bool>) -> Event {
        if restarted {
            self.run = self.run.wrapping_add(1);
        }
        let first = &self.lanes[0].trainer;
        Event::Configured(Configured {
            run: self.run,
            restarted,
            group_count: first.group_count() as u32,
            model: first.description().clone(),
            runs: self.lanes.len() as u32,
            step: first.step_count(),
            optimizer_reset,
            spectrum: restarted.then(|| first.recurrent_spectrum()).flatten(),
            own_text: first.uses_own_text(),
            own_series: first.uses_own_series(),
            own_points: first.uses_own_points(),
        })
    }

    /// Takes a reader's own text (folded and checked as the engine checks it) or forgets it.
    fn set_own_text(&mut self, text: Option<String>) -> Event {
        match text.as_deref().map(Corpus::from_text).transpose() {
            Ok(corpus) => self.set_own(OwnData {
                text: corpus.map(|(corpus, _)| corpus),
                ..self.own.clone()
            }),
            Err(e) => Event::Failed {
                message: format!("Your text was not used: {e}. Nothing changed."),
            },
        }
    }

    /// Takes a reader's own series (one column of a CSV, checked as the engine checks it) or
    /// forgets it.
    fn set_own_series(&mut self, input: Option<SeriesInput>) -> Event {
        let parsed = input
            .map(|i| OwnSeries::from_csv(&i.csv, i.column.map(|c| c as usize)))
            .transpose();
        match parsed {
            Ok(series) => self.set_own(OwnData {
                series: series.map(|(series, _)| series),
                ..self.own.clone()
            }),
            Err(e) => Event::Failed {
                message: format!("Your series was not used: {e}. Nothing changed."),
            },
        }
    }

    /// Takes a reader's own labelled points (a CSV of x, y, label, checked as the engine checks
    /// it) or forgets them.
    fn set_own_points(&mut self, csv: Option<String>) -> Event {
        match csv.as_deref().map(points_from_csv).transpose() {
            Ok(points) => self.set_own(OwnData {
                points: points.map(|(points, _)| points),
                ..self.own.clone()
            }),
            Err(e) => Event::Failed {
                message: format!("Your points were not used: {e}. Nothing changed."),
            },
        }
    }

    /// The reader's data from now on: a run training on (or asking for) data of theirs that
    /// changed starts over with it (compared runs together), any other goes on.
    fn set_own(&mut self, own: OwnData) -> Event {
        self.own = own;
        let rebuilt: Vec<bool> = self
            .lanes
            .iter_mut()
            .map(|lane| lane.trainer.set_own_data(self.own.clone()))
            .collect();
        // As `configure` does: a rebuilt network needs only an empty log; the other starts
        // over too, so compared runs stay in lockstep.
        let any = rebuilt.contains(&true);
        for (lane, rebuilt) in self.lanes.iter_mut().zip(rebuilt) {
            if rebuilt {
                lane.clear_log();
            } else if any {
                lane.reset();
            }
        }
        self.configured(any, Vec::new())
    }

    /// Steps every network that has not diverged, one step each per round, until `max_steps`
    /// rounds, the time budget, or every network has diverged. Peaks are gathered per block of
    /// `peak_stride` steps.
    fn train(
        &mut self,
        max_steps: u32,
        budget_ms: f64,
        peak_stride: u64,
        now: &mut dyn FnMut() -> f64,
    ) -> Chunk {
        let started = now();
        let mut runs: Vec<Progress> = self
            .lanes
            .iter()
            .map(|_| Progress {
                steps: Vec::new(),
                peaks: Vec::new(),
                last: None,
                diverged: None,
                spectrum: None,
                gradient_range: None,
                sample: None,
            })
            .collect();
        let first_steps: Vec<u64> = self.lanes.iter().map(|l| l.trainer.step_count()).collect();
        // The range chart's numbers: the chunk's first step (one pass over the gradients per
        // chunk, not per step).
        for lane in &mut self.lanes {
            lane.trainer.measure_gradient_range();
        }
        for _ in 0..max_steps {
            for (lane, progress) in self.lanes.iter_mut().zip(&mut runs) {
                let Ok(stats) = lane.trainer.step() else {
                    continue;
                };
                lane.log.record(&stats);
                progress.steps.push(StepSummary::from(&stats));
                let first_step = stats.step - stats.step % peak_stride;
                match progress.peaks.last_mut() {
                    Some(block) if block.first_step == first_step => block.merge(stats.profile()),
                    _ => {
                        let mut block = PeakBlock {
                            first_step,
                            norms: vec![f32::NEG_INFINITY; stats.profile().len()],
                        };
                        block.merge(stats.profile());
                        progress.peaks.push(block);
                    }
                }
                progress.last = Some(stats);
            }
            // A step fails only on a diverged network: stop once every network has.
            if self.lanes.iter().all(|l| l.trainer.diverged().is_some()) {
                break;
            }
            if now() - started >= budget_ms {
                break;
            }
        }
        // λ₁ and ρ at a measured cadence (far too dear per step, and at H 256 per chunk).
        if spectrum_due(self.spectrum_last, now()) {
            let started = now();
            let mut computed = false;
            for (lane, progress) in self.lanes.iter().zip(&mut runs) {
                if !progress.steps.is_empty() {
                    progress.spectrum = lane.trainer.recurrent_spectrum();
                    computed |= progress.spectrum.is_some();
                }
            }
            if computed {
                let finished = now();
                self.spectrum_last = Some((finished, finished - started));
            }
        }
        let writing_started = now();
        let may_write = due_within(self.sample_last, writing_started, SAMPLE_SHARE);
        let mut wrote = false;
        for (index, (lane, progress)) in self.lanes.iter_mut().zip(&mut runs).enumerate() {
            progress.diverged = lane.trainer.diverged();
            if !progress.steps.is_empty() {
                progress.gradient_range = Some(lane.trainer.gradient_range().clone());
            }
            let (from, to) = (first_steps[index], lane.trainer.step_count());
            let crossed = to > from && (from == 0 || from / SAMPLE_EVERY != to / SAMPLE_EVERY);
            // The run's first chunk always writes (its sample says what the untrained model
            // writes); later crossings when the share allows.
            if crossed && (from == 0 || may_write) && lane.trainer.writes_text() {
                wrote = true;
                let text = lane.trainer.language_sample(SAMPLE_LENGTH);
                progress.sample = Some(LmSample {
                    step: to,
                    known_words: text
                        .as_deref()
                        .map_or(0.0, |t| lane.trainer.known_word_share(t)),
                    text,
                });
            }
            lane.log.set_last(progress.last.clone());
        }
        if wrote {
            let finished = now();
            self.sample_last = Some((finished, finished - writing_started));
        }
        Chunk {
            run: self.run,
            runs,
            busy_ms: now() - started,
        }
    }

    /// A download: the log's CSV or JSON text, or run A's PyTorch folder zipped.
    fn export(&self, format: ExportFormat, download: &mut dyn Write) -> Event {
        let runs: Vec<Exported> = self
            .lanes
            .iter()
            .zip(["A", "B"])
            .map(|(lane, name)| Exported {
                name,
                config: lane.trainer.config(),
                log: &lane.log,
            })
            .collect();
        let mut parts = BufWriter::with_capacity(EXPORT_PART_BYTES, download);
        let written = match format {
            ExportFormat::Pytorch => write_pytorch(runs[0].config, &self.own, &mut parts),
            _ => write_export(&runs, format, &mut parts),
        };
        match written.and_then(|bytes| {
            parts.flush()?;
            Ok(bytes)
        }) {
            Ok(bytes) => Event::Exported { format, bytes },
            Err(e) => Event::Failed {
                message: format!("The download failed: {e}; the run and its log are kept."),
            },
        }
    }
}

/// Run A's "Reproduce in PyTorch" folder, zipped: its first [`pytorch::DEFAULT_STEPS`] steps
/// trained anew from step 0 with `config` (the log is not needed: the same settings give the
/// same steps). Returns the bytes written.
fn write_pytorch(config: &TrainConfig, own: &OwnData, out: &mut dyn Write) -> std::io::Result<u64> {
    let files = pytorch::pytorch_folder(config, own, pytorch::DEFAULT_STEPS)
        .map_err(std::io::Error::other)?;
    let zip = zip_folder(&pytorch::folder_name(config), &files)?;
    out.write_all(&zip)?;
    Ok(zip.len() as u64)
}

/// The folder as one zip (stored, uncompressed: `.npy` of float32 hardly compresses), every
/// path under `folder/`.
pub fn zip_folder(folder: &str, files: &[pytorch::ExportFile]) -> std::io::Result<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(false);
    for file in files {
        writer
            .start_file(format!("{folder}/{}", file.path), options)
            .map_err(std::io::Error::other)?;
        writer.write_all(&file.bytes)?;
    }
    Ok(writer.finish().map_err(std::io::Error::other)?.into_inner())
}
