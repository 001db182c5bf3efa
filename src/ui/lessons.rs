//! The lesson panel: loads the lesson file, shows one lesson at a time — explanation,
//! prediction question, *Run it*, what to look for — and highlights the element it points at.
//!
//! Lessons are data ([`gradlab_protocol::lesson`]); nothing here knows what any lesson says.

use super::charts_view::set_bars_quantity;
use super::controller;
use super::fetch::fetch_text;
use super::state::{BarsQuantity, Lab, Lessons};
use gradlab_protocol::lesson::{self, Lesson};
use leptos::either::EitherOf4;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The lesson file, beside `index.html` (a teacher may replace it with their own).
pub const LESSON_FILE: &str = "lessons.json";

/// Fetches and checks the lesson file; a lesson number the file does not have is dropped with
/// a notice.
pub fn load(lab: Lab) {
    leptos::task::spawn_local(async move {
        let loaded = fetch_text(LESSON_FILE)
            .await
            .and_then(|text| lesson::parse(&text).map_err(|e| e.to_string()));
        match loaded {
            Ok(lessons) => {
                if let Some(i) = lab.lesson.get_untracked().filter(|&i| i >= lessons.len()) {
                    lab.notices.update(|n| {
                        n.push(format!(
                            "The link asks for lesson {}, but there are {} — showing the list instead.",
                            i + 1,
                            lessons.len()
                        ))
                    });
                    lab.lesson.set(None);
                }
                lab.lessons.set(Lessons::Ready(lessons));
            }
            Err(message) => {
                lab.lessons.set(Lessons::Failed(message));
            }
        }
    });
}

/// Puts the spotlight on the element with `id` (on its chart, control or metric as a whole),
/// taking it off whatever had it.
fn spotlight(id: Option<&str>) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(lit) = document.query_selector_all(".spotlight") {
        for i in 0..lit.length() {
            if let Some(el) = lit
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            {
                let _ = el.class_list().remove_1("spotlight");
            }
        }
    }
    let Some(el) = id.and_then(|id| document.get_element_by_id(id)) else {
        return;
    };
    let container = el
        .closest("figure, .control, .metrics > div, .table-wrap, .status-line, .badge")
        .ok()
        .flatten()
        .unwrap_or(el);
    let _ = container.class_list().add_1("spotlight");
    let options = web_sys::ScrollIntoViewOptions::new();
    options.set_block(web_sys::ScrollLogicalPosition::Nearest);
    container.scroll_into_view_with_scroll_into_view_options(&options);
}

/// Sets the lesson's controls, seed, view and compare mode, and starts training.
fn run_lesson(lab: Lab, lesson: &Lesson) {
    set_bars_quantity(
        lab,
        BarsQuantity::from_name(lesson.view.as_deref().unwrap_or_default()),
    );
    if let Some(speed) = lesson.speed {
        lab.speed.set(speed.min(super::state::SPEEDS.len() - 1));
    }
    controller::run_with(lab, lesson.settings.clone(), lesson.compare.clone());
    if let Some(cliff) = &lesson.cliff {
        lab.phase.set(None);
        lab.cliff.set(Some(cliff.link()));
        controller::ask_cliff(lab);
    }
    // A lesson file is checked when it loads, so its map is valid here.
    if let Some(Ok(map)) = lesson.phase.as_ref().map(|p| p.link()) {
        lab.cliff.set(None);
        lab.phase.set(Some(map));
    }
    lab.highlight.set(Some(lesson.look_for.target.clone()));
}

/// The guided lessons: a start button, or the open lesson with its question, *Run it*, what to
/// look for, and previous / next.
#[component]
pub fn LessonPanel() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let chosen = RwSignal::new(None::<usize>);
    let ran = RwSignal::new(false);
    // A new lesson starts unanswered and unrun, with nothing highlighted.
    Effect::new(move |_| {
        lab.lesson.track();
        chosen.set(None);
        ran.set(false);
        lab.highlight.set(None);
    });
    Effect::new(move |_| spotlight(lab.highlight.get().as_deref()));
    let go = move |i: usize| lab.lesson.set(Some(i));
    view! {
        <section class="group lesson" aria-labelledby="lesson-heading">
            {move || match (lab.lessons.get(), lab.lesson.get()) {
                (Lessons::Loading, _) => EitherOf4::A(view! { <p class="hint">"Loading the lessons…"</p> }),
                (Lessons::Failed(message), _) => EitherOf4::B(view! {
                    <h2 id="lesson-heading">"Guided lessons"</h2>
                    <p class="hint" id="lesson-error">{format!("The lessons could not be loaded: {message}")}</p>
                }),
                (Lessons::Ready(list), Some(i)) if i < list.len() => {
                    let count = list.len();
                    let lesson = list[i].clone();
                    let question = lesson.question.clone();
                    let answer = question.answer;
                    let run_it = lesson.clone();
                    let target = lesson.look_for.target.clone();
                    let (first, last) = (i == 0, i + 1 >= count);
                    let choices = question
                        .choices
                        .iter()
                        .enumerate()
                        .map(|(k, text)| {
                            let id = format!("lesson-choice-{k}");
                            view! {
                                <label class="choice" class:right=move || ran.get() && chosen.get().is_some() && k == answer>
                                    <input
                                        type="radio"
                                        name="prediction"
                                        id=id
                                        prop:checked=move || chosen.get() == Some(k)
                                        on:change=move |_| chosen.set(Some(k))
                                    />
                                    {text.clone()}
                                </label>
                            }
                        })
                        .collect_view();
                    let feedback = move || {
                        if !ran.get() {
                            return match chosen.get() {
                                Some(_) => "Prediction noted — now run it and see.".to_string(),
                                None => "Pick an answer, then run it.".to_string(),
                            };
                        }
                        let verdict = match chosen.get() {
                            Some(k) if k == answer => "✓ Your prediction was right. ",
                            Some(_) => "✗ Not what happens. ",
                            None => "",
                        };
                        format!("{verdict}{}", question.why)
                    };
                    let view = view! {
                        <div class="lesson-head">
                            <h2 id="lesson-heading">
                                <small>{format!("Lesson {} of {count}", i + 1)}</small>
                                {lesson.title.clone()}
                            </h2>
                            <button id="close-lesson" class="quiet" title="Close the lessons" on:click=move |_| lab.lesson.set(None)>"×"</button>
                        </div>
                        <p class="lesson-text" id="lesson-text">{lesson.text.clone()}</p>
                        <fieldset class="prediction">
                            <legend>{format!("Predict: {}", question.prompt)}</legend>
                            {choices}
                        </fieldset>
                        <button id="run-lesson" class="primary" on:click=move |_| {
                            run_lesson(lab, &run_it);
                            ran.set(true);
                        }>"▶ Run it"</button>
                        <p class="feedback" id="lesson-feedback" role="status">{feedback}</p>
                        // Shown once the lesson runs: what to look for tells what happens,
                        // and before the prediction it would answer the question.
                        <div class="look-for" id="look-for" hidden=move || !ran.get()>
                            <strong>"What to look for: "</strong>
                            {lesson.look_for.note.clone()}
                            " "
                            <button class="quiet" id="show-me" on:click=move |_| {
                                lab.highlight.set(None);
                                lab.highlight.set(Some(target.clone()));
                            }>"Show me"</button>
                        </div>
                        <nav class="lesson-nav" aria-label="Lessons">
                            <button id="prev-lesson" disabled=first on:click=move |_| go(i - 1)>"◀ Previous"</button>
                            <select
                                id="lesson-select"
                                aria-label="Jump to a lesson"
                                on:change=move |ev| {
                                    if let Ok(k) = event_target_value(&ev).parse::<usize>() {
                                        go(k);
                                    }
                                }
                            >
                                {list
                                    .iter()
                                    .enumerate()
                                    .map(|(k, l)| view! { <option value=k selected=k == i>{format!("{}. {}", k + 1, l.title)}</option> })
                                    .collect_view()}
                            </select>
                            <button id="next-lesson" disabled=last on:click=move |_| go(i + 1)>"Next ▶"</button>
                        </nav>
                    };
                    EitherOf4::D(view)
                }
                (Lessons::Ready(list), _) => EitherOf4::C(view! {
                    <h2 id="lesson-heading">"Guided lessons"</h2>
                    <p class="lesson-text">
                        {format!("{} short steps through gradient explosion and its cures: predict, run, look.", list.len())}
                    </p>
                    <button id="start-lessons" class="primary" on:click=move |_| go(0)>"Start the lessons"</button>
                }),
            }}
        </section>
    }
}
