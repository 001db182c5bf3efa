//! The page: Leptos components, mounted by `main.rs`.
//!
//! Owns what the user sees and touches. It never trains: the worker does, and the page only
//! sends it commands and draws what comes back.

pub mod address;
pub mod bridge;
pub mod canvas;
pub mod chart_data;
pub mod charts_view;
pub mod cliff_view;
pub mod compare_controls;
pub mod controller;
pub mod controls;
pub mod download;
pub mod embed;
pub mod fetch;
pub mod format;
pub mod keys;
pub mod lessons;
pub mod options;
pub mod own_data;
pub mod painter;
pub mod phase_pool;
pub mod phase_view;
pub mod png;
pub mod release;
pub mod run_controls;
pub mod samples;
pub mod scale;
pub mod state;
pub mod status;
pub mod table;
pub mod widgets;
pub mod worker_events;

use charts_view::Charts;
use cliff_view::{CliffPanel, OpenCliff};
use controls::Controls;
use gradlab_engine::TrainParams;
use gradlab_protocol::link;
use leptos::prelude::*;
use lessons::LessonPanel;
use phase_view::{OpenPhase, PhasePanel};
use samples::LanguageSamples;
use state::Lab;
use status::{Notices, SecondStatusLine, StatusLine};
use table::LayerTable;

/// The page's millisecond clock (`performance.now()`), 0 where there is none.
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Mounts [`App`] on the page body, with panics reported to the browser console.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// Runs `tick` on every animation frame for the life of the page.
fn every_frame(tick: impl Fn() + Clone + 'static) {
    request_animation_frame(move || {
        tick();
        every_frame(tick);
    });
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    // The address is a link to a run: start from it, saying what had to be corrected.
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let opened = link::from_query(&search, &TrainParams::default());
    let lab = Lab::new(opened.params);
    lab.notices.set(opened.notices);
    lab.hidden.set(opened.page.hidden);
    lab.compare.set(opened.page.compare);
    lab.lesson.set(opened.page.lesson.map(|n| n - 1));
    lab.cliff.set(opened.page.cliff);
    lab.phase.set(opened.page.phase);
    if let Some(view) = opened.page.view {
        charts_view::set_bars_quantity(lab, state::BarsQuantity::from_name(view));
    }
    if let Some(speed) = opened.page.speed {
        lab.speed.set(speed);
    }
    lab.presenting.set(opened.page.present);
    lab.embed.set(opened.page.embed);
    provide_context(lab);
    let painter = painter::PainterSlot::new();
    provide_context(painter);
    Effect::new(move |_| {
        lab.params.track();
        lab.compare.track();
        controller::configure(lab);
    });
    // Pausing shows the count and numbers as they stand (while playing they refresh on a
    // timer, so the last one may be up to a refresh behind).
    Effect::new(move |_| {
        if !lab.playing.get() {
            worker_events::refresh(lab);
        }
    });
    Effect::new(move |_| {
        lab.lesson.track();
        lab.bars_quantity.track();
        lab.speed.track();
        lab.cliff.track();
        lab.phase.track();
        lab.presenting.track();
        address::keep_in_address_bar(lab);
    });
    // The presenter view and an embedded lab restyle the whole page (style/main.css,
    // `html.presenting`, `html.embedded`).
    Effect::new(move |_| {
        let (presenting, embedded) = (lab.presenting.get(), lab.embed.with(Option::is_some));
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root
                .class_list()
                .toggle_with_force("presenting", presenting);
            let _ = root.class_list().toggle_with_force("embedded", embedded);
        }
    });
    embed::pause_out_of_sight(lab);
    embed::listen_to_host(lab);
    lessons::load(lab);
    controller::start_worker(lab);
    keys::install(lab);
    register_offline_copy();
    every_frame(move || {
        controller::on_frame(lab);
        painter::paint(lab, painter);
    });
    view! {
        <header class="masthead">
            <h1>"gradlab"</h1>
            <p class="tagline">
                "Watch gradients explode in a real network — then tame them. Push the weight scale past "
                "its critical mark, press Play, and watch the early layers' gradients shoot up; then turn "
                "on clipping."
            </p>
            <nav class="maps" aria-label="Maps"><OpenPhase/><OpenCliff/></nav>
            <embed::OpenInGradlab/>
            <p class="present-keys" id="present-keys" hidden=move || !lab.presenting.get()>
                "Presenter view — "<kbd>"Space"</kbd>" play / pause · "<kbd>"."</kbd>" one step · "
                <kbd>"R"</kbd>" reset · "<kbd>"P"</kbd>" or "<kbd>"Esc"</kbd>" back to the lab"
            </p>
        </header>
        <div class="lab">
            <aside class="controls" aria-label="Lessons and controls">
                <LessonPanel/>
                <Controls/>
            </aside>
            <main class="board">
                <StatusLine/>
                <SecondStatusLine/>
                <Notices/>
                <PhasePanel/>
                <CliffPanel/>
                <Charts/>
                <LanguageSamples/>
                <LayerTable/>
            </main>
        </div>
        <PerfProbe/>
        <footer class="colophon">
            "A real multi-layer perceptron or recurrent network, trained in your browser (Rust → WebAssembly, in a Web Worker). "
            "Gradient norms are Frobenius norms: of each layer's weight and bias gradients together (MLP), of each parameter tensor (RNN)."
            <EngineBuild/>
        </footer>
    }
}

/// Registers the service worker that keeps a copy of the page for offline use (`public/sw.js`).
/// Where that is impossible (a `file:` page, a browser without service workers) the page
/// simply has no offline copy: nothing to tell the reader.
fn register_offline_copy() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    // `navigator.serviceWorker` is missing outside secure contexts (a plain-http school server).
    let available = js_sys::Reflect::get(&navigator, &"serviceWorker".into())
        .is_ok_and(|container| !container.is_undefined());
    if !available {
        return;
    }
    // The copy keeps the engine build this page runs: the plain one if its link forces it.
    let search = window.location().search().unwrap_or_default();
    let script = if link::forces_plain_engine(&search) {
        format!("./sw.js?engine={}", link::ENGINE_PLAIN)
    } else {
        "./sw.js".to_string()
    };
    let registering = navigator.service_worker().register(&script);
    leptos::task::spawn_local(async move {
        let _ = wasm_bindgen_futures::JsFuture::from(registering).await;
    });
}

/// A quiet line naming the engine build the worker runs: the browser picks the relaxed-SIMD
/// build where it validates, on two threads where the page is cross-origin isolated
/// (`public/engine_build.js`).
#[component]
fn EngineBuild() -> impl IntoView {
    let lab = expect_context::<Lab>();
    move || {
        lab.engine_build.get().map(|build| {
            let how = if build.contains("threads") {
                "fused multiply-add where the CPU has one"
            } else if build.contains("relaxed") {
                "fused multiply-add where the CPU has one; one thread, as the server sends no \
                 cross-origin isolation headers"
            } else {
                "this browser has no relaxed SIMD"
            };
            view! {
                <span id="engine-build" class="engine-build">
                    {format!(" Engine build: WebAssembly {build} ({how}).")}
                </span>
            }
        })
    }
}

/// Hidden figures for the benchmark (`make bench` reads them); nothing a person needs.
#[component]
fn PerfProbe() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let perf = lab.perf;
    view! {
        <div
            id="perf-probe"
            hidden
            data-engine-rate=move || format!("{:.1}", perf.get().engine_rate())
            data-latencies-ms=move || perf.get().latencies
            data-first-chart-ms=move || format!("{:.1}", perf.get().first_chart_ms)
            data-ready-ms=move || format!("{:.1}", perf.get().ready_ms)
            data-engine-steps=move || perf.get().engine.0.to_string()
            data-engine-ms=move || format!("{:.3}", perf.get().engine.1)
            data-paint-ms-p50=move || format!("{:.2}", perf.get().paint_ms.0)
            data-paint-ms-p95=move || format!("{:.2}", perf.get().paint_ms.1)
            data-paints=move || perf.get().paints.to_string()
            data-engine-build=move || lab.engine_build.get().unwrap_or_default()
        ></div>
    }
}
