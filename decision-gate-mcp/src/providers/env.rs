//! Built-in `env` provider (mcp-surface §10.2).
//!
//! Check `get` with params `{key}` reads one environment variable (or the configured override
//! map, which then replaces the process environment entirely). The deny list wins over the
//! allow list; list entries are patterns where `*` matches any run of characters, compared
//! ignoring ASCII case. Without a `config` table, secret-looking names are denied.

use std::collections::BTreeMap;

use decision_gate_core::evidence::{EvidenceContext, EvidenceResult, TrustLane};
use decision_gate_core::ports::EvidenceError;
use decision_gate_core::spec::EvidenceQuery;
use serde::Deserialize;
use serde_json::Value;

use super::builtin::{anchor, params_error, string_param, value_result};
use super::federation::ProviderBackend;

/// Deny patterns applied when the provider has no `config` table.
pub const DEFAULT_SECRET_PATTERNS: [&str; 5] = ["*TOKEN*", "*SECRET*", "*PASSWORD*", "*KEY*", "*CREDENTIAL*"];

/// `config` of the `env` provider.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvProviderConfig {
    /// Key patterns that may be read (absent: every key that is not denied).
    #[serde(default)]
    pub allowlist: Option<Vec<String>>,
    /// Key patterns that are never read.
    pub denylist: Vec<String>,
    /// Largest value returned, in bytes.
    pub max_value_bytes: usize,
    /// Longest key accepted, in bytes.
    pub max_key_bytes: usize,
    /// Fixed values that replace the process environment when present.
    #[serde(default)]
    pub overrides: Option<BTreeMap<String, String>>,
}

impl Default for EnvProviderConfig {
    fn default() -> Self {
        EnvProviderConfig {
            allowlist: None,
            denylist: DEFAULT_SECRET_PATTERNS.iter().map(|pattern| (*pattern).to_owned()).collect(),
            max_value_bytes: 65_536,
            max_key_bytes: 255,
            overrides: None,
        }
    }
}

/// The `env` provider.
#[derive(Clone, Debug, Default)]
pub struct EnvProvider {
    config: EnvProviderConfig,
}

impl EnvProvider {
    /// Builds the provider.
    pub fn new(config: EnvProviderConfig) -> Self {
        EnvProvider { config }
    }

    /// Whether policy lets `key` be read: not denied, and allowed when an allowlist exists.
    pub fn key_allowed(&self, key: &str) -> bool {
        if self.config.denylist.iter().any(|pattern| glob_matches(pattern, key)) {
            return false;
        }
        match &self.config.allowlist {
            Some(allowlist) => allowlist.iter().any(|pattern| glob_matches(pattern, key)),
            None => true,
        }
    }

    /// The raw value of `key`: from the override map when configured, else the process.
    fn lookup(&self, key: &str) -> Result<Option<String>, EvidenceError> {
        if let Some(overrides) = &self.config.overrides {
            return Ok(overrides.get(key).cloned());
        }
        match std::env::var_os(key) {
            None => Ok(None),
            Some(value) => {
                value.into_string().map(Some).map_err(|_| EvidenceError("env value is not valid UTF-8".to_owned()))
            }
        }
    }
}

impl ProviderBackend for EnvProvider {
    fn query(&self, query: &EvidenceQuery, _ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        if query.check_id != "get" {
            return Err(EvidenceError(format!("unsupported env check: {}", query.check_id)));
        }
        let key = string_param(query, "key").map_err(|problem| params_error("env", "key", problem))?;
        if key.len() > self.config.max_key_bytes {
            return Err(EvidenceError(format!("env key exceeds {} bytes", self.config.max_key_bytes)));
        }
        // The standard library refuses (or may panic on) such names, and no variable can have one.
        if key.is_empty() || key.contains(['=', '\0']) {
            return Err(EvidenceError("env key is not a valid variable name".to_owned()));
        }
        if !self.key_allowed(key) {
            return Err(EvidenceError("env key blocked by policy".to_owned()));
        }
        let anchor = anchor("env", key);
        let Some(value) = self.lookup(key)? else {
            return Ok(EvidenceResult {
                evidence_anchor: Some(anchor),
                lane: TrustLane::Verified,
                ..Default::default()
            });
        };
        if value.len() > self.config.max_value_bytes {
            return Err(EvidenceError(format!("env value exceeds {} bytes", self.config.max_value_bytes)));
        }
        Ok(value_result(Value::String(value), "text/plain", anchor))
    }
}

/// Matches `text` against a pattern in which `*` stands for any run of characters, ignoring
/// ASCII case.
///
/// Hand-written rather than taken from a glob crate: only `*` is needed (no classes, no path
/// semantics), and the iterative two-pointer form below runs in linear-times-pattern time.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let text: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut p, mut t) = (0, 0);
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            resume = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star, matched)) = resume {
            p = star + 1;
            t = matched + 1;
            resume = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}
