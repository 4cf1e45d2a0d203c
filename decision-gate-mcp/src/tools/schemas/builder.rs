//! Small helpers that build JSON Schema fragments.

use serde_json::{Map, Value, json};

/// Which side of a tool call a schema describes.
///
/// Serde reads an absent option as `None` whatever its serialised form, so input schemas make
/// such fields optional (and nullable); output schemas describe exactly what is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Tool arguments: what the server accepts.
    Input,
    /// Tool results: what the server writes.
    Output,
}

/// How a field behaves under serde.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Presence {
    /// Always present, never null.
    Req,
    /// `Option` written as `null` when absent (`#[serde(default)]`): optional and nullable in
    /// inputs, required and nullable in outputs.
    Null,
    /// `Option` whose key is always present (published as required) and may be `null`.
    NullReq,
    /// `Option` omitted when absent (`skip_serializing_if`): optional in both directions;
    /// nullable in inputs only.
    Omit,
    /// Non-option with a serde default: optional in inputs, required in outputs.
    Dflt,
    /// Optional and never null in both directions (tool-level optional keys).
    Opt,
}

/// An object schema under construction.
pub(super) struct Obj {
    direction: Direction,
    properties: Map<String, Value>,
    required: Vec<Value>,
    description: Option<&'static str>,
}

impl Obj {
    /// An empty object schema for the given direction.
    pub(super) fn new(direction: Direction) -> Self {
        Obj { direction, properties: Map::new(), required: Vec::new(), description: None }
    }

    /// Sets the object's description.
    pub(super) fn doc(mut self, text: &'static str) -> Self {
        self.description = Some(text);
        self
    }

    /// Adds a field with the given serde behaviour.
    pub(super) fn field(mut self, name: &str, presence: Presence, schema: Value) -> Self {
        let input = self.direction == Direction::Input;
        let (required, nullable) = match presence {
            Presence::Req => (true, false),
            Presence::Null => (!input, true),
            Presence::NullReq => (true, true),
            Presence::Omit => (false, input),
            Presence::Dflt => (!input, false),
            Presence::Opt => (false, false),
        };
        if required {
            self.required.push(Value::String(name.to_owned()));
        }
        let schema = if nullable { nullable_of(schema) } else { schema };
        self.properties.insert(name.to_owned(), schema);
        self
    }

    /// A required, non-null field.
    pub(super) fn req(self, name: &str, schema: Value) -> Self {
        self.field(name, Presence::Req, schema)
    }

    /// A required field with a description.
    pub(super) fn req_doc(self, name: &str, text: &'static str, schema: Value) -> Self {
        self.field(name, Presence::Req, with_doc(schema, text))
    }

    /// The closed object schema (`additionalProperties: false`).
    pub(super) fn build(self) -> Value {
        let mut map = self.base();
        map.insert("additionalProperties".to_owned(), Value::Bool(false));
        Value::Object(map)
    }

    /// The open object schema (unlisted keys allowed).
    pub(super) fn build_open(self) -> Value {
        Value::Object(self.base())
    }

    fn base(self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("type".to_owned(), Value::String("object".to_owned()));
        if let Some(text) = self.description {
            map.insert("description".to_owned(), Value::String(text.to_owned()));
        }
        map.insert("properties".to_owned(), Value::Object(self.properties));
        map.insert("required".to_owned(), Value::Array(self.required));
        map
    }
}

/// A reference to a definition of the same document.
pub(super) fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/$defs/{name}") })
}

/// Any string.
pub(super) fn string() -> Value {
    json!({"type": "string"})
}

/// A non-empty string.
pub(super) fn non_empty_string() -> Value {
    json!({"type": "string", "minLength": 1})
}

/// A boolean.
pub(super) fn boolean() -> Value {
    json!({"type": "boolean"})
}

/// An unsigned 64-bit integer.
pub(super) fn unsigned() -> Value {
    json!({"type": "integer", "minimum": 0})
}

/// A tenant or namespace id: a non-zero unsigned 64-bit integer.
pub(super) fn nonzero_id() -> Value {
    json!({"type": "integer", "minimum": 1})
}

/// Any JSON value.
pub(super) fn any() -> Value {
    json!({})
}

/// An array of the given items.
pub(super) fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

/// An array of strings.
pub(super) fn strings() -> Value {
    array(string())
}

/// Bytes as a JSON array of integers 0..=255.
pub(super) fn bytes() -> Value {
    array(json!({"type": "integer", "minimum": 0, "maximum": 255}))
}

/// A string enumeration.
pub(super) fn string_enum(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// A constant string (the tag of an internally or adjacently tagged variant).
pub(super) fn constant(value: &str) -> Value {
    json!({"const": value})
}

/// Exactly one of the given schemas.
pub(super) fn one_of(variants: Vec<Value>) -> Value {
    json!({"oneOf": variants})
}

/// Adds a description to a schema (kept next to a `$ref`, which draft 2020-12 allows).
pub(super) fn with_doc(mut schema: Value, text: &'static str) -> Value {
    if let Value::Object(map) = &mut schema {
        map.insert("description".to_owned(), Value::String(text.to_owned()));
    }
    schema
}

/// The schema that also accepts `null`.
///
/// Plain typed schemas get `"null"` added to `type` (and to `enum`, if any); anything else is
/// wrapped as `anyOf [schema, {"type":"null"}]`. A schema that accepts anything is unchanged.
pub(super) fn nullable_of(schema: Value) -> Value {
    let Value::Object(mut map) = schema else { return schema };
    if map.is_empty() || map.keys().all(|key| key == "description") {
        return Value::Object(map);
    }
    let composite = ["$ref", "oneOf", "anyOf", "allOf", "const"].iter().any(|key| map.contains_key(*key));
    match map.get("type").cloned() {
        Some(Value::String(kind)) if !composite => {
            map.insert("type".to_owned(), json!([kind, "null"]));
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                values.push(Value::Null);
            }
            Value::Object(map)
        }
        _ => {
            let description = map.remove("description");
            let mut wrapper = Map::new();
            if let Some(description) = description {
                wrapper.insert("description".to_owned(), description);
            }
            wrapper.insert("anyOf".to_owned(), json!([Value::Object(map), {"type": "null"}]));
            Value::Object(wrapper)
        }
    }
}

/// An internally tagged variant: an object whose `tag` key is the constant `variant`.
pub(super) fn tagged(direction: Direction, tag: &str, variant: &str) -> Obj {
    Obj::new(direction).req(tag, constant(variant))
}
