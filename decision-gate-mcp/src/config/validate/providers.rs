//! Rules of the provider sections: `[provider_discovery]` and `[[providers]]` (names, built-in
//! versus MCP fields, trust overrides and timeouts).

use std::collections::BTreeSet;

use super::policy::validate_trust_policy;
use super::{CONNECT_TIMEOUT_MS, REQUEST_TIMEOUT_MS, Rule, check_path, in_range, non_blank, trimmed_name};
use crate::config::{DecisionGateConfig, ProviderConfig, ProviderType, StdioFraming};

/// Built-in provider ids (reserved: MCP providers may not use them).
const BUILTIN_PROVIDERS: [&str; 4] = ["time", "env", "json", "http"];

pub(super) fn validate_provider_discovery(config: &DecisionGateConfig) -> Rule {
    let discovery = &config.provider_discovery;
    for (list, entries) in [("allowlist", &discovery.allowlist), ("denylist", &discovery.denylist)] {
        for (index, entry) in entries.iter().enumerate() {
            non_blank(&format!("provider_discovery.{list}[{index}]"), entry)?;
        }
    }
    if discovery.max_response_bytes == 0 {
        return Err("provider_discovery.max_response_bytes must be greater than 0".to_owned());
    }
    Ok(())
}

pub(super) fn validate_providers(providers: &[ProviderConfig]) -> Rule {
    let mut names = BTreeSet::new();
    for (index, provider) in providers.iter().enumerate() {
        let key = format!("providers[{index}]");
        trimmed_name(&format!("{key}.name"), &provider.name)?;
        if !names.insert(provider.name.as_str()) {
            return Err(format!("{key}.name `{}` is listed more than once", provider.name));
        }
        validate_provider(&key, provider).map_err(|reason| format!("{reason} (provider `{}`)", provider.name))?;
    }
    Ok(())
}

fn validate_provider(key: &str, provider: &ProviderConfig) -> Rule {
    match provider.provider_type {
        ProviderType::Builtin => validate_builtin(key, provider)?,
        ProviderType::Mcp => validate_mcp(key, provider)?,
    }
    if let Some(trust) = &provider.trust {
        validate_trust_policy(&format!("{key}.trust"), trust)?;
    }
    let timeouts = &provider.timeouts;
    in_range(&format!("{key}.timeouts.connect_timeout_ms"), timeouts.connect_timeout_ms, CONNECT_TIMEOUT_MS)?;
    in_range(&format!("{key}.timeouts.request_timeout_ms"), timeouts.request_timeout_ms, REQUEST_TIMEOUT_MS)?;
    if timeouts.request_timeout_ms < timeouts.connect_timeout_ms {
        return Err(format!("{key}.timeouts.request_timeout_ms must be at least {key}.timeouts.connect_timeout_ms"));
    }
    Ok(())
}

fn validate_builtin(key: &str, provider: &ProviderConfig) -> Rule {
    if !BUILTIN_PROVIDERS.contains(&provider.name.as_str()) {
        return Err(format!("{key}.name must be one of time, env, json, http when type is builtin"));
    }
    let forbidden = [
        ("command", !provider.command.is_empty()),
        ("url", provider.url.is_some()),
        ("allow_insecure_http", provider.allow_insecure_http),
        ("auth", provider.auth.is_some()),
        ("capabilities_path", provider.capabilities_path.is_some()),
        ("framing", provider.framing != StdioFraming::Newline),
    ];
    if let Some((field, _)) = forbidden.iter().find(|(_, set)| *set) {
        return Err(format!("{key}.{field} is not allowed for built-in providers"));
    }
    if provider.config.as_ref().is_some_and(|config| !config.is_object()) {
        return Err(format!("{key}.config must be a table"));
    }
    Ok(())
}

fn validate_mcp(key: &str, provider: &ProviderConfig) -> Rule {
    if BUILTIN_PROVIDERS.contains(&provider.name.as_str()) {
        return Err(format!("{key}.name `{}` is reserved for a built-in provider (type mcp)", provider.name));
    }
    if provider.command.is_empty() && provider.url.is_none() {
        return Err(format!("{key} needs command or url when type is mcp"));
    }
    if let Some(program) = provider.command.first() {
        non_blank(&format!("{key}.command[0]"), program)?;
    }
    if let Some(url) = &provider.url {
        if url.starts_with("http://") {
            if !provider.allow_insecure_http {
                return Err(format!("{key}.url uses http:// and requires {key}.allow_insecure_http = true"));
            }
        } else if !url.starts_with("https://") {
            return Err(format!("{key}.url must start with https:// or http://"));
        }
    }
    match &provider.capabilities_path {
        Some(path) => check_path(&format!("{key}.capabilities_path"), path)?,
        None => return Err(format!("{key}.capabilities_path is required when type is mcp")),
    }
    if provider.config.is_some() {
        return Err(format!("{key}.config is not allowed when type is mcp"));
    }
    if let Some(auth) = &provider.auth
        && let Some(token) = &auth.bearer_token
    {
        non_blank(&format!("{key}.auth.bearer_token"), token)?;
    }
    Ok(())
}
