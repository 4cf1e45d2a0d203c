//! Contracts: built-in data, hashing, external contract files.

use std::path::PathBuf;

use decision_gate_core::comparator::Comparator;
use serde_json::{Value, json};

use super::support::builtin_registry;
use crate::config::{DecisionGateConfig, ProviderConfig, ProviderType};
use crate::providers::builtin_contracts::{BUILTIN_PROVIDER_IDS, builtin_contract, builtin_contracts};
use crate::providers::contracts::{
    compile_schema, contract_hash, load_contract_file, schema_violations, validate_contract,
};
use crate::providers::{
    CapabilityCode, CapabilityRegistry, ContractSource, Determinism, ProviderContract, ProviderTransport,
};

#[test]
fn builtin_contracts_validate_and_their_examples_fit() {
    let contracts = builtin_contracts();
    let ids: Vec<&str> = contracts.iter().map(|contract| contract.provider_id.as_str()).collect();
    assert_eq!(ids, BUILTIN_PROVIDER_IDS);
    for contract in &contracts {
        validate_contract(contract).unwrap();
        assert_eq!(contract.transport, ProviderTransport::Builtin);
        compile_schema(&contract.config_schema).unwrap();
        for check in &contract.checks {
            let params = compile_schema(&check.params_schema).unwrap();
            let result = compile_schema(&check.result_schema).unwrap();
            assert!(!check.examples.is_empty());
            for example in &check.examples {
                schema_violations(&params, &example.params).unwrap();
                schema_violations(&result, &example.result).unwrap();
            }
        }
    }
}

#[test]
fn builtin_contract_facts() {
    type Row<'a> = (&'a str, &'a str, bool, Determinism, Vec<&'a str>, usize);
    let table: Vec<Row<'_>> = vec![
        ("time", "now", false, Determinism::TimeDependent, vec!["trigger_time_unix_millis", "trigger_time_logical"], 9),
        (
            "time",
            "after",
            true,
            Determinism::TimeDependent,
            vec!["trigger_time_unix_millis", "trigger_time_logical"],
            5,
        ),
        (
            "time",
            "before",
            true,
            Determinism::TimeDependent,
            vec!["trigger_time_unix_millis", "trigger_time_logical"],
            5,
        ),
        ("env", "get", true, Determinism::External, vec!["env"], 6),
        ("json", "path", true, Determinism::External, vec!["file_path_rooted"], 16),
        ("http", "status", true, Determinism::External, vec!["url"], 9),
        ("http", "body_hash", true, Determinism::External, vec!["url"], 2),
    ];
    let registry = builtin_registry();
    for (provider, check_id, required, determinism, anchors, comparators) in table {
        let check = registry.check(provider, check_id).unwrap();
        assert_eq!(check.params_required, required, "{provider}.{check_id}");
        assert_eq!(check.determinism, determinism);
        assert_eq!(check.anchor_types, anchors);
        assert_eq!(check.allowed_comparators.len(), comparators);
    }
    let after = registry.check("time", "after").unwrap();
    assert_eq!(
        after.allowed_comparators,
        [Comparator::Equals, Comparator::NotEquals, Comparator::InSet, Comparator::Exists, Comparator::NotExists]
    );
    assert_eq!(registry.check("json", "path").unwrap().allowed_comparators, Comparator::ALL);
    assert_eq!(
        registry.check("env", "get").unwrap().result_schema,
        json!({"oneOf": [{"type": "string"}, {"type": "null"}]})
    );
}

#[test]
fn contract_hashes_are_stable() {
    for contract in builtin_contracts() {
        let first = contract_hash(&contract).unwrap();
        let reparsed: ProviderContract =
            serde_json::from_str(&serde_json::to_string_pretty(&contract).unwrap()).unwrap();
        assert_eq!(contract_hash(&reparsed).unwrap(), first, "{}", contract.provider_id);
        assert_eq!(first.value.len(), 64);
        let registered = builtin_registry();
        assert_eq!(registered.contract(&contract.provider_id).unwrap().contract_hash, first);
        assert_eq!(registered.contract(&contract.provider_id).unwrap().source, ContractSource::Builtin);
    }
    let mut changed = builtin_contract("time").unwrap();
    changed.notes.push("extra".to_owned());
    assert_ne!(contract_hash(&changed).unwrap(), contract_hash(&builtin_contract("time").unwrap()).unwrap());
}

fn external_contract(provider_id: &str) -> Value {
    json!({
        "provider_id": provider_id,
        "name": "Asset reader",
        "description": "Reads asset facts.",
        "transport": "mcp",
        "config_schema": null,
        "checks": [{
            "check_id": "count",
            "description": "Number of assets.",
            "determinism": "external",
            "params_required": false,
            "params_schema": {"type": "object"},
            "result_schema": {"type": "integer"},
            "allowed_comparators": ["equals", "greater_than", "exists"],
            "anchor_types": [],
            "content_types": ["application/json"],
            "examples": []
        }],
        "notes": []
    })
}

fn write(dir: &tempfile::TempDir, name: &str, body: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    path
}

fn load_code(path: &std::path::Path, expected: &str) -> CapabilityCode {
    load_contract_file(path, expected).unwrap_err().code
}

fn register_code(contract: Value) -> CapabilityCode {
    let contract: ProviderContract = serde_json::from_value(contract).unwrap();
    CapabilityRegistry::from_contracts([(contract, ContractSource::File)]).unwrap_err().code
}

#[test]
fn external_contract_files_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(&dir, "good.json", external_contract("assets").to_string().as_bytes());
    let contract = load_contract_file(&good, "assets").unwrap();
    let registry = CapabilityRegistry::from_contracts([(contract, ContractSource::File)]).unwrap();
    assert_eq!(registry.contract("assets").unwrap().source, ContractSource::File);

    assert_eq!(load_code(&dir.path().join("absent.json"), "assets"), CapabilityCode::ContractReadFailed);
    assert_eq!(load_code(dir.path(), "assets"), CapabilityCode::ContractReadFailed);
    let huge = write(&dir, "huge.json", &vec![b' '; 1_048_577]);
    assert_eq!(load_code(&huge, "assets"), CapabilityCode::ContractReadFailed);
    let garbage = write(&dir, "garbage.json", b"{not json");
    assert_eq!(load_code(&garbage, "assets"), CapabilityCode::ContractParseFailed);
    let mut unknown_field = external_contract("assets");
    unknown_field["checks"][0]["allowed_comparator"] = json!(["equals"]);
    let unknown = write(&dir, "unknown.json", unknown_field.to_string().as_bytes());
    assert_eq!(load_code(&unknown, "assets"), CapabilityCode::ContractParseFailed);
    let mut bad_comparator = external_contract("assets");
    bad_comparator["checks"][0]["allowed_comparators"] = json!(["equals", "approximately"]);
    let bad = write(&dir, "bad-comparator.json", bad_comparator.to_string().as_bytes());
    assert_eq!(load_code(&bad, "assets"), CapabilityCode::ContractParseFailed);
    assert_eq!(load_code(&good, "other"), CapabilityCode::ContractInvalid);
    let mut builtin_transport = external_contract("assets");
    builtin_transport["transport"] = json!("builtin");
    let builtin = write(&dir, "builtin.json", builtin_transport.to_string().as_bytes());
    assert_eq!(load_code(&builtin, "assets"), CapabilityCode::ContractInvalid);

    let long_path = PathBuf::from("a/".repeat(2049));
    assert_eq!(load_code(&long_path, "assets"), CapabilityCode::ContractPathInvalid);
    let long_component = dir.path().join("c".repeat(256));
    assert_eq!(load_code(&long_component, "assets"), CapabilityCode::ContractPathInvalid);
    assert_eq!(load_code(std::path::Path::new("  "), "assets"), CapabilityCode::ContractPathInvalid);
}

#[test]
fn contract_rules_are_enforced_at_registration() {
    let mut unordered = external_contract("assets");
    unordered["checks"][0]["allowed_comparators"] = json!(["greater_than", "equals"]);
    assert_eq!(register_code(unordered), CapabilityCode::ContractInvalid);
    let mut repeated = external_contract("assets");
    repeated["checks"][0]["allowed_comparators"] = json!(["equals", "equals"]);
    assert_eq!(register_code(repeated), CapabilityCode::ContractInvalid);
    let mut empty = external_contract("assets");
    empty["checks"][0]["allowed_comparators"] = json!([]);
    assert_eq!(register_code(empty), CapabilityCode::ContractInvalid);
    let mut no_checks = external_contract("assets");
    no_checks["checks"] = json!([]);
    assert_eq!(register_code(no_checks), CapabilityCode::ContractInvalid);
    let mut twice = external_contract("assets");
    let check = twice["checks"][0].clone();
    twice["checks"].as_array_mut().unwrap().push(check);
    assert_eq!(register_code(twice), CapabilityCode::ContractInvalid);
    let mut bad_schema = external_contract("assets");
    bad_schema["checks"][0]["result_schema"] = json!({"type": 5});
    assert_eq!(register_code(bad_schema), CapabilityCode::SchemaCompileFailed);
    let mut remote = external_contract("assets");
    remote["checks"][0]["params_schema"] = json!({"$ref": "https://example.com/schema.json"});
    assert_eq!(register_code(remote), CapabilityCode::SchemaCompileFailed);
    let mut oversized = external_contract("assets");
    oversized["notes"] = json!(["x".repeat(1_048_576)]);
    assert_eq!(register_code(oversized), CapabilityCode::ContractHashFailed);
    let contract: ProviderContract = serde_json::from_value(external_contract("assets")).unwrap();
    let duplicate = CapabilityRegistry::from_contracts([
        (contract.clone(), ContractSource::File),
        (contract, ContractSource::File),
    ]);
    assert_eq!(duplicate.unwrap_err().code, CapabilityCode::DuplicateProvider);
}

fn config_with(providers: Vec<ProviderConfig>) -> DecisionGateConfig {
    DecisionGateConfig { providers, ..DecisionGateConfig::default() }
}

#[test]
fn registry_from_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "assets.json", external_contract("assets").to_string().as_bytes());
    let mut external = ProviderConfig::builtin("assets");
    external.provider_type = ProviderType::Mcp;
    external.capabilities_path = Some(path.clone());
    let config = config_with(vec![ProviderConfig::builtin("time"), external.clone(), ProviderConfig::builtin("env")]);
    let registry = CapabilityRegistry::from_config(&config).unwrap();
    let listed = serde_json::to_value(registry.providers_list()).unwrap();
    assert_eq!(
        listed,
        json!([
            {"provider_id": "assets", "transport": "mcp", "checks": ["count"]},
            {"provider_id": "env", "transport": "builtin", "checks": ["get"]},
            {"provider_id": "time", "transport": "builtin", "checks": ["now", "after", "before"]}
        ])
    );
    assert!(!registry.contains("json"), "unlisted built-ins do not exist");
    assert_eq!(registry.contract("json").unwrap_err().code, CapabilityCode::ProviderMissing);
    assert_eq!(registry.check("time", "later").unwrap_err().code, CapabilityCode::CheckMissing);

    let code = |providers| CapabilityRegistry::from_config(&config_with(providers)).unwrap_err().code;
    assert_eq!(
        code(vec![ProviderConfig::builtin("time"), ProviderConfig::builtin("time")]),
        CapabilityCode::DuplicateProvider
    );
    assert_eq!(code(vec![ProviderConfig::builtin("clock")]), CapabilityCode::ContractMissing);
    let mut with_path = ProviderConfig::builtin("time");
    with_path.capabilities_path = Some(path);
    assert_eq!(code(vec![with_path]), CapabilityCode::ContractInvalid);
    let mut no_path = external;
    no_path.capabilities_path = None;
    assert_eq!(code(vec![no_path]), CapabilityCode::ContractMissing);
    let err = CapabilityRegistry::from_config(&config_with(vec![ProviderConfig::builtin("clock")])).unwrap_err();
    assert!(err.to_string().starts_with("contract_missing: "), "{err}");
}

/// Pinned contract hashes: any change to a built-in contract (data or wording) must be
/// deliberate, because clients may cache contracts by hash.
#[test]
fn builtin_contract_hashes_are_pinned() {
    let pinned = [
        ("time", "21957e5bb2b9c4eb20b6fde9c1a674408ff1684cbddeda0d63e06783f9a253b1"),
        ("env", "9f63190395028654d054908b8aa5b5184425ba1bb5596f058dde414cd5fe3a7f"),
        ("json", "324ce1c97e657bea23156f425753a05d6c4c25702fcd084e855ea24b78cca968"),
        ("http", "0f1b89e41ecbaacb046f95263db52f7730ca985d697cdf747ffc3d27da4b5cd9"),
    ];
    for (provider_id, hash) in pinned {
        assert_eq!(contract_hash(&builtin_contract(provider_id).unwrap()).unwrap().value, hash, "{provider_id}");
    }
}
