//! Pull-based pacing of training requests: which commands still await their answer, and what
//! to ask the worker for next. Pure logic (no browser handle), tested natively.
//!
//! The worker answers every command with exactly one event, in order; only [`Event::Ready`]
//! comes unasked. So the page keeps the commands it sent in a queue and takes one off per
//! answer. A `Train` frees its slot whatever the answer is — a [`Event::Progress`] or an
//! [`Event::Failed`] — so one failed request can never stop training for good.
//!
//! Below full speed one request of `speed` steps per animation frame is in flight (1 step per
//! frame really is one); at full speed two of [`MAX_CHUNK_STEPS`] each, so the worker never
//! waits for the page.

use crate::{Command, Event, MAX_CHUNK_STEPS};
use std::collections::VecDeque;

/// Train requests kept in flight at full speed.
pub const FULL_SPEED_IN_FLIGHT: usize = 2;

/// The commands sent and not yet answered (`true` for a `Train`).
#[derive(Clone, Debug, Default)]
pub struct Pacer {
    awaiting: VecDeque<bool>,
}

impl Pacer {
    /// Notes a command the worker accepted.
    pub fn sent(&mut self, command: &Command) {
        self.awaiting
            .push_back(matches!(command, Command::Train { .. }));
    }

    /// Notes an event: every event but `Ready` answers the oldest command awaiting one.
    pub fn answered(&mut self, event: &Event) {
        if !matches!(event, Event::Ready { .. }) {
            self.awaiting.pop_front();
        }
    }

    /// Forgets everything in flight (a new worker answers nothing the old one was sent).
    pub fn clear(&mut self) {
        self.awaiting.clear();
    }

    /// Train requests awaiting their answer.
    pub fn trains_in_flight(&self) -> usize {
        self.awaiting.iter().filter(|&&train| train).count()
    }

    /// The `max_steps` of each Train request to send now, at `speed` steps per frame
    /// (0 = as fast as possible); `from_frame` says whether an animation frame asks.
    pub fn requests(&self, speed: u32, from_frame: bool) -> Vec<u32> {
        let in_flight = self.trains_in_flight();
        if speed == 0 {
            vec![MAX_CHUNK_STEPS; FULL_SPEED_IN_FLIGHT.saturating_sub(in_flight)]
        } else if from_frame && in_flight == 0 {
            vec![speed]
        } else {
            Vec::new()
        }
    }
}
