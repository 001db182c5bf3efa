//! The lab embedded in another page (`embed=1`): its "open in gradlab" link, the host page's
//! message API ([`listen_to_host`]; README, "Embed it"), and training that
//! pauses while nobody can see it — the host page's tab hidden (Page Visibility) or the lab
//! scrolled out of view (an `IntersectionObserver`, which in an iframe measures against the
//! host's viewport) — and resumes where it was once it is seen again. What shows is the
//! link's choice ([`gradlab_protocol::link::Embed`]); the stylesheet does the rest
//! (`html.embedded`).

use super::address;
use super::controller;
use super::state::Lab;
use gradlab_engine::params::KeyError;
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{IntersectionObserver, IntersectionObserverEntry};

/// A small link that opens this run in a page of its own (a new tab), shown only embedded.
#[component]
pub fn OpenInGradlab() -> impl IntoView {
    let lab = expect_context::<Lab>();
    // The link is made when followed, so it carries the settings as they are then.
    let follow = move |event: leptos::ev::MouseEvent| {
        let anchor = event
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlAnchorElement>().ok());
        if let (Some(anchor), Some(link)) = (anchor, address::unembedded_link(lab)) {
            anchor.set_href(&link);
        }
    };
    view! {
        <a
            id="open-in-gradlab"
            class="open-in-gradlab"
            href="./"
            target="_blank"
            rel="noopener"
            hidden=move || lab.embed.with(Option::is_none)
            on:click=follow
        >
            "Open in gradlab ↗"
        </a>
    }
}

/// Pauses an embedded lab's training while it cannot be seen and resumes it when it can, if
/// it was training then (a run the reader paused stays paused). Does nothing for a lab on a
/// page of its own.
pub fn pause_out_of_sight(lab: Lab) {
    if lab.embed.with_untracked(Option::is_none) {
        return;
    }
    // (tab visible, lab in view), and whether training stopped for want of either.
    let seen = Rc::new(Cell::new((true, true)));
    let resume = Rc::new(Cell::new(false));
    let update = move |visible: Option<bool>, in_view: Option<bool>| {
        let (v, i) = seen.get();
        let now = (visible.unwrap_or(v), in_view.unwrap_or(i));
        seen.set(now);
        let shown = now.0 && now.1;
        if !shown && lab.playing.get_untracked() {
            resume.set(true);
            lab.playing.set(false);
        } else if shown && resume.get() {
            resume.set(false);
            lab.playing.set(true);
        }
    };
    let on_visibility = update.clone();
    let handle = window_event_listener_untyped("visibilitychange", move |_| {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        on_visibility(Some(!hidden), None);
    });
    // Both live as long as the page.
    std::mem::forget(handle);
    let on_intersection =
        Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let newest = entries
                .iter()
                .filter_map(|e| e.dyn_into::<IntersectionObserverEntry>().ok())
                .next_back();
            if let Some(entry) = newest {
                update(None, Some(entry.is_intersecting()));
            }
        });
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element());
    if let (Some(root), Ok(observer)) = (
        root,
        IntersectionObserver::new(on_intersection.as_ref().unchecked_ref()),
    ) {
        observer.observe(&root);
        std::mem::forget(observer);
    }
    on_intersection.forget();
}

/// The version of the host-page message API (`gradlab: 1` in every message, both ways).
pub const API_VERSION: u32 = 1;

/// What a host page asks of an embedded lab.
#[derive(Clone, Debug, PartialEq)]
enum Request {
    /// Change these settings (link keys and values, as in a link).
    Set(Vec<(String, String)>),
    Play,
    Pause,
    Step,
    Reset,
    /// Send the newest step's statistics whenever they are shown (a few times a second).
    Subscribe,
    Unsubscribe,
}

/// Reads a message as the API defines it, or says what is wrong with it.
fn read_request(data: &JsValue) -> Result<Request, String> {
    let field = |name: &str| js_sys::Reflect::get(data, &name.into()).unwrap_or(JsValue::UNDEFINED);
    if field("gradlab").as_f64() != Some(f64::from(API_VERSION)) {
        return Err(format!("a gradlab message has \"gradlab\": {API_VERSION}"));
    }
    let kind = field("type").as_string().unwrap_or_default();
    Ok(match kind.as_str() {
        "set" => {
            let settings = field("settings");
            if !settings.is_object() {
                return Err("\"set\" needs \"settings\": an object of link keys and values".into());
            }
            let entries = js_sys::Object::entries(settings.unchecked_ref());
            let pairs = entries
                .iter()
                .map(|pair| {
                    let pair: js_sys::Array = pair.unchecked_into();
                    let value = pair.get(1);
                    let text = value
                        .as_string()
                        .or_else(|| value.as_f64().map(|v| v.to_string()))
                        .unwrap_or_default();
                    (pair.get(0).as_string().unwrap_or_default(), text)
                })
                .collect();
            Request::Set(pairs)
        }
        "play" => Request::Play,
        "pause" => Request::Pause,
        "step" => Request::Step,
        "reset" => Request::Reset,
        "subscribe" => Request::Subscribe,
        "unsubscribe" => Request::Unsubscribe,
        other => {
            let shown: String = other.chars().take(24).collect();
            return Err(format!(
                "unknown type \"{shown}\" (set, play, pause, step, reset, subscribe, unsubscribe)"
            ));
        }
    })
}

/// Posts `message` (with `gradlab` and `type` added) to the host page.
fn tell_host(kind: &str, message: js_sys::Object) {
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    let _ = js_sys::Reflect::set(&message, &"gradlab".into(), &API_VERSION.into());
    let _ = js_sys::Reflect::set(&message, &"type".into(), &kind.into());
    let _ = parent.post_message(&message, "*");
}

fn tell_error(message: String) {
    let object = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&object, &"message".into(), &message.into());
    tell_host("error", object);
}

/// Listens for the host page's messages (from the window that embeds the lab, and no other),
/// says `{type: "ready"}` once it listens and, once subscribed, sends it the newest step's
/// statistics. A malformed message, or a
/// setting the checks refuse, is answered with `{type: "error", message}` and changes nothing.
pub fn listen_to_host(lab: Lab) {
    if lab.embed.with_untracked(Option::is_none) {
        return;
    }
    let subscribed = RwSignal::new(false);
    let handle = window_event_listener(leptos::ev::message, move |event| {
        let parent = web_sys::window().and_then(|w| w.parent().ok().flatten());
        let from_parent = match (event.source(), parent) {
            (Some(source), Some(parent)) => JsValue::from(source) == JsValue::from(parent),
            _ => false,
        };
        if !from_parent {
            return;
        }
        let request = match read_request(&event.data()) {
            Ok(request) => request,
            Err(message) => return tell_error(message),
        };
        match request {
            Request::Set(pairs) => {
                let mut params = lab.params.get_untracked();
                for (key, value) in &pairs {
                    let parsed = params.set_by_key(key, value).map_err(|e| match e {
                        KeyError::Unreadable(e) => e,
                        KeyError::Unknown => {
                            format!(
                                "no setting \"{}\"",
                                key.chars().take(24).collect::<String>()
                            )
                        }
                    });
                    if let Err(e) = parsed {
                        return tell_error(format!("\"{key}\": {e} — nothing was changed"));
                    }
                }
                lab.params.set(params);
            }
            Request::Play if controller::can_train(lab) => lab.playing.set(true),
            Request::Pause => lab.playing.set(false),
            Request::Step => controller::step_once(lab),
            Request::Reset => controller::reset(lab),
            Request::Subscribe => subscribed.set(true),
            Request::Unsubscribe => subscribed.set(false),
            Request::Play => {
                tell_error("the lab cannot train now (loading, or diverged: reset)".into())
            }
        }
    });
    std::mem::forget(handle);
    // The host may speak from now on.
    tell_host("ready", js_sys::Object::new());
    Effect::new(move |_| {
        if !subscribed.get() {
            return;
        }
        lab.shown.with(|shown| {
            let Some(stats) = shown else { return };
            let object = js_sys::Object::new();
            let set = |key: &str, value: JsValue| {
                let _ = js_sys::Reflect::set(&object, &key.into(), &value);
            };
            set("step", (stats.step as f64).into());
            set("loss", stats.loss.into());
            set("globalNorm", stats.global_norm.into());
            set("globalNormClipped", stats.global_norm_clipped.into());
            set("clipped", stats.clipped.into());
            set("lr", stats.learning_rate.into());
            set("lossScale", stats.loss_scale.into());
            set("skipped", stats.skipped.into());
            let norms: js_sys::Array = stats.grad_norms.iter().map(|&n| JsValue::from(n)).collect();
            set("gradNorms", norms.into());
            tell_host("stats", object);
        });
    });
}
