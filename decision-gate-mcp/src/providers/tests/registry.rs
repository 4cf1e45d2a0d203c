//! Spec and query validation against contracts (mcp-surface §10.5).

use serde_json::{Value, json};

use super::support::{builtin_registry, cond, query, spec};
use crate::providers::CapabilityCode;

fn spec_code(conditions: Vec<Value>) -> Option<CapabilityCode> {
    builtin_registry().validate_spec(&spec(conditions)).err().map(|err| err.code)
}

#[test]
fn valid_specs_pass() {
    let conditions = vec![
        cond("after", "time", "after", json!({"timestamp": 0}), "equals", json!(true)),
        cond("now", "time", "now", Value::Null, "greater_than", json!(5)),
        cond("env", "env", "get", json!({"key": "DEPLOY_ENV"}), "in_set", json!(["prod", "staging"])),
        cond("env_set", "env", "get", json!({"key": "DEPLOY_ENV"}), "exists", Value::Null),
        cond("doc", "json", "path", json!({"file": "a.json", "jsonpath": "$.x"}), "lex_less_than", json!("b")),
        cond("hash", "http", "body_hash", json!({"url": "https://x.test"}), "not_exists", Value::Null),
        cond("status", "http", "status", json!({"url": "https://x.test"}), "less_than", json!(500)),
    ];
    assert_eq!(spec_code(conditions), None);
}

#[test]
fn each_code_in_order() {
    let ok = cond("ok", "time", "after", json!({"timestamp": 0}), "equals", json!(true));
    let cases = vec![
        (cond("c", "clock", "now", Value::Null, "exists", Value::Null), CapabilityCode::ProviderMissing),
        (cond("c", "time", "later", Value::Null, "exists", Value::Null), CapabilityCode::CheckMissing),
        (cond("c", "time", "after", Value::Null, "equals", json!(true)), CapabilityCode::ParamsMissing),
        (cond("c", "time", "after", json!({"timestamp": true}), "equals", json!(true)), CapabilityCode::ParamsInvalid),
        (
            cond("c", "time", "after", json!({"timestamp": 1, "x": 1}), "equals", json!(true)),
            CapabilityCode::ParamsInvalid,
        ),
        (cond("c", "time", "now", json!({"unexpected": 1}), "equals", json!(1)), CapabilityCode::ParamsInvalid),
        (cond("c", "time", "after", json!({"timestamp": 0}), "equals", Value::Null), CapabilityCode::ExpectedInvalid),
        (cond("c", "time", "after", json!({"timestamp": 0}), "equals", json!("yes")), CapabilityCode::ExpectedInvalid),
        (cond("c", "time", "after", json!({"timestamp": 0}), "exists", json!(true)), CapabilityCode::ExpectedInvalid),
        (cond("c", "time", "after", json!({"timestamp": 0}), "in_set", json!(true)), CapabilityCode::ExpectedInvalid),
        (
            cond("c", "time", "after", json!({"timestamp": 0}), "in_set", json!([true, 1])),
            CapabilityCode::ExpectedInvalid,
        ),
        // Expected is checked before the comparator list.
        (
            cond("c", "time", "after", json!({"timestamp": 0}), "greater_than", json!("x")),
            CapabilityCode::ExpectedInvalid,
        ),
        (
            cond("c", "time", "after", json!({"timestamp": 0}), "greater_than", json!(true)),
            CapabilityCode::ComparatorNotAllowed,
        ),
        (
            cond(
                "c",
                "http",
                "body_hash",
                json!({"url": "https://x"}),
                "equals",
                json!({"algorithm": "sha256", "value": "00"}),
            ),
            CapabilityCode::ComparatorNotAllowed,
        ),
    ];
    for (bad, code) in cases {
        assert_eq!(spec_code(vec![ok.clone(), bad.clone()]), Some(code), "{bad}");
    }
    // The first failing condition in spec order is reported.
    let first = cond("a", "time", "later", Value::Null, "exists", Value::Null);
    let second = cond("b", "clock", "now", Value::Null, "exists", Value::Null);
    assert_eq!(spec_code(vec![first, second]), Some(CapabilityCode::CheckMissing));
}

#[test]
fn messages_name_the_condition_and_codes_prefix_the_display() {
    let registry = builtin_registry();
    let err = registry
        .validate_spec(&spec(vec![cond("late", "time", "after", json!({"timestamp": 0}), "greater_than", json!(true))]))
        .unwrap_err();
    assert_eq!(err.code.as_str(), "comparator_not_allowed");
    assert!(err.to_string().starts_with("comparator_not_allowed: condition late: "), "{err}");
    let err = registry
        .validate_spec(&spec(vec![cond("p", "time", "after", Value::Null, "equals", json!(true))]))
        .unwrap_err();
    assert_eq!(err.to_string(), "params_missing: condition p: time.after requires params");
}

#[test]
fn queries_check_existence_and_params_only() {
    let registry = builtin_registry();
    assert!(registry.validate_query(&query("time", "now", Value::Null)).is_ok());
    assert!(registry.validate_query(&query("json", "path", json!({"file": "x.json"}))).is_ok());
    let code = |q| registry.validate_query(&q).unwrap_err().code;
    assert_eq!(code(query("clock", "now", Value::Null)), CapabilityCode::ProviderMissing);
    assert_eq!(code(query("time", "later", Value::Null)), CapabilityCode::CheckMissing);
    assert_eq!(code(query("env", "get", Value::Null)), CapabilityCode::ParamsMissing);
    assert_eq!(code(query("env", "get", json!({"key": 1}))), CapabilityCode::ParamsInvalid);
    assert_eq!(code(query("env", "get", json!({}))), CapabilityCode::ParamsInvalid);
}
