//! The trainability map's schedule: which tile each map worker computes next, what becomes of
//! a tile whose worker fails, and when the map is done. Pure logic — the page's pool of Web
//! Workers (`ui/phase_pool.rs`) holds the browser handles — so it is tested natively.
//!
//! A tile whose worker fails is queued once more for another worker; if it fails a second
//! time it is given up (counted as failed, with the reason). A failed worker is dropped from
//! the count and never waited for: the map is done when no tile is queued and no live worker
//! has one in hand. When no worker is left, the tiles still queued are given up.
//!
//! Memory: tiles are handed out only while the estimates of the tiles in hand, with the next
//! one's, stay within a budget — except that one tile always may run, so the map finishes.

use std::collections::VecDeque;

/// A tile of the map: `(column, row)`.
pub type Tile = (usize, usize);

/// One map worker, as the schedule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    /// Spawned, not yet ready.
    Starting,
    Idle,
    /// Computing a tile, estimated to need this many bytes.
    Busy(Tile, u64),
    /// Failed: given nothing more.
    Dead,
}

/// What became of a failed worker's tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lost {
    /// The worker held no tile.
    Nothing,
    /// Queued again for another worker.
    Requeued(Tile),
    /// Its second failure: given up.
    GivenUp(Tile),
}

/// The tiles still to hand out and what each worker is doing.
#[derive(Clone, Debug, Default)]
pub struct TileSchedule {
    queue: VecDeque<Tile>,
    workers: Vec<Slot>,
    /// Tiles already queued again once.
    retried: Vec<Tile>,
}

impl TileSchedule {
    /// `tiles` in the order to hand them out, for `workers` workers that are starting.
    pub fn new(tiles: impl IntoIterator<Item = Tile>, workers: usize) -> Self {
        Self {
            queue: tiles.into_iter().collect(),
            workers: vec![Slot::Starting; workers],
            retried: Vec::new(),
        }
    }

    /// A worker is ready for its first tile.
    pub fn ready(&mut self, worker: usize) {
        if let Some(slot @ Slot::Starting) = self.workers.get_mut(worker) {
            *slot = Slot::Idle;
        }
    }

    /// The next tile for every idle worker, while tiles remain and their memory fits: `cost`
    /// estimates a tile's bytes, and tiles in hand may together need at most `budget` (one
    /// tile always may run). `(worker, tile)` pairs, each worker now busy with its tile.
    pub fn hand_out(&mut self, cost: impl Fn(Tile) -> u64, budget: u64) -> Vec<(usize, Tile)> {
        let mut in_hand: u64 = self
            .workers
            .iter()
            .map(|s| match s {
                Slot::Busy(_, bytes) => *bytes,
                _ => 0,
            })
            .sum();
        let mut given = Vec::new();
        for worker in 0..self.workers.len() {
            if self.workers[worker] != Slot::Idle {
                continue;
            }
            let Some(&tile) = self.queue.front() else {
                break;
            };
            let bytes = cost(tile);
            let busy = self.workers.iter().any(|s| matches!(s, Slot::Busy(..)));
            if busy && in_hand + bytes > budget {
                break;
            }
            self.queue.pop_front();
            in_hand += bytes;
            self.workers[worker] = Slot::Busy(tile, bytes);
            given.push((worker, tile));
        }
        given
    }

    /// A worker answered (its tile's result, or a refusal): it is idle again. Returns the tile
    /// it had in hand.
    pub fn answered(&mut self, worker: usize) -> Option<Tile> {
        let slot = self.workers.get_mut(worker)?;
        let Slot::Busy(tile, _) = *slot else {
            return None;
        };
        *slot = Slot::Idle;
        Some(tile)
    }

    /// A worker failed (it stopped, or a command could not be posted to it): it is given
    /// nothing more, and its tile is queued again once, then given up.
    pub fn failed(&mut self, worker: usize) -> Lost {
        let Some(slot) = self.workers.get_mut(worker) else {
            return Lost::Nothing;
        };
        let held = std::mem::replace(slot, Slot::Dead);
        match held {
            Slot::Busy(tile, _) if !self.retried.contains(&tile) => {
                self.retried.push(tile);
                // First, so the next worker free takes it.
                self.queue.push_front(tile);
                Lost::Requeued(tile)
            }
            Slot::Busy(tile, _) => Lost::GivenUp(tile),
            _ => Lost::Nothing,
        }
    }

    /// Workers still alive.
    pub fn live_workers(&self) -> usize {
        self.workers.iter().filter(|s| **s != Slot::Dead).count()
    }

    /// With no worker left, the tiles still queued are given up (returned); otherwise none.
    pub fn give_up_if_no_workers(&mut self) -> Vec<Tile> {
        if self.live_workers() == 0 {
            self.queue.drain(..).collect()
        } else {
            Vec::new()
        }
    }

    /// Whether every tile is in (or given up): none queued, none in a live worker's hand.
    pub fn done(&self) -> bool {
        self.queue.is_empty() && !self.workers.iter().any(|s| matches!(s, Slot::Busy(..)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<Tile> {
        (0..2).flat_map(|r| (0..3).map(move |c| (c, r))).collect()
    }

    #[test]
    fn tiles_go_to_ready_workers_in_order() {
        let mut s = TileSchedule::new(grid(), 2);
        assert!(
            s.hand_out(|_| 1, u64::MAX).is_empty(),
            "no worker is ready yet"
        );
        s.ready(0);
        s.ready(1);
        assert_eq!(s.hand_out(|_| 1, u64::MAX), vec![(0, (0, 0)), (1, (1, 0))]);
        assert!(s.hand_out(|_| 1, u64::MAX).is_empty(), "both busy");
        assert_eq!(s.answered(1), Some((1, 0)));
        assert_eq!(s.hand_out(|_| 1, u64::MAX), vec![(1, (2, 0))]);
        assert!(!s.done());
    }

    /// A worker that dies with a tile in hand: the tile goes to another worker; the map is
    /// done without waiting for the dead one, and counts one worker fewer.
    #[test]
    fn a_failed_workers_tile_is_requeued_and_never_waited_for() {
        let mut s = TileSchedule::new(grid(), 2);
        s.ready(0);
        s.ready(1);
        s.hand_out(|_| 1, u64::MAX);
        assert_eq!(s.failed(0), Lost::Requeued((0, 0)));
        assert_eq!(s.live_workers(), 1);
        let mut computed = vec![s.answered(1).unwrap()];
        assert_eq!(
            s.hand_out(|_| 1, u64::MAX),
            vec![(1, (0, 0))],
            "the lost tile first"
        );
        while !s.done() {
            computed.extend(s.answered(1));
            s.hand_out(|_| 1, u64::MAX);
        }
        computed.sort();
        let mut all = grid();
        all.sort();
        assert_eq!(
            computed, all,
            "every tile computed, the lost one by another worker"
        );
        assert!(s.give_up_if_no_workers().is_empty());
    }

    /// Tiles in hand stay within the memory budget: with 10 bytes allowed and tiles of 6, one
    /// runs at a time; a tile over the budget alone still runs when nothing else does.
    #[test]
    fn tiles_in_hand_fit_the_memory_budget() {
        let mut s = TileSchedule::new(grid(), 3);
        (0..3).for_each(|w| s.ready(w));
        let cost = |(c, _): Tile| if c == 2 { 60 } else { 6 };
        assert_eq!(s.hand_out(cost, 10), vec![(0, (0, 0))]);
        assert!(s.hand_out(cost, 10).is_empty(), "a second would need 12");
        s.answered(0);
        assert_eq!(s.hand_out(cost, 10), vec![(0, (1, 0))]);
        s.answered(0);
        assert_eq!(
            s.hand_out(cost, 10),
            vec![(0, (2, 0))],
            "alone, over the budget"
        );
        assert!(s.hand_out(cost, 10).is_empty());
    }

    /// A tile that kills two workers is given up; with no worker left the rest are too, and
    /// the map is done.
    #[test]
    fn a_tile_failing_twice_is_given_up_and_no_workers_ends_the_map() {
        let mut s = TileSchedule::new(grid(), 2);
        s.ready(0);
        s.ready(1);
        s.hand_out(|_| 1, u64::MAX);
        assert_eq!(s.failed(0), Lost::Requeued((0, 0)));
        s.answered(1);
        assert_eq!(s.hand_out(|_| 1, u64::MAX), vec![(1, (0, 0))]);
        assert_eq!(s.failed(1), Lost::GivenUp((0, 0)));
        assert_eq!(s.failed(1), Lost::Nothing, "a dead worker fails once");
        assert_eq!(s.live_workers(), 0);
        assert_eq!(s.give_up_if_no_workers().len(), 4);
        assert!(s.done());
    }
}
