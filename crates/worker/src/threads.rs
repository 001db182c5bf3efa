//! The worker's second thread, in the threaded build only (wasm atomics and a shared memory;
//! the page loads that build where it is cross-origin isolated, `public/engine_build.js`).
//!
//! `public/engine_helper.js` instantiates this same module on the same memory in a second Web
//! Worker and calls [`helper_run`], which waits for work. [`for_each`], installed as the
//! engine's [`parallel::ForEach`](gradlab_engine::parallel::ForEach), posts a job's pieces (a
//! large matrix product's, the attention's heads); both threads take pieces from one counter
//! until none is left, and the training thread returns when every piece has finished. A job's
//! piece that shares out work itself runs it on its own thread. Pieces rather than halves: the browser's own
//! threads share the two cores, and when they hold the helper up, the training thread takes the
//! remaining pieces itself instead of waiting for a half (BENCHMARKS.md measured both).
//!
//! Until the helper says it is ready, and for good if it ever fails, the training thread
//! computes every piece itself: the results are the same bit for bit either way (the engine's
//! `gemm` docs).
//!
//! The posted job is one word, `CLAIM`: the job's generation (high 48 bits) and the next
//! unclaimed piece (low 16 bits). A thread owns piece `i` of generation `g` when its
//! compare-and-swap moves `CLAIM` from `(g, i)` to `(g, i + 1)`. The job's closure and count,
//! read after `CLAIM` and before that swap, are the generation's own: to post the next job the
//! training thread first closes `CLAIM` (next piece `CLOSED`, so no swap from `(g, i)` can
//! succeed), and only then replaces them.

use std::arch::wasm32::{memory_atomic_notify, memory_atomic_wait32};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::SeqCst};
use wasm_bindgen::prelude::*;

/// The job's generation and next piece (see the module docs).
static CLAIM: AtomicU64 = AtomicU64::new(CLOSED);
/// Jobs posted (wrapping): what the idle helper sleeps on (a wait needs a 32-bit word).
static POSTED: AtomicU32 = AtomicU32::new(0);
/// The job: the address of a `&(dyn Fn(usize) + Sync)` on the training thread's stack.
static JOB: AtomicUsize = AtomicUsize::new(0);
/// Pieces in the job.
static COUNT: AtomicUsize = AtomicUsize::new(0);
/// Pieces of the job finished, by either thread.
static FINISHED: AtomicUsize = AtomicUsize::new(0);
/// The piece the helper is computing, plus one (0: none).
static HELD: AtomicUsize = AtomicUsize::new(0);
/// The helper is running [`helper_run`].
static READY: AtomicBool = AtomicBool::new(false);
/// The helper trapped (its JavaScript caught it) and is gone.
static FAILED: AtomicBool = AtomicBool::new(false);
/// A job is in flight: a call from inside one of its pieces runs on the caller's thread.
static BUSY: AtomicBool = AtomicBool::new(false);

/// The low bits of `CLAIM` while no piece may be claimed.
const CLOSED: u64 = 0xffff;
/// Pieces a job may have (fewer than `CLOSED`).
const MAX_PIECES: usize = 1 << 15;
/// Polls by the idle helper before it sleeps (a few microseconds). Polling longer keeps busy a
/// core the page's own threads need: measured on a 2-core machine, with ~1 ms of polling two
/// threads trained T1 no faster than one (0.99× over ten alternating rounds), with this 1.08×
/// (products only; BENCHMARKS.md).
const HELPER_SPINS: u32 = 2_000;
/// Polls of `FINISHED` by the training thread while the helper finishes its last piece (about a
/// millisecond) before it sleeps between polls: a timed sleep in the browser lasts far longer
/// than it asks (measured: the training thread slept 30 % of the time with 20-µs sleeps).
const TRAINER_SPINS: u32 = 1_000_000;
/// The training thread's sleep between polls after that, in nanoseconds (it polls, so the
/// helper never has to wake it).
const POLL_NS: i64 = 100_000;

fn split(claim: u64) -> (u64, usize) {
    (claim >> 16, (claim & 0xffff) as usize)
}

/// Claims the next piece of generation `generation`, if one is left.
fn claim(generation: u64, count: usize) -> Option<usize> {
    let mut current = CLAIM.load(SeqCst);
    loop {
        let (g, next) = split(current);
        if g != generation || next >= count {
            return None;
        }
        match CLAIM.compare_exchange(current, current + 1, SeqCst, SeqCst) {
            Ok(_) => return Some(next),
            Err(now) => current = now,
        }
    }
}

/// Runs `job(i)` for every `i < count`, sharing the pieces with the helper.
pub fn for_each(count: usize, job: &(dyn Fn(usize) + Sync)) {
    if !(2..=MAX_PIECES).contains(&count) || !READY.load(SeqCst) || BUSY.swap(true, SeqCst) {
        (0..count).for_each(job);
        return;
    }
    let generation = split(CLAIM.load(SeqCst)).0 + 1;
    CLAIM.store(generation << 16 | CLOSED, SeqCst);
    JOB.store(&job as *const &(dyn Fn(usize) + Sync) as usize, SeqCst);
    COUNT.store(count, SeqCst);
    FINISHED.store(0, SeqCst);
    CLAIM.store(generation << 16, SeqCst);
    POSTED.fetch_add(1, SeqCst);
    // SAFETY: POSTED is an aligned 32-bit word of the shared memory.
    unsafe { memory_atomic_notify(POSTED.as_ptr().cast(), 1) };
    while let Some(i) = claim(generation, count) {
        job(i);
        FINISHED.fetch_add(1, SeqCst);
    }
    // Every piece is claimed; wait for the helper's last one.
    let mut spins = 0u32;
    loop {
        let finished = FINISHED.load(SeqCst);
        if finished == count {
            break;
        }
        if FAILED.load(SeqCst) {
            // The helper trapped mid-piece: that piece again, here (every job overwrites all
            // it writes: its products have β = 0).
            READY.store(false, SeqCst);
            if let Some(held) = HELD.swap(0, SeqCst).checked_sub(1) {
                job(held);
                FINISHED.fetch_add(1, SeqCst);
            }
            continue;
        }
        spins += 1;
        if spins > TRAINER_SPINS {
            // SAFETY: FINISHED is an aligned 32-bit word of the shared memory (usize is 32 bits
            // on wasm32); the wait ends after POLL_NS or when FINISHED changes.
            unsafe { memory_atomic_wait32(FINISHED.as_ptr().cast(), finished as i32, POLL_NS) };
        }
    }
    BUSY.store(false, SeqCst);
}

/// The helper thread's loop (called by `engine_helper.js`; never returns).
#[wasm_bindgen]
pub fn helper_run() {
    READY.store(true, SeqCst);
    let mut idle_since = 0u32;
    loop {
        let posted = POSTED.load(SeqCst);
        let (generation, next) = split(CLAIM.load(SeqCst));
        // Read before the claim: the generation's own job while it has unclaimed pieces.
        let count = COUNT.load(SeqCst);
        let job = JOB.load(SeqCst);
        if job != 0 && next < count {
            if let Some(i) = claim(generation, count) {
                HELD.store(i + 1, SeqCst);
                // SAFETY: JOB holds the address of a `&(dyn Fn(usize) + Sync)` that lives until
                // every piece of this generation has finished, this one included.
                let job = unsafe { *(job as *const &(dyn Fn(usize) + Sync)) };
                job(i);
                HELD.store(0, SeqCst);
                FINISHED.fetch_add(1, SeqCst);
                idle_since = 0;
                continue;
            }
        }
        idle_since += 1;
        if idle_since > HELPER_SPINS {
            // SAFETY: POSTED is an aligned 32-bit word of the shared memory; no timeout. Returns
            // at once if a job was posted since the load above.
            unsafe { memory_atomic_wait32(POSTED.as_ptr().cast(), posted as i32, -1) };
            idle_since = 0;
        }
    }
}

/// Called by `engine_helper.js` when [`helper_run`] trapped: the training thread takes its
/// piece back and works alone from then on.
#[wasm_bindgen]
pub fn helper_failed() {
    READY.store(false, SeqCst);
    FAILED.store(true, SeqCst);
}

/// What `worker_loader.js` hands the helper: this module and its shared memory.
#[wasm_bindgen]
pub fn helper_start_data() -> js_sys::Array {
    js_sys::Array::of2(&wasm_bindgen::module(), &wasm_bindgen::memory())
}
