//! Component and protocol tests inside headless Chromium (wasm-bindgen-test).
//!
//! Each test mounts one component with its own `Lab` in context — no worker — and drives it
//! the way the browser would: DOM events in, DOM text out.
#![cfg(target_arch = "wasm32")]

use gradlab::ui::controls::Controls;
use gradlab::ui::format::plain;
use gradlab::ui::state::{Lab, WorkerState};
use gradlab::ui::status::StatusLine;
use gradlab::ui::table::LayerTable;
use gradlab_engine::{NonFinite, Quantity, TrainParams, Trainer};
use gradlab_protocol::{decode, encode, Command};
use leptos::prelude::*;
use leptos::task::tick;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Mounts `view` (with `lab` in context) into a fresh element and returns that element.
fn mount(lab: Lab, view: fn() -> AnyView) -> HtmlElement {
    let host: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone(), move || {
        provide_context(lab);
        view()
    });
    handle.forget();
    host
}

fn query(host: &HtmlElement, selector: &str) -> web_sys::Element {
    host.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
}

fn text(host: &HtmlElement, selector: &str) -> String {
    query(host, selector).text_content().unwrap_or_default()
}

/// Sets a control's value and fires `event`, as a user's input would.
async fn set(host: &HtmlElement, selector: &str, value: &str, event: &str) {
    let element = query(host, selector);
    if let Some(input) = element.dyn_ref::<HtmlInputElement>() {
        input.set_value(value);
    } else {
        element
            .unchecked_ref::<HtmlSelectElement>()
            .set_value(value);
    }
    element
        .dispatch_event(&web_sys::Event::new(event).unwrap())
        .unwrap();
    tick().await;
}

/// The inputs and selects the page promises (their ids are test hooks).
const LABELLED_CONTROLS: [&str; 11] = [
    "depth",
    "width",
    "weight-scale",
    "clip-threshold",
    "clip-mode",
    "learning-rate",
    "batch",
    "speed",
    "activation",
    "dataset",
    "seed",
];

fn rows(host: &HtmlElement) -> u32 {
    host.query_selector_all("#layer-table tbody tr")
        .unwrap()
        .length()
}

#[wasm_bindgen_test]
fn protocol_survives_a_javascript_buffer() {
    let command = Command::Train {
        max_steps: 7,
        budget_ms: f64::NAN,
        peak_stride: 2,
    };
    let bytes = js_sys::Uint8Array::from(encode(&command).unwrap().as_slice());
    let Command::Train {
        max_steps,
        budget_ms,
        ..
    } = decode(&bytes.to_vec()).unwrap()
    else {
        panic!("wrong command")
    };
    assert_eq!(max_steps, 7);
    assert!(budget_ms.is_nan());
}

#[wasm_bindgen_test]
async fn layer_table_has_a_row_per_layer_and_plain_numbers() {
    let lab = Lab::new(TrainParams::default());
    let host = mount(lab, || view! { <LayerTable/> }.into_any());
    assert_eq!(rows(&host), 11);
    assert_eq!(
        text(&host, r#"tr[data-layer="0"] td[data-field="grad-norm"]"#),
        "—"
    );

    let stats = Trainer::new(
        TrainParams {
            depth: 3.0,
            ..TrainParams::default()
        }
        .check()
        .unwrap(),
    )
    .step()
    .unwrap();
    lab.group_count.set(4);
    lab.shown.set(Some(stats.clone()));
    tick().await;
    assert_eq!(rows(&host), 4);
    for (layer, norm) in stats.grad_norms.iter().enumerate() {
        let cell = text(
            &host,
            &format!(r#"tr[data-layer="{layer}"] td[data-field="grad-norm"]"#),
        );
        assert_eq!(cell, plain(*norm));
    }
    assert_eq!(
        text(&host, r#"tr[data-layer="3"] td[data-field="update-ratio"]"#),
        plain(stats.update_ratios[3])
    );
}

#[wasm_bindgen_test]
async fn sliders_write_the_parameters_and_show_their_value() {
    let lab = Lab::new(TrainParams::default());
    let host = mount(lab, || view! { <Controls/> }.into_any());
    // The depth slider is a ladder: position 24 is depth 25 (one layer per position up to 100).
    let depth: HtmlInputElement = query(&host, "#depth").unchecked_into();
    depth.set_value("24");
    depth
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    tick().await;
    assert_eq!(lab.params.with_untracked(|p| p.depth), 25.0);
    assert_eq!(text(&host, r#"output[for="depth"]"#), "25");

    // Log sliders hold log₁₀ of the value: position −1 is a threshold of 0.1.
    set(&host, "#clip-threshold", "-1", "input").await;
    assert_eq!(lab.params.with_untracked(|p| p.clip_threshold), 0.1);

    // Every control the tests and users rely on exists, and each input has a visible label.
    for id in ["play", "pause", "step-once", "reset"] {
        query(&host, &format!("#{id}"));
    }
    for id in LABELLED_CONTROLS {
        assert!(
            !text(&host, &format!(r#"label[for="{id}"]"#))
                .trim()
                .is_empty(),
            "{id} has no label"
        );
    }
}

#[wasm_bindgen_test]
async fn the_critical_mark_follows_the_activation() {
    let lab = Lab::new(TrainParams::default());
    let host = mount(lab, || view! { <Controls/> }.into_any());
    // The weight-scale slider's own mark (the recurrent scale has one too).
    let mark = "#weight-scale ~ .mark";
    assert_eq!(text(&host, mark), "critical 1");
    set(&host, "#activation", "relu", "change").await;
    assert_eq!(lab.params.with_untracked(|p| p.activation.clone()), "relu");
    assert_eq!(text(&host, mark), "critical √2");
    set(&host, "#activation", "sigmoid", "change").await;
    assert!(
        host.query_selector(mark).unwrap().is_none(),
        "sigmoid has no closed-form critical σ"
    );
}

#[wasm_bindgen_test]
async fn a_bad_seed_is_refused_with_a_notice() {
    let lab = Lab::new(TrainParams::default());
    let host = mount(lab, || view! { <Controls/> }.into_any());
    set(&host, "#seed", "-3", "change").await;
    assert_eq!(lab.params.with_untracked(|p| p.seed), 1);
    assert_eq!(lab.notices.with_untracked(Vec::len), 1);
}

#[wasm_bindgen_test]
async fn status_announces_states_and_divergence() {
    let lab = Lab::new(TrainParams::default());
    let host = mount(lab, || view! { <StatusLine/> }.into_any());
    assert!(text(&host, "#status").contains("Starting"));
    lab.worker.set(WorkerState::Ready);
    tick().await;
    assert!(text(&host, "#status").contains("Ready"));
    lab.diverged.set(Some(NonFinite {
        step: 41,
        layer: Some(2),
        quantity: Quantity::Gradient,
        axis: gradlab_engine::ProfileAxis::Layers,
    }));
    tick().await;
    assert!(text(&host, "#status").starts_with("Diverged at step 41 — layer 3 gradient overflowed"));
    assert_eq!(
        query(&host, "#status")
            .get_attribute("aria-live")
            .as_deref(),
        Some("polite")
    );
    lab.worker.set(WorkerState::Failed("boom".into()));
    tick().await;
    assert!(text(&host, "#status").contains("boom"));
    query(&host, "#restart-worker");
}
