//! `decision-gate provider …`: offline provider discovery from the configuration
//! (mcp-surface §7.3, §10.4, §13).
//!
//! The capability registry is built from `[[providers]]` exactly as the server builds it, but
//! no provider is started. Output is canonical JSON (the same objects as the discovery tools),
//! capped by `provider_discovery.max_response_bytes`; contract and check-schema disclosure
//! honour the discovery allow and deny lists.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use serde_json::{Value, json};

use super::Outcome;
use super::common::{canonical, resolved_config};
use crate::config::DecisionGateConfig;
use crate::providers::CapabilityRegistry;

/// Output format of `provider list`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// Canonical JSON `{"providers":[…]}`.
    #[default]
    Json,
    /// One line per provider: id, transport, check ids.
    Text,
}

/// `provider` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// List the configured providers with their transports and check ids.
    List {
        /// Configuration file (default: as `serve`).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Json)]
        format: ListFormat,
    },
    /// Provider contracts.
    #[command(subcommand)]
    Contract(ContractCommand),
    /// Check schemas.
    #[command(subcommand)]
    CheckSchema(CheckSchemaCommand),
}

/// `provider contract` subcommands.
#[derive(Debug, Subcommand)]
pub enum ContractCommand {
    /// Print a provider's contract, its hash and source.
    Get {
        /// Provider id.
        #[arg(long)]
        provider: String,
        /// Configuration file (default: as `serve`).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// `provider check-schema` subcommands.
#[derive(Debug, Subcommand)]
pub enum CheckSchemaCommand {
    /// Print one check's schemas, comparators and examples.
    Get {
        /// Provider id.
        #[arg(long)]
        provider: String,
        /// Check id.
        #[arg(long)]
        check_id: String,
        /// Configuration file (default: as `serve`).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// Runs a `provider` subcommand, writing its output to `out`.
pub fn run_provider(command: ProviderCommand, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let text = match command {
        ProviderCommand::List { config, format } => provider_list(&load(config.as_deref())?, format)?,
        ProviderCommand::Contract(ContractCommand::Get { provider, config }) => {
            contract_get(&load(config.as_deref())?, &provider)?
        }
        ProviderCommand::CheckSchema(CheckSchemaCommand::Get { provider, check_id, config }) => {
            check_schema_get(&load(config.as_deref())?, &provider, &check_id)?
        }
    };
    out.write_all(text.as_bytes()).context("cannot write output")?;
    Ok(Outcome::Success)
}

fn load(path: Option<&Path>) -> anyhow::Result<DecisionGateConfig> {
    resolved_config(path)
}

fn registry(config: &DecisionGateConfig) -> anyhow::Result<CapabilityRegistry> {
    CapabilityRegistry::from_config(config).map_err(|error| anyhow!("provider contracts: {error}"))
}

/// Canonical JSON of `value` plus a newline, refused above `max_response_bytes`.
fn capped(config: &DecisionGateConfig, value: &Value) -> anyhow::Result<Vec<u8>> {
    let bytes = canonical(value)?;
    if bytes.len() > config.provider_discovery.max_response_bytes {
        bail!(
            "provider discovery response exceeds size limit ({} > {} bytes)",
            bytes.len(),
            config.provider_discovery.max_response_bytes
        );
    }
    Ok(bytes)
}

fn with_newline(mut bytes: Vec<u8>) -> anyhow::Result<String> {
    bytes.push(b'\n');
    String::from_utf8(bytes).context("output is not UTF-8")
}

/// `provider list`: every configured provider sorted by id (not filtered by the discovery
/// lists, like `providers_list`).
pub fn provider_list(config: &DecisionGateConfig, format: ListFormat) -> anyhow::Result<String> {
    let providers = registry(config)?.providers_list();
    let value = json!({"providers": serde_json::to_value(&providers)?});
    let bytes = capped(config, &value)?;
    match format {
        ListFormat::Json => with_newline(bytes),
        ListFormat::Text => Ok(providers
            .iter()
            .map(|provider| {
                format!("{}\t{}\t{}\n", provider.provider_id, provider.transport.as_str(), provider.checks.join(","))
            })
            .collect()),
    }
}

/// Discovery policy: the denylist wins; a non-empty allowlist must contain the provider.
fn guard(config: &DecisionGateConfig, provider_id: &str) -> anyhow::Result<()> {
    if provider_id.trim().is_empty() {
        bail!("--provider must not be empty");
    }
    let discovery = &config.provider_discovery;
    let allowed = !discovery.denylist.iter().any(|id| id == provider_id)
        && (discovery.allowlist.is_empty() || discovery.allowlist.iter().any(|id| id == provider_id));
    if !allowed {
        bail!("provider contract disclosure denied: {provider_id}");
    }
    Ok(())
}

/// `provider contract get`: `{provider_id, contract, contract_hash, source, version}`.
pub fn contract_get(config: &DecisionGateConfig, provider_id: &str) -> anyhow::Result<String> {
    guard(config, provider_id)?;
    let registry = registry(config)?;
    let registered = registry.contract(provider_id).map_err(|error| anyhow!("{error}"))?;
    let value = json!({
        "provider_id": provider_id,
        "contract": serde_json::to_value(&registered.contract)?,
        "contract_hash": serde_json::to_value(&registered.contract_hash)?,
        "source": serde_json::to_value(registered.source)?,
        "version": null,
    });
    with_newline(capped(config, &value)?)
}

/// `provider check-schema get`: the check's schemas, comparators, determinism, anchor and
/// content types, examples and the contract hash.
pub fn check_schema_get(config: &DecisionGateConfig, provider_id: &str, check_id: &str) -> anyhow::Result<String> {
    guard(config, provider_id)?;
    if check_id.trim().is_empty() {
        bail!("--check-id must not be empty");
    }
    let registry = registry(config)?;
    let registered = registry.contract(provider_id).map_err(|error| anyhow!("{error}"))?;
    let check = registered
        .contract
        .check(check_id)
        .ok_or_else(|| anyhow!("check_missing: provider {provider_id} has no check {check_id}"))?;
    let value = json!({
        "provider_id": provider_id,
        "check_id": check.check_id,
        "params_required": check.params_required,
        "params_schema": check.params_schema,
        "result_schema": check.result_schema,
        "allowed_comparators": serde_json::to_value(&check.allowed_comparators)?,
        "determinism": serde_json::to_value(check.determinism)?,
        "anchor_types": check.anchor_types,
        "content_types": check.content_types,
        "examples": serde_json::to_value(&check.examples)?,
        "contract_hash": serde_json::to_value(&registered.contract_hash)?,
    });
    with_newline(capped(config, &value)?)
}
