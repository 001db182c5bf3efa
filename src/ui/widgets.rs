//! The generic controls: a labelled slider and a labelled select, each bound to one setting of
//! run A or run B, hidden by itself when the link hides it or the current model lacks it.

use super::format::compact;
use super::scale::scale_of;
use super::state::Lab;
use gradlab_engine::{Field, TrainParams};
use gradlab_protocol::compare::Variant;
use leptos::prelude::*;

/// Reads a value from run A's settings, or from run B's (A's with compare mode's changes).
pub fn read<T>(lab: Lab, of_b: bool, get: impl Fn(&TrainParams) -> T) -> T {
    lab.params.with(|a| {
        if of_b {
            lab.compare
                .with(|v| get(&v.clone().unwrap_or_default().apply(a)))
        } else {
            get(a)
        }
    })
}

/// Changes run A's settings, or run B's: B keeps only where it then differs from A.
pub fn write(lab: Lab, of_b: bool, set: impl FnOnce(&mut TrainParams)) {
    if of_b {
        let a = lab.params.get_untracked();
        let mut b = lab.compare.get_untracked().unwrap_or_default().apply(&a);
        set(&mut b);
        lab.compare.set(Some(Variant::between(&a, &b)));
    } else {
        lab.params.update(set);
    }
}

/// Whether a control is hidden: named by the link (teacher mode), one of run B's while compare
/// mode is hidden, or a setting that means nothing for its run — another model's, or another
/// optimizer's (the settings table says).
pub fn hidden(lab: Lab, id: &str, of_b: bool) -> bool {
    let foreign = slider_field(id).is_some_and(|f| !read(lab, of_b, |p| f.setting().applies(p)));
    foreign || lab.is_hidden(id) || (of_b && lab.is_hidden("compare"))
}

/// The setting a slider sets, from its id (run B's have a `b-` prefix).
pub fn slider_field(id: &str) -> Option<Field> {
    Field::from_control(id.strip_prefix("b-").unwrap_or(id))
}

/// A labelled range input bound to one number of the parameters; its scale is its setting's
/// ([`scale_of`]).
#[component]
pub fn Slider(
    /// The input's id (the test hook).
    id: &'static str,
    /// Visible label.
    label: &'static str,
    /// One line on what it does.
    hint: &'static str,
    /// Reads the value from the parameters.
    get: fn(&TrainParams) -> f64,
    /// Writes the value into the parameters.
    set: fn(&mut TrainParams, f64),
    /// An optional mark on the track: `(value, label)`.
    #[prop(optional, into)]
    mark: Option<Signal<Option<(f64, String)>>>,
    /// Whether it sets run B's value (compare mode) rather than run A's.
    #[prop(optional)]
    of_b: bool,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    // Its bounds are its setting's range in the settings table (one source of truth).
    let scale = slider_field(id).map_or(scale_of(Field::Depth), scale_of);
    let (min, max, step) = scale.bounds();
    let value = Memo::new(move |_| read(lab, of_b, get));
    let whole = scale.whole();
    let shown = move || {
        let v = value.get();
        if whole && v.is_finite() {
            format!("{}", v.round())
        } else {
            compact(v)
        }
    };
    let hint_id = format!("{id}-hint");
    let list_id = format!("{id}-marks");
    let mark_view = mark.map(|mark| {
        view! {
            {move || {
                mark.get()
                    .map(|(at, text)| {
                        // Through the CSSOM (`style:`), which the page's CSP allows; a style
                        // attribute would be an inline style, which it refuses.
                        let left = format!("calc({}% + {}px)", scale.percent(at), 8.0 - 0.16 * scale.percent(at));
                        view! { <span class="mark" style:left=left>{text}</span> }
                    })
            }}
            <datalist id=list_id.clone()>
                {move || mark.get().map(|(at, _)| view! { <option value=scale.position(at)></option> })}
            </datalist>
        }
    });
    view! {
        <div class="control" hidden=move || hidden(lab, id, of_b)>
            <label for=id>
                <span class="name">{label}</span>
                <output for=id>{shown}</output>
            </label>
            <div class="track">
                <input
                    type="range"
                    id=id
                    min=min
                    max=max
                    step=step
                    list=mark.map(|_| list_id.clone())
                    prop:value=move || scale.position(value.get())
                    aria-describedby=hint_id.clone()
                    aria-valuetext=shown
                    on:input=move |ev| {
                        if let Ok(x) = event_target_value(&ev).parse::<f64>() {
                            write(lab, of_b, |p| set(p, scale.value(x)));
                        }
                    }
                />
                {mark_view}
            </div>
            <p class="hint" id=hint_id>{hint}</p>
        </div>
    }
}

/// A labelled select bound to one name of the parameters.
#[component]
pub fn Choice(
    /// The select's id (the test hook).
    id: &'static str,
    /// Visible label.
    label: &'static str,
    /// One line on what it does.
    hint: &'static str,
    /// `(value, label)` of each option.
    options: &'static [(&'static str, &'static str)],
    /// Reads the value from the parameters.
    get: fn(&TrainParams) -> String,
    /// Writes the value into the parameters.
    set: fn(&mut TrainParams, String),
    /// Whether it sets run B's value (compare mode) rather than run A's.
    #[prop(optional)]
    of_b: bool,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let hint_id = format!("{id}-hint");
    let value = Memo::new(move |_| read(lab, of_b, get));
    view! {
        <div class="control" hidden=move || hidden(lab, id, of_b)>
            <label for=id><span class="name">{label}</span></label>
            <select
                id=id
                aria-describedby=hint_id.clone()
                prop:value=move || value.get()
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    write(lab, of_b, |p| set(p, v));
                }
            >
                {options
                    .iter()
                    .map(|(v, text)| view! { <option value=*v selected=move || value.get() == *v>{*text}</option> })
                    .collect_view()}
            </select>
            <p class="hint" id=hint_id>{hint}</p>
        </div>
    }
}

/// A map's toggle button in the masthead: pressed while its map is open.
#[component]
pub fn MapButton(
    /// The button's id (also the name `hide=` uses).
    id: &'static str,
    /// Its words.
    label: &'static str,
    /// Whether its map is open.
    open: fn(Lab) -> bool,
    /// Opens the map (closing any other) or closes it.
    toggle: fn(Lab),
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    view! {
        <button
            id=id
            class="map-button"
            aria-pressed=move || open(lab).to_string()
            hidden=move || lab.is_hidden(id)
            on:click=move |_| toggle(lab)
        >
            {label}
        </button>
    }
}

/// A map's chart: two stacked canvases (the lower one for what changes rarely), the upper one
/// the image a screen reader is told about and the one that takes clicks.
#[component]
pub fn MapCanvas(
    /// The upper canvas's id.
    id: &'static str,
    /// What the picture shows, for a screen reader.
    label: &'static str,
    /// The id of the element that says it in words.
    summary: &'static str,
    /// The lower canvas.
    axes: NodeRef<leptos::html::Canvas>,
    /// The upper canvas.
    data: NodeRef<leptos::html::Canvas>,
    /// What a click on it does.
    on_click: Callback<leptos::ev::MouseEvent>,
) -> impl IntoView {
    view! {
        <div class="canvas-stack cliff-stack">
            <canvas class="axes" node_ref=axes aria-hidden="true"></canvas>
            <canvas
                id=id
                class="data"
                node_ref=data
                role="img"
                aria-label=label
                aria-describedby=summary
                on:click=move |ev| on_click.run(ev)
            ></canvas>
        </div>
    }
}
