//! What a language model writes: the newest live sample of run A (and run B in compare mode),
//! with its bits per character and the share of its words that are real words of the text.
//! Shown only for the language task (the model description says whether a model writes).

use super::format::{compact, thousands};
use super::state::Lab;
use gradlab_engine::language::SAMPLE_TEMPERATURE;
use gradlab_protocol::{LmSample, SAMPLE_EVERY, SAMPLE_LENGTH, SAMPLE_SHARE};
use leptos::prelude::*;
use std::f64::consts::LN_2;

/// The samples panel: one card per run, under the charts.
#[component]
pub fn LanguageSamples() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let baseline_bits = move || {
        lab.model
            .with(|m| m.baseline.map(|b| format!("{:.2}", b / LN_2)))
            .unwrap_or_default()
    };
    view! {
        <section
            class="samples"
            aria-labelledby="samples-title"
            hidden=move || !lab.model.with(|m| m.writes_text)
        >
            <h2 id="samples-title">"What the model writes"</h2>
            <p class="subtitle">
                {format!(
                    "{SAMPLE_LENGTH} characters drawn from the current weights (temperature {SAMPLE_TEMPERATURE}), renewed every {SAMPLE_EVERY} steps while writing takes under {:.0} % of the training time (a Transformer reads its whole window for each character). ",
                    SAMPLE_SHARE * 100.0
                )}
                "A model that remembers nothing scores "
                {baseline_bits}
                " bits per character; one that has learnt words writes them."
            </p>
            <div class="sample-cards">
                <SampleCard id="lm-sample" run=0/>
                <div class="sample-slot" hidden=move || lab.compare.with(Option::is_none)>
                    <SampleCard id="lm-sample-b" run=1/>
                </div>
            </div>
        </section>
    }
}

/// One run's newest sample.
#[component]
fn SampleCard(
    /// The id of the sample text.
    id: &'static str,
    /// Which run: 0 is A, 1 is B.
    run: usize,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let sample = move || lab.samples.with(|s| s.get(run).cloned().flatten());
    let bits = move || {
        let stats = if run == 0 {
            lab.shown.get()
        } else {
            lab.second
                .with(|s| s.as_ref().and_then(|r| r.shown.clone()))
        };
        stats.map_or("—".to_string(), |s| compact(s.loss / LN_2))
    };
    let caption = move || match sample() {
        Some(LmSample {
            step,
            text: Some(_),
            known_words,
        }) => format!(
            "at step {} · {:.0}% of its words are words of the text",
            thousands(step),
            known_words * 100.0
        ),
        Some(LmSample {
            step, text: None, ..
        }) => format!("at step {}", thousands(step)),
        None => String::new(),
    };
    let text = move || match sample() {
        Some(LmSample {
            text: Some(text), ..
        }) => text,
        Some(LmSample { text: None, .. }) => {
            "(nothing: the weights are no longer finite numbers, so the model cannot write)"
                .to_string()
        }
        None => "(the first sample appears once training starts)".to_string(),
    };
    view! {
        <figure class="sample-card">
            <figcaption>
                <strong>{if run == 0 { "Run A" } else { "Run B" }}</strong>
                " · loss "
                <span class="bits">{bits}</span>
                " bits per character · "
                {caption}
            </figcaption>
            <p
                id=id
                class="sample-text"
                class:empty=move || sample().and_then(|s| s.text).is_none()
                data-step=move || sample().map(|s| s.step.to_string())
                data-known-words=move || sample().map(|s| format!("{:.3}", s.known_words))
            >
                {text}
            </p>
        </figure>
    }
}
