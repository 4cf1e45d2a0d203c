//! Provider sections: `[provider_discovery]` and `[[providers]]` (built-in and external MCP
//! evidence providers).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{StdioFraming, TrustPolicyConfig};

/// `[provider_discovery]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ProviderDiscoveryConfig {
    /// Providers whose contracts may be disclosed (empty = all).
    pub allowlist: Vec<String>,
    /// Providers whose contracts are never disclosed.
    pub denylist: Vec<String>,
    /// Largest discovery response.
    pub max_response_bytes: usize,
}

impl Default for ProviderDiscoveryConfig {
    fn default() -> Self {
        ProviderDiscoveryConfig { allowlist: Vec::new(), denylist: Vec::new(), max_response_bytes: 1_048_576 }
    }
}

/// Provider kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum ProviderType {
    /// One of `time`, `env`, `json`, `http`.
    Builtin,
    /// An external MCP server.
    Mcp,
}

/// Provider timeouts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ProviderTimeouts {
    /// Connect (and stdio start + handshake) timeout, 100..=10000 ms.
    pub connect_timeout_ms: u64,
    /// Request timeout, 500..=30000 ms, at least the connect timeout.
    pub request_timeout_ms: u64,
}

impl Default for ProviderTimeouts {
    fn default() -> Self {
        ProviderTimeouts { connect_timeout_ms: 2000, request_timeout_ms: 10_000 }
    }
}

/// Bearer auth for an HTTP MCP provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderAuthConfig {
    /// Token sent as `Authorization: Bearer`.
    #[serde(default)]
    pub bearer_token: Option<String>,
}

/// `[[providers]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Provider id.
    pub name: String,
    /// Kind.
    #[serde(rename = "type")]
    pub provider_type: ProviderType,
    /// stdio command (MCP providers).
    #[serde(default)]
    pub command: Vec<String>,
    /// Streamable HTTP URL (MCP providers).
    #[serde(default)]
    pub url: Option<String>,
    /// Allow `http://` URLs.
    #[serde(default)]
    pub allow_insecure_http: bool,
    /// Contract file (MCP providers).
    #[serde(default)]
    pub capabilities_path: Option<PathBuf>,
    /// HTTP auth.
    #[serde(default)]
    pub auth: Option<ProviderAuthConfig>,
    /// Trust policy override.
    #[serde(default)]
    pub trust: Option<TrustPolicyConfig>,
    /// Opt-in to raw value disclosure.
    #[serde(default)]
    pub allow_raw: bool,
    /// stdio framing.
    #[serde(default)]
    pub framing: StdioFraming,
    /// Timeouts.
    #[serde(default)]
    pub timeouts: ProviderTimeouts,
    /// Built-in provider configuration (all non-optional fields required when present).
    #[serde(default)]
    pub config: Option<Value>,
}

impl ProviderConfig {
    /// A built-in provider entry without a `config` table.
    pub fn builtin(name: &str) -> Self {
        ProviderConfig {
            name: name.to_owned(),
            provider_type: ProviderType::Builtin,
            command: Vec::new(),
            url: None,
            allow_insecure_http: false,
            capabilities_path: None,
            auth: None,
            trust: None,
            allow_raw: false,
            framing: StdioFraming::Newline,
            timeouts: ProviderTimeouts::default(),
            config: None,
        }
    }
}
