//! The MCP side of external providers, on rmcp's client: the handshake and `tools/call`.
//!
//! # Handshake (mcp-surface §10.3)
//!
//! 1. `server/discover` for 2026-07-28 (`ClientLifecycleMode::Discover`); afterwards every
//!    request carries `_meta` and is stateless.
//! 2. If the provider answers with a JSON-RPC error, or supports discovery but none of our
//!    discovery versions: `initialize` with protocolVersion 2025-11-25 and clientInfo
//!    `{name: "decision-gate", version}`, then `notifications/initialized`
//!    (`ClientLifecycleMode::Initialize`).
//! 3. A provider answering `initialize` with -32601 is a Decision Gate OSS-era provider: it is
//!    called without any handshake (`serve_directly`).
//!
//! rmcp's `ClientLifecycleMode::Auto` covers only part of this: it falls back to `initialize`
//! after a non-modern discovery error, but a provider that supports discovery without our
//! version ends in `NoCompatibleProtocolVersion` (no fallback), and `initialize` answered with
//! -32601 ends in `LegacyFallbackFailed` with the transport consumed. The steps are therefore
//! sequenced here, each on a fresh transport from the caller's factory.
//!
//! # Request ids (deviation)
//!
//! The spec asks for the `tools/call` id to be the sanitised correlation id when there is one,
//! else a per-provider incrementing integer. rmcp's client cannot do that: every client
//! `Peer` is built with its own `AtomicU32RequestIdProvider` (`Peer::new` and the id provider
//! field are crate-private; `serve_client*` and `serve_directly*` offer no way to pass
//! another), so ids are integers counting from 0 per connection, handshake included. rmcp
//! still matches every response to its request by id, the stdio transport additionally
//! rejects responses whose id answers nothing outstanding, and the correlation id still
//! reaches the provider inside `arguments.context.correlation_id` (and, over HTTP, in the
//! `x-correlation-id` header). Only the `Content-Length` (OSS) exchange, which is hand-written,
//! uses the id the spec asks for.

use std::borrow::Cow;

use decision_gate_core::evidence::EvidenceResult;
use decision_gate_core::ports::EvidenceError;
use rmcp::model::ErrorData;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, ClientCapabilities, ClientConfig, ClientRequest, CustomResult, ErrorCode,
    Implementation, JsonObject, ProtocolVersion, ServerResult,
};
use rmcp::service::ClientInitializeError;
use rmcp::service::{RunningService, serve_directly};
use rmcp::transport::IntoTransport;
use rmcp::{ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceError};
use serde_json::Value;

use super::parse::{UNEXPECTED, bounded_text, parse_tool_result, rpc_error};
use super::pipe_transport::TRANSPORT_FAULT_CODE;

/// The name of the tool every external provider serves.
pub(super) const TOOL_NAME: &str = "evidence_query";

/// How a session was established.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// `server/discover` (2026-07-28): stateless requests with `_meta`.
    Stateless,
    /// `initialize` / `notifications/initialized` (2025-11-25).
    Handshake,
    /// No handshake: a Decision Gate OSS-era provider.
    Direct,
}

/// The correlation id of one `tools/call`, carried to the HTTP client in the request's
/// extensions (it becomes the `x-correlation-id` header).
#[derive(Clone, Debug)]
pub(super) struct CorrelationHeader(pub(super) String);

/// Why a call failed.
#[derive(Debug)]
pub(super) enum CallError {
    /// The provider answered, with an error or a result that is not evidence.
    Provider(EvidenceError),
    /// The connection failed or closed; the session is unusable.
    Connection(EvidenceError),
}

/// One established MCP session with a provider.
pub(super) struct McpSession {
    service: RunningService<RoleClient, ClientConfig>,
    era: Era,
}

impl std::fmt::Debug for McpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpSession").field("era", &self.era).field("closed", &self.service.is_closed()).finish()
    }
}

/// The identity and capabilities this side announces.
fn client_config() -> ClientConfig {
    ClientConfig::new(ClientCapabilities::default(), Implementation::new("decision-gate", env!("CARGO_PKG_VERSION")))
        .with_protocol_version(ProtocolVersion::V_2025_11_25)
}

/// Runs the handshake (module docs) on transports from `make`.
pub(super) async fn connect<T, E, A, F>(mut make: F) -> Result<McpSession, String>
where
    F: FnMut() -> Result<T, String>,
    T: IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let discover = ClientLifecycleMode::Discover { preferred_versions: vec![ProtocolVersion::V_2026_07_28] };
    match client_config().serve_with_lifecycle(make()?, discover).await {
        Ok(service) => return Ok(McpSession { service, era: Era::Stateless }),
        Err(ClientInitializeError::JsonRpcError(_) | ClientInitializeError::NoCompatibleProtocolVersion { .. }) => {}
        Err(err) => return Err(format!("server/discover failed: {}", bounded_text(&err.to_string()))),
    }
    match client_config().serve_with_lifecycle(make()?, ClientLifecycleMode::Initialize).await {
        Ok(service) => Ok(McpSession { service, era: Era::Handshake }),
        Err(ClientInitializeError::JsonRpcError(error)) if error.code == ErrorCode::METHOD_NOT_FOUND => {
            Ok(McpSession { service: serve_directly(client_config(), make()?, None), era: Era::Direct })
        }
        Err(err) => Err(format!("initialize failed: {}", bounded_text(&err.to_string()))),
    }
}

impl McpSession {
    /// How the session was established.
    pub(super) fn era(&self) -> Era {
        self.era
    }

    /// Whether the connection has closed.
    pub(super) fn is_closed(&self) -> bool {
        self.service.is_closed()
    }

    /// Sends `tools/call evidence_query` with `arguments` and parses the answer.
    pub(super) async fn call(
        &self,
        arguments: JsonObject,
        correlation_id: Option<&str>,
    ) -> Result<EvidenceResult, CallError> {
        let mut request = CallToolRequest::new(CallToolRequestParams::new(TOOL_NAME).with_arguments(arguments));
        if let Some(id) = correlation_id {
            request.extensions.insert(CorrelationHeader(id.to_owned()));
        }
        let answer = self.service.peer().send_request(ClientRequest::CallToolRequest(request)).await;
        let result = match answer {
            // Results rmcp cannot type (e.g. OSS `{"type":"json"}` content) arrive as custom results.
            Ok(ServerResult::CustomResult(CustomResult(value))) => value,
            Ok(ServerResult::CallToolResult(result)) => {
                serde_json::to_value(result).map_err(|_| CallError::Provider(EvidenceError(UNEXPECTED.to_owned())))?
            }
            Ok(_) => return Err(CallError::Provider(EvidenceError(UNEXPECTED.to_owned()))),
            Err(ServiceError::McpError(error)) => return Err(classify_rpc_error(&error)),
            Err(err) => return Err(CallError::Connection(connection_error(&err))),
        };
        parse_tool_result(&result).map_err(CallError::Provider)
    }

    /// Closes the session (the transport is closed; a child process is ended by its owner).
    pub(super) async fn close(mut self) {
        let _ = self.service.close_with_timeout(std::time::Duration::from_secs(1)).await;
    }
}

/// A JSON-RPC error: the provider's own, or one the transport made up for a fault.
fn classify_rpc_error(error: &ErrorData) -> CallError {
    if error.code == TRANSPORT_FAULT_CODE && error.data.as_ref().is_some_and(|data| data["transport_fault"] == true) {
        return CallError::Provider(EvidenceError(error.message.to_string()));
    }
    CallError::Provider(rpc_error(&error.message))
}

/// The message for a failed exchange.
fn connection_error(err: &ServiceError) -> EvidenceError {
    let text: Cow<'_, str> = match err {
        ServiceError::TransportClosed => "provider connection closed".into(),
        ServiceError::TransportSend(err) => format!("provider request failed: {}", transport_detail(err)).into(),
        ServiceError::UnexpectedResponse => UNEXPECTED.into(),
        other => format!("provider request failed: {other}").into(),
    };
    EvidenceError(bounded_text(&text))
}

/// The innermost useful text of a transport error (e.g. `HTTP 500: …`).
fn transport_detail(err: &rmcp::transport::DynamicTransportError) -> String {
    let mut text = err.error.to_string();
    let mut source = err.error.source();
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

/// The `arguments` of `tools/call`: `{"query": …, "context": …}`.
pub(super) fn arguments(query: &Value, context: &Value) -> JsonObject {
    let mut arguments = JsonObject::new();
    arguments.insert("query".to_owned(), query.clone());
    arguments.insert("context".to_owned(), context.clone());
    arguments
}
