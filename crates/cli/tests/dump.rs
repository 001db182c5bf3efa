//! `--dump-step0` writes the targets in the shape the readout gives them: one row per sequence
//! for `readout=last`, one per sequence and time step for `all` — told apart by the readout,
//! not by counting rows (at T = 1 both have as many rows as the inputs).

use serde_json::Value;
use std::process::Command;

/// The dump of one RNN configuration's first step.
fn dump(readout: &str, seq_len: &str) -> Value {
    let path = std::env::temp_dir().join(format!(
        "gradlab-dump-{readout}-{seq_len}-{}.json",
        std::process::id()
    ));
    let status = Command::new(env!("CARGO_BIN_EXE_gradlab-cli"))
        .args(["--model", "rnn", "--task", "series", "--readout", readout])
        .args([
            "--seq-len",
            seq_len,
            "--hidden",
            "3",
            "--batch",
            "2",
            "--steps",
            "1",
        ])
        .arg("--dump-step0")
        .arg(&path)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).ok();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn targets_follow_the_readout_at_every_length() {
    for seq_len in ["1", "4"] {
        let last = dump("last", seq_len);
        // [batch][output]: a number two levels down.
        assert!(last["y"][1][0].is_number(), "T={seq_len}: {}", last["y"]);
        let all = dump("all", seq_len);
        // [batch][T][output].
        let t: usize = seq_len.parse().unwrap();
        assert_eq!(all["y"][0].as_array().unwrap().len(), t, "T={seq_len}");
        assert!(
            all["y"][1][t - 1][0].is_number(),
            "T={seq_len}: {}",
            all["y"]
        );
    }
}
