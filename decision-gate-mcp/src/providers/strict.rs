//! Strict comparator/type-class validation (core-model §4.7, §10.4).
//!
//! Each condition's comparator and expected value are checked against a JSON Schema fragment:
//! a provider check's `result_schema` at `scenario_define`, or the data shape's per-condition
//! fragment at precheck. The fragment's type class decides which comparators are always
//! allowed and which need an opt-in (a config flag **and** a listing in
//! `x-decision-gate.allowed_comparators`). Ambiguous or untyped fragments fail closed.

use decision_gate_core::comparator::Comparator;
use decision_gate_core::spec::{ConditionSpec, ScenarioSpec};
use serde_json::{Map, Value};

use super::contracts::{compile_schema, schema_violations};
use super::registry::CapabilityRegistry;
use crate::config::ValidationConfig;

/// Deepest nesting of unions and array items examined before failing closed.
const MAX_FRAGMENT_DEPTH: usize = 32;

/// A strict-validation failure; the message is disclosed to clients (invalid params).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StrictValidationError {
    /// Human-readable reason.
    pub message: String,
}

impl StrictValidationError {
    fn new(message: impl Into<String>) -> Self {
        StrictValidationError { message: message.into() }
    }
}

/// Checks every condition of `spec` against its check's `result_schema`.
///
/// Does nothing when `validation.strict` is off. Unknown providers or checks are reported with
/// the capability error text (capability validation normally runs first).
pub fn validate_strict_spec(
    spec: &ScenarioSpec,
    registry: &CapabilityRegistry,
    config: &ValidationConfig,
) -> Result<(), StrictValidationError> {
    if !config.strict {
        return Ok(());
    }
    for condition in &spec.conditions {
        let check = registry
            .check(condition.query.provider_id.as_str(), &condition.query.check_id)
            .map_err(|err| StrictValidationError::new(err.to_string()))?;
        check_condition(condition, &check.result_schema, config)?;
    }
    Ok(())
}

/// Checks every condition of `spec` (all stages) against a data-shape schema (core-model §10.4).
///
/// The schema's top-level `oneOf`/`anyOf` variants (null-only variants dropped unless all are)
/// are each examined. In an object variant a condition's fragment is `properties[<id>]`, else an
/// object-valued `additionalProperties`; a non-object variant is usable only by a spec with
/// exactly one condition. Does nothing when `validation.strict` is off.
pub fn validate_strict_precheck(
    spec: &ScenarioSpec,
    schema: &Value,
    config: &ValidationConfig,
) -> Result<(), StrictValidationError> {
    if !config.strict {
        return Ok(());
    }
    let variants = match union_variants(schema).map_err(StrictValidationError::new)? {
        Some(variants) => without_null_variants(variants).map_err(StrictValidationError::new)?,
        None => vec![schema],
    };
    for condition in &spec.conditions {
        for variant in &variants {
            let fragment = condition_fragment(variant, condition, spec.conditions.len())?;
            check_condition(condition, fragment, config)?;
        }
    }
    Ok(())
}

/// Picks a condition's fragment out of one data-shape variant.
fn condition_fragment<'a>(
    variant: &'a Value,
    condition: &ConditionSpec,
    condition_count: usize,
) -> Result<&'a Value, StrictValidationError> {
    let id = &condition.condition_id;
    if is_object_schema(variant) {
        if let Some(fragment) =
            variant.get("properties").and_then(Value::as_object).and_then(|props| props.get(id.as_str()))
        {
            return Ok(fragment);
        }
        return match variant.get("additionalProperties") {
            Some(additional @ Value::Object(_)) => Ok(additional),
            Some(Value::Bool(true)) => Err(StrictValidationError::new(format!(
                "condition {id} is only covered by untyped additionalProperties in the data shape schema"
            ))),
            _ => Err(StrictValidationError::new(format!("condition {id} missing from data shape schema"))),
        };
    }
    if condition_count == 1 {
        Ok(variant)
    } else {
        Err(StrictValidationError::new(format!(
            "condition {id}: a data shape schema that is not an object fits only a spec with exactly one condition"
        )))
    }
}

/// Whether a schema describes objects (`type` object, or no type but `properties`).
fn is_object_schema(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(kind)) => kind == "object",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind.as_str() == Some("object")),
        _ => schema.get("properties").is_some(),
    }
}

/// Validates one condition against one fragment (core-model §4.7).
fn check_condition(
    condition: &ConditionSpec,
    fragment: &Value,
    config: &ValidationConfig,
) -> Result<(), StrictValidationError> {
    let id = &condition.condition_id;
    let fail = |detail: String| StrictValidationError::new(format!("condition {id}: {detail}"));
    let object = fragment.as_object().ok_or_else(|| fail("schema fragment must be a JSON object".to_owned()))?;
    let meta = Meta::parse(object).map_err(fail)?;
    let allowances = fragment_allowances(fragment, 0).map_err(fail)?;
    if let Some(listed) = &meta.allowed_comparators {
        for comparator in listed {
            if !enabled(config, *comparator) {
                return Err(fail(format!(
                    "x-decision-gate.allowed_comparators lists disabled comparator {comparator}"
                )));
            }
            if allowances[index(*comparator)] == Allowance::Forbidden {
                return Err(fail(format!(
                    "x-decision-gate.allowed_comparators lists comparator {comparator}, which the schema type does not support"
                )));
            }
        }
    }
    let comparator = condition.comparator;
    if !enabled(config, comparator) {
        return Err(fail(format!("disabled comparator {comparator} ({})", flag_name(comparator))));
    }
    match allowances[index(comparator)] {
        Allowance::Forbidden => return Err(fail(format!("comparator {comparator} not allowed for this schema type"))),
        Allowance::OptIn if meta.allowed_comparators.is_none() => {
            return Err(fail(format!(
                "comparator {comparator} not allowed without an x-decision-gate.allowed_comparators opt-in"
            )));
        }
        _ => {}
    }
    if let Some(listed) = &meta.allowed_comparators
        && !listed.contains(&comparator)
    {
        return Err(fail(format!("comparator {comparator} not allowed by x-decision-gate.allowed_comparators")));
    }
    check_expected(condition, fragment).map_err(fail)
}

/// Expected-value rules of core-model §4.7.
fn check_expected(condition: &ConditionSpec, fragment: &Value) -> Result<(), String> {
    let comparator = condition.comparator;
    let validator = || compile_schema(fragment).map_err(|err| format!("schema fragment does not compile: {err}"));
    match (comparator, condition.expected.as_ref()) {
        (Comparator::Exists | Comparator::NotExists, None) => Ok(()),
        (Comparator::Exists | Comparator::NotExists, Some(_)) => {
            Err(format!("comparator {comparator} takes no expected value"))
        }
        (Comparator::InSet, Some(Value::Array(items))) => {
            let validator = validator()?;
            for (position, item) in items.iter().enumerate() {
                schema_violations(&validator, item)
                    .map_err(|violations| format!("expected element {position} is invalid: {violations}"))?;
            }
            Ok(())
        }
        (Comparator::InSet, _) => Err("comparator in_set: expected array required".to_owned()),
        (_, None) => Err(format!("comparator {comparator}: expected value required")),
        (_, Some(Value::Null))
            if comparator.is_ordering()
                || comparator.is_lexicographic()
                || comparator.is_deep()
                || comparator == Comparator::Contains =>
        {
            Err(format!("comparator {comparator} does not accept a null expected value"))
        }
        (_, Some(expected)) => {
            let validator = validator()?;
            schema_violations(&validator, expected)
                .map_err(|violations| format!("expected value is invalid: {violations}"))
        }
    }
}

/// Whether the config enables a comparator (lexicographic and deep ones are opt-in).
fn enabled(config: &ValidationConfig, comparator: Comparator) -> bool {
    if comparator.is_lexicographic() {
        config.enable_lexicographic
    } else if comparator.is_deep() {
        config.enable_deep_equals
    } else {
        true
    }
}

fn flag_name(comparator: Comparator) -> &'static str {
    if comparator.is_lexicographic() {
        "enable it with validation.enable_lexicographic"
    } else {
        "enable it with validation.enable_deep_equals"
    }
}

/// How a type class treats one comparator; ordered from most to least restrictive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Allowance {
    Forbidden,
    OptIn,
    Allowed,
}

type Allowances = [Allowance; 16];

fn index(comparator: Comparator) -> usize {
    Comparator::ALL.iter().position(|candidate| *candidate == comparator).unwrap_or(0)
}

/// Type classes of core-model §4.7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TypeClass {
    Boolean,
    Enum,
    Uuid,
    Integer,
    Number,
    Date,
    DateTime,
    String,
    ScalarArray,
    ComplexArray,
    Object,
    Null,
}

impl TypeClass {
    fn is_scalar(self) -> bool {
        !matches!(self, TypeClass::ScalarArray | TypeClass::ComplexArray | TypeClass::Object)
    }

    fn allowances(self) -> Allowances {
        use Comparator as C;
        let mut table = [Allowance::Forbidden; 16];
        let mut allow = |list: &[Comparator], allowance: Allowance| {
            for comparator in list {
                table[index(*comparator)] = allowance;
            }
        };
        let equality = [C::Equals, C::NotEquals, C::InSet, C::Exists, C::NotExists];
        let ordering = [C::GreaterThan, C::GreaterThanOrEqual, C::LessThan, C::LessThanOrEqual];
        let lex = [C::LexGreaterThan, C::LexGreaterThanOrEqual, C::LexLessThan, C::LexLessThanOrEqual];
        let deep = [C::DeepEquals, C::DeepNotEquals];
        let presence = [C::Exists, C::NotExists];
        match self {
            TypeClass::Boolean | TypeClass::Enum | TypeClass::Uuid => allow(&equality, Allowance::Allowed),
            TypeClass::Integer | TypeClass::Number | TypeClass::Date | TypeClass::DateTime => {
                allow(&equality, Allowance::Allowed);
                allow(&ordering, Allowance::Allowed);
            }
            TypeClass::String => {
                allow(&equality, Allowance::Allowed);
                allow(&[C::Contains], Allowance::Allowed);
                allow(&lex, Allowance::OptIn);
            }
            TypeClass::ScalarArray => {
                allow(&presence, Allowance::Allowed);
                allow(&[C::Contains], Allowance::Allowed);
                allow(&deep, Allowance::OptIn);
            }
            TypeClass::ComplexArray | TypeClass::Object => {
                allow(&presence, Allowance::Allowed);
                allow(&deep, Allowance::OptIn);
            }
            TypeClass::Null => allow(&[C::Equals, C::NotEquals, C::Exists, C::NotExists], Allowance::Allowed),
        }
        table
    }
}

/// The `x-decision-gate` metadata of a fragment.
struct Meta {
    dynamic_type: bool,
    allowed_comparators: Option<Vec<Comparator>>,
}

impl Meta {
    fn parse(object: &Map<String, Value>) -> Result<Meta, String> {
        let Some(meta) = object.get("x-decision-gate") else {
            return Ok(Meta { dynamic_type: false, allowed_comparators: None });
        };
        let meta = meta.as_object().ok_or("x-decision-gate must be an object")?;
        let dynamic_type = match meta.get("dynamic_type") {
            None => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => return Err("x-decision-gate.dynamic_type must be a boolean".to_owned()),
        };
        let allowed_comparators = match meta.get("allowed_comparators") {
            None => None,
            Some(value) => {
                let list: Vec<Comparator> = serde_json::from_value(value.clone())
                    .map_err(|err| format!("x-decision-gate.allowed_comparators is invalid: {err}"))?;
                if list.is_empty() {
                    return Err("x-decision-gate.allowed_comparators must not be empty".to_owned());
                }
                Some(list)
            }
        };
        Ok(Meta { dynamic_type, allowed_comparators })
    }
}

fn intersect(left: Allowances, right: Allowances) -> Allowances {
    let mut merged = left;
    for (slot, other) in merged.iter_mut().zip(right) {
        *slot = (*slot).min(other);
    }
    merged
}

/// Comparator allowances of a fragment: dynamic, union, or typed.
fn fragment_allowances(fragment: &Value, depth: usize) -> Result<Allowances, String> {
    if depth > MAX_FRAGMENT_DEPTH {
        return Err("schema fragment nests too deeply".to_owned());
    }
    let object = fragment.as_object().ok_or("schema fragment must be a JSON object")?;
    if Meta::parse(object)?.dynamic_type {
        return Ok([Allowance::Allowed; 16]);
    }
    if let Some(variants) = union_variants(fragment)? {
        let mut merged = [Allowance::Allowed; 16];
        for variant in without_null_variants(variants)? {
            merged = intersect(merged, fragment_allowances(variant, depth + 1)?);
        }
        return Ok(merged);
    }
    let classes = type_classes(object, depth)?;
    Ok(classes.into_iter().fold([Allowance::Allowed; 16], |merged, class| intersect(merged, class.allowances())))
}

/// The `oneOf`/`anyOf` variants of a schema, if it is a union.
fn union_variants(schema: &Value) -> Result<Option<&Vec<Value>>, String> {
    let one_of = schema.get("oneOf");
    let any_of = schema.get("anyOf");
    let variants = match (one_of, any_of) {
        (Some(_), Some(_)) => return Err("a schema may not use both oneOf and anyOf".to_owned()),
        (Some(variants), None) | (None, Some(variants)) => variants,
        (None, None) => return Ok(None),
    };
    match variants.as_array() {
        Some(list) if !list.is_empty() => Ok(Some(list)),
        Some(_) => Err("oneOf/anyOf must not be empty".to_owned()),
        None => Err("oneOf/anyOf must be an array".to_owned()),
    }
}

/// Drops null-only variants unless every variant is null-only.
fn without_null_variants(variants: &[Value]) -> Result<Vec<&Value>, String> {
    let mut kept = Vec::new();
    for variant in variants {
        if !is_null_only(variant)? {
            kept.push(variant);
        }
    }
    if kept.is_empty() { Ok(variants.iter().collect()) } else { Ok(kept) }
}

/// Whether a variant admits only `null` (`type: "null"`, `["null"]`, or `enum: [null, …]`).
fn is_null_only(schema: &Value) -> Result<bool, String> {
    if let Some(values) = schema.get("enum") {
        let values = values.as_array().ok_or("enum must be an array")?;
        return Ok(!values.is_empty() && values.iter().all(Value::is_null));
    }
    Ok(match schema.get("type") {
        Some(Value::String(kind)) => kind == "null",
        Some(Value::Array(kinds)) => !kinds.is_empty() && kinds.iter().all(|kind| kind.as_str() == Some("null")),
        _ => false,
    })
}

/// The type classes of a non-union, non-dynamic fragment.
fn type_classes(object: &Map<String, Value>, depth: usize) -> Result<Vec<TypeClass>, String> {
    if let Some(values) = object.get("enum") {
        return enum_class(values).map(|class| vec![class]);
    }
    let names: Vec<&str> = match object.get("type") {
        None => return Err("schema fragment declares no type".to_owned()),
        Some(Value::String(name)) => vec![name.as_str()],
        Some(Value::Array(list)) => {
            let names: Option<Vec<&str>> = list.iter().map(Value::as_str).collect();
            let names = names.ok_or("type array must contain strings")?;
            if names.is_empty() {
                return Err("type array must not be empty".to_owned());
            }
            let non_null: Vec<&str> = names.iter().copied().filter(|name| *name != "null").collect();
            if non_null.is_empty() { names } else { non_null }
        }
        Some(_) => return Err("type must be a string or an array of strings".to_owned()),
    };
    names.into_iter().map(|name| class_of_type(name, object, depth)).collect()
}

fn class_of_type(name: &str, object: &Map<String, Value>, depth: usize) -> Result<TypeClass, String> {
    Ok(match name {
        "boolean" => TypeClass::Boolean,
        "integer" => TypeClass::Integer,
        "number" => TypeClass::Number,
        "object" => TypeClass::Object,
        "null" => TypeClass::Null,
        "string" => match object.get("format").and_then(Value::as_str) {
            Some("date-time") => TypeClass::DateTime,
            Some("date") => TypeClass::Date,
            Some("uuid") => TypeClass::Uuid,
            _ => TypeClass::String,
        },
        "array" => match object.get("items") {
            Some(items) if is_scalar_fragment(items, depth + 1) => TypeClass::ScalarArray,
            _ => TypeClass::ComplexArray,
        },
        other => return Err(format!("unsupported schema type {other:?}")),
    })
}

/// The class of an `enum`: scalar values of one JSON type (null values are dropped when mixed
/// with one other type); all-null gives the null class.
fn enum_class(values: &Value) -> Result<TypeClass, String> {
    let values = values.as_array().ok_or("enum must be an array")?;
    if values.is_empty() {
        return Err("enum must not be empty".to_owned());
    }
    let mut kind: Option<&str> = None;
    for value in values {
        let this = match value {
            Value::Null => continue,
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) | Value::Object(_) => return Err("enum values must be scalars".to_owned()),
        };
        match kind {
            Some(previous) if previous != this => return Err("enum values must share one JSON type".to_owned()),
            _ => kind = Some(this),
        }
    }
    Ok(if kind.is_some() { TypeClass::Enum } else { TypeClass::Null })
}

/// Whether an `items` schema describes scalars only (unknown shapes count as complex).
fn is_scalar_fragment(items: &Value, depth: usize) -> bool {
    if depth > MAX_FRAGMENT_DEPTH {
        return false;
    }
    let Some(object) = items.as_object() else { return false };
    match Meta::parse(object) {
        Ok(meta) if !meta.dynamic_type => {}
        _ => return false,
    }
    match union_variants(items) {
        Ok(Some(variants)) => match without_null_variants(variants) {
            Ok(kept) => kept.into_iter().all(|variant| is_scalar_fragment(variant, depth + 1)),
            Err(_) => false,
        },
        Ok(None) => type_classes(object, depth).is_ok_and(|classes| classes.iter().all(|class| class.is_scalar())),
        Err(_) => false,
    }
}
