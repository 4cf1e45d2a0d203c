//! The lean path of `/mcp`: a POST carrying one self-contained JSON-RPC request that needs no
//! server-initiated stream (`tools/call`, `tools/list`, `ping` of the handshake era,
//! `server/discover` of the stateless era) is decoded once into rmcp's model types, dispatched
//! straight to the handler logic and answered as one `application/json` body, skipping rmcp's
//! per-request service (a one-shot transport, a serve loop and a spawned task per request).
//!
//! A request takes this path only when its headers and `_meta` are in the form rmcp would
//! accept without remark: `Content-Type: application/json`, an `Accept` listing both
//! `application/json` and `text/event-stream` without parameters, a supported
//! `MCP-Protocol-Version`, and either (stateless era) the same version in `_meta` with every
//! required key and the `Mcp-Method` (and, for `tools/call`, `Mcp-Name`) headers naming the
//! body, or (handshake era) no version in `_meta`. Anything else, including every request rmcp
//! would refuse, goes through rmcp unchanged, so its errors stay rmcp's. What this path
//! answers is what rmcp answers: the same handler functions, the same result shaping (cache
//! hints for the stateless era, no `resultType` for older peers), the same envelope and
//! status; a system test compares both paths byte for byte.

use std::borrow::Cow;

use http::{HeaderMap, StatusCode};
use rmcp::ServerHandler;
use rmcp::model::{
    ClientJsonRpcMessage, ClientRequest, DiscoverResult, ErrorCode, ErrorData, GetMeta, JsonRpcRequest,
    ProtocolVersion, RequestId, ServerJsonRpcMessage, ServerResult,
};
use serde_json::Value;

use super::TransportContext;
use super::mcp::{McpHandler, SUPPORTED_VERSIONS};
use crate::errors::kind_of;

const JSON: &str = "application/json";
const EVENT_STREAM: &str = "text/event-stream";

/// A request the lean path answers.
#[derive(Debug)]
pub struct LeanRequest {
    id: RequestId,
    request: ClientRequest,
    /// Negotiated per request (2026-07-28 `_meta`), as opposed to a handshake-era version.
    stateless: bool,
}

impl LeanRequest {
    /// The JSON-RPC method.
    pub fn method(&self) -> &'static str {
        match &self.request {
            ClientRequest::CallToolRequest(_) => "tools/call",
            ClientRequest::ListToolsRequest(_) => "tools/list",
            ClientRequest::PingRequest(_) => "ping",
            _ => "server/discover",
        }
    }

    /// The tool of a `tools/call`.
    pub fn tool(&self) -> Option<&str> {
        match &self.request {
            ClientRequest::CallToolRequest(call) => Some(&call.params.name),
            _ => None,
        }
    }

    /// JSON text of the request id.
    pub fn request_id(&self) -> String {
        serde_json::to_string(&self.id).unwrap_or_default()
    }
}

/// The answer: status, body and the error it carries (for audit and metrics).
#[derive(Debug)]
pub struct LeanAnswer {
    /// HTTP status.
    pub status: StatusCode,
    /// The serialised JSON-RPC response.
    pub body: Vec<u8>,
    /// Code and kind of a JSON-RPC error or a tool error result.
    pub error: Option<(i32, &'static str)>,
}

/// Whether the headers allow the lean path at all (checked before decoding the body).
pub fn headers_allow(headers: &HeaderMap) -> bool {
    let content_type = headers.get(http::header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
    let json_body = content_type.is_some_and(|value| {
        value.split_once(';').map_or(value, |(essence, _)| essence).trim().eq_ignore_ascii_case(JSON)
    });
    let (mut json, mut event_stream) = (false, false);
    for value in headers.get_all(http::header::ACCEPT) {
        let Ok(value) = value.to_str() else { return false };
        for entry in value.split(',') {
            let entry = entry.trim();
            if entry.contains(';') || entry.contains('"') {
                return false;
            }
            json |= entry.eq_ignore_ascii_case(JSON);
            event_stream |= entry.eq_ignore_ascii_case(EVENT_STREAM);
        }
    }
    json_body && json && event_stream
}

/// The single value of a header, when it is present exactly once and visible ASCII.
fn single<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok()
}

fn plain_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.'))
}

/// Classifies a decoded message: `Some` when the lean path answers it (`None`: rmcp does).
pub fn classify(headers: &HeaderMap, message: ClientJsonRpcMessage) -> Option<LeanRequest> {
    let ClientJsonRpcMessage::Request(JsonRpcRequest { id, request, .. }) = message else {
        return None;
    };
    let header = single(headers, "mcp-protocol-version")?;
    if !SUPPORTED_VERSIONS.iter().any(|version| version.as_str() == header) {
        return None;
    }
    let meta_version = request.get_meta().protocol_version();
    let stateless = header >= ProtocolVersion::V_2026_07_28.as_str();
    let eligible = if stateless {
        let name_ok = match &request {
            ClientRequest::CallToolRequest(call) => {
                plain_name(&call.params.name) && single(headers, "mcp-name") == Some(&*call.params.name)
            }
            _ => true,
        };
        let method_ok = match &request {
            ClientRequest::CallToolRequest(_) => single(headers, "mcp-method") == Some("tools/call"),
            ClientRequest::ListToolsRequest(_) => single(headers, "mcp-method") == Some("tools/list"),
            ClientRequest::DiscoverRequest(_) => single(headers, "mcp-method") == Some("server/discover"),
            _ => false,
        };
        meta_version.as_ref().is_some_and(|version| version.as_str() == header)
            && request.get_meta().missing_required_keys(&ProtocolVersion::V_2026_07_28).is_empty()
            && method_ok
            && name_ok
    } else {
        meta_version.is_none()
            && matches!(
                &request,
                ClientRequest::CallToolRequest(_) | ClientRequest::ListToolsRequest(_) | ClientRequest::PingRequest(_)
            )
    };
    let self_contained = match &request {
        ClientRequest::CallToolRequest(call) => {
            call.params.input_responses.is_none() && call.params.request_state.is_none()
        }
        _ => true,
    };
    (eligible && self_contained).then_some(LeanRequest { id, request, stateless })
}

/// The code and kind a response carries: a JSON-RPC error's, or a tool error result's
/// structured error code (0 when it has none).
fn error_facts(result: &Result<ServerResult, ErrorData>) -> Option<(i32, &'static str)> {
    match result {
        Err(error) => Some((error.code.0, kind_of(error.code.0))),
        Ok(ServerResult::CallToolResult(result)) if result.is_error == Some(true) => {
            let code = result
                .structured_content
                .as_ref()
                .and_then(|content| content.pointer("/error/code"))
                .and_then(Value::as_i64)
                .unwrap_or(0) as i32;
            Some((code, kind_of(code)))
        }
        Ok(_) => None,
    }
}

/// The HTTP status of a stateless-era answer: protocol failures the client must fix are 400,
/// an unknown method 404, everything else (tool errors included) 200. Handshake-era answers
/// are always 200.
fn status(result: &Result<ServerResult, ErrorData>, stateless: bool) -> StatusCode {
    match result {
        Err(error) if stateless => match error.code {
            ErrorCode::UNSUPPORTED_PROTOCOL_VERSION
            | ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY
            | ErrorCode::HEADER_MISMATCH => StatusCode::BAD_REQUEST,
            ErrorCode::METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
            _ => StatusCode::OK,
        },
        _ => StatusCode::OK,
    }
}

/// Answers one lean request.
pub async fn answer(handler: &McpHandler, transport: &TransportContext, lean: LeanRequest) -> LeanAnswer {
    let request_id = lean.request_id();
    let LeanRequest { id, request, stateless } = lean;
    // Decoding keeps the request's `_meta` beside the params; read the key from either.
    let request_meta_key = super::meta_idempotency_key(Some(&**request.get_meta()));
    let result = match request {
        ClientRequest::CallToolRequest(call) => {
            let meta_key = request_meta_key
                .or_else(|| super::meta_idempotency_key(call.params.meta.as_deref().map(|meta| &**meta)));
            handler.tools_call(transport, request_id, meta_key, call.params).await.map(ServerResult::from)
        }
        ClientRequest::ListToolsRequest(list) => {
            handler.tools_list(transport, request_id, list.params).await.map(ServerResult::ListToolsResult)
        }
        ClientRequest::PingRequest(_) => Ok(ServerResult::empty(())),
        _ => {
            let versions: Cow<'static, [ProtocolVersion]> = handler.supported_protocol_versions();
            Ok(ServerResult::DiscoverResult(DiscoverResult::from_server_info(
                versions.into_owned(),
                handler.get_info(),
            )))
        }
    };
    let result = result
        .map(|mut result| {
            if stateless {
                result.fill_missing_cache_hints();
            } else {
                result.strip_result_type_for_legacy_peer();
            }
            result
        })
        .map_err(|mut error| {
            if stateless && error.code == ErrorCode::RESOURCE_NOT_FOUND {
                error.code = ErrorCode::INVALID_PARAMS;
            }
            error
        });
    let error = error_facts(&result);
    let status = status(&result, stateless);
    let message = match result {
        Ok(result) => ServerJsonRpcMessage::response(result, id),
        Err(error) => ServerJsonRpcMessage::error(error, Some(id)),
    };
    let body = serde_json::to_vec(&message).unwrap_or_default();
    LeanAnswer { status, body, error }
}
