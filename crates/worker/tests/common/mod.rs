//! Helpers shared by the integration tests (each test file that needs them says `mod common;`).

use gradlab_protocol::{Command, Event, ExportFormat};
use gradlab_worker::WorkerCore;

/// Exports through the worker as the page receives it: the text in parts, then `Exported` with
/// its length.
pub fn export_text(core: &mut WorkerCore, format: ExportFormat) -> String {
    let mut text = Vec::new();
    let Event::Exported {
        format: answered,
        bytes,
    } = core.handle(Command::Export(format), &mut || 0.0, &mut text)
    else {
        panic!("no Exported answer")
    };
    assert_eq!((answered, bytes as usize), (format, text.len()));
    String::from_utf8(text).unwrap()
}
