//! The messages between the page and the training worker — the only types that cross.
//!
//! The page sends [`Command`]s, the worker answers each with exactly one [`Event`] (and sends
//! [`Event::Ready`] once, unasked, when its wasm has loaded: anything posted before that is lost,
//! so the page waits for it). Messages travel as postcard bytes in a transferred `ArrayBuffer`:
//! compact, fast, and — unlike JSON — NaN and ±Inf survive the trip, which matters in an app
//! about overflow.

use gradlab_engine::cliff::{Descent, Trajectory};
use gradlab_engine::precision::ValueRange;
use gradlab_engine::sweep::TileResult;
use gradlab_engine::{ModelDescription, NonFinite, StepStats, TrainConfig};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// Page → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Train these networks in lockstep — one, or two in compare mode (at most [`MAX_RUNS`]):
    /// live settings apply at the next step; anything else, or a different number of networks,
    /// starts every run over, so compared runs always stand at the same step.
    Configure(Vec<TrainConfig>),
    /// Start the current configuration over from step 0.
    Reset,
    /// Take up to `max_steps` steps (each network one step per step; never more than
    /// [`MAX_CHUNK_STEPS`], whatever is asked), stopping early once `budget_ms` of training time
    /// has passed or every network has diverged, and report them in one [`Chunk`], with peak
    /// gradient norms per block of `peak_stride` steps (the page's history column width).
    Train {
        max_steps: u32,
        budget_ms: f64,
        peak_stride: u64,
    },
    /// Send the whole run as text for a download.
    Export(ExportFormat),
    /// The reader's own text for the language model (`None`: forget it). The worker folds and
    /// checks it ([`gradlab_engine::language::Corpus::from_text`]); a run with `text = own`
    /// starts over on it. Answered with [`Event::Configured`].
    OwnText(Option<String>),
    /// The reader's own series for the series task (`None`: forget it), checked by the worker
    /// ([`gradlab_engine::own_series::OwnSeries::from_csv`]); a run with `series = own` starts
    /// over on it. Answered with [`Event::Configured`].
    OwnSeries(Option<SeriesInput>),
    /// The reader's own labelled points for the MLP, a CSV of x, y, label (`None`: forget
    /// them), checked by the worker ([`gradlab_engine::own_points::points_from_csv`]); a run
    /// with `dataset = own` starts over on them. Answered with [`Event::Configured`].
    OwnPoints(Option<String>),
    /// One tile of the trainability map: train `config` for `steps` steps and classify the run
    /// ([`gradlab_engine::sweep::measure`]). Independent of the run; answered with
    /// [`Event::Tile`]. The page's pool of map workers sends only these.
    Tile(Box<TileRequest>),
    /// Pascanu's cliff: the loss surface (when `columns × rows` is not zero) and gradient
    /// descents over it. Independent of the run; answered with [`Event::Cliff`].
    Cliff(CliffRequest),
}

/// One tile of the trainability map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TileRequest {
    /// The tile's configuration.
    pub config: TrainConfig,
    /// Steps to train (1 to [`MAX_TILE_STEPS`](gradlab_engine::sweep::MAX_TILE_STEPS)).
    pub steps: u32,
    /// Its column.
    pub column: u32,
    /// Its row.
    pub row: u32,
}

/// What the cliff map asks for (see [`gradlab_engine::cliff`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CliffRequest {
    /// Surface tiles along w (0: no surface).
    pub columns: u32,
    /// Surface tiles along b (0: no surface).
    pub rows: u32,
    /// Descents to run (at most [`MAX_CLIFF_DESCENTS`]).
    pub descents: Vec<Descent>,
}

/// Most surface tiles along one axis.
pub const MAX_CLIFF_TILES: u32 = 400;
/// Most descents in one request.
pub const MAX_CLIFF_DESCENTS: usize = 4;

/// The answer to [`Command::Cliff`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CliffAnswer {
    /// Surface tiles along w (0: none computed).
    pub columns: u32,
    /// Surface tiles along b.
    pub rows: u32,
    /// The loss at each tile centre, row-major from the lowest b.
    pub surface: Vec<f64>,
    /// One path per descent asked for, in order.
    pub trajectories: Vec<Trajectory>,
}

/// Most networks trained side by side.
pub const MAX_RUNS: usize = 2;

/// Most steps in one chunk, however many are asked for: the time budget ends a chunk only while
/// the worker's clock moves, and a chunk's answer must stay small (≈ 4 k steps is ~35 ms of the
/// fastest network here).
pub const MAX_CHUNK_STEPS: u32 = 4096;

/// What a download holds (see [`crate::export`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    /// One row per step and run.
    Csv,
    /// Settings, steps and the last step's statistics.
    Json,
    /// Run A's first steps as a folder PyTorch trains again, zipped ([`crate::pytorch`]).
    Pytorch,
}

impl ExportFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Pytorch => "zip",
        }
    }

    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Csv => "text/csv",
            Self::Json => "application/json",
            Self::Pytorch => "application/zip",
        }
    }
}

/// A reader's series as given: a CSV text and the column to read (1-based; `None`: the first
/// column numeric in every row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesInput {
    /// The CSV text (or a list of numbers, one a line).
    pub csv: String,
    /// The column, 1-based.
    pub column: Option<u32>,
}

/// Worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The worker's wasm is loaded and it listens. `version` is the release it was loaded from
    /// (the build's id, a hash of every file the build wrote; empty where unknown), `build`
    /// names its engine build ([`gradlab_engine::gemm::build_name`]: `simd128` or
    /// `simd128 + relaxed-simd`).
    ///
    /// Kept first, with `version` first: any release can read another's release id
    /// ([`ready_version`]) whatever else changed, and so say "a new version is available"
    /// instead of misreading the rest.
    Ready { version: String, build: String },
    /// A configuration is in force.
    Configured(Configured),
    /// Steps were taken (boxed: it is far larger than the other events).
    Progress(Box<Chunk>),
    /// The answer to [`Command::Export`], sent after the download's text, which went to the
    /// page in parts beside the events (raw UTF-8, never through this encoding).
    Exported { format: ExportFormat, bytes: u64 },
    /// A command could not be carried out.
    Failed { message: String },
    /// The cliff map's surface and paths.
    Cliff(Box<CliffAnswer>),
    /// One tile of the trainability map, measured.
    Tile(TileResult),
}

/// The answer to [`Command::Configure`] and [`Command::Reset`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Configured {
    /// Run number; it changes whenever the run restarts, so stale progress can be told apart.
    pub run: u32,
    /// Whether the run restarted from step 0.
    pub restarted: bool,
    /// Parameter groups in each network (compared networks share their shape).
    pub group_count: u32,
    /// What the model is: its groups' names, its profile axis and length (the page draws from
    /// this, never from the settings).
    pub model: ModelDescription,
    /// Networks training side by side.
    pub runs: u32,
    /// Steps already taken in this run.
    pub step: u64,
    /// Per run (A, then B): whether a change of optimizer kind started its optimizer's state
    /// over while the weights were kept (never set when the run restarted).
    pub optimizer_reset: Vec<bool>,
    /// Run A's λ₁ and ρ of `W_h` as built (an RNN's, on a restart), so the gauge reads before
    /// the first step: λ₁ of the initial weights is what predicts the explosion.
    pub spectrum: Option<(f64, f64)>,
    /// Whether run A trains on the reader's own text (false when its settings ask for it and
    /// the worker has none: it trains on the shipped text).
    #[serde(default)]
    pub own_text: bool,
    /// Whether run A trains on the reader's own series (false when its settings ask for it and
    /// the worker has none, or it is too short for the run's windows).
    #[serde(default)]
    pub own_series: bool,
    /// Whether run A fits the reader's own points (false when its settings ask for them and the
    /// worker has none: it fits the circle).
    #[serde(default)]
    pub own_points: bool,
}

/// The scalar numbers of one step: what the loss chart and status line need for every step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepSummary {
    /// Step index.
    pub step: u64,
    /// Loss.
    pub loss: f32,
    /// Global gradient norm before clipping.
    pub global_norm: f32,
    /// Global gradient norm after clipping.
    pub global_norm_clipped: f32,
    /// Whether clipping changed the gradient.
    pub clipped: bool,
    /// The loss scale S the step's backward pass used (1 without loss scaling).
    pub loss_scale: f32,
    /// Whether its update was skipped (an inf or NaN gradient under loss scaling).
    pub skipped: bool,
}

impl From<&StepStats> for StepSummary {
    fn from(s: &StepStats) -> Self {
        Self {
            step: s.step,
            loss: s.loss as f32,
            global_norm: s.global_norm as f32,
            global_norm_clipped: s.global_norm_clipped as f32,
            clipped: s.clipped,
            loss_scale: s.loss_scale as f32,
            skipped: s.skipped,
        }
    }
}

/// The answer to [`Command::Train`]: one chunk of steps of every network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// The run these steps belong to.
    pub run: u32,
    /// One entry per network, in the order they were configured.
    pub runs: Vec<Progress>,
    /// Milliseconds the worker spent training this chunk.
    pub busy_ms: f64,
}

/// One network's steps in a [`Chunk`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Every step taken, in order.
    pub steps: Vec<StepSummary>,
    /// Peak profile norms per block of `peak_stride` steps, in step order: one entry for each
    /// block these steps touched, so the history shows each column's own steps. The profile is
    /// [`StepStats::profile`]: per-layer gradient norms (MLP) or ‖∂L/∂h_t‖ per time step (RNN).
    pub peaks: Vec<PeakBlock>,
    /// For an RNN, `(λ₁, ρ)` of the recurrent matrix after the chunk's last step.
    pub spectrum: Option<(f64, f64)>,
    /// Where the chunk's first step's gradients fell on the number line, as its backward pass
    /// held them (scaled, in the compute format); `None` when the chunk took no step.
    pub gradient_range: Option<ValueRange>,
    /// For a language model, a sample written by its weights after this chunk, when the chunk
    /// crossed a multiple of [`SAMPLE_EVERY`] steps (or started the run).
    pub sample: Option<LmSample>,
    /// Full statistics of the last step taken.
    pub last: Option<StepStats>,
    /// Set once training has diverged (on this chunk or before).
    pub diverged: Option<NonFinite>,
}

/// Steps between a language model's live samples.
pub const SAMPLE_EVERY: u64 = 50;
/// Characters in a live sample.
pub const SAMPLE_LENGTH: usize = 160;
/// Most of the worker's time that live samples may take. An RNN's 160 characters cost about a
/// millisecond, so it writes every [`SAMPLE_EVERY`] steps; a Transformer's cost a forward pass
/// per character (T1: ~4 training steps' worth), so at a crossing it writes only once this
/// share of the time since its last sample covers what that one cost.
pub const SAMPLE_SHARE: f64 = 0.02;

/// Text a language model wrote (see [`gradlab_engine::language::sample`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LmSample {
    /// Steps the model had taken when it wrote it.
    pub step: u64,
    /// The text; `None` when the weights are no longer finite and it can write nothing.
    pub text: Option<String>,
    /// The share of its words that are words of the training text.
    pub known_words: f64,
}

/// The largest profile norm (see [`Progress::peaks`]) over one block of steps, `first_step` to
/// `first_step + peak_stride − 1` (NaN wins, so an overflow is never averaged away).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeakBlock {
    /// The block's first step: a multiple of the `peak_stride` asked for.
    pub first_step: u64,
    /// Per row of the history: layer (input side first) or time step (earliest first).
    pub norms: Vec<f32>,
}

impl PeakBlock {
    /// Folds one step's per-group norms into the block.
    pub fn merge(&mut self, norms: &[f64]) {
        for (peak, &norm) in self.norms.iter_mut().zip(norms) {
            *peak = merge_peak(*peak, norm as f32);
        }
    }
}

/// Combines two peak gradient norms: the larger, except that NaN wins — a layer that overflowed
/// must show as overflowed however it is merged.
pub fn merge_peak(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else {
        a.max(b)
    }
}

/// A message that could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed message: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Encodes a message as bytes, into one buffer of exactly its size (a download's text can be
/// tens of MB: no doubling copies, and no abort when memory is short — an error instead).
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, EncodeError> {
    let failed = |e: postcard::Error| EncodeError(e.to_string());
    let size = postcard::experimental::serialized_size(message).map_err(failed)?;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(size).map_err(|_| {
        EncodeError(format!(
            "a message of {:.0} MB does not fit in memory",
            size as f64 / 1e6
        ))
    })?;
    postcard::to_extend(message, bytes).map_err(failed)
}

/// A message that could not be encoded (only when memory is short).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError(pub String);

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

/// Decodes a message from bytes.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    postcard::from_bytes(bytes).map_err(|e| DecodeError(e.to_string()))
}

/// The release id in a worker's [`Event::Ready`], read from its bytes alone: the variant's
/// index and the first field, which every release encodes alike (postcard: a varint, then a
/// length-prefixed string). `None` for any other message.
pub fn ready_version(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct ReadyPrefix {
        variant: u32,
        version: String,
    }
    match postcard::take_from_bytes::<ReadyPrefix>(bytes) {
        Ok((
            ReadyPrefix {
                variant: 0,
                version,
            },
            _,
        )) => Some(version),
        _ => None,
    }
}

/// Whether a worker of release `worker` belongs to another release than the page's: both
/// known and different (an unknown id — a development build — is taken as the same).
pub fn other_release(page: &str, worker: &str) -> bool {
    !page.is_empty() && !worker.is_empty() && page != worker
}

#[cfg(test)]
mod tests {
    use super::*;
    use gradlab_engine::{Quantity, TrainParams, Trainer};

    #[test]
    fn commands_round_trip() {
        let config = TrainParams::default().check().unwrap();
        for command in [
            Command::Configure(vec![config]),
            Command::Configure(vec![config, config]),
            Command::Reset,
            Command::Export(ExportFormat::Json),
            Command::Train {
                max_steps: 500,
                budget_ms: 12.5,
                peak_stride: 4,
            },
        ] {
            let bytes = encode(&command).unwrap();
            assert_eq!(bytes.capacity(), bytes.len(), "exactly sized");
            assert_eq!(decode::<Command>(&bytes).unwrap(), command);
        }
    }

    /// NaN and ±Inf survive (JSON would turn them into null).
    #[test]
    fn non_finite_numbers_survive_the_trip() {
        let mut stats = Trainer::new(TrainParams::default().check().unwrap())
            .step()
            .unwrap();
        stats.loss = f64::NAN;
        stats.grad_norms[0] = f64::INFINITY;
        stats.non_finite = Some(NonFinite {
            step: 0,
            layer: Some(0),
            quantity: Quantity::Gradient,
            axis: gradlab_engine::ProfileAxis::Layers,
        });
        let event = Event::Progress(Box::new(Chunk {
            run: 3,
            runs: vec![Progress {
                steps: vec![StepSummary::from(&stats)],
                peaks: vec![PeakBlock {
                    first_step: 0,
                    norms: vec![f32::NAN, f32::NEG_INFINITY],
                }],
                last: Some(stats),
                diverged: None,
                spectrum: None,
                gradient_range: Some(gradlab_engine::precision::ValueRange {
                    zeros: 1,
                    non_finite: 2,
                    bins: vec![3; gradlab_engine::precision::ValueRange::BINS],
                    ..Default::default()
                }),
                sample: None,
            }],
            busy_ms: 1.0,
        }));
        let Event::Progress(chunk) = decode::<Event>(&encode(&event).unwrap()).unwrap() else {
            panic!("wrong variant")
        };
        let back = &chunk.runs[0];
        let last = back.last.clone().unwrap();
        assert!(last.loss.is_nan() && back.steps[0].loss.is_nan());
        assert_eq!(last.grad_norms[0], f64::INFINITY);
        assert!(back.peaks[0].norms[0].is_nan());
        assert_eq!(back.peaks[0].norms[1], f32::NEG_INFINITY);
        let range = back.gradient_range.as_ref().unwrap();
        assert_eq!((range.zeros, range.non_finite), (1, 2));
        assert_eq!(
            range.bins.len(),
            gradlab_engine::precision::ValueRange::BINS
        );
    }

    #[test]
    fn nan_wins_the_peak() {
        assert!(merge_peak(1.0, f32::NAN).is_nan());
        assert!(merge_peak(f32::NAN, 1.0).is_nan());
        assert_eq!(merge_peak(f32::NEG_INFINITY, 2.0), 2.0);
        assert_eq!(merge_peak(3.0, f32::INFINITY), f32::INFINITY);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode::<Command>(&[0xff, 0xff, 0xff]).is_err());
        assert!(decode::<Event>(&[]).is_err());
    }

    /// A worker of another release is recognised from its first message even when the rest of
    /// that message no longer reads: here a `Ready` with a field this release does not know
    /// (bytes a later protocol could send) between the two it does.
    #[test]
    fn another_release_is_recognised_whatever_follows() {
        let ready = Event::Ready {
            version: "1f0c2a9b".into(),
            build: "simd128".into(),
        };
        let mut bytes = encode(&ready).unwrap();
        assert_eq!(
            bytes[0], 0,
            "Ready is the first variant, as in every release"
        );
        assert_eq!(ready_version(&bytes).as_deref(), Some("1f0c2a9b"));
        let version_end = 2 + "1f0c2a9b".len();
        bytes.splice(version_end..version_end, [5, 0xff, 0xfe, 0xff, 0xfe, 0xff]);
        assert!(
            decode::<Event>(&bytes).is_err(),
            "the new field does not read here"
        );
        assert_eq!(ready_version(&bytes).as_deref(), Some("1f0c2a9b"));
        let failed = encode(&Event::Failed {
            message: "x".into(),
        })
        .unwrap();
        assert_eq!(ready_version(&failed), None);
        assert_eq!(ready_version(&[]), None);
        assert!(other_release("1f0c2a9b", "77aa0000"));
        assert!(!other_release("1f0c2a9b", "1f0c2a9b"));
        assert!(
            !other_release("", "77aa0000"),
            "a development page is never outdated"
        );
        assert!(!other_release("1f0c2a9b", ""));
    }
}
