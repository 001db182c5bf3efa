//! A full download log's export, measured with a counting allocator. As the worker sends it —
//! streamed in parts of `EXPORT_PART_BYTES` to the page — it holds one part, not the text (the
//! page assembles the parts outside wasm memory, in a Blob). As one string (`to_csv`,
//! `to_json`), the text is written once into a buffer of its exact size. Before, the JSON was
//! built from collected rows and pretty-printed into a growing string, then copied again to be
//! encoded for the page: several times the text, transiently, in memory that never shrinks.
//!
//! The tests in this binary take one lock, so no other thread allocates while one measures.
//! The worker's logs are measured here too: however runs come and go, it holds at most
//! `MAX_RUNS` of them.

use gradlab_engine::{TrainParams, Trainer};
use gradlab_protocol::export::{
    to_csv, to_json, write_export, Exported, RowShape, RunLog, MAX_NUMBERS,
};
use gradlab_protocol::run_log::SCALARS;
use gradlab_protocol::ExportFormat;
use gradlab_worker::EXPORT_PART_BYTES;
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Allocations of 8 MB or more (a run's log is 16 MB).
static BIG: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    if bytes >= 8 << 20 {
        BIG.fetch_add(1, SeqCst);
    }
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

/// Held by each test while it measures.
static MEASURING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Bytes allocated at the peak of `f`, above what was live before it.
fn peak_above_start<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.load(SeqCst);
    PEAK.store(start, SeqCst);
    let out = f();
    (out, PEAK.load(SeqCst) - start)
}

#[test]
fn exporting_a_full_log_streams_in_parts_or_holds_the_text_once() {
    let _measuring = MEASURING.lock().unwrap();
    let config = TrainParams::default().check().unwrap();
    let mut trainer = Trainer::new(config);
    let layers = trainer.group_count();
    let mut stats = trainer.step().unwrap();
    let mut log = RunLog::new(RowShape::groups_and_times(layers, 0));
    let rows = MAX_NUMBERS / (3 * layers + SCALARS); // a row: its scalars and 3 norms per group
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
            ExportFormat::Pytorch => unreachable!("not a text of the log"),
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
        drop(text);
        // Streamed as the worker does: parts of EXPORT_PART_BYTES to a sink (the page).
        let (written, peak) = peak_above_start(|| {
            let mut parts = BufWriter::with_capacity(EXPORT_PART_BYTES, std::io::sink());
            let n = write_export(&runs, format, &mut parts).unwrap();
            parts.flush().unwrap();
            n
        });
        eprintln!("  streamed to the page: peak {:.2} MB", peak as f64 / 1e6);
        assert_eq!(written as usize, length, "the same text");
        assert!(
            peak <= EXPORT_PART_BYTES + SLACK,
            "{peak} bytes held while streaming"
        );
    }
}

/// Compare mode switched on and off, networks of both kinds: the worker reuses its runs' logs
/// (16 MB each) instead of freeing and reserving them again — in wasm, whose memory never
/// shrinks, each fresh reservation could land past the freed one and grow the worker for good.
#[test]
fn the_worker_reuses_its_logs_however_runs_come_and_go() {
    use gradlab_protocol::{Command, Event};
    use gradlab_worker::WorkerCore;
    let _measuring = MEASURING.lock().unwrap();
    let mlp = TrainParams::default();
    let rnn = TrainParams {
        model: "rnn".into(),
        seq_len: 30.0,
        ..TrainParams::default()
    };
    let mut core = WorkerCore::new();
    let configure = |core: &mut WorkerCore, runs: &[&TrainParams]| {
        let configs = runs.iter().map(|p| p.check().unwrap()).collect();
        let event = core.handle(
            Command::Configure(configs),
            &mut || 0.0,
            &mut std::io::sink(),
        );
        assert!(matches!(event, Event::Configured(_)));
    };
    configure(&mut core, &[&mlp, &mlp]);
    let big_before = BIG.load(SeqCst);
    let (_, peak) = peak_above_start(|| {
        for round in 0..10 {
            let shape = if round % 2 == 0 { &mlp } else { &rnn };
            configure(&mut core, &[shape]);
            configure(&mut core, &[shape, &mlp]);
        }
    });
    let log = MAX_NUMBERS * 4;
    eprintln!("peak over 20 reconfigurations: {:.1} MB", peak as f64 / 1e6);
    assert_eq!(BIG.load(SeqCst) - big_before, 0, "a log was reserved again");
    assert!(peak <= log + (4 << 20), "{peak} bytes");
}
