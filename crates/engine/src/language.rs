//! The character language model's text, its alphabet, and samples written by an RNN.
//!
//! The text is George Washington's annual messages to Congress of 1790–1793 (public domain;
//! 46 581 characters), folded to [`ALPHABET`]'s 29 symbols by `corpus/make_corpus.py`, which
//! says where the text comes from. It is compiled in: the engine does no I/O.
//!
//! Shapes: a symbol is its index in [`ALPHABET`]; the model's input at a step is that index
//! one-hot, `[1, 29]`, and its output 29 logits for the next symbol (softmax cross-entropy).
//!
//! A reader's own text ([`TextSource::Own`]) is folded to the same alphabet by [`fold`] —
//! the rule `corpus/make_corpus.py` applied to the shipped text — into a [`Corpus`]; the model's
//! shape does not change. The engine never reads it from anywhere: the page hands it to the
//! worker, which builds the trainer with it.

use super::activation::Activation;
use super::cell::Cell;
use super::group::ParamGroup;
use super::scalar::{product, Scalar};
use ndarray::Array2;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, OnceLock};

/// The symbols, in index order.
pub const ALPHABET: &str = " ,.abcdefghijklmnopqrstuvwxyz";
/// Number of symbols: the model's input and output width.
pub const VOCAB: usize = 29;
/// The text, as shipped.
pub const TEXT: &str = include_str!("corpus/washington-1790-1793.txt");
/// Temperature of live samples: below 1 sharpens the model's distribution a little, so a model
/// that has learnt words shows them (at 1, rare slips break most words early in training).
pub const SAMPLE_TEMPERATURE: f64 = 0.7;

/// The index of `c` in [`ALPHABET`], if it is one of the symbols.
pub fn symbol_of(c: char) -> Option<usize> {
    ALPHABET.chars().position(|a| a == c)
}

/// The character of symbol `index`.
pub fn char_of(index: usize) -> char {
    ALPHABET.as_bytes()[index % VOCAB] as char
}

/// The text as symbol indices (built once; the trailing newline is not part of it).
pub fn symbols() -> &'static [u8] {
    Corpus::shipped_ref().symbols()
}

/// The entropy of the text's symbol frequencies, in nats: the cross-entropy of the best model
/// that remembers nothing (it predicts every symbol with its frequency in the text).
pub fn unigram_entropy() -> f64 {
    Corpus::shipped_ref().unigram_entropy()
}

/// The share of a sample's words that are words of the text — a plain measure of "has it
/// learnt words": letter soup scores near 0, a model that spells scores well over ½. The last
/// word is left out (the sample may end inside it); 0 when no whole word is left.
pub fn known_word_share(sample: &str) -> f64 {
    Corpus::shipped_ref().known_word_share(sample)
}

/// Which text the language model trains on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextSource {
    /// The shipped text ([`TEXT`]).
    #[default]
    Shipped,
    /// The reader's own text, kept in their browser: a link says `text=own` and never carries
    /// it, so a reader without one trains on the shipped text (and is told).
    Own,
}

impl TextSource {
    /// Every source, in the order controls list them.
    pub const ALL: [TextSource; 2] = [Self::Shipped, Self::Own];
    /// The names accepted by [`TextSource::from_name`].
    pub const NAMES: &'static [&'static str] = &["shipped", "own"];

    /// The name used in links, flags and JSON.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Parses a name of [`TextSource::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// The largest own text taken, in bytes of UTF-8.
pub const MAX_TEXT_BYTES: usize = 1 << 20;
/// The fewest symbols an own text must fold to: a window of the longest sequence (500 steps and
/// its next symbol) must fit twice over.
pub const MIN_TEXT_SYMBOLS: usize = 1000;

/// Why a text was refused (the run and any text in use are untouched).
#[derive(Clone, Debug, PartialEq)]
pub enum TextError {
    /// Nothing but whitespace.
    Empty,
    /// More than [`MAX_TEXT_BYTES`].
    TooLarge {
        /// Its size in bytes.
        bytes: usize,
    },
    /// Control characters or undecodable bytes: a binary file read as text.
    Binary {
        /// How many characters were such.
        strange: usize,
    },
    /// Fewer than [`MIN_TEXT_SYMBOLS`] symbols once folded.
    TooShort {
        /// The symbols it folded to.
        symbols: usize,
    },
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => write!(f, "the text is empty"),
            Self::TooLarge { bytes } => write!(
                f,
                "the text is {:.1} MB; at most {} MB is taken",
                *bytes as f64 / (1 << 20) as f64,
                MAX_TEXT_BYTES >> 20
            ),
            Self::Binary { strange } => write!(
                f,
                "this looks like a binary file, not text ({strange} control or undecodable \
                 characters)"
            ),
            Self::TooShort { symbols } => write!(
                f,
                "the text folds to {symbols} characters of the model's alphabet; it needs at \
                 least {MIN_TEXT_SYMBOLS}"
            ),
        }
    }
}

impl std::error::Error for TextError {}

/// What folding did to a text, for the reader.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FoldReport {
    /// Characters read.
    pub read: usize,
    /// Symbols kept (the folded text's length).
    pub kept: usize,
    /// Characters changed into a symbol: capitals lowered, `;` `:` to commas, `?` `!` to full
    /// stops, dashes and line breaks to spaces.
    pub changed: usize,
    /// Characters dropped (outside the alphabet and not folded into it; runs of spaces merged
    /// count here too).
    pub dropped: usize,
    /// The most often dropped characters other than whitespace, most frequent first (at most
    /// 8), with their counts.
    pub most_dropped: Vec<(char, usize)>,
    /// The folded text's unigram entropy in nats: the baseline a model must beat.
    pub unigram_entropy: f64,
}

/// Folds `text` to [`ALPHABET`] as the shipped text was folded (`corpus/make_corpus.py`): lower
/// case; `;` and `:` become commas, `?` and `!` full stops; dashes and whitespace runs one space;
/// anything else is dropped; no space before a comma or full stop; trimmed.
pub fn fold(text: &str) -> (String, FoldReport) {
    let mut report = FoldReport::default();
    let mut dropped: BTreeMap<char, usize> = BTreeMap::new();
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        report.read += 1;
        let lower = c.to_lowercase().next().unwrap_or(c);
        let symbol = match lower {
            ';' | ':' => Some(','),
            '?' | '!' => Some('.'),
            '-' => Some(' '),
            c if c.is_whitespace() => Some(' '),
            c if symbol_of(c).is_some() => Some(c),
            _ => None,
        };
        match symbol {
            None => {
                *dropped.entry(c).or_default() += 1;
                report.dropped += 1;
            }
            Some(' ') => {
                if c != ' ' {
                    report.changed += 1;
                }
                if pending_space || out.is_empty() {
                    report.dropped += 1;
                }
                pending_space = true;
            }
            Some(s) => {
                if s != c {
                    report.changed += 1;
                }
                // A space waits for the next symbol: none before `,` `.` or at the end.
                if pending_space && !out.is_empty() && s != ',' && s != '.' {
                    out.push(' ');
                } else if pending_space && !out.is_empty() {
                    report.dropped += 1;
                }
                pending_space = false;
                out.push(s);
            }
        }
    }
    if pending_space && !out.is_empty() {
        report.dropped += 1;
    }
    let mut most: Vec<(char, usize)> = dropped.into_iter().collect();
    most.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    most.truncate(8);
    report.most_dropped = most;
    report.kept = out.len();
    (out, report)
}

/// A text as the language model reads it: its symbols, their entropy and its words. Cheap to
/// clone (shared).
#[derive(Clone, Debug)]
pub struct Corpus {
    symbols: Arc<[u8]>,
    words: Arc<HashSet<String>>,
    unigram_entropy: f64,
}

impl PartialEq for Corpus {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.symbols, &other.symbols) || self.symbols == other.symbols
    }
}

impl Corpus {
    /// The shipped text.
    pub fn shipped() -> Corpus {
        Self::shipped_ref().clone()
    }

    fn shipped_ref() -> &'static Corpus {
        static SHIPPED: OnceLock<Corpus> = OnceLock::new();
        SHIPPED.get_or_init(|| Corpus::of_folded(TEXT.trim_end()))
    }

    /// A reader's text, folded ([`fold`]) and checked: at most [`MAX_TEXT_BYTES`], no binary
    /// content, at least [`MIN_TEXT_SYMBOLS`] symbols once folded.
    pub fn from_text(text: &str) -> Result<(Corpus, FoldReport), TextError> {
        if text.len() > MAX_TEXT_BYTES {
            return Err(TextError::TooLarge { bytes: text.len() });
        }
        if text.trim().is_empty() {
            return Err(TextError::Empty);
        }
        // U+FFFD is what a browser decodes broken UTF-8 to; controls other than tab and line
        // breaks do not occur in text. A few (a stray form feed) are tolerated.
        let strange = text
            .chars()
            .filter(|&c| c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
            .count();
        if strange > 0 && strange * 200 > text.chars().count() {
            return Err(TextError::Binary { strange });
        }
        let (folded, mut report) = fold(text);
        if folded.len() < MIN_TEXT_SYMBOLS {
            return Err(TextError::TooShort {
                symbols: folded.len(),
            });
        }
        let corpus = Corpus::of_folded(&folded);
        report.unigram_entropy = corpus.unigram_entropy;
        Ok((corpus, report))
    }

    /// A text already in the alphabet (every character is a symbol).
    fn of_folded(text: &str) -> Corpus {
        let symbols: Arc<[u8]> = text
            .chars()
            .map(|c| symbol_of(c).unwrap_or(0) as u8)
            .collect();
        let mut counts = [0usize; VOCAB];
        symbols.iter().for_each(|&s| counts[s as usize] += 1);
        let n = symbols.len() as f64;
        let unigram_entropy = counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| {
                let p = c as f64 / n;
                -p * p.ln()
            })
            .sum();
        Corpus {
            symbols,
            words: Arc::new(words(text).map(str::to_string).collect()),
            unigram_entropy,
        }
    }

    /// Its symbols, in order.
    pub fn symbols(&self) -> &[u8] {
        &self.symbols
    }

    /// The entropy of its symbol frequencies, in nats.
    pub fn unigram_entropy(&self) -> f64 {
        self.unigram_entropy
    }

    /// The share of a sample's whole words that are words of this text (see
    /// [`known_word_share`]).
    pub fn known_word_share(&self, sample: &str) -> f64 {
        let mut sampled: Vec<&str> = words(sample).collect();
        if !sample.ends_with([' ', ',', '.']) {
            sampled.pop();
        }
        if sampled.is_empty() {
            return 0.0;
        }
        let hits = sampled.iter().filter(|w| self.words.contains(**w)).count();
        hits as f64 / sampled.len() as f64
    }
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_lowercase())
        .filter(|w| !w.is_empty())
}

/// `length` characters written by the RNN with `cell` whose groups are
/// `W_x, W_h, b, W_out, b_out`, starting from `h_0 = 0` (and `c_0 = 0`) and a space: at each step the next symbol is drawn from
/// `softmax(logits / temperature)` and fed back as the next input. `None` once a logit is not a
/// finite number (a model that has diverged writes nothing).
pub fn sample<S: Scalar, R: Rng + ?Sized>(
    groups: &[ParamGroup<S>],
    cell: Cell,
    activation: Activation,
    length: usize,
    temperature: f64,
    rng: &mut R,
) -> Option<String> {
    let [w_x, w_h, b, w_out, b_out] = groups else {
        return None;
    };
    let (w_x, w_h, w_out) = (&w_x.w, &w_h.w, &w_out.w);
    if w_x.nrows() != VOCAB || w_out.ncols() != VOCAB {
        return None;
    }
    // The LSTM's cell state is one row like h; other cells carry none.
    let rows = usize::from(cell.has_cell_state());
    let mut hidden = Array2::<S>::zeros((1, w_h.nrows()));
    let mut state = Array2::<S>::zeros((rows, w_h.nrows()));
    let mut symbol = 0;
    let mut text = String::with_capacity(length);
    for _ in 0..length {
        // x_t·W_x for a one-hot x_t is row `symbol` of W_x.
        let input = (&w_x.row(symbol) + &b.b).insert_axis(ndarray::Axis(0));
        let step = cell.step(activation, w_h, input, hidden.view(), state.view());
        (hidden, state) = (step.h, step.c);
        let logits = product(&hidden, w_out) + &b_out.b;
        symbol = draw(logits.iter().map(|v| v.wide()), temperature, rng)?;
        text.push(char_of(symbol));
    }
    Some(text)
}

/// A symbol drawn from `softmax(logits / temperature)` over the [`VOCAB`] symbols; `None` if a
/// logit is not a finite number (a model that has diverged writes nothing).
pub fn draw<R: Rng + ?Sized>(
    logits: impl IntoIterator<Item = f64>,
    temperature: f64,
    rng: &mut R,
) -> Option<usize> {
    let logits: Vec<f64> = logits.into_iter().map(|v| v / temperature).collect();
    if !logits.iter().all(|v| v.is_finite()) {
        return None;
    }
    let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logits.iter().map(|v| (v - top).exp()).collect();
    let mut u = rng.random_range(0.0..1.0) * weights.iter().sum::<f64>();
    Some(
        weights
            .iter()
            .position(|&w| {
                u -= w;
                u < 0.0
            })
            .unwrap_or(logits.len().saturating_sub(1)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};
    use ndarray::Array1;

    #[test]
    fn the_text_uses_only_the_alphabet() {
        assert_eq!(ALPHABET.chars().count(), VOCAB);
        let text = TEXT.trim_end();
        assert!(text.len() > 40_000, "tens of KB: {}", text.len());
        let strays: Vec<char> = text.chars().filter(|&c| symbol_of(c).is_none()).collect();
        assert!(strays.is_empty(), "{strays:?}");
        assert!(text.starts_with("fellow citizens of the senate"));
    }

    /// The unigram entropy, computed independently with Python over the shipped file:
    /// `-sum(p*log(p))` of `collections.Counter(text)` → 2.8747081868 nats (4.147 bits).
    #[test]
    fn unigram_entropy_matches_python() {
        assert!((unigram_entropy() - 2.874_708_186_828).abs() < 1e-9);
    }

    /// Worked examples, each as `corpus/make_corpus.py`'s `fold` (the rule the shipped text was
    /// made with) returns it: `python3 -c "from make_corpus import fold; print(repr(fold(t)))"`.
    #[test]
    fn fold_is_make_corpus_rule() {
        for (text, python) in [
            (
                "Hello, World!  It's 1790 -- so: fine?",
                "hello, world. its so, fine.",
            ),
            (
                "  Ünïcode — “quotes” and tabs\tend ; ",
                "ncode quotes and tabs end,",
            ),
            ("A - B", "a b"),
        ] {
            assert_eq!(fold(text).0, python, "{text:?}");
        }
        // The shipped text is folded already: folding changes nothing.
        let shipped = TEXT.trim_end();
        let (again, report) = fold(shipped);
        assert_eq!(again, shipped);
        assert_eq!((report.changed, report.dropped), (0, 0));
    }

    /// "Ab 1.": `A` lowered (changed); `1` dropped and the space before the full stop with it.
    #[test]
    fn fold_reports_what_it_did() {
        let (folded, report) = fold("Ab 1.");
        assert_eq!(folded, "ab.");
        assert_eq!(
            (report.read, report.kept, report.changed, report.dropped),
            (5, 3, 1, 2)
        );
        assert_eq!(report.most_dropped, vec![('1', 1)]);
    }

    #[test]
    fn own_texts_are_checked() {
        assert_eq!(Corpus::from_text("").unwrap_err(), TextError::Empty);
        assert_eq!(Corpus::from_text(" \n\t ").unwrap_err(), TextError::Empty);
        let huge = "a".repeat(MAX_TEXT_BYTES + 1);
        assert_eq!(
            Corpus::from_text(&huge).unwrap_err(),
            TextError::TooLarge {
                bytes: MAX_TEXT_BYTES + 1
            }
        );
        // A binary file as a browser decodes it: NULs and replacement characters.
        let binary = "PK\u{3}\u{4}\u{0}\u{0}\u{FFFD}\u{FFFD}word ".repeat(200);
        assert!(matches!(
            Corpus::from_text(&binary),
            Err(TextError::Binary { .. })
        ));
        assert_eq!(
            Corpus::from_text(&"ab ".repeat(333)).unwrap_err(),
            TextError::TooShort { symbols: 998 }
        );
        // One stray form feed in a long text is tolerated.
        let (corpus, report) = Corpus::from_text(&format!("{}\u{c}", "ab ".repeat(400))).unwrap();
        assert_eq!(corpus.symbols().len(), 1199);
        // "ab ab … ab": a, b, space at 400, 400, 399 of 1199.
        let expected: f64 = [400.0, 400.0, 399.0]
            .iter()
            .map(|c: &f64| -(c / 1199.0) * (c / 1199.0).ln())
            .sum();
        assert!((report.unigram_entropy - expected).abs() < 1e-12);
        assert_eq!(corpus.known_word_share("ab ab zz "), 2.0 / 3.0);
    }

    #[test]
    fn word_share_counts_whole_words_of_the_text() {
        assert_eq!(known_word_share("the united states, of congre"), 1.0);
        assert_eq!(known_word_share("the xqzt of "), 2.0 / 3.0);
        assert_eq!(known_word_share("hhh"), 0.0);
        assert_eq!(known_word_share(""), 0.0);
    }

    /// With W_out = 0 and b_out = logits of a known distribution, every draw comes from it:
    /// softmax([ln 3, 0, …, 0 (−∞ elsewhere)]) puts 3/4 on symbol 0 (space), 1/4 on symbol 1.
    #[test]
    fn samples_follow_the_softmax() {
        let h = 4;
        let mut b_out = Array1::from_elem(VOCAB, -1e9);
        b_out[0] = 3f64.ln();
        b_out[1] = 0.0;
        let groups = vec![
            ParamGroup {
                w: Array2::<f64>::zeros((VOCAB, h)),
                b: Array1::zeros(0),
            },
            ParamGroup {
                w: Array2::zeros((h, h)),
                b: Array1::zeros(0),
            },
            ParamGroup {
                w: Array2::zeros((0, h)),
                b: Array1::zeros(h),
            },
            ParamGroup {
                w: Array2::zeros((h, VOCAB)),
                b: Array1::zeros(0),
            },
            ParamGroup {
                w: Array2::zeros((0, VOCAB)),
                b: b_out,
            },
        ];
        let mut rng = stream_rng(5, Stream::Samples);
        let text = sample(
            &groups,
            Cell::Vanilla,
            Activation::Tanh,
            8000,
            1.0,
            &mut rng,
        )
        .unwrap();
        let spaces = text.chars().filter(|&c| c == ' ').count() as f64 / 8000.0;
        // Standard error √(3/16/8000) ≈ 0.005.
        assert!((spaces - 0.75).abs() < 0.02, "{spaces}");
        assert!(text.chars().all(|c| c == ' ' || c == ','));

        let mut broken = groups.clone();
        broken[4].b[0] = f64::NAN;
        assert_eq!(
            sample(&broken, Cell::Vanilla, Activation::Tanh, 5, 1.0, &mut rng),
            None
        );
    }
}
