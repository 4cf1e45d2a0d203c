//! Provider contracts: what a provider offers, as data (mcp-surface §10.4).
//!
//! A contract lists a provider's checks with their parameter and result schemas, the
//! comparators a condition may use with them, and descriptive metadata. Built-in contracts are
//! compiled in (`builtin_contracts`); external providers ship theirs as a JSON file named by
//! `capabilities_path`. Every contract is validated the same way and hashed as canonical JSON.

use std::fmt;
use std::io::Read;
use std::path::{Component, Path};

use decision_gate_core::comparator::Comparator;
use decision_gate_core::hashing::{HashDigest, hash_canonical_limited};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest external contract file accepted (1 MiB).
pub const MAX_CONTRACT_FILE_BYTES: u64 = 1_048_576;
/// Largest canonical contract that is hashed (1 MiB).
pub const MAX_CONTRACT_CANONICAL_BYTES: usize = 1_048_576;
/// Longest contract path, in characters.
pub const MAX_CONTRACT_PATH_CHARS: usize = 4096;
/// Longest single component of a contract path, in characters.
pub const MAX_CONTRACT_PATH_COMPONENT_CHARS: usize = 255;

/// How a provider is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderTransport {
    /// Compiled into the server (`time`, `env`, `json`, `http`).
    Builtin,
    /// An external MCP server.
    Mcp,
}

impl ProviderTransport {
    /// The wire label (`builtin` or `mcp`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderTransport::Builtin => "builtin",
            ProviderTransport::Mcp => "mcp",
        }
    }
}

/// How repeatable a check's answer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Determinism {
    /// The same inputs always give the same answer.
    Deterministic,
    /// The answer depends on the trigger time (but not on the host clock).
    TimeDependent,
    /// The answer depends on state outside the server (files, environment, network).
    External,
}

/// One worked example of a check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckExample {
    /// What the example shows.
    pub description: String,
    /// Parameters of the query.
    pub params: Value,
    /// The value the check would return.
    pub result: Value,
}

/// The contract of one check of a provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckContract {
    /// Check id, unique within the provider.
    pub check_id: String,
    /// What the check answers.
    pub description: String,
    /// How repeatable the answer is.
    pub determinism: Determinism,
    /// Whether a query must carry `params`.
    pub params_required: bool,
    /// JSON Schema (draft 2020-12) of `params`.
    pub params_schema: Value,
    /// JSON Schema (draft 2020-12) of the returned value.
    pub result_schema: Value,
    /// Comparators a condition may use, in canonical order.
    pub allowed_comparators: Vec<Comparator>,
    /// Anchor types the check may attach.
    #[serde(default)]
    pub anchor_types: Vec<String>,
    /// Content types the check may report.
    #[serde(default)]
    pub content_types: Vec<String>,
    /// Worked examples.
    #[serde(default)]
    pub examples: Vec<CheckExample>,
}

/// The contract of a provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderContract {
    /// Provider id (the `[[providers]].name` it is registered under).
    pub provider_id: String,
    /// Human-readable name.
    pub name: String,
    /// What the provider does.
    pub description: String,
    /// How the provider is reached.
    pub transport: ProviderTransport,
    /// JSON Schema of the provider's `config` table (`null` when it takes none).
    #[serde(default)]
    pub config_schema: Value,
    /// The checks, in the provider's order.
    pub checks: Vec<CheckContract>,
    /// Free-form remarks.
    #[serde(default)]
    pub notes: Vec<String>,
}

impl ProviderContract {
    /// Looks up a check by id.
    pub fn check(&self, check_id: &str) -> Option<&CheckContract> {
        self.checks.iter().find(|check| check.check_id == check_id)
    }
}

/// Where a registered contract came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractSource {
    /// Compiled into the server.
    Builtin,
    /// Read from a `capabilities_path` file.
    File,
}

/// A validated contract with its hash, as held by the capability registry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegisteredContract {
    /// The contract.
    pub contract: ProviderContract,
    /// SHA-256 of the canonical contract.
    pub contract_hash: HashDigest,
    /// Where it came from.
    pub source: ContractSource,
}

/// Machine-readable code of a [`CapabilityError`] (mcp-surface §10.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CapabilityCode {
    /// The condition or query names an unknown provider.
    ProviderMissing,
    /// The provider has no such check.
    CheckMissing,
    /// The check requires `params` and none were given.
    ParamsMissing,
    /// `params` do not match the check's params schema.
    ParamsInvalid,
    /// `expected` does not fit the comparator and the check's result schema.
    ExpectedInvalid,
    /// The comparator is not in the check's `allowed_comparators`.
    ComparatorNotAllowed,
    /// No contract is available for a configured provider.
    ContractMissing,
    /// The contract file could not be read.
    ContractReadFailed,
    /// The contract file is not a valid contract document.
    ContractParseFailed,
    /// The contract breaks a contract rule.
    ContractInvalid,
    /// The contract path is not acceptable.
    ContractPathInvalid,
    /// Two providers share an id.
    DuplicateProvider,
    /// A params or result schema does not compile.
    SchemaCompileFailed,
    /// The contract could not be hashed.
    ContractHashFailed,
}

impl CapabilityCode {
    /// The wire label.
    pub fn as_str(self) -> &'static str {
        match self {
            CapabilityCode::ProviderMissing => "provider_missing",
            CapabilityCode::CheckMissing => "check_missing",
            CapabilityCode::ParamsMissing => "params_missing",
            CapabilityCode::ParamsInvalid => "params_invalid",
            CapabilityCode::ExpectedInvalid => "expected_invalid",
            CapabilityCode::ComparatorNotAllowed => "comparator_not_allowed",
            CapabilityCode::ContractMissing => "contract_missing",
            CapabilityCode::ContractReadFailed => "contract_read_failed",
            CapabilityCode::ContractParseFailed => "contract_parse_failed",
            CapabilityCode::ContractInvalid => "contract_invalid",
            CapabilityCode::ContractPathInvalid => "contract_path_invalid",
            CapabilityCode::DuplicateProvider => "duplicate_provider",
            CapabilityCode::SchemaCompileFailed => "schema_compile_failed",
            CapabilityCode::ContractHashFailed => "contract_hash_failed",
        }
    }
}

impl fmt::Display for CapabilityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A capability or contract failure, displayed as `"<code>: <message>"`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CapabilityError {
    /// The code.
    pub code: CapabilityCode,
    /// Human-readable detail (disclosed to clients for spec and query validation).
    pub message: String,
}

impl CapabilityError {
    /// Builds an error.
    pub fn new(code: CapabilityCode, message: impl Into<String>) -> Self {
        CapabilityError { code, message: message.into() }
    }
}

/// Compiles a JSON Schema as draft 2020-12 with format assertions on.
///
/// The `jsonschema` crate is built without its resolver features, so any remote or file
/// `$ref` fails to compile instead of being fetched.
pub(crate) fn compile_schema(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .map_err(|err| err.to_string())
}

/// Validates `instance`, joining up to eight violation messages with `"; "`.
pub(crate) fn schema_violations(validator: &jsonschema::Validator, instance: &Value) -> Result<(), String> {
    let messages: Vec<String> = validator.iter_errors(instance).take(8).map(|err| err.to_string()).collect();
    if messages.is_empty() { Ok(()) } else { Err(messages.join("; ")) }
}

/// Checks every contract rule except schema compilation, which the registry does once and
/// keeps (see [`validate_contract`] for the full check).
pub(crate) fn check_contract_shape(contract: &ProviderContract) -> Result<(), CapabilityError> {
    let invalid = |message: String| CapabilityError::new(CapabilityCode::ContractInvalid, message);
    let id = &contract.provider_id;
    if id.is_empty() || id.trim() != id {
        return Err(invalid(format!("provider_id {id:?} must be non-empty without surrounding whitespace")));
    }
    if contract.name.trim().is_empty() {
        return Err(invalid(format!("provider {id}: name must not be blank")));
    }
    if contract.checks.is_empty() {
        return Err(invalid(format!("provider {id}: the contract declares no checks")));
    }
    let mut seen = std::collections::BTreeSet::new();
    for check in &contract.checks {
        let check_id = &check.check_id;
        if check_id.is_empty() || check_id.trim() != check_id {
            return Err(invalid(format!("provider {id}: check id {check_id:?} must be non-empty and trimmed")));
        }
        if !seen.insert(check_id.as_str()) {
            return Err(invalid(format!("provider {id}: check {check_id} is declared twice")));
        }
        if check.allowed_comparators.is_empty() {
            return Err(invalid(format!("provider {id}: check {check_id} allows no comparator")));
        }
        if !check.allowed_comparators.windows(2).all(|pair| pair[0] < pair[1]) {
            return Err(invalid(format!(
                "provider {id}: check {check_id} must list allowed_comparators once each in canonical order"
            )));
        }
    }
    Ok(())
}

/// Compiles one schema of a check, reporting `schema_compile_failed`.
pub(crate) fn compile_check_schema(
    provider_id: &str,
    check_id: &str,
    which: &str,
    schema: &Value,
) -> Result<jsonschema::Validator, CapabilityError> {
    compile_schema(schema).map_err(|err| {
        CapabilityError::new(
            CapabilityCode::SchemaCompileFailed,
            format!("provider {provider_id}: check {check_id}: {which} does not compile: {err}"),
        )
    })
}

/// Validates a contract: shape rules, then every params and result schema compiles as
/// draft 2020-12.
pub fn validate_contract(contract: &ProviderContract) -> Result<(), CapabilityError> {
    check_contract_shape(contract)?;
    for check in &contract.checks {
        compile_check_schema(&contract.provider_id, &check.check_id, "params_schema", &check.params_schema)?;
        compile_check_schema(&contract.provider_id, &check.check_id, "result_schema", &check.result_schema)?;
    }
    Ok(())
}

/// SHA-256 of the canonical JSON of a contract (at most 1 MiB canonical).
pub fn contract_hash(contract: &ProviderContract) -> Result<HashDigest, CapabilityError> {
    hash_canonical_limited(contract, MAX_CONTRACT_CANONICAL_BYTES).map_err(|err| {
        CapabilityError::new(
            CapabilityCode::ContractHashFailed,
            format!("provider {}: contract cannot be hashed: {err}", contract.provider_id),
        )
    })
}

/// Checks the shape of a contract path: non-blank, at most 4096 characters, every component
/// at most 255 characters.
pub fn check_contract_path(path: &Path) -> Result<(), CapabilityError> {
    let invalid = |message: String| CapabilityError::new(CapabilityCode::ContractPathInvalid, message);
    let text = path.to_string_lossy();
    if text.trim().is_empty() {
        return Err(invalid("capabilities_path must not be blank".to_owned()));
    }
    if text.chars().count() > MAX_CONTRACT_PATH_CHARS {
        return Err(invalid(format!("capabilities_path exceeds {MAX_CONTRACT_PATH_CHARS} characters")));
    }
    for component in path.components() {
        if let Component::Normal(part) = component
            && part.to_string_lossy().chars().count() > MAX_CONTRACT_PATH_COMPONENT_CHARS
        {
            return Err(invalid(format!(
                "capabilities_path has a component longer than {MAX_CONTRACT_PATH_COMPONENT_CHARS} characters"
            )));
        }
    }
    Ok(())
}

/// Reads and parses the contract file of an external provider and checks its identity.
///
/// The file must hold at most 1 MiB of JSON; its `provider_id` must equal `expected_id` (the
/// configured provider name) and its transport must be `mcp`. The remaining contract rules
/// ([`validate_contract`]) are applied when the contract is registered.
pub fn load_contract_file(path: &Path, expected_id: &str) -> Result<ProviderContract, CapabilityError> {
    check_contract_path(path)?;
    let shown = path.display();
    let read_failed =
        |detail: String| CapabilityError::new(CapabilityCode::ContractReadFailed, format!("{shown}: {detail}"));
    // Checked before opening: opening a FIFO would block startup.
    let kind = std::fs::metadata(path).map_err(|err| read_failed(format!("cannot open contract file: {err}")))?;
    if !kind.is_file() {
        return Err(read_failed("contract path is not a regular file".to_owned()));
    }
    let file = std::fs::File::open(path).map_err(|err| read_failed(format!("cannot open contract file: {err}")))?;
    let metadata = file.metadata().map_err(|err| read_failed(format!("cannot inspect contract file: {err}")))?;
    if !metadata.is_file() {
        return Err(read_failed("contract path is not a regular file".to_owned()));
    }
    if metadata.len() > MAX_CONTRACT_FILE_BYTES {
        return Err(read_failed(format!("contract file exceeds {MAX_CONTRACT_FILE_BYTES} bytes")));
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONTRACT_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| read_failed(format!("cannot read contract file: {err}")))?;
    if bytes.len() as u64 > MAX_CONTRACT_FILE_BYTES {
        return Err(read_failed(format!("contract file exceeds {MAX_CONTRACT_FILE_BYTES} bytes")));
    }
    let contract: ProviderContract = serde_json::from_slice(&bytes).map_err(|err| {
        CapabilityError::new(CapabilityCode::ContractParseFailed, format!("{shown}: not a provider contract: {err}"))
    })?;
    if contract.provider_id != expected_id {
        return Err(CapabilityError::new(
            CapabilityCode::ContractInvalid,
            format!(
                "{shown}: provider_id {:?} does not match the configured name {expected_id:?}",
                contract.provider_id
            ),
        ));
    }
    if contract.transport != ProviderTransport::Mcp {
        return Err(CapabilityError::new(
            CapabilityCode::ContractInvalid,
            format!("{shown}: an external provider contract must declare transport \"mcp\""),
        ));
    }
    Ok(contract)
}
