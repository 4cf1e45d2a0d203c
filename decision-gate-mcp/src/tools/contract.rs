//! Tool arguments against the published contract: every object of the input schemas is
//! `additionalProperties: false`, and a call that breaks the schema is refused with -32602
//! naming where (a misspelled argument would otherwise be silently ignored). Scenario specs
//! inside the arguments keep Decision Gate OSS's leniency in permissive validation mode.
//!
//! Serde remains the decoder: its messages are kept for what it refuses itself, and the schema
//! adds what serde cannot see (unknown keys, also inside tagged objects).

use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::catalogue::ToolName;
use super::schemas::validation_schema;
use crate::errors::ToolError;

static VALIDATORS: LazyLock<Vec<Option<jsonschema::Validator>>> = LazyLock::new(|| {
    ToolName::ALL.into_iter().map(|tool| jsonschema::draft202012::new(&validation_schema(tool)).ok()).collect()
});

/// Where a scenario spec sits in a tool's arguments (checked only in strict mode).
fn spec_pointer(tool: ToolName) -> Option<&'static str> {
    matches!(tool, ToolName::ScenarioDefine | ToolName::Precheck).then_some("/spec")
}

/// The first violation of `arguments` that serde and the tools do not report themselves, as
/// (`instance pointer`, message, whether it is an unknown key); `None` when there is none.
pub fn violation(tool: ToolName, arguments: &Value, strict_specs: bool) -> Option<(String, String, bool)> {
    let validator = VALIDATORS[tool.index()].as_ref()?;
    if validator.is_valid(arguments) {
        return None;
    }
    let lenient = (!strict_specs).then(|| spec_pointer(tool)).flatten();
    let mut first = None;
    for error in validator.iter_errors(arguments) {
        let pointer = error.instance_path().to_string();
        if lenient.is_some_and(|spec| pointer == spec || pointer.starts_with(&format!("{spec}/"))) {
            continue;
        }
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { .. } => return Some((pointer, error.to_string(), true)),
            // A tagged object (timestamp, payload, outcome, …) that matches no variant although
            // serde decoded it carries a key of no variant.
            ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. } => {
                first.get_or_insert((pointer, error.to_string(), false));
            }
            // Types, ranges and required keys: serde and the tools' own checks answer these
            // with their specified messages.
            _ => {}
        }
    }
    first
}

/// The -32602 error of a violation.
pub fn violation_error((pointer, message, unknown): (String, String, bool)) -> ToolError {
    let place = if pointer.is_empty() { "/".to_owned() } else { pointer };
    if unknown {
        ToolError::invalid_params(format!("unknown argument at {place}: {message}"))
    } else {
        ToolError::invalid_params(format!("invalid argument at {place}: {message}"))
    }
}
