//! Evidence providers: built-ins, external MCP providers, contracts and validation
//! (mcp-surface §10, core-model §4.6, §4.7, §5.5, §10.4).
//!
//! - [`contracts`]: contract data types, loading of external contract files, hashing.
//! - [`CapabilityRegistry`]: validated contracts with compiled schemas; spec and query
//!   validation (`validate_spec`, `validate_query`).
//! - [`strict`]: strict comparator/type-class validation against result schemas and data
//!   shapes.
//! - [`FederatedProvider`]: the engine's [`EvidenceProvider`](decision_gate_core::ports::EvidenceProvider),
//!   routing to [`ProviderBackend`]s with trust policies and call metrics.
//! - Built-ins [`time`], [`env`], [`json`], [`http`]; external providers plug in through
//!   [`external::build_external`].
//!
//! [`build_providers`] builds all of it from a configuration.

pub mod builtin_contracts;
pub mod contracts;
pub mod correlation;
pub mod env;
pub mod external;
pub mod federation;
pub mod http;
pub mod json;
pub mod network_policy;
pub mod registry;
pub mod strict;
pub mod time;
pub mod trust;

mod builtin;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{DecisionGateConfig, ProviderType};

pub use contracts::{
    CapabilityCode, CapabilityError, CheckContract, CheckExample, ContractSource, Determinism, ProviderContract,
    ProviderTransport, RegisteredContract,
};
pub use federation::{FederatedProvider, ProviderBackend, ProviderPolicy};
pub use registry::{CapabilityRegistry, ProviderSummary};
pub use strict::{StrictValidationError, validate_strict_precheck, validate_strict_spec};
pub use trust::TrustPolicy;

/// A failure while building the providers at startup.
#[derive(Debug, thiserror::Error)]
pub enum ProviderSetupError {
    /// A contract could not be loaded or registered (codes of mcp-surface §10.5).
    #[error(transparent)]
    Capability(#[from] CapabilityError),
    /// A built-in provider's `config` table (or its json root) is invalid.
    #[error("provider {provider}: invalid config: {message}")]
    InvalidConfig {
        /// Provider id.
        provider: String,
        /// Reason.
        message: String,
    },
    /// A trust policy's keys could not be loaded (`scope` is a provider id or `trust.default_policy`).
    #[error("{scope}: trust policy error: {message}")]
    Trust {
        /// Where the policy is configured.
        scope: String,
        /// Reason.
        message: String,
    },
    /// An external provider could not be started.
    #[error("provider {provider}: {message}")]
    External {
        /// Provider id.
        provider: String,
        /// Reason.
        message: String,
    },
    /// A provider id was registered twice in the federation.
    #[error("duplicate_provider: provider {provider} is registered more than once")]
    Duplicate {
        /// Provider id.
        provider: String,
    },
}

/// Everything the server needs from the providers.
#[derive(Debug, Clone)]
pub struct ProviderSet {
    /// Contracts of every configured provider.
    pub registry: Arc<CapabilityRegistry>,
    /// The engine's evidence provider.
    pub provider: Arc<FederatedProvider>,
    /// Raw-value disclosure opt-ins by provider id.
    pub allow_raw: BTreeMap<String, bool>,
}

/// Builds the capability registry and the federated provider from `[[providers]]`.
///
/// Only listed providers exist (no implicit built-ins). Each provider's trust policy is its own
/// `trust` or `trust.default_policy`; key files are read here. Built-ins get their compiled-in
/// contracts and are constructed from their `config` tables; `type = "mcp"` providers get
/// their contract from `capabilities_path` and their backend from
/// [`external::build_external`]. `handle` is the Tokio runtime used by providers with
/// asynchronous clients (the `http` built-in and external providers).
pub fn build_providers(
    config: &DecisionGateConfig,
    handle: tokio::runtime::Handle,
) -> Result<ProviderSet, ProviderSetupError> {
    let registry = CapabilityRegistry::from_config(config)?;
    let default_trust = trust::load_trust_policy(&config.trust.default_policy)
        .map_err(|message| ProviderSetupError::Trust { scope: "trust.default_policy".to_owned(), message })?;
    let mut federation = FederatedProvider::new(default_trust.clone());
    for provider in &config.providers {
        let backend = match provider.provider_type {
            ProviderType::Builtin => builtin::build_builtin(provider, &handle)?,
            ProviderType::Mcp => external::build_external(provider, registry.contract(&provider.name)?, &handle)?,
        };
        let trust = match &provider.trust {
            Some(policy) => trust::load_trust_policy(policy)
                .map_err(|message| ProviderSetupError::Trust { scope: provider.name.clone(), message })?,
            None => default_trust.clone(),
        };
        federation.register(provider.name.clone(), backend, ProviderPolicy { trust, allow_raw: provider.allow_raw })?;
    }
    let allow_raw = federation.allow_raw_map();
    Ok(ProviderSet { registry: Arc::new(registry), provider: Arc::new(federation), allow_raw })
}

#[cfg(test)]
mod tests;
