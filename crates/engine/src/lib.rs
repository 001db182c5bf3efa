//! gradlab's training engine: a small, exact, seeded trainer whose every gradient is real.
//!
//! Owns the math and nothing else: pure Rust on `ndarray` and a seeded `rand`; no web crate, no
//! clock, no I/O, no OS randomness (its dependency tree is tested for that). Everything above
//! it — the browser worker, the charts, the page, the headless runner — drives a [`Trainer`]
//! and reads its [`StepStats`]; a researcher can do the same from Rust.
//!
//! # Example
//!
//! A vanilla tanh RNN on the adding problem (T = 20), its recurrent weights orthogonal × 1.5
//! (past the critical scale 1), with PyTorch's `clip_grad_norm_(params, 1.0)` — then
//! ‖∂L/∂h_t‖ for every time step of the last step:
//!
//! ```
//! use gradlab_engine::{TrainParams, Trainer};
//!
//! let params = TrainParams {
//!     model: "rnn".into(),
//!     task: "adding".into(),
//!     activation: "tanh".into(),
//!     seq_len: 20.0,
//!     hidden: 32.0,
//!     recurrent_init: "orthogonal".into(),
//!     recurrent_scale: 1.5,
//!     clip_mode: "global-norm".into(),
//!     clip_threshold: 1.0,
//!     learning_rate: 0.01,
//!     ..TrainParams::default()
//! };
//! // Raw settings (from flags, a link or a file) are checked into a typed configuration.
//! let config = params.check().expect("every value is in range");
//! let mut trainer = Trainer::new(config);
//!
//! let mut last = None;
//! for _ in 0..100 {
//!     let stats = trainer.step().expect("a clipped run stays finite");
//!     // The update used the clipped gradient: its global norm is at most the threshold.
//!     assert!(stats.global_norm_clipped <= 1.0 + 1e-6);
//!     last = Some(stats);
//! }
//! let stats = last.unwrap();
//! assert_eq!(stats.time_norms.len(), 20);
//! for (t, norm) in stats.time_norms.iter().enumerate() {
//!     println!("t = {:>2}   ‖∂L/∂h_t‖ = {norm:.3e}", t + 1);
//! }
//! // Every time step got a finite error. Whether it grows going back depends on tanh's slopes
//! // too: λ₁(W_h) > 1 is necessary for explosion, not sufficient (Pascanu et al. 2013).
//! assert!(stats.time_norms.iter().all(|n| n.is_finite() && *n > 0.0));
//! ```
//!
//! Shapes, throughout: batch rows. MLP: `x: [n, input_dim]`, `y: [n, 1]`, `W_l: [fan_in, fan_out]`,
//! `b_l: [fan_out]`, `z_l = h_{l−1} · W_l + b_l`; group arrays are input side first. RNN: the
//! same row convention, time-major (see [`rnn`]).
//!
//! One concept per file: [`activation`], [`init`], [`data`], [`sequence`] (and the
//! [`language`] model's text), [`mlp`] and [`rnn`] (behind the [`network`] seam, chosen by
//! [`model`]), [`cell`] (vanilla, LSTM, GRU), [`loss`], [`clip`], [`optim`], [`precision`] (f16/bf16 and loss scaling), [`schedule`], [`settings`] (the
//! one table of settings), [`params`] (raw settings, by the table's rows), [`config`] (checked), [`stats`], [`spectral`], [`theory`], [`sweep`] (the
//! trainability map), [`cliff`] (Pascanu's one-unit RNN), [`gemm`] and [`kernels`] (the fast
//! paths), [`trainer`].

#![warn(missing_docs)]

pub mod activation;
pub mod cell;
pub mod cliff;
pub mod clip;
pub mod config;
pub mod csv_table;
pub mod data;
pub mod gemm;
pub mod group;
pub mod init;
pub mod kernels;
pub mod language;
pub mod layer_norm;
pub mod loss;
pub mod memory;
pub mod mlp;
pub mod model;
pub mod network;
pub mod optim;
pub mod own_points;
pub mod own_series;
pub mod parallel;
pub mod params;
pub mod precision;
pub mod rng;
pub mod rnn;
pub mod scalar;
pub mod schedule;
pub mod sequence;
pub mod settings;
pub mod spectral;
pub mod stats;
pub mod sweep;
pub mod theory;
pub mod trainer;
pub mod transformer;

pub use activation::Activation;
pub use clip::{Clip, ClipMode};
pub use config::{ConfigError, Field, LiveConfig, NetConfig, TrainConfig, TrainParams};
pub use data::DatasetKind;
pub use model::{MlpConfig, ModelConfig, ModelDescription, ProfileAxis, RnnConfig};
pub use stats::{NonFinite, Quantity, StepStats};
pub use trainer::{Applied, Diverged, StepTrace, Trainer};
