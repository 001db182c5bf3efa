//! Links that reproduce a run: every control and the seed in the page's query string.
//!
//! `?depth=30&activation=tanh&weight-scale=2.5&lr=0.1&clip-mode=global-norm&clip=1&seed=7`
//! Keys are the flag names of the headless runner, from the one settings table
//! ([`SETTINGS`](gradlab_engine::settings::SETTINGS)); a link holds the settings of its model
//! (`model=rnn` links hold the RNN's). Reading a link
//! never fails: unknown, malformed, absurdly long or out-of-range parameters are dropped or
//! clamped, each with a notice that names it, and the rest of the link still applies.
//! `hide=depth,width` is teacher mode: those controls are not shown (as TensorFlow Playground
//! does), so a class sees only what the lesson needs. `lesson=3` opens the third lesson;
//! `compare=on` trains a second run B beside A, and `b-clip-mode=value` (any key of
//! [`VARIANT_KEYS`] with a `b-` prefix) says where B differs from A.

use crate::compare::{Variant, VARIANT_KEYS};
use gradlab_engine::cliff::{Point, B_RANGE, W_RANGE};
use gradlab_engine::params::KeyError;
use gradlab_engine::settings::{Setting, SETTINGS};
use gradlab_engine::sweep::{Sweep, SweepAxis, MAX_TILE_STEPS};
use gradlab_engine::{ConfigError, TrainConfig, TrainParams};

/// Longest value read from a link; anything longer is hostile or broken.
const MAX_VALUE: usize = 64;
/// Longest `hide=` list read (every control's id, comma-separated, is about 280 characters).
const MAX_HIDE_VALUE: usize = 512;
/// Most parameters read from one link.
const MAX_PARAMS: usize = 64;

/// Highest lesson number a link may name (the lesson file decides how many there are).
pub const MAX_LESSON: usize = 99;
/// Positions of the speed control (`speed=0` … `speed=10`).
pub const SPEED_POSITIONS: usize = 11;
/// The per-layer chart's views, by their link names (`view=delta`); the first is the default.
pub const VIEWS: [&str; 4] = ["gradient", "delta", "update-ratio", "update-norm"];

/// Controls of the page's own that a teacher can hide besides the settings.
const PAGE_CONTROLS: [&str; 9] = [
    "run",
    "speed",
    "copy-link",
    "compare",
    "downloads",
    "open-phase",
    "open-cliff",
    "cliff-lr",
    "cliff-clip",
];

/// The cliff map's learning-rate range (its slider's, and what a link may ask for).
pub const CLIFF_LR_RANGE: (f64, f64) = (1e-3, 10.0);
/// The cliff map's clip-threshold range.
pub const CLIFF_CLIP_RANGE: (f64, f64) = (1e-3, 100.0);

/// The trainability map as a link holds it: `map=phase`, its axes `phase-x=depth=1:60:16`,
/// `phase-y=weight-scale=0.5:3:16` and `phase-steps` (steps per cell).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaseLink {
    /// Columns.
    pub x: SweepAxis,
    /// Rows.
    pub y: SweepAxis,
    /// Steps per cell.
    pub steps: usize,
}

impl PhaseLink {
    /// The map a model opens with: depth × weight scale for the MLP, sequence length ×
    /// recurrent scale for the RNN.
    pub fn default_for(params: &TrainParams) -> Self {
        let axis = |spec: &str| SweepAxis::parse(spec).expect("a valid default axis");
        if params.model == "rnn" {
            Self {
                x: axis("seq-len=5:80:10"),
                y: axis("recurrent-scale=0.5:2:10"),
                steps: 150,
            }
        } else {
            Self {
                x: axis("depth=1:60:16"),
                y: axis("weight-scale=0.5:3:16"),
                steps: 200,
            }
        }
    }

    /// The sweep it describes.
    pub fn sweep(&self) -> Sweep {
        Sweep {
            x: self.x,
            y: self.y,
            steps: self.steps,
        }
    }
}

/// Pascanu's cliff map as a link holds it: `map=cliff`, the descents' start
/// `cliff-from=w,b`, `cliff-lr` and `cliff-clip` (the last two left out at their defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CliffLink {
    /// Where the two descents start, once the student has clicked.
    pub from: Option<Point>,
    /// η.
    pub learning_rate: f64,
    /// The clipped descent's global-norm threshold.
    pub threshold: f64,
}

impl Default for CliffLink {
    /// Pascanu et al.'s threshold of 1, and η = 0.1.
    fn default() -> Self {
        Self {
            from: None,
            learning_rate: 0.1,
            threshold: 1.0,
        }
    }
}

/// Reads a number of a cliff setting, clamped into `range` with a notice when outside.
fn cliff_number(
    key: &str,
    value: &str,
    range: (f64, f64),
    notices: &mut Vec<String>,
) -> Option<f64> {
    match value.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => {
            let clamped = v.clamp(range.0, range.1);
            if clamped != v {
                notices.push(format!(
                    "The link's \"{key}\" was {v}; it must be from {} to {}, so it is {clamped}.",
                    range.0, range.1
                ));
            }
            Some(clamped)
        }
        _ => {
            notices.push(refused(key, "a number", value));
            None
        }
    }
}

/// Controls a teacher can hide with `hide=` (teacher mode), by their element ids: every
/// setting's control (from the settings table) and the page's own.
pub fn hideable() -> impl Iterator<Item = &'static str> {
    SETTINGS.iter().map(|s| s.control).chain(PAGE_CONTROLS)
}

/// What a link carries besides the settings of run A.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageState {
    /// Controls to hide (teacher mode), from [`hideable`].
    pub hidden: Vec<&'static str>,
    /// Compare mode: run B's differences from A, when on.
    pub compare: Option<Variant>,
    /// The open lesson, numbered from 1.
    pub lesson: Option<usize>,
    /// The per-layer chart's view, one of [`VIEWS`] (None: the default).
    pub view: Option<&'static str>,
    /// The speed control's position, below [`SPEED_POSITIONS`] (None: the default).
    pub speed: Option<usize>,
    /// Pascanu's cliff map, when open.
    pub cliff: Option<CliffLink>,
    /// The trainability map, when open (one map at a time: the cliff wins).
    pub phase: Option<PhaseLink>,
    /// The presenter view (`present=1`): the charts and numbers large, the controls on keys.
    pub present: bool,
    /// The lab embedded in another page (`embed=1`): the charts it names, at most the controls
    /// it names.
    pub embed: Option<Embed>,
}

/// The charts an embedded lab may show, by their link names: the per-layer chart, the history
/// heat map, the loss, the per-layer table.
pub const EMBED_CHARTS: [&str; 5] = ["layers", "history", "loss", "table", "range"];

/// What an embedded lab shows (`embed=1&embed-charts=layers,loss&embed-controls=run,weight-scale`).
#[derive(Clone, Debug, PartialEq)]
pub struct Embed {
    /// Of [`EMBED_CHARTS`], in the link's order; by default the per-layer chart and the loss.
    pub charts: Vec<&'static str>,
    /// Of [`hideable`]; by default the run buttons only. Every other control is hidden.
    pub controls: Vec<&'static str>,
}

impl Default for Embed {
    fn default() -> Self {
        Self {
            charts: vec!["layers", "loss"],
            controls: vec!["run"],
        }
    }
}

/// What a link asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened {
    /// The settings, on top of the defaults, after correction.
    pub params: TrainParams,
    /// The valid configuration they make.
    pub config: TrainConfig,
    /// Hidden controls, compare mode, lesson.
    pub page: PageState,
    /// One notice per parameter that had to be dropped or corrected.
    pub notices: Vec<String>,
}

/// The query string (without `?`) that reproduces `config` and `page`.
pub fn to_query(config: &TrainConfig, page: &PageState) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    let a = config.to_params();
    // Run B takes A's value of every setting it does not change, so a setting that means
    // something only for B (AdamW's decay when only B is AdamW) is written too.
    let b = page.compare.as_ref().map(|variant| variant.apply(&a));
    let applies = |s: &Setting| s.applies(&a) || b.as_ref().is_some_and(|b| s.applies(b));
    for (key, value) in a.pairs_where(applies) {
        out.append_pair(key, &value);
    }
    if let Some(variant) = &page.compare {
        out.append_pair("compare", "on");
        for (key, value) in variant.pairs() {
            out.append_pair(&format!("b-{key}"), &value);
        }
    }
    if let Some(lesson) = page.lesson {
        out.append_pair("lesson", &lesson.to_string());
    }
    if let Some(view) = page.view {
        out.append_pair("view", view);
    }
    if let Some(speed) = page.speed {
        out.append_pair("speed", &speed.to_string());
    }
    if let Some(cliff) = &page.cliff {
        let defaults = CliffLink::default();
        out.append_pair("map", "cliff");
        if let Some(from) = cliff.from {
            out.append_pair("cliff-from", &format!("{},{}", from.w, from.b));
        }
        if cliff.learning_rate != defaults.learning_rate {
            out.append_pair("cliff-lr", &cliff.learning_rate.to_string());
        }
        if cliff.threshold != defaults.threshold {
            out.append_pair("cliff-clip", &cliff.threshold.to_string());
        }
    }
    if let (Some(phase), None) = (&page.phase, &page.cliff) {
        out.append_pair("map", "phase");
        out.append_pair("phase-x", &phase.x.spec());
        out.append_pair("phase-y", &phase.y.spec());
        out.append_pair("phase-steps", &phase.steps.to_string());
    }
    if page.present {
        out.append_pair("present", "1");
    }
    if let Some(embed) = &page.embed {
        out.append_pair("embed", "1");
        out.append_pair("embed-charts", &embed.charts.join(","));
        out.append_pair("embed-controls", &embed.controls.join(","));
    }
    if !page.hidden.is_empty() {
        out.append_pair("hide", &page.hidden.join(","));
    }
    out.finish()
}

/// Reads a query string (with or without `?`) on top of `defaults`.
pub fn from_query(query: &str, defaults: &TrainParams) -> Opened {
    let mut reader = LinkReader::new(defaults);
    let query = query.strip_prefix('?').unwrap_or(query);
    for (i, (key, value)) in form_urlencoded::parse(query.as_bytes()).enumerate() {
        if i == MAX_PARAMS {
            reader.notices.push(format!(
                "The link has more than {MAX_PARAMS} parameters; the rest were ignored."
            ));
            break;
        }
        if let Err(message) = reader.read(&key, &value) {
            reader.notices.push(message);
        }
    }
    reader.finish()
}

/// A link read one parameter at a time: [`LinkReader::read`] sorts each key to the part of the
/// link it belongs to (a setting of A or B, the page's state, a map), [`LinkReader::finish`]
/// makes the whole valid.
struct LinkReader {
    /// Run A's settings as read so far (checked as a whole at the end).
    params: TrainParams,
    /// Where a `b-` key is read like A's, before only its field is kept for B.
    b_scratch: TrainParams,
    /// Hidden controls, compare mode, lesson, view, speed (the maps come from `maps`).
    page: PageState,
    maps: MapKeys,
    /// `embed=1` was read; `embed` holds the lists read (with or without it).
    embedded: bool,
    embed: Option<Embed>,
    notices: Vec<String>,
}

/// The map keys as read, made into at most one open map at the end.
#[derive(Default)]
struct MapKeys {
    cliff_open: bool,
    cliff: CliffLink,
    phase_open: bool,
    phase_x: Option<SweepAxis>,
    phase_y: Option<SweepAxis>,
    phase_steps: Option<usize>,
}

impl LinkReader {
    fn new(defaults: &TrainParams) -> Self {
        Self {
            params: defaults.clone(),
            b_scratch: defaults.clone(),
            page: PageState::default(),
            maps: MapKeys::default(),
            embedded: false,
            embed: None,
            notices: Vec::new(),
        }
    }

    /// Reads one parameter; an error is the notice that says why it was ignored.
    fn read(&mut self, key: &str, value: &str) -> Result<(), String> {
        let limit = if key == "hide" || key == "embed-controls" {
            MAX_HIDE_VALUE
        } else {
            MAX_VALUE
        };
        if value.chars().count() > limit {
            let key_shown: String = key.chars().take(24).collect();
            return Err(format!(
                "Ignored the link's \"{key_shown}\": its value is too long."
            ));
        }
        match key {
            "hide" => {
                self.read_hide(value);
                Ok(())
            }
            "compare" | "lesson" | "view" | "speed" | "present" | ENGINE_KEY => {
                self.read_page(key, value)
            }
            "embed" | "embed-charts" | "embed-controls" => self.read_embed(key, value),
            "map" | "phase-x" | "phase-y" | "phase-steps" | "cliff-from" | "cliff-lr"
            | "cliff-clip" => self.maps.read(key, value, &mut self.notices),
            _ => self.read_setting(key, value),
        }
    }

    /// `embed=1` and the lists of what the embedded lab shows; a list without `embed=1` is
    /// kept for it, unknown names are noticed one by one, an empty list is the default.
    fn read_embed(&mut self, key: &str, value: &str) -> Result<(), String> {
        let embed = self.embed.get_or_insert_with(Embed::default);
        let mut names = |allowed: &mut dyn Iterator<Item = &'static str>, what: &str| {
            let allowed: Vec<&'static str> = allowed.collect();
            let mut chosen = Vec::new();
            for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match allowed.iter().find(|a| **a == name) {
                    Some(a) if !chosen.contains(a) => chosen.push(*a),
                    Some(_) => {}
                    None => self.notices.push(format!(
                        "The link's \"{key}\" names no {what} \"{}\" (one of {}).",
                        name.chars().take(24).collect::<String>(),
                        allowed.join(", ")
                    )),
                }
            }
            chosen
        };
        match key {
            "embed" => match value.trim() {
                "1" | "on" | "true" => self.embedded = true,
                "0" | "off" | "false" => self.embedded = false,
                _ => return Err(refused(key, "1 or 0", value)),
            },
            "embed-charts" => {
                let charts = names(&mut EMBED_CHARTS.into_iter(), "chart");
                if !charts.is_empty() {
                    embed.charts = charts;
                }
            }
            _ => {
                let controls = names(&mut hideable(), "control");
                if !controls.is_empty() {
                    embed.controls = controls;
                }
            }
        }
        Ok(())
    }

    /// `hide=`: each name a control of [`hideable`], the unknown ones noticed one by one.
    fn read_hide(&mut self, value: &str) {
        let hidden = &mut self.page.hidden;
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match hideable().find(|h| *h == name) {
                Some(h) if !hidden.contains(&h) => hidden.push(h),
                Some(_) => {}
                None => self.notices.push(format!(
                    "The link's \"hide\" names no control \"{}\" (any setting's control \
                     id, or speed, copy-link, compare, downloads).",
                    name.chars().take(24).collect::<String>(),
                )),
            }
        }
    }

    /// The page's own state: compare mode, lesson, view, speed, presenter view, engine build.
    fn read_page(&mut self, key: &str, value: &str) -> Result<(), String> {
        let page = &mut self.page;
        match key {
            "present" => match value.trim() {
                "1" | "on" | "true" => {
                    page.present = true;
                    Ok(())
                }
                "0" | "off" | "false" => {
                    page.present = false;
                    Ok(())
                }
                _ => Err(refused(key, "1 or 0", value)),
            },
            "compare" => match value.trim() {
                "on" | "1" | "true" => {
                    page.compare.get_or_insert_with(Variant::default);
                    Ok(())
                }
                "off" | "0" | "false" => {
                    page.compare = None;
                    Ok(())
                }
                _ => Err(refused(key, "on or off", value)),
            },
            "lesson" => match value.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_LESSON).contains(&n) => {
                    page.lesson = Some(n);
                    Ok(())
                }
                _ => Err(refused(key, "a lesson number", value)),
            },
            "view" => match VIEWS.iter().find(|v| **v == value.trim()) {
                Some(v) => {
                    page.view = Some(*v);
                    Ok(())
                }
                None => Err(refused(key, &format!("one of {}", VIEWS.join(", ")), value)),
            },
            "speed" => match value.trim().parse::<usize>() {
                Ok(n) if n < SPEED_POSITIONS => {
                    page.speed = Some(n);
                    Ok(())
                }
                _ => Err(refused(
                    key,
                    &format!("a whole number from 0 to {}", SPEED_POSITIONS - 1),
                    value,
                )),
            },
            // Read by the page when it starts its workers (ui::bridge), not a setting: forces
            // the plain simd128 engine build where the browser would pick relaxed SIMD.
            _ => match value.trim() {
                ENGINE_PLAIN => Ok(()),
                _ => Err(refused(key, ENGINE_PLAIN, value)),
            },
        }
    }

    /// A setting of run A, or with a `b-` prefix (one of [`VARIANT_KEYS`]) of run B.
    fn read_setting(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key.strip_prefix("b-").filter(|k| VARIANT_KEYS.contains(k)) {
            // Read like A's parameter, then keep just that field for B.
            Some(b_key) => apply(&mut self.b_scratch, b_key, value)
                .map(|()| {
                    self.page
                        .compare
                        .get_or_insert_with(Variant::default)
                        .take(b_key, &self.b_scratch);
                })
                .map_err(|message| message.replacen(b_key, key, 1)),
            None => apply(&mut self.params, key, value),
        }
    }

    /// Repairs A's settings as a whole, then B's, and opens at most one map.
    fn finish(mut self) -> Opened {
        let notices = &mut self.notices;
        let (config, errors) = self.params.repair();
        notices.extend(
            errors
                .iter()
                .map(|e| format!("From the link: {}", describe(e))),
        );
        let params = config.to_params();
        // Run B must be a valid configuration too; keep only where it still differs from A.
        self.page.compare = self.page.compare.map(|variant| {
            let (b, errors) = variant.apply(&params).repair();
            notices.extend(errors.iter().map(|e| {
                let text = describe(e).replacen("(parameter \"", "(parameter \"b-", 1);
                format!("From the link, run B: {text}")
            }));
            Variant::between(&params, &b.to_params())
        });
        self.page.phase = self.maps.phase(&params, notices);
        self.page.embed = self.embedded.then(|| self.embed.unwrap_or_default());
        self.page.cliff = self.maps.cliff_open.then_some(self.maps.cliff);
        Opened {
            params,
            config,
            page: self.page,
            notices: self.notices,
        }
    }
}

impl MapKeys {
    /// `map`, the trainability map's `phase-*` and the cliff map's `cliff-*` keys.
    fn read(&mut self, key: &str, value: &str, notices: &mut Vec<String>) -> Result<(), String> {
        match key {
            "map" => match value.trim() {
                "cliff" => {
                    self.cliff_open = true;
                    Ok(())
                }
                "phase" => {
                    self.phase_open = true;
                    Ok(())
                }
                _ => Err(refused(key, "cliff or phase", value)),
            },
            "phase-x" | "phase-y" => match SweepAxis::parse(value) {
                Ok(axis) => {
                    *(if key == "phase-x" {
                        &mut self.phase_x
                    } else {
                        &mut self.phase_y
                    }) = Some(axis);
                    Ok(())
                }
                Err(e) => Err(format!("Ignored the link's \"{key}\": {e}.")),
            },
            "phase-steps" => match value.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_TILE_STEPS).contains(&n) => {
                    self.phase_steps = Some(n);
                    Ok(())
                }
                _ => Err(refused(
                    key,
                    &format!("a whole number from 1 to {MAX_TILE_STEPS}"),
                    value,
                )),
            },
            "cliff-from" => {
                let parts: Vec<Option<f64>> = value
                    .split(',')
                    .map(|v| v.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
                    .collect();
                match parts[..] {
                    [Some(w), Some(b)] => {
                        let inside = Point {
                            w: w.clamp(W_RANGE.0, W_RANGE.1),
                            b: b.clamp(B_RANGE.0, B_RANGE.1),
                        };
                        if inside != (Point { w, b }) {
                            notices.push(format!(
                                "The link's \"cliff-from\" lay outside the map (w {} to {}, b \
                                 {} to {}); it starts from its edge.",
                                W_RANGE.0, W_RANGE.1, B_RANGE.0, B_RANGE.1
                            ));
                        }
                        self.cliff.from = Some(inside);
                        Ok(())
                    }
                    _ => Err(refused(key, "two numbers, w,b", value)),
                }
            }
            "cliff-lr" => {
                if let Some(v) = cliff_number(key, value, CLIFF_LR_RANGE, notices) {
                    self.cliff.learning_rate = v;
                }
                Ok(())
            }
            _ => {
                if let Some(v) = cliff_number(key, value, CLIFF_CLIP_RANGE, notices) {
                    self.cliff.threshold = v;
                }
                Ok(())
            }
        }
    }

    /// The trainability map, when the link opens it and not the cliff map (which wins).
    fn phase(&self, params: &TrainParams, notices: &mut Vec<String>) -> Option<PhaseLink> {
        (self.phase_open && !self.cliff_open).then(|| {
            let defaults = PhaseLink::default_for(params);
            let (x, y) = (
                self.phase_x.unwrap_or(defaults.x),
                self.phase_y.unwrap_or(defaults.y),
            );
            let same = x.field == y.field;
            if same {
                notices.push(
                    "The link's map had the same setting on both axes; it shows its defaults."
                        .into(),
                );
            }
            PhaseLink {
                x: if same { defaults.x } else { x },
                y: if same { defaults.y } else { y },
                steps: self.phase_steps.unwrap_or(defaults.steps),
            }
        })
    }
}

/// The link key that picks the worker's engine build, and its one accepted value: the plain
/// simd128 build (without the key the browser picks, `public/engine_build.js`).
const ENGINE_KEY: &str = "engine";
pub const ENGINE_PLAIN: &str = "simd128";

/// Whether a page address (`?…`) asks for the plain simd128 engine build.
pub fn forces_plain_engine(query: &str) -> bool {
    form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .any(|(key, value)| key == ENGINE_KEY && value.trim() == ENGINE_PLAIN)
}

fn describe(e: &ConfigError) -> String {
    format!("{e} (parameter \"{}\")", e.field().key())
}

/// The notice for a parameter whose value is not what it must be.
fn refused(key: &str, must_be: &str, value: &str) -> String {
    format!("Ignored the link's \"{key}\": it must be {must_be}, not \"{value}\".")
}

/// Sets one parameter through the settings table; unknown keys and unreadable numbers are
/// refused with a message.
fn apply(params: &mut TrainParams, key: &str, value: &str) -> Result<(), String> {
    params.set_by_key(key, value).map_err(|e| match e {
        KeyError::Unreadable(e) => format!("Ignored the link's \"{key}\": {e}."),
        KeyError::Unknown => {
            let shown: String = key.chars().take(24).collect();
            format!("Ignored the link's unknown parameter \"{shown}\".")
        }
    })
}
