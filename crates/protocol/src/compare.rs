//! Compare mode's second run: what run B changes relative to run A.
//!
//! Owns [`Variant`]. B always shares A's network and data — model, depth, width, activation,
//! data set or task, sequence length, batch and seed — so the two start from comparable draws
//! and see the same examples; it may differ in the settings a comparison is about
//! ([`VARIANT_FIELDS`]): clipping (mode and threshold), the learning rate, L2, the MLP's weight
//! scale σ and weight draw, the MLP's residual connections and LayerNorm (B's weights are drawn as A's), the
//! RNN's recurrent init, scale and cell, the optimizer and AdamW's weight decay (its other
//! hyperparameters follow A), the learning-rate schedule and its warmup (its decay follows A), the compute precision and the loss scaling (with its static scale), and the Transformer's
//! LayerNorm placement (Pre-LN against Post-LN). A setting not named follows A. Keys are the
//! settings table's, so a lesson file can say `"compare": { "clip-mode": "value" }`.

use gradlab_engine::settings::{Kind, Value};
use gradlab_engine::{Field, TrainParams};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The settings run B may change, in the order links list them.
pub const VARIANT_FIELDS: [Field; 19] = [
    Field::ClipMode,
    Field::ClipThreshold,
    Field::WeightScale,
    Field::LearningRate,
    Field::L2,
    Field::RecurrentInit,
    Field::RecurrentScale,
    Field::Optimizer,
    Field::WeightDecay,
    Field::Residual,
    Field::LayerNorm,
    Field::Init,
    Field::Cell,
    Field::Schedule,
    Field::WarmupSteps,
    Field::Precision,
    Field::LossScale,
    Field::StaticScale,
    Field::Norm,
];

/// Their link keys.
pub const VARIANT_KEYS: [&str; 19] = [
    "clip-mode",
    "clip",
    "weight-scale",
    "lr",
    "l2",
    "recurrent-init",
    "recurrent-scale",
    "optimizer",
    "weight-decay",
    "residual",
    "layer-norm",
    "init",
    "cell",
    "schedule",
    "warmup-steps",
    "precision",
    "loss-scale",
    "static-scale",
    "norm",
];

/// Run B = run A with these settings replaced (each of [`VARIANT_FIELDS`] at most once, in
/// that order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Variant {
    changes: Vec<(Field, Value)>,
}

impl Variant {
    /// A variant that sets each `(field, value)`; fields B may not change are left out.
    pub fn of(changes: impl IntoIterator<Item = (Field, Value)>) -> Self {
        let mut variant = Self::default();
        for (field, value) in changes {
            variant.put(field, value);
        }
        variant
    }

    /// Sets `field` to `value` for B, keeping the changes in [`VARIANT_FIELDS`] order; false
    /// for a field B may not change.
    fn put(&mut self, field: Field, value: Value) -> bool {
        let Some(rank) = VARIANT_FIELDS.iter().position(|f| *f == field) else {
            return false;
        };
        self.changes.retain(|(f, _)| *f != field);
        let at = self
            .changes
            .iter()
            .position(|(f, _)| VARIANT_FIELDS.iter().position(|g| g == f) > Some(rank))
            .unwrap_or(self.changes.len());
        self.changes.insert(at, (field, value));
        true
    }

    /// What B sets `field` to, if it changes it.
    pub fn get(&self, field: Field) -> Option<&Value> {
        self.changes
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v)
    }

    /// Run B's settings, given run A's.
    pub fn apply(&self, a: &TrainParams) -> TrainParams {
        let mut b = a.clone();
        for (field, value) in &self.changes {
            b.set(*field, value.clone());
        }
        b
    }

    /// The variant that turns `a` into `b`, in the settings B may change (the rest of `b` is
    /// ignored); fields where the two agree follow A.
    pub fn between(a: &TrainParams, b: &TrainParams) -> Self {
        let same = |x: &Value, y: &Value| match (x, y) {
            (Value::Number(x), Value::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
            _ => x == y,
        };
        Self::of(VARIANT_FIELDS.iter().filter_map(|&f| {
            let (x, y) = (a.value(f), b.value(f));
            (!same(&x, &y)).then_some((f, y))
        }))
    }

    /// `(key, value)` of each setting B changes, in [`VARIANT_FIELDS`] order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        self.changes
            .iter()
            .map(|(f, v)| (f.key(), v.text()))
            .collect()
    }

    /// Sets the setting with link key `key` from `source`'s value; false for a key B cannot
    /// change.
    pub fn take(&mut self, key: &str, source: &TrainParams) -> bool {
        Field::from_key(key).is_some_and(|f| self.put(f, source.value(f)))
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

/// As a map of link keys to numbers or names (a lesson file's `compare`).
impl Serialize for Variant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.changes.len()))?;
        for (field, value) in &self.changes {
            match value {
                Value::Number(v) => map.serialize_entry(field.key(), v)?,
                Value::Name(v) => map.serialize_entry(field.key(), v)?,
                Value::Seed(v) => map.serialize_entry(field.key(), v)?,
            }
        }
        map.end()
    }
}

/// Reads a map of link keys; a key B may not change is an error that names it.
impl<'de> Deserialize<'de> for Variant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = Variant;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a map of settings run B changes ({})",
                    VARIANT_KEYS.join(", ")
                )
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Variant, M::Error> {
                let mut variant = Variant::default();
                while let Some(key) = map.next_key::<String>()? {
                    let field = Field::from_key(&key)
                        .filter(|f| VARIANT_FIELDS.contains(f))
                        .ok_or_else(|| de::Error::unknown_field(&key, &VARIANT_KEYS))?;
                    let value = match field.setting().kind {
                        Kind::Number { .. } => Value::Number(map.next_value()?),
                        Kind::Choice { .. } => Value::Name(map.next_value()?),
                        Kind::Seed { .. } => Value::Seed(map.next_value()?),
                    };
                    variant.put(field, value);
                }
                Ok(variant)
            }
        }
        deserializer.deserialize_map(Keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_fields_and_keys_agree() {
        let keys: Vec<&str> = VARIANT_FIELDS.iter().map(|f| f.key()).collect();
        assert_eq!(keys, VARIANT_KEYS);
    }

    #[test]
    fn between_and_apply_are_inverse_on_the_variant_fields() {
        let a = TrainParams::default();
        let b = TrainParams {
            weight_scale: 2.5,
            clip_mode: "value".into(),
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
        let v: Variant = serde_json::from_str(
            r#"{"recurrent-init":"identity","clip-mode":"global-norm","clip":1}"#,
        )
        .unwrap();
        assert_eq!(
            v.get(Field::ClipMode),
            Some(&Value::Name("global-norm".into()))
        );
        assert_eq!(v.get(Field::ClipThreshold), Some(&Value::Number(1.0)));
        // Kept in table order, whatever order the file used.
        assert_eq!(v.pairs()[0].0, "clip-mode");
        assert_eq!(v.pairs()[2], ("recurrent-init", "identity".to_string()));
        let e = serde_json::from_str::<Variant>(r#"{"depth":3}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `depth`"), "{e}");
        assert!(serde_json::from_str::<Variant>(r#"{"clip":"high"}"#).is_err());
        // Serialises back to the same map.
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(serde_json::from_str::<Variant>(&text).unwrap(), v);
    }
}
