//! JSON Schemas (draft 2020-12) of every tool's arguments and success object.
//!
//! The schemas mirror the serde forms of `decision-gate-core` exactly: which absent options are
//! serialised as `null` and which are omitted, how enums are tagged and cased. Each published
//! document is self-contained: the definitions it uses live under its own `$defs` and are
//! referenced as `#/$defs/<Name>` (names are the Rust type names).
//!
//! Inputs and outputs differ only where serde does: a field written as `null` when absent is
//! optional and nullable in an input schema but always present in an output schema; a field
//! omitted when absent is optional in both and nullable only in input schemas (serde reads
//! `null` as absent).
//!
//! The Decision Gate OSS `/rpc` dialect references the scenario schema by the URI
//! [`SCENARIO_SCHEMA_URI`] instead of embedding it; [`scenario_schema`] is the document that
//! URI names.

mod builder;
mod defs_core;
mod defs_records;
mod defs_run;
mod defs_scenario;
mod inputs;
mod outputs;
mod shallow;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use super::catalogue::ToolName;
pub use builder::Direction;

/// The JSON Schema dialect of every published schema.
pub const JSON_SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The URI by which Decision Gate OSS (and the `/rpc` tool list) references the scenario schema.
pub const SCENARIO_SCHEMA_URI: &str = "decision-gate://contract/schemas/scenario.schema.json";

/// Local reference of the embedded scenario schema.
const SCENARIO_LOCAL_REF: &str = "#/$defs/ScenarioSpec";

/// Prefix of local definition references.
const DEFS_PREFIX: &str = "#/$defs/";

/// How a document refers to the scenario schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScenarioRef {
    /// Embedded under `$defs` (MCP `tools/list`).
    Embedded,
    /// Referenced by [`SCENARIO_SCHEMA_URI`] (`/rpc` `tools/list`).
    External,
}

/// The complete input schema of a tool, which every call is checked against: every object
/// `additionalProperties: false`, the scenario schema embedded under `$defs`.
pub fn validation_schema(tool: ToolName) -> Value {
    document(inputs::input_root(tool), Direction::Input, ScenarioRef::Embedded)
}

/// The input schema `tools/list` publishes: [`validation_schema`] without `$schema` (2020-12 is
/// MCP's default dialect), and for `precheck` an inline `spec` described by reference to
/// `scenario_define` instead of a second copy of the scenario schema. Compact on purpose: an
/// agent pays for the tool list on every connection.
pub fn input_schema(tool: ToolName) -> Value {
    let mut root = inputs::input_root(tool);
    if tool == ToolName::Precheck
        && let Some(spec) = root.pointer_mut("/properties/spec")
    {
        *spec = serde_json::json!({
            "type": ["object", "null"],
            "description": "An inline scenario, shaped as scenario_define's spec (instead of, or matching, scenario_id)."
        });
    }
    let mut doc = document(root, Direction::Input, ScenarioRef::Embedded);
    if let Value::Object(map) = &mut doc {
        map.remove("$schema");
    }
    doc
}

/// The input schema of a tool as the Decision Gate OSS `/rpc` endpoint lists it: identical to
/// [`validation_schema`] except that the scenario is `{"$ref": SCENARIO_SCHEMA_URI}`.
pub fn rpc_input_schema(tool: ToolName) -> Value {
    document(inputs::input_root(tool), Direction::Input, ScenarioRef::External)
}

/// The output schema `tools/list` publishes: the success object's keys with their types (one
/// level deep; nested objects are described, not spelled out). Error results are not instances.
pub fn output_schema(tool: ToolName) -> Value {
    shallow::object(&outputs::output_root(tool))
}

/// The complete schema of a tool's success object, every nested definition included (the
/// contract tests validate real results against it).
pub fn full_output_schema(tool: ToolName) -> Value {
    document(outputs::output_root(tool), Direction::Output, ScenarioRef::Embedded)
}

/// The standalone scenario schema (`ScenarioSpec` with every nested type), with `$id`
/// [`SCENARIO_SCHEMA_URI`]: the resource the `/rpc` input schemas reference.
pub fn scenario_schema() -> Value {
    let root = definition("ScenarioSpec", Direction::Input).unwrap_or_default();
    let mut doc = document(root, Direction::Input, ScenarioRef::Embedded);
    if let Value::Object(map) = &mut doc {
        map.insert("$id".to_owned(), Value::String(SCENARIO_SCHEMA_URI.to_owned()));
        map.insert("title".to_owned(), Value::String("Decision Gate scenario specification".to_owned()));
    }
    doc
}

/// A named definition (a Rust type name such as `RunState` or `ScenarioSpec`) in the given
/// direction, as it appears under `$defs`; `None` for unknown names.
pub fn definition(name: &str, direction: Direction) -> Option<Value> {
    defs_core::definition(name, direction)
        .or_else(|| defs_scenario::definition(name, direction))
        .or_else(|| defs_run::definition(name, direction))
        .or_else(|| defs_records::definition(name, direction))
}

/// Turns a root schema into a published document: `$schema`, plus the transitive closure of the
/// definitions it references under `$defs`.
fn document(mut root: Value, direction: Direction, scenario: ScenarioRef) -> Value {
    if scenario == ScenarioRef::External {
        replace_ref(&mut root, SCENARIO_LOCAL_REF, SCENARIO_SCHEMA_URI);
    }
    let mut defs = Map::new();
    let mut pending = Vec::new();
    collect_refs(&root, &mut pending);
    while let Some(name) = pending.pop() {
        if defs.contains_key(&name) {
            continue;
        }
        if let Some(def) = definition(&name, direction) {
            collect_refs(&def, &mut pending);
            defs.insert(name, def);
        }
    }
    if let Value::Object(map) = &mut root {
        map.insert("$schema".to_owned(), Value::String(JSON_SCHEMA_DIALECT.to_owned()));
        if !defs.is_empty() {
            map.insert("$defs".to_owned(), Value::Object(defs));
        }
    }
    root
}

/// Pushes the names of every `#/$defs/<Name>` reference in `value`.
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref"
                    && let Some(name) = child.as_str().and_then(|target| target.strip_prefix(DEFS_PREFIX))
                {
                    out.push(name.to_owned());
                } else {
                    collect_refs(child, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

/// Replaces every `{"$ref": from}` target with `to`.
fn replace_ref(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "$ref" && child.as_str() == Some(from) {
                    *child = Value::String(to.to_owned());
                } else {
                    replace_ref(child, from, to);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| replace_ref(item, from, to)),
        _ => {}
    }
}
