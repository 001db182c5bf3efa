//! The page's end of the worker: spawns it, posts [`Command`]s, hands back [`Event`]s.
//!
//! Holds the browser handles (the `Worker` and its callbacks); dropping the bridge terminates
//! the worker.

use super::release;
use gradlab_protocol::link::{forces_plain_engine, ENGINE_PLAIN};
use gradlab_protocol::{decode, encode, other_release, ready_version, Command, Event};
use js_sys::{Array, Uint8Array};
use std::cell::Cell;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

/// The loader's address for this page: its own release's loader (see [`release`]), with
/// `?engine=simd128` when the address the page opened with asked for the plain build
/// (`public/engine_build.js`). Read once, so workers started later (the map's pool) match the
/// lab's after the address is rewritten.
fn worker_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        let loader = release::loader_url();
        if forces_plain_engine(&search) {
            format!("{loader}?engine={ENGINE_PLAIN}")
        } else {
            loader.to_string()
        }
    })
}

/// Why a worker stopped answering.
#[derive(Clone, Debug, PartialEq)]
pub enum Stopped {
    /// It failed, with this message.
    Failed(String),
    /// It belongs to another release than the page (or could not load because the server
    /// now has another): the page must be reloaded ([`release::NEW_RELEASE`]).
    NewRelease,
}

/// A running training worker.
pub struct Bridge {
    worker: Worker,
    /// The parts of a download received so far (JS buffers: never copied into wasm memory).
    download: Rc<RefCell<Array>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Bridge {
    /// Starts the worker; `on_event` gets every event it sends, `on_stop` why it stopped.
    pub fn spawn(
        on_event: impl FnMut(Event) + 'static,
        on_stop: impl Fn(Stopped) + Clone + 'static,
    ) -> Result<Self, String> {
        Self::spawn_at(worker_url(), on_event, on_stop)
    }

    /// [`spawn`](Self::spawn) with the worker's script at `url` (a test's stand-in).
    pub fn spawn_at(
        url: &str,
        mut on_event: impl FnMut(Event) + 'static,
        on_stop: impl Fn(Stopped) + Clone + 'static,
    ) -> Result<Self, String> {
        let worker = Worker::new(url).map_err(|e| describe(&e))?;
        let report = on_stop.clone();
        // Set once a worker turns out to be of another release: nothing more it says is read.
        let outdated = Rc::new(Cell::new(false));
        let deaf = outdated.clone();
        let download = Rc::new(RefCell::new(Array::new()));
        let parts = download.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let data = message.data();
            if !data.is_instance_of::<Uint8Array>() {
                // A piece of a download: kept as it came until its `Exported` event.
                if let Ok(part) = js_sys::Reflect::get(&data, &"part".into()) {
                    parts.borrow().push(&part);
                }
                return;
            }
            if deaf.get() {
                return;
            }
            let bytes = Uint8Array::new(&data).to_vec();
            // Read before anything else, in a form every release shares.
            if ready_version(&bytes).is_some_and(|v| other_release(release::page_release(), &v)) {
                deaf.set(true);
                report(Stopped::NewRelease);
                return;
            }
            match decode::<Event>(&bytes) {
                Ok(event) => {
                    // A failed command sends no more parts: those of a download that failed
                    // half-way are dropped, or the next download would start with them.
                    if matches!(event, Event::Failed { .. }) {
                        parts.replace(Array::new());
                    }
                    on_event(event)
                }
                Err(e) => report(Stopped::Failed(e.to_string())),
            }
        });
        // A script that cannot be fetched fires a plain `Event`, not an `ErrorEvent`.
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            event.prevent_default();
            if outdated.get() {
                return;
            }
            let message = event
                .dyn_ref::<ErrorEvent>()
                .map(ErrorEvent::message)
                .unwrap_or_default();
            let message = if message.is_empty() {
                "the training worker could not start".into()
            } else {
                message
            };
            // A worker that cannot load may be one a new deployment removed.
            let on_stop = on_stop.clone();
            leptos::task::spawn_local(async move {
                on_stop(if release::server_has_another_release().await {
                    Stopped::NewRelease
                } else {
                    Stopped::Failed(message)
                });
            });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            download,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// The parts of the download just announced by [`Event::Exported`], handed over once.
    pub fn take_download(&self) -> Array {
        self.download.replace(Array::new())
    }

    /// Posts a command (its bytes are transferred, not copied).
    pub fn send(&self, command: &Command) -> Result<(), String> {
        let bytes = Uint8Array::from(encode(command).map_err(|e| e.to_string())?.as_slice());
        self.worker
            .post_message_with_transfer(&bytes, &Array::of1(&bytes.buffer()))
            .map_err(|e| describe(&e))
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

fn describe(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            value
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{value:?}"))
}
