//! gradlab's page: Leptos components that drive the training worker and draw its statistics.
//!
//! Layers, one-way, one crate each: `gradlab-engine` (pure math, no web crate) →
//! `gradlab-protocol` → `gradlab-worker` → `gradlab-charts` → this page ([`ui`]). See
//! ARCHITECTURE.md.

pub mod ui;
