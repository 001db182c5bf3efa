//! The trainability map's pool of Web Workers, its own (sized from
//! `navigator.hardwareConcurrency`; the training worker keeps running): tiles queued costliest
//! first, handed out as workers free up by a [`TileSchedule`] (which also decides what a
//! failed worker costs), their answers put in `lab.phase_tiles` as they come. Drawing them is
//! [`super::phase_view`]'s.

use super::bridge::{Bridge, Stopped};
use super::controller;
use super::state::{Lab, PhaseTiles, WorkerState};
use gradlab_engine::memory::{estimate_bytes, MEMORY_BUDGET_BYTES};
use gradlab_engine::{ConfigError, Field, TrainParams};
use gradlab_protocol::link::PhaseLink;
use gradlab_protocol::tile_schedule::{Lost, Tile, TileSchedule};
use gradlab_protocol::{Command, Event, TileRequest};
use leptos::prelude::*;

/// The map's workers and its schedule.
#[derive(Default)]
pub struct Pool {
    /// One per worker spawned; `None` once it failed (dropping it terminates it).
    workers: Vec<Option<Bridge>>,
    schedule: TileSchedule,
    /// The map and the base settings being computed.
    job: Option<(PhaseLink, TrainParams)>,
    /// Bumped on every start and cancel, so a stale worker's answer is ignored.
    generation: u64,
}

/// Most memory the tiles in hand may need together: two workers' worth. (A worker's memory
/// keeps its largest tile's size afterwards: WebAssembly memory does not shrink.)
const POOL_MEMORY_BYTES: u64 = 2 * MEMORY_BUDGET_BYTES;

/// Workers for the map: the browser's logical cores less one for the page and the training
/// worker, at least one.
fn pool_size() -> usize {
    let cores = web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency());
    (cores as usize).saturating_sub(1).clamp(1, 16)
}

/// Starts computing `lab.phase` over run A's current settings (cancelling any map in progress).
pub fn start(lab: Lab, pool: StoredValue<Pool, LocalStorage>) {
    let Some(map) = lab.phase.get_untracked() else {
        return;
    };
    if lab.worker.get_untracked() == WorkerState::Outdated {
        return; // Only a reload brings this release's successor.
    }
    let base = lab.params.get_untracked();
    let tiles = map.x.count * map.y.count;
    let size = pool_size().min(tiles);
    let generation = pool.with_value(|p| p.generation) + 1;
    // The costliest tiles first (a 60-layer net takes 60 times a 1-layer one), so the last
    // tiles handed out are short and no worker idles long at the end.
    let cost = |axis: &gradlab_engine::sweep::SweepAxis, i: usize| match axis.field {
        Field::Depth | Field::SeqLen | Field::Hidden | Field::Width => axis.value(i),
        _ => 1.0,
    };
    let mut queue: Vec<Tile> = map.sweep().tiles().collect();
    queue.sort_by(|a, b| {
        let weight = |&(c, r): &Tile| cost(&map.x, c) * cost(&map.y, r);
        weight(b).total_cmp(&weight(a))
    });
    pool.set_value(Pool {
        generation,
        schedule: TileSchedule::new(queue, size),
        job: Some((map, base)),
        ..Pool::default()
    });
    lab.phase_tiles.set(PhaseTiles {
        map: Some(map),
        tiles: vec![None; tiles],
        workers: size,
        cancelled: false,
        failed: None,
        too_big: Vec::new(),
        too_big_why: String::new(),
    });
    for index in 0..size {
        let spawned = Bridge::spawn(
            move |event| on_event(lab, pool, generation, index, event),
            move |why| worker_stopped(lab, pool, generation, index, why),
        );
        let failure = spawned.as_ref().err().cloned();
        pool.update_value(|p| p.workers.push(spawned.ok()));
        if let Some(message) = failure {
            worker_stopped(lab, pool, generation, index, Stopped::Failed(message));
        }
    }
}

/// Stops the map: its workers are terminated, the tiles in hand are dropped.
pub fn cancel(lab: Lab, pool: StoredValue<Pool, LocalStorage>) {
    let running = pool.with_value(|p| p.workers.iter().any(Option::is_some));
    pool.update_value(|p| {
        p.generation += 1;
        p.workers.clear();
        p.schedule = TileSchedule::default();
    });
    if running {
        lab.phase_tiles.update(|c| {
            c.workers = 0;
            c.cancelled = c.tiles.iter().any(Option::is_none);
        });
    }
}

fn on_event(
    lab: Lab,
    pool: StoredValue<Pool, LocalStorage>,
    generation: u64,
    index: usize,
    event: Event,
) {
    if pool.with_value(|p| p.generation) != generation {
        return;
    }
    match event {
        Event::Ready { .. } => pool.update_value(|p| p.schedule.ready(index)),
        Event::Tile(tile) => {
            pool.update_value(|p| {
                p.schedule.answered(index);
            });
            lab.phase_tiles.update(|c| {
                let columns = c.map.map_or(1, |m| m.x.count);
                if let Some(slot) = c.tiles.get_mut(tile.row * columns + tile.column) {
                    *slot = Some(tile);
                }
            });
        }
        Event::Failed { message } => {
            // The worker refused its tile's settings: that tile failed, the worker is fine.
            let tile = pool
                .try_update_value(|p| p.schedule.answered(index))
                .flatten();
            if tile.is_some() {
                tiles_failed(lab, 1, message);
            }
        }
        _ => {}
    }
    hand_out(lab, pool);
}

/// Counts failed tiles, keeping the newest reason.
fn tiles_failed(lab: Lab, count: usize, message: String) {
    if count == 0 {
        return;
    }
    lab.phase_tiles.update(|c| {
        let before = c.failed.as_ref().map_or(0, |f| f.0);
        c.failed = Some((before + count, message));
    });
}

/// A worker stopped (or could not be started): see [`drop_worker`]; then the others go on.
fn worker_stopped(
    lab: Lab,
    pool: StoredValue<Pool, LocalStorage>,
    generation: u64,
    index: usize,
    why: Stopped,
) {
    if pool.with_value(|p| p.generation) != generation {
        return;
    }
    match why {
        Stopped::Failed(message) => {
            drop_worker(lab, pool, index, &message);
            hand_out(lab, pool);
        }
        Stopped::NewRelease => {
            cancel(lab, pool);
            controller::stopped(lab, Stopped::NewRelease);
        }
    }
}

/// Lets a failed worker go: its tile goes to another worker (given up on a second failure),
/// and the map no longer waits for it.
fn drop_worker(lab: Lab, pool: StoredValue<Pool, LocalStorage>, index: usize, message: &str) {
    let (lost, given_up, live) = pool
        .try_update_value(|p| {
            if let Some(slot) = p.workers.get_mut(index) {
                *slot = None;
            }
            let lost = p.schedule.failed(index);
            let given_up = p.schedule.give_up_if_no_workers().len();
            (lost, given_up, p.schedule.live_workers())
        })
        .unwrap_or((Lost::Nothing, 0, 0));
    let reason = format!("a map worker stopped: {message}");
    if let Lost::GivenUp(_) = lost {
        tiles_failed(lab, 1, reason.clone());
    }
    tiles_failed(lab, given_up, format!("{reason}; no map worker is left"));
    lab.phase_tiles.update(|c| c.workers = live);
}

/// Gives each idle worker the next tile; when every tile is in, the map is done and the
/// workers are let go.
fn hand_out(lab: Lab, pool: StoredValue<Pool, LocalStorage>) {
    loop {
        let given = pool
            .try_update_value(|p| {
                let job = p.job.as_ref().map(|(map, base)| (*map, base.clone()));
                // What each tile's run needs (0 for settings that are refused anyway).
                let cost = |(column, row): Tile| {
                    job.as_ref().map_or(0, |(map, base)| {
                        map.sweep()
                            .params_of(base, column, row)
                            .check()
                            .map_or(0, |config| estimate_bytes(&config))
                    })
                };
                p.schedule.hand_out(cost, POOL_MEMORY_BYTES)
            })
            .unwrap_or_default();
        // A refused tile or a lost worker frees a place: hand out again.
        let mut again = false;
        for (worker, (column, row)) in given {
            let request = pool.with_value(|p| {
                let (map, base) = p.job.as_ref()?;
                let params = map.sweep().params_of(base, column, row);
                Some((params.check(), map.steps))
            });
            let Some((config, steps)) = request else {
                continue;
            };
            let config = match config {
                Ok(config) => config,
                Err(e) => {
                    // Its settings are refused: the tile failed (or is drawn as too big), and
                    // the worker takes the next.
                    pool.update_value(|p| {
                        p.schedule.answered(worker);
                    });
                    if matches!(e, ConfigError::TooBig { .. }) {
                        lab.phase_tiles.update(|t| {
                            let columns = t.map.map_or(1, |m| m.x.count);
                            t.too_big.push(row * columns + column);
                            t.too_big_why = e.to_string();
                        });
                    } else {
                        tiles_failed(lab, 1, format!("tile ({column}, {row}): {e}"));
                    }
                    again = true;
                    continue;
                }
            };
            let sent = pool.with_value(|p| match p.workers.get(worker) {
                Some(Some(w)) => w.send(&Command::Tile(Box::new(TileRequest {
                    config,
                    steps: steps as u32,
                    column: column as u32,
                    row: row as u32,
                }))),
                _ => Err("the worker is gone".into()),
            });
            if let Err(message) = sent {
                drop_worker(lab, pool, worker, &message);
                again = true;
            }
        }
        if !again {
            break;
        }
    }
    let done = pool.with_value(|p| p.schedule.done() && p.workers.iter().any(Option::is_some));
    if done {
        pool.update_value(|p| p.workers.clear());
        lab.phase_tiles.update(|c| c.workers = 0);
    }
}
