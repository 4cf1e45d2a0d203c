//! Configuration rules (mcp-surface §11.2, runpacks-and-stores §4.4, §7.2, §7.3, §10.1).
//!
//! Only config-level rules live here: shapes, ranges and cross-field constraints. Checks that
//! need construction (TLS PEM contents, json provider roots, contract files, signature keys,
//! opening SQLite) run at server start. Two rules do touch the filesystem because the
//! specification puts them in the config: a SQLite `path` must not be an existing directory, and
//! `runpack.root_dir` must be absolute (lexical; existence is checked at start).

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path};

use super::{
    AnchorProviderConfig, AuthConfig, AuthMode, ConfigError, DecisionGateConfig, FeedbackLevel, NamespaceAuthorityMode,
    PolicyEngine, ProviderConfig, ProviderType, RateLimitBucket, RunpackStorageConfig, ServerConfig,
    SignatureKeyConfig, StdioFraming, StoreConfig, StoreType, TransportKind, TrustPolicyConfig,
};

/// The 17 tool names of the catalogue (mcp-surface §7.2), in canonical order.
pub const KNOWN_TOOL_NAMES: [&str; 17] = [
    "scenario_define",
    "scenario_start",
    "scenario_status",
    "scenario_next",
    "scenario_submit",
    "scenario_trigger",
    "evidence_query",
    "runpack_export",
    "runpack_verify",
    "providers_list",
    "provider_contract_get",
    "provider_check_schema_get",
    "schemas_register",
    "schemas_list",
    "schemas_get",
    "scenarios_list",
    "precheck",
];

/// Built-in provider ids (reserved: MCP providers may not use them).
const BUILTIN_PROVIDERS: [&str; 4] = ["time", "env", "json", "http"];

/// Longest path, in bytes (characters for the configuration path itself).
pub(super) const MAX_PATH_BYTES: usize = 4096;
/// Longest path component.
const MAX_COMPONENT_BYTES: usize = 255;
const MAX_BEARER_TOKENS: usize = 64;
const MAX_BEARER_TOKEN_BYTES: usize = 256;
const MAX_MTLS_SUBJECTS: usize = 64;
const MAX_MTLS_SUBJECT_BYTES: usize = 512;
const MAX_TOOL_ENTRIES: usize = 128;
const MAX_PRINCIPALS: usize = 64;
const MAX_ROLES: usize = 128;
const MAX_ACL_RULES: usize = 256;
const MAX_SCHEMA_BYTES: usize = 10 * 1024 * 1024;
const RATE_MAX_REQUESTS: (u32, u32) = (1, 100_000);
const RATE_WINDOW_MS: (u64, u64) = (100, 60_000);
const RATE_MAX_ENTRIES: (usize, usize) = (1, 65_536);
const CONNECT_TIMEOUT_MS: (u64, u64) = (100, 10_000);
const REQUEST_TIMEOUT_MS: (u64, u64) = (500, 30_000);

type Rule = Result<(), String>;

/// Checks every config-level rule; the first violation is returned as
/// [`ConfigError::Invalid`] whose reason names the offending key, e.g.
/// `invalid config: server.max_body_bytes must be greater than 0`.
pub fn validate_config(config: &DecisionGateConfig) -> Result<(), ConfigError> {
    validate_all(config).map_err(ConfigError::Invalid)
}

fn validate_all(config: &DecisionGateConfig) -> Rule {
    validate_server(&config.server)?;
    validate_namespace(config)?;
    validate_dev(config)?;
    validate_trust_policy("trust.default_policy", &config.trust.default_policy)?;
    validate_anchors(&config.anchors.providers)?;
    validate_provider_discovery(config)?;
    validate_validation(config)?;
    validate_policy(config)?;
    validate_store("run_state_store", &config.run_state_store)?;
    validate_schema_registry(config)?;
    validate_runpack(config)?;
    if let Some(storage) = &config.runpack_storage {
        validate_runpack_storage(storage)?;
    }
    validate_providers(&config.providers)
}

// ---------------------------------------------------------------------------------------------
// [server]

fn validate_server(server: &ServerConfig) -> Rule {
    if server.max_body_bytes == 0 {
        return Err("server.max_body_bytes must be greater than 0".to_owned());
    }
    if server.limits.max_inflight == 0 {
        return Err("server.limits.max_inflight must be greater than 0".to_owned());
    }
    if let Some(rate_limit) = &server.limits.rate_limit {
        validate_bucket("server.limits.rate_limit", &rate_limit.bucket)?;
        if let Some(per_ip) = &rate_limit.per_ip {
            validate_bucket("server.limits.rate_limit.per_ip", per_ip)?;
        }
    }
    for (index, origin) in server.http.allowed_origins.iter().enumerate() {
        validate_origin(origin).map_err(|reason| format!("server.http.allowed_origins[{index}] {reason}"))?;
    }
    if server.sessions.idle_timeout_ms == 0 {
        return Err("server.sessions.idle_timeout_ms must be greater than 0".to_owned());
    }
    if let Some(path) = &server.sessions.shared_secret_path {
        check_path("server.sessions.shared_secret_path", path)?;
    }
    if let Some(tls) = &server.tls {
        check_path("server.tls.cert_path", &tls.cert_path)?;
        check_path("server.tls.key_path", &tls.key_path)?;
        if let Some(path) = &tls.client_ca_path {
            check_path("server.tls.client_ca_path", path)?;
        }
    }
    if let Some(path) = &server.audit.path {
        check_path("server.audit.path", path)?;
    }
    let feedback = &server.feedback.scenario_next;
    for (key, level) in [("default", feedback.default), ("local_only_default", feedback.local_only_default)] {
        if level > feedback.max {
            return Err(format!(
                "server.feedback.scenario_next.{key} ({}) must not exceed server.feedback.scenario_next.max ({})",
                level_name(level),
                level_name(feedback.max)
            ));
        }
    }
    validate_tool_list("server.tools.allowlist", &server.tools.allowlist)?;
    validate_tool_list("server.tools.denylist", &server.tools.denylist)?;
    validate_auth(&server.auth, server)?;
    validate_transport(server)
}

fn validate_transport(server: &ServerConfig) -> Rule {
    match server.transport {
        TransportKind::Stdio => {
            if server.auth.mode != AuthMode::LocalOnly {
                return Err("server.auth.mode must be local_only when server.transport is stdio".to_owned());
            }
            if server.tls.is_some() {
                return Err("server.tls is not allowed when server.transport is stdio".to_owned());
            }
        }
        TransportKind::Http | TransportKind::Sse => {
            let transport = if server.transport == TransportKind::Http { "http" } else { "sse" };
            let bind = match server.bind.as_deref() {
                Some(bind) if !bind.trim().is_empty() => bind,
                _ => return Err(format!("server.bind is required when server.transport is {transport}")),
            };
            let address: SocketAddr = bind.parse().map_err(|_| {
                format!("server.bind must be a literal ip:port such as 127.0.0.1:8080 or [::1]:8080 (got `{bind}`)")
            })?;
            if !address.ip().to_canonical().is_loopback() && server.auth.mode == AuthMode::LocalOnly {
                return Err(format!(
                    "server.bind {address} is not a loopback address; a non-loopback bind requires server.auth.mode \
                     bearer_token or mtls (local_only accepts loopback callers only)"
                ));
            }
        }
    }
    Ok(())
}

fn validate_bucket(key: &str, bucket: &RateLimitBucket) -> Rule {
    in_range(&format!("{key}.max_requests"), bucket.max_requests, RATE_MAX_REQUESTS)?;
    in_range(&format!("{key}.window_ms"), bucket.window_ms, RATE_WINDOW_MS)?;
    in_range(&format!("{key}.max_entries"), bucket.max_entries, RATE_MAX_ENTRIES)
}

/// `scheme://host[:port]`, exactly as a browser serialises an `Origin` header: lowercase, no
/// path, query, fragment or user info (anything else could never match and would silently
/// refuse the intended site).
fn validate_origin(origin: &str) -> Rule {
    let shape = "must be an origin of the form scheme://host[:port]";
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Err(format!("{shape} (got `{origin}`)"));
    };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && scheme.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(format!("{shape} with a lowercase scheme (got `{origin}`)"));
    }
    if rest.is_empty() || rest.chars().any(|c| matches!(c, '/' | '?' | '#' | '@' | '\\') || c.is_whitespace()) {
        return Err(format!("{shape}, without path, query, fragment or user info (got `{origin}`)"));
    }
    if rest.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!("{shape} in lowercase, as browsers send it (got `{origin}`)"));
    }
    let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
        let Some((inside, after)) = bracketed.split_once(']') else {
            return Err(format!("{shape} (unterminated IPv6 literal in `{origin}`)"));
        };
        if inside.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("{shape} (invalid IPv6 literal in `{origin}`)"));
        }
        match after {
            "" => (inside, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (inside, Some(port)),
                None => return Err(format!("{shape} (got `{origin}`)")),
            },
        }
    } else {
        match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{shape} with a non-empty host (got `{origin}`)"));
    }
    if let Some(port) = port {
        let valid =
            !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p > 0);
        if !valid {
            return Err(format!("{shape} with a port of 1..=65535 (got `{origin}`)"));
        }
    }
    Ok(())
}

fn validate_auth(auth: &AuthConfig, server: &ServerConfig) -> Rule {
    max_entries("server.auth.bearer_tokens", auth.bearer_tokens.len(), MAX_BEARER_TOKENS)?;
    // Token values are secrets: errors name the index, never the value.
    for (index, token) in auth.bearer_tokens.iter().enumerate() {
        let key = format!("server.auth.bearer_tokens[{index}]");
        if token.trim().is_empty() {
            return Err(format!("{key} must not be blank"));
        }
        if token.len() > MAX_BEARER_TOKEN_BYTES {
            return Err(format!("{key} is longer than {MAX_BEARER_TOKEN_BYTES} bytes"));
        }
        if token.trim() != token {
            return Err(format!("{key} must not have leading or trailing whitespace"));
        }
    }
    if auth.mode == AuthMode::BearerToken && auth.bearer_tokens.is_empty() {
        return Err("server.auth.bearer_tokens must not be empty when server.auth.mode is bearer_token".to_owned());
    }
    max_entries("server.auth.mtls_subjects", auth.mtls_subjects.len(), MAX_MTLS_SUBJECTS)?;
    for (index, subject) in auth.mtls_subjects.iter().enumerate() {
        let key = format!("server.auth.mtls_subjects[{index}]");
        non_blank(&key, subject)?;
        if subject.len() > MAX_MTLS_SUBJECT_BYTES {
            return Err(format!("{key} is longer than {MAX_MTLS_SUBJECT_BYTES} bytes"));
        }
    }
    for (index, proxy) in auth.trusted_proxies.iter().enumerate() {
        if !is_ip_or_cidr(proxy.trim()) {
            return Err(format!(
                "server.auth.trusted_proxies[{index}] must be an IP address or CIDR block (got `{proxy}`)"
            ));
        }
    }
    if auth.mode == AuthMode::Mtls {
        let has_client_ca = server.tls.as_ref().is_some_and(|tls| tls.client_ca_path.is_some());
        if !has_client_ca && auth.trusted_proxies.is_empty() {
            return Err(
                "server.auth.mode mtls requires server.tls.client_ca_path or a non-empty server.auth.trusted_proxies"
                    .to_owned(),
            );
        }
    }
    validate_tool_list("server.auth.allowed_tools", &auth.allowed_tools)?;
    max_entries("server.auth.principals", auth.principals.len(), MAX_PRINCIPALS)?;
    let mut subjects = BTreeSet::new();
    for (index, principal) in auth.principals.iter().enumerate() {
        let key = format!("server.auth.principals[{index}]");
        non_blank(&format!("{key}.subject"), &principal.subject)?;
        if !subjects.insert(principal.subject.as_str()) {
            return Err(format!("{key}.subject `{}` is listed more than once", principal.subject));
        }
        if let Some(class) = &principal.policy_class {
            non_blank(&format!("{key}.policy_class"), class)?;
        }
        max_entries(&format!("{key}.roles"), principal.roles.len(), MAX_ROLES)?;
        for (role_index, role) in principal.roles.iter().enumerate() {
            non_blank(&format!("{key}.roles[{role_index}].name"), &role.name)?;
        }
    }
    Ok(())
}

fn is_ip_or_cidr(text: &str) -> bool {
    match text.split_once('/') {
        None => text.parse::<IpAddr>().is_ok(),
        Some((address, prefix)) => {
            let Ok(address) = address.parse::<IpAddr>() else { return false };
            let max = if address.is_ipv4() { 32 } else { 128 };
            !prefix.is_empty()
                && prefix.chars().all(|c| c.is_ascii_digit())
                && prefix.parse::<u8>().is_ok_and(|p| p <= max)
        }
    }
}

fn validate_tool_list(key: &str, tools: &[String]) -> Rule {
    max_entries(key, tools.len(), MAX_TOOL_ENTRIES)?;
    for (index, tool) in tools.iter().enumerate() {
        non_blank(&format!("{key}[{index}]"), tool)?;
        if !KNOWN_TOOL_NAMES.contains(&tool.as_str()) {
            return Err(format!("{key}[{index}] `{tool}` is not a known tool name"));
        }
    }
    Ok(())
}

fn level_name(level: FeedbackLevel) -> &'static str {
    match level {
        FeedbackLevel::Summary => "summary",
        FeedbackLevel::Trace => "trace",
        FeedbackLevel::Evidence => "evidence",
    }
}

// ---------------------------------------------------------------------------------------------
// [namespace], [dev], [trust]

fn validate_namespace(config: &DecisionGateConfig) -> Rule {
    let namespace = &config.namespace;
    if namespace.allow_default && namespace.default_tenants.is_empty() {
        return Err("namespace.default_tenants must not be empty when namespace.allow_default is true".to_owned());
    }
    if let Some(index) = namespace.default_tenants.iter().position(|tenant| *tenant == 0) {
        return Err(format!("namespace.default_tenants[{index}] must be at least 1"));
    }
    match (namespace.authority.mode, &namespace.authority.assetcore) {
        (NamespaceAuthorityMode::None, Some(_)) => {
            Err("namespace.authority.assetcore is only allowed when namespace.authority.mode is assetcore_http"
                .to_owned())
        }
        (NamespaceAuthorityMode::None, None) => Ok(()),
        (NamespaceAuthorityMode::AssetcoreHttp, None) => {
            Err("namespace.authority.assetcore is required when namespace.authority.mode is assetcore_http".to_owned())
        }
        (NamespaceAuthorityMode::AssetcoreHttp, Some(assetcore)) => {
            let key = "namespace.authority.assetcore";
            non_blank(&format!("{key}.base_url"), &assetcore.base_url)?;
            let base_url = assetcore.base_url.trim();
            if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
                return Err(format!("{key}.base_url must start with https:// or http://"));
            }
            if let Some(token) = &assetcore.auth_token {
                non_blank(&format!("{key}.auth_token"), token)?;
            }
            in_range(&format!("{key}.connect_timeout_ms"), assetcore.connect_timeout_ms, CONNECT_TIMEOUT_MS)?;
            in_range(&format!("{key}.request_timeout_ms"), assetcore.request_timeout_ms, REQUEST_TIMEOUT_MS)
        }
    }
}

fn validate_dev(config: &DecisionGateConfig) -> Rule {
    let dev = &config.dev;
    if dev.permissive_scope != "asserted_evidence_only" {
        return Err(format!("dev.permissive_scope must be asserted_evidence_only (got `{}`)", dev.permissive_scope));
    }
    if dev.permissive_ttl_days == Some(0) {
        return Err("dev.permissive_ttl_days must be greater than 0".to_owned());
    }
    if config.dev_permissive() && config.namespace.authority.mode == NamespaceAuthorityMode::AssetcoreHttp {
        return Err(
            "dev.permissive not allowed with namespace.authority.mode assetcore_http (dev-permissive is on via \
             dev.permissive or server.mode = dev_permissive)"
                .to_owned(),
        );
    }
    Ok(())
}

fn validate_trust_policy(key: &str, policy: &TrustPolicyConfig) -> Rule {
    if let TrustPolicyConfig::RequireSignature { keys } = policy {
        for (index, entry) in keys.iter().enumerate() {
            let entry_key = format!("{key}.require_signature.keys[{index}]");
            match entry {
                SignatureKeyConfig::Path(path) => check_path(&entry_key, path)?,
                SignatureKeyConfig::Named { key_id, path } => {
                    non_blank(&format!("{entry_key}.key_id"), key_id)?;
                    check_path(&format!("{entry_key}.path"), path)?;
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// [anchors], [provider_discovery], [validation], [policy]

impl AnchorProviderConfig {
    /// `required_fields` trimmed, de-duplicated and sorted (the form the loader stores).
    pub fn normalized_required_fields(&self) -> Vec<String> {
        let fields: BTreeSet<&str> = self.required_fields.iter().map(|field| field.trim()).collect();
        fields.into_iter().map(str::to_owned).collect()
    }
}

fn validate_anchors(anchors: &[AnchorProviderConfig]) -> Rule {
    let mut seen = BTreeSet::new();
    for (index, anchor) in anchors.iter().enumerate() {
        let key = format!("anchors.providers[{index}]");
        trimmed_name(&format!("{key}.provider_id"), &anchor.provider_id)?;
        if !seen.insert(anchor.provider_id.as_str()) {
            return Err(format!("{key}.provider_id `{}` is listed more than once", anchor.provider_id));
        }
        non_blank(&format!("{key}.anchor_type"), &anchor.anchor_type)?;
        for (field_index, field) in anchor.required_fields.iter().enumerate() {
            non_blank(&format!("{key}.required_fields[{field_index}]"), field)?;
        }
        if anchor.required_fields.is_empty() {
            return Err(format!("{key}.required_fields must not be empty"));
        }
    }
    Ok(())
}

fn validate_provider_discovery(config: &DecisionGateConfig) -> Rule {
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

fn validate_validation(config: &DecisionGateConfig) -> Rule {
    let validation = &config.validation;
    if validation.profile != "strict_core_v1" {
        return Err(format!("validation.profile must be strict_core_v1 (got `{}`)", validation.profile));
    }
    if !validation.strict && !validation.allow_permissive {
        return Err("validation.strict = false requires validation.allow_permissive = true".to_owned());
    }
    Ok(())
}

fn validate_policy(config: &DecisionGateConfig) -> Rule {
    let policy = &config.policy;
    match (policy.engine, &policy.static_policy) {
        (PolicyEngine::Static, None) => Err("policy.static is required when policy.engine is static".to_owned()),
        (PolicyEngine::Static, Some(rules)) => rules.validate().map_err(|reason| format!("policy.static.{reason}")),
        (_, Some(_)) => Err("policy.static is only allowed when policy.engine is static".to_owned()),
        (_, None) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Stores, runpacks

fn validate_store(key: &str, store: &StoreConfig) -> Rule {
    match (store.store_type, &store.path) {
        (StoreType::Memory, Some(_)) => return Err(format!("{key}.path is not allowed when {key}.type is memory")),
        (StoreType::Memory, None) => {}
        (StoreType::Sqlite, None) => return Err(format!("{key}.path is required when {key}.type is sqlite")),
        (StoreType::Sqlite, Some(path)) => {
            check_path(&format!("{key}.path"), path)?;
            if path.is_dir() {
                return Err(format!("{key}.path {} is an existing directory", path.display()));
            }
        }
    }
    // SQLite takes the busy timeout as a C int of milliseconds.
    if store.busy_timeout_ms > i32::MAX as u64 {
        return Err(format!("{key}.busy_timeout_ms must be at most {}", i32::MAX));
    }
    if store.max_versions == Some(0) {
        return Err(format!("{key}.max_versions must be at least 1"));
    }
    Ok(())
}

fn validate_schema_registry(config: &DecisionGateConfig) -> Rule {
    let registry = &config.schema_registry;
    validate_store("schema_registry", &registry.store)?;
    in_range("schema_registry.max_schema_bytes", registry.max_schema_bytes, (1, MAX_SCHEMA_BYTES))?;
    if registry.max_entries == Some(0) {
        return Err("schema_registry.max_entries must be at least 1".to_owned());
    }
    max_entries("schema_registry.acl.rules", registry.acl.rules.len(), MAX_ACL_RULES)
}

fn validate_runpack(config: &DecisionGateConfig) -> Rule {
    let runpack = &config.runpack;
    if let Some(root) = &runpack.root_dir {
        check_path("runpack.root_dir", root)?;
        if !root.is_absolute() {
            return Err(format!("runpack.root_dir must be an absolute path (got `{}`)", root.display()));
        }
    }
    if let Some(signing) = &runpack.signing {
        non_blank("runpack.signing.key_id", &signing.key_id)?;
        check_path("runpack.signing.private_key_path", &signing.private_key_path)?;
    }
    let mut key_ids = BTreeSet::new();
    for (index, trusted) in runpack.verify.trusted_keys.iter().enumerate() {
        let key = format!("runpack.verify.trusted_keys[{index}]");
        non_blank(&format!("{key}.key_id"), &trusted.key_id)?;
        if !key_ids.insert(trusted.key_id.as_str()) {
            return Err(format!("{key}.key_id `{}` is listed more than once", trusted.key_id));
        }
        check_path(&format!("{key}.public_key_path"), &trusted.public_key_path)?;
    }
    Ok(())
}

fn validate_runpack_storage(storage: &RunpackStorageConfig) -> Rule {
    non_blank("runpack_storage.bucket", &storage.bucket)?;
    if let Some(endpoint) = &storage.endpoint {
        if endpoint.starts_with("http://") {
            if !storage.allow_http {
                return Err(
                    "runpack_storage.endpoint uses http:// and requires runpack_storage.allow_http = true".to_owned()
                );
            }
        } else if !endpoint.starts_with("https://") {
            return Err("runpack_storage.endpoint must start with https:// or http://".to_owned());
        }
    }
    if let Some(prefix) = &storage.prefix {
        let key = "runpack_storage.prefix";
        if prefix.trim().is_empty() {
            return Err(format!("{key} must not be blank when set"));
        }
        if prefix.contains('\\') {
            return Err(format!("{key} must not contain `\\`"));
        }
        if prefix.len() > MAX_PATH_BYTES {
            return Err(format!("{key} is longer than {MAX_PATH_BYTES} bytes"));
        }
        if prefix.starts_with('/') {
            return Err(format!("{key} must not start with `/`"));
        }
        let stripped = prefix.strip_suffix('/').unwrap_or(prefix);
        for component in stripped.split('/') {
            if component.is_empty() || component == "." || component == ".." {
                return Err(format!("{key} components must be non-empty names other than `.` and `..`"));
            }
            if component.len() > MAX_COMPONENT_BYTES {
                return Err(format!("{key} has a component longer than {MAX_COMPONENT_BYTES} bytes"));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// [[providers]]

fn validate_providers(providers: &[ProviderConfig]) -> Rule {
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

// ---------------------------------------------------------------------------------------------
// Shared checks

fn non_blank(key: &str, value: &str) -> Rule {
    if value.trim().is_empty() { Err(format!("{key} must not be blank")) } else { Ok(()) }
}

/// Non-blank and without surrounding whitespace (identifiers matched exactly).
fn trimmed_name(key: &str, value: &str) -> Rule {
    non_blank(key, value)?;
    if value.trim() != value {
        return Err(format!("{key} `{value}` must not have leading or trailing whitespace"));
    }
    Ok(())
}

fn max_entries(key: &str, len: usize, max: usize) -> Rule {
    if len > max { Err(format!("{key} has {len} entries (at most {max})")) } else { Ok(()) }
}

fn in_range<T: PartialOrd + std::fmt::Display>(key: &str, value: T, (min, max): (T, T)) -> Rule {
    if value < min || value > max {
        Err(format!("{key} must be between {min} and {max} (got {value})"))
    } else {
        Ok(())
    }
}

/// "Path-checked": trimmed non-empty, at most 4096 bytes, every component at most 255 bytes.
fn check_path(key: &str, path: &Path) -> Rule {
    let text = path.as_os_str();
    if text.to_string_lossy().trim().is_empty() {
        return Err(format!("{key} must not be empty"));
    }
    if text.len() > MAX_PATH_BYTES {
        return Err(format!("{key} is longer than {MAX_PATH_BYTES} bytes"));
    }
    check_path_shape(key, path, |component| component.len())
}

/// Every normal component of `path` measures at most 255 (in the unit `measure` uses).
pub(super) fn check_path_shape(key: &str, path: &Path, measure: impl Fn(&std::ffi::OsStr) -> usize) -> Rule {
    for component in path.components() {
        if let Component::Normal(name) = component
            && measure(name) > MAX_COMPONENT_BYTES
        {
            return Err(format!("{key} has a path component longer than {MAX_COMPONENT_BYTES}"));
        }
    }
    Ok(())
}
