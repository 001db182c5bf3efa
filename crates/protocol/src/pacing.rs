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
//!
//! Changes of settings are coalesced: one `Configure` is in flight at a time, and while it is,
//! a newer one is held (replacing any held before) and sent when the answer comes — a slider
//! dragged through 80 positions of a deep net builds the first network and the last, not 80.
//! No training is asked for while a `Configure` or `Reset` awaits its answer or is held: it
//! would train a network about to be replaced, with the old run's history column width.

use crate::{Command, Event, MAX_CHUNK_STEPS};
use gradlab_engine::TrainConfig;
use std::collections::VecDeque;

/// Train requests kept in flight at full speed.
pub const FULL_SPEED_IN_FLIGHT: usize = 2;

/// What kind of command awaits its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Awaiting {
    Train,
    Configure,
    /// A `Reset`: until its answer the page's history is the old run's, and a request would
    /// carry that run's column width into the new one (an empty band in the heat map).
    Reset,
    Other,
}

/// The commands sent and not yet answered, and the newest settings held back.
#[derive(Clone, Debug, Default)]
pub struct Pacer {
    awaiting: VecDeque<Awaiting>,
    held: Option<Vec<TrainConfig>>,
}

impl Pacer {
    /// Notes a command the worker accepted.
    pub fn sent(&mut self, command: &Command) {
        self.awaiting.push_back(match command {
            Command::Train { .. } => Awaiting::Train,
            Command::Configure(_) => Awaiting::Configure,
            Command::Reset => Awaiting::Reset,
            _ => Awaiting::Other,
        });
    }

    /// The command to send for new settings: their `Configure` now, or none while another
    /// awaits its answer — they are then held (replacing older held settings) until
    /// [`answered`](Self::answered) hands them out.
    pub fn configure(&mut self, configs: Vec<TrainConfig>) -> Option<Command> {
        if self.awaiting.contains(&Awaiting::Configure) {
            self.held = Some(configs);
            None
        } else {
            Some(Command::Configure(configs))
        }
    }

    /// Notes an event: every event but `Ready` answers the oldest command awaiting one. The
    /// answer to a `Configure` releases the held settings, if any: the command to send next.
    pub fn answered(&mut self, event: &Event) -> Option<Command> {
        if matches!(event, Event::Ready { .. }) {
            return None;
        }
        match self.awaiting.pop_front() {
            Some(Awaiting::Configure) => self.held.take().map(Command::Configure),
            _ => None,
        }
    }

    /// Forgets everything in flight and held (a new worker answers nothing the old one was
    /// sent, and is sent the current settings when it is ready).
    pub fn clear(&mut self) {
        self.awaiting.clear();
        self.held = None;
    }

    /// Train requests awaiting their answer.
    pub fn trains_in_flight(&self) -> usize {
        self.awaiting
            .iter()
            .filter(|&&a| a == Awaiting::Train)
            .count()
    }

    /// Whether new settings or a restart are on their way to the worker (sent, or held):
    /// no training is asked for until the answer.
    pub fn configuring(&self) -> bool {
        self.held.is_some()
            || self
                .awaiting
                .iter()
                .any(|a| matches!(a, Awaiting::Configure | Awaiting::Reset))
    }

    /// The `max_steps` of each Train request to send now, at `speed` steps per frame
    /// (0 = as fast as possible); `from_frame` says whether an animation frame asks.
    pub fn requests(&self, speed: u32, from_frame: bool) -> Vec<u32> {
        let in_flight = self.trains_in_flight();
        if self.configuring() {
            Vec::new()
        } else if speed == 0 {
            vec![MAX_CHUNK_STEPS; FULL_SPEED_IN_FLIGHT.saturating_sub(in_flight)]
        } else if from_frame && in_flight == 0 {
            vec![speed]
        } else {
            Vec::new()
        }
    }
}
