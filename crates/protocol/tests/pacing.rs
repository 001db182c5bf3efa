//! The page's pacing of training requests (`ui::pacing::Pacer`), natively: every command gets
//! one answer, and an answered `Train` frees its slot whatever the answer was.

use gradlab_engine::TrainParams;
use gradlab_protocol::pacing::{Pacer, FULL_SPEED_IN_FLIGHT};
use gradlab_protocol::{Command, Event, MAX_CHUNK_STEPS};

fn train(max_steps: u32) -> Command {
    Command::Train {
        max_steps,
        budget_ms: 12.0,
        peak_stride: 1,
    }
}

fn failed() -> Event {
    Event::Failed {
        message: "the worker has no configuration yet".into(),
    }
}

/// A failed `Train` used to keep its in-flight slot: one failure stopped all further requests.
#[test]
fn a_failed_train_releases_its_slot() {
    let mut pacer = Pacer::default();
    // Full speed: two chunks in flight, no more.
    let asked = pacer.requests(0, true);
    assert_eq!(asked, vec![MAX_CHUNK_STEPS; FULL_SPEED_IN_FLIGHT]);
    for &max_steps in &asked {
        pacer.sent(&train(max_steps));
    }
    assert!(pacer.requests(0, true).is_empty());
    // Both answered with Failed: training resumes.
    pacer.answered(&failed());
    pacer.answered(&failed());
    assert_eq!(pacer.trains_in_flight(), 0);
    assert_eq!(pacer.requests(0, false).len(), FULL_SPEED_IN_FLIGHT);
}

/// Answers come in order: a `Failed` that answers a `Configure` frees no training slot, and the
/// unasked `Ready` answers nothing.
#[test]
fn answers_are_matched_to_commands_in_order() {
    let mut pacer = Pacer::default();
    let config = TrainParams::default().check().unwrap();
    pacer.sent(&Command::Configure(vec![config]));
    pacer.sent(&train(3));
    pacer.answered(&Event::Ready {
        version: String::new(),
        build: "simd128".into(),
    });
    assert_eq!(pacer.trains_in_flight(), 1);
    pacer.answered(&failed()); // the Configure's answer
    assert_eq!(pacer.trains_in_flight(), 1);
    assert!(
        pacer.requests(3, true).is_empty(),
        "one step-request at a time"
    );
    pacer.answered(&failed()); // the Train's answer
    assert_eq!(pacer.requests(3, true), vec![3]);
    // Below full speed only an animation frame asks.
    assert!(pacer.requests(3, false).is_empty());
}

#[test]
fn a_new_worker_starts_with_nothing_in_flight() {
    let mut pacer = Pacer::default();
    pacer.sent(&train(MAX_CHUNK_STEPS));
    pacer.clear();
    assert_eq!(pacer.trains_in_flight(), 0);
}

/// A burst of setting changes (a slider dragged over a deep net) builds the first network and
/// the newest, never the ones between; no training is asked for until the newest is built.
#[test]
fn a_burst_of_changes_builds_the_first_and_the_newest() {
    let mut pacer = Pacer::default();
    let config = |depth: f64| {
        TrainParams {
            depth,
            ..TrainParams::default()
        }
        .check()
        .unwrap()
    };
    let first = pacer.configure(vec![config(300.0)]).expect("sent at once");
    pacer.sent(&first);
    for depth in 301..340 {
        assert!(
            pacer.configure(vec![config(f64::from(depth))]).is_none(),
            "held"
        );
    }
    assert!(
        pacer.requests(0, true).is_empty(),
        "no training while building"
    );
    let configured = Event::Failed {
        message: "any answer".into(),
    };
    let Some(Command::Configure(newest)) = pacer.answered(&configured) else {
        panic!("the held settings are released");
    };
    assert_eq!(newest, vec![config(339.0)]);
    pacer.sent(&Command::Configure(newest));
    assert!(pacer.requests(0, true).is_empty());
    assert!(pacer.answered(&configured).is_none(), "nothing more held");
    assert_eq!(pacer.requests(0, true).len(), FULL_SPEED_IN_FLIGHT);
    // A new worker forgets what was held.
    let small = pacer.configure(vec![config(5.0)]).unwrap();
    pacer.sent(&small);
    assert!(pacer.configure(vec![config(6.0)]).is_none());
    pacer.clear();
    assert!(!pacer.configuring());
}

/// Reset at full speed: until the worker answers, the page's history is the old run's, so no
/// request (which carries that history's column width) is sent into the new run.
#[test]
fn no_training_is_asked_for_until_a_reset_is_answered() {
    let mut pacer = Pacer::default();
    pacer.sent(&train(MAX_CHUNK_STEPS));
    pacer.sent(&Command::Reset);
    assert!(pacer.requests(0, true).is_empty());
    pacer.answered(&failed()); // the Train's answer
    assert!(
        pacer.requests(0, true).is_empty(),
        "the Reset awaits its answer"
    );
    pacer.answered(&failed()); // the Reset's
    assert_eq!(pacer.requests(0, true).len(), FULL_SPEED_IN_FLIGHT);
}
