//! Real MCP clients (rmcp) over stdio and Streamable HTTP, in both protocol eras.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;

use anyhow::Context;
use rmcp::RoleClient;
use rmcp::model::{CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation, ProtocolVersion, Tool};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RunningService, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use serde_json::Value;

use crate::binary;

/// Which MCP era the client speaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Era {
    /// 2026-07-28: `server/discover`, then stateless requests with `_meta`.
    Stateless,
    /// `initialize` with this version (2025-11-25 or 2025-06-18).
    Handshake(ProtocolVersion),
}

impl Era {
    /// Every era the server speaks.
    pub fn all() -> Vec<Era> {
        vec![
            Era::Stateless,
            Era::Handshake(ProtocolVersion::V_2025_11_25),
            Era::Handshake(ProtocolVersion::V_2025_06_18),
        ]
    }
}

/// A failed call: a tool error (`isError`) or a protocol error (JSON-RPC error).
#[derive(Clone, Debug, PartialEq)]
pub enum CallError {
    /// `isError: true` with the structured error object.
    Tool {
        /// Code.
        code: i64,
        /// Kind label.
        kind: String,
        /// Message.
        message: String,
        /// Retryable flag.
        retryable: bool,
    },
    /// A JSON-RPC error.
    Rpc {
        /// Code.
        code: i64,
        /// Message.
        message: String,
    },
}

impl CallError {
    /// The numeric code of either kind.
    pub fn code(&self) -> i64 {
        match self {
            CallError::Tool { code, .. } | CallError::Rpc { code, .. } => *code,
        }
    }

    /// The message of either kind.
    pub fn message(&self) -> &str {
        match self {
            CallError::Tool { message, .. } | CallError::Rpc { message, .. } => message,
        }
    }
}

/// An rmcp client connected to a server.
pub struct McpClient {
    service: RunningService<RoleClient, ClientConfig>,
}

fn client_config(era: &Era) -> ClientConfig {
    let config = ClientConfig::new(ClientCapabilities::default(), Implementation::new("system-tests", "0.1.0"));
    match era {
        Era::Stateless => config.with_protocol_version(ProtocolVersion::V_2026_07_28),
        Era::Handshake(version) => config.with_protocol_version(version.clone()),
    }
}

fn lifecycle(era: &Era) -> ClientLifecycleMode {
    match era {
        Era::Stateless => ClientLifecycleMode::Discover { preferred_versions: vec![ProtocolVersion::V_2026_07_28] },
        Era::Handshake(_) => ClientLifecycleMode::Initialize,
    }
}

impl McpClient {
    /// Spawns `decision-gate serve --config <config>` in `dir` and connects over stdio.
    pub async fn stdio(dir: &Path, config: &Path, era: Era) -> anyhow::Result<Self> {
        let command = tokio::process::Command::new(binary()).configure(|command| {
            command.arg("serve").arg("--config").arg(config).current_dir(dir);
        });
        let (transport, _stderr) = TokioChildProcess::builder(command).stderr(Stdio::null()).spawn()?;
        let service =
            client_config(&era).serve_with_lifecycle(transport, lifecycle(&era)).await.context("connect over stdio")?;
        Ok(McpClient { service })
    }

    /// Connects to a Streamable HTTP endpoint.
    pub async fn http(url: &str, era: Era) -> anyhow::Result<Self> {
        Self::http_with_headers(url, era, HashMap::new()).await
    }

    /// Connects to a Streamable HTTP endpoint with extra headers (e.g. a bearer token).
    pub async fn http_with_headers(url: &str, era: Era, headers: HashMap<String, String>) -> anyhow::Result<Self> {
        let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
        let mut custom = HashMap::new();
        for (name, value) in headers {
            if name.eq_ignore_ascii_case("authorization") {
                config = config.auth_header(value.trim_start_matches("Bearer ").to_owned());
            } else {
                custom.insert(name.parse()?, value.parse()?);
            }
        }
        let transport = StreamableHttpClientTransport::from_config(config.custom_headers(custom));
        let service =
            client_config(&era).serve_with_lifecycle(transport, lifecycle(&era)).await.context("connect over HTTP")?;
        Ok(McpClient { service })
    }

    /// The negotiated protocol version.
    pub fn protocol_version(&self) -> Option<String> {
        self.service.peer_info().map(|info| info.protocol_version.as_str().to_owned())
    }

    /// `tools/list`.
    pub async fn list_tools(&self) -> anyhow::Result<Vec<Tool>> {
        Ok(self.service.list_all_tools().await?)
    }

    /// `tools/call`: the structured result, or the failure.
    pub async fn call(&self, tool: &str, arguments: Value) -> Result<Value, CallError> {
        let arguments = arguments.as_object().cloned().unwrap_or_default();
        let request = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
        match self.service.call_tool(request).await {
            Ok(result) => {
                let structured = result.structured_content.clone().unwrap_or(Value::Null);
                // The text item is the canonical JSON of the same object.
                if let Some(text) = result.content.first().and_then(|item| item.as_text()).map(|text| text.text.clone())
                {
                    let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    assert_eq!(parsed, structured, "text content equals structuredContent");
                }
                if result.is_error == Some(true) {
                    let error = &structured["error"];
                    return Err(CallError::Tool {
                        code: error["code"].as_i64().unwrap_or_default(),
                        kind: error["kind"].as_str().unwrap_or_default().to_owned(),
                        message: error["message"].as_str().unwrap_or_default().to_owned(),
                        retryable: error["retryable"].as_bool().unwrap_or_default(),
                    });
                }
                Ok(structured)
            }
            Err(ServiceError::McpError(error)) => {
                Err(CallError::Rpc { code: i64::from(error.code.0), message: error.message.to_string() })
            }
            Err(other) => Err(CallError::Rpc { code: 0, message: other.to_string() }),
        }
    }

    /// Closes the connection.
    pub async fn close(self) {
        let _ = self.service.cancel().await;
    }
}
