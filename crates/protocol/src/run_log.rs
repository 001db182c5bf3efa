//! Every step's numbers, kept beside each trainer for a download: [`RunLog`] and its [`Row`].
//!
//! The page's `RunHistory` (gradlab-charts) is decimated for drawing; a download needs the
//! steps themselves. Memory is bounded: a log holds at most [`MAX_NUMBERS`]
//! numbers in one buffer reserved once; past that, every second row is dropped and only every
//! second step is recorded from then on (the `step` column shows which), so a run of millions
//! of steps still exports its whole span. The text formats are [`crate::export`]'s.

use gradlab_engine::{StepStats, Trainer};
use serde::Serialize;

/// Most numbers one log holds (≈ 16 MB of `f32`).
pub const MAX_NUMBERS: usize = (gradlab_engine::memory::RUN_LOG_BYTES / 4) as usize;

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
    /// The learning rate the step used (η times the schedule's factor).
    #[serde(rename = "lr")]
    pub learning_rate: f32,
    /// The loss scale S the step's backward pass used (1 without loss scaling).
    pub loss_scale: f32,
    /// Whether the step's update was skipped (an inf or NaN gradient under loss scaling).
    pub skipped: bool,
    /// For a Transformer, ‖∂L/∂x_l‖ per block, the first block first (empty for the others).
    #[serde(skip_serializing_if = "<[f32]>::is_empty")]
    pub block_norms: &'a [f32],
    /// For a Transformer, each head's largest attention logit, block by block.
    #[serde(skip_serializing_if = "<[f32]>::is_empty")]
    pub attn_logit_max: &'a [f32],
    /// For a Transformer, each head's mean attention entropy (nats), block by block.
    #[serde(skip_serializing_if = "<[f32]>::is_empty")]
    pub attn_entropy: &'a [f32],
}

/// What a log's rows hold besides their scalars, for one network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowShape {
    /// Parameter groups (norms before and after clipping, and ‖ΔW‖, each).
    pub groups: usize,
    /// An RNN's time steps (‖∂L/∂h_t‖ each); 0 for the other models.
    pub time_steps: usize,
    /// A Transformer's blocks (‖∂L/∂x_l‖ each); 0 for the other models.
    pub blocks: usize,
    /// A Transformer's heads over all its blocks (largest logit and entropy each); else 0.
    pub heads: usize,
}

impl RowShape {
    /// An MLP's or an RNN's rows: `groups` groups and `time_steps` time steps (0 for an MLP).
    pub fn groups_and_times(groups: usize, time_steps: usize) -> Self {
        Self {
            groups,
            time_steps,
            ..Self::default()
        }
    }

    /// The rows of `trainer`'s network.
    pub fn of(trainer: &Trainer) -> Self {
        let (blocks, heads) = trainer
            .config()
            .net
            .model
            .as_transformer()
            .map_or((0, 0), |t| (t.layers, t.layers * t.heads));
        Self {
            groups: trainer.group_count(),
            time_steps: trainer.time_steps(),
            blocks,
            heads,
        }
    }

    /// Heads in each block (0 for a model without blocks).
    pub fn heads_per_block(self) -> usize {
        self.heads.checked_div(self.blocks).unwrap_or(0)
    }

    /// The lengths of a row's parts after its scalars, in their order: norms per group before
    /// clipping, after, ‖∂L/∂h_t‖ per time step, ‖ΔW‖ per group, ‖∂L/∂x_l‖ per block, each
    /// head's largest logit, each head's entropy.
    fn parts(self) -> [usize; 7] {
        let Self {
            groups,
            time_steps,
            blocks,
            heads,
        } = self;
        [groups, groups, time_steps, groups, blocks, heads, heads]
    }

    /// Numbers in one row.
    fn width(self) -> usize {
        SCALARS + self.parts().iter().sum::<usize>()
    }
}

/// One run's steps, bounded (see the module docs): one buffer of [`MAX_NUMBERS`] numbers,
/// reserved once, holding row after row of `[step (as two 32-bit halves), loss, global norm,
/// clipped global norm, clipped (0/1), learning rate, loss scale, skipped (0/1), norms before
/// clipping per group, after, ‖∂L/∂h_t‖ per time step, ‖ΔW‖ per group, ‖∂L/∂x_l‖ per block, the
/// largest logit per head, the entropy per head]` ([`RowShape`] says how many of each).
/// Whatever the network's shape, the buffer is the same size, so renewing the log for another
/// shape reuses it as it is: the log's memory is fixed for the page's lifetime.
#[derive(Clone, Debug)]
pub struct RunLog {
    shape: RowShape,
    /// Only steps that are multiples of this are recorded.
    stride: u64,
    /// The rows, back to back (never grown past its first reservation).
    numbers: Vec<f32>,
    /// Rows that fit; at this many the log thins.
    capacity: usize,
    last: Option<StepStats>,
}

/// Numbers at the start of every row before the norms.
pub const SCALARS: usize = 9;

impl RunLog {
    /// An empty log for rows of `shape`, its whole buffer reserved now.
    pub fn new(shape: RowShape) -> Self {
        Self::reserved(shape, MAX_NUMBERS)
    }

    /// An empty log that thins once it holds `capacity` rows (at least 2).
    pub fn with_capacity(shape: RowShape, capacity: usize) -> Self {
        Self::reserved(shape, capacity.max(2) * shape.width())
    }

    fn reserved(shape: RowShape, numbers: usize) -> Self {
        let mut log = Self {
            shape,
            stride: 1,
            numbers: Vec::with_capacity(numbers.max(2 * shape.width())),
            capacity: 0,
            last: None,
        };
        log.renew(shape);
        log
    }

    /// Empties the log for a network of a new shape, in the same buffer.
    pub fn renew(&mut self, shape: RowShape) {
        let width = shape.width();
        if self.numbers.capacity() < 2 * width {
            // Only a log made for a tiny capacity can be too small for two rows of another shape.
            self.numbers = Vec::with_capacity(2 * width);
        }
        self.numbers.clear();
        self.shape = shape;
        self.capacity = self.numbers.capacity() / width;
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
        self.numbers.extend([
            f32::from_bits(step as u32),
            f32::from_bits((step >> 32) as u32),
            stats.loss as f32,
            stats.global_norm as f32,
            stats.global_norm_clipped as f32,
            if stats.clipped { 1.0 } else { 0.0 },
            stats.learning_rate as f32,
            stats.loss_scale as f32,
            if stats.skipped { 1.0 } else { 0.0 },
        ]);
        let parts = [
            &stats.grad_norms,
            &stats.grad_norms_clipped,
            &stats.time_norms,
            &stats.update_norms,
            &stats.block_norms,
            &stats.attn_logit_max,
            &stats.attn_entropy,
        ];
        for (values, count) in parts.into_iter().zip(self.shape.parts()) {
            self.numbers
                .extend((0..count).map(|i| values.get(i).map_or(f32::NAN, |&x| x as f32)));
        }
    }

    /// Numbers per row.
    fn width(&self) -> usize {
        self.shape.width()
    }

    /// Keeps the rows whose step is a multiple of twice the stride.
    fn thin(&mut self) {
        self.stride *= 2;
        let width = self.width();
        let mut kept = 0;
        for row in 0..self.len() {
            if step_of(&self.numbers[row * width..]).is_multiple_of(self.stride) {
                self.numbers
                    .copy_within(row * width..(row + 1) * width, kept * width);
                kept += 1;
            }
        }
        self.numbers.truncate(kept * width);
    }

    /// Keeps the full statistics of the newest step (set once per chunk, not per step).
    pub fn set_last(&mut self, stats: Option<StepStats>) {
        if stats.is_some() {
            self.last = stats;
        }
    }

    /// The full statistics of the newest step, when one was set.
    pub fn last(&self) -> Option<&StepStats> {
        self.last.as_ref()
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.numbers.len() / self.width()
    }

    /// Whether no step was recorded.
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    /// Every `stride`-th step is held (1 until the log first filled up).
    pub fn stride(&self) -> u64 {
        self.stride
    }

    /// Parameter groups (an MLP's weight layers).
    pub fn group_count(&self) -> usize {
        self.shape.groups
    }

    /// Time steps per row (0 for an MLP).
    pub fn time_steps(&self) -> usize {
        self.shape.time_steps
    }

    /// What each row holds.
    pub fn shape(&self) -> RowShape {
        self.shape
    }

    /// The rows, oldest first (borrowed: a download copies nothing but its text).
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> + '_ {
        let lengths = self.shape.parts();
        self.numbers.chunks_exact(self.width()).map(move |row| {
            // The parts after the scalars, in the order `record` wrote them.
            let mut rest = &row[SCALARS..];
            let [grad_norms, grad_norms_clipped, time_norms, update_norms, block_norms, attn_logit_max, attn_entropy] =
                lengths.map(|count| {
                    let (part, after) = rest.split_at(count);
                    rest = after;
                    part
                });
            Row {
                step: step_of(row),
                loss: row[2],
                global_norm: row[3],
                global_norm_clipped: row[4],
                clipped: row[5] != 0.0,
                learning_rate: row[6],
                loss_scale: row[7],
                skipped: row[8] != 0.0,
                grad_norms,
                grad_norms_clipped,
                time_norms,
                update_norms,
                block_norms,
                attn_logit_max,
                attn_entropy,
            }
        })
    }
}

/// The step number kept at the start of a row, as two 32-bit halves (bit patterns, not values).
fn step_of(row: &[f32]) -> u64 {
    u64::from(row[0].to_bits()) | (u64::from(row[1].to_bits()) << 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gradlab_engine::{TrainParams, Trainer};

    /// The first step of the default network (11 parameter groups).
    fn first_step() -> StepStats {
        let mut trainer = Trainer::new(TrainParams::default().check().unwrap());
        trainer.step().unwrap()
    }

    /// A full log keeps every other row and records every other step from then on.
    /// A log reserves its buffer once: recording to capacity and thinning never reallocate,
    /// renewing it for another shape reuses the same buffer, and steps past 2³² survive.
    #[test]
    fn a_log_never_reallocates() {
        let stats = first_step();
        let mut log = RunLog::with_capacity(RowShape::groups_and_times(11, 0), 64);
        let (buffer, capacity) = (log.numbers.as_ptr(), log.numbers.capacity());
        for step in 0..1000 {
            log.record(&StepStats {
                step,
                ..stats.clone()
            });
        }
        assert!(log.stride() > 1, "it thinned");
        assert_eq!(
            (log.numbers.as_ptr(), log.numbers.capacity()),
            (buffer, capacity)
        );
        let mut big = RunLog::new(RowShape::groups_and_times(11, 0));
        let (kept, numbers) = (big.numbers.as_ptr(), big.numbers.capacity());
        assert_eq!(numbers, MAX_NUMBERS);
        big.renew(RowShape::groups_and_times(5, 300));
        assert_eq!(
            (big.numbers.as_ptr(), big.numbers.capacity()),
            (kept, numbers),
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
        let mut log = RunLog::with_capacity(RowShape::groups_and_times(11, 0), 8);
        let mut s = first_step();
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
