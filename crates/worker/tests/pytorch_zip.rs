//! The page's "Reproduce in PyTorch" download: the worker's zip of the folder, and the command
//! that sends it.

use gradlab_engine::model::OwnData;
use gradlab_engine::TrainParams;
use gradlab_protocol::link::from_query;
use gradlab_protocol::pytorch::{folder_name, pytorch_folder};
use gradlab_worker::zip_folder;
use std::io::Read;

/// The page's download: one zip holding the folder under its name, every file intact.
#[test]
fn zip_holds_the_folder() {
    let config = from_query("model=rnn&seq-len=4&hidden=3", &TrainParams::default()).config;
    let files = pytorch_folder(&config, &OwnData::default(), 2).unwrap();
    let name = folder_name(&config);
    assert_eq!(name, "gradlab-pytorch-vanilla-seed1");
    let bytes = zip_folder(&name, &files).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(archive.len(), files.len());
    for f in &files {
        let mut entry = archive.by_name(&format!("{name}/{}", f.path)).unwrap();
        let mut read = Vec::new();
        entry.read_to_end(&mut read).unwrap();
        assert_eq!(read, f.bytes, "{}", f.path);
    }
}

/// `Command::Export(Pytorch)` sends run A's folder as the download's bytes, whatever the run
/// has trained so far: the zip of `pytorch_folder` for its settings from step 0.
#[test]
fn the_export_command_sends_the_zip() {
    use gradlab_protocol::{Command, Event, ExportFormat};
    let config = from_query("depth=3&width=4&seed=5", &TrainParams::default()).config;
    let mut core = gradlab_worker::WorkerCore::new();
    core.handle(
        Command::Configure(vec![config]),
        &mut || 0.0,
        &mut std::io::sink(),
    );
    let mut sent = Vec::new();
    let event = core.handle(
        Command::Export(ExportFormat::Pytorch),
        &mut || 0.0,
        &mut sent,
    );
    assert_eq!(
        event,
        Event::Exported {
            format: ExportFormat::Pytorch,
            bytes: sent.len() as u64
        }
    );
    let files = pytorch_folder(
        &config,
        &OwnData::default(),
        gradlab_protocol::pytorch::DEFAULT_STEPS,
    )
    .unwrap();
    assert_eq!(
        sent,
        zip_folder("gradlab-pytorch-mlp-seed5", &files).unwrap()
    );
}
