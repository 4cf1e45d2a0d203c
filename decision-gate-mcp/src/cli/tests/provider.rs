//! `provider list`, `provider contract get`, `provider check-schema get`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Outcome, arg, cli};
use crate::cli::provider::{ListFormat, check_schema_get, contract_get, provider_list};
use crate::config::zero_config_in;

const PROVIDERS: &str =
    "[[providers]]\nname = \"time\"\ntype = \"builtin\"\n\n[[providers]]\nname = \"json\"\ntype = \"builtin\"\n";

fn config_file(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("decision-gate.toml");
    std::fs::write(&path, format!("{PROVIDERS}\n{extra}")).unwrap();
    path
}

fn canonical_line(text: &str) -> Value {
    let value: Value = serde_json::from_str(text).unwrap();
    let canonical = decision_gate_core::hashing::value_to_canonical_vec(&value);
    assert_eq!(text.as_bytes(), [canonical.as_slice(), b"\n"].concat(), "output is canonical JSON");
    value
}

#[test]
fn list_is_canonical_sorted_and_stable() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "");
    let first = cli(&["provider", "list", "--config", arg(&config)]);
    assert_eq!(first.outcome(), Outcome::Success);
    let value = canonical_line(&first.out);
    let ids: Vec<&str> =
        value["providers"].as_array().unwrap().iter().map(|p| p["provider_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["json", "time"]);
    assert_eq!(value["providers"][1]["transport"], "builtin");
    assert!(value["providers"][1]["checks"].as_array().unwrap().iter().any(|check| check == "after"));
    let second = cli(&["provider", "list", "--config", arg(&config)]);
    assert_eq!(first.out, second.out);

    let text = cli(&["provider", "list", "--config", arg(&config), "--format", "text"]);
    let lines: Vec<&str> = text.out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("json\tbuiltin\t") && lines[1].starts_with("time\tbuiltin\t"), "{lines:?}");
}

#[test]
fn the_zero_config_lists_the_four_builtins() {
    let dir = tempfile::tempdir().unwrap();
    let config = zero_config_in(dir.path());
    let value = canonical_line(&provider_list(&config, ListFormat::Json).unwrap());
    assert_eq!(value["providers"].as_array().unwrap().len(), 4);
}

#[test]
fn responses_are_capped_by_max_response_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = zero_config_in(dir.path());
    config.provider_discovery.max_response_bytes = 32;
    let error = provider_list(&config, ListFormat::Json).unwrap_err().to_string();
    assert!(error.contains("size limit"), "{error}");
    assert!(contract_get(&config, "time").unwrap_err().to_string().contains("size limit"));
    assert!(check_schema_get(&config, "time", "after").unwrap_err().to_string().contains("size limit"));
    let file = config_file(dir.path(), "[provider_discovery]\nmax_response_bytes = 10\n");
    assert!(cli(&["provider", "list", "--config", arg(&file)]).error().contains("size limit"));
}

#[test]
fn contract_get_prints_the_contract_and_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "");
    let run = cli(&["provider", "contract", "get", "--provider", "time", "--config", arg(&config)]);
    assert_eq!(run.outcome(), Outcome::Success);
    let value = canonical_line(&run.out);
    assert_eq!(value["provider_id"], "time");
    assert_eq!(value["source"], "builtin");
    assert_eq!(value["version"], Value::Null);
    assert_eq!(value["contract"]["provider_id"], "time");
    assert_eq!(value["contract_hash"]["algorithm"], "sha256");

    let missing = cli(&["provider", "contract", "get", "--provider", "nope", "--config", arg(&config)]).error();
    assert!(missing.contains("provider_missing"), "{missing}");
}

#[test]
fn check_schema_get_prints_one_check() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "");
    let run =
        cli(&["provider", "check-schema", "get", "--provider", "json", "--check-id", "path", "--config", arg(&config)]);
    assert_eq!(run.outcome(), Outcome::Success);
    let value = canonical_line(&run.out);
    assert_eq!(value["check_id"], "path");
    for key in ["params_schema", "result_schema", "allowed_comparators", "determinism", "examples", "contract_hash"] {
        assert!(value.get(key).is_some(), "{key} missing");
    }
    let missing =
        cli(&["provider", "check-schema", "get", "--provider", "json", "--check-id", "nope", "--config", arg(&config)]);
    assert!(missing.error().contains("check_missing"));
}

#[test]
fn discovery_allow_and_deny_lists_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "[provider_discovery]\ndenylist = [\"time\"]\n");
    let denied = cli(&["provider", "contract", "get", "--provider", "time", "--config", arg(&config)]).error();
    assert!(denied.contains("provider contract disclosure denied"), "{denied}");
    let denied = cli(&[
        "provider",
        "check-schema",
        "get",
        "--provider",
        "time",
        "--check-id",
        "after",
        "--config",
        arg(&config),
    ]);
    assert!(denied.error().contains("provider contract disclosure denied"));
    assert_eq!(
        cli(&["provider", "contract", "get", "--provider", "json", "--config", arg(&config)]).outcome(),
        Outcome::Success
    );

    let mut allow = zero_config_in(dir.path());
    allow.provider_discovery.allowlist = vec!["json".to_owned()];
    assert!(contract_get(&allow, "json").is_ok());
    assert!(contract_get(&allow, "time").unwrap_err().to_string().contains("disclosure denied"));
    // Denial comes first, even for unknown providers.
    assert!(contract_get(&allow, "unknown").unwrap_err().to_string().contains("disclosure denied"));
    // The list itself is not filtered.
    let listed = provider_list(&allow, ListFormat::Json).unwrap();
    assert!(listed.contains("\"time\""));
}
