//! Strict comparator/type-class validation (core-model §4.7, §10.4).

use serde_json::{Value, json};

use super::support::{builtin_registry, cond, spec};
use crate::config::ValidationConfig;
use crate::providers::{validate_strict_precheck, validate_strict_spec};

fn config() -> ValidationConfig {
    ValidationConfig::default()
}

fn lex_enabled() -> ValidationConfig {
    ValidationConfig { enable_lexicographic: true, ..ValidationConfig::default() }
}

fn deep_enabled() -> ValidationConfig {
    ValidationConfig { enable_deep_equals: true, ..ValidationConfig::default() }
}

/// Checks one condition (id `c`, comparator, expected) against a fragment via precheck.
fn check(fragment: Value, comparator: &str, expected: Value, config: &ValidationConfig) -> Result<(), String> {
    let schema = json!({"type": "object", "properties": {"c": fragment}});
    let spec = spec(vec![cond("c", "any", "any", Value::Null, comparator, expected)]);
    validate_strict_precheck(&spec, &schema, config).map_err(|err| err.message)
}

fn assert_err(result: Result<(), String>, fragment: &str) {
    let err = result.expect_err("validation should fail");
    assert!(err.contains(fragment), "{err:?} should contain {fragment:?}");
}

#[test]
fn client_visible_message_fragments() {
    assert_err(
        check(json!({"type": "boolean"}), "greater_than", json!(true), &config()),
        "comparator greater_than not allowed",
    );
    assert_err(check(json!({"type": "integer"}), "in_set", json!(3), &config()), "expected array required");
    assert_err(
        check(json!({"type": "string"}), "lex_greater_than", json!("a"), &config()),
        "disabled comparator lex_greater_than",
    );
    let spec = spec(vec![cond("gone", "any", "any", Value::Null, "exists", Value::Null)]);
    let err = validate_strict_precheck(&spec, &json!({"type": "object", "properties": {}}), &config()).unwrap_err();
    assert_eq!(err.message, "condition gone missing from data shape schema");
}

#[test]
fn class_tables() {
    let cfg = config();
    let allowed = [
        (json!({"type": "boolean"}), "equals", json!(true)),
        (json!({"type": "integer"}), "greater_than_or_equal", json!(3)),
        (json!({"type": "number"}), "less_than", json!(2.5)),
        (json!({"type": "string", "format": "date-time"}), "greater_than", json!("2024-01-01T00:00:00Z")),
        (json!({"type": "string", "format": "date"}), "less_than_or_equal", json!("2024-01-01")),
        (json!({"type": "string", "format": "uuid"}), "in_set", json!(["6f1c2f1e-9f6a-4c55-9a57-0e4a8a1d2b3c"])),
        (json!({"type": "string"}), "contains", json!("ab")),
        (json!({"enum": ["a", "b"]}), "not_equals", json!("a")),
        (json!({"type": "array", "items": {"type": "string"}}), "contains", json!(["a"])),
        (json!({"type": "object"}), "exists", Value::Null),
        (json!({"type": ["integer", "null"]}), "greater_than", json!(1)),
    ];
    for (fragment, comparator, expected) in allowed {
        let result = check(fragment.clone(), comparator, expected, &cfg);
        assert!(result.is_ok(), "{fragment} {comparator}: {result:?}");
    }
    // The null class allows equality, but a null expected value is indistinguishable from none.
    assert!(check(json!({"type": "null"}), "not_exists", Value::Null, &cfg).is_ok());
    assert_err(check(json!({"type": "null"}), "equals", Value::Null, &cfg), "expected value required");
    let forbidden = [
        (json!({"type": "string", "format": "uuid"}), "greater_than", json!("x")),
        (json!({"type": "string"}), "greater_than", json!("x")),
        (json!({"enum": [1, 2]}), "less_than", json!(1)),
        (json!({"type": "array", "items": {"type": "object"}}), "contains", json!([{}])),
        (json!({"type": "object"}), "equals", json!({})),
        (json!({"type": "null"}), "in_set", json!([null])),
        (json!({"type": "boolean"}), "contains", json!(true)),
    ];
    for (fragment, comparator, expected) in forbidden {
        assert_err(
            check(fragment.clone(), comparator, expected, &cfg),
            &format!("comparator {comparator} not allowed"),
        );
    }
}

#[test]
fn opt_in_comparators_need_the_flag_and_the_listing() {
    let listed = json!({"type": "string", "x-decision-gate": {"allowed_comparators": ["equals", "lex_greater_than"]}});
    assert_err(
        check(listed.clone(), "lex_greater_than", json!("a"), &config()),
        "disabled comparator lex_greater_than",
    );
    assert!(check(listed.clone(), "lex_greater_than", json!("a"), &lex_enabled()).is_ok());
    // Listing restricts even always-allowed comparators.
    assert_err(check(listed, "contains", json!("a"), &lex_enabled()), "comparator contains not allowed");
    assert_err(
        check(json!({"type": "string"}), "lex_less_than", json!("a"), &lex_enabled()),
        "comparator lex_less_than not allowed",
    );
    let deep = json!({"type": "object", "x-decision-gate": {"allowed_comparators": ["deep_equals", "exists"]}});
    assert_err(check(deep.clone(), "deep_equals", json!({}), &config()), "disabled comparator deep_equals");
    assert!(check(deep, "deep_equals", json!({"a": 1}), &deep_enabled()).is_ok());
    // Listing a disabled or unsuitable comparator is itself an error.
    let unsuitable = json!({"type": "boolean", "x-decision-gate": {"allowed_comparators": ["greater_than"]}});
    assert_err(check(unsuitable, "equals", json!(true), &config()), "lists comparator greater_than");
    let disabled = json!({"type": "string", "x-decision-gate": {"allowed_comparators": ["lex_less_than"]}});
    assert_err(check(disabled, "equals", json!("a"), &config()), "lists disabled comparator lex_less_than");
    let empty = json!({"type": "string", "x-decision-gate": {"allowed_comparators": []}});
    assert_err(check(empty, "equals", json!("a"), &config()), "must not be empty");
}

#[test]
fn dynamic_type_allows_every_enabled_comparator() {
    let dynamic = json!({"x-decision-gate": {"dynamic_type": true}});
    for comparator in ["equals", "greater_than", "contains", "in_set", "exists"] {
        let expected = match comparator {
            "in_set" => json!([1]),
            "exists" => Value::Null,
            _ => json!(1),
        };
        assert!(check(dynamic.clone(), comparator, expected, &config()).is_ok(), "{comparator}");
    }
    assert_err(check(dynamic.clone(), "lex_greater_than", json!("a"), &config()), "disabled comparator");
    assert!(check(dynamic, "lex_greater_than", json!("a"), &lex_enabled()).is_ok());
    assert_err(check(json!({"x-decision-gate": {"dynamic_type": "yes"}}), "equals", json!(1), &config()), "boolean");
}

#[test]
fn unions() {
    let cfg = config();
    let nullable_int = json!({"oneOf": [{"type": "integer"}, {"type": "null"}]});
    assert!(check(nullable_int.clone(), "greater_than", json!(3), &cfg).is_ok(), "null-only variant dropped");
    let int_or_string = json!({"anyOf": [{"type": "integer"}, {"type": "string"}]});
    assert!(check(int_or_string.clone(), "equals", json!("a"), &cfg).is_ok());
    assert_err(check(int_or_string.clone(), "greater_than", json!(1), &cfg), "comparator greater_than not allowed");
    assert_err(check(int_or_string, "contains", json!("a"), &cfg), "comparator contains not allowed");
    let only_null = json!({"oneOf": [{"type": "null"}, {"enum": [null]}]});
    assert_err(check(only_null, "in_set", json!([null]), &cfg), "comparator in_set not allowed");
    let both = json!({"oneOf": [{"type": "integer"}], "anyOf": [{"type": "integer"}]});
    assert_err(check(both, "equals", json!(1), &cfg), "both oneOf and anyOf");
    assert_err(check(json!({"oneOf": []}), "equals", json!(1), &cfg), "must not be empty");
    // Expected values are validated against the whole union.
    assert_err(check(nullable_int, "equals", json!("3"), &cfg), "expected value is invalid");
}

#[test]
fn enum_and_type_rules() {
    let cfg = config();
    assert_err(check(json!({"enum": []}), "equals", json!(1), &cfg), "enum must not be empty");
    assert_err(check(json!({"enum": [1, "a"]}), "equals", json!(1), &cfg), "one JSON type");
    assert_err(check(json!({"enum": [[1]]}), "equals", json!([1]), &cfg), "scalars");
    assert!(check(json!({"enum": ["a", null]}), "in_set", json!(["a", null]), &cfg).is_ok());
    assert_err(check(json!({"enum": [null]}), "in_set", json!([null]), &cfg), "comparator in_set not allowed");
    assert_err(check(json!({"description": "untyped"}), "equals", json!(1), &cfg), "declares no type");
    assert_err(check(json!({"type": "decimal"}), "equals", json!(1), &cfg), "unsupported schema type");
    assert_err(check(json!({"type": []}), "equals", json!(1), &cfg), "must not be empty");
    assert_err(check(json!(true), "equals", json!(1), &cfg), "must be a JSON object");
}

#[test]
fn expected_value_rules() {
    let cfg = config();
    assert_err(check(json!({"type": "integer"}), "exists", json!(1), &cfg), "takes no expected value");
    assert_err(check(json!({"type": "integer"}), "equals", Value::Null, &cfg), "expected value required");
    assert_err(check(json!({"type": "integer"}), "equals", json!("1"), &cfg), "expected value is invalid");
    assert_err(check(json!({"type": "integer"}), "in_set", json!([1, "2"]), &cfg), "expected element 1 is invalid");
    assert_err(
        check(json!({"type": "string", "format": "date-time"}), "greater_than", json!("tomorrow"), &cfg),
        "expected value is invalid",
    );
    assert_err(check(json!({"type": "integer", "minimum": 5}), "equals", json!(4), &cfg), "expected value is invalid");
    assert!(check(json!({"type": "integer"}), "in_set", json!([]), &cfg).is_ok());
}

#[test]
fn data_shape_variants_and_fragments() {
    let cfg = config();
    let two = spec(vec![
        cond("a", "p", "c", Value::Null, "equals", json!(1)),
        cond("b", "p", "c", Value::Null, "equals", json!("x")),
    ]);
    let schema =
        json!({"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string"}});
    assert!(validate_strict_precheck(&two, &schema, &cfg).is_ok());
    let untyped = json!({"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": true});
    assert!(
        validate_strict_precheck(&two, &untyped, &cfg).unwrap_err().message.contains("untyped additionalProperties")
    );
    let scalar = json!({"type": "integer"});
    assert!(validate_strict_precheck(&two, &scalar, &cfg).unwrap_err().message.contains("exactly one condition"));
    let one = spec(vec![cond("a", "p", "c", Value::Null, "greater_than", json!(1))]);
    assert!(validate_strict_precheck(&one, &scalar, &cfg).is_ok());
    // Every variant of a union data shape must accept every condition.
    let variants = json!({"oneOf": [
        {"type": "object", "properties": {"a": {"type": "integer"}}},
        {"type": "object", "properties": {"a": {"type": "boolean"}}},
        {"type": "null"}
    ]});
    let err = validate_strict_precheck(&one, &variants, &cfg).unwrap_err();
    assert!(err.message.contains("comparator greater_than not allowed"), "{}", err.message);
    let both = json!({"oneOf": [{"type": "integer"}], "anyOf": [{"type": "integer"}]});
    assert!(validate_strict_precheck(&one, &both, &cfg).is_err());
    // Strict off skips the layer entirely.
    let lenient = ValidationConfig { strict: false, allow_permissive: true, ..ValidationConfig::default() };
    assert!(validate_strict_precheck(&two, &scalar, &lenient).is_ok());
}

#[test]
fn specs_against_builtin_result_schemas() {
    let registry = builtin_registry();
    let cfg = config();
    let ok = spec(vec![
        cond("a", "time", "after", json!({"timestamp": 0}), "equals", json!(true)),
        cond("b", "env", "get", json!({"key": "K"}), "contains", json!("prod")),
        cond("c", "time", "now", Value::Null, "greater_than", json!(5)),
        cond("d", "json", "path", json!({"file": "x"}), "deep_equals", json!({"a": 1})),
    ]);
    let err = validate_strict_spec(&ok, &registry, &cfg).unwrap_err();
    assert!(err.message.contains("condition d: disabled comparator deep_equals"), "{}", err.message);
    assert!(validate_strict_spec(&ok, &registry, &deep_enabled()).is_ok());
    let bad = spec(vec![cond("h", "http", "body_hash", json!({"url": "https://x"}), "contains", json!("x"))]);
    assert!(
        validate_strict_spec(&bad, &registry, &cfg).unwrap_err().message.contains("comparator contains not allowed")
    );
    let unknown = spec(vec![cond("u", "clock", "now", Value::Null, "exists", Value::Null)]);
    assert!(validate_strict_spec(&unknown, &registry, &cfg).unwrap_err().message.starts_with("provider_missing: "));
}
