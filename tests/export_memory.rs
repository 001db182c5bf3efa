//! A full download log's export, measured with a counting allocator: the text is written once
//! into a buffer of its exact size (no rows collected, no doubling copies), and encoding the
//! answer for the page adds one exactly sized copy. Before, the JSON was built from collected
//! rows and pretty-printed into a growing string: far more than the text, transiently.
//!
//! One test in this binary, so no other thread allocates while it measures.

use gradlab::engine::{TrainParams, Trainer};
use gradlab::export::{to_csv, to_json, Exported, RunLog, MAX_CELLS};
use gradlab::protocol::{encode, Event, ExportFormat};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, SeqCst) + bytes;
    PEAK.fetch_max(now, SeqCst);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A move holds both blocks for a moment: count the new one before freeing the old.
        grew(new_size);
        LIVE.fetch_sub(layout.size(), SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated at the peak of `f`, above what was live before it.
fn peak_above_start<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.load(SeqCst);
    PEAK.store(start, SeqCst);
    let out = f();
    (out, PEAK.load(SeqCst) - start)
}

#[test]
fn exporting_a_full_log_holds_the_text_once() {
    let config = TrainParams::default().check().unwrap();
    let mut trainer = Trainer::new(config);
    let layers = trainer.group_count();
    let mut stats = trainer.step().unwrap();
    let mut log = RunLog::new(layers, 0);
    let rows = MAX_CELLS / (2 * layers + 4);
    for step in 0..rows as u64 {
        stats.step = step;
        stats.loss = 1.0 / (step as f64 + 1.0);
        log.record(&stats);
    }
    log.set_last(Some(stats));
    assert_eq!(log.len(), rows, "a full log, not yet thinned");
    let runs = [Exported {
        name: "A",
        config: &config,
        log: &log,
    }];
    const SLACK: usize = 1 << 20;
    for format in [ExportFormat::Json, ExportFormat::Csv] {
        let (text, peak) = peak_above_start(|| match format {
            ExportFormat::Json => to_json(&runs),
            ExportFormat::Csv => to_csv(&runs),
        });
        let text = text.unwrap();
        eprintln!(
            "{format:?}: {rows} rows, text {:.1} MB, peak while writing {:.1} MB",
            text.len() as f64 / 1e6,
            peak as f64 / 1e6
        );
        assert!(text.len() > 20_000_000, "{} bytes", text.len());
        assert!(
            peak <= text.len() + SLACK,
            "{peak} for {} bytes",
            text.len()
        );
        let length = text.len();
        let event = Event::Exported { format, text };
        let (bytes, peak) = peak_above_start(|| encode(&event).unwrap());
        eprintln!("  encoded for the page: peak {:.1} MB", peak as f64 / 1e6);
        assert!(bytes.len() < length + 16);
        assert!(peak <= length + SLACK, "{peak} for {length} bytes");
    }
}
