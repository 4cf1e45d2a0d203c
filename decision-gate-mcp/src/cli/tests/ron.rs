//! RON authoring: normalisation to JSON, positions, and equivalence with the JSON examples.

use decision_gate_core::spec::{ValidationMode, parse_spec_json};
use serde_json::{Value, json};

use super::{EXAMPLES, Outcome, arg, cli, example};
use crate::cli::ron_json::parse_ron;
use crate::cli::scenario::{ScenarioFormat, check_text};
use crate::cli::source::line_column;

const VARIANTS: [&str; 5] = ["And", "Or", "Not", "RequireGroup", "Condition"];

fn is_ident(key: &str) -> bool {
    key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Renders a JSON value as RON in the authoring style: structs as `(field: …)`, requirement
/// nodes as enum variants, `()` for null.
fn to_ron(value: &Value, out: &mut String) {
    let fields = |map: &serde_json::Map<String, Value>, out: &mut String| {
        for (key, item) in map {
            out.push_str(key);
            out.push_str(": ");
            to_ron(item, out);
            out.push_str(",\n");
        }
    };
    match value {
        Value::Null => out.push_str("()"),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => out.push_str(&value.to_string()),
        Value::Array(items) => {
            out.push('[');
            for item in items {
                to_ron(item, out);
                out.push_str(", ");
            }
            out.push(']');
        }
        Value::Object(map) if map.len() == 1 && VARIANTS.contains(&map.keys().next().unwrap().as_str()) => {
            let (name, content) = map.iter().next().unwrap();
            out.push_str(name);
            out.push('(');
            match content {
                Value::Object(inner) => fields(inner, out),
                other => to_ron(other, out),
            }
            out.push(')');
        }
        Value::Object(map) if map.keys().all(|key| is_ident(key)) && !map.is_empty() => {
            out.push_str("(\n");
            fields(map, out);
            out.push(')');
        }
        Value::Object(map) => {
            out.push('{');
            for (key, item) in map {
                out.push_str(&format!("{key:?}: "));
                to_ron(item, out);
                out.push_str(", ");
            }
            out.push('}');
        }
    }
}

fn ron(text: &str) -> Value {
    parse_ron(text).unwrap_or_else(|error| panic!("{}: {}", error.offset, error.message)).value
}

#[test]
fn ron_values_normalise_to_json() {
    assert_eq!(ron("()"), Value::Null);
    assert_eq!(
        ron("(a: 1, b: (), c: None, d: Some(3), e: null,)"),
        json!({"a": 1, "b": null, "c": null, "d": 3, "e": null})
    );
    assert_eq!(ron("[1, -2, 2.5, 1e3, 0x1F, 1_000, true, false]"), json!([1, -2, 2.5, 1000.0, 31, 1000, true, false]));
    assert_eq!(ron(r#"{"k": "v", other: 'c'}"#), json!({"k": "v", "other": "c"}));
    assert_eq!(ron(r#""a\"b\n\u{e9}\u00e9\x41""#), json!("a\"b\né\u{e9}A"));
    assert_eq!(ron(r###"r#"raw "quoted" \n"#"###), json!("raw \"quoted\" \\n"));
    assert_eq!(ron("(1, \"two\")"), json!([1, "two"]));
    assert_eq!(ron("linear"), json!("linear"));
    assert_eq!(ron("18446744073709551615"), json!(u64::MAX));
    assert_eq!(ron("-9223372036854775808"), json!(i64::MIN));
    assert_eq!(
        ron("And([Condition(\"a\"), Not(Condition(\"b\")), RequireGroup(min: 1, reqs: [])])"),
        json!({"And": [{"Condition": "a"}, {"Not": {"Condition": "b"}}, {"RequireGroup": {"min": 1, "reqs": []}}]})
    );
    assert_eq!(ron("Pair(1, 2)"), json!({"Pair": [1, 2]}));
    assert_eq!(ron("StageSpec(stage_id: \"a\")"), json!({"stage_id": "a"}), "struct names are dropped");
    assert_eq!(ron("#![enable(implicit_some)]\n// line comment\n(/* block /* nested */ */ a: 1)"), json!({"a": 1}));
}

#[test]
fn ron_syntax_errors_have_positions() {
    let cases: [(&str, (usize, usize), &str); 9] = [
        ("(\n  a: 1,\n  b: [1, 2\n  c: 3)", (4, 3), "expected `,` or `]`"),
        ("(a: inf)", (1, 5), "non-finite numbers are not allowed"),
        ("(a: 1e999)", (1, 5), "non-finite numbers are not allowed"),
        ("(a: 18446744073709551616)", (1, 5), "integer out of range"),
        ("(a: 1u8)", (1, 6), "unexpected character in number"),
        ("{1: 2}", (1, 2), "map keys must be strings"),
        ("(a: \"open", (1, 5), "unterminated string"),
        ("() ()", (1, 4), "trailing characters after the value"),
        ("(a: b\"x\")", (1, 5), "byte strings are not supported; use an array of integers"),
    ];
    for (text, position, message) in cases {
        let error = parse_ron(text).unwrap_err();
        assert_eq!((line_column(text, error.offset), error.message.as_str()), (position, message), "{text}");
    }
    let deep = format!("{}1{}", "[".repeat(65), "]".repeat(65));
    let error = parse_ron(&deep).unwrap_err();
    assert_eq!((error.offset, error.message.as_str()), (64, "nesting depth exceeds 64"));
    let variants = format!("{}Condition(\"a\"){}", "Not(".repeat(64), ")".repeat(64));
    assert_eq!(parse_ron(&variants).unwrap_err().message, "nesting depth exceeds 64", "variants count as objects");
    for opener in ["Not(", "Some(", "(", "[", "{\"a\": ", "StageSpec("] {
        let hostile = opener.repeat(100_000);
        assert_eq!(parse_ron(&hostile).unwrap_err().message, "nesting depth exceeds 64", "{opener}");
    }
}

#[test]
fn ron_renderings_of_the_examples_have_the_json_spec_hash() {
    let dir = tempfile::tempdir().unwrap();
    for name in EXAMPLES {
        let text = std::fs::read_to_string(example(name)).unwrap();
        let expected = parse_spec_json(&text).unwrap().spec_hash().unwrap();
        let mut rendered = String::new();
        to_ron(&serde_json::from_str(&text).unwrap(), &mut rendered);
        let path = dir.path().join(format!("{name}.ron"));
        std::fs::write(&path, &rendered).unwrap();
        let run = cli(&["scenario", "validate", "--input", arg(&path)]);
        assert_eq!(run.outcome(), Outcome::Success, "{name}: {}\n{rendered}", run.err);
        assert_eq!(run.out, format!("ok {}\n", expected.value));
        let normalized = cli(&["scenario", "normalize", "--input", arg(&path)]);
        let json_normalized = cli(&["scenario", "normalize", "--input", arg(&example(name))]);
        assert_eq!(normalized.out, json_normalized.out, "{name}");
    }
}

const RON_SPEC: &str = r#"// A two-stage scenario.
ScenarioSpec(
    scenario_id: "s",
    namespace_id: 1,
    spec_version: "1",
    policies: [],
    schemas: [],
    default_tenant_id: (),
    conditions: [
        (
            condition_id: "c1",
            query: (provider_id: "time", check_id: "after", params: {"timestamp": "2026-01-01T00:00:00Z"}),
            comparator: equals,
            expected: Some(true),
            policy_tags: [],
        ),
    ],
    stages: [
        (
            stage_id: "a",
            entry_packets: [],
            gates: [(gate_id: "g1", requirement: And([Condition("c1")]))],
            advance_to: (kind: linear),
            timeout: None,
            on_timeout: fail,
        ),
    ],
)
"#;

fn lint_ron(text: &str) -> String {
    match check_text("scenario.ron", text, ScenarioFormat::Ron, ValidationMode::Strict, None) {
        Ok(checked) => format!("ok {}", checked.spec_hash.value),
        Err(diagnostic) => diagnostic.to_string(),
    }
}

#[test]
fn ron_specs_validate_with_positions() {
    assert!(lint_ron(RON_SPEC).starts_with("ok "), "{}", lint_ron(RON_SPEC));
    let missing = RON_SPEC.replace("Condition(\"c1\")", "Condition(\"c9\")");
    assert_eq!(lint_ron(&missing), "scenario.ron:22:65: missing condition: c9");
    let zero = RON_SPEC.replace("namespace_id: 1", "namespace_id: 0");
    assert!(lint_ron(&zero).starts_with("scenario.ron:4:19: invalid value: integer `0`"), "{}", lint_ron(&zero));
    let unknown = RON_SPEC.replace("comparator: equals", "comparator: equalz");
    assert!(lint_ron(&unknown).starts_with("scenario.ron:13:25: unknown variant `equalz`"), "{}", lint_ron(&unknown));
    let syntax = RON_SPEC.replace("policies: [],", "policies: [],,");
    assert_eq!(lint_ron(&syntax), "scenario.ron:6:18: expected a field name");
}
