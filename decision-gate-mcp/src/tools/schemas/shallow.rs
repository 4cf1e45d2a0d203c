//! One-level output schemas for `tools/list`: each key of a success object with its JSON type
//! (and enumeration or description), nested definitions left out.

use serde_json::{Map, Value, json};

use super::{DEFS_PREFIX, Direction, definition};

/// The definition a `$ref` names, or the schema itself.
fn resolve(schema: &Value) -> Value {
    match schema.get("$ref").and_then(Value::as_str).and_then(|target| target.strip_prefix(DEFS_PREFIX)) {
        Some(name) => definition(name, Direction::Output).unwrap_or_else(|| json!({})),
        None => schema.clone(),
    }
}

/// An object schema reduced to its keys' types.
pub(super) fn object(root: &Value) -> Value {
    let root = resolve(root);
    let mut out = Map::new();
    out.insert("type".to_owned(), json!("object"));
    if let Some(properties) = root.get("properties").and_then(Value::as_object) {
        let shallow: Map<String, Value> =
            properties.iter().map(|(name, schema)| (name.clone(), property(schema))).collect();
        out.insert("properties".to_owned(), Value::Object(shallow));
    }
    if let Some(required) = root.get("required") {
        out.insert("required".to_owned(), required.clone());
    }
    Value::Object(out)
}

/// A property reduced to `type` (plus `enum` and `const`, and the description the output
/// schema gives the property itself).
fn property(schema: &Value) -> Value {
    let resolved = resolve(schema);
    let mut out = Map::new();
    let kind = resolved.get("type").cloned().or_else(|| {
        let variants = resolved.get("oneOf").or_else(|| resolved.get("anyOf"))?.as_array()?.clone();
        let kinds: Vec<Value> = variants.iter().filter_map(|variant| resolve(variant).get("type").cloned()).collect();
        match kinds.as_slice() {
            [] => None,
            [first, rest @ ..] if rest.iter().all(|kind| kind == first) => Some(first.clone()),
            _ => Some(Value::Array(kinds)),
        }
    });
    if let Some(kind) = kind {
        out.insert("type".to_owned(), kind);
    }
    for key in ["enum", "const"] {
        if let Some(value) = resolved.get(key) {
            out.insert(key.to_owned(), value.clone());
        }
    }
    if let Some(description) = schema.get("description") {
        out.insert("description".to_owned(), description.clone());
    }
    Value::Object(out)
}
