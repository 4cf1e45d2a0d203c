//! Tests of the catalogue and the schemas: every schema compiles as draft 2020-12, sample inputs
//! validate (and invalid ones do not), and outputs built from real engine values validate.

mod catalogue;
mod engine;
mod inputs;
mod outputs;
mod records;
mod scenario;

use jsonschema::{Draft, Validator};
use serde_json::Value;

use super::{SCENARIO_SCHEMA_URI, scenario_schema};
use crate::tools::catalogue::ToolName;

/// Compiles a schema as draft 2020-12 after checking it against the meta-schema.
pub(super) fn compile(schema: &Value) -> Validator {
    if let Err(err) = jsonschema::draft202012::meta::validate(schema) {
        panic!("schema is not a valid draft 2020-12 schema: {err}\n{schema:#}");
    }
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .build(schema)
        .unwrap_or_else(|err| panic!("schema does not compile: {err}\n{schema:#}"))
}

/// Compiles a `/rpc` schema, resolving the external scenario reference to [`scenario_schema`].
pub(super) fn compile_rpc(schema: &Value) -> Validator {
    let resource = jsonschema::Resource::from_contents(scenario_schema());
    let registry = jsonschema::Registry::new()
        .add(SCENARIO_SCHEMA_URI, resource)
        .and_then(|registry| registry.prepare())
        .unwrap_or_else(|err| panic!("registry: {err}"));
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(&registry)
        .build(schema)
        .unwrap_or_else(|err| panic!("rpc schema does not compile: {err}\n{schema:#}"))
}

/// The validation errors of `instance`, one per line.
pub(super) fn errors(validator: &Validator, instance: &Value) -> Vec<String> {
    validator.iter_errors(instance).map(|err| format!("{} at {}", err, err.instance_path())).collect()
}

/// Panics unless `instance` is valid.
pub(super) fn assert_valid(validator: &Validator, instance: &Value, what: &str) {
    let found = errors(validator, instance);
    assert!(found.is_empty(), "{what} should be valid:\n{}\ninstance: {instance:#}", found.join("\n"));
}

/// Panics unless `instance` is invalid.
pub(super) fn assert_invalid(validator: &Validator, instance: &Value, what: &str) {
    assert!(!validator.is_valid(instance), "{what} should be invalid: {instance:#}");
}

/// The compiled input validator of a tool (the complete schema calls are checked against).
pub(super) fn input_validator(tool: ToolName) -> Validator {
    compile(&super::validation_schema(tool))
}

/// The compiled complete output validator of a tool.
pub(super) fn output_validator(tool: ToolName) -> Validator {
    compile(&super::full_output_schema(tool))
}
