//! The headless runner's `--sweep` against the engine's own tiles: the same grid gives the same
//! outcome and the same numbers tile by tile, however rayon spread the tiles over threads; a bad
//! axis is refused with its reason and exit status 2.

use gradlab_engine::sweep::{run_tile, Sweep};
use gradlab_engine::TrainParams;
use std::path::PathBuf;
use std::process::Command;

/// The runner, which Cargo builds for this crate's integration tests.
fn runner() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gradlab-cli"))
}

#[test]
fn the_runners_sweep_is_the_engines_tiles() {
    let spec = "depth=3:30:2,weight-scale=0.3:4:3";
    let out = Command::new(runner())
        .args(["--sweep", spec, "--lr", "0.1", "--steps", "120"])
        .output()
        .expect("the runner runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    let sweep = Sweep::parse(spec, 120).unwrap();
    let base = TrainParams {
        learning_rate: 0.1,
        ..TrainParams::default()
    };
    for (line, (c, r)) in lines.iter().zip(sweep.tiles()) {
        let tile = run_tile(&sweep, &base, c, r).unwrap();
        assert_eq!(line["depth"], sweep.x.value(c));
        assert_eq!(line["weight-scale"], sweep.y.value(r));
        assert_eq!(line["outcome"], tile.outcome.name(), "{line}");
        // serde_json reads floats back to within an ulp (no float_roundtrip feature).
        let same = |v: &serde_json::Value, x: f64| {
            v.as_f64().is_some_and(|v| (v - x).abs() <= 1e-15 * x.abs())
        };
        assert!(same(&line["loss_first"], tile.loss_first), "{line}");
        match tile.loss_last.is_finite() {
            true => assert!(same(&line["loss_last"], tile.loss_last), "{line}"),
            false => assert!(line["loss_last"].is_null()),
        }
    }
    let outcomes: Vec<&str> = lines
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.contains(&"vanished")
            && outcomes.contains(&"exploded")
            && outcomes.contains(&"trained")
    );

    let bad = Command::new(runner())
        .args(["--sweep", "depth=0:30:2,weight-scale=1:2:2"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--sweep: depth runs from 1"));
}
