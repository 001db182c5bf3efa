//! Numbers as people (and tests) read them.

/// A plain number JavaScript's `parseFloat` reads back: `1.234e3`, `NaN`, `Infinity`.
pub fn plain(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{v:.3e}")
    }
}

/// Short and readable: `0.0123`, `45.6`, `1.2e-5`, `3.4e12`, `NaN`, `∞`.
pub fn compact(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "∞" } else { "−∞" }.into()
    } else if v == 0.0 {
        "0".into()
    } else if (1e-3..1e4).contains(&v.abs()) {
        let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
        format!("{v:.digits$}")
    } else {
        format!("{v:.2e}")
    }
}

/// Whole numbers with thousands separators: `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn plain_numbers_parse_back() {
        assert_eq!(plain(1234.5), "1.234e3");
        assert_eq!(plain(f64::NAN), "NaN");
        assert_eq!(plain(f64::NEG_INFINITY), "-Infinity");
        let parsed: f64 = plain(0.000123456).parse().unwrap();
        assert!((parsed / 0.000123456 - 1.0).abs() < 1e-3);
    }

    #[wasm_bindgen_test]
    fn compact_numbers() {
        assert_eq!(compact(0.012345), "0.01235");
        assert_eq!(compact(45.678), "45.68");
        assert_eq!(compact(1.2e-5), "1.20e-5");
        assert_eq!(compact(f64::INFINITY), "∞");
        assert_eq!(compact(0.0), "0");
    }

    #[wasm_bindgen_test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
