//! The MCP server handler on `rmcp`: both protocol eras (2026-07-28 stateless with
//! `server/discover`; 2025-11-25 and 2025-06-18 with `initialize`) are negotiated by rmcp per
//! request; this handler lists and calls the tools through the `ToolRouter`.

use std::borrow::Cow;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, CustomRequest, CustomResult, ErrorCode,
    Implementation, JsonObject, ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations, ToolsCapability,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use super::TransportContext;
use crate::errors::{ErrorCode as DgCode, ToolError, request_id_text};
use crate::tools::catalogue::ToolDefinition;
use crate::tools::{CallFailure, ToolRouter};

/// Protocol versions served (oldest first): 2025-03-26 (the first Streamable HTTP revision),
/// 2025-06-18 and 2025-11-25 with `initialize`, 2026-07-28 stateless.
pub const SUPPORTED_VERSIONS: &[ProtocolVersion] = &[
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_11_25,
    ProtocolVersion::V_2026_07_28,
];

const INSTRUCTIONS: &str = "Decision Gate gates work on recorded evidence. Define a scenario (scenario_define), \
start a run (scenario_start), then call scenario_next whenever you want to proceed: the answer is a recorded \
decision (advance, hold with the unmet gates, complete or fail) and any disclosed packets. Use precheck to test \
asserted data without touching a run, and runpack_export / runpack_verify for auditable bundles.";

/// Canonical JSON text of a value (the text content item of every result).
pub fn canonical_text(value: &Value) -> String {
    String::from_utf8(decision_gate_core::hashing::value_to_canonical_vec(value)).unwrap_or_default()
}

/// The rmcp handler.
#[derive(Clone, Debug)]
pub struct McpHandler {
    router: ToolRouter,
}

fn json_object(value: &Value) -> Arc<JsonObject> {
    Arc::new(value.as_object().cloned().unwrap_or_default())
}

fn to_rmcp_tool(definition: &ToolDefinition) -> Tool {
    let hints = definition.annotations;
    let annotations = ToolAnnotations::new()
        .read_only(hints.read_only_hint)
        .destructive(hints.destructive_hint)
        .open_world(hints.open_world_hint);
    Tool::new(definition.name.as_str(), definition.description, json_object(&definition.input_schema))
        .with_title(definition.title)
        .with_raw_output_schema(json_object(&definition.output_schema))
        .with_annotations(annotations)
}

/// The error for a request of `method` whose params could not be decoded: a known method's
/// -32602 (`invalid tool params` for `tools/call`), else -32601 (mcp-surface §2.1, §2.3).
pub fn method_params_error(method: &str) -> ToolError {
    match method {
        "tools/call" => ToolError::invalid_params("invalid tool params"),
        "tools/list" | "server/discover" | "initialize" | "ping" => ToolError::invalid_params("invalid params"),
        _ => ToolError::new(DgCode::MethodNotFound, "method not found"),
    }
}

/// The error for a JSON-RPC 2.0 object that rmcp cannot decode as a client message: a request
/// (string or number id, string method) gets its method's params error; anything else (a bad
/// id, neither request nor response) is -32600 `invalid json-rpc request`.
pub fn undecodable_message_error(message: &Value) -> ToolError {
    let valid_id = matches!(message.get("id"), Some(Value::String(_) | Value::Number(_)));
    match message.get("method").and_then(Value::as_str) {
        Some(method) if valid_id => method_params_error(method),
        _ => ToolError::new(DgCode::InvalidRequest, "invalid json-rpc request"),
    }
}

/// A JSON-RPC error in the project's envelope (`data.kind`, `retryable`, `request_id`).
pub fn rpc_error(error: &ToolError, request_id: Option<&str>) -> ErrorData {
    ErrorData::new(ErrorCode(error.code.code()), error.message.clone(), Some(error.rpc_data(request_id, false)))
}

impl McpHandler {
    /// A handler over the router.
    pub fn new(router: ToolRouter) -> Self {
        McpHandler { router }
    }

    /// The router.
    pub fn router(&self) -> &ToolRouter {
        &self.router
    }

    fn transport_context(context: &RequestContext<RoleServer>) -> Option<TransportContext> {
        if let Some(found) = context.extensions.get::<TransportContext>() {
            return Some(found.clone());
        }
        context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<TransportContext>())
            .cloned()
    }

    fn request_id(context: &RequestContext<RoleServer>) -> String {
        request_id_text(&serde_json::to_value(&context.id).unwrap_or(Value::Null))
    }

    /// `tools/list` for a caller: the tools it may see (no pagination: a cursor is refused).
    pub async fn tools_list(
        &self,
        transport: &TransportContext,
        request_id: String,
        request: Option<PaginatedRequestParams>,
    ) -> Result<ListToolsResult, ErrorData> {
        if request.as_ref().and_then(|params| params.cursor.as_ref()).is_some() {
            return Err(rpc_error(&ToolError::invalid_params("invalid cursor"), Some(&request_id)));
        }
        let ctx = transport.call_context(Some(request_id), None);
        let tools = self.router.list(&ctx).await.into_iter().map(to_rmcp_tool).collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    /// `tools/call` through the router: a result (its canonical text and structured content),
    /// a tool error as an `isError` result, or an unknown tool as -32602.
    pub async fn tools_call(
        &self,
        transport: &TransportContext,
        request_id: String,
        meta_key: Option<String>,
        request: CallToolRequestParams,
    ) -> Result<CallToolResponse, ErrorData> {
        let ctx = transport.call_context(Some(request_id.clone()), meta_key);
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        match self.router.call_with_text(&ctx, &request.name, arguments).await {
            Ok((value, text)) => {
                let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
                result.structured_content = Some(value);
                Ok(result.into())
            }
            Err(CallFailure::UnknownTool(name)) => {
                Err(rpc_error(&ToolError::invalid_params(format!("unknown tool: {name}")), Some(&request_id)))
            }
            Err(CallFailure::Failed(error)) => {
                let envelope = error.tool_envelope();
                let mut result = CallToolResult::error(vec![ContentBlock::text(canonical_text(&envelope))]);
                result.structured_content = Some(envelope);
                Ok(result.into())
            }
        }
    }
}

impl ServerHandler for McpHandler {
    fn get_info(&self) -> ServerConfig {
        let mut tools = ToolsCapability::default();
        tools.list_changed = Some(false);
        let capabilities = ServerCapabilities::builder().enable_tools_with(tools).build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("decision-gate", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
            .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(SUPPORTED_VERSIONS)
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let request_id = Self::request_id(&context);
        let transport = Self::transport_context(&context)
            .ok_or_else(|| rpc_error(&ToolError::unauthenticated(), Some(&request_id)))?;
        self.tools_list(&transport, request_id, request).await
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let request_id = Self::request_id(&context);
        let transport = Self::transport_context(&context)
            .ok_or_else(|| rpc_error(&ToolError::unauthenticated(), Some(&request_id)))?;
        // rmcp moves the request's `_meta` into the context; read the key from either.
        let meta_key = super::meta_idempotency_key(Some(&**context.meta))
            .or_else(|| super::meta_idempotency_key(request.meta.as_deref().map(|meta| &**meta)));
        self.tools_call(&transport, request_id, meta_key, request).await
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let request_id = Self::request_id(&context);
        // A known method whose params did not parse lands here.
        Err(rpc_error(&method_params_error(request.method.as_str()), Some(&request_id)))
    }
}
