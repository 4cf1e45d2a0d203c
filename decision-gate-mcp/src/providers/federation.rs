//! The federated evidence provider (mcp-surface §10.1): one [`EvidenceProvider`] for the
//! engine, routing each query to the backend registered under its provider id.
//!
//! Query path: sanitise `context.correlation_id` (invalid ⇒ provider error) → look up the
//! backend (`provider not registered: <id>`) → call it → enforce the provider's trust policy
//! → count the call in `decision_gate_provider_calls_total`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use decision_gate_core::evidence::{EvidenceContext, EvidenceResult};
use decision_gate_core::ids::{CorrelationId, ProviderId};
use decision_gate_core::ports::{EvidenceError, EvidenceProvider};
use decision_gate_core::run::ProviderMissingError;
use decision_gate_core::runpack::EvidenceKeySet;
use decision_gate_core::spec::{EvidenceQuery, ScenarioSpec};

use super::ProviderSetupError;
use super::correlation::sanitize_correlation_id;
use super::trust::{TrustPolicy, verify_signed_result};

/// Metric counting provider calls by configured provider id and outcome.
pub const PROVIDER_CALLS_METRIC: &str = "decision_gate_provider_calls_total";

/// One evidence source behind the federation: a built-in or an external MCP provider.
///
/// Calls are synchronous and come from blocking worker threads. `Err` is a soft failure the
/// engine records as `provider_error`; expected domain failures belong in `result.error`.
pub trait ProviderBackend: Send + Sync {
    /// Answers one query.
    fn query(&self, query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError>;
}

/// Per-provider policy: trust and raw-value disclosure opt-in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderPolicy {
    /// Signature policy.
    pub trust: TrustPolicy,
    /// Whether the provider opted in to raw value disclosure.
    pub allow_raw: bool,
}

/// Routes queries to registered backends and enforces their trust policies.
pub struct FederatedProvider {
    backends: BTreeMap<String, Arc<dyn ProviderBackend>>,
    policies: BTreeMap<String, ProviderPolicy>,
    default_policy: ProviderPolicy,
}

impl std::fmt::Debug for FederatedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FederatedProvider")
            .field("providers", &self.backends.keys().collect::<Vec<_>>())
            .field("policies", &self.policies)
            .field("default_policy", &self.default_policy)
            .finish()
    }
}

impl FederatedProvider {
    /// An empty federation whose unknown providers get `default_trust` and no raw opt-in.
    pub fn new(default_trust: TrustPolicy) -> Self {
        FederatedProvider {
            backends: BTreeMap::new(),
            policies: BTreeMap::new(),
            default_policy: ProviderPolicy { trust: default_trust, allow_raw: false },
        }
    }

    /// Registers a backend under `provider_id`; an id can be registered once.
    pub fn register(
        &mut self,
        provider_id: impl Into<String>,
        backend: Arc<dyn ProviderBackend>,
        policy: ProviderPolicy,
    ) -> Result<(), ProviderSetupError> {
        let provider_id = provider_id.into();
        if self.backends.contains_key(&provider_id) {
            return Err(ProviderSetupError::Duplicate { provider: provider_id });
        }
        self.policies.insert(provider_id.clone(), policy);
        self.backends.insert(provider_id, backend);
        Ok(())
    }

    /// Registered provider ids, sorted.
    pub fn provider_ids(&self) -> Vec<&str> {
        self.backends.keys().map(String::as_str).collect()
    }

    /// Whether a provider is registered.
    pub fn contains(&self, provider_id: &str) -> bool {
        self.backends.contains_key(provider_id)
    }

    /// The policy of a provider; unknown ids get the default trust policy and no raw opt-in.
    pub fn policy(&self, provider_id: &str) -> &ProviderPolicy {
        self.policies.get(provider_id).unwrap_or(&self.default_policy)
    }

    /// Whether a provider opted in to raw value disclosure (`false` for unknown ids).
    pub fn allow_raw(&self, provider_id: &str) -> bool {
        self.policy(provider_id).allow_raw
    }

    /// Raw-disclosure opt-ins of every registered provider.
    pub fn allow_raw_map(&self) -> BTreeMap<String, bool> {
        self.policies.iter().map(|(id, policy)| (id.clone(), policy.allow_raw)).collect()
    }

    /// The evidence keys and signing requirements for runpack verification: every key of every
    /// `require_signature` policy (registered providers only), and those providers' ids.
    pub fn evidence_key_set(&self) -> Result<EvidenceKeySet, String> {
        let mut set = EvidenceKeySet::default();
        for (provider_id, policy) in &self.policies {
            let TrustPolicy::RequireSignature { keys } = &policy.trust else { continue };
            set.require_signature.insert(ProviderId::new(provider_id.as_str()));
            for (key_id, key) in keys {
                if let Some(previous) = set.keys.insert(key_id.clone(), *key)
                    && previous != *key
                {
                    return Err(format!("evidence key id {key_id:?} names two different keys"));
                }
            }
        }
        Ok(set)
    }

    /// The query path without metrics.
    fn route(&self, query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        let mut context = ctx.clone();
        if let Some(raw) = &ctx.correlation_id {
            let clean = sanitize_correlation_id(raw.as_str())
                .map_err(|err| EvidenceError(format!("invalid correlation id: {}", err.label())))?;
            context.correlation_id = Some(CorrelationId::new(clean));
        }
        let provider_id = query.provider_id.as_str();
        let backend = self
            .backends
            .get(provider_id)
            .ok_or_else(|| EvidenceError(format!("provider not registered: {provider_id}")))?;
        let mut result = backend.query(query, &context)?;
        if let TrustPolicy::RequireSignature { keys } = &self.policy(provider_id).trust {
            verify_signed_result(&mut result, keys).map_err(EvidenceError)?;
        }
        Ok(result)
    }
}

impl EvidenceProvider for FederatedProvider {
    fn query(&self, query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        let outcome = self.route(query, ctx);
        // Labels stay bounded: only configured ids are counted.
        if let Some((provider_id, _)) = self.backends.get_key_value(query.provider_id.as_str()) {
            let label = match &outcome {
                Ok(result) if result.error.is_none() => "ok",
                _ => "error",
            };
            metrics::counter!(PROVIDER_CALLS_METRIC, "provider_id" => provider_id.clone(), "outcome" => label)
                .increment(1);
        }
        outcome
    }

    /// Reports the providers named by the spec's conditions that are not registered, with the
    /// check ids asked of them (both sorted, de-duplicated).
    fn validate_providers(&self, spec: &ScenarioSpec) -> Result<(), ProviderMissingError> {
        let mut missing = BTreeSet::new();
        let mut checks = BTreeSet::new();
        for condition in &spec.conditions {
            let provider_id = condition.query.provider_id.as_str();
            if !self.backends.contains_key(provider_id) {
                missing.insert(provider_id.to_owned());
                checks.insert(condition.query.check_id.clone());
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(ProviderMissingError {
            missing_providers: missing.into_iter().collect(),
            required_capabilities: checks.into_iter().collect(),
            blocked_by_policy: false,
        })
    }
}
