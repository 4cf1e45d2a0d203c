//! Error codes and envelopes of the MCP surface (mcp-surface §3).

use serde_json::{Map, Value, json};

/// A JSON-RPC / tool error code with its fixed kind label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// -32700: invalid JSON.
    ParseError,
    /// -32600: not a valid JSON-RPC request.
    InvalidRequest,
    /// -32601: unknown method.
    MethodNotFound,
    /// -32602: invalid parameters (messages disclosed verbatim).
    InvalidParams,
    /// -32001: authentication failed.
    Unauthenticated,
    /// -32003: authorization failed.
    Unauthorized,
    /// -32004: not found.
    NotFound,
    /// -32009: conflict.
    Conflict,
    /// -32020: evidence (reserved for seams).
    Evidence,
    /// -32030: engine error.
    ControlPlane,
    /// -32040: runpack error.
    Runpack,
    /// -32050: internal error.
    Internal,
    /// -32060: serialization failed.
    Serialization,
    /// -32070: request or response too large.
    RequestTooLarge,
    /// -32071: rate limited.
    RateLimited,
    /// -32072: in-flight limit reached.
    InflightLimit,
    /// -32073: invalid correlation id.
    InvalidCorrelationId,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::ParseError,
        ErrorCode::InvalidRequest,
        ErrorCode::MethodNotFound,
        ErrorCode::InvalidParams,
        ErrorCode::Unauthenticated,
        ErrorCode::Unauthorized,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::Evidence,
        ErrorCode::ControlPlane,
        ErrorCode::Runpack,
        ErrorCode::Internal,
        ErrorCode::Serialization,
        ErrorCode::RequestTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::InflightLimit,
        ErrorCode::InvalidCorrelationId,
    ];

    /// The numeric code.
    pub fn code(self) -> i32 {
        match self {
            ErrorCode::ParseError => -32700,
            ErrorCode::InvalidRequest => -32600,
            ErrorCode::MethodNotFound => -32601,
            ErrorCode::InvalidParams => -32602,
            ErrorCode::Unauthenticated => -32001,
            ErrorCode::Unauthorized => -32003,
            ErrorCode::NotFound => -32004,
            ErrorCode::Conflict => -32009,
            ErrorCode::Evidence => -32020,
            ErrorCode::ControlPlane => -32030,
            ErrorCode::Runpack => -32040,
            ErrorCode::Internal => -32050,
            ErrorCode::Serialization => -32060,
            ErrorCode::RequestTooLarge => -32070,
            ErrorCode::RateLimited => -32071,
            ErrorCode::InflightLimit => -32072,
            ErrorCode::InvalidCorrelationId => -32073,
        }
    }

    /// The code for a number, if known.
    pub fn from_code(code: i32) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|candidate| candidate.code() == code)
    }

    /// The kind label derived from the code.
    pub fn kind(self) -> &'static str {
        match self {
            ErrorCode::ParseError => "parse_error",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::MethodNotFound => "method_not_found",
            ErrorCode::InvalidParams => "invalid_params",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Evidence => "evidence",
            ErrorCode::ControlPlane => "control_plane",
            ErrorCode::Runpack => "runpack",
            ErrorCode::Internal => "internal",
            ErrorCode::Serialization => "serialization",
            ErrorCode::RequestTooLarge => "request_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::InflightLimit => "inflight_limit",
            ErrorCode::InvalidCorrelationId => "invalid_correlation_id",
        }
    }

    /// The HTTP status `/rpc` answers with when a tool fails with this code.
    pub fn rpc_http_status(self) -> u16 {
        match self {
            ErrorCode::ParseError
            | ErrorCode::InvalidRequest
            | ErrorCode::MethodNotFound
            | ErrorCode::InvalidParams => 400,
            ErrorCode::InvalidCorrelationId => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Unauthorized => 403,
            ErrorCode::RequestTooLarge => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::InflightLimit => 503,
            _ => 200,
        }
    }
}

/// Kind label of a numeric code (`unknown` for codes outside the table).
pub fn kind_of(code: i32) -> &'static str {
    ErrorCode::from_code(code).map_or("unknown", ErrorCode::kind)
}

/// A failure of a tool call or a transport-level rejection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    /// Code.
    pub code: ErrorCode,
    /// Kind label when it differs from the code's (`quota_exceeded`).
    pub kind_override: Option<&'static str>,
    /// Client-visible message.
    pub message: String,
    /// Whether the same call may succeed later.
    pub retryable: bool,
    /// Suggested wait.
    pub retry_after_ms: Option<u64>,
    /// The real reason when the client message hides it (audit records only, never sent).
    pub audit_reason: Option<String>,
}

impl ToolError {
    /// An error with the code's default retryability (rate and in-flight limits retry).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ToolError {
            code,
            kind_override: None,
            message: message.into(),
            retryable: matches!(code, ErrorCode::RateLimited | ErrorCode::InflightLimit),
            retry_after_ms: None,
            audit_reason: None,
        }
    }

    /// -32602 with a disclosed message.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        ToolError::new(ErrorCode::InvalidParams, message)
    }

    /// -32003 `unauthorized` (reasons go only to the audit log).
    pub fn unauthorized() -> Self {
        ToolError::new(ErrorCode::Unauthorized, "unauthorized")
    }

    /// -32001 `unauthenticated`.
    pub fn unauthenticated() -> Self {
        ToolError::new(ErrorCode::Unauthenticated, "unauthenticated")
    }

    /// -32004.
    pub fn not_found(message: impl Into<String>) -> Self {
        ToolError::new(ErrorCode::NotFound, message)
    }

    /// -32009.
    pub fn conflict(message: impl Into<String>) -> Self {
        ToolError::new(ErrorCode::Conflict, message)
    }

    /// -32050.
    pub fn internal(message: impl Into<String>) -> Self {
        ToolError::new(ErrorCode::Internal, message)
    }

    /// Marks the error retryable.
    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    /// Adds a retry hint.
    pub fn with_retry_after(mut self, retry_after_ms: u64) -> Self {
        self.retry_after_ms = Some(retry_after_ms);
        self
    }

    /// Attaches the real reason for the audit log (the client sees only the message).
    pub fn with_audit_reason(mut self, reason: impl Into<String>) -> Self {
        self.audit_reason = Some(reason.into());
        self
    }

    /// Overrides the kind label (`/mcp` envelopes only).
    pub fn with_kind(mut self, kind: &'static str) -> Self {
        self.kind_override = Some(kind);
        self
    }

    /// Kind label for `/mcp` tool envelopes.
    pub fn kind(&self) -> &'static str {
        self.kind_override.unwrap_or(self.code.kind())
    }

    /// `structuredContent` of an `isError` result: `{"error":{code,kind,message,retryable,retry_after_ms?}}`.
    pub fn tool_envelope(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), json!(self.code.code()));
        error.insert("kind".into(), json!(self.kind()));
        error.insert("message".into(), json!(self.message));
        error.insert("retryable".into(), json!(self.retryable));
        if let Some(retry) = self.retry_after_ms {
            error.insert("retry_after_ms".into(), json!(retry));
        }
        json!({ "error": Value::Object(error) })
    }

    /// `data` of a JSON-RPC error: `{kind, retryable, request_id, retry_after_ms?}`. The kind
    /// is always derived from the code here (as on `/rpc`) unless `use_override` is set.
    pub fn rpc_data(&self, request_id: Option<&str>, use_override: bool) -> Value {
        let mut data = Map::new();
        let kind = if use_override { self.kind() } else { self.code.kind() };
        data.insert("kind".into(), json!(kind));
        data.insert("retryable".into(), json!(self.retryable));
        data.insert("request_id".into(), request_id.map_or(Value::Null, |id| json!(id)));
        if let Some(retry) = self.retry_after_ms {
            data.insert("retry_after_ms".into(), json!(retry));
        }
        Value::Object(data)
    }

    /// A complete JSON-RPC error response.
    pub fn rpc_response(&self, id: Option<&Value>, request_id: Option<&str>) -> Value {
        json!({
            "jsonrpc": "2.0",
            "id": id.cloned().unwrap_or(Value::Null),
            "error": {"code": self.code.code(), "message": self.message, "data": self.rpc_data(request_id, false)}
        })
    }
}

/// The JSON text of a JSON-RPC id (numeric 7 → `7`, string "a" → `"a"`).
pub fn request_id_text(id: &Value) -> String {
    serde_json::to_string(id).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_kinds_and_statuses() {
        assert_eq!(ErrorCode::from_code(-32071), Some(ErrorCode::RateLimited));
        assert_eq!(kind_of(-1), "unknown");
        assert_eq!(ErrorCode::NotFound.rpc_http_status(), 200);
        assert_eq!(ErrorCode::Unauthenticated.rpc_http_status(), 401);
        assert!(ToolError::new(ErrorCode::InflightLimit, "server overloaded").retryable);
        assert!(!ToolError::new(ErrorCode::Conflict, "x").retryable);
    }

    #[test]
    fn envelopes() {
        let error = ToolError::new(ErrorCode::Unauthorized, "unauthorized").with_kind("quota_exceeded");
        assert_eq!(
            error.tool_envelope(),
            json!({"error":{"code":-32003,"kind":"quota_exceeded","message":"unauthorized","retryable":false}})
        );
        let limited = ToolError::new(ErrorCode::RateLimited, "rate limit exceeded").with_retry_after(250);
        assert_eq!(
            limited.rpc_data(Some("7"), false),
            json!({"kind":"rate_limited","retryable":true,"request_id":"7","retry_after_ms":250})
        );
        assert_eq!(request_id_text(&json!("a")), "\"a\"");
        assert_eq!(request_id_text(&json!(7)), "7");
        let response = ToolError::new(ErrorCode::MethodNotFound, "method not found")
            .rpc_response(Some(&json!("a")), Some("\"a\""));
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"method not found","data":{"kind":"method_not_found","retryable":false,"request_id":"\"a\""}}}"#
        );
    }
}
