//! The training engine: a small, exact, seeded trainer whose every gradient is real.
//!
//! Owns the math and nothing else: pure Rust on `ndarray` and a seeded `rand`; no web crate, no
//! clock, no I/O, no OS randomness. Everything above it (worker, charts, page, headless runner)
//! drives a [`Trainer`] and reads its [`StepStats`].
//!
//! Shapes, throughout: batch rows. MLP: `x: [n, input_dim]`, `y: [n, 1]`, `W_l: [fan_in, fan_out]`,
//! `b_l: [fan_out]`, `z_l = h_{l−1} · W_l + b_l`; group arrays are input side first. RNN: the
//! same row convention, time-major (see [`rnn`]).
//!
//! One concept per file: [`activation`], [`init`], [`data`], [`sequence`] (and the
//! [`language`] model's text), [`mlp`] and [`rnn`]
//! (behind the [`network`] seam, chosen by [`model`]), [`loss`], [`clip`], [`optim`],
//! [`settings`] (the one table of settings), [`config`], [`stats`], [`spectral`], [`trainer`].

pub mod activation;
pub mod cell;
pub mod cliff;
pub mod clip;
pub mod config;
pub mod data;
pub mod gemm;
pub mod group;
pub mod init;
pub mod kernels;
pub mod language;
pub mod loss;
pub mod mlp;
pub mod model;
pub mod network;
pub mod optim;
pub mod rng;
pub mod rnn;
pub mod scalar;
pub mod sequence;
pub mod settings;
pub mod spectral;
pub mod stats;
pub mod sweep;
pub mod theory;
pub mod trainer;

pub use activation::Activation;
pub use clip::{Clip, ClipMode};
pub use config::{ConfigError, Field, LiveConfig, NetConfig, TrainConfig, TrainParams};
pub use data::DatasetKind;
pub use model::{MlpConfig, ModelConfig, ModelDescription, ProfileAxis, RnnConfig};
pub use stats::{NonFinite, Quantity, StepStats};
pub use trainer::{Applied, Diverged, StepTrace, Trainer};
