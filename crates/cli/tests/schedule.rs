//! The runner's learning-rate schedule: every line says the rate its step used (`lr`), as
//! `../shared/THEORY.md` defines it: warmup η·t/T_w, then the cosine η_min + (η − η_min)·½(1 + cos(π(t − T_w)/T_d)),
//! η_min = 0.1·η — here η = 0.2, T_w = 2, T_d = 4, worked by hand: 0, 0.1, 0.2,
//! 0.02 + 0.18·½(1 + cos(π/4)) = 0.173640…, 0.11, 0.046360…, 0.02, 0.02.

use std::process::Command;

#[test]
fn every_line_carries_the_rate_its_step_used() {
    let out = Command::new(env!("CARGO_BIN_EXE_gradlab-cli"))
        .args([
            "--schedule",
            "warmup-cosine",
            "--warmup-steps",
            "2",
            "--decay-steps",
            "4",
        ])
        .args(["--lr", "0.2", "--steps", "8"])
        .output()
        .expect("the runner runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rates: Vec<f64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["lr"]
                .as_f64()
                .unwrap()
        })
        .collect();
    let want = [
        0.0,
        0.1,
        0.2,
        0.173_639_610_306_789_3,
        0.11,
        0.046_360_389_693_210_7,
        0.02,
        0.02,
    ];
    assert_eq!(rates.len(), want.len());
    for (got, want) in rates.iter().zip(want) {
        assert!((got - want).abs() < 1e-12, "{rates:?}");
    }
}

#[test]
fn an_unknown_schedule_is_refused_with_the_choices() {
    let out = Command::new(env!("CARGO_BIN_EXE_gradlab-cli"))
        .args(["--schedule", "linear", "--steps", "1"])
        .output()
        .expect("the runner runs");
    assert_eq!(out.status.code(), Some(2));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(
        message.contains("constant, warmup, warmup-cosine"),
        "{message}"
    );
}
