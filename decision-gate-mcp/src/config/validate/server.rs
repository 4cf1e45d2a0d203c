//! Rules of `[server]`: body and in-flight limits, rate limits, allowed origins, paths, feedback
//! levels, tool lists, transport and bind, and `[server.auth]`.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};

use super::{Rule, check_path, in_range, max_entries, non_blank};
use crate::config::{AuthConfig, AuthMode, FeedbackLevel, RateLimitBucket, ServerConfig, TransportKind};
use crate::tools::catalogue::ToolName;

const MAX_BEARER_TOKENS: usize = 64;
const MAX_BEARER_TOKEN_BYTES: usize = 256;
const MAX_MTLS_SUBJECTS: usize = 64;
const MAX_MTLS_SUBJECT_BYTES: usize = 512;
const MAX_TOOL_ENTRIES: usize = 128;
const MAX_PRINCIPALS: usize = 64;
const MAX_ROLES: usize = 128;
const RATE_MAX_REQUESTS: (u32, u32) = (1, 100_000);
const RATE_WINDOW_MS: (u64, u64) = (100, 60_000);
const RATE_MAX_ENTRIES: (usize, usize) = (1, 65_536);

pub(super) fn validate_server(server: &ServerConfig) -> Rule {
    if server.max_body_bytes == 0 {
        return Err("server.max_body_bytes must be greater than 0".to_owned());
    }
    if server.limits.max_inflight == 0 {
        return Err("server.limits.max_inflight must be greater than 0".to_owned());
    }
    if !(100..=60_000).contains(&server.http.body_timeout_ms) {
        return Err("server.http.body_timeout_ms must be between 100 and 60000".to_owned());
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
    for (index, host) in server.http.allowed_hosts.iter().enumerate() {
        let valid = !host.is_empty()
            && host.len() <= 255
            && host.bytes().all(|byte| byte.is_ascii_alphanumeric() || b".-:[]_".contains(&byte));
        if !valid {
            return Err(format!(
                "server.http.allowed_hosts[{index}] must be a host name or address, optionally with :port"
            ));
        }
    }
    for (index, binding) in server.auth.principals.iter().flat_map(|principal| &principal.roles).enumerate() {
        if binding.tenant_id == Some(0) || binding.namespace_id == Some(0) {
            return Err(format!(
                "server.auth.principals role binding {index}: tenant_id and namespace_id must be >= 1"
            ));
        }
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
        if ToolName::from_name(tool).is_none() {
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
