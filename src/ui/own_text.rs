//! The reader's own text for the language model: pasted, or read from a dropped or chosen file,
//! folded to the model's alphabet and checked by the engine's rule
//! ([`Corpus::from_text`](gradlab_engine::language::Corpus::from_text)), kept in this browser's
//! local storage (never uploaded: a link says `text=own` and never carries it) and handed to
//! the worker, which trains on it while the settings say `text=own`.

use super::controller;
use super::format::thousands;
use super::state::Lab;
use gradlab_engine::language::{Corpus, FoldReport, TextError, MAX_TEXT_BYTES};
use gradlab_protocol::Command;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Where the text is kept between visits.
pub const STORAGE_KEY: &str = "gradlab.own-text";

/// What the page knows of the reader's text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OwnText {
    /// What folding did to the text in use, if one is.
    pub report: Option<FoldReport>,
    /// The last refusal or warning, for the reader.
    pub message: Option<String>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Checks `text`; a text that is taken is kept in this browser, sent to the worker and
/// reported. A refused one changes nothing but the message.
pub fn take(lab: Lab, text: String) {
    match Corpus::from_text(&text) {
        Ok((_, report)) => {
            let kept = storage().is_some_and(|s| s.set_item(STORAGE_KEY, &text).is_ok());
            lab.own_text.set(OwnText {
                report: Some(report),
                message: (!kept).then(|| {
                    "This browser would not keep the text (its storage is full or off): it is \
                     used until the page is reloaded."
                        .to_string()
                }),
            });
            controller::send(lab, Command::OwnText(Some(text)));
        }
        Err(e) => refuse(lab, e),
    }
}

fn refuse(lab: Lab, error: TextError) {
    lab.own_text.update(|t| {
        t.message = Some(format!("Your text was not used: {error}. Nothing changed."));
    });
}

/// At start, once the worker has its first configuration: the kept text, if any, to the
/// worker. One that no longer passes the check (a stored value edited by hand) is dropped.
pub fn restore(lab: Lab) {
    let Some(text) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) else {
        return;
    };
    match Corpus::from_text(&text) {
        Ok((_, report)) => {
            lab.own_text.set(OwnText {
                report: Some(report),
                message: None,
            });
            controller::send(lab, Command::OwnText(Some(text)));
        }
        Err(_) => {
            if let Some(s) = storage() {
                let _ = s.remove_item(STORAGE_KEY);
            }
        }
    }
}

/// Forgets the text here and in the worker.
fn forget(lab: Lab) {
    if let Some(s) = storage() {
        let _ = s.remove_item(STORAGE_KEY);
    }
    lab.own_text.set(OwnText::default());
    controller::send(lab, Command::OwnText(None));
}

/// Reads a dropped or chosen file: refused by its size before a byte is read, and as text by
/// the same check as a pasted one once read (a binary file decodes to replacement characters).
fn read_file(lab: Lab, file: web_sys::File) {
    let bytes = file.size();
    if bytes > MAX_TEXT_BYTES as f64 {
        refuse(
            lab,
            TextError::TooLarge {
                bytes: bytes as usize,
            },
        );
        return;
    }
    leptos::task::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(file.text()).await {
            Ok(text) => take(lab, text.as_string().unwrap_or_default()),
            Err(_) => lab.own_text.update(|t| {
                t.message = Some("The file could not be read. Nothing changed.".into());
            }),
        }
    });
}

/// The report of a text in use, in words.
pub fn describe(report: &FoldReport) -> String {
    let dropped = if report.most_dropped.is_empty() {
        String::new()
    } else {
        let most: Vec<String> = report
            .most_dropped
            .iter()
            .map(|(c, n)| format!("{c:?} ×{}", thousands(*n as u64)))
            .collect();
        format!(" (most often {})", most.join(", "))
    };
    format!(
        "In use: {} characters read, {} kept as the model's 29 symbols; {} changed (capitals \
         lowered, line breaks and dashes to spaces, ; and : to commas, ? and ! to full stops), \
         {} dropped{dropped}. A model that remembers nothing scores its unigram entropy, {:.3} \
         bits per character: the line to get below. The text stays in this browser; a link says \
         text=own without it.",
        thousands(report.read as u64),
        thousands(report.kept as u64),
        thousands(report.changed as u64),
        thousands(report.dropped as u64),
        report.unigram_entropy / std::f64::consts::LN_2,
    )
}

/// Where a reader gives the language model a text of their own: shown while the task is
/// `language` and the training text `own`.
#[component]
pub fn OwnTextPanel() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let area = NodeRef::<leptos::html::Textarea>::new();
    let shown = move || {
        lab.params
            .with(|p| p.model == "rnn" && p.task == "language" && p.text == "own")
    };
    let use_pasted = move |_| {
        if let Some(area) = area.get() {
            take(lab, area.value());
        }
    };
    let dropped = move |ev: web_sys::DragEvent| {
        let file = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|files| files.get(0));
        // A dropped file is read here; dropped text falls into the box as usual.
        if let Some(file) = file {
            ev.prevent_default();
            read_file(lab, file);
        }
    };
    let chosen = move |ev: web_sys::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(input) = input {
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                read_file(lab, file);
            }
            // The same file chosen again is a new choice.
            input.set_value("");
        }
    };
    let report = move || {
        lab.own_text.with(|t| {
            let mut lines = Vec::new();
            if let Some(message) = &t.message {
                lines.push(message.clone());
            }
            match &t.report {
                Some(report) => lines.push(describe(report)),
                None => lines.push(
                    "No text of yours yet: until there is, the model trains on the shipped one."
                        .into(),
                ),
            }
            lines.join(" ")
        })
    };
    view! {
        <div class="control own-text" hidden=move || !shown() || lab.is_hidden("text")>
            <label for="own-text-input"><span class="name">"Your text"</span></label>
            <textarea
                id="own-text-input"
                node_ref=area
                rows="4"
                spellcheck="false"
                placeholder="Paste a text here (at least 1,000 letters, at most 1 MB), or drop a .txt file on this box."
                on:dragover=|ev: web_sys::DragEvent| ev.prevent_default()
                on:drop=dropped
            ></textarea>
            <div class="own-text-buttons">
                <button id="own-text-use" on:click=use_pasted>"Use this text"</button>
                <input id="own-text-file" class="visually-hidden" type="file" accept=".txt,text/plain" on:change=chosen/>
                <label class="file-button" for="own-text-file">"Open a file…"</label>
                <button id="own-text-forget" disabled=move || lab.own_text.with(|t| t.report.is_none()) on:click=move |_| forget(lab)>
                    "Forget it"
                </button>
            </div>
            <p class="hint" id="own-text-report" aria-live="polite">{report}</p>
        </div>
    }
}
