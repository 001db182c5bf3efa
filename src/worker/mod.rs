//! The training worker: runs the [`Trainer`] off the page's thread.
//!
//! [`WorkerCore`] is the whole behaviour — one [`Command`] in, one [`Event`] out — and is plain
//! Rust, tested natively. `web` (wasm only) is the thin glue: it installs the message handler on
//! the worker's global scope, decodes commands, reads the clock for the time budget, and posts
//! events back. Steps are batched per message, so thousands of steps per second cost tens of
//! messages.

#[cfg(target_arch = "wasm32")]
mod web;
#[cfg(target_arch = "wasm32")]
pub use web::start;

use crate::engine::Trainer;
use crate::protocol::{merge_peak, Command, Configured, Event, Progress, StepSummary};

/// A worker's state: the current run, if configured.
#[derive(Default)]
pub struct WorkerCore {
    trainer: Option<Trainer>,
    run: u32,
}

impl WorkerCore {
    /// A worker with no run yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Carries out one command; `now` reads a millisecond clock (for the training budget).
    pub fn handle(&mut self, command: Command, now: &mut dyn FnMut() -> f64) -> Event {
        match command {
            Command::Configure(config) => {
                let restarted = match &mut self.trainer {
                    Some(trainer) => trainer.apply(config) == crate::engine::Applied::Rebuilt,
                    None => {
                        self.trainer = Some(Trainer::new(config));
                        true
                    }
                };
                self.configured(restarted)
            }
            Command::Reset => match &mut self.trainer {
                Some(trainer) => {
                    trainer.reset();
                    self.configured(true)
                }
                None => not_configured(),
            },
            Command::Train {
                max_steps,
                budget_ms,
            } => match &mut self.trainer {
                Some(trainer) => Event::Progress(Box::new(train(
                    trainer, self.run, max_steps, budget_ms, now,
                ))),
                None => not_configured(),
            },
        }
    }

    fn configured(&mut self, restarted: bool) -> Event {
        if restarted {
            self.run = self.run.wrapping_add(1);
        }
        let trainer = self.trainer.as_ref().expect("configured");
        Event::Configured(Configured {
            run: self.run,
            restarted,
            layer_count: trainer.layer_count() as u32,
            step: trainer.step_count(),
        })
    }
}

fn not_configured() -> Event {
    Event::Failed {
        message: "the worker has no configuration yet".into(),
    }
}

/// Steps `trainer` until `max_steps`, the time budget, or divergence.
fn train(
    trainer: &mut Trainer,
    run: u32,
    max_steps: u32,
    budget_ms: f64,
    now: &mut dyn FnMut() -> f64,
) -> Progress {
    let started = now();
    let mut steps = Vec::new();
    let mut peaks = vec![f32::NEG_INFINITY; trainer.layer_count()];
    let mut last = None;
    for _ in 0..max_steps {
        let Ok(stats) = trainer.step() else { break };
        steps.push(StepSummary::from(&stats));
        for (peak, &norm) in peaks.iter_mut().zip(&stats.grad_norms) {
            *peak = merge_peak(*peak, norm as f32);
        }
        let diverged = stats.non_finite.is_some();
        last = Some(stats);
        if diverged || now() - started >= budget_ms {
            break;
        }
    }
    Progress {
        run,
        steps,
        peak_grad_norms: peaks,
        last,
        diverged: trainer.diverged(),
        busy_ms: now() - started,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::TrainParams;

    fn configure(core: &mut WorkerCore, params: TrainParams) -> Configured {
        match core.handle(Command::Configure(params.check().unwrap()), &mut || 0.0) {
            Event::Configured(c) => c,
            other => panic!("{other:?}"),
        }
    }

    fn train(core: &mut WorkerCore, max_steps: u32) -> Progress {
        let command = Command::Train {
            max_steps,
            budget_ms: f64::INFINITY,
        };
        match core.handle(command, &mut || 0.0) {
            Event::Progress(p) => *p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn training_before_configuring_fails_politely() {
        let mut core = WorkerCore::new();
        let event = core.handle(
            Command::Train {
                max_steps: 1,
                budget_ms: 1.0,
            },
            &mut || 0.0,
        );
        assert!(matches!(event, Event::Failed { .. }));
        assert!(matches!(
            core.handle(Command::Reset, &mut || 0.0),
            Event::Failed { .. }
        ));
    }

    #[test]
    fn chunks_match_the_trainer_step_for_step() {
        let params = TrainParams::default();
        let mut core = WorkerCore::new();
        let first = configure(&mut core, params.clone());
        assert!(first.restarted && first.layer_count == 11);
        let a = train(&mut core, 7);
        let b = train(&mut core, 5);
        let mut reference = Trainer::new(params.check().unwrap());
        let expected: Vec<_> = (0..12).map(|_| reference.step().unwrap()).collect();
        let got: Vec<_> = a.steps.iter().chain(&b.steps).copied().collect();
        assert_eq!(got.len(), 12);
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(*g, StepSummary::from(e));
        }
        assert_eq!(b.last.as_ref(), expected.last());
        // Peaks are the per-layer maxima over the chunk.
        for l in 0..11 {
            let max = expected[7..]
                .iter()
                .map(|s| s.grad_norms[l] as f32)
                .fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(b.peak_grad_norms[l], max);
        }
    }

    #[test]
    fn live_changes_continue_the_run_structural_ones_restart_it() {
        let params = TrainParams::default();
        let mut core = WorkerCore::new();
        let first = configure(&mut core, params.clone());
        train(&mut core, 3);
        let live = configure(
            &mut core,
            TrainParams {
                learning_rate: 0.1,
                ..params.clone()
            },
        );
        assert_eq!((live.run, live.restarted, live.step), (first.run, false, 3));
        let rebuilt = configure(
            &mut core,
            TrainParams {
                depth: 3.0,
                ..params
            },
        );
        assert!(rebuilt.restarted && rebuilt.run != first.run && rebuilt.step == 0);
        assert_eq!(train(&mut core, 2).run, rebuilt.run);
    }

    #[test]
    fn the_time_budget_ends_a_chunk() {
        let mut core = WorkerCore::new();
        configure(&mut core, TrainParams::default());
        let mut clock = 0.0;
        let event = core.handle(
            Command::Train {
                max_steps: 1_000,
                budget_ms: 10.0,
            },
            &mut || {
                clock += 1.0;
                clock
            },
        );
        let Event::Progress(p) = event else { panic!() };
        // Each step reads the clock once: 10 ms of budget at 1 ms per read.
        assert!(p.steps.len() < 15, "{}", p.steps.len());
    }

    #[test]
    fn divergence_ends_the_chunk_and_is_reported() {
        let mut core = WorkerCore::new();
        configure(
            &mut core,
            TrainParams {
                depth: 200.0,
                width: 64.0,
                activation: "relu".into(),
                weight_scale: 3.0,
                ..TrainParams::default()
            },
        );
        let p = train(&mut core, 100);
        assert_eq!(p.steps.len(), 1);
        let at = p.diverged.expect("diverged");
        assert_eq!(p.last.unwrap().non_finite, Some(at));
        assert!(train(&mut core, 100).steps.is_empty());
        let Event::Configured(c) = core.handle(Command::Reset, &mut || 0.0) else {
            panic!()
        };
        assert!(c.restarted && c.step == 0);
    }
}
