//! Keyboard shortcuts: Space or K plays and pauses, the full stop takes one step, R resets, P
//! switches the presenter view on and off (Escape leaves it). They act only
//! when the key is not meant for something else — typing in a field or a select, Space on a
//! focused button, link, checkbox or radio (Space presses it), or a key combined with Ctrl, Alt
//! or Meta — so the page stays operable with the keyboard in the ordinary way as well. Listed
//! on the page under the run buttons.

use super::controller;
use super::state::{Lab, WorkerState};
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    /// Play if paused, pause if playing.
    PlayPause,
    /// Take exactly one step (while paused).
    Step,
    /// Start the run over from step 0.
    Reset,
    /// Switch the presenter view on or off.
    Present,
    /// Leave the presenter view.
    Leave,
}

/// What the focused element does with keys itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// Nothing in particular (the page, a heading, a slider — arrows move it, letters do not).
    Plain,
    /// Space presses it: a button, link, checkbox or radio.
    Presses,
    /// It takes typing: a text or number field, a select (letters pick options), a text area.
    Types,
}

/// The shortcut for `key` (a `KeyboardEvent.key`) with `focus` where it is, unless the key
/// belongs to the focused element or comes with a modifier.
pub fn shortcut(key: &str, focus: Focus, modified: bool) -> Option<Shortcut> {
    if modified || focus == Focus::Types {
        return None;
    }
    match key {
        " " if focus == Focus::Presses => None,
        " " | "k" | "K" => Some(Shortcut::PlayPause),
        "." => Some(Shortcut::Step),
        "r" | "R" => Some(Shortcut::Reset),
        "p" | "P" => Some(Shortcut::Present),
        "Escape" => Some(Shortcut::Leave),
        _ => None,
    }
}

/// What the event's target does with keys.
fn focus_of(event: &web_sys::KeyboardEvent) -> Focus {
    let Some(el) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return Focus::Plain;
    };
    let matches = |selector: &str| el.closest(selector).ok().flatten().is_some();
    let typing = "select, textarea, [contenteditable], input:not([type=range]):not([type=checkbox]):not([type=radio]):not([type=button])";
    if matches(typing) {
        Focus::Types
    } else if matches("button, a[href], summary, input, label") {
        Focus::Presses
    } else {
        Focus::Plain
    }
}

/// Listens for the shortcuts for as long as the page lives.
pub fn install(lab: Lab) {
    let handle = window_event_listener(ev::keydown, move |event| {
        let modified = event.ctrl_key() || event.alt_key() || event.meta_key();
        let Some(action) = shortcut(&event.key(), focus_of(&event), modified) else {
            return;
        };
        event.prevent_default();
        let ready = lab.worker.get_untracked() == WorkerState::Ready;
        let playing = lab.playing.get_untracked();
        match action {
            Shortcut::PlayPause if playing => lab.playing.set(false),
            Shortcut::PlayPause if ready && !lab.halted.get_untracked() => lab.playing.set(true),
            Shortcut::Step if ready && !playing && !lab.halted.get_untracked() => {
                controller::step_once(lab)
            }
            Shortcut::Reset if ready => controller::reset(lab),
            Shortcut::Present => lab.presenting.update(|on| *on = !*on),
            Shortcut::Leave if lab.presenting.get_untracked() => lab.presenting.set(false),
            _ => {}
        }
    });
    // The page never unmounts its app: the listener lives as long as the page.
    std::mem::forget(handle);
}

/// The shortcuts, as the page lists them.
#[component]
pub fn ShortcutList() -> impl IntoView {
    view! {
        <p class="hint shortcuts" id="shortcuts">
            "Keyboard: "
            <kbd>"Space"</kbd>
            " or "
            <kbd>"K"</kbd>
            " play / pause · "
            <kbd>"."</kbd>
            " one step · "
            <kbd>"R"</kbd>
            " reset · "
            <kbd>"P"</kbd>
            " presenter view · "
            <kbd>"Tab"</kbd>
            " moves between controls, arrow keys move a slider."
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn keys_act_only_where_the_focus_does_not_take_them() {
        use Focus::*;
        assert_eq!(shortcut(" ", Plain, false), Some(Shortcut::PlayPause));
        assert_eq!(shortcut("k", Plain, false), Some(Shortcut::PlayPause));
        assert_eq!(shortcut("K", Presses, false), Some(Shortcut::PlayPause));
        assert_eq!(shortcut(".", Presses, false), Some(Shortcut::Step));
        assert_eq!(shortcut("r", Plain, false), Some(Shortcut::Reset));
        assert_eq!(shortcut("P", Presses, false), Some(Shortcut::Present));
        assert_eq!(shortcut("Escape", Plain, false), Some(Shortcut::Leave));
        assert_eq!(shortcut("p", Types, false), None, "typing a p in a field");
        assert_eq!(shortcut("r", Plain, true), None, "Ctrl+R reloads, as ever");
        assert_eq!(
            shortcut(" ", Presses, false),
            None,
            "Space presses a focused button"
        );
        assert_eq!(shortcut("k", Types, false), None, "typing in a field");
        assert_eq!(
            shortcut(".", Types, false),
            None,
            "a decimal point in a field"
        );
        assert_eq!(
            shortcut("k", Plain, true),
            None,
            "Ctrl+K belongs to the browser"
        );
        assert_eq!(shortcut("x", Plain, false), None);
    }
}
