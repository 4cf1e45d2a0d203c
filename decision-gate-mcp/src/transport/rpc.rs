//! The Decision Gate OSS JSON-RPC dialect (`POST /rpc` and legacy Content-Length stdio):
//! `tools/list` and `tools/call` only, results as `{"content":[{"type":"json","json":…}]}`,
//! every tool failure a JSON-RPC error (mcp-surface §4.3).

use serde::Serialize;
use serde_json::{Value, json};

use super::TransportContext;
use crate::errors::{ErrorCode, ToolError, request_id_text};
use crate::tools::catalogue::rpc_tool_list;
use crate::tools::{CallFailure, ToolRouter};

/// What the dialect produced for one request, with the facts the transport audits.
#[derive(Clone, Debug)]
pub struct RpcOutcome {
    /// HTTP status (`/rpc`); stdio ignores it.
    pub status: u16,
    /// The JSON-RPC response.
    pub body: Value,
    /// Audit method label (`ToolsList`, `ToolsCall`, `Invalid`, `Other`).
    pub method: &'static str,
    /// Tool name of a call.
    pub tool: Option<String>,
    /// Error, when the response is one.
    pub error: Option<ToolError>,
    /// JSON text of the request id.
    pub request_id: Option<String>,
}

#[derive(Serialize)]
struct ErrorData<'a> {
    kind: &'a str,
    retryable: bool,
    request_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_ms: Option<u64>,
}

#[derive(Serialize)]
struct ErrorObject<'a> {
    code: i32,
    message: &'a str,
    data: ErrorData<'a>,
}

#[derive(Serialize)]
struct ErrorResponse<'a> {
    jsonrpc: &'static str,
    id: &'a Value,
    error: ErrorObject<'a>,
}

/// A JSON-RPC error response in the OSS field order (kind derived from the code).
pub fn error_response(error: &ToolError, id: Option<&Value>, request_id: Option<&str>) -> Value {
    let null = Value::Null;
    let response = ErrorResponse {
        jsonrpc: "2.0",
        id: id.unwrap_or(&null),
        error: ErrorObject {
            code: error.code.code(),
            message: &error.message,
            data: ErrorData {
                kind: error.code.kind(),
                retryable: error.retryable,
                request_id,
                retry_after_ms: error.retry_after_ms,
            },
        },
    };
    serde_json::to_value(response).unwrap_or(Value::Null)
}

fn failure(
    error: ToolError,
    method: &'static str,
    tool: Option<String>,
    id: Option<&Value>,
    request_id: Option<String>,
) -> RpcOutcome {
    RpcOutcome {
        status: error.code.rpc_http_status(),
        body: error_response(&error, id, request_id.as_deref()),
        method,
        tool,
        error: Some(error),
        request_id,
    }
}

/// Handles one `/rpc` body.
pub async fn handle(router: &ToolRouter, transport: &TransportContext, body: &[u8]) -> RpcOutcome {
    let invalid = || ToolError::new(ErrorCode::InvalidRequest, "invalid json-rpc request");
    let Ok(mut message) = serde_json::from_slice::<Value>(body) else {
        return failure(invalid(), "Invalid", None, None, None);
    };
    let Some(object) = message.as_object() else {
        return failure(invalid(), "Invalid", None, None, None);
    };
    let Some(id) = object.get("id") else {
        return failure(invalid(), "Invalid", None, None, None);
    };
    let request_id = Some(request_id_text(id));
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        let error = ToolError::new(ErrorCode::InvalidRequest, "invalid json-rpc version");
        return failure(error, "Invalid", None, Some(id), request_id);
    }
    let meta = object.get("params").and_then(|params| params.get("_meta")).and_then(Value::as_object);
    let ctx = transport.call_context(request_id.clone(), super::meta_idempotency_key(meta));
    match object.get("method").and_then(Value::as_str) {
        Some("tools/list") => {
            let visible: Vec<&str> =
                router.list(&ctx).await.iter().map(|definition| definition.name.as_str()).collect();
            let mut listing = rpc_tool_list();
            if let Some(tools) = listing.get_mut("tools").and_then(Value::as_array_mut) {
                tools.retain(|tool| {
                    tool.get("name").and_then(Value::as_str).is_some_and(|name| visible.contains(&name))
                });
            }
            RpcOutcome {
                status: 200,
                body: json!({"jsonrpc": "2.0", "id": id, "result": listing}),
                method: "ToolsList",
                tool: None,
                error: None,
                request_id,
            }
        }
        Some("tools/call") => {
            let params = object.get("params").and_then(Value::as_object);
            let name = params.and_then(|params| params.get("name")).and_then(Value::as_str).map(str::to_owned);
            let has_arguments = params.is_some_and(|params| params.contains_key("arguments"));
            let (Some(name), true) = (name, has_arguments) else {
                let error = ToolError::invalid_params("invalid tool params");
                return failure(error, "ToolsCall", None, Some(id), request_id);
            };
            let id = id.clone();
            // The arguments move out of the parsed message (no copy of the tree).
            let arguments = message.pointer_mut("/params/arguments").map(Value::take).unwrap_or_default();
            let id = &id;
            let tool = Some(name.clone());
            match router.call(&ctx, &name, arguments).await {
                Ok(result) => RpcOutcome {
                    status: 200,
                    body: json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "json", "json": result}]}}),
                    method: "ToolsCall",
                    tool,
                    error: None,
                    request_id,
                },
                Err(CallFailure::UnknownTool(_)) => failure(
                    ToolError::new(ErrorCode::MethodNotFound, "unknown tool"),
                    "ToolsCall",
                    tool,
                    Some(id),
                    request_id,
                ),
                Err(CallFailure::Failed(error)) => failure(error, "ToolsCall", tool, Some(id), request_id),
            }
        }
        _ => {
            failure(ToolError::new(ErrorCode::MethodNotFound, "method not found"), "Other", None, Some(id), request_id)
        }
    }
}
