//! Work shared between threads, where the host has them: the worker's threaded build installs a
//! pool of two (`crates/worker/src/threads.rs`); anywhere else — the one-thread builds, native
//! code, the tests unless they install one — [`for_each`] runs its jobs in order on the calling
//! thread. Whoever uses it (the large matrix products, `gemm`; the attention's heads,
//! `transformer`) splits its work so that every value is computed exactly as the whole
//! computation computes it: the results are the same bit for bit with a pool or without.

use std::sync::OnceLock;

/// Runs `job(i)` for every `i` in `0..count`, each exactly once, and returns when all have
/// finished, sharing the jobs between its threads.
pub type ForEach = fn(count: usize, job: &(dyn Fn(usize) + Sync));

static POOL: OnceLock<ForEach> = OnceLock::new();

/// Installs the pool (the first call wins: there is one per process).
pub fn set_for_each(for_each: ForEach) {
    let _ = POOL.set(for_each);
}

/// Whether a pool is installed.
pub fn installed() -> bool {
    POOL.get().is_some()
}

/// Runs `job(i)` for every `i < count`: through the pool where one is installed, else in order
/// here. A job may call `for_each` itself; the pool runs such a nested call on its own thread.
pub fn for_each(count: usize, job: &(dyn Fn(usize) + Sync)) {
    match POOL.get() {
        Some(pool) => pool(count, job),
        None => (0..count).for_each(job),
    }
}

/// Where the jobs of one [`for_each`] write: each job its own part, which no other job reads
/// or writes (the caller's promise, at each `unsafe` use).
#[derive(Clone, Copy)]
pub struct Parts<T>(*mut T);

impl<T> Parts<T> {
    /// The memory from `first` on.
    pub fn new(first: *mut T) -> Self {
        Self(first)
    }

    /// The element `offset` elements on (a method, so that a closure captures the whole
    /// `Parts`, which is `Sync`, and not its raw pointer).
    pub fn at(self, offset: usize) -> *mut T {
        self.0.wrapping_add(offset)
    }
}

// SAFETY: jobs write disjoint parts, and `for_each` returns after every job has finished.
unsafe impl<T: Send> Send for Parts<T> {}
unsafe impl<T: Send> Sync for Parts<T> {}
