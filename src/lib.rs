//! gradlab: watch gradients explode in a real network, and tame them.
//!
//! Layers, one-way: [`engine`] (pure math, no web crate) → [`protocol`] → [`worker`] →
//! [`charts`] → [`ui`]. See ARCHITECTURE.md.

pub mod charts;
pub mod compare;
pub mod engine;
pub mod export;
pub mod lesson;
pub mod link;
pub mod protocol;
pub mod ui;
pub mod worker;
