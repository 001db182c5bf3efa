//! Component and protocol tests inside headless Chromium (wasm-bindgen-test).
//!
//! Each test mounts one component with its own `Lab` in context — no worker — and drives it
//! the way the browser would: DOM events in, DOM text out.
#![cfg(target_arch = "wasm32")]

use gradlab::ui::bridge::Bridge;
use gradlab::ui::controls::Controls;
use gradlab::ui::format::plain;
use gradlab::ui::state::{Lab, WorkerState};
use gradlab::ui::status::StatusLine;
use gradlab::ui::table::LayerTable;
use gradlab_engine::{NonFinite, Quantity, TrainParams, Trainer};
use gradlab_protocol::{decode, encode, Command, Event, ExportFormat};
use leptos::prelude::*;
use leptos::task::tick;
use std::cell::RefCell;
use std::rc::Rc;
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

/// A link's legal value beyond where a class usually works (σ 7.5; the table allows 0 to 10)
/// has its place on the slider: the input sits there, and one step up moves to the next
/// value (7.75), not back into a narrower range.
#[wasm_bindgen_test]
async fn a_slider_holds_any_legal_value_it_is_given() {
    let lab = Lab::new(TrainParams {
        weight_scale: 7.5,
        width: 400.0,
        ..TrainParams::default()
    });
    let host = mount(lab, || view! { <Controls/> }.into_any());
    tick().await;
    let sigma: HtmlInputElement = query(&host, "#weight-scale").unchecked_into();
    assert_eq!(sigma.max(), "104");
    // 80 positions of 0.05 up to 4, then 0.25 each: 7.5 is position 94.
    assert_eq!(sigma.value(), "94");
    assert_eq!(text(&host, r#"output[for="weight-scale"]"#), "7.500");
    set(&host, "#weight-scale", "95", "input").await;
    assert_eq!(lab.params.with_untracked(|p| p.weight_scale), 7.75);
    let width: HtmlInputElement = query(&host, "#width").unchecked_into();
    // 127 positions up to 128, then 8 each: 400 is position 161, and the top is 512.
    assert_eq!(width.value(), "161");
    set(&host, "#width", &width.max(), "input").await;
    assert_eq!(lab.params.with_untracked(|p| p.width), 512.0);
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

/// Waits `ms` milliseconds (the browser's timer), letting workers' messages arrive.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// A download that fails half-way: a stand-in worker sends one part, then `Failed` (as the
/// real one does when its writer fails). The bridge drops the part, so the next download
/// does not start with it — before, it kept it.
#[wasm_bindgen_test]
async fn a_failed_download_leaves_no_parts_behind() {
    let failed = encode(&Event::Failed {
        message: "the download could not be written".into(),
    })
    .unwrap();
    let bytes: Vec<String> = failed.iter().map(u8::to_string).collect();
    let script = format!(
        "onmessage = () => {{ postMessage({{ part: new Uint8Array([1, 2, 3]) }}); \
         postMessage(new Uint8Array([{}])); }};",
        bytes.join(",")
    );
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(
        &js_sys::Array::of1(&script.into()),
        &options,
    )
    .unwrap();
    let url = web_sys::Url::create_object_url_with_blob(&blob).unwrap();
    let events = Rc::new(RefCell::new(Vec::new()));
    let seen = events.clone();
    let bridge = Bridge::spawn_at(&url, move |e| seen.borrow_mut().push(e), |_| {}).unwrap();
    bridge.send(&Command::Export(ExportFormat::Csv)).unwrap();
    for _ in 0..200 {
        if !events.borrow().is_empty() {
            break;
        }
        sleep(20).await;
    }
    assert!(
        matches!(events.borrow().first(), Some(Event::Failed { .. })),
        "{:?}",
        events.borrow()
    );
    assert_eq!(
        bridge.take_download().length(),
        0,
        "the failed part was kept"
    );
    web_sys::Url::revoke_object_url(&url).unwrap();
}
