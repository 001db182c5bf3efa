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

use crate::engine::{Applied, TrainConfig, Trainer};
use crate::export::{to_csv, to_json, Exported, RunLog};
use crate::protocol::{
    merge_peak, Chunk, Command, Configured, Event, ExportFormat, Progress, StepSummary, MAX_RUNS,
};

/// One network the worker trains, with the log a download is made from.
struct Lane {
    trainer: Trainer,
    log: RunLog,
}

impl Lane {
    fn new(config: TrainConfig) -> Self {
        let trainer = Trainer::new(config);
        let log = RunLog::new(trainer.layer_count());
        Self { trainer, log }
    }

    fn reset(&mut self) {
        self.trainer.reset();
        self.clear_log();
    }

    /// An empty log for the trainer's current network.
    fn clear_log(&mut self) {
        self.log = RunLog::new(self.trainer.layer_count());
    }
}

/// A worker's state: the networks of the current run (none before the first configuration).
#[derive(Default)]
pub struct WorkerCore {
    lanes: Vec<Lane>,
    run: u32,
}

impl WorkerCore {
    /// A worker with no run yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Carries out one command; `now` reads a millisecond clock (for the training budget).
    pub fn handle(&mut self, command: Command, now: &mut dyn FnMut() -> f64) -> Event {
        if self.lanes.is_empty() && !matches!(command, Command::Configure(_)) {
            return Event::Failed {
                message: "the worker has no configuration yet".into(),
            };
        }
        match command {
            Command::Configure(configs) => self.configure(configs),
            Command::Reset => {
                self.lanes.iter_mut().for_each(Lane::reset);
                self.configured(true)
            }
            Command::Train {
                max_steps,
                budget_ms,
            } => Event::Progress(Box::new(self.train(max_steps, budget_ms, now))),
            Command::Export(format) => self.export(format),
        }
    }

    fn configure(&mut self, configs: Vec<TrainConfig>) -> Event {
        if configs.is_empty() || configs.len() > MAX_RUNS {
            return Event::Failed {
                message: format!(
                    "asked to train {} networks; the worker trains 1 to {MAX_RUNS}",
                    configs.len()
                ),
            };
        }
        let restarted = if configs.len() == self.lanes.len() {
            let rebuilt: Vec<bool> = self
                .lanes
                .iter_mut()
                .zip(configs)
                .map(|(lane, config)| lane.trainer.apply(config) == Applied::Rebuilt)
                .collect();
            // Compared runs stay in lockstep: one network rebuilt starts the other over too.
            let any = rebuilt.iter().any(|&r| r);
            for (lane, rebuilt) in self.lanes.iter_mut().zip(rebuilt) {
                if rebuilt {
                    lane.clear_log();
                } else if any {
                    lane.reset();
                }
            }
            any
        } else {
            self.lanes = configs.into_iter().map(Lane::new).collect();
            true
        };
        self.configured(restarted)
    }

    fn configured(&mut self, restarted: bool) -> Event {
        if restarted {
            self.run = self.run.wrapping_add(1);
        }
        let first = &self.lanes[0].trainer;
        Event::Configured(Configured {
            run: self.run,
            restarted,
            layer_count: first.layer_count() as u32,
            runs: self.lanes.len() as u32,
            step: first.step_count(),
        })
    }

    /// Steps every network that has not diverged, one step each per round, until `max_steps`
    /// rounds, the time budget, or every network has diverged.
    fn train(&mut self, max_steps: u32, budget_ms: f64, now: &mut dyn FnMut() -> f64) -> Chunk {
        let started = now();
        let mut runs: Vec<Progress> = self
            .lanes
            .iter()
            .map(|lane| Progress {
                steps: Vec::new(),
                peak_grad_norms: vec![f32::NEG_INFINITY; lane.trainer.layer_count()],
                last: None,
                diverged: None,
            })
            .collect();
        for _ in 0..max_steps {
            for (lane, progress) in self.lanes.iter_mut().zip(&mut runs) {
                let Ok(stats) = lane.trainer.step() else {
                    continue;
                };
                lane.log.record(&stats);
                progress.steps.push(StepSummary::from(&stats));
                for (peak, &norm) in progress.peak_grad_norms.iter_mut().zip(&stats.grad_norms) {
                    *peak = merge_peak(*peak, norm as f32);
                }
                progress.last = Some(stats);
            }
            // A step fails only on a diverged network: stop once every network has.
            if self.lanes.iter().all(|l| l.trainer.diverged().is_some()) {
                break;
            }
            if now() - started >= budget_ms {
                break;
            }
        }
        for (lane, progress) in self.lanes.iter_mut().zip(&mut runs) {
            progress.diverged = lane.trainer.diverged();
            lane.log.set_last(progress.last.clone());
        }
        Chunk {
            run: self.run,
            runs,
            busy_ms: now() - started,
        }
    }

    fn export(&self, format: ExportFormat) -> Event {
        let runs: Vec<Exported> = self
            .lanes
            .iter()
            .zip(["A", "B"])
            .map(|(lane, name)| Exported {
                name,
                config: lane.trainer.config(),
                log: &lane.log,
            })
            .collect();
        let text = match format {
            ExportFormat::Csv => to_csv(&runs),
            ExportFormat::Json => to_json(&runs),
        };
        Event::Exported { format, text }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::TrainParams;

    fn configure(core: &mut WorkerCore, params: TrainParams) -> Configured {
        configure_all(core, &[params])
    }

    fn configure_all(core: &mut WorkerCore, params: &[TrainParams]) -> Configured {
        let configs = params.iter().map(|p| p.check().unwrap()).collect();
        match core.handle(Command::Configure(configs), &mut || 0.0) {
            Event::Configured(c) => c,
            other => panic!("{other:?}"),
        }
    }

    fn train_all(core: &mut WorkerCore, max_steps: u32) -> Chunk {
        let command = Command::Train {
            max_steps,
            budget_ms: f64::INFINITY,
        };
        match core.handle(command, &mut || 0.0) {
            Event::Progress(p) => *p,
            other => panic!("{other:?}"),
        }
    }

    fn train(core: &mut WorkerCore, max_steps: u32) -> Progress {
        let chunk = train_all(core, max_steps);
        assert_eq!(chunk.runs.len(), 1);
        chunk.runs.into_iter().next().unwrap()
    }

    fn exploding() -> TrainParams {
        TrainParams {
            depth: 200.0,
            width: 64.0,
            activation: "relu".into(),
            weight_scale: 3.0,
            ..TrainParams::default()
        }
    }

    /// Compare mode with the same settings twice: the two runs are the same run.
    #[test]
    fn compared_runs_with_identical_settings_are_identical() {
        let params = TrainParams {
            depth: 6.0,
            weight_scale: 1.8,
            clip_mode: "value".into(),
            clip_threshold: 0.1,
            ..TrainParams::default()
        };
        let mut core = WorkerCore::new();
        let c = configure_all(&mut core, &[params.clone(), params]);
        assert_eq!((c.runs, c.layer_count), (2, 7));
        for _ in 0..3 {
            let chunk = train_all(&mut core, 40);
            let [a, b] = &chunk.runs[..] else { panic!() };
            assert_eq!(a.steps.len(), 40);
            assert_eq!(a, b);
        }
    }

    /// Different settings, same seed: lockstep step indices, different numbers; when one
    /// network diverges the other trains on.
    #[test]
    fn compared_runs_keep_step_and_outlive_a_divergence() {
        // The exploding net of lesson 5: unclipped it overflows within ~25 steps.
        let wild = TrainParams {
            depth: 20.0,
            weight_scale: 2.0,
            learning_rate: 0.3,
            ..TrainParams::default()
        };
        let tame = TrainParams {
            clip_mode: "global-norm".into(),
            ..wild.clone()
        };
        let mut core = WorkerCore::new();
        configure_all(&mut core, &[wild, tame]);
        let chunk = train_all(&mut core, 100);
        let [wild, tame] = &chunk.runs[..] else {
            panic!()
        };
        let at = wild.diverged.expect("unclipped diverges").step;
        assert!(at < 50 && wild.steps.len() as u64 == at + 1);
        assert!(tame.diverged.is_none());
        assert_eq!(tame.steps.len(), 100);
        // Same step indices while both ran; different numbers.
        assert!(wild
            .steps
            .iter()
            .zip(&tame.steps)
            .all(|(w, t)| w.step == t.step));
        assert_ne!(wild.steps[5].loss, tame.steps[5].loss);
        // The next chunk trains the survivor alone.
        let next = train_all(&mut core, 10);
        assert!(next.runs[0].steps.is_empty());
        assert_eq!(next.runs[1].steps[0].step, 100);
    }

    /// Two networks whose shapes differ still restart together, and a change of network count
    /// is a restart.
    #[test]
    fn a_rebuild_of_one_network_restarts_both() {
        let a = TrainParams::default();
        let b = TrainParams {
            clip_mode: "value".into(),
            ..a.clone()
        };
        let mut core = WorkerCore::new();
        let first = configure_all(&mut core, &[a.clone(), b.clone()]);
        train_all(&mut core, 5);
        let live = configure_all(
            &mut core,
            &[
                a.clone(),
                TrainParams {
                    learning_rate: 0.2,
                    ..b.clone()
                },
            ],
        );
        assert!(!live.restarted && live.step == 5);
        let rebuilt = configure_all(
            &mut core,
            &[
                a.clone(),
                TrainParams {
                    weight_scale: 2.0,
                    ..b
                },
            ],
        );
        assert!(rebuilt.restarted && rebuilt.run != first.run && rebuilt.step == 0);
        let chunk = train_all(&mut core, 2);
        assert!(chunk.runs.iter().all(|p| p.steps[0].step == 0));
        let single = configure(&mut core, a);
        assert!(single.restarted && single.runs == 1);
        let three = core.handle(
            Command::Configure(vec![TrainParams::default().check().unwrap(); 3]),
            &mut || 0.0,
        );
        assert!(matches!(three, Event::Failed { .. }));
    }

    #[test]
    fn export_answers_with_the_logged_steps() {
        let mut core = WorkerCore::new();
        let params = TrainParams {
            depth: 2.0,
            ..TrainParams::default()
        };
        configure_all(&mut core, &[params.clone(), params]);
        train_all(&mut core, 4);
        let Event::Exported { format, text } =
            core.handle(Command::Export(ExportFormat::Csv), &mut || 0.0)
        else {
            panic!()
        };
        assert_eq!(format, ExportFormat::Csv);
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(rows.len(), 8);
        assert_eq!(rows.iter().filter(|r| r.starts_with("B,")).count(), 4);
        // A reset empties the log.
        core.handle(Command::Reset, &mut || 0.0);
        let Event::Exported { text, .. } =
            core.handle(Command::Export(ExportFormat::Json), &mut || 0.0)
        else {
            panic!()
        };
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["runs"].as_array().unwrap().len(), 2);
        assert!(json["runs"][0]["steps"].as_array().unwrap().is_empty());
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
        assert_eq!(train_all(&mut core, 2).run, rebuilt.run);
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
        let Event::Progress(chunk) = event else {
            panic!()
        };
        let p = &chunk.runs[0];
        // Each step reads the clock once: 10 ms of budget at 1 ms per read.
        assert!(p.steps.len() < 15, "{}", p.steps.len());
    }

    #[test]
    fn divergence_ends_the_chunk_and_is_reported() {
        let mut core = WorkerCore::new();
        configure(&mut core, exploding());
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
