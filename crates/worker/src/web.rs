//! Browser glue for the worker (wasm only): message handler in, events out. A download's text
//! goes out beside the events, in parts (`{part: Uint8Array}` messages, transferred), each
//! posted as soon as it is written.

use super::WorkerCore;
use gradlab_protocol::{decode, encode, Command, Event};
use js_sys::{Array, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// Installs the message handler and announces [`Event::Ready`].
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    // The threaded build's helper instantiates this module too: it only runs `helper_run`.
    if js_sys::Reflect::get(&scope, &"gradlabHelper".into()).is_ok_and(|v| v.is_truthy()) {
        return;
    }
    #[cfg(target_feature = "atomics")]
    gradlab_engine::parallel::set_for_each(super::threads::for_each);
    let core = RefCell::new(WorkerCore::new());
    let reply_scope = scope.clone();
    let performance = scope.performance();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
        let bytes = Uint8Array::new(&message.data()).to_vec();
        let event = match decode::<Command>(&bytes) {
            Ok(command) => {
                let mut now = || performance.as_ref().map_or(0.0, |p| p.now());
                let mut download = PartPoster(&reply_scope);
                core.borrow_mut().handle(command, &mut now, &mut download)
            }
            Err(e) => Event::Failed {
                message: e.to_string(),
            },
        };
        post(&reply_scope, &event);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(
        &scope,
        &Event::Ready {
            version: release_version(&scope),
            build: gradlab_engine::gemm::build_name().into(),
        },
    );
}

/// The release this worker was loaded from: the loader (`public/worker_loader.js`) sets
/// `gradlabVersion`, stamped by the build; empty when it did not (a development loader).
fn release_version(scope: &DedicatedWorkerGlobalScope) -> String {
    js_sys::Reflect::get(scope, &"gradlabVersion".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Posts each piece of a download to the page as it is written.
struct PartPoster<'a>(&'a DedicatedWorkerGlobalScope);

impl std::io::Write for PartPoster<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bytes = Uint8Array::from(buf);
        let message = js_sys::Object::new();
        js_sys::Reflect::set(&message, &"part".into(), &bytes)
            .and_then(|_| {
                self.0
                    .post_message_with_transfer(&message, &Array::of1(&bytes.buffer()))
            })
            .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn post(scope: &DedicatedWorkerGlobalScope, event: &Event) {
    // An event too large for memory is answered with a small `Failed`: the command still gets
    // its one answer, and the runs are untouched.
    let encoded = encode(event).or_else(|e| {
        encode(&Event::Failed {
            message: format!("The worker could not answer: {e}; the runs are kept."),
        })
    });
    let Ok(encoded) = encoded else {
        web_sys::console::error_1(&"gradlab worker: could not encode an answer".into());
        return;
    };
    let bytes = Uint8Array::from(encoded.as_slice());
    let transfer = Array::of1(&bytes.buffer());
    if let Err(e) = scope.post_message_with_transfer(&bytes, &transfer) {
        web_sys::console::error_2(&"gradlab worker: could not post".into(), &e);
    }
}
