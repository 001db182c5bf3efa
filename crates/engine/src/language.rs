//! The character language model's text, its alphabet, and samples written by an RNN.
//!
//! The text is George Washington's annual messages to Congress of 1790–1793 (public domain;
//! 46 581 characters), folded to [`ALPHABET`]'s 29 symbols by `corpus/make_corpus.py`, which
//! says where the text comes from. It is compiled in: the engine does no I/O.
//!
//! Shapes: a symbol is its index in [`ALPHABET`]; the model's input at a step is that index
//! one-hot, `[1, 29]`, and its output 29 logits for the next symbol (softmax cross-entropy).

use super::activation::Activation;
use super::cell::Cell;
use super::group::ParamGroup;
use super::scalar::{product, Scalar};
use ndarray::Array2;
use rand::{Rng, RngExt};
use std::collections::HashSet;
use std::sync::OnceLock;

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
    static SYMBOLS: OnceLock<Vec<u8>> = OnceLock::new();
    SYMBOLS.get_or_init(|| {
        TEXT.trim_end()
            .chars()
            .map(|c| symbol_of(c).unwrap_or(0) as u8)
            .collect()
    })
}

/// The entropy of the text's symbol frequencies, in nats: the cross-entropy of the best model
/// that remembers nothing (it predicts every symbol with its frequency in the text).
pub fn unigram_entropy() -> f64 {
    let mut counts = [0usize; VOCAB];
    symbols().iter().for_each(|&s| counts[s as usize] += 1);
    let n = symbols().len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.ln()
        })
        .sum()
}

/// The share of a sample's words that are words of the text — a plain measure of "has it
/// learnt words": letter soup scores near 0, a model that spells scores well over ½. The last
/// word is left out (the sample may end inside it); 0 when no whole word is left.
pub fn known_word_share(sample: &str) -> f64 {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let known = WORDS.get_or_init(|| words(TEXT).collect());
    let mut sampled: Vec<&str> = words(sample).collect();
    if !sample.ends_with([' ', ',', '.']) {
        sampled.pop();
    }
    if sampled.is_empty() {
        return 0.0;
    }
    let hits = sampled.iter().filter(|w| known.contains(*w)).count();
    hits as f64 / sampled.len() as f64
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
        let logits: Vec<f64> = logits.iter().map(|v| v.wide() / temperature).collect();
        if !logits.iter().all(|v| v.is_finite()) {
            return None;
        }
        let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = logits.iter().map(|v| (v - top).exp()).collect();
        let mut u = rng.random_range(0.0..1.0) * weights.iter().sum::<f64>();
        symbol = weights
            .iter()
            .position(|&w| {
                u -= w;
                u < 0.0
            })
            .unwrap_or(VOCAB - 1);
        text.push(char_of(symbol));
    }
    Some(text)
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
