//! `scenario validate` and `scenario normalize` on JSON inputs: the shipped examples, and
//! broken inputs reported as `file:line:column: message`.

use std::path::{Path, PathBuf};

use decision_gate_core::hashing::HashDigest;
use decision_gate_core::spec::{ValidationMode, parse_spec_json};

use super::{EXAMPLES, Outcome, arg, cli, example, oversized};
use crate::cli::common::MAX_INPUT_BYTES;
use crate::cli::scenario::{ScenarioFormat, check_text};

/// A small valid spec (line numbers below refer to this layout).
const BASE: &str = r#"{
  "scenario_id": "s",
  "namespace_id": 1,
  "spec_version": "1",
  "policies": [],
  "schemas": [],
  "conditions": [
    {"condition_id": "c1", "query": {"provider_id": "time", "check_id": "after", "params": {"timestamp": "2026-01-01T00:00:00Z"}}, "comparator": "equals", "expected": true, "policy_tags": []},
    {"condition_id": "c2", "query": {"provider_id": "time", "check_id": "after", "params": {"timestamp": "2026-01-02T00:00:00Z"}}, "comparator": "equals", "expected": true, "policy_tags": []}
  ],
  "stages": [
    {
      "stage_id": "a",
      "entry_packets": [],
      "gates": [{"gate_id": "g1", "requirement": {"And": [{"Condition": "c1"}, {"Condition": "c2"}]}}],
      "advance_to": {"kind": "linear"},
      "on_timeout": "fail"
    },
    {
      "stage_id": "b",
      "entry_packets": [],
      "gates": [],
      "advance_to": {"kind": "terminal"},
      "on_timeout": "fail"
    }
  ]
}
"#;

fn lint(text: &str) -> String {
    lint_mode(text, ValidationMode::Strict)
}

fn lint_mode(text: &str, mode: ValidationMode) -> String {
    match check_text("scenario.json", text, ScenarioFormat::Json, mode, None) {
        Ok(checked) => format!("ok {}", checked.spec_hash.value),
        Err(diagnostic) => diagnostic.to_string(),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn all_builtins_config(dir: &Path) -> PathBuf {
    let providers: String = ["time", "env", "json", "http"]
        .iter()
        .map(|name| format!("[[providers]]\nname = \"{name}\"\ntype = \"builtin\"\n\n"))
        .collect();
    write(dir, "decision-gate.toml", &providers)
}

#[test]
fn every_example_validates_and_prints_its_spec_hash() {
    let dir = tempfile::tempdir().unwrap();
    let config = all_builtins_config(dir.path());
    for name in EXAMPLES {
        let path = example(name);
        let expected = parse_spec_json(&std::fs::read_to_string(&path).unwrap()).unwrap().spec_hash().unwrap();
        let run = cli(&["scenario", "validate", "--input", arg(&path)]);
        assert_eq!(run.outcome(), Outcome::Success, "{name}: {}", run.err);
        assert_eq!(run.out, format!("ok {}\n", expected.value), "{name}");
        let run = cli(&["authoring", "validate", "--input", arg(&path), "--config", arg(&config)]);
        assert_eq!(run.outcome(), Outcome::Success, "{name} against the built-in contracts: {}", run.err);
    }
}

#[test]
fn the_base_spec_is_valid() {
    assert!(lint(BASE).starts_with("ok "), "{}", lint(BASE));
}

#[test]
fn syntax_errors_carry_serde_positions() {
    let broken = BASE.replace("\"spec_version\": \"1\",", "\"spec_version\": \"1\"");
    assert_eq!(lint(&broken), "scenario.json:5:3: expected `,` or `}`");
    assert_eq!(lint(""), "scenario.json:1:1: EOF while parsing a value");
}

#[test]
fn decode_errors_point_at_the_offending_value() {
    let zero = BASE.replace("\"namespace_id\": 1", "\"namespace_id\": 0");
    let message = lint(&zero);
    assert!(message.starts_with("scenario.json:3:19: invalid value: integer `0`"), "{message}");

    let comparator = BASE.replacen("\"comparator\": \"equals\"", "\"comparator\": \"equalz\"", 1);
    let message = lint(&comparator);
    assert!(message.starts_with("scenario.json:8:") && message.contains("unknown variant `equalz`"), "{message}");

    let missing = BASE.replace("      \"on_timeout\": \"fail\"\n    },\n    {", "      \"x\": 1\n    },\n    {");
    let message = lint(&missing);
    assert!(message.starts_with("scenario.json:12:5: missing field `on_timeout`"), "{message}");

    let kind = BASE.replace("{\"kind\": \"terminal\"}", "{\"kind\": \"sideways\"}");
    let message = lint(&kind);
    assert!(message.starts_with("scenario.json:23:") && message.contains("sideways"), "{message}");
}

#[test]
fn semantic_errors_point_at_the_offending_id() {
    let duplicate = BASE.replace("\"stage_id\": \"b\"", "\"stage_id\": \"a\"");
    assert_eq!(lint(&duplicate), "scenario.json:20:19: duplicate stage id: a");

    let condition = BASE.replace("\"condition_id\": \"c2\"", "\"condition_id\": \"c1\"");
    assert_eq!(lint(&condition), "scenario.json:9:22: duplicate condition id: c1");

    let missing = BASE.replace("{\"Condition\": \"c2\"}", "{\"Condition\": \"c9\"}");
    assert_eq!(lint(&missing), "scenario.json:15:94: missing condition: c9");

    let target = BASE.replace("{\"kind\": \"linear\"}", "{\"kind\": \"fixed\", \"stage_id\": \"zz\"}");
    assert_eq!(lint(&target), "scenario.json:16:51: missing branch target: zz");

    let provider = BASE.replacen("\"provider_id\": \"time\"", "\"provider_id\": \" \"", 1);
    assert_eq!(lint(&provider), "scenario.json:8:53: invalid evidence query for condition c1: provider_id is empty");

    let no_stages = BASE[..BASE.find(",\n  \"stages\"").unwrap()].to_owned() + ",\n  \"stages\": []\n}";
    assert_eq!(lint(&no_stages), "scenario.json:11:13: scenario has no stages");
}

#[test]
fn strict_structure_checks_and_permissive_mode() {
    let group = BASE.replace(
        "{\"And\": [{\"Condition\": \"c1\"}, {\"Condition\": \"c2\"}]}",
        "{\"RequireGroup\": {\"min\": 3, \"reqs\": [{\"Condition\": \"c1\"}, {\"Condition\": \"c2\"}]}}",
    );
    let message = lint(&group);
    assert!(message.starts_with("scenario.json:15:50: gate g1: "), "{message}");
    assert!(lint_mode(&group, ValidationMode::Permissive).starts_with("ok "));

    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "group.json", &group);
    let strict = cli(&["scenario", "validate", "--input", arg(&path), "--strict"]);
    assert_eq!(strict.outcome(), Outcome::Failure);
    assert!(strict.err.starts_with(&format!("{}:15:50: gate g1", path.display())), "{}", strict.err);
    assert!(strict.out.is_empty());
    let permissive = cli(&["scenario", "validate", "--input", arg(&path), "--permissive"]);
    assert_eq!(permissive.outcome(), Outcome::Success);
    assert!(cli_rejects(&["scenario", "validate", "--input", "x", "--strict", "--permissive"]));
}

fn cli_rejects(args: &[&str]) -> bool {
    use clap::Parser;
    crate::cli::Cli::try_parse_from(std::iter::once("decision-gate").chain(args.iter().copied())).is_err()
}

#[test]
fn nesting_deeper_than_64_is_refused_with_a_position() {
    let deep = format!("{}1{}", "[".repeat(65), "]".repeat(65));
    assert_eq!(lint(&deep), "scenario.json:1:65: nesting depth exceeds 64");
    let ok_depth = format!("{}1{}", "[".repeat(64), "]".repeat(64));
    assert!(lint(&ok_depth).contains("invalid type"), "64 levels parse; decoding then fails");
    assert!(lint(&"[".repeat(100_000)).contains("recursion limit exceeded"), "serde_json's own guard");
}

#[test]
fn oversized_and_non_utf8_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let big = oversized(dir.path(), "big.json", MAX_INPUT_BYTES);
    assert!(cli(&["scenario", "validate", "--input", arg(&big)]).error().contains("Refusing to read"));
    assert!(cli(&["scenario", "normalize", "--input", arg(&big)]).error().contains("Refusing to read"));
    let path = dir.path().join("latin1.json");
    std::fs::write(&path, b"{\n  \"scenario_id\": \"caf\xe9\"\n}").unwrap();
    let run = cli(&["scenario", "validate", "--input", arg(&path)]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert_eq!(run.err, format!("{}:2:22: file is not valid UTF-8\n", path.display()));
}

#[test]
fn contract_checks_with_a_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = all_builtins_config(dir.path());
    let unknown =
        write(dir.path(), "unknown.json", &BASE.replacen("\"provider_id\": \"time\"", "\"provider_id\": \"nope\"", 1));
    let run = cli(&["scenario", "validate", "--input", arg(&unknown), "--config", arg(&config)]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert!(run.err.contains(":8:53: condition c1: provider_missing: "), "{}", run.err);
    // Without a configuration: the zero-configuration profile's built-in contracts, offline.
    let run = cli(&["scenario", "validate", arg(&unknown)]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert!(run.err.contains(":8:53: condition c1: provider_missing: "), "{}", run.err);
    let base = write(dir.path(), "base.json", BASE);
    assert_eq!(cli(&["scenario", "validate", arg(&base)]).outcome(), Outcome::Success);

    let comparator = write(
        dir.path(),
        "comparator.json",
        &BASE.replacen("\"comparator\": \"equals\"", "\"comparator\": \"contains\"", 1),
    );
    let run = cli(&["scenario", "validate", "--input", arg(&comparator), "--config", arg(&config)]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert!(run.err.contains(":8:") && run.err.contains("c1"), "{}", run.err);
}

#[test]
fn unknown_keys_are_errors_in_strict_mode_only() {
    let dir = tempfile::tempdir().unwrap();
    let misspelled = write(
        dir.path(),
        "typo.json",
        &BASE.replacen("\"comparator\"", "\"comparater\"", 1).replacen(
            "\"comparater\": \"equals\"",
            "\"comparater\": \"equals\", \"comparator\": \"equals\"",
            1,
        ),
    );
    let run = cli(&["scenario", "validate", arg(&misspelled)]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert!(run.err.contains(": unknown key `comparater` at /conditions/0/comparater"), "{}", run.err);
    assert!(run.err.starts_with(&format!("{}:8:", misspelled.display())), "{}", run.err);
    let run = cli(&["scenario", "validate", "--permissive", arg(&misspelled)]);
    assert_eq!(run.outcome(), Outcome::Success, "permissive mode keeps Decision Gate OSS's leniency: {}", run.err);
}

#[test]
fn normalize_prints_the_bytes_of_the_spec_hash() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "s.json", BASE);
    let run = cli(&["scenario", "normalize", "--input", arg(&input)]);
    assert_eq!(run.outcome(), Outcome::Success);
    let spec = parse_spec_json(BASE).unwrap();
    assert_eq!(run.out.trim_end().as_bytes(), decision_gate_core::hashing::to_canonical_vec(&spec).unwrap());

    let output = dir.path().join("normalized.json");
    let run = cli(&["scenario", "normalize", "--input", arg(&input), "--output", arg(&output)]);
    assert_eq!(run.outcome(), Outcome::Success);
    assert!(run.out.is_empty());
    assert_eq!(HashDigest::sha256(&std::fs::read(&output).unwrap()), spec.spec_hash().unwrap());

    let broken = write(dir.path(), "broken.json", &BASE.replace("\"stage_id\": \"b\"", "\"stage_id\": \"a\""));
    let run = cli(&["scenario", "normalize", "--input", arg(&broken)]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert!(run.err.ends_with(":20:19: duplicate stage id: a\n"), "{}", run.err);
}
