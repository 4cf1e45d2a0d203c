//! The capability registry: every configured provider's validated contract with compiled
//! schemas, and spec/query validation against them (mcp-surface §10.4, §10.5).

use std::collections::BTreeMap;

use decision_gate_core::comparator::Comparator;
use decision_gate_core::spec::{ConditionSpec, EvidenceQuery, ScenarioSpec};
use serde::Serialize;
use serde_json::Value;

use super::builtin_contracts::builtin_contract;
use super::contracts::{
    CapabilityCode, CapabilityError, CheckContract, ContractSource, ProviderContract, ProviderTransport,
    RegisteredContract, check_contract_shape, compile_check_schema, contract_hash, load_contract_file,
    schema_violations,
};
use crate::config::{DecisionGateConfig, ProviderType};

/// One entry of `providers_list`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProviderSummary {
    /// Provider id.
    pub provider_id: String,
    /// `builtin` or `mcp`.
    pub transport: ProviderTransport,
    /// Check ids in contract order.
    pub checks: Vec<String>,
}

/// A check's compiled schemas.
struct CompiledCheck {
    /// Position of the check in the contract.
    index: usize,
    /// Validator of `params`.
    params: jsonschema::Validator,
    /// Validator of result values (and hence of `expected`).
    result: jsonschema::Validator,
}

/// A registered provider.
struct RegisteredProvider {
    /// The contract, its hash and source.
    registered: RegisteredContract,
    /// Compiled checks by id.
    checks: BTreeMap<String, CompiledCheck>,
}

/// Contracts of every configured provider, keyed by provider id.
///
/// Built from the `[[providers]]` list only: a built-in provider that is not listed does not
/// exist. Schemas are compiled once at construction.
pub struct CapabilityRegistry {
    /// Providers by id.
    providers: BTreeMap<String, RegisteredProvider>,
}

impl std::fmt::Debug for CapabilityRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapabilityRegistry").field("providers", &self.providers.keys().collect::<Vec<_>>()).finish()
    }
}

impl CapabilityRegistry {
    /// Builds the registry from the `[[providers]]` of a configuration.
    ///
    /// Built-in entries get their compiled-in contract (and must not set `capabilities_path`);
    /// `mcp` entries load theirs from `capabilities_path`. Errors carry the codes of
    /// mcp-surface §10.5 (`duplicate_provider`, `contract_missing`, `contract_read_failed`, …).
    pub fn from_config(config: &DecisionGateConfig) -> Result<Self, CapabilityError> {
        let mut contracts = Vec::with_capacity(config.providers.len());
        for provider in &config.providers {
            let entry = match provider.provider_type {
                ProviderType::Builtin => {
                    if provider.capabilities_path.is_some() {
                        return Err(CapabilityError::new(
                            CapabilityCode::ContractInvalid,
                            format!("built-in provider {} must not set capabilities_path", provider.name),
                        ));
                    }
                    let contract = builtin_contract(&provider.name).ok_or_else(|| {
                        CapabilityError::new(
                            CapabilityCode::ContractMissing,
                            format!("no built-in provider is named {:?}", provider.name),
                        )
                    })?;
                    (contract, ContractSource::Builtin)
                }
                ProviderType::Mcp => {
                    let path = provider.capabilities_path.as_deref().ok_or_else(|| {
                        CapabilityError::new(
                            CapabilityCode::ContractMissing,
                            format!("external provider {} needs capabilities_path", provider.name),
                        )
                    })?;
                    (load_contract_file(path, &provider.name)?, ContractSource::File)
                }
            };
            contracts.push(entry);
        }
        Self::from_contracts(contracts)
    }

    /// Builds a registry from contracts directly (embedding and tests). Each contract is
    /// validated, its schemas compiled and its hash computed; duplicate ids are rejected.
    pub fn from_contracts(
        contracts: impl IntoIterator<Item = (ProviderContract, ContractSource)>,
    ) -> Result<Self, CapabilityError> {
        let mut providers = BTreeMap::new();
        for (contract, source) in contracts {
            if providers.contains_key(&contract.provider_id) {
                return Err(CapabilityError::new(
                    CapabilityCode::DuplicateProvider,
                    format!("provider {} is configured more than once", contract.provider_id),
                ));
            }
            check_contract_shape(&contract)?;
            let mut checks = BTreeMap::new();
            for (index, check) in contract.checks.iter().enumerate() {
                let id = &contract.provider_id;
                let params = compile_check_schema(id, &check.check_id, "params_schema", &check.params_schema)?;
                let result = compile_check_schema(id, &check.check_id, "result_schema", &check.result_schema)?;
                checks.insert(check.check_id.clone(), CompiledCheck { index, params, result });
            }
            let contract_hash = contract_hash(&contract)?;
            let id = contract.provider_id.clone();
            providers.insert(
                id,
                RegisteredProvider { registered: RegisteredContract { contract, contract_hash, source }, checks },
            );
        }
        Ok(CapabilityRegistry { providers })
    }

    /// Every provider sorted by id, with its transport and check ids (`providers_list`).
    pub fn providers_list(&self) -> Vec<ProviderSummary> {
        self.providers
            .values()
            .map(|provider| {
                let contract = &provider.registered.contract;
                ProviderSummary {
                    provider_id: contract.provider_id.clone(),
                    transport: contract.transport,
                    checks: contract.checks.iter().map(|check| check.check_id.clone()).collect(),
                }
            })
            .collect()
    }

    /// Provider ids in sorted order.
    pub fn provider_ids(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }

    /// Whether a provider is registered.
    pub fn contains(&self, provider_id: &str) -> bool {
        self.providers.contains_key(provider_id)
    }

    /// The registered contract of a provider, or `provider_missing`.
    pub fn contract(&self, provider_id: &str) -> Result<&RegisteredContract, CapabilityError> {
        self.provider(provider_id).map(|provider| &provider.registered)
    }

    /// The contract of one check, or `provider_missing` / `check_missing`.
    pub fn check(&self, provider_id: &str, check_id: &str) -> Result<&CheckContract, CapabilityError> {
        self.compiled(provider_id, check_id).map(|(check, _)| check)
    }

    /// Validates every condition of a spec against the contracts, in spec order; the first
    /// failure is returned (mcp-surface §10.5).
    ///
    /// Per condition: provider exists (`provider_missing`), check exists (`check_missing`),
    /// params present when required (`params_missing`) and valid (`params_invalid`), expected
    /// value (`expected_invalid`: absent for `exists`/`not_exists`; for `in_set` an array whose
    /// every element fits the result schema; otherwise present and fitting), comparator listed
    /// in the contract (`comparator_not_allowed`).
    pub fn validate_spec(&self, spec: &ScenarioSpec) -> Result<(), CapabilityError> {
        spec.conditions.iter().try_for_each(|condition| self.validate_condition(condition))
    }

    /// Validates one query: provider and check exist, params present when required and valid.
    pub fn validate_query(&self, query: &EvidenceQuery) -> Result<(), CapabilityError> {
        let (check, compiled) = self.compiled(query.provider_id.as_str(), &query.check_id)?;
        validate_params(query, check, compiled)
    }

    fn validate_condition(&self, condition: &ConditionSpec) -> Result<(), CapabilityError> {
        let query = &condition.query;
        let (check, compiled) = self.compiled(query.provider_id.as_str(), &query.check_id)?;
        validate_params(query, check, compiled).map_err(|err| with_condition(err, condition))?;
        validate_expected(condition, compiled)?;
        if !check.allowed_comparators.contains(&condition.comparator) {
            return Err(CapabilityError::new(
                CapabilityCode::ComparatorNotAllowed,
                format!(
                    "condition {}: comparator {} is not allowed for {}.{}",
                    condition.condition_id, condition.comparator, query.provider_id, query.check_id
                ),
            ));
        }
        Ok(())
    }

    fn provider(&self, provider_id: &str) -> Result<&RegisteredProvider, CapabilityError> {
        self.providers.get(provider_id).ok_or_else(|| {
            CapabilityError::new(CapabilityCode::ProviderMissing, format!("provider {provider_id} is not registered"))
        })
    }

    /// A check's contract and compiled schemas, or `provider_missing` / `check_missing`.
    fn compiled(&self, provider_id: &str, check_id: &str) -> Result<(&CheckContract, &CompiledCheck), CapabilityError> {
        let provider = self.provider(provider_id)?;
        let compiled = provider.checks.get(check_id).ok_or_else(|| {
            CapabilityError::new(
                CapabilityCode::CheckMissing,
                format!("provider {provider_id} has no check {check_id}"),
            )
        })?;
        Ok((&provider.registered.contract.checks[compiled.index], compiled))
    }
}

/// Prefixes a params error with the condition id.
fn with_condition(err: CapabilityError, condition: &ConditionSpec) -> CapabilityError {
    CapabilityError::new(err.code, format!("condition {}: {}", condition.condition_id, err.message))
}

/// `params_missing` / `params_invalid` rules shared by specs and queries.
fn validate_params(
    query: &EvidenceQuery,
    check: &CheckContract,
    compiled: &CompiledCheck,
) -> Result<(), CapabilityError> {
    let target = format!("{}.{}", query.provider_id, query.check_id);
    match &query.params {
        None if check.params_required => {
            Err(CapabilityError::new(CapabilityCode::ParamsMissing, format!("{target} requires params")))
        }
        None => Ok(()),
        Some(params) => schema_violations(&compiled.params, params).map_err(|violations| {
            CapabilityError::new(CapabilityCode::ParamsInvalid, format!("{target} params are invalid: {violations}"))
        }),
    }
}

/// `expected_invalid` rules: none for `exists`/`not_exists`, an array of fitting elements for
/// `in_set`, otherwise a value fitting the result schema.
fn validate_expected(condition: &ConditionSpec, compiled: &CompiledCheck) -> Result<(), CapabilityError> {
    let invalid = |detail: String| {
        CapabilityError::new(CapabilityCode::ExpectedInvalid, format!("condition {}: {detail}", condition.condition_id))
    };
    let comparator = condition.comparator;
    match (comparator, condition.expected.as_ref()) {
        (Comparator::Exists | Comparator::NotExists, None) => Ok(()),
        (Comparator::Exists | Comparator::NotExists, Some(_)) => {
            Err(invalid(format!("comparator {comparator} takes no expected value")))
        }
        (Comparator::InSet, Some(Value::Array(items))) => {
            for (position, item) in items.iter().enumerate() {
                schema_violations(&compiled.result, item).map_err(|violations| {
                    invalid(format!("expected element {position} does not fit the result schema: {violations}"))
                })?;
            }
            Ok(())
        }
        (Comparator::InSet, _) => Err(invalid("comparator in_set needs an expected array".to_owned())),
        (_, None) => Err(invalid(format!("comparator {comparator} needs an expected value"))),
        (_, Some(expected)) => schema_violations(&compiled.result, expected)
            .map_err(|violations| invalid(format!("expected value does not fit the result schema: {violations}"))),
    }
}
