//! gradlab's page: Leptos components that drive the training worker and draw its statistics.
//!
//! Layers, one-way, one crate each: `gradlab-engine` (pure math, no web crate) →
//! `gradlab-protocol` → `gradlab-worker` → `gradlab-charts` → this page ([`ui`]). See
//! ARCHITECTURE.md.

pub mod ui;

// The page's own unit tests (slider scales, formats, shortcuts, chart data) run in headless
// Chromium with its browser tests (`make web`): the page is built for wasm32 only.
#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
