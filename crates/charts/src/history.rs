//! A whole run's history at bounded size: what the loss and history charts draw.
//!
//! The run is cut into [`HISTORY_COLUMNS`] columns of `stride` steps each. When training passes
//! the last column, neighbouring columns merge pairwise and the stride doubles, so the charts
//! always show the run from step 0 and memory stays flat however long it trains. Each column
//! keeps the loss range and, per layer, the largest gradient norm seen (NaN wins, so an overflow
//! is never merged away). Heat-map colours are computed when a value arrives (and again only on
//! the rare merge), never per frame.

use super::palette::heat_colour;
use gradlab_engine::NonFinite;
#[cfg(test)]
use gradlab_protocol::PeakBlock;
use gradlab_protocol::{merge_peak, Progress};

/// Columns in the history charts.
pub const HISTORY_COLUMNS: usize = 240;

/// The loss over one column's steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossColumn {
    /// Smallest finite loss (`INFINITY` when none).
    pub min: f32,
    /// Largest finite loss (`NEG_INFINITY` when none).
    pub max: f32,
    /// Steps recorded in this column.
    pub steps: u32,
    /// Of which clipping acted on.
    pub clipped: u32,
    /// Of which were skipped (an inf or NaN gradient under loss scaling).
    pub skipped: u32,
    /// The smallest and largest loss scale S its steps used (`INFINITY`, `NEG_INFINITY` when
    /// it has none).
    pub scale: (f32, f32),
}

impl LossColumn {
    const EMPTY: LossColumn = LossColumn {
        min: f32::INFINITY,
        max: f32::NEG_INFINITY,
        steps: 0,
        clipped: 0,
        skipped: 0,
        scale: (f32::INFINITY, f32::NEG_INFINITY),
    };

    fn merge(&mut self, other: &LossColumn) {
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.steps += other.steps;
        self.clipped += other.clipped;
        self.skipped += other.skipped;
        self.scale = (
            self.scale.0.min(other.scale.0),
            self.scale.1.max(other.scale.1),
        );
    }
}

/// The history of one run.
#[derive(Clone, Debug)]
pub struct RunHistory {
    row_count: usize,
    stride: u64,
    loss: Vec<LossColumn>,
    /// Per column, per layer: peak pre-clip gradient norm (`NEG_INFINITY` = no data).
    peaks: Vec<f32>,
    /// RGBA image, `row_count` rows (output layer on top) × [`HISTORY_COLUMNS`] columns.
    image: Vec<u8>,
    steps: u64,
    clipped_steps: u64,
    skipped_steps: u64,
    /// Largest finite global gradient norm seen, before and after clipping.
    max_norms: (f32, f32),
    diverged: Option<NonFinite>,
}

impl RunHistory {
    /// An empty history with `row_count` rows (the profile: layers or time steps).
    pub fn new(row_count: usize) -> Self {
        Self {
            row_count,
            stride: 1,
            loss: vec![LossColumn::EMPTY; HISTORY_COLUMNS],
            peaks: vec![f32::NEG_INFINITY; HISTORY_COLUMNS * row_count],
            image: vec![0; HISTORY_COLUMNS * row_count * 4],
            steps: 0,
            clipped_steps: 0,
            skipped_steps: 0,
            max_norms: (0.0, 0.0),
            diverged: None,
        }
    }

    /// Weight layers.
    pub fn row_count(&self) -> usize {
        self.row_count
    }

    /// Steps per column.
    pub fn stride(&self) -> u64 {
        self.stride
    }

    /// The step at the right edge of the charts: `HISTORY_COLUMNS · stride`.
    pub fn x_extent(&self) -> u64 {
        HISTORY_COLUMNS as u64 * self.stride
    }

    /// Steps recorded.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Share of recorded steps that clipping acted on (0 before any step).
    pub fn clipped_share(&self) -> f64 {
        if self.steps == 0 {
            0.0
        } else {
            self.clipped_steps as f64 / self.steps as f64
        }
    }

    /// Steps whose update was skipped (under loss scaling).
    pub fn skipped_steps(&self) -> u64 {
        self.skipped_steps
    }

    /// The largest finite global gradient norm of the run, `(before, after)` clipping.
    pub fn max_norms(&self) -> (f32, f32) {
        self.max_norms
    }

    /// Where training diverged, if it has.
    pub fn diverged(&self) -> Option<NonFinite> {
        self.diverged
    }

    /// The loss columns, left to right.
    pub fn loss_columns(&self) -> &[LossColumn] {
        &self.loss
    }

    /// Columns where clipping acted: `(first step, end step, share of the column's steps)`.
    pub fn clipped_spans(&self) -> Vec<(f64, f64, f64)> {
        self.spans(|c| c.clipped)
    }

    /// Columns with skipped steps: `(first step, end step, share of the column's steps)`.
    pub fn skipped_spans(&self) -> Vec<(f64, f64, f64)> {
        self.spans(|c| c.skipped)
    }

    /// Columns where `count` is nonzero, with its share of the column's steps.
    fn spans(&self, count: impl Fn(&LossColumn) -> u32) -> Vec<(f64, f64, f64)> {
        let stride = self.stride as f64;
        self.loss
            .iter()
            .enumerate()
            .filter(|(_, c)| count(c) > 0)
            .map(|(i, c)| {
                (
                    i as f64 * stride,
                    (i + 1) as f64 * stride,
                    f64::from(count(c)) / f64::from(c.steps),
                )
            })
            .collect()
    }

    /// Peak gradient norm of `layer` in `column` (`None` when the column has no data yet).
    pub fn peak(&self, column: usize, layer: usize) -> Option<f32> {
        let v = self.peaks[column * self.row_count + layer];
        (v != f32::NEG_INFINITY).then_some(v)
    }

    /// The heat-map image: RGBA, `row_count` rows (row 0 = output layer) × `HISTORY_COLUMNS`.
    pub fn image(&self) -> &[u8] {
        &self.image
    }

    /// Records one chunk of training.
    pub fn record(&mut self, progress: &Progress) {
        let Some(last) = progress.steps.last() else {
            self.diverged = self.diverged.or(progress.diverged);
            return;
        };
        self.make_room(last.step);
        for s in &progress.steps {
            let column = &mut self.loss[(s.step / self.stride) as usize];
            if s.loss.is_finite() {
                column.min = column.min.min(s.loss);
                column.max = column.max.max(s.loss);
            }
            column.steps += 1;
            column.clipped += u32::from(s.clipped);
            column.skipped += u32::from(s.skipped);
            column.scale = (
                column.scale.0.min(s.loss_scale),
                column.scale.1.max(s.loss_scale),
            );
            self.clipped_steps += u64::from(s.clipped);
            self.skipped_steps += u64::from(s.skipped);
            // f32::max skips NaN: divergence is reported on its own.
            self.max_norms.0 = self.max_norms.0.max(s.global_norm);
            self.max_norms.1 = self.max_norms.1.max(s.global_norm_clipped);
        }
        self.steps += progress.steps.len() as u64;
        // Each block of steps lies inside one column: blocks were cut at the stride asked for,
        // and the stride only ever doubles from there.
        for block in &progress.peaks {
            let column = (block.first_step / self.stride) as usize;
            if column >= HISTORY_COLUMNS {
                continue;
            }
            for (layer, &value) in block.norms.iter().enumerate().take(self.row_count) {
                let peak = &mut self.peaks[column * self.row_count + layer];
                *peak = merge_peak(*peak, value);
            }
            self.paint_column(column);
        }
        self.diverged = self.diverged.or(progress.diverged);
    }

    /// Halves the resolution until `step` fits.
    fn make_room(&mut self, step: u64) {
        if step < self.x_extent() {
            return;
        }
        while step >= self.x_extent() {
            for column in 0..HISTORY_COLUMNS {
                let (a, b) = (2 * column, 2 * column + 1);
                let merged = if a < HISTORY_COLUMNS {
                    let mut m = self.loss[a];
                    if b < HISTORY_COLUMNS {
                        m.merge(&self.loss[b]);
                    }
                    m
                } else {
                    LossColumn::EMPTY
                };
                self.loss[column] = merged;
                for layer in 0..self.row_count {
                    let get = |c: usize| {
                        if c < HISTORY_COLUMNS {
                            self.peaks[c * self.row_count + layer]
                        } else {
                            f32::NEG_INFINITY
                        }
                    };
                    self.peaks[column * self.row_count + layer] = merge_peak(get(a), get(b));
                }
            }
            self.stride *= 2;
        }
        for column in 0..HISTORY_COLUMNS {
            self.paint_column(column);
        }
    }

    fn paint_column(&mut self, column: usize) {
        for layer in 0..self.row_count {
            let row = self.row_count - 1 - layer;
            let at = (row * HISTORY_COLUMNS + column) * 4;
            let rgba = match self.peak(column, layer) {
                Some(v) => heat_colour(v),
                None => [0, 0, 0, 0],
            };
            self.image[at..at + 4].copy_from_slice(&rgba);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gradlab_protocol::StepSummary;

    /// A chunk whose steps all fall in one peak block starting at its first step.
    fn chunk(steps: std::ops::Range<u64>, peaks: Vec<f32>) -> Progress {
        let first_step = steps.start;
        Progress {
            steps: steps
                .map(|step| StepSummary {
                    step,
                    loss: 1.0 / (step as f32 + 1.0),
                    global_norm: 1.0,
                    global_norm_clipped: 1.0,
                    clipped: step % 2 == 0,
                    loss_scale: 1.0,
                    skipped: false,
                })
                .collect(),
            peaks: vec![PeakBlock {
                first_step,
                norms: peaks,
            }],
            last: None,
            diverged: None,
            spectrum: None,
            gradient_range: None,
            sample: None,
        }
    }

    #[test]
    fn records_one_column_per_step_at_first() {
        let mut h = RunHistory::new(2);
        h.record(&chunk(0..3, vec![0.5, 2.0]));
        assert_eq!(h.stride(), 1);
        assert_eq!(h.steps(), 3);
        assert_eq!(h.loss_columns()[2].max, 1.0 / 3.0);
        assert_eq!(h.peak(0, 1), Some(2.0));
        assert_eq!(h.peak(3, 0), None);
        assert!((h.clipped_share() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(h.max_norms(), (1.0, 1.0));
        // Steps 0 and 2 were clipped: one tick each, the whole column.
        assert_eq!(h.clipped_spans(), vec![(0.0, 1.0, 1.0), (2.0, 3.0, 1.0)]);
    }

    /// 240 columns of 1 step, then step 240 arrives: stride 2, column c = old columns 2c, 2c+1.
    #[test]
    fn merges_pairwise_when_full_and_keeps_the_whole_run() {
        let mut h = RunHistory::new(1);
        for step in 0..240u64 {
            h.record(&chunk(step..step + 1, vec![step as f32]));
        }
        assert_eq!(h.stride(), 1);
        h.record(&chunk(240..241, vec![1000.0]));
        assert_eq!(h.stride(), 2);
        assert_eq!(h.peak(0, 0), Some(1.0));
        assert_eq!(h.peak(119, 0), Some(239.0));
        assert_eq!(h.peak(120, 0), Some(1000.0));
        assert_eq!(h.loss_columns()[0].steps, 2);
        assert_eq!(h.steps(), 241);
        // A million steps later the memory is the same and step 0 is still column 0.
        h.record(&chunk(1_000_000..1_000_001, vec![1.0]));
        assert!(h.x_extent() > 1_000_000);
        assert_eq!(h.image().len(), HISTORY_COLUMNS * 4);
        assert_eq!(h.loss_columns()[0].max, 1.0);
    }

    #[test]
    fn nan_survives_merging_and_paints_the_overflow_colour() {
        let mut h = RunHistory::new(1);
        h.record(&chunk(0..1, vec![f32::NAN]));
        h.record(&chunk(1..2, vec![3.0]));
        h.record(&chunk(500..501, vec![3.0]));
        assert!(h.peak(0, 0).unwrap().is_nan());
        assert_eq!(&h.image()[0..4], &heat_colour(f32::NAN));
    }

    /// One chunk spanning 100 columns with a spike in one step: only that step's column is hot.
    #[test]
    fn each_column_shows_its_own_steps() {
        let mut h = RunHistory::new(1);
        let mut progress = chunk(0..100, vec![]);
        progress.peaks = (0..100u64)
            .map(|step| PeakBlock {
                first_step: step,
                norms: vec![if step == 50 { 1e6 } else { 1.0 }],
            })
            .collect();
        h.record(&progress);
        assert_eq!(h.peak(50, 0), Some(1e6));
        assert!((0..100)
            .filter(|&c| c != 50)
            .all(|c| h.peak(c, 0) == Some(1.0)));
        assert_eq!(h.peak(100, 0), None);
    }

    #[test]
    fn output_layer_is_the_top_row() {
        let mut h = RunHistory::new(3);
        h.record(&chunk(0..1, vec![1e-6, 1.0, 1e6]));
        let row = |r: usize| &h.image()[r * HISTORY_COLUMNS * 4..r * HISTORY_COLUMNS * 4 + 4];
        assert_eq!(row(0), &heat_colour(1e6));
        assert_eq!(row(2), &heat_colour(1e-6));
    }
}
