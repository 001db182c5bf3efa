//! The reader's own data: a text for the language model (`text=own`), a series for the series
//! task (`series=own`) and labelled points for the MLP (`dataset=own`). Each is pasted, or read
//! from a dropped or chosen file, checked by the engine's own parser ([`Corpus::from_text`],
//! [`OwnSeries::from_csv`], [`points_from_csv`]) before anything is sent, kept in this
//! browser's local storage (never uploaded: a link says `…=own` and never carries the data) and
//! handed to the worker, which trains on it while the settings ask for it. One panel
//! ([`OwnDataPanel`]) serves every kind.

use super::controller;
use super::format::{compact, thousands};
use super::state::Lab;
use gradlab_engine::csv_table::MAX_CSV_BYTES;
use gradlab_engine::language::{Corpus, FoldReport, MAX_TEXT_BYTES};
use gradlab_engine::own_points::{points_from_csv, PointsReport};
use gradlab_engine::own_series::{OwnSeries, SeriesReport};
use gradlab_engine::settings::Value;
use gradlab_engine::{Field, TrainParams};
use gradlab_protocol::{Command, SeriesInput};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Which of the reader's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnKind {
    /// A text for the character language model.
    Text,
    /// A series for the next-step prediction task.
    Series,
    /// Labelled points for the MLP.
    Points,
}

/// What the page knows of one kind of the reader's data.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OwnState {
    /// The data in use, described for the reader, if there is some.
    pub in_use: Option<String>,
    /// A series' length (the run's windows must fit in it).
    pub values: Option<usize>,
    /// The last refusal or warning.
    pub message: Option<String>,
}

/// The data as given: a text, or a CSV text and its column.
struct Given {
    data: String,
    column: Option<u32>,
}

impl OwnKind {
    /// The prefix of its elements' ids (`own-text-input`, `own-series-report`, …).
    fn id(self) -> &'static str {
        match self {
            Self::Text => "own-text",
            Self::Series => "own-series",
            Self::Points => "own-points",
        }
    }

    /// Where it is kept between visits.
    fn storage_key(self) -> &'static str {
        match self {
            Self::Text => "gradlab.own-text",
            Self::Series => "gradlab.own-series",
            Self::Points => "gradlab.own-points",
        }
    }

    fn max_bytes(self) -> usize {
        match self {
            Self::Text => MAX_TEXT_BYTES,
            Self::Series | Self::Points => MAX_CSV_BYTES,
        }
    }

    /// Whether settings `p` ask for it: its setting applies to their model and task (the
    /// settings table says where: the text and series for either sequence model) and says `own`.
    pub fn wanted(self, p: &TrainParams) -> bool {
        let field = match self {
            Self::Text => Field::Text,
            Self::Series => Field::Series,
            Self::Points => Field::Dataset,
        };
        field.setting().applies(p) && p.value(field) == Value::Name("own".into())
    }

    /// What a message calls it.
    fn noun(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Series => "series",
            Self::Points => "points",
        }
    }

    /// Its signal.
    pub fn state(self, lab: Lab) -> RwSignal<OwnState> {
        match self {
            Self::Text => lab.own_text,
            Self::Series => lab.own_series,
            Self::Points => lab.own_points,
        }
    }

    /// Checks `given` with the engine's parser: the state to show, or why it was refused.
    fn check(self, given: &Given) -> Result<OwnState, String> {
        match self {
            Self::Text => Corpus::from_text(&given.data)
                .map(|(_, report)| OwnState {
                    in_use: Some(describe_text(&report)),
                    values: None,
                    message: None,
                })
                .map_err(|e| format!("Your text was not used: {e}. Nothing changed.")),
            Self::Series => OwnSeries::from_csv(&given.data, given.column.map(|c| c as usize))
                .map(|(_, report)| OwnState {
                    in_use: Some(describe_series(&report)),
                    values: Some(report.values),
                    message: None,
                })
                .map_err(|e| format!("Your series was not used: {e}. Nothing changed.")),
            Self::Points => points_from_csv(&given.data)
                .map(|(_, report)| OwnState {
                    in_use: Some(describe_points(&report)),
                    values: Some(report.points),
                    message: None,
                })
                .map_err(|e| format!("Your points were not used: {e}. Nothing changed.")),
        }
    }

    fn command(self, given: Option<Given>) -> Command {
        match self {
            Self::Text => Command::OwnText(given.map(|g| g.data)),
            Self::Series => Command::OwnSeries(given.map(|g| SeriesInput {
                csv: g.data,
                column: g.column,
            })),
            Self::Points => Command::OwnPoints(given.map(|g| g.data)),
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The column kept with a series: stored after the data, on a line of its own.
const COLUMN_MARK: &str = "\n#gradlab-column=";

fn store(kind: OwnKind, given: &Given) -> bool {
    let value = match given.column {
        Some(c) => format!("{}{COLUMN_MARK}{c}", given.data),
        None => given.data.clone(),
    };
    storage().is_some_and(|s| s.set_item(kind.storage_key(), &value).is_ok())
}

fn stored(kind: OwnKind) -> Option<Given> {
    let value = storage()?.get_item(kind.storage_key()).ok()??;
    Some(match value.rsplit_once(COLUMN_MARK) {
        Some((data, column)) => Given {
            data: data.to_string(),
            column: column.trim().parse().ok(),
        },
        None => Given {
            data: value,
            column: None,
        },
    })
}

/// Checks `given`; data that is taken is kept in this browser, sent to the worker and
/// reported. Refused data changes nothing but the message.
fn take(lab: Lab, kind: OwnKind, given: Given) {
    match kind.check(&given) {
        Ok(mut state) => {
            if !store(kind, &given) {
                state.message = Some(
                    "This browser would not keep it (its storage is full or off): it is used \
                     until the page is reloaded."
                        .into(),
                );
            }
            kind.state(lab).set(state);
            controller::send(lab, kind.command(Some(given)));
        }
        Err(message) => kind.state(lab).update(|s| s.message = Some(message)),
    }
}

/// At start, once the worker has its first configuration: the kept data of each kind, if any,
/// to the worker. Data that no longer passes the check (edited by hand) is dropped.
pub fn restore(lab: Lab) {
    for kind in [OwnKind::Text, OwnKind::Series, OwnKind::Points] {
        let Some(given) = stored(kind) else { continue };
        match kind.check(&given) {
            Ok(state) => {
                kind.state(lab).set(state);
                controller::send(lab, kind.command(Some(given)));
            }
            Err(_) => {
                if let Some(s) = storage() {
                    let _ = s.remove_item(kind.storage_key());
                }
            }
        }
    }
}

/// Forgets one kind here and in the worker.
fn forget(lab: Lab, kind: OwnKind) {
    if let Some(s) = storage() {
        let _ = s.remove_item(kind.storage_key());
    }
    kind.state(lab).set(OwnState::default());
    controller::send(lab, kind.command(None));
}

/// Reads a dropped or chosen file: refused by its size before a byte is read, then checked as
/// pasted data is (a binary file decodes to replacement characters, which the parsers refuse).
fn read_file(lab: Lab, kind: OwnKind, file: web_sys::File, column: Option<u32>) {
    let bytes = file.size();
    if bytes > kind.max_bytes() as f64 {
        let what = kind.noun();
        let verb = if kind == OwnKind::Points {
            "were"
        } else {
            "was"
        };
        kind.state(lab).update(|s| {
            s.message = Some(format!(
                "Your {what} {verb} not used: the file is {:.1} MB; at most {} MB is taken. \
                 Nothing changed.",
                bytes / (1 << 20) as f64,
                kind.max_bytes() >> 20
            ));
        });
        return;
    }
    leptos::task::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(file.text()).await {
            Ok(text) => take(
                lab,
                kind,
                Given {
                    data: text.as_string().unwrap_or_default(),
                    column,
                },
            ),
            Err(_) => kind.state(lab).update(|s| {
                s.message = Some("The file could not be read. Nothing changed.".into());
            }),
        }
    });
}

/// A text in use, in words.
pub fn describe_text(report: &FoldReport) -> String {
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

/// A series in use, in words: which column, how many values, and the normalisation.
pub fn describe_series(report: &SeriesReport) -> String {
    let name = report
        .name
        .as_ref()
        .map(|n| format!(" ({n:?})"))
        .unwrap_or_default();
    format!(
        "In use: column {}{name}, {} values from {} to {}. Normalised with its own mean μ = {} \
         and standard deviation σ = {}: the model reads and predicts (value − μ)/σ. Windows of \
         T + 1 values must fit: T up to {}. The series stays in this browser; a link says \
         series=own without it.",
        report.column,
        thousands(report.values as u64),
        compact(report.range.0),
        compact(report.range.1),
        compact(report.mean),
        compact(report.std),
        report.values.saturating_sub(1),
    )
}

/// Points in use, in words: the classes and the scaling.
pub fn describe_points(report: &PointsReport) -> String {
    let [(x0, x1), (y0, y1)] = report.ranges;
    format!(
        "In use: {} points, {} labelled {:?} (target +1) and {} labelled {:?} (target −1). Each \
         axis is scaled to [−1, 1] by its own range: x from {} to {}, y from {} to {}. The \
         points stay in this browser; a link says dataset=own without them.",
        thousands(report.points as u64),
        thousands(report.positive.1 as u64),
        report.positive.0,
        thousands(report.negative.1 as u64),
        report.negative.0,
        compact(x0),
        compact(x1),
        compact(y0),
        compact(y1),
    )
}

/// Where a reader gives the model data of their own — a text for the language model, a series
/// for the series task: shown while the settings ask for it.
#[component]
pub fn OwnDataPanel(
    /// Which data.
    kind: OwnKind,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let state = kind.state(lab);
    let id = kind.id();
    let area = NodeRef::<leptos::html::Textarea>::new();
    let column_input = NodeRef::<leptos::html::Input>::new();
    // The series' column: blank for the first numeric one.
    let column = move || {
        column_input
            .get()
            .and_then(|i| i.value().trim().parse::<u32>().ok())
            .filter(|&c| c >= 1)
    };
    let shown = move || lab.params.with(|p| kind.wanted(p));
    let use_pasted = move |_| {
        if let Some(area) = area.get() {
            take(
                lab,
                kind,
                Given {
                    data: area.value(),
                    column: column(),
                },
            );
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
            read_file(lab, kind, file, column());
        }
    };
    let chosen = move |ev: web_sys::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(input) = input {
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                read_file(lab, kind, file, column());
            }
            // The same file chosen again is a new choice.
            input.set_value("");
        }
    };
    let (label, placeholder, accept, none_yet) = match kind {
        OwnKind::Text => (
            "Your text",
            "Paste a text here (at least 1,000 letters, at most 1 MB), or drop a .txt file on this box.",
            ".txt,text/plain",
            "No text of yours yet: until there is, the model trains on the shipped one.",
        ),
        OwnKind::Points => (
            "Your points",
            "Paste rows of x, y, label — two labels, 8 to 512 points (a header row is fine) — or drop a .csv file on this box.",
            ".csv,.tsv,.txt,text/csv,text/plain",
            "No points of yours yet: until there are, the network fits the circle.",
        ),
        OwnKind::Series => (
            "Your series",
            "Paste a CSV column or a list of numbers (at least 20 values, at most 1 MB), or drop a .csv file on this box.",
            ".csv,.tsv,.txt,text/csv,text/plain",
            "No series of yours yet: until there is, the task learns the sines.",
        ),
    };
    let report = move || {
        state.with(|s| {
            let mut lines: Vec<String> = s.message.iter().cloned().collect();
            lines.push(s.in_use.clone().unwrap_or_else(|| none_yet.to_string()));
            lines.join(" ")
        })
    };
    let column_field = (kind == OwnKind::Series).then(|| {
        view! {
            <label class="own-column" for="own-series-column">
                "Column "
                <input id="own-series-column" node_ref=column_input type="number" min="1" step="1" placeholder="first numeric"/>
            </label>
        }
    });
    view! {
        <div class=format!("control own-data {id}") hidden=move || !shown() || lab.is_hidden(match kind { OwnKind::Text => "text", OwnKind::Series => "series", OwnKind::Points => "dataset" })>
            <label for=format!("{id}-input")><span class="name">{label}</span></label>
            <textarea
                id=format!("{id}-input")
                node_ref=area
                rows="4"
                spellcheck="false"
                placeholder=placeholder
                on:dragover=|ev: web_sys::DragEvent| ev.prevent_default()
                on:drop=dropped
            ></textarea>
            <div class="own-data-buttons">
                {column_field}
                <button id=format!("{id}-use") on:click=use_pasted>"Use this"</button>
                <input id=format!("{id}-file") class="visually-hidden own-file" type="file" accept=accept on:change=chosen/>
                <label class="file-button" for=format!("{id}-file")>"Open a file…"</label>
                <button id=format!("{id}-forget") disabled=move || state.with(|s| s.in_use.is_none()) on:click=move |_| forget(lab, kind)>
                    "Forget it"
                </button>
            </div>
            <p class="hint" id=format!("{id}-report") aria-live="polite">{report}</p>
        </div>
    }
}
