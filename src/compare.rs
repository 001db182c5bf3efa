//! Compare mode's second run: what run B changes relative to run A.
//!
//! Owns [`Variant`]. B always shares A's network and data — depth, width, activation, data set,
//! bias scale, batch and seed — so the two start from the same draw and see the same examples;
//! it may differ in the settings a comparison is about: clipping (mode and threshold), weight
//! scale σ, learning rate and L2. A field left `None` follows A. The same keys as links and the
//! headless runner are used, so a lesson file can say `"compare": { "clip-mode": "value" }`.

use crate::engine::TrainParams;
use serde::{Deserialize, Serialize};

/// The settings run B may change, by their link keys.
pub const VARIANT_KEYS: [&str; 5] = ["clip-mode", "clip", "weight-scale", "lr", "l2"];

/// Run B = run A with these settings replaced.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Variant {
    /// Clip mode name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_mode: Option<String>,
    /// Clip threshold.
    #[serde(default, rename = "clip", skip_serializing_if = "Option::is_none")]
    pub clip_threshold: Option<f64>,
    /// σ of the initial weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_scale: Option<f64>,
    /// Learning rate.
    #[serde(default, rename = "lr", skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f64>,
    /// L2 strength.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l2: Option<f64>,
}

impl Variant {
    /// Run B's settings, given run A's.
    pub fn apply(&self, a: &TrainParams) -> TrainParams {
        let mut b = a.clone();
        if let Some(v) = &self.clip_mode {
            b.clip_mode = v.clone();
        }
        if let Some(v) = self.clip_threshold {
            b.clip_threshold = v;
        }
        if let Some(v) = self.weight_scale {
            b.weight_scale = v;
        }
        if let Some(v) = self.learning_rate {
            b.learning_rate = v;
        }
        if let Some(v) = self.l2 {
            b.l2 = v;
        }
        b
    }

    /// The variant that turns `a` into `b`, in the settings B may change (the rest of `b` is
    /// ignored); fields where the two agree follow A.
    pub fn between(a: &TrainParams, b: &TrainParams) -> Self {
        let differs = |x: f64, y: f64| (x != y && !(x.is_nan() && y.is_nan())).then_some(y);
        Self {
            clip_mode: (a.clip_mode != b.clip_mode).then(|| b.clip_mode.clone()),
            clip_threshold: differs(a.clip_threshold, b.clip_threshold),
            weight_scale: differs(a.weight_scale, b.weight_scale),
            learning_rate: differs(a.learning_rate, b.learning_rate),
            l2: differs(a.l2, b.l2),
        }
    }

    /// `(key, value)` of each setting B changes, in [`VARIANT_KEYS`] order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("clip-mode", self.clip_mode.clone()),
            ("clip", self.clip_threshold.map(|v| v.to_string())),
            ("weight-scale", self.weight_scale.map(|v| v.to_string())),
            ("lr", self.learning_rate.map(|v| v.to_string())),
            ("l2", self.l2.map(|v| v.to_string())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }

    /// Sets the field named `key` from `source`'s value; false for a key B cannot change.
    pub fn take(&mut self, key: &str, source: &TrainParams) -> bool {
        match key {
            "clip-mode" => self.clip_mode = Some(source.clip_mode.clone()),
            "clip" => self.clip_threshold = Some(source.clip_threshold),
            "weight-scale" => self.weight_scale = Some(source.weight_scale),
            "lr" => self.learning_rate = Some(source.learning_rate),
            "l2" => self.l2 = Some(source.l2),
            _ => return false,
        }
        true
    }

    /// A short description of what B changes, e.g. `clip-mode value, weight-scale 2.5`.
    pub fn summary(&self) -> String {
        let pairs = self.pairs();
        if pairs.is_empty() {
            "nothing — B is A".to_string()
        } else {
            pairs
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_and_apply_are_inverse_on_the_variant_fields() {
        let a = TrainParams::default();
        let b = TrainParams {
            clip_mode: "value".into(),
            weight_scale: 2.5,
            depth: 99.0, // not B's to change: ignored
            ..a.clone()
        };
        let v = Variant::between(&a, &b);
        assert_eq!(v.pairs().len(), 2);
        assert_eq!(v.summary(), "clip-mode value, weight-scale 2.5");
        let back = v.apply(&a);
        assert_eq!((back.clip_mode.as_str(), back.weight_scale), ("value", 2.5));
        assert_eq!(back.depth, a.depth);
        assert_eq!(Variant::between(&a, &a), Variant::default());
        assert_eq!(Variant::default().apply(&a), a);
    }

    #[test]
    fn lesson_style_json_reads_with_link_keys_and_refuses_others() {
        let v: Variant = serde_json::from_str(r#"{"clip-mode":"global-norm","clip":1}"#).unwrap();
        assert_eq!(v.clip_mode.as_deref(), Some("global-norm"));
        assert_eq!(v.clip_threshold, Some(1.0));
        assert!(serde_json::from_str::<Variant>(r#"{"depth":3}"#).is_err());
    }
}
