//! External MCP evidence providers (`type = "mcp"`, mcp-surface §10.3).
//!
//! **Extension point, not yet implemented.** [`build_external`] is the single hook through
//! which external providers join the federation: it receives the provider's configuration, its
//! already validated contract (loaded from `capabilities_path` by the capability registry) and
//! the runtime handle, and returns a [`ProviderBackend`]. Until the stdio/HTTP client is written
//! here it returns [`ProviderSetupError::External`], so a configuration with `type = "mcp"`
//! providers fails at startup instead of silently dropping them.

use std::sync::Arc;

use tokio::runtime::Handle;

use super::ProviderSetupError;
use super::contracts::RegisteredContract;
use super::federation::ProviderBackend;
use crate::config::ProviderConfig;

/// Builds the backend of one external MCP provider.
///
/// Contract: the returned backend answers [`ProviderBackend::query`] synchronously from
/// blocking threads, never panics, and reports transport failures as `Err` (provider errors).
/// The federation applies correlation-id sanitisation, trust policy and metrics around it.
///
/// Currently always fails with "external providers not available" (see the module docs).
pub fn build_external(
    config: &ProviderConfig,
    contract: &RegisteredContract,
    handle: &Handle,
) -> Result<Arc<dyn ProviderBackend>, ProviderSetupError> {
    let _ = (contract, handle);
    Err(ProviderSetupError::External {
        provider: config.name.clone(),
        message: "external providers not available in this build".to_owned(),
    })
}
