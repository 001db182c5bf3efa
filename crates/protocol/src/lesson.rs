//! Guided lessons: a data file the page loads (`lessons.json`, beside `index.html`), so a teacher
//! can write their own without touching code.
//!
//! Owns the file format ([`LessonFile`], [`Lesson`]) and its validation ([`parse`]): every
//! lesson's settings must pass the same [`TrainParams::check`] as a slider or a link, every
//! question must have a right answer, and every "look for" must point at something on the page
//! ([`HIGHLIGHTS`]). The format is documented in README.md.

use crate::compare::Variant;
use crate::link::{CliffLink, PhaseLink, CLIFF_CLIP_RANGE, CLIFF_LR_RANGE, SPEED_POSITIONS, VIEWS};
use gradlab_engine::cliff::{Point, B_RANGE, W_RANGE};
use gradlab_engine::sweep::Sweep;
use gradlab_engine::TrainParams;
use serde::Deserialize;

/// Page elements a lesson may point at (element ids).
pub const HIGHLIGHTS: [&str; 23] = [
    "grad-chart",
    "grad-chart-b",
    "history-chart",
    "loss-chart",
    "phase-badge",
    "layer-table",
    "global-norm",
    "clip-cosine",
    "clipped-share",
    "max-raw-norm",
    "status-b",
    "weight-scale",
    "clip-threshold",
    "l2",
    "sigma-max",
    "time-table",
    "lm-sample",
    "cliff-chart",
    "cliff-summary",
    "phase-chart",
    "phase-summary",
    "range-chart",
    "skipped-steps",
];

/// A whole lesson file: `{"lessons": [...]}`. Each lesson is read on its own, so an error
/// (an unknown or misspelt key among them) names the lesson it is in.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonFile {
    /// The lessons, in order, not yet read as [`Lesson`]s.
    pub lessons: Vec<serde_json::Value>,
}

/// One lesson.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Lesson {
    /// A short title.
    pub title: String,
    /// The explanation: 2–4 sentences.
    pub text: String,
    /// Asked before running.
    pub question: Question,
    /// Every setting of run A; those left out take the page's defaults, so "Run it" gives the
    /// same run whatever the controls showed before.
    #[serde(default)]
    pub settings: TrainParams,
    /// Compare mode: what run B changes (absent: compare mode off).
    #[serde(default)]
    pub compare: Option<Variant>,
    /// The per-layer chart's view, one of [`VIEWS`] (absent: the weight gradient).
    #[serde(default)]
    pub view: Option<String>,
    /// Steps per frame while it runs, a position of the speed control (absent: unchanged).
    #[serde(default)]
    pub speed: Option<usize>,
    /// Opens Pascanu's cliff map with these descents (absent: the map stays as it is).
    #[serde(default)]
    pub cliff: Option<LessonCliff>,
    /// Opens the trainability map with these axes (absent: the map stays as it is).
    #[serde(default)]
    pub phase: Option<LessonPhase>,
    /// What to look for once it runs.
    pub look_for: LookFor,
}

/// The cliff map a lesson opens: where its two descents start, η and the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonCliff {
    /// The start, `[w, b]`, inside the map.
    pub from: [f64; 2],
    /// Learning rate η.
    pub lr: f64,
    /// Global-norm clip threshold of the clipped descent.
    pub clip: f64,
}

impl LessonCliff {
    /// The map's state it sets.
    pub fn link(&self) -> CliffLink {
        CliffLink {
            from: Some(Point {
                w: self.from[0],
                b: self.from[1],
            }),
            learning_rate: self.lr,
            threshold: self.clip,
        }
    }
}

/// The trainability map a lesson opens: its axes (`key=from:to:count`) and steps per cell.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonPhase {
    /// Columns, e.g. `depth=1:60:16`.
    pub x: String,
    /// Rows, e.g. `weight-scale=0.5:3:16`.
    pub y: String,
    /// Steps per cell.
    pub steps: usize,
}

impl LessonPhase {
    /// The map's state it sets, or why it cannot.
    pub fn link(&self) -> Result<PhaseLink, String> {
        let sweep = Sweep::parse(&format!("{},{}", self.x, self.y), self.steps)
            .map_err(|e| e.to_string())?;
        Ok(PhaseLink {
            x: sweep.x,
            y: sweep.y,
            steps: sweep.steps,
        })
    }
}

/// A prediction question.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The question.
    pub prompt: String,
    /// The choices (2–5).
    pub choices: Vec<String>,
    /// Index of the right choice.
    pub answer: usize,
    /// Why it is right, shown once the student has answered.
    pub why: String,
}

/// The "what to look for" note and the page element it highlights.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookFor {
    /// Id of the element to highlight, one of [`HIGHLIGHTS`].
    pub target: String,
    /// What to notice there.
    pub note: String,
}

/// Why a lesson file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError(pub String);

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LessonError {}

/// Reads and checks a lesson file; the error names the lesson and what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Lesson>, LessonError> {
    let file: LessonFile = serde_json::from_str(text)
        .map_err(|e| LessonError(format!("the lesson file is not valid: {e}")))?;
    if file.lessons.is_empty() {
        return Err(LessonError("the lesson file has no lessons".into()));
    }
    if file.lessons.len() > crate::link::MAX_LESSON {
        return Err(LessonError(format!(
            "the lesson file has {} lessons; at most {} are shown",
            file.lessons.len(),
            crate::link::MAX_LESSON
        )));
    }
    let mut lessons = Vec::with_capacity(file.lessons.len());
    for (i, value) in file.lessons.into_iter().enumerate() {
        let lesson = Lesson::deserialize(value).map_err(|e| {
            LessonError(format!(
                "the lesson file is not valid: lesson {}: {e}",
                i + 1
            ))
        })?;
        lesson
            .check()
            .map_err(|e| LessonError(format!("lesson {} (\"{}\"): {e}", i + 1, lesson.title)))?;
        lessons.push(lesson);
    }
    Ok(lessons)
}

impl Lesson {
    /// The lesson's problems, if any, as one sentence.
    fn check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let (_, errors) = self.settings.repair();
        problems.extend(errors.iter().map(ToString::to_string));
        if let Some(variant) = &self.compare {
            let (_, errors) = variant.apply(&self.settings).repair();
            problems.extend(errors.iter().map(|e| format!("run B: {e}")));
        }
        let q = &self.question;
        if !(2..=5).contains(&q.choices.len()) {
            problems.push(format!(
                "the question has {} choices; give 2 to 5",
                q.choices.len()
            ));
        } else if q.answer >= q.choices.len() {
            problems.push(format!(
                "the answer is choice {} but there are {}",
                q.answer,
                q.choices.len()
            ));
        }
        if !HIGHLIGHTS.contains(&self.look_for.target.as_str()) {
            problems.push(format!(
                "look-for target \"{}\" is not one of {}",
                self.look_for.target,
                HIGHLIGHTS.join(", ")
            ));
        }
        if let Some(view) = &self.view {
            if !VIEWS.contains(&view.as_str()) {
                problems.push(format!(
                    "view \"{view}\" is not one of {}",
                    VIEWS.join(", ")
                ));
            }
        }
        if let Some(cliff) = &self.cliff {
            let [w, b] = cliff.from;
            let inside =
                (W_RANGE.0..=W_RANGE.1).contains(&w) && (B_RANGE.0..=B_RANGE.1).contains(&b);
            let lr_ok = (CLIFF_LR_RANGE.0..=CLIFF_LR_RANGE.1).contains(&cliff.lr);
            let clip_ok = (CLIFF_CLIP_RANGE.0..=CLIFF_CLIP_RANGE.1).contains(&cliff.clip);
            if !(inside && lr_ok && clip_ok) {
                problems.push(format!(
                    "cliff {cliff:?}: from must lie in w {}..{}, b {}..{}; lr in {}..{}; clip in {}..{}",
                    W_RANGE.0, W_RANGE.1, B_RANGE.0, B_RANGE.1, CLIFF_LR_RANGE.0, CLIFF_LR_RANGE.1,
                    CLIFF_CLIP_RANGE.0, CLIFF_CLIP_RANGE.1
                ));
            }
        }
        if let Some(Err(e)) = self.phase.as_ref().map(LessonPhase::link) {
            problems.push(format!("phase map: {e}"));
        }
        if let Some(speed) = self.speed {
            if speed >= SPEED_POSITIONS {
                problems.push(format!(
                    "speed {speed} is not a speed setting (0 to {})",
                    SPEED_POSITIONS - 1
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../public/lessons.json");

    fn sentences(text: &str) -> usize {
        text.split_terminator(['.', '?', '!'])
            .filter(|s| s.trim().chars().next().is_some_and(char::is_uppercase))
            .count()
    }

    /// The lesson file the app ships parses, and every lesson's settings validate.
    #[test]
    fn the_shipped_lessons_parse_and_validate() {
        let lessons = parse(SHIPPED).unwrap();
        assert_eq!(lessons.len(), 31);
        for (i, lesson) in lessons.iter().enumerate() {
            let n = sentences(&lesson.text);
            assert!((2..=4).contains(&n), "lesson {}: {n} sentences", i + 1);
            assert!(lesson.settings.check().is_ok());
            assert!(!lesson.look_for.note.is_empty());
        }
        // The story's turning points use the settings they talk about.
        let explosion = &lessons[1].settings;
        assert!(explosion.weight_scale > 1.0 && explosion.activation == "tanh");
        assert!(lessons[4].settings.clip_mode.contains("norm"));
        assert!(lessons[5].compare.is_some(), "value vs norm side by side");
        // The Transformer's: Pre-LN beside Post-LN, warmup beside none, clipped beside not.
        let pairs = |l: &Lesson| l.compare.as_ref().map(|v| v.pairs()).unwrap_or_default();
        assert_eq!(pairs(&lessons[28]), [("norm", "post".to_string())]);
        assert_eq!(lessons[29].settings.norm, "post");
        assert_eq!(pairs(&lessons[29]), [("schedule", "constant".to_string())]);
        assert_eq!(pairs(&lessons[30]), [("clip-mode", "none".to_string())]);
        assert_eq!(lessons[2].view.as_deref(), Some("delta"), "theory line");
    }

    #[test]
    fn broken_files_name_the_lesson_and_the_problem() {
        let good = r#"{"title":"T","text":"A. B.","question":{"prompt":"?","choices":["a","b"],"answer":1,"why":"w"},"look-for":{"target":"loss-chart","note":"n"}"#;
        assert!(parse(&format!(r#"{{"lessons":[{good}}}]}}"#)).is_ok());
        for (file, says) in [
            ("not json".to_string(), "not valid"),
            (r#"{"lessons":[]}"#.to_string(), "no lessons"),
            (
                format!(r#"{{"lessons":[{good},"settings":{{"depth":0}}}}]}}"#),
                "lesson 1 (\"T\"): Depth",
            ),
            (
                format!(r#"{{"lessons":[{good},"compare":{{"weight-scale":-1}}}}]}}"#),
                "run B",
            ),
            (
                good.replace("\"answer\":1", "\"answer\":2")
                    .replace("{\"title", "{\"lessons\":[{\"title")
                    + "}]}",
                "answer",
            ),
            (
                format!(
                    r#"{{"lessons":[{}}}]}}"#,
                    good.replace("loss-chart", "nowhere")
                ),
                "nowhere",
            ),
            (
                format!(r#"{{"lessons":[{good},"colour":"red"}}]}}"#),
                "colour",
            ),
            // A misspelt setting is refused by name, not silently left at its default.
            (
                format!(r#"{{"lessons":[{good}}},{good},"settings":{{"wieght-scale":3}}}}]}}"#),
                "lesson 2: unknown field `wieght-scale`",
            ),
            (
                format!(r#"{{"lessons":[{good},"compare":{{"b-lr":3}}}}]}}"#),
                "lesson 1: unknown field `b-lr`",
            ),
        ] {
            let err = parse(&file).unwrap_err().to_string();
            assert!(err.contains(says), "{file}: {err}");
        }
    }
}
