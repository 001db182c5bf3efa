//! The page's state: a small `Copy` struct of signals, provided as context.
//!
//! Reactive signals hold what the DOM shows (controls, status, table); the [`Session`] — run
//! history, the worker bridge, in-flight bookkeeping — is plain data in a local `StoredValue`,
//! read by the frame loop, so thousands of steps per second never touch the reactive graph.

use super::bridge::Bridge;
use super::own_data::OwnState;
use gradlab_charts::history::RunHistory;
use gradlab_engine::precision::ValueRange;
use gradlab_engine::sweep::TileResult;
use gradlab_engine::{ModelDescription, NonFinite, StepStats, TrainConfig, TrainParams};
use gradlab_protocol::compare::Variant;
use gradlab_protocol::lesson::Lesson;
use gradlab_protocol::link::{CliffLink, Embed, PhaseLink};
use gradlab_protocol::pacing::Pacer;
use gradlab_protocol::{CliffAnswer, LmSample};
use leptos::prelude::*;
use std::collections::VecDeque;

/// Steps per animation frame offered by the speed control; 0 means "as fast as possible".
pub const SPEEDS: [u32; gradlab_protocol::link::SPEED_POSITIONS] =
    [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 0];
/// The speed the page starts at.
pub const DEFAULT_SPEED: usize = 6;

/// What the per-layer chart plots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarsQuantity {
    /// ‖∂L/∂W_l‖ before and after clipping.
    Gradient,
    /// ‖δ_l‖, the back-propagated error, with the mean-field prediction.
    Delta,
    /// ‖ΔW_l‖/‖W_l‖, with the 10⁻³ rule of thumb.
    UpdateRatio,
    /// ‖ΔW_l‖ itself: what the optimizer moved.
    UpdateNorm,
}

impl BarsQuantity {
    /// Every view, in the order of [`gradlab_protocol::link::VIEWS`], which names them.
    const ALL: [BarsQuantity; 4] = [
        Self::Gradient,
        Self::Delta,
        Self::UpdateRatio,
        Self::UpdateNorm,
    ];

    /// Its name in links and lesson files.
    pub fn name(self) -> &'static str {
        gradlab_protocol::link::VIEWS[self as usize]
    }

    /// The view called `name`; the weight gradient for anything else.
    pub fn from_name(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|q| q.name() == name)
            .unwrap_or(Self::Gradient)
    }
}

/// How the training worker is doing.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkerState {
    /// Its wasm is loading.
    Loading,
    /// It answers.
    Ready,
    /// It stopped with this error.
    Failed(String),
    /// The server has a new release of gradlab: this page must be reloaded before it trains
    /// again (its workers are stopped; see [`super::release`]).
    Outdated,
}

/// The lesson file, as far as it has loaded.
#[derive(Clone, Debug, PartialEq)]
pub enum Lessons {
    /// Still fetching.
    Loading,
    /// Read and checked.
    Ready(Vec<Lesson>),
    /// Could not be used, and why.
    Failed(String),
}

/// The charts' text equivalents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartSummaries {
    /// The loss chart.
    pub loss: String,
    /// The gradient history heat map.
    pub history: String,
    /// The range chart.
    pub range: String,
}

/// Compare mode's second run, as the read-outs show it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunReadout {
    /// Statistics of its newest step.
    pub shown: Option<StepStats>,
    /// Steps it has taken.
    pub steps: u64,
    /// Share of its steps that clipping acted on.
    pub clipped_share: f64,
    /// Where it diverged, if it has.
    pub diverged: Option<NonFinite>,
}

/// The trainability map's progress: one slot per tile (row by row), filled as workers finish.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhaseTiles {
    /// The map these tiles belong to.
    pub map: Option<PhaseLink>,
    /// Each tile's result, once in.
    pub tiles: Vec<Option<TileResult>>,
    /// Workers computing it (0 once finished or cancelled).
    pub workers: usize,
    /// Whether it was cancelled before every tile was in.
    pub cancelled: bool,
    /// Tiles whose settings or worker failed, with the reason of the last.
    pub failed: Option<(usize, String)>,
    /// Tiles refused as too big to train within the lab's memory (indices into `tiles`), and
    /// the reason of the last.
    pub too_big: Vec<usize>,
    pub too_big_why: String,
}

/// Everything the components share.
#[derive(Clone, Copy)]
pub struct Lab {
    /// The controls' values, raw.
    pub params: RwSignal<TrainParams>,
    /// Messages about settings that had to be corrected.
    pub notices: RwSignal<Vec<String>>,
    /// Whether training runs.
    pub playing: RwSignal<bool>,
    /// Index into [`SPEEDS`].
    pub speed: RwSignal<usize>,
    /// The worker's state.
    pub worker: RwSignal<WorkerState>,
    /// Where training (run A) diverged, if it has.
    pub diverged: RwSignal<Option<NonFinite>>,
    /// Whether a training request is on its way to the worker or back (after Pause, steps can
    /// still arrive until it is false).
    pub busy: RwSignal<bool>,
    /// Whether every run has diverged, so nothing is left to train.
    pub halted: RwSignal<bool>,
    /// Compare mode: what run B changes (None: compare mode off).
    pub compare: RwSignal<Option<Variant>>,
    /// Run B's read-outs in compare mode.
    pub second: RwSignal<Option<RunReadout>>,
    /// The lessons.
    pub lessons: RwSignal<Lessons>,
    /// The open lesson (index), if any.
    pub lesson: RwSignal<Option<usize>>,
    /// Id of the page element a lesson points at.
    pub highlight: RwSignal<Option<String>>,
    /// The statistics shown in the table and status (refreshed a few times a second).
    pub shown: RwSignal<Option<StepStats>>,
    /// Steps taken in this run.
    pub step_count: RwSignal<u64>,
    /// Measured steps per second.
    pub throughput: RwSignal<f64>,
    /// Share of this run's steps that clipping acted on.
    pub clipped_share: RwSignal<f64>,
    /// This run's steps whose update was skipped (loss scaling met an inf or NaN).
    pub skipped_steps: RwSignal<u64>,
    /// The run's largest global gradient norm, `(before, after)` clipping.
    pub max_norms: RwSignal<(f64, f64)>,
    /// Performance figures for the benchmark (`#perf-probe`).
    pub perf: RwSignal<PerfReadout>,
    /// What the per-layer chart shows.
    pub bars_quantity: RwSignal<BarsQuantity>,
    /// Controls hidden by the link (teacher mode).
    pub hidden: RwSignal<Vec<&'static str>>,
    /// The presenter view: charts and numbers large, controls on keys (`present=1`, key P).
    pub presenting: RwSignal<bool>,
    /// Embedded in another page (`embed=1`): which charts and controls show.
    pub embed: RwSignal<Option<Embed>>,
    /// Parameter groups of the current network (an MLP's weight layers).
    pub group_count: RwSignal<usize>,
    /// What the current network is (groups, profile axis), as the worker described it.
    pub model: RwSignal<ModelDescription>,
    /// For an RNN, `(λ₁, ρ)` of the recurrent matrix at the newest chunk.
    pub spectrum: RwSignal<Option<(f64, f64)>>,
    /// The loss and history charts in words (their text equivalents), refreshed with the
    /// read-outs.
    pub chart_summaries: RwSignal<ChartSummaries>,
    /// For a language model, the newest sample of run A and (compare mode) run B.
    pub samples: RwSignal<Vec<Option<LmSample>>>,
    /// The reader's own text for the language model: what folding did to it, or why not.
    pub own_text: RwSignal<OwnState>,
    /// The reader's own series for the series task: what was read, or why not.
    pub own_series: RwSignal<OwnState>,
    /// The reader's own points for the MLP: what was read, or why not.
    pub own_points: RwSignal<OwnState>,
    /// Pascanu's cliff map, when open: its start, rate and threshold.
    pub cliff: RwSignal<Option<CliffLink>>,
    /// The cliff map's surface and paths, as the worker computed them.
    pub cliff_answer: RwSignal<Option<CliffAnswer>>,
    /// The trainability map, when open: its axes and steps per tile.
    pub phase: RwSignal<Option<PhaseLink>>,
    /// The trainability map's tiles as they finish.
    pub phase_tiles: RwSignal<PhaseTiles>,
    /// Which build of the engine the worker runs, once it has said (`Event::Ready`).
    pub engine_build: RwSignal<Option<String>>,
    /// Non-reactive run data.
    pub session: StoredValue<Session, LocalStorage>,
}

/// One network's run as the page keeps it: A, and B in compare mode.
pub struct Trace {
    /// The whole run, bounded.
    pub history: RunHistory,
    /// Full statistics of the newest step.
    pub latest: Option<StepStats>,
    /// For an RNN, `(λ₁, ρ)` of the recurrent matrix at the newest chunk.
    pub spectrum: Option<(f64, f64)>,
    /// For a language model, the newest sample it wrote.
    pub sample: Option<LmSample>,
    /// Where the newest step's gradients fell on the number line.
    pub gradient_range: Option<ValueRange>,
}

impl Trace {
    /// An empty run whose history has `rows` rows (the model's profile length).
    pub fn new(rows: usize) -> Self {
        Self {
            history: RunHistory::new(rows),
            latest: None,
            spectrum: None,
            sample: None,
            gradient_range: None,
        }
    }
}

/// Run data the frame loop reads and the worker's events write.
pub struct Session {
    /// Run A, then run B in compare mode.
    pub traces: Vec<Trace>,
    /// The configurations last sent (or to send once the worker is ready), A first.
    pub configs: Vec<TrainConfig>,
    /// The worker, once spawned.
    pub bridge: Option<Bridge>,
    /// Commands awaiting their answer, and what to ask for next.
    pub pacer: Pacer,
    /// The run whose progress is current.
    pub run: u32,
    /// Bumped whenever the history changes; charts repaint when it moves.
    pub version: u64,
    /// Steps received recently, for the speed read-out: `(time ms, steps)`.
    pub recent: VecDeque<(f64, u64)>,
    /// Performance bookkeeping.
    pub perf: Perf,
    /// What the per-layer chart plots (mirrors the signal, for the frame loop).
    pub bars_quantity: BarsQuantity,
    /// When the reactive read-outs were last refreshed (ms).
    pub last_refresh: f64,
    /// The loss chart's baseline: the model's, as the worker described it.
    pub baseline: Option<f64>,
    /// When the address bar was last written (ms), and whether a later write is scheduled.
    pub address_written: f64,
    pub address_pending: bool,
}

impl Lab {
    /// Fresh state for `params`.
    pub fn new(params: TrainParams) -> Self {
        let (config, _) = params.repair();
        let model = config.net.model.describe();
        let group_count = model.group_names.len();
        let rows = model.profile_len;
        Self {
            params: RwSignal::new(params),
            notices: RwSignal::new(Vec::new()),
            playing: RwSignal::new(false),
            speed: RwSignal::new(DEFAULT_SPEED),
            worker: RwSignal::new(WorkerState::Loading),
            diverged: RwSignal::new(None),
            busy: RwSignal::new(false),
            halted: RwSignal::new(false),
            compare: RwSignal::new(None),
            second: RwSignal::new(None),
            lessons: RwSignal::new(Lessons::Loading),
            lesson: RwSignal::new(None),
            highlight: RwSignal::new(None),
            shown: RwSignal::new(None),
            step_count: RwSignal::new(0),
            throughput: RwSignal::new(0.0),
            clipped_share: RwSignal::new(0.0),
            skipped_steps: RwSignal::new(0),
            max_norms: RwSignal::new((0.0, 0.0)),
            perf: RwSignal::new(PerfReadout::default()),
            engine_build: RwSignal::new(None),
            bars_quantity: RwSignal::new(BarsQuantity::Gradient),
            hidden: RwSignal::new(Vec::new()),
            presenting: RwSignal::new(false),
            embed: RwSignal::new(None),
            group_count: RwSignal::new(group_count),
            model: RwSignal::new(model),
            spectrum: RwSignal::new(None),
            samples: RwSignal::new(Vec::new()),
            own_text: RwSignal::new(OwnState::default()),
            own_series: RwSignal::new(OwnState::default()),
            own_points: RwSignal::new(OwnState::default()),
            chart_summaries: RwSignal::new(ChartSummaries::default()),
            cliff: RwSignal::new(None),
            cliff_answer: RwSignal::new(None),
            phase: RwSignal::new(None),
            phase_tiles: RwSignal::new(PhaseTiles::default()),
            session: StoredValue::new_local(Session {
                traces: vec![Trace::new(rows)],
                configs: vec![config],
                bridge: None,
                pacer: Pacer::default(),
                run: 0,
                version: 0,
                recent: VecDeque::new(),
                last_refresh: f64::NEG_INFINITY,
                baseline: None,
                address_written: f64::NEG_INFINITY,
                address_pending: false,
                bars_quantity: BarsQuantity::Gradient,
                perf: Perf::default(),
            }),
        }
    }
}

/// How far a control change has travelled toward the charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Travel {
    /// Sent to the worker.
    Sent,
    /// The worker confirmed it (everything it trains from now on uses it).
    Applied,
    /// A chunk trained with it has arrived; the next paint shows it.
    Trained,
}

/// Latency samples kept.
const LATENCY_SAMPLES: usize = 64;

/// Performance bookkeeping the benchmark reads through `#perf-probe`.
#[derive(Debug, Default)]
pub struct Perf {
    /// Steps the worker trained this run…
    pub engine_steps: u64,
    /// …and the milliseconds it spent on them.
    pub engine_ms: f64,
    /// The latest control change on its way to the charts: `(when, how far)`.
    pub pending: Option<(f64, Travel)>,
    /// Control → chart latencies in ms, newest last.
    pub latencies: VecDeque<f64>,
    /// When the first chart was drawn, in ms since the page started loading.
    pub first_chart_ms: Option<f64>,
    /// When the worker first said it was ready, in ms since the page started loading.
    pub ready_ms: Option<f64>,
    /// Milliseconds spent in recent paints that drew something (newest last, bounded).
    pub paint_ms: VecDeque<f64>,
    /// Paints that drew something.
    pub paints: u64,
    /// When the charts were last drawn (ms), if ever.
    pub last_paint_at: Option<f64>,
}

impl Perf {
    /// A control changed at `t`.
    pub fn control_changed(&mut self, t: f64) {
        self.pending = Some((t, Travel::Sent));
    }

    /// Moves a pending change from `from` to `to`.
    pub fn advance(&mut self, from: Travel, to: Travel) {
        if let Some((t, stage)) = self.pending {
            if stage == from {
                self.pending = Some((t, to));
            }
        }
    }

    /// The charts were painted at `t`.
    /// The charts were drawn at `t`, taking `took` ms.
    pub fn painted(&mut self, t: f64, took: f64) {
        if self.paint_ms.len() == PAINT_SAMPLES {
            self.paint_ms.pop_front();
        }
        self.paint_ms.push_back(took);
        self.paints += 1;
        self.last_paint_at = Some(t);
        self.first_chart_ms.get_or_insert(t);
        if let Some((t0, Travel::Trained)) = self.pending {
            if self.latencies.len() == LATENCY_SAMPLES {
                self.latencies.pop_front();
            }
            self.latencies.push_back(t - t0);
            self.pending = None;
        }
    }
}

/// Paint times kept for the read-out.
const PAINT_SAMPLES: usize = 240;

impl Perf {
    /// Median and 95th percentile of recent paint times (ms), `(0, 0)` before any.
    pub fn paint_percentiles(&self) -> (f64, f64) {
        let mut sorted: Vec<f64> = self.paint_ms.iter().copied().collect();
        if sorted.is_empty() {
            return (0.0, 0.0);
        }
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        (at(0.5), at(0.95))
    }
}

/// The performance figures as the page publishes them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PerfReadout {
    /// Control → chart latencies (ms), comma-separated.
    pub latencies: String,
    /// First chart drawn at (ms since navigation), 0 before.
    pub first_chart_ms: f64,
    /// Worker ready at (ms since navigation), 0 before.
    pub ready_ms: f64,
    /// Steps the worker trained this run, and the ms it spent on them.
    pub engine: (u64, f64),
    /// Recent paint times (ms): median and 95th percentile.
    pub paint_ms: (f64, f64),
    /// Paints that drew something.
    pub paints: u64,
}

impl Lab {
    /// Whether the link hid the control with this id (teacher mode).
    /// Hidden by teacher mode, or left out of an embedded lab's controls.
    pub fn is_hidden(&self, id: &str) -> bool {
        self.hidden.with(|h| h.contains(&id))
            || self
                .embed
                .with(|e| e.as_ref().is_some_and(|e| !e.controls.contains(&id)))
    }

    /// Whether the chart of this link name ([`gradlab_protocol::link::EMBED_CHARTS`]) shows: always, unless the
    /// lab is embedded and its link does not name it.
    pub fn shows_chart(&self, name: &str) -> bool {
        self.embed
            .with(|e| e.as_ref().is_none_or(|e| e.charts.contains(&name)))
    }
}

impl PerfReadout {
    /// Steps per second of worker time (training only, no messaging).
    pub fn engine_rate(&self) -> f64 {
        let (steps, ms) = self.engine;
        if ms > 0.0 {
            steps as f64 * 1000.0 / ms
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn views_are_named_as_links_name_them() {
        for (i, name) in gradlab_protocol::link::VIEWS.iter().enumerate() {
            assert_eq!(BarsQuantity::ALL[i].name(), *name);
            assert_eq!(BarsQuantity::from_name(name), BarsQuantity::ALL[i]);
        }
        assert_eq!(BarsQuantity::from_name("nonsense"), BarsQuantity::Gradient);
    }

    #[wasm_bindgen_test]
    fn latency_counts_from_the_change_to_the_paint_after_trained_data() {
        let mut perf = Perf::default();
        perf.painted(5.0, 1.0);
        assert_eq!(perf.first_chart_ms, Some(5.0));
        perf.control_changed(100.0);
        perf.painted(110.0, 1.0); // the worker has not applied it yet
        perf.advance(Travel::Sent, Travel::Applied);
        perf.advance(Travel::Applied, Travel::Trained);
        perf.painted(140.0, 1.0);
        assert_eq!(perf.latencies, VecDeque::from([40.0]));
        assert_eq!(perf.pending, None);
        assert_eq!(perf.first_chart_ms, Some(5.0));
        // A stage cannot be skipped.
        perf.control_changed(200.0);
        perf.advance(Travel::Applied, Travel::Trained);
        perf.painted(210.0, 1.0);
        assert_eq!(perf.latencies.len(), 1);
    }

    #[wasm_bindgen_test]
    fn paint_percentiles_are_of_the_newest_paints() {
        let mut perf = Perf::default();
        assert_eq!(perf.paint_percentiles(), (0.0, 0.0));
        for (i, took) in (0..PAINT_SAMPLES + 20).map(|i| (i, if i < 20 { 100.0 } else { 1.0 })) {
            perf.painted(i as f64, took);
        }
        // The 20 slow paints fell out of the window.
        assert_eq!(perf.paint_ms.len(), PAINT_SAMPLES);
        assert_eq!(perf.paint_percentiles(), (1.0, 1.0));
        perf.painted(0.0, 9.0);
        assert_eq!(perf.paint_percentiles().0, 1.0);
    }
}
