//! The page's address as a link to the run: kept up to date as settings change
//! ([`keep_in_address_bar`], a few times a second at most) and made afresh for the copy-link
//! button ([`current_link`]).

use super::now;
use super::state::{BarsQuantity, Lab, DEFAULT_SPEED};
use gradlab_protocol::link::{self, PageState};
use leptos::prelude::*;
use std::time::Duration;

/// Least time between two writes of the address (ms). Browsers rate-limit
/// `history.replaceState` (Safari and Firefox throw past about 100 calls in 10–30 s), and a
/// slider dragged through 80 positions would make 80 calls.
const WRITE_EVERY_MS: f64 = 250.0;

/// The query string (with `?`) of the run and the page as they are now.
fn query(lab: Lab) -> String {
    page_query(lab, lab.embed.get_untracked())
}

/// [`query`] with the embedding `embed` (None: the lab on a page of its own).
fn page_query(lab: Lab, embed: Option<link::Embed>) -> String {
    let config = lab.session.with_value(|s| s.configs[0]);
    let page = PageState {
        hidden: lab.hidden.get_untracked(),
        compare: lab.compare.get_untracked(),
        lesson: lab.lesson.get_untracked().map(|i| i + 1),
        view: Some(lab.bars_quantity.get_untracked())
            .filter(|q| *q != BarsQuantity::Gradient)
            .map(BarsQuantity::name),
        speed: Some(lab.speed.get_untracked()).filter(|s| *s != DEFAULT_SPEED),
        cliff: lab.cliff.get_untracked(),
        phase: lab.phase.get_untracked(),
        present: lab.presenting.get_untracked(),
        embed,
    };
    format!("?{}", link::to_query(&config, &page))
}

/// Mirrors the settings, compare mode, lesson, chart view, speed and hidden controls in the
/// page's address, so the address is a link that reproduces the run and the page as it looks
/// (replaced, not pushed: settings are not history entries). Within [`WRITE_EVERY_MS`] of the
/// last write, one later write is scheduled instead, and it takes the state as it is then.
pub fn keep_in_address_bar(lab: Lab) {
    let (written, pending) = lab
        .session
        .with_value(|s| (s.address_written, s.address_pending));
    if pending {
        return;
    }
    let wait = written + WRITE_EVERY_MS - now();
    if wait <= 0.0 {
        write_address(lab);
        return;
    }
    lab.session.update_value(|s| s.address_pending = true);
    set_timeout(
        move || {
            lab.session.update_value(|s| s.address_pending = false);
            write_address(lab);
        },
        Duration::from_millis(wait.ceil() as u64),
    );
}

fn write_address(lab: Lab) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let query = query(lab);
    if window.location().search().ok().as_deref() == Some(query.as_str()) {
        return;
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&query));
        lab.session.update_value(|s| s.address_written = now());
    }
}

/// A link to this run as it is now: the page's address with the current settings (not the
/// address bar's, which may be a moment behind).
pub fn current_link(lab: Lab) -> Option<String> {
    link_to(&query(lab))
}

/// The link that opens this embedded run in a page of its own ("open in gradlab").
pub fn unembedded_link(lab: Lab) -> Option<String> {
    link_to(&page_query(lab, None))
}

/// This page's address with `query` (with its `?`).
fn link_to(query: &str) -> Option<String> {
    let location = web_sys::window()?.location();
    let (origin, path) = (location.origin().ok()?, location.pathname().ok()?);
    Some(format!("{origin}{path}{query}"))
}
